/* SPDX-License-Identifier: MIT */
/*
 * late.c: cvx-pg-load's late-column rule.  A column first named partway
 * through a table's rows: the rows copied before it took its DEFAULT, but
 * a key some documents lack loads as NULL (a Convex optional field), so
 * those rows must be set to NULL, and only those: wrong data with exit 0
 * is the one outcome this tool must never have.
 *
 * The cheap way selects the rows this transaction wrote (xmin), or, in a
 * table merged into straight (empty, and locked), all of them.  That is
 * exact only where this load's statements wrote every such row, and where
 * transaction ids are the node's own.  So:
 *
 * - Citus tables live on other nodes, whose transaction ids differ from
 *   the coordinator's (design.md, "Beyond one machine"); nor are triggers
 *   and rules that may write rows (their function's text names a write, or
 *   is not SQL or PL/pgSQL), rules, event triggers and cascading updates
 *   safe.  There, a table with a DEFAULT is loaded through a staging table
 *   without defaults, moved in at the end by INSERT ... SELECT of the
 *   columns some document named: the rows that lacked one hold NULL, and
 *   no row needs fixing.
 * - Elsewhere rows go straight in, and the fix first proves that nothing
 *   else wrote the table in this transaction: with no user trigger, rule,
 *   event trigger or cascade at all, by construction; else by the
 *   transaction's own counts of rows inserted and updated in the table
 *   (pg_stat_xact_all_tables), which must be this load's.  What a trigger
 *   hid from the test above fails the load rather than guess.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cvx-pg-load.h"

/* Once a table is staged, every table after it is too (see late_setup). */
static bool staging_since;

/* User triggers, enabled, outside the system catalogs (Citus has some). */
#define USER_TRIGGERS \
	"SELECT FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid" \
	" JOIN pg_proc p ON p.oid = g.tgfoid JOIN pg_language l" \
	" ON l.oid = p.prolang WHERE NOT g.tgisinternal AND g.tgenabled <> 'D'" \
	" AND c.relnamespace <> 'pg_catalog'::regnamespace"
/* Rules, enabled event triggers not an extension's, cascading updates. */
#define OTHER_WRITERS \
	" OR EXISTS (SELECT FROM pg_rewrite r JOIN pg_class c" \
	"  ON c.oid = r.ev_class WHERE r.rulename <> '_RETURN'" \
	"  AND c.relnamespace <> 'pg_catalog'::regnamespace)" \
	" OR EXISTS (SELECT FROM pg_event_trigger e" \
	"  WHERE e.evtenabled <> 'D' AND NOT EXISTS (SELECT FROM pg_depend d" \
	"  WHERE d.classid = 'pg_event_trigger'::regclass" \
	"  AND d.objid = e.oid AND d.deptype = 'e'))" \
	" OR EXISTS (SELECT FROM pg_constraint" \
	"  WHERE contype = 'f' AND confupdtype IN ('c', 'n', 'd'))"

/* Run one of the EXISTS tests below. */
static bool
ask(const char *sql)
{
	PGresult *r;
	bool yes;

	r = query(sql, 0, NULL, "catalog");
	yes = *PQgetvalue(r, 0, 0) == 't';
	PQclear(r);
	return yes;
}

/*
 * May anything but this load's statements write rows in its transaction?
 * A trigger whose function names no write (a BEFORE trigger that looks
 * ids up, as examples/laravel-chat's do) is taken at its word: the fix
 * checks the counts anyway.  Asked once, when the first table is set up.
 */
static bool
writers_may(void)
{
	static const char sql[] = "SELECT EXISTS (" USER_TRIGGERS
	    " AND (l.lanname NOT IN ('plpgsql', 'sql') OR p.prosrc ~*"
	    " '\\m(insert|update|delete|merge|copy|execute|truncate|call)\\M'))"
	    OTHER_WRITERS;
	static int may = -1;

	if (may < 0)
		may = ask(sql);
	return may;
}

/* Is there any user trigger, rule, event trigger or cascade at all? */
static bool
writers_any(void)
{
	return ask("SELECT EXISTS (" USER_TRIGGERS ")" OTHER_WRITERS);
}

/*
 * Did this transaction insert and update in t (its partitions, if it has
 * them) only the rows this load did?  ins: the rows it copied in.
 */
static bool
counts_ours(const struct table *t, uint64_t ins)
{
	static const char sql[] =
	    "SELECT coalesce(sum(n_tup_ins), 0), coalesce(sum(n_tup_upd), 0)"
	    " FROM pg_stat_xact_all_tables WHERE relid = $1::oid OR relid IN"
	    " (SELECT relid FROM pg_partition_tree($1::oid::regclass))";
	const char *params[1] = { t->oid };
	PGresult *r;
	bool ours;

	r = query(sql, 1, params, t->name);
	ours = strtoull(PQgetvalue(r, 0, 0), NULL, 10) == ins &&
	    strtoull(PQgetvalue(r, 0, 1), NULL, 10) == t->fixed;
	PQclear(r);
	return ours;
}

/* Does some column of t have a DEFAULT that a late column must not keep? */
static bool
has_defaults(const struct table *t)
{
	size_t i;

	for (i = 0; i < t->r.ncols; i++)
		if (t->r.cols[i].has_default && (long)i != t->r.doc)
			return true;
	return false;
}

/* Could a late column of t be fixed in place: is xmin t's own, and safe? */
bool
late_xmin_exact(const struct table *t)
{
	return t->dist == 0 && (t->relkind == 'r' || t->relkind == 'p') &&
	    !writers_may();
}

/* Can t take rows straight in: no DEFAULT to protect, or xmin exact? */
bool
late_exact(const struct table *t)
{
	return !has_defaults(t) || late_xmin_exact(t);
}

/*
 * Insert and replace: t's rows go through staging when a late column
 * could not be fixed exactly.  Its rows reach t only at the end, so the
 * tables after it stage too: a child copied straight in would be checked
 * (foreign keys, triggers) before its parent's rows were there.
 */
void
late_setup(struct table *t)
{
	if (!staging_since && late_exact(t))
		return;
	staging_since = true;
	t->via_stage = true;
	cvx_rows_set_lines(&t->r);
	merge_create_stage(t);
}

/*
 * Column ci, which has a DEFAULT, is named for the first time at line
 * (all rows sent, no COPY open).  Rows staged need nothing; rows copied
 * straight in took the DEFAULT and are set to NULL, once it is proven
 * that they are exactly the rows the statement selects.
 */
void
late_fix(struct table *t, size_t ci, uint64_t line)
{
	struct cvx_buf sql = { 0 };
	PGresult *r;
	bool all = t->direct_rows > 0;

	if (t->via_stage || (!all && (opt->mode == MODE_MERGE || t->sent == 0)))
		return;
	/*
	 * A table merged into straight was empty and is locked: all its rows
	 * are this load's unless a COPY was undone (redo_in_stage), whose
	 * rows the counts still hold.  Else they are the rows with this
	 * transaction's id (COPY runs outside any savepoint here).
	 */
	if (!late_xmin_exact(t) || (writers_any() && (t->redone ||
	    !counts_ours(t, all ? t->direct_rows : t->sent))))
		fail("line %llu: table %s: column %s is first named here, "
		    "after rows that took its DEFAULT, and a trigger, rule or "
		    "cascade wrote rows of the table in this transaction: the "
		    "rows to set to NULL cannot be told apart (name the key "
		    "in every document, e.g. with cvx-jsonl-map)",
		    (unsigned long long)line, t->name, t->r.cols[ci].name);
	if (all)
		cvx_buf_printf(&sql, "UPDATE %s SET %s = NULL", t->qname,
		    t->r.cols[ci].qname);
	else
		cvx_buf_printf(&sql, "UPDATE %s SET %s = NULL WHERE "
		    "xmin = pg_current_xact_id()::xid", t->qname,
		    t->r.cols[ci].qname);
	r = exec_sql(sql.p, PGRES_COMMAND_OK, t->name);
	t->fixed += strtoull(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	cvx_buf_free(&sql);
}

/* Does moving t's staged rows up to input line bound (0: all) fail? */
static PGresult *
try_move(const struct table *t, const char *cols, uint64_t bound)
{
	struct cvx_buf sql = { 0 };
	PGresult *r;

	cvx_buf_printf(&sql, "INSERT INTO %s (%s) SELECT %s FROM %s", t->qname,
	    cols, cols, t->qstage);
	if (bound > 0)
		cvx_buf_printf(&sql, " WHERE %s <= %llu", LATE_LINE,
		    (unsigned long long)bound);
	r = pg_run(sql.p, 0, NULL);
	cvx_buf_free(&sql);
	return r;
}

/*
 * The move failed (rolled back to savepoint cvx_move): the first input
 * line from which moving the rows up to it fails, found by bisection,
 * each try rolled back; 0 if none fails alone.
 */
static uint64_t
find_move_line(const struct table *t, const char *cols)
{
	struct cvx_buf sql = { 0 };
	uint64_t lo, hi, mid;
	PGresult *r;
	bool failed;

	cvx_buf_printf(&sql, "SELECT min(%s), max(%s) FROM %s", LATE_LINE,
	    LATE_LINE, t->qstage);
	r = exec_sql(sql.p, PGRES_TUPLES_OK, t->name);
	lo = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	hi = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	cvx_buf_free(&sql);
	if (lo == 0)
		return 0;
	/* Rows up to lo pass, rows up to hi fail. */
	for (lo--; hi - lo > 1; ) {
		mid = lo + (hi - lo) / 2;
		r = try_move(t, cols, mid);
		failed = PQresultStatus(r) != PGRES_COMMAND_OK;
		PQclear(r);
		PQclear(exec_sql("ROLLBACK TO SAVEPOINT cvx_move",
		    PGRES_COMMAND_OK, t->name));
		if (failed)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/*
 * Insert, replace: move t's staged rows into t, naming the columns some
 * document named (the others keep their DEFAULT), in the order the
 * tables first appeared.  An error names the input line of the row that
 * failed, as a COPY error does: the staging table keeps every row's.
 */
void
late_move(struct table *t)
{
	struct cvx_buf sql = { 0 }, cols = { 0 };
	const char *msg, *detail;
	uint64_t line;
	PGresult *r;
	size_t i;

	if (!t->via_stage || t->sent == 0)
		return;
	for (i = 0; i < t->r.nlist; i++)
		cvx_buf_printf(&cols, "%s%s", i ? ", " : "",
		    t->r.cols[t->r.list[i]].qname);
	PQclear(exec_sql("SAVEPOINT cvx_move", PGRES_COMMAND_OK, t->name));
	r = try_move(t, cols.p, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(exec_sql("ROLLBACK TO SAVEPOINT cvx_move",
		    PGRES_COMMAND_OK, t->name));
		line = find_move_line(t, cols.p);
		msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
		if (msg == NULL)
			msg = pg_message(r);
		if (line > 0)
			fail("line %llu: table %s: %.*s%s%.*s",
			    (unsigned long long)line, t->name, ONELINE(msg),
			    detail ? ": " : "", ONELINE(detail ? detail : ""));
		fail("table %s: %.*s%s%.*s", t->name, ONELINE(msg),
		    detail ? ": " : "", ONELINE(detail ? detail : ""));
	}
	PQclear(exec_sql("RELEASE SAVEPOINT cvx_move", PGRES_COMMAND_OK,
	    t->name));
	t->inserted += strtoull(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	cvx_buf_printf(&sql, "TRUNCATE %s", t->qstage);
	PQclear(exec_sql(sql.p, PGRES_COMMAND_OK, t->name));
	t->t_done = now();
	cvx_buf_free(&sql);
	cvx_buf_free(&cols);
}
