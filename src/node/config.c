/* config.c — parsing and writing parley.conf. */
#include "node/config.h"

#include "core/envelope.h"

#include <stdio.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const char **s, const char **end)
{
	while (*s < *end && is_blank(**s))
		(*s)++;
	while (*end > *s && is_blank((*end)[-1]))
		(*end)--;
}

int config_parse(struct config *c, const char *text, size_t len,
		 const char *path, struct err *e)
{
	const char *p = text, *end = text + len;
	int line = 0, seen_name = 0, seen_store = 0, seen_listen = 0, seen_endpoint = 0, seen_op = 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->store, sizeof(c->store), "sqlite:parley.db");
	snprintf(c->listen, sizeof(c->listen), "%s", CONFIG_LISTEN_DEFAULT);
	if (len > CONFIG_MAX)
		return err_set(e, ERR_INVALID, "%s: longer than %d bytes", path,
			       CONFIG_MAX);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *k, *ke, *v, *ve, *eq;
		size_t vl;

		line++;
		for (const char *q = p; q < le; q++)
			if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
				return err_set(e, ERR_INVALID,
					       "%s:%d: control character", path, line);
		k = p;
		ke = le;
		p = nl ? nl + 1 : end;
		trim(&k, &ke);
		if (k == ke || *k == '#')
			continue;
		if (!(eq = memchr(k, '=', (size_t)(ke - k))))
			return err_set(e, ERR_INVALID,
				       "%s:%d: expected \"key = value\"", path, line);
		v = eq + 1;
		ve = ke;
		ke = eq;
		trim(&k, &ke);
		trim(&v, &ve);
		vl = (size_t)(ve - v);
		if (vl == 0 || vl >= CONFIG_VALUE_MAX)
			return err_set(e, ERR_INVALID,
				       "%s:%d: value is empty or longer than %d bytes",
				       path, line, CONFIG_VALUE_MAX - 1);
		if ((size_t)(ke - k) == 4 && memcmp(k, "name", 4) == 0) {
			if (seen_name++)
				return err_set(e, ERR_INVALID, "%s:%d: 'name' given twice", path, line);
			if (!envelope_name_valid(v, vl))
				return err_set(e, ERR_INVALID,
					       "%s:%d: name must be 1-128 of a-z 0-9 . - (starting and ending with a letter or digit)",
					       path, line);
			memcpy(c->name, v, vl);
		} else if ((size_t)(ke - k) == 5 && memcmp(k, "store", 5) == 0) {
			if (seen_store++)
				return err_set(e, ERR_INVALID, "%s:%d: 'store' given twice", path, line);
			memcpy(c->store, v, vl);
			c->store[vl] = '\0';
		} else if ((size_t)(ke - k) == 6 && memcmp(k, "listen", 6) == 0) {
			char host[256];
			unsigned port;
			if (seen_listen++)
				return err_set(e, ERR_INVALID, "%s:%d: 'listen' given twice", path, line);
			if (vl >= sizeof(c->listen))
				return err_set(e, ERR_INVALID, "%s:%d: 'listen' too long", path, line);
			memcpy(c->listen, v, vl);
			c->listen[vl] = '\0';
			if (config_listen_split(c->listen, host, sizeof(host), &port, e) < 0)
				return err_wrap(e, "%s:%d", path, line);
		} else if ((size_t)(ke - k) == 15 && memcmp(k, "operator_listen", 15) == 0) {
			char host[256];
			unsigned port;
			if (seen_op++)
				return err_set(e, ERR_INVALID, "%s:%d: 'operator_listen' given twice", path, line);
			if (vl >= sizeof(c->operator_listen))
				return err_set(e, ERR_INVALID, "%s:%d: 'operator_listen' too long", path, line);
			memcpy(c->operator_listen, v, vl);
			c->operator_listen[vl] = '\0';
			if (config_listen_split(c->operator_listen, host, sizeof(host), &port, e) < 0)
				return err_wrap(e, "%s:%d", path, line);
		} else if ((size_t)(ke - k) == 8 && memcmp(k, "endpoint", 8) == 0) {
			if (seen_endpoint++)
				return err_set(e, ERR_INVALID, "%s:%d: 'endpoint' given twice", path, line);
			if (vl >= sizeof(c->endpoint) || vl < 9 || memcmp(v, "https://", 8) != 0)
				return err_set(e, ERR_INVALID,
					       "%s:%d: endpoint must be https://HOST:PORT", path, line);
			memcpy(c->endpoint, v, vl);
			c->endpoint[vl] = '\0';
		} else {
			return err_set(e, ERR_INVALID, "%s:%d: unknown key '%.*s'",
				       path, line, (int)(ke - k > 40 ? 40 : ke - k), k);
		}
	}
	if (!seen_name)
		return err_set(e, ERR_INVALID, "%s: 'name' is missing", path);
	if (!seen_endpoint)
		snprintf(c->endpoint, sizeof(c->endpoint), "https://%s", c->listen);
	return 0;
}

int config_listen_split(const char *listen, char *host, size_t cap,
			unsigned *port, struct err *e)
{
	const char *colon, *p;
	size_t hl;
	unsigned long v = 0;

	if (listen[0] == '[') {
		const char *rb = strchr(listen, ']');
		if (!rb || rb[1] != ':')
			return err_set(e, ERR_INVALID, "listen '%s': expected [IPv6]:PORT", listen);
		hl = (size_t)(rb - listen - 1);
		p = listen + 1;
		colon = rb + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return err_set(e, ERR_INVALID, "listen '%s': expected HOST:PORT", listen);
		hl = (size_t)(colon - listen);
		p = listen;
	}
	if (hl == 0 || hl >= cap)
		return err_set(e, ERR_INVALID, "listen '%s': bad host", listen);
	if (colon[1] == '\0' || strlen(colon + 1) > 5)
		return err_set(e, ERR_INVALID, "listen '%s': bad port", listen);
	for (const char *d = colon + 1; *d; d++) {
		if (*d < '0' || *d > '9')
			return err_set(e, ERR_INVALID, "listen '%s': bad port", listen);
		v = v * 10 + (unsigned long)(*d - '0');
	}
	if (v > 65535)
		return err_set(e, ERR_INVALID, "listen '%s': port above 65535", listen);
	memcpy(host, p, hl);
	host[hl] = '\0';
	*port = (unsigned)v;
	return 0;
}

int config_format(const struct config *c, char *buf, size_t cap, size_t *len,
		  struct err *e)
{
	int n = snprintf(buf, cap,
			 "# parley node configuration (parley.conf(5))\n"
			 "name = %s\n"
			 "store = %s\n"
			 "# the peer API (mutual TLS): where parley serve listens,\n"
			 "# and the URL peers use to reach it\n"
			 "listen = %s\n"
			 "endpoint = %s\n"
			 "%s%s%s",
			 c->name, c->store, c->listen, c->endpoint,
			 c->operator_listen[0] ? "# the operator API (bearer tokens)\noperator_listen = " : "",
			 c->operator_listen, c->operator_listen[0] ? "\n" : "");

	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ERR_TOOBIG, "configuration too long");
	*len = (size_t)n;
	return 0;
}
