/* test_keyann.c — key announcements and key chains (core/keyann): round
 * trips, every way an announcement can be wrong (tampered text, a missing,
 * extra or forged signature, non-canonical bytes), and the chain's rules
 * for which key signs which checkpoint size and cosigns at which time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/keyann.h"

static struct note_signer k0, k1, k2, other;

static int setup(void **state)
{
	struct err e;

	(void)state;
	if (note_keygen(&k0, "a.example", &e) < 0 || note_keygen(&k1, "a.example", &e) < 0 ||
	    note_keygen(&k2, "a.example", &e) < 0 || note_keygen(&other, "b.example", &e) < 0)
		return -1;
	return 0;
}

static size_t make(char *buf, const struct note_signer *old, const struct note_signer *new, int64_t t)
{
	struct err e = { 0 };
	size_t len = 0;

	assert_int_equal(keyann_make(buf, KEYANN_MAX, &len, old, new, t, &e), 0);
	return len;
}

static void test_round_trip(void **state)
{
	char buf[KEYANN_MAX];
	struct keyann a;
	struct err e = { 0 };
	size_t len = make(buf, &k0, &k1, 1795000000);

	(void)state;
	assert_int_equal(keyann_parse(&a, buf, len, &e), 0);
	assert_true(keyann_key_equal(&a.old, &k0.pub));
	assert_true(keyann_key_equal(&a.new, &k1.pub));
	assert_false(keyann_key_equal(&a.old, &a.new));
	assert_int_equal(a.time, 1795000000);
	assert_memory_equal(buf, "parley-key/1\nold a.example+", 27);
}

static void test_refused_to_make(void **state)
{
	char buf[KEYANN_MAX];
	struct err e = { 0 };
	size_t len;

	(void)state;
	assert_int_equal(keyann_make(buf, sizeof(buf), &len, &k0, &other, 0, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "old key is for 'a.example', new key for 'b.example'"));
	assert_int_equal(keyann_make(buf, sizeof(buf), &len, &k0, &k0, 0, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "the new key is the old key"));
	assert_int_equal(keyann_make(buf, 100, &len, &k0, &k1, 0, &e), ERR_TOOBIG);
}

/* Every single-byte change of an announcement is refused. */
static void test_every_byte_matters(void **state)
{
	char buf[KEYANN_MAX];
	struct keyann a;
	struct err e;
	size_t len = make(buf, &k0, &k1, 1795000000);

	(void)state;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		buf[i] = c == 'A' ? 'B' : 'A';
		if (keyann_parse(&a, buf, len, &e) == 0)
			fail_msg("byte %zu changed, still accepted", i);
		buf[i] = c;
	}
	assert_int_equal(keyann_parse(&a, buf, len, &e), 0);
	assert_int_not_equal(keyann_parse(&a, buf, len - 1, &e), 0);
}

/* Text + blank line + the given signers' lines. */
static size_t sign_text(char *buf, const char *text, const struct note_signer *const *by, size_t n)
{
	struct err e = { 0 };
	size_t tl = strlen(text), len;

	memcpy(buf, text, tl);
	buf[tl] = '\n';
	len = tl + 1;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(note_sign_line(buf, KEYANN_MAX, &len, buf, tl, by[i], &e), 0);
	return len;
}

static void test_signatures(void **state)
{
	char buf[KEYANN_MAX], text[KEYANN_MAX], ok[NOTE_KEY_STR_MAX], nk[NOTE_KEY_STR_MAX];
	const struct note_signer *only_old[] = { &k0 }, *forged[] = { &k2, &k1 },
				 *three[] = { &k0, &k1, &k2 }, *both[] = { &k0, &k1 };
	struct keyann a;
	struct err e = { 0 };
	size_t len;

	(void)state;
	assert_int_equal(note_key_encode(&k0.pub, ok, sizeof(ok), &e), 0);
	assert_int_equal(note_key_encode(&k1.pub, nk, sizeof(nk), &e), 0);
	snprintf(text, sizeof(text), "parley-key/1\nold %s\nnew %s\ntime 2026-11-22T14:00:00Z\n", ok, nk);
	len = sign_text(buf, text, both, 2);
	assert_int_equal(keyann_parse(&a, buf, len, &e), 0);
	/* Without the new key's signature: no proof of possession. */
	len = sign_text(buf, text, only_old, 1);
	assert_int_equal(keyann_parse(&a, buf, len, &e), ERR_SIGNATURE);
	assert_non_null(strstr(e.msg, "needs exactly two signatures"));
	/* Naming k0 as old but signed by another key of the same name. */
	len = sign_text(buf, text, forged, 2);
	assert_int_equal(keyann_parse(&a, buf, len, &e), ERR_SIGNATURE);
	/* A third signature is not ignored. */
	len = sign_text(buf, text, three, 3);
	assert_int_equal(keyann_parse(&a, buf, len, &e), ERR_SIGNATURE);
	/* Not canonical: a trailing space, a lower-case header. */
	snprintf(text, sizeof(text), "parley-key/1\nold %s\nnew %s\ntime 2026-11-22T14:00:00Z \n", ok, nk);
	len = sign_text(buf, text, both, 2);
	assert_int_equal(keyann_parse(&a, buf, len, &e), ERR_INVALID);
	snprintf(text, sizeof(text), "parley-key/2\nold %s\nnew %s\ntime 2026-11-22T14:00:00Z\n", ok, nk);
	len = sign_text(buf, text, both, 2);
	assert_int_equal(keyann_parse(&a, buf, len, &e), ERR_INVALID);
	snprintf(text, sizeof(text), "parley-key/1\nnew %s\nold %s\ntime 2026-11-22T14:00:00Z\n", nk, ok);
	len = sign_text(buf, text, both, 2);
	assert_int_equal(keyann_parse(&a, buf, len, &e), ERR_INVALID);
}

static struct keyann ann(const struct note_signer *old, const struct note_signer *new, int64_t t)
{
	char buf[KEYANN_MAX];
	struct keyann a;
	struct err e = { 0 };
	size_t len = make(buf, old, new, t);

	assert_int_equal(keyann_parse(&a, buf, len, &e), 0);
	return a;
}

static void test_chain(void **state)
{
	struct keyann_chain *c = malloc(sizeof(*c));
	struct keyann a01 = ann(&k0, &k1, 1000), a12 = ann(&k1, &k2, 2000), a02 = ann(&k0, &k2, 3000);
	struct err e = { 0 };

	(void)state;
	assert_non_null(c);
	keyann_chain_init(c, &k0.pub);
	assert_true(keyann_key_equal(keyann_chain_at(c, 100), &k0.pub));
	assert_int_equal(keyann_chain_add(c, &a01, 5, "parley/a.example/b.example", &e), 0);
	/* Entry 5 announces k1: sizes up to 5 are k0's, from 6 on k1's. */
	assert_true(keyann_key_equal(keyann_chain_at(c, 5), &k0.pub));
	assert_true(keyann_key_equal(keyann_chain_at(c, 6), &k1.pub));
	assert_int_equal(keyann_chain_signer_ok(c, 0, 5, "o", &e), 0);
	assert_int_equal(keyann_chain_signer_ok(c, 1, 6, "o", &e), 0);
	assert_int_equal(keyann_chain_signer_ok(c, 1, 5, "o", &e), ERR_VERIFY);
	assert_non_null(strstr(e.msg, "before its announcement at entry 5"));
	assert_int_equal(keyann_chain_signer_ok(c, 0, 6, "o", &e), ERR_VERIFY);
	assert_non_null(strstr(e.msg, "which entry 5 replaced"));
	/* k0 may no longer announce: its successor must. */
	assert_int_equal(keyann_chain_add(c, &a02, 9, "parley/a.example/b.example", &e), ERR_SIGNATURE);
	assert_non_null(strstr(e.msg, "parley/a.example/b.example entry 9: key announcement is not signed by the previous key of a.example"));
	assert_int_equal(keyann_chain_add(c, &a12, 5, "o", &e), ERR_INVALID);
	assert_int_equal(keyann_chain_add(c, &a12, 9, "o", &e), 0);
	assert_int_equal(c->n, 3);
	assert_int_equal(keyann_chain_find(c, &k2.pub), 2);
	assert_int_equal(keyann_chain_find(c, &other.pub), -1);
	/* Cosigning periods: k0 until 1000, k1 from 1000 to 2000, k2 from 2000. */
	assert_true(keyann_chain_cosig_ok(c, 0, 1));
	assert_true(keyann_chain_cosig_ok(c, 0, 1000));
	assert_false(keyann_chain_cosig_ok(c, 0, 1001));
	assert_false(keyann_chain_cosig_ok(c, 1, 999));
	assert_true(keyann_chain_cosig_ok(c, 1, 1500));
	assert_false(keyann_chain_cosig_ok(c, 1, 2001));
	assert_true(keyann_chain_cosig_ok(c, 2, 99999));
	assert_false(keyann_chain_cosig_ok(c, 3, 99999));
	/* An empty chain starts at the first announcement's old key. */
	keyann_chain_init(c, NULL);
	assert_null(keyann_chain_at(c, 1));
	assert_int_equal(keyann_chain_add(c, &a12, 3, "o", &e), 0);
	assert_true(keyann_key_equal(keyann_chain_at(c, 3), &k1.pub));
	assert_true(keyann_key_equal(keyann_chain_last(c), &k2.pub));
	free(c);
}

static void test_chain_cap(void **state)
{
	struct keyann_chain *c = malloc(sizeof(*c));
	struct keyann a01 = ann(&k0, &k1, 1), a10 = ann(&k1, &k0, 2);
	struct err e = { 0 };
	uint64_t i;

	(void)state;
	assert_non_null(c);
	keyann_chain_init(c, &k0.pub);
	for (i = 1; i < KEYANN_CHAIN_MAX; i++)
		assert_int_equal(keyann_chain_add(c, i % 2 ? &a01 : &a10, i, "o", &e), 0);
	assert_int_equal(keyann_chain_add(c, i % 2 ? &a01 : &a10, i, "o", &e), ERR_TOOBIG);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused_to_make),
		cmocka_unit_test(test_every_byte_matters),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_chain_cap),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
