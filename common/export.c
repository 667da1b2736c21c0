/* SPDX-License-Identifier: MIT */
/*
 * export.c: the layout of a Convex snapshot export, without libarchive:
 * what an entry name means, the table catalogue built from the entries and
 * `_tables`, and which tables a -t/-x selection picks in which order.
 * Source: convex-export-format.md §2 (names), §5 (_tables), §7 (_storage).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "cvx.h"

bool
cvx_is_identifier(const char *s, size_t n)
{
	size_t i;
	bool only_underscores = true;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c != '_')
			only_underscores = false;
		if (c == '_' || (c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z'))
			continue;
		if (i > 0 && c >= '0' && c <= '9')
			continue;
		return false;
	}
	return !only_underscores;
}

/* Is the path component s[0..n) equal to the string w? */
static bool
comp_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

/* Set en to an ignored entry with the reason why. */
static void
ignored(struct cvx_entry_name *en, enum cvx_entry_kind kind, const char *why)
{
	en->kind = kind;
	en->why = why;
}

void
cvx_export_parse_name(const char *name, struct cvx_entry_name *en)
{
	/* Start and length of each '/'-separated component. */
	const char **cs;
	size_t *cl, nc = 0, i, j, n = strlen(name), top;
	const char *p, *slash;
	struct cvx_buf comp = {0};

	memset(en, 0, sizeof(*en));
	if (n == 0 || name[0] == '/' || strchr(name, '\\') != NULL) {
		ignored(en, CVX_ENTRY_UNSAFE, "absolute or non-portable path");
		return;
	}
	cs = cvx_reallocarray(NULL, n + 1, sizeof(*cs));
	cl = cvx_reallocarray(NULL, n + 1, sizeof(*cl));
	for (p = name;; p = slash + 1) {
		slash = strchr(p, '/');
		cs[nc] = p;
		cl[nc] = slash != NULL ? (size_t)(slash - p) : strlen(p);
		nc++;
		if (slash == NULL)
			break;
	}
	if (cl[nc - 1] == 0) {
		ignored(en, CVX_ENTRY_STRAY, "directory");
		goto out;
	}
	for (i = 0; i < nc; i++)
		if (comp_is(cs[i], cl[i], "..") || comp_is(cs[i], cl[i], ".") ||
		    cl[i] == 0) {
			ignored(en, CVX_ENTRY_UNSAFE, "'..', '.' or empty path"
			    " component");
			goto out;
		}

	/* What the last one or two components say (§2, importer patterns). */
	if (nc >= 2 && comp_is(cs[nc - 2], cl[nc - 2], "_storage")) {
		if (comp_is(cs[nc - 1], cl[nc - 1], "documents.jsonl")) {
			en->kind = CVX_ENTRY_STORAGE;
			en->table = cvx_strdup("_storage");
		} else if (cs[nc - 1][0] != '.' && !comp_is(cs[nc - 1],
		    strcspn(cs[nc - 1], "."), "documents")) {
			en->kind = CVX_ENTRY_BLOB;
		} else {
			ignored(en, CVX_ENTRY_STRAY, "not a storage file");
			goto out;
		}
		top = nc - 2;
	} else if (nc >= 2 && (comp_is(cs[nc - 1], cl[nc - 1],
	    "documents.jsonl") || comp_is(cs[nc - 1], cl[nc - 1],
	    "generated_schema.jsonl"))) {
		bool docs = cs[nc - 1][0] == 'd';

		top = nc - 2;
		if (comp_is(cs[top], cl[top], "_tables"))
			en->kind = docs ? CVX_ENTRY_TABLES : CVX_ENTRY_STRAY;
		else if (cs[top][0] == '_')
			en->kind = CVX_ENTRY_SYSTEM;
		else if (!cvx_is_identifier(cs[top], cl[top]))
			en->kind = CVX_ENTRY_STRAY;
		else
			en->kind = docs ? CVX_ENTRY_DOCUMENTS :
			    CVX_ENTRY_SCHEMA;
		if (en->kind == CVX_ENTRY_STRAY) {
			en->why = docs ? "not a table name" :
			    "not part of the export format";
			goto out;
		}
		if (en->kind == CVX_ENTRY_SYSTEM)
			en->why = "system table other than _tables/_storage";
		en->table = cvx_memdup(cs[top], cl[top] + 1);
		en->table[cl[top]] = '\0';
	} else if (comp_is(cs[nc - 1], cl[nc - 1], "README.md")) {
		en->kind = CVX_ENTRY_README;
		top = nc - 1;
	} else {
		ignored(en, CVX_ENTRY_STRAY, "not part of the export format");
		goto out;
	}

	/*
	 * Peel trailing _components/<name> pairs: the component path.  What is
	 * left in front is ignored, as the importer does, unless it still holds
	 * a _components that could not be peeled (a bad component name).
	 */
	for (i = top; i >= 2 && comp_is(cs[i - 2], cl[i - 2], "_components") &&
	    cvx_is_identifier(cs[i - 1], cl[i - 1]); i -= 2)
		;
	for (j = 0; j < i; j++)
		if (comp_is(cs[j], cl[j], "_components")) {
			free(en->table);
			en->table = NULL;
			ignored(en, CVX_ENTRY_STRAY, "bad component path");
			goto out;
		}
	for (; i < top; i += 2) {
		if (comp.len > 0)
			cvx_buf_addc(&comp, '/');
		cvx_buf_add(&comp, cs[i + 1], cl[i + 1]);
	}
	en->component = cvx_strdup(comp.len > 0 ? comp.p : "");
out:
	free(cs);
	free(cl);
	cvx_buf_free(&comp);
	if (en->kind == CVX_ENTRY_STRAY || en->kind == CVX_ENTRY_UNSAFE) {
		free(en->table);
		free(en->component);
		en->table = en->component = NULL;
	}
}

void
cvx_entry_name_free(struct cvx_entry_name *en)
{
	free(en->component);
	free(en->table);
	en->component = en->table = NULL;
}

struct cvx_table *
cvx_catalog_table(struct cvx_catalog *c, const char *component,
    const char *name)
{
	struct cvx_table *t;
	struct cvx_buf q = {0};
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->t[i].component, component) == 0 &&
		    strcmp(c->t[i].name, name) == 0)
			return &c->t[i];
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->t = cvx_reallocarray(c->t, c->cap, sizeof(*c->t));
	}
	t = &c->t[c->n++];
	memset(t, 0, sizeof(*t));
	t->component = cvx_strdup(component);
	t->name = cvx_strdup(name);
	if (*component != '\0')
		cvx_buf_printf(&q, "%s:%s", component, name);
	else
		cvx_buf_adds(&q, name);
	t->qname = q.p;
	t->number = -1;
	t->docs = t->schema = -1;
	t->bytes = -1;
	return t;
}

/* Fill *e with msg at offset off; return -1. */
static int
line_error(struct cvx_json_error *e, const char *msg, size_t off)
{
	if (e != NULL) {
		e->msg = msg;
		e->offset = off;
	}
	return -1;
}

int
cvx_catalog_tables_line(struct cvx_catalog *c, const char *component,
    const char *line, size_t len, struct cvx_json_error *e)
{
	struct cvx_buf name = {0}, comp = {0};
	struct cvx_table *t;
	uint32_t num;
	int r;

	r = cvx_tables_line(line, len, &name, &comp, &num, e);
	if (r == 0 && (!cvx_is_identifier(name.p, name.len) ||
	    name.p[0] == '_'))
		r = line_error(e, "no valid table name", 0);
	if (r == 0) {
		t = cvx_catalog_table(c, component, name.p);
		if (t->number >= 0)
			r = line_error(e, "table listed twice", 0);
		else
			t->number = num;
	}
	cvx_buf_free(&name);
	cvx_buf_free(&comp);
	return r;
}

/* Default order: component path, then listed tables by number, the
 * unlisted ones by name, _storage last. */
static int
table_cmp(const void *va, const void *vb)
{
	const struct cvx_table *a = va, *b = vb;
	int r, sa, sb;

	if ((r = strcmp(a->component, b->component)) != 0)
		return r;
	sa = a->name[0] == '_' ? 2 : a->number < 0;
	sb = b->name[0] == '_' ? 2 : b->number < 0;
	if (sa != sb)
		return sa - sb;
	if (sa == 0 && a->number != b->number)
		return a->number < b->number ? -1 : 1;
	return strcmp(a->name, b->name);
}

void
cvx_catalog_sort(struct cvx_catalog *c)
{
	if (c->n > 0)
		qsort(c->t, c->n, sizeof(*c->t), table_cmp);
}

/* May a -t/-x pattern name t?  _storage only when storage is true. */
static bool
selectable(const struct cvx_table *t, bool storage)
{
	return storage || strcmp(t->name, "_storage") != 0;
}

/* Does any of the n patterns match the table's qualified name? */
static bool
matches(char *const *pat, size_t n, const struct cvx_table *t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fnmatch(pat[i], t->qname, FNM_PATHNAME) == 0)
			return true;
	return false;
}

size_t
cvx_catalog_select(const struct cvx_catalog *c, char *const *inc,
    size_t ninc, char *const *exc, size_t nexc, bool storage, size_t *order)
{
	size_t i, j, n = 0;
	bool *taken;

	taken = cvx_calloc(c->n + 1, sizeof(*taken));
	for (i = 0; i < (inc != NULL ? ninc : 1); i++) {
		for (j = 0; j < c->n; j++) {
			const struct cvx_table *t = &c->t[j];

			if (!selectable(t, storage))
				continue;
			if (inc != NULL &&
			    fnmatch(inc[i], t->qname, FNM_PATHNAME) != 0)
				continue;
			if (taken[j] || matches(exc, nexc, t))
				continue;
			taken[j] = true;
			order[n++] = j;
		}
	}
	free(taken);
	return n;
}

const char *
cvx_catalog_unmatched(const struct cvx_catalog *c, char *const *pat,
    size_t n, bool storage)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < c->n; j++)
			if (selectable(&c->t[j], storage) &&
			    fnmatch(pat[i], c->t[j].qname, FNM_PATHNAME) == 0)
				break;
		if (j == c->n)
			return pat[i];
	}
	return NULL;
}

void
cvx_catalog_names(const struct cvx_catalog *c, bool storage,
    struct cvx_buf *out)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (!selectable(&c->t[i], storage))
			continue;
		if (out->len > 0)
			cvx_buf_adds(out, ", ");
		cvx_buf_adds(out, c->t[i].qname);
	}
}

void
cvx_catalog_free(struct cvx_catalog *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->t[i].component);
		free(c->t[i].name);
		free(c->t[i].qname);
	}
	free(c->t);
	memset(c, 0, sizeof(*c));
}
