/* SPDX-License-Identifier: MIT */
/*
 * json: the JSON line checker and scanner (common/json.c).
 *
 * Invariants, on any bytes:
 * - the SSE2 build and the portable (SWAR) build of json.c give the same
 *   verdict, offset and message for cvx_json_check, cvx_json_scan_object
 *   and cvx_json_skip, and report the same members;
 * - cvx_json_check agrees with a second parser (ref.c, recursive descent,
 *   UTF-8 decoded by code point); cvx_json_scan_object with the same
 *   parser reading an object line;
 * - an error offset lies inside the text; every member reported is a
 *   checked key and a value that cvx_json_check accepts on its own;
 *   cvx_json_get finds a key's first value;
 * - a string decodes (cvx_json_unescape) to what ref.c decodes, to valid
 *   UTF-8, and cvx_json_quote of it is checked JSON that decodes back; the
 *   NUL policies drop, replace or refuse exactly the U+0000s.
 */
#include <string.h>

#include "fuzz.h"

/* json.c built without SSE2, its symbols prefixed (fuzz.mk). */
int swar_cvx_json_check(const char *, size_t, struct cvx_json_error *);
int swar_cvx_json_scan_object(const char *, size_t, cvx_json_member_fn *,
    void *, struct cvx_json_error *);
const char *swar_cvx_json_skip(const char *, const char *, const char *,
    struct cvx_json_error *);

static bool
same_error(int r1, const struct cvx_json_error *e1, int r2,
    const struct cvx_json_error *e2)
{
	return r1 == r2 && (r1 == 0 || (e1->offset == e2->offset &&
	    strcmp(e1->msg, e2->msg) == 0));
}

/* Both checkers, and the reference, on the whole text. */
static void
check_text(const char *s, size_t n)
{
	struct cvx_json_error e1, e2;
	int r1, r2;
	bool ref;

	r1 = cvx_json_check(s, n, &e1);
	r2 = swar_cvx_json_check(s, n, &e2);
	CHECK(same_error(r1, &e1, r2, &e2), "sse2 %d at %zu (%s), swar %d "
	    "at %zu (%s)", r1, r1 ? e1.offset : 0, r1 ? e1.msg : "",
	    r2, r2 ? e2.offset : 0, r2 ? e2.msg : "");
	ref = ref_json(s, n, CVX_JSON_MAX_DEPTH, false);
	CHECK((r1 == 0) == ref, "cvx_json_check %d (%s at %zu), reference "
	    "%s", r1, r1 ? e1.msg : "ok", r1 ? e1.offset : 0,
	    ref ? "accepts" : "rejects");
	if (r1 != 0)
		CHECK(e1.offset <= n, "offset %zu past the end (%zu)",
		    e1.offset, n);
	CHECK(cvx_json_check(s, n, NULL) == r1, "e == NULL changes the "
	    "verdict");
}

/* The object scanner, both builds, the reference and the members. */
static void
check_object(const char *s, size_t n)
{
	struct fuzz_members m1 = { s, 0, {0}, {0}, {0}, {0} };
	struct fuzz_members m2 = { s, 0, {0}, {0}, {0}, {0} };
	struct cvx_json_error e1, e2;
	const char *v;
	size_t i, j, vlen;
	int r1, r2, g;
	bool ref;

	r1 = cvx_json_scan_object(s, n, fuzz_collect, &m1, &e1);
	r2 = swar_cvx_json_scan_object(s, n, fuzz_collect, &m2, &e2);
	CHECK(same_error(r1, &e1, r2, &e2), "scan: sse2 %d, swar %d", r1,
	    r2);
	CHECK(m1.n == m2.n && memcmp(m1.key, m2.key, sizeof(m1.key)) == 0 &&
	    memcmp(m1.val, m2.val, sizeof(m1.val)) == 0 &&
	    memcmp(m1.vlen, m2.vlen, sizeof(m1.vlen)) == 0,
	    "scan: the builds report different members");
	ref = ref_json(s, n, CVX_JSON_MAX_DEPTH, true);
	CHECK((r1 == 0) == ref, "cvx_json_scan_object %d (%s at %zu), "
	    "reference %s", r1, r1 ? e1.msg : "ok", r1 ? e1.offset : 0,
	    ref ? "accepts" : "rejects");
	/* The scanner and the checker agree on every object line. */
	if (r1 == 0)
		CHECK(cvx_json_check(s, n, NULL) == 0, "an object line the "
		    "scanner takes and the checker refuses");
	if (r1 != 0) {
		CHECK(e1.offset <= n, "scan offset %zu past %zu", e1.offset, n);
		return;
	}
	for (i = 0; i < m1.n && i < FUZZ_MEMBERS; i++) {
		CHECK(m1.key[i] >= 1 && s[m1.key[i] - 1] == '"' &&
		    s[m1.key[i] + m1.klen[i]] == '"', "member %zu: key not "
		    "between quotes", i);
		CHECK(ref_json(s + m1.key[i] - 1, m1.klen[i] + 2, 1, false),
		    "member %zu: key is not a JSON string", i);
		CHECK(cvx_json_check(s + m1.val[i], m1.vlen[i], NULL) == 0,
		    "member %zu: value is not JSON on its own", i);
		CHECK(m1.val[i] + m1.vlen[i] <= n, "member %zu past the end",
		    i);
	}
	/* cvx_json_get: the first member with the first key's name. */
	if (m1.n > 0) {
		g = cvx_json_get(s, n, s + m1.key[0], m1.klen[0], &v, &vlen,
		    NULL);
		CHECK(g == 1 && v == s + m1.val[0] && vlen == m1.vlen[0],
		    "cvx_json_get did not find the first key's value");
		/* The last key's name: found at its first occurrence. */
		i = (m1.n < FUZZ_MEMBERS ? m1.n : FUZZ_MEMBERS) - 1;
		for (j = 0; j < i; j++)
			if (m1.klen[j] == m1.klen[i] && memcmp(s + m1.key[j],
			    s + m1.key[i], m1.klen[i]) == 0)
				break;
		g = cvx_json_get(s, n, s + m1.key[i], m1.klen[i], &v, &vlen,
		    NULL);
		CHECK(g == 1 && v == s + m1.val[j], "cvx_json_get: not the "
		    "first occurrence");
	}
	g = cvx_json_get(s, n, "\x01", 1, &v, &vlen, NULL);
	CHECK(g == 0, "cvx_json_get found a key that cannot be there");
}

/* cvx_json_skip from the first byte: both builds, then the value alone. */
static void
check_skip(const char *s, size_t n)
{
	struct cvx_json_error e1, e2;
	const char *q1, *q2;
	size_t len;

	q1 = cvx_json_skip(s, s, s + n, &e1);
	q2 = swar_cvx_json_skip(s, s, s + n, &e2);
	CHECK(q1 == q2 && (q1 != NULL || (e1.offset == e2.offset &&
	    strcmp(e1.msg, e2.msg) == 0)), "skip: the builds disagree");
	len = ref_json_value(s, n, CVX_JSON_MAX_DEPTH);
	CHECK((q1 != NULL) == (len > 0), "skip %s, reference %s",
	    q1 ? "ok" : e1.msg, len ? "accepts" : "rejects");
	if (q1 == NULL)
		return;
	CHECK((size_t)(q1 - s) == len, "skip ends at %zu, reference at %zu",
	    (size_t)(q1 - s), len);
}

/* A string value: decoding, quoting and the NUL policies. */
static void
check_string(const char *s, size_t n)
{
	struct cvx_buf keep = {0}, ref = {0}, q = {0}, back = {0}, pol = {0};
	struct cvx_buf want = {0};
	const char *raw = s + 1;
	size_t rn = n - 2, i;
	bool has_nul;
	int r;

	CHECK(cvx_json_unescape(raw, rn, &keep, CVX_NUL_KEEP) == 0,
	    "a checked string does not decode");
	ref_unescape(raw, rn, &ref);
	CHECK(mem_eq(keep.p, keep.len, ref.p, ref.len),
	    "decodes differently from the reference");
	CHECK(ref_utf8(keep.p, keep.len), "decodes to invalid UTF-8");
	/* keep.p is NULL when empty: json.c does pointer sums on s. */
	cvx_json_quote(&q, keep.len ? keep.p : "", keep.len);
	CHECK(cvx_json_check(q.p, q.len, NULL) == 0, "quoted text is not "
	    "JSON");
	CHECK(cvx_json_unescape(q.p + 1, q.len - 2, &back, CVX_NUL_KEEP) == 0
	    && mem_eq(back.p, back.len, keep.p, keep.len),
	    "quote then decode is not the identity");
	has_nul = keep.len > 0 && memchr(keep.p, 0, keep.len) != NULL;
	r = cvx_json_unescape(raw, rn, &pol, CVX_NUL_REJECT);
	CHECK((r != 0) == has_nul, "REJECT: %d, U+0000 %s", r,
	    has_nul ? "present" : "absent");
	for (i = 0; i < keep.len; i++)
		if (keep.p[i] != '\0')
			cvx_buf_addc(&want, keep.p[i]);
	cvx_buf_reset(&pol);
	CHECK(cvx_json_unescape(raw, rn, &pol, CVX_NUL_STRIP) == 0 &&
	    mem_eq(pol.p, pol.len, want.p, want.len),
	    "STRIP is not KEEP without its NULs");
	cvx_buf_reset(&want);
	for (i = 0; i < keep.len; i++)
		if (keep.p[i] != '\0')
			cvx_buf_addc(&want, keep.p[i]);
		else
			cvx_buf_adds(&want, "\xEF\xBF\xBD");
	cvx_buf_reset(&pol);
	CHECK(cvx_json_unescape(raw, rn, &pol, CVX_NUL_REPLACE) == 0 &&
	    mem_eq(pol.p, pol.len, want.p, want.len),
	    "REPLACE is not KEEP with U+FFFD for NUL");
	cvx_buf_free(&keep);
	cvx_buf_free(&ref);
	cvx_buf_free(&q);
	cvx_buf_free(&back);
	cvx_buf_free(&pol);
	cvx_buf_free(&want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct cvx_buf any = {0};

	check_text(s, size);
	check_object(s, size);
	check_skip(s, size);
	if (size >= 2 && s[0] == '"' && s[size - 1] == '"' &&
	    cvx_json_check(s, size, NULL) == 0)
		check_string(s, size);
	/* Unchecked bytes must not crash the decoder (a tag's raw key). */
	(void)cvx_json_unescape(s, size, &any, CVX_NUL_KEEP);
	cvx_buf_free(&any);
	return 0;
}
