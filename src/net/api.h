/* api.h — the operator API: /api/v1/ over HTTPS (the node's certificate;
 * operators authenticate with a bearer token, not a client certificate) on
 * operator_listen, loopback unless configured otherwise. The same
 * operations as the CLI, each allowed by role (node/operator.h); every
 * request that would change something is recorded with who and when. The
 * API owns its node handle, used from its single polling thread only.
 * The same daemon serves the operator console (net/console.h): its files
 * at / and, for a browser, a session cookie in place of the token.
 * Routes (docs/openapi.json describes them):
 *   GET  /api/v1/whoami
 *   GET  /api/v1/session                       the caller (and a session's CSRF token)
 *   POST /api/v1/session                       {"token"}: log in, a session cookie
 *   POST /api/v1/session/logout
 *   GET  /api/v1/changes                       a stamp that moves when anything is stored
 *   GET  /api/v1/report?by=&peer=&from=&to=&type=&reciprocity=1&format=json|csv
 *   GET  /api/v1/audit/PEER?from=&to=          the audit bundle
 *   GET  /api/v1/channels/PEER/types           the charter's types and fields
 *   GET  /api/v1/peers                         reachability, receipts, pings, backlog, forks
 *   GET  /api/v1/cases?peer=P&state=S&overdue=1&limit=N&after=CURSOR  a page, and "next"
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
/* GET /api/v1/cases: cases per page unless limit says, and at most. */
#define API_CASES_PAGE 1000
#define API_CASES_PAGE_MAX 10000

struct api;

/* Starts the API on n->cfg.operator_listen; n is the API's own handle. */
int api_start(struct api **out, struct node *n, struct err *e);
void api_stop(struct api *a);

#endif
