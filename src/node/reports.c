/* reports.c — a report rendered: rows per direction and period, or the
 * two directions of each channel side by side, as JSON, a table, CSV or
 * Markdown, with fork warnings. parley report, parley audit, the demo and
 * the operator API all print through here. See reports.h. */
#include "node/reports.h"
#include "node/cases.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define NCOUNTS 11
#define NMETRICS 15
static const char *const metrics[NMETRICS] = { "requests", "receipted", "no_receipt",
	"acknowledged", "answered", "answered_on_time", "declined", "withdrawn", "open",
	"overdue_ack", "overdue_answer", "ack_p50_s", "ack_p90_s", "answer_p50_s", "answer_p90_s" };
/* What a row attested by one side only can say (indexes into metrics). */
static const int attested_metrics[] = { 0, 4, 8, 13, 14 };
#define NATTESTED 5

/* A metric as text: a percentile with no data is "-" (empty in csv). */
static const char *val(int64_t v, int m, int csv, char buf[24])
{
	if (v < 0 && m >= NCOUNTS)
		return csv ? "" : "-";
	snprintf(buf, 24, "%" PRId64, v);
	return buf;
}

static void row_values(const struct report_row *r, int64_t v[NMETRICS])
{
	int64_t x[NMETRICS] = { (int64_t)r->requests, (int64_t)r->receipted,
		(int64_t)r->no_receipt, (int64_t)r->acknowledged, (int64_t)r->answered,
		(int64_t)r->answered_on_time, (int64_t)r->declined, (int64_t)r->withdrawn,
		(int64_t)r->open, (int64_t)r->overdue_ack, (int64_t)r->overdue_answer,
		r->ack_p50, r->ack_p90, r->answer_p50, r->answer_p90 };
	memcpy(v, x, sizeof(x));
}




/* A channel and period with its two directions: a -> b and b -> a, a < b. */
struct pair {
	const char *a, *b, *period, *attested_by;
	struct report_row dir[2];
};

struct pairs {
	struct pair *v;
	size_t n;
};

static int pair_cmp(const void *x, const void *y)
{
	const struct pair *p = x, *q = y;
	int r;

	if ((r = strcmp(p->attested_by, q->attested_by)) || (r = strcmp(p->a, q->a)) ||
	    (r = strcmp(p->b, q->b)))
		return r;
	return strcmp(p->period, q->period);
}

static void empty_row(struct report_row *r, const char *from, const char *to,
		      const struct report_row *like)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->requester, sizeof(r->requester), "%s", from);
	snprintf(r->responder, sizeof(r->responder), "%s", to);
	memcpy(r->period, like->period, sizeof(r->period));
	memcpy(r->attested_by, like->attested_by, sizeof(r->attested_by));
	r->ack_p50 = r->ack_p90 = r->answer_p50 = r->answer_p90 = -1;
}

/* Rows -> channels. The pairs point into rep: keep it alive. */
static int pairs_make(const struct report *rep, struct pairs *ps, struct err *e)
{
	ps->n = 0;
	if (!(ps->v = calloc(rep->n + 1, sizeof(*ps->v))))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < rep->n; i++) {
		const struct report_row *r = &rep->rows[i];
		int fwd = strcmp(r->requester, r->responder) < 0;
		const char *a = fwd ? r->requester : r->responder, *b = fwd ? r->responder : r->requester;
		struct pair *p = NULL;

		for (size_t k = 0; k < ps->n && !p; k++)
			if (!strcmp(ps->v[k].a, a) && !strcmp(ps->v[k].b, b) &&
			    !strcmp(ps->v[k].period, r->period) &&
			    !strcmp(ps->v[k].attested_by, r->attested_by))
				p = &ps->v[k];
		if (!p) {
			p = &ps->v[ps->n++];
			p->a = a;
			p->b = b;
			p->period = r->period;
			p->attested_by = r->attested_by;
			empty_row(&p->dir[0], a, b, r);
			empty_row(&p->dir[1], b, a, r);
		}
		p->dir[fwd ? 0 : 1] = *r;
	}
	qsort(ps->v, ps->n, sizeof(*ps->v), pair_cmp);
	return 0;
}

static json_t *row_json(const struct report_row *r)
{
	json_t *o = json_pack("{s:s,s:s,s:s}", "from", r->requester, "to", r->responder,
			      "period", r->period);
	int64_t v[NMETRICS];

	row_values(r, v);
	for (int k = 0; k < NMETRICS; k++)
		json_object_set_new(o, metrics[k], json_integer(v[k]));
	json_object_set_new(o, "attested_by", r->attested_by[0] ? json_string(r->attested_by) : json_null());
	return o;
}

/* The report as JSON; "warnings" only when there are any, so that both
 * sides of a sound channel print the same bytes. */
static json_t *report_json(const struct report *rep, const struct pairs *ps, json_t *warn)
{
	json_t *arr = json_array(), *o;

	if (!ps) {
		for (size_t i = 0; i < rep->n; i++)
			json_array_append_new(arr, row_json(&rep->rows[i]));
		o = json_pack("{s:o}", "rows", arr);
		goto out;
	}
	for (size_t i = 0; i < ps->n; i++) {
		const struct pair *p = &ps->v[i];
		json_array_append_new(arr, json_pack("{s:[s,s],s:s,s:o,s:[o,o]}", "parties", p->a, p->b,
						     "period", p->period, "attested_by",
						     p->attested_by[0] ? json_string(p->attested_by) : json_null(),
						     "directions", row_json(&p->dir[0]), row_json(&p->dir[1])));
	}
	o = json_pack("{s:o}", "channels", arr);
out:
	if (json_array_size(warn))
		json_object_set(o, "warnings", warn);
	return o;
}

static void print_header(FILE *out, const char *sep, int md, int att, int csv)
{
	int nm = att && !csv ? NATTESTED : NMETRICS;

	fprintf(out, "%sfrom%sto%speriod", md ? "| " : "", sep, sep);
	for (int k = 0; k < nm; k++)
		fprintf(out, "%s%s", sep, metrics[att && !csv ? attested_metrics[k] : k]);
	fprintf(out, "%s%s%s\n", att || csv ? sep : "", att || csv ? "attested_by" : "", md ? " |" : "");
	if (md) {
		fprintf(out, "|");
		for (int k = 0; k < nm + 3 + att; k++)
			fprintf(out, "---|");
		fprintf(out, "\n");
	}
}

/* One row per direction. csv: one table, attested_by last (empty when
 * proven); table and markdown: attested rows in a block of their own. */
static void print_rows(FILE *out, const struct report *rep, const char *format)
{
	int csv = !strcmp(format, "csv"), md = !strcmp(format, "markdown");
	const char *sep = csv ? "," : md ? " | " : " ";
	int block = -1; /* of the last row: 0 proven, 1 attested */

	for (size_t i = 0; i < rep->n; i++) {
		const struct report_row *r = &rep->rows[i];
		int att = r->attested_by[0] != '\0', brief = att && !csv;
		int64_t v[NMETRICS];
		char buf[24];

		if (block < 0 || (block != att && !csv)) {
			if (!csv && (block >= 0 || att))
				fprintf(out, "%sAttested by one side only (imported registers, not proven by receipts):\n\n",
				       block >= 0 ? "\n" : "");
			print_header(out, sep, md, att, csv);
		}
		block = att;
		row_values(r, v);
		fprintf(out, "%s%s%s%s%s%s", md ? "| " : "", r->requester, sep, r->responder, sep, r->period);
		for (int k = 0; k < (brief ? NATTESTED : NMETRICS); k++) {
			int m = brief ? attested_metrics[k] : k;
			fprintf(out, "%s%s", sep, val(v[m], m, csv, buf));
		}
		fprintf(out, "%s%s%s\n", att || csv ? sep : "", r->attested_by, md ? " |" : "");
	}
	if (rep->n == 0)
		csv ? print_header(out, sep, md, 0, csv) : (void)fprintf(out, "(no requests in this period)\n");
}

/* The two directions of each channel side by side, one metric a line. */
static void print_pairs(FILE *out, const struct pairs *ps, const char *format)
{
	int csv = !strcmp(format, "csv"), md = !strcmp(format, "markdown");

	if (csv)
		fprintf(out, "party_a,party_b,period,attested_by,metric,a_to_b,b_to_a\n");
	for (size_t i = 0; i < ps->n; i++) {
		const struct pair *p = &ps->v[i];
		int att = p->attested_by[0] != '\0', nm = att ? NATTESTED : NMETRICS;
		int64_t v0[NMETRICS], v1[NMETRICS];
		char h0[300], h1[300], b0[24], b1[24];
		int w;

		row_values(&p->dir[0], v0);
		row_values(&p->dir[1], v1);
		snprintf(h0, sizeof(h0), "%s -> %s", p->a, p->b);
		snprintf(h1, sizeof(h1), "%s -> %s", p->b, p->a);
		w = (int)(strlen(h0) > 12 ? strlen(h0) : 12);
		if (!csv) {
			fprintf(out, "%s%s%s <-> %s, period %s%s%s\n\n", i ? "\n" : "", md ? "### " : "", p->a, p->b,
			       p->period, att ? ", attested by " : "", att ? p->attested_by : "");
			if (md)
				fprintf(out, "| metric | %s | %s |\n|---|---:|---:|\n", h0, h1);
			else
				fprintf(out, "%-17s %*s   %*s\n", "", w, h0, w, h1);
		}
		for (int k = 0; k < nm; k++) {
			int m = att ? attested_metrics[k] : k;
			const char *x0 = val(v0[m], m, csv, b0), *x1 = val(v1[m], m, csv, b1);
			if (csv)
				fprintf(out, "%s,%s,%s,%s,%s,%s,%s\n", p->a, p->b, p->period, p->attested_by,
				       metrics[m], x0, x1);
			else if (md)
				fprintf(out, "| %s | %s | %s |\n", metrics[m], x0, x1);
			else
				fprintf(out, "%-17s %*s   %*s\n", metrics[m], w, x0, w, x1);
		}
	}
	if (ps->n == 0 && !csv)
		fprintf(out, "(no requests in this period)\n");
}

/* Fork evidence about the channels reported: a warning each. */
struct warn_ctx {
	const char *peer;
	json_t *arr;
};

static int add_warning(void *ctx, const struct store_evidence *v)
{
	struct warn_ctx *w = ctx;
	char from[ENVELOPE_NAME_MAX + 2], to[ENVELOPE_NAME_MAX + 2];

	if (sscanf(v->origin, "parley/%128[^/]/%128s", from, to) != 2 ||
	    (w->peer && strcmp(w->peer, from) != 0 && strcmp(w->peer, to) != 0))
		return 0;
	json_array_append_new(w->arr, json_sprintf("FORK: %s signed two different trees of %s at size %" PRIu64
						   " (evidence kept; see parley verify): its numbers here cannot be trusted",
						   from, v->origin, v->size));
	return 0;
}

static json_t *warnings(struct node *n, const char *peer)
{
	struct warn_ctx w = { peer, json_array() };
	struct err e;

	store_evidence_each(n->store, add_warning, &w, &e);
	return w.arr;
}

static int report_add(void *ctx, const struct report_case *c, struct err *e)
{
	return report_maker_add(ctx, c, e);
}

/* Computes the report; *ps only with o->reciprocity. Each case goes to
 * the report as it is read: a million cases are never held at once. */
static int report_compute(struct node *n, const struct reports_opts *o, struct report *rep,
			  struct pairs *ps, struct err *e)
{
	struct case_list l = { 0 };
	struct report_maker *m;
	int rc;

	memset(rep, 0, sizeof(*rep));
	memset(ps, 0, sizeof(*ps));
	if ((rc = report_maker_new(&m, (enum report_by)o->by, o->from, o->to, o->type, e)) < 0)
		return rc;
	if ((rc = cases_report_each(n, o->peer, o->at ? o->at : n->now(), &l, report_add, m, e)) < 0)
		report_maker_free(m);
	else if ((rc = report_maker_end(m, rep, e)) == 0 && o->reciprocity)
		rc = pairs_make(rep, ps, e);
	case_list_free(&l);
	return rc;
}

char *reports_json(struct node *n, const struct reports_opts *o, struct err *e)
{
	struct report rep;
	struct pairs ps;
	char *s = NULL;

	if (report_compute(n, o, &rep, &ps, e) == 0) {
		json_t *w = warnings(n, o->peer), *j = report_json(&rep, o->reciprocity ? &ps : NULL, w);
		if (!(s = json_dumps(j, JSON_COMPACT)))
			err_set(e, ERR_NOMEM, "out of memory");
		json_decref(j);
		json_decref(w);
	}
	free(ps.v);
	report_free(&rep);
	return s;
}

int reports_print(struct node *n, const struct reports_opts *o, FILE *out, FILE *warn,
		  struct err *e)
{
	struct report rep;
	struct pairs ps;
	int rc = report_compute(n, o, &rep, &ps, e);

	if (rc == 0) {
		json_t *w = warnings(n, o->peer);
		if (!strcmp(o->format, "json")) {
			json_t *j = report_json(&rep, o->reciprocity ? &ps : NULL, w);
			json_dumpf(j, out, JSON_COMPACT);
			fputc('\n', out);
			json_decref(j);
		} else {
			for (size_t i = 0; i < json_array_size(w); i++)
				if (strcmp(o->format, "csv") || warn)
					fprintf(strcmp(o->format, "csv") ? out : warn, "WARNING: %s\n\n",
						json_string_value(json_array_get(w, i)));
			if (o->reciprocity)
				print_pairs(out, &ps, o->format);
			else
				print_rows(out, &rep, o->format);
		}
		json_decref(w);
	}
	free(ps.v);
	report_free(&rep);
	return rc;
}
