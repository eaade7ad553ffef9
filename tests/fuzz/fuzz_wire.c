/* fuzz_wire.c — libFuzzer harness for the peer API's batch JSON decoder.
 * A batch that decodes must encode and decode again to the same batch. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct node_batch *a, const struct node_batch *b)
{
	int ok = strcmp(a->origin, b->origin) == 0 && a->first == b->first &&
		 a->n == b->n && a->note_len == b->note_len &&
		 memcmp(a->note, b->note, a->note_len) == 0;

	for (size_t i = 0; ok && i < a->n; i++)
		ok = a->entries[i].len == b->entries[i].len &&
		     memcmp(a->entries[i].envelope, b->entries[i].envelope, a->entries[i].len) == 0 &&
		     !a->entries[i].body == !b->entries[i].body &&
		     a->entries[i].body_len == b->entries[i].body_len &&
		     (!a->entries[i].body ||
		      memcmp(a->entries[i].body, b->entries[i].body, a->entries[i].body_len) == 0);
	if (!ok) {
		fprintf(stderr, "decode(encode(decode(x))) != decode(x)\n");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node_batch a, b;
	struct err e = { 0 };
	char *json;
	size_t len;

	if (wire_batch_decode(&a, (const char *)data, size, &e) != 0)
		return 0;
	if (wire_batch_encode(&a, &json, &len, &e) != 0 ||
	    wire_batch_decode(&b, json, len, &e) != 0) {
		fprintf(stderr, "a decoded batch does not round-trip: %s\n", e.msg);
		abort();
	}
	same(&a, &b);
	free(json);
	node_batch_free(&a);
	node_batch_free(&b);
	return 0;
}
