/* fuzz_note.c — libFuzzer harness for note_open with two known keys: an
 * Ed25519 signer and a cosigner (type 0x04), both made from fixed seeds.
 * The text of a note that opens (or opens with only unknown signatures) is
 * then parsed as a checkpoint. The seeds are those of the published
 * vectors (tests/vectors/note: PeterNeumann; tests/vectors/cosignature:
 * example.org/witness, seed {17}), so seed inputs from there verify. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t ed25519_seed[32] = {
	0x81, 0x0a, 0x14, 0x02, 0xd5, 0x14, 0x6c, 0x8d, 0x84, 0xf2, 0x44,
	0x33, 0x30, 0xf5, 0x40, 0x80, 0xeb, 0xf9, 0x8e, 0xe1, 0x7d, 0x9c,
	0x74, 0xf6, 0x25, 0x2f, 0xc5, 0xd5, 0xc7, 0x28, 0x31, 0x73,
};
static const uint8_t cosigner_seed[32] = { 17 };

static void make_key(struct note_key *k, const char *name, uint8_t alg,
		     const uint8_t seed[static 32])
{
	uint8_t sk[64];

	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	crypto_sign_seed_keypair(k->pk, sk, seed);
	sodium_memzero(sk, sizeof(sk));
	k->alg = alg;
	k->id = note_key_id(k->name, alg, k->pk);
}

static int within(const char *p, size_t n, const uint8_t *data, size_t size)
{
	return p >= (const char *)data && n <= size &&
	       (size_t)(p - (const char *)data) <= size - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct note_key keys[2];
	static int ready;
	static struct note n; /* about 6 KiB: keep it off the stack */
	struct checkpoint c;
	struct err e = { 0 };
	int rc;

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		make_key(&keys[0], "PeterNeumann", NOTE_ALG_ED25519, ed25519_seed);
		make_key(&keys[1], "example.org/witness", NOTE_ALG_COSIGNATURE,
			 cosigner_seed);
		ready = 1;
	}
	rc = note_open(&n, (const char *)data, size, keys, 2, &e);
	if (rc != 0 && rc != ERR_UNVERIFIED)
		return 0;
	/* What note_open promises about an opened note. */
	if (n.nverified > n.nsigs || n.nsigs > NOTE_MAX_SIGS || n.nverified > 2 ||
	    (rc == 0) != (n.nverified > 0) ||
	    !within(n.text, n.textlen, data, size) || n.textlen == 0 ||
	    n.text[n.textlen - 1] != '\n')
		abort();
	for (size_t i = 0; i < n.nsigs; i++) {
		const struct note_sig *s = &n.sigs[i];

		if (!within(s->name, s->namelen, data, size) ||
		    !within(s->line, s->linelen, data, size) ||
		    (i < n.nverified) != (s->key != NULL))
			abort();
		if (s->key && ((s->key != &keys[0] && s->key != &keys[1]) ||
			       s->key->id != s->id ||
			       strlen(s->key->name) != s->namelen ||
			       memcmp(s->key->name, s->name, s->namelen) != 0))
			abort();
	}
	if (checkpoint_parse(&c, n.text, n.textlen, &e) == 0 &&
	    c.nextensions == 0) {
		char buf[CHECKPOINT_ORIGIN_MAX + 128];
		size_t len = 0;

		if (checkpoint_encode(&c, buf, sizeof(buf), &len, &e) != 0 ||
		    len != n.textlen || memcmp(buf, n.text, len) != 0)
			abort();
	}
	return 0;
}
