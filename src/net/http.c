/* http.c — helpers shared by the peer API and the operator API. */
#include "net/http.h"

#include "net/metrics.h"
#include "node/config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>

unsigned http_status(int code)
{
	switch (code) {
	case ERR_INVALID:
	case ERR_SIGNATURE:
	case ERR_UNVERIFIED:
		return MHD_HTTP_BAD_REQUEST;
	case ERR_UNAUTHORIZED:
		return MHD_HTTP_UNAUTHORIZED;
	case ERR_NOTFOUND:
		return MHD_HTTP_NOT_FOUND;
	case ERR_CONFLICT:
	case ERR_EXISTS:
		return MHD_HTTP_CONFLICT;
	case ERR_TOOBIG:
		return MHD_HTTP_CONTENT_TOO_LARGE;
	case ERR_FORBIDDEN:
		return MHD_HTTP_FORBIDDEN;
	case ERR_FULL:
		return MHD_HTTP_INSUFFICIENT_STORAGE;
	case ERR_READONLY:
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	}
	return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

/* The request the handler of this thread is answering (set by
 * http_collect, which every handler calls first), for its status. */
static _Thread_local struct http_req *current;

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum MHD_Result http_send_body(struct MHD_Connection *c, unsigned status, char *body,
			       const char *type)
{
	return http_send_with(c, status, body, type, NULL, NULL);
}

enum MHD_Result http_send_with(struct MHD_Connection *c, unsigned status, char *body,
			       const char *type, const char *header, const char *value)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	/* Data, never a page: not sniffed, framed or cached. */
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (header)
		MHD_add_response_header(r, header, value);
	if (current)
		current->status = status;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result http_send_json(struct MHD_Connection *c, unsigned status, char *body)
{
	return http_send_body(c, status, body, "application/json");
}

enum MHD_Result http_send_error(struct MHD_Connection *c, const struct err *e)
{
	const char *msg = e->msg;
	json_t *o;

	/* Our own faults: the details (paths, the database's words) go to the
	 * server's log, the client learns what it needs to know. */
	switch (e->code) {
	case ERR_FULL:
		msg = "this node's storage is full: nothing was stored or receipted; send again later";
		break;
	case ERR_READONLY:
		msg = "this node's store is read-only: nothing was stored or receipted; send again later";
		break;
	case ERR_STORE:
	case ERR_IO:
	case ERR_NOMEM:
		msg = "this node could not complete the request (a storage or system fault, logged "
		      "on its side): nothing was stored or receipted";
		break;
	}
	if (msg != e->msg) {
		char q[1100];
		http_log("error", "code=%s error=\"%s\"", err_name(e->code), http_logq(q, sizeof(q), e->msg));
	}
	o = json_pack("{s:{s:s,s:s}}", "error", "code", err_name(e->code), "message", msg);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return http_send_json(c, http_status(e->code), s);
}

enum MHD_Result http_send_obj(struct MHD_Connection *c, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return http_send_json(c, MHD_HTTP_OK, s);
}

int http_collect(void **con_cls, size_t limit, const char *upload, size_t *upload_size,
		 enum MHD_Result *ret)
{
	struct http_req *r = *con_cls;

	*ret = MHD_YES;
	if (!r) {
		if (!(r = calloc(1, sizeof(*r)))) {
			*ret = MHD_NO;
			return 1;
		}
		r->limit = limit;
		r->start = mono();
		*con_cls = r;
		current = r;
		return 1;
	}
	current = r;
	if (!*upload_size)
		return 0;
	/* A body that trickles in (a byte now and then, never idle long enough
	 * for the inactivity timeout) is cut off: the whole upload has a
	 * deadline. */
	if (mono() - r->start > HTTP_BODY_DEADLINE_S) {
		http_log("warn", "msg=\"request body still arriving after %d s: connection closed\"",
			 HTTP_BODY_DEADLINE_S);
		*ret = MHD_NO;
		return 1;
	}
	if (!r->too_big && r->len + *upload_size > r->limit) {
		r->too_big = 1;
	} else if (!r->too_big) {
		if (r->len + *upload_size > r->cap) {
			size_t cap = (r->len + *upload_size) * 2;
			char *nb;
			if (cap > r->limit)
				cap = r->limit;
			if (!(nb = realloc(r->body, cap))) {
				*ret = MHD_NO;
				return 1;
			}
			r->body = nb;
			r->cap = cap;
		}
		memcpy(r->body + r->len, upload, *upload_size);
		r->len += *upload_size;
	}
	*upload_size = 0;
	return 1;
}

void http_done(void *cls, struct MHD_Connection *c, void **con_cls,
	       enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *con_cls;

	(void)c;
	(void)toe;
	if (r) {
		if (cls && r->status)
			metrics_request(cls, r->status, mono() - r->start);
		if (current == r)
			current = NULL;
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

const char *http_logq(char *buf, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s && n + 3 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			buf[n++] = '\\';
		buf[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	buf[n] = '\0';
	return buf;
}

void http_log(const char *level, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "level=%s ", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	{
		char q[1100];
		http_log("debug", "msg=\"%s\"", http_logq(q, sizeof(q), buf));
	}
}

int http_sockaddr(const char *listen, struct sockaddr_storage *ss, struct err *e)
{
	char host[256];
	unsigned port;
	int rc;

	memset(ss, 0, sizeof(*ss));
	if ((rc = config_listen_split(listen, host, sizeof(host), &port, e)) < 0)
		return rc;
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return err_set(e, ERR_INVALID, "listen '%s': the host must be an IP address", listen);
}
