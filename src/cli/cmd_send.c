/* cmd_send.c — parley send and parley ping: append to the outbox (our log
 * to a peer); ping also delivers at once and reports the time to receipt. */
#include "cli/cli.h"
#include "net/outbox.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "util/fsio.h"

static const char send_usage[] =
	"parley send PEER --type TYPE [--kind KIND] [--case PARTY/INDEX]\n"
	"                 [--text TEXT | --file FILE] [--dir DIR] [--json]";

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
		{ "case", required_argument, NULL, 'c' },
		{ "text", required_argument, NULL, 'x' },
		{ "file", required_argument, NULL, 'f' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dir = NULL, *text = NULL, *file = NULL, *kase = NULL;
	struct node_msg m = { .kind = ENVELOPE_REQUEST };
	char case_from[ENVELOPE_NAME_MAX + 1];
	struct node *n = NULL;
	struct err e = { 0 };
	char *body = NULL;
	size_t blen = 0;
	uint64_t first;
	int c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "ht:k:c:x:f:d:", opts, NULL)) != -1) {
		switch (c) {
		case 't': m.type = optarg; break;
		case 'k':
			if (parse_kind(optarg, &m.kind) < 0)
				return cli_usage("send", send_usage, "unknown kind '%s'", optarg);
			break;
		case 'c': kase = optarg; break;
		case 'x': text = optarg; break;
		case 'f': file = optarg; break;
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Appends one message to this party's log for PEER (the outbox); a\n"
			       "running 'parley serve' delivers it and stores the peer's receipt.\n"
			       "KIND is one of charter request ack answer decline withdraw remind\n"
			       "close ping (default request). Replies name their case PARTY/INDEX.\n"
			       "The body is TEXT or the contents of FILE (at most 1 MiB).\n",
			       send_usage);
			return CLI_OK;
		default:
			return cli_usage("send", send_usage, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage("send", send_usage, "name one PEER");
	if (!m.type)
		return cli_usage("send", send_usage, "--type is required");
	if (text && file)
		return cli_usage("send", send_usage, "give --text or --file, not both");
	if (kase) {
		const char *slash = strrchr(kase, '/');
		char *end;
		if (!slash || (size_t)(slash - kase) > ENVELOPE_NAME_MAX)
			return cli_usage("send", send_usage, "--case is PARTY/INDEX");
		memcpy(case_from, kase, (size_t)(slash - kase));
		case_from[slash - kase] = '\0';
		m.case_from = case_from;
		m.case_index = strtoull(slash + 1, &end, 10);
		if (*end || !slash[1])
			return cli_usage("send", send_usage, "--case is PARTY/INDEX");
	}
	if (file && fsio_read(file, STORE_BODY_MAX, &body, &blen, &e) < 0)
		return cli_error("send", &e, json);
	m.body = file ? body : text ? text : "";
	m.body_len = file ? blen : text ? strlen(text) : 0;
	rc = node_open(&n, cli_dir(dir), &e);
	if (rc == 0)
		rc = node_send(n, argv[optind], &m, 1, &first, &e);
	node_close(n);
	free(body);
	if (rc < 0)
		return cli_error("send", &e, json);
	if (json)
		printf("{\"peer\":\"%s\",\"index\":%" PRIu64 "}\n", argv[optind], first);
	else
		printf("queued for %s as entry %" PRIu64 "\n", argv[optind], first);
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
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	struct node_msg m = { .kind = ENVELOPE_PING, .type = "ping" };
	const char *dir = NULL;
	struct node *n = NULL;
	struct err e = { 0 };
	uint64_t first, sent, backlog = 0;
	double t0, t1;
	int c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "hd:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: %s\n\n"
			       "A liveness round trip that both logs record: appends a ping to this\n"
			       "party's log for PEER, delivers everything pending to PEER now, and\n"
			       "prints the time until PEER's receipt (its cosignature) came back.\n",
			       ping_usage);
			return CLI_OK;
		default:
			return cli_usage("ping", ping_usage, "bad option");
		}
	}
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
