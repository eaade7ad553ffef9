/* charter.c — charter parsing and body validation (jansson). */
#include "core/charter.h"

#include "core/envelope.h"
#include "util/bytes.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/jsonu.h"

static const char *const kind_names[FIELD_KIND_COUNT] = {
	"text", "date", "ip", "domain", "url", "hash", "email", "person", "enum",
};

const char *charter_kind_name(enum field_kind k)
{
	return (unsigned)k < FIELD_KIND_COUNT ? kind_names[k] : "?";
}

int charter_tlp_valid(const char *s)
{
	static const char *const labels[] = { "clear", "green", "amber", "amber+strict", "red" };

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(s, labels[i]) == 0)
			return 1;
	return 0;
}

int charter_duration(const char *s, int64_t *secs)
{
	int64_t v = 0, unit;
	size_t n = strlen(s);

	if (n < 2 || n > 6 || s[0] == '0') /* at most 5 digits */
		return -1;
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	switch (s[n - 1]) {
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return -1;
	}
	*secs = v * unit;
	return 0;
}

void charter_free(struct charter *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ntypes; i++) {
		for (size_t f = 0; f < c->types[i].nfields; f++)
			free(c->types[i].fields[f].values);
		free(c->types[i].fields);
	}
	free(c->types);
	free(c);
}

const struct charter_type *charter_type(const struct charter *c, const char *name)
{
	for (size_t i = 0; i < c->ntypes; i++)
		if (strcmp(c->types[i].name, name) == 0)
			return &c->types[i];
	return NULL;
}

/* A bounded string without control characters into dst. */
static int get_str(json_t *o, const char *key, char *dst, size_t cap, int required,
		   const char *where, struct err *e)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	if (!v) {
		if (required)
			return err_set(e, ERR_INVALID, "%s: '%s' is missing", where, key);
		dst[0] = '\0';
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= cap)
		return err_set(e, ERR_INVALID, "%s.%s: must be a string of 1 to %zu bytes", where,
			       key, cap - 1);
	s = json_string_value(v);
	for (size_t i = 0; i < json_string_length(v); i++)
		if ((unsigned char)s[i] < 0x20)
			return err_set(e, ERR_INVALID, "%s.%s: control character", where, key);
	memcpy(dst, s, json_string_length(v) + 1);
	return 0;
}

static int parse_field(json_t *x, size_t i, const char *tname, struct charter_field *f,
		       struct err *e)
{
	static const char *const keys[] = { "name", "kind", "required", "values", NULL };
	char where[128], kind[16];
	json_t *req, *vals;
	int rc;

	snprintf(where, sizeof(where), "types.%s.fields[%zu]", tname, i);
	if (!json_is_object(x))
		return err_set(e, ERR_INVALID, "%s: not an object", where);
	if ((rc = jsonu_only_keys(x, keys, where, e)) < 0 ||
	    (rc = get_str(x, "name", f->name, sizeof(f->name), 1, where, e)) < 0 ||
	    (rc = get_str(x, "kind", kind, sizeof(kind), 1, where, e)) < 0)
		return rc;
	for (const char *p = f->name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (p > f->name && ((*p >= '0' && *p <= '9') ||
								  *p == '_' || *p == '-'))))
			return err_set(e, ERR_INVALID,
				       "%s: name '%s' must be a-z 0-9 - _, starting with a letter",
				       where, f->name);
	f->kind = FIELD_KIND_COUNT;
	for (int k = 0; k < FIELD_KIND_COUNT; k++)
		if (strcmp(kind, kind_names[k]) == 0)
			f->kind = (enum field_kind)k;
	if (f->kind == FIELD_KIND_COUNT)
		return err_set(e, ERR_INVALID,
			       "%s: kind '%s' is not one of text date ip domain url hash email person enum",
			       where, kind);
	req = json_object_get(x, "required");
	if (req && !json_is_boolean(req))
		return err_set(e, ERR_INVALID, "%s.required: must be true or false", where);
	f->required = req ? json_is_true(req) : 0;
	vals = json_object_get(x, "values");
	if ((f->kind == FIELD_ENUM) != (vals != NULL))
		return err_set(e, ERR_INVALID, "%s: 'values' is %s", where,
			       f->kind == FIELD_ENUM ? "required for an enum" : "only for an enum");
	if (!vals)
		return 0;
	if (!json_is_array(vals) || json_array_size(vals) == 0 ||
	    json_array_size(vals) > CHARTER_MAX_VALUES)
		return err_set(e, ERR_INVALID, "%s.values: 1 to %d strings", where, CHARTER_MAX_VALUES);
	if (!(f->values = calloc(json_array_size(vals), sizeof(*f->values))))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t v = 0; v < json_array_size(vals); v++) {
		json_t *s = json_array_get(vals, v);
		if (!json_is_string(s) || json_string_length(s) == 0 ||
		    json_string_length(s) >= sizeof(f->values[0]))
			return err_set(e, ERR_INVALID, "%s.values[%zu]: a string of 1 to 64 bytes",
				       where, v);
		memcpy(f->values[v], json_string_value(s), json_string_length(s) + 1);
		for (size_t w = 0; w < v; w++)
			if (strcmp(f->values[w], f->values[v]) == 0)
				return err_set(e, ERR_INVALID, "%s.values: '%s' twice", where,
					       f->values[v]);
		f->nvalues = v + 1;
	}
	return 0;
}

static int parse_duration(json_t *t, const char *key, int nullable, int64_t *out,
			  const char *where, struct err *e)
{
	json_t *v = json_object_get(t, key);

	if (!v)
		return err_set(e, ERR_INVALID, "%s: '%s' is missing", where, key);
	if (json_is_null(v) && nullable) {
		*out = -1;
		return 0;
	}
	if (!json_is_string(v) || charter_duration(json_string_value(v), out) < 0)
		return err_set(e, ERR_INVALID,
			       "%s.%s: a duration like \"90m\", \"8h\", \"30d\" or \"2w\"%s", where,
			       key, nullable ? ", or null" : "");
	return 0;
}

static int parse_type(const char *name, json_t *t, struct charter_type *ct, struct err *e)
{
	static const char *const keys[] = { "title", "tlp", "ack_within", "answer_within",
					    "fields", NULL };
	char where[100];
	json_t *fields;
	int rc;

	snprintf(where, sizeof(where), "types.%.64s", name);
	if (!envelope_type_valid(name, strlen(name)))
		return err_set(e, ERR_INVALID, "%s: a type name is 1-64 of a-z 0-9 -, starting with a letter",
			       where);
	memcpy(ct->name, name, strlen(name) + 1);
	if (!json_is_object(t))
		return err_set(e, ERR_INVALID, "%s: not an object", where);
	if ((rc = jsonu_only_keys(t, keys, where, e)) < 0 ||
	    (rc = get_str(t, "title", ct->title, sizeof(ct->title), 1, where, e)) < 0 ||
	    (rc = get_str(t, "tlp", ct->tlp, sizeof(ct->tlp), 1, where, e)) < 0 ||
	    (rc = parse_duration(t, "ack_within", 0, &ct->ack_within, where, e)) < 0 ||
	    (rc = parse_duration(t, "answer_within", 1, &ct->answer_within, where, e)) < 0)
		return rc;
	if (!charter_tlp_valid(ct->tlp))
		return err_set(e, ERR_INVALID, "%s.tlp: one of clear green amber amber+strict red",
			       where);
	fields = json_object_get(t, "fields");
	if (!json_is_array(fields) || json_array_size(fields) > CHARTER_MAX_FIELDS)
		return err_set(e, ERR_INVALID, "%s.fields: an array of at most %d fields", where,
			       CHARTER_MAX_FIELDS);
	if (json_array_size(fields) &&
	    !(ct->fields = calloc(json_array_size(fields), sizeof(*ct->fields))))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < json_array_size(fields); i++) {
		ct->nfields = i + 1;
		if ((rc = parse_field(json_array_get(fields, i), i, name, &ct->fields[i], e)) < 0)
			return rc;
		for (size_t k = 0; k < i; k++)
			if (strcmp(ct->fields[k].name, ct->fields[i].name) == 0)
				return err_set(e, ERR_INVALID, "%s.fields: '%s' twice", where,
					       ct->fields[i].name);
	}
	return 0;
}

int charter_parse(struct charter **out, const char *json, size_t len, struct err *e)
{
	static const char *const keys[] = { "charter", "title", "types", NULL };
	struct charter *c = NULL;
	json_error_t je;
	json_t *o, *types, *t;
	const char *name;
	char magic[32];
	int rc = 0;

	*out = NULL;
	if (len > CHARTER_MAX)
		return err_set(e, ERR_TOOBIG, "charter: over %u bytes", CHARTER_MAX);
	if (!(o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je)))
		return err_set(e, ERR_INVALID, "charter: not JSON: %s (line %d)", je.text, je.line);
	if (!json_is_object(o)) {
		rc = err_set(e, ERR_INVALID, "charter: not a JSON object");
		goto out;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = jsonu_only_keys(o, keys, "charter", e)) < 0 ||
	    (rc = get_str(o, "charter", magic, sizeof(magic), 1, "charter", e)) < 0 ||
	    (rc = get_str(o, "title", c->title, sizeof(c->title), 1, "charter", e)) < 0)
		goto out;
	if (strcmp(magic, "parley-charter/1") != 0) {
		rc = err_set(e, ERR_INVALID, "charter: \"charter\" must be \"parley-charter/1\"");
		goto out;
	}
	types = json_object_get(o, "types");
	if (!json_is_object(types) || json_object_size(types) == 0 ||
	    json_object_size(types) > CHARTER_MAX_TYPES) {
		rc = err_set(e, ERR_INVALID, "charter: 'types' must be an object of 1 to %d types",
			     CHARTER_MAX_TYPES);
		goto out;
	}
	if (!(c->types = calloc(json_object_size(types), sizeof(*c->types)))) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	json_object_foreach(types, name, t) {
		c->ntypes++;
		if ((rc = parse_type(name, t, &c->types[c->ntypes - 1], e)) < 0)
			goto out;
	}
	*out = c;
	c = NULL;
out:
	charter_free(c);
	json_decref(o);
	return rc;
}

static int is_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int domain_ok(const char *s)
{
	size_t n = strlen(s), label = 0, dots = 0;

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)s[i]);
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			dots++;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') ||
		    (label == 0 && c == '-') || ++label > 63)
			return 0;
	}
	return dots > 0 && s[n - 1] != '-';
}

static int ip_ok(const char *s)
{
	char buf[64];
	unsigned char addr[16];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int v6, max;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	v6 = strchr(buf, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, addr) != 1)
		return 0;
	if (!slash)
		return 1;
	max = v6 ? 128 : 32;
	n = strlen(slash + 1);
	if (n == 0 || n > 3 || !is_digits(slash + 1, n) || (n > 1 && slash[1] == '0'))
		return 0;
	return atoi(slash + 1) <= max;
}

int charter_value_check(const struct charter_field *f, const char *v, struct err *e)
{
	size_t n = strlen(v);
	int64_t t;

	if (n == 0 || n > CHARTER_VALUE_MAX)
		return err_set(e, ERR_INVALID, "field '%s': empty or over %d bytes", f->name,
			       CHARTER_VALUE_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 && !(f->kind == FIELD_TEXT && (v[i] == '\n' || v[i] == '\t')))
			return err_set(e, ERR_INVALID, "field '%s': control character", f->name);
	switch (f->kind) {
	case FIELD_TEXT:
		return 0;
	case FIELD_PERSON:
		return n <= 200 ? 0 : err_set(e, ERR_INVALID, "field '%s': a name of at most 200 bytes", f->name);
	case FIELD_DATE:
		if (n != 10 || envelope_date_parse(v, n, &t) < 0)
			return err_set(e, ERR_INVALID, "field '%s': '%.40s' is not a date YYYY-MM-DD",
				       f->name, v);
		return 0;
	case FIELD_IP:
		return ip_ok(v) ? 0 : err_set(e, ERR_INVALID,
					     "field '%s': '%.60s' is not an IP address or prefix", f->name, v);
	case FIELD_DOMAIN:
		return domain_ok(v) ? 0 : err_set(e, ERR_INVALID,
						 "field '%s': '%.60s' is not a domain name", f->name, v);
	case FIELD_URL: {
		const char *host = strncmp(v, "https://", 8) == 0 ? v + 8
				   : strncmp(v, "http://", 7) == 0 ? v + 7 : NULL;
		if (!host || !*host || *host == '/' || strpbrk(v, " \"<>\\^`{|}"))
			return err_set(e, ERR_INVALID, "field '%s': '%.60s' is not an http(s) URL",
				       f->name, v);
		return 0;
	}
	case FIELD_HASH: {
		const char *h = strchr(v, ':') ? strchr(v, ':') + 1 : v;
		size_t hl = strlen(h);
		int ok = hl == 32 || hl == 40 || hl == 64 || hl == 128;
		for (size_t i = 0; ok && i < hl; i++)
			ok = isxdigit((unsigned char)h[i]);
		if (!ok || (h != v && (size_t)(h - v) > 8))
			return err_set(e, ERR_INVALID,
				       "field '%s': '%.80s' is not an MD5, SHA-1, SHA-256 or SHA-512 hex digest",
				       f->name, v);
		return 0;
	}
	case FIELD_EMAIL: {
		const char *at = strchr(v, '@');
		if (!at || at == v || (size_t)(at - v) > 64 || strchr(at + 1, '@') ||
		    strpbrk(v, " \t\"<>(),;:\\[]") || !domain_ok(at + 1))
			return err_set(e, ERR_INVALID, "field '%s': '%.60s' is not an e-mail address",
				       f->name, v);
		return 0;
	}
	case FIELD_ENUM:
		for (size_t i = 0; i < f->nvalues; i++)
			if (strcmp(f->values[i], v) == 0)
				return 0;
		return err_set(e, ERR_INVALID, "field '%s': '%.60s' is not one of the charter's values",
			       f->name, v);
	case FIELD_KIND_COUNT:
		break;
	}
	return err_set(e, ERR_INVALID, "field '%s': unknown kind", f->name);
}

static int hex32(const char *s, uint8_t out[32])
{
	if (strlen(s) != 64)
		return -1;
	for (int i = 0; i < 64; i++) {
		int c = s[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		if (out)
			out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] | d) : d << 4);
	}
	return 0;
}

/* "attachments": [{"name", "sha256", "size"}, ...], at most 16. */
static int check_attachments(json_t *a, struct err *e)
{
	static const char *const keys[] = { "name", "sha256", "size", NULL };
	char name[256], hex[65];

	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > CHARTER_MAX_ATTACHMENTS)
		return err_set(e, ERR_INVALID, "body.attachments: an array of at most %d",
			       CHARTER_MAX_ATTACHMENTS);
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *x = json_array_get(a, i), *size;
		char where[40];
		int rc;

		snprintf(where, sizeof(where), "body.attachments[%zu]", i);
		if (!json_is_object(x))
			return err_set(e, ERR_INVALID, "%s: not an object", where);
		if ((rc = jsonu_only_keys(x, keys, where, e)) < 0 ||
		    (rc = get_str(x, "name", name, sizeof(name), 1, where, e)) < 0 ||
		    (rc = get_str(x, "sha256", hex, sizeof(hex), 1, where, e)) < 0)
			return rc;
		if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			return err_set(e, ERR_INVALID, "%s.name: a file name without '/'", where);
		if (hex32(hex, NULL) < 0)
			return err_set(e, ERR_INVALID, "%s.sha256: 64 lower-case hex digits", where);
		size = json_object_get(x, "size");
		if (!json_is_integer(size) || json_integer_value(size) < 0)
			return err_set(e, ERR_INVALID, "%s.size: a number of bytes", where);
	}
	return 0;
}

int charter_body_attachments(const char *body, size_t len, uint8_t (*out)[32],
			     size_t max, size_t *n, struct err *e)
{
	json_t *o, *a;
	int rc = 0;

	*n = 0;
	/* "\u0061ttachments" is the same key to jansson (and to
	 * charter_body_check): only a body with neither may skip the parse. */
	if (!bytes_contain(body, len, "\"attachments\"") && !bytes_contain(body, len, "\\u"))
		return 0;
	o = json_loadb(body, len, 0, NULL);
	a = json_object_get(o, "attachments");
	for (size_t i = 0; json_is_array(a) && i < json_array_size(a); i++) {
		const char *h = json_string_value(json_object_get(json_array_get(a, i), "sha256"));
		if (*n == max) {
			rc = err_set(e, ERR_INVALID, "more than %zu attachments", max);
			break;
		}
		if (!h || hex32(h, out[*n]) < 0) {
			rc = err_set(e, ERR_INVALID, "attachments[%zu]: sha256 is not 64 hex digits", i);
			break;
		}
		(*n)++;
	}
	json_decref(o);
	return rc;
}

int charter_body_check(const struct charter_type *t, const char *body, size_t len,
		       struct err *e)
{
	static const char *const keys[] = { "subject", "text", "tlp", "fields", "attachments", NULL };
	json_error_t je;
	json_t *o, *fields, *v;
	const char *k;
	char subject[CHARTER_SUBJECT_MAX + 1], tlp[16];
	int rc = 0;

	if (len > CHARTER_BODY_MAX)
		return err_set(e, ERR_TOOBIG, "body: over %u bytes", CHARTER_BODY_MAX);
	if (!(o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)))
		return err_set(e, ERR_INVALID, "body: not JSON: %s", je.text);
	if (!json_is_object(o)) {
		rc = err_set(e, ERR_INVALID, "body: not a JSON object");
		goto out;
	}
	if ((rc = jsonu_only_keys(o, keys, "body", e)) < 0 ||
	    (rc = get_str(o, "subject", subject, sizeof(subject), 1, "body", e)) < 0 ||
	    (rc = get_str(o, "tlp", tlp, sizeof(tlp), 0, "body", e)) < 0)
		goto out;
	if (tlp[0] && !charter_tlp_valid(tlp)) {
		rc = err_set(e, ERR_INVALID, "body.tlp: one of clear green amber amber+strict red");
		goto out;
	}
	if ((v = json_object_get(o, "text")) &&
	    (!json_is_string(v) || json_string_length(v) > CHARTER_TEXT_MAX)) {
		rc = err_set(e, ERR_INVALID, "body.text: a string of at most %u bytes", CHARTER_TEXT_MAX);
		goto out;
	}
	if ((rc = check_attachments(json_object_get(o, "attachments"), e)) < 0)
		goto out;
	fields = json_object_get(o, "fields");
	if (fields && !json_is_object(fields)) {
		rc = err_set(e, ERR_INVALID, "body.fields: not an object");
		goto out;
	}
	json_object_foreach(fields, k, v) {
		const struct charter_field *f = NULL;
		for (size_t i = 0; i < t->nfields; i++)
			if (strcmp(t->fields[i].name, k) == 0)
				f = &t->fields[i];
		if (!f) {
			rc = err_set(e, ERR_INVALID, "field '%.64s' is not in the charter for %s", k, t->name);
			goto out;
		}
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
			rc = err_set(e, ERR_INVALID, "field '%s': must be a string", f->name);
			goto out;
		}
		if ((rc = charter_value_check(f, json_string_value(v), e)) < 0)
			goto out;
	}
	for (size_t i = 0; i < t->nfields; i++)
		if (t->fields[i].required && !json_object_get(fields, t->fields[i].name)) {
			rc = err_set(e, ERR_INVALID, "field '%s' is required for %s", t->fields[i].name,
				     t->name);
			goto out;
		}
out:
	json_decref(o);
	return rc;
}
