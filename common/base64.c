/* SPDX-License-Identifier: MIT */
/*
 * base64.c: standard base64 decoding (RFC 4648 §4), for Convex's $bytes,
 * $float and $integer payloads (convex-export-format.md §3.1).
 */
#include <stddef.h>

#include "cvx.h"

int
cvx_base64_decode(struct cvx_buf *out, const char *s, size_t n)
{
	unsigned long acc = 0;
	size_t i, bits = 0, pad = 0;
	int v;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			return -1;		/* data after padding */
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else
			return -1;
		acc = (acc << 6 | (unsigned long)v) & 0xFFFFFF;
		if ((bits += 6) >= 8) {
			bits -= 8;
			cvx_buf_addc(out, (char)(acc >> bits & 0xFF));
		}
	}
	/* Leftover bits must be zero padding; '=' must complete a quantum. */
	if (bits >= 6 || (acc & ((1UL << bits) - 1)) != 0 || pad > 2 ||
	    (pad > 0 && (n % 4) != 0))
		return -1;
	return 0;
}
