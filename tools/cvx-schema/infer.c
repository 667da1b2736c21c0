/* SPDX-License-Identifier: MIT */
/*
 * infer.c: what each top-level field of a table holds, from its
 * documents, in one pass: the kinds of value (convex-export-format.md
 * §3.1, read from the lexical form, as the uniform importer does), which
 * documents have it, and for a field of IDs the table they name (§6) and
 * the IDs themselves, so that ddl.c can tell a reference that holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvx-schema.h"

/* 2^53: beyond it a float64 no longer holds every integer. */
#define EXACT_MAX	9007199254740992ULL

struct stable *
schema_table(struct schema *s, const char *component, const char *name)
{
	struct stable *t;
	struct cvx_buf pg = {0};
	size_t i;

	for (i = 0; i < s->nt; i++)
		if (strcmp(s->t[i].component, component) == 0 &&
		    strcmp(s->t[i].name, name) == 0)
			return &s->t[i];
	if (s->nt == s->capt) {
		s->capt = s->capt ? 2 * s->capt : 16;
		s->t = cvx_reallocarray(s->t, s->capt, sizeof(*s->t));
	}
	t = &s->t[s->nt++];
	memset(t, 0, sizeof(*t));
	t->component = cvx_strdup(component);
	t->name = cvx_strdup(name);
	/* cvx-pg-load's name for a component's table (its man page). */
	if (*component != '\0')
		cvx_buf_printf(&pg, "%s:%s", component, name);
	else
		cvx_buf_adds(&pg, name);
	t->pgname = pg.p;
	t->number = -1;
	/* -t and -x match the identity, as in every tool (README). */
	t->out = cvx_table_selected(t->pgname, s->inc, s->ninc, s->exc,
	    s->nexc);
	return t;
}

/* Compare a raw key with a field's. */
static int
key_cmp(const char *k, size_t klen, const struct field *f)
{
	int r = memcmp(k, f->key, klen < f->klen ? klen : f->klen);

	if (r != 0)
		return r;
	return klen < f->klen ? -1 : klen > f->klen;
}

/* Documents of a table mostly have the same keys in the same (byte)
 * order: the field after the last one found is tried first. */
struct field *
schema_field(struct stable *t, const char *k, size_t klen, size_t *hint)
{
	struct field *f;
	size_t lo = 0, hi = t->nf, mid;
	struct cvx_buf name = {0};
	int r;

	if (*hint < t->nf && key_cmp(k, klen, &t->f[*hint]) == 0)
		return &t->f[(*hint)++];
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((r = key_cmp(k, klen, &t->f[mid])) == 0) {
			*hint = mid + 1;
			return &t->f[mid];
		}
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (t->nf == t->capf) {
		t->capf = t->capf ? 2 * t->capf : 16;
		t->f = cvx_reallocarray(t->f, t->capf, sizeof(*t->f));
	}
	memmove(&t->f[lo + 1], &t->f[lo], (t->nf - lo) * sizeof(*t->f));
	t->nf++;
	f = &t->f[lo];
	memset(f, 0, sizeof(*f));
	f->key = cvx_memdup(k, klen + 1);
	f->key[klen] = '\0';
	f->klen = klen;
	/* A checked key decodes; U+0000 in a key is kept as "\0" text. */
	if (cvx_json_unescape(k, klen, &name, CVX_NUL_KEEP) != 0)
		cvx_buf_add(&name, k, klen);
	f->name = name.p != NULL ? name.p : cvx_strdup("");
	*hint = lo + 1;
	return f;
}

/* Is the decimal integer text s[0..n) (a '-' allowed) beyond 2^53? */
static bool
int_big(const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;

	if (n > 0 && s[0] == '-')
		i = 1;
	if (n - i < 16)
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return true;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v > EXACT_MAX;
}

/* Is {"$integer":"<base64 of 8 bytes LE>"} beyond 2^53? */
static bool
integer_big(const char *v, size_t n)
{
	struct cvx_buf b = {0};
	const char *q = v + 13, *e;
	uint64_t u = 0;
	int i;
	bool big = false;

	if ((e = memchr(q, '"', n - 13)) != NULL &&
	    cvx_base64_decode(&b, q, (size_t)(e - q)) == 0 && b.len == 8) {
		for (i = 7; i >= 0; i--)
			u = u << 8 | (uint8_t)b.p[i];
		/* Two's complement: the magnitude of a negative one. */
		if (u >> 63)
			u = ~u + 1;
		big = u > EXACT_MAX;
	}
	cvx_buf_free(&b);
	return big;
}

/*
 * The kind of value v[0..n) (checked JSON), and what goes with it:
 * *big, *nonfinite, and for an ID its table and internal id.  legacy:
 * the table's encoding has no $-objects, and int64 are decimal strings.
 */
static unsigned
classify(const char *v, size_t n, bool legacy, bool *big, bool *nonfinite,
    uint32_t *table, uint8_t internal[CVX_ID_INTERNAL_LEN])
{
	const char *why;
	size_t i;

	switch (v[0]) {
	case 'n':
		return K_NULL;
	case 't':
	case 'f':
		return K_BOOL;
	case '"':
		if (n - 2 >= 31 && n - 2 <= CVX_ID_MAX &&
		    cvx_id_decode(v + 1, n - 2, table, internal, &why) == 0)
			return K_ID;
		/* A legacy int64 is a decimal string (§3.1). */
		if (legacy && n - 2 >= 16 && int_big(v + 1, n - 2))
			*big = true;
		return K_STRING;
	case '[':
		return K_ARRAY;
	case '{':
		/* The uniform encoding's special objects (§3.1). */
		if (legacy || n < 4 || v[1] != '"' || v[2] != '$')
			return K_OBJECT;
		if (n > 10 && memcmp(v, "{\"$bytes\":", 10) == 0)
			return K_BYTES;
		if (n > 10 && memcmp(v, "{\"$float\":", 10) == 0) {
			*nonfinite = true;
			return K_FLOAT;
		}
		if (n > 13 && memcmp(v, "{\"$integer\":\"", 13) == 0) {
			if (integer_big(v, n))
				*big = true;
			return K_INT;
		}
		return K_OBJECT;
	default:
		/* A number: an integer token is an int64 (§3.1). */
		for (i = 0; i < n; i++)
			if (v[i] == '.' || v[i] == 'e' || v[i] == 'E')
				return K_FLOAT;
		if (int_big(v, n))
			*big = true;
		return K_INT;
	}
}

/* Take in one value of field f. */
static void
field_value(struct field *f, const char *v, size_t n, bool legacy)
{
	uint8_t internal[CVX_ID_INTERNAL_LEN];
	uint32_t table = 0;
	unsigned k;

	k = classify(v, n, legacy, &f->big, &f->nonfinite, &table, internal);
	f->kinds |= k;
	if (k != K_NULL)
		f->nonnull++;
	/* The IDs are kept while the field could be a reference. */
	if (f->idmulti || (f->kinds & ~(unsigned)(K_NULL | K_ID)) != 0) {
		if (f->refs.cap != 0)
			ids_free(&f->refs);
		return;
	}
	if (k != K_ID)
		return;
	if (f->idtable == 0)
		f->idtable = table;
	if (f->idtable != table) {
		f->idmulti = true;
		ids_free(&f->refs);
		return;
	}
	(void)ids_add(&f->refs, ids_key(table, internal));
}

/* The document being taken in, for the member callback. */
struct doc {
	struct schema *s;
	struct stable *t;
	const char *entry;
	uint64_t lineno;
	bool	 tagged;
	bool	 legacy;
	size_t	 hint;
};

/* Fail on the document being read. */
static void __attribute__((noreturn))
doc_fail(const struct doc *d, const char *what)
{
	if (d->entry == NULL)
		cvx_die("%s: line %ju: %s", d->s->input, (uintmax_t)d->lineno,
		    what);
	cvx_die("%s: %s: line %ju: %s", d->s->input, d->entry,
	    (uintmax_t)d->lineno, what);
}

/* cvx_json_scan_object callback: one top-level member. */
static int
member(void *ctx, const char *k, size_t klen, const char *v, size_t vlen)
{
	struct doc *d = ctx;
	uint8_t internal[CVX_ID_INTERNAL_LEN];
	uint32_t table;
	const char *why;

	if (klen == 3 && memcmp(k, "_id", 3) == 0) {
		if (v[0] != '"' || cvx_id_decode(v + 1, vlen - 2, &table,
		    internal, &why) != 0)
			doc_fail(d, v[0] != '"' ? "_id is not a string" : why);
		if (d->t->number < 0)
			d->t->number = table;
		keys_add(&d->t->ids, ids_key(table, internal));
		return 0;
	}
	if (klen == 13 && memcmp(k, "_creationTime", 13) == 0) {
		if (v[0] != 'n')
			d->t->created++;
		return 0;
	}
	if (d->tagged && cvx_tag_key(k, klen) != 0)
		return 0;
	field_value(schema_field(d->t, k, klen, &d->hint), v, vlen, d->legacy);
	return 0;
}

void
infer_doc(struct schema *s, struct stable *t, const char *line, size_t n,
    const char *entry, uint64_t lineno, bool tagged)
{
	struct doc d = { s, t, entry, lineno, tagged,
	    t->encoding == CVX_ENC_LEGACY, 0 };
	struct cvx_json_error e;

	if (cvx_json_scan_object(line, n, member, &d, &e) != 0) {
		char what[256];

		snprintf(what, sizeof(what), "byte %zu: %s", e.offset + 1,
		    e.msg);
		doc_fail(&d, what);
	}
	t->docs++;
	t->bytes += n + 1;
}

void
schema_free(struct schema *s)
{
	size_t i, j;

	for (i = 0; i < s->nt; i++) {
		for (j = 0; j < s->t[i].nf; j++) {
			free(s->t[i].f[j].key);
			free(s->t[i].f[j].name);
			ids_free(&s->t[i].f[j].refs);
		}
		free(s->t[i].f);
		keys_free(&s->t[i].ids);
		free(s->t[i].component);
		free(s->t[i].name);
		free(s->t[i].pgname);
	}
	free(s->t);
	memset(s, 0, sizeof(*s));
}
