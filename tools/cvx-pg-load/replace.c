/* SPDX-License-Identifier: MIT */
/*
 * replace.c: cvx-pg-load --mode replace: TRUNCATE each table before its
 * rows, or, where foreign keys forbid that, all of them together at the
 * end of a spooled input; --truncate names them up front.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cvx-pg-load.h"

static bool truncate_pending;		/* --truncate: emptied at the first document */
static int spool_fd = -1;		/* the rest of the input */
static struct cvx_buf spool_buf;	/* and what is not yet written there */
static uint64_t spool_line;		/* the input line spooled first */

/* --truncate is pending from BEGIN on. */
void
replace_begin(void)
{
	truncate_pending = opt->truncate != NULL;
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
 * emptied together and the spool is loaded (replace_end_spool).  --truncate names them
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
	r = pg_run(sql.p, 0, NULL);
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

/* Replace: empty t now, unless --create made it or --truncate names it. */
void
replace_setup(struct table *t, uint64_t line)
{
	if (!t->created && !in_list(opt->truncate, t->name))
		empty_table(t, line);
}

/* Is the input being spooled? */
bool
replace_spooling(void)
{
	return spool_fd >= 0;
}

/* Spool a line of input. */
void
replace_spool(const char *line, size_t len)
{
	spool_put(line, len);
}

/*
 * Replace with --truncate: empty the named tables together, before the first row
 * (at the first document, or at the end of an empty input).
 */
void
replace_truncate_listed(void)
{
	struct cvx_buf sql = { 0 }, name = { 0 };
	const char *p = opt->truncate, *item;
	size_t k, n = 0;
	PGresult *r;
	char *q;

	if (!truncate_pending)
		return;
	truncate_pending = false;
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
	r = pg_run(sql.p, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_result("--truncate", sql.p, r, "");
	PQclear(r);
	cvx_buf_free(&sql);
	cvx_buf_free(&name);
}

/*
 * Replace, at the end of the input: empty the tables first seen since the
 * spool began, in one statement; the caller then loads the spooled lines
 * (the returned fd, rewound), which follow line *first.
 */
int
replace_end_spool(struct table *const *tables, size_t ntables,
    uint64_t *first)
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
	r = pg_run(sql.p, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_result("replace", sql.p, r,
		    " (--truncate names more tables to empty)");
	PQclear(r);
	cvx_buf_free(&sql);
	if (lseek(fd, 0, SEEK_SET) != 0)
		fail("spool: %s", strerror(errno));
	*first = spool_line - 1;
	return fd;
}
