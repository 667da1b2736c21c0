/* SPDX-License-Identifier: MIT */
/*
 * citus.c: cvx-pg-load on Citus tables (design.md, "Beyond one machine").
 * A table listed in pg_dist_partition lives in shards on the workers: its
 * unique keys must include the distribution column, a staging table is
 * fastest distributed like it (INSERT ... SELECT then runs on the shards),
 * transaction ids are per node (late.c), and an error raised on a worker
 * carries no COPY line, which is found by replaying the COPY's rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cvx-pg-load.h"

/*
 * Read t's distribution from Citus's catalog, if Citus is installed:
 * t->dist is 'h' (hash-distributed on t->distcol), 'n' (a reference
 * table, a copy on every node), 'l' (another kind: a Citus local table,
 * append, range), or 0 (a plain table).
 */
void
citus_setup(struct table *t)
{
	static const char probe[] =
	    "SELECT to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL";
	static const char sql[] =
	    "SELECT CASE WHEN partmethod = 'h' THEN 'h'"
	    "  WHEN partmethod = 'n' AND repmodel = 't' THEN 'n' ELSE 'l' END,"
	    " coalesce(column_to_column_name(logicalrelid, partkey), '')"
	    " FROM pg_dist_partition WHERE logicalrelid = $1::oid";
	static int installed = -1;
	const char *params[1] = { t->oid };
	PGresult *r;

	if (installed < 0) {
		r = query(probe, 0, NULL, "catalog");
		installed = *PQgetvalue(r, 0, 0) == 't';
		PQclear(r);
	}
	if (!installed)
		return;
	r = query(sql, 1, params, t->name);
	if (PQntuples(r) == 1) {
		t->dist = *PQgetvalue(r, 0, 0);
		if (t->dist == 'h')
			t->distcol = cvx_strdup(PQgetvalue(r, 0, 1));
	}
	PQclear(r);
}

/*
 * Merge into a Citus table: a unique key of a hash-distributed table must
 * include its distribution column (Citus enforces uniqueness shard by
 * shard), and ON CONFLICT needs a unique index on exactly the key's
 * columns.  Checked here, before any row, with a message that says so:
 * Citus itself only fails at the final INSERT.
 */
void
citus_check_key(const struct table *t)
{
	static const char sql[] =
	    "SELECT EXISTS (SELECT FROM pg_index i WHERE i.indrelid = $1::oid"
	    " AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL"
	    " AND (SELECT array_agg(a.attname::text COLLATE \"C\""
	    "  ORDER BY a.attname::text COLLATE \"C\") FROM pg_attribute a"
	    "  WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey))"
	    " = (SELECT array_agg(k COLLATE \"C\" ORDER BY k COLLATE \"C\")"
	    "  FROM unnest($2::text[]) k))";
	struct cvx_buf keys = { 0 }, arr = { 0 };
	const char *params[2];
	bool found = false;
	PGresult *r;
	size_t i;

	for (i = 0; i < t->nkey; i++) {
		const struct cvx_col *c = &t->r.cols[t->key[i]];

		cvx_buf_printf(&keys, "%s%s", i ? ", " : "", c->name);
		/* An array literal: every name quoted, " and \ escaped. */
		cvx_buf_adds(&arr, i ? ",\"" : "{\"");
		for (size_t j = 0; j < c->namelen; j++) {
			if (c->name[j] == '"' || c->name[j] == '\\')
				cvx_buf_addc(&arr, '\\');
			cvx_buf_addc(&arr, c->name[j]);
		}
		cvx_buf_addc(&arr, '"');
		if (t->distcol != NULL && strcmp(c->name, t->distcol) == 0)
			found = true;
	}
	cvx_buf_addc(&arr, '}');
	if (t->dist == 'h' && !found)
		fail("table %s: the merge key (%s) does not include the "
		    "distribution column %s: Citus keeps a key unique only "
		    "with it (--key names the key)", t->name, keys.p,
		    t->distcol);
	params[0] = t->oid;
	params[1] = arr.p;
	r = query(sql, 2, params, t->name);
	if (*PQgetvalue(r, 0, 0) != 't')
		fail("table %s: merge key %s: no unique index on exactly these "
		    "columns", t->name, keys.p);
	PQclear(r);
	cvx_buf_free(&keys);
	cvx_buf_free(&arr);
}

/*
 * Distribute t's staging table (just made, empty) as t is: hash on the
 * same column, co-located with t, so that the merge's INSERT ... SELECT
 * runs shard by shard on the workers; a reference table's on every node.
 * Any other kind of table keeps its stage on the coordinator.
 */
void
citus_distribute_stage(const struct table *t)
{
	const char *params[3] = { t->qstage, t->distcol, t->qname };
	PGresult *r;

	if (t->dist == 'h')
		r = query("SELECT create_distributed_table($1::regclass, $2, "
		    "colocate_with => $3)", 3, params, t->name);
	else if (t->dist == 'n')
		r = query("SELECT create_reference_table($1::regclass)", 1,
		    params, t->name);
	else
		return;
	PQclear(r);
}

/* The length of the first n rows of seg[0..len) (COPY text rows). */
static size_t
rows_len(const char *seg, size_t len, uint64_t n)
{
	const char *p = seg, *nl;

	while (n-- > 0 && (nl = memchr(p, '\n', len - (size_t)(p - seg))))
		p = nl + 1;
	return (size_t)(p - seg);
}

/* Does the COPY of t's first n rows of seg fail?  Rolled back after. */
static bool
prefix_fails(struct table *t, const char *seg, size_t len, uint64_t n)
{
	PGresult *r;
	bool failed;

	copyin_start(t, t->via_stage ? t->qstage : t->qname, false);
	if ((r = copyin_put(t, seg, rows_len(seg, len, n))) == NULL)
		r = copyin_end(t);
	failed = PQresultStatus(r) != PGRES_COMMAND_OK;
	PQclear(r);
	pg_finish();
	PQclear(exec_sql("ROLLBACK TO SAVEPOINT cvx_copy", PGRES_COMMAND_OK,
	    t->name));
	return failed;
}

/*
 * The COPY of seg[0..len) (the rows of t's failed COPY, from its first)
 * failed on a worker, with no line.  The smallest prefix of its rows
 * that fails alone ends with the row that failed: bisect for it, each
 * try rolled back to savepoint cvx_copy (taken before the COPY), and
 * return its input line; 0 if even all of them pass now.
 */
uint64_t
citus_find_line(struct table *t, const char *seg, size_t len)
{
	uint64_t lo = 0, hi = 0, mid, line;
	const char *p;

	for (p = seg; (p = memchr(p, '\n', len - (size_t)(p - seg))); p++)
		hi++;
	pg_finish();
	PQclear(exec_sql("ROLLBACK TO SAVEPOINT cvx_copy", PGRES_COMMAND_OK,
	    t->name));
	if (hi == 0 || !prefix_fails(t, seg, len, hi))
		return 0;
	/* Rows lo and before pass, rows up to hi fail. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (prefix_fails(t, seg, len, mid))
			hi = mid;
		else
			lo = mid;
	}
	line = cvx_rows_line(&t->r, hi);
	return line;
}
