/* test_charter.c — charters: every shipped template parses with the
 * deadlines the issue names; malformed charters and bodies are refused
 * naming the place; every field kind's validator. */
#include "testutil.h"

#include "core/charter.h"
#include "util/fsio.h"

static struct charter *load(const char *file)
{
	char path[1024], *buf;
	size_t len;
	struct charter *c = NULL;
	struct err e = { 0 };
	const char *dir = getenv("PARLEY_CHARTERS");

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	tu_ok(fsio_read(path, CHARTER_MAX, &buf, &len, &e), &e);
	if (charter_parse(&c, buf, len, &e) < 0)
		fail_msg("%s: %s", file, e.msg);
	free(buf);
	return c;
}

static void test_templates(void **state)
{
	static const struct {
		const char *type;
		int64_t ack, answer;
	} want[] = {
		{ "cyber-incident", 24 * 3600, 14 * 86400 },
		{ "cyber-incident-urgent", 8 * 3600, 3 * 86400 },
		{ "request-for-assistance", 2 * 86400, 30 * 86400 },
		{ "mutual-legal-assistance", 7 * 86400, 90 * 86400 },
		{ "consular-visa", 2 * 86400, 21 * 86400 },
		{ "deconfliction", 3600, 86400 },
		{ "information-sharing", 2 * 86400, -1 },
		{ "ping", 86400, 86400 },
	};
	static const char *const files[] = {
		"cyber-incident.json", "request-for-assistance.json", "mutual-legal-assistance.json",
		"consular-visa.json", "deconfliction.json", "information-sharing.json", "ping.json",
	};
	struct charter *c = load("standard.json");

	(void)state;
	assert_int_equal(c->ntypes, 8);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct charter_type *t = charter_type(c, want[i].type);
		if (!t)
			fail_msg("standard.json has no type %s", want[i].type);
		assert_int_equal(t->ack_within, want[i].ack);
		assert_int_equal(t->answer_within, want[i].answer);
	}
	assert_null(charter_type(c, "nonexistent"));
	charter_free(c);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		c = load(files[i]);
		assert_non_null(charter_type(c, "ping"));
		charter_free(c);
	}
}

static void test_charter_refusals(void **state)
{
#define T(types) "{\"charter\":\"parley-charter/1\",\"title\":\"t\",\"types\":" types "}"
#define TY(body) T("{\"x\":{\"title\":\"x\",\"tlp\":\"green\",\"ack_within\":\"1d\",\"answer_within\":\"2d\"," body "}}")
	static const struct {
		const char *json, *msg;
	} bad[] = {
		{ "nope", "charter: not JSON" },
		{ "[]", "charter: not a JSON object" },
		{ "{\"charter\":\"parley-charter/2\",\"title\":\"t\",\"types\":{}}", "must be \"parley-charter/1\"" },
		{ "{\"title\":\"t\",\"types\":{}}", "'charter' is missing" },
		{ "{\"charter\":\"parley-charter/1\",\"types\":{}}", "'title' is missing" },
		{ T("{}"), "'types' must be an object of 1 to 64 types" },
		{ T("[]"), "'types' must be an object" },
		{ "{\"charter\":\"parley-charter/1\",\"title\":\"t\",\"types\":{\"x\":{}},\"more\":1}", "charter: unknown key 'more'" },
		{ T("{\"Bad_Name\":{}}"), "types.Bad_Name: a type name is" },
		{ T("{\"x\":[]}"), "types.x: not an object" },
		{ TY("\"fields\":[],\"extra\":1"), "types.x: unknown key 'extra'" },
		{ T("{\"x\":{\"tlp\":\"green\",\"ack_within\":\"1d\",\"answer_within\":\"2d\",\"fields\":[]}}"), "types.x: 'title' is missing" },
		{ T("{\"x\":{\"title\":\"x\",\"tlp\":\"purple\",\"ack_within\":\"1d\",\"answer_within\":\"2d\",\"fields\":[]}}"), "types.x.tlp: one of clear" },
		{ T("{\"x\":{\"title\":\"x\",\"tlp\":\"green\",\"ack_within\":\"1x\",\"answer_within\":\"2d\",\"fields\":[]}}"), "types.x.ack_within: a duration" },
		{ T("{\"x\":{\"title\":\"x\",\"tlp\":\"green\",\"ack_within\":null,\"answer_within\":\"2d\",\"fields\":[]}}"), "types.x.ack_within: a duration" },
		{ T("{\"x\":{\"title\":\"x\",\"tlp\":\"green\",\"ack_within\":\"1d\",\"fields\":[]}}"), "types.x: 'answer_within' is missing" },
		{ T("{\"x\":{\"title\":\"x\",\"tlp\":\"green\",\"ack_within\":\"01d\",\"answer_within\":\"2d\",\"fields\":[]}}"), "types.x.ack_within" },
		{ TY("\"fields\":{}"), "types.x.fields: an array" },
		{ TY("\"fields\":[1]"), "types.x.fields[0]: not an object" },
		{ TY("\"fields\":[{\"kind\":\"text\"}]"), "types.x.fields[0]: 'name' is missing" },
		{ TY("\"fields\":[{\"name\":\"a\",\"kind\":\"blob\"}]"), "kind 'blob' is not one of" },
		{ TY("\"fields\":[{\"name\":\"A b\",\"kind\":\"text\"}]"), "name 'A b' must be" },
		{ TY("\"fields\":[{\"name\":\"a\",\"kind\":\"text\",\"required\":\"yes\"}]"), ".required: must be true or false" },
		{ TY("\"fields\":[{\"name\":\"a\",\"kind\":\"enum\"}]"), "'values' is required for an enum" },
		{ TY("\"fields\":[{\"name\":\"a\",\"kind\":\"text\",\"values\":[\"x\"]}]"), "'values' is only for an enum" },
		{ TY("\"fields\":[{\"name\":\"a\",\"kind\":\"enum\",\"values\":[]}]"), ".values: 1 to 64 strings" },
		{ TY("\"fields\":[{\"name\":\"a\",\"kind\":\"enum\",\"values\":[\"x\",\"x\"]}]"), ".values: 'x' twice" },
		{ TY("\"fields\":[{\"name\":\"a\",\"kind\":\"text\"},{\"name\":\"a\",\"kind\":\"ip\"}]"), "types.x.fields: 'a' twice" },
		{ T("{\"x\":{\"title\":\"x\",\"tlp\":\"green\",\"ack_within\":\"1d\",\"answer_within\":\"2d\",\"fields\":[]},\"x\":{}}"), "charter: not JSON" },
	};
	struct charter *c;
	struct err e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = charter_parse(&c, bad[i].json, strlen(bad[i].json), &e);
		if (rc != ERR_INVALID)
			fail_msg("case %zu: %s: got %d", i, bad[i].json, rc);
		assert_null(c);
		assert_msg_contains(&e, bad[i].msg);
	}
}

static void test_bodies(void **state)
{
	static const char good[] =
		"{\"subject\":\"Scanning from AS64500\",\"text\":\"Since Monday.\\nDetails attached.\","
		"\"tlp\":\"amber\",\"fields\":{\"summary\":\"SSH brute force\",\"source_ip\":\"192.0.2.0/24\","
		"\"first_seen\":\"2026-11-20\",\"contact\":\"cert@example.org\",\"severity\":\"high\","
		"\"sample_hash\":\"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\","
		"\"url\":\"https://example.org/x?y=1\",\"domain\":\"bad.example.net\",\"target\":\"2001:db8::1\"}}";
	static const struct {
		const char *body, *msg;
	} bad[] = {
		{ "x", "body: not JSON" },
		{ "[]", "body: not a JSON object" },
		{ "{\"fields\":{}}", "body: 'subject' is missing" },
		{ "{\"subject\":\"\"}", "body.subject: must be a string of 1 to 200" },
		{ "{\"subject\":\"s\",\"extra\":1}", "body: unknown key 'extra'" },
		{ "{\"subject\":\"s\",\"tlp\":\"purple\"}", "body.tlp" },
		{ "{\"subject\":\"s\",\"text\":5}", "body.text" },
		{ "{\"subject\":\"s\",\"fields\":[]}", "body.fields: not an object" },
		{ "{\"subject\":\"s\",\"fields\":{\"summary\":\"x\"}}", "field 'source_ip' is required for cyber-incident" },
		{ "{\"subject\":\"s\",\"fields\":{\"nope\":\"x\"}}", "field 'nope' is not in the charter for cyber-incident" },
		{ "{\"subject\":\"s\",\"fields\":{\"source_ip\":7}}", "field 'source_ip': must be a string" },
		{ "{\"subject\":\"s\",\"fields\":{\"source_ip\":\"192.0.2.300\"}}", "is not an IP address or prefix" },
		{ "{\"subject\":\"s\",\"fields\":{\"source_ip\":\"192.0.2.0/33\"}}", "is not an IP address or prefix" },
		{ "{\"subject\":\"s\",\"fields\":{\"first_seen\":\"2026-02-30\"}}", "is not a date YYYY-MM-DD" },
		{ "{\"subject\":\"s\",\"fields\":{\"severity\":\"huge\"}}", "'huge' is not one of the charter's values" },
		{ "{\"subject\":\"s\",\"fields\":{\"contact\":\"cert.example.org\"}}", "is not an e-mail address" },
		{ "{\"subject\":\"s\",\"fields\":{\"sample_hash\":\"abc\"}}", "is not an MD5, SHA-1, SHA-256 or SHA-512" },
		{ "{\"subject\":\"s\",\"fields\":{\"url\":\"ftp://x\"}}", "is not an http(s) URL" },
		{ "{\"subject\":\"s\",\"fields\":{\"domain\":\"-bad.example\"}}", "is not a domain name" },
		{ "{\"subject\":\"s\",\"fields\":{\"summary\":\"a\\u0001b\"}}", "control character" },
		{ "{\"subject\":\"s\",\"fields\":{\"summary\":\"a\\u0000b\"}}", "is not allowed" },
		{ "{\"subject\":\"s\",\"subject\":\"t\"}", "body: not JSON" },
	};
	struct charter *c = load("standard.json");
	const struct charter_type *t = charter_type(c, "cyber-incident");
	struct err e = { 0 };

	(void)state;
	tu_ok(charter_body_check(t, good, strlen(good), &e), &e);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = charter_body_check(t, bad[i].body, strlen(bad[i].body), &e);
		if (rc != ERR_INVALID)
			fail_msg("case %zu accepted: %s", i, bad[i].body);
		assert_msg_contains(&e, bad[i].msg);
	}
	/* ping has no fields: a subject is all it needs. */
	tu_ok(charter_body_check(charter_type(c, "ping"), "{\"subject\":\"ping\"}", 18, &e), &e);
	charter_free(c);
}

static void test_values(void **state)
{
	static const struct {
		enum field_kind k;
		const char *v;
		int ok;
	} cases[] = {
		{ FIELD_IP, "192.0.2.7", 1 }, { FIELD_IP, "192.0.2.0/24", 1 }, { FIELD_IP, "0.0.0.0/0", 1 },
		{ FIELD_IP, "2001:db8::/32", 1 }, { FIELD_IP, "::1", 1 }, { FIELD_IP, "2001:db8::/129", 0 },
		{ FIELD_IP, "192.0.2.7/", 0 }, { FIELD_IP, "192.0.2.7/08", 0 }, { FIELD_IP, "192.0.2", 0 },
		{ FIELD_IP, "host.example", 0 }, { FIELD_IP, "/24", 0 },
		{ FIELD_DOMAIN, "example.org", 1 }, { FIELD_DOMAIN, "xn--e1afmkfd.xn--p1ai", 1 },
		{ FIELD_DOMAIN, "Example.ORG", 1 }, { FIELD_DOMAIN, "localhost", 0 },
		{ FIELD_DOMAIN, "a..b", 0 }, { FIELD_DOMAIN, "a-.b", 0 }, { FIELD_DOMAIN, "a_b.c", 0 },
		{ FIELD_DOMAIN, "example.org.", 0 },
		{ FIELD_HASH, "d41d8cd98f00b204e9800998ecf8427e", 1 },
		{ FIELD_HASH, "da39a3ee5e6b4b0d3255bfef95601890afd80709", 1 },
		{ FIELD_HASH, "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", 1 },
		{ FIELD_HASH, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", 0 },
		{ FIELD_HASH, "zz1d8cd98f00b204e9800998ecf8427e", 0 },
		{ FIELD_EMAIL, "cert@example.org", 1 }, { FIELD_EMAIL, "a.b+c@mail.example.org", 1 },
		{ FIELD_EMAIL, "@example.org", 0 }, { FIELD_EMAIL, "a@b@example.org", 0 },
		{ FIELD_EMAIL, "a b@example.org", 0 }, { FIELD_EMAIL, "a@localhost", 0 },
		{ FIELD_URL, "https://example.org", 1 }, { FIELD_URL, "http://192.0.2.7:8080/a?b=c", 1 },
		{ FIELD_URL, "https://", 0 }, { FIELD_URL, "https:///x", 0 }, { FIELD_URL, "javascript:alert(1)", 0 },
		{ FIELD_URL, "https://exa mple.org", 0 },
		{ FIELD_DATE, "2024-02-29", 1 }, { FIELD_DATE, "2023-02-29", 0 }, { FIELD_DATE, "2024-2-29", 0 },
		{ FIELD_DATE, "2024-02-29T00:00:00Z", 0 },
		{ FIELD_PERSON, "Иван Петров", 1 }, { FIELD_TEXT, "line one\nline two", 1 },
		{ FIELD_PERSON, "a\nb", 0 }, { FIELD_TEXT, "", 0 },
	};
	struct err e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct charter_field f = { .kind = cases[i].k };
		int rc;

		snprintf(f.name, sizeof(f.name), "f");
		rc = charter_value_check(&f, cases[i].v, &e);
		if ((rc == 0) != cases[i].ok)
			fail_msg("%s '%s': %s", charter_kind_name(cases[i].k), cases[i].v,
				 rc == 0 ? "accepted" : e.msg);
	}
}

static void test_durations(void **state)
{
	int64_t s;

	(void)state;
	assert_int_equal(charter_duration("90m", &s), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(charter_duration("8h", &s), 0);
	assert_int_equal(s, 28800);
	assert_int_equal(charter_duration("2w", &s), 0);
	assert_int_equal(s, 1209600);
	assert_int_equal(charter_duration("1y", &s), -1);
	assert_int_equal(charter_duration("h", &s), -1);
	assert_int_equal(charter_duration("0d", &s), -1);
	assert_int_equal(charter_duration("-1d", &s), -1);
	assert_int_equal(charter_duration("1.5d", &s), -1);
	assert_int_equal(charter_duration("1234567d", &s), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_charter_refusals),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_durations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
