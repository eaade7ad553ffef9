/* audit.c — audit bundles: export and independent checking. See audit.h. */
#include "node/audit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/register.h"
#include "util/jsonu.h"

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

/* Fork evidence the node holds against a log: the sender's signed
 * checkpoints that contradict it. */
struct ev_ctx {
	const char *origin;
	json_t *notes;
};

static int add_evidence(void *ctx, const struct store_evidence *v)
{
	struct ev_ctx *ev = ctx;

	if (strcmp(v->origin, ev->origin) == 0)
		json_array_append_new(ev->notes, json_string(v->note));
	return 0;
}

/* The bodies of a log's charter, register and key entries. */
struct body_lists {
	json_t *charters, *registers, *keys;
};

static int export_log(struct node *n, const char *from, const char *to, json_t *logs,
		      const struct body_lists *bl, FILE *progress, struct err *e)
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
		if (envelope_parse(&env, buf, len, e) == 0 &&
		    (env.kind == ENVELOPE_CHARTER || env.kind == ENVELOPE_REGISTER ||
		     env.kind == ENVELOPE_KEY)) {
			void *body;
			size_t blen;
			if (store_entry_body(n->store, log.id, i, env.body, &body, &blen, e) == 0) {
				json_array_append_new(env.kind == ENVELOPE_CHARTER ? bl->charters
						      : env.kind == ENVELOPE_REGISTER ? bl->registers : bl->keys,
						      json_stringn(body, blen));
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
	{
		json_t *lg = json_pack("{s:s,s:o,s:o}", "origin", log.origin, "entries", entries,
				       "checkpoints", cps);
		struct ev_ctx ev = { log.origin, json_array() };
		if ((rc = store_evidence_each(n->store, add_evidence, &ev, e)) < 0) {
			json_decref(lg);
			json_decref(ev.notes);
			return rc;
		}
		if (json_array_size(ev.notes))
			json_object_set_new(lg, "evidence", ev.notes);
		else
			json_decref(ev.notes);
		json_array_append_new(logs, lg);
	}
	return 0;
}

static json_t *time_or_null(int64_t t)
{
	char s[21];
	struct err e;

	return t && envelope_time_format(t, s, &e) == 0 ? json_string(s) : json_null();
}

int audit_export(struct node *n, const char *peer, int64_t from, int64_t to, char **json,
		 size_t *len, FILE *progress, struct err *e)
{
	struct store_party self, p;
	json_t *o, *logs = json_array();
	struct body_lists bl = { json_array(), json_array(), json_array() };
	int rc;

	if ((rc = store_party_self(n->store, &self, e)) < 0 ||
	    (rc = store_party_get(n->store, peer, &p, e)) < 0 ||
	    (rc = export_log(n, self.name, peer, logs, &bl, progress, e)) < 0 ||
	    (rc = export_log(n, peer, self.name, logs, &bl, progress, e)) < 0) {
		json_decref(logs);
		json_decref(bl.charters);
		json_decref(bl.registers);
		json_decref(bl.keys);
		return rc == ERR_NOTFOUND ? err_set(e, ERR_NOTFOUND, "no peer named '%s'", peer) : rc;
	}
	o = json_pack("{s:s,s:[{s:s,s:s},{s:s,s:s}],s:o,s:o,s:o}", "bundle", "parley-audit/1",
		      "parties", "name", self.name, "key", self.vkey, "name", p.name, "key", p.vkey,
		      "logs", logs, "charters", bl.charters, "registers", bl.registers);
	/* Only when a key changed: bundles of channels without rotation keep
	 * the form older auditors read. */
	if (o && json_array_size(bl.keys))
		json_object_set(o, "keys", bl.keys);
	json_decref(bl.keys);
	if (o && (from || to))
		json_object_set_new(o, "period", json_pack("{s:o,s:o}", "from", time_or_null(from),
							   "to", time_or_null(to)));
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

/* The bodies a bundle carries (charters, register records), by hash. */
struct body_ref {
	uint8_t hash[32];
	json_t *s;
};

struct bodies {
	struct body_ref *v;
	size_t n;
};

static int ref_cmp(const void *a, const void *b)
{
	return memcmp(((const struct body_ref *)a)->hash, ((const struct body_ref *)b)->hash, 32);
}

static const char *const body_lists[3] = { "charters", "registers", "keys" };

static int bodies_index(struct bodies *bs, json_t *const lists[3], struct err *e)
{
	size_t cap = json_array_size(lists[0]) + json_array_size(lists[1]) + json_array_size(lists[2]);

	bs->n = 0;
	if (!(bs->v = calloc(cap + 1, sizeof(*bs->v))))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < json_array_size(lists[k]); i++) {
			json_t *x = json_array_get(lists[k], i);
			if (!json_is_string(x))
				return err_set(e, ERR_INVALID, "bundle: \"%s\" must hold strings",
					       body_lists[k]);
			merkle_sha256(bs->v[bs->n].hash, json_string_value(x), json_string_length(x));
			bs->v[bs->n++].s = x;
		}
	qsort(bs->v, bs->n, sizeof(*bs->v), ref_cmp);
	return 0;
}

static const char *body_find(const struct bodies *bs, const uint8_t hash[32], size_t *len)
{
	struct body_ref key, *r;

	memcpy(key.hash, hash, 32);
	if (!(r = bsearch(&key, bs->v, bs->n, sizeof(*bs->v), ref_cmp)))
		return NULL;
	*len = json_string_length(r->s);
	return json_string_value(r->s);
}

/* Evidence a party kept against the log (its sender's signed checkpoints
 * that contradict it): each must be signed by the sender and contradict
 * the replayed log, which proves a fork. */
static int check_evidence(struct node *n, json_t *lg, const char *origin, const char *from,
			  const char *to, const struct note_key *sks, size_t nsk, struct note *nt,
			  struct err *e)
{
	json_t *ev = json_object_get(lg, "evidence");
	struct store_log got;
	int rc;

	if (!ev)
		return 0;
	if (!json_is_array(ev))
		return err_set(e, ERR_INVALID, "bundle: %s: \"evidence\" must be an array of notes", origin);
	if ((rc = store_log_get(n->store, from, to, 0, &got, e)) < 0)
		return rc;
	for (size_t i = 0; i < json_array_size(ev); i++) {
		const char *note = json_string_value(json_array_get(ev, i));
		struct checkpoint ckp;
		uint8_t held[32];

		if (!note || note_open(nt, note, strlen(note), sks, nsk, e) < 0 ||
		    checkpoint_parse(&ckp, nt->text, nt->textlen, e) < 0 || strcmp(ckp.origin, origin) != 0)
			return err_set(e, ERR_VERIFY, "%s: evidence %zu is not a checkpoint of this log signed by %s",
				       origin, i, from);
		if (ckp.size > got.size)
			return err_set(e, ERR_VERIFY, "%s: evidence %zu is of size %" PRIu64
				       ", beyond the log in the bundle: it proves nothing", origin, i, ckp.size);
		if ((rc = store_root(n->store, got.id, ckp.size, held, e)) < 0)
			return rc;
		if (memcmp(held, ckp.root, 32) == 0)
			return err_set(e, ERR_VERIFY, "%s: evidence %zu agrees with the log: it proves nothing",
				       origin, i);
		return err_set(e, ERR_VERIFY,
			       "%s: FORK: %s signed two different trees of size %" PRIu64
			       " (%s kept the other one as evidence): it showed different histories",
			       origin, from, ckp.size, to);
	}
	return 0;
}

/* Replays one log: entries up to each checkpoint, checked against it. */
/* A log's origin, entries and checkpoints, and which of the bundle's
 * parties (keys) sends and receives it. */
static int log_parties(json_t *lg, const struct note_key keys[2], const char **origin,
		       char from[static ENVELOPE_NAME_MAX + 2], char to[static ENVELOPE_NAME_MAX + 2],
		       int *sender, int *receiver, struct err *e)
{
	*origin = json_string_value(json_object_get(lg, "origin"));
	*sender = *receiver = -1;
	if (!*origin || !json_is_array(json_object_get(lg, "entries")) ||
	    !json_is_array(json_object_get(lg, "checkpoints")) ||
	    sscanf(*origin, "parley/%128[^/]/%128s", from, to) != 2 ||
	    !envelope_name_valid(from, strlen(from)) || !envelope_name_valid(to, strlen(to)))
		return err_set(e, ERR_INVALID, "bundle: a log needs origin parley/FROM/TO, entries and checkpoints");
	for (int k = 0; k < 2; k++) {
		if (strcmp(keys[k].name, from) == 0)
			*sender = k;
		if (strcmp(keys[k].name, to) == 0)
			*receiver = k;
	}
	if (*sender < 0 || *receiver < 0 || *sender == *receiver)
		return err_set(e, ERR_INVALID, "bundle: %s is not a log between the bundle's two parties", *origin);
	return 0;
}

/* Each party's key chain from the key entries of its log in the bundle
 * (core/keyann.h), ending at the key the bundle names for it. */
static int bundle_chains(json_t *logs, const struct bodies *bs, const struct note_key keys[2],
			 struct keyann_chain chains[2], struct err *e)
{
	char from[ENVELOPE_NAME_MAX + 2], to[ENVELOPE_NAME_MAX + 2];
	const char *origin;
	int s, r, rc;

	keyann_chain_init(&chains[0], NULL);
	keyann_chain_init(&chains[1], NULL);
	for (size_t i = 0; i < json_array_size(logs); i++) {
		json_t *lg = json_array_get(logs, i), *entries;
		if ((rc = log_parties(lg, keys, &origin, from, to, &s, &r, e)) < 0)
			return rc;
		entries = json_object_get(lg, "entries");
		for (size_t x = 0; x < json_array_size(entries); x++) {
			const char *buf = json_string_value(json_array_get(entries, x));
			size_t len = json_string_length(json_array_get(entries, x)), blen = 0;
			const char *body;
			struct envelope env;

			if (!buf || envelope_parse(&env, buf, len, e) < 0 || env.kind != ENVELOPE_KEY)
				continue; /* the replay names a malformed entry */
			if (!(body = body_find(bs, env.body, &blen)))
				return err_set(e, ERR_VERIFY,
					       "%s: entry %zu is a key entry, but no key announcement with its hash is in the bundle",
					       origin, x);
			if ((rc = node_key_entry(&chains[s], origin, &env, body, blen, e)) < 0) {
				e->code = ERR_VERIFY;
				return ERR_VERIFY;
			}
		}
	}
	for (int k = 0; k < 2; k++) {
		if (chains[k].n == 0)
			keyann_chain_init(&chains[k], &keys[k]);
		if (!keyann_key_equal(keyann_chain_last(&chains[k]), &keys[k]))
			return err_set(e, ERR_VERIFY,
				       "bundle: the key of %s (%08" PRIx32 ") is not the last one its log announces (%08" PRIx32 ")",
				       keys[k].name, keys[k].id, keyann_chain_last(&chains[k])->id);
	}
	return 0;
}

static int replay_log(struct node *n, json_t *lg, const struct bodies *bs,
		      const struct note_key keys[2], const struct keyann_chain chains[2],
		      struct audit_info *info, FILE *progress, struct err *e)
{
	const char *origin;
	json_t *entries = json_object_get(lg, "entries"), *cps = json_object_get(lg, "checkpoints");
	char from[ENVELOPE_NAME_MAX + 2], to[ENVELOPE_NAME_MAX + 2];
	const struct keyann_chain *sc, *rcn;
	struct note_key *sks = malloc(KEYANN_CHAIN_MAX * sizeof(*sks));
	struct note_key *cks = malloc(KEYANN_CHAIN_MAX * sizeof(*cks));
	size_t ncks;
	struct store_log log;
	struct note *nt = malloc(sizeof(*nt));
	uint64_t done = 0;
	int rc = 0, s, r;

	if (!nt || !sks || !cks) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = log_parties(lg, keys, &origin, from, to, &s, &r, e)) < 0)
		goto out;
	sc = &chains[s];
	rcn = &chains[r];
	for (size_t j = 0; j < sc->n; j++)
		sks[j] = sc->k[j].key;
	ncks = keyann_chain_cosigners(rcn, cks);
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
		if (note_open(nt, note, strlen(note), sks, sc->n, e) < 0 ||
		    checkpoint_parse(&ckp, nt->text, nt->textlen, e) < 0 || strcmp(ckp.origin, origin) != 0) {
			rc = err_set(e, ERR_VERIFY, "%s: checkpoint %zu is not a checkpoint of this log signed by %s",
				     origin, c, from);
			break;
		}
		if ((rc = keyann_chain_signer_ok(sc, (size_t)(nt->sigs[0].key - sks), ckp.size, origin, e)) < 0)
			break;
		if (ckp.size <= done && ckp.size > 0) {
			/* Both signed by the sender: two trees of one size is a fork. */
			uint8_t held[32];
			char h1[65], h2[65];
			struct store_log got;
			if ((rc = store_log_get(n->store, from, to, 0, &got, e)) < 0 ||
			    (rc = store_root(n->store, got.id, ckp.size, held, e)) < 0)
				break;
			if (memcmp(held, ckp.root, 32) != 0) {
				merkle_hex(h1, held);
				merkle_hex(h2, ckp.root);
				rc = err_set(e, ERR_VERIFY,
					     "%s: FORK: %s signed two different trees of size %" PRIu64
					     " (roots %.16s... and %.16s...): it showed different histories",
					     origin, from, ckp.size, h1, h2);
				break;
			}
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
			struct register_rec rec;
			en[i].envelope = json_string_value(x);
			en[i].len = json_string_length(x);
			if (en[i].envelope && envelope_parse(&env, en[i].envelope, en[i].len, e) == 0 &&
			    (env.kind == ENVELOPE_CHARTER || env.kind == ENVELOPE_REGISTER ||
			     env.kind == ENVELOPE_KEY) &&
			    !(en[i].body = body_find(bs, env.body, &en[i].body_len))) {
				rc = err_set(e, ERR_VERIFY,
					     "%s: entry %" PRIu64 " is a %s, but no %s with its hash is in the bundle",
					     origin, done + i,
					     env.kind == ENVELOPE_CHARTER ? "charter"
					     : env.kind == ENVELOPE_KEY ? "key entry" : "register entry",
					     env.kind == ENVELOPE_CHARTER ? "charter"
					     : env.kind == ENVELOPE_KEY ? "key announcement" : "register record");
				break;
			}
			if (en[i].body && env.kind == ENVELOPE_REGISTER &&
			    register_body_parse(en[i].body, en[i].body_len, &rec, e) < 0) {
				rc = err_set(e, ERR_VERIFY, "%s: entry %" PRIu64 ": %s", origin, done + i, e->msg);
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
				if (note_open(cs, msg, ml, cks, ncks, e) < 0)
					rc = err_set(e, ERR_VERIFY,
						     "%s: the receipt on the checkpoint of size %" PRIu64 " is not %s's cosignature",
						     origin, ckp.size, to);
				else if (!keyann_chain_cosig_ok(rcn, (size_t)(cs->sigs[0].key - cks),
								cs->sigs[0].time))
					rc = err_set(e, ERR_VERIFY,
						     "%s: the receipt on the checkpoint of size %" PRIu64
						     " is by %s's key %08" PRIx32 ", which was not its key at the time %" PRIu64,
						     origin, ckp.size, to, cs->sigs[0].id, cs->sigs[0].time);
				else
					rc = store_cosig_add(n->store, res.checkpoint, to, cs->sigs[0].time,
							     line, e);
			}
			free(msg);
			free(cs);
		}
		if (progress && done / 100000 != ckp.size / 100000)
			fprintf(progress, "audit: %s: %" PRIu64 " of %zu entries checked\n", origin,
				ckp.size, json_array_size(entries));
		done = ckp.size;
	}
	if (rc == 0 && done != json_array_size(entries))
		rc = err_set(e, ERR_VERIFY, "%s: %zu entries but the last checkpoint covers %" PRIu64,
			     origin, json_array_size(entries), done);
	if (rc == 0)
		rc = check_evidence(n, lg, origin, from, to, sks, sc->n, nt, e);
	if (rc == 0 && progress)
		fprintf(progress, "audit: %s: %" PRIu64 " entries, %zu checkpoints checked\n", origin,
			done, json_array_size(cps));
	if (rc == 0 && info) {
		info->entries += done;
		info->checkpoints += json_array_size(cps);
	}
out:
	free(nt);
	free(sks);
	free(cks);
	return rc;
}

/* The bundle's optional period. */
static int load_period(json_t *o, struct audit_info *info, struct err *e)
{
	static const char *const keys[] = { "from", "to", NULL };
	json_t *p = json_object_get(o, "period");
	int64_t t[2] = { 0, 0 };

	if (!p)
		return 0;
	if (!json_is_object(p))
		return err_set(e, ERR_INVALID, "bundle: \"period\" must be {\"from\": TIME|null, \"to\": TIME|null}");
	if (jsonu_only_keys(p, keys, "bundle: period", e) < 0)
		return e->code;
	for (int k = 0; k < 2; k++) {
		json_t *x = json_object_get(p, keys[k]);
		if (x && !json_is_null(x) &&
		    (!json_is_string(x) || envelope_time_parse(json_string_value(x), json_string_length(x), &t[k]) < 0))
			return err_set(e, ERR_INVALID, "bundle: period.%s is not a time (YYYY-MM-DDTHH:MM:SSZ)", keys[k]);
	}
	if (t[1] && t[1] <= t[0])
		return err_set(e, ERR_INVALID, "bundle: the period ends before it starts");
	if (info) {
		info->from = t[0];
		info->to = t[1];
	}
	return 0;
}

int audit_load(const char *json, size_t len, struct node **out, struct audit_info *info,
	       FILE *progress, struct err *e)
{
	struct node *n = calloc(1, sizeof(*n));
	struct note_key keys[2];
	struct keyann_chain *chains = malloc(2 * sizeof(*chains));
	struct bodies bs = { NULL, 0 };
	json_error_t je;
	json_t *o = NULL, *parties, *logs, *lists[3];
	int rc = 0;

	*out = NULL;
	if (info)
		memset(info, 0, sizeof(*info));
	if (!n || !chains) {
		free(n);
		free(chains);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
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
	lists[0] = json_object_get(o, "charters");
	lists[1] = json_object_get(o, "registers");
	lists[2] = json_object_get(o, "keys");
	if ((lists[0] && !json_is_array(lists[0])) || (lists[1] && !json_is_array(lists[1]))) {
		rc = err_set(e, ERR_INVALID, "bundle: \"charters\" and \"registers\" must be arrays");
		goto out;
	}
	if (lists[2] && !json_is_array(lists[2])) {
		rc = err_set(e, ERR_INVALID, "bundle: \"keys\" must be an array of key announcements");
		goto out;
	}
	if ((rc = load_period(o, info, e)) < 0 || (rc = bodies_index(&bs, lists, e)) < 0 ||
	    (rc = store_open(&n->store, "sqlite::memory:", e)) < 0)
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
	if ((rc = bundle_chains(logs, &bs, keys, chains, e)) < 0)
		goto out;
	for (size_t i = 0; i < json_array_size(logs) && rc == 0; i++)
		rc = replay_log(n, json_array_get(logs, i), &bs, keys, chains, info, progress, e);
	/* No node_verify pass after the replay: store_append has checked
	 * every entry, body and checkpoint root, and replay_log every
	 * signature, cosignature and fork, on the way in; verifying again read
	 * every entry twice more (a third of a million-entry audit).
	 * fuzz_audit holds to it: every bundle that loads gives a store that
	 * node_verify passes. */
out:
	free(bs.v);
	free(chains);
	json_decref(o);
	if (rc < 0) {
		node_close(n);
		return rc;
	}
	*out = n;
	return 0;
}
