/* test_config.c — parley.conf: what config_format writes parses back, the
 * forms a person may type (comments, blank lines, spaces around '='), and
 * every refusal, each naming the file and line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "node/config.h"

#define PATH "/etc/parley/parley.conf"

static void parse_ok(struct config *c, const char *text)
{
	struct err e = { 0 };
	int rc = config_parse(c, text, strlen(text), PATH, &e);

	if (rc != 0)
		fail_msg("refused (%d: %s):\n%s", rc, e.msg, text);
}

static void test_format_round_trip(void **state)
{
	struct config c, got;
	struct err e = { 0 };
	char buf[CONFIG_MAX];
	size_t len = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	strcpy(c.name, "ministry-a.example");
	strcpy(c.store, "sqlite:/var/lib/parley/parley.db");
	strcpy(c.listen, "0.0.0.0:7443");
	strcpy(c.endpoint, "https://parley.ministry-a.example:7443");
	assert_int_equal(config_format(&c, buf, sizeof(buf), &len, &e), 0);
	assert_int_equal(len, strlen(buf));
	assert_string_equal(buf,
			    "# parley node configuration (parley.conf(5))\n"
			    "name = ministry-a.example\n"
			    "store = sqlite:/var/lib/parley/parley.db\n"
			    "# the peer API (mutual TLS): where parley serve listens,\n"
			    "# and the URL peers use to reach it\n"
			    "listen = 0.0.0.0:7443\n"
			    "endpoint = https://parley.ministry-a.example:7443\n");
	assert_int_equal(config_parse(&got, buf, len, PATH, &e), 0);
	assert_string_equal(got.name, c.name);
	assert_string_equal(got.store, c.store);
	assert_string_equal(got.listen, c.listen);
	assert_string_equal(got.endpoint, c.endpoint);
	strcpy(c.listen, "127.0.0.1:1");
	strcpy(c.endpoint, "https://127.0.0.1:1");

	/* the longest name and store value round-trip too */
	memset(c.name, 'n', 128);
	c.name[128] = '\0';
	memset(c.store, 's', CONFIG_VALUE_MAX - 1);
	c.store[CONFIG_VALUE_MAX - 1] = '\0';
	assert_int_equal(config_format(&c, buf, sizeof(buf), &len, &e), 0);
	assert_int_equal(config_parse(&got, buf, len, PATH, &e), 0);
	assert_string_equal(got.name, c.name);
	assert_string_equal(got.store, c.store);
}

static void test_format_too_big(void **state)
{
	struct config c;
	struct err e = { 0 };
	char buf[64];
	size_t len = 7;

	(void)state;
	memset(&c, 0, sizeof(c));
	strcpy(c.name, "ministry-a.example");
	strcpy(c.store, "sqlite:parley.db");
	assert_int_equal(config_format(&c, buf, sizeof(buf), &len, &e), ERR_TOOBIG);
	assert_msg_contains(&e, "configuration too long");
	assert_int_equal(len, 7);
}

static void test_default_store(void **state)
{
	struct config c;

	(void)state;
	parse_ok(&c, "name = a.example\n");
	assert_string_equal(c.name, "a.example");
	assert_string_equal(c.store, "sqlite:parley.db");
}

static void test_forms_people_type(void **state)
{
	static const char *const texts[] = {
		/* comments and blank lines anywhere */
		"# parley.conf\n\n# the party\nname = b.example\n\n\n# store\nstore = sqlite:x.db\n# end\n",
		/* no spaces around '=' */
		"name=b.example\nstore=sqlite:x.db\n",
		/* many spaces and tabs around key, '=' and value */
		"   name   =   b.example   \n\tstore\t=\tsqlite:x.db\t\n",
		/* indented comment, blank lines of white space */
		"  # comment\n \t \nname = b.example\n  \nstore = sqlite:x.db\n",
		/* no final newline */
		"store = sqlite:x.db\nname = b.example",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct config c;

		parse_ok(&c, texts[i]);
		assert_string_equal(c.name, "b.example");
		assert_string_equal(c.store, "sqlite:x.db");
	}
}

static void test_value_kept_verbatim(void **state)
{
	struct config c;

	(void)state;
	parse_ok(&c, "name = b.example\nstore = postgresql://u@h/db?a=b#frag  x\n");
	assert_string_equal(c.store, "postgresql://u@h/db?a=b#frag  x");
}

struct bad {
	const char *what;
	const char *text;
	const char *expect;
};

static const struct bad bads[] = {
	{ "unknown key", "name = a.example\nnmae = b.example\n",
	  PATH ":2: unknown key 'nmae'" },
	{ "unknown key before name", "# c\nport = 443\nname = a.example\n",
	  PATH ":2: unknown key 'port'" },
	{ "upper-case key", "Name = a.example\n", PATH ":1: unknown key 'Name'" },
	{ "empty key", "name = a.example\n= x\n", PATH ":2: unknown key ''" },
	{ "repeated name", "name = a.example\nstore = s\n\nname = a.example\n",
	  PATH ":4: 'name' given twice" },
	{ "repeated store", "store = s\nname = a.example\nstore = t\n",
	  PATH ":3: 'store' given twice" },
	{ "missing '='", "# c\nname a.example\n", PATH ":2: expected \"key = value\"" },
	{ "missing '=' and value", "name = a.example\nstore\n",
	  PATH ":2: expected \"key = value\"" },
	{ "empty name value", "name =\n", PATH ":1: value is empty or longer than 1023 bytes" },
	{ "blank store value", "name = a.example\nstore = \t \n",
	  PATH ":2: value is empty or longer than 1023 bytes" },
	{ "upper-case name", "name = Ministry-a.example\n",
	  PATH ":1: name must be 1-128 of a-z 0-9 . -" },
	{ "name with a space", "name = ministry a\n", PATH ":1: name must be" },
	{ "name with trailing dash", "name = a-\n", PATH ":1: name must be" },
	{ "name with an inline comment", "name = a.example # ours\n",
	  PATH ":1: name must be" },
	{ "missing name", "# c\nstore = sqlite:x.db\n", PATH ": 'name' is missing" },
	{ "empty file", "", PATH ": 'name' is missing" },
	{ "only comments", "# name = a.example\n", PATH ": 'name' is missing" },
	{ "control character", "name = a.example\nstore = x\x01y\n",
	  PATH ":2: control character" },
	{ "escape in a comment", "#\x1b[2J\nname = a.example\n", PATH ":1: control character" },
	{ "CRLF line end", "name = a.example\r\n", PATH ":1: control character" },
	{ "vertical tab", "name = a.example\n\vstore = x\n", PATH ":2: control character" },
};

static void test_refusals(void **state)
{
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct config c;
		struct err e = { 0 };
		int rc = config_parse(&c, bads[i].text, strlen(bads[i].text), PATH, &e);

		if (rc != ERR_INVALID || !strstr(e.msg, bads[i].expect)) {
			print_error("%s: rc %d, message \"%s\", expected %d and \"%s\"\n",
				    bads[i].what, rc, e.msg, ERR_INVALID, bads[i].expect);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* A NUL byte inside the text is a control character, not the end. */
static void test_nul_byte(void **state)
{
	static const char text[] = "name = a.example\nstore = x\0y\n";
	struct config c;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(config_parse(&c, text, sizeof(text) - 1, PATH, &e), ERR_INVALID);
	assert_msg_contains(&e, PATH ":2: control character");
}

/* Limits: the whole file (CONFIG_MAX) and one value (CONFIG_VALUE_MAX - 1). */
static void test_limits(void **state)
{
	static const char head[] = "name = a.example\n#";
	char *text = malloc(CONFIG_MAX + 2);
	struct config c;
	struct err e = { 0 };
	size_t n;

	(void)state;
	assert_non_null(text);
	/* a file of exactly CONFIG_MAX bytes (a long comment) is accepted */
	memcpy(text, head, sizeof(head) - 1);
	memset(text + sizeof(head) - 1, 'x', CONFIG_MAX - sizeof(head) + 1);
	text[CONFIG_MAX - 1] = '\n';
	assert_int_equal(config_parse(&c, text, CONFIG_MAX, PATH, &e), 0);
	assert_string_equal(c.name, "a.example");
	/* one byte more is not */
	text[CONFIG_MAX - 1] = 'x';
	text[CONFIG_MAX] = '\n';
	assert_int_equal(config_parse(&c, text, CONFIG_MAX + 1, PATH, &e), ERR_INVALID);
	assert_msg_contains(&e, PATH ": longer than 16384 bytes");

	/* a store value of CONFIG_VALUE_MAX - 1 bytes is accepted ... */
	n = (size_t)snprintf(text, CONFIG_MAX, "name = a.example\nstore = ");
	memset(text + n, 'v', CONFIG_VALUE_MAX - 1);
	text[n + CONFIG_VALUE_MAX - 1] = '\n';
	assert_int_equal(config_parse(&c, text, n + CONFIG_VALUE_MAX, PATH, &e), 0);
	assert_int_equal(strlen(c.store), CONFIG_VALUE_MAX - 1);
	/* ... one more is not */
	text[n + CONFIG_VALUE_MAX - 1] = 'v';
	text[n + CONFIG_VALUE_MAX] = '\n';
	assert_int_equal(config_parse(&c, text, n + CONFIG_VALUE_MAX + 1, PATH, &e),
			 ERR_INVALID);
	assert_msg_contains(&e, PATH ":2: value is empty or longer than 1023 bytes");
	free(text);
}

/* listen defaults to loopback, endpoint follows listen unless given. */
static void test_listen_and_endpoint(void **state)
{
	struct config c;
	struct err e = { 0 };
	char host[64];
	unsigned port;
	static const char *const bad[] = {
		"listen = 127.0.0.1\n", "listen = 127.0.0.1:\n", "listen = :80\n",
		"listen = 127.0.0.1:65536\n", "listen = 127.0.0.1:8x\n",
		"listen = [::1\n", "endpoint = http://a:1\n", "endpoint = a:1\n",
	};

	(void)state;
	assert_int_equal(config_parse(&c, "name = a\n", 9, PATH, &e), 0);
	assert_string_equal(c.listen, "127.0.0.1:7443");
	assert_string_equal(c.endpoint, "https://127.0.0.1:7443");
	assert_int_equal(config_parse(&c, "name = a\nlisten = [::1]:9000\n", 28, PATH, &e), 0);
	assert_string_equal(c.endpoint, "https://[::1]:9000");
	assert_int_equal(config_listen_split(c.listen, host, sizeof(host), &port, &e), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 9000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		int n = snprintf(text, sizeof(text), "name = a\n%s", bad[i]);
		if (config_parse(&c, text, (size_t)n, PATH, &e) != ERR_INVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_msg_contains(&e, PATH ":2:");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_listen_and_endpoint),
		cmocka_unit_test(test_format_too_big),
		cmocka_unit_test(test_default_store),
		cmocka_unit_test(test_forms_people_type),
		cmocka_unit_test(test_value_kept_verbatim),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
