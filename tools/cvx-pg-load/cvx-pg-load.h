/* SPDX-License-Identifier: MIT */
/* cvx-pg-load.h: cvx-pg-load's own types and functions, between its files. */
#ifndef CVX_PG_LOAD_H
#define CVX_PG_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cvx.h"

/* ---- copy.c: JSON values to COPY text fields (cvx-pg-load) ------------- */

/*
 * How a column's type takes a JSON value, from the base type's pg_type
 * typname and typcategory (cvx_pgtype_of).  CVX_PG_TEXT is every string
 * category type (text, varchar, bpchar, name, citext); CVX_PG_OTHER is any
 * type without a rule of its own (uuid, inet, enums...): strings go to its
 * input function as they are.
 */
enum cvx_pgtype {
	CVX_PG_TEXT, CVX_PG_INT, CVX_PG_NUMERIC, CVX_PG_FLOAT, CVX_PG_BOOL,
	CVX_PG_JSON, CVX_PG_JSONB, CVX_PG_BYTEA, CVX_PG_TIMESTAMP,
	CVX_PG_TIMESTAMPTZ, CVX_PG_DATE, CVX_PG_ARRAY, CVX_PG_OTHER
};

/* The class of a base type: typname ("int8") and typcategory ('A'...). */
enum cvx_pgtype cvx_pgtype_of(const char *typname, char category);

/*
 * Append one COPY text-format field for the checked JSON value v[0..n) to
 * out, converted for a column of class type (elem: the element class of
 * an array type).  Rules (issue 5; convex-export-format.md §3.1): null is
 * \N; strings are decoded (json/jsonb keep the JSON text, bytea decodes
 * base64); numbers keep their token text, except that timestamp,
 * timestamptz and date take a number as epoch milliseconds (exact to the
 * microsecond, UTC); {"$float":b64} (float, numeric), {"$integer":b64}
 * (integers, numeric, float) and {"$bytes":b64} (bytea) are decoded;
 * objects and arrays are JSON text for text, json, jsonb and other types,
 * and JSON arrays become array literals for array types.  U+0000 follows
 * nul.  tmp is scratch space owned by the caller.  Returns 0, or -1 with
 * *why set to a static message (out may then hold part of the field).
 * Values the type's input function rejects are left to the server.
 */
int cvx_copy_value(struct cvx_buf *out, struct cvx_buf *tmp,
    enum cvx_pgtype type, enum cvx_pgtype elem, const char *v, size_t n,
    enum cvx_nul_policy nul, const char **why);

/*
 * Append s[0..n) COPY-escaped (PostgreSQL docs, COPY, "Text Format"):
 * backslash, newline, carriage return and tab become \\ \n \r \t.
 */
void cvx_copy_escape(struct cvx_buf *out, const char *s, size_t n);

/*
 * Append the JSON string raw[0..n) (the checked bytes between its quotes)
 * decoded and COPY-escaped, in one pass; \u0000 follows nul.  Returns 0,
 * or -1 for \u0000 under CVX_NUL_REJECT (or a malformed escape).
 */
int cvx_copy_json_string(struct cvx_buf *out, const char *raw, size_t n,
    enum cvx_nul_policy nul);

/*
 * Append the checked JSON text json[0..n) COPY-escaped, for a json or
 * jsonb column; every \u0000 escape is rejected (-1), dropped, or
 * rewritten as \ufffd by nul.  Returns 0 or -1.
 */
int cvx_copy_json_text(struct cvx_buf *out, const char *json, size_t n,
    enum cvx_nul_policy nul);

/*
 * cvx_copy_json_text's rules without the COPY escaping: the JSON text of a
 * json or jsonb value as its input function reads it.  Returns 0 or -1.
 */
int cvx_json_text_nul(struct cvx_buf *out, const char *json, size_t n,
    enum cvx_nul_policy nul);

/*
 * Is v[0..n) Convex's object {"$NAME":"..."} alone, compact as Convex
 * writes it (convex-export-format.md §3.1)?  Then *s, *sn are the string.
 */
bool cvx_convex_special(const char *v, size_t n, const char *name,
    const char **s, size_t *sn);

/*
 * Decode the base64 JSON string raw[0..n) (between its quotes) to out:
 * its escapes first (a writer may escape '/'), then the base64 (legacy
 * bytes, convex-export-format.md §3.1).  Returns 0 or -1.
 */
int cvx_base64_string(struct cvx_buf *out, const char *raw, size_t n);

/* ---- binary.c: JSON values to COPY binary fields ----------------------- */

/*
 * A column's binary COPY form, from its base type's typname: the types
 * whose binary form cvx-pg-load writes (PostgreSQL's send/recv functions
 * for them: int2 ... date), and CVX_BIN_NONE for every other type, whose
 * table then loads with COPY text.  text, varchar and bpchar take their
 * UTF-8 bytes; name does not (namerecv fails where namein truncates).
 */
enum cvx_pgbin {
	CVX_BIN_NONE, CVX_BIN_TEXT, CVX_BIN_INT2, CVX_BIN_INT4, CVX_BIN_INT8,
	CVX_BIN_FLOAT4, CVX_BIN_FLOAT8, CVX_BIN_BOOL, CVX_BIN_BYTEA,
	CVX_BIN_JSON, CVX_BIN_JSONB, CVX_BIN_TIMESTAMP, CVX_BIN_TIMESTAMPTZ,
	CVX_BIN_DATE
};
enum cvx_pgbin cvx_pgbin_of(const char *typname);

/*
 * Append one COPY binary field (PostgreSQL docs, COPY, "Binary Format":
 * a 32-bit big-endian length, -1 for NULL, then the type's binary form)
 * for the checked JSON value v[0..n) and a column of form bin.  The
 * value stored is the one cvx_copy_value's text would give, bit for bit:
 * integers exactly; floats as strtod(3)/strtof(3) read the same text
 * (float8in and, from PostgreSQL 12, float4in do); timestamps as
 * microseconds and dates as days since 2000-01-01 (timestamp_recv,
 * date_recv); jsonb as version 1 and its text.  Returns 0, -1 with *why
 * (static) for the errors cvx_copy_value reports alike, or 1 with
 * nothing appended when the value has no binary form here (a string in
 * an integer column, an out-of-range number...): the caller then loads
 * it with COPY text, whose input function decides.  tmp is scratch.
 */
int cvx_copy_binary_value(struct cvx_buf *out, struct cvx_buf *tmp,
    enum cvx_pgbin bin, const char *v, size_t n, enum cvx_nul_policy nul,
    const char **why);

/* Append a COPY binary field holding the int8 v. */
void cvx_copy_binary_int8(struct cvx_buf *out, int64_t v);
/* Append a COPY binary tuple's start: its 16-bit field count. */
void cvx_copy_binary_count(struct cvx_buf *out, size_t nfields);
/*
 * Open a field whose value the caller appends: returns where its length
 * goes, which cvx_copy_binary_close(out, at) writes once it is complete.
 */
size_t cvx_copy_binary_open(struct cvx_buf *out);
void cvx_copy_binary_close(struct cvx_buf *out, size_t at);

/* COPY binary's header (signature, flags, extension length) and trailer. */
#define CVX_COPY_BINARY_HEADER	"PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0"
#define CVX_COPY_BINARY_HEADER_LEN	19
#define CVX_COPY_BINARY_TRAILER	"\377\377"

/* ---- scalar.c: Convex scalars as PostgreSQL input text ----------------- */

/* A JSON number token's kind: serde_json's rule (no '.', 'e', 'E': int). */
enum cvx_num_kind { CVX_NUM_INT, CVX_NUM_FLOAT };
enum cvx_num_kind cvx_number_kind(const char *tok, size_t n);

/*
 * Convert the JSON number token tok[0..n), epoch milliseconds (Convex
 * _creationTime, float ms with a fraction), to microseconds since
 * 1970-01-01 UTC, exactly: the decimal digits are scaled, not a double,
 * and rounded half to even at the microsecond (PostgreSQL's resolution),
 * whatever the number of digits and the exponent.  Returns 0, or -1 if
 * tok is not a number or does not fit an int64.
 */
int cvx_epoch_ms_to_us(const char *tok, size_t n, int64_t *us);

/*
 * The float token tok[0..n) ("5.0", "1.5e3", "-0.0") as integer text
 * ("5", "1500", "0") when its value is a whole number of at most 19
 * digits, exactly, for an integer column: a Convex number (float64) that
 * counts something comes back to the integer column it came from.
 * Returns 0, or -1 (nothing appended) for a fraction or more digits.
 */
int cvx_number_integer(struct cvx_buf *out, const char *tok, size_t n);

/*
 * Append us (microseconds since the epoch, UTC) as PostgreSQL ISO input
 * text: "YYYY-MM-DD HH:MM:SS.ffffff", "+00" after it for timestamptz,
 * the date alone for date (the UTC day), and " BC" last for a year
 * before 1.  Returns -1 before 4713 BC (nothing appended).
 */
enum cvx_time_kind { CVX_TIME_TIMESTAMP, CVX_TIME_TIMESTAMPTZ, CVX_TIME_DATE };
int cvx_format_time(struct cvx_buf *out, int64_t us, enum cvx_time_kind kind);

/*
 * Convex's {"$float":b64} and {"$integer":b64} payloads (the base64 of 8
 * little-endian bytes, convex-export-format.md §3.1): append PostgreSQL
 * input text, "NaN", "Infinity", "-Infinity", "-0", or %.17g for a float,
 * the decimal int64 for an integer.  Returns -1 for a payload that is not
 * 8 bytes of base64.
 */
int cvx_float_text(struct cvx_buf *out, const char *b64, size_t n);
/* The 8 little-endian bytes of such a payload; -1 if it is not one. */
int cvx_base64_u64(const char *b64, size_t n, uint64_t *v);
int cvx_integer_text(struct cvx_buf *out, const char *b64, size_t n);
/* ---- rows.c: documents to COPY rows (cvx-pg-load) ---------------------- */

/* A top-level member of a stream document: raw key and value bytes. */
struct cvx_member {
	const char *key, *val;	/* key: between its quotes, not decoded */
	size_t	 klen, vlen;
};

/* The members of one document line; zero-initialise, reused per line. */
struct cvx_doc {
	struct cvx_member *m;
	size_t	 n, cap;
};

/*
 * Check the object line[0..len) as cvx_json_scan_object does and collect
 * its top-level members into d (pointers into line).  Returns 0, or -1
 * with *e set.
 */
int cvx_doc_parse(struct cvx_doc *d, const char *line, size_t len,
    struct cvx_json_error *e);

/* Is m the routing tag `_table` or `_component` (design.md)? */
bool cvx_member_is_tag(const struct cvx_member *m);

/*
 * Put the table identity of d in name (cvx_tag_identity: "table", or
 * "a/b:table" for a component's).  Returns 1, 0 when d has no tag, -1
 * with *why (static) for a bad tag.
 */
int cvx_doc_route(const struct cvx_doc *d, struct cvx_buf *name,
    const char **why);

/* A column of a target table, filled from the catalog by the caller. */
struct cvx_col {
	char	*name;		/* attname, owned */
	size_t	 namelen;
	char	*qname;		/* quoted identifier, owned */
	enum cvx_pgtype type, elem;
	enum cvx_pgbin bin;	/* its COPY binary form, if any */
	bool	 has_default;	/* DEFAULT, identity, or a domain default */
	bool	 text_eq;	/* no '=' operator: merge compares ::text */
	bool	 listed;	/* in the COPY column list */
	uint64_t stamp;		/* the line whose value val holds */
	const char *val;
	size_t	 vlen;
};

/* COPY rows row..row+count-1 came from input lines line..line+count-1. */
struct cvx_run {
	uint64_t row, line, count;
};

/*
 * A table's rows in the making: its columns, the COPY column list (the
 * columns some document named, in order of first use), the converted rows
 * not yet sent (data), and the input line of every row of the current
 * COPY (runs), so a server error on COPY row N names the input line.
 * Only rows.c writes its fields: cvx_rows_init, then cvx_rows_set_cols
 * and cvx_rows_set_doc.
 */
struct cvx_rows {
	struct cvx_col *cols;
	size_t	 ncols;
	long	 doc;
	size_t	*list, nlist;
	size_t	*guess, nguess;	/* member index -> column index + 1 */
	struct cvx_buf data;
	struct cvx_run *runs;
	size_t	 nruns;
	uint64_t nrows;		/* rows of the current COPY, sent or not */
	struct cvx_buf tmp;	/* scratch */
	bool	 binary;	/* rows are COPY binary: every listed column has
				 * a binary form, and text is not forced (once
				 * false, false for good) */
	bool	 lines;		/* each row ends with its input line (int8) */
};

/* Start r empty: no columns, no catch-all column. */
void cvx_rows_init(struct cvx_rows *r);

/* Give r its columns cols[0..ncols) (calloc'd; r owns them from now). */
void cvx_rows_set_cols(struct cvx_rows *r, struct cvx_col *cols,
    size_t ncols);

/* Make column doc (-1: none) the catch-all that takes whole documents. */
void cvx_rows_set_doc(struct cvx_rows *r, long doc);

/*
 * Rows are COPY text from now on (no rows may be buffered: a COPY's rows
 * are all of one format).  r starts binary, until a listed column has no
 * binary form or this is called: --copy-format text, a Citus table, or a
 * value that only the column type's input function can judge.
 */
void cvx_rows_set_text(struct cvx_rows *r);

/* Each row ends with a last field, its input line (late.c's staging). */
void cvx_rows_set_lines(struct cvx_rows *r);

/*
 * r->data went to the server (queued for the COPY): empty it.  Returns
 * the rows of the current COPY so far, all of them now sent.
 */
uint64_t cvx_rows_sent(struct cvx_rows *r);

/* The index of the column named name[0..n), or -1. */
long cvx_rows_find(const struct cvx_rows *r, const char *name, size_t n);

/*
 * Match the members of d (line number line) to columns by exact name:
 * each matched column gets stamp = line and the value.  Returns the number
 * of keys with no column (the catch-all column never matches a key); their
 * raw names go, comma-separated, to unknown.  Columns matched but not yet
 * listed are the caller's to add (cvx_rows_list_add) before appending.
 */
size_t cvx_rows_match(struct cvx_rows *r, const struct cvx_doc *d,
    uint64_t line, struct cvx_buf *unknown);

/* Add column ci to the end of the COPY column list. */
void cvx_rows_list_add(struct cvx_rows *r, size_t ci);

/*
 * Append to r->data the COPY row of the matched document d (line[0..len),
 * input line lineno), in r's format: each listed column's value
 * (cvx_copy_value, cvx_copy_binary_value), NULL for a column the
 * document lacks, the document minus its tag for the catch-all, then the
 * line if r->lines.  Returns 0; -1 with *errcol (column index) and *why
 * set; or 1, nothing appended, for a value with no binary form: send the
 * rows buffered, end the COPY, cvx_rows_set_text, and append again.
 */
int cvx_rows_append(struct cvx_rows *r, const struct cvx_doc *d,
    const char *line, size_t len, uint64_t lineno, enum cvx_nul_policy nul,
    long *errcol, const char **why);

/* The input line of row (1-based) of the current COPY, or 0. */
uint64_t cvx_rows_line(const struct cvx_rows *r, uint64_t row);

/*
 * A COPY ended after its first nsent rows: the rows appended after them
 * (still in data) are rows 1, 2, ... of the next COPY, whose lines
 * cvx_rows_line keeps finding.
 */
void cvx_rows_restart(struct cvx_rows *r, uint64_t nsent);

/*
 * Read PostgreSQL's COPY error context ("COPY t, line N[, column c: v]",
 * the outermost one): *row = N and *col = "column c: v" or "".  Returns
 * false if ctx (may be NULL) holds no COPY line number.
 */
bool cvx_copy_context(const char *ctx, uint64_t *row, const char **col);

/*
 * Append the merge statement of r's listed columns, from the staging
 * table stage into target (both quoted, maybe schema-qualified), keyed on
 * the columns key[0..nkey): INSERT ... SELECT ... ON CONFLICT (key) DO
 * UPDATE SET ... WHERE (target row) IS DISTINCT FROM (EXCLUDED row), so
 * unchanged rows are not rewritten (design.md, performance facts).  With
 * dedupe the SELECT is DISTINCT ON (key) ... ORDER BY key, ctid DESC (the
 * last staged row of a key wins); without, it is cheaper (no sort) but
 * fails with SQLSTATE 21000 if a key is staged twice.  Its one result row:
 * distinct keys (NULL without dedupe: then every staged row), inserted,
 * updated (RETURNING xmax = 0).
 */
void cvx_merge_sql(struct cvx_buf *s, const char *target, const char *stage,
    const struct cvx_rows *r, const size_t *key, size_t nkey, bool dedupe);

/* What cvx-pg-load did to one table, for its summary. */
struct cvx_load_stat {
	const char *table;
	uint64_t read, inserted, updated, unchanged;
	double	 seconds;	/* first document to last COPY or merge */
	bool	 dry;		/* rolled back: "would insert", "would update" */
	bool	 parsed_only;	/* --no-db: "N read" alone */
};

/*
 * Append the summary of st[0..n): text lines "cvx-pg-load: TABLE: N
 * read, N inserted, N updated, N unchanged, S s, R rows/s" ("would
 * insert N, would update N" for a dry run, "N read" alone for one
 * without a database), or (json) the
 * comma-separated objects {"table","read","inserted","updated",
 * "unchanged","seconds"} for the caller to wrap in its array.
 */
void cvx_summary_append(struct cvx_buf *out, bool json,
    const struct cvx_load_stat *st, size_t n);

/* ---- the tool's own state, between its files --------------------------- */

/*
 * Below, what the files that talk to the server share: they include
 * <libpq-fe.h> first.  copy.c and rows.c (and the test drivers and fuzz
 * targets that link them) build without libpq's headers.
 */
#ifdef LIBPQ_FE_H

/* printf arguments for the first line of a message: "%.*s". */
#define ONELINE(s)	(int)strcspn((s), "\n"), (s)
/* PostgreSQL truncates longer identifiers (NAMEDATALEN - 1). */
#define MAX_IDENT	63

enum mode { MODE_INSERT, MODE_MERGE, MODE_REPLACE };
enum summary { SUM_TEXT, SUM_JSON, SUM_NONE };

/* The options, filled once by main's option parser. */
struct options {
	const char *conninfo;		/* -d, else DATABASE_URL, else "" */
	enum mode mode;
	bool	 dry_run;
	bool	 no_db;			/* --no-db: parse and count only */
	bool	 allow_empty;		/* replace: no documents is meant */
	const char *table;		/* -u: for untagged documents */
	char	**tables, **excludes;	/* -t, -x: globs of tables to load */
	size_t	 ntables, nexcludes;
	bool	 quiet;			/* -q: no summary, no progress */
	const char *schema;		/* -s */
	const char *key;		/* -k: merge key columns */
	const char *doc_column;		/* --doc-column */
	bool	 ignore_unknown;
	bool	 create;
	bool	 count;			/* --count: operands are tables */
	bool	 progress;
	uint64_t commit_every;		/* merge: rows per transaction */
	bool	 unlogged;		/* --staging unlogged */
	bool	 text_copy;		/* --copy-format text */
	const char *truncate;		/* --truncate: replace empties these */
	enum cvx_nul_policy nul;
	enum summary summary;
};

/* A target table and what has been done to it. */
struct table {
	char	*name;		/* as routed: TABLE or COMPONENT:TABLE */
	char	*qname;		/* "schema"."table" */
	char	*qstage;	/* merge: the staging table */
	char	 oid[32];	/* pg_class oid, for a late staging table */
	char	 relkind;
	bool	 created;	/* by --create, in this transaction */
	bool	 direct;	/* merge: copying straight into the empty target */
	bool	 pending;	/* replace: emptied with the others at the end */
	struct cvx_buf seg;	/* direct: the open COPY's rows, to redo */
	uint64_t copied;	/* rows of the open COPY sent so far */
	uint64_t direct_rows;	/* merge: rows copied straight into the target */
	struct cvx_rows r;	/* columns, COPY list, rows not yet sent */
	size_t	*key;		/* merge key, as column indexes */
	size_t	 nkey;
	uint64_t sent;		/* rows ever copied (into target or stage) */
	uint64_t staged;	/* merge: rows staged since the last merge */
	uint64_t read, inserted, updated, unchanged;
	double	 t_first, t_done;
	struct cvx_buf dropped;	/* --ignore-unknown: keys dropped, ", " */
	char	 dist;		/* Citus partmethod ('h', 'n'...), 0: none */
	char	*distcol;	/* Citus hash: the distribution column */
	bool	 via_stage;	/* insert, replace: rows go through qstage */
	bool	 stage_table;	/* qstage is a real table, dropped at the end */
	bool	 redone;	/* merge: a COPY straight in was undone */
	uint64_t fixed;		/* rows the late-column fix updated */
};

/* ---- db.c: the connection, statements, signals, rollback, commit ------- */

extern const struct options *opt;	/* set by main before any call */
extern PGconn *conn;			/* NULL: --no-db, or closed */
extern char *schema;			/* the target schema, quoted */
extern char *schema_raw;		/* and as a plain name */

double now(void);
/* Connect (opt->conninfo), set the session up, find the schema. */
void db_connect(void);
/* Close the connection (after COMMIT, ROLLBACK or --count). */
void db_close(void);
/* Catch SIGINT, SIGTERM, SIGHUP; a signal makes a blocked read of fd
 * (-1: none) see end of file. */
void db_catch_signals(void);
void db_watch_input(int fd);
/* Fail with "interrupted" if a signal came. */
void db_check_signal(void);
/* Report an error, roll back, exit 1 (or die of the signal that came). */
void fail(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Fail with "what: sql: message: detail" and hint, from r. */
void fail_result(const char *what, const char *sql, const PGresult *r,
    const char *hint) __attribute__((noreturn));
/* Roll back and disconnect; false if the server did not confirm in time. */
bool db_rollback(void);
/* Wait for the next result (NULL: done), or read the rest of them. */
int pg_wait(PGresult **res);
void pg_finish(void);
/* Wait up to a poll interval for the server (out: or room to send). */
int pg_poll(bool out);
extern const char *wait_why;		/* why the last wait gave up */
/* Run sql, as PQexec; no COPY may be open (the caller ends it). */
PGresult *pg_run(const char *sql, int n, const char *const *params);
PGresult *exec_sql(const char *sql, ExecStatusType want, const char *what);
PGresult *query(const char *sql, int n, const char *const *params,
    const char *what);
const char *pg_message(const PGresult *r);
bool sqlstate_is(const PGresult *r, const char *code);
/* An identifier quoted for SQL, owned by the caller. */
char *quote(const char *name);
/* COMMIT, its answer waited for even after a signal; no COPY open. */
void db_commit(void);

/* ---- copyin.c: COPY FROM STDIN ----------------------------------------- */

/* Open COPY target (t's listed columns) FROM STDIN [WITH (FREEZE)]. */
void copyin_start(struct table *t, const char *target, bool freeze);
/* The table whose COPY is open, or NULL. */
struct table *copyin_active(void);
/* Queue n bytes; NULL, or the server's error (the COPY is then over). */
PGresult *copyin_put(struct table *t, const char *p, size_t n);
/* n bytes of input were read; push what is queued every PUSH_EVERY of them. */
void copyin_input(size_t n);
void copyin_push(void);
/*
 * End t's COPY; the server's result, the caller's to clear.  On success
 * the rows count in t->sent and the line numbering restarts; on error
 * the caller reads the rest (pg_finish) or fails (copy_error).
 */
PGresult *copyin_end(struct table *t);
/* Fail with the server's COPY error r, naming the input line. */
void copy_error(struct table *t, const PGresult *r) __attribute__((noreturn));

/* ---- catalog.c: the target tables in the catalog ----------------------- */

/* Find t (creating it with --create), read its columns and catch-all. */
void catalog_setup(struct table *t, uint64_t line);
/* Merge: t's key columns, from --key or the primary key. */
void catalog_key(struct table *t);
/* The next name of a comma-separated list, or NULL; *p moves past it. */
const char *list_next(const char **p, size_t *n);

/* ---- merge.c, replace.c: the strategies -------------------------------- */

/* Merge: key, staging table or straight in (t set up, no COPY open). */
void merge_setup(struct table *t);
/* Open t's COPY: into the target (savepoint first) or its staging table. */
void merge_start_copy(struct table *t);
/* Send t's converted rows; a key met twice moves t to staging (23505). */
void merge_put(struct table *t);
/* After a send: a COPY straight in is ended every SEG_MAX bytes. */
void merge_sent(struct table *t);
/* End t's COPY; a key met twice redoes it in staging (23505). */
void merge_end_copy(struct table *t);
/* Upsert t's staged rows into t (its rows all sent). */
void merge_table(struct table *t);
/* Drop the staging tables that are real tables before COMMIT. */
void merge_drop_stages(struct table *const *tables, size_t n);
/* Create t's staging table: t's columns, no defaults, no constraints. */
void merge_create_stage(struct table *t);

/* -T is pending from BEGIN to the first document. */
void replace_begin(void);
/* Empty the -T tables, if still pending (the first document is here). */
void replace_truncate_listed(void);
/* Replace: empty t now, or (see replace.c) spool the input from line on. */
void replace_setup(struct table *t, uint64_t line);
/* Is the input being spooled?  Then the line goes to the spool. */
bool replace_spooling(void);
void replace_spool(const char *line, size_t len);
/*
 * End of input while spooling (no COPY open): empty the pending tables
 * together, and return the spool, rewound; its lines follow line *first.
 */
int replace_end_spool(struct table *const *tables, size_t n,
    uint64_t *first);

/* ---- late.c: the late-column rule -------------------------------------- */

/*
 * The column of a staging table of insert and replace that holds each
 * row's input line (named so that no table's own column is).
 */
#define LATE_LINE	"\"cvx-pg-load line\""
/* Insert, replace: decide whether t's rows go through staging. */
void late_setup(struct table *t);
/* May t's late columns be fixed in place (a plain table, no writers)? */
bool late_xmin_exact(const struct table *t);
/* Can t take rows straight in: no DEFAULT to protect, or xmin exact? */
bool late_exact(const struct table *t);
/* Column ci (with a DEFAULT) is listed after rows went to t: fix them. */
void late_fix(struct table *t, size_t ci, uint64_t line);
/* Insert, replace: move t's staged rows into t (no COPY open). */
void late_move(struct table *t);

/* ---- citus.c: Citus tables --------------------------------------------- */

/* Is t in pg_dist_partition?  Fills t->dist and t->distcol. */
void citus_setup(struct table *t);
/* Merge: the key must include the distribution column; a unique index. */
void citus_check_key(const struct table *t);
/* Distribute t's new staging table as t is, co-located with it. */
void citus_distribute_stage(const struct table *t);
/*
 * A COPY error that names no COPY line (raised on a worker): find the
 * input line by replaying the COPY's rows (seg) in prefixes under
 * savepoints; 0 if none fails alone.  The transaction is left as the
 * failed COPY left it, rolled back to savepoint cvx_copy.
 */
uint64_t citus_find_line(struct table *t, const char *seg, size_t len);

/* ---- count.c: --count -------------------------------------------------- */

int count_tables(int argc, char **argv);

/* ---- load.c: the stream, line by line ---------------------------------- */

/* Read path (NULL: stdin) and load every document. */
void load_stream(const char *path);
/* The work before COMMIT: send everything, merge, end the COPY; last:
 * drop the staging tables too. */
void load_finish(bool last);
/* The summary; its exit status. */
int load_summary(bool committed);

#endif /* LIBPQ_FE_H */

#endif /* CVX_PG_LOAD_H */
