/* SPDX-License-Identifier: MIT */
/* cvx-count: count the documents of a stream per table (and field value). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvx-count.h"

/* What a row is named by: -k field, -T, -u name. */
static struct count_key key = { NULL, false, "-" };
/* Print a final total line (-t), print JSON (-j). */
static bool want_total, want_json;
/* The counts file to compare with (-e), or NULL. */
static const char *expect_path;

static const char usage[] =
    "usage: cvx-count [-jt] [-e file] [-k field [-T]] [-u name] [file]\n";

/* Read the options into the statics above; returns optind. */
static int
parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "by",		required_argument,	NULL, 'k' },
		{ "expect",	required_argument,	NULL, 'e' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "no-table",	no_argument,		NULL, 'T' },
		{ "total",	no_argument,		NULL, 't' },
		{ "untagged",	required_argument,	NULL, 'u' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "e:hjk:Ttu:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'e':
			expect_path = optarg;
			break;
		case 'h':
			cvx_usage_help(usage);
		case 'j':
			want_json = true;
			break;
		case 'k':
			if (key.by != NULL)
				cvx_usage_fail(usage, "-k: given twice");
			key.by = optarg;
			break;
		case 'T':
			key.no_table = true;
			break;
		case 't':
			want_total = true;
			break;
		case 'u':
			key.untagged = optarg;
			break;
		case 'V':
			printf("cvx-count %s\n", CVX_VERSION);
			exit(cvx_close_stdout());
		default:
			cvx_usage_fail(usage, NULL);
		}
	}
	return optind;
}

/* Is s fit to be printed as a name in the tab-separated output? */
static bool
printable_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int
main(int argc, char **argv)
{
	struct counts got = {0};
	const char *path;
	size_t n;
	int first, rval = 0;

	cvx_stderr_lines();
	first = parse_options(argc, argv);
	argc -= first;
	argv += first;
	if (argc > 1)
		cvx_usage_fail(usage, "too many operands");
	if (key.no_table && key.by == NULL)
		cvx_usage_fail(usage, "-T needs -k");
	if (key.by != NULL && *key.by == '\0')
		cvx_usage_fail(usage, "-k: empty field name");
	if (!printable_name(key.untagged))
		cvx_usage_fail(usage, "-u: not a printable name");
	path = argc == 1 ? argv[0] : NULL;

	/* A bad counts file fails before the input is read. */
	if (expect_path != NULL)
		expect_read(expect_path);
	count_input(&got, path, &key);

	n = counts_sort(&got);
	if (want_json)
		print_json(got.slots, n, got.total, &key);
	else
		print_tsv(got.slots, n, got.total, want_total);
	if (expect_path != NULL)
		rval = expect_check(got.slots, n, got.total, want_total);
	counts_free(&got);
	rval |= cvx_close_stdout();
	return rval;
}
