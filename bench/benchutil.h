/* benchutil.h — timing, percentiles and envelopes for the benchmarks. */
#ifndef PARLEY_BENCHUTIL_H
#define PARLEY_BENCHUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/envelope.h"
#include "core/merkle.h"
#include "store/store.h"
#include "sample.h"

static inline double bu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bu_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of v[0..n), sorting v. */
static inline double bu_quantile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), bu_cmp);
	return v[(size_t)(q * (double)(n - 1))];
}

static inline uint64_t bu_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A realistic envelope of log from->to at index. */
static inline size_t bu_envelope(char *buf, size_t cap, const char *from,
				 const char *to, uint64_t index)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "{\"subject\":\"incident %llu\"}",
			 (unsigned long long)index);

	return sample_envelope(buf, cap, from, to, index, body, (size_t)n);
}

/* Appends bu_envelope entries to log from->to through store_append, in
 * batches of 10,000, until it holds n; progress on stderr. Exits on
 * failure. */
static inline void bu_build_log(struct store *s, struct store_log *log, const char *from,
				const char *to, uint64_t n)
{
	enum { BATCH = 10000 };
	struct store_entry *en = calloc(BATCH, sizeof(*en));
	char (*bufs)[ENVELOPE_MAX] = malloc(BATCH * sizeof(*bufs));
	struct err e;
	double t0 = bu_now();

	for (uint64_t i = log->size; i < n;) {
		struct store_batch b = { .entries = en };
		for (; b.n < BATCH && i < n; b.n++, i++) {
			en[b.n].envelope = bufs[b.n];
			en[b.n].len = bu_envelope(bufs[b.n], ENVELOPE_MAX, from, to, i);
		}
		if (store_append(s, log, &b, NULL, &e) < 0) {
			fprintf(stderr, "building %s -> %s: %s\n", from, to, e.msg);
			exit(1);
		}
		if (i % 1000000 == 0 || i == n)
			fprintf(stderr, "  built %llu / %llu entries (%.0f s)\n",
				(unsigned long long)i, (unsigned long long)n, bu_now() - t0);
	}
	log->size = n;
	free(en);
	free(bufs);
}

#endif
