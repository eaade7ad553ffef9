/* http.h — what parley's two HTTPS servers share (libmicrohttpd): JSON
 * responses, errors as {"error":{"code","message"}} with a fitting status,
 * request bodies collected up to a hard limit, logfmt lines. */
#ifndef PARLEY_HTTP_H
#define PARLEY_HTTP_H

#include <stddef.h>

#include <microhttpd.h>

#include "util/err.h"

/* Seconds a request body may take to arrive, whatever its pace. */
#define HTTP_BODY_DEADLINE_S 60

/* A request's body, collected across upload calls. */
struct http_req {
	char *body;
	size_t len, cap, limit;
	int too_big;
	double start;       /* monotonic seconds at the first call */
	unsigned status;    /* of the response queued, 0: none yet */
};

struct json_t;

/* HTTP status for an ERR_* code. */
unsigned http_status(int code);
enum MHD_Result http_send_json(struct MHD_Connection *c, unsigned status, char *body);
/* Sends body (malloc'd; taken) with its content type. */
enum MHD_Result http_send_body(struct MHD_Connection *c, unsigned status, char *body,
			       const char *type);
/* The same with one more header (Set-Cookie, Content-Disposition). */
enum MHD_Result http_send_with(struct MHD_Connection *c, unsigned status, char *body,
			       const char *type, const char *header, const char *value);
enum MHD_Result http_send_error(struct MHD_Connection *c, const struct err *e);
/* Sends o (200) and releases it. */
enum MHD_Result http_send_obj(struct MHD_Connection *c, struct json_t *o);
/* First call of a request: *con_cls is NULL; allocates the state. Later
 * calls with data collect it. Returns 1 if the handler should return
 * MHD_YES now (state made, or data taken), 0 when the body is complete. */
int http_collect(void **con_cls, size_t limit, const char *upload, size_t *upload_size,
		 enum MHD_Result *ret);
/* MHD_OPTION_NOTIFY_COMPLETED (cls: the API's name for metrics, "peer"
 * or "operator"): counts the request, frees its state. */
void http_done(void *cls, struct MHD_Connection *c, void **con_cls,
	       enum MHD_RequestTerminationCode toe);
/* MHD_OPTION_EXTERNAL_LOGGER. */
void http_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void http_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a logfmt value's inside: '"' and '\\' escaped, control characters
 * as '?', so one event stays one line whatever a message holds. */
const char *http_logq(char *buf, size_t cap, const char *s);
/* Fills a sockaddr for an IP:port listen string. */
struct sockaddr_storage;
int http_sockaddr(const char *listen, struct sockaddr_storage *ss, struct err *e);

#endif
