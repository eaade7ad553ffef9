/* jsonu.h — small strict-JSON helpers shared by the parsers of outside
 * input (charters, bodies, batches, API requests). */
#ifndef PARLEY_JSONU_H
#define PARLEY_JSONU_H

#include <jansson.h>

#include "util/err.h"

/* ERR_INVALID "WHERE: unknown key 'K'" unless every key of o is in allowed
 * (NULL-terminated); 0 otherwise. */
int jsonu_only_keys(json_t *o, const char *const *allowed, const char *where, struct err *e);

#endif
