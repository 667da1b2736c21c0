/* SPDX-License-Identifier: MIT */
/* buf.c: a growable byte buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvx.h"

void
cvx_buf_grow(struct cvx_buf *b, size_t extra)
{
	size_t need, cap;

	if (extra > SIZE_MAX - b->len - 1)
		cvx_die("out of memory (buffer of %zu bytes)", b->len);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	/* Doubling keeps appends amortised O(1). */
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->p = cvx_realloc(b->p, cap);
	b->cap = cap;
}

void
cvx_buf_add(struct cvx_buf *b, const void *s, size_t n)
{
	cvx_buf_grow(b, n);
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
cvx_buf_adds(struct cvx_buf *b, const char *s)
{
	cvx_buf_add(b, s, strlen(s));
}

void
cvx_buf_printf(struct cvx_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		cvx_die("vsnprintf failed");
	cvx_buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
cvx_buf_reset(struct cvx_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void
cvx_buf_free(struct cvx_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
