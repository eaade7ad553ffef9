/* test_note.c — C2SP signed notes, tlog-checkpoint bodies and
 * tlog-cosignatures (core/note): the published vectors of
 * tests/vectors/{note,checkpoint,cosignature}, then our own behaviour:
 * key round trips, many signers, limits, tampering, cosignature times. */
#include "vectors.h"

#include <inttypes.h>

#include <jansson.h>
#include <sodium.h>

#include "core/note.h"

#define NOTE_BUF (NOTE_MAX_SIZE + 1024)

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static json_t *load_json(const char *rel)
{
	char path[4096];
	json_error_t je;
	json_t *j;

	vec_path(path, sizeof(path), rel);
	j = json_load_file(path, 0, &je);
	if (!j)
		fail_msg("%s:%d: %s", path, je.line, je.text);
	assert_true(json_is_array(j));
	return j;
}

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A string field the record must have. */
static const char *jreq(const json_t *o, const char *key)
{
	const char *v = jstr(o, key);

	if (!v) {
		fail_msg("record %s has no string '%s'", jstr(o, "name"), key);
		return "";
	}
	return v;
}

static size_t jlen(const json_t *o, const char *key)
{
	return json_string_length(json_object_get(o, key));
}

static uint32_t hex32(const char *s)
{
	uint8_t b[4];

	assert_int_equal(vec_unhex(b, 4, s, strlen(s)), 4);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* Standard base64 into out (cap bytes); returns the length or fails. */
static size_t unb64(uint8_t *out, size_t cap, const char *s)
{
	size_t n;

	if (sodium_base642bin(out, cap, s, strlen(s), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		fail_msg("bad base64 in a vector: %s", s);
	return n;
}

/* A verifier from a key string that must parse. */
static void parse_key(struct note_key *k, const char *s)
{
	struct err e = { 0 };

	vec_rc(0, note_key_parse(k, s, strlen(s), &e), &e, "verifier %s", s);
}

/* A signer made by hand from an Ed25519 seed (the vectors publish seeds,
 * not signer strings). */
static void seed_signer(struct note_signer *s, const char *name,
			const uint8_t seed[32])
{
	memset(s, 0, sizeof(*s));
	assert_true(strlen(name) <= NOTE_NAME_MAX);
	memcpy(s->pub.name, name, strlen(name) + 1);
	s->pub.alg = NOTE_ALG_ED25519;
	assert_int_equal(crypto_sign_seed_keypair(s->pub.pk, s->sk, seed), 0);
	s->pub.id = note_key_id(name, NOTE_ALG_ED25519, s->pub.pk);
}

/* Two verifier keys are equal field by field (not bytewise: the name
 * buffer past its NUL and padding are not part of a key). */
static void key_equal(const struct note_key *a, const struct note_key *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->alg, b->alg);
	assert_memory_equal(a->pk, b->pk, 32);
}

static void expect_name(const struct note_sig *sig, const char *name,
			const char *what)
{
	if (sig->namelen != strlen(name) ||
	    memcmp(sig->name, name, sig->namelen) != 0)
		fail_msg("%s: signature by '%.*s', want '%s'", what,
			 (int)sig->namelen, sig->name, name);
}

static void keygen(struct note_signer *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void keygen(struct note_signer *s, const char *fmt, ...)
{
	char name[64];
	struct err e = { 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	vec_rc(0, note_keygen(s, name, &e), &e, "keygen %s", name);
}

/* ------------------------------------------------------------------ */
/* keys.json                                                           */

static void test_keys_vectors(void **state)
{
	json_t *a = load_json("note/keys.json"), *r;
	size_t i, nok = 0, nbad = 0;

	(void)state;
	json_array_foreach(a, i, r) {
		const char *name = jstr(r, "name"), *key = jstr(r, "key");
		const char *kind = jstr(r, "kind"), *expect = jstr(r, "expect");
		const char *keyname = jstr(r, "keyname");
		const char *keyhash = jstr(r, "keyhash");
		const json_t *algj = json_object_get(r, "alg");
		int alg = json_is_integer(algj) ? (int)json_integer_value(algj) : -1;
		int want_ok = strcmp(expect, "ok") == 0, rc;
		struct err e = { 0 };
		char enc[NOTE_KEY_STR_MAX + 1];

		assert_true(want_ok || strcmp(expect, "malformed") == 0);
		/* We verify only Ed25519 (0x01) and cosignature (0x04)
		 * keys: a key of another algorithm that Go accepts is
		 * rejected by us. (No record in keys.json needs this
		 * today; the branch keeps a future one from being skipped
		 * silently.) */
		if (want_ok && alg != -1 && alg != NOTE_ALG_ED25519 &&
		    alg != NOTE_ALG_COSIGNATURE) {
			vec_na("note/keys.json", name,
			       "algorithm 0x%02x is accepted by Go but not by parley: asserting rejection",
			       alg);
			want_ok = 0;
		}
		if (strcmp(kind, "verifier") == 0) {
			struct note_key k;

			memset(&k, 0, sizeof(k));
			rc = note_key_parse(&k, key, strlen(key), &e);
			if (!want_ok) {
				vec_rc(ERR_INVALID, rc, &e, "keys.json %s", name);
				nbad++;
				continue;
			}
			vec_rc(0, rc, &e, "keys.json %s", name);
			assert_string_equal(k.name, keyname);
			if (k.id != hex32(keyhash))
				fail_msg("keys.json %s: key id %08" PRIx32 ", want %s",
					 name, k.id, keyhash);
			if (alg != -1)
				assert_int_equal(k.alg, alg);
			assert_int_equal(k.id, note_key_id(k.name, k.alg, k.pk));
			/* encoding gives the string back */
			vec_rc(0, note_key_encode(&k, enc, sizeof(enc), &e), &e,
			       "encode %s", name);
			assert_string_equal(enc, key);
		} else {
			struct note_signer s;
			size_t j;
			const json_t *o;

			assert_string_equal(kind, "signer");
			memset(&s, 0, sizeof(s));
			rc = note_signer_parse(&s, key, strlen(key), &e);
			if (!want_ok) {
				vec_rc(ERR_INVALID, rc, &e, "keys.json %s", name);
				nbad++;
				continue;
			}
			vec_rc(0, rc, &e, "keys.json %s", name);
			assert_string_equal(s.pub.name, keyname);
			assert_int_equal(s.pub.id, hex32(keyhash));
			assert_int_equal(s.pub.alg, NOTE_ALG_ED25519);
			vec_rc(0, note_signer_encode(&s, enc, sizeof(enc), &e), &e,
			       "encode %s", name);
			assert_string_equal(enc, key);
			/* its public half is the published verifier of the
			 * same name, where there is one */
			json_array_foreach(a, j, o) {
				if (strcmp(jstr(o, "kind"), "verifier") != 0 ||
				    strcmp(jstr(o, "expect"), "ok") != 0 ||
				    strcmp(jstr(o, "keyname"), keyname) != 0)
					continue;
				vec_rc(0, note_key_encode(&s.pub, enc, sizeof(enc),
							  &e),
				       &e, "encode %s", name);
				assert_string_equal(enc, jstr(o, "key"));
			}
			note_signer_wipe(&s);
		}
		nok++;
	}
	printf("keys.json: %zu accepted, %zu rejected\n", nok, nbad);
	assert_int_equal(nok + nbad, 29);
	json_decref(a);
}

/* As note_test.go: every proper substring of a valid key, and the key
 * with any one byte incremented, is rejected. Done for every valid key. */
static void test_keys_mangled(void **state)
{
	json_t *a = load_json("note/keys.json"), *r;
	size_t i, tried = 0;
	char buf[NOTE_KEY_STR_MAX + 1];

	(void)state;
	json_array_foreach(a, i, r) {
		const char *key = jstr(r, "key"), *name = jstr(r, "name");
		int signer = strcmp(jstr(r, "kind"), "signer") == 0;
		size_t len = strlen(key);

		if (strcmp(jstr(r, "expect"), "ok") != 0)
			continue;
		for (size_t b = 0; b < len; b++)
			for (size_t end = b + 1; end <= len; end++) {
				struct note_key k;
				struct note_signer s;
				struct err e = { 0 };
				int rc;

				if (b == 0 && end == len)
					continue;
				rc = signer ? note_signer_parse(&s, key + b, end - b, &e)
					    : note_key_parse(&k, key + b, end - b, &e);
				if (rc != ERR_INVALID)
					fail_msg("%s: substring [%zu, %zu) '%.*s' gave %d (%s), want invalid",
						 name, b, end, (int)(end - b),
						 key + b, rc, err_name(rc));
				tried++;
			}
		for (size_t b = 0; b < len; b++) {
			struct note_key k;
			struct note_signer s;
			struct err e = { 0 };
			int rc;

			memcpy(buf, key, len + 1);
			buf[b]++;
			rc = signer ? note_signer_parse(&s, buf, len, &e)
				    : note_key_parse(&k, buf, len, &e);
			if (rc != ERR_INVALID)
				fail_msg("%s: byte %zu incremented ('%s') gave %d (%s), want invalid",
					 name, b, buf, rc, err_name(rc));
			tried++;
		}
		/* a key of the other kind is not accepted either */
		{
			struct note_key k;
			struct note_signer s;
			struct err e = { 0 };
			int rc = signer ? note_key_parse(&k, key, len, &e)
					: note_signer_parse(&s, key, len, &e);
			if (rc != ERR_INVALID)
				fail_msg("%s parsed as the other kind: %d", name, rc);
		}
	}
	printf("keys.json: %zu mangled keys rejected\n", tried);
	json_decref(a);
}

/* ------------------------------------------------------------------ */
/* notes.json                                                          */

static size_t load_verifiers(const json_t *r, struct note_key *keys,
			     size_t cap)
{
	const json_t *vs = json_object_get(r, "verifiers"), *v;
	size_t i;

	assert_true(json_is_array(vs));
	assert_true(json_array_size(vs) <= cap);
	json_array_foreach(vs, i, v)
		parse_key(&keys[i], json_string_value(v));
	return json_array_size(vs);
}

static void check_verified(const struct note *n, const json_t *r,
			   const char *what)
{
	const json_t *v = json_object_get(r, "verified"), *x;
	size_t i;

	if (!v)
		return;
	if (n->nverified != json_array_size(v))
		fail_msg("%s: %zu verified signatures, want %zu", what,
			 n->nverified, json_array_size(v));
	json_array_foreach(v, i, x) {
		expect_name(&n->sigs[i], json_string_value(x), what);
		assert_non_null(n->sigs[i].key);
		assert_int_equal(n->sigs[i].id, n->sigs[i].key->id);
	}
}

static void check_unverified(const struct note *n, const json_t *r,
			     const char *what)
{
	const json_t *u = json_object_get(r, "unverified_sigs"), *x;
	size_t i;

	if (!u)
		return;
	if (n->nsigs - n->nverified != json_array_size(u))
		fail_msg("%s: %zu unverified signatures, want %zu", what,
			 n->nsigs - n->nverified, json_array_size(u));
	json_array_foreach(u, i, x) {
		const struct note_sig *s = &n->sigs[n->nverified + i];
		const char *name = jstr(x, "name"), *hash = jstr(x, "hash");
		char line[1024];

		expect_name(s, name, what);
		assert_null(s->key);
		if (hash)
			assert_int_equal(s->id, hex32(hash));
		snprintf(line, sizeof(line), "\xe2\x80\x94 %s %s", name,
			 jstr(x, "base64"));
		if (s->linelen != strlen(line) ||
		    memcmp(s->line, line, s->linelen) != 0)
			fail_msg("%s: unverified line '%.*s', want '%s'", what,
				 (int)s->linelen, s->line, line);
	}
}

static void check_text(const struct note *n, const json_t *r,
		       const char *what)
{
	const char *text = jstr(r, "text");

	if (!text)
		return;
	if (n->textlen != strlen(text) || memcmp(n->text, text, n->textlen) != 0)
		fail_msg("%s: text '%.*s', want '%s'", what, (int)n->textlen,
			 n->text, text);
}

/* Vectors whose key is given as a seed or a raw public key (key_hint):
 * build the verifier and open again. */
static void open_with_hint(const json_t *r, const char *msg, size_t len,
			   const char *what)
{
	const json_t *h = json_object_get(r, "key_hint");
	const char *seed = jstr(h, "ed25519_seed_hex");
	const char *pkhex = jstr(h, "ed25519_public_key_hex");
	const char *kname = jstr(h, "key_name");
	struct note_key k;
	struct note *n = malloc(sizeof(*n));
	struct err e = { 0 };

	assert_non_null(n);
	assert_int_equal(json_integer_value(json_object_get(h, "alg")), 1);
	assert_string_equal(jstr(h, "expect_with_key"), "ok");
	memset(&k, 0, sizeof(k));
	assert_true(strlen(kname) <= NOTE_NAME_MAX);
	memcpy(k.name, kname, strlen(kname) + 1);
	k.alg = NOTE_ALG_ED25519;
	if (seed) {
		uint8_t sd[32], sk[64];
		assert_int_equal(vec_unhex(sd, 32, seed, strlen(seed)), 32);
		crypto_sign_seed_keypair(k.pk, sk, sd);
	} else {
		assert_non_null(pkhex);
		assert_int_equal(vec_unhex(k.pk, 32, pkhex, strlen(pkhex)), 32);
	}
	k.id = note_key_id(k.name, k.alg, k.pk);
	vec_rc(0, note_open(n, msg, len, &k, 1, &e), &e, "%s with key_hint", what);
	assert_int_equal(n->nverified, 1);
	expect_name(&n->sigs[0], kname, what);
	assert_ptr_equal(n->sigs[0].key, &k);
	free(n);
}

static void test_notes_vectors(void **state)
{
	json_t *a = load_json("note/notes.json"), *r;
	struct note *n = malloc(sizeof(*n));
	char *out = malloc(NOTE_BUF);
	uint8_t *hexbuf = malloc(NOTE_BUF);
	size_t i, count[6] = { 0 };

	(void)state;
	assert_non_null(n);
	assert_non_null(out);
	assert_non_null(hexbuf);
	json_array_foreach(a, i, r) {
		const char *name = jstr(r, "name"), *expect = jstr(r, "expect");
		const char *op = jstr(r, "op"), *msg;
		struct note_key keys[8];
		size_t nkeys = load_verifiers(r, keys, 8), len, outlen = 0;
		struct err e = { 0 };
		char what[160];
		int rc;

		snprintf(what, sizeof(what), "notes.json %s", name);
		if (op) {
			const char *signer = jstr(r, "signer"), *text = jstr(r, "text");
			struct note_signer s;

			assert_string_equal(op, "sign");
			vec_rc(0, note_signer_parse(&s, signer, strlen(signer), &e),
			       &e, "%s signer", what);
			rc = note_sign(out, NOTE_BUF, &outlen, text, strlen(text),
				       &s, &e);
			note_signer_wipe(&s);
			if (strcmp(expect, "malformed") == 0) {
				vec_rc(ERR_INVALID, rc, &e, "%s: note_sign", what);
				count[0]++;
				continue;
			}
			assert_string_equal(expect, "ok");
			vec_rc(0, rc, &e, "%s: note_sign", what);
			msg = jstr(r, "note");
			if (outlen != strlen(msg) || memcmp(out, msg, outlen) != 0)
				fail_msg("%s: signed note\n%.*s\nwant\n%s", what,
					 (int)outlen, out, msg);
			vec_rc(0, note_open(n, out, outlen, keys, nkeys, &e), &e,
			       "%s: open the signed note", what);
			check_verified(n, r, what);
			check_text(n, r, what);
			count[0]++;
			continue;
		}
		if ((msg = jstr(r, "note")) != NULL) {
			len = jlen(r, "note");
		} else {
			const char *hex = jstr(r, "note_hex");
			assert_non_null(hex);
			len = vec_unhex(hexbuf, NOTE_BUF, hex, strlen(hex));
			msg = (const char *)hexbuf;
		}
		memset(n, 0xa5, sizeof(*n));
		rc = note_open(n, msg, len, keys, nkeys, &e);
		if (strcmp(expect, "ok") == 0) {
			vec_rc(0, rc, &e, "%s", what);
			check_verified(n, r, what);
			check_unverified(n, r, what);
			check_text(n, r, what);
			count[1]++;
		} else if (strcmp(expect, "unverified") == 0) {
			vec_rc(ERR_UNVERIFIED, rc, &e, "%s", what);
			assert_int_equal(n->nverified, 0);
			check_unverified(n, r, what);
			check_text(n, r, what);
			if (json_object_get(r, "key_hint"))
				open_with_hint(r, msg, len, what);
			count[2]++;
		} else if (strcmp(expect, "malformed") == 0) {
			vec_rc(ERR_INVALID, rc, &e, "%s", what);
			count[3]++;
		} else if (strcmp(expect, "bad-signature") == 0) {
			vec_rc(ERR_SIGNATURE, rc, &e, "%s", what);
			count[4]++;
		} else if (strcmp(expect, "ambiguous-key") == 0) {
			/* Deliberate difference: Go's Open fails with
			 * "ambiguous key" when the verifier list holds the
			 * same name+ID twice. note_open takes the first
			 * matching key (note.h: find by name and key ID), so
			 * the repeated, identical EnochRoot verifier simply
			 * verifies the note. A list with the same key twice
			 * is a harmless configuration slip, not an attack. */
			vec_rc(0, rc, &e, "%s (parley accepts)", what);
			assert_int_equal(n->nverified, 1);
			assert_int_equal(n->nsigs, 1);
			expect_name(&n->sigs[0], "EnochRoot", what);
			assert_ptr_equal(n->sigs[0].key, &keys[0]);
			count[5]++;
		} else {
			fail_msg("%s: unknown expect '%s'", what, expect);
		}
	}
	printf("notes.json: %zu sign, %zu ok, %zu unverified, %zu malformed, %zu bad-signature, %zu ambiguous-key\n",
	       count[0], count[1], count[2], count[3], count[4], count[5]);
	assert_int_equal(count[0] + count[1] + count[2] + count[3] + count[4] +
				 count[5],
			 33);
	free(hexbuf);
	free(out);
	free(n);
	json_decref(a);
}

/* ------------------------------------------------------------------ */
/* checkpoints.json                                                    */

static void test_checkpoint_vectors(void **state)
{
	json_t *a = load_json("checkpoint/checkpoints.json"), *r;
	size_t i, nok = 0, nbad = 0, nenc = 0;

	(void)state;
	json_array_foreach(a, i, r) {
		const char *name = jstr(r, "name"), *body = jstr(r, "body");
		const char *expect = jstr(r, "c2sp_expect");
		size_t len = jlen(r, "body");
		struct checkpoint c;
		struct err e = { 0 };
		char what[160], enc[1024];
		uint8_t root[128];
		int rc;

		/* We follow c2sp.org/tlog-checkpoint strictly: where its
		 * verdict differs from the source parser's, it wins. */
		if (!expect)
			expect = jstr(r, "expect");
		snprintf(what, sizeof(what), "checkpoints.json %s", name);
		rc = checkpoint_parse(&c, body, len, &e);
		if (strcmp(expect, "malformed") == 0) {
			vec_rc(ERR_INVALID, rc, &e, "%s", what);
			nbad++;
			continue;
		}
		assert_string_equal(expect, "ok");
		vec_rc(0, rc, &e, "%s", what);
		assert_string_equal(c.origin, jstr(r, "origin"));
		assert_int_equal(c.size,
				 (uint64_t)json_integer_value(json_object_get(r, "size")));
		assert_int_equal(unb64(root, sizeof(root), jstr(r, "root_b64")), 32);
		assert_memory_equal(c.root, root, 32);
		assert_int_equal(c.nextensions,
				 json_array_size(json_object_get(r, "extensions")));
		nok++;
		if (c.nextensions == 0) {
			size_t elen = 0;
			vec_rc(0, checkpoint_encode(&c, enc, sizeof(enc), &elen, &e),
			       &e, "%s: encode", what);
			if (elen != len || memcmp(enc, body, len) != 0)
				fail_msg("%s: encoded\n%.*s\nwant\n%s", what,
					 (int)elen, enc, body);
			nenc++;
		}
	}
	printf("checkpoints.json: %zu accepted (%zu re-encoded), %zu rejected\n",
	       nok, nenc, nbad);
	assert_int_equal(nok + nbad, 35);
	json_decref(a);
}

/* Our own strictness: what no published vector covers. */
static void test_checkpoint_edges(void **state)
{
	static const char root[] = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
	static const struct {
		const char *size;
		int ok;
		uint64_t want;
	} sizes[] = {
		{ "0", 1, 0 },
		{ "1", 1, 1 },
		{ "18446744073709551615", 1, UINT64_MAX },
		{ "18446744073709551616", 0, 0 },
		{ "99999999999999999999", 0, 0 },
		{ "00", 0, 0 },
		{ "007", 0, 0 },
		{ "+7", 0, 0 },
		{ " 7", 0, 0 },
		{ "7 ", 0, 0 },
		{ "", 0, 0 },
	};
	char body[1024], origin[CHECKPOINT_ORIGIN_MAX + 2], enc[1024];
	struct checkpoint c;
	struct err e = { 0 };
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(body, sizeof(body), "o\n%s\n%s\n", sizes[i].size, root);
		if (!sizes[i].ok) {
			vec_rc(ERR_INVALID, checkpoint_parse(&c, body, strlen(body), &e),
			       &e, "size '%s'", sizes[i].size);
			continue;
		}
		vec_rc(0, checkpoint_parse(&c, body, strlen(body), &e), &e,
		       "size '%s'", sizes[i].size);
		assert_int_equal(c.size, sizes[i].want);
		vec_rc(0, checkpoint_encode(&c, enc, sizeof(enc), &len, &e), &e,
		       "encode");
		assert_int_equal(len, strlen(body));
		assert_memory_equal(enc, body, len);
	}
	/* origin length limit, and no control characters in it */
	memset(origin, 'a', sizeof(origin));
	origin[CHECKPOINT_ORIGIN_MAX] = '\0';
	snprintf(body, sizeof(body), "%s\n5\n%s\n", origin, root);
	vec_rc(0, checkpoint_parse(&c, body, strlen(body), &e), &e, "origin 300");
	origin[CHECKPOINT_ORIGIN_MAX] = 'a';
	origin[CHECKPOINT_ORIGIN_MAX + 1] = '\0';
	snprintf(body, sizeof(body), "%s\n5\n%s\n", origin, root);
	vec_rc(ERR_INVALID, checkpoint_parse(&c, body, strlen(body), &e), &e,
	       "origin 301");
	snprintf(body, sizeof(body), "a\tb\n5\n%s\n", root);
	vec_rc(ERR_INVALID, checkpoint_parse(&c, body, strlen(body), &e), &e,
	       "tab in origin");
	/* extension lines: counted; an empty one is refused */
	snprintf(body, sizeof(body), "o\n5\n%s\nx\ny\n", root);
	vec_rc(0, checkpoint_parse(&c, body, strlen(body), &e), &e, "2 extensions");
	assert_int_equal(c.nextensions, 2);
	snprintf(body, sizeof(body), "o\n5\n%s\nx\n\ny\n", root);
	vec_rc(ERR_INVALID, checkpoint_parse(&c, body, strlen(body), &e), &e,
	       "empty extension line");
	/* root: unpadded or 33 bytes is refused */
	snprintf(body, sizeof(body), "o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n");
	vec_rc(ERR_INVALID, checkpoint_parse(&c, body, strlen(body), &e), &e,
	       "unpadded root");
	snprintf(body, sizeof(body), "o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2IA\n");
	vec_rc(ERR_INVALID, checkpoint_parse(&c, body, strlen(body), &e), &e,
	       "33-byte root");
	vec_rc(ERR_INVALID, checkpoint_parse(&c, "", 0, &e), &e, "empty body");
	/* encode refuses a buffer that is too small */
	snprintf(body, sizeof(body), "o\n5\n%s\n", root);
	vec_rc(0, checkpoint_parse(&c, body, strlen(body), &e), &e, "parse");
	vec_rc(ERR_TOOBIG, checkpoint_encode(&c, enc, strlen(body), &len, &e), &e,
	       "encode into %zu bytes", strlen(body));
}

/* ------------------------------------------------------------------ */
/* cosignatures.json                                                   */

static void test_cosignature_vectors(void **state)
{
	json_t *a = load_json("cosignature/cosignatures.json"), *r;
	struct note *n = malloc(sizeof(*n));
	size_t i, done = 0;

	(void)state;
	assert_non_null(n);
	json_array_foreach(a, i, r) {
		const char *name = jstr(r, "name"), *expect = jstr(r, "expect");
		const char *cp = jstr(r, "checkpoint"), *line = jstr(r, "signature_line");
		const char *seed = jstr(r, "key_seed_hex"), *cname = jstr(r, "cosigner_name");
		uint64_t t = (uint64_t)json_integer_value(json_object_get(r, "time"));
		char msg[2048], out[2048], what[160];
		struct err e = { 0 };
		size_t len, outlen;
		int rc;

		snprintf(what, sizeof(what), "cosignatures.json %s", name);
		if (seed) {
			struct note_signer s;
			struct note_key k, k2;
			uint8_t sd[32];

			assert_non_null(cp);
			assert_non_null(line);
			assert_int_equal(vec_unhex(sd, 32, seed, strlen(seed)), 32);
			seed_signer(&s, cname, sd);
			/* the cosigner key, built as the spec says */
			memset(&k, 0, sizeof(k));
			memcpy(k.name, cname, strlen(cname) + 1);
			k.alg = NOTE_ALG_COSIGNATURE;
			memcpy(k.pk, s.pub.pk, 32);
			k.id = note_key_id(cname, NOTE_ALG_COSIGNATURE, k.pk);
			note_key_cosigner(&k2, &s.pub);
			key_equal(&k, &k2);
			len = (size_t)snprintf(msg, sizeof(msg), "%s\n%s\n", cp, line);
			rc = note_open(n, msg, len, &k, 1, &e);
			if (strcmp(expect, "ok") == 0) {
				vec_rc(0, rc, &e, "%s", what);
				assert_int_equal(n->nverified, 1);
				assert_int_equal(n->sigs[0].time, t);
				assert_ptr_equal(n->sigs[0].key, &k);
				/* signing reproduces the line byte for byte */
				outlen = 0;
				vec_rc(0, note_cosign_line(out, sizeof(out), &outlen,
							   cp, strlen(cp), &s, t, &e),
				       &e, "%s: cosign", what);
				if (outlen != strlen(line) + 1 ||
				    memcmp(out, line, outlen - 1) != 0 ||
				    out[outlen - 1] != '\n')
					fail_msg("%s: cosigned\n%.*s\nwant\n%s", what,
						 (int)outlen, out, line);
			} else if (strcmp(expect, "ignored") == 0) {
				/* another key ID or name: an unknown key */
				vec_rc(ERR_UNVERIFIED, rc, &e, "%s", what);
				assert_int_equal(n->nsigs, 1);
			} else {
				/* name and key ID match, 78-byte blob: the
				 * known key's signature fails */
				assert_string_equal(expect, "fail");
				vec_rc(ERR_SIGNATURE, rc, &e, "%s", what);
			}
			note_signer_wipe(&s);
		} else if (strcmp(expect, "parse-only") == 0) {
			const char *kid = jstr(r, "key_id_hex");

			if (line)
				len = (size_t)snprintf(msg, sizeof(msg), "%s\n%s\n",
						       cp, line);
			else
				len = (size_t)snprintf(msg, sizeof(msg),
						       "test\n1\n\n\xe2\x80\x94 w0 %s\n",
						       jreq(r, "signature_b64"));
			vec_rc(ERR_UNVERIFIED, note_open(n, msg, len, NULL, 0, &e),
			       &e, "%s", what);
			assert_int_equal(n->nsigs, 1);
			if (cname)
				expect_name(&n->sigs[0], cname, what);
			if (kid)
				assert_int_equal(n->sigs[0].id, hex32(kid));
			vec_na("cosignature/cosignatures.json", name,
			       "no key is published: parsed only; the timestamp %" PRIu64 " is not checked because note_open reports the time of verified cosignatures only",
			       t);
		} else {
			const char *b64 = jreq(r, "signature_b64");
			uint8_t blob[128];
			struct note_signer s;
			struct note_key k;

			assert_string_equal(expect, "fail");
			len = (size_t)snprintf(msg, sizeof(msg),
					       "test\n1\n\n\xe2\x80\x94 w0 %s\n", b64);
			if (sodium_base642bin(blob, sizeof(blob), b64, strlen(b64),
					      NULL, &outlen, NULL,
					      sodium_base64_VARIANT_ORIGINAL) != 0) {
				/* not base64 at all: a malformed note */
				vec_rc(ERR_INVALID, note_open(n, msg, len, NULL, 0, &e),
				       &e, "%s", what);
			} else {
				/* A 68-byte plain signature under a
				 * cosignature key with its name and key ID:
				 * never a valid cosignature. The key ID is
				 * set by hand to match the line. */
				assert_int_equal(outlen, 68);
				keygen(&s, "w%d", 0);
				note_key_cosigner(&k, &s.pub);
				k.id = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 |
				       (uint32_t)blob[2] << 8 | blob[3];
				vec_rc(ERR_SIGNATURE, note_open(n, msg, len, &k, 1, &e),
				       &e, "%s", what);
				note_signer_wipe(&s);
			}
		}
		done++;
	}
	assert_int_equal(done, 8);
	free(n);
	json_decref(a);
}

/* ------------------------------------------------------------------ */
/* Our own behaviour                                                   */

static const char ctext[] = "example.org/log\n42\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

static void test_key_round_trip(void **state)
{
	struct note_signer s, s2;
	struct note_key k;
	struct note *n = malloc(sizeof(*n));
	char buf[NOTE_KEY_STR_MAX + 1], out[1024];
	struct err e = { 0 };
	size_t len = 0;

	(void)state;
	assert_non_null(n);
	for (int i = 0; i < 8; i++) {
		keygen(&s, i % 2 ? "example.org/witness-%d" : "log-\xc3\xa8-%d", i);
		assert_int_equal(s.pub.alg, NOTE_ALG_ED25519);
		assert_int_equal(s.pub.id,
				 note_key_id(s.pub.name, NOTE_ALG_ED25519, s.pub.pk));
		vec_rc(0, note_signer_encode(&s, buf, sizeof(buf), &e), &e, "encode");
		assert_memory_equal(buf, "PRIVATE+KEY+", 12);
		vec_rc(0, note_signer_parse(&s2, buf, strlen(buf), &e), &e, "%s", buf);
		/* field by field: the name buffers past the NUL are not
		 * part of the key */
		key_equal(&s2.pub, &s.pub);
		assert_memory_equal(s2.sk, s.sk, 64);
		sodium_memzero(buf, sizeof(buf));
		vec_rc(0, note_key_encode(&s.pub, buf, sizeof(buf), &e), &e, "encode");
		vec_rc(0, note_key_parse(&k, buf, strlen(buf), &e), &e, "%s", buf);
		key_equal(&k, &s.pub);
		/* the parsed signer signs what the parsed verifier accepts */
		vec_rc(0, note_sign(out, sizeof(out), &len, ctext, strlen(ctext), &s2, &e),
		       &e, "sign");
		vec_rc(0, note_open(n, out, len, &k, 1, &e), &e, "open");
		assert_int_equal(n->nverified, 1);
		assert_int_equal(n->nsigs, 1);
		assert_int_equal(n->textlen, strlen(ctext));
		assert_memory_equal(n->text, ctext, n->textlen);
		/* too small a buffer is refused, not truncated */
		vec_rc(ERR_TOOBIG, note_key_encode(&k, buf, strlen(buf), &e), &e,
		       "short buffer");
		vec_rc(ERR_TOOBIG, note_sign(out, len, &len, ctext, strlen(ctext), &s2, &e),
		       &e, "short buffer");
		note_signer_wipe(&s);
		note_signer_wipe(&s2);
	}
	/* invalid names */
	vec_rc(ERR_INVALID, note_keygen(&s, "", &e), &e, "empty name");
	vec_rc(ERR_INVALID, note_keygen(&s, "a b", &e), &e, "space");
	vec_rc(ERR_INVALID, note_keygen(&s, "a+b", &e), &e, "plus");
	vec_rc(ERR_INVALID, note_keygen(&s, "a\xff", &e), &e, "not UTF-8");
	vec_rc(ERR_INVALID, note_keygen(&s, "a\xe2\x80\x83z", &e), &e, "em space");
	free(n);
}

/* text + "\n" + one signature line per signer */
static size_t multi_sign(char *out, size_t cap, const char *t,
			 struct note_signer *s, size_t ns)
{
	struct err e = { 0 };
	size_t len = strlen(t) + 1;

	assert_true(len < cap);
	memcpy(out, t, len - 1);
	out[len - 1] = '\n';
	for (size_t i = 0; i < ns; i++)
		vec_rc(0, note_sign_line(out, cap, &len, t, strlen(t), &s[i], &e),
		       &e, "sign %zu", i);
	return len;
}

static void test_many_signatures(void **state)
{
	struct note_signer s[NOTE_MAX_SIGS + 1];
	struct note_key k[NOTE_MAX_SIGS + 1];
	struct note *n = malloc(sizeof(*n));
	char *out = malloc(NOTE_BUF);
	struct err e = { 0 };
	size_t len;

	(void)state;
	assert_non_null(n);
	assert_non_null(out);
	for (int i = 0; i <= NOTE_MAX_SIGS; i++) {
		keygen(&s[i], "witness-%d.example", i);
		k[i] = s[i].pub;
	}
	/* 16 signatures, all known (C2SP: verifiers must accept 16) */
	len = multi_sign(out, NOTE_BUF, ctext, s, 16);
	vec_rc(0, note_open(n, out, len, k, 16, &e), &e, "16 known");
	assert_int_equal(n->nverified, 16);
	assert_int_equal(n->nsigs, 16);
	for (int i = 0; i < 16; i++) {
		expect_name(&n->sigs[i], s[i].pub.name, "16 known");
		assert_ptr_equal(n->sigs[i].key, &k[i]);
	}
	/* the same with the known keys listed in reverse */
	{
		struct note_key rk[16];
		for (int i = 0; i < 16; i++)
			rk[i] = k[15 - i];
		vec_rc(0, note_open(n, out, len, rk, 16, &e), &e, "16 known, reversed");
		assert_int_equal(n->nverified, 16);
	}
	/* 16 unknown and one known, last */
	len = multi_sign(out, NOTE_BUF, ctext, s, 17);
	vec_rc(0, note_open(n, out, len, &k[16], 1, &e), &e, "16 unknown + 1");
	assert_int_equal(n->nverified, 1);
	assert_int_equal(n->nsigs, 17);
	expect_name(&n->sigs[0], s[16].pub.name, "verified first");
	for (int i = 0; i < 16; i++) {
		expect_name(&n->sigs[1 + i], s[i].pub.name, "unknown, in order");
		assert_null(n->sigs[1 + i].key);
		assert_int_equal(n->sigs[1 + i].id, s[i].pub.id);
	}
	/* 100 signatures is the limit; 101 is malformed, known keys or not */
	len = multi_sign(out, NOTE_BUF, ctext, s, NOTE_MAX_SIGS);
	vec_rc(0, note_open(n, out, len, k, 1, &e), &e, "100 signatures");
	assert_int_equal(n->nsigs, NOTE_MAX_SIGS);
	len = multi_sign(out, NOTE_BUF, ctext, s, NOTE_MAX_SIGS + 1);
	vec_rc(ERR_INVALID, note_open(n, out, len, k, NOTE_MAX_SIGS + 1, &e), &e,
	       "101 signatures");
	vec_rc(ERR_INVALID, note_open(n, out, len, NULL, 0, &e), &e,
	       "101 signatures, no keys");
	for (int i = 0; i <= NOTE_MAX_SIGS; i++)
		note_signer_wipe(&s[i]);
	free(out);
	free(n);
}

static void test_tampering(void **state)
{
	struct note_signer s;
	struct note *n = malloc(sizeof(*n));
	char out[1024], bad[1024];
	struct err e = { 0 };
	size_t len = 0, tl = strlen(ctext), flips = 0;

	(void)state;
	assert_non_null(n);
	keygen(&s, "log%d.example", 1);
	vec_rc(0, note_sign(out, sizeof(out), &len, ctext, tl, &s, &e), &e, "sign");
	vec_rc(0, note_open(n, out, len, &s.pub, 1, &e), &e, "open");
	/* Any bit of the text (and of the blank line) flipped: a bad
	 * signature or a malformed note, never a verified one. */
	for (size_t i = 0; i <= tl; i++)
		for (int b = 0; b < 8; b++) {
			int rc;
			memcpy(bad, out, len);
			bad[i] ^= (char)(1 << b);
			rc = note_open(n, bad, len, &s.pub, 1, &e);
			if (rc != ERR_SIGNATURE && rc != ERR_INVALID)
				fail_msg("text byte %zu bit %d flipped: %d (%s)", i,
					 b, rc, err_name(rc));
			flips++;
		}
	/* Any bit of the signature line flipped: never verified (the name
	 * or key ID may now be unknown). */
	for (size_t i = tl + 1; i < len; i++)
		for (int b = 0; b < 8; b++) {
			int rc;
			memcpy(bad, out, len);
			bad[i] ^= (char)(1 << b);
			rc = note_open(n, bad, len, &s.pub, 1, &e);
			if (rc == 0)
				fail_msg("signature byte %zu bit %d flipped: verified",
					 i, b);
			flips++;
		}
	printf("tampering: %zu single-bit changes refused\n", flips);
	note_signer_wipe(&s);
	free(n);
}

static void test_wrong_key_id_and_duplicates(void **state)
{
	struct note_signer s, other;
	struct note *n = malloc(sizeof(*n));
	char out[2048], line[256], b64[256];
	uint8_t blob[128];
	struct err e = { 0 };
	size_t len = 0, bl, tl = strlen(ctext), sl;
	struct note_key keys[2];

	(void)state;
	assert_non_null(n);
	keygen(&s, "log%d.example", 2);
	keygen(&other, "log%d.example", 3);
	vec_rc(0, note_sign(out, sizeof(out), &len, ctext, tl, &s, &e), &e, "sign");
	/* the same signature with its key ID changed: by a known name, but
	 * with an unknown key ID, so unknown */
	sl = len - (tl + 1) - 1; /* the line without "\n" */
	memcpy(line, out + tl + 1, sl);
	line[sl] = '\0';
	bl = unb64(blob, sizeof(blob), strchr(line + 4, ' ') + 1);
	assert_int_equal(bl, 68);
	blob[3] ^= 1;
	sodium_bin2base64(b64, sizeof(b64), blob, bl, sodium_base64_VARIANT_ORIGINAL);
	len = (size_t)snprintf(out + tl + 1, sizeof(out) - tl - 1,
			       "\xe2\x80\x94 %s %s\n", s.pub.name, b64) + tl + 1;
	vec_rc(ERR_UNVERIFIED, note_open(n, out, len, &s.pub, 1, &e), &e,
	       "known name, wrong key id");
	assert_int_equal(n->nsigs, 1);
	assert_int_equal(n->nverified, 0);
	assert_int_equal(n->sigs[0].id, s.pub.id ^ 1);
	assert_null(n->sigs[0].key);

	/* duplicate known lines count once; duplicate unknown lines too */
	memcpy(out, ctext, tl);
	out[tl] = '\n';
	len = tl + 1;
	vec_rc(0, note_sign_line(out, sizeof(out), &len, ctext, tl, &s, &e), &e, "1");
	vec_rc(0, note_sign_line(out, sizeof(out), &len, ctext, tl, &other, &e), &e, "2");
	vec_rc(0, note_sign_line(out, sizeof(out), &len, ctext, tl, &s, &e), &e, "3");
	vec_rc(0, note_sign_line(out, sizeof(out), &len, ctext, tl, &other, &e), &e, "4");
	vec_rc(0, note_open(n, out, len, &s.pub, 1, &e), &e, "duplicates");
	assert_int_equal(n->nverified, 1);
	assert_int_equal(n->nsigs, 2);
	keys[0] = s.pub;
	keys[1] = other.pub;
	vec_rc(0, note_open(n, out, len, keys, 2, &e), &e, "duplicates, both known");
	assert_int_equal(n->nverified, 2);
	assert_int_equal(n->nsigs, 2);
	/* A second, different signature by a known key after a good one is
	 * ignored, as Go's Open does: only the first is checked. */
	memcpy(out, ctext, tl);
	out[tl] = '\n';
	len = tl + 1;
	vec_rc(0, note_sign_line(out, sizeof(out), &len, ctext, tl, &s, &e), &e, "1");
	len += (size_t)snprintf(out + len, sizeof(out) - len, "\xe2\x80\x94 %s %s\n",
				s.pub.name, b64);
	blob[3] ^= 1; /* the right key ID again, garbage signature */
	blob[20] ^= 1;
	sodium_bin2base64(b64, sizeof(b64), blob, bl, sodium_base64_VARIANT_ORIGINAL);
	len += (size_t)snprintf(out + len, sizeof(out) - len, "\xe2\x80\x94 %s %s\n",
				s.pub.name, b64);
	vec_rc(0, note_open(n, out, len, &s.pub, 1, &e), &e, "second known signature");
	assert_int_equal(n->nverified, 1);
	/* but a bad one first is a bad signature */
	memcpy(out, ctext, tl);
	out[tl] = '\n';
	len = tl + 1;
	len += (size_t)snprintf(out + len, sizeof(out) - len, "\xe2\x80\x94 %s %s\n",
				s.pub.name, b64);
	vec_rc(0, note_sign_line(out, sizeof(out), &len, ctext, tl, &s, &e), &e, "2");
	vec_rc(ERR_SIGNATURE, note_open(n, out, len, &s.pub, 1, &e), &e,
	       "bad known signature first");
	note_signer_wipe(&s);
	note_signer_wipe(&other);
	free(n);
}

static void test_text_rules(void **state)
{
	static const char *const bad_utf8[] = {
		"\xff", "\xfe", "\x80", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80",
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
		"\xe2\x80", "\xc3",
		/* overlong forms of printable characters ('A', U+07FF,
		 * U+FFFF), which a decoder without the minimum check
		 * would take for plain text */
		"\xe0\x81\x81", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf",
	};
	struct note_signer s;
	struct note *n = malloc(sizeof(*n));
	char out[1024], t[256], *big;
	struct err e = { 0 };
	size_t len = 0;

	(void)state;
	assert_non_null(n);
	keygen(&s, "log%d.example", 4);
	/* note_sign wants text ending in a newline */
	vec_rc(ERR_INVALID, note_sign(out, sizeof(out), &len, "abc", 3, &s, &e), &e,
	       "no final newline");
	vec_rc(ERR_INVALID, note_sign(out, sizeof(out), &len, "", 0, &s, &e), &e,
	       "empty text");
	len = 0;
	vec_rc(ERR_INVALID, note_sign_line(out, sizeof(out), &len, "abc", 3, &s, &e),
	       &e, "sign_line, no final newline");
	vec_rc(ERR_INVALID,
	       note_cosign_line(out, sizeof(out), &len, "abc", 3, &s, 1, &e), &e,
	       "cosign_line, no final newline");
	/* control characters other than "\n" are refused by note_open,
	 * even when the signature is good */
	for (int c = 0; c < 0x20; c++) {
		if (c == '\n')
			continue;
		snprintf(t, sizeof(t), "ab%cc\n", c == 0 ? 'X' : c);
		if (c == 0)
			t[2] = '\0';
		vec_rc(0, note_sign(out, sizeof(out), &len, t, 5, &s, &e), &e,
		       "sign with 0x%02x", c);
		vec_rc(ERR_INVALID, note_open(n, out, len, &s.pub, 1, &e), &e,
		       "control character 0x%02x", c);
	}
	/* DEL and non-ASCII UTF-8 are fine (as Go's Open) */
	snprintf(t, sizeof(t), "a\x7f \xc3\xa8 \xe2\x80\x94 \xf0\x9f\x8c\xb3\n");
	vec_rc(0, note_sign(out, sizeof(out), &len, t, strlen(t), &s, &e), &e, "sign");
	vec_rc(0, note_open(n, out, len, &s.pub, 1, &e), &e, "DEL and UTF-8");
	/* invalid UTF-8 anywhere */
	for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		snprintf(t, sizeof(t), "ab%s\n", bad_utf8[i]);
		vec_rc(0, note_sign(out, sizeof(out), &len, t, strlen(t), &s, &e), &e,
		       "sign");
		vec_rc(ERR_INVALID, note_open(n, out, len, &s.pub, 1, &e), &e,
		       "invalid UTF-8 #%zu", i);
	}
	/* over NOTE_MAX_SIZE */
	big = malloc(NOTE_MAX_SIZE + 2);
	assert_non_null(big);
	memset(big, 'a', NOTE_MAX_SIZE + 1);
	big[NOTE_MAX_SIZE - 1] = '\n';
	big[NOTE_MAX_SIZE] = '\n';
	vec_rc(ERR_INVALID, note_open(n, big, NOTE_MAX_SIZE + 1, &s.pub, 1, &e), &e,
	       "%d bytes", NOTE_MAX_SIZE + 1);
	free(big);
	note_signer_wipe(&s);
	free(n);
}

static void test_cosign_round_trip(void **state)
{
	static const uint64_t times[] = { 0, 1, 1234, 1795000000,
					  UINT64_C(1) << 63, UINT64_MAX };
	struct note_signer s;
	struct note_key ck, both[2];
	struct note *n = malloc(sizeof(*n));
	char out[1024];
	struct err e = { 0 };
	size_t tl = strlen(ctext), len;

	(void)state;
	assert_non_null(n);
	keygen(&s, "witness%d.example", 5);
	note_key_cosigner(&ck, &s.pub);
	assert_int_equal(ck.alg, NOTE_ALG_COSIGNATURE);
	assert_string_equal(ck.name, s.pub.name);
	assert_memory_equal(ck.pk, s.pub.pk, 32);
	assert_int_not_equal(ck.id, s.pub.id);
	both[0] = s.pub;
	note_key_cosigner(&both[0], &both[0]); /* in place */
	key_equal(&both[0], &ck);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		memcpy(out, ctext, tl);
		out[tl] = '\n';
		len = tl + 1;
		vec_rc(0, note_cosign_line(out, sizeof(out), &len, ctext, tl, &s,
					   times[i], &e),
		       &e, "cosign at %" PRIu64, times[i]);
		vec_rc(0, note_open(n, out, len, &ck, 1, &e), &e, "open at %" PRIu64,
		       times[i]);
		assert_int_equal(n->nverified, 1);
		assert_int_equal(n->sigs[0].time, times[i]);
		assert_int_equal(n->sigs[0].id, ck.id);
		/* the plain Ed25519 key of the same party has another key
		 * ID: the cosignature is unknown to it */
		vec_rc(ERR_UNVERIFIED, note_open(n, out, len, &s.pub, 1, &e), &e,
		       "cosignature with the Ed25519 key");
		assert_int_equal(n->nsigs, 1);
		assert_int_equal(n->sigs[0].id, ck.id);
		/* with both keys, the cosigner key verifies it */
		both[0] = s.pub;
		both[1] = ck;
		vec_rc(0, note_open(n, out, len, both, 2, &e), &e, "both keys");
		assert_int_equal(n->nverified, 1);
		assert_ptr_equal(n->sigs[0].key, &both[1]);
		assert_int_equal(n->sigs[0].time, times[i]);
	}
	/* A cosignature blob must be exactly key ID + time + signature
	 * (76 bytes): a good one with one byte appended fails, and so does
	 * one cut short. */
	for (int extra = -1; extra <= 1; extra += 2) {
		uint8_t blob[128];
		char b64[256], *sp;
		size_t bl;

		memcpy(out, ctext, tl);
		out[tl] = '\n';
		len = tl + 1;
		vec_rc(0, note_cosign_line(out, sizeof(out), &len, ctext, tl, &s, 99,
					   &e),
		       &e, "cosign");
		out[len - 1] = '\0';
		sp = strchr(out + tl + 1 + 4, ' ');
		assert_non_null(sp);
		bl = unb64(blob, sizeof(blob), sp + 1);
		assert_int_equal(bl, 76);
		blob[76] = 0;
		sodium_bin2base64(b64, sizeof(b64), blob, (size_t)((int)bl + extra),
				  sodium_base64_VARIANT_ORIGINAL);
		len = (size_t)(sp + 1 - out);
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s\n", b64);
		vec_rc(ERR_SIGNATURE, note_open(n, out, len, &ck, 1, &e), &e,
		       "cosignature of %d bytes", 76 + extra);
	}
	/* and the other way round: a plain signature is unknown to the
	 * cosigner key */
	vec_rc(0, note_sign(out, sizeof(out), &len, ctext, tl, &s, &e), &e, "sign");
	vec_rc(ERR_UNVERIFIED, note_open(n, out, len, &ck, 1, &e), &e,
	       "Ed25519 signature with the cosigner key");
	/* a cosignature over other text does not verify */
	{
		char other[256];
		size_t ol;
		snprintf(other, sizeof(other), "%s", ctext);
		other[strlen("example.org/log\n4")] = '3';
		ol = strlen(other);
		memcpy(out, other, ol);
		out[ol] = '\n';
		len = ol + 1;
		vec_rc(0, note_cosign_line(out, sizeof(out), &len, ctext, tl, &s, 7, &e),
		       &e, "cosign");
		vec_rc(ERR_SIGNATURE, note_open(n, out, len, &ck, 1, &e), &e,
		       "cosignature over another checkpoint");
	}
	note_signer_wipe(&s);
	free(n);
}

/* libsodium 1.0.18 decodes bytes >= 0x80 as '/'; found by fuzz_note,
 * fuzz_checkpoint and fuzz_key. Non-canonical text must not parse. */
static void test_base64_high_bytes_rejected(void **state)
{
	char cp[64], key[128];
	struct checkpoint c;
	struct note_key k;
	struct err e = { 0 };
	size_t n = 0;

	(void)state;
	memcpy(cp + n, "o\n0\n", 4);
	n += 4;
	memset(cp + n, 'A', 10);
	n += 10;
	cp[n++] = (char)0xff;
	memset(cp + n, 'A', 32);
	n += 32;
	memcpy(cp + n, "=\n", 2);
	n += 2;
	assert_int_equal(checkpoint_parse(&c, cp, n, &e), ERR_INVALID);
	cp[14] = '/';
	assert_int_equal(checkpoint_parse(&c, cp, n, &e), 0);

	snprintf(key, sizeof(key), "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq%cLDE4izWy10TW",
		 (char)0xff);
	assert_int_equal(note_key_parse(&k, key, strlen(key), &e), ERR_INVALID);
	key[strlen("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq")] = '/';
	assert_int_equal(note_key_parse(&k, key, strlen(key), &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_high_bytes_rejected),
		cmocka_unit_test(test_keys_vectors),
		cmocka_unit_test(test_keys_mangled),
		cmocka_unit_test(test_notes_vectors),
		cmocka_unit_test(test_checkpoint_vectors),
		cmocka_unit_test(test_checkpoint_edges),
		cmocka_unit_test(test_cosignature_vectors),
		cmocka_unit_test(test_key_round_trip),
		cmocka_unit_test(test_many_signatures),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_wrong_key_id_and_duplicates),
		cmocka_unit_test(test_text_rules),
		cmocka_unit_test(test_cosign_round_trip),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("note", tests, NULL, NULL);
}
