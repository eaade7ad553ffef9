/* cmd_audit.c — parley export --audit and parley audit: a redacted bundle
 * of a channel, and its independent check with no node and no secrets. */
#include "cli/cli.h"
#include "node/reports.h"
#include "node/audit.h"
#include "util/fsio.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

static const char export_usage[] =
	"parley export --audit PEER FILE [--from DATE] [--to DATE] [--json] [--quiet] [--dir DIR]";

int cli_export_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "audit", required_argument, NULL, 'a' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dir = NULL, *peer = NULL;
	int64_t from = 0, to = 0;
	int json_out = 0, quiet = 0, c, rc;
	struct node *n = NULL;
	struct err e = { 0 };
	char *json = NULL;
	size_t len = 0;

	while ((c = getopt_long(argc, argv, "ha:f:t:d:jq", opts, NULL)) != -1) {
		switch (c) {
		case 'a': peer = optarg; break;
		case 'd': dir = optarg; break;
		case 'j': json_out = 1; break;
		case 'q': quiet = 1; break;
		case 'f':
			if (cli_report_date(optarg, &from) < 0)
				return cli_usage("export", export_usage, "--from takes YYYY-MM-DD");
			break;
		case 't':
			if (cli_report_date(optarg, &to) < 0)
				return cli_usage("export", export_usage, "--to takes YYYY-MM-DD");
			break;
		case 'h':
			printf("usage: %s\n\n"
			       "Writes a redacted audit bundle of the channel with PEER to FILE (which\n"
			       "must not exist): both logs' envelopes up to their latest checkpoints,\n"
			       "the signed checkpoints and their receipts, the charters, the records\n"
			       "of imported registers, both verifier keys; no request or reply text,\n"
			       "no attachments, no secrets. --from/--to set the period the auditor's\n"
			       "report covers (--to exclusive); the logs stay whole, since every root\n"
			       "is recomputed from the first entry. 'parley audit FILE' checks it\n"
			       "anywhere and recomputes the report. Progress goes to stderr.\n",
			       export_usage);
			return CLI_OK;
		default:
			return cli_usage("export", export_usage, "bad option");
		}
	}
	if (!peer || argc - optind != 1)
		return cli_usage("export", export_usage, "--audit PEER and one FILE are required");
	if (to && to <= from)
		return cli_usage("export", export_usage, "--to must be after --from");
	if ((rc = node_open(&n, cli_dir(dir), &e)) == 0 &&
	    (rc = audit_export(n, peer, from, to, &json, &len, quiet ? NULL : stderr, &e)) == 0)
		rc = fsio_create(argv[optind], 0644, json, len, &e);
	node_close(n);
	free(json);
	if (rc < 0)
		return cli_error("export", &e, json_out);
	if (json_out)
		cli_print_json(json_pack("{s:s,s:s,s:I}", "peer", peer, "file", argv[optind], "bytes",
					 (json_int_t)len));
	else
		printf("wrote the audit bundle of the channel with %s to %s (%zu bytes)\n", peer,
		       argv[optind], len);
	return CLI_OK;
}

static const char audit_usage[] =
	"parley audit FILE [--reciprocity] [--by month|quarter|year] [--type T] [--from DATE] [--to DATE]\n"
	"                  [--format table|json|csv|markdown] [--json] [--at TIME] [--quiet]";

int cli_audit_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "by", required_argument, NULL, 'b' },
		{ "type", required_argument, NULL, 'T' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "at", required_argument, NULL, 'a' },
		{ "reciprocity", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	struct reports_opts o = { .format = "table" };
	struct audit_info info;
	int c, rc, quiet = 0, has_from = 0, has_to = 0;
	struct node *n = NULL;
	struct err e = { 0 };
	char *json = NULL;
	size_t len;

	while ((c = getopt_long(argc, argv, "hF:b:T:f:t:a:rjq", opts, NULL)) != -1) {
		switch (c) {
		case 'F': o.format = optarg; break;
		case 'j': o.format = "json"; break;
		case 'T': o.type = optarg; break;
		case 'r': o.reciprocity = 1; break;
		case 'q': quiet = 1; break;
		case 'b':
			if ((o.by = cli_report_by(optarg)) < 0)
				return cli_usage("audit", audit_usage, "--by is month, quarter or year");
			break;
		case 'f':
			if (cli_report_date(optarg, &o.from) < 0)
				return cli_usage("audit", audit_usage, "--from takes YYYY-MM-DD");
			has_from = 1;
			break;
		case 't':
			if (cli_report_date(optarg, &o.to) < 0)
				return cli_usage("audit", audit_usage, "--to takes YYYY-MM-DD");
			has_to = 1;
			break;
		case 'a':
			if (envelope_time_parse(optarg, strlen(optarg), &o.at) < 0)
				return cli_usage("audit", audit_usage, "--at takes YYYY-MM-DDTHH:MM:SSZ");
			break;
		case 'h':
			printf("usage: %s\n\n"
			       "Checks an audit bundle with no node and no secrets: every envelope,\n"
			       "every root against every signed checkpoint, every signature and every\n"
			       "receipt (cosignature), consistency between successive checkpoints, no\n"
			       "two trees of one size (a fork), the charters and register records;\n"
			       "then recomputes and prints the report, over the bundle's period unless\n"
			       "--from/--to say otherwise. Anything wrong: exit 1 naming it. Progress\n"
			       "goes to stderr.\n", audit_usage);
			return CLI_OK;
		default:
			return cli_usage("audit", audit_usage, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage("audit", audit_usage, "name one FILE");
	if (!cli_report_format_valid(o.format))
		return cli_usage("audit", audit_usage, "--format is table, json, csv or markdown");
	if (sodium_init() < 0)
		return CLI_FAIL;
	rc = fsio_read(argv[optind], 1u << 30, &json, &len, &e);
	if (rc == 0 && (rc = audit_load(json, len, &n, &info, quiet ? NULL : stderr, &e)) == 0) {
		if (!has_from)
			o.from = info.from;
		if (!has_to)
			o.to = info.to;
		if (o.to && o.to <= o.from)
			rc = err_set(&e, ERR_INVALID, "--to must be after --from");
		else
			rc = reports_print(n, &o, stdout, stderr, &e);
	}
	free(json);
	node_close(n);
	if (rc < 0) {
		if (!strcmp(o.format, "json"))
			return cli_error("audit", &e, 1);
		fprintf(stderr, "parley audit: FAILED: %s\n", e.msg);
		return CLI_FAIL;
	}
	return CLI_OK;
}
