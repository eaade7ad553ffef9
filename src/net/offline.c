/* offline.c — delivery and receipts by file. See offline.h. */
#include "net/offline.h"

#include "net/wire.h"
#include "util/jsonu.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

int offline_export(struct node *n, const char *peer, size_t max_batches, char **out,
		   size_t *len, uint64_t *entries, FILE *progress, struct err *e)
{
	struct store_log log;
	uint64_t done, t, first;
	size_t k = 0, blen = 0;
	char head[512], *body = NULL;
	FILE *f;
	int rc, hl;

	*out = NULL;
	*entries = 0;
	if ((rc = store_log_get(n->store, n->cfg.name, peer, 0, &log, e)) < 0 ||
	    (rc = store_receipted(n->store, log.id, peer, &done, &t, e)) < 0)
		return rc == ERR_NOTFOUND ? err_set(e, ERR_NOTFOUND, "nothing was ever sent to %s", peer) : rc;
	if (done >= log.size)
		return err_set(e, ERR_NOTFOUND, "nothing is pending for %s: %s has receipted all %" PRIu64
			       " entries", peer, peer, log.size);
	if (!(f = open_memstream(&body, &blen)))
		return err_set(e, ERR_NOMEM, "out of memory");
	first = done;
	while (done < log.size && k < max_batches && (size_t)ftell(f) < OFFLINE_FILE_MAX / 2) {
		/* Batches end on multiples of NODE_BATCH_MAX, as online: a
		 * receiver never sees a checkpoint older than one it cosigned. */
		size_t max = (size_t)((done / NODE_BATCH_MAX + 1) * NODE_BATCH_MAX - done);
		struct node_batch b;
		char *json;
		size_t jl;

		if ((rc = node_batch_make(n, peer, done, max, &b, e)) < 0)
			break;
		rc = wire_batch_encode(&b, &json, &jl, e);
		done += b.n;
		node_batch_free(&b);
		if (rc < 0)
			break;
		fwrite(json, 1, jl, f);
		fputc('\n', f);
		free(json);
		k++;
		if (progress && k % 10 == 0)
			fprintf(progress, "outbox export: %" PRIu64 " of %" PRIu64 " entries\n",
				done - first, log.size - first);
	}
	if (fclose(f) != 0 && rc == 0)
		rc = err_set(e, ERR_NOMEM, "out of memory");
	hl = snprintf(head, sizeof(head),
		      "{\"offline\":\"parley-offline/1\",\"origin\":\"%s\",\"batches\":%zu,\"entries\":%" PRIu64 "}\n",
		      log.origin, k, done - first);
	if (rc == 0 && !(*out = malloc((size_t)hl + blen + 1)))
		rc = err_set(e, ERR_NOMEM, "out of memory");
	if (rc == 0) {
		memcpy(*out, head, (size_t)hl);
		memcpy(*out + hl, body, blen + 1);
		*len = (size_t)hl + blen;
		*entries = done - first;
	}
	free(body);
	return rc;
}

/* The header line: its origin must be a peer's log to us. */
static int read_header(struct node *n, const char *line, size_t len, char *origin, size_t cap,
		       json_int_t *batches, struct err *e)
{
	static const char *const keys[] = { "offline", "origin", "batches", "entries", NULL };
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	const char *magic = json_string_value(json_object_get(o, "offline"));
	const char *org = json_string_value(json_object_get(o, "origin"));
	char to[ENVELOPE_NAME_MAX + 2];
	int rc = 0;

	if (json_is_object(o) && (rc = jsonu_only_keys(o, keys, "delivery file", e)) < 0)
		goto out;
	if (!json_is_object(o) || !magic || strcmp(magic, "parley-offline/1") != 0 || !org ||
	    strlen(org) >= cap || !json_is_integer(json_object_get(o, "batches")) ||
	    !json_is_integer(json_object_get(o, "entries"))) {
		rc = err_set(e, ERR_INVALID, "not a parley delivery file: the first line must be "
			     "{\"offline\":\"parley-offline/1\",\"origin\",\"batches\",\"entries\"}");
		goto out;
	}
	if (sscanf(org, "parley/%*128[^/]/%129s", to) != 1 || strcmp(to, n->cfg.name) != 0) {
		rc = err_set(e, ERR_INVALID, "the delivery file holds %s, a log to someone else, not to %s",
			     org, n->cfg.name);
		goto out;
	}
	memcpy(origin, org, strlen(org) + 1);
	*batches = json_integer_value(json_object_get(o, "batches"));
out:
	json_decref(o);
	return rc;
}

/* Finding our cosignature of one held checkpoint. */
struct held_cp {
	struct node *n;
	const struct node_batch *b;
	char *line;
	size_t cap;
	int64_t id;
};

static int find_cp(void *ctx, const struct store_checkpoint *c)
{
	struct held_cp *h = ctx;

	if (c->size == h->b->first + h->b->n && c->note_len == h->b->note_len &&
	    memcmp(c->note, h->b->note, c->note_len) == 0)
		h->id = c->id;
	return 0;
}

static int find_ours(void *ctx, const struct store_cosig *c)
{
	struct held_cp *h = ctx;

	if (strcmp(c->cosigner, h->n->cfg.name) == 0 && strlen(c->line) < h->cap)
		memcpy(h->line, c->line, strlen(c->line) + 1);
	return 0;
}

/* A batch wholly below what we cosigned already (the file imported a
 * second time): its entries must be the ones held; the receipt is the
 * one we gave for that very checkpoint, never a new signature. Returns 1
 * if so (line "" if we hold no cosignature of that note), 0 if the batch
 * is new to us, or a refusal. */
static int held_batch(struct node *n, const struct node_batch *b, char *line, size_t cap,
		      struct err *e)
{
	char from[ENVELOPE_NAME_MAX + 2], to[ENVELOPE_NAME_MAX + 2];
	struct store_log log;
	struct store_checkpoint latest;
	struct held_cp h = { n, b, line, cap, 0 };
	size_t held;
	int rc;

	line[0] = '\0';
	if (sscanf(b->origin, "parley/%128[^/]/%128s", from, to) != 2 ||
	    store_log_get(n->store, from, to, 0, &log, e) < 0 ||
	    store_checkpoint_latest(n->store, log.id, &latest, e) < 0)
		return 0;
	free(latest.note);
	if (b->first + b->n >= latest.size)
		return 0; /* node_receive handles it (the latest is re-sent online too) */
	if ((rc = node_batch_held(n, b, &log, &held, e)) < 0)
		return rc;
	if (rc == 1)
		return err_set(e, ERR_CONFLICT, "%s entry %" PRIu64 " differs from the one held",
			       b->origin, b->first + held);
	for (size_t i = 0; i < b->n; i++) {
		if (b->entries[i].body) { /* a body must still be the one its envelope names */
			struct envelope env;
			uint8_t hash[32];
			merkle_sha256(hash, b->entries[i].body, b->entries[i].body_len);
			if (envelope_parse(&env, b->entries[i].envelope, b->entries[i].len, e) < 0 ||
			    memcmp(hash, env.body, 32) != 0)
				return err_set(e, ERR_INVALID, "%s entry %" PRIu64 ": the body does not match "
					       "the hash its envelope names", b->origin, b->first + i);
		}
	}
	if ((rc = store_checkpoint_each(n->store, log.id, find_cp, &h, e)) < 0 ||
	    (h.id && (rc = store_cosig_each(n->store, h.id, find_ours, &h, e)) < 0))
		return rc;
	return 1;
}

int offline_import(struct node *n, const char *text, size_t len, char **receipts,
		   size_t *rlen, size_t *held, struct err *e)
{
	const char *p = text, *end = text + len, *nl;
	char origin[STORE_ORIGIN_MAX + 1];
	json_int_t want = 0;
	json_t *items = json_array(), *doc;
	size_t k = 0;
	int rc;

	*receipts = NULL;
	*held = 0;
	if (!(nl = memchr(p, '\n', len))) {
		json_decref(items);
		return err_set(e, ERR_INVALID, "not a parley delivery file: no header line");
	}
	if ((rc = read_header(n, p, (size_t)(nl - p), origin, sizeof(origin), &want, e)) < 0) {
		json_decref(items);
		return rc;
	}
	for (p = nl + 1; rc == 0 && p < end; p = nl + 1, k++) {
		struct node_batch b;
		char line[512];

		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			nl = end;
		if ((rc = wire_batch_decode(&b, p, (size_t)(nl - p), e)) < 0) {
			err_wrap(e, "batch %zu", k + 1);
			break;
		}
		if (strcmp(b.origin, origin) != 0)
			rc = err_set(e, ERR_INVALID, "batch %zu is of %s, not of %s as the header says",
				     k + 1, b.origin, origin);
		else if ((rc = held_batch(n, &b, line, sizeof(line), e)) < 0 ||
			 (rc == 0 && (rc = node_receive(n, &b, line, sizeof(line), e)) < 0))
			err_wrap(e, "batch %zu", k + 1);
		else if (line[0])
			json_array_append_new(items, json_pack("{s:s%,s:s}", "checkpoint", b.note,
							       b.note_len, "receipt", line));
		if (rc > 0)
			rc = 0;
		node_batch_free(&b);
		if (rc == 0)
			(*held)++;
	}
	if (rc == 0 && (json_int_t)k != want)
		rc = err_set(e, ERR_INVALID, "the delivery file holds %zu batches, its header says %" JSON_INTEGER_FORMAT
			     " (cut short?); the %zu were held", k, want, k);
	doc = json_pack("{s:s,s:s,s:o}", "receipts", "parley-receipts/1", "origin", origin, "items", items);
	*receipts = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (*receipts)
		*rlen = strlen(*receipts);
	else if (rc == 0)
		rc = err_set(e, ERR_NOMEM, "out of memory");
	return rc;
}

int offline_receipts(struct node *n, const char *text, size_t len, size_t *count,
		     uint64_t *size, struct err *e)
{
	static const char *const keys[] = { "receipts", "origin", "items", NULL };
	static const char *const item_keys[] = { "checkpoint", "receipt", NULL };
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), *items;
	const char *magic = json_string_value(json_object_get(o, "receipts"));
	const char *org = json_string_value(json_object_get(o, "origin"));
	char from[ENVELOPE_NAME_MAX + 2], peer[ENVELOPE_NAME_MAX + 2];
	int rc = 0;

	*count = 0;
	*size = 0;
	items = json_object_get(o, "items");
	if (!json_is_object(o) || jsonu_only_keys(o, keys, "receipts file", e) < 0 || !magic ||
	    strcmp(magic, "parley-receipts/1") != 0 || !org || !json_is_array(items)) {
		rc = err_set(e, ERR_INVALID, "not a parley receipts file: expected "
			     "{\"receipts\":\"parley-receipts/1\",\"origin\",\"items\"}");
		goto out;
	}
	if (sscanf(org, "parley/%128[^/]/%128s", from, peer) != 2 || strcmp(from, n->cfg.name) != 0) {
		rc = err_set(e, ERR_INVALID, "the receipts are for %s, not for a log of ours", org);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(items) && rc == 0; i++) {
		json_t *it = json_array_get(items, i);
		const char *note = json_string_value(json_object_get(it, "checkpoint"));
		const char *line = json_string_value(json_object_get(it, "receipt"));
		struct checkpoint cp;
		uint64_t t;

		if (!json_is_object(it) || jsonu_only_keys(it, item_keys, "receipt", e) < 0 || !note || !line) {
			rc = err_set(e, ERR_INVALID, "receipt %zu: expected {\"checkpoint\",\"receipt\"}", i + 1);
			break;
		}
		if ((rc = node_receipt_add(n, peer, note, strlen(note), line, &t, e)) < 0) {
			err_wrap(e, "receipt %zu", i + 1);
			break;
		}
		(*count)++;
		{
			/* the size it covers, for the caller's summary: the note's
			 * text ends at its blank line */
			const char *blank = strstr(note, "\n\n");
			struct err ignore;
			if (blank && checkpoint_parse(&cp, note, (size_t)(blank - note) + 1, &ignore) == 0 &&
			    cp.size > *size)
				*size = cp.size;
		}
	}
out:
	json_decref(o);
	return rc;
}
