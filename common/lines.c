/* SPDX-License-Identifier: MIT */
/* lines.c: read a stream line by line through one growing buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx.h"

void
cvx_lines_init(struct cvx_lines *r, int fd, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
	r->cap = CVX_IOSIZE;
	r->buf = cvx_malloc(r->cap);
	cvx_pipe_grow(fd);
}

/* Read more input after end, moving or growing the buffer as needed. */
static int
lines_fill(struct cvx_lines *r)
{
	ssize_t n;

	if (r->start > 0 && r->start == r->end) {
		r->start = r->end = 0;
	} else if (r->end == r->cap && r->start > 0) {
		/* Keep the partial line, drop what was returned. */
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	} else if (r->end == r->cap) {
		/* One line longer than the buffer: grow to hold it. */
		r->cap *= 2;
		r->buf = cvx_realloc(r->buf, r->cap);
	}
	for (;;) {
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n >= 0)
			break;
		if (errno != EINTR)
			return -1;
	}
	if (n == 0)
		r->eof = true;
	r->end += (size_t)n;
	return 0;
}

int
cvx_lines_next(struct cvx_lines *r, const char **line, size_t *len, bool *nl)
{
	size_t scanned = r->start;
	char *p;

	for (;;) {
		p = memchr(r->buf + scanned, '\n', r->end - scanned);
		if (p != NULL) {
			*line = r->buf + r->start;
			*len = (size_t)(p - *line);
			*nl = true;
			r->bytes += *len + 1;
			r->start += *len + 1;
			r->lineno++;
			return 1;
		}
		if (r->eof) {
			if (r->start == r->end)
				return 0;
			*line = r->buf + r->start;
			*len = r->end - r->start;
			*nl = false;
			r->bytes += *len;
			r->start = r->end;
			r->lineno++;
			return 1;
		}
		/* Only the new bytes need searching after a fill. */
		scanned = r->end - r->start;
		if (lines_fill(r) != 0)
			return -1;
		scanned += r->start;
	}
}

void
cvx_lines_free(struct cvx_lines *r)
{
	free(r->buf);
	r->buf = NULL;
}
