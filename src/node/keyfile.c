/* keyfile.c — passphrase-sealed identity keys. See keyfile.h. */
#include "node/keyfile.h"

#include "util/b64.h"
#include "util/fsio.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#define MAGIC "parley-sealed-key/1\n"
#define SALT_B64 (sodium_base64_ENCODED_LEN(crypto_pwhash_SALTBYTES, sodium_base64_VARIANT_ORIGINAL))
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define SIGNER_MAX 600

int keyfile_is_sealed(const char *buf, size_t len)
{
	return len >= sizeof(MAGIC) - 1 && memcmp(buf, MAGIC, sizeof(MAGIC) - 1) == 0;
}

static int derive(uint8_t key[32], const char *pass, size_t plen, const uint8_t *salt,
		  unsigned long long ops, size_t mem, struct err *e)
{
	if (crypto_pwhash(key, 32, pass, plen, salt, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return err_set(e, ERR_NOMEM, "argon2id: out of memory (%zu bytes)", mem);
	return 0;
}

int keyfile_seal(const char *signer, size_t len, const char *pass, size_t plen,
		 char **out, size_t *olen, struct err *e)
{
	unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	uint8_t salt[crypto_pwhash_SALTBYTES], nonce[NONCE_LEN], key[32];
	uint8_t ct[SIGNER_MAX + TAG_LEN];
	char head[200], salt64[SALT_B64], n64[64], *c64 = NULL, *buf = NULL;
	unsigned long long clen;
	size_t c64len = sodium_base64_ENCODED_LEN(sizeof(ct), sodium_base64_VARIANT_ORIGINAL);
	int hl, rc;

	if (len > SIGNER_MAX)
		return err_set(e, ERR_INVALID, "the identity key is too long to seal");
	if (plen == 0)
		return err_set(e, ERR_INVALID, "an empty passphrase protects nothing");
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2base64(salt64, sizeof(salt64), salt, sizeof(salt), sodium_base64_VARIANT_ORIGINAL);
	hl = snprintf(head, sizeof(head), MAGIC "argon2id13 %llu %zu %s\n", ops, mem, salt64);
	if ((rc = derive(key, pass, plen, salt, ops, mem, e)) < 0)
		return rc;
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &clen, (const uint8_t *)signer, len,
						   (const uint8_t *)head, (size_t)hl, NULL, nonce, key);
	sodium_memzero(key, sizeof(key));
	sodium_bin2base64(n64, sizeof(n64), nonce, sizeof(nonce), sodium_base64_VARIANT_ORIGINAL);
	if (!(c64 = malloc(c64len)) || !(buf = malloc((size_t)hl + sizeof(n64) + c64len + 4))) {
		free(c64);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	sodium_bin2base64(c64, c64len, ct, (size_t)clen, sodium_base64_VARIANT_ORIGINAL);
	*olen = (size_t)sprintf(buf, "%s%s %s\n", head, n64, c64);
	free(c64);
	*out = buf;
	return 0;
}

int keyfile_open(const char *buf, size_t len, const char *pass, size_t plen,
		 char *signer, size_t cap, struct err *e)
{
	const char *l2, *l3, *end = buf + len, *sp;
	unsigned long long ops;
	size_t mem, got, nlen, hl;
	uint8_t salt[crypto_pwhash_SALTBYTES], nonce[NONCE_LEN], key[32];
	uint8_t ct[SIGNER_MAX + TAG_LEN];
	unsigned long long mlen;
	char alg[16], salt64[64];
	int rc;

	if (!keyfile_is_sealed(buf, len) || !(l2 = memchr(buf, '\n', len)) ||
	    !(l3 = memchr(l2 + 1, '\n', (size_t)(end - l2 - 1))))
		return err_set(e, ERR_INVALID, "not a sealed key file");
	l2++;
	l3++;
	hl = (size_t)(l3 - buf);
	{
		char line[200];
		size_t ll = (size_t)(l3 - l2);
		if (ll >= sizeof(line))
			return err_set(e, ERR_INVALID, "sealed key file: line 2 is too long");
		memcpy(line, l2, ll);
		line[ll] = '\0';
		if (sscanf(line, "%15s %llu %zu %63s", alg, &ops, &mem, salt64) != 4 ||
		    strcmp(alg, "argon2id13") != 0 || ops < crypto_pwhash_OPSLIMIT_MIN ||
		    ops > crypto_pwhash_OPSLIMIT_SENSITIVE || mem < crypto_pwhash_MEMLIMIT_MIN ||
		    mem > crypto_pwhash_MEMLIMIT_SENSITIVE ||
		    b64_decode(salt, sizeof(salt), salt64, strlen(salt64), &got) != 0 || got != sizeof(salt))
			return err_set(e, ERR_INVALID, "sealed key file: line 2 is not "
				       "'argon2id13 OPSLIMIT MEMLIMIT SALT' within libsodium's limits");
	}
	if (end > l3 && end[-1] == '\n')
		end--;
	if (!(sp = memchr(l3, ' ', (size_t)(end - l3))) ||
	    b64_decode(nonce, sizeof(nonce), l3, (size_t)(sp - l3), &got) != 0 || got != sizeof(nonce) ||
	    b64_decode(ct, sizeof(ct), sp + 1, (size_t)(end - sp - 1), &nlen) != 0 || nlen < TAG_LEN ||
	    nlen - TAG_LEN >= cap)
		return err_set(e, ERR_INVALID, "sealed key file: line 3 is not 'NONCE CIPHERTEXT' in base64");
	if ((rc = derive(key, pass, plen, salt, ops, mem, e)) < 0)
		return rc;
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)signer, &mlen, NULL, ct, nlen,
							(const uint8_t *)buf, hl, nonce, key);
	sodium_memzero(key, sizeof(key));
	if (rc != 0) {
		sodium_memzero(signer, cap);
		return err_set(e, ERR_UNAUTHORIZED,
			       "the passphrase does not open the identity key (wrong passphrase, or the file was altered)");
	}
	signer[mlen] = '\0';
	return 0;
}

/* Reads a line from the terminal without echo. */
static int prompt(const char *q, char *pass, size_t cap, size_t *plen)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC), ok = 0;
	size_t n = 0;
	char c;

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0) {
			ok = write(fd, q, strlen(q)) >= 0;
			while (ok && n + 1 < cap && read(fd, &c, 1) == 1 && c != '\n')
				pass[n++] = c;
			tcsetattr(fd, TCSAFLUSH, &old);
			ok = ok && write(fd, "\n", 1) == 1;
		}
	}
	close(fd);
	pass[n] = '\0';
	*plen = n;
	return ok ? 0 : -1;
}

/* The passphrase that opened the key, kept for the process's later opens
 * (parley serve opens the node once per thread and peer) in guarded,
 * locked memory that is wiped on exit. */
static char *remembered;
static size_t remembered_len;

void keyfile_remember(const char *pass, size_t plen)
{
	if (remembered || plen >= KEYFILE_PASS_MAX || !(remembered = sodium_malloc(KEYFILE_PASS_MAX)))
		return;
	memcpy(remembered, pass, plen);
	remembered_len = plen;
	sodium_mprotect_readonly(remembered);
}

int keyfile_passphrase(char *pass, size_t cap, size_t *plen, const char *why, int confirm,
		       struct err *e)
{
	const char *file = getenv("PARLEY_PASSPHRASE_FILE"), *env = getenv("PARLEY_PASSPHRASE");
	char again[KEYFILE_PASS_MAX];
	size_t alen;
	int rc;

	*plen = 0;
	if (remembered && !confirm && remembered_len < cap) {
		memcpy(pass, remembered, remembered_len);
		*plen = remembered_len;
	} else if (file && *file) {
		char *buf;
		size_t len;
		if ((rc = fsio_read(file, cap - 1, &buf, &len, e)) < 0)
			return err_wrap(e, "PARLEY_PASSPHRASE_FILE");
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			len--;
		memcpy(pass, buf, len);
		pass[len] = '\0';
		*plen = len;
		sodium_memzero(buf, len);
		free(buf);
	} else if (env) {
		if ((*plen = strlen(env)) >= cap)
			return err_set(e, ERR_INVALID, "PARLEY_PASSPHRASE is longer than %zu bytes", cap - 1);
		memcpy(pass, env, *plen + 1);
	} else {
		char q[200];
		snprintf(q, sizeof(q), "passphrase for %s: ", why);
		if (prompt(q, pass, cap, plen) < 0)
			return err_set(e, ERR_UNAUTHORIZED,
				       "%s needs its passphrase: set PARLEY_PASSPHRASE_FILE to a file holding "
				       "it (or PARLEY_PASSPHRASE), or run on a terminal", why);
		if (confirm) {
			if (prompt("the same again: ", again, sizeof(again), &alen) < 0 || alen != *plen ||
			    sodium_memcmp(again, pass, alen) != 0) {
				sodium_memzero(again, sizeof(again));
				sodium_memzero(pass, cap);
				return err_set(e, ERR_INVALID, "the two passphrases differ");
			}
			sodium_memzero(again, sizeof(again));
		}
	}
	if (*plen == 0)
		return err_set(e, ERR_INVALID, "the passphrase is empty");
	return 0;
}
