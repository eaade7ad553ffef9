/* fuzz_keyann.c — libFuzzer harness for keyann_parse, the body of a log
 * entry of kind key: an accepted announcement names two different keys of
 * one party and starts a chain that its own announcement cannot extend
 * again (the old key is no longer the last). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/keyann.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct keyann_chain c;
	struct keyann a;
	struct err e = { 0 };

	if (keyann_parse(&a, (const char *)data, size, &e) != 0) {
		if (strncmp(e.msg, "key announcement", 16) != 0 && strcmp(e.msg, "out of memory") != 0) {
			fprintf(stderr, "refusal without the announcement named: \"%s\"\n", e.msg);
			abort();
		}
		return 0;
	}
	if (strcmp(a.old.name, a.new.name) != 0 || keyann_key_equal(&a.old, &a.new) ||
	    a.old.alg != NOTE_ALG_ED25519 || a.new.alg != NOTE_ALG_ED25519)
		abort();
	keyann_chain_init(&c, NULL);
	if (keyann_chain_add(&c, &a, 1, "o", &e) != 0 || c.n != 2 ||
	    !keyann_key_equal(keyann_chain_at(&c, 1), &a.old) ||
	    !keyann_key_equal(keyann_chain_at(&c, 2), &a.new) ||
	    keyann_chain_add(&c, &a, 2, "o", &e) != ERR_SIGNATURE)
		abort();
	return 0;
}
