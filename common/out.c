/* SPDX-License-Identifier: MIT */
/* out.c: buffered stream output. */
#define _GNU_SOURCE		/* memrchr */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx.h"

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
	/* Mid-write, a signal's abort line must start a line of its own. */
	if (o->fd == 1)
		cvx_stream_at_bol(false);
	if (cvx_write_all(o->fd, p, len) != 0)
		cvx_die("%s: %s", o->name, strerror(errno));
	o->started = true;
	o->at_bol = p[len - 1] == '\n';
	if (o->fd == 1)
		cvx_stream_at_bol(o->at_bol);
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
	cvx_stream_register(NULL);
	if (close(o->fd) != 0 && errno != EINTR) {
		warn("%s", o->name);
		rval = 1;
	}
	free(o->buf);
	o->buf = NULL;
	return rval;
}
