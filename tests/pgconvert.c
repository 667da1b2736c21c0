/* SPDX-License-Identifier: MIT */
/* pgconvert: run cvx-pg-load's value converters (copy.c) on arguments (for tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvx.h"
#include "../tools/cvx-pg-load/cvx-pg-load.h"

/*
 * Usage: pgconvert value TYPE JSON...	the COPY field for a column of
 *					pg_type TYPE (TYPE[]: an array)
 *	  pgconvert nul POLICY TYPE JSON...	the same under --nul POLICY
 *	  pgconvert us TOKEN...		epoch ms -> microseconds
 *	  pgconvert base64 TEXT...	the decoded bytes, in hex
 *	  pgconvert float|integer B64...	a $float or $integer payload
 *	  pgconvert escape TEXT...	COPY-escaped
 * One line per argument: the result, or "error" (value: "error: WHY").
 */

static const char usage[] = "usage: pgconvert value|nul|us|base64|float|"
    "integer|escape [args] arg ...\n";

/* The class of a typname; "T[]" is an array of T (*elem). */
static enum cvx_pgtype
type_of(const char *name, enum cvx_pgtype *elem)
{
	static const char *const text[] = { "text", "varchar", "bpchar",
	    "name", "citext", NULL };
	char base[64];
	size_t n = strlen(name);
	int i;

	*elem = CVX_PG_OTHER;
	if (n > 2 && n < sizeof(base) && strcmp(name + n - 2, "[]") == 0) {
		memcpy(base, name, n - 2);
		base[n - 2] = '\0';
		*elem = type_of(base, elem);
		return CVX_PG_ARRAY;
	}
	for (i = 0; text[i] != NULL; i++)
		if (strcmp(name, text[i]) == 0)
			return cvx_pgtype_of(name, 'S');
	return cvx_pgtype_of(name, 'U');
}

/* One COPY field, or "error: why". */
static void
value(struct cvx_buf *out, const char *type, enum cvx_nul_policy nul,
    const char *v)
{
	struct cvx_buf tmp = { 0 };
	struct cvx_json_error e;
	enum cvx_pgtype t, elem;
	const char *why = "";

	t = type_of(type, &elem);
	if (cvx_json_check(v, strlen(v), &e) != 0)
		cvx_buf_printf(out, "error: invalid JSON: %s", e.msg);
	else if (cvx_copy_value(out, &tmp, t, elem, v, strlen(v), nul,
	    &why) != 0) {
		cvx_buf_reset(out);
		cvx_buf_printf(out, "error: %s", why);
	}
	cvx_buf_free(&tmp);
}

int
main(int argc, char **argv)
{
	static const char *const nuls[] = { "reject", "strip", "replace" };
	struct cvx_buf out = { 0 }, b = { 0 };
	enum cvx_nul_policy nul = CVX_NUL_REJECT;
	const char *mode, *type = NULL;
	int64_t us;
	size_t j;
	int i;

	if (argc < 3)
		cvx_usage_fail(usage, NULL);
	mode = argv[1];
	i = 2;
	if (strcmp(mode, "nul") == 0) {
		for (j = 0; j < 3 && strcmp(argv[i], nuls[j]) != 0; j++)
			;
		if (j == 3 || argc < 5)
			cvx_usage_fail(usage, "%s: not a --nul policy",
			    argv[i]);
		nul = (enum cvx_nul_policy)j;
		i++;
	}
	if (strcmp(mode, "value") == 0 || strcmp(mode, "nul") == 0)
		type = argv[i++];
	for (; i < argc; i++) {
		const char *a = argv[i];
		size_t n = strlen(a);
		int rc = 0;

		cvx_buf_reset(&out);
		if (type != NULL)
			value(&out, type, nul, a);
		else if (strcmp(mode, "us") == 0) {
			if ((rc = cvx_epoch_ms_to_us(a, n, &us)) == 0)
				cvx_buf_printf(&out, "%lld", (long long)us);
		} else if (strcmp(mode, "base64") == 0) {
			cvx_buf_reset(&b);
			if ((rc = cvx_base64_decode(&b, a, n)) == 0)
				for (j = 0; j < b.len; j++)
					cvx_buf_printf(&out, "%02x",
					    (unsigned char)b.p[j]);
		} else if (strcmp(mode, "float") == 0)
			rc = cvx_float_text(&out, a, n);
		else if (strcmp(mode, "integer") == 0)
			rc = cvx_integer_text(&out, a, n);
		else if (strcmp(mode, "escape") == 0)
			cvx_copy_escape(&out, a, n);
		else
			cvx_usage_fail(usage, "%s: no such mode", mode);
		if (rc != 0) {
			cvx_buf_reset(&out);
			cvx_buf_adds(&out, "error");
		}
		printf("%.*s\n", (int)out.len, out.p != NULL ? out.p : "");
	}
	cvx_buf_free(&out);
	cvx_buf_free(&b);
	return cvx_close_stdout();
}
