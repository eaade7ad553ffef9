/* note.c — C2SP signed-note, tlog-checkpoint and tlog-cosignature. */
#include "core/note.h"

#include "util/b64.h"
#include "core/merkle.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#define SIG_PREFIX "\xe2\x80\x94 " /* "— " */
#define SIG_PREFIX_LEN 4
#define COSIG_BLOB_LEN (4 + 8 + 64)
#define SIG_BLOB_LEN (4 + 64)

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/* Decodes one UTF-8 scalar at s (n bytes left). Returns its length, or 0 for
 * an invalid, overlong, surrogate or truncated sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2; c &= 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; c &= 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; c &= 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Unicode White_Space, as Go's unicode.IsSpace. */
static int is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 ||
	       c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	       c == 0x3000;
}

int note_name_valid(const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;
	uint32_t cp;
	size_t k;

	if (len == 0 || len > NOTE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i += k) {
		if ((k = utf8_decode(s + i, len - i, &cp)) == 0)
			return 0;
		if (is_space(cp) || cp == '+' || cp < 0x20)
			return 0;
	}
	return 1;
}

uint32_t note_key_id(const char *name, uint8_t alg, const uint8_t pk[static 32])
{
	uint8_t buf[NOTE_NAME_MAX + 2 + 32], h[32];
	size_t n = strlen(name);

	if (n > NOTE_NAME_MAX)
		n = NOTE_NAME_MAX; /* callers check names; keeps the copy bounded */
	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = alg;
	memcpy(buf + n + 2, pk, 32);
	merkle_sha256(h, buf, n + 2 + 32);
	return be32(h);
}

static int set_name(char dst[static NOTE_NAME_MAX + 1], const char *name,
		    size_t len, struct err *e)
{
	if (!note_name_valid(name, len))
		return err_set(e, ERR_INVALID,
			       "key name '%.*s' is not valid: it must be 1 to %d bytes of UTF-8 without spaces or '+'",
			       (int)(len > 64 ? 64 : len), name, NOTE_NAME_MAX);
	memcpy(dst, name, len);
	dst[len] = '\0';
	return 0;
}

int note_keygen(struct note_signer *s, const char *name, struct err *e)
{
	int rc;

	if (sodium_init() < 0)
		return err_set(e, ERR_INVALID, "libsodium failed to start");
	if ((rc = set_name(s->pub.name, name, strlen(name), e)) < 0)
		return rc;
	crypto_sign_keypair(s->pub.pk, s->sk);
	s->pub.alg = NOTE_ALG_ED25519;
	s->pub.id = note_key_id(s->pub.name, NOTE_ALG_ED25519, s->pub.pk);
	return 0;
}

void note_signer_wipe(struct note_signer *s)
{
	if (s)
		sodium_memzero(s, sizeof(*s));
}

/* Splits str at the first '+': [str, *field_end) and the rest. */
static int next_field(const char **p, const char *end, const char **f,
		      size_t *flen)
{
	const char *plus = memchr(*p, '+', (size_t)(end - *p));

	*f = *p;
	if (!plus) {
		*flen = (size_t)(end - *p);
		*p = end;
		return 0;
	}
	*flen = (size_t)(plus - *p);
	*p = plus + 1;
	return 1;
}

static int parse_hex32(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;

	if (len != 8)
		return -1;
	for (size_t i = 0; i < 8; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/* Strict standard base64 of exactly want bytes (or up to want when *got is
 * not NULL). Returns 0 or -1. */
/* Non-empty strict base64 (util/b64; the alphabet check there is what
 * fuzz_note found missing): got NULL means exactly want bytes. */
static int note_b64(uint8_t *out, size_t want, const char *s, size_t len, size_t *got)
{
	size_t n;

	if (len == 0 || b64_decode(out, want, s, len, &n) < 0)
		return -1;
	if (got) {
		*got = n;
		return 0;
	}
	return n == want ? 0 : -1;
}

static int key_fields(const char *str, size_t len, const char **name,
		      size_t *namelen, uint32_t *id, uint8_t *blob,
		      size_t blobcap, size_t *bloblen, const char *what,
		      struct err *e)
{
	const char *p = str, *end = str + len, *f;
	size_t flen;

	if (!next_field(&p, end, name, namelen))
		return err_set(e, ERR_INVALID,
			       "%s: expected name+keyid+base64key", what);
	if (!note_name_valid(*name, *namelen))
		return err_set(e, ERR_INVALID,
			       "%s: key name is empty, too long, not UTF-8, or has spaces",
			       what);
	if (!next_field(&p, end, &f, &flen) || parse_hex32(f, flen, id) < 0)
		return err_set(e, ERR_INVALID,
			       "%s: key id must be 8 hex digits followed by '+'",
			       what);
	/* '+' is also a base64 letter: the rest is all key. */
	if (note_b64(blob, blobcap, p, (size_t)(end - p), bloblen) < 0)
		return err_set(e, ERR_INVALID, "%s: key is not valid base64",
			       what);
	return 0;
}

int note_key_parse(struct note_key *k, const char *str, size_t len,
		   struct err *e)
{
	const char *name;
	size_t namelen, bloblen;
	uint8_t blob[33];
	uint32_t id;
	int rc;

	if (len > NOTE_KEY_STR_MAX)
		return err_set(e, ERR_INVALID, "verifier key: longer than %d bytes",
			       NOTE_KEY_STR_MAX);
	if ((rc = key_fields(str, len, &name, &namelen, &id, blob, sizeof(blob),
			     &bloblen, "verifier key", e)) < 0)
		return rc;
	if (bloblen != 33 || (blob[0] != NOTE_ALG_ED25519 &&
			      blob[0] != NOTE_ALG_COSIGNATURE))
		return err_set(e, ERR_INVALID,
			       "verifier key: not an Ed25519 (type 0x01) or cosignature (type 0x04) key");
	memcpy(k->name, name, namelen);
	k->name[namelen] = '\0';
	k->alg = blob[0];
	memcpy(k->pk, blob + 1, 32);
	k->id = note_key_id(k->name, k->alg, k->pk);
	if (k->id != id)
		return err_set(e, ERR_INVALID,
			       "verifier key: key id %08" PRIx32 " does not match the key (expected %08" PRIx32 ")",
			       id, k->id);
	return 0;
}

int note_signer_parse(struct note_signer *s, const char *str, size_t len,
		      struct err *e)
{
	static const char prefix[] = "PRIVATE+KEY+";
	const char *name;
	size_t namelen, bloblen;
	uint8_t blob[33];
	uint32_t id;
	int rc;

	if (len > NOTE_KEY_STR_MAX || len < sizeof(prefix) - 1 ||
	    memcmp(str, prefix, sizeof(prefix) - 1) != 0)
		return err_set(e, ERR_INVALID,
			       "signer key: expected PRIVATE+KEY+name+keyid+base64key");
	str += sizeof(prefix) - 1;
	len -= sizeof(prefix) - 1;
	rc = key_fields(str, len, &name, &namelen, &id, blob, sizeof(blob),
			&bloblen, "signer key", e);
	if (rc == 0 && (bloblen != 33 || blob[0] != NOTE_ALG_ED25519))
		rc = err_set(e, ERR_INVALID, "signer key: not an Ed25519 key");
	if (rc == 0 && sodium_init() < 0)
		rc = err_set(e, ERR_INVALID, "libsodium failed to start");
	if (rc == 0) {
		memcpy(s->pub.name, name, namelen);
		s->pub.name[namelen] = '\0';
		s->pub.alg = NOTE_ALG_ED25519;
		crypto_sign_seed_keypair(s->pub.pk, s->sk, blob + 1);
		s->pub.id = note_key_id(s->pub.name, s->pub.alg, s->pub.pk);
		if (s->pub.id != id)
			rc = err_set(e, ERR_INVALID,
				     "signer key: key id %08" PRIx32 " does not match the key",
				     id);
	}
	sodium_memzero(blob, sizeof(blob));
	if (rc < 0)
		note_signer_wipe(s);
	return rc;
}

static int encode_key(char *buf, size_t cap, const char *prefix,
		      const char *name, uint32_t id, const uint8_t blob[33],
		      struct err *e)
{
	char b64[sodium_base64_ENCODED_LEN(33, sodium_base64_VARIANT_ORIGINAL)];
	int n;

	sodium_bin2base64(b64, sizeof(b64), blob, 33,
			  sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(buf, cap, "%s%s+%08" PRIx32 "+%s", prefix, name, id, b64);
	sodium_memzero(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ERR_TOOBIG, "key string longer than %zu bytes",
			       cap);
	return 0;
}

int note_key_encode(const struct note_key *k, char *buf, size_t cap,
		    struct err *e)
{
	uint8_t blob[33];

	blob[0] = k->alg;
	memcpy(blob + 1, k->pk, 32);
	return encode_key(buf, cap, "", k->name, k->id, blob, e);
}

int note_signer_encode(const struct note_signer *s, char *buf, size_t cap,
		       struct err *e)
{
	uint8_t blob[33];
	int rc;

	blob[0] = NOTE_ALG_ED25519;
	memcpy(blob + 1, s->sk, 32); /* the seed */
	rc = encode_key(buf, cap, "PRIVATE+KEY+", s->pub.name, s->pub.id, blob,
			e);
	sodium_memzero(blob, sizeof(blob));
	return rc;
}

void note_key_cosigner(struct note_key *out, const struct note_key *in)
{
	if (out != in)
		*out = *in;
	out->alg = NOTE_ALG_COSIGNATURE;
	out->id = note_key_id(out->name, out->alg, out->pk);
}

static int check_text(const char *text, size_t len, struct err *e)
{
	if (len == 0 || text[len - 1] != '\n')
		return err_set(e, ERR_INVALID, "note text must end with a newline");
	return 0;
}

static int append_sig(char *out, size_t cap, size_t *len, const char *name,
		      const uint8_t *blob, size_t bloblen, struct err *e)
{
	char b64[sodium_base64_ENCODED_LEN(COSIG_BLOB_LEN,
					   sodium_base64_VARIANT_ORIGINAL)];
	int n;

	sodium_bin2base64(b64, sizeof(b64), blob, bloblen,
			  sodium_base64_VARIANT_ORIGINAL);
	if (*len > cap)
		return err_set(e, ERR_TOOBIG, "note buffer overrun");
	n = snprintf(out + *len, cap - *len, SIG_PREFIX "%s %s\n", name, b64);
	if (n < 0 || (size_t)n >= cap - *len)
		return err_set(e, ERR_TOOBIG,
			       "signed note does not fit in %zu bytes", cap);
	*len += (size_t)n;
	return 0;
}

int note_sign_line(char *out, size_t cap, size_t *len, const char *text,
		   size_t textlen, const struct note_signer *s, struct err *e)
{
	uint8_t blob[SIG_BLOB_LEN];
	int rc;

	if ((rc = check_text(text, textlen, e)) < 0)
		return rc;
	put_be32(blob, s->pub.id);
	crypto_sign_detached(blob + 4, NULL, (const uint8_t *)text, textlen,
			     s->sk);
	return append_sig(out, cap, len, s->pub.name, blob, sizeof(blob), e);
}

int note_sign(char *out, size_t cap, size_t *len, const char *text,
	      size_t textlen, const struct note_signer *s, struct err *e)
{
	int rc;

	if ((rc = check_text(text, textlen, e)) < 0)
		return rc;
	if (textlen + 1 >= cap)
		return err_set(e, ERR_TOOBIG,
			       "signed note does not fit in %zu bytes", cap);
	memcpy(out, text, textlen);
	out[textlen] = '\n';
	*len = textlen + 1;
	return note_sign_line(out, cap, len, text, textlen, s, e);
}

/* "cosignature/v1\ntime T\n" + text, into buf; returns its length or 0. */
static size_t cosig_message(uint8_t *buf, size_t cap, const char *text,
			    size_t textlen, uint64_t time)
{
	int n = snprintf((char *)buf, cap, "cosignature/v1\ntime %" PRIu64 "\n",
			 time);

	if (n < 0 || (size_t)n + textlen > cap)
		return 0;
	memcpy(buf + n, text, textlen);
	return (size_t)n + textlen;
}

int note_cosign_line(char *out, size_t cap, size_t *len, const char *text,
		     size_t textlen, const struct note_signer *s,
		     uint64_t time, struct err *e)
{
	uint8_t blob[COSIG_BLOB_LEN], msg[NOTE_MAX_SIZE];
	size_t mlen;
	struct note_key ck;
	int rc;

	if ((rc = check_text(text, textlen, e)) < 0)
		return rc;
	if ((mlen = cosig_message(msg, sizeof(msg), text, textlen, time)) == 0)
		return err_set(e, ERR_TOOBIG, "checkpoint too large to cosign");
	note_key_cosigner(&ck, &s->pub);
	put_be32(blob, ck.id);
	put_be64(blob + 4, time);
	crypto_sign_detached(blob + 12, NULL, msg, mlen, s->sk);
	return append_sig(out, cap, len, s->pub.name, blob, sizeof(blob), e);
}

static const struct note_key *find_key(const struct note_key *keys,
				       size_t nkeys, const char *name,
				       size_t namelen, uint32_t id)
{
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i].id == id && strlen(keys[i].name) == namelen &&
		    memcmp(keys[i].name, name, namelen) == 0)
			return &keys[i];
	return NULL;
}

/* Verifies one signature blob (after the key id) by a known key. */
static int verify_sig(const struct note_key *k, const char *text,
		      size_t textlen, const uint8_t *sig, size_t siglen,
		      uint64_t *time)
{
	uint8_t msg[NOTE_MAX_SIZE];
	size_t mlen;

	if (k->alg == NOTE_ALG_ED25519)
		return siglen == 64 &&
		       crypto_sign_verify_detached(sig, (const uint8_t *)text,
						   textlen, k->pk) == 0;
	if (siglen != 8 + 64)
		return 0;
	*time = be64(sig);
	mlen = cosig_message(msg, sizeof(msg), text, textlen, *time);
	return mlen != 0 &&
	       crypto_sign_verify_detached(sig + 8, msg, mlen, k->pk) == 0;
}

static int known_seen(const struct note *n, const struct note_key *k)
{
	for (size_t i = 0; i < n->nverified; i++)
		if (n->sigs[i].key == k)
			return 1;
	return 0;
}

int note_open(struct note *n, const char *msg, size_t len,
	      const struct note_key *keys, size_t nkeys, struct err *e)
{
	const unsigned char *s = (const unsigned char *)msg;
	struct note_sig unknown[NOTE_MAX_SIGS];
	size_t nunknown = 0, k, split, count = 0;
	const char *p, *end;
	uint32_t cp;

	if (sodium_init() < 0)
		return err_set(e, ERR_INVALID, "libsodium failed to start");
	memset(n, 0, offsetof(struct note, sigs));
	if (len > NOTE_MAX_SIZE)
		return err_set(e, ERR_INVALID, "note: longer than %d bytes",
			       NOTE_MAX_SIZE);
	for (size_t i = 0; i < len; i += k) {
		if ((k = utf8_decode(s + i, len - i, &cp)) == 0)
			return err_set(e, ERR_INVALID,
				       "note: invalid UTF-8 at byte %zu", i);
		if (cp < 0x20 && cp != '\n')
			return err_set(e, ERR_INVALID,
				       "note: control character 0x%02x at byte %zu",
				       (unsigned)cp, i);
	}
	/* The signature block follows the last blank line. */
	for (split = len; split >= 2; split--)
		if (msg[split - 1] == '\n' && msg[split - 2] == '\n')
			break;
	if (split < 2)
		return err_set(e, ERR_INVALID,
			       "note: no blank line before the signatures");
	n->text = msg;
	n->textlen = split - 1;
	p = msg + split;
	end = msg + len;
	if (p == end || end[-1] != '\n')
		return err_set(e, ERR_INVALID,
			       "note: the signature block is empty or does not end with a newline");

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line = p, *name, *sp, *b64;
		size_t linelen = (size_t)(nl - p), namelen, bloblen;
		uint8_t blob[4 + 8 + 64 + 1];
		struct note_sig sig;
		const struct note_key *key;

		p = nl + 1;
		if (++count > NOTE_MAX_SIGS)
			return err_set(e, ERR_INVALID,
				       "note: more than %d signatures",
				       NOTE_MAX_SIGS);
		if (linelen < SIG_PREFIX_LEN ||
		    memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
			return err_set(e, ERR_INVALID,
				       "note: signature line %zu does not start with \"— \"",
				       count);
		name = line + SIG_PREFIX_LEN;
		sp = memchr(name, ' ', (size_t)(nl - name));
		if (!sp)
			return err_set(e, ERR_INVALID,
				       "note: signature line %zu has no space between name and signature",
				       count);
		namelen = (size_t)(sp - name);
		b64 = sp + 1;
		if (!note_name_valid(name, namelen))
			return err_set(e, ERR_INVALID,
				       "note: signature line %zu has an invalid key name",
				       count);
		/* Unknown key types may be longer than ours: only the
		 * length is checked for those, not kept. */
		{
			size_t b64len = (size_t)(nl - b64);
			uint8_t big[1024];

			if (b64len == 0 || b64len > 1300 ||
			    note_b64(big, sizeof(big), b64, b64len,
				       &bloblen) < 0 || bloblen < 5)
				return err_set(e, ERR_INVALID,
					       "note: signature line %zu: signature is not valid base64 of at least 5 bytes",
					       count);
			memcpy(blob, big, bloblen < sizeof(blob) ? bloblen
								 : sizeof(blob));
		}
		sig = (struct note_sig){ .name = name, .namelen = namelen,
					 .id = be32(blob), .line = line,
					 .linelen = linelen };
		key = find_key(keys, nkeys, name, namelen, sig.id);
		if (!key) {
			int dup = 0;
			for (size_t i = 0; i < nunknown; i++)
				if (unknown[i].linelen == linelen &&
				    memcmp(unknown[i].line, line, linelen) == 0)
					dup = 1;
			if (!dup)
				unknown[nunknown++] = sig;
			continue;
		}
		if (known_seen(n, key))
			continue;
		if (bloblen > sizeof(blob) ||
		    !verify_sig(key, n->text, n->textlen, blob + 4, bloblen - 4,
				&sig.time))
			return err_set(e, ERR_SIGNATURE,
				       "note: signature by %.*s+%08" PRIx32 " does not verify",
				       (int)namelen, name, sig.id);
		sig.key = key;
		n->sigs[n->nverified++] = sig;
	}
	memcpy(n->sigs + n->nverified, unknown, nunknown * sizeof(unknown[0]));
	n->nsigs = n->nverified + nunknown;
	if (n->nverified == 0)
		return err_set(e, ERR_UNVERIFIED,
			       "note: no signature by a known key");
	return 0;
}

int checkpoint_encode(const struct checkpoint *c, char *buf, size_t cap,
		      size_t *len, struct err *e)
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	int n;

	sodium_bin2base64(b64, sizeof(b64), c->root, 32,
			  sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(buf, cap, "%s\n%" PRIu64 "\n%s\n", c->origin, c->size, b64);
	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ERR_TOOBIG,
			       "checkpoint does not fit in %zu bytes", cap);
	*len = (size_t)n;
	return 0;
}

int checkpoint_parse(struct checkpoint *c, const char *text, size_t len,
		     struct err *e)
{
	const char *p = text, *end = text + len, *nl;
	size_t l;
	uint64_t size = 0;

	memset(c, 0, sizeof(*c));
	if (len == 0 || text[len - 1] != '\n')
		return err_set(e, ERR_INVALID,
			       "checkpoint: must end with a newline");
	/* origin */
	nl = memchr(p, '\n', (size_t)(end - p));
	l = (size_t)(nl - p);
	if (l == 0 || l > CHECKPOINT_ORIGIN_MAX)
		return err_set(e, ERR_INVALID,
			       "checkpoint: origin line is empty or longer than %d bytes",
			       CHECKPOINT_ORIGIN_MAX);
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return err_set(e, ERR_INVALID,
				       "checkpoint: control character in origin");
	memcpy(c->origin, p, l);
	p = nl + 1;
	/* size */
	if (p == end)
		return err_set(e, ERR_INVALID, "checkpoint: missing size line");
	nl = memchr(p, '\n', (size_t)(end - p));
	l = (size_t)(nl - p);
	if (l == 0 || l > 20 || (l > 1 && p[0] == '0'))
		return err_set(e, ERR_INVALID,
			       "checkpoint: size must be a decimal number without leading zeros");
	for (size_t i = 0; i < l; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		if (d > 9)
			return err_set(e, ERR_INVALID,
				       "checkpoint: size must be a decimal number without leading zeros");
		if (size > (UINT64_MAX - d) / 10)
			return err_set(e, ERR_INVALID,
				       "checkpoint: size overflows 64 bits");
		size = size * 10 + d;
	}
	c->size = size;
	p = nl + 1;
	/* root */
	if (p == end)
		return err_set(e, ERR_INVALID, "checkpoint: missing root hash line");
	nl = memchr(p, '\n', (size_t)(end - p));
	if (note_b64(c->root, 32, p, (size_t)(nl - p), NULL) < 0)
		return err_set(e, ERR_INVALID,
			       "checkpoint: root hash is not base64 of 32 bytes");
	p = nl + 1;
	/* extension lines */
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == p)
			return err_set(e, ERR_INVALID,
				       "checkpoint: empty extension line");
		c->nextensions++;
		p = nl + 1;
	}
	return 0;
}
