/* SPDX-License-Identifier: MIT */
/*
 * write.c: the ZIP, with libarchive's ZIP writer: per component,
 * _tables/documents.jsonl, then each table in number order, its
 * documents.jsonl and a generated_schema.jsonl saying "uniform"
 * (convex-export-format.md §2, §4, §5).  Every entry gets the same fixed
 * time, owner and mode, so the same input gives the same bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>

#include "cvx-zip.h"

/* 1980-01-01 00:00:00 UTC, the first time a ZIP (DOS) date can hold. */
#define FIXED_MTIME	315532800
/* Entries are sized up front; past this the writer is told to use Zip64
 * everywhere, so that no size or offset can overflow 32 bits. */
#define ZIP64_FROM	(UINT32_MAX - (64U << 20))
/* What the importer reads as the uniform encoding (parse.rs:442). */
static const char uniform[] = "\"uniform\"\n";

struct zw {
	struct archive *a;
	struct archive_entry *e;
	const char *name;	/* the output, for messages */
	const char *entry;	/* the entry being written */
};

static void
la_die(struct zw *w)
{
	const char *m = archive_error_string(w->a);

	cvx_die("%s: %s%s%s", w->name, w->entry ? w->entry : "",
	    w->entry ? ": " : "", m ? m : "unknown libarchive error");
}

/* Start entry path of size bytes. */
static void
entry_start(struct zw *w, const char *path, uint64_t size)
{
	archive_entry_clear(w->e);
	archive_entry_set_pathname_utf8(w->e, path);
	archive_entry_set_filetype(w->e, AE_IFREG);
	archive_entry_set_perm(w->e, 0644);
	archive_entry_set_size(w->e, (la_int64_t)size);
	archive_entry_set_mtime(w->e, FIXED_MTIME, 0);
	archive_entry_set_uid(w->e, 0);
	archive_entry_set_gid(w->e, 0);
	w->entry = path;
	if (archive_write_header(w->a, w->e) != ARCHIVE_OK)
		la_die(w);
}

/* Write n bytes of the current entry. */
static void
entry_data(void *v, const void *p, size_t n)
{
	struct zw *w = v;
	la_ssize_t r;

	while (n > 0) {
		if ((r = archive_write_data(w->a, p, n)) <= 0)
			la_die(w);
		p = (const char *)p + r;
		n -= (size_t)r;
	}
}

static void
entry_end(struct zw *w)
{
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
		la_die(w);
	w->entry = NULL;
}

/* One component's tables c->t[from..to): _tables, then each table. */
static void
write_component(struct zw *w, struct zcat *c, size_t from, size_t to)
{
	struct cvx_buf prefix = { 0 }, path = { 0 }, tables = { 0 };
	const char *comp = c->t[from]->component, *p, *slash;
	size_t i;

	/* "a/b" -> "_components/a/_components/b/" (exports/src/lib.rs). */
	for (p = comp; *p != '\0'; p = *slash ? slash + 1 : slash) {
		slash = p + strcspn(p, "/");
		cvx_buf_printf(&prefix, "_components/%.*s/", (int)(slash - p),
		    p);
	}
	for (i = from; i < to; i++) {
		cvx_buf_adds(&tables, "{\"name\":");
		cvx_json_quote(&tables, c->t[i]->name, strlen(c->t[i]->name));
		cvx_buf_printf(&tables, ",\"id\":%lu}\n",
		    (unsigned long)c->t[i]->number);
	}
	cvx_buf_printf(&path, "%s_tables/documents.jsonl", prefix.p ?
	    prefix.p : "");
	entry_start(w, path.p, tables.len);
	entry_data(w, tables.p, tables.len);
	entry_end(w);
	for (i = from; i < to; i++) {
		struct ztable *t = c->t[i];

		cvx_buf_reset(&path);
		cvx_buf_printf(&path, "%s%s/documents.jsonl",
		    prefix.p ? prefix.p : "", t->name);
		entry_start(w, path.p, t->bytes);
		zspool_read(t, entry_data, w);
		entry_end(w);
		cvx_buf_reset(&path);
		cvx_buf_printf(&path, "%s%s/generated_schema.jsonl",
		    prefix.p ? prefix.p : "", t->name);
		entry_start(w, path.p, sizeof(uniform) - 1);
		entry_data(w, uniform, sizeof(uniform) - 1);
		entry_end(w);
	}
	cvx_buf_free(&prefix);
	cvx_buf_free(&path);
	cvx_buf_free(&tables);
}

void
zwrite_zip(struct zcat *c, int fd, const char *name)
{
	struct zw w = { NULL, NULL, name, NULL };
	uint64_t total = 0;
	size_t i, from;

	/* DOS times are local times: make local time UTC, so the bytes do
	 * not depend on the zone the tool runs in. */
	(void)setenv("TZ", "UTC0", 1);
	tzset();
	for (i = 0; i < c->n; i++)
		total += c->t[i]->bytes + 64;
	if ((w.a = archive_write_new()) == NULL ||
	    (w.e = archive_entry_new()) == NULL)
		cvx_die("out of memory");
	if (archive_write_set_format_zip(w.a) != ARCHIVE_OK ||
	    archive_write_set_options(w.a, "zip:compression=deflate") !=
	    ARCHIVE_OK ||
	    (total >= ZIP64_FROM &&
	    archive_write_set_options(w.a, "zip:zip64") != ARCHIVE_OK) ||
	    archive_write_set_bytes_in_last_block(w.a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(w.a, fd) != ARCHIVE_OK)
		la_die(&w);
	for (from = 0; from < c->n; from = i) {
		for (i = from; i < c->n && strcmp(c->t[i]->component,
		    c->t[from]->component) == 0; i++)
			;
		write_component(&w, c, from, i);
	}
	if (archive_write_close(w.a) != ARCHIVE_OK)
		la_die(&w);
	archive_write_free(w.a);
	archive_entry_free(w.e);
}
