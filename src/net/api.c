/* api.c — the operator API. See api.h. */
#include "net/api.h"
#include "net/metrics.h"
#include "util/b64.h"

#include "core/templates.h"
#include "net/http.h"
#include "net/outbox.h"
#include "node/cases.h"
#include "node/operator.h"
#include "util/fsio.h"
#include "util/jsonu.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>
#include <sodium.h>

struct api {
	struct node *n;
	struct MHD_Daemon *d;
};

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

static enum MHD_Result get_cases(struct api *a, struct MHD_Connection *c, struct err *e)
{
	const char *peer = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "peer");
	const char *state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "state");
	const char *od = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "overdue");
	struct case_list l;
	json_t *arr;

	if (peer && store_party_get(a->n->store, peer, &(struct store_party){ 0 }, e) < 0)
		return http_send_error(c, e);
	if (cases_load(a->n, peer, a->n->now(), 0, &l, e) < 0)
		return http_send_error(c, e);
	arr = json_array();
	for (size_t i = 0; i < l.n; i++) {
		const struct case_view *cv = &l.v[i];
		if (state && strcmp(state, case_state_name(cv->state)) != 0)
			continue;
		if (od && strcmp(od, "1") == 0 && !cv->overdue_ack && !cv->overdue_answer)
			continue;
		json_array_append_new(arr, case_view_json(cv, 0));
	}
	case_list_free(&l);
	return http_send_obj(c, json_pack("{s:o}", "cases", arr));
}

static enum MHD_Result get_case(struct api *a, struct MHD_Connection *c, const char *req,
				const char *idx, struct err *e)
{
	char id[200];
	struct case_list l;
	json_t *o = NULL;

	snprintf(id, sizeof(id), "%s/%s", req, idx);
	{
		char party[ENVELOPE_NAME_MAX + 1];
		uint64_t index;
		if (case_id_parse(id, party, &index, e) < 0 ||
		    cases_load(a->n, strcmp(party, a->n->cfg.name) == 0 ? NULL : party,
			       a->n->now(), 0, &l, e) < 0)
			return http_send_error(c, e);
		for (size_t i = 0; i < l.n && !o; i++)
			if (strcmp(l.v[i].requester, party) == 0 && l.v[i].index == index)
				o = case_view_json(&l.v[i], 1);
		case_list_free(&l);
	}
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

static int peer_json(void *ctx, const struct store_party *p)
{
	struct api *a = ((void **)ctx)[0];
	json_t *arr = ((void **)ctx)[1];
	uint64_t backlog = 0;
	struct err e;

	outbox_backlog(a->n, p->name, &backlog, &e);
	json_array_append_new(arr, json_pack("{s:s,s:s,s:I}", "name", p->name, "endpoint",
					     p->endpoint, "backlog", (json_int_t)backlog));
	return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct store_operator op;
	struct err e = { 0 }, ignore;
	const char *auth;
	char buf[600], *seg[6], action[700];
	json_t *in = NULL, *out = NULL;
	enum MHD_Result ret;
	int nseg, rc = 0, post = strcmp(method, "POST") == 0;

	(void)version;
	if (http_collect(con_cls, API_REQUEST_MAX, upload, upload_size, &ret))
		return ret;
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	snprintf(action, sizeof(action), "%s %.600s", method, url);
	if (operator_auth(a->n, auth && strncmp(auth, "Bearer ", 7) == 0 ? auth + 7 : NULL,
			  &op, &e) < 0) {
		if (post)
			store_audit_add(a->n->store, a->n->now(), "-", action, "unauthorized", &ignore);
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
		if (nseg == 1 && strcmp(seg[0], "peers") == 0) {
			json_t *arr = json_array();
			void *ctx[2] = { a, arr };
			if (store_party_each(a->n->store, peer_json, ctx, &e) < 0) {
				json_decref(arr);
				return http_send_error(c, &e);
			}
			return http_send_obj(c, json_pack("{s:o}", "peers", arr));
		}
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
		if (nseg == 1)
			rc = post_case(a, in, &out, &e);
		else if (nseg == 4)
			rc = post_action(a, seg[1], seg[2], seg[3], in, &out, &e);
		else
			rc = post_channel(a, seg[1], seg[2], in, &out, &e);
	}
	json_decref(in);
	store_audit_add(a->n->store, a->n->now(), op.name, action,
			rc == 0 ? "ok" : err_name(rc), &ignore);
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
	if ((rc = http_sockaddr(n->cfg.operator_listen, &ss, e)) < 0 ||
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
		MHD_stop_daemon(a->d);
	free(a);
}
