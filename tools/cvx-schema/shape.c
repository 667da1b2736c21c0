/* SPDX-License-Identifier: MIT */
/*
 * shape.c: the Shape of a legacy table (the first line of its
 * generated_schema.jsonl, convex-export-format.md §4; printed by
 * convex-backend crates/shape_inference/src/pretty.rs): a union of object
 * shapes whose fields say exactly what each holds, int64 and bytes
 * included, which the legacy encoding writes as plain strings.
 *
 *   union  := term (" | " term)*
 *   term   := scalar | "id<" N ">" | string-literal | "array<" union ">"
 *           | "record<" union ", " union ">" | "{" fields "}"
 *   fields := (string-literal ["?"] ": " union (", " ...)*)?
 */
#include <stdlib.h>
#include <string.h>

#include "cvx-schema.h"

/* Deepest nesting read; Convex's documents stop at 16 levels (§9). */
#define MAX_DEPTH	64

/* What a union of shapes allows a value to be. */
struct kinds {
	unsigned k;
	bool	 nonfinite;
	uint32_t idtable;
	bool	 idmulti;
};

/* The parser: the text, where it is, and the first error. */
struct parser {
	const char *p, *end;
	const char *why;
	struct stable *t;
	size_t	 members;	/* object shapes at the top level */
};

static void parse_union(struct parser *ps, struct kinds *ks, int depth);

/* The scalar shapes and their kinds. */
static const struct {
	const char *name;
	unsigned k;
	bool nonfinite;
} scalars[] = {
	{ "never", 0, false }, { "null", K_NULL, false },
	{ "int64", K_INT, false }, { "float64", K_FLOAT, true },
	{ "normalfloat64", K_FLOAT, false }, { "-inf", K_FLOAT, true },
	{ "inf", K_FLOAT, true }, { "-0", K_FLOAT, false },
	{ "NaN", K_FLOAT, true }, { "boolean", K_BOOL, false },
	{ "string", K_STRING, false }, { "field_name", K_STRING, false },
	{ "bytes", K_BYTES, false }, { "unknown", K_ANY, false },
};

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n'))
		ps->p++;
}

/* Consume c (after spaces); false, with an error, if it is not there. */
static bool
expect(struct parser *ps, char c)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == c) {
		ps->p++;
		return true;
	}
	if (ps->why == NULL)
		ps->why = "unexpected text in the shape";
	ps->p = ps->end;
	return false;
}

/* A quoted literal: its raw bytes between the quotes in *s, *n. */
static bool
literal(struct parser *ps, const char **s, size_t *n)
{
	const char *q = ++ps->p;

	while (ps->p < ps->end && *ps->p != '"')
		ps->p += *ps->p == '\\' && ps->p + 1 < ps->end ? 2 : 1;
	if (ps->p >= ps->end) {
		ps->why = "unterminated string in the shape";
		return false;
	}
	*s = q;
	*n = (size_t)(ps->p++ - q);
	return true;
}

/* Add an ID of table to ks. */
static void
add_id(struct kinds *ks, uint32_t table)
{
	ks->k |= K_ID;
	if (ks->idtable == 0)
		ks->idtable = table;
	else if (ks->idtable != table)
		ks->idmulti = true;
}

/* Record a top-level field of one object shape in the table. */
static void
top_field(struct parser *ps, const char *k, size_t klen, bool optional,
    const struct kinds *ks)
{
	struct field *f;
	size_t hint = 0;

	if ((klen == 3 && memcmp(k, "_id", 3) == 0) ||
	    (klen == 13 && memcmp(k, "_creationTime", 13) == 0))
		return;
	f = schema_field(ps->t, k, klen, &hint);
	f->sseen = true;
	f->skinds |= ks->k;
	if (ks->nonfinite)
		f->nonfinite = true;
	if (ks->k & K_ID) {
		if (f->sidtable == 0)
			f->sidtable = ks->idtable;
		else if (f->sidtable != ks->idtable)
			f->sidmulti = true;
		if (ks->idmulti)
			f->sidmulti = true;
	}
	if (!optional)
		f->sreq++;
}

/* An object shape; top: the table's own, whose fields are recorded. */
static void
parse_object(struct parser *ps, bool top, int depth)
{
	const char *k;
	size_t klen;
	bool optional;
	struct kinds ks;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return;
	}
	while (ps->why == NULL) {
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"') {
			ps->why = "expected a field name in the shape";
			return;
		}
		if (!literal(ps, &k, &klen))
			return;
		optional = ps->p < ps->end && *ps->p == '?';
		if (optional)
			ps->p++;
		if (!expect(ps, ':'))
			return;
		memset(&ks, 0, sizeof(ks));
		parse_union(ps, &ks, depth + 1);
		if (top && ps->why == NULL)
			top_field(ps, k, klen, optional, &ks);
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		(void)expect(ps, '}');
		return;
	}
}

/* name<...>: array, record, id, or another one (its kinds unknown). */
static void
parse_generic(struct parser *ps, const char *name, size_t n,
    struct kinds *ks, int depth)
{
	struct kinds inner;
	char *end;
	unsigned long num;

	ps->p++;
	if (n == 2 && memcmp(name, "id", 2) == 0) {
		num = strtoul(ps->p, &end, 10);
		if (end == ps->p || num == 0 || num > UINT32_MAX) {
			ps->why = "bad table number in id<> of the shape";
			return;
		}
		ps->p = end;
		add_id(ks, (uint32_t)num);
		(void)expect(ps, '>');
		return;
	}
	do {
		memset(&inner, 0, sizeof(inner));
		parse_union(ps, &inner, depth + 1);
		skip_ws(ps);
	} while (ps->why == NULL && ps->p < ps->end && *ps->p == ',' &&
	    ps->p++);
	if (!expect(ps, '>'))
		return;
	if (n == 5 && memcmp(name, "array", 5) == 0)
		ks->k |= K_ARRAY;
	else if (n == 6 && memcmp(name, "record", 6) == 0)
		ks->k |= K_OBJECT;
	else
		ks->k |= K_ANY;
}

/* One term of a union. */
static void
parse_term(struct parser *ps, struct kinds *ks, int depth)
{
	const char *s, *why;
	size_t n, i;
	uint32_t table;

	skip_ws(ps);
	if (depth > MAX_DEPTH) {
		ps->why = "shape nested too deep";
		return;
	}
	if (ps->p >= ps->end) {
		ps->why = "shape ends early";
		return;
	}
	if (*ps->p == '{') {
		parse_object(ps, false, depth);
		ks->k |= K_OBJECT;
		return;
	}
	if (*ps->p == '"') {
		if (!literal(ps, &s, &n))
			return;
		if (cvx_id_decode(s, n, &table, NULL, &why) == 0)
			add_id(ks, table);
		else
			ks->k |= K_STRING;
		return;
	}
	for (s = ps->p; ps->p < ps->end && (*ps->p == '-' || *ps->p == '_' ||
	    (*ps->p >= '0' && *ps->p <= '9') || (*ps->p >= 'A' &&
	    *ps->p <= 'Z') || (*ps->p >= 'a' && *ps->p <= 'z')); ps->p++)
		;
	n = (size_t)(ps->p - s);
	if (ps->p < ps->end && *ps->p == '<' && n > 0) {
		parse_generic(ps, s, n, ks, depth);
		return;
	}
	for (i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		if (strlen(scalars[i].name) == n &&
		    memcmp(scalars[i].name, s, n) == 0) {
			ks->k |= scalars[i].k;
			if (scalars[i].nonfinite)
				ks->nonfinite = true;
			return;
		}
	ps->why = "a type this reader does not know in the shape";
}

static void
parse_union(struct parser *ps, struct kinds *ks, int depth)
{
	for (;;) {
		parse_term(ps, ks, depth);
		skip_ws(ps);
		if (ps->why != NULL || ps->p >= ps->end || *ps->p != '|')
			return;
		ps->p++;
	}
}

int
shape_read(struct stable *t, const char *s, size_t n, const char **why)
{
	struct parser ps = { s, s + n, NULL, t, 0 };
	struct kinds ks;
	size_t i;

	for (;;) {
		skip_ws(&ps);
		if (ps.p < ps.end && *ps.p == '{') {
			parse_object(&ps, true, 0);
			ps.members++;
		} else {
			memset(&ks, 0, sizeof(ks));
			parse_term(&ps, &ks, 0);
			if (ps.why == NULL && ks.k != 0)
				ps.why = "the shape of a table is not an"
				    " object";
		}
		skip_ws(&ps);
		if (ps.why != NULL || ps.p >= ps.end || *ps.p != '|')
			break;
		ps.p++;
	}
	if (ps.why == NULL && ps.p != ps.end)
		ps.why = "text after the shape";
	if (ps.why != NULL) {
		/* The documents alone then say what the fields hold. */
		for (i = 0; i < t->nf; i++) {
			t->f[i].sseen = false;
			t->f[i].skinds = 0;
			t->f[i].sreq = 0;
			t->f[i].sidtable = 0;
			t->f[i].sidmulti = false;
		}
		*why = ps.why;
		return -1;
	}
	for (i = 0; i < t->nf; i++)
		t->f[i].soptional = t->f[i].sreq < ps.members;
	t->shaped = true;
	return 0;
}
