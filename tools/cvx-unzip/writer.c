/* SPDX-License-Identifier: MIT */
/*
 * writer.c: the stream's writing thread, beside the one that reads and
 * inflates: a ring of chunks between them; the writer cuts lines, checks
 * each (the importer's rules), tags it and owns stdout.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvx-unzip.h"

/* Chunks in flight between the reading and the writing thread. */
#define NSLOTS		4

/* The ring of slots and the writer's state. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot s[NSLOTS];
	size_t	 head;		/* oldest filled slot */
	size_t	 count;		/* filled slots */
	bool	 running;
	pthread_t thread;
	/* Writer only: */
	struct cvx_out out;
	bool	 raw;		/* -r: no _table/_component tag */
	struct cvx_buf carry;	/* a line cut by a chunk boundary */
	uint64_t lineno;
	const char *input;
	struct cvx_buf label;	/* the table, for the progress line */
} q = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* The progress line names the table: its entry without documents.jsonl. */
static void
progress_label(const char *entry)
{
	size_t n = strlen(entry), suffix = sizeof("/documents.jsonl") - 1;

	if (!cvx_progress_on())
		return;
	if (n > suffix && strcmp(entry + n - suffix, "/documents.jsonl") == 0)
		n -= suffix;
	cvx_buf_reset(&q.label);
	cvx_buf_add(&q.label, entry, n);
	cvx_progress_label(q.label.p);
}

/* Check one line (cvx_export_line: the importer's rules) and write it. */
static void
put_line(struct job *j, const char *s, size_t n)
{
	struct cvx_json_error e;

	if (cvx_export_line(s, &n, ++q.lineno, &e) != 0) {
		if (e.offset == SIZE_MAX)
			cvx_die("%s: %s: line %ju: %s", q.input, j->entry,
			    (uintmax_t)q.lineno, e.msg);
		cvx_die("%s: %s: line %ju, byte %zu: %s", q.input, j->entry,
		    (uintmax_t)q.lineno, e.offset + 1, e.msg);
	}
	if (q.raw) {
		cvx_out_write(&q.out, s, n);
		cvx_out_write(&q.out, "\n", 1);
	} else
		cvx_out_tagged(&q.out, &j->tag, s, n);
}

/* Split a chunk into lines; a line cut at the end waits in q.carry. */
static void
put_chunk(struct slot *c)
{
	const char *p = c->buf, *end = c->buf + c->len, *nl;

	if (c->first) {
		q.lineno = 0;
		cvx_buf_reset(&q.carry);
		progress_label(c->job->entry);
	}
	if (q.carry.len > 0 && p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (q.carry.len + (size_t)(nl - p) > CVX_LINE_MAX)
			cvx_die("%s: %s: line %ju: longer than %d bytes",
			    q.input, c->job->entry, (uintmax_t)q.lineno + 1,
			    CVX_LINE_MAX);
		cvx_buf_add(&q.carry, p, (size_t)(nl - p));
		if (nl == end)
			goto last;
		put_line(c->job, q.carry.p, q.carry.len);
		cvx_buf_reset(&q.carry);
		p = nl + 1;
	}
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			cvx_buf_add(&q.carry, p, (size_t)(end - p));
			break;
		}
		put_line(c->job, p, (size_t)(nl - p));
		p = nl + 1;
	}
last:
	/* A last line without '\n' is accepted, as the importer does. */
	if (c->last && q.carry.len > 0) {
		put_line(c->job, q.carry.p, q.carry.len);
		cvx_buf_reset(&q.carry);
	}
	cvx_progress_tick(c->len, 0);
}

/* The writing thread: chunks in order until the end or an error. */
static void *
writer(void *unused)
{
	struct slot *c;

	(void)unused;
	for (;;) {
		pthread_mutex_lock(&q.mu);
		while (q.count == 0)
			pthread_cond_wait(&q.cv, &q.mu);
		c = &q.s[q.head];
		pthread_mutex_unlock(&q.mu);
		if (c->error != NULL)
			cvx_die("%s", c->error);
		if (c->job == NULL)
			return NULL;
		put_chunk(c);
		pthread_mutex_lock(&q.mu);
		q.head = (q.head + 1) % NSLOTS;
		q.count--;
		pthread_cond_signal(&q.cv);
		pthread_mutex_unlock(&q.mu);
	}
}

struct slot *
slot_get(void)
{
	struct slot *c;

	pthread_mutex_lock(&q.mu);
	while (q.count == NSLOTS)
		pthread_cond_wait(&q.cv, &q.mu);
	c = &q.s[(q.head + q.count) % NSLOTS];
	pthread_mutex_unlock(&q.mu);
	if (c->buf == NULL)
		c->buf = cvx_malloc(CVX_IOSIZE);
	c->len = 0;
	c->job = NULL;
	c->first = c->last = false;
	c->error = NULL;
	return c;
}

void
slot_put(void)
{
	pthread_mutex_lock(&q.mu);
	q.count++;
	pthread_cond_signal(&q.cv);
	pthread_mutex_unlock(&q.mu);
}

void
writer_init(bool raw)
{
	q.raw = raw;
	cvx_out_init(&q.out, 1, "stdout");
	cvx_stream_register(&q.out);
}

void
writer_start(const char *input)
{
	int r;

	q.input = input;
	if ((r = pthread_create(&q.thread, NULL, writer, NULL)) != 0)
		cvx_die("pthread_create: %s", strerror(r));
	q.running = true;
}

int
writer_finish(void)
{
	size_t i;

	slot_get();
	slot_put();
	pthread_join(q.thread, NULL);
	q.running = false;
	for (i = 0; i < NSLOTS; i++)
		free(q.s[i].buf);
	cvx_buf_free(&q.carry);
	cvx_progress_label(NULL);	/* the last line: the whole stream */
	cvx_buf_free(&q.label);
	return cvx_out_close(&q.out);
}

/*
 * Once the writer runs, the error travels to it behind the chunks already
 * read, and it dies with it (the abort line, if bytes have reached
 * stdout): one thread owns stdout.
 */
void
fail(const char *fmt, ...)
{
	struct cvx_buf msg = {0};
	struct slot *c;
	va_list ap;
	char tmp[4096];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (!q.running)
		cvx_die("%s", tmp);
	cvx_buf_adds(&msg, tmp);
	c = slot_get();
	c->error = msg.p;
	slot_put();
	pthread_join(q.thread, NULL);
	cvx_die("%s", tmp);
}
