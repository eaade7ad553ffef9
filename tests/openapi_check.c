/* openapi_check.c — checks docs/openapi.json and the servers against it.
 *   openapi_check SPEC [EXCHANGES]
 * First lints the spec: OpenAPI 3.1, every operation has a 2xx response,
 * every $ref resolves, every {param} of a path is declared. Then, for each
 * line "METHOD TEMPLATE STATUS FILE" of EXCHANGES (recorded by api.sh from
 * real requests), checks that the route and the status are documented and
 * that the JSON in FILE matches the response schema (type, required,
 * properties, items, enum, $ref). Ends with "N passed, M failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static json_t *spec;
static int pass, fail;

static json_t *resolve(json_t *s)
{
	const char *ref = json_string_value(json_object_get(s, "$ref"));

	if (!ref)
		return s;
	if (strncmp(ref, "#/components/schemas/", 21) != 0)
		return NULL;
	return json_object_get(json_object_get(json_object_get(spec, "components"), "schemas"), ref + 21);
}

static int type_ok(json_t *v, const char *t)
{
	if (strcmp(t, "object") == 0) return json_is_object(v);
	if (strcmp(t, "array") == 0) return json_is_array(v);
	if (strcmp(t, "string") == 0) return json_is_string(v);
	if (strcmp(t, "integer") == 0) return json_is_integer(v);
	if (strcmp(t, "number") == 0) return json_is_number(v);
	if (strcmp(t, "boolean") == 0) return json_is_boolean(v);
	if (strcmp(t, "null") == 0) return json_is_null(v);
	return 0;
}

/* Validates v against schema s; on failure writes where into why. */
static int valid(json_t *v, json_t *s, const char *at, char *why, size_t cap)
{
	json_t *t, *req, *props, *items, *en;
	const char *k;
	json_t *x;

	if (!(s = resolve(s))) {
		snprintf(why, cap, "%s: unresolvable $ref", at);
		return 0;
	}
	t = json_object_get(s, "type");
	if (json_is_string(t) && !type_ok(v, json_string_value(t))) {
		snprintf(why, cap, "%s: not of type %s", at, json_string_value(t));
		return 0;
	}
	if (json_is_array(t)) {
		int ok = 0;
		for (size_t i = 0; i < json_array_size(t); i++)
			ok |= type_ok(v, json_string_value(json_array_get(t, i)));
		if (!ok) {
			snprintf(why, cap, "%s: not of any of its types", at);
			return 0;
		}
	}
	if ((en = json_object_get(s, "enum"))) {
		int ok = 0;
		for (size_t i = 0; i < json_array_size(en); i++)
			ok |= json_equal(v, json_array_get(en, i));
		if (!ok) {
			snprintf(why, cap, "%s: not one of its enum values", at);
			return 0;
		}
	}
	req = json_object_get(s, "required");
	for (size_t i = 0; json_is_object(v) && i < json_array_size(req); i++)
		if (!json_object_get(v, json_string_value(json_array_get(req, i)))) {
			snprintf(why, cap, "%s: required '%s' missing", at,
				 json_string_value(json_array_get(req, i)));
			return 0;
		}
	props = json_object_get(s, "properties");
	if (json_is_object(v))
		json_object_foreach(props, k, x) {
			char sub[256];
			json_t *pv = json_object_get(v, k);
			snprintf(sub, sizeof(sub), "%s.%s", at, k);
			if (pv && !valid(pv, x, sub, why, cap))
				return 0;
		}
	items = json_object_get(s, "items");
	for (size_t i = 0; items && json_is_array(v) && i < json_array_size(v); i++) {
		char sub[256];
		snprintf(sub, sizeof(sub), "%s[%zu]", at, i);
		if (!valid(json_array_get(v, i), items, sub, why, cap))
			return 0;
	}
	return 1;
}

static void result(int ok, const char *what, const char *why)
{
	if (ok) {
		pass++;
		printf("ok   %s\n", what);
	} else {
		fail++;
		printf("FAIL %s: %s\n", what, why);
	}
}

/* Every "$ref" anywhere resolves. */
static int refs_ok(json_t *j, char *why, size_t cap)
{
	const char *k;
	json_t *x;

	if (json_is_object(j)) {
		if (json_object_get(j, "$ref") && !resolve(j)) {
			snprintf(why, cap, "unresolvable %s", json_string_value(json_object_get(j, "$ref")));
			return 0;
		}
		json_object_foreach(j, k, x)
			if (!refs_ok(x, why, cap))
				return 0;
	} else if (json_is_array(j)) {
		for (size_t i = 0; i < json_array_size(j); i++)
			if (!refs_ok(json_array_get(j, i), why, cap))
				return 0;
	}
	return 1;
}

static void lint(void)
{
	json_t *paths = json_object_get(spec, "paths"), *item, *op;
	const char *path, *method;
	char why[512] = "";

	result(json_is_string(json_object_get(spec, "openapi")) &&
	       strcmp(json_string_value(json_object_get(spec, "openapi")), "3.1.0") == 0,
	       "lint: openapi is 3.1.0", "another version");
	result(refs_ok(spec, why, sizeof(why)), "lint: every $ref resolves", why);
	json_object_foreach(paths, path, item) {
		json_object_foreach(item, method, op) {
			char what[300];
			const char *code;
			json_t *r;
			int two = 0, params = 1;

			json_object_foreach(json_object_get(op, "responses"), code, r)
				two |= code[0] == '2';
			snprintf(what, sizeof(what), "lint: %s %s has a 2xx response", method, path);
			result(two, what, "none");
			for (const char *p = strchr(path, '{'); p; p = strchr(p + 1, '{')) {
				char name[64];
				const char *end = strchr(p, '}');
				int found = 0;
				json_t *prm = json_object_get(op, "parameters");
				snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
				for (size_t i = 0; i < json_array_size(prm); i++)
					found |= strcmp(json_string_value(json_object_get(json_array_get(prm, i), "name")), name) == 0 &&
						 strcmp(json_string_value(json_object_get(json_array_get(prm, i), "in")), "path") == 0;
				params &= found;
			}
			snprintf(what, sizeof(what), "lint: %s %s declares its path parameters", method, path);
			result(params, what, "a {param} is not declared");
		}
	}
}

int main(int argc, char **argv)
{
	json_error_t je;
	FILE *ex;
	char line[2048];

	if (argc < 2) {
		fprintf(stderr, "usage: openapi_check SPEC [EXCHANGES]\n");
		return 2;
	}
	if (!(spec = json_load_file(argv[1], JSON_REJECT_DUPLICATES, &je))) {
		fprintf(stderr, "%s: %s (line %d)\n", argv[1], je.text, je.line);
		return 1;
	}
	lint();
	if (argc > 2) {
		if (!(ex = fopen(argv[2], "r"))) {
			perror(argv[2]);
			return 1;
		}
		while (fgets(line, sizeof(line), ex)) {
			char method[16], tmpl[512], status[8], file[1024], lower[16], what[600], why[512] = "";
			json_t *op, *resp, *schema, *body;
			size_t i;

			if (sscanf(line, "%15s %511s %7s %1023s", method, tmpl, status, file) != 4 ||
			    strcmp(tmpl, "-") == 0) /* deliberately undocumented requests */
				continue;
			for (i = 0; method[i] && i < sizeof(lower) - 1; i++)
				lower[i] = (char)(method[i] | 0x20);
			lower[i] = '\0';
			snprintf(what, sizeof(what), "%s %s -> %s", method, tmpl, status);
			op = json_object_get(json_object_get(json_object_get(spec, "paths"), tmpl), lower);
			resp = json_object_get(json_object_get(op, "responses"), status);
			if (!op || !resp) {
				result(0, what, op ? "status not documented" : "route not documented");
				continue;
			}
			schema = json_object_get(json_object_get(json_object_get(resp, "content"),
								 "application/json"), "schema");
			body = json_load_file(file, 0, &je);
			if (!body) {
				result(0, what, "the body is not JSON");
				continue;
			}
			result(!schema || valid(body, schema, "body", why, sizeof(why)), what, why);
			json_decref(body);
		}
		fclose(ex);
	}
	printf("%d passed, %d failed\n", pass, fail);
	json_decref(spec);
	return fail ? 1 : 0;
}
