/* fuzz_body.c — libFuzzer harness for charter_body_attachments, checked
 * against charter_body_check (fuzz_charter.c covers charter_body_check
 * alone): a body that passes the check must name, through
 * charter_body_attachments, exactly the attachments its JSON holds, in
 * order, as the harness reads them with jansson itself; a smaller max must
 * give the same prefix or a clean refusal. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/charter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed[] =
	"{\"charter\":\"parley-charter/1\",\"title\":\"t\",\"types\":{\"x\":{\"title\":\"x\","
	"\"tlp\":\"amber\",\"ack_within\":\"8h\",\"answer_within\":\"30d\",\"fields\":["
	"{\"name\":\"source_ip\",\"kind\":\"ip\",\"required\":true},"
	"{\"name\":\"h\",\"kind\":\"hash\"},{\"name\":\"t\",\"kind\":\"text\"},"
	"{\"name\":\"k\",\"kind\":\"enum\",\"values\":[\"low\",\"high\"]}]}}}";

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The attachments of a body that passed charter_body_check, read with
 * jansson directly: their count into *n, their hashes into want. */
static void expected(const uint8_t *data, size_t size,
		     uint8_t want[CHARTER_MAX_ATTACHMENTS][32], size_t *n)
{
	json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	json_t *a = json_object_get(o, "attachments");

	*n = 0;
	if (!o)
		abort(); /* charter_body_check accepted it */
	if (a && (!json_is_array(a) || json_array_size(a) > CHARTER_MAX_ATTACHMENTS))
		abort();
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		const char *h = json_string_value(
			json_object_get(json_array_get(a, i), "sha256"));

		if (!h || strlen(h) != 64)
			abort();
		for (size_t j = 0; j < 32; j++) {
			int hi = hexval(h[2 * j]), lo = hexval(h[2 * j + 1]);

			if (hi < 0 || lo < 0)
				abort();
			want[i][j] = (uint8_t)(hi << 4 | lo);
		}
		(*n)++;
	}
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct charter *base;
	uint8_t got[CHARTER_MAX_ATTACHMENTS][32], want[CHARTER_MAX_ATTACHMENTS][32];
	uint8_t part[CHARTER_MAX_ATTACHMENTS][32];
	struct err e = { 0 };
	size_t n = 99, nwant = 0, npart = 99, max;
	int rc, checked;

	if (!base && charter_parse(&base, fixed, sizeof(fixed) - 1, &e) != 0) {
		fprintf(stderr, "the fixed charter does not parse: %s\n", e.msg);
		abort();
	}
	checked = charter_body_check(&base->types[0], (const char *)data, size, &e) == 0;
	rc = charter_body_attachments((const char *)data, size, got,
				      CHARTER_MAX_ATTACHMENTS, &n, &e);
	if (n > CHARTER_MAX_ATTACHMENTS)
		abort();
	if (checked) {
		expected(data, size, want, &nwant);
		if (rc != 0 || n != nwant || memcmp(got, want, n * sizeof(got[0])) != 0) {
			fprintf(stderr, "a checked body names %zu attachments, "
				"charter_body_attachments gave %zu (rc %d: %s)\n",
				nwant, n, rc, rc ? e.msg : "");
			abort();
		}
	}
	/* A smaller limit: the same hashes if they fit, else a refusal. */
	max = size % (CHARTER_MAX_ATTACHMENTS + 1);
	rc = charter_body_attachments((const char *)data, size, part, max, &npart, &e);
	if (npart > max)
		abort();
	if (checked && nwant <= max &&
	    (rc != 0 || npart != nwant || memcmp(part, want, npart * sizeof(part[0])) != 0))
		abort();
	if (checked && nwant > max && rc == 0)
		abort();
	return 0;
}
