/* envelope.h — the canonical envelope: the leaf of every parley log.
 *
 * An envelope is short ASCII text, one "key value" line per field, fixed
 * keys in fixed order, each line ending in "\n":
 *
 *   parley/1
 *   from ministry-a.example
 *   to ministry-b.example
 *   index 17
 *   time 2026-11-22T14:00:00Z
 *   case ministry-a.example/17
 *   kind request
 *   type cyber-incident
 *   body sha256:<64 lower-case hex digits>
 *
 * Encoding is a function of the fields, so equal envelopes have equal bytes
 * and equal leaf hashes. The parser accepts exactly what the encoder writes:
 * it refuses unknown, missing, duplicated and reordered keys, control
 * characters, non-ASCII bytes, over-long lines, leading zeros, upper-case
 * hex, and a case that names neither party. */
#ifndef PARLEY_ENVELOPE_H
#define PARLEY_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define ENVELOPE_MAX 1024      /* bytes in a whole envelope */
#define ENVELOPE_LINE_MAX 200  /* bytes in one line, without "\n" */
#define ENVELOPE_NAME_MAX 128  /* party name */
#define ENVELOPE_TYPE_MAX 64   /* case type */

enum envelope_kind {
	ENVELOPE_CHARTER,
	ENVELOPE_REQUEST,
	ENVELOPE_ACK,
	ENVELOPE_ANSWER,
	ENVELOPE_DECLINE,
	ENVELOPE_WITHDRAW,
	ENVELOPE_REMIND,
	ENVELOPE_CLOSE,
	ENVELOPE_PING,
	ENVELOPE_REGISTER, /* a past request imported from a register: attested
			    * by its sender only (see node/register.h) */
	ENVELOPE_KEY,      /* the sender's identity key changes: the body is a
			    * key announcement (core/keyann.h) */
	ENVELOPE_KIND_COUNT
};

struct envelope {
	char from[ENVELOPE_NAME_MAX + 1];
	char to[ENVELOPE_NAME_MAX + 1];
	uint64_t index;  /* position in the log parley/<from>/<to> */
	int64_t time;    /* sender's claim, Unix seconds, UTC */
	char case_from[ENVELOPE_NAME_MAX + 1];
	uint64_t case_index;
	enum envelope_kind kind;
	char type[ENVELOPE_TYPE_MAX + 1];
	uint8_t body[32]; /* SHA-256 of the body */
};

/* Writes the canonical text of env into buf (cap bytes, not NUL-terminated)
 * and its length into *len. The fields are checked as the parser checks
 * them. Returns 0, ERR_INVALID naming the field, or ERR_TOOBIG. */
int envelope_encode(const struct envelope *env, char *buf, size_t cap,
		    size_t *len, struct err *e);

/* Parses exactly one canonical envelope. Returns 0 or ERR_INVALID with the
 * line and the fault; env is unspecified on failure. */
int envelope_parse(struct envelope *env, const char *buf, size_t len,
		   struct err *e);

const char *envelope_kind_name(enum envelope_kind k);

/* Party names: 1..128 of [a-z0-9.-], starting and ending with a letter or
 * digit. Case types: 1..64 of [a-z0-9-], starting with a letter. */
int envelope_name_valid(const char *s, size_t len);
int envelope_type_valid(const char *s, size_t len);

/* "YYYY-MM-DDTHH:MM:SSZ" (years 1970..9999) <-> Unix seconds. format
 * returns ERR_INVALID for a time outside that range. */
int envelope_time_format(int64_t t, char out[static 21], struct err *e);
int envelope_time_parse(const char *s, size_t len, int64_t *t);
/* A day "YYYY-MM-DD" (its midnight, UTC) or a time as envelope_time_parse
 * takes it. Returns 0 or -1. */
int envelope_date_parse(const char *s, size_t len, int64_t *t);
/* The UTC year and month (1..12) of t; -1 outside 1970..9999. */
int envelope_time_month(int64_t t, int *year, unsigned *month);

#endif
