/* test_node.c — a party's node: init and open safety, the protocol steps
 * (send, batch, receive + cosign, receipt), and every refusal of a bad
 * batch or receipt, each shown to leave the receiver's store unchanged. */
#include "testutil.h"

#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "core/templates.h"
#include "node/cases.h"
#include "node/node.h"
#include "util/fsio.h"

#define A "a.example"
#define B "b.example"
#define NOW INT64_C(1795000000)

static int64_t fixed_clock(void)
{
	return NOW;
}

struct fixture {
	char *dir;
	char pa[600], pb[600];
	struct node *a, *b;
};

static struct node *open_node(const char *dir)
{
	struct node *n = NULL;
	struct err e = { 0 };

	tu_ok(node_open(&n, dir, &e), &e);
	n->now = fixed_clock;
	return n;
}

static void introduce(struct node *x, struct node *y)
{
	char vk[NOTE_KEY_STR_MAX];
	struct err e = { 0 };

	tu_ok(node_identity(x, vk, sizeof(vk), &e), &e);
	tu_ok(node_peer_add(y, vk, &e), &e);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct err e = { 0 };

	f->dir = tu_tmpdir();
	snprintf(f->pa, sizeof(f->pa), "%s/a", f->dir);
	snprintf(f->pb, sizeof(f->pb), "%s/b", f->dir);
	tu_ok(node_init(f->pa, A, NULL, NULL, &e), &e);
	tu_ok(node_init(f->pb, B, NULL, NULL, &e), &e);
	f->a = open_node(f->pa);
	f->b = open_node(f->pb);
	introduce(f->a, f->b);
	introduce(f->b, f->a);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	node_close(f->a);
	node_close(f->b);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

static void send_n(struct node *n, const char *peer, int count)
{
	struct node_msg *m = calloc((size_t)count, sizeof(*m));
	struct err e = { 0 };
	uint64_t first;

	for (int i = 0; i < count; i++)
		m[i] = (struct node_msg){ .kind = ENVELOPE_REQUEST, .type = "cyber-incident",
					  .body = "{\"subject\":\"s\"}", .body_len = 15 };
	tu_ok(node_send(n, peer, m, (size_t)count, &first, &e), &e);
	free(m);
}

static void digest_b(struct fixture *f, uint8_t out[32])
{
	char p[700];

	snprintf(p, sizeof(p), "%s/parley.db", f->pb);
	tu_store_digest(p, out);
}

/* Feeds b to B; asserts the refusal code, a message fragment, and that B's
 * store did not change. */
static void refused(struct fixture *f, const struct node_batch *b, int code,
		    const char *fragment)
{
	uint8_t before[32], after[32];
	struct err e = { 0 };
	char line[512];
	int rc;

	digest_b(f, before);
	rc = node_receive(f->b, b, line, sizeof(line), &e);
	if (rc != code)
		fail_msg("expected %s, got %s: %s", err_name(code), err_name(rc), e.msg);
	if (!strstr(e.msg, fragment))
		fail_msg("message \"%s\" does not contain \"%s\"", e.msg, fragment);
	digest_b(f, after);
	assert_memory_equal(before, after, 32);
}

static void deliver(struct fixture *f, uint64_t first, size_t max, char *line)
{
	struct node_batch b;
	struct err e = { 0 };
	uint64_t t;

	tu_ok(node_batch_make(f->a, B, first, max, &b, &e), &e);
	tu_ok(node_receive(f->b, &b, line, 512, &e), &e);
	tu_ok(node_receipt_add(f->a, B, b.note, b.note_len, line, &t, &e), &e);
	assert_int_equal(t, NOW);
	node_batch_free(&b);
}

static void test_init_files_and_modes(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	char p[700];

	snprintf(p, sizeof(p), "%s/identity.key", f->pa);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(p, sizeof(p), "%s", f->pa);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

/* Bodies are sealed at rest: the text appears nowhere in the database
 * files, yet a batch carries it in clear to the peer, who seals it again. */
static void test_bodies_sealed_at_rest(void **state)
{
	struct fixture *f = *state;
	static const char secret[] = "{\"subject\":\"the informant is in room 4\"}";
	struct node_msg m = { .kind = ENVELOPE_PING, .type = "ping", .body = secret,
			      .body_len = sizeof(secret) - 1 };
	static const char *const files[] = { "parley.db", "parley.db-wal" };
	struct node_batch b;
	struct err e = { 0 };
	struct stat st;
	char line[512], p[800];
	uint64_t first, t;

	snprintf(p, sizeof(p), "%s/data.key", f->pa);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	tu_ok(node_send(f->a, B, &m, 1, &first, &e), &e);
	tu_ok(node_batch_make(f->a, B, 0, 10, &b, &e), &e);
	assert_int_equal(b.entries[0].body_len, sizeof(secret) - 1);
	assert_memory_equal(b.entries[0].body, secret, sizeof(secret) - 1);
	tu_ok(node_receive(f->b, &b, line, sizeof(line), &e), &e);
	tu_ok(node_receipt_add(f->a, B, b.note, b.note_len, line, &t, &e), &e);
	node_batch_free(&b);
	for (int side = 0; side < 2; side++)
		for (size_t i = 0; i < 2; i++) {
			char *buf;
			size_t len;
			snprintf(p, sizeof(p), "%s/%s", side ? f->pb : f->pa, files[i]);
			if (fsio_read(p, 1u << 28, &buf, &len, &e) < 0)
				continue;
			for (size_t k = 0; k + 6 <= len; k++)
				if (memcmp(buf + k, "room 4", 6) == 0)
					fail_msg("%s holds the body in clear at byte %zu", p, k);
			free(buf);
		}
	tu_ok(node_verify(f->a, NULL, &e), &e);
	tu_ok(node_verify(f->b, NULL, &e), &e);
}

/* Every sealed body (in its entry's row) has its own nonce, and opens
 * again. */
static void test_seal_nonces_distinct(void **state)
{
	struct fixture *f = *state;
	enum { N = 200 };
	struct node_msg m[N];
	char bodies[N][32], p[800];
	struct err e = { 0 };
	sqlite3 *db;
	sqlite3_stmt *st;
	uint8_t (*nonces)[24] = calloc(N + 8, 24);
	size_t rows = 0;
	uint64_t first;

	for (int i = 0; i < N; i++) {
		int n = snprintf(bodies[i], sizeof(bodies[i]), "{\"n\":%d}", i);
		m[i] = (struct node_msg){ .kind = ENVELOPE_PING, .type = "ping", .body = bodies[i],
					  .body_len = (size_t)n };
	}
	tu_ok(node_send(f->a, B, m, N, &first, &e), &e);
	snprintf(p, sizeof(p), "%s/parley.db", f->pa);
	assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT body FROM entry WHERE body IS NOT NULL", -1, &st,
					    NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && rows < N + 8) {
		const uint8_t *d = sqlite3_column_blob(st, 0);
		assert_true(sqlite3_column_bytes(st, 0) > 25);
		assert_int_equal(d[0], 1); /* sealed, version 1 */
		memcpy(nonces[rows++], d + 1, 24);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_true(rows >= N);
	for (size_t i = 0; i < rows; i++)
		for (size_t k = i + 1; k < rows; k++)
			if (memcmp(nonces[i], nonces[k], 24) == 0)
				fail_msg("bodies %zu and %zu were sealed with the same nonce", i, k);
	free(nonces);
	for (int i = 0; i < N; i += 37) {
		struct node_batch b;
		tu_ok(node_batch_make(f->a, B, first + (uint64_t)i, 1, &b, &e), &e);
		assert_int_equal(b.entries[0].body_len, m[i].body_len);
		assert_memory_equal(b.entries[0].body, bodies[i], m[i].body_len);
		node_batch_free(&b);
	}
}

static int64_t ticking;
static int64_t ticking_clock(void)
{
	return ticking++;
}

/* A receiver whose clock moves on between any two readings (a second
 * ending while it cosigns, as on a slow machine): the cosignature it
 * stores and the one it returns still verify on both sides. */
static void test_cosign_as_the_second_ends(void **state)
{
	struct fixture *f = *state;
	struct node_msg m = { .kind = ENVELOPE_PING, .type = "ping" };
	struct node_batch b;
	struct err e = { 0 };
	char line[512];
	uint64_t first, t;

	ticking = NOW;
	f->a->now = f->b->now = ticking_clock;
	for (int round = 0; round < 3; round++) {
		tu_ok(node_send(f->a, B, &m, 1, &first, &e), &e);
		tu_ok(node_batch_make(f->a, B, first, 10, &b, &e), &e);
		tu_ok(node_receive(f->b, &b, line, sizeof(line), &e), &e);
		tu_ok(node_receipt_add(f->a, B, b.note, b.note_len, line, &t, &e), &e);
		node_batch_free(&b);
	}
	tu_ok(node_verify(f->b, NULL, &e), &e);
	tu_ok(node_verify(f->a, NULL, &e), &e);
}

static void test_init_refuses_and_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct err e = { 0 };
	struct stat st;
	char p[700], q[800], target[700];
	uint8_t before[32], after[32];
	FILE *fp;

	/* A node already there: refused, untouched. */
	snprintf(p, sizeof(p), "%s/parley.db", f->pa);
	tu_store_digest(p, before);
	assert_int_equal(node_init(f->pa, "other.example", NULL, NULL, &e), ERR_EXISTS);
	tu_store_digest(p, after);
	assert_memory_equal(before, after, 32);

	/* An invalid name: nothing is created. */
	snprintf(p, sizeof(p), "%s/bad", f->dir);
	assert_int_equal(node_init(p, "Bad Name", NULL, NULL, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "not valid"));
	assert_int_equal(stat(p, &st), -1);

	/* identity.key planted as a symlink: not followed, target untouched,
	 * and what init created is removed again. */
	snprintf(p, sizeof(p), "%s/planted", f->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(target, sizeof(target), "%s/target", f->dir);
	fp = fopen(target, "w");
	fputs("precious\n", fp);
	fclose(fp);
	snprintf(q, sizeof(q), "%s/identity.key", p);
	assert_int_equal(symlink(target, q), 0);
	assert_int_equal(node_init(p, "c.example", NULL, NULL, &e), ERR_EXISTS);
	fp = fopen(target, "r");
	assert_non_null(fgets(q, sizeof(q), fp));
	fclose(fp);
	assert_string_equal(q, "precious\n");
	snprintf(q, sizeof(q), "%s/parley.conf", p);
	assert_int_equal(stat(q, &st), -1);
}

static void test_open_refuses_loose_key(void **state)
{
	struct fixture *f = *state;
	struct node *n = NULL;
	struct err e = { 0 };
	char p[700];

	snprintf(p, sizeof(p), "%s/identity.key", f->pa);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(node_open(&n, f->pa, &e), ERR_IO);
	assert_non_null(strstr(e.msg, "chmod 600"));
	assert_null(n);
	assert_int_equal(chmod(p, 0600), 0);
	snprintf(p, sizeof(p), "%s/nothing", f->dir);
	assert_int_equal(node_open(&n, p, &e), ERR_NOTFOUND);
	assert_non_null(strstr(e.msg, "parley init"));
}

static void test_exchange_and_verify(void **state)
{
	struct fixture *f = *state;
	struct err e = { 0 };
	char line[512], again[512];
	struct node_batch b;
	uint8_t before[32], after[32];

	send_n(f->a, B, 250);
	deliver(f, 0, 100, line);
	deliver(f, 100, 100, line);
	deliver(f, 200, 100, line);
	/* Re-delivery of the last batch: the same receipt, nothing new. */
	tu_ok(node_batch_make(f->a, B, 200, 100, &b, &e), &e);
	digest_b(f, before);
	tu_ok(node_receive(f->b, &b, again, sizeof(again), &e), &e);
	digest_b(f, after);
	assert_string_equal(line, again);
	assert_memory_equal(before, after, 32);
	/* Overlapping re-delivery from an earlier start is idempotent too. */
	node_batch_free(&b);
	tu_ok(node_batch_make(f->a, B, 150, 100, &b, &e), &e);
	tu_ok(node_receive(f->b, &b, again, sizeof(again), &e), &e);
	node_batch_free(&b);

	send_n(f->b, A, 10);
	{
		struct node_batch bb;
		uint64_t t;
		tu_ok(node_batch_make(f->b, A, 0, 100, &bb, &e), &e);
		tu_ok(node_receive(f->a, &bb, line, sizeof(line), &e), &e);
		tu_ok(node_receipt_add(f->b, A, bb.note, bb.note_len, line, &t, &e), &e);
		node_batch_free(&bb);
	}
	tu_ok(node_verify(f->a, NULL, &e), &e);
	tu_ok(node_verify(f->b, NULL, &e), &e);
}

struct count {
	int n;
	uint64_t size;
};

static int count_evidence(void *ctx, const struct store_evidence *v)
{
	struct count *c = ctx;

	c->n++;
	c->size = v->size;
	return 0;
}

static int64_t two_hours_on(void)
{
	return NOW + 7200;
}

static void test_receiver_refusals(void **state)
{
	struct fixture *f = *state;
	struct node_batch b, good;
	struct err e = { 0 };
	char line[512], first[512], *p;
	uint8_t before[32], after[32];
	struct node *c;
	char pc[700];

	send_n(f->a, B, 30);
	deliver(f, 0, 10, first);

	/* A batch that skips index 10..14. */
	tu_ok(node_batch_make(f->a, B, 15, 10, &b, &e), &e);
	refused(f, &b, ERR_CONFLICT, "entries are missing");
	node_batch_free(&b);

	tu_ok(node_batch_make(f->a, B, 10, 10, &good, &e), &e);

	/* Tampered checkpoint: the signature no longer verifies. */
	b = good;
	b.note = strdup(good.note);
	p = strchr(b.note, '\n');
	p = strchr(p + 1, '\n') + 1; /* root line */
	p[0] = p[0] == 'A' ? 'B' : 'A';
	refused(f, &b, ERR_SIGNATURE, "does not verify");
	free(b.note);

	/* A checkpoint whose size is not the batch's end. */
	b = good;
	b.n = 9;
	refused(f, &b, ERR_INVALID, "batch ends at 19");

	/* An altered entry: its root is not the signed one. */
	b = good;
	b.entries = malloc(good.n * sizeof(*b.entries));
	memcpy(b.entries, good.entries, good.n * sizeof(*b.entries));
	{
		char *env = strdup(good.entries[3].envelope);
		char *t = strstr(env, "time 20");
		t[8] = t[8] == '1' ? '2' : '1'; /* another valid year digit */
		b.entries[3].envelope = env;
		refused(f, &b, ERR_CONFLICT, "differs from the root");
		free(env);
		free(b.entries); /* the copy of pointers; good owns the rest */
	}
	/* A forked history: entry 5, already held, is different now. */
	tu_ok(node_batch_make(f->a, B, 0, 20, &b, &e), &e);
	{
		char *env = strdup(b.entries[5].envelope);
		char *t = strstr(env, "type cyber");
		memcpy(t + 5, "cyber-inciden", 13);
		t[5 + 13] = 'x';
		free((void *)(uintptr_t)b.entries[5].envelope);
		b.entries[5].envelope = env;
		refused(f, &b, ERR_CONFLICT, "entry 5 differs from the one held");
	}
	node_batch_free(&b);
	{
		/* ...but A's checkpoint agrees with what B holds: no evidence
		 * against A. */
		struct count ev = { 0, 0 };
		tu_ok(store_evidence_each(f->b->store, count_evidence, &ev, &e), &e);
		assert_int_equal(ev.n, 0);
	}

	/* A checkpoint addressed to someone else, and an unknown sender. */
	b = good;
	snprintf(b.origin, sizeof(b.origin), "parley/%s/c.example", A);
	refused(f, &b, ERR_INVALID, "not to us");
	snprintf(pc, sizeof(pc), "%s/c", f->dir);
	tu_ok(node_init(pc, "c.example", NULL, NULL, &e), &e);
	c = open_node(pc);
	introduce(f->b, c);
	send_n(c, B, 3);
	tu_ok(node_batch_make(c, B, 0, 10, &b, &e), &e);
	refused(f, &b, ERR_NOTFOUND, "unknown party 'c.example'");
	node_batch_free(&b);
	node_close(c);

	/* Someone else's key under A's name: not A's signature. */
	snprintf(pc, sizeof(pc), "%s/fake-a", f->dir);
	tu_ok(node_init(pc, A, NULL, NULL, &e), &e);
	c = open_node(pc);
	introduce(f->b, c);
	introduce(f->a, f->b); /* B keeps A's real key */
	send_n(c, B, 20);
	tu_ok(node_batch_make(c, B, 10, 10, &b, &e), &e);
	refused(f, &b, ERR_UNVERIFIED, "not signed by a.example");
	node_batch_free(&b);
	node_close(c);

	/* The good batch still goes in; then an older view is refused. */
	tu_ok(node_receive(f->b, &good, line, sizeof(line), &e), &e);
	tu_ok(node_batch_make(f->a, B, 0, 5, &b, &e), &e);
	refused(f, &b, ERR_CONFLICT, "of size 5 is older than the one of size 20 already cosigned");
	node_batch_free(&b);
	/* The older checkpoint cosigned then, sent again (a sender that died
	 * before storing its receipt): the cosignature given then, nothing
	 * stored, whatever the clock says now. */
	f->b->now = two_hours_on;
	digest_b(f, before);
	tu_ok(node_batch_make(f->a, B, 0, 10, &b, &e), &e);
	tu_ok(node_receive(f->b, &b, line, sizeof(line), &e), &e);
	assert_string_equal(line, first);
	digest_b(f, after);
	assert_memory_equal(before, after, 32);
	node_batch_free(&b);
	node_batch_free(&good);
	tu_ok(node_verify(f->b, NULL, &e), &e);
}

/* A sender that signs two histories: refused, and caught with evidence. */
static void test_equivocation_kept_as_evidence(void **state)
{
	struct fixture *f = *state;
	struct node_batch b;
	struct err e = { 0 };
	struct count c = { 0, 0 };
	char line[512], cmd[1400], pa2[700];
	struct node *a2;
	struct node_msg m = { .kind = ENVELOPE_REQUEST, .type = "other-history",
			      .body = "y", .body_len = 1 };
	uint64_t first;

	/* A second copy of A's node: the same signing key. */
	snprintf(pa2, sizeof(pa2), "%s/a2", f->dir);
	snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s'", f->pa, pa2);
	assert_int_equal(system(cmd), 0);
	a2 = open_node(pa2);
	send_n(f->a, B, 10);
	for (int i = 0; i < 10; i++)
		tu_ok(node_send(a2, B, &m, 1, &first, &e), &e);
	deliver(f, 0, 10, line);
	tu_ok(node_batch_make(a2, B, 0, 10, &b, &e), &e);
	refused(f, &b, ERR_CONFLICT, "entry 0 differs from the one held");
	node_batch_free(&b);
	tu_ok(store_evidence_each(f->b->store, count_evidence, &c, &e), &e);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.size, 10);
	assert_int_equal(node_verify(f->b, NULL, &e), ERR_VERIFY);
	assert_msg_contains(&e, "fork evidence at size 10");
	/* The log itself stays A's first history. */
	tu_ok(node_verify(f->a, NULL, &e), &e);
	node_close(a2);
}

/* A batch's attachments: each named by a body in it; each a new body
 * names must come with it or be held already. */
/* A register entry (a past request from a spreadsheet, attested by its
 * sender) travels like any entry, but its body must be a canonical
 * register record: a hostile sender's malformed one would otherwise stop
 * every report of the channel on the receiving side. */
static void test_register_entries(void **state)
{
	struct fixture *f = *state;
	static const char bad[] = "{\"date\":\"2025-01-01T00:00:00Z\"}";
	struct node_msg m = { .kind = ENVELOPE_REGISTER, .type = "cyber-incident",
			      .body = bad, .body_len = sizeof(bad) - 1 };
	struct register_rec r = { .date = NOW - 86400 * 30, .sent = 1, .type = "cyber-incident",
				  .answered = 1, .answered_on = NOW - 86400 * 2, .ref = "R-1" };
	struct node_batch b;
	struct case_list l;
	struct err e = { 0 };
	uint64_t first;
	char line[512];

	tu_ok(node_send(f->a, B, &m, 1, &first, &e), &e);
	tu_ok(node_batch_make(f->a, B, 0, 10, &b, &e), &e);
	refused(f, &b, ERR_INVALID, "a register entry needs a canonical register record as its body");
	node_batch_free(&b);

	/* From a fresh log: one good record, imported and delivered. */
	teardown(state);
	setup(state);
	f = *state;
	r.date = NOW + 1; /* the future */
	assert_int_equal(cases_import_register(f->a, B, &r, 1, &first, &e), ERR_INVALID);
	assert_msg_contains(&e, "is in the future");
	r.date = NOW - 86400 * 30;
	tu_ok(cases_import_register(f->a, B, &r, 1, &first, &e), &e);
	assert_int_equal(first, 0);
	deliver(f, 0, 10, line);
	tu_ok(cases_load(f->b, NULL, NOW, 0, &l, &e), &e);
	assert_int_equal(l.n, 0);          /* not a case */
	assert_int_equal(l.natt, 1);       /* but an attested record */
	assert_string_equal(l.att[0].requester, "a.example");
	assert_string_equal(l.att[0].responder, B);
	assert_string_equal(l.att[0].by, "a.example");
	assert_int_equal(l.att[0].receipt, NOW);
	assert_int_equal(l.att[0].rec.answered_on, NOW - 86400 * 2);
	assert_string_equal(l.att[0].rec.ref, "R-1");
	case_list_free(&l);
}

/* Delivers everything pending from x to y and the receipt back. */
static void deliver_all(struct node *x, struct node *y, const char *to)
{
	struct node_batch b;
	struct store_log log;
	struct err e = { 0 };
	char line[512];
	uint64_t done, t;

	tu_ok(store_log_get(x->store, x->cfg.name, to, 0, &log, &e), &e);
	tu_ok(store_receipted(x->store, log.id, to, &done, &t, &e), &e);
	while (done < log.size) {
		tu_ok(node_batch_make(x, to, done, 1000, &b, &e), &e);
		tu_ok(node_receive(y, &b, line, sizeof(line), &e), &e);
		tu_ok(node_receipt_add(x, to, b.note, b.note_len, line, &t, &e), &e);
		done += b.n;
		node_batch_free(&b);
	}
}

static char *report_via(struct node *n, int fast, int64_t now, enum report_by by)
{
	struct case_list l;
	struct report_case *rin = NULL;
	struct report rep;
	struct err e = { 0 };
	size_t nin = 0;
	char *s = malloc(1 << 16);
	size_t used = 0;

	if (fast) {
		tu_ok(cases_report_load(n, NULL, now, &l, &rin, &nin, &e), &e);
	} else {
		tu_ok(cases_load(n, NULL, now, CASES_NO_BODIES, &l, &e), &e);
		tu_ok(cases_report_input(&l, &rin, &e), &e);
		nin = l.n + l.natt;
	}
	tu_ok(report_make(rin, nin, by, 0, 0, NULL, &rep, &e), &e);
	for (size_t i = 0; i < rep.n && used < (1 << 16) - 512; i++) {
		const struct report_row *r = &rep.rows[i];
		used += (size_t)snprintf(s + used, (1 << 16) - used,
					 "%s %s %s %s %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %ld %ld %ld %ld\n",
					 r->attested_by, r->requester, r->responder, r->period,
					 (unsigned long)r->requests, (unsigned long)r->receipted,
					 (unsigned long)r->no_receipt, (unsigned long)r->acknowledged,
					 (unsigned long)r->answered, (unsigned long)r->answered_on_time,
					 (unsigned long)r->declined, (unsigned long)r->withdrawn,
					 (unsigned long)r->open, (unsigned long)r->overdue_ack,
					 (unsigned long)r->overdue_answer, (long)r->ack_p50, (long)r->ack_p90,
					 (long)r->answer_p50, (long)r->answer_p90);
	}
	report_free(&rep);
	free(rin);
	case_list_free(&l);
	return s;
}

/* Every case of n, loaded alone by cases_load_id, is shown exactly as in
 * the list of all cases (timeline, bodies, receipts, state, deadlines). */
static void one_case_agrees(struct node *n, int64_t now)
{
	struct case_list all, one;
	struct err e = { 0 };
	char id[300];

	tu_ok(cases_load(n, NULL, now, 0, &all, &e), &e);
	assert_true(all.n > 10);
	for (size_t i = 0; i < all.n; i++) {
		json_t *a = case_view_json(&all.v[i], 1), *b;
		char *sa, *sb;
		size_t k;

		snprintf(id, sizeof(id), "%s/%llu", all.v[i].requester, (unsigned long long)all.v[i].index);
		tu_ok(cases_load_id(n, id, now, 0, &one, &e), &e);
		/* Our requests: one per peer we sent entry index to. */
		assert_true(one.n >= 1);
		for (k = 0; k < one.n && strcmp(one.v[k].responder, all.v[i].responder) != 0; k++)
			;
		assert_true(k < one.n);
		b = case_view_json(&one.v[k], 1);
		sa = json_dumps(a, JSON_SORT_KEYS);
		sb = json_dumps(b, JSON_SORT_KEYS);
		assert_string_equal(sb, sa);
		free(sa);
		free(sb);
		json_decref(a);
		json_decref(b);
		case_list_free(&one);
	}
	case_list_free(&all);
	tu_ok(cases_load_id(n, "a.example/999999", now, 0, &one, &e), &e);
	assert_int_equal(one.n, 0);
	case_list_free(&one);
}

/* The cases of n that q lets through, page by page (cases_page, each
 * page at most limit, following next), as one JSON list; the page
 * count in *pages. */
static char *paged(struct node *n, struct case_query q, int64_t now, size_t *pages)
{
	json_t *arr = json_array();
	char next[CASE_CURSOR_MAX], after[CASE_CURSOR_MAX], *s;
	struct err e = { 0 };

	*pages = 0;
	do {
		struct case_list l;
		tu_ok(cases_page(n, &q, now, &l, next, &e), &e);
		(*pages)++;
		assert_true(!q.limit || l.n <= q.limit);
		if (next[0]) /* a next page: this one is full */
			assert_int_equal(l.n, q.limit);
		for (size_t i = 0; i < l.n; i++) {
			assert_int_equal(l.v[i].nmsgs, 0);
			json_array_append_new(arr, case_view_json(&l.v[i], 0));
		}
		case_list_free(&l);
		memcpy(after, next, sizeof(after));
		q.after = *pages < 100000 && next[0] ? after : NULL;
	} while (q.after);
	s = json_dumps(arr, JSON_SORT_KEYS);
	json_decref(arr);
	return s;
}

/* The case list page by page, for every filter and page size, is the
 * list of all cases (cases_load) filtered and cut: the same cases, in
 * the same order, with the same subject, state and deadlines; nothing
 * lost or repeated where pages meet, also between peers. */
static void pages_agree(struct node *n, int64_t now)
{
	static const char *const states[] = { NULL, "sent", "receipted", "acknowledged", "answered",
					      "declined", "withdrawn", "closed" };
	static const size_t limits[] = { 0, 1, 2, 7, 1000 };
	struct case_list all;
	struct err e = { 0 };
	const char *peers[] = { NULL, B, "c.example" };
	size_t npeers = store_party_get(n->store, "c.example", &(struct store_party){ 0 }, &e) == 0 ? 3 : 2;

	tu_ok(cases_load(n, NULL, now, 0, &all, &e), &e);
	for (size_t p = 0; p < npeers; p++)
		for (size_t s = 0; s < 8; s++)
			for (int od = 0; od < 2; od++) {
				json_t *want = json_array();
				char *w;
				for (size_t i = 0; i < all.n; i++) {
					const struct case_view *cv = &all.v[i];
					const char *other = strcmp(cv->requester, n->cfg.name) == 0 ? cv->responder
												: cv->requester;
					if ((peers[p] && strcmp(other, peers[p]) != 0) ||
					    (states[s] && strcmp(states[s], case_state_name(cv->state)) != 0) ||
					    (od && !cv->overdue_ack && !cv->overdue_answer))
						continue;
					json_array_append_new(want, case_view_json(cv, 0));
				}
				w = json_dumps(want, JSON_SORT_KEYS);
				for (size_t k = 0; k < 5; k++) {
					struct case_query q = { .peer = peers[p], .state = states[s],
								.overdue = od, .limit = limits[k] };
					size_t pages, nw = json_array_size(want);
					char *got = paged(n, q, now, &pages);
					assert_string_equal(got, w);
					if (limits[k])
						assert_int_equal(pages, nw ? (nw + limits[k] - 1) / limits[k] : 1);
					free(got);
				}
				free(w);
				json_decref(want);
			}
	case_list_free(&all);
}

/* channel_state on a long-lived handle (it reads only what the logs
 * gained since its last call) equals channel_state on a fresh handle,
 * through a proposal, its acceptance, an amendment by the other side, its
 * acceptance, and cases in between. */
static void expect_state(struct fixture *f, int has, const char *title, int ours, int theirs)
{
	struct node *fresh = open_node(f->pa);
	struct channel_state st[2];
	struct err e = { 0 };

	tu_ok(channel_state(f->a, B, &st[0], &e), &e);
	tu_ok(channel_state(fresh, B, &st[1], &e), &e);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(st[i].charter != NULL, has);
		if (has)
			assert_string_equal(st[i].charter->title, title);
		assert_int_equal(st[i].pending_ours, ours);
		assert_int_equal(st[i].pending_theirs, theirs);
		channel_state_free(&st[i]);
	}
	node_close(fresh);
}

static void test_channel_state_cached(void **state)
{
	struct fixture *f = *state;
	const struct charter_template *t = charter_templates;
	struct node_msg m = { .kind = ENVELOPE_REQUEST, .type = "cyber-incident",
			      .body = "{\"subject\":\"s\"}", .body_len = 15 };
	struct err e = { 0 };
	uint64_t first;
	char *amended;

	while (strcmp(t->name, "standard") != 0)
		t++;
	expect_state(f, 0, NULL, 0, 0);
	tu_ok(channel_propose(f->a, B, t->json, strlen(t->json), &first, &e), &e);
	expect_state(f, 0, NULL, 1, 0);
	deliver_all(f->a, f->b, B);
	tu_ok(channel_accept(f->b, "a.example", &first, &e), &e);
	deliver_all(f->b, f->a, "a.example");
	expect_state(f, 1, "Standard charter: every template type", 0, 0);
	for (int i = 0; i < 300; i++) /* past a block of facts */
		tu_ok(node_send(f->a, B, &m, 1, &first, &e), &e);
	expect_state(f, 1, "Standard charter: every template type", 0, 0);
	{ /* parsed once: the same charter while it stays in force */
		struct channel_state s1, s2;
		const struct charter *p1;
		tu_ok(channel_state(f->a, B, &s1, &e), &e);
		p1 = s1.charter;
		assert_true(s1.borrowed);
		channel_state_free(&s1);
		tu_ok(node_send(f->a, B, &m, 1, &first, &e), &e);
		tu_ok(channel_state(f->a, B, &s2, &e), &e);
		assert_ptr_equal(p1, s2.charter);
		channel_state_free(&s2);
	}
	/* b amends (another title); a has not accepted yet. */
	amended = strdup(t->json);
	memcpy(strstr(amended, "Standard"), "Amended!", 8);
	tu_ok(channel_propose(f->b, "a.example", amended, strlen(amended), &first, &e), &e);
	deliver_all(f->b, f->a, "a.example");
	expect_state(f, 1, "Standard charter: every template type", 0, 1);
	tu_ok(channel_accept(f->a, B, &first, &e), &e);
	expect_state(f, 1, "Amended! charter: every template type", 0, 0);
	free(amended);
}

static int64_t moving;
static int64_t moving_clock(void)
{
	return moving;
}

/* The report's fast path (no case views) gives exactly the numbers of
 * the path through cases_load, over random traffic both ways: requests,
 * replies legal and not, replies racing each other, messages left
 * without receipt, a register, and several points in time; and each case
 * loaded alone (cases_load_id) is the one in the list. */
static void test_report_paths_agree(void **state)
{
	struct fixture *f = *state;
	struct register_rec r = { .date = NOW - 86400 * 90, .sent = 0, .type = "visa",
				  .answered = 1, .answered_on = NOW - 86400 * 80 };
	static const enum envelope_kind replies[] = { ENVELOPE_ACK, ENVELOPE_ANSWER, ENVELOPE_DECLINE,
						      ENVELOPE_WITHDRAW, ENVELOPE_REMIND, ENVELOPE_CLOSE };
	static const char *const types[] = { "cyber-incident-urgent", "deconfliction", "unchartered" };
	const struct charter_template *t = charter_templates;
	uint64_t rng = 0x5eed, first;
	struct err e = { 0 };
	struct node *c;
	char pc[700];

	moving = NOW - 86400 * 60;
	f->a->now = f->b->now = moving_clock;
	/* A charter, so that deadlines and overdue counts come into play. */
	while (strcmp(t->name, "standard") != 0)
		t++;
	tu_ok(channel_propose(f->a, B, t->json, strlen(t->json), &first, &e), &e);
	deliver_all(f->a, f->b, B);
	tu_ok(channel_accept(f->b, "a.example", &first, &e), &e);
	deliver_all(f->b, f->a, "a.example");
	tu_ok(cases_import_register(f->b, "a.example", &r, 1, &first, &e), &e);
	/* A third party with cases both ways, so that a's list spans two
	 * channels (pages_agree). */
	snprintf(pc, sizeof(pc), "%s/c", f->dir);
	tu_ok(node_init(pc, "c.example", NULL, NULL, &e), &e);
	c = open_node(pc);
	c->now = moving_clock;
	introduce(f->a, c);
	introduce(c, f->a);
	send_n(c, "a.example", 3);
	send_n(f->a, "c.example", 2);
	deliver_all(c, f->a, "a.example");
	deliver_all(f->a, c, "c.example");
	for (int round = 0; round < 40; round++) {
		struct node *x = round % 3 ? f->a : f->b, *y = x == f->a ? f->b : f->a;
		const char *to = x == f->a ? B : "a.example";
		struct node_msg m[12];
		int k = 0;

		for (; k < 4; k++) {
			rng = rng * 6364136223846793005u + 1442695040888963407u;
			m[k] = (struct node_msg){ .kind = ENVELOPE_REQUEST, .type = types[(rng >> 33) % 3],
						  .body = "{\"subject\":\"s\"}", .body_len = 15 };
		}
		for (; k < 12 && round > 0; k++) {
			rng = rng * 6364136223846793005u + 1442695040888963407u;
			m[k] = (struct node_msg){ .kind = replies[(rng >> 33) % 6], .type = "reply",
						  .case_from = (rng >> 40) % 2 ? "a.example" : B,
						  .case_index = 1 + (rng >> 45) % (uint64_t)(4 * round + 1),
						  .body = "{\"text\":\"t\"}", .body_len = 12 };
		}
		moving += 600 * (1 + (int64_t)(rng >> 50) % 30);
		if (node_send(x, to, m, (size_t)k, &first, &e) < 0) {
			/* a case index beyond the other log: fine, it names nothing */
			for (int j = 4; j < k; j++)
				m[j].case_index = 1;
			tu_ok(node_send(x, to, m, (size_t)k, &first, &e), &e);
		}
		if (round % 5 != 4) /* some rounds stay without receipt for a while */
			deliver_all(x, y, to);
	}
	for (int k = 0; k < 4; k++) {
		int64_t now = moving + 3600 * 6 * k;
		for (int by = REPORT_ALL; by <= REPORT_YEAR; by++) {
			char *slow = report_via(f->a, 0, now, (enum report_by)by);
			char *fast = report_via(f->a, 1, now, (enum report_by)by);
			assert_true(strlen(slow) > 100);
			assert_string_equal(fast, slow);
			free(slow);
			free(fast);
			slow = report_via(f->b, 0, now, (enum report_by)by);
			fast = report_via(f->b, 1, now, (enum report_by)by);
			assert_string_equal(fast, slow);
			free(slow);
			free(fast);
		}
		one_case_agrees(f->a, now);
		one_case_agrees(f->b, now);
		pages_agree(f->a, now);
		pages_agree(f->b, now);
	}
	node_close(c);
}

static void test_attachment_refusals(void **state)
{
	struct fixture *f = *state;
	static const char blob[] = "evidence bytes";
	char body[256], hex[65], line[512];
	uint8_t h[32];
	struct store_blob att = { blob, sizeof(blob) - 1 }, *saved;
	struct node_msg m = { .kind = ENVELOPE_PING, .type = "ping" };
	struct node_batch b;
	struct err e = { 0 };
	uint64_t first;

	merkle_sha256(h, blob, sizeof(blob) - 1);
	merkle_hex(hex, h);
	snprintf(body, sizeof(body),
		 "{\"subject\":\"s\",\"attachments\":[{\"name\":\"e.bin\",\"sha256\":\"%s\",\"size\":14}]}", hex);
	m.body = body;
	m.body_len = strlen(body);
	m.attachments = &att;
	m.nattachments = 1;
	tu_ok(node_send(f->a, B, &m, 1, &first, &e), &e);
	tu_ok(node_batch_make(f->a, B, 0, 10, &b, &e), &e);
	assert_int_equal(b.nblobs, 1);
	assert_memory_equal(b.blobs[0].data, blob, sizeof(blob) - 1);
	/* Without the attachment the body names. */
	saved = b.blobs;
	b.blobs = NULL;
	b.nblobs = 0;
	refused(f, &b, ERR_INVALID, "attachment sha256:");
	/* With an extra blob no body names. */
	b.blobs = saved;
	b.nblobs = 1;
	{
		struct node_batch c = b;
		struct store_blob two[2] = { saved[0], { "other", 5 } };
		c.blobs = two;
		c.nblobs = 2;
		refused(f, &c, ERR_INVALID, "is named by no body in the batch");
	}
	tu_ok(node_receive(f->b, &b, line, sizeof(line), &e), &e);
	node_batch_free(&b);
	{
		void *got;
		size_t len;
		tu_ok(store_body_get(f->b->store, h, &got, &len, &e), &e);
		assert_int_equal(len, sizeof(blob) - 1);
		assert_memory_equal(got, blob, len);
		free(got);
	}
}

static void test_receipt_refusals(void **state)
{
	struct fixture *f = *state;
	struct node_batch b;
	struct err e = { 0 };
	char line[512], bad[512], p[700];
	uint8_t before[32], after[32];
	uint64_t t;

	send_n(f->a, B, 5);
	tu_ok(node_batch_make(f->a, B, 0, 10, &b, &e), &e);
	tu_ok(node_receive(f->b, &b, line, sizeof(line), &e), &e);
	snprintf(p, sizeof(p), "%s/parley.db", f->pa);
	tu_store_digest(p, before);

	/* A flipped signature byte. */
	snprintf(bad, sizeof(bad), "%s", line);
	bad[strlen(bad) - 20] = bad[strlen(bad) - 20] == 'A' ? 'B' : 'A';
	assert_int_equal(node_receipt_add(f->a, B, b.note, b.note_len, bad, &t, &e), ERR_SIGNATURE);
	/* A's own signature line is no cosignature by B. */
	{
		const char *own = strstr(b.note, "\n\n") + 2;
		snprintf(bad, sizeof(bad), "%.*s", (int)strcspn(own, "\n"), own);
		assert_int_equal(node_receipt_add(f->a, B, b.note, b.note_len, bad, &t, &e),
				 ERR_UNVERIFIED);
	}
	/* Garbage. */
	assert_int_equal(node_receipt_add(f->a, B, b.note, b.note_len, "hello", &t, &e), ERR_INVALID);
	tu_store_digest(p, after);
	assert_memory_equal(before, after, 32);

	tu_ok(node_receipt_add(f->a, B, b.note, b.note_len, line, &t, &e), &e);
	node_batch_free(&b);
}

static void test_send_refusals(void **state)
{
	struct fixture *f = *state;
	struct node_msg m = { .kind = ENVELOPE_ANSWER, .type = "cyber-incident",
			      .case_from = "z.example", .case_index = 0 };
	struct err e = { 0 };
	uint64_t first;

	assert_int_equal(node_send(f->a, B, &m, 1, &first, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "names neither"));
	m.case_from = NULL;
	m.kind = ENVELOPE_REQUEST;
	m.type = "Bad_Type";
	assert_int_equal(node_send(f->a, B, &m, 1, &first, &e), ERR_INVALID);
	m.type = "ok";
	assert_int_equal(node_send(f->a, "nobody.example", &m, 1, &first, &e), ERR_NOTFOUND);
	assert_int_equal(node_send(f->a, B, &m, 0, &first, &e), ERR_INVALID);
	assert_int_equal(node_peer_add(f->a, "a.example+00000000+AAAA", &e), ERR_INVALID);
}

static int64_t later_clock(void)
{
	return (int64_t)time(NULL) + 3600; /* after the rotation's wall-clock time */
}

/* One exchange on a's log (a->peer from first), with the clocks given. */
static void exchange(struct node *from, struct node *to, const char *peer, uint64_t first)
{
	struct node_batch b;
	struct err e = { 0 };
	char line[512];
	uint64_t t;

	tu_ok(node_batch_make(from, peer, first, 100, &b, &e), &e);
	tu_ok(node_receive(to, &b, line, sizeof(line), &e), &e);
	tu_ok(node_receipt_add(from, peer, b.note, b.note_len, line, &t, &e), &e);
	node_batch_free(&b);
}

/* parley key rotate: the announcement travels in a's log; b accepts the
 * new key only through it, refuses the old key after it, and both stores
 * verify with receipts by the old key and by the new. */
static void test_key_rotation(void **state)
{
	struct fixture *f = *state;
	struct node_rotation r;
	struct node_batch b, old;
	struct store_party pa;
	struct node *a2;
	struct err e = { 0 };
	char vk[NOTE_KEY_STR_MAX], text[512], *end;
	size_t tl, nl = 0;

	send_n(f->a, B, 3);
	exchange(f->a, f->b, B, 0);
	send_n(f->b, A, 2);
	exchange(f->b, f->a, A, 0); /* a cosigns with its first key */
	tu_ok(node_key_rotate(f->pa, &r, &e), &e);
	assert_int_equal(r.peers, 1);
	assert_false(r.resumed);
	assert_string_not_equal(r.old_key, r.new_key);
	/* A process that still holds the old key signs nothing more. */
	assert_int_equal(node_batch_make(f->a, B, 3, 100, &b, &e), ERR_CONFLICT);
	assert_non_null(strstr(e.msg, "was rotated since this process started"));
	a2 = open_node(f->pa);
	a2->now = later_clock; /* a's cosignatures by its new key come after its announcement */
	tu_ok(node_batch_make(a2, B, 3, 100, &b, &e), &e);
	assert_int_equal(b.n, 1); /* the announcement, at index 3 */
	assert_non_null(strstr(b.entries[0].envelope, "\nkind key\ntype key-rotation\n"));
	/* The same checkpoint signed by the old key: refused, it was replaced. */
	end = strstr(b.note, "\n\n");
	assert_non_null(end);
	tl = (size_t)(end - b.note) + 1;
	memcpy(text, b.note, tl);
	old = b;
	old.note = malloc(1024);
	tu_ok(note_sign(old.note, 1024, &nl, text, tl, &f->a->key, &e), &e);
	old.note_len = nl;
	refused(f, &old, ERR_UNVERIFIED, "which its entry 3 replaced");
	free(old.note);
	/* With the announcement and the new key: held, and a's key updated. */
	node_batch_free(&b);
	exchange(a2, f->b, B, 3);
	exchange(a2, f->b, B, 3); /* re-delivery: the announcement is held */
	tu_ok(store_party_get(f->b->store, A, &pa, &e), &e);
	tu_ok(node_identity(a2, vk, sizeof(vk), &e), &e);
	assert_memory_equal(pa.vkey, vk, strlen(pa.vkey));
	assert_string_equal(pa.vkey, r.new_key);
	/* b's log: a cosigns with the new key, b takes it. */
	send_n(a2, B, 2);
	exchange(a2, f->b, B, 4);
	send_n(f->b, A, 2);
	exchange(f->b, a2, A, 2);
	/* b cosigns a batch, the receipt is lost, then b rotates its key too:
	 * the re-delivery brings back the receipt by b's old key, which a
	 * takes by its time once it knows b's chain. */
	{
		struct node *b2;
		char line[512];
		uint64_t t;
		send_n(a2, B, 1);
		/* b's clock stays before its rotation's (wall-clock) time until
		 * then: its old key's cosignatures must precede the announcement. */
		tu_ok(node_batch_make(a2, B, 6, 100, &b, &e), &e);
		tu_ok(node_receive(f->b, &b, line, sizeof(line), &e), &e);
		tu_ok(node_key_rotate(f->pb, &r, &e), &e);
		b2 = open_node(f->pb);
		b2->now = later_clock;
		exchange(b2, a2, A, 4); /* b's announcement reaches a */
		tu_ok(store_party_get(a2->store, B, &pa, &e), &e);
		assert_string_equal(pa.vkey, r.new_key);
		tu_ok(node_receive(b2, &b, line, sizeof(line), &e), &e);
		tu_ok(node_receipt_add(a2, B, b.note, b.note_len, line, &t, &e), &e);
		assert_int_equal(t, NOW);
		node_batch_free(&b);
		tu_ok(node_verify(a2, NULL, &e), &e);
		tu_ok(node_verify(b2, NULL, &e), &e);
		node_close(b2);
	}
	/* The key entries are no case and no request in a report: 6 requests
	 * from a, 4 from b. */
	{
		struct case_list l, l2;
		struct report_case *rc;
		size_t nrc;
		tu_ok(cases_load(f->b, A, later_clock(), CASES_NO_BODIES, &l, &e), &e);
		assert_int_equal(l.n, 10);
		tu_ok(cases_report_load(f->b, A, later_clock(), &l2, &rc, &nrc, &e), &e);
		assert_int_equal(nrc, 10);
		for (size_t i = 0; i < l.n; i++)
			assert_string_equal(l.v[i].type, "cyber-incident");
		free(rc);
		case_list_free(&l);
		case_list_free(&l2);
	}
	node_close(a2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_files_and_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel_state_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bodies_sealed_at_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_nonces_distinct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cosign_as_the_second_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_refuses_and_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_loose_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exchange_and_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receiver_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_equivocation_kept_as_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attachment_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_paths_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipt_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_rotation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
