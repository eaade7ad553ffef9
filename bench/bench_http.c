/* bench_http.c — the HTTP side of bench/rt5.sh and bench/latency.sh: a
 * load generator (the same one for Request Tracker and for parley) and a
 * probe of one message's latency from case creation to its receipt.
 *
 *   bench_http load URL BODY N C [HEADER...]
 *       N POSTs of BODY (JSON) to URL from C threads, each with its own
 *       keep-alive connection (libcurl easy handle); prints requests/s,
 *       per-request p50/p99 and how many answered 2xx. TLS certificates
 *       are not checked (loopback, self-signed).
 *   bench_http latency API TOKEN SELF PEER PEER_URL NODE_DIR N
 *       N cases opened one at a time through API (POST /api/v1/cases),
 *       each after a random pause of 0 to OUTBOX_POLL_MS (so that cases
 *       do not fall in step with the delivery thread's polls); after each,
 *       GET /api/v1/changes is polled (every POLL_US) until the receipted
 *       half of its stamp moves: B's cosignature is stored at A. The
 *       floor, sampled FLOOR_N times spread over the run (after every
 *       N/FLOOR_N-th receipt): one request to PEER_URL over mutual TLS with
 *       NODE_DIR's certificate on a kept connection (the delivery worker
 *       keeps its connection from one delivery to the next) and, for
 *       comparison, on a new one, and one SQLite commit (WAL,
 *       synchronous=FULL) in NODE_DIR.
 *   bench_http proofs PEER_URL ORIGIN SIZE N C NODE_DIR
 *       N proof requests to a peer API, alternately GET
 *       /peer/v1/proof/inclusion of a random index and .../consistency
 *       from a random size, both at SIZE, from C threads, each with its
 *       own keep-alive connection over mutual TLS with NODE_DIR's
 *       certificate; then the floor, in the same run: as many requests on
 *       the same kind of connections that the server answers without
 *       reading its store (a route it does not have: 404). Prints both
 *       rates, per-request p50/p99, and their ratio. */
#include "benchutil.h"

#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <unistd.h>

#include <curl/curl.h>

#include "net/outbox.h"

#define POLL_US 1000
#define FLOOR_N 200

static size_t sink(char *p, size_t sz, size_t n, void *ctx)
{
	char *buf = ctx;
	size_t have = strlen(buf), len = sz * n;

	if (have + 1 < 256) {
		size_t k = len < 255 - have ? len : 255 - have;
		memcpy(buf + have, p, k);
		buf[have + k] = '\0';
	}
	return len;
}

static CURL *handle(struct curl_slist *h, char *buf)
{
	CURL *c = curl_easy_init();

	if (!c) {
		fprintf(stderr, "bench_http: curl_easy_init failed\n");
		exit(1);
	}
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, buf);
	return c;
}

/* One request on c; the HTTP status (0: transport error), first bytes of
 * the answer in buf (256 bytes). */
static long request(CURL *c, char *buf)
{
	long st = 0;

	buf[0] = '\0';
	if (curl_easy_perform(c) != CURLE_OK)
		return 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	return st;
}

/* N requests from C threads, each on its own keep-alive connection:
 * POSTs of body to url (load), or GETs of proofs, or of a route the
 * server does not have, from a peer API at base (proofs: with dir's
 * certificate). */
struct load {
	const char *url, *body;
	struct curl_slist *headers;
	const char *base, *origin, *dir; /* proofs */
	uint64_t size;
	int proofs;  /* with base: 1 proofs, 0 the store-free floor (404) */
	long n;
	atomic_long next, ok;
	double *lat;
	char first_error[600];
	atomic_int have_error;
};

/* Request i's URL, for proofs: inclusion and consistency alternately. */
static void proof_url(const struct load *l, long i, uint64_t r, char *url, size_t cap)
{
	if (!l->proofs)
		snprintf(url, cap, "%s/peer/v1/none?origin=%s", l->base, l->origin);
	else if (i % 2 == 0)
		snprintf(url, cap, "%s/peer/v1/proof/inclusion?origin=%s&index=%" PRIu64 "&size=%" PRIu64,
			 l->base, l->origin, r % l->size, l->size);
	else
		snprintf(url, cap, "%s/peer/v1/proof/consistency?origin=%s&size1=%" PRIu64
			 "&size2=%" PRIu64, l->base, l->origin, 1 + r % (l->size - 1), l->size);
}

static void *load_thread(void *arg)
{
	struct load *l = arg;
	char buf[256], url[700], cert[1100], key[1100];
	CURL *c = handle(l->headers, buf);
	uint64_t seed = 0x9e3779b97f4a7c15u ^ (uint64_t)(uintptr_t)&buf;
	long i;

	if (l->dir) {
		snprintf(cert, sizeof(cert), "%s/tls.crt", l->dir);
		snprintf(key, sizeof(key), "%s/tls.key", l->dir);
		curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, key);
		curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	if (l->url) {
		curl_easy_setopt(c, CURLOPT_URL, l->url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, l->body);
	}
	while ((i = atomic_fetch_add(&l->next, 1)) < l->n) {
		double t0;
		long st;

		if (l->base) {
			proof_url(l, i, bu_rand(&seed), url, sizeof(url));
			curl_easy_setopt(c, CURLOPT_URL, url);
		}
		t0 = bu_now();
		st = request(c, buf);
		l->lat[i] = bu_now() - t0;
		if (l->base ? st == (l->proofs ? 200 : 404) : st >= 200 && st < 300)
			atomic_fetch_add(&l->ok, 1);
		else if (atomic_exchange(&l->have_error, 1) == 0)
			snprintf(l->first_error, sizeof(l->first_error), "%.300s: HTTP %ld %.200s",
				 l->base ? url : l->url, st, buf);
	}
	curl_easy_cleanup(c);
	return NULL;
}

/* Runs l from conc threads: the seconds it took; p50 and p99 in ms. */
static double load_run(struct load *l, int conc, double *p50, double *p99)
{
	pthread_t th[256];
	double t0 = bu_now(), dt;

	atomic_store(&l->next, 0);
	atomic_store(&l->ok, 0);
	for (int i = 0; i < conc; i++)
		pthread_create(&th[i], NULL, load_thread, l);
	for (int i = 0; i < conc; i++)
		pthread_join(th[i], NULL);
	dt = bu_now() - t0;
	*p50 = bu_quantile(l->lat, (size_t)l->n, 0.5) * 1e3;
	*p99 = bu_quantile(l->lat, (size_t)l->n, 0.99) * 1e3;
	return dt;
}

static int load_main(int argc, char **argv)
{
	struct load l = { .url = argv[2], .body = argv[3], .n = atol(argv[4]) };
	int conc = atoi(argv[5]);
	double dt, p50, p99;

	if (l.n < 1 || conc < 1 || conc > 256) {
		fprintf(stderr, "bench_http load: N >= 1, 1 <= C <= 256\n");
		return 2;
	}
	l.headers = curl_slist_append(NULL, "Content-Type: application/json");
	for (int i = 6; i < argc; i++)
		l.headers = curl_slist_append(l.headers, argv[i]);
	l.lat = calloc((size_t)l.n, sizeof(double));
	dt = load_run(&l, conc, &p50, &p99);
	printf("requests %ld concurrency %d seconds %.3f rate %.1f ok %ld p50_ms %.2f p99_ms %.2f\n",
	       l.n, conc, dt, (double)atomic_load(&l.ok) / dt, atomic_load(&l.ok), p50, p99);
	if (atomic_load(&l.have_error))
		printf("first failure: %s\n", l.first_error);
	curl_slist_free_all(l.headers);
	free(l.lat);
	return atomic_load(&l.ok) == l.n ? 0 : 1;
}

/* Requests of one kind (proofs or the floor's): their rate. */
static double proofs_run(struct load *l, int proofs, int conc, double *p50, double *p99)
{
	double dt;

	l->proofs = proofs;
	dt = load_run(l, conc, p50, p99);
	if (atomic_load(&l->have_error)) {
		fprintf(stderr, "bench_http proofs: %s\n", l->first_error);
		exit(1);
	}
	return (double)atomic_load(&l->ok) / dt;
}

static int proofs_main(char **argv)
{
	struct load l = { .base = argv[2], .origin = argv[3], .size = strtoull(argv[4], NULL, 10),
			  .n = atol(argv[5]), .dir = argv[7] };
	int conc = atoi(argv[6]);
	double rate, floor, p50, p99, f50, f99;

	if (l.n < 2 || l.size < 2 || conc < 1 || conc > 256) {
		fprintf(stderr, "bench_http proofs: N >= 2, SIZE >= 2, 1 <= C <= 256\n");
		return 2;
	}
	l.lat = calloc((size_t)l.n, sizeof(double));
	rate = proofs_run(&l, 1, conc, &p50, &p99);
	floor = proofs_run(&l, 0, conc, &f50, &f99);
	printf("proofs over mTLS, C %d: %ld requests (inclusion and consistency alternately, "
	       "random, log of %" PRIu64 "): %.0f/s, p50 %.3f ms, p99 %.3f ms\n", conc, l.n, l.size,
	       rate, p50, p99);
	printf("floor, same run and connections: a request answered without the store (404): "
	       "%.0f/s, p50 %.3f ms, p99 %.3f ms\n", floor, f50, f99);
	printf("ratio (proof rate / floor rate): %.2f\n", rate / floor);
	free(l.lat);
	return 0;
}

/* The receipted half of GET /api/v1/changes' {"stamp":"E-R"}. */
static const char *receipted(const char *buf)
{
	const char *s = strstr(buf, "\"stamp\":\"");

	return s ? strchr(s + 9, '-') : NULL;
}

/* The floor's samples, taken between cases. */
struct lfloor {
	sqlite3 *db;
	char path[1100], cert[1100], key[1100], buf[256];
	const char *url;
	CURL *kept;
	double fresh[FLOOR_N], keep[FLOOR_N], commit[FLOOR_N];
	int n;
};

static CURL *mtls(struct lfloor *f)
{
	CURL *c = handle(NULL, f->buf);

	curl_easy_setopt(c, CURLOPT_URL, f->url);
	curl_easy_setopt(c, CURLOPT_SSLCERT, f->cert);
	curl_easy_setopt(c, CURLOPT_SSLKEY, f->key);
	curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	return c;
}

static double timed_get(struct lfloor *f, CURL *c)
{
	double t0 = bu_now();
	long st = request(c, f->buf);

	if (st != 200) {
		fprintf(stderr, "bench_http: %s: HTTP %ld %s\n", f->url, st, f->buf);
		exit(1);
	}
	return bu_now() - t0;
}

static void floor_open(struct lfloor *f, const char *url, const char *dir)
{
	memset(f, 0, sizeof(*f));
	f->url = url;
	snprintf(f->cert, sizeof(f->cert), "%s/tls.crt", dir);
	snprintf(f->key, sizeof(f->key), "%s/tls.key", dir);
	snprintf(f->path, sizeof(f->path), "%s/bench-commit.db", dir);
	if (sqlite3_open(f->path, &f->db) != SQLITE_OK ||
	    sqlite3_exec(f->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "CREATE TABLE IF NOT EXISTS t(x BLOB)", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_http: %s: %s\n", f->path, sqlite3_errmsg(f->db));
		exit(1);
	}
	f->kept = mtls(f);
	timed_get(f, f->kept); /* the connection, opened untimed */
}

/* One sample of each part of the floor. */
static void floor_sample(struct lfloor *f)
{
	CURL *c = mtls(f);
	double t0;

	if (f->n == FLOOR_N)
		return;
	f->fresh[f->n] = timed_get(f, c);
	curl_easy_cleanup(c);
	f->keep[f->n] = timed_get(f, f->kept);
	t0 = bu_now();
	sqlite3_exec(f->db, "INSERT INTO t VALUES (randomblob(300))", NULL, NULL, NULL);
	f->commit[f->n++] = bu_now() - t0;
}

static void floor_close(struct lfloor *f)
{
	curl_easy_cleanup(f->kept);
	sqlite3_close(f->db);
	unlink(f->path);
}

static int latency_main(char **argv)
{
	const char *api = argv[2], *self = argv[4], *peer = argv[5], *peer_url = argv[6],
		   *dir = argv[7];
	long n = atol(argv[8]);
	char auth[300], url[600], body[600], post_buf[256], poll_buf[256], last[64], fl_url[600];
	long every = n / FLOOR_N > 1 ? n / FLOOR_N : 1;
	struct curl_slist *h;
	double *lat = calloc((size_t)n, sizeof(double)), *call = calloc((size_t)n, sizeof(double));
	long polls = 0;
	uint64_t seed = 0x9e3779b97f4a7c15u;
	CURL *post, *poll;
	struct lfloor f;
	double fl, fresh, kept, commit, p50, p99, t_start = bu_now(), paused = 0;
	const char *r;

	snprintf(fl_url, sizeof(fl_url), "%s/peer/v1/checkpoint?origin=parley/%s/%s", peer_url, self,
		 peer);
	floor_open(&f, fl_url, dir);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", argv[3]);
	h = curl_slist_append(curl_slist_append(NULL, "Content-Type: application/json"), auth);
	post = handle(h, post_buf);
	poll = handle(h, poll_buf);
	snprintf(url, sizeof(url), "%s/api/v1/cases", api);
	curl_easy_setopt(post, CURLOPT_URL, url);
	snprintf(url, sizeof(url), "%s/api/v1/changes", api);
	curl_easy_setopt(poll, CURLOPT_URL, url);
	if (request(poll, poll_buf) != 200 || !(r = receipted(poll_buf))) {
		fprintf(stderr, "bench_http: GET /api/v1/changes: %s\n", poll_buf);
		return 1;
	}
	snprintf(last, sizeof(last), "%s", r);
	for (long i = 0; i < n; i++) {
		double t0;
		long st, us = (long)(bu_rand(&seed) % (OUTBOX_POLL_MS * 1000 + 1));

		usleep((useconds_t)us);
		paused += (double)us / 1e6;
		snprintf(body, sizeof(body),
			 "{\"peer\":\"%s\",\"type\":\"ping\",\"subject\":\"latency %ld\"}", peer, i);
		curl_easy_setopt(post, CURLOPT_POSTFIELDS, body);
		t0 = bu_now();
		if ((st = request(post, post_buf)) != 200) {
			fprintf(stderr, "bench_http: case %ld: HTTP %ld %s\n", i, st, post_buf);
			return 1;
		}
		call[i] = bu_now() - t0;
		for (;;) {
			polls++;
			if (request(poll, poll_buf) == 200 && (r = receipted(poll_buf)) &&
			    strncmp(r, last, strcspn(last, "\"") + 1) != 0)
				break;
			if (bu_now() - t0 > 60) {
				fprintf(stderr, "bench_http: case %ld: no receipt in 60 s\n", i);
				return 1;
			}
			usleep(POLL_US);
		}
		lat[i] = bu_now() - t0;
		snprintf(last, sizeof(last), "%s", r);
		if (i % every == 0)
			floor_sample(&f);
		if ((i + 1) % 1000 == 0)
			fprintf(stderr, "  %ld / %ld cases (%.0f s)\n", i + 1, n, bu_now() - t_start);
	}
	floor_close(&f);
	fresh = bu_quantile(f.fresh, (size_t)f.n, 0.5);
	kept = bu_quantile(f.keep, (size_t)f.n, 0.5);
	commit = bu_quantile(f.commit, (size_t)f.n, 0.5);
	fl = kept + 3 * commit;
	printf("latency: %ld cases opened one at a time, %s -> %s, %.0f s (%.0f s of random pauses "
	       "of 0-%d ms before each), polled every %d us (%.1f polls per case)\n", n, self, peer,
	       bu_now() - t_start, paused, OUTBOX_POLL_MS, POLL_US, (double)polls / (double)n);
	p50 = bu_quantile(lat, (size_t)n, 0.5);
	p99 = bu_quantile(lat, (size_t)n, 0.99);
	printf("  API call -> receipt stored at %s:  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", self,
	       p50 * 1e3, p99 * 1e3, lat[n - 1] * 1e3);
	printf("  the API call alone (POST /api/v1/cases): p50 %7.2f ms  p99 %7.2f ms\n",
	       bu_quantile(call, (size_t)n, 0.5) * 1e3, bu_quantile(call, (size_t)n, 0.99) * 1e3);
	printf("floor, same run (p50 of %d samples of each, spread over the run):\n", f.n);
	printf("  GET /peer/v1/checkpoint over mTLS, new connection  %7.2f ms  (p99 %.2f)\n", fresh * 1e3,
	       bu_quantile(f.fresh, (size_t)f.n, 0.99) * 1e3);
	printf("  GET /peer/v1/checkpoint over mTLS, kept connection %7.2f ms  (p99 %.2f)\n", kept * 1e3,
	       bu_quantile(f.keep, (size_t)f.n, 0.99) * 1e3);
	printf("  one SQLite commit (WAL, synchronous=FULL)          %7.2f ms  (p99 %.2f)\n", commit * 1e3,
	       bu_quantile(f.commit, (size_t)f.n, 0.99) * 1e3);
	printf("  floor = kept-connection mTLS request + 3 commits (case, mirror, receipt) = %.2f ms\n",
	       fl * 1e3);
	printf("ratio p50 / floor: %.2f   p99 / floor: %.2f\n", p50 / fl, p99 / fl);
	curl_easy_cleanup(post);
	curl_easy_cleanup(poll);
	curl_slist_free_all(h);
	free(lat);
	free(call);
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (argc >= 6 && strcmp(argv[1], "load") == 0)
		rc = load_main(argc, argv);
	else if (argc == 9 && strcmp(argv[1], "latency") == 0)
		rc = latency_main(argv);
	else if (argc == 8 && strcmp(argv[1], "proofs") == 0)
		rc = proofs_main(argv);
	else {
		fprintf(stderr, "usage: bench_http load URL BODY N C [HEADER...]\n"
				"       bench_http latency API TOKEN SELF PEER PEER_URL NODE_DIR N\n"
				"       bench_http proofs PEER_URL ORIGIN SIZE N C NODE_DIR\n");
		rc = 2;
	}
	curl_global_cleanup();
	return rc;
}
