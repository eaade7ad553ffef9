/* keyann.c — key announcements and key chains. See keyann.h. */
#include "core/keyann.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/envelope.h"

#define HEADER "parley-key/1\n"

/* The announcement's text (without signatures) into buf. */
static int text_encode(const struct note_key *old, const struct note_key *new, int64_t time,
		       char *buf, size_t cap, size_t *len, struct err *e)
{
	char ok[NOTE_KEY_STR_MAX], nk[NOTE_KEY_STR_MAX], ts[21];
	int rc, l;

	if (strcmp(old->name, new->name) != 0)
		return err_set(e, ERR_INVALID, "key announcement: old key is for '%s', new key for '%s'",
			       old->name, new->name);
	if (old->alg != NOTE_ALG_ED25519 || new->alg != NOTE_ALG_ED25519)
		return err_set(e, ERR_INVALID, "key announcement: both keys must be Ed25519 signing keys");
	if (memcmp(old->pk, new->pk, 32) == 0)
		return err_set(e, ERR_INVALID, "key announcement: the new key is the old key");
	if ((rc = note_key_encode(old, ok, sizeof(ok), e)) < 0 ||
	    (rc = note_key_encode(new, nk, sizeof(nk), e)) < 0 ||
	    (rc = envelope_time_format(time, ts, e)) < 0)
		return rc;
	l = snprintf(buf, cap, HEADER "old %s\nnew %s\ntime %s\n", ok, nk, ts);
	if (l < 0 || (size_t)l >= cap)
		return err_set(e, ERR_TOOBIG, "key announcement: longer than %zu bytes", cap);
	*len = (size_t)l;
	return 0;
}

int keyann_make(char *out, size_t cap, size_t *len, const struct note_signer *old,
		const struct note_signer *new, int64_t time, struct err *e)
{
	size_t used, textlen;
	int rc;

	if ((rc = text_encode(&old->pub, &new->pub, time, out, cap, &textlen, e)) < 0)
		return rc;
	if (textlen + 1 >= cap)
		return err_set(e, ERR_TOOBIG, "key announcement: longer than %zu bytes", cap);
	used = textlen;
	out[used++] = '\n';
	if ((rc = note_sign_line(out, cap, &used, out, textlen, old, e)) < 0 ||
	    (rc = note_sign_line(out, cap, &used, out, textlen, new, e)) < 0)
		return rc;
	*len = used;
	return 0;
}

/* "KEY VALUE\n" at *p: the value's bounds, *p moved past the line. */
static int line_value(const char **p, const char *end, const char *key, const char **v,
		      size_t *vlen)
{
	size_t kl = strlen(key);
	const char *nl;

	if ((size_t)(end - *p) <= kl + 1 || memcmp(*p, key, kl) != 0 || (*p)[kl] != ' ' ||
	    !(nl = memchr(*p, '\n', (size_t)(end - *p))))
		return -1;
	*v = *p + kl + 1;
	*vlen = (size_t)(nl - *v);
	*p = nl + 1;
	return 0;
}

int keyann_parse(struct keyann *a, const char *buf, size_t len, struct err *e)
{
	struct note *nt = malloc(sizeof(*nt));
	struct note_key keys[2];
	const char *p, *end, *v;
	char again[KEYANN_MAX];
	size_t vlen, alen;
	int rc;

	if (!nt)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (len > KEYANN_MAX) {
		rc = err_set(e, ERR_INVALID, "key announcement: longer than %d bytes", KEYANN_MAX);
		goto out;
	}
	/* The text first, unverified: it names the keys to verify with. */
	rc = note_open(nt, buf, len, NULL, 0, e);
	if (rc != ERR_UNVERIFIED) {
		if (rc == 0)
			rc = err_set(e, ERR_INVALID, "key announcement: not a signed note");
		else
			err_wrap(e, "key announcement");
		goto out;
	}
	p = nt->text;
	end = nt->text + nt->textlen;
	rc = ERR_INVALID;
	if ((size_t)(end - p) < sizeof(HEADER) - 1 || memcmp(p, HEADER, sizeof(HEADER) - 1) != 0) {
		err_set(e, rc, "key announcement: does not start with parley-key/1");
		goto out;
	}
	p += sizeof(HEADER) - 1;
	if (line_value(&p, end, "old", &v, &vlen) < 0 || note_key_parse(&a->old, v, vlen, e) < 0 ||
	    line_value(&p, end, "new", &v, &vlen) < 0 || note_key_parse(&a->new, v, vlen, e) < 0 ||
	    line_value(&p, end, "time", &v, &vlen) < 0 ||
	    envelope_time_parse(v, vlen, &a->time) < 0 || p != end) {
		err_set(e, rc, "key announcement: the text is not the lines old, new and time");
		goto out;
	}
	/* Canonical: the bytes are the ones keyann_make writes. */
	if ((rc = text_encode(&a->old, &a->new, a->time, again, sizeof(again), &alen, e)) < 0)
		goto out;
	if (alen != nt->textlen || memcmp(again, nt->text, alen) != 0) {
		rc = err_set(e, ERR_INVALID, "key announcement: the text is not in canonical form");
		goto out;
	}
	keys[0] = a->old;
	keys[1] = a->new;
	rc = note_open(nt, buf, len, keys, 2, e);
	if (rc == ERR_UNVERIFIED || (rc == 0 && (nt->nverified != 2 || nt->nsigs != 2)))
		rc = err_set(e, ERR_SIGNATURE,
			     "key announcement: needs exactly two signatures, by the old key %08" PRIx32
			     " and by the new key %08" PRIx32, a->old.id, a->new.id);
	else if (rc == ERR_SIGNATURE)
		err_wrap(e, "key announcement");
out:
	free(nt);
	return rc;
}

int keyann_key_equal(const struct note_key *a, const struct note_key *b)
{
	return a->id == b->id && a->alg == b->alg && strcmp(a->name, b->name) == 0 &&
	       sodium_memcmp(a->pk, b->pk, 32) == 0;
}

void keyann_chain_init(struct keyann_chain *c, const struct note_key *first)
{
	c->n = 0;
	if (first) {
		memset(&c->k[0], 0, sizeof(c->k[0]));
		c->k[0].key = *first;
		c->n = 1;
	}
}

int keyann_chain_add(struct keyann_chain *c, const struct keyann *a, uint64_t index,
		     const char *origin, struct err *e)
{
	struct keyann_link *last;

	if (c->n == 0)
		keyann_chain_init(c, &a->old);
	last = &c->k[c->n - 1];
	if (!keyann_key_equal(&a->old, &last->key))
		return err_set(e, ERR_SIGNATURE,
			       "%s entry %" PRIu64 ": key announcement is not signed by the previous key of %s"
			       " (%08" PRIx32 ") but by %08" PRIx32,
			       origin, index, last->key.name, last->key.id, a->old.id);
	if (c->n > 1 && index <= last->index)
		return err_set(e, ERR_INVALID, "%s entry %" PRIu64 ": key announcements out of order",
			       origin, index);
	if (c->n == KEYANN_CHAIN_MAX)
		return err_set(e, ERR_TOOBIG, "%s entry %" PRIu64 ": more than %d keys in one chain",
			       origin, index, KEYANN_CHAIN_MAX);
	c->k[c->n] = (struct keyann_link){ a->new, index, a->time };
	c->n++;
	return 0;
}

const struct note_key *keyann_chain_at(const struct keyann_chain *c, uint64_t size)
{
	size_t j;

	if (c->n == 0)
		return NULL;
	for (j = c->n - 1; j > 0 && c->k[j].index >= size; j--)
		;
	return &c->k[j].key;
}

const struct note_key *keyann_chain_last(const struct keyann_chain *c)
{
	return c->n ? &c->k[c->n - 1].key : NULL;
}

int keyann_chain_find(const struct keyann_chain *c, const struct note_key *k)
{
	for (size_t j = 0; j < c->n; j++)
		if (keyann_key_equal(&c->k[j].key, k))
			return (int)j;
	return -1;
}

size_t keyann_chain_cosigners(const struct keyann_chain *c, struct note_key *out)
{
	for (size_t j = 0; j < c->n; j++)
		note_key_cosigner(&out[j], &c->k[j].key);
	return c->n;
}

int keyann_chain_cosig_ok(const struct keyann_chain *c, size_t j, uint64_t t)
{
	if (j >= c->n)
		return 0;
	if (j > 0 && t < (uint64_t)c->k[j].since)
		return 0;
	return j + 1 == c->n || t <= (uint64_t)c->k[j + 1].since;
}

int keyann_chain_signer_ok(const struct keyann_chain *c, size_t j, uint64_t size,
			   const char *origin, struct err *e)
{
	const struct note_key *want = keyann_chain_at(c, size);

	if (j >= c->n)
		return err_set(e, ERR_VERIFY, "%s: checkpoint of size %" PRIu64 " is signed by no key of the chain",
			       origin, size);
	if (want && keyann_key_equal(want, &c->k[j].key))
		return 0;
	if (j > 0 && c->k[j].index >= size)
		return err_set(e, ERR_VERIFY,
			       "%s: checkpoint of size %" PRIu64 " is signed by key %08" PRIx32
			       " before its announcement at entry %" PRIu64,
			       origin, size, c->k[j].key.id, c->k[j].index);
	return err_set(e, ERR_VERIFY,
		       "%s: checkpoint of size %" PRIu64 " is signed by key %08" PRIx32
		       ", which entry %" PRIu64 " replaced",
		       origin, size, c->k[j].key.id, j + 1 < c->n ? c->k[j + 1].index : 0);
}
