/* cmd_demo.c — parley demo: three parties in a temporary directory, each
 * running a real `parley serve` process on loopback, exchange a few hundred
 * messages over mutual TLS (signed checkpoints, cosigned receipts), ping
 * each other, stop cleanly, cross-check every copy of every log byte for
 * byte and verify every store. */
#include "cli/cli.h"
#include "node/reports.h"
#include "core/templates.h"
#include "net/outbox.h"
#include "node/audit.h"
#include "node/cases.h"
#include "node/node.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char demo_usage[] =
	"parley demo [--dir DIR] [--keep] [--messages N]";

#define A_NAME "ministry-a.example"
#define B_NAME "ministry-b.example"
#define C_NAME "cert-c.example"

/* Entry by entry and root by root, both copies of a log must be equal. */
static int cross_check(struct node *a, struct node *b, const char *from,
		       const char *to, struct err *e)
{
	struct store_log la, lb;
	uint8_t ra[32], rb[32];
	char ha[65];
	int rc;

	rc = store_log_get(a->store, from, to, 0, &la, e);
	if (rc == ERR_NOTFOUND)
		return 0; /* no channel this way */
	if (rc < 0 || (rc = store_log_get(b->store, from, to, 0, &lb, e)) < 0)
		return rc;
	if (la.size != lb.size)
		return err_set(e, ERR_VERIFY, "%s: %" PRIu64 " entries on %s, %" PRIu64 " on %s",
			       la.origin, la.size, a->cfg.name, lb.size, b->cfg.name);
	for (uint64_t i = 0; i < la.size; i++) {
		char *ea, *eb;
		size_t na, nb;
		int same;

		if ((rc = store_entry_get(a->store, la.id, i, &ea, &na, e)) < 0)
			return rc;
		if ((rc = store_entry_get(b->store, lb.id, i, &eb, &nb, e)) < 0) {
			free(ea);
			return rc;
		}
		same = na == nb && memcmp(ea, eb, na) == 0;
		free(ea);
		free(eb);
		if (!same)
			return err_set(e, ERR_VERIFY, "%s: entry %" PRIu64 " differs", la.origin, i);
	}
	if ((rc = store_root(a->store, la.id, la.size, ra, e)) < 0 ||
	    (rc = store_root(b->store, lb.id, lb.size, rb, e)) < 0)
		return rc;
	if (memcmp(ra, rb, 32) != 0)
		return err_set(e, ERR_VERIFY, "%s: roots differ", la.origin);
	merkle_hex(ha, ra);
	printf("  %-45s %5" PRIu64 " entries identical, root %.16s...\n",
	       la.origin, la.size, ha);
	return 0;
}

static int print_cosig(void *ctx, const struct store_cosig *c)
{
	(void)ctx;
	printf("%s\n", c->line);
	return 0;
}

/* Prints the latest checkpoint of a log with its receipts, as a note. */
static int print_checkpoint(struct node *n, const char *from, const char *to,
			    struct err *e)
{
	struct store_log log;
	struct store_checkpoint cp;
	int rc;

	if ((rc = store_log_get(n->store, from, to, 0, &log, e)) < 0 ||
	    (rc = store_checkpoint_latest(n->store, log.id, &cp, e)) < 0)
		return rc;
	printf("\n%.*s", (int)cp.note_len, cp.note);
	rc = store_cosig_each(n->store, cp.id, print_cosig, NULL, e);
	free(cp.note);
	return rc;
}

#define NPARTY 3
static const char *const names[NPARTY] = { A_NAME, B_NAME, C_NAME };

/* A free loopback port: bind to port 0 and read what the kernel chose. */
static unsigned free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Starts `parley serve --dir dir` with its log in dir/serve.log. */
static pid_t start_server(const char *dir)
{
	char logp[1200], self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	pid_t pid;

	/* Our path, resolved now: exec of /proc/self/exe itself would start
	 * whatever runs us (valgrind's tool, under valgrind). */
	if (n <= 0)
		return -1;
	self[n] = '\0';
	pid = fork();

	if (pid == 0) {
		int fd;
		snprintf(logp, sizeof(logp), "%s/serve.log", dir);
		fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		execl(self, "parley", "serve", "--dir", dir, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void stop_servers(pid_t *pids)
{
	for (int i = 0; i < NPARTY; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (int i = 0; i < NPARTY; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Total entries not yet receipted, over every directed channel. */
static int backlog_all(struct node **nodes, uint64_t *total, struct err *e)
{
	*total = 0;
	for (int i = 0; i < NPARTY; i++)
		for (int j = 0; j < NPARTY; j++) {
			uint64_t b;
			int rc;
			if (i == j)
				continue;
			if ((rc = outbox_backlog(nodes[i], names[j], &b, e)) < 0)
				return rc;
			*total += b;
		}
	return 0;
}

/* Opens count cases of type from `from` to `to`, with charter-valid bodies. */
static int open_cases(struct node *from, const char *to, int count, const char *type,
		      struct err *e)
{
	char body[512];
	uint64_t idx;
	int rc = 0;

	for (int i = 0; i < count && rc == 0; i++) {
		int n;
		if (strcmp(type, "deconfliction") == 0)
			n = snprintf(body, sizeof(body),
				     "{\"subject\":\"Planned exercise %d\",\"fields\":{\"summary\":\"red-team exercise\","
				     "\"targets\":\"198.51.100.%d\",\"start\":\"2026-12-01\",\"end\":\"2026-12-02\","
				     "\"contact\":\"cert@%s\"}}", i, i % 250, from->cfg.name);
		else
			n = snprintf(body, sizeof(body),
				     "{\"subject\":\"Scanning from your networks %d\",\"text\":\"SSH brute force since Monday.\","
				     "\"fields\":{\"summary\":\"ssh brute force\",\"source_ip\":\"192.0.2.%d\","
				     "\"first_seen\":\"2026-11-20\",\"contact\":\"cert@%s\",\"severity\":\"%s\"}}",
				     i, i % 250, from->cfg.name, i % 3 ? "medium" : "high");
		rc = case_open(from, to, type, body, (size_t)n, NULL, 0, &idx, e);
	}
	return rc;
}

/* The responder works through the first `count` of the requester's cases:
 * acknowledges all, answers every second, declines every fifth. */
static int reply_cases(struct node *n, const char *requester, int count, int *acted,
		       struct err *e)
{
	struct case_list l;
	int rc, done = 0;

	if ((rc = cases_load(n, requester, n->now(), 0, &l, e)) < 0)
		return rc;
	for (size_t i = 0; i < l.n && done < count && rc == 0; i++) {
		char id[160];
		uint64_t idx;
		const struct case_view *cv = &l.v[i];

		if (strcmp(cv->requester, requester) != 0 || cv->state != CASE_RECEIPTED)
			continue;
		snprintf(id, sizeof(id), "%s/%" PRIu64, cv->requester, cv->index);
		static const char decline[] = "{\"text\":\"Outside our remit.\"}",
				  ack[] = "{\"text\":\"Received, investigating.\"}",
				  answer[] = "{\"text\":\"Blocked at our edge.\"}";

		if (done % 5 == 4)
			rc = case_act(n, id, ENVELOPE_DECLINE, decline, strlen(decline), &idx, e);
		else if ((rc = case_act(n, id, ENVELOPE_ACK, ack, strlen(ack), &idx, e)) == 0 &&
			 done % 2 == 0)
			rc = case_act(n, id, ENVELOPE_ANSWER, answer, strlen(answer), &idx, e);
		done++;
	}
	case_list_free(&l);
	*acted = done;
	return rc;
}

static int wait_receipts(struct node **nodes, const char *dir, struct err *e)
{
	uint64_t total = 0;
	int rc;

	for (int t = 0; t < 600; t++) { /* at most 60 s */
		if ((rc = backlog_all(nodes, &total, e)) < 0)
			return rc;
		if (total == 0)
			return 0;
		sleep_ms(100);
	}
	return err_set(e, ERR_IO, "%" PRIu64 " entries still without receipt after 60 s "
		       "(see %s/*/serve.log)", total, dir);
}

static void print_case_summary(struct node *n, const char *peer)
{
	struct case_list l;
	struct err e;
	int count[CASE_STATE_COUNT] = { 0 }, overdue = 0;

	if (cases_load(n, peer, n->now() + 3 * 86400, 0, &l, &e) < 0)
		return;
	for (size_t i = 0; i < l.n; i++) {
		count[l.v[i].state]++;
		overdue += l.v[i].overdue_ack || l.v[i].overdue_answer;
	}
	printf("  %s sees %zu cases with %s:", n->cfg.name, l.n, peer);
	for (int s = CASE_SENT; s < CASE_STATE_COUNT; s++)
		if (count[s])
			printf(" %d %s", count[s], case_state_name((enum case_state)s));
	printf("; %d overdue three days from now\n", overdue);
	case_list_free(&l);
}

/* The reciprocity report of the first channel three times: from each of
 * its two nodes, and by an auditor from a redacted bundle. All equal. */
static int three_reports(struct node **nodes, struct err *e)
{
	struct node *auditor = NULL;
	char *bundle = NULL, *ra = NULL, *rb = NULL, *rx = NULL;
	size_t len;
	struct reports_opts oa = { .peer = B_NAME, .format = "table", .reciprocity = 1,
				      .at = nodes[0]->now() + 7 * 86400 };
	struct reports_opts ob = oa, ox = oa;
	int rc = 0;

	ob.peer = A_NAME;
	ox.peer = NULL;
	if (!(ra = reports_json(nodes[0], &oa, e)) || !(rb = reports_json(nodes[1], &ob, e)) ||
	    (rc = audit_export(nodes[0], B_NAME, 0, 0, &bundle, &len, NULL, e)) < 0 ||
	    (rc = audit_load(bundle, len, &auditor, NULL, NULL, e)) < 0 ||
	    !(rx = reports_json(auditor, &ox, e))) {
		rc = rc < 0 ? rc : e->code;
		goto out;
	}
	printf("\n== reciprocity report of %s <-> %s as of a week from now, from %s's node\n\n",
	       A_NAME, B_NAME, A_NAME);
	if ((rc = reports_print(nodes[0], &oa, stdout, stderr, e)) < 0)
		goto out;
	printf("\n== the same from %s's node\n\n", B_NAME);
	if ((rc = reports_print(nodes[1], &ob, stdout, stderr, e)) < 0)
		goto out;
	printf("\n== the same by an auditor from %s's redacted bundle (%zu bytes: no bodies,\n"
	       "   no secrets), with no node: parley audit FILE --reciprocity\n\n", A_NAME, len);
	if ((rc = reports_print(auditor, &ox, stdout, stderr, e)) < 0)
		goto out;
	printf("\n  as JSON: %s's node %zu bytes; %s's node %s; the auditor's %s\n", A_NAME,
	       strlen(ra), B_NAME, strcmp(ra, rb) == 0 ? "identical" : "DIFFERENT",
	       strcmp(ra, rx) == 0 ? "identical" : "DIFFERENT");
	if (strcmp(ra, rb) != 0 || strcmp(ra, rx) != 0)
		rc = err_set(e, ERR_VERIFY, "the three reports differ:\n%s\n%s\n%s", ra, rb, rx);
out:
	free(bundle);
	free(ra);
	free(rb);
	free(rx);
	node_close(auditor);
	return rc;
}

/* A's register of requests from before parley, brought in as entries
 * attested by A only. */
static int import_register(struct node *n, const char *peer, struct err *e)
{
	static const char csv[] =
		"date,direction,type,answered,answered_on,ref\n"
		"2025-02-03,sent,cyber-incident,yes,2025-03-28,CERT-2025-011\n"
		"2025-04-17,sent,cyber-incident,no,,CERT-2025-034\n"
		"2025-06-09,received,deconfliction,yes,2025-06-10,\"MFA note 7/25\"\n"
		"2025-09-30,sent,cyber-incident,no,,CERT-2025-102\n";
	struct register_rec *recs;
	size_t nrec;
	uint64_t first;
	int rc;

	if ((rc = register_csv_parse(csv, sizeof(csv) - 1, &recs, &nrec, NULL, NULL, e)) < 0)
		return rc;
	rc = cases_import_register(n, peer, recs, nrec, &first, e);
	free(recs);
	if (rc == 0)
		printf("\n== %s imports its old spreadsheet register: %zu past requests with %s,\n"
		       "   entries %" PRIu64 "..%" PRIu64 " of its log, attested by %s only\n",
		       n->cfg.name, nrec, peer, first, first + nrec - 1, n->cfg.name);
	return rc;
}

static int run(const char *dir, int messages, struct err *e)
{
	char paths[NPARTY][1100], line[1024], listen[64];
	struct node *nodes[NPARTY] = { NULL };
	pid_t pids[NPARTY] = { 0 };
	uint64_t sent;
	int rc = 0;

	printf("== three parties in %s, each running parley serve on loopback\n", dir);
	for (int i = 0; i < NPARTY && rc == 0; i++) {
		unsigned port = free_port();
		snprintf(paths[i], sizeof(paths[i]), "%s/%c", dir, "abc"[i]);
		snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
		if (!port)
			rc = err_set(e, ERR_IO, "no free loopback port");
		else if ((rc = node_init(paths[i], names[i], listen, NULL, e)) == 0)
			rc = node_open(&nodes[i], paths[i], e);
	}
	for (int i = 0; i < NPARTY && rc == 0; i++) {
		if ((rc = node_identity(nodes[i], line, sizeof(line), e)) < 0)
			break;
		printf("  %s\n", line);
		for (int j = 0; j < NPARTY && rc == 0; j++)
			if (i != j)
				rc = node_peer_add(nodes[j], line, e);
	}
	for (int i = 0; i < NPARTY && rc == 0; i++)
		if ((pids[i] = start_server(paths[i])) < 0)
			rc = err_set(e, ERR_IO, "fork: %s", strerror(errno));
	if (rc < 0)
		goto out;

	printf("\n== charters: each pair agrees the standard template\n");
	for (int i = 0; i < NPARTY && rc == 0; i++)
		for (int j = i + 1; j < NPARTY && rc == 0; j++) {
			const struct charter_template *t = charter_templates;
			uint64_t idx;
			while (strcmp(t->name, "standard") != 0)
				t++;
			rc = channel_propose(nodes[i], names[j], t->json, strlen(t->json), &idx, e);
		}
	if (rc < 0 || (rc = wait_receipts(nodes, dir, e)) < 0)
		goto out;
	for (int i = 0; i < NPARTY && rc == 0; i++)
		for (int j = i + 1; j < NPARTY && rc == 0; j++) {
			uint64_t idx;
			rc = channel_accept(nodes[j], names[i], &idx, e);
			if (rc == 0)
				printf("  %s proposed, %s accepted\n", names[i], names[j]);
		}
	if (rc < 0 || (rc = wait_receipts(nodes, dir, e)) < 0)
		goto out;

	printf("\n== %s opens %d cyber-incident cases with %s and %d de-confliction notices\n"
	       "   with %s; %s opens %d with %s, %s opens %d with %s\n", A_NAME, messages, B_NAME,
	       messages / 3, C_NAME, B_NAME, messages / 5, A_NAME, C_NAME, messages / 4, B_NAME);
	if ((rc = open_cases(nodes[0], B_NAME, messages, "cyber-incident", e)) < 0 ||
	    (rc = open_cases(nodes[1], A_NAME, messages / 5, "cyber-incident", e)) < 0 ||
	    (rc = open_cases(nodes[0], C_NAME, messages / 3, "deconfliction", e)) < 0 ||
	    (rc = open_cases(nodes[2], B_NAME, messages / 4, "cyber-incident", e)) < 0)
		goto out;
	printf("\n== the servers deliver them and return receipts\n");
	if ((rc = wait_receipts(nodes, dir, e)) < 0)
		goto out;
	{
		int acted;
		if ((rc = reply_cases(nodes[1], A_NAME, messages * 2 / 5, &acted, e)) < 0)
			goto out;
		printf("== %s works through %d of %s's cases (acknowledges, answers or declines);\n"
		       "   the rest are left unanswered\n", B_NAME, acted, A_NAME);
		if ((rc = reply_cases(nodes[0], B_NAME, messages / 5, &acted, e)) < 0)
			goto out;
		printf("== %s works through %d of %s's cases\n", A_NAME, acted, B_NAME);
	}
	if ((rc = import_register(nodes[0], B_NAME, e)) < 0 || (rc = wait_receipts(nodes, dir, e)) < 0)
		goto out;
	print_case_summary(nodes[0], B_NAME);
	print_case_summary(nodes[1], A_NAME);
	print_case_summary(nodes[2], A_NAME);
	for (int i = 0; i < NPARTY; i++) {
		double t0, t1;
		struct timespec ts;
		const char *peer = names[(i + 1) % NPARTY];
		struct node_msg ping = { .kind = ENVELOPE_PING, .type = "ping" };
		uint64_t first;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t0 = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		if ((rc = node_send(nodes[i], peer, &ping, 1, &first, e)) < 0 ||
		    (rc = outbox_deliver(nodes[i], peer, &sent, e)) < 0)
			goto out;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t1 = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		printf("  ping %s -> %s: receipted in %.1f ms\n", names[i], peer, (t1 - t0) * 1000);
	}

	printf("\n== latest checkpoints with their receipts (C2SP signed notes)");
	if ((rc = print_checkpoint(nodes[0], A_NAME, B_NAME, e)) < 0 ||
	    (rc = print_checkpoint(nodes[1], B_NAME, A_NAME, e)) < 0)
		goto out;

	printf("\n== stopping the servers (SIGTERM)\n");
	stop_servers(pids);
	memset(pids, 0, sizeof(pids));

	printf("\n== cross-check: every log is the same on its sender and its receiver\n");
	for (int i = 0; i < NPARTY && rc == 0; i++)
		for (int j = 0; j < NPARTY && rc == 0; j++)
			if (i != j)
				rc = cross_check(nodes[i], nodes[j], names[i], names[j], e);
	if (rc < 0)
		goto out;

	for (int i = 0; i < NPARTY; i++) {
		printf("\n== parley verify --dir %s\n", paths[i]);
		if ((rc = node_verify(nodes[i], stdout, e)) < 0)
			goto out;
		printf("verify: ok\n");
	}
	if ((rc = three_reports(nodes, e)) < 0)
		goto out;
out:
	stop_servers(pids);
	for (int i = 0; i < NPARTY; i++)
		node_close(nodes[i]);
	return rc;
}

static int remove_tree(const char *dir)
{
	static const char *const files[] = { "parley.conf", "identity.key", "tls.key",
					     "tls.crt", "serve.log", "parley.db",
					     "parley.db-wal", "parley.db-shm" };
	char p[1200];

	for (int s = 0; s < NPARTY; s++) {
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(p, sizeof(p), "%s/%c/%s", dir, "abc"[s], files[i]);
			unlink(p);
		}
		snprintf(p, sizeof(p), "%s/%c", dir, "abc"[s]);
		rmdir(p);
	}
	return rmdir(dir);
}

int cli_demo_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "messages", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	char tmp[] = "/tmp/parley-demo.XXXXXX";
	const char *dir = NULL;
	struct err e = { 0 };
	int c, keep = 0, messages = 300, rc;
	char *end;

	while ((c = getopt_long(argc, argv, "hd:km:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; keep = 1; break;
		case 'k': keep = 1; break;
		case 'm':
			messages = (int)strtol(optarg, &end, 10);
			if (*end || messages < 1 || messages > 100000)
				return cli_usage("demo", demo_usage, "--messages takes 1 to 100000");
			break;
		case 'h':
			printf("usage: %s\n\n"
			       "Creates three parties (%s, %s, %s) in a temporary\n"
			       "directory (or DIR), starts 'parley serve' for each on a free loopback\n"
			       "port, and sends N requests (default 300) from the first to the second,\n"
			       "fewer between the others, and acknowledgements and answers back. The\n"
			       "servers deliver them over mutual TLS; each batch carries the sender's\n"
			       "signed checkpoint and comes back with the receiver's cosignature (the\n"
			       "receipt). Then each party pings the next, the servers are stopped, every\n"
			       "log is cross-checked against its mirror and every store is verified.\n"
			       "The directory is removed afterwards unless --keep or --dir.\n",
			       demo_usage, A_NAME, B_NAME, C_NAME);
			return CLI_OK;
		default:
			return cli_usage("demo", demo_usage, "bad option");
		}
	}
	if (optind != argc)
		return cli_usage("demo", demo_usage, "unexpected argument '%s'", argv[optind]);
	if (dir && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "parley demo: %s: %s\n", dir, strerror(errno));
		return CLI_FAIL;
	}
	if (!dir) {
		if (!mkdtemp(tmp)) {
			perror("parley demo: mkdtemp");
			return CLI_FAIL;
		}
		dir = tmp;
	}
	rc = run(dir, messages, &e);
	if (!keep)
		remove_tree(dir);
	else
		printf("\nthe demo nodes are kept in %s\n", dir);
	if (rc < 0)
		return cli_error("demo", &e, 0);
	printf("\ndemo: ok\n");
	return CLI_OK;
}
