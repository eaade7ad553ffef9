/* console.h — the operator console on the operator API's HTTPS daemon:
 * its static files (web/, embedded at build time) and browser sessions.
 *
 * Design note.
 * - A browser logs in by POSTing an operator token once; it gets a
 *   session cookie (HttpOnly; Secure; SameSite=Strict; a random 256-bit
 *   id) and never holds the token again. The server keeps, in memory
 *   only, the SHA-256 of the id, the SHA-256 of the token (so a revoked
 *   operator's sessions stop at once: every request authenticates the
 *   token hash again), a CSRF token and the expiry. A restart ends every
 *   session.
 * - Sessions last PARLEY_CONSOLE_SESSION seconds (default 8 h) from login;
 *   at most CONSOLE_SESSIONS live at once, the one nearest its end is
 *   dropped for a new one.
 * - A change made through a session (any POST) must carry the session's
 *   CSRF token in the X-Parley-CSRF header, compared in constant time.
 * - Every response of the console carries a Content-Security-Policy
 *   (default-src 'self', no inline script, frame-ancestors 'none'),
 *   X-Content-Type-Options: nosniff and a Cache-Control.
 * Sessions are used from the API's single polling thread only. */
#ifndef PARLEY_CONSOLE_H
#define PARLEY_CONSOLE_H

#include <stdint.h>

#include <microhttpd.h>

#include "util/err.h"

#define CONSOLE_SESSIONS 256
#define CONSOLE_SESSION_DEFAULT (8 * 3600)
#define CONSOLE_COOKIE "parley_session"
#define CONSOLE_CSRF_HEADER "X-Parley-CSRF"

struct console;

/* Reads PARLEY_CONSOLE_SESSION (seconds, 1..2592000). Returns 0,
 * ERR_NOMEM or ERR_INVALID naming the variable. */
int console_new(struct console **out, struct err *e);
void console_free(struct console *k);
/* Seconds a session lasts. */
int64_t console_lifetime(const struct console *k);

/* If url is a console file and method GET or HEAD, queues it (304 when
 * If-None-Match matches) into *ret and returns 1; else 0. */
int console_file(struct MHD_Connection *c, const char *method, const char *url,
		 enum MHD_Result *ret);

/* A new session for the operator whose token hashes to token_hash.
 * cookie receives the Set-Cookie value, csrf the session's CSRF token. */
int console_login(struct console *k, const uint8_t token_hash[static 32], int64_t now,
		  char cookie[static 200], char csrf[static 48], struct err *e);
/* The session the request's cookie names: 1 and its token hash (and CSRF
 * token) if it is live; 0 if the request has no session cookie;
 * ERR_UNAUTHORIZED if it names none (expired, ended, or never was); for
 * a POST, ERR_FORBIDDEN without the right CSRF header. */
int console_session(struct console *k, struct MHD_Connection *c, int64_t now, int post,
		    uint8_t token_hash[static 32], char csrf[static 48],
		    int64_t *expires, struct err *e);
/* Ends the request's session, if any. The cookie that clears it is
 * written into cookie. */
void console_logout(struct console *k, struct MHD_Connection *c, char cookie[static 200]);

#endif
