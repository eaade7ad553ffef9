/* bench_append.c — durable append throughput of the store (envelopes
 * parsed, leaf and node hashes computed and written, one transaction per
 * batch, WAL + synchronous=FULL) against a raw SQLite batched insert of the
 * identical entry rows into the same kind of table, same pragmas, same
 * disk, same run. Prints entries/s for both and their ratio. With
 * PARLEY_BENCH_PG set (the admin URL of a cluster, e.g. from scripts/pg.sh),
 * the same on PostgreSQL: store_append against a raw batched insert of the
 * entry rows (prepared, pipelined, one transaction per batch), in a database
 * parley_bench created and dropped by the run.
 *   bench_append [DIR] [N] [BODY_BYTES]
 * With BODY_BYTES, also the floor of what a receiver holds per entry: its
 * entry row with a body of that size (bench/ingest.sh passes the size of
 * the bodies its receiver stored, sealed). */
#include "benchutil.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include "core/merkle.h"
#include "store/store.h"

#define FROM "ministry-a.example"
#define TO "ministry-b.example"

static char (*envs)[ENVELOPE_MAX];
static size_t *lens;

static void die_sql(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench_append: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die_sql(db, sql);
}

static void rm_db(const char *path)
{
	char p[1100];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* The floor: the entry rows themselves (log, index, leaf hash, envelope
 * and, with body_len, a body of that many bytes; else none), in a table
 * like the store's, with its pragmas and page size, batched, durable.
 * Leaf hashes and bodies are made before the clock starts. */
static double raw_insert(const char *path, size_t n, size_t batch, size_t body_len)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	uint8_t (*leaves)[32] = malloc(n * 32), *body = calloc(1, body_len + 8);
	double t0;

	rm_db(path);
	if (!leaves || !body) {
		fprintf(stderr, "bench_append: out of memory\n");
		exit(1);
	}
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die_sql(db, "open");
	exec(db, "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		 "CREATE TABLE entry(log INTEGER NOT NULL, idx INTEGER NOT NULL, leaf BLOB NOT NULL,"
		 " envelope BLOB NOT NULL, body BLOB, PRIMARY KEY (log, idx)) WITHOUT ROWID;");
	if (sqlite3_prepare_v2(db, "INSERT INTO entry VALUES (1, ?1, ?2, ?3, ?4)", -1, &st, NULL) !=
	    SQLITE_OK)
		die_sql(db, "prepare");
	for (size_t k = 0; k < n; k++)
		merkle_leaf_hash(leaves[k], envs[k], lens[k]);
	t0 = bu_now();
	for (size_t i = 0; i < n; i += batch) {
		exec(db, "BEGIN IMMEDIATE");
		for (size_t k = i; k < i + batch && k < n; k++) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)k);
			sqlite3_bind_blob(st, 2, leaves[k], 32, SQLITE_STATIC);
			sqlite3_bind_blob(st, 3, envs[k], (int)lens[k], SQLITE_STATIC);
			if (body_len) { /* distinct bodies */
				memcpy(body, &k, sizeof(k));
				sqlite3_bind_blob(st, 4, body, (int)body_len, SQLITE_STATIC);
			}
			if (sqlite3_step(st) != SQLITE_DONE)
				die_sql(db, "insert");
			sqlite3_reset(st);
		}
		exec(db, "COMMIT");
	}
	t0 = bu_now() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(leaves);
	free(body);
	return (double)n / t0;
}

static double parley_append(const char *url, size_t n, size_t batch)
{
	struct store *s;
	struct store_log log;
	struct store_party p = { .name = FROM, .vkey = "-", .self = 1 };
	struct store_entry *en = calloc(batch, sizeof(*en));
	struct err e;
	double t0;

	if (store_open(&s, url, &e) < 0 || store_party_put(s, &p, &e) < 0)
		goto fail;
	p = (struct store_party){ .name = TO, .vkey = "-" };
	if (store_party_put(s, &p, &e) < 0 || store_log_get(s, FROM, TO, 1, &log, &e) < 0)
		goto fail;
	t0 = bu_now();
	for (size_t i = 0; i < n; i += batch) {
		struct store_batch b = { .entries = en };
		for (size_t k = i; k < i + batch && k < n; k++, b.n++)
			en[b.n] = (struct store_entry){ envs[k], lens[k], NULL, 0 };
		if (store_append(s, &log, &b, NULL, &e) < 0)
			goto fail;
	}
	t0 = bu_now() - t0;
	store_close(s);
	free(en);
	return (double)n / t0;
fail:
	fprintf(stderr, "bench_append: %s\n", e.msg);
	exit(1);
}

static void die_pg(PGconn *c, const char *what)
{
	fprintf(stderr, "bench_append: %s: %s", what, PQerrorMessage(c));
	exit(1);
}

static void pg_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die_pg(c, sql);
	PQclear(r);
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* A fresh, empty database parley_bench on the cluster of admin; its URL
 * into url (admin's with the path replaced). */
static void pg_fresh(const char *admin, char *url, size_t cap)
{
	PGconn *c = PQconnectdb(admin);
	const char *auth = strstr(admin, "://");
	const char *path, *query;

	if (PQstatus(c) != CONNECTION_OK || !auth)
		die_pg(c, "connecting to PARLEY_BENCH_PG");
	PQsetNoticeProcessor(c, quiet, NULL);
	pg_exec(c, "DROP DATABASE IF EXISTS parley_bench WITH (FORCE)");
	pg_exec(c, "CREATE DATABASE parley_bench");
	PQfinish(c);
	path = auth + 3 + strcspn(auth + 3, "/?");
	query = path + strcspn(path, "?");
	if ((size_t)snprintf(url, cap, "%.*s/parley_bench%s", (int)(path - admin), admin,
			     query) >= cap) {
		fprintf(stderr, "bench_append: PARLEY_BENCH_PG too long\n");
		exit(1);
	}
}

/* The floor on PostgreSQL: only the entry rows, one transaction per batch,
 * the inserts pipelined as store_pg.c pipelines its writes. */
static double pg_raw_insert(const char *url, size_t n, size_t batch)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;
	double t0;

	if (PQstatus(c) != CONNECTION_OK)
		die_pg(c, "connecting");
	pg_exec(c, "CREATE TABLE entry(log BIGINT NOT NULL, idx BIGINT NOT NULL,"
		   " envelope BYTEA NOT NULL, PRIMARY KEY (log, idx))");
	r = PQprepare(c, "ins", "INSERT INTO entry VALUES (1, $1::bigint, $2::bytea)", 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die_pg(c, "prepare");
	PQclear(r);
	t0 = bu_now();
	for (size_t i = 0; i < n; i += batch) {
		size_t sent = 0;

		pg_exec(c, "BEGIN");
		if (PQenterPipelineMode(c) != 1)
			die_pg(c, "pipeline");
		for (size_t k = i; k < i + batch && k < n; k++) {
			unsigned char idx[8];
			const char *v[2] = { (const char *)idx, envs[k] };
			int len[2] = { 8, (int)lens[k] }, fmt[2] = { 1, 1 };

			for (int b = 0; b < 8; b++)
				idx[b] = (unsigned char)((uint64_t)k >> (56 - 8 * b));
			if (!PQsendQueryPrepared(c, "ins", 2, v, len, fmt, 1))
				die_pg(c, "insert");
			/* As store_pg.c: results read every 256 statements. */
			if (++sent % 256 == 0 || k + 1 == i + batch || k + 1 == n) {
				if (PQpipelineSync(c) != 1)
					die_pg(c, "sync");
				for (;;) {
					r = PQgetResult(c);
					if (!r)
						continue;
					if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
						PQclear(r);
						break;
					}
					if (PQresultStatus(r) != PGRES_COMMAND_OK)
						die_pg(c, "insert");
					PQclear(r);
				}
			}
		}
		if (PQexitPipelineMode(c) != 1)
			die_pg(c, "pipeline end");
		pg_exec(c, "COMMIT");
	}
	t0 = bu_now() - t0;
	PQfinish(c);
	return (double)n / t0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	size_t n = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 200000;
	static const size_t batches[] = { 1, 64, 1000 };
	const char *pg = getenv("PARLEY_BENCH_PG");
	size_t body_len = argc > 3 ? (size_t)strtoull(argv[3], NULL, 10) : 0;
	char path[1024], url[1100];

	envs = malloc(n * sizeof(*envs));
	lens = malloc(n * sizeof(*lens));
	for (size_t i = 0; i < n; i++)
		lens[i] = bu_envelope(envs[i], ENVELOPE_MAX, FROM, TO, i);
	snprintf(path, sizeof(path), "%s/bench-append.db", dir);
	printf("append: %zu envelopes of ~%zu bytes, WAL + synchronous=FULL, in %s\n",
	       n, lens[n / 2], dir);
	printf("%8s %14s %14s %8s\n", "batch", "parley e/s", "raw e/s", "ratio");
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		size_t b = batches[i], m = b == 1 ? (n < 2000 ? n : 2000) : n;
		double raw = raw_insert(path, m, b, 0), par;

		rm_db(path);
		snprintf(url, sizeof(url), "sqlite:%s", path);
		par = parley_append(url, m, b);
		printf("%8zu %14.0f %14.0f %8.2f\n", b, par, raw, par / raw);
	}
	if (body_len)
		printf("raw entry rows with bodies (batch 1000, bodies of %zu bytes): %.0f e/s\n", body_len,
		       raw_insert(path, n, 1000, body_len));
	if (pg && *pg) {
		printf("append on PostgreSQL (PARLEY_BENCH_PG), raw = pipelined batched insert\n");
		printf("%8s %14s %14s %8s\n", "batch", "parley e/s", "raw e/s", "ratio");
		for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
			size_t b = batches[i], m = b == 1 ? (n < 2000 ? n : 2000) : n;
			double raw, par;

			pg_fresh(pg, url, sizeof(url));
			raw = pg_raw_insert(url, m, b);
			pg_fresh(pg, url, sizeof(url));
			par = parley_append(url, m, b);
			printf("%8zu %14.0f %14.0f %8.2f\n", b, par, raw, par / raw);
		}
	}
	rm_db(path);
	free(envs);
	free(lens);
	return 0;
}
