/* cmd_store.c — parley store copy: moves a whole store between backends
 * (SQLite to PostgreSQL and back), then checks the copy. */
#include "cli/cli.h"
#include "node/node.h"
#include "store/store.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <nettle/sha2.h>

static const char store_usage[] =
	"parley store copy --from URL --to URL [--quiet] [--json]\n"
	"       parley store digest [--log ORIGIN | --all] [--dir DIR]";

/* parley store digest: one SHA-256 over what the logs hold (origins,
 * sizes, entries, checkpoints, cosignatures) read through the store
 * interface, so tests compare stores whatever their backend. With --log,
 * only that log's origin, size and entries (a sender's log and its
 * receiver's mirror then have the same digest). With --all, also the
 * parties, operators and bodies as stored: everything but the audit trail
 * and fork evidence (which grow on refused requests by design) and the
 * delivery state (which changes with every attempt), so a test can check
 * that a refusal changed nothing. */
struct digest {
	struct sha256_ctx h;
	struct store *s;
	const char *only;
	int all;    /* the bodies held in entry rows too, as stored */
	struct err *e;
};

/* Each string field with its NUL, so that fields cannot run together. */
static void digest_str(struct digest *d, const char *str)
{
	sha256_update(&d->h, strlen(str) + 1, (const uint8_t *)str);
}

static int digest_cosig(void *ctx, const struct store_cosig *c)
{
	struct digest *d = ctx;

	digest_str(d, c->cosigner);
	digest_str(d, c->line);
	return 0;
}

static int digest_cp(void *ctx, const struct store_checkpoint *c)
{
	struct digest *d = ctx;

	sha256_update(&d->h, c->note_len, (const uint8_t *)c->note);
	return store_cosig_each(d->s, c->id, digest_cosig, d, d->e);
}

static int digest_entry(void *ctx, const struct store_row *r)
{
	struct digest *d = ctx;
	char num[32];

	snprintf(num, sizeof(num), "%" PRIu64 " ", r->index);
	sha256_update(&d->h, strlen(num), (const uint8_t *)num);
	sha256_update(&d->h, r->len, (const uint8_t *)r->env);
	if (d->all) {
		snprintf(num, sizeof(num), "%c%zu", r->body ? 'b' : '-', r->body_len);
		digest_str(d, num);
		sha256_update(&d->h, r->body_len, r->body);
	}
	return 0;
}

static int digest_party(void *ctx, const struct store_party *p)
{
	struct digest *d = ctx;

	digest_str(d, p->self ? "self" : "party");
	digest_str(d, p->name);
	digest_str(d, p->vkey);
	digest_str(d, p->pin);
	digest_str(d, p->endpoint);
	return 0;
}

static int digest_operator(void *ctx, const struct store_operator *op)
{
	struct digest *d = ctx;
	char num[32];

	snprintf(num, sizeof(num), "%" PRId64 " %d", op->created, op->revoked);
	digest_str(d, op->name);
	digest_str(d, op->role);
	digest_str(d, num);
	sha256_update(&d->h, sizeof(op->token_hash), op->token_hash);
	return 0;
}

static int digest_body(void *ctx, const uint8_t hash[static 32], const void *data, size_t len)
{
	struct digest *d = ctx;
	char num[32];

	snprintf(num, sizeof(num), "%zu", len);
	sha256_update(&d->h, 32, hash);
	digest_str(d, num);
	sha256_update(&d->h, len, data);
	return 0;
}

/* Parties (self first), operators and bodies, for --all. */
static int digest_rest(struct digest *d)
{
	struct store_party self;
	int rc;

	if ((rc = store_party_self(d->s, &self, d->e)) == 0)
		digest_party(d, &self);
	else if (rc != ERR_NOTFOUND)
		return rc;
	if ((rc = store_party_each(d->s, digest_party, d, d->e)) < 0 ||
	    (rc = store_operator_each(d->s, digest_operator, d, d->e)) < 0)
		return rc;
	return store_body_each(d->s, digest_body, d, d->e);
}

static int digest_log(void *ctx, const struct store_log *log)
{
	struct digest *d = ctx;
	char head[STORE_ORIGIN_MAX + 40];
	int rc;

	if (d->only && strcmp(d->only, log->origin) != 0)
		return 0;
	snprintf(head, sizeof(head), "%s %" PRIu64 "\n", log->origin, log->size);
	sha256_update(&d->h, strlen(head), (const uint8_t *)head);
	if ((rc = store_scan(d->s, log->id, digest_entry, d, d->e)) < 0 || d->only)
		return rc;
	return store_checkpoint_each(d->s, log->id, digest_cp, d, d->e);
}

static int store_digest_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log", required_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dir = NULL;
	struct digest d;
	struct node *n = NULL;
	struct err e = { 0 };
	uint8_t out[SHA256_DIGEST_SIZE];
	char hex[65];
	int c, all = 0, rc;

	memset(&d, 0, sizeof(d));
	optind = 1;
	while ((c = getopt_long(argc, argv, "hl:d:", opts, NULL)) != -1) {
		switch (c) {
		case 'l': d.only = optarg; break;
		case 'a': all = 1; break;
		case 'd': dir = optarg; break;
		case 'h':
			printf("usage: %s\n\n"
			       "digest prints one SHA-256 over what the node's logs hold (origins,\n"
			       "sizes, entries, checkpoints, cosignatures), read through the store\n"
			       "interface whatever the backend; --log ORIGIN: that log's entries only;\n"
			       "--all: also the parties, operators and bodies as stored (not the audit\n"
			       "trail, fork evidence or delivery state).\n",
			       store_usage);
			return CLI_OK;
		default:
			return cli_usage("store digest", store_usage, "bad option");
		}
	}
	if (optind != argc)
		return cli_usage("store digest", store_usage, "unexpected argument '%s'", argv[optind]);
	if (all && d.only)
		return cli_usage("store digest", store_usage, "--log and --all exclude each other");
	sha256_init(&d.h);
	d.e = &e;
	d.all = all;
	if ((rc = node_open(&n, cli_dir(dir), &e)) == 0) {
		d.s = n->store;
		rc = store_log_each(n->store, digest_log, &d, &e);
		if (rc == 0 && all)
			rc = digest_rest(&d);
	}
	node_close(n);
	if (rc < 0)
		return cli_error("store digest", &e, 0);
	sha256_digest(&d.h, sizeof(out), out);
	merkle_hex(hex, out);
	printf("%s\n", hex);
	return CLI_OK;
}

/* Progress on stderr: a line per log when it is done, and every 10,000
 * entries of a long one. */
struct progress {
	int quiet;
	char last[STORE_ORIGIN_MAX + 1];
	uint64_t shown;
	const char *verb;
};

static void show(void *ctx, const char *what, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	int same = strcmp(p->last, what) == 0;

	if (p->quiet)
		return;
	if (!same) {
		snprintf(p->last, sizeof(p->last), "%s", what);
		p->shown = 0;
	}
	if (total && done < total && done - p->shown < 10000)
		return;
	if (!total && done - p->shown < 10000)
		return;
	p->shown = done;
	if (total)
		fprintf(stderr, "%s %s: %" PRIu64 " of %" PRIu64 "%s\n", p->verb, what,
			done, total, strcmp(what, "bodies") == 0 ? "" : " entries");
	else
		fprintf(stderr, "%s %s: %" PRIu64 "\n", p->verb, what, done);
}

int cli_store_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *from = NULL, *to = NULL;
	struct store *a = NULL, *b = NULL;
	struct store_copy_stats st;
	struct progress p = { .verb = "copied" };
	struct err e = { 0 };
	int c, json = 0, rc;

	if (argc > 1 && strcmp(argv[1], "digest") == 0)
		return store_digest_main(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "hqf:t:", opts, NULL)) != -1) {
		switch (c) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'q': p.quiet = 1; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Copies every party, operator, body, log, checkpoint and receipt of\n"
			       "the store at --from into the empty store at --to, then checks the\n"
			       "copy: same parties, operators and bodies, and for every log the\n"
			       "same root (rehashed from the copied entries), checkpoints and\n"
			       "cosignatures. URLs: sqlite:PATH or postgresql://... (a libpq URI;\n"
			       "keep passwords in ~/.pgpass, not on the command line). Stop\n"
			       "parley serve on the source first. Bodies stay sealed under the\n"
			       "node's data key: copy data.key with the node directory.\n"
			       "Progress goes to stderr; --quiet silences it.\n",
			       store_usage);
			return CLI_OK;
		default:
			return cli_usage("store", store_usage, "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage("store", store_usage, "missing subcommand");
	if (strcmp(argv[optind], "copy") != 0)
		return cli_usage("store", store_usage, "unknown subcommand '%s'", argv[optind]);
	if (argc - optind != 1)
		return cli_usage("store", store_usage, "copy takes no argument");
	if (!from || !to)
		return cli_usage("store", store_usage, "copy needs --from and --to");
	if (strcmp(from, to) == 0)
		return cli_usage("store", store_usage, "--from and --to are the same store");
	if ((rc = store_open(&a, from, &e)) < 0) {
		err_wrap(&e, "source");
		goto out;
	}
	if ((rc = store_open(&b, to, &e)) < 0) {
		err_wrap(&e, "target");
		goto out;
	}
	if ((rc = store_copy(a, b, show, &p, &e)) < 0)
		goto out;
	p.verb = "verified";
	p.last[0] = '\0';
	if ((rc = store_compare(a, b, show, &p, &st, &e)) < 0) {
		err_wrap(&e, "the copy does not verify");
		goto out;
	}
	if (json)
		cli_print_json(json_pack("{s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
					 "from", from, "to", to, "verified", 1,
					 "parties", (json_int_t)st.parties,
					 "operators", (json_int_t)st.operators,
					 "bodies", (json_int_t)st.bodies,
					 "logs", (json_int_t)st.logs,
					 "entries", (json_int_t)st.entries,
					 "checkpoints", (json_int_t)st.checkpoints,
					 "cosignatures", (json_int_t)st.cosigs));
	else
		printf("copied and verified: %" PRIu64 " parties, %" PRIu64 " operators, %"
		       PRIu64 " bodies, %" PRIu64 " logs, %" PRIu64 " entries, %" PRIu64
		       " checkpoints, %" PRIu64 " cosignatures\n", st.parties, st.operators,
		       st.bodies, st.logs, st.entries, st.checkpoints, st.cosigs);
out:
	store_close(a);
	store_close(b);
	return rc < 0 ? cli_error("store", &e, json) : CLI_OK;
}
