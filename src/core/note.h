/* note.h — C2SP signed-note (Ed25519), tlog-checkpoint bodies and
 * tlog-cosignature (timestamped Ed25519 cosignatures, key type 0x04).
 * Compatible with golang.org/x/mod/sumdb/note and transparency-log
 * witnesses: a parley checkpoint is an ordinary tlog checkpoint. */
#ifndef PARLEY_NOTE_H
#define PARLEY_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define NOTE_ALG_ED25519 0x01
#define NOTE_ALG_COSIGNATURE 0x04
#define NOTE_NAME_MAX 255
#define NOTE_MAX_SIGS 100     /* as Go's note.Open */
#define NOTE_MAX_SIZE 65536   /* a whole note, text and signatures */
#define NOTE_KEY_STR_MAX 512  /* verifier or signer key string */

/* A verifier key: name, key id and public key. */
struct note_key {
	char name[NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t alg;
	uint8_t pk[32];
};

/* A signing key; sk is libsodium's (seed || pk). Wipe with note_signer_wipe. */
struct note_signer {
	struct note_key pub;
	uint8_t sk[64];
};

/* SHA-256(name || "\n" || alg || pk)[:4] as a big-endian integer. */
uint32_t note_key_id(const char *name, uint8_t alg, const uint8_t pk[static 32]);
/* Valid key name: non-empty, UTF-8, no white space, no '+'. */
int note_name_valid(const char *name, size_t len);

/* Makes a new Ed25519 signing key for name. Returns 0 or ERR_INVALID. */
int note_keygen(struct note_signer *s, const char *name, struct err *e);
/* Signer string "PRIVATE+KEY+name+id+base64(alg||seed)"; the caller wipes
 * buf after use. Returns 0 or ERR_TOOBIG. */
int note_signer_encode(const struct note_signer *s, char *buf, size_t cap,
		       struct err *e);
/* Parses a signer string. Returns 0 or ERR_INVALID naming the fault. */
int note_signer_parse(struct note_signer *s, const char *str, size_t len,
		      struct err *e);
void note_signer_wipe(struct note_signer *s);
/* Verifier string "name+id+base64(alg||pk)". Returns 0 or ERR_TOOBIG. */
int note_key_encode(const struct note_key *k, char *buf, size_t cap,
		    struct err *e);
/* Parses a verifier string (Ed25519 or cosignature key). Returns 0 or
 * ERR_INVALID naming the fault. */
int note_key_parse(struct note_key *k, const char *str, size_t len,
		   struct err *e);
/* The cosignature (type 0x04) verifier for the same name and public key. */
void note_key_cosigner(struct note_key *out, const struct note_key *in);

/* Appends "— name base64(id||sig)\n" signing text to out (cap bytes,
 * *len bytes already used). text must be the note text, ending in "\n".
 * Returns 0, ERR_INVALID or ERR_TOOBIG. */
int note_sign_line(char *out, size_t cap, size_t *len, const char *text,
		   size_t textlen, const struct note_signer *s, struct err *e);
/* Writes the whole note: text, blank line, one signature by s. */
int note_sign(char *out, size_t cap, size_t *len, const char *text,
	      size_t textlen, const struct note_signer *s, struct err *e);
/* Appends a tlog-cosignature line for checkpoint text at time (Unix
 * seconds): "— name base64(id||time||sig)\n" with s's 0x04 key id. */
int note_cosign_line(char *out, size_t cap, size_t *len, const char *text,
		     size_t textlen, const struct note_signer *s,
		     uint64_t time, struct err *e);

/* One signature line of an opened note. name points into the message. */
struct note_sig {
	const char *name;
	size_t namelen;
	uint32_t id;
	const struct note_key *key; /* the known key that verified it, or NULL */
	uint64_t time;              /* cosignatures: the signed timestamp */
	const char *line;           /* the whole line, with "— ", without "\n" */
	size_t linelen;
};

struct note {
	const char *text; /* points into the message; ends with "\n" */
	size_t textlen;
	size_t nsigs;     /* verified first, then unknown-key signatures */
	size_t nverified;
	struct note_sig sigs[NOTE_MAX_SIGS];
};

/* Parses msg and verifies its signatures against keys, as Go's note.Open:
 * signatures by unknown keys are kept unverified; a second signature by the
 * same known key is ignored. n points into msg afterwards. Unlike Go, two
 * keys in the list with the same name and id are not an error: the first
 * is used (parley's key lists come from its own store, one key a party).
 * Returns 0 if at least one known key verified; ERR_INVALID for a malformed
 * note, ERR_SIGNATURE when a known key's signature does not verify,
 * ERR_UNVERIFIED when no known key signed (n is still filled then). */
int note_open(struct note *n, const char *msg, size_t len,
	      const struct note_key *keys, size_t nkeys, struct err *e);

/* A tlog-checkpoint body: origin, size, root, optional extension lines. */
#define CHECKPOINT_ORIGIN_MAX 300
struct checkpoint {
	char origin[CHECKPOINT_ORIGIN_MAX + 1];
	uint64_t size;
	uint8_t root[32];
	size_t nextensions;
};

/* Writes "origin\nsize\nbase64(root)\n" (no extension lines). */
int checkpoint_encode(const struct checkpoint *c, char *buf, size_t cap,
		      size_t *len, struct err *e);
/* Parses a checkpoint body (a note's text): strict decimal size without
 * leading zeros, 32-byte base64 root, non-empty extension lines.
 * Returns 0 or ERR_INVALID naming the fault. */
int checkpoint_parse(struct checkpoint *c, const char *text, size_t len,
		     struct err *e);

#endif
