/* store_sqlite.c — the embedded SQLite backend of the store (WAL,
 * synchronous=FULL: a commit is on disk before a receipt can be issued). */
#include "store/store_backend.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <sqlite3.h>

#define SCHEMA_VERSION 4
#ifndef PAGE_SIZE_STR
#define PAGE_SIZE_STR "16384"
#endif

/* The delivery leases (store.h: leases); expires is in milliseconds since
 * the Unix epoch. */
#define LEASE_TABLE \
	"CREATE TABLE IF NOT EXISTS lease(" \
	"  name TEXT PRIMARY KEY," \
	"  holder TEXT NOT NULL," \
	"  expires INTEGER NOT NULL" \
	");"
/* The database's clock in milliseconds since the Unix epoch. */
#define NOW_MS "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"

static const char schema[] =
	"CREATE TABLE party("
	"  name TEXT PRIMARY KEY,"
	"  vkey TEXT NOT NULL,"
	"  pin TEXT NOT NULL DEFAULT '',"
	"  endpoint TEXT NOT NULL DEFAULT '',"
	"  self INTEGER NOT NULL DEFAULT 0 CHECK (self IN (0, 1))"
	") WITHOUT ROWID;"
	"CREATE TABLE delivery("
	"  peer TEXT PRIMARY KEY REFERENCES party(name),"
	"  last_attempt INTEGER NOT NULL,"
	"  last_ok INTEGER NOT NULL,"
	"  failures INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE operator("
	"  name TEXT PRIMARY KEY,"
	"  role TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'auditor')),"
	"  token_hash BLOB NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL,"
	"  revoked INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID;"
	"CREATE TABLE audit("
	"  id INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  operator TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  outcome TEXT NOT NULL"
	");"
	"CREATE TABLE evidence("
	"  id INTEGER PRIMARY KEY,"
	"  origin TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  note TEXT NOT NULL,"
	"  UNIQUE (origin, note)"
	");"
	"CREATE UNIQUE INDEX party_one_self ON party(self) WHERE self = 1;"
	"CREATE TABLE log("
	"  id INTEGER PRIMARY KEY,"
	"  origin TEXT NOT NULL UNIQUE,"
	"  sender TEXT NOT NULL REFERENCES party(name),"
	"  receiver TEXT NOT NULL REFERENCES party(name),"
	"  size INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0)"
	");"
	/* Level-0 nodes (leaf hashes) live in the entry row: one row fewer
	 * per append. node holds the complete subtrees of level >= 1. So
	 * does the body (schema version 4; sealed, or NULL: none held), so
	 * that an append writes rows in index order only. */
	"CREATE TABLE entry("
	"  log INTEGER NOT NULL REFERENCES log(id),"
	"  idx INTEGER NOT NULL,"
	"  leaf BLOB NOT NULL,"
	"  envelope BLOB NOT NULL,"
	"  body BLOB,"
	"  PRIMARY KEY (log, idx)"
	") WITHOUT ROWID;"
	/* Levels 1..7 of each 256-leaf block are one tile row (see TILE_*
	 * below): a proof reads its low siblings in one row. node holds the
	 * complete subtrees of level >= 8. */
	"CREATE TABLE tile("
	"  id INTEGER PRIMARY KEY," /* log << 44 | block */
	"  hashes BLOB NOT NULL"
	");"
	"CREATE TABLE node("
	"  log INTEGER NOT NULL,"
	"  level INTEGER NOT NULL CHECK (level >= 8),"
	"  idx INTEGER NOT NULL,"
	"  hash BLOB NOT NULL,"
	"  PRIMARY KEY (log, level, idx)"
	") WITHOUT ROWID;"
	/* Attachments by their hash (and, in a store from before version
	 * 4, the entries' bodies too). */
	"CREATE TABLE body("
	"  hash BLOB PRIMARY KEY,"
	"  data BLOB NOT NULL"
	");"
	"CREATE TABLE checkpoint("
	"  id INTEGER PRIMARY KEY,"
	"  log INTEGER NOT NULL REFERENCES log(id),"
	"  size INTEGER NOT NULL,"
	"  root BLOB NOT NULL,"
	"  note TEXT NOT NULL,"
	"  UNIQUE (log, size)"
	");"
	"CREATE TABLE cosignature("
	"  checkpoint INTEGER NOT NULL REFERENCES checkpoint(id),"
	"  cosigner TEXT NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  line TEXT NOT NULL,"
	"  PRIMARY KEY (checkpoint, cosigner)"
	") WITHOUT ROWID;";

/* Version 2 adds the facts of each 256-entry block (store_facts.c) and
 * the delivery leases. */
static const char schema_v2[] =
	"CREATE TABLE fact("
	"  id INTEGER PRIMARY KEY," /* log << 44 | block */
	"  data BLOB NOT NULL"
	");"
	LEASE_TABLE;

/* Version 3 adds the facts again by the case they belong to
 * (store_cases.c), rebuilt from the facts when a store is upgraded. */
static const char schema_v3[] =
	"CREATE TABLE casefact("
	"  log INTEGER NOT NULL,"
	"  k INTEGER NOT NULL,"
	"  data BLOB NOT NULL,"
	"  PRIMARY KEY (log, k)"
	") WITHOUT ROWID;";

/* Version 4 keeps each entry's body in its row (the schema above); a
 * store upgraded from before keeps the bodies it held in the body table,
 * where store_entry_body finds them by hash. */
static const char schema_v4[] = "ALTER TABLE entry ADD COLUMN body BLOB;";

enum {
	Q_PARTY_PUT, Q_PARTY_GET, Q_PARTY_SELF, Q_PARTY_EACH,
	Q_DELIVERY_PUT, Q_DELIVERY_GET, Q_EVIDENCE_ADD, Q_EVIDENCE_EACH, Q_RECEIPTED, Q_RECEIPT_TIME,
	Q_OP_ADD, Q_OP_TOKEN, Q_OP_REVOKE, Q_OP_EACH, Q_AUDIT_ADD,
	Q_LOG_GET, Q_LOG_CREATE, Q_LOG_EACH, Q_LOG_SIZE,
	Q_ENTRY_PUT, Q_ENTRY_GET, Q_ENTRY_BODY,
	Q_NODE_PUT, Q_NODE_GET, Q_LEAF_GET, Q_TILE_PUT, Q_TILE_GET,
	Q_BODY_PUT, Q_BODY_GET,
	Q_CP_FIND, Q_CP_PUT, Q_CP_EACH, Q_CP_LATEST,
	Q_COSIG_PUT, Q_COSIG_EACH,
	Q_READ_BEGIN, Q_READ_END,
	Q_BODY_EACH, Q_AUDIT_EACH,
	Q_FACT_PUT, Q_FACT_GET, Q_FACT_SCAN,
	Q_CASE_PUT, Q_CASE_GET, Q_CASE_SCAN,
	Q_LEASE_TAKE, Q_LEASE_RELEASE,
	Q_COUNT
};

static const char *const sql[Q_COUNT] = {
	[Q_PARTY_PUT] = "INSERT INTO party(name, vkey, pin, endpoint, self) VALUES (?1, ?2, ?4, ?5, ?3)"
			" ON CONFLICT(name) DO UPDATE SET vkey = ?2, pin = ?4, endpoint = ?5",
	[Q_PARTY_GET] = "SELECT name, vkey, self, pin, endpoint FROM party WHERE name = ?1",
	[Q_PARTY_SELF] = "SELECT name, vkey, self, pin, endpoint FROM party WHERE self = 1",
	[Q_PARTY_EACH] = "SELECT name, vkey, self, pin, endpoint FROM party WHERE self = 0 ORDER BY name",
	[Q_DELIVERY_PUT] = "INSERT OR REPLACE INTO delivery(peer, last_attempt, last_ok, failures, last_error)"
			   " VALUES (?1, ?2, ?3, ?4, ?5)",
	[Q_DELIVERY_GET] = "SELECT peer, last_attempt, last_ok, failures, last_error FROM delivery WHERE peer = ?1",
	[Q_EVIDENCE_ADD] = "INSERT INTO evidence(origin, size, time, reason, note)"
			   " VALUES (?1, ?2, ?5, ?3, ?4) ON CONFLICT DO NOTHING",
	[Q_EVIDENCE_EACH] = "SELECT origin, size, time, reason, note FROM evidence ORDER BY id",
	[Q_OP_ADD] = "INSERT INTO operator(name, role, token_hash, created) VALUES (?1, ?2, ?3, ?4)",
	[Q_OP_TOKEN] = "SELECT name, role, created, revoked, token_hash FROM operator WHERE token_hash = ?1",
	[Q_OP_REVOKE] = "UPDATE operator SET revoked = 1 WHERE name = ?1",
	[Q_OP_EACH] = "SELECT name, role, created, revoked, token_hash FROM operator ORDER BY name",
	[Q_AUDIT_ADD] = "INSERT INTO audit(time, operator, action, outcome) VALUES (?1, ?2, ?3, ?4)",
	[Q_RECEIPT_TIME] = "SELECT min(s.time) FROM checkpoint c JOIN cosignature s ON s.checkpoint = c.id"
			   " WHERE c.log = ?1 AND c.size > ?2 AND s.cosigner = ?3",
	[Q_RECEIPTED] = "SELECT c.size, s.time FROM checkpoint c JOIN cosignature s ON s.checkpoint = c.id"
			" WHERE c.log = ?1 AND s.cosigner = ?2 ORDER BY c.size DESC LIMIT 1",
	[Q_LOG_GET] = "SELECT id, origin, sender, receiver, size FROM log WHERE origin = ?1",
	[Q_LOG_CREATE] = "INSERT INTO log(origin, sender, receiver) VALUES (?1, ?2, ?3)",
	[Q_LOG_EACH] = "SELECT id, origin, sender, receiver, size FROM log ORDER BY origin",
	[Q_LOG_SIZE] = "UPDATE log SET size = ?2 WHERE id = ?1",
	[Q_ENTRY_PUT] = "INSERT INTO entry(log, idx, leaf, envelope, body) VALUES (?1, ?2, ?3, ?4, ?5)",
	[Q_ENTRY_GET] = "SELECT envelope FROM entry WHERE log = ?1 AND idx = ?2",
	[Q_ENTRY_BODY] = "SELECT body FROM entry WHERE log = ?1 AND idx = ?2 AND body IS NOT NULL",
	[Q_NODE_PUT] = "INSERT INTO node(log, level, idx, hash) VALUES (?1, ?2, ?3, ?4)",
	[Q_NODE_GET] = "SELECT hash FROM node WHERE log = ?1 AND level = ?2 AND idx = ?3",
	[Q_LEAF_GET] = "SELECT leaf FROM entry WHERE log = ?1 AND idx = ?3 AND ?2 = 0",
	[Q_TILE_PUT] = "INSERT OR REPLACE INTO tile(id, hashes) VALUES (?1, ?2)",
	[Q_TILE_GET] = "SELECT hashes FROM tile WHERE id = ?1",
	[Q_FACT_PUT] = "INSERT OR REPLACE INTO fact(id, data) VALUES (?1, ?2)",
	[Q_FACT_GET] = "SELECT data FROM fact WHERE id = ?1",
	[Q_FACT_SCAN] = "SELECT id, data FROM fact WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
	[Q_CASE_PUT] = "INSERT OR REPLACE INTO casefact(log, k, data) VALUES (?1, ?2, ?3)",
	[Q_CASE_GET] = "SELECT data FROM casefact WHERE log = ?1 AND k = ?2",
	[Q_CASE_SCAN] = "SELECT k, data FROM casefact WHERE log = ?1 AND k >= ?2 AND k < ?3 ORDER BY k",
	[Q_BODY_PUT] = "INSERT INTO body(hash, data) VALUES (?1, ?2) ON CONFLICT(hash) DO NOTHING",
	[Q_BODY_GET] = "SELECT data FROM body WHERE hash = ?1",
	[Q_CP_FIND] = "SELECT id, log, size, root, note FROM checkpoint WHERE log = ?1 AND size = ?2",
	[Q_CP_PUT] = "INSERT INTO checkpoint(log, size, root, note) VALUES (?1, ?2, ?3, ?4)",
	[Q_CP_EACH] = "SELECT id, log, size, root, note FROM checkpoint WHERE log = ?1 ORDER BY size",
	[Q_CP_LATEST] = "SELECT id, log, size, root, note FROM checkpoint WHERE log = ?1"
			" ORDER BY size DESC LIMIT 1",
	[Q_COSIG_PUT] = "INSERT INTO cosignature(checkpoint, cosigner, time, line)"
			" VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
	[Q_COSIG_EACH] = "SELECT checkpoint, cosigner, time, line FROM cosignature"
			 " WHERE checkpoint = ?1 ORDER BY cosigner",
	[Q_READ_BEGIN] = "BEGIN",
	[Q_READ_END] = "COMMIT",
	[Q_BODY_EACH] = "SELECT hash, data FROM body ORDER BY hash",
	[Q_AUDIT_EACH] = "SELECT time, operator, action, outcome FROM audit ORDER BY id",
	[Q_LEASE_TAKE] = "INSERT INTO lease(name, holder, expires) VALUES (?1, ?2, " NOW_MS " + ?3)"
			 " ON CONFLICT(name) DO UPDATE SET holder = ?2, expires = " NOW_MS " + ?3"
			 " WHERE lease.expires < " NOW_MS " OR lease.holder = ?2",
	[Q_LEASE_RELEASE] = "UPDATE lease SET expires = 0 WHERE name = ?1 AND holder = ?2",
};

/* A tile: a presence bitmap, then the hashes of levels 1..7 of one
 * 256-leaf block, level by level (128, 64, ..., 2 hashes: 254 slots). */
#define TILE_LEVELS 7
#define TILE_SLOTS 254
#define TILE_MAP 32
#define TILE_BYTES (TILE_MAP + TILE_SLOTS * 32)

struct tile {
	int64_t id; /* 0: none */
	uint8_t b[TILE_BYTES];
};

struct sqlite_store {
	struct store base; /* first: a struct store * is a struct sqlite_store * */
	sqlite3 *db;
	char *path;
	sqlite3_stmt *q[Q_COUNT];
	/* The tile being written in the open transaction: node_put fills it,
	 * reads see it, commit writes it, rollback drops it. */
	struct tile pend;
	int pend_dirty;
	/* The last tile read, reused within one nodes_get call only: another
	 * connection may add nodes to a partial tile between calls. */
	struct tile last;
	/* cosig_each runs once per checkpoint (receipt tables read thousands):
	 * its statement is kept, unless a callback re-enters it. */
	sqlite3_stmt *cosig_st;
	int cosig_busy;
	int no_facts; /* a version 1 store opened read-only: no fact or lease table */
	int no_body;  /* a store from before version 4 opened read-only: no body column */
	int writing;  /* holds the process's writer lock (BEGIN IMMEDIATE to end) */
};

/* The process's writer lock. SQLite lets one connection write at a time
 * and makes the others wait in its busy handler, which sleeps 1, 2, 5,
 * 10... ms between tries: the operator API, the delivery threads and the
 * peer API of one parley serve, each on its own connection, lost
 * milliseconds per case to those sleeps. Writers of one process queue on
 * this lock instead and wake the moment it is free; other processes on
 * the same file still meet the busy handler. Recursive: a thread may hold
 * it while it writes on a second store (store copy). */
static pthread_mutex_t writer_mu;
static pthread_once_t writer_once = PTHREAD_ONCE_INIT;

static void writer_init(void)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&writer_mu, &a);
	pthread_mutexattr_destroy(&a);
}

static void writer_lock(void)
{
	pthread_once(&writer_once, writer_init);
	pthread_mutex_lock(&writer_mu);
}

static void writer_unlock(void)
{
	pthread_mutex_unlock(&writer_mu);
}

static struct sqlite_store *S(struct store *s)
{
	return (struct sqlite_store *)s;
}

static int db_err(struct sqlite_store *s, struct err *e, const char *what)
{
	int code = sqlite3_extended_errcode(s->db) & 0xff;

	if (code == SQLITE_FULL)
		return err_set(e, ERR_FULL, "%s: %s: the disk or the database is full; nothing was written",
			       s->path, what);
	if (code == SQLITE_READONLY)
		return err_set(e, ERR_READONLY, "%s: %s: the store is read-only (%s); nothing was written",
			       s->path, what, sqlite3_errmsg(s->db));
	return err_set(e, ERR_STORE, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* Resets and returns prepared statement i. */
static sqlite3_stmt *q(struct sqlite_store *s, int i)
{
	sqlite3_reset(s->q[i]);
	sqlite3_clear_bindings(s->q[i]);
	return s->q[i];
}

/* Runs a statement that returns no rows. */
static int run(struct sqlite_store *s, sqlite3_stmt *st, struct err *e,
	       const char *what)
{
	/* A write outside a transaction takes the writer lock for itself. */
	int lock = !s->writing && !sqlite3_stmt_readonly(st);
	int rc;

	if (lock)
		writer_lock();
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (lock)
		writer_unlock();
	if (rc != SQLITE_DONE)
		return db_err(s, e, what);
	return 0;
}

static int exec(struct sqlite_store *s, const char *text, struct err *e)
{
	if (sqlite3_exec(s->db, text, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(s, e, text);
	return 0;
}

static void copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, t ? (const char *)t : "", n);
	dst[n] = '\0';
}

static int dup_blob(sqlite3_stmt *st, int col, void **buf, size_t *len,
		    struct err *e);

static void sq_close(struct store *base)
{
	struct sqlite_store *s = S(base);

	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->q[i]);
	sqlite3_finalize(s->cosig_st);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

static int sq_begin(struct store *base, struct err *e)
{
	struct sqlite_store *s = S(base);
	int rc;

	writer_lock();
	if ((rc = exec(s, "BEGIN IMMEDIATE", e)) < 0)
		writer_unlock();
	else
		s->writing = 1;
	return rc;
}

/* The transaction ended (committed or rolled back): the lock goes. */
static void end_writing(struct sqlite_store *s)
{
	if (s->writing && sqlite3_get_autocommit(s->db)) {
		s->writing = 0;
		writer_unlock();
	}
}

static int sq_log_get(struct store *base, const char *origin,
		      struct store_log *out, struct err *e);

/* BEGIN IMMEDIATE takes the database's write lock: that serialises
 * appends to every log, this one included. */
static int sq_begin_log(struct store *base, const char *origin,
			struct store_log *out, struct err *e)
{
	int rc;

	if ((rc = sq_begin(base, e)) < 0)
		return rc;
	return sq_log_get(base, origin, out, e);
}

static int tile_flush(struct sqlite_store *s, struct err *e);

static int sq_commit(struct store *base, struct err *e)
{
	struct sqlite_store *s = S(base);
	int rc;

	if ((rc = tile_flush(s, e)) < 0)
		return rc;
	s->pend.id = 0;
	s->last.id = 0; /* may be older than what was just written */
	rc = exec(s, "COMMIT", e);
	end_writing(s); /* a failed COMMIT leaves it open: rollback ends it */
	return rc;
}

static void sq_rollback(struct store *base)
{
	struct sqlite_store *s = S(base);

	s->pend.id = 0;
	s->pend_dirty = 0;
	s->last.id = 0;

	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	end_writing(s);
}

static int sq_party_put(struct store *base, const struct store_party *p,
			struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_PARTY_PUT);

	sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->vkey, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, p->self ? 1 : 0);
	sqlite3_bind_text(st, 4, p->pin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, p->endpoint, -1, SQLITE_STATIC);
	return run(s, st, e, "storing a party");
}

static void party_row(sqlite3_stmt *st, struct store_party *p)
{
	copy_text(p->name, sizeof(p->name), st, 0);
	copy_text(p->vkey, sizeof(p->vkey), st, 1);
	p->self = sqlite3_column_int(st, 2);
	copy_text(p->pin, sizeof(p->pin), st, 3);
	copy_text(p->endpoint, sizeof(p->endpoint), st, 4);
}

static int sq_party_each(struct store *base, store_party_fn fn, void *ctx,
			 struct err *e)
{
	struct sqlite_store *s = S(base);
	struct store_party p;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(s->db, sql[Q_PARTY_EACH], -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "listing parties");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		party_row(st, &p);
		if ((n = fn(ctx, &p)) != 0)
			break;
	}
	if (n == 0 && rc != SQLITE_DONE)
		n = db_err(s, e, "listing parties");
	sqlite3_finalize(st);
	return n;
}

static int sq_delivery_put(struct store *base, const struct store_delivery *d,
			   struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_DELIVERY_PUT);

	sqlite3_bind_text(st, 1, d->peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, d->last_attempt);
	sqlite3_bind_int64(st, 3, d->last_ok);
	sqlite3_bind_int64(st, 4, (int64_t)d->failures);
	sqlite3_bind_text(st, 5, d->last_error, -1, SQLITE_STATIC);
	return run(s, st, e, "storing delivery state");
}

static int sq_delivery_get(struct store *base, const char *peer,
			   struct store_delivery *d, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_DELIVERY_GET);
	int rc;

	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_text(d->peer, sizeof(d->peer), st, 0);
		d->last_attempt = sqlite3_column_int64(st, 1);
		d->last_ok = sqlite3_column_int64(st, 2);
		d->failures = (uint64_t)sqlite3_column_int64(st, 3);
		copy_text(d->last_error, sizeof(d->last_error), st, 4);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return db_err(s, e, "reading delivery state");
	return err_set(e, ERR_NOTFOUND, "no delivery attempt to %s yet", peer);
}

static int sq_evidence_add(struct store *base, const char *origin, uint64_t size,
			   int64_t time, const char *reason, const char *note,
			   struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_EVIDENCE_ADD);

	sqlite3_bind_int64(st, 5, time);
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)size);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, note, -1, SQLITE_STATIC);
	return run(s, st, e, "storing evidence");
}

static int sq_evidence_each(struct store *base, store_evidence_fn fn, void *ctx,
			    struct err *e)
{
	struct sqlite_store *s = S(base);
	struct store_evidence v;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(s->db, sql[Q_EVIDENCE_EACH], -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "listing evidence");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t len;

		copy_text(v.origin, sizeof(v.origin), st, 0);
		v.size = (uint64_t)sqlite3_column_int64(st, 1);
		v.time = sqlite3_column_int64(st, 2);
		copy_text(v.reason, sizeof(v.reason), st, 3);
		if ((n = dup_blob(st, 4, (void **)&v.note, &len, e)) < 0)
			break;
		n = fn(ctx, &v);
		free(v.note);
		if (n != 0)
			break;
	}
	if (n == 0 && rc != SQLITE_DONE)
		n = db_err(s, e, "listing evidence");
	sqlite3_finalize(st);
	return n;
}

static int sq_operator_add(struct store *base, const struct store_operator *op,
			   const uint8_t hash[static 32], struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_OP_ADD);
	int rc;

	sqlite3_bind_text(st, 1, op->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, op->role, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, op->created);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT)
		return err_set(e, ERR_EXISTS, "an operator named '%s' exists already", op->name);
	if (rc != SQLITE_DONE)
		return db_err(s, e, "adding an operator");
	return 0;
}

static void op_row(sqlite3_stmt *st, struct store_operator *op)
{
	copy_text(op->name, sizeof(op->name), st, 0);
	copy_text(op->role, sizeof(op->role), st, 1);
	op->created = sqlite3_column_int64(st, 2);
	op->revoked = sqlite3_column_int(st, 3);
	memset(op->token_hash, 0, 32);
	if (sqlite3_column_bytes(st, 4) == 32)
		memcpy(op->token_hash, sqlite3_column_blob(st, 4), 32);
}

static int sq_operator_by_token(struct store *base, const uint8_t hash[static 32],
				struct store_operator *op, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_OP_TOKEN);
	int rc;

	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		op_row(st, op);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return db_err(s, e, "reading operators");
	return err_set(e, ERR_NOTFOUND, "no operator has that token");
}

static int sq_operator_revoke(struct store *base, const char *name, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_OP_REVOKE);
	int rc;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = run(s, st, e, "revoking an operator")) < 0)
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return err_set(e, ERR_NOTFOUND, "no operator named '%s'", name);
	return 0;
}

static int sq_operator_each(struct store *base, store_operator_fn fn, void *ctx,
			    struct err *e)
{
	struct sqlite_store *s = S(base);
	struct store_operator op;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(s->db, sql[Q_OP_EACH], -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "listing operators");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		op_row(st, &op);
		if ((n = fn(ctx, &op)) != 0)
			break;
	}
	if (n == 0 && rc != SQLITE_DONE)
		n = db_err(s, e, "listing operators");
	sqlite3_finalize(st);
	return n;
}

static int sq_lease_take(struct store *base, const char *name, const char *holder,
			 int64_t ttl_ms, int *held, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	int rc;

	if (s->no_facts)
		return err_set(e, ERR_READONLY, "%s: the store is read-only", s->path);
	st = q(s, Q_LEASE_TAKE);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, holder, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ttl_ms);
	if ((rc = run(s, st, e, "taking a lease")) < 0)
		return rc;
	*held = sqlite3_changes(s->db) == 1;
	return 0;
}

static int sq_lease_release(struct store *base, const char *name, const char *holder,
			    struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;

	if (s->no_facts)
		return 0;
	st = q(s, Q_LEASE_RELEASE);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, holder, -1, SQLITE_STATIC);
	return run(s, st, e, "releasing a lease");
}

static int sq_audit_add(struct store *base, int64_t time, const char *who, const char *action,
			const char *outcome, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_AUDIT_ADD);

	sqlite3_bind_int64(st, 1, time);
	sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, outcome, -1, SQLITE_STATIC);
	return run(s, st, e, "recording an operator action");
}

static int sq_receipt_time(struct store *base, int64_t log, uint64_t index,
			   const char *cosigner, uint64_t *time, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_RECEIPT_TIME);
	int rc;

	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)index);
	sqlite3_bind_text(st, 3, cosigner, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*time = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(s, e, "reading receipt times");
	return 0;
}

static int sq_receipts_each(struct store *base, int64_t log, const char *cosigner,
			    store_receipt_fn fn, void *ctx, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT c.size, s.time FROM checkpoint c JOIN cosignature s"
			       " ON s.checkpoint = c.id AND s.cosigner = ?2 WHERE c.log = ?1"
			       " ORDER BY c.size", -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "reading receipts");
	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_text(st, 2, cosigner, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	       !(n = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0),
			(uint64_t)sqlite3_column_int64(st, 1))))
		;
	if (n == 0 && rc != SQLITE_DONE)
		n = db_err(s, e, "reading receipts");
	sqlite3_finalize(st);
	return n;
}

static int sq_receipted(struct store *base, int64_t log, const char *cosigner,
			uint64_t *size, uint64_t *time, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_RECEIPTED);
	int rc;

	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_text(st, 2, cosigner, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*size = 0;
	*time = 0;
	if (rc == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(st, 0);
		*time = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(s, e, "reading receipts");
	return 0;
}

static int sq_party_get(struct store *base, const char *name,
			struct store_party *p, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, name ? Q_PARTY_GET : Q_PARTY_SELF);
	int rc;

	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		party_row(st, p);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_err(s, e, "reading a party");
	return err_set(e, ERR_NOTFOUND, name ? "unknown party '%s'" : "%s",
		       name ? name : "the store has no own party");
}

static void log_row(sqlite3_stmt *st, struct store_log *l)
{
	l->id = sqlite3_column_int64(st, 0);
	copy_text(l->origin, sizeof(l->origin), st, 1);
	copy_text(l->sender, sizeof(l->sender), st, 2);
	copy_text(l->receiver, sizeof(l->receiver), st, 3);
	l->size = (uint64_t)sqlite3_column_int64(st, 4);
}

static int sq_log_get(struct store *base, const char *origin,
		      struct store_log *out, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_LOG_GET);
	int rc;

	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		log_row(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return db_err(s, e, "reading a log");
	return err_set(e, ERR_NOTFOUND, "no log %s", origin);
}

static int sq_log_create(struct store *base, struct store_log *log,
			 struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_LOG_CREATE);
	int rc;

	sqlite3_bind_text(st, 1, log->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, log->sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, log->receiver, -1, SQLITE_STATIC);
	if ((rc = run(s, st, e, "creating a log")) < 0)
		return rc;
	log->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int sq_log_each(struct store *base, store_log_fn fn, void *ctx,
		       struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	struct store_log l;
	int rc, n = 0;

	/* A private statement: fn may call back into the store. */
	if (sqlite3_prepare_v2(s->db, sql[Q_LOG_EACH], -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "listing logs");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		log_row(st, &l);
		if ((n = fn(ctx, &l)) != 0)
			break;
	}
	if (n == 0 && rc != SQLITE_DONE)
		n = db_err(s, e, "listing logs");
	sqlite3_finalize(st);
	return n;
}

static int sq_log_set_size(struct store *base, int64_t log, uint64_t size,
			   struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_LOG_SIZE);

	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)size);
	return run(s, st, e, "updating a log size");
}

static int sq_entry_put(struct store *base, int64_t log, uint64_t index,
			const uint8_t leaf[static 32], const char *env,
			size_t len, const void *body, size_t body_len, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_ENTRY_PUT);

	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)index);
	sqlite3_bind_blob(st, 3, leaf, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, env, (int)len, SQLITE_STATIC);
	if (body) /* an empty body is a zero-length blob, not NULL */
		sqlite3_bind_blob(st, 5, body_len ? body : "", (int)body_len, SQLITE_STATIC);
	return run(s, st, e, "storing an entry");
}

/* Copies column col of st into a malloc'd buffer (NUL-terminated). */
static int dup_blob(sqlite3_stmt *st, int col, void **buf, size_t *len,
		    struct err *e)
{
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	const void *p = sqlite3_column_blob(st, col);
	char *b = malloc(n + 1);

	if (!b)
		return err_set(e, ERR_NOMEM, "out of memory reading %zu bytes", n);
	if (n)
		memcpy(b, p, n);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static int sq_entry_get(struct store *base, int64_t log, uint64_t index,
			char **buf, size_t *len, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_ENTRY_GET);
	int rc;

	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)index);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = dup_blob(st, 0, (void **)buf, len, e);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_err(s, e, "reading an entry");
	return err_set(e, ERR_NOTFOUND, "no entry %" PRIu64 " in log %" PRId64,
		       index, log);
}

static int sq_scan(struct store *base, int64_t log, uint64_t from, store_entry_fn fn,
		   void *ctx, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(s->db, s->no_body
			       ? "SELECT idx, envelope, leaf, NULL FROM entry"
				 " WHERE log = ?1 AND idx >= ?2 ORDER BY idx"
			       : "SELECT idx, envelope, leaf, body FROM entry"
				 " WHERE log = ?1 AND idx >= ?2 ORDER BY idx",
			       -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "scanning entries");
	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_row r;
		const void *leaf = sqlite3_column_blob(st, 2);

		r.index = (uint64_t)sqlite3_column_int64(st, 0);
		r.env = sqlite3_column_blob(st, 1);
		r.len = (size_t)sqlite3_column_bytes(st, 1);
		r.leaf = leaf && sqlite3_column_bytes(st, 2) == 32 ? leaf : NULL;
		r.body = NULL;
		r.body_len = 0;
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			r.body_len = (size_t)sqlite3_column_bytes(st, 3);
			r.body = r.body_len ? sqlite3_column_blob(st, 3) : "";
		}
		n = fn(ctx, &r);
		if (n != 0)
			break;
	}
	if (n == 0 && rc != SQLITE_DONE)
		n = db_err(s, e, "scanning entries");
	sqlite3_finalize(st);
	return n;
}

/* Steps st (bound by the caller) for its one row's blob column 0: a
 * copy in *data, or ERR_NOTFOUND with what as the message (an error of
 * the database: "error READING"). */
static int blob_row(struct sqlite_store *s, sqlite3_stmt *st, void **data, size_t *len,
		    const char *reading, const char *what, struct err *e)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		rc = dup_blob(st, 0, data, len, e);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_err(s, e, reading);
	return err_set(e, ERR_NOTFOUND, "%s", what);
}

static int sq_entry_body(struct store *base, int64_t log, uint64_t index,
			 void **buf, size_t *len, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;

	if (s->no_body)
		return err_set(e, ERR_NOTFOUND, "no body in the row of entry %" PRIu64, index);
	st = q(s, Q_ENTRY_BODY);
	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)index);
	return blob_row(s, st, buf, len, "reading a body", "no body in the entry's row", e);
}

/* Steps scan st (from scan_stmt, own as it said), calling fn with column
 * 0 (masked) and the blob of column 1 until fn returns non-zero. */
static int scan_rows(struct sqlite_store *s, sqlite3_stmt *st, int own, uint64_t mask,
		     int (*fn)(void *ctx, uint64_t key, const void *data, size_t len), void *ctx,
		     struct err *e)
{
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0) & mask, sqlite3_column_blob(st, 1),
		       (size_t)sqlite3_column_bytes(st, 1));
		if (n != 0)
			break;
	}
	if (n == 0 && rc != SQLITE_DONE)
		n = db_err(s, e, "reading facts");
	if (own)
		sqlite3_finalize(st);
	else
		sqlite3_reset(st);
	return n;
}

static int sq_fact_put(struct store *base, int64_t log, uint64_t block,
		       const void *data, size_t len, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;

	if (s->no_facts)
		return err_set(e, ERR_READONLY, "%s: the store is read-only", s->path);
	st = q(s, Q_FACT_PUT);
	sqlite3_bind_int64(st, 1, log << 44 | (int64_t)block);
	sqlite3_bind_blob(st, 2, data, (int)len, SQLITE_STATIC);
	return run(s, st, e, "storing facts");
}

static int sq_fact_get(struct store *base, int64_t log, uint64_t block,
		       void **data, size_t *len, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	char what[80];

	if (s->no_facts)
		return err_set(e, ERR_NOTFOUND, "%s holds no facts", s->path);
	st = q(s, Q_FACT_GET);
	sqlite3_bind_int64(st, 1, log << 44 | (int64_t)block);
	snprintf(what, sizeof(what), "no facts block %" PRIu64 " in log %" PRId64, block, log);
	return blob_row(s, st, data, len, "reading facts", what, e);
}

/* The prepared statement of scan query i (opening a case scans what
 * the facts gained: preparing it each time was 6 % of a's CPU), unless a
 * scan is running already on this connection (its callback may start
 * another): then a fresh one, *own set (finalize it). NULL on error. */
static sqlite3_stmt *scan_stmt(struct sqlite_store *s, int i, int *own)
{
	sqlite3_stmt *st = NULL;

	*own = 0;
	if (!sqlite3_stmt_busy(s->q[i]))
		return q(s, i);
	if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK)
		return NULL;
	*own = 1;
	return st;
}

static int sq_fact_scan(struct store *base, int64_t log, uint64_t from,
			int (*fn)(void *ctx, uint64_t block, const void *data, size_t len),
			void *ctx, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	int own;

	if (s->no_facts)
		return err_set(e, ERR_NOTFOUND, "%s holds no facts", s->path);
	if (!(st = scan_stmt(s, Q_FACT_SCAN, &own)))
		return db_err(s, e, "reading facts");
	sqlite3_bind_int64(st, 1, log << 44 | (int64_t)(from & ((UINT64_C(1) << 44) - 1)));
	sqlite3_bind_int64(st, 2, log << 44 | ((INT64_C(1) << 44) - 1));
	return scan_rows(s, st, own, (UINT64_C(1) << 44) - 1, fn, ctx, e);
}

static int sq_case_put(struct store *base, int64_t log, uint64_t k, const void *data,
		       size_t len, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;

	if (s->base.no_cases)
		return err_set(e, ERR_READONLY, "%s: the store is read-only", s->path);
	st = q(s, Q_CASE_PUT);
	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)k);
	sqlite3_bind_blob(st, 3, data, (int)len, SQLITE_STATIC);
	return run(s, st, e, "storing case facts");
}

static int sq_case_get(struct store *base, int64_t log, uint64_t k, void **data, size_t *len,
		       struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	char what[80];

	if (s->base.no_cases)
		return err_set(e, ERR_NOTFOUND, "%s holds no case facts", s->path);
	st = q(s, Q_CASE_GET);
	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)k);
	snprintf(what, sizeof(what), "no case facts %" PRIu64 " in log %" PRId64, k, log);
	return blob_row(s, st, data, len, "reading case facts", what, e);
}

static int sq_case_scan(struct store *base, int64_t log, uint64_t from, uint64_t to,
			int (*fn)(void *ctx, uint64_t k, const void *data, size_t len),
			void *ctx, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	int own;

	if (s->base.no_cases)
		return err_set(e, ERR_NOTFOUND, "%s holds no case facts", s->path);
	if (!(st = scan_stmt(s, Q_CASE_SCAN, &own)))
		return db_err(s, e, "reading case facts");
	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)from);
	sqlite3_bind_int64(st, 3, (int64_t)to);
	return scan_rows(s, st, own, UINT64_MAX, fn, ctx, e);
}

static int64_t tile_id(int64_t log, struct merkle_id id)
{
	return log << 44 | (int64_t)((id.index << id.level) >> 8);
}

/* Slot of a level 1..7 node in its tile. */
static size_t tile_slot(struct merkle_id id)
{
	return (size_t)(256 - (512u >> id.level)) +
	       (size_t)(id.index & ((256u >> id.level) - 1));
}

static int tile_flush(struct sqlite_store *s, struct err *e)
{
	sqlite3_stmt *st;

	if (!s->pend_dirty)
		return 0;
	st = q(s, Q_TILE_PUT);
	sqlite3_bind_int64(st, 1, s->pend.id);
	sqlite3_bind_blob(st, 2, s->pend.b, TILE_BYTES, SQLITE_STATIC);
	s->pend_dirty = 0;
	return run(s, st, e, "storing a tree tile");
}

/* Loads tile id into t (zeros if none is stored). */
static int tile_load(struct sqlite_store *s, int64_t id, struct tile *t,
		     struct err *e)
{
	sqlite3_stmt *st = q(s, Q_TILE_GET);
	int rc;

	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	memset(t->b, 0, TILE_BYTES);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == TILE_BYTES)
		memcpy(t->b, sqlite3_column_blob(st, 0), TILE_BYTES);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(s, e, "reading a tree tile");
	t->id = id;
	return 0;
}

static int sq_node_put(struct store *base, int64_t log, struct merkle_id id,
		       const uint8_t hash[static 32], struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	size_t slot;
	int rc;

	if (id.level <= TILE_LEVELS) {
		int64_t tid = tile_id(log, id);
		if (s->pend.id != tid) {
			if ((rc = tile_flush(s, e)) < 0 ||
			    (rc = tile_load(s, tid, &s->pend, e)) < 0)
				return rc;
		}
		slot = tile_slot(id);
		s->pend.b[slot / 8] |= (uint8_t)(1u << (slot % 8));
		memcpy(s->pend.b + TILE_MAP + slot * 32, hash, 32);
		s->pend_dirty = 1;
		return 0;
	}
	st = q(s, Q_NODE_PUT);
	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int(st, 2, (int)id.level);
	sqlite3_bind_int64(st, 3, (int64_t)id.index);
	sqlite3_bind_blob(st, 4, hash, 32, SQLITE_STATIC);
	return run(s, st, e, "storing a tree node");
}

static int not_found(int64_t log, struct merkle_id id, struct err *e)
{
	return err_set(e, ERR_NOTFOUND,
		       "log %" PRId64 " has no tree node (level %u, index %" PRIu64 ")",
		       log, id.level, id.index);
}

static int node_read(struct sqlite_store *s, int64_t log, struct merkle_id id,
		     uint8_t out[static 32], struct err *e)
{
	sqlite3_stmt *st;
	const struct tile *t;
	size_t slot;
	int rc;

	if (id.level >= 1 && id.level <= TILE_LEVELS) {
		int64_t tid = tile_id(log, id);
		if (s->pend.id == tid) {
			t = &s->pend;
		} else {
			if (s->last.id != tid) {
				if ((rc = tile_load(s, tid, &s->last, e)) < 0)
					return rc;
				s->base.row_reads++;
			}
			t = &s->last;
		}
		slot = tile_slot(id);
		if (!(t->b[slot / 8] & (1u << (slot % 8))))
			return not_found(log, id, e);
		memcpy(out, t->b + TILE_MAP + slot * 32, 32);
		return 0;
	}
	st = s->q[id.level ? Q_NODE_GET : Q_LEAF_GET];
	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int(st, 2, (int)id.level);
	sqlite3_bind_int64(st, 3, (int64_t)id.index);
	s->base.row_reads++;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		memcpy(out, sqlite3_column_blob(st, 0), 32);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(s, e, "reading a tree node");
	return not_found(log, id, e);
}

/* One read transaction for several reads: without it every statement
 * takes and drops the WAL read lock (fcntl calls), which cost more than
 * the B-tree lookups themselves (see bench_proof). *own: whether this
 * call began it (not when a transaction is open already). */
static int sq_read_begin(struct store *base, int *own, struct err *e)
{
	struct sqlite_store *s = S(base);

	*own = 0;
	if (!sqlite3_get_autocommit(s->db))
		return 0;
	if (sqlite3_step(q(s, Q_READ_BEGIN)) != SQLITE_DONE)
		return db_err(s, e, "starting a read");
	sqlite3_reset(s->q[Q_READ_BEGIN]);
	*own = 1;
	return 0;
}

static int sq_read_end(struct store *base, int own, struct err *e)
{
	struct sqlite_store *s = S(base);
	int rc = 0;

	if (!own)
		return 0;
	if (sqlite3_step(q(s, Q_READ_END)) != SQLITE_DONE)
		rc = db_err(s, e, "ending a read");
	sqlite3_reset(s->q[Q_READ_END]);
	return rc;
}

static int sq_nodes_get(struct store *base, int64_t log,
			const struct merkle_id *ids, size_t n,
			uint8_t (*out)[32], struct err *e)
{
	struct sqlite_store *s = S(base);
	struct err ignore;
	int own = 0, rc = 0;

	s->last.id = 0;
	if (n > 1 && (rc = sq_read_begin(base, &own, e)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = node_read(s, log, ids[i], out[i], e);
	if (rc == 0)
		rc = sq_read_end(base, own, e);
	else
		sq_read_end(base, own, &ignore);
	return rc;
}

static int sq_body_put(struct store *base, const uint8_t hash[static 32],
		       const void *data, size_t len, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_BODY_PUT);

	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, len ? data : "", (int)len, SQLITE_STATIC);
	return run(s, st, e, "storing a body");
}

static int sq_body_get(struct store *base, const uint8_t hash[static 32],
		       void **buf, size_t *len, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_BODY_GET);

	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	return blob_row(s, st, buf, len, "reading a body", "no body with that hash", e);
}

static int cp_row(sqlite3_stmt *st, struct store_checkpoint *c, struct err *e)
{
	c->id = sqlite3_column_int64(st, 0);
	c->log = sqlite3_column_int64(st, 1);
	c->size = (uint64_t)sqlite3_column_int64(st, 2);
	memset(c->root, 0, 32);
	if (sqlite3_column_bytes(st, 3) == 32)
		memcpy(c->root, sqlite3_column_blob(st, 3), 32);
	return dup_blob(st, 4, (void **)&c->note, &c->note_len, e);
}

static int cp_one(struct sqlite_store *s, sqlite3_stmt *st,
		  struct store_checkpoint *c, struct err *e, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		rc = cp_row(st, c, e);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_err(s, e, what);
	return err_set(e, ERR_NOTFOUND, "no checkpoint");
}

static int sq_checkpoint_find(struct store *base, int64_t log, uint64_t size,
			      struct store_checkpoint *c, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_CP_FIND);

	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)size);
	return cp_one(s, st, c, e, "reading a checkpoint");
}

static int sq_checkpoint_latest(struct store *base, int64_t log,
				struct store_checkpoint *c, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_CP_LATEST);

	sqlite3_bind_int64(st, 1, log);
	return cp_one(s, st, c, e, "reading the latest checkpoint");
}

static int sq_checkpoint_put(struct store *base, int64_t log, uint64_t size,
			     const uint8_t root[static 32], const char *note,
			     size_t len, int64_t *id, struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_CP_PUT);
	int rc;

	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)size);
	sqlite3_bind_blob(st, 3, root, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, note, (int)len, SQLITE_STATIC);
	if ((rc = run(s, st, e, "storing a checkpoint")) < 0)
		return rc;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int sq_checkpoint_each(struct store *base, int64_t log,
			      store_checkpoint_fn fn, void *ctx, struct err *e)
{
	struct sqlite_store *s = S(base);
	struct store_checkpoint c;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(s->db, sql[Q_CP_EACH], -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "listing checkpoints");
	sqlite3_bind_int64(st, 1, log);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((n = cp_row(st, &c, e)) < 0)
			break;
		n = fn(ctx, &c);
		free(c.note);
		if (n != 0)
			break;
	}
	if (n == 0 && rc != SQLITE_DONE)
		n = db_err(s, e, "listing checkpoints");
	sqlite3_finalize(st);
	return n;
}

static int sq_cosig_put(struct store *base, int64_t checkpoint,
			const char *cosigner, uint64_t time, const char *line,
			struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st = q(s, Q_COSIG_PUT);

	sqlite3_bind_int64(st, 1, checkpoint);
	sqlite3_bind_text(st, 2, cosigner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)time);
	sqlite3_bind_text(st, 4, line, -1, SQLITE_STATIC);
	return run(s, st, e, "storing a cosignature");
}

static int sq_cosig_each(struct store *base, int64_t checkpoint,
			 store_cosig_fn fn, void *ctx, struct err *e)
{
	struct sqlite_store *s = S(base);
	struct store_cosig c;
	sqlite3_stmt *st = s->cosig_busy ? NULL : s->cosig_st;
	int rc, n = 0, kept;

	if (!st && sqlite3_prepare_v2(s->db, sql[Q_COSIG_EACH], -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "listing cosignatures");
	if (!s->cosig_busy && !s->cosig_st)
		s->cosig_st = st;
	kept = st == s->cosig_st;
	s->cosig_busy |= kept;
	sqlite3_bind_int64(st, 1, checkpoint);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t len;

		c.checkpoint = sqlite3_column_int64(st, 0);
		copy_text(c.cosigner, sizeof(c.cosigner), st, 1);
		c.time = (uint64_t)sqlite3_column_int64(st, 2);
		if ((n = dup_blob(st, 3, (void **)&c.line, &len, e)) < 0)
			break;
		n = fn(ctx, &c);
		free(c.line);
		if (n != 0)
			break;
	}
	if (n == 0 && rc != SQLITE_DONE)
		n = db_err(s, e, "listing cosignatures");
	if (kept) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		s->cosig_busy = 0;
	} else {
		sqlite3_finalize(st);
	}
	return n;
}

static int sq_body_each(struct store *base, store_body_fn fn, void *ctx,
			struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(s->db, sql[Q_BODY_EACH], -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "listing bodies");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != 32) {
			n = err_set(e, ERR_STORE, "%s: a body's hash is not 32 bytes", s->path);
			break;
		}
		n = fn(ctx, sqlite3_column_blob(st, 0), sqlite3_column_blob(st, 1),
		       (size_t)sqlite3_column_bytes(st, 1));
		if (n != 0)
			break;
	}
	if (n == 0 && rc != SQLITE_DONE)
		n = db_err(s, e, "listing bodies");
	sqlite3_finalize(st);
	return n;
}

static int sq_audit_each(struct store *base, store_audit_fn fn, void *ctx,
			 struct err *e)
{
	struct sqlite_store *s = S(base);
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(s->db, sql[Q_AUDIT_EACH], -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "listing the audit trail");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *who = (const char *)sqlite3_column_text(st, 1);
		const char *action = (const char *)sqlite3_column_text(st, 2);
		const char *outcome = (const char *)sqlite3_column_text(st, 3);

		n = fn(ctx, sqlite3_column_int64(st, 0), who ? who : "",
		       action ? action : "", outcome ? outcome : "");
		if (n != 0)
			break;
	}
	if (n == 0 && rc != SQLITE_DONE)
		n = db_err(s, e, "listing the audit trail");
	sqlite3_finalize(st);
	return n;
}

static void sq_shrink(struct store *base)
{
	sqlite3_db_release_memory(S(base)->db);
}

static const struct store_ops sqlite_ops = {
	.close = sq_close,
	.begin = sq_begin,
	.begin_log = sq_begin_log,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.party_put = sq_party_put,
	.party_get = sq_party_get,
	.party_each = sq_party_each,
	.delivery_put = sq_delivery_put,
	.delivery_get = sq_delivery_get,
	.evidence_add = sq_evidence_add,
	.evidence_each = sq_evidence_each,
	.receipted = sq_receipted,
	.receipts_each = sq_receipts_each,
	.receipt_time = sq_receipt_time,
	.operator_add = sq_operator_add,
	.operator_by_token = sq_operator_by_token,
	.operator_revoke = sq_operator_revoke,
	.operator_each = sq_operator_each,
	.audit_add = sq_audit_add,
	.log_get = sq_log_get,
	.log_create = sq_log_create,
	.log_each = sq_log_each,
	.log_set_size = sq_log_set_size,
	.entry_put = sq_entry_put,
	.entry_get = sq_entry_get,
	.entry_body = sq_entry_body,
	.scan = sq_scan,
	.fact_put = sq_fact_put,
	.fact_get = sq_fact_get,
	.fact_scan = sq_fact_scan,
	.case_put = sq_case_put,
	.case_get = sq_case_get,
	.case_scan = sq_case_scan,
	.node_put = sq_node_put,
	.nodes_get = sq_nodes_get,
	.body_put = sq_body_put,
	.body_get = sq_body_get,
	.checkpoint_find = sq_checkpoint_find,
	.checkpoint_put = sq_checkpoint_put,
	.checkpoint_each = sq_checkpoint_each,
	.checkpoint_latest = sq_checkpoint_latest,
	.cosig_put = sq_cosig_put,
	.cosig_each = sq_cosig_each,
	.body_each = sq_body_each,
	.audit_each = sq_audit_each,
	.lease_take = sq_lease_take,
	.lease_release = sq_lease_release,
	.shrink = sq_shrink,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
};

static int migrate(struct sqlite_store *s, struct err *e)
{
	sqlite3_stmt *st;
	int version = -1, rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "reading the schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version == SCHEMA_VERSION)
		return 0;
	if (version >= 1 && version <= 3 && !s->base.readonly) {
		/* Upgrade: store_open rebuilds the facts from the entries (from
		 * version 1), the case facts from the facts (from version 2). */
		if ((rc = exec(s, "BEGIN IMMEDIATE", e)) < 0)
			return rc;
		if ((version == 1 && (rc = exec(s, schema_v2, e)) < 0) ||
		    (version <= 2 && (rc = exec(s, schema_v3, e)) < 0) ||
		    (rc = exec(s, schema_v4, e)) < 0 ||
		    (rc = exec(s, "PRAGMA user_version = 4", e)) < 0 ||
		    (rc = exec(s, "COMMIT", e)) < 0) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
		s->base.facts_missing = version == 1;
		s->base.cases_missing = version <= 2;
		return 0;
	}
	if (version >= 1 && version <= 3) {
		/* Read-only: readers fall back to the facts or the entries, and
		 * find bodies by hash; no lease is taken (a read-only store
		 * delivers nothing). */
		s->no_facts = version == 1;
		s->base.no_cases = version <= 2;
		s->no_body = 1;
		return 0;
	}
	if (s->base.readonly)
		return err_set(e, ERR_READONLY, "%s: the store is on a read-only file system and holds "
			       "schema version %d, not %d: open it writable once to upgrade it",
			       s->path, version, SCHEMA_VERSION);
	if (version != 0)
		return err_set(e, ERR_STORE,
			       "%s: schema version %d, this parley knows %d",
			       s->path, version, SCHEMA_VERSION);
	if ((rc = exec(s, "BEGIN IMMEDIATE", e)) < 0)
		return rc;
	if ((rc = exec(s, schema, e)) < 0 || (rc = exec(s, schema_v2, e)) < 0 ||
	    (rc = exec(s, schema_v3, e)) < 0 || (rc = exec(s, "PRAGMA user_version = 4", e)) < 0 ||
	    (rc = exec(s, "COMMIT", e)) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return 0;
}

/* "file:PATH?immutable=1", PATH percent-encoded: how SQLite reads a WAL
 * database on a read-only file system (it cannot create the -shm file). */
static char *immutable_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	char *u = malloc(strlen(path) * 3 + 32), *p = u;

	if (!u)
		return NULL;
	p += sprintf(p, "file:");
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		    strchr("/-._~", *c)) {
			*p++ = (char)*c;
		} else {
			*p++ = '%';
			*p++ = hex[*c >> 4];
			*p++ = hex[*c & 15];
		}
	}
	strcpy(p, "?immutable=1");
	return u;
}

int store_sqlite_open(struct store **out, const char *path, struct err *e)
{
	struct sqlite_store *s = calloc(1, sizeof(*s));
	struct statvfs vfs;
	int rc;

	*out = NULL;
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return err_set(e, ERR_NOMEM, "out of memory opening the store");
	}
	s->base.ops = &sqlite_ops;
	/* An existing store on a read-only file system opens for reading
	 * (verify, reports, audits); every write is refused as ERR_READONLY. */
	s->base.readonly = statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
	if (s->base.readonly) {
		char *uri = immutable_uri(path);
		rc = uri ? sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
					   SQLITE_OPEN_NOFOLLOW, NULL) : SQLITE_NOMEM;
		free(uri);
	} else {
		rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOFOLLOW, NULL);
	}
	if (rc != SQLITE_OK) {
		rc = err_set(e, ERR_STORE, "%s: cannot open: %s", path,
			     s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 10000);
	/* Page size first: it is fixed once the first table exists. A random
	 * page read costs about the same at 4 and 64 KiB here, so large
	 * pages put a proof's low nodes and leaf in fewer reads. */
	if (s->base.readonly) {
		if ((rc = migrate(s, e)) < 0) /* only checks the version */
			goto fail;
	} else if ((rc = exec(s, "PRAGMA page_size = " PAGE_SIZE_STR, e)) < 0 ||
		   /* WAL + FULL: every commit is fsync'd before it returns. */
		   (rc = exec(s, "PRAGMA journal_mode = WAL", e)) < 0 ||
		   (rc = exec(s, "PRAGMA synchronous = FULL", e)) < 0 ||
		   (rc = exec(s, "PRAGMA foreign_keys = ON", e)) < 0 ||
		   (rc = exec(s, "PRAGMA cache_size = -16384", e)) < 0 ||
		   (rc = migrate(s, e)) < 0) {
		goto fail;
	}
	for (int i = 0; i < Q_COUNT; i++)
		if (!(s->no_facts && (i == Q_FACT_PUT || i == Q_FACT_GET || i == Q_FACT_SCAN ||
				      i == Q_LEASE_TAKE || i == Q_LEASE_RELEASE)) &&
		    !(s->base.no_cases && (i == Q_CASE_PUT || i == Q_CASE_GET || i == Q_CASE_SCAN)) &&
		    !(s->no_body && (i == Q_ENTRY_PUT || i == Q_ENTRY_BODY)) &&
		    sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->q[i], NULL) != SQLITE_OK) {
			rc = db_err(s, e, "preparing statements");
			goto fail;
		}
	*out = &s->base;
	return 0;
fail:
	sq_close(&s->base);
	return rc;
}
