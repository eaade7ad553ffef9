/* verify.c — parley verify: recompute and check everything a node holds.
 * Every log is walked once: envelopes, leaf hashes and stored nodes are
 * recomputed through a Merkle frontier; each checkpoint's root is compared
 * when the walk reaches its size; signatures, cosignatures and consistency
 * proofs between successive checkpoints are checked after the walk.
 * Keys follow the log (core/keyann.h): the walk collects the sender's key
 * announcements; each checkpoint is checked against the sender's key at
 * its size, each cosignature against the receiver's key at its time (the
 * receiver's chain is read from its own log to the sender). */
#include "node/node.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct vcp {
	int64_t id;
	uint64_t size;
	uint8_t root[32];
	char *note;
	size_t note_len;
};

struct vlog {
	struct node *n;
	const struct store_log *log;
	struct merkle_frontier f;
	struct vcp *cps;
	size_t ncps, next_cp, cps_cap;
	uint64_t receipts;
	struct keyann_chain *chain; /* the sender's, from the walk */
	struct store_facts_check *facts; /* compared with the entries walked */
	struct err *e;
};

static int collect_cp(void *ctx, const struct store_checkpoint *c)
{
	struct vlog *v = ctx;

	if (v->ncps == v->cps_cap) {
		size_t cap = v->cps_cap ? v->cps_cap * 2 : 16;
		struct vcp *p = realloc(v->cps, cap * sizeof(*p));
		if (!p)
			return err_set(v->e, ERR_NOMEM, "out of memory");
		v->cps = p;
		v->cps_cap = cap;
	}
	v->cps[v->ncps] = (struct vcp){ c->id, c->size, { 0 }, NULL, c->note_len };
	memcpy(v->cps[v->ncps].root, c->root, 32);
	if (!(v->cps[v->ncps].note = malloc(c->note_len + 1)))
		return err_set(v->e, ERR_NOMEM, "out of memory");
	memcpy(v->cps[v->ncps].note, c->note, c->note_len + 1);
	v->ncps++;
	return 0;
}

static int check_node(void *ctx, struct merkle_id id, const uint8_t h[static 32])
{
	struct vlog *v = ctx;
	uint8_t held[32];
	int rc;

	if ((rc = store_node_get(v->n->store, v->log->id, id, held, v->e)) < 0)
		return err_set(v->e, ERR_VERIFY,
			       "%s: tree node (level %u, index %" PRIu64 ") is missing",
			       v->log->origin, id.level, id.index);
	if (memcmp(held, h, 32) != 0)
		return err_set(v->e, ERR_VERIFY,
			       "%s: tree node (level %u, index %" PRIu64 ") does not match the entries below it",
			       v->log->origin, id.level, id.index);
	return 0;
}

/* Compares the root at each checkpoint size the walk has reached. */
static int check_roots(struct vlog *v)
{
	uint8_t root[32];

	for (; v->next_cp < v->ncps && v->cps[v->next_cp].size == v->f.size;
	     v->next_cp++) {
		merkle_frontier_root(&v->f, root);
		if (memcmp(root, v->cps[v->next_cp].root, 32) != 0)
			return err_set(v->e, ERR_VERIFY,
				       "%s: checkpoint of size %" PRIu64 " does not match the root of entries 0..%" PRIu64,
				       v->log->origin, v->f.size,
				       v->f.size ? v->f.size - 1 : 0);
	}
	return 0;
}

static int check_entry(void *ctx, const struct store_row *r)
{
	struct vlog *v = ctx;
	struct envelope env;
	uint8_t lh[32], bh[32];
	uint64_t index = r->index;
	const uint8_t *leaf = r->leaf;
	void *body;
	size_t blen;
	int rc;

	if (index != v->f.size)
		return err_set(v->e, ERR_VERIFY, "%s: entry %" PRIu64 " is missing",
			       v->log->origin, v->f.size);
	if (envelope_parse(&env, r->env, r->len, v->e) < 0) {
		err_wrap(v->e, "%s: entry %" PRIu64, v->log->origin, index);
		v->e->code = ERR_VERIFY;
		return ERR_VERIFY;
	}
	if (env.index != index || strcmp(env.from, v->log->sender) != 0 ||
	    strcmp(env.to, v->log->receiver) != 0)
		return err_set(v->e, ERR_VERIFY,
			       "%s: entry %" PRIu64 " holds the envelope of %s to %s index %" PRIu64,
			       v->log->origin, index, env.from, env.to, env.index);
	merkle_leaf_hash(lh, r->env, r->len);
	if (!leaf || memcmp(lh, leaf, 32) != 0)
		return err_set(v->e, ERR_VERIFY,
			       "%s: entry %" PRIu64 ": stored leaf hash %s its envelope",
			       v->log->origin, index,
			       leaf ? "does not match" : "is missing for");
	rc = store_row_body(v->n->store, r, env.body, &body, &blen, v->e);
	if (rc == 0) {
		merkle_sha256(bh, body, blen);
		if (memcmp(bh, env.body, 32) != 0) {
			free(body);
			return err_set(v->e, ERR_VERIFY,
				       "%s: entry %" PRIu64 ": stored body does not match its hash",
				       v->log->origin, index);
		}
		rc = node_key_entry(v->chain, v->log->origin, &env, body, blen, v->e);
		free(body);
		if (rc < 0) {
			v->e->code = ERR_VERIFY;
			return ERR_VERIFY;
		}
	} else if (rc == ERR_NOTFOUND && env.kind == ENVELOPE_KEY) {
		return err_set(v->e, ERR_VERIFY, "%s: entry %" PRIu64 ": the key announcement is missing",
			       v->log->origin, index);
	} else if (rc == ERR_VERIFY) {
		char why[sizeof(v->e->msg)];
		memcpy(why, v->e->msg, sizeof(why));
		return err_set(v->e, ERR_VERIFY, "%s: entry %" PRIu64 ": stored body is altered: %s",
			       v->log->origin, index, why);
	} else if (rc != ERR_NOTFOUND) {
		return rc;
	}
	if ((rc = merkle_frontier_append(&v->f, lh, check_node, v)) < 0)
		return rc;
	/* The facts reports read instead of the entries (store_facts.c). */
	if ((rc = store_facts_check_add(v->facts, &env)) < 0)
		return err_wrap(v->e, "%s", v->log->origin);
	return check_roots(v);
}

struct cosig_ctx {
	struct vlog *v;
	const struct vcp *cp;
	const char *text;
	size_t textlen;
	struct keyann_chain *chain; /* the receiver's */
	struct note_key keys[KEYANN_CHAIN_MAX]; /* as cosigners */
	size_t nkeys;
};

static int cosig_check(void *ctx, const struct store_cosig *c)
{
	struct cosig_ctx *cc = ctx;
	struct vlog *v = cc->v;
	struct note *nt = malloc(sizeof(*nt));
	size_t ll = strlen(c->line), mlen = cc->textlen + 1 + ll + 1;
	char *msg = malloc(mlen);
	int rc = 0;

	if (!nt || !msg) {
		rc = err_set(v->e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (strcmp(c->cosigner, v->log->receiver) != 0) {
		rc = err_set(v->e, ERR_VERIFY,
			     "%s: checkpoint of size %" PRIu64 " has a cosignature by %s, who is not the receiver",
			     v->log->origin, cc->cp->size, c->cosigner);
		goto out;
	}
	memcpy(msg, cc->text, cc->textlen);
	msg[cc->textlen] = '\n';
	memcpy(msg + cc->textlen + 1, c->line, ll);
	msg[mlen - 1] = '\n';
	if (note_open(nt, msg, mlen, cc->keys, cc->nkeys, v->e) < 0) {
		rc = err_set(v->e, ERR_VERIFY,
			     "%s: cosignature by %s on the checkpoint of size %" PRIu64 " does not verify",
			     v->log->origin, c->cosigner, cc->cp->size);
		goto out;
	}
	if (nt->sigs[0].time != c->time) {
		rc = err_set(v->e, ERR_VERIFY,
			     "%s: cosignature by %s on the checkpoint of size %" PRIu64
			     " is stored with the time %" PRIu64 " but signed with the time %" PRIu64,
			     v->log->origin, c->cosigner, cc->cp->size, c->time, nt->sigs[0].time);
		goto out;
	}
	if (!keyann_chain_cosig_ok(cc->chain, (size_t)(nt->sigs[0].key - cc->keys), c->time)) {
		rc = err_set(v->e, ERR_VERIFY,
			     "%s: cosignature by %s on the checkpoint of size %" PRIu64
			     " is by its key %08" PRIx32 ", which was not its key at the time %" PRIu64,
			     v->log->origin, c->cosigner, cc->cp->size, nt->sigs[0].id, c->time);
		goto out;
	}
	v->receipts++;
out:
	free(nt);
	free(msg);
	return rc;
}

/* The sender's chain from the walk must end at the key the store knows
 * for it (a log without announcements starts there). */
static int chain_current(struct vlog *v, struct store_party *p)
{
	struct note_key k;
	int rc;

	if ((rc = store_party_get(v->n->store, v->log->sender, p, v->e)) < 0 ||
	    (rc = note_key_parse(&k, p->vkey, strlen(p->vkey), v->e)) < 0)
		return rc;
	if (v->chain->n == 0)
		keyann_chain_init(v->chain, &k);
	if (!keyann_key_equal(keyann_chain_last(v->chain), &k))
		return err_set(v->e, ERR_VERIFY,
			       "%s: the last key the log announces for %s (%08" PRIx32
			       ") is not the key the store holds for it (%08" PRIx32 ")",
			       v->log->origin, v->log->sender, keyann_chain_last(v->chain)->id, k.id);
	return 0;
}

static int check_checkpoints(struct vlog *v)
{
	struct note_key sks[KEYANN_CHAIN_MAX];
	struct store_party p;
	struct cosig_ctx *cc = malloc(sizeof(*cc));
	struct note *nt = malloc(sizeof(*nt));
	struct checkpoint cp;
	uint8_t proof[MERKLE_MAX_NODES][32];
	size_t np;
	int rc = 0;

	if (!nt || !cc || !(cc->chain = malloc(sizeof(*cc->chain)))) {
		free(nt);
		free(cc);
		return err_set(v->e, ERR_NOMEM, "out of memory");
	}
	if ((rc = chain_current(v, &p)) < 0 ||
	    (rc = node_key_chain(v->n, v->log->receiver, v->log->sender, cc->chain, v->e)) < 0)
		goto out;
	for (size_t j = 0; j < v->chain->n; j++)
		sks[j] = v->chain->k[j].key;
	cc->nkeys = keyann_chain_cosigners(cc->chain, cc->keys);
	for (size_t i = 0; i < v->ncps; i++) {
		const struct vcp *c = &v->cps[i];

		if (note_open(nt, c->note, c->note_len, sks, v->chain->n, v->e) < 0) {
			rc = err_set(v->e, ERR_VERIFY,
				     "%s: checkpoint of size %" PRIu64 " is not validly signed by %s (%s)",
				     v->log->origin, c->size, v->log->sender, v->e->msg);
			goto out;
		}
		if ((rc = keyann_chain_signer_ok(v->chain, (size_t)(nt->sigs[0].key - sks), c->size,
						 v->log->origin, v->e)) < 0)
			goto out;
		if (checkpoint_parse(&cp, nt->text, nt->textlen, v->e) < 0 ||
		    strcmp(cp.origin, v->log->origin) != 0 || cp.size != c->size ||
		    memcmp(cp.root, c->root, 32) != 0) {
			rc = err_set(v->e, ERR_VERIFY,
				     "%s: the signed checkpoint stored for size %" PRIu64 " says something else",
				     v->log->origin, c->size);
			goto out;
		}
		cc->v = v;
		cc->cp = c;
		cc->text = nt->text;
		cc->textlen = nt->textlen;
		if ((rc = store_cosig_each(v->n->store, c->id, cosig_check, cc, v->e)) < 0)
			goto out;
		if (i == 0)
			continue;
		/* Consistency with the previous checkpoint, from stored nodes. */
		if ((rc = store_consistency_proof(v->n->store, v->log->id, v->cps[i - 1].size,
						  c->size, proof, &np, v->e)) < 0 ||
		    (rc = merkle_verify_consistency(v->cps[i - 1].size, c->size,
						    v->cps[i - 1].root, c->root,
						    (const uint8_t (*)[32])proof, np, v->e)) < 0) {
			rc = err_set(v->e, ERR_VERIFY,
				     "%s: checkpoints of size %" PRIu64 " and %" PRIu64 " are not consistent: %s",
				     v->log->origin, v->cps[i - 1].size, c->size, v->e->msg);
			goto out;
		}
	}
out:
	free(cc->chain);
	free(cc);
	free(nt);
	return rc;
}

static int verify_log(void *ctx, const struct store_log *log)
{
	struct node *n = ((void **)ctx)[0];
	FILE *out = ((void **)ctx)[1];
	struct err *e = ((void **)ctx)[2];
	struct vlog *v = calloc(1, sizeof(*v));
	int rc;

	if (!v)
		return err_set(e, ERR_NOMEM, "out of memory");
	v->n = n;
	v->log = log;
	v->e = e;
	if (!(v->chain = malloc(sizeof(*v->chain)))) {
		free(v);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	keyann_chain_init(v->chain, NULL);
	merkle_frontier_init(&v->f);
	if ((rc = store_checkpoint_each(n->store, log->id, collect_cp, v, e)) < 0)
		goto out;
	if ((rc = store_facts_check_begin(n->store, log->id, &v->facts, e)) < 0 ||
	    (rc = check_roots(v)) < 0 ||
	    (rc = store_scan(n->store, log->id, check_entry, v, e)) < 0)
		goto out;
	if (v->f.size != log->size) {
		rc = err_set(e, ERR_VERIFY,
			     v->f.size < log->size ? "%s: entry %" PRIu64 " is missing (the log's size is %" PRIu64 ")"
						   : "%s: %" PRIu64 " entries held but the log's size is %" PRIu64,
			     log->origin, v->f.size, log->size);
		goto out;
	}
	if (v->next_cp != v->ncps) {
		rc = err_set(e, ERR_VERIFY,
			     "%s: checkpoint of size %" PRIu64 " is beyond the entries held",
			     log->origin, v->cps[v->next_cp].size);
		goto out;
	}
	if ((rc = check_checkpoints(v)) < 0)
		goto out;
	/* The last, partial block of facts (full ones were compared in the
	 * walk). */
	rc = store_facts_check_end(v->facts);
	v->facts = NULL;
	if (rc < 0) {
		err_wrap(e, "%s", log->origin);
		goto out;
	}
	if (out)
		fprintf(out, "ok   %s: %" PRIu64 " entries, %zu checkpoints, %" PRIu64 " receipts\n",
			log->origin, log->size, v->ncps, v->receipts);
out:
	if (rc < 0 && out)
		fprintf(out, "FAIL %s\n", e->msg);
	if (v->facts)
		store_facts_check_end(v->facts);
	for (size_t i = 0; i < v->ncps; i++)
		free(v->cps[i].note);
	free(v->cps);
	free(v->chain);
	free(v);
	return rc;
}

struct evidence_ctx {
	FILE *out;
	int n;
	char first[1024];
};

static int report_evidence(void *ctx, const struct store_evidence *v)
{
	struct evidence_ctx *c = ctx;

	if (c->n++ == 0)
		snprintf(c->first, sizeof(c->first), "%s: fork evidence at size %llu: %s",
			 v->origin, (unsigned long long)v->size, v->reason);
	if (c->out)
		fprintf(c->out, "FORK %s: the sender signed another checkpoint of size %llu (%s);"
			" kept as evidence:\n%s", v->origin, (unsigned long long)v->size,
			v->reason, v->note);
	return 0;
}

int node_verify(struct node *n, FILE *out, struct err *e)
{
	void *ctx[3] = { n, out, e };
	struct evidence_ctx ec = { out, 0, "" };
	int rc = store_log_each(n->store, verify_log, ctx, e);

	if (rc < 0 && rc != ERR_VERIFY)
		return err_set(e, ERR_VERIFY, "%s", e->msg);
	if (rc < 0)
		return rc;
	/* The held logs are sound, but a peer that equivocated is flagged. */
	if ((rc = store_evidence_each(n->store, report_evidence, &ec, e)) < 0)
		return rc;
	if (ec.n)
		return err_set(e, ERR_VERIFY, "%s", ec.first);
	return 0;
}
