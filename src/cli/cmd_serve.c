/* cmd_serve.c — parley serve: the peer API and the delivery worker until
 * SIGTERM or SIGINT; then a clean stop (requests in flight finish, the
 * worker ends its batch, the store is closed). */
#include "cli/cli.h"
#include "net/api.h"
#include "net/metrics.h"
#include "net/outbox.h"
#include "net/server.h"

#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include <jansson.h>

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

static const char status_usage[] = "parley status [--json] [--dir DIR]";

/* parley status: a node at a glance, from the same numbers as /metrics. */
int cli_status_main(int argc, char **argv)
{
	const char *dir = NULL;
	int json = 0, rc;
	struct node *n = NULL;
	struct metrics_state st;
	struct err e = { 0 };

	if ((rc = cli_dir_json_opts(argc, argv, "status", status_usage,
					   "A node at a glance: each peer's backlog (entries it has not receipted),\n"
					   "the age of the oldest, the size it last receipted and when, failed\n"
					   "deliveries; cases by state and overdue; attested requests; fork\n"
					   "evidence. The same numbers 'parley serve' gives on /metrics.\n",
					   &dir, &json)) >= 0)
		return rc;
	if (optind != argc)
		return cli_usage("status", status_usage, "unexpected argument '%s'", argv[optind]);
	if ((rc = node_open(&n, cli_dir(dir), &e)) < 0 || (rc = metrics_state(n, &st, &e)) < 0) {
		node_close(n);
		return cli_error("status", &e, json);
	}
	if (json) {
		json_t *peers = json_array(), *cases = json_object();
		for (size_t i = 0; i < st.npeers; i++)
			json_array_append_new(peers, json_pack("{s:s,s:I,s:I,s:I,s:I,s:i}", "name",
							       st.peers[i].name, "backlog", (json_int_t)st.peers[i].backlog,
							       "oldest_unreceipted_s", (json_int_t)st.peers[i].oldest_unreceipted,
							       "receipted", (json_int_t)st.peers[i].receipted,
							       "last_receipt", (json_int_t)st.peers[i].last_receipt,
							       "failures", (int)st.peers[i].failures));
		for (int s = CASE_SENT; s < CASE_STATE_COUNT; s++)
			json_object_set_new(cases, case_state_name((enum case_state)s),
					    json_integer((json_int_t)st.cases[s]));
		cli_print_json(json_pack("{s:s,s:s,s:o,s:o,s:I,s:I,s:I,s:I}", "party", n->cfg.name, "store",
					 n->cfg.store, "peers", peers, "cases", cases, "overdue_ack",
					 (json_int_t)st.overdue_ack, "overdue_answer", (json_int_t)st.overdue_answer,
					 "attested", (json_int_t)st.attested, "fork_evidence", (json_int_t)st.evidence));
	} else {
		printf("party %s (store %s)\n", n->cfg.name, n->cfg.store);
		for (size_t i = 0; i < st.npeers; i++) {
			const struct metrics_peer *p = &st.peers[i];
			char t[21] = "never";
			struct err ignore;
			if (p->last_receipt)
				envelope_time_format(p->last_receipt, t, &ignore);
			printf("  peer %-28s backlog %" PRIu64 ", receipted %" PRIu64 " (last %s), %u failed deliveries\n",
			       p->name, p->backlog, p->receipted, t, p->failures);
			if (p->backlog)
				printf("       oldest unreceipted entry: %" PRId64 " s old\n", p->oldest_unreceipted);
		}
		printf("  cases:");
		for (int s = CASE_SENT; s < CASE_STATE_COUNT; s++)
			printf(" %" PRIu64 " %s%s", st.cases[s], case_state_name((enum case_state)s),
			       s + 1 < CASE_STATE_COUNT ? "," : "\n");
		printf("  overdue: %" PRIu64 " to acknowledge, %" PRIu64 " to answer; attested requests: %" PRIu64
		       "; fork evidence: %" PRIu64 "%s\n", st.overdue_ack, st.overdue_answer, st.attested,
		       st.evidence, st.evidence ? " (see parley verify)" : "");
	}
	metrics_state_free(&st);
	node_close(n);
	return CLI_OK;
}
