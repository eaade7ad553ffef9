/* case.c — the case lifecycle transition function. See case.h. */
#include "core/case.h"

#include <string.h>

static const char *const state_names[CASE_STATE_COUNT] = {
	"none", "sent", "receipted", "acknowledged", "answered",
	"declined", "withdrawn", "closed",
};

static const char *const event_names[CASE_EVENT_COUNT] = {
	"request", "receipt", "ack", "answer", "decline", "withdraw", "remind", "close",
};

const char *case_state_name(enum case_state s)
{
	return (unsigned)s < CASE_STATE_COUNT ? state_names[s] : "?";
}

int case_state_parse(const char *name)
{
	for (int i = CASE_NONE + 1; i < CASE_STATE_COUNT; i++)
		if (strcmp(name, state_names[i]) == 0)
			return i;
	return -1;
}

const char *case_event_name(enum case_event ev)
{
	return (unsigned)ev < CASE_EVENT_COUNT ? event_names[ev] : "?";
}

int case_is_open(enum case_state s)
{
	return s == CASE_SENT || s == CASE_RECEIPTED || s == CASE_ACKNOWLEDGED;
}

static int refuse(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -1;
}

/* The sentence for an event that the state does not allow. */
static int not_now(enum case_state s, const char **why)
{
	switch (s) {
	case CASE_NONE: return refuse(why, "there is no such case");
	case CASE_ANSWERED: return refuse(why, "the case is already answered; it can only be closed");
	case CASE_DECLINED: return refuse(why, "the case is already declined");
	case CASE_WITHDRAWN: return refuse(why, "the case is already withdrawn");
	case CASE_CLOSED: return refuse(why, "the case is already closed");
	default: return refuse(why, "the case is still open; it can be closed only after an answer");
	}
}

int case_step(enum case_state s, enum case_event ev, enum case_role role,
	      const char **why)
{
	if ((unsigned)s >= CASE_STATE_COUNT || (unsigned)ev >= CASE_EVENT_COUNT)
		return refuse(why, "unknown state or event");
	switch (ev) {
	case CASE_EV_REQUEST:
		if (s != CASE_NONE)
			return refuse(why, "the case already exists");
		if (role != CASE_REQUESTER)
			return refuse(why, "a request opens a case of its sender");
		return CASE_SENT;
	case CASE_EV_RECEIPT:
		if (s == CASE_NONE)
			return not_now(s, why);
		return s == CASE_SENT ? CASE_RECEIPTED : (int)s;
	case CASE_EV_ACK:
		if (role != CASE_RESPONDER)
			return refuse(why, "only the responder can acknowledge");
		if (s == CASE_ACKNOWLEDGED)
			return refuse(why, "the case is already acknowledged");
		if (s != CASE_SENT && s != CASE_RECEIPTED)
			return not_now(s, why);
		return CASE_ACKNOWLEDGED;
	case CASE_EV_ANSWER:
	case CASE_EV_DECLINE:
		if (role != CASE_RESPONDER)
			return refuse(why, ev == CASE_EV_ANSWER ? "only the responder can answer"
								: "only the responder can decline");
		if (!case_is_open(s))
			return not_now(s, why);
		return ev == CASE_EV_ANSWER ? CASE_ANSWERED : CASE_DECLINED;
	case CASE_EV_WITHDRAW:
		if (role != CASE_REQUESTER)
			return refuse(why, "only the requester can withdraw");
		if (!case_is_open(s))
			return not_now(s, why);
		return CASE_WITHDRAWN;
	case CASE_EV_REMIND:
		if (role != CASE_REQUESTER)
			return refuse(why, "only the requester can send a reminder");
		if (!case_is_open(s))
			return not_now(s, why);
		return (int)s;
	case CASE_EV_CLOSE:
		if (s != CASE_ANSWERED)
			return s == CASE_CLOSED ? not_now(s, why)
			       : case_is_open(s) ? refuse(why, "the case can be closed only after an answer")
			       : not_now(s, why);
		return CASE_CLOSED;
	case CASE_EVENT_COUNT:
		break;
	}
	return refuse(why, "unknown event");
}
