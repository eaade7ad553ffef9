/* wire.h — the peer API's JSON for a batch:
 *   {"origin": "parley/FROM/TO", "first": N,
 *    "entries": [{"envelope": TEXT, "body": BASE64}, ...],
 *    "checkpoint": SIGNED-NOTE,
 *    "attachments": [{"data": BASE64}, ...]}      (optional)
 * Decoding is strict: unknown or duplicate keys, wrong types and sizes over
 * the limits are refused with the field named. */
#ifndef PARLEY_WIRE_H
#define PARLEY_WIRE_H

#include "node/node.h"

#define WIRE_REQUEST_MAX (32u << 20) /* bytes in one request body */
#define WIRE_BLOBS_MAX 256

/* *out is malloc'd JSON. Returns 0 or ERR_NOMEM. */
int wire_batch_encode(const struct node_batch *b, char **out, size_t *len,
		      struct err *e);
/* Fills b (free with node_batch_free). Returns 0 or ERR_INVALID/ERR_TOOBIG. */
int wire_batch_decode(struct node_batch *b, const char *json, size_t len,
		      struct err *e);
/* {"error":{"code":CODE,"message":MSG}} for e; malloc'd. */
char *wire_error(const struct err *e);

#endif
