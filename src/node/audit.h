/* audit.h — redacted audit bundles: what an auditor needs to check a
 * channel and recompute its report, without any body or secret.
 *
 * A bundle is one JSON document:
 *   {"bundle": "parley-audit/1",
 *    "parties": [{"name", "key"}, {"name", "key"}],   verifier keys
 *    "logs": [{"origin", "entries": [ENVELOPE...],
 *              "checkpoints": [{"note", "cosignatures": [LINE...]}]}],
 *    "charters": [CHARTER-JSON...]}                    charter bodies only
 * Entries run from index 0 to the latest checkpoint, so every root can be
 * recomputed. The audit replays a bundle into an empty in-memory store
 * through the same checks a receiving node runs (envelopes, roots against
 * every signed checkpoint, every cosignature), then the whole-store verify
 * (consistency between checkpoints), then computes the report. */
#ifndef PARLEY_AUDIT_H
#define PARLEY_AUDIT_H

#include "node/node.h"

/* Writes the bundle of the channel between us and peer into a malloc'd
 * *json. progress (may be NULL) gets a line per 100,000 entries. */
int audit_export(struct node *n, const char *peer, char **json, size_t *len,
		 FILE *progress, struct err *e);

/* Checks a bundle. On success *out is a node over an in-memory store
 * holding the channel, seen from the bundle's first party (for
 * cases_load and reports); free it with node_close. Returns 0 or
 * ERR_INVALID / ERR_VERIFY naming the first thing wrong. */
int audit_load(const char *json, size_t len, struct node **out, FILE *progress,
	       struct err *e);

#endif
