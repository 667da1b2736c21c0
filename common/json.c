/* SPDX-License-Identifier: MIT */
/*
 * json.c: check and scan JSON text without building it.
 *
 * Grammar: RFC 8259.  UTF-8: RFC 3629 §4 (the well-formed byte sequences
 * table).  The checker is the hot path of every tool that reads the
 * stream, so strings, which are most of the bytes of a document, are
 * scanned eight bytes at a time.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "cvx.h"

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/* Does any byte of x equal zero?  (Bit Twiddling Hacks, "haszero".) */
#define HAS_ZERO(x)	(((x) - ONES) & ~(x) & HIGHS)
/* Is any byte of x below n (n <= 128)? */
#define HAS_LESS(x, n)	(((x) - ONES * (n)) & ~(x) & HIGHS)

static bool
fail(struct cvx_json_error *e, const char *base, const char *p,
    const char *msg)
{
	if (e != NULL) {
		e->msg = msg;
		e->offset = (size_t)(p - base);
	}
	return false;
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' ||
	    *p == '\t'))
		p++;
	return p;
}

int
cvx_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Read the four hex digits after "\u" at p; -1 if they are not hex. */
static long
hex4(const char *p, const char *end)
{
	long v = 0;
	int d, i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((d = cvx_hexval((unsigned char)p[i])) < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629 §4), or 0.
 * p[0] >= 0x80.
 */
static inline size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c >= 0xC2 && c <= 0xDF) {
		/* The common case (Latin, Greek, Cyrillic...) inline. */
		if (end - p >= 2 && (p[1] & 0xC0) == 0x80)
			return 2;
		return 0;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;		/* no overlong forms */
		else if (c == 0xED)
			hi = 0x9F;		/* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;		/* nothing above U+10FFFF */
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

/*
 * Skip plain string bytes (printable ASCII other than '"' and '\\') from
 * p; return the first other byte's address, or end.  SSE2 (every x86-64)
 * looks at 16 bytes at a time, else a word does 8 (SWAR).
 */
static inline const char *
skip_plain(const char *p, const char *end)
{
	uint64_t x;
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(' ');
	__m128i v, m;
	int bits;

	while (end - p >= 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* Signed: bytes >= 0x80 are negative, so below ' ' too. */
		m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
		    _mm_cmpeq_epi8(v, bslash)), _mm_cmplt_epi8(v, space));
		if ((bits = _mm_movemask_epi8(m)) != 0)
			return p + __builtin_ctz((unsigned)bits);
		p += 16;
	}
#endif
	while (end - p >= 8) {
		memcpy(&x, p, 8);
		if ((HAS_LESS(x, 0x20) | HAS_ZERO(x ^ (ONES * '"')) |
		    HAS_ZERO(x ^ (ONES * '\\')) | (x & HIGHS)) != 0)
			break;
		p += 8;
	}
	while (p < end && (unsigned char)*p >= 0x20 &&
	    (unsigned char)*p < 0x80 && *p != '"' && *p != '\\')
		p++;
	return p;
}

/*
 * Check a string whose opening quote is at p[-1]; return the byte after
 * its closing quote, or NULL.
 */
static const char *
skip_string(const char *base, const char *p, const char *end,
    struct cvx_json_error *e)
{
	long u, u2;
	size_t n;

	for (;;) {
		p = skip_plain(p, end);
		if (p >= end)
			return fail(e, base, p, "unterminated string"), NULL;
		switch ((unsigned char)*p) {
		case '"':
			return p + 1;
		case '\\':
			if (end - p < 2)
				return fail(e, base, p, "unterminated string"),
				    NULL;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				break;
			default:
				return fail(e, base, p, "invalid escape"), NULL;
			}
			if ((u = hex4(p + 2, end)) < 0)
				return fail(e, base, p, "invalid \\u escape"),
				    NULL;
			p += 6;
			if (u >= 0xDC00 && u <= 0xDFFF)
				return fail(e, base, p - 6,
				    "unpaired surrogate escape"), NULL;
			if (u >= 0xD800 && u <= 0xDBFF) {
				if (end - p < 6 || p[0] != '\\' ||
				    p[1] != 'u' ||
				    (u2 = hex4(p + 2, end)) < 0xDC00 ||
				    u2 > 0xDFFF)
					return fail(e, base, p - 6,
					    "unpaired surrogate escape"), NULL;
				p += 6;
			}
			continue;
		default:
			if ((unsigned char)*p < 0x20)
				return fail(e, base, p,
				    "control character in string"), NULL;
			/* A run of non-ASCII characters, one after another. */
			do {
				n = utf8_len((const unsigned char *)p,
				    (const unsigned char *)end);
				if (n == 0)
					return fail(e, base, p,
					    "invalid UTF-8"), NULL;
				p += n;
			} while (p < end && (unsigned char)*p >= 0x80);
		}
	}
}

/* Check a number starting at p (RFC 8259 §6); return the byte after it. */
static const char *
skip_number(const char *base, const char *p, const char *end,
    struct cvx_json_error *e)
{
	const char *start = p;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (++p < end && *p >= '0' && *p <= '9')
			;
	else
		return fail(e, base, start, "invalid number"), NULL;
	if (p < end && *p == '.') {
		if (++p >= end || *p < '0' || *p > '9')
			return fail(e, base, start, "invalid number"), NULL;
		while (++p < end && *p >= '0' && *p <= '9')
			;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail(e, base, start, "invalid number"), NULL;
		while (++p < end && *p >= '0' && *p <= '9')
			;
	}
	return p;
}

/* Check the literal word at p; return the byte after it. */
static const char *
skip_literal(const char *base, const char *p, const char *end,
    struct cvx_json_error *e)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = strlen(words[i]);
		if ((size_t)(end - p) >= n && memcmp(p, words[i], n) == 0)
			return p + n;
	}
	return fail(e, base, p, "invalid literal"), NULL;
}

/* The message for an unexpected byte at p (or the end). */
static const char *
unexpected(const char *p, const char *end)
{
	return p >= end ? "unexpected end of text" : "unexpected character";
}

/*
 * cvx_json_skip with at most max containers open inside the value (max
 * <= CVX_JSON_MAX_DEPTH): an object line's members get one level less,
 * as the line's own braces are one.
 */
static const char *
skip_value(const char *base, const char *p, const char *end,
    struct cvx_json_error *e, size_t max)
{
	char stack[CVX_JSON_MAX_DEPTH];	/* '{' or '[' per open container */
	size_t depth = 0;

value:
	if (p >= end)
		return fail(e, base, p, unexpected(p, end)), NULL;
	switch (*p) {
	case '{':
		/* An empty {} nested too deep is too deep as well. */
		if (depth == max)
			return fail(e, base, p, "nesting too deep"), NULL;
		p = skip_ws(p + 1, end);
		if (p < end && *p == '}') {
			p++;
			goto next;
		}
		stack[depth++] = '{';
		goto key;
	case '[':
		if (depth == max)
			return fail(e, base, p, "nesting too deep"), NULL;
		p = skip_ws(p + 1, end);
		if (p < end && *p == ']') {
			p++;
			goto next;
		}
		stack[depth++] = '[';
		goto value;
	case '"':
		p = skip_string(base, p + 1, end, e);
		break;
	case 't': case 'f': case 'n':
		p = skip_literal(base, p, end, e);
		break;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		p = skip_number(base, p, end, e);
		break;
	default:
		return fail(e, base, p, "unexpected character"), NULL;
	}
	if (p == NULL)
		return NULL;
next:
	/* A value is complete: what may follow depends on its container. */
	if (depth == 0)
		return p;
	p = skip_ws(p, end);
	if (p < end && *p == ',') {
		p = skip_ws(p + 1, end);
		if (stack[depth - 1] == '[')
			goto value;
		goto key;
	}
	if (p < end && *p == (stack[depth - 1] == '{' ? '}' : ']')) {
		p++;
		depth--;
		goto next;
	}
	return fail(e, base, p, stack[depth - 1] == '{' ?
	    "expected ',' or '}'" : "expected ',' or ']'"), NULL;
key:
	if (p >= end || *p != '"')
		return fail(e, base, p, "expected a string key"), NULL;
	if ((p = skip_string(base, p + 1, end, e)) == NULL)
		return NULL;
	p = skip_ws(p, end);
	if (p >= end || *p != ':')
		return fail(e, base, p, "expected ':'"), NULL;
	p = skip_ws(p + 1, end);
	goto value;
}

const char *
cvx_json_skip(const char *base, const char *p, const char *end,
    struct cvx_json_error *e)
{
	return skip_value(base, p, end, e, CVX_JSON_MAX_DEPTH);
}

int
cvx_json_check(const char *s, size_t n, struct cvx_json_error *e)
{
	const char *end = s + n, *p;

	p = skip_ws(s, end);
	if ((p = cvx_json_skip(s, p, end, e)) == NULL)
		return -1;
	p = skip_ws(p, end);
	if (p != end)
		return fail(e, s, p, "text after the JSON value"), -1;
	return 0;
}

int
cvx_json_scan_object(const char *s, size_t n, cvx_json_member_fn *fn,
    void *ctx, struct cvx_json_error *e)
{
	const char *end = s + n, *p = s, *k, *v;
	size_t klen;
	int r;

	if (n == 0 || *p != '{')
		return fail(e, s, p, n == 0 ? "empty line" :
		    "not a JSON object"), -1;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}') {
		p++;
		goto done;
	}
	for (;;) {
		if (p >= end || *p != '"')
			return fail(e, s, p, "expected a string key"), -1;
		k = p + 1;
		if ((p = skip_string(s, k, end, e)) == NULL)
			return -1;
		klen = (size_t)(p - 1 - k);
		p = skip_ws(p, end);
		if (p >= end || *p != ':')
			return fail(e, s, p, "expected ':'"), -1;
		v = p = skip_ws(p + 1, end);
		if ((p = skip_value(s, v, end, e, CVX_JSON_MAX_DEPTH - 1)) ==
		    NULL)
			return -1;
		if (fn != NULL &&
		    (r = fn(ctx, k, klen, v, (size_t)(p - v))) != 0)
			return r;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}') {
			p++;
			break;
		}
		return fail(e, s, p, "expected ',' or '}'"), -1;
	}
done:
	if (p != end)
		return fail(e, s, p, "text after the JSON object"), -1;
	return 0;
}

/* What cvx_json_get looks for and what it found. */
struct get_ctx {
	const char *key;
	size_t	 klen;
	const char *val;
	size_t	 vlen;
	bool	 found;
};

/* Remember the first member named c->key. */
static int
get_member(void *vctx, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	struct get_ctx *c = vctx;

	if (!c->found && klen == c->klen &&
	    memcmp(key, c->key, c->klen) == 0) {
		c->val = val;
		c->vlen = vlen;
		c->found = true;
	}
	return 0;
}

int
cvx_json_get(const char *s, size_t n, const char *key, size_t klen,
    const char **val, size_t *vlen, struct cvx_json_error *e)
{
	struct get_ctx c = { key, klen, NULL, 0, false };

	if (cvx_json_scan_object(s, n, get_member, &c, e) != 0)
		return -1;
	if (!c.found)
		return 0;
	*val = c.val;
	*vlen = c.vlen;
	return 1;
}

void
cvx_utf8_put(struct cvx_buf *out, unsigned long u)
{
	char b[4];
	size_t n;

	if (u < 0x80) {
		b[0] = (char)u;
		n = 1;
	} else if (u < 0x800) {
		b[0] = (char)(0xC0 | u >> 6);
		b[1] = (char)(0x80 | (u & 0x3F));
		n = 2;
	} else if (u < 0x10000) {
		b[0] = (char)(0xE0 | u >> 12);
		b[1] = (char)(0x80 | (u >> 6 & 0x3F));
		b[2] = (char)(0x80 | (u & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | u >> 18);
		b[1] = (char)(0x80 | (u >> 12 & 0x3F));
		b[2] = (char)(0x80 | (u >> 6 & 0x3F));
		b[3] = (char)(0x80 | (u & 0x3F));
		n = 4;
	}
	cvx_buf_add(out, b, n);
}

int
cvx_json_unescape(const char *raw, size_t n, struct cvx_buf *out,
    enum cvx_nul_policy nul)
{
	const char *p = raw, *end = raw + n, *bs;
	long u, u2;

	while (p < end) {
		bs = memchr(p, '\\', (size_t)(end - p));
		if (bs == NULL) {
			cvx_buf_add(out, p, (size_t)(end - p));
			break;
		}
		cvx_buf_add(out, p, (size_t)(bs - p));
		if (end - bs < 2)
			return -1;
		p = bs + 2;
		switch (bs[1]) {
		case '"': cvx_buf_addc(out, '"'); continue;
		case '\\': cvx_buf_addc(out, '\\'); continue;
		case '/': cvx_buf_addc(out, '/'); continue;
		case 'b': cvx_buf_addc(out, '\b'); continue;
		case 'f': cvx_buf_addc(out, '\f'); continue;
		case 'n': cvx_buf_addc(out, '\n'); continue;
		case 'r': cvx_buf_addc(out, '\r'); continue;
		case 't': cvx_buf_addc(out, '\t'); continue;
		case 'u': break;
		default: return -1;
		}
		if ((u = hex4(p, end)) < 0)
			return -1;
		p += 4;
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    (u2 = hex4(p + 2, end)) < 0xDC00 || u2 > 0xDFFF)
				return -1;
			p += 6;
			u = 0x10000 + ((u - 0xD800) << 10) + (u2 - 0xDC00);
		} else if (u >= 0xDC00 && u <= 0xDFFF)
			return -1;
		if (u == 0 && nul != CVX_NUL_KEEP) {
			if (nul == CVX_NUL_REJECT)
				return -1;
			if (nul == CVX_NUL_REPLACE)
				cvx_utf8_put(out, 0xFFFD);
			continue;
		}
		cvx_utf8_put(out, (unsigned long)u);
	}
	return 0;
}

void
cvx_json_quote(struct cvx_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const char *p = s, *end, *run;
	char esc[6];

	cvx_buf_addc(out, '"');
	/* s may be NULL when n is 0: NULL + 0 is undefined in C. */
	end = n > 0 ? s + n : s;
	while (p < end) {
		for (run = p; p < end && (unsigned char)*p >= 0x20 &&
		    *p != '"' && *p != '\\'; p++)
			;
		cvx_buf_add(out, run, (size_t)(p - run));
		if (p == end)
			break;
		esc[0] = '\\';
		switch (*p) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[(unsigned char)*p >> 4];
			esc[5] = hex[*p & 0xF];
			cvx_buf_add(out, esc, 6);
			p++;
			continue;
		}
		cvx_buf_add(out, esc, 2);
		p++;
	}
	cvx_buf_addc(out, '"');
}
