/* console.c — the operator console's files and browser sessions. See
 * console.h. */
#include "net/console.h"

#include "net/console_assets.h"
#include "core/merkle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#define ID_BYTES 32
#define ID_CHARS 43 /* base64url of 32 bytes, no padding */

struct session {
	uint8_t id_hash[32];     /* SHA-256 of the cookie's id; all zero: free */
	uint8_t token_hash[32];  /* SHA-256 of the operator's token */
	char csrf[48];
	int64_t expires;
};

struct console {
	struct session s[CONSOLE_SESSIONS];
	int64_t lifetime;
	pthread_mutex_t mu; /* the operator API's threads share the sessions */
};

int console_new(struct console **out, struct err *e)
{
	const char *v = getenv("PARLEY_CONSOLE_SESSION");
	struct console *k;
	char *end;
	long long secs = CONSOLE_SESSION_DEFAULT;

	*out = NULL;
	if (v) {
		secs = strtoll(v, &end, 10);
		if (!*v || *end || secs < 1 || secs > 30 * 86400)
			return err_set(e, ERR_INVALID, "PARLEY_CONSOLE_SESSION '%s': seconds a console "
				       "session lasts, 1 to 2592000", v);
	}
	if (!(k = sodium_malloc(sizeof(*k))))
		return err_set(e, ERR_NOMEM, "out of memory");
	memset(k, 0, sizeof(*k));
	k->lifetime = secs;
	pthread_mutex_init(&k->mu, NULL);
	*out = k;
	return 0;
}

void console_free(struct console *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->mu);
	sodium_free(k); /* wipes */
}

int64_t console_lifetime(const struct console *k)
{
	return k->lifetime;
}

static void console_headers(struct MHD_Response *r, int page)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy", page
		? "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
		  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
		  "frame-ancestors 'none'"
		: "default-src 'none'; frame-ancestors 'none'");
	/* Files revalidate by ETag (a new binary serves new files at once);
	 * data is never cached. */
	MHD_add_response_header(r, "Cache-Control", page ? "no-cache" : "no-store");
}

int console_file(struct MHD_Connection *c, const char *method, const char *url,
		 enum MHD_Result *ret)
{
	const struct console_asset *a;
	const char *inm;
	struct MHD_Response *r;
	int same;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return 0;
	for (a = console_assets; a->path && strcmp(a->path, url) != 0; a++)
		;
	if (!a->path)
		return 0;
	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	same = inm && strcmp(inm, a->etag) == 0;
	r = MHD_create_response_from_buffer(same ? 0 : a->len, (void *)(uintptr_t)a->data,
					    MHD_RESPMEM_PERSISTENT);
	if (!r) {
		*ret = MHD_NO;
		return 1;
	}
	console_headers(r, 1);
	MHD_add_response_header(r, "Content-Type", a->type);
	MHD_add_response_header(r, "ETag", a->etag);
	*ret = MHD_queue_response(c, same ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return 1;
}

static void session_clear(struct session *s)
{
	sodium_memzero(s, sizeof(*s));
}

static int session_free(const struct session *s)
{
	return sodium_is_zero(s->id_hash, sizeof(s->id_hash));
}

static int login_locked(struct console *k, const uint8_t token_hash[static 32], int64_t now,
			char cookie[static 200], char csrf[static 48], struct err *e)
{
	uint8_t id[ID_BYTES], raw[ID_BYTES];
	char id64[ID_CHARS + 1];
	struct session *s = NULL;

	/* A free or expired slot, else the one nearest its end. */
	for (size_t i = 0; i < CONSOLE_SESSIONS; i++) {
		struct session *x = &k->s[i];
		if (session_free(x) || x->expires <= now) {
			s = x;
			break;
		}
		if (!s || x->expires < s->expires)
			s = x;
	}
	session_clear(s);
	randombytes_buf(id, sizeof(id));
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(id64, sizeof(id64), id, sizeof(id), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_bin2base64(s->csrf, sizeof(s->csrf), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	merkle_sha256(s->id_hash, id64, ID_CHARS);
	memcpy(s->token_hash, token_hash, 32);
	s->expires = now + k->lifetime;
	memcpy(csrf, s->csrf, sizeof(s->csrf));
	if (snprintf(cookie, 200, CONSOLE_COOKIE "=%s; Path=/; Max-Age=%" PRId64
		     "; HttpOnly; Secure; SameSite=Strict", id64, k->lifetime) >= 200) {
		session_clear(s);
		return err_set(e, ERR_INVALID, "session cookie too long");
	}
	sodium_memzero(id, sizeof(id));
	sodium_memzero(id64, sizeof(id64));
	return 0;
}

/* The slot the request's cookie names (live or not), or NULL; *had: a
 * cookie was sent at all. */
static struct session *find(struct console *k, struct MHD_Connection *c, int *had)
{
	const char *v = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, CONSOLE_COOKIE);
	uint8_t h[32];

	*had = v != NULL;
	if (!v || strlen(v) != ID_CHARS)
		return NULL;
	merkle_sha256(h, v, ID_CHARS);
	for (size_t i = 0; i < CONSOLE_SESSIONS; i++)
		if (!session_free(&k->s[i]) && sodium_memcmp(k->s[i].id_hash, h, 32) == 0)
			return &k->s[i];
	return NULL;
}

static int session_locked(struct console *k, struct MHD_Connection *c, int64_t now, int post,
			  uint8_t token_hash[static 32], char csrf[static 48], int64_t *expires,
			  struct err *e)
{
	struct session *s;
	const char *h;
	int had;

	s = find(k, c, &had);
	if (!had)
		return 0;
	if (s && s->expires <= now)
		session_clear(s);
	if (!s || session_free(s))
		return err_set(e, ERR_UNAUTHORIZED, "the console session has expired or was ended: "
			       "log in again");
	if (post) {
		h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, CONSOLE_CSRF_HEADER);
		if (!h || strlen(h) != strlen(s->csrf) || sodium_memcmp(h, s->csrf, strlen(h)) != 0)
			return err_set(e, ERR_FORBIDDEN, "a change through the console needs the "
				       "session's " CONSOLE_CSRF_HEADER " header");
	}
	memcpy(token_hash, s->token_hash, 32);
	memcpy(csrf, s->csrf, sizeof(s->csrf));
	*expires = s->expires;
	return 1;
}

int console_login(struct console *k, const uint8_t token_hash[static 32], int64_t now,
		  char cookie[static 200], char csrf[static 48], struct err *e)
{
	int rc;

	pthread_mutex_lock(&k->mu);
	rc = login_locked(k, token_hash, now, cookie, csrf, e);
	pthread_mutex_unlock(&k->mu);
	return rc;
}

int console_session(struct console *k, struct MHD_Connection *c, int64_t now, int post,
		    uint8_t token_hash[static 32], char csrf[static 48], int64_t *expires,
		    struct err *e)
{
	int rc;

	pthread_mutex_lock(&k->mu);
	rc = session_locked(k, c, now, post, token_hash, csrf, expires, e);
	pthread_mutex_unlock(&k->mu);
	return rc;
}

void console_logout(struct console *k, struct MHD_Connection *c, char cookie[static 200])
{
	int had;
	struct session *s;

	pthread_mutex_lock(&k->mu);
	if ((s = find(k, c, &had)))
		session_clear(s);
	pthread_mutex_unlock(&k->mu);
	snprintf(cookie, 200, CONSOLE_COOKIE "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
}
