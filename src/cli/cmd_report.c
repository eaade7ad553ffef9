/* cmd_report.c — parley report: response statistics from both logs of
 * each channel. The same channel, period and --at give the same bytes on
 * both nodes. */
#include "cli/cli.h"
#include "node/cases.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char report_usage[] =
	"parley report [--peer P] [--from DATE] [--to DATE] [--by month|quarter|year] [--type T]\n"
	"              [--format table|json|csv|markdown] [--at TIME] [--dir DIR]";

static const char *const counts[] = { "requests", "receipted", "no_receipt", "acknowledged",
	"answered", "answered_on_time", "declined", "withdrawn", "open", "overdue_ack",
	"overdue_answer" };

static void row_counts(const struct report_row *r, uint64_t v[11])
{
	uint64_t x[11] = { r->requests, r->receipted, r->no_receipt, r->acknowledged, r->answered,
			   r->answered_on_time, r->declined, r->withdrawn, r->open,
			   r->overdue_ack, r->overdue_answer };
	memcpy(v, x, sizeof(x));
}

static int parse_date(const char *s, int64_t *t)
{
	char buf[32];

	if (strlen(s) == 10) {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		s = buf;
	}
	return envelope_time_parse(s, strlen(s), t);
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

static json_t *report_json(const struct report *rep)
{
	json_t *rows = json_array();

	for (size_t i = 0; i < rep->n; i++) {
		const struct report_row *r = &rep->rows[i];
		uint64_t v[11];
		json_t *o = json_pack("{s:s,s:s,s:s}", "from", r->requester, "to", r->responder,
				      "period", r->period);
		row_counts(r, v);
		for (int k = 0; k < 11; k++)
			json_object_set_new(o, counts[k], json_integer((json_int_t)v[k]));
		json_object_set_new(o, "ack_p50_s", json_integer(r->ack_p50));
		json_object_set_new(o, "ack_p90_s", json_integer(r->ack_p90));
		json_object_set_new(o, "answer_p50_s", json_integer(r->answer_p50));
		json_object_set_new(o, "answer_p90_s", json_integer(r->answer_p90));
		json_array_append_new(rows, o);
	}
	return json_pack("{s:o}", "rows", rows);
}

char *cli_report_json(struct node *n, const char *peer, int64_t at, struct err *e)
{
	struct case_list l = { 0 };
	struct report_case *rin = NULL;
	struct report rep = { 0 };
	char *s = NULL;

	if (cases_load(n, peer, at, CASES_NO_BODIES, &l, e) == 0 && cases_report_input(&l, &rin, e) == 0 &&
	    report_make(rin, l.n, REPORT_ALL, 0, 0, NULL, &rep, e) == 0) {
		json_t *o = report_json(&rep);
		s = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		if (!s)
			err_set(e, ERR_NOMEM, "out of memory");
	}
	report_free(&rep);
	free(rin);
	case_list_free(&l);
	return s;
}

int cli_report_print(struct node *n, const char *peer, int by_i, int64_t from, int64_t to,
		     const char *type, const char *format, int64_t at, struct err *e)
{
	enum report_by by = (enum report_by)by_i;
	struct case_list l = { 0 };
	struct report_case *rin = NULL;
	struct report rep = { 0 };
	int rc;

	if ((rc = cases_load(n, peer, at ? at : n->now(), CASES_NO_BODIES, &l, e)) < 0 ||
	    (rc = cases_report_input(&l, &rin, e)) < 0 ||
	    (rc = report_make(rin, l.n, by, from, to, type, &rep, e)) < 0)
		goto out;
	if (strcmp(format, "json") == 0) {
		cli_print_json(report_json(&rep));	} else {
		int csv = strcmp(format, "csv") == 0, md = strcmp(format, "markdown") == 0;
		const char *sep = csv ? "," : md ? " | " : " ";
		printf("%s%s%s%s%s", md ? "| " : "", "from", sep, "to", sep);
		printf("period");
		for (int k = 0; k < 11; k++)
			printf("%s%s", sep, counts[k]);
		printf("%sack_p50_s%sack_p90_s%sanswer_p50_s%sanswer_p90_s%s\n", sep, sep, sep, sep,
		       md ? " |" : "");
		if (md) {
			printf("|");
			for (int k = 0; k < 18; k++)
				printf("---|");
			printf("\n");
		}
		for (size_t i = 0; i < rep.n; i++) {
			const struct report_row *r = &rep.rows[i];
			uint64_t v[11];
			row_counts(r, v);
			printf("%s%s%s%s%s%s", md ? "| " : "", r->requester, sep, r->responder, sep, r->period);
			for (int k = 0; k < 11; k++)
				printf("%s%" PRIu64, sep, v[k]);
			printf("%s%" PRId64 "%s%" PRId64 "%s%" PRId64 "%s%" PRId64 "%s\n", sep, r->ack_p50,
			       sep, r->ack_p90, sep, r->answer_p50, sep, r->answer_p90, md ? " |" : "");
		}
	}
out:
	report_free(&rep);
	free(rin);
	case_list_free(&l);
	return rc;
}

int cli_report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "peer", required_argument, NULL, 'p' }, { "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' }, { "by", required_argument, NULL, 'b' },
		{ "type", required_argument, NULL, 'T' }, { "format", required_argument, NULL, 'F' },
		{ "at", required_argument, NULL, 'a' }, { "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *peer = NULL, *type = NULL, *format = "table", *dir = NULL;
	enum report_by by = REPORT_ALL;
	int64_t from = 0, to = 0, at = 0;
	struct node *n = NULL;
	struct err e = { 0 };
	int c, rc;

	while ((c = getopt_long(argc, argv, "hp:f:t:b:T:F:a:d:", opts, NULL)) != -1) {
		switch (c) {
		case 'p': peer = optarg; break;
		case 'T': type = optarg; break;
		case 'F': format = optarg; break;
		case 'j': format = "json"; break;
		case 'd': dir = optarg; break;
		case 'f':
			if (parse_date(optarg, &from) < 0)
				return cli_usage("report", report_usage, "--from takes YYYY-MM-DD");
			break;
		case 't':
			if (parse_date(optarg, &to) < 0)
				return cli_usage("report", report_usage, "--to takes YYYY-MM-DD");
			break;
		case 'a':
			if (envelope_time_parse(optarg, strlen(optarg), &at) < 0)
				return cli_usage("report", report_usage, "--at takes YYYY-MM-DDTHH:MM:SSZ");
			break;
		case 'b':
			by = (enum report_by)cli_report_by(optarg);
			if ((int)by < 0)
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
			       "or --at: with the same --at both parties print identical JSON.\n",
			       report_usage);
			return CLI_OK;
		default:
			return cli_usage("report", report_usage, "bad option");
		}
	}
	if (optind != argc)
		return cli_usage("report", report_usage, "unexpected argument '%s'", argv[optind]);
	if (!cli_report_format_valid(format))
		return cli_usage("report", report_usage, "--format is table, json, csv or markdown");
	if ((rc = node_open(&n, cli_dir(dir), &e)) == 0)
		rc = cli_report_print(n, peer, (int)by, from, to, type, format, at, &e);
	node_close(n);
	return rc < 0 ? cli_error("report", &e, strcmp(format, "json") == 0) : CLI_OK;
}
