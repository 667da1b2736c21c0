/* SPDX-License-Identifier: MIT */
/*
 * fastprint.c: JSON text printed as jq 1.6 prints its value, for fast.c:
 * what jq would print as it is written is copied (most strings, numbers
 * whose text is jq's own), the rest is rebuilt (escapes as jq writes
 * them, numbers through jq's printer), whitespace dropped.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvx-jsonl-map.h"

#define MAX_DEPTH	128

/* Skip JSON whitespace. */
const char *
fast_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* Past the string whose opening quote is at p (checked JSON). */
const char *
fast_string_end(const char *p)
{
	const char *q = p + 1, *b;

	for (;;) {
		q = strchr(q, '"');
		/* The quote ends it if an even run of \ stands before it. */
		b = q;
		while (b[-1] == '\\')
			b--;
		if ((q - b) % 2 == 0)
			return q + 1;
		q++;
	}
}

/*
 * Is the number text s[0..n) what jq 1.6 prints for its value?  Its
 * dtoa gives the shortest digits that read back as the same double, and
 * at most 15 significant digits are always the only such string (DBL_DIG:
 * two decimals of 15 digits never round to one double, in the normal
 * range used here), so a text of at most 15 significant digits in jq's
 * layout (no exponent, no trailing zero in a fraction, at most three
 * zeros after "0.", no "-0") is already jq's.
 */
static bool
number_as_jq(const char *s, size_t n)
{
	size_t i = 0, intd, sig, z;

	if (s[i] == '-')
		i++;
	for (intd = 0; i + intd < n && s[i + intd] >= '0' &&
	    s[i + intd] <= '9'; intd++)
		;
	if (i + intd == n) {
		/* An integer: put_number prints those below 1e15 as digits */
		if (intd > 15 || (s[0] == '-' && s[1] == '0'))
			return false;
		return true;
	}
	if (s[i + intd] != '.' || s[n - 1] == '0')
		return false;	/* an exponent, or a trailing zero */
	for (sig = i + intd + 1; sig < n; sig++)
		if (s[sig] < '0' || s[sig] > '9')
			return false;
	if (intd == 1 && s[i] == '0') {
		/* 0.000ddd: zeros after the point, then the digits */
		for (z = 0; s[i + 2 + z] == '0'; z++)
			;
		return z <= 3 && n - (i + 2 + z) <= 15;
	}
	return n - i - 1 <= 15;
}


/*
 * Is \uXXXX (h: the four digits) how jq writes its character?  jq writes
 * only controls and DEL that way, in lowercase hex, and not the controls
 * with a short form (\b \t \n \f \r).
 */
static bool
escape_as_jq(const unsigned char *h)
{
	int lo;

	if (h[0] != '0' || h[1] != '0')
		return false;
	if (h[2] == '7' && h[3] == 'f')
		return true;
	if (h[2] != '0' && h[2] != '1')
		return false;
	if (h[3] >= '0' && h[3] <= '9')
		lo = h[3] - '0';
	else if (h[3] >= 'a' && h[3] <= 'f')
		lo = h[3] - 'a' + 10;
	else
		return false;
	return !(h[2] == '0' && (lo == 8 || lo == 9 || lo == 10 || lo == 12 ||
	    lo == 13));
}

/* Bytes of x equal to the byte c (one 0x80 bit each; 8 copies of c). */
static uint64_t
bytes_eq(uint64_t x, uint64_t c)
{
	uint64_t y = x ^ c;

	return (y - 0x0101010101010101ULL) & ~y & 0x8080808080808080ULL;
}

/* Print the string at p as jq would; set *end past it. */
static void
print_string(struct fast_out *cx, const char *p, const char **end)
{
	const unsigned char *q = (const unsigned char *)p + 1;
	const unsigned char *lim = (const unsigned char *)cx->end;
	const char *e;
	bool plain = true;
	uint64_t x;

	for (;;) {
		/* Eight bytes at a time while none is " \ or DEL. */
		while (q + 8 <= lim) {
			memcpy(&x, q, 8);
			if ((bytes_eq(x, 0x2222222222222222ULL) |
			    bytes_eq(x, 0x5c5c5c5c5c5c5c5cULL) |
			    bytes_eq(x, 0x7f7f7f7f7f7f7f7fULL)) != 0)
				break;
			q += 8;
		}
		while (*q != '"' && *q != '\\' && *q != 0x7f)
			q++;
		if (*q == '"')
			break;
		if (*q == 0x7f) {
			plain = false;
			q++;
			continue;
		}
		switch (q[1]) {
		case '"': case '\\': case 'b': case 'f': case 'n':
		case 'r': case 't':
			q += 2;
			continue;
		case 'u':
			if (escape_as_jq(q + 2)) {
				q += 6;
				continue;
			}
			plain = false;
			q += 6;
			continue;
		default:
			plain = false;
			q += 2;
			continue;
		}
	}
	e = (const char *)q + 1;
	*end = e;
	if (plain) {
		cvx_buf_add(cx->out, p, (size_t)(e - p));
		return;
	}
	cvx_buf_reset(cx->tmp);
	(void)cvx_json_unescape(p + 1, (size_t)(e - p) - 2, cx->tmp,
	    CVX_NUL_KEEP);
	cvx_jq_quote(cx->out, cx->tmp->p, cx->tmp->len);
}

__extension__ typedef unsigned __int128 u128;

/* x in [lo, hi] (ends included when the mantissa is even, as IEEE reads) */
static bool
within(u128 x, u128 lo, u128 hi, bool even)
{
	return even ? x >= lo && x <= hi : x > lo && x < hi;
}

/*
 * Is the text s[0..n), [-]I.F with 16 or 17 significant digits, F's last
 * digit not 0, reading as d, what jq's dtoa prints for d?  dtoa gives the
 * shortest digits that read back as d, the nearest to d among them.  So
 * the text is jq's if (1) no decimal with a digit less is in d's rounding
 * interval: then neither multiple of ten units of the last digit around
 * it is, and (2) it is nearer to d than half a unit of its last digit.
 * Both are checked exactly in integers, for 2^20 <= |d| < 2^52 (d =
 * m / 2^s with s <= 32, so every term fits in 128 bits); other numbers
 * are left to jq's printer.  Timestamps in milliseconds are in range.
 */
static bool
shortest_as_text(const char *s, size_t n, double d)
{
	static const uint64_t pow10[] = { 1ULL, 10ULL, 100ULL, 1000ULL,
	    10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
	    1000000000ULL, 10000000000ULL, 100000000000ULL,
	    1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
	    1000000000000000ULL, 10000000000000000ULL,
	    100000000000000000ULL };
	const char *p = s + (*s == '-'), *end = s + n;
	uint64_t t = 0, m, tens;
	u128 lo, hi, dd, tt, diff;
	int e, sh, k = -1, digits = 0;

	for (; p < end; p++) {
		if (*p == '.') {
			k = 0;
			continue;
		}
		t = t * 10 + (uint64_t)(*p - '0');
		digits++;
		if (k >= 0)
			k++;
	}
	if (digits > 17 || k < 1)
		return false;
	m = (uint64_t)ldexp(frexp(fabs(d), &e), 53);
	if (e < 21 || e > 52 || m == 1ULL << 52)
		return false;
	sh = 53 - e + 1;	/* units: 10^-k / 2^sh */
	lo = (u128)(2 * m - 1) * pow10[k];
	hi = (u128)(2 * m + 1) * pow10[k];
	dd = (u128)(2 * m) * pow10[k];
	tt = (u128)t << sh;
	diff = tt > dd ? tt - dd : dd - tt;
	if (2 * diff >= (u128)1 << sh)
		return false;
	tens = t - t % 10;
	return !within((u128)tens << sh, lo, hi, m % 2 == 0) &&
	    !within((u128)(tens + 10) << sh, lo, hi, m % 2 == 0);
}

/* Print the number at p as jq would; set *end past it. */
static void
print_number(struct fast_out *cx, const char *p, const char **end)
{
	const char *e = p, *pe;
	double d;

	while ((*e >= '0' && *e <= '9') || *e == '-' || *e == '+' ||
	    *e == '.' || *e == 'e' || *e == 'E')
		e++;
	*end = e;
	if (number_as_jq(p, (size_t)(e - p))) {
		cvx_buf_add(cx->out, p, (size_t)(e - p));
		return;
	}
	d = cvx_json_number(p, &pe);
	if (e[-1] != '0' && memchr(p, '.', (size_t)(e - p)) != NULL &&
	    memchr(p, 'e', (size_t)(e - p)) == NULL &&
	    memchr(p, 'E', (size_t)(e - p)) == NULL &&
	    shortest_as_text(p, (size_t)(e - p), d))
		cvx_buf_add(cx->out, p, (size_t)(e - p));
	else
		jq_put_number(cx->out, d);
}

/*
 * Print the object at p as jq would: members in order, keys that repeat
 * are not handled here (jq keeps the first place and the last value).
 */
static bool
print_object(struct fast_out *cx, const char *p, const char **end,
    int depth)
{
	const char *keys[64], *k, *ke;
	size_t lens[64], nk = 0, i, kn;

	cvx_buf_addc(cx->out, '{');
	p = fast_ws(p + 1);
	while (*p != '}') {
		k = p + 1;
		ke = fast_string_end(p) - 1;
		kn = (size_t)(ke - k);
		if (nk == 64)
			return false;
		for (i = 0; i < nk; i++)
			if (lens[i] == kn && memcmp(keys[i], k, kn) == 0)
				return false;
		/* Keys with escapes could repeat under another spelling. */
		if (memchr(k, '\\', kn) != NULL)
			return false;
		keys[nk] = k;
		lens[nk++] = kn;
		if (nk > 1)
			cvx_buf_addc(cx->out, ',');
		print_string(cx, p, &p);
		cvx_buf_addc(cx->out, ':');
		p = fast_ws(fast_ws(p) + 1);
		if (!fast_print_json(cx, p, &p, depth + 1))
			return false;
		p = fast_ws(p);
		if (*p == ',')
			p = fast_ws(p + 1);
	}
	cvx_buf_addc(cx->out, '}');
	*end = p + 1;
	return true;
}

bool
fast_print_json(struct fast_out *cx, const char *p, const char **end, int depth)
{
	bool first = true;

	if (depth > MAX_DEPTH)
		return false;
	switch (*p) {
	case '"':
		print_string(cx, p, end);
		return true;
	case '{':
		return print_object(cx, p, end, depth);
	case '[':
		cvx_buf_addc(cx->out, '[');
		p = fast_ws(p + 1);
		while (*p != ']') {
			if (!first)
				cvx_buf_addc(cx->out, ',');
			first = false;
			if (!fast_print_json(cx, p, &p, depth + 1))
				return false;
			p = fast_ws(p);
			if (*p == ',')
				p = fast_ws(p + 1);
		}
		cvx_buf_addc(cx->out, ']');
		*end = p + 1;
		return true;
	case 't':
		cvx_buf_add(cx->out, "true", 4);
		*end = p + 4;
		return true;
	case 'f':
		cvx_buf_add(cx->out, "false", 5);
		*end = p + 5;
		return true;
	case 'n':
		cvx_buf_add(cx->out, "null", 4);
		*end = p + 4;
		return true;
	default:
		print_number(cx, p, end);
		return true;
	}
}
