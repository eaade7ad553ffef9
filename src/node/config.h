/* config.h — parley.conf: "key = value" lines, '#' comments, known keys
 * only. Strict: an unknown or repeated key, a missing '=', or a bad value
 * is an error naming the line. */
#ifndef PARLEY_CONFIG_H
#define PARLEY_CONFIG_H

#include <stddef.h>

#include "util/err.h"

#define CONFIG_MAX 16384
#define CONFIG_VALUE_MAX 1024

#define CONFIG_LISTEN_DEFAULT "127.0.0.1:7443"
#define CONFIG_OPERATOR_LISTEN_DEFAULT "127.0.0.1:7444"

struct config {
	char name[129];                /* the party's name */
	char store[CONFIG_VALUE_MAX];  /* store URL, relative paths from dir */
	char listen[256];              /* peer API: "IPv4:port" or "[IPv6]:port" */
	char endpoint[272];            /* what peers dial: "https://host:port" */
	char operator_listen[256];     /* operator API; "" is off */
};

/* Splits a listen address into host and port. Returns 0 or ERR_INVALID. */
int config_listen_split(const char *listen, char *host, size_t cap,
			unsigned *port, struct err *e);

/* Parses text (len bytes). path is only for messages. Returns 0 or
 * ERR_INVALID with "path:line: ...". */
int config_parse(struct config *c, const char *text, size_t len,
		 const char *path, struct err *e);
/* Writes the canonical text of c into buf. Returns 0 or ERR_TOOBIG. */
int config_format(const struct config *c, char *buf, size_t cap, size_t *len,
		  struct err *e);

#endif
