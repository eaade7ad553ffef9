/* fuzz_charter.c — libFuzzer harness for charter_parse and
 * charter_body_check: the input is tried as a charter, and as a request
 * body against a fixed charter type with one field of every kind. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/charter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed[] =
	"{\"charter\":\"parley-charter/1\",\"title\":\"t\",\"types\":{\"x\":{\"title\":\"x\","
	"\"tlp\":\"green\",\"ack_within\":\"1d\",\"answer_within\":null,\"fields\":["
	"{\"name\":\"t\",\"kind\":\"text\"},{\"name\":\"d\",\"kind\":\"date\"},"
	"{\"name\":\"i\",\"kind\":\"ip\"},{\"name\":\"n\",\"kind\":\"domain\"},"
	"{\"name\":\"u\",\"kind\":\"url\"},{\"name\":\"h\",\"kind\":\"hash\"},"
	"{\"name\":\"e\",\"kind\":\"email\"},{\"name\":\"p\",\"kind\":\"person\"},"
	"{\"name\":\"k\",\"kind\":\"enum\",\"values\":[\"a\",\"b\"],\"required\":true}]}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct charter *base;
	struct charter *c = NULL;
	struct err e = { 0 };

	if (!base && charter_parse(&base, fixed, sizeof(fixed) - 1, &e) != 0) {
		fprintf(stderr, "the fixed charter does not parse: %s\n", e.msg);
		abort();
	}
	if (charter_parse(&c, (const char *)data, size, &e) == 0) {
		if (!c || c->ntypes == 0 || c->ntypes > CHARTER_MAX_TYPES) {
			fprintf(stderr, "a parsed charter has %zu types\n", c ? c->ntypes : 0);
			abort();
		}
		for (size_t i = 0; i < c->ntypes; i++)
			if (charter_type(c, c->types[i].name) != &c->types[i])
				abort();
		charter_free(c);
	}
	charter_body_check(&base->types[0], (const char *)data, size, &e);
	return 0;
}
