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
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
