/* SPDX-License-Identifier: MIT */
/*
 * merge.c: cvx-pg-load --mode merge.  Rows go to a staging table and are
 * upserted at the end (INSERT ... ON CONFLICT), or, into an empty table,
 * straight in, redone in staging if a key comes twice (SQLSTATE 23505).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cvx-pg-load.h"

/* Merge into an empty table: bytes of a COPY kept to redo it in staging. */
#define SEG_MAX		(8 * 1024 * 1024)

/*
 * Create t's staging table, with t's columns and no defaults or
 * constraints (merge; insert and replace where late.c says so).  A
 * Citus table's is a real table distributed as t is (citus.c), and so is
 * every stage with --staging unlogged; they are dropped before COMMIT.
 */
void
merge_create_stage(struct table *t)
{
	struct cvx_buf sql = { 0 };
	char name[64], *q;
	/* Insert and replace keep each row's input line (late_move). */
	const char *line = t->via_stage ? ", NULL::bigint AS " LATE_LINE : "";

	snprintf(name, sizeof(name), "cvx_stage_%s", t->oid);
	q = quote(name);
	if (opt->unlogged || t->dist != 0) {
		t->stage_table = true;
		cvx_buf_printf(&sql, "%s.%s", schema, q);
		t->qstage = cvx_strdup(sql.p);
		cvx_buf_reset(&sql);
		cvx_buf_printf(&sql, "DROP TABLE IF EXISTS %s", t->qstage);
		PQclear(exec_sql(sql.p, PGRES_COMMAND_OK, t->name));
		cvx_buf_reset(&sql);
		cvx_buf_printf(&sql, "CREATE UNLOGGED TABLE %s AS "
		    "SELECT *%s FROM %s WITH NO DATA", t->qstage, line,
		    t->qname);
	} else {
		cvx_buf_printf(&sql, "pg_temp.%s", q);
		t->qstage = cvx_strdup(sql.p);
		cvx_buf_reset(&sql);
		cvx_buf_printf(&sql, "CREATE TEMP TABLE %s AS "
		    "SELECT *%s FROM %s WITH NO DATA", q, line, t->qname);
	}
	PQclear(exec_sql(sql.p, PGRES_COMMAND_OK, t->name));
	if (t->stage_table)
		citus_distribute_stage(t);
	free(q);
	cvx_buf_free(&sql);
}

/*
 * Merge into a table that is empty (or new) copies straight into it, as
 * insert does: staging and then INSERT ... ON CONFLICT would cost half as
 * much again for rows that can only be inserted.  The table is locked
 * against other writers (SHARE ROW EXCLUSIVE, until COMMIT), so its rows
 * stay this load's alone; a key the stream repeats sends the table's rows
 * to staging after all (redo_in_stage).  No COPY is open.  A Citus
 * table always stages: a key met twice is raised on a worker, as XX000,
 * and its staging table, co-located, merges on the shards.  So does a
 * table whose late columns could not be fixed exactly in place (late.c).
 */
static bool
merge_direct(struct table *t)
{
	struct cvx_buf sql = { 0 }, keys = { 0 };
	PGresult *r;
	bool empty;
	size_t i;

	if (t->dist != 0) {
		citus_check_key(t);
		return false;
	}
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
	r = pg_run(sql.p, 0, NULL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail("table %s: merge key %s: %.*s", t->name, opt->key ? opt->key :
		    "(primary key)", ONELINE(pg_message(r)));
	PQclear(r);
	cvx_buf_reset(&sql);
	cvx_buf_free(&keys);
	if (opt->commit_every || (t->relkind != 'r' && t->relkind != 'p') ||
	    !late_exact(t))
		return false;
	if (t->created)
		return true;
	PQclear(exec_sql("SAVEPOINT cvx_probe", PGRES_COMMAND_OK, t->name));
	cvx_buf_printf(&sql, "LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE",
	    t->qname);
	r = pg_run(sql.p, 0, NULL);
	/* The lock needs UPDATE, DELETE or TRUNCATE rights: else, stage. */
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    !sqlstate_is(r, "42501"))
		fail("table %s: %.*s", t->name, ONELINE(pg_message(r)));
	empty = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	cvx_buf_reset(&sql);
	/* A shape every planner takes (Citus: not NOT EXISTS (...)). */
	if (empty) {
		cvx_buf_printf(&sql, "SELECT 1 FROM %s LIMIT 1", t->qname);
		r = exec_sql(sql.p, PGRES_TUPLES_OK, t->name);
		empty = PQntuples(r) == 0;
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

/* Merge: the key, and where the rows go (t is set up, no COPY open). */
void
merge_setup(struct table *t)
{
	catalog_key(t);
	if (!(t->direct = merge_direct(t)))
		merge_create_stage(t);
}

/* Open t's COPY: straight into t after a savepoint, or into staging. */
void
merge_start_copy(struct table *t)
{
	/* Merging straight in: a repeated key undoes this COPY alone. */
	if (t->direct)
		PQclear(exec_sql("SAVEPOINT cvx_copy", PGRES_COMMAND_OK,
		    t->name));
	copyin_start(t, t->direct ? t->qname : t->qstage, false);
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

	pg_finish();
	PQclear(exec_sql("ROLLBACK TO SAVEPOINT cvx_copy", PGRES_COMMAND_OK,
	    t->name));
	PQclear(exec_sql("RELEASE SAVEPOINT cvx_copy", PGRES_COMMAND_OK,
	    t->name));
	t->direct = false;
	t->redone = true;
	merge_create_stage(t);
	merge_start_copy(t);
	if (t->seg.len > 0 && (r = copyin_put(t, t->seg.p, t->seg.len)) != NULL)
		copy_error(t, r);
	cvx_buf_free(&t->seg);
}

/* Send t's converted rows; a repeated key sends them to staging. */
void
merge_put(struct table *t)
{
	PGresult *r;

	if (t->direct)
		cvx_buf_add(&t->seg, t->r.data.p, t->r.data.len);
	if ((r = copyin_put(t, t->r.data.p, t->r.data.len)) != NULL) {
		if (!t->direct || !sqlstate_is(r, "23505"))
			copy_error(t, r);
		PQclear(r);
		redo_in_stage(t);
	}
}

/* Bounded memory: a new COPY, and savepoint, every SEG_MAX bytes. */
void
merge_sent(struct table *t)
{
	if (t->direct && t->seg.len >= SEG_MAX)
		merge_end_copy(t);
}

/*
 * Close t's COPY.  Straight into the target, a key met twice (23505)
 * redoes the COPY in staging, whose end is then checked in turn.
 */
void
merge_end_copy(struct table *t)
{
	PGresult *r;
	uint64_t n;

	while (PQresultStatus(r = copyin_end(t)) != PGRES_COMMAND_OK) {
		if (!t->direct || !sqlstate_is(r, "23505"))
			copy_error(t, r);
		PQclear(r);
		redo_in_stage(t);
	}
	n = strtoull(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	if (t->direct) {
		PQclear(exec_sql("RELEASE SAVEPOINT cvx_copy",
		    PGRES_COMMAND_OK, t->name));
		cvx_buf_reset(&t->seg);
		t->direct_rows += n;
		t->inserted += n;
	} else
		t->staged += n;
}

/*
 * Upsert t's staged rows (all sent) into t; unchanged rows are not
 * written.  An open COPY, another table's, is ended first.
 */
void
merge_table(struct table *t)
{
	struct cvx_buf s = { 0 };
	const char *sqlstate;
	uint64_t ins, upd, keys;
	struct table *a;
	PGresult *r;
	size_t i;

	if (t->sent == 0)
		return;
	for (i = 0; i < t->nkey; i++)
		if (!t->r.cols[t->key[i]].listed)
			fail("table %s: no document names the key column %s",
			    t->name, t->r.cols[t->key[i]].name);
	if (t->staged == 0)
		return;
	if ((a = copyin_active()) != NULL)
		merge_end_copy(a);
	/*
	 * Sorting every staged row to drop duplicate keys costs a fifth of the
	 * merge: try without, and sort only if a key was staged twice.
	 */
	PQclear(exec_sql("SAVEPOINT cvx_merge", PGRES_COMMAND_OK, t->name));
	cvx_merge_sql(&s, t->qname, t->qstage, &t->r, t->key, t->nkey, false);
	r = pg_run(s.p, 0, NULL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && (sqlstate =
	    PQresultErrorField(r, PG_DIAG_SQLSTATE)) != NULL &&
	    strcmp(sqlstate, "21000") == 0) {
		PQclear(r);
		PQclear(exec_sql("ROLLBACK TO SAVEPOINT cvx_merge",
		    PGRES_COMMAND_OK, t->name));
		cvx_buf_reset(&s);
		cvx_merge_sql(&s, t->qname, t->qstage, &t->r, t->key, t->nkey,
		    true);
		r = pg_run(s.p, 0, NULL);
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

/* Drop the staging tables that are real tables before COMMIT. */
void
merge_drop_stages(struct table *const *tables, size_t ntables)
{
	struct cvx_buf sql = { 0 };
	size_t i;

	for (i = 0; i < ntables; i++) {
		if (!tables[i]->stage_table)
			continue;
		cvx_buf_reset(&sql);
		cvx_buf_printf(&sql, "DROP TABLE %s", tables[i]->qstage);
		PQclear(exec_sql(sql.p, PGRES_COMMAND_OK, tables[i]->name));
	}
	cvx_buf_free(&sql);
}
