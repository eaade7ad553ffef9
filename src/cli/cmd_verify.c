/* cmd_verify.c — parley verify: check a node's whole store. */
#include "cli/cli.h"
#include "node/node.h"

#include <getopt.h>
#include <stdio.h>

#include <jansson.h>

static const char verify_usage[] = "parley verify [--dir DIR] [--json]";

int cli_verify_main(int argc, char **argv)
{
	const char *dir = NULL;
	struct node *n = NULL;
	struct err e = { 0 };
	int json = 0, rc;

	if ((rc = cli_dir_json_opts(argc, argv, "verify", verify_usage,
					   "Checks everything the node holds, for every log: each envelope parses\n"
					   "and sits at its index; every leaf hash and tree node is recomputed;\n"
					   "every checkpoint's root matches the entries, its signature verifies\n"
					   "with the sender's key, each cosignature (receipt) verifies with the\n"
					   "receiver's key, and successive checkpoints are consistent (RFC 9162\n"
					   "consistency proofs); the facts reports read (each entry's time,\n"
					   "kind, case and type, kept per 256 entries) match the entries.\n"
					   "Names the first bad thing and exits 1.\n",
					   &dir, &json)) >= 0)
		return rc;
	if (optind != argc)
		return cli_usage("verify", verify_usage, "unexpected argument '%s'", argv[optind]);
	if (node_open(&n, cli_dir(dir), &e) < 0)
		return cli_error("verify", &e, json);
	rc = node_verify(n, json ? NULL : stdout, &e);
	node_close(n);
	if (json) {
		json_t *o = rc == 0 ? json_pack("{s:b}", "ok", 1)
				    : json_pack("{s:b,s:s,s:s}", "ok", 0, "code",
						err_name(e.code), "message", e.msg);
		cli_print_json(o);
		return rc == 0 ? CLI_OK : CLI_FAIL;
	}
	if (rc < 0) {
		fprintf(stderr, "parley verify: FAILED: %s\n", e.msg);
		return CLI_FAIL;
	}
	printf("verify: ok\n");
	return CLI_OK;
}
