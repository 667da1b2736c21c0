/* SPDX-License-Identifier: MIT */
/*
 * encode.c: a column's PostgreSQL output text as a value in Convex's
 * uniform encoding (convex-export-format.md §3.1): integers bare, floats
 * with a '.' or an exponent ({"$float":…} for NaN and the infinities),
 * bytes as {"$bytes":…}, times as float epoch milliseconds, arrays as
 * JSON arrays of their elements' values, everything else as a string.
 * The session's output settings (db.c) are what the parsers here read:
 * DateStyle ISO, TimeZone UTC, extra_float_digits 1, bytea_output hex.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cvx-pg-dump.h"

/* float64 NaN (the quiet NaN Convex writes), +Inf, -Inf: 8 LE bytes. */
#define F_NAN	"{\"$float\":\"AAAAAAAA+H8=\"}"
#define F_PINF	"{\"$float\":\"AAAAAAAA8H8=\"}"
#define F_NINF	"{\"$float\":\"AAAAAAAA8P8=\"}"

/* 2^42 milliseconds: below it float64s are under 0.5 us apart. */
#define MS_2_42	4398046511104ULL

void
dump_base64(struct cvx_buf *out, const unsigned char *p, size_t n)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	char *q;

	cvx_buf_grow(out, (n + 2) / 3 * 4);
	q = out->p + out->len;
	for (i = 0; i + 3 <= n; i += 3) {
		*q++ = a[p[i] >> 2];
		*q++ = a[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*q++ = a[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		*q++ = a[p[i + 2] & 63];
	}
	if (n - i == 1) {
		*q++ = a[p[i] >> 2];
		*q++ = a[(p[i] & 3) << 4];
		*q++ = '=';
		*q++ = '=';
	} else if (n - i == 2) {
		*q++ = a[p[i] >> 2];
		*q++ = a[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*q++ = a[(p[i + 1] & 15) << 2];
		*q++ = '=';
	}
	out->len = (size_t)(q - out->p);
	out->p[out->len] = '\0';
}

/* Does the number text s[0..n) carry a '.' or an exponent? */
static bool
has_float_mark(const char *s, size_t n)
{
	return memchr(s, '.', n) != NULL || memchr(s, 'e', n) != NULL ||
	    memchr(s, 'E', n) != NULL;
}

/* The special float words of float4, float8 and numeric output. */
static const char *
float_word(const char *s, size_t n)
{
	if (n == 3 && memcmp(s, "NaN", 3) == 0)
		return F_NAN;
	if (n == 8 && memcmp(s, "Infinity", 8) == 0)
		return F_PINF;
	if (n == 9 && memcmp(s, "-Infinity", 9) == 0)
		return F_NINF;
	return NULL;
}

/*
 * Append the shortest text of x that strtod reads back as x, with a '.'
 * or an exponent; in fixed notation where JavaScript (and so Convex)
 * prints one, from 1e-7 to 1e21 (ECMA-262, Number::toString).
 */
static void
shortest(struct cvx_buf *out, double x)
{
	char b[48], *e;
	int p, exp10, d;

	for (p = 1; p <= 17; p++) {
		(void)snprintf(b, sizeof(b), "%.*g", p, x);
		if (strtod(b, NULL) == x)
			break;
	}
	if ((e = strchr(b, 'e')) != NULL) {
		exp10 = atoi(e + 1);
		if (exp10 > -7 && exp10 < 21) {
			d = p - 1 - exp10;
			(void)snprintf(b, sizeof(b), "%.*f", d > 0 ? d : 0, x);
		}
	}
	cvx_buf_adds(out, b);
	if (!has_float_mark(b, strlen(b)))
		cvx_buf_add(out, ".0", 2);
}

void
dump_epoch_ms(struct cvx_buf *out, int64_t us)
{
	char b[48];
	uint64_t a = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
	unsigned f = (unsigned)(a % 1000);
	int len, sig, i;

	len = snprintf(b, sizeof(b), "%s%llu.%03u", us < 0 ? "-" : "",
	    (unsigned long long)(a / 1000), f);
	while (b[len - 1] == '0' && b[len - 2] != '.')
		b[--len] = '\0';
	/*
	 * Up to 15 significant digits a decimal is the shortest text of its
	 * nearest float64 (DBL_DIG).  Below 2^42 ms (the year 2109) float64s
	 * are less than half a microsecond apart, so two texts on the
	 * microsecond grid never read as the same float64, and every shorter
	 * text is on the grid: the decimal is the shortest text of its
	 * float64 too.  Beyond, the float64 is printed back.
	 */
	for (sig = 0, i = us < 0; i < len; i++)
		if (b[i] != '.' && (sig > 0 || b[i] != '0'))
			sig++;
	if (f == 0)
		sig--;		/* the "0" after the point */
	if (sig <= 15 || a < MS_2_42 * 1000) {
		cvx_buf_add(out, b, (size_t)len);
		return;
	}
	shortest(out, strtod(b, NULL));
}

/* Days from 1970-01-01 to the proleptic Gregorian y-m-d (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Read digits at *p (at most max of them, at least one); -1 if none. */
static int64_t
digits(const char **p, const char *end, int max)
{
	int64_t v = 0;
	int k = 0;

	while (*p < end && **p >= '0' && **p <= '9' && k < max) {
		v = v * 10 + (**p - '0');
		(*p)++;
		k++;
	}
	return k == 0 ? -1 : v;
}

/*
 * ISO output of date, timestamp and timestamptz ("2024-01-02",
 * "2024-01-02 03:04:05.123456", with "+00" or another offset for
 * timestamptz, " BC" for years before 1) as microseconds since the epoch,
 * UTC.  Returns -1 for anything else ("infinity").
 */
static int
parse_time(const char *s, size_t n, enum dump_type type, int64_t *us)
{
	const char *p = s, *end = s + n;
	int64_t y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0, v;
	int k, sign;

	if ((y = digits(&p, end, 9)) < 0 || p == end || *p++ != '-' ||
	    (mo = digits(&p, end, 2)) < 1 || mo > 12 || p == end ||
	    *p++ != '-' || (d = digits(&p, end, 2)) < 1 || d > 31)
		return -1;
	if (type != DUMP_DATE && p < end && *p == ' ' && end - p > 1 &&
	    p[1] >= '0' && p[1] <= '9') {
		p++;
		if ((h = digits(&p, end, 2)) < 0 || p == end || *p++ != ':' ||
		    (mi = digits(&p, end, 2)) < 0 || p == end ||
		    *p++ != ':' || (sec = digits(&p, end, 2)) < 0)
			return -1;
		if (p < end && *p == '.') {
			p++;
			for (k = 0; k < 6; k++)
				frac = frac * 10 + (p < end && *p >= '0' &&
				    *p <= '9' ? *p++ - '0' : 0);
			if (p < end && *p >= '0' && *p <= '9')
				return -1;
		}
		if (p < end && (*p == '+' || *p == '-')) {
			sign = *p++ == '-' ? -1 : 1;
			if ((v = digits(&p, end, 2)) < 0)
				return -1;
			off = v * 3600;
			if (p < end && *p == ':') {
				p++;
				if ((v = digits(&p, end, 2)) < 0)
					return -1;
				off += v * 60;
			}
			if (p < end && *p == ':') {
				p++;
				if ((v = digits(&p, end, 2)) < 0)
					return -1;
				off += v;
			}
			off *= sign;
		}
	}
	if (end - p == 3 && memcmp(p, " BC", 3) == 0) {
		y = 1 - y;		/* 1 BC is year 0 */
		p = end;
	}
	if (p != end)
		return -1;
	*us = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec - off) * 1000000) + frac;
	return 0;
}

/*
 * A decimal number text as sign, significant digits and the exponent of
 * the first digit, for comparing two texts by value: "0.0120" and
 * "1.2e-2" give the same.
 */
struct decimal {
	bool	 neg;
	char	 d[1100];	/* numeric holds 1000 digits at most */
	size_t	 nd;
	long	 exp;
};

static int
decimal_read(const char *s, size_t n, struct decimal *v)
{
	const char *p = s, *end = s + n;
	long point = 0, e = 0;
	size_t zeros = 0;
	bool seen = false, dot = false;
	int esign = 1;

	v->neg = p < end && *p == '-';
	p += v->neg || (p < end && *p == '+');
	v->nd = 0;
	for (; p < end && ((*p >= '0' && *p <= '9') || *p == '.'); p++) {
		if (*p == '.') {
			dot = true;
			continue;
		}
		if (!dot && seen)
			point++;
		if (*p == '0') {
			/* Leading zeros only move the point; others wait. */
			if (!seen && dot)
				point--;
			else if (seen)
				zeros++;
			continue;
		}
		if (!seen && !dot)
			point++;
		seen = true;
		if (v->nd + zeros + 1 > sizeof(v->d))
			return -1;
		for (; zeros > 0; zeros--)
			v->d[v->nd++] = '0';
		v->d[v->nd++] = *p;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			esign = *p++ == '-' ? -1 : 1;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if ((e = e * 10 + (*p - '0')) > 100000)
				return -1;
	}
	if (p != end)
		return -1;
	v->exp = point + esign * e;
	if (v->nd == 0)
		v->neg = false, v->exp = 0;
	return 0;
}

/* numeric under --numeric float: its float64, or an error if it rounds. */
static int
numeric_float(struct cvx_buf *out, struct cvx_buf *tmp, const char *s,
    size_t n, const char **why)
{
	static struct decimal a, b;
	double x;

	cvx_buf_reset(tmp);
	cvx_buf_add(tmp, s, n);
	errno = 0;
	x = strtod(tmp->p, NULL);
	if (!isfinite(x) || decimal_read(s, n, &a) != 0) {
		*why = "numeric beyond float64";
		return -1;
	}
	cvx_buf_reset(tmp);
	shortest(tmp, x);
	if (decimal_read(tmp->p, tmp->len, &b) != 0 || a.neg != b.neg ||
	    a.exp != b.exp || a.nd != b.nd || memcmp(a.d, b.d, a.nd) != 0) {
		*why = "numeric would round as a float64 (--numeric float)";
		return -1;
	}
	cvx_buf_add(out, tmp->p, tmp->len);
	return 0;
}

/* bytea hex output ("\x0a1b") as {"$bytes":"<base64>"}. */
static int
bytea_value(struct cvx_buf *out, struct cvx_buf *tmp, const char *s,
    size_t n, const char **why)
{
	size_t i;
	int hi, lo;

	if (n < 2 || s[0] != '\\' || s[1] != 'x' || n % 2 != 0) {
		*why = "bytea not in hex output format";
		return -1;
	}
	cvx_buf_reset(tmp);
	cvx_buf_grow(tmp, n / 2);
	for (i = 2; i < n; i += 2) {
		if ((hi = cvx_hexval((unsigned char)s[i])) < 0 ||
		    (lo = cvx_hexval((unsigned char)s[i + 1])) < 0) {
			*why = "bytea not in hex output format";
			return -1;
		}
		tmp->p[tmp->len++] = (char)(hi << 4 | lo);
	}
	cvx_buf_adds(out, "{\"$bytes\":\"");
	dump_base64(out, (const unsigned char *)tmp->p, tmp->len);
	cvx_buf_adds(out, "\"}");
	return 0;
}

/*
 * An array's output text ({a,"b c",NULL,{1,2}}: PostgreSQL docs, Arrays,
 * "Array Input and Output Syntax") as a JSON array of elem values; *pp
 * is at its '{' and moves past its '}'.
 */
static int
array_value(struct cvx_buf *out, const struct dump_opts *o,
    enum dump_type elem, char delim, const char **pp, const char *end,
    const char **why)
{
	struct cvx_buf el = { 0 }, tmp = { 0 };
	const char *p = *pp + 1, *start;
	bool first = true, quoted;
	int r = 0;

	cvx_buf_addc(out, '[');
	while (r == 0) {
		if (p >= end) {
			*why = "unterminated array";
			r = -1;
			break;
		}
		if (*p == '}') {
			p++;
			break;
		}
		if (!first) {
			if (*p != delim) {
				*why = "malformed array";
				r = -1;
				break;
			}
			p++;
		}
		if (!first)
			cvx_buf_addc(out, ',');
		first = false;
		if (p < end && *p == '{') {
			r = array_value(out, o, elem, delim, &p, end, why);
			continue;
		}
		cvx_buf_reset(&el);
		quoted = p < end && *p == '"';
		if (quoted) {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				cvx_buf_addc(&el, *p);
			}
			if (p >= end) {
				*why = "unterminated array element";
				r = -1;
				break;
			}
			p++;
		} else {
			for (start = p; p < end && *p != delim && *p != '}';
			    p++)
				;
			cvx_buf_add(&el, start, (size_t)(p - start));
			if (el.len == 4 && strncasecmp(el.p, "NULL", 4) == 0) {
				cvx_buf_adds(out, "null");
				continue;
			}
		}
		r = dump_value(out, &tmp, o, elem, DUMP_STRING, ',', el.p,
		    el.len, why);
	}
	if (r == 0)
		cvx_buf_addc(out, ']');
	*pp = p;
	cvx_buf_free(&el);
	cvx_buf_free(&tmp);
	return r;
}

int
dump_value(struct cvx_buf *out, struct cvx_buf *tmp, const struct dump_opts *o,
    enum dump_type type, enum dump_type elem, char delim, const char *s,
    size_t n, const char **why)
{
	const char *w, *p, *end = s + n;
	int64_t us;

	switch (type) {
	case DUMP_INT:
		cvx_buf_add(out, s, n);
		return 0;
	case DUMP_FLOAT:
		if ((w = float_word(s, n)) != NULL) {
			cvx_buf_adds(out, w);
			return 0;
		}
		cvx_buf_add(out, s, n);
		if (!has_float_mark(s, n))
			cvx_buf_add(out, ".0", 2);
		return 0;
	case DUMP_NUMERIC:
		if (!o->numeric_float) {
			cvx_json_quote(out, s, n);
			return 0;
		}
		if ((w = float_word(s, n)) != NULL) {
			cvx_buf_adds(out, w);
			return 0;
		}
		return numeric_float(out, tmp, s, n, why);
	case DUMP_BOOL:
		cvx_buf_adds(out, n == 1 && *s == 't' ? "true" : "false");
		return 0;
	case DUMP_JSON:
		return dump_json(out, s, n, why);
	case DUMP_BYTEA:
		return bytea_value(out, tmp, s, n, why);
	case DUMP_TIMESTAMP:
	case DUMP_TIMESTAMPTZ:
	case DUMP_DATE:
		if (parse_time(s, n, type, &us) != 0) {
			*why = n > 0 && (*s == 'i' || *s == '-') ?
			    "infinity has no epoch milliseconds" :
			    "unreadable date or time";
			return -1;
		}
		dump_epoch_ms(out, us);
		return 0;
	case DUMP_ARRAY:
		p = s;
		if (n == 0 || *p != '{') {
			/* "[0:1]={…}": bounds other than 1 would be lost. */
			*why = "array whose lower bound is not 1";
			return -1;
		}
		if (array_value(out, o, elem, delim, &p, end, why) != 0)
			return -1;
		if (p != end) {
			*why = "malformed array";
			return -1;
		}
		return 0;
	case DUMP_STRING:
	default:
		cvx_json_quote(out, s, n);
		return 0;
	}
}
