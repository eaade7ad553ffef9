/* b64.c — see b64.h. */
#include "util/b64.h"

#include <stdlib.h>

#include <sodium.h>

int b64_decode(uint8_t *out, size_t cap, const char *s, size_t len, size_t *got)
{
	const char *end;

	*got = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
			return -1;
	}
	if (len && (sodium_base642bin(out, cap, s, len, NULL, got, &end,
				      sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + len))
		return -1;
	return 0;
}

int b64_dup(const char *s, size_t len, size_t max, uint8_t **out, size_t *got)
{
	size_t cap = len / 4 * 3 + 3;

	*out = NULL;
	if (len / 4 * 3 > max + 3)
		return B64_TOOBIG;
	if (!(*out = malloc(cap)))
		return B64_NOMEM;
	if (b64_decode(*out, cap, s, len, got) < 0) {
		free(*out);
		*out = NULL;
		return B64_BAD;
	}
	return 0;
}
