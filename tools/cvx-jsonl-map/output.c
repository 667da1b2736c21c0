/* SPDX-License-Identifier: MIT */
/*
 * output.c: what cvx-jsonl-map's workers made of each chunk, written in
 * input order: the output, the rejected lines (stderr, the errors file,
 * --max-errors) and a relayed abort line.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx-jsonl-map.h"

/* One input line the writer must act on instead of just copying output. */
enum rec_kind { REC_ERROR, REC_ABORT };

struct rec {
	enum rec_kind	 kind;
	size_t		 off;	/* chunk output bytes before it */
	uint64_t	 idx;	/* 1-based line in the chunk */
	size_t		 msg;	/* the message in msgs */
	size_t		 msglen;
	size_t		 in;	/* the input line in in */
	size_t		 inlen;
};

/* The output stream. */
static struct cvx_out out;
/* The input's name for messages. */
static const char *in_name;
/* --max-errors: give up at this many rejected lines (0: never). */
static unsigned long max_errors;
/* --errors FILE: where rejected lines go, buffered. */
static const char *errors_path;
static int errors_fd = -1;
static struct cvx_buf errors_buf;
/* Input lines of the chunks written so far, and rejected lines. */
static uint64_t lines_done;
static unsigned long nerrors;

/* Record that line idx of c is rejected (or is an abort line). */
static void
rec_add(struct chunk *c, enum rec_kind kind, uint64_t idx, const char *line,
    size_t len, const char *msg, size_t msglen)
{
	struct rec *r;

	if (c->nrecs == c->caprecs) {
		c->caprecs = c->caprecs ? c->caprecs * 2 : 8;
		c->recs = cvx_reallocarray(c->recs, c->caprecs,
		    sizeof(*c->recs));
	}
	r = &c->recs[c->nrecs++];
	r->kind = kind;
	r->off = c->out->len;
	r->idx = idx;
	r->in = (size_t)(line - c->in->p);
	r->inlen = len;
	r->msg = c->msgs.len;
	cvx_jq_message(&c->msgs, msg, msglen, MSG_MAX);
	r->msglen = c->msgs.len - r->msg;
}

struct chunk *
chunk_begin(struct cvx_chunk *chunk)
{
	struct chunk *c;

	if (chunk->data == NULL)
		chunk->data = cvx_calloc(1, sizeof(*c));
	c = chunk->data;
	c->in = &chunk->in;
	c->out = &chunk->out;
	cvx_buf_reset(&c->msgs);
	c->nrecs = 0;
	c->nlines = 0;
	return c;
}

bool
chunk_reject(struct chunk *c, size_t out_len, uint64_t idx, const char *line,
    size_t len, const char *fmt, ...)
{
	char m[2 * MSG_MAX + 256];
	va_list ap;
	int n;

	/* Outputs made before the failure belong to the rejected line. */
	c->out->len = out_len;
	va_start(ap, fmt);
	n = vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	rec_add(c, REC_ERROR, idx, line, len, m,
	    (size_t)n < sizeof(m) ? (size_t)n : sizeof(m) - 1);
	return max_errors != 1;
}

void
chunk_abort(struct chunk *c, uint64_t idx, const char *line, size_t len)
{
	rec_add(c, REC_ABORT, idx, line, len, "", 0);
}

void
chunk_release(struct cvx_chunk *chunk)
{
	struct chunk *c = chunk->data;

	if (c != NULL) {
		cvx_buf_free(&c->msgs);
		free(c->recs);
		free(c);
	}
}

void
output_start(const char *name, unsigned long max)
{
	in_name = name;
	max_errors = max;
	cvx_out_init(&out, 1, "stdout");
	cvx_stream_register(&out);
}

void
output_errors_open(const char *path)
{
	errors_path = path;
	if (path != NULL && (errors_fd = open(path,
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
		cvx_die("%s: %s", path, strerror(errno));
}

/* Write out what the errors file has buffered; die if it fails. */
static void
errors_flush(void)
{
	if (errors_fd >= 0 && errors_buf.len > 0 &&
	    cvx_write_all(errors_fd, errors_buf.p, errors_buf.len) != 0)
		cvx_die("%s: %s", errors_path, strerror(errno));
	cvx_buf_reset(&errors_buf);
}

/* Act on a rejected line, in input order: report, record, maybe stop. */
static void
handle_error(const struct chunk *c, const struct rec *r, uint64_t lineno)
{
	static struct cvx_buf clean;
	const char *msg = c->msgs.p + r->msg;

	nerrors++;
	if (errors_fd >= 0) {
		cvx_buf_printf(&errors_buf, "{\"line\":%ju,\"error\":",
		    (uintmax_t)lineno);
		cvx_json_quote(&errors_buf, msg, r->msglen);
		cvx_buf_adds(&errors_buf, ",\"input\":");
		cvx_buf_reset(&clean);
		cvx_utf8_clean(&clean, c->in->p + r->in, r->inlen);
		cvx_json_quote(&errors_buf, clean.p, clean.len);
		cvx_buf_adds(&errors_buf, "}\n");
		if (errors_buf.len >= 65536)
			errors_flush();
	}
	if (max_errors == 0 || nerrors < max_errors) {
		warnx("%s: line %ju: %.*s", in_name, (uintmax_t)lineno,
		    (int)r->msglen, msg);
		return;
	}
	errors_flush();
	cvx_out_flush(&out);
	if (max_errors == 1)
		cvx_die("%s: line %ju: %.*s", in_name, (uintmax_t)lineno,
		    (int)r->msglen, msg);
	warnx("%s: line %ju: %.*s", in_name, (uintmax_t)lineno,
	    (int)r->msglen, msg);
	cvx_die("%s: giving up after %lu rejected lines", in_name, nerrors);
}

/* Pass an upstream abort line on, after the output before it; exit 1. */
static void __attribute__((noreturn))
handle_abort(const struct chunk *c, const struct rec *r, uint64_t lineno)
{
	errors_flush();
	cvx_out_flush(&out);
	cvx_abort_relay(in_name, lineno, c->in->p + r->in, r->inlen);
}

/* Write part of a chunk's output (p may be NULL when n is 0). */
static void
put_out(const char *p, size_t n)
{
	if (n > 0)
		cvx_out_write(&out, p, n);
}

void
output_chunk(struct cvx_chunk *chunk)
{
	struct chunk *c = chunk->data;
	size_t pos = 0, i;
	struct rec *r;

	for (i = 0; i < c->nrecs; i++) {
		r = &c->recs[i];
		put_out(c->out->p + pos, r->off - pos);
		pos = r->off;
		if (r->kind == REC_ABORT)
			handle_abort(c, r, lines_done + r->idx);
		handle_error(c, r, lines_done + r->idx);
	}
	put_out(c->out->p + pos, c->out->len - pos);
	lines_done += c->nlines;
}

void
output_flush(void)
{
	cvx_out_flush(&out);
}

int
output_finish(int rerr)
{
	errors_flush();
	if (rerr != 0) {
		cvx_out_flush(&out);
		cvx_die("%s: %s", in_name, strerror(rerr));
	}
	if (errors_fd >= 0 && close(errors_fd) != 0)
		cvx_die("%s: %s", errors_path, strerror(errno));
	if (cvx_out_close(&out) != 0)
		return 1;
	return nerrors > 0 ? 1 : 0;
}
