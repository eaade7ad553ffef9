/* fuzz_register.c — libFuzzer harness for register_csv_parse and
 * register_body_parse: the input is tried as a register CSV (every parsed
 * row must give a body that parses back to the same fields) and as an
 * entry body (an accepted body must be exactly what register_body writes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/register.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fields a body carries (type comes from the envelope). */
static int same_fields(const struct register_rec *a, const struct register_rec *b)
{
	return a->date == b->date && a->sent == b->sent && a->answered == b->answered &&
	       a->answered_on == b->answered_on && strcmp(a->ref, b->ref) == 0;
}

static void check_record(const struct register_rec *r, size_t row)
{
	struct register_rec back;
	struct err e = { 0 };
	size_t len = 0;
	char *body = register_body(r, &len, &e);

	if (!body) {
		fprintf(stderr, "record %zu: no body: %s\n", row, e.msg);
		abort();
	}
	if (strlen(body) != len || register_body_parse(body, len, &back, &e) != 0) {
		fprintf(stderr, "record %zu: body %s refused: %s\n", row, body, e.msg);
		abort();
	}
	if (!same_fields(r, &back)) {
		fprintf(stderr, "record %zu: body %s does not round-trip\n", row, body);
		abort();
	}
	if (r->answered_on && (!r->answered || r->answered_on < r->date)) {
		fprintf(stderr, "record %zu: answered_on out of place\n", row);
		abort();
	}
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct register_rec *recs = (struct register_rec *)1, r;
	struct err e = { 0 };
	size_t n = 1;

	if (register_csv_parse((const char *)data, size, &recs, &n, NULL, NULL, &e) == 0) {
		if (!recs || n == 0 || n > REGISTER_ROWS_MAX)
			abort();
		for (size_t i = 0; i < n; i++) {
			if (!envelope_type_valid(recs[i].type, strlen(recs[i].type)))
				abort();
			check_record(&recs[i], i);
		}
		free(recs);
	} else if (recs || n != 0 || strncmp(e.msg, "register", 8) != 0) {
		fprintf(stderr, "a refused CSV left %zu rows, message \"%s\"\n", n, e.msg);
		abort();
	}

	memset(&e, 0, sizeof(e));
	if (register_body_parse((const char *)data, size, &r, &e) == 0) {
		size_t len = 0;
		char *again = register_body(&r, &len, &e);

		/* Only canonical bytes are accepted. */
		if (!again || len != size || memcmp(again, data, size) != 0) {
			fprintf(stderr, "an accepted body is not what register_body writes\n");
			abort();
		}
		free(again);
	}
	return 0;
}
