/* SPDX-License-Identifier: MIT */
/* list.c: -l, the inventory of an export for people and cut(1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvx-unzip.h"

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

int
list(struct export *x, const size_t *order, size_t n)
{
	static const char *const enc[] = { "none", "uniform", "legacy" };
	struct walker w;
	struct cvx_table *t;
	char num[32], docs[32], bytes[32];
	size_t k;

	walk_start(&w, x);
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
