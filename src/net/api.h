/* api.h — the operator API: /api/v1/ over HTTPS (the node's certificate;
 * operators authenticate with a bearer token, not a client certificate) on
 * operator_listen, loopback unless configured otherwise. The same
 * operations as the CLI, each allowed by role (node/operator.h); every
 * request that would change something is recorded with who and when. The
 * API owns its node handle, used from its single polling thread only.
 * Routes (docs/openapi.json describes them):
 *   GET  /api/v1/whoami
 *   GET  /api/v1/peers
 *   GET  /api/v1/cases?peer=P&state=S&overdue=1
 *   POST /api/v1/cases                         open a case
 *   GET  /api/v1/cases/REQUESTER/INDEX         with its timeline
 *   POST /api/v1/cases/REQUESTER/INDEX/ACTION  ack answer decline withdraw remind close
 *   GET  /api/v1/channels/PEER
 *   POST /api/v1/channels/PEER/propose         {"charter": {...}} or {"template": NAME}
 *   POST /api/v1/channels/PEER/accept */
#ifndef PARLEY_API_H
#define PARLEY_API_H

#include "node/node.h"

#define API_REQUEST_MAX (24u << 20)

struct api;

/* Starts the API on n->cfg.operator_listen; n is the API's own handle. */
int api_start(struct api **out, struct node *n, struct err *e);
void api_stop(struct api *a);

#endif
