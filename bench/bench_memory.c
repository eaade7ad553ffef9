/* bench_memory.c — builds the log bench/memory.sh has a node serve: the
 * node's own log to PEER grown to N entries (requests, bench_proof's
 * envelopes) through store_append into the node's store, after what it
 * already holds (the channel's charter). No checkpoint is signed for
 * them: they stay in the outbox.
 *   bench_memory NODE_DIR PEER N */
#include "benchutil.h"

#include "node/node.h"

int main(int argc, char **argv)
{
	struct node *n;
	struct store_log log;
	struct err e;
	double t0 = bu_now();

	if (argc != 4) {
		fprintf(stderr, "usage: bench_memory NODE_DIR PEER N\n");
		return 2;
	}
	if (node_open(&n, argv[1], &e) < 0 ||
	    store_log_get(n->store, n->cfg.name, argv[2], 1, &log, &e) < 0) {
		fprintf(stderr, "bench_memory: %s\n", e.msg);
		return 1;
	}
	bu_build_log(n->store, &log, n->cfg.name, argv[2], strtoull(argv[3], NULL, 10));
	node_close(n);
	printf("built %s -> %s: %llu entries in %.1f s\n", argv[1], argv[2],
	       (unsigned long long)log.size, bu_now() - t0);
	return 0;
}
