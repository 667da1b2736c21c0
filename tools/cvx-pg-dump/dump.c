/* SPDX-License-Identifier: MIT */
/*
 * dump.c: a source's rows out by COPY (…) TO STDOUT, in text format, each
 * row written as one tagged document.  The server only prints values; the
 * conversion to Convex's encoding is ours, in C (encode.c), one row at a
 * time as libpq hands them over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cvx-pg-dump.h"

/* printf arguments for the first line of a server message: "%.*s". */
#define ONELINE(s)	(int)strcspn((s), "\n"), (s)

/*
 * Decode the COPY text field f[0..n) (PostgreSQL docs, COPY, "Text
 * Format": backslash escapes \b \f \n \r \t \v \\, and octal or hex
 * bytes, which the server does not write) into out.
 */
static void
copy_unescape(struct cvx_buf *out, const char *f, size_t n)
{
	const char *p = f, *end = f + n, *bs;
	char c;

	cvx_buf_reset(out);
	while ((bs = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		cvx_buf_add(out, p, (size_t)(bs - p));
		if (bs + 1 >= end)
			break;
		switch (c = bs[1]) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'v': c = '\v'; break;
		default: break;
		}
		cvx_buf_addc(out, c);
		p = bs + 2;
	}
	cvx_buf_add(out, p, (size_t)(end - p));
}

/* Append row[0..n) (one COPY line, '\n' included) to doc as an object. */
static void
row_object(struct source *src, const struct dump_opts *o, struct cvx_buf *doc,
    struct cvx_buf *field, struct cvx_buf *tmp, const char *row, size_t n)
{
	const char *p = row, *end = row + n, *f, *why = NULL;
	const struct dump_col *col;
	size_t i, fn;
	bool first = true;

	if (end > p && end[-1] == '\n')
		end--;
	cvx_buf_reset(doc);
	cvx_buf_addc(doc, '{');
	for (i = 0; i < src->ncols; i++) {
		col = &src->cols[i];
		f = p;
		while (p < end && *p != '\t')
			p++;
		fn = (size_t)(p - f);
		if (p == end && i + 1 < src->ncols)
			cvx_die("%s: row %ju: COPY row with %zu fields for %zu"
			    " columns", src->what, (uintmax_t)src->rows,
			    i + 1, src->ncols);
		p++;
		if (fn == 2 && f[0] == '\\' && f[1] == 'N') {
			if (!o->nulls)
				continue;	/* v.optional: no field */
			if (!first)
				cvx_buf_addc(doc, ',');
			first = false;
			cvx_buf_adds(doc, col->qkey);
			cvx_buf_adds(doc, ":null");
			continue;
		}
		if (memchr(f, '\\', fn) != NULL) {
			copy_unescape(field, f, fn);
			f = field->p;
			fn = field->len;
		}
		if (!first)
			cvx_buf_addc(doc, ',');
		first = false;
		cvx_buf_adds(doc, col->qkey);
		cvx_buf_addc(doc, ':');
		if (dump_value(doc, tmp, o, col->type, col->elem, col->delim,
		    f, fn, &why) != 0)
			cvx_die("%s: row %ju: column %s: %s", src->what,
			    (uintmax_t)src->rows, col->name, why);
	}
	cvx_buf_addc(doc, '}');
}

void
dump_source(PGconn *c, struct source *src, const struct dump_opts *o,
    struct cvx_out *out)
{
	struct cvx_buf sql = { 0 }, tag = { 0 }, doc = { 0 }, field = { 0 },
	    tmp = { 0 };
	PGresult *r;
	char *row;
	int n;

	cvx_tag_build(&tag, src->name, NULL);
	cvx_buf_printf(&sql, "COPY (%s) TO STDOUT", src->sql);
	r = PQexec(c, sql.p);
	if (PQresultStatus(r) != PGRES_COPY_OUT)
		cvx_die("%s: %.*s", src->what, ONELINE(PQerrorMessage(c)));
	PQclear(r);
	/* Text format: one row per message, its '\n' included. */
	while ((n = PQgetCopyData(c, &row, 0)) > 0) {
		src->rows++;
		row_object(src, o, &doc, &field, &tmp, row, (size_t)n);
		PQfreemem(row);
		cvx_out_tagged(out, &tag, doc.p, doc.len);
	}
	if (n == -2)
		cvx_die("%s: %.*s", src->what, ONELINE(PQerrorMessage(c)));
	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			cvx_die("%s: %.*s", src->what,
			    ONELINE(PQresultErrorMessage(r)));
		PQclear(r);
	}
	cvx_buf_free(&sql);
	cvx_buf_free(&tag);
	cvx_buf_free(&doc);
	cvx_buf_free(&field);
	cvx_buf_free(&tmp);
}
