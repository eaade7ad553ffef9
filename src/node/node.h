/* node.h — one party's node: its directory (parley.conf, identity.key, the
 * store), and the operations the CLI and the network share: send messages
 * into the own log to a peer, sign checkpoints, make a batch, receive a
 * peer's batch and cosign it (the receipt), accept a receipt, and verify
 * the whole store.
 *
 * Design note. The protocol steps of DESIGN.md "Protocol", transport-free:
 *   sender:   node_send -> node_batch_make (entries + signed checkpoint)
 *   receiver: node_receive: check the checkpoint signature, hold the
 *             entries, check the root, store entries + checkpoint + our
 *             cosignature in one transaction, only then return the line
 *   sender:   node_receipt_add: verify the cosignature, store it.
 * Invariants: a node never signs two checkpoints of one size with different
 * roots (the store refuses it); a receiver never cosigns a checkpoint that
 * is inconsistent with, or older than, one it cosigned. */
#ifndef PARLEY_NODE_H
#define PARLEY_NODE_H

#include <stdint.h>
#include <stdio.h>

#include "core/envelope.h"
#include "core/keyann.h"
#include "core/note.h"
#include "node/config.h"
#include "store/store.h"

#define NODE_CONF "parley.conf"
#define NODE_KEY "identity.key"
#define NODE_KEY_NEXT "identity.key.next" /* the new key while a rotation runs */
#define NODE_DATA_KEY "data.key" /* 32 bytes: seals bodies at rest */
#define NODE_BATCH_MAX 1000 /* entries in one batch */
#define NODE_SEND_MAX 100000 /* messages appended in one transaction */

struct node {
	char dir[1024];
	struct config cfg;
	struct note_signer key;
	struct store *store;
	char tls_pin[64];     /* pin of our TLS certificate */
	char tls_cert[1100];  /* paths of the TLS certificate and key */
	char tls_key[1100];
	int64_t (*now)(void); /* clock; time(NULL) unless a test sets it */
	/* node/cases.c: each channel's charter entries read so far, so that
	 * a channel's state reads only the entries appended since. */
	struct chan_cache *chans;
};

/* Creates a new node in dir (created 0700 if missing): identity key
 * (0600, O_EXCL|O_NOFOLLOW), data key (0600), TLS key (0600) and a
 * self-signed certificate,
 * store, parley.conf. listen and endpoint may be NULL (defaults: loopback
 * port 7443, and https://LISTEN). Refuses a dir that already holds a node.
 * On failure nothing it created is left behind.
 * Returns 0, ERR_INVALID, ERR_EXISTS, ERR_IO or ERR_STORE. */
int node_init(const char *dir, const char *name, const char *listen,
	      const char *endpoint, struct err *e);
/* Seals the identity key under a passphrase (protect) or opens it back
 * into a plain file, replacing the file atomically. pass NULL: ask (see
 * node/keyfile.h for where the passphrase comes from). */
int node_key_protect(const char *dir, int protect, const char *pass, size_t plen,
		     struct err *e);
/* Rotates the identity key (issue 7). Crash-safe, in this order:
 *   1. the new key is written to identity.key.next and fsync'd (sealed
 *      under the same passphrase when identity.key is sealed);
 *   2. for each peer, a key entry (core/keyann.h: signed by the old key
 *      and by the new) is appended to our log to it; the first append
 *      also records the new key as ours in the store, in its transaction;
 *   3. a checkpoint covering each announcement is signed with the new key
 *      and stored (it is sent by the outbox as usual);
 *   4. identity.key.next is renamed over identity.key; the old key is
 *      wiped from memory.
 * Nothing signed by the new key leaves the node before step 4: while
 * identity.key.next exists, node_open refuses, naming this command, and
 * running it again resumes with the same new key, skipping logs that
 * already announce it. Peers learn the new key from the log; the TLS key
 * and pin do not change. The same key cosigns, so receipts change key at
 * the same time (cosignatures are checked by their time, keyann.h).
 * *out (may be NULL) gets what was done. Returns 0 or an ERR_* code. */
struct node_rotation {
	char old_key[NOTE_KEY_STR_MAX], new_key[NOTE_KEY_STR_MAX];
	size_t peers;   /* logs that got the announcement now */
	int resumed;    /* finished an interrupted rotation */
	int sealed;     /* the new key is sealed under the passphrase */
};
int node_key_rotate(const char *dir, struct node_rotation *out, struct err *e);

/* If env (of log origin, with its body) is a key entry, adds its
 * announcement to c; other entries are ignored. Returns 0, or the error
 * naming the entry: no or a malformed body, a bad signature, an old key
 * that is not c's last (keyann_chain_add). */
int node_key_entry(struct keyann_chain *c, const char *origin, const struct envelope *env,
		   const void *body, size_t blen, struct err *e);
/* The key chain of sender in the log sender->receiver as held: its key
 * announcements in order (reads every envelope of the log), or only the
 * key the store knows for sender if there are none. */
int node_key_chain(struct node *n, const char *sender, const char *receiver,
		   struct keyann_chain *c, struct err *e);

/* node_init with the operator API's address (NULL: its default rule) and
 * the store URL (NULL: sqlite:parley.db in dir): "sqlite:PATH" or
 * "postgresql://...". A database that already holds a party is refused. */
int node_init_store(const char *dir, const char *name, const char *listen,
		    const char *endpoint, const char *operator_listen, const char *store,
		    struct err *e);
/* Opens the node in dir; *out is owned by the caller (node_close). */
int node_open(struct node **out, const char *dir, struct err *e);
/* Closes the store and wipes the key. Accepts NULL. */
void node_close(struct node *n);

/* The party's identity line, for a peer to import:
 * "VERIFIER-KEY TLS-PIN ENDPOINT", e.g.
 * "cert.example+1a2b3c4d+AQ... sha256//Zm9v... https://192.0.2.7:7443". */
int node_identity(const struct node *n, char *buf, size_t cap, struct err *e);
/* Adds (or updates) a peer from its identity line. */
int node_peer_add(struct node *n, const char *line, struct err *e);

/* A message to send. case_from NULL means the message opens its own case. */
struct node_msg {
	enum envelope_kind kind;
	const char *type;
	const char *case_from;
	uint64_t case_index;
	const void *body;
	size_t body_len;
	const struct store_blob *attachments; /* named by the body, stored with it */
	size_t nattachments;
};

/* Appends msgs (at most NODE_SEND_MAX) to the log self->peer in one transaction; *first gets the
 * index of the first. Returns 0 or an ERR_* code. */
int node_send(struct node *n, const char *peer, const struct node_msg *msgs,
	      size_t count, uint64_t *first, struct err *e);

/* What travels from sender to receiver. */
struct node_batch {
	char origin[STORE_ORIGIN_MAX + 1];
	uint64_t first;             /* index of entries[0] */
	size_t n;
	struct store_entry *entries; /* envelopes and bodies, malloc'd */
	char *note;                  /* signed checkpoint at first + n */
	size_t note_len;
	struct store_blob *blobs;    /* attachments the entries' bodies name */
	size_t nblobs;
	char *buf; /* if set, every pointer above but entries and blobs points into it */
};

/* Makes the batch of the log self->peer from index first, at most max
 * entries (fewer if their bodies and attachments pass NODE_BATCH_BYTES),
 * with the attachments their bodies name and a signed checkpoint at its
 * end (signed and stored now if new: the batch shown or exported, whose
 * receipt may come much later or never). Free with node_batch_free. */
#define NODE_BATCH_BYTES (12u << 20)
int node_batch_make(struct node *n, const char *peer, uint64_t first,
		    size_t max, struct node_batch *b, struct err *e);
/* The same for the delivery worker, which posts it at once: the
 * checkpoint is only signed, and stored with its receipt
 * (node_receipt_add) in the same commit, one disk flush per batch less. */
int node_batch_post(struct node *n, const char *peer, uint64_t first,
		    size_t max, struct node_batch *b, struct err *e);
void node_batch_free(struct node_batch *b);

/* Receiver: checks and holds a batch from a peer and writes our
 * cosignature line (no "\n") into line. Nothing is stored on failure.
 * Returns 0, ERR_INVALID, ERR_SIGNATURE, ERR_UNVERIFIED, ERR_NOTFOUND
 * (unknown sender), ERR_CONFLICT (gap, fork, rollback), or a store error. */
int node_receive(struct node *n, const struct node_batch *b, char *line,
		 size_t cap, struct err *e);

/* How many of b's leading entries log (the receiver's mirror of b's
 * origin) holds already, compared byte for byte: 0 with *held set, or 1
 * with *held the first that differs from the one held (a fork). */
int node_batch_held(struct node *n, const struct node_batch *b, const struct store_log *log,
		    size_t *held, struct err *e);
/* Sender: verifies peer's cosignature line on our checkpoint note (as in
 * the batch) of log self->peer, and stores it. *time gets its timestamp. */
int node_receipt_add(struct node *n, const char *peer, const char *note,
		     size_t note_len, const char *line, uint64_t *time,
		     struct err *e);

/* Checks the whole store: every envelope, leaf and node, every root
 * against its checkpoints, every checkpoint signature and cosignature,
 * consistency between successive checkpoints. Writes one line per log to
 * out (may be NULL). Returns 0, or ERR_VERIFY naming the first bad thing. */
int node_verify(struct node *n, FILE *out, struct err *e);

#endif
