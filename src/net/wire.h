/* wire.h — a batch on the wire, in two forms.
 *
 * JSON (offline delivery files; POST /peer/v1/batch as application/json):
 *   {"origin": "parley/FROM/TO", "first": N,
 *    "entries": [{"envelope": TEXT, "body": BASE64}, ...],
 *    "checkpoint": SIGNED-NOTE,
 *    "attachments": [{"data": BASE64}, ...]}      (optional)
 *
 * Packed (what the outbox posts, as WIRE_PACKED_TYPE): text header lines
 * and raw bytes, no escaping, no base64:
 *   parley-batch 1\n
 *   origin ORIGIN\n
 *   first N\n
 *   checkpoint LEN\n  then LEN bytes of the signed note
 *   entry ELEN BLEN\n  then ELEN bytes of envelope, BLEN of body
 *                      (BLEN "-": no body); one per entry, in order
 *   attachment LEN\n  then LEN bytes; after the entries
 *   end\n
 * Numbers are decimal without leading zeros; every length is checked
 * against its limit before its bytes are read; nothing may follow "end".
 *
 * Decoding either is strict: unknown or duplicate keys or lines, wrong
 * types and sizes over the limits are refused with the field named. */
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
#define WIRE_PACKED_TYPE "application/vnd.parley.batch"

/* The packed form of b: *out is malloc'd. Returns 0, ERR_NOMEM, or
 * ERR_INVALID for an origin it cannot carry (empty, spaces, controls). */
int wire_batch_pack(const struct node_batch *b, char **out, size_t *len,
		    struct err *e);
/* Fills b from the packed form (one allocation: b->buf holds every
 * envelope, body, attachment and the note, each NUL-terminated). Returns
 * 0 or ERR_INVALID/ERR_TOOBIG naming the line or field. */
int wire_batch_unpack(struct node_batch *b, const char *buf, size_t len,
		      struct err *e);

/* {"error":{"code":CODE,"message":MSG}} for e; malloc'd. */
char *wire_error(const struct err *e);

#endif
