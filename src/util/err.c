/* err.c — filling and naming error objects. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void mark_truncated(char *buf, size_t cap, int n)
{
	if (n >= 0 && (size_t)n < cap)
		return;
	memcpy(buf + cap - 4, "...", 4);
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	mark_truncated(e->msg, sizeof(e->msg), n);
	return code;
}

int err_wrap(struct err *e, const char *fmt, ...)
{
	char prefix[256], old[sizeof(e->msg)];
	va_list ap;
	int n;

	if (!e)
		return ERR_INVALID;
	va_start(ap, fmt);
	n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	mark_truncated(prefix, sizeof(prefix), n);
	memcpy(old, e->msg, sizeof(old));
	n = snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old);
	mark_truncated(e->msg, sizeof(e->msg), n);
	return e->code;
}

const char *err_name(int code)
{
	switch (code) {
	case ERR_OK: return "ok";
	case ERR_INVALID: return "invalid";
	case ERR_NOMEM: return "nomem";
	case ERR_IO: return "io";
	case ERR_STORE: return "store";
	case ERR_SIGNATURE: return "bad_signature";
	case ERR_NOTFOUND: return "not_found";
	case ERR_CONFLICT: return "conflict";
	case ERR_VERIFY: return "verify_failed";
	case ERR_EXISTS: return "exists";
	case ERR_TOOBIG: return "too_big";
	case ERR_UNVERIFIED: return "unverified";
	case ERR_FORBIDDEN: return "forbidden";
	case ERR_UNAUTHORIZED: return "unauthorized";
	case ERR_FULL: return "storage_full";
	case ERR_READONLY: return "read_only";
	case ERR_RETRY: return "retry";
	}
	return "unknown";
}
