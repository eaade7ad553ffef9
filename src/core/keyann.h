/* keyann.h — key announcements (the body of a log entry of kind "key")
 * and the key chain they make: which identity key of a party signs which
 * checkpoints of its log, and which cosigns at which time (issue 7).
 *
 * Design note. An announcement is a C2SP signed note whose text is
 *
 *   parley-key/1
 *   old <verifier key the party used until now>
 *   new <verifier key it uses from now on>
 *   time <YYYY-MM-DDTHH:MM:SSZ>
 *
 * signed first by the OLD key (continuity: only the holder of the key a
 * peer already trusts can name its successor) and then by the NEW key
 * (possession). Both keys carry the party's name. The note travels as the
 * entry's body, so the envelope commits to it and every checkpoint covering
 * the entry commits to the key change.
 *
 * A chain is K0, K1, ..., Kn. Invariants (keyann_chain_add keeps them):
 *   1. The announcement of K(j+1) is signed by Kj and names Kj as old.
 *   2. Entry indexes of announcements strictly increase along the log.
 *   3. A checkpoint of size s is signed by the key of the last announcement
 *      at an index below s, else K0 (keyann_chain_at).
 *   4. A cosignature with time t is by a key whose period contains t: Kj
 *      from the time of its announcement (K0: always) to the time of the
 *      next one, both ends included (keyann_chain_cosig_ok).
 * Pure: no I/O. */
#ifndef PARLEY_KEYANN_H
#define PARLEY_KEYANN_H

#include <stddef.h>
#include <stdint.h>

#include "core/note.h"
#include "util/err.h"

#define KEYANN_MAX 2048       /* bytes in an announcement */
#define KEYANN_CHAIN_MAX 64   /* keys in a chain: 63 rotations */
#define KEYANN_TYPE "key-rotation" /* the envelope's type field */

struct keyann {
	struct note_key old, new;
	int64_t time;
};

/* Writes the announcement of new replacing old at time into out (cap
 * bytes): text and both signatures. Returns 0, ERR_INVALID (different
 * names, equal keys, a time out of range) or ERR_TOOBIG. */
int keyann_make(char *out, size_t cap, size_t *len, const struct note_signer *old,
		const struct note_signer *new, int64_t time, struct err *e);

/* Parses and checks an announcement: canonical text, two Ed25519 keys of
 * one name, exactly the two signatures by old and new, both valid.
 * Returns 0, ERR_INVALID (malformed) or ERR_SIGNATURE (a signature that
 * does not verify, or is missing). */
int keyann_parse(struct keyann *a, const char *buf, size_t len, struct err *e);

struct keyann_chain {
	size_t n; /* 0: empty */
	struct keyann_link {
		struct note_key key;
		uint64_t index; /* entry index of its announcement; K0: 0 */
		int64_t since;  /* its announcement's time; K0: 0 */
	} k[KEYANN_CHAIN_MAX];
};

/* Empties c, or starts it at first (NULL: empty). */
void keyann_chain_init(struct keyann_chain *c, const struct note_key *first);
/* Appends a's new key, announced at entry index of origin (for messages).
 * An empty chain starts at a's old key. Returns 0 or ERR_SIGNATURE naming
 * the index when a's old key is not the chain's last key (invariant 1),
 * ERR_INVALID for an index out of order, ERR_TOOBIG past the cap. */
int keyann_chain_add(struct keyann_chain *c, const struct keyann *a, uint64_t index,
		     const char *origin, struct err *e);
/* The key that signs a checkpoint of size (invariant 3); NULL if empty. */
const struct note_key *keyann_chain_at(const struct keyann_chain *c, uint64_t size);
const struct note_key *keyann_chain_last(const struct keyann_chain *c);
/* Position of the key equal to k (name, id and public key), or -1. */
int keyann_chain_find(const struct keyann_chain *c, const struct note_key *k);
/* Fills out (KEYANN_CHAIN_MAX) with the chain's keys as cosignature
 * (type 0x04) verifiers; returns how many. */
size_t keyann_chain_cosigners(const struct keyann_chain *c, struct note_key *out);
/* True if key j may have made a cosignature with time t (invariant 4). */
int keyann_chain_cosig_ok(const struct keyann_chain *c, size_t j, uint64_t t);
/* Checks that key j of c may sign a checkpoint of size of origin
 * (invariant 3). Returns 0 or ERR_VERIFY naming the announcement's index:
 * a key used before its announcement, or after the one that replaced it. */
int keyann_chain_signer_ok(const struct keyann_chain *c, size_t j, uint64_t size,
			   const char *origin, struct err *e);
/* True if two verifier keys are the same key. */
int keyann_key_equal(const struct note_key *a, const struct note_key *b);

#endif
