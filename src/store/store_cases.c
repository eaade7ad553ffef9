/* store_cases.c — the facts of a log again, grouped by the case they
 * belong to, so that a view of some cases (a page, one case) reads those
 * cases' rows only and a view of all of them (a report, /metrics, a
 * filtered page) holds one stretch of cases at a time instead of the
 * whole channel (DESIGN.md differs: see node/cases.h).
 *
 * Design note. A row of log L's case facts is keyed by
 *   k = side << 60 | target << 30 | source
 * where source is the block of L's entries (STORE_FACT_BLOCK of them)
 * the row's records come from, and target is a block of requests:
 *   side 0  requests of L in block target, and the replies of L naming them;
 *   side 1  the replies of L naming requests of the reverse log (the
 *           other direction of the channel) in block target;
 *   side 2  L's charter and register entries (target = source).
 * Invariants:
 *   1. The rows of a source block are a function of its facts alone
 *      (cases_block): they are written whenever the facts block is, in
 *      the same transaction (store_facts.c block_put), so they are never
 *      ahead of or behind the log, and a block's facts only grow, so a
 *      row once written is only ever replaced by a longer one.
 *   2. Only appends to L write L's rows (keyed by L's id): the appends to
 *      the two directions of a channel never write the same row. A reply
 *      naming a request of a log not yet held (an audit bundle's logs are
 *      loaded one after the other) needs no row of that log.
 *   3. The cases of requests in blocks b0..b1-1 of log R are exactly the
 *      side-0 rows of R and the side-1 rows of the reverse log with
 *      target in that range: a case is read from a few rows, found by key.
 * A reader joins them (store_cases_scan): a reply whose target is not a
 * request, or that lies beyond the size read, belongs to no case, as in
 * the reports' scans of the facts. Blocks and indices are below 2^30 and
 * 2^38 (store_append refuses a log past that).
 *
 * A row, as stored (little-endian):
 *   u8 version (1), u16 ntypes, then each type: u8 length, its bytes
 *   u16 n (1..256), then n records:
 *     u8 kind, u8 source offset, u8 target offset, u16 type (0xffff:
 *     none), i64 time; side 2 adds u8 fact side, u64 case_index. */
#include "store/store_backend.h"

#include "core/case.h"
#include "core/envelope.h"
#include "util/le.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define CASE_VERSION 1
#define CASE_REC 13
#define CASE_REC_ITEM 22
#define NO_TYPE 0xffff
#define SIDE_OWN 0
#define SIDE_REV 1
#define SIDE_ITEMS 2
#define BLOCK_BITS 30
#define BLOCK_LIMIT (UINT64_C(1) << BLOCK_BITS)
#define KEY(side, target, source) \
	((uint64_t)(side) << 60 | (uint64_t)(target) << BLOCK_BITS | (uint64_t)(source))
#define KEY_SIDE(k) ((int)((k) >> 60))
#define KEY_TARGET(k) (((k) >> BLOCK_BITS) & (BLOCK_LIMIT - 1))
#define KEY_SOURCE(k) ((k) & (BLOCK_LIMIT - 1))
#define ROW_MAX (5 + STORE_FACT_BLOCK * (1 + ENVELOPE_TYPE_MAX + CASE_REC_ITEM))

/* --- writing ---------------------------------------------------------- */

/* A record of a source block on its way to its row. */
struct pending {
	uint64_t key;   /* the row's */
	uint8_t off;    /* the entry's offset in the source block */
	uint8_t toff;   /* the request's offset in the target block */
};

static int pending_cmp(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->off > y->off) - (x->off < y->off);
}

/* Encodes the records p[0..n-1] (one row's) of facts f naming types. */
static size_t row_encode(const struct pending *p, size_t n, const struct store_fact *f,
			 const char *const *types, uint8_t *out)
{
	uint16_t map[STORE_FACT_BLOCK], nt = 0;
	uint8_t *o = out, *ntp;
	int items = KEY_SIDE(p[0].key) == SIDE_ITEMS;

	for (size_t t = 0; t < STORE_FACT_BLOCK; t++)
		map[t] = NO_TYPE;
	*o++ = CASE_VERSION;
	ntp = o;
	o += 2;
	for (size_t i = 0; i < n; i++) {
		const struct store_fact *x = &f[p[i].off];
		size_t len;
		if (x->kind == ENVELOPE_REQUEST || items) {
			if (map[x->type] != NO_TYPE)
				continue;
			map[x->type] = nt++; /* at most one per record */
			len = strlen(types[x->type]);
			*o++ = (uint8_t)len;
			memcpy(o, types[x->type], len);
			o += len;
		}
	}
	le_put16(ntp, nt);
	le_put16(o, (uint16_t)n);
	o += 2;
	for (size_t i = 0; i < n; i++) {
		const struct store_fact *x = &f[p[i].off];
		o[0] = x->kind;
		o[1] = p[i].off;
		o[2] = p[i].toff;
		le_put16(o + 3, x->kind == ENVELOPE_REQUEST || items ? map[x->type] : NO_TYPE);
		le_put64(o + 5, (uint64_t)x->time);
		o += CASE_REC;
		if (items) {
			o[0] = x->side;
			le_put64(o + 1, x->case_index);
			o += CASE_REC_ITEM - CASE_REC;
		}
	}
	return (size_t)(o - out);
}

/* Writes one row, or (check) compares it with the stored one. */
static int row_put(struct store *s, int64_t log, uint64_t key, const uint8_t *buf, size_t len,
		   int check, struct err *e)
{
	void *data = NULL;
	size_t have;
	int rc;

	if (!check)
		return s->ops->case_put(s, log, key, buf, len, e);
	rc = s->ops->case_get(s, log, key, &data, &have, e);
	if (rc == ERR_NOTFOUND || (rc == 0 && (have != len || memcmp(data, buf, len) != 0)))
		rc = err_set(e, ERR_VERIFY, "log %" PRId64 ": the case facts of entries %" PRIu64
			     "..%" PRIu64 " %s", log, KEY_SOURCE(key) * STORE_FACT_BLOCK,
			     KEY_SOURCE(key) * STORE_FACT_BLOCK + STORE_FACT_BLOCK - 1,
			     rc == ERR_NOTFOUND ? "are missing" : "differ from the facts");
	free(data);
	return rc;
}

/* The rows of a block (invariant 1): each case message goes to the row
 * of the request it names, charter and register entries to side 2. Only
 * rows holding an entry at offset new_from or later are written (an
 * append rewrites what it changed); a check compares them all. */
static int block_rows(struct store *s, int64_t log, uint64_t block, const struct store_fact *f,
		      size_t n, const char *const *types, size_t new_from, int check,
		      uint64_t *rows, struct err *e)
{
	struct pending p[STORE_FACT_BLOCK];
	uint8_t *buf;
	size_t np = 0;
	int rc = 0;

	if (block >= BLOCK_LIMIT)
		return err_set(e, ERR_TOOBIG, "log %" PRId64 ": entry %" PRIu64 " is beyond the %"
			       PRIu64 " a log may hold", log, block * STORE_FACT_BLOCK,
			       BLOCK_LIMIT * STORE_FACT_BLOCK);
	for (size_t i = 0; i < n; i++) {
		const struct store_fact *x = &f[i];
		struct pending *q = &p[np];
		q->off = (uint8_t)i;
		if (x->kind == ENVELOPE_REQUEST) {
			q->key = KEY(SIDE_OWN, block, block);
			q->toff = (uint8_t)i;
		} else if (case_event_of((enum envelope_kind)x->kind) >= 0) {
			/* A reply naming an index no log can reach names no case. */
			if (x->case_index / STORE_FACT_BLOCK >= BLOCK_LIMIT)
				continue;
			q->key = KEY(x->side ? SIDE_REV : SIDE_OWN, x->case_index / STORE_FACT_BLOCK,
				     block);
			q->toff = (uint8_t)(x->case_index % STORE_FACT_BLOCK);
		} else if (x->kind == ENVELOPE_CHARTER || x->kind == ENVELOPE_REGISTER) {
			q->key = KEY(SIDE_ITEMS, block, block);
			q->toff = 0;
		} else {
			continue;
		}
		np++;
	}
	if (np == 0)
		return 0;
	qsort(p, np, sizeof(*p), pending_cmp);
	if (!(buf = malloc(ROW_MAX)))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0, j; i < np && rc == 0; i = j) {
		int fresh = check;
		for (j = i; j < np && p[j].key == p[i].key; j++)
			fresh |= p[j].off >= new_from;
		if (rows)
			(*rows)++;
		if (fresh)
			rc = row_put(s, log, p[i].key, buf, row_encode(p + i, j - i, f, types, buf), check,
				     e);
	}
	free(buf);
	return rc;
}

int cases_block(struct store *s, int64_t log, uint64_t block, const struct store_fact *f,
		size_t n, const char *const *types, int check, uint64_t *rows, struct err *e)
{
	if (s->no_cases)
		return 0; /* nothing to compare with */
	return block_rows(s, log, block, f, n, types, check ? 0 : s->facts_new, check, rows, e);
}

/* --- rebuilding ------------------------------------------------------- */

struct rebuild {
	struct store *s;
	int64_t log;
	struct err *e;
};

static int rebuild_block(void *ctx, uint64_t first, const struct store_fact *f, size_t n,
			 const char *const *types, size_t ntypes)
{
	struct rebuild *r = ctx;

	(void)ntypes;
	return block_rows(r->s, r->log, first / STORE_FACT_BLOCK, f, n, types, 0, 0, NULL, r->e);
}

static int rebuild_log(struct store *s, const struct store_log *l, struct err *e)
{
	struct rebuild r = { s, l->id, e };

	return store_facts_scan(s, l->id, l->size, rebuild_block, &r, e);
}

int cases_rebuild_all(struct store *s, struct err *e)
{
	int rc = logs_each_locked(s, rebuild_log, e);

	return rc < 0 ? err_wrap(e, "rebuilding the case facts of the logs") : 0;
}

struct count {
	uint64_t n;
};

static int count_row(void *ctx, uint64_t k, const void *data, size_t len)
{
	(void)k;
	(void)data;
	(void)len;
	((struct count *)ctx)->n++;
	return 0;
}

int cases_check_count(struct store *s, int64_t log, uint64_t rows, struct err *e)
{
	struct count c = { 0 };
	int rc;

	if (s->no_cases)
		return 0;
	if ((rc = s->ops->case_scan(s, log, 0, KEY(3, 0, 0), count_row, &c, e)) < 0)
		return rc;
	if (c.n != rows)
		return err_set(e, ERR_VERIFY, "log %" PRId64 ": %" PRIu64 " rows of case facts where "
			       "its facts make %" PRIu64, log, c.n, rows);
	return 0;
}

/* --- reading ---------------------------------------------------------- */

/* A row, decoded: its types and records. */
struct row {
	uint64_t key;
	size_t ntypes, n;
	char types[STORE_FACT_BLOCK][ENVELOPE_TYPE_MAX + 1];
	struct {
		uint8_t kind, off, toff, side;
		uint16_t type;
		int64_t time;
		uint64_t case_index;
	} r[STORE_FACT_BLOCK];
};

static int row_decode(struct row *w, int64_t log, uint64_t key, const uint8_t *p, size_t len,
		      struct err *e)
{
	const uint8_t *end = p + len;
	int items = KEY_SIDE(key) == SIDE_ITEMS;
	size_t rec = items ? CASE_REC_ITEM : CASE_REC;

	w->key = key;
	if (len < 5 || p[0] != CASE_VERSION || (w->ntypes = le_get16(p + 1)) > STORE_FACT_BLOCK)
		goto bad;
	p += 3;
	for (size_t t = 0; t < w->ntypes; t++) {
		size_t tl;
		if (p >= end || (tl = *p++) == 0 || tl > ENVELOPE_TYPE_MAX ||
		    (size_t)(end - p) < tl || !envelope_type_valid((const char *)p, tl))
			goto bad;
		memcpy(w->types[t], p, tl);
		w->types[t][tl] = '\0';
		p += tl;
	}
	if (end - p < 2)
		goto bad;
	w->n = le_get16(p);
	p += 2;
	if (w->n == 0 || w->n > STORE_FACT_BLOCK || (size_t)(end - p) != w->n * rec)
		goto bad;
	for (size_t i = 0; i < w->n; i++, p += rec) {
		w->r[i].kind = p[0];
		w->r[i].off = p[1];
		w->r[i].toff = p[2];
		w->r[i].type = le_get16(p + 3);
		w->r[i].time = (int64_t)le_get64(p + 5);
		w->r[i].side = items ? p[13] : 0;
		w->r[i].case_index = items ? le_get64(p + 14) : 0;
		if ((w->r[i].type != NO_TYPE && w->r[i].type >= w->ntypes) ||
		    ((w->r[i].kind == ENVELOPE_REQUEST || items) && w->r[i].type == NO_TYPE) ||
		    w->r[i].side > 1)
			goto bad;
	}
	return 0;
bad:
	return err_set(e, ERR_VERIFY, "log %" PRId64 ": case facts %" PRIu64 " are malformed", log,
		       key);
}

/* How many blocks of requests store_cases_scan reads at a time: 4096
 * cases, their records and a counter for each. */
#define CHUNK_BLOCKS 16
#define CHUNK_CASES (CHUNK_BLOCKS * STORE_FACT_BLOCK)

/* A message read, on its way to its case. */
struct rec {
	uint64_t index;
	int64_t time;
	uint32_t slot;     /* the case's place in the chunk */
	uint16_t type;     /* in the chunk's types; UINT16_MAX: none */
	uint8_t kind, rev;
};

struct cscan {
	struct store *s;
	struct row *row;
	struct rec *v;          /* the chunk's records, as read */
	size_t n, cap;
	char (*types)[ENVELOPE_TYPE_MAX + 1];
	size_t ntypes, tcap;
	uint64_t b0, size[2];   /* the chunk's first block; sizes of req and rev */
	int rev;                /* reading rev's rows */
	int64_t log;
	struct err *e;
};

static int chunk_type(struct cscan *c, const char *t)
{
	for (size_t i = 0; i < c->ntypes; i++)
		if (strcmp(c->types[i], t) == 0)
			return (int)i;
	if (c->ntypes == UINT16_MAX)
		return err_set(c->e, ERR_TOOBIG, "more than %u types in %u cases", UINT16_MAX,
			       CHUNK_CASES);
	if (c->ntypes == c->tcap) {
		size_t cap = c->tcap ? c->tcap * 2 : 8;
		void *nt = realloc(c->types, cap * sizeof(*c->types));
		if (!nt)
			return err_set(c->e, ERR_NOMEM, "out of memory");
		c->types = nt;
		c->tcap = cap;
	}
	memcpy(c->types[c->ntypes], t, strlen(t) + 1);
	return (int)c->ntypes++;
}

static int chunk_row(void *ctx, uint64_t k, const void *data, size_t len)
{
	struct cscan *c = ctx;
	struct row *w = c->row;
	int map[STORE_FACT_BLOCK], rc;

	if ((rc = row_decode(w, c->log, k, data, len, c->e)) < 0)
		return rc;
	for (size_t t = 0; t < w->ntypes; t++)
		if ((map[t] = chunk_type(c, w->types[t])) < 0)
			return map[t];
	for (size_t i = 0; i < w->n; i++) {
		struct rec *r;
		uint64_t index = KEY_SOURCE(k) * STORE_FACT_BLOCK + w->r[i].off;
		if (index >= c->size[c->rev])
			continue; /* appended after the size was read */
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 1024;
			struct rec *nv = realloc(c->v, cap * sizeof(*nv));
			if (!nv)
				return err_set(c->e, ERR_NOMEM, "out of memory");
			c->v = nv;
			c->cap = cap;
		}
		r = &c->v[c->n++];
		r->index = index;
		r->time = w->r[i].time;
		r->slot = (uint32_t)((KEY_TARGET(k) - c->b0) * STORE_FACT_BLOCK + w->r[i].toff);
		r->type = w->r[i].type == NO_TYPE ? UINT16_MAX : (uint16_t)map[w->r[i].type];
		r->kind = w->r[i].kind;
		r->rev = (uint8_t)c->rev;
	}
	return 0;
}

int store_cases_scan(struct store *s, int64_t req, uint64_t req_size, int64_t rev,
		     uint64_t rev_size, uint64_t from, int rev_first, store_case_fn fn, void *ctx,
		     struct err *e)
{
	struct cscan c = { .s = s, .e = e, .size = { req_size, rev_size } };
	uint32_t *cnt = NULL, *at = NULL;
	struct store_case_msg *msgs = NULL;
	size_t mcap = 0;
	int rc = 0;

	if (!s->ops->case_scan)
		return err_set(e, ERR_NOTFOUND, "this store holds no case facts");
	c.row = malloc(sizeof(*c.row));
	cnt = malloc((CHUNK_CASES + 1) * sizeof(*cnt));
	at = malloc((CHUNK_CASES + 1) * sizeof(*at));
	if (!c.row || !cnt || !at) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (uint64_t b0 = from / STORE_FACT_BLOCK; rc == 0 && b0 * STORE_FACT_BLOCK < req_size &&
						    b0 < BLOCK_LIMIT; b0 += CHUNK_BLOCKS) {
		uint64_t b1 = b0 + CHUNK_BLOCKS < BLOCK_LIMIT ? b0 + CHUNK_BLOCKS : BLOCK_LIMIT;
		struct rec *sorted;
		size_t first[2];

		c.b0 = b0;
		c.n = 0;
		c.ntypes = 0;
		/* Invariant 3: the requests and the replies of req, then rev's
		 * replies naming them; each stream in index order. */
		for (int k = 0; k < 2 && rc == 0; k++) {
			first[k] = c.n;
			c.rev = k;
			c.log = k ? rev : req;
			if (k == 1 && !rev)
				break;
			rc = s->ops->case_scan(s, c.log, KEY(k ? SIDE_REV : SIDE_OWN, b0, 0),
					       KEY(k ? SIDE_REV : SIDE_OWN, b1, 0), chunk_row, &c, e);
		}
		if (rc < 0)
			break;
		/* Bucket by case (a counting sort, stable): the request first,
		 * then the replies of the stream read first (rev's if
		 * rev_first), then the other's. */
		memset(cnt, 0, (CHUNK_CASES + 1) * sizeof(*cnt));
		for (size_t i = 0; i < c.n; i++)
			cnt[c.v[i].slot + 1]++;
		for (size_t i = 1; i <= CHUNK_CASES; i++)
			cnt[i] += cnt[i - 1];
		memcpy(at, cnt, (CHUNK_CASES + 1) * sizeof(*at));
		if (c.n > mcap) {
			struct store_case_msg *nm = realloc(msgs, c.n * sizeof(*nm));
			if (!nm) {
				rc = err_set(e, ERR_NOMEM, "out of memory");
				break;
			}
			msgs = nm;
			mcap = c.n;
		}
		/* Requests first, one pass per stream in the order wanted. */
		if (!(sorted = malloc((c.n ? c.n : 1) * sizeof(*sorted)))) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
		for (size_t i = 0; i < c.n; i++)
			if (c.v[i].kind == ENVELOPE_REQUEST && !c.v[i].rev)
				sorted[at[c.v[i].slot]++] = c.v[i];
		for (int pass = 0; pass < 2; pass++) {
			int k = rev_first ? !pass : pass;
			size_t lo = first[k], hi = k == 0 ? first[1] : c.n;
			for (size_t i = lo; i < hi; i++)
				if (c.v[i].kind != ENVELOPE_REQUEST || c.v[i].rev)
					sorted[at[c.v[i].slot]++] = c.v[i];
		}
		for (size_t slot = 0; slot < CHUNK_CASES && rc == 0; slot++) {
			const struct rec *r = &sorted[cnt[slot]];
			size_t nm = cnt[slot + 1] - cnt[slot];
			uint64_t index = b0 * STORE_FACT_BLOCK + slot;
			if (nm == 0 || r->kind != ENVELOPE_REQUEST || r->rev || index < from)
				continue; /* no case: replies naming something else */
			for (size_t j = 0; j < nm; j++) {
				msgs[j].index = r[j].index;
				msgs[j].time = r[j].time;
				msgs[j].kind = r[j].kind;
				msgs[j].rev = r[j].rev;
				msgs[j].type = r[j].type == UINT16_MAX ? NULL : c.types[r[j].type];
			}
			rc = fn(ctx, msgs, nm);
		}
		free(sorted);
	}
out:
	free(c.row);
	free(c.v);
	free(c.types);
	free(cnt);
	free(at);
	free(msgs);
	return rc;
}

struct iscan {
	struct row *row;
	uint64_t size;
	int64_t log;
	store_item_fn fn;
	void *ctx;
	struct err *e;
};

static int item_row(void *ctx, uint64_t k, const void *data, size_t len)
{
	struct iscan *c = ctx;
	struct row *w = c->row;
	int rc;

	if ((rc = row_decode(w, c->log, k, data, len, c->e)) < 0)
		return rc;
	for (size_t i = 0; i < w->n && rc == 0; i++) {
		struct store_fact f = { w->r[i].time, w->r[i].case_index, w->r[i].kind, w->r[i].side,
					0 };
		uint64_t index = KEY_SOURCE(k) * STORE_FACT_BLOCK + w->r[i].off;
		if (index < c->size)
			rc = c->fn(c->ctx, index, &f, w->types[w->r[i].type]);
	}
	return rc;
}

int store_items_scan(struct store *s, int64_t log, uint64_t size, store_item_fn fn, void *ctx,
		     struct err *e)
{
	struct iscan c = { malloc(sizeof(struct row)), size, log, fn, ctx, e };
	int rc;

	if (!s->ops->case_scan)
		return err_set(e, ERR_NOTFOUND, "this store holds no case facts");
	if (!c.row)
		return err_set(e, ERR_NOMEM, "out of memory");
	rc = s->ops->case_scan(s, log, KEY(SIDE_ITEMS, 0, 0), KEY(SIDE_ITEMS + 1, 0, 0), item_row, &c,
			       e);
	free(c.row);
	return rc;
}
