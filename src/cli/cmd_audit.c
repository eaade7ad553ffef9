/* cmd_audit.c — parley export --audit and parley audit: a redacted bundle
 * of a channel, and its independent check with no node and no secrets. */
#include "cli/cli.h"
#include "node/audit.h"
#include "util/fsio.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const char export_usage[] = "parley export --audit PEER FILE [--dir DIR]";

int cli_export_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "audit", required_argument, NULL, 'a' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dir = NULL, *peer = NULL;
	struct node *n = NULL;
	struct err e = { 0 };
	char *json = NULL;
	size_t len = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "ha:d:", opts, NULL)) != -1) {
		switch (c) {
		case 'a': peer = optarg; break;
		case 'd': dir = optarg; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Writes a redacted audit bundle of the channel with PEER to FILE (which\n"
			       "must not exist): both logs' envelopes up to their latest checkpoints,\n"
			       "the signed checkpoints and their receipts, the charters, both verifier\n"
			       "keys; no bodies, no attachments, no secrets. 'parley audit FILE' checks\n"
			       "it anywhere and recomputes the report.\n", export_usage);
			return CLI_OK;
		default:
			return cli_usage("export", export_usage, "bad option");
		}
	}
	if (!peer || argc - optind != 1)
		return cli_usage("export", export_usage, "--audit PEER and one FILE are required");
	if ((rc = node_open(&n, cli_dir(dir), &e)) == 0 &&
	    (rc = audit_export(n, peer, &json, &len, stderr, &e)) == 0)
		rc = fsio_create(argv[optind], 0644, json, len, &e);
	node_close(n);
	free(json);
	if (rc < 0)
		return cli_error("export", &e, 0);
	printf("wrote the audit bundle of the channel with %s to %s (%zu bytes)\n", peer,
	       argv[optind], len);
	return CLI_OK;
}

static const char audit_usage[] =
	"parley audit FILE [--format table|json|csv|markdown] [--by month|quarter|year] [--at TIME]";

int cli_audit_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "by", required_argument, NULL, 'b' },
		{ "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *format = "table";
	int by = 0, c, rc;
	int64_t at = 0;
	struct node *n = NULL;
	struct err e = { 0 };
	char *json = NULL;
	size_t len;

	while ((c = getopt_long(argc, argv, "hF:b:a:j", opts, NULL)) != -1) {
		switch (c) {
		case 'F': format = optarg; break;
		case 'j': format = "json"; break;
		case 'b':
			if ((by = cli_report_by(optarg)) < 0)
				return cli_usage("audit", audit_usage, "--by is month, quarter or year");
			break;
		case 'a':
			if (envelope_time_parse(optarg, strlen(optarg), &at) < 0)
				return cli_usage("audit", audit_usage, "--at takes YYYY-MM-DDTHH:MM:SSZ");
			break;
		case 'h':
			printf("usage: %s\n\n"
			       "Checks an audit bundle with no node and no secrets: every envelope,\n"
			       "every root against every signed checkpoint, every signature and every\n"
			       "receipt (cosignature), consistency between successive checkpoints, the\n"
			       "charters; then recomputes and prints the report. Anything wrong: exit 1\n"
			       "naming it.\n", audit_usage);
			return CLI_OK;
		default:
			return cli_usage("audit", audit_usage, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage("audit", audit_usage, "name one FILE");
	if (!cli_report_format_valid(format))
		return cli_usage("audit", audit_usage, "--format is table, json, csv or markdown");
	if (sodium_init() < 0)
		return CLI_FAIL;
	rc = fsio_read(argv[optind], 1u << 30, &json, &len, &e);
	if (rc == 0 && (rc = audit_load(json, len, &n, strcmp(format, "json") ? stderr : NULL, &e)) == 0)
		rc = cli_report_print(n, NULL, by, 0, 0, NULL, format, at, &e);
	free(json);
	node_close(n);
	if (rc < 0) {
		fprintf(stderr, "parley audit: FAILED: %s\n", e.msg);
		return CLI_FAIL;
	}
	return CLI_OK;
}
