/* cmd_offline.c — delivery by file for air-gapped links: parley outbox
 * export, parley inbox import, parley receipts import (net/offline.h). */
#include "cli/cli.h"
#include "net/offline.h"
#include "util/fsio.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char export_usage[] =
	"parley outbox export PEER FILE [--batches N] [--json] [--quiet] [--dir DIR]";

/* argv[0] is "export". */
int cli_outbox_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "batches", required_argument, NULL, 'b' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dir = NULL;
	unsigned long batches = 100;
	int json = 0, quiet = 0, c, rc;
	struct node *n = NULL;
	struct err e = { 0 };
	uint64_t entries = 0;
	char *out = NULL, *end;
	size_t len = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hb:d:jq", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			batches = strtoul(optarg, &end, 10);
			if (*end || !*optarg || batches == 0 || batches > 100000)
				return cli_usage("outbox export", export_usage, "--batches takes 1..100000");
			break;
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Writes everything PEER has not receipted (at most N batches of up to\n"
			       "1000 entries, default 100) to FILE, which must not exist: the same\n"
			       "batches, bodies, attachments and signed checkpoints online delivery\n"
			       "sends. Carry it across; the peer runs 'parley inbox import FILE\n"
			       "--receipts OUT' and carries OUT back for 'parley receipts import OUT'.\n"
			       "Online and offline delivery may be mixed on one channel.\n", export_usage);
			return CLI_OK;
		default:
			return cli_usage("outbox export", export_usage, "bad option");
		}
	}
	if (argc - optind != 2)
		return cli_usage("outbox export", export_usage, "name a PEER and a FILE");
	if ((rc = node_open(&n, cli_dir(dir), &e)) == 0 &&
	    (rc = offline_export(n, argv[optind], batches, &out, &len, &entries, quiet ? NULL : stderr,
				 &e)) == 0)
		rc = fsio_create(argv[optind + 1], 0600, out, len, &e);
	node_close(n);
	free(out);
	if (rc < 0)
		return cli_error("outbox export", &e, json);
	if (json)
		cli_print_json(json_pack("{s:s,s:s,s:I,s:I}", "peer", argv[optind], "file", argv[optind + 1],
					 "entries", (json_int_t)entries, "bytes", (json_int_t)len));
	else
		printf("wrote %" PRIu64 " entries for %s to %s (%zu bytes)\n", entries, argv[optind],
		       argv[optind + 1], len);
	return CLI_OK;
}

static const char inbox_usage[] = "parley inbox import FILE --receipts OUT [--json] [--dir DIR]";

int cli_inbox_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "receipts", required_argument, NULL, 'r' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dir = NULL, *outfile = NULL;
	int json = 0, c, rc, rc2 = 0;
	struct node *n = NULL;
	struct err e = { 0 }, e2 = { 0 };
	char *text = NULL, *receipts = NULL;
	size_t len, rlen = 0, held = 0;

	while ((c = getopt_long(argc, argv, "hr:d:j", opts, NULL)) != -1) {
		switch (c) {
		case 'r': outfile = optarg; break;
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Ingests a delivery file made by 'parley outbox export', batch by\n"
			       "batch, with exactly the checks of online delivery (signatures, roots,\n"
			       "order, forks), and writes our receipts to OUT (which must not exist)\n"
			       "for the sender's 'parley receipts import'. A refused batch changes\n"
			       "nothing; batches before it are held and receipted.\n", inbox_usage);
			return CLI_OK;
		default:
			return cli_usage("inbox", inbox_usage, "bad option");
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "import") != 0 || !outfile)
		return cli_usage("inbox", inbox_usage, "say import FILE and --receipts OUT");
	if ((rc = fsio_read(argv[optind + 1], OFFLINE_FILE_MAX, &text, &len, &e)) == 0 &&
	    (rc = node_open(&n, cli_dir(dir), &e)) == 0) {
		rc = offline_import(n, text, len, &receipts, &rlen, &held, &e);
		if (receipts && held)
			rc2 = fsio_create(outfile, 0644, receipts, rlen, &e2);
	}
	node_close(n);
	free(text);
	free(receipts);
	if (rc2 < 0)
		return cli_error("inbox", &e2, json);
	if (rc < 0) {
		if (held)
			fprintf(stderr, "parley inbox: %zu batches were held; their receipts are in %s\n", held,
				outfile);
		return cli_error("inbox", &e, json);
	}
	if (json)
		cli_print_json(json_pack("{s:I,s:s}", "batches", (json_int_t)held, "receipts", outfile));
	else
		printf("held %zu batches; receipts written to %s\n", held, outfile);
	return CLI_OK;
}

static const char receipts_usage[] = "parley receipts import FILE [--json] [--dir DIR]";

int cli_receipts_main(int argc, char **argv)
{
	const char *dir = NULL;
	int json = 0, rc;
	struct node *n = NULL;
	struct err e = { 0 };
	char *text = NULL;
	size_t len, count = 0;
	uint64_t size = 0;

	if ((rc = cli_dir_json_opts(argc, argv, "receipts", receipts_usage,
					   "Checks and stores the receipts a peer wrote with 'parley inbox import':\n"
					   "each must be the peer's valid cosignature of our own checkpoint.\n",
					   &dir, &json)) >= 0)
		return rc;
	if (argc - optind != 2 || strcmp(argv[optind], "import") != 0)
		return cli_usage("receipts", receipts_usage, "say import FILE");
	if ((rc = fsio_read(argv[optind + 1], 64u << 20, &text, &len, &e)) == 0 &&
	    (rc = node_open(&n, cli_dir(dir), &e)) == 0)
		rc = offline_receipts(n, text, len, &count, &size, &e);
	node_close(n);
	free(text);
	if (rc < 0)
		return cli_error("receipts", &e, json);
	if (json)
		cli_print_json(json_pack("{s:I,s:I}", "receipts", (json_int_t)count, "receipted_size",
					 (json_int_t)size));
	else
		printf("stored %zu receipts; receipted up to size %" PRIu64 "\n", count, size);
	return CLI_OK;
}
