/* bench_proof.c — inclusion and consistency proof latency on a large log
 * (default 10,000,000 entries), store reads per proof, and the floor it is
 * measured against in the same run: a raw SQLite point lookup of one node
 * row. ratio = proof median / (reads per proof x raw lookup median), so 1.0
 * means a proof costs exactly its O(log n) reads and nothing else.
 * The log is built once and reused (it is a few GB): pass its path. */
#include "benchutil.h"

#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include "store/store.h"

#define FROM "ministry-a.example"
#define TO "ministry-b.example"
#define K 100000 /* proofs of each kind */

static void die(const struct err *e)
{
	fprintf(stderr, "bench_proof: %s\n", e->msg);
	exit(1);
}

struct stats {
	double p50, p99, reads50, readsmax, rows50, rowsmax;
};

static void summarise(double *t, double *r, double *w, struct stats *st)
{
	st->p50 = bu_quantile(t, K, 0.5) * 1e6;
	st->p99 = bu_quantile(t, K, 0.99) * 1e6;
	st->reads50 = bu_quantile(r, K, 0.5);
	st->readsmax = r[K - 1];
	st->rows50 = bu_quantile(w, K, 0.5);
	st->rowsmax = w[K - 1];
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/tmp/parley-bench-proof.db";
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000000;
	struct store_party p = { .name = FROM, .vkey = "-", .self = 1 };
	double *t = malloc(K * sizeof(double)), *r = malloc(K * sizeof(double));
	double *w = malloc(K * sizeof(double));
	uint8_t proof[MERKLE_MAX_NODES][32], root[32], r1[32], leaf[32];
	struct stats inc, con;
	struct store *s;
	struct store_log log;
	struct rusage ru;
	struct err e;
	sqlite3 *db;
	sqlite3_stmt *q;
	uint64_t seed = 0x9e3779b97f4a7c15u;
	char url[1100], buf[ENVELOPE_MAX];
	double lookup50;
	size_t np;

	snprintf(url, sizeof(url), "sqlite:%s", path);
	if (store_open(&s, url, &e) < 0 || store_party_put(s, &p, &e) < 0)
		die(&e);
	p = (struct store_party){ .name = TO, .vkey = "-" };
	if (store_party_put(s, &p, &e) < 0 || store_log_get(s, FROM, TO, 1, &log, &e) < 0)
		die(&e);
	if (log.size < n) {
		fprintf(stderr, "building a %llu-entry log in %s\n", (unsigned long long)n, path);
		bu_build_log(s, &log, FROM, TO, n);
	}
	n = log.size;
	if (store_root(s, log.id, n, root, &e) < 0)
		die(&e);

	/* Inclusion proofs of random leaves in the whole log. */
	for (int i = 0; i < K; i++) {
		uint64_t idx = bu_rand(&seed) % n, before = store_node_reads(s);
		uint64_t rows = store_row_reads(s);
		double t0 = bu_now();
		if (store_inclusion_proof(s, log.id, idx, n, proof, &np, &e) < 0)
			die(&e);
		t[i] = bu_now() - t0;
		r[i] = (double)(store_node_reads(s) - before);
		w[i] = (double)(store_row_reads(s) - rows);
		if (i % 100 == 0) { /* correctness, outside the timing */
			size_t len = bu_envelope(buf, sizeof(buf), FROM, TO, idx);
			merkle_leaf_hash(leaf, buf, len);
			if (merkle_verify_inclusion(leaf, idx, n, (const uint8_t (*)[32])proof,
						    np, root, &e) < 0)
				die(&e);
		}
	}
	summarise(t, r, w, &inc);

	/* Consistency proofs from random earlier sizes. */
	for (int i = 0; i < K; i++) {
		uint64_t s1 = 1 + bu_rand(&seed) % (n - 1), before = store_node_reads(s);
		uint64_t rows = store_row_reads(s);
		double t0 = bu_now();
		if (store_consistency_proof(s, log.id, s1, n, proof, &np, &e) < 0)
			die(&e);
		t[i] = bu_now() - t0;
		r[i] = (double)(store_node_reads(s) - before);
		w[i] = (double)(store_row_reads(s) - rows);
		if (i % 100 == 0) {
			if (store_root(s, log.id, s1, r1, &e) < 0 ||
			    merkle_verify_consistency(s1, n, r1, root, (const uint8_t (*)[32])proof,
						      np, &e) < 0)
				die(&e);
		}
	}
	summarise(t, r, w, &con);

	/* The floor: one raw point lookup of a node row (level >= 8), same
	 * file, one statement, as a proof's backend reads are. */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT hash FROM node WHERE log = ?1 AND level = ?2 AND idx = ?3",
			       -1, &q, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_proof: raw lookup: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	for (int i = 0; i < K; i++) {
		int level = 8 + (int)(bu_rand(&seed) % 12); /* node rows: level >= 8 */
		uint64_t idx = bu_rand(&seed) % (n >> level);
		double t0 = bu_now();
		sqlite3_bind_int64(q, 1, log.id);
		sqlite3_bind_int(q, 2, level);
		sqlite3_bind_int64(q, 3, (sqlite3_int64)idx);
		if (sqlite3_step(q) != SQLITE_ROW) {
			fprintf(stderr, "bench_proof: node (%d, %llu) missing\n", level,
				(unsigned long long)idx);
			return 1;
		}
		sqlite3_reset(q);
		t[i] = bu_now() - t0;
	}
	lookup50 = bu_quantile(t, K, 0.5) * 1e6;
	sqlite3_finalize(q);
	sqlite3_close(db);
	getrusage(RUSAGE_SELF, &ru);

	printf("proofs on a %llu-entry log (%d random proofs of each kind, warm page cache)\n",
	       (unsigned long long)n, K);
	printf("%-12s %8s %8s %11s %10s %10s %9s %7s\n", "proof", "p50 us", "p99 us",
	       "nodes p50", "nodes max", "rows p50", "rows max", "ratio");
	printf("%-12s %8.2f %8.2f %11.0f %10.0f %10.0f %9.0f %7.2f\n", "inclusion", inc.p50,
	       inc.p99, inc.reads50, inc.readsmax, inc.rows50, inc.rowsmax,
	       inc.p50 / (inc.rows50 * lookup50));
	printf("%-12s %8.2f %8.2f %11.0f %10.0f %10.0f %9.0f %7.2f\n", "consistency", con.p50,
	       con.p99, con.reads50, con.readsmax, con.rows50, con.rowsmax,
	       con.p50 / (con.rows50 * lookup50));
	printf("nodes: tree nodes read from the store (levels >= 8 come from a 6 MiB cache);\n"
	       "rows: database rows read for them (a tile row holds levels 1-7 of 256 leaves).\n"
	       "raw SQLite node-row lookup p50: %.2f us; ratio = p50 / (rows x raw lookup)\n",
	       lookup50);
	printf("peak RSS: %ld KiB\n", ru.ru_maxrss);
	store_close(s);
	free(t);
	free(r);
	free(w);
	return 0;
}
