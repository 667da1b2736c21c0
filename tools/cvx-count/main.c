/* SPDX-License-Identifier: MIT */
/* cvx-count: count the documents of a stream per table (and field value). */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvx-count.h"

/* What a row is named by: -b field, --no-table, -u name. */
static struct count_key key = { NULL, false, "-" };
/* Print a final total line (--total), print JSON (--json). */
static bool want_total, want_json;
/* --refs: the references between documents instead (refs.c). */
static bool want_refs;
/* The counts file or listing to compare with (-e), or NULL. */
static const char *expect_path;
/* The tables to count (-t globs; none: all) and not (-x). */
static char **tables, **excludes;
static size_t ntables, nexcludes;

/* The usage text, as in the man page's SYNOPSIS. */
#define USAGE \
    "usage: cvx-count [-b field [--no-table]] [-e file] [-t tables]" \
    " [-x tables]\n" \
    "                 [-u name] [--json] [--total] [file]\n" \
    "       cvx-count --refs [file]\n"
static const char usage[] = USAGE;
/* -h: the usage, one line per option, and where the rest is. */
static const char help[] = USAGE
    "  -b, --by FIELD       count by table and this top-level field's"
    " value\n"
    "      --no-table       with -b: by the value alone\n"
    "  -e, --expect FILE    compare with FILE: counts, or a cvx-unzip -l"
    " listing\n"
    "  -t, --tables LIST    only tables matching these globs"
    " (comma-separated)\n"
    "  -x, --exclude LIST   leave out tables matching these globs\n"
    "  -u, --untagged NAME  the name for documents without _table"
    " (default -)\n"
    "      --json           one JSON object instead of lines\n"
    "      --total          a last line: total<TAB>N\n"
    "      --refs           the references between documents, per field\n"
    "  -h, --help           this help\n"
    "  -V, --version        the version\n"
    "see cvx-count(1)\n";

/* Read the options into the statics above; returns optind. */
static int
parse_options(int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_NO_TABLE, OPT_TOTAL, OPT_REFS };
	static const struct option longopts[] = {
		{ "by",		required_argument,	NULL, 'b' },
		{ "exclude",	required_argument,	NULL, 'x' },
		{ "expect",	required_argument,	NULL, 'e' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "json",	no_argument,		NULL, OPT_JSON },
		{ "no-table",	no_argument,		NULL, OPT_NO_TABLE },
		{ "refs",	no_argument,		NULL, OPT_REFS },
		{ "tables",	required_argument,	NULL, 't' },
		{ "total",	no_argument,		NULL, OPT_TOTAL },
		{ "untagged",	required_argument,	NULL, 'u' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "b:e:ht:u:Vx:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (key.by != NULL)
				cvx_usage_fail(usage, "-b: given twice");
			key.by = optarg;
			break;
		case 'e':
			expect_path = optarg;
			break;
		case 'h':
			cvx_usage_help(help);
		case OPT_JSON:
			want_json = true;
			break;
		case OPT_NO_TABLE:
			key.no_table = true;
			break;
		case 't':
			if (cvx_list_add(&tables, &ntables, optarg) != 0)
				cvx_usage_fail(usage, "-t: empty table name in "
				    "'%s'", optarg);
			break;
		case OPT_TOTAL:
			want_total = true;
			break;
		case OPT_REFS:
			want_refs = true;
			break;
		case 'x':
			if (cvx_list_add(&excludes, &nexcludes, optarg) != 0)
				cvx_usage_fail(usage, "-x: empty table name in "
				    "'%s'", optarg);
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

/*
 * -b names a field no document has: every row is the absent value, which
 * is most likely a typo, or a path where a top-level key is wanted.
 */
static void
by_field_check(const struct counts *c)
{
	const char *v;
	size_t i;

	if (key.by == NULL || c->total == 0)
		return;
	for (i = 0; i < c->cap; i++) {
		if (c->slots[i].key == NULL)
			continue;
		v = key.no_table ? c->slots[i].key :
		    strrchr(c->slots[i].key, '\t') + 1;
		if (strcmp(v, "-") != 0)
			return;
	}
	warnx("-b %s: no document has a top-level member %s: all %ju counted"
	    " under -%s", key.by, key.by, (uintmax_t)c->total,
	    strchr(key.by, '.') != NULL ? " (-b takes a top-level key, not a"
	    " path)" : "");
}

/* Free the -t and -x lists. */
static void
free_lists(void)
{
	while (ntables > 0)
		free(tables[--ntables]);
	while (nexcludes > 0)
		free(excludes[--nexcludes]);
	free(tables);
	free(excludes);
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
		cvx_usage_fail(usage, "--no-table needs -b");
	if (key.no_table && (ntables > 0 || nexcludes > 0))
		cvx_usage_fail(usage, "--no-table leaves no table for -t, -x");
	if (key.by != NULL && *key.by == '\0')
		cvx_usage_fail(usage, "-b: empty field name");
	if (!printable_name(key.untagged))
		cvx_usage_fail(usage, "-u: not a printable name");
	path = argc == 1 ? argv[0] : NULL;
	if (want_refs)
		return count_refs(path) | cvx_close_stdout();

	/* A bad counts file fails before the input is read. */
	if (expect_path != NULL)
		expect_read(expect_path);
	count_input(&got, path, &key);
	by_field_check(&got);
	/* A table the expectation lists shows, if only with 0. */
	if (expect_path != NULL && key.by == NULL)
		expect_add_listed(&got);

	n = counts_sort(&got);
	n = counts_select(&got, n, tables, ntables, excludes, nexcludes);
	if (expect_path != NULL)
		expect_select(tables, ntables, excludes, nexcludes);
	if (want_json)
		print_json(got.slots, n, got.total, &key);
	else
		print_tsv(got.slots, n, got.total, want_total);
	if (expect_path != NULL)
		rval = expect_check(got.slots, n, got.total, want_total);
	counts_free(&got);
	free_lists();
	rval |= cvx_close_stdout();
	return rval;
}
