/* fuzz_proof.c — libFuzzer harness for merkle_verify_inclusion and
 * merkle_verify_consistency, with sizes, indexes, hashes and proofs from
 * the input. The rest of the input is split into the leaves of a tree the
 * harness builds itself (at most 64 leaves), with RFC 9162 §2.1.1 MTH,
 * §2.1.3.1 PATH and §2.1.4.1 PROOF written out here. Checked:
 *   1. never a crash, whatever the sizes (up to 2^64 - 1) and hashes;
 *   2. the verdict is that of the RFC 9162 §2.1.3.2 / §2.1.4.2 algorithms
 *      as written here, with transparency-dev/merkle's edge conventions
 *      (merkle.h);
 *   3. a proof accepted against a root of the harness's tree is the
 *      tree's own proof (and the leaf or old root is the tree's);
 *   4. the tree's own proofs verify, and merkle_plan_* + rehash over the
 *      tree's nodes, and merkle_range + merkle_root_from_range, give the
 *      same proofs and roots.
 * Input: flags (bit 0 consistency, bit 1 raw), nleaves; then
 *   tree mode: a, b, pa, pb, edit, arg1, arg2 (bytes), alt (32 bytes):
 *     verify (a, b) with the tree's proof for (pa, pb), edited;
 *   raw mode: a, b (8 bytes each), nproof, h1, h2 (32 bytes each), nproof
 *     hashes: verify (a, b) with h1 as leaf or old root, h2 as root;
 *   then the leaf bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/merkle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LEAVES 64
#define MAX_LEVEL 6 /* 2^6 == MAX_LEAVES */
#define MAX_PROOF 256

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t take8(struct input *in)
{
	uint8_t v = 0;

	if (in->n > 0) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static uint64_t take64(struct input *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | take8(in);
	return v;
}

static void take_hash(struct input *in, uint8_t h[32])
{
	for (int i = 0; i < 32; i++)
		h[i] = take8(in);
}

/* The harness's tree: node[l][i] covers leaves [i*2^l, (i+1)*2^l). */
static uint8_t node[MAX_LEVEL + 1][MAX_LEAVES][32];
static uint64_t nleaves;

static void hash_children(uint8_t out[32], const uint8_t l[32], const uint8_t r[32])
{
	uint8_t buf[65];

	buf[0] = 0x01;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	merkle_sha256(out, buf, sizeof(buf));
}

static void build(const uint8_t *leaves, size_t len, uint64_t n)
{
	uint8_t buf[1 + 4096];

	nleaves = n;
	for (uint64_t i = 0; i < n; i++) {
		size_t from = (size_t)(i * len / n), to = (size_t)((i + 1) * len / n);

		if (to - from < sizeof(buf)) {
			buf[0] = 0x00;
			memcpy(buf + 1, leaves + from, to - from);
			merkle_sha256(node[0][i], buf, to - from + 1);
		} else {
			merkle_leaf_hash(node[0][i], leaves + from, to - from);
		}
	}
	for (int l = 1; l <= MAX_LEVEL; l++)
		for (uint64_t i = 0; i < (n >> l); i++)
			hash_children(node[l][i], node[l - 1][2 * i], node[l - 1][2 * i + 1]);
}

/* Largest power of two below n (n >= 2). */
static uint64_t split(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* MTH(D[lo:hi]); every subtree met is aligned, so complete ones are in
 * node[][]. */
static void mth(uint8_t out[32], uint64_t lo, uint64_t hi)
{
	uint64_t n = hi - lo, k;
	uint8_t l[32], r[32];

	if (hi > nleaves || lo > hi)
		abort();
	if (n == 0) {
		merkle_sha256(out, "", 0);
		return;
	}
	if ((n & (n - 1)) == 0) {
		int lv = 0;

		while ((1ull << lv) < n)
			lv++;
		if (lo % n != 0)
			abort();
		memcpy(out, node[lv][lo >> lv], 32);
		return;
	}
	k = split(n);
	mth(l, lo, lo + k);
	mth(r, lo + k, hi);
	hash_children(out, l, r);
}

/* PATH(m, D[lo:hi]) appended to out. */
static void path(uint64_t m, uint64_t lo, uint64_t hi, uint8_t (*out)[32], size_t *n)
{
	uint64_t k;

	if (hi - lo <= 1)
		return;
	k = split(hi - lo);
	if (m < k) {
		path(m, lo, lo + k, out, n);
		mth(out[(*n)++], lo + k, hi);
	} else {
		path(m - k, lo + k, hi, out, n);
		mth(out[(*n)++], lo, lo + k);
	}
}

/* SUBPROOF(m, D[lo:hi], b) appended to out. */
static void subproof(uint64_t m, uint64_t lo, uint64_t hi, int b, uint8_t (*out)[32],
		     size_t *n)
{
	uint64_t k;

	if (m == hi - lo) {
		if (!b)
			mth(out[(*n)++], lo, hi);
		return;
	}
	k = split(hi - lo);
	if (m <= k) {
		subproof(m, lo, lo + k, b, out, n);
		mth(out[(*n)++], lo + k, hi);
	} else {
		subproof(m - k, lo + k, hi, 0, out, n);
		mth(out[(*n)++], lo, lo + k);
	}
}

/* The tree's proof for (a, b); empty where there is none. */
static size_t tree_proof(int consistency, uint64_t a, uint64_t b, uint8_t (*out)[32])
{
	size_t n = 0;

	if (b > nleaves)
		return 0;
	if (!consistency && a < b)
		path(a, 0, b, out, &n);
	if (consistency && 0 < a && a < b)
		subproof(a, 0, b, 1, out, &n);
	return n;
}

/* RFC 9162 §2.1.3.2. */
static int rfc_inclusion(const uint8_t leaf[32], uint64_t index, uint64_t size,
			 const uint8_t (*proof)[32], size_t n, const uint8_t root[32])
{
	uint64_t fn = index, sn;
	uint8_t r[32];

	if (index >= size)
		return 0;
	sn = size - 1;
	memcpy(r, leaf, 32);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) == 1 || fn == sn) {
			hash_children(r, proof[i], r);
			if ((fn & 1) == 0)
				while ((fn & 1) == 0 && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			hash_children(r, r, proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, 32) == 0;
}

/* RFC 9162 §2.1.4.2, edges as transparency-dev/merkle. */
static int rfc_consistency(uint64_t size1, uint64_t size2, const uint8_t root1[32],
			   const uint8_t root2[32], const uint8_t (*proof)[32], size_t n)
{
	uint8_t path0[MAX_PROOF + 1][32], fr[32], sr[32];
	uint64_t fn, sn;
	size_t len = 0;

	if (size1 > size2)
		return 0;
	if (size1 == size2)
		return n == 0 && memcmp(root1, root2, 32) == 0;
	if (size1 == 0)
		return n == 0;
	if (n == 0 || n > MAX_PROOF)
		return 0;
	/* 1. If first_size is an exact power of 2, prepend first_hash. */
	if ((size1 & (size1 - 1)) == 0)
		memcpy(path0[len++], root1, 32);
	memcpy(path0[len], proof, n * 32);
	len += n;
	/* 2-4. */
	fn = size1 - 1;
	sn = size2 - 1;
	while ((fn & 1) == 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, path0[0], 32);
	memcpy(sr, path0[0], 32);
	/* 5. */
	for (size_t i = 1; i < len; i++) {
		const uint8_t *c = path0[i];

		if (sn == 0)
			return 0;
		if ((fn & 1) == 1 || fn == sn) {
			hash_children(fr, c, fr);
			hash_children(sr, c, sr);
			if ((fn & 1) == 0)
				while ((fn & 1) == 0 && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			hash_children(sr, sr, c);
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* 6. */
	return memcmp(fr, root1, 32) == 0 && memcmp(sr, root2, 32) == 0 && sn == 0;
}

/* 4. The tree's proof for valid (a, b) verifies, and the planner agrees. */
static void check_tree(int consistency, uint64_t a, uint64_t b)
{
	static uint8_t want[MERKLE_MAX_NODES][32], got[MERKLE_MAX_NODES][32];
	static struct merkle_plan plan;
	struct merkle_id ids[MERKLE_MAX_NODES];
	uint8_t leafh[32], ra[32], rb[32], r[32];
	struct err e = { 0 };
	size_t nwant, ngot, nr;

	if (b > nleaves || (consistency ? a > b : a >= b))
		return;
	nwant = tree_proof(consistency, a, b, want);
	mth(rb, 0, b);
	nr = merkle_range(0, b, ids);
	for (size_t i = 0; i < nr; i++) {
		if (ids[i].level > MAX_LEVEL || ids[i].index >= MAX_LEAVES)
			abort();
		memcpy(got[i], node[ids[i].level][ids[i].index], 32);
	}
	merkle_root_from_range(r, (const uint8_t (*)[32])got, nr);
	if (memcmp(r, rb, 32) != 0) {
		fprintf(stderr, "merkle_root_from_range: wrong root of size %llu\n",
			(unsigned long long)b);
		abort();
	}
	if (consistency) {
		mth(ra, 0, a);
		if (merkle_verify_consistency(a, b, ra, rb, (const uint8_t (*)[32])want,
					      nwant, &e) != 0) {
			fprintf(stderr, "the tree's own proof fails: %s\n", e.msg);
			abort();
		}
		if (merkle_plan_consistency(&plan, a, b, &e) != 0)
			abort();
	} else {
		memcpy(leafh, node[0][a], 32);
		if (merkle_verify_inclusion(leafh, a, b, (const uint8_t (*)[32])want, nwant, rb,
					    &e) != 0) {
			fprintf(stderr, "the tree's own proof fails: %s\n", e.msg);
			abort();
		}
		if (merkle_plan_inclusion(&plan, a, b, &e) != 0)
			abort();
	}
	if (plan.n > MERKLE_MAX_NODES)
		abort();
	for (size_t i = 0; i < plan.n; i++) {
		const struct merkle_id *id = &plan.ids[i];

		if (id->level > MAX_LEVEL || id->index >= MAX_LEAVES ||
		    ((id->index + 1) << id->level) > b) {
			fprintf(stderr, "plan names node (%u, %llu) outside size %llu\n",
				id->level, (unsigned long long)id->index,
				(unsigned long long)b);
			abort();
		}
		memcpy(got[i], node[id->level][id->index], 32);
	}
	ngot = merkle_plan_rehash(&plan, got);
	if (ngot != nwant || memcmp(got, want, nwant * 32) != 0) {
		fprintf(stderr, "planned proof (%zu hashes) is not PATH/PROOF (%zu) for %llu, %llu\n",
			ngot, nwant, (unsigned long long)a, (unsigned long long)b);
		abort();
	}
}

/* 3. A proof accepted against the tree's root of size b is the tree's. */
static void check_sound(int consistency, uint64_t a, uint64_t b, const uint8_t h1[32],
			const uint8_t h2[32], const uint8_t (*proof)[32], size_t n)
{
	static uint8_t want[MERKLE_MAX_NODES][32];
	uint8_t rb[32], ra[32];
	size_t nwant;

	if (b > nleaves)
		return;
	mth(rb, 0, b);
	if (memcmp(h2, rb, 32) != 0)
		return;
	if (consistency && (a == 0 || a == b))
		return; /* the edges: nothing more to compare */
	nwant = tree_proof(consistency, a, b, want);
	if (consistency)
		mth(ra, 0, a);
	else
		memcpy(ra, node[0][a], 32);
	if (n != nwant || memcmp(proof, want, n * 32) != 0 || memcmp(h1, ra, 32) != 0) {
		fprintf(stderr, "an accepted %s proof for %llu, %llu is not the tree's\n",
			consistency ? "consistency" : "inclusion", (unsigned long long)a,
			(unsigned long long)b);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t proof[MAX_PROOF][32];
	struct input in = { data, size };
	uint8_t h1[32], h2[32];
	uint64_t a, b;
	size_t n = 0;
	struct err e = { 0 };
	int flags = take8(&in), consistency = flags & 1, ok, want;
	uint64_t leaves = take8(&in) % (MAX_LEAVES + 1);

	if (flags & 2) {
		a = take64(&in);
		b = take64(&in);
		n = take8(&in);
		take_hash(&in, h1);
		take_hash(&in, h2);
		for (size_t i = 0; i < n; i++)
			take_hash(&in, proof[i]);
		build(in.p, in.n, leaves);
	} else {
		uint64_t pa, pb;
		uint8_t edit, arg1, arg2, alt[32];

		a = take8(&in) % (leaves + 2);
		b = take8(&in) % (leaves + 2);
		pa = take8(&in) % (leaves + 1);
		pb = take8(&in) % (leaves + 1);
		edit = take8(&in);
		arg1 = take8(&in);
		arg2 = take8(&in);
		take_hash(&in, alt);
		build(in.p, in.n, leaves);
		check_tree(consistency, a, b);
		if (!consistency && pa >= pb)
			pa = pb ? pb - 1 : 0;
		n = tree_proof(consistency, pa, pb, proof);
		if (consistency)
			mth(h1, 0, a <= nleaves ? a : nleaves);
		else if (a < nleaves)
			memcpy(h1, node[0][a], 32);
		else
			memcpy(h1, alt, 32);
		mth(h2, 0, b <= nleaves ? b : nleaves);
		switch (edit % 8) {
		case 1: /* drop the last hash */
			n -= n > 0;
			break;
		case 2: /* append one */
			memcpy(proof[n++], alt, 32);
			break;
		case 3: /* flip a bit */
			if (n > 0)
				proof[arg2 % n][arg1 / 8 % 32] ^= (uint8_t)(1u << (arg1 % 8));
			break;
		case 4: /* swap two */
			if (n > 0) {
				uint8_t t[32];

				memcpy(t, proof[arg1 % n], 32);
				memcpy(proof[arg1 % n], proof[arg2 % n], 32);
				memcpy(proof[arg2 % n], t, 32);
			}
			break;
		case 5: /* replace one */
			if (n > 0)
				memcpy(proof[arg1 % n], alt, 32);
			break;
		case 6:
			memcpy(h1, alt, 32);
			break;
		case 7:
			memcpy(h2, alt, 32);
			break;
		default:
			break;
		}
	}

	if (consistency) {
		ok = merkle_verify_consistency(a, b, h1, h2, (const uint8_t (*)[32])proof, n,
					       &e) == 0;
		want = rfc_consistency(a, b, h1, h2, (const uint8_t (*)[32])proof, n);
	} else {
		ok = merkle_verify_inclusion(h1, a, b, (const uint8_t (*)[32])proof, n, h2,
					     &e) == 0;
		want = rfc_inclusion(h1, a, b, (const uint8_t (*)[32])proof, n, h2);
	}
	if (ok != want) {
		fprintf(stderr, "%s %llu, %llu with %zu hashes: merkle.c says %d, RFC 9162 %d (%s)\n",
			consistency ? "consistency" : "inclusion", (unsigned long long)a,
			(unsigned long long)b, n, ok, want, ok ? "" : e.msg);
		abort();
	}
	if (ok && (consistency ? a > b : a >= b))
		abort();
	if (ok)
		check_sound(consistency, a, b, h1, h2, (const uint8_t (*)[32])proof, n);
	return 0;
}
