/* SPDX-License-Identifier: MIT */
/*
 * convexid.c: Convex document IDs (the "v6" string form), encoded and
 * decoded.  Written from convex-backend @94a42c3d crates/value/src/id_v6.rs
 * (layout, VInt, Fletcher-16, decode checks: lines 1-10, 104-158, 200-270)
 * and crates/value/src/base32.rs (alphabet, 5-bit grouping, truncation);
 * convex-export-format.md §6.
 */
#include <stdint.h>
#include <string.h>

#include "cvx.h"

/* Crockford's alphabet in lowercase: no i, l, o, u (base32.rs). */
static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* Binary bounds: VInt of 1 to 5 bytes + 16 + 2 (id_v6.rs, constants). */
#define BIN_MIN	(1 + CVX_ID_INTERNAL_LEN + 2)
#define BIN_MAX	(5 + CVX_ID_INTERNAL_LEN + 2)

/* Characters for n bytes: 8 per 5 bytes, the last group cut (base32.rs). */
static size_t
b32_len(size_t n)
{
	static const size_t tail[5] = { 0, 2, 4, 5, 7 };

	return n / 5 * 8 + tail[n % 5];
}

/*
 * 1 + the 5-bit value of each character of the alphabet, 0 for any other
 * byte (a table: a strchr per character was most of the time of reading
 * a document's IDs).
 */
static const unsigned char b32_tab[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['g'] = 17,
	['h'] = 18, ['j'] = 19, ['k'] = 20, ['m'] = 21, ['n'] = 22,
	['p'] = 23, ['q'] = 24, ['r'] = 25, ['s'] = 26, ['t'] = 27,
	['v'] = 28, ['w'] = 29, ['x'] = 30, ['y'] = 31, ['z'] = 32
};

/* The 5-bit value of c, or -1 (strict: lowercase only, no aliases). */
static int
b32_val(unsigned char c)
{
	return b32_tab[c] - 1;
}

/* Big-endian 5-bit groups of in[0..n), no padding; returns the length. */
static size_t
b32_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, k = 0, len = b32_len(n);
	unsigned acc = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[k++] = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[k++] = alphabet[(acc << (5 - bits)) & 31];
	out[len] = '\0';
	return len;
}

/*
 * Decode n characters into n * 5 / 8 bytes (the leftover bits are dropped
 * here; the caller's re-encoding catches ids that need them zero).
 */
static int
b32_decode(const char *s, size_t n, uint8_t *out, size_t *outlen)
{
	size_t i, k = 0;
	unsigned acc = 0;
	int bits = 0, v;

	for (i = 0; i < n; i++) {
		if ((v = b32_val((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (uint8_t)(acc >> bits);
		}
	}
	*outlen = k;
	return 0;
}

/* Fletcher-16, both sums mod 256, c1 in the high byte (id_v6.rs). */
static uint16_t
fletcher16(const uint8_t *p, size_t n)
{
	uint8_t c0 = 0, c1 = 0;

	while (n-- > 0) {
		c0 = (uint8_t)(c0 + *p++);
		c1 = (uint8_t)(c1 + c0);
	}
	return (uint16_t)(c1 << 8 | c0);
}

size_t
cvx_id_encode(uint32_t table, const uint8_t internal[CVX_ID_INTERNAL_LEN],
    char out[CVX_ID_MAX + 1])
{
	uint8_t bin[BIN_MAX];
	size_t n = 0;
	uint16_t foot;

	/* VInt: 7 bits a byte, least significant first, 0x80 = more. */
	while (table >= 0x80) {
		bin[n++] = (uint8_t)(table | 0x80);
		table >>= 7;
	}
	bin[n++] = (uint8_t)table;
	memcpy(bin + n, internal, CVX_ID_INTERNAL_LEN);
	n += CVX_ID_INTERNAL_LEN;
	foot = fletcher16(bin, n);		/* ^ version 0 */
	bin[n++] = (uint8_t)(foot & 0xff);	/* little-endian */
	bin[n++] = (uint8_t)(foot >> 8);
	return b32_encode(bin, n, out);
}

int
cvx_id_decode(const char *s, size_t n, uint32_t *table,
    uint8_t internal[CVX_ID_INTERNAL_LEN], const char **why)
{
	uint8_t bin[BIN_MAX];
	char again[CVX_ID_MAX + 1];
	size_t len, pos = 0;
	uint32_t t = 0;
	uint16_t foot;
	int i;

	/* Length first, as id_v6.rs does: 31 to 37 characters. */
	if (n < b32_len(BIN_MIN) || n > b32_len(BIN_MAX)) {
		*why = "not a Convex ID: wrong length";
		return -1;
	}
	if (b32_decode(s, n, bin, &len) != 0) {
		*why = "not a Convex ID: character outside lowercase"
		    " Crockford base32";
		return -1;
	}
	for (i = 0;; i++) {
		if (i >= 5 || pos >= len) {
			*why = "not a Convex ID: bad table number";
			return -1;
		}
		t |= (uint32_t)(bin[pos] & 0x7f) << (7 * i);
		if (bin[pos++] < 0x80)
			break;
	}
	if (t == 0) {
		*why = "not a Convex ID: table number 0";
		return -1;
	}
	if (len != pos + CVX_ID_INTERNAL_LEN + 2) {
		*why = "not a Convex ID: wrong length";
		return -1;
	}
	foot = (uint16_t)(bin[len - 2] | bin[len - 1] << 8);
	if (foot != fletcher16(bin, len - 2)) {
		*why = "not a Convex ID: checksum mismatch";
		return -1;
	}
	/* One text per id: re-encode and compare (id_v6.rs:149-155). */
	if (cvx_id_encode(t, bin + pos, again) != n ||
	    memcmp(again, s, n) != 0) {
		*why = "not a Convex ID: not in canonical form";
		return -1;
	}
	*table = t;
	if (internal != NULL)
		memcpy(internal, bin + pos, CVX_ID_INTERNAL_LEN);
	return 0;
}
