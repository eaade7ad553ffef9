/* report.c — response statistics from cases. See report.h. */
#include "core/report.h"

#include "core/envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void report_period(int64_t t, enum report_by by, char out[static 16])
{
	char iso[21];
	struct err e;

	if (by == REPORT_ALL || envelope_time_format(t, iso, &e) < 0) {
		snprintf(out, 16, "all");
		return;
	}
	if (by == REPORT_YEAR)
		snprintf(out, 16, "%.4s", iso);
	else if (by == REPORT_QUARTER)
		snprintf(out, 16, "%.4s-Q%d", iso, ((iso[5] - '0') * 10 + (iso[6] - '0') - 1) / 3 + 1);
	else
		snprintf(out, 16, "%.7s", iso);
}

void report_free(struct report *r)
{
	if (r) {
		free(r->rows);
		memset(r, 0, sizeof(*r));
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The q-th percentile by nearest rank of v[0..n), sorting v; -1 if n == 0. */
static int64_t pct(int64_t *v, size_t n, int q)
{
	size_t rank;

	if (n == 0)
		return -1;
	qsort(v, n, sizeof(*v), cmp_i64);
	rank = (size_t)((q * n + 99) / 100); /* ceil(q/100 * n) */
	return v[rank ? rank - 1 : 0];
}

struct keyed {
	const struct report_case *c;
	char period[16];
};

static const char *basis(const struct report_case *c)
{
	return c->attested_by ? c->attested_by : "";
}

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int r;

	if ((r = strcmp(basis(x->c), basis(y->c))) != 0 ||
	    (r = strcmp(x->c->requester, y->c->requester)) != 0 ||
	    (r = strcmp(x->c->responder, y->c->responder)) != 0 ||
	    (r = strcmp(x->period, y->period)) != 0)
		return r;
	return x->c->opened < y->c->opened ? -1 : x->c->opened > y->c->opened;
}

int report_make(const struct report_case *cases, size_t n, enum report_by by,
		int64_t from, int64_t to, const char *type, struct report *out,
		struct err *e)
{
	struct keyed *k = calloc(n ? n : 1, sizeof(*k));
	int64_t *acks = calloc(n ? n : 1, sizeof(int64_t)), *answers = calloc(n ? n : 1, sizeof(int64_t));
	size_t m = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!k || !acks || !answers) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const struct report_case *c = &cases[i];
		if (c->opened < from || (to && c->opened >= to) || (type && strcmp(type, c->type) != 0))
			continue;
		k[m].c = c;
		report_period(c->opened, by, k[m].period);
		m++;
	}
	qsort(k, m, sizeof(*k), cmp_keyed);
	if (m && !(out->rows = calloc(m, sizeof(*out->rows)))) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < m;) {
		struct report_row *r = &out->rows[out->n++];
		size_t na = 0, nn = 0, j = i;

		snprintf(r->attested_by, sizeof(r->attested_by), "%s", basis(k[i].c));
		snprintf(r->requester, sizeof(r->requester), "%s", k[i].c->requester);
		snprintf(r->responder, sizeof(r->responder), "%s", k[i].c->responder);
		memcpy(r->period, k[i].period, sizeof(r->period));
		for (; j < m && strcmp(basis(k[j].c), r->attested_by) == 0 &&
		       strcmp(k[j].c->requester, r->requester) == 0 &&
		       strcmp(k[j].c->responder, r->responder) == 0 &&
		       strcmp(k[j].period, r->period) == 0; j++) {
			const struct report_case *c = k[j].c;
			int answered = c->state == CASE_ANSWERED ||
				       (c->state == CASE_CLOSED && c->answered);

			r->requests++;
			if (c->attested_by) {
				int done = c->state == CASE_ANSWERED;
				r->answered += done;
				r->open += !done;
				if (done && c->answered)
					answers[nn++] = c->answered - c->opened;
				continue;
			}
			r->receipted += c->receipt != 0;
			r->no_receipt += c->receipt == 0;
			r->acknowledged += c->first_reply != 0;
			r->answered += answered;
			r->answered_on_time += answered && c->answered &&
					       (!c->answer_due || c->answered <= c->answer_due);
			r->declined += c->state == CASE_DECLINED;
			r->withdrawn += c->state == CASE_WITHDRAWN;
			r->open += case_is_open(c->state);
			r->overdue_ack += c->overdue_ack != 0;
			r->overdue_answer += c->overdue_answer != 0;
			if (c->receipt && c->first_reply)
				acks[na++] = c->first_reply - c->receipt;
			if (c->receipt && c->answered)
				answers[nn++] = c->answered - c->receipt;
		}
		r->ack_p50 = pct(acks, na, 50);
		r->ack_p90 = pct(acks, na, 90);
		r->answer_p50 = pct(answers, nn, 50);
		r->answer_p90 = pct(answers, nn, 90);
		i = j;
	}
done:
	free(k);
	free(acks);
	free(answers);
	if (rc < 0)
		report_free(out);
	return rc;
}
