/* wire.c — batch JSON encoding and strict decoding (jansson). */
#include "net/wire.h"

#include "util/b64.h"

#include <inttypes.h>
#include <stdio.h>
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

/* The packed form. */

#define PACK_MAGIC "parley-batch 1\n"
#define PACK_LINE_MAX 64 /* "entry " and two 20-digit numbers */

/* An origin the packed form can carry: 1 to STORE_ORIGIN_MAX printable
 * characters without spaces (every origin parley makes is). */
static int origin_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return n > 0 && n <= STORE_ORIGIN_MAX;
}

int wire_batch_pack(const struct node_batch *b, char **out, size_t *len,
		    struct err *e)
{
	size_t cap = sizeof(PACK_MAGIC) + 3 * PACK_LINE_MAX + strlen(b->origin) + b->note_len, n;
	char *p;

	for (size_t i = 0; i < b->n; i++)
		cap += PACK_LINE_MAX + b->entries[i].len + b->entries[i].body_len;
	for (size_t i = 0; i < b->nblobs; i++)
		cap += PACK_LINE_MAX + b->blobs[i].len;
	if (!origin_ok(b->origin, strlen(b->origin)))
		return err_set(e, ERR_INVALID, "batch: origin '%s' cannot be packed", b->origin);
	if (!(p = malloc(cap)))
		return err_set(e, ERR_NOMEM, "out of memory");
	n = (size_t)snprintf(p, cap, PACK_MAGIC "origin %s\nfirst %" PRIu64 "\ncheckpoint %zu\n",
			     b->origin, b->first, b->note_len);
	memcpy(p + n, b->note, b->note_len);
	n += b->note_len;
	for (size_t i = 0; i < b->n; i++) {
		const struct store_entry *en = &b->entries[i];
		n += (size_t)(en->body ? snprintf(p + n, cap - n, "entry %zu %zu\n", en->len, en->body_len)
				       : snprintf(p + n, cap - n, "entry %zu -\n", en->len));
		memcpy(p + n, en->envelope, en->len);
		n += en->len;
		if (en->body) {
			memcpy(p + n, en->body, en->body_len);
			n += en->body_len;
		}
	}
	for (size_t i = 0; i < b->nblobs; i++) {
		n += (size_t)snprintf(p + n, cap - n, "attachment %zu\n", b->blobs[i].len);
		memcpy(p + n, b->blobs[i].data, b->blobs[i].len);
		n += b->blobs[i].len;
	}
	memcpy(p + n, "end\n", 4);
	*out = p;
	*len = n + 4;
	return 0;
}

/* A cursor over packed input; o is where the next piece is copied to. */
struct unpack {
	const char *p, *end;
	char *o;
};

/* The next line (without "\n", at most PACK_LINE_MAX bytes + what) in
 * *s, *n, if it starts with want; 1 if it does not, ERR_INVALID if there
 * is no whole line. */
static int next_line(struct unpack *u, const char *want, const char **s, size_t *n,
		     size_t extra, struct err *e)
{
	size_t w = strlen(want), left = (size_t)(u->end - u->p);
	const char *nl = memchr(u->p, '\n', left < PACK_LINE_MAX + extra ? left : PACK_LINE_MAX + extra);

	if (!nl)
		return err_set(e, ERR_INVALID, "batch: cut short, or a header line too long "
			       "(%zu bytes before the end)", left);
	if ((size_t)(nl - u->p) < w || memcmp(u->p, want, w) != 0)
		return 1;
	*s = u->p + w;
	*n = (size_t)(nl - *s);
	u->p = nl + 1;
	return 0;
}

/* A decimal number of at most max, without sign or leading zeros. */
static int pack_num(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	*v = 0;
	if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || *v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return *v <= max ? 0 : -1;
}

/* Copies the next len bytes to the output, NUL-terminated. */
static int take(struct unpack *u, size_t len, char **at, const char *what, size_t i,
		struct err *e)
{
	if ((size_t)(u->end - u->p) < len)
		return err_set(e, ERR_INVALID, "batch: %s %zu: cut short (%zu bytes announced)", what, i,
			       len);
	memcpy(u->o, u->p, len);
	u->o[len] = '\0';
	*at = u->o;
	u->o += len + 1;
	u->p += len;
	return 0;
}

/* "N" within limit, or (maybe_none) "-" as SIZE_MAX; a reason otherwise. */
static int pack_len(const char *s, size_t n, size_t limit, int maybe_none, size_t *len,
		    const char *what, size_t i, const char *field, struct err *e)
{
	uint64_t v;

	if (maybe_none && n == 1 && s[0] == '-') {
		*len = SIZE_MAX;
		return 0;
	}
	if (pack_num(s, n, UINT64_MAX, &v) < 0)
		return err_set(e, ERR_INVALID, "batch: %s %zu: %s length is not a number", what, i,
			       field);
	if (v > limit)
		return err_set(e, ERR_TOOBIG, "batch: %s %zu: %s of %" PRIu64 " bytes is over the "
			       "%zu-byte limit", what, i, field, v, limit);
	*len = (size_t)v;
	return 0;
}

static int unpack_entry(struct unpack *u, const char *s, size_t n, size_t i,
			struct store_entry *en, struct err *e)
{
	const char *sp = memchr(s, ' ', n);
	char *env = NULL, *body = NULL;
	size_t elen, blen;
	int rc;

	if (!sp)
		return err_set(e, ERR_INVALID, "batch: entry %zu: 'entry ELEN BLEN' expected", i);
	if ((rc = pack_len(s, (size_t)(sp - s), ENVELOPE_MAX, 0, &elen, "entry", i, "envelope",
			   e)) < 0 ||
	    (rc = pack_len(sp + 1, n - (size_t)(sp - s) - 1, STORE_BODY_MAX, 1, &blen, "entry", i,
			   "body", e)) < 0 ||
	    (rc = take(u, elen, &env, "entry", i, e)) < 0)
		return rc;
	en->envelope = env;
	en->len = elen;
	if (blen == SIZE_MAX)
		return 0;
	if ((rc = take(u, blen, &body, "entry", i, e)) < 0)
		return rc;
	en->body = body;
	en->body_len = blen;
	return 0;
}

int wire_batch_unpack(struct node_batch *b, const char *buf, size_t len,
		      struct err *e)
{
	struct unpack u = { buf, buf + len, NULL };
	const char *s = NULL;
	size_t n = 0, note_len;
	uint64_t v;
	int rc;

	memset(b, 0, sizeof(*b));
	if (len > WIRE_REQUEST_MAX)
		return err_set(e, ERR_TOOBIG, "batch: over the %u-byte limit", WIRE_REQUEST_MAX);
	if (len < sizeof(PACK_MAGIC) - 1 || memcmp(buf, PACK_MAGIC, sizeof(PACK_MAGIC) - 1) != 0)
		return err_set(e, ERR_INVALID, "batch: does not start with '%.*s'",
			       (int)sizeof(PACK_MAGIC) - 2, PACK_MAGIC);
	u.p += sizeof(PACK_MAGIC) - 1;
	/* Every piece follows a header line of at least 10 bytes and takes
	 * one NUL more than its bytes; at most two pieces per line. */
	if (!(b->buf = u.o = malloc(len + len / 5 + 2)) ||
	    !(b->entries = calloc(NODE_BATCH_MAX, sizeof(*b->entries)))) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = next_line(&u, "origin ", &s, &n, STORE_ORIGIN_MAX, e)) != 0) {
		if (rc > 0)
			rc = err_set(e, ERR_INVALID, "batch: 'origin' line expected after the first");
		goto out;
	}
	if (!origin_ok(s, n)) {
		rc = err_set(e, ERR_INVALID, "batch: 'origin' must be 1 to %d printable characters "
			     "without spaces", STORE_ORIGIN_MAX);
		goto out;
	}
	memcpy(b->origin, s, n);
	b->origin[n] = '\0';
	if ((rc = next_line(&u, "first ", &s, &n, 0, e)) != 0 ||
	    pack_num(s, n, INT64_MAX, &b->first) < 0) {
		if (rc >= 0)
			rc = err_set(e, ERR_INVALID, "batch: 'first N' expected after the origin, "
				     "N a non-negative integer");
		goto out;
	}
	if ((rc = next_line(&u, "checkpoint ", &s, &n, 0, e)) != 0 ||
	    pack_num(s, n, NOTE_MAX_SIZE, &v) < 0) {
		if (rc >= 0)
			rc = err_set(e, ERR_INVALID, "batch: 'checkpoint LEN' expected after 'first', "
				     "a signed note of at most %d bytes", NOTE_MAX_SIZE);
		goto out;
	}
	note_len = (size_t)v;
	if ((rc = take(&u, note_len, &b->note, "checkpoint", 0, e)) < 0)
		goto out;
	b->note_len = note_len;
	while ((rc = next_line(&u, "entry ", &s, &n, 0, e)) == 0) {
		if (b->n == NODE_BATCH_MAX) {
			rc = err_set(e, ERR_INVALID, "batch: more than %d entries", NODE_BATCH_MAX);
			goto out;
		}
		if ((rc = unpack_entry(&u, s, n, b->n, &b->entries[b->n], e)) < 0)
			goto out;
		b->n++;
	}
	if (rc < 0)
		goto out;
	while ((rc = next_line(&u, "attachment ", &s, &n, 0, e)) == 0) {
		struct store_blob *nb;
		char *data = NULL;
		size_t blen;
		if (b->nblobs == WIRE_BLOBS_MAX) {
			rc = err_set(e, ERR_INVALID, "batch: more than %d attachments", WIRE_BLOBS_MAX);
			goto out;
		}
		if (!(nb = realloc(b->blobs, (b->nblobs + 1) * sizeof(*nb)))) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		b->blobs = nb;
		if ((rc = pack_len(s, n, STORE_BLOB_MAX, 0, &blen, "attachment", b->nblobs, "data",
				   e)) < 0 ||
		    (rc = take(&u, blen, &data, "attachment", b->nblobs, e)) < 0)
			goto out;
		nb[b->nblobs++] = (struct store_blob){ data, blen };
	}
	if (rc < 0)
		goto out;
	rc = 0;
	if ((size_t)(u.end - u.p) != 4 || memcmp(u.p, "end\n", 4) != 0)
		rc = err_set(e, ERR_INVALID, "batch: 'entry', 'attachment' or a last line 'end' "
			     "expected, %zu bytes before the end", (size_t)(u.end - u.p));
out:
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
