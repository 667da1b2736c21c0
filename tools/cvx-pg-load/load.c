/* SPDX-License-Identifier: MIT */
/*
 * load.c: cvx-pg-load's stream, line by line: route each document to its
 * table (set up on first sight, then by its mode's strategy), convert it
 * to a COPY row, send the rows in stream order; the work before COMMIT,
 * progress and the summary.
 */
#include <sys/stat.h>
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cvx-pg-load.h"

/* Rows are sent to the server in chunks of about this size. */
#define CHUNK		(512 * 1024)
/* Line-number runs kept per COPY before it is ended and restarted. */
#define MAX_RUNS	65536
/* A COPY into a Citus table, whose rows are kept (copyin.c), ends here. */
#define TRACE_MAX	(8 * 1024 * 1024)

static struct table **tables;
static size_t ntables;
static const char *input_name;		/* for messages */
static struct cvx_doc doc;		/* the document being loaded */
static struct cvx_buf scratch;
static uint64_t total_read, total_bytes, since_commit;
static uint64_t skipped;		/* documents of tables -t, -x leave out */
static struct table *shown;		/* the table the progress line names */

/* Open t's COPY as its mode wants it. */
static void
start_copy(struct table *t)
{
	if (opt->mode == MODE_MERGE)
		merge_start_copy(t);
	else if (t->via_stage)
		copyin_start(t, t->qstage, false);
	else	/* FREEZE does nothing on shards, and fails in a savepoint. */
		copyin_start(t, t->qname, opt->mode == MODE_REPLACE &&
		    t->relkind == 'r' && t->dist == 0);
}

/* Close t's COPY and count its rows. */
static void
end_copy(struct table *t)
{
	PGresult *r;

	if (opt->mode == MODE_MERGE) {
		merge_end_copy(t);
		return;
	}
	if (PQresultStatus(r = copyin_end(t)) != PGRES_COMMAND_OK)
		copy_error(t, r);
	/* Staged rows count when they are moved in (late_move). */
	if (!t->via_stage)
		t->inserted += strtoull(PQcmdTuples(r), NULL, 10);
	PQclear(r);
}

/* Close the open COPY, if any: the connection can run a statement again. */
static void
end_active(void)
{
	struct table *t;

	if ((t = copyin_active()) != NULL)
		end_copy(t);
}

/* The table named name[0..n), set up on first sight, then for its mode. */
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
	t = cvx_calloc(1, sizeof(*t));
	t->name = cvx_malloc(n + 1);
	memcpy(t->name, name, n);
	t->name[n] = '\0';
	cvx_rows_init(&t->r);
	t->t_first = now();
	tables = cvx_reallocarray(tables, ntables + 1, sizeof(*tables));
	tables[ntables++] = t;
	if (conn == NULL)
		return last = t;
	end_active();
	catalog_setup(t, line);
	citus_setup(t);
	/* citus_find_line replays COPY text rows, split at newlines. */
	if (opt->text_copy || t->dist != 0)
		cvx_rows_set_text(&t->r);
	if (opt->mode == MODE_MERGE)
		merge_setup(t);
	else {
		if (opt->mode == MODE_REPLACE)
			replace_setup(t, line);
		late_setup(t);
	}
	return last = t;
}

/* Send t's buffered rows, switching the open COPY to t if needed. */
static void
send_one(struct table *t)
{
	const struct cvx_buf *b = &t->r.data;
	PGresult *r;

	if (t->r.data.len == 0)
		return;
	if (copyin_active() != t) {
		end_active();
		start_copy(t);
	}
	if (opt->mode == MODE_MERGE)
		merge_put(t);
	else if ((r = copyin_put(t, b->p, b->len)) != NULL)
		copy_error(t, r);
	t->copied = cvx_rows_sent(&t->r);
	if (opt->mode == MODE_MERGE)
		merge_sent(t);
	/* Bounded memory for the rows a Citus COPY keeps. */
	if (t->dist != 0 && t->seg.len >= TRACE_MAX && copyin_active() == t)
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
	if (copyin_active() == t)
		end_copy(t);
}

/*
 * Line names column ci for the first time: add it to the list.  Rows
 * already copied without it got its DEFAULT, but a key some documents
 * lack loads as NULL: late.c sets them to NULL, exactly.
 */
static void
add_column(struct table *t, size_t ci, uint64_t line)
{
	flush_table(t);
	cvx_rows_list_add(&t->r, ci);
	if (!t->r.cols[ci].has_default)
		return;
	end_active();
	late_fix(t, ci, line);
}

/*
 * --ignore-unknown: add the keys of names ("a, b") that t->dropped does
 * not hold yet, for the one line per table at the end.  t->dropped is
 * ",a,b,": a key is there if ",key," is.
 */
static void
note_dropped(struct table *t, const char *names)
{
	struct cvx_buf *d = &t->dropped;
	size_t n, had;

	if (d->len == 0)
		cvx_buf_addc(d, ',');
	/* cvx_rows_match writes "a, b". */
	for (; *names != '\0'; names += n + strspn(names + n, ", ")) {
		n = strcspn(names, ",");
		had = d->len;
		cvx_buf_add(d, names, n);
		cvx_buf_addc(d, ',');
		/* Already listed: take the new copy back off. */
		if (strstr(d->p, d->p + had - 1) < d->p + had - 1) {
			d->len = had;
			d->p[had] = '\0';
		}
	}
}

/* Convert the document into a row of its table's COPY data. */
static void
load_doc(struct table *t, const char *line, size_t len, uint64_t lineno)
{
	struct cvx_col *c;
	const char *why;
	size_t i;
	long ci;
	int rc;

	if (cvx_rows_match(&t->r, &doc, lineno, &scratch) > 0 &&
	    t->r.doc < 0 && opt->ignore_unknown)
		note_dropped(t, scratch.p);
	else if (scratch.len > 0 && t->r.doc < 0)
		fail("line %llu: table %s: no column for key(s) %s (see "
		    "--ignore-unknown, --doc-column)",
		    (unsigned long long)lineno, t->name, scratch.p);
	for (i = 0; i < t->r.ncols; i++)
		if (!t->r.cols[i].listed && (t->r.cols[i].stamp == lineno ||
		    (long)i == t->r.doc))
			add_column(t, i, lineno);
	if ((rc = cvx_rows_append(&t->r, &doc, line, len, lineno, opt->nul,
	    &ci, &why)) == 1) {
		/*
		 * A value with no binary form: the table goes on in COPY
		 * text, whose input functions judge it as they always have.
		 */
		flush_table(t);
		cvx_rows_set_text(&t->r);
		rc = cvx_rows_append(&t->r, &doc, line, len, lineno, opt->nul,
		    &ci, &why);
	}
	if (rc != 0) {
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

/* The table of the document: _component:_table, or -u; NULL: left out. */
static struct table *
route(uint64_t line)
{
	const char *why;

	switch (cvx_doc_route(&doc, &scratch, &why)) {
	case 1:
		if ((opt->ntables > 0 || opt->nexcludes > 0) &&
		    !cvx_table_selected(scratch.p, opt->tables, opt->ntables,
		    opt->excludes, opt->nexcludes))
			return NULL;
		return get_table(scratch.p, scratch.len, line);
	case 0:
		if (opt->table == NULL)
			fail("line %llu: no _table field (-u names the table "
			    "of untagged input)", (unsigned long long)line);
		return get_table(opt->table, strlen(opt->table), line);
	default:
		fail("line %llu: %s", (unsigned long long)line, why);
	}
}

/*
 * Send everything, merge what is staged, end the COPY: the work before
 * COMMIT.  Last: -T still pending on an empty input, and the staging
 * tables to drop.
 */
void
load_finish(bool last)
{
	size_t i;

	if (last)
		replace_truncate_listed();
	for (i = 0; i < ntables; i++) {
		flush_table(tables[i]);
		if (opt->mode == MODE_MERGE)
			merge_table(tables[i]);
		else {
			end_active();
			late_move(tables[i]);
		}
	}
	end_active();
	if (last)
		merge_drop_stages(tables, ntables);
}

/* --commit-every: merge and commit what is staged, start a new transaction. */
static void
checkpoint(void)
{
	load_finish(false);
	db_commit();
	PQclear(exec_sql("BEGIN", PGRES_COMMAND_OK, "begin"));
	since_commit = 0;
}

/* Take one line of the stream: load the document, or spool it. */
static void
take_line(const char *line, size_t len, bool nl, uint64_t lineno)
{
	struct cvx_json_error je;
	struct table *t;

	db_check_signal();
	if (cvx_is_abort(line, len, NULL)) {
		(void)db_rollback();
		cvx_abort_relay(input_name, lineno, line, len);
	}
	if (!nl)
		fail("line %llu: no newline at the end of the input "
		    "(a cut stream?)", (unsigned long long)lineno);
	if (cvx_doc_parse(&doc, line, len, &je) != 0)
		fail("line %llu: byte %zu: %s", (unsigned long long)lineno,
		    je.offset + 1, je.msg);
	/* Nothing is emptied before there is something to load. */
	replace_truncate_listed();
	if ((t = route(lineno)) == NULL) {
		skipped++;
		return;
	}
	if (replace_spooling()) {
		replace_spool(line, len);
		return;
	}
	t->read++;
	total_read++;
	total_bytes += len + 1;
	if (conn != NULL) {
		copyin_input(len + 1);
		load_doc(t, line, len, lineno);
		copyin_push();
	}
	if (opt->progress) {
		if (t != shown)
			cvx_progress_label((shown = t)->name);
		cvx_progress_tick(len + 1, 1);
	}
	if (opt->commit_every && ++since_commit >= opt->commit_every)
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
 * Read the stream (path, NULL: stdin) and load every document; with
 * replace, load the spool too.
 */
void
load_stream(const char *path)
{
	struct stat st;
	uint64_t first;
	int fd;

	if (conn != NULL)
		replace_begin();	/* -T: at the first document */
	input_name = cvx_input_name(path);
	if ((fd = cvx_open_input(path)) < 0)
		fail("%s: %s", path, strerror(errno));
	db_watch_input(fd);
	/* A file's size gives the progress line a percentage and an ETA. */
	cvx_progress_phase(NULL, fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ?
	    (uint64_t)st.st_size : 0, true);
	read_lines(fd, input_name, 0);
	db_check_signal();
	db_watch_input(-1);	/* first: the signal handler dup2s onto it */
	if (fd != 0)
		close(fd);
	if (replace_spooling()) {
		end_active();
		fd = replace_end_spool(tables, ntables, &first);
		read_lines(fd, "spool", first);
		close(fd);
	}
	db_check_signal();
	cvx_progress_label(NULL);	/* the last line: every table */
	cvx_progress_end();
	/* Nothing is not a success (design.md): an empty replace is refused. */
	if (opt->mode == MODE_REPLACE && total_read == 0 && !opt->allow_empty)
		fail("%s: no documents to replace the tables with "
		    "(--allow-empty if that is meant)", input_name);
}

/* The keys --ignore-unknown dropped from t's documents, on one line. */
static void
warn_dropped(struct table *t)
{
	struct cvx_buf b = { 0 };
	const char *p;

	for (p = t->dropped.p + 1; *p != '\0'; p++)
		if (*p != ',')
			cvx_buf_addc(&b, *p);
		else if (p[1] != '\0')
			cvx_buf_adds(&b, ", ");
	warnx("%s: keys with no column, dropped (--ignore-unknown): %s",
	    t->name, b.p);
	cvx_buf_free(&b);
}

/* Tables by name, in byte order, for the summary. */
static int
by_name(const void *a, const void *b)
{
	return strcmp((*(struct table *const *)a)->name,
	    (*(struct table *const *)b)->name);
}

/* The per-table summary on stderr (text) or stdout (--summary json). */
int
load_summary(bool committed)
{
	struct cvx_load_stat *st;
	struct cvx_buf s = { 0 };
	struct table *t;
	size_t i;

	if (ntables > 0)
		qsort(tables, ntables, sizeof(*tables), by_name);
	for (i = 0; i < ntables && !opt->quiet; i++)
		if (tables[i]->dropped.len > 1)
			warn_dropped(tables[i]);
	if (opt->summary == SUM_NONE)
		return 0;
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
		st[i].dry = !committed && opt->dry_run && !opt->no_db;
		st[i].parsed_only = opt->no_db;
	}
	if (opt->summary == SUM_TEXT) {
		cvx_summary_append(&s, false, st, ntables);
		if (skipped > 0)
			cvx_buf_printf(&s, "cvx-pg-load: %llu documents of "
			    "tables -t, -x leave out: skipped\n",
			    (unsigned long long)skipped);
		fprintf(stderr, "%s" "cvx-pg-load: %llu documents, %s\n", s.p ?
		    s.p : "", (unsigned long long)total_read, committed ?
		    "committed" : opt->no_db ? "parsed only (--no-db)" :
		    "dry run: rolled back");
		free(st);
		cvx_buf_free(&s);
		return 0;
	}
	cvx_buf_printf(&s, "{\"mode\":\"%s\",\"dry_run\":%s,\"committed\":%s,"
	    "\"tables\":[", opt->mode == MODE_MERGE ? "merge" :
	    opt->mode == MODE_REPLACE ? "replace" : "insert",
	    opt->dry_run ? "true" : "false", committed ? "true" : "false");
	cvx_summary_append(&s, true, st, ntables);
	cvx_buf_adds(&s, "]}\n");
	if (fwrite(s.p, 1, s.len, stdout) != s.len)
		warnx("stdout: write error");
	free(st);
	cvx_buf_free(&s);
	return cvx_close_stdout();
}
