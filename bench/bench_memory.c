/* bench_memory.c — builds the log bench/memory.sh has a node serve: N
 * entries of PEER's log to the node (the mirror a node holds of what its
 * peer sent) appended through store_append into the node's own store, as
 * bench_proof builds its log. Reuses what is already there.
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
	    store_log_get(n->store, argv[2], n->cfg.name, 1, &log, &e) < 0) {
		fprintf(stderr, "bench_memory: %s\n", e.msg);
		return 1;
	}
	bu_build_log(n->store, &log, argv[2], n->cfg.name, strtoull(argv[3], NULL, 10));
	node_close(n);
	printf("built %s -> %s: %llu entries in %.1f s\n", argv[2], argv[1],
	       (unsigned long long)log.size, bu_now() - t0);
	return 0;
}
