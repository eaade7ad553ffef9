/* outbox.c — store-and-forward delivery to peers. See outbox.h. */
#include "net/outbox.h"

#include "net/client.h"
#include "net/http.h"
#include "net/metrics.h"
#include "net/wire.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
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

static double mono(void);

/* Records a delivery's outcome (the peers page: last attempt, last
 * success, failures in a row, last error). last, if not NULL, is when
 * this worker last recorded a success: another success within a second
 * of it is not written (a commit, so a disk flush: one of the four per
 * case a node made when cases came one at a time); a failure always is.
 * The receipts themselves are durable; this row only lags by that second. */
static void record(struct node *n, const char *peer, int ok, const struct err *e, double *last)
{
	struct store_delivery d;
	struct err ignore;

	metrics_delivery(peer, ok);
	if (last) {
		double now = mono();
		if (ok && *last > 0 && now - *last < 1.0)
			return;
		*last = ok ? now : 0;
	}
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

/* A batch ready to post: made, encoded. */
struct ready {
	struct node_batch b;
	char *packed; /* wire_batch_pack */
	size_t len;
};

static void ready_free(struct ready *r)
{
	free(r->packed);
	node_batch_free(&r->b);
	memset(r, 0, sizeof(*r));
}

/* The batch of our log to peer that starts at done, encoded. Batches end
 * at multiples of NODE_BATCH_MAX (or the log's end), so a re-sent batch
 * never ends before one sent earlier: the receiver refuses checkpoints
 * older than one it cosigned. */
static int ready_make(struct node *n, const char *peer, uint64_t done, struct ready *r,
		      struct err *e)
{
	size_t max = (size_t)((done / NODE_BATCH_MAX + 1) * NODE_BATCH_MAX - done);
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = node_batch_post(n, peer, done, max, &r->b, e)) == 0)
		rc = wire_batch_pack(&r->b, &r->packed, &r->len, e);
	if (rc < 0)
		ready_free(r);
	return rc;
}

/* A post running on its own thread while the next batch is made and the
 * last one's receipt stored. */
struct post {
	struct client *cl;
	const struct ready *r;
	pthread_t th;
	int threaded;
	char line[512];
	struct err e;
	int rc;
};

static void *post_run(void *ctx)
{
	struct post *p = ctx;

	memset(&p->e, 0, sizeof(p->e));
	p->rc = client_post_batch(p->cl, p->r->packed, p->r->len, p->line, sizeof(p->line), &p->e);
	return NULL;
}

static void post_start(struct post *p, struct client *cl, const struct ready *r)
{
	p->cl = cl;
	p->r = r;
	p->threaded = pthread_create(&p->th, NULL, post_run, p) == 0;
	if (!p->threaded)
		post_run(p);
}

static void post_wait(struct post *p)
{
	if (p->threaded)
		pthread_join(p->th, NULL);
	p->threaded = 0;
}

/* What a peer's delivery worker keeps from one delivery to the next. */
struct run {
	const atomic_int *stop; /* aborts a post in flight when set */
	int (*held)(void *);    /* the lease: asked before each batch but the first */
	void *ctx;
	double recorded;        /* last success recorded (mono()), see record() */
	struct client *cl;      /* the peer's connection, kept alive */
};

/* The kept connection if it is still to peer p as now known, else a new
 * one (the old one closed). */
static int run_client(struct run *r, struct node *n, const struct store_party *p,
		      struct err *e)
{
	int rc;

	if (r->cl && client_is_for(r->cl, p))
		return 0;
	client_free(r->cl);
	r->cl = NULL;
	if ((rc = client_new(&r->cl, n, p, e)) < 0)
		return rc;
	if (r->stop)
		client_abort_on(r->cl, r->stop);
	return 0;
}

/* Delivers everything pending for peer; r is the worker's state, or NULL
 * for a one-shot delivery (a connection of its own, closed at the end).
 * r->held, if set, is asked before each batch but the first (the caller
 * asked before that one) whether this process may still deliver (the
 * lease): if not, delivery stops there, without error. Two batches
 * overlap: while batch k is in flight, k + 1 is read, signed and encoded;
 * when k's answer comes, k + 1 leaves, and k's receipt is stored while it
 * is in flight. Receipts are still stored in order, each after its
 * batch's answer. The two slots (rd, po) are never copied: a post thread
 * holds pointers into them. After a failure the connection is closed, so
 * the next delivery starts on a fresh one. */
static int deliver(struct node *n, const char *peer, struct run *r, uint64_t *sent,
		   struct err *e)
{
	struct store_party p;
	struct store_log log;
	struct run one = { 0 };
	struct ready rd[2];
	struct post po[2];
	uint64_t done, t;
	int rc, batches = 0, k = 0, flying = 0, lost = 0;

	*sent = 0;
	if (!r)
		r = &one;
	memset(rd, 0, sizeof(rd));
	memset(po, 0, sizeof(po));
	if ((rc = store_party_get(n->store, peer, &p, e)) < 0)
		return rc;
	rc = store_log_get(n->store, n->cfg.name, peer, 0, &log, e);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc < 0 || (rc = store_receipted(n->store, log.id, peer, &done, &t, e)) < 0)
		goto out;
	for (;;) {
		struct ready *cur = &rd[k], *next = &rd[k ^ 1];
		struct err me;
		int mk;

		if (!flying) {
			/* Nothing made while the last batch was in flight: the
			 * log ended there when read, and may have grown since. */
			if (!cur->packed && ((rc = store_log_get(n->store, n->cfg.name, peer, 0, &log, e)) < 0 ||
					     done >= log.size || (rc = ready_make(n, peer, done, cur, e)) < 0))
				break;
			if (r->held && batches++ > 0 && !r->held(r->ctx))
				break;
			if ((rc = run_client(r, n, &p, e)) < 0)
				break;
			done = cur->b.first + cur->b.n;
			post_start(&po[k], r->cl, cur);
		}
		/* The next batch, if the log holds one, while this one is in
		 * flight. */
		if ((mk = store_log_get(n->store, n->cfg.name, peer, 0, &log, &me)) == 0 && done < log.size)
			mk = ready_make(n, peer, done, next, &me);
		post_wait(&po[k]);
		flying = 0;
		if (po[k].rc < 0) {
			rc = po[k].rc;
			*e = po[k].e;
			break;
		}
		/* The next batch leaves before this one's receipt is stored,
		 * so the peer appends while we commit. A process that dies
		 * between the two leaves two batches cosigned and neither
		 * receipt stored: re-sent, the first gets the cosignature the
		 * peer gave it then (node_receive), and delivery goes on. */
		if (mk == 0 && next->packed) {
			if (r->held && batches++ > 0 && !r->held(r->ctx)) {
				lost = 1;
			} else {
				done = next->b.first + next->b.n;
				post_start(&po[k ^ 1], r->cl, next);
				flying = 1;
			}
		}
		if ((rc = node_receipt_add(n, peer, cur->b.note, cur->b.note_len, po[k].line, &t, e)) < 0)
			break;
		*sent += cur->b.n;
		ready_free(cur);
		if (mk < 0) {
			rc = mk;
			*e = me;
			break;
		}
		if (lost)
			break;
		k ^= 1;
	}
	/* A batch still in flight when delivery stops (the receipt before
	 * it was not stored): its answer is not kept; the next delivery sends
	 * it again and gets the same receipt. */
	if (flying)
		post_wait(&po[k ^ 1]);
out:
	ready_free(&rd[0]);
	ready_free(&rd[1]);
	if (r == &one || rc < 0) {
		client_free(r->cl);
		r->cl = NULL;
	}
	record(n, peer, rc == 0, e, r == &one ? NULL : &r->recorded);
	return rc;
}

int outbox_deliver(struct node *n, const char *peer, uint64_t *sent, struct err *e)
{
	return deliver(n, peer, NULL, sent, e);
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

/* One peer's delivery thread, on its own node handle. */
struct peer_worker {
	char name[STORE_NAME_MAX + 1];
	char lease[STORE_ORIGIN_MAX + 16]; /* "deliver parley/SELF/PEER" */
	int held;                          /* as of the last take or renewal */
	double renewed;                    /* when (mono()) */
	struct run run;                    /* kept between deliveries */
	struct outbox *o;
	struct node *n;
	pthread_t thread;
	struct peer_worker *next;
};

struct outbox {
	char dir[1024];
	struct node *n;          /* the supervisor's: finds new peers */
	pthread_t thread;
	int running;             /* thread was started */
	atomic_int stop;
	struct peer_worker *workers;
	char holder[320]; /* this process's lease holder id: host/pid/random */
};

/* outbox_kick: a generation counter the threads wait on between polls. */
static pthread_mutex_t kick_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t kick_cv = PTHREAD_COND_INITIALIZER;
static uint64_t kick_gen;

void outbox_kick(void)
{
	pthread_mutex_lock(&kick_mu);
	kick_gen++;
	pthread_cond_broadcast(&kick_cv);
	pthread_mutex_unlock(&kick_mu);
}

/* Waits OUTBOX_POLL_MS, or less if kicked since *seen. */
static void poll_wait(uint64_t *seen)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += OUTBOX_POLL_MS * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&kick_mu);
	if (kick_gen == *seen)
		pthread_cond_timedwait(&kick_cv, &kick_mu, &t);
	*seen = kick_gen;
	pthread_mutex_unlock(&kick_mu);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Takes or renews the worker's delivery lease; logs each change of
 * hands. Returns whether it holds the lease. A store error counts as not
 * holding it. A lease renewed less than OUTBOX_LEASE_MS / 3 ago is not
 * written again (a commit, so a disk flush, per batch): it has two
 * thirds of its time left. */
static int lease_hold(void *arg)
{
	struct peer_worker *w = arg;
	struct err e;
	int held;

	if (w->held && mono() - w->renewed < OUTBOX_LEASE_MS / 3000.0)
		return 1;

	if (store_lease_take(w->n->store, w->lease, w->o->holder, OUTBOX_LEASE_MS, &held, &e) < 0) {
		char q[1100];
		http_log("warn", "peer=%s msg=\"cannot take the delivery lease\" error=\"%s\"",
			 w->name, http_logq(q, sizeof(q), e.msg));
		held = 0;
	}
	if (held != w->held)
		http_log("info", "peer=%s holder=%s msg=\"%s\"", w->name, w->o->holder,
			 held ? "delivery lease taken" : "delivery lease held by another frontend");
	w->held = held;
	if (held)
		w->renewed = mono();
	return held;
}

static void *peer_loop(void *arg)
{
	struct peer_worker *w = arg;
	unsigned failures = 0;
	uint64_t seen = 0;
	double next = 0;
	struct err e;

	while (!atomic_load(&w->o->stop)) {
		uint64_t backlog, sent;

		if (mono() < next) {
			/* Backing off: a holder keeps its lease meanwhile, so that
			 * other frontends do not hammer the peer too. */
			if (w->held && mono() - w->renewed > OUTBOX_LEASE_MS / 3000.0)
				lease_hold(w);
		} else if (outbox_backlog(w->n, w->name, &backlog, &e) == 0 && backlog) {
			if (!lease_hold(w)) {
				next = mono() + OUTBOX_LEASE_RETRY_MS / 1000.0;
			} else if (deliver(w->n, w->name, &w->run, &sent, &e) == 0) {
				if (failures)
					fprintf(stderr, "level=info peer=%s msg=\"peer reachable again\"\n",
						w->name);
				failures = 0;
				next = 0;
				fprintf(stderr, "level=info peer=%s delivered=%" PRIu64 " msg=\"receipted\"\n",
					w->name, sent);
			} else if (!atomic_load(&w->o->stop)) {
				unsigned ms = outbox_backoff_ms(failures++, randombytes_uniform(1000000) / 1e6);
				next = mono() + ms / 1000.0;
				char q[1100];
				http_log("warn", "peer=%s failures=%u retry_ms=%u error=\"%s\"", w->name,
					 failures, ms, http_logq(q, sizeof(q), e.msg));
			}
		}
		poll_wait(&seen);
	}
	if (w->held)
		store_lease_release(w->n->store, w->lease, w->o->holder, &e);
	client_free(w->run.cl);
	w->run.cl = NULL;
	return NULL;
}

static int add_peer(void *ctx, const struct store_party *p)
{
	struct outbox *o = ctx;
	struct peer_worker *w;
	struct err e;

	if (!p->endpoint[0] || p->self)
		return 0;
	for (w = o->workers; w; w = w->next)
		if (strcmp(w->name, p->name) == 0)
			return 0;
	if (!(w = calloc(1, sizeof(*w))))
		return 0;
	snprintf(w->name, sizeof(w->name), "%s", p->name);
	w->o = o;
	if (node_open(&w->n, o->dir, &e) < 0) {
		char q[1100];
		http_log("error", "peer=%s msg=\"cannot start its delivery\" error=\"%s\"", p->name,
			 http_logq(q, sizeof(q), e.msg));
		free(w);
		return 0;
	}
	snprintf(w->lease, sizeof(w->lease), "deliver parley/%s/%s", w->n->cfg.name, p->name);
	w->run = (struct run){ .stop = &o->stop, .held = lease_hold, .ctx = w };
	if (pthread_create(&w->thread, NULL, peer_loop, w) != 0) {
		node_close(w->n);
		free(w);
		return 0;
	}
	w->next = o->workers;
	o->workers = w;
	return 0;
}

/* Starts a thread for every peer with an endpoint, now and later. */
static void *supervise(void *arg)
{
	struct outbox *o = arg;
	struct err e;

	struct timespec pause = { 0, OUTBOX_POLL_MS * 1000000L };

	for (int t = 1; !atomic_load(&o->stop); t++) {
		if (t % 20 == 0) /* every second */
			store_party_each(o->n->store, add_peer, o, &e);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

int outbox_start(struct outbox **out, const char *dir, struct err *e)
{
	struct outbox *o = calloc(1, sizeof(*o));
	char host[256];
	int rc;

	*out = NULL;
	if (!o)
		return err_set(e, ERR_NOMEM, "out of memory");
	snprintf(o->dir, sizeof(o->dir), "%s", dir);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	snprintf(o->holder, sizeof(o->holder), "%s/%ld/%08x", host, (long)getpid(),
		 (unsigned)randombytes_random());
	if ((rc = node_open(&o->n, dir, e)) < 0) {
		free(o);
		return rc;
	}
	atomic_init(&o->stop, 0);
	store_party_each(o->n->store, add_peer, o, e);
	if (pthread_create(&o->thread, NULL, supervise, o) != 0) {
		outbox_stop(o);
		return err_set(e, ERR_IO, "cannot start the delivery thread");
	}
	o->running = 1;
	*out = o;
	return 0;
}

void outbox_stop(struct outbox *o)
{
	if (!o)
		return;
	atomic_store(&o->stop, 1);
	outbox_kick();
	if (o->running)
		pthread_join(o->thread, NULL);
	while (o->workers) {
		struct peer_worker *w = o->workers;
		o->workers = w->next;
		pthread_join(w->thread, NULL);
		node_close(w->n);
		free(w);
	}
	node_close(o->n);
	free(o);
}
