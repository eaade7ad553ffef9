/* cmd_import.c — parley import --register: a spreadsheet register of past
 * requests with a peer, brought into our log as entries attested by us
 * only (core/register.h). All rows or none: one transaction. */
#include "cli/cli.h"
#include "node/cases.h"
#include "util/fsio.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char import_usage[] =
	"parley import --register FILE.csv --peer P [--dry-run] [--json] [--quiet] [--dir DIR]";

static void parse_progress(void *ctx, size_t rows)
{
	if (ctx)
		fprintf(ctx, "import: %zu rows read\n", rows);
}

int cli_import_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "register", required_argument, NULL, 'r' },
		{ "peer", required_argument, NULL, 'p' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *file = NULL, *peer = NULL, *dir = NULL;
	int dry = 0, json = 0, quiet = 0, c, rc;
	struct register_rec *recs = NULL;
	size_t nrec = 0, len;
	uint64_t first = 0, sent = 0, answered = 0;
	struct node *n = NULL;
	struct err e = { 0 };
	char *buf = NULL;
	FILE *progress;

	while ((c = getopt_long(argc, argv, "hr:p:nd:jq", opts, NULL)) != -1) {
		switch (c) {
		case 'r': file = optarg; break;
		case 'p': peer = optarg; break;
		case 'n': dry = 1; break;
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Brings an existing register of past requests with PEER (a CSV file,\n"
			       "as a spreadsheet exports it) into our log to PEER: one entry of kind\n"
			       "register per row. The peer receipts the entries, which proves that\n"
			       "and when we made the claim, not that it is true: reports count them\n"
			       "apart, as attested by us only. Columns (header row, any order):\n"
			       "  date         YYYY-MM-DD (or YYYY-MM-DDTHH:MM:SSZ), not in the future\n"
			       "  direction    sent | received, from our side\n"
			       "  type         a case type name, e.g. cyber-incident\n"
			       "  answered     yes | no\n"
			       "  answered_on  optional: the date of the answer\n"
			       "  ref          optional: the register's own reference\n"
			       "Every row is checked first; any fault names its row and nothing is\n"
			       "written. All rows are appended in one transaction. --dry-run checks\n"
			       "only. Up to %d rows.\n", import_usage, REGISTER_ROWS_MAX);
			return CLI_OK;
		default:
			return cli_usage("import", import_usage, "bad option");
		}
	}
	if (!file || !peer || optind != argc)
		return cli_usage("import", import_usage, "--register FILE.csv and --peer P are required");
	progress = quiet ? NULL : stderr;
	if ((rc = fsio_read(file, 256u << 20, &buf, &len, &e)) < 0 ||
	    (rc = register_csv_parse(buf, len, &recs, &nrec, parse_progress, progress, &e)) < 0 ||
	    (rc = node_open(&n, cli_dir(dir), &e)) < 0)
		goto out;
	for (size_t i = 0; i < nrec; i++) {
		sent += (uint64_t)recs[i].sent;
		answered += (uint64_t)recs[i].answered;
	}
	if (!dry) {
		if (progress && nrec >= 100000)
			fprintf(progress, "import: appending %zu entries in one transaction\n", nrec);
		rc = cases_import_register(n, peer, recs, nrec, &first, &e);
	} else {
		struct store_party p;
		if ((rc = store_party_get(n->store, peer, &p, &e)) == ERR_NOTFOUND)
			rc = err_set(&e, ERR_NOTFOUND, "no peer named '%s'", peer);
	}
out:
	node_close(n);
	free(buf);
	free(recs);
	if (rc < 0)
		return cli_error("import", &e, json);
	if (json)
		cli_print_json(json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:o}", "peer", peer, "dry_run", dry,
					 "rows", (json_int_t)nrec, "sent", (json_int_t)sent, "received",
					 (json_int_t)(nrec - sent), "answered", (json_int_t)answered,
					 "first_index", dry ? json_null() : json_integer((json_int_t)first)));
	else if (dry)
		printf("%s: %zu rows are valid (%" PRIu64 " sent, %zu received, %" PRIu64 " answered); nothing written\n",
		       file, nrec, sent, nrec - (size_t)sent, answered);
	else
		printf("imported %zu register rows with %s as entries %" PRIu64 "..%" PRIu64
		       " of our log (%" PRIu64 " sent, %zu received, %" PRIu64 " answered);\n"
		       "they are attested by us only, and reports show them apart\n",
		       nrec, peer, first, first + nrec - 1, sent, nrec - (size_t)sent, answered);
	return CLI_OK;
}
