/* audit.c — audit bundles: export and independent checking. See audit.h. */
#include "node/audit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

struct cp_ctx {
	json_t *arr;
	struct store *s;
	struct err *e;
};

static int add_cosig(void *ctx, const struct store_cosig *c)
{
	json_array_append_new(ctx, json_string(c->line));
	return 0;
}

static int add_cp(void *ctx, const struct store_checkpoint *c)
{
	struct cp_ctx *cc = ctx;
	json_t *lines = json_array();
	int rc;

	if ((rc = store_cosig_each(cc->s, c->id, add_cosig, lines, cc->e)) < 0) {
		json_decref(lines);
		return rc;
	}
	json_array_append_new(cc->arr, json_pack("{s:s%,s:o}", "note", c->note, c->note_len,
						 "cosignatures", lines));
	return 0;
}

static int export_log(struct node *n, const char *from, const char *to, json_t *logs,
		      json_t *charters, FILE *progress, struct err *e)
{
	struct store_log log;
	struct store_checkpoint latest;
	struct cp_ctx cc;
	json_t *entries, *cps;
	int rc;

	rc = store_log_get(n->store, from, to, 0, &log, e);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	rc = store_checkpoint_latest(n->store, log.id, &latest, e);
	if (rc == ERR_NOTFOUND)
		return 0; /* nothing signed yet */
	if (rc < 0)
		return rc;
	free(latest.note);
	entries = json_array();
	for (uint64_t i = 0; i < latest.size; i++) {
		struct envelope env;
		char *buf;
		size_t len;

		if ((rc = store_entry_get(n->store, log.id, i, &buf, &len, e)) < 0) {
			json_decref(entries);
			return rc;
		}
		json_array_append_new(entries, json_stringn(buf, len));
		if (envelope_parse(&env, buf, len, e) == 0 && env.kind == ENVELOPE_CHARTER) {
			void *body;
			size_t bl;
			if (store_body_get(n->store, env.body, &body, &bl, e) == 0) {
				json_array_append_new(charters, json_stringn(body, bl));
				free(body);
			}
		}
		free(buf);
		if (progress && (i + 1) % 100000 == 0)
			fprintf(progress, "export: %s: %" PRIu64 " of %" PRIu64 " entries\n", log.origin,
				i + 1, latest.size);
	}
	cps = json_array();
	cc = (struct cp_ctx){ cps, n->store, e };
	if ((rc = store_checkpoint_each(n->store, log.id, add_cp, &cc, e)) < 0) {
		json_decref(entries);
		json_decref(cps);
		return rc;
	}
	json_array_append_new(logs, json_pack("{s:s,s:o,s:o}", "origin", log.origin, "entries",
					      entries, "checkpoints", cps));
	return 0;
}

int audit_export(struct node *n, const char *peer, char **json, size_t *len, FILE *progress,
		 struct err *e)
{
	struct store_party self, p;
	json_t *o, *logs = json_array(), *charters = json_array();
	int rc;

	if ((rc = store_party_self(n->store, &self, e)) < 0 ||
	    (rc = store_party_get(n->store, peer, &p, e)) < 0 ||
	    (rc = export_log(n, self.name, peer, logs, charters, progress, e)) < 0 ||
	    (rc = export_log(n, peer, self.name, logs, charters, progress, e)) < 0) {
		json_decref(logs);
		json_decref(charters);
		return rc;
	}
	o = json_pack("{s:s,s:[{s:s,s:s},{s:s,s:s}],s:o,s:o}", "bundle", "parley-audit/1",
		      "parties", "name", self.name, "key", self.vkey, "name", p.name, "key", p.vkey,
		      "logs", logs, "charters", charters);
	*json = o ? json_dumps(o, JSON_INDENT(1)) : NULL;
	json_decref(o);
	if (!*json)
		return err_set(e, ERR_NOMEM, "out of memory");
	*len = strlen(*json);
	return 0;
}

static int64_t audit_clock(void)
{
	return (int64_t)time(NULL);
}

/* The charter body of an entry, from the bundle's charters (by hash). */
static const char *charter_body(json_t *charters, const uint8_t hash[32], size_t *len)
{
	for (size_t i = 0; i < json_array_size(charters); i++) {
		json_t *c = json_array_get(charters, i);
		uint8_t h[32];
		merkle_sha256(h, json_string_value(c), json_string_length(c));
		if (memcmp(h, hash, 32) == 0) {
			*len = json_string_length(c);
			return json_string_value(c);
		}
	}
	return NULL;
}

/* Replays one log: entries up to each checkpoint, checked against it. */
static int replay_log(struct node *n, json_t *lg, json_t *charters, const struct note_key *keys,
		      FILE *progress, struct err *e)
{
	const char *origin = json_string_value(json_object_get(lg, "origin"));
	json_t *entries = json_object_get(lg, "entries"), *cps = json_object_get(lg, "checkpoints");
	char from[ENVELOPE_NAME_MAX + 2], to[ENVELOPE_NAME_MAX + 2];
	const struct note_key *sk = NULL, *rk = NULL;
	struct note_key ck;
	struct store_log log;
	struct note *nt = malloc(sizeof(*nt));
	uint64_t done = 0;
	int rc = 0;

	if (!nt)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (!origin || !json_is_array(entries) || !json_is_array(cps) ||
	    sscanf(origin, "parley/%128[^/]/%128s", from, to) != 2 ||
	    !envelope_name_valid(from, strlen(from)) || !envelope_name_valid(to, strlen(to))) {
		rc = err_set(e, ERR_INVALID, "bundle: a log needs origin parley/FROM/TO, entries and checkpoints");
		goto out;
	}
	for (int k = 0; k < 2; k++) {
		if (strcmp(keys[k].name, from) == 0)
			sk = &keys[k];
		if (strcmp(keys[k].name, to) == 0)
			rk = &keys[k];
	}
	if (!sk || !rk || sk == rk) {
		rc = err_set(e, ERR_INVALID, "bundle: %s is not a log between the bundle's two parties", origin);
		goto out;
	}
	note_key_cosigner(&ck, rk);
	memset(&log, 0, sizeof(log));
	snprintf(log.origin, sizeof(log.origin), "%s", origin);
	memcpy(log.sender, from, strlen(from) + 1);   /* <= 128: checked above */
	memcpy(log.receiver, to, strlen(to) + 1);
	for (size_t c = 0; c < json_array_size(cps) && rc == 0; c++) {
		json_t *cp = json_array_get(cps, c), *lines = json_object_get(cp, "cosignatures");
		const char *note = json_string_value(json_object_get(cp, "note"));
		struct checkpoint ckp;
		struct store_batch b;
		struct store_appended res;
		struct store_entry *en = NULL;
		size_t n_new;

		if (!note || !json_is_array(lines)) {
			rc = err_set(e, ERR_VERIFY, "%s: checkpoint %zu has no note or cosignatures", origin, c);
			break;
		}
		if (note_open(nt, note, strlen(note), sk, 1, e) < 0 ||
		    checkpoint_parse(&ckp, nt->text, nt->textlen, e) < 0 || strcmp(ckp.origin, origin) != 0) {
			rc = err_set(e, ERR_VERIFY, "%s: checkpoint %zu is not a checkpoint of this log signed by %s",
				     origin, c, from);
			break;
		}
		if (ckp.size < done || ckp.size > json_array_size(entries)) {
			rc = err_set(e, ERR_VERIFY, "%s: checkpoint of size %" PRIu64 " is %s", origin, ckp.size,
				     ckp.size < done ? "out of order (smaller than an earlier one)"
						     : "beyond the entries in the bundle");
			break;
		}
		n_new = (size_t)(ckp.size - done);
		if (n_new && !(en = calloc(n_new, sizeof(*en)))) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
		for (size_t i = 0; i < n_new; i++) {
			json_t *x = json_array_get(entries, done + i);
			struct envelope env;
			en[i].envelope = json_string_value(x);
			en[i].len = json_string_length(x);
			if (en[i].envelope && envelope_parse(&env, en[i].envelope, en[i].len, e) == 0 &&
			    env.kind == ENVELOPE_CHARTER &&
			    !(en[i].body = charter_body(charters, env.body, &en[i].body_len))) {
				rc = err_set(e, ERR_VERIFY,
					     "%s: entry %" PRIu64 " is a charter, but no charter with its hash is in the bundle",
					     origin, done + i);
				break;
			}
			if (!en[i].envelope) {
				rc = err_set(e, ERR_VERIFY, "%s: entry %" PRIu64 " is not a string", origin,
					     done + i);
				break;
			}
		}
		memset(&b, 0, sizeof(b));
		b.entries = en;
		b.n = n_new;
		b.cp_size = ckp.size;
		b.cp_root = ckp.root;
		b.cp_note = note;
		b.cp_note_len = strlen(note);
		if (rc == 0 && (rc = store_append(n->store, &log, &b, &res, e)) < 0)
			err_wrap(e, "%s: entries %" PRIu64 "..%" PRIu64 " under the checkpoint of size %" PRIu64,
				 origin, done, ckp.size ? ckp.size - 1 : 0, ckp.size);
		free(en);
		if (rc < 0) {
			rc = ERR_VERIFY;
			e->code = ERR_VERIFY;
			break;
		}
		/* Each cosignature: the receiver's key over this checkpoint. */
		for (size_t k = 0; k < json_array_size(lines) && rc == 0; k++) {
			const char *line = json_string_value(json_array_get(lines, k));
			size_t ml = nt->textlen + 1 + (line ? strlen(line) : 0) + 1;
			char *msg = line ? malloc(ml + 1) : NULL;
			struct note *cs = malloc(sizeof(*cs));

			if (!msg || !cs) {
				rc = err_set(e, ERR_VERIFY, "%s: a cosignature of checkpoint %zu is not a string",
					     origin, c);
			} else {
				memcpy(msg, nt->text, nt->textlen);
				msg[nt->textlen] = '\n';
				memcpy(msg + nt->textlen + 1, line, strlen(line));
				msg[ml - 1] = '\n';
				if (note_open(cs, msg, ml, &ck, 1, e) < 0)
					rc = err_set(e, ERR_VERIFY,
						     "%s: the receipt on the checkpoint of size %" PRIu64 " is not %s's cosignature",
						     origin, ckp.size, to);
				else
					rc = store_cosig_add(n->store, res.checkpoint, to, cs->sigs[0].time,
							     line, e);
			}
			free(msg);
			free(cs);
		}
		done = ckp.size;
	}
	if (rc == 0 && done != json_array_size(entries))
		rc = err_set(e, ERR_VERIFY, "%s: %zu entries but the last checkpoint covers %" PRIu64,
			     origin, json_array_size(entries), done);
	if (rc == 0 && progress)
		fprintf(progress, "audit: %s: %" PRIu64 " entries, %zu checkpoints checked\n", origin,
			done, json_array_size(cps));
out:
	free(nt);
	return rc;
}

int audit_load(const char *json, size_t len, struct node **out, FILE *progress,
	       struct err *e)
{
	struct node *n = calloc(1, sizeof(*n));
	struct note_key keys[2];
	json_error_t je;
	json_t *o = NULL, *parties, *logs;
	int rc = 0;

	*out = NULL;
	if (!n)
		return err_set(e, ERR_NOMEM, "out of memory");
	n->now = audit_clock;
	if (!(o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je))) {
		rc = err_set(e, ERR_INVALID, "bundle: not JSON: %s (line %d)", je.text, je.line);
		goto out;
	}
	if (!json_is_string(json_object_get(o, "bundle")) ||
	    strcmp(json_string_value(json_object_get(o, "bundle")), "parley-audit/1") != 0) {
		rc = err_set(e, ERR_INVALID, "bundle: \"bundle\" must be \"parley-audit/1\"");
		goto out;
	}
	parties = json_object_get(o, "parties");
	logs = json_object_get(o, "logs");
	if (!json_is_array(parties) || json_array_size(parties) != 2 || !json_is_array(logs) ||
	    json_array_size(logs) > 2) {
		rc = err_set(e, ERR_INVALID, "bundle: two parties and at most two logs are expected");
		goto out;
	}
	if ((rc = store_open(&n->store, "sqlite::memory:", e)) < 0)
		goto out;
	for (int k = 0; k < 2; k++) {
		json_t *p = json_array_get(parties, (size_t)k);
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *key = json_string_value(json_object_get(p, "key"));
		struct store_party sp = { .self = k == 0 };

		if (!name || !key || note_key_parse(&keys[k], key, strlen(key), e) < 0 ||
		    strcmp(keys[k].name, name) != 0 || keys[k].alg != NOTE_ALG_ED25519 ||
		    !envelope_name_valid(name, strlen(name))) {
			rc = err_set(e, ERR_INVALID, "bundle: party %d has no valid Ed25519 verifier key for its name", k);
			goto out;
		}
		memcpy(sp.name, name, strlen(name) + 1); /* <= 128: a valid party name */
		if (strlen(key) >= sizeof(sp.vkey)) {
			rc = err_set(e, ERR_INVALID, "bundle: party %d's key is too long", k);
			goto out;
		}
		memcpy(sp.vkey, key, strlen(key) + 1);
		if ((rc = store_party_put(n->store, &sp, e)) < 0)
			goto out;
	}
	memcpy(n->cfg.name, keys[0].name, strlen(keys[0].name) + 1);
	for (size_t i = 0; i < json_array_size(logs) && rc == 0; i++)
		rc = replay_log(n, json_array_get(logs, i), json_object_get(o, "charters"), keys,
				progress, e);
	if (rc == 0)
		rc = node_verify(n, NULL, e);
out:
	json_decref(o);
	if (rc < 0) {
		node_close(n);
		return rc;
	}
	*out = n;
	return 0;
}
