/* SPDX-License-Identifier: MIT */
/*
 * int64: Convex int64 text in JSON (cvx-jsonl-map's bigint.c:
 * cvx_json_find_bigint, cvx_json_quote_bigints, cvx_json_number; and
 * cvx_number_kind), the guard that keeps jq 1.6's doubles from changing
 * integers beyond 2^53 (convex-export-format.md §3.1).
 *
 * Invariants, on checked JSON text:
 * - the tokens found are exactly the integer tokens (no '.', 'e', 'E')
 *   outside strings whose magnitude is above 2^53, as a second tokenizer
 *   finds them comparing digit strings;
 * - quoting them gives checked JSON in which nothing is found any more,
 *   equal to the input with '"' around each token;
 * - every number token reads (cvx_json_number, in a NUL-terminated copy
 *   of the text as cvx-jsonl-map's chunks are) as the double strtod
 *   gives, bit for bit, and ends where the token ends; its kind is an
 *   integer exactly when it has no '.', 'e' or 'E'.
 * On any bytes: no crash, no read outside the text.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#if __has_include("cvx-jsonl-map.h")
#include "cvx-jsonl-map.h"
#endif
#if __has_include("cvx-pg-load.h")
#include "cvx-pg-load.h"
#endif
#include "fuzz.h"

/* Is the integer token t[0..n) beyond 2^53 in magnitude? */
static bool
ref_big(const char *t, size_t n)
{
	static const char lim[] = "9007199254740992";
	size_t i;

	if (t[0] == '-') {
		t++;
		n--;
	}
	for (i = 0; i < n; i++)
		if (t[i] == '.' || t[i] == 'e' || t[i] == 'E')
			return false;
	if (n != strlen(lim))
		return n > strlen(lim);	/* JSON: no leading zeros */
	return memcmp(t, lim, n) > 0;
}

/* Check every number token of the checked JSON text s[0..n). */
static void
check_tokens(const char *s, size_t n)
{
	size_t i = 0, j, len, from = 0, at, cnt = 0, big[256], blen[256];
	struct cvx_buf tok = {0}, q = {0}, want = {0}, z = {0};
	const char *end;
	double x, y;

	cvx_buf_add(&z, s, n);		/* NUL-terminated */
	while (i < n) {
		if (s[i] == '"') {
			for (i++; s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
			continue;
		}
		if (s[i] != '-' && (s[i] < '0' || s[i] > '9')) {
			i++;
			continue;
		}
		for (j = i; j < n && strchr("-+.eE0123456789", s[j]) &&
		    s[j] != '\0'; j++)
			;
		len = j - i;
		cvx_buf_reset(&tok);
		cvx_buf_add(&tok, s + i, len);
		errno = 0;
		y = strtod(tok.p, NULL);
		x = cvx_json_number(z.p + i, &end);
		CHECK(end == z.p + j && memcmp(&x, &y, sizeof(x)) == 0,
		    "%s reads as %.17g, strtod %.17g", tok.p, x, y);
		CHECK((cvx_number_kind(s + i, len) == CVX_NUM_INT) ==
		    (strpbrk(tok.p, ".eE") == NULL), "kind of %s", tok.p);
		if (ref_big(s + i, len) && cnt < 256) {
			big[cnt] = i;
			blen[cnt++] = len;
		}
		i = j;
	}
	for (i = 0; i <= cnt && i < 256; i++) {
		at = cvx_json_find_bigint(s, n, from, &len);
		if (i == cnt) {
			CHECK(at == n, "found a big integer at %zu that is not "
			    "one", at);
			break;
		}
		CHECK(at == big[i] && len == blen[i], "big integer %zu: at "
		    "%zu+%zu, found %zu+%zu", i, big[i], blen[i], at, len);
		from = at + len;
	}
	if (cnt >= 256)
		goto out;
	CHECK(cvx_json_quote_bigints(s, n, &q) == cnt, "quoted a different "
	    "count");
	for (i = 0, from = 0; i < cnt; i++) {
		cvx_buf_add(&want, s + from, big[i] - from);
		cvx_buf_addc(&want, '"');
		cvx_buf_add(&want, s + big[i], blen[i]);
		cvx_buf_addc(&want, '"');
		from = big[i] + blen[i];
	}
	cvx_buf_add(&want, s + from, n - from);
	CHECK(mem_eq(q.p, q.len, want.p, want.len), "quoted text differs");
	CHECK(cvx_json_check(q.p, q.len, NULL) == 0, "quoted text is not "
	    "JSON");
	CHECK(cvx_json_find_bigint(q.p, q.len, 0, &len) == q.len, "a big "
	    "integer left after quoting");
out:
	cvx_buf_free(&z);
	cvx_buf_free(&tok);
	cvx_buf_free(&q);
	cvx_buf_free(&want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct cvx_buf q = {0};
	size_t at, len, from = 0;

	if (cvx_json_check(s, size, NULL) == 0) {
		check_tokens(s, size);
		return 0;
	}
	/* Unchecked text: only safety, and progress. */
	while ((at = cvx_json_find_bigint(s, size, from, &len)) < size) {
		CHECK(len > 0 && at >= from && at + len <= size, "token "
		    "%zu+%zu outside the text", at, len);
		from = at + len;
	}
	CHECK(at == size, "end is %zu, not %zu", at, size);
	(void)cvx_json_quote_bigints(s, size, &q);
	cvx_buf_free(&q);
	return 0;
}
