/* outbox.c — store-and-forward delivery to peers. See outbox.h. */
#include "net/outbox.h"

#include "net/client.h"
#include "net/wire.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

int outbox_backlog(struct node *n, const char *peer, uint64_t *backlog,
		   struct err *e)
{
	struct store_log log;
	uint64_t done, t;
	int rc;

	*backlog = 0;
	rc = store_log_get(n->store, n->cfg.name, peer, 0, &log, e);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc < 0 || (rc = store_receipted(n->store, log.id, peer, &done, &t, e)) < 0)
		return rc;
	*backlog = log.size > done ? log.size - done : 0;
	return 0;
}

static void record(struct node *n, const char *peer, int ok, const struct err *e)
{
	struct store_delivery d;
	struct err ignore;

	if (store_delivery_get(n->store, peer, &d, &ignore) < 0) {
		memset(&d, 0, sizeof(d));
		snprintf(d.peer, sizeof(d.peer), "%s", peer);
	}
	d.last_attempt = n->now();
	if (ok) {
		d.last_ok = d.last_attempt;
		d.failures = 0;
		d.last_error[0] = '\0';
	} else {
		d.failures++;
		snprintf(d.last_error, sizeof(d.last_error), "%s", e->msg);
	}
	store_delivery_put(n->store, &d, &ignore);
}

int outbox_deliver(struct node *n, const char *peer, uint64_t *sent, struct err *e)
{
	struct store_party p;
	struct store_log log;
	struct client *cl = NULL;
	uint64_t done, t;
	int rc;

	*sent = 0;
	if ((rc = store_party_get(n->store, peer, &p, e)) < 0)
		return rc;
	for (;;) {
		struct node_batch b;
		char *json = NULL, line[512];
		size_t len, max;

		rc = store_log_get(n->store, n->cfg.name, peer, 0, &log, e);
		if (rc == ERR_NOTFOUND)
			return 0;
		if (rc < 0 || (rc = store_receipted(n->store, log.id, peer, &done, &t, e)) < 0)
			break;
		if (done >= log.size)
			break;
		/* Batches end at multiples of NODE_BATCH_MAX (or the log's end),
		 * so a re-sent batch never ends before one sent earlier: the
		 * receiver refuses checkpoints older than one it cosigned. */
		max = (size_t)((done / NODE_BATCH_MAX + 1) * NODE_BATCH_MAX - done);
		if ((rc = node_batch_make(n, peer, done, max, &b, e)) < 0)
			break;
		rc = wire_batch_encode(&b, &json, &len, e);
		if (rc == 0 && !cl)
			rc = client_new(&cl, n, &p, e);
		if (rc == 0)
			rc = client_post_batch(cl, json, len, line, sizeof(line), e);
		if (rc == 0)
			rc = node_receipt_add(n, peer, b.note, b.note_len, line, &t, e);
		if (rc == 0)
			*sent += b.n;
		free(json);
		node_batch_free(&b);
		if (rc < 0)
			break;
	}
	client_free(cl);
	record(n, peer, rc == 0, e);
	return rc;
}

unsigned outbox_backoff_ms(unsigned failures, double r)
{
	double d = OUTBOX_BACKOFF_MIN_MS;

	for (unsigned i = 0; i < failures && d < OUTBOX_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > OUTBOX_BACKOFF_MAX_MS)
		d = OUTBOX_BACKOFF_MAX_MS;
	return (unsigned)(d * (0.5 + r / 2));
}

struct peer_state {
	char name[STORE_NAME_MAX + 1];
	unsigned failures;
	double next; /* monotonic seconds */
};

struct outbox {
	struct node *n;
	pthread_t thread;
	atomic_int stop;
	struct peer_state *peers;
	size_t npeers;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int add_peer(void *ctx, const struct store_party *p)
{
	struct outbox *o = ctx;
	struct peer_state *np;

	if (!p->endpoint[0])
		return 0;
	for (size_t i = 0; i < o->npeers; i++)
		if (strcmp(o->peers[i].name, p->name) == 0)
			return 0;
	if (!(np = realloc(o->peers, (o->npeers + 1) * sizeof(*np))))
		return 0;
	o->peers = np;
	memset(&np[o->npeers], 0, sizeof(*np));
	snprintf(np[o->npeers].name, sizeof(np[o->npeers].name), "%s", p->name);
	o->npeers++;
	return 0;
}

static void *worker(void *arg)
{
	struct outbox *o = arg;
	struct timespec pause = { 0, OUTBOX_POLL_MS * 1000000L };
	struct err e;

	while (!atomic_load(&o->stop)) {
		store_party_each(o->n->store, add_peer, o, &e); /* peers added later too */
		for (size_t i = 0; i < o->npeers && !atomic_load(&o->stop); i++) {
			struct peer_state *p = &o->peers[i];
			uint64_t backlog, sent;

			if (mono() < p->next ||
			    outbox_backlog(o->n, p->name, &backlog, &e) < 0 || backlog == 0)
				continue;
			if (outbox_deliver(o->n, p->name, &sent, &e) == 0) {
				if (p->failures)
					fprintf(stderr, "level=info peer=%s msg=\"peer reachable again\"\n",
						p->name);
				p->failures = 0;
				p->next = 0;
				fprintf(stderr, "level=info peer=%s delivered=%" PRIu64 " msg=\"receipted\"\n",
					p->name, sent);
			} else {
				unsigned ms = outbox_backoff_ms(p->failures++,
								randombytes_uniform(1000000) / 1e6);
				p->next = mono() + ms / 1000.0;
				fprintf(stderr, "level=warn peer=%s failures=%u retry_ms=%u error=\"%s\"\n",
					p->name, p->failures, ms, e.msg);
			}
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

int outbox_start(struct outbox **out, const char *dir, struct err *e)
{
	struct outbox *o = calloc(1, sizeof(*o));
	int rc;

	*out = NULL;
	if (!o)
		return err_set(e, ERR_NOMEM, "out of memory");
	if ((rc = node_open(&o->n, dir, e)) < 0) {
		free(o);
		return rc;
	}
	atomic_init(&o->stop, 0);
	if (pthread_create(&o->thread, NULL, worker, o) != 0) {
		node_close(o->n);
		free(o);
		return err_set(e, ERR_IO, "cannot start the delivery thread");
	}
	*out = o;
	return 0;
}

void outbox_stop(struct outbox *o)
{
	if (!o)
		return;
	atomic_store(&o->stop, 1);
	pthread_join(o->thread, NULL);
	node_close(o->n);
	free(o->peers);
	free(o);
}
