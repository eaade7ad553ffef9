/* fuzz_key.c — libFuzzer harness for note_key_parse and note_signer_parse.
 * A key string that parses must encode back to the same string, except that
 * the hex key id is written in lower case (upper case is accepted). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input with its 8 key-id digits (after the first '+' following skip
 * bytes) in lower case, as the encoders write them. */
static void normalise(char *s, size_t len, size_t skip)
{
	const char *plus = memchr(s + skip, '+', len - skip);
	size_t at;

	if (!plus || (at = (size_t)(plus - s) + 1) + 8 > len)
		abort(); /* a parsed key always has name+id+ */
	for (size_t i = at; i < at + 8; i++)
		if (s[i] >= 'A' && s[i] <= 'F')
			s[i] = (char)(s[i] - 'A' + 'a');
}

static void check_same(const char *what, const char *in, size_t size,
		       const char *out)
{
	if (strlen(out) != size || memcmp(out, in, size) != 0) {
		fprintf(stderr, "%s: encode(parse(x)) != x:\n%.*s\n%s\n", what,
			(int)size, in, out);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "PRIVATE+KEY+";
	const char *str = (const char *)data;
	char want[NOTE_KEY_STR_MAX], out[2 * NOTE_KEY_STR_MAX];
	struct note_key k;
	struct note_signer s;
	struct err e = { 0 };
	int kok, sok;

	/* Parse the fuzzer's own buffer, so that a read past its end shows. */
	kok = note_key_parse(&k, str, size, &e) == 0;
	sok = note_signer_parse(&s, str, size, &e) == 0;
	if (size > NOTE_KEY_STR_MAX) {
		if (kok || sok)
			abort(); /* over the documented limit */
		return 0;
	}

	if (kok) {
		if (note_key_encode(&k, out, sizeof(out), &e) != 0) {
			fprintf(stderr, "parsed key does not encode: %s\n", e.msg);
			abort();
		}
		memcpy(want, data, size);
		normalise(want, size, 0);
		check_same("verifier key", want, size, out);
	}

	if (sok) {
		if (note_signer_encode(&s, out, sizeof(out), &e) != 0) {
			fprintf(stderr, "parsed signer does not encode: %s\n", e.msg);
			abort();
		}
		memcpy(want, data, size);
		normalise(want, size, sizeof(prefix) - 1);
		check_same("signer key", want, size, out);
		/* the signer's public half is a valid verifier key */
		if (note_key_encode(&s.pub, out, sizeof(out), &e) != 0 ||
		    note_key_parse(&k, out, strlen(out), &e) != 0 ||
		    k.id != s.pub.id || memcmp(k.pk, s.pub.pk, 32) != 0) {
			fprintf(stderr, "signer's verifier key: %s\n", e.msg);
			abort();
		}
		note_signer_wipe(&s);
	}
	return 0;
}
