/* SPDX-License-Identifier: MIT */
/* cvx-pg-load: load the stream into PostgreSQL with COPY, in one transaction. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cvx.h"

/* Rows are sent to the server in chunks of about this size. */
#define CHUNK		(512 * 1024)
/* Input bytes read between pushes of a queued chunk towards the server. */
#define PUSH_EVERY	(64 * 1024)
/* PostgreSQL truncates longer identifiers (NAMEDATALEN - 1). */
#define MAX_IDENT	63
/* Line-number runs kept per COPY before it is ended and restarted. */
#define MAX_RUNS	65536
/* Merge into an empty table: bytes of a COPY kept to redo it in staging. */
#define SEG_MAX		(8 * 1024 * 1024)

enum mode { MODE_INSERT, MODE_MERGE, MODE_REPLACE };

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
};

/* Options. */
static const char *opt_conninfo;	/* -d, else DATABASE_URL, else "" */
static enum mode opt_mode = MODE_INSERT;
static bool opt_dry_run;
static const char *opt_table;		/* -t: for untagged documents */
static const char *opt_schema;		/* -s */
static const char *opt_key;		/* -k: merge key columns */
static const char *opt_doc_column;	/* --doc-column */
static bool opt_ignore_unknown;
static bool opt_create;
static bool opt_count;			/* -c: operands are tables */
static bool opt_progress;
static uint64_t opt_commit_every;	/* merge: rows per transaction */
static bool opt_unlogged;		/* --staging unlogged */
static const char *opt_truncate;	/* -T: replace empties these first */
static enum cvx_nul_policy opt_nul = CVX_NUL_REJECT;
static enum { SUM_TEXT, SUM_JSON, SUM_NONE } opt_summary = SUM_TEXT;

/* State. */
static PGconn *conn;			/* NULL: dry run without a database */
static PGcancel *volatile cancel;	/* for the signal handler */
static volatile sig_atomic_t got_signal;
static int input_fd = -1, devnull_fd = -1;
static char *schema;			/* the target schema, quoted */
static char *schema_raw;		/* and as a plain name */
static struct table **tables;
static size_t ntables;
static struct table *active;		/* the table whose COPY is open */
static bool unsent;			/* libpq holds COPY data not yet sent */
static uint64_t pushed_at;		/* total_bytes at the last push */
static struct cvx_doc doc;		/* the document being loaded */
static struct cvx_buf scratch;
static uint64_t total_read, total_bytes, since_commit;
static int spool_fd = -1;		/* replace: the rest of the input */
static struct cvx_buf spool_buf;	/* and what is not yet written there */
static uint64_t spool_line;		/* the input line spooled first */
static double t_start, t_progress;

static void usage(FILE *, int) __attribute__((noreturn));
static void fail(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
usage(FILE *f, int status)
{
	fprintf(f,
	    "usage: cvx-pg-load [-n] [-d conninfo] [-k column[,column]] "
	    "[-m mode]\n"
	    "           [-s schema] [-T table[,table]] [-t table] "
	    "[--commit-every rows]\n"
	    "           [--create] [--doc-column column] [--ignore-unknown] "
	    "[--nul policy]\n"
	    "           [--progress] [--staging temp|unlogged] "
	    "[--summary format] [file]\n"
	    "       cvx-pg-load -c [-d conninfo] [-s schema] table ...\n");
	exit(status);
}

/* Seconds on the monotonic clock. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SIGINT/SIGTERM: note it, cancel the server's work, and end our input. */
static void
on_signal(int sig)
{
	char buf[64];
	int saved = errno;

	(void)sig;
	got_signal = 1;
	/* PQcancel is documented as safe in a signal handler. */
	if (cancel != NULL)
		(void)PQcancel(cancel, buf, sizeof(buf));
	/* A read blocked on an idle upstream now sees end of file. */
	if (devnull_fd >= 0 && input_fd >= 0)
		(void)dup2(devnull_fd, input_fd);
	errno = saved;
}

/* End an open COPY with an error, roll back, disconnect. */
static void
rollback(void)
{
	PGresult *r;
	int i;

	if (conn == NULL)
		return;
	if (active != NULL &&
	    PQputCopyEnd(conn, "cvx-pg-load: load aborted") == 1)
		for (i = 0; i < 100 && (r = PQgetResult(conn)) != NULL; i++)
			PQclear(r);
	active = NULL;
	if (PQstatus(conn) == CONNECTION_OK)
		PQclear(PQexec(conn, "ROLLBACK"));
	PQfinish(conn);
	conn = NULL;
}

/* Report an error, roll the transaction back, exit 1. */
static void
fail(const char *fmt, ...)
{
	va_list ap;

	if (got_signal)
		warnx("interrupted by a signal: rolled back");
	else {
		va_start(ap, fmt);
		vwarnx(fmt, ap);
		va_end(ap);
	}
	rollback();
	exit(1);
}

/* printf arguments for the first line of a message: "%.*s". */
#define ONELINE(s)	(int)strcspn((s), "\n"), (s)

static void end_copy(struct table *);

/* Close the open COPY, if any: the connection can run a command again. */
static void
end_active(void)
{
	if (active != NULL)
		end_copy(active);
}

/* The server's message for r, without libpq's "ERROR:  " before it. */
static const char *
pg_message(const PGresult *r)
{
	const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	return m != NULL ? m : PQerrorMessage(conn);
}

/*
 * Fail with the statement sql that r answered: "what: sql: message:
 * detail" and hint; the detail names, for one, the referencing table.
 */
static void __attribute__((noreturn))
fail_result(const char *what, const char *sql, const PGresult *r,
    const char *hint)
{
	const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);

	fail("%s: %s: %.*s%s%.*s%s", what, sql, ONELINE(pg_message(r)),
	    detail ? ": " : "", ONELINE(detail ? detail : ""), hint);
}

/* Run sql (no parameters) and die unless it returned want. */
static PGresult *
exec_sql(const char *sql, ExecStatusType want, const char *what)
{
	PGresult *r;

	end_active();
	r = PQexec(conn, sql);

	if (PQresultStatus(r) != want)
		fail("%s: %.*s", what, ONELINE(pg_message(r)));
	return r;
}

/* Run sql with text parameters; die unless it returned tuples. */
static PGresult *
query(const char *sql, int n, const char *const *params, const char *what)
{
	PGresult *r;

	end_active();
	r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail("%s: %.*s", what, ONELINE(pg_message(r)));
	return r;
}

/* An identifier quoted for SQL, owned by the caller. */
static char *
quote(const char *name)
{
	char *q, *s;

	if (strlen(name) > MAX_IDENT)
		fail("%s: name longer than %d bytes", name, MAX_IDENT);
	if ((q = PQescapeIdentifier(conn, name, strlen(name))) == NULL)
		fail("%s: %.*s", name, ONELINE(PQerrorMessage(conn)));
	s = cvx_strdup(q);
	PQfreemem(q);
	return s;
}

/* Connect; in a dry run, an unreachable database means parse only. */
static void
connect_db(void)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { opt_conninfo, "cvx-pg-load", NULL };
	PGresult *r;

	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL)
		errx(1, "database: out of memory");
	if (PQstatus(conn) != CONNECTION_OK) {
		/* libpq's message never holds the password. */
		if (!opt_dry_run || opt_count)
			fail("database: %.*s", ONELINE(PQerrorMessage(conn)));
		warnx("database: %.*s: dry run without a database: "
		    "parsing and counting only", ONELINE(PQerrorMessage(conn)));
		PQfinish(conn);
		conn = NULL;
		return;
	}
	if (PQsetClientEncoding(conn, "UTF8") != 0)
		fail("database: %.*s", ONELINE(PQerrorMessage(conn)));
	/* DROP ... IF EXISTS and the like: not worth the user's attention. */
	PQclear(exec_sql("SET client_min_messages = warning", PGRES_COMMAND_OK,
	    "database"));
	/*
	 * COPY data is queued, not waited for: the socket holds a few
	 * milliseconds of the server's work, and a blocking send would let it
	 * run dry while we convert the next chunk (push() refills it as we
	 * go).  PQexec and PQgetResult still wait, and send what is queued.
	 */
	if (PQsetnonblocking(conn, 1) != 0)
		fail("database: %.*s", ONELINE(PQerrorMessage(conn)));
	cancel = PQgetCancel(conn);
	if (opt_schema != NULL)
		schema_raw = cvx_strdup(opt_schema);
	else {
		r = query("SELECT current_schema()", 0, NULL, "database");
		if (PQgetisnull(r, 0, 0))
			fail("database: no schema in search_path: use -s");
		schema_raw = cvx_strdup(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	schema = quote(schema_raw);
}

/* --count: print table<TAB>count for each operand, sorted as cvx-count. */
static int
count_tables(int argc, char **argv)
{
	struct cvx_buf sql = { 0 };
	PGresult *r;
	char *q;
	int i, j;

	/* Insertion sort by bytes (strcmp compares unsigned chars). */
	for (i = 1; i < argc; i++)
		for (j = i; j > 0 && strcmp(argv[j - 1], argv[j]) > 0; j--) {
			q = argv[j];
			argv[j] = argv[j - 1];
			argv[j - 1] = q;
		}
	for (i = 0; i < argc; i++) {
		q = quote(argv[i]);
		cvx_buf_reset(&sql);
		cvx_buf_printf(&sql, "SELECT count(*) FROM %s.%s", schema, q);
		r = exec_sql(sql.p, PGRES_TUPLES_OK, argv[i]);
		if (printf("%s\t%s\n", argv[i], PQgetvalue(r, 0, 0)) < 0)
			fail("stdout: write error");
		PQclear(r);
		free(q);
	}
	cvx_buf_free(&sql);
	PQfinish(conn);
	conn = NULL;
	return cvx_close_stdout();
}

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
	    "  AND o.oprleft = bt.oid AND o.oprright = bt.oid)"
	    " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
	    " JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd'"
	    "  THEN t.typbasetype ELSE t.oid END"
	    " LEFT JOIN pg_type et ON et.oid = bt.typelem"
	    "  AND bt.typcategory = 'A'"
	    " WHERE a.attrelid = $1::oid AND a.attnum > 0"
	    "  AND NOT a.attisdropped ORDER BY a.attnum";
	const char *params[1] = { oid };
	struct cvx_col *c;
	PGresult *r;
	int i;

	r = query(sql, 1, params, t->name);
	t->r.ncols = (size_t)PQntuples(r);
	t->r.cols = cvx_calloc(t->r.ncols, sizeof(*t->r.cols));
	for (i = 0; i < PQntuples(r); i++) {
		c = &t->r.cols[i];
		c->name = cvx_strdup(PQgetvalue(r, i, 0));
		c->namelen = strlen(c->name);
		c->qname = quote(c->name);
		c->type = cvx_pgtype_of(PQgetvalue(r, i, 1),
		    *PQgetvalue(r, i, 2));
		c->elem = cvx_pgtype_of(PQgetvalue(r, i, 3),
		    *PQgetvalue(r, i, 4));
		c->has_default = *PQgetvalue(r, i, 5) == 't';
		c->text_eq = *PQgetvalue(r, i, 6) == 't';
	}
	PQclear(r);
}

/*
 * The next name of the comma-separated list at *p (its length in *n), or
 * NULL at the end; *p moves past it.  Names may be empty (",,").
 */
static const char *
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
static void
load_key(struct table *t, const char *oid)
{
	static const char sql[] =
	    "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
	    " ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
	    " WHERE i.indrelid = $1::oid AND i.indisprimary"
	    " ORDER BY array_position(i.indkey::int2[], a.attnum)";
	const char *params[1] = { oid }, *p = opt_key, *name;
	PGresult *r;
	size_t n;
	long ci;
	int i;

	t->key = cvx_calloc(t->r.ncols + 1, sizeof(*t->key));
	if (opt_key != NULL) {
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
		fail("table %s: no primary key: name the merge key with -k",
		    t->name);
}

/* Merge: create the staging table, with t's columns and no constraints. */
static void
create_stage(struct table *t, const char *oid)
{
	struct cvx_buf sql = { 0 };
	char name[64], *q;

	snprintf(name, sizeof(name), "cvx_stage_%s", oid);
	q = quote(name);
	if (opt_unlogged) {
		/* A real table, so Citus can distribute it like the target. */
		cvx_buf_printf(&sql, "%s.%s", schema, q);
		t->qstage = cvx_strdup(sql.p);
		cvx_buf_reset(&sql);
		cvx_buf_printf(&sql, "DROP TABLE IF EXISTS %s", t->qstage);
		PQclear(exec_sql(sql.p, PGRES_COMMAND_OK, t->name));
		cvx_buf_reset(&sql);
		cvx_buf_printf(&sql, "CREATE UNLOGGED TABLE %s AS "
		    "SELECT * FROM %s WITH NO DATA", t->qstage, t->qname);
	} else {
		cvx_buf_printf(&sql, "pg_temp.%s", q);
		t->qstage = cvx_strdup(sql.p);
		cvx_buf_reset(&sql);
		cvx_buf_printf(&sql, "CREATE TEMP TABLE %s AS "
		    "SELECT * FROM %s WITH NO DATA", q, t->qname);
	}
	PQclear(exec_sql(sql.p, PGRES_COMMAND_OK, t->name));
	free(q);
	cvx_buf_free(&sql);
}

/* Is name one of the comma-separated list's names? */
static bool
in_list(const char *list, const char *name)
{
	size_t len = strlen(name), n;
	const char *item;

	while ((item = list_next(&list, &n)) != NULL)
		if (n == len && memcmp(item, name, n) == 0)
			return true;
	return false;
}

/* The server's SQLSTATE of r is code. */
static bool
sqlstate_is(const PGresult *r, const char *code)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return state != NULL && strcmp(state, code) == 0;
}

/*
 * Merge into a table that is empty (or new) copies straight into it, as
 * insert does: staging and then INSERT ... ON CONFLICT would cost half as
 * much again for rows that can only be inserted.  The table is locked
 * against other writers (SHARE ROW EXCLUSIVE, until COMMIT), so its rows
 * stay this load's alone; a key the stream repeats sends the table's rows
 * to staging after all (redo_in_stage).
 */
static bool
merge_direct(struct table *t)
{
	struct cvx_buf sql = { 0 }, keys = { 0 };
	PGresult *r;
	bool empty;
	size_t i;

	/*
	 * The merge needs a unique index on its key: ask the planner now,
	 * as the INSERT ... ON CONFLICT at the end would (42P10).
	 */
	for (i = 0; i < t->nkey; i++)
		cvx_buf_printf(&keys, "%s%s", i ? ", " : "",
		    t->r.cols[t->key[i]].qname);
	cvx_buf_printf(&sql, "EXPLAIN INSERT INTO %s (%s) SELECT %s FROM %s "
	    "WHERE false ON CONFLICT (%s) DO NOTHING", t->qname, keys.p, keys.p,
	    t->qname, keys.p);
	end_active();
	r = PQexec(conn, sql.p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail("table %s: merge key %s: %.*s", t->name, opt_key ? opt_key :
		    "(primary key)", ONELINE(pg_message(r)));
	PQclear(r);
	cvx_buf_reset(&sql);
	cvx_buf_free(&keys);
	if (opt_commit_every || (t->relkind != 'r' && t->relkind != 'p'))
		return false;
	if (t->created)
		return true;
	PQclear(exec_sql("SAVEPOINT cvx_probe", PGRES_COMMAND_OK, t->name));
	cvx_buf_printf(&sql, "LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE",
	    t->qname);
	r = PQexec(conn, sql.p);
	/* The lock needs UPDATE, DELETE or TRUNCATE rights: else, stage. */
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    !sqlstate_is(r, "42501"))
		fail("table %s: %.*s", t->name, ONELINE(pg_message(r)));
	empty = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	cvx_buf_reset(&sql);
	if (empty) {
		cvx_buf_printf(&sql, "SELECT NOT EXISTS (SELECT FROM %s)",
		    t->qname);
		r = exec_sql(sql.p, PGRES_TUPLES_OK, t->name);
		empty = *PQgetvalue(r, 0, 0) == 't';
		PQclear(r);
	}
	cvx_buf_free(&sql);
	/* A table with rows is not locked: rolling back releases it. */
	if (!empty)
		PQclear(exec_sql("ROLLBACK TO SAVEPOINT cvx_probe",
		    PGRES_COMMAND_OK, t->name));
	PQclear(exec_sql("RELEASE SAVEPOINT cvx_probe", PGRES_COMMAND_OK,
	    t->name));
	return empty;
}

/* Replace: spool the input from this line on (see empty_table). */
static void
spool_start(uint64_t line)
{
	struct cvx_buf dir = { 0 };

	if ((spool_fd = cvx_tmpfile(NULL, &dir)) < 0)
		fail("line %llu: spool in %s: %s", (unsigned long long)line,
		    dir.p, strerror(errno));
	cvx_buf_free(&dir);
	spool_line = line;
}

/* Add a line to the spool; with NULL, write out what is buffered. */
static void
spool_put(const char *line, size_t len)
{
	if (line != NULL) {
		cvx_buf_add(&spool_buf, line, len);
		cvx_buf_addc(&spool_buf, '\n');
	}
	if (spool_buf.len >= CVX_IOSIZE || (line == NULL && spool_buf.len)) {
		if (cvx_write_all(spool_fd, spool_buf.p, spool_buf.len) != 0)
			fail("spooling the input (see TMPDIR): %s",
			    strerror(errno));
		cvx_buf_reset(&spool_buf);
	}
}

/*
 * Replace empties each table at first sight, so that its rows stream
 * straight in.  PostgreSQL refuses to TRUNCATE a table that another one
 * references (0A000) unless both are emptied in one statement, and which
 * tables the stream holds is known only at its end.  So from such a table
 * on, the input is spooled; at its end the tables first seen since are
 * emptied together and the spool is loaded (replay_spool).  -T names them
 * up front instead.
 */
static void
empty_table(struct table *t, uint64_t line)
{
	struct cvx_buf sql = { 0 };
	PGresult *r;

	if (spool_fd >= 0) {
		t->pending = true;
		return;
	}
	PQclear(exec_sql("SAVEPOINT cvx_truncate", PGRES_COMMAND_OK, t->name));
	cvx_buf_printf(&sql, "TRUNCATE %s", t->qname);
	r = PQexec(conn, sql.p);
	cvx_buf_free(&sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		if (!sqlstate_is(r, "0A000"))
			fail("table %s: %.*s", t->name, ONELINE(pg_message(r)));
		PQclear(exec_sql("ROLLBACK TO SAVEPOINT cvx_truncate",
		    PGRES_COMMAND_OK, t->name));
		t->pending = true;
		spool_start(line);
	}
	PQclear(r);
	PQclear(exec_sql("RELEASE SAVEPOINT cvx_truncate", PGRES_COMMAND_OK,
	    t->name));
}

/* Find the table (creating it with --create), read its columns, prepare. */
static void
setup_table(struct table *t, uint64_t line)
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
	if (PQntuples(r) == 0 && opt_create) {
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
	if (t->created || opt_doc_column != NULL) {
		const char *dc = t->created ? "doc" : opt_doc_column;

		t->r.doc = cvx_rows_find(&t->r, dc, strlen(dc));
		if (t->r.doc >= 0 && t->r.cols[t->r.doc].type != CVX_PG_JSON &&
		    t->r.cols[t->r.doc].type != CVX_PG_JSONB)
			fail("table %s: --doc-column %s is not json or jsonb",
			    t->name, dc);
	}
	cvx_buf_free(&s);
	if (opt_mode == MODE_MERGE) {
		load_key(t, t->oid);
		if (!(t->direct = merge_direct(t)))
			create_stage(t, t->oid);
	} else if (opt_mode == MODE_REPLACE && !t->created &&
	    !in_list(opt_truncate, t->name))
		empty_table(t, line);
}

/* The table named name[0..n), set up on first sight. */
static struct table *
get_table(const char *name, size_t n, uint64_t line)
{
	static struct table *last;
	struct table *t;
	size_t i;

	if (last != NULL && strlen(last->name) == n &&
	    memcmp(last->name, name, n) == 0)
		return last;
	for (i = 0; i < ntables; i++)
		if (strlen(tables[i]->name) == n &&
		    memcmp(tables[i]->name, name, n) == 0)
			return last = tables[i];
	if (memchr(name, '\0', n) != NULL)
		fail("line %llu: table name holds U+0000",
		    (unsigned long long)line);
	t = cvx_calloc(1, sizeof(*t));
	t->name = cvx_malloc(n + 1);
	memcpy(t->name, name, n);
	t->name[n] = '\0';
	t->r.doc = -1;
	t->t_first = now();
	tables = cvx_reallocarray(tables, ntables + 1, sizeof(*tables));
	tables[ntables++] = t;
	if (conn != NULL)
		setup_table(t, line);
	return last = t;
}

/* Fail with a COPY error, naming the input line the server's row was. */
static void
copy_error(struct table *t, const PGresult *r)
{
	const char *msg, *detail, *col = "";
	uint64_t row, line = 0;

	msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
	if (msg == NULL)
		msg = PQerrorMessage(conn);
	if (cvx_copy_context(PQresultErrorField(r, PG_DIAG_CONTEXT), &row,
	    &col))
		line = cvx_rows_line(&t->r, row);
	if (col == NULL)
		col = "";
	if (line != 0)
		fail("line %llu: table %s%s%.*s: %.*s%s%.*s",
		    (unsigned long long)line, t->name,
		    *col ? ", " : "", ONELINE(col), ONELINE(msg),
		    detail ? ": " : "", ONELINE(detail ? detail : ""));
	fail("table %s: %.*s%s%.*s", t->name, ONELINE(msg),
	    detail ? ": " : "", ONELINE(detail ? detail : ""));
}

/* Open the COPY for t's current column list. */
static void
start_copy(struct table *t)
{
	struct cvx_buf sql = { 0 };
	PGresult *r;
	size_t i;

	/* Merging straight in: a repeated key undoes this COPY alone. */
	if (t->direct)
		PQclear(exec_sql("SAVEPOINT cvx_copy", PGRES_COMMAND_OK,
		    t->name));
	cvx_buf_printf(&sql, "COPY %s (", opt_mode == MODE_MERGE &&
	    !t->direct ? t->qstage : t->qname);
	for (i = 0; i < t->r.nlist; i++)
		cvx_buf_printf(&sql, "%s%s", i ? ", " : "",
		    t->r.cols[t->r.list[i]].qname);
	cvx_buf_adds(&sql, ") FROM STDIN");
	/* FREEZE needs a table truncated or created in this transaction. */
	if (opt_mode == MODE_REPLACE && t->relkind == 'r')
		cvx_buf_adds(&sql, " WITH (FREEZE)");
	r = PQexec(conn, sql.p);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		fail("table %s: %.*s", t->name, ONELINE(pg_message(r)));
	PQclear(r);
	cvx_buf_free(&sql);
	active = t;
}

/* Send what libpq has queued, as far as the socket takes it now. */
static void
push(void)
{
	int r;

	pushed_at = total_bytes;
	if ((r = PQflush(conn)) < 0)
		fail("database: %.*s", ONELINE(PQerrorMessage(conn)));
	unsent = r == 1;
}

/*
 * Wait until libpq has sent all it queued, so that no more than one chunk
 * waits in memory.  What the server sends meanwhile (a notice, an error)
 * is read, so that it never blocks on us while we block on it.
 */
static void
drain(void)
{
	struct pollfd pfd = { .fd = PQsocket(conn), .events = POLLIN | POLLOUT };

	for (push(); unsent; push()) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			fail("database: poll: %s", strerror(errno));
		if ((pfd.revents & POLLIN) && !PQconsumeInput(conn))
			fail("database: %.*s",
			    ONELINE(PQerrorMessage(conn)));
	}
}

/*
 * Queue n bytes of COPY data.  NULL if they were; if the server gave up
 * on the COPY, its error (the caller's to clear), and the COPY is over.
 */
static PGresult *
put_copy(struct table *t, const char *p, size_t n)
{
	PGresult *r;

	if (unsent)
		drain();
	if (PQputCopyData(conn, p, (int)n) == 1) {
		unsent = true;
		return NULL;
	}
	active = NULL;
	if ((r = PQgetResult(conn)) != NULL &&
	    PQresultStatus(r) == PGRES_FATAL_ERROR)
		return r;
	fail("table %s: %.*s", t->name, ONELINE(PQerrorMessage(conn)));
}

/*
 * Merging straight into an empty table met a key twice (23505): undo the
 * open COPY, and send its rows and all the table's later ones to staging
 * after all, where the merge at the end lets the last of a key win.  The
 * COPY to staging is left open, its rows numbered as before.
 */
static void
redo_in_stage(struct table *t)
{
	PGresult *r;

	while ((r = PQgetResult(conn)) != NULL)
		PQclear(r);
	PQclear(exec_sql("ROLLBACK TO SAVEPOINT cvx_copy", PGRES_COMMAND_OK,
	    t->name));
	PQclear(exec_sql("RELEASE SAVEPOINT cvx_copy", PGRES_COMMAND_OK,
	    t->name));
	t->direct = false;
	create_stage(t, t->oid);
	start_copy(t);
	if (t->seg.len > 0 && (r = put_copy(t, t->seg.p, t->seg.len)) != NULL)
		copy_error(t, r);
	cvx_buf_free(&t->seg);
}

/* Close t's COPY and check what the server made of it. */
static void
end_copy(struct table *t)
{
	PGresult *r;
	uint64_t n;

	/* Queued after the data; PQgetResult sends both. */
	if (PQputCopyEnd(conn, NULL) != 1)
		fail("table %s: %.*s", t->name, ONELINE(PQerrorMessage(conn)));
	active = NULL;
	r = PQgetResult(conn);
	unsent = false;
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		if (!t->direct || !sqlstate_is(r, "23505"))
			copy_error(t, r);
		PQclear(r);
		redo_in_stage(t);
		end_copy(t);
		return;
	}
	n = strtoull(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	while ((r = PQgetResult(conn)) != NULL)
		PQclear(r);
	t->sent += n;
	if (t->direct) {
		PQclear(exec_sql("RELEASE SAVEPOINT cvx_copy",
		    PGRES_COMMAND_OK, t->name));
		cvx_buf_reset(&t->seg);
		t->direct_rows += n;
		t->inserted += n;
	} else if (opt_mode == MODE_MERGE)
		t->staged += n;
	else
		t->inserted += n;
	cvx_rows_restart(&t->r, t->copied);
	t->copied = 0;
	t->t_done = now();
}

/* Send t's buffered rows, switching the open COPY to t if needed. */
static void
send_one(struct table *t)
{
	PGresult *r;

	if (t->r.data.len == 0)
		return;
	if (active != t) {
		if (active != NULL)
			end_copy(active);
		start_copy(t);
	}
	if (t->direct)
		cvx_buf_add(&t->seg, t->r.data.p, t->r.data.len);
	if ((r = put_copy(t, t->r.data.p, t->r.data.len)) != NULL) {
		if (!t->direct || !sqlstate_is(r, "23505"))
			copy_error(t, r);
		PQclear(r);
		redo_in_stage(t);
	}
	t->copied = t->r.nrows;
	cvx_buf_reset(&t->r.data);
	/* Bounded memory: a new COPY, and savepoint, every SEG_MAX bytes. */
	if (t->direct && t->seg.len >= SEG_MAX)
		end_copy(t);
}

/*
 * Send every table's buffered rows in the order the tables first appeared,
 * so that rows reach the server in stream order table by table: a parent
 * read before its children is there when their triggers look it up.
 */
static void
send_all(void)
{
	size_t i;

	for (i = 0; i < ntables; i++)
		send_one(tables[i]);
}

/* Send what is buffered and close t's COPY, so its column list may change. */
static void
flush_table(struct table *t)
{
	send_all();
	if (active == t)
		end_copy(t);
}

/* A document names column ci for the first time: add it to the list. */
static void
add_column(struct table *t, size_t ci)
{
	struct cvx_buf sql = { 0 };

	flush_table(t);
	cvx_rows_list_add(&t->r, ci);
	/*
	 * Rows already copied without this column got its DEFAULT, but a key
	 * some documents lack loads as NULL.  They are exactly the rows this
	 * transaction wrote to t (merge stages them without defaults); a
	 * table merged straight into held none before and is locked.
	 */
	if (!t->r.cols[ci].has_default)
		return;
	if (t->direct_rows > 0)
		cvx_buf_printf(&sql, "UPDATE %s SET %s = NULL", t->qname,
		    t->r.cols[ci].qname);
	else if (opt_mode != MODE_MERGE && t->sent > 0)
		cvx_buf_printf(&sql, "UPDATE %s SET %s = NULL WHERE "
		    "xmin = pg_current_xact_id()::xid", t->qname,
		    t->r.cols[ci].qname);
	if (sql.len > 0)
		PQclear(exec_sql(sql.p, PGRES_COMMAND_OK, t->name));
	cvx_buf_free(&sql);
}

/* Convert the document into a row of its table's COPY data. */
static void
load_doc(struct table *t, const char *line, size_t len, uint64_t lineno)
{
	struct cvx_col *c;
	const char *why;
	size_t i;
	long ci;

	if (cvx_rows_match(&t->r, &doc, lineno, &scratch) > 0 &&
	    t->r.doc < 0 && !opt_ignore_unknown)
		fail("line %llu: table %s: no column for key(s) %s (see "
		    "--ignore-unknown, --doc-column)",
		    (unsigned long long)lineno, t->name, scratch.p);
	for (i = 0; i < t->r.ncols; i++)
		if (!t->r.cols[i].listed && (t->r.cols[i].stamp == lineno ||
		    (long)i == t->r.doc))
			add_column(t, i);
	if (cvx_rows_append(&t->r, &doc, line, len, lineno, opt_nul, &ci,
	    &why) != 0) {
		c = &t->r.cols[ci];
		if (ci == t->r.doc)
			fail("line %llu: table %s, column %s: %s (see --nul)",
			    (unsigned long long)lineno, t->name, c->name, why);
		fail("line %llu: table %s, column %s: %s: %.*s%s",
		    (unsigned long long)lineno, t->name, c->name, why,
		    (int)(c->vlen > 80 ? 80 : c->vlen), c->val,
		    c->vlen > 80 ? "..." : "");
	}
	if (t->r.data.len >= CHUNK)
		send_all();
	if (t->r.nruns >= MAX_RUNS)
		flush_table(t);
}

/* The table of the document: _component:_table, or -t. */
static struct table *
route(uint64_t line)
{
	switch (cvx_doc_route(&doc, &scratch)) {
	case 1:
		return get_table(scratch.p, scratch.len, line);
	case 0:
		if (opt_table == NULL)
			fail("line %llu: no _table field (-t names the table "
			    "of untagged input)", (unsigned long long)line);
		return get_table(opt_table, strlen(opt_table), line);
	default:
		fail("line %llu: _table or _component is not a non-empty "
		    "string", (unsigned long long)line);
	}
}

/* Merge: upsert t's staged rows into t; unchanged rows are not written. */
static void
merge_table(struct table *t)
{
	struct cvx_buf s = { 0 };
	const char *sqlstate;
	uint64_t ins, upd, keys;
	PGresult *r;
	size_t i;

	flush_table(t);
	if (t->sent == 0)
		return;
	for (i = 0; i < t->nkey; i++)
		if (!t->r.cols[t->key[i]].listed)
			fail("table %s: no document names the key column %s",
			    t->name, t->r.cols[t->key[i]].name);
	if (t->staged == 0)
		return;
	/*
	 * Sorting every staged row to drop duplicate keys costs a fifth of the
	 * merge: try without, and sort only if a key was staged twice.
	 */
	PQclear(exec_sql("SAVEPOINT cvx_merge", PGRES_COMMAND_OK, t->name));
	cvx_merge_sql(&s, t->qname, t->qstage, &t->r, t->key, t->nkey, false);
	r = PQexec(conn, s.p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && (sqlstate =
	    PQresultErrorField(r, PG_DIAG_SQLSTATE)) != NULL &&
	    strcmp(sqlstate, "21000") == 0) {
		PQclear(r);
		PQclear(exec_sql("ROLLBACK TO SAVEPOINT cvx_merge",
		    PGRES_COMMAND_OK, t->name));
		cvx_buf_reset(&s);
		cvx_merge_sql(&s, t->qname, t->qstage, &t->r, t->key, t->nkey,
		    true);
		r = PQexec(conn, s.p);
	}
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		copy_error(t, r);
	PQclear(exec_sql("RELEASE SAVEPOINT cvx_merge", PGRES_COMMAND_OK,
	    t->name));
	ins = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
	upd = strtoull(PQgetvalue(r, 0, 2), NULL, 10);
	keys = PQgetisnull(r, 0, 0) ? t->staged :
	    strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	t->inserted += ins;
	t->updated += upd;
	t->unchanged += keys - ins - upd;
	PQclear(r);
	cvx_buf_reset(&s);
	cvx_buf_printf(&s, "TRUNCATE %s", t->qstage);
	PQclear(exec_sql(s.p, PGRES_COMMAND_OK, t->name));
	t->staged = 0;
	t->t_done = now();
	cvx_buf_free(&s);
}

/* Send everything, merge what is staged: the work before COMMIT. */
static void
finish_tables(void)
{
	size_t i;

	for (i = 0; i < ntables; i++) {
		if (opt_mode == MODE_MERGE)
			merge_table(tables[i]);
		else
			flush_table(tables[i]);
	}
}

/* Merge with --staging unlogged: drop the staging tables before COMMIT. */
static void
drop_stages(void)
{
	struct cvx_buf sql = { 0 };
	size_t i;

	for (i = 0; i < ntables && opt_unlogged; i++) {
		if (tables[i]->qstage == NULL)
			continue;
		cvx_buf_reset(&sql);
		cvx_buf_printf(&sql, "DROP TABLE %s", tables[i]->qstage);
		PQclear(exec_sql(sql.p, PGRES_COMMAND_OK, tables[i]->name));
	}
	cvx_buf_free(&sql);
}

/* --commit-every: merge and commit what is staged, start a new transaction. */
static void
checkpoint(void)
{
	PGresult *r;

	finish_tables();
	r = exec_sql("COMMIT", PGRES_COMMAND_OK, "commit");
	if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
		fail("commit: the transaction was rolled back");
	PQclear(r);
	PQclear(exec_sql("BEGIN", PGRES_COMMAND_OK, "begin"));
	since_commit = 0;
}

/* Progress on stderr, about once a second. */
static void
progress(bool last)
{
	double t = now();

	if (!last && t - t_progress < 1.0)
		return;
	t_progress = t;
	fprintf(stderr, "%scvx-pg-load: %llu rows, %.1f MB/s%s",
	    isatty(2) ? "\r" : "", (unsigned long long)total_read,
	    (double)total_bytes / 1e6 / (t - t_start + 1e-9),
	    isatty(2) && !last ? "" : "\n");
	(void)fflush(stderr);
}

/* Take one line of the stream: load the document, or spool it. */
static void
take_line(const char *line, size_t len, bool nl, uint64_t lineno)
{
	struct cvx_json_error je;
	struct table *t;
	const char *reason;

	if (got_signal)
		fail("interrupted");
	if (cvx_is_abort(line, len, &reason))
		fail("line %llu: upstream failed: %.*s",
		    (unsigned long long)lineno,
		    (int)(len - CVX_ABORT_PREFIX_LEN), reason);
	if (!nl)
		fail("line %llu: no newline at the end of the input "
		    "(a cut stream?)", (unsigned long long)lineno);
	if (cvx_doc_parse(&doc, line, len, &je) != 0)
		fail("line %llu: byte %zu: %s", (unsigned long long)lineno,
		    je.offset + 1, je.msg);
	t = route(lineno);
	if (spool_fd >= 0) {
		spool_put(line, len);
		return;
	}
	t->read++;
	total_read++;
	total_bytes += len + 1;
	if (conn != NULL) {
		load_doc(t, line, len, lineno);
		if (unsent && total_bytes - pushed_at >= PUSH_EVERY)
			push();
	}
	if (opt_progress && (total_read & 1023) == 0)
		progress(false);
	if (opt_commit_every && ++since_commit >= opt_commit_every)
		checkpoint();
}

/* Take every line of fd; the first is line first + 1 of the stream. */
static void
read_lines(int fd, const char *name, uint64_t first)
{
	struct cvx_lines in = { 0 };
	const char *line;
	size_t len;
	bool nl;
	int r;

	cvx_lines_init(&in, fd, name);
	while ((r = cvx_lines_next(&in, &line, &len, &nl)) == 1)
		take_line(line, len, nl, first + in.lineno);
	if (r < 0)
		fail("%s: %s", name, strerror(errno));
	cvx_lines_free(&in);
}

/*
 * Replace, at the end of the input: empty the tables first seen since the
 * spool began, in one statement, then load the spooled lines.
 */
static void
replay_spool(void)
{
	struct cvx_buf sql = { 0 };
	PGresult *r;
	size_t i, n = 0;
	int fd = spool_fd;

	spool_put(NULL, 0);
	cvx_buf_free(&spool_buf);
	spool_fd = -1;
	cvx_buf_adds(&sql, "TRUNCATE ");
	for (i = 0; i < ntables; i++)
		if (tables[i]->pending) {
			cvx_buf_printf(&sql, "%s%s", n++ ? ", " : "",
			    tables[i]->qname);
			tables[i]->pending = false;
		}
	end_active();
	r = PQexec(conn, sql.p);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_result("replace", sql.p, r,
		    " (-T names more tables to empty)");
	PQclear(r);
	cvx_buf_free(&sql);
	if (lseek(fd, 0, SEEK_SET) != 0)
		fail("spool: %s", strerror(errno));
	read_lines(fd, "spool", spool_line - 1);
	close(fd);
}

/* Read the stream and load every document. */
static void
load_stream(const char *path)
{
	if ((input_fd = cvx_open_input(path)) < 0)
		fail("%s: %s", path, strerror(errno));
	read_lines(input_fd, cvx_input_name(path), 0);
	if (got_signal)
		fail("interrupted");
	if (input_fd != 0)
		close(input_fd);
	input_fd = -1;		/* for the signal handler */
	if (spool_fd >= 0)
		replay_spool();
	if (got_signal)
		fail("interrupted");
	if (opt_progress && total_read > 0)
		progress(true);
}

/* Replace with -T: empty the named tables together, before any row. */
static void
empty_listed(void)
{
	struct cvx_buf sql = { 0 }, name = { 0 };
	const char *p = opt_truncate, *item;
	size_t k, n = 0;
	PGresult *r;
	char *q;

	cvx_buf_adds(&sql, "TRUNCATE ");
	while ((item = list_next(&p, &k)) != NULL) {
		if (k == 0)
			continue;
		cvx_buf_reset(&name);
		cvx_buf_add(&name, item, k);
		cvx_buf_addc(&name, '\0');
		q = quote(name.p);
		cvx_buf_printf(&sql, "%s%s.%s", n++ ? ", " : "", schema, q);
		free(q);
	}
	r = PQexec(conn, sql.p);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_result("-T", sql.p, r, "");
	PQclear(r);
	cvx_buf_free(&sql);
	cvx_buf_free(&name);
}

/* Tables by name, in byte order, for the summary. */
static int
by_name(const void *a, const void *b)
{
	return strcmp((*(struct table *const *)a)->name,
	    (*(struct table *const *)b)->name);
}

/* The per-table summary on stderr (text) or stdout (--summary json). */
static int
summary(bool committed)
{
	struct cvx_load_stat *st;
	struct cvx_buf s = { 0 };
	struct table *t;
	size_t i;

	if (opt_summary == SUM_NONE)
		return 0;
	if (ntables > 0)
		qsort(tables, ntables, sizeof(*tables), by_name);
	st = cvx_calloc(ntables, sizeof(*st));
	for (i = 0; i < ntables; i++) {
		t = tables[i];
		st[i].table = t->name;
		st[i].read = t->read;
		st[i].inserted = t->inserted;
		st[i].updated = t->updated;
		st[i].unchanged = t->unchanged;
		st[i].seconds = (t->t_done > 0 ? t->t_done : now()) -
		    t->t_first;
	}
	if (opt_summary == SUM_TEXT) {
		cvx_summary_append(&s, false, st, ntables);
		fprintf(stderr, "%s" "cvx-pg-load: %llu documents, %s\n", s.p ?
		    s.p : "", (unsigned long long)total_read, committed ?
		    "committed" : conn == NULL ? "dry run without a database" :
		    "dry run: rolled back");
		free(st);
		cvx_buf_free(&s);
		return 0;
	}
	cvx_buf_printf(&s, "{\"mode\":\"%s\",\"dry_run\":%s,\"committed\":%s,"
	    "\"tables\":[", opt_mode == MODE_MERGE ? "merge" :
	    opt_mode == MODE_REPLACE ? "replace" : "insert",
	    opt_dry_run ? "true" : "false", committed ? "true" : "false");
	cvx_summary_append(&s, true, st, ntables);
	cvx_buf_adds(&s, "]}\n");
	if (fwrite(s.p, 1, s.len, stdout) != s.len)
		warnx("stdout: write error");
	free(st);
	cvx_buf_free(&s);
	return cvx_close_stdout();
}

/* The index of arg in the NULL-terminated names; usage error if none. */
static int
pick(const char *arg, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(arg, names[i]) == 0)
			return i;
	warnx("%s: not one of the choices", arg);
	usage(stderr, 2);
}

/* Parse a positive row count for --commit-every. */
static uint64_t
parse_rows(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || *s == '-') {
		warnx("--commit-every: not a positive number: %s", s);
		usage(stderr, 2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	enum { O_COMMIT = 256, O_CREATE, O_DOC, O_IGNORE, O_NUL, O_PROGRESS,
	    O_STAGING, O_SUMMARY };
	static const struct option longopts[] = {
		{ "count",		no_argument,		NULL, 'c' },
		{ "dbname",		required_argument,	NULL, 'd' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "key",		required_argument,	NULL, 'k' },
		{ "mode",		required_argument,	NULL, 'm' },
		{ "dry-run",		no_argument,		NULL, 'n' },
		{ "schema",		required_argument,	NULL, 's' },
		{ "table",		required_argument,	NULL, 't' },
		{ "truncate",		required_argument,	NULL, 'T' },
		{ "version",		no_argument,		NULL, 'V' },
		{ "commit-every",	required_argument,	NULL, O_COMMIT },
		{ "create",		no_argument,		NULL, O_CREATE },
		{ "doc-column",		required_argument,	NULL, O_DOC },
		{ "ignore-unknown",	no_argument,		NULL, O_IGNORE },
		{ "nul",		required_argument,	NULL, O_NUL },
		{ "progress",		no_argument,		NULL, O_PROGRESS },
		{ "staging",		required_argument,	NULL, O_STAGING },
		{ "summary",		required_argument,	NULL, O_SUMMARY },
		{ NULL,			0,			NULL, 0 }
	};
	/* Option words, in the order of their enum values. */
	static const char *const modes[] = { "insert", "merge", "replace",
	    NULL };
	static const char *const nuls[] = { "reject", "strip", "replace",
	    NULL };
	static const char *const stagings[] = { "temp", "unlogged", NULL };
	static const char *const summaries[] = { "text", "json", "none",
	    NULL };
	struct sigaction sa;
	PGresult *r;
	bool committed = false;
	int ch;

	cvx_stderr_lines();
	while ((ch = getopt_long(argc, argv, "cd:hk:m:ns:T:t:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': opt_count = true; break;
		case 'd': opt_conninfo = optarg; break;
		case 'h': usage(stdout, 0);
		case 'k': opt_key = optarg; break;
		case 'm': opt_mode = pick(optarg, modes); break;
		case 'n': opt_dry_run = true; break;
		case 's': opt_schema = optarg; break;
		case 'T': opt_truncate = optarg; break;
		case 't': opt_table = optarg; break;
		case 'V':
			puts("cvx-pg-load " CVX_VERSION);
			return cvx_close_stdout();
		case O_COMMIT: opt_commit_every = parse_rows(optarg); break;
		case O_CREATE: opt_create = true; break;
		case O_DOC: opt_doc_column = optarg; break;
		case O_IGNORE: opt_ignore_unknown = true; break;
		case O_NUL: opt_nul = pick(optarg, nuls); break;
		case O_PROGRESS: opt_progress = true; break;
		case O_STAGING: opt_unlogged = pick(optarg, stagings); break;
		case O_SUMMARY: opt_summary = pick(optarg, summaries); break;
		default:
			usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	if (opt_count ? argc < 1 : argc > 1)
		usage(stderr, 2);
	if (opt_mode != MODE_MERGE && (opt_commit_every || opt_key)) {
		warnx("--commit-every and --key need --mode merge");
		usage(stderr, 2);
	}
	if (opt_truncate != NULL && (opt_mode != MODE_REPLACE ||
	    opt_truncate[strspn(opt_truncate, ",")] == '\0')) {
		warnx("-T needs --mode replace and a table name");
		usage(stderr, 2);
	}
	if (opt_dry_run)
		opt_commit_every = 0;	/* a dry run commits nothing */
	if (opt_conninfo == NULL &&
	    (opt_conninfo = getenv("DATABASE_URL")) == NULL)
		opt_conninfo = "";	/* libpq's PG* environment */
	if (isatty(2))
		opt_progress = true;

	connect_db();
	if (opt_count)
		return count_tables(argc, argv);

	/* Signals roll the transaction back (fail() sees got_signal). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	t_start = t_progress = now();
	if (conn != NULL) {
		PQclear(exec_sql("BEGIN", PGRES_COMMAND_OK, "begin"));
		if (opt_truncate != NULL)
			empty_listed();
	}
	load_stream(argc == 1 ? argv[0] : NULL);
	if (conn != NULL) {
		finish_tables();
		drop_stages();
		if (got_signal)
			fail("interrupted");
		if (opt_dry_run)
			PQclear(exec_sql("ROLLBACK", PGRES_COMMAND_OK,
			    "rollback"));
		else {
			r = exec_sql("COMMIT", PGRES_COMMAND_OK, "commit");
			if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
				fail("commit: the transaction was rolled back");
			PQclear(r);
			committed = true;
		}
	}
	ch = summary(committed);
	if (conn != NULL) {
		PQfreeCancel(cancel);
		cancel = NULL;
		PQfinish(conn);
		conn = NULL;
	}
	return ch;
}
