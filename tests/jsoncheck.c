/* SPDX-License-Identifier: MIT */
/* jsoncheck: run libcvx's JSON checker on each input line (for tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvx.h"

/*
 * Usage: jsoncheck [-o] [-g KEY]  < lines
 * Prints "ok" or "error OFFSET MESSAGE" per line; -o checks each line as a
 * stream object (cvx_json_scan_object); -g KEY prints the value of the
 * top-level KEY (cvx_json_get) or "absent".
 */
int
main(int argc, char **argv)
{
	struct cvx_lines r;
	struct cvx_json_error e;
	const char *line, *key = NULL, *val;
	size_t len, vlen;
	bool nl, object = false;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0)
			object = true;
		else if (strcmp(argv[i], "-g") == 0 && i + 1 < argc)
			key = argv[++i];
	}
	cvx_lines_init(&r, 0, "stdin");
	while ((rc = cvx_lines_next(&r, &line, &len, &nl)) == 1) {
		if (key != NULL) {
			rc = cvx_json_get(line, len, key, strlen(key), &val,
			    &vlen, &e);
			if (rc == 1)
				printf("%.*s\n", (int)vlen, val);
			else if (rc == 0)
				printf("absent\n");
		} else if (object)
			rc = cvx_json_scan_object(line, len, NULL, NULL, &e);
		else
			rc = cvx_json_check(line, len, &e);
		if (rc < 0)
			printf("error %zu %s\n", e.offset, e.msg);
		else if (key == NULL)
			printf("ok\n");
	}
	cvx_lines_free(&r);
	return cvx_close_stdout();
}
