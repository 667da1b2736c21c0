/* SPDX-License-Identifier: MIT */
/*
 * exportdir.c: an extracted export folder, walked in the format's layout
 * (convex-export-format.md §2), and the importer's rules for one line of a
 * documents.jsonl (§8, "Single-table formats").
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cvx.h"

/* Deepest _components nesting walked. */
#define MAX_COMPONENT_DEPTH 32

/* Compare two names, for a walk in a stable order. */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in folder dir/rel, sorted; *n is set to their count. */
static char **
list_dir(const char *dir, const char *rel, size_t *n)
{
	struct cvx_buf path = {0};
	struct dirent *d;
	char **names = NULL;
	size_t cap = 0;
	DIR *dp;

	*n = 0;
	cvx_buf_printf(&path, "%s/%s", dir, rel);
	if ((dp = opendir(path.p)) == NULL)
		cvx_die("%s: %s", path.p, strerror(errno));
	while ((errno = 0, d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 32;
			names = cvx_reallocarray(names, cap, sizeof(*names));
		}
		names[(*n)++] = cvx_strdup(d->d_name);
	}
	if (errno != 0)
		cvx_die("%s: %s", path.p, strerror(errno));
	closedir(dp);
	if (*n > 0)
		qsort(names, *n, sizeof(*names), name_cmp);
	cvx_buf_free(&path);
	return names;
}

/* Free what list_dir returned. */
static void
free_names(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* stat(2) dir/rel, dying on error. */
static void
stat_rel(const char *dir, const char *rel, struct stat *st)
{
	struct cvx_buf path = {0};

	cvx_buf_printf(&path, "%s/%s", dir, rel);
	if (stat(path.p, st) != 0)
		cvx_die("%s: %s", path.p, strerror(errno));
	cvx_buf_free(&path);
}

/* Report rel (a folder gets a trailing '/'). */
static void
report(const char *dir, const char *rel, cvx_export_walk_fn *fn, void *ctx)
{
	struct cvx_buf name = {0};
	struct stat st;

	stat_rel(dir, rel, &st);
	cvx_buf_adds(&name, rel);
	if (S_ISDIR(st.st_mode))
		cvx_buf_addc(&name, '/');
	fn(ctx, name.p, &st);
	cvx_buf_free(&name);
}

/* Walk the component folder rel ("" or "_components/a/"). */
static void
walk(const char *dir, const char *rel, int depth, cvx_export_walk_fn *fn,
    void *ctx)
{
	struct cvx_buf sub = {0}, f = {0};
	struct stat st;
	char **names, **files;
	size_t n, nf, i, j;

	names = list_dir(dir, rel, &n);
	for (i = 0; i < n; i++) {
		cvx_buf_reset(&sub);
		cvx_buf_printf(&sub, "%s%s", rel, names[i]);
		stat_rel(dir, sub.p, &st);
		if (!S_ISDIR(st.st_mode)) {
			report(dir, sub.p, fn, ctx);
			continue;
		}
		cvx_buf_addc(&sub, '/');
		files = list_dir(dir, sub.p, &nf);
		for (j = 0; j < nf; j++) {
			cvx_buf_reset(&f);
			cvx_buf_printf(&f, "%s%s", sub.p, files[j]);
			stat_rel(dir, f.p, &st);
			if (strcmp(names[i], "_components") == 0 &&
			    S_ISDIR(st.st_mode) &&
			    depth < MAX_COMPONENT_DEPTH) {
				cvx_buf_addc(&f, '/');
				walk(dir, f.p, depth + 1, fn, ctx);
			} else
				report(dir, f.p, fn, ctx);
		}
		free_names(files, nf);
	}
	free_names(names, n);
	cvx_buf_free(&sub);
	cvx_buf_free(&f);
}

void
cvx_export_walk(const char *dir, cvx_export_walk_fn *fn, void *ctx)
{
	walk(dir, "", 0, fn, ctx);
}

int
cvx_export_line(const char *s, size_t *n, uint64_t lineno,
    struct cvx_json_error *e)
{
	if (*n > 0 && s[*n - 1] == '\r')
		(*n)--;
	if (*n == 0) {
		e->msg = "blank line";
		e->offset = SIZE_MAX;
		return -1;
	}
	if (lineno == 1 && *n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		e->msg = "byte order mark";
		e->offset = SIZE_MAX;
		return -1;
	}
	return cvx_json_scan_object(s, *n, NULL, NULL, e);
}
