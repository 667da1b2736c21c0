/* SPDX-License-Identifier: MIT */
/*
 * exportread.c: the export being read, a ZIP or an extracted folder
 * (cvx-unzip, cvx-schema): opening it, pass 0 that catalogues its entries,
 * and reading an entry's bytes.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx.h"

/* Where a reading error goes once the tool has set one (NULL: cvx_die). */
static void (*fail_hook)(const char *msg);

void
cvx_export_on_fail(void (*fn)(const char *msg))
{
	fail_hook = fn;
}

void
cvx_export_fail(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fail_hook != NULL)
		fail_hook(msg);
	cvx_die("%s", msg);
}

/* Append an entry; returns its index. */
static size_t
add_entry(struct cvx_export *x, const char *name, int64_t size)
{
	struct cvx_export_entry *e;

	if (x->ne == x->cape) {
		x->cape = x->cape ? 2 * x->cape : 64;
		x->e = cvx_reallocarray(x->e, x->cape, sizeof(*x->e));
	}
	e = &x->e[x->ne];
	memset(e, 0, sizeof(*e));
	e->name = cvx_strdup(name);
	e->size = size;
	return x->ne++;
}

size_t
cvx_export_read(struct cvx_export_reader *r, char *buf, size_t n)
{
	ssize_t got;

	if (r->z != NULL)
		return cvx_zip_read(r->z, r->name, buf, n);
	if (r->fd < 0) {
		struct cvx_buf path = {0};

		cvx_buf_printf(&path, "%s/%s", r->x->dir, r->name);
		r->fd = open(path.p, O_RDONLY | O_CLOEXEC);
		cvx_buf_free(&path);
		if (r->fd < 0)
			cvx_export_fail("%s: %s: %s", r->x->input, r->name,
			    strerror(errno));
	}
	if ((got = cvx_read_full(r->fd, buf, n)) < 0)
		cvx_export_fail("%s: %s: %s", r->x->input, r->name,
		    strerror(errno));
	return (size_t)got;
}

/* ---- pass 0: the catalogue -------------------------------------------- */

/* Read a whole small entry into b (to its end, so its CRC is checked). */
static void
read_small(struct cvx_export_reader *r, struct cvx_buf *b)
{
	size_t got;

	do {
		cvx_buf_grow(b, 65536);
		got = cvx_export_read(r, b->p + b->len, 65536);
		b->len += got;
		b->p[b->len] = '\0';
		if (b->len > CVX_LINE_MAX)
			cvx_die("%s: %s: too large", r->x->input, r->name);
	} while (got > 0);
}

/* Record a component's _tables/documents.jsonl lines (§5). */
static void
read_tables(struct cvx_export_reader *r, const char *component,
    struct cvx_export *x)
{
	struct cvx_buf b = {0};
	struct cvx_json_error e;
	char *p, *nl, *end;
	size_t len, lineno = 0;

	read_small(r, &b);
	for (p = b.p, end = b.p + b.len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		lineno++;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (cvx_catalog_tables_line(&x->cat, component, p, len,
		    &e) != 0)
			cvx_die("%s: %s: line %zu, byte %zu: %s", x->input,
			    r->name, lineno, e.offset + 1, e.msg);
	}
	cvx_buf_free(&b);
}

/*
 * Read the rest of the entry, keeping nothing, so that its CRC-32 is
 * checked (libarchive checks it at the entry's end).  Returns the bytes.
 */
static int64_t
drain(struct cvx_export_reader *r)
{
	char *buf = cvx_malloc(65536);
	int64_t total = 0;
	size_t got;

	while ((got = cvx_export_read(r, buf, 65536)) > 0)
		total += (int64_t)got;
	free(buf);
	return total;
}

/*
 * The value encoding a generated_schema.jsonl declares (§4).  Legacy
 * schemas can be long (an override line per unusual document): only the
 * first bytes are kept, the rest is drained for the CRC-32.
 */
static enum cvx_encoding
read_encoding(struct cvx_export_reader *r)
{
	char head[17];
	size_t len = 0, got;
	int64_t total;

	while (len < sizeof(head) - 1 && (got = cvx_export_read(r, head + len,
	    sizeof(head) - 1 - len)) > 0)
		len += got;
	head[len] = '\0';
	total = (int64_t)len + drain(r);
	if (total == 0)
		return CVX_ENC_NONE;
	if (total == (int64_t)len && strncmp(head, "\"uniform\"", 9) == 0 &&
	    strspn(head + 9, "\r\n") == len - 9)
		return CVX_ENC_UNIFORM;
	return CVX_ENC_LEGACY;
}

/*
 * Classify entry i and record it in the catalogue; r reads the small
 * entries, all of them, before any output: _tables for the catalogue,
 * generated_schema.jsonl for its encoding, and README.md, so that the
 * CRC-32 of each is checked even though it is never written.
 */
static void
catalog_entry(struct cvx_export *x, size_t i, struct cvx_export_reader *r)
{
	struct cvx_export_entry *e = &x->e[i];
	struct cvx_entry_name en;
	struct cvx_table *t;

	cvx_export_parse_name(e->name, &en);
	e->kind = en.kind;
	e->why = en.why;
	switch (en.kind) {
	case CVX_ENTRY_UNSAFE:
		warnx("%s: %s: unsafe entry name, ignored", x->input,
		    e->name);
		break;
	case CVX_ENTRY_DOCUMENTS:
	case CVX_ENTRY_STORAGE:
		t = cvx_catalog_table(&x->cat, en.component, en.table);
		if (t->docs >= 0)
			cvx_die("%s: %s: a second entry for table %s",
			    x->input, e->name, t->qname);
		t->docs = (long)i;
		t->bytes = e->size;
		break;
	case CVX_ENTRY_SCHEMA:
		t = cvx_catalog_table(&x->cat, en.component, en.table);
		if (t->schema >= 0)
			cvx_die("%s: %s: a second schema for table %s",
			    x->input, e->name, t->qname);
		t->schema = (long)i;
		t->encoding = read_encoding(r);
		break;
	case CVX_ENTRY_TABLES:
		read_tables(r, en.component, x);
		break;
	case CVX_ENTRY_README:
		(void)drain(r);
		break;
	default:
		break;
	}
	cvx_entry_name_free(&en);
}

/* Pass 0 over a ZIP: every header, and the small entries' data. */
static void
scan_zip(struct cvx_export *x)
{
	struct cvx_zip z = {0};
	struct cvx_export_reader r = { x, NULL, &z, -1 };
	const char *name;
	int64_t size;
	size_t i;

	cvx_zip_open(&z, x);
	while ((name = cvx_zip_next(&z, &size)) != NULL) {
		i = add_entry(x, name, size);
		r.name = x->e[i].name;
		catalog_entry(x, i, &r);
	}
	cvx_zip_close(&z);
}

/* cvx_export_walk callback: add a folder's file as an entry. */
static void
add_file(void *ctx, const char *rel, const struct stat *st)
{
	struct cvx_export *x = ctx;
	struct cvx_export_reader r = { x, NULL, NULL, -1 };
	size_t i;

	i = add_entry(x, rel, S_ISREG(st->st_mode) ? st->st_size : -1);
	r.name = x->e[i].name;
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
		x->e[i].kind = CVX_ENTRY_STRAY;
		x->e[i].why = "not a regular file";
	} else
		catalog_entry(x, i, &r);
	if (r.fd >= 0)
		(void)close(r.fd);
}

void
cvx_export_open(struct cvx_export *x, const char *path)
{
	struct stat st;
	int fd;

	x->fd = -1;
	x->input = cvx_input_name(path);
	if ((fd = cvx_open_input(path)) < 0 || fstat(fd, &st) != 0)
		cvx_die("%s: %s", x->input, strerror(errno));
	/* A folder on stdin has no name to walk: it reads as a ZIP, and
	 * fails as one. */
	if (S_ISDIR(st.st_mode) && fd != 0) {
		(void)close(fd);
		x->dir = path;
	} else
		cvx_zip_input(x, fd, &st);
}

void
cvx_export_scan(struct cvx_export *x)
{
	/* Each file of a folder is named by its relative path, so it is
	 * classified exactly as a ZIP entry of that name. */
	if (x->dir != NULL)
		cvx_export_walk(x->dir, add_file, x);
	else
		scan_zip(x);
}

void
cvx_export_free(struct cvx_export *x)
{
	size_t i;

	for (i = 0; i < x->ne; i++)
		free(x->e[i].name);
	free(x->e);
	cvx_catalog_free(&x->cat);
	if (x->fd > 0)
		(void)close(x->fd);
}

/* ---- later passes: the selected tables' entries ----------------------- */

void
cvx_walker_start(struct cvx_export_walker *w, struct cvx_export *x)
{
	memset(w, 0, sizeof(*w));
	w->x = x;
	w->z.x = x;
	w->r.fd = -1;
}

struct cvx_export_reader *
cvx_walker_to(struct cvx_export_walker *w, long i)
{
	if (w->r.fd >= 0)
		(void)close(w->r.fd);
	w->r.x = w->x;
	w->r.fd = -1;
	w->r.name = w->x->e[i].name;
	w->r.z = NULL;
	if (w->x->dir != NULL)
		return &w->r;
	cvx_zip_seek(&w->z, i, w->r.name);
	w->r.z = &w->z;
	return &w->r;
}

void
cvx_walker_end(struct cvx_export_walker *w)
{
	if (w->r.fd >= 0)
		(void)close(w->r.fd);
	cvx_zip_close(&w->z);
}

void
cvx_export_require(const struct cvx_export *x)
{
	size_t i;

	for (i = 0; i < x->ne; i++)
		if (x->e[i].kind == CVX_ENTRY_TABLES ||
		    x->e[i].kind == CVX_ENTRY_DOCUMENTS)
			return;
	cvx_export_fail("%s: not a Convex snapshot export: no"
	    " _tables/documents.jsonl and no <table>/documents.jsonl",
	    x->input);
}
