/* node.c — a party's node: init/open, sending, batches, receiving with
 * cosignature, receipts, and whole-store verification. See node.h. */
#include "node/node.h"
#include "node/cases.h"

#include "core/charter.h"
#include "core/keyann.h"
#include "core/register.h"
#include "node/keyfile.h"
#include "util/bytes.h"
#include "net/tls.h"
#include "util/fsio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define KEY_FILE_MAX 1024

static int64_t wall_clock(void)
{
	return (int64_t)time(NULL);
}

/* Resolves the store URL of a config relative to dir into out. */
static int store_url(char *out, size_t cap, const char *dir, const char *url,
		     struct err *e)
{
	const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
	int n;

	if (strstr(url, "://") || path[0] == '/')
		n = snprintf(out, cap, "%s", url);
	else
		n = snprintf(out, cap, "sqlite:%s/%s", dir, path);
	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ERR_TOOBIG, "store path too long");
	return 0;
}

int node_init(const char *dir, const char *name, const char *listen,
	      const char *endpoint, struct err *e)
{
	return node_init_store(dir, name, listen, endpoint, NULL, NULL, e);
}

int node_init_store(const char *dir, const char *name, const char *listen,
		    const char *endpoint, const char *operator_listen, const char *store,
		    struct err *e)
{
	/* All defaults: the operator API on loopback beside the peer port. A
	 * node given its own --listen gets no guessed port: it names one. */
	if (!listen && !operator_listen)
		operator_listen = CONFIG_OPERATOR_LISTEN_DEFAULT;
	char conf_path[1100], key_path[1100], url[2200], db_path[2200];
	char keystr[NOTE_KEY_STR_MAX + 2], buf[CONFIG_MAX];
	struct note_signer key;
	struct config cfg;
	struct store *st = NULL;
	struct store_party self;
	size_t len;
	int rc, made_key = 0, made_dir = 0;

	memset(&key, 0, sizeof(key));
	if (!envelope_name_valid(name, strlen(name)))
		return err_set(e, ERR_INVALID,
			       "name '%s' is not valid: use 1-128 of a-z 0-9 . - (e.g. cert.example.org)",
			       name);
	if (mkdir(dir, 0700) == 0)
		made_dir = 1;
	else if (errno != EEXIST)
		return err_set(e, ERR_IO, "%s: cannot create: %s", dir,
			       strerror(errno));
	if ((rc = fsio_join(conf_path, sizeof(conf_path), dir, NODE_CONF, e)) < 0 ||
	    (rc = fsio_join(key_path, sizeof(key_path), dir, NODE_KEY, e)) < 0)
		goto out;
	if (access(conf_path, F_OK) == 0) {
		rc = err_set(e, ERR_EXISTS, "%s already holds a parley node (%s)",
			     dir, conf_path);
		goto out;
	}
	/* The configuration is checked by the parser that will read it. */
	{
		char text[1600];
		int tn = snprintf(text, sizeof(text), "name = %s\n%s%s%s%s%s%s%s%s%s%s%s%s", name,
				  listen ? "listen = " : "", listen ? listen : "", listen ? "\n" : "",
				  endpoint ? "endpoint = " : "", endpoint ? endpoint : "",
				  endpoint ? "\n" : "",
				  operator_listen ? "operator_listen = " : "",
				  operator_listen ? operator_listen : "", operator_listen ? "\n" : "",
				  store ? "store = " : "", store ? store : "", store ? "\n" : "");
		if (tn < 0 || (size_t)tn >= sizeof(text)) {
			rc = err_set(e, ERR_INVALID, "listen, endpoint or store too long");
			goto out;
		}
		if ((rc = config_parse(&cfg, text, (size_t)tn, "parley init", e)) < 0)
			goto out;
	}
	if ((rc = store_url(url, sizeof(url), dir, cfg.store, e)) < 0)
		goto out;
	/* A SQLite file is ours to create; a database server's store must not
	 * hold a party already (checked once it is open). */
	snprintf(db_path, sizeof(db_path), "%s", strncmp(url, "sqlite:", 7) == 0 ? url + 7 : "");
	if (db_path[0] && access(db_path, F_OK) == 0) {
		rc = err_set(e, ERR_EXISTS, "%s already exists; not overwriting it",
			     db_path);
		goto out;
	}

	if ((rc = note_keygen(&key, name, e)) < 0 ||
	    (rc = note_signer_encode(&key, keystr, sizeof(keystr) - 1, e)) < 0)
		goto out;
	len = strlen(keystr);
	keystr[len++] = '\n';
	rc = fsio_create(key_path, 0600, keystr, len, e);
	sodium_memzero(keystr, sizeof(keystr));
	if (rc < 0)
		goto out;
	made_key = 1;
	{
		uint8_t dk[32];
		char dpath[1100];
		randombytes_buf(dk, sizeof(dk));
		rc = fsio_join(dpath, sizeof(dpath), dir, NODE_DATA_KEY, e);
		if (rc == 0)
			rc = fsio_create(dpath, 0600, dk, sizeof(dk), e);
		sodium_memzero(dk, sizeof(dk));
		if (rc < 0)
			goto out;
	}
	if ((rc = tls_identity_create(dir, name, e)) < 0)
		goto out;

	if ((rc = store_open(&st, url, e)) < 0)
		goto out;
	if (store_party_self(st, &self, e) == 0) {
		rc = err_set(e, ERR_EXISTS, "the store %s already holds the party '%s'; not overwriting it",
			     cfg.store, self.name);
		goto out;
	}
	memset(&self, 0, sizeof(self));
	snprintf(self.name, sizeof(self.name), "%s", name);
	self.self = 1;
	if ((rc = note_key_encode(&key.pub, self.vkey, sizeof(self.vkey), e)) < 0 ||
	    (rc = store_party_put(st, &self, e)) < 0)
		goto out;
	/* A store URL may carry a password: then only we may read the file. */
	if ((rc = config_format(&cfg, buf, sizeof(buf), &len, e)) < 0 ||
	    (rc = fsio_create(conf_path, strchr(cfg.store, '@') ? 0600 : 0644, buf, len, e)) < 0)
		goto out;
	rc = 0;
out:
	store_close(st);
	note_signer_wipe(&key);
	if (rc < 0) {
		if (made_key) {
			char p[2300];
			unlink(key_path);
			snprintf(p, sizeof(p), "%s/%s", dir, TLS_KEY_FILE);
			unlink(p);
			snprintf(p, sizeof(p), "%s/%s", dir, NODE_DATA_KEY);
			unlink(p);
			snprintf(p, sizeof(p), "%s/%s", dir, TLS_CERT_FILE);
			unlink(p);
			if (db_path[0]) { /* a SQLite file we made */
				unlink(db_path);
				snprintf(p, sizeof(p), "%s-wal", db_path);
				unlink(p);
				snprintf(p, sizeof(p), "%s-shm", db_path);
				unlink(p);
			}
		}
		if (made_dir)
			rmdir(dir);
	}
	return rc;
}

/* dir/name into path, refusing a file others may read or write. */
static int secret_path(const char *dir, const char *name, char *path, size_t cap,
		       struct err *e)
{
	struct stat st;
	int rc;

	if ((rc = fsio_join(path, cap, dir, name, e)) < 0)
		return rc;
	if (lstat(path, &st) == 0 && (st.st_mode & 077))
		return err_set(e, ERR_IO,
			       "%s is readable or writable by others (mode %03o): run chmod 600 %s",
			       path, (unsigned)(st.st_mode & 0777), path);
	return 0;
}

static int load_key(struct node *n, struct err *e)
{
	char path[1100], *buf = NULL;
	size_t len;
	int rc;

	if ((rc = secret_path(n->dir, NODE_KEY, path, sizeof(path), e)) < 0 ||
	    (rc = fsio_read(path, KEY_FILE_MAX, &buf, &len, e)) < 0)
		return rc;
	if (keyfile_is_sealed(buf, len)) {
		char pass[KEYFILE_PASS_MAX], signer[NOTE_KEY_STR_MAX + 1], why[1200];
		size_t plen;
		snprintf(why, sizeof(why), "the identity key in %s", n->dir);
		rc = keyfile_passphrase(pass, sizeof(pass), &plen, why, 0, e);
		if (rc == 0)
			rc = keyfile_open(buf, len, pass, plen, signer, sizeof(signer), e);
		if (rc == 0 && (rc = note_signer_parse(&n->key, signer, strlen(signer), e)) == 0)
			keyfile_remember(pass, plen);
		sodium_memzero(pass, sizeof(pass));
		sodium_memzero(signer, sizeof(signer));
	} else {
		if (len && buf[len - 1] == '\n')
			len--;
		rc = note_signer_parse(&n->key, buf, len, e);
	}
	sodium_memzero(buf, len);
	free(buf);
	if (rc < 0)
		return err_wrap(e, "%s", path);
	return 0;
}

/* ERR_CONFLICT naming parley key rotate while identity.key.next exists
 * (node_key_rotate: a rotation was interrupted). */
static int rotation_pending(const char *dir, struct err *e)
{
	char path[1100];
	int rc;

	if ((rc = fsio_join(path, sizeof(path), dir, NODE_KEY_NEXT, e)) < 0)
		return rc;
	if (access(path, F_OK) == 0)
		return err_set(e, ERR_CONFLICT,
			       "a key rotation in %s was interrupted (%s exists): run parley key rotate --dir %s to finish it",
			       dir, path, dir);
	return 0;
}

int node_key_protect(const char *dir, int protect, const char *given, size_t glen,
		     struct err *e)
{
	char path[1100], *buf = NULL, *sealed = NULL, why[1200];
	char pass[KEYFILE_PASS_MAX], signer[NOTE_KEY_STR_MAX + 2];
	size_t len, plen, slen;
	int rc;

	/* Sealing one key of a rotation and not the other would leave the
	 * finished rotation's key in the state the other one was. */
	if ((rc = rotation_pending(dir, e)) < 0 ||
	    (rc = secret_path(dir, NODE_KEY, path, sizeof(path), e)) < 0 ||
	    (rc = fsio_read(path, KEY_FILE_MAX, &buf, &len, e)) < 0)
		return rc;
	snprintf(why, sizeof(why), "the identity key in %s", dir);
	if (keyfile_is_sealed(buf, len) == protect) {
		rc = err_set(e, ERR_CONFLICT, "%s is %s protected by a passphrase", path,
			     protect ? "already" : "not");
	} else if (given && glen < sizeof(pass)) {
		memcpy(pass, given, glen);
		plen = glen;
	} else if ((rc = keyfile_passphrase(pass, sizeof(pass), &plen, why, protect, e)) < 0) {
		goto out;
	}
	if (rc == 0) {
		if (protect) {
			struct note_signer check;
			slen = len && buf[len - 1] == '\n' ? len - 1 : len;
			/* Only a key that parses is sealed. */
			if ((rc = note_signer_parse(&check, buf, slen, e)) == 0 &&
			    (rc = keyfile_seal(buf, slen, pass, plen, &sealed, &slen, e)) == 0)
				rc = fsio_replace(path, 0600, sealed, slen, e);
			note_signer_wipe(&check);
		} else if ((rc = keyfile_open(buf, len, pass, plen, signer, sizeof(signer) - 1, e)) == 0) {
			slen = strlen(signer);
			signer[slen++] = '\n';
			rc = fsio_replace(path, 0600, signer, slen, e);
		}
	}
out:
	sodium_memzero(pass, sizeof(pass));
	sodium_memzero(signer, sizeof(signer));
	sodium_memzero(buf, len);
	free(buf);
	free(sealed);
	return rc < 0 ? err_wrap(e, "%s", path) : 0;
}

/* Reads the 32-byte data key and gives it to the store. */
static int load_data_key(struct node *n, struct err *e)
{
	char path[1100], *buf = NULL;
	size_t len;
	int rc;

	if ((rc = secret_path(n->dir, NODE_DATA_KEY, path, sizeof(path), e)) < 0 ||
	    (rc = fsio_read(path, 64, &buf, &len, e)) < 0)
		return rc;
	if (len != 32)
		rc = err_set(e, ERR_INVALID, "%s: a data key is 32 bytes, this file has %zu", path, len);
	else
		store_set_key(n->store, (const uint8_t *)buf);
	sodium_memzero(buf, len);
	free(buf);
	return rc;
}

/* Finds the TLS certificate and key and computes our pin. */
static int load_tls(struct node *n, struct err *e)
{
	char *buf = NULL;
	size_t len;
	int rc;

	if ((rc = fsio_join(n->tls_cert, sizeof(n->tls_cert), n->dir, TLS_CERT_FILE, e)) < 0 ||
	    (rc = secret_path(n->dir, TLS_KEY_FILE, n->tls_key, sizeof(n->tls_key), e)) < 0)
		return rc;
	if ((rc = fsio_read(n->tls_cert, 65536, &buf, &len, e)) < 0)
		return rc;
	rc = tls_pin_cert(buf, len, 1, n->tls_pin, e);
	free(buf);
	return rc;
}

/* node_open; rotating: for node_key_rotate, which finishes an interrupted
 * rotation (identity.key.next present) and checks the store's key itself. */
static int open_node(struct node **out, const char *dir, int rotating, struct err *e)
{
	struct node *n = calloc(1, sizeof(*n));
	char path[1100], url[2200], *buf = NULL, vkey[NOTE_KEY_STR_MAX];
	struct store_party self;
	size_t len;
	int rc;

	*out = NULL;
	if (!n)
		return err_set(e, ERR_NOMEM, "out of memory");
	n->now = wall_clock;
	if (snprintf(n->dir, sizeof(n->dir), "%s", dir) >= (int)sizeof(n->dir)) {
		rc = err_set(e, ERR_TOOBIG, "directory name too long");
		goto out;
	}
	if ((rc = fsio_join(path, sizeof(path), dir, NODE_CONF, e)) < 0)
		goto out;
	if ((rc = fsio_read(path, CONFIG_MAX, &buf, &len, e)) < 0) {
		if (rc == ERR_NOTFOUND)
			err_set(e, ERR_NOTFOUND,
				"%s: no parley node here (run parley init --name NAME --dir %s)",
				dir, dir);
		goto out;
	}
	if ((rc = config_parse(&n->cfg, buf, len, path, e)) < 0)
		goto out;
	if ((!rotating && (rc = rotation_pending(dir, e)) < 0) || (rc = load_key(n, e)) < 0)
		goto out;
	if ((rc = load_tls(n, e)) < 0)
		goto out;
	if (strcmp(n->key.pub.name, n->cfg.name) != 0) {
		rc = err_set(e, ERR_INVALID,
			     "%s names '%s' but the identity key is for '%s'",
			     path, n->cfg.name, n->key.pub.name);
		goto out;
	}
	if ((rc = store_url(url, sizeof(url), dir, n->cfg.store, e)) < 0 ||
	    (rc = store_open(&n->store, url, e)) < 0 ||
	    (rc = load_data_key(n, e)) < 0 ||
	    (rc = store_party_self(n->store, &self, e)) < 0 ||
	    (rc = note_key_encode(&n->key.pub, vkey, sizeof(vkey), e)) < 0)
		goto out;
	if (strcmp(self.name, n->cfg.name) != 0 || (!rotating && strcmp(self.vkey, vkey) != 0)) {
		rc = err_set(e, ERR_INVALID,
			     "the store belongs to '%s', not to this identity key",
			     self.name);
		goto out;
	}
	*out = n;
	n = NULL;
out:
	free(buf);
	node_close(n);
	return rc;
}

int node_open(struct node **out, const char *dir, struct err *e)
{
	return open_node(out, dir, 0, e);
}

/* Our key in memory must be the one the store names: after parley key
 * rotate, a process started before it must not sign with the old key. */
static int key_current(struct node *n, struct err *e)
{
	struct store_party self;
	char vkey[NOTE_KEY_STR_MAX];
	int rc;

	if ((rc = store_party_self(n->store, &self, e)) < 0 ||
	    (rc = note_key_encode(&n->key.pub, vkey, sizeof(vkey), e)) < 0)
		return rc;
	if (strcmp(self.vkey, vkey) != 0)
		return err_set(e, ERR_CONFLICT,
			       "the identity key of %s was rotated since this process started: restart it",
			       n->cfg.name);
	return 0;
}

void node_close(struct node *n)
{
	if (!n)
		return;
	channel_cache_free(n);
	store_close(n->store);
	note_signer_wipe(&n->key);
	free(n);
}

int node_identity(const struct node *n, char *buf, size_t cap, struct err *e)
{
	char vkey[NOTE_KEY_STR_MAX];
	int rc, len;

	if ((rc = note_key_encode(&n->key.pub, vkey, sizeof(vkey), e)) < 0)
		return rc;
	len = snprintf(buf, cap, "%s %s %s", vkey, n->tls_pin, n->cfg.endpoint);
	if (len < 0 || (size_t)len >= cap)
		return err_set(e, ERR_TOOBIG, "identity line too long");
	return 0;
}

/* A peer that rotated its key (key entries in its log to us) changes key
 * only by its next announcement: an identity line must not take it back
 * to an old key, nor jump to one the log never announced. */
static int peer_key_unchanged(struct node *n, const struct store_party *p, struct err *e)
{
	struct store_party held;
	struct keyann_chain *c;
	int rc = store_party_get(n->store, p->name, &held, e);

	if (rc == ERR_NOTFOUND || (rc == 0 && strcmp(held.vkey, p->vkey) == 0))
		return 0;
	if (rc < 0)
		return rc;
	if (!(c = malloc(sizeof(*c))))
		return err_set(e, ERR_NOMEM, "out of memory");
	if ((rc = node_key_chain(n, p->name, n->cfg.name, c, e)) == 0 && c->n > 1)
		rc = err_set(e, ERR_CONFLICT,
			     "%s changes its key by key entries in its log (parley key rotate); the key held,"
			     " %s, is the last it announced", p->name, held.vkey);
	free(c);
	return rc;
}

int node_peer_add(struct node *n, const char *line, struct err *e)
{
	struct store_party p;
	struct note_key k;
	const char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	size_t pinlen;
	int rc;

	if (!sp1 || !sp2 || strchr(sp2 + 1, ' '))
		return err_set(e, ERR_INVALID,
			       "a peer line is VERIFIER-KEY TLS-PIN ENDPOINT (the output of parley identity)");
	if ((rc = note_key_parse(&k, line, (size_t)(sp1 - line), e)) < 0)
		return rc;
	if (k.alg != NOTE_ALG_ED25519)
		return err_set(e, ERR_INVALID, "peer key must be an Ed25519 signing key");
	if (!envelope_name_valid(k.name, strlen(k.name)))
		return err_set(e, ERR_INVALID,
			       "peer name '%s' is not a valid party name", k.name);
	if (strcmp(k.name, n->cfg.name) == 0)
		return err_set(e, ERR_INVALID, "'%s' is this node's own name", k.name);
	memset(&p, 0, sizeof(p));
	memcpy(p.name, k.name, strlen(k.name)); /* <= 128: checked above */
	pinlen = (size_t)(sp2 - sp1 - 1);
	if (pinlen > STORE_PIN_MAX)
		return err_set(e, ERR_INVALID, "TLS pin is too long");
	memcpy(p.pin, sp1 + 1, pinlen);
	if (!tls_pin_valid(p.pin))
		return err_set(e, ERR_INVALID,
			       "TLS pin '%s' is not sha256// and the base64 of 32 bytes", p.pin);
	if (strlen(sp2 + 1) > STORE_ENDPOINT_MAX || strncmp(sp2 + 1, "https://", 8) != 0 ||
	    strlen(sp2 + 1) < 9)
		return err_set(e, ERR_INVALID, "endpoint must be https://HOST:PORT");
	snprintf(p.endpoint, sizeof(p.endpoint), "%s", sp2 + 1);
	if ((rc = note_key_encode(&k, p.vkey, sizeof(p.vkey), e)) < 0 ||
	    (rc = peer_key_unchanged(n, &p, e)) < 0)
		return rc;
	return store_party_put(n->store, &p, e);
}

/* The log from->to; one that does not exist yet comes back empty (id 0)
 * and is created by the first append that stores something. */
static int log_for(struct node *n, const char *from, const char *to, struct store_log *log,
		   struct err *e)
{
	int rc = store_log_get(n->store, from, to, 0, log, e);

	if (rc != ERR_NOTFOUND)
		return rc;
	snprintf(log->sender, sizeof(log->sender), "%s", from);
	snprintf(log->receiver, sizeof(log->receiver), "%s", to);
	log->id = 0;
	log->size = 0;
	return 0;
}

/* The verifier key of a known party. */
static int party_key(struct node *n, const char *name, struct note_key *k,
		     struct err *e)
{
	struct store_party p;
	int rc;

	if ((rc = store_party_get(n->store, name, &p, e)) < 0)
		return rc;
	return note_key_parse(k, p.vkey, strlen(p.vkey), e);
}

/* One attempt: envelopes numbered from the log's size as read now; party
 * (may be NULL) is stored in the same transaction. */
static int send_once(struct node *n, const char *peer, const struct node_msg *msgs,
		     size_t count, const struct store_party *party, uint64_t *size_used,
		     uint64_t *first, struct err *e)
{
	struct store_party p;
	struct store_entry *entries = NULL;
	char *arena = NULL; /* the envelopes, packed */
	size_t used = 0;
	struct store_log log;
	struct store_batch b;
	int rc;

	if (count == 0 || count > NODE_SEND_MAX)
		return err_set(e, ERR_INVALID, "send 1 to %d messages at a time",
			       NODE_SEND_MAX);
	if ((rc = store_party_get(n->store, peer, &p, e)) < 0 ||
	    (rc = log_for(n, n->cfg.name, peer, &log, e)) < 0)
		return rc;
	*size_used = log.size;
	entries = calloc(count, sizeof(*entries));
	arena = malloc(count * 320 + ENVELOPE_MAX); /* most are under 320 bytes */
	if (!entries || !arena) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0, cap = count * 320 + ENVELOPE_MAX; i < count; i++) {
		struct envelope env;

		if (cap - used < ENVELOPE_MAX) {
			char *na = realloc(arena, cap * 2);
			if (!na) {
				rc = err_set(e, ERR_NOMEM, "out of memory");
				goto out;
			}
			arena = na;
			cap *= 2;
		}
		memset(&env, 0, sizeof(env));
		snprintf(env.from, sizeof(env.from), "%s", n->cfg.name);
		snprintf(env.to, sizeof(env.to), "%s", peer);
		env.index = log.size + i;
		env.time = n->now();
		snprintf(env.case_from, sizeof(env.case_from), "%s",
			 msgs[i].case_from ? msgs[i].case_from : n->cfg.name);
		env.case_index = msgs[i].case_from ? msgs[i].case_index : env.index;
		env.kind = msgs[i].kind;
		if (snprintf(env.type, sizeof(env.type), "%s", msgs[i].type) >=
		    (int)sizeof(env.type)) {
			rc = err_set(e, ERR_INVALID, "message %zu: type too long", i);
			goto out;
		}
		merkle_sha256(env.body, msgs[i].body ? msgs[i].body : "",
			      msgs[i].body_len);
		if ((rc = envelope_encode(&env, arena + used, ENVELOPE_MAX,
					  &entries[i].len, e)) < 0) {
			err_wrap(e, "message %zu", i);
			goto out;
		}
		used += entries[i].len;
		entries[i].body = msgs[i].body ? msgs[i].body : "";
		entries[i].body_len = msgs[i].body_len;
	}
	/* Point into the arena now that it no longer moves. */
	used = 0;
	for (size_t i = 0; i < count; i++) {
		entries[i].envelope = arena + used;
		used += entries[i].len;
	}
	memset(&b, 0, sizeof(b));
	b.entries = entries;
	b.n = count;
	b.party = party;
	for (size_t i = 0; i < count; i++)
		b.nblobs += msgs[i].nattachments;
	if (b.nblobs) {
		struct store_blob *all = calloc(b.nblobs, sizeof(*all));
		size_t k = 0;
		if (!all) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < count; i++)
			for (size_t j = 0; j < msgs[i].nattachments; j++)
				all[k++] = msgs[i].attachments[j];
		b.blobs = all;
	}
	rc = store_append(n->store, &log, &b, NULL, e);
	free((void *)(uintptr_t)b.blobs);
	if (rc < 0)
		goto out;
	if (first)
		*first = log.size;
out:
	free(entries);
	free(arena);
	return rc;
}

static int send_with(struct node *n, const char *peer, const struct node_msg *msgs,
		     size_t count, const struct store_party *party, uint64_t *first, struct err *e)
{
	struct store_log log;
	uint64_t used = 0;
	int rc;

	/* Several frontends on one database (PostgreSQL) may append to our
	 * log at once: the store refuses envelopes numbered from a size that
	 * has moved on, and we number them again. */
	for (int attempt = 0;; attempt++) {
		rc = send_once(n, peer, msgs, count, party, &used, first, e);
		if (rc != ERR_CONFLICT || attempt == 16 ||
		    store_log_get(n->store, n->cfg.name, peer, 0, &log, e) < 0 || log.size == used)
			return rc;
	}
}

int node_send(struct node *n, const char *peer, const struct node_msg *msgs,
	      size_t count, uint64_t *first, struct err *e)
{
	return send_with(n, peer, msgs, count, NULL, first, e);
}

/* Signs our checkpoint of log at size; *note malloc'd. keep: store it
 * now; else (node_batch_post) it is stored with the receipt that cosigns
 * it (node_receipt_add), in one commit: until then only the peer holds
 * it, and re-signing the same size gives the same note, so nothing is
 * lost by a crash in between. */
static int checkpoint_at(struct node *n, const struct store_log *log,
			 uint64_t size, int keep, char **note, size_t *len, struct err *e)
{
	struct checkpoint cp;
	struct store_batch b;
	char text[512], *out = NULL;
	size_t tlen, olen = 0;
	int rc;

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "%s", log->origin);
	cp.size = size;
	if ((rc = store_root(n->store, log->id, size, cp.root, e)) < 0 ||
	    (rc = checkpoint_encode(&cp, text, sizeof(text), &tlen, e)) < 0)
		return rc;
	if (!(out = malloc(1024)))
		return err_set(e, ERR_NOMEM, "out of memory");
	/* Ed25519 is deterministic: the same text gives the same note, so
	 * re-signing a size we signed before changes nothing. */
	if ((rc = note_sign(out, 1024, &olen, text, tlen, &n->key, e)) < 0)
		goto out;
	if (keep) {
		memset(&b, 0, sizeof(b));
		b.cp_size = size;
		b.cp_root = cp.root;
		b.cp_note = out;
		b.cp_note_len = olen;
		if ((rc = store_append(n->store, log, &b, NULL, e)) < 0)
			goto out;
	}
	*note = out;
	*len = olen;
	out = NULL;
out:
	free(out);
	return rc;
}

void node_batch_free(struct node_batch *b)
{
	if (!b)
		return;
	if (b->buf) { /* one allocation holds them all (wire_batch_unpack) */
		free(b->buf);
		free(b->entries);
		free(b->blobs);
		memset(b, 0, sizeof(*b));
		return;
	}
	for (size_t i = 0; b->entries && i < b->n; i++) {
		/* The batch owns what its const entries point to. */
		free((void *)(uintptr_t)b->entries[i].envelope);
		free((void *)(uintptr_t)b->entries[i].body);
	}
	free(b->entries);
	free(b->note);
	for (size_t i = 0; b->blobs && i < b->nblobs; i++)
		free((void *)(uintptr_t)b->blobs[i].data);
	free(b->blobs);
	memset(b, 0, sizeof(*b));
}

/* Adds the attachments entry en's body names to the batch (once each). */
static int add_attachments(struct node *n, struct node_batch *b, const struct store_entry *en,
			   size_t *bytes, struct err *e)
{
	uint8_t refs[CHARTER_MAX_ATTACHMENTS][32];
	size_t nrefs;
	int rc;

	if (charter_body_attachments(en->body, en->body_len, refs, CHARTER_MAX_ATTACHMENTS,
				     &nrefs, e) < 0)
		return 0; /* not a case body with attachments */
	for (size_t r = 0; r < nrefs; r++) {
		struct store_blob *nb;
		void *data;
		size_t len;
		int dup = 0;

		for (size_t k = 0; k < b->nblobs && !dup; k++) {
			uint8_t h[32];
			merkle_sha256(h, b->blobs[k].data, b->blobs[k].len);
			dup = memcmp(h, refs[r], 32) == 0;
		}
		if (dup)
			continue;
		if ((rc = store_body_get(n->store, refs[r], &data, &len, e)) < 0)
			return err_wrap(e, "an attachment of entry");
		if (!(nb = realloc(b->blobs, (b->nblobs + 1) * sizeof(*nb)))) {
			free(data);
			return err_set(e, ERR_NOMEM, "out of memory");
		}
		b->blobs = nb;
		b->blobs[b->nblobs++] = (struct store_blob){ data, len };
		*bytes += len;
	}
	return 0;
}

/* Fills a batch from store_read_from until it holds the entries up to
 * end or NODE_BATCH_BYTES. */
struct batch_fill {
	struct node *n;
	struct node_batch *b;
	uint64_t end;
	size_t bytes;
	struct err *e;
};

static int batch_fill_fn(void *ctx, uint64_t index, const char *env, size_t len, void *body,
			 size_t body_len)
{
	struct batch_fill *bf = ctx;
	struct store_entry *en = &bf->b->entries[bf->b->n];
	char *copy;

	if (index >= bf->end || (bf->b->n > 0 && bf->bytes > NODE_BATCH_BYTES)) {
		free(body);
		return 1; /* enough */
	}
	if (!(copy = malloc(len + 1))) {
		free(body);
		return err_set(bf->e, ERR_NOMEM, "out of memory");
	}
	memcpy(copy, env, len);
	copy[len] = '\0';
	*en = (struct store_entry){ copy, len, body, body_len };
	bf->b->n++;
	bf->bytes += len + body_len;
	return body ? add_attachments(bf->n, bf->b, en, &bf->bytes, bf->e) : 0;
}

static int batch_make(struct node *n, const char *peer, uint64_t first, size_t max,
		      int keep, struct node_batch *b, struct err *e)
{
	struct store_log log;
	uint64_t end;
	int rc, own = 0;

	memset(b, 0, sizeof(*b));
	if ((rc = key_current(n, e)) < 0 ||
	    (rc = store_log_get(n->store, n->cfg.name, peer, 0, &log, e)) < 0)
		return rc;
	if (first > log.size)
		return err_set(e, ERR_INVALID,
			       "%s has %" PRIu64 " entries; cannot start a batch at %" PRIu64,
			       log.origin, log.size, first);
	if (max > NODE_BATCH_MAX)
		max = NODE_BATCH_MAX;
	end = log.size - first > max ? first + max : log.size;
	snprintf(b->origin, sizeof(b->origin), "%s", log.origin);
	b->first = first;
	if (end > first && !(b->entries = calloc(end - first, sizeof(*b->entries)))) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* The batch's entries, bodies and attachments in one read (one lock
	 * instead of one per statement); ended before the checkpoint's write. */
	if ((rc = store_read_begin(n->store, &own, e)) < 0)
		goto out;
	{
		struct batch_fill bf = { n, b, end, 0, e };
		if ((rc = store_read_from(n->store, log.id, first, batch_fill_fn, &bf, e)) < 0)
			goto out;
		if (b->n != end - first && bf.bytes <= NODE_BATCH_BYTES) {
			rc = err_set(e, ERR_STORE, "%s: entry %" PRIu64 " is missing", log.origin,
				     first + b->n);
			goto out;
		}
		end = first + b->n; /* the rest, if any, goes in the next batch */
	}
	if ((rc = store_read_end(n->store, own, e)) < 0)
		goto out;
	own = 0;
	rc = checkpoint_at(n, &log, end, keep, &b->note, &b->note_len, e);
out:
	if (own)
		store_read_end(n->store, own, &(struct err){ 0 });
	if (rc < 0)
		node_batch_free(b);
	return rc;
}

int node_batch_make(struct node *n, const char *peer, uint64_t first,
		    size_t max, struct node_batch *b, struct err *e)
{
	return batch_make(n, peer, first, max, 1, b, e);
}

int node_batch_post(struct node *n, const char *peer, uint64_t first,
		    size_t max, struct node_batch *b, struct err *e)
{
	return batch_make(n, peer, first, max, 0, b, e);
}

/* Splits "parley/<from>/<to>" into from and to. */
static int parse_origin(const char *origin, char *from, char *to, struct err *e)
{
	const char *p, *slash;
	size_t l;

	if (strncmp(origin, "parley/", 7) != 0)
		return err_set(e, ERR_INVALID, "origin '%s' is not parley/FROM/TO", origin);
	p = origin + 7;
	if (!(slash = strchr(p, '/')))
		return err_set(e, ERR_INVALID, "origin '%s' is not parley/FROM/TO", origin);
	l = (size_t)(slash - p);
	if (!envelope_name_valid(p, l) || !envelope_name_valid(slash + 1, strlen(slash + 1)))
		return err_set(e, ERR_INVALID, "origin '%s' names an invalid party", origin);
	memcpy(from, p, l);
	from[l] = '\0';
	strcpy(to, slash + 1);
	return 0;
}

struct find_cosig {
	const char *cosigner;
	char *line;
	size_t cap;
	int found;
};

static int find_cosig_fn(void *ctx, const struct store_cosig *c)
{
	struct find_cosig *f = ctx;

	if (strcmp(c->cosigner, f->cosigner) != 0)
		return 0;
	snprintf(f->line, f->cap, "%s", c->line);
	f->found = 1;
	return 1;
}

/* Our cosignature line of the checkpoint cp of log, if we cosigned one
 * of its size and root: 0 and the line in line, else ERR_NOTFOUND. The
 * cosignature signs the checkpoint's text (origin, size, root), so it
 * stands for any note of that text. */
static int cosigned_before(struct node *n, int64_t log, const struct checkpoint *cp, char *line,
			   size_t cap, struct err *e)
{
	struct store_checkpoint held;
	struct find_cosig fc = { n->cfg.name, line, cap, 0 };
	int rc;

	if ((rc = store_checkpoint_find(n->store, log, cp->size, &held, e)) < 0)
		return rc;
	free(held.note);
	if (memcmp(held.root, cp->root, 32) != 0)
		return ERR_NOTFOUND;
	if ((rc = store_cosig_each(n->store, held.id, find_cosig_fn, &fc, e)) < 0)
		return rc;
	return fc.found ? 0 : ERR_NOTFOUND;
}

/* Keeps the sender's signed checkpoint (its signature already verified)
 * as evidence if it contradicts what we hold: a size we hold with another
 * root. Altered entries under a checkpoint that agrees with us prove
 * nothing against the sender and are only refused. The log is unchanged. */
static void keep_evidence(struct node *n, const struct node_batch *b,
			  const struct store_log *log, const struct checkpoint *cp,
			  const struct err *why)
{
	struct err ignore;
	uint8_t held[32];
	char *note;

	if (cp->size > log->size ||
	    store_root(n->store, log->id, cp->size, held, &ignore) < 0 ||
	    memcmp(held, cp->root, 32) == 0)
		return;
	if (!(note = malloc(b->note_len + 1)))
		return;
	memcpy(note, b->note, b->note_len);
	note[b->note_len] = '\0';
	store_evidence_add(n->store, b->origin, cp->size, why->msg, note, &ignore);
	free(note);
}

int node_batch_held(struct node *n, const struct node_batch *b, const struct store_log *log,
		    size_t *held, struct err *e)
{
	size_t i = 0;

	for (; i < b->n && b->first + i < log->size; i++) {
		char *buf;
		size_t len;
		int same, rc;

		if ((rc = store_entry_get(n->store, log->id, b->first + i, &buf, &len, e)) < 0)
			return rc;
		same = len == b->entries[i].len && memcmp(buf, b->entries[i].envelope, len) == 0;
		free(buf);
		if (!same) {
			*held = i;
			return 1;
		}
	}
	*held = i;
	return 0;
}

/* A register entry's body must be a canonical register record: a
 * malformed one would otherwise stop every report of the channel. */
static int check_registers(const struct node_batch *b, size_t skip, struct err *e)
{
	for (size_t i = skip; i < b->n; i++) {
		const struct store_entry *x = &b->entries[i];
		struct envelope env;
		struct register_rec r;

		/* Most entries are not register entries: a byte search first, so
		 * delivery does not parse every envelope twice (the store does). */
		if (!bytes_contain(x->envelope, x->len, "\nkind register\n") ||
		    envelope_parse(&env, x->envelope, x->len, e) < 0 || env.kind != ENVELOPE_REGISTER)
			continue; /* the store names a malformed envelope */
		if (!x->body || register_body_parse(x->body, x->body_len, &r, e) < 0)
			return err_set(e, ERR_INVALID,
				       "%s entry %" PRIu64 ": a register entry needs a canonical register record as its body",
				       b->origin, b->first + i);
	}
	return 0;
}

/* Every attachment in the batch is named by a body in it, and every
 * attachment a new entry's body names is in the batch or already held. */
static int check_attachments(struct node *n, const struct node_batch *b, size_t skip,
			     struct err *e)
{
	uint8_t refs[CHARTER_MAX_ATTACHMENTS][32], h[32];
	size_t nrefs;
	char hex[65];

	for (size_t k = 0; k < b->nblobs; k++) {
		int named = 0;
		merkle_sha256(h, b->blobs[k].data, b->blobs[k].len);
		for (size_t i = 0; i < b->n && !named; i++) {
			if (!b->entries[i].body ||
			    charter_body_attachments(b->entries[i].body, b->entries[i].body_len, refs,
						     CHARTER_MAX_ATTACHMENTS, &nrefs, e) < 0)
				continue;
			for (size_t r = 0; r < nrefs && !named; r++)
				named = memcmp(refs[r], h, 32) == 0;
		}
		if (!named) {
			merkle_hex(hex, h);
			return err_set(e, ERR_INVALID,
				       "%s: attachment sha256:%s is named by no body in the batch",
				       b->origin, hex);
		}
	}
	for (size_t i = skip; i < b->n; i++) {
		if (!b->entries[i].body ||
		    charter_body_attachments(b->entries[i].body, b->entries[i].body_len, refs,
					     CHARTER_MAX_ATTACHMENTS, &nrefs, e) < 0)
			continue;
		for (size_t r = 0; r < nrefs; r++) {
			int have = 0;
			void *data;
			size_t len;
			for (size_t k = 0; k < b->nblobs && !have; k++) {
				merkle_sha256(h, b->blobs[k].data, b->blobs[k].len);
				have = memcmp(refs[r], h, 32) == 0;
			}
			if (!have && store_body_get(n->store, refs[r], &data, &len, e) == 0) {
				free(data);
				have = 1;
			}
			if (!have) {
				merkle_hex(hex, refs[r]);
				return err_set(e, ERR_INVALID,
					       "%s entry %" PRIu64 ": attachment sha256:%s is missing",
					       b->origin, b->first + i, hex);
			}
		}
	}
	return 0;
}

int node_key_entry(struct keyann_chain *c, const char *origin, const struct envelope *env,
		   const void *body, size_t blen, struct err *e)
{
	struct keyann a;

	if (env->kind != ENVELOPE_KEY)
		return 0;
	if (!body)
		return err_set(e, ERR_INVALID, "%s entry %" PRIu64 ": a key entry needs its announcement as its body",
			       origin, env->index);
	if (keyann_parse(&a, body, blen, e) < 0)
		return err_wrap(e, "%s entry %" PRIu64, origin, env->index);
	if (strcmp(a.new.name, env->from) != 0)
		return err_set(e, ERR_INVALID, "%s entry %" PRIu64 ": announces a key of %s, not of %s",
			       origin, env->index, a.new.name, env->from);
	return keyann_chain_add(c, &a, env->index, origin, e);
}

/* Only key entries: most entries are not, so a byte search first. */
static int key_entry_text(const char *buf, size_t len, const void *body, size_t blen,
			  const char *origin, struct keyann_chain *c, struct err *e)
{
	struct envelope env;

	if (!bytes_contain(buf, len, "\nkind key\n") || envelope_parse(&env, buf, len, e) < 0)
		return 0; /* the store and verify name a malformed envelope */
	return node_key_entry(c, origin, &env, body, blen, e);
}

struct chain_scan {
	struct node *n;
	const char *origin;
	int64_t log;
	struct keyann_chain *c;
	struct err *e;
};

/* Entry index of the log, if it is a key entry: its announcement joins
 * the chain. */
static int chain_entry(struct chain_scan *cs, uint64_t index, const char *buf, size_t len)
{
	struct envelope env;
	void *body = NULL;
	size_t blen = 0;
	int rc;

	if (!bytes_contain(buf, len, "\nkind key\n") || envelope_parse(&env, buf, len, cs->e) < 0 ||
	    env.kind != ENVELOPE_KEY)
		return 0;
	if ((rc = store_entry_body(cs->n->store, cs->log, index, env.body, &body, &blen, cs->e)) < 0 &&
	    rc != ERR_NOTFOUND)
		return rc;
	rc = node_key_entry(cs->c, cs->origin, &env, body, blen, cs->e);
	free(body);
	return rc;
}

static int chain_scan_fn(void *ctx, const struct store_row *r)
{
	return chain_entry(ctx, r->index, r->env, r->len);
}

/* The key entries of a block of a log's facts: only those envelopes are
 * read (chain_scan_fn checks each one's kind again from its bytes). */
static int chain_facts_fn(void *ctx, uint64_t first, const struct store_fact *f, size_t nf,
			  const char *const *types, size_t ntypes)
{
	struct chain_scan *cs = ctx;

	(void)types;
	(void)ntypes;
	for (size_t i = 0; i < nf; i++) {
		char *buf;
		size_t len;
		int rc;

		if (f[i].kind != ENVELOPE_KEY)
			continue;
		if ((rc = store_entry_get(cs->n->store, cs->log, first + i, &buf, &len, cs->e)) < 0)
			return rc;
		rc = chain_entry(cs, first + i, buf, len);
		free(buf);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int node_key_chain(struct node *n, const char *sender, const char *receiver,
		   struct keyann_chain *c, struct err *e)
{
	struct store_party p;
	struct store_log log;
	struct chain_scan cs = { n, log.origin, 0, c, e };
	int rc;

	keyann_chain_init(c, NULL);
	rc = store_log_get(n->store, sender, receiver, 0, &log, e);
	if (rc == 0) {
		/* The log's facts say where its key entries are; a store
		 * without them is read whole. */
		cs.log = log.id;
		rc = store_facts_scan(n->store, log.id, log.size, chain_facts_fn, &cs, e);
		if (rc == ERR_NOTFOUND) {
			keyann_chain_init(c, NULL);
			rc = store_scan(n->store, log.id, chain_scan_fn, &cs, e);
		}
		if (rc < 0)
			return rc;
	}
	if (rc < 0 && rc != ERR_NOTFOUND)
		return rc;
	if (c->n == 0) {
		struct note_key k;
		if ((rc = store_party_get(n->store, sender, &p, e)) < 0 ||
		    (rc = note_key_parse(&k, p.vkey, strlen(p.vkey), e)) < 0)
			return rc;
		keyann_chain_init(c, &k);
	}
	return 0;
}

/* The sender's key chain through b: the key known for it, then the key
 * announcements among b's entries not held yet (from index held on). */
static int batch_keys(const struct node_batch *b, uint64_t held, const struct note_key *known,
		      struct keyann_chain *c, struct err *e)
{
	keyann_chain_init(c, known);
	for (size_t i = 0; i < b->n; i++) {
		const struct store_entry *x = &b->entries[i];
		int rc;

		if (b->first + i >= held &&
		    (rc = key_entry_text(x->envelope, x->len, x->body, x->body_len, b->origin, c, e)) < 0)
			return rc;
	}
	return 0;
}

/* Why a checkpoint of origin that from's key chain c does not verify was
 * refused: signed by a key the chain replaced, or by one never announced. */
static int refuse_signer(const char *origin, const char *from, const struct keyann_chain *c,
			 const struct note *nt, struct err *e)
{
	for (size_t i = 0; i < nt->nsigs; i++) {
		if (nt->sigs[i].namelen != strlen(from) || memcmp(nt->sigs[i].name, from, nt->sigs[i].namelen) != 0)
			continue;
		for (size_t j = 0; j + 1 < c->n; j++)
			if (c->k[j].key.id == nt->sigs[i].id)
				return err_set(e, ERR_UNVERIFIED,
					       "checkpoint for %s is not signed by %s: it is signed by its key %08" PRIx32
					       ", which its entry %" PRIu64 " replaced",
					       origin, from, nt->sigs[i].id, c->k[j + 1].index);
		return err_set(e, ERR_UNVERIFIED,
			       "checkpoint for %s is not signed by %s: it is signed by a key %s has not announced"
			       " (key id %08" PRIx32 ")",
			       origin, from, from, nt->sigs[i].id);
	}
	return err_set(e, ERR_UNVERIFIED, "checkpoint for %s is not signed by %s", origin, from);
}

int node_receive(struct node *n, const struct node_batch *b, char *line,
		 size_t cap, struct err *e)
{
	char from[ENVELOPE_NAME_MAX + 1], to[ENVELOPE_NAME_MAX + 1];
	struct note_key sender;
	struct store_party party;
	struct keyann_chain *chain = NULL;
	struct note *nt = NULL;
	struct checkpoint cp;
	struct store_log log;
	struct store_checkpoint latest;
	struct store_batch sb;
	struct store_appended res;
	struct find_cosig fc;
	char sigline[512];
	size_t skip = 0, slen = 0;
	uint64_t now;
	int rc;

	if ((rc = parse_origin(b->origin, from, to, e)) < 0)
		return rc;
	if (strcmp(to, n->cfg.name) != 0)
		return err_set(e, ERR_INVALID, "batch for %s is addressed to %s, not to us",
			       b->origin, to);
	if ((rc = store_party_get(n->store, from, &party, e)) < 0) {
		if (rc == ERR_NOTFOUND)
			err_set(e, ERR_NOTFOUND, "batch from unknown party '%s'", from);
		return rc;
	}
	if ((rc = note_key_parse(&sender, party.vkey, strlen(party.vkey), e)) < 0 ||
	    (rc = key_current(n, e)) < 0)
		return rc;
	nt = malloc(sizeof(*nt));
	chain = malloc(sizeof(*chain));
	if (!nt || !chain) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* The checkpoint is signed by the sender's key as known, or by the
	 * last one the batch's new entries announce (core/keyann.h). */
	if ((rc = log_for(n, from, to, &log, e)) < 0 ||
	    (rc = batch_keys(b, log.size, &sender, chain, e)) < 0)
		goto out;
	if ((rc = note_open(nt, b->note, b->note_len, keyann_chain_last(chain), 1, e)) < 0) {
		if (rc == ERR_UNVERIFIED)
			refuse_signer(b->origin, from, chain, nt, e);
		goto out;
	}
	if ((rc = checkpoint_parse(&cp, nt->text, nt->textlen, e)) < 0)
		goto out;
	if (strcmp(cp.origin, b->origin) != 0 || cp.nextensions) {
		rc = strcmp(cp.origin, b->origin) != 0
			? err_set(e, ERR_INVALID, "checkpoint origin '%s' does not match the batch (%s)",
				  cp.origin, b->origin)
			: err_set(e, ERR_INVALID, "checkpoint for %s has extension lines", b->origin);
		goto out;
	}
	if (cp.size != b->first + b->n) {
		rc = err_set(e, ERR_INVALID,
			     "checkpoint for %s has size %" PRIu64 " but the batch ends at %" PRIu64,
			     b->origin, cp.size, b->first + (uint64_t)b->n);
		goto out;
	}
	if (b->first > log.size) {
		rc = err_set(e, ERR_CONFLICT,
			     "batch for %s starts at index %" PRIu64 " but %" PRIu64 " is the next one held: entries are missing",
			     b->origin, b->first, log.size);
		goto out;
	}
	/* Entries we hold already must be the same bytes (re-delivery). */
	if ((rc = node_batch_held(n, b, &log, &skip, e)) < 0)
		goto out;
	if (rc == 1) {
		rc = err_set(e, ERR_CONFLICT,
			     "%s entry %" PRIu64 " differs from the one held: the sender forked its log",
			     b->origin, b->first + skip);
		keep_evidence(n, b, &log, &cp, e);
		goto out;
	}
	if ((rc = check_attachments(n, b, skip, e)) < 0 || (rc = check_registers(b, skip, e)) < 0)
		goto out;
	/* Never cosign an older view than one already cosigned; the very
	 * checkpoint cosigned then, sent again, gets the cosignature given
	 * then (a sender that died before storing it re-sends it). */
	rc = store_checkpoint_latest(n->store, log.id, &latest, e);
	if (rc == 0) {
		free(latest.note);
		if (cp.size < latest.size) {
			if ((rc = cosigned_before(n, log.id, &cp, line, cap, e)) == ERR_NOTFOUND)
				rc = err_set(e, ERR_CONFLICT,
					     "checkpoint for %s of size %" PRIu64 " is older than the one of size %" PRIu64 " already cosigned",
					     b->origin, cp.size, latest.size);
			goto out;
		}
	} else if (rc != ERR_NOTFOUND) {
		goto out;
	}
	/* One reading of the clock: the time inside the signed line and the
	 * time stored beside it must be the same second (verify compares
	 * them); two readings disagree when a second ends between them. */
	now = (uint64_t)n->now();
	sigline[0] = '\0';
	if ((rc = note_cosign_line(sigline, sizeof(sigline), &slen, nt->text,
				   nt->textlen, &n->key, now, e)) < 0)
		goto out;
	sigline[slen - 1] = '\0'; /* drop "\n" */
	memset(&sb, 0, sizeof(sb));
	sb.entries = b->entries + skip;
	sb.n = b->n - skip;
	sb.blobs = b->blobs;
	sb.nblobs = b->nblobs;
	sb.cp_size = cp.size;
	sb.cp_root = cp.root;
	sb.cp_note = b->note;
	sb.cp_note_len = b->note_len;
	sb.cosigner = n->cfg.name;
	sb.cosig_time = now;
	sb.cosig_line = sigline;
	if (chain->n > 1) { /* the sender's new key, with the entries announcing it */
		if ((rc = note_key_encode(keyann_chain_last(chain), party.vkey, sizeof(party.vkey), e)) < 0)
			goto out;
		sb.party = &party;
	}
	/* The store checks the root against the checkpoint and makes
	 * entries, checkpoint and cosignature durable together. Consistency
	 * with every earlier cosigned checkpoint follows: the mirror is
	 * append-only and the new root is computed over the held prefix. */
	if ((rc = store_append(n->store, &log, &sb, &res, e)) < 0) {
		/* A validly signed checkpoint of a size we hold whose root is
		 * not ours is proof that the sender signed two histories. */
		if (rc == ERR_CONFLICT)
			keep_evidence(n, b, &log, &cp, e);
		goto out;
	}
	/* A re-delivered checkpoint keeps the cosignature given first. */
	fc = (struct find_cosig){ n->cfg.name, line, cap, 0 };
	if ((rc = store_cosig_each(n->store, res.checkpoint, find_cosig_fn, &fc, e)) < 0)
		goto out;
	rc = fc.found ? 0 : err_set(e, ERR_STORE, "cosignature was not stored");
out:
	free(nt);
	free(chain);
	return rc;
}

/* Opens our own checkpoint note of the log to peer: signed by our key, or
 * (one signed before a rotation) by the key our log names for its size. */
static int open_own(struct node *n, const char *peer, const char *note, size_t len,
		    struct note *nt, struct err *e)
{
	struct keyann_chain *c;
	struct checkpoint cp;
	int rc = note_open(nt, note, len, &n->key.pub, 1, e);

	if (rc != ERR_UNVERIFIED)
		return rc;
	if (!(c = malloc(sizeof(*c))))
		return err_set(e, ERR_NOMEM, "out of memory");
	if ((rc = checkpoint_parse(&cp, nt->text, nt->textlen, e)) == 0 &&
	    (rc = node_key_chain(n, n->cfg.name, peer, c, e)) == 0)
		rc = note_open(nt, note, len, keyann_chain_at(c, cp.size), 1, e);
	free(c);
	return rc;
}

/* Opens msg, a checkpoint text and peer's cosignature line: by the key
 * known for peer, or by an earlier one of its chain at the cosignature's
 * time (a receipt made before peer rotated its key). */
static int open_cosig(struct node *n, const char *peer, const char *msg, size_t len,
		      struct note *cs, struct err *e)
{
	struct keyann_chain *c;
	struct note_key k, *keys;
	size_t nk;
	int rc;

	if ((rc = party_key(n, peer, &k, e)) < 0)
		return rc;
	note_key_cosigner(&k, &k);
	if ((rc = note_open(cs, msg, len, &k, 1, e)) != ERR_UNVERIFIED)
		return rc;
	c = malloc(sizeof(*c));
	keys = malloc(KEYANN_CHAIN_MAX * sizeof(*keys));
	if (!c || !keys) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = node_key_chain(n, peer, n->cfg.name, c, e)) < 0)
		goto out;
	nk = keyann_chain_cosigners(c, keys);
	if ((rc = note_open(cs, msg, len, keys, nk, e)) < 0)
		goto out;
	if (!keyann_chain_cosig_ok(c, (size_t)(cs->sigs[0].key - keys), cs->sigs[0].time))
		rc = err_set(e, ERR_SIGNATURE, "cosignature by %s's key %08" PRIx32
			     " has the time %" PRIu64 ", when that key was not %s's key",
			     peer, cs->sigs[0].id, cs->sigs[0].time, peer);
out:
	free(c);
	free(keys);
	return rc;
}

int node_receipt_add(struct node *n, const char *peer, const char *note,
		     size_t note_len, const char *line, uint64_t *time,
		     struct err *e)
{
	struct note *nt = NULL, *cs = NULL;
	struct checkpoint cp;
	struct store_log log;
	struct store_batch sb;
	struct store_appended res;
	char *msg = NULL;
	size_t ll = strlen(line), mlen;
	int rc;

	nt = malloc(sizeof(*nt));
	cs = malloc(sizeof(*cs));
	if (!nt || !cs) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = open_own(n, peer, note, note_len, nt, e)) < 0 ||
	    (rc = checkpoint_parse(&cp, nt->text, nt->textlen, e)) < 0)
		goto out;
	if ((rc = store_log_get(n->store, n->cfg.name, peer, 0, &log, e)) < 0)
		goto out;
	if (strcmp(cp.origin, log.origin) != 0) {
		rc = err_set(e, ERR_INVALID, "receipt is for %s, not %s", cp.origin, log.origin);
		goto out;
	}
	/* The cosignature is a note signature line over the checkpoint text. */
	mlen = nt->textlen + 1 + ll + 1;
	if (ll > 1000 || !(msg = malloc(mlen + 1))) {
		rc = err_set(e, ll > 1000 ? ERR_INVALID : ERR_NOMEM,
			     "receipt line too long or out of memory");
		goto out;
	}
	memcpy(msg, nt->text, nt->textlen);
	msg[nt->textlen] = '\n';
	memcpy(msg + nt->textlen + 1, line, ll);
	msg[mlen - 1] = '\n';
	if ((rc = open_cosig(n, peer, msg, mlen, cs, e)) < 0) {
		err_wrap(e, "receipt from %s", peer);
		goto out;
	}
	memset(&sb, 0, sizeof(sb));
	sb.cp_size = cp.size;
	sb.cp_root = cp.root;
	sb.cp_note = note;
	sb.cp_note_len = note_len;
	sb.cosigner = peer;
	sb.cosig_time = cs->sigs[0].time;
	sb.cosig_line = line;
	if ((rc = store_append(n->store, &log, &sb, &res, e)) < 0)
		goto out;
	if (time)
		*time = cs->sigs[0].time;
out:
	free(msg);
	free(nt);
	free(cs);
	return rc;
}

/* A crash injected for tests (tests/integration/rotate.sh): the process
 * ends at once, without cleaning up, when PARLEY_ROTATE_CRASH names the
 * point it reached. */
static void crash_point(const char *point)
{
	const char *at = getenv("PARLEY_ROTATE_CRASH");

	if (at && strcmp(at, point) == 0)
		_exit(75);
}

/* The new key of an interrupted rotation from path, or a new one written
 * there (sealed under the passphrase when sealed is set) and made durable. */
static int next_key(struct node *n, const char *path, int sealed, struct note_signer *k,
		    int *resumed, struct err *e)
{
	char signer[NOTE_KEY_STR_MAX + 2], pass[KEYFILE_PASS_MAX], why[1200], *buf = NULL, *out = NULL;
	size_t len = 0, slen, plen = 0;
	int rc;

	snprintf(why, sizeof(why), "the identity key in %s", n->dir);
	if (sealed && (rc = keyfile_passphrase(pass, sizeof(pass), &plen, why, 0, e)) < 0)
		return rc;
	rc = fsio_read(path, KEY_FILE_MAX, &buf, &len, e);
	if (rc == 0) { /* resume with the key written before the crash */
		*resumed = 1;
		if (keyfile_is_sealed(buf, len)) {
			rc = keyfile_open(buf, len, pass, plen, signer, sizeof(signer), e);
			slen = strlen(signer);
		} else {
			slen = len && buf[len - 1] == '\n' ? len - 1 : len;
			rc = slen < sizeof(signer) ? 0 : err_set(e, ERR_INVALID, "key too long");
			if (rc == 0)
				memcpy(signer, buf, slen);
		}
		if (rc == 0)
			rc = note_signer_parse(k, signer, slen, e);
		if (rc == 0 && strcmp(k->pub.name, n->cfg.name) != 0)
			rc = err_set(e, ERR_INVALID, "%s is a key for '%s'", path, k->pub.name);
	} else if (rc == ERR_NOTFOUND) {
		*resumed = 0;
		if ((rc = note_keygen(k, n->cfg.name, e)) == 0 &&
		    (rc = note_signer_encode(k, signer, sizeof(signer) - 1, e)) == 0) {
			slen = strlen(signer);
			if (sealed && (rc = keyfile_seal(signer, slen, pass, plen, &out, &slen, e)) == 0)
				rc = fsio_create(path, 0600, out, slen, e);
			else if (!sealed) {
				signer[slen++] = '\n';
				rc = fsio_create(path, 0600, signer, slen, e);
			}
			if (rc == 0)
				fsio_sync_dir(path);
		}
	}
	sodium_memzero(signer, sizeof(signer));
	sodium_memzero(pass, sizeof(pass));
	if (buf)
		sodium_memzero(buf, len);
	free(buf);
	free(out);
	return rc < 0 ? err_wrap(e, "%s", path) : 0;
}

struct names {
	char (*v)[STORE_NAME_MAX + 1];
	size_t n;
	struct err *e;
};

static int collect_peer(void *ctx, const struct store_party *p)
{
	struct names *ns = ctx;
	char (*v)[STORE_NAME_MAX + 1] = realloc(ns->v, (ns->n + 1) * sizeof(*v));

	if (!v)
		return err_set(ns->e, ERR_NOMEM, "out of memory");
	ns->v = v;
	memcpy(ns->v[ns->n++], p->name, sizeof(p->name));
	return 0;
}

int node_key_rotate(const char *dir, struct node_rotation *out, struct err *e)
{
	struct node *n = NULL;
	struct note_signer next, old;
	struct store_party self;
	struct keyann_chain *chain = malloc(sizeof(*chain));
	struct names peers = { NULL, 0, e };
	char kpath[1100], npath[1100], *buf = NULL, ann[KEYANN_MAX];
	size_t len = 0, alen;
	int rc, sealed = 0, resumed = 0;
	struct node_rotation info;

	memset(&info, 0, sizeof(info));
	memset(&next, 0, sizeof(next));
	memset(&old, 0, sizeof(old));
	if (!chain)
		return err_set(e, ERR_NOMEM, "out of memory");
	if ((rc = open_node(&n, dir, 1, e)) < 0 ||
	    (rc = fsio_join(kpath, sizeof(kpath), dir, NODE_KEY, e)) < 0 ||
	    (rc = fsio_join(npath, sizeof(npath), dir, NODE_KEY_NEXT, e)) < 0 ||
	    (rc = fsio_read(kpath, KEY_FILE_MAX, &buf, &len, e)) < 0)
		goto out;
	sealed = keyfile_is_sealed(buf, len);
	if ((rc = store_party_each(n->store, collect_peer, &peers, e)) < 0)
		goto out;
	/* The old key is wiped at the end: a batch ending before the
	 * announcement could no longer be signed. So every peer must have
	 * cosigned all we sent; a resumed rotation checked that before. */
	resumed = access(npath, F_OK) == 0;
	for (size_t i = 0; i < peers.n && !resumed; i++) {
		struct store_log log;
		uint64_t got = 0, t;
		rc = store_log_get(n->store, n->cfg.name, peers.v[i], 0, &log, e);
		if (rc == ERR_NOTFOUND)
			continue;
		if (rc < 0 || (rc = store_receipted(n->store, log.id, peers.v[i], &got, &t, e)) < 0)
			goto out;
		if (got < log.size) {
			rc = err_set(e, ERR_CONFLICT,
				     "%s has cosigned %" PRIu64 " of the %" PRIu64 " entries of %s: deliver them"
				     " (parley serve) before rotating the key, which signs their checkpoint",
				     peers.v[i], got, log.size, log.origin);
			goto out;
		}
	}
	/* 1. The new key, durable before anything is signed with it. */
	if ((rc = next_key(n, npath, sealed, &next, &resumed, e)) < 0)
		goto out;
	crash_point("key");
	old = n->key;
	if ((rc = note_key_encode(&old.pub, info.old_key, sizeof(info.old_key), e)) < 0 ||
	    (rc = note_key_encode(&next.pub, info.new_key, sizeof(info.new_key), e)) < 0 ||
	    (rc = store_party_self(n->store, &self, e)) < 0)
		goto out;
	if (strcmp(self.vkey, info.old_key) != 0 && strcmp(self.vkey, info.new_key) != 0) {
		rc = err_set(e, ERR_INVALID, "the store belongs to '%s', not to this identity key", self.name);
		goto out;
	}
	snprintf(self.vkey, sizeof(self.vkey), "%s", info.new_key);
	if ((rc = keyann_make(ann, sizeof(ann), &alen, &old, &next, n->now(), e)) < 0)
		goto out;
	/* 2. The announcement, signed by the old key, in every log we send;
	 * a resumed rotation skips the logs that carry it already. */
	for (size_t i = 0; i < peers.n; i++) {
		struct node_msg m = { .kind = ENVELOPE_KEY, .type = KEYANN_TYPE, .body = ann,
				      .body_len = alen };
		if (resumed) {
			if ((rc = node_key_chain(n, n->cfg.name, peers.v[i], chain, e)) < 0)
				goto out;
			if (keyann_key_equal(keyann_chain_last(chain), &next.pub))
				continue;
		}
		if ((rc = send_with(n, peers.v[i], &m, 1, &self, NULL, e)) < 0) {
			err_wrap(e, "announcing the new key to %s", peers.v[i]);
			goto out;
		}
		info.peers++;
		crash_point("announce");
	}
	if ((rc = store_party_put(n->store, &self, e)) < 0)
		goto out;
	/* 3. Checkpoints over the announcements, by the new key; stored, sent
	 * later by the outbox. */
	n->key = next;
	for (size_t i = 0; i < peers.n; i++) {
		struct store_log log;
		char *note;
		size_t nlen;
		if ((rc = store_log_get(n->store, n->cfg.name, peers.v[i], 0, &log, e)) < 0 ||
		    (rc = checkpoint_at(n, &log, log.size, 1, &note, &nlen, e)) < 0)
			goto out;
		free(note);
	}
	crash_point("checkpoint");
	/* 4. The new key becomes the identity key. */
	if ((rc = fsio_rename(npath, kpath, e)) < 0)
		goto out;
	info.resumed = resumed;
	info.sealed = sealed;
	if (out)
		*out = info;
	rc = 0;
out:
	/* Only the old key and the new one's copies are wiped here; n->key
	 * (the new key once swapped, else the old) is wiped by node_close. */
	note_signer_wipe(&old);
	note_signer_wipe(&next);
	if (buf)
		sodium_memzero(buf, len);
	free(buf);
	free(peers.v);
	free(chain);
	node_close(n);
	return rc;
}
