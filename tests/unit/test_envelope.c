/* test_envelope.c — the canonical envelope: the DESIGN.md example byte for
 * byte, every kind, the time format at its edges, a table of malformed
 * envelopes (each a small edit of a valid one, each refused with a message
 * naming the fault), encoder refusals, and round trips of pseudo-random
 * envelopes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "testutil.h"

#include "core/envelope.h"
#include "core/merkle.h"

/* The DESIGN.md example; its body is SHA-256("test"). */
#define EXAMPLE_TEXT                                                          \
	"parley/1\n"                                                          \
	"from ministry-a.example\n"                                           \
	"to ministry-b.example\n"                                             \
	"index 17\n"                                                          \
	"time 2026-11-22T14:00:00Z\n"                                         \
	"case ministry-a.example/17\n"                                        \
	"kind request\n"                                                      \
	"type cyber-incident\n"                                               \
	"body sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
#define EXAMPLE_TIME INT64_C(1795356000) /* 2026-11-22T14:00:00Z */

/* ministry-b's answer to that request; its body is SHA-256(""). */
#define ANSWER_TEXT                                                           \
	"parley/1\n"                                                          \
	"from ministry-b.example\n"                                           \
	"to ministry-a.example\n"                                             \
	"index 5\n"                                                           \
	"time 2026-11-23T09:30:00Z\n"                                         \
	"case ministry-a.example/17\n"                                        \
	"kind answer\n"                                                       \
	"type cyber-incident\n"                                               \
	"body sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"

#define TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* Repeated string literals, for names and lines at their length limits. */
#define X4(s) s s s s
#define X16(s) X4(X4(s))
#define X64(s) X16(X4(s))
#define A128 X64("a") X64("a")

#define assert_ok(expr, e)                                                    \
	do {                                                                  \
		int rc_ = (expr);                                             \
		if (rc_ != 0)                                                 \
			fail_msg("%s returned %d: %s", #expr, rc_, (e)->msg); \
	} while (0)

static void example_fields(struct envelope *env)
{
	memset(env, 0, sizeof(*env));
	strcpy(env->from, "ministry-a.example");
	strcpy(env->to, "ministry-b.example");
	env->index = 17;
	env->time = EXAMPLE_TIME;
	strcpy(env->case_from, "ministry-a.example");
	env->case_index = 17;
	env->kind = ENVELOPE_REQUEST;
	strcpy(env->type, "cyber-incident");
	merkle_sha256(env->body, "test", 4);
}

static void assert_envelope_equal(const struct envelope *a,
				  const struct envelope *b)
{
	assert_string_equal(a->from, b->from);
	assert_string_equal(a->to, b->to);
	assert_int_equal(a->index, b->index);
	assert_int_equal(a->time, b->time);
	assert_string_equal(a->case_from, b->case_from);
	assert_int_equal(a->case_index, b->case_index);
	assert_int_equal(a->kind, b->kind);
	assert_string_equal(a->type, b->type);
	assert_memory_equal(a->body, b->body, 32);
}

/* Encodes env and returns the text NUL-terminated (static buffer). */
static const char *encode_str(const struct envelope *env, size_t *len)
{
	static char buf[ENVELOPE_MAX + 1];
	struct err e = { 0 };

	assert_ok(envelope_encode(env, buf, sizeof(buf) - 1, len, &e), &e);
	assert_true(*len < sizeof(buf));
	buf[*len] = '\0';
	return buf;
}

static void test_design_example(void **state)
{
	struct envelope env, got;
	struct err e = { 0 };
	const char *text;
	char hex[65];
	size_t len;

	(void)state;
	example_fields(&env);
	merkle_hex(hex, env.body);
	assert_string_equal(hex, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");

	text = encode_str(&env, &len);
	assert_string_equal(text, EXAMPLE_TEXT);
	assert_int_equal(len, sizeof(EXAMPLE_TEXT) - 1);

	assert_ok(envelope_parse(&got, EXAMPLE_TEXT, sizeof(EXAMPLE_TEXT) - 1, &e), &e);
	assert_envelope_equal(&got, &env);
	/* And back again: encode(parse(t)) == t. */
	text = encode_str(&got, &len);
	assert_string_equal(text, EXAMPLE_TEXT);
}

static void test_answer_example(void **state)
{
	struct envelope env;
	struct err e = { 0 };
	const char *text;
	size_t len;

	(void)state;
	assert_ok(envelope_parse(&env, ANSWER_TEXT, sizeof(ANSWER_TEXT) - 1, &e), &e);
	assert_string_equal(env.from, "ministry-b.example");
	assert_string_equal(env.to, "ministry-a.example");
	assert_int_equal(env.index, 5);
	assert_int_equal(env.time, EXAMPLE_TIME + 19 * 3600 + 30 * 60);
	assert_string_equal(env.case_from, "ministry-a.example");
	assert_int_equal(env.case_index, 17);
	assert_int_equal(env.kind, ENVELOPE_ANSWER);
	assert_string_equal(env.type, "cyber-incident");
	text = encode_str(&env, &len);
	assert_string_equal(text, ANSWER_TEXT);
}

/* Every kind: its name on the wire, a round trip, and the case rule that
 * applies to it (a request, ping, charter or register entry opens its own case; every
 * other kind refers to an earlier entry of either party). */
static void test_every_kind(void **state)
{
	static const struct {
		enum envelope_kind kind;
		const char *name;
		int opens; /* names itself as its case */
	} kinds[] = {
		{ ENVELOPE_CHARTER, "charter", 1 },
		{ ENVELOPE_REQUEST, "request", 1 },
		{ ENVELOPE_ACK, "ack", 0 },
		{ ENVELOPE_ANSWER, "answer", 0 },
		{ ENVELOPE_DECLINE, "decline", 0 },
		{ ENVELOPE_WITHDRAW, "withdraw", 0 },
		{ ENVELOPE_REMIND, "remind", 0 },
		{ ENVELOPE_CLOSE, "close", 0 },
		{ ENVELOPE_PING, "ping", 1 },
		{ ENVELOPE_REGISTER, "register", 1 },
		{ ENVELOPE_KEY, "key", 1 },
	};

	(void)state;
	assert_int_equal(sizeof(kinds) / sizeof(kinds[0]), ENVELOPE_KIND_COUNT);
	assert_string_equal(envelope_kind_name(ENVELOPE_KIND_COUNT), "?");
	assert_string_equal(envelope_kind_name((enum envelope_kind)-1), "?");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct envelope env, got;
		struct err e = { 0 };
		char line[32], buf[ENVELOPE_MAX];
		const char *text;
		size_t len;

		assert_string_equal(envelope_kind_name(kinds[i].kind), kinds[i].name);
		example_fields(&env);
		env.kind = kinds[i].kind;
		if (!kinds[i].opens) {
			/* from b: the case is a's request 17 (the peer's entry) */
			strcpy(env.from, "ministry-b.example");
			strcpy(env.to, "ministry-a.example");
			env.index = 3;
		}
		text = encode_str(&env, &len);
		snprintf(line, sizeof(line), "\nkind %s\n", kinds[i].name);
		if (!strstr(text, line))
			fail_msg("%s: no \"kind %s\" line in\n%s", kinds[i].name,
				 kinds[i].name, text);
		assert_ok(envelope_parse(&got, text, len, &e), &e);
		assert_envelope_equal(&got, &env);

		if (kinds[i].opens) {
			/* naming the peer's entry is refused */
			strcpy(env.case_from, "ministry-b.example");
			assert_int_equal(envelope_encode(&env, buf, sizeof(buf), &len, &e),
					 ERR_INVALID);
			assert_msg_contains(&e, "must name itself as its case");
		} else {
			/* its own earlier entry is allowed ... */
			strcpy(env.case_from, "ministry-b.example");
			env.case_index = 2;
			assert_ok(envelope_encode(&env, buf, sizeof(buf), &len, &e), &e);
			/* ... itself is not */
			env.case_index = 3;
			assert_int_equal(envelope_encode(&env, buf, sizeof(buf), &len, &e),
					 ERR_INVALID);
			assert_msg_contains(&e, "must name an earlier entry as its case");
		}
	}
}

/* Time strings at the edges of the calendar. */
static void test_time_valid(void **state)
{
	static const struct {
		const char *s;
		int64_t t;
	} ok[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T00:00:01Z", 1 },
		{ "1970-12-31T23:59:59Z", 31535999 },
		{ "2000-02-29T12:34:56Z", 951827696 }, /* divisible by 400 */
		{ "2024-02-29T00:00:00Z", 1709164800 },
		{ "2024-02-29T23:59:59Z", 1709251199 },
		{ "2024-03-01T00:00:00Z", 1709251200 },
		{ "2026-11-22T14:00:00Z", EXAMPLE_TIME },
		{ "9999-12-31T23:59:59Z", TIME_MAX },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t t = -1;
		char out[21];
		struct err e = { 0 };

		if (envelope_time_parse(ok[i].s, strlen(ok[i].s), &t) != 0)
			fail_msg("\"%s\" refused", ok[i].s);
		assert_int_equal(t, ok[i].t);
		assert_ok(envelope_time_format(ok[i].t, out, &e), &e);
		assert_memory_equal(out, ok[i].s, 20);
		assert_int_equal(out[20], '\0');
	}
}

static void test_time_invalid(void **state)
{
	static const char *const bad[] = {
		"2023-02-29T00:00:00Z", /* not a leap year */
		"2100-02-29T00:00:00Z", /* divisible by 100, not by 400 */
		"2024-02-30T00:00:00Z",
		"2024-04-31T00:00:00Z",
		"2024-00-10T00:00:00Z",
		"2024-13-10T00:00:00Z",
		"2024-01-00T00:00:00Z",
		"2024-01-32T00:00:00Z",
		"2024-01-10T24:00:00Z",
		"2024-01-10T23:60:00Z",
		"2016-12-31T23:59:60Z", /* a real leap second: not representable */
		"2024-01-10T00:00:60Z",
		"1969-12-31T23:59:59Z",
		"0000-01-01T00:00:00Z",
		"2024-01-10t00:00:00Z", /* lower-case t */
		"2024-01-10T00:00:00z", /* lower-case z */
		"2024-01-10T00:00:00",  /* no Z */
		"2024-01-10T00:00:00+00:00",
		"2024-01-10T00:00:00+0000",
		"2024-01-10T01:00:00+01:00",
		"2024-01-10T00:00:00-05:00",
		"2024-01-10T00:00:00.5Z",
		"2024-01-10 00:00:00Z",
		"2024-1-10T00:00:00Z",
		"2024-01-10T0:00:00Z",
		"+2024-01-10T00:00:00Z",
		"12024-01-10T00:00:00Z",
		"2O24-01-10T00:00:00Z",
		"2024-01-10T00:0a:00Z",
		"2024-01-10T00:00:-1Z",
		"2024/01/10T00:00:00Z",
		"",
		"Z",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t t = 42;

		if (envelope_time_parse(bad[i], strlen(bad[i]), &t) == 0)
			fail_msg("\"%s\" accepted as %lld", bad[i], (long long)t);
	}
}

/* The same refusal seen through the parser, with its message. */
static void test_time_in_envelope(void **state)
{
	static const char *const bad[] = {
		"2023-02-29T00:00:00Z", "2024-01-10T24:00:00Z",
		"2024-01-10T00:00:60Z", "1969-12-31T23:59:59Z",
		"2024-01-10t00:00:00Z", "2024-01-10T00:00:00z",
		"2024-01-10T00:00:00",  "2024-01-10T00:00:00+00:00",
	};
	static const char *const good[] = {
		"1970-01-01T00:00:00Z", "2024-02-29T12:00:00Z",
		"9999-12-31T23:59:59Z",
	};
	const char *at = strstr(EXAMPLE_TEXT, "2026-11-22T14:00:00Z");
	size_t pre = (size_t)(at - EXAMPLE_TEXT);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]) + sizeof(good) / sizeof(good[0]); i++) {
		int is_good = i >= sizeof(bad) / sizeof(bad[0]);
		const char *s = is_good ? good[i - sizeof(bad) / sizeof(bad[0])] : bad[i];
		char text[ENVELOPE_MAX];
		struct envelope env;
		struct err e = { 0 };
		int n = snprintf(text, sizeof(text), "%.*s%s%s", (int)pre,
				 EXAMPLE_TEXT, s, at + 20);
		int rc;

		assert_true(n > 0 && (size_t)n < sizeof(text));
		rc = envelope_parse(&env, text, (size_t)n, &e);
		if (is_good) {
			assert_ok(rc, &e);
			assert_string_equal(encode_str(&env, &(size_t){ 0 }), text);
		} else {
			if (rc != ERR_INVALID)
				fail_msg("time \"%s\": rc %d", s, rc);
			assert_msg_contains(&e, "envelope line 5: time must be YYYY-MM-DDTHH:MM:SSZ");
		}
	}
}

static void test_time_format_range(void **state)
{
	char out[21];
	struct err e = { 0 };

	(void)state;
	assert_int_equal(envelope_time_format(-1, out, &e), ERR_INVALID);
	assert_msg_contains(&e, "time -1 is outside 1970..9999");
	assert_int_equal(envelope_time_format(TIME_MAX + 1, out, &e), ERR_INVALID);
	assert_msg_contains(&e, "time 253402300800 is outside 1970..9999");
	assert_int_equal(envelope_time_format(INT64_MIN, out, &e), ERR_INVALID);
	assert_int_equal(envelope_time_format(INT64_MAX, out, &e), ERR_INVALID);
}

/* Format and parse agree with the C library's gmtime over the whole range. */
static uint64_t rng_state;

static uint64_t rng(void) /* splitmix64 */
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t n)
{
	return rng() % n;
}

static void test_time_against_gmtime(void **state)
{
	(void)state;
	rng_state = 1;
	for (int i = 0; i < 20000; i++) {
		int64_t t = i < 2 ? (i ? TIME_MAX : 0) : (int64_t)rng_below((uint64_t)TIME_MAX + 1);
		time_t tt = (time_t)t;
		struct tm tm;
		char want[32], got[21];
		int64_t back = -1;
		struct err e = { 0 };

		assert_non_null(gmtime_r(&tt, &tm));
		assert_int_equal(strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm), 20);
		assert_ok(envelope_time_format(t, got, &e), &e);
		assert_string_equal(got, want);
		assert_int_equal(envelope_time_parse(got, 20, &back), 0);
		assert_int_equal(back, t);
	}
}

/* Malformed envelopes: each is one small edit of a valid envelope. */
enum { BASE_REQUEST, BASE_ANSWER };

struct edit {
	const char *what;
	int base;
	const char *old; /* replaced (first occurrence, or every one if all) */
	size_t oldlen;
	const char *new;
	size_t newlen;
	int all;
	const char *expect; /* in the message */
};

#define S(s) s, sizeof(s) - 1
#define R BASE_REQUEST
#define A BASE_ANSWER

static const struct edit edits[] = {
	/* keys */
	{ "unknown key", R, S("type cyber"), S("tipe cyber"), 0,
	  "envelope line 8: unknown key 'tipe'" },
	{ "extra unknown key", R, S("kind request\n"), S("kind request\nurgency high\n"), 0,
	  "envelope line 8: unknown key 'urgency'" },
	{ "upper-case key", R, S("index 17"), S("Index 17"), 0,
	  "envelope line 4: unknown key 'Index'" },
	{ "missing from", R, S("from ministry-a.example\n"), S(""), 0,
	  "envelope line 2: key 'to' out of order or 'from' missing" },
	{ "missing to", R, S("to ministry-b.example\n"), S(""), 0,
	  "envelope line 3: key 'index' out of order or 'to' missing" },
	{ "missing index", R, S("index 17\n"), S(""), 0,
	  "envelope line 4: key 'time' out of order or 'index' missing" },
	{ "missing time", R, S("time 2026-11-22T14:00:00Z\n"), S(""), 0,
	  "envelope line 5: key 'case' out of order or 'time' missing" },
	{ "missing case", R, S("case ministry-a.example/17\n"), S(""), 0,
	  "envelope line 6: key 'kind' out of order or 'case' missing" },
	{ "missing kind", R, S("kind request\n"), S(""), 0,
	  "envelope line 7: key 'type' out of order or 'kind' missing" },
	{ "missing type", R, S("type cyber-incident\n"), S(""), 0,
	  "envelope line 8: key 'body' out of order or 'type' missing" },
	{ "missing body", R, S("body sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"), S(""), 0,
	  "envelope: missing key 'body'" },
	{ "duplicate kind", R, S("kind request\n"), S("kind request\nkind request\n"), 0,
	  "envelope line 8: duplicate key 'kind'" },
	{ "duplicate from after to", R, S("to ministry-b.example\n"),
	  S("to ministry-b.example\nfrom ministry-a.example\n"), 0,
	  "envelope line 4: duplicate key 'from'" },
	{ "duplicate body", R, S("0a08\n"), S("0a08\nbody sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"), 0,
	  "envelope line 10: unexpected line after 'body'" },
	{ "kind and type swapped", R, S("kind request\ntype cyber-incident\n"),
	  S("type cyber-incident\nkind request\n"), 0,
	  "envelope line 7: key 'type' out of order or 'kind' missing" },
	{ "from and to swapped", R, S("from ministry-a.example\nto ministry-b.example\n"),
	  S("to ministry-b.example\nfrom ministry-a.example\n"), 0,
	  "envelope line 2: key 'to' out of order or 'from' missing" },
	{ "magic line moved after from", R, S("parley/1\nfrom ministry-a.example\n"),
	  S("from ministry-a.example\nparley/1\n"), 0,
	  "envelope line 1: expected \"parley/1\"" },
	/* bytes */
	{ "NUL", R, S("cyber-incident"), S("cyber\0incident"), 0,
	  "envelope: control character 0x00 at byte 140" },
	{ "tab", R, S("kind request"), S("kind\trequest"), 0,
	  "envelope: control character 0x09 at byte 121" },
	{ "DEL", R, S("cyber-incident"), S("cyber-incident\x7f"), 0,
	  "envelope: control character 0x7f at byte 149" },
	{ "escape", R, S("cyber-incident"), S("\x1b[31mcyber-incident"), 0,
	  "envelope: control character 0x1b at byte 135" },
	{ "CR before the last newline", R, S("0a08\n"), S("0a08\r\n"), 0,
	  "envelope: control character 0x0d at byte 226" },
	{ "CRLF line endings", R, S("\n"), S("\r\n"), 1,
	  "envelope: control character 0x0d at byte 8" },
	{ "non-ASCII letter (UTF-8)", R, S("from ministry-a"), S("from ministry-\xc3\xa4"), 0,
	  "envelope: non-ASCII byte at 23" },
	{ "byte 0xff", R, S("kind request"), S("kind request\xff"), 0,
	  "envelope: non-ASCII byte at 129" },
	{ "line of 201 bytes", R, S("type cyber-incident"),
	  S("type " X64("a") X64("a") X64("a") X4("a")), 0,
	  "envelope line 8: longer than 200 bytes" },
	{ "line of 200 bytes (too long a type)", R, S("type cyber-incident"),
	  S("type " X64("a") X64("a") X64("a") "aaa"), 0,
	  "envelope line 8: type must be 1-64" },
	/* framing */
	{ "trailing line after body", R, S("0a08\n"), S("0a08\nnote hello\n"), 0,
	  "envelope line 10: unexpected line after 'body'" },
	{ "trailing word after body", R, S("0a08\n"), S("0a08\nx\n"), 0,
	  "envelope line 10: expected \"key value\"" },
	{ "trailing blank line", R, S("0a08\n"), S("0a08\n\n"), 0,
	  "envelope line 10: expected \"key value\"" },
	{ "trailing bytes without newline", R, S("0a08\n"), S("0a08\nx"), 0,
	  "envelope line 10: does not end with a newline" },
	{ "no final newline", R, S("0a08\n"), S("0a08"), 0,
	  "envelope line 9: does not end with a newline" },
	{ "double space after key", R, S("kind request"), S("kind  request"), 0,
	  "envelope line 7: unknown kind ' request'" },
	{ "double space in from", R, S("from ministry-a"), S("from  ministry-a"), 0,
	  "envelope line 2: 'from' is not a valid party name" },
	{ "trailing space", R, S("index 17\n"), S("index 17 \n"), 0,
	  "envelope line 4: index must be a decimal below 2^63 without leading zeros" },
	{ "key without value", R, S("kind request"), S("kind"), 0,
	  "envelope line 7: expected \"key value\"" },
	{ "wrong magic", R, S("parley/1"), S("parley/2"), 0,
	  "envelope line 1: expected \"parley/1\"" },
	{ "magic with trailing space", R, S("parley/1\n"), S("parley/1 \n"), 0,
	  "envelope line 1: expected \"parley/1\"" },
	/* numbers */
	{ "leading zero in index", R, S("index 17"), S("index 017"), 0,
	  "envelope line 4: index must be a decimal below 2^63 without leading zeros" },
	{ "index 2^63", R, S("index 17"), S("index 9223372036854775808"), 0,
	  "envelope line 4: index must be a decimal below 2^63" },
	{ "index 2^64", R, S("index 17"), S("index 18446744073709551616"), 0,
	  "envelope line 4: index must be a decimal below 2^63" },
	{ "negative index", R, S("index 17"), S("index -17"), 0,
	  "envelope line 4: index must be a decimal" },
	{ "plus sign in index", R, S("index 17"), S("index +17"), 0,
	  "envelope line 4: index must be a decimal" },
	{ "empty index", R, S("index 17"), S("index "), 0,
	  "envelope line 4: index must be a decimal" },
	{ "leading zero in case index", R, S("example/17"), S("example/017"), 0,
	  "envelope line 6: case index must be a decimal without leading zeros" },
	{ "case index 2^63", R, S("example/17"), S("example/9223372036854775808"), 0,
	  "envelope line 6: case index must be a decimal" },
	{ "case without index", R, S("example/17"), S("example/"), 0,
	  "envelope line 6: case index must be a decimal" },
	{ "case without slash", R, S("example/17"), S("example-17"), 0,
	  "envelope line 6: case must be PARTY/INDEX" },
	/* body */
	{ "upper-case hex in body", R, S("sha256:9f86d0"), S("sha256:9F86d0"), 0,
	  "envelope line 9: body must be sha256: and 64 lower-case hex digits" },
	{ "short body hash", R, S("0a08\n"), S("0a\n"), 0,
	  "envelope line 9: body must be sha256: and 64 lower-case hex digits" },
	{ "long body hash", R, S("0a08\n"), S("0a0800\n"), 0,
	  "envelope line 9: body must be sha256: and 64 lower-case hex digits" },
	{ "non-hex digit in body", R, S("0a08\n"), S("0a0g\n"), 0,
	  "envelope line 9: body must be sha256: and 64 lower-case hex digits" },
	{ "other hash algorithm", R, S("sha256:"), S("sha512:"), 0,
	  "envelope line 9: body must be sha256: and 64 lower-case hex digits" },
	/* relations between fields */
	{ "request naming another of its own entries", R, S("example/17"), S("example/16"), 0,
	  "envelope: an entry of kind request must name itself as its case (ministry-a.example/17)" },
	{ "request naming the peer's entry", R, S("case ministry-a"), S("case ministry-b"), 0,
	  "envelope: an entry of kind request must name itself as its case (ministry-a.example/17)" },
	{ "reply naming a third party", A, S("case ministry-a"), S("case ministry-c"), 0,
	  "envelope: case ministry-c.example/17 names neither 'from' nor 'to'" },
	{ "reply naming a later entry of its sender", A, S("case ministry-a.example/17"),
	  S("case ministry-b.example/6"), 0,
	  "envelope: an entry of kind answer must name an earlier entry as its case" },
	{ "reply naming itself", A, S("case ministry-a.example/17"),
	  S("case ministry-b.example/5"), 0,
	  "envelope: an entry of kind answer must name an earlier entry as its case" },
	{ "from == to", R, S("to ministry-b"), S("to ministry-a"), 0,
	  "envelope: 'from' and 'to' are the same party" },
	/* party names */
	{ "upper-case name", R, S("from ministry-a"), S("from Ministry-a"), 0,
	  "envelope line 2: 'from' is not a valid party name (1-128 of a-z 0-9 . -)" },
	{ "name with leading dash", R, S("to ministry-b"), S("to -ministry-b"), 0,
	  "envelope line 3: 'to' is not a valid party name" },
	{ "name with trailing dot", R, S("to ministry-b.example"), S("to ministry-b.example."), 0,
	  "envelope line 3: 'to' is not a valid party name" },
	{ "name with '/'", R, S("from ministry-a.example"), S("from ministry/a.example"), 0,
	  "envelope line 2: 'from' is not a valid party name" },
	{ "name with '+'", R, S("from ministry-a.example"), S("from ministry+a.example"), 0,
	  "envelope line 2: 'from' is not a valid party name" },
	{ "name with '_'", R, S("to ministry-b"), S("to ministry_b"), 0,
	  "envelope line 3: 'to' is not a valid party name" },
	{ "empty name", R, S("from ministry-a.example"), S("from "), 0,
	  "envelope line 2: 'from' is not a valid party name" },
	{ "name of 129 characters", R, S("to ministry-b.example"), S("to " A128 "a"), 0,
	  "envelope line 3: 'to' is not a valid party name" },
	{ "upper-case name in case", R, S("case ministry-a"), S("case Ministry-a"), 0,
	  "envelope line 6: 'case' is not a valid party name" },
	{ "empty name in case", R, S("case ministry-a.example/"), S("case /"), 0,
	  "envelope line 6: 'case' is not a valid party name" },
	/* types and kinds */
	{ "type with leading digit", R, S("type cyber"), S("type 1cyber"), 0,
	  "envelope line 8: type must be 1-64 of a-z 0-9 -, starting with a letter" },
	{ "type with underscore", R, S("cyber-incident"), S("cyber_incident"), 0,
	  "envelope line 8: type must be 1-64" },
	{ "type with dot", R, S("cyber-incident"), S("cyber.incident"), 0,
	  "envelope line 8: type must be 1-64" },
	{ "upper-case type", R, S("cyber-incident"), S("Cyber-incident"), 0,
	  "envelope line 8: type must be 1-64" },
	{ "type of 65 characters", R, S("cyber-incident"), S(X64("a") "a"), 0,
	  "envelope line 8: type must be 1-64" },
	{ "empty type", R, S("type cyber-incident"), S("type "), 0,
	  "envelope line 8: type must be 1-64" },
	{ "unknown kind", R, S("kind request"), S("kind requets"), 0,
	  "envelope line 7: unknown kind 'requets'" },
	{ "upper-case kind", R, S("kind request"), S("kind Request"), 0,
	  "envelope line 7: unknown kind 'Request'" },
	{ "kind by number", A, S("kind answer"), S("kind 3"), 0,
	  "envelope line 7: unknown kind '3'" },
};

#undef R
#undef A

/* Applies ed to its base; returns the length of the result in out. */
static size_t apply_edit(const struct edit *ed, char *out, size_t cap)
{
	const char *base = ed->base == BASE_REQUEST ? EXAMPLE_TEXT : ANSWER_TEXT;
	size_t blen = strlen(base), n = 0, i = 0;
	int done = 0;

	while (i < blen) {
		if ((!done || ed->all) && i + ed->oldlen <= blen &&
		    memcmp(base + i, ed->old, ed->oldlen) == 0) {
			assert_true(n + ed->newlen <= cap);
			memcpy(out + n, ed->new, ed->newlen);
			n += ed->newlen;
			i += ed->oldlen;
			done = 1;
			continue;
		}
		assert_true(n < cap);
		out[n++] = base[i++];
	}
	if (!done)
		fail_msg("%s: \"%s\" is not in the base envelope", ed->what, ed->old);
	return n;
}

static void test_malformed_table(void **state)
{
	size_t count = sizeof(edits) / sizeof(edits[0]);
	int failures = 0;
	struct envelope env;
	struct err e = { 0 };

	(void)state;
	assert_true(count >= 40);
	assert_ok(envelope_parse(&env, EXAMPLE_TEXT, strlen(EXAMPLE_TEXT), &e), &e);
	assert_ok(envelope_parse(&env, ANSWER_TEXT, strlen(ANSWER_TEXT), &e), &e);
	for (size_t i = 0; i < count; i++) {
		char text[2 * ENVELOPE_MAX];
		size_t n = apply_edit(&edits[i], text, sizeof(text));
		int rc;

		memset(&e, 0, sizeof(e));
		rc = envelope_parse(&env, text, n, &e);
		if (rc != ERR_INVALID || !strstr(e.msg, edits[i].expect)) {
			print_error("%s: rc %d, message \"%s\", expected %d and \"%s\"\n",
				    edits[i].what, rc, e.msg, ERR_INVALID,
				    edits[i].expect);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_empty_and_oversized(void **state)
{
	char text[ENVELOPE_MAX + 64];
	struct envelope env;
	struct err e = { 0 };
	size_t n = strlen(EXAMPLE_TEXT);

	(void)state;
	assert_int_equal(envelope_parse(&env, "", 0, &e), ERR_INVALID);
	assert_msg_contains(&e, "envelope: empty");
	/* A valid envelope followed by padding up to ENVELOPE_MAX + 1 bytes. */
	memcpy(text, EXAMPLE_TEXT, n);
	memset(text + n, 'x', sizeof(text) - n);
	assert_int_equal(envelope_parse(&env, text, ENVELOPE_MAX + 1, &e), ERR_INVALID);
	assert_msg_contains(&e, "envelope: longer than 1024 bytes");
	/* Up to the limit the length is not the complaint. */
	assert_int_equal(envelope_parse(&env, text, ENVELOPE_MAX, &e), ERR_INVALID);
	assert_msg_contains(&e, "envelope line 10: does not end with a newline");
}

/* The longest fields of every kind, and the largest indexes. */
static void test_limits(void **state)
{
	struct envelope env, got;
	struct err e = { 0 };
	const char *text;
	size_t len;

	(void)state;
	example_fields(&env);
	strcpy(env.from, A128);
	strcpy(env.to, X64("b") X64("b"));
	strcpy(env.case_from, env.from);
	env.index = env.case_index = (uint64_t)INT64_MAX;
	strcpy(env.type, X64("t"));
	env.time = TIME_MAX;
	text = encode_str(&env, &len);
	assert_true(strstr(text, "\nindex 9223372036854775807\n") != NULL);
	assert_true(strstr(text, "/9223372036854775807\n") != NULL);
	assert_true(strstr(text, "\ntime 9999-12-31T23:59:59Z\n") != NULL);
	assert_ok(envelope_parse(&got, text, len, &e), &e);
	assert_envelope_equal(&got, &env);

	/* index 0 with a one-letter name and type, at the epoch */
	example_fields(&env);
	strcpy(env.from, "a");
	strcpy(env.to, "0");
	strcpy(env.case_from, "a");
	env.index = env.case_index = 0;
	env.kind = ENVELOPE_CHARTER;
	strcpy(env.type, "c");
	env.time = 0;
	memset(env.body, 0, 32);
	text = encode_str(&env, &len);
	assert_string_equal(text,
			    "parley/1\nfrom a\nto 0\nindex 0\ntime 1970-01-01T00:00:00Z\n"
			    "case a/0\nkind charter\ntype c\nbody sha256:"
			    "0000000000000000000000000000000000000000000000000000000000000000\n");
	assert_ok(envelope_parse(&got, text, len, &e), &e);
	assert_envelope_equal(&got, &env);
}

static void expect_encode_invalid(const struct envelope *env, const char *want)
{
	char buf[ENVELOPE_MAX];
	struct err e = { 0 };
	size_t len = 12345;

	assert_int_equal(envelope_encode(env, buf, sizeof(buf), &len, &e), ERR_INVALID);
	assert_msg_contains(&e, want);
	assert_int_equal(len, 12345); /* untouched */
}

static void test_encode_refuses(void **state)
{
	struct envelope env;

	(void)state;
	example_fields(&env);
	strcpy(env.from, "Ministry-a.example");
	strcpy(env.case_from, env.from);
	expect_encode_invalid(&env, "envelope: 'from' is not a valid party name");

	example_fields(&env);
	strcpy(env.to, "ministry-b.example-");
	expect_encode_invalid(&env, "envelope: 'to' is not a valid party name");

	example_fields(&env);
	env.to[0] = '\0';
	expect_encode_invalid(&env, "envelope: 'to' is not a valid party name");

	example_fields(&env);
	strcpy(env.case_from, "ministry a");
	expect_encode_invalid(&env, "envelope: 'case' does not name a valid party");

	example_fields(&env);
	strcpy(env.type, "9lives");
	expect_encode_invalid(&env, "envelope: 'type' is not a valid case type");

	example_fields(&env);
	env.kind = ENVELOPE_KIND_COUNT;
	{
		char want[64];
		snprintf(want, sizeof(want), "envelope: unknown kind %d", ENVELOPE_KIND_COUNT);
		expect_encode_invalid(&env, want);
	}

	example_fields(&env);
	env.index = env.case_index = (uint64_t)INT64_MAX + 1;
	expect_encode_invalid(&env, "envelope: index above 2^63-1");

	example_fields(&env);
	strcpy(env.to, env.from);
	expect_encode_invalid(&env, "envelope: 'from' and 'to' are the same party");

	example_fields(&env);
	env.case_index = 16;
	expect_encode_invalid(&env, "envelope: an entry of kind request must name itself as its case");

	example_fields(&env);
	env.kind = ENVELOPE_ACK;
	strcpy(env.case_from, "ministry-c.example");
	expect_encode_invalid(&env, "envelope: case ministry-c.example/17 names neither 'from' nor 'to'");

	example_fields(&env);
	env.time = -1;
	expect_encode_invalid(&env, "envelope: time -1 is outside 1970..9999");

	example_fields(&env);
	env.time = TIME_MAX + 1;
	expect_encode_invalid(&env, "envelope: time 253402300800 is outside 1970..9999");
}

static void test_encode_too_big(void **state)
{
	struct envelope env;
	struct err e = { 0 };
	char buf[ENVELOPE_MAX];
	size_t len = 0, want = strlen(EXAMPLE_TEXT);

	(void)state;
	example_fields(&env);
	assert_int_equal(envelope_encode(&env, buf, 16, &len, &e), ERR_TOOBIG);
	assert_msg_contains(&e, "envelope does not fit in 16 bytes");
	/* exactly the text, with no room for snprintf's NUL, is too small */
	assert_int_equal(envelope_encode(&env, buf, want, &len, &e), ERR_TOOBIG);
	assert_int_equal(envelope_encode(&env, buf, 0, &len, &e), ERR_TOOBIG);
	assert_ok(envelope_encode(&env, buf, want + 1, &len, &e), &e);
	assert_int_equal(len, want);
	assert_memory_equal(buf, EXAMPLE_TEXT, want);
}

/* Pseudo-random valid envelopes: parse(encode(x)) == x and
 * encode(parse(t)) == t. */
static void rand_name(char *out, size_t max)
{
	static const char edge[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	static const char inner[] = "abcdefghijklmnopqrstuvwxyz0123456789.-";
	size_t len = rng_below(4) == 0 ? max - rng_below(3) : 1 + rng_below(24);

	for (size_t i = 0; i < len; i++)
		out[i] = i == 0 || i == len - 1 ? edge[rng_below(sizeof(edge) - 1)]
						: inner[rng_below(sizeof(inner) - 1)];
	out[len] = '\0';
}

static void rand_type(char *out)
{
	static const char rest[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	size_t len = rng_below(4) == 0 ? ENVELOPE_TYPE_MAX : 1 + rng_below(20);

	out[0] = (char)('a' + rng_below(26));
	for (size_t i = 1; i < len; i++)
		out[i] = rest[rng_below(sizeof(rest) - 1)];
	out[len] = '\0';
}

static uint64_t rand_index(void)
{
	switch (rng_below(8)) {
	case 0:
		return 0;
	case 1:
		return (uint64_t)INT64_MAX - rng_below(3);
	default:
		return rng() >> (1 + rng_below(63)); /* every magnitude below 2^63 */
	}
}

static void rand_envelope(struct envelope *env)
{
	memset(env, 0, sizeof(*env));
	rand_name(env->from, ENVELOPE_NAME_MAX);
	do
		rand_name(env->to, ENVELOPE_NAME_MAX);
	while (strcmp(env->from, env->to) == 0);
	env->index = rand_index();
	env->time = rng_below(8) == 0 ? TIME_MAX * (int64_t)rng_below(2)
				      : (int64_t)rng_below((uint64_t)TIME_MAX + 1);
	env->kind = (enum envelope_kind)rng_below(ENVELOPE_KIND_COUNT);
	switch (env->kind) {
	case ENVELOPE_CHARTER:
	case ENVELOPE_REQUEST:
	case ENVELOPE_PING:
	case ENVELOPE_REGISTER:
	case ENVELOPE_KEY:
		strcpy(env->case_from, env->from);
		env->case_index = env->index;
		break;
	default:
		if (env->index > 0 && rng_below(2)) {
			strcpy(env->case_from, env->from);
			env->case_index = rng_below(env->index);
		} else {
			strcpy(env->case_from, env->to);
			env->case_index = rand_index();
		}
	}
	rand_type(env->type);
	for (int i = 0; i < 32; i++)
		env->body[i] = (uint8_t)rng();
}

static void test_random_round_trip(void **state)
{
	(void)state;
	rng_state = UINT64_C(0x70617274656c6579); /* fixed: "parteley" */
	for (int i = 0; i < 500; i++) {
		struct envelope env, got;
		struct err e = { 0 };
		char first[ENVELOPE_MAX + 1], again[ENVELOPE_MAX + 1];
		size_t len, len2;

		rand_envelope(&env);
		assert_ok(envelope_encode(&env, first, sizeof(first), &len, &e), &e);
		first[len] = '\0';
		if (envelope_parse(&got, first, len, &e) != 0)
			fail_msg("envelope %d refused: %s\n%s", i, e.msg, first);
		assert_envelope_equal(&got, &env);
		assert_ok(envelope_encode(&got, again, sizeof(again), &len2, &e), &e);
		again[len2] = '\0';
		assert_string_equal(again, first);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_design_example),
		cmocka_unit_test(test_answer_example),
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_time_valid),
		cmocka_unit_test(test_time_invalid),
		cmocka_unit_test(test_time_in_envelope),
		cmocka_unit_test(test_time_format_range),
		cmocka_unit_test(test_time_against_gmtime),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_empty_and_oversized),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_encode_too_big),
		cmocka_unit_test(test_random_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
