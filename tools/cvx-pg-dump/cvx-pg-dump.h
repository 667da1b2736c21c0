/* SPDX-License-Identifier: MIT */
/* cvx-pg-dump.h: cvx-pg-dump's own types and functions, between its files. */
#ifndef CVX_PG_DUMP_H
#define CVX_PG_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cvx.h"

/*
 * How a column's values are written, from its type (after domains):
 * pg_type typname and typcategory.  DUMP_STRING is every type without a
 * rule of its own (text, varchar, uuid, enums, inet, interval...): its
 * output text as a JSON string.
 */
enum dump_type {
	DUMP_STRING, DUMP_INT, DUMP_FLOAT, DUMP_NUMERIC, DUMP_BOOL,
	DUMP_JSON, DUMP_BYTEA, DUMP_TIMESTAMP, DUMP_TIMESTAMPTZ, DUMP_DATE,
	DUMP_ARRAY
};

/* What the options say about values (main.c fills it once). */
struct dump_opts {
	bool	 numeric_float;	/* --numeric float: numeric as float64 */
	bool	 nulls;		/* --nulls null: NULL as null, not left out */
};

/* A column of a dumped table or query result. */
struct dump_col {
	char	*name;		/* the column name, owned */
	char	*qkey;		/* "name": the JSON key with its quotes */
	enum dump_type type;
	enum dump_type elem;	/* DUMP_ARRAY: the element's type */
	char	 delim;		/* DUMP_ARRAY: the element type's typdelim */
};

/* ---- encode.c: PostgreSQL output text to Convex's uniform encoding ------ */

/*
 * Append to out the JSON value of the output text s[0..n) of a column of
 * type (elem, delim: of an array's elements), under DateStyle ISO,
 * TimeZone UTC, extra_float_digits 1 and bytea_output hex (db.c sets
 * them).  Returns 0, or -1 with *why set to a static message (out may
 * then hold part of the value).  tmp is the caller's scratch space.
 */
int dump_value(struct cvx_buf *out, struct cvx_buf *tmp,
    const struct dump_opts *o, enum dump_type type, enum dump_type elem,
    char delim, const char *s, size_t n, const char **why);

/*
 * Microseconds since 1970-01-01 00:00 UTC as epoch milliseconds, the
 * float text Convex stores: the shortest decimal that reads back as the
 * nearest float64, with a '.' or an exponent.
 */
void dump_epoch_ms(struct cvx_buf *out, int64_t us);

/* ---- json.c: json and jsonb values --------------------------------------- */

/*
 * Append the JSON text s[0..n) (a json or jsonb column's output) without
 * whitespace between tokens, checking every object key against Convex's
 * field-name rule (printable ASCII, at most 1024 bytes, not starting with
 * '$'; convex-backend crates/convex/sync_types/src/identifier.rs).
 * Returns 0, or -1 with *why static.
 */
int dump_json(struct cvx_buf *out, const char *s, size_t n,
    const char **why);

/* Append the standard base64 (RFC 4648 §4, padded) of p[0..n). */
void dump_base64(struct cvx_buf *out, const unsigned char *p, size_t n);

/* ---- db.c, out.c: the server side (include <libpq-fe.h> first) ---------- */

#ifdef LIBPQ_FE_H

/* One thing to dump: a table or a named query. */
struct source {
	char	*name;		/* the _table of its documents */
	char	*sql;		/* the SELECT whose rows are dumped */
	char	*what;		/* for messages: "table t", "query q" */
	struct dump_col *cols;
	size_t	 ncols;
	uint64_t rows;
};

/* Connect (conninfo: "" for the PG* environment) and set the session up. */
PGconn *db_connect(const char *conninfo);

/*
 * Start the one REPEATABLE READ READ ONLY transaction every source is
 * read in, so the dump is one snapshot, as pg_dump's.
 */
void db_begin(PGconn *c);

/*
 * The tables of schema whose names match one of the patterns tables
 * (NULL: every table) and none of exclude, by name; each is read in
 * primary-key order, or by all its columns when it has none.  A pattern
 * of tables that matches no table is an error.  Appends to *v, *n.
 */
void db_tables(PGconn *c, const char *schema, char **tables, size_t ntables,
    char **exclude, size_t nexclude, struct source **v, size_t *n);

/* Find the columns of src and their types (describing its SELECT). */
void db_describe(PGconn *c, struct source *src);

/*
 * COPY src's SELECT out and write each row as a document tagged with
 * src->name to o.  Exits 1 (through cvx_die) on a value it cannot encode,
 * naming the source, the row and the column.
 */
void dump_source(PGconn *c, struct source *src, const struct dump_opts *o,
    struct cvx_out *out);

#endif /* LIBPQ_FE_H */

#endif /* CVX_PG_DUMP_H */
