/* SPDX-License-Identifier: MIT */
/*
 * input.c: cvx-count's reading: a line's row, and the input counted line
 * by line, mapped and cut into parts on threads when it is a file.
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvx-count.h"

/* The name counted for documents without a top-level _table (-u). */
static const char *untagged;
/* The field to count by (-k), or NULL; its length. */
static const char *by_field;
static size_t by_len;
/* Ignore _table and _component, count by the -k value alone (-T). */
static bool no_table;

/* What a value missing from a document counts as under -k. */
#define ABSENT "-"

/* The top-level members of one line that matter (raw JSON text). */
struct line_fields {
	struct cvx_tag tag;
	const char *val;
	size_t	 vlen;
};

/* A counter of lines: the rows, the last row hit, scratch buffers. */
struct counter {
	struct counts c;
	struct entry *last;	/* the row of the previous line */
	struct cvx_buf last_raw; /* that line's raw fields, to spot a repeat */
	struct cvx_buf raw, key;
	const char *name;	/* the input, for messages */
	uint64_t lines;		/* lines counted (or read, at an error) */
	/* The first bad line: its number, column and reason, or none. */
	bool	 failed;
	uint64_t err_line;
	size_t	 err_col;
	const char *err_msg;
	struct cvx_buf err_abort; /* the abort line read */
	/* For a thread: the part of the mapped input it counts. */
	const char *from, *to;
};

/* Free what w holds besides its rows. */
static void
counter_free(struct counter *w)
{
	cvx_buf_free(&w->last_raw);
	cvx_buf_free(&w->raw);
	cvx_buf_free(&w->key);
	cvx_buf_free(&w->err_abort);
}

/* Note the members the key is made of; the first of each name wins. */
static int
take_member(void *vctx, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	struct line_fields *f = vctx;

	if (by_field != NULL && f->val == NULL && klen == by_len &&
	    memcmp(key, by_field, by_len) == 0) {
		f->val = val;
		f->vlen = vlen;
	}
	if (!no_table)
		(void)cvx_tag_take(&f->tag, key, klen, val, vlen);
	return 0;
}

/* Note the first bad line; returns -1 for the caller to pass on. */
static int
line_error(struct counter *w, uint64_t lineno, size_t col, const char *msg)
{
	w->failed = true;
	w->err_line = lineno;
	w->err_col = col;
	w->err_msg = msg;
	return -1;
}

/*
 * Report the bad line of w and exit 1; its line number is offset by the
 * lines of the parts of the input before w's.
 */
static void __attribute__((noreturn))
report_line_error(const struct counter *w, uint64_t before)
{
	if (w->err_msg == NULL)
		cvx_abort_relay(w->name, before + w->err_line, w->err_abort.p,
		    w->err_abort.len);
	errx(1, "%s: line %" PRIu64 ", column %zu: %s", w->name,
	    before + w->err_line, w->err_col + 1, w->err_msg);
}

/* Append a JSON value's text to out, without whitespace between tokens. */
static void
add_value(struct cvx_buf *out, const char *val, size_t vlen)
{
	const char *p = val, *end = val + vlen;
	bool in_str = false;

	if (memchr(val, ' ', vlen) == NULL && memchr(val, '\t', vlen) == NULL &&
	    memchr(val, '\r', vlen) == NULL) {
		cvx_buf_add(out, val, vlen);
		return;
	}
	for (; p < end; p++) {
		if (in_str) {
			if (*p == '\\') {
				cvx_buf_add(out, p, 2);
				p++;
				continue;
			}
			if (*p == '"')
				in_str = false;
		} else if (*p == '"')
			in_str = true;
		else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			continue;
		cvx_buf_addc(out, *p);
	}
}

/* Record the raw fields of a line in out, to compare with the next line. */
static void
raw_fields(struct cvx_buf *out, const struct line_fields *f)
{
	cvx_buf_reset(out);
	cvx_buf_add(out, &f->tag.tlen, sizeof(f->tag.tlen));
	cvx_buf_add(out, &f->tag.clen, sizeof(f->tag.clen));
	cvx_buf_add(out, &f->vlen, sizeof(f->vlen));
	if (f->tag.table != NULL)
		cvx_buf_add(out, f->tag.table, f->tag.tlen);
	if (f->tag.component != NULL)
		cvx_buf_add(out, f->tag.component, f->tag.clen);
	if (f->val != NULL)
		cvx_buf_add(out, f->val, f->vlen);
	/* Absent and present-but-empty differ: absent lengths are ~0. */
}

/*
 * Count one line (len bytes, without '\n'), line number lineno of w's
 * part.  Returns 0, or -1 for a line that is not a JSON object, an abort
 * line, or a bad _table (noted in w).
 */
static int
count_line(struct counter *w, const char *line, size_t len, uint64_t lineno)
{
	struct line_fields f = { { NULL, NULL, 0, 0, 0 }, NULL, 0 };
	struct cvx_json_error e;
	const char *why, *at;

	if (len > 0 && line[len - 1] == '\r')
		len--;		/* CRLF: the \r is JSON whitespace */
	if (cvx_json_scan_object(line, len, take_member, &f, &e) != 0) {
		if (cvx_is_abort(line, len, NULL)) {
			cvx_buf_add(&w->err_abort, line, len);
			return line_error(w, lineno, 0, NULL);
		}
		return line_error(w, lineno, e.offset, e.msg);
	}
	/* A tag given twice would look like the previous line's: not cached. */
	if (f.tag.twice && cvx_tag_identity(&f.tag, &w->key, &why, &at) < 0)
		return line_error(w, lineno, (size_t)(at - line), why);
	w->c.total++;
	if (f.tag.table == NULL)
		f.tag.tlen = SIZE_MAX;
	if (f.tag.component == NULL)
		f.tag.clen = SIZE_MAX;
	if (f.val == NULL)
		f.vlen = SIZE_MAX;
	raw_fields(&w->raw, &f);
	/* Streams come grouped by table: most lines hit the previous row. */
	if (w->last != NULL && w->raw.len == w->last_raw.len &&
	    memcmp(w->raw.p, w->last_raw.p, w->raw.len) == 0) {
		w->last->n++;
		return 0;
	}
	cvx_buf_reset(&w->key);
	if (!no_table) {
		switch (cvx_tag_identity(&f.tag, &w->key, &why, &at)) {
		case 0:
			cvx_buf_adds(&w->key, untagged);
			break;
		case -1:
			return line_error(w, lineno, at == NULL ? 0 :
			    (size_t)(at - line), why);
		}
	}
	if (by_field != NULL) {
		if (!no_table)
			cvx_buf_addc(&w->key, '\t');
		if (f.val == NULL)
			cvx_buf_adds(&w->key, ABSENT);
		else
			add_value(&w->key, f.val, f.vlen);
	}
	w->last = counts_get(&w->c, w->key.p, w->key.len);
	w->last->n++;
	cvx_buf_reset(&w->last_raw);
	cvx_buf_add(&w->last_raw, w->raw.p, w->raw.len);
	return 0;
}

/* Pages of a mapped input given back at a time: keeps the RSS small. */
#define DROP_STEP	(16 * 1024 * 1024)
/* Counting threads for a mapped input, and the least input for each. */
#define MAX_THREADS	4
#define MIN_PART	(32 * 1024 * 1024)

/*
 * Count every line of w->from..w->to, part of an input mapped whole
 * (page-aligned, each part starting at a line).  Pages already read are
 * dropped from the mapping as it goes: they stay in the page cache, but
 * not in this process's resident set.  Stops at the first bad line.
 */
static void *
count_part(void *vw)
{
	struct counter *w = vw;
	const char *p = w->from, *end = w->to, *nl;
	const char *dropped = (const char *)((uintptr_t)p & ~(uintptr_t)4095);

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;	/* a last line without '\n' */
		if (count_line(w, p, (size_t)(nl - p), ++w->lines) != 0)
			return NULL;
		p = nl + 1;
		if (p - dropped >= DROP_STEP + 4096) {
			(void)madvise((void *)(uintptr_t)dropped, DROP_STEP,
			    MADV_DONTNEED);
			dropped += DROP_STEP;
		}
	}
	return NULL;
}

/*
 * Count the mapped input s[0..n) into w.  A big input is cut at line ends
 * into parts counted by threads, one per CPU (the checker is the bound,
 * not the disk or the page cache); the first bad line in input order is
 * the one reported, with its line number in the whole input.
 */
static void
count_mem(struct counter *w, const char *s, size_t n)
{
	struct counter part[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	const char *p = s, *cut;
	size_t k, cpus = (size_t)cvx_cpu_count(), nparts = n / MIN_PART;
	uint64_t before = 0;

	if (nparts > cpus)
		nparts = cpus;
	if (nparts > MAX_THREADS)
		nparts = MAX_THREADS;
	if (nparts < 2) {
		w->from = s;
		w->to = s + n;
		count_part(w);
		if (w->failed)
			report_line_error(w, 0);
		return;
	}
	for (k = 0; k < nparts; k++) {
		memset(&part[k], 0, sizeof(part[k]));
		part[k].name = w->name;
		part[k].from = p;
		cut = k + 1 == nparts ? s + n : s + n / nparts * (k + 1);
		if (cut < p)
			cut = p;
		if (cut < s + n && (cut = memchr(cut, '\n',
		    (size_t)(s + n - cut))) != NULL)
			cut++;
		else
			cut = s + n;
		part[k].to = p = cut;
	}
	for (k = 0; k < nparts; k++)
		if ((errno = pthread_create(&tid[k], NULL, count_part,
		    &part[k])) != 0)
			err(1, "pthread_create");
	for (k = 0; k < nparts; k++)
		if ((errno = pthread_join(tid[k], NULL)) != 0)
			err(1, "pthread_join");
	for (k = 0; k < nparts; k++) {
		if (part[k].failed)
			report_line_error(&part[k], before);
		before += part[k].lines;
	}
	for (k = 0; k < nparts; k++) {
		counts_merge(&w->c, &part[k].c);
		counts_free(&part[k].c);
		counter_free(&part[k]);
	}
}

/* Count every line read from fd. */
static void
count_fd(struct counter *w, int fd)
{
	struct cvx_lines r;
	const char *line;
	size_t len;
	bool nl;
	int rc;

	cvx_lines_init(&r, fd, w->name);
	while ((rc = cvx_lines_next(&r, &line, &len, &nl)) == 1)
		if (count_line(w, line, len, r.lineno) != 0)
			report_line_error(w, 0);
	if (rc < 0)
		err(1, "%s", w->name);
	cvx_lines_free(&r);
}

/*
 * Count the input: a regular file is mapped whole (no copy, no line
 * buffer), anything else is read through the line reader.
 */
static void
count_path(struct counter *w, const char *path)
{
	struct stat st;
	void *m;
	int fd;

	if ((fd = cvx_open_input(path)) < 0)
		err(1, "%s", w->name);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uintmax_t)st.st_size <= SIZE_MAX &&
	    (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
	    0)) != MAP_FAILED) {
		(void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
		count_mem(w, m, (size_t)st.st_size);
		(void)munmap(m, (size_t)st.st_size);
	} else
		count_fd(w, fd);
	if (fd != 0)
		(void)close(fd);
}

void
count_input(struct counts *c, const char *path, const struct count_key *k)
{
	struct counter w;

	untagged = k->untagged;
	by_field = k->by;
	by_len = by_field != NULL ? strlen(by_field) : 0;
	no_table = k->no_table;
	memset(&w, 0, sizeof(w));
	w.name = cvx_input_name(path);
	count_path(&w, path);
	*c = w.c;
	counter_free(&w);
}
