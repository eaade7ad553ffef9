/* test_report.c — response statistics from cases: every count, the
 * percentiles, periods, filters, and the same output for the same input
 * in any order. */
#include "testutil.h"

#include "core/report.h"

#define DAY 86400
#define T0 INT64_C(1793491200) /* 2026-11-01T00:00:00Z */

static struct report_case mk(const char *from, const char *to, int64_t opened, int64_t receipt,
			     enum case_state s, int64_t reply, int64_t answered, int64_t due)
{
	struct report_case c = { .requester = from, .responder = to, .type = "cyber-incident",
				 .opened = opened, .receipt = receipt, .state = s, .first_reply = reply,
				 .answered = answered, .answer_due = due };
	return c;
}

static void test_counts(void **state)
{
	struct report_case c[] = {
		/* a -> b, November */
		mk("a", "b", T0, T0 + 10, CASE_ANSWERED, T0 + 110, T0 + 1010, T0 + 2000),   /* on time */
		mk("a", "b", T0 + 1, T0 + 11, CASE_CLOSED, T0 + 211, T0 + 5011, T0 + 2000), /* late */
		mk("a", "b", T0 + 2, T0 + 12, CASE_DECLINED, T0 + 312, 0, 0),
		mk("a", "b", T0 + 3, 0, CASE_SENT, 0, 0, 0),                               /* no receipt */
		mk("a", "b", T0 + 4, T0 + 14, CASE_WITHDRAWN, 0, 0, 0),
		mk("a", "b", T0 + 5, T0 + 15, CASE_ACKNOWLEDGED, T0 + 415, 0, T0 + 100),
		/* b -> a */
		mk("b", "a", T0 + 6, T0 + 16, CASE_RECEIPTED, 0, 0, 0),
	};
	struct report r;
	struct err e = { 0 };

	(void)state;
	c[5].overdue_answer = 1;
	c[6].overdue_ack = 1;
	tu_ok(report_make(c, 7, REPORT_ALL, 0, 0, NULL, &r, &e), &e);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.rows[0].requester, "a");
	assert_string_equal(r.rows[0].period, "all");
	assert_int_equal(r.rows[0].requests, 6);
	assert_int_equal(r.rows[0].receipted, 5);
	assert_int_equal(r.rows[0].no_receipt, 1);
	assert_int_equal(r.rows[0].acknowledged, 4);
	assert_int_equal(r.rows[0].answered, 2);
	assert_int_equal(r.rows[0].answered_on_time, 1);
	assert_int_equal(r.rows[0].declined, 1);
	assert_int_equal(r.rows[0].withdrawn, 1);
	assert_int_equal(r.rows[0].open, 2);
	assert_int_equal(r.rows[0].overdue_ack, 0);
	assert_int_equal(r.rows[0].overdue_answer, 1);
	/* replies after receipt: 100, 200, 300, 400 s; answers 1000, 5000 s */
	assert_int_equal(r.rows[0].ack_p50, 200);
	assert_int_equal(r.rows[0].ack_p90, 400);
	assert_int_equal(r.rows[0].answer_p50, 1000);
	assert_int_equal(r.rows[0].answer_p90, 5000);
	assert_string_equal(r.rows[1].requester, "b");
	assert_int_equal(r.rows[1].requests, 1);
	assert_int_equal(r.rows[1].overdue_ack, 1);
	assert_int_equal(r.rows[1].ack_p50, -1);
	assert_int_equal(r.rows[1].answer_p90, -1);
	report_free(&r);
}

static void test_periods_and_filters(void **state)
{
	struct report_case c[] = {
		mk("a", "b", T0 - 40 * DAY, T0, CASE_SENT, 0, 0, 0),  /* 2026-09 */
		mk("a", "b", T0, T0, CASE_SENT, 0, 0, 0),             /* 2026-11 */
		mk("a", "b", T0 + 62 * DAY, T0, CASE_SENT, 0, 0, 0),  /* 2027-01 */
	};
	struct report r, r2;
	char p[16];
	struct err e = { 0 };

	(void)state;
	c[1].type = "deconfliction";
	tu_ok(report_make(c, 3, REPORT_MONTH, 0, 0, NULL, &r, &e), &e);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.rows[0].period, "2026-09");
	assert_string_equal(r.rows[1].period, "2026-11");
	assert_string_equal(r.rows[2].period, "2027-01");
	report_free(&r);
	tu_ok(report_make(c, 3, REPORT_QUARTER, 0, 0, NULL, &r, &e), &e);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.rows[0].period, "2026-Q3");
	assert_string_equal(r.rows[1].period, "2026-Q4");
	assert_string_equal(r.rows[2].period, "2027-Q1");
	report_free(&r);
	tu_ok(report_make(c, 3, REPORT_YEAR, 0, 0, NULL, &r, &e), &e);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.rows[0].requests, 2);
	report_free(&r);
	/* [from, to) and type */
	tu_ok(report_make(c, 3, REPORT_ALL, T0, T0 + 62 * DAY, NULL, &r, &e), &e);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.rows[0].requests, 1);
	report_free(&r);
	tu_ok(report_make(c, 3, REPORT_ALL, 0, 0, "deconfliction", &r, &e), &e);
	assert_int_equal(r.rows[0].requests, 1);
	report_free(&r);
	tu_ok(report_make(c, 3, REPORT_ALL, 0, 0, "espionage", &r, &e), &e);
	assert_int_equal(r.n, 0);
	report_free(&r);
	/* Input order does not matter. */
	{
		struct report_case rev[3] = { c[2], c[0], c[1] };
		tu_ok(report_make(c, 3, REPORT_MONTH, 0, 0, NULL, &r, &e), &e);
		tu_ok(report_make(rev, 3, REPORT_MONTH, 0, 0, NULL, &r2, &e), &e);
		assert_int_equal(r.n, r2.n);
		assert_memory_equal(r.rows, r2.rows, r.n * sizeof(*r.rows));
		report_free(&r);
		report_free(&r2);
	}
	report_period(T0 + 45 * DAY, REPORT_QUARTER, p);
	assert_string_equal(p, "2026-Q4");
	report_period(T0, REPORT_ALL, p);
	assert_string_equal(p, "all");
}


static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Percentiles by nearest rank, against sorting: random durations with
 * many ties, every n from 1 to 300 (the selection is not a sort). */
static void test_percentiles_against_sorting(void **state)
{
	struct report_case *c = calloc(300, sizeof(*c));
	int64_t *acks = calloc(300, sizeof(*acks)), *ans = calloc(300, sizeof(*ans));
	uint64_t x = 88172645463325252u;

	(void)state;
	for (size_t n = 1; n <= 300; n++) {
		struct report r;
		struct err e = { 0 };
		size_t na = 0;

		for (size_t i = 0; i < n; i++) {
			int64_t d1, d2;
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			d1 = (int64_t)(x % (n % 3 ? 50 : 100000)) + 1;
			d2 = d1 + (int64_t)(x >> 40) % 977;
			c[i] = mk("a", "b", T0, T0 + 10, CASE_ANSWERED, T0 + 10 + d1, T0 + 10 + d2, 0);
			if (i % 5 == 4)  /* some not answered: fewer answers than acks */
				c[i].state = CASE_ACKNOWLEDGED, c[i].answered = 0;
			acks[i] = d1;
			if (c[i].answered)
				ans[na++] = d2;
		}
		tu_ok(report_make(c, n, REPORT_ALL, 0, 0, NULL, &r, &e), &e);
		qsort(acks, n, sizeof(*acks), cmp64);
		qsort(ans, na, sizeof(*ans), cmp64);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.rows[0].ack_p50, acks[(50 * n + 99) / 100 - 1]);
		assert_int_equal(r.rows[0].ack_p90, acks[(90 * n + 99) / 100 - 1]);
		if (na) {
			assert_int_equal(r.rows[0].answer_p50, ans[(50 * na + 99) / 100 - 1]);
			assert_int_equal(r.rows[0].answer_p90, ans[(90 * na + 99) / 100 - 1]);
		} else {
			assert_int_equal(r.rows[0].answer_p50, -1);
		}
		report_free(&r);
	}
	free(c);
	free(acks);
	free(ans);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_periods_and_filters),
		cmocka_unit_test(test_percentiles_against_sorting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
