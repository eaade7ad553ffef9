/* server.c — the peer API over HTTPS with mutual TLS. See server.h. */
#include "net/server.h"

#include "net/http.h"
#include "net/tls.h"
#include "net/wire.h"
#include "util/fsio.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

struct server {
	struct node *n;
	struct MHD_Daemon *d;
	gnutls_pcert_st pcert;
	gnutls_privkey_t key;
	int have_pcert;
};

/* GnuTLS callbacks carry no user pointer here: one server per process. */
static struct server *the_server;

struct find_pin {
	const char *pin;
	char name[STORE_NAME_MAX + 1];
};

static int match_pin(void *ctx, const struct store_party *p)
{
	struct find_pin *f = ctx;

	/* Pins are public: a plain comparison. */
	if (p->pin[0] && strcmp(p->pin, f->pin) == 0) {
		snprintf(f->name, sizeof(f->name), "%s", p->name);
		return 1;
	}
	return 0;
}

/* The known peer whose key the session's client certificate carries;
 * returns 0 and fills name, or -1. */
static int session_peer(gnutls_session_t session, char *name, size_t cap)
{
	const gnutls_datum_t *certs;
	unsigned n = 0;
	char pin[TLS_PIN_MAX];
	struct find_pin f;
	struct err e;

	certs = gnutls_certificate_get_peers(session, &n);
	if (!certs || n == 0 || tls_pin_cert(certs[0].data, certs[0].size, 0, pin, &e) < 0)
		return -1;
	f.pin = pin;
	f.name[0] = '\0';
	if (store_party_each(the_server->n->store, match_pin, &f, &e) != 1)
		return -1;
	snprintf(name, cap, "%s", f.name);
	return 0;
}

/* Runs inside the handshake when the client's certificate arrives. */
static int verify_client(gnutls_session_t session)
{
	char name[STORE_NAME_MAX + 1];

	if (session_peer(session, name, sizeof(name)) < 0) {
		http_log("warn", "msg=\"TLS handshake refused: client certificate of no known peer\"");
		return GNUTLS_E_CERTIFICATE_ERROR;
	}
	return 0;
}

/* Called when the server picks its certificate: also asks for the
 * client's and arms the verify function for this session. */
static int pick_cert(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
		     int nreqs, const gnutls_pk_algorithm_t *algos, int nalgos,
		     gnutls_pcert_st **pcert, unsigned int *npcert,
		     gnutls_privkey_t *pkey)
{
	(void)req_ca_dn;
	(void)nreqs;
	(void)algos;
	(void)nalgos;
	gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
	gnutls_session_set_verify_function(session, verify_client);
	*pcert = &the_server->pcert;
	*npcert = 1;
	*pkey = the_server->key;
	return 0;
}

/* The log named by ?origin=, which peer must be a party of. */
static int req_log(struct MHD_Connection *c, const char *peer, struct store_log *log,
		   struct err *e)
{
	const char *origin = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "origin");
	char want1[STORE_ORIGIN_MAX + 1], want2[STORE_ORIGIN_MAX + 1];
	struct node *n = the_server->n;
	int rc;

	if (!origin)
		return err_set(e, ERR_INVALID, "the 'origin' parameter is required");
	snprintf(want1, sizeof(want1), "parley/%s/%s", peer, n->cfg.name);
	snprintf(want2, sizeof(want2), "parley/%s/%s", n->cfg.name, peer);
	if (strcmp(origin, want1) != 0 && strcmp(origin, want2) != 0)
		return err_set(e, ERR_FORBIDDEN, "%s may read only %s and %s", peer, want1, want2);
	rc = strcmp(origin, want1) == 0
		? store_log_get(n->store, peer, n->cfg.name, 0, log, e)
		: store_log_get(n->store, n->cfg.name, peer, 0, log, e);
	return rc;
}

static int arg_u64(struct MHD_Connection *c, const char *name, uint64_t *v, struct err *e)
{
	const char *s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	char *end;

	if (!s || !*s || *s == '-' || (s[0] == '0' && s[1]))
		return err_set(e, ERR_INVALID, "parameter '%s' must be a decimal number", name);
	*v = strtoull(s, &end, 10);
	if (*end || *v > INT64_MAX)
		return err_set(e, ERR_INVALID, "parameter '%s' must be a decimal number", name);
	return 0;
}

static int add_cosig_line(void *ctx, const struct store_cosig *c)
{
	json_t *arr = ctx;

	json_array_append_new(arr, json_string(c->line));
	return 0;
}

static enum MHD_Result get_checkpoint(struct MHD_Connection *c, const char *peer)
{
	struct store_checkpoint cp;
	struct store_log log;
	struct err e = { 0 };
	json_t *o, *arr;

	if (req_log(c, peer, &log, &e) < 0 ||
	    store_checkpoint_latest(the_server->n->store, log.id, &cp, &e) < 0)
		return http_send_error(c, &e);
	arr = json_array();
	o = json_pack("{s:s,s:I,s:s%}", "origin", log.origin, "size", (json_int_t)cp.size,
		      "checkpoint", cp.note, cp.note_len);
	if (store_cosig_each(the_server->n->store, cp.id, add_cosig_line, arr, &e) < 0) {
		free(cp.note);
		json_decref(o);
		json_decref(arr);
		return http_send_error(c, &e);
	}
	free(cp.note);
	json_object_set_new(o, "cosignatures", arr);
	return http_send_obj(c, o);
}

static enum MHD_Result get_entries(struct MHD_Connection *c, const char *peer)
{
	struct store_log log;
	struct err e = { 0 };
	uint64_t start, count;
	json_t *arr;

	if (req_log(c, peer, &log, &e) < 0 || arg_u64(c, "start", &start, &e) < 0 ||
	    arg_u64(c, "count", &count, &e) < 0)
		return http_send_error(c, &e);
	if (count > NODE_BATCH_MAX)
		count = NODE_BATCH_MAX;
	arr = json_array();
	for (uint64_t i = start; i < log.size && i < start + count; i++) {
		char *buf;
		size_t len;
		if (store_entry_get(the_server->n->store, log.id, i, &buf, &len, &e) < 0) {
			json_decref(arr);
			return http_send_error(c, &e);
		}
		json_array_append_new(arr, json_stringn(buf, len));
		free(buf);
	}
	return http_send_obj(c, json_pack("{s:s,s:I,s:o}", "origin", log.origin,
				     "start", (json_int_t)start, "entries", arr));
}

static enum MHD_Result get_proof(struct MHD_Connection *c, const char *peer, int inclusion)
{
	uint8_t proof[MERKLE_MAX_NODES][32];
	struct store_log log;
	struct err e = { 0 };
	uint64_t a, b;
	size_t np;
	json_t *arr;
	int rc;

	if (req_log(c, peer, &log, &e) < 0 ||
	    arg_u64(c, inclusion ? "index" : "size1", &a, &e) < 0 ||
	    arg_u64(c, inclusion ? "size" : "size2", &b, &e) < 0)
		return http_send_error(c, &e);
	if (b > log.size)
		return err_set(&e, ERR_INVALID, "size %" PRIu64 " is beyond the log's %" PRIu64,
			       b, log.size), http_send_error(c, &e);
	if (!inclusion && a > b)
		return err_set(&e, ERR_INVALID, "size1 %" PRIu64 " is larger than size2 %" PRIu64,
			       a, b), http_send_error(c, &e);
	rc = inclusion ? store_inclusion_proof(the_server->n->store, log.id, a, b, proof, &np, &e)
		       : store_consistency_proof(the_server->n->store, log.id, a, b, proof, &np, &e);
	if (rc < 0)
		return http_send_error(c, &e);
	arr = json_array();
	for (size_t i = 0; i < np; i++) {
		char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
		sodium_bin2base64(b64, sizeof(b64), proof[i], 32, sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(arr, json_string(b64));
	}
	return http_send_obj(c, json_pack("{s:s,s:o}", "origin", log.origin, "proof", arr));
}

/* 1 if the request's body is a packed batch (wire.h), 0 for JSON. */
static int packed(struct MHD_Connection *c)
{
	const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen(WIRE_PACKED_TYPE);

	return t && strncasecmp(t, WIRE_PACKED_TYPE, n) == 0 && (t[n] == '\0' || t[n] == ';');
}

static enum MHD_Result post_batch(struct MHD_Connection *c, const char *peer, struct http_req *r)
{
	struct node_batch b;
	struct err e = { 0 };
	char line[512], from[STORE_NAME_MAX + 2], q[1100];
	int rc;

	if (r->too_big) {
		err_set(&e, ERR_TOOBIG, "request body over the %u-byte limit", WIRE_REQUEST_MAX);
		return http_send_error(c, &e);
	}
	if ((rc = packed(c) ? wire_batch_unpack(&b, r->body ? r->body : "", r->len, &e)
			    : wire_batch_decode(&b, r->body ? r->body : "", r->len, &e)) < 0)
		return http_send_error(c, &e);
	/* The sender named by the origin must be the peer that connected. */
	snprintf(from, sizeof(from), "%s/", peer);
	if (strncmp(b.origin, "parley/", 7) != 0 || strncmp(b.origin + 7, from, strlen(from)) != 0) {
		err_set(&e, ERR_FORBIDDEN,
			"the client certificate is %s's, but the batch is for %s", peer, b.origin);
		http_log("warn", "peer=%s msg=\"batch refused\" error=\"%s\"", peer,
			 http_logq(q, sizeof(q), e.msg));
		node_batch_free(&b);
		return http_send_error(c, &e);
	}
	rc = node_receive(the_server->n, &b, line, sizeof(line), &e);
	if (rc < 0) {
		http_log("warn", "peer=%s origin=%s msg=\"batch refused\" code=%s error=\"%s\"",
			 peer, b.origin, err_name(rc), http_logq(q, sizeof(q), e.msg));
		node_batch_free(&b);
		return http_send_error(c, &e);
	}
	http_log("info", "peer=%s origin=%s first=%" PRIu64 " count=%zu msg=\"batch held, receipt sent\"",
		 peer, b.origin, b.first, b.n);
	node_batch_free(&b);
	return http_send_obj(c, json_pack("{s:s}", "receipt", line));
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version,
			      const char *upload, size_t *upload_size, void **con_cls)
{
	const union MHD_ConnectionInfo *ci;
	struct http_req *r;
	char peer[STORE_NAME_MAX + 1];
	struct err e = { 0 };
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	if (http_collect(con_cls, WIRE_REQUEST_MAX, upload, upload_size, &ret))
		return ret;
	r = *con_cls;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || session_peer((gnutls_session_t)ci->tls_session, peer, sizeof(peer)) < 0) {
		err_set(&e, ERR_FORBIDDEN, "no known peer's client certificate");
		return http_send_error(c, &e);
	}
	if (strcmp(method, "POST") == 0 && strcmp(url, "/peer/v1/batch") == 0)
		return post_batch(c, peer, r);
	if (strcmp(method, "GET") == 0) {
		if (strcmp(url, "/peer/v1/checkpoint") == 0)
			return get_checkpoint(c, peer);
		if (strcmp(url, "/peer/v1/entries") == 0)
			return get_entries(c, peer);
		if (strcmp(url, "/peer/v1/proof/inclusion") == 0)
			return get_proof(c, peer, 1);
		if (strcmp(url, "/peer/v1/proof/consistency") == 0)
			return get_proof(c, peer, 0);
	}
	err_set(&e, ERR_NOTFOUND, "no route %s %s", method, url);
	return http_send_error(c, &e);
}

int server_start(struct server **out, struct node *n, struct err *e)
{
	struct server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	char *cert = NULL, *key = NULL;
	size_t clen, klen;
	gnutls_datum_t cd, kd;
	int rc;

	*out = NULL;
	if (!s)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (the_server) {
		free(s);
		return err_set(e, ERR_EXISTS, "a server is already running in this process");
	}
	s->n = n;
	if ((rc = http_sockaddr(n->cfg.listen, &ss, e)) < 0)
		goto fail;
	if ((rc = fsio_read(n->tls_cert, 65536, &cert, &clen, e)) < 0 ||
	    (rc = fsio_read(n->tls_key, 65536, &key, &klen, e)) < 0)
		goto fail;
	cd = (gnutls_datum_t){ (unsigned char *)cert, (unsigned)clen };
	kd = (gnutls_datum_t){ (unsigned char *)key, (unsigned)klen };
	if (gnutls_pcert_import_x509_raw(&s->pcert, &cd, GNUTLS_X509_FMT_PEM, 0) < 0 ||
	    gnutls_privkey_init(&s->key) < 0 ||
	    gnutls_privkey_import_x509_raw(s->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
		rc = err_set(e, ERR_INVALID, "%s or %s: not a usable PEM certificate and key",
			     n->tls_cert, n->tls_key);
		goto fail;
	}
	s->have_pcert = 1;
	the_server = s;
	s->d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD |
				MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				0, NULL, NULL, handle, NULL,
				MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_HTTPS_CERT_CALLBACK, pick_cert,
				MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SERVER_TIMEOUT_S,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVER_CONNECTIONS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				MHD_OPTION_NOTIFY_COMPLETED, http_done, "peer",
				MHD_OPTION_END);
	if (!s->d) {
		the_server = NULL;
		rc = err_set(e, ERR_IO, "cannot listen on %s (in use, or not an address of this machine)",
			     n->cfg.listen);
		goto fail;
	}
	sodium_memzero(key, klen);
	free(key);
	free(cert);
	*out = s;
	return 0;
fail:
	if (key) {
		sodium_memzero(key, klen);
		free(key);
	}
	free(cert);
	server_stop(s);
	return rc;
}

unsigned server_port(const struct server *s)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	if (s->have_pcert)
		gnutls_pcert_deinit(&s->pcert);
	if (s->key)
		gnutls_privkey_deinit(s->key);
	if (the_server == s)
		the_server = NULL;
	free(s);
}
