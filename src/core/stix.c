/* stix.c — STIX 2.1 bundles of cases. See stix.h. */
#include "core/stix.h"

#include "core/envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha1.h>

/* The STIX 2.1 namespace for deterministic identifiers (section 2.9). */
static const uint8_t stix_ns[16] = { 0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
				     0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7 };

/* The TLP 1.0 marking definitions STIX 2.1 predefines (section 7.2.1.4). */
static const struct {
	const char *tlp, *id;
} tlps[] = {
	{ "white", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" },
	{ "green", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" },
	{ "amber", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" },
	{ "red", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" },
};

/* TYPE--UUIDv5(namespace, name) into out. */
static void stix_id(char out[80], const char *type, const char *role, const char *name)
{
	struct sha1_ctx ctx;
	uint8_t d[SHA1_DIGEST_SIZE];

	sha1_init(&ctx);
	sha1_update(&ctx, sizeof(stix_ns), stix_ns);
	sha1_update(&ctx, strlen("parley:"), (const uint8_t *)"parley:");
	sha1_update(&ctx, strlen(role), (const uint8_t *)role);
	sha1_update(&ctx, 1, (const uint8_t *)":");
	sha1_update(&ctx, strlen(name), (const uint8_t *)name);
	sha1_digest(&ctx, sizeof(d), d);
	d[6] = (uint8_t)((d[6] & 0x0f) | 0x50); /* version 5 */
	d[8] = (uint8_t)((d[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 80, "%s--%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 type, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12],
		 d[13], d[14], d[15]);
}

/* A STIX timestamp with milliseconds. */
static int stamp(int64_t t, char out[32], struct err *e)
{
	char iso[21];

	if (envelope_time_format(t, iso, e) < 0)
		return -1;
	snprintf(out, 32, "%.19s.000Z", iso);
	return 0;
}

static const char *tlp_marking(const char *tlp)
{
	const char *t = !tlp ? "amber" : !strcmp(tlp, "clear") ? "white"
		      : !strcmp(tlp, "amber+strict") ? "amber" : tlp;

	for (size_t i = 0; i < sizeof(tlps) / sizeof(tlps[0]); i++)
		if (strcmp(tlps[i].tlp, t) == 0)
			return tlps[i].id;
	return tlps[2].id;
}

/* A pattern string literal: ' and \ escaped. */
static void quote(char *out, size_t cap, const char *v)
{
	size_t n = 0;

	for (; *v && n + 3 < cap; v++) {
		if (*v == '\'' || *v == '\\')
			out[n++] = '\\';
		out[n++] = *v;
	}
	out[n] = '\0';
}

static const char *field(json_t *fields, const char *name)
{
	return json_string_value(json_object_get(fields, name));
}

json_t *stix_export(const struct stix_case *c, struct err *e)
{
	static const char *const observable[] = { "source_ip", "domain", "url", "sample_hash" };
	char ident[80], incident[80], created[32], valid[32], q[4200], pattern[4400];
	const char *marking = tlp_marking(c->tlp), *first = field(c->fields, "first_seen");
	const char *desc = c->text && *c->text ? c->text : field(c->fields, "summary");
	json_t *objs = json_array(), *inc, *labels = json_array();
	int64_t vf = c->created;

	if (stamp(c->created, created, e) < 0) {
		json_decref(objs);
		json_decref(labels);
		return NULL;
	}
	if (first && envelope_date_parse(first, strlen(first), &vf) < 0)
		vf = c->created;
	stamp(vf, valid, e);
	stix_id(ident, "identity", "identity", c->requester);
	stix_id(incident, "incident", "incident", c->id);
	json_array_append_new(objs, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "identity",
					      "spec_version", "2.1", "id", ident, "created", created,
					      "modified", created, "name", c->requester, "identity_class",
					      "organization"));
	for (size_t i = 0; i < sizeof(tlps) / sizeof(tlps[0]); i++)
		if (strcmp(tlps[i].id, marking) == 0) {
			char name[32];
			snprintf(name, sizeof(name), "TLP:%s", tlps[i].tlp);
			for (char *p = name + 4; *p; p++)
				*p = (char)(*p - 'a' + 'A');
			json_array_append_new(objs, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s}}", "type",
							      "marking-definition", "spec_version", "2.1",
							      "id", marking, "created",
							      "2017-01-20T00:00:00.000Z", "definition_type",
							      "tlp", "name", name, "definition", "tlp",
							      tlps[i].tlp));
		}
	if (field(c->fields, "severity")) {
		char l[100];
		snprintf(l, sizeof(l), "severity:%s", field(c->fields, "severity"));
		json_array_append_new(labels, json_string(l));
	}
	inc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s],s:[{s:s,s:s}]}", "type", "incident",
			"spec_version", "2.1", "id", incident, "created", created, "modified", created,
			"name", c->subject, "created_by_ref", ident, "object_marking_refs", marking,
			"external_references", "source_name", "parley", "external_id", c->id);
	if (!inc) {
		json_decref(objs);
		json_decref(labels);
		err_set(e, ERR_INVALID, "the case's subject is not text STIX can hold");
		return NULL;
	}
	if (desc)
		json_object_set_new(inc, "description", json_string(desc));
	if (json_array_size(labels))
		json_object_set(inc, "labels", labels);
	json_decref(labels);
	json_array_append_new(objs, inc);
	for (size_t i = 0; i < sizeof(observable) / sizeof(observable[0]); i++) {
		const char *v = field(c->fields, observable[i]);
		char ind[80], rel[80], name[200];
		size_t vl;

		if (!v)
			continue;
		vl = strlen(v);
		quote(q, sizeof(q), v);
		if (i == 0)
			snprintf(pattern, sizeof(pattern), "[%s:value = '%s']",
				 strchr(v, ':') ? "ipv6-addr" : "ipv4-addr", q);
		else if (i == 1)
			snprintf(pattern, sizeof(pattern), "[domain-name:value = '%s']", q);
		else if (i == 2)
			snprintf(pattern, sizeof(pattern), "[url:value = '%s']", q);
		else
			snprintf(pattern, sizeof(pattern), "[file:hashes.%s = '%s']",
				 vl == 32 ? "MD5" : vl == 40 ? "'SHA-1'" : vl == 128 ? "'SHA-512'" : "'SHA-256'", q);
		snprintf(name, sizeof(name), "%s of case %s", observable[i], c->id);
		stix_id(ind, "indicator", observable[i], c->id);
		stix_id(rel, "relationship", observable[i], c->id);
		json_array_append_new(objs, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s],s:s,s:s,s:s,s:[s]}",
						      "type", "indicator", "spec_version", "2.1", "id", ind,
						      "created", created, "modified", created, "name", name,
						      "created_by_ref", ident, "indicator_types",
						      "malicious-activity", "pattern", pattern, "pattern_type",
						      "stix", "valid_from", valid, "object_marking_refs",
						      marking));
		json_array_append_new(objs, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}",
						      "type", "relationship", "spec_version", "2.1", "id",
						      rel, "created", created, "modified", created,
						      "relationship_type", "related-to", "source_ref", ind,
						      "target_ref", incident, "created_by_ref", ident,
						      "object_marking_refs", marking));
	}
	{
		char bid[80];
		stix_id(bid, "bundle", "bundle", c->id);
		return json_pack("{s:s,s:s,s:o}", "type", "bundle", "id", bid, "objects", objs);
	}
}

/* The quoted value after key in a STIX pattern, unescaped; 0 if absent. */
static int pattern_value(const char *pattern, const char *key, char *out, size_t cap)
{
	const char *p = strstr(pattern, key), *q;
	size_t n = 0;

	if (!p)
		return 0;
	p += strlen(key);
	while (*p == ' ')
		p++;
	if (*p != '=')
		return 0;
	for (p++; *p == ' '; p++)
		;
	if (*p != '\'')
		return 0;
	for (q = p + 1; *q && *q != '\'' && n + 1 < cap; q++) {
		if (*q == '\\' && q[1])
			q++;
		out[n++] = *q;
	}
	out[n] = '\0';
	return *q == '\'' && n > 0;
}

static char *dup_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? strdup(s) : NULL;
}

int stix_import(const char *json, size_t len, char **subject, char **text, char **tlp,
		json_t **fields, struct err *e)
{
	json_error_t je;
	json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je), *objs, *inc = NULL;
	char first[11] = "";
	int rc = 0;

	*subject = *text = *tlp = NULL;
	*fields = NULL;
	if (!o)
		return err_set(e, ERR_INVALID, "STIX: not JSON: %s (line %d)", je.text, je.line);
	objs = json_object_get(o, "objects");
	if (!json_is_string(json_object_get(o, "type")) ||
	    strcmp(json_string_value(json_object_get(o, "type")), "bundle") != 0 || !json_is_array(objs)) {
		rc = err_set(e, ERR_INVALID, "STIX: not a bundle ({\"type\":\"bundle\",\"objects\":[...]})");
		goto out;
	}
	*fields = json_object();
	for (size_t i = 0; i < json_array_size(objs); i++) {
		json_t *x = json_array_get(objs, i);
		const char *type = json_string_value(json_object_get(x, "type"));
		const char *pat = json_string_value(json_object_get(x, "pattern"));
		const char *vf = json_string_value(json_object_get(x, "valid_from"));
		char v[2100];

		if (!type)
			continue;
		if (!inc && (!strcmp(type, "incident") || !strcmp(type, "report")))
			inc = x;
		if (strcmp(type, "indicator") != 0 || !pat)
			continue;
		if (!json_object_get(*fields, "source_ip") &&
		    (pattern_value(pat, "ipv4-addr:value", v, sizeof(v)) ||
		     pattern_value(pat, "ipv6-addr:value", v, sizeof(v))))
			json_object_set_new(*fields, "source_ip", json_string(v));
		if (!json_object_get(*fields, "domain") && pattern_value(pat, "domain-name:value", v, sizeof(v)))
			json_object_set_new(*fields, "domain", json_string(v));
		if (!json_object_get(*fields, "url") && pattern_value(pat, "url:value", v, sizeof(v)))
			json_object_set_new(*fields, "url", json_string(v));
		if (!json_object_get(*fields, "sample_hash") &&
		    (pattern_value(pat, "file:hashes.'SHA-256'", v, sizeof(v)) ||
		     pattern_value(pat, "file:hashes.'SHA-1'", v, sizeof(v)) ||
		     pattern_value(pat, "file:hashes.'SHA-512'", v, sizeof(v)) ||
		     pattern_value(pat, "file:hashes.MD5", v, sizeof(v))))
			json_object_set_new(*fields, "sample_hash", json_string(v));
		if (vf && strlen(vf) >= 10 && (!first[0] || strncmp(vf, first, 10) < 0))
			snprintf(first, sizeof(first), "%.10s", vf);
	}
	if (!inc && !json_object_size(*fields)) {
		rc = err_set(e, ERR_INVALID, "STIX: the bundle has no incident, report or indicator to build a case from");
		goto out;
	}
	if (first[0])
		json_object_set_new(*fields, "first_seen", json_string(first));
	if (inc) {
		json_t *marks = json_object_get(inc, "object_marking_refs"), *labels = json_object_get(inc, "labels");
		*subject = dup_str(inc, "name");
		*text = dup_str(inc, "description");
		if (*text && !json_object_get(*fields, "summary")) {
			char s[4097];
			snprintf(s, sizeof(s), "%.*s", (int)strcspn(*text, "\n"), *text);
			json_object_set_new(*fields, "summary", json_string(s));
		}
		for (size_t i = 0; i < json_array_size(marks) && !*tlp; i++)
			for (size_t k = 0; k < sizeof(tlps) / sizeof(tlps[0]); k++)
				if (json_is_string(json_array_get(marks, i)) &&
				    !strcmp(json_string_value(json_array_get(marks, i)), tlps[k].id))
					*tlp = strdup(strcmp(tlps[k].tlp, "white") ? tlps[k].tlp : "clear");
		for (size_t i = 0; i < json_array_size(labels); i++) {
			const char *l = json_string_value(json_array_get(labels, i));
			if (l && strncmp(l, "severity:", 9) == 0 && l[9])
				json_object_set_new(*fields, "severity", json_string(l + 9));
		}
	}
out:
	json_decref(o);
	if (rc < 0) {
		free(*subject);
		free(*text);
		free(*tlp);
		json_decref(*fields);
		*subject = *text = *tlp = NULL;
		*fields = NULL;
	}
	return rc;
}
