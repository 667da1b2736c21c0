/* SPDX-License-Identifier: MIT */
/*
 * export_name: what cvx-unzip reads of an export besides the ZIP itself
 * (common/export.c, exportdir.c): entry names, the importer's
 * line rules for documents.jsonl, and _tables lines.
 *
 * Byte 0 picks what the rest is (convex-export-format.md §2, §5, §8):
 * 'n' an entry name; 'l' line 1 of a documents.jsonl, 'L' a later line;
 * anything else the lines of a _tables/documents.jsonl (component "" for
 * 't', "a/b" for others).  Invariants:
 * - names: one with a '..', '.' or empty component, a backslash or a
 *   leading '/' is never interpreted (only STRAY or UNSAFE); UNSAFE is
 *   only for such names; an interpreted name ends in the layout its kind,
 *   component and table spell (_components/<c>/ pairs of identifiers,
 *   then the table, an identifier, or _tables, _storage), after nothing
 *   or a prefix with no _components in it, and that layout alone, or
 *   under another prefix, reads the same;
 * - lines: a CR before the end goes, an empty line and a BOM on line 1
 *   are errors without a position, and otherwise the verdict is that of
 *   the object-line parser of ref.c;
 * - _tables: a line is taken exactly when its first "name" is a string
 *   naming a user table (an identifier not starting with '_') and its
 *   first "id" a number that is a whole u32 >= 1 as a double (the
 *   importer reads it as f64), not listed before; the catalogue then
 *   holds each table taken with its number.
 */
#include <errno.h>
#include <string.h>

#include "cvx-unzip.h"
#include "fuzz.h"

/* Is s[0..n) a Convex identifier (§9), by the letter of the rule? */
static bool
ref_ident(const char *s, size_t n)
{
	size_t i, under = 0;

	if (n < 1 || n > 64)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '_')
			under++;
		else if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (i > 0 && s[i] >= '0' && s[i] <= '9')))
			return false;
	}
	return under < n;
}

/* Does name have a component that is '..', '.' or empty? */
static bool
bad_component(const char *name)
{
	const char *p = name, *e;
	size_t n;

	for (;;) {
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return true;
		if (e == NULL)
			return false;
		p = e + 1;
	}
}

/* The layout an interpreted entry spells: prefix, table, file. */
static void
layout(const struct cvx_entry_name *en, const char *name,
    struct cvx_buf *out)
{
	const char *c = en->component, *e;

	while (c != NULL && *c != '\0') {
		e = strchr(c, '/');
		cvx_buf_adds(out, "_components/");
		cvx_buf_add(out, c, e ? (size_t)(e - c) : strlen(c));
		cvx_buf_addc(out, '/');
		c = e ? e + 1 : "";
	}
	switch (en->kind) {
	case CVX_ENTRY_README:
		cvx_buf_adds(out, "README.md");
		break;
	case CVX_ENTRY_TABLES:
		cvx_buf_adds(out, "_tables/documents.jsonl");
		break;
	case CVX_ENTRY_STORAGE:
		cvx_buf_adds(out, "_storage/documents.jsonl");
		break;
	case CVX_ENTRY_BLOB:
		cvx_buf_adds(out, "_storage/");
		cvx_buf_adds(out, strrchr(name, '/') + 1);
		break;
	case CVX_ENTRY_SCHEMA:
		cvx_buf_printf(out, "%s/generated_schema.jsonl", en->table);
		break;
	default:	/* DOCUMENTS, SYSTEM */
		cvx_buf_printf(out, "%s/%s", en->table,
		    strrchr(name, '/') + 1);
	}
}

static bool
same_entry(const struct cvx_entry_name *a, const struct cvx_entry_name *b)
{
	return a->kind == b->kind &&
	    (a->table == NULL) == (b->table == NULL) &&
	    (a->table == NULL || strcmp(a->table, b->table) == 0) &&
	    (a->component == NULL) == (b->component == NULL) &&
	    (a->component == NULL || strcmp(a->component, b->component) == 0);
}

static void
check_name(const char *name)
{
	struct cvx_entry_name en, en2;
	struct cvx_buf tail = {0}, again = {0};
	size_t n = strlen(name), tl, i;
	bool unsafe, interpreted;
	const char *c;

	cvx_export_parse_name(name, &en);
	unsafe = n == 0 || name[0] == '/' || strchr(name, '\\') != NULL ||
	    bad_component(name);
	interpreted = en.kind != CVX_ENTRY_STRAY &&
	    en.kind != CVX_ENTRY_UNSAFE;
	CHECK(!(unsafe && interpreted), "unsafe name interpreted as kind %d",
	    (int)en.kind);
	CHECK(en.kind != CVX_ENTRY_UNSAFE || unsafe, "UNSAFE for a safe "
	    "name");
	if (!interpreted) {
		CHECK(en.table == NULL && en.component == NULL &&
		    en.why != NULL, "an ignored entry with a table, or no "
		    "reason");
		goto out;
	}
	CHECK(en.component != NULL, "no component");
	for (c = en.component; *c != '\0'; c += i + (c[i] == '/')) {
		i = strcspn(c, "/");
		CHECK(ref_ident(c, i), "component %s", en.component);
	}
	if (en.kind == CVX_ENTRY_DOCUMENTS || en.kind == CVX_ENTRY_SCHEMA)
		CHECK(en.table != NULL && ref_ident(en.table, strlen(en.table))
		    && en.table[0] != '_', "table %s", en.table);
	if (en.kind == CVX_ENTRY_SYSTEM)
		CHECK(en.table != NULL && en.table[0] == '_' &&
		    strcmp(en.table, "_tables") != 0 &&
		    strcmp(en.table, "_storage") != 0, "system %s", en.table);
	layout(&en, name, &tail);
	tl = tail.len;
	CHECK(n >= tl && memcmp(name + n - tl, tail.p, tl) == 0 &&
	    (n == tl || name[n - tl - 1] == '/'), "%s does not end in %s",
	    name, tail.p);
	/* The ignored prefix holds no _components. */
	for (c = name; c < name + n - tl; c += i + 1) {
		i = strcspn(c, "/");
		CHECK(!(i == 11 && memcmp(c, "_components", 11) == 0),
		    "_components in the ignored prefix of %s", name);
	}
	cvx_export_parse_name(tail.p, &en2);
	CHECK(same_entry(&en, &en2), "%s alone reads differently", tail.p);
	cvx_entry_name_free(&en2);
	cvx_buf_printf(&again, "snapshot/%s", tail.p);
	cvx_export_parse_name(again.p, &en2);
	CHECK(same_entry(&en, &en2), "%s reads differently", again.p);
	cvx_entry_name_free(&en2);
out:
	cvx_entry_name_free(&en);
	cvx_buf_free(&tail);
	cvx_buf_free(&again);
}

static void
check_line(const char *s, size_t n, uint64_t lineno)
{
	struct cvx_json_error e;
	size_t m = n, want = n;
	int r;

	if (want > 0 && s[want - 1] == '\r')
		want--;
	r = cvx_export_line(s, &m, lineno, &e);
	CHECK(m == want, "length %zu after the CR rule, want %zu", m, want);
	if (want == 0 || (lineno == 1 && want >= 3 &&
	    memcmp(s, "\xEF\xBB\xBF", 3) == 0)) {
		CHECK(r == -1 && e.offset == SIZE_MAX, "blank line or BOM "
		    "accepted, or with a position");
		return;
	}
	CHECK((r == 0) == ref_json(s, want, CVX_JSON_MAX_DEPTH, true),
	    "cvx_export_line %d (%s), reference disagrees", r,
	    r ? e.msg : "ok");
	if (r != 0)
		CHECK(e.offset <= want, "offset %zu past %zu", e.offset, want);
}

/* The first member of object line s named key (raw), or NULL. */
struct first {
	const char *key, *val;
	size_t	 klen, vlen;
};

static int
first_member(void *ctx, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	struct first *f = ctx;

	if (f->val == NULL && mem_eq(key, klen, f->key, f->klen)) {
		f->val = val;
		f->vlen = vlen;
	}
	return 0;
}

/* What the _tables rules make of line s: 1 (name, number) or 0. */
static int
ref_tables_line(const char *s, size_t n, struct cvx_buf *name,
    double *num)
{
	struct first fn = { "name", NULL, 4, 0 }, fi = { "id", NULL, 2, 0 };
	struct cvx_buf t = {0};
	char *end;
	int r = 0;

	if (cvx_json_scan_object(s, n, first_member, &fn, NULL) != 0 ||
	    cvx_json_scan_object(s, n, first_member, &fi, NULL) != 0 ||
	    fn.val == NULL || fi.val == NULL || fn.val[0] != '"')
		return 0;
	ref_unescape(fn.val + 1, fn.vlen - 2, name);
	if (!ref_ident(name->p, name->len) || name->p[0] == '_')
		return 0;
	if (fi.val[0] != '-' && (fi.val[0] < '0' || fi.val[0] > '9'))
		return 0;
	cvx_buf_add(&t, fi.val, fi.vlen);
	errno = 0;
	*num = strtod(t.p, &end);
	if (errno == 0 && *num >= 1 && *num <= 4294967295.0 &&
	    *num == (double)(uint32_t)*num)
		r = 1;
	cvx_buf_free(&t);
	return r;
}

static void
check_tables(const char *s, size_t n, const char *component)
{
	struct cvx_catalog cat = {0};
	struct cvx_json_error e;
	struct cvx_buf name = {0}, seen = {0};
	const char *p, *nl, *end = s + n;
	double num;
	size_t len, i, k = 0;
	struct cvx_table *t;
	int r, rr;

	for (p = s; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		cvx_buf_reset(&name);
		rr = ref_tables_line(p, len, &name, &num);
		/* A name taken before: "listed twice". */
		for (i = 0; rr == 1 && i < seen.len;
		    i += strlen(seen.p + i) + 1)
			if (strcmp(seen.p + i, name.p) == 0)
				rr = 0;
		r = cvx_catalog_tables_line(&cat, component, p, len, &e);
		if ((r == 0) != (rr == 1)) {
			fuzz_show("line", p, len);
			CHECK(false, "cvx_catalog_tables_line %d (%s), "
			    "reference %d", r, r ? e.msg : "ok", rr);
		}
		if (r != 0)
			continue;
		cvx_buf_add(&seen, name.p, name.len + 1);
		t = cvx_catalog_table(&cat, component, name.p);
		CHECK(t->number == (long long)num && strcmp(t->component,
		    component) == 0, "table %s: number %lld, want %.0f",
		    name.p, t->number, num);
		k++;
	}
	CHECK(cat.n == k, "%zu tables in the catalogue, %zu taken", cat.n, k);
	cvx_catalog_free(&cat);
	cvx_buf_free(&name);
	cvx_buf_free(&seen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cvx_buf z = {0};

	if (size < 1)
		return 0;
	switch (data[0]) {
	case 'n':
		cvx_buf_add(&z, data + 1, size - 1);	/* NUL-terminated */
		check_name(z.p);
		break;
	case 'l':
	case 'L':
		check_line((const char *)data + 1, size - 1,
		    data[0] == 'l' ? 1 : 2);
		break;
	default:
		check_tables((const char *)data + 1, size - 1,
		    data[0] == 't' ? "" : "a/b");
	}
	cvx_buf_free(&z);
	return 0;
}
