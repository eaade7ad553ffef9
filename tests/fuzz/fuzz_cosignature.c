/* fuzz_cosignature.c — libFuzzer harness for tlog-cosignature lines
 * (note_cosign_line, and note_open with a type 0x04 key, as
 * node_receipt_add verifies a receipt). The input is a note; the one known
 * key is the cosigner example.org/witness made from the seed of the
 * published vectors (tests/vectors/cosignature: seed {17}). Checked:
 *   1. a cosignature that verifies is byte for byte the line the cosigner
 *      itself writes for that text and timestamp (Ed25519 is deterministic,
 *      so any other accepted line would be a malleable encoding);
 *   2. for any well-formed note text, a line the harness makes verifies,
 *      alone and appended to the input's own signatures, with its time;
 *   3. that line with one byte changed (place and value from the input)
 *      verifies only if the change left it as it was. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t cosigner_seed[32] = { 17 };

#define LINE_MAX_LEN (4 + NOTE_NAME_MAX + 1 + 104 + 1) /* "— " name sp b64 \n */

static struct note_signer signer;
static struct note_key cosigner; /* type 0x04, the only known key */
static struct note n;            /* about 6 KiB: keep it off the stack */
static char msg[NOTE_MAX_SIZE + LINE_MAX_LEN + 2];

static void setup(void)
{
	if (sodium_init() < 0)
		abort();
	memset(&signer, 0, sizeof(signer));
	snprintf(signer.pub.name, sizeof(signer.pub.name), "example.org/witness");
	crypto_sign_seed_keypair(signer.pub.pk, signer.sk, cosigner_seed);
	signer.pub.alg = NOTE_ALG_ED25519;
	signer.pub.id = note_key_id(signer.pub.name, NOTE_ALG_ED25519, signer.pub.pk);
	note_key_cosigner(&cosigner, &signer.pub);
	if (cosigner.alg != NOTE_ALG_COSIGNATURE ||
	    cosigner.id != note_key_id(cosigner.name, NOTE_ALG_COSIGNATURE, cosigner.pk))
		abort();
}

/* The cosigner's own line for text at time, with its "\n"; length in *len. */
static void own_line(char *out, size_t cap, size_t *len, const char *text,
		     size_t textlen, uint64_t time)
{
	struct err e = { 0 };

	*len = 0;
	if (note_cosign_line(out, cap, len, text, textlen, &signer, time, &e) != 0) {
		fprintf(stderr, "cannot cosign a note text that opened: %s\n", e.msg);
		abort();
	}
	if (*len < 2 || out[*len - 1] != '\n')
		abort();
}

/* Opens msg[0, len) with the cosigner key; returns note_open's code. */
static int open_msg(size_t len)
{
	struct err e = { 0 };

	return note_open(&n, msg, len, &cosigner, 1, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char line[LINE_MAX_LEN], again[LINE_MAX_LEN];
	const char *text;
	size_t linelen, againlen, textlen, nsigs, at;
	uint64_t time = 0;
	struct err e = { 0 };
	int rc;

	if (!ready) {
		setup();
		ready = 1;
	}
	rc = note_open(&n, (const char *)data, size, &cosigner, 1, &e);
	if (rc != 0 && rc != ERR_UNVERIFIED)
		return 0;
	text = n.text;
	textlen = n.textlen;
	nsigs = n.nsigs;
	if (rc == 0) {
		/* 1. what verified is what the cosigner writes */
		const struct note_sig *s = &n.sigs[0];

		if (n.nverified != 1 || s->key != &cosigner)
			abort();
		own_line(line, sizeof(line), &linelen, text, textlen, s->time);
		if (s->linelen != linelen - 1 || memcmp(s->line, line, s->linelen) != 0) {
			fprintf(stderr, "accepted cosignature differs from the signer's:\n"
				"%.*s\n%.*s", (int)s->linelen, s->line, (int)linelen, line);
			abort();
		}
	}

	/* Texts near the size limit cannot take one more line (nor be
	 * cosigned: the signed message adds two header lines). */
	if (size + LINE_MAX_LEN + 64 > NOTE_MAX_SIZE)
		return 0;

	/* 2. the harness's own line verifies, with its time */
	for (size_t i = 0; i < size && i < 8; i++)
		time = time << 8 | data[size - 1 - i];
	own_line(line, sizeof(line), &linelen, text, textlen, time);
	own_line(again, sizeof(again), &againlen, text, textlen, time);
	if (againlen != linelen || memcmp(again, line, linelen) != 0)
		abort(); /* not deterministic */
	memcpy(msg, text, textlen);
	msg[textlen] = '\n';
	memcpy(msg + textlen + 1, line, linelen);
	if (open_msg(textlen + 1 + linelen) != 0 || n.nverified != 1 ||
	    n.nsigs != 1 || n.sigs[0].time != time ||
	    n.sigs[0].linelen != linelen - 1 ||
	    memcmp(n.sigs[0].line, line, linelen - 1) != 0) {
		fprintf(stderr, "the cosigner's own line does not verify:\n%.*s",
			(int)(textlen + 1 + linelen), msg);
		abort();
	}
	if (rc == ERR_UNVERIFIED && nsigs < NOTE_MAX_SIGS) {
		memcpy(msg, data, size);
		memcpy(msg + size, line, linelen);
		if (open_msg(size + linelen) != 0 || n.nverified != 1 ||
		    n.nsigs != nsigs + 1 || n.sigs[0].time != time) {
			fprintf(stderr, "the own line appended to the input does not verify\n");
			abort();
		}
	}

	/* 3. one byte of the line changed: accepted only if unchanged */
	at = (size_t)(time % (linelen - 1));
	memcpy(msg, text, textlen);
	msg[textlen] = '\n';
	memcpy(msg + textlen + 1, line, linelen);
	msg[textlen + 1 + at] = (char)(time >> 56);
	if (open_msg(textlen + 1 + linelen) == 0 &&
	    (n.sigs[0].linelen != linelen - 1 ||
	     memcmp(n.sigs[0].line, line, linelen - 1) != 0)) {
		fprintf(stderr, "a changed cosignature line verifies:\n%.*s\n",
			(int)n.sigs[0].linelen, n.sigs[0].line);
		abort();
	}
	return 0;
}
