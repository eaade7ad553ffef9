/* fuzz_wire.c — libFuzzer harness for the peer API's two batch decoders:
 * input starting with "parley-batch" goes to the packed one, anything
 * else to the JSON one. A batch that decodes must pack and unpack to the
 * same batch; one decoded from JSON must also encode and decode again to
 * the same batch. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct node_batch *a, const struct node_batch *b, const char *how)
{
	int ok = strcmp(a->origin, b->origin) == 0 && a->first == b->first &&
		 a->n == b->n && a->note_len == b->note_len &&
		 memcmp(a->note, b->note, a->note_len) == 0 && a->nblobs == b->nblobs;

	for (size_t i = 0; ok && i < a->n; i++)
		ok = a->entries[i].len == b->entries[i].len &&
		     memcmp(a->entries[i].envelope, b->entries[i].envelope, a->entries[i].len) == 0 &&
		     !a->entries[i].body == !b->entries[i].body &&
		     a->entries[i].body_len == b->entries[i].body_len &&
		     (!a->entries[i].body ||
		      memcmp(a->entries[i].body, b->entries[i].body, a->entries[i].body_len) == 0);
	for (size_t i = 0; ok && i < a->nblobs; i++)
		ok = a->blobs[i].len == b->blobs[i].len &&
		     memcmp(a->blobs[i].data, b->blobs[i].data, a->blobs[i].len) == 0;
	if (!ok) {
		fprintf(stderr, "%s: the batch changed on the way\n", how);
		abort();
	}
}

/* a packed and unpacked again must be a (if its origin can be packed:
 * the JSON form carries any string). */
static void repack(const struct node_batch *a)
{
	struct node_batch b;
	struct err e = { 0 };
	char *p;
	size_t len;
	int rc = wire_batch_pack(a, &p, &len, &e);

	if (rc == ERR_INVALID && strstr(e.msg, "cannot be packed"))
		return;
	if (rc != 0 || wire_batch_unpack(&b, p, len, &e) != 0) {
		fprintf(stderr, "a decoded batch does not pack and unpack: %s\n", e.msg);
		abort();
	}
	same(a, &b, "pack, unpack");
	free(p);
	node_batch_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node_batch a, b;
	struct err e = { 0 };
	char *json;
	size_t len;

	if (size >= 12 && memcmp(data, "parley-batch", 12) == 0) {
		if (wire_batch_unpack(&a, (const char *)data, size, &e) == 0) {
			repack(&a);
			node_batch_free(&a);
		}
		return 0;
	}
	if (wire_batch_decode(&a, (const char *)data, size, &e) != 0)
		return 0;
	if (wire_batch_encode(&a, &json, &len, &e) != 0 ||
	    wire_batch_decode(&b, json, len, &e) != 0) {
		fprintf(stderr, "a decoded batch does not round-trip: %s\n", e.msg);
		abort();
	}
	same(&a, &b, "encode, decode");
	repack(&a);
	free(json);
	node_batch_free(&a);
	node_batch_free(&b);
	return 0;
}
