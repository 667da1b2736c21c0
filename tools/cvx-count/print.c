/* SPDX-License-Identifier: MIT */
/* print.c: cvx-count's result on stdout, as TSV or JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cvx-count.h"

void
print_tsv(const struct entry *rows, size_t n, uint64_t total,
    bool total_line)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s\t%" PRIu64 "\n", rows[i].key, rows[i].n);
	if (total_line)
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

void
print_json(const struct entry *rows, size_t n, uint64_t total,
    const struct count_key *k)
{
	struct cvx_buf b = {0};
	const char *tab, *prev = NULL;
	size_t i, plen = 0, tlen;
	bool nested = k->by != NULL && !k->no_table;

	printf("{\"%s\":{", k->no_table ? "values" : "tables");
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
