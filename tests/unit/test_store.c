/* test_store.c — the store interface over its SQLite backend: batch
 * appends are atomic and ordered, roots and proofs come from stored nodes
 * in O(log n) reads, checkpoints must match, everything survives reopen. */
#include "testutil.h"

#include "store/store.h"

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
	tu_rmdir(f->dir);
	free(f);
	return 0;
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
	tu_store_digest(f->path, before);

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

	tu_store_digest(f->path, after);
	assert_memory_equal(before, after, 32);

	/* And the corrected batch goes in. */
	en[1].body = "x";
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	assert_int_equal(res.size, 13);
}

static void test_bodies_content_addressed(void **state)
{
	struct fixture *f = *state;
	struct store_appended res;
	struct store_entry en[2];
	struct store_batch b = { .entries = en, .n = 2 };
	struct err e = { 0 };
	char bufs[2][ENVELOPE_MAX];
	uint8_t h[32];
	void *body;
	size_t len;

	for (int i = 0; i < 2; i++)
		en[i] = (struct store_entry){ bufs[i],
			tu_envelope(bufs[i], ENVELOPE_MAX, A, B, (uint64_t)i, "same body", 9),
			"same body", 9 };
	tu_ok(store_append(f->s, &f->log, &b, &res, &e), &e);
	merkle_sha256(h, "same body", 9);
	tu_ok(store_body_get(f->s, h, &body, &len, &e), &e);
	assert_int_equal(len, 9);
	assert_memory_equal(body, "same body", 9);
	free(body);
	merkle_sha256(h, "other", 5);
	assert_int_equal(store_body_get(f->s, h, &body, &len, &e), ERR_NOTFOUND);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_and_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proofs_verify_with_log_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_is_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bodies_content_addressed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_batch_caches_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
