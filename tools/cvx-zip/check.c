/* SPDX-License-Identifier: MIT */
/*
 * check.c: one stream document against the rules of Convex's importer,
 * rewritten as the compact uniform-encoding line that goes into the ZIP.
 *
 * Sources (convex-backend @94a42c3d):
 * - crates/value/src/export.rs:185-223 (from_clean_lossless): an integer
 *   token is int64, any other number float64; an object whose first key
 *   starts with '$' is internal JSON; other keys must be field names.
 * - crates/value/src/json/mod.rs:190-253: the only internal objects are
 *   {"$bytes"}, {"$integer"}, {"$float"}; a $float must not hold a normal
 *   or subnormal number; json/float.rs, json/integer.rs: 8 bytes.
 * - crates/convex/sync_types/src/identifier.rs:143-209: a field name is at
 *   most 1024 bytes of non-control ASCII and does not start with '$'.
 * - crates/common/src/document.rs:100-101 (1 MiB, nesting 16), 429-485
 *   (_id must be an ID of the table; _creationTime a float64 > 0 and
 *   < 2^53; no other top-level field starting with '_').
 * - crates/value/src/size.rs (sizes; any value nested at most 64),
 *   array.rs:28 (8192 elements), object.rs:31 (1024 fields).
 * - serde_json (the importer's parser): a number out of the f64 range is
 *   an error; "-0" is read as the float -0.0; an integer token beyond the
 *   i64 range is read as a float.
 */
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvx-zip.h"

#define MAX_USER_SIZE	(1 << 20)	/* document.rs:100 */
#define MAX_NESTING	16		/* document.rs:101 */
#define MAX_ARRAY_LEN	8192		/* array.rs:28 */
#define MAX_FIELDS	1024		/* object.rs:31 */
#define MAX_FIELD_NAME	1024		/* identifier.rs:143 */
#define MAX_EXACT_INT	9007199254740992.0	/* 2^53, floating_point.rs:4 */
/* The objects of a document whose duplicate keys are found by sorting. */
#define DUP_LINEAR	32

/* A raw key on the stack of open objects. */
struct rkey {
	const char *p;
	size_t	 n;
};

/* One walk over a document. */
struct walk {
	struct zdoc *d;
	const struct zopts *o;
	const struct ztable *t;
	const char *end;
	/* The path to the value being read, for messages. */
	struct {
		const char *key;	/* raw key, or NULL: idx */
		size_t	 klen;
		size_t	 idx;
	} path[MAX_NESTING + 2];
	int	 depth;
	const char *field;	/* raw top-level key */
	size_t	 flen;
	int	 int64;		/* field is --int64: -1 unknown, 0, 1 */
	bool	 has_id, has_time;	/* the system fields are given */
	struct rkey *keys;	/* keys of the open objects */
	size_t	 nkeys, capkeys;
};

static int value(struct walk *w, const char **pp, size_t *size, int depth);

static const char *
ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

/* Fail with "field PATH: what" in d->why. */
static int
bad(struct walk *w, const char *fmt, ...)
{
	struct cvx_buf *b = &w->d->why;
	va_list ap;
	char msg[512];
	int i;

	cvx_buf_reset(b);
	if (w->depth >= 1 && w->path[1].key != NULL) {
		cvx_buf_adds(b, "field ");
		for (i = 1; i <= w->depth && i < MAX_NESTING + 2; i++) {
			if (w->path[i].key == NULL)
				cvx_buf_printf(b, "[%zu]", w->path[i].idx);
			else {
				if (i > 1)
					cvx_buf_addc(b, '.');
				cvx_buf_add(b, w->path[i].key,
				    w->path[i].klen);
			}
		}
		cvx_buf_adds(b, ": ");
	}
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cvx_buf_adds(b, msg);
	return -1;
}

/* End of the string token at p ('"'), just past its closing quote. */
static const char *
string_end(const char *p)
{
	for (p++; *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p + 1;
}

/* UTF-8 length of the JSON string raw[0..n) once decoded (checked text). */
static size_t
decoded_len(const char *raw, size_t n)
{
	size_t i, len = 0;
	unsigned long u;

	for (i = 0; i < n; i++) {
		if (raw[i] != '\\') {
			len++;
			continue;
		}
		if (raw[++i] != 'u') {
			len++;
			continue;
		}
		u = (unsigned long)(cvx_hexval((unsigned char)raw[i + 1]) << 12 |
		    cvx_hexval((unsigned char)raw[i + 2]) << 8 |
		    cvx_hexval((unsigned char)raw[i + 3]) << 4 |
		    cvx_hexval((unsigned char)raw[i + 4]));
		i += 4;
		if (u >= 0xd800 && u < 0xdc00) {
			len += 4;	/* a pair: the checker saw the low half */
			i += 6;
		} else
			len += u < 0x80 ? 1 : u < 0x800 ? 2 : 3;
	}
	return len;
}

/* The decoded text of the string raw[0..n): raw itself without escapes. */
static int
decode(struct walk *w, const char *raw, size_t n, const char **s, size_t *len)
{
	if (memchr(raw, '\\', n) == NULL) {
		*s = raw;
		*len = n;
		return 0;
	}
	cvx_buf_reset(&w->d->tmp);
	if (cvx_json_unescape(raw, n, &w->d->tmp, CVX_NUL_KEEP) != 0)
		return -1;
	*s = w->d->tmp.p;
	*len = w->d->tmp.len;
	return 0;
}

/* Is the current top-level field named by an --int64 pattern? */
static bool
int64_field(struct walk *w)
{
	const char *name, *dot;
	char *field;
	size_t len, i;
	bool yes = false;

	if (w->int64 >= 0)
		return w->int64;
	if (w->t->int64_all || !w->t->int64_some) {
		w->int64 = w->t->int64_all;
		return w->int64;
	}
	if (decode(w, w->field, w->flen, &name, &len) != 0)
		return false;
	field = cvx_memdup(name, len + 1);
	field[len] = '\0';
	for (i = 0; i < w->o->nint64 && !yes; i++) {
		char *pat = w->o->int64[i], *tp;

		if ((dot = strchr(pat, '.')) == NULL)
			continue;	/* table-wide: in int64_all */
		tp = cvx_memdup(pat, (size_t)(dot - pat) + 1);
		tp[dot - pat] = '\0';
		yes = fnmatch(tp, w->t->qname, FNM_PATHNAME) == 0 &&
		    fnmatch(dot + 1, field, 0) == 0;
		free(tp);
	}
	free(field);
	w->int64 = yes;
	return yes;
}

void
zcheck_table_init(const struct zopts *o, struct ztable *t)
{
	const char *dot;
	char *tp;
	size_t i;

	for (i = 0; i < o->nint64; i++) {
		const char *pat = o->int64[i];
		size_t n = (dot = strchr(pat, '.')) == NULL ? strlen(pat) :
		    (size_t)(dot - pat);

		tp = cvx_memdup(pat, n + 1);
		tp[n] = '\0';
		if (fnmatch(tp, t->qname, FNM_PATHNAME) == 0) {
			t->int64_some = true;
			if (dot == NULL || strcmp(dot + 1, "*") == 0)
				t->int64_all = true;
		}
		free(tp);
	}
}

/* The bytes a JSON number token is made of: the table stands in for
 * strchr("-+0123456789.eE", c), the checker's hottest call. */
static const bool numch[256] = {
	['-'] = true, ['+'] = true, ['.'] = true, ['e'] = true, ['E'] = true,
	['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true,
	['5'] = true, ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true,
};

/*
 * The number of digits before the '.' of the checked number token
 * p[0..n) without its sign and leading zeros, or SIZE_MAX if it has an
 * exponent: with no exponent, fewer than 309 such digits is a finite
 * double (DBL_MAX is 1.8e308) and fewer than 16 is below 2^53, which
 * saves strtod on nearly every number.
 */
static size_t
int_digits(const char *p, size_t n)
{
	const char *end = p + n, *q;

	if (p < end && *p == '-')
		p++;
	while (p < end && *p == '0')
		p++;
	for (q = p; q < end && *q >= '0' && *q <= '9'; q++)
		;
	if (memchr(q, 'e', (size_t)(end - q)) != NULL ||
	    memchr(q, 'E', (size_t)(end - q)) != NULL)
		return SIZE_MAX;
	return (size_t)(q - p);
}

/* Parse a float token into *v (strtod wants a NUL). */
static double
float_value(struct walk *w, const char *p, size_t n)
{
	char small[64];
	char *s = small;
	double v;

	if (n >= sizeof(small)) {
		cvx_buf_reset(&w->d->tmp);
		cvx_buf_add(&w->d->tmp, p, n);
		s = w->d->tmp.p;
	} else {
		memcpy(small, p, n);
		small[n] = '\0';
	}
	v = strtod(s, NULL);
	return v;
}

/* A number token at *pp. */
static int
number(struct walk *w, const char **pp)
{
	const char *p = *pp, *q = p, *digits;
	struct cvx_buf *out = &w->d->out;
	uint64_t mag = 0;
	bool isint = true, over = false, neg = *p == '-';
	size_t n;

	while (q < w->end && numch[(unsigned char)*q]) {
		if (*q == '.' || *q == 'e' || *q == 'E')
			isint = false;
		q++;
	}
	n = (size_t)(q - p);
	*pp = q;
	if (!isint) {
		if (int_digits(p, n) > 308 && isinf(float_value(w, p, n)))
			return bad(w, "number %.*s is beyond float64", (int)n,
			    p);
		cvx_buf_add(out, p, n);
		return 0;
	}
	for (digits = p + neg; digits < q; digits++) {
		if (mag > (UINT64_MAX - 9) / 10)
			over = true;
		else
			mag = mag * 10 + (uint64_t)(*digits - '0');
	}
	if (int64_field(w)) {
		if (neg && mag == 0)
			return bad(w, "-0 is not an int64 (Convex reads the"
			    " float -0.0)");
		if (over || mag > (uint64_t)INT64_MAX + neg)
			return bad(w, "integer %.*s is beyond int64", (int)n, p);
		cvx_buf_add(out, p, n);
		return 0;
	}
	if (over || mag > (1ULL << 53))
		return bad(w, "integer %.*s is beyond 2^53: as a float64 it"
		    " would change (name the field with --int64 to keep it"
		    " an int64)", (int)n, p);
	cvx_buf_add(out, p, n);
	cvx_buf_add(out, ".0", 2);
	return 0;
}

/* A string token at *pp: copied; *size gets its Convex size. */
static void
string(struct walk *w, const char **pp, size_t *size)
{
	const char *p = *pp, *q;

	/* Most strings have no escape: two memchr find the end, and the
	 * decoded length is the raw one (the text is checked). */
	q = memchr(p + 1, '"', (size_t)(w->end - p - 1));
	if (q != NULL && memchr(p + 1, '\\', (size_t)(q - p - 1)) == NULL) {
		q++;
		*size += (size_t)(q - p);
	} else {
		q = string_end(p);
		*size += decoded_len(p + 1, (size_t)(q - p - 2)) + 2;
	}
	cvx_buf_add(&w->d->out, p, (size_t)(q - p));
	*pp = q;
}

/* The {"$bytes"|"$integer"|"$float": b64} object whose key is k. */
static int
internal(struct walk *w, const char *k, size_t kn, const char *v,
    const char *vend, size_t *size)
{
	const char *s;
	size_t len;
	double f;
	uint64_t bits = 0;
	int i, c;

	if (*v != '"')
		return bad(w, "%.*s: value is not a string", (int)kn, k);
	if (decode(w, v + 1, (size_t)(vend - v - 2), &s, &len) != 0)
		return bad(w, "%.*s: bad string", (int)kn, k);
	{
		struct cvx_buf b = { 0 };

		if (cvx_base64_decode(&b, s, len) != 0) {
			cvx_buf_free(&b);
			return bad(w, "%.*s: not base64", (int)kn, k);
		}
		len = b.len;
		for (i = 7; i >= 0 && b.len == 8; i--)
			bits = bits << 8 | (unsigned char)b.p[i];
		cvx_buf_free(&b);
	}
	if (kn == 6 && memcmp(k, "$bytes", 6) == 0) {
		*size += len + 2;
		return 0;
	}
	if (len != 8)
		return bad(w, "%.*s: not 8 bytes", (int)kn, k);
	*size += 9;
	if (kn == 6 && memcmp(k, "$float", 6) == 0) {
		memcpy(&f, &bits, sizeof(f));
		c = fpclassify(f);
		if ((c == FP_NORMAL || c == FP_SUBNORMAL))
			return bad(w, "$float holds %.17g, which must be"
			    " written as a number", f);
	}
	return 0;
}

/* Is key k (decoded) a valid Convex field name (identifier.rs:156)? */
static const char *
field_name_error(const char *k, size_t n, bool top)
{
	size_t i;

	if (n > MAX_FIELD_NAME)
		return "field name longer than 1024 bytes";
	if (n > 0 && k[0] == '$')
		return "field name starts with '$'";
	for (i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x20 || (unsigned char)k[i] > 0x7e)
			return "field name has a character outside printable"
			    " ASCII";
	if (top && n > 0 && k[0] == '_' &&
	    !(n == 3 && memcmp(k, "_id", 3) == 0) &&
	    !(n == 13 && memcmp(k, "_creationTime", 13) == 0))
		return "top-level field name starts with '_' (only _id and"
		    " _creationTime may)";
	return NULL;
}

static int
key_cmp(const void *a, const void *b)
{
	const struct rkey *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

/* Fail if two keys of the object whose keys start at keys[from] match. */
static int
dup_keys(struct walk *w, size_t from)
{
	struct rkey *k = w->keys + from;
	size_t i, j, n = w->nkeys - from;

	if (n <= DUP_LINEAR) {
		for (i = 1; i < n; i++)
			for (j = 0; j < i; j++)
				if (key_cmp(&k[i], &k[j]) == 0)
					goto dup;
		return 0;
	}
	qsort(k, n, sizeof(*k), key_cmp);
	for (i = 1; i < n; i++)
		if (key_cmp(&k[i], &k[i - 1]) == 0) {
			j = i - 1;
			goto dup;
		}
	return 0;
dup:
	return bad(w, "field %.*s given twice", (int)k[j].n, k[j].p);
}

/* _id: a string holding an ID (document.rs:440-455). */
static int
system_id(struct walk *w, const char *v, const char *vend)
{
	const char *s, *why;
	size_t len;

	if (*v != '"')
		return bad(w, "_id is not a string");
	if (decode(w, v + 1, (size_t)(vend - v - 2), &s, &len) != 0)
		return bad(w, "bad string");
	if (cvx_id_decode(s, len, &w->d->id_table, NULL, &why) != 0)
		return bad(w, "%.*s: %s", (int)(vend - v), v, why);
	w->has_id = true;
	return 0;
}

/* _creationTime: float text, finite, > 0, < 2^53 (document.rs:456-475). */
static int
system_time(struct walk *w, const char *v, const char *vend)
{
	size_t n = (size_t)(vend - v);
	double t;

	if (*v != '-' && (*v < '0' || *v > '9'))
		return bad(w, "_creationTime is not a number");
	if (memchr(v, '.', n) == NULL && memchr(v, 'e', n) == NULL &&
	    memchr(v, 'E', n) == NULL)
		return bad(w, "_creationTime %.*s is an integer: Convex reads"
		    " it as an int64 and rejects it (write %.*s.0)", (int)n, v,
		    (int)n, v);
	/* Most times are ms with a fraction, 13 digits: no strtod. */
	if (*v != '-' && int_digits(v, n) - 1 < 15)
		t = 1;
	else
		t = float_value(w, v, n);
	if (!(t > 0 && t < MAX_EXACT_INT))
		return bad(w, "_creationTime %.*s is not above 0 and below"
		    " 2^53", (int)n, v);
	w->has_time = true;
	return 0;
}

/* An object at *pp ('{'); depth is its own (the document is 1). */
static int
object(struct walk *w, const char **pp, size_t *size, int depth)
{
	const char *p = *pp + 1, *k, *kend, *v, *vend, *name;
	struct cvx_buf *out = &w->d->out;
	size_t from = w->nkeys, nfields = 0, vsize, nlen, mark;
	bool top = depth == 1, first = true;

	if (depth > MAX_NESTING)
		return bad(w, "nested deeper than %d levels", MAX_NESTING);
	cvx_buf_addc(out, '{');
	*size += 2;
	for (p = ws(p, w->end); *p != '}'; p = ws(p, w->end)) {
		if (*p == ',')
			p = ws(p + 1, w->end);
		k = p;
		kend = string_end(k);
		p = ws(ws(kend, w->end) + 1, w->end);	/* past ':' */
		v = p;
		if (top && cvx_tag_key(k + 1, (size_t)(kend - k - 2)) != 0) {
			/* _table, _component: routing, not data. */
			struct cvx_json_error e;

			p = cvx_json_skip(v, v, w->end, &e);
			continue;
		}
		if (decode(w, k + 1, (size_t)(kend - k - 2), &name, &nlen)
		    != 0)
			return bad(w, "bad field name");
		w->depth = depth;
		w->path[depth].key = k + 1;
		w->path[depth].klen = (size_t)(kend - k - 2);
		if (first && !top && nlen > 0 && name[0] == '$') {
			/* Convex's internal form: one key, one of three. */
			const char *after;

			if (*v != '"' || (vend = string_end(v),
			    after = ws(vend, w->end), *after != '}'))
				return bad(w, "an object whose first key starts"
				    " with '$' must be {\"$bytes\"|\"$integer\""
				    "|\"$float\": base64}");
			if (!((nlen == 6 && (memcmp(name, "$bytes", 6) == 0 ||
			    memcmp(name, "$float", 6) == 0)) ||
			    (nlen == 8 && memcmp(name, "$integer", 8) == 0)))
				return bad(w, "field name starts with '$'");
			mark = nlen;
			{
				char kn[9];

				memcpy(kn, name, mark);
				if (internal(w, kn, mark, v, vend, size) != 0)
					return -1;
			}
			*size -= 2;	/* a scalar, not an object */
			cvx_buf_printf(out, "\"%.*s\":", (int)mark, name);
			cvx_buf_add(out, v, (size_t)(vend - v));
			cvx_buf_addc(out, '}');
			w->depth = depth - 1;
			*pp = after + 1;
			return 0;
		}
		{
			const char *why = field_name_error(name, nlen, top);

			if (why != NULL)
				return bad(w, "%s", why);
		}
		if (++nfields > MAX_FIELDS)
			return bad(w, "object has more than %d fields",
			    MAX_FIELDS);
		if (w->nkeys == w->capkeys) {
			w->capkeys = w->capkeys ? 2 * w->capkeys : 64;
			w->keys = cvx_reallocarray(w->keys, w->capkeys,
			    sizeof(*w->keys));
		}
		w->keys[w->nkeys].p = k + 1;
		w->keys[w->nkeys++].n = (size_t)(kend - k - 2);
		if (!first)
			cvx_buf_addc(out, ',');
		first = false;
		cvx_buf_add(out, k, (size_t)(kend - k));
		cvx_buf_addc(out, ':');
		*size += nlen + 1;
		vsize = 0;
		if (top) {
			w->field = k + 1;
			w->flen = (size_t)(kend - k - 2);
			w->int64 = -1;
			if (nlen == 3 && memcmp(name, "_id", 3) == 0) {
				vend = *v == '"' ? string_end(v) : v;
				if (system_id(w, v, vend) != 0)
					return -1;
			} else if (nlen == 13 &&
			    memcmp(name, "_creationTime", 13) == 0) {
				vend = v;
				while (vend < w->end &&
				    numch[(unsigned char)*vend])
					vend++;
				if (system_time(w, v, vend) != 0)
					return -1;
			}
		}
		if (value(w, &p, &vsize, depth) != 0)
			return -1;
		*size += vsize;
		w->depth = depth;
	}
	if (dup_keys(w, from) != 0)
		return -1;
	w->nkeys = from;
	cvx_buf_addc(out, '}');
	w->depth = depth - 1;
	*pp = p + 1;
	return 0;
}

/* An array at *pp ('['). */
static int
array(struct walk *w, const char **pp, size_t *size, int depth)
{
	const char *p = *pp + 1;
	struct cvx_buf *out = &w->d->out;
	size_t i = 0, vsize;

	if (depth > MAX_NESTING)
		return bad(w, "nested deeper than %d levels", MAX_NESTING);
	cvx_buf_addc(out, '[');
	*size += 2;
	for (p = ws(p, w->end); *p != ']'; p = ws(p, w->end), i++) {
		if (*p == ',') {
			p = ws(p + 1, w->end);
			cvx_buf_addc(out, ',');
		}
		if (i >= MAX_ARRAY_LEN)
			return bad(w, "array longer than %d elements",
			    MAX_ARRAY_LEN);
		w->depth = depth;
		w->path[depth].key = NULL;
		w->path[depth].idx = i;
		vsize = 0;
		if (value(w, &p, &vsize, depth) != 0)
			return -1;
		*size += vsize;
	}
	cvx_buf_addc(out, ']');
	w->depth = depth - 1;
	*pp = p + 1;
	return 0;
}

/* The value at *pp, inside a container at depth parent. */
static int
value(struct walk *w, const char **pp, size_t *size, int parent)
{
	const char *p = *pp;

	switch (*p) {
	case '{':
		return object(w, pp, size, parent + 1);
	case '[':
		return array(w, pp, size, parent + 1);
	case '"':
		string(w, pp, size);
		return 0;
	case 't':
		cvx_buf_add(&w->d->out, "true", 4);
		*pp = p + 4;
		*size += 1;
		return 0;
	case 'f':
		cvx_buf_add(&w->d->out, "false", 5);
		*pp = p + 5;
		*size += 1;
		return 0;
	case 'n':
		cvx_buf_add(&w->d->out, "null", 4);
		*pp = p + 4;
		*size += 1;
		return 0;
	default:
		*size += 9;
		return number(w, pp);
	}
}

int
zcheck_doc(struct zdoc *d, const struct zopts *o, const struct ztable *t,
    const char *s, size_t n)
{
	static struct walk w;
	const char *p = ws(s, s + n);
	size_t size = 0;

	w.d = d;
	w.o = o;
	w.t = t;
	w.end = s + n;
	w.depth = 0;
	w.nkeys = 0;
	w.has_id = w.has_time = false;
	w.path[1].key = NULL;
	d->id_table = 0;
	cvx_buf_reset(&d->out);
	if (object(&w, &p, &size, 1) != 0)
		return -1;
	w.depth = 0;
	/* The importer adds the system fields that are missing. */
	if (!w.has_id)
		size += 4 + 34;
	if (!w.has_time)
		size += 14 + 9;
	if (size > MAX_USER_SIZE)
		return bad(&w, "document is %zu bytes by Convex's measure,"
		    " over its limit of 1 MiB", size);
	cvx_buf_addc(&d->out, '\n');
	return 0;
}
