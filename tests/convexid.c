/* SPDX-License-Identifier: MIT */
/* convexid: drive libcvx's Convex ID encoder and decoder (for tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvx.h"

/*
 * Usage: convexid decode ID...      "TABLE HEX" or "error MESSAGE" per ID
 *        convexid encode TABLE HEX  the ID of table TABLE, internal id HEX
 *                                   (32 hex digits)
 *        convexid vector            the ID of id_v6.rs's stability test
 */
int
main(int argc, char **argv)
{
	uint8_t in[CVX_ID_INTERNAL_LEN];
	char out[CVX_ID_MAX + 1];
	const char *why;
	uint64_t t;
	uint32_t table;
	int i, j;

	if (argc >= 2 && strcmp(argv[1], "decode") == 0) {
		for (i = 2; i < argc; i++) {
			if (cvx_id_decode(argv[i], strlen(argv[i]), &table, in,
			    &why) != 0) {
				printf("error %s\n", why);
				continue;
			}
			printf("%lu ", (unsigned long)table);
			for (j = 0; j < CVX_ID_INTERNAL_LEN; j++)
				printf("%02x", in[j]);
			printf("\n");
		}
	} else if (argc == 4 && strcmp(argv[1], "encode") == 0) {
		if (cvx_parse_uint(argv[2], UINT32_MAX, &t) != 0 || t == 0 ||
		    strlen(argv[3]) != 2 * CVX_ID_INTERNAL_LEN)
			return 2;
		for (j = 0; j < CVX_ID_INTERNAL_LEN; j++) {
			int hi = cvx_hexval((unsigned char)argv[3][2 * j]);
			int lo = cvx_hexval((unsigned char)argv[3][2 * j + 1]);

			if (hi < 0 || lo < 0)
				return 2;
			in[j] = (uint8_t)(hi << 4 | lo);
		}
		cvx_id_encode((uint32_t)t, in, out);
		printf("%s\n", out);
	} else if (argc == 2 && strcmp(argv[1], "vector") == 0) {
		/* id_v6.rs test_document_id_stability: 251, 251^2, ... */
		in[0] = 251;
		for (j = 1; j < CVX_ID_INTERNAL_LEN; j++)
			in[j] = (uint8_t)(in[j - 1] * 251);
		cvx_id_encode(1017, in, out);
		printf("%s\n", out);
	} else {
		fprintf(stderr, "usage: convexid decode ID... | encode TABLE"
		    " HEX | vector\n");
		return 2;
	}
	return cvx_close_stdout();
}
