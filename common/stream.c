/* SPDX-License-Identifier: MIT */
/* stream.c: the `_table` / `_component` tag of the stream contract. */
#include <string.h>

#include "cvx.h"

void
cvx_tag_build(struct cvx_buf *tag, const char *table, const char *component)
{
	cvx_buf_reset(tag);
	cvx_buf_adds(tag, "\"_table\":");
	cvx_json_quote(tag, table, strlen(table));
	cvx_buf_addc(tag, ',');
	if (component != NULL && *component != '\0') {
		cvx_buf_adds(tag, "\"_component\":");
		cvx_json_quote(tag, component, strlen(component));
		cvx_buf_addc(tag, ',');
	}
}

void
cvx_out_tagged(struct cvx_out *o, const struct cvx_buf *tag, const char *doc,
    size_t n)
{
	size_t i = 1;

	cvx_out_write(o, "{", 1);
	/* {} (whitespace allowed inside): the tag alone, no comma after it. */
	while (i < n && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' ||
	    doc[i] == '\r'))
		i++;
	if (i < n && doc[i] == '}')
		cvx_out_write(o, tag->p, tag->len - 1);
	else
		cvx_out_write(o, tag->p, tag->len);
	cvx_out_write(o, doc + 1, n - 1);
	cvx_out_write(o, "\n", 1);
}
