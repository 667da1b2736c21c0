/* SPDX-License-Identifier: MIT */
/* emit.c: the stream: the selected tables' documents, fed to the writer. */
#include <stdlib.h>

#include "cvx-unzip.h"

/* Stream one entry to the writer, to its end (so its CRC-32 is checked). */
static void
feed(struct reader *r, struct job *j)
{
	struct slot *c;
	bool first = true, last;
	size_t got = 0;

	do {
		c = slot_get();
		c->job = j;
		c->first = first;
		first = false;
		while (c->len < CVX_IOSIZE && (got = reader_read(r,
		    c->buf + c->len, CVX_IOSIZE - c->len)) > 0)
			c->len += got;
		c->last = last = got == 0;
		slot_put();
	} while (!last);
}

int
emit(struct export *x, const size_t *order, size_t n)
{
	struct walker w;
	struct job *jobs = cvx_calloc(n + 1, sizeof(*jobs));
	struct cvx_table *t;
	size_t k;
	int rval;

	walk_start(&w, x);
	writer_start(x->input);
	for (k = 0; k < n; k++) {
		t = &x->cat.t[order[k]];
		if (t->docs < 0)
			continue;
		jobs[k].entry = x->e[t->docs].name;
		cvx_tag_build(&jobs[k].tag, t->name, t->component);
		feed(walk_to(&w, t->docs), &jobs[k]);
	}
	walk_end(&w);
	rval = writer_finish();
	for (k = 0; k < n; k++)
		cvx_buf_free(&jobs[k].tag);
	free(jobs);
	return rval;
}
