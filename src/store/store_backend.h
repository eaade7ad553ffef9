/* store_backend.h — what a store backend provides: primitive reads and
 * writes inside transactions. store.c builds the interface of store.h on
 * these; backends hold no Merkle logic. Internal to src/store/. */
#ifndef PARLEY_STORE_BACKEND_H
#define PARLEY_STORE_BACKEND_H

#include "store/store.h"


/* How many times a transaction (or a single statement outside one) that
 * lost to a concurrent one (ERR_RETRY) is run in all before the store
 * gives up with ERR_STORE; store_retry_pause waits between tries. */
#define STORE_TRIES 6
/* Sleeps before try number tries + 1: a random 5-10 ms doubled per try
 * (at most about 0.3 s in all), so that the two losers of a deadlock do
 * not meet again in step. */
void store_retry_pause(struct store *s, int tries);
/* The error after the last try: ERR_STORE, naming the tries and the last
 * reason. Returns ERR_STORE. */
int store_retry_give_up(struct err *e, int tries);

struct store_ops {
	void (*close)(struct store *s);
	/* A write transaction; for a log, begin_log also locks its head so
	 * that appends to one log are serialised. */
	int (*begin)(struct store *s, struct err *e);
	/* Begins a write transaction and reads the head of log origin,
	 * locked until commit or rollback: a concurrent begin_log on the
	 * same log (another process too) waits, then reads the size this
	 * transaction committed. ERR_NOTFOUND if there is no such log; the
	 * transaction stays open for log_create. */
	int (*begin_log)(struct store *s, const char *origin,
			 struct store_log *out, struct err *e);
	int (*commit)(struct store *s, struct err *e);
	void (*rollback)(struct store *s);

	int (*party_put)(struct store *s, const struct store_party *p,
			 struct err *e);
	/* name NULL: the self party. */
	int (*party_get)(struct store *s, const char *name,
			 struct store_party *p, struct err *e);

	int (*party_each)(struct store *s, store_party_fn fn, void *ctx,
			  struct err *e);
	int (*delivery_put)(struct store *s, const struct store_delivery *d,
			    struct err *e);
	int (*delivery_get)(struct store *s, const char *peer,
			    struct store_delivery *d, struct err *e);
	/* time: when the evidence was recorded (Unix seconds). */
	int (*evidence_add)(struct store *s, const char *origin, uint64_t size,
			    int64_t time, const char *reason, const char *note,
			    struct err *e);
	int (*evidence_each)(struct store *s, store_evidence_fn fn, void *ctx,
			     struct err *e);
	int (*operator_add)(struct store *s, const struct store_operator *op,
			    const uint8_t hash[static 32], struct err *e);
	int (*operator_by_token)(struct store *s, const uint8_t hash[static 32],
				 struct store_operator *op, struct err *e);
	int (*operator_revoke)(struct store *s, const char *name, struct err *e);
	int (*operator_each)(struct store *s, store_operator_fn fn, void *ctx, struct err *e);
	int (*audit_add)(struct store *s, int64_t time, const char *who, const char *action,
			 const char *outcome, struct err *e);
	/* The upsert of store.h on the lease row, the time the database's. */
	int (*lease_take)(struct store *s, const char *name, const char *holder,
			  int64_t ttl_ms, int *held, struct err *e);
	int (*lease_release)(struct store *s, const char *name, const char *holder,
			     struct err *e);
	/* Optional: hands back memory the connection keeps only to make
	 * later reads faster (SQLite's page cache). */
	void (*shrink)(struct store *s);
	/* Optional: a read transaction around several reads (store_read_begin). */
	int (*read_begin)(struct store *s, int *own, struct err *e);
	int (*read_end)(struct store *s, int own, struct err *e);
	int (*receipt_time)(struct store *s, int64_t log, uint64_t index,
			    const char *cosigner, uint64_t *time, struct err *e);
	int (*receipts_each)(struct store *s, int64_t log, const char *cosigner,
			     store_receipt_fn fn, void *ctx, struct err *e);
	int (*receipted)(struct store *s, int64_t log, const char *cosigner,
			 uint64_t *size, uint64_t *time, struct err *e);

	int (*log_get)(struct store *s, const char *origin,
		       struct store_log *out, struct err *e);
	/* Creates log (origin, sender, receiver) and sets log->id. If another
	 * process created it first, *log becomes that log (id and size; in a
	 * transaction, locked as by begin_log). */
	int (*log_create)(struct store *s, struct store_log *log,
			  struct err *e);
	int (*log_each)(struct store *s, store_log_fn fn, void *ctx,
			struct err *e);
	int (*log_set_size)(struct store *s, int64_t log, uint64_t size,
			    struct err *e);

	/* An entry with its leaf hash (the level-0 node). */
	/* body (as stored: sealed when the store has a key) may be NULL:
	 * the row then holds none. */
	int (*entry_put)(struct store *s, int64_t log, uint64_t index,
			 const uint8_t leaf[static 32], const char *env,
			 size_t len, const void *body, size_t body_len,
			 struct err *e);
	int (*entry_get)(struct store *s, int64_t log, uint64_t index,
			 char **buf, size_t *len, struct err *e);
	/* The body in entry index's row, as stored: ERR_NOTFOUND if there
	 * is no such entry or its row holds no body. */
	int (*entry_body)(struct store *s, int64_t log, uint64_t index,
			  void **buf, size_t *len, struct err *e);
	/* The entries of log from index from on, in index order. */
	int (*scan)(struct store *s, int64_t log, uint64_t from, store_entry_fn fn,
		    void *ctx, struct err *e);
	/* Facts (store_facts.c): one row per block of a log, as encoded
	 * there; fact_put replaces the row. fact_scan calls fn for the rows
	 * of log from block from on, in block order; non-zero from fn stops
	 * it. */
	int (*fact_put)(struct store *s, int64_t log, uint64_t block,
			const void *data, size_t len, struct err *e);
	int (*fact_get)(struct store *s, int64_t log, uint64_t block,
			void **data, size_t *len, struct err *e);
	int (*fact_scan)(struct store *s, int64_t log, uint64_t from,
			 int (*fn)(void *ctx, uint64_t block, const void *data, size_t len),
			 void *ctx, struct err *e);

	/* Case facts (store_cases.c): rows of a log by a key k (side, the
	 * block of requests, the block of entries they come from), as
	 * encoded there; case_put replaces the row. case_scan calls fn for
	 * the rows of log with from <= k < to, in k order; non-zero from fn
	 * stops it. */
	int (*case_put)(struct store *s, int64_t log, uint64_t k, const void *data, size_t len,
			struct err *e);
	int (*case_get)(struct store *s, int64_t log, uint64_t k, void **data, size_t *len,
			struct err *e);
	int (*case_scan)(struct store *s, int64_t log, uint64_t from, uint64_t to,
			 int (*fn)(void *ctx, uint64_t k, const void *data, size_t len),
			 void *ctx, struct err *e);

	/* Nodes of level >= 1. */
	int (*node_put)(struct store *s, int64_t log, struct merkle_id id,
			const uint8_t hash[static 32], struct err *e);
	/* Reads n nodes of any level (0: the entries' leaf hashes);
	 * ERR_NOTFOUND names the first missing one. */
	int (*nodes_get)(struct store *s, int64_t log,
			 const struct merkle_id *ids, size_t n,
			 uint8_t (*out)[32], struct err *e);

	int (*body_put)(struct store *s, const uint8_t hash[static 32],
			const void *data, size_t len, struct err *e);
	int (*body_get)(struct store *s, const uint8_t hash[static 32],
			void **buf, size_t *len, struct err *e);

	/* Finds the checkpoint of log at size: ERR_NOTFOUND if none. */
	int (*checkpoint_find)(struct store *s, int64_t log, uint64_t size,
			       struct store_checkpoint *c, struct err *e);
	int (*checkpoint_put)(struct store *s, int64_t log, uint64_t size,
			      const uint8_t root[static 32], const char *note,
			      size_t len, int64_t *id, struct err *e);
	int (*checkpoint_each)(struct store *s, int64_t log,
			       store_checkpoint_fn fn, void *ctx,
			       struct err *e);
	int (*checkpoint_latest)(struct store *s, int64_t log,
				 struct store_checkpoint *c, struct err *e);
	int (*cosig_put)(struct store *s, int64_t checkpoint,
			 const char *cosigner, uint64_t time, const char *line,
			 struct err *e);
	int (*cosig_each)(struct store *s, int64_t checkpoint,
			  store_cosig_fn fn, void *ctx, struct err *e);

	/* For store_copy: every attachment (and body kept by hash, from
	 * before schema version 4) as stored (sealed when the store has a
	 * key) by hash, and the operators' audit trail in order. */
	int (*body_each)(struct store *s, store_body_fn fn, void *ctx,
			 struct err *e);
	int (*audit_each)(struct store *s, store_audit_fn fn, void *ctx,
			  struct err *e);
};

/* A direct-mapped cache of complete nodes of level >= NODE_CACHE_LEVEL.
 * Complete nodes never change (store.h, invariant 2), so an entry can be
 * stale only if it was never right: entries are filled from committed
 * reads only (never while an append has written rows it may still roll
 * back: struct store's uncommitted). That holds across processes too: a
 * node another process committed is final, and one it rolled back was
 * never read here. The top of the tree is shared by every proof; caching
 * it leaves a proof with about NODE_CACHE_LEVEL reads. Fixed size: 6 MiB. */
#define NODE_CACHE_LEVEL 8
#define NODE_CACHE_SLOTS (1u << 17)

struct node_cache_slot {
	int64_t log;      /* 0: empty */
	uint64_t key;     /* level << 56 | index */
	uint8_t hash[32];
};

struct store {
	const struct store_ops *ops;
	uint64_t node_reads;  /* nodes read from the backend */
	uint64_t node_hits;   /* nodes served by the cache */
	uint64_t row_reads;   /* database rows the backend read for nodes */
	uint64_t retries;     /* tries run again after ERR_RETRY */
	struct node_cache_slot *cache;
	uint8_t key[32];      /* body sealing key, if has_key */
	int has_key;
	/* Nonces of the append being written (store.c, seal): a random base
	 * drawn at its first seal, then the base with a counter in its last
	 * 8 bytes; sealed is 0 at the start of every append. */
	uint8_t nonce[24];
	uint64_t sealed;
	int readonly;         /* opened on a read-only file system */
	int uncommitted;      /* an append has written: reads fill no cache */
	int facts_missing;    /* set by a backend that upgraded a store from
			       * before facts: store_open rebuilds them */
	int cases_missing;    /* the same for the case facts, from the facts */
	int no_cases;         /* a store from before case facts opened read-only:
			       * readers fall back, verify skips them */
	struct fact_block *facts; /* the block an append is writing */
	int64_t facts_log;
	int facts_skip;       /* that block's stored facts are lost */
	size_t facts_new;     /* the first entry of that block this append adds */
	/* An operator action staged by store_audit_stage: written ("ok") by
	 * the next append of entries, in its transaction. */
	struct {
		int64_t time;
		const char *who, *action;
		int staged, written;
	} audit;
};

/* store_facts.c: the facts an append writes, in its transaction. */
struct envelope;
int facts_begin(struct store *s, int64_t log, uint64_t size, struct err *e);
int facts_add(struct store *s, const struct envelope *env, struct err *e);
int facts_end(struct store *s, struct err *e);
/* Calls fn for every log in a write transaction holding its lock (no
 * append runs meanwhile), committed if fn returns 0. */
int logs_each_locked(struct store *s,
		     int (*fn)(struct store *s, const struct store_log *l, struct err *e),
		     struct err *e);
/* Rebuilds the facts of every log from its entries, a log at a time. */
int facts_rebuild_all(struct store *s, struct err *e);

/* store_cases.c: the case facts of block (STORE_FACT_BLOCK entries from
 * block * STORE_FACT_BLOCK) of log, whose facts are f[0..n-1] naming
 * types: written (check 0) or compared with the stored rows (check 1:
 * ERR_VERIFY if they differ). *rows (if not NULL) grows by the rows. */
int cases_block(struct store *s, int64_t log, uint64_t block, const struct store_fact *f,
		size_t n, const char *const *types, int check, uint64_t *rows, struct err *e);
/* Rebuilds the case facts of every log from its facts. */
int cases_rebuild_all(struct store *s, struct err *e);
/* ERR_VERIFY unless log has exactly rows rows of case facts. */
int cases_check_count(struct store *s, int64_t log, uint64_t rows, struct err *e);

int store_sqlite_open(struct store **out, const char *path, struct err *e);
/* url: a libpq connection URI, postgresql://... or postgres://... */
int store_pg_open(struct store **out, const char *url, struct err *e);

#endif
