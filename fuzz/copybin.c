/* SPDX-License-Identifier: MIT */
/*
 * copybin: cvx-pg-load's COPY binary fields (binary.c) held to its COPY
 * text fields (copy.c) as the server reads them.
 *
 * Input: byte 0 picks the binary form (low nibble, mod 13: forms[]) and
 * the NUL policy (high nibble, mod 3); the rest is one JSON value, taken
 * when cvx_json_skip checks it whole.  Both conversions run:
 * cvx_copy_binary_value with the form, cvx_copy_value with the class of
 * the form's type (int2 -> CVX_PG_INT ..., elem CVX_PG_OTHER).
 *
 * Invariants:
 * - the binary conversion only appends, and appends nothing when it
 *   answers 1 (no binary form: the text path decides, unconstrained);
 * - -1: the text path refuses the value too, with the same reason;
 * - 0: one field whose length says what follows (-1: NULL, the text
 *   path's \N; else the recv function's size for fixed-size types), the
 *   text path succeeds, and the value the server stores from the text
 *   field is the one the binary bytes hold.  The server's side is a
 *   second implementation written here from PostgreSQL's sources: the
 *   COPY text field decoded as CopyReadAttributesText does, then read
 *   as the type's input function does: int2in/int4in/int8in (decimal,
 *   in range), float4in/float8in (strtof/strtod, "NaN", "Infinity",
 *   ERANGE at 0 or infinity refused; NaNs all alike), boolin, byteain
 *   (\x hex, or the escape format), textin, json_in and jsonb_in (the
 *   same text; jsonb's version byte 1 first), timestamp_in,
 *   timestamptz_in and date_in for ISO 8601 text: what cvx writes for
 *   epoch milliseconds ("YYYY-MM-DD HH:MM:SS.ffffff[+00][ BC]",
 *   "YYYY-MM-DD[ BC]") and the date strings a document may hold
 *   ("YYYY-MM-DD[THH:MM:SS[.f][Z|+HH:MM]]"); years proleptic Gregorian,
 *   N BC = 1 - N, PostgreSQL's range.  A text the input function
 *   refuses must have had no binary form.
 * No exception: wherever the binary conversion answers 0, the text
 * conversion succeeds.  (Where the binary one answers 1, the text one
 * may still refuse: U+0000 under --nul reject in text, json and jsonb,
 * an object in a bytea, timestamp or integer column.  Allowed: the
 * caller then fails in COPY text with the text path's reason.)
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if __has_include("cvx-pg-load.h")
#include "cvx-pg-load.h"
#endif
#include "fuzz.h"

/* The binary forms and the class of their type for cvx_copy_value. */
static const struct form {
	enum cvx_pgbin bin;
	enum cvx_pgtype type;
	const char *name;
	size_t	 size;		/* the recv function's fixed size, or 0 */
} forms[] = {
	{ CVX_BIN_TEXT, CVX_PG_TEXT, "text", 0 },
	{ CVX_BIN_INT2, CVX_PG_INT, "int2", 2 },
	{ CVX_BIN_INT4, CVX_PG_INT, "int4", 4 },
	{ CVX_BIN_INT8, CVX_PG_INT, "int8", 8 },
	{ CVX_BIN_FLOAT4, CVX_PG_FLOAT, "float4", 4 },
	{ CVX_BIN_FLOAT8, CVX_PG_FLOAT, "float8", 8 },
	{ CVX_BIN_BOOL, CVX_PG_BOOL, "bool", 1 },
	{ CVX_BIN_BYTEA, CVX_PG_BYTEA, "bytea", 0 },
	{ CVX_BIN_JSON, CVX_PG_JSON, "json", 0 },
	{ CVX_BIN_JSONB, CVX_PG_JSONB, "jsonb", 0 },
	{ CVX_BIN_TIMESTAMP, CVX_PG_TIMESTAMP, "timestamp", 8 },
	{ CVX_BIN_TIMESTAMPTZ, CVX_PG_TIMESTAMPTZ, "timestamptz", 8 },
	{ CVX_BIN_DATE, CVX_PG_DATE, "date", 4 },
};
#define NFORMS (sizeof(forms) / sizeof(forms[0]))
static const enum cvx_nul_policy nuls[] = {
	CVX_NUL_REJECT, CVX_NUL_STRIP, CVX_NUL_REPLACE
};

/* What the binary field is preceded by: it must stay as it is. */
#define PREFIX		"row:"
#define PREFIX_LEN	4

/* PostgreSQL's date range (datatype/timestamp.h), Julian days. */
#define POSTGRES_EPOCH_JDATE	2451545
#define DATE_END_JULIAN		2147483494
#define JULIAN_MINYEAR		(-4713)
#define JULIAN_MINMONTH		11
#define JULIAN_MAXYEAR		5874898
#define JULIAN_MAXMONTH		6
#define MIN_TIMESTAMP		(-211813488000000000LL)
#define END_TIMESTAMP		9223371331200000000LL
#define USECS_PER_DAY		86400000000LL

static void
put_be(struct cvx_buf *out, uint64_t v, size_t bytes)
{
	size_t i;

	for (i = 0; i < bytes; i++)
		cvx_buf_addc(out, (char)(v >> (8 * (bytes - 1 - i))));
}

static uint64_t
get_be(const char *p, size_t bytes)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < bytes; i++)
		v = v << 8 | (unsigned char)p[i];
	return v;
}

/* ---- the server's side: COPY text, then the input functions ---------- */

static int
octal(char c)
{
	return c >= '0' && c <= '7';
}

/*
 * One COPY text field f[0..n) as the server reads it (copyfromparse.c,
 * CopyReadLineText and CopyReadAttributesText): \N alone is NULL; a
 * backslash takes what follows: b f n r t v as control characters, 1 to
 * 3 octal digits or x and 1 or 2 hex digits as a byte, any other byte as
 * itself.  The result must be UTF-8 without NUL (the encoding check).
 * Returns NULL, or why the server would not read this as one field.
 */
static const char *
srv_copy_field(const char *f, size_t n, struct cvx_buf *out, bool *null)
{
	size_t i;
	int v;

	*null = n == 2 && f[0] == '\\' && f[1] == 'N';
	if (*null)
		return NULL;
	for (i = 0; i < n; i++) {
		if (f[i] == '\t' || f[i] == '\n' || f[i] == '\r')
			return "a raw tab, newline or CR ends the field";
		if (f[i] != '\\') {
			cvx_buf_addc(out, f[i]);
			continue;
		}
		if (++i == n)
			return "a backslash last escapes the delimiter";
		switch (f[i]) {
		case '.':
			/* Before PostgreSQL 18: anywhere in a line. */
			return "\\. is the end-of-copy marker";
		case 'b': cvx_buf_addc(out, '\b'); break;
		case 'f': cvx_buf_addc(out, '\f'); break;
		case 'n': cvx_buf_addc(out, '\n'); break;
		case 'r': cvx_buf_addc(out, '\r'); break;
		case 't': cvx_buf_addc(out, '\t'); break;
		case 'v': cvx_buf_addc(out, '\v'); break;
		case '\n': case '\r': case '\t':
			return "an escaped line or field end";
		case 'x':
			if (i + 1 < n && isxdigit((unsigned char)f[i + 1])) {
				v = cvx_hexval((unsigned char)f[++i]);
				if (i + 1 < n &&
				    isxdigit((unsigned char)f[i + 1]))
					v = v << 4 |
					    cvx_hexval((unsigned char)f[++i]);
				cvx_buf_addc(out, (char)v);
			} else
				cvx_buf_addc(out, 'x');
			break;
		default:
			if (!octal(f[i])) {
				cvx_buf_addc(out, f[i]);
				break;
			}
			v = f[i] - '0';
			if (i + 1 < n && octal(f[i + 1])) {
				v = v << 3 | (f[++i] - '0');
				if (i + 1 < n && octal(f[i + 1]))
					v = v << 3 | (f[++i] - '0');
			}
			cvx_buf_addc(out, (char)(v & 0xFF));
		}
	}
	if (out->len > 0 && memchr(out->p, '\0', out->len) != NULL)
		return "invalid byte sequence for encoding UTF8: 0x00";
	if (!ref_utf8(out->p, out->len))
		return "invalid byte sequence for encoding UTF8";
	return NULL;
}

/*
 * int2in, int4in, int8in (numutils.c, pg_strtoint16...): blanks, a
 * sign, decimal digits, blanks; in the type's range.  (PostgreSQL 16's
 * 0x prefixes and _ separators are never written by cvx: refused here.)
 */
static const char *
srv_int(const char *s, size_t bytes, struct cvx_buf *want)
{
	uint64_t u = 0, lim;
	bool neg = false, any = false, over = false;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	lim = bytes == 2 ? INT16_MAX : bytes == 4 ? INT32_MAX : INT64_MAX;
	lim += neg;
	for (; *s >= '0' && *s <= '9'; s++) {
		any = true;
		if (u > (lim - (uint64_t)(*s - '0')) / 10)
			over = true;
		else
			u = u * 10 + (uint64_t)(*s - '0');
	}
	while (isspace((unsigned char)*s))
		s++;
	if (!any || *s != '\0')
		return "invalid input syntax for type integer";
	if (over)
		return "value out of range for the integer type";
	put_be(want, neg ? 0 - u : u, bytes);
	return NULL;
}

/*
 * float4in, float8in (float.c, PostgreSQL 12 on): strtof or strtod
 * after blanks; where it fails, NaN, [+-]Infinity and [+-]inf by name
 * (any case); ERANGE refused when the result is 0 or infinite (kept
 * for a subnormal); blanks, then the end.
 */
static const char *
srv_float(const char *s, bool f4, struct cvx_buf *want)
{
	static const struct {
		const char *name;
		double v;
	} names[] = {
		{ "NaN", NAN }, { "Infinity", INFINITY },
		{ "+Infinity", INFINITY }, { "-Infinity", -INFINITY },
		{ "inf", INFINITY }, { "+inf", INFINITY }, { "-inf", -INFINITY },
	};
	char *end;
	double d = 0;
	float f = 0;
	uint64_t u8;
	uint32_t u4;
	size_t i;
	int e;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return "invalid input syntax for type double precision";
	errno = 0;
	if (f4)
		f = strtof(s, &end);
	else
		d = strtod(s, &end);
	e = errno;
	if (end == s || e != 0) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strncasecmp(s, names[i].name,
			    strlen(names[i].name)) == 0)
				break;
		if (i < sizeof(names) / sizeof(names[0])) {
			d = names[i].v;
			f = (float)names[i].v;
			end = (char *)s + strlen(names[i].name);
		} else if (e == ERANGE) {
			if (f4 ? f == 0 || isinf(f) : d == 0 || isinf(d))
				return "is out of range for the float type";
		} else
			return "invalid input syntax for the float type";
	}
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return "invalid input syntax for the float type";
	if (f4) {
		memcpy(&u4, &f, 4);
		put_be(want, u4, 4);
	} else {
		memcpy(&u8, &d, 8);
		put_be(want, u8, 8);
	}
	return NULL;
}

/*
 * boolin (bool.c, parse_bool_with_len): blanks trimmed, then any prefix
 * of true, false, yes, no; on, of(f) (two letters at least); 1, 0.
 */
static const char *
srv_bool(const char *s, struct cvx_buf *want)
{
	size_t n;
	int b = -1;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	switch (n == 0 ? '\0' : *s) {
	case 't': case 'T':
		if (strncasecmp(s, "true", n) == 0)
			b = 1;
		break;
	case 'f': case 'F':
		if (strncasecmp(s, "false", n) == 0)
			b = 0;
		break;
	case 'y': case 'Y':
		if (strncasecmp(s, "yes", n) == 0)
			b = 1;
		break;
	case 'n': case 'N':
		if (strncasecmp(s, "no", n) == 0)
			b = 0;
		break;
	case 'o': case 'O':
		if (strncasecmp(s, "on", n > 2 ? n : 2) == 0)
			b = 1;
		else if (strncasecmp(s, "off", n > 2 ? n : 2) == 0)
			b = 0;
		break;
	case '1':
		if (n == 1)
			b = 1;
		break;
	case '0':
		if (n == 1)
			b = 0;
		break;
	}
	if (b < 0)
		return "invalid input syntax for type boolean";
	cvx_buf_addc(want, (char)b);
	return NULL;
}

/*
 * byteain (varlena.c): "\x" and hex digit pairs (blanks between pairs
 * skipped), or the escape format: \\ and \ooo (first digit 0-3).
 */
static const char *
srv_bytea(const char *s, size_t n, struct cvx_buf *want)
{
	size_t i;

	if (n >= 2 && s[0] == '\\' && s[1] == 'x') {
		for (i = 2; i < n; i++) {
			if (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' ||
			    s[i] == '\r')
				continue;
			if (!isxdigit((unsigned char)s[i]))
				return "invalid hexadecimal digit";
			if (i + 1 == n)
				return "invalid hexadecimal data: odd number "
				    "of digits";
			if (!isxdigit((unsigned char)s[i + 1]))
				return "invalid hexadecimal digit";
			cvx_buf_addc(want, (char)(cvx_hexval(
			    (unsigned char)s[i]) << 4 |
			    cvx_hexval((unsigned char)s[i + 1])));
			i++;
		}
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			cvx_buf_addc(want, s[i]);
		} else if (i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    octal(s[i + 2]) && octal(s[i + 3])) {
			cvx_buf_addc(want, (char)((s[i + 1] - '0') << 6 |
			    (s[i + 2] - '0') << 3 | (s[i + 3] - '0')));
			i += 3;
		} else if (i + 1 < n && s[i + 1] == '\\') {
			cvx_buf_addc(want, '\\');
			i++;
		} else
			return "invalid input syntax for type bytea";
	}
	return NULL;
}

/*
 * json_in, jsonb_in (json.c, jsonb.c): one JSON text; jsonb refuses a
 * \u0000 escape and is stored from the same text that jsonb_recv takes
 * after its version byte 1.
 */
static const char *
srv_json(const char *s, size_t n, bool jsonb, struct cvx_buf *want)
{
	size_t i;

	if (!ref_json(s, n, 100000, false))
		return "invalid input syntax for type json";
	for (i = 0; jsonb && i < n; i++)
		if (s[i] == '\\') {
			if (n - i >= 6 && memcmp(s + i, "\\u0000", 6) == 0)
				return "unsupported Unicode escape sequence";
			i++;
		}
	if (jsonb)
		cvx_buf_addc(want, 1);
	cvx_buf_add(want, s, n);
	return NULL;
}

/* PostgreSQL's date2j (datetime.c): the Julian day of a Gregorian date. */
static int64_t
date2j(int64_t y, int64_t m, int64_t d)
{
	int64_t julian, century;

	if (m > 2) {
		m += 1;
		y += 4800;
	} else {
		m += 13;
		y += 4799;
	}
	century = y / 100;
	julian = y * 365 - 32167;
	julian += y / 4 - century + century / 4;
	julian += 7834 * m / 256 + d;
	return julian;
}

static bool
isleap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* At least min, at most max digits at *p into *v; false if not. */
static bool
digits(const char **p, size_t min, size_t max, int64_t *v)
{
	size_t k;

	*v = 0;
	for (k = 0; isdigit((unsigned char)**p) && k < max; k++, (*p)++)
		*v = *v * 10 + (**p - '0');
	return k >= min && !isdigit((unsigned char)**p);
}

/*
 * timestamp_in, timestamptz_in, date_in (timestamp.c, date.c through
 * datetime.c's ParseDateTime, DecodeDateTime, DecodeTimezone,
 * ValidateDate, tm2timestamp) for ISO 8601 forms: "Y-MM-DD" with a year
 * of 3 digits or more; then maybe a time, " " or "T" and "HH:MM:SS"
 * with an optional fraction (rint(frac * 10^6) microseconds), then
 * maybe a zone, "Z" or +H, +HHMM, +H:M (or -; DecodeTimezone's
 * reading: 3 digits or more run together end in the minutes); " BC".  The zone
 * moves a timestamptz and is ignored by timestamp and date (date_in
 * keeps the date as written, time and zone checked only); a timestamptz
 * without one is refused here, as the session's zone would decide.  In
 * PostgreSQL's range.  want: microseconds (int64) or days (int32) since
 * 2000-01-01, big-endian, as timestamp_send and date_send give.
 */
static const char *
srv_time(const char *s, enum cvx_pgbin bin, struct cvx_buf *want)
{
	const char *p = s, *fs;
	int64_t y, mo, d, h = 0, mi = 0, sec = 0, fsec = 0, days;
	int64_t zh = 0, zm = 0, zsign = 0;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	__int128 t;
	char *end;
	double frac;

	if (!digits(&p, 3, 9, &y) || *p++ != '-' ||
	    !digits(&p, 2, 2, &mo) || *p++ != '-' || !digits(&p, 2, 2, &d))
		return "not an ISO date";
	if (*p == ' ' && p[1] != 'B') {
		p++;
		goto time;
	}
	if (*p == 'T' || *p == 't') {
		p++;
	time:
		if (!digits(&p, 2, 2, &h) || *p++ != ':' ||
		    !digits(&p, 2, 2, &mi) || *p++ != ':' ||
		    !digits(&p, 2, 2, &sec))
			return "not an ISO time";
		if (*p == '.') {
			fs = p;
			for (p++; isdigit((unsigned char)*p); p++)
				;
			frac = strtod(fs, &end);
			if (end != p)
				return "a bad fraction";
			fsec = (int64_t)rint(frac * 1000000);
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
			zsign = 1;
		} else if (*p == '+' || *p == '-') {
			zsign = *p++ == '-' ? -1 : 1;
			fs = p;
			if (!digits(&p, 1, 9, &zh))
				return "a bad zone";
			if (*p == ':') {
				p++;
				if (!digits(&p, 1, 9, &zm))
					return "a bad zone";
			} else if (p - fs >= 3) {	/* run together */
				zm = zh % 100;
				zh /= 100;
			}
			if (zh > 15 || zm > 59)
				return "time zone displacement out of range";
		}
	}
	if (strcmp(p, " BC") == 0) {
		if (y <= 0)
			return "date/time field value out of range (year)";
		y = 1 - y;
	} else if (*p != '\0')
		return "trailing text";
	else if (y <= 0)
		return "date/time field value out of range (year 0)";
	if (zsign == 0 && bin == CVX_BIN_TIMESTAMPTZ)
		return "no zone: the session's would decide";
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && isleap(y)))
		return "date/time field value out of range (date)";
	if (mi > 59 || sec > 60 || fsec > 1000000 || h > 24 ||
	    (h == 24 && (mi > 0 || sec > 0 || fsec > 0)))
		return "date/time field value out of range (time)";
	if (!((y > JULIAN_MINYEAR || (y == JULIAN_MINYEAR &&
	    mo >= JULIAN_MINMONTH)) && (y < JULIAN_MAXYEAR ||
	    (y == JULIAN_MAXYEAR && mo < JULIAN_MAXMONTH))))
		return "out of range (Julian)";
	days = date2j(y, mo, d) - POSTGRES_EPOCH_JDATE;
	if (bin == CVX_BIN_DATE) {
		if (days < -POSTGRES_EPOCH_JDATE ||
		    days >= DATE_END_JULIAN - POSTGRES_EPOCH_JDATE)
			return "date out of range";
		put_be(want, (uint64_t)days, 4);
		return NULL;
	}
	t = (__int128)days * USECS_PER_DAY +
	    ((h * 60 + mi) * 60 + sec) * 1000000 + fsec;
	if (bin == CVX_BIN_TIMESTAMPTZ)
		t -= zsign * (zh * 3600 + zm * 60) * 1000000;
	if (t < MIN_TIMESTAMP || t >= END_TIMESTAMP)
		return "timestamp out of range";
	put_be(want, (uint64_t)(int64_t)t, 8);
	return NULL;
}

/*
 * What the server stores from the decoded text s[0..n) for form f, as
 * f's binary form (the bytes its send function gives); NULL, or why the
 * input function refuses s.
 */
static const char *
srv_value(const struct form *f, const char *s, size_t n,
    struct cvx_buf *want)
{
	switch (f->bin) {
	case CVX_BIN_TEXT:
		cvx_buf_add(want, s, n);
		return NULL;
	case CVX_BIN_INT2: case CVX_BIN_INT4: case CVX_BIN_INT8:
		return srv_int(s, f->size, want);
	case CVX_BIN_FLOAT4: case CVX_BIN_FLOAT8:
		return srv_float(s, f->bin == CVX_BIN_FLOAT4, want);
	case CVX_BIN_BOOL:
		return srv_bool(s, want);
	case CVX_BIN_BYTEA:
		return srv_bytea(s, n, want);
	case CVX_BIN_JSON: case CVX_BIN_JSONB:
		return srv_json(s, n, f->bin == CVX_BIN_JSONB, want);
	case CVX_BIN_TIMESTAMP: case CVX_BIN_TIMESTAMPTZ: case CVX_BIN_DATE:
		return srv_time(s, f->bin, want);
	case CVX_BIN_NONE:
		break;
	}
	return "no such form";
}

/* Do the binary bytes b[0..n) hold the value want holds, for form f? */
static bool
same_value(const struct form *f, const char *b, size_t n,
    const struct cvx_buf *want)
{
	uint64_t x, y;
	float fx, fy;
	double dx, dy;

	if (f->size != 0 && n != f->size)
		return false;
	if (f->bin == CVX_BIN_BOOL)		/* boolrecv: not 0 is true */
		return (b[0] != 0) == (want->p[0] != 0);
	if (f->bin == CVX_BIN_FLOAT4 || f->bin == CVX_BIN_FLOAT8) {
		x = get_be(b, n);
		y = get_be(want->p, n);
		if (n == 4) {
			memcpy(&fx, &(uint32_t){ (uint32_t)x }, 4);
			memcpy(&fy, &(uint32_t){ (uint32_t)y }, 4);
			if (isnan(fx) && isnan(fy))
				return true;
		} else {
			memcpy(&dx, &x, 8);
			memcpy(&dy, &y, 8);
			if (isnan(dx) && isnan(dy))
				return true;
		}
	}
	return mem_eq(b, n, want->p, want->len);
}

/* ---- the harness ------------------------------------------------------ */

static void
show(const char *v, size_t n, const struct cvx_buf *bin,
    const struct cvx_buf *text)
{
	fuzz_show("value", v, n);
	if (bin->len >= PREFIX_LEN)
		fuzz_show("binary field", bin->p + PREFIX_LEN,
		    bin->len - PREFIX_LEN);
	fuzz_show("text field", text->p, text->len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct form *f;
	enum cvx_nul_policy nul;
	const char *v = (const char *)data + 1, *bwhy, *twhy, *sw;
	const char *b;
	size_t n = size - 1, bn;
	struct cvx_buf bin = {0}, btmp = {0}, text = {0}, ttmp = {0};
	struct cvx_buf dec = {0}, want = {0};
	uint32_t len;
	bool null;
	int br, tr;

	if (size < 2 || cvx_json_skip(v, v, v + n, NULL) != v + n)
		return 0;
	f = &forms[(data[0] & 0x0F) % NFORMS];
	nul = nuls[(data[0] >> 4) % 3];
	/* Scratch left dirty, as a row's earlier value leaves it. */
	cvx_buf_adds(&btmp, "scratch 12345.5e7");
	cvx_buf_adds(&ttmp, "scratch 12345.5e7");
	cvx_buf_add(&bin, PREFIX, PREFIX_LEN);
	/* Allocated, so that an empty one is still a C string. */
	cvx_buf_add(&text, "", 0);
	cvx_buf_add(&dec, "", 0);
	cvx_buf_add(&want, "", 0);
	bwhy = "unset";
	br = cvx_copy_binary_value(&bin, &btmp, f->bin, v, n, nul, &bwhy);
	twhy = "unset";
	tr = cvx_copy_value(&text, &ttmp, f->type, CVX_PG_OTHER, v, n, nul,
	    &twhy);
	CHECK(bin.len >= PREFIX_LEN && memcmp(bin.p, PREFIX,
	    PREFIX_LEN) == 0, "%s: the bytes before the field changed",
	    f->name);
	CHECK(br == 0 || br == 1 || br == -1, "%s: returned %d", f->name, br);
	CHECK(tr == 0 || tr == -1, "%s: text returned %d", f->name, tr);
	CHECK(tr == 0 || twhy != NULL, "%s: a text refusal without a reason",
	    f->name);
	if (br == 1) {
		if (bin.len != PREFIX_LEN)
			show(v, n, &bin, &text);
		CHECK(bin.len == PREFIX_LEN, "%s: no binary form, but %zu "
		    "bytes appended", f->name, bin.len - PREFIX_LEN);
		goto done;
	}
	if (br == -1) {
		CHECK(bwhy != NULL, "%s: a refusal without a reason", f->name);
		if (tr != -1 || strcmp(bwhy, twhy) != 0) {
			show(v, n, &bin, &text);
			CHECK(false, "%s nul %d: binary refuses (%s), text "
			    "%s (%s)", f->name, (int)nul, bwhy,
			    tr == 0 ? "takes it" : "refuses", tr == 0 ? "" :
			    twhy);
		}
		goto done;
	}
	if (tr != 0) {
		show(v, n, &bin, &text);
		CHECK(false, "%s nul %d: a binary field, but the text path "
		    "refuses (%s)", f->name, (int)nul, twhy);
	}
	/* One field: its length, then that many bytes (or -1: NULL). */
	b = bin.p + PREFIX_LEN;
	bn = bin.len - PREFIX_LEN;
	CHECK(bn >= 4, "%s: a field shorter than its length", f->name);
	len = (uint32_t)get_be(b, 4);
	b += 4;
	bn -= 4;
	if ((sw = srv_copy_field(text.p, text.len, &dec, &null)) != NULL) {
		show(v, n, &bin, &text);
		CHECK(false, "%s nul %d: the text field is no COPY field: %s",
		    f->name, (int)nul, sw);
	}
	if (len == UINT32_MAX || null) {
		if (!(len == UINT32_MAX && bn == 0 && null && *v == 'n'))
			show(v, n, &bin, &text);
		CHECK(len == UINT32_MAX && bn == 0 && null && *v == 'n',
		    "%s: NULL for a value, or a value for null (binary "
		    "length %d, %zu bytes after it; text %s)", f->name,
		    (int)len, bn, null ? "\\N" : "a value");
		goto done;
	}
	if (len != bn || (f->size != 0 && bn != f->size) ||
	    (f->bin == CVX_BIN_JSONB && (bn == 0 || b[0] != 1))) {
		show(v, n, &bin, &text);
		CHECK(false, "%s: a field of length %u holds %zu bytes "
		    "(%s wants %zu)", f->name, len, bn, f->name, f->size);
	}
	if ((sw = srv_value(f, dec.p, dec.len, &want)) != NULL) {
		show(v, n, &bin, &text);
		fuzz_show("text decoded", dec.p, dec.len);
		CHECK(false, "%s nul %d: a binary field, but the server "
		    "refuses the text: %s", f->name, (int)nul, sw);
	}
	if (!same_value(f, b, bn, &want)) {
		show(v, n, &bin, &text);
		fuzz_show("text decoded", dec.p, dec.len);
		fuzz_show("the server stores", want.p, want.len);
		CHECK(false, "%s nul %d: the binary field holds another "
		    "value", f->name, (int)nul);
	}
done:
	cvx_buf_free(&bin);
	cvx_buf_free(&btmp);
	cvx_buf_free(&text);
	cvx_buf_free(&ttmp);
	cvx_buf_free(&dec);
	cvx_buf_free(&want);
	return 0;
}
