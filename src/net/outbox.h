/* outbox.h — store-and-forward delivery. The outbox is the sender's own
 * log: every message is durable there before any network I/O, and what is
 * pending for a peer is everything past the largest size that peer has
 * cosigned. Delivery sends it in order, in batches with our signed
 * checkpoint, verifies and stores each receipt; re-delivery after a crash
 * or a lost answer is idempotent on the receiver.
 *
 * The worker (parley serve) runs one thread per peer, so a peer that is
 * down or hangs delays no other, and retries each with capped exponential
 * backoff and jitter: delay = min(OUTBOX_BACKOFF_MAX, OUTBOX_BACKOFF_MIN *
 * 2^failures) * uniform(0.5, 1), and records every attempt's outcome in the
 * store for parley peer list. A thread looks for a backlog every
 * OUTBOX_POLL_MS, or at once when this process appended something
 * (outbox_kick): a case opened through the operator API leaves at once,
 * one appended by another process (parley send) within OUTBOX_POLL_MS.
 *
 * Several frontends of one party (parley serve processes sharing one
 * store: a PostgreSQL database, or one SQLite file) each run a worker per
 * peer, but only one delivers a given log at a time: the holder of the
 * store lease "deliver ORIGIN" (store.h: leases). A worker takes or
 * renews it before each delivery and before each batch (writing only when
 * the last renewal is OUTBOX_LEASE_MS / 3 old or more), and every
 * OUTBOX_LEASE_MS / 3 while it waits out a backoff; one that does not
 * hold it tries again every OUTBOX_LEASE_RETRY_MS. States of a worker for
 * one log:
 *     idle --backlog, lease taken--> holder --drained/backoff--> holder
 *     idle --backlog, lease held elsewhere--> waiting --expired--> holder
 *     holder --lease taken by another (ours expired)--> waiting
 *     holder --stop--> lease released (another may take it at once)
 * A holder killed without a clean stop stops renewing: the lease expires
 * after OUTBOX_LEASE_MS and another frontend's worker takes over, resuming
 * from what the peer has cosigned. The lease saves pushing every batch
 * twice; it is not what keeps the peer's mirror right: re-delivery is
 * idempotent, so a holder stalled past its lease in one batch's POST and
 * its successor may overlap by that batch, no more (the stalled one finds
 * the lease gone before its next batch). parley ping and other CLI
 * deliveries (outbox_deliver) take no lease. */
#ifndef PARLEY_OUTBOX_H
#define PARLEY_OUTBOX_H

#include "node/node.h"

#define OUTBOX_BACKOFF_MIN_MS 250
#define OUTBOX_BACKOFF_MAX_MS 30000
#define OUTBOX_POLL_MS 50
#define OUTBOX_LEASE_MS 5000
#define OUTBOX_LEASE_RETRY_MS 500

/* Entries of self->peer not yet receipted (backlog). */
int outbox_backlog(struct node *n, const char *peer, uint64_t *backlog,
		   struct err *e);
/* Delivers everything pending for peer now; *sent gets the number of
 * entries receipted by this call. Records the attempt's outcome. */
int outbox_deliver(struct node *n, const char *peer, uint64_t *sent,
		   struct err *e);

/* The backoff delay in ms after failures consecutive failures, for a
 * uniform random r in [0, 1). */
unsigned outbox_backoff_ms(unsigned failures, double r);

struct outbox;
/* Starts the worker: a thread per peer (peers added later too), each on
 * its own node handle opened from dir. outbox_stop abandons transfers in
 * progress within a second. */
int outbox_start(struct outbox **out, const char *dir, struct err *e);
void outbox_stop(struct outbox *o);
/* Wakes the delivery threads of this process to look for a backlog now,
 * not at their next poll (a thread in backoff still waits its delay). */
void outbox_kick(void);

#endif
