/* SPDX-License-Identifier: MIT */
/*
 * ddl.c: the tables as PostgreSQL DDL: a type per field from what it
 * held, NOT NULL where every document had it, and a foreign key where
 * every value is an ID of one table of the export and each names one of
 * its documents.  The text depends on the export alone.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "cvx-schema.h"

/* PostgreSQL's longest identifier (NAMEDATALEN - 1); longer ones are cut. */
#define PG_NAME_MAX	63

/* What a column is, decided from the field. */
struct column {
	const char *type;
	bool	 notnull;
	const struct stable *ref;	/* the table it references, or NULL */
	struct cvx_buf note;		/* a comment, or empty */
};

/* The names of a kind set, for comments: "string, int64". */
static void
kind_names(unsigned k, struct cvx_buf *out)
{
	static const char *const names[] = { "null", "boolean", "int64",
	    "float64", "string", "ID", "bytes", "array", "object",
	    "unknown" };
	size_t i, n = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (k & (1u << i) && i != 0)
			cvx_buf_printf(out, "%s%s", n++ > 0 ? ", " : "",
			    names[i]);
}

/* The table of number num in component, or NULL. */
static struct stable *
table_by_number(const struct schema *s, const char *component, uint32_t num)
{
	size_t i;

	for (i = 0; i < s->nt; i++)
		if (s->t[i].number == (long long)num &&
		    strcmp(s->t[i].component, component) == 0)
			return &s->t[i];
	return NULL;
}

/* The IDs of f's refs that name no document of target. */
static uint64_t
count_dangling(struct stable *target, const struct field *f)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < f->refs.cap; i++)
		if (f->refs.slot[i] != 0 &&
		    !keys_has(&target->ids, f->refs.slot[i]))
			n++;
	return n;
}

/* The scalar type of a kind set without null (jsonb when mixed). */
static const char *
scalar_type(unsigned k, const struct field *f)
{
	switch (k) {
	case K_BOOL:
		return "boolean";
	case K_INT:
		return "bigint";
	case K_FLOAT:
		return "double precision";
	case K_INT | K_FLOAT:
		/* float64 holds every int64 up to 2^53 (issue 17). */
		if (!f->big)
			return "double precision";
		return f->nonfinite ? "jsonb" : "numeric";
	case K_STRING:
	case K_ID:
	case K_STRING | K_ID:
		return "text";
	case K_BYTES:
		return "bytea";
	default:
		return "jsonb";
	}
}

/*
 * Decide f's column in table t: from the legacy shape when t has one
 * that names f, else from the documents.  Dangling references are
 * reported on stderr here.
 */
static void
decide(const struct schema *s, const struct stable *t, struct field *f,
    const struct ddl_opts *o, struct column *c)
{
	unsigned k;
	uint32_t idt;
	bool multi, checked;
	struct stable *target;

	memset(c, 0, sizeof(*c));
	if (t->shaped && f->sseen) {
		k = f->skinds;
		c->notnull = !f->soptional && !(k & K_NULL) && t->docs > 0;
		idt = f->sidtable;
		multi = f->sidmulti;
	} else {
		k = f->kinds;
		c->notnull = f->nonnull == t->docs && t->docs > 0;
		idt = f->idtable;
		multi = f->idmulti;
	}
	k &= ~(unsigned)K_NULL;
	c->type = scalar_type(k, f);
	if (strcmp(c->type, "jsonb") == 0 && (k & (k - 1)) != 0) {
		cvx_buf_adds(&c->note, "holds ");
		kind_names(k, &c->note);
	}
	if (k != K_ID)
		return;
	if (multi) {
		cvx_buf_adds(&c->note, "IDs of several tables");
		return;
	}
	if ((target = table_by_number(s, t->component, idt)) == NULL) {
		cvx_buf_printf(&c->note, "IDs of table number %u, which the"
		    " export does not hold", idt);
		return;
	}
	if (!target->out) {
		cvx_buf_printf(&c->note, "IDs of %s, which -t or -x leave"
		    " out", target->pgname);
		return;
	}
	/* The IDs themselves are kept while the documents allow it. */
	checked = (f->kinds & ~(unsigned)(K_NULL | K_ID)) == 0 &&
	    !f->idmulti && (f->idtable == 0 || f->idtable == idt);
	if (!checked) {
		cvx_buf_printf(&c->note, "IDs of %s, not checked",
		    target->pgname);
		return;
	}
	if ((f->dangling = count_dangling(target, f)) > 0) {
		if (!s->quiet)
			warnx("%s: table %s, field %s: %ju of its IDs name no"
			    " document of %s: no REFERENCES", s->input,
			    t->pgname, f->name, (uintmax_t)f->dangling,
			    target->pgname);
		cvx_buf_printf(&c->note, "IDs of %s, %ju of them dangling",
		    target->pgname, (uintmax_t)f->dangling);
		return;
	}
	if (!o->references) {
		cvx_buf_printf(&c->note, "IDs of %s", target->pgname);
		return;
	}
	c->ref = target;
}

/* Append the identifier name, quoted; die if PostgreSQL would cut it. */
static void
ident(struct cvx_buf *out, const char *name, const struct schema *s,
    const char *what)
{
	const char *p;

	if (strlen(name) > PG_NAME_MAX)
		cvx_die("%s: %s %s: longer than %d bytes, which PostgreSQL"
		    " would cut", s->input, what, name, PG_NAME_MAX);
	cvx_buf_addc(out, '"');
	for (p = name; *p != '\0'; p++) {
		if (*p == '"')
			cvx_buf_addc(out, '"');
		cvx_buf_addc(out, *p);
	}
	cvx_buf_addc(out, '"');
}

/*
 * --snake: camelCase to snake_case ("userId" user_id, "HTTPCode"
 * http_code, "fatPer100g" fat_per100g); other bytes than letters and
 * digits become '_'.
 */
static void
snake(const char *name, struct cvx_buf *out)
{
	size_t i, n = strlen(name);
	char c, prev, next;

	for (i = 0; i < n; i++) {
		c = name[i];
		prev = i > 0 ? name[i - 1] : '\0';
		next = name[i + 1];
		if (c >= 'A' && c <= 'Z') {
			if (i > 0 && ((prev >= 'a' && prev <= 'z') ||
			    (prev >= '0' && prev <= '9') ||
			    (prev >= 'A' && prev <= 'Z' && next >= 'a' &&
			    next <= 'z')) && out->len > 0 &&
			    out->p[out->len - 1] != '_')
				cvx_buf_addc(out, '_');
			cvx_buf_addc(out, (char)(c - 'A' + 'a'));
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_')
			cvx_buf_addc(out, c);
		else
			cvx_buf_addc(out, '_');
	}
}

/* The column name of field name under the options, into out (reset). */
static void
column_name(const char *name, const struct ddl_opts *o, struct cvx_buf *out)
{
	cvx_buf_reset(out);
	if (o->snake && strcmp(name, "_id") != 0)
		snake(name, out);
	else
		cvx_buf_adds(out, name);
	if (out->p == NULL)
		cvx_buf_adds(out, "");
}

/* The foreign-key clause to target. */
static void
references(struct cvx_buf *out, const struct stable *target,
    const struct schema *s, const struct ddl_opts *o)
{
	cvx_buf_adds(out, " REFERENCES ");
	ident(out, target->pgname, s, "table");
	cvx_buf_adds(out, " (\"_id\")");
	if (o->deferrable)
		cvx_buf_adds(out, " DEFERRABLE INITIALLY DEFERRED");
}

/* Die if two fields of t get one column name (--snake). */
static void
check_unique(const struct schema *s, const struct stable *t,
    const struct ddl_opts *o)
{
	struct cvx_buf a = {0}, b = {0};
	size_t i, j;

	for (i = 0; o->snake && i < t->nf; i++) {
		column_name(t->f[i].name, o, &a);
		if (strcmp(a.p, "_id") == 0 || strcmp(a.p, "_creation_time") ==
		    0)
			cvx_die("%s: table %s: field %s: --snake makes it %s,"
			    " a system column", s->input, t->pgname,
			    t->f[i].name, a.p);
		for (j = i + 1; j < t->nf; j++) {
			column_name(t->f[j].name, o, &b);
			if (strcmp(a.p, b.p) == 0)
				cvx_die("%s: table %s: fields %s and %s are"
				    " both %s with --snake", s->input,
				    t->pgname, t->f[i].name, t->f[j].name,
				    a.p);
		}
	}
	cvx_buf_free(&a);
	cvx_buf_free(&b);
}

/* One table's CREATE TABLE; its later foreign keys go to alter. */
static void
create_table(struct schema *s, size_t ti, const struct ddl_opts *o,
    struct cvx_buf *out, struct cvx_buf *alter)
{
	struct stable *t = &s->t[ti];
	struct column c;
	struct cvx_buf name = {0}, line = {0};
	size_t i;

	check_unique(s, t, o);
	cvx_buf_adds(out, "\n-- ");
	cvx_buf_adds(out, t->pgname);
	if (t->number >= 0)
		cvx_buf_printf(out, ": table number %lld", t->number);
	cvx_buf_printf(out, ", %ju document%s%s\n", (uintmax_t)t->docs,
	    t->docs == 1 ? "" : "s", t->shaped ?
	    ", types from generated_schema.jsonl" : "");
	cvx_buf_adds(out, "CREATE TABLE ");
	ident(out, t->pgname, s, "table");
	cvx_buf_adds(out, " (\n\t\"_id\" text PRIMARY KEY,\n\t");
	column_name("_creationTime", o, &name);
	ident(out, name.p, s, "column");
	cvx_buf_adds(out, " timestamptz");
	if (t->created == t->docs)
		cvx_buf_adds(out, " NOT NULL");
	for (i = 0; i < t->nf; i++) {
		decide(s, t, &t->f[i], o, &c);
		cvx_buf_adds(out, ",");
		if (line.len > 0)
			cvx_buf_add(out, line.p, line.len);
		cvx_buf_reset(&line);
		column_name(t->f[i].name, o, &name);
		cvx_buf_adds(out, "\n\t");
		ident(out, name.p, s, "column");
		cvx_buf_printf(out, " %s", c.type);
		if (c.notnull)
			cvx_buf_adds(out, " NOT NULL");
		/* A table made further down is referenced once it exists. */
		if (c.ref != NULL && c.ref <= t)
			references(out, c.ref, s, o);
		else if (c.ref != NULL) {
			cvx_buf_printf(&c.note, "IDs of %s: its foreign key"
			    " comes after the tables", c.ref->pgname);
			cvx_buf_adds(alter, "ALTER TABLE ");
			ident(alter, t->pgname, s, "table");
			cvx_buf_adds(alter, " ADD FOREIGN KEY (");
			ident(alter, name.p, s, "column");
			cvx_buf_adds(alter, ")");
			references(alter, c.ref, s, o);
			cvx_buf_adds(alter, ";\n");
		}
		/* The comment goes after the comma that follows. */
		if (c.note.len > 0)
			cvx_buf_printf(&line, " -- %s", c.note.p);
		cvx_buf_free(&c.note);
	}
	if (line.len > 0)
		cvx_buf_add(out, line.p, line.len);
	cvx_buf_adds(out, "\n);\n");
	cvx_buf_free(&name);
	cvx_buf_free(&line);
}

void
ddl_write(struct schema *s, const struct ddl_opts *o, struct cvx_buf *out)
{
	struct cvx_buf alter = {0};
	size_t i, n = 0;

	for (i = 0; i < s->nt; i++)
		n += s->t[i].out;
	cvx_buf_printf(out, "-- PostgreSQL tables for a Convex export, by"
	    " cvx-schema %s: %zu table%s.\n", CVX_VERSION, n,
	    n == 1 ? "" : "s");
	cvx_buf_adds(out, "-- Load: cvx-unzip EXPORT | cvx-pg-load --dbname"
	    " DB\n");
	if (o->references && !o->deferrable)
		cvx_buf_adds(out, "-- The foreign keys are checked row by row:"
		    " parents must load first\n-- (without --immediate,"
		    " cvx-schema has them checked at COMMIT).\n");
	cvx_buf_adds(out, "BEGIN;\n");
	for (i = 0; i < s->nt; i++)
		if (s->t[i].out)
			create_table(s, i, o, out, &alter);
	if (alter.len > 0) {
		cvx_buf_adds(out, "\n");
		cvx_buf_add(out, alter.p, alter.len);
	}
	cvx_buf_adds(out, "COMMIT;\n");
	cvx_buf_free(&alter);
}
