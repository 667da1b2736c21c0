/* SPDX-License-Identifier: MIT */
/*
 * tables.c: one line of a `_tables/documents.jsonl` file, the list of
 * tables and their numbers that every export carries (cvx-unzip and
 * cvx-schema read it there) and that cvx-zip and cvx-jsonl-map read with
 * --table-numbers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cvx.h"

static int
line_error(struct cvx_json_error *e, const char *msg, size_t off)
{
	e->msg = msg;
	e->offset = off;
	return -1;
}

/* A JSON string member of the line, decoded into out: 1, 0 if absent,
 * -1 if not a string (*at: its offset). */
static int
get_string(const char *line, size_t len, const char *key,
    struct cvx_buf *out, size_t *at, struct cvx_json_error *e)
{
	const char *v;
	size_t vn;
	int rc;

	cvx_buf_reset(out);
	*at = 0;
	if ((rc = cvx_json_get(line, len, key, strlen(key), &v, &vn, e)) <= 0)
		return rc;
	*at = (size_t)(v - line);
	if (*v != '"' || cvx_json_unescape(v + 1, vn - 2, out,
	    CVX_NUL_REJECT) != 0)
		return -1;
	return 1;
}

int
cvx_tables_line(const char *line, size_t len, struct cvx_buf *name,
    struct cvx_buf *component, uint32_t *number, struct cvx_json_error *e)
{
	struct cvx_buf num = { 0 };
	const char *v;
	char *end;
	size_t vn, at;
	double d;
	int rc;

	if ((rc = get_string(line, len, "name", name, &at, e)) <= 0 ||
	    name->len == 0)
		return rc < 0 && at == 0 ? -1 :
		    line_error(e, "no valid table name", at);
	if ((rc = get_string(line, len, "component", component, &at, e)) < 0)
		return at == 0 ? -1 :
		    line_error(e, "\"component\" is not a string", at);
	if ((rc = cvx_json_get(line, len, "id", 2, &v, &vn, e)) <= 0)
		return rc < 0 ? -1 : line_error(e, "no table number", 0);
	/*
	 * The importer reads id as an f64 and casts it to u32
	 * (crates/application/src/snapshot_import/mod.rs): 10001.0 and
	 * 1.0001e4 are 10001 too.
	 */
	cvx_buf_add(&num, v, vn);
	errno = 0;
	d = strtod(num.p, &end);
	rc = errno != 0 || *end != '\0' || !(d >= 1 && d <= 4294967295.0) ||
	    d != (double)(uint32_t)d;
	cvx_buf_free(&num);
	if (rc)
		return line_error(e, "no valid table number",
		    (size_t)(v - line));
	*number = (uint32_t)d;
	return 0;
}
