/* testpg.h — helpers for unit tests that run against PostgreSQL too: a
 * fresh database per test on the cluster named by PARLEY_TEST_PG (see
 * scripts/pg.sh), and a digest of a whole PostgreSQL store (the same rows
 * as tu_store_digest). Header-only, like testutil.h. */
#ifndef PARLEY_TESTPG_H
#define PARLEY_TESTPG_H

#include <libpq-fe.h>

#include "testutil.h"

/* The admin URL of the test cluster, or NULL when the tests run on SQLite
 * only. */
static inline const char *tu_pg_admin(void)
{
	const char *u = getenv("PARLEY_TEST_PG");

	return u && *u ? u : NULL;
}

static inline void tu_pg_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static inline PGconn *tu_pg_connect(const char *url)
{
	PGconn *c = PQconnectdb(url);

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect to %s: %s", url, PQerrorMessage(c));
	PQsetNoticeProcessor(c, tu_pg_quiet, NULL);
	return c;
}

static inline void tu_pg_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
}

/* url with its database (the URI's path) replaced by db. */
static inline void tu_pg_url(char *out, size_t cap, const char *url, const char *db)
{
	const char *auth = strstr(url, "://");
	const char *path, *query;
	int n;

	assert_non_null(auth);
	auth += 3;
	path = auth + strcspn(auth, "/?");
	query = path + strcspn(path, "?");
	n = snprintf(out, cap, "%.*s/%s%s", (int)(path - url), url, db, query);
	assert_true(n > 0 && (size_t)n < cap);
}

/* Creates an empty database with a name unique to this process and
 * writes its URL into url. */
static inline void tu_pg_createdb(char *url, size_t cap)
{
	static unsigned seq;
	char db[64], sql[128];
	PGconn *c = tu_pg_connect(tu_pg_admin());

	snprintf(db, sizeof(db), "parley_t%ld_%u", (long)getpid(), seq++);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", db);
	tu_pg_exec(c, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	tu_pg_exec(c, sql);
	PQfinish(c);
	tu_pg_url(url, cap, tu_pg_admin(), db);
}

/* Drops the database of url (its name: the URI's path). FORCE: a
 * backend of a connection just closed may not have exited yet. */
static inline void tu_pg_dropdb(const char *url)
{
	const char *auth = strstr(url, "://"), *path;
	char sql[160];
	size_t n;
	PGconn *c;

	assert_non_null(auth);
	path = auth + 3 + strcspn(auth + 3, "/?");
	assert_true(*path == '/');
	n = strcspn(path + 1, "?");
	snprintf(sql, sizeof(sql), "DROP DATABASE %.*s WITH (FORCE)", (int)n, path + 1);
	c = tu_pg_connect(tu_pg_admin());
	tu_pg_exec(c, sql);
	PQfinish(c);
}

/* SHA-256 over every row of every table, in key order. */
static inline void tu_pg_digest(const char *url, uint8_t out[32])
{
	static const char *const q[] = {
		"SELECT name, vkey, self FROM party ORDER BY name",
		"SELECT id, origin, sender, receiver, size FROM log ORDER BY id",
		"SELECT log, idx, encode(leaf, 'hex'), encode(envelope, 'hex') FROM entry ORDER BY log, idx",
		"SELECT log, level, idx, encode(hash, 'hex') FROM node ORDER BY log, level, idx",
		"SELECT log, block, encode(hashes, 'hex') FROM tile ORDER BY log, block",
		"SELECT log, block, encode(data, 'hex') FROM fact ORDER BY log, block",
		"SELECT encode(hash, 'hex'), encode(data, 'hex') FROM body ORDER BY hash",
		"SELECT id, log, size, encode(root, 'hex'), encode(note, 'hex') FROM checkpoint ORDER BY id",
		"SELECT checkpoint, cosigner, time, line FROM cosignature ORDER BY checkpoint, cosigner",
	};
	PGconn *c = tu_pg_connect(url);

	memset(out, 0, 32);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		PGresult *r = PQexec(c, q[i]);
		int cols = PQnfields(r);
		char *vals[16];

		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", q[i], PQresultErrorMessage(r));
		assert_true(cols <= 16);
		for (int row = 0; row < PQntuples(r); row++) {
			for (int k = 0; k < cols; k++)
				vals[k] = PQgetisnull(r, row, k) ? NULL : PQgetvalue(r, row, k);
			tu_digest_row(out, cols, vals, NULL);
		}
		PQclear(r);
	}
	PQfinish(c);
}

#endif
