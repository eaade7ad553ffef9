/* fuzz_envelope.c — libFuzzer harness for envelope_parse. An envelope the
 * parser accepts must encode back to exactly the same bytes: the parser
 * accepts only canonical text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envelope env;
	struct err e = { 0 };
	char buf[ENVELOPE_MAX + 1];
	size_t len = 0;

	if (envelope_parse(&env, (const char *)data, size, &e) != 0)
		return 0;
	if (envelope_encode(&env, buf, sizeof(buf), &len, &e) != 0) {
		fprintf(stderr, "parsed envelope does not encode: %s\n", e.msg);
		abort();
	}
	if (len != size || memcmp(buf, data, size) != 0) {
		fprintf(stderr, "encode(parse(x)) != x:\n%.*s\n", (int)len, buf);
		abort();
	}
	return 0;
}
