/* cmd_case.c — parley channel (charters) and parley case (the request
 * lifecycle), over the views of node/cases.h. */
#include "cli/cli.h"
#include "core/stix.h"
#include "node/cases.h"
#include "core/templates.h"
#include "util/fsio.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

/* 3600 -> "1h", 1209600 -> "14d", -1 -> "(none expected)". */
static void fmt_duration(int64_t s, char *out, size_t cap)
{
	if (s < 0)
		snprintf(out, cap, "(none expected)");
	else if (s % 86400 == 0)
		snprintf(out, cap, "%" PRId64 "d", s / 86400);
	else if (s % 3600 == 0)
		snprintf(out, cap, "%" PRId64 "h", s / 3600);
	else
		snprintf(out, cap, "%" PRId64 "m", s / 60);
}

static const char channel_usage[] =
	"parley channel propose PEER (--charter FILE | --template NAME) | accept PEER | show PEER\n"
	"       | templates   [--dir DIR] [--json]";

int cli_channel_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "charter", required_argument, NULL, 'c' },
		{ "template", required_argument, NULL, 'T' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dir = NULL, *file = NULL, *tmpl = NULL, *sub, *peer;
	struct node *n = NULL;
	struct err e = { 0 };
	char *buf = NULL;
	size_t len;
	uint64_t idx = 0;
	int c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "hc:T:d:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': file = optarg; break;
		case 'T': tmpl = optarg; break;
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: %s\n\n"
			       "A channel's charter names its case types, their fields, TLP marking\n"
			       "and deadlines (templates in charters/). One side proposes it, the\n"
			       "other accepts the same bytes; it is in force once both logs hold it,\n"
			       "and no case can be opened before. An amendment is a new proposal.\n"
			       "  propose PEER --charter FILE   append the charter to our log for PEER\n"
			       "  propose PEER --template NAME  the same with a built-in template\n"
			       "  accept PEER                   accept PEER's newest proposal\n"
			       "  show PEER                     the charter in force and any proposal\n"
			       "  templates                     list the built-in templates\n",
			       channel_usage);
			return CLI_OK;
		default:
			return cli_usage("channel", channel_usage, "bad option");
		}
	}
	if (argc - optind == 1 && strcmp(argv[optind], "templates") == 0) {
		json_t *arr = json ? json_array() : NULL;
		for (const struct charter_template *t = charter_templates; t->name; t++) {
			struct charter *ch = NULL;
			if (charter_parse(&ch, t->json, strlen(t->json), &e) < 0) {
				json_decref(arr);
				return cli_error("channel", &e, json);
			}
			if (arr)
				json_array_append_new(arr, json_pack("{s:s,s:s}", "name", t->name,
								     "title", ch->title));
			else
				printf("%-26s %s\n", t->name, ch->title);
			charter_free(ch);
		}
		if (arr)
			cli_print_json(arr);
		return CLI_OK;
	}
	if (argc - optind != 2)
		return cli_usage("channel", channel_usage, "expected a subcommand and a PEER");
	sub = argv[optind];
	peer = argv[optind + 1];
	if (strcmp(sub, "propose") && strcmp(sub, "accept") && strcmp(sub, "show"))
		return cli_usage("channel", channel_usage, "unknown subcommand '%s'", sub);
	if (strcmp(sub, "propose") == 0 && !file == !tmpl)
		return cli_usage("channel", channel_usage, "propose needs --charter FILE or --template NAME");
	if (file && (rc = fsio_read(file, CHARTER_MAX, &buf, &len, &e)) < 0)
		return cli_error("channel", &e, json);
	if (tmpl) {
		const struct charter_template *t = charter_templates;
		while (t->name && strcmp(t->name, tmpl) != 0)
			t++;
		if (!t->name)
			return cli_usage("channel", channel_usage,
					 "no template '%s' (see parley channel templates)", tmpl);
		buf = strdup(t->json);
		len = strlen(t->json);
	}
	if ((rc = node_open(&n, cli_dir(dir), &e)) < 0)
		goto out;
	if (strcmp(sub, "propose") == 0) {
		if ((rc = channel_propose(n, peer, buf, len, &idx, &e)) == 0)
			json ? cli_print_json(json_pack("{s:s,s:I}", "proposed", peer, "index", (json_int_t)idx))
			     : (void)printf("charter proposed to %s as entry %" PRIu64 "; in force once %s accepts it\n",
					    peer, idx, peer);
	} else if (strcmp(sub, "accept") == 0) {
		if ((rc = channel_accept(n, peer, &idx, &e)) == 0)
			json ? cli_print_json(json_pack("{s:s,s:I}", "accepted", peer, "index", (json_int_t)idx))
			     : (void)printf("accepted %s's charter as entry %" PRIu64 "\n", peer, idx);
	} else {
		struct channel_state st;
		if ((rc = channel_state(n, peer, &st, &e)) == 0) {
			if (json) {
				json_t *types = json_array();
				for (size_t i = 0; st.charter && i < st.charter->ntypes; i++)
					json_array_append_new(types, json_string(st.charter->types[i].name));
				cli_print_json(json_pack("{s:s,s:s?,s:o,s:b,s:b}", "peer", peer, "title",
							 st.charter ? st.charter->title : NULL, "types", types,
							 "pending_ours", st.pending_ours,
							 "pending_theirs", st.pending_theirs));
			} else {
				printf("channel with %s: %s\n", peer,
				       st.charter ? st.charter->title : "no charter in force");
				for (size_t i = 0; st.charter && i < st.charter->ntypes; i++) {
					const struct charter_type *t = &st.charter->types[i];
					char ack[32], ans[32];
					fmt_duration(t->ack_within, ack, sizeof(ack));
					fmt_duration(t->answer_within, ans, sizeof(ans));
					printf("  %-26s acknowledge within %-5s answer within %-17s tlp %s\n",
					       t->name, ack, ans, t->tlp);
				}
				if (st.pending_ours)
					printf("  our proposal awaits %s's acceptance\n", peer);
				if (st.pending_theirs)
					printf("  %s's proposal awaits ours: parley channel accept %s\n", peer, peer);
			}
			channel_state_free(&st);
		}
	}
out:
	free(buf);
	node_close(n);
	return rc < 0 ? cli_error("channel", &e, json) : CLI_OK;
}

static const char case_usage[] =
	"parley case new PEER --type TYPE --subject TEXT [--field NAME=VALUE ...] [--text TEXT] [--tlp TLP]\n"
	"                     [--attach FILE ...] [--from-stix FILE]\n"
	"       parley case export --stix ID [--out FILE]\n"
	"       parley case attachment SHA256 [--out FILE]\n"
	"       parley case list [--peer PEER] [--state STATE] [--overdue] [--at TIME]\n"
	"       parley case show ID [--at TIME]\n"
	"       parley case ack|answer|decline|withdraw|remind|close ID [--text TEXT | --file FILE]\n"
	"       (all take --dir DIR and --json; ID is REQUESTER/INDEX)";

static void fmt_time(int64_t t, char out[21])
{
	struct err e;

	if (!t || envelope_time_format(t, out, &e) < 0)
		snprintf(out, 21, "-");
}

/* case list prints each case as the walk settles it: nothing is held
 * for the cases already printed. */
struct list_out {
	int json;
	size_t n;
};

static void list_head(void)
{
	printf("%-34s %-24s %-13s %-20s %s\n", "case", "type", "state", "ack due", "subject");
}

static int list_one(void *ctx, const char *peer, const struct case_view *cv, struct err *e)
{
	struct list_out *lo = ctx;
	char id[160], due[21];

	(void)peer;
	(void)e;
	if (lo->json) {
		json_t *o = case_view_json(cv, 0);
		fputs(lo->n++ ? "," : "[", stdout);
		json_dumpf(o, stdout, JSON_COMPACT);
		json_decref(o);
		return 0;
	}
	if (lo->n++ == 0)
		list_head();
	snprintf(id, sizeof(id), "%s/%" PRIu64, cv->requester, cv->index);
	fmt_time(cv->ack_due, due);
	printf("%-34s %-24s %-13s %-20s %s%s\n", id, cv->type, case_state_name(cv->state), due,
	       cv->overdue_ack ? "OVERDUE(ack) " : cv->overdue_answer ? "OVERDUE(answer) " : "",
	       cv->subject);
	return 0;
}

static int case_list_cmd(struct node *n, const struct case_query *q, int64_t at, int json,
			 struct err *e)
{
	struct list_out lo = { json, 0 };
	int rc;

	rc = cases_each(n, q, at ? at : n->now(), 0, list_one, &lo, e);
	if (!json && rc == 0 && lo.n == 0)
		list_head();
	/* After an error too, what was printed stays valid JSON (the error
	 * follows on stderr). */
	if (json && (rc == 0 || lo.n))
		puts(lo.n ? "]" : "[]");
	return rc;
}

static int case_show_cmd(struct node *n, const char *id, int64_t at, int json, struct err *e)
{
	char party[ENVELOPE_NAME_MAX + 1];
	struct case_list l;
	uint64_t idx;
	int rc, found = 0;

	if ((rc = case_id_parse(id, party, &idx, e)) < 0 ||
	    (rc = cases_load_id(n, id, at ? at : n->now(), 0, &l, e)) < 0)
		return rc;
	for (size_t i = 0; i < l.n; i++) {
		const struct case_view *cv = &l.v[i];
		if (strcmp(cv->requester, party) != 0 || cv->index != idx)
			continue;
		found = 1;
		if (json) {
			cli_print_json(case_view_json(cv, 1));
			continue;
		}
		printf("case %s: %s, %s -> %s\n  subject: %s\n  state: %s%s%s\n", id, cv->type,
		       cv->requester, cv->responder, cv->subject, case_state_name(cv->state),
		       cv->overdue_ack ? ", OVERDUE to acknowledge" : "",
		       cv->overdue_answer ? ", OVERDUE to answer" : "");
		for (size_t k = 0; k < cv->nmsgs; k++) {
			const struct case_msg *m = &cv->msgs[k];
			char sent[21], rcpt[21];
			fmt_time(m->sent, sent);
			fmt_time((int64_t)m->receipt, rcpt);
			printf("  %-9s by %-26s entry %-6" PRIu64 " sent %s  %s%s%s\n",
			       envelope_kind_name(m->kind), m->from, m->index, sent,
			       m->receipt ? "receipt " : "sent, no receipt", m->receipt ? rcpt : "",
			       m->counted ? "" : "  (refused by the lifecycle)");
		}
	}
	case_list_free(&l);
	if (!found)
		return err_set(e, ERR_NOTFOUND, "no case %s", id);
	return 0;
}

/* --field NAME=VALUE pairs as a JSON object; NULL with e set if one has no '='. */
/* parley case export --stix ID: the case's request as a STIX 2.1 bundle. */
static int case_stix_cmd(struct node *n, const char *id, const char *outfile, int json,
			 struct err *e)
{
	char party[ENVELOPE_NAME_MAX + 1];
	struct case_list l;
	json_t *bundle = NULL;
	uint64_t idx;
	int rc;

	if ((rc = case_id_parse(id, party, &idx, e)) < 0 ||
	    (rc = cases_load_id(n, id, n->now(), 0, &l, e)) < 0)
		return rc;
	rc = err_set(e, ERR_NOTFOUND, "no case %s", id);
	for (size_t i = 0; i < l.n; i++) {
		const struct case_view *cv = &l.v[i];
		const struct case_msg *m = cv->nmsgs ? &cv->msgs[0] : NULL;
		json_t *body;
		struct stix_case sc;

		if (strcmp(cv->requester, party) != 0 || cv->index != idx)
			continue;
		if (!m || m->kind != ENVELOPE_REQUEST || !m->body) {
			rc = err_set(e, ERR_NOTFOUND, "case %s: its request's body is not held here", id);
			break;
		}
		body = json_loadb(m->body, m->body_len, 0, NULL);
		sc = (struct stix_case){ id, cv->requester, m->sent,
			json_string_value(json_object_get(body, "subject")),
			json_string_value(json_object_get(body, "text")),
			json_string_value(json_object_get(body, "tlp")), json_object_get(body, "fields") };
		if (!sc.subject)
			rc = err_set(e, ERR_INVALID, "case %s: its request has no subject", id);
		else if ((bundle = stix_export(&sc, e)))
			rc = 0;
		else
			rc = e->code;
		json_decref(body);
		break;
	}
	case_list_free(&l);
	if (rc == 0) {
		char *s = json_dumps(bundle, JSON_INDENT(2));
		json_decref(bundle);
		if (!s)
			return err_set(e, ERR_NOMEM, "out of memory");
		if (outfile) {
			size_t sl = strlen(s);
			s[sl] = '\n';
			rc = fsio_create(outfile, 0644, s, sl + 1, e);
			if (rc == 0)
				json ? cli_print_json(json_pack("{s:s,s:s}", "case", id, "file", outfile))
				     : (void)printf("wrote the STIX 2.1 bundle of case %s to %s\n", id, outfile);
		} else {
			printf("%s\n", s);
		}
		free(s);
	}
	return rc;
}

static json_t *field_pairs(char **fields, int nfields, struct err *e)
{
	json_t *f = json_object();

	for (int i = 0; i < nfields; i++) {
		char *eq = strchr(fields[i], '=');
		if (!eq || eq == fields[i]) {
			err_set(e, ERR_INVALID, "--field '%s': expected NAME=VALUE", fields[i]);
			json_decref(f);
			return NULL;
		}
		*eq = '\0';
		json_object_set_new(f, fields[i], json_string(eq + 1));
		*eq = '=';
	}
	return f;
}

int cli_case_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "subject", required_argument, NULL, 's' },
		{ "field", required_argument, NULL, 'F' },
		{ "attach", required_argument, NULL, 'A' },
		{ "out", required_argument, NULL, 'O' },
		{ "text", required_argument, NULL, 'x' },
		{ "file", required_argument, NULL, 'f' },
		{ "tlp", required_argument, NULL, 'T' },
		{ "from-stix", required_argument, NULL, 'X' },
		{ "stix", no_argument, NULL, 'Y' },
		{ "peer", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 'S' },
		{ "overdue", no_argument, NULL, 'o' },
		{ "at", required_argument, NULL, 'a' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *type = NULL, *subject = NULL, *text = NULL, *file = NULL, *tlp = NULL;
	const char *peer = NULL, *state = NULL, *dir = NULL, *sub;
	int64_t at = 0;
	char *fields[CHARTER_MAX_FIELDS], *body = NULL, *attach[CHARTER_MAX_ATTACHMENTS];
	struct store_blob blobs[CHARTER_MAX_ATTACHMENTS] = { { 0 } };
	const char *outfile = NULL, *from_stix = NULL;
	char *st_subject = NULL, *st_text = NULL, *st_tlp = NULL;
	json_t *st_fields = NULL;
	int nfields = 0, nattach = 0, overdue = 0, json = 0, stix = 0, c, rc = 0;
	struct node *n = NULL;
	struct err e = { 0 };
	uint64_t idx;
	size_t len;

	while ((c = getopt_long(argc, argv, "ht:s:F:A:O:x:f:T:p:S:oa:d:", opts, NULL)) != -1) {
		switch (c) {
		case 't': type = optarg; break;
		case 's': subject = optarg; break;
		case 'F':
			if (nfields == CHARTER_MAX_FIELDS)
				return cli_usage("case", case_usage, "at most %d --field", CHARTER_MAX_FIELDS);
			fields[nfields++] = optarg;
			break;
		case 'A':
			if (nattach == CHARTER_MAX_ATTACHMENTS)
				return cli_usage("case", case_usage, "at most %d --attach",
						 CHARTER_MAX_ATTACHMENTS);
			attach[nattach++] = optarg;
			break;
		case 'O': outfile = optarg; break;
		case 'x': text = optarg; break;
		case 'f': file = optarg; break;
		case 'T': tlp = optarg; break;
		case 'X': from_stix = optarg; break;
		case 'Y': stix = 1; break;
		case 'p': peer = optarg; break;
		case 'S': state = optarg; break;
		case 'o': overdue = 1; break;
		case 'a':
			if (envelope_time_parse(optarg, strlen(optarg), &at) < 0)
				return cli_usage("case", case_usage, "--at takes YYYY-MM-DDTHH:MM:SSZ");
			break;
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: %s\n\n"
			       "A case is a request and what follows it. new checks the body against\n"
			       "the channel's charter; every action is refused before anything is\n"
			       "logged unless the lifecycle allows it now (sent -> receipted ->\n"
			       "acknowledged -> answered | declined; withdraw by the requester while\n"
			       "open; close by either after an answer; remind while open). Deadlines\n"
			       "run from the receipt of the request; overdue is computed when asked,\n"
			       "or as of --at TIME. export --stix writes a cyber-incident case as a\n"
			       "STIX 2.1 bundle (identity, TLP marking, incident, indicators);\n"
			       "new --from-stix prefills subject, text, TLP and fields from one\n"
			       "(--subject, --text, --tlp and --field still win).\n",
			       case_usage);
			return CLI_OK;
		default:
			return cli_usage("case", case_usage, "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage("case", case_usage, "missing subcommand");
	sub = argv[optind];
	if ((rc = node_open(&n, cli_dir(dir), &e)) < 0)
		return cli_error("case", &e, json);
	if (strcmp(sub, "list") == 0) {
		struct case_query q = { .peer = peer, .state = state, .overdue = overdue };
		if (argc - optind != 1) {
			rc = cli_usage("case", case_usage, "case list takes no argument");
			goto done;
		}
		rc = case_list_cmd(n, &q, at, json, &e);
	} else if (strcmp(sub, "show") == 0) {
		if (argc - optind != 2) {
			rc = cli_usage("case", case_usage, "case show takes one ID");
			goto done;
		}
		rc = case_show_cmd(n, argv[optind + 1], at, json, &e);
	} else if (strcmp(sub, "attachment") == 0) {
		uint8_t h[32];
		void *data;
		FILE *out;
		if (argc - optind != 2 || strlen(argv[optind + 1]) != 64 ||
		    sodium_hex2bin(h, 32, argv[optind + 1], 64, NULL, NULL, NULL) != 0) {
			rc = cli_usage("case", case_usage, "case attachment takes a SHA256 (64 hex digits)");
			goto done;
		}
		if ((rc = store_body_get(n->store, h, &data, &len, &e)) == 0) {
			if (!(out = outfile ? fopen(outfile, "wbx") : stdout)) {
				rc = err_set(&e, ERR_IO, "%s: cannot create (it may exist already)", outfile);
			} else {
				if (fwrite(data, 1, len, out) != len || (outfile && fclose(out) != 0))
					rc = err_set(&e, ERR_IO, "%s: write failed", outfile ? outfile : "stdout");
				else if (outfile && !json)
					printf("wrote %zu bytes to %s\n", len, outfile);
			}
			free(data);
		}
	} else if (strcmp(sub, "export") == 0) {
		if (argc - optind != 2 || !stix) {
			rc = cli_usage("case", case_usage, "case export takes --stix and one ID");
			goto done;
		}
		rc = case_stix_cmd(n, argv[optind + 1], outfile, json, &e);
	} else if (strcmp(sub, "new") == 0) {
		if (from_stix) {
			char *buf;
			if ((rc = fsio_read(from_stix, STIX_MAX, &buf, &len, &e)) == 0) {
				rc = stix_import(buf, len, &st_subject, &st_text, &st_tlp, &st_fields, &e);
				free(buf);
			}
			if (rc < 0) {
				rc = cli_error("case", &e, json);
				goto done;
			}
			subject = subject ? subject : st_subject;
			text = text ? text : st_text;
			tlp = tlp ? tlp : st_tlp;
		}
		if (argc - optind != 2 || !type || !subject) {
			rc = cli_usage("case", case_usage, "case new takes PEER, --type and --subject "
				       "(or a STIX bundle with an incident's name)");
			goto done;
		}
		for (int i = 0; i < nattach && rc == 0; i++) {
			char *data;
			if ((rc = fsio_read(attach[i], STORE_BLOB_MAX, &data, &len, &e)) == 0)
				blobs[i] = (struct store_blob){ data, len };
			else
				nattach = i; /* free what was read */
		}
		json_t *f = rc == 0 ? field_pairs(fields, nfields, &e) : NULL;
		if (rc == 0 && !f)
			rc = ERR_INVALID;
		if (rc == 0 && st_fields) { /* --field wins over the bundle */
			const char *k;
			json_t *v;
			json_object_foreach(st_fields, k, v)
				if (!json_object_get(f, k))
					json_object_set(f, k, v);
		}
		if (rc == 0 && !(body = case_request_body(subject, text, tlp, f,
							  (const char *const *)attach, blobs,
							  (size_t)nattach, &e)))
			rc = ERR_INVALID;
		json_decref(f);
		if (rc == 0 && (rc = case_open(n, argv[optind + 1], type, body, strlen(body), blobs,
					       (size_t)nattach, &idx, &e)) == 0) {
			char id[160];
			snprintf(id, sizeof(id), "%s/%" PRIu64, n->cfg.name, idx);
			json ? cli_print_json(json_pack("{s:s,s:s}", "id", id, "peer", argv[optind + 1]))
			     : (void)printf("opened case %s with %s\n", id, argv[optind + 1]);
		}
	} else {
		static const enum envelope_kind kinds[] = { ENVELOPE_ACK, ENVELOPE_ANSWER,
			ENVELOPE_DECLINE, ENVELOPE_WITHDRAW, ENVELOPE_REMIND, ENVELOPE_CLOSE };
		int k = -1;
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strcmp(sub, envelope_kind_name(kinds[i])) == 0)
				k = (int)i;
		if (k < 0 || argc - optind != 2 || (text && file)) {
			rc = cli_usage("case", case_usage, k < 0 ? "unknown subcommand '%s'"
						: "an action takes one ID and --text or --file", sub);
			goto done;
		}
		if (file) {
			char *raw;
			if ((rc = fsio_read(file, CHARTER_TEXT_MAX, &raw, &len, &e)) == 0) {
				json_t *o = json_pack("{s:s%}", "text", raw, len);
				body = o ? json_dumps(o, JSON_COMPACT) : NULL;
				json_decref(o);
				free(raw);
				if (!body)
					rc = err_set(&e, ERR_INVALID, "%s: not UTF-8 text", file);
			}
		} else {
			json_t *o = text ? json_pack("{s:s}", "text", text) : json_object();
			body = o ? json_dumps(o, JSON_COMPACT) : NULL;
			json_decref(o);
			if (!body)
				rc = err_set(&e, ERR_INVALID, "--text: not UTF-8 text");
		}
		if (rc == 0 && (rc = case_act(n, argv[optind + 1], kinds[k], body, strlen(body),
					     &idx, &e)) == 0)
			json ? cli_print_json(json_pack("{s:s,s:s,s:I}", "case", argv[optind + 1],
							"action", sub, "index", (json_int_t)idx))
			     : (void)printf("%s on case %s sent as entry %" PRIu64 "\n", sub,
					    argv[optind + 1], idx);
	}
	if (rc < 0)
		rc = cli_error("case", &e, json);
done:
	for (int i = 0; i < nattach; i++)
		free((void *)(uintptr_t)blobs[i].data);
	free(body);
	free(st_subject);
	free(st_text);
	free(st_tlp);
	json_decref(st_fields);
	node_close(n);
	return rc < 0 ? CLI_FAIL : rc;
}
