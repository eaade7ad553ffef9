/* client.h — the sending side of the peer API (libcurl over GnuTLS):
 * our client certificate, the peer's key pinned, strict timeouts and a cap
 * on the answer's size. */
#ifndef PARLEY_CLIENT_H
#define PARLEY_CLIENT_H

#include <stdatomic.h>

#include "node/node.h"

#define CLIENT_CONNECT_TIMEOUT_S 10
#define CLIENT_TIMEOUT_S 60
#define CLIENT_RESPONSE_MAX (1u << 20)

/* A connection to one peer, kept open across requests: a delivery worker
 * keeps it from one delivery to the next (one TLS handshake, not one per
 * delivery), and closes it after a failure. */
struct client;

/* Returns 0 or ERR_INVALID (no endpoint or pin) / ERR_NOMEM. */
int client_new(struct client **out, struct node *n, const struct store_party *peer,
	       struct err *e);
void client_free(struct client *c);
/* 1 if c talks to peer as given (name, endpoint and TLS pin unchanged):
 * a kept client is reused only then. */
int client_is_for(const struct client *c, const struct store_party *peer);
/* Any transfer of c is abandoned within a second once *stop is non-zero
 * (parley serve shutting down while a peer hangs). */
void client_abort_on(struct client *c, const atomic_int *stop);

/* POSTs a packed batch (wire_batch_pack) to the peer's /peer/v1/batch and writes the receipt
 * line it returns into line. Returns 0; ERR_IO for a network or TLS
 * failure (no answer); or the peer's refusal mapped to an ERR_* code with
 * its message. */
int client_post_batch(struct client *c, const char *batch, size_t len,
		      char *line, size_t cap, struct err *e);

#endif
