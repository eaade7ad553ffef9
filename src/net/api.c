/* api.c — the operator API. See api.h. */
#include "net/api.h"
#include "net/console.h"
#include "net/metrics.h"
#include "util/b64.h"

#include "core/templates.h"
#include "net/http.h"
#include "net/outbox.h"
#include "node/audit.h"
#include "node/cases.h"
#include "node/operator.h"
#include "node/reports.h"
#include "core/merkle.h"
#include "util/fsio.h"
#include "util/jsonu.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>
#include <sodium.h>

/* Threads of the operator API: each request runs on one of them with the
 * thread's own node handle (its own store connection), so that a slow
 * request (a report, a WAL checkpoint met by a commit) does not hold up
 * every other, and requests use both cores. */
#define API_THREADS 4

struct api {
	struct node *n;          /* serve's handle; the threads open their own */
	struct MHD_Daemon *d;
	struct console *console; /* shared; locks itself */
	pthread_key_t key;       /* the calling thread's node handle */
	int have_key;
};

static void node_close_key(void *n)
{
	node_close(n);
}

/* The calling thread's node handle, opened on its first request. */
static struct node *thread_node(struct api *a, struct err *e)
{
	struct node *n = pthread_getspecific(a->key);

	if (n)
		return n;
	if (node_open(&n, a->n->dir, e) < 0)
		return NULL;
	n->now = a->n->now;
	if (pthread_setspecific(a->key, n) != 0) {
		node_close(n);
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	return n;
}

/* Splits url into at most max segments after /api/v1/ (in place, in buf). */
static int segments(const char *url, char *buf, size_t cap, char **seg, int max)
{
	int n = 0;
	char *p, *save = NULL;

	if (strncmp(url, "/api/v1/", 8) != 0 || strlen(url + 8) >= cap)
		return -1;
	strcpy(buf, url + 8);
	for (p = strtok_r(buf, "/", &save); p && n < max; p = strtok_r(NULL, "/", &save))
		seg[n++] = p;
	return p ? -1 : n;
}

static json_t *body_json(const struct http_req *r, struct err *e)
{
	json_error_t je;
	json_t *o;

	if (r->too_big) {
		err_set(e, ERR_TOOBIG, "request body over the %u-byte limit", API_REQUEST_MAX);
		return NULL;
	}
	o = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		err_set(e, ERR_INVALID, "the request body must be a JSON object%s%s",
			o ? ", not " : r->len ? ": " : "",
			o ? (json_is_array(o) ? "an array" : "a scalar") : r->len ? je.text : "");
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* GET /cases: one page of at most limit cases (default API_CASES_PAGE),
 * and "next", the cursor to pass as after for the page after it, while
 * more cases follow. */
static enum MHD_Result get_cases(struct api *a, struct MHD_Connection *c, struct err *e)
{
	const char *od = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "overdue");
	const char *lim = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	struct case_query q = {
		.peer = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "peer"),
		.state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "state"),
		.after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after"),
		.limit = API_CASES_PAGE,
	};
	char next[CASE_CURSOR_MAX];
	struct case_list l;
	json_t *arr, *o;

	if (od && strcmp(od, "0") != 0 && strcmp(od, "1") != 0) {
		err_set(e, ERR_INVALID, "'overdue' must be 0 or 1");
		return http_send_error(c, e);
	}
	q.overdue = od && strcmp(od, "1") == 0;
	if (lim) {
		char *end;
		unsigned long v = strtoul(lim, &end, 10);
		if (!isdigit((unsigned char)lim[0]) || *end || (lim[0] == '0' && lim[1]) || v < 1 ||
		    v > API_CASES_PAGE_MAX) {
			err_set(e, ERR_INVALID, "'limit' must be a number from 1 to %d", API_CASES_PAGE_MAX);
			return http_send_error(c, e);
		}
		q.limit = v;
	}
	if (q.peer && store_party_get(a->n->store, q.peer, &(struct store_party){ 0 }, e) < 0)
		return http_send_error(c, e);
	if (cases_page(a->n, &q, a->n->now(), &l, next, e) < 0)
		return http_send_error(c, e);
	arr = json_array();
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(arr, case_view_json(&l.v[i], 0));
	case_list_free(&l);
	o = json_pack("{s:o}", "cases", arr);
	if (next[0])
		json_object_set_new(o, "next", json_string(next));
	return http_send_obj(c, o);
}

static enum MHD_Result get_case(struct api *a, struct MHD_Connection *c, const char *req,
				const char *idx, struct err *e)
{
	char id[200];
	struct case_list l;
	json_t *o = NULL;

	snprintf(id, sizeof(id), "%s/%s", req, idx);
	if (cases_load_id(a->n, id, a->n->now(), 0, &l, e) < 0)
		return http_send_error(c, e);
	if (l.n)
		o = case_view_json(&l.v[0], 1);
	case_list_free(&l);
	if (!o) {
		err_set(e, ERR_NOTFOUND, "no case %s", id);
		return http_send_error(c, e);
	}
	return http_send_obj(c, o);
}

/* POST /cases: {"peer","type","subject","text"?,"tlp"?,"fields"?,
 * "attachments"?: [{"name","data": base64}]} */
static int post_case(struct api *a, json_t *in, json_t **out, struct err *e)
{
	static const char *const keys[] = { "peer", "type", "subject", "text", "tlp", "fields",
					    "attachments", NULL };
	struct store_blob blobs[CHARTER_MAX_ATTACHMENTS];
	const char *names[CHARTER_MAX_ATTACHMENTS];
	json_t *att = json_object_get(in, "attachments"), *fields = json_object_get(in, "fields");
	size_t nb = 0;
	char *body = NULL, id[200];
	uint64_t idx;
	int rc = 0;

	if ((rc = jsonu_only_keys(in, keys, "the new case", e)) < 0)
		return rc;
	if (!str(in, "peer") || !str(in, "type") || !str(in, "subject"))
		return err_set(e, ERR_INVALID, "'peer', 'type' and 'subject' are required strings");
	if (fields && !json_is_object(fields))
		return err_set(e, ERR_INVALID, "'fields' must be an object");
	if (att && (!json_is_array(att) || json_array_size(att) > CHARTER_MAX_ATTACHMENTS))
		return err_set(e, ERR_INVALID, "'attachments' must be an array of at most %d",
			       CHARTER_MAX_ATTACHMENTS);
	for (size_t i = 0; att && i < json_array_size(att) && rc == 0; i++) {
		json_t *x = json_array_get(att, i);
		const char *d = str(x, "data");
		size_t dl = d ? strlen(d) : 0, len = 0;
		uint8_t *buf;
		int b;

		names[i] = str(x, "name");
		if (!names[i] || !d) {
			rc = err_set(e, ERR_INVALID, "attachments[%zu]: 'name' and 'data' are required", i);
			break;
		}
		if ((b = b64_dup(d, dl, STORE_BLOB_MAX, &buf, &len)) < 0) {
			rc = b == B64_TOOBIG ? err_set(e, ERR_TOOBIG, "attachments[%zu]: over the %u-byte limit",
						       i, STORE_BLOB_MAX)
			   : b == B64_NOMEM ? err_set(e, ERR_NOMEM, "out of memory")
			   : err_set(e, ERR_INVALID, "attachments[%zu].data: not base64", i);
			break;
		}
		blobs[nb++] = (struct store_blob){ buf, len };
	}
	if (rc == 0 && !(body = case_request_body(str(in, "subject"), str(in, "text"), str(in, "tlp"),
						  fields, names, blobs, nb, e)))
		rc = ERR_INVALID;
	if (rc == 0 && (rc = case_open(a->n, str(in, "peer"), str(in, "type"), body, strlen(body),
				       blobs, nb, &idx, e)) == 0) {
		snprintf(id, sizeof(id), "%s/%" PRIu64, a->n->cfg.name, idx);
		*out = json_pack("{s:s}", "id", id);
	}
	for (size_t i = 0; i < nb; i++)
		free((void *)(uintptr_t)blobs[i].data);
	free(body);
	return rc;
}

static int post_action(struct api *a, const char *req, const char *idx, const char *action,
		       json_t *in, json_t **out, struct err *e)
{
	static const enum envelope_kind kinds[] = { ENVELOPE_ACK, ENVELOPE_ANSWER, ENVELOPE_DECLINE,
						    ENVELOPE_WITHDRAW, ENVELOPE_REMIND, ENVELOPE_CLOSE };
	char id[200], *body;
	json_t *t = json_object_get(in, "text"), *b;
	uint64_t index;
	int k = -1, rc;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(action, envelope_kind_name(kinds[i])) == 0)
			k = (int)i;
	if (k < 0)
		return err_set(e, ERR_NOTFOUND, "no action '%s' (ack answer decline withdraw remind close)",
			       action);
	if (json_object_size(in) > (t ? 1u : 0u) || (t && !json_is_string(t)))
		return err_set(e, ERR_INVALID, "the body is {\"text\": \"...\"} or {}");
	b = t ? json_pack("{s:O}", "text", t) : json_object();
	body = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	snprintf(id, sizeof(id), "%s/%s", req, idx);
	rc = body ? case_act(a->n, id, kinds[k], body, strlen(body), &index, e)
		  : err_set(e, ERR_NOMEM, "out of memory");
	free(body);
	if (rc == 0)
		*out = json_pack("{s:s,s:s,s:I}", "case", id, "action", action, "index", (json_int_t)index);
	return rc;
}

static int post_channel(struct api *a, const char *peer, const char *what, json_t *in,
			json_t **out, struct err *e)
{
	uint64_t idx;
	int rc;

	if (strcmp(what, "accept") == 0) {
		if ((rc = channel_accept(a->n, peer, &idx, e)) == 0)
			*out = json_pack("{s:s,s:I}", "accepted", peer, "index", (json_int_t)idx);
		return rc;
	}
	if (strcmp(what, "propose") != 0)
		return err_set(e, ERR_NOTFOUND, "no route channels/%s/%s", peer, what);
	{
		json_t *ch = json_object_get(in, "charter");
		const char *tmpl = str(in, "template");
		char *text = NULL;

		if (!ch == !tmpl)
			return err_set(e, ERR_INVALID, "give \"charter\": {...} or \"template\": NAME");
		if (tmpl) {
			const struct charter_template *t = charter_templates;
			while (t->name && strcmp(t->name, tmpl) != 0)
				t++;
			if (!t->name)
				return err_set(e, ERR_NOTFOUND, "no charter template '%s'", tmpl);
			text = strdup(t->json);
		} else {
			text = json_dumps(ch, JSON_INDENT(2));
		}
		rc = text ? channel_propose(a->n, peer, text, strlen(text), &idx, e)
			  : err_set(e, ERR_NOMEM, "out of memory");
		free(text);
		if (rc == 0)
			*out = json_pack("{s:s,s:I}", "proposed", peer, "index", (json_int_t)idx);
		return rc;
	}
}

static json_t *time_json(int64_t t)
{
	char buf[21];
	struct err ignore;

	return t > 0 && envelope_time_format(t, buf, &ignore) == 0 ? json_string(buf) : json_null();
}

/* The newest ping in our log to peer among its last PING_SCAN entries:
 * its sender time and receipt time (0: none). */
#define PING_SCAN 256
static void last_ping(struct node *n, const char *peer, int64_t *sent, uint64_t *receipt)
{
	struct store_log log;
	struct err ignore;

	*sent = 0;
	*receipt = 0;
	if (store_log_get(n->store, n->cfg.name, peer, 0, &log, &ignore) < 0)
		return;
	for (uint64_t i = log.size; i > 0 && log.size - i < PING_SCAN && !*sent; i--) {
		struct envelope env;
		char *buf;
		size_t len;
		if (store_entry_get(n->store, log.id, i - 1, &buf, &len, &ignore) < 0)
			return;
		if (envelope_parse(&env, buf, len, &ignore) == 0 && env.kind == ENVELOPE_PING) {
			*sent = env.time;
			store_receipt_time(n->store, log.id, i - 1, peer, receipt, &ignore);
		}
		free(buf);
	}
}

struct peers_ctx {
	struct api *a;
	json_t *arr, *evidence;
	struct err *e;
};

static int evidence_json(void *ctx, const struct store_evidence *v)
{
	json_array_append_new(ctx, json_pack("{s:s,s:I,s:o,s:s}", "origin", v->origin, "size",
					     (json_int_t)v->size, "time", time_json(v->time),
					     "reason", v->reason));
	return 0;
}

/* A peer as the console's Peers page shows it: reachability (from the
 * last deliveries), the last receipt and ping, the backlog, and the fork
 * evidence held about its channel. */
static int peer_json(void *ctx, const struct store_party *p)
{
	struct peers_ctx *pc = ctx;
	struct node *n = pc->a->n;
	struct metrics_peer mp;
	struct store_delivery d = { 0 };
	struct err ignore;
	json_t *ev = json_array();
	int64_t ping = 0;
	uint64_t ping_receipt = 0;
	int rc;

	if (p->self) {
		json_decref(ev);
		return 0;
	}
	if ((rc = metrics_peer_get(n, p->name, &mp, pc->e)) < 0) {
		json_decref(ev);
		return rc;
	}
	store_delivery_get(n->store, p->name, &d, &ignore);
	last_ping(n, p->name, &ping, &ping_receipt);
	for (size_t i = 0; i < json_array_size(pc->evidence); i++) {
		json_t *x = json_array_get(pc->evidence, i);
		char from[ENVELOPE_NAME_MAX + 2], to[ENVELOPE_NAME_MAX + 2];
		if (sscanf(json_string_value(json_object_get(x, "origin")), "parley/%128[^/]/%128s", from,
			   to) == 2 && (strcmp(from, p->name) == 0 || strcmp(to, p->name) == 0))
			json_array_append(ev, x);
	}
	json_array_append_new(pc->arr, json_pack(
		"{s:s,s:s,s:I,s:I,s:o,s:I,s:o,s:o,s:o,s:I,s:s?,s:o,s:o,s:o}", "name", p->name,
		"endpoint", p->endpoint, "backlog", (json_int_t)mp.backlog,
		"receipted", (json_int_t)mp.receipted, "last_receipt", time_json(mp.last_receipt),
		"oldest_unreceipted_s", (json_int_t)mp.oldest_unreceipted,
		"reachable", d.last_attempt ? json_boolean(d.failures == 0) : json_null(),
		"last_attempt", time_json(d.last_attempt), "last_ok", time_json(d.last_ok),
		"failures", (json_int_t)d.failures, "last_error", d.failures ? d.last_error : NULL,
		"last_ping", time_json(ping), "last_ping_receipt", time_json((int64_t)ping_receipt),
		"fork_evidence", ev));
	return 0;
}

static enum MHD_Result get_peers(struct api *a, struct MHD_Connection *c, struct err *e)
{
	struct peers_ctx pc = { a, json_array(), json_array(), e };

	if (store_evidence_each(a->n->store, evidence_json, pc.evidence, e) < 0 ||
	    store_party_each(a->n->store, peer_json, &pc, e) < 0) {
		json_decref(pc.arr);
		json_decref(pc.evidence);
		return http_send_error(c, e);
	}
	json_decref(pc.evidence);
	return http_send_obj(c, json_pack("{s:o}", "peers", pc.arr));
}

/* What the console polls to know that something arrived: the sizes of
 * every log and what the peers receipted of ours. It changes whenever an
 * entry or a receipt is stored, by this process or another on the store. */
struct stamp {
	struct node *n;
	uint64_t entries, receipted;
};

static int stamp_log(void *ctx, const struct store_log *log)
{
	struct stamp *st = ctx;
	uint64_t size = 0, t;
	struct err ignore;

	st->entries += log->size;
	if (strcmp(log->sender, st->n->cfg.name) == 0 &&
	    store_receipted(st->n->store, log->id, log->receiver, &size, &t, &ignore) == 0)
		st->receipted += size + t;
	return 0;
}

static enum MHD_Result get_changes(struct api *a, struct MHD_Connection *c, struct err *e)
{
	struct stamp st = { a->n, 0, 0 };
	char buf[64];

	if (store_log_each(a->n->store, stamp_log, &st, e) < 0)
		return http_send_error(c, e);
	snprintf(buf, sizeof(buf), "%" PRIu64 "-%" PRIu64, st.entries, st.receipted);
	return http_send_obj(c, json_pack("{s:s}", "stamp", buf));
}

/* GET /report?by=month&peer=P&from=D&to=D&type=T&reciprocity=1&format=json|csv */
static enum MHD_Result get_report(struct api *a, struct MHD_Connection *c, struct err *e)
{
	const char *q[6], *names[6] = { "by", "peer", "from", "to", "type", "format" };
	const char *rec = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "reciprocity");
	struct reports_opts o = { .format = "json", .reciprocity = rec && strcmp(rec, "1") == 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	for (int i = 0; i < 6; i++)
		q[i] = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, names[i]);
	o.peer = q[1];
	o.type = q[4];
	if (q[0] && strcmp(q[0], "all") != 0)
		o.by = strcmp(q[0], "month") == 0 ? REPORT_MONTH : strcmp(q[0], "quarter") == 0 ? REPORT_QUARTER
		       : strcmp(q[0], "year") == 0 ? REPORT_YEAR : -1;
	if (q[5])
		o.format = q[5];
	rc = 0;
	if (o.by < 0)
		rc = err_set(e, ERR_INVALID, "by is all, month, quarter or year");
	else if ((q[2] && envelope_date_parse(q[2], strlen(q[2]), &o.from) < 0) ||
		 (q[3] && envelope_date_parse(q[3], strlen(q[3]), &o.to) < 0))
		rc = err_set(e, ERR_INVALID, "from and to are dates, YYYY-MM-DD");
	else if (strcmp(o.format, "json") != 0 && strcmp(o.format, "csv") != 0)
		rc = err_set(e, ERR_INVALID, "format is json or csv");
	else if (o.peer)
		rc = store_party_get(a->n->store, o.peer, &(struct store_party){ 0 }, e);
	if (rc < 0)
		return http_send_error(c, e);
	if (strcmp(o.format, "json") == 0) {
		text = reports_json(a->n, &o, e);
		return text ? http_send_json(c, MHD_HTTP_OK, text) : http_send_error(c, e);
	}
	if (!(f = open_memstream(&text, &len))) {
		err_set(e, ERR_NOMEM, "out of memory");
		return http_send_error(c, e);
	}
	rc = reports_print(a->n, &o, f, NULL, e);
	if (fclose(f) != 0 && rc == 0)
		rc = err_set(e, ERR_NOMEM, "out of memory");
	if (rc < 0) {
		free(text);
		return http_send_error(c, e);
	}
	return http_send_with(c, MHD_HTTP_OK, text, "text/csv; charset=utf-8", "Content-Disposition",
			      "attachment; filename=\"parley-report.csv\"");
}

/* GET /audit/PEER?from=D&to=D: the redacted bundle, as a download. */
static enum MHD_Result get_audit(struct api *a, struct MHD_Connection *c, const char *peer,
				 struct err *e)
{
	const char *f = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from");
	const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "to");
	struct store_party p;
	int64_t from = 0, to = 0;
	char *json = NULL, disp[300];
	size_t len;

	if ((f && envelope_date_parse(f, strlen(f), &from) < 0) ||
	    (t && envelope_date_parse(t, strlen(t), &to) < 0)) {
		err_set(e, ERR_INVALID, "from and to are dates, YYYY-MM-DD");
		return http_send_error(c, e);
	}
	if (store_party_get(a->n->store, peer, &p, e) < 0)
		return http_send_error(c, e);
	if (p.self) {
		err_set(e, ERR_INVALID, "%s is this node: a bundle is of a channel with a peer", peer);
		return http_send_error(c, e);
	}
	if (audit_export(a->n, peer, from, to, &json, &len, NULL, e) < 0)
		return http_send_error(c, e);
	snprintf(disp, sizeof(disp), "attachment; filename=\"audit-%s.json\"", peer);
	return http_send_with(c, MHD_HTTP_OK, json, "application/json", "Content-Disposition", disp);
}

/* GET /channels/PEER/types: the charter's types with their fields, for
 * the console's new-case form. */
static enum MHD_Result get_types(struct api *a, struct MHD_Connection *c, const char *peer,
				 struct err *e)
{
	struct channel_state st;
	json_t *types = json_array();

	if (channel_state(a->n, peer, &st, e) < 0) {
		json_decref(types);
		return http_send_error(c, e);
	}
	for (size_t i = 0; st.charter && i < st.charter->ntypes; i++) {
		const struct charter_type *t = &st.charter->types[i];
		json_t *fields = json_array();
		for (size_t k = 0; k < t->nfields; k++) {
			const struct charter_field *fd = &t->fields[k];
			json_t *fo = json_pack("{s:s,s:s,s:b}", "name", fd->name, "kind",
					       charter_kind_name(fd->kind), "required", fd->required);
			if (fd->kind == FIELD_ENUM) {
				json_t *vals = json_array();
				for (size_t v = 0; v < fd->nvalues; v++)
					json_array_append_new(vals, json_string(fd->values[v]));
				json_object_set_new(fo, "values", vals);
			}
			json_array_append_new(fields, fo);
		}
		json_array_append_new(types, json_pack("{s:s,s:s,s:s,s:I,s:o,s:o}", "name", t->name,
			"title", t->title, "tlp", t->tlp, "ack_within_s", (json_int_t)t->ack_within,
			"answer_within_s", t->answer_within < 0 ? json_null() : json_integer(t->answer_within),
			"fields", fields));
	}
	json_t *o = json_pack("{s:s,s:b,s:o}", "peer", peer, "in_force", st.charter != NULL, "types", types);
	channel_state_free(&st);
	return http_send_obj(c, o);
}

/* Who is calling: a bearer token (scripts), else a console session
 * cookie. Returns 0 (token) or 1 (session) with *op, or an ERR_*. */
static int authenticate(struct api *a, struct MHD_Connection *c, int post, struct store_operator *op,
			char csrf[static 48], int64_t *expires, struct err *e)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	uint8_t h[32];
	int rc;

	if (!auth && (rc = console_session(a->console, c, a->n->now(), post, h, csrf, expires, e)) != 0)
		return rc < 0 ? rc : (rc = operator_auth_hash(a->n, h, op, e)) < 0 ? rc : 1;
	return operator_auth(a->n, auth && strncmp(auth, "Bearer ", 7) == 0 ? auth + 7 : NULL, op, e);
}

/* POST /session {"token": "parley_..."}: a console session (a cookie)
 * for the operator holding the token; recorded like every change. */
static enum MHD_Result login(struct api *a, struct MHD_Connection *c, const struct http_req *r,
			     const char *action)
{
	static const char *const keys[] = { "token", NULL };
	struct store_operator op = { .name = "-" };
	struct err e = { 0 }, ignore;
	char cookie[200], csrf[48], *body;
	uint8_t h[32];
	json_t *in = body_json(r, &e), *o;
	int rc = in ? 0 : e.code;

	if (rc == 0 && (rc = jsonu_only_keys(in, keys, "the login", &e)) == 0 &&
	    (rc = operator_auth(a->n, str(in, "token"), &op, &e)) == 0) {
		merkle_sha256(h, str(in, "token"), strlen(str(in, "token")));
		rc = console_login(a->console, h, a->n->now(), cookie, csrf, &e);
	}
	json_decref(in);
	store_audit_add(a->n->store, a->n->now(), rc == 0 ? op.name : "-", action,
			rc == 0 ? "ok" : err_name(rc), &ignore);
	if (rc < 0)
		return http_send_error(c, &e);
	o = json_pack("{s:s,s:s,s:s,s:s,s:o}", "name", op.name, "role", op.role, "party",
		      a->n->cfg.name, "csrf", csrf, "expires",
		      time_json(a->n->now() + console_lifetime(a->console)));
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	sodium_memzero(csrf, sizeof(csrf));
	return http_send_with(c, MHD_HTTP_OK, body, "application/json", MHD_HTTP_HEADER_SET_COOKIE, cookie);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct api *shared = cls, view, *a = &view;
	struct store_operator op;
	struct err e = { 0 }, ignore;
	char buf[600], *seg[6], action[700], csrf[48];
	json_t *in = NULL, *out = NULL;
	enum MHD_Result ret;
	int64_t expires = 0;
	int nseg, rc = 0, sess, post = strcmp(method, "POST") == 0;

	(void)version;
	if (http_collect(con_cls, API_REQUEST_MAX, upload, upload_size, &ret))
		return ret;
	if (console_file(c, method, url, &ret))
		return ret;
	/* Everything below works on this thread's node handle. */
	view = *shared;
	if (!(view.n = thread_node(shared, &e)))
		return http_send_error(c, &e);
	snprintf(action, sizeof(action), "%s %.600s", method, url);
	if (post && strcmp(url, "/api/v1/session") == 0)
		return login(a, c, *con_cls, action);
	if (post && strcmp(url, "/api/v1/session/logout") == 0) {
		char cookie[200];
		console_logout(a->console, c, cookie);
		return http_send_with(c, MHD_HTTP_OK, strdup("{\"ended\":true}"), "application/json",
				      MHD_HTTP_HEADER_SET_COOKIE, cookie);
	}
	if ((sess = authenticate(a, c, post, &op, csrf, &expires, &e)) < 0) {
		if (post)
			store_audit_add(a->n->store, a->n->now(), "-", action, err_name(sess), &ignore);
		return http_send_error(c, &e);
	}
	if (strcmp(url, "/metrics") == 0 && strcmp(method, "GET") == 0) {
		char *text = metrics_text(a->n, &e);
		return text ? http_send_body(c, MHD_HTTP_OK, text, "text/plain; version=0.0.4")
			    : http_send_error(c, &e);
	}
	if ((nseg = segments(url, buf, sizeof(buf), seg, 6)) < 0) {
		err_set(&e, ERR_NOTFOUND, "no route %s %.200s", method, url);
		return http_send_error(c, &e);
	}
	if (!post && strcmp(method, "GET") != 0) {
		err_set(&e, ERR_NOTFOUND, "no route %s %.200s", method, url);
		return http_send_error(c, &e);
	}
	if (!post) {
		if (nseg == 1 && strcmp(seg[0], "whoami") == 0)
			return http_send_obj(c, json_pack("{s:s,s:s,s:s}", "name", op.name, "role",
							  op.role, "party", a->n->cfg.name));
		if (nseg == 1 && strcmp(seg[0], "session") == 0) {
			json_t *o = json_pack("{s:s,s:s,s:s}", "name", op.name, "role", op.role, "party",
					      a->n->cfg.name);
			if (sess == 1) {
				json_object_set_new(o, "csrf", json_string(csrf));
				json_object_set_new(o, "expires", time_json(expires));
			}
			return http_send_obj(c, o);
		}
		if (nseg == 1 && strcmp(seg[0], "peers") == 0)
			return get_peers(a, c, &e);
		if (nseg == 1 && strcmp(seg[0], "changes") == 0)
			return get_changes(a, c, &e);
		if (nseg == 1 && strcmp(seg[0], "report") == 0)
			return get_report(a, c, &e);
		if (nseg == 2 && strcmp(seg[0], "audit") == 0)
			return get_audit(a, c, seg[1], &e);
		if (nseg == 3 && strcmp(seg[0], "channels") == 0 && strcmp(seg[2], "types") == 0)
			return get_types(a, c, seg[1], &e);
		if (nseg == 1 && strcmp(seg[0], "cases") == 0)
			return get_cases(a, c, &e);
		if (nseg == 3 && strcmp(seg[0], "cases") == 0)
			return get_case(a, c, seg[1], seg[2], &e);
		if (nseg == 2 && strcmp(seg[0], "channels") == 0) {
			struct channel_state st;
			json_t *types = json_array();
			if (channel_state(a->n, seg[1], &st, &e) < 0) {
				json_decref(types);
				return http_send_error(c, &e);
			}
			for (size_t i = 0; st.charter && i < st.charter->ntypes; i++)
				json_array_append_new(types, json_string(st.charter->types[i].name));
			out = json_pack("{s:s,s:s?,s:o,s:b,s:b}", "peer", seg[1], "title",
					st.charter ? st.charter->title : NULL, "types", types,
					"pending_ours", st.pending_ours, "pending_theirs", st.pending_theirs);
			channel_state_free(&st);
			return http_send_obj(c, out);
		}
		err_set(&e, ERR_NOTFOUND, "no route %s %.200s", method, url);
		return http_send_error(c, &e);
	}
	/* A change: role first, then the body, then the operation. */
	if (nseg == 1 && strcmp(seg[0], "cases") == 0)
		rc = operator_may(&op, NEED_CASES, &e);
	else if (nseg == 4 && strcmp(seg[0], "cases") == 0)
		rc = operator_may(&op, NEED_CASES, &e);
	else if (nseg == 3 && strcmp(seg[0], "channels") == 0)
		rc = operator_may(&op, NEED_CHARTER, &e);
	else
		rc = err_set(&e, ERR_NOTFOUND, "no route %s %.200s", method, url);
	if (rc == 0 && !(in = body_json(*con_cls, &e)))
		rc = e.code;
	if (rc == 0) {
		/* The record goes into the append's own transaction. */
		store_audit_stage(a->n->store, a->n->now(), op.name, action);
		if (nseg == 1)
			rc = post_case(a, in, &out, &e);
		else if (nseg == 4)
			rc = post_action(a, seg[1], seg[2], seg[3], in, &out, &e);
		else
			rc = post_channel(a, seg[1], seg[2], in, &out, &e);
	}
	json_decref(in);
	/* Not recorded by an append (refused, or nothing appended), or
	 * failed after one: recorded here, with how it ended. */
	if (!store_audit_unstage(a->n->store) || rc < 0)
		store_audit_add(a->n->store, a->n->now(), op.name, action,
				rc == 0 ? "ok" : err_name(rc), &ignore);
	if (rc == 0)
		outbox_kick(); /* what was just appended leaves now, not at the next poll */
	if (rc < 0) {
		json_decref(out);
		return http_send_error(c, &e);
	}
	return http_send_obj(c, out);
}

int api_start(struct api **out, struct node *n, struct err *e)
{
	struct api *a = calloc(1, sizeof(*a));
	struct sockaddr_storage ss;
	char *cert = NULL, *key = NULL;
	size_t clen, klen;
	int rc;

	*out = NULL;
	if (!a)
		return err_set(e, ERR_NOMEM, "out of memory");
	a->n = n;
	if (pthread_key_create(&a->key, node_close_key) != 0) {
		free(a);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	a->have_key = 1;
	if ((rc = console_new(&a->console, e)) < 0 ||
	    (rc = http_sockaddr(n->cfg.operator_listen, &ss, e)) < 0 ||
	    (rc = fsio_read(n->tls_cert, 65536, &cert, &clen, e)) < 0 ||
	    (rc = fsio_read(n->tls_key, 65536, &key, &klen, e)) < 0)
		goto out;
	a->d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
				(ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				0, NULL, NULL, handle, a,
				MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_HTTPS_MEM_KEY, key,
				MHD_OPTION_HTTPS_MEM_CERT, cert,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)API_THREADS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
				MHD_OPTION_NOTIFY_COMPLETED, http_done, "operator",
				MHD_OPTION_END);
	if (!a->d)
		rc = err_set(e, ERR_IO, "cannot listen on %s (in use, or not an address of this machine)",
			     n->cfg.operator_listen);
out:
	if (key) {
		sodium_memzero(key, klen);
		free(key);
	}
	free(cert);
	if (rc < 0) {
		api_stop(a);
		return rc;
	}
	*out = a;
	return 0;
}

void api_stop(struct api *a)
{
	if (!a)
		return;
	if (a->d)
		MHD_stop_daemon(a->d); /* joins the threads: their handles close */
	console_free(a->console);
	if (a->have_key)
		pthread_key_delete(a->key);
	free(a);
}
