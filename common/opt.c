/* SPDX-License-Identifier: MIT */
/* opt.c: reading option values, the same way in every tool. */
#include <string.h>

#include "cvx.h"

int
cvx_parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;
	unsigned d;

	/* Digits only: strtoul would take " 5", "+5", "-5" (!) and "5k". */
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (d > max || n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*v = n;
	return 0;
}
