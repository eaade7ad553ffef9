/* charter.h — a channel's terms (issue 4's foundation): the case types two
 * parties agreed, each with a title, a default TLP marking, deadlines to
 * acknowledge and to answer, and the fields a request of that type carries.
 * Parsing is strict (unknown keys, wrong types, duplicate names, bad
 * durations are refused, naming the place), and a request body is checked
 * against its type's fields before anything is logged.
 *
 * Charter JSON:
 *   {"charter": "parley-charter/1", "title": "...",
 *    "types": {"cyber-incident": {"title": "...", "tlp": "amber",
 *        "ack_within": "24h", "answer_within": "30d" | null,
 *        "fields": [{"name": "source_ip", "kind": "ip", "required": true},
 *                   {"name": "severity", "kind": "enum",
 *                    "values": ["low", "high"]}]}}}
 * Durations: an integer and one unit of m, h, d, w ("90m", "8h", "30d").
 * answer_within null: no answer is expected (information sharing).
 *
 * Body JSON:
 *   {"subject": "...", "text": "...", "tlp": "green",
 *    "fields": {"source_ip": "192.0.2.7", ...},
 *    "attachments": [{"name": "pcap.gz", "sha256": HEX, "size": N}, ...]}
 * Attachments are content-addressed: the body names them by SHA-256, and
 * they travel and are stored beside it. */
#ifndef PARLEY_CHARTER_H
#define PARLEY_CHARTER_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CHARTER_MAX (256u << 10)   /* bytes of charter JSON */
#define CHARTER_MAX_TYPES 64
#define CHARTER_MAX_FIELDS 64
#define CHARTER_MAX_VALUES 64      /* enum values */
#define CHARTER_BODY_MAX (1u << 20)
#define CHARTER_SUBJECT_MAX 200
#define CHARTER_TEXT_MAX (64u << 10)
#define CHARTER_VALUE_MAX 4096     /* one field value */

enum field_kind {
	FIELD_TEXT, FIELD_DATE, FIELD_IP, FIELD_DOMAIN, FIELD_URL, FIELD_HASH,
	FIELD_EMAIL, FIELD_PERSON, FIELD_ENUM, FIELD_KIND_COUNT
};

struct charter_field {
	char name[65];
	enum field_kind kind;
	int required;
	char (*values)[65]; /* FIELD_ENUM */
	size_t nvalues;
};

struct charter_type {
	char name[65];
	char title[201];
	char tlp[16];
	int64_t ack_within;    /* seconds */
	int64_t answer_within; /* seconds; -1: no answer expected */
	struct charter_field *fields;
	size_t nfields;
};

struct charter {
	char title[201];
	struct charter_type *types;
	size_t ntypes;
};

/* Parses a charter. *out is the caller's (charter_free). Returns 0 or
 * ERR_INVALID / ERR_TOOBIG naming the place, e.g. "types.ping.ack_within:
 * '8x' is not a duration". */
int charter_parse(struct charter **out, const char *json, size_t len,
		  struct err *e);
void charter_free(struct charter *c);
/* NULL if the charter has no such type. */
const struct charter_type *charter_type(const struct charter *c, const char *name);

/* Checks a request body against type t: subject present, only known
 * fields, every required field present, each value valid for its kind.
 * Returns 0 or ERR_INVALID naming the field and the fault. */
int charter_body_check(const struct charter_type *t, const char *body,
		       size_t len, struct err *e);
#define CHARTER_MAX_ATTACHMENTS 16

/* The SHA-256 of each attachment a body names (no check beyond the form of
 * the hashes: charter_body_check does the rest). Bodies that are not JSON
 * objects name none. Returns 0 or ERR_INVALID. */
int charter_body_attachments(const char *body, size_t len,
			     uint8_t (*out)[32], size_t max, size_t *n,
			     struct err *e);

/* Checks one value against a field's kind (for forms and CLI flags). */
int charter_value_check(const struct charter_field *f, const char *v, struct err *e);

/* "90m", "8h", "30d", "2w" -> seconds. Returns 0 or -1. */
int charter_duration(const char *s, int64_t *secs);
/* TLP 2.0 labels: clear, green, amber, amber+strict, red. */
int charter_tlp_valid(const char *s);
const char *charter_kind_name(enum field_kind k);

#endif
