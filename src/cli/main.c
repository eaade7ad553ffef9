/* main.c — parley: dispatch to a command from the table. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <jansson.h>

#define VERSION "0.1.0"

static int version_main(int argc, char **argv);
static int help_main(int argc, char **argv);

static const struct cli_cmd commands[] = {
	{ "init", cli_init_main, "create a party: identity key, configuration and store" },
	{ "identity", cli_identity_main, "print this party's verifier key line for peers to import" },
	{ "key", cli_key_main, "protect the identity key with a passphrase, unprotect it, or rotate it" },
	{ "peer", cli_peer_main, "add and list peers (parley peer add LINE, parley peer list)" },
	{ "channel", cli_channel_main, "propose, accept and show a channel's charter" },
	{ "case", cli_case_main, "open, list, show and act on cases (the request lifecycle)" },
	{ "report", cli_report_main, "response statistics both parties compute alike" },
	{ "export", cli_export_main, "write a redacted audit bundle of a channel" },
	{ "audit", cli_audit_main, "check an audit bundle anywhere and recompute its report" },
	{ "import", cli_import_main, "bring a spreadsheet register of past requests into the log" },
	{ "operator", cli_operator_main, "add, list and revoke operators of the API (bearer tokens)" },
	{ "status", cli_status_main, "a node at a glance: backlogs, cases, overdue, evidence" },
	{ "serve", cli_serve_main, "run the node: peer API over mutual TLS and the delivery worker" },
	{ "send", cli_send_main, "append a message for a peer to the outbox" },
	{ "ping", cli_ping_main, "a liveness round trip to a peer, recorded in both logs" },
	{ "inbox", cli_inbox_main, "ingest a delivery file from an air-gapped link (inbox import)" },
	{ "receipts", cli_receipts_main, "store the receipts a peer wrote for a delivery file" },
	{ "outbox", cli_outbox_main, "print the batch pending for a peer as the peer API's JSON" },
	{ "log", cli_log_main, "list logs, their sizes, checkpoints and receipts" },
	{ "verify", cli_verify_main, "check the whole store: roots, signatures, receipts, consistency" },
	{ "store", cli_store_main, "copy a whole store between SQLite and PostgreSQL, then check it" },
	{ "demo", cli_demo_main, "run a local two-party exchange in a temporary directory" },
	{ "version", version_main, "print the version" },
	{ "help", help_main, "show help for parley or a command" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: parley COMMAND [OPTIONS]\n"
		"\n"
		"parley keeps provable records of requests between organisations:\n"
		"append-only RFC 9162 logs, signed checkpoints and cosigned receipts.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f,
		"\n"
		"Every command takes --help. The node directory is --dir DIR, else\n"
		"$PARLEY_DIR, else ./parley-node.\n");
}

static int version_main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--json") == 0) {
		cli_print_json(json_pack("{s:s,s:s}", "version", VERSION, "envelope", "parley/1"));
		return CLI_OK;
	}
	if (cli_wants_help(argc, argv)) {
		printf("usage: parley version [--json]\n\nPrints parley's version (and, with --json, the "
		       "envelope format it writes).\n");
		return CLI_OK;
	}
	if (argc > 1)
		return cli_usage("version", "parley version [--json]", "unexpected argument '%s'", argv[1]);
	printf("parley %s\n", VERSION);
	return CLI_OK;
}

static const struct cli_cmd *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int help_main(int argc, char **argv)
{
	const struct cli_cmd *c;
	char *args[] = { NULL, "--help", NULL };

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (!(c = find(argv[1])) || c->fn == help_main)
		return cli_usage("help", "parley help [COMMAND]",
				 "unknown command '%s'", argv[1]);
	args[0] = argv[1];
	return c->fn(2, args);
}

const char *cli_dir(const char *opt)
{
	const char *env = getenv("PARLEY_DIR");

	if (opt)
		return opt;
	if (env && *env)
		return env;
	return "parley-node";
}

int cli_error(const char *cmd, const struct err *e, int json)
{
	if (json) {
		json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code",
				      err_name(e->code), "message", e->msg);
		if (o) {
			json_dumpf(o, stderr, JSON_COMPACT);
			fputc('\n', stderr);
			json_decref(o);
		}
	} else {
		fprintf(stderr, "parley %s: error: %s\n", cmd, e->msg);
	}
	return CLI_FAIL;
}

void cli_print_json(json_t *o)
{
	if (o)
		json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
}

int cli_usage(const char *cmd, const char *use, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "parley %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", use);
	return CLI_USAGE;
}

int cli_dir_json_opts(int argc, char **argv, const char *cmd, const char *usage,
		      const char *help, const char **dir, int *json)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "hd:j", opts, NULL)) != -1) {
		switch (c) {
		case 'd': *dir = optarg; break;
		case 'j': *json = 1; break;
		case 'h':
			printf("usage: %s\n\n%s", usage, help);
			return CLI_OK;
		default:
			return cli_usage(cmd, usage, "bad option");
		}
	}
	return -1;
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0)
		return version_main(argc - 1, argv + 1);
	if (!(c = find(argv[1]))) {
		fprintf(stderr, "parley: unknown command '%s'\n\n", argv[1]);
		usage(stderr);
		return CLI_USAGE;
	}
#ifdef __GLIBC__
	/* One-shot commands that read whole logs: large arrays from the heap,
	 * and freed memory kept for the next one instead of handed back and
	 * faulted in again (at a million cases, page faults were a third of
	 * a report's time). Not for serve: a server gives memory back. */
	if (strcmp(c->name, "report") == 0 || strcmp(c->name, "audit") == 0 ||
	    strcmp(c->name, "export") == 0 || strcmp(c->name, "verify") == 0) {
		mallopt(M_MMAP_THRESHOLD, 1 << 30);
		mallopt(M_TRIM_THRESHOLD, 1 << 30);
	}
#endif
	return c->fn(argc - 1, argv + 1);
}
