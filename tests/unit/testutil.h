/* testutil.h — helpers shared by the unit tests: temporary directories,
 * envelopes for a log, and a digest of a whole SQLite store (to show that a
 * refused operation changed nothing). Header-only: each test is one file. */
#ifndef PARLEY_TESTUTIL_H
#define PARLEY_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/envelope.h"
#include "core/merkle.h"
#include "sample.h"

/* A fresh directory under $TMPDIR; removed by tu_rmdir. */
static inline char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p = malloc(512);

	assert_non_null(p);
	snprintf(p, 512, "%s/parley-test.XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(p));
	return p;
}

static inline void tu_rmdir(char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

/* Canonical envelope number index of log from->to into buf. */
static inline size_t tu_envelope(char *buf, size_t cap, const char *from,
				 const char *to, uint64_t index,
				 const void *body, size_t body_len)
{
	return sample_envelope(buf, cap, from, to, index, body, body_len);
}

static inline int tu_digest_row(void *ctx, int n, char **vals, char **cols)
{
	(void)cols;
	for (int i = 0; i < n; i++) {
		const char *v = vals[i] ? vals[i] : "\x01NULL";
		uint8_t *h = ctx, buf[64];
		size_t l = strlen(v);
		/* h = SHA-256(h || value || 0) */
		uint8_t *in = malloc(32 + l + 1);
		memcpy(in, h, 32);
		memcpy(in + 32, v, l + 1);
		merkle_sha256(buf, in, 32 + l + 1);
		memcpy(h, buf, 32);
		free(in);
	}
	return 0;
}

/* SHA-256 over every row of every table, in key order: equal digests mean
 * an unchanged store. */
static inline void tu_store_digest(const char *path, uint8_t out[32])
{
	static const char *const q[] = {
		"SELECT name, vkey, self FROM party ORDER BY name",
		"SELECT id, origin, sender, receiver, size FROM log ORDER BY id",
		"SELECT log, idx, hex(leaf), hex(envelope) FROM entry ORDER BY log, idx",
		"SELECT log, level, idx, hex(hash) FROM node ORDER BY log, level, idx",
		"SELECT id, hex(hashes) FROM tile ORDER BY id",
		"SELECT id, hex(data) FROM fact ORDER BY id",
		"SELECT hex(hash), hex(data) FROM body ORDER BY hash",
		"SELECT id, log, size, hex(root), note FROM checkpoint ORDER BY id",
		"SELECT checkpoint, cosigner, time, line FROM cosignature ORDER BY checkpoint, cosigner",
	};
	sqlite3 *db;

	memset(out, 0, 32);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		assert_int_equal(sqlite3_exec(db, q[i], tu_digest_row, out, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Fails unless the error message contains sub. */
#define assert_msg_contains(e, sub)                                           \
	do {                                                                  \
		if (!strstr((e)->msg, (sub)))                                 \
			fail_msg("message \"%s\" does not contain \"%s\"",    \
				 (e)->msg, (sub));                            \
	} while (0)

#define tu_ok(expr, e)                                                       \
	do {                                                                 \
		int rc_ = (expr);                                            \
		if (rc_ != 0)                                                \
			fail_msg("%s returned %d (%s): %s", #expr, rc_,      \
				 err_name(rc_), (e)->msg);                   \
	} while (0)

#endif
