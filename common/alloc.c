/* SPDX-License-Identifier: MIT */
/* alloc.c: allocation that dies instead of returning NULL. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cvx.h"

void *
cvx_malloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		cvx_die("out of memory (%zu bytes)", size);
	return p;
}

void *
cvx_calloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		cvx_die("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

void *
cvx_realloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (q == NULL)
		cvx_die("out of memory (%zu bytes)", size);
	return q;
}

void *
cvx_reallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		cvx_die("out of memory (%zu x %zu bytes)", nmemb, size);
	return cvx_realloc(p, nmemb * size);
}

char *
cvx_strdup(const char *s)
{
	return cvx_memdup(s, strlen(s) + 1);
}

void *
cvx_memdup(const void *p, size_t size)
{
	void *q = cvx_malloc(size);

	if (size)
		memcpy(q, p, size);
	return q;
}
