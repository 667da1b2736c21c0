/* SPDX-License-Identifier: MIT */
/*
 * rows.c: stream documents to COPY rows of a table's column list
 * (cvx-pg-load), and the SQL text of a merge.  No libpq here: the tool
 * fills the columns from the catalog and sends the rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvx-pg-load.h"

/* Collect one top-level member into the cvx_doc at ctx. */
static int
collect(void *ctx, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	struct cvx_doc *d = ctx;

	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 32;
		d->m = cvx_reallocarray(d->m, d->cap, sizeof(*d->m));
	}
	d->m[d->n].key = key;
	d->m[d->n].klen = klen;
	d->m[d->n].val = val;
	d->m[d->n].vlen = vlen;
	d->n++;
	return 0;
}

int
cvx_doc_parse(struct cvx_doc *d, const char *line, size_t len,
    struct cvx_json_error *e)
{
	d->n = 0;
	return cvx_json_scan_object(line, len, collect, d, e);
}

bool
cvx_member_is_tag(const struct cvx_member *m)
{
	return cvx_tag_key(m->key, m->klen) != 0;
}

int
cvx_doc_route(const struct cvx_doc *d, struct cvx_buf *name, const char **why)
{
	struct cvx_tag t = {0};
	const char *at;
	size_t i;

	for (i = 0; i < d->n; i++)
		(void)cvx_tag_take(&t, d->m[i].key, d->m[i].klen, d->m[i].val,
		    d->m[i].vlen);
	return cvx_tag_identity(&t, name, why, &at);
}

void
cvx_rows_init(struct cvx_rows *r)
{
	memset(r, 0, sizeof(*r));
	r->doc = -1;
	r->binary = true;
}

void
cvx_rows_set_text(struct cvx_rows *r)
{
	r->binary = false;
}

void
cvx_rows_set_lines(struct cvx_rows *r)
{
	r->lines = true;
}

void
cvx_rows_set_cols(struct cvx_rows *r, struct cvx_col *cols, size_t ncols)
{
	r->cols = cols;
	r->ncols = ncols;
}

void
cvx_rows_set_doc(struct cvx_rows *r, long doc)
{
	r->doc = doc;
}

uint64_t
cvx_rows_sent(struct cvx_rows *r)
{
	cvx_buf_reset(&r->data);
	return r->nrows;
}

long
cvx_rows_find(const struct cvx_rows *r, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < r->ncols; i++)
		if (r->cols[i].namelen == n &&
		    memcmp(r->cols[i].name, name, n) == 0)
			return (long)i;
	return -1;
}

/* The column of member i of d, or -1; tmp decodes escaped keys. */
static long
match_member(struct cvx_rows *r, const struct cvx_doc *d, size_t i,
    struct cvx_buf *tmp)
{
	const char *k = d->m[i].key;
	size_t kn = d->m[i].klen, g;
	long ci;

	/* Documents of one table mostly list the same keys in one order. */
	if (i < r->nguess && (g = r->guess[i]) != 0 &&
	    r->cols[g - 1].namelen == kn &&
	    memcmp(r->cols[g - 1].name, k, kn) == 0)
		return (long)g - 1;
	if (memchr(k, '\\', kn) != NULL) {
		cvx_buf_reset(tmp);
		/* A key holding U+0000 matches no column name. */
		if (cvx_json_unescape(k, kn, tmp, CVX_NUL_REJECT) != 0)
			return -1;
		k = tmp->p;
		kn = tmp->len;
	}
	if ((ci = cvx_rows_find(r, k, kn)) == r->doc)
		ci = -1;	/* the catch-all gets the whole document */
	if (i >= r->nguess) {
		r->guess = cvx_reallocarray(r->guess, i + 1,
		    sizeof(*r->guess));
		memset(r->guess + r->nguess, 0,
		    (i + 1 - r->nguess) * sizeof(*r->guess));
		r->nguess = i + 1;
	}
	r->guess[i] = (size_t)(ci + 1);
	return ci;
}

size_t
cvx_rows_match(struct cvx_rows *r, const struct cvx_doc *d, uint64_t line,
    struct cvx_buf *unknown)
{
	struct cvx_col *c;
	size_t i, n = 0;
	long ci;

	cvx_buf_reset(unknown);
	for (i = 0; i < d->n; i++) {
		if (cvx_member_is_tag(&d->m[i]))
			continue;
		if ((ci = match_member(r, d, i, &r->tmp)) < 0) {
			if (n++ > 0)
				cvx_buf_adds(unknown, ", ");
			cvx_buf_add(unknown, d->m[i].key, d->m[i].klen);
			continue;
		}
		c = &r->cols[ci];
		c->stamp = line;
		c->val = d->m[i].val;
		c->vlen = d->m[i].vlen;
	}
	return n;
}

void
cvx_rows_list_add(struct cvx_rows *r, size_t ci)
{
	if (r->list == NULL)
		r->list = cvx_calloc(r->ncols, sizeof(*r->list));
	r->list[r->nlist++] = ci;
	r->cols[ci].listed = true;
	/* One column without a binary form makes the whole COPY text. */
	if (r->cols[ci].bin == CVX_BIN_NONE)
		r->binary = false;
}

/* Remember that the next COPY row comes from input line line. */
static void
add_run(struct cvx_rows *r, uint64_t line)
{
	struct cvx_run *run = r->nruns ? &r->runs[r->nruns - 1] : NULL;

	r->nrows++;
	if (run != NULL && run->line + run->count == line) {
		run->count++;
		return;
	}
	if (r->nruns % 64 == 0)
		r->runs = cvx_reallocarray(r->runs, r->nruns + 64,
		    sizeof(*r->runs));
	r->runs[r->nruns].row = r->nrows;
	r->runs[r->nruns].line = line;
	r->runs[r->nruns].count = 1;
	r->nruns++;
}

/*
 * Append the document minus its tag members as JSON text: COPY-escaped
 * for text, as is for binary (the caller frames the field).
 */
static int
doc_body(struct cvx_rows *r, const struct cvx_doc *d, const char *line,
    size_t len, enum cvx_nul_policy nul)
{
	int (*put)(struct cvx_buf *, const char *, size_t,
	    enum cvx_nul_policy) = r->binary ? cvx_json_text_nul :
	    cvx_copy_json_text;
	const char *rest;
	size_t i;

	/* cvx-unzip puts the tag first: the rest of the line is the doc. */
	for (i = 0; i < d->n && cvx_member_is_tag(&d->m[i]); i++)
		;
	if (i == d->n) {
		cvx_buf_add(&r->data, "{}", 2);
		return 0;
	}
	rest = d->m[i].key - 1;
	for (; i < d->n && !cvx_member_is_tag(&d->m[i]); i++)
		;
	cvx_buf_addc(&r->data, '{');
	if (i == d->n)
		return put(&r->data, rest, (size_t)(line + len - rest), nul);
	/* A tag after other keys: rebuild the object from the members. */
	cvx_buf_reset(&r->tmp);
	for (i = 0; i < d->n; i++) {
		if (cvx_member_is_tag(&d->m[i]))
			continue;
		if (r->tmp.len)
			cvx_buf_addc(&r->tmp, ',');
		cvx_buf_add(&r->tmp, d->m[i].key - 1, d->m[i].klen + 2);
		cvx_buf_addc(&r->tmp, ':');
		cvx_buf_add(&r->tmp, d->m[i].val, d->m[i].vlen);
	}
	cvx_buf_addc(&r->tmp, '}');
	return put(&r->data, r->tmp.p, r->tmp.len, nul);
}

/* The catch-all column's field in COPY binary: json, or jsonb's 1 first. */
static int
doc_field(struct cvx_rows *r, const struct cvx_col *c, const struct cvx_doc *d,
    const char *line, size_t len, enum cvx_nul_policy nul)
{
	size_t at = cvx_copy_binary_open(&r->data);

	if (c->bin == CVX_BIN_JSONB)
		cvx_buf_addc(&r->data, 1);
	if (doc_body(r, d, line, len, nul) != 0)
		return -1;
	cvx_copy_binary_close(&r->data, at);
	return 0;
}

/* One listed column's field of the row, in r's format. */
static int
append_field(struct cvx_rows *r, size_t i, const struct cvx_doc *d,
    const char *line, size_t len, uint64_t lineno, enum cvx_nul_policy nul,
    const char **why)
{
	struct cvx_col *c = &r->cols[r->list[i]];

	if (i > 0 && !r->binary)
		cvx_buf_addc(&r->data, '\t');
	if ((long)r->list[i] == r->doc) {
		if ((r->binary ? doc_field(r, c, d, line, len, nul) :
		    doc_body(r, d, line, len, nul)) == 0)
			return 0;
		*why = "U+0000 (\\u0000) in a string";
		return -1;
	}
	if (r->binary) {
		if (c->stamp != lineno) {
			cvx_buf_add(&r->data, "\xff\xff\xff\xff", 4);
			return 0;
		}
		return cvx_copy_binary_value(&r->data, &r->tmp, c->bin, c->val,
		    c->vlen, nul, why);
	}
	if (c->stamp != lineno) {
		cvx_buf_add(&r->data, "\\N", 2);
		return 0;
	}
	return cvx_copy_value(&r->data, &r->tmp, c->type, c->elem, c->val,
	    c->vlen, nul, why);
}

int
cvx_rows_append(struct cvx_rows *r, const struct cvx_doc *d,
    const char *line, size_t len, uint64_t lineno, enum cvx_nul_policy nul,
    long *errcol, const char **why)
{
	size_t start = r->data.len, i;
	char num[24];
	int rc;

	if (r->binary)
		cvx_copy_binary_count(&r->data, r->nlist + r->lines);
	for (i = 0; i < r->nlist; i++) {
		*errcol = (long)r->list[i];
		rc = append_field(r, i, d, line, len, lineno, nul, why);
		if (rc == 1) {
			r->data.len = start;	/* the row, in text, later */
			r->data.p[start] = '\0';
		}
		if (rc != 0)
			return rc;
	}
	if (r->binary && r->lines)
		cvx_copy_binary_int8(&r->data, (int64_t)lineno);
	else if (r->lines)
		cvx_buf_add(&r->data, num, (size_t)snprintf(num, sizeof(num),
		    "%s%llu", r->nlist ? "\t" : "",
		    (unsigned long long)lineno));
	if (!r->binary)
		cvx_buf_addc(&r->data, '\n');
	add_run(r, lineno);
	return 0;
}

uint64_t
cvx_rows_line(const struct cvx_rows *r, uint64_t row)
{
	size_t i;

	for (i = 0; i < r->nruns; i++)
		if (row >= r->runs[i].row &&
		    row < r->runs[i].row + r->runs[i].count)
			return r->runs[i].line + (row - r->runs[i].row);
	return 0;
}

void
cvx_rows_restart(struct cvx_rows *r, uint64_t nsent)
{
	struct cvx_run *run;
	size_t i, k = 0;

	/* Rows not yet sent become the first rows of the next COPY. */
	for (i = 0; i < r->nruns; i++) {
		run = &r->runs[i];
		if (run->row + run->count - 1 <= nsent)
			continue;
		if (run->row <= nsent) {
			run->line += nsent + 1 - run->row;
			run->count -= nsent + 1 - run->row;
			run->row = nsent + 1;
		}
		r->runs[k] = *run;
		r->runs[k++].row -= nsent;
	}
	r->nruns = k;
	r->nrows -= nsent;
}

bool
cvx_copy_context(const char *ctx, uint64_t *row, const char **col)
{
	const char *p, *q;
	unsigned long long n;

	/* PostgreSQL's CopyFromErrorCallback: "COPY %s, line %llu...". */
	if (ctx == NULL || (p = strstr(ctx, "COPY ")) == NULL)
		return false;
	/* The last such line is the outermost: our COPY, not a trigger's. */
	while ((q = strstr(p + 1, "COPY ")) != NULL)
		p = q;
	if ((p = strstr(p, ", line ")) == NULL ||
	    sscanf(p, ", line %llu", &n) != 1)
		return false;
	*row = n;
	*col = (q = strstr(p, ", column ")) != NULL ? q + 2 : "";
	return true;
}

void
cvx_merge_sql(struct cvx_buf *s, const char *target, const char *stage,
    const struct cvx_rows *r, const size_t *key, size_t nkey, bool dedupe)
{
	struct cvx_buf cols = { 0 }, keys = { 0 };
	const struct cvx_col *c;
	size_t i, j;
	bool any = false;

	for (i = 0; i < nkey; i++)
		cvx_buf_printf(&keys, "%s%s", i ? ", " : "",
		    r->cols[key[i]].qname);
	for (i = 0; i < r->nlist; i++)
		cvx_buf_printf(&cols, "%s%s", i ? ", " : "",
		    r->cols[r->list[i]].qname);
	/*
	 * The last document of a key wins: ctid is the staging order.  src
	 * is read twice (rows and their count), so PostgreSQL materialises
	 * it: only the dedupe form pays for that.
	 */
	if (dedupe)
		cvx_buf_printf(s, "WITH src AS (SELECT DISTINCT ON (%s) %s "
		    "FROM %s ORDER BY %s, ctid DESC), up AS (INSERT INTO %s "
		    "AS cvx_t (%s) SELECT %s FROM src", keys.p, cols.p, stage,
		    keys.p, target, cols.p, cols.p);
	else
		cvx_buf_printf(s, "WITH up AS (INSERT INTO %s AS cvx_t (%s) "
		    "SELECT %s FROM %s", target, cols.p, cols.p, stage);
	cvx_buf_printf(s, " ON CONFLICT (%s) DO ", keys.p);
	for (i = 0; i < r->nlist; i++) {
		for (j = 0; j < nkey && key[j] != r->list[i]; j++)
			;
		if (j < nkey)
			continue;
		c = &r->cols[r->list[i]];
		cvx_buf_printf(s, "%s%s = EXCLUDED.%s", any ? ", " :
		    "UPDATE SET ", c->qname, c->qname);
		any = true;
	}
	if (!any)
		cvx_buf_adds(s, "NOTHING");
	/* Unchanged rows are not rewritten; a trailing NULL makes rows. */
	for (i = 0; any && i < 2; i++) {
		cvx_buf_adds(s, i ? " IS DISTINCT FROM (" : " WHERE (");
		for (j = 0; j < r->nlist; j++) {
			c = &r->cols[r->list[j]];
			cvx_buf_printf(s, "%s.%s%s, ", i ? "EXCLUDED" : "cvx_t",
			    c->qname, c->text_eq ? "::text" : "");
		}
		cvx_buf_adds(s, "NULL)");
	}
	cvx_buf_printf(s, " RETURNING (xmax = 0) AS ins) SELECT %s, "
	    "count(*) FILTER (WHERE ins), count(*) FILTER (WHERE NOT ins) "
	    "FROM up", dedupe ? "(SELECT count(*) FROM src)" : "NULL::int8");
	cvx_buf_free(&cols);
	cvx_buf_free(&keys);
}

void
cvx_summary_append(struct cvx_buf *out, bool json,
    const struct cvx_load_stat *st, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, st++) {
		if (!json && st->parsed_only) {
			/* --no-db: nothing was compared with any table. */
			cvx_buf_printf(out, "cvx-pg-load: %s: %llu read\n",
			    st->table, (unsigned long long)st->read);
			continue;
		}
		if (!json) {
			/* A dry run did it all, then rolled back: "would". */
			cvx_buf_printf(out, "cvx-pg-load: %s: %llu read, "
			    "%s%llu%s, %s%llu%s, %llu unchanged, %.2f s, "
			    "%.0f rows/s\n", st->table,
			    (unsigned long long)st->read,
			    st->dry ? "would insert " : "",
			    (unsigned long long)st->inserted,
			    st->dry ? "" : " inserted",
			    st->dry ? "would update " : "",
			    (unsigned long long)st->updated,
			    st->dry ? "" : " updated",
			    (unsigned long long)st->unchanged, st->seconds,
			    (double)st->read / (st->seconds > 0 ?
			    st->seconds : 1e-9));
			continue;
		}
		cvx_buf_adds(out, i ? ",{\"table\":" : "{\"table\":");
		cvx_json_quote(out, st->table, strlen(st->table));
		cvx_buf_printf(out, ",\"read\":%llu,\"inserted\":%llu,"
		    "\"updated\":%llu,\"unchanged\":%llu,\"seconds\":%.3f}",
		    (unsigned long long)st->read,
		    (unsigned long long)st->inserted,
		    (unsigned long long)st->updated,
		    (unsigned long long)st->unchanged, st->seconds);
	}
}
