/* wire.c — batch JSON encoding and strict decoding (jansson). */
#include "net/wire.h"

#include "util/b64.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/jsonu.h"
#include <sodium.h>

int wire_batch_encode(const struct node_batch *b, char **out, size_t *len,
		      struct err *e)
{
	json_t *o = json_object(), *arr = json_array();
	int rc = 0;

	if (!o || !arr) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < b->n && rc == 0; i++) {
		const struct store_entry *en = &b->entries[i];
		json_t *x = json_object();
		char *b64 = NULL;

		if (!x) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
		json_object_set_new(x, "envelope", json_stringn(en->envelope, en->len));
		if (en->body) {
			size_t cap = sodium_base64_ENCODED_LEN(en->body_len,
							       sodium_base64_VARIANT_ORIGINAL);
			if (!(b64 = malloc(cap)))
				rc = err_set(e, ERR_NOMEM, "out of memory");
			else {
				sodium_bin2base64(b64, cap, en->body, en->body_len,
						  sodium_base64_VARIANT_ORIGINAL);
				json_object_set_new(x, "body", json_string(b64));
			}
			free(b64);
		}
		json_array_append_new(arr, x);
	}
	if (rc < 0)
		goto out;
	json_object_set_new(o, "origin", json_string(b->origin));
	json_object_set_new(o, "first", json_integer((json_int_t)b->first));
	json_object_set(o, "entries", arr);
	json_object_set_new(o, "checkpoint", json_stringn(b->note, b->note_len));
	if (b->nblobs) {
		json_t *blobs = json_array();
		for (size_t i = 0; i < b->nblobs && rc == 0; i++) {
			size_t cap = sodium_base64_ENCODED_LEN(b->blobs[i].len,
							       sodium_base64_VARIANT_ORIGINAL);
			char *b64 = malloc(cap);
			if (!b64) {
				rc = err_set(e, ERR_NOMEM, "out of memory");
				break;
			}
			sodium_bin2base64(b64, cap, b->blobs[i].data, b->blobs[i].len,
					  sodium_base64_VARIANT_ORIGINAL);
			json_array_append_new(blobs, json_pack("{s:s}", "data", b64));
			free(b64);
		}
		json_object_set_new(o, "attachments", blobs);
		if (rc < 0)
			goto out;
	}
	if (!(*out = json_dumps(o, JSON_COMPACT)))
		rc = err_set(e, ERR_NOMEM, "out of memory");
	else
		*len = strlen(*out);
out:
	json_decref(arr);
	json_decref(o);
	return rc;
}

/* Only the keys in allowed (NULL-terminated) may appear in o. */
static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Strict standard base64 of at most max bytes into a malloc'd *out. */
static int wire_b64(const char *b64, size_t n, size_t max, void **out, size_t *len,
		    const char *where, size_t i, struct err *e)
{
	int rc = b64_dup(b64, n, max, (uint8_t **)out, len);

	if (rc == B64_TOOBIG)
		return err_set(e, ERR_TOOBIG, "%s[%zu]: over the %zu-byte limit", where, i, max);
	if (rc == B64_NOMEM)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (rc < 0)
		return err_set(e, ERR_INVALID, "%s[%zu]: not base64", where, i);
	return 0;
}

static int decode_blobs(json_t *arr, struct node_batch *b, struct err *e)
{
	static const char *const keys[] = { "data", NULL };

	if (!json_is_array(arr) || json_array_size(arr) > WIRE_BLOBS_MAX)
		return err_set(e, ERR_INVALID, "batch: 'attachments' must be an array of at most %d",
			       WIRE_BLOBS_MAX);
	if (json_array_size(arr) && !(b->blobs = calloc(json_array_size(arr), sizeof(*b->blobs))))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *x = json_array_get(arr, i), *d = json_object_get(x, "data");
		void *data = NULL;
		int rc;

		if (!json_is_object(x))
			return err_set(e, ERR_INVALID, "attachments[%zu]: not an object", i);
		if ((rc = jsonu_only_keys(x, keys, "attachment", e)) < 0)
			return rc;
		if (!json_is_string(d))
			return err_set(e, ERR_INVALID, "attachments[%zu].data: a base64 string is required", i);
		b->nblobs = i + 1;
		rc = wire_b64(json_string_value(d), json_string_length(d), STORE_BLOB_MAX, &data,
			     &b->blobs[i].len, "attachments", i, e);
		b->blobs[i].data = data;
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int decode_entry(json_t *x, size_t i, struct store_entry *en,
			struct err *e)
{
	static const char *const keys[] = { "envelope", "body", NULL };
	json_t *env = json_object_get(x, "envelope"), *body = json_object_get(x, "body");
	const char *b64;
	uint8_t *body_bytes;
	size_t n;
	int rc;

	if (!json_is_object(x))
		return err_set(e, ERR_INVALID, "entries[%zu]: not an object", i);
	if ((rc = jsonu_only_keys(x, keys, "entry", e)) < 0)
		return rc;
	if (!json_is_string(env) || json_string_length(env) > ENVELOPE_MAX)
		return err_set(e, ERR_INVALID,
			       "entries[%zu].envelope: a string of at most %d bytes is required",
			       i, ENVELOPE_MAX);
	if (!(en->envelope = dup_n(json_string_value(env), json_string_length(env))))
		return err_set(e, ERR_NOMEM, "out of memory");
	en->len = json_string_length(env);
	if (!body)
		return 0;
	if (!json_is_string(body))
		return err_set(e, ERR_INVALID, "entries[%zu].body: not a string", i);
	b64 = json_string_value(body);
	n = json_string_length(body);
	rc = b64_dup(b64, n, STORE_BODY_MAX, &body_bytes, &en->body_len);
	if (rc == B64_TOOBIG)
		return err_set(e, ERR_TOOBIG, "entries[%zu].body: over the %u-byte limit", i,
			       STORE_BODY_MAX);
	if (rc == B64_NOMEM)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (rc < 0)
		return err_set(e, ERR_INVALID, "entries[%zu].body: not base64", i);
	en->body = (const char *)body_bytes;
	return 0;
}

int wire_batch_decode(struct node_batch *b, const char *json, size_t len,
		      struct err *e)
{
	static const char *const keys[] = { "origin", "first", "entries", "checkpoint",
					    "attachments", NULL };
	json_error_t je;
	json_t *o, *origin, *first, *entries, *cp;
	int rc = 0;

	memset(b, 0, sizeof(*b));
	if (len > WIRE_REQUEST_MAX)
		return err_set(e, ERR_TOOBIG, "batch: over the %u-byte limit", WIRE_REQUEST_MAX);
	if (!(o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je)))
		return err_set(e, ERR_INVALID, "batch: not JSON: %s (at byte %d)", je.text,
			       je.position);
	origin = json_object_get(o, "origin");
	first = json_object_get(o, "first");
	entries = json_object_get(o, "entries");
	cp = json_object_get(o, "checkpoint");
	if (!json_is_object(o)) {
		rc = err_set(e, ERR_INVALID, "batch: not a JSON object");
		goto out;
	}
	if ((rc = jsonu_only_keys(o, keys, "batch", e)) < 0)
		goto out;
	if (!json_is_string(origin) || json_string_length(origin) > STORE_ORIGIN_MAX) {
		rc = err_set(e, ERR_INVALID, "batch: 'origin' must be a string of at most %d bytes",
			     STORE_ORIGIN_MAX);
		goto out;
	}
	if (!json_is_integer(first) || json_integer_value(first) < 0) {
		rc = err_set(e, ERR_INVALID, "batch: 'first' must be a non-negative integer");
		goto out;
	}
	if (!json_is_array(entries) || json_array_size(entries) > NODE_BATCH_MAX) {
		rc = err_set(e, ERR_INVALID, "batch: 'entries' must be an array of at most %d",
			     NODE_BATCH_MAX);
		goto out;
	}
	if (!json_is_string(cp) || json_string_length(cp) > NOTE_MAX_SIZE) {
		rc = err_set(e, ERR_INVALID, "batch: 'checkpoint' must be a signed note of at most %d bytes",
			     NOTE_MAX_SIZE);
		goto out;
	}
	memcpy(b->origin, json_string_value(origin), json_string_length(origin) + 1);
	b->first = (uint64_t)json_integer_value(first);
	if (json_array_size(entries) &&
	    !(b->entries = calloc(json_array_size(entries), sizeof(*b->entries)))) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(entries); i++) {
		b->n = i + 1; /* so node_batch_free frees what was filled */
		if ((rc = decode_entry(json_array_get(entries, i), i, &b->entries[i], e)) < 0)
			goto out;
	}
	b->note_len = json_string_length(cp);
	if (!(b->note = dup_n(json_string_value(cp), b->note_len))) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (json_object_get(o, "attachments"))
		rc = decode_blobs(json_object_get(o, "attachments"), b, e);
out:
	json_decref(o);
	if (rc < 0)
		node_batch_free(b);
	return rc;
}

char *wire_error(const struct err *e)
{
	json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", err_name(e->code),
			      "message", e->msg);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return s;
}
