/* register.h — past requests brought in from a spreadsheet register
 * (issue 5). Before parley, each side kept its own list of what it sent
 * and received. Importing that list appends one entry of kind "register"
 * per row to the importer's log to the peer: the peer receipts the entry
 * (proof that the claim was made, and when), not its truth. Reports count
 * these apart from proven requests, as "attested by" the importer.
 *
 * The register CSV (RFC 4180; a header row names the columns, in any
 * order; a UTF-8 byte-order mark is skipped):
 *   date         required  YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)
 *   direction    required  sent | received (from the importer's side)
 *   type         required  a case type name ([a-z0-9-], need not be in
 *                          the charter: the register may predate it)
 *   answered     required  yes | no
 *   answered_on  optional  a date, only with answered=yes, not before date
 *   ref          optional  the register's own reference, <= 200 bytes of
 *                          UTF-8 text without control characters
 *
 * The entry's body is canonical JSON (keys sorted, no spaces):
 *   {"answered":true,"answered_on":"2025-03-20T00:00:00Z",
 *    "date":"2025-03-01T00:00:00Z","direction":"sent","ref":"R-17",
 *    "register":"parley-register/1"}
 * answered_on and ref are left out when empty. */
#ifndef PARLEY_REGISTER_H
#define PARLEY_REGISTER_H

#include <stddef.h>
#include <stdint.h>

#include "core/envelope.h"
#include "util/err.h"

#define REGISTER_ROWS_MAX 1000000
#define REGISTER_REF_MAX 200

struct register_rec {
	int64_t date;          /* when the request was made */
	int sent;              /* 1: the importer sent it; 0: received it */
	char type[ENVELOPE_TYPE_MAX + 1];
	int answered;
	int64_t answered_on;   /* 0: not given */
	char ref[REGISTER_REF_MAX + 1];
};

/* Parses a register CSV. *out (malloc'd, *n rows) on success; ERR_INVALID
 * naming the row (the header is row 1) and the column otherwise. progress
 * (may be NULL) is called every 100,000 rows. */
int register_csv_parse(const char *buf, size_t len, struct register_rec **out,
		       size_t *n, void (*progress)(void *ctx, size_t rows),
		       void *ctx, struct err *e);

/* The canonical body of r; malloc'd, NUL-terminated. */
char *register_body(const struct register_rec *r, size_t *len, struct err *e);
/* Parses a body exactly as register_body writes it (type is not in the
 * body: it comes from the envelope). Returns 0 or ERR_INVALID. */
int register_body_parse(const char *json, size_t len, struct register_rec *r,
			struct err *e);

#endif
