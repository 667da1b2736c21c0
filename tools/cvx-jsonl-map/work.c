/* SPDX-License-Identifier: MIT */
/*
 * work.c: cvx-jsonl-map's workers: each line of a chunk checked, selected
 * (-t) and run through the program, in a thread of its own.
 */
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
};

/* Tables the program applies to (-t); none means every line. */
static const char **tables;
static size_t ntables;
/* --int64 string: quote integers beyond +-2^53 instead of failing. */
static bool int64_string;

void **
workers_new(size_t n, const char **tabs, size_t ntabs, bool int64_str)
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
	if (n > 1)
		prog_regex_warm_up();
	return ws;
}

void
workers_free(void **ws, size_t n)
{
	struct worker *w;
	size_t i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		w = ws[i];
		prog_free(&w->jq);
		cvx_buf_free(&w->scratch);
		cvx_buf_free(&w->tmp);
		cvx_buf_free(&w->msg);
		cvx_buf_free(&w->id);
	}
	free(ws[0]);	/* the start of workers_new's array */
	free(ws);
}

/* Is the table identity id[0..n) one of the -t tables? */
static bool
table_selected(const char *id, size_t n)
{
	size_t i;

	for (i = 0; i < ntables; i++)
		if (strlen(tables[i]) == n && memcmp(id, tables[i], n) == 0)
			return true;
	return false;
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
	if (ntables > 0) {
		if ((r = cvx_tag_scan(line, n, &tag, &je)) == 0) {
			switch (cvx_tag_identity(&tag, &w->id, &why, &where)) {
			case -1:
				return chunk_reject(c, c->out->len, idx, line,
				    len, "%s at byte %zu", why,
				    (size_t)(where - line) + 1);
			case 0:
				selected = false;
				break;
			default:
				selected = table_selected(w->id.p, w->id.len);
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
	if (!prog_run(w->jq, p, n, &w->tmp, c->out, &w->msg))
		return chunk_reject(c, start, idx, line, len, "%s", w->msg.p);
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
