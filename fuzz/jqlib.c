/* SPDX-License-Identifier: MIT */
/*
 * jqlib: the Convex decoders of cvx-jsonl-map's built-in jq library
 * (jqtext.c, cfunc.c: cvx_table_number, cvx_float, cvx_int64, cvx_bytes,
 * cvx_id;
 * cvx-jsonl-map(1)), run by libjq 1.6 as the tool runs them.
 *
 * Byte 0 picks the function (mod 5); the rest is its input: ID text for
 * cvx_table_number, JSON text for the others.  Invariants, against C
 * references (convex-export-format.md §3.1, §6):
 * - cvx_table_number gives the table number exactly for the IDs
 *   cvx_id_decode accepts (id_v6.rs's checks), and an error for the rest;
 * - cvx_float passes numbers and the strings NaN, Infinity, -Infinity
 *   through, turns {"$float":b64} of NaN, +-Infinity and +-0 into them
 *   (8 bytes of strict base64, as cvx-pg-load reads it) and errs on
 *   anything else;
 * - cvx_int64 passes whole numbers through, reads a decimal string as
 *   its number up to 2^53 and keeps it a string beyond, errs on the rest;
 * - cvx_bytes gives the base64 string of either encoding, errs on the
 *   rest;
 * - cvx_id(10001; KEY) errs on null and otherwise gives the ID of the
 *   documented rule, which decodes back to table 10001;
 * - each gives one result or one error, never more.
 */
#include <math.h>
#include <string.h>

#include <jq.h>
#include <openssl/evp.h>

#if __has_include("cvx-jsonl-map.h")
#include "cvx-jsonl-map.h"
#endif
#include "fuzz.h"

static const char *const fns[] = {
	"cvx_table_number", "cvx_float", "cvx_int64", "cvx_bytes",
	"cvx_id(10001; .)"
};
#define NFNS (sizeof(fns) / sizeof(fns[0]))
static jq_state *jqs[NFNS];

/* jq's messages are expected here: keep them off stderr. */
static void
quiet(void *data, jv msg)
{
	(void)data;
	jv_free(msg);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct cvx_buf prog = {0};
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < NFNS; i++) {
		cvx_buf_reset(&prog);
		cvx_jq_program(&prog, fns[i]);
		if ((jqs[i] = jq_init()) == NULL ||
		    !jq_compile(jqs[i], prog.p)) {
			fprintf(stderr, "jqlib: %s does not compile\n", fns[i]);
			exit(1);
		}
		jq_set_error_cb(jqs[i], quiet, NULL);
		cfunc_install(jqs[i]);
	}
	cvx_buf_free(&prog);
	return 0;
}

/* What a C reference expects: an error, a number or a string. */
struct want {
	enum { W_ERROR, W_NUMBER, W_STRING } kind;
	double	 num;
	struct cvx_buf str;
};

/* The expectation for cvx_table_number of the ID text s[0..n). */
static void
want_table(const char *s, size_t n, struct want *w)
{
	uint32_t t;
	const char *why;

	if (cvx_id_decode(s, n, &t, NULL, &why) == 0) {
		w->kind = W_NUMBER;
		w->num = t;
	}
}

/*
 * The expectation for cvx_id(10001; KEY): an error for null, else the ID
 * of table 10001 whose internal id is SHA-256 over "10001", a 0 byte and
 * KEY's sorted compact JSON (cvx-jsonl-map(1)).  The result is also
 * decoded back by cvx_id_decode below.
 */
static void
want_id(jv key, struct want *w)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char id[CVX_ID_MAX + 1];
	struct cvx_buf b = {0};
	jv text;

	if (jv_get_kind(key) == JV_KIND_NULL)
		return;
	cvx_buf_add(&b, "10001", 6);
	text = jv_dump_string(jv_copy(key), JV_PRINT_SORTED);
	cvx_buf_adds(&b, jv_string_value(text));
	jv_free(text);
	if (EVP_Digest(b.p, b.len, md, NULL, EVP_sha256(), NULL) != 1)
		abort();
	w->kind = W_STRING;
	cvx_buf_add(&w->str, id, cvx_id_encode(10001, md, id));
	cvx_buf_free(&b);
}

/* The raw text of string value v, if v is a string. */
static bool
jv_str(jv v, struct cvx_buf *out)
{
	if (jv_get_kind(v) != JV_KIND_STRING)
		return false;
	cvx_buf_add(out, jv_string_value(v), (size_t)jv_string_length_bytes(
	    jv_copy(v)));
	return true;
}

/* The one member of object v named key, if that is all v holds. */
static bool
jv_only(jv v, const char *key, jv *val)
{
	jv keys;
	bool r;

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return false;
	keys = jv_keys(jv_copy(v));
	r = jv_array_length(jv_copy(keys)) == 1 && jv_equal(jv_array_get(
	    jv_copy(keys), 0), jv_string(key));
	jv_free(keys);
	if (r)
		*val = jv_object_get(jv_copy(v), jv_string(key));
	return r;
}

static void
want_float(jv v, struct want *w)
{
	struct cvx_buf s = {0}, b = {0};
	uint64_t bits = 0;
	double x;
	jv p;
	int i;

	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		w->kind = W_NUMBER;
		w->num = jv_number_value(v);
	} else if (jv_str(v, &s)) {
		/* By length: "NaN\u0000" is not "NaN" (found by fuzzing:
		 * fuzz/regressions/jqlib/float-nan-nul). */
		if (mem_eq(s.p, s.len, "NaN", 3) ||
		    mem_eq(s.p, s.len, "Infinity", 8) ||
		    mem_eq(s.p, s.len, "-Infinity", 9)) {
			w->kind = W_STRING;
			cvx_buf_adds(&w->str, s.p);
		}
	} else if (jv_only(v, "$float", &p)) {
		(void)jv_str(p, &s);
		if (s.len > 0 && ref_unbase64(s.p, s.len, &b) == 0 &&
		    b.len == 8) {
			for (i = 7; i >= 0; i--)
				bits = bits << 8 | (unsigned char)b.p[i];
			memcpy(&x, &bits, sizeof(x));
			if (isnan(x) || isinf(x)) {
				w->kind = W_STRING;
				cvx_buf_adds(&w->str, isnan(x) ? "NaN" : x > 0 ?
				    "Infinity" : "-Infinity");
			} else if (x == 0) {
				w->kind = W_NUMBER;
				w->num = x;
			}
		}
		jv_free(p);
	}
	cvx_buf_free(&s);
	cvx_buf_free(&b);
}

static void
want_int64(jv v, struct want *w)
{
	struct cvx_buf s = {0};
	const char *d;
	size_t n;

	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		if (jv_number_value(v) == floor(jv_number_value(v))) {
			w->kind = W_NUMBER;
			w->num = jv_number_value(v);
		}
	} else if (jv_str(v, &s)) {
		d = s.p + (s.p[0] == '-');
		n = strlen(d);
		if (n > 0 && n == s.len - (size_t)(d - s.p) &&
		    strspn(d, "0123456789") == n) {
			while (n > 1 && *d == '0') {
				d++;
				n--;
			}
			if (n < 16 || (n == 16 &&
			    strcmp(d, "9007199254740992") <= 0)) {
				w->kind = W_NUMBER;
				w->num = strtod(s.p, NULL);
			} else {
				w->kind = W_STRING;
				cvx_buf_add(&w->str, s.p, s.len);
			}
		}
	}
	cvx_buf_free(&s);
}

static void
want_bytes(jv v, struct want *w)
{
	jv p;

	if (jv_str(v, &w->str))
		w->kind = W_STRING;
	else if (jv_only(v, "$bytes", &p)) {
		if (jv_str(p, &w->str))
			w->kind = W_STRING;
		jv_free(p);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	size_t n, f;
	struct want w = { W_ERROR, 0, {0} };
	struct cvx_buf gs = {0};
	jv in, out, more;
	bool err;

	if (size < 1 || size > 4096)
		return 0;
	n = size - 1;
	f = data[0] % NFNS;
	if (f == 0) {
		want_table(s, n, &w);
		in = jv_string_sized(s, (int)n);
	} else {
		/* jq 1.6 leaks on some texts it refuses: check them first. */
		if (cvx_json_check(s, n, NULL) != 0)
			return 0;
		in = jv_parse_sized(s, (int)n);
		if (!jv_is_valid(in)) {
			jv_free(in);
			return 0;
		}
		if (f == 1)
			want_float(in, &w);
		else if (f == 2)
			want_int64(in, &w);
		else if (f == 3)
			want_bytes(in, &w);
		else
			want_id(in, &w);
	}
	jq_start(jqs[f], in, 0);
	out = jq_next(jqs[f]);
	err = !jv_is_valid(out);
	more = err ? jv_invalid() : jq_next(jqs[f]);
	CHECK(!jv_is_valid(more) && !jv_invalid_has_msg(jv_copy(more)),
	    "%s: more than one result", fns[f]);
	jv_free(more);
	if (err) {
		if (w.kind != W_ERROR) {
			fuzz_show("input", s, n);
			CHECK(false, "%s: an error, expected %s", fns[f],
			    w.kind == W_NUMBER ? "a number" : w.str.p);
		}
		CHECK(jv_invalid_has_msg(jv_copy(out)), "%s: no result and no "
		    "error", fns[f]);
	} else if (w.kind == W_ERROR) {
		more = jv_dump_string(jv_copy(out), 0);
		fuzz_show("input", s, n);
		fuzz_show("result", jv_string_value(more),
		    strlen(jv_string_value(more)));
		CHECK(false, "%s: a result, expected an error", fns[f]);
	} else if (w.kind == W_NUMBER) {
		CHECK(jv_get_kind(out) == JV_KIND_NUMBER &&
		    (jv_number_value(out) == w.num || (isnan(w.num) &&
		    isnan(jv_number_value(out)))) && signbit(w.num) ==
		    signbit(jv_number_value(out)), "%s: %.17g, expected %.17g",
		    fns[f], jv_get_kind(out) == JV_KIND_NUMBER ?
		    jv_number_value(out) : NAN, w.num);
	} else {
		if (!jv_str(out, &gs) || !mem_eq(gs.p, gs.len, w.str.p,
		    w.str.len)) {
			fuzz_show("input", s, n);
			fuzz_show("result", gs.p, gs.len);
			CHECK(false, "%s: expected the string %s", fns[f],
			    w.str.p);
		}
		if (f == 4) {
			uint32_t t;
			const char *why;

			CHECK(cvx_id_decode(gs.p, gs.len, &t, NULL, &why) ==
			    0 && t == 10001, "cvx_id: %s does not decode to "
			    "table 10001", gs.p);
		}
	}
	jv_free(out);
	cvx_buf_free(&w.str);
	cvx_buf_free(&gs);
	return 0;
}
