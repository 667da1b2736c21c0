/* SPDX-License-Identifier: MIT */
/*
 * scalar.c: Convex scalars as PostgreSQL input text: epoch milliseconds
 * as timestamp, timestamptz or date text (exact to the microsecond), and
 * the $float and $integer payloads (convex-export-format.md §3.1).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvx-pg-load.h"

enum cvx_num_kind
cvx_number_kind(const char *tok, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tok[i] == '.' || tok[i] == 'e' || tok[i] == 'E')
			return CVX_NUM_FLOAT;
	return CVX_NUM_INT;
}

/*
 * A number token as D * 10^e, exactly: its digits, integer part then
 * fraction, read as one string without copying them (digit i of the two
 * runs ip[0..ilen) and fp[0..flen)); first and last bound D, the digits
 * without their leading and trailing zeros (first == last: the value is
 * 0); e is the power of ten of D's last digit.
 */
struct digits {
	const char *ip, *fp;
	size_t	 ilen, flen;
	size_t	 first, last;
	long long e;
	bool	 neg;
};

static char
digit_at(const struct digits *d, size_t i)
{
	return i < d->ilen ? d->ip[i] : d->fp[i - d->ilen];
}

/* Read the JSON number token tok[0..n) into d; -1 if it is not one. */
static int
read_digits(const char *tok, size_t n, struct digits *d)
{
	const char *p = tok, *end = tok + n;
	long long exp = 0;
	bool eneg = false;
	size_t nd;

	memset(d, 0, sizeof(*d));
	if (p < end && *p == '-') {
		d->neg = true;
		p++;
	}
	for (d->ip = p; p < end && *p >= '0' && *p <= '9'; p++)
		;
	if ((d->ilen = (size_t)(p - d->ip)) == 0)
		return -1;
	d->fp = p;
	if (p < end && *p == '.') {
		for (d->fp = ++p; p < end && *p >= '0' && *p <= '9'; p++)
			;
		d->flen = (size_t)(p - d->fp);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p == end)
			return -1;
		/*
		 * Past 10^9 the exponent only decides between 0 and out of
		 * range, whatever the digits (a token has far fewer than 10^9
		 * of them): saturate rather than overflow.
		 */
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if (exp < 1000000000)
				exp = exp * 10 + (*p - '0');
	}
	if (p != end)
		return -1;
	nd = d->ilen + d->flen;
	for (d->first = 0; d->first < nd && digit_at(d, d->first) == '0';
	    d->first++)
		;
	if (d->first == nd) {
		d->first = d->last = 0;
		return 0;
	}
	for (d->last = nd; digit_at(d, d->last - 1) == '0'; d->last--)
		;
	d->e = (eneg ? -exp : exp) - (long long)d->flen +
	    (long long)(nd - d->last);
	return 0;
}

int
cvx_epoch_ms_to_us(const char *tok, size_t n, int64_t *us)
{
	struct digits d;
	size_t first, last, nd, i, k;
	long long e;
	bool up;
	char r;
	uint64_t v = 0;

	if (read_digits(tok, n, &d) != 0)
		return -1;
	if (d.first == d.last) {
		*us = 0;
		return 0;
	}
	/*
	 * The value is D * 10^(e+3) microseconds, exactly: no digit is
	 * dropped, so a tie is a tie only when nothing nonzero follows the
	 * 5, however far.
	 */
	first = d.first;
	last = d.last;
	e = d.e + 3;
	nd = last - first;
	if (e >= 0) {
		/* D >= 10^(nd-1): 20 digits or more is beyond int64. */
		if ((long long)nd + e > 19)
			return -1;
		for (i = first; i < last; i++)
			v = v * 10 + (uint64_t)(digit_at(&d, i) - '0');
		for (; e > 0; e--)
			v *= 10;
	} else {
		/* k digits right of the microsecond; round half to even. */
		k = (size_t)-e < nd ? (size_t)-e : nd + 1;
		if (nd - (k <= nd ? k : nd) > 19)
			return -1;
		if (k <= nd) {
			for (i = first; i < last - k; i++)
				v = v * 10 + (uint64_t)(digit_at(&d, i) - '0');
			/* r, then more digits iff k > 1 (no trailing 0). */
			r = digit_at(&d, last - k);
			up = r > '5' || (r == '5' && (k > 1 || (v & 1)));
		} else if ((size_t)-e == nd) {
			/* 0.Dddd: the first digit rounds. */
			r = digit_at(&d, first);
			up = r > '5' || (r == '5' && nd > 1);
		} else
			up = false;	/* below half a microsecond */
		v += up;
	}
	if (v > (uint64_t)INT64_MAX)
		return -1;
	*us = d.neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

int
cvx_number_integer(struct cvx_buf *out, const char *tok, size_t n)
{
	struct digits d;
	long long e;
	size_t i;

	if (read_digits(tok, n, &d) != 0)
		return -1;
	if (d.first == d.last) {
		cvx_buf_addc(out, '0');		/* -0.0 too: int has no -0 */
		return 0;
	}
	/* A fraction, or beyond any integer column (int8: 19 digits). */
	if (d.e < 0 || (long long)(d.last - d.first) + d.e > 19)
		return -1;
	if (d.neg)
		cvx_buf_addc(out, '-');
	for (i = d.first; i < d.last; i++)
		cvx_buf_addc(out, digit_at(&d, i));
	for (e = d.e; e > 0; e--)
		cvx_buf_addc(out, '0');
	return 0;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, yy;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

int
cvx_format_time(struct cvx_buf *out, int64_t us, enum cvx_time_kind kind)
{
	/*
	 * 4713-01-01 BC in microseconds since 1970: about the start of
	 * PostgreSQL's own range (docs, Date/Time Types), whose input
	 * function has the last word at its edges.  Its end, 294276 AD, is
	 * past every int64 (294247 AD).
	 */
	const int64_t lo = -210863520000000000LL;
	const int64_t day = 86400000000LL;
	int64_t days, rem, y;
	unsigned m, d;

	if (us < lo)
		return -1;
	days = us / day;
	rem = us % day;
	if (rem < 0) {
		rem += day;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	/* Year 0 is 1 BC: ISO input takes a positive year and " BC". */
	cvx_buf_printf(out, "%04lld-%02u-%02u", (long long)(y > 0 ? y : 1 - y),
	    m, d);
	if (kind != CVX_TIME_DATE) {
		cvx_buf_printf(out, " %02lld:%02lld:%02lld.%06lld",
		    (long long)(rem / 3600000000LL),
		    (long long)(rem / 60000000LL % 60),
		    (long long)(rem / 1000000LL % 60),
		    (long long)(rem % 1000000LL));
		if (kind == CVX_TIME_TIMESTAMPTZ)
			cvx_buf_adds(out, "+00");
	}
	if (y <= 0)
		cvx_buf_adds(out, " BC");
	return 0;
}

int
cvx_base64_u64(const char *s, size_t n, uint64_t *v)
{
	struct cvx_buf b = { 0 };
	int i, r = -1;

	if (cvx_base64_decode(&b, s, n) == 0 && b.len == 8) {
		*v = 0;
		for (i = 7; i >= 0; i--)
			*v = *v << 8 | (unsigned char)b.p[i];
		r = 0;
	}
	cvx_buf_free(&b);
	return r;
}

int
cvx_float_text(struct cvx_buf *out, const char *b64, size_t n)
{
	uint64_t bits;
	double x;

	if (cvx_base64_u64(b64, n, &bits) != 0)
		return -1;
	memcpy(&x, &bits, sizeof(x));
	if (isnan(x))
		cvx_buf_adds(out, "NaN");
	else if (isinf(x))
		cvx_buf_adds(out, x < 0 ? "-Infinity" : "Infinity");
	else if (x == 0)
		cvx_buf_adds(out, signbit(x) ? "-0" : "0");
	else
		cvx_buf_printf(out, "%.17g", x);
	return 0;
}

int
cvx_integer_text(struct cvx_buf *out, const char *b64, size_t n)
{
	uint64_t bits;

	if (cvx_base64_u64(b64, n, &bits) != 0)
		return -1;
	cvx_buf_printf(out, "%lld", (long long)(int64_t)bits);
	return 0;
}
