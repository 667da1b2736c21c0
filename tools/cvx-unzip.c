/* SPDX-License-Identifier: MIT */
/* cvx-unzip: a Convex export, ZIP or folder, into the tagged JSONL stream. */
#include <sys/stat.h>
#include <sys/types.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cvx.h"

/*
 * Longest line accepted.  A Convex document is at most 1 MiB by Convex's
 * size metric (convex-export-format.md §9); its JSON text can be a few
 * times that (escapes), never 64 MiB.  The cap keeps memory bounded on a
 * corrupt entry that has no newline.
 */
#define MAX_LINE	(64 * 1024 * 1024)
/* Chunks in flight between the reading and the writing thread. */
#define NSLOTS		4
/* First read after a seek: small, so walking headers reads little. */
#define SMALL_READ	(16 * 1024)

static char **opt_tables;	/* -t patterns, in order; NULL: all */
static size_t opt_ntables;
static char **opt_exclude;	/* -x patterns */
static size_t opt_nexclude;
static bool opt_list;		/* -l: the inventory instead of the stream */
static bool opt_raw;		/* -r: no _table/_component tag */
static bool opt_storage;	/* -s: emit _storage metadata too */

/* One entry of the export: a ZIP entry (by position) or a folder's file. */
struct entry {
	char	*name;		/* ZIP entry name, or path in the folder */
	int64_t	 size;		/* uncompressed bytes, -1 if unknown */
	enum cvx_entry_kind kind;
	const char *why;	/* why it is ignored */
};

/* The export being read. */
struct export {
	const char *input;	/* the operand, for messages */
	const char *dir;	/* folder operand, or NULL for a ZIP */
	int	 fd;		/* ZIP: a seekable descriptor */
	off_t	 base;		/* ZIP: where the archive starts in fd */
	int64_t	 size;		/* ZIP: bytes from base to the end */
	struct entry *e;
	size_t	 ne;
	size_t	 cape;
	struct cvx_catalog cat;
};

/* The libarchive client: pread(2) on the seekable file. */
struct source {
	struct export *x;
	int64_t	 pos;		/* offset from x->base */
	size_t	 blk;		/* next read size: grows after each read */
	char	*buf;
};

/* Reading one entry's bytes, from an archive or a file. */
struct reader {
	struct export *x;
	const char *name;
	struct archive *a;	/* ZIP, or NULL */
	int	 fd;		/* folder file */
};

static void fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: cvx-unzip [-lrs] [-t tables] [-x tables]"
	    " [export]\n");
	if (fp == stdout)
		exit(cvx_close_stdout());
	exit(status);
}

/* ---- ZIP input ------------------------------------------------------- */

/* libarchive's message for a (NULL for some failures). */
static const char *
la_msg(struct archive *a)
{
	const char *m = archive_error_string(a);

	return m != NULL ? m : "unknown libarchive error";
}

/* "%.*s" arguments: the message's first line (some end in a newline). */
#define LA_ERROR(a)	(int)strcspn(la_msg(a), "\n"), la_msg(a)

/* libarchive read callback: the next block, small after a seek. */
static la_ssize_t
src_read(struct archive *a, void *v, const void **out)
{
	struct source *s = v;
	size_t want = s->blk;
	ssize_t r;

	if (s->pos >= s->x->size)
		return 0;
	if ((int64_t)want > s->x->size - s->pos)
		want = (size_t)(s->x->size - s->pos);
	do
		r = pread(s->x->fd, s->buf, want, s->x->base + s->pos);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		archive_set_error(a, errno, "read error");
		return ARCHIVE_FATAL;
	}
	s->pos += r;
	if (s->blk < CVX_IOSIZE)
		s->blk *= 2;
	*out = s->buf;
	return r;
}

/* libarchive seek callback. */
static la_int64_t
src_seek(struct archive *a, void *v, la_int64_t off, int whence)
{
	struct source *s = v;
	int64_t to;

	(void)a;
	if (whence == SEEK_SET)
		to = off;
	else if (whence == SEEK_CUR)
		to = s->pos + off;
	else
		to = s->x->size + off;
	if (to < 0)
		return ARCHIVE_FATAL;
	s->pos = to;
	s->blk = SMALL_READ;
	return to;
}

/* libarchive skip callback: skipping is seeking. */
static la_int64_t
src_skip(struct archive *a, void *v, la_int64_t req)
{
	struct source *s = v;

	(void)a;
	if (req > s->x->size - s->pos)
		req = s->x->size - s->pos;
	if (req < 0)
		req = 0;
	s->pos += req;
	s->blk = SMALL_READ;
	return req;
}

/* Open the ZIP through its central directory (the seekable reader). */
static struct archive *
zip_open(struct export *x, struct source *s)
{
	struct archive *a;

	s->x = x;
	s->pos = 0;
	s->blk = SMALL_READ;
	if (s->buf == NULL)
		s->buf = cvx_malloc(CVX_IOSIZE);
	if ((a = archive_read_new()) == NULL)
		cvx_die("out of memory");
	if (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK ||
	    archive_read_set_read_callback(a, src_read) != ARCHIVE_OK ||
	    archive_read_set_seek_callback(a, src_seek) != ARCHIVE_OK ||
	    archive_read_set_skip_callback(a, src_skip) != ARCHIVE_OK ||
	    archive_read_set_callback_data(a, s) != ARCHIVE_OK ||
	    archive_read_open1(a) != ARCHIVE_OK)
		fail("%s: %.*s", x->input, LA_ERROR(a));
	return a;
}

/* The entry's name as stored (UTF-8), "" if there is none. */
static const char *
zip_name(struct archive_entry *ae)
{
	const char *n = archive_entry_pathname_utf8(ae);

	if (n == NULL)
		n = archive_entry_pathname(ae);
	return n != NULL ? n : "";
}

/*
 * The next entry header, or NULL at the end.  ARCHIVE_WARN (a name that
 * does not convert, a local header that disagrees with the central
 * directory, whose values are the ones used) is reported and passed over:
 * the data is still checked against the central directory's CRC-32.
 */
static struct archive_entry *
zip_next(struct export *x, struct archive *a, bool quiet)
{
	struct archive_entry *ae;
	int r;

	r = archive_read_next_header(a, &ae);
	if (r == ARCHIVE_EOF)
		return NULL;
	if (r < ARCHIVE_WARN)
		fail("%s: %.*s", x->input, LA_ERROR(a));
	if (r == ARCHIVE_WARN && !quiet)
		warnx("%s: %s: %.*s", x->input, zip_name(ae), LA_ERROR(a));
	return ae;
}

/*
 * Copy the pipe fd to the file t, 1 MiB at a time; returns the byte count.
 * (splice(2) was tried: slower into ext4, no faster into tmpfs.)
 */
static int64_t
spool(const char *input, const char *tmpdir, int fd, int t)
{
	int64_t total = 0;
	ssize_t r;
	char *buf = cvx_malloc(CVX_IOSIZE);

	while ((r = read(fd, buf, CVX_IOSIZE)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			cvx_die("%s: %s", input, strerror(errno));
		}
		if (cvx_write_all(t, buf, (size_t)r) != 0)
			cvx_die("%s: spooling to %s: %s", input, tmpdir,
			    strerror(errno));
		total += r;
	}
	free(buf);
	return total;
}

/*
 * Make x->fd a seekable file holding the ZIP: the operand, a seekable
 * stdin as it is, or a pipe spooled to an unlinked file under $TMPDIR.
 */
static void
zip_input(struct export *x, int fd, const struct stat *st)
{
	struct cvx_buf tmpdir = {0};
	int t;

	if (S_ISREG(st->st_mode)) {
		x->fd = fd;
		if ((x->base = lseek(fd, 0, SEEK_CUR)) < 0)
			x->base = 0;
		x->size = st->st_size - x->base;
		return;
	}
	if ((t = cvx_tmpfile(NULL, &tmpdir)) < 0)
		cvx_die("%s: %s", tmpdir.p, strerror(errno));
	cvx_pipe_grow(fd);
	x->size = spool(x->input, tmpdir.p, fd, t);
	cvx_buf_free(&tmpdir);
	if (fd != 0)
		(void)close(fd);
	x->fd = t;
	x->base = 0;
}

/* ---- the catalogue ---------------------------------------------------- */

/* Append an entry; returns its index. */
static size_t
add_entry(struct export *x, const char *name, int64_t size)
{
	struct entry *e;

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

/* Read up to n bytes of the current entry; 0 at its end.  Dies on error. */
static size_t
reader_read(struct reader *r, char *buf, size_t n)
{
	la_ssize_t got;

	if (r->a != NULL) {
		/* Negative: a read, inflate, size or CRC-32 error. */
		if ((got = archive_read_data(r->a, buf, n)) < 0)
			fail("%s: %s: %.*s", r->x->input, r->name,
			    LA_ERROR(r->a));
		return (size_t)got;
	}
	if (r->fd < 0) {
		struct cvx_buf path = {0};

		cvx_buf_printf(&path, "%s/%s", r->x->dir, r->name);
		r->fd = open(path.p, O_RDONLY | O_CLOEXEC);
		cvx_buf_free(&path);
		if (r->fd < 0)
			fail("%s: %s: %s", r->x->input, r->name,
			    strerror(errno));
	}
	if ((got = cvx_read_full(r->fd, buf, n)) < 0)
		fail("%s: %s: %s", r->x->input, r->name, strerror(errno));
	return (size_t)got;
}

/* Read a whole small entry into b (to its end, so its CRC is checked). */
static void
read_small(struct reader *r, struct cvx_buf *b)
{
	size_t got;

	do {
		cvx_buf_grow(b, 65536);
		got = reader_read(r, b->p + b->len, 65536);
		b->len += got;
		b->p[b->len] = '\0';
		if (b->len > MAX_LINE)
			cvx_die("%s: %s: too large", r->x->input, r->name);
	} while (got > 0);
}

/* Record a component's _tables/documents.jsonl lines (§5). */
static void
read_tables(struct reader *r, const char *component, struct export *x)
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

/* The value encoding a generated_schema.jsonl declares (§4). */
static enum cvx_encoding
read_encoding(struct reader *r)
{
	struct cvx_buf b = {0};
	enum cvx_encoding enc = CVX_ENC_LEGACY;

	read_small(r, &b);
	if (b.len == 0)
		enc = CVX_ENC_NONE;
	else if (strncmp(b.p, "\"uniform\"", 9) == 0 &&
	    strspn(b.p + 9, "\r\n") == b.len - 9)
		enc = CVX_ENC_UNIFORM;
	cvx_buf_free(&b);
	return enc;
}

/*
 * Classify entry i and record it in the catalogue; r (NULL for no data
 * access) reads the entry for the pieces read before any output: _tables
 * always, generated_schema.jsonl for -l.
 */
static void
catalog_entry(struct export *x, size_t i, struct reader *r)
{
	struct entry *e = &x->e[i];
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
		if (opt_list && r != NULL)
			t->encoding = read_encoding(r);
		break;
	case CVX_ENTRY_TABLES:
		if (r != NULL)
			read_tables(r, en.component, x);
		break;
	default:
		break;
	}
	cvx_entry_name_free(&en);
}

/* Pass 0 over a ZIP: every header, _tables, and schemas for -l. */
static void
scan_zip(struct export *x)
{
	struct source s = {0};
	struct archive *a = zip_open(x, &s);
	struct archive_entry *ae;
	struct reader r = { x, NULL, a, -1 };
	size_t i;

	while ((ae = zip_next(x, a, false)) != NULL) {
		i = add_entry(x, zip_name(ae), archive_entry_size_is_set(ae) ?
		    archive_entry_size(ae) : -1);
		r.name = x->e[i].name;
		catalog_entry(x, i, &r);
	}
	archive_read_free(a);
	free(s.buf);
}

/* cvx_export_walk callback: add a folder's file as an entry. */
static void
add_file(void *ctx, const char *rel, const struct stat *st)
{
	struct export *x = ctx;
	struct reader r = { x, NULL, NULL, -1 };
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

/* ---- the stream: a writing thread beside the inflating one ------------ */

/* A table being emitted. */
struct job {
	const char *entry;	/* entry name, for messages */
	struct cvx_buf tag;	/* "_table":"t", ... (cvx_tag_build) */
};

/* A chunk of one entry's bytes, or the end (job NULL) or an error. */
struct slot {
	char	*buf;
	size_t	 len;
	struct job *job;
	bool	 first;		/* the entry's first chunk */
	bool	 last;		/* the entry's last chunk */
	char	*error;		/* die with this message (main's failure) */
};

/* The ring of slots and the writer's state. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot s[NSLOTS];
	size_t	 head;		/* oldest filled slot */
	size_t	 count;		/* filled slots */
	bool	 running;
	pthread_t thread;
	/* Writer only: */
	struct cvx_out out;
	struct cvx_buf carry;	/* a line cut by a chunk boundary */
	uint64_t lineno;
	const char *input;
} q = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* Check one line (cvx_export_line: the importer's rules) and write it. */
static void
put_line(struct job *j, const char *s, size_t n)
{
	struct cvx_json_error e;

	if (cvx_export_line(s, &n, ++q.lineno, &e) != 0) {
		if (e.offset == SIZE_MAX)
			cvx_die("%s: %s: line %ju: %s", q.input, j->entry,
			    (uintmax_t)q.lineno, e.msg);
		cvx_die("%s: %s: line %ju, byte %zu: %s", q.input, j->entry,
		    (uintmax_t)q.lineno, e.offset + 1, e.msg);
	}
	if (opt_raw) {
		cvx_out_write(&q.out, s, n);
		cvx_out_write(&q.out, "\n", 1);
	} else
		cvx_out_tagged(&q.out, &j->tag, s, n);
}

/* Split a chunk into lines; a line cut at the end waits in q.carry. */
static void
put_chunk(struct slot *c)
{
	const char *p = c->buf, *end = c->buf + c->len, *nl;

	if (c->first) {
		q.lineno = 0;
		cvx_buf_reset(&q.carry);
	}
	if (q.carry.len > 0 && p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (q.carry.len + (size_t)(nl - p) > MAX_LINE)
			cvx_die("%s: %s: line %ju: longer than %d bytes",
			    q.input, c->job->entry, (uintmax_t)q.lineno + 1,
			    MAX_LINE);
		cvx_buf_add(&q.carry, p, (size_t)(nl - p));
		if (nl == end)
			goto last;
		put_line(c->job, q.carry.p, q.carry.len);
		cvx_buf_reset(&q.carry);
		p = nl + 1;
	}
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			cvx_buf_add(&q.carry, p, (size_t)(end - p));
			break;
		}
		put_line(c->job, p, (size_t)(nl - p));
		p = nl + 1;
	}
last:
	/* A last line without '\n' is accepted, as the importer does. */
	if (c->last && q.carry.len > 0) {
		put_line(c->job, q.carry.p, q.carry.len);
		cvx_buf_reset(&q.carry);
	}
}

/* The writing thread: chunks in order until the end or an error. */
static void *
writer(void *unused)
{
	struct slot *c;

	(void)unused;
	for (;;) {
		pthread_mutex_lock(&q.mu);
		while (q.count == 0)
			pthread_cond_wait(&q.cv, &q.mu);
		c = &q.s[q.head];
		pthread_mutex_unlock(&q.mu);
		if (c->error != NULL)
			cvx_die("%s", c->error);
		if (c->job == NULL)
			return NULL;
		put_chunk(c);
		pthread_mutex_lock(&q.mu);
		q.head = (q.head + 1) % NSLOTS;
		q.count--;
		pthread_cond_signal(&q.cv);
		pthread_mutex_unlock(&q.mu);
	}
}

/* A free slot to fill (waits for the writer). */
static struct slot *
slot_get(void)
{
	struct slot *c;

	pthread_mutex_lock(&q.mu);
	while (q.count == NSLOTS)
		pthread_cond_wait(&q.cv, &q.mu);
	c = &q.s[(q.head + q.count) % NSLOTS];
	pthread_mutex_unlock(&q.mu);
	if (c->buf == NULL)
		c->buf = cvx_malloc(CVX_IOSIZE);
	c->len = 0;
	c->job = NULL;
	c->first = c->last = false;
	c->error = NULL;
	return c;
}

/* Hand a filled slot to the writer. */
static void
slot_put(void)
{
	pthread_mutex_lock(&q.mu);
	q.count++;
	pthread_cond_signal(&q.cv);
	pthread_mutex_unlock(&q.mu);
}

/* Start the writer (main has set up stdout). */
static void
writer_start(const char *input)
{
	int r;

	q.input = input;
	if ((r = pthread_create(&q.thread, NULL, writer, NULL)) != 0)
		cvx_die("pthread_create: %s", strerror(r));
	q.running = true;
}

/* Stop the writer after the last chunk; returns the exit status. */
static int
writer_finish(void)
{
	size_t i;

	slot_get();
	slot_put();
	pthread_join(q.thread, NULL);
	q.running = false;
	for (i = 0; i < NSLOTS; i++)
		free(q.s[i].buf);
	cvx_buf_free(&q.carry);
	return cvx_out_close(&q.out);
}

/*
 * Fail with an error found while reading.  Once the writer runs, the error
 * travels to it behind the chunks already read, and it dies with it (the
 * abort line, if bytes have reached stdout): one thread owns stdout.
 */
static void
fail(const char *fmt, ...)
{
	struct cvx_buf msg = {0};
	struct slot *c;
	va_list ap;
	char tmp[4096];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (!q.running)
		cvx_die("%s", tmp);
	cvx_buf_adds(&msg, tmp);
	c = slot_get();
	c->error = msg.p;
	slot_put();
	pthread_join(q.thread, NULL);
	cvx_die("%s", tmp);
}

/* ---- reading the selected tables -------------------------------------- */

/* Where a walk over the selected tables' entries is. */
struct walker {
	struct export *x;
	struct source s;
	struct archive *a;	/* ZIP: the open pass, or NULL */
	long	 pos;		/* ZIP: index of the current entry */
	struct reader r;
};

/*
 * A reader at the start of entry i.  A ZIP is read in entry order; an
 * entry behind the current one starts a new pass (central directory again,
 * then headers only: skipping an entry is a seek).
 */
static struct reader *
walk_to(struct walker *w, long i)
{
	struct archive_entry *ae = NULL;

	if (w->r.fd >= 0)
		(void)close(w->r.fd);
	w->r.x = w->x;
	w->r.fd = -1;
	w->r.name = w->x->e[i].name;
	w->r.a = NULL;
	if (w->x->dir != NULL)
		return &w->r;
	if (w->a == NULL || i <= w->pos) {
		if (w->a != NULL)
			archive_read_free(w->a);
		w->a = zip_open(w->x, &w->s);
		w->pos = -1;
	}
	while (w->pos < i) {
		if ((ae = zip_next(w->x, w->a, true)) == NULL)
			fail("%s: %s: entry missing on a second pass",
			    w->x->input, w->r.name);
		w->pos++;
	}
	if (ae == NULL || strcmp(zip_name(ae), w->r.name) != 0)
		fail("%s: %s: entry changed on a second pass", w->x->input,
		    w->r.name);
	w->r.a = w->a;
	return &w->r;
}

/* Release what the walk holds. */
static void
walk_end(struct walker *w)
{
	if (w->r.fd >= 0)
		(void)close(w->r.fd);
	if (w->a != NULL)
		archive_read_free(w->a);
	free(w->s.buf);
}

/* Stream one entry to the writer, to its end (so its CRC-32 is checked). */
static void
feed(struct reader *r, struct job *j)
{
	struct slot *c;
	bool first = true, last;
	size_t got = 0;

	do {
		c = slot_get();
		c->job = j;
		c->first = first;
		first = false;
		while (c->len < CVX_IOSIZE && (got = reader_read(r,
		    c->buf + c->len, CVX_IOSIZE - c->len)) > 0)
			c->len += got;
		c->last = last = got == 0;
		slot_put();
	} while (!last);
}

/* Write the stream: the selected tables' documents, in order. */
static int
emit(struct export *x, const size_t *order, size_t n)
{
	struct walker w = { .x = x, .r = { .fd = -1 } };
	struct job *jobs = cvx_calloc(n + 1, sizeof(*jobs));
	struct cvx_table *t;
	size_t k;
	int rval;

	writer_start(x->input);
	for (k = 0; k < n; k++) {
		t = &x->cat.t[order[k]];
		if (t->docs < 0)
			continue;
		jobs[k].entry = x->e[t->docs].name;
		cvx_tag_build(&jobs[k].tag, t->name, t->component);
		feed(walk_to(&w, t->docs), &jobs[k]);
	}
	walk_end(&w);
	rval = writer_finish();
	for (k = 0; k < n; k++)
		cvx_buf_free(&jobs[k].tag);
	free(jobs);
	return rval;
}

/* Count an entry's lines and bytes (a last line without '\n' counts). */
static void
count_lines(struct reader *r, struct cvx_table *t)
{
	char *buf = cvx_malloc(CVX_IOSIZE), *p, *end, last = '\n';
	size_t got;

	t->lines = 0;
	t->bytes = 0;
	while ((got = reader_read(r, buf, CVX_IOSIZE)) > 0) {
		for (p = buf, end = buf + got;
		    (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
			t->lines++;
		t->bytes += (int64_t)got;
		last = buf[got - 1];
	}
	if (last != '\n')
		t->lines++;
	free(buf);
}

/* -l: one line per selected table, then the entries that were ignored. */
static int
list(struct export *x, const size_t *order, size_t n)
{
	static const char *const enc[] = { "none", "uniform", "legacy" };
	struct walker w = { .x = x, .r = { .fd = -1 } };
	struct cvx_table *t;
	char num[32], docs[32], bytes[32];
	size_t k;

	for (k = 0; k < n; k++) {
		t = &x->cat.t[order[k]];
		if (t->docs >= 0)
			count_lines(walk_to(&w, t->docs), t);
	}
	walk_end(&w);
	for (k = 0; k < n; k++) {
		t = &x->cat.t[order[k]];
		snprintf(num, sizeof(num), "%lld", t->number);
		snprintf(docs, sizeof(docs), "%ju", (uintmax_t)t->lines);
		snprintf(bytes, sizeof(bytes), "%jd", (intmax_t)t->bytes);
		printf("%s\t%s\t%s\t%s\t%s\t%s\n",
		    *t->component != '\0' ? t->component : "-", t->name,
		    t->number >= 0 ? num : "-", t->docs >= 0 ? docs :
		    "missing", t->docs >= 0 ? bytes : "-", enc[t->encoding]);
	}
	for (k = 0; k < x->ne; k++)
		if (x->e[k].kind == CVX_ENTRY_STRAY ||
		    x->e[k].kind == CVX_ENTRY_UNSAFE ||
		    x->e[k].kind == CVX_ENTRY_SYSTEM)
			printf("# ignored: %s: %s\n", x->e[k].name,
			    x->e[k].why);
	return cvx_close_stdout();
}

/* Open the operand (a ZIP, stdin, or a folder) and run pass 0 over it. */
static void
open_export(struct export *x, const char *path)
{
	struct stat st;
	int fd;

	x->input = cvx_input_name(path);
	if ((fd = cvx_open_input(path)) < 0 || fstat(fd, &st) != 0)
		cvx_die("%s: %s", x->input, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		(void)close(fd);
		x->dir = path;
		/* Each file is named by its relative path, so it is
		 * classified exactly as a ZIP entry of that name. */
		cvx_export_walk(path, add_file, x);
	} else {
		zip_input(x, fd, &st);
		scan_zip(x);
	}
}

/* Release the export's entries, catalogue and descriptor. */
static void
export_free(struct export *x)
{
	size_t i;

	for (i = 0; i < x->ne; i++)
		free(x->e[i].name);
	free(x->e);
	cvx_catalog_free(&x->cat);
	if (x->fd > 0)
		(void)close(x->fd);
}

/* Split a comma-separated -t/-x argument into patterns, appended to *v. */
static void
add_patterns(char ***v, size_t *n, const char *arg)
{
	char *copy = cvx_strdup(arg), *p, *save = NULL;

	if (*arg == '\0' || arg[strlen(arg) - 1] == ',' || *arg == ',' ||
	    strstr(arg, ",,") != NULL) {
		warnx("empty table name in '%s'", arg);
		usage(stderr, 2);
	}
	for (p = strtok_r(copy, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		*v = cvx_reallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = cvx_strdup(p);
	}
	free(copy);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "exclude",	required_argument,	NULL, 'x' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "list",	no_argument,		NULL, 'l' },
		{ "raw",	no_argument,		NULL, 'r' },
		{ "storage",	no_argument,		NULL, 's' },
		{ "tables",	required_argument,	NULL, 't' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	struct export x = { .fd = -1 };
	const char *unmatched = NULL;
	size_t *order;
	ssize_t n;
	int ch, rval;

	/*
	 * libarchive turns UTF-8 entry names into the locale's charset; in
	 * the C locale every non-ASCII name would fail to convert.
	 */
	(void)setlocale(LC_CTYPE, "C.UTF-8");
	cvx_stderr_lines();
	while ((ch = getopt_long(argc, argv, "hlrst:Vx:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout, 0);
			break;
		case 'l':
			opt_list = true;
			break;
		case 'r':
			opt_raw = true;
			break;
		case 's':
			opt_storage = true;
			break;
		case 't':
			add_patterns(&opt_tables, &opt_ntables, optarg);
			break;
		case 'V':
			printf("cvx-unzip %s\n", CVX_VERSION);
			return cvx_close_stdout();
		case 'x':
			add_patterns(&opt_exclude, &opt_nexclude, optarg);
			break;
		default:
			usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (opt_list && opt_raw))
		usage(stderr, 2);

	/* From here on a failure must reach the consumer: see cvx_die. */
	if (!opt_list) {
		cvx_out_init(&q.out, 1, "stdout");
		cvx_stream_register(&q.out);
	}
	open_export(&x, argc == 1 ? argv[0] : NULL);
	cvx_catalog_sort(&x.cat);
	order = cvx_calloc(x.cat.n + 1, sizeof(*order));
	n = cvx_catalog_select(&x.cat, opt_tables, opt_ntables, opt_exclude,
	    opt_nexclude, opt_storage || opt_list, order, &unmatched);
	if (n < 0)
		cvx_die("%s: no table matches '%s'", x.input, unmatched);
	rval = opt_list ? list(&x, order, (size_t)n) :
	    emit(&x, order, (size_t)n);
	free(order);
	export_free(&x);
	while (opt_ntables > 0)
		free(opt_tables[--opt_ntables]);
	while (opt_nexclude > 0)
		free(opt_exclude[--opt_nexclude]);
	free(opt_tables);
	free(opt_exclude);
	return rval;
}
