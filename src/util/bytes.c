/* bytes.c — see bytes.h. */
#define _GNU_SOURCE /* memmem: glibc's two-way search, not a byte loop */
#include "util/bytes.h"

#include <string.h>

int bytes_contain(const char *buf, size_t len, const char *needle)
{
	return memmem(buf, len, needle, strlen(needle)) != NULL;
}
