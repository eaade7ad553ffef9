/* cmd_demo.c — parley demo: two parties in a temporary directory exchange
 * a few hundred messages through the full protocol (signed checkpoints,
 * cosigned receipts), cross-check their copies and verify both stores.
 * Transport is in-process until node-to-node delivery over mutual TLS
 * lands; every check on the way is the one the network will run. */
#include "cli/cli.h"
#include "node/node.h"

#include <errno.h>
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

/* Delivers everything in log sender->receiver that the receiver lacks, in
 * batches; prints one line per batch. */
static int deliver(struct node *tx, struct node *rx, uint64_t *next,
		   size_t batch, struct err *e)
{
	struct store_log log;
	char line[512];
	int rc;

	if ((rc = store_log_get(tx->store, tx->cfg.name, rx->cfg.name, 0, &log, e)) < 0)
		return rc;
	while (*next < log.size) {
		struct node_batch b;
		uint64_t t;

		if ((rc = node_batch_make(tx, rx->cfg.name, *next, batch, &b, e)) < 0)
			return rc;
		rc = node_receive(rx, &b, line, sizeof(line), e);
		if (rc == 0)
			rc = node_receipt_add(tx, rx->cfg.name, b.note, b.note_len, line, &t, e);
		if (rc == 0)
			printf("  %s: entries %" PRIu64 "..%" PRIu64 " delivered, receipt from %s at %" PRIu64 "\n",
			       b.origin, b.first, b.first + b.n - 1, rx->cfg.name, t);
		*next = b.first + b.n;
		node_batch_free(&b);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Entry by entry and root by root, both copies of a log must be equal. */
static int cross_check(struct node *a, struct node *b, const char *from,
		       const char *to, struct err *e)
{
	struct store_log la, lb;
	uint8_t ra[32], rb[32];
	char ha[65];
	int rc;

	if ((rc = store_log_get(a->store, from, to, 0, &la, e)) < 0 ||
	    (rc = store_log_get(b->store, from, to, 0, &lb, e)) < 0)
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
	printf("  %s: %" PRIu64 " entries identical on both nodes, root %s\n",
	       la.origin, la.size, ha);
	return 0;
}

struct print_ctx {
	int dummy;
};

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

static int run(const char *dir, int messages, struct err *e)
{
	char pa[1100], pb[1100], vk[NOTE_KEY_STR_MAX];
	struct node *a = NULL, *b = NULL;
	struct node_msg *msgs = NULL;
	char (*bodies)[160] = NULL;
	uint64_t next_ab = 0, next_ba = 0, first;
	int rc, replies = messages * 2 / 5;

	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(pb, sizeof(pb), "%s/b", dir);
	printf("== two parties in %s\n", dir);
	if ((rc = node_init(pa, A_NAME, NULL, NULL, e)) < 0 || (rc = node_init(pb, B_NAME, NULL, NULL, e)) < 0 ||
	    (rc = node_open(&a, pa, e)) < 0 || (rc = node_open(&b, pb, e)) < 0)
		goto out;
	if ((rc = node_identity(a, vk, sizeof(vk), e)) < 0 ||
	    (rc = node_peer_add(b, vk, e)) < 0)
		goto out;
	printf("  %s\n", vk);
	if ((rc = node_identity(b, vk, sizeof(vk), e)) < 0 ||
	    (rc = node_peer_add(a, vk, e)) < 0)
		goto out;
	printf("  %s\n", vk);

	msgs = calloc((size_t)messages, sizeof(*msgs));
	bodies = calloc((size_t)messages, sizeof(*bodies));
	if (!msgs || !bodies) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	printf("\n== %s sends %d requests to %s\n", A_NAME, messages, B_NAME);
	for (int i = 0; i < messages; i++) {
		int n = snprintf(bodies[i], sizeof(bodies[i]),
				 "{\"subject\":\"incident %d\",\"text\":\"scanning from 192.0.2.%d, please investigate\"}",
				 i, i % 250);
		msgs[i] = (struct node_msg){ .kind = ENVELOPE_REQUEST,
					     .type = i % 3 ? "cyber-incident" : "request-for-assistance",
					     .body = bodies[i], .body_len = (size_t)n };
	}
	/* Appended in groups, delivered in batches of 64. */
	for (int i = 0; i < messages; i += 100) {
		int k = messages - i < 100 ? messages - i : 100;
		if ((rc = node_send(a, B_NAME, msgs + i, (size_t)k, &first, e)) < 0 ||
		    (rc = deliver(a, b, &next_ab, 64, e)) < 0)
			goto out;
	}

	printf("\n== %s acknowledges and answers %d of them\n", B_NAME, replies);
	for (int i = 0; i < replies; i++) {
		int n = snprintf(bodies[i], sizeof(bodies[i]),
				 "{\"text\":\"%s for incident %d\"}",
				 i % 2 ? "answer" : "acknowledged", i / 2);
		msgs[i] = (struct node_msg){ .kind = i % 2 ? ENVELOPE_ANSWER : ENVELOPE_ACK,
					     .type = "cyber-incident", .case_from = A_NAME,
					     .case_index = (uint64_t)(i / 2) * 3 + 1,
					     .body = bodies[i], .body_len = (size_t)n };
	}
	if ((rc = node_send(b, A_NAME, msgs, (size_t)replies, &first, e)) < 0 ||
	    (rc = deliver(b, a, &next_ba, 64, e)) < 0)
		goto out;

	printf("\n== cross-check: each log is the same on both nodes\n");
	if ((rc = cross_check(a, b, A_NAME, B_NAME, e)) < 0 ||
	    (rc = cross_check(a, b, B_NAME, A_NAME, e)) < 0)
		goto out;

	printf("\n== latest checkpoints with their receipts (C2SP signed notes)");
	if ((rc = print_checkpoint(a, A_NAME, B_NAME, e)) < 0 ||
	    (rc = print_checkpoint(b, B_NAME, A_NAME, e)) < 0)
		goto out;

	printf("\n== parley verify --dir %s\n", pa);
	if ((rc = node_verify(a, stdout, e)) < 0)
		goto out;
	printf("verify: ok\n");
	printf("\n== parley verify --dir %s\n", pb);
	if ((rc = node_verify(b, stdout, e)) < 0)
		goto out;
	printf("verify: ok\n");
out:
	free(msgs);
	free(bodies);
	node_close(a);
	node_close(b);
	return rc;
}

static int remove_tree(const char *dir)
{
	static const char *const files[] = { "parley.conf", "identity.key", "parley.db",
					     "parley.db-wal", "parley.db-shm" };
	char p[1200];

	for (int s = 0; s < 2; s++) {
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(p, sizeof(p), "%s/%c/%s", dir, "ab"[s], files[i]);
			unlink(p);
		}
		snprintf(p, sizeof(p), "%s/%c", dir, "ab"[s]);
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
			       "Creates two parties (%s, %s) in a temporary directory\n"
			       "(or DIR, which must not hold a node), sends N requests (default 300)\n"
			       "one way and acknowledgements and answers the other way through the\n"
			       "full protocol: signed checkpoints, receiver cross-checks, cosigned\n"
			       "receipts. Then cross-checks both copies of each log, prints the\n"
			       "latest checkpoints with their receipts and verifies both stores.\n"
			       "The directory is removed afterwards unless --keep or --dir.\n",
			       demo_usage, A_NAME, B_NAME);
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
