/* SPDX-License-Identifier: MIT */
/* counts.c: cvx-count's rows, a hash table of keys and counts. */
#include <stdlib.h>
#include <string.h>

#include "cvx-count.h"

/* FNV-1a: keys are short and few, any decent hash will do. */
static uint64_t
hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return h;
}

/* Double the table and put every row back. */
static void
counts_grow(struct counts *c)
{
	struct entry *old = c->slots;
	size_t i, j, oldcap = c->cap;

	c->cap = oldcap == 0 ? 64 : oldcap * 2;
	c->slots = cvx_calloc(c->cap, sizeof(*c->slots));
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		for (j = old[i].hash & (c->cap - 1); c->slots[j].key != NULL;
		    j = (j + 1) & (c->cap - 1))
			;
		c->slots[j] = old[i];
	}
	free(old);
}

struct entry *
counts_get(struct counts *c, const char *key, size_t len)
{
	uint64_t h = hash_bytes(key, len);
	struct entry *e;
	size_t i;

	if (c->used * 2 >= c->cap)
		counts_grow(c);
	for (i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
		e = &c->slots[i];
		if (e->key == NULL)
			break;
		if (e->hash == h && e->len == len &&
		    memcmp(e->key, key, len) == 0)
			return e;
	}
	e->key = cvx_malloc(len + 1);
	memcpy(e->key, key, len);
	e->key[len] = '\0';
	e->len = len;
	e->hash = h;
	e->n = 0;
	c->used++;
	return e;
}

void
counts_merge(struct counts *dst, const struct counts *src)
{
	size_t i;

	for (i = 0; i < src->cap; i++)
		if (src->slots[i].key != NULL)
			counts_get(dst, src->slots[i].key,
			    src->slots[i].len)->n += src->slots[i].n;
	dst->total += src->total;
}

int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r = memcmp(x->key, y->key, n);

	if (r != 0)
		return r;
	return x->len < y->len ? -1 : x->len > y->len;
}

size_t
counts_sort(struct counts *c)
{
	size_t i, n = 0;

	if (c->cap == 0)
		return 0;
	for (i = 0; i < c->cap; i++)
		if (c->slots[i].key != NULL)
			c->slots[n++] = c->slots[i];
	/* The rows left behind were moved: clear them so they go once. */
	memset(c->slots + n, 0, (c->cap - n) * sizeof(*c->slots));
	if (n > 0)
		qsort(c->slots, n, sizeof(*c->slots), entry_cmp);
	return n;
}

void
counts_free(struct counts *c)
{
	size_t i;

	for (i = 0; i < c->cap; i++)
		free(c->slots[i].key);
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

/* The table of a row's key: the text before its first tab, copied to b. */
static const char *
row_table(struct cvx_buf *b, const struct entry *e)
{
	const char *tab = memchr(e->key, '\t', e->len);

	cvx_buf_reset(b);
	cvx_buf_add(b, e->key, tab != NULL ? (size_t)(tab - e->key) : e->len);
	return b->p;
}

size_t
counts_select(struct counts *c, size_t n, char *const *inc, size_t ninc,
    char *const *exc, size_t nexc)
{
	struct cvx_buf b = { 0 };
	struct entry tmp;
	size_t i, kept = 0;

	if (ninc == 0 && nexc == 0)
		return n;
	c->total = 0;
	for (i = 0; i < n; i++) {
		if (!cvx_table_selected(row_table(&b, &c->slots[i]), inc, ninc,
		    exc, nexc))
			continue;
		c->total += c->slots[i].n;
		/* Swap, not copy: the rows left out are still freed once. */
		tmp = c->slots[kept];
		c->slots[kept++] = c->slots[i];
		c->slots[i] = tmp;
	}
	cvx_buf_free(&b);
	return kept;
}
