/* cmd_report.c — parley report: response statistics from both logs of
 * each channel. The same channel, period and --at give the same bytes on
 * both nodes and from an audit bundle. Two views: one row per direction
 * and period, or (--reciprocity) the two directions of each channel side
 * by side. Requests attested by one side only (imported registers) are
 * always shown apart from proven ones. */
#include "cli/cli.h"
#include "node/reports.h"
#include "node/cases.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char report_usage[] =
	"parley report [--peer P] [--from DATE] [--to DATE] [--by month|quarter|year] [--type T]\n"
	"              [--reciprocity] [--format table|json|csv|markdown] [--json] [--at TIME] [--dir DIR]";

int cli_report_date(const char *s, int64_t *t)
{
	return envelope_date_parse(s, strlen(s), t);
}

int cli_report_by(const char *s)
{
	return strcmp(s, "month") == 0 ? REPORT_MONTH : strcmp(s, "quarter") == 0 ? REPORT_QUARTER
	       : strcmp(s, "year") == 0 ? REPORT_YEAR : -1;
}

int cli_report_format_valid(const char *f)
{
	return !strcmp(f, "table") || !strcmp(f, "json") || !strcmp(f, "csv") || !strcmp(f, "markdown");
}

int cli_report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "peer", required_argument, NULL, 'p' }, { "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' }, { "by", required_argument, NULL, 'b' },
		{ "type", required_argument, NULL, 'T' }, { "format", required_argument, NULL, 'F' },
		{ "at", required_argument, NULL, 'a' }, { "dir", required_argument, NULL, 'd' },
		{ "reciprocity", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	struct reports_opts o = { .format = "table" };
	const char *dir = NULL;
	struct node *n = NULL;
	struct err e = { 0 };
	int c, rc;

	while ((c = getopt_long(argc, argv, "hp:f:t:b:T:F:a:d:rj", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.peer = optarg; break;
		case 'T': o.type = optarg; break;
		case 'F': o.format = optarg; break;
		case 'j': o.format = "json"; break;
		case 'r': o.reciprocity = 1; break;
		case 'd': dir = optarg; break;
		case 'f':
			if (cli_report_date(optarg, &o.from) < 0)
				return cli_usage("report", report_usage, "--from takes YYYY-MM-DD");
			break;
		case 't':
			if (cli_report_date(optarg, &o.to) < 0)
				return cli_usage("report", report_usage, "--to takes YYYY-MM-DD");
			break;
		case 'a':
			if (envelope_time_parse(optarg, strlen(optarg), &o.at) < 0)
				return cli_usage("report", report_usage, "--at takes YYYY-MM-DDTHH:MM:SSZ");
			break;
		case 'b':
			if ((o.by = cli_report_by(optarg)) < 0)
				return cli_usage("report", report_usage, "--by is month, quarter or year");
			break;
		case 'h':
			printf("usage: %s\n\n"
			       "Response statistics for each direction of each channel and period,\n"
			       "computed only from the two logs, their receipts and the charter:\n"
			       "requests, receipted (proven delivered), no_receipt, acknowledged,\n"
			       "answered, answered_on_time, declined, withdrawn, open, overdue_ack,\n"
			       "overdue_answer, and the 50th and 90th percentile seconds from the\n"
			       "request's receipt to the first reply and to the answer. Periods go\n"
			       "by the request's time (UTC); --to is exclusive. Overdue is as of now,\n"
			       "or --at: with the same --at both parties print identical JSON.\n"
			       "--reciprocity puts the two directions of each channel side by side.\n"
			       "Requests imported from a register (parley import --register) are\n"
			       "attested by one side only and are always shown apart.\n",
			       report_usage);
			return CLI_OK;
		default:
			return cli_usage("report", report_usage, "bad option");
		}
	}
	if (optind != argc)
		return cli_usage("report", report_usage, "unexpected argument '%s'", argv[optind]);
	if (!cli_report_format_valid(o.format))
		return cli_usage("report", report_usage, "--format is table, json, csv or markdown");
	if (o.to && o.to <= o.from)
		return cli_usage("report", report_usage, "--to must be after --from");
	if ((rc = node_open(&n, cli_dir(dir), &e)) == 0)
		rc = reports_print(n, &o, stdout, stderr, &e);
	node_close(n);
	return rc < 0 ? cli_error("report", &e, strcmp(o.format, "json") == 0) : CLI_OK;
}
