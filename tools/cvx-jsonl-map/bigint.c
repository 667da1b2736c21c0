/* SPDX-License-Identifier: MIT */
/*
 * bigint.c: JSON number tokens and doubles: find the integer tokens that
 * a double cannot hold exactly, and read the others as doubles.
 *
 * jq 1.6 (and JavaScript) turn every number into an IEEE double, so an
 * integer beyond +-2^53 comes out changed.  Convex writes int64 values as
 * bare integer tokens in uniform-era exports (convex-export-format.md
 * §3.1), so such tokens are real data and must be caught by their text.
 */
#include <stdlib.h>
#include <string.h>

#include "cvx-jsonl-map.h"

/* 2^53 in decimal: the largest magnitude every double integer reaches. */
static const char two53[] = "9007199254740992";

/* Is c a byte that can continue a JSON number token? */
static bool
num_byte(char c)
{
	return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' ||
	    c == '+' || c == '-';
}

/*
 * Is the number token t[0..n) an integer (no fraction, no exponent) whose
 * magnitude is above 2^53?  Compared on the digits, so it is exact.
 */
static bool
token_is_big(const char *t, size_t n)
{
	size_t i;

	if (n > 0 && t[0] == '-') {
		t++;
		n--;
	}
	for (i = 0; i < n; i++)
		if (t[i] < '0' || t[i] > '9')
			return false;	/* a float, or not a number */
	while (n > 1 && t[0] == '0') {
		t++;
		n--;
	}
	if (n != sizeof(two53) - 1)
		return n > sizeof(two53) - 1;
	return memcmp(t, two53, n) > 0;
}

/* Look for a big integer token in s[from..to), which holds no string. */
static size_t
scan_plain(const char *s, size_t from, size_t to, size_t *len)
{
	size_t i = from, j;

	while (i < to) {
		if (s[i] != '-' && (s[i] < '0' || s[i] > '9')) {
			i++;
			continue;
		}
		for (j = i + 1; j < to && num_byte(s[j]); j++)
			;
		/* Only 16 or more digits can be beyond 2^53. */
		if (j - i >= sizeof(two53) - 1 && token_is_big(s + i, j - i)) {
			*len = j - i;
			return i;
		}
		i = j;
	}
	return to;
}

/*
 * Could s[0..n) hold 16 digits in a row?  Any such run covers a whole
 * aligned 8-byte word of digits, so words are tested eight bytes at a
 * time: the common line has no such word and needs no closer look.
 */
static bool
may_have_run(const char *s, size_t n)
{
	const uint64_t zeros = 0x3030303030303030ULL;
	const uint64_t add = 0x7676767676767676ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	size_t a0 = (8 - ((uintptr_t)s & 7)) & 7, i, lo, hi;
	uint64_t x;

	for (i = a0; i + 8 <= n; i += 8) {
		memcpy(&x, s + i, 8);
		x ^= zeros;
		/* Every byte below 10 (a digit) iff no high bit here. */
		if (((x | (x + add)) & highs) != 0)
			continue;
		/* Eight digits: measure the whole run around them. */
		for (lo = i; lo > 0 && s[lo - 1] >= '0' && s[lo - 1] <= '9';)
			lo--;
		for (hi = i + 8; hi < n && s[hi] >= '0' && s[hi] <= '9';)
			hi++;
		if (hi - lo >= sizeof(two53) - 1)
			return true;
		/* Go on from the aligned word holding hi, not a digit. */
		i = hi - (hi - a0) % 8;
	}
	return false;
}

size_t
cvx_json_find_bigint(const char *s, size_t n, size_t from, size_t *len)
{
	const char *q;
	size_t i = from, at, k;

	if (from < n && !may_have_run(s + from, n - from))
		return n;
	while (i < n) {
		q = memchr(s + i, '"', n - i);
		at = q == NULL ? n : (size_t)(q - s);
		if ((k = scan_plain(s, i, at, len)) < at)
			return k;
		if (q == NULL)
			break;
		/* Skip the string: an even run of \ before its end quote. */
		for (i = at + 1;; i = k + 1) {
			q = memchr(s + i, '"', n - i);
			if (q == NULL)
				return n;
			k = (size_t)(q - s);
			at = k;
			while (at > i && s[at - 1] == '\\')
				at--;
			if ((k - at) % 2 == 0)
				break;
		}
		i = k + 1;
	}
	return n;
}

size_t
cvx_json_quote_bigints(const char *s, size_t n, struct cvx_buf *out)
{
	size_t from = 0, at, len, count = 0;

	while ((at = cvx_json_find_bigint(s, n, from, &len)) < n) {
		cvx_buf_add(out, s + from, at - from);
		cvx_buf_addc(out, '"');
		cvx_buf_add(out, s + at, len);
		cvx_buf_addc(out, '"');
		from = at + len;
		count++;
	}
	cvx_buf_add(out, s + from, n - from);
	return count;
}

double
cvx_json_number(const char *p, const char **end)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6,
	    1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
	    1e18, 1e19, 1e20, 1e21, 1e22 };
	const char *q = p + (*p == '-');
	unsigned long long m = 0;	/* wraps harmlessly past 15 digits */
	int sig = 0, scale = 0;
	double d;

	for (; *q >= '0' && *q <= '9'; q++) {
		sig += m > 0 || *q != '0';
		m = m * 10 + (unsigned)(*q - '0');
	}
	if (*q == '.')
		for (q++; *q >= '0' && *q <= '9'; q++, scale++) {
			sig += m > 0 || *q != '0';
			m = m * 10 + (unsigned)(*q - '0');
		}
	if (*q == 'e' || *q == 'E' || sig > 15 || scale > 22)
		return strtod(p, (char **)end);
	*end = q;
	d = (double)m / pow10[scale];
	return *p == '-' ? -d : d;
}
