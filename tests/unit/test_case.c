/* test_case.c — the case lifecycle, exhaustively: every (state, event,
 * role) against a table written out by hand from DESIGN.md, and the
 * refusal sentences a user sees. */
#include "testutil.h"

#include "core/case.h"

#define X (-1) /* refused */
enum { N = CASE_NONE, S = CASE_SENT, RC = CASE_RECEIPTED, AK = CASE_ACKNOWLEDGED,
       AN = CASE_ANSWERED, DE = CASE_DECLINED, WD = CASE_WITHDRAWN, CL = CASE_CLOSED };

/* want[state][event] = { as requester, as responder } */
static const int want[CASE_STATE_COUNT][CASE_EVENT_COUNT][2] = {
	/*            request   receipt   ack      answer    decline   withdraw  remind    close */
	[N]  = { { S, X }, { X, X },   { X, X },  { X, X },  { X, X },  { X, X },  { X, X },  { X, X } },
	[S]  = { { X, X }, { RC, RC }, { X, AK }, { X, AN }, { X, DE }, { WD, X }, { S, X },  { X, X } },
	[RC] = { { X, X }, { RC, RC }, { X, AK }, { X, AN }, { X, DE }, { WD, X }, { RC, X }, { X, X } },
	[AK] = { { X, X }, { AK, AK }, { X, X },  { X, AN }, { X, DE }, { WD, X }, { AK, X }, { X, X } },
	[AN] = { { X, X }, { AN, AN }, { X, X },  { X, X },  { X, X },  { X, X },  { X, X },  { CL, CL } },
	[DE] = { { X, X }, { DE, DE }, { X, X },  { X, X },  { X, X },  { X, X },  { X, X },  { X, X } },
	[WD] = { { X, X }, { WD, WD }, { X, X },  { X, X },  { X, X },  { X, X },  { X, X },  { X, X } },
	[CL] = { { X, X }, { CL, CL }, { X, X },  { X, X },  { X, X },  { X, X },  { X, X },  { X, X } },
};

static void test_every_transition(void **state)
{
	int n = 0;

	(void)state;
	for (int s = 0; s < CASE_STATE_COUNT; s++)
		for (int ev = 0; ev < CASE_EVENT_COUNT; ev++)
			for (int r = 0; r < 2; r++) {
				const char *why = NULL;
				int got = case_step((enum case_state)s, (enum case_event)ev,
						    (enum case_role)r, &why);
				if (got != want[s][ev][r])
					fail_msg("%s + %s by %s: got %s, want %s", case_state_name(s),
						 case_event_name(ev), r ? "responder" : "requester",
						 got < 0 ? "refusal" : case_state_name(got),
						 want[s][ev][r] < 0 ? "refusal" : case_state_name(want[s][ev][r]));
				if (got < 0 && (!why || !*why))
					fail_msg("%s + %s: refused without a reason", case_state_name(s),
						 case_event_name(ev));
				n++;
			}
	assert_int_equal(n, 128);
}

static void test_refusal_sentences(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(case_step(CASE_SENT, CASE_EV_ANSWER, CASE_REQUESTER, &why), -1);
	assert_string_equal(why, "only the responder can answer");
	assert_int_equal(case_step(CASE_SENT, CASE_EV_WITHDRAW, CASE_RESPONDER, &why), -1);
	assert_string_equal(why, "only the requester can withdraw");
	assert_int_equal(case_step(CASE_ACKNOWLEDGED, CASE_EV_ACK, CASE_RESPONDER, &why), -1);
	assert_string_equal(why, "the case is already acknowledged");
	assert_int_equal(case_step(CASE_RECEIPTED, CASE_EV_CLOSE, CASE_REQUESTER, &why), -1);
	assert_string_equal(why, "the case can be closed only after an answer");
	assert_int_equal(case_step(CASE_CLOSED, CASE_EV_REMIND, CASE_REQUESTER, &why), -1);
	assert_string_equal(why, "the case is already closed");
	assert_int_equal(case_step(CASE_ANSWERED, CASE_EV_DECLINE, CASE_RESPONDER, &why), -1);
	assert_string_equal(why, "the case is already answered; it can only be closed");
	assert_int_equal(case_step(CASE_NONE, CASE_EV_ACK, CASE_RESPONDER, &why), -1);
	assert_string_equal(why, "there is no such case");
	assert_int_equal(case_step(CASE_STATE_COUNT, CASE_EV_ACK, CASE_RESPONDER, &why), -1);
}

static void test_kinds_and_names(void **state)
{
	(void)state;
	assert_int_equal(case_event_of(ENVELOPE_REQUEST), CASE_EV_REQUEST);
	assert_int_equal(case_event_of(ENVELOPE_CLOSE), CASE_EV_CLOSE);
	assert_int_equal(case_event_of(ENVELOPE_PING), -1);
	assert_int_equal(case_event_of(ENVELOPE_CHARTER), -1);
	for (int k = 0; k < ENVELOPE_KIND_COUNT; k++) {
		int ev = case_event_of((enum envelope_kind)k);
		if (ev >= 0)
			assert_string_equal(case_event_name(ev), envelope_kind_name(k));
	}
	assert_true(case_is_open(CASE_SENT) && case_is_open(CASE_ACKNOWLEDGED));
	assert_false(case_is_open(CASE_ANSWERED) || case_is_open(CASE_NONE));
}

/* A whole story: request, receipt, ack, two reminders, answer, close. */
static void test_story(void **state)
{
	static const struct { enum case_event ev; enum case_role r; } story[] = {
		{ CASE_EV_REQUEST, CASE_REQUESTER }, { CASE_EV_RECEIPT, CASE_REQUESTER },
		{ CASE_EV_ACK, CASE_RESPONDER }, { CASE_EV_REMIND, CASE_REQUESTER },
		{ CASE_EV_RECEIPT, CASE_RESPONDER }, { CASE_EV_REMIND, CASE_REQUESTER },
		{ CASE_EV_ANSWER, CASE_RESPONDER }, { CASE_EV_CLOSE, CASE_REQUESTER },
	};
	static const int after[] = { S, RC, AK, AK, AK, AK, AN, CL };
	int s = CASE_NONE;

	(void)state;
	for (size_t i = 0; i < sizeof(story) / sizeof(story[0]); i++) {
		s = case_step((enum case_state)s, story[i].ev, story[i].r, NULL);
		assert_int_equal(s, after[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_transition),
		cmocka_unit_test(test_refusal_sentences),
		cmocka_unit_test(test_kinds_and_names),
		cmocka_unit_test(test_story),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
