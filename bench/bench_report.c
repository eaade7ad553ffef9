/* bench_report.c — issue 5's targets: the report over CASES cases (default
 * 1,000,000) as `parley report` computes it on a real node, and the audit
 * of that channel's redacted bundle; each against a floor measured in the
 * same run on the same data:
 *   report  vs. a raw SQLite full scan of the node's entry envelopes;
 *   audit   vs. parsing the bundle's JSON and hashing every entry (leaf).
 *
 * The channel is built once and reused (DIR/parley-bench-report-CASES,
 * complete when its marker file exists): two real nodes, a.example and
 * b.example, agree the standard charter; a sends CASES cyber-incident
 * requests spread over 2025 (node_send, at most 1000 per call), b answers
 * 80% (ack, then answer), only acknowledges 10%, declines 5% and leaves 5%
 * untouched, hours to days later. Each call is delivered in process
 * (node_batch_make -> node_receive -> node_receipt_add), hour by hour as
 * an outbox would, under a fake clock both nodes read, so receipts and
 * deadlines are those of a real channel. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "benchutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <sys/wait.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <inttypes.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "core/templates.h"
#include "node/audit.h"
#include "node/cases.h"
#include "node/node.h"

#define A "a.example"
#define B "b.example"
#define MARKER "complete"
#define T0 INT64_C(1735689600)          /* 2025-01-01T00:00:00Z */
#define SPAN (INT64_C(365) * 86400)      /* requests over one year */
#define AT (T0 + INT64_C(400) * 86400)   /* the report's "as of" */
#define RUNS 3

static volatile uint64_t sink; /* what the floors read, kept */

__attribute__((noreturn))
static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "bench_report: %s: %s\n", what, e->msg);
	exit(1);
}

/* The clock both nodes read. With a script, each call returns the next
 * scripted time (node_send reads it once per message: checked). */
static int64_t clk;
static const int64_t *script;
static size_t script_n, script_k;

static int64_t fake_now(void)
{
	if (!script)
		return clk;
	if (script_k >= script_n) {
		fprintf(stderr, "bench_report: the clock was read more than once per message\n");
		exit(1);
	}
	if (script[script_k] > clk)
		clk = script[script_k];
	return script[script_k++];
}

/* node_send with msgs[i] sent at times[i]. */
static uint64_t send_at(struct node *n, const char *peer, const struct node_msg *msgs,
			const int64_t *times, size_t count)
{
	struct err e = { 0 };
	uint64_t first;

	script = times;
	script_n = count;
	script_k = 0;
	if (node_send(n, peer, msgs, count, &first, &e) < 0)
		die("node_send", &e);
	if (script_k != count) {
		fprintf(stderr, "bench_report: node_send read the clock %zu times for %zu messages\n",
			script_k, count);
		exit(1);
	}
	script = NULL;
	return first;
}

/* Where generation spends its time, per call. */
enum { T_SEND, T_BATCH, T_RECEIVE, T_RECEIPT, T_COUNT };
static const char *const t_name[T_COUNT] = { "node_send", "node_batch_make", "node_receive",
					     "node_receipt_add" };
static double t_spent[2][T_COUNT]; /* [0]: a -> b, [1]: b -> a */
static uint64_t t_entries[2], t_batches[2];

/* Delivers from's log to its peer from index first on, at time at (the
 * receiver's cosignature time), in batches of NODE_BATCH_MAX. */
static void deliver(struct node *from, struct node *to, uint64_t first, uint64_t end,
		    int64_t at)
{
	int dir = strcmp(from->cfg.name, A) != 0;
	struct err e = { 0 };

	if (at > clk)
		clk = at;
	while (first < end) {
		struct node_batch b;
		char line[512];
		double t0 = bu_now(), t1, t2;

		if (node_batch_make(from, to->cfg.name, first, NODE_BATCH_MAX, &b, &e) < 0)
			die("node_batch_make", &e);
		t1 = bu_now();
		if (node_receive(to, &b, line, sizeof(line), &e) < 0)
			die("node_receive", &e);
		t2 = bu_now();
		if (node_receipt_add(from, to->cfg.name, b.note, b.note_len, line, NULL, &e) < 0)
			die("node_receipt_add", &e);
		t_spent[dir][T_BATCH] += t1 - t0;
		t_spent[dir][T_RECEIVE] += t2 - t1;
		t_spent[dir][T_RECEIPT] += bu_now() - t2;
		t_entries[dir] += b.n;
		t_batches[dir]++;
		first += b.n;
		node_batch_free(&b);
	}
}

/* b's replies, due at t: a min-heap by time. */
struct reply {
	int64_t t;
	uint32_t req;  /* request number, 0..CASES-1 */
	uint32_t kind; /* enum envelope_kind */
};

struct heap {
	struct reply *v;
	size_t n, cap;
};

static void heap_push(struct heap *h, struct reply r)
{
	size_t i;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 4096;
		if (!(h->v = realloc(h->v, h->cap * sizeof(*h->v)))) {
			fprintf(stderr, "bench_report: out of memory\n");
			exit(1);
		}
	}
	for (i = h->n++; i > 0 && h->v[(i - 1) / 2].t > r.t; i = (i - 1) / 2)
		h->v[i] = h->v[(i - 1) / 2];
	h->v[i] = r;
}

static struct reply heap_pop(struct heap *h)
{
	struct reply top = h->v[0], last = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1].t < h->v[c].t)
			c++;
		if (last.t <= h->v[c].t)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

static const char ack_body[] = "{\"text\":\"Received, investigating.\"}";
static const char answer_body[] = "{\"text\":\"Blocked at our edge; the host is cleaned.\"}";
static const char decline_body[] = "{\"text\":\"Outside our remit.\"}";

/* Sends and delivers b's replies due before `before`, 1000 per call. */
static void flush_replies(struct node *a, struct node *b, struct heap *h, int64_t before,
			  uint64_t req_base)
{
	static struct node_msg msgs[NODE_BATCH_MAX];
	static int64_t times[NODE_BATCH_MAX];

	while (h->n && h->v[0].t < before) {
		size_t k = 0;
		uint64_t first;
		double t0;

		for (; k < NODE_BATCH_MAX && h->n && h->v[0].t < before; k++) {
			struct reply r = heap_pop(h);
			const char *body = r.kind == ENVELOPE_ACK ? ack_body
					   : r.kind == ENVELOPE_ANSWER ? answer_body : decline_body;
			msgs[k] = (struct node_msg){ .kind = (enum envelope_kind)r.kind,
						     .type = "cyber-incident", .case_from = A,
						     .case_index = req_base + r.req, .body = body,
						     .body_len = strlen(body) };
			times[k] = r.t;
		}
		t0 = bu_now();
		first = send_at(b, A, msgs, times, k);
		t_spent[1][T_SEND] += bu_now() - t0;
		deliver(b, a, first, first + k, times[k - 1] + 60);
	}
}

static struct node *open_node(const char *dir)
{
	struct node *n = NULL;
	struct err e = { 0 };

	if (node_open(&n, dir, &e) < 0)
		die(dir, &e);
	n->now = fake_now;
	return n;
}

static int rm_fn(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The sender's time of request i of cases: evenly over the year. */
static int64_t req_time(uint64_t i, uint64_t cases)
{
	return T0 + (int64_t)(i * (uint64_t)SPAN / cases);
}

/* Builds the channel in dir (a fresh directory). */
static void generate(const char *dir, uint64_t cases)
{
	char pa[1200], pb[1200], line[1024], path[1200];
	const struct charter_template *t = charter_templates;
	static struct node_msg msgs[NODE_BATCH_MAX];
	static int64_t times[NODE_BATCH_MAX];
	static char bodies[NODE_BATCH_MAX][512];
	struct node *a, *b;
	struct heap h = { 0 };
	struct err e = { 0 };
	uint64_t idx = 0, req_base, seed = 0x9e3779b97f4a7c15u;
	double t0 = bu_now();
	FILE *f;

	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(pb, sizeof(pb), "%s/b", dir);
	if (node_init(pa, A, NULL, NULL, &e) < 0 || node_init(pb, B, NULL, NULL, &e) < 0)
		die("node_init", &e);
	a = open_node(pa);
	b = open_node(pb);
	if (node_identity(a, line, sizeof(line), &e) < 0 || node_peer_add(b, line, &e) < 0 ||
	    node_identity(b, line, sizeof(line), &e) < 0 || node_peer_add(a, line, &e) < 0)
		die("exchanging identities", &e);

	/* The standard charter: a proposes, b accepts, a day before 2025. */
	while (t->name && strcmp(t->name, "standard") != 0)
		t++;
	clk = T0 - 86400;
	if (!t->name || channel_propose(a, B, t->json, strlen(t->json), &idx, &e) < 0)
		die("channel_propose", &e);
	deliver(a, b, idx, idx + 1, clk + 60);
	if (channel_accept(b, A, &idx, &e) < 0)
		die("channel_accept", &e);
	deliver(b, a, idx, idx + 1, clk + 60);
	req_base = 1; /* a's log: the charter at 0, request i at 1 + i */

	/* Hour by hour, as an outbox that delivers continuously would: the
	 * replies due before the hour, then the hour's requests (at most
	 * 1000 per call), each call delivered a minute after its last. */
	for (uint64_t hour = 0, i = 0, next = 100000; i < cases || h.n; hour++) {
		int64_t end = T0 + (int64_t)(hour + 1) * 3600;

		flush_replies(a, b, &h, end - 3600, req_base);
		while (i < cases && req_time(i, cases) < end) {
			size_t k, cnt = 0;
			int64_t receipt;
			uint64_t first;
			double s0;

			for (; cnt < NODE_BATCH_MAX && i < cases && req_time(i, cases) < end; cnt++, i++) {
				int n = snprintf(bodies[cnt], sizeof(bodies[cnt]),
					"{\"fields\":{\"contact\":\"cert@a.example\",\"first_seen\":\"2025-%02d-%02d\","
					"\"severity\":\"%s\",\"source_ip\":\"192.0.2.%d\",\"summary\":\"ssh brute force\"},"
					"\"subject\":\"Scanning from your networks %" PRIu64 "\","
					"\"text\":\"SSH brute force against our mail relays since Monday.\"}",
					(int)(i * 12 / cases) + 1, (int)(i % 28) + 1,
					i % 3 ? "medium" : "high", (int)(i % 250), i);
				msgs[cnt] = (struct node_msg){ .kind = ENVELOPE_REQUEST,
							       .type = "cyber-incident",
							       .body = bodies[cnt], .body_len = (size_t)n };
				times[cnt] = req_time(i, cases);
			}
			s0 = bu_now();
			first = send_at(a, B, msgs, times, cnt);
			t_spent[0][T_SEND] += bu_now() - s0;
			if (first != req_base + i - cnt) {
				fprintf(stderr, "bench_report: request %" PRIu64 " is at index %" PRIu64 "\n",
					i - cnt, first);
				exit(1);
			}
			receipt = times[cnt - 1] + 60;
			deliver(a, b, first, first + cnt, receipt);
			/* b's replies: 10 minutes to 36 hours after the receipt
			 * (some past the 24 h ack deadline); answers 1 hour to 20
			 * days after the ack (some past the 14 days). */
			for (k = 0; k < cnt; k++) {
				uint32_t req = (uint32_t)(i - cnt + k);
				uint64_t u = bu_rand(&seed) % 100;
				int64_t ack = receipt + 600 + (int64_t)(bu_rand(&seed) % (36 * 3600));
				if (u < 90)
					heap_push(&h, (struct reply){ ack, req, ENVELOPE_ACK });
				if (u < 80)
					heap_push(&h, (struct reply){ ack + 3600 + (int64_t)(bu_rand(&seed) % (20 * 86400)),
								      req, ENVELOPE_ANSWER });
				else if (u >= 90 && u < 95)
					heap_push(&h, (struct reply){ ack, req, ENVELOPE_DECLINE });
			}
		}
		if (i >= next || (i == cases && !h.n)) {
			fprintf(stderr, "  %" PRIu64 " / %" PRIu64 " requests sent and delivered, "
				"%zu replies pending (%.0f s)\n", i, cases, h.n, bu_now() - t0);
			next = i >= next ? (i / 100000 + 1) * 100000 : UINT64_MAX;
		}
	}
	free(h.v);
	fprintf(stderr, "generated in %.1f s; where it went:\n", bu_now() - t0);
	for (int d = 0; d < 2; d++) {
		fprintf(stderr, "  %s: %" PRIu64 " entries in %" PRIu64 " batches:", d ? "b -> a" : "a -> b",
			t_entries[d], t_batches[d]);
		for (int k = 0; k < T_COUNT; k++)
			fprintf(stderr, " %s %.1f s (%.1f us/entry)%s", t_name[k], t_spent[d][k],
				t_spent[d][k] * 1e6 / (double)(t_entries[d] ? t_entries[d] : 1),
				k + 1 < T_COUNT ? "," : "\n");
	}
	node_close(a);
	node_close(b);
	snprintf(path, sizeof(path), "%s/" MARKER, dir);
	if (!(f = fopen(path, "w")) || fprintf(f, "cases %" PRIu64 "\n", cases) < 0 || fclose(f) != 0) {
		fprintf(stderr, "bench_report: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* Peak RSS of the process so far, KiB. */
static long maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* The 1-minute load average: the figures are only as good as the
 * machine was quiet (the benchmark itself adds 1). */
static double loadavg(void)
{
	double v = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* Best and median of v[0..n). */
static void best_med(double *v, size_t n, double *best, double *med)
{
	qsort(v, n, sizeof(*v), cmp_d);
	*best = v[0];
	*med = v[n / 2];
}

/* One report as `parley report --by month` makes it: open, load the
 * cases (no bodies), their report view, the rows. Times each step. */
struct timing {
	double open, load, input, make, total;
};

static void report_once(const char *dir, struct node *given, struct timing *t,
			struct report *rep)
{
	struct node *n = given;
	struct case_list l;
	struct report_case *rin;
	struct err e = { 0 };
	size_t nin;
	double t0 = bu_now(), t1, t2, t3;

	if (!n && node_open(&n, dir, &e) < 0)
		die("node_open", &e);
	/* As parley report does: the report's input without case views. */
	t1 = bu_now();
	if (cases_report_load(n, NULL, AT, &l, &rin, &nin, &e) < 0)
		die("cases_report_load", &e);
	t2 = bu_now();
	t3 = bu_now();
	if (report_make(rin, nin, REPORT_MONTH, 0, 0, NULL, rep, &e) < 0)
		die("report_make", &e);
	t->make = bu_now() - t3;
	free(rin);
	case_list_free(&l);
	if (!given)
		node_close(n);
	t->open = t1 - t0;
	t->load = t2 - t1;
	t->input = t3 - t2;
	t->total = bu_now() - t0;
}

/* Best and median of RUNS reports; rep gets the last one's rows. */
static void report_runs(const char *dir, struct node *given, struct timing *best,
			struct timing *med, struct report *rep)
{
	double v[5][RUNS];
	struct timing t;

	for (int r = 0; r < RUNS; r++) {
		report_free(rep);
		report_once(dir, given, &t, rep);
		v[0][r] = t.open;
		v[1][r] = t.load;
		v[2][r] = t.input;
		v[3][r] = t.make;
		v[4][r] = t.total;
	}
	best_med(v[0], RUNS, &best->open, &med->open);
	best_med(v[1], RUNS, &best->load, &med->load);
	best_med(v[2], RUNS, &best->input, &med->input);
	best_med(v[3], RUNS, &best->make, &med->make);
	best_med(v[4], RUNS, &best->total, &med->total);
}

/* `parley report --json --by month` on dir as a process, output to
 * /dev/null: the end to end a user waits for. The binary is $PARLEY_BIN or
 * ./build-release/parley. Seconds, or -1 if it could not run. */
extern char **environ;

static double cli_report(const char *dir)
{
	char bin[1024], d[1200];
	char *argv[] = { bin, "report", "--json", "--by", "month", "--at",
			 "2026-02-05T00:00:00Z", "--dir", d, NULL };
	posix_spawn_file_actions_t fa;
	double t0 = bu_now();
	pid_t pid;
	int st;

	snprintf(bin, sizeof(bin), "%s", getenv("PARLEY_BIN") ? getenv("PARLEY_BIN")
							     : "./build-release/parley");
	snprintf(d, sizeof(d), "%s", dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, bin, &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return bu_now() - t0;
}

/* The floor of the report: every envelope of the node's database, read
 * by one raw SQLite statement; *bytes so that nothing is skipped. */
static double raw_scan(const char *db_path, const char *query, uint64_t *rows, uint64_t *bytes)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	double t0 = bu_now();
	uint64_t sum = 0, nr = 0, x = 0;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, query, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_report: %s: %s\n", db_path, sqlite3_errmsg(db));
		exit(1);
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_blob(st, 0);
		int len = sqlite3_column_bytes(st, 0);
		sum += (uint64_t)len;
		x += len ? p[len - 1] : 0;
		nr++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	*rows = nr;
	*bytes = sum;
	sink += x; /* the bytes were read */
	return bu_now() - t0;
}

/* The floor of the audit: parse the bundle as audit_load does and hash
 * every entry as a Merkle leaf, nothing else. */
static double raw_bundle(const char *json, size_t len, uint64_t *entries)
{
	double t0 = bu_now();
	json_error_t je;
	json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je), *logs;
	uint8_t leaf[32], acc = 0;
	uint64_t n = 0;

	if (!o) {
		fprintf(stderr, "bench_report: bundle: %s\n", je.text);
		exit(1);
	}
	logs = json_object_get(o, "logs");
	for (size_t i = 0; i < json_array_size(logs); i++) {
		json_t *en = json_object_get(json_array_get(logs, i), "entries");
		for (size_t k = 0; k < json_array_size(en); k++) {
			json_t *s = json_array_get(en, k);
			merkle_leaf_hash(leaf, json_string_value(s), json_string_length(s));
			acc ^= leaf[0];
			n++;
		}
	}
	json_decref(o);
	*entries = n;
	sink += acc;
	return bu_now() - t0;
}

static double ratio(double x, double floor)
{
	return floor > 0 ? x / floor : 0;
}

static void print_timing(const char *what, const struct timing *b, const struct timing *m)
{
	printf("%-34s %9.3f %9.3f   (best: open %.3f, cases_report_load %.3f, (input %.3f),\n"
	       "%-56s report_make %.3f, freeing %.3f)\n", what, b->total, m->total, b->open,
	       b->load, b->input, "", b->make, b->total - b->open - b->load - b->input - b->make);
}

int main(int argc, char **argv)
{
	const char *base = argc > 1 ? argv[1] : "/tmp";
	uint64_t cases = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
	char dir[1100], path[1200], pa[1200];
	struct timing rb, rm, ab, am;
	struct report rep = { 0 }, arep = { 0 };
	struct report_case *rin;
	struct case_list l;
	struct node *n = NULL, *aud = NULL;
	struct err e = { 0 };
	uint64_t rows, bytes, frows, fbytes, bentries, tot[5] = { 0 };
	double v[RUNS], cli_b, cli_m, scan_b, scan_m, fscan_b, fscan_m, make_b, make_m, floor_b, floor_m, t0, t_export, t_load;
	long pk_start, pk_report, pk_audit;
	double load0;
	char *bundle = NULL;
	size_t blen;

	if (argc > 3 || cases == 0 || cases > UINT32_MAX) {
		fprintf(stderr, "usage: bench_report DIR [CASES]\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
#ifdef __GLIBC__
	/* As parley report runs (src/cli/main.c). */
	mallopt(M_MMAP_THRESHOLD, 1 << 30);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
	if (snprintf(dir, sizeof(dir), "%s/parley-bench-report-%" PRIu64, base, cases) >=
	    (int)sizeof(dir)) {
		fprintf(stderr, "bench_report: %s: path too long\n", base);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/" MARKER, dir);
	if (access(path, F_OK) != 0) {
		if (access(dir, F_OK) == 0) {
			fprintf(stderr, "removing the incomplete %s\n", dir);
			if (nftw(dir, rm_fn, 16, FTW_DEPTH | FTW_PHYS) != 0) {
				fprintf(stderr, "bench_report: removing %s: %s\n", dir, strerror(errno));
				return 1;
			}
		}
		if (mkdir(dir, 0700) < 0) {
			fprintf(stderr, "bench_report: %s: %s\n", dir, strerror(errno));
			return 1;
		}
		fprintf(stderr, "building a channel of %" PRIu64 " cases in %s\n", cases, dir);
		generate(dir, cases);
	}
	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(path, sizeof(path), "%s/a/parley.db", dir);

	/* a. The report end to end, as parley report --by month on a. */
	pk_start = maxrss_kib();
	load0 = loadavg();
	for (int r = 0; r < RUNS; r++)
		v[r] = cli_report(pa);
	best_med(v, RUNS, &cli_b, &cli_m);
	report_runs(pa, NULL, &rb, &rm, &rep);
	pk_report = maxrss_kib();
	for (size_t i = 0; i < rep.n; i++) {
		tot[0] += rep.rows[i].requests;
		tot[1] += rep.rows[i].answered;
		tot[2] += rep.rows[i].declined;
		tot[3] += rep.rows[i].open;
		tot[4] += rep.rows[i].overdue_answer;
	}

	/* b. report_make alone over the cases' report view. */
	if (node_open(&n, pa, &e) < 0 || cases_load(n, NULL, AT, CASES_NO_BODIES, &l, &e) < 0 ||
	    cases_report_input(&l, &rin, &e) < 0)
		die("loading the cases", &e);
	for (int r = 0; r < RUNS; r++) {
		struct report x;
		t0 = bu_now();
		if (report_make(rin, l.n + l.natt, REPORT_MONTH, 0, 0, NULL, &x, &e) < 0)
			die("report_make", &e);
		v[r] = bu_now() - t0;
		report_free(&x);
	}
	best_med(v, RUNS, &make_b, &make_m);
	free(rin);
	case_list_free(&l);

	/* The report's floors: a raw full scan of the entries (what any
	 * report read from the logs reads), and of the facts rows (what
	 * ours reads: store_facts.c). */
	for (int r = 0; r < RUNS; r++)
		v[r] = raw_scan(path, "SELECT envelope FROM entry", &rows, &bytes);
	best_med(v, RUNS, &scan_b, &scan_m);
	for (int r = 0; r < RUNS; r++)
		v[r] = raw_scan(path, "SELECT data FROM fact", &frows, &fbytes);
	best_med(v, RUNS, &fscan_b, &fscan_m);

	/* c. Audit: export a's bundle for b, load (check) it, report from it. */
	t0 = bu_now();
	if (audit_export(n, B, 0, 0, &bundle, &blen, NULL, &e) < 0)
		die("audit_export", &e);
	t_export = bu_now() - t0;
	node_close(n);
	t0 = bu_now();
	if (audit_load(bundle, blen, &aud, NULL, NULL, &e) < 0)
		die("audit_load", &e);
	t_load = bu_now() - t0;
	aud->now = fake_now;
	report_runs(NULL, aud, &ab, &am, &arep);
	pk_audit = maxrss_kib();
	node_close(aud);
	for (int r = 0; r < RUNS; r++)
		v[r] = raw_bundle(bundle, blen, &bentries);
	best_med(v, RUNS, &floor_b, &floor_m);
	free(bundle);

	printf("report: %" PRIu64 " cases between %s and %s in %s, --by month, as of 2026-02-05\n",
	       cases, A, B, dir);
	printf("  %zu rows; %" PRIu64 " requests, %" PRIu64 " answered, %" PRIu64 " declined, "
	       "%" PRIu64 " open, %" PRIu64 " overdue answers\n", rep.n, tot[0], tot[1], tot[2],
	       tot[3], tot[4]);
	if (rep.n) {
		const struct report_row *r = &rep.rows[rep.n / 2];
		printf("  e.g. %s: ack p50/p90 %.1f/%.1f h, answer p50/p90 %.1f/%.1f days, "
		       "%" PRIu64 " of %" PRIu64 " answered on time\n", r->period,
		       (double)r->ack_p50 / 3600, (double)r->ack_p90 / 3600,
		       (double)r->answer_p50 / 86400, (double)r->answer_p90 / 86400,
		       r->answered_on_time, r->answered);
	}
	printf("%-34s %9s %9s\n", "", "best s", "median s");
	if (cli_b < 0)
		printf("%-34s (could not run %s: set PARLEY_BIN)\n", "parley report process",
		       getenv("PARLEY_BIN") ? getenv("PARLEY_BIN") : "./build-release/parley");
	else
		printf("%-34s %9.3f %9.3f\n", "parley report --json (process)", cli_b, cli_m);
	print_timing("report in process (as parley report)", &rb, &rm);
	printf("%-34s %9.3f %9.3f\n", "report_make alone", make_b, make_m);
	printf("%-34s %9.3f %9.3f   (%" PRIu64 " rows, %" PRIu64 " bytes)\n",
	       "floor: raw SQLite scan of entries", scan_b, scan_m, rows, bytes);
	printf("%-34s %9.3f %9.3f   (%" PRIu64 " rows, %" PRIu64 " bytes)\n",
	       "floor: raw SQLite scan of facts", fscan_b, fscan_m, frows, fbytes);
	printf("%-34s %9.3f\n", "audit_export (a, for b)", t_export);
	printf("%-34s %9.3f             (bundle %zu bytes, %" PRIu64 " entries)\n", "audit_load",
	       t_load, blen, bentries);
	print_timing("report from the audited bundle", &ab, &am);
	printf("%-34s %9.3f %9.3f\n", "floor: bundle JSON parse + leaf hash", floor_b, floor_m);
	printf("ratios (best / floor best):\n");
	printf("  parley report process / raw scan  %6.2f\n", ratio(cli_b, scan_b));
	printf("  parley report process / facts scan %5.2f\n", ratio(cli_b, fscan_b));
	printf("  audit_load / JSON parse + hash    %6.2f\n", ratio(t_load, floor_b));
	printf("target report over %" PRIu64 " cases <= 0.5 s: parley report (process) %.3f s %s;"
	       " in process %.3f s %s\n", cases, cli_b, cli_b >= 0 && cli_b <= 0.5 ? "met" : "NOT MET",
	       rb.total, rb.total <= 0.5 ? "met" : "NOT MET");
	printf("reports from node a and from the bundle: %s\n",
	       rep.n == arep.n && memcmp(rep.rows, arep.rows, rep.n * sizeof(*rep.rows)) == 0
		       ? "identical" : "DIFFERENT");
	printf("load average (1 min) at the start of the measurements %.2f, at the end %.2f\n",
	       load0, loadavg());
	printf("peak RSS (ru_maxrss, so far): before the reports %ld KiB, after them %ld KiB,\n"
	       "  after the export, audit_load and its reports %ld KiB\n", pk_start, pk_report, pk_audit);
	report_free(&rep);
	report_free(&arep);
	return 0;
}
