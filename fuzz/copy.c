/* SPDX-License-Identifier: MIT */
/*
 * copy: the JSON -> COPY transcoder of cvx-pg-load (cvx_copy_value for
 * each column type; cvx_rows_* for whole documents).
 *
 * Input: byte 0 < 0x80 picks the column type (types[], mod 13), byte 1
 * the element type of an array (low nibble) and the NUL policy (high
 * nibble, mod 3); the rest is one JSON value.  Byte 0 >= 0x80: the rest
 * is a document line for a table with a column of each kind and a
 * catch-all json column `doc`, byte 1 the NUL policy.
 *
 * Invariants:
 * - the field is COPY text (PostgreSQL docs, COPY, "Text Format") with
 *   no raw tab, newline or CR and only the escapes cvx writes, \N for
 *   null only, and no NUL byte once decoded;
 * - decoded, it is what a second transcoder (written here from cvx.h and
 *   convex-export-format.md §3.1) makes of the value: a string decoded
 *   with the NUL policy; JSON text kept byte for byte but for \u0000;
 *   $float, $integer, $bytes and legacy base64 decoded (a float printed
 *   so that strtod gives back its bits); epoch milliseconds as an exact
 *   UTC time, rounded half to even at the microsecond; JSON arrays as
 *   array literals; and an error exactly where that transcoder has one;
 * - a document's row has one field per listed column, each the value of
 *   the document's last member of that name, \N when absent, and the
 *   catch-all holds the document's other members unchanged.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#if __has_include("cvx-pg-load.h")
#include "cvx-pg-load.h"
#endif
#include "fuzz.h"

static const enum cvx_pgtype types[] = {
	CVX_PG_TEXT, CVX_PG_INT, CVX_PG_NUMERIC, CVX_PG_FLOAT, CVX_PG_BOOL,
	CVX_PG_JSON, CVX_PG_JSONB, CVX_PG_BYTEA, CVX_PG_TIMESTAMP,
	CVX_PG_TIMESTAMPTZ, CVX_PG_DATE, CVX_PG_ARRAY, CVX_PG_OTHER
};
#define NTYPES (sizeof(types) / sizeof(types[0]))
static const enum cvx_nul_policy nuls[] = {
	CVX_NUL_REJECT, CVX_NUL_STRIP, CVX_NUL_REPLACE
};

/* ---- the second transcoder ------------------------------------------ */

/* Decoded bytes with the NUL policy applied; -1 to refuse. */
static int
nul_apply(const char *s, size_t n, enum cvx_nul_policy nul,
    struct cvx_buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '\0') {
			cvx_buf_addc(out, s[i]);
			continue;
		}
		if (nul == CVX_NUL_REJECT)
			return -1;
		if (nul == CVX_NUL_REPLACE)
			cvx_buf_adds(out, "\xEF\xBF\xBD");
	}
	return 0;
}

/* JSON text with each \u0000 escape refused, dropped or made \ufffd. */
static int
json_nul(const char *v, size_t n, enum cvx_nul_policy nul,
    struct cvx_buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i] != '\\') {
			cvx_buf_addc(out, v[i]);
			continue;
		}
		if (n - i >= 6 && memcmp(v + i, "\\u0000", 6) == 0) {
			if (nul == CVX_NUL_REJECT)
				return -1;
			if (nul == CVX_NUL_REPLACE)
				cvx_buf_adds(out, "\\ufffd");
			i += 5;
			continue;
		}
		cvx_buf_add(out, v + i, 2);
		i++;
	}
	return 0;
}

/* Is v[0..n) exactly {"NAME":"payload"}, compact?  Sets the payload. */
static bool
is_special(const char *v, size_t n, const char *name, const char **p,
    size_t *pn)
{
	struct cvx_buf head = {0};
	bool r;

	cvx_buf_printf(&head, "{\"%s\":\"", name);
	r = n >= head.len + 2 && memcmp(v, head.p, head.len) == 0 &&
	    memcmp(v + n - 2, "\"}", 2) == 0;
	if (r) {
		*p = v + head.len;
		*pn = n - head.len - 2;
		r = memchr(*p, '"', *pn) == NULL;
	}
	cvx_buf_free(&head);
	return r;
}

/* 8 little-endian bytes of base64, or -1. */
static int
payload_u64(const char *p, size_t n, uint64_t *bits)
{
	struct cvx_buf b = {0};
	int i, r = -1;

	if (ref_unbase64(p, n, &b) == 0 && b.len == 8) {
		*bits = 0;
		for (i = 7; i >= 0; i--)
			*bits = *bits << 8 | (unsigned char)b.p[i];
		r = 0;
	}
	cvx_buf_free(&b);
	return r;
}

static void
hex_bytes(const char *p, size_t n, struct cvx_buf *out)
{
	size_t i;

	cvx_buf_adds(out, "\\x");
	for (i = 0; i < n; i++)
		cvx_buf_printf(out, "%02x", (unsigned char)p[i]);
}

/*
 * Epoch milliseconds (a JSON number token) to microseconds, exactly:
 * digits D and exponent e, value D * 10^(e+3) us, rounded half to even.
 */
static int
ref_epoch_us(const char *t, size_t n, int64_t *us)
{
	const char *p = t, *end = t + n, *d;
	struct cvx_buf dg = {0};
	long long exp = 0, e;
	size_t nd, k, i;
	unsigned __int128 v = 0;
	bool neg = false, eneg = false, up = false;
	char first;
	int r = -1;

	if (*p == '-') {
		neg = true;
		p++;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		if (dg.len > 0 || *p != '0' || p + 1 == end || p[1] < '0' ||
		    p[1] > '9')
			cvx_buf_addc(&dg, *p);	/* no leading zeros */
	e = 0;
	if (p < end && *p == '.')
		for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
			cvx_buf_addc(&dg, *p);
			e--;
		}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (*++p == '-' || *p == '+')
			eneg = *p++ == '-';
		for (; p < end; p++)
			if (exp < 1000000000)
				exp = exp * 10 + (*p - '0');
	}
	e += (eneg ? -exp : exp) + 3;
	d = dg.p;
	nd = dg.len;
	while (nd > 0 && *d == '0') {
		d++;
		nd--;
	}
	if (nd == 0) {
		*us = 0;
		r = 0;
		goto out;
	}
	if (e >= 0) {
		if ((long long)nd + e > 19)
			goto out;
		for (i = 0; i < nd; i++)
			v = v * 10 + (unsigned)(d[i] - '0');
		for (; e > 0; e--)
			v *= 10;
	} else {
		k = (size_t)-e;		/* digits right of the point */
		if (k < nd) {
			if (nd - k > 19)
				goto out;
			for (i = 0; i < nd - k; i++)
				v = v * 10 + (unsigned)(d[i] - '0');
			first = d[nd - k];
			for (i = nd - k + 1; i < nd && d[i] == '0'; i++)
				;
		} else {
			first = k == nd ? d[0] : '0';
			for (i = 1; i < nd && d[i] == '0'; i++)
				;
		}
		if (first > '5')
			up = true;
		else if (first == '5')
			up = i < nd || (v & 1) != 0;
		v += up;
	}
	if (v > INT64_MAX)
		goto out;
	*us = neg ? -(int64_t)v : (int64_t)v;
	r = 0;
out:
	cvx_buf_free(&dg);
	return r;
}

/*
 * Microseconds as PostgreSQL ISO text, by gmtime_r, " BC" for a year
 * before 1; -1 before 4713 BC.
 */
static int
ref_time(int64_t us, enum cvx_pgtype type, struct cvx_buf *out)
{
	int64_t s = us / 1000000, f = us % 1000000;
	struct tm tm;
	time_t tt;
	long y;

	if (f < 0) {
		f += 1000000;
		s--;
	}
	tt = (time_t)s;
	if (gmtime_r(&tt, &tm) == NULL || (long)tm.tm_year + 1900 < -4712)
		return -1;
	y = (long)tm.tm_year + 1900;
	cvx_buf_printf(out, "%04ld-%02d-%02d", y > 0 ? y : 1 - y,
	    tm.tm_mon + 1, tm.tm_mday);
	if (type != CVX_PG_DATE) {
		cvx_buf_printf(out, " %02d:%02d:%02d.%06lld", tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (long long)f);
		if (type == CVX_PG_TIMESTAMPTZ)
			cvx_buf_adds(out, "+00");
	}
	if (y <= 0)
		cvx_buf_adds(out, " BC");
	return 0;
}

/*
 * A float token (with '.', 'e' or 'E') whose value is a whole number of
 * at most 19 digits, as that integer's text (an integer column's input);
 * -1 otherwise, and for an integer token, which is kept as written.
 */
static int
ref_integer(const char *t, size_t n, struct cvx_buf *out)
{
	struct cvx_buf dg = {0};
	const char *p = t, *end = t + n;
	long long exp = 0, e = 0;
	bool neg = false, eneg = false, fl = false;
	size_t i, lead;
	int r = -1;

	if (*p == '-') {
		neg = true;
		p++;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		cvx_buf_addc(&dg, *p);
	if (p < end && *p == '.')
		for (fl = true, p++; p < end && *p >= '0' && *p <= '9'; p++) {
			cvx_buf_addc(&dg, *p);
			e--;
		}
	if (p < end && (*p == 'e' || *p == 'E')) {
		fl = true;
		if (*++p == '-' || *p == '+')
			eneg = *p++ == '-';
		for (; p < end; p++)
			if (exp < 1000000000)
				exp = exp * 10 + (*p - '0');
	}
	e += eneg ? -exp : exp;
	while (dg.len > 0 && dg.p[dg.len - 1] == '0') {
		dg.len--;
		e++;
	}
	for (lead = 0; lead < dg.len && dg.p[lead] == '0'; lead++)
		;
	if (!fl)
		goto out;
	if (lead == dg.len) {
		cvx_buf_adds(out, "0");
		r = 0;
	} else if (e >= 0 && (long long)(dg.len - lead) + e <= 19) {
		if (neg)
			cvx_buf_addc(out, '-');
		cvx_buf_add(out, dg.p + lead, dg.len - lead);
		for (i = 0; i < (size_t)e; i++)
			cvx_buf_addc(out, '0');
		r = 0;
	}
out:
	cvx_buf_free(&dg);
	return r;
}

static int expect(enum cvx_pgtype, enum cvx_pgtype, const char *, size_t,
    enum cvx_nul_policy, struct cvx_buf *);

/* A JSON array as the array literal an elem column takes. */
static int
expect_array(enum cvx_pgtype elem, const char *v, size_t n,
    enum cvx_nul_policy nul, struct cvx_buf *out)
{
	struct cvx_buf e = {0};
	size_t i = 1, len, k;
	int r = 0, count = 0;

	cvx_buf_addc(out, '{');
	for (;;) {
		while (i < n && strchr(" \t\r\n", v[i]) != NULL && v[i])
			i++;
		if (v[i] == ']')
			break;
		len = ref_json_value(v + i, n - i, CVX_JSON_MAX_DEPTH);
		if (count++ > 0)
			cvx_buf_addc(out, ',');
		if (v[i] == '[' && elem != CVX_PG_JSON &&
		    elem != CVX_PG_JSONB) {
			r = expect_array(elem, v + i, len, nul, out);
		} else if (v[i] == 'n') {
			cvx_buf_adds(out, "NULL");
		} else {
			cvx_buf_reset(&e);
			r = expect(elem, CVX_PG_OTHER, v + i, len, nul, &e);
			cvx_buf_addc(out, '"');
			for (k = 0; r == 0 && k < e.len; k++) {
				if (e.p[k] == '"' || e.p[k] == '\\')
					cvx_buf_addc(out, '\\');
				cvx_buf_addc(out, e.p[k]);
			}
			cvx_buf_addc(out, '"');
		}
		if (r != 0)
			break;
		i += len;
		while (i < n && strchr(" \t\r\n,", v[i]) != NULL && v[i])
			i++;
	}
	cvx_buf_addc(out, '}');
	cvx_buf_free(&e);
	return r;
}

/*
 * What a column of type (elem) holds for the checked JSON value v[0..n)
 * (not null), before COPY escaping; -1 where cvx must refuse it.
 */
static int
expect(enum cvx_pgtype type, enum cvx_pgtype elem, const char *v, size_t n,
    enum cvx_nul_policy nul, struct cvx_buf *out)
{
	struct cvx_buf d = {0}, b = {0};
	const char *p;
	size_t pn;
	uint64_t bits;
	int64_t us;
	double x;
	int r = 0;

	if (type == CVX_PG_JSON || type == CVX_PG_JSONB)
		return json_nul(v, n, nul, out);
	switch (v[0]) {
	case '"':
		if (type == CVX_PG_BYTEA) {
			/*
			 * Legacy bytes: a string whose value is base64; a
			 * JSON escape in it ("\/", as some JSON writers
			 * escape '/') is decoded first.
			 */
			ref_unescape(v + 1, n - 2, &d);
			cvx_buf_reset(&b);
			if (ref_unbase64(d.p, d.len, &b) != 0)
				r = -1;
			else
				hex_bytes(b.p, b.len, out);
			break;
		}
		ref_unescape(v + 1, n - 2, &d);
		r = nul_apply(d.p, d.len, nul, out);
		break;
	case '{':
		if ((type == CVX_PG_FLOAT || type == CVX_PG_NUMERIC) &&
		    is_special(v, n, "$float", &p, &pn)) {
			if ((r = payload_u64(p, pn, &bits)) != 0)
				break;
			memcpy(&x, &bits, sizeof(x));
			if (isnan(x))
				cvx_buf_adds(out, "NaN");
			else if (isinf(x))
				cvx_buf_adds(out, x < 0 ? "-Infinity" :
				    "Infinity");
			else if (x == 0)
				cvx_buf_adds(out, signbit(x) ? "-0" : "0");
			else
				cvx_buf_printf(out, "%.17g", x);
		} else if ((type == CVX_PG_INT || type == CVX_PG_NUMERIC ||
		    type == CVX_PG_FLOAT) && is_special(v, n, "$integer", &p,
		    &pn)) {
			if ((r = payload_u64(p, pn, &bits)) == 0)
				cvx_buf_printf(out, "%lld",
				    (long long)(int64_t)bits);
		} else if (type == CVX_PG_BYTEA && is_special(v, n, "$bytes",
		    &p, &pn)) {
			if ((r = ref_unbase64(p, pn, &d)) == 0)
				hex_bytes(d.p, d.len, out);
		} else if (type == CVX_PG_TEXT || type == CVX_PG_OTHER)
			r = json_nul(v, n, nul, out);
		else
			r = -1;
		break;
	case '[':
		if (type == CVX_PG_ARRAY)
			r = expect_array(elem, v, n, nul, out);
		else if (type == CVX_PG_TEXT || type == CVX_PG_OTHER)
			r = json_nul(v, n, nul, out);
		else
			r = -1;
		break;
	case 't': case 'f':
		if (type == CVX_PG_BYTEA || type == CVX_PG_ARRAY)
			r = -1;
		else
			cvx_buf_add(out, v, n);
		break;
	default:
		if (type == CVX_PG_TIMESTAMP || type == CVX_PG_TIMESTAMPTZ ||
		    type == CVX_PG_DATE)
			r = ref_epoch_us(v, n, &us) != 0 ? -1 :
			    ref_time(us, type, out);
		else if (type == CVX_PG_BYTEA || type == CVX_PG_ARRAY)
			r = -1;
		else if (type != CVX_PG_INT || ref_integer(v, n, out) != 0)
			cvx_buf_add(out, v, n);
	}
	cvx_buf_free(&d);
	cvx_buf_free(&b);
	return r;
}

/* ---- value mode ----------------------------------------------------- */

static void
value_mode(const uint8_t *data, size_t size)
{
	enum cvx_pgtype type = types[data[0] % NTYPES];
	enum cvx_pgtype elem = types[(data[1] & 0x0F) % NTYPES];
	enum cvx_nul_policy nul = nuls[(data[1] >> 4) % 3];
	const char *v = (const char *)data + 2, *why = NULL;
	size_t n = size - 2;
	struct cvx_buf out = {0}, tmp = {0}, want = {0}, got = {0};
	bool null;
	int r, er;

	if (n == 0 || cvx_json_skip(v, v, v + n, NULL) != v + n)
		return;
	cvx_buf_adds(&out, "x\t");		/* a field in a row */
	r = cvx_copy_value(&out, &tmp, type, elem, v, n, nul, &why);
	if (v[0] == 'n') {
		CHECK(r == 0 && mem_eq(out.p + 2, out.len - 2, "\\N", 2),
		    "null is not \\N");
		goto done;
	}
	er = expect(type, elem, v, n, nul, &want);
	if ((r == 0) != (er == 0)) {
		fuzz_show("value", v, n);
		fuzz_show("cvx field", out.p + 2, out.len - 2);
		fuzz_show("expected", want.p, want.len);
		CHECK(false, "type %d elem %d nul %d: cvx %d (%s), expected %d",
		    (int)type, (int)elem, (int)nul, r, why ? why : "", er);
	}
	if (r != 0) {
		CHECK(why != NULL, "a refusal without a reason");
		goto done;
	}
	CHECK(mem_eq(out.p, 2, "x\t", 2), "the row before the field changed");
	if (ref_copy_field(out.p + 2, out.len - 2, &got, &null) != 0 ||
	    null || !mem_eq(got.p, got.len, want.p, want.len) ||
	    (got.len > 0 && memchr(got.p, '\0', got.len) != NULL)) {
		fuzz_show("value", v, n);
		fuzz_show("cvx field", out.p + 2, out.len - 2);
		fuzz_show("decoded", got.p, got.len);
		fuzz_show("expected", want.p, want.len);
		CHECK(false, "type %d elem %d nul %d: the field is not the "
		    "value", (int)type, (int)elem, (int)nul);
	}
done:
	cvx_buf_free(&out);
	cvx_buf_free(&tmp);
	cvx_buf_free(&want);
	cvx_buf_free(&got);
}

/* ---- document mode -------------------------------------------------- */

/* The table: a column of each kind and the catch-all `doc`. */
static const struct {
	const char *name;
	enum cvx_pgtype type, elem;
} table[] = {
	{ "_id", CVX_PG_TEXT, CVX_PG_TEXT },
	{ "_creationTime", CVX_PG_TIMESTAMPTZ, CVX_PG_TEXT },
	{ "n", CVX_PG_INT, CVX_PG_TEXT },
	{ "f", CVX_PG_FLOAT, CVX_PG_TEXT },
	{ "b", CVX_PG_BYTEA, CVX_PG_TEXT },
	{ "d", CVX_PG_DATE, CVX_PG_TEXT },
	{ "a", CVX_PG_ARRAY, CVX_PG_INT },
	{ "j", CVX_PG_JSONB, CVX_PG_TEXT },
	{ "o", CVX_PG_OTHER, CVX_PG_TEXT },
	{ "doc", CVX_PG_JSONB, CVX_PG_TEXT },
};
#define NCOLS (sizeof(table) / sizeof(table[0]))
#define DOC_COL 9

/* The decoded name of a key, or -1 when it holds U+0000. */
static int
key_name(const char *k, size_t kn, struct cvx_buf *out)
{
	cvx_buf_reset(out);
	ref_unescape(k, kn, out);
	return out->len > 0 && memchr(out->p, '\0', out->len) ? -1 : 0;
}

/* The column a key names (not the catch-all), or -1. */
static long
ref_column(const char *k, size_t kn)
{
	struct cvx_buf name = {0};
	long c = -1;
	size_t i;

	if (key_name(k, kn, &name) == 0)
		for (i = 0; i < NCOLS; i++)
			if (i != DOC_COL && mem_eq(name.p, name.len,
			    table[i].name, strlen(table[i].name)))
				c = (long)i;
	cvx_buf_free(&name);
	return c;
}

/* Check one row of r->data from row[0..len) against document d. */
static void
check_row(struct cvx_rows *r, const struct cvx_doc *d, const char *row,
    size_t len, enum cvx_nul_policy nul)
{
	struct cvx_buf got = {0}, want = {0}, tmp = {0};
	struct cvx_doc bd = {0};
	const char *f = row, *tab, *why;
	size_t li, ci, i, j, k;
	long last;
	bool null;

	for (li = 0; li < r->nlist; li++) {
		tab = memchr(f, '\t', (size_t)(row + len - f));
		if (tab == NULL)
			tab = row + len;
		CHECK(li + 1 < r->nlist || tab == row + len, "more fields");
		CHECK(tab < row + len || li + 1 == r->nlist, "fewer fields");
		ci = r->list[li];
		cvx_buf_reset(&got);
		CHECK(ref_copy_field(f, (size_t)(tab - f), &got, &null) == 0,
		    "column %s: not a COPY field", table[ci].name);
		if (ci == DOC_COL) {
			/* The document minus its tag, members unchanged. */
			CHECK(!null && cvx_doc_parse(&bd, got.p, got.len,
			    NULL) == 0, "doc: not an object");
			for (i = 0, j = 0; i < d->n; i++) {
				if (cvx_member_is_tag(&d->m[i]))
					continue;
				cvx_buf_reset(&want);
				CHECK(json_nul(d->m[i].key - 1,
				    d->m[i].klen + 2, nul, &want) == 0 &&
				    j < bd.n &&
				    mem_eq(want.p, want.len, bd.m[j].key - 1,
				    bd.m[j].klen + 2), "doc: key %zu", i);
				cvx_buf_reset(&want);
				CHECK(json_nul(d->m[i].val, d->m[i].vlen, nul,
				    &want) == 0 && mem_eq(want.p, want.len,
				    bd.m[j].val, bd.m[j].vlen),
				    "doc: value %zu", i);
				j++;
			}
			CHECK(j == bd.n, "doc: %zu members, want %zu", bd.n, j);
		} else {
			/* The value of the last member naming the column. */
			for (i = 0, last = -1; i < d->n; i++)
				if (!cvx_member_is_tag(&d->m[i]) &&
				    ref_column(d->m[i].key, d->m[i].klen) ==
				    (long)ci)
					last = (long)i;
			cvx_buf_reset(&want);
			if (last < 0) {
				CHECK(null, "column %s: not \\N for a document "
				    "without it", table[ci].name);
			} else {
				k = (size_t)last;
				CHECK(cvx_copy_value(&want, &tmp,
				    table[ci].type, table[ci].elem,
				    d->m[k].val, d->m[k].vlen, nul,
				    &why) == 0 && mem_eq(f, (size_t)(tab - f),
				    want.p, want.len), "column %s: not its "
				    "last value", table[ci].name);
			}
		}
		f = tab + 1;
	}
	free(bd.m);
	cvx_buf_free(&got);
	cvx_buf_free(&want);
	cvx_buf_free(&tmp);
}

static void
doc_mode(const uint8_t *data, size_t size)
{
	enum cvx_nul_policy nul = nuls[(data[1] >> 4) % 3];
	const char *line = (const char *)data + 2, *why, *row, *nl;
	size_t len = size - 2, i, unknown, want_unknown;
	struct cvx_col cols[NCOLS];
	struct cvx_rows r;
	struct cvx_doc d = {0};
	struct cvx_buf names = {0};
	uint64_t lineno;
	long errcol;
	int rc = 0;

	if (cvx_doc_parse(&d, line, len, NULL) != 0)
		goto out;
	memset(cols, 0, sizeof(cols));
	memset(&r, 0, sizeof(r));
	for (i = 0; i < NCOLS; i++) {
		cols[i].name = (char *)table[i].name;
		cols[i].namelen = strlen(table[i].name);
		cols[i].type = table[i].type;
		cols[i].elem = table[i].elem;
	}
	r.cols = cols;
	r.ncols = NCOLS;
	r.doc = DOC_COL;
	for (i = 0, want_unknown = 0; i < d.n; i++)
		if (!cvx_member_is_tag(&d.m[i]) &&
		    ref_column(d.m[i].key, d.m[i].klen) < 0)
			want_unknown++;
	/* The same line twice: the second one meets the key cache. */
	for (lineno = 1; lineno <= 2; lineno++) {
		unknown = cvx_rows_match(&r, &d, lineno, &names);
		CHECK(unknown == want_unknown, "%zu unknown keys, want %zu",
		    unknown, want_unknown);
		for (i = 0; i < NCOLS; i++)
			if (!cols[i].listed && (cols[i].stamp == lineno ||
			    i == DOC_COL))
				cvx_rows_list_add(&r, i);
		rc = cvx_rows_append(&r, &d, line, len, lineno, nul, &errcol,
		    &why);
		if (rc != 0) {
			CHECK(why != NULL && errcol >= 0 &&
			    (size_t)errcol < NCOLS, "a refusal without a "
			    "reason or column");
			break;
		}
		CHECK(r.data.len > 0 && r.data.p[r.data.len - 1] == '\n',
		    "a row without its newline");
		CHECK(cvx_rows_line(&r, lineno) == lineno, "row %ju is not "
		    "line %ju", (uintmax_t)lineno, (uintmax_t)lineno);
	}
	/* After a refusal the tool fails: the half row is never sent. */
	for (row = r.data.p; rc == 0 && row < r.data.p + r.data.len;
	    row = nl + 1) {
		nl = memchr(row, '\n', (size_t)(r.data.p + r.data.len - row));
		CHECK(nl != NULL, "a row without its newline");
		check_row(&r, &d, row, (size_t)(nl - row), nul);
	}
	free(r.list);
	free(r.guess);
	free(r.runs);
	cvx_buf_free(&r.data);
	cvx_buf_free(&r.tmp);
out:
	free(d.m);
	cvx_buf_free(&names);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	if (data[0] < 0x80)
		value_mode(data, size);
	else
		doc_mode(data, size);
	return 0;
}
