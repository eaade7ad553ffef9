/* client.c — delivering a batch to a peer over HTTPS with mutual TLS. */
#include "net/client.h"

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
				     ERR_TOOBIG, ERR_UNVERIFIED, ERR_FORBIDDEN, ERR_STORE };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(err_name(codes[i]), name) == 0)
			return codes[i];
	return ERR_IO;
}

int client_post_batch(struct node *n, const struct store_party *peer,
		      const char *json, size_t len, char *line, size_t cap,
		      struct err *e)
{
	struct curl_slist *h = NULL;
	struct buf b = { 0 };
	char url[STORE_ENDPOINT_MAX + 32], cerr[CURL_ERROR_SIZE] = "";
	json_t *o = NULL;
	json_error_t je;
	long status = 0;
	CURL *c;
	CURLcode cc;
	int rc;

	if (!peer->endpoint[0] || !peer->pin[0])
		return err_set(e, ERR_INVALID, "peer %s has no endpoint or TLS pin", peer->name);
	snprintf(url, sizeof(url), "%s/peer/v1/batch", peer->endpoint);
	if (!(c = curl_easy_init()))
		return err_set(e, ERR_NOMEM, "curl: out of memory");
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_SSLCERT, n->tls_cert);
	curl_easy_setopt(c, CURLOPT_SSLKEY, n->tls_key);
	/* No CA: the peer's key is pinned (from its identity line). */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, peer->pin);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CLIENT_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CLIENT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		rc = err_set(e, ERR_IO, "%s: %s", peer->endpoint,
			     b.over ? "answer over the size limit"
				    : cerr[0] ? cerr : curl_easy_strerror(cc));
		goto out;
	}
	o = json_loadb(b.p ? b.p : "", b.len, JSON_REJECT_DUPLICATES, &je);
	if (status == 200) {
		json_t *r = json_object_get(o, "receipt");
		if (!json_is_string(r) || json_string_length(r) >= cap) {
			rc = err_set(e, ERR_INVALID, "%s answered 200 without a receipt", peer->name);
			goto out;
		}
		memcpy(line, json_string_value(r), json_string_length(r) + 1);
		rc = 0;
	} else {
		json_t *er = json_object_get(o, "error");
		const char *code = json_string_value(json_object_get(er, "code"));
		const char *msg = json_string_value(json_object_get(er, "message"));
		rc = err_set(e, code ? code_of(code) : ERR_IO, "%s refused the batch (HTTP %ld %s): %s",
			     peer->name, status, code ? code : "?", msg ? msg : "no message");
	}
out:
	json_decref(o);
	free(b.p);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}
