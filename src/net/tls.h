/* tls.h — a party's TLS identity (GnuTLS): an ECDSA P-256 key and a
 * self-signed certificate, and public-key pins in curl's form
 * "sha256//" + base64(SHA-256(SubjectPublicKeyInfo)). Peers pin each
 * other's key; no certificate authority is involved. */
#ifndef PARLEY_TLS_H
#define PARLEY_TLS_H

#include <stddef.h>

#include "util/err.h"

#define TLS_KEY_FILE "tls.key"
#define TLS_CERT_FILE "tls.crt"
#define TLS_PIN_MAX 64 /* "sha256//" + 44 base64 + NUL */

/* Creates dir/tls.key (0600, exclusive) and dir/tls.crt for name.
 * Returns 0, ERR_EXISTS or ERR_IO/ERR_INVALID; nothing is left on failure. */
int tls_identity_create(const char *dir, const char *name, struct err *e);
/* The pin of a PEM or DER certificate. Returns 0 or ERR_INVALID. */
int tls_pin_cert(const void *data, size_t len, int pem, char pin[static TLS_PIN_MAX],
		 struct err *e);
/* Is s a well-formed pin? */
int tls_pin_valid(const char *s);

#endif
