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

void
expect_read(const char *path)
{
	struct cvx_lines r;
	const char *line, *tab, *p;
	struct entry *e;
	uint64_t v;
	size_t len;
	bool nl;
	int fd, rc;

	expect_path = path;
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
		e = counts_get(&want, line, (size_t)(tab - line));
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
	if (total_line || listed) {
		all[n++] = tot;
		qsort(all, n, sizeof(*all), entry_cmp);
	}
	nd = compare(all, n, want.slots, m);
	free(all);
	counts_free(&want);
	if (nd == 0)
		return 0;
	warnx("%s: %zu difference%s", expect_path, nd, nd == 1 ? "" : "s");
	return 1;
}

