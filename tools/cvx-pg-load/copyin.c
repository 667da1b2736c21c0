/* SPDX-License-Identifier: MIT */
/*
 * copyin.c: COPY ... FROM STDIN for cvx-pg-load: open it, queue rows
 * without blocking, push them as the socket takes them, end it and hand
 * back the server's result (after psql's copy.c, handleCopyIn).  What a
 * failed COPY means is the caller's to decide.  A COPY into a Citus table
 * runs under a savepoint and keeps its rows (t->seg), so that an error
 * raised on a worker, which names no COPY line, can be traced to its
 * input line (citus_find_line).
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cvx-pg-load.h"

/* Input bytes read between pushes of a queued chunk towards the server. */
#define PUSH_EVERY	(64 * 1024)

static struct table *active;		/* the table whose COPY is open */
static bool unsent;			/* libpq holds COPY data not yet sent */
static uint64_t input_bytes;		/* input read so far (copyin_input) */
static uint64_t pushed_at;		/* input_bytes at the last push */
static bool replaying;			/* citus_find_line is at work */
static bool binary;			/* the open COPY is FORMAT binary */

static void drain_once(void);

/* A COPY into a Citus table keeps its rows, under a savepoint. */
static bool
traced(const struct table *t)
{
	return t->dist != 0 && !replaying;
}

/* Fail with a COPY error, naming the input line the server's row was. */
void
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
	else if (t->dist != 0 && t->seg.len > 0 && !replaying) {
		replaying = true;
		line = citus_find_line(t, t->seg.p, t->seg.len);
	}
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

/*
 * Queue n bytes of COPY data, waiting for room in libpq's buffer
 * (non-blocking); PQputCopyData's 1, or -1 when the COPY is over.
 */
static int
put_data(const char *p, size_t n)
{
	int st;

	while ((st = PQputCopyData(conn, p, (int)n)) == 0)
		drain_once();
	return st;
}

/*
 * Queue n bytes of COPY data for the COPY just opened, which the server
 * cannot have ended yet (it reads nothing before the first data).
 */
static void
queue(struct table *t, const char *p, size_t n)
{
	if (put_data(p, n) != 1)
		fail("table %s: %.*s", t->name, ONELINE(PQerrorMessage(conn)));
	unsent = true;
}

/*
 * Open COPY target (t's listed columns) FROM STDIN, in t's format (COPY
 * binary with its header, or text), maybe WITH (FREEZE).
 */
void
copyin_start(struct table *t, const char *target, bool freeze)
{
	struct cvx_buf sql = { 0 };
	PGresult *r;
	size_t i;

	if (traced(t))
		PQclear(exec_sql("SAVEPOINT cvx_copy", PGRES_COMMAND_OK,
		    t->name));
	cvx_buf_printf(&sql, "COPY %s (", target);
	for (i = 0; i < t->r.nlist; i++)
		cvx_buf_printf(&sql, "%s%s", i ? ", " : "",
		    t->r.cols[t->r.list[i]].qname);
	/* A staged row of insert or replace ends with its input line. */
	if (t->via_stage)
		cvx_buf_adds(&sql, ", " LATE_LINE);
	cvx_buf_adds(&sql, ") FROM STDIN");
	/* FREEZE needs a table truncated or created in this transaction. */
	if (freeze || t->r.binary)
		cvx_buf_printf(&sql, " WITH (%s%s%s)",
		    t->r.binary ? "FORMAT binary" : "",
		    t->r.binary && freeze ? ", " : "", freeze ? "FREEZE" : "");
	r = pg_run(sql.p, 0, NULL);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		fail("table %s: %.*s", t->name, ONELINE(pg_message(r)));
	PQclear(r);
	cvx_buf_free(&sql);
	active = t;
	/* The rows buffered are in t's format until this COPY ends. */
	if ((binary = t->r.binary))
		queue(t, CVX_COPY_BINARY_HEADER, CVX_COPY_BINARY_HEADER_LEN);
}

/* The table whose COPY is open, or NULL. */
struct table *
copyin_active(void)
{
	return active;
}

/* Send what libpq has queued, as far as the socket takes it now. */
static void
push(void)
{
	int r;

	pushed_at = input_bytes;
	if ((r = PQflush(conn)) < 0)
		fail("database: %.*s", ONELINE(PQerrorMessage(conn)));
	unsent = r == 1;
}

/* n more bytes of input were read (the clock of copyin_push). */
void
copyin_input(size_t n)
{
	input_bytes += n;
}

/* Push a queued chunk on every PUSH_EVERY bytes of input. */
void
copyin_push(void)
{
	if (unsent && input_bytes - pushed_at >= PUSH_EVERY)
		push();
}

/*
 * Wait for room to send, or for what the server sends meanwhile (a
 * notice, an error), which is read so that it never blocks on us while
 * we block on it; then send what fits.
 */
static void
drain_once(void)
{
	if (pg_poll(true) != 0)
		fail("database: %.*s", ONELINE(wait_why));
	push();
}

/* Wait until libpq has sent all it queued: one chunk waits, no more. */
static void
drain(void)
{
	for (push(); unsent; )
		drain_once();
}

/*
 * Queue n bytes of COPY data.  NULL if they were; if the server gave up
 * on the COPY, its error (the caller's to clear), and the COPY is over.
 */
PGresult *
copyin_put(struct table *t, const char *p, size_t n)
{
	PGresult *r;
	int st;

	if (unsent)
		drain();
	if (traced(t))
		cvx_buf_add(&t->seg, p, n);
	if ((st = put_data(p, n)) == 1) {
		unsent = true;
		return NULL;
	}
	active = NULL;
	if (pg_wait(&r) != 0)
		fail("database: %.*s", ONELINE(wait_why));
	if (r != NULL && PQresultStatus(r) == PGRES_FATAL_ERROR)
		return r;
	fail("table %s: %.*s", t->name, ONELINE(PQerrorMessage(conn)));
}

/*
 * Close t's COPY and return the server's answer (the caller's to clear).
 * On success its results are read, its rows count in t->sent, and the
 * rows appended meanwhile are numbered from 1 for the next COPY; on an
 * error the rest is the caller's: copy_error, or pg_finish and go on.
 */
PGresult *
copyin_end(struct table *t)
{
	PGresult *r;
	int st;

	if (binary) {
		binary = false;
		/* -1: the server gave up on the COPY; its error is next. */
		if (put_data(CVX_COPY_BINARY_TRAILER, 2) != 1) {
			active = NULL;
			if (pg_wait(&r) != 0)
				fail("database: %.*s", ONELINE(wait_why));
			if (r != NULL && PQresultStatus(r) == PGRES_FATAL_ERROR)
				return r;
			fail("table %s: %.*s", t->name,
			    ONELINE(PQerrorMessage(conn)));
		}
	}
	/* Queued after the data; pg_wait sends both. */
	while ((st = PQputCopyEnd(conn, NULL)) == 0)
		drain_once();
	if (st != 1)
		fail("table %s: %.*s", t->name, ONELINE(PQerrorMessage(conn)));
	active = NULL;
	if (pg_wait(&r) != 0)
		fail("database: %.*s", ONELINE(wait_why));
	unsent = false;
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return r;
	pg_finish();
	if (replaying)
		return r;
	if (traced(t)) {
		PQclear(exec_sql("RELEASE SAVEPOINT cvx_copy",
		    PGRES_COMMAND_OK, t->name));
		cvx_buf_reset(&t->seg);
	}
	t->sent += strtoull(PQcmdTuples(r), NULL, 10);
	cvx_rows_restart(&t->r, t->copied);
	t->copied = 0;
	t->t_done = now();
	return r;
}
