/* store_facts.c — the facts of a log: what reports and channel views need
 * of each entry (its time, kind, case and type), kept beside the entries
 * in blocks of STORE_FACT_BLOCK so that a report over millions of entries
 * reads thousands of rows and parses no envelope.
 *
 * Facts are derived data. store_append writes them in the transaction
 * that stores the entries (so they are never ahead of or behind the log);
 * a store from before facts gets them rebuilt from its entries when it is
 * first opened for writing; store_facts_check compares every block with
 * the entries (parley verify). A reader that finds them incomplete (an
 * old store opened read-only) gets ERR_NOTFOUND and reads the entries.
 *
 * A block, as stored (little-endian):
 *   u8  version (1)
 *   u16 ntypes, then each type: u8 length, its bytes
 *   u16 n (1..256), then n records of 20 bytes:
 *       i64 time, u64 case_index, u8 kind, u8 side, u16 type */
#include "store/store_backend.h"

#include "core/envelope.h"
#include "util/le.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define FACT_VERSION 1
#define FACT_RECORD 20

struct fact_block {
	uint64_t block;
	size_t n, ntypes;
	struct store_fact f[STORE_FACT_BLOCK];
	char types[STORE_FACT_BLOCK][ENVELOPE_TYPE_MAX + 1];
	const char *tp[STORE_FACT_BLOCK];
};

static void block_reset(struct fact_block *b, uint64_t block)
{
	b->block = block;
	b->n = 0;
	b->ntypes = 0;
}

/* Adds env (the next entry of the block's log) to b. */
static void block_add(struct fact_block *b, const struct envelope *env)
{
	struct store_fact *f = &b->f[b->n++];
	size_t t;

	for (t = b->ntypes; t-- > 0;)
		if (strcmp(b->types[t], env->type) == 0)
			break;
	if (t == (size_t)-1) {
		t = b->ntypes++;
		memcpy(b->types[t], env->type, strlen(env->type) + 1);
		b->tp[t] = b->types[t];
	}
	f->time = env->time;
	f->case_index = env->case_index;
	f->kind = (uint8_t)env->kind;
	/* envelope_parse admits only these two. */
	f->side = strcmp(env->case_from, env->from) == 0 ? 0 : 1;
	f->type = (uint16_t)t;
}

static size_t block_encode(const struct fact_block *b, uint8_t *out)
{
	uint8_t *p = out;

	*p++ = FACT_VERSION;
	le_put16(p, (uint16_t)b->ntypes);
	p += 2;
	for (size_t t = 0; t < b->ntypes; t++) {
		size_t len = strlen(b->types[t]);
		*p++ = (uint8_t)len;
		memcpy(p, b->types[t], len);
		p += len;
	}
	le_put16(p, (uint16_t)b->n);
	p += 2;
	for (size_t i = 0; i < b->n; i++, p += FACT_RECORD) {
		le_put64(p, (uint64_t)b->f[i].time);
		le_put64(p + 8, b->f[i].case_index);
		p[16] = b->f[i].kind;
		p[17] = b->f[i].side;
		le_put16(p + 18, b->f[i].type);
	}
	return (size_t)(p - out);
}

#define FACT_BLOB_MAX (5 + STORE_FACT_BLOCK * (1 + ENVELOPE_TYPE_MAX + FACT_RECORD))

static int block_decode(struct fact_block *b, uint64_t block, const uint8_t *p, size_t len,
			struct err *e)
{
	const uint8_t *end = p + len;

	block_reset(b, block);
	if (len < 3 || p[0] != FACT_VERSION)
		goto bad;
	b->ntypes = le_get16(p + 1);
	p += 3;
	if (b->ntypes == 0 || b->ntypes > STORE_FACT_BLOCK)
		goto bad;
	for (size_t t = 0; t < b->ntypes; t++) {
		size_t tl;
		if (p >= end || (tl = *p++) == 0 || tl > ENVELOPE_TYPE_MAX ||
		    (size_t)(end - p) < tl || !envelope_type_valid((const char *)p, tl))
			goto bad;
		memcpy(b->types[t], p, tl);
		b->types[t][tl] = '\0';
		b->tp[t] = b->types[t];
		p += tl;
	}
	if (end - p < 2)
		goto bad;
	b->n = le_get16(p);
	p += 2;
	if (b->n == 0 || b->n > STORE_FACT_BLOCK || (size_t)(end - p) != b->n * FACT_RECORD)
		goto bad;
	for (size_t i = 0; i < b->n; i++, p += FACT_RECORD) {
		struct store_fact *f = &b->f[i];
		f->time = (int64_t)le_get64(p);
		f->case_index = le_get64(p + 8);
		f->kind = p[16];
		f->side = p[17];
		f->type = le_get16(p + 18);
		if (f->side > 1 || f->type >= b->ntypes)
			goto bad;
	}
	return 0;
bad:
	return err_set(e, ERR_VERIFY, "facts block %" PRIu64 " is malformed", block);
}

/* Writes b and its case facts (store_cases.c, invariant 1). */
static int block_put(struct store *s, int64_t log, const struct fact_block *b,
		     struct err *e)
{
	uint8_t buf[FACT_BLOB_MAX];
	int rc;

	if ((rc = s->ops->fact_put(s, log, b->block, buf, block_encode(b, buf), e)) < 0)
		return rc;
	return cases_block(s, log, b->block, b->f, b->n, b->tp, 0, NULL, e);
}

/* --- writing, inside store_append's transaction ----------------------- */

int facts_begin(struct store *s, int64_t log, uint64_t size, struct err *e)
{
	struct fact_block *b = s->facts;
	void *data = NULL;
	size_t len;
	int rc;

	if (!b && !(b = s->facts = malloc(sizeof(*b))))
		return err_set(e, ERR_NOMEM, "out of memory");
	block_reset(b, size / STORE_FACT_BLOCK);
	s->facts_log = log;
	s->facts_skip = 0;
	s->facts_new = size % STORE_FACT_BLOCK;
	if (size % STORE_FACT_BLOCK == 0)
		return 0;
	rc = s->ops->fact_get(s, log, b->block, &data, &len, e);
	if (rc == ERR_NOTFOUND) {
		/* Facts lost: leave the block alone; verify names it. */
		s->facts_skip = 1;
		return 0;
	}
	if (rc == 0 && block_decode(b, b->block, data, len, e) < 0)
		rc = err_wrap(e, "log %" PRId64, log);
	else if (rc == 0 && b->n != size % STORE_FACT_BLOCK)
		s->facts_skip = 1; /* as above */
	free(data);
	return rc;
}

int facts_add(struct store *s, const struct envelope *env, struct err *e)
{
	struct fact_block *b = s->facts;
	int rc = 0;

	if (!s->facts_skip)
		block_add(b, env);
	if (s->facts_skip ? (env->index + 1) % STORE_FACT_BLOCK == 0 : b->n == STORE_FACT_BLOCK) {
		if (!s->facts_skip)
			rc = block_put(s, s->facts_log, b, e);
		block_reset(b, b->block + 1);
		s->facts_skip = 0;
		s->facts_new = 0;
	}
	return rc;
}

int facts_end(struct store *s, struct err *e)
{
	struct fact_block *b = s->facts;

	return b && b->n && !s->facts_skip ? block_put(s, s->facts_log, b, e) : 0;
}

/* --- reading ---------------------------------------------------------- */

struct scan {
	struct store *s;
	struct fact_block b;
	uint64_t size, next;   /* entries wanted; the next block's first */
	uint64_t from;         /* the first entry wanted */
	store_facts_fn fn;
	void *ctx;
	struct err *e;
};

static int scan_block(void *ctx, uint64_t block, const void *data, size_t len)
{
	struct scan *sc = ctx;
	size_t n;
	int rc;

	if (sc->next >= sc->size)
		return 0;
	if (block * STORE_FACT_BLOCK != sc->next)
		return err_set(sc->e, ERR_NOTFOUND, "no facts for entries from %" PRIu64, sc->next);
	if ((rc = block_decode(&sc->b, block, data, len, sc->e)) < 0)
		return rc;
	n = sc->b.n;
	if (n > sc->size - sc->next)
		n = (size_t)(sc->size - sc->next); /* appended since size was read */
	else if (n < STORE_FACT_BLOCK && sc->next + n < sc->size)
		return err_set(sc->e, ERR_NOTFOUND, "no facts for entries from %" PRIu64,
			       sc->next + n);
	if (sc->next < sc->from) { /* the first block: from its middle */
		size_t skip = (size_t)(sc->from - sc->next);
		rc = skip < n ? sc->fn(sc->ctx, sc->from, sc->b.f + skip, n - skip, sc->b.tp,
				       sc->b.ntypes) : 0;
	} else {
		rc = sc->fn(sc->ctx, sc->next, sc->b.f, n, sc->b.tp, sc->b.ntypes);
	}
	if (rc != 0)
		return rc;
	sc->next += n;
	return 0;
}

int store_facts_scan(struct store *s, int64_t log, uint64_t size, store_facts_fn fn,
		     void *ctx, struct err *e)
{
	return store_facts_scan_from(s, log, 0, size, fn, ctx, e);
}

int store_facts_scan_from(struct store *s, int64_t log, uint64_t from, uint64_t size,
			  store_facts_fn fn, void *ctx, struct err *e)
{
	struct scan *sc;
	int rc;

	if (size <= from)
		return 0;
	if (!(sc = malloc(sizeof(*sc))))
		return err_set(e, ERR_NOMEM, "out of memory");
	*sc = (struct scan){ .s = s, .size = size, .fn = fn, .ctx = ctx, .e = e, .from = from,
			     .next = from / STORE_FACT_BLOCK * STORE_FACT_BLOCK };
	rc = s->ops->fact_scan(s, log, from / STORE_FACT_BLOCK, scan_block, sc, e);
	if (rc == 0 && sc->next < size)
		rc = err_set(e, ERR_NOTFOUND, "no facts for entries from %" PRIu64, sc->next);
	free(sc);
	return rc;
}

/* --- rebuilding and checking from the entries ------------------------- */

struct rebuild {
	struct store *s;
	int64_t log;
	struct fact_block b;
	uint64_t expect;
	uint64_t rows;          /* of case facts the blocks make */
	int write;              /* 1: put blocks; 0: compare with the stored */
	struct err *e;
};

static int rebuild_flush(struct rebuild *r)
{
	void *data = NULL;
	size_t len;
	uint8_t buf[FACT_BLOB_MAX];
	size_t n;
	int rc;

	if (r->b.n == 0)
		return 0;
	if (r->write) {
		r->s->facts_new = 0;
		return block_put(r->s, r->log, &r->b, r->e);
	}
	n = block_encode(&r->b, buf);
	rc = r->s->ops->fact_get(r->s, r->log, r->b.block, &data, &len, r->e);
	if (rc == ERR_NOTFOUND)
		return err_set(r->e, ERR_VERIFY, "log %" PRId64 ": no facts for entries %" PRIu64
			       "..%" PRIu64, r->log, r->b.block * STORE_FACT_BLOCK,
			       r->b.block * STORE_FACT_BLOCK + r->b.n - 1);
	if (rc == 0 && (len != n || memcmp(data, buf, n) != 0))
		rc = err_set(r->e, ERR_VERIFY, "log %" PRId64 ": the facts of entries %" PRIu64
			     "..%" PRIu64 " differ from the entries", r->log,
			     r->b.block * STORE_FACT_BLOCK,
			     r->b.block * STORE_FACT_BLOCK + r->b.n - 1);
	free(data);
	if (rc == 0)
		rc = cases_block(r->s, r->log, r->b.block, r->b.f, r->b.n, r->b.tp, 1, &r->rows, r->e);
	return rc;
}

/* The end of a check: the last block, then no case facts beyond those
 * the blocks make. */
static int rebuild_end(struct rebuild *r)
{
	int rc = rebuild_flush(r);

	if (rc == 0 && !r->write)
		rc = cases_check_count(r->s, r->log, r->rows, r->e);
	return rc;
}

/* The next entry, parsed: its facts go into the block, and a full block
 * is written or compared. */
static int rebuild_add(struct rebuild *r, const struct envelope *env)
{
	int rc;

	block_add(&r->b, env);
	r->expect++;
	if (r->b.n == STORE_FACT_BLOCK) {
		if ((rc = rebuild_flush(r)) < 0)
			return rc;
		block_reset(&r->b, r->b.block + 1);
	}
	return 0;
}

static int rebuild_entry(void *ctx, const struct store_row *row)
{
	struct rebuild *r = ctx;
	struct envelope env;

	if (row->index != r->expect)
		return err_set(r->e, ERR_VERIFY, "log %" PRId64 ": entry %" PRIu64
			       " where %" PRIu64 " belongs", r->log, row->index, r->expect);
	if (envelope_parse(&env, row->env, row->len, r->e) < 0)
		return err_wrap(r->e, "log %" PRId64 " entry %" PRIu64, r->log, row->index);
	return rebuild_add(r, &env);
}

static struct rebuild *rebuild_new(struct store *s, int64_t log, int write, struct err *e)
{
	struct rebuild *r = malloc(sizeof(*r));

	if (!r) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	*r = (struct rebuild){ .s = s, .log = log, .write = write, .e = e };
	block_reset(&r->b, 0);
	return r;
}

static int rebuild(struct store *s, int64_t log, int write, struct err *e)
{
	struct rebuild *r = rebuild_new(s, log, write, e);
	int rc;

	if (!r)
		return e->code;
	if ((rc = s->ops->scan(s, log, 0, rebuild_entry, r, e)) == 0)
		rc = rebuild_end(r);
	free(r);
	return rc;
}

int store_facts_check(struct store *s, int64_t log, struct err *e)
{
	return rebuild(s, log, 0, e);
}

struct store_facts_check {
	struct rebuild r;
};

int store_facts_check_begin(struct store *s, int64_t log, struct store_facts_check **out,
			    struct err *e)
{
	*out = (struct store_facts_check *)(void *)rebuild_new(s, log, 0, e);
	return *out ? 0 : e->code;
}

int store_facts_check_add(struct store_facts_check *c, const struct envelope *env)
{
	return rebuild_add(&c->r, env);
}

int store_facts_check_end(struct store_facts_check *c)
{
	int rc = rebuild_end(&c->r);

	free(c);
	return rc;
}

struct origins {
	char (*v)[STORE_ORIGIN_MAX + 1];
	size_t n;
	struct err *e;
};

static int origin_add(void *ctx, const struct store_log *l)
{
	struct origins *o = ctx;
	void *nv = realloc(o->v, (o->n + 1) * sizeof(*o->v));

	if (!nv)
		return err_set(o->e, ERR_NOMEM, "out of memory");
	o->v = nv;
	memcpy(o->v[o->n++], l->origin, sizeof(l->origin));
	return 0;
}

int logs_each_locked(struct store *s,
		     int (*fn)(struct store *s, const struct store_log *l, struct err *e),
		     struct err *e)
{
	struct origins o = { NULL, 0, e };
	int rc;

	if ((rc = s->ops->log_each(s, origin_add, &o, e)) < 0)
		goto out;
	for (size_t i = 0; i < o.n; i++) {
		struct store_log l;
		/* Under the log's lock: no append runs meanwhile. */
		if ((rc = s->ops->begin_log(s, o.v[i], &l, e)) < 0)
			goto out;
		if ((rc = fn(s, &l, e)) < 0 || (rc = s->ops->commit(s, e)) < 0) {
			s->ops->rollback(s);
			goto out;
		}
	}
out:
	free(o.v);
	return rc;
}

static int rebuild_log(struct store *s, const struct store_log *l, struct err *e)
{
	return rebuild(s, l->id, 1, e);
}

int facts_rebuild_all(struct store *s, struct err *e)
{
	int rc = logs_each_locked(s, rebuild_log, e);

	return rc < 0 ? err_wrap(e, "rebuilding the facts of the logs") : 0;
}
