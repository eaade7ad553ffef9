/* test_store.c — the store interface over a backend (SQLite; PostgreSQL
 * when run as "test_store pg" with PARLEY_TEST_PG set): batch appends are
 * atomic and ordered, roots and proofs come from stored nodes in O(log n)
 * reads, checkpoints must match, everything survives reopen, several
 * processes appending to one log at once get one total order, and an
 * append that loses a deadlock is run again. */
#include "testpg.h"
#include "testutil.h"

#include "store/store.h"
#include "util/bytes.h"

#include <inttypes.h>
#include <sys/wait.h>

static int use_pg; /* this run's backend: PostgreSQL, else SQLite */

#define A "a.example"
#define B "b.example"

struct fixture {
	char *dir;
	char path[600];
	char url[700];
	struct store *s;
	struct store_log log;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_party p = { .name = A, .vkey = "a-key", .self = 1 };
	struct err e = { 0 };

	f->dir = tu_tmpdir();
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	if (use_pg)
		tu_pg_createdb(f->url, sizeof(f->url));
	else
		snprintf(f->url, sizeof(f->url), "sqlite:%s", f->path);
	tu_ok(store_open(&f->s, f->url, &e), &e);
	tu_ok(store_party_put(f->s, &p, &e), &e);
	p = (struct store_party){ .name = B, .vkey = "b-key" };
	tu_ok(store_party_put(f->s, &p, &e), &e);
	tu_ok(store_log_get(f->s, A, B, 1, &f->log, &e), &e);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	if (use_pg)
		tu_pg_dropdb(f->url);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

/* A digest of every row of the fixture's store. */
static void digest(const struct fixture *f, uint8_t out[32])
{
	if (use_pg)
		tu_pg_digest(f->url, out);
	else
		tu_store_digest(f->path, out);
}

/* Runs SQL on the store at url behind its back (a store altered, or made
 * older), in its backend's dialect. */
static void url_sql(const char *url, const char *sqlite_sql, const char *pg_sql)
{
	if (strncmp(url, "postgresql", 10) == 0) {
		PGconn *c = tu_pg_connect(url);
		tu_pg_exec(c, pg_sql);
		PQfinish(c);
	} else {
		sqlite3 *db;
		assert_int_equal(sqlite3_open(url + strlen("sqlite:"), &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, sqlite_sql, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
}

static void raw_sql(const struct fixture *f, const char *sqlite_sql, const char *pg_sql)
{
	url_sql(f->url, sqlite_sql, pg_sql);
}

/* Appends entries [from, to) of log A->B, one batch. */
static int append_range(struct fixture *f, uint64_t from, uint64_t to,
			struct store_appended *res, struct err *e)
{
	size_t n = (size_t)(to - from);
	struct store_entry *en = calloc(n, sizeof(*en));
	char (*bufs)[ENVELOPE_MAX] = malloc(n * sizeof(*bufs));
	struct store_batch b = { 0 };
	int rc;

	for (size_t i = 0; i < n; i++) {
		en[i].envelope = bufs[i];
		en[i].len = tu_envelope(bufs[i], ENVELOPE_MAX, A, B, from + i, "x", 1);
	}
	b.entries = en;
	b.n = n;
	rc = store_append(f->s, &f->log, &b, res, e);
	free(en);
	free(bufs);
	return rc;
}

static void test_append_and_root(void **state)
{
	struct fixture *f = *state;
	struct store_appended res;
	struct merkle_frontier mf;
	struct err e = { 0 };
	char buf[ENVELOPE_MAX];
	uint8_t root[32], leaf[32];

	merkle_frontier_init(&mf);
	for (uint64_t i = 0; i < 300; i += 7) {
		uint64_t to = i + 7 > 300 ? 300 : i + 7;
		tu_ok(append_range(f, i, to, &res, &e), &e);
		for (uint64_t k = i; k < to; k++) {
			size_t len = tu_envelope(buf, sizeof(buf), A, B, k, "x", 1);
			merkle_leaf_hash(leaf, buf, len);
			merkle_frontier_append(&mf, leaf, NULL, NULL);
		}
		merkle_frontier_root(&mf, root);
		assert_int_equal(res.size, to);
		assert_memory_equal(res.root, root, 32);
	}
	/* The root at every earlier size, from stored nodes alone. */
	merkle_frontier_init(&mf);
	for (uint64_t k = 0; k <= 300; k++) {
		uint8_t got[32];
		tu_ok(store_root(f->s, f->log.id, k, got, &e), &e);
		merkle_frontier_root(&mf, root);
		assert_memory_equal(got, root, 32);
		if (k < 300) {
			size_t len = tu_envelope(buf, sizeof(buf), A, B, k, "x", 1);
			merkle_leaf_hash(leaf, buf, len);
			merkle_frontier_append(&mf, leaf, NULL, NULL);
		}
	}
	/* Beyond the log: a clear error, not a wrong root. */
	assert_int_equal(store_root(f->s, f->log.id, 301, root, &e), ERR_NOTFOUND);
}

static void test_proofs_verify_with_log_reads(void **state)
{
	struct fixture *f = *state;
	struct store_appended res;
	struct err e = { 0 };
	uint8_t proof[MERKLE_MAX_NODES][32], root[32], r1[32], leaf[32];
	char buf[ENVELOPE_MAX];
	size_t n;

	tu_ok(append_range(f, 0, 1000, &res, &e), &e);
	for (uint64_t size = 1; size <= 1000; size += 37) {
		unsigned logn = 0;
		while ((UINT64_C(1) << logn) < size)
			logn++;
		tu_ok(store_root(f->s, f->log.id, size, root, &e), &e);
		for (uint64_t i = 0; i < size; i += 13) {
			uint64_t before = store_node_reads(f->s);
			size_t len = tu_envelope(buf, sizeof(buf), A, B, i, "x", 1);

			tu_ok(store_inclusion_proof(f->s, f->log.id, i, size, proof, &n, &e), &e);
			/* O(log n): never more reads than 2 log2(n) + 1. */
			assert_true(store_node_reads(f->s) - before <= 2 * logn + 1);
			merkle_leaf_hash(leaf, buf, len);
			tu_ok(merkle_verify_inclusion(leaf, i, size, (const uint8_t (*)[32])proof,
						      n, root, &e), &e);
		}
		for (uint64_t s1 = 0; s1 <= size; s1 += 11) {
			tu_ok(store_root(f->s, f->log.id, s1, r1, &e), &e);
			tu_ok(store_consistency_proof(f->s, f->log.id, s1, size, proof, &n, &e), &e);
			tu_ok(merkle_verify_consistency(s1, size, r1, root,
							(const uint8_t (*)[32])proof, n, &e), &e);
		}
	}
	assert_int_equal(store_inclusion_proof(f->s, f->log.id, 5, 5, proof, &n, &e), ERR_INVALID);
	assert_int_equal(store_consistency_proof(f->s, f->log.id, 6, 5, proof, &n, &e), ERR_INVALID);
}

/* A bad entry anywhere in a batch leaves the store exactly as it was. */
static void test_batch_is_atomic(void **state)
{
	struct fixture *f = *state;
	struct store_appended res;
	struct store_entry en[3];
	struct store_batch b = { .entries = en, .n = 3 };
	struct err e = { 0 };
	char bufs[3][ENVELOPE_MAX];
	uint8_t before[32], after[32];

	tu_ok(append_range(f, 0, 10, &res, &e), &e);
	digest(f, before);

	for (int i = 0; i < 3; i++) {
		en[i] = (struct store_entry){ bufs[i], 0, NULL, 0 };
		en[i].len = tu_envelope(bufs[i], ENVELOPE_MAX, A, B, 10 + (uint64_t)i, "x", 1);
	}
	/* Skips an index: a gap. */
	en[2].len = tu_envelope(bufs[2], ENVELOPE_MAX, A, B, 13, "x", 1);
	assert_int_equal(store_append(f->s, &f->log, &b, &res, &e), ERR_CONFLICT);
	assert_non_null(strstr(e.msg, "next index is 12"));
	/* Replays an index already held. */
	en[0].len = tu_envelope(bufs[0], ENVELOPE_MAX, A, B, 9, "x", 1);
	assert_int_equal(store_append(f->s, &f->log, &b, &res, &e), ERR_CONFLICT);
	/* Malformed envelope in the middle. */
	en[0].len = tu_envelope(bufs[0], ENVELOPE_MAX, A, B, 10, "x", 1);
	en[2].len = tu_envelope(bufs[2], ENVELOPE_MAX, A, B, 12, "x", 1);
	bufs[1][3] = 'X';
	assert_int_equal(store_append(f->s, &f->log, &b, &res, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "entry 11"));
	/* An envelope of another log. */
	en[1].len = tu_envelope(bufs[1], ENVELOPE_MAX, B, A, 11, "x", 1);
	assert_int_equal(store_append(f->s, &f->log, &b, &res, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "from b.example to a.example"));
	/* A body that is not the one the envelope hashes. */
	en[1].len = tu_envelope(bufs[1], ENVELOPE_MAX, A, B, 11, "x", 1);
	en[1].body = "y";
	en[1].body_len = 1;
	assert_int_equal(store_append(f->s, &f->log, &b, &res, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "body does not match"));

	digest(f, after);
	assert_memory_equal(before, after, 32);

	/* And the corrected batch goes in. */
	en[1].body = "x";
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	assert_int_equal(res.size, 13);
}

/* Reads the body of entry index of A->B and checks it is want. */
static void expect_body(struct fixture *f, uint64_t index, const char *want)
{
	struct err e = { 0 };
	uint8_t h[32];
	void *body;
	size_t len;

	merkle_sha256(h, want, strlen(want));
	tu_ok(store_entry_body(f->s, f->log.id, index, h, &body, &len, &e), &e);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(body, want, len);
	free(body);
}

/* Bodies live in their entries' rows: each entry has its own, an empty
 * body is a body, an entry without one has none; attachments are kept
 * once by their hash. A store from before schema version 4 (bodies by
 * hash) is upgraded when opened: the bodies it held are still found, new
 * ones go into the rows. */
static void test_bodies(void **state)
{
	struct fixture *f = *state;
	struct store_appended res;
	struct store_entry en[4];
	struct store_blob att = { "an attachment", 13 };
	struct store_batch b = { .entries = en, .n = 4, .blobs = &att, .nblobs = 1 };
	struct err e = { 0 };
	char bufs[4][ENVELOPE_MAX];
	char sql[400], pgsql[400], hex[65];
	uint8_t h[32];
	void *body;
	size_t len;

	for (int i = 0; i < 2; i++)
		en[i] = (struct store_entry){ bufs[i],
			tu_envelope(bufs[i], ENVELOPE_MAX, A, B, (uint64_t)i, "same body", 9),
			"same body", 9 };
	en[2] = (struct store_entry){ bufs[2], tu_envelope(bufs[2], ENVELOPE_MAX, A, B, 2, "", 0),
				      "", 0 };
	en[3] = (struct store_entry){ bufs[3], tu_envelope(bufs[3], ENVELOPE_MAX, A, B, 3, "kept", 4),
				      NULL, 0 };
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	expect_body(f, 0, "same body");
	expect_body(f, 1, "same body");
	expect_body(f, 2, "");
	merkle_sha256(h, "kept", 4);
	assert_int_equal(store_entry_body(f->s, f->log.id, 3, h, &body, &len, &e), ERR_NOTFOUND);
	assert_int_equal(store_entry_body(f->s, f->log.id, 9, h, &body, &len, &e), ERR_NOTFOUND);
	/* Not kept by hash: only the attachment is. */
	merkle_sha256(h, "same body", 9);
	assert_int_equal(store_body_get(f->s, h, &body, &len, &e), ERR_NOTFOUND);
	merkle_sha256(h, "an attachment", 13);
	tu_ok(store_body_get(f->s, h, &body, &len, &e), &e);
	assert_int_equal(len, 13);
	assert_memory_equal(body, "an attachment", 13);
	free(body);

	/* A version 3 store: no body column; entry 3's body by its hash. */
	store_close(f->s);
	f->s = NULL;
	merkle_sha256(h, "kept", 4);
	merkle_hex(hex, h);
	snprintf(sql, sizeof(sql), "ALTER TABLE entry DROP COLUMN body; PRAGMA user_version = 3;"
		 " INSERT INTO body(hash, data) VALUES (x'%s', 'kept')", hex);
	snprintf(pgsql, sizeof(pgsql), "ALTER TABLE entry DROP COLUMN body;"
		 " UPDATE parley_schema SET version = 3;"
		 " INSERT INTO body(hash, data) VALUES ('\\x%s', 'kept')", hex);
	raw_sql(f, sql, pgsql);
	tu_ok(store_open(&f->s, f->url, &e), &e);
	expect_body(f, 3, "kept");
	/* Entries 0-2 lost their bodies with the column: none held now. */
	merkle_sha256(h, "same body", 9);
	assert_int_equal(store_entry_body(f->s, f->log.id, 0, h, &body, &len, &e), ERR_NOTFOUND);
	/* Upgraded: a new entry's body is in its row again. */
	en[0] = (struct store_entry){ bufs[0], tu_envelope(bufs[0], ENVELOPE_MAX, A, B, 4, "new", 3),
				      "new", 3 };
	b = (struct store_batch){ .entries = en, .n = 1 };
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	expect_body(f, 4, "new");
	merkle_sha256(h, "new", 3);
	assert_int_equal(store_body_get(f->s, h, &body, &len, &e), ERR_NOTFOUND);
	store_close(f->s);
	f->s = NULL;
	tu_ok(store_open(&f->s, f->url, &e), &e);
	expect_body(f, 3, "kept");
	expect_body(f, 4, "new");
}

struct got {
	int n, stop_after;
	uint64_t index[8];
	char body[8][16];
	int has[8];
};

static int got_cb(void *ctx, uint64_t index, const char *env, size_t len, void *body,
		  size_t body_len)
{
	struct got *g = ctx;

	(void)env;
	(void)len;
	assert_true(g->n < 8 && body_len < 16);
	g->index[g->n] = index;
	g->has[g->n] = body != NULL;
	if (body)
		memcpy(g->body[g->n], body, body_len + 1); /* with its NUL */
	free(body);
	return ++g->n == g->stop_after;
}

/* With a data key, bodies are sealed in their rows (the plaintext is
 * nowhere in the row) and open again, alone or in a range read; a row
 * altered or sealed under another key does not open. */
static void test_bodies_sealed(void **state)
{
	struct fixture *f = *state;
	static const uint8_t key[32] = { 7 }, other[32] = { 8 };
	static const char *const text[3] = { "first secret", "second", "" };
	struct store_appended res;
	struct store_entry en[3];
	struct store_batch b = { .entries = en, .n = 3 };
	struct err e = { 0 };
	char bufs[3][ENVELOPE_MAX];
	struct got g = { 0 };
	uint8_t h[32];
	void *body;
	size_t len;

	store_set_key(f->s, key);
	for (int i = 0; i < 3; i++)
		en[i] = (struct store_entry){ bufs[i],
			tu_envelope(bufs[i], ENVELOPE_MAX, A, B, (uint64_t)i, text[i], strlen(text[i])),
			text[i], strlen(text[i]) };
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	for (int i = 0; i < 3; i++)
		expect_body(f, (uint64_t)i, text[i]);
	/* A range read from entry 1: each body opened, in order; a stop. */
	tu_ok(store_read_from(f->s, f->log.id, 1, got_cb, &g, &e), &e);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.index[0], 1);
	assert_string_equal(g.body[0], "second");
	assert_int_equal(g.index[1], 2);
	assert_true(g.has[1]);
	assert_string_equal(g.body[1], "");
	g = (struct got){ .stop_after = 1 };
	tu_ok(store_read_from(f->s, f->log.id, 0, got_cb, &g, &e), &e);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.body[0], "first secret");
	/* The row holds no plaintext: a store without the key reads what
	 * the row holds, sealed. */
	store_close(f->s);
	f->s = NULL;
	tu_ok(store_open(&f->s, f->url, &e), &e);
	merkle_sha256(h, text[0], strlen(text[0]));
	tu_ok(store_entry_body(f->s, f->log.id, 0, h, &body, &len, &e), &e);
	assert_true(len > strlen(text[0]));
	assert_false(bytes_contain(body, len, "secret"));
	free(body);
	/* Under another key it does not open. */
	store_set_key(f->s, other);
	assert_int_equal(store_entry_body(f->s, f->log.id, 0, h, &body, &len, &e), ERR_VERIFY);
	assert_msg_contains(&e, "does not open");
	g = (struct got){ 0 };
	assert_int_equal(store_read_from(f->s, f->log.id, 0, got_cb, &g, &e), ERR_VERIFY);
	assert_int_equal(g.n, 0);
}

static void test_checkpoints(void **state)
{
	struct fixture *f = *state;
	struct store_appended res;
	struct store_batch b = { 0 };
	struct store_checkpoint cp;
	struct err e = { 0 };
	uint8_t root[32], wrong[32];
	int64_t id;

	tu_ok(append_range(f, 0, 20, &res, &e), &e);
	tu_ok(store_root(f->s, f->log.id, 12, root, &e), &e);
	b.cp_size = 12;
	b.cp_root = root;
	b.cp_note = "note-12";
	b.cp_note_len = 7;
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	id = res.checkpoint;
	assert_true(id > 0);
	/* Again: the same row. */
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	assert_int_equal(res.checkpoint, id);
	/* Same size, another root: a fork, refused. */
	memcpy(wrong, root, 32);
	wrong[0] ^= 1;
	b.cp_root = wrong;
	assert_int_equal(store_append(f->s, &f->log, &b, &res, &e), ERR_CONFLICT);
	/* A new size whose root does not match the entries. */
	b.cp_size = 15;
	assert_int_equal(store_append(f->s, &f->log, &b, &res, &e), ERR_CONFLICT);
	assert_non_null(strstr(e.msg, "differs from the root"));
	/* Beyond the entries held. */
	b.cp_size = 21;
	assert_int_equal(store_append(f->s, &f->log, &b, &res, &e), ERR_CONFLICT);
	assert_non_null(strstr(e.msg, "beyond"));

	tu_ok(store_cosig_add(f->s, id, B, 1795000000, "line-b", &e), &e);
	tu_ok(store_cosig_add(f->s, id, B, 1795000001, "line-b2", &e), &e); /* kept first */
	tu_ok(store_checkpoint_latest(f->s, f->log.id, &cp, &e), &e);
	assert_int_equal(cp.size, 12);
	assert_memory_equal(cp.root, root, 32);
	assert_string_equal(cp.note, "note-12");
	free(cp.note);
}

struct rcpts {
	int n, stop_after;
	uint64_t size[8], time[8];
};

static int rcpt_cb(void *ctx, uint64_t size, uint64_t time)
{
	struct rcpts *r = ctx;

	assert_true(r->n < 8);
	r->size[r->n] = size;
	r->time[r->n] = time;
	return ++r->n == r->stop_after;
}

/* A cosigner's receipts of a log in one read: each checkpoint it
 * cosigned, in size order, with its time; others' cosignatures and
 * checkpoints it did not cosign left out. */
static void test_receipts_each(void **state)
{
	struct fixture *f = *state;
	static const uint64_t sizes[4] = { 3, 9, 5, 12 }; /* stored out of order */
	struct store_appended res;
	struct rcpts r = { 0 };
	struct err e = { 0 };
	int64_t id[4];

	tu_ok(append_range(f, 0, 12, &res, &e), &e);
	for (int i = 0; i < 4; i++) {
		uint8_t root[32];
		char note[16];
		struct store_batch b = { .cp_size = sizes[i], .cp_root = root, .cp_note = note };

		tu_ok(store_root(f->s, f->log.id, sizes[i], root, &e), &e);
		b.cp_note_len = (size_t)snprintf(note, sizeof(note), "note-%d", (int)sizes[i]);
		tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
		id[i] = res.checkpoint;
	}
	tu_ok(store_cosig_add(f->s, id[0], B, 1000, "b3", &e), &e);
	tu_ok(store_cosig_add(f->s, id[1], B, 3000, "b9", &e), &e);
	tu_ok(store_cosig_add(f->s, id[1], "c.example", 10, "c9", &e), &e);
	tu_ok(store_cosig_add(f->s, id[3], "c.example", 20, "c12", &e), &e); /* not B's */
	tu_ok(store_cosig_add(f->s, id[2], B, 2000, "b5", &e), &e);
	tu_ok(store_receipts_each(f->s, f->log.id, B, rcpt_cb, &r, &e), &e);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.size[0], 3);
	assert_int_equal(r.time[0], 1000);
	assert_int_equal(r.size[1], 5);
	assert_int_equal(r.time[1], 2000);
	assert_int_equal(r.size[2], 9);
	assert_int_equal(r.time[2], 3000);
	r = (struct rcpts){ .stop_after = 1 };
	assert_int_equal(store_receipts_each(f->s, f->log.id, B, rcpt_cb, &r, &e), 1);
	assert_int_equal(r.n, 1);
	r = (struct rcpts){ 0 };
	tu_ok(store_receipts_each(f->s, f->log.id, "d.example", rcpt_cb, &r, &e), &e);
	assert_int_equal(r.n, 0);
}

static int count_cosig(void *ctx, const struct store_cosig *c)
{
	int *n = ctx;

	assert_string_equal(c->line, "line-b");
	assert_int_equal(c->time, 1795000000);
	(*n)++;
	return 0;
}

/* Close and reopen: everything is still there and appends continue. */
static void test_survives_reopen(void **state)
{
	struct fixture *f = *state;
	struct store_appended res;
	struct store_checkpoint cp;
	struct store_party p;
	struct err e = { 0 };
	uint8_t root_before[32], root_after[32];
	int n = 0;

	test_checkpoints(state);
	tu_ok(store_root(f->s, f->log.id, 20, root_before, &e), &e);
	store_close(f->s);
	tu_ok(store_open(&f->s, f->url, &e), &e);
	tu_ok(store_party_self(f->s, &p, &e), &e);
	assert_string_equal(p.name, A);
	tu_ok(store_log_get(f->s, A, B, 0, &f->log, &e), &e);
	assert_int_equal(f->log.size, 20);
	tu_ok(store_root(f->s, f->log.id, 20, root_after, &e), &e);
	assert_memory_equal(root_before, root_after, 32);
	tu_ok(store_checkpoint_latest(f->s, f->log.id, &cp, &e), &e);
	tu_ok(store_cosig_each(f->s, cp.id, count_cosig, &n, &e), &e);
	free(cp.note);
	assert_int_equal(n, 1);
	tu_ok(append_range(f, 20, 25, &res, &e), &e);
	assert_int_equal(res.size, 25);
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	struct store_log l;
	struct err e = { 0 };

	assert_int_equal(store_open(&s, "mysql://x", &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "only sqlite:PATH"));
	assert_int_equal(store_open(&s, "sqlite:", &e), ERR_INVALID);
	assert_int_equal(store_open(&s, "sqlite:/nonexistent-dir/x.db", &e), ERR_STORE);
	assert_null(s);
	/* No server there: a connection error, named, without a password. */
	assert_int_equal(store_open(&s, "postgresql://u:secret@/db?host=/nonexistent-dir",
				    &e), ERR_STORE);
	assert_null(s);
	assert_msg_contains(&e, "cannot connect");
	assert_null(strstr(e.msg, "secret"));
	/* Logs need two known, different parties. */
	assert_int_equal(store_log_get(f->s, A, "c.example", 1, &l, &e), ERR_NOTFOUND);
	assert_int_equal(store_log_get(f->s, A, A, 1, &l, &e), ERR_INVALID);
	assert_int_equal(store_log_get(f->s, B, A, 0, &l, &e), ERR_NOTFOUND);
}

/* A refused batch leaves nothing behind, not even in the node cache: the
 * checkpoint check reads nodes the batch wrote (a level-9 node here),
 * and caching one of those would poison every later root once a batch
 * with other entries takes those indices. */
static void test_refused_batch_caches_nothing(void **state)
{
	struct fixture *f = *state;
	const size_t n = 600;
	struct store_entry *en = calloc(n, sizeof(*en));
	char (*bufs)[ENVELOPE_MAX] = malloc(n * sizeof(*bufs));
	struct store_batch b = { .entries = en, .n = n };
	struct store_appended res;
	struct err e = { 0 };
	uint8_t wrong[32] = { 1 }, root[32];

	assert_non_null(en);
	assert_non_null(bufs);
	for (size_t i = 0; i < n; i++) {
		en[i].envelope = bufs[i];
		en[i].len = tu_envelope(bufs[i], ENVELOPE_MAX, A, B, i, "x", 1);
	}
	b.cp_size = 520;
	b.cp_root = wrong;
	b.cp_note = "note";
	b.cp_note_len = 4;
	assert_int_equal(store_append(f->s, &f->log, &b, &res, &e), ERR_CONFLICT);
	assert_msg_contains(&e, "differs from the root");
	/* Other entries at the same indices. */
	for (size_t i = 0; i < n; i++)
		en[i].len = tu_envelope(bufs[i], ENVELOPE_MAX, A, B, i, "y", 1);
	b.cp_note = NULL;
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	tu_ok(store_root(f->s, f->log.id, n, root, &e), &e);
	assert_memory_equal(root, res.root, 32);
	free(en);
	free(bufs);
}

/* PostgreSQL: a write that fails inside an append (its result read only
 * later, invariant 5 of store_pg.c) fails the append, rolls it back
 * whole, and leaves the handle usable. A stray row at index 5, put there
 * behind the store's back, makes the insert of entry 5 fail. */
static void test_pg_failed_write_rolls_back(void **state)
{
	struct fixture *f = *state;
	struct store_appended res;
	struct err e = { 0 };
	uint8_t before[32], after[32];
	char sql[200];
	PGconn *c;

	if (!use_pg)
		skip();
	c = tu_pg_connect(f->url);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO entry(log, idx, leaf, envelope) VALUES (%" PRId64 ", 5, '\\x00', '\\x00')",
		 f->log.id);
	tu_pg_exec(c, sql);
	digest(f, before);
	assert_int_equal(append_range(f, 0, 10, &res, &e), ERR_STORE);
	assert_msg_contains(&e, "storing an entry");
	assert_msg_contains(&e, "duplicate key");
	digest(f, after);
	assert_memory_equal(before, after, 32);
	tu_pg_exec(c, "DELETE FROM entry WHERE idx = 5");
	PQfinish(c);
	tu_ok(append_range(f, 0, 10, &res, &e), &e);
	assert_int_equal(res.size, 10);
}

/* PostgreSQL: the server drops the connection (a restart, a proxy):
 * reads go on over a new one, and appends after it too. */
static void test_pg_reconnects(void **state)
{
	struct fixture *f = *state;
	struct store_appended res;
	struct store_log log;
	struct err e = { 0 };
	char sql[300];
	PGconn *c;

	if (!use_pg)
		skip();
	tu_ok(append_range(f, 0, 10, &res, &e), &e);
	c = tu_pg_connect(f->url);
	/* Every other session of this database ends now. */
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
		 " WHERE datname = current_database() AND pid <> pg_backend_pid()");
	tu_pg_exec(c, sql);
	tu_ok(store_log_get(f->s, A, B, 0, &log, &e), &e);
	assert_int_equal(log.size, 10);
	tu_ok(append_range(f, 10, 20, &res, &e), &e);
	assert_int_equal(res.size, 20);
	PQfinish(c);
}

/* PostgreSQL: a server that takes no writes (a standby, or
 * default_transaction_read_only) refuses appends as ERR_READONLY, the
 * code store_sqlite.c gives for a read-only file system; reads work. */
static void test_pg_readonly(void **state)
{
	struct fixture *f = *state;
	struct store_appended res;
	struct store_log log;
	struct err e = { 0 };
	char sql[200];
	PGconn *c;

	if (!use_pg)
		skip();
	tu_ok(append_range(f, 0, 5, &res, &e), &e);
	c = tu_pg_connect(f->url);
	snprintf(sql, sizeof(sql), "ALTER DATABASE %s SET default_transaction_read_only = on",
		 PQdb(c));
	tu_pg_exec(c, sql);
	PQfinish(c);
	store_close(f->s);
	tu_ok(store_open(&f->s, f->url, &e), &e);
	assert_true(store_readonly(f->s));
	assert_int_equal(append_range(f, 5, 10, &res, &e), ERR_READONLY);
	assert_msg_contains(&e, "nothing was written");
	tu_ok(store_log_get(f->s, A, B, 0, &log, &e), &e);
	assert_int_equal(log.size, 5);
}

struct audit_rows {
	int n;
	char last[200];
};

static int count_audit(void *ctx, int64_t time, const char *who, const char *action,
		       const char *outcome)
{
	struct audit_rows *r = ctx;

	(void)time;
	r->n++;
	snprintf(r->last, sizeof(r->last), "%s|%s|%s", who, action, outcome);
	return 0;
}

/* A staged operator action is recorded by the next append of entries, in
 * its transaction: not by a refused one, once only however many appends
 * follow, and not after the staging ended. */
static void test_audit_staged(void **state)
{
	struct fixture *f = *state;
	struct store_appended res;
	struct store_entry en;
	struct store_batch b = { .entries = &en, .n = 1 };
	struct audit_rows r = { 0 };
	struct err e = { 0 };
	char buf[ENVELOPE_MAX];

	tu_ok(append_range(f, 0, 2, &res, &e), &e);
	store_audit_stage(f->s, 1795000000, "olga", "POST /api/v1/cases");
	en = (struct store_entry){ buf, 0, NULL, 0 };
	en.len = tu_envelope(buf, sizeof(buf), A, B, 5, "x", 1); /* a gap: refused */
	assert_int_equal(store_append(f->s, &f->log, &b, &res, &e), ERR_CONFLICT);
	tu_ok(store_audit_each(f->s, count_audit, &r, &e), &e);
	assert_int_equal(r.n, 0);
	en.len = tu_envelope(buf, sizeof(buf), A, B, 2, "x", 1);
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	en.len = tu_envelope(buf, sizeof(buf), A, B, 3, "x", 1);
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	assert_int_equal(store_audit_unstage(f->s), 1);
	tu_ok(store_audit_each(f->s, count_audit, &r, &e), &e);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.last, "olga|POST /api/v1/cases|ok");
	/* Ended: the next append records nothing. */
	en.len = tu_envelope(buf, sizeof(buf), A, B, 4, "x", 1);
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	assert_int_equal(store_audit_unstage(f->s), 0);
	r.n = 0;
	tu_ok(store_audit_each(f->s, count_audit, &r, &e), &e);
	assert_int_equal(r.n, 1);
}

/* store_copy into an empty store of the other backend (a second SQLite
 * file when this run is on SQLite), then store_compare: equal, and a
 * difference is found and named. */
static void test_copy_and_compare(void **state)
{
	struct fixture *f = *state;
	struct store_appended res;
	struct store_copy_stats st;
	struct store_entry en = { 0 };
	struct store_batch b = { .entries = &en, .n = 1 };
	struct store_operator op = { .name = "alice", .role = "officer", .created = 1795000000 };
	struct store *to;
	struct store_log log;
	struct err e = { 0 };
	uint8_t tok[32] = { 7 }, root[32];
	char url[700], buf[ENVELOPE_MAX];

	tu_ok(append_range(f, 0, 300, &res, &e), &e);
	en.envelope = buf;
	en.len = tu_envelope(buf, sizeof(buf), A, B, 300, "body", 4);
	en.body = "body";
	en.body_len = 4;
	tu_ok(store_root(f->s, f->log.id, 120, root, &e), &e);
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	b = (struct store_batch){ .cp_size = 120, .cp_root = root, .cp_note = "n120",
				  .cp_note_len = 4, .cosigner = B, .cosig_time = 1795000001,
				  .cosig_line = "cosig-120" };
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	tu_ok(store_operator_add(f->s, &op, tok, &e), &e);
	tu_ok(store_evidence_add(f->s, "parley/b.example/a.example", 3, "a fork", "note", &e), &e);
	tu_ok(store_audit_add(f->s, 1795000002, "alice", "case open", "ok", &e), &e);

	if (use_pg) {
		snprintf(url, sizeof(url), "sqlite:%s/copy.db", f->dir);
	} else if (tu_pg_admin()) {
		tu_pg_createdb(url, sizeof(url));
	} else {
		snprintf(url, sizeof(url), "sqlite:%s/copy.db", f->dir);
	}
	tu_ok(store_open(&to, url, &e), &e);
	tu_ok(store_copy(f->s, to, NULL, NULL, &e), &e);
	tu_ok(store_compare(f->s, to, NULL, NULL, &st, &e), &e);
	assert_int_equal(st.parties, 2);
	assert_int_equal(st.operators, 1);
	assert_int_equal(st.bodies, 1);
	assert_int_equal(st.logs, 1);
	assert_int_equal(st.entries, 301);
	assert_int_equal(st.checkpoints, 1);
	assert_int_equal(st.cosigs, 1);
	/* Not into a store that holds something. */
	assert_int_equal(store_copy(f->s, to, NULL, NULL, &e), ERR_EXISTS);
	/* A body altered in its entry's row of the copy: found. */
	url_sql(url, "UPDATE entry SET body = CAST('bodx' AS BLOB) WHERE idx = 300",
		"UPDATE entry SET body = 'bodx'::bytea WHERE idx = 300");
	assert_int_equal(store_compare(f->s, to, NULL, NULL, &st, &e), ERR_VERIFY);
	assert_msg_contains(&e, "parley/a.example/b.example: the bodies in the entries differ in the copy");
	url_sql(url, "UPDATE entry SET body = CAST('body' AS BLOB) WHERE idx = 300",
		"UPDATE entry SET body = 'body'::bytea WHERE idx = 300");
	tu_ok(store_compare(f->s, to, NULL, NULL, &st, &e), &e);
	/* One more entry in the copy: found. */
	tu_ok(store_log_get(to, A, B, 0, &log, &e), &e);
	en.len = tu_envelope(buf, sizeof(buf), A, B, 301, "x", 1);
	en.body = NULL;
	b = (struct store_batch){ .entries = &en, .n = 1 };
	tu_ok(store_append(to, &log, &b, &res, &e), &e);
	assert_int_equal(store_compare(f->s, to, NULL, NULL, &st, &e), ERR_VERIFY);
	assert_msg_contains(&e, "size 301 in the source, 302 in the copy");
	store_close(to);
	if (strncmp(url, "postgresql", 10) == 0)
		tu_pg_dropdb(url);
}

/* Several processes append to one log at once, each with its own store
 * handle (PostgreSQL: its own connection, as separate frontends would).
 * Each one, like a sender's frontend, reads the size, catches up its own
 * copy of the tree, builds a batch at the next indices with a checkpoint
 * for the new size, and appends; a batch that lost the race is refused
 * with ERR_CONFLICT (never a database error: the lock on the log's head
 * serialises the appends) and is rebuilt. */
#define CC_PROCS 3
#define CC_BATCHES 30
#define CC_BATCH 7
#define CC_BODY_MAX 32

static size_t cc_body(char *buf, int who, int batch, int k)
{
	return (size_t)snprintf(buf, CC_BODY_MAX, "p%d-b%d-k%d", who, batch, k);
}

/* A child: 0 on success, 1 on any failure (message on stderr). */
static int cc_child(const char *url, int who, int start_fd)
{
	struct store *s = NULL;
	struct store_log log;
	struct merkle_frontier mf;
	struct store_entry en[CC_BATCH];
	char env[CC_BATCH][ENVELOPE_MAX], body[CC_BATCH][CC_BODY_MAX];
	struct err e = { 0 };
	uint64_t known = 0;
	int conflicts = 0, rc = 1;
	char go;

	if (read(start_fd, &go, 1) != 1 || store_open(&s, url, &e) < 0)
		goto out;
	merkle_frontier_init(&mf);
	for (int batch = 0; batch < CC_BATCHES;) {
		struct merkle_frontier next;
		struct store_batch b = { .entries = en, .n = CC_BATCH };
		struct store_appended res;
		uint8_t root[32], leaf[32];
		char note[64];
		int r;

		/* The size outside the lock is only a guess. */
		if (store_log_get(s, A, B, 0, &log, &e) < 0)
			goto out;
		for (; known < log.size; known++) {
			char *buf;
			size_t len;

			if (store_entry_get(s, log.id, known, &buf, &len, &e) < 0)
				goto out;
			merkle_leaf_hash(leaf, buf, len);
			merkle_frontier_append(&mf, leaf, NULL, NULL);
			free(buf);
		}
		next = mf;
		for (int k = 0; k < CC_BATCH; k++) {
			size_t blen = cc_body(body[k], who, batch, k);

			en[k] = (struct store_entry){ env[k], 0, body[k], blen };
			en[k].len = tu_envelope(env[k], ENVELOPE_MAX, A, B, known + (uint64_t)k,
						body[k], blen);
			merkle_leaf_hash(leaf, env[k], en[k].len);
			merkle_frontier_append(&next, leaf, NULL, NULL);
		}
		merkle_frontier_root(&next, root);
		b.cp_size = next.size;
		b.cp_root = root;
		b.cp_note_len = (size_t)snprintf(note, sizeof(note), "size %" PRIu64 " by %d",
						 next.size, who);
		b.cp_note = note;
		r = store_append(s, &log, &b, &res, &e);
		if (r == ERR_CONFLICT) {
			conflicts++;
			continue;
		}
		if (r < 0)
			goto out;
		if (res.size != next.size || memcmp(res.root, root, 32) != 0) {
			err_set(&e, ERR_VERIFY, "append returned another size or root");
			goto out;
		}
		batch++;
	}
	fprintf(stderr, "appender %d: %d batches, %d refused as raced and rebuilt\n", who,
		CC_BATCHES, conflicts);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "appender %d: %s (%s)\n", who, e.msg, err_name(e.code));
	store_close(s);
	return rc;
}

struct cc_check {
	struct store *s;
	struct merkle_frontier mf;
	uint8_t (*roots)[32]; /* roots[n]: the root at size n */
	uint8_t (*bodies)[32]; /* body hash of each entry */
	uint64_t next;
	int ncp;
};

static int cc_entry(void *ctx, const struct store_row *r)
{
	struct cc_check *c = ctx;
	struct envelope ev;
	struct err e = { 0 };
	uint8_t want[32];
	uint64_t index = r->index;
	const char *env = r->env;
	size_t len = r->len;
	const uint8_t *leaf = r->leaf;

	/* One total order: every index once, in order, no gap. */
	assert_int_equal(index, c->next);
	assert_true(index < CC_PROCS * CC_BATCHES * CC_BATCH);
	tu_ok(envelope_parse(&ev, env, len, &e), &e);
	assert_int_equal(ev.index, index);
	merkle_leaf_hash(want, env, len);
	assert_non_null(leaf);
	assert_memory_equal(leaf, want, 32);
	memcpy(c->bodies[index], ev.body, 32);
	merkle_frontier_append(&c->mf, want, NULL, NULL);
	merkle_frontier_root(&c->mf, c->roots[index + 1]);
	c->next++;
	return 0;
}

static int cc_checkpoint(void *ctx, const struct store_checkpoint *cp)
{
	struct cc_check *c = ctx;

	/* Sizes strictly increase (no two of one size) and every root is the
	 * root of the entries at that size. */
	assert_true(cp->size > c->next);
	assert_true(cp->size <= CC_PROCS * CC_BATCHES * CC_BATCH);
	assert_memory_equal(cp->root, c->roots[cp->size], 32);
	c->next = cp->size;
	c->ncp++;
	return 0;
}

static int cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static void test_concurrent_appends(void **state)
{
	struct fixture *f = *state;
	const uint64_t total = CC_PROCS * CC_BATCHES * CC_BATCH;
	struct cc_check c = { .s = f->s };
	struct store_log log;
	struct err e = { 0 };
	pid_t pid[CC_PROCS];
	int start[2];
	uint8_t root[32];
	char body[CC_BODY_MAX];

	assert_int_equal(pipe(start), 0);
	for (int i = 0; i < CC_PROCS; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			close(start[1]);
			_exit(cc_child(f->url, i, start[0]));
		}
	}
	close(start[0]);
	/* Go, all at once. */
	assert_int_equal(write(start[1], "gggggggg", CC_PROCS), CC_PROCS);
	close(start[1]);
	for (int i = 0; i < CC_PROCS; i++) {
		int st;

		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}

	tu_ok(store_log_get(f->s, A, B, 0, &log, &e), &e);
	assert_int_equal(log.size, total);
	c.roots = calloc(total + 1, 32);
	c.bodies = calloc(total, 32);
	assert_non_null(c.roots);
	assert_non_null(c.bodies);
	merkle_frontier_init(&c.mf);
	merkle_frontier_root(&c.mf, c.roots[0]);
	tu_ok(store_scan(f->s, log.id, cc_entry, &c, &e), &e);
	assert_int_equal(c.next, total);
	tu_ok(store_root(f->s, log.id, total, root, &e), &e);
	assert_memory_equal(root, c.roots[total], 32);
	/* Every batch of every process went in exactly once. */
	qsort(c.bodies, total, 32, cmp_hash);
	for (int who = 0; who < CC_PROCS; who++)
		for (int b = 0; b < CC_BATCHES; b++)
			for (int k = 0; k < CC_BATCH; k++) {
				uint8_t h[32];
				uint8_t (*hit)[32];
				size_t len = cc_body(body, who, b, k);

				merkle_sha256(h, body, len);
				hit = bsearch(h, c.bodies, total, 32, cmp_hash);
				assert_non_null(hit);
				assert_true(hit == c.bodies || memcmp(hit[-1], h, 32) != 0);
				assert_true(hit + 1 == c.bodies + total || memcmp(hit[1], h, 32) != 0);
			}
	/* One checkpoint per batch, each matching the entries. */
	c.next = 0;
	tu_ok(store_checkpoint_each(f->s, log.id, cc_checkpoint, &c, &e), &e);
	assert_int_equal(c.next, total);
	assert_int_equal(c.ncp, CC_PROCS * CC_BATCHES);
	free(c.roots);
	free(c.bodies);
}


/* Entry i of the facts test: requests and replies of several types, the
 * replies naming the other side's cases. */
static size_t fact_envelope(char *buf, uint64_t i, struct envelope *env)
{
	static const char *const types[] = { "cyber-incident", "visa", "legal", "x" };
	struct err e = { 0 };
	size_t len;

	memset(env, 0, sizeof(*env));
	snprintf(env->from, sizeof(env->from), A);
	snprintf(env->to, sizeof(env->to), B);
	env->index = i;
	env->time = 1700000000 + (int64_t)(i * 37 % 1000);
	env->kind = i % 3 == 0 ? ENVELOPE_REQUEST : i % 3 == 1 ? ENVELOPE_ACK : ENVELOPE_ANSWER;
	snprintf(env->case_from, sizeof(env->case_from), "%s", env->kind == ENVELOPE_REQUEST ? A : B);
	env->case_index = env->kind == ENVELOPE_REQUEST ? i : i / 2;
	snprintf(env->type, sizeof(env->type), "%s", types[i * 7 % 4]);
	env->body[0] = (uint8_t)i;
	tu_ok(envelope_encode(env, buf, ENVELOPE_MAX, &len, &e), &e);
	return len;
}

struct fact_seen {
	uint64_t n;
	int bad;
};

static int fact_check_cb(void *ctx, uint64_t first, const struct store_fact *f, size_t n,
			 const char *const *types, size_t ntypes)
{
	struct fact_seen *fs = ctx;
	char buf[ENVELOPE_MAX];

	for (size_t i = 0; i < n; i++) {
		struct envelope env;
		fact_envelope(buf, first + i, &env);
		if (first + i != fs->n || f[i].time != env.time || f[i].kind != env.kind ||
		    f[i].case_index != env.case_index || f[i].side != (env.kind != ENVELOPE_REQUEST) ||
		    f[i].type >= ntypes || strcmp(types[f[i].type], env.type) != 0)
			fs->bad++;
		fs->n++;
	}
	return 0;
}

/* The facts written with the entries are the entries' facts, whatever
 * the batches; a reader gets them to the size it asks for; verify finds
 * altered and missing blocks; a store from before facts is upgraded when
 * opened, its facts rebuilt. */
static void test_facts(void **state)
{
	struct fixture *f = *state;
	static const uint64_t cuts[] = { 1, 7, 255, 256, 257, 300, 511, 512, 700 };
	char (*bufs)[ENVELOPE_MAX] = malloc(700 * sizeof(*bufs));
	struct store_entry en[700];
	struct store_appended res;
	struct fact_seen fs = { 0 };
	struct err e = { 0 };
	uint64_t from = 0;

	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		struct store_batch b = { .entries = en, .n = (size_t)(cuts[k] - from) };
		for (uint64_t i = from; i < cuts[k]; i++) {
			struct envelope env;
			en[i - from] = (struct store_entry){ bufs[i], fact_envelope(bufs[i], i, &env),
							     NULL, 0 };
		}
		tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
		from = cuts[k];
		/* After each batch the facts cover exactly the log. */
		fs = (struct fact_seen){ 0 };
		tu_ok(store_facts_scan(f->s, f->log.id, from, fact_check_cb, &fs, &e), &e);
		assert_int_equal(fs.n, from);
		assert_int_equal(fs.bad, 0);
	}
	free(bufs);
	tu_ok(store_facts_check(f->s, f->log.id, &e), &e);
	/* A reader that read the size before an append sees that size. */
	fs = (struct fact_seen){ 0 };
	tu_ok(store_facts_scan(f->s, f->log.id, 300, fact_check_cb, &fs, &e), &e);
	assert_int_equal(fs.n, 300);

	/* Altered: one record's time (block 1, entry 256 + 3). */
	raw_sql(f, "UPDATE fact SET data = substr(data, 1, length(data) - 40) || x'ff' ||"
		     " substr(data, length(data) - 38) WHERE id = (SELECT min(id) FROM fact) + 1",
		  "UPDATE fact SET data = overlay(data placing '\\xff'::bytea from length(data) - 39)"
		  " WHERE block = 1");
	assert_int_equal(store_facts_check(f->s, f->log.id, &e), ERR_VERIFY);
	assert_msg_contains(&e, "facts of entries 256..511 differ from the entries");
	/* Missing: the reader says so (cases then read the entries). */
	raw_sql(f, "DELETE FROM fact WHERE id = (SELECT min(id) FROM fact) + 1",
		  "DELETE FROM fact WHERE block = 1");
	assert_int_equal(store_facts_scan(f->s, f->log.id, 700, fact_check_cb, &fs, &e),
			 ERR_NOTFOUND);
	assert_int_equal(store_facts_check(f->s, f->log.id, &e), ERR_VERIFY);
	assert_msg_contains(&e, "no facts for entries 256..511");

	/* A version 1 store: no fact table (nor lease table). Opening it
	 * upgrades it and rebuilds the facts. */
	store_close(f->s);
	f->s = NULL;
	raw_sql(f, "DROP TABLE fact; DROP TABLE lease; DROP TABLE casefact;"
		  " ALTER TABLE entry DROP COLUMN body; PRAGMA user_version = 1",
		  "DROP TABLE fact; DROP TABLE lease; DROP TABLE casefact;"
		  " ALTER TABLE entry DROP COLUMN body; UPDATE parley_schema SET version = 1");
	tu_ok(store_open(&f->s, f->url, &e), &e);
	fs = (struct fact_seen){ 0 };
	tu_ok(store_facts_scan(f->s, f->log.id, 700, fact_check_cb, &fs, &e), &e);
	assert_int_equal(fs.n, 700);
	assert_int_equal(fs.bad, 0);
	tu_ok(store_facts_check(f->s, f->log.id, &e), &e);
}

/* The two logs of a channel for the case facts. A->B: i % 5 = 0, 1
 * requests; 2 an answer naming B's request 2(i/5)+1; 3 a reminder naming
 * A's own request i-3, or (i % 50 = 3, past 50) the charter i-4 (no
 * case); 4 a
 * charter entry. B->A: odd j requests; even j an ack naming A's request
 * 5(j/7) + (j/2)%2, or (j % 10 = 8) entry 5000 (beyond the log). */
static void cf_env(int from_a, uint64_t i, struct envelope *env)
{
	static const char *const types[] = { "cyber-incident", "visa", "legal" };

	memset(env, 0, sizeof(*env));
	snprintf(env->from, sizeof(env->from), "%s", from_a ? A : B);
	snprintf(env->to, sizeof(env->to), "%s", from_a ? B : A);
	env->index = i;
	env->time = 1700000000 + (int64_t)(i * 53 % 997) + (from_a ? 0 : 7);
	snprintf(env->type, sizeof(env->type), "%s", types[i % 3]);
	snprintf(env->case_from, sizeof(env->case_from), "%s", env->from);
	env->case_index = i;
	env->body[0] = (uint8_t)i;
	env->kind = ENVELOPE_REQUEST;
	if (from_a) {
		switch (i % 5) {
		case 2:
			env->kind = ENVELOPE_ANSWER;
			snprintf(env->case_from, sizeof(env->case_from), B);
			env->case_index = 2 * (i / 5) + 1;
			break;
		case 3:
			env->kind = ENVELOPE_REMIND;
			env->case_index = i % 50 == 3 && i > 50 ? i - 4 : i - 3;
			break;
		case 4:
			env->kind = ENVELOPE_CHARTER;
			break;
		}
	} else if (i % 2 == 0) {
		env->kind = ENVELOPE_ACK;
		snprintf(env->case_from, sizeof(env->case_from), A);
		env->case_index = i % 10 == 8 ? 5000 : 5 * (i / 7) + (i / 2) % 2;
	}
}

static void cf_append(struct fixture *f, int from_a, uint64_t from, uint64_t to)
{
	char (*bufs)[ENVELOPE_MAX] = malloc((size_t)(to - from) * sizeof(*bufs));
	struct store_entry *en = calloc((size_t)(to - from), sizeof(*en));
	struct store_log l = { 0 };
	struct store_batch b = { .entries = en, .n = (size_t)(to - from) };
	struct err e = { 0 };

	for (uint64_t i = from; i < to; i++) {
		struct envelope env;
		size_t len;
		cf_env(from_a, i, &env);
		tu_ok(envelope_encode(&env, bufs[i - from], ENVELOPE_MAX, &len, &e), &e);
		en[i - from] = (struct store_entry){ bufs[i - from], len, NULL, 0 };
	}
	tu_ok(store_log_get(f->s, from_a ? A : B, from_a ? B : A, 1, &l, &e), &e);
	tu_ok(store_append(f->s, &l, &b, NULL, &e), &e);
	free(bufs);
	free(en);
}

/* What store_cases_scan must give, worked out from the envelopes: one
 * line per case, "index:" then each message as kind/index/log. */
static void cf_expect(char *out, size_t cap, int req_a, uint64_t req_size, uint64_t rev_size,
		      uint64_t from, int rev_first)
{
	size_t o = 0;

	out[0] = '\0';
	for (uint64_t r = from; r < req_size; r++) {
		struct envelope env;
		cf_env(req_a, r, &env);
		if (env.kind != ENVELOPE_REQUEST)
			continue;
		o += (size_t)snprintf(out + o, cap - o, "%" PRIu64 ":%s", r, env.type);
		for (int pass = 0; pass < 2; pass++) {
			int rev = rev_first ? !pass : pass;
			uint64_t size = rev ? rev_size : req_size;
			for (uint64_t i = 0; i < size; i++) {
				cf_env(rev ? !req_a : req_a, i, &env);
				if (env.kind == ENVELOPE_REQUEST || env.kind == ENVELOPE_CHARTER ||
				    env.case_index != r || strcmp(env.case_from, req_a ? A : B) != 0)
					continue;
				o += (size_t)snprintf(out + o, cap - o, " %d/%" PRIu64 "/%d", env.kind, i,
						      rev);
			}
		}
		o += (size_t)snprintf(out + o, cap - o, "\n");
		assert_true(o < cap);
	}
}

struct cf_seen {
	char *out;
	size_t o, cap;
	int stop_after;   /* 0: never */
	int n;
};

static int cf_case(void *ctx, const struct store_case_msg *m, size_t n)
{
	struct cf_seen *c = ctx;

	assert_true(n >= 1);
	assert_int_equal(m[0].kind, ENVELOPE_REQUEST);
	assert_non_null(m[0].type);
	c->o += (size_t)snprintf(c->out + c->o, c->cap - c->o, "%" PRIu64 ":%s", m[0].index,
				 m[0].type);
	for (size_t i = 1; i < n; i++) {
		assert_null(m[i].type);
		c->o += (size_t)snprintf(c->out + c->o, c->cap - c->o, " %d/%" PRIu64 "/%d",
					 m[i].kind, m[i].index, m[i].rev);
	}
	c->o += (size_t)snprintf(c->out + c->o, c->cap - c->o, "\n");
	assert_true(c->o < c->cap);
	return ++c->n == c->stop_after ? 7 : 0;
}

static void cf_check(struct fixture *f, int req_a, uint64_t req_size, uint64_t rev_size,
		     uint64_t from, int rev_first)
{
	static char want[1 << 16], got[1 << 16];
	struct store_log a, b;
	struct cf_seen c = { got, 0, sizeof(got), 0, 0 };
	struct err e = { 0 };

	got[0] = '\0';
	tu_ok(store_log_get(f->s, A, B, 0, &a, &e), &e);
	tu_ok(store_log_get(f->s, B, A, 0, &b, &e), &e);
	cf_expect(want, sizeof(want), req_a, req_size, rev_size, from, rev_first);
	tu_ok(store_cases_scan(f->s, req_a ? a.id : b.id, req_size, req_a ? b.id : a.id, rev_size,
			       from, rev_first, cf_case, &c, &e), &e);
	assert_string_equal(got, want);
}

static int cf_item(void *ctx, uint64_t index, const struct store_fact *fact, const char *type)
{
	struct envelope env;
	uint64_t *n = ctx;

	cf_env(1, index, &env);
	assert_int_equal(env.kind, ENVELOPE_CHARTER);
	assert_int_equal(fact->kind, ENVELOPE_CHARTER);
	assert_int_equal(fact->time, env.time);
	assert_int_equal(fact->case_index, index);
	assert_string_equal(type, env.type);
	assert_int_equal(index, *n * 5 + 4); /* every one, in order */
	(*n)++;
	return 0;
}

/* The case facts: every case of either log with exactly its messages
 * (replies stored before their request, in the other log, in batches cut
 * anywhere; replies naming no request left out), from any entry, to any
 * size read; a stop from the callback returned; the charter entries;
 * verify finds altered, missing and extra rows; a version 2 store gets
 * them rebuilt when opened. */
static void test_case_facts(void **state)
{
	struct fixture *f = *state;
	static const uint64_t cuts_a[] = { 1, 3, 255, 256, 300, 513, 600 };
	struct cf_seen c = { NULL, 0, 0, 3, 0 };
	static char got[1 << 16];
	struct store_log a, b;
	struct err e = { 0 };
	uint64_t from = 0, items = 0;
	char sql[400], pgsql[400];

	cf_append(f, 0, 0, 300); /* B's acks before A's requests */
	for (size_t k = 0; k < sizeof(cuts_a) / sizeof(cuts_a[0]); k++) {
		cf_append(f, 1, from, cuts_a[k]);
		from = cuts_a[k];
	}
	cf_append(f, 0, 300, 301);
	cf_append(f, 0, 301, 700);
	tu_ok(store_log_get(f->s, A, B, 0, &a, &e), &e);
	tu_ok(store_log_get(f->s, B, A, 0, &b, &e), &e);
	cf_check(f, 1, 600, 700, 0, 0);
	cf_check(f, 1, 600, 700, 0, 1);
	cf_check(f, 1, 600, 700, 257, 0);
	cf_check(f, 1, 300, 200, 0, 0);   /* sizes read before later appends */
	cf_check(f, 1, 600, 700, 599, 0); /* from past the last request: none */
	cf_check(f, 0, 700, 600, 0, 1);
	cf_check(f, 0, 700, 600, 513, 0);
	c.out = got;
	c.cap = sizeof(got);
	assert_int_equal(store_cases_scan(f->s, a.id, 600, b.id, 700, 0, 0, cf_case, &c, &e), 7);
	assert_int_equal(c.n, 3);
	tu_ok(store_items_scan(f->s, a.id, 600, cf_item, &items, &e), &e);
	assert_int_equal(items, 120);
	tu_ok(store_facts_check(f->s, a.id, &e), &e);
	tu_ok(store_facts_check(f->s, b.id, &e), &e);

	/* Altered, then missing: verify names the entries. */
	snprintf(sql, sizeof(sql), "UPDATE casefact SET data = data || x'00' WHERE log = %" PRId64
		 " AND k = (SELECT min(k) FROM casefact WHERE log = %" PRId64 ")", a.id, a.id);
	snprintf(pgsql, sizeof(pgsql), "UPDATE casefact SET data = data || '\\x00'::bytea WHERE log"
		 " = %" PRId64 " AND k = (SELECT min(k) FROM casefact WHERE log = %" PRId64 ")",
		 a.id, a.id);
	raw_sql(f, sql, pgsql);
	assert_int_equal(store_facts_check(f->s, a.id, &e), ERR_VERIFY);
	assert_msg_contains(&e, "case facts of entries 0..255 differ from the facts");
	snprintf(sql, sizeof(sql), "DELETE FROM casefact WHERE log = %" PRId64 " AND k = (SELECT"
		 " min(k) FROM casefact WHERE log = %" PRId64 ")", a.id, a.id);
	raw_sql(f, sql, sql);
	assert_int_equal(store_facts_check(f->s, a.id, &e), ERR_VERIFY);
	assert_msg_contains(&e, "case facts of entries 0..255 are missing");

	/* A version 2 store: no case facts; opening it rebuilds them. */
	store_close(f->s);
	f->s = NULL;
	raw_sql(f, "DROP TABLE casefact; ALTER TABLE entry DROP COLUMN body; PRAGMA user_version = 2",
		  "DROP TABLE casefact; ALTER TABLE entry DROP COLUMN body;"
		  " UPDATE parley_schema SET version = 2");
	tu_ok(store_open(&f->s, f->url, &e), &e);
	cf_check(f, 1, 600, 700, 0, 0);
	cf_check(f, 0, 700, 600, 0, 1);
	tu_ok(store_facts_check(f->s, a.id, &e), &e);
	tu_ok(store_facts_check(f->s, b.id, &e), &e);

	/* A row no block makes. */
	snprintf(sql, sizeof(sql), "INSERT INTO casefact(log, k, data) VALUES (%" PRId64
		 ", 12345, x'01')", b.id);
	snprintf(pgsql, sizeof(pgsql), "INSERT INTO casefact(log, k, data) VALUES (%" PRId64
		 ", 12345, '\\x01'::bytea)", b.id);
	raw_sql(f, sql, pgsql);
	assert_int_equal(store_facts_check(f->s, b.id, &e), ERR_VERIFY);
	assert_msg_contains(&e, "rows of case facts where its facts make");
}

/* Leases: one holder at a time; the holder renews; another takes an
 * expired lease, and a released one at once; a second store handle (a
 * second process's connection) sees the same. */
static void test_lease(void **state)
{
	struct fixture *f = *state;
	struct store *s2 = NULL;
	struct err e = { 0 };
	int held;

	tu_ok(store_open(&s2, f->url, &e), &e);
	tu_ok(store_lease_take(f->s, "deliver x", "one", 60000, &held, &e), &e);
	assert_int_equal(held, 1);
	tu_ok(store_lease_take(s2, "deliver x", "two", 60000, &held, &e), &e);
	assert_int_equal(held, 0);
	tu_ok(store_lease_take(s2, "deliver y", "two", 60000, &held, &e), &e);
	assert_int_equal(held, 1); /* another lease */
	tu_ok(store_lease_take(f->s, "deliver x", "one", 200, &held, &e), &e);
	assert_int_equal(held, 1); /* renewed, now for 0.2 s */
	tu_ok(store_lease_take(s2, "deliver x", "two", 60000, &held, &e), &e);
	assert_int_equal(held, 0);
	usleep(300000);
	tu_ok(store_lease_take(s2, "deliver x", "two", 60000, &held, &e), &e);
	assert_int_equal(held, 1); /* expired: taken over */
	tu_ok(store_lease_take(f->s, "deliver x", "one", 60000, &held, &e), &e);
	assert_int_equal(held, 0);
	tu_ok(store_lease_release(f->s, "deliver x", "one", &e), &e); /* not its own: no-op */
	tu_ok(store_lease_take(f->s, "deliver x", "one", 60000, &held, &e), &e);
	assert_int_equal(held, 0);
	tu_ok(store_lease_release(s2, "deliver x", "two", &e), &e);
	tu_ok(store_lease_take(f->s, "deliver x", "one", 60000, &held, &e), &e);
	assert_int_equal(held, 1);
	store_close(s2);
}

/* PostgreSQL: two appends to different logs that store the same
 * attachments in opposite orders can deadlock (each holds the
 * unique-index entry of the attachment the other inserts next; bodies,
 * in their entries' rows, cannot); the server aborts one (40P01), and
 * store_append runs it again from its start. The test makes the deadlock
 * happen for sure: a third session holds attachment Y uncommitted, so
 * that appender 1 ([X, Y] to A->B) holds X and waits for Y; appender 2
 * ([Z, X] to B->A) holds Z and waits for X; then the third session
 * inserts Z and closes the cycle. Appender 1 waited first, so its
 * deadlock check (after deadlock_timeout, 1 s) runs first and aborts it. */
static const char *const dl_body[3] = { "body X", "body Y", "body Z" };

/* An appender: attachments first, then second, with two entries, to log
 * from->to; exits with the number of retries, or 100 on failure. */
static int dl_child(const char *url, const char *from, const char *to, int first, int second)
{
	struct store *s = NULL;
	struct store_log log = { 0 };
	struct store_entry en[2];
	struct store_blob att[2];
	char env[2][ENVELOPE_MAX];
	struct store_batch b = { 0 };
	struct err e = { 0 };
	int k[2] = { first, second }, rc;

	if (store_open(&s, url, &e) < 0)
		return 100;
	snprintf(log.origin, sizeof(log.origin), "parley/%s/%s", from, to);
	snprintf(log.sender, sizeof(log.sender), "%s", from);
	snprintf(log.receiver, sizeof(log.receiver), "%s", to);
	for (int i = 0; i < 2; i++) {
		att[i] = (struct store_blob){ dl_body[k[i]], strlen(dl_body[k[i]]) };
		en[i].body = "b";
		en[i].body_len = 1;
		en[i].envelope = env[i];
		en[i].len = tu_envelope(env[i], ENVELOPE_MAX, from, to, (uint64_t)i, "b", 1);
	}
	b.entries = en;
	b.n = 2;
	b.blobs = att;
	b.nblobs = 2;
	rc = store_append(s, &log, &b, NULL, &e);
	if (rc < 0)
		fprintf(stderr, "appender %s: %s\n", log.origin, e.msg);
	rc = rc < 0 ? 100 : (int)store_retries(s);
	store_close(s);
	return rc;
}

/* Waits (at most 10 s) until n sessions of the database wait for a lock.
 * c must be outside a transaction: inside one, pg_stat_activity is read
 * once and kept. */
static void dl_wait_lockers(PGconn *c, int n)
{
	for (int t = 0; t < 1000; t++) {
		PGresult *r = PQexec(c, "SELECT count(*) FROM pg_stat_activity WHERE"
				     " datname = current_database() AND wait_event_type = 'Lock'");
		int got = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;

		PQclear(r);
		if (got >= n)
			return;
		usleep(10000);
	}
	fail_msg("%d sessions never waited for a lock", n);
}

static pid_t dl_start(const char *url, const char *from, const char *to, int first, int second)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(dl_child(url, from, to, first, second));
	return pid;
}

static void test_pg_deadlock_retried(void **state)
{
	struct fixture *f = *state;
	struct store_log log;
	struct err e = { 0 };
	uint8_t h[32];
	char sql[300], hex[65];
	pid_t pid[2];
	int retries = 0;
	PGconn *c, *watch;

	if (!use_pg)
		skip();
	c = tu_pg_connect(f->url);
	watch = tu_pg_connect(f->url);
	tu_pg_exec(c, "BEGIN");
	merkle_sha256(h, dl_body[1], strlen(dl_body[1]));
	merkle_hex(hex, h);
	snprintf(sql, sizeof(sql), "INSERT INTO body(hash, data) VALUES ('\\x%s', 'y')", hex);
	tu_pg_exec(c, sql);
	pid[0] = dl_start(f->url, A, B, 0, 1);
	dl_wait_lockers(watch, 1);
	pid[1] = dl_start(f->url, B, A, 2, 0);
	dl_wait_lockers(watch, 2);
	PQfinish(watch);
	merkle_sha256(h, dl_body[2], strlen(dl_body[2]));
	merkle_hex(hex, h);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO body(hash, data) VALUES ('\\x%s', 'z') ON CONFLICT DO NOTHING", hex);
	tu_pg_exec(c, sql); /* waits until the deadlock is resolved */
	tu_pg_exec(c, "ROLLBACK");
	PQfinish(c);
	for (int i = 0; i < 2; i++) {
		int st;

		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		assert_true(WEXITSTATUS(st) < 100);
		retries += WEXITSTATUS(st);
	}
	assert_true(retries >= 1);
	tu_ok(store_log_get(f->s, A, B, 0, &log, &e), &e);
	assert_int_equal(log.size, 2);
	tu_ok(store_log_get(f->s, B, A, 0, &log, &e), &e);
	assert_int_equal(log.size, 2);
	for (int i = 0; i < 3; i++) {
		void *buf;
		size_t len;

		merkle_sha256(h, dl_body[i], strlen(dl_body[i]));
		tu_ok(store_body_get(f->s, h, &buf, &len, &e), &e);
		assert_int_equal(len, strlen(dl_body[i]));
		free(buf);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_and_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proofs_verify_with_log_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_is_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bodies_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipts_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_batch_caches_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_failed_write_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_reconnects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_staged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_and_compare, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_facts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_facts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_deadlock_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease, setup, teardown),
	};

	if (argc > 1 && strcmp(argv[1], "pg") == 0) {
		if (!tu_pg_admin()) {
			printf("PARLEY_TEST_PG is not set: skipping the PostgreSQL run\n");
			return 77; /* meson: skipped */
		}
		use_pg = 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
