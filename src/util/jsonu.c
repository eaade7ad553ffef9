/* jsonu.c — strict-JSON helpers. */
#include "util/jsonu.h"

#include <string.h>

int jsonu_only_keys(json_t *o, const char *const *allowed, const char *where, struct err *e)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			ok |= strcmp(*a, k) == 0;
		if (!ok)
			return err_set(e, ERR_INVALID, "%s: unknown key '%.40s'", where, k);
	}
	return 0;
}
