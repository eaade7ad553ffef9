/* test_register.c — the register CSV as spreadsheets write it, every
 * refusal with its row, the row limit and progress, and the canonical
 * bytes of register entry bodies. */
#include "testutil.h"

#include "core/register.h"

#define D20250301 INT64_C(1740787200) /* 2025-03-01T00:00:00Z */
#define D20250320 INT64_C(1742428800) /* 2025-03-20T00:00:00Z */

#define HDR "date,direction,type,answered,answered_on,ref\n"

/* A growing text buffer for generated CSVs. */
struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		assert_non_null(b->p = realloc(b->p, b->cap));
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Parses len bytes of csv; *out and *n start as garbage so that a refusal
 * must reset them. */
static int parse_len(const char *csv, size_t len, struct register_rec **out, size_t *n,
		     struct err *e)
{
	*out = (struct register_rec *)(uintptr_t)1;
	*n = 99;
	memset(e, 0, sizeof(*e));
	return register_csv_parse(csv, len, out, n, NULL, NULL, e);
}

/* csv is refused, its message holding frag, and no rows come back. */
static void refused_len(const char *csv, size_t len, const char *frag, int line)
{
	struct register_rec *out;
	struct err e;
	size_t n;
	int rc = parse_len(csv, len, &out, &n, &e);

	if (rc != ERR_INVALID)
		fail_msg("line %d: returned %d (%s), not invalid: %s", line, rc, err_name(rc), e.msg);
	if (out != NULL || n != 0)
		fail_msg("line %d: a refused register left %zu rows", line, n);
	if (!strstr(e.msg, frag))
		fail_msg("line %d: message \"%s\" does not contain \"%s\"", line, e.msg, frag);
}

#define refused(csv, frag) refused_len((csv), strlen(csv), (frag), __LINE__)

static void test_csv_spreadsheet(void **state)
{
	/* As a spreadsheet exports it: a byte-order mark, CRLF, the columns in
	 * its own order, a quoted ref holding a comma and a doubled quote, full
	 * timestamps and days. */
	static const char csv[] =
		"\xef\xbb\xbfref,answered_on,type,direction,answered,date\r\n"
		"\"R-1, \"\"old\"\"\",2025-02-14T08:30:00Z,cyber-incident,sent,yes,"
		"2025-01-15T10:00:00Z\r\n"
		"R-2,,visa-extension,received,no,2025-03-01\r\n"
		"caf\xc3\xa9 \xe2\x82\xac,2025-03-20,x,sent,yes,2025-03-01\r\n";
	struct register_rec *r;
	struct err e;
	size_t n;

	(void)state;
	tu_ok(parse_len(csv, sizeof(csv) - 1, &r, &n, &e), &e);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].date, 1736935200);        /* 2025-01-15T10:00:00Z */
	assert_int_equal(r[0].sent, 1);
	assert_string_equal(r[0].type, "cyber-incident");
	assert_int_equal(r[0].answered, 1);
	assert_int_equal(r[0].answered_on, 1739521800); /* 2025-02-14T08:30:00Z */
	assert_string_equal(r[0].ref, "R-1, \"old\"");
	assert_int_equal(r[1].date, D20250301);
	assert_int_equal(r[1].sent, 0);
	assert_string_equal(r[1].type, "visa-extension");
	assert_int_equal(r[1].answered, 0);
	assert_int_equal(r[1].answered_on, 0);
	assert_string_equal(r[1].ref, "R-2");
	assert_int_equal(r[2].date, D20250301);
	assert_int_equal(r[2].sent, 1);
	assert_string_equal(r[2].type, "x");
	assert_int_equal(r[2].answered, 1);
	assert_int_equal(r[2].answered_on, D20250320);
	assert_string_equal(r[2].ref, "caf\xc3\xa9 \xe2\x82\xac");
	free(r);
	/* A line break in a quoted ref is read as part of the cell, and then
	 * refused: register.h allows no control characters in a ref. */
	refused("\xef\xbb\xbfref,date,type,direction,answered\r\n"
		"R-0,2025-01-15,x,sent,no\r\n"
		"\"R-1, \"\"old\"\"\r\nsecond line\",2025-01-15,x,sent,no\r\n",
		"register row 3: ref 'R-1, \"old\"??second line...' is longer than 200 bytes, "
		"not UTF-8 or holds a control character");
}

static void test_csv_optional_columns(void **state)
{
	struct register_rec *r;
	struct err e;
	size_t n;
	static const char only_required[] =
		"answered,type,direction,date\n"
		"no,x,received,2024-02-29\n"
		"yes,y-2,sent,2025-03-01T23:59:59Z"; /* no final line break */
	static const char empty_optional[] = HDR
		"2025-03-01,sent,x,yes,,\n"           /* answered, day not known */
		"2025-03-01,sent,x,yes,2025-03-01,\n" /* answered the same day */
		"2025-03-01 , sent ,x,no,,\n";         /* libcsv trims unquoted spaces */

	(void)state;
	tu_ok(parse_len(only_required, sizeof(only_required) - 1, &r, &n, &e), &e);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].date, 1709164800); /* 2024-02-29 */
	assert_int_equal(r[0].sent, 0);
	assert_string_equal(r[0].type, "x");
	assert_int_equal(r[0].answered, 0);
	assert_int_equal(r[0].answered_on, 0);
	assert_string_equal(r[0].ref, "");
	assert_int_equal(r[1].date, 1740873599); /* 2025-03-01T23:59:59Z */
	assert_int_equal(r[1].sent, 1);
	assert_string_equal(r[1].type, "y-2");
	assert_int_equal(r[1].answered, 1);
	assert_int_equal(r[1].answered_on, 0);
	free(r);

	tu_ok(parse_len(empty_optional, sizeof(empty_optional) - 1, &r, &n, &e), &e);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].answered, 1);
	assert_int_equal(r[0].answered_on, 0);
	assert_string_equal(r[0].ref, "");
	assert_int_equal(r[1].answered_on, D20250301);
	assert_int_equal(r[2].date, D20250301);
	assert_int_equal(r[2].sent, 1);
	free(r);
}

static void test_csv_header(void **state)
{
	static const char *const required[] = { "date", "direction", "type", "answered" };
	char csv[256], frag[64];

	(void)state;
	refused("date,direction,type,answered,colour\n2025-01-02,sent,x,no,red\n",
		"register row 1: unknown column 'colour'");
	refused("date,direction,Type,answered\n2025-01-02,sent,x,no\n",
		"register row 1: unknown column 'Type'");
	refused("date,direction,type,answered,\n2025-01-02,sent,x,no,\n",
		"register row 1: unknown column ''");
	refused("date,direction,type,date,answered\n", "register row 1: column 'date' appears twice");
	refused("ref,date,direction,type,answered,ref\n", "register row 1: column 'ref' appears twice");
	/* Each required column left out of the header. */
	for (int k = 0; k < 4; k++) {
		csv[0] = '\0';
		for (int j = 0; j < 4; j++)
			if (j != k) {
				strcat(csv, required[j]);
				strcat(csv, ",");
			}
		strcat(csv, "ref\n2025-01-02,sent,x,R\n");
		snprintf(frag, sizeof(frag), "register row 1: the header has no '%s' column",
			 required[k]);
		refused(csv, frag);
	}
}

static void test_csv_empty_cells(void **state)
{
	static const char *const good[] = { "2025-01-02", "sent", "x", "no" };
	static const char *const name[] = { "date", "direction", "type", "answered" };
	char csv[256], frag[64];

	(void)state;
	for (int k = 0; k < 4; k++) {
		snprintf(csv, sizeof(csv), "date,direction,type,answered\n2025-01-01,sent,x,no\n"
			 "%s,%s,%s,%s\n", k == 0 ? "" : good[0], k == 1 ? "" : good[1],
			 k == 2 ? "" : good[2], k == 3 ? "" : good[3]);
		snprintf(frag, sizeof(frag), "register row 3: column '%s' is empty", name[k]);
		refused(csv, frag);
	}
	refused("date,direction,type,answered\n2025-01-01,sent,\"\",no\n",
		"register row 2: column 'type' is empty");
}

static void test_csv_dates(void **state)
{
	(void)state;
	refused(HDR "2025-13-01,sent,x,no,,\n",
		"register row 2: date '2025-13-01' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
	/* envelope_time_parse knows the length of each month and leap years. */
	refused(HDR "2025-02-30,sent,x,no,,\n", "register row 2: date '2025-02-30' is not");
	refused(HDR "2025-02-29,sent,x,no,,\n", "register row 2: date '2025-02-29' is not");
	refused(HDR "2025-04-31,sent,x,no,,\n", "register row 2: date '2025-04-31' is not");
	refused(HDR "2025-3-01,sent,x,no,,\n", "register row 2: date '2025-3-01' is not");
	refused(HDR "01/03/2025,sent,x,no,,\n", "register row 2: date '01/03/2025' is not");
	refused(HDR "2025-03-01 10:00:00,sent,x,no,,\n", "register row 2: date '2025-03-01 10:00:00'");
	refused(HDR "2025-03-01T10:00:00,sent,x,no,,\n", "register row 2: date '2025-03-01T10:00:00'");
	refused(HDR "2025-03-01T10:00:00z,sent,x,no,,\n", "register row 2: date '2025-03-01T10:00:00z'");
	refused(HDR "2025-03-01T24:00:00Z,sent,x,no,,\n", "register row 2: date '2025-03-01T24:00:00Z'");
	refused(HDR "1969-12-31,sent,x,no,,\n", "register row 2: date '1969-12-31' is not");
	refused(HDR "2025-03-01,sent,x,yes,2025-03-32,\n",
		"register row 2: answered_on '2025-03-32' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
	refused(HDR "2025-03-01,sent,x,yes,soon,\n", "register row 2: answered_on 'soon' is not");
}

static void test_csv_values(void **state)
{
	char csv[256];
	char type[ENVELOPE_TYPE_MAX + 2];
	struct register_rec *r;
	struct err e;
	size_t n;

	(void)state;
	refused(HDR "2025-03-01,outgoing,x,no,,\n",
		"register row 2: direction 'outgoing' is not sent or received");
	refused(HDR "2025-03-01,Sent,x,no,,\n", "register row 2: direction 'Sent' is not");
	refused(HDR "2025-03-01,sent,Cyber-Incident,no,,\n",
		"register row 2: type 'Cyber-Incident' is not a case type name");
	refused(HDR "2025-03-01,sent,cyber incident,no,,\n",
		"register row 2: type 'cyber incident' is not a case type name");
	refused(HDR "2025-03-01,sent,1st,no,,\n", "register row 2: type '1st' is not a case type name");
	/* 64 characters is the longest type name, 65 is refused. */
	memset(type, 'a', sizeof(type) - 1);
	type[ENVELOPE_TYPE_MAX] = '\0';
	snprintf(csv, sizeof(csv), HDR "2025-03-01,sent,%s,no,,\n", type);
	tu_ok(parse_len(csv, strlen(csv), &r, &n, &e), &e);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].type, type);
	free(r);
	type[ENVELOPE_TYPE_MAX] = 'a';
	type[ENVELOPE_TYPE_MAX + 1] = '\0';
	snprintf(csv, sizeof(csv), HDR "2025-03-01,sent,%s,no,,\n", type);
	refused(csv, "register row 2: type 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' "
		     "is not a case type name");
	refused(HDR "2025-03-01,sent,x,Yes,,\n", "register row 2: answered 'Yes' is not yes or no");
	refused(HDR "2025-03-01,sent,x,true,,\n", "register row 2: answered 'true' is not yes or no");
	refused(HDR "2025-03-01,sent,x,no,2025-03-20,\n",
		"register row 2: answered_on is given but answered is no");
	refused(HDR "2025-03-01T10:00:00Z,sent,x,yes,2025-03-01,\n",
		"register row 2: answered_on 2025-03-01 is before the date 2025-03-01T10:00:00Z");
	refused(HDR "2025-03-20,sent,x,yes,2025-03-01,\n",
		"register row 2: answered_on 2025-03-01 is before the date 2025-03-20");
}

static void test_csv_ref(void **state)
{
	static const char *const bad[] = {
		"R\x1b[31m",            /* escape */
		"R\x7f",                /* DEL */
		"\"R\tx\"",             /* tab, quoted */
		"R\xff",                /* not UTF-8 */
		"R\xc3",                /* truncated sequence */
		"R\xc0\xaf",            /* overlong '/' */
		"R\xed\xa0\x80",        /* a surrogate */
	};
	char ref[REGISTER_REF_MAX + 2], csv[512];
	struct register_rec *r;
	struct err e;
	size_t n;

	(void)state;
	memset(ref, 'r', sizeof(ref) - 1);
	ref[REGISTER_REF_MAX] = '\0';
	snprintf(csv, sizeof(csv), HDR "2025-03-01,sent,x,no,,%s\n", ref);
	tu_ok(parse_len(csv, strlen(csv), &r, &n, &e), &e);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(r[0].ref), REGISTER_REF_MAX);
	free(r);
	ref[REGISTER_REF_MAX] = 'r';
	ref[REGISTER_REF_MAX + 1] = '\0';
	snprintf(csv, sizeof(csv), HDR "2025-03-01,sent,x,no,,%s\n", ref);
	refused(csv, "register row 2: ref 'rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr...' is longer than "
		     "200 bytes, not UTF-8 or holds a control character");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(csv, sizeof(csv), HDR "2025-03-01,sent,x,no,,ok\n2025-03-01,sent,x,no,,%s\n",
			 bad[i]);
		refused(csv, "register row 3: ref '");
		refused(csv, "is longer than 200 bytes, not UTF-8 or holds a control character");
	}
}

static void test_csv_shape(void **state)
{
	static const char nul[] = HDR "2025-03-01,sent,x,no,,R\0x\n";

	(void)state;
	refused(HDR "2025-03-01,sent,x,no,,\n2025-03-01,sent,x,no,\n",
		"register row 3: 5 fields where the header has 6");
	/* A short row is named as short even when a required cell is missing. */
	refused("date,direction,type,answered\n2025-03-01,sent,x\n",
		"register row 2: 3 fields where the header has 4");
	refused(HDR "2025-03-01,sent,x,no,,,extra\n", "register row 2: 7 fields where the header has 6");
	refused(HDR "2025-03-01,sent,x,no,,\n2025-03-01,sent,x,no,,\"R-1\n2025-03-02,sent,x,no,,\n",
		"register row 3: error parsing data while strict checking enabled (a quote out of place?)");
	refused(HDR "2025-03-01,sent,x,no,,R\"1\n", "register row 2: ");
	refused(HDR "2025-03-01,sent,x,no,,R\"1\n", "(a quote out of place?)");
	refused(HDR "2025-03-01,sent,x,no,,\"R\"1\n", "(a quote out of place?)");
	refused_len(nul, sizeof(nul) - 1, "register: the file holds a NUL byte", __LINE__);
	refused("", "register: the file is empty (a header row is needed)");
	refused("\n\r\n", "register: the file is empty");
	refused(HDR, "register: no rows after the header");
	refused("\xef\xbb\xbf" "date,direction,type,answered\r\n", "register: no rows after the header");
}

static void test_csv_fault_after_good_rows(void **state)
{
	(void)state;
	refused(HDR "2025-01-02,sent,x,no,,\n2025-01-03,sent,x,no,,\n2025-01-04,snet,x,no,,\n"
		    "2025-01-05,sent,x,no,,\n",
		"register row 4: direction 'snet' is not sent or received");
	/* Rows are records, not lines: a quoted line break stays in its row,
	 * and blank lines are skipped. */
	refused(HDR "2025-01-02,sent,x,no,,\"a,b\"\n\n2025-01-03,sent,x,no,,\"d\ne\"\n"
		    "2025-01-04,sent,X,no,,\n",
		"register row 3: ref 'd?e...'");
	refused(HDR "2025-01-02,sent,x,no,,\n\n\n2025-01-04,sent,X,no,,\n", "register row 3: type 'X'");
	/* Only the first fault is named. */
	refused(HDR "2025-01-02,sent,x,maybe,,\n2025-13-03,sent,x,no,,\n",
		"register row 2: answered 'maybe'");
}

static void test_csv_row_limit(void **state)
{
	static const char row[] = "2025-03-01,sent,x,no\n";
	struct buf b = { 0 };

	(void)state;
	buf_str(&b, "date,direction,type,answered\n");
	for (size_t i = 0; i < (size_t)REGISTER_ROWS_MAX + 1; i++)
		buf_add(&b, row, sizeof(row) - 1);
	refused_len(b.p, b.len, "register row 1000002: more than 1000000 rows", __LINE__);
	free(b.p);
}

struct calls {
	size_t n;
	size_t rows[8];
};

static void on_progress(void *ctx, size_t rows)
{
	struct calls *c = ctx;

	assert_true(c->n < 8);
	c->rows[c->n++] = rows;
}

static void test_csv_progress(void **state)
{
	static const char row[] = "2025-03-01,received,x,yes,2025-03-02\n";
	struct buf b = { 0 };
	struct calls c = { 0 };
	struct register_rec *r;
	struct err e = { 0 };
	size_t n;

	(void)state;
	buf_str(&b, "date,direction,type,answered,answered_on\n");
	for (int i = 0; i < 250000; i++)
		buf_add(&b, row, sizeof(row) - 1);
	tu_ok(register_csv_parse(b.p, b.len, &r, &n, on_progress, &c, &e), &e);
	assert_int_equal(n, 250000);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.rows[0], 100000);
	assert_int_equal(c.rows[1], 200000);
	assert_int_equal(r[249999].answered_on, D20250301 + 86400);
	free(r);
	free(b.p);
}

static struct register_rec rec(int64_t date, int sent, int answered, int64_t answered_on,
			       const char *ref)
{
	struct register_rec r;

	memset(&r, 0, sizeof(r));
	r.date = date;
	r.sent = sent;
	memcpy(r.type, "x", 2);
	r.answered = answered;
	r.answered_on = answered_on;
	snprintf(r.ref, sizeof(r.ref), "%s", ref);
	return r;
}

static const struct {
	struct register_rec r;
	const char *body;
} bodies[] = {
	{ { D20250301, 1, "x", 1, D20250320, "R-17" },
	  "{\"answered\":true,\"answered_on\":\"2025-03-20T00:00:00Z\",\"date\":\"2025-03-01T00:00:00Z\","
	  "\"direction\":\"sent\",\"ref\":\"R-17\",\"register\":\"parley-register/1\"}" },
	{ { D20250301, 0, "x", 0, 0, "" },
	  "{\"answered\":false,\"date\":\"2025-03-01T00:00:00Z\",\"direction\":\"received\","
	  "\"register\":\"parley-register/1\"}" },
	{ { 1736935200, 1, "x", 1, 0, "" },
	  "{\"answered\":true,\"date\":\"2025-01-15T10:00:00Z\",\"direction\":\"sent\","
	  "\"register\":\"parley-register/1\"}" },
	{ { D20250301, 0, "x", 1, 1740873599, "" },
	  "{\"answered\":true,\"answered_on\":\"2025-03-01T23:59:59Z\",\"date\":\"2025-03-01T00:00:00Z\","
	  "\"direction\":\"received\",\"register\":\"parley-register/1\"}" },
	{ { D20250301, 1, "x", 0, 0, "a \"b\" \\ caf\xc3\xa9, 1/2" },
	  "{\"answered\":false,\"date\":\"2025-03-01T00:00:00Z\",\"direction\":\"sent\","
	  "\"ref\":\"a \\\"b\\\" \\\\ caf\xc3\xa9, 1/2\",\"register\":\"parley-register/1\"}" },
};

static void test_body_bytes(void **state)
{
	struct err e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		size_t len = 0;
		char *s = register_body(&bodies[i].r, &len, &e);

		if (!s)
			fail_msg("body %zu: %s", i, e.msg);
		assert_string_equal(s, bodies[i].body);
		assert_int_equal(len, strlen(bodies[i].body));
		free(s);
	}
}

static void test_body_round_trip(void **state)
{
	static const char csv[] = HDR
		"2025-03-01,sent,cyber-incident,yes,2025-03-20,R-17\n"
		"2025-01-15T10:00:00Z,received,x,no,,\"a,\"\"b\"\" \xc3\xa9\"\n"
		"2025-03-01,sent,x,yes,,\n";
	struct register_rec *r, back;
	struct err e = { 0 };
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		const char *b = bodies[i].body;

		tu_ok(register_body_parse(b, strlen(b), &back, &e), &e);
		assert_int_equal(back.date, bodies[i].r.date);
		assert_int_equal(back.sent, bodies[i].r.sent);
		assert_int_equal(back.answered, bodies[i].r.answered);
		assert_int_equal(back.answered_on, bodies[i].r.answered_on);
		assert_string_equal(back.ref, bodies[i].r.ref);
		assert_string_equal(back.type, ""); /* the type is the envelope's */
	}
	/* From the CSV to the peer's log and back. */
	tu_ok(parse_len(csv, sizeof(csv) - 1, &r, &n, &e), &e);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *s = register_body(&r[i], &len, &e);

		assert_non_null(s);
		tu_ok(register_body_parse(s, len, &back, &e), &e);
		assert_int_equal(back.date, r[i].date);
		assert_int_equal(back.sent, r[i].sent);
		assert_int_equal(back.answered, r[i].answered);
		assert_int_equal(back.answered_on, r[i].answered_on);
		assert_string_equal(back.ref, r[i].ref);
		free(s);
	}
	free(r);
}

static void test_body_refusals(void **state)
{
#define M "\"register\":\"parley-register/1\""
#define D "\"date\":\"2025-03-01T00:00:00Z\""
	static const char *const bad[] = {
		/* not canonical */
		"{\"answered\": true," D ",\"direction\":\"sent\"," M "}",
		"{\"answered\":true," D ",\"direction\":\"sent\"," M "}\n",
		" {\"answered\":true," D ",\"direction\":\"sent\"," M "}",
		"{" D ",\"answered\":true,\"direction\":\"sent\"," M "}",
		"{\"answered\":true," D ",\"direction\":\"sent\",\"ref\":\"caf\\u00e9\"," M "}",
		"{\"answered\":true,\"date\":\"2025-03-01\",\"direction\":\"sent\"," M "}",
		"{\"answered\":true," D ",\"direction\":\"sent\",\"ref\":\"\"," M "}",
		/* extra, missing and duplicate keys */
		"{\"answered\":true," D ",\"direction\":\"sent\"," M ",\"type\":\"x\"}",
		"{\"answered\":true," D ",\"direction\":\"sent\",\"note\":\"x\"," M "}",
		"{\"answered\":true," D "," M "}",
		"{" D ",\"direction\":\"sent\"," M "}",
		"{\"answered\":true,\"direction\":\"sent\"," M "}",
		"{\"answered\":true," D ",\"direction\":\"sent\"}",
		"{\"answered\":true," D "," D ",\"direction\":\"sent\"," M "}",
		"{\"answered\":true," D ",\"direction\":\"sent\",\"ref\":\"a\",\"ref\":\"a\"," M "}",
		/* wrong values */
		"{\"answered\":true," D ",\"direction\":\"sent\",\"register\":\"parley-register/2\"}",
		"{\"answered\":\"true\"," D ",\"direction\":\"sent\"," M "}",
		"{\"answered\":1," D ",\"direction\":\"sent\"," M "}",
		"{\"answered\":true," D ",\"direction\":\"Sent\"," M "}",
		"{\"answered\":true,\"date\":\"2025-02-30T00:00:00Z\",\"direction\":\"sent\"," M "}",
		"{\"answered\":true,\"answered_on\":20250320," D ",\"direction\":\"sent\"," M "}",
		"{\"answered\":false,\"answered_on\":\"2025-03-20T00:00:00Z\"," D ",\"direction\":\"sent\"," M "}",
		"{\"answered\":true,\"answered_on\":\"2025-02-28T00:00:00Z\"," D ",\"direction\":\"sent\"," M "}",
		"{\"answered\":true," D ",\"direction\":\"sent\",\"ref\":\"a\\u0001\"," M "}",
		"{\"answered\":true," D ",\"direction\":\"sent\",\"ref\":17," M "}",
		/* trailing garbage, not JSON */
		"{\"answered\":true," D ",\"direction\":\"sent\"," M "}x",
		"{\"answered\":true," D ",\"direction\":\"sent\"," M "}{}",
		"{\"answered\":true," D ",\"direction\":\"sent\"," M,
		"[\"answered\",true]",
		"\"parley-register/1\"",
		"not json",
		"",
	};
#undef M
#undef D
	struct register_rec r;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		memset(&e, 0, sizeof(e));
		rc = register_body_parse(bad[i], strlen(bad[i]), &r, &e);
		if (rc != ERR_INVALID)
			fail_msg("body %zu (%s) returned %d", i, bad[i], rc);
		assert_msg_contains(&e, "register entry: not a");
	}
	/* A ref over 200 bytes in an otherwise canonical body. */
	{
		struct buf b = { 0 };

		buf_str(&b, "{\"answered\":true,\"date\":\"2025-03-01T00:00:00Z\",\"direction\":\"sent\","
			    "\"ref\":\"");
		for (int i = 0; i < REGISTER_REF_MAX + 1; i++)
			buf_str(&b, "r");
		buf_str(&b, "\",\"register\":\"parley-register/1\"}");
		assert_int_equal(register_body_parse(b.p, b.len, &r, &e), ERR_INVALID);
		free(b.p);
	}
}

static void test_body_bad_ref(void **state)
{
	/* A ref the body parser would refuse is not written at all (rather
	 * than silently left out). */
	static const char *const bad[] = { "R\xff", "R\x01", "R\xed\xa0\x80" };
	struct err e = { 0 };
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct register_rec r = rec(D20250301, 1, 0, 0, bad[i]);

		assert_null(register_body(&r, &len, &e));
		assert_int_equal(e.code, ERR_INVALID);
		assert_msg_contains(&e, "register: ref is not UTF-8 text");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_spreadsheet),
		cmocka_unit_test(test_csv_optional_columns),
		cmocka_unit_test(test_csv_header),
		cmocka_unit_test(test_csv_empty_cells),
		cmocka_unit_test(test_csv_dates),
		cmocka_unit_test(test_csv_values),
		cmocka_unit_test(test_csv_ref),
		cmocka_unit_test(test_csv_shape),
		cmocka_unit_test(test_csv_fault_after_good_rows),
		cmocka_unit_test(test_csv_row_limit),
		cmocka_unit_test(test_csv_progress),
		cmocka_unit_test(test_body_bytes),
		cmocka_unit_test(test_body_round_trip),
		cmocka_unit_test(test_body_refusals),
		cmocka_unit_test(test_body_bad_ref),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
