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

#endif
