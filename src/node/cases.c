/* cases.c — channels (charters in force) and cases, derived from both
 * logs of a channel. See cases.h. */
#include "node/cases.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/jsonu.h"

/* What cases need of an entry: 24 bytes, not a whole struct envelope,
 * since a channel may hold millions. From and to follow from mine; the
 * index from the position (item_index); body hashes are held apart, only
 * for the entries that need them. */
struct ent {
	int64_t time;
	uint64_t case_index;
	uint32_t body;           /* into items.hashes + 1; 0: not held */
	uint16_t type;           /* into items.types */
	uint8_t kind;
	uint8_t case_ours : 1;   /* the case is named by an entry of our log */
	uint8_t mine : 1;        /* in our log (we sent it) */
};

/* One entry of a channel's logs, parsed: ours, then theirs, each whole
 * and in index order. */
struct item {
	struct ent env;
};

struct items {
	struct item *v;
	size_t n, cap;
	int mine;
	int64_t ours, theirs;    /* the two logs' ids */
	const char *self;
	char (*types)[ENVELOPE_TYPE_MAX + 1];
	size_t ntypes, last_type;
	uint64_t size;           /* of the log being read */
	size_t nours;            /* items of our log: v[0..nours) */
	uint8_t (*hashes)[32];   /* body hashes */
	size_t nhash, hcap;
	struct err *e;
	/* load_channel(CHANNEL_CHARTERS): only charter items are kept, each
	 * with its body hash, read from store, and its index in at. */
	struct store *store;
	/* Items kept apart from the rest of their log (CHANNEL_CHARTERS; the
	 * report's charter and register items, report_peer): each one's
	 * index in its log here (item_index uses it). */
	uint64_t *at;
};

static const uint8_t no_hash[32];

static const uint8_t *body_of(const struct items *it, const struct item *x)
{
	return x->env.body ? it->hashes[x->env.body - 1] : no_hash;
}

/* The index of x in its log. */
static uint64_t item_index(const struct items *it, const struct item *x)
{
	if (it->at)
		return it->at[x - it->v];
	return (uint64_t)(x - it->v) - (x->env.mine ? 0 : it->nours);
}

/* The body of x's entry: *buf malloc'd (store_entry_body). */
static int item_body(struct store *st, const struct items *it, const struct item *x, void **buf,
		     size_t *len, struct err *e)
{
	return store_entry_body(st, x->env.mine ? it->ours : it->theirs, item_index(it, x),
				body_of(it, x), buf, len, e);
}

static int body_set(struct items *it, struct item *x, const uint8_t h[static 32])
{
	if (it->nhash == it->hcap) {
		size_t cap = it->hcap ? it->hcap * 2 : 16;
		void *nh = realloc(it->hashes, cap * sizeof(*it->hashes));
		if (!nh || cap > UINT32_MAX - 1)
			return err_set(it->e, ERR_NOMEM, "out of memory");
		it->hashes = nh;
		it->hcap = cap;
	}
	memcpy(it->hashes[it->nhash++], h, 32);
	x->env.body = (uint32_t)it->nhash;
	return 0;
}

static int type_id(struct items *it, const char *type)
{
	for (size_t k = 0; k < it->ntypes; k++) {
		size_t i = (it->last_type + k) % it->ntypes;
		if (strcmp(it->types[i], type) == 0)
			return (int)(it->last_type = i);
	}
	if (it->ntypes == 65535)
		return err_set(it->e, ERR_TOOBIG, "more than 65535 case types in one channel");
	if ((it->ntypes & (it->ntypes - 1)) == 0) {
		void *nt = realloc(it->types, (it->ntypes ? it->ntypes * 2 : 1) * sizeof(*it->types));
		if (!nt)
			return err_set(it->e, ERR_NOMEM, "out of memory");
		it->types = nt;
	}
	memcpy(it->types[it->ntypes], type, strlen(type) + 1);
	return (int)(it->last_type = it->ntypes++);
}

static void items_free(struct items *it)
{
	free(it->v);
	free(it->at);
	free(it->types);
	free(it->hashes);
}

static int grow(struct items *it, size_t more)
{
	size_t cap = it->cap ? it->cap : 64;
	struct item *nv;

	while (cap < it->n + more)
		cap *= 2;
	if (cap == it->cap)
		return 0;
	if (!(nv = realloc(it->v, cap * sizeof(*nv))))
		return err_set(it->e, ERR_NOMEM, "out of memory");
	it->v = nv;
	it->cap = cap;
	return 0;
}

/* Room for one more item kept apart, item it->n, with index (its place
 * in its log) in it->at[it->n] (at follows v's room). */
static int grow_kept(struct items *it, uint64_t index, struct err *e)
{
	size_t cap = it->cap;
	uint64_t *at;
	int rc;

	if ((rc = grow(it, 1)) < 0)
		return rc;
	if (!it->at || it->cap != cap) {
		if (!(at = realloc(it->at, it->cap * sizeof(*at))))
			return err_set(e, ERR_NOMEM, "out of memory");
		it->at = at;
	}
	it->at[it->n] = index;
	return 0;
}

static int collect(void *ctx, const struct store_row *r)
{
	struct items *it = ctx;
	struct envelope env;
	struct item *x;
	uint64_t index = r->index;
	int t, t2;

	if (index >= it->size)
		return 0; /* appended since the log's size was read */
	if ((t = it->store ? grow_kept(it, index, it->e) : grow(it, 1)) < 0)
		return t;
	x = &it->v[it->n];
	if (envelope_parse(&env, r->env, r->len, it->e) < 0)
		return err_wrap(it->e, "entry %" PRIu64, index);
	if (it->store && env.kind != ENVELOPE_CHARTER)
		return 0;
	if ((t = type_id(it, env.type)) < 0)
		return t;
	x->env.time = env.time;
	x->env.case_index = env.case_index;
	if ((t2 = body_set(it, x, env.body)) < 0)
		return t2;
	x->env.type = (uint16_t)t;
	x->env.kind = (uint8_t)env.kind;
	x->env.case_ours = strcmp(env.case_from, it->self) == 0;
	if (!it->store && index != it->n - (it->mine ? 0 : it->nours))
		return err_set(it->e, ERR_VERIFY, "entry %" PRIu64 " is missing", it->n - (it->mine ? 0 : it->nours));
	x->env.mine = it->mine != 0;
	it->n++;
	return 0;
}

/* The body hash named by entry index of log. */
static int envelope_hash(struct store *st, int64_t log, uint64_t index, uint8_t h[static 32],
			 struct err *e)
{
	struct envelope env;
	char *buf;
	size_t len;
	int rc;

	if ((rc = store_entry_get(st, log, index, &buf, &len, e)) < 0)
		return rc;
	rc = envelope_parse(&env, buf, len, e);
	free(buf);
	if (rc < 0)
		return err_wrap(e, "entry %" PRIu64, index);
	memcpy(h, env.body, 32);
	return 0;
}

/* The body of entry index of log: *buf malloc'd (store_entry_body). */
static int log_body(struct store *st, int64_t log, uint64_t index, void **buf, size_t *len,
		    struct err *e)
{
	uint8_t h[32];
	int rc;

	if ((rc = envelope_hash(st, log, index, h, e)) < 0)
		return rc;
	return store_entry_body(st, log, index, h, buf, len, e);
}

/* A block of the log's facts: as collect, without the envelopes. Body
 * hashes are left zero; entries_with_bodies fills those that matter
 * (CHANNEL_CHARTERS: each charter item's here). */
static int collect_facts(void *ctx, uint64_t first, const struct store_fact *f, size_t n,
			 const char *const *types, size_t ntypes)
{
	struct items *it = ctx;
	uint16_t map[STORE_FACT_BLOCK];
	uint8_t h[32];
	int rc;

	if (!it->store && (rc = grow(it, n)) < 0)
		return rc;
	for (size_t t = 0; t < ntypes; t++) {
		if ((rc = type_id(it, types[t])) < 0)
			return rc;
		map[t] = (uint16_t)rc;
	}
	for (size_t i = 0; i < n; i++) {
		struct item *x;

		if (it->store && f[i].kind != ENVELOPE_CHARTER)
			continue;
		if (it->store && (rc = grow_kept(it, first + i, it->e)) < 0)
			return rc;
		x = &it->v[it->n++];
		x->env.time = f[i].time;
		x->env.case_index = f[i].case_index;
		x->env.body = 0;
		x->env.type = map[f[i].type];
		x->env.kind = f[i].kind;
		/* Our log's case_from is us when it is its from; theirs' when
		 * it is its to. */
		x->env.case_ours = f[i].side == (it->mine ? 0 : 1);
		x->env.mine = it->mine != 0;
		if (it->store &&
		    ((rc = envelope_hash(it->store, it->mine ? it->ours : it->theirs, first + i, h, it->e)) < 0 ||
		     (rc = body_set(it, x, h)) < 0))
			return rc;
	}
	return 0;
}

/* The body hash of an item read from facts, from its envelope. */
static int item_hash(struct node *n, struct items *it, struct item *x, struct err *e)
{
	uint8_t h[32];
	int rc;

	if (x->env.body)
		return 0;
	if ((rc = envelope_hash(n->store, x->env.mine ? it->ours : it->theirs, item_index(it, x), h,
				e)) < 0)
		return rc;
	return body_set(it, x, h);
}

/* Charter and register entries read from facts: their body hashes, from
 * the envelopes (a handful per channel). */
static int entries_with_bodies(struct node *n, struct items *it, struct err *e)
{
	for (size_t i = 0; i < it->n; i++) {
		struct item *x = &it->v[i];
		int rc;

		if ((x->env.kind == ENVELOPE_CHARTER || x->env.kind == ENVELOPE_REGISTER) &&
		    (rc = item_hash(n, it, x, e)) < 0)
			return rc;
	}
	return 0;
}

/* Both logs of the channel with peer, ours first. With bodies, every
 * item has its body hash (the envelopes are read); without, the logs'
 * facts are read where the store holds them, and only charter and
 * register items have their body hashes. With CHANNEL_CHARTERS, only the
 * charter items are kept (what the channel's state needs): memory for a
 * handful of items, not one per entry, each with its index in it->at. */
#define CHANNEL_CHARTERS 2

/* The two logs of the channel with peer (id 0, size 0: none yet). An
 * unknown party has no channel: that is the error, not "no charter". */
static int channel_logs(struct node *n, const char *peer, struct store_log *ours,
			struct store_log *theirs, struct err *e)
{
	int rc;

	if ((rc = store_party_get(n->store, peer, &(struct store_party){ 0 }, e)) < 0)
		return rc;
	for (int k = 0; k < 2; k++) {
		struct store_log *l = k == 0 ? ours : theirs;
		rc = k == 0 ? store_log_get(n->store, n->cfg.name, peer, 0, l, e)
			    : store_log_get(n->store, peer, n->cfg.name, 0, l, e);
		if (rc == ERR_NOTFOUND)
			*l = (struct store_log){ 0 };
		else if (rc < 0)
			return rc;
	}
	return 0;
}

static int load_channel(struct node *n, const char *peer, struct items *it,
			struct store_log *ours, struct store_log *theirs, int bodies,
			struct err *e)
{
	struct store_log *logs[2] = { ours, theirs };
	int rc;

	memset(it, 0, sizeof(*it));
	it->e = e;
	it->self = n->cfg.name;
	if (bodies == CHANNEL_CHARTERS) {
		it->store = n->store;
		bodies = 0;
	}
	if ((rc = channel_logs(n, peer, ours, theirs, e)) < 0)
		return rc;
	/* Room for both logs at once: no growing copies. */
	if (!it->store && ours->size < SIZE_MAX / sizeof(*it->v) / 4 &&
	    theirs->size < SIZE_MAX / sizeof(*it->v) / 4 &&
	    (rc = grow(it, (size_t)(ours->size + theirs->size))) < 0)
		return rc;
	for (int k = 0; k < 2; k++) {
		if (!logs[k]->id)
			continue;
		it->mine = k == 0;
		it->size = logs[k]->size;
		*(k == 0 ? &it->ours : &it->theirs) = logs[k]->id;
		if (!bodies) {
			size_t from = it->n;
			rc = store_facts_scan(n->store, logs[k]->id, logs[k]->size, collect_facts,
					      it, e);
			if (rc != ERR_NOTFOUND) {
				if (rc < 0)
					return rc;
				if (k == 0)
					it->nours = it->n;
				continue;
			}
			it->n = from; /* incomplete facts: read the entries */
		}
		if ((rc = store_scan(n->store, logs[k]->id, collect, it, e)) < 0)
			return rc;
		if (k == 0)
			it->nours = it->n;
	}
	return bodies || it->store ? 0 : entries_with_bodies(n, it, e);
}

/* The newest charter entry of one side whose body the other side holds
 * too (or, with want_unmatched, does not). NULL if none. */
static const struct item *newest_charter(const struct items *it, int mine, int want_matched)
{
	for (size_t i = it->n; i-- > 0;) {
		const struct item *x = &it->v[i];
		int matched = 0;

		if (x->env.mine != mine || x->env.kind != ENVELOPE_CHARTER)
			continue;
		for (size_t j = 0; j < it->n && !matched; j++)
			matched = it->v[j].env.mine != mine && it->v[j].env.kind == ENVELOPE_CHARTER &&
				  memcmp(body_of(it, &it->v[j]), body_of(it, x), 32) == 0;
		if (matched == want_matched)
			return x;
		if (want_matched == 0)
			return NULL; /* only the newest counts as pending */
	}
	return NULL;
}

void channel_state_free(struct channel_state *st)
{
	if (!st)
		return;
	if (!st->borrowed) {
		charter_free(st->charter);
		free(st->charter_json);
	}
	memset(st, 0, sizeof(*st));
}

/* One channel's charter items, as far as its logs were read, and the
 * charter in force as last parsed (its body's hash in act). */
struct chan_cache {
	char peer[STORE_NAME_MAX + 1];
	int64_t ours, theirs;          /* log ids (0: none yet) */
	uint64_t ours_size, theirs_size; /* entries read */
	struct items it;               /* CHANNEL_CHARTERS items of both */
	uint8_t act[32];
	struct channel_state parsed;   /* owns its charter; NULL if none yet */
	struct chan_cache *next;
};

/* The state from a channel's charter items; c, if not NULL, keeps the
 * charter in force parsed, and st borrows it from there. */
static int state_from(struct node *n, const struct items *it, struct chan_cache *c,
		      struct channel_state *st, struct err *e)
{
	const struct item *a = newest_charter(it, 1, 1), *b = newest_charter(it, 0, 1);
	const struct item *act = !a ? b : !b ? a : (a->env.time >= b->env.time ? a : b);
	const struct item *po = newest_charter(it, 1, 0), *pt = newest_charter(it, 0, 0);
	size_t len;
	int rc;

	memset(st, 0, sizeof(*st));
	st->pending_ours = po && (!act || po->env.time >= act->env.time);
	st->pending_theirs = pt && (!act || pt->env.time >= act->env.time);
	if (!act)
		return 0;
	if (c && c->parsed.charter && memcmp(c->act, body_of(it, act), 32) == 0)
		goto borrow;
	if ((rc = item_body(n->store, it, act, (void **)&st->charter_json, &len, e)) < 0)
		return err_wrap(e, "the charter in force");
	if ((rc = charter_parse(&st->charter, st->charter_json, len, e)) < 0) {
		channel_state_free(st);
		return err_wrap(e, "the charter in force");
	}
	if (!c)
		return 0;
	channel_state_free(&c->parsed);
	c->parsed.charter = st->charter;
	c->parsed.charter_json = st->charter_json;
	memcpy(c->act, body_of(it, act), 32);
borrow:
	st->charter = c->parsed.charter;
	st->charter_json = c->parsed.charter_json;
	st->borrowed = 1;
	return 0;
}

void channel_cache_free(struct node *n)
{
	while (n->chans) {
		struct chan_cache *c = n->chans;
		n->chans = c->next;
		items_free(&c->it);
		channel_state_free(&c->parsed);
		free(c);
	}
}

/* Drops what c read: the next call reads both logs from the start. */
static void cache_forget(struct chan_cache *c, struct node *n)
{
	items_free(&c->it);
	channel_state_free(&c->parsed);
	memset(&c->it, 0, sizeof(c->it));
	c->it.self = n->cfg.name;
	c->it.store = n->store;
	c->ours = c->theirs = 0;
	c->ours_size = c->theirs_size = 0;
}

/* Reads the charter items of one log from entry from to size, from the
 * facts; ERR_NOTFOUND if the store does not hold them. */
static int cache_read(struct chan_cache *c, int mine, int64_t log, uint64_t from, uint64_t size,
		      struct err *e)
{
	c->it.e = e;
	c->it.mine = mine;
	c->it.ours = c->ours;
	c->it.theirs = c->theirs;
	return store_facts_scan_from(c->it.store, log, from, size, collect_facts, &c->it, e);
}

int channel_state(struct node *n, const char *peer, struct channel_state *st,
		  struct err *e)
{
	struct store_log ours, theirs;
	struct chan_cache *c;
	struct items it;
	int rc;

	memset(st, 0, sizeof(*st));
	if (strlen(peer) > STORE_NAME_MAX)
		return err_set(e, ERR_INVALID, "party name too long");
	if ((rc = channel_logs(n, peer, &ours, &theirs, e)) < 0)
		return rc;
	for (c = n->chans; c && strcmp(c->peer, peer) != 0; c = c->next)
		;
	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return err_set(e, ERR_NOMEM, "out of memory");
		memcpy(c->peer, peer, strlen(peer) + 1);
		c->next = n->chans;
		n->chans = c;
	}
	c->it.self = n->cfg.name;
	c->it.store = n->store;
	/* A log is append-only: what was read stays true. A log id that
	 * changed (a store replaced under this handle) starts again. */
	if ((c->ours && c->ours != ours.id) || (c->theirs && c->theirs != theirs.id) ||
	    ours.size < c->ours_size || theirs.size < c->theirs_size)
		cache_forget(c, n);
	c->ours = ours.id;
	c->theirs = theirs.id;
	rc = 0;
	if (ours.id && ours.size > c->ours_size &&
	    (rc = cache_read(c, 1, ours.id, c->ours_size, ours.size, e)) == 0)
		c->ours_size = ours.size;
	if (rc == 0 && theirs.id && theirs.size > c->theirs_size &&
	    (rc = cache_read(c, 0, theirs.id, c->theirs_size, theirs.size, e)) == 0)
		c->theirs_size = theirs.size;
	if (rc == 0)
		return state_from(n, &c->it, c, st, e);
	cache_forget(c, n); /* half read */
	if (rc != ERR_NOTFOUND)
		return rc;
	/* No facts (a store from before them, read-only): every entry. */
	if ((rc = load_channel(n, peer, &it, &ours, &theirs, CHANNEL_CHARTERS, e)) == 0)
		rc = state_from(n, &it, NULL, st, e);
	items_free(&it);
	return rc;
}

int channel_propose(struct node *n, const char *peer, const char *json, size_t len,
		    uint64_t *index, struct err *e)
{
	struct charter *c = NULL;
	struct node_msg m = { .kind = ENVELOPE_CHARTER, .type = "charter",
			      .body = json, .body_len = len };
	int rc;

	if ((rc = charter_parse(&c, json, len, e)) < 0)
		return rc;
	charter_free(c);
	return node_send(n, peer, &m, 1, index, e);
}

int channel_accept(struct node *n, const char *peer, uint64_t *index, struct err *e)
{
	struct store_log ours, theirs;
	struct items it;
	const struct item *p;
	struct charter *c = NULL;
	char *body = NULL;
	size_t len;
	int rc;

	if ((rc = load_channel(n, peer, &it, &ours, &theirs, CHANNEL_CHARTERS, e)) < 0)
		goto out;
	if (!(p = newest_charter(&it, 0, 0))) {
		rc = err_set(e, ERR_NOTFOUND, "%s has proposed no charter that we have not accepted",
			     peer);
		goto out;
	}
	if ((rc = item_body(n->store, &it, p, (void **)&body, &len, e)) < 0 ||
	    (rc = charter_parse(&c, body, len, e)) < 0) {
		err_wrap(e, "%s's proposal", peer);
		goto out;
	}
	{
		struct node_msg m = { .kind = ENVELOPE_CHARTER, .type = "charter",
				      .body = body, .body_len = len };
		rc = node_send(n, peer, &m, 1, index, e);
	}
out:
	charter_free(c);
	free(body);
	items_free(&it);
	return rc;
}

int case_id_parse(const char *id, char *party, uint64_t *index, struct err *e)
{
	const char *slash = strrchr(id, '/');
	char *end;

	if (!slash || (size_t)(slash - id) > ENVELOPE_NAME_MAX || !slash[1] ||
	    !envelope_name_valid(id, (size_t)(slash - id)))
		return err_set(e, ERR_INVALID, "case '%s': expected REQUESTER/INDEX", id);
	memcpy(party, id, (size_t)(slash - id));
	party[slash - id] = '\0';
	*index = strtoull(slash + 1, &end, 10);
	if (*end || slash[1] == '-' || (slash[1] == '0' && slash[2]))
		return err_set(e, ERR_INVALID, "case '%s': the index is not a number", id);
	return 0;
}

static const char no_subject[] = "";

/* s, held once by l: the views point to it. NULL: out of memory. */
static const char *intern(struct case_list *l, const char *s)
{
	for (size_t i = l->nstrings; i-- > 0;)
		if (strcmp(l->strings[i], s) == 0)
			return l->strings[i];
	if ((l->nstrings & (l->nstrings - 1)) == 0) {
		char **nv = realloc(l->strings, (l->nstrings ? l->nstrings * 2 : 1) * sizeof(*nv));
		if (!nv)
			return NULL;
		l->strings = nv;
	}
	if (!(l->strings[l->nstrings] = strdup(s)))
		return NULL;
	return l->strings[l->nstrings++];
}

void case_list_free(struct case_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		for (size_t k = 0; k < l->v[i].nmsgs; k++)
			free(l->v[i].msgs[k].body);
		free(l->v[i].msgs);
		if (l->v[i].subject != no_subject)
			free((char *)(uintptr_t)l->v[i].subject);
	}
	for (size_t i = 0; i < l->nstrings; i++)
		free(l->strings[i]);
	free(l->strings);
	free(l->v);
	free(l->att);
	memset(l, 0, sizeof(*l));
}

static int msg_cmp(const void *a, const void *b)
{
	const struct case_msg *x = a, *y = b;

	if (x->sent != y->sent)
		return x->sent < y->sent ? -1 : 1;
	if (x->kind == ENVELOPE_REQUEST || y->kind == ENVELOPE_REQUEST)
		return x->kind == ENVELOPE_REQUEST ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* A stable sort by msg_cmp: insertion for the few messages most cases
 * have (and for the second, already sorted, pass), glibc's merge sort
 * otherwise. */
static void sort_msgs(struct case_msg *v, size_t n)
{
	if (n > 16) {
		qsort(v, n, sizeof(*v), msg_cmp);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct case_msg x = v[i];
		size_t j = i;
		for (; j > 0 && msg_cmp(&v[j - 1], &x) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Receipt times of one log by its receiver, read once per load: for
 * each cosigned checkpoint in size order, the earliest cosignature time
 * at that size or later. An entry's receipt is the value at the first
 * checkpoint that covers it (what Q_RECEIPT_TIME computes per entry). */
struct receipts {
	uint64_t *size, *time;
	size_t n, cap;
	struct err *e;
};

static int receipt_add(void *ctx, uint64_t size, uint64_t time)
{
	struct receipts *r = ctx;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		uint64_t *ns = realloc(r->size, cap * sizeof(*ns)), *nt;
		if (ns)
			r->size = ns;
		if (!ns || !(nt = realloc(r->time, cap * sizeof(*nt))))
			return err_set(r->e, ERR_NOMEM, "out of memory");
		r->time = nt;
		r->cap = cap;
	}
	r->size[r->n] = size;
	r->time[r->n++] = time;
	return 0;
}

static int receipts_load(struct node *n, int64_t log, const char *cosigner,
			 struct receipts *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	r->e = e;
	if (!log)
		return 0;
	if (store_receipts_each(n->store, log, cosigner, receipt_add, r, e) < 0)
		return e->code;
	for (size_t i = r->n; i-- > 1;)
		if (r->time[i] < r->time[i - 1])
			r->time[i - 1] = r->time[i];
	return 0;
}

static uint64_t receipt_of(const struct receipts *r, uint64_t index)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) { /* first size > index */
		size_t mid = lo + (hi - lo) / 2;
		if (r->size[mid] > index)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < r->n ? r->time[lo] : 0;
}

static void receipts_free(struct receipts *r)
{
	free(r->size);
	free(r->time);
}

static int add_msg(struct node *n, const struct items *it, struct case_view *cv,
		   const struct item *x,
		   const char *from, const struct receipts rt[2], unsigned flags, struct err *e)
{
	struct case_msg *m;
	int rc;

	if ((cv->nmsgs & (cv->nmsgs - 1)) == 0) { /* 0, 1, 2, 4...: grow */
		struct case_msg *nm = realloc(cv->msgs, (cv->nmsgs ? cv->nmsgs * 2 : 1) * sizeof(*nm));
		if (!nm)
			return err_set(e, ERR_NOMEM, "out of memory");
		cv->msgs = nm;
	}
	m = &cv->msgs[cv->nmsgs++];
	memset(m, 0, sizeof(*m));
	m->from = from;
	m->index = item_index(it, x);
	m->kind = x->env.kind;
	m->sent = x->env.time;
	m->receipt = receipt_of(&rt[x->env.mine ? 0 : 1], item_index(it, x));
	if (flags & CASES_NO_BODIES)
		return 0;
	rc = item_body(n->store, it, x, (void **)&m->body, &m->body_len, e);
	return rc == ERR_NOTFOUND ? 0 : rc;
}

/* Replays the lifecycle and computes deadlines by the charter's terms
 * for the case's type (t; NULL: none). */
static void settle_by(struct case_view *cv, const struct charter_type *t, int64_t now)
{
	int s = CASE_NONE;

	sort_msgs(cv->msgs, cv->nmsgs);
	for (size_t i = 0; i < cv->nmsgs; i++) {
		struct case_msg *m = &cv->msgs[i];
		/* Names are interned by the case list (intern): equal names are
		 * the same pointer. */
		enum case_role r = m->from == cv->requester ? CASE_REQUESTER : CASE_RESPONDER;
		int next = case_step((enum case_state)s, (enum case_event)case_event_of(m->kind), r, NULL);

		m->counted = next >= 0;
		if (next >= 0)
			s = next;
		if (m->kind == ENVELOPE_REQUEST && m->receipt) {
			cv->receipt = m->receipt;
			s = case_step((enum case_state)s, CASE_EV_RECEIPT, r, NULL);
		}
	}
	cv->state = (enum case_state)s;
	if (t && cv->receipt) {
		cv->ack_due = (int64_t)cv->receipt + t->ack_within;
		cv->answer_due = t->answer_within >= 0 ? (int64_t)cv->receipt + t->answer_within : 0;
	}
	cv->overdue_ack = cv->ack_due && now > cv->ack_due &&
			  (cv->state == CASE_SENT || cv->state == CASE_RECEIPTED);
	cv->overdue_answer = cv->answer_due && now > cv->answer_due && case_is_open(cv->state);
}

static void settle(struct case_view *cv, const struct charter *c, int64_t now)
{
	settle_by(cv, c ? charter_type(c, cv->type) : NULL, now);
}

/* The subject of a request body: malloc'd, or no_subject if it has none. */
static const char *subject_parse(const char *body, size_t len)
{
	const char *s = NULL;
	json_t *o = json_loadb(body, len, 0, NULL);

	if (json_is_string(json_object_get(o, "subject")))
		s = strdup(json_string_value(json_object_get(o, "subject")));
	json_decref(o);
	return s ? s : no_subject;
}

/* The subject is the request's, wherever the replay put it (a reply
 * naming the request's index may claim an earlier time). */
static void subject_of(struct case_view *cv)
{
	for (size_t k = 0; k < cv->nmsgs; k++)
		if (cv->msgs[k].kind == ENVELOPE_REQUEST) {
			if (cv->msgs[k].body)
				cv->subject = subject_parse(cv->msgs[k].body, cv->msgs[k].body_len);
			return;
		}
}

/* Charters both sides agreed, each in force from the receipt time of its
 * acceptance (the later of its two entries; the sender's time until that
 * is receipted). An amendment thus applies from its receipt. */
#define AGREED_MAX 32
struct agreed {
	int64_t from;
	struct charter *c;
};

static int agreed_charters(struct node *n, const struct items *it, const char *peer,
			   struct agreed *ag, size_t *nag, struct err *e)
{
	*nag = 0;
	for (size_t i = 0; i < it->n; i++) {
		const struct item *x = &it->v[i], *later = NULL;
		uint64_t t = 0;
		char *json;
		size_t len;
		int rc;

		if (x->env.kind != ENVELOPE_CHARTER)
			continue;
		for (size_t j = 0; j < it->n && !later; j++) {
			const struct item *y = &it->v[j];
			if (y->env.mine != x->env.mine && y->env.kind == ENVELOPE_CHARTER &&
			    memcmp(body_of(it, y), body_of(it, x), 32) == 0)
				later = y;
		}
		/* Count each agreement once: at its later entry. */
		if (!later || later->env.time > x->env.time ||
		    (later->env.time == x->env.time && !x->env.mine))
			continue;
		if (*nag == AGREED_MAX)
			break;
		if ((rc = store_receipt_time(n->store, x->env.mine ? it->ours : it->theirs, item_index(it, x),
					     x->env.mine ? peer : n->cfg.name, &t, e)) < 0 ||
		    (rc = item_body(n->store, it, x, (void **)&json, &len, e)) < 0)
			return rc;
		rc = charter_parse(&ag[*nag].c, json, len, e);
		free(json);
		if (rc < 0)
			return rc;
		ag[*nag].from = t ? (int64_t)t : x->env.time;
		(*nag)++;
	}
	return 0;
}

/* The charter in force at time t: the agreed one most recently in force
 * by then, else the first agreed (a request receipted a moment before its
 * channel's acceptance was). */
static const struct charter *charter_at(const struct agreed *ag, size_t nag, int64_t t)
{
	const struct agreed *best = NULL, *first = NULL;

	for (size_t i = 0; i < nag; i++) {
		if (!first || ag[i].from < first->from)
			first = &ag[i];
		if (ag[i].from <= t && (!best || ag[i].from >= best->from))
			best = &ag[i];
	}
	return best ? best->c : first ? first->c : NULL;
}

/* A register entry: its body is needed (the record is in it). */
static int add_attested(struct node *n, struct case_list *out, const struct items *it,
			const struct item *x, const char *peer, const struct receipts rt[2],
			struct err *e)
{
	const char *from = x->env.mine ? n->cfg.name : peer, *to = x->env.mine ? peer : n->cfg.name;
	struct case_attested *a;
	char *body;
	size_t len;
	int rc;

	if (out->natt == out->att_cap) {
		size_t cap = out->att_cap ? out->att_cap * 2 : 16;
		struct case_attested *nv = realloc(out->att, cap * sizeof(*nv));
		if (!nv)
			return err_set(e, ERR_NOMEM, "out of memory");
		out->att = nv;
		out->att_cap = cap;
	}
	a = &out->att[out->natt];
	memset(a, 0, sizeof(*a));
	if ((rc = item_body(n->store, it, x, (void **)&body, &len, e)) < 0)
		return err_wrap(e, "register entry %s/%" PRIu64, from, item_index(it, x));
	rc = register_body_parse(body, len, &a->rec, e);
	free(body);
	if (rc < 0)
		return err_wrap(e, "register entry %s/%" PRIu64, from, item_index(it, x));
	snprintf(a->rec.type, sizeof(a->rec.type), "%s", it->types[x->env.type]);
	snprintf(a->by, sizeof(a->by), "%s", from);
	snprintf(a->requester, sizeof(a->requester), "%s", a->rec.sent ? from : to);
	snprintf(a->responder, sizeof(a->responder), "%s", a->rec.sent ? to : from);
	a->index = item_index(it, x);
	a->receipt = receipt_of(&rt[x->env.mine ? 0 : 1], item_index(it, x));
	out->natt++;
	return 0;
}

/* A channel read for cases: both logs' entries, the agreed charters, the
 * receipt tables, and names and types held by the case list. */
struct chan {
	struct items it;
	struct store_log ours, theirs;
	struct agreed ag[AGREED_MAX];
	size_t nag;
	struct receipts rt[2];
	const char *self, *other, **types;
	uint32_t *by_ours, *by_theirs;  /* request index -> case number + 1 */
};

static void chan_close(struct chan *c)
{
	for (size_t i = 0; i < c->nag; i++)
		charter_free(c->ag[i].c);
	receipts_free(&c->rt[0]);
	receipts_free(&c->rt[1]);
	free(c->types);
	free(c->by_ours);
	free(c->by_theirs);
	items_free(&c->it);
}

/* Room for each entry's case number in both logs (zeroed). */
static int chan_by_alloc(struct chan *c, struct err *e)
{
	c->by_ours = calloc(c->ours.size + 1, sizeof(*c->by_ours));
	c->by_theirs = calloc(c->theirs.size + 1, sizeof(*c->by_theirs));
	return c->by_ours && c->by_theirs ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}

/* The rest of chan_open, once c->it holds the channel's charter and
 * register items: charters agreed, receipt tables, names and types in
 * out, the attested records. */
static int chan_rest(struct node *n, const char *peer, struct case_list *out, struct chan *c,
		     struct err *e)
{
	int rc;

	if ((rc = agreed_charters(n, &c->it, peer, c->ag, &c->nag, e)) < 0 ||
	    (rc = receipts_load(n, c->ours.id, peer, &c->rt[0], e)) < 0 ||
	    (rc = receipts_load(n, c->theirs.id, n->cfg.name, &c->rt[1], e)) < 0)
		return rc;
	c->types = calloc(c->it.ntypes + 1, sizeof(*c->types));
	c->self = intern(out, n->cfg.name);
	c->other = intern(out, peer);
	for (size_t k = 0; c->types && k < c->it.ntypes; k++)
		if (!(c->types[k] = intern(out, c->it.types[k])))
			c->self = NULL;
	if (!c->types || !c->self || !c->other)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < c->it.n; i++)
		if (c->it.v[i].env.kind == ENVELOPE_REGISTER &&
		    (rc = add_attested(n, out, &c->it, &c->it.v[i], peer, c->rt, e)) < 0)
			return rc;
	return 0;
}

static int chan_open(struct node *n, const char *peer, struct case_list *out, struct chan *c,
		     int bodies, struct err *e)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = load_channel(n, peer, &c->it, &c->ours, &c->theirs, bodies, e)) < 0 ||
	    (rc = chan_by_alloc(c, e)) < 0)
		return rc;
	return chan_rest(n, peer, out, c, e);
}

/* The slot of entry index of our log (ours) or theirs. */
static uint32_t *entry_slot(const struct chan *c, int ours, uint64_t index)
{
	return &(ours ? c->by_ours : c->by_theirs)[index];
}

/* Where the case number of the request a reply names is kept (by_ours
 * or by_theirs), NULL if the reply names no entry of either log. */
static uint32_t *reply_slot(const struct chan *c, unsigned kind, int case_ours, uint64_t case_index)
{
	if (case_event_of((enum envelope_kind)kind) < 0 || kind == ENVELOPE_REQUEST ||
	    case_index >= (case_ours ? c->ours.size : c->theirs.size))
		return NULL;
	return entry_slot(c, case_ours, case_index);
}

/* The case a reply names, as a case number + 1; 0 if none. */
static uint32_t case_of(const struct chan *c, const struct item *x)
{
	const uint32_t *k = reply_slot(c, x->env.kind, x->env.case_ours, x->env.case_index);

	return k ? *k : 0;
}

/* A new case view of the request x: no messages yet. */
static void view_init(const struct chan *c, struct case_view *cv, const struct item *x)
{
	memset(cv, 0, sizeof(*cv));
	cv->requester = x->env.mine ? c->self : c->other;
	cv->responder = x->env.mine ? c->other : c->self;
	cv->type = c->types[x->env.type];
	cv->subject = no_subject;
	cv->index = item_index(&c->it, x);
}

/* The charter whose deadlines a case follows: the one in force when its
 * request was receipted, or sent if it has no receipt. */
static const struct charter *case_charter(const struct chan *c, uint64_t receipt, int64_t opened)
{
	return charter_at(c->ag, c->nag, receipt ? (int64_t)receipt : opened);
}

/* Replays a case's messages; the request's receipt decides which charter's
 * deadlines apply, so replay once to learn it, then again. */
static void view_settle(const struct chan *c, struct case_view *cv, int64_t now)
{
	int64_t opened = 0;

	for (size_t k = 0; k < cv->nmsgs; k++)
		if (cv->msgs[k].kind == ENVELOPE_REQUEST)
			opened = cv->msgs[k].sent;
	settle(cv, NULL, now);
	settle(cv, case_charter(c, cv->receipt, opened), now);
}

/* The cases with peer into out. */
static int load_peer(struct node *n, const char *peer, int64_t now, unsigned flags,
		     struct case_list *out, size_t *cap, struct err *e)
{
	struct chan c;
	size_t first = out->n;
	int bodies = !(flags & CASES_NO_BODIES), rc;

	if ((rc = chan_open(n, peer, out, &c, bodies, e)) < 0)
		goto out;
	for (size_t i = 0; i < c.it.n; i++) {
		struct item *x = &c.it.v[i];
		struct case_view *cv, *nv;

		if (x->env.kind != ENVELOPE_REQUEST)
			continue;
		if (out->n == *cap) {
			size_t nc = *cap ? *cap * 2 : 16;
			if (!(nv = realloc(out->v, nc * sizeof(*nv)))) {
				rc = err_set(e, ERR_NOMEM, "out of memory");
				goto out;
			}
			out->v = nv;
			*cap = nc;
		}
		cv = &out->v[out->n++];
		view_init(&c, cv, x);
		(x->env.mine ? c.by_ours : c.by_theirs)[item_index(&c.it, x)] = (uint32_t)(out->n - first);
		if ((rc = add_msg(n, &c.it, cv, x, cv->requester, c.rt, flags, e)) < 0)
			goto out;
	}
	for (size_t i = 0; i < c.it.n; i++) {
		struct item *x = &c.it.v[i];
		uint32_t k = case_of(&c, x);

		if (!k)
			continue;
		if ((rc = add_msg(n, &c.it, &out->v[first + k - 1], x, x->env.mine ? c.self : c.other,
				  c.rt, flags, e)) < 0)
			goto out;
	}
	for (size_t i = first; i < out->n; i++) {
		view_settle(&c, &out->v[i], now);
		if (bodies)
			subject_of(&out->v[i]);
	}
out:
	chan_close(&c);
	return rc;
}

/* The report's view of one settled case. */
static void report_case_of(const struct case_view *cv, struct report_case *r)
{
	memset(r, 0, sizeof(*r));
	r->requester = cv->requester;
	r->responder = cv->responder;
	r->type = cv->type;
	r->receipt = (int64_t)cv->receipt;
	r->state = cv->state;
	r->answer_due = cv->answer_due;
	r->overdue_ack = cv->overdue_ack;
	r->overdue_answer = cv->overdue_answer;
	for (size_t k = 0; k < cv->nmsgs; k++) {
		const struct case_msg *m = &cv->msgs[k];
		if (m->kind == ENVELOPE_REQUEST)
			r->opened = m->sent;
		if (!m->counted || m->from != cv->responder || !m->receipt) /* interned */
			continue;
		if ((m->kind == ENVELOPE_ACK || m->kind == ENVELOPE_ANSWER ||
		     m->kind == ENVELOPE_DECLINE) && !r->first_reply)
			r->first_reply = (int64_t)m->receipt;
		if (m->kind == ENVELOPE_ANSWER && !r->answered)
			r->answered = (int64_t)m->receipt;
	}
}

static void report_attested_of(const struct case_attested *a, struct report_case *r)
{
	memset(r, 0, sizeof(*r));
	r->requester = a->requester;
	r->responder = a->responder;
	r->type = a->rec.type;
	r->attested_by = a->by;
	r->opened = a->rec.date;
	r->state = a->rec.answered ? CASE_ANSWERED : CASE_SENT;
	r->answered = a->rec.answered_on;
}

/* Where report_peer sends each case: its report view to fn, or (a walk
 * of cases_each) the settled case itself to view, only those q lets
 * through, with its subject unless flags say CASES_NO_BODIES. */
struct report_sink {
	cases_report_fn fn;
	void *ctx;
	cases_view_fn view;
	const struct case_query *q;
	unsigned flags;
	/* The walk's cursor in the channel being read: only cases after
	 * (side, index) are read (side 0: ours). */
	int after_set, after_side;
	uint64_t after_index;
	int exact;  /* only the case of (after_side, after_index) itself */
};

/* Whether a walk's query lets cv through. */
static int query_admits(const struct case_query *q, const struct case_view *cv)
{
	if (q && q->state && strcmp(q->state, case_state_name(cv->state)) != 0)
		return 0;
	return !q || !q->overdue || cv->overdue_ack || cv->overdue_answer;
}

/* Hands cv (of the channel with peer; its request is entry cv->index of
 * log) to o->view if o's query lets it through, with its subject read
 * from the request's body unless o says CASES_NO_BODIES, cv has one, or
 * log is 0 (cv came with its bodies read). */
static int sink_view(struct node *n, const struct report_sink *o, const char *peer, int64_t log,
		     struct case_view *cv, struct err *e)
{
	const char *own = NULL;
	char *body;
	size_t len;
	int rc;

	if (!query_admits(o->q, cv))
		return 0;
	if (!(o->flags & CASES_NO_BODIES) && cv->subject == no_subject && log) {
		rc = log_body(n->store, log, cv->index, (void **)&body, &len, e);
		if (rc < 0 && rc != ERR_NOTFOUND)
			return rc;
		if (rc == 0) {
			own = cv->subject = subject_parse(body, len);
			free(body);
		}
	}
	rc = o->view(o->ctx, peer, cv, e);
	if (own && own != no_subject)
		free((char *)(uintptr_t)own);
	cv->subject = no_subject;
	return rc;
}

/* Whether the case of (side, index) comes after o's cursor. */
static int sink_after(const struct report_sink *o, int side, uint64_t index)
{
	if (o->exact)
		return side == o->after_side && index == o->after_index;
	return !o->after_set || side > o->after_side ||
	       (side == o->after_side && index > o->after_index);
}

/* The cases of a channel whose store holds no facts (one from before
 * them, opened read-only): through their views, as cases_load. */
static int report_views(struct node *n, const char *peer, int64_t now, struct case_list *l,
			const struct report_sink *o, struct err *e)
{
	size_t first = l->n, natt = l->natt, cap = l->n;
	struct report_case rc1;
	int rc;

	if ((rc = load_peer(n, peer, now, o->view ? o->flags : CASES_NO_BODIES, l, &cap,
			    e)) < 0)
		return rc;
	for (size_t i = first; i < l->n && rc == 0 && o->view; i++) {
		struct case_view *cv = &l->v[i];
		int side = strcmp(cv->requester, n->cfg.name) != 0;
		if (sink_after(o, side, cv->index))
			rc = sink_view(n, o, peer, 0, cv, e);
	}
	for (size_t i = first; i < l->n && rc == 0 && !o->view; i++) {
		report_case_of(&l->v[i], &rc1);
		rc = o->fn(o->ctx, &rc1, e);
	}
	for (size_t i = natt; i < l->natt && rc == 0 && !o->view; i++) {
		report_attested_of(&l->att[i], &rc1);
		rc = o->fn(o->ctx, &rc1, e);
	}
	return rc;
}

/* report_peer's walk over the cases of one log of a channel (side 0:
 * ours), from its case facts. */
struct cwalk {
	struct node *n;
	struct chan *c;
	const char *peer;
	struct case_list *l;
	const struct report_sink *o;
	int64_t now;
	int side;
	struct case_msg *msgs;
	size_t cap;
	int looked;                   /* last_t is charter_type(last_ch, last_type) */
	const struct charter *last_ch;
	const char *last_type;
	const struct charter_type *last_t;
	const char *type;             /* interned: the last case's type */
	char type_raw[ENVELOPE_TYPE_MAX + 1];
	struct err *e;
};

/* Keeps a charter or register entry (index of log ours or theirs) as an
 * item, for the charters agreed and the attested records. */
struct ikeep {
	struct chan *c;
	int mine;
	struct err *e;
};

static int item_keep(void *ctx, uint64_t index, const struct store_fact *f, const char *type)
{
	struct ikeep *k = ctx;
	struct items *it = &k->c->it;
	struct item *x;
	uint8_t h[32];
	int rc, t;

	if ((t = type_id(it, type)) < 0 || (rc = grow_kept(it, index, k->e)) < 0)
		return t < 0 ? t : rc;
	x = &it->v[it->n];
	memset(x, 0, sizeof(*x));
	x->env.time = f->time;
	x->env.case_index = f->case_index;
	x->env.type = (uint16_t)t;
	x->env.kind = f->kind;
	x->env.case_ours = f->side == (k->mine ? 0 : 1);
	x->env.mine = k->mine != 0;
	it->n++;
	if ((rc = envelope_hash(it->store, k->mine ? it->ours : it->theirs, index, h, k->e)) < 0)
		return rc;
	return body_set(it, x, h);
}

/* One case from the case facts: settled as load_peer settles it, then
 * handed to the sink. */
static int walk_case(void *ctx, const struct store_case_msg *m, size_t n)
{
	struct cwalk *w = ctx;
	const struct report_sink *o = w->o;
	struct chan *c = w->c;
	struct case_view cv;
	struct report_case rc1;
	const struct charter *ch;
	int rc;

	if (o->exact && m[0].index != o->after_index)
		return CASES_STOP; /* that entry is no request */
	if (n > w->cap) {
		struct case_msg *nb = realloc(w->msgs, n * sizeof(*nb));
		if (!nb)
			return err_set(w->e, ERR_NOMEM, "out of memory");
		w->msgs = nb;
		w->cap = n;
	}
	if (!w->type || strcmp(w->type_raw, m[0].type) != 0) { /* names are interned */
		snprintf(w->type_raw, sizeof(w->type_raw), "%s", m[0].type);
		if (!(w->type = intern(w->l, m[0].type)))
			return err_set(w->e, ERR_NOMEM, "out of memory");
	}
	memset(&cv, 0, sizeof(cv));
	cv.requester = w->side == 0 ? c->self : c->other;
	cv.responder = w->side == 0 ? c->other : c->self;
	cv.subject = no_subject;
	cv.index = m[0].index;
	cv.msgs = w->msgs;
	cv.type = w->type;
	for (size_t j = 0; j < n; j++) {
		struct case_msg *x = &w->msgs[cv.nmsgs++];
		int mine = (w->side == 0) != (m[j].rev != 0);
		memset(x, 0, sizeof(*x));
		x->from = mine ? c->self : c->other;
		x->index = m[j].index;
		x->kind = (enum envelope_kind)m[j].kind;
		x->sent = m[j].time;
		x->receipt = receipt_of(&c->rt[mine ? 0 : 1], m[j].index);
	}
	/* As view_settle, in one replay: the request is msgs[0], so the
	 * charter that applies is known. */
	ch = case_charter(c, w->msgs[0].receipt, w->msgs[0].sent);
	if (!w->looked || ch != w->last_ch || cv.type != w->last_type) {
		w->looked = 1;
		w->last_ch = ch;
		w->last_type = cv.type;
		w->last_t = ch ? charter_type(ch, cv.type) : NULL;
	}
	settle_by(&cv, w->last_t, w->now);
	if (o->view) {
		rc = sink_view(w->n, o, w->peer, w->side == 0 ? c->ours.id : c->theirs.id, &cv, w->e);
		return rc != 0 ? rc : o->exact ? CASES_STOP : 0;
	}
	report_case_of(&cv, &rc1);
	return o->fn(o->ctx, &rc1, w->e);
}

/* The report's input for the channel with peer, from the logs' case
 * facts (store_cases_scan): a few thousand cases at a time, each settled
 * in a reused buffer exactly as load_peer settles it and its report view
 * (or, for a walk, the case) handed to o, ours first, each log's in
 * index order; only the charter and register entries are kept as items.
 * A walk's cursor starts the read at its case. */
static int report_peer(struct node *n, const char *peer, int64_t now, struct case_list *l,
		       const struct report_sink *o, struct err *e)
{
	struct chan c;
	struct cwalk w;
	struct report_case rc1;
	size_t natt = l->natt;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(&w, 0, sizeof(w));
	c.it.e = e;
	c.it.self = n->cfg.name;
	c.it.store = n->store;
	if ((rc = channel_logs(n, peer, &c.ours, &c.theirs, e)) < 0)
		goto out;
	c.it.ours = c.ours.id;
	c.it.theirs = c.theirs.id;
	for (int k = 0; k < 2 && rc == 0; k++) {
		const struct store_log *lg = k == 0 ? &c.ours : &c.theirs;
		struct ikeep ik = { &c, k == 0, e };
		if (lg->id)
			rc = store_items_scan(n->store, lg->id, lg->size, item_keep, &ik, e);
	}
	if (rc == ERR_NOTFOUND) {
		chan_close(&c);
		return report_views(n, peer, now, l, o, e);
	}
	if (rc < 0 || (rc = chan_rest(n, peer, l, &c, e)) < 0)
		goto out;
	w = (struct cwalk){ .n = n, .c = &c, .peer = peer, .l = l, .o = o, .now = now, .e = e };
	for (int side = 0; side < 2 && rc == 0; side++) {
		const struct store_log *lg = side == 0 ? &c.ours : &c.theirs;
		const struct store_log *rv = side == 0 ? &c.theirs : &c.ours;
		uint64_t from = 0;
		if (!lg->id || (o->after_set && side < o->after_side) ||
		    (o->exact && side != o->after_side))
			continue;
		if (o->exact)
			from = o->after_index;
		else if (o->after_set && side == o->after_side)
			from = o->after_index + 1;
		w.side = side;
		rc = store_cases_scan(n->store, lg->id, lg->size, rv->id, rv->size, from, side == 1,
				      walk_case, &w, e);
	}
	for (size_t i = natt; i < l->natt && rc == 0 && !o->view; i++) {
		report_attested_of(&l->att[i], &rc1);
		rc = o->fn(o->ctx, &rc1, e);
	}
out:
	free(w.msgs);
	chan_close(&c);
	return rc;
}

struct each_peer {
	struct node *n;
	int64_t now;
	unsigned flags;
	struct case_list *out;
	size_t cap;
	const struct report_sink *ro;   /* cases_report_each */
	struct err *e;
};

static int load_each(void *ctx, const struct store_party *p)
{
	struct each_peer *ep = ctx;

	if (ep->ro)
		return report_peer(ep->n, p->name, ep->now, ep->out, ep->ro, ep->e);
	return load_peer(ep->n, p->name, ep->now, ep->flags, ep->out, &ep->cap, ep->e);
}

int cases_report_each(struct node *n, const char *peer, int64_t now, struct case_list *l,
		      cases_report_fn fn, void *ctx, struct err *e)
{
	struct report_sink sink = { .fn = fn, .ctx = ctx };
	struct each_peer ep = { n, now, 0, l, 0, &sink, e };
	int rc;

	memset(l, 0, sizeof(*l));
	rc = peer ? report_peer(n, peer, now, l, &sink, e) : store_party_each(n->store, load_each, &ep, e);
	if (rc < 0)
		case_list_free(l);
	return rc;
}

struct report_array {
	struct report_case *v;
	size_t n, cap;
};

static int report_append(void *ctx, const struct report_case *c, struct err *e)
{
	struct report_array *a = ctx;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct report_case *nv = realloc(a->v, cap * sizeof(*nv));
		if (!nv)
			return err_set(e, ERR_NOMEM, "out of memory");
		a->v = nv;
		a->cap = cap;
	}
	a->v[a->n++] = *c;
	return 0;
}

int cases_report_load(struct node *n, const char *peer, int64_t now, struct case_list *l,
		      struct report_case **out, size_t *nout, struct err *e)
{
	struct report_array a = { NULL, 0, 0 };
	int rc = cases_report_each(n, peer, now, l, report_append, &a, e);

	if (rc < 0) {
		free(a.v);
		a.v = NULL;
		a.n = 0;
	}
	*out = a.v;
	*nout = a.n;
	return rc;
}

/* A walk of cases_each: its sink, and where it is among the parties. */
struct walk {
	struct node *n;
	int64_t now;
	struct case_list l;             /* the names the views point to */
	struct report_sink sink;
	const char *start;              /* the cursor's peer, until reached */
	size_t left;                    /* cases still to pass (limit) */
	cases_view_fn fn;
	void *ctx;
	struct err *e;
};

static int walk_view(void *ctx, const char *peer, const struct case_view *cv, struct err *e)
{
	struct walk *w = ctx;
	int rc;

	if (w->left && --w->left == 0) {
		rc = w->fn(w->ctx, peer, cv, e);
		return rc ? rc : CASES_STOP;
	}
	return w->fn(w->ctx, peer, cv, e);
}

static int walk_peer(struct walk *w, const char *peer)
{
	if (w->start && strcmp(w->start, peer) != 0)
		return 0; /* before the cursor's peer */
	w->sink.after_set = w->start != NULL;
	w->start = NULL;
	return report_peer(w->n, peer, w->now, &w->l, &w->sink, w->e);
}

static int walk_each(void *ctx, const struct store_party *p)
{
	return walk_peer(ctx, p->name);
}

/* "PEER/REQUESTER/INDEX" -> the peer, and the case's side and index. */
static int cursor_parse(struct node *n, const char *s, char peer[ENVELOPE_NAME_MAX + 1],
			struct report_sink *o, struct err *e)
{
	const char *slash = strchr(s, '/');
	char req[ENVELOPE_NAME_MAX + 1];
	int rc;

	if (!slash || (size_t)(slash - s) > ENVELOPE_NAME_MAX ||
	    !envelope_name_valid(s, (size_t)(slash - s)) ||
	    case_id_parse(slash + 1, req, &o->after_index, e) < 0)
		return err_set(e, ERR_INVALID, "cursor '%.300s': expected PEER/REQUESTER/INDEX", s);
	memcpy(peer, s, (size_t)(slash - s));
	peer[slash - s] = '\0';
	if (strcmp(peer, n->cfg.name) == 0)
		return err_set(e, ERR_INVALID, "cursor '%.300s': %s is us, not a peer", s, peer);
	if (strcmp(req, n->cfg.name) != 0 && strcmp(req, peer) != 0)
		return err_set(e, ERR_INVALID, "cursor '%.300s': the requester is neither %s nor %s", s,
			       n->cfg.name, peer);
	o->after_side = strcmp(req, n->cfg.name) != 0;
	if ((rc = store_party_get(n->store, peer, &(struct store_party){ 0 }, e)) == ERR_NOTFOUND)
		return err_set(e, ERR_INVALID, "cursor '%.300s': no party %s", s, peer);
	return rc;
}

int cases_each(struct node *n, const struct case_query *q, int64_t now, unsigned flags,
	       cases_view_fn fn, void *ctx, struct err *e)
{
	static const struct case_query all;
	char start[ENVELOPE_NAME_MAX + 1];
	struct walk w;
	int rc;

	memset(&w, 0, sizeof(w));
	q = q ? q : &all;
	w.n = n;
	w.now = now;
	w.sink.view = walk_view;
	w.sink.ctx = &w;
	w.sink.q = q;
	w.sink.flags = flags;
	w.left = q->limit;
	w.fn = fn;
	w.ctx = ctx;
	w.e = e;
	if (q->state && case_state_parse(q->state) < 0)
		return err_set(e, ERR_INVALID, "no case state '%.64s' (%s)", q->state, CASE_STATE_NAMES);
	if (q->after) {
		if ((rc = cursor_parse(n, q->after, start, &w.sink, e)) < 0)
			return rc;
		if (q->peer && strcmp(q->peer, start) != 0)
			return err_set(e, ERR_INVALID, "cursor '%.300s' is of the cases with %s, not %s",
				       q->after, start, q->peer);
		w.start = start;
	}
	rc = q->peer ? walk_peer(&w, q->peer) : store_party_each(n->store, walk_each, &w, e);
	case_list_free(&w.l);
	return rc == CASES_STOP ? 0 : rc;
}

/* A copy of cv at the end of out (room: *cap), its names held by out,
 * without messages or subject. NULL: out of memory. */
static struct case_view *view_copy(struct case_list *out, size_t *cap, const struct case_view *cv)
{
	struct case_view *v;

	if (out->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct case_view *nv = realloc(out->v, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		out->v = nv;
		*cap = nc;
	}
	v = &out->v[out->n++];
	*v = *cv;
	v->msgs = NULL;
	v->nmsgs = 0;
	v->subject = no_subject;
	v->requester = intern(out, cv->requester);
	v->responder = intern(out, cv->responder);
	v->type = intern(out, cv->type);
	return v->requester && v->responder && v->type ? v : NULL;
}

/* cases_page's collection: the page so far, and the cursor of its last case. */
struct page {
	struct case_list *out;
	size_t cap, limit;
	char *next, last[CASE_CURSOR_MAX];
};

static int page_add(void *ctx, const char *peer, const struct case_view *cv, struct err *e)
{
	struct page *pg = ctx;
	struct case_view *v;

	if (pg->limit && pg->out->n == pg->limit) { /* one more: there is a next page */
		memcpy(pg->next, pg->last, sizeof(pg->last));
		return CASES_STOP;
	}
	if (!(v = view_copy(pg->out, &pg->cap, cv)) ||
	    !(v->subject = cv->subject == no_subject ? no_subject : strdup(cv->subject)))
		return err_set(e, ERR_NOMEM, "out of memory");
	snprintf(pg->last, sizeof(pg->last), "%s/%s/%" PRIu64, peer, cv->requester, cv->index);
	return 0;
}

int cases_page(struct node *n, const struct case_query *q, int64_t now, struct case_list *out,
	       char *next, struct err *e)
{
	struct page pg = { out, 0, q->limit, next, "" };
	struct case_query q1 = *q;
	int rc;

	memset(out, 0, sizeof(*out));
	next[0] = '\0';
	if (q->limit)
		q1.limit = q->limit + 1; /* to learn whether a next page exists */
	if ((rc = cases_each(n, &q1, now, 0, page_add, &pg, e)) < 0)
		case_list_free(out);
	return rc;
}

int cases_load(struct node *n, const char *peer, int64_t now, unsigned flags,
	       struct case_list *out, struct err *e)
{
	struct each_peer ep = { n, now, flags, out, 0, NULL, e };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = peer ? load_peer(n, peer, now, flags, out, &ep.cap, e)
		  : store_party_each(n->store, load_each, &ep, e);
	if (rc < 0)
		case_list_free(out);
	return rc;
}

/* cases_load_id's collection: the case, with its messages' bodies. */
struct one {
	struct node *n;
	unsigned flags;
	struct case_list *out;
	size_t cap;
};

static int one_add(void *ctx, const char *peer, const struct case_view *cv, struct err *e)
{
	struct one *o = ctx;
	struct store_log lg[2]; /* ours, theirs */
	struct case_view *v;
	int rc;

	if (!(v = view_copy(o->out, &o->cap, cv)) ||
	    !(v->msgs = calloc(cv->nmsgs ? cv->nmsgs : 1, sizeof(*v->msgs))))
		return err_set(e, ERR_NOMEM, "out of memory");
	if (!(o->flags & CASES_NO_BODIES) &&
	    ((rc = channel_logs(o->n, peer, &lg[0], &lg[1], e)) < 0))
		return rc;
	for (size_t k = 0; k < cv->nmsgs; k++) {
		const struct case_msg *m = &cv->msgs[k];
		struct case_msg *c = &v->msgs[k];
		int ours = strcmp(m->from, o->n->cfg.name) == 0;

		*c = *m;
		c->body = NULL;
		v->nmsgs = k + 1; /* c is out's from here on */
		if (!(c->from = intern(o->out, m->from)))
			return err_set(e, ERR_NOMEM, "out of memory");
		if (o->flags & CASES_NO_BODIES)
			continue;
		if ((rc = log_body(o->n->store, lg[ours ? 0 : 1].id, m->index, (void **)&c->body,
				   &c->body_len, e)) < 0 && rc != ERR_NOTFOUND)
			return rc;
	}
	if (!(o->flags & CASES_NO_BODIES))
		subject_of(v);
	return 0;
}

/* The case (side, index) of the channel with peer into o, if there is
 * one: a walk of one case, its window that one request. */
static int load_one(struct node *n, const char *peer, int side, uint64_t index, int64_t now,
		    struct one *o, struct err *e)
{
	struct case_list names;
	struct report_sink sink;
	int rc;

	memset(&names, 0, sizeof(names));
	memset(&sink, 0, sizeof(sink));
	sink.view = one_add;
	sink.ctx = o;
	sink.flags = CASES_NO_BODIES; /* one_add reads every message's */
	sink.after_set = sink.exact = 1;
	sink.after_side = side;
	sink.after_index = index;
	rc = report_peer(n, peer, now, &names, &sink, e);
	case_list_free(&names);
	return rc == CASES_STOP ? 0 : rc;
}

struct one_each {
	struct one *o;
	uint64_t index;
	int64_t now;
	struct err *e;
};

static int one_each(void *ctx, const struct store_party *p)
{
	struct one_each *x = ctx;

	return load_one(x->o->n, p->name, 0, x->index, x->now, x->o, x->e);
}

int cases_load_id(struct node *n, const char *id, int64_t now, unsigned flags,
		  struct case_list *out, struct err *e)
{
	char party[ENVELOPE_NAME_MAX + 1];
	struct one o = { n, flags, out, 0 };
	struct one_each x = { &o, 0, now, e };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = case_id_parse(id, party, &x.index, e)) < 0)
		return rc;
	rc = strcmp(party, n->cfg.name) != 0 ? load_one(n, party, 1, x.index, now, &o, e)
					     : store_party_each(n->store, one_each, &x, e);
	if (rc < 0)
		case_list_free(out);
	return rc;
}

int case_open(struct node *n, const char *peer, const char *type, const char *body,
	      size_t len, const struct store_blob *blobs, size_t nblobs, uint64_t *index,
	      struct err *e)
{
	struct channel_state st;
	const struct charter_type *t;
	struct node_msg m = { .kind = ENVELOPE_REQUEST, .type = type, .body = body,
			      .body_len = len, .attachments = blobs, .nattachments = nblobs };
	uint8_t refs[CHARTER_MAX_ATTACHMENTS][32];
	size_t nrefs;
	int rc;

	if ((rc = channel_state(n, peer, &st, e)) < 0)
		return rc;
	if (!st.charter) {
		rc = err_set(e, ERR_CONFLICT,
			     "no charter is in force with %s: one side proposes one (parley channel propose), the other accepts it (parley channel accept)%s",
			     peer, st.pending_ours ? "; ours awaits their acceptance"
				   : st.pending_theirs ? "; theirs awaits ours" : "");
		goto out;
	}
	if (!(t = charter_type(st.charter, type))) {
		rc = err_set(e, ERR_INVALID, "the charter with %s has no case type '%s'", peer, type);
		goto out;
	}
	if ((rc = charter_body_check(t, body, len, e)) < 0 ||
	    (rc = charter_body_attachments(body, len, refs, CHARTER_MAX_ATTACHMENTS, &nrefs, e)) < 0)
		goto out;
	if (nrefs != nblobs) {
		rc = err_set(e, ERR_INVALID, "the body names %zu attachments, %zu were given", nrefs, nblobs);
		goto out;
	}
	for (size_t i = 0; i < nblobs; i++) {
		uint8_t h[32];
		merkle_sha256(h, blobs[i].data, blobs[i].len);
		if (memcmp(h, refs[i], 32) != 0) {
			rc = err_set(e, ERR_INVALID, "attachment %zu does not match the hash its body names", i);
			goto out;
		}
	}
	rc = node_send(n, peer, &m, 1, index, e);
out:
	channel_state_free(&st);
	return rc;
}

/* A reply's body: {"text": "..."} with nothing else. */
static int reply_check(const char *body, size_t len, struct err *e)
{
	static const char *const keys[] = { "text", NULL };
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL), *t;
	int rc;

	if (!json_is_object(o)) {
		json_decref(o);
		return err_set(e, ERR_INVALID, "body: a JSON object {\"text\": ...} is expected");
	}
	rc = jsonu_only_keys(o, keys, "body", e);
	t = json_object_get(o, "text");
	if (rc == 0 && t && (!json_is_string(t) || json_string_length(t) > CHARTER_TEXT_MAX))
		rc = err_set(e, ERR_INVALID, "body.text: a string of at most %u bytes", CHARTER_TEXT_MAX);
	json_decref(o);
	return rc;
}

int case_act(struct node *n, const char *id, enum envelope_kind kind, const char *body,
	     size_t len, uint64_t *index, struct err *e)
{
	char party[ENVELOPE_NAME_MAX + 1];
	struct case_list l;
	struct case_view *cv = NULL;
	const char *why = NULL, *peer;
	uint64_t idx;
	int ev = case_event_of(kind), rc, matches = 0;

	if (ev < 0 || kind == ENVELOPE_REQUEST)
		return err_set(e, ERR_INVALID, "'%s' is not an action on a case", envelope_kind_name(kind));
	if ((rc = case_id_parse(id, party, &idx, e)) < 0 ||
	    (rc = reply_check(body, len, e)) < 0)
		return rc;
	if ((rc = cases_load_id(n, id, n->now(), CASES_NO_BODIES, &l, e)) < 0)
		return rc;
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.v[i].requester, party) == 0 && l.v[i].index == idx) {
			cv = &l.v[i];
			matches++;
		}
	if (!cv) {
		rc = err_set(e, ERR_NOTFOUND, "no case %s", id);
		goto out;
	}
	if (matches > 1) {
		rc = err_set(e, ERR_INVALID, "case %s is ambiguous: we opened one with each of several peers",
			     id);
		goto out;
	}
	{
		enum case_role r = strcmp(cv->requester, n->cfg.name) == 0 ? CASE_REQUESTER
									   : CASE_RESPONDER;
		struct node_msg m = { .kind = kind, .type = cv->type, .case_from = cv->requester,
				      .case_index = cv->index, .body = body, .body_len = len };

		if (case_step(cv->state, (enum case_event)ev, r, &why) < 0) {
			rc = err_set(e, ERR_CONFLICT, "cannot %s case %s (%s): %s",
				     envelope_kind_name(kind), id, case_state_name(cv->state), why);
			goto out;
		}
		peer = r == CASE_REQUESTER ? cv->responder : cv->requester;
		rc = node_send(n, peer, &m, 1, index, e);
	}
out:
	case_list_free(&l);
	return rc;
}

static void fmt_time(int64_t t, char out[21])
{
	struct err e;

	if (!t || envelope_time_format(t, out, &e) < 0)
		snprintf(out, 21, "-");
}

json_t *case_view_json(const struct case_view *cv, int timeline)
{
	char receipt[21], ack[21], ans[21], id[160];
	json_t *o, *arr;

	fmt_time((int64_t)cv->receipt, receipt);
	fmt_time(cv->ack_due, ack);
	fmt_time(cv->answer_due, ans);
	snprintf(id, sizeof(id), "%s/%" PRIu64, cv->requester, cv->index);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:b,s:b}",
		      "id", id, "requester", cv->requester, "responder", cv->responder, "type", cv->type,
		      "subject", cv->subject, "state", case_state_name(cv->state),
		      "receipt", cv->receipt ? receipt : NULL, "ack_due", cv->ack_due ? ack : NULL,
		      "answer_due", cv->answer_due ? ans : NULL,
		      "overdue_ack", cv->overdue_ack, "overdue_answer", cv->overdue_answer);
	if (!timeline)
		return o;
	arr = json_array();
	for (size_t i = 0; i < cv->nmsgs; i++) {
		const struct case_msg *m = &cv->msgs[i];
		char sent[21], rcpt[21];
		json_t *body = m->body ? json_loadb(m->body, m->body_len, 0, NULL) : NULL;

		fmt_time(m->sent, sent);
		fmt_time((int64_t)m->receipt, rcpt);
		json_array_append_new(arr, json_pack("{s:s,s:I,s:s,s:s,s:s?,s:b,s:o?}", "from", m->from,
			"index", (json_int_t)m->index, "kind", envelope_kind_name(m->kind),
			"sent", sent, "receipt", m->receipt ? rcpt : NULL, "counted", m->counted,
			"body", body));
	}
	json_object_set_new(o, "timeline", arr);
	return o;
}


char *case_request_body(const char *subject, const char *text, const char *tlp,
			json_t *fields, const char *const *names,
			const struct store_blob *blobs, size_t n, struct err *e)
{
	json_t *o = json_object();
	char *s;

	if (!subject) {
		json_decref(o);
		err_set(e, ERR_INVALID, "a subject is required");
		return NULL;
	}
	json_object_set_new(o, "subject", json_string(subject));
	if (text)
		json_object_set_new(o, "text", json_string(text));
	if (tlp)
		json_object_set_new(o, "tlp", json_string(tlp));
	json_object_set(o, "fields", fields ? fields : json_object());
	if (!fields)
		json_decref(json_object_get(o, "fields"));
	if (n) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			uint8_t h[32];
			char hex[65];
			const char *base = strrchr(names[i], '/');
			merkle_sha256(h, blobs[i].data, blobs[i].len);
			merkle_hex(hex, h);
			json_array_append_new(arr, json_pack("{s:s,s:s,s:I}", "name",
							     base ? base + 1 : names[i], "sha256", hex,
							     "size", (json_int_t)blobs[i].len));
		}
		json_object_set_new(o, "attachments", arr);
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!s)
		err_set(e, ERR_INVALID, "the subject, text or a field is not valid UTF-8");
	return s;
}

int cases_report_input(const struct case_list *l, struct report_case **out, struct err *e)
{
	struct report_case *rc = calloc(l->n + l->natt + 1, sizeof(*rc));

	if (!rc)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < l->n; i++)
		report_case_of(&l->v[i], &rc[i]);
	for (size_t i = 0; i < l->natt; i++)
		report_attested_of(&l->att[i], &rc[l->n + i]);
	*out = rc;
	return 0;
}

int cases_import_register(struct node *n, const char *peer, const struct register_rec *recs,
			  size_t count, uint64_t *first, struct err *e)
{
	struct node_msg *m;
	char **bodies;
	struct store_party p;
	int64_t now = n->now();
	int rc = 0;

	if (count == 0 || count > REGISTER_ROWS_MAX)
		return err_set(e, ERR_INVALID, "a register holds 1 to %d rows", REGISTER_ROWS_MAX);
	if ((rc = store_party_get(n->store, peer, &p, e)) < 0)
		return rc == ERR_NOTFOUND ? err_set(e, ERR_NOTFOUND, "no peer named '%s'", peer) : rc;
	m = calloc(count, sizeof(*m));
	bodies = calloc(count, sizeof(*bodies));
	for (size_t i = 0; m && bodies && i < count && rc == 0; i++) {
		if (recs[i].date > now || recs[i].answered_on > now) {
			char t[21];
			envelope_time_format(recs[i].answered_on > now ? recs[i].answered_on : recs[i].date, t, e);
			rc = err_set(e, ERR_INVALID, "register row %zu: %s is in the future", i + 2, t);
			break;
		}
		m[i].kind = ENVELOPE_REGISTER;
		m[i].type = recs[i].type;
		if (!(bodies[i] = register_body(&recs[i], &m[i].body_len, e)))
			rc = err_wrap(e, "register row %zu", i + 2);
		m[i].body = bodies[i];
	}
	if (!m || !bodies)
		rc = err_set(e, ERR_NOMEM, "out of memory");
	if (rc == 0)
		rc = node_send(n, peer, m, count, first, e);
	for (size_t i = 0; bodies && i < count; i++)
		free(bodies[i]);
	free(bodies);
	free(m);
	return rc;
}
