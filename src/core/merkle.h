/* merkle.h — RFC 9162 §2.1 Merkle trees: hashes, roots, and inclusion and
 * consistency proofs (generate and verify). Pure: no I/O, no allocation.
 *
 * Design note. A tree of size n is stored as the hashes of its *complete*
 * (perfect) subtrees, each named by a node id (level, index): the node at
 * level L, index i covers leaves [i*2^L, (i+1)*2^L). Leaf hashes are level 0.
 * Invariants:
 *   1. A node is stored once, when its last leaf is appended, and never
 *      changes: it is the same in every tree size that contains it.
 *   2. Any range [a, b) of leaves is covered by at most 2*64 complete nodes
 *      (its compact range), so a root or a proof needs O(log n) node reads.
 *   3. Every proof is planned as a list of node ids (merkle_plan), fetched
 *      by the caller from wherever nodes live, then folded by
 *      merkle_plan_rehash into the RFC 9162 proof; the hash of an incomplete
 *      ("ephemeral") right-edge subtree is folded from its complete parts.
 * The plan follows transparency-dev/merkle's proof.Nodes, rewritten in C. */
#ifndef PARLEY_MERKLE_H
#define PARLEY_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define MERKLE_HASH_LEN 32
/* A proof or a compact range never has more nodes than this. */
#define MERKLE_MAX_NODES 130

struct merkle_id {
	uint32_t level;
	uint64_t index;
};

/* SHA-256 (nettle). */
void merkle_sha256(uint8_t out[static 32], const void *data, size_t len);
/* SHA-256(0x00 || data). */
void merkle_leaf_hash(uint8_t out[static 32], const void *data, size_t len);
/* SHA-256(0x01 || l || r). out may alias l or r. */
void merkle_node_hash(uint8_t out[static 32], const uint8_t l[static 32],
		      const uint8_t r[static 32]);
/* SHA-256(""): the root of the empty tree. */
void merkle_empty_root(uint8_t out[static 32]);

/* The compact range of [begin, end): the complete nodes covering it, left to
 * right. Writes at most MERKLE_MAX_NODES ids; returns how many. */
size_t merkle_range(uint64_t begin, uint64_t end, struct merkle_id *ids);

/* The ids to fetch for a proof, and which of them fold into one ephemeral
 * node. Fill with merkle_plan_inclusion/consistency; fetch hashes[i] for
 * ids[i]; then merkle_plan_rehash. */
struct merkle_plan {
	struct merkle_id ids[MERKLE_MAX_NODES];
	size_t n;
	size_t begin, end; /* ids[begin, end) fold into the ephemeral node */
};

/* Plans the inclusion proof of leaf index in a tree of size. Returns 0, or
 * ERR_INVALID if index >= size. */
int merkle_plan_inclusion(struct merkle_plan *p, uint64_t index,
			  uint64_t size, struct err *e);
/* Plans the consistency proof from size1 to size2. Returns 0, or
 * ERR_INVALID if size1 > size2. An empty plan means an empty proof. */
int merkle_plan_consistency(struct merkle_plan *p, uint64_t size1,
			    uint64_t size2, struct err *e);
/* Folds fetched hashes (one per p->ids, in place) into the proof; returns
 * the number of proof hashes now at the front of hashes. */
size_t merkle_plan_rehash(const struct merkle_plan *p,
			  uint8_t (*hashes)[MERKLE_HASH_LEN]);

/* Root of a tree from the hashes of its compact range [0, size) (as
 * returned by merkle_range(0, size)); n == 0 gives the empty root. */
void merkle_root_from_range(uint8_t out[static 32],
			    const uint8_t (*hashes)[MERKLE_HASH_LEN], size_t n);

/* RFC 9162 §2.1.3.2. Returns 0 if proof shows leaf at index in the tree of
 * size with root; ERR_VERIFY with the reason otherwise. */
int merkle_verify_inclusion(const uint8_t leaf[static 32], uint64_t index,
			    uint64_t size,
			    const uint8_t (*proof)[MERKLE_HASH_LEN], size_t n,
			    const uint8_t root[static 32], struct err *e);
/* RFC 9162 §2.1.4.2, with the conventions of transparency-dev/merkle for the
 * edges: size1 == size2 needs an empty proof and equal roots; size1 == 0
 * needs an empty proof. Returns 0 or ERR_VERIFY. */
int merkle_verify_consistency(uint64_t size1, uint64_t size2,
			      const uint8_t root1[static 32],
			      const uint8_t root2[static 32],
			      const uint8_t (*proof)[MERKLE_HASH_LEN], size_t n,
			      struct err *e);

/* The right frontier of a growing tree: the hashes of its compact range
 * [0, size), highest level first. Appending a leaf reports every node it
 * completes (level >= 1), so a store writes each node exactly once. */
struct merkle_frontier {
	uint64_t size;
	size_t n;
	uint8_t h[64][MERKLE_HASH_LEN];
};

typedef int (*merkle_emit_fn)(void *ctx, struct merkle_id id,
			      const uint8_t hash[static 32]);

void merkle_frontier_init(struct merkle_frontier *f);
/* Loads a frontier of the given size from its compact range hashes. */
void merkle_frontier_load(struct merkle_frontier *f, uint64_t size,
			  const uint8_t (*hashes)[MERKLE_HASH_LEN], size_t n);
/* Appends a leaf hash; calls emit (if not NULL) for each completed node of
 * level >= 1. Returns 0, or the first non-zero value emit returned (the
 * frontier is then unchanged). */
int merkle_frontier_append(struct merkle_frontier *f,
			   const uint8_t leaf[static 32], merkle_emit_fn emit,
			   void *ctx);
void merkle_frontier_root(const struct merkle_frontier *f,
			  uint8_t out[static 32]);

/* Lower-case hex of a hash into out (65 bytes with NUL). */
void merkle_hex(char out[static 65], const uint8_t h[static 32]);

#endif
