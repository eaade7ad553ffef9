/* store.h — the store interface: parties, per-direction logs, entries,
 * Merkle nodes, bodies, checkpoints and cosignatures.
 *
 * Design note. A store holds any number of logs, each named by its origin
 * "parley/<sender>/<receiver>". Invariants, kept by store.c for every
 * backend:
 *   1. A log of size n holds entries 0..n-1, no gaps, each a canonical
 *      envelope whose from/to/index match the log and position.
 *   2. For every complete subtree of the log there is exactly one node
 *      (merkle.h); level 0 is the leaf hash of the entry. Nodes never change.
 *      The backend chooses the layout (SQLite: leaf hashes in the entry
 *      rows, levels 1-7 of each 256-leaf block in one tile row, levels >= 8
 *      a row each), and store.c caches nodes of level >= 8.
 *   3. A batch append is one transaction: entries, nodes, bodies and the new
 *      size become durable together or not at all.
 *   4. A checkpoint is stored only if its root equals the root the store
 *      computes for its size, so two checkpoints of one size never differ.
 *   5. Roots and proofs read O(log n) nodes; nothing walks all leaves except
 *      store_scan (used by verify).
 * The backend (store_sqlite.c, store_pg.c) supplies primitive operations
 * through struct store_ops; the logic above lives in store.c. Appends to
 * one log are serialised by the backend's lock on the log's head, held
 * for the whole append transaction, so several processes may append to
 * one store (PostgreSQL: several frontends on one database). An append
 * that loses to a concurrent transaction anyway (a deadlock over shared
 * bodies, a serialization failure) is rolled back whole and run again, a
 * bounded number of times. */
#ifndef PARLEY_STORE_H
#define PARLEY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/merkle.h"
#include "core/note.h"
#include "util/err.h"

#define STORE_ORIGIN_MAX CHECKPOINT_ORIGIN_MAX
#define STORE_NAME_MAX 128
#define STORE_VKEY_MAX 512
#define STORE_BODY_MAX (1u << 20) /* bytes in one body */

struct store;

#define STORE_PIN_MAX 63
#define STORE_ENDPOINT_MAX 255

struct store_party {
	char name[STORE_NAME_MAX + 1];
	char vkey[STORE_VKEY_MAX + 1]; /* signed-note verifier key string */
	char pin[STORE_PIN_MAX + 1];   /* TLS key pin "sha256//..." or "" */
	char endpoint[STORE_ENDPOINT_MAX + 1]; /* "https://host:port" or "" */
	int self;
};

/* Delivery state of our log to one peer, for parley peer list. */
struct store_delivery {
	char peer[STORE_NAME_MAX + 1];
	int64_t last_attempt; /* Unix seconds, 0: never */
	int64_t last_ok;
	uint64_t failures;    /* consecutive */
	char last_error[512];
};

/* A checkpoint a peer signed that contradicts what we hold: kept as
 * evidence, never as part of the log. */
struct store_evidence {
	char origin[STORE_ORIGIN_MAX + 1];
	uint64_t size;
	int64_t time;
	char reason[256];
	char *note; /* the peer's signed checkpoint; owned by the store for the call */
};

struct store_log {
	int64_t id;
	char origin[STORE_ORIGIN_MAX + 1];
	char sender[STORE_NAME_MAX + 1];
	char receiver[STORE_NAME_MAX + 1];
	uint64_t size;
};

/* One entry to append: its canonical envelope and, optionally, its body
 * (whose SHA-256 must equal the envelope's body hash). The body is stored
 * in the entry's row (sealed when the store has a key): appends write
 * rows in index order only, never at a random place of an index. */
struct store_entry {
	const char *envelope;
	size_t len;
	const void *body;
	size_t body_len;
};

struct store_checkpoint {
	int64_t id;
	int64_t log;
	uint64_t size;
	uint8_t root[32];
	char *note;  /* the signed note as received or made; owned by caller */
	size_t note_len;
};

struct store_cosig {
	int64_t checkpoint;
	char cosigner[STORE_NAME_MAX + 1];
	uint64_t time;
	char *line; /* the signature line, without "\n"; owned by caller */
};

/* Opens (creating if missing) the store at url: "sqlite:PATH", a bare
 * path, or a libpq URI "postgresql://..." (or "postgres://..."; the schema
 * is created in that database on first open). Returns 0 or ERR_INVALID /
 * ERR_STORE; *out is owned by the caller and closed with store_close. */
int store_open(struct store **out, const char *url, struct err *e);
void store_close(struct store *s);

/* Sets the key bodies are sealed with at rest (XChaCha20-Poly1305, the
 * body's SHA-256 as associated data); the store keeps a copy and wipes it
 * at close. Without a key bodies are stored as they are (tests, tools).
 * With one, store_body_get returns ERR_VERIFY for a body that does not
 * open (altered, or sealed under another key). */
void store_set_key(struct store *s, const uint8_t key[static 32]);

/* Since open: nodes read from the backend (cache misses), and the
 * database rows read to serve them (for benchmarks and tests). */
uint64_t store_node_reads(const struct store *s);
uint64_t store_row_reads(const struct store *s);
/* Since open: transactions (or single statements) run again because they
 * lost to a concurrent one (PostgreSQL: serialization failure, deadlock). */
uint64_t store_retries(const struct store *s);

int store_party_put(struct store *s, const struct store_party *p,
		    struct err *e);
/* Returns 0, or ERR_NOTFOUND. */
int store_party_get(struct store *s, const char *name, struct store_party *p,
		    struct err *e);
/* The party marked self. Returns 0 or ERR_NOTFOUND. */
int store_party_self(struct store *s, struct store_party *p, struct err *e);
/* Every party but self, by name. fn returning non-zero stops the walk. */
typedef int (*store_party_fn)(void *ctx, const struct store_party *p);
int store_party_each(struct store *s, store_party_fn fn, void *ctx,
		     struct err *e);

int store_delivery_put(struct store *s, const struct store_delivery *d,
		       struct err *e);
/* ERR_NOTFOUND if no attempt was ever recorded. */
int store_delivery_get(struct store *s, const char *peer,
		       struct store_delivery *d, struct err *e);

int store_evidence_add(struct store *s, const char *origin, uint64_t size,
		       const char *reason, const char *note, struct err *e);
typedef int (*store_evidence_fn)(void *ctx, const struct store_evidence *v);
int store_evidence_each(struct store *s, store_evidence_fn fn, void *ctx,
			struct err *e);

/* Local operators of the API. Only the SHA-256 of a token is stored. */
struct store_operator {
	char name[65];
	char role[16]; /* officer, supervisor, auditor */
	int64_t created;
	int revoked;
	uint8_t token_hash[32]; /* read back by listings (for store copy) */
};
/* ERR_EXISTS if the name is taken. */
int store_operator_add(struct store *s, const struct store_operator *op,
		       const uint8_t token_hash[static 32], struct err *e);
/* The operator holding a token (by its hash); ERR_NOTFOUND if none. */
int store_operator_by_token(struct store *s, const uint8_t token_hash[static 32],
			    struct store_operator *op, struct err *e);
/* ERR_NOTFOUND if no such operator. */
int store_operator_revoke(struct store *s, const char *name, struct err *e);
typedef int (*store_operator_fn)(void *ctx, const struct store_operator *op);
int store_operator_each(struct store *s, store_operator_fn fn, void *ctx, struct err *e);
/* Records who did what and when, and how it ended. */
int store_audit_add(struct store *s, int64_t time, const char *who, const char *action,
		    const char *outcome, struct err *e);
/* An operator action about to append: the next append of entries on
 * this handle records it, with outcome "ok", in the same transaction (one
 * commit for the change and its record, not two). store_audit_unstage
 * ends the staging and returns 1 if an append recorded it, else 0 (the
 * caller records the outcome itself). who and action must outlive the
 * staging. */
void store_audit_stage(struct store *s, int64_t time, const char *who, const char *action);
int store_audit_unstage(struct store *s);
/* The audit trail in the order it was recorded (parley operator audit).
 * fn returning non-zero stops the walk and is returned. */
typedef int (*store_audit_fn)(void *ctx, int64_t time, const char *who,
			      const char *action, const char *outcome);
int store_audit_each(struct store *s, store_audit_fn fn, void *ctx, struct err *e);

/* Leases: a named right that one holder at a time has until it expires,
 * kept in the store so that processes sharing it agree (parley serve
 * frontends on one database: one delivery worker per outgoing log; see
 * outbox.h). A lease is one row (name, holder, expires), taken or renewed
 * by one statement that succeeds only if the lease has expired or the
 * caller already holds it:
 *   INSERT ... ON CONFLICT (name) DO UPDATE SET holder = me, expires =
 *     now + ttl WHERE lease.expires < now OR lease.holder = me
 * "now" is the database's clock (milliseconds), so holders on machines
 * with different clocks still agree. A holder that dies simply stops
 * renewing: after ttl_ms another may take the lease. */
/* Takes or renews lease name for holder for ttl_ms: *held = 1 if holder
 * now holds it, 0 if another does. Returns 0 or a store error. */
int store_lease_take(struct store *s, const char *name, const char *holder,
		     int64_t ttl_ms, int *held, struct err *e);
/* Gives the lease up at once if holder holds it (a clean stop), so that
 * another need not wait for it to expire. */
int store_lease_release(struct store *s, const char *name, const char *holder,
			struct err *e);

/* The receipt time of entry index: the timestamp of cosigner's first
 * cosignature on a checkpoint that covers it. *time = 0 if none does. */
int store_receipt_time(struct store *s, int64_t log, uint64_t index,
		       const char *cosigner, uint64_t *time, struct err *e);
/* cosigner's cosignatures of log's checkpoints in size order: fn gets
 * each cosigned checkpoint's size and that cosignature's time (one read,
 * not a query per checkpoint). fn returning non-zero stops the walk and
 * is returned. */
typedef int (*store_receipt_fn)(void *ctx, uint64_t size, uint64_t time);
int store_receipts_each(struct store *s, int64_t log, const char *cosigner,
			store_receipt_fn fn, void *ctx, struct err *e);
/* The largest size of log that cosigner has cosigned (0 if none), and the
 * time of that cosignature. */
int store_receipted(struct store *s, int64_t log, const char *cosigner,
		    uint64_t *size, uint64_t *time, struct err *e);

/* Hands back memory the store keeps only to speed up later reads (after
 * a long scan whose pages will not be read again). */
void store_shrink(struct store *s);
/* Several reads as one snapshot and one lock, where the backend has them
 * (SQLite: a deferred transaction; the reads' WAL lock taken once).
 * *own says whether this call began it (not inside a transaction that is
 * open already); pass it to store_read_end. No write may come between. */
int store_read_begin(struct store *s, int *own, struct err *e);
int store_read_end(struct store *s, int own, struct err *e);
/* True if the store was opened on a read-only file system: reads work,
 * every write fails with ERR_READONLY. */
int store_readonly(const struct store *s);

/* Finds the log sender->receiver, creating it (size 0) when create is set
 * and both parties are known. Returns 0, ERR_NOTFOUND or ERR_INVALID. */
int store_log_get(struct store *s, const char *sender, const char *receiver,
		  int create, struct store_log *out, struct err *e);
/* Calls fn for every log, ordered by origin. fn returning non-zero stops
 * the walk and is returned. */
typedef int (*store_log_fn)(void *ctx, const struct store_log *log);
int store_log_each(struct store *s, store_log_fn fn, void *ctx, struct err *e);

/* A content-addressed blob (an attachment): stored once, by its SHA-256. */
struct store_blob {
	const void *data;
	size_t len;
};

#define STORE_BLOB_MAX (4u << 20) /* bytes in one attachment */

/* A batch: entries to append and, optionally, a signed checkpoint to store
 * with them and a cosignature on that checkpoint, all in one transaction. */
struct store_batch {
	const struct store_entry *entries;
	size_t n;
	const struct store_blob *blobs; /* attachments, stored with the entries */
	size_t nblobs;
	/* Optional (cp_note != NULL). cp_size must be within the log after
	 * the append and cp_root the log's root at that size. */
	uint64_t cp_size;
	const uint8_t *cp_root;
	const char *cp_note;
	size_t cp_note_len;
	/* Optional (cosig_line != NULL): a cosignature on that checkpoint. */
	const char *cosigner;
	uint64_t cosig_time;
	const char *cosig_line;
	/* Optional: a party record stored in the same transaction (a key
	 * change that the batch's key announcement makes). */
	const struct store_party *party;
	/* Set by store_copy only: the entries' bodies are as another store
	 * holds them (sealed under its key), stored as they are. */
	int bodies_as_stored;
};

struct store_appended {
	uint64_t size;     /* the log's size after the batch */
	uint8_t root[32];  /* and its root */
	int64_t checkpoint; /* row id of the stored checkpoint, or 0 */
};

/* Appends a batch to a log in one transaction, creating the log if it does
 * not exist yet (log->sender and ->receiver set). Each envelope must parse,
 * name the log's sender and receiver, and carry the next index. A
 * checkpoint whose size is already stored must have the same root (the
 * stored one is reused). On failure nothing is stored. Returns 0,
 * ERR_INVALID, ERR_TOOBIG, ERR_CONFLICT (wrong index: a gap or a replay;
 * a root that differs: a fork) or ERR_STORE / ERR_IO. */
int store_append(struct store *s, const struct store_log *log,
		 const struct store_batch *b, struct store_appended *out,
		 struct err *e);

/* The root of the log at size (<= its current size): O(log n) reads. */
int store_root(struct store *s, int64_t log, uint64_t size,
	       uint8_t root[static 32], struct err *e);
/* Inclusion proof of entry index in the log at size: writes up to
 * MERKLE_MAX_NODES hashes into proof and their number into *n. */
int store_inclusion_proof(struct store *s, int64_t log, uint64_t index,
			  uint64_t size, uint8_t (*proof)[32], size_t *n,
			  struct err *e);
int store_consistency_proof(struct store *s, int64_t log, uint64_t size1,
			    uint64_t size2, uint8_t (*proof)[32], size_t *n,
			    struct err *e);

/* Entry index of a log: *buf (malloc'd, caller frees) and *len. Returns 0
 * or ERR_NOTFOUND. */
int store_entry_get(struct store *s, int64_t log, uint64_t index, char **buf,
		    size_t *len, struct err *e);
/* One stored entry as a scan sees it; every pointer is the store's for
 * the call only. */
struct store_row {
	uint64_t index;       /* as stored: gaps are not skipped silently */
	const char *env;
	size_t len;
	const uint8_t *leaf;  /* the stored leaf hash, NULL if missing */
	const void *body;     /* the body as stored in the row (sealed when the
			       * store has a key), NULL if the row holds none */
	size_t body_len;
};
/* Calls fn for every stored entry of a log in index order. fn returning
 * non-zero stops the walk and is returned. */
typedef int (*store_entry_fn)(void *ctx, const struct store_row *r);
int store_scan(struct store *s, int64_t log, store_entry_fn fn, void *ctx,
	       struct err *e);
/* The body of the entry a scan handed as r, whose envelope names hash,
 * opened: *buf malloc'd (NUL-terminated). From the row, or, for a row
 * that holds none, by its hash. Errors as store_entry_body. */
int store_row_body(struct store *s, const struct store_row *r, const uint8_t hash[static 32],
		   void **buf, size_t *len, struct err *e);
/* Entries from index first of a log, in index order, each with its body
 * opened (*body malloc'd and handed to fn, which owns it from then on;
 * NULL if the store holds none): one range read, not two lookups per
 * entry. fn returning non-zero stops the read: a positive value is
 * returned as 0, a negative one as it is. Errors as store_entry_body. */
typedef int (*store_read_fn)(void *ctx, uint64_t index, const char *env, size_t len,
			     void *body, size_t body_len);
int store_read_from(struct store *s, int64_t log, uint64_t first, store_read_fn fn, void *ctx,
		    struct err *e);
/* The facts of a log: what reports and channel views need of an entry,
 * kept in blocks of STORE_FACT_BLOCK beside the entries (store_facts.c),
 * so that a report reads no envelope. side: the envelope's case_from is
 * its from (0) or its to (1); type indexes the block's types. */
#define STORE_FACT_BLOCK 256
struct store_fact {
	int64_t time;
	uint64_t case_index;
	uint8_t kind;  /* enum envelope_kind */
	uint8_t side;
	uint16_t type;
};
/* fn gets the facts of entries first..first+n-1 and the types they name;
 * non-zero stops the walk. */
typedef int (*store_facts_fn)(void *ctx, uint64_t first, const struct store_fact *f,
			      size_t n, const char *const *types, size_t ntypes);
/* The facts of entries 0..size-1 of a log, in order. ERR_NOTFOUND if the
 * store does not hold them all (a store from before facts, opened
 * read-only): read the entries instead. */
/* The same for entries from..size-1 only. */
int store_facts_scan_from(struct store *s, int64_t log, uint64_t from, uint64_t size,
			  store_facts_fn fn, void *ctx, struct err *e);
int store_facts_scan(struct store *s, int64_t log, uint64_t size, store_facts_fn fn,
		     void *ctx, struct err *e);
/* Compares every block of facts of a log with its entries, and its case
 * facts with them: 0 or ERR_VERIFY naming the first block that differs or
 * is missing. */
int store_facts_check(struct store *s, int64_t log, struct err *e);
/* The same check fed by a caller that reads the log's entries in order
 * itself (parley verify): begin, add each entry's parsed envelope, end
 * (which frees). add and end return 0 or ERR_VERIFY as above. */
struct store_facts_check;
struct envelope;
int store_facts_check_begin(struct store *s, int64_t log, struct store_facts_check **out,
			    struct err *e);
int store_facts_check_add(struct store_facts_check *c, const struct envelope *env);
int store_facts_check_end(struct store_facts_check *c);

/* The case facts of a log (store_cases.c): its facts again, grouped by
 * the request they name, written with them. store_cases_scan calls fn
 * for each case whose request is entry from or later of log req (entries
 * below req_size), in index order, with its messages m[0..n-1]: the
 * request, then the replies naming it among req's entries below req_size
 * and rev's below rev_size (rev: the channel's other direction, 0 if the
 * store holds none), req's first unless rev_first, each log's in index
 * order. type is the request's (NULL for a reply), valid during the call.
 * Non-zero from fn stops the walk and is returned. ERR_NOTFOUND: the
 * store holds no case facts (one from before them, opened read-only). */
struct store_case_msg {
	uint64_t index;
	int64_t time;
	const char *type;
	uint8_t kind;  /* enum envelope_kind */
	uint8_t rev;   /* an entry of rev */
};
typedef int (*store_case_fn)(void *ctx, const struct store_case_msg *m, size_t n);
int store_cases_scan(struct store *s, int64_t req, uint64_t req_size, int64_t rev,
		     uint64_t rev_size, uint64_t from, int rev_first, store_case_fn fn, void *ctx,
		     struct err *e);
/* The charter and register entries of a log below size, in index order,
 * each with its facts (f->type unset: type names it). Errors as above. */
typedef int (*store_item_fn)(void *ctx, uint64_t index, const struct store_fact *f,
			     const char *type);
int store_items_scan(struct store *s, int64_t log, uint64_t size, store_item_fn fn, void *ctx,
		     struct err *e);

/* One stored node, for verification; ERR_NOTFOUND if absent. */
int store_node_get(struct store *s, int64_t log, struct merkle_id id,
		   uint8_t hash[static 32], struct err *e);

/* An attachment by its hash (or the body of an entry appended before
 * schema version 4, which kept bodies by hash): *buf malloc'd. Returns 0,
 * ERR_NOTFOUND, or ERR_VERIFY for one that does not open. */
int store_body_get(struct store *s, const uint8_t hash[static 32], void **buf,
		   size_t *len, struct err *e);
/* The body of entry index of log, whose envelope names hash: *buf
 * malloc'd (NUL-terminated) and *len. From the entry's row, or, for an
 * entry whose row holds none (appended before schema version 4), by its
 * hash. Returns 0, ERR_NOTFOUND (no such entry, or its body is not held)
 * or ERR_VERIFY (it does not open under the store's key). */
int store_entry_body(struct store *s, int64_t log, uint64_t index,
		     const uint8_t hash[static 32], void **buf, size_t *len,
		     struct err *e);
/* Every attachment (and body of an entry from before schema version 4)
 * by increasing hash, as stored (sealed when the store has a key; data is
 * the store's for the call only). Bodies held in entry rows come with
 * the entries (store_scan). fn returning non-zero stops the walk and is
 * returned. */
typedef int (*store_body_fn)(void *ctx, const uint8_t hash[static 32],
			     const void *data, size_t len);
int store_body_each(struct store *s, store_body_fn fn, void *ctx, struct err *e);

/* Checkpoints of a log by increasing size; fn gets each (note owned by the
 * store for the call only). */
typedef int (*store_checkpoint_fn)(void *ctx, const struct store_checkpoint *c);
int store_checkpoint_each(struct store *s, int64_t log, store_checkpoint_fn fn,
			  void *ctx, struct err *e);
/* Latest (largest) checkpoint of a log: c->note malloc'd. ERR_NOTFOUND if
 * none. */
int store_checkpoint_latest(struct store *s, int64_t log,
			    struct store_checkpoint *c, struct err *e);
/* The checkpoint of a log at size: c->note malloc'd. ERR_NOTFOUND if none. */
int store_checkpoint_find(struct store *s, int64_t log, uint64_t size,
			  struct store_checkpoint *c, struct err *e);

/* Adds a cosignature line to a stored checkpoint (no-op if that cosigner
 * already cosigned it). */
int store_cosig_add(struct store *s, int64_t checkpoint, const char *cosigner,
		    uint64_t time, const char *line, struct err *e);
typedef int (*store_cosig_fn)(void *ctx, const struct store_cosig *c);
int store_cosig_each(struct store *s, int64_t checkpoint, store_cosig_fn fn,
		     void *ctx, struct err *e);

/* Copying a whole store (store_copy.c; parley store copy). progress, if
 * not NULL, hears what is being copied ("bodies" or a log's origin) and
 * how far: done of total (0: unknown). */
typedef void (*store_progress_fn)(void *ctx, const char *what, uint64_t done,
				  uint64_t total);

/* Copies everything from holds into to, which must hold no party and no
 * log: parties and their delivery state, operators, the audit trail,
 * evidence, bodies and attachments as stored (sealed ones stay sealed),
 * and every log with its checkpoints and cosignatures. Each log's entries
 * are appended in batches that rebuild its tree, each checkpoint with the
 * batch that reaches its size, so every checkpoint root is checked on the
 * way. from must not change meanwhile. Returns 0, ERR_EXISTS (to is not
 * empty), ERR_VERIFY or ERR_CONFLICT (from is inconsistent: a gap, a
 * checkpoint root that differs), or a store error; a failed copy leaves a
 * partial target, to be discarded. */
int store_copy(struct store *from, struct store *to, store_progress_fn progress,
	       void *ctx, struct err *e);

struct store_copy_stats {
	uint64_t parties, operators, bodies, logs, entries, checkpoints, cosigs;
};

/* Checks that b holds what a holds: the same parties, operators and
 * bodies (byte for byte), and for every log the same size, the same root
 * from its stored nodes and again from its envelopes rehashed, the same
 * checkpoints and cosignatures. Fills *st; returns 0, ERR_VERIFY naming
 * the first difference, or a store error. */
int store_compare(struct store *a, struct store *b, store_progress_fn progress,
		  void *ctx, struct store_copy_stats *st, struct err *e);

#endif
