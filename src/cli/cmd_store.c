/* cmd_store.c — parley store copy: moves a whole store between backends
 * (SQLite to PostgreSQL and back), then checks the copy. */
#include "cli/cli.h"
#include "store/store.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

static const char store_usage[] =
	"parley store copy --from URL --to URL [--quiet] [--json]";

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
