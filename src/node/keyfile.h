/* keyfile.h — the identity key file, optionally sealed under a
 * passphrase (issue 7).
 *
 * A plain key file is the signer string and a newline. A sealed one:
 *   parley-sealed-key/1
 *   argon2id13 OPSLIMIT MEMLIMIT SALT-BASE64
 *   NONCE-BASE64 CIPHERTEXT-BASE64
 * The key is Argon2id(passphrase, salt) (libsodium crypto_pwhash); the
 * signer string is sealed with XChaCha20-Poly1305 under it, the first two
 * lines as associated data. A wrong passphrase or any altered byte fails
 * to open, naming neither.
 *
 * The passphrase comes from $PARLEY_PASSPHRASE_FILE (a file holding it),
 * else $PARLEY_PASSPHRASE, else a prompt on the terminal. Every buffer
 * that held it or the key is wiped. */
#ifndef PARLEY_KEYFILE_H
#define PARLEY_KEYFILE_H

#include <stddef.h>

#include "util/err.h"

#define KEYFILE_PASS_MAX 1024

/* True if the file's bytes are a sealed key. */
int keyfile_is_sealed(const char *buf, size_t len);

/* Seals a signer string under pass: *out malloc'd (free normally; it
 * holds nothing secret). */
int keyfile_seal(const char *signer, size_t len, const char *pass, size_t plen,
		 char **out, size_t *olen, struct err *e);

/* Opens a sealed key into signer (cap bytes, NUL-terminated); ERR_UNAUTHORIZED
 * if the passphrase does not open it. */
int keyfile_open(const char *buf, size_t len, const char *pass, size_t plen,
		 char *signer, size_t cap, struct err *e);

/* The passphrase, from the environment or the terminal (twice when
 * confirm is set). ERR_UNAUTHORIZED naming where it was looked for if
 * there is none. */
int keyfile_passphrase(char *pass, size_t cap, size_t *plen, const char *why, int confirm,
		       struct err *e);

/* Keeps pass for this process's later keyfile_passphrase calls (not for
 * confirming a new one), in locked memory libsodium wipes. */
void keyfile_remember(const char *pass, size_t plen);

#endif
