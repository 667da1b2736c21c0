/* SPDX-License-Identifier: MIT */
/* opt.c: reading option values, the same way in every tool. */
#include <fnmatch.h>
#include <stdlib.h>
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

bool
cvx_table_selected(const char *name, char *const *inc, size_t ninc,
    char *const *exc, size_t nexc)
{
	size_t i;
	bool in = ninc == 0;

	for (i = 0; i < ninc && !in; i++)
		in = fnmatch(inc[i], name, FNM_PATHNAME) == 0;
	for (i = 0; i < nexc && in; i++)
		in = fnmatch(exc[i], name, FNM_PATHNAME) != 0;
	return in;
}

int
cvx_list_add(char ***v, size_t *n, const char *arg)
{
	char *copy, *p, *save = NULL;

	/* "a,,b", ",a" or "a,": a name left out, most likely by mistake. */
	if (*arg == '\0' || arg[strlen(arg) - 1] == ',' || *arg == ',' ||
	    strstr(arg, ",,") != NULL)
		return -1;
	copy = cvx_strdup(arg);
	for (p = strtok_r(copy, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		*v = cvx_reallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = cvx_strdup(p);
	}
	free(copy);
	return 0;
}
