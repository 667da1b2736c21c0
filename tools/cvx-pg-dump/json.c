/* SPDX-License-Identifier: MIT */
/*
 * json.c: a json or jsonb column's value as the JSON it holds, compact,
 * with its object keys checked against Convex's field-name rule, so that
 * a key Convex refuses fails here with its row and column rather than
 * at import.
 */
#include <string.h>

#include "cvx-pg-dump.h"

/* Longest field name Convex takes (identifier.rs, MAX_FIELD_NAME_LENGTH). */
#define MAX_FIELD_NAME	1024

/* Is c JSON whitespace between tokens (RFC 8259 §2)? */
static bool
json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Is the raw key k[0..n) (between its quotes) a field name Convex takes:
 * printable ASCII, at most 1024 bytes, not starting with '$'
 * (crates/convex/sync_types/src/identifier.rs, check_valid_field_name)?
 */
static const char *
key_error(const char *k, size_t n, struct cvx_buf *tmp)
{
	size_t i;

	cvx_buf_reset(tmp);
	if (memchr(k, '\\', n) == NULL)
		cvx_buf_add(tmp, k, n);
	else if (cvx_json_unescape(k, n, tmp, CVX_NUL_KEEP) != 0)
		return "malformed object key";
	if (tmp->len > MAX_FIELD_NAME)
		return "object key longer than 1024 bytes (Convex field name)";
	if (tmp->len > 0 && tmp->p[0] == '$')
		return "object key starts with '$' (Convex field name)";
	for (i = 0; i < tmp->len; i++)
		if ((unsigned char)tmp->p[i] < 0x20 ||
		    (unsigned char)tmp->p[i] > 0x7e)
			return "object key with a character outside printable"
			    " ASCII (Convex field name)";
	return NULL;
}

int
dump_json(struct cvx_buf *out, const char *s, size_t n, const char **why)
{
	struct cvx_buf tmp = { 0 };
	const char *p = s, *end = s + n, *start, *q;
	int r = 0;

	cvx_buf_grow(out, n);
	while (p < end) {
		if (json_ws(*p)) {
			p++;
			continue;
		}
		if (*p != '"') {
			cvx_buf_addc(out, *p++);
			continue;
		}
		/* The server checked the text: a string ends unescaped. */
		for (start = ++p; p < end && *p != '"'; p++)
			if (*p == '\\')
				p++;
		if (p >= end) {
			*why = "malformed JSON";
			r = -1;
			break;
		}
		cvx_buf_add(out, start - 1, (size_t)(p + 1 - start + 1));
		for (q = ++p; q < end && json_ws(*q); q++)
			;
		if (q < end && *q == ':' &&
		    (*why = key_error(start, (size_t)(p - 1 - start), &tmp))
		    != NULL) {
			r = -1;
			break;
		}
	}
	cvx_buf_free(&tmp);
	return r;
}
