/* SPDX-License-Identifier: MIT */
/* emit.c: the stream: the selected tables' documents, fed to the writer. */
#include <stdlib.h>

#include "cvx-unzip.h"

/* Stream one entry to the writer, to its end (so its CRC-32 is checked). */
static void
feed(struct cvx_export_reader *r, struct job *j)
{
	struct slot *c;
	bool first = true, last;
	size_t got = 0;

	do {
		c = slot_get();
		c->job = j;
		c->first = first;
		first = false;
		while (c->len < CVX_IOSIZE && (got = cvx_export_read(r,
		    c->buf + c->len, CVX_IOSIZE - c->len)) > 0)
			c->len += got;
		c->last = last = got == 0;
		slot_put();
	} while (!last);
}

/*
 * A reading error while the writer runs (cvx_export_fail): through fail,
 * behind the chunks already read.
 */
static void __attribute__((noreturn))
read_failed(const char *msg)
{
	fail("%s", msg);
}

int
emit(struct cvx_export *x, const size_t *order, size_t n)
{
	struct cvx_export_walker w;
	struct job *jobs = cvx_calloc(n + 1, sizeof(*jobs));
	struct cvx_table *t;
	size_t k;
	int rval;

	cvx_walker_start(&w, x);
	cvx_export_on_fail(read_failed);
	writer_start(x->input);
	for (k = 0; k < n; k++) {
		t = &x->cat.t[order[k]];
		if (t->docs < 0)
			continue;
		jobs[k].entry = x->e[t->docs].name;
		cvx_tag_build(&jobs[k].tag, t->name, t->component);
		feed(cvx_walker_to(&w, t->docs), &jobs[k]);
	}
	cvx_walker_end(&w);
	rval = writer_finish();
	for (k = 0; k < n; k++)
		cvx_buf_free(&jobs[k].tag);
	free(jobs);
	return rval;
}
