/* err.h — the error object: a stable code for scripts and a specific human
 * sentence for people. Every fallible function returns 0 or a negative
 * ERR_* code and, on failure, fills the caller's struct err. */
#ifndef PARLEY_ERR_H
#define PARLEY_ERR_H

#include <stddef.h>

enum err_code {
	ERR_OK = 0,
	ERR_INVALID = -1,   /* malformed input: envelope, note, key, argument */
	ERR_NOMEM = -2,
	ERR_IO = -3,        /* file system */
	ERR_STORE = -4,     /* database */
	ERR_SIGNATURE = -5, /* a signature from a known key does not verify */
	ERR_NOTFOUND = -6,
	ERR_CONFLICT = -7,  /* inconsistent with what is held: fork, gap, rollback */
	ERR_VERIFY = -8,    /* a check over held data failed (parley verify) */
	ERR_EXISTS = -9,
	ERR_TOOBIG = -10,   /* over a hard size limit */
	ERR_UNVERIFIED = -11, /* no signature from any known key */
	ERR_FORBIDDEN = -12,  /* authenticated, but not allowed */
	ERR_UNAUTHORIZED = -13, /* no, a wrong or a revoked credential */
	ERR_FULL = -14,     /* the disk or the database is full: nothing was written */
	ERR_READONLY = -15, /* the store cannot be written: nothing was written */
	/* A transaction lost to a concurrent one (PostgreSQL: serialization
	 * failure 40001, deadlock 40P01) and was rolled back whole. Internal
	 * to the store: store.c runs the transaction again a bounded number
	 * of times, then reports ERR_STORE. */
	ERR_RETRY = -16,
};

struct err {
	int code;
	char msg[512];
};

/* Sets e (if not NULL) and returns code, so callers write
 * `return err_set(e, ERR_INVALID, "...", ...);`. A truncated message is
 * marked with a trailing "...". */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes e->msg with "prefix: " (for context as an error travels up).
 * Returns e->code. */
int err_wrap(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The stable lower-case name of a code ("invalid", "conflict", ...). */
const char *err_name(int code);

#endif
