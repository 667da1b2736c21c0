/* SPDX-License-Identifier: MIT */
/*
 * scalar.c: Convex scalars as PostgreSQL input text: epoch milliseconds
 * as timestamp, timestamptz or date text (exact to the microsecond), and
 * the $float and $integer payloads (convex-export-format.md §3.1).
 */
#include <math.h>
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

int
cvx_epoch_ms_to_us(const char *tok, size_t n, int64_t *us)
{
	const char *p = tok, *end = tok + n, *ip, *fp = NULL;
	size_t ilen, flen = 0, nd, i, keep;
	long exp = 0, e;
	char digits[64];
	bool neg = false, up, odd;
	uint64_t v = 0;

	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	for (ip = p; p < end && *p >= '0' && *p <= '9'; p++)
		;
	if ((ilen = (size_t)(p - ip)) == 0)
		return -1;
	if (p < end && *p == '.') {
		for (fp = ++p; p < end && *p >= '0' && *p <= '9'; p++)
			;
		flen = (size_t)(p - fp);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		bool eneg = false;

		if (++p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if ((exp = exp * 10 + (*p - '0')) > 100)
				return -1;	/* far out of range anyway */
		if (eneg)
			exp = -exp;
	}
	if (p != end)
		return -1;
	/* The value is D * 10^e with D = int digits then fraction digits. */
	while (ilen > 1 && *ip == '0') {	/* leading zeros carry nothing */
		ip++;
		ilen--;
	}
	if (ilen + flen >= sizeof(digits))
		flen = sizeof(digits) - 1 - ilen;	/* beyond any rounding */
	if (ilen >= sizeof(digits))
		return -1;
	memcpy(digits, ip, ilen);
	if (flen)
		memcpy(digits + ilen, fp, flen);
	nd = ilen + flen;
	e = exp - (long)flen + 3;		/* milliseconds to microseconds */
	if (e >= 0) {
		keep = nd;
	} else if ((size_t)-e >= nd) {
		keep = 0;
	} else
		keep = nd - (size_t)-e;
	for (i = 0; i < keep; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(digits[i] - '0');
	}
	for (; e > 0; e--) {
		if (v > UINT64_MAX / 10)
			return -1;
		v *= 10;
	}
	/* Round half to even on the exact decimal rest. */
	up = false;
	if (keep < nd && (size_t)-e <= nd) {
		if (digits[keep] > '5')
			up = true;
		else if (digits[keep] == '5') {
			for (i = keep + 1; i < nd && digits[i] == '0'; i++)
				;
			odd = (v & 1) != 0;
			up = i < nd || odd;
		}
	}
	if (up)
		v++;
	if (v > (uint64_t)INT64_MAX)
		return -1;
	*us = neg ? -(int64_t)v : (int64_t)v;
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
	/* 0001-01-01 and 10000-01-01 in microseconds since 1970. */
	const int64_t lo = -62135596800000000LL, hi = 253402300800000000LL;
	const int64_t day = 86400000000LL;
	int64_t days, rem, y;
	unsigned m, d;

	if (us < lo || us >= hi)
		return -1;
	days = us / day;
	rem = us % day;
	if (rem < 0) {
		rem += day;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	cvx_buf_printf(out, "%04lld-%02u-%02u", (long long)y, m, d);
	if (kind == CVX_TIME_DATE)
		return 0;
	cvx_buf_printf(out, " %02lld:%02lld:%02lld.%06lld",
	    (long long)(rem / 3600000000LL),
	    (long long)(rem / 60000000LL % 60),
	    (long long)(rem / 1000000LL % 60), (long long)(rem % 1000000LL));
	if (kind == CVX_TIME_TIMESTAMPTZ)
		cvx_buf_adds(out, "+00");
	return 0;
}

/* Decode base64 of exactly 8 little-endian bytes. */
static int
b64_u64(const char *s, size_t n, uint64_t *v)
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

	if (b64_u64(b64, n, &bits) != 0)
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

	if (b64_u64(b64, n, &bits) != 0)
		return -1;
	cvx_buf_printf(out, "%lld", (long long)(int64_t)bits);
	return 0;
}
