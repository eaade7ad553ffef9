/* register.c — register CSV and register entry bodies. See register.h. */
#include "core/register.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <jansson.h>

#include "util/jsonu.h"

enum col { COL_DATE, COL_DIRECTION, COL_TYPE, COL_ANSWERED, COL_ANSWERED_ON, COL_REF, COL_COUNT };

static const char *const col_names[COL_COUNT] = {
	"date", "direction", "type", "answered", "answered_on", "ref"
};

#define COL_REQUIRED 4 /* the first four */

struct csv_ctx {
	int pos[COL_COUNT];      /* column position of each name, -1: absent */
	int ncols;               /* in the header */
	size_t row;              /* 1-based; the header is row 1 */
	int field;               /* within the row */
	char *val[COL_COUNT];    /* this row's values (malloc'd) */
	struct register_rec *v;
	size_t n, cap;
	void (*progress)(void *, size_t);
	void *pctx;
	struct err *e;
	int failed;              /* 0, or the ERR_ code of the first fault */
};

/* The first fault of the file, naming its row. */
__attribute__((format(printf, 2, 3)))
static void fail(struct csv_ctx *c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (c->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++) /* a quoted value may hold anything */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	c->failed = err_set(c->e, ERR_INVALID, "register row %zu: %s", c->row, msg);
}

static int text_ok(const char *s)
{
	json_t *j;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	j = json_string(s); /* NULL unless valid UTF-8 */
	json_decref(j);
	return j != NULL;
}

static void on_field(void *s, size_t len, void *data)
{
	struct csv_ctx *c = data;
	int f = c->field++;

	if (c->failed)
		return;
	if (c->row == 1) {
		int k;
		if (c->ncols == 0 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
			s = (char *)s + 3; /* a byte-order mark */
			len -= 3;
		}
		for (k = 0; k < COL_COUNT; k++)
			if (strlen(col_names[k]) == len && memcmp(col_names[k], s, len) == 0)
				break;
		if (k == COL_COUNT) {
			fail(c, "unknown column '%.64s' (the columns are date, direction, type, "
				"answered, answered_on, ref)", s ? (const char *)s : "");
			return;
		}
		if (c->pos[k] >= 0) {
			fail(c, "column '%s' appears twice", col_names[k]);
			return;
		}
		c->pos[k] = f;
		c->ncols++;
		return;
	}
	for (int k = 0; k < COL_COUNT; k++) {
		if (c->pos[k] != f)
			continue;
		if (!(c->val[k] = malloc(len + 1))) {
			c->failed = err_set(c->e, ERR_NOMEM, "out of memory");
			return;
		}
		memcpy(c->val[k], s ? s : "", len);
		c->val[k][len] = '\0';
	}
}

/* One data row's values -> a record. */
static void row_done(struct csv_ctx *c)
{
	struct register_rec r;
	const char *v;

	memset(&r, 0, sizeof(r));
	/* The count first: a short row is short, not an empty cell. */
	if (c->field != c->ncols) {
		fail(c, "%d fields where the header has %d", c->field, c->ncols);
		return;
	}
	for (int k = 0; k < COL_REQUIRED; k++)
		if (!c->val[k] || !c->val[k][0]) {
			fail(c, "column '%s' is empty", col_names[k]);
			return;
		}
	v = c->val[COL_DATE];
	if (envelope_date_parse(v, strlen(v), &r.date) < 0) {
		fail(c, "date '%.40s' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", v);
		return;
	}
	v = c->val[COL_DIRECTION];
	if (strcmp(v, "sent") != 0 && strcmp(v, "received") != 0) {
		fail(c, "direction '%.40s' is not sent or received", v);
		return;
	}
	r.sent = strcmp(v, "sent") == 0;
	v = c->val[COL_TYPE];
	if (!envelope_type_valid(v, strlen(v))) {
		fail(c, "type '%.70s' is not a case type name (1-64 of a-z, 0-9, '-', starting with a letter)",
		     v);
		return;
	}
	memcpy(r.type, v, strlen(v) + 1);
	v = c->val[COL_ANSWERED];
	if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
		fail(c, "answered '%.40s' is not yes or no", v);
		return;
	}
	r.answered = strcmp(v, "yes") == 0;
	if ((v = c->val[COL_ANSWERED_ON]) && v[0]) {
		if (envelope_date_parse(v, strlen(v), &r.answered_on) < 0) {
			fail(c, "answered_on '%.40s' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", v);
			return;
		}
		if (!r.answered) {
			fail(c, "answered_on is given but answered is no");
			return;
		}
		if (r.answered_on < r.date) {
			fail(c, "answered_on %.40s is before the date %.40s", v, c->val[COL_DATE]);
			return;
		}
	}
	if ((v = c->val[COL_REF]) && v[0]) {
		if (strlen(v) > REGISTER_REF_MAX || !text_ok(v)) {
			fail(c, "ref '%.40s...' is longer than 200 bytes, not UTF-8 or holds a control character", v);
			return;
		}
		memcpy(r.ref, v, strlen(v) + 1);
	}
	if (c->n == REGISTER_ROWS_MAX) {
		fail(c, "more than 1000000 rows");
		return;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct register_rec *nv = realloc(c->v, cap * sizeof(*nv));
		if (!nv) {
			c->failed = err_set(c->e, ERR_NOMEM, "out of memory");
			return;
		}
		c->v = nv;
		c->cap = cap;
	}
	c->v[c->n++] = r;
	if (c->progress && c->n % 100000 == 0)
		c->progress(c->pctx, c->n);
}

static void on_row(int term, void *data)
{
	struct csv_ctx *c = data;

	(void)term;
	if (!c->failed && c->row == 1) {
		for (int k = 0; k < COL_REQUIRED; k++)
			if (c->pos[k] < 0) {
				fail(c, "the header has no '%s' column", col_names[k]);
				break;
			}
	} else if (!c->failed) {
		row_done(c);
	}
	for (int k = 0; k < COL_COUNT; k++) {
		free(c->val[k]);
		c->val[k] = NULL;
	}
	c->row++;
	c->field = 0;
}

int register_csv_parse(const char *buf, size_t len, struct register_rec **out,
		       size_t *n, void (*progress)(void *ctx, size_t rows),
		       void *ctx, struct err *e)
{
	struct csv_parser p;
	struct csv_ctx c;

	*out = NULL;
	*n = 0;
	memset(&c, 0, sizeof(c));
	for (int k = 0; k < COL_COUNT; k++)
		c.pos[k] = -1;
	c.row = 1;
	c.e = e;
	c.progress = progress;
	c.pctx = ctx;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (memchr(buf, '\0', len)) {
		csv_free(&p);
		return err_set(e, ERR_INVALID, "register: the file holds a NUL byte (not a CSV text file)");
	}
	if (csv_parse(&p, buf, len, on_field, on_row, &c) != len || csv_fini(&p, on_field, on_row, &c) != 0) {
		if (!c.failed)
			c.failed = err_set(e, ERR_INVALID, "register row %zu: %s (a quote out of place?)",
					   c.row, csv_strerror(csv_error(&p)));
	}
	csv_free(&p);
	for (int k = 0; k < COL_COUNT; k++)
		free(c.val[k]);
	if (!c.failed && c.row == 1)
		c.failed = err_set(e, ERR_INVALID, "register: the file is empty (a header row is needed)");
	if (!c.failed && c.n == 0)
		c.failed = err_set(e, ERR_INVALID, "register: no rows after the header");
	if (c.failed) {
		free(c.v);
		return c.failed;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

char *register_body(const struct register_rec *r, size_t *len, struct err *e)
{
	char d[21], a[21];
	json_t *o;
	char *s;

	/* What register_body_parse would refuse is not written: json_string
	 * fails on invalid UTF-8, and the ref would silently be left out. */
	if (r->ref[0] && (strnlen(r->ref, sizeof(r->ref)) > REGISTER_REF_MAX || !text_ok(r->ref))) {
		err_set(e, ERR_INVALID, "register: ref is not UTF-8 text without control characters");
		return NULL;
	}
	if (envelope_time_format(r->date, d, e) < 0 ||
	    (r->answered_on && envelope_time_format(r->answered_on, a, e) < 0))
		return NULL;
	o = json_pack("{s:b,s:s,s:s,s:s}", "answered", r->answered, "date", d, "direction",
		      r->sent ? "sent" : "received", "register", "parley-register/1");
	if (o && r->answered_on)
		json_object_set_new(o, "answered_on", json_string(a));
	if (o && r->ref[0])
		json_object_set_new(o, "ref", json_string(r->ref));
	s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (!s) {
		err_set(e, ERR_INVALID, "register: ref is not valid UTF-8");
		return NULL;
	}
	*len = strlen(s);
	return s;
}

int register_body_parse(const char *json, size_t len, struct register_rec *r, struct err *e)
{
	static const char *const keys[] = { "answered", "answered_on", "date", "direction", "ref",
					    "register", NULL };
	json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	const char *d, *dir, *a, *ref, *mag;
	char *again = NULL;
	size_t alen = 0;
	int rc = 0;

	memset(r, 0, sizeof(r[0]));
	if (!json_is_object(o) || jsonu_only_keys(o, keys, "register entry", e) < 0) {
		rc = err_set(e, ERR_INVALID, "register entry: not a register record");
		goto out;
	}
	d = json_string_value(json_object_get(o, "date"));
	dir = json_string_value(json_object_get(o, "direction"));
	a = json_string_value(json_object_get(o, "answered_on"));
	ref = json_string_value(json_object_get(o, "ref"));
	mag = json_string_value(json_object_get(o, "register"));
	if (!mag || strcmp(mag, "parley-register/1") != 0 || !d || !dir ||
	    !json_is_boolean(json_object_get(o, "answered")) ||
	    envelope_time_parse(d, strlen(d), &r->date) < 0 ||
	    (strcmp(dir, "sent") != 0 && strcmp(dir, "received") != 0) ||
	    (a && envelope_time_parse(a, strlen(a), &r->answered_on) < 0) ||
	    (ref && (strlen(ref) > REGISTER_REF_MAX || !text_ok(ref)))) {
		rc = err_set(e, ERR_INVALID, "register entry: not a register record");
		goto out;
	}
	r->sent = strcmp(dir, "sent") == 0;
	r->answered = json_is_true(json_object_get(o, "answered"));
	if (ref)
		memcpy(r->ref, ref, strlen(ref) + 1);
	/* Canonical: the bytes are what register_body writes for these values. */
	if (!(again = register_body(r, &alen, e)) || alen != len || memcmp(again, json, len) != 0 ||
	    (r->answered_on && (!r->answered || r->answered_on < r->date)))
		rc = err_set(e, ERR_INVALID, "register entry: not a canonical register record");
out:
	free(again);
	json_decref(o);
	return rc;
}
