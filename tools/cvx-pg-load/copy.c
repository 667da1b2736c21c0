/* SPDX-License-Identifier: MIT */
/*
 * copy.c: JSON values to PostgreSQL COPY text-format fields.
 *
 * COPY text format: PostgreSQL documentation, COPY, "File Formats, Text
 * Format": columns separated by tab, rows by newline, \N is NULL, and a
 * backslash escapes \b \f \n \r \t \v \\ (and octal/hex bytes).  Value
 * encodings: convex-export-format.md §3.1 (uniform and legacy eras).
 * Nothing here talks to a server: cvx-pg-load reads the column types from
 * the catalog and calls cvx_copy_value per value.
 */
#include <stdlib.h>
#include <string.h>

#include "cvx-pg-load.h"

/* U+FFFD REPLACEMENT CHARACTER, for --nul replace. */
#define REPLACEMENT	"\xEF\xBF\xBD"

/* The four hex digits at p (already checked by the JSON checker). */
static long
hex4(const char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++)
		v = v << 4 | cvx_hexval((unsigned char)p[i]);
	return v;
}

/* Append code point u as UTF-8, COPY-escaping the bytes COPY would eat. */
static void
put_cp(struct cvx_buf *out, unsigned long u)
{
	char b[2];

	if (u == '\n' || u == '\r' || u == '\t' || u == '\\') {
		b[0] = '\\';
		b[1] = u == '\n' ? 'n' : u == '\r' ? 'r' : u == '\t' ? 't' :
		    '\\';
		cvx_buf_add(out, b, 2);
		return;
	}
	cvx_utf8_put(out, u);
}

/* The first byte from p on that COPY text escapes (\\ \n \r \t), or end. */
static const char *
copy_plain(const char *p, const char *end)
{
	while (p < end && *p != '\\' && *p != '\n' && *p != '\r' && *p != '\t')
		p++;
	return p;
}

/* Append the plain bytes from *p on and move past them; false at end. */
static bool
add_plain(struct cvx_buf *out, const char **p, const char *end)
{
	const char *run = *p;

	*p = copy_plain(run, end);
	cvx_buf_add(out, run, (size_t)(*p - run));
	return *p < end;
}

void
cvx_copy_escape(struct cvx_buf *out, const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	cvx_buf_grow(out, n);
	while (add_plain(out, &p, end)) {
		put_cp(out, (unsigned char)*p);
		p++;
	}
}

/*
 * Decode the JSON string raw[0..n) (checked, between its quotes) into
 * out COPY-escaped, in one pass, applying the NUL policy to \u0000.  (The
 * plain decoder, for values a type's input function parses, is
 * cvx_json_unescape.)
 */
static int
string_out(struct cvx_buf *out, const char *raw, size_t n,
    enum cvx_nul_policy nul)
{
	const char *p = raw, *end = raw + n, *bs;
	long u, u2;
	char c;

	cvx_buf_grow(out, n);
	while (p < end) {
		if ((bs = memchr(p, '\\', (size_t)(end - p))) == NULL) {
			cvx_buf_add(out, p, (size_t)(end - p));
			break;
		}
		cvx_buf_add(out, p, (size_t)(bs - p));
		if (end - bs < 2)
			return -1;
		c = bs[1];
		p = bs + 2;
		/* JSON's one-letter escapes are COPY's too (but / and "). */
		if (c == '"' || c == '/') {
			cvx_buf_addc(out, c);
			continue;
		}
		if (c != 'u') {
			cvx_buf_add(out, bs, 2);
			continue;
		}
		if (end - p < 4)
			return -1;
		u = hex4(p);
		p += 4;
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (end - p < 6)
				return -1;
			u2 = hex4(p + 2);
			p += 6;
			u = 0x10000 + ((u - 0xD800) << 10) + (u2 - 0xDC00);
		}
		if (u == 0) {
			if (nul == CVX_NUL_REJECT)
				return -1;
			if (nul == CVX_NUL_REPLACE)
				cvx_buf_adds(out, REPLACEMENT);
			continue;
		}
		put_cp(out, (unsigned long)u);
	}
	return 0;
}

int
cvx_copy_json_string(struct cvx_buf *out, const char *raw, size_t n,
    enum cvx_nul_policy nul)
{
	return string_out(out, raw, n, nul);
}

/* JSON text with the NUL policy applied, COPY-escaped when copy is set. */
static int
json_out(struct cvx_buf *out, const char *s, size_t n,
    enum cvx_nul_policy nul, bool copy)
{
	const char *p = s, *end = s + n, *bs;

	cvx_buf_grow(out, n);
	/*
	 * Not for COPY text, only a \u0000 escape changes anything: copy
	 * up to it an escape at a time (so "\\u0000" is not one).
	 */
	while (!copy) {
		if ((bs = memchr(p, '\\', (size_t)(end - p))) == NULL) {
			cvx_buf_add(out, p, (size_t)(end - p));
			return 0;
		}
		if (end - bs < 2 || (end - bs >= 6 &&
		    memcmp(bs, "\\u0000", 6) == 0))
			break;
		cvx_buf_add(out, p, (size_t)(bs + 2 - p));
		p = bs + 2;
	}
	while (add_plain(out, &p, end)) {
		if (*p != '\\') {		/* whitespace between tokens */
			if (copy)
				put_cp(out, (unsigned char)*p);
			else
				cvx_buf_addc(out, *p);
			p++;
			continue;
		}
		/* Checked JSON: a backslash always starts an escape. */
		if (end - p >= 6 && memcmp(p, "\\u0000", 6) == 0) {
			if (nul == CVX_NUL_REJECT)
				return -1;
			if (nul == CVX_NUL_REPLACE)
				cvx_buf_adds(out, copy ? "\\\\ufffd" :
				    "\\ufffd");
			p += 6;
			continue;
		}
		if (end - p < 2)
			return -1;
		if (copy)
			cvx_buf_addc(out, '\\');
		cvx_buf_addc(out, '\\');
		if (p[1] == '\\' && copy)
			cvx_buf_add(out, "\\\\", 2);
		else
			cvx_buf_addc(out, p[1]);
		p += 2;
	}
	return 0;
}

int
cvx_copy_json_text(struct cvx_buf *out, const char *json, size_t n,
    enum cvx_nul_policy nul)
{
	return json_out(out, json, n, nul, true);
}

int
cvx_json_text_nul(struct cvx_buf *out, const char *json, size_t n,
    enum cvx_nul_policy nul)
{
	return json_out(out, json, n, nul, false);
}

/* Append "\x" and the hex digits of p[0..n): bytea's hex input format. */
static void
hex_out(struct cvx_buf *out, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	cvx_buf_grow(out, 2 + 2 * n);
	cvx_buf_add(out, "\\x", 2);
	for (i = 0; i < n; i++) {
		out->p[out->len++] = hex[p[i] >> 4];
		out->p[out->len++] = hex[p[i] & 0xF];
	}
	out->p[out->len] = '\0';
}

enum cvx_pgtype
cvx_pgtype_of(const char *typname, char category)
{
	static const struct {
		const char *name;
		enum cvx_pgtype type;
	} names[] = {
		{ "int2", CVX_PG_INT }, { "int4", CVX_PG_INT },
		{ "int8", CVX_PG_INT }, { "numeric", CVX_PG_NUMERIC },
		{ "float4", CVX_PG_FLOAT }, { "float8", CVX_PG_FLOAT },
		{ "bool", CVX_PG_BOOL }, { "json", CVX_PG_JSON },
		{ "jsonb", CVX_PG_JSONB }, { "bytea", CVX_PG_BYTEA },
		{ "timestamp", CVX_PG_TIMESTAMP },
		{ "timestamptz", CVX_PG_TIMESTAMPTZ }, { "date", CVX_PG_DATE },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(typname, names[i].name) == 0)
			return names[i].type;
	if (category == 'A')
		return CVX_PG_ARRAY;
	if (category == 'S')
		return CVX_PG_TEXT;
	return CVX_PG_OTHER;
}

bool
cvx_convex_special(const char *v, size_t n, const char *name,
    const char **s, size_t *sn)
{
	size_t k = strlen(name);

	/* Convex writes these compact: {"$bytes":"..."} (export.rs). */
	if (n < k + 7 || memcmp(v, "{\"", 2) != 0 ||
	    memcmp(v + 2, name, k) != 0 || memcmp(v + 2 + k, "\":\"", 3) != 0 ||
	    memcmp(v + n - 2, "\"}", 2) != 0)
		return false;
	*s = v + k + 5;
	*sn = n - k - 7;
	return memchr(*s, '"', *sn) == NULL;
}

int
cvx_base64_string(struct cvx_buf *out, const char *raw, size_t n)
{
	struct cvx_buf s = { 0 };
	int r;

	if (memchr(raw, '\\', n) == NULL)
		return cvx_base64_decode(out, raw, n);
	r = cvx_json_unescape(raw, n, &s, CVX_NUL_KEEP) != 0 ? -1 :
	    cvx_base64_decode(out, s.p, s.len);
	cvx_buf_free(&s);
	return r;
}

static int raw_value(struct cvx_buf *, enum cvx_pgtype, enum cvx_pgtype,
    const char *, size_t, enum cvx_nul_policy, const char **);

/* A JSON array as a PostgreSQL array literal of elem values. */
static int
array_literal(struct cvx_buf *out, enum cvx_pgtype elem, const char *v,
    size_t n, enum cvx_nul_policy nul, const char **why)
{
	const char *p = v + 1, *end = v + n - 1, *q;
	struct cvx_buf tmp = { 0 };
	struct cvx_json_error je;
	size_t i;
	int r = 0;

	cvx_buf_addc(out, '{');
	while (p < end && r == 0) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ||
		    *p == ',')
			p++;
		if (p >= end)
			break;
		if ((q = cvx_json_skip(v, p, end, &je)) == NULL) {
			*why = "invalid JSON array";
			r = -1;
			break;
		}
		if (out->p[out->len - 1] != '{')
			cvx_buf_addc(out, ',');
		/* A JSON array is a dimension, or a json element's value. */
		if (*p == '[' && elem != CVX_PG_JSON && elem != CVX_PG_JSONB) {
			r = array_literal(out, elem, p, (size_t)(q - p), nul,
			    why);
		} else if (q - p == 4 && memcmp(p, "null", 4) == 0) {
			cvx_buf_adds(out, "NULL");
		} else {
			cvx_buf_reset(&tmp);
			r = raw_value(&tmp, elem, CVX_PG_OTHER, p,
			    (size_t)(q - p), nul, why);
			/* Quote every element: "NULL" and "" stay strings. */
			cvx_buf_addc(out, '"');
			for (i = 0; r == 0 && i < tmp.len; i++) {
				if (tmp.p[i] == '"' || tmp.p[i] == '\\')
					cvx_buf_addc(out, '\\');
				cvx_buf_addc(out, tmp.p[i]);
			}
			cvx_buf_addc(out, '"');
		}
		p = q;
	}
	cvx_buf_addc(out, '}');
	cvx_buf_free(&tmp);
	return r;
}

/* One JSON value (not null) as the unescaped text of a type value. */
static int
raw_value(struct cvx_buf *out, enum cvx_pgtype type, enum cvx_pgtype elem,
    const char *v, size_t n, enum cvx_nul_policy nul, const char **why)
{
	struct cvx_buf tmp = { 0 };
	const char *s;
	size_t sn;
	int64_t us;
	int r = 0;

	if (type == CVX_PG_JSON || type == CVX_PG_JSONB) {
		if ((r = json_out(out, v, n, nul, false)) != 0)
			*why = "U+0000 (\\u0000) in a string";
		return r;
	}
	switch (*v) {
	case '"':
		if (type == CVX_PG_BYTEA) {
			/*
			 * Legacy bytes: a bare base64 string.  Its value is
			 * what counts: a JSON writer may escape '/' ("\/").
			 */
			if (cvx_base64_string(&tmp, v + 1, n - 2) != 0) {
				*why = "invalid base64 for bytea";
				r = -1;
			} else
				hex_out(out, (unsigned char *)tmp.p, tmp.len);
			break;
		}
		if ((r = cvx_json_unescape(v + 1, n - 2, out, nul)) != 0)
			*why = "U+0000 (\\u0000) in a string";
		break;
	case '{':
		if ((type == CVX_PG_FLOAT || type == CVX_PG_NUMERIC) &&
		    cvx_convex_special(v, n, "$float", &s, &sn)) {
			if ((r = cvx_float_text(out, s, sn)) != 0)
				*why = "invalid $float";
		} else if ((type == CVX_PG_INT || type == CVX_PG_NUMERIC ||
		    type == CVX_PG_FLOAT) &&
		    cvx_convex_special(v, n, "$integer", &s, &sn)) {
			if ((r = cvx_integer_text(out, s, sn)) != 0)
				*why = "invalid $integer";
		} else if (type == CVX_PG_BYTEA &&
		    cvx_convex_special(v, n, "$bytes", &s, &sn)) {
			if (cvx_base64_decode(&tmp, s, sn) != 0) {
				*why = "invalid base64 in $bytes";
				r = -1;
			} else
				hex_out(out, (unsigned char *)tmp.p, tmp.len);
		} else if (type == CVX_PG_TEXT || type == CVX_PG_OTHER) {
			if ((r = json_out(out, v, n, nul, false)) != 0)
				*why = "U+0000 (\\u0000) in a string";
		} else {
			*why = "an object cannot be loaded into this type";
			r = -1;
		}
		break;
	case '[':
		if (type == CVX_PG_ARRAY)
			r = array_literal(out, elem, v, n, nul, why);
		else if (type == CVX_PG_TEXT || type == CVX_PG_OTHER) {
			if ((r = json_out(out, v, n, nul, false)) != 0)
				*why = "U+0000 (\\u0000) in a string";
		} else {
			*why = "an array cannot be loaded into this type";
			r = -1;
		}
		break;
	case 't': case 'f':
		if (type == CVX_PG_BYTEA || type == CVX_PG_ARRAY) {
			*why = "a boolean cannot be loaded into this type";
			r = -1;
		} else
			cvx_buf_add(out, v, n);
		break;
	default:			/* a number */
		if (type == CVX_PG_TIMESTAMP || type == CVX_PG_TIMESTAMPTZ ||
		    type == CVX_PG_DATE) {
			/* Epoch milliseconds, as Convex's _creationTime. */
			if (cvx_epoch_ms_to_us(v, n, &us) != 0 ||
			    cvx_format_time(out, us, type == CVX_PG_DATE ?
			    CVX_TIME_DATE : type == CVX_PG_TIMESTAMP ?
			    CVX_TIME_TIMESTAMP : CVX_TIME_TIMESTAMPTZ) != 0) {
				*why = "epoch milliseconds out of range";
				r = -1;
			}
		} else if (type == CVX_PG_BYTEA || type == CVX_PG_ARRAY) {
			*why = "a number cannot be loaded into this type";
			r = -1;
		} else if (type != CVX_PG_INT ||
		    cvx_number_kind(v, n) == CVX_NUM_INT ||
		    cvx_number_integer(out, v, n) != 0)
			cvx_buf_add(out, v, n);
		break;
	}
	cvx_buf_free(&tmp);
	return r;
}

int
cvx_copy_value(struct cvx_buf *out, struct cvx_buf *tmp, enum cvx_pgtype type,
    enum cvx_pgtype elem, const char *v, size_t n, enum cvx_nul_policy nul,
    const char **why)
{
	*why = NULL;
	if (*v == 'n') {			/* null */
		cvx_buf_add(out, "\\N", 2);
		return 0;
	}
	/* Fast paths: the bulk of a document goes through one of these. */
	if (*v == '"' && type != CVX_PG_BYTEA && type != CVX_PG_JSON &&
	    type != CVX_PG_JSONB) {
		if (string_out(out, v + 1, n - 2, nul) != 0) {
			*why = "U+0000 (\\u0000) in a string";
			return -1;
		}
		return 0;
	}
	if (type == CVX_PG_JSON || type == CVX_PG_JSONB ||
	    (type == CVX_PG_TEXT && (*v == '{' || *v == '['))) {
		if (json_out(out, v, n, nul, true) != 0) {
			*why = "U+0000 (\\u0000) in a string";
			return -1;
		}
		return 0;
	}
	if ((*v == '-' || (*v >= '0' && *v <= '9')) &&
	    type != CVX_PG_TIMESTAMP && type != CVX_PG_TIMESTAMPTZ &&
	    type != CVX_PG_DATE && type != CVX_PG_BYTEA &&
	    type != CVX_PG_ARRAY) {
		/* A whole float ("5.0") into an integer: its integer text. */
		if (type != CVX_PG_INT ||
		    cvx_number_kind(v, n) == CVX_NUM_INT ||
		    cvx_number_integer(out, v, n) != 0)
			cvx_buf_add(out, v, n);	/* digits need no escaping */
		return 0;
	}
	cvx_buf_reset(tmp);
	if (raw_value(tmp, type, elem, v, n, nul, why) != 0)
		return -1;
	cvx_copy_escape(out, tmp->p, tmp->len);
	return 0;
}
