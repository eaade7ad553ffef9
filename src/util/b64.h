/* b64.h — strict standard base64 (RFC 4648 with padding): only the
 * alphabet, all of the text consumed. Debian 12's libsodium 1.0.18 reads
 * bytes >= 0x80 as '/', so the alphabet is checked before it decodes. */
#ifndef PARLEY_B64_H
#define PARLEY_B64_H

#include <stddef.h>
#include <stdint.h>

/* Decodes s (len bytes, 0 allowed) into out (cap bytes); *got the decoded
 * length. Returns 0 or -1. */
int b64_decode(uint8_t *out, size_t cap, const char *s, size_t len, size_t *got);

#define B64_BAD (-1)
#define B64_TOOBIG (-2)
#define B64_NOMEM (-3)
/* The same into a malloc'd *out; B64_TOOBIG when the text is too long to
 * decode to max bytes or fewer (a cheap bound: the exact limit is the
 * caller's). Returns 0, B64_BAD, B64_TOOBIG or B64_NOMEM; *out is NULL
 * unless 0. */
int b64_dup(const char *s, size_t len, size_t max, uint8_t **out, size_t *got);

#endif
