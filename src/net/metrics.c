/* metrics.c — counters of a serve process and gauges from the store. See
 * metrics.h. */
#include "net/metrics.h"

#include "net/outbox.h"
#include "node/cases.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APIS 2
#define STATUSES 600
#define DELIVERY_PEERS 256

static const char *const api_names[APIS] = { "peer", "operator" };
static const double buckets[] = { 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t requests[APIS][STATUSES];
static uint64_t hist[APIS][NBUCKETS];   /* cumulative "le" counts */
static uint64_t hist_count[APIS];
static double hist_sum[APIS];
static struct {
	char name[STORE_NAME_MAX + 1];
	uint64_t attempts, failures;
} deliveries[DELIVERY_PEERS];
static size_t ndeliveries;

void metrics_request(const char *api, unsigned status, double seconds)
{
	int a = strcmp(api, "peer") == 0 ? 0 : 1;

	pthread_mutex_lock(&lock);
	requests[a][status < STATUSES ? status : 0]++;
	for (size_t b = 0; b < NBUCKETS; b++)
		hist[a][b] += seconds <= buckets[b];
	hist_count[a]++;
	hist_sum[a] += seconds;
	pthread_mutex_unlock(&lock);
}

void metrics_delivery(const char *peer, int ok)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < ndeliveries && strcmp(deliveries[i].name, peer) != 0; i++)
		;
	if (i == ndeliveries && ndeliveries < DELIVERY_PEERS)
		snprintf(deliveries[ndeliveries++].name, sizeof(deliveries[0].name), "%s", peer);
	if (i < ndeliveries) {
		deliveries[i].attempts++;
		deliveries[i].failures += !ok;
	}
	pthread_mutex_unlock(&lock);
}

void metrics_state_free(struct metrics_state *st)
{
	free(st->peers);
	memset(st, 0, sizeof(*st));
}

struct gather {
	struct node *n;
	struct metrics_state *st;
	struct err *e;
};

int metrics_peer_get(struct node *n, const char *peer, struct metrics_peer *mp, struct err *e)
{
	struct store_log log;
	struct store_delivery d;
	uint64_t t;
	int rc;

	memset(mp, 0, sizeof(*mp));
	snprintf(mp->name, sizeof(mp->name), "%s", peer);
	if (store_delivery_get(n->store, peer, &d, e) == 0)
		mp->failures = (unsigned)d.failures;
	rc = store_log_get(n->store, n->cfg.name, peer, 0, &log, e);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc < 0 || (rc = store_receipted(n->store, log.id, peer, &mp->receipted, &t, e)) < 0)
		return rc;
	mp->last_receipt = (int64_t)t;
	mp->backlog = log.size > mp->receipted ? log.size - mp->receipted : 0;
	if (mp->backlog) {
		struct envelope env;
		char *buf;
		size_t len;
		if ((rc = store_entry_get(n->store, log.id, mp->receipted, &buf, &len, e)) < 0)
			return rc;
		if (envelope_parse(&env, buf, len, e) == 0)
			mp->oldest_unreceipted = n->now() - env.time;
		free(buf);
	}
	return 0;
}

static int gather_peer(void *ctx, const struct store_party *p)
{
	struct gather *g = ctx;
	struct metrics_peer *np;

	if (p->self)
		return 0;
	if (!(np = realloc(g->st->peers, (g->st->npeers + 1) * sizeof(*np))))
		return err_set(g->e, ERR_NOMEM, "out of memory");
	g->st->peers = np;
	return metrics_peer_get(g->n, p->name, &np[g->st->npeers++], g->e);
}

static int count_evidence(void *ctx, const struct store_evidence *v)
{
	(void)v;
	((struct metrics_state *)ctx)->evidence++;
	return 0;
}

static int count_case(void *ctx, const struct report_case *c, struct err *e)
{
	struct metrics_state *st = ctx;

	(void)e;
	if (c->attested_by) {
		st->attested++;
		return 0;
	}
	if ((unsigned)c->state < CASE_STATE_COUNT)
		st->cases[c->state]++;
	st->overdue_ack += c->overdue_ack != 0;
	st->overdue_answer += c->overdue_answer != 0;
	return 0;
}

int metrics_state(struct node *n, struct metrics_state *st, struct err *e)
{
	struct gather g = { n, st, e };
	struct case_list l;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = store_party_each(n->store, gather_peer, &g, e)) < 0 ||
	    (r = store_evidence_each(n->store, count_evidence, st, e)) < 0 ||
	    (r = cases_report_each(n, NULL, n->now(), &l, count_case, st, e)) < 0) {
		metrics_state_free(st);
		return r;
	}
	case_list_free(&l);
	return 0;
}

static void head(FILE *pg, const char *name, const char *type, const char *help)
{
	fprintf(pg, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *metrics_text(struct node *n, struct err *e)
{
	struct metrics_state st;
	char *text = NULL;
	size_t len = 0;
	FILE *pg;

	if (metrics_state(n, &st, e) < 0)
		return NULL;
	if (!(pg = open_memstream(&text, &len))) {
		metrics_state_free(&st);
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	head(pg, "parley_outbox_backlog", "gauge", "Entries of our log to a peer that it has not receipted.");
	for (size_t i = 0; i < st.npeers; i++)
		fprintf(pg, "parley_outbox_backlog{peer=\"%s\"} %" PRIu64 "\n", st.peers[i].name, st.peers[i].backlog);
	head(pg, "parley_outbox_oldest_unreceipted_seconds", "gauge",
	     "Age of the oldest entry a peer has not receipted (0: none pending).");
	for (size_t i = 0; i < st.npeers; i++)
		fprintf(pg, "parley_outbox_oldest_unreceipted_seconds{peer=\"%s\"} %" PRId64 "\n", st.peers[i].name,
		    st.peers[i].oldest_unreceipted);
	head(pg, "parley_receipted_entries", "gauge", "Size of our log a peer has cosigned.");
	for (size_t i = 0; i < st.npeers; i++)
		fprintf(pg, "parley_receipted_entries{peer=\"%s\"} %" PRIu64 "\n", st.peers[i].name, st.peers[i].receipted);
	head(pg, "parley_delivery_consecutive_failures", "gauge", "Failed deliveries to a peer since the last success.");
	for (size_t i = 0; i < st.npeers; i++)
		fprintf(pg, "parley_delivery_consecutive_failures{peer=\"%s\"} %u\n", st.peers[i].name, st.peers[i].failures);
	head(pg, "parley_cases", "gauge", "Cases of every channel by state.");
	for (int s = CASE_SENT; s < CASE_STATE_COUNT; s++)
		fprintf(pg, "parley_cases{state=\"%s\"} %" PRIu64 "\n", case_state_name((enum case_state)s), st.cases[s]);
	head(pg, "parley_cases_overdue", "gauge", "Open cases past a deadline of their charter.");
	fprintf(pg, "parley_cases_overdue{deadline=\"ack\"} %" PRIu64 "\n", st.overdue_ack);
	fprintf(pg, "parley_cases_overdue{deadline=\"answer\"} %" PRIu64 "\n", st.overdue_answer);
	head(pg, "parley_attested_requests", "gauge", "Past requests imported from registers (attested by one side).");
	fprintf(pg, "parley_attested_requests %" PRIu64 "\n", st.attested);
	head(pg, "parley_fork_evidence", "gauge", "Signed checkpoints held that prove a peer forked its log.");
	fprintf(pg, "parley_fork_evidence %" PRIu64 "\n", st.evidence);
	metrics_state_free(&st);

	pthread_mutex_lock(&lock);
	head(pg, "parley_delivery_attempts_total", "counter", "Delivery runs to a peer since the process started.");
	for (size_t i = 0; i < ndeliveries; i++)
		fprintf(pg, "parley_delivery_attempts_total{peer=\"%s\"} %" PRIu64 "\n", deliveries[i].name,
		    deliveries[i].attempts);
	head(pg, "parley_delivery_failures_total", "counter", "Delivery runs to a peer that failed.");
	for (size_t i = 0; i < ndeliveries; i++)
		fprintf(pg, "parley_delivery_failures_total{peer=\"%s\"} %" PRIu64 "\n", deliveries[i].name,
		    deliveries[i].failures);
	head(pg, "parley_http_requests_total", "counter", "HTTP requests answered, by API and status.");
	for (int a = 0; a < APIS; a++)
		for (unsigned s = 0; s < STATUSES; s++)
			if (requests[a][s])
				fprintf(pg, "parley_http_requests_total{api=\"%s\",code=\"%u\"} %" PRIu64 "\n",
				    api_names[a], s, requests[a][s]);
	head(pg, "parley_http_request_duration_seconds", "histogram", "Time to answer a request, by API.");
	for (int a = 0; a < APIS; a++) {
		for (size_t b = 0; b < NBUCKETS; b++)
			fprintf(pg, "parley_http_request_duration_seconds_bucket{api=\"%s\",le=\"%g\"} %" PRIu64 "\n",
			    api_names[a], buckets[b], hist[a][b]);
		fprintf(pg, "parley_http_request_duration_seconds_bucket{api=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
		    api_names[a], hist_count[a]);
		fprintf(pg, "parley_http_request_duration_seconds_sum{api=\"%s\"} %.6f\n", api_names[a], hist_sum[a]);
		fprintf(pg, "parley_http_request_duration_seconds_count{api=\"%s\"} %" PRIu64 "\n", api_names[a],
		    hist_count[a]);
	}
	pthread_mutex_unlock(&lock);
	if (fclose(pg) != 0) {
		free(text);
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	return text;
}
