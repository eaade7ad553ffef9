/* merkle.c — RFC 9162 Merkle tree hashing, compact ranges, proof planning
 * and proof verification. See merkle.h for the design note. */
#include "core/merkle.h"

#include <assert.h>
#include <string.h>

#include <nettle/sha2.h>

void merkle_sha256(uint8_t out[static 32], const void *data, size_t len)
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, len, data);
	sha256_digest(&c, 32, out);
}

void merkle_leaf_hash(uint8_t out[static 32], const void *data, size_t len)
{
	static const uint8_t zero = 0x00;
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, 1, &zero);
	sha256_update(&c, len, data);
	sha256_digest(&c, 32, out);
}

void merkle_node_hash(uint8_t out[static 32], const uint8_t l[static 32],
		      const uint8_t r[static 32])
{
	uint8_t buf[65];

	buf[0] = 0x01;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	merkle_sha256(out, buf, sizeof(buf));
}

void merkle_empty_root(uint8_t out[static 32])
{
	merkle_sha256(out, "", 0);
}

/* Number of significant bits of x (Go's bits.Len64). */
static unsigned bitlen(uint64_t x)
{
	return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
}

/* Splits [begin, end) into the left-border and right-border masks of its
 * compact range: bit k of *left (*right) set means a perfect subtree of
 * 2^k leaves on the left (right) border. */
static void decompose(uint64_t begin, uint64_t end, uint64_t *left,
		      uint64_t *right)
{
	uint64_t xbegin, mask;

	if (begin == 0) {
		*left = 0;
		*right = end;
		return;
	}
	xbegin = begin - 1;
	mask = (UINT64_C(1) << (bitlen(xbegin ^ end) - 1)) - 1;
	*left = ~xbegin & mask;
	*right = end & mask;
}

static size_t range_append(uint64_t begin, uint64_t end, struct merkle_id *ids)
{
	uint64_t left, right, pos = begin, bit;
	size_t n = 0;
	uint32_t level;

	assert(begin <= end);
	decompose(begin, end, &left, &right);
	for (; left; pos += bit, left ^= bit) {
		level = (uint32_t)__builtin_ctzll(left);
		bit = UINT64_C(1) << level;
		ids[n++] = (struct merkle_id){ level, pos >> level };
	}
	for (; right; pos += bit, right ^= bit) {
		level = bitlen(right) - 1;
		bit = UINT64_C(1) << level;
		ids[n++] = (struct merkle_id){ level, pos >> level };
	}
	assert(n <= MERKLE_MAX_NODES);
	return n;
}

size_t merkle_range(uint64_t begin, uint64_t end, struct merkle_id *ids)
{
	return range_append(begin, end, ids);
}

static void reverse(struct merkle_id *ids, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		struct merkle_id t = ids[i];
		ids[i] = ids[n - 1 - i];
		ids[n - 1 - i] = t;
	}
}

/* The ids proving that node (level, index) is in the tree of size, seed
 * node first. */
static void plan_nodes(struct merkle_plan *p, uint64_t index, uint32_t level,
		       uint64_t size)
{
	unsigned inner = bitlen(index ^ (size >> level)) - 1;
	uint32_t flevel = level + inner;
	uint64_t fbegin = (index >> inner) << flevel;
	uint64_t fend = fbegin + (UINT64_C(1) << flevel);
	struct merkle_id node = { level, index };
	size_t n = 0, len1, len2, k;

	p->ids[n++] = node;
	for (; node.level < flevel; node.level++, node.index >>= 1)
		p->ids[n++] = (struct merkle_id){ node.level, node.index ^ 1 };
	len1 = n;
	k = range_append(fend, size, p->ids + n);
	reverse(p->ids + n, k);
	n += k;
	len2 = n;
	k = range_append(0, fbegin, p->ids + n);
	reverse(p->ids + n, k);
	n += k;
	assert(n <= MERKLE_MAX_NODES);
	if (len1 >= len2)
		len1 = len2 = 0;
	p->n = n;
	p->begin = len1;
	p->end = len2;
}

static void plan_skip_first(struct merkle_plan *p)
{
	memmove(p->ids, p->ids + 1, (p->n - 1) * sizeof(p->ids[0]));
	p->n--;
	if (p->begin < p->end) {
		p->begin--;
		p->end--;
	}
}

int merkle_plan_inclusion(struct merkle_plan *p, uint64_t index,
			  uint64_t size, struct err *e)
{
	if (index >= size)
		return err_set(e, ERR_INVALID,
			       "leaf index %llu is not below tree size %llu",
			       (unsigned long long)index,
			       (unsigned long long)size);
	plan_nodes(p, index, 0, size);
	plan_skip_first(p);
	return 0;
}

int merkle_plan_consistency(struct merkle_plan *p, uint64_t size1,
			    uint64_t size2, struct err *e)
{
	uint32_t level;
	uint64_t index;

	if (size1 > size2)
		return err_set(e, ERR_INVALID,
			       "tree size %llu is larger than %llu",
			       (unsigned long long)size1,
			       (unsigned long long)size2);
	p->n = p->begin = p->end = 0;
	if (size1 == size2 || size1 == 0)
		return 0;
	/* The largest perfect subtree ending at size1, then its inclusion
	 * in size2. The seed is left out when size1 is a power of two: the
	 * verifier knows it as root1. */
	level = (uint32_t)__builtin_ctzll(size1);
	index = (size1 - 1) >> level;
	plan_nodes(p, index, level, size2);
	if (index == 0)
		plan_skip_first(p);
	return 0;
}

size_t merkle_plan_rehash(const struct merkle_plan *p,
			  uint8_t (*h)[MERKLE_HASH_LEN])
{
	size_t cursor = 0;

	for (size_t i = 0; i < p->n; i++, cursor++) {
		uint8_t hash[32];

		memcpy(hash, h[i], 32);
		if (i >= p->begin && i < p->end) {
			for (i++; i < p->end; i++)
				merkle_node_hash(hash, h[i], hash);
			i--;
		}
		memcpy(h[cursor], hash, 32);
	}
	return cursor;
}

void merkle_root_from_range(uint8_t out[static 32],
			    const uint8_t (*h)[MERKLE_HASH_LEN], size_t n)
{
	uint8_t cur[32];

	if (n == 0) {
		merkle_empty_root(out);
		return;
	}
	memcpy(cur, h[n - 1], 32);
	for (size_t i = n - 1; i-- > 0;)
		merkle_node_hash(cur, h[i], cur);
	memcpy(out, cur, 32);
}

static int hash_equal(const uint8_t a[static 32], const uint8_t b[static 32])
{
	return memcmp(a, b, 32) == 0;
}

int merkle_verify_inclusion(const uint8_t leaf[static 32], uint64_t index,
			    uint64_t size,
			    const uint8_t (*proof)[MERKLE_HASH_LEN], size_t n,
			    const uint8_t root[static 32], struct err *e)
{
	uint64_t fn = index, sn;
	uint8_t r[32];
	char got[65], want[65];

	if (index >= size)
		return err_set(e, ERR_VERIFY,
			       "inclusion proof: index %llu is not below size %llu",
			       (unsigned long long)index,
			       (unsigned long long)size);
	sn = size - 1;
	memcpy(r, leaf, 32);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return err_set(e, ERR_VERIFY,
				       "inclusion proof: %zu hashes is too long for index %llu in size %llu",
				       n, (unsigned long long)index,
				       (unsigned long long)size);
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(r, proof[i], r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(r, r, proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return err_set(e, ERR_VERIFY,
			       "inclusion proof: %zu hashes is too short for index %llu in size %llu",
			       n, (unsigned long long)index,
			       (unsigned long long)size);
	if (!hash_equal(r, root)) {
		merkle_hex(got, r);
		merkle_hex(want, root);
		return err_set(e, ERR_VERIFY,
			       "inclusion proof: computed root %s, expected %s",
			       got, want);
	}
	return 0;
}

int merkle_verify_consistency(uint64_t size1, uint64_t size2,
			      const uint8_t root1[static 32],
			      const uint8_t root2[static 32],
			      const uint8_t (*proof)[MERKLE_HASH_LEN], size_t n,
			      struct err *e)
{
	uint64_t fn, sn;
	uint8_t fr[32], sr[32];
	size_t i;
	int pow2;

	if (size1 > size2)
		return err_set(e, ERR_VERIFY,
			       "consistency proof: size %llu is larger than %llu",
			       (unsigned long long)size1,
			       (unsigned long long)size2);
	if (size1 == size2) {
		if (n != 0)
			return err_set(e, ERR_VERIFY,
				       "consistency proof: sizes are equal but the proof has %zu hashes",
				       n);
		if (!hash_equal(root1, root2))
			return err_set(e, ERR_VERIFY,
				       "consistency proof: two different roots for size %llu",
				       (unsigned long long)size1);
		return 0;
	}
	if (size1 == 0) {
		if (n != 0)
			return err_set(e, ERR_VERIFY,
				       "consistency proof: from size 0 the proof must be empty, got %zu hashes",
				       n);
		return 0;
	}
	if (n == 0)
		return err_set(e, ERR_VERIFY,
			       "consistency proof: empty proof from size %llu to %llu",
			       (unsigned long long)size1,
			       (unsigned long long)size2);

	/* When size1 is a power of two, root1 is the implicit first element. */
	pow2 = (size1 & (size1 - 1)) == 0;
	i = 0;
	memcpy(fr, pow2 ? root1 : proof[i++], 32);
	memcpy(sr, fr, 32);
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < n; i++) {
		if (sn == 0)
			return err_set(e, ERR_VERIFY,
				       "consistency proof: %zu hashes is too long from size %llu to %llu",
				       n, (unsigned long long)size1,
				       (unsigned long long)size2);
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(fr, proof[i], fr);
			merkle_node_hash(sr, proof[i], sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(sr, sr, proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return err_set(e, ERR_VERIFY,
			       "consistency proof: %zu hashes is too short from size %llu to %llu",
			       n, (unsigned long long)size1,
			       (unsigned long long)size2);
	if (!hash_equal(fr, root1))
		return err_set(e, ERR_VERIFY,
			       "consistency proof: does not lead to the root of size %llu",
			       (unsigned long long)size1);
	if (!hash_equal(sr, root2))
		return err_set(e, ERR_VERIFY,
			       "consistency proof: does not lead to the root of size %llu",
			       (unsigned long long)size2);
	return 0;
}

void merkle_frontier_init(struct merkle_frontier *f)
{
	f->size = 0;
	f->n = 0;
}

void merkle_frontier_load(struct merkle_frontier *f, uint64_t size,
			  const uint8_t (*hashes)[MERKLE_HASH_LEN], size_t n)
{
	assert(n == (size_t)__builtin_popcountll(size));
	f->size = size;
	f->n = n;
	memcpy(f->h, hashes, n * 32);
}

int merkle_frontier_append(struct merkle_frontier *f,
			   const uint8_t leaf[static 32], merkle_emit_fn emit,
			   void *ctx)
{
	uint8_t cur[32];
	size_t top = f->n;
	uint64_t s = f->size, index = f->size;
	uint32_t level = 0;
	int rc;

	/* Each set low bit of size is a subtree that the new leaf completes;
	 * f->h is only read here, so a failed emit leaves f unchanged. */
	memcpy(cur, leaf, 32);
	for (; s & 1; s >>= 1) {
		top--;
		merkle_node_hash(cur, f->h[top], cur);
		level++;
		index >>= 1;
		if (emit && (rc = emit(ctx, (struct merkle_id){ level, index },
				       cur)) != 0)
			return rc;
	}
	memcpy(f->h[top], cur, 32);
	f->n = top + 1;
	f->size++;
	return 0;
}

void merkle_frontier_root(const struct merkle_frontier *f,
			  uint8_t out[static 32])
{
	merkle_root_from_range(out, (const uint8_t (*)[32])f->h, f->n);
}

void merkle_hex(char out[static 65], const uint8_t h[static 32])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[64] = '\0';
}
