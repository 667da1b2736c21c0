/* SPDX-License-Identifier: MIT */
/*
 * base64: Convex's base64 payloads (cvx_base64_decode for $bytes and
 * legacy bytes, cvx_float_text for $float, cvx_integer_text for $integer;
 * convex-export-format.md §3.1).
 *
 * Invariants, the input read as base64 text:
 * - cvx_base64_decode accepts exactly what a strict decoder (ref.c:
 *   RFC 4648 §4 alphabet, padding optional but whole, unused bits zero)
 *   accepts, with the same bytes, and those bytes encode back to the
 *   text (give or take its padding);
 * - cvx_float_text and cvx_integer_text accept exactly the texts of 8
 *   bytes; the float's text is NaN, Infinity, -Infinity, 0, -0 or a
 *   number that strtod reads back to the same 64 bits; the integer's is
 *   the int64 in canonical decimal.
 * And the input read as bytes: their base64 decodes back to them, and
 * their first 8 bytes, as a $float and an $integer, round-trip.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#if __has_include("cvx-pg-load.h")
#include "cvx-pg-load.h"
#endif
#include "fuzz.h"

/* The float text of payload b64 (8 bytes bits) against the bits. */
static void
check_float(const char *b64, size_t n, uint64_t bits, bool eight)
{
	struct cvx_buf out = {0};
	double x, y;
	uint64_t ybits;
	char *end;
	int r;

	r = cvx_float_text(&out, b64, n);
	CHECK((r == 0) == eight, "cvx_float_text %d for %s 8 bytes", r,
	    eight ? "" : "not");
	if (r != 0)
		goto out;
	memcpy(&x, &bits, sizeof(x));
	if (isnan(x)) {
		CHECK(strcmp(out.p, "NaN") == 0, "NaN as %s", out.p);
	} else if (isinf(x)) {
		CHECK(strcmp(out.p, x < 0 ? "-Infinity" : "Infinity") == 0,
		    "infinity as %s", out.p);
	} else {
		CHECK(strspn(out.p, "-0123456789.e+") == out.len &&
		    out.len > 0, "float text %s", out.p);
		errno = 0;
		y = strtod(out.p, &end);
		memcpy(&ybits, &y, sizeof(ybits));
		CHECK(*end == '\0' && ybits == bits, "float %s reads back as "
		    "%016llx, not %016llx", out.p, (unsigned long long)ybits,
		    (unsigned long long)bits);
	}
out:
	cvx_buf_free(&out);
}

/* The integer text of payload b64 against the bits. */
static void
check_integer(const char *b64, size_t n, uint64_t bits, bool eight)
{
	struct cvx_buf out = {0};
	long long v;
	char *end;
	int r;

	r = cvx_integer_text(&out, b64, n);
	CHECK((r == 0) == eight, "cvx_integer_text %d", r);
	if (r != 0)
		goto out;
	errno = 0;
	v = strtoll(out.p, &end, 10);
	CHECK(errno == 0 && *end == '\0' && (uint64_t)v == bits &&
	    strcmp(out.p, "-0") != 0 && (out.p[0] != '0' || out.len == 1) &&
	    (out.p[0] != '-' || out.p[1] != '0'), "integer text %s for "
	    "%016llx", out.p, (unsigned long long)bits);
out:
	cvx_buf_free(&out);
}

/* 8 bytes, little-endian. */
static uint64_t
le64(const char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | (unsigned char)p[i];
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct cvx_buf got = {0}, want = {0}, enc = {0}, back = {0};
	size_t a, b;
	int r, rr;

	/* The input as base64 text. */
	r = cvx_base64_decode(&got, s, size);
	rr = ref_unbase64(s, size, &want);
	if (r != rr || (r == 0 && !mem_eq(got.p, got.len, want.p,
	    want.len))) {
		fuzz_show("text", s, size);
		fuzz_show("cvx", got.p, got.len);
		fuzz_show("reference", want.p, want.len);
		CHECK(false, "cvx_base64_decode %d, reference %d", r, rr);
	}
	if (r == 0) {
		ref_base64((const unsigned char *)got.p, got.len, &enc);
		for (a = size; a > 0 && s[a - 1] == '='; a--)
			;
		for (b = enc.len; b > 0 && enc.p[b - 1] == '='; b--)
			;
		CHECK(mem_eq(s, a, enc.p, b), "decodes to bytes that encode "
		    "to other text");
	}
	check_float(s, size, r == 0 && got.len == 8 ? le64(got.p) : 0,
	    r == 0 && got.len == 8);
	check_integer(s, size, r == 0 && got.len == 8 ? le64(got.p) : 0,
	    r == 0 && got.len == 8);

	/* The input as bytes: encoded, then decoded by cvx. */
	cvx_buf_reset(&enc);
	ref_base64(data, size, &enc);
	CHECK(cvx_base64_decode(&back, enc.p, enc.len) == 0 &&
	    mem_eq(back.p, back.len, data, size), "bytes do not round-trip");
	if (size >= 8) {
		cvx_buf_reset(&enc);
		ref_base64(data, 8, &enc);
		check_float(enc.p, enc.len, le64(s), true);
		check_integer(enc.p, enc.len, le64(s), true);
		/* Unpadded, as the decoder also takes it. */
		check_float(enc.p, enc.len - 1, le64(s), true);
	}
	cvx_buf_free(&got);
	cvx_buf_free(&want);
	cvx_buf_free(&enc);
	cvx_buf_free(&back);
	return 0;
}
