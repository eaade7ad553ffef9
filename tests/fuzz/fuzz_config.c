/* fuzz_config.c — libFuzzer harness for config_parse. A configuration that
 * parses must survive config_format and config_parse unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c, again;
	struct err e = { 0 };
	char buf[CONFIG_MAX];
	size_t len = 0;

	if (config_parse(&c, (const char *)data, size, "fuzz.conf", &e) != 0)
		return 0;
	if (config_format(&c, buf, sizeof(buf), &len, &e) != 0) {
		fprintf(stderr, "parsed configuration does not format: %s\n", e.msg);
		abort();
	}
	if (config_parse(&again, buf, len, "formatted.conf", &e) != 0) {
		fprintf(stderr, "formatted configuration does not parse: %s\n%.*s",
			e.msg, (int)len, buf);
		abort();
	}
	if (strcmp(c.name, again.name) != 0 || strcmp(c.store, again.store) != 0) {
		fprintf(stderr, "round trip changed the configuration:\n%.*s", (int)len,
			buf);
		abort();
	}
	return 0;
}
