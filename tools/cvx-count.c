/* SPDX-License-Identifier: MIT */
/* cvx-count: count the documents of a stream per table (and field value). */
#define _GNU_SOURCE		/* sched_getaffinity, CPU_COUNT */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvx.h"

/* The name counted for documents without a top-level _table (-u). */
static const char *untagged = "-";
/* The field to count by (-k), or NULL; its length. */
static const char *by_field;
static size_t by_len;
/* Ignore _table and _component, count by the -k value alone (-T). */
static bool no_table;
/* Print a final total line (-t), print JSON (-j). */
static bool want_total, want_json;
/* The counts file to compare with (-e), or NULL. */
static const char *expect_path;

/* What a value missing from a document counts as under -k. */
#define ABSENT "-"

/* One row of the result: its key as printed, and its count. */
struct entry {
	char	*key;		/* "table" or "table\tvalue", NUL-terminated */
	size_t	 len;
	uint64_t hash;
	uint64_t n;
};

/* Rows by key: open addressing, capacity a power of two. */
struct counts {
	struct entry *slots;
	size_t	 cap;
	size_t	 used;
	uint64_t total;
};

/* The top-level members of one line that matter (raw JSON text). */
struct line_fields {
	const char *table, *comp, *val;
	size_t	 tlen, clen, vlen;
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
	struct cvx_buf err_abort; /* an abort line's reason */
	/* For a thread: the part of the mapped input it counts. */
	const char *from, *to;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: cvx-count [-jt] [-e file] [-k field [-T]] [-u name] "
	    "[file]\n");
	exit(status);
}

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

/* The row for key (created with count 0 if new). */
static struct entry *
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

/* Byte order of two rows' keys, for qsort. */
static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r = memcmp(x->key, y->key, n);

	if (r != 0)
		return r;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Pack the rows at the front of the slots, sorted; returns their number. */
static size_t
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

/* Free the rows and their keys; c is empty ({0}) again. */
static void
counts_free(struct counts *c)
{
	size_t i;

	for (i = 0; i < c->cap; i++)
		free(c->slots[i].key);
	free(c->slots);
	memset(c, 0, sizeof(*c));
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
	if (no_table || klen < 6 || key[0] != '_')
		return 0;
	if (klen == 6 && f->table == NULL && memcmp(key, "_table", 6) == 0) {
		f->table = val;
		f->tlen = vlen;
	} else if (klen == 10 && f->comp == NULL &&
	    memcmp(key, "_component", 10) == 0) {
		f->comp = val;
		f->clen = vlen;
	}
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
		errx(1, "%s: line %" PRIu64 ": aborted upstream: %s", w->name,
		    before + w->err_line, w->err_abort.p);
	errx(1, "%s: line %" PRIu64 ", column %zu: %s", w->name,
	    before + w->err_line, w->err_col + 1, w->err_msg);
}

/*
 * Append the name held in the JSON string val (a _table or _component
 * value) to out, decoded; it must be a string that leaves the
 * tab-separated output readable: no control characters, and for _table
 * not empty.  Returns 0, or -1 for a bad name (noted in w).
 */
static int
add_name(struct counter *w, uint64_t lineno, const char *line,
    const char *val, size_t vlen, const char *what, struct cvx_buf *out)
{
	size_t i, start = out->len, col = (size_t)(val - line);
	bool table = what[1] == 't';

	if (val[0] != '"')
		return line_error(w, lineno, col, table ?
		    "_table is not a string" : "_component is not a string");
	if (memchr(val + 1, '\\', vlen - 2) == NULL)
		cvx_buf_add(out, val + 1, vlen - 2);
	else if (cvx_json_unescape(val + 1, vlen - 2, out, CVX_NUL_KEEP) != 0)
		return line_error(w, lineno, col, "invalid escape");
	/* An empty _component is a root table (as cvx_tag_build has it). */
	if (out->len == start && table)
		return line_error(w, lineno, col, "_table is empty");
	for (i = start; i < out->len; i++)
		if ((unsigned char)out->p[i] < 0x20 || out->p[i] == 0x7f)
			return line_error(w, lineno, col, table ?
			    "control character in _table" :
			    "control character in _component");
	return 0;
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
	cvx_buf_add(out, &f->tlen, sizeof(f->tlen));
	cvx_buf_add(out, &f->clen, sizeof(f->clen));
	cvx_buf_add(out, &f->vlen, sizeof(f->vlen));
	if (f->table != NULL)
		cvx_buf_add(out, f->table, f->tlen);
	if (f->comp != NULL)
		cvx_buf_add(out, f->comp, f->clen);
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
	struct line_fields f = { NULL, NULL, NULL, 0, 0, 0 };
	struct cvx_json_error e;
	const char *reason;

	if (len > 0 && line[len - 1] == '\r')
		len--;		/* CRLF: the \r is JSON whitespace */
	if (cvx_json_scan_object(line, len, take_member, &f, &e) != 0) {
		if (cvx_is_abort(line, len, &reason)) {
			cvx_buf_add(&w->err_abort, reason,
			    len - CVX_ABORT_PREFIX_LEN);
			return line_error(w, lineno, 0, NULL);
		}
		return line_error(w, lineno, e.offset, e.msg);
	}
	w->c.total++;
	if (f.table == NULL)
		f.tlen = SIZE_MAX;
	if (f.comp == NULL)
		f.clen = SIZE_MAX;
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
		if (f.table == NULL)
			cvx_buf_adds(&w->key, untagged);
		else {
			if (f.comp != NULL) {
				if (add_name(w, lineno, line, f.comp, f.clen,
				    "_component", &w->key) != 0)
					return -1;
				if (w->key.len > 0)
					cvx_buf_addc(&w->key, ':');
			}
			if (add_name(w, lineno, line, f.table, f.tlen,
			    "_table", &w->key) != 0)
				return -1;
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

/* Add the rows of src to dst. */
static void
counts_merge(struct counts *dst, const struct counts *src)
{
	size_t i;

	for (i = 0; i < src->cap; i++)
		if (src->slots[i].key != NULL)
			counts_get(dst, src->slots[i].key,
			    src->slots[i].len)->n += src->slots[i].n;
	dst->total += src->total;
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
	cpu_set_t set;
	size_t k, cpus = 1, nparts = n / MIN_PART;
	uint64_t before = 0;

	/* The CPUs this process may use (taskset, cpusets), not all. */
	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    CPU_COUNT(&set) > 0)
		cpus = (size_t)CPU_COUNT(&set);
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
		cvx_buf_free(&part[k].last_raw);
		cvx_buf_free(&part[k].raw);
		cvx_buf_free(&part[k].key);
		cvx_buf_free(&part[k].err_abort);
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
count_input(struct counter *w, const char *path)
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

/* Read a counts file (key<TAB>count lines) into c. */
static void
read_expect(struct counts *c, const char *path)
{
	struct cvx_lines r;
	const char *line, *tab, *p;
	struct entry *e;
	uint64_t v;
	size_t len;
	bool nl;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		err(1, "%s", path);
	cvx_lines_init(&r, fd, path);
	while ((rc = cvx_lines_next(&r, &line, &len, &nl)) == 1) {
		if (len > 0 && line[len - 1] == '\r')
			len--;
		for (tab = NULL, p = line; p < line + len; p++)
			if (*p == '\t')
				tab = p;
		if (tab == NULL || tab == line || tab + 1 == line + len)
			errx(1, "%s: line %" PRIu64 ": expected "
			    "name<TAB>count", path, r.lineno);
		for (v = 0, p = tab + 1; p < line + len; p++) {
			if (*p < '0' || *p > '9' ||
			    v > (UINT64_MAX - 9) / 10)
				errx(1, "%s: line %" PRIu64 ": bad count",
				    path, r.lineno);
			v = v * 10 + (uint64_t)(*p - '0');
		}
		e = counts_get(c, line, (size_t)(tab - line));
		if (e->n != 0)
			errx(1, "%s: line %" PRIu64 ": %.*s listed twice",
			    path, r.lineno, (int)(tab - line), line);
		e->n = v + 1;	/* + 1: tells "listed" from "new" above */
	}
	if (rc < 0)
		err(1, "%s", path);
	cvx_lines_free(&r);
	(void)close(fd);
}

/* Print one difference between the counts and the expected counts. */
static void
report(const char *key, const char *what)
{
	char *k = cvx_strdup(key), *t;

	for (t = k; (t = strchr(t, '\t')) != NULL; t++)
		*t = ' ';
	warnx("%s: %s: %s", expect_path, k, what);
	free(k);
}

/*
 * Compare the sorted rows got[0..n) with the sorted rows w[0..m) of the
 * counts file (each count + 1); a row counted 0 there is the same as a
 * row not listed (an empty table has no line in a stream).  Returns the
 * number of differences, each reported.
 */
static size_t
compare(const struct entry *got, size_t n, const struct entry *w, size_t m)
{
	char msg[128];
	size_t nd = 0, gi = 0, wi = 0;
	int r;

	while (gi < n || wi < m) {
		if (gi == n)
			r = 1;
		else if (wi == m)
			r = -1;
		else
			r = entry_cmp(&got[gi], &w[wi]);
		if (r < 0) {
			snprintf(msg, sizeof(msg), "not expected, counted %"
			    PRIu64, got[gi].n);
			report(got[gi++].key, msg);
			nd++;
		} else if (r > 0 && w[wi].n == 1) {
			wi++;		/* listed with 0, and none counted */
		} else if (r > 0) {
			snprintf(msg, sizeof(msg), "expected %" PRIu64
			    ", counted none", w[wi].n - 1);
			report(w[wi++].key, msg);
			nd++;
		} else {
			if (got[gi].n != w[wi].n - 1) {
				snprintf(msg, sizeof(msg), "expected %"
				    PRIu64 ", counted %" PRIu64,
				    w[wi].n - 1, got[gi].n);
				report(got[gi].key, msg);
				nd++;
			}
			gi++;
			wi++;
		}
	}
	return nd;
}

/*
 * Check the sorted rows[0..n) and the total against the counts file read
 * into want; the total is compared when it is printed (-t) or listed.
 * Returns 0, or 1 after reporting the differences.
 */
static int
check_expect(const struct entry *rows, size_t n, uint64_t total,
    struct counts *want)
{
	struct entry *all, tot = { (char *)"total", 5, 0, total };
	size_t i, m = counts_sort(want), nd;
	bool listed = false;

	for (i = 0; i < m; i++)
		if (want->slots[i].len == 5 &&
		    memcmp(want->slots[i].key, "total", 5) == 0)
			listed = true;
	all = cvx_reallocarray(NULL, n + 1, sizeof(*all));
	if (n > 0)
		memcpy(all, rows, n * sizeof(*all));
	if (want_total || listed) {
		all[n++] = tot;
		qsort(all, n, sizeof(*all), entry_cmp);
	}
	nd = compare(all, n, want->slots, m);
	free(all);
	counts_free(want);
	if (nd == 0)
		return 0;
	warnx("%s: %zu difference%s", expect_path, nd, nd == 1 ? "" : "s");
	return 1;
}

/* Print the rows as key<TAB>count lines. */
static void
print_tsv(const struct entry *rows, size_t n, uint64_t total)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s\t%" PRIu64 "\n", rows[i].key, rows[i].n);
	if (want_total)
		printf("total\t%" PRIu64 "\n", total);
}

/* Print s as a JSON string. */
static void
print_jstr(struct cvx_buf *b, const char *s, size_t n)
{
	cvx_buf_reset(b);
	cvx_json_quote(b, s, n);
	fwrite(b->p, 1, b->len, stdout);
}

/*
 * Print the rows as one JSON object: {"tables":{NAME:COUNT,...},
 * "total":N}, or with -k {"tables":{NAME:{VALUE:COUNT,...},...}, ...}
 * where VALUE is the value's JSON text as a string (and with -T,
 * {"values":{VALUE:COUNT,...},"total":N}).
 */
static void
print_json(const struct entry *rows, size_t n, uint64_t total)
{
	struct cvx_buf b = {0};
	const char *tab, *prev = NULL;
	size_t i, plen = 0, tlen;
	bool nested = by_field != NULL && !no_table;

	printf("{\"%s\":{", no_table ? "values" : "tables");
	for (i = 0; i < n; i++) {
		if (!nested) {
			if (i > 0)
				putchar(',');
			print_jstr(&b, rows[i].key, rows[i].len);
			printf(":%" PRIu64, rows[i].n);
			continue;
		}
		tab = strchr(rows[i].key, '\t');
		tlen = (size_t)(tab - rows[i].key);
		if (prev == NULL || tlen != plen ||
		    memcmp(prev, rows[i].key, tlen) != 0) {
			if (prev != NULL)
				fputs("},", stdout);
			print_jstr(&b, rows[i].key, tlen);
			fputs(":{", stdout);
			prev = rows[i].key;
			plen = tlen;
		} else
			putchar(',');
		print_jstr(&b, tab + 1, rows[i].len - tlen - 1);
		printf(":%" PRIu64, rows[i].n);
	}
	if (nested && n > 0)
		putchar('}');
	printf("},\"total\":%" PRIu64 "}\n", total);
	cvx_buf_free(&b);
}

/* Is s fit to be printed as a name in the tab-separated output? */
static bool
printable_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "by",		required_argument,	NULL, 'k' },
		{ "expect",	required_argument,	NULL, 'e' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "no-table",	no_argument,		NULL, 'T' },
		{ "total",	no_argument,		NULL, 't' },
		{ "untagged",	required_argument,	NULL, 'u' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	struct counts want = {0};
	struct counter w;
	const char *path;
	size_t n;
	int ch, rval = 0;

	cvx_stderr_lines();
	while ((ch = getopt_long(argc, argv, "e:hjk:Ttu:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'e':
			expect_path = optarg;
			break;
		case 'h':
			usage(0);
		case 'j':
			want_json = true;
			break;
		case 'k':
			if (by_field != NULL)
				usage(2);
			by_field = optarg;
			break;
		case 'T':
			no_table = true;
			break;
		case 't':
			want_total = true;
			break;
		case 'u':
			untagged = optarg;
			break;
		case 'V':
			printf("cvx-count %s\n", CVX_VERSION);
			return cvx_close_stdout();
		default:
			usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (no_table && by_field == NULL) ||
	    (by_field != NULL && *by_field == '\0') ||
	    !printable_name(untagged))
		usage(2);
	if (by_field != NULL)
		by_len = strlen(by_field);
	path = argc == 1 ? argv[0] : NULL;

	/* A bad counts file fails before the input is read. */
	if (expect_path != NULL)
		read_expect(&want, expect_path);
	memset(&w, 0, sizeof(w));
	w.name = cvx_input_name(path);
	count_input(&w, path);

	n = counts_sort(&w.c);
	w.last = NULL;
	if (want_json)
		print_json(w.c.slots, n, w.c.total);
	else
		print_tsv(w.c.slots, n, w.c.total);
	if (expect_path != NULL)
		rval = check_expect(w.c.slots, n, w.c.total, &want);
	counts_free(&w.c);
	cvx_buf_free(&w.last_raw);
	cvx_buf_free(&w.raw);
	cvx_buf_free(&w.key);
	cvx_buf_free(&w.err_abort);
	rval |= cvx_close_stdout();
	return rval;
}
