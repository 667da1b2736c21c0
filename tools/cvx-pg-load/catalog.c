/* SPDX-License-Identifier: MIT */
/*
 * catalog.c: cvx-pg-load's target tables in the catalog: find (or
 * --create) a table, read its columns and types, its key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cvx-pg-load.h"

/* Read the columns of t (oid) from the catalog: once per table. */
static void
load_columns(struct table *t, const char *oid)
{
	/* One level of domain is followed to its base type. */
	static const char sql[] =
	    "SELECT a.attname, bt.typname, bt.typcategory,"
	    " coalesce(et.typname, ''), coalesce(et.typcategory, ''),"
	    " a.atthasdef OR a.attidentity <> '' OR t.typdefault IS NOT NULL"
	    "  OR t.typdefaultbin IS NOT NULL,"
	    " NOT EXISTS (SELECT 1 FROM pg_operator o WHERE o.oprname = '='"
	    "  AND o.oprleft = bt.oid AND o.oprright = bt.oid),"
	    " bt.typnamespace = 'pg_catalog'::regnamespace"
	    " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
	    " JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd'"
	    "  THEN t.typbasetype ELSE t.oid END"
	    " LEFT JOIN pg_type et ON et.oid = bt.typelem"
	    "  AND bt.typcategory = 'A'"
	    " WHERE a.attrelid = $1::oid AND a.attnum > 0"
	    "  AND NOT a.attisdropped ORDER BY a.attnum";
	const char *params[1] = { oid };
	struct cvx_col *cols, *c;
	PGresult *r;
	int i;

	r = query(sql, 1, params, t->name);
	cols = cvx_calloc((size_t)PQntuples(r), sizeof(*cols));
	for (i = 0; i < PQntuples(r); i++) {
		c = &cols[i];
		c->name = cvx_strdup(PQgetvalue(r, i, 0));
		c->namelen = strlen(c->name);
		c->qname = quote(c->name);
		c->type = cvx_pgtype_of(PQgetvalue(r, i, 1),
		    *PQgetvalue(r, i, 2));
		c->elem = cvx_pgtype_of(PQgetvalue(r, i, 3),
		    *PQgetvalue(r, i, 4));
		/* A binary form is the built-in type's, not a namesake's. */
		c->bin = *PQgetvalue(r, i, 7) == 't' ?
		    cvx_pgbin_of(PQgetvalue(r, i, 1)) : CVX_BIN_NONE;
		/* float4in read its text with strtod before PostgreSQL 12. */
		if (c->bin == CVX_BIN_FLOAT4 && PQserverVersion(conn) < 120000)
			c->bin = CVX_BIN_NONE;
		c->has_default = *PQgetvalue(r, i, 5) == 't';
		c->text_eq = *PQgetvalue(r, i, 6) == 't';
	}
	cvx_rows_set_cols(&t->r, cols, (size_t)PQntuples(r));
	PQclear(r);
}

/*
 * The next name of the comma-separated list at *p (its length in *n), or
 * NULL at the end; *p moves past it.  Names may be empty (",,").
 */
const char *
list_next(const char **p, size_t *n)
{
	const char *name = *p;

	if (name == NULL || *name == '\0')
		return NULL;
	*n = strcspn(name, ",");
	*p = name + *n + (name[*n] == ',');
	return name;
}

/* Merge: the key columns, from --key or the primary key. */
void
catalog_key(struct table *t)
{
	static const char sql[] =
	    "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
	    " ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
	    " WHERE i.indrelid = $1::oid AND i.indisprimary"
	    " ORDER BY array_position(i.indkey::int2[], a.attnum)";
	const char *params[1] = { t->oid }, *p = opt->key, *name;
	PGresult *r;
	size_t n;
	long ci;
	int i;

	t->key = cvx_calloc(t->r.ncols + 1, sizeof(*t->key));
	if (opt->key != NULL) {
		while ((name = list_next(&p, &n)) != NULL) {
			if ((ci = cvx_rows_find(&t->r, name, n)) < 0)
				fail("table %s: no key column %.*s", t->name,
				    (int)n, name);
			t->key[t->nkey++] = (size_t)ci;
		}
		return;
	}
	r = query(sql, 1, params, t->name);
	for (i = 0; i < PQntuples(r); i++) {
		ci = cvx_rows_find(&t->r, PQgetvalue(r, i, 0),
		    strlen(PQgetvalue(r, i, 0)));
		t->key[t->nkey++] = (size_t)ci;
	}
	PQclear(r);
	if (t->nkey == 0)
		fail("table %s: no primary key: name the merge key with -k (--key)",
		    t->name);
}

/*
 * --create: the schema too, if it is missing (inside the transaction, so
 * a dry run or a failure leaves none).  Looked up first: CREATE SCHEMA IF
 * NOT EXISTS needs the CREATE privilege on the database even when the
 * schema is there.
 */
static void
create_schema(void)
{
	static bool done;
	const char *params[1] = { schema_raw };
	struct cvx_buf s = { 0 };
	PGresult *r;

	if (done)
		return;
	done = true;
	r = query("SELECT 1 FROM pg_namespace WHERE nspname = $1", 1, params,
	    "schema");
	if (PQntuples(r) == 0) {
		cvx_buf_printf(&s, "CREATE SCHEMA %s", schema);
		PQclear(exec_sql(s.p, PGRES_COMMAND_OK, schema_raw));
	}
	PQclear(r);
	cvx_buf_free(&s);
}

/*
 * --create on a table that exists: is it one an earlier --create made
 * (exactly _id text, _creationTime timestamptz, doc jsonb)?  Then doc
 * takes the documents again, so the run can be repeated (merge, replace).
 */
static bool
made_by_create(const struct table *t)
{
	static const char *const names[] = { "_id", "_creationTime", "doc" };
	static const enum cvx_pgtype types[] = { CVX_PG_TEXT,
	    CVX_PG_TIMESTAMPTZ, CVX_PG_JSONB };
	size_t i;

	if (!opt->create || t->r.ncols != 3)
		return false;
	for (i = 0; i < 3; i++)
		if (strcmp(t->r.cols[i].name, names[i]) != 0 ||
		    t->r.cols[i].type != types[i])
			return false;
	return true;
}

/*
 * Find the table (creating it with --create), read its columns and its
 * catch-all column.  No COPY is open; the strategy prepares t afterwards.
 */
void
catalog_setup(struct table *t, uint64_t line)
{
	static const char sql[] =
	    "SELECT c.oid, c.relkind FROM pg_class c JOIN pg_namespace n"
	    " ON n.oid = c.relnamespace WHERE n.nspname = $1"
	    " AND c.relname = $2 AND c.relkind IN ('r', 'p', 'f', 'v')";
	const char *params[2] = { schema_raw, t->name };
	struct cvx_buf s = { 0 };
	PGresult *r;
	char *q;

	q = quote(t->name);
	cvx_buf_printf(&s, "%s.%s", schema, q);
	t->qname = cvx_strdup(s.p);
	free(q);
	r = query(sql, 2, params, t->name);
	if (PQntuples(r) == 0 && opt->create) {
		create_schema();
		cvx_buf_reset(&s);
		cvx_buf_printf(&s, "CREATE TABLE %s (_id text PRIMARY KEY, "
		    "\"_creationTime\" timestamptz, doc jsonb NOT NULL)",
		    t->qname);
		PQclear(exec_sql(s.p, PGRES_COMMAND_OK, t->name));
		t->created = true;
		PQclear(r);
		r = query(sql, 2, params, t->name);
	}
	if (PQntuples(r) == 0)
		fail("line %llu: table %s.%s does not exist (--create makes it)",
		    (unsigned long long)line, schema_raw, t->name);
	snprintf(t->oid, sizeof(t->oid), "%s", PQgetvalue(r, 0, 0));
	t->relkind = *PQgetvalue(r, 0, 1);
	PQclear(r);
	load_columns(t, t->oid);
	if (t->created || opt->doc_column != NULL || made_by_create(t)) {
		const char *dc = opt->doc_column == NULL ? "doc" :
		    opt->doc_column;
		long ci = cvx_rows_find(&t->r, dc, strlen(dc));

		cvx_rows_set_doc(&t->r, ci);
		if (ci >= 0 && t->r.cols[ci].type != CVX_PG_JSON &&
		    t->r.cols[ci].type != CVX_PG_JSONB)
			fail("table %s: --doc-column %s is not json or jsonb",
			    t->name, dc);
	}
	cvx_buf_free(&s);
}
