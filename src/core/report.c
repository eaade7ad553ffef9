/* report.c — response statistics from cases. See report.h. */
#include "core/report.h"

#include "core/envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A period as a number that sorts like its label: 0 for "all" (or a
 * time outside 1970..9999), else year*100 + month, year*100 + quarter or
 * year*100. */
static int period_key(int64_t t, enum report_by by)
{
	int y;
	unsigned m;

	if (by == REPORT_ALL || envelope_time_month(t, &y, &m) < 0)
		return 0;
	return y * 100 + (by == REPORT_MONTH ? (int)m : by == REPORT_QUARTER ? (int)(m - 1) / 3 + 1 : 0);
}

static void period_label(int key, enum report_by by, char out[static 16])
{
	if (key == 0)
		snprintf(out, 16, "all");
	else if (by == REPORT_YEAR)
		snprintf(out, 16, "%04d", key / 100);
	else if (by == REPORT_QUARTER)
		snprintf(out, 16, "%04d-Q%d", key / 100, key % 100);
	else
		snprintf(out, 16, "%04d-%02d", key / 100, key % 100);
}

void report_period(int64_t t, enum report_by by, char out[static 16])
{
	period_label(period_key(t, by), by, out);
}

void report_free(struct report *r)
{
	if (r) {
		free(r->rows);
		memset(r, 0, sizeof(*r));
	}
}

/* The element of rank k (0-based) of v[0..n) as if sorted, by Hoare's
 * selection: O(n) on average, against qsort's O(n log n) (a million
 * durations per report). v is partly reordered: every element before k
 * is <= v[k], every one after is >= v[k]. */
static int64_t select_rank(int64_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		size_t i = lo, j = hi, mid = lo + (hi - lo) / 2;
		int64_t a = v[lo], b = v[mid], c = v[hi], pivot, t;

		/* median of three */
		pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

/* The 50th and 90th percentiles by nearest rank (the ceil(q/100 * n)-th
 * smallest) of v[0..n); -1 if n == 0. */
static void pct_50_90(int64_t *v, size_t n, int64_t *p50, int64_t *p90)
{
	size_t r50, r90;

	if (n == 0) {
		*p50 = *p90 = -1;
		return;
	}
	r50 = (50 * n + 99) / 100;
	r90 = (90 * n + 99) / 100;
	r50 = r50 ? r50 - 1 : 0;
	r90 = r90 ? r90 - 1 : 0;
	*p50 = select_rank(v, n, r50);
	/* Everything from r50 on is >= p50: the 90th is among them. */
	*p90 = select_rank(v + r50, n - r50, r90 - r50);
}

/* A direction: who asked whom, on whose word ("" : proven). Few of them,
 * so cases find theirs by a short scan from the last one used. */
struct dir {
	const char *attested_by, *requester, *responder;
};

/* A row in the making: direction and period, its counts and durations. */
struct group {
	int dir, period;
	int rank;                /* of its direction in row order */
	struct report_row row;
	int64_t *acks, *answers; /* durations, for the percentiles */
	size_t nack, nans, cap_ack, cap_ans;
};

static const char *basis(const struct report_case *c)
{
	return c->attested_by ? c->attested_by : "";
}

static int cmp_dir(const struct dir *p, const struct dir *q)
{
	int r;

	if ((r = strcmp(p->attested_by, q->attested_by)) || (r = strcmp(p->requester, q->requester)))
		return r;
	return strcmp(p->responder, q->responder);
}

/* Groups by their direction's rank in row order, then period. */
static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->period > y->period) - (x->period < y->period);
}

struct report_maker {
	enum report_by by;
	int64_t from, to;
	const char *type;
	struct dir *dirs;
	size_t ndirs, cap_dirs, last_dir;
	struct group *groups;
	size_t ngroups, cap_groups;
	int32_t *table;          /* (dir, period) -> group + 1; open addressing */
	size_t table_cap;
	/* The last case's day and period, and its group: the next case is
	 * usually of the same (cases come in log order). */
	int64_t last_day;
	int last_period;
	long last_group;
};

static int dir_of(struct report_maker *m, const struct report_case *c)
{
	const char *b = basis(c);

	/* The names are usually the very strings of the last case (the
	 * caller interns them): compare the pointers first. */
	if (m->ndirs) {
		const struct dir *d = &m->dirs[m->last_dir];
		if (d->requester == c->requester && d->responder == c->responder && d->attested_by == b)
			return (int)m->last_dir;
	}
	for (size_t k = 0; k < m->ndirs; k++) {
		size_t i = (m->last_dir + k) % m->ndirs;
		const struct dir *d = &m->dirs[i];
		if (strcmp(d->requester, c->requester) == 0 && strcmp(d->responder, c->responder) == 0 &&
		    strcmp(d->attested_by, b) == 0)
			return (int)(m->last_dir = i);
	}
	if (m->ndirs == m->cap_dirs) {
		size_t cap = m->cap_dirs ? m->cap_dirs * 2 : 8;
		struct dir *nd = realloc(m->dirs, cap * sizeof(*nd));
		if (!nd)
			return -1;
		m->dirs = nd;
		m->cap_dirs = cap;
	}
	m->dirs[m->ndirs] = (struct dir){ b, c->requester, c->responder };
	return (int)(m->last_dir = m->ndirs++);
}

static size_t slot_of(int dir, int period, size_t cap)
{
	uint64_t h = ((uint64_t)(uint32_t)dir << 32 | (uint32_t)period) * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 32) & (cap - 1);
}

static int grow_table(struct report_maker *m)
{
	size_t cap = m->table_cap ? m->table_cap * 2 : 1024;
	int32_t *t = calloc(cap, sizeof(*t));

	if (!t)
		return -1;
	for (size_t g = 0; g < m->ngroups; g++) {
		size_t i = slot_of(m->groups[g].dir, m->groups[g].period, cap);
		while (t[i])
			i = (i + 1) & (cap - 1);
		t[i] = (int32_t)g + 1;
	}
	free(m->table);
	m->table = t;
	m->table_cap = cap;
	return 0;
}

/* The group of (dir, period), made if new; -1 out of memory. */
static long group_of(struct report_maker *m, int dir, int period)
{
	size_t i;

	if ((m->ngroups + 1) * 2 > m->table_cap && grow_table(m) < 0)
		return -1;
	for (i = slot_of(dir, period, m->table_cap); m->table[i]; i = (i + 1) & (m->table_cap - 1)) {
		const struct group *g = &m->groups[m->table[i] - 1];
		if (g->dir == dir && g->period == period)
			return m->table[i] - 1;
	}
	if (m->ngroups == m->cap_groups) {
		size_t cap = m->cap_groups ? m->cap_groups * 2 : 64;
		struct group *ng = realloc(m->groups, cap * sizeof(*ng));
		if (!ng)
			return -1;
		m->groups = ng;
		m->cap_groups = cap;
	}
	memset(&m->groups[m->ngroups], 0, sizeof(m->groups[0]));
	m->groups[m->ngroups].dir = dir;
	m->groups[m->ngroups].period = period;
	m->table[i] = (int32_t)m->ngroups + 1;
	return (long)m->ngroups++;
}

static void count(struct report_row *r, const struct report_case *c)
{
	int answered = c->state == CASE_ANSWERED || (c->state == CASE_CLOSED && c->answered);

	r->requests++;
	if (c->attested_by) {
		int done = c->state == CASE_ANSWERED;
		r->answered += done;
		r->open += !done;
		return;
	}
	r->receipted += c->receipt != 0;
	r->no_receipt += c->receipt == 0;
	r->acknowledged += c->first_reply != 0;
	r->answered += answered;
	r->answered_on_time += answered && c->answered && (!c->answer_due || c->answered <= c->answer_due);
	r->declined += c->state == CASE_DECLINED;
	r->withdrawn += c->state == CASE_WITHDRAWN;
	r->open += case_is_open(c->state);
	r->overdue_ack += c->overdue_ack != 0;
	r->overdue_answer += c->overdue_answer != 0;
}

/* The durations a case contributes: to its first reply, to its answer. */
static int ack_time(const struct report_case *c, int64_t *d)
{
	if (c->attested_by || !c->receipt || !c->first_reply)
		return 0;
	*d = c->first_reply - c->receipt;
	return 1;
}

static int answer_time(const struct report_case *c, int64_t *d)
{
	if (c->attested_by) {
		if (c->state != CASE_ANSWERED || !c->answered)
			return 0;
		*d = c->answered - c->opened;
		return 1;
	}
	if (!c->receipt || !c->answered)
		return 0;
	*d = c->answered - c->receipt;
	return 1;
}

int report_maker_new(struct report_maker **out, enum report_by by, int64_t from, int64_t to,
		     const char *type, struct err *e)
{
	struct report_maker *m = calloc(1, sizeof(*m));

	*out = m;
	if (!m)
		return err_set(e, ERR_NOMEM, "out of memory");
	m->by = by;
	m->last_day = -1;
	m->last_period = period_key(-1, by);
	m->last_group = -1;
	m->from = from;
	m->to = to;
	m->type = type;
	return 0;
}

static int push(int64_t **v, size_t *n, size_t *cap, int64_t d)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		int64_t *nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = d;
	return 0;
}

int report_maker_add(struct report_maker *m, const struct report_case *c, struct err *e)
{
	struct group *g;
	int64_t d;
	long k;
	int dir;

	if (c->opened < m->from || (m->to && c->opened >= m->to) ||
	    (m->type && strcmp(m->type, c->type) != 0))
		return 0;
	if ((dir = dir_of(m, c)) < 0)
		goto nomem;
	if (c->opened < 0 || c->opened / 86400 != m->last_day) {
		m->last_day = c->opened < 0 ? -1 : c->opened / 86400;
		m->last_period = period_key(c->opened, m->by);
	}
	if (m->last_group >= 0 && m->groups[m->last_group].dir == dir &&
	    m->groups[m->last_group].period == m->last_period)
		k = m->last_group;
	else if ((k = m->last_group = group_of(m, dir, m->last_period)) < 0)
		goto nomem;
	g = &m->groups[k];
	count(&g->row, c);
	if ((ack_time(c, &d) && push(&g->acks, &g->nack, &g->cap_ack, d) < 0) ||
	    (answer_time(c, &d) && push(&g->answers, &g->nans, &g->cap_ans, d) < 0))
		goto nomem;
	return 0;
nomem:
	return err_set(e, ERR_NOMEM, "out of memory");
}

void report_maker_free(struct report_maker *m)
{
	if (!m)
		return;
	for (size_t k = 0; k < m->ngroups; k++) {
		free(m->groups[k].acks);
		free(m->groups[k].answers);
	}
	free(m->dirs);
	free(m->groups);
	free(m->table);
	free(m);
}

int report_maker_end(struct report_maker *m, struct report *out, struct err *e)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < m->ngroups; k++) {
		struct group *g = &m->groups[k];
		struct report_row *r = &g->row;
		const struct dir *dr = &m->dirs[g->dir];

		snprintf(r->attested_by, sizeof(r->attested_by), "%s", dr->attested_by);
		snprintf(r->requester, sizeof(r->requester), "%s", dr->requester);
		snprintf(r->responder, sizeof(r->responder), "%s", dr->responder);
		period_label(g->period, m->by, r->period);
		pct_50_90(g->acks, g->nack, &r->ack_p50, &r->ack_p90);
		pct_50_90(g->answers, g->nans, &r->answer_p50, &r->answer_p90);
	}
	/* Rows in order: basis ("" first), requester, responder, period. */
	for (size_t k = 0; k < m->ngroups; k++) {
		int rank = 0;
		for (size_t d = 0; d < m->ndirs; d++)
			rank += cmp_dir(&m->dirs[d], &m->dirs[m->groups[k].dir]) < 0;
		m->groups[k].rank = rank;
	}
	if (m->ngroups) {
		qsort(m->groups, m->ngroups, sizeof(*m->groups), cmp_group);
		if (!(out->rows = calloc(m->ngroups, sizeof(*out->rows)))) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		for (size_t k = 0; k < m->ngroups; k++)
			out->rows[k] = m->groups[k].row;
		out->n = m->ngroups;
	}
out:
	report_maker_free(m);
	return rc;
}

int report_make(const struct report_case *cases, size_t n, enum report_by by,
		int64_t from, int64_t to, const char *type, struct report *out,
		struct err *e)
{
	struct report_maker *m;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = report_maker_new(&m, by, from, to, type, e)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = report_maker_add(m, &cases[i], e)) < 0) {
			report_maker_free(m);
			return rc;
		}
	return report_maker_end(m, out, e);
}
