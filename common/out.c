/* SPDX-License-Identifier: MIT */
/* out.c: buffered stream output, the abort line and cvx_die. */
#define _GNU_SOURCE		/* program_invocation_short_name */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx.h"

/* The stream cvx_die writes the abort line to, if any. */
static struct cvx_out *stream_out;

void
cvx_out_init(struct cvx_out *o, int fd, const char *name)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->name = name;
	o->cap = CVX_IOSIZE;
	o->buf = cvx_malloc(o->cap);
	o->at_bol = true;
	cvx_pipe_grow(fd);
}

/* Write len bytes straight to the descriptor, dying on error. */
static void
out_raw(struct cvx_out *o, const char *p, size_t len)
{
	if (len == 0)
		return;
	if (cvx_write_all(o->fd, p, len) != 0) {
		int e = errno;

		/* Nothing more can reach this stream: no abort line. */
		if (stream_out == o)
			stream_out = NULL;
		errno = e;
		err(1, "%s", o->name);
	}
	o->started = true;
	o->at_bol = p[len - 1] == '\n';
}

void
cvx_out_flush(struct cvx_out *o)
{
	size_t len = o->len;

	o->len = 0;
	out_raw(o, o->buf, len);
}

/*
 * Write out the complete lines in the buffer and keep the partial last one,
 * so that an abort line, should one follow, never lands inside a cut
 * document where the consumer would report the cut instead of the reason.
 */
static void
out_lines(struct cvx_out *o)
{
	char *nl = memrchr(o->buf, '\n', o->len);
	size_t k;

	if (nl == NULL)
		return;
	k = (size_t)(nl - o->buf) + 1;
	out_raw(o, o->buf, k);
	memmove(o->buf, o->buf + k, o->len - k);
	o->len -= k;
}

void
cvx_out_write(struct cvx_out *o, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (n > o->cap - o->len) {
		out_lines(o);
		if (n > o->cap - o->len) {
			/* A line longer than the buffer: no end to wait for. */
			cvx_out_flush(o);
			if (n >= o->cap) {
				out_raw(o, p, n);
				return;
			}
		}
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

int
cvx_out_close(struct cvx_out *o)
{
	int rval = 0;

	cvx_out_flush(o);
	if (stream_out == o)
		stream_out = NULL;
	if (close(o->fd) != 0 && errno != EINTR) {
		warn("%s", o->name);
		rval = 1;
	}
	free(o->buf);
	o->buf = NULL;
	return rval;
}

void
cvx_out_abort(struct cvx_out *o, const char *reason)
{
	struct cvx_buf line = {0};
	char *c;

	if (!o->at_bol)
		cvx_buf_addc(&line, '\n');
	cvx_buf_adds(&line, CVX_ABORT_PREFIX);
	cvx_buf_adds(&line, reason);
	for (c = line.p + 1; *c != '\0'; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	cvx_buf_addc(&line, '\n');
	o->len = 0;
	(void)cvx_write_all(o->fd, line.p, line.len);
	o->started = true;
	o->at_bol = true;
	cvx_buf_free(&line);
}

void
cvx_stream_register(struct cvx_out *o)
{
	stream_out = o;
}

bool
cvx_is_abort(const char *line, size_t len, const char **reason)
{
	if (len < CVX_ABORT_PREFIX_LEN ||
	    memcmp(line, CVX_ABORT_PREFIX, CVX_ABORT_PREFIX_LEN) != 0)
		return false;
	if (reason != NULL)
		*reason = line + CVX_ABORT_PREFIX_LEN;
	return true;
}

void
cvx_die(const char *fmt, ...)
{
	struct cvx_out *o = stream_out;
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Guard against recursion through an allocation failure. */
	stream_out = NULL;
	/*
	 * The message first: the abort line makes the stages downstream fail
	 * and say so, and their messages must follow the cause's on the
	 * stderr they share.
	 */
	warnx("%s", msg);
	/*
	 * Tell the consumer even when nothing has reached it yet: a pipe that
	 * is not run with pipefail (a Makefile recipe) then still ends with
	 * the status of a consumer that failed, not of one that read an
	 * empty stream and committed nothing with exit 0.  Unflushed
	 * documents are dropped, so no document follows a failure.
	 */
	if (o != NULL) {
		struct cvx_buf reason = {0};

		cvx_buf_printf(&reason, "%s: %s",
		    program_invocation_short_name, msg);
		cvx_out_abort(o, reason.p);
	}
	exit(1);
}
