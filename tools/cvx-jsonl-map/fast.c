/* SPDX-License-Identifier: MIT */
/*
 * fast.c: the shapes of jq program that runbooks use most, run on the
 * document's text without libjq.
 *
 * libjq builds every value of the line (allocating, hashing each key,
 * re-validating each string's UTF-8), interprets the program on them and
 * leaves them to be printed and freed: most of cvx-jsonl-map's CPU.  A
 * program made only of what this file knows (paths, object construction,
 * select, del, |=, comparisons, and/or/not, type, todate, cvx_todate,
 * division by a number) is compiled once (fastprog.c), and each document
 * is answered from its text: a value that jq would print as it is
 * written is copied, anything else is rebuilt as jq prints it.
 *
 * It answers only when it knows jq's answer.  Anything else (a path into
 * a string, a key with an escape, a duplicate key, a number out of the
 * range handled, a time before 1970) makes fast_run give up on that
 * document, and the caller runs libjq on it: so every output is jq 1.6's
 * own.  tests/cvx-jsonl-map-fast.bats compares the two on the corpus and
 * on generated documents (CVX_JSONL_MAP_FAST=0 turns this file off).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cvx-jsonl-map.h"

/* ---- the document's text ------------------------------------------ */

/* Past the value at p (checked JSON, no leading space). */
static const char *
value_end(const char *p)
{
	int depth = 0;

	for (;;) {
		switch (*p) {
		case '"':
			p = fast_string_end(p);
			break;
		case '{':
		case '[':
			depth++;
			p++;
			break;
		case '}':
		case ']':
			depth--;
			p++;
			break;
		default:
			if (depth == 0) {
				while (*p != ',' && *p != '}' && *p != ']' &&
				    *p != ' ' && *p != '\t' && *p != '\r' &&
				    *p != '\n' && *p != '\0')
					p++;
				return p;
			}
			p++;
			continue;
		}
		if (depth == 0)
			return p;
	}
}

/* A value while evaluating: text of the document, or made here. */
enum val_kind { V_EMPTY, V_SPAN, V_STR, V_NUM, V_NULL, V_TRUE, V_FALSE };

struct val {
	enum val_kind	 kind;
	const char	*p;	/* V_SPAN: JSON text; V_STR: the bytes */
	size_t		 n;
	double		 d;	/* V_NUM */
};

/* A member of the document's top-level object. */
struct member {
	const char	*key;	/* the key's bytes (no escapes) */
	size_t		 klen;
	const char	*v;	/* its value's text */
	size_t		 vlen;
};

#define MAX_MEMBERS	256

/* What one document needs while it is run. */
struct fast_ctx {
	const char	*doc;
	struct member	 m[MAX_MEMBERS];
	size_t		 nm;
	bool		 indexed;
	struct fast_out	 o;	/* where it prints */
	char		 strs[4][40];	/* made strings (times, types) */
	int		 nstrs;
};

/* Index the top-level object's members; false if not an object. */
static bool
index_doc(struct fast_ctx *cx)
{
	const char *p = cx->doc, *k, *ke;

	if (cx->indexed)
		return true;
	if (*p != '{')
		return false;
	cx->nm = 0;
	p = fast_ws(p + 1);
	while (*p != '}') {
		if (cx->nm == MAX_MEMBERS)
			return false;
		k = p + 1;
		ke = fast_string_end(p) - 1;
		if (memchr(k, '\\', (size_t)(ke - k)) != NULL)
			return false;	/* a key to decode: libjq */
		p = fast_ws(fast_ws(ke + 1) + 1);
		cx->m[cx->nm].key = k;
		cx->m[cx->nm].klen = (size_t)(ke - k);
		cx->m[cx->nm].v = p;
		p = value_end(p);
		cx->m[cx->nm].vlen = (size_t)(p - cx->m[cx->nm].v);
		cx->nm++;
		p = fast_ws(p);
		if (*p == ',')
			p = fast_ws(p + 1);
	}
	cx->indexed = true;
	return true;
}

/* The value of key k in the object at p (last one wins, as in jq). */
static bool
object_get(const char *p, const char *k, size_t kn, struct val *r)
{
	const char *key, *ke, *v;

	r->kind = V_NULL;
	p = fast_ws(p + 1);
	while (*p != '}') {
		key = p + 1;
		ke = fast_string_end(p) - 1;
		if (memchr(key, '\\', (size_t)(ke - key)) != NULL)
			return false;
		v = fast_ws(fast_ws(ke + 1) + 1);
		p = value_end(v);
		if ((size_t)(ke - key) == kn && memcmp(key, k, kn) == 0) {
			r->kind = V_SPAN;
			r->p = v;
			r->n = (size_t)(p - v);
		}
		p = fast_ws(p);
		if (*p == ',')
			p = fast_ws(p + 1);
	}
	return true;
}

/* The span as what jq would see: null, true, false become theirs. */
static void
span_kind(struct val *v)
{
	if (v->kind != V_SPAN)
		return;
	switch (*v->p) {
	case 'n': v->kind = V_NULL; break;
	case 't': v->kind = V_TRUE; break;
	case 'f': v->kind = V_FALSE; break;
	default: break;
	}
}

/* .k of v; false where jq would fail (indexing a string, an array...). */
static bool
field(struct fast_ctx *cx, struct val *v, const char *k, size_t kn,
    bool top)
{
	size_t i;

	if (v->kind == V_NULL)
		return true;	/* null.k is null */
	if (v->kind != V_SPAN || *v->p != '{')
		return false;
	if (top) {
		if (!index_doc(cx))
			return false;
		v->kind = V_NULL;
		for (i = cx->nm; i-- > 0;)
			if (cx->m[i].klen == kn &&
			    memcmp(cx->m[i].key, k, kn) == 0) {
				v->kind = V_SPAN;
				v->p = cx->m[i].v;
				v->n = cx->m[i].vlen;
				break;
			}
	} else if (!object_get(v->p, k, kn, v))
		return false;
	span_kind(v);
	return true;
}

/* The number v holds, if it is one. */
static bool
number_of(const struct val *v, double *d)
{
	const char *end;

	if (v->kind == V_NUM) {
		*d = v->d;
		return true;
	}
	if (v->kind != V_SPAN || !(*v->p == '-' || (*v->p >= '0' &&
	    *v->p <= '9')))
		return false;
	*d = cvx_json_number(v->p, &end);
	return true;
}

/* A string's bytes, if v is one without escapes. */
static bool
string_of(const struct val *v, const char **s, size_t *n)
{
	if (v->kind == V_STR) {
		*s = v->p;
		*n = v->n;
		return true;
	}
	if (v->kind != V_SPAN || *v->p != '"' ||
	    memchr(v->p, '\\', v->n) != NULL)
		return false;
	*s = v->p + 1;
	*n = v->n - 2;
	return true;
}

/* jq's kind order: null < false < true < numbers < strings < the rest. */
static int
kind_rank(const struct val *v)
{
	switch (v->kind) {
	case V_NULL: return 1;
	case V_FALSE: return 2;
	case V_TRUE: return 3;
	case V_NUM: return 4;
	case V_STR: return 5;
	case V_SPAN:
		return *v->p == '"' ? 5 : *v->p == '[' ? 6 : *v->p == '{' ?
		    7 : 4;
	default: return 0;
	}
}

static bool
truthy(const struct val *v)
{
	return v->kind != V_NULL && v->kind != V_FALSE;
}

/* A string made here, kept until the document is done. */
static char *
made_string(struct fast_ctx *cx)
{
	if (cx->nstrs == 4)
		return NULL;
	return cx->strs[cx->nstrs++];
}

/* Write v as exactly n decimal digits, zero-padded, at b (no NUL). */
static void
put_digits(char *b, unsigned v, int n)
{
	while (n-- > 0) {
		b[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * todate (strftime("%Y-%m-%dT%H:%M:%SZ") of gmtime), for seconds from
 * 1970 up to the end of 9999, where jq's own steps (truncate to a
 * time_t, gmtime_r, %Y) give this text.
 */
static bool
todate(double secs, char *b)
{
	struct tm tm;
	time_t t;

	if (!(secs >= 0 && secs < 253402300800.0))
		return false;
	t = (time_t)secs;
	if (gmtime_r(&t, &tm) == NULL)
		return false;
	/* Digits by hand: snprintf was a tenth of a projection's time. */
	memcpy(b, "0000-00-00T00:00:00Z", 21);
	put_digits(b, (unsigned)tm.tm_year + 1900, 4);
	put_digits(b + 5, (unsigned)tm.tm_mon + 1, 2);
	put_digits(b + 8, (unsigned)tm.tm_mday, 2);
	put_digits(b + 11, (unsigned)tm.tm_hour, 2);
	put_digits(b + 14, (unsigned)tm.tm_min, 2);
	put_digits(b + 17, (unsigned)tm.tm_sec, 2);
	return true;
}

static bool eval(struct fast_ctx *cx, const struct node *n,
    const struct val *in, struct val *r);

/* The builtin function n->op on in. */
static bool
call(struct fast_ctx *cx, const struct node *n, const struct val *in,
    struct val *r)
{
	static const char *const types[] = { "", "null", "boolean",
	    "boolean", "number", "string", "array", "object" };
	double d, ms, rem;
	char *b;

	switch (n->op) {
	case F_NOT:
		r->kind = truthy(in) ? V_FALSE : V_TRUE;
		return true;
	case F_TYPE:
		r->kind = V_STR;
		r->p = types[kind_rank(in)];
		r->n = strlen(r->p);
		return true;
	case F_TODATE:
		if (!number_of(in, &d) || (b = made_string(cx)) == NULL ||
		    !todate(d, b))
			return false;
		break;
	case F_CVX_TODATE:
		/* jqtext.c's definition, on milliseconds below 2^53 */
		if (!number_of(in, &d) || (b = made_string(cx)) == NULL ||
		    !(d >= 0 && d < 253402300800000.0))
			return false;
		ms = floor(d);
		rem = ms - 1000 * floor(ms / 1000);
		if (!todate((ms - rem) / 1000, b))
			return false;
		memcpy(b + 19, ".000Z", 6);
		put_digits(b + 20, (unsigned)rem, 3);
		break;
	default:
		return false;
	}
	r->kind = V_STR;
	r->p = b;
	r->n = strlen(b);
	return true;
}

/* a OP b as jq's jv_cmp and jv_equal see it (scalars only). */
static bool
compare(const struct node *n, const struct val *a, const struct val *b,
    struct val *r)
{
	const char *s, *t;
	size_t sn, tn;
	double x, y;
	int ra = kind_rank(a), rb = kind_rank(b), c;

	if (ra == 0 || rb == 0 || ra >= 6 || rb >= 6)
		return false;
	if (ra != rb)
		c = ra - rb;
	else if (ra == 4) {
		if (!number_of(a, &x) || !number_of(b, &y))
			return false;
		c = x < y ? -1 : x == y ? 0 : 1;
	} else if (ra == 5) {
		if (!string_of(a, &s, &sn) || !string_of(b, &t, &tn))
			return false;
		c = memcmp(s, t, sn < tn ? sn : tn);
		if (c == 0)
			c = sn < tn ? -1 : sn > tn ? 1 : 0;
	} else
		c = 0;
	switch (n->op) {
	case C_EQ: c = c == 0; break;
	case C_NE: c = c != 0; break;
	case C_LT: c = c < 0; break;
	case C_LE: c = c <= 0; break;
	case C_GT: c = c > 0; break;
	default: c = c >= 0; break;
	}
	r->kind = c ? V_TRUE : V_FALSE;
	return true;
}

/* Evaluate n on in: exactly one value, or V_EMPTY; false: ask libjq. */
static bool
eval(struct fast_ctx *cx, const struct node *n, const struct val *in,
    struct val *r)
{
	struct val a, b;
	size_t i;
	double x;

	switch (n->kind) {
	case N_DOT:
		*r = *in;
		return true;
	case N_PATH:
		*r = *in;
		for (i = 0; i < n->nkeys; i++)
			if (!field(cx, r, n->keys[i], n->klens[i],
			    i == 0 && in->p == cx->doc && in->kind == V_SPAN))
				return false;
		return true;
	case N_STR:
		r->kind = V_STR;
		r->p = n->str;
		r->n = n->slen;
		return true;
	case N_NUM:
		r->kind = V_NUM;
		r->d = n->num;
		return true;
	case N_NULL:
		r->kind = V_NULL;
		return true;
	case N_TRUE:
		r->kind = V_TRUE;
		return true;
	case N_FALSE:
		r->kind = V_FALSE;
		return true;
	case N_PIPE:
		if (!eval(cx, n->a, in, &a))
			return false;
		if (a.kind == V_EMPTY) {
			*r = a;
			return true;
		}
		return eval(cx, n->b, &a, r);
	case N_AND:
	case N_OR:
		if (!eval(cx, n->a, in, &a) || a.kind == V_EMPTY)
			return false;
		if (truthy(&a) == (n->kind == N_OR)) {
			r->kind = n->kind == N_OR ? V_TRUE : V_FALSE;
			return true;
		}
		if (!eval(cx, n->b, in, &b) || b.kind == V_EMPTY)
			return false;
		r->kind = truthy(&b) ? V_TRUE : V_FALSE;
		return true;
	case N_CMP:
		/* jq evaluates the right side first; neither may fail here */
		if (!eval(cx, n->b, in, &b) || !eval(cx, n->a, in, &a) ||
		    a.kind == V_EMPTY || b.kind == V_EMPTY)
			return false;
		return compare(n, &a, &b, r);
	case N_DIV:
		if (!eval(cx, n->a, in, &a) || !number_of(&a, &x))
			return false;
		r->kind = V_NUM;
		r->d = x / n->b->num;
		return true;
	case N_SELECT:
		if (!eval(cx, n->a, in, &a) || a.kind == V_EMPTY)
			return false;
		if (truthy(&a))
			*r = *in;
		else
			r->kind = V_EMPTY;
		return true;
	case N_FUNC:
		return call(cx, n, in, r);
	default:
		return false;
	}
}

/* ---- printing ---------------------------------------------------- */

/* Print a value as jq would. */
static bool
print_val(struct fast_ctx *cx, const struct val *v)
{
	const char *end;

	switch (v->kind) {
	case V_SPAN:
		return fast_print_json(&cx->o, v->p, &end, 1);
	case V_STR:
		cvx_jq_quote(cx->o.out, v->p, v->n);
		return true;
	case V_NUM:
		jq_put_number(cx->o.out, v->d);
		return true;
	case V_NULL:
		cvx_buf_add(cx->o.out, "null", 4);
		return true;
	case V_TRUE:
		cvx_buf_add(cx->o.out, "true", 4);
		return true;
	case V_FALSE:
		cvx_buf_add(cx->o.out, "false", 5);
		return true;
	default:
		return false;
	}
}

/* Print the object in with its members edited by n (del, |=, =). */
static bool
print_edit(struct fast_ctx *cx, const struct node *n, const struct val *in)
{
	struct val v, nv;
	const char *end;
	size_t i, j, k;
	bool found = false, first = true, skip;

	if (in->kind != V_SPAN || in->p != cx->doc || !index_doc(cx))
		return false;
	if (n->kind == N_UPDATE && n->op == '=' &&
	    !eval(cx, n->a, in, &nv))
		return false;
	cvx_buf_addc(cx->o.out, '{');
	for (i = 0; i < cx->nm; i++) {
		/* A repeated key: jq's merge of the two is libjq's. */
		for (j = 0; j < i; j++)
			if (cx->m[j].klen == cx->m[i].klen && memcmp(
			    cx->m[j].key, cx->m[i].key, cx->m[i].klen) == 0)
				return false;
		skip = false;
		for (k = 0; k < n->nkeys; k++)
			if (n->klens[k] == cx->m[i].klen && memcmp(n->keys[k],
			    cx->m[i].key, cx->m[i].klen) == 0)
				skip = true;
		if (skip && n->kind == N_DEL)
			continue;
		if (!first)
			cvx_buf_addc(cx->o.out, ',');
		first = false;
		cvx_jq_quote(cx->o.out, cx->m[i].key, cx->m[i].klen);
		cvx_buf_addc(cx->o.out, ':');
		if (!skip) {
			if (!fast_print_json(&cx->o, cx->m[i].v, &end, 1))
				return false;
			continue;
		}
		found = true;
		if (n->op == '|') {
			v.kind = V_SPAN;
			v.p = cx->m[i].v;
			v.n = cx->m[i].vlen;
			span_kind(&v);
			if (!eval(cx, n->a, &v, &nv))
				return false;
		}
		if (nv.kind == V_EMPTY || !print_val(cx, &nv))
			return false;
	}
	if (n->kind == N_UPDATE && !found) {
		/* .a = v on a document without a: v goes last */
		if (n->op == '|')
			return false;
		if (!first)
			cvx_buf_addc(cx->o.out, ',');
		cvx_jq_quote(cx->o.out, n->keys[0], n->klens[0]);
		cvx_buf_addc(cx->o.out, ':');
		if (nv.kind == V_EMPTY || !print_val(cx, &nv))
			return false;
	}
	cvx_buf_addc(cx->o.out, '}');
	return true;
}

/* Produce n's output on in into cx->o.out. */
static bool
produce(struct fast_ctx *cx, const struct node *n, const struct val *in)
{
	struct val v;
	const char *end;
	size_t i;

	switch (n->kind) {
	case N_PIPE:
		if (!eval(cx, n->a, in, &v))
			return false;
		return v.kind == V_EMPTY || produce(cx, n->b, &v);
	case N_SELECT:
		if (!eval(cx, n, in, &v))
			return false;
		return v.kind == V_EMPTY || produce(cx, &(struct node){
		    .kind = N_DOT }, &v);
	case N_DOT:
		/* jq would reject the output if it is not an object */
		if (in->kind != V_SPAN || *in->p != '{' ||
		    !fast_print_json(&cx->o, in->p, &end, 0))
			return false;
		break;
	case N_OBJECT:
		cvx_buf_addc(cx->o.out, '{');
		for (i = 0; i < n->nkeys; i++) {
			if (i > 0)
				cvx_buf_addc(cx->o.out, ',');
			cvx_jq_quote(cx->o.out, n->keys[i], n->klens[i]);
			cvx_buf_addc(cx->o.out, ':');
			if (!eval(cx, n->kids[i], in, &v) ||
			    v.kind == V_EMPTY || !print_val(cx, &v))
				return false;
		}
		cvx_buf_addc(cx->o.out, '}');
		break;
	case N_DEL:
	case N_UPDATE:
		if (!print_edit(cx, n, in))
			return false;
		break;
	default:
		return false;
	}
	cvx_buf_addc(cx->o.out, '\n');
	return true;
}

bool
fast_run(const struct fast_prog *fp, const char *json, size_t n,
    struct cvx_buf *tmp, struct cvx_buf *out)
{
	struct fast_ctx cx;
	struct val in;
	size_t start = out->len;

	cx.doc = fast_ws(json);
	cx.o.end = json + n;
	cx.indexed = false;
	cx.o.out = out;
	cx.o.tmp = tmp;
	cx.nstrs = 0;
	if (*cx.doc != '{')
		return false;
	in.kind = V_SPAN;
	in.p = cx.doc;
	in.n = 0;
	if (produce(&cx, fp->root, &in))
		return true;
	out->len = start;
	return false;
}
