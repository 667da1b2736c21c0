/* SPDX-License-Identifier: MIT */
/*
 * table.c: the tables of the ZIP: their catalogue, their numbers (from
 * --table-numbers, from their _ids, or fresh) and the spool that holds
 * their documents until the ZIP is written in table-number order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx-zip.h"

/* A table's documents are written to the spool in runs of this size. */
#define CHUNK		(256 * 1024)
/* All tables' unspooled documents together stay below this. */
#define PEND_MAX	(32 * 1024 * 1024)

static int spool_fd = -1;	/* the spool: one unlinked file */
static struct cvx_buf spool_dir;
static off_t spool_end;
static size_t pend_total;	/* bytes in every table's pend */

bool
zip_is_identifier(const char *s, size_t n)
{
	size_t i;
	bool only_underscores = true;

	/* identifier.rs:7,30-139: [A-Za-z_][A-Za-z0-9_]*, <= 64, not all _ */
	if (n == 0 || n > 64 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c != '_')
			only_underscores = false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return !only_underscores;
}

/* FNV-1a of s[0..n). */
static size_t
hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (size_t)h;
}

struct ztable *
zcat_find(struct zcat *c, const char *ident, size_t n)
{
	size_t i, k;

	if (c->hcap == 0)
		return NULL;
	for (i = hash(ident, n) & (c->hcap - 1); (k = c->hash[i]) != 0;
	    i = (i + 1) & (c->hcap - 1))
		if (strlen(c->t[k - 1]->ident) == n &&
		    memcmp(c->t[k - 1]->ident, ident, n) == 0)
			return c->t[k - 1];
	return NULL;
}

/* Put table index k (0-based) in the hash. */
static void
hash_put(struct zcat *c, size_t k)
{
	const char *id = c->t[k]->ident;
	size_t i;

	for (i = hash(id, strlen(id)) & (c->hcap - 1); c->hash[i] != 0;
	    i = (i + 1) & (c->hcap - 1))
		;
	c->hash[i] = k + 1;
}

/* Index every table again: after a sort, a removal, or a larger hash. */
static void
rehash(struct zcat *c)
{
	size_t i;

	memset(c->hash, 0, c->hcap * sizeof(*c->hash));
	for (i = 0; i < c->n; i++)
		hash_put(c, i);
}

struct ztable *
zcat_add(struct zcat *c, const char *component, const char *name)
{
	struct ztable *t = cvx_calloc(1, sizeof(*t));
	struct cvx_buf b = { 0 };

	t->component = cvx_strdup(component);
	t->name = cvx_strdup(name);
	if (*component != '\0')
		cvx_buf_printf(&b, "%s:%s", component, name);
	else
		cvx_buf_adds(&b, name);
	t->ident = cvx_strdup(b.p);
	cvx_buf_reset(&b);
	if (*component != '\0')
		cvx_buf_printf(&b, "%s:%s", component, name);
	else
		cvx_buf_adds(&b, name);
	t->qname = cvx_strdup(b.p);
	cvx_buf_free(&b);
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->t = cvx_reallocarray(c->t, c->cap, sizeof(*c->t));
	}
	c->t[c->n++] = t;
	if (2 * c->n > c->hcap) {
		free(c->hash);
		c->hcap = c->hcap ? 2 * c->hcap : 64;
		c->hash = cvx_calloc(c->hcap, sizeof(*c->hash));
		rehash(c);
	} else
		hash_put(c, c->n - 1);
	return t;
}

void
zcat_free(struct zcat *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->t[i]->component);
		free(c->t[i]->name);
		free(c->t[i]->ident);
		free(c->t[i]->qname);
		free(c->t[i]->chunks);
		cvx_buf_free(&c->t[i]->pend);
		free(c->t[i]);
	}
	free(c->t);
	free(c->hash);
	memset(c, 0, sizeof(*c));
}

/* The table of component comp that has number num, or NULL. */
static struct ztable *
number_owner(const struct zcat *c, const char *comp, uint32_t num)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->t[i]->number == num &&
		    strcmp(c->t[i]->component, comp) == 0)
			return c->t[i];
	return NULL;
}

void
znum_read(struct zcat *c, const char *path)
{
	struct cvx_lines r;
	struct cvx_buf name = { 0 }, comp = { 0 }, id = { 0 };
	struct cvx_json_error e;
	struct ztable *t, *o;
	const char *line;
	size_t len;
	uint32_t num;
	bool nl;
	int fd, rc;

	if ((fd = cvx_open_input(path)) < 0)
		cvx_die("%s: %s", path, strerror(errno));
	cvx_lines_init(&r, fd, path);
	while ((rc = cvx_lines_next(&r, &line, &len, &nl)) == 1) {
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (cvx_tables_line(line, len, &name, &comp, &num, &e) != 0)
			cvx_die("%s: line %ju, byte %zu: %s", path,
			    (uintmax_t)r.lineno, e.offset + 1, e.msg);
		if (!zip_is_identifier(name.p, name.len) || name.p[0] == '_')
			cvx_die("%s: line %ju: \"name\" is not a user table"
			    " name", path, (uintmax_t)r.lineno);
		cvx_buf_reset(&id);
		if (comp.len > 0)
			cvx_buf_printf(&id, "%s:%s", comp.p, name.p);
		else
			cvx_buf_adds(&id, name.p);
		if (zcat_find(c, id.p, id.len) != NULL)
			cvx_die("%s: line %ju: table %s listed twice", path,
			    (uintmax_t)r.lineno, id.p);
		if ((o = number_owner(c, comp.len ? comp.p : "", num)) != NULL)
			cvx_die("%s: line %ju: number %ju given to %s and %s",
			    path, (uintmax_t)r.lineno, (uintmax_t)num,
			    o->ident, id.p);
		t = zcat_add(c, comp.len ? comp.p : "", name.p);
		t->number = num;
		t->from = ZNUM_FILE;
	}
	if (rc < 0)
		cvx_die("%s: %s", path, strerror(errno));
	cvx_lines_free(&r);
	if (fd != 0)
		(void)close(fd);
	cvx_buf_free(&name);
	cvx_buf_free(&comp);
	cvx_buf_free(&id);
}

void
znum_from_id(struct zcat *c, struct ztable *t, uint32_t num, uint64_t lineno)
{
	struct ztable *o;

	if (t->number == num)
		return;
	if (t->number != 0 && t->from == ZNUM_FILE)
		cvx_die("line %ju: table %s: field _id: carries table number"
		    " %lu, but --table-numbers gives the table %lu",
		    (uintmax_t)lineno, t->ident, (unsigned long)num,
		    (unsigned long)t->number);
	if (t->number != 0)
		cvx_die("line %ju: table %s: field _id: carries table number"
		    " %lu, but the _id at line %ju carries %lu",
		    (uintmax_t)lineno, t->ident, (unsigned long)num,
		    (uintmax_t)t->from_line, (unsigned long)t->number);
	if ((o = number_owner(c, t->component, num)) != NULL)
		cvx_die("line %ju: table %s: field _id: carries table number"
		    " %lu, which is table %s's", (uintmax_t)lineno, t->ident,
		    (unsigned long)num, o->ident);
	t->number = num;
	t->from = ZNUM_ID;
	t->from_line = lineno;
}

/* Order: component ("" first), then number. */
static int
table_cmp(const void *a, const void *b)
{
	const struct ztable *x = *(struct ztable *const *)a;
	const struct ztable *y = *(struct ztable *const *)b;
	int c = strcmp(x->component, y->component);

	if (c != 0)
		return c;
	return (x->number > y->number) - (x->number < y->number);
}

void
zcat_drop_skipped(struct zcat *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++) {
		if (!c->t[i]->skip) {
			c->t[n++] = c->t[i];
			continue;
		}
		free(c->t[i]->component);
		free(c->t[i]->name);
		free(c->t[i]->ident);
		free(c->t[i]->qname);
		free(c->t[i]->chunks);
		cvx_buf_free(&c->t[i]->pend);
		free(c->t[i]);
	}
	c->n = n;
	rehash(c);
}

void
zcat_sort(struct zcat *c)
{
	qsort(c->t, c->n, sizeof(*c->t), table_cmp);
	rehash(c);
}

void
znum_assign(struct zcat *c)
{
	uint64_t next;
	size_t i;

	/* In order of first appearance, so the result is deterministic. */
	for (i = 0; i < c->n; i++) {
		struct ztable *t = c->t[i];

		if (t->number != 0)
			continue;
		for (next = ZIP_FIRST_USER_TABLE;
		    number_owner(c, t->component, (uint32_t)next) != NULL;
		    next++)
			if (next == UINT32_MAX)
				cvx_die("%s: no table number left", t->ident);
		t->number = (uint32_t)next;
		t->from = ZNUM_FRESH;
	}
}

void
znum_write(const struct zcat *c, const char *path)
{
	struct cvx_buf b = { 0 };
	FILE *f;
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct ztable *t = c->t[i];

		cvx_buf_adds(&b, "{\"name\":");
		cvx_json_quote(&b, t->name, strlen(t->name));
		cvx_buf_printf(&b, ",\"id\":%lu", (unsigned long)t->number);
		if (*t->component != '\0') {
			cvx_buf_adds(&b, ",\"component\":");
			cvx_json_quote(&b, t->component,
			    strlen(t->component));
		}
		cvx_buf_adds(&b, "}\n");
	}
	if (strcmp(path, "-") == 0)
		f = stdout;
	else if ((f = fopen(path, "w")) == NULL)
		cvx_die("%s: %s", path, strerror(errno));
	if (fwrite(b.p, 1, b.len, f) != b.len || fflush(f) != 0 ||
	    (f != stdout && fclose(f) != 0))
		cvx_die("%s: %s", path, strerror(errno));
	cvx_buf_free(&b);
}

/* Move t's pending documents to the spool file. */
static void
spool_flush(struct ztable *t)
{
	if (t->pend.len == 0)
		return;
	if (spool_fd < 0 && (spool_fd = cvx_tmpfile(NULL, &spool_dir)) < 0)
		cvx_die("%s: temporary file: %s", spool_dir.p,
		    strerror(errno));
	if (cvx_write_all(spool_fd, t->pend.p, t->pend.len) != 0)
		cvx_die("%s: temporary file: %s", spool_dir.p,
		    strerror(errno));
	if (t->nchunks == t->capchunks) {
		t->capchunks = t->capchunks ? 2 * t->capchunks : 8;
		t->chunks = cvx_reallocarray(t->chunks, t->capchunks,
		    sizeof(*t->chunks));
	}
	t->chunks[t->nchunks].off = spool_end;
	t->chunks[t->nchunks++].len = t->pend.len;
	spool_end += (off_t)t->pend.len;
	pend_total -= t->pend.len;
	cvx_buf_free(&t->pend);
}

void
zspool_add(struct zcat *c, struct ztable *t, const char *doc, size_t n)
{
	size_t i;

	cvx_buf_add(&t->pend, doc, n);
	pend_total += n;
	t->bytes += n;
	t->docs++;
	if (t->pend.len >= CHUNK)
		spool_flush(t);
	if (pend_total >= PEND_MAX)
		for (i = 0; i < c->n; i++)
			spool_flush(c->t[i]);
}

void
zspool_read(struct ztable *t, void (*fn)(void *, const void *, size_t),
    void *ctx)
{
	char *buf = NULL;
	size_t i, done, want;
	ssize_t r;

	for (i = 0; i < t->nchunks; i++) {
		if (buf == NULL)
			buf = cvx_malloc(CVX_IOSIZE);
		for (done = 0; done < t->chunks[i].len; done += (size_t)r) {
			want = t->chunks[i].len - done;
			if (want > CVX_IOSIZE)
				want = CVX_IOSIZE;
			do
				r = pread(spool_fd, buf, want,
				    t->chunks[i].off + (off_t)done);
			while (r < 0 && errno == EINTR);
			if (r <= 0)
				cvx_die("%s: temporary file: %s", spool_dir.p,
				    r < 0 ? strerror(errno) : "short read");
			fn(ctx, buf, (size_t)r);
		}
	}
	free(buf);
	if (t->pend.len > 0)
		fn(ctx, t->pend.p, t->pend.len);
}

void
zspool_close(void)
{
	if (spool_fd >= 0)
		(void)close(spool_fd);
	spool_fd = -1;
	cvx_buf_free(&spool_dir);
}
