/* cli.h — the parley command line: one *_main per command group, shared
 * option handling and error printing. */
#ifndef PARLEY_CLI_H
#define PARLEY_CLI_H

#include <stdint.h>

#include "util/err.h"

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help; /* one line */
};

/* Exit codes. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cli_init_main(int argc, char **argv);
int cli_identity_main(int argc, char **argv);
int cli_peer_main(int argc, char **argv);
int cli_log_main(int argc, char **argv);
int cli_verify_main(int argc, char **argv);
int cli_demo_main(int argc, char **argv);
int cli_serve_main(int argc, char **argv);
int cli_send_main(int argc, char **argv);
int cli_ping_main(int argc, char **argv);
int cli_outbox_main(int argc, char **argv);
int cli_channel_main(int argc, char **argv);
int cli_case_main(int argc, char **argv);
int cli_operator_main(int argc, char **argv);
int cli_report_main(int argc, char **argv);
int cli_export_main(int argc, char **argv);
int cli_audit_main(int argc, char **argv);
int cli_import_main(int argc, char **argv);
int cli_key_main(int argc, char **argv);
int cli_outbox_export(int argc, char **argv);
int cli_inbox_main(int argc, char **argv);
int cli_receipts_main(int argc, char **argv);
int cli_status_main(int argc, char **argv);
int cli_store_main(int argc, char **argv);
/* What parley report and parley audit parse (node/reports.h prints). */
/* --by month|quarter|year as an enum report_by, or -1; --format check;
 * YYYY-MM-DD or a full time for --from/--to. */
int cli_report_by(const char *s);
int cli_report_format_valid(const char *f);
int cli_report_date(const char *s, int64_t *t);

/* The node directory: --dir, else $PARLEY_DIR, else ./parley-node. */
const char *cli_dir(const char *opt);
/* Prints e as "parley CMD: error: ..." (or a JSON object when json) on
 * stderr and returns CLI_FAIL. */
int cli_error(const char *cmd, const struct err *e, int json);
/* Prints a usage error and returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prints o as one compact JSON line on stdout and releases it. */
struct json_t;
void cli_print_json(struct json_t *o);
/* True if argv holds -h or --help before any "--". */
int cli_wants_help(int argc, char **argv);
/* The options of a command that takes only --dir, --json and --help:
 * sets *dir and *json and leaves optind at the first operand. Returns -1
 * to go on, or the exit code when help was printed (help follows the
 * usage line) or an option was bad. */
int cli_dir_json_opts(int argc, char **argv, const char *cmd, const char *usage,
		      const char *help, const char **dir, int *json);

#endif
