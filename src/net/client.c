/* client.c — delivering a batch to a peer over HTTPS with mutual TLS. */
#include "net/client.h"

#include "net/wire.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

struct buf {
	char *p;
	size_t len;
	int over;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;
	char *np;

	if (b->len + n > CLIENT_RESPONSE_MAX) {
		b->over = 1;
		return 0;
	}
	if (!(np = realloc(b->p, b->len + n + 1)))
		return 0;
	b->p = np;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static int code_of(const char *name)
{
	static const int codes[] = { ERR_INVALID, ERR_SIGNATURE, ERR_NOTFOUND, ERR_CONFLICT,
				     ERR_TOOBIG, ERR_UNVERIFIED, ERR_FORBIDDEN, ERR_STORE,
				     ERR_FULL, ERR_READONLY };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(err_name(codes[i]), name) == 0)
			return codes[i];
	return ERR_IO;
}

struct client {
	CURL *curl;
	struct curl_slist *headers;
	struct store_party peer;
	char url[STORE_ENDPOINT_MAX + 32];
	char cerr[CURL_ERROR_SIZE];
	const atomic_int *stop;
};

static int progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const struct client *c = ctx;

	(void)dt, (void)dn, (void)ut, (void)un;
	return c->stop && atomic_load(c->stop) ? 1 : 0;
}

void client_abort_on(struct client *c, const atomic_int *stop)
{
	c->stop = stop;
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
}

int client_new(struct client **out, struct node *n, const struct store_party *peer,
	       struct err *e)
{
	struct client *c;

	*out = NULL;
	if (!peer->endpoint[0] || !peer->pin[0])
		return err_set(e, ERR_INVALID, "peer %s has no endpoint or TLS pin", peer->name);
	if (!(c = calloc(1, sizeof(*c))) || !(c->curl = curl_easy_init())) {
		free(c);
		return err_set(e, ERR_NOMEM, "curl: out of memory");
	}
	c->peer = *peer;
	snprintf(c->url, sizeof(c->url), "%s/peer/v1/batch", peer->endpoint);
	c->headers = curl_slist_append(c->headers, "Content-Type: " WIRE_PACKED_TYPE);
	c->headers = curl_slist_append(c->headers, "Expect:");
	curl_easy_setopt(c->curl, CURLOPT_URL, c->url);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->curl, CURLOPT_SSLCERT, n->tls_cert);
	curl_easy_setopt(c->curl, CURLOPT_SSLKEY, n->tls_key);
	/* No CA: the peer's key is pinned (from its identity line). Without
	 * these two, curl reads the whole system CA store for every
	 * connection (half a second here). */
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c->curl, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(c->curl, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(c->curl, CURLOPT_PINNEDPUBLICKEY, c->peer.pin);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, (long)CLIENT_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, (long)CLIENT_TIMEOUT_S);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->cerr);
	*out = c;
	return 0;
}

int client_is_for(const struct client *c, const struct store_party *peer)
{
	return strcmp(c->peer.name, peer->name) == 0 &&
	       strcmp(c->peer.endpoint, peer->endpoint) == 0 && strcmp(c->peer.pin, peer->pin) == 0;
}

void client_free(struct client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	free(c);
}

int client_post_batch(struct client *c, const char *batch, size_t len,
		      char *line, size_t cap, struct err *e)
{
	struct buf b = { 0 };
	json_t *o = NULL;
	json_error_t je;
	long status = 0;
	CURLcode cc;
	int rc;

	c->cerr[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, batch);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	cc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		rc = err_set(e, ERR_IO, "%s: %s", c->peer.endpoint,
			     b.over ? "answer over the size limit"
				    : c->cerr[0] ? c->cerr : curl_easy_strerror(cc));
		goto out;
	}
	o = json_loadb(b.p ? b.p : "", b.len, JSON_REJECT_DUPLICATES, &je);
	if (status == 200) {
		json_t *r = json_object_get(o, "receipt");
		if (!json_is_string(r) || json_string_length(r) >= cap) {
			rc = err_set(e, ERR_INVALID, "%s answered 200 without a receipt",
				     c->peer.name);
			goto out;
		}
		memcpy(line, json_string_value(r), json_string_length(r) + 1);
		rc = 0;
	} else {
		json_t *er = json_object_get(o, "error");
		const char *code = json_string_value(json_object_get(er, "code"));
		const char *msg = json_string_value(json_object_get(er, "message"));
		rc = err_set(e, code ? code_of(code) : ERR_IO, "%s refused the batch (HTTP %ld %s): %s",
			     c->peer.name, status, code ? code : "?", msg ? msg : "no message");
	}
out:
	json_decref(o);
	free(b.p);
	return rc;
}
