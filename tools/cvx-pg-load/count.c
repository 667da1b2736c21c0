/* SPDX-License-Identifier: MIT */
/* count.c: cvx-pg-load --count, the rows of each named table. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cvx-pg-load.h"

/*
 * --count: print table<TAB>count for each operand, sorted as cvx-count.
 * A table that cannot be counted is reported, and the others still are.
 */
int
count_tables(int argc, char **argv)
{
	struct cvx_buf sql = { 0 };
	PGresult *r;
	char *q;
	int i, j, rval = 0;

	/* Insertion sort by bytes (strcmp compares unsigned chars). */
	for (i = 1; i < argc; i++)
		for (j = i; j > 0 && strcmp(argv[j - 1], argv[j]) > 0; j--) {
			q = argv[j];
			argv[j] = argv[j - 1];
			argv[j - 1] = q;
		}
	for (i = 0; i < argc; i++) {
		if (strlen(argv[i]) > MAX_IDENT) {
			warnx("%s: name longer than %d bytes", argv[i],
			    MAX_IDENT);
			rval = 1;
			continue;
		}
		q = quote(argv[i]);
		cvx_buf_reset(&sql);
		cvx_buf_printf(&sql, "SELECT count(*) FROM %s.%s", schema, q);
		free(q);
		r = pg_run(sql.p, 0, NULL);
		if (PQresultStatus(r) == PGRES_TUPLES_OK) {
			if (printf("%s\t%s\n", argv[i], PQgetvalue(r, 0, 0)) < 0)
				fail("stdout: write error");
		} else if (PQstatus(conn) != CONNECTION_OK)
			fail("%s: %.*s", argv[i], ONELINE(pg_message(r)));
		else {
			if (sqlstate_is(r, "42P01"))
				warnx("%s: no such table in schema %s",
				    argv[i], schema_raw);
			else
				warnx("%s: %.*s", argv[i],
				    ONELINE(pg_message(r)));
			rval = 1;
		}
		PQclear(r);
	}
	cvx_buf_free(&sql);
	db_close();
	return cvx_close_stdout() | rval;
}
