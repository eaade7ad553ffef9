/* cases.h — channels and cases, derived from the two logs of a channel
 * (nothing here is stored: every view is recomputed from entries and
 * receipts, so both parties and an auditor get the same answer).
 *
 * Design note.
 * - A charter is proposed by appending it (kind charter, its JSON as the
 *   body) to the proposer's log, and accepted by appending the same bytes
 *   to the acceptor's log. The charter in force is the newest one that
 *   both logs hold; until there is one, no case can be opened.
 * - A case is named by its request: "REQUESTER/INDEX". Its messages are
 *   the entries of either log whose case field names it. Its state is the
 *   lifecycle (core/case.h) replayed over them in sender-time order, the
 *   request's receipt included; a message the lifecycle refuses (a race
 *   between the two sides) is shown but does not count.
 * - Deadlines run from the receipt of the request (the receiver's first
 *   cosignature covering it), never from the sender's claimed time.
 *   Overdue is computed at the time asked for. */
#ifndef PARLEY_CASES_H
#define PARLEY_CASES_H

#include "core/case.h"
#include "core/charter.h"
#include "core/register.h"
#include "core/report.h"
#include "node/node.h"

/* Appends charter JSON (checked) to our log for peer. */
int channel_propose(struct node *n, const char *peer, const char *json,
		    size_t len, uint64_t *index, struct err *e);
/* Appends the peer's newest charter proposal, byte for byte, to our log. */
int channel_accept(struct node *n, const char *peer, uint64_t *index,
		   struct err *e);

struct channel_state {
	struct charter *charter; /* in force, or NULL */
	char *charter_json;
	int pending_ours;        /* we proposed a charter the peer has not accepted */
	int pending_theirs;      /* the peer proposed one we have not accepted */
	int borrowed;            /* charter and charter_json are the node handle's */
};
/* The channel's state. Reads only what both logs gained since the last
 * call on this node handle (n->chans); node_close frees that. The charter
 * in force is parsed once and kept there too: st borrows it, valid until
 * the next channel_state on n or node_close. channel_state_free(st) in
 * any case. */
int channel_state(struct node *n, const char *peer, struct channel_state *st,
		  struct err *e);
void channel_cache_free(struct node *n);
void channel_state_free(struct channel_state *st);

struct case_msg {
	const char *from;       /* a name held by the case_list */
	uint64_t index;         /* in from's log to the other party */
	enum envelope_kind kind;
	int64_t sent;           /* sender's claimed time */
	uint64_t receipt;       /* receipt time, 0: sent, no receipt */
	int counted;            /* 0: refused by the lifecycle (a race) */
	char *body;             /* JSON, or NULL if the body is not held */
	size_t body_len;
};

/* Names and types are held once by the case_list (a million cases name
 * a handful of parties and types); subject is "" unless bodies were read. */
struct case_view {
	const char *requester;
	const char *responder;
	uint64_t index;
	const char *type;
	const char *subject;
	enum case_state state;
	uint64_t receipt;        /* of the request, 0 if none */
	int64_t ack_due, answer_due; /* 0: no deadline (no receipt, or none expected) */
	int overdue_ack, overdue_answer;
	struct case_msg *msgs;
	size_t nmsgs;
};

/* A past request from a register (core/register.h), attested by the
 * party whose log holds it. */
struct case_attested {
	char requester[ENVELOPE_NAME_MAX + 1];
	char responder[ENVELOPE_NAME_MAX + 1];
	char by[ENVELOPE_NAME_MAX + 1];  /* the importer */
	uint64_t index;                  /* in by's log */
	uint64_t receipt;                /* the other side's receipt of the claim */
	struct register_rec rec;
};

struct case_list {
	struct case_view *v;
	size_t n;
	struct case_attested *att;
	size_t natt, att_cap;
	char **strings;          /* the names and types the views point to */
	size_t nstrings;
};

/* Every case between us and peer (or all peers if peer is NULL), as of
 * time now. With CASES_NO_BODIES, message bodies are not read (body
 * stays NULL, subject empty): what reports need, and much faster. Free
 * with case_list_free. */
#define CASES_NO_BODIES 1u
int cases_load(struct node *n, const char *peer, int64_t now, unsigned flags,
	       struct case_list *out, struct err *e);
void case_list_free(struct case_list *l);
/* A walk over the cases: those with peer (NULL: every peer), in state
 * (a case_state_name; NULL: any), only the overdue ones if overdue, after
 * the case a cursor names ("PEER/REQUESTER/INDEX", as cases_page gives;
 * NULL: from the first), at most limit (0: all). */
struct case_query {
	const char *peer;
	const char *state;
	int overdue;
	const char *after;
	size_t limit;
};
#define CASE_CURSOR_MAX (2 * ENVELOPE_NAME_MAX + 24)
/* fn gets each case q lets through, settled as of now, in the order of
 * cases_load (peer by peer, our requests then theirs, each by index),
 * with its messages but not their bodies, with its subject unless flags
 * say CASES_NO_BODIES; cv, its messages and names are valid during the
 * call only. fn
 * returns 0 to go on, CASES_STOP to end the walk (cases_each then
 * returns 0), or an error code. Each channel is read as the report
 * reads it (its case facts, store_cases_scan; cases_report_each) from
 * the cursor's case on, a few thousand cases at a time, until fn stops
 * it: memory does not grow with the channel's cases, and a page costs
 * the cases it passes over, not the channel. ERR_INVALID for a state or
 * cursor that names nothing. */
#define CASES_STOP 1
typedef int (*cases_view_fn)(void *ctx, const char *peer, const struct case_view *cv,
			     struct err *e);
int cases_each(struct node *n, const struct case_query *q, int64_t now, unsigned flags,
	       cases_view_fn fn, void *ctx, struct err *e);
/* One page of cases_each into out (views without their messages, nmsgs
 * 0; free with case_list_free), and in next (CASE_CURSOR_MAX bytes) the
 * cursor of its last case if more cases follow it, else "". */
int cases_page(struct node *n, const struct case_query *q, int64_t now, struct case_list *out,
	       char *next, struct err *e);
/* The case id ("party/index") as cases_load would show it (several if we
 * opened one with each of several peers; none if there is no such case),
 * without building every other case: each channel's case facts are
 * read for that one request, and only the case's own envelopes and
 * bodies. */
int cases_load_id(struct node *n, const char *id, int64_t now, unsigned flags,
		  struct case_list *out, struct err *e);
/* "party/index" -> parts. Returns 0 or ERR_INVALID. */
int case_id_parse(const char *id, char *party, uint64_t *index, struct err *e);

/* Each case's report view (then each attested record's), given to fn
 * as the report reads the logs' case facts (DESIGN.md differs: reports,
 * /metrics and case views read the facts by case that every append
 * keeps, store_cases.c, not a view of the whole channel): the same
 * numbers as cases_load + cases_report_input, in a fraction of the time
 * and memory, never more than a few thousand cases held at once. The view points into l (names, records): keep l
 * until done with them, then free it. fn returns 0 or an error code,
 * which stops the walk. */
typedef int (*cases_report_fn)(void *ctx, const struct report_case *c, struct err *e);
int cases_report_each(struct node *n, const char *peer, int64_t now, struct case_list *l,
		      cases_report_fn fn, void *ctx, struct err *e);
/* The same views gathered in one array: *out (malloc'd, *nout long)
 * points into l: free both. */
int cases_report_load(struct node *n, const char *peer, int64_t now,
		      struct case_list *l, struct report_case **out, size_t *nout,
		      struct err *e);
/* The report's view of each case of l, then of each attested record
 * (pointers into l: keep l alive). *out is malloc'd, l->n + l->natt long. */
int cases_report_input(const struct case_list *l, struct report_case **out,
		       struct err *e);

/* A case as JSON (the API's and the CLI's --json form), with its timeline
 * if asked; the caller owns the result. */
struct json_t;
struct json_t *case_view_json(const struct case_view *cv, int timeline);

/* A request body from its parts (fields: a JSON object or NULL; names[i]
 * the file name of blobs[i]). Returns malloc'd JSON, or NULL with e set. */
char *case_request_body(const char *subject, const char *text, const char *tlp,
			struct json_t *fields, const char *const *names,
			const struct store_blob *blobs, size_t n, struct err *e);

/* Opens a case: body is checked against the charter in force, and every
 * attachment it names must be among blobs (stored with the request). */
int case_open(struct node *n, const char *peer, const char *type,
	      const char *body, size_t len, const struct store_blob *blobs,
	      size_t nblobs, uint64_t *index, struct err *e);
/* Appends one register entry per record to our log to peer, all in one
 * transaction. Every date must be in the past. *first: the first index. */
int cases_import_register(struct node *n, const char *peer,
			  const struct register_rec *recs, size_t count,
			  uint64_t *first, struct err *e);
/* ack|answer|decline|withdraw|remind|close on case id; refused before
 * anything is logged if the lifecycle does not allow it now. */
int case_act(struct node *n, const char *id, enum envelope_kind kind,
	     const char *body, size_t len, uint64_t *index, struct err *e);

#endif
