/* SPDX-License-Identifier: MIT */
/*
 * convex_id: Convex document IDs (common/convexid.c: cvx_id_decode,
 * cvx_id_encode; convex-export-format.md §6).
 *
 * Invariants:
 * - the input as ID text: cvx_id_decode accepts exactly what a second
 *   port of convex-backend's id_v6.rs decode accepts (base32 in blocks of
 *   8 characters as base32.rs does, VInt, Fletcher-16, exact length, and
 *   the re-encoding check), with the same table number and internal id,
 *   and an accepted ID re-encodes to itself;
 * - the input as bytes (table number, then 16 bytes of internal id):
 *   the ID encoded from them has the length id_v6.rs gives, is the text
 *   the second port encodes, and decodes back to them.
 */
#include <string.h>

#include "fuzz.h"

static const char alpha[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* base32.rs encoded_len. */
static size_t
b32_len(size_t n)
{
	static const size_t last[5] = { 0, 2, 4, 5, 7 };

	return n / 5 * 8 + last[n % 5];
}

/* base32.rs encode: blocks of 5 bytes to 8 characters, cut at the end. */
static void
ref_b32(const uint8_t *in, size_t n, struct cvx_buf *out)
{
	uint8_t blk[5];
	size_t i, k, take;
	uint64_t v;

	for (i = 0; i < n; i += 5) {
		take = n - i < 5 ? n - i : 5;
		memset(blk, 0, sizeof(blk));
		memcpy(blk, in + i, take);
		v = 0;
		for (k = 0; k < 5; k++)
			v = v << 8 | blk[k];
		for (k = 0; k < 8; k++)
			cvx_buf_addc(out, alpha[v >> (35 - 5 * k) & 31]);
	}
	out->len = b32_len(n);
	if (out->p != NULL)
		out->p[out->len] = '\0';
}

/* id_v6.rs encode. */
static void
ref_encode(uint32_t table, const uint8_t *internal, struct cvx_buf *out)
{
	uint8_t bin[23];
	size_t n = 0, i;
	uint8_t c0 = 0, c1 = 0;

	do {
		bin[n++] = (uint8_t)((table & 0x7F) | (table >= 0x80 ? 0x80 :
		    0));
		table >>= 7;
	} while (table > 0);
	memcpy(bin + n, internal, 16);
	n += 16;
	for (i = 0; i < n; i++) {
		c0 = (uint8_t)(c0 + bin[i]);
		c1 = (uint8_t)(c1 + c0);
	}
	bin[n++] = c0;
	bin[n++] = c1;
	ref_b32(bin, n, out);
}

/* id_v6.rs decode, check for check; 0 with table and internal set. */
static int
ref_decode(const char *s, size_t n, uint32_t *table, uint8_t *internal)
{
	uint8_t buf[25] = {0}, idx[8];	/* 5 blocks of 8 characters */
	struct cvx_buf again = {0};
	size_t outlen, i, k, pos = 0;
	uint32_t t = 0;
	int r = -1;
	const char *c;

	if (n < b32_len(19) || n > b32_len(23))
		return -1;
	outlen = n * 5 / 8;
	for (i = 0; i < n; i += 8) {
		memset(idx, 0, sizeof(idx));
		for (k = 0; k < 8 && i + k < n; k++) {
			if (s[i + k] == '\0' ||
			    (c = strchr(alpha, s[i + k])) == NULL)
				return -1;
			idx[k] = (uint8_t)(c - alpha);
		}
		buf[i / 8 * 5] = (uint8_t)(idx[0] << 3 | idx[1] >> 2);
		buf[i / 8 * 5 + 1] = (uint8_t)(idx[1] << 6 | idx[2] << 1 |
		    idx[3] >> 4);
		buf[i / 8 * 5 + 2] = (uint8_t)(idx[3] << 4 | idx[4] >> 1);
		buf[i / 8 * 5 + 3] = (uint8_t)(idx[4] << 7 | idx[5] << 2 |
		    idx[6] >> 3);
		buf[i / 8 * 5 + 4] = (uint8_t)(idx[6] << 5 | idx[7]);
	}
	for (i = 0;; i++) {
		if (i >= 5 || pos >= outlen)
			return -1;
		t |= (uint32_t)(buf[pos] & 0x7F) << (7 * i);
		if (buf[pos++] < 0x80)
			break;
	}
	if (t == 0 || pos + 18 != outlen)
		return -1;
	ref_encode(t, buf + pos, &again);
	if (mem_eq(again.p, again.len, s, n)) {
		*table = t;
		memcpy(internal, buf + pos, 16);
		r = 0;
	}
	cvx_buf_free(&again);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *why = NULL;
	uint8_t in[16], rin[16];
	uint32_t t = 0, rt = 0, table;
	char id[CVX_ID_MAX + 1];
	struct cvx_buf want = {0};
	size_t len;
	int r, rr;

	/* The input as ID text. */
	r = cvx_id_decode(s, size, &t, in, &why);
	rr = ref_decode(s, size, &rt, rin);
	if (r != rr || (r == 0 && (t != rt || memcmp(in, rin, 16) != 0))) {
		fuzz_show("text", s, size);
		CHECK(false, "cvx_id_decode %d (%s, table %u), id_v6.rs %d "
		    "(table %u)", r, r ? why : "", t, rr, rt);
	}
	if (r == 0) {
		len = cvx_id_encode(t, in, id);
		CHECK(mem_eq(id, len, s, size), "does not re-encode to itself");
	} else
		CHECK(why != NULL && strncmp(why, "not a Convex ID", 15) == 0,
		    "refusal without its message");

	/* The input as a table number and an internal id. */
	if (size >= 20) {
		table = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
		    (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
		table >>= data[0] & 31;		/* small numbers too */
		if (table == 0)
			table = 1;
		len = cvx_id_encode(table, data + 4, id);
		ref_encode(table, data + 4, &want);
		CHECK(mem_eq(id, len, want.p, want.len) && id[len] == '\0',
		    "table %u: encodes as %s, id_v6.rs %s", table, id, want.p);
		CHECK(cvx_id_decode(id, len, &t, in, &why) == 0 && t == table &&
		    memcmp(in, data + 4, 16) == 0, "table %u: %s does not "
		    "decode back (%s)", table, id, why);
	}
	cvx_buf_free(&want);
	return 0;
}
