/* SPDX-License-Identifier: MIT */
/*
 * ref.c: second implementations for the harnesses' invariants.  Slow and
 * plain on purpose: recursive descent for JSON, code points for UTF-8,
 * one byte at a time everywhere.  Sources: RFC 8259 (JSON), RFC 3629
 * (UTF-8), RFC 4648 §4 (base64), PostgreSQL docs, COPY, "Text Format".
 */
#include <string.h>

#include "fuzz.h"

void
fuzz_show(const char *label, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i;

	fprintf(stderr, "  %s (%zu bytes): ", label, n);
	for (i = 0; i < n && i < 400; i++)
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			fputc(p[i], stderr);
		else
			fprintf(stderr, "\\x%02x", p[i]);
	fputs(i < n ? "...\n" : "\n", stderr);
}

/* Decode one UTF-8 sequence at p; its length, or 0 if it is not valid. */
static size_t
utf8_one(const unsigned char *p, const unsigned char *end)
{
	unsigned long cp, min;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xE0) == 0xC0) {
		len = 2;
		cp = p[0] & 0x1F;
		min = 0x80;
	} else if ((p[0] & 0xF0) == 0xE0) {
		len = 3;
		cp = p[0] & 0x0F;
		min = 0x800;
	} else if ((p[0] & 0xF8) == 0xF0) {
		len = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if ((size_t)(end - p) < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

bool
ref_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end;
	size_t k;

	if (n == 0)
		return true;
	end = p + n;
	while (p < end) {
		if ((k = utf8_one(p, end)) == 0)
			return false;
		p += k;
	}
	return true;
}

/* A recursive-descent JSON reader over [p, end). */
struct rd {
	const char *p, *end;
	int	 max;
};

static bool rd_value(struct rd *r, int depth);

static void
rd_ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
	    *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool
rd_eat(struct rd *r, char c)
{
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return true;
	}
	return false;
}

static bool
rd_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* Four hex digits after "\u": their value, or -1. */
static long
rd_hex4(struct rd *r)
{
	long v;
	int i;

	if (r->end - r->p < 4)
		return -1;
	for (i = 0; i < 4; i++)
		if (!rd_is_hex(r->p[i]))
			return -1;
	v = strtol((char[5]){ r->p[0], r->p[1], r->p[2], r->p[3], 0 },
	    NULL, 16);
	r->p += 4;
	return v;
}

static bool
rd_string(struct rd *r)
{
	unsigned char c;
	long u, lo;
	size_t k;

	if (!rd_eat(r, '"'))
		return false;
	for (;;) {
		if (r->p >= r->end)
			return false;
		c = (unsigned char)*r->p;
		if (c == '"') {
			r->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c >= 0x80) {
			k = utf8_one((const unsigned char *)r->p,
			    (const unsigned char *)r->end);
			if (k == 0)
				return false;
			r->p += k;
			continue;
		}
		r->p++;
		if (c != '\\')
			continue;
		if (r->p >= r->end)
			return false;
		c = (unsigned char)*r->p++;
		if (strchr("\"\\/bfnrt", c) != NULL && c != '\0')
			continue;
		if (c != 'u' || (u = rd_hex4(r)) < 0)
			return false;
		if (u >= 0xDC00 && u <= 0xDFFF)
			return false;
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (!rd_eat(r, '\\') || !rd_eat(r, 'u') ||
			    (lo = rd_hex4(r)) < 0xDC00 || lo > 0xDFFF)
				return false;
		}
	}
}

static bool
rd_digits(struct rd *r)
{
	const char *start = r->p;

	while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		r->p++;
	return r->p > start;
}

static bool
rd_number(struct rd *r)
{
	(void)rd_eat(r, '-');
	if (rd_eat(r, '0'))
		;
	else if (r->p < r->end && *r->p >= '1' && *r->p <= '9')
		(void)rd_digits(r);
	else
		return false;
	if (rd_eat(r, '.') && !rd_digits(r))
		return false;
	if (rd_eat(r, 'e') || rd_eat(r, 'E')) {
		if (!rd_eat(r, '+'))
			(void)rd_eat(r, '-');
		if (!rd_digits(r))
			return false;
	}
	return true;
}

static bool
rd_word(struct rd *r, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
		return false;
	r->p += n;
	return true;
}

/* The members of an object whose '{' was read; values at depth. */
static bool
rd_members(struct rd *r, int depth)
{
	rd_ws(r);
	if (rd_eat(r, '}'))
		return true;
	for (;;) {
		rd_ws(r);
		if (!rd_string(r))
			return false;
		rd_ws(r);
		if (!rd_eat(r, ':'))
			return false;
		rd_ws(r);
		if (!rd_value(r, depth))
			return false;
		rd_ws(r);
		if (rd_eat(r, '}'))
			return true;
		if (!rd_eat(r, ','))
			return false;
	}
}

static bool
rd_value(struct rd *r, int depth)
{
	if (r->p >= r->end)
		return false;
	switch (*r->p) {
	case '{':
		if (depth >= r->max)
			return false;
		r->p++;
		return rd_members(r, depth + 1);
	case '[':
		if (depth >= r->max)
			return false;
		r->p++;
		rd_ws(r);
		if (rd_eat(r, ']'))
			return true;
		for (;;) {
			rd_ws(r);
			if (!rd_value(r, depth + 1))
				return false;
			rd_ws(r);
			if (rd_eat(r, ']'))
				return true;
			if (!rd_eat(r, ','))
				return false;
		}
	case '"':
		return rd_string(r);
	case 't':
		return rd_word(r, "true");
	case 'f':
		return rd_word(r, "false");
	case 'n':
		return rd_word(r, "null");
	default:
		return rd_number(r);
	}
}

bool
ref_json(const char *s, size_t n, int max, bool top_object)
{
	struct rd r = { s, s + n, max };

	if (top_object) {
		/* The line's own braces are the first level. */
		if (!rd_eat(&r, '{') || !rd_members(&r, 1))
			return false;
		return r.p == r.end;
	}
	rd_ws(&r);
	if (!rd_value(&r, 0))
		return false;
	rd_ws(&r);
	return r.p == r.end;
}

size_t
ref_json_value(const char *s, size_t n, int max)
{
	struct rd r = { s, s + n, max };

	return rd_value(&r, 0) ? (size_t)(r.p - s) : 0;
}

/* Append code point cp as UTF-8. */
static void
put_utf8(struct cvx_buf *out, unsigned long cp)
{
	if (cp < 0x80) {
		cvx_buf_addc(out, (char)cp);
	} else if (cp < 0x800) {
		cvx_buf_addc(out, (char)(0xC0 | cp >> 6));
		cvx_buf_addc(out, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		cvx_buf_addc(out, (char)(0xE0 | cp >> 12));
		cvx_buf_addc(out, (char)(0x80 | (cp >> 6 & 0x3F)));
		cvx_buf_addc(out, (char)(0x80 | (cp & 0x3F)));
	} else {
		cvx_buf_addc(out, (char)(0xF0 | cp >> 18));
		cvx_buf_addc(out, (char)(0x80 | (cp >> 12 & 0x3F)));
		cvx_buf_addc(out, (char)(0x80 | (cp >> 6 & 0x3F)));
		cvx_buf_addc(out, (char)(0x80 | (cp & 0x3F)));
	}
}

void
ref_unescape(const char *raw, size_t n, struct cvx_buf *out)
{
	struct rd r = { raw, raw + n, 0 };
	long u, lo;
	char c;

	while (r.p < r.end) {
		c = *r.p++;
		if (c != '\\') {
			cvx_buf_addc(out, c);
			continue;
		}
		c = *r.p++;
		switch (c) {
		case 'b': cvx_buf_addc(out, '\b'); break;
		case 'f': cvx_buf_addc(out, '\f'); break;
		case 'n': cvx_buf_addc(out, '\n'); break;
		case 'r': cvx_buf_addc(out, '\r'); break;
		case 't': cvx_buf_addc(out, '\t'); break;
		case 'u':
			u = rd_hex4(&r);
			if (u >= 0xD800 && u <= 0xDBFF) {
				r.p += 2;
				lo = rd_hex4(&r);
				u = 0x10000 + (u - 0xD800) * 0x400 +
				    (lo - 0xDC00);
			}
			put_utf8(out, (unsigned long)u);
			break;
		default:
			cvx_buf_addc(out, c);
		}
	}
}

int
ref_copy_field(const char *f, size_t n, struct cvx_buf *out, bool *null)
{
	size_t i;

	*null = n == 2 && f[0] == '\\' && f[1] == 'N';
	if (*null)
		return 0;
	for (i = 0; i < n; i++) {
		if (f[i] == '\t' || f[i] == '\n' || f[i] == '\r')
			return -1;
		if (f[i] != '\\') {
			cvx_buf_addc(out, f[i]);
			continue;
		}
		if (++i == n)
			return -1;
		switch (f[i]) {
		case '\\': cvx_buf_addc(out, '\\'); break;
		case 'n': cvx_buf_addc(out, '\n'); break;
		case 'r': cvx_buf_addc(out, '\r'); break;
		case 't': cvx_buf_addc(out, '\t'); break;
		case 'b': cvx_buf_addc(out, '\b'); break;
		case 'f': cvx_buf_addc(out, '\f'); break;
		default: return -1;
		}
	}
	return 0;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
ref_base64(const unsigned char *p, size_t n, struct cvx_buf *out)
{
	size_t i;
	unsigned long v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (unsigned long)p[i] << 16 | p[i + 1] << 8 | p[i + 2];
		cvx_buf_addc(out, b64[v >> 18]);
		cvx_buf_addc(out, b64[v >> 12 & 63]);
		cvx_buf_addc(out, b64[v >> 6 & 63]);
		cvx_buf_addc(out, b64[v & 63]);
	}
	if (n - i == 1) {
		v = (unsigned long)p[i] << 16;
		cvx_buf_addc(out, b64[v >> 18]);
		cvx_buf_addc(out, b64[v >> 12 & 63]);
		cvx_buf_adds(out, "==");
	} else if (n - i == 2) {
		v = (unsigned long)p[i] << 16 | p[i + 1] << 8;
		cvx_buf_addc(out, b64[v >> 18]);
		cvx_buf_addc(out, b64[v >> 12 & 63]);
		cvx_buf_addc(out, b64[v >> 6 & 63]);
		cvx_buf_addc(out, '=');
	}
}

int
ref_unbase64(const char *s, size_t n, struct cvx_buf *out)
{
	size_t body = n, pad = 0, i, j;
	unsigned long v;
	const char *c;
	int k;

	while (body > 0 && s[body - 1] == '=' && pad < 2) {
		body--;
		pad++;
	}
	/* Padding, when present, makes exactly a whole quantum. */
	if (body % 4 == 1 || (pad > 0 && (body + pad) % 4 != 0))
		return -1;
	for (i = 0; i < body; i += 4) {
		v = 0;
		for (j = 0; j < 4; j++) {
			if (i + j < body) {
				if (s[i + j] == '\0' ||
				    (c = strchr(b64, s[i + j])) == NULL)
					return -1;
				k = (int)(c - b64);
			} else
				k = 0;
			v = v << 6 | (unsigned long)k;
		}
		k = body - i >= 4 ? 3 : (int)(body - i) - 1;
		if (k < 3 && (v & ((1UL << (8 * (3 - k))) - 1)) != 0)
			return -1;	/* bits after the last byte */
		for (j = 0; j < (size_t)k; j++)
			cvx_buf_addc(out, (char)(v >> (16 - 8 * j) & 0xFF));
	}
	return 0;
}

int
fuzz_collect(void *ctx, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	struct fuzz_members *m = ctx;

	if (m->n < FUZZ_MEMBERS) {
		m->key[m->n] = (size_t)(key - m->base);
		m->klen[m->n] = klen;
		m->val[m->n] = (size_t)(val - m->base);
		m->vlen[m->n] = vlen;
	}
	m->n++;
	return 0;
}
