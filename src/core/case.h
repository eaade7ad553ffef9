/* case.h — the case lifecycle as a pure function (DESIGN.md, "Case
 * lifecycle"): (state, event, who) -> new state, or a refusal naming why.
 *
 * Design note. States and the events that move them:
 *
 *   (none) --request(R)--> sent --receipt--> receipted
 *   sent | receipted --ack(P)--> acknowledged
 *   sent | receipted | acknowledged --answer(P)--> answered
 *   sent | receipted | acknowledged --decline(P)--> declined
 *   sent | receipted | acknowledged --withdraw(R)--> withdrawn
 *   answered --close(R or P)--> closed
 *   any open state --remind(R)--> the same state (a reminder is counted)
 *
 * R is the requester (who sent the request), P the responder. The open
 * states are sent, receipted and acknowledged; declined, withdrawn and
 * closed are final, and answered accepts only close. The responder may ack
 * or answer before the requester holds the receipt: its reply proves the
 * request arrived. A receipt of the request counts once; later receipts
 * (of replies) change nothing. Overdue is computed elsewhere, from receipt
 * times and the charter, never stored here. */
#ifndef PARLEY_CASE_H
#define PARLEY_CASE_H

#include "core/envelope.h"

enum case_state {
	CASE_NONE,
	CASE_SENT,
	CASE_RECEIPTED,
	CASE_ACKNOWLEDGED,
	CASE_ANSWERED,
	CASE_DECLINED,
	CASE_WITHDRAWN,
	CASE_CLOSED,
	CASE_STATE_COUNT
};

/* What happens to a case: one of the message kinds, or the receipt of
 * the request. */
enum case_event {
	CASE_EV_REQUEST,
	CASE_EV_RECEIPT,
	CASE_EV_ACK,
	CASE_EV_ANSWER,
	CASE_EV_DECLINE,
	CASE_EV_WITHDRAW,
	CASE_EV_REMIND,
	CASE_EV_CLOSE,
	CASE_EVENT_COUNT
};

enum case_role { CASE_REQUESTER, CASE_RESPONDER };

/* Applies ev by role to state. Returns the new state (>= 0), or -1 with
 * why set to a sentence for people ("only the responder can answer", "the
 * case is already closed"). */
int case_step(enum case_state state, enum case_event ev, enum case_role role,
	      const char **why);

/* The event a message kind stands for; -1 for kinds that are not case
 * messages (charter, ping). Inline: a report asks it of every entry. */
static inline int case_event_of(enum envelope_kind k)
{
	switch (k) {
	case ENVELOPE_REQUEST: return CASE_EV_REQUEST;
	case ENVELOPE_ACK: return CASE_EV_ACK;
	case ENVELOPE_ANSWER: return CASE_EV_ANSWER;
	case ENVELOPE_DECLINE: return CASE_EV_DECLINE;
	case ENVELOPE_WITHDRAW: return CASE_EV_WITHDRAW;
	case ENVELOPE_REMIND: return CASE_EV_REMIND;
	case ENVELOPE_CLOSE: return CASE_EV_CLOSE;
	default: return -1;
	}
}

int case_is_open(enum case_state s);
const char *case_state_name(enum case_state s);
/* The state named name (a case_state_name other than "none"), or -1. */
int case_state_parse(const char *name);
#define CASE_STATE_NAMES "sent, receipted, acknowledged, answered, declined, withdrawn, closed"
const char *case_event_name(enum case_event ev);

#endif
