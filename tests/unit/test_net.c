/* test_net.c — the pure parts of the network layer: the batch wire format
 * (round trip and strict refusals) and the delivery backoff schedule. */
#include "testutil.h"

#include "net/outbox.h"
#include "net/wire.h"

static char *envelope_dup(uint64_t i)
{
	char buf[ENVELOPE_MAX];
	size_t n = tu_envelope(buf, sizeof(buf), "a.example", "b.example", i, "x", 1);
	char *p = malloc(n + 1);

	memcpy(p, buf, n);
	p[n] = '\0';
	return p;
}

static void test_round_trip(void **state)
{
	struct node_batch b = { 0 }, got;
	struct err e = { 0 };
	char *json;
	size_t len;

	(void)state;
	snprintf(b.origin, sizeof(b.origin), "parley/a.example/b.example");
	b.first = 7;
	b.n = 3;
	b.entries = calloc(3, sizeof(*b.entries));
	for (uint64_t i = 0; i < 3; i++) {
		b.entries[i].envelope = envelope_dup(7 + i);
		b.entries[i].len = strlen(b.entries[i].envelope);
	}
	b.entries[1].body = strdup("\x01\x02 binary \xff");
	b.entries[1].body_len = 12;
	b.note = strdup("parley/a.example/b.example\n10\nAAAA\n\n— a.example xyz\n");
	b.note_len = strlen(b.note);
	tu_ok(wire_batch_encode(&b, &json, &len, &e), &e);
	tu_ok(wire_batch_decode(&got, json, len, &e), &e);
	assert_string_equal(got.origin, b.origin);
	assert_int_equal(got.first, 7);
	assert_int_equal(got.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(got.entries[i].len, b.entries[i].len);
		assert_memory_equal(got.entries[i].envelope, b.entries[i].envelope, b.entries[i].len);
	}
	assert_null(got.entries[0].body);
	assert_int_equal(got.entries[1].body_len, 12);
	assert_memory_equal(got.entries[1].body, "\x01\x02 binary \xff", 12);
	assert_string_equal(got.note, b.note);
	free(json);
	node_batch_free(&got);
	node_batch_free(&b);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *json, *msg;
	} bad[] = {
		{ "", "not JSON" },
		{ "[]", "not a JSON object" },
		{ "{\"origin\":\"o\",\"origin\":\"p\",\"first\":0,\"entries\":[],\"checkpoint\":\"c\"}", "not JSON" },
		{ "{\"origin\":\"o\",\"first\":0,\"entries\":[],\"checkpoint\":\"c\",\"x\":1}", "unknown key 'x'" },
		{ "{\"first\":0,\"entries\":[],\"checkpoint\":\"c\"}", "'origin' must be a string" },
		{ "{\"origin\":1,\"first\":0,\"entries\":[],\"checkpoint\":\"c\"}", "'origin' must be a string" },
		{ "{\"origin\":\"o\",\"first\":-1,\"entries\":[],\"checkpoint\":\"c\"}", "'first' must be a non-negative integer" },
		{ "{\"origin\":\"o\",\"first\":\"0\",\"entries\":[],\"checkpoint\":\"c\"}", "'first' must be a non-negative integer" },
		{ "{\"origin\":\"o\",\"first\":0,\"entries\":{},\"checkpoint\":\"c\"}", "'entries' must be an array" },
		{ "{\"origin\":\"o\",\"first\":0,\"entries\":[]}", "'checkpoint' must be a signed note" },
		{ "{\"origin\":\"o\",\"first\":0,\"entries\":[1],\"checkpoint\":\"c\"}", "entries[0]: not an object" },
		{ "{\"origin\":\"o\",\"first\":0,\"entries\":[{}],\"checkpoint\":\"c\"}", "entries[0].envelope" },
		{ "{\"origin\":\"o\",\"first\":0,\"entries\":[{\"envelope\":\"e\",\"z\":1}],\"checkpoint\":\"c\"}", "entry: unknown key 'z'" },
		{ "{\"origin\":\"o\",\"first\":0,\"entries\":[{\"envelope\":\"e\",\"body\":1}],\"checkpoint\":\"c\"}", "entries[0].body: not a string" },
		{ "{\"origin\":\"o\",\"first\":0,\"entries\":[{\"envelope\":\"e\",\"body\":\"@@@@\"}],\"checkpoint\":\"c\"}", "entries[0].body: not base64" },
		{ "{\"origin\":\"o\",\"first\":0,\"entries\":[{\"envelope\":\"e\",\"body\":\"QQ\"}],\"checkpoint\":\"c\"}", "entries[0].body: not base64" },
	};
	struct node_batch b;
	struct err e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = wire_batch_decode(&b, bad[i].json, strlen(bad[i].json), &e);
		if (rc != ERR_INVALID)
			fail_msg("case %zu accepted or wrong code %d: %s", i, rc, bad[i].json);
		assert_msg_contains(&e, bad[i].msg);
		assert_null(b.entries);
	}
}

static void test_limits(void **state)
{
	struct node_batch b;
	struct err e = { 0 };
	size_t n = 64 + (NODE_BATCH_MAX + 1) * 17, len = 0;
	char *json = malloc(n);

	(void)state;
	/* One entry too many. */
	len += (size_t)sprintf(json, "{\"origin\":\"o\",\"first\":0,\"checkpoint\":\"c\",\"entries\":[");
	for (int i = 0; i <= NODE_BATCH_MAX; i++)
		len += (size_t)sprintf(json + len, "%s{\"envelope\":\"e\"}", i ? "," : "");
	len += (size_t)sprintf(json + len, "]}");
	assert_int_equal(wire_batch_decode(&b, json, len, &e), ERR_INVALID);
	assert_msg_contains(&e, "at most 1000");
	free(json);
	/* A whole request over the limit is refused before parsing. */
	assert_int_equal(wire_batch_decode(&b, "", WIRE_REQUEST_MAX + 1, &e), ERR_TOOBIG);
	/* An envelope over ENVELOPE_MAX. */
	json = malloc(ENVELOPE_MAX + 200);
	len = (size_t)sprintf(json, "{\"origin\":\"o\",\"first\":0,\"checkpoint\":\"c\",\"entries\":[{\"envelope\":\"");
	memset(json + len, 'x', ENVELOPE_MAX + 1);
	len += ENVELOPE_MAX + 1;
	len += (size_t)sprintf(json + len, "\"}]}");
	assert_int_equal(wire_batch_decode(&b, json, len, &e), ERR_INVALID);
	assert_msg_contains(&e, "at most 1024 bytes");
	free(json);
}

/* The batch of test_round_trip with an attachment, filled into b. */
static void sample_batch(struct node_batch *b)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->origin, sizeof(b->origin), "parley/a.example/b.example");
	b->first = 7;
	b->n = 3;
	b->entries = calloc(3, sizeof(*b->entries));
	for (uint64_t i = 0; i < 3; i++) {
		b->entries[i].envelope = envelope_dup(7 + i);
		b->entries[i].len = strlen(b->entries[i].envelope);
	}
	/* Bytes a text format would trip on: NUL, newline, "end\n". */
	b->entries[1].body = memcpy(malloc(14), "\x01\0\nend\n \xff entry", 14);
	b->entries[1].body_len = 14;
	b->entries[2].body = strdup("");
	b->note = strdup("parley/a.example/b.example\n10\nAAAA\n\n\xe2\x80\x94 a.example xyz\n");
	b->note_len = strlen(b->note);
	b->blobs = calloc(1, sizeof(*b->blobs));
	b->blobs[0] = (struct store_blob){ memcpy(malloc(5), "a\nb\0c", 5), 5 };
	b->nblobs = 1;
}

static void assert_same_batch(const struct node_batch *a, const struct node_batch *b)
{
	assert_string_equal(a->origin, b->origin);
	assert_int_equal(a->first, b->first);
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->entries[i].len, b->entries[i].len);
		assert_memory_equal(a->entries[i].envelope, b->entries[i].envelope, a->entries[i].len);
		assert_int_equal(!a->entries[i].body, !b->entries[i].body);
		assert_int_equal(a->entries[i].body_len, b->entries[i].body_len);
		if (a->entries[i].body_len)
			assert_memory_equal(a->entries[i].body, b->entries[i].body, a->entries[i].body_len);
	}
	assert_int_equal(a->note_len, b->note_len);
	assert_memory_equal(a->note, b->note, a->note_len);
	assert_int_equal(a->nblobs, b->nblobs);
	for (size_t i = 0; i < a->nblobs; i++) {
		assert_int_equal(a->blobs[i].len, b->blobs[i].len);
		assert_memory_equal(a->blobs[i].data, b->blobs[i].data, a->blobs[i].len);
	}
}

/* Packed and unpacked, a batch is the same batch, whatever bytes its
 * bodies hold; no body and an empty body stay apart; the pieces come out
 * NUL-terminated like the JSON decoder's. */
static void test_packed_round_trip(void **state)
{
	struct node_batch b, got, viajson;
	struct err e = { 0 };
	char *p, *json;
	size_t len, jlen;

	(void)state;
	sample_batch(&b);
	tu_ok(wire_batch_pack(&b, &p, &len, &e), &e);
	{
		const char *head = "parley-batch 1\norigin parley/a.example/b.example\nfirst 7\ncheckpoint ";
		assert_memory_equal(p, head, strlen(head));
	}
	assert_memory_equal(p + len - 4, "end\n", 4);
	tu_ok(wire_batch_unpack(&got, p, len, &e), &e);
	assert_same_batch(&b, &got);
	assert_null(got.entries[0].body);
	assert_non_null(got.entries[2].body);
	assert_int_equal(got.entries[0].envelope[got.entries[0].len], '\0');
	assert_string_equal(got.note, b.note);
	/* The JSON form carries the same batch. */
	tu_ok(wire_batch_encode(&got, &json, &jlen, &e), &e);
	tu_ok(wire_batch_decode(&viajson, json, jlen, &e), &e);
	assert_same_batch(&b, &viajson);
	free(json);
	free(p);
	node_batch_free(&viajson);
	node_batch_free(&got);
	node_batch_free(&b);
}

/* Every way a packed batch can be wrong is refused with the line or field
 * named, and leaves nothing allocated in b. */
static void test_packed_refusals(void **state)
{
#define HEAD "parley-batch 1\norigin parley/a/b\nfirst 0\ncheckpoint 1\nC"
	static const struct {
		const char *in, *msg;
		int code;
	} bad[] = {
		{ "", "does not start with 'parley-batch 1'", ERR_INVALID },
		{ "parley-batch 2\n", "does not start with", ERR_INVALID },
		{ "parley-batch 1\n", "cut short, or a header line too long", ERR_INVALID },
		{ "parley-batch 1\nfirst 0\n", "'origin' line expected", ERR_INVALID },
		{ "parley-batch 1\norigin \n", "'origin' must be 1 to", ERR_INVALID },
		{ "parley-batch 1\norigin a b\n", "'origin' must be 1 to", ERR_INVALID },
		{ "parley-batch 1\norigin o\nfirst 01\n", "'first N' expected", ERR_INVALID },
		{ "parley-batch 1\norigin o\nfirst -1\n", "'first N' expected", ERR_INVALID },
		{ "parley-batch 1\norigin o\nfirst 9223372036854775808\n", "'first N' expected", ERR_INVALID },
		{ "parley-batch 1\norigin o\nfirst 99999999999999999999999\n", "'first N' expected", ERR_INVALID },
		{ "parley-batch 1\norigin o\nfirst 0\ncheckpoint 65537\n", "'checkpoint LEN' expected", ERR_INVALID },
		{ "parley-batch 1\norigin o\nfirst 0\ncheckpoint 5\nabc", "checkpoint 0: cut short", ERR_INVALID },
		{ HEAD, "cut short", ERR_INVALID },
		{ HEAD "end\nx", "last line 'end'", ERR_INVALID },
		{ HEAD "end", "cut short", ERR_INVALID },
		{ HEAD "entry 1\nx", "entry 0: 'entry ELEN BLEN' expected", ERR_INVALID },
		{ HEAD "entry x -\n", "entry 0: envelope length is not a number", ERR_INVALID },
		{ HEAD "entry 1 +1\n", "entry 0: body length is not a number", ERR_INVALID },
		{ HEAD "entry 1025 -\n", "entry 0: envelope of 1025 bytes is over the 1024-byte limit", ERR_TOOBIG },
		{ HEAD "entry 1 1048577\n", "entry 0: body of 1048577 bytes is over", ERR_TOOBIG },
		{ HEAD "entry 4 -\nab", "entry 0: cut short", ERR_INVALID },
		{ HEAD "entry 1 2\nab", "entry 0: cut short", ERR_INVALID },
		{ HEAD "entry 1 -\nxentry 1 -\n", "cut short", ERR_INVALID },
		{ HEAD "attachment 1\nxentry 1 -\nxend\n", "last line 'end'", ERR_INVALID },
		{ HEAD "attachment 4194305\n", "attachment 0: data of 4194305 bytes is over", ERR_TOOBIG },
		{ HEAD "entries 0\nend\n", "last line 'end'", ERR_INVALID },
	};
#undef HEAD
	struct node_batch b;
	struct err e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = wire_batch_unpack(&b, bad[i].in, strlen(bad[i].in), &e);
		if (rc != bad[i].code)
			fail_msg("case %zu accepted or wrong code %d: %s", i, rc, bad[i].in);
		assert_msg_contains(&e, bad[i].msg);
		assert_null(b.entries);
		assert_null(b.buf);
	}
	/* The smallest batch: a checkpoint and no entries. */
	{
		const char *least = "parley-batch 1\norigin o\nfirst 3\ncheckpoint 0\nend\n";
		tu_ok(wire_batch_unpack(&b, least, strlen(least), &e), &e);
	}
	assert_int_equal(b.n, 0);
	assert_int_equal(b.first, 3);
	node_batch_free(&b);
}

/* Limits: entries, attachments, the whole request. */
static void test_packed_limits(void **state)
{
	struct node_batch b;
	struct err e = { 0 };
	size_t cap = 64 + (NODE_BATCH_MAX + 1) * 16 + (WIRE_BLOBS_MAX + 1) * 16, len;
	char *p = malloc(cap);

	(void)state;
	len = (size_t)sprintf(p, "parley-batch 1\norigin o\nfirst 0\ncheckpoint 0\n");
	for (int i = 0; i <= NODE_BATCH_MAX; i++)
		len += (size_t)sprintf(p + len, "entry 1 -\nx");
	len += (size_t)sprintf(p + len, "end\n");
	assert_int_equal(wire_batch_unpack(&b, p, len, &e), ERR_INVALID);
	assert_msg_contains(&e, "more than 1000 entries");
	len = (size_t)sprintf(p, "parley-batch 1\norigin o\nfirst 0\ncheckpoint 0\n");
	for (int i = 0; i <= WIRE_BLOBS_MAX; i++)
		len += (size_t)sprintf(p + len, "attachment 1\nx");
	len += (size_t)sprintf(p + len, "end\n");
	assert_int_equal(wire_batch_unpack(&b, p, len, &e), ERR_INVALID);
	assert_msg_contains(&e, "more than 256 attachments");
	/* Exactly at the limits is fine. */
	len = (size_t)sprintf(p, "parley-batch 1\norigin o\nfirst 0\ncheckpoint 0\n");
	for (int i = 0; i < NODE_BATCH_MAX; i++)
		len += (size_t)sprintf(p + len, "entry 1 0\nx");
	for (int i = 0; i < WIRE_BLOBS_MAX; i++)
		len += (size_t)sprintf(p + len, "attachment 0\n");
	len += (size_t)sprintf(p + len, "end\n");
	tu_ok(wire_batch_unpack(&b, p, len, &e), &e);
	assert_int_equal(b.n, NODE_BATCH_MAX);
	assert_int_equal(b.nblobs, WIRE_BLOBS_MAX);
	node_batch_free(&b);
	free(p);
	assert_int_equal(wire_batch_unpack(&b, "", WIRE_REQUEST_MAX + 1, &e), ERR_TOOBIG);
}

/* Backoff doubles from the minimum, is capped, and jitter keeps it within
 * [half, full] of the step. */
static void test_backoff(void **state)
{
	unsigned prev = 0;

	(void)state;
	assert_int_equal(outbox_backoff_ms(0, 0.999999), OUTBOX_BACKOFF_MIN_MS - 1);
	assert_int_equal(outbox_backoff_ms(0, 0.0), OUTBOX_BACKOFF_MIN_MS / 2);
	for (unsigned f = 0; f < 64; f++) {
		unsigned hi = outbox_backoff_ms(f, 0.999999), lo = outbox_backoff_ms(f, 0.0);
		assert_true(lo <= hi);
		assert_true(hi < OUTBOX_BACKOFF_MAX_MS);
		assert_true(lo >= OUTBOX_BACKOFF_MIN_MS / 2);
		assert_true(hi >= prev);
		prev = hi;
	}
	assert_int_equal(outbox_backoff_ms(40, 0.0), OUTBOX_BACKOFF_MAX_MS / 2);
	assert_int_equal(outbox_backoff_ms(3, 0.0), OUTBOX_BACKOFF_MIN_MS * 8 / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_packed_round_trip),
		cmocka_unit_test(test_packed_refusals),
		cmocka_unit_test(test_packed_limits),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
