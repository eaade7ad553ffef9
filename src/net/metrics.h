/* metrics.h — what a running node counts, for /metrics (Prometheus text
 * format 0.0.4) and parley status (issue 10).
 *
 * Counters live in the serve process: HTTP requests by API and status
 * with a latency histogram, delivery attempts and failures by peer.
 * Gauges are read from the store at each scrape: outbox backlog and the
 * age of the oldest unreceipted entry by peer, log sizes, cases by state,
 * overdue cases, fork evidence. */
#ifndef PARLEY_METRICS_H
#define PARLEY_METRICS_H

#include "core/case.h"
#include "node/node.h"

/* A request of api ("peer" or "operator") answered with status after
 * seconds. Thread-safe. */
void metrics_request(const char *api, unsigned status, double seconds);
/* A delivery run to peer, and whether it succeeded. Thread-safe. */
void metrics_delivery(const char *peer, int ok);

/* The node's state as of now. */
struct metrics_peer {
	char name[STORE_NAME_MAX + 1];
	uint64_t backlog;
	int64_t oldest_unreceipted;   /* seconds; 0: nothing pending */
	uint64_t receipted;           /* size the peer last cosigned */
	int64_t last_receipt;         /* time of that cosignature; 0: never */
	unsigned failures;            /* consecutive failed deliveries */
};

struct metrics_state {
	struct metrics_peer *peers;
	size_t npeers;
	uint64_t cases[CASE_STATE_COUNT];
	uint64_t overdue_ack, overdue_answer, attested;
	uint64_t evidence;
};

/* One peer's part of it. */
int metrics_peer_get(struct node *n, const char *peer, struct metrics_peer *mp, struct err *e);
int metrics_state(struct node *n, struct metrics_state *st, struct err *e);
void metrics_state_free(struct metrics_state *st);

/* The whole /metrics page (malloc'd). */
char *metrics_text(struct node *n, struct err *e);

#endif
