/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h: what the libFuzzer harnesses share (issue 15): the entry point,
 * an invariant check that stops the run with the input kept, and second
 * implementations (ref.c) that each harness holds the code under test to.
 * The references are written for clarity, byte by byte, never sharing
 * code with common/ or the tools, so that agreeing with them means
 * something.
 */
#ifndef CVX_FUZZ_H
#define CVX_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * An invariant: when cond is false, say which one and why on stderr and
 * abort(), so that libFuzzer keeps the input as a crash artifact.
 */
#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "\ninvariant failed: %s (%s:%d)\n  ",	\
		    #cond, __FILE__, __LINE__);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* Are a[0..an) and b[0..bn) the same bytes?  (NULL is fine when empty.) */
static inline bool
mem_eq(const void *a, size_t an, const void *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* Print s[0..n) on stderr with control and non-ASCII bytes as \xHH. */
void fuzz_show(const char *label, const void *s, size_t n);

/*
 * The members a cvx_json_scan_object call reported, as offsets from base:
 * n counts them all, the first FUZZ_MEMBERS are kept.  fuzz_collect is
 * the scan callback that fills it (zero-initialise, set base).
 */
#define FUZZ_MEMBERS 64
struct fuzz_members {
	const char *base;
	size_t	 n;
	size_t	 key[FUZZ_MEMBERS], klen[FUZZ_MEMBERS];
	size_t	 val[FUZZ_MEMBERS], vlen[FUZZ_MEMBERS];
};
int fuzz_collect(void *ctx, const char *key, size_t klen, const char *val,
    size_t vlen);

/* ---- ref.c: second implementations ------------------------------------ */

/*
 * Is s[0..n) one JSON text (RFC 8259) with valid UTF-8 strings, no lone
 * surrogate escape, containers nested at most max deep?  top_object:
 * the text must be an object with no whitespace around it, whose own
 * braces do not count towards max (cvx_json_scan_object's reading).
 */
bool ref_json(const char *s, size_t n, int max, bool top_object);

/*
 * Length of the JSON value at the start of s[0..n) if it is one (no
 * leading whitespace), else 0.
 */
size_t ref_json_value(const char *s, size_t n, int max);

/*
 * Is s[0..n) valid UTF-8 (RFC 3629: shortest form, no surrogates, at most
 * U+10FFFF)?  Decoded by code point value, not by byte ranges.
 */
bool ref_utf8(const char *s, size_t n);

/* Decode the checked JSON string raw[0..n) (between quotes) into out. */
void ref_unescape(const char *raw, size_t n, struct cvx_buf *out);

/*
 * Decode one COPY text-format field f[0..n) into out: -1 if it holds a
 * raw tab, newline or CR, or a backslash sequence that cvx never writes
 * (only \\ \n \r \t \b \f, and \N as the whole field, setting *null).
 */
int ref_copy_field(const char *f, size_t n, struct cvx_buf *out,
    bool *null);

/* Standard base64 with '=' padding (RFC 4648 §4). */
void ref_base64(const unsigned char *p, size_t n, struct cvx_buf *out);

/* Strict base64 decode (padding optional; unused bits zero); -1 if bad. */
int ref_unbase64(const char *s, size_t n, struct cvx_buf *out);

#endif /* CVX_FUZZ_H */
