/* store_pg.c — the PostgreSQL backend of the store, through libpq: for
 * several parley frontends (processes, machines) on one shared database.
 *
 * Design note. Same tables and layout as store_sqlite.c (leaf hashes in the
 * entry rows, levels 1-7 of each 256-leaf block in one tile row, levels
 * >= 8 a node row each), adapted to PostgreSQL types. Invariants:
 *   1. Appends to one log are serialised by a row lock on its log row:
 *      begin_log runs SELECT ... FOR UPDATE in a READ COMMITTED
 *      transaction, so a second frontend waits there until the first
 *      commits or rolls back, then reads the new size; every later
 *      statement of its transaction sees the rows the first committed.
 *      The unique keys (entry(log, idx), checkpoint(log, size), node and
 *      tile keys) back this up: a writer that skipped the lock would fail,
 *      never fork.
 *   2. A log created by two frontends at once exists once: log_create is
 *      INSERT ... ON CONFLICT DO NOTHING, and the loser locks and reads the
 *      winner's row, size included.
 *   3. A commit returns only once PostgreSQL reports it durable
 *      (synchronous_commit is never off), so no receipt is issued for
 *      data that a crash could lose.
 *   4. Results that can grow with the log (scan, checkpoints, evidence) are
 *      read in pages by key, never whole into memory.
 *   5. Inside a transaction the writes whose results are not needed
 *      (entries, bodies, nodes, tiles, the log size) are pipelined: sent
 *      without waiting, their results read at the next read, at commit,
 *      or every PIPE_MAX statements, so a batch costs a few round trips
 *      rather than one per row. A failed write fails that read or the
 *      commit, and the transaction rolls back.
 *
 * PostgreSQL features used, and nothing else (no extensions, no advisory
 * locks, no server-side functions), so that PostgreSQL-compatible engines
 * can serve too:
 *   - types BIGINT, INTEGER, TEXT, BYTEA; BIGSERIAL keys (a sequence);
 *   - PRIMARY KEY, UNIQUE, REFERENCES, CHECK, one partial unique index;
 *     ALTER TABLE ... ADD COLUMN (a nullable column, when upgrading);
 *   - transactions: BEGIN ISOLATION LEVEL READ COMMITTED, COMMIT, ROLLBACK,
 *     with transactional CREATE TABLE for the schema; a transaction that
 *     fails with SQLSTATE 40001 (serialization failure) or 40P01
 *     (deadlock) is run again from its start, a bounded number of times
 *     (store.c, STORE_TRIES);
 *   - SELECT ... FOR UPDATE row locks;
 *   - INSERT ... ON CONFLICT DO NOTHING / DO UPDATE (... WHERE, for
 *     leases), INSERT ... RETURNING;
 *   - clock_timestamp() and extract(epoch FROM ...): the server's clock
 *     for lease expiry;
 *   - prepared statements with binary parameters and results (extended
 *     query protocol, pipelined within a transaction), ORDER BY ... LIMIT
 *     for paging, min();
 *   - SHOW / SET synchronous_commit (off is raised to on; an engine
 *     without the setting is left as it is), SHOW transaction_read_only.
 * The schema version is a row in table parley_schema. */
#include "store/store_backend.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define SCHEMA_VERSION 4

/* The delivery leases (store.h: leases); expires is in milliseconds
 * since the Unix epoch. */
#define LEASE_TABLE \
	"CREATE TABLE lease(" \
	"  name TEXT PRIMARY KEY," \
	"  holder TEXT NOT NULL," \
	"  expires BIGINT NOT NULL" \
	");"
/* The database server's clock in milliseconds since the Unix epoch:
 * clock_timestamp(), not now(), which is the start of the transaction. */
#define NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

static const char schema[] =
	"CREATE TABLE parley_schema("
	"  version INTEGER NOT NULL"
	");"
	"CREATE TABLE party("
	"  name TEXT PRIMARY KEY,"
	"  vkey TEXT NOT NULL,"
	"  pin TEXT NOT NULL DEFAULT '',"
	"  endpoint TEXT NOT NULL DEFAULT '',"
	"  self INTEGER NOT NULL DEFAULT 0 CHECK (self IN (0, 1))"
	");"
	"CREATE UNIQUE INDEX party_one_self ON party(self) WHERE self = 1;"
	"CREATE TABLE delivery("
	"  peer TEXT PRIMARY KEY REFERENCES party(name),"
	"  last_attempt BIGINT NOT NULL,"
	"  last_ok BIGINT NOT NULL,"
	"  failures BIGINT NOT NULL,"
	"  last_error TEXT NOT NULL"
	");"
	"CREATE TABLE operator("
	"  name TEXT PRIMARY KEY,"
	"  role TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'auditor')),"
	"  token_hash BYTEA NOT NULL UNIQUE,"
	"  created BIGINT NOT NULL,"
	"  revoked INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE audit("
	"  id BIGSERIAL PRIMARY KEY,"
	"  time BIGINT NOT NULL,"
	"  operator TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  outcome TEXT NOT NULL"
	");"
	/* A note can be long: unique by its SHA-256, not by its bytes (a
	 * B-tree key is limited to about a third of a page). */
	"CREATE TABLE evidence("
	"  id BIGSERIAL PRIMARY KEY,"
	"  origin TEXT NOT NULL,"
	"  size BIGINT NOT NULL,"
	"  time BIGINT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  note BYTEA NOT NULL,"
	"  note_hash BYTEA NOT NULL,"
	"  UNIQUE (origin, note_hash)"
	");"
	"CREATE TABLE log("
	"  id BIGSERIAL PRIMARY KEY,"
	"  origin TEXT NOT NULL UNIQUE,"
	"  sender TEXT NOT NULL REFERENCES party(name),"
	"  receiver TEXT NOT NULL REFERENCES party(name),"
	"  size BIGINT NOT NULL DEFAULT 0 CHECK (size >= 0)"
	");"
	/* No REFERENCES on entry.log (nor on tile and node): the check is a
	 * trigger and a row lock per inserted row, and halved append
	 * throughput (BENCHMARKS.md). Entries are written only by an append
	 * holding the log's row lock, so the log exists. */
	"CREATE TABLE entry("
	"  log BIGINT NOT NULL,"
	"  idx BIGINT NOT NULL,"
	"  leaf BYTEA NOT NULL,"
	"  envelope BYTEA NOT NULL,"
	"  body BYTEA," /* version 4: the body in its entry's row */
	"  PRIMARY KEY (log, idx)"
	");"
	/* (log, block) rather than SQLite's packed log << 44 | block: log ids
	 * from another engine's key generator need not be small. */
	"CREATE TABLE tile("
	"  log BIGINT NOT NULL,"
	"  block BIGINT NOT NULL,"
	"  hashes BYTEA NOT NULL,"
	"  PRIMARY KEY (log, block)"
	");"
	"CREATE TABLE node("
	"  log BIGINT NOT NULL,"
	"  level INTEGER NOT NULL CHECK (level >= 8),"
	"  idx BIGINT NOT NULL,"
	"  hash BYTEA NOT NULL,"
	"  PRIMARY KEY (log, level, idx)"
	");"
	"CREATE TABLE body("
	"  hash BYTEA PRIMARY KEY,"
	"  data BYTEA NOT NULL"
	");"
	"CREATE TABLE checkpoint("
	"  id BIGSERIAL PRIMARY KEY,"
	"  log BIGINT NOT NULL REFERENCES log(id),"
	"  size BIGINT NOT NULL,"
	"  root BYTEA NOT NULL,"
	"  note BYTEA NOT NULL,"
	"  UNIQUE (log, size)"
	");"
	"CREATE TABLE cosignature("
	"  checkpoint BIGINT NOT NULL REFERENCES checkpoint(id),"
	"  cosigner TEXT NOT NULL,"
	"  time BIGINT NOT NULL,"
	"  line TEXT NOT NULL,"
	"  PRIMARY KEY (checkpoint, cosigner)"
	");"
	"INSERT INTO parley_schema(version) VALUES (1);";

/* Version 2 adds the facts of each 256-entry block (store_facts.c) and
 * the delivery leases. */
static const char schema_v2[] =
	"CREATE TABLE fact("
	"  log BIGINT NOT NULL,"
	"  block BIGINT NOT NULL,"
	"  data BYTEA NOT NULL,"
	"  PRIMARY KEY (log, block)"
	");"
	LEASE_TABLE
	"UPDATE parley_schema SET version = 2;";

/* Version 3 adds the facts again by the case they belong to
 * (store_cases.c), rebuilt from the facts when a store is upgraded. */
static const char schema_v3[] =
	"CREATE TABLE casefact("
	"  log BIGINT NOT NULL,"
	"  k BIGINT NOT NULL,"
	"  data BYTEA NOT NULL,"
	"  PRIMARY KEY (log, k)"
	");"
	"UPDATE parley_schema SET version = 3;";

/* Version 4 keeps each entry's body in its row (the schema above); a
 * store upgraded from before keeps the bodies it held in the body table,
 * where store_entry_body finds them by hash. */
static const char schema_v4[] = "ALTER TABLE entry ADD COLUMN body BYTEA;";

enum {
	Q_PARTY_PUT, Q_PARTY_GET, Q_PARTY_SELF, Q_PARTY_EACH,
	Q_DELIVERY_PUT, Q_DELIVERY_GET, Q_EVIDENCE_ADD, Q_EVIDENCE_EACH, Q_RECEIPTED, Q_RECEIPT_TIME,
	Q_RECEIPTS,
	Q_OP_ADD, Q_OP_TOKEN, Q_OP_REVOKE, Q_OP_EACH, Q_AUDIT_ADD,
	Q_LOG_GET, Q_LOG_LOCK, Q_LOG_CREATE, Q_LOG_EACH, Q_LOG_SIZE,
	Q_ENTRY_PUT, Q_ENTRY_GET, Q_ENTRY_BODY, Q_SCAN,
	Q_NODE_PUT, Q_NODE_GET, Q_LEAF_GET, Q_TILE_PUT, Q_TILE_GET,
	Q_BODY_PUT, Q_BODY_GET,
	Q_CP_FIND, Q_CP_PUT, Q_CP_EACH, Q_CP_LATEST,
	Q_COSIG_PUT, Q_COSIG_EACH,
	Q_BODY_EACH, Q_AUDIT_EACH,
	Q_FACT_PUT, Q_FACT_GET, Q_FACT_SCAN,
	Q_CASE_PUT, Q_CASE_GET, Q_CASE_SCAN,
	Q_LEASE_TAKE, Q_LEASE_RELEASE,
	Q_COUNT
};

/* Rows per page of the paged reads (invariant 4). */
#define PAGE_ROWS 1024

/* Every parameter carries an explicit cast: its type is then fixed at
 * prepare time and the binary parameters below are unambiguous. */
static const char *const sql[Q_COUNT] = {
	[Q_PARTY_PUT] = "INSERT INTO party(name, vkey, self, pin, endpoint)"
			" VALUES ($1::text, $2::text, $3::bigint, $4::text, $5::text)"
			" ON CONFLICT (name) DO UPDATE SET vkey = EXCLUDED.vkey,"
			" pin = EXCLUDED.pin, endpoint = EXCLUDED.endpoint",
	[Q_PARTY_GET] = "SELECT name, vkey, self, pin, endpoint FROM party WHERE name = $1::text",
	[Q_PARTY_SELF] = "SELECT name, vkey, self, pin, endpoint FROM party WHERE self = 1",
	[Q_PARTY_EACH] = "SELECT name, vkey, self, pin, endpoint FROM party WHERE self = 0 ORDER BY name",
	[Q_DELIVERY_PUT] = "INSERT INTO delivery(peer, last_attempt, last_ok, failures, last_error)"
			   " VALUES ($1::text, $2::bigint, $3::bigint, $4::bigint, $5::text)"
			   " ON CONFLICT (peer) DO UPDATE SET last_attempt = EXCLUDED.last_attempt,"
			   " last_ok = EXCLUDED.last_ok, failures = EXCLUDED.failures,"
			   " last_error = EXCLUDED.last_error",
	[Q_DELIVERY_GET] = "SELECT peer, last_attempt, last_ok, failures, last_error FROM delivery"
			   " WHERE peer = $1::text",
	[Q_EVIDENCE_ADD] = "INSERT INTO evidence(origin, size, time, reason, note, note_hash)"
			   " VALUES ($1::text, $2::bigint, $3::bigint, $4::text, $5::bytea, $6::bytea)"
			   " ON CONFLICT DO NOTHING",
	[Q_EVIDENCE_EACH] = "SELECT id, origin, size, time, reason, note FROM evidence"
			    " WHERE id >= $1::bigint ORDER BY id LIMIT 1024",
	[Q_OP_ADD] = "INSERT INTO operator(name, role, token_hash, created)"
		     " VALUES ($1::text, $2::text, $3::bytea, $4::bigint)",
	[Q_OP_TOKEN] = "SELECT name, role, created, revoked, token_hash FROM operator"
		       " WHERE token_hash = $1::bytea",
	[Q_OP_REVOKE] = "UPDATE operator SET revoked = 1 WHERE name = $1::text",
	[Q_OP_EACH] = "SELECT name, role, created, revoked, token_hash FROM operator ORDER BY name",
	[Q_AUDIT_ADD] = "INSERT INTO audit(time, operator, action, outcome)"
			" VALUES ($1::bigint, $2::text, $3::text, $4::text)",
	[Q_RECEIPT_TIME] = "SELECT min(s.time) FROM checkpoint c JOIN cosignature s ON s.checkpoint = c.id"
			   " WHERE c.log = $1::bigint AND c.size > $2::bigint AND s.cosigner = $3::text",
	[Q_RECEIPTED] = "SELECT c.size, s.time FROM checkpoint c JOIN cosignature s ON s.checkpoint = c.id"
			" WHERE c.log = $1::bigint AND s.cosigner = $2::text ORDER BY c.size DESC LIMIT 1",
	[Q_RECEIPTS] = "SELECT c.size, s.time FROM checkpoint c JOIN cosignature s"
		       " ON s.checkpoint = c.id AND s.cosigner = $3::text"
		       " WHERE c.log = $1::bigint AND c.size >= $2::bigint ORDER BY c.size LIMIT 1024",
	[Q_LOG_GET] = "SELECT id, origin, sender, receiver, size FROM log WHERE origin = $1::text",
	[Q_LOG_LOCK] = "SELECT id, origin, sender, receiver, size FROM log WHERE origin = $1::text"
		       " FOR UPDATE",
	[Q_LOG_CREATE] = "INSERT INTO log(origin, sender, receiver) VALUES ($1::text, $2::text, $3::text)"
			 " ON CONFLICT (origin) DO NOTHING RETURNING id",
	[Q_LOG_EACH] = "SELECT id, origin, sender, receiver, size FROM log ORDER BY origin",
	[Q_LOG_SIZE] = "UPDATE log SET size = $2::bigint WHERE id = $1::bigint",
	[Q_ENTRY_PUT] = "INSERT INTO entry(log, idx, leaf, envelope, body)"
			" VALUES ($1::bigint, $2::bigint, $3::bytea, $4::bytea, $5::bytea)",
	[Q_ENTRY_GET] = "SELECT envelope FROM entry WHERE log = $1::bigint AND idx = $2::bigint",
	[Q_ENTRY_BODY] = "SELECT body FROM entry WHERE log = $1::bigint AND idx = $2::bigint"
			 " AND body IS NOT NULL",
	[Q_SCAN] = "SELECT idx, envelope, leaf, body FROM entry WHERE log = $1::bigint"
		   " AND idx >= $2::bigint ORDER BY idx LIMIT 1024",
	[Q_NODE_PUT] = "INSERT INTO node(log, level, idx, hash)"
		       " VALUES ($1::bigint, $2::bigint, $3::bigint, $4::bytea)",
	[Q_NODE_GET] = "SELECT hash FROM node WHERE log = $1::bigint AND level = $2::bigint"
		       " AND idx = $3::bigint",
	[Q_LEAF_GET] = "SELECT leaf FROM entry WHERE log = $1::bigint AND idx = $2::bigint",
	[Q_TILE_PUT] = "INSERT INTO tile(log, block, hashes) VALUES ($1::bigint, $2::bigint, $3::bytea)"
		       " ON CONFLICT (log, block) DO UPDATE SET hashes = EXCLUDED.hashes",
	[Q_TILE_GET] = "SELECT hashes FROM tile WHERE log = $1::bigint AND block = $2::bigint",
	[Q_FACT_PUT] = "INSERT INTO fact(log, block, data) VALUES ($1::bigint, $2::bigint, $3::bytea)"
		       " ON CONFLICT (log, block) DO UPDATE SET data = EXCLUDED.data",
	[Q_FACT_GET] = "SELECT data FROM fact WHERE log = $1::bigint AND block = $2::bigint",
	[Q_FACT_SCAN] = "SELECT block, data FROM fact WHERE log = $1::bigint AND block >= $2::bigint"
			" ORDER BY block LIMIT 1024",
	[Q_CASE_PUT] = "INSERT INTO casefact(log, k, data) VALUES ($1::bigint, $2::bigint, $3::bytea)"
		       " ON CONFLICT (log, k) DO UPDATE SET data = EXCLUDED.data",
	[Q_CASE_GET] = "SELECT data FROM casefact WHERE log = $1::bigint AND k = $2::bigint",
	[Q_CASE_SCAN] = "SELECT k, data FROM casefact WHERE log = $1::bigint AND k >= $2::bigint"
			" AND k < $3::bigint ORDER BY k LIMIT 1024",
	[Q_BODY_PUT] = "INSERT INTO body(hash, data) VALUES ($1::bytea, $2::bytea)"
		       " ON CONFLICT (hash) DO NOTHING",
	[Q_BODY_GET] = "SELECT data FROM body WHERE hash = $1::bytea",
	[Q_CP_FIND] = "SELECT id, log, size, root, note FROM checkpoint"
		      " WHERE log = $1::bigint AND size = $2::bigint",
	[Q_CP_PUT] = "INSERT INTO checkpoint(log, size, root, note)"
		     " VALUES ($1::bigint, $2::bigint, $3::bytea, $4::bytea) RETURNING id",
	[Q_CP_EACH] = "SELECT id, log, size, root, note FROM checkpoint"
		      " WHERE log = $1::bigint AND size >= $2::bigint ORDER BY size LIMIT 1024",
	[Q_CP_LATEST] = "SELECT id, log, size, root, note FROM checkpoint WHERE log = $1::bigint"
			" ORDER BY size DESC LIMIT 1",
	[Q_COSIG_PUT] = "INSERT INTO cosignature(checkpoint, cosigner, time, line)"
			" VALUES ($1::bigint, $2::text, $3::bigint, $4::text) ON CONFLICT DO NOTHING",
	[Q_COSIG_EACH] = "SELECT checkpoint, cosigner, time, line FROM cosignature"
			 " WHERE checkpoint = $1::bigint ORDER BY cosigner",
	[Q_BODY_EACH] = "SELECT hash, data FROM body WHERE hash > $1::bytea ORDER BY hash LIMIT 1024",
	[Q_AUDIT_EACH] = "SELECT id, time, operator, action, outcome FROM audit"
			 " WHERE id >= $1::bigint ORDER BY id LIMIT 1024",
	[Q_LEASE_TAKE] = "INSERT INTO lease(name, holder, expires)"
			 " VALUES ($1::text, $2::text, " NOW_MS " + $3::bigint)"
			 " ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder,"
			 " expires = EXCLUDED.expires"
			 " WHERE lease.expires < " NOW_MS " OR lease.holder = EXCLUDED.holder",
	[Q_LEASE_RELEASE] = "UPDATE lease SET expires = 0 WHERE name = $1::text AND holder = $2::text",
};

/* A tile, as in store_sqlite.c: a presence bitmap, then the hashes of
 * levels 1..7 of one 256-leaf block, level by level (254 slots). */
#define TILE_LEVELS 7
#define TILE_SLOTS 254
#define TILE_MAP 32
#define TILE_BYTES (TILE_MAP + TILE_SLOTS * 32)

struct tile {
	int64_t log;   /* 0: none */
	int64_t block;
	uint8_t b[TILE_BYTES];
};

/* Pipelined statements between reads of their results (invariant 5):
 * their results are small, so the server never blocks writing them. */
#define PIPE_MAX 256

struct pg_store {
	struct store base; /* first: a struct store * is a struct pg_store * */
	PGconn *db;
	char name[160];    /* "postgresql://host/db" for messages: no password */
	int in_txn;
	int pipe_n;        /* statements sent in pipeline mode, results unread */
	const char *pipe_what[PIPE_MAX];
	/* The tile being written in the open transaction: node_put fills it,
	 * reads see it, commit writes it, rollback drops it. */
	struct tile pend;
	int pend_dirty;
	/* The last tile read, reused within one nodes_get call only: another
	 * frontend may add nodes to a partial tile between calls. */
	struct tile last;
};

static struct pg_store *S(struct store *s)
{
	return (struct pg_store *)s;
}

/* Binary parameters of one statement. */
#define MAX_PARAMS 6

struct params {
	int n;
	const char *v[MAX_PARAMS];
	int len[MAX_PARAMS];
	int fmt[MAX_PARAMS];
	unsigned char i64[MAX_PARAMS][8];
};

static void p_i64(struct params *p, int64_t x)
{
	uint64_t u = (uint64_t)x;

	assert(p->n < MAX_PARAMS);
	for (int i = 0; i < 8; i++)
		p->i64[p->n][i] = (unsigned char)(u >> (56 - 8 * i));
	p->v[p->n] = (const char *)p->i64[p->n];
	p->len[p->n] = 8;
	p->fmt[p->n++] = 1;
}

/* len is bounded by the callers (STORE_BLOB_MAX plus sealing, notes,
 * names) far below INT_MAX. */
static void p_bytes(struct params *p, const void *b, size_t len)
{
	assert(p->n < MAX_PARAMS && len <= INT_MAX);
	p->v[p->n] = len ? b : "";
	p->len[p->n] = (int)len;
	p->fmt[p->n++] = 1;
}

/* SQL NULL. */
static void p_null(struct params *p)
{
	assert(p->n < MAX_PARAMS);
	p->v[p->n] = NULL;
	p->len[p->n] = 0;
	p->fmt[p->n++] = 1;
}

static void p_text(struct params *p, const char *t)
{
	p_bytes(p, t, strlen(t));
}

/* Integer column of any width (binary, big-endian); NULL reads as 0. */
static int64_t col_i64(const PGresult *r, int row, int col)
{
	const unsigned char *v = (const unsigned char *)PQgetvalue(r, row, col);
	int n = PQgetlength(r, row, col);
	uint64_t u = 0;

	if (PQgetisnull(r, row, col) || n < 1 || n > 8)
		return 0;
	for (int i = 0; i < n; i++)
		u = u << 8 | v[i];
	if (n < 8 && (v[0] & 0x80))
		u |= ~UINT64_C(0) << (8 * n);
	return (int64_t)u;
}

static void col_text(char *dst, size_t cap, const PGresult *r, int row, int col)
{
	size_t n = (size_t)PQgetlength(r, row, col);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, PQgetvalue(r, row, col), n);
	dst[n] = '\0';
}

/* Copies a column into a malloc'd buffer (NUL-terminated). */
static int col_dup(const PGresult *r, int row, int col, void **buf,
		   size_t *len, struct err *e)
{
	size_t n = (size_t)PQgetlength(r, row, col);
	char *b = malloc(n + 1);

	if (!b)
		return err_set(e, ERR_NOMEM, "out of memory reading %zu bytes", n);
	memcpy(b, PQgetvalue(r, row, col), n);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static const char *sqlstate(const PGresult *r)
{
	const char *c = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	return c ? c : "";
}

/* Sets e from a failed result (or the connection's error): ERR_FULL for a
 * full disk (SQLSTATE 53100), ERR_READONLY for a server that takes no
 * writes (25006: a standby, default_transaction_read_only), as
 * store_sqlite.c does; ERR_RETRY for a transaction that lost to a
 * concurrent one and was rolled back (40001 serialization failure, which
 * serializable engines report often; 40P01 deadlock, e.g. two appends to
 * different logs inserting the same two bodies in opposite orders);
 * ERR_STORE otherwise. */
static int db_err(struct pg_store *s, const PGresult *r, struct err *e,
		  const char *what)
{
	const char *msg = r ? PQresultErrorMessage(r) : "", *state = sqlstate(r);
	size_t n;

	if (!*msg)
		msg = PQerrorMessage(s->db);
	n = strcspn(msg, "\n");
	if (strcmp(state, "53100") == 0)
		return err_set(e, ERR_FULL, "%s: %s: the disk or the database is full; "
			       "nothing was written (%.*s)", s->name, what, (int)n, msg);
	if (strcmp(state, "25006") == 0)
		return err_set(e, ERR_READONLY, "%s: %s: the store is read-only (%.*s); "
			       "nothing was written", s->name, what, (int)n, msg);
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return err_set(e, ERR_RETRY, "%s: %s: %.*s (SQLSTATE %s)", s->name, what,
			       (int)n, msg, state);
	return err_set(e, ERR_STORE, "%s: %s: %.*s", s->name, what, (int)n, msg);
}

static int prepare_all(struct pg_store *s, struct err *e)
{
	char name[16];

	for (int i = 0; i < Q_COUNT; i++) {
		PGresult *r;

		snprintf(name, sizeof(name), "q%d", i);
		r = PQprepare(s->db, name, sql[i], 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			int rc = db_err(s, r, e, "preparing statements");
			PQclear(r);
			return rc;
		}
		PQclear(r);
	}
	return 0;
}

/* Sets a new session up: durable commits (invariant 3) and the prepared
 * statements. synchronous_commit = off would acknowledge commits before
 * they are on disk: it is raised to on; stronger settings (remote_write,
 * remote_apply for standbys) are kept. An engine without the setting
 * commits durably anyway (replicated engines acknowledge after
 * consensus), so its refusal is not an error. */
static int session_start(struct pg_store *s, struct err *e)
{
	PGresult *r = PQexec(s->db, "SHOW synchronous_commit");

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    strcmp(PQgetvalue(r, 0, 0), "off") == 0) {
		PQclear(r);
		r = PQexec(s->db, "SET synchronous_commit = on");
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			int rc = db_err(s, r, e, "turning synchronous_commit on");
			PQclear(r);
			return rc;
		}
	}
	PQclear(r);
	return prepare_all(s, e);
}

/* Outside a transaction a broken connection is reset once (the server
 * restarted, a proxy dropped it); inside one, the transaction is lost and
 * the caller sees the error. */
static int ensure_conn(struct pg_store *s, struct err *e)
{
	if (PQstatus(s->db) == CONNECTION_OK || s->in_txn)
		return 0;
	PQreset(s->db);
	if (PQstatus(s->db) != CONNECTION_OK)
		return db_err(s, NULL, e, "reconnecting");
	return session_start(s, e);
}

/* Runs prepared statement i with binary parameters and results; the
 * result, failed or not, is the caller's to PQclear. */
static PGresult *exec_q(struct pg_store *s, int i, const struct params *p)
{
	char name[16];

	snprintf(name, sizeof(name), "q%d", i);
	return PQexecPrepared(s->db, name, p ? p->n : 0, p ? p->v : NULL,
			      p ? p->len : NULL, p ? p->fmt : NULL, 1);
}

/* Reads the results of the pipelined statements and leaves pipeline mode.
 * Returns 0, or the first failure (the statements after it were skipped
 * by the server). */
static int pipe_flush(struct pg_store *s, struct err *e)
{
	int rc = 0, gaps = 0, n = s->pipe_n;

	if (n == 0)
		return 0;
	s->pipe_n = 0;
	if (PQpipelineSync(s->db) != 1)
		rc = db_err(s, NULL, e, "sending a batch of writes");
	for (;;) {
		PGresult *r = PQgetResult(s->db);
		ExecStatusType st;

		if (!r) {
			/* A NULL ends each statement's results; the sync's comes
			 * after the n-th. One more means no sync is coming. */
			if (++gaps > n || PQstatus(s->db) != CONNECTION_OK) {
				if (rc == 0)
					rc = db_err(s, NULL, e, "reading the results of a batch of writes");
				break;
			}
			continue;
		}
		st = PQresultStatus(r);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			break;
		}
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
		    st != PGRES_PIPELINE_ABORTED && rc == 0)
			rc = db_err(s, r, e, gaps < n ? s->pipe_what[gaps] : "a batch of writes");
		PQclear(r);
	}
	if (PQexitPipelineMode(s->db) != 1 && rc == 0)
		rc = db_err(s, NULL, e, "ending a batch of writes");
	return rc;
}

static int run0(struct pg_store *s, int i, const struct params *p,
		struct err *e, const char *what);

/* Runs a write whose result is not needed: pipelined inside a transaction
 * (invariant 5), at once outside one. */
static int run_write(struct pg_store *s, int i, const struct params *p,
		     struct err *e, const char *what)
{
	char name[16];
	int rc;

	if (!s->in_txn)
		return run0(s, i, p, e, what);
	if (s->pipe_n == PIPE_MAX && (rc = pipe_flush(s, e)) < 0)
		return rc;
	if (s->pipe_n == 0 && PQenterPipelineMode(s->db) != 1)
		return db_err(s, NULL, e, "starting a batch of writes");
	snprintf(name, sizeof(name), "q%d", i);
	if (!PQsendQueryPrepared(s->db, name, p->n, p->v, p->len, p->fmt, 1)) {
		rc = db_err(s, NULL, e, what);
		/* What was sent before is answered; then the batch ends. */
		pipe_flush(s, NULL);
		return rc;
	}
	s->pipe_what[s->pipe_n++] = what;
	return 0;
}

/* One try of run(). */
static int run_once(struct pg_store *s, int i, const struct params *p,
		    PGresult **out, struct err *e, const char *what)
{
	PGresult *r;
	ExecStatusType st;
	int rc;

	*out = NULL;
	if ((rc = ensure_conn(s, e)) < 0 || (rc = pipe_flush(s, e)) < 0)
		return rc;
	r = exec_q(s, i, p);
	st = PQresultStatus(r);
	if (st == PGRES_FATAL_ERROR && PQstatus(s->db) == CONNECTION_BAD && !s->in_txn &&
	    strncmp(sql[i], "SELECT", 6) == 0) {
		PQclear(r);
		if ((rc = ensure_conn(s, e)) < 0)
			return rc;
		r = exec_q(s, i, p);
		st = PQresultStatus(r);
	}
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		rc = db_err(s, r, e, what);
		PQclear(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* Runs prepared statement i. On success *out is the result (caller
 * PQclears it); on failure e says why. A read outside a transaction whose
 * connection broke (the server restarted) is tried once more on a new
 * connection; a write is not, as it may have been done. A statement
 * outside a transaction that lost to a concurrent one (ERR_RETRY) was
 * rolled back whole and is run again, up to STORE_TRIES times; inside one,
 * the transaction is lost and store.c runs it again. */
static int run(struct pg_store *s, int i, const struct params *p,
	       PGresult **out, struct err *e, const char *what)
{
	int rc, tries = 1;

	while ((rc = run_once(s, i, p, out, e, what)) == ERR_RETRY && !s->in_txn) {
		if (tries == STORE_TRIES)
			return store_retry_give_up(e, tries);
		store_retry_pause(&s->base, tries++);
	}
	return rc;
}

/* Runs a statement whose rows are not needed. */
static int run0(struct pg_store *s, int i, const struct params *p,
		struct err *e, const char *what)
{
	PGresult *r;
	int rc = run(s, i, p, &r, e, what);

	PQclear(r);
	return rc;
}

/* Runs plain SQL text without parameters. */
static int exec(struct pg_store *s, const char *text, struct err *e)
{
	PGresult *r;
	ExecStatusType st;
	int rc;

	if ((rc = pipe_flush(s, e)) < 0)
		return rc;
	r = PQexec(s->db, text);
	st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = db_err(s, r, e, text);
	PQclear(r);
	return rc;
}

static void pg_close(struct store *base)
{
	struct pg_store *s = S(base);

	PQfinish(s->db);
	free(s);
}

static int pg_begin(struct store *base, struct err *e)
{
	struct pg_store *s = S(base);
	int rc;

	if ((rc = ensure_conn(s, e)) < 0)
		return rc;
	/* READ COMMITTED: a writer that waited for a log's row lock must then
	 * see what the holder committed (invariant 1). */
	if ((rc = exec(s, "BEGIN ISOLATION LEVEL READ COMMITTED", e)) < 0)
		return rc;
	s->in_txn = 1;
	return 0;
}

static void log_row(const PGresult *r, int row, struct store_log *l)
{
	l->id = col_i64(r, row, 0);
	col_text(l->origin, sizeof(l->origin), r, row, 1);
	col_text(l->sender, sizeof(l->sender), r, row, 2);
	col_text(l->receiver, sizeof(l->receiver), r, row, 3);
	l->size = (uint64_t)col_i64(r, row, 4);
}

static int log_read(struct pg_store *s, int q, const char *origin,
		    struct store_log *out, struct err *e)
{
	struct params p = { 0 };
	PGresult *r;
	int rc;

	p_text(&p, origin);
	if ((rc = run(s, q, &p, &r, e, "reading a log")) < 0)
		return rc;
	if (PQntuples(r) == 1)
		log_row(r, 0, out);
	else
		rc = err_set(e, ERR_NOTFOUND, "no log %s", origin);
	PQclear(r);
	return rc;
}

static int pg_begin_log(struct store *base, const char *origin,
			struct store_log *out, struct err *e)
{
	int rc;

	if ((rc = pg_begin(base, e)) < 0)
		return rc;
	return log_read(S(base), Q_LOG_LOCK, origin, out, e);
}

static int tile_flush(struct pg_store *s, struct err *e)
{
	struct params p = { 0 };

	if (!s->pend_dirty)
		return 0;
	p_i64(&p, s->pend.log);
	p_i64(&p, s->pend.block);
	p_bytes(&p, s->pend.b, TILE_BYTES);
	s->pend_dirty = 0;
	return run_write(s, Q_TILE_PUT, &p, e, "storing a tree tile");
}

static int pg_commit(struct store *base, struct err *e)
{
	struct pg_store *s = S(base);
	PGresult *r;
	int rc;

	if ((rc = tile_flush(s, e)) < 0 || (rc = pipe_flush(s, e)) < 0)
		return rc;
	s->pend.log = 0;
	s->last.log = 0;
	r = PQexec(s->db, "COMMIT");
	/* COMMIT of a transaction that had failed answers "ROLLBACK". */
	if (PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(PQcmdStatus(r), "COMMIT") != 0)
		rc = db_err(s, r, e, "committing");
	else
		s->in_txn = 0;
	PQclear(r);
	return rc;
}

static void pg_rollback(struct store *base)
{
	struct pg_store *s = S(base);

	s->pend.log = 0;
	s->pend_dirty = 0;
	s->last.log = 0;
	pipe_flush(s, NULL); /* its failure is why we roll back */
	if (PQtransactionStatus(s->db) != PQTRANS_IDLE)
		PQclear(PQexec(s->db, "ROLLBACK"));
	s->in_txn = 0;
}

static int pg_party_put(struct store *base, const struct store_party *p,
			struct err *e)
{
	struct params a = { 0 };

	p_text(&a, p->name);
	p_text(&a, p->vkey);
	p_i64(&a, p->self ? 1 : 0);
	p_text(&a, p->pin);
	p_text(&a, p->endpoint);
	return run0(S(base), Q_PARTY_PUT, &a, e, "storing a party");
}

static void party_row(const PGresult *r, int row, struct store_party *p)
{
	col_text(p->name, sizeof(p->name), r, row, 0);
	col_text(p->vkey, sizeof(p->vkey), r, row, 1);
	p->self = (int)col_i64(r, row, 2);
	col_text(p->pin, sizeof(p->pin), r, row, 3);
	col_text(p->endpoint, sizeof(p->endpoint), r, row, 4);
}

static int pg_party_get(struct store *base, const char *name,
			struct store_party *p, struct err *e)
{
	struct params a = { 0 };
	PGresult *r;
	int rc;

	if (name)
		p_text(&a, name);
	if ((rc = run(S(base), name ? Q_PARTY_GET : Q_PARTY_SELF, &a, &r, e,
		      "reading a party")) < 0)
		return rc;
	if (PQntuples(r) == 1)
		party_row(r, 0, p);
	else
		rc = err_set(e, ERR_NOTFOUND, name ? "unknown party '%s'" : "%s",
			     name ? name : "the store has no own party");
	PQclear(r);
	return rc;
}

/* The small lists (parties, operators, logs, cosignatures) are read whole:
 * fn may call back into the store, and a result in memory allows that. */
static int pg_party_each(struct store *base, store_party_fn fn, void *ctx,
			 struct err *e)
{
	struct store_party p;
	PGresult *r;
	int rc;

	if ((rc = run(S(base), Q_PARTY_EACH, NULL, &r, e, "listing parties")) < 0)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		party_row(r, i, &p);
		rc = fn(ctx, &p);
	}
	PQclear(r);
	return rc;
}

static int pg_delivery_put(struct store *base, const struct store_delivery *d,
			   struct err *e)
{
	struct params a = { 0 };

	p_text(&a, d->peer);
	p_i64(&a, d->last_attempt);
	p_i64(&a, d->last_ok);
	p_i64(&a, (int64_t)d->failures);
	p_text(&a, d->last_error);
	return run0(S(base), Q_DELIVERY_PUT, &a, e, "storing delivery state");
}

static int pg_delivery_get(struct store *base, const char *peer,
			   struct store_delivery *d, struct err *e)
{
	struct params a = { 0 };
	PGresult *r;
	int rc;

	p_text(&a, peer);
	if ((rc = run(S(base), Q_DELIVERY_GET, &a, &r, e, "reading delivery state")) < 0)
		return rc;
	if (PQntuples(r) == 1) {
		col_text(d->peer, sizeof(d->peer), r, 0, 0);
		d->last_attempt = col_i64(r, 0, 1);
		d->last_ok = col_i64(r, 0, 2);
		d->failures = (uint64_t)col_i64(r, 0, 3);
		col_text(d->last_error, sizeof(d->last_error), r, 0, 4);
	} else {
		rc = err_set(e, ERR_NOTFOUND, "no delivery attempt to %s yet", peer);
	}
	PQclear(r);
	return rc;
}

static int pg_evidence_add(struct store *base, const char *origin, uint64_t size,
			   int64_t time, const char *reason, const char *note,
			   struct err *e)
{
	struct params a = { 0 };
	uint8_t h[32];

	merkle_sha256(h, note, strlen(note));
	p_text(&a, origin);
	p_i64(&a, (int64_t)size);
	p_i64(&a, time);
	p_text(&a, reason);
	p_text(&a, note);
	p_bytes(&a, h, 32);
	return run0(S(base), Q_EVIDENCE_ADD, &a, e, "storing evidence");
}

static int pg_evidence_each(struct store *base, store_evidence_fn fn, void *ctx,
			    struct err *e)
{
	struct pg_store *s = S(base);
	struct store_evidence v;
	int64_t from = 0;
	int rows, rc = 0;

	do {
		struct params a = { 0 };
		PGresult *r;

		p_i64(&a, from);
		if ((rc = run(s, Q_EVIDENCE_EACH, &a, &r, e, "listing evidence")) < 0)
			return rc;
		rows = PQntuples(r);
		for (int i = 0; i < rows && rc == 0; i++) {
			size_t len;

			from = col_i64(r, i, 0) + 1;
			col_text(v.origin, sizeof(v.origin), r, i, 1);
			v.size = (uint64_t)col_i64(r, i, 2);
			v.time = col_i64(r, i, 3);
			col_text(v.reason, sizeof(v.reason), r, i, 4);
			if ((rc = col_dup(r, i, 5, (void **)&v.note, &len, e)) < 0)
				break;
			rc = fn(ctx, &v);
			free(v.note);
		}
		PQclear(r);
	} while (rc == 0 && rows == PAGE_ROWS);
	return rc;
}

static int pg_operator_add(struct store *base, const struct store_operator *op,
			   const uint8_t hash[static 32], struct err *e)
{
	struct pg_store *s = S(base);
	struct params a = { 0 };
	PGresult *r;
	int rc;

	p_text(&a, op->name);
	p_text(&a, op->role);
	p_bytes(&a, hash, 32);
	p_i64(&a, op->created);
	if ((rc = ensure_conn(s, e)) < 0)
		return rc;
	r = exec_q(s, Q_OP_ADD, &a);
	if (PQresultStatus(r) == PGRES_COMMAND_OK)
		rc = 0;
	else if (strcmp(sqlstate(r), "23505") == 0) /* unique_violation */
		rc = err_set(e, ERR_EXISTS, "an operator named '%s' exists already", op->name);
	else
		rc = db_err(s, r, e, "adding an operator");
	PQclear(r);
	return rc;
}

static void op_row(const PGresult *r, int row, struct store_operator *op)
{
	col_text(op->name, sizeof(op->name), r, row, 0);
	col_text(op->role, sizeof(op->role), r, row, 1);
	op->created = col_i64(r, row, 2);
	op->revoked = (int)col_i64(r, row, 3);
	memset(op->token_hash, 0, 32);
	if (PQgetlength(r, row, 4) == 32)
		memcpy(op->token_hash, PQgetvalue(r, row, 4), 32);
}

static int pg_operator_by_token(struct store *base, const uint8_t hash[static 32],
				struct store_operator *op, struct err *e)
{
	struct params a = { 0 };
	PGresult *r;
	int rc;

	p_bytes(&a, hash, 32);
	if ((rc = run(S(base), Q_OP_TOKEN, &a, &r, e, "reading operators")) < 0)
		return rc;
	if (PQntuples(r) == 1)
		op_row(r, 0, op);
	else
		rc = err_set(e, ERR_NOTFOUND, "no operator has that token");
	PQclear(r);
	return rc;
}

static int pg_operator_revoke(struct store *base, const char *name, struct err *e)
{
	struct params a = { 0 };
	PGresult *r;
	int rc;

	p_text(&a, name);
	if ((rc = run(S(base), Q_OP_REVOKE, &a, &r, e, "revoking an operator")) < 0)
		return rc;
	if (strcmp(PQcmdTuples(r), "0") == 0)
		rc = err_set(e, ERR_NOTFOUND, "no operator named '%s'", name);
	PQclear(r);
	return rc;
}

static int pg_operator_each(struct store *base, store_operator_fn fn, void *ctx,
			    struct err *e)
{
	struct store_operator op;
	PGresult *r;
	int rc;

	if ((rc = run(S(base), Q_OP_EACH, NULL, &r, e, "listing operators")) < 0)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		op_row(r, i, &op);
		rc = fn(ctx, &op);
	}
	PQclear(r);
	return rc;
}

static int pg_audit_add(struct store *base, int64_t time, const char *who,
			const char *action, const char *outcome, struct err *e)
{
	struct params a = { 0 };

	p_i64(&a, time);
	p_text(&a, who);
	p_text(&a, action);
	p_text(&a, outcome);
	return run0(S(base), Q_AUDIT_ADD, &a, e, "recording an operator action");
}

static int pg_lease_take(struct store *base, const char *name, const char *holder,
			 int64_t ttl_ms, int *held, struct err *e)
{
	struct params a = { 0 };
	PGresult *r;
	int rc;

	p_text(&a, name);
	p_text(&a, holder);
	p_i64(&a, ttl_ms);
	if ((rc = run(S(base), Q_LEASE_TAKE, &a, &r, e, "taking a lease")) < 0)
		return rc;
	*held = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	return 0;
}

static int pg_lease_release(struct store *base, const char *name, const char *holder,
			    struct err *e)
{
	struct params a = { 0 };

	p_text(&a, name);
	p_text(&a, holder);
	return run0(S(base), Q_LEASE_RELEASE, &a, e, "releasing a lease");
}

static int pg_receipt_time(struct store *base, int64_t log, uint64_t index,
			   const char *cosigner, uint64_t *time, struct err *e)
{
	struct params a = { 0 };
	PGresult *r;
	int rc;

	p_i64(&a, log);
	p_i64(&a, (int64_t)index);
	p_text(&a, cosigner);
	*time = 0;
	if ((rc = run(S(base), Q_RECEIPT_TIME, &a, &r, e, "reading receipt times")) < 0)
		return rc;
	if (PQntuples(r) == 1)
		*time = (uint64_t)col_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

static int pg_receipted(struct store *base, int64_t log, const char *cosigner,
			uint64_t *size, uint64_t *time, struct err *e)
{
	struct params a = { 0 };
	PGresult *r;
	int rc;

	p_i64(&a, log);
	p_text(&a, cosigner);
	*size = 0;
	*time = 0;
	if ((rc = run(S(base), Q_RECEIPTED, &a, &r, e, "reading receipts")) < 0)
		return rc;
	if (PQntuples(r) == 1) {
		*size = (uint64_t)col_i64(r, 0, 0);
		*time = (uint64_t)col_i64(r, 0, 1);
	}
	PQclear(r);
	return 0;
}

static int pg_log_get(struct store *base, const char *origin,
		      struct store_log *out, struct err *e)
{
	return log_read(S(base), Q_LOG_GET, origin, out, e);
}

/* Invariant 2: if another frontend created the log first, *log becomes
 * that row (locked, inside a transaction), its size included. */
static int pg_log_create(struct store *base, struct store_log *log,
			 struct err *e)
{
	struct pg_store *s = S(base);
	struct params a = { 0 };
	PGresult *r;
	int rc;

	p_text(&a, log->origin);
	p_text(&a, log->sender);
	p_text(&a, log->receiver);
	if ((rc = run(s, Q_LOG_CREATE, &a, &r, e, "creating a log")) < 0)
		return rc;
	if (PQntuples(r) == 1) {
		log->id = col_i64(r, 0, 0);
		log->size = 0;
		PQclear(r);
		return 0;
	}
	PQclear(r);
	return log_read(s, s->in_txn ? Q_LOG_LOCK : Q_LOG_GET, log->origin, log, e);
}

static int pg_log_each(struct store *base, store_log_fn fn, void *ctx,
		       struct err *e)
{
	struct store_log l;
	PGresult *r;
	int rc;

	if ((rc = run(S(base), Q_LOG_EACH, NULL, &r, e, "listing logs")) < 0)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		log_row(r, i, &l);
		rc = fn(ctx, &l);
	}
	PQclear(r);
	return rc;
}

static int pg_log_set_size(struct store *base, int64_t log, uint64_t size,
			   struct err *e)
{
	struct params a = { 0 };

	p_i64(&a, log);
	p_i64(&a, (int64_t)size);
	return run_write(S(base), Q_LOG_SIZE, &a, e, "updating a log size");
}

static int pg_entry_put(struct store *base, int64_t log, uint64_t index,
			const uint8_t leaf[static 32], const char *env,
			size_t len, const void *body, size_t body_len, struct err *e)
{
	struct params a = { 0 };

	p_i64(&a, log);
	p_i64(&a, (int64_t)index);
	p_bytes(&a, leaf, 32);
	p_bytes(&a, env, len);
	if (body)
		p_bytes(&a, body, body_len);
	else
		p_null(&a);
	return run_write(S(base), Q_ENTRY_PUT, &a, e, "storing an entry");
}

/* Runs a query for one bytea value: 0 and *buf (malloc'd), 1 if no row,
 * or an error. */
static int run_blob(struct pg_store *s, int q, struct params *a, void **buf, size_t *len,
		    struct err *e, const char *what)
{
	PGresult *r;
	int rc;

	if ((rc = run(s, q, a, &r, e, what)) < 0)
		return rc;
	rc = PQntuples(r) == 1 ? col_dup(r, 0, 0, buf, len, e) : 1;
	PQclear(r);
	return rc;
}

static int pg_entry_get(struct store *base, int64_t log, uint64_t index,
			char **buf, size_t *len, struct err *e)
{
	struct params a = { 0 };
	int rc;

	p_i64(&a, log);
	p_i64(&a, (int64_t)index);
	if ((rc = run_blob(S(base), Q_ENTRY_GET, &a, (void **)buf, len, e, "reading an entry")) == 1)
		rc = err_set(e, ERR_NOTFOUND, "no entry %" PRIu64 " in log %" PRId64, index, log);
	return rc;
}

static int pg_entry_body(struct store *base, int64_t log, uint64_t index,
			 void **buf, size_t *len, struct err *e)
{
	struct params a = { 0 };
	int rc;

	p_i64(&a, log);
	p_i64(&a, (int64_t)index);
	if ((rc = run_blob(S(base), Q_ENTRY_BODY, &a, buf, len, e, "reading a body")) == 1)
		rc = err_set(e, ERR_NOTFOUND, "no body in the row of entry %" PRIu64, index);
	return rc;
}

/* Pages through the rows of query q for log ordered by its first column
 * (an index, block or size from $2 on), PAGE_ROWS at a time, calling row
 * for each; non-zero from row stops. $3 is to, if to >= 0 (rows below
 * it), or text, if not NULL. */
static int paged_query(struct pg_store *s, int q, int64_t log, int64_t from, int64_t to,
		       const char *text, int (*row)(void *ctx, const PGresult *r, int i),
		       void *ctx, struct err *e, const char *what)
{
	int rows, rc = 0;

	do {
		struct params a = { 0 };
		PGresult *r;

		p_i64(&a, log);
		p_i64(&a, from);
		if (to >= 0)
			p_i64(&a, to);
		else if (text)
			p_text(&a, text);
		if ((rc = run(s, q, &a, &r, e, what)) < 0)
			return rc;
		rows = PQntuples(r);
		for (int i = 0; i < rows && rc == 0; i++) {
			from = col_i64(r, i, 0) + 1;
			rc = row(ctx, r, i);
		}
		PQclear(r);
	} while (rc == 0 && rows == PAGE_ROWS);
	return rc;
}

static int paged_from(struct pg_store *s, int q, int64_t log, int64_t from,
		      int (*row)(void *ctx, const PGresult *r, int i), void *ctx, struct err *e,
		      const char *what)
{
	return paged_query(s, q, log, from, -1, NULL, row, ctx, e, what);
}

struct receipts_ctx {
	store_receipt_fn fn;
	void *ctx;
};

static int receipt_row(void *ctx, const PGresult *r, int i)
{
	struct receipts_ctx *rc = ctx;

	return rc->fn(rc->ctx, (uint64_t)col_i64(r, i, 0), (uint64_t)col_i64(r, i, 1));
}

static int pg_receipts_each(struct store *base, int64_t log, const char *cosigner,
			    store_receipt_fn fn, void *ctx, struct err *e)
{
	struct receipts_ctx rc = { fn, ctx };

	return paged_query(S(base), Q_RECEIPTS, log, 0, -1, cosigner, receipt_row, &rc, e,
			   "reading receipts");
}

struct scan_ctx {
	store_entry_fn fn;
	int (*fact_fn)(void *ctx, uint64_t block, const void *data, size_t len);
	void *ctx;
};

static int scan_row(void *ctx, const PGresult *r, int i)
{
	struct scan_ctx *sc = ctx;
	struct store_row row = {
		.index = (uint64_t)col_i64(r, i, 0),
		.env = PQgetvalue(r, i, 1),
		.len = (size_t)PQgetlength(r, i, 1),
		.leaf = PQgetlength(r, i, 2) == 32 ? (const uint8_t *)PQgetvalue(r, i, 2) : NULL,
	};

	if (!PQgetisnull(r, i, 3)) {
		row.body = PQgetvalue(r, i, 3);
		row.body_len = (size_t)PQgetlength(r, i, 3);
	}
	return sc->fn(sc->ctx, &row);
}

static int pg_scan(struct store *base, int64_t log, uint64_t from, store_entry_fn fn,
		   void *ctx, struct err *e)
{
	struct scan_ctx sc = { fn, NULL, ctx };

	return paged_from(S(base), Q_SCAN, log, (int64_t)from, scan_row, &sc, e,
			  "scanning entries");
}

static int pg_fact_put(struct store *base, int64_t log, uint64_t block,
		       const void *data, size_t len, struct err *e)
{
	struct params a = { 0 };

	p_i64(&a, log);
	p_i64(&a, (int64_t)block);
	p_bytes(&a, data, len);
	return run_write(S(base), Q_FACT_PUT, &a, e, "storing facts");
}

static int pg_fact_get(struct store *base, int64_t log, uint64_t block,
		       void **data, size_t *len, struct err *e)
{
	struct params a = { 0 };
	int rc;

	p_i64(&a, log);
	p_i64(&a, (int64_t)block);
	if ((rc = run_blob(S(base), Q_FACT_GET, &a, data, len, e, "reading facts")) == 1)
		rc = err_set(e, ERR_NOTFOUND, "no facts block %" PRIu64 " in log %" PRId64,
			     block, log);
	return rc;
}

static int fact_row(void *ctx, const PGresult *r, int i)
{
	struct scan_ctx *sc = ctx;

	return sc->fact_fn(sc->ctx, (uint64_t)col_i64(r, i, 0), PQgetvalue(r, i, 1),
			   (size_t)PQgetlength(r, i, 1));
}

static int pg_fact_scan(struct store *base, int64_t log, uint64_t from,
			int (*fn)(void *ctx, uint64_t block, const void *data, size_t len),
			void *ctx, struct err *e)
{
	struct scan_ctx sc = { NULL, fn, ctx };

	return paged_from(S(base), Q_FACT_SCAN, log, (int64_t)from, fact_row, &sc, e, "reading facts");
}

static int pg_case_put(struct store *base, int64_t log, uint64_t k, const void *data,
		       size_t len, struct err *e)
{
	struct params a = { 0 };

	p_i64(&a, log);
	p_i64(&a, (int64_t)k);
	p_bytes(&a, data, len);
	return run_write(S(base), Q_CASE_PUT, &a, e, "storing case facts");
}

static int pg_case_get(struct store *base, int64_t log, uint64_t k, void **data, size_t *len,
		       struct err *e)
{
	struct params a = { 0 };
	int rc;

	p_i64(&a, log);
	p_i64(&a, (int64_t)k);
	if ((rc = run_blob(S(base), Q_CASE_GET, &a, data, len, e, "reading case facts")) == 1)
		rc = err_set(e, ERR_NOTFOUND, "no case facts %" PRIu64 " in log %" PRId64, k, log);
	return rc;
}

static int pg_case_scan(struct store *base, int64_t log, uint64_t from, uint64_t to,
			int (*fn)(void *ctx, uint64_t k, const void *data, size_t len),
			void *ctx, struct err *e)
{
	struct scan_ctx sc = { NULL, fn, ctx };

	return paged_query(S(base), Q_CASE_SCAN, log, (int64_t)from, (int64_t)to, NULL, fact_row,
			   &sc, e, "reading case facts");
}

static int64_t tile_block(struct merkle_id id)
{
	return (int64_t)((id.index << id.level) >> 8);
}

/* Slot of a level 1..7 node in its tile. */
static size_t tile_slot(struct merkle_id id)
{
	return (size_t)(256 - (512u >> id.level)) +
	       (size_t)(id.index & ((256u >> id.level) - 1));
}

/* Loads tile (log, block) into t (zeros if none is stored). */
static int tile_load(struct pg_store *s, int64_t log, int64_t block,
		     struct tile *t, struct err *e)
{
	struct params a = { 0 };
	PGresult *r;
	int rc;

	p_i64(&a, log);
	p_i64(&a, block);
	if ((rc = run(s, Q_TILE_GET, &a, &r, e, "reading a tree tile")) < 0)
		return rc;
	memset(t->b, 0, TILE_BYTES);
	if (PQntuples(r) == 1 && PQgetlength(r, 0, 0) == TILE_BYTES)
		memcpy(t->b, PQgetvalue(r, 0, 0), TILE_BYTES);
	PQclear(r);
	t->log = log;
	t->block = block;
	return 0;
}

static int pg_node_put(struct store *base, int64_t log, struct merkle_id id,
		       const uint8_t hash[static 32], struct err *e)
{
	struct pg_store *s = S(base);
	struct params a = { 0 };
	size_t slot;
	int rc;

	if (id.level <= TILE_LEVELS) {
		int64_t block = tile_block(id);
		if (s->pend.log != log || s->pend.block != block) {
			if ((rc = tile_flush(s, e)) < 0 ||
			    (rc = tile_load(s, log, block, &s->pend, e)) < 0)
				return rc;
		}
		slot = tile_slot(id);
		s->pend.b[slot / 8] |= (uint8_t)(1u << (slot % 8));
		memcpy(s->pend.b + TILE_MAP + slot * 32, hash, 32);
		s->pend_dirty = 1;
		return 0;
	}
	p_i64(&a, log);
	p_i64(&a, id.level);
	p_i64(&a, (int64_t)id.index);
	p_bytes(&a, hash, 32);
	return run_write(s, Q_NODE_PUT, &a, e, "storing a tree node");
}

static int not_found(int64_t log, struct merkle_id id, struct err *e)
{
	return err_set(e, ERR_NOTFOUND,
		       "log %" PRId64 " has no tree node (level %u, index %" PRIu64 ")",
		       log, id.level, id.index);
}

static int node_read(struct pg_store *s, int64_t log, struct merkle_id id,
		     uint8_t out[static 32], struct err *e)
{
	struct params a = { 0 };
	const struct tile *t;
	PGresult *r;
	size_t slot;
	int rc;

	if (id.level >= 1 && id.level <= TILE_LEVELS) {
		int64_t block = tile_block(id);
		if (s->pend.log == log && s->pend.block == block) {
			t = &s->pend;
		} else {
			if (s->last.log != log || s->last.block != block) {
				if ((rc = tile_load(s, log, block, &s->last, e)) < 0)
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
	p_i64(&a, log);
	if (id.level)
		p_i64(&a, id.level);
	p_i64(&a, (int64_t)id.index);
	s->base.row_reads++;
	if ((rc = run(s, id.level ? Q_NODE_GET : Q_LEAF_GET, &a, &r, e,
		      "reading a tree node")) < 0)
		return rc;
	if (PQntuples(r) == 1 && PQgetlength(r, 0, 0) == 32)
		memcpy(out, PQgetvalue(r, 0, 0), 32);
	else
		rc = not_found(log, id, e);
	PQclear(r);
	return rc;
}

static int pg_nodes_get(struct store *base, int64_t log,
			const struct merkle_id *ids, size_t n,
			uint8_t (*out)[32], struct err *e)
{
	struct pg_store *s = S(base);
	int rc = 0;

	s->last.log = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = node_read(s, log, ids[i], out[i], e);
	return rc;
}

static int pg_body_put(struct store *base, const uint8_t hash[static 32],
		       const void *data, size_t len, struct err *e)
{
	struct params a = { 0 };

	p_bytes(&a, hash, 32);
	p_bytes(&a, data, len);
	return run_write(S(base), Q_BODY_PUT, &a, e, "storing a body");
}

static int pg_body_get(struct store *base, const uint8_t hash[static 32],
		       void **buf, size_t *len, struct err *e)
{
	struct params a = { 0 };
	PGresult *r;
	int rc;

	p_bytes(&a, hash, 32);
	if ((rc = run(S(base), Q_BODY_GET, &a, &r, e, "reading a body")) < 0)
		return rc;
	if (PQntuples(r) == 1)
		rc = col_dup(r, 0, 0, buf, len, e);
	else
		rc = err_set(e, ERR_NOTFOUND, "no body with that hash");
	PQclear(r);
	return rc;
}

static int cp_row(const PGresult *r, int row, struct store_checkpoint *c,
		  struct err *e)
{
	c->id = col_i64(r, row, 0);
	c->log = col_i64(r, row, 1);
	c->size = (uint64_t)col_i64(r, row, 2);
	memset(c->root, 0, 32);
	if (PQgetlength(r, row, 3) == 32)
		memcpy(c->root, PQgetvalue(r, row, 3), 32);
	return col_dup(r, row, 4, (void **)&c->note, &c->note_len, e);
}

static int cp_one(struct pg_store *s, int q, const struct params *a,
		  struct store_checkpoint *c, struct err *e, const char *what)
{
	PGresult *r;
	int rc;

	if ((rc = run(s, q, a, &r, e, what)) < 0)
		return rc;
	if (PQntuples(r) == 1)
		rc = cp_row(r, 0, c, e);
	else
		rc = err_set(e, ERR_NOTFOUND, "no checkpoint");
	PQclear(r);
	return rc;
}

static int pg_checkpoint_find(struct store *base, int64_t log, uint64_t size,
			      struct store_checkpoint *c, struct err *e)
{
	struct params a = { 0 };

	p_i64(&a, log);
	p_i64(&a, (int64_t)size);
	return cp_one(S(base), Q_CP_FIND, &a, c, e, "reading a checkpoint");
}

static int pg_checkpoint_latest(struct store *base, int64_t log,
				struct store_checkpoint *c, struct err *e)
{
	struct params a = { 0 };

	p_i64(&a, log);
	return cp_one(S(base), Q_CP_LATEST, &a, c, e, "reading the latest checkpoint");
}

static int pg_checkpoint_put(struct store *base, int64_t log, uint64_t size,
			     const uint8_t root[static 32], const char *note,
			     size_t len, int64_t *id, struct err *e)
{
	struct params a = { 0 };
	PGresult *r;
	int rc;

	p_i64(&a, log);
	p_i64(&a, (int64_t)size);
	p_bytes(&a, root, 32);
	p_bytes(&a, note, len);
	if ((rc = run(S(base), Q_CP_PUT, &a, &r, e, "storing a checkpoint")) < 0)
		return rc;
	*id = PQntuples(r) == 1 ? col_i64(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

static int pg_checkpoint_each(struct store *base, int64_t log,
			      store_checkpoint_fn fn, void *ctx, struct err *e)
{
	struct pg_store *s = S(base);
	struct store_checkpoint c;
	int64_t from = 0;
	int rows, rc = 0;

	do {
		struct params a = { 0 };
		PGresult *r;

		p_i64(&a, log);
		p_i64(&a, from);
		if ((rc = run(s, Q_CP_EACH, &a, &r, e, "listing checkpoints")) < 0)
			return rc;
		rows = PQntuples(r);
		for (int i = 0; i < rows && rc == 0; i++) {
			if ((rc = cp_row(r, i, &c, e)) < 0)
				break;
			from = (int64_t)c.size + 1;
			rc = fn(ctx, &c);
			free(c.note);
		}
		PQclear(r);
	} while (rc == 0 && rows == PAGE_ROWS);
	return rc;
}

static int pg_cosig_put(struct store *base, int64_t checkpoint,
			const char *cosigner, uint64_t time, const char *line,
			struct err *e)
{
	struct params a = { 0 };

	p_i64(&a, checkpoint);
	p_text(&a, cosigner);
	p_i64(&a, (int64_t)time);
	p_text(&a, line);
	return run0(S(base), Q_COSIG_PUT, &a, e, "storing a cosignature");
}

static int pg_cosig_each(struct store *base, int64_t checkpoint,
			 store_cosig_fn fn, void *ctx, struct err *e)
{
	struct params a = { 0 };
	struct store_cosig c;
	PGresult *r;
	int rc;

	p_i64(&a, checkpoint);
	if ((rc = run(S(base), Q_COSIG_EACH, &a, &r, e, "listing cosignatures")) < 0)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		size_t len;

		c.checkpoint = col_i64(r, i, 0);
		col_text(c.cosigner, sizeof(c.cosigner), r, i, 1);
		c.time = (uint64_t)col_i64(r, i, 2);
		if ((rc = col_dup(r, i, 3, (void **)&c.line, &len, e)) < 0)
			break;
		rc = fn(ctx, &c);
		free(c.line);
	}
	PQclear(r);
	return rc;
}

/* Bodies and attachments can be many and large: paged by hash, a page
 * of at most PAGE_ROWS rows in memory. */
static int pg_body_each(struct store *base, store_body_fn fn, void *ctx,
			struct err *e)
{
	struct pg_store *s = S(base);
	uint8_t from[32] = { 0 };
	size_t nfrom = 0; /* the first page starts after the empty string */
	int rows, rc = 0;

	do {
		struct params a = { 0 };
		PGresult *r;

		p_bytes(&a, from, nfrom);
		if ((rc = run(s, Q_BODY_EACH, &a, &r, e, "listing bodies")) < 0)
			return rc;
		rows = PQntuples(r);
		for (int i = 0; i < rows && rc == 0; i++) {
			if (PQgetlength(r, i, 0) != 32) {
				rc = err_set(e, ERR_STORE, "%s: a body's hash is not 32 bytes",
					     s->name);
				break;
			}
			memcpy(from, PQgetvalue(r, i, 0), 32);
			nfrom = 32;
			rc = fn(ctx, from, PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1));
		}
		PQclear(r);
	} while (rc == 0 && rows == PAGE_ROWS);
	return rc;
}

static int pg_audit_each(struct store *base, store_audit_fn fn, void *ctx,
			 struct err *e)
{
	struct pg_store *s = S(base);
	int64_t from = 0;
	int rows, rc = 0;

	do {
		struct params a = { 0 };
		PGresult *r;

		p_i64(&a, from);
		if ((rc = run(s, Q_AUDIT_EACH, &a, &r, e, "listing the audit trail")) < 0)
			return rc;
		rows = PQntuples(r);
		for (int i = 0; i < rows && rc == 0; i++) {
			char *t[3] = { NULL, NULL, NULL };
			size_t len;

			from = col_i64(r, i, 0) + 1;
			for (int k = 0; k < 3 && rc == 0; k++)
				rc = col_dup(r, i, 2 + k, (void **)&t[k], &len, e);
			if (rc == 0)
				rc = fn(ctx, col_i64(r, i, 1), t[0], t[1], t[2]);
			for (int k = 0; k < 3; k++)
				free(t[k]);
		}
		PQclear(r);
	} while (rc == 0 && rows == PAGE_ROWS);
	return rc;
}

static const struct store_ops pg_ops = {
	.close = pg_close,
	.begin = pg_begin,
	.begin_log = pg_begin_log,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.party_put = pg_party_put,
	.party_get = pg_party_get,
	.party_each = pg_party_each,
	.delivery_put = pg_delivery_put,
	.delivery_get = pg_delivery_get,
	.evidence_add = pg_evidence_add,
	.evidence_each = pg_evidence_each,
	.receipted = pg_receipted,
	.receipts_each = pg_receipts_each,
	.receipt_time = pg_receipt_time,
	.operator_add = pg_operator_add,
	.operator_by_token = pg_operator_by_token,
	.operator_revoke = pg_operator_revoke,
	.operator_each = pg_operator_each,
	.audit_add = pg_audit_add,
	.log_get = pg_log_get,
	.log_create = pg_log_create,
	.log_each = pg_log_each,
	.log_set_size = pg_log_set_size,
	.entry_put = pg_entry_put,
	.entry_get = pg_entry_get,
	.entry_body = pg_entry_body,
	.scan = pg_scan,
	.fact_put = pg_fact_put,
	.fact_get = pg_fact_get,
	.fact_scan = pg_fact_scan,
	.case_put = pg_case_put,
	.case_get = pg_case_get,
	.case_scan = pg_case_scan,
	.node_put = pg_node_put,
	.nodes_get = pg_nodes_get,
	.body_put = pg_body_put,
	.body_get = pg_body_get,
	.checkpoint_find = pg_checkpoint_find,
	.checkpoint_put = pg_checkpoint_put,
	.checkpoint_each = pg_checkpoint_each,
	.checkpoint_latest = pg_checkpoint_latest,
	.cosig_put = pg_cosig_put,
	.cosig_each = pg_cosig_each,
	.body_each = pg_body_each,
	.audit_each = pg_audit_each,
	.lease_take = pg_lease_take,
	.lease_release = pg_lease_release,
};

/* Reads the schema version: 0 if the database has no parley tables. */
static int schema_version(struct pg_store *s, int *version, struct err *e)
{
	PGresult *r = PQexec(s->db, "SELECT version FROM parley_schema");
	int rc = 0;

	*version = 0;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		*version = atoi(PQgetvalue(r, 0, 0));
	else if (PQresultStatus(r) == PGRES_TUPLES_OK)
		rc = err_set(e, ERR_STORE, "%s: table parley_schema has %d rows, not one",
			     s->name, PQntuples(r));
	else if (strcmp(sqlstate(r), "42P01") != 0) /* undefined_table */
		rc = db_err(s, r, e, "reading the schema version");
	PQclear(r);
	return rc;
}

/* Creates the schema in one transaction. Two frontends opening a new
 * database at once: the second's CREATE TABLE waits for the first's
 * commit and then fails on the existing table; it reads the version
 * again and finds the schema made. */
static int migrate(struct pg_store *s, struct err *e)
{
	int version, rc;

	for (int attempt = 0; attempt < 3; attempt++) {
		if ((rc = schema_version(s, &version, e)) < 0)
			return rc;
		if (version == SCHEMA_VERSION)
			return 0;
		if (version >= 1 && version <= 3) {
			/* Upgrade: store_open rebuilds the facts (from version
			 * 1) and the case facts (from version 2). */
			if ((rc = exec(s, "BEGIN", e)) < 0)
				return rc;
			if ((version >= 2 || (rc = exec(s, schema_v2, e)) == 0) &&
			    (version >= 3 || (rc = exec(s, schema_v3, e)) == 0) &&
			    (rc = exec(s, schema_v4, e)) == 0 &&
			    (rc = exec(s, "UPDATE parley_schema SET version = 4", e)) == 0 &&
			    (rc = exec(s, "COMMIT", e)) == 0) {
				s->base.facts_missing = version == 1;
				s->base.cases_missing = version <= 2;
				return 0;
			}
			PQclear(PQexec(s->db, "ROLLBACK"));
			continue;
		}
		if (version != 0)
			return err_set(e, ERR_STORE,
				       "%s: schema version %d, this parley knows %d",
				       s->name, version, SCHEMA_VERSION);
		if ((rc = exec(s, "BEGIN", e)) < 0)
			return rc;
		if ((rc = exec(s, schema, e)) == 0 && (rc = exec(s, schema_v2, e)) == 0 &&
		    (rc = exec(s, schema_v3, e)) == 0 &&
		    (rc = exec(s, "UPDATE parley_schema SET version = 4", e)) == 0 &&
		    (rc = exec(s, "COMMIT", e)) == 0)
			return 0;
		PQclear(PQexec(s->db, "ROLLBACK"));
	}
	return rc;
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int store_pg_open(struct store **out, const char *url, struct err *e)
{
	struct pg_store *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return err_set(e, ERR_NOMEM, "out of memory opening the store");
	s->base.ops = &pg_ops;
	snprintf(s->name, sizeof(s->name), "the PostgreSQL store");
	s->db = PQconnectdb(url);
	if (!s->db) {
		free(s);
		return err_set(e, ERR_NOMEM, "out of memory opening the store");
	}
	if (PQstatus(s->db) != CONNECTION_OK) {
		rc = db_err(s, NULL, e, "cannot connect");
		goto fail;
	}
	/* Host and database, never the password, name the store in messages. */
	snprintf(s->name, sizeof(s->name), "postgresql://%.60s/%.60s",
		 PQhost(s->db) ? PQhost(s->db) : "", PQdb(s->db));
	/* Notices (e.g. of CREATE TABLE) would go to stderr otherwise. */
	PQsetNoticeProcessor(s->db, quiet, NULL);
	if ((rc = migrate(s, e)) < 0 || (rc = session_start(s, e)) < 0)
		goto fail;
	/* A standby, or a database with default_transaction_read_only: as a
	 * SQLite store on a read-only file system, it opens for reading. */
	{
		PGresult *r = PQexec(s->db, "SHOW transaction_read_only");

		s->base.readonly = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
				   strcmp(PQgetvalue(r, 0, 0), "on") == 0;
		PQclear(r);
	}
	*out = &s->base;
	return 0;
fail:
	pg_close(&s->base);
	return rc;
}
