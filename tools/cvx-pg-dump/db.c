/* SPDX-License-Identifier: MIT */
/*
 * db.c: the connection, the one snapshot every source is read in, the
 * tables to dump and their order, and the types of a source's columns.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cvx-pg-dump.h"

/* printf arguments for the first line of a server message: "%.*s". */
#define ONELINE(s)	(int)strcspn((s), "\n"), (s)

/* Run sql with params; die with what and the server's message unless want. */
static PGresult *
run(PGconn *c, const char *sql, int n, const char *const *params,
    ExecStatusType want, const char *what)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != want)
		cvx_die("%s: %.*s", what, ONELINE(PQerrorMessage(c)));
	return r;
}

PGconn *
db_connect(const char *conninfo)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { conninfo, "cvx-pg-dump", NULL };
	/*
	 * The output forms encode.c reads: ISO dates, times in UTC (a
	 * timestamp without zone is taken as UTC too), floats that read back
	 * exactly (shortest from PostgreSQL 12 on), bytea in hex.
	 */
	static const char *const setup[] = {
		"SET client_min_messages = warning",
		"SET DateStyle = ISO",
		"SET TimeZone = 'UTC'",
		"SET extra_float_digits = 3",
		"SET bytea_output = hex",
		"SET IntervalStyle = postgres",
	};
	PGconn *c;
	size_t i;

	if ((c = PQconnectdbParams(keys, vals, 1)) == NULL)
		cvx_die("database: out of memory");
	/* libpq's message never holds the password. */
	if (PQstatus(c) != CONNECTION_OK)
		cvx_die("database: %.*s", ONELINE(PQerrorMessage(c)));
	if (PQsetClientEncoding(c, "UTF8") != 0)
		cvx_die("database: %.*s", ONELINE(PQerrorMessage(c)));
	for (i = 0; i < sizeof(setup) / sizeof(setup[0]); i++)
		PQclear(run(c, setup[i], 0, NULL, PGRES_COMMAND_OK,
		    "database"));
	return c;
}

void
db_begin(PGconn *c)
{
	PQclear(run(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0,
	    NULL, PGRES_COMMAND_OK, "database"));
}

/* Does name match one of the shell patterns pat[0..n)? */
static bool
matches(const char *name, char **pat, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fnmatch(pat[i], name, 0) == 0)
			return true;
	return false;
}

/*
 * The ORDER BY list that makes a table's dump the same bytes every time:
 * its primary key, else all its columns (as text where the type has no
 * default btree order, as json has none).
 */
static const char order_sql[] =
    "SELECT coalesce("
    " (SELECT string_agg(quote_ident(a.attname), ', '"
    "   ORDER BY array_position(i.indkey::int2[], a.attnum))"
    "  FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
    "   AND a.attnum = ANY (i.indkey::int2[])"
    "  WHERE i.indrelid = $1::oid AND i.indisprimary),"
    " (SELECT string_agg(quote_ident(a.attname) || CASE WHEN EXISTS ("
    "   SELECT 1 FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod"
    "   WHERE am.amname = 'btree' AND oc.opcdefault AND oc.opcintype ="
    "    CASE WHEN b.typcategory = 'A' THEN b.typelem ELSE b.oid END)"
    "   THEN '' ELSE '::text' END, ', ' ORDER BY a.attnum)"
    "  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
    "  JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd'"
    "   THEN t.typbasetype ELSE t.oid END"
    "  WHERE a.attrelid = $1::oid AND a.attnum > 0"
    "   AND NOT a.attisdropped))";

void
db_tables(PGconn *c, const char *schema, char **tables, size_t ntables,
    char **exclude, size_t nexclude, struct source **v, size_t *n)
{
	const char *sql = "SELECT c.relname, c.oid::text,"
	    " quote_ident($1) || '.' || quote_ident(c.relname) FROM pg_class c"
	    " JOIN pg_namespace s ON s.oid = c.relnamespace"
	    " WHERE s.nspname = $1 AND c.relkind IN ('r', 'p')"
	    " AND NOT c.relispartition ORDER BY c.relname COLLATE \"C\"";
	const char *p[1] = { schema }, *name, *oid;
	bool *used = cvx_calloc(ntables + 1, sizeof(*used));
	struct cvx_buf b = { 0 };
	struct source *s;
	PGresult *r, *o;
	size_t i, k;
	int row;

	r = run(c, sql, 1, p, PGRES_TUPLES_OK, "database: the tables");
	for (row = 0; row < PQntuples(r); row++) {
		name = PQgetvalue(r, row, 0);
		if (tables != NULL && !matches(name, tables, ntables))
			continue;
		for (i = 0; i < ntables; i++)
			if (fnmatch(tables[i], name, 0) == 0)
				used[i] = true;
		if (matches(name, exclude, nexclude))
			continue;
		oid = PQgetvalue(r, row, 1);
		o = run(c, order_sql, 1, &oid, PGRES_TUPLES_OK, name);
		cvx_buf_reset(&b);
		cvx_buf_printf(&b, "SELECT * FROM %s", PQgetvalue(r, row, 2));
		if (!PQgetisnull(o, 0, 0))
			cvx_buf_printf(&b, " ORDER BY %s", PQgetvalue(o, 0, 0));
		PQclear(o);
		*v = cvx_reallocarray(*v, *n + 1, sizeof(**v));
		s = &(*v)[(*n)++];
		memset(s, 0, sizeof(*s));
		s->name = cvx_strdup(name);
		s->sql = cvx_strdup(b.p);
		cvx_buf_reset(&b);
		cvx_buf_printf(&b, "table %s", name);
		s->what = cvx_strdup(b.p);
	}
	PQclear(r);
	for (k = 0; k < ntables; k++)
		if (!used[k])
			cvx_die("-t: no table of schema %s matches '%s'",
			    schema, tables[k]);
	free(used);
	cvx_buf_free(&b);
}

/* How cvx-pg-dump writes a type, from its pg_type name and category. */
static enum dump_type
type_of(const char *typname, char category)
{
	static const struct {
		const char *name;
		enum dump_type type;
	} names[] = {
		{ "int2", DUMP_INT }, { "int4", DUMP_INT },
		{ "int8", DUMP_INT },
		{ "float4", DUMP_FLOAT }, { "float8", DUMP_FLOAT },
		{ "numeric", DUMP_NUMERIC }, { "bool", DUMP_BOOL },
		{ "json", DUMP_JSON }, { "jsonb", DUMP_JSON },
		{ "bytea", DUMP_BYTEA }, { "timestamp", DUMP_TIMESTAMP },
		{ "timestamptz", DUMP_TIMESTAMPTZ }, { "date", DUMP_DATE },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(typname, names[i].name) == 0)
			return names[i].type;
	/* True arrays are "_elem"; int2vector and oidvector print as text. */
	if (category == 'A' && typname[0] == '_')
		return DUMP_ARRAY;
	return DUMP_STRING;
}

void
db_describe(PGconn *c, struct source *src)
{
	/* A result column's type; domains are sent as their base type. */
	const char *tsql = "SELECT t.typname, t.typcategory, e.typname,"
	    " e.typcategory, e.typdelim FROM pg_type t"
	    " LEFT JOIN pg_type e0 ON e0.oid = t.typelem"
	    " LEFT JOIN pg_type e ON e.oid = CASE WHEN e0.typtype = 'd'"
	    " THEN e0.typbasetype ELSE e0.oid END"
	    " WHERE t.oid = $1::oid";
	struct cvx_buf b = { 0 };
	struct dump_col *col;
	PGresult *d, *t;
	const char *p[1], *name;
	char oid[16];
	int i, j;

	/* Describe without running: the types before the first row. */
	d = PQprepare(c, "", src->sql, 0, NULL);
	if (PQresultStatus(d) != PGRES_COMMAND_OK)
		cvx_die("%s: %.*s", src->what, ONELINE(PQerrorMessage(c)));
	PQclear(d);
	d = PQdescribePrepared(c, "");
	if (PQresultStatus(d) != PGRES_COMMAND_OK)
		cvx_die("%s: %.*s", src->what, ONELINE(PQerrorMessage(c)));
	src->ncols = (size_t)PQnfields(d);
	src->cols = cvx_calloc(src->ncols + 1, sizeof(*src->cols));
	for (i = 0; i < PQnfields(d); i++) {
		col = &src->cols[i];
		name = PQfname(d, i);
		/* The tag is the stream's: a column cannot take its place. */
		if (cvx_tag_key(name, strlen(name)) != 0)
			cvx_die("%s: column %s: the name of the stream's"
			    " routing tag (rename it in the SELECT)",
			    src->what, name);
		for (j = 0; j < i; j++)
			if (strcmp(src->cols[j].name, name) == 0)
				cvx_die("%s: column %s: given twice (name it"
				    " with AS)", src->what, name);
		col->name = cvx_strdup(name);
		cvx_buf_reset(&b);
		cvx_json_quote(&b, name, strlen(name));
		col->qkey = cvx_strdup(b.p);
		(void)snprintf(oid, sizeof(oid), "%u", PQftype(d, i));
		p[0] = oid;
		t = run(c, tsql, 1, p, PGRES_TUPLES_OK, src->what);
		if (PQntuples(t) != 1)
			cvx_die("%s: column %s: type %s not found", src->what,
			    name, oid);
		col->type = type_of(PQgetvalue(t, 0, 0),
		    *PQgetvalue(t, 0, 1));
		if (col->type == DUMP_ARRAY) {
			col->elem = type_of(PQgetvalue(t, 0, 2),
			    *PQgetvalue(t, 0, 3));
			col->delim = *PQgetvalue(t, 0, 4);
			if (col->elem == DUMP_ARRAY)
				col->elem = DUMP_STRING;
		}
		PQclear(t);
	}
	PQclear(d);
	cvx_buf_free(&b);
}
