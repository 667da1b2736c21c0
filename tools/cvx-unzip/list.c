/* SPDX-License-Identifier: MIT */
/* list.c: -l, the inventory of an export for people, cut(1) and --json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx-unzip.h"

/* Count an entry's lines and bytes (a last line without '\n' counts). */
static void
count_lines(struct cvx_export_reader *r, struct cvx_table *t)
{
	char *buf = cvx_malloc(CVX_IOSIZE), *p, *end, last = '\n';
	size_t got;

	t->lines = 0;
	t->bytes = 0;
	while ((got = cvx_export_read(r, buf, CVX_IOSIZE)) > 0) {
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

/* One table as a JSON object line: what -l shows, for programs. */
static void
list_json(const struct cvx_table *t, const char *encoding)
{
	struct cvx_buf b = {0};

	cvx_buf_adds(&b, "{\"component\":");
	cvx_json_quote(&b, t->component, strlen(t->component));
	cvx_buf_adds(&b, ",\"name\":");
	cvx_json_quote(&b, t->name, strlen(t->name));
	if (t->number >= 0)
		cvx_buf_printf(&b, ",\"number\":%lld", t->number);
	else
		cvx_buf_adds(&b, ",\"number\":null");
	if (t->docs >= 0)
		cvx_buf_printf(&b, ",\"documents\":%ju,\"bytes\":%jd",
		    (uintmax_t)t->lines, (intmax_t)t->bytes);
	else
		cvx_buf_adds(&b, ",\"documents\":null,\"bytes\":null");
	cvx_buf_printf(&b, ",\"encoding\":\"%s\",\"missing\":%s}\n",
	    encoding, t->docs >= 0 ? "false" : "true");
	fwrite(b.p, 1, b.len, stdout);
	cvx_buf_free(&b);
}

int
list(struct cvx_export *x, const size_t *order, size_t n, bool json)
{
	static const char *const enc[] = { "none", "uniform", "legacy" };
	struct cvx_export_walker w;
	struct cvx_table *t;
	char num[32], docs[32], bytes[32];
	size_t k;

	cvx_walker_start(&w, x);
	for (k = 0; k < n; k++) {
		t = &x->cat.t[order[k]];
		if (t->docs >= 0)
			count_lines(cvx_walker_to(&w, t->docs), t);
	}
	cvx_walker_end(&w);
	/* A person reading columns wants their names; cut(1) does not. */
	if (!json && isatty(1))
		printf("component\tname\tnumber\tdocuments\tbytes"
		    "\tencoding\n");
	for (k = 0; k < n; k++) {
		t = &x->cat.t[order[k]];
		if (json) {
			list_json(t, enc[t->encoding]);
			continue;
		}
		snprintf(num, sizeof(num), "%lld", t->number);
		snprintf(docs, sizeof(docs), "%ju", (uintmax_t)t->lines);
		snprintf(bytes, sizeof(bytes), "%jd", (intmax_t)t->bytes);
		printf("%s\t%s\t%s\t%s\t%s\t%s\n",
		    *t->component != '\0' ? t->component : "-", t->name,
		    t->number >= 0 ? num : "-", t->docs >= 0 ? docs :
		    "missing", t->docs >= 0 ? bytes : "-", enc[t->encoding]);
	}
	for (k = 0; k < x->ne && !json; k++)
		if (x->e[k].kind == CVX_ENTRY_STRAY ||
		    x->e[k].kind == CVX_ENTRY_UNSAFE ||
		    x->e[k].kind == CVX_ENTRY_SYSTEM)
			printf("# ignored: %s: %s\n", x->e[k].name,
			    x->e[k].why);
	return cvx_close_stdout();
}
