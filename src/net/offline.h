/* offline.h — delivery by file, for links where no network is allowed
 * (issue 10): the pending batches of a log written to a file, carried
 * across, ingested by the receiver with exactly the checks of online
 * delivery (node_receive), and its receipts carried back.
 *
 * A delivery file is lines of JSON:
 *   {"offline":"parley-offline/1","origin":"parley/FROM/TO","batches":K,"entries":N}
 *   BATCH                       K lines, each the peer API's batch JSON (wire.h)
 * A receipts file is one JSON object:
 *   {"receipts":"parley-receipts/1","origin":"parley/FROM/TO",
 *    "items":[{"checkpoint":SIGNED-NOTE,"receipt":COSIGNATURE-LINE}, ...]}
 * Online and offline delivery mix on one channel: both start from the
 * size the peer last receipted, and re-delivery is idempotent. */
#ifndef PARLEY_OFFLINE_H
#define PARLEY_OFFLINE_H

#include <stdio.h>

#include "node/node.h"

#define OFFLINE_FILE_MAX (512u << 20)

/* Everything pending for peer (at most max_batches batches, each ending
 * on a multiple of NODE_BATCH_MAX like online delivery) as a delivery
 * file in *out (malloc'd). *entries: how many. ERR_NOTFOUND: nothing is
 * pending. */
int offline_export(struct node *n, const char *peer, size_t max_batches, char **out,
		   size_t *len, uint64_t *entries, FILE *progress, struct err *e);

/* Ingests a delivery file batch by batch (each all or nothing) and writes
 * the receipts file into *receipts (malloc'd, also when a later batch is
 * refused: what was held is receipted). *held: batches held. Returns 0 or
 * the first refusal, naming its batch. */
int offline_import(struct node *n, const char *text, size_t len, char **receipts,
		   size_t *rlen, size_t *held, struct err *e);

/* Checks and stores the receipts of a receipts file (our log to its
 * peer). *count: receipts stored; *size: the largest size receipted. */
int offline_receipts(struct node *n, const char *text, size_t len, size_t *count,
		     uint64_t *size, struct err *e);

#endif
