/* vectors.h — helpers for the unit tests that read tests/vectors: the
 * directory (from $PARLEY_VECTORS), whole files, hex, and assertions that
 * print both values. Header-only `static inline` so that each test stays
 * one .c file (tests/meson.build) and unused helpers do not warn. */
#ifndef PARLEY_TEST_VECTORS_H
#define PARLEY_TEST_VECTORS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/merkle.h"
#include "util/err.h"

/* Full path of a file under the vectors directory, into buf. */
static inline void vec_path(char *buf, size_t cap, const char *rel)
{
	const char *dir = getenv("PARLEY_VECTORS");
	int n;

	if (!dir || !*dir)
		fail_msg("PARLEY_VECTORS is not set (run the test with meson test)");
	n = snprintf(buf, cap, "%s/%s", dir, rel);
	if (n < 0 || (size_t)n >= cap)
		fail_msg("vector path too long: %s/%s", dir, rel);
}

/* The whole file, NUL-terminated (malloc'd; the caller frees). */
static inline char *vec_read(const char *rel, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n = 0;

	vec_path(path, sizeof(path), rel);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		fail_msg("cannot size %s", path);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read %s", path);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return buf;
}

static inline int vec_hexdigit(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes len hex digits into out (cap bytes); fails the test on bad hex.
 * Returns the number of bytes. */
static inline size_t vec_unhex(uint8_t *out, size_t cap, const char *hex,
			       size_t len)
{
	if (len % 2 != 0 || len / 2 > cap)
		fail_msg("bad hex value (%zu digits, room for %zu bytes): %.*s",
			 len, cap, (int)(len > 80 ? 80 : len), hex);
	for (size_t i = 0; i < len / 2; i++) {
		int hi = vec_hexdigit(hex[2 * i]), lo = vec_hexdigit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			fail_msg("bad hex digit in %.*s",
				 (int)(len > 80 ? 80 : len), hex);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return len / 2;
}

/* Asserts two hashes are equal, printing both in hex if not. */
#define vec_hash_equal(got, want, ...)                                       \
	do {                                                                 \
		const uint8_t *g_ = (got), *w_ = (want);                     \
		if (memcmp(g_, w_, 32) != 0) {                               \
			char gh_[65], wh_[65], what_[256];                   \
			merkle_hex(gh_, g_);                                 \
			merkle_hex(wh_, w_);                                 \
			if (snprintf(what_, sizeof(what_), __VA_ARGS__) >=  \
			    (int)sizeof(what_))                              \
				what_[sizeof(what_) - 2] = '~';              \
			fail_msg("%s:\n  got  %s\n  want %s", what_, gh_,    \
				 wh_);                                       \
		}                                                            \
	} while (0)

/* Asserts an int-returning call gives want; prints the error otherwise. */
#define vec_rc(want, expr, e, ...)                                           \
	do {                                                                 \
		int rc_ = (expr), want_ = (want);                            \
		if (rc_ != want_) {                                          \
			char what_[512];                                     \
			if (snprintf(what_, sizeof(what_), __VA_ARGS__) >=  \
			    (int)sizeof(what_))                              \
				what_[sizeof(what_) - 2] = '~';              \
			fail_msg("%s: %s returned %d (%s), want %d (%s); "   \
				 "error: %s",                                \
				 what_, #expr, rc_, err_name(rc_), want_,    \
				 err_name(want_), (e)->msg);                 \
		}                                                            \
	} while (0)

/* One line for a vector that does not apply, so none is skipped silently. */
static inline void vec_na(const char *file, const char *name,
			  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void vec_na(const char *file, const char *name,
			  const char *fmt, ...)
{
	va_list ap;

	printf("n/a: %s %s: ", file, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#endif
