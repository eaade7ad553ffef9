/* sample.h — a canonical sample envelope for tests and benchmarks (one
 * definition for both). Header-only: include where needed. */
#ifndef PARLEY_SAMPLE_H
#define PARLEY_SAMPLE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/envelope.h"
#include "core/merkle.h"

/* Request number index of log from->to whose body hashes to body; its
 * canonical text into buf. Returns its length; exits on failure. */
static inline size_t sample_envelope(char *buf, size_t cap, const char *from, const char *to,
				     uint64_t index, const void *body, size_t body_len)
{
	struct envelope env;
	struct err e = { 0 };
	size_t len = 0;

	memset(&env, 0, sizeof(env));
	snprintf(env.from, sizeof(env.from), "%s", from);
	snprintf(env.to, sizeof(env.to), "%s", to);
	env.index = index;
	env.time = 1795000000 + (int64_t)index;
	snprintf(env.case_from, sizeof(env.case_from), "%s", from);
	env.case_index = index;
	env.kind = ENVELOPE_REQUEST;
	snprintf(env.type, sizeof(env.type), "cyber-incident");
	merkle_sha256(env.body, body, body_len);
	if (envelope_encode(&env, buf, cap, &len, &e) < 0) {
		fprintf(stderr, "sample_envelope: %s\n", e.msg);
		exit(1);
	}
	return len;
}

#endif
