/* report.h — response statistics (issue 5's foundation): a pure function
 * from the cases of a channel, as both parties derive them from the same
 * two logs and receipts, to the numbers DESIGN.md names. Same input, same
 * bytes out: both nodes and an auditor print identical reports.
 *
 * Counting rules, per direction (requester -> responder) and period (by
 * the request's sender time, UTC):
 *   requests        every request
 *   receipted       requests the responder cosigned (proven delivered)
 *   no_receipt      requests without a receipt ("sent, no receipt")
 *   acknowledged    requests with a counted ack, answer or decline
 *   answered        requests answered (answered or closed after one)
 *   answered_on_time  answered by the answer deadline (receipt time of the
 *                   answer <= the deadline)
 *   declined, withdrawn, open (sent, receipted, acknowledged)
 *   overdue_ack, overdue_answer   as of the report's time
 *   ack_p50/ack_p90, answer_p50/answer_p90   seconds from the request's
 *                   receipt to the receipt of the ack (or first reply) and
 *                   of the answer; -1 when there is none. */
#ifndef PARLEY_REPORT_H
#define PARLEY_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/case.h"

/* What report needs of one case; built by the node from its case views.
 * A case attested by one side only (a register record, core/register.h)
 * has attested_by set, opened = the register's date, state ANSWERED or
 * SENT, answered = the register's answered_on (0: not given); it counts
 * in rows of its own: requests, answered, open, answer_p50/p90 (from the
 * register's dates), nothing else. */
/* 80 bytes, a million of them in a big report: fields ordered so that
 * none pads. */
struct report_case {
	const char *requester, *responder, *type;
	const char *attested_by;  /* NULL: proven by the logs */
	int64_t opened;         /* request's sender time */
	int64_t receipt;        /* 0: no receipt */
	int64_t first_reply;    /* receipt time of the first counted ack/answer/decline, 0: none */
	int64_t answered;       /* receipt time of the answer, 0: none */
	int64_t answer_due;     /* 0: no deadline */
	enum case_state state;
	unsigned char overdue_ack, overdue_answer; /* 0 or 1 */
};

enum report_by { REPORT_ALL, REPORT_MONTH, REPORT_QUARTER, REPORT_YEAR };

struct report_row {
	char requester[129], responder[129];
	char attested_by[129];  /* "": proven */
	char period[16];        /* "all", "2026-11", "2026-Q4", "2026" */
	uint64_t requests, receipted, no_receipt, acknowledged, answered, answered_on_time,
		 declined, withdrawn, open, overdue_ack, overdue_answer;
	int64_t ack_p50, ack_p90, answer_p50, answer_p90;
};

struct report {
	struct report_row *rows;
	size_t n;
};

/* Computes rows for every (basis, direction, period) that has a request,
 * sorted by attested_by ("" first: proven), requester, responder, period. Only cases with opened in [from, to)
 * count (to == 0: no end) and of type type (NULL: all). Returns 0 or
 * ERR_NOMEM; free with report_free. */
int report_make(const struct report_case *cases, size_t n, enum report_by by,
		int64_t from, int64_t to, const char *type, struct report *out,
		struct err *e);
void report_free(struct report *r);
/* The same, one case at a time, for callers that never hold all the
 * cases at once: new, add each case (the strings it points to must
 * outlive the maker), then end, which frees the maker (free instead if
 * stopping early). The result does not depend on the order of adding. */
struct report_maker;
int report_maker_new(struct report_maker **m, enum report_by by, int64_t from, int64_t to,
		     const char *type, struct err *e);
int report_maker_add(struct report_maker *m, const struct report_case *c, struct err *e);
int report_maker_end(struct report_maker *m, struct report *out, struct err *e);
void report_maker_free(struct report_maker *m);
/* The period label of time t. */
void report_period(int64_t t, enum report_by by, char out[static 16]);

#endif
