/* audit.h — redacted audit bundles: what an auditor needs to check a
 * channel and recompute its report, without any body or secret.
 *
 * A bundle is one JSON document:
 *   {"bundle": "parley-audit/1",
 *    "parties": [{"name", "key"}, {"name", "key"}],   verifier keys
 *    "logs": [{"origin", "entries": [ENVELOPE...],
 *              "checkpoints": [{"note", "cosignatures": [LINE...]}]}],
 *    "charters": [CHARTER-JSON...],                    charter bodies
 *    "registers": [REGISTER-JSON...],                  register records
 *    "keys": [KEY-ANNOUNCEMENT...],                    optional: key changes
 *    "period": {"from": TIME|null, "to": TIME|null}}   optional
 * Only the bodies a report needs travel: charters (deadlines) and the
 * records of register entries (core/register.h); no request or reply
 * text. "keys" holds the bodies of the logs' key entries (core/keyann.h):
 * each names a party's old and new verifier keys, signed by both, so the
 * parties' keys above are their latest, and the audit follows each
 * party's chain from the first old key along its log; a bundle without
 * "keys" (from before key rotation) has one key a party. The period (export --from/--to) is what the report covers by
 * default; the entries are still whole logs, as every root is recomputed
 * from index 0 and a case opened in the period may be answered after it.
 * Entries run from index 0 to the latest checkpoint, so every root can be
 * recomputed. The audit replays a bundle into an empty in-memory store
 * through the same checks a receiving node runs (envelopes, roots against
 * every signed checkpoint, every cosignature), then the whole-store verify
 * (consistency between checkpoints), then computes the report. */
#ifndef PARLEY_AUDIT_H
#define PARLEY_AUDIT_H

#include "node/node.h"

/* Writes the bundle of the channel between us and peer into a malloc'd
 * *json, with the period [from, to) (0: open) if either is given.
 * progress (may be NULL) gets a line per 100,000 entries. */
int audit_export(struct node *n, const char *peer, int64_t from, int64_t to,
		 char **json, size_t *len, FILE *progress, struct err *e);

/* Checks a bundle. On success *out is a node over an in-memory store
 * holding the channel, seen from the bundle's first party (for
 * cases_load and reports); free it with node_close; *info (may be NULL)
 * what the bundle holds. Returns 0 or
 * ERR_INVALID / ERR_VERIFY naming the first thing wrong. */
struct audit_info {
	int64_t from, to;    /* the bundle's period; 0: open */
	uint64_t entries;    /* in both logs */
	uint64_t checkpoints;
};
int audit_load(const char *json, size_t len, struct node **out,
	       struct audit_info *info, FILE *progress, struct err *e);

#endif
