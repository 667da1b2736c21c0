/* SPDX-License-Identifier: MIT */
/* expect.c: cvx-count --expect: a counts file, compared with the counts. */
#include <err.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx-count.h"

/* The counts file (-e) and its rows, each count + 1 (0: not listed). */
static const char *expect_path;
static struct counts want;
/* The rows of a listing that only count when counted (_storage). */
static struct counts optional;
/* A listing has no total: its tables say it all. */
static bool listing;

/* The columns of cvx-unzip -l, and its header line on a terminal. */
#define LISTING_COLUMNS	6
#define LISTING_HEADER	"component\tname\tnumber\tdocuments\tbytes\tencoding"

/* Die with "FILE: line N: what". */
static void __attribute__((noreturn))
bad_line(uint64_t lineno, const char *what)
{
	errx(1, "%s: line %" PRIu64 ": %s", expect_path, lineno, what);
}

/* Read the digits s[0..n) as a count; dies on anything else. */
static uint64_t
read_count(const char *s, size_t n, uint64_t lineno)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		bad_line(lineno, "bad count");
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			bad_line(lineno, "bad count");
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

/* Record row name[0..len) with count v (once); optional: _storage. */
static void
want_row(const char *name, size_t len, uint64_t v, bool opt,
    uint64_t lineno)
{
	struct entry *e = counts_get(&want, name, len);

	if (e->n != 0)
		errx(1, "%s: line %" PRIu64 ": %.*s listed twice",
		    expect_path, lineno, (int)len, name);
	e->n = v + 1;	/* + 1: tells "listed" from "new" above */
	if (opt)
		counts_get(&optional, name, len)->n = 1;
}

/*
 * One table of a listing: its stream name ("name", "a/b:name"), expected
 * with docs documents (missing: none).
 */
static void
want_table(const char *comp, size_t clen, const char *name, size_t nlen,
    uint64_t docs, uint64_t lineno)
{
	struct cvx_buf id = { 0 };

	listing = true;
	if (clen > 0) {
		cvx_buf_add(&id, comp, clen);
		cvx_buf_addc(&id, ':');
	}
	cvx_buf_add(&id, name, nlen);
	want_row(id.p, id.len, docs, nlen == 8 &&
	    memcmp(name, "_storage", 8) == 0, lineno);
	cvx_buf_free(&id);
}

/* The string member key of a JSON listing line, decoded into b. */
static void
json_string(const char *line, size_t len, const char *key,
    struct cvx_buf *b, uint64_t lineno)
{
	const char *v;
	size_t vlen;

	cvx_buf_reset(b);
	if (cvx_json_get(line, len, key, strlen(key), &v, &vlen, NULL) != 1 ||
	    vlen < 2 || *v != '"' ||
	    cvx_json_unescape(v + 1, vlen - 2, b, CVX_NUL_REJECT) != 0)
		bad_line(lineno, "a listing object needs string component "
		    "and name");
}

/* A line of cvx-unzip -l --json. */
static void
json_line(const char *line, size_t len, uint64_t lineno)
{
	struct cvx_buf comp = { 0 }, name = { 0 };
	const char *v;
	size_t vlen;
	uint64_t docs = 0;

	json_string(line, len, "component", &comp, lineno);
	json_string(line, len, "name", &name, lineno);
	if (cvx_json_get(line, len, "documents", 9, &v, &vlen, NULL) != 1)
		bad_line(lineno, "a listing object needs documents");
	if (!(vlen == 4 && memcmp(v, "null", 4) == 0))	/* null: missing */
		docs = read_count(v, vlen, lineno);
	want_table(comp.p, comp.len, name.p, name.len, docs, lineno);
	cvx_buf_free(&comp);
	cvx_buf_free(&name);
}

/* A line of cvx-unzip -l: its LISTING_COLUMNS tab-separated columns. */
static void
listing_line(const char *line, size_t len, uint64_t lineno)
{
	const char *col[LISTING_COLUMNS + 1], *p = line;
	size_t k;
	uint64_t docs = 0;

	for (k = 0; k < LISTING_COLUMNS; k++) {
		col[k] = p;
		p = memchr(p, '\t', (size_t)(line + len - p));
		p = p != NULL ? p + 1 : line + len + 1;
	}
	col[k] = line + len + 1;
#define COLLEN(i) ((size_t)(col[(i) + 1] - col[i] - 1))
	if (!(COLLEN(3) == 7 && memcmp(col[3], "missing", 7) == 0))
		docs = read_count(col[3], COLLEN(3), lineno);
	if (COLLEN(0) == 1 && *col[0] == '-')	/* the root */
		want_table("", 0, col[1], COLLEN(1), docs, lineno);
	else
		want_table(col[0], COLLEN(0), col[1], COLLEN(1), docs,
		    lineno);
#undef COLLEN
}

void
expect_read(const char *path)
{
	struct cvx_lines r;
	const char *line, *tab, *p;
	size_t len, ntabs;
	bool nl;
	int fd, rc;

	expect_path = path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		err(1, "%s", path);
	cvx_lines_init(&r, fd, path);
	while ((rc = cvx_lines_next(&r, &line, &len, &nl)) == 1) {
		if (len > 0 && line[len - 1] == '\r')
			len--;
		/* cvx-unzip -l: ignored entries, and its header. */
		if ((len > 0 && *line == '#') || (len ==
		    sizeof(LISTING_HEADER) - 1 &&
		    memcmp(line, LISTING_HEADER, len) == 0))
			continue;
		if (len > 0 && *line == '{') {
			json_line(line, len, r.lineno);
			continue;
		}
		for (ntabs = 0, tab = NULL, p = line; p < line + len; p++)
			if (*p == '\t') {
				tab = p;
				ntabs++;
			}
		if (ntabs == LISTING_COLUMNS - 1) {
			listing_line(line, len, r.lineno);
			continue;
		}
		if (tab == NULL || tab == line || tab + 1 == line + len)
			bad_line(r.lineno, "expected name<TAB>count, or a "
			    "cvx-unzip -l listing");
		want_row(line, (size_t)(tab - line), read_count(tab + 1,
		    (size_t)(line + len - tab - 1), r.lineno), false,
		    r.lineno);
	}
	if (rc < 0)
		err(1, "%s", path);
	cvx_lines_free(&r);
	(void)close(fd);
}

/* Is the listed row key[0..len) one that counts only when counted? */
static bool
is_optional(const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < optional.cap; i++)
		if (optional.slots[i].key != NULL &&
		    optional.slots[i].len == len &&
		    memcmp(optional.slots[i].key, key, len) == 0)
			return true;
	return false;
}

void
expect_add_listed(struct counts *c)
{
	size_t i;

	for (i = 0; i < want.cap; i++)
		if (want.slots[i].key != NULL && !is_optional(
		    want.slots[i].key, want.slots[i].len) &&
		    strcmp(want.slots[i].key, "total") != 0)
			(void)counts_get(c, want.slots[i].key,
			    want.slots[i].len);
}

void
expect_select(char *const *inc, size_t ninc, char *const *exc, size_t nexc)
{
	struct cvx_buf b = { 0 };
	const char *tab;
	size_t i;

	for (i = 0; i < want.cap; i++) {
		if (want.slots[i].key == NULL ||
		    strcmp(want.slots[i].key, "total") == 0)
			continue;
		tab = strchr(want.slots[i].key, '\t');
		cvx_buf_reset(&b);
		cvx_buf_add(&b, want.slots[i].key, tab != NULL ?
		    (size_t)(tab - want.slots[i].key) : want.slots[i].len);
		if (!cvx_table_selected(b.p, inc, ninc, exc, nexc))
			want.slots[i].n = 1;	/* as if listed with 0 */
	}
	cvx_buf_free(&b);
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
		} else if (r > 0 && (w[wi].n == 1 ||
		    is_optional(w[wi].key, w[wi].len))) {
			wi++;		/* listed with 0, and none counted */
		} else if (r > 0) {
			snprintf(msg, sizeof(msg), "expected %" PRIu64
			    ", counted none", w[wi].n - 1);
			report(w[wi++].key, msg);
			nd++;
		} else {
			if (got[gi].n != w[wi].n - 1 && got[gi].n == 0) {
				/* A listed row added with 0, to show. */
				snprintf(msg, sizeof(msg), "expected %"
				    PRIu64 ", counted none", w[wi].n - 1);
				report(got[gi].key, msg);
				nd++;
			} else if (got[gi].n != w[wi].n - 1) {
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

int
expect_check(const struct entry *rows, size_t n, uint64_t total,
    bool total_line)
{
	struct entry *all, tot = { (char *)"total", 5, 0, total };
	size_t i, m = counts_sort(&want), nd;
	bool listed = false;

	for (i = 0; i < m; i++)
		if (want.slots[i].len == 5 &&
		    memcmp(want.slots[i].key, "total", 5) == 0)
			listed = true;
	all = cvx_reallocarray(NULL, n + 1, sizeof(*all));
	if (n > 0)
		memcpy(all, rows, n * sizeof(*all));
	if ((total_line && !listing) || listed) {
		all[n++] = tot;
		qsort(all, n, sizeof(*all), entry_cmp);
	}
	nd = compare(all, n, want.slots, m);
	free(all);
	counts_free(&want);
	counts_free(&optional);
	if (nd == 0)
		return 0;
	warnx("%s: %zu difference%s", expect_path, nd, nd == 1 ? "" : "s");
	return 1;
}

