/* envelope.c — encoding and strict parsing of canonical envelopes. */
#include "core/envelope.h"
#include "core/merkle.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[ENVELOPE_KIND_COUNT] = {
	[ENVELOPE_CHARTER] = "charter",   [ENVELOPE_REQUEST] = "request",
	[ENVELOPE_ACK] = "ack",           [ENVELOPE_ANSWER] = "answer",
	[ENVELOPE_DECLINE] = "decline",   [ENVELOPE_WITHDRAW] = "withdraw",
	[ENVELOPE_REMIND] = "remind",     [ENVELOPE_CLOSE] = "close",
	[ENVELOPE_PING] = "ping",
	[ENVELOPE_KEY] = "key",
	[ENVELOPE_REGISTER] = "register",
};

/* The keys, in their only allowed order. */
enum { K_FROM, K_TO, K_INDEX, K_TIME, K_CASE, K_KIND, K_TYPE, K_BODY, K_COUNT };
static const char *const keys[K_COUNT] = {
	"from", "to", "index", "time", "case", "kind", "type", "body",
};
static const size_t key_len[K_COUNT] = { 4, 2, 5, 4, 4, 4, 4, 4 };

#define MAGIC "parley/1"

const char *envelope_kind_name(enum envelope_kind k)
{
	return (unsigned)k < ENVELOPE_KIND_COUNT ? kind_names[k] : "?";
}

/* 1 if buf holds only printable ASCII and newlines: one pass without
 * branches (the caller finds the first fault only if there is one). */
static int bytes_printable(const char *buf, size_t len)
{
	unsigned bad = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		bad |= (unsigned)((c < 0x20) & (c != '\n')) | (unsigned)(c >= 0x7f);
	}
	return bad == 0;
}

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int envelope_name_valid(const char *s, size_t len)
{
	if (len == 0 || len > ENVELOPE_NAME_MAX || !is_lower_alnum(s[0]) ||
	    !is_lower_alnum(s[len - 1]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '.' && s[i] != '-')
			return 0;
	return 1;
}

int envelope_type_valid(const char *s, size_t len)
{
	if (len == 0 || len > ENVELOPE_TYPE_MAX || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

#define TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

int envelope_date_parse(const char *s, size_t len, int64_t *t)
{
	char buf[21];

	if (len != 10)
		return envelope_time_parse(s, len, t);
	memcpy(buf, s, 10);
	memcpy(buf + 10, "T00:00:00Z", 10);
	return envelope_time_parse(buf, 20, t);
}

int envelope_time_month(int64_t t, int *year, unsigned *month)
{
	int64_t y;
	unsigned d;

	if (t < 0 || t > TIME_MAX)
		return -1;
	civil_from_days(t / 86400, &y, month, &d);
	*year = (int)y;
	return 0;
}

int envelope_time_format(int64_t t, char out[static 21], struct err *e)
{
	int64_t y, days;
	unsigned m, d, secs;

	if (t < 0 || t > TIME_MAX)
		return err_set(e, ERR_INVALID,
			       "time %" PRId64 " is outside 1970..9999", t);
	days = t / 86400;
	secs = (unsigned)(t % 86400);
	civil_from_days(days, &y, &m, &d);
	char tmp[48]; /* wide enough for any int, so never truncated */
	snprintf(tmp, sizeof(tmp), "%04d-%02u-%02uT%02u:%02u:%02uZ", (int)y, m,
		 d, secs / 3600, secs / 60 % 60, secs % 60);
	memcpy(out, tmp, 21);
	return 0;
}

static int digits(const char *s, size_t n, unsigned *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

int envelope_time_parse(const char *s, size_t len, int64_t *t)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30,
					  31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h, mi, se;

	if (len != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &se))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || se > 59)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

/* Parses a decimal without sign or leading zeros into *v. */
static int parse_u64(const char *s, size_t n, uint64_t *v)
{
	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return -1;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (d > 9 || *v > (UINT64_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	/* Indexes stay below 2^63 so that sizes fit signed database columns. */
	return *v > INT64_MAX ? -1 : 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Relations between the fields that no single line shows. */
static int check_fields(const struct envelope *env, struct err *e)
{
	int self;

	if (strcmp(env->from, env->to) == 0)
		return err_set(e, ERR_INVALID,
			       "envelope: 'from' and 'to' are the same party");
	self = strcmp(env->case_from, env->from) == 0 &&
	       env->case_index == env->index;
	switch (env->kind) {
	case ENVELOPE_REQUEST:
	case ENVELOPE_PING:
	case ENVELOPE_CHARTER:
	case ENVELOPE_REGISTER:
	case ENVELOPE_KEY:
		if (!self)
			return err_set(e, ERR_INVALID,
				       "envelope: an entry of kind %s must name itself as its case (%s/%" PRIu64 ")",
				       kind_names[env->kind], env->from, env->index);
		return 0;
	default:
		if (strcmp(env->case_from, env->from) == 0) {
			if (env->case_index >= env->index)
				return err_set(e, ERR_INVALID,
					       "envelope: an entry of kind %s must name an earlier entry as its case",
					       kind_names[env->kind]);
		} else if (strcmp(env->case_from, env->to) != 0) {
			return err_set(e, ERR_INVALID,
				       "envelope: case %s/%" PRIu64 " names neither 'from' nor 'to'",
				       env->case_from, env->case_index);
		}
		return 0;
	}
}

static int check_names(const struct envelope *env, struct err *e)
{
	if (!envelope_name_valid(env->from, strlen(env->from)))
		return err_set(e, ERR_INVALID, "envelope: 'from' is not a valid party name");
	if (!envelope_name_valid(env->to, strlen(env->to)))
		return err_set(e, ERR_INVALID, "envelope: 'to' is not a valid party name");
	if (!envelope_name_valid(env->case_from, strlen(env->case_from)))
		return err_set(e, ERR_INVALID, "envelope: 'case' does not name a valid party");
	if (!envelope_type_valid(env->type, strlen(env->type)))
		return err_set(e, ERR_INVALID, "envelope: 'type' is not a valid case type");
	if ((unsigned)env->kind >= ENVELOPE_KIND_COUNT)
		return err_set(e, ERR_INVALID, "envelope: unknown kind %d", (int)env->kind);
	if (env->index > INT64_MAX || env->case_index > INT64_MAX)
		return err_set(e, ERR_INVALID, "envelope: index above 2^63-1");
	return 0;
}

int envelope_encode(const struct envelope *env, char *buf, size_t cap,
		    size_t *len, struct err *e)
{
	char time[21], hex[65];
	int n, rc;

	if ((rc = check_names(env, e)) < 0 || (rc = check_fields(env, e)) < 0)
		return rc;
	if ((rc = envelope_time_format(env->time, time, e)) < 0)
		return err_wrap(e, "envelope");
	merkle_hex(hex, env->body);
	n = snprintf(buf, cap,
		     MAGIC "\nfrom %s\nto %s\nindex %" PRIu64 "\ntime %s\n"
		     "case %s/%" PRIu64 "\nkind %s\ntype %s\nbody sha256:%s\n",
		     env->from, env->to, env->index, time, env->case_from,
		     env->case_index, kind_names[env->kind], env->type, hex);
	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ERR_TOOBIG,
			       "envelope does not fit in %zu bytes", cap);
	*len = (size_t)n;
	return 0;
}

static int set_name(char *dst, const char *v, size_t n, const char *what,
		    int line, struct err *e)
{
	if (!envelope_name_valid(v, n))
		return err_set(e, ERR_INVALID,
			       "envelope line %d: '%s' is not a valid party name (1-%d of a-z 0-9 . -)",
			       line, what, ENVELOPE_NAME_MAX);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static int parse_value(struct envelope *env, int key, const char *v, size_t n,
		       int line, struct err *e)
{
	const char *slash;
	int rc;

	switch (key) {
	case K_FROM:
		return set_name(env->from, v, n, "from", line, e);
	case K_TO:
		return set_name(env->to, v, n, "to", line, e);
	case K_INDEX:
		if (parse_u64(v, n, &env->index) < 0)
			return err_set(e, ERR_INVALID,
				       "envelope line %d: index must be a decimal below 2^63 without leading zeros",
				       line);
		return 0;
	case K_TIME:
		if (envelope_time_parse(v, n, &env->time) < 0)
			return err_set(e, ERR_INVALID,
				       "envelope line %d: time must be YYYY-MM-DDTHH:MM:SSZ, a real UTC time from 1970",
				       line);
		return 0;
	case K_CASE:
		slash = memchr(v, '/', n);
		if (!slash)
			return err_set(e, ERR_INVALID,
				       "envelope line %d: case must be PARTY/INDEX", line);
		if ((rc = set_name(env->case_from, v, (size_t)(slash - v),
				   "case", line, e)) < 0)
			return rc;
		if (parse_u64(slash + 1, n - (size_t)(slash + 1 - v),
			      &env->case_index) < 0)
			return err_set(e, ERR_INVALID,
				       "envelope line %d: case index must be a decimal without leading zeros",
				       line);
		return 0;
	case K_KIND:
		for (int k = 0; k < ENVELOPE_KIND_COUNT; k++)
			if (strlen(kind_names[k]) == n && memcmp(kind_names[k], v, n) == 0) {
				env->kind = (enum envelope_kind)k;
				return 0;
			}
		return err_set(e, ERR_INVALID, "envelope line %d: unknown kind '%.*s'",
			       line, (int)n, v);
	case K_TYPE:
		if (!envelope_type_valid(v, n))
			return err_set(e, ERR_INVALID,
				       "envelope line %d: type must be 1-%d of a-z 0-9 -, starting with a letter",
				       line, ENVELOPE_TYPE_MAX);
		memcpy(env->type, v, n);
		env->type[n] = '\0';
		return 0;
	case K_BODY:
		if (n != 7 + 64 || memcmp(v, "sha256:", 7) != 0)
			return err_set(e, ERR_INVALID,
				       "envelope line %d: body must be sha256: and 64 lower-case hex digits",
				       line);
		for (int i = 0; i < 32; i++) {
			int hi = hexval(v[7 + 2 * i]), lo = hexval(v[8 + 2 * i]);
			if (hi < 0 || lo < 0)
				return err_set(e, ERR_INVALID,
					       "envelope line %d: body must be sha256: and 64 lower-case hex digits",
					       line);
			env->body[i] = (uint8_t)(hi << 4 | lo);
		}
		return 0;
	}
	return ERR_INVALID;
}

static int key_index(const char *k, size_t n)
{
	for (int i = 0; i < K_COUNT; i++)
		if (strlen(keys[i]) == n && memcmp(keys[i], k, n) == 0)
			return i;
	return -1;
}

int envelope_parse(struct envelope *env, const char *buf, size_t len,
		   struct err *e)
{
	const char *p = buf, *end = buf + len;
	int line = 0, want = -1, rc;

	memset(env, 0, sizeof(*env));
	if (len > ENVELOPE_MAX)
		return err_set(e, ERR_INVALID, "envelope: longer than %d bytes",
			       ENVELOPE_MAX);
	if (!bytes_printable(buf, len)) {
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)buf[i];
			if ((c < 0x20 && c != '\n') || c == 0x7f)
				return err_set(e, ERR_INVALID,
					       "envelope: control character 0x%02x at byte %zu",
					       c, i);
			if (c >= 0x80)
				return err_set(e, ERR_INVALID,
					       "envelope: non-ASCII byte at %zu", i);
		}
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *sp;
		size_t n;
		int k;

		line++;
		if (!nl)
			return err_set(e, ERR_INVALID,
				       "envelope line %d: does not end with a newline", line);
		n = (size_t)(nl - p);
		if (n > ENVELOPE_LINE_MAX)
			return err_set(e, ERR_INVALID,
				       "envelope line %d: longer than %d bytes", line,
				       ENVELOPE_LINE_MAX);
		if (want < 0) {
			if (n != strlen(MAGIC) || memcmp(p, MAGIC, n) != 0)
				return err_set(e, ERR_INVALID,
					       "envelope line 1: expected \"" MAGIC "\"");
			want = 0;
			p = nl + 1;
			continue;
		}
		sp = memchr(p, ' ', n);
		if (!sp)
			return err_set(e, ERR_INVALID,
				       "envelope line %d: expected \"key value\"", line);
		/* The key due next, or (for the error) whichever it is. */
		k = want < K_COUNT && (size_t)(sp - p) == key_len[want] &&
				memcmp(p, keys[want], key_len[want]) == 0
			? want : key_index(p, (size_t)(sp - p));
		if (want >= K_COUNT)
			return err_set(e, ERR_INVALID,
				       "envelope line %d: unexpected line after 'body'", line);
		if (k < 0)
			return err_set(e, ERR_INVALID,
				       "envelope line %d: unknown key '%.*s'", line,
				       (int)(sp - p > 32 ? 32 : sp - p), p);
		if (k < want)
			return err_set(e, ERR_INVALID,
				       "envelope line %d: duplicate key '%s'", line, keys[k]);
		if (k > want)
			return err_set(e, ERR_INVALID,
				       "envelope line %d: key '%s' out of order or '%s' missing",
				       line, keys[k], keys[want]);
		if ((rc = parse_value(env, k, sp + 1, (size_t)(nl - sp - 1), line, e)) < 0)
			return rc;
		want++;
		p = nl + 1;
	}
	if (want < 0)
		return err_set(e, ERR_INVALID, "envelope: empty");
	if (want < K_COUNT)
		return err_set(e, ERR_INVALID, "envelope: missing key '%s'", keys[want]);
	return check_fields(env, e);
}
