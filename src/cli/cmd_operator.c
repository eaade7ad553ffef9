/* cmd_operator.c — parley operator add|list|revoke|audit. */
#include "cli/cli.h"
#include "node/operator.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

static const char operator_usage[] =
	"parley operator add NAME --role officer|supervisor|auditor | list | revoke NAME | audit\n"
	"       [--dir DIR] [--json]";

static int list_one(void *ctx, const struct store_operator *op)
{
	json_t *arr = ctx;
	char when[21];
	struct err e;

	envelope_time_format(op->created, when, &e);
	if (arr)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:b}", "name", op->name, "role",
						     op->role, "created", when, "revoked", op->revoked));
	else
		printf("%-24s %-11s %s%s\n", op->name, op->role, when, op->revoked ? "  revoked" : "");
	return 0;
}

/* One record of the audit trail: when, who ("-" for a caller without a
 * valid token), the request, and how it ended. */
static int audit_one(void *ctx, int64_t time, const char *who, const char *action,
		     const char *outcome)
{
	json_t *arr = ctx;
	char when[21];
	struct err e;

	envelope_time_format(time, when, &e);
	if (arr)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}", "time", when, "operator",
						     who, "action", action, "outcome", outcome));
	else
		printf("%s  %-24s %-44s %s\n", when, who, action, outcome);
	return 0;
}

int cli_operator_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dir = NULL, *role = NULL, *sub;
	struct node *n = NULL;
	struct err e = { 0 };
	char token[OPERATOR_TOKEN_MAX];
	int c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "hr:d:", opts, NULL)) != -1) {
		switch (c) {
		case 'r': role = optarg; break;
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Operators use the API (/api/v1/ on operator_listen, loopback by\n"
			       "default) with a bearer token. add prints the token once; only its\n"
			       "SHA-256 is stored. Roles: auditor reads; officer also opens and\n"
			       "answers cases; supervisor also proposes and accepts charters.\n"
			       "audit lists the audit trail: every change request to the API,\n"
			       "refused ones included, with its time, operator and outcome.\n",
			       operator_usage);
			return CLI_OK;
		default:
			return cli_usage("operator", operator_usage, "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage("operator", operator_usage, "missing subcommand");
	sub = argv[optind];
	if (strcmp(sub, "add") == 0 && (argc - optind != 2 || !role))
		return cli_usage("operator", operator_usage, "add takes NAME and --role");
	if (strcmp(sub, "revoke") == 0 && argc - optind != 2)
		return cli_usage("operator", operator_usage, "revoke takes NAME");
	if ((strcmp(sub, "list") == 0 || strcmp(sub, "audit") == 0) && argc - optind != 1)
		return cli_usage("operator", operator_usage, "%s takes no argument", sub);
	if (strcmp(sub, "add") && strcmp(sub, "revoke") && strcmp(sub, "list") && strcmp(sub, "audit"))
		return cli_usage("operator", operator_usage, "unknown subcommand '%s'", sub);
	if ((rc = node_open(&n, cli_dir(dir), &e)) < 0)
		return cli_error("operator", &e, json);
	if (strcmp(sub, "add") == 0) {
		if ((rc = operator_add(n, argv[optind + 1], role, token, &e)) == 0) {
			if (json)
				cli_print_json(json_pack("{s:s,s:s,s:s}", "name", argv[optind + 1],
							 "role", role, "token", token));
			else
				printf("operator %s (%s) added; the token is shown only now:\n%s\n",
				       argv[optind + 1], role, token);
			sodium_memzero(token, sizeof(token));
		}
	} else if (strcmp(sub, "revoke") == 0) {
		if ((rc = store_operator_revoke(n->store, argv[optind + 1], &e)) == 0 && !json)
			printf("operator %s revoked\n", argv[optind + 1]);
	} else {
		json_t *arr = json ? json_array() : NULL;
		if (strcmp(sub, "audit") == 0)
			rc = store_audit_each(n->store, audit_one, arr, &e);
		else
			rc = store_operator_each(n->store, list_one, arr, &e);
		if (rc == 0 && arr) {
			cli_print_json(arr);
			arr = NULL;
		}
		json_decref(arr);
	}
	node_close(n);
	return rc < 0 ? cli_error("operator", &e, json) : CLI_OK;
}
