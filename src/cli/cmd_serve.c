/* cmd_serve.c — parley serve: the peer API and the delivery worker until
 * SIGTERM or SIGINT; then a clean stop (requests in flight finish, the
 * worker ends its batch, the store is closed). */
#include "cli/cli.h"
#include "net/api.h"
#include "net/outbox.h"
#include "net/server.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

static const char serve_usage[] = "parley serve [--dir DIR]";

int cli_serve_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dir = NULL;
	struct node *n = NULL, *an = NULL;
	struct server *srv = NULL;
	struct api *api = NULL;
	struct outbox *ob = NULL;
	struct err e = { 0 };
	sigset_t set;
	int c, sig = 0;

	while ((c = getopt_long(argc, argv, "hd:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Runs the node: the peer API on the configured listen address\n"
			       "(HTTPS, mutual TLS: only known peers' certificates complete the\n"
			       "handshake) and the delivery worker, which sends every message not yet\n"
			       "receipted to its peer, retrying with capped exponential backoff.\n"
			       "Stops cleanly on SIGTERM or SIGINT. Logs one line per event on stderr.\n",
			       serve_usage);
			return CLI_OK;
		default:
			return cli_usage("serve", serve_usage, "bad option");
		}
	}
	if (optind != argc)
		return cli_usage("serve", serve_usage, "unexpected argument '%s'", argv[optind]);
	dir = cli_dir(dir);
	/* Block the signals in every thread; the main thread waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (node_open(&n, dir, &e) == 0 && store_readonly(n->store))
		err_set(&e, ERR_READONLY, "%s: the store is on a read-only file system: a node that "
			"serves must store what it receives (reports, verify and audits still read it)", dir);
	if (e.code < 0 || server_start(&srv, n, &e) < 0 ||
	    (n->cfg.operator_listen[0] &&
	     (node_open(&an, dir, &e) < 0 || api_start(&api, an, &e) < 0)) ||
	    outbox_start(&ob, dir, &e) < 0) {
		api_stop(api);
		node_close(an);
		server_stop(srv);
		node_close(n);
		return cli_error("serve", &e, 0);
	}
	fprintf(stderr, "level=info party=%s listen=%s operator_listen=%s msg=\"serving\"\n",
		n->cfg.name, n->cfg.listen,
		n->cfg.operator_listen[0] ? n->cfg.operator_listen : "off");
	sigwait(&set, &sig);
	fprintf(stderr, "level=info signal=%d msg=\"stopping\"\n", sig);
	outbox_stop(ob);
	api_stop(api);
	node_close(an);
	server_stop(srv);
	node_close(n);
	fprintf(stderr, "level=info msg=\"stopped\"\n");
	return CLI_OK;
}
