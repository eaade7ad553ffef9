/* server.h — parley serve's peer API: HTTPS with mutual TLS
 * (libmicrohttpd over GnuTLS) under /peer/v1/.
 *
 * Design note. The server owns one node handle, used only from
 * libmicrohttpd's single polling thread (handshakes and requests both run
 * there), so the store needs no locking. A client must present a
 * certificate whose key pin belongs to a known peer: the check runs inside
 * the TLS handshake (GnuTLS verify function), so a stranger's handshake
 * fails and no request is read. A batch is then accepted only from the
 * peer its origin names as sender. Routes:
 *   POST /peer/v1/batch                 deliver a batch -> {"receipt": LINE}
 *   GET  /peer/v1/checkpoint?origin=O    latest checkpoint with cosignatures
 *   GET  /peer/v1/entries?origin=O&start=N&count=M
 *   GET  /peer/v1/proof/inclusion?origin=O&index=I&size=S
 *   GET  /peer/v1/proof/consistency?origin=O&size1=A&size2=B
 * A peer may read only the logs of its own channel. Every error is
 * {"error":{"code":..., "message":...}} with a fitting HTTP status. */
#ifndef PARLEY_SERVER_H
#define PARLEY_SERVER_H

#include "node/node.h"

#define SERVER_TIMEOUT_S 30    /* idle or slow connection */
#define SERVER_CONNECTIONS 64

struct server;

/* Starts listening on n->cfg.listen. n is used by the server thread only
 * until server_stop. Only one server per process. */
int server_start(struct server **out, struct node *n, struct err *e);
/* The port actually bound (useful with port 0). */
unsigned server_port(const struct server *s);
void server_stop(struct server *s);

#endif
