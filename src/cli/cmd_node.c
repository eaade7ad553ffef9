/* cmd_node.c — parley init, parley identity, parley peer. */
#include "cli/cli.h"
#include "net/outbox.h"
#include "node/keyfile.h"
#include "node/node.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

static const char init_usage[] =
	"parley init --name NAME [--dir DIR] [--listen HOST:PORT] [--endpoint URL] [--store URL] [--protect]\n"
	"                   [--operator-listen HOST:PORT] [--json]";

int cli_init_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, 'l' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "operator-listen", required_argument, NULL, 'O' },
		{ "dir", required_argument, NULL, 'd' },
		{ "protect", no_argument, NULL, 'P' },
		{ "store", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *name = NULL, *dir = NULL, *listen = NULL, *endpoint = NULL, *oplisten = NULL;
	const char *store = NULL;
	struct node *n = NULL;
	struct err e = { 0 };
	char vkey[1024], pass[KEYFILE_PASS_MAX];
	size_t plen = 0;
	int c, json = 0, protect = 0, rc;

	while ((c = getopt_long(argc, argv, "hn:d:", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'l': listen = optarg; break;
		case 'E': endpoint = optarg; break;
		case 'O': oplisten = optarg; break;
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'P': protect = 1; break;
		case 'S': store = optarg; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Creates a party in DIR (default $PARLEY_DIR, else ./parley-node):\n"
			       "  identity.key  the Ed25519 signing key (mode 0600, never overwritten)\n"
			       "  data.key      the key that seals bodies at rest (mode 0600)\n"
			       "  tls.key       the TLS key (ECDSA P-256, mode 0600)\n"
			       "  tls.crt       its self-signed certificate; peers pin its key\n"
			       "  parley.conf   the configuration (parley.conf(5))\n"
			       "  parley.db     the SQLite store\n"
			       "NAME is the party's name, 1-128 of a-z 0-9 . - (e.g. cert.example.org).\n"
			       "--listen is where 'parley serve' listens for peers (default %s);\n"
			       "--endpoint is the URL peers dial (default https://LISTEN).\n"
			       "--operator-listen is where the operator API (/api/v1/) listens: by\n"
			       "default %s when --listen is not given either, else off\n"
			       "until given. Keep it on loopback unless a proxy guards it.\n"
			       "--store URL keeps the store elsewhere: sqlite:PATH, or\n"
			       "postgresql://... (several 'parley serve' may share one database;\n"
			       "a database that holds a party already is refused).\n"
			       "--protect seals identity.key under a passphrase (Argon2id): from\n"
			       "$PARLEY_PASSPHRASE_FILE, else $PARLEY_PASSPHRASE, else asked twice on\n"
			       "the terminal; every later command needs it the same way.\n",
			       init_usage, CONFIG_LISTEN_DEFAULT, CONFIG_OPERATOR_LISTEN_DEFAULT);
			return CLI_OK;
		default:
			return cli_usage("init", init_usage, "bad option");
		}
	}
	if (optind != argc)
		return cli_usage("init", init_usage, "unexpected argument '%s'", argv[optind]);
	if (!name)
		return cli_usage("init", init_usage, "--name is required");
	dir = cli_dir(dir);
	if (protect && keyfile_passphrase(pass, sizeof(pass), &plen, "the new identity key", 1, &e) < 0)
		return cli_error("init", &e, json);
	rc = node_init_store(dir, name, listen, endpoint, oplisten, store, &e);
	if (rc == 0 && (rc = node_open(&n, dir, &e)) == 0 &&
	    (rc = node_identity(n, vkey, sizeof(vkey), &e)) == 0 && protect &&
	    (rc = node_key_protect(dir, 1, pass, plen, &e)) < 0)
		err_wrap(&e, "the node was created but its key is NOT protected (run parley key protect)");
	sodium_memzero(pass, sizeof(pass));
	node_close(n);
	if (rc < 0)
		return cli_error("init", &e, json);
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:s}", "name", name, "dir", dir,
				      "identity", vkey);
		cli_print_json(o);
	} else {
		printf("created party %s in %s\nidentity: %s\n", name, dir, vkey);
	}
	return CLI_OK;
}

static const char identity_usage[] = "parley identity [--dir DIR] [--json]";

int cli_identity_main(int argc, char **argv)
{
	const char *dir = NULL;
	struct node *n = NULL;
	struct err e = { 0 };
	char vkey[1024];
	int json = 0, rc;

	if ((rc = cli_dir_json_opts(argc, argv, "identity", identity_usage,
					   "Prints this party's identity as one line that a peer imports with\n"
					   "'parley peer add LINE': its signed-note verifier key (name+keyid+base64),\n"
					   "the pin of its TLS key (sha256//base64) and its endpoint URL.\n",
					   &dir, &json)) >= 0)
		return rc;
	if (optind != argc)
		return cli_usage("identity", identity_usage, "unexpected argument '%s'", argv[optind]);
	if (node_open(&n, cli_dir(dir), &e) < 0 ||
	    node_identity(n, vkey, sizeof(vkey), &e) < 0) {
		node_close(n);
		return cli_error("identity", &e, json);
	}
	if (json) {
		char vk[NOTE_KEY_STR_MAX];
		json_t *o;
		note_key_encode(&n->key.pub, vk, sizeof(vk), &e);
		o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", n->cfg.name, "identity", vkey,
			      "verifier_key", vk, "tls_pin", n->tls_pin, "endpoint", n->cfg.endpoint);
		cli_print_json(o);
	} else {
		printf("%s\n", vkey);
	}
	node_close(n);
	return CLI_OK;
}

static const char peer_usage[] =
	"parley peer add LINE [--dir DIR] | parley peer list [--dir DIR] [--json]";

struct peer_list {
	struct node *n;
	json_t *arr;
};

static int list_log(void *ctx, const struct store_log *log)
{
	struct peer_list *pl = ctx;
	struct store_checkpoint cp;
	struct err e;
	uint64_t cpsize = 0;

	if (store_checkpoint_latest(pl->n->store, log->id, &cp, &e) == 0) {
		cpsize = cp.size;
		free(cp.note);
	}
	if (pl->arr)
		json_array_append_new(pl->arr,
			json_pack("{s:s,s:s,s:s,s:I,s:I}", "origin", log->origin,
				  "sender", log->sender, "receiver", log->receiver,
				  "size", (json_int_t)log->size,
				  "checkpoint_size", (json_int_t)cpsize));
	else
		printf("%-60s %10" PRIu64 " entries, checkpoint at %" PRIu64 "\n",
		       log->origin, log->size, cpsize);
	return 0;
}

struct evidence_count {
	const char *peer;
	int n;
	char first[600];
};

static int count_evidence(void *ctx, const struct store_evidence *v)
{
	struct evidence_count *c = ctx;
	char want[STORE_ORIGIN_MAX + 1];

	snprintf(want, sizeof(want), "parley/%s/", c->peer);
	if (strncmp(v->origin, want, strlen(want)) == 0) {
		if (c->n++ == 0)
			snprintf(c->first, sizeof(c->first), "FORK at size %llu: %s",
				 (unsigned long long)v->size, v->reason);
	}
	return 0;
}

static int list_peer(void *ctx, const struct store_party *p)
{
	struct peer_list *pl = ctx;
	struct store_delivery d;
	struct store_log log;
	struct evidence_count ec = { p->name, 0, "" };
	struct err e;
	uint64_t backlog = 0, done = 0, t = 0;
	char when[21] = "-";

	if (outbox_backlog(pl->n, p->name, &backlog, &e) < 0)
		backlog = 0;
	if (store_log_get(pl->n->store, pl->n->cfg.name, p->name, 0, &log, &e) == 0)
		store_receipted(pl->n->store, log.id, p->name, &done, &t, &e);
	if (t)
		envelope_time_format((int64_t)t, when, &e);
	if (store_delivery_get(pl->n->store, p->name, &d, &e) < 0)
		memset(&d, 0, sizeof(d));
	store_evidence_each(pl->n->store, count_evidence, &ec, &e);
	if (pl->arr) {
		json_array_append_new(pl->arr,
			json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s?,s:I,s:s,s:i}", "name", p->name,
				  "verifier_key", p->vkey, "endpoint", p->endpoint, "tls_pin", p->pin,
				  "backlog", (json_int_t)backlog, "receipted", (json_int_t)done,
				  "last_receipt", t ? when : NULL, "failures", (json_int_t)d.failures,
				  "last_error", d.last_error, "fork_evidence", ec.n));
	} else {
		printf("%-28s %8" PRIu64 " %10" PRIu64 " %-20s %s%s%s\n", p->name, backlog, done,
		       when, ec.n ? ec.first : "", ec.n && d.last_error[0] ? "; " : "",
		       d.failures ? d.last_error : "");
	}
	return 0;
}

/* parley log show ORIGIN: entries with sender and receipt times. */
static int log_show(const char *dir, const char *origin, uint64_t from, uint64_t count,
		    int json)
{
	struct node *n = NULL;
	struct store_log log;
	struct err e = { 0 };
	json_t *arr = json ? json_array() : NULL;
	const char *slash;
	char sender[STORE_NAME_MAX + 1], receiver[STORE_NAME_MAX + 1];
	int rc = 0;

	if (strncmp(origin, "parley/", 7) != 0 || !(slash = strchr(origin + 7, '/')) ||
	    (size_t)(slash - origin - 7) > STORE_NAME_MAX || strlen(slash + 1) > STORE_NAME_MAX) {
		json_decref(arr);
		return cli_usage("log", "parley log show parley/FROM/TO", "bad origin '%s'", origin);
	}
	snprintf(sender, sizeof(sender), "%.*s", (int)(slash - origin - 7), origin + 7);
	snprintf(receiver, sizeof(receiver), "%s", slash + 1);
	if ((rc = node_open(&n, dir, &e)) < 0 ||
	    (rc = store_log_get(n->store, sender, receiver, 0, &log, &e)) < 0)
		goto out;
	for (uint64_t i = from; i < log.size && i < from + count; i++) {
		struct envelope env;
		char *buf, sent[21], rcvd[40] = "sent, no receipt", body[65];
		size_t len;
		uint64_t t;

		if ((rc = store_entry_get(n->store, log.id, i, &buf, &len, &e)) < 0)
			goto out;
		rc = envelope_parse(&env, buf, len, &e);
		free(buf);
		if (rc < 0 || (rc = store_receipt_time(n->store, log.id, i, receiver, &t, &e)) < 0)
			goto out;
		envelope_time_format(env.time, sent, &e);
		if (t) {
			memcpy(rcvd, "receipt ", 8);
			envelope_time_format((int64_t)t, rcvd + 8, &e);
		}
		merkle_hex(body, env.body);
		if (arr)
			json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:s?,s:s+}",
				"index", (json_int_t)i, "kind", envelope_kind_name(env.kind),
				"type", env.type, "case_from", env.case_from,
				"case_index", (json_int_t)env.case_index, "sent", sent,
				"receipt", t ? rcvd + 8 : NULL, "body", "sha256:", body));
		else
			printf("%8" PRIu64 "  %-9s %-24s %s/%-6" PRIu64 " sent %s  %s\n", i,
			       envelope_kind_name(env.kind), env.type, env.case_from, env.case_index,
			       sent, rcvd);
	}
	if (arr) {
		cli_print_json(arr);
		arr = NULL;
	}
out:
	json_decref(arr);
	node_close(n);
	return rc < 0 ? cli_error("log show", &e, json) : CLI_OK;
}

int cli_log_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "from", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	static const char use[] =
		"parley log [--dir DIR] [--json] | parley log show ORIGIN [--from N] [--count N]";
	uint64_t from = 0, count = 50;
	char *end;
	const char *dir = NULL;
	struct peer_list pl = { 0 };
	struct err e = { 0 };
	int c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "hd:f:n:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'f':
			from = strtoull(optarg, &end, 10);
			if (*end || !*optarg)
				return cli_usage("log", use, "--from takes an index");
			break;
		case 'n':
			count = strtoull(optarg, &end, 10);
			if (*end || !*optarg)
				return cli_usage("log", use, "--count takes a number");
			break;
		case 'h':
			printf("usage: %s\n\nLists every log this node holds (its own and its peers'\n"
			       "mirrored ones): origin, size and the size of the latest checkpoint.\n"
			       "'log show ORIGIN' lists entries: index, kind, type, case, the sender's\n"
			       "time, and the receipt time (the receiver's first cosignature covering\n"
			       "the entry), or 'sent, no receipt' when there is none; --json adds\n"
			       "each envelope's body hash.\n", use);
			return CLI_OK;
		default:
			return cli_usage("log", use, "bad option");
		}
	}
	if (argc - optind == 2 && strcmp(argv[optind], "show") == 0)
		return log_show(cli_dir(dir), argv[optind + 1], from, count, json);
	if (optind != argc)
		return cli_usage("log", use, "unexpected argument '%s'", argv[optind]);
	if (node_open(&pl.n, cli_dir(dir), &e) < 0)
		return cli_error("log", &e, json);
	if (json)
		pl.arr = json_array();
	rc = store_log_each(pl.n->store, list_log, &pl, &e);
	if (rc == 0 && json) {
		cli_print_json(pl.arr);
		pl.arr = NULL;
	}
	json_decref(pl.arr);
	node_close(pl.n);
	return rc < 0 ? cli_error("log", &e, json) : CLI_OK;
}

int cli_peer_main(int argc, char **argv)
{
	const char *dir = NULL;
	struct node *n = NULL;
	struct err e = { 0 };
	int json = 0, rc;

	if ((rc = cli_dir_json_opts(argc, argv, "peer", peer_usage,
					   "add LINE   import a peer's identity line (from 'parley identity')\n"
					   "list       peers with their delivery state: backlog (our entries not\n"
					   "           yet receipted), receipted size, time of the last receipt,\n"
					   "           the last delivery error, and fork evidence if any;\n"
					   "           --json also gives each peer's verifier key and TLS pin\n"
					   "           (after a key rotation, the key it announced)\n",
					   &dir, &json)) >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage("peer", peer_usage, "missing subcommand");
	if (strcmp(argv[optind], "add") == 0) {
		if (argc - optind != 2)
			return cli_usage("peer", peer_usage, "peer add takes one LINE");
		if (node_open(&n, cli_dir(dir), &e) < 0 ||
		    node_peer_add(n, argv[optind + 1], &e) < 0) {
			node_close(n);
			return cli_error("peer add", &e, json);
		}
		if (json)
			cli_print_json(json_pack("{s:s%}", "added", argv[optind + 1],
						 strcspn(argv[optind + 1], "+")));
		else
			printf("added peer %.*s\n",
			       (int)strcspn(argv[optind + 1], "+"), argv[optind + 1]);
		node_close(n);
		return CLI_OK;
	}
	if (strcmp(argv[optind], "list") == 0) {
		struct peer_list pl = { 0 };

		if (argc - optind != 1)
			return cli_usage("peer", peer_usage, "peer list takes no argument");
		if (node_open(&n, cli_dir(dir), &e) < 0)
			return cli_error("peer list", &e, json);
		pl.n = n;
		pl.arr = json ? json_array() : NULL;
		if (!json)
			printf("%-28s %8s %10s %-20s %s\n", "peer", "backlog", "receipted",
			       "last receipt", "last error / fork evidence");
		rc = store_party_each(n->store, list_peer, &pl, &e);
		if (rc == 0 && json) {
			cli_print_json(pl.arr);
			pl.arr = NULL;
		}
		json_decref(pl.arr);
		node_close(n);
		return rc < 0 ? cli_error("peer list", &e, json) : CLI_OK;
	}
	return cli_usage("peer", peer_usage, "unknown subcommand '%s'", argv[optind]);
}

static const char key_usage[] = "parley key protect|unprotect|rotate [--dir DIR] [--json]";

/* parley key rotate: a new identity key, announced in every log we send. */
static int key_rotate(const char *dir, int json)
{
	struct node_rotation r;
	struct err e = { 0 };

	if (node_key_rotate(dir, &r, &e) < 0)
		return cli_error("key rotate", &e, json);
	if (json)
		cli_print_json(json_pack("{s:s,s:s,s:s,s:i,s:b,s:b}", "dir", dir, "old", r.old_key,
					 "new", r.new_key, "announced", (int)r.peers, "resumed", r.resumed,
					 "protected", r.sealed));
	else
		printf("%s the identity key in %s\nold: %s\nnew: %s\nannounced to %zu peer%s;"
		       " restart parley serve to sign with the new key\n",
		       r.resumed ? "finished rotating" : "rotated", dir, r.old_key, r.new_key, r.peers,
		       r.peers == 1 ? "" : "s");
	return CLI_OK;
}

/* parley key protect|unprotect: seal the identity key under a passphrase,
 * or open it back into a plain file; parley key rotate. */
int cli_key_main(int argc, char **argv)
{
	const char *dir = NULL;
	struct err e = { 0 };
	int json = 0, protect, rc;

	if ((rc = cli_dir_json_opts(argc, argv, "key", key_usage,
					   "protect seals identity.key under a passphrase (Argon2id, then\n"
					   "XChaCha20-Poly1305); unprotect opens it back into a plain file. The\n"
					   "passphrase comes from $PARLEY_PASSPHRASE_FILE (a file holding it),\n"
					   "else $PARLEY_PASSPHRASE, else the terminal (asked twice to protect).\n"
					   "Once protected, every command that opens the node needs it the same\n"
					   "way, parley serve included. The file is replaced atomically.\n\n"
					   "rotate makes a new identity key (sealed like the old one) and appends\n"
					   "to our log to every peer a key entry: the new verifier key, signed by\n"
					   "the old key and the new. Peers accept checkpoints and receipts by the\n"
					   "new key once that entry reaches them; verify and audit follow the\n"
					   "change along the log. Stop parley serve first and deliver the outbox:\n"
					   "every peer must have cosigned all we sent. If it is interrupted, the\n"
					   "node refuses to open until rotate is run again, which finishes it.\n",
					   &dir, &json)) >= 0)
		return rc;
	if (argc - optind != 1 || (strcmp(argv[optind], "protect") && strcmp(argv[optind], "unprotect") &&
				   strcmp(argv[optind], "rotate")))
		return cli_usage("key", key_usage, "say protect, unprotect or rotate");
	dir = cli_dir(dir);
	if (strcmp(argv[optind], "rotate") == 0)
		return key_rotate(dir, json);
	protect = strcmp(argv[optind], "protect") == 0;
	if (node_key_protect(dir, protect, NULL, 0, &e) < 0)
		return cli_error("key", &e, json);
	if (json)
		cli_print_json(json_pack("{s:s,s:b}", "dir", dir, "protected", protect));
	else
		printf("the identity key in %s is %s\n", dir,
		       protect ? "now sealed under the passphrase" : "now a plain file (mode 0600)");
	return CLI_OK;
}
