/* store_copy.c — copying a whole store into another, of either backend
 * (parley store copy), and checking that the copy holds what the source
 * holds.
 *
 * Design note. The copy goes through the store interface, so the target
 * keeps every invariant of store.h by construction: each log's entries are
 * appended in batches that rebuild its tree, and each checkpoint is stored
 * by the batch that reaches its size, so store_append itself checks every
 * checkpoint root against the copied entries. Bodies (in their entries'
 * rows) and attachments are copied as stored (sealed under the node's
 * data key, which the copy never needs). The source must not change
 * during the copy (stop parley serve); the target must hold no party and
 * no log, so a copy never merges. */
#include "store/store_backend.h"

#include "core/envelope.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_BATCH 1000 /* entries per append; rows per transaction */

/* Groups many small writes into transactions of COPY_BATCH rows: one
 * commit (one fsync) per row would make a large copy slow. */
struct txn {
	struct store *s;
	size_t n;
	int open;
};

static int txn_row(struct txn *t, struct err *e)
{
	int rc;

	if (!t->open) {
		if ((rc = t->s->ops->begin(t->s, e)) < 0)
			return rc;
		t->open = 1;
	}
	if (++t->n % COPY_BATCH == 0) {
		t->open = 0;
		return t->s->ops->commit(t->s, e);
	}
	return 0;
}

static int txn_end(struct txn *t, int rc, struct err *e)
{
	if (!t->open)
		return rc;
	t->open = 0;
	if (rc == 0 && (rc = t->s->ops->commit(t->s, e)) == 0)
		return 0;
	t->s->ops->rollback(t->s);
	return rc;
}

struct copy {
	struct store *from, *to;
	struct txn txn;
	store_progress_fn progress;
	void *ctx;
	uint64_t done;
	struct err *e;
};

static int count_party(void *ctx, const struct store_party *p)
{
	(void)p;
	++*(uint64_t *)ctx;
	return 0;
}

static int count_log(void *ctx, const struct store_log *l)
{
	(void)l;
	++*(uint64_t *)ctx;
	return 0;
}

static int copy_party(void *ctx, const struct store_party *p)
{
	struct copy *c = ctx;
	struct store_delivery d;
	struct err ignore = { 0 };
	int rc;

	if ((rc = store_party_put(c->to, p, c->e)) < 0)
		return rc;
	if (store_delivery_get(c->from, p->name, &d, &ignore) == 0)
		return store_delivery_put(c->to, &d, c->e);
	return 0;
}

static int copy_operator(void *ctx, const struct store_operator *op)
{
	struct copy *c = ctx;
	int rc;

	if ((rc = store_operator_add(c->to, op, op->token_hash, c->e)) < 0)
		return rc;
	return op->revoked ? store_operator_revoke(c->to, op->name, c->e) : 0;
}

static int copy_audit(void *ctx, int64_t time, const char *who,
		      const char *action, const char *outcome)
{
	struct copy *c = ctx;
	int rc;

	if ((rc = txn_row(&c->txn, c->e)) < 0)
		return rc;
	return c->to->ops->audit_add(c->to, time, who, action, outcome, c->e);
}

static int copy_evidence(void *ctx, const struct store_evidence *v)
{
	struct copy *c = ctx;
	int rc;

	if ((rc = txn_row(&c->txn, c->e)) < 0)
		return rc;
	return c->to->ops->evidence_add(c->to, v->origin, v->size, v->time,
					v->reason, v->note, c->e);
}

static int copy_body(void *ctx, const uint8_t hash[static 32],
		     const void *data, size_t len)
{
	struct copy *c = ctx;
	int rc;

	if ((rc = txn_row(&c->txn, c->e)) < 0 ||
	    (rc = c->to->ops->body_put(c->to, hash, data, len, c->e)) < 0)
		return rc;
	if (++c->done % (10 * COPY_BATCH) == 0 && c->progress)
		c->progress(c->ctx, "bodies", c->done, 0);
	return 0;
}

/* A log's checkpoints, by increasing size, with their notes. */
struct cp_list {
	struct store_checkpoint *v;
	size_t n, cap;
	struct err *e;
};

static int cp_collect(void *ctx, const struct store_checkpoint *c)
{
	struct cp_list *l = ctx;
	struct store_checkpoint *cp;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct store_checkpoint *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return err_set(l->e, ERR_NOMEM, "out of memory listing checkpoints");
		l->v = v;
		l->cap = cap;
	}
	cp = &l->v[l->n];
	*cp = *c;
	if (!(cp->note = malloc(c->note_len + 1)))
		return err_set(l->e, ERR_NOMEM, "out of memory listing checkpoints");
	memcpy(cp->note, c->note, c->note_len + 1);
	l->n++;
	return 0;
}

static void cp_list_free(struct cp_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].note);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cp_list_load(struct store *s, int64_t log, struct cp_list *l,
			struct err *e)
{
	memset(l, 0, sizeof(*l));
	l->e = e;
	return store_checkpoint_each(s, log, cp_collect, l, e);
}

struct log_copy {
	struct copy *c;
	struct store_log src, dst;
	struct cp_list cps;
	size_t next_cp;
	struct store_entry ent[COPY_BATCH];
	char *own[COPY_BATCH]; /* ent[i].envelope and its body, owned */
	size_t n;
	uint64_t expect; /* the next index */
};

struct cosig_copy {
	struct store *to;
	int64_t checkpoint;
	struct err *e;
};

static int copy_cosig(void *ctx, const struct store_cosig *s)
{
	struct cosig_copy *cc = ctx;

	return store_cosig_add(cc->to, cc->checkpoint, s->cosigner, s->time,
			       s->line, cc->e);
}

/* Appends the buffered entries, with the checkpoint of the size they
 * reach if the source holds one, and that checkpoint's cosignatures. */
static int log_flush(struct log_copy *lc)
{
	struct copy *c = lc->c;
	struct store_batch b = { .entries = lc->ent, .n = lc->n, .bodies_as_stored = 1 };
	struct store_checkpoint *cp = NULL;
	struct store_appended res;
	int rc;

	if (lc->next_cp < lc->cps.n && lc->cps.v[lc->next_cp].size == lc->expect) {
		cp = &lc->cps.v[lc->next_cp++];
		b.cp_size = cp->size;
		b.cp_root = cp->root;
		b.cp_note = cp->note;
		b.cp_note_len = cp->note_len;
	}
	if (!cp && lc->n == 0)
		return 0;
	rc = store_append(c->to, &lc->dst, &b, &res, c->e);
	for (size_t i = 0; i < lc->n; i++)
		free(lc->own[i]);
	lc->n = 0;
	if (rc < 0)
		return err_wrap(c->e, "copying %s", lc->src.origin);
	if (cp) {
		struct cosig_copy cc = { c->to, res.checkpoint, c->e };

		if ((rc = store_cosig_each(c->from, cp->id, copy_cosig, &cc, c->e)) < 0)
			return rc;
	}
	if (c->progress)
		c->progress(c->ctx, lc->src.origin, lc->expect, lc->src.size);
	return 0;
}

static int log_entry(void *ctx, const struct store_row *r)
{
	struct log_copy *lc = ctx;
	char *copy;

	if (r->index != lc->expect)
		return err_set(lc->c->e, ERR_VERIFY,
			       "%s: the source holds entry %" PRIu64 " where %" PRIu64 " belongs",
			       lc->src.origin, r->index, lc->expect);
	if (!(copy = malloc(r->len + 1 + r->body_len)))
		return err_set(lc->c->e, ERR_NOMEM, "out of memory copying entries");
	memcpy(copy, r->env, r->len);
	copy[r->len] = '\0';
	if (r->body_len)
		memcpy(copy + r->len + 1, r->body, r->body_len);
	lc->own[lc->n] = copy;
	lc->ent[lc->n++] = (struct store_entry){ copy, r->len, r->body ? copy + r->len + 1 : NULL,
						 r->body_len };
	lc->expect++;
	if (lc->n == COPY_BATCH ||
	    (lc->next_cp < lc->cps.n && lc->cps.v[lc->next_cp].size == lc->expect))
		return log_flush(lc);
	return 0;
}

static int copy_log(void *ctx, const struct store_log *log)
{
	struct copy *c = ctx;
	struct log_copy *lc = calloc(1, sizeof(*lc));
	int rc;

	if (!lc)
		return err_set(c->e, ERR_NOMEM, "out of memory copying %s", log->origin);
	lc->c = c;
	lc->src = *log;
	if ((rc = store_log_get(c->to, log->sender, log->receiver, 1, &lc->dst, c->e)) < 0 ||
	    (rc = cp_list_load(c->from, log->id, &lc->cps, c->e)) < 0 ||
	    (rc = log_flush(lc)) < 0 || /* a checkpoint of size 0 */
	    (rc = store_scan(c->from, log->id, log_entry, lc, c->e)) < 0 ||
	    (rc = log_flush(lc)) < 0)
		goto out;
	if (lc->expect != log->size)
		rc = err_set(c->e, ERR_VERIFY, "%s: the source's size is %" PRIu64
			     " but it holds %" PRIu64 " entries", log->origin, log->size,
			     lc->expect);
	else if (lc->next_cp < lc->cps.n)
		rc = err_set(c->e, ERR_VERIFY, "%s: the source holds a checkpoint of size %"
			     PRIu64 ", beyond its %" PRIu64 " entries", log->origin,
			     lc->cps.v[lc->next_cp].size, log->size);
out:
	for (size_t i = 0; i < lc->n; i++)
		free(lc->own[i]);
	cp_list_free(&lc->cps);
	free(lc);
	return rc;
}

int store_copy(struct store *from, struct store *to, store_progress_fn progress,
	       void *ctx, struct err *e)
{
	struct copy c = { from, to, { to, 0, 0 }, progress, ctx, 0, e };
	struct store_party self;
	uint64_t parties = 0, logs = 0;
	int rc;

	if ((rc = store_party_self(to, &self, e)) == 0)
		parties = 1;
	else if (rc != ERR_NOTFOUND)
		return rc;
	if ((rc = store_party_each(to, count_party, &parties, e)) < 0 ||
	    (rc = store_log_each(to, count_log, &logs, e)) < 0)
		return rc;
	if (parties || logs)
		return err_set(e, ERR_EXISTS, "the target store already holds parties or logs; "
			       "copy into an empty one");
	if ((rc = store_party_self(from, &self, e)) == 0)
		rc = copy_party(&c, &self);
	else if (rc == ERR_NOTFOUND)
		rc = 0;
	if (rc < 0 ||
	    (rc = store_party_each(from, copy_party, &c, e)) < 0 ||
	    (rc = store_operator_each(from, copy_operator, &c, e)) < 0)
		return rc;
	rc = from->ops->audit_each(from, copy_audit, &c, e);
	if ((rc = txn_end(&c.txn, rc, e)) < 0)
		return rc;
	rc = store_evidence_each(from, copy_evidence, &c, e);
	if ((rc = txn_end(&c.txn, rc, e)) < 0)
		return rc;
	rc = from->ops->body_each(from, copy_body, &c, e);
	if ((rc = txn_end(&c.txn, rc, e)) < 0)
		return rc;
	if (progress)
		progress(ctx, "bodies", c.done, c.done);
	return store_log_each(from, copy_log, &c, e);
}

/* Verification. */

struct compare {
	struct store *a, *b;
	struct store_copy_stats *st;
	store_progress_fn progress;
	void *ctx;
	struct err *e;
};

static int cmp_party(void *ctx, const struct store_party *p)
{
	struct compare *c = ctx;
	struct store_party q;
	int rc;

	if ((rc = store_party_get(c->b, p->name, &q, c->e)) < 0)
		return err_wrap(c->e, "the copy lacks a party");
	if (strcmp(p->vkey, q.vkey) != 0 || strcmp(p->pin, q.pin) != 0 ||
	    strcmp(p->endpoint, q.endpoint) != 0 || !p->self != !q.self)
		return err_set(c->e, ERR_VERIFY, "party %s differs in the copy", p->name);
	c->st->parties++;
	return 0;
}

static int cmp_operator(void *ctx, const struct store_operator *op)
{
	struct compare *c = ctx;
	struct store_operator q;
	int rc;

	if ((rc = store_operator_by_token(c->b, op->token_hash, &q, c->e)) < 0)
		return err_wrap(c->e, "operator %s", op->name);
	if (strcmp(op->name, q.name) != 0 || strcmp(op->role, q.role) != 0 ||
	    op->created != q.created || !op->revoked != !q.revoked)
		return err_set(c->e, ERR_VERIFY, "operator %s differs in the copy", op->name);
	c->st->operators++;
	return 0;
}

static int count_operator(void *ctx, const struct store_operator *op)
{
	(void)op;
	++*(uint64_t *)ctx;
	return 0;
}

static int count_audit(void *ctx, int64_t time, const char *who, const char *action,
		       const char *outcome)
{
	(void)time;
	(void)who;
	(void)action;
	(void)outcome;
	++*(uint64_t *)ctx;
	return 0;
}

static int count_evidence(void *ctx, const struct store_evidence *v)
{
	(void)v;
	++*(uint64_t *)ctx;
	return 0;
}

/* Digest of every body as stored: SHA-256 over hash || length || data, in
 * hash order (both backends order bytes the same way). */
struct body_digest {
	uint8_t h[32];
	uint64_t n;
	uint64_t held; /* of the rows digested, those holding a body */
	struct err *e;
};

static int digest_body(void *ctx, const uint8_t hash[static 32], const void *data,
		       size_t len)
{
	struct body_digest *d = ctx;
	uint8_t *buf = malloc(64 + 8 + len), out[32];

	if (!buf)
		return err_set(d->e, ERR_NOMEM, "out of memory comparing bodies");
	memcpy(buf, d->h, 32);
	memcpy(buf + 32, hash, 32);
	for (int i = 0; i < 8; i++)
		buf[64 + i] = (uint8_t)((uint64_t)len >> (8 * i));
	if (len)
		memcpy(buf + 72, data, len);
	merkle_sha256(out, buf, 72 + len);
	memcpy(d->h, out, 32);
	free(buf);
	d->n++;
	return 0;
}

/* Digest (a struct body_digest) of the bodies held in a log's entry
 * rows, as stored: each row adds its index and its body (or the lack of
 * one) to the chain. */
static int digest_row_body(void *ctx, const struct store_row *r)
{
	struct body_digest *d = ctx;
	uint8_t idx[32] = { 0 };

	for (int i = 0; i < 8; i++)
		idx[i] = (uint8_t)(r->index >> (8 * i));
	idx[8] = r->body != NULL;
	d->held += r->body != NULL;
	return digest_body(d, idx, r->body, r->body_len);
}

struct rehash {
	struct merkle_frontier f;
	struct body_digest bodies;
	const char *origin;
	struct err *e;
};

/* Rebuilds the copy's tree from its envelopes, not from its stored nodes,
 * and digests the bodies its rows hold. */
static int rehash_entry(void *ctx, const struct store_row *row)
{
	struct rehash *r = ctx;
	uint8_t h[32];
	int rc;

	merkle_leaf_hash(h, row->env, row->len);
	if (row->index != r->f.size || !row->leaf || memcmp(h, row->leaf, 32) != 0)
		return err_set(r->e, ERR_VERIFY, "%s: entry %" PRIu64 " of the copy is "
			       "out of place or has a wrong leaf hash", r->origin, row->index);
	if ((rc = digest_row_body(&r->bodies, row)) < 0)
		return rc;
	return merkle_frontier_append(&r->f, h, NULL, NULL);
}

struct cosig_list {
	char *lines;
	size_t len;
	uint64_t n;
	struct err *e;
};

static int cosig_collect(void *ctx, const struct store_cosig *s)
{
	struct cosig_list *l = ctx;
	size_t add = strlen(s->cosigner) + strlen(s->line) + 32;
	char *p = realloc(l->lines, l->len + add);

	if (!p)
		return err_set(l->e, ERR_NOMEM, "out of memory reading cosignatures");
	l->lines = p;
	l->len += (size_t)snprintf(p + l->len, add, "%s %" PRIu64 " %s\n", s->cosigner,
				   s->time, s->line);
	l->n++;
	return 0;
}

static int cosigs_equal(struct compare *c, int64_t ida, int64_t idb, const char *origin,
			uint64_t size)
{
	struct cosig_list la = { .e = c->e }, lb = { .e = c->e };
	int rc;

	if ((rc = store_cosig_each(c->a, ida, cosig_collect, &la, c->e)) == 0 &&
	    (rc = store_cosig_each(c->b, idb, cosig_collect, &lb, c->e)) == 0 &&
	    (la.len != lb.len || (la.len && memcmp(la.lines, lb.lines, la.len) != 0)))
		rc = err_set(c->e, ERR_VERIFY, "%s: the cosignatures of the checkpoint of "
			     "size %" PRIu64 " differ in the copy", origin, size);
	c->st->cosigs += la.n;
	free(la.lines);
	free(lb.lines);
	return rc;
}

static int cmp_log(void *ctx, const struct store_log *log)
{
	struct compare *c = ctx;
	struct store_log other;
	struct cp_list ca, cb;
	struct rehash r;
	struct body_digest da = { .e = c->e };
	uint8_t ra[32], rb[32], rr[32];
	int rc;

	memset(&ca, 0, sizeof(ca));
	memset(&cb, 0, sizeof(cb));
	if ((rc = store_log_get(c->b, log->sender, log->receiver, 0, &other, c->e)) < 0)
		return err_wrap(c->e, "the copy");
	if (other.size != log->size)
		return err_set(c->e, ERR_VERIFY, "%s: size %" PRIu64 " in the source, %"
			       PRIu64 " in the copy", log->origin, log->size, other.size);
	merkle_frontier_init(&r.f);
	r.bodies = (struct body_digest){ .e = c->e };
	r.origin = log->origin;
	r.e = c->e;
	if ((rc = store_root(c->a, log->id, log->size, ra, c->e)) < 0 ||
	    (rc = store_root(c->b, other.id, other.size, rb, c->e)) < 0 ||
	    (rc = store_scan(c->b, other.id, rehash_entry, &r, c->e)) < 0 ||
	    (rc = store_scan(c->a, log->id, digest_row_body, &da, c->e)) < 0)
		goto out;
	merkle_frontier_root(&r.f, rr);
	if (r.f.size != log->size || memcmp(ra, rb, 32) != 0 || memcmp(ra, rr, 32) != 0) {
		rc = err_set(c->e, ERR_VERIFY, "%s: the copy's root differs from the source's",
			     log->origin);
		goto out;
	}
	if (memcmp(da.h, r.bodies.h, 32) != 0) {
		rc = err_set(c->e, ERR_VERIFY, "%s: the bodies in the entries differ in the copy",
			     log->origin);
		goto out;
	}
	if ((rc = cp_list_load(c->a, log->id, &ca, c->e)) < 0 ||
	    (rc = cp_list_load(c->b, other.id, &cb, c->e)) < 0)
		goto out;
	if (ca.n != cb.n) {
		rc = err_set(c->e, ERR_VERIFY, "%s: %zu checkpoints in the source, %zu in the copy",
			     log->origin, ca.n, cb.n);
		goto out;
	}
	for (size_t i = 0; i < ca.n; i++) {
		const struct store_checkpoint *x = &ca.v[i], *y = &cb.v[i];

		if (x->size != y->size || memcmp(x->root, y->root, 32) != 0 ||
		    x->note_len != y->note_len || memcmp(x->note, y->note, x->note_len) != 0) {
			rc = err_set(c->e, ERR_VERIFY, "%s: the checkpoint of size %" PRIu64
				     " differs in the copy", log->origin, x->size);
			goto out;
		}
		if ((rc = cosigs_equal(c, x->id, y->id, log->origin, x->size)) < 0)
			goto out;
	}
	c->st->logs++;
	c->st->entries += log->size;
	c->st->bodies += da.held;
	c->st->checkpoints += ca.n;
	if (c->progress)
		c->progress(c->ctx, log->origin, log->size, log->size);
out:
	cp_list_free(&ca);
	cp_list_free(&cb);
	return rc;
}

int store_compare(struct store *a, struct store *b, store_progress_fn progress,
		  void *ctx, struct store_copy_stats *st, struct err *e)
{
	struct compare c = { a, b, st, progress, ctx, e };
	struct body_digest da = { .e = e }, db = { .e = e };
	struct store_party self;
	uint64_t pb = 0, oa = 0, ob = 0, la = 0, lb = 0;
	int rc, has_self;

	memset(st, 0, sizeof(*st));
	/* Self parties: equal, or absent from both. */
	if ((rc = store_party_self(a, &self, e)) == 0)
		rc = cmp_party(&c, &self);
	else if (rc == ERR_NOTFOUND && (rc = store_party_self(b, &self, e)) == 0)
		rc = err_set(e, ERR_VERIFY, "the copy has an own party, the source none");
	else if (rc == ERR_NOTFOUND)
		rc = 0;
	has_self = st->parties == 1;
	st->parties = 0; /* now the peers, as party_each lists them */
	if (rc < 0 ||
	    (rc = store_party_each(a, cmp_party, &c, e)) < 0 ||
	    (rc = store_party_each(b, count_party, &pb, e)) < 0 ||
	    (rc = store_operator_each(a, count_operator, &oa, e)) < 0 ||
	    (rc = store_operator_each(b, count_operator, &ob, e)) < 0 ||
	    (rc = store_operator_each(a, cmp_operator, &c, e)) < 0)
		return rc;
	if (pb != st->parties || oa != ob)
		return err_set(e, ERR_VERIFY, "the copy holds other parties or operators");
	oa = ob = 0;
	if ((rc = a->ops->audit_each(a, count_audit, &oa, e)) < 0 ||
	    (rc = b->ops->audit_each(b, count_audit, &ob, e)) < 0)
		return rc;
	if (oa != ob)
		return err_set(e, ERR_VERIFY, "%" PRIu64 " audit records in the source, %" PRIu64
			       " in the copy", oa, ob);
	oa = ob = 0;
	if ((rc = store_evidence_each(a, count_evidence, &oa, e)) < 0 ||
	    (rc = store_evidence_each(b, count_evidence, &ob, e)) < 0)
		return rc;
	if (oa != ob)
		return err_set(e, ERR_VERIFY, "%" PRIu64 " pieces of evidence in the source, %"
			       PRIu64 " in the copy", oa, ob);
	st->parties += (uint64_t)has_self;
	if ((rc = a->ops->body_each(a, digest_body, &da, e)) < 0 ||
	    (rc = b->ops->body_each(b, digest_body, &db, e)) < 0)
		return rc;
	if (da.n != db.n || memcmp(da.h, db.h, 32) != 0)
		return err_set(e, ERR_VERIFY, "bodies differ: %" PRIu64 " in the source, %"
			       PRIu64 " in the copy", da.n, db.n);
	st->bodies = da.n;
	if ((rc = store_log_each(a, count_log, &la, e)) < 0 ||
	    (rc = store_log_each(b, count_log, &lb, e)) < 0)
		return rc;
	if (la != lb)
		return err_set(e, ERR_VERIFY, "%" PRIu64 " logs in the source, %" PRIu64
			       " in the copy", la, lb);
	return store_log_each(a, cmp_log, &c, e);
}
