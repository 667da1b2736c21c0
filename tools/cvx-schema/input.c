/* SPDX-License-Identifier: MIT */
/*
 * input.c: the one pass: an export's entries in the order they are
 * stored (the common reader: a ZIP or a folder, inflated on a thread of
 * its own), or the stream, cut into lines that infer.c takes in.
 */
#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx-schema.h"

/* Called for each line (without its '\n'); returns nonzero to stop. */
typedef int line_fn(void *ctx, const char *s, size_t n, uint64_t lineno);

/*
 * Bytes cut into lines as they come, chunk after chunk: a line cut by a
 * chunk's end waits in carry, so memory is bounded by the longest line
 * (CVX_LINE_MAX at most) and a chunk.  Zero-initialise; cut_end.
 */
struct cutter {
	line_fn	*fn;
	void	*ctx;
	const char *name;	/* for messages */
	struct cvx_buf carry;
	uint64_t lineno;
	bool	 stopped;	/* fn asked to stop: the rest is ignored */
};

/* Take in the n bytes of p. */
static void
cut(struct cutter *c, const char *p, size_t n)
{
	const char *end = p + n, *nl;

	while (!c->stopped && p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			if (c->carry.len + (size_t)(end - p) > CVX_LINE_MAX)
				cvx_die("%s: line %ju: longer than %d bytes",
				    c->name, (uintmax_t)c->lineno + 1,
				    CVX_LINE_MAX);
			cvx_buf_add(&c->carry, p, (size_t)(end - p));
			return;
		}
		c->lineno++;
		if (c->carry.len > 0) {
			cvx_buf_add(&c->carry, p, (size_t)(nl - p));
			c->stopped = c->fn(c->ctx, c->carry.p, c->carry.len,
			    c->lineno) != 0;
			cvx_buf_reset(&c->carry);
		} else
			c->stopped = c->fn(c->ctx, p, (size_t)(nl - p),
			    c->lineno) != 0;
		p = nl + 1;
	}
}

/* The input has ended: a last line without '\n' counts, as the
 * importer takes it.  The cutter is ready for another input. */
static void
cut_end(struct cutter *c)
{
	if (!c->stopped && c->carry.len > 0)
		(void)c->fn(c->ctx, c->carry.p, c->carry.len, ++c->lineno);
	cvx_buf_free(&c->carry);
	c->lineno = 0;
	c->stopped = false;
}

/* ---- an export -------------------------------------------------------- */

/* A table's documents.jsonl being read. */
struct docs {
	struct schema *s;
	struct stable *t;
	const char *entry;
};

/* line_fn: one line of a documents.jsonl, by the importer's rules. */
static int
doc_line(void *ctx, const char *s, size_t n, uint64_t lineno)
{
	struct docs *d = ctx;

	/* convex-export-format.md §8, "Single-table formats". */
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n == 0)
		cvx_die("%s: %s: line %ju: blank line", d->s->input, d->entry,
		    (uintmax_t)lineno);
	if (lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		cvx_die("%s: %s: line 1: byte order mark", d->s->input,
		    d->entry);
	infer_doc(d->s, d->t, s, n, d->entry, lineno, false);
	return 0;
}

/* line_fn: the first line of a legacy generated_schema.jsonl. */
static int
shape_line(void *ctx, const char *s, size_t n, uint64_t lineno)
{
	struct docs *d = ctx;
	struct cvx_json_error e;
	struct cvx_buf text = {0};
	const char *why = NULL;

	(void)lineno;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (cvx_json_check(s, n, &e) != 0 || n < 2 || s[0] != '"' ||
	    cvx_json_unescape(s + 1, n - 2, &text, CVX_NUL_KEEP) != 0)
		why = "its first line is not a JSON string";
	else if (shape_read(d->t, text.p, text.len, &why) == 0)
		why = NULL;
	if (why != NULL && !d->s->quiet)
		warnx("%s: %s: %s: types from the documents alone",
		    d->s->input, d->entry, why);
	cvx_buf_free(&text);
	return 1;
}

/* An entry to read, in the order the export stores them. */
struct job {
	long	 entry;
	size_t	 table;		/* index into s->t */
	bool	 shape;
};

/* Order jobs by entry. */
static int
job_cmp(const void *a, const void *b)
{
	const struct job *x = a, *y = b;

	return (x->entry > y->entry) - (x->entry < y->entry);
}

/*
 * Inflating and reading the documents each take about half of the time:
 * a reading thread inflates the entries into a ring of chunks while this
 * one cuts and reads their lines (as cvx-unzip's writer does).
 */
#define NSLOTS	4

/* A chunk of an entry: job is its index into the jobs, last its end. */
struct chunk {
	char	*buf;		/* CVX_IOSIZE bytes */
	size_t	 len;
	size_t	 job;
	bool	 last;
};

/* The ring between the reading thread and this one. */
struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk c[NSLOTS];
	size_t	 head, count;
	struct cvx_export *x;
	const struct job *jobs;
	size_t	 nj;
};

/* The reading thread: every job's entry, whole, in chunks. */
static void *
reader(void *arg)
{
	struct ring *r = arg;
	struct cvx_export_walker w;
	struct cvx_export_reader *er;
	struct chunk *c;
	size_t j, got = 0;

	cvx_walker_start(&w, r->x);
	for (j = 0; j < r->nj; j++) {
		er = cvx_walker_to(&w, r->jobs[j].entry);
		do {
			pthread_mutex_lock(&r->mu);
			while (r->count == NSLOTS)
				pthread_cond_wait(&r->cv, &r->mu);
			c = &r->c[(r->head + r->count) % NSLOTS];
			pthread_mutex_unlock(&r->mu);
			c->len = 0;
			c->job = j;
			while (c->len < CVX_IOSIZE && (got = cvx_export_read(er,
			    c->buf + c->len, CVX_IOSIZE - c->len)) > 0)
				c->len += got;
			c->last = got == 0;
			pthread_mutex_lock(&r->mu);
			r->count++;
			pthread_cond_broadcast(&r->cv);
			pthread_mutex_unlock(&r->mu);
		} while (!c->last);
	}
	cvx_walker_end(&w);
	return NULL;
}

void
input_export(struct schema *s, struct cvx_export *x)
{
	struct ring r = { .mu = PTHREAD_MUTEX_INITIALIZER,
	    .cv = PTHREAD_COND_INITIALIZER, .x = x };
	struct cutter cu = {0};
	struct docs d = { s, NULL, NULL };
	struct job *jobs;
	struct stable *st;
	struct chunk *c;
	pthread_t th;
	size_t i, nj = 0, done = 0;

	jobs = cvx_calloc(2 * x->cat.n + 1, sizeof(*jobs));
	for (i = 0; i < x->cat.n; i++) {
		const struct cvx_table *t = &x->cat.t[i];

		/* _storage is file metadata, not a table (cvx-unzip -s). */
		if (t->name[0] == '_')
			continue;
		st = schema_table(s, t->component, t->name);
		st->number = t->number;
		st->encoding = t->encoding;
		if (!st->out)
			continue;
		if (t->docs >= 0)
			jobs[nj++] = (struct job){ t->docs, s->nt - 1, false };
		if (t->schema >= 0 && t->encoding == CVX_ENC_LEGACY)
			jobs[nj++] = (struct job){ t->schema, s->nt - 1,
			    true };
	}
	qsort(jobs, nj, sizeof(*jobs), job_cmp);
	r.jobs = jobs;
	r.nj = nj;
	for (i = 0; i < NSLOTS; i++)
		r.c[i].buf = cvx_malloc(CVX_IOSIZE);
	if (nj > 0 && (errno = pthread_create(&th, NULL, reader, &r)) != 0)
		cvx_die("%s: a reading thread: %s", s->input,
		    strerror(errno));
	while (done < nj) {
		pthread_mutex_lock(&r.mu);
		while (r.count == 0)
			pthread_cond_wait(&r.cv, &r.mu);
		c = &r.c[r.head];
		pthread_mutex_unlock(&r.mu);
		if (d.t == NULL) {
			d.t = &s->t[jobs[c->job].table];
			d.entry = x->e[jobs[c->job].entry].name;
			cu.fn = jobs[c->job].shape ? shape_line : doc_line;
			cu.ctx = &d;
			cu.name = d.entry;
		}
		cut(&cu, c->buf, c->len);
		if (c->last) {
			cut_end(&cu);
			d.t = NULL;
			done++;
		}
		pthread_mutex_lock(&r.mu);
		r.head = (r.head + 1) % NSLOTS;
		r.count--;
		pthread_cond_broadcast(&r.cv);
		pthread_mutex_unlock(&r.mu);
	}
	if (nj > 0)
		pthread_join(th, NULL);
	for (i = 0; i < NSLOTS; i++)
		free(r.c[i].buf);
	free(jobs);
}

/* ---- the stream ------------------------------------------------------- */

/* The stream being read. */
struct stream {
	struct schema *s;
	struct cvx_buf table, component;
	struct stable *last;	/* the table of the line before */
};

/* The table a stream line names (its tag), or die. */
static struct stable *
stream_table(struct stream *st, const char *line, size_t n,
    uint64_t lineno)
{
	struct cvx_tag tag;
	struct cvx_json_error e;
	struct cvx_buf id = {0};
	const char *why, *at;
	int r;

	if (cvx_tag_scan(line, n, &tag, &e) != 0)
		cvx_die("%s: line %ju, byte %zu: %s", st->s->input,
		    (uintmax_t)lineno, e.offset + 1, e.msg);
	r = cvx_tag_identity(&tag, &id, &why, &at);
	cvx_buf_free(&id);
	if (r == 0)
		cvx_die("%s: line %ju: no _table: the stream of cvx-unzip"
		    " names each document's table", st->s->input,
		    (uintmax_t)lineno);
	if (r < 0)
		cvx_die("%s: line %ju: %s", st->s->input, (uintmax_t)lineno,
		    why);
	cvx_buf_reset(&st->table);
	cvx_buf_reset(&st->component);
	(void)cvx_json_unescape(tag.table + 1, tag.tlen - 2, &st->table,
	    CVX_NUL_KEEP);
	if (tag.component != NULL)
		(void)cvx_json_unescape(tag.component + 1, tag.clen - 2,
		    &st->component, CVX_NUL_KEEP);
	if (st->last != NULL && strcmp(st->last->name, st->table.p) == 0 &&
	    strcmp(st->last->component, st->component.len > 0 ?
	    st->component.p : "") == 0)
		return st->last;
	st->last = schema_table(st->s, st->component.len > 0 ?
	    st->component.p : "", st->table.p);
	return st->last;
}

/* line_fn: one line of the stream. */
static int
stream_line(void *ctx, const char *s, size_t n, uint64_t lineno)
{
	struct stream *st = ctx;
	struct stable *t;

	if (cvx_is_abort(s, n, NULL))
		cvx_abort_relay(st->s->input, lineno, s, n);
	if (n == 0)
		cvx_die("%s: line %ju: blank line", st->s->input,
		    (uintmax_t)lineno);
	t = stream_table(st, s, n, lineno);
	if (t->out)
		infer_doc(st->s, t, s, n, NULL, lineno, true);
	return 0;
}

void
input_stream(struct schema *s, int fd, const char *head, size_t n)
{
	struct stream st = { s, {0}, {0}, NULL };
	struct cutter cu = { stream_line, &st, s->input, {0}, 0, false };
	char *buf = cvx_malloc(CVX_IOSIZE);
	ssize_t got;

	cvx_pipe_grow(fd);
	cut(&cu, head, n);
	while ((got = cvx_read_full(fd, buf, CVX_IOSIZE)) > 0)
		cut(&cu, buf, (size_t)got);
	if (got < 0)
		cvx_die("%s: %s", s->input, strerror(errno));
	cut_end(&cu);
	free(buf);
	cvx_buf_free(&st.table);
	cvx_buf_free(&st.component);
}
