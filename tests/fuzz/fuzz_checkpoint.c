/* fuzz_checkpoint.c — libFuzzer harness for checkpoint_parse. A checkpoint
 * without extension lines that parses must encode back to the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct checkpoint c;
	struct err e = { 0 };
	char buf[CHECKPOINT_ORIGIN_MAX + 128];
	size_t len = 0;

	if (checkpoint_parse(&c, (const char *)data, size, &e) != 0)
		return 0;
	if (strlen(c.origin) == 0 || strlen(c.origin) > CHECKPOINT_ORIGIN_MAX) {
		fprintf(stderr, "parsed checkpoint has origin of %zu bytes\n",
			strlen(c.origin));
		abort();
	}
	if (c.nextensions > 0)
		return 0;
	if (checkpoint_encode(&c, buf, sizeof(buf), &len, &e) != 0) {
		fprintf(stderr, "parsed checkpoint does not encode: %s\n", e.msg);
		abort();
	}
	if (len != size || memcmp(buf, data, size) != 0) {
		fprintf(stderr, "encode(parse(x)) != x:\n%.*s\n", (int)len, buf);
		abort();
	}
	return 0;
}
