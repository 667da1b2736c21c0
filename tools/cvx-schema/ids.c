/* SPDX-License-Identifier: MIT */
/*
 * ids.c: document IDs as 64-bit digests, so that a dangling reference
 * can be found in one pass at 8 bytes a document (16 for a referenced
 * one): a hash set of the IDs a field holds, an array of a table's own.
 */
#include <stdlib.h>
#include <string.h>

#include "cvx-schema.h"

uint64_t
ids_key(uint32_t table, const uint8_t internal[CVX_ID_INTERNAL_LEN])
{
	uint64_t a, b, h;

	/*
	 * The internal id is 14 random bytes and a day number (convex-backend
	 * transaction_id_generator.rs), or a digest in ids that cvx made:
	 * mix all 16 bytes and the table number (splitmix64's finaliser).
	 */
	memcpy(&a, internal, 8);
	memcpy(&b, internal + 8, 8);
	h = a ^ (b * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)table << 32);
	h ^= h >> 30;
	h *= 0xBF58476D1CE4E5B9ULL;
	h ^= h >> 27;
	h *= 0x94D049BB133111EBULL;
	h ^= h >> 31;
	return h != 0 ? h : 1;
}

/* Insert k into slots of size cap (a power of 2); true if new. */
static bool
put(uint64_t *slot, size_t cap, uint64_t k)
{
	size_t i = (size_t)k & (cap - 1);

	while (slot[i] != 0) {
		if (slot[i] == k)
			return false;
		i = (i + 1) & (cap - 1);
	}
	slot[i] = k;
	return true;
}

bool
ids_add(struct ids *s, uint64_t k)
{
	uint64_t *old = s->slot;
	size_t i, ocap = s->cap;

	if (4 * (s->n + 1) > 3 * s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->slot = cvx_calloc(s->cap, sizeof(*s->slot));
		for (i = 0; i < ocap; i++)
			if (old[i] != 0)
				(void)put(s->slot, s->cap, old[i]);
		free(old);
	}
	if (!put(s->slot, s->cap, k))
		return false;
	s->n++;
	return true;
}

bool
ids_has(const struct ids *s, uint64_t k)
{
	size_t i;

	if (s->cap == 0)
		return false;
	for (i = (size_t)k & (s->cap - 1); s->slot[i] != 0;
	    i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == k)
			return true;
	return false;
}

void
ids_free(struct ids *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

void
keys_add(struct keys *a, uint64_t k)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 256;
		a->k = cvx_reallocarray(a->k, a->cap, sizeof(*a->k));
	}
	a->k[a->n++] = k;
	a->sorted = false;
}

/* Order two digests. */
static int
key_cmp(const void *va, const void *vb)
{
	uint64_t a = *(const uint64_t *)va, b = *(const uint64_t *)vb;

	return (a > b) - (a < b);
}

bool
keys_has(struct keys *a, uint64_t k)
{
	size_t lo = 0, hi = a->n, mid;

	if (!a->sorted && a->n > 0)
		qsort(a->k, a->n, sizeof(*a->k), key_cmp);
	a->sorted = true;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a->k[mid] == k)
			return true;
		if (a->k[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void
keys_free(struct keys *a)
{
	free(a->k);
	memset(a, 0, sizeof(*a));
}
