/* cmd_send.c — parley send and parley ping: append to the outbox (our log
 * to a peer); ping also delivers at once and reports the time to receipt. */
#include "cli/cli.h"
#include "net/outbox.h"
#include "net/wire.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "util/fsio.h"

static const char send_usage[] =
	"parley send PEER [--type TYPE] [--text TEXT | --file FILE | --lines] [--dir DIR] [--json]";

/* --lines: each line of standard input is the body of one message; all
 * are appended in transactions of up to NODE_BATCH_MAX. */
static int send_lines(struct node *n, const char *peer, const struct node_msg *tmpl,
		      uint64_t *first, uint64_t *count, struct err *e)
{
	struct node_msg *m = calloc(NODE_BATCH_MAX, sizeof(*m));
	char **bodies = calloc(NODE_BATCH_MAX, sizeof(*bodies));
	size_t k = 0, cap = 0;
	char *line = NULL;
	ssize_t len;
	uint64_t f;
	int rc = 0, any = 0;

	*count = 0;
	if (!m || !bodies) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		len = getline(&line, &cap, stdin);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len >= 0) {
			if ((size_t)len > STORE_BODY_MAX) {
				rc = err_set(e, ERR_TOOBIG, "line %" PRIu64 " is over the body limit",
					     *count + k + 1);
				goto out;
			}
			m[k] = *tmpl;
			bodies[k] = line;
			m[k].body = line;
			m[k].body_len = (size_t)len;
			line = NULL;
			cap = 0;
			k++;
		}
		if (k == NODE_BATCH_MAX || (len < 0 && k > 0)) {
			if ((rc = node_send(n, peer, m, k, &f, e)) < 0)
				goto out;
			if (!any++)
				*first = f;
			*count += k;
			for (size_t i = 0; i < k; i++)
				free(bodies[i]);
			k = 0;
		}
		if (len < 0)
			break;
	}
	if (!any)
		rc = err_set(e, ERR_INVALID, "--lines: standard input had no line");
out:
	for (size_t i = 0; bodies && i < k; i++)
		free(bodies[i]);
	free(line);
	free(bodies);
	free(m);
	return rc;
}

static int parse_kind(const char *s, enum envelope_kind *k)
{
	for (int i = 0; i < ENVELOPE_KIND_COUNT; i++)
		if (strcmp(envelope_kind_name((enum envelope_kind)i), s) == 0) {
			*k = (enum envelope_kind)i;
			return 0;
		}
	return -1;
}

int cli_send_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "kind", required_argument, NULL, 'k' },
		{ "text", required_argument, NULL, 'x' },
		{ "file", required_argument, NULL, 'f' },
		{ "lines", no_argument, NULL, 'L' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dir = NULL, *text = NULL, *file = NULL;
	int lines = 0;
	uint64_t count = 1;
	struct node_msg m = { .kind = ENVELOPE_PING, .type = "ping" };
	struct node *n = NULL;
	struct err e = { 0 };
	char *body = NULL;
	size_t blen = 0;
	uint64_t first;
	int c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "ht:k:x:f:d:", opts, NULL)) != -1) {
		switch (c) {
		case 't': m.type = optarg; break;
		case 'k':
			if (parse_kind(optarg, &m.kind) < 0)
				return cli_usage("send", send_usage, "unknown kind '%s'", optarg);
			if (m.kind != ENVELOPE_PING)
				return cli_usage("send", send_usage,
						 "requests and replies go through 'parley case', which checks "
						 "them against the charter and the lifecycle");
			break;
		case 'x': text = optarg; break;
		case 'f': file = optarg; break;
		case 'L': lines = 1; break;
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Appends a message outside any case (a ping) to this party's log for\n"
			       "PEER; a running 'parley serve' delivers it and stores the receipt.\n"
			       "Cases are opened and answered with 'parley case'. The body is TEXT\n"
			       "or the contents of FILE (at most 1 MiB); with --lines, each line of\n"
			       "standard input is the body of one message (bulk traffic).\n",
			       send_usage);
			return CLI_OK;
		default:
			return cli_usage("send", send_usage, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage("send", send_usage, "name one PEER");
	if (!!text + !!file + lines > 1)
		return cli_usage("send", send_usage, "give one of --text, --file, --lines");
	if (file && fsio_read(file, STORE_BODY_MAX, &body, &blen, &e) < 0)
		return cli_error("send", &e, json);
	m.body = file ? body : text ? text : "";
	m.body_len = file ? blen : text ? strlen(text) : 0;
	rc = node_open(&n, cli_dir(dir), &e);
	if (rc == 0)
		rc = lines ? send_lines(n, argv[optind], &m, &first, &count, &e)
			   : node_send(n, argv[optind], &m, 1, &first, &e);
	node_close(n);
	free(body);
	if (rc < 0)
		return cli_error("send", &e, json);
	if (json)
		printf("{\"peer\":\"%s\",\"index\":%" PRIu64 ",\"count\":%" PRIu64 "}\n",
		       argv[optind], first, count);
	else if (count == 1)
		printf("queued for %s as entry %" PRIu64 "\n", argv[optind], first);
	else
		printf("queued %" PRIu64 " messages for %s as entries %" PRIu64 "..%" PRIu64 "\n",
		       count, argv[optind], first, first + count - 1);
	return CLI_OK;
}

static const char outbox_usage[] = "parley outbox PEER [--from N] [--max N] [--dir DIR]\n"
				   "       parley outbox export PEER FILE [--batches N] [--json] [--quiet] [--dir DIR]";

int cli_outbox_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "max", required_argument, NULL, 'm' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dir = NULL;
	struct node *n = NULL;
	struct node_batch b;
	struct store_log log;
	struct err e = { 0 };
	uint64_t from = UINT64_MAX, max = NODE_BATCH_MAX, t;
	char *json = NULL, *end;
	size_t len;
	int c, rc;

	if (argc > 1 && strcmp(argv[1], "export") == 0)
		return cli_outbox_export(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "hf:m:d:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			from = strtoull(optarg, &end, 10);
			if (*end || !*optarg)
				return cli_usage("outbox", outbox_usage, "--from takes an index");
			break;
		case 'm':
			max = strtoull(optarg, &end, 10);
			if (*end || !*optarg || max == 0)
				return cli_usage("outbox", outbox_usage, "--max takes a count");
			break;
		case 'd': dir = optarg; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Prints the batch pending for PEER exactly as the peer API's JSON\n"
			       "(POST /peer/v1/batch): entries from N (default: the first entry PEER\n"
			       "has not receipted), at most N of them, and our signed checkpoint at\n"
			       "its end. For inspection, or to deliver by other means.\n",
			       outbox_usage);
			return CLI_OK;
		default:
			return cli_usage("outbox", outbox_usage, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage("outbox", outbox_usage, "name one PEER");
	if ((rc = node_open(&n, cli_dir(dir), &e)) == 0 &&
	    (rc = store_log_get(n->store, n->cfg.name, argv[optind], 0, &log, &e)) == 0 &&
	    from == UINT64_MAX)
		rc = store_receipted(n->store, log.id, argv[optind], &from, &t, &e);
	if (rc == 0 && (rc = node_batch_make(n, argv[optind], from, (size_t)max, &b, &e)) == 0) {
		rc = wire_batch_encode(&b, &json, &len, &e);
		node_batch_free(&b);
	}
	node_close(n);
	if (rc < 0)
		return cli_error("outbox", &e, 0);
	printf("%s\n", json);
	free(json);
	return CLI_OK;
}

static const char ping_usage[] = "parley ping PEER [--dir DIR] [--json]";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_ping_main(int argc, char **argv)
{
	struct node_msg m = { .kind = ENVELOPE_PING, .type = "ping" };
	const char *dir = NULL;
	struct node *n = NULL;
	struct err e = { 0 };
	uint64_t first, sent, backlog = 0;
	double t0, t1;
	int json = 0, rc;

	if ((rc = cli_dir_json_opts(argc, argv, "ping", ping_usage,
					   "A liveness round trip that both logs record: appends a ping to this\n"
					   "party's log for PEER, delivers everything pending to PEER now, and\n"
					   "prints the time until PEER's receipt (its cosignature) came back.\n",
					   &dir, &json)) >= 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage("ping", ping_usage, "name one PEER");
	if ((rc = node_open(&n, cli_dir(dir), &e)) < 0)
		return cli_error("ping", &e, json);
	t0 = now_s();
	rc = node_send(n, argv[optind], &m, 1, &first, &e);
	if (rc == 0)
		rc = outbox_deliver(n, argv[optind], &sent, &e);
	if (rc == 0)
		rc = outbox_backlog(n, argv[optind], &backlog, &e);
	t1 = now_s();
	node_close(n);
	if (rc < 0)
		return cli_error("ping", &e, json);
	if (json)
		printf("{\"peer\":\"%s\",\"index\":%" PRIu64 ",\"ms\":%.1f,\"backlog\":%" PRIu64 "}\n",
		       argv[optind], first, (t1 - t0) * 1000, backlog);
	else
		printf("ping %s: entry %" PRIu64 " receipted in %.1f ms\n", argv[optind], first,
		       (t1 - t0) * 1000);
	return CLI_OK;
}
