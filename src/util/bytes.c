/* bytes.c — see bytes.h. */
#include "util/bytes.h"

#include <string.h>

int bytes_contain(const char *buf, size_t len, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= len; i++)
		if (buf[i] == needle[0] && memcmp(buf + i, needle, k) == 0)
			return 1;
	return 0;
}
