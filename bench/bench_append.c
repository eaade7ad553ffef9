/* bench_append.c — durable append throughput of the store (envelopes
 * parsed, leaf and node hashes computed and written, one transaction per
 * batch, WAL + synchronous=FULL) against a raw SQLite batched insert of the
 * identical entry rows into the same kind of table, same pragmas, same
 * disk, same run. Prints entries/s for both and their ratio. */
#include "benchutil.h"

#include <sqlite3.h>
#include <unistd.h>

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

/* The floor: only the entry rows, batched, durable. */
static double raw_insert(const char *path, size_t n, size_t batch)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	double t0;

	rm_db(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die_sql(db, "open");
	exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		 "CREATE TABLE entry(log INTEGER NOT NULL, idx INTEGER NOT NULL,"
		 " envelope BLOB NOT NULL, PRIMARY KEY (log, idx)) WITHOUT ROWID;");
	if (sqlite3_prepare_v2(db, "INSERT INTO entry VALUES (1, ?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		die_sql(db, "prepare");
	t0 = bu_now();
	for (size_t i = 0; i < n; i += batch) {
		exec(db, "BEGIN IMMEDIATE");
		for (size_t k = i; k < i + batch && k < n; k++) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)k);
			sqlite3_bind_blob(st, 2, envs[k], (int)lens[k], SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				die_sql(db, "insert");
			sqlite3_reset(st);
		}
		exec(db, "COMMIT");
	}
	t0 = bu_now() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (double)n / t0;
}

static double parley_append(const char *path, size_t n, size_t batch)
{
	struct store *s;
	struct store_log log;
	struct store_party p = { .name = FROM, .vkey = "-", .self = 1 };
	struct store_entry *en = calloc(batch, sizeof(*en));
	struct err e;
	char url[1100];
	double t0;

	rm_db(path);
	snprintf(url, sizeof(url), "sqlite:%s", path);
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

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	size_t n = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 200000;
	static const size_t batches[] = { 1, 64, 1000 };
	char path[1024];

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
		double raw = raw_insert(path, m, b);
		double par = parley_append(path, m, b);
		printf("%8zu %14.0f %14.0f %8.2f\n", b, par, raw, par / raw);
	}
	rm_db(path);
	free(envs);
	free(lens);
	return 0;
}
