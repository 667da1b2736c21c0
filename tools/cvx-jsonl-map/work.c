/* SPDX-License-Identifier: MIT */
/*
 * work.c: cvx-jsonl-map's workers: each line of a chunk checked, selected
 * (-t, -x) and run through the program, in a thread of its own.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "cvx-jsonl-map.h"

/*
 * What each worker thread owns.  Threads are safe with libjq 1.6 as long
 * as no jq_state and no jv crosses threads: its writable globals are a
 * hash seed set under pthread_once, thread-local error flags and the
 * colour table (jq_set_colors, not used), and its dtoa state lives on
 * the stack of each parse or print (checked in Debian's libjq.so.1.0.4).
 * jv reference counts are not atomic, so each worker builds its own
 * $variables from the option texts (prog_compile).  Oniguruma's lazy
 * set-up is the one race left: prog_regex_warm_up() runs it before the
 * threads start.
 */
struct worker {
	struct jq_state	*jq;
	struct cvx_buf	 scratch;	/* a line with quoted bigints */
	struct cvx_buf	 tmp;		/* an unescaped string */
	struct cvx_buf	 msg;		/* compile messages, a line's failure */
	struct cvx_buf	 id;		/* a line's table identity (-t) */
	uint64_t	 nrun;		/* lines run through the program */
	uint64_t	 nfast;		/* of which fast.c answered */
};

/* Tables the program applies to (-t globs; none: every table), not (-x). */
static char *const *tables;
static size_t ntables;
static char *const *excludes;
static size_t nexcludes;
/* --int64 string: quote integers beyond +-2^53 instead of failing. */
static bool int64_string;
/* The program compiled by fast.c, when it can be (read-only, shared). */
static struct fast_prog *fast;
/* CVX_JSONL_MAP_FAST=stats: say at the end how many lines fast.c ran. */
static bool fast_stats;

void
workers_exclude(char *const *exc, size_t nexc)
{
	excludes = exc;
	nexcludes = nexc;
}

void **
workers_new(size_t n, char *const *tabs, size_t ntabs, bool int64_str)
{
	struct worker *w;
	void **ws;
	size_t i;

	tables = tabs;
	ntables = ntabs;
	int64_string = int64_str;
	w = cvx_calloc(n, sizeof(*w));
	ws = cvx_calloc(n, sizeof(*ws));
	for (i = 0; i < n; i++)
		ws[i] = &w[i];
	if ((w[0].jq = prog_compile(&w[0].msg)) == NULL)
		prog_compile_failed(&w[0].msg);
	/* Only a program libjq compiled gets here. */
	fast = fast_compile(prog_source());
	fast_stats = getenv("CVX_JSONL_MAP_FAST") != NULL &&
	    strcmp(getenv("CVX_JSONL_MAP_FAST"), "stats") == 0;
	if (n > 1)
		prog_regex_warm_up();
	return ws;
}

void
workers_free(void **ws, size_t n)
{
	struct worker *w;
	uint64_t nrun = 0, nfast = 0;
	size_t i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		w = ws[i];
		nrun += w->nrun;
		nfast += w->nfast;
		prog_free(&w->jq);
		cvx_buf_free(&w->scratch);
		cvx_buf_free(&w->tmp);
		cvx_buf_free(&w->msg);
		cvx_buf_free(&w->id);
	}
	if (fast_stats)
		warnx("fast path: %ju of %ju lines run (%s)", (uintmax_t)nfast,
		    (uintmax_t)nrun, fast != NULL ? "program compiled" :
		    "program not compiled");
	fast_free(fast);
	fast = NULL;
	free(ws[0]);	/* the start of workers_new's array */
	free(ws);
}

/* Is the table identity id (NUL-terminated) selected by -t and -x? */
static bool
table_selected(const char *id)
{
	return cvx_table_selected(id, tables, ntables, excludes, nexcludes);
}

/*
 * Put "table T, _id I: " (what the document has of the two) in b, for a
 * jq error: the line number alone does not find the document in the
 * export.  The line was checked, so the scan cannot fail.
 */
static void
doc_where(struct cvx_buf *b, const char *line, size_t n)
{
	struct cvx_json_error je;
	struct cvx_tag tag;
	struct cvx_buf table = { 0 };
	const char *why, *at, *id;
	size_t idlen;

	cvx_buf_reset(b);
	if (cvx_tag_scan(line, n, &tag, &je) == 0 &&
	    cvx_tag_identity(&tag, &table, &why, &at) == 1)
		cvx_buf_printf(b, "table %s", table.p);
	if (cvx_json_get(line, n, "_id", 3, &id, &idlen, &je) == 1 &&
	    idlen >= 2 && *id == '"' && idlen <= 80)
		cvx_buf_printf(b, "%s_id %.*s", b->len > 0 ? ", " : "",
		    (int)(idlen - 2), id + 1);
	if (b->len > 0)
		cvx_buf_adds(b, ": ");
	cvx_buf_free(&table);
}

/* Process one input line of c; false if it stops the chunk. */
static bool
do_line(struct worker *w, struct chunk *c, uint64_t idx, const char *line,
    size_t len)
{
	struct cvx_json_error je;
	struct cvx_tag tag;
	size_t n = len, at, blen, start;
	const char *p = line, *why, *where;
	bool selected = true;
	int r;

	if (cvx_is_abort(line, len, NULL)) {
		chunk_abort(c, idx, line, len);
		return false;
	}
	/* A CR before the LF is whitespace to JSON; keep it out of scans. */
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (ntables > 0 || nexcludes > 0) {
		if ((r = cvx_tag_scan(line, n, &tag, &je)) == 0) {
			switch (cvx_tag_identity(&tag, &w->id, &why, &where)) {
			case -1:
				return chunk_reject(c, c->out->len, idx, line,
				    len, "%s at byte %zu", why,
				    (size_t)(where - line) + 1);
			case 0:
				/* Untagged: no table for -t to name. */
				selected = ntables == 0;
				break;
			default:
				selected = table_selected(w->id.p);
			}
		}
		if (r == 0 && !selected) {
			cvx_buf_add(c->out, line, len);
			cvx_buf_addc(c->out, '\n');
			return true;
		}
	} else
		r = cvx_json_check(line, n, &je);
	if (r < 0)
		return chunk_reject(c, c->out->len, idx, line, len,
		    "invalid JSON at byte %zu: %s", je.offset + 1, je.msg);
	if ((at = cvx_json_find_bigint(line, n, 0, &blen)) < n) {
		if (!int64_string)
			return chunk_reject(c, c->out->len, idx, line, len,
			    "integer %.*s at byte %zu is beyond +-2^53, which "
			    "jq 1.6 would change (use --int64 string)",
			    (int)blen, line + at, at + 1);
		cvx_buf_reset(&w->scratch);
		cvx_json_quote_bigints(line, n, &w->scratch);
		p = w->scratch.p;
		n = w->scratch.len;
	}
	start = c->out->len;
	w->nrun++;
	if (fast != NULL && fast_run(fast, p, n, &w->tmp, c->out)) {
		w->nfast++;
		return true;
	}
	if (!prog_run(w->jq, p, n, &w->tmp, c->out, &w->msg)) {
		doc_where(&w->tmp, line, n);
		return chunk_reject(c, start, idx, line, len, "%s%s",
		    w->tmp.len > 0 ? w->tmp.p : "", w->msg.p);
	}
	return true;
}

void
work_chunk(void *worker, struct cvx_chunk *chunk)
{
	struct worker *w = worker;
	struct chunk *c;
	const char *p, *end, *nl;
	size_t len;

	if (w->jq == NULL && (w->jq = prog_compile(&w->msg)) == NULL)
		cvx_die("%s", w->msg.p);
	c = chunk_begin(chunk);
	p = c->in->p;
	end = p + c->in->len;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		c->nlines++;
		if (!do_line(w, c, c->nlines, p, len))
			break;
		p += len + 1;
	}
}
