/* store.c — the store interface over a backend: batch append with the
 * Merkle frontier, roots and proofs from complete-subtree nodes, checkpoint
 * checks. See store.h for the invariants. */
#include "store/store_backend.h"

#include "core/envelope.h"

#include <sodium.h>

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int store_open(struct store **out, const char *url, struct err *e)
{
	int rc;

	*out = NULL;
	if (strncmp(url, "postgresql://", 13) == 0 ||
	    strncmp(url, "postgres://", 11) == 0) {
		if ((rc = store_pg_open(out, url, e)) < 0)
			return rc;
	} else {
		if (strncmp(url, "sqlite:", 7) == 0)
			url += 7;
		else if (strstr(url, "://"))
			return err_set(e, ERR_INVALID,
				       "store URL '%s': only sqlite:PATH and postgresql://... are supported",
				       url);
		if (*url == '\0')
			return err_set(e, ERR_INVALID, "store URL: empty path");
		if ((rc = store_sqlite_open(out, url, e)) < 0)
			return rc;
	}
	/* Without memory for the cache the store still works, uncached. */
	(*out)->cache = calloc(NODE_CACHE_SLOTS, sizeof(*(*out)->cache));
	/* Rebuilding the facts writes their case facts too. */
	if (((*out)->facts_missing && (rc = facts_rebuild_all(*out, e)) < 0) ||
	    (!(*out)->facts_missing && (*out)->cases_missing && (rc = cases_rebuild_all(*out, e)) < 0)) {
		store_close(*out);
		*out = NULL;
		return rc;
	}
	(*out)->facts_missing = 0;
	(*out)->cases_missing = 0;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sodium_memzero(s->key, sizeof(s->key));
	free(s->cache);
	free(s->facts);
	s->ops->close(s);
}

void store_set_key(struct store *s, const uint8_t key[static 32])
{
	memcpy(s->key, key, 32);
	s->has_key = 1;
}

/* Sealed body: version 1, 24-byte nonce, ciphertext with its 16-byte tag. */
#define SEAL_VERSION 1
#define SEAL_OVERHEAD (1 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + \
		       crypto_aead_xchacha20poly1305_ietf_ABYTES)

/* data as the store holds it: sealed into *out (malloc'd, *outlen) when
 * the store has a key, else *out = NULL (store data itself). */
static int seal(struct store *s, const uint8_t hash[static 32], const void *data,
		size_t len, unsigned char **out, size_t *outlen, struct err *e)
{
	unsigned char *sealed;
	unsigned long long clen;

	*out = NULL;
	*outlen = len;
	if (!s->has_key)
		return 0;
	if (!(sealed = malloc(len + SEAL_OVERHEAD)))
		return err_set(e, ERR_NOMEM, "out of memory sealing a body");
	sealed[0] = SEAL_VERSION;
	/* One random draw per append, not a system call per body: the first
	 * 16 bytes of every nonce are that append's (two appends share them
	 * with probability 2^-128), the last 8 count its bodies. */
	if (s->sealed++ == 0)
		randombytes_buf(s->nonce, sizeof(s->nonce));
	memcpy(sealed + 1, s->nonce, sizeof(s->nonce));
	for (int i = 0; i < 8; i++)
		sealed[1 + 16 + i] ^= (unsigned char)(s->sealed >> (8 * i));
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		sealed + 1 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen, data, len,
		hash, 32, NULL, sealed + 1, s->key);
	*out = sealed;
	*outlen = 1 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + (size_t)clen;
	return 0;
}

/* Opens a body or attachment as stored (sealed, *buf malloc'd by the
 * backend, taken over here) into *buf, NUL-terminated. */
static int unseal(struct store *s, const uint8_t hash[static 32], void **buf, size_t *len,
		  struct err *e)
{
	unsigned char *sealed = *buf, *plain;
	unsigned long long plen;
	size_t slen = *len;
	char hex[65];
	int rc;

	if (!s->has_key)
		return 0;
	*buf = NULL;
	merkle_hex(hex, hash);
	if (slen < SEAL_OVERHEAD || sealed[0] != SEAL_VERSION) {
		free(sealed);
		return err_set(e, ERR_VERIFY, "body sha256:%s is not sealed (altered?)", hex);
	}
	if (!(plain = malloc(slen - SEAL_OVERHEAD + 1))) {
		free(sealed);
		return err_set(e, ERR_NOMEM, "out of memory opening a body");
	}
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
		plain, &plen, NULL, sealed + 1 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
		slen - 1 - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, hash, 32, sealed + 1, s->key);
	free(sealed);
	if (rc != 0) {
		free(plain);
		return err_set(e, ERR_VERIFY,
			       "body sha256:%s does not open (altered, or sealed under another key)", hex);
	}
	plain[plen] = '\0';
	*buf = plain;
	*len = (size_t)plen;
	return 0;
}

/* An attachment, by its hash. */
static int body_put(struct store *s, const uint8_t hash[static 32], const void *data,
		    size_t len, struct err *e)
{
	unsigned char *sealed;
	size_t slen;
	int rc;

	if ((rc = seal(s, hash, data, len, &sealed, &slen, e)) < 0)
		return rc;
	rc = s->ops->body_put(s, hash, sealed ? sealed : data, slen, e);
	free(sealed);
	return rc;
}

uint64_t store_node_reads(const struct store *s)
{
	return s->node_reads;
}

uint64_t store_row_reads(const struct store *s)
{
	return s->row_reads;
}

uint64_t store_retries(const struct store *s)
{
	return s->retries;
}

int store_party_put(struct store *s, const struct store_party *p,
		    struct err *e)
{
	if (!envelope_name_valid(p->name, strlen(p->name)))
		return err_set(e, ERR_INVALID, "party name '%s' is not valid",
			       p->name);
	return s->ops->party_put(s, p, e);
}

int store_party_get(struct store *s, const char *name, struct store_party *p,
		    struct err *e)
{
	return s->ops->party_get(s, name, p, e);
}

int store_party_self(struct store *s, struct store_party *p, struct err *e)
{
	return s->ops->party_get(s, NULL, p, e);
}

int store_party_each(struct store *s, store_party_fn fn, void *ctx,
		     struct err *e)
{
	return s->ops->party_each(s, fn, ctx, e);
}

int store_delivery_put(struct store *s, const struct store_delivery *d,
		       struct err *e)
{
	return s->ops->delivery_put(s, d, e);
}

int store_delivery_get(struct store *s, const char *peer,
		       struct store_delivery *d, struct err *e)
{
	return s->ops->delivery_get(s, peer, d, e);
}

int store_evidence_add(struct store *s, const char *origin, uint64_t size,
		       const char *reason, const char *note, struct err *e)
{
	return s->ops->evidence_add(s, origin, size, (int64_t)time(NULL), reason,
				    note, e);
}

int store_evidence_each(struct store *s, store_evidence_fn fn, void *ctx,
			struct err *e)
{
	return s->ops->evidence_each(s, fn, ctx, e);
}

int store_operator_add(struct store *s, const struct store_operator *op,
		       const uint8_t token_hash[static 32], struct err *e)
{
	return s->ops->operator_add(s, op, token_hash, e);
}

int store_operator_by_token(struct store *s, const uint8_t token_hash[static 32],
			    struct store_operator *op, struct err *e)
{
	return s->ops->operator_by_token(s, token_hash, op, e);
}

int store_operator_revoke(struct store *s, const char *name, struct err *e)
{
	return s->ops->operator_revoke(s, name, e);
}

int store_operator_each(struct store *s, store_operator_fn fn, void *ctx, struct err *e)
{
	return s->ops->operator_each(s, fn, ctx, e);
}

int store_audit_add(struct store *s, int64_t time, const char *who, const char *action,
		    const char *outcome, struct err *e)
{
	return s->ops->audit_add(s, time, who, action, outcome, e);
}

void store_audit_stage(struct store *s, int64_t time, const char *who, const char *action)
{
	s->audit.time = time;
	s->audit.who = who;
	s->audit.action = action;
	s->audit.staged = 1;
	s->audit.written = 0;
}

int store_audit_unstage(struct store *s)
{
	int w = s->audit.written;

	memset(&s->audit, 0, sizeof(s->audit));
	return w;
}

int store_lease_take(struct store *s, const char *name, const char *holder,
		     int64_t ttl_ms, int *held, struct err *e)
{
	*held = 0;
	return s->ops->lease_take(s, name, holder, ttl_ms, held, e);
}

int store_lease_release(struct store *s, const char *name, const char *holder,
			struct err *e)
{
	return s->ops->lease_release(s, name, holder, e);
}

int store_body_each(struct store *s, store_body_fn fn, void *ctx, struct err *e)
{
	return s->ops->body_each(s, fn, ctx, e);
}

int store_audit_each(struct store *s, store_audit_fn fn, void *ctx, struct err *e)
{
	return s->ops->audit_each(s, fn, ctx, e);
}

int store_receipt_time(struct store *s, int64_t log, uint64_t index,
		       const char *cosigner, uint64_t *time, struct err *e)
{
	return s->ops->receipt_time(s, log, index, cosigner, time, e);
}

int store_receipts_each(struct store *s, int64_t log, const char *cosigner,
			store_receipt_fn fn, void *ctx, struct err *e)
{
	return s->ops->receipts_each(s, log, cosigner, fn, ctx, e);
}

int store_receipted(struct store *s, int64_t log, const char *cosigner,
		    uint64_t *size, uint64_t *time, struct err *e)
{
	return s->ops->receipted(s, log, cosigner, size, time, e);
}

static int make_origin(char *out, const char *sender, const char *receiver,
		       struct err *e)
{
	int n = snprintf(out, STORE_ORIGIN_MAX + 1, "parley/%s/%s", sender,
			 receiver);

	if (n < 0 || n > STORE_ORIGIN_MAX)
		return err_set(e, ERR_INVALID, "log origin too long");
	return 0;
}

int store_log_get(struct store *s, const char *sender, const char *receiver,
		  int create, struct store_log *out, struct err *e)
{
	struct store_party p;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = make_origin(out->origin, sender, receiver, e)) < 0)
		return rc;
	rc = s->ops->log_get(s, out->origin, out, e);
	if (rc != ERR_NOTFOUND || !create)
		return rc;
	if (strcmp(sender, receiver) == 0)
		return err_set(e, ERR_INVALID,
			       "a log needs two different parties, got %s twice",
			       sender);
	if ((rc = s->ops->party_get(s, sender, &p, e)) < 0 ||
	    (rc = s->ops->party_get(s, receiver, &p, e)) < 0)
		return rc;
	snprintf(out->sender, sizeof(out->sender), "%s", sender);
	snprintf(out->receiver, sizeof(out->receiver), "%s", receiver);
	out->size = 0;
	return s->ops->log_create(s, out, e);
}

int store_log_each(struct store *s, store_log_fn fn, void *ctx, struct err *e)
{
	return s->ops->log_each(s, fn, ctx, e);
}

static struct node_cache_slot *cache_slot(struct store *s, int64_t log,
					  struct merkle_id id, uint64_t *key)
{
	uint64_t h;

	*key = (uint64_t)id.level << 56 | id.index;
	h = (*key ^ (uint64_t)log * 0x9e3779b97f4a7c15u) * 0xff51afd7ed558ccdu;
	return &s->cache[(h >> 40) & (NODE_CACHE_SLOTS - 1)];
}

/* Reads nodes through the cache: hits are copied, misses are read from
 * the backend in one call and, if high enough, remembered. */
static int nodes_get(struct store *s, int64_t log, const struct merkle_id *ids,
		     size_t n, uint8_t (*out)[32], struct err *e)
{
	struct merkle_id miss[MERKLE_MAX_NODES];
	uint8_t got[MERKLE_MAX_NODES][32];
	size_t where[MERKLE_MAX_NODES], nmiss = 0;
	uint64_t key;
	int rc;

	assert(n <= MERKLE_MAX_NODES);
	for (size_t i = 0; i < n; i++) {
		struct node_cache_slot *c;

		if (s->cache && ids[i].level >= NODE_CACHE_LEVEL &&
		    (c = cache_slot(s, log, ids[i], &key))->log == log &&
		    c->key == key) {
			memcpy(out[i], c->hash, 32);
			s->node_hits++;
			continue;
		}
		where[nmiss] = i;
		miss[nmiss++] = ids[i];
	}
	if (nmiss == 0)
		return 0;
	s->node_reads += nmiss;
	if ((rc = s->ops->nodes_get(s, log, miss, nmiss, got, e)) < 0)
		return rc;
	for (size_t k = 0; k < nmiss; k++) {
		memcpy(out[where[k]], got[k], 32);
		if (s->cache && !s->uncommitted && miss[k].level >= NODE_CACHE_LEVEL) {
			struct node_cache_slot *c = cache_slot(s, log, miss[k], &key);
			c->log = log;
			c->key = key;
			memcpy(c->hash, got[k], 32);
		}
	}
	return 0;
}

struct emit_ctx {
	struct store *s;
	int64_t log;
	struct err *e;
};

static int emit_node(void *ctx, struct merkle_id id, const uint8_t h[static 32])
{
	struct emit_ctx *c = ctx;

	return c->s->ops->node_put(c->s, c->log, id, h, c->e);
}

/* Loads the frontier of a log of the given size: O(log n) reads. */
static int frontier_load(struct store *s, int64_t log, uint64_t size,
			 struct merkle_frontier *f, struct err *e)
{
	struct merkle_id ids[MERKLE_MAX_NODES];
	uint8_t hashes[64][32];
	size_t n = merkle_range(0, size, ids);
	int rc;

	if ((rc = nodes_get(s, log, ids, n, hashes, e)) < 0)
		return rc;
	merkle_frontier_load(f, size, (const uint8_t (*)[32])hashes, n);
	return 0;
}

static int append_one(struct store *s, const struct store_log *log,
		      struct merkle_frontier *f, const struct store_entry *en,
		      int as_stored, struct err *e)
{
	struct envelope env;
	struct emit_ctx ec = { s, log->id, e };
	uint8_t leaf[32], bh[32];
	uint64_t index = f->size;
	unsigned char *sealed = NULL;
	size_t slen = en->body_len;
	int rc;

	if ((rc = envelope_parse(&env, en->envelope, en->len, e)) < 0)
		return err_wrap(e, "%s entry %" PRIu64, log->origin, index);
	if (strcmp(env.from, log->sender) != 0 ||
	    strcmp(env.to, log->receiver) != 0)
		return err_set(e, ERR_INVALID,
			       "%s entry %" PRIu64 ": envelope is from %s to %s",
			       log->origin, index, env.from, env.to);
	if (env.index != index)
		return err_set(e, ERR_CONFLICT,
			       "%s: envelope has index %" PRIu64 " but the next index is %" PRIu64,
			       log->origin, env.index, index);
	if (en->body && !as_stored) {
		if (en->body_len > STORE_BODY_MAX)
			return err_set(e, ERR_TOOBIG,
				       "%s entry %" PRIu64 ": body of %zu bytes is over the %u-byte limit",
				       log->origin, index, en->body_len,
				       STORE_BODY_MAX);
		merkle_sha256(bh, en->body, en->body_len);
		if (memcmp(bh, env.body, 32) != 0)
			return err_set(e, ERR_INVALID,
				       "%s entry %" PRIu64 ": body does not match the envelope's body hash",
				       log->origin, index);
		if ((rc = seal(s, bh, en->body, en->body_len, &sealed, &slen, e)) < 0)
			return rc;
	}
	merkle_leaf_hash(leaf, en->envelope, en->len);
	rc = s->ops->entry_put(s, log->id, index, leaf, en->envelope, en->len,
			       sealed ? (const void *)sealed : en->body, slen, e);
	free(sealed);
	if (rc < 0 || (rc = facts_add(s, &env, e)) < 0)
		return rc;
	return merkle_frontier_append(f, leaf, emit_node, &ec);
}

/* Stores b's checkpoint (and cosignature) inside the open transaction. */
static int put_checkpoint(struct store *s, const struct store_log *log,
			  const struct merkle_frontier *f,
			  const struct store_batch *b, int64_t *id,
			  struct err *e)
{
	struct store_checkpoint old;
	uint8_t want[32];
	int rc;

	if (b->cp_size > f->size)
		return err_set(e, ERR_CONFLICT,
			       "%s: checkpoint of size %" PRIu64 " is beyond the %" PRIu64 " entries held",
			       log->origin, b->cp_size, f->size);
	rc = s->ops->checkpoint_find(s, log->id, b->cp_size, &old, e);
	if (rc == 0) {
		free(old.note);
		if (memcmp(old.root, b->cp_root, 32) != 0)
			return err_set(e, ERR_CONFLICT,
				       "%s: a checkpoint of size %" PRIu64 " with another root is already held",
				       log->origin, b->cp_size);
		*id = old.id;
	} else if (rc != ERR_NOTFOUND) {
		return rc;
	} else {
		if (b->cp_size == f->size)
			merkle_frontier_root(f, want);
		else if ((rc = store_root(s, log->id, b->cp_size, want, e)) < 0)
			return rc;
		if (memcmp(want, b->cp_root, 32) != 0)
			return err_set(e, ERR_CONFLICT,
				       "%s: checkpoint root for size %" PRIu64 " differs from the root of the entries held",
				       log->origin, b->cp_size);
		if ((rc = s->ops->checkpoint_put(s, log->id, b->cp_size,
						 b->cp_root, b->cp_note,
						 b->cp_note_len, id, e)) < 0)
			return rc;
	}
	if (b->cosig_line)
		return s->ops->cosig_put(s, *id, b->cosigner, b->cosig_time,
					 b->cosig_line, e);
	return 0;
}

/* One try of store_append: one transaction, rolled back on failure. */
static int append_txn(struct store *s, const struct store_log *log,
		      const struct store_batch *b, struct store_appended *out,
		      struct err *e)
{
	struct merkle_frontier f;
	struct store_log cur;
	int64_t cp = 0;
	int rc;

	s->sealed = 0;
	/* Lock the log's head and read its size inside the transaction: that
	 * size is the truth, never log->size nor anything this process read
	 * before (another process may have appended since). A log that does
	 * not exist yet is created here, so a refused first batch leaves no
	 * trace. */
	rc = s->ops->begin_log(s, log->origin, &cur, e);
	if (rc == ERR_NOTFOUND && log->sender[0] && log->receiver[0]) {
		cur = *log;
		cur.size = 0;
		rc = s->ops->log_create(s, &cur, e);
	}
	if (rc < 0 || (rc = frontier_load(s, cur.id, cur.size, &f, e)) < 0 ||
	    (b->n && (rc = facts_begin(s, cur.id, cur.size, e)) < 0))
		goto out;
	/* From here on reads may see this transaction's own rows. */
	s->uncommitted = 1;
	for (size_t i = 0; i < b->nblobs; i++) {
		uint8_t h[32];
		if (b->blobs[i].len > STORE_BLOB_MAX) {
			rc = err_set(e, ERR_TOOBIG, "an attachment of %zu bytes is over the %u-byte limit",
				     b->blobs[i].len, STORE_BLOB_MAX);
			goto out;
		}
		merkle_sha256(h, b->blobs[i].data, b->blobs[i].len);
		if ((rc = body_put(s, h, b->blobs[i].data, b->blobs[i].len, e)) < 0)
			goto out;
	}
	for (size_t i = 0; i < b->n; i++)
		if ((rc = append_one(s, &cur, &f, &b->entries[i], b->bodies_as_stored, e)) < 0)
			goto out;
	if (b->n && ((rc = facts_end(s, e)) < 0 ||
		     (rc = s->ops->log_set_size(s, cur.id, f.size, e)) < 0))
		goto out;
	if (b->cp_note && (rc = put_checkpoint(s, &cur, &f, b, &cp, e)) < 0)
		goto out;
	if (b->party && (rc = s->ops->party_put(s, b->party, e)) < 0)
		goto out;
	if (b->n && s->audit.staged && !s->audit.written &&
	    (rc = s->ops->audit_add(s, s->audit.time, s->audit.who, s->audit.action, "ok", e)) < 0)
		goto out;
	if ((rc = s->ops->commit(s, e)) < 0)
		goto out;
	if (b->n && s->audit.staged)
		s->audit.written = 1;
	s->uncommitted = 0;
	if (out) {
		out->size = f.size;
		merkle_frontier_root(&f, out->root);
		out->checkpoint = cp;
	}
	return 0;
out:
	s->ops->rollback(s);
	s->uncommitted = 0;
	return rc;
}

void store_retry_pause(struct store *s, int tries)
{
	struct timespec ts;
	long ms = (5 + (long)randombytes_uniform(6)) << (tries < 6 ? tries - 1 : 5);

	s->retries++;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

int store_retry_give_up(struct err *e, int tries)
{
	char why[sizeof(e->msg)];

	snprintf(why, sizeof(why), "%s", e ? e->msg : "");
	return err_set(e, ERR_STORE, "gave up after %d tries, each lost to a concurrent "
		       "transaction; nothing was written: %s", tries, why);
}

/* A transaction that loses to a concurrent one (ERR_RETRY: rolled back
 * whole, nothing kept) is run again from its start: it reads the log's
 * head anew under the lock, so it appends after whatever the winner
 * committed, or fails as a replay would (ERR_CONFLICT). */
int store_append(struct store *s, const struct store_log *log,
		 const struct store_batch *b, struct store_appended *out,
		 struct err *e)
{
	int rc, tries = 1;

	while ((rc = append_txn(s, log, b, out, e)) == ERR_RETRY) {
		if (tries == STORE_TRIES)
			return store_retry_give_up(e, tries);
		store_retry_pause(s, tries++);
	}
	return rc;
}

int store_root(struct store *s, int64_t log, uint64_t size,
	       uint8_t root[static 32], struct err *e)
{
	struct merkle_id ids[MERKLE_MAX_NODES];
	uint8_t hashes[MERKLE_MAX_NODES][32];
	size_t n = merkle_range(0, size, ids);
	int rc;

	if ((rc = nodes_get(s, log, ids, n, hashes, e)) < 0)
		return rc;
	merkle_root_from_range(root, (const uint8_t (*)[32])hashes, n);
	return 0;
}

static int fetch_plan(struct store *s, int64_t log, const struct merkle_plan *p,
		      uint8_t (*proof)[32], size_t *n, struct err *e)
{
	int rc;

	if ((rc = nodes_get(s, log, p->ids, p->n, proof, e)) < 0)
		return rc;
	*n = merkle_plan_rehash(p, proof);
	return 0;
}

int store_inclusion_proof(struct store *s, int64_t log, uint64_t index,
			  uint64_t size, uint8_t (*proof)[32], size_t *n,
			  struct err *e)
{
	struct merkle_plan p;
	int rc;

	if ((rc = merkle_plan_inclusion(&p, index, size, e)) < 0)
		return rc;
	return fetch_plan(s, log, &p, proof, n, e);
}

int store_consistency_proof(struct store *s, int64_t log, uint64_t size1,
			    uint64_t size2, uint8_t (*proof)[32], size_t *n,
			    struct err *e)
{
	struct merkle_plan p;
	int rc;

	if ((rc = merkle_plan_consistency(&p, size1, size2, e)) < 0)
		return rc;
	return fetch_plan(s, log, &p, proof, n, e);
}

int store_entry_get(struct store *s, int64_t log, uint64_t index, char **buf,
		    size_t *len, struct err *e)
{
	return s->ops->entry_get(s, log, index, buf, len, e);
}

int store_scan(struct store *s, int64_t log, store_entry_fn fn, void *ctx,
	       struct err *e)
{
	return s->ops->scan(s, log, 0, fn, ctx, e);
}

int store_row_body(struct store *s, const struct store_row *r, const uint8_t hash[static 32],
		   void **buf, size_t *len, struct err *e)
{
	char *body;

	if (!r->body) /* none in the row: by hash, as before version 4 */
		return store_body_get(s, hash, buf, len, e);
	if (!(body = malloc(r->body_len + 1)))
		return err_set(e, ERR_NOMEM, "out of memory reading a body");
	memcpy(body, r->body, r->body_len);
	body[r->body_len] = '\0';
	*buf = body;
	*len = r->body_len;
	return unseal(s, hash, buf, len, e);
}

struct read_from {
	struct store *s;
	uint64_t next;
	store_read_fn fn;
	void *ctx;
	struct err *e;
};

static int read_row(void *ctx, const struct store_row *r)
{
	struct read_from *rf = ctx;
	struct envelope env;
	void *body = NULL;
	size_t len = 0;
	int rc;

	if (r->index != rf->next)
		return err_set(rf->e, ERR_VERIFY, "log entry %" PRIu64 " is missing", rf->next);
	rf->next++;
	if ((rc = envelope_parse(&env, r->env, r->len, rf->e)) < 0)
		return err_wrap(rf->e, "entry %" PRIu64, r->index);
	if ((rc = store_row_body(rf->s, r, env.body, &body, &len, rf->e)) == ERR_NOTFOUND) {
		body = NULL;
		len = 0;
	} else if (rc < 0) {
		return rc;
	}
	return rf->fn(rf->ctx, r->index, r->env, r->len, body, len);
}

int store_read_from(struct store *s, int64_t log, uint64_t first, store_read_fn fn, void *ctx,
		    struct err *e)
{
	struct read_from rf = { s, first, fn, ctx, e };
	int rc = s->ops->scan(s, log, first, read_row, &rf, e);

	return rc > 0 ? 0 : rc;
}

int store_node_get(struct store *s, int64_t log, struct merkle_id id,
		   uint8_t hash[static 32], struct err *e)
{
	return nodes_get(s, log, &id, 1, (uint8_t (*)[32])hash, e);
}

int store_body_get(struct store *s, const uint8_t hash[static 32], void **buf,
		   size_t *len, struct err *e)
{
	int rc;

	if ((rc = s->ops->body_get(s, hash, buf, len, e)) < 0)
		return rc;
	return unseal(s, hash, buf, len, e);
}

int store_entry_body(struct store *s, int64_t log, uint64_t index,
		     const uint8_t hash[static 32], void **buf, size_t *len,
		     struct err *e)
{
	int rc = s->ops->entry_body(s, log, index, buf, len, e);

	if (rc == ERR_NOTFOUND)
		return store_body_get(s, hash, buf, len, e);
	if (rc < 0)
		return rc;
	return unseal(s, hash, buf, len, e);
}

int store_checkpoint_each(struct store *s, int64_t log, store_checkpoint_fn fn,
			  void *ctx, struct err *e)
{
	return s->ops->checkpoint_each(s, log, fn, ctx, e);
}

int store_checkpoint_latest(struct store *s, int64_t log,
			    struct store_checkpoint *c, struct err *e)
{
	return s->ops->checkpoint_latest(s, log, c, e);
}

int store_checkpoint_find(struct store *s, int64_t log, uint64_t size,
			  struct store_checkpoint *c, struct err *e)
{
	return s->ops->checkpoint_find(s, log, size, c, e);
}

int store_cosig_add(struct store *s, int64_t checkpoint, const char *cosigner,
		    uint64_t time, const char *line, struct err *e)
{
	int rc, tries = 1;

	for (;;) {
		if ((rc = s->ops->begin(s, e)) < 0)
			return rc;
		if ((rc = s->ops->cosig_put(s, checkpoint, cosigner, time, line, e)) == 0 &&
		    (rc = s->ops->commit(s, e)) == 0)
			return 0;
		s->ops->rollback(s);
		if (rc != ERR_RETRY)
			return rc;
		if (tries == STORE_TRIES)
			return store_retry_give_up(e, tries);
		store_retry_pause(s, tries++);
	}
}

int store_cosig_each(struct store *s, int64_t checkpoint, store_cosig_fn fn,
		     void *ctx, struct err *e)
{
	return s->ops->cosig_each(s, checkpoint, fn, ctx, e);
}

void store_shrink(struct store *s)
{
	if (s->ops->shrink)
		s->ops->shrink(s);
}

int store_read_begin(struct store *s, int *own, struct err *e)
{
	*own = 0;
	return s->ops->read_begin ? s->ops->read_begin(s, own, e) : 0;
}

int store_read_end(struct store *s, int own, struct err *e)
{
	return own && s->ops->read_end ? s->ops->read_end(s, own, e) : 0;
}

int store_readonly(const struct store *s)
{
	return s->readonly;
}
