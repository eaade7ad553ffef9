/* stix.h — a cyber-incident case as a STIX 2.1 bundle, and a case's
 * fields from one (issue 10).
 *
 * Export: an identity (the requesting party, created_by_ref of the rest),
 * the TLP 1.0 marking definition of the case's TLP (STIX 2.1 section
 * 7.2.1.4: amber+strict maps to amber, clear to white), an incident (name
 * the subject, description the text or the summary, labels severity:X,
 * an external reference parley/CASE-ID) and one indicator per source_ip,
 * domain, url and sample_hash field (STIX patterns; valid_from the
 * first_seen date), each related-to the incident. Identifiers are UUIDv5
 * of the case id and role, so an export is the same every time.
 *
 * Import: the first incident (or report) gives subject and text, its TLP
 * marking the TLP, labels severity:X the severity; indicators' patterns
 * give source_ip (first IPv4 or IPv6 address), domain, url and
 * sample_hash, their earliest valid_from the first_seen date. Other
 * objects are ignored. The case is then checked against the charter as
 * any other. */
#ifndef PARLEY_STIX_H
#define PARLEY_STIX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

#define STIX_MAX (8u << 20) /* bytes of a bundle read */

struct stix_case {
	const char *id;          /* "a.example/17" */
	const char *requester;
	int64_t created;         /* the request's time */
	const char *subject, *text, *tlp;
	json_t *fields;          /* the request body's fields, or NULL */
};

/* The bundle (new reference), or NULL with e set. */
json_t *stix_export(const struct stix_case *c, struct err *e);

/* What a case needs from a bundle: *subject, *text, *tlp (NULL if the
 * bundle has none; malloc'd) and *fields (a new JSON object). Returns 0
 * or ERR_INVALID naming what is wrong or missing. */
int stix_import(const char *json, size_t len, char **subject, char **text, char **tlp,
		json_t **fields, struct err *e);

#endif
