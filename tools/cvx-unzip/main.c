/* SPDX-License-Identifier: MIT */
/* cvx-unzip: a Convex export, ZIP or folder, into the tagged JSONL stream. */
#include <err.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "cvx-unzip.h"

/* getopt_long value of --allow-missing, which has no short twin. */
#define OPT_ALLOW_MISSING 256

/* The usage text, as in the man page's SYNOPSIS. */
static const char usage[] =
    "usage: cvx-unzip [-lrs] [--allow-missing] [-t tables] [-x tables]"
    " [export]\n";

static char **opt_tables;	/* -t patterns, in order; NULL: all */
static size_t opt_ntables;
static char **opt_exclude;	/* -x patterns */
static size_t opt_nexclude;
static bool opt_list;		/* -l: the inventory instead of the stream */
static bool opt_raw;		/* -r: no _table/_component tag */
static bool opt_storage;	/* -s: emit _storage metadata too */
static bool opt_allow_missing;	/* a listed table without documents: warn */

/* Free the -t and -x patterns. */
static void
free_patterns(void)
{
	while (opt_ntables > 0)
		free(opt_tables[--opt_ntables]);
	while (opt_nexclude > 0)
		free(opt_exclude[--opt_nexclude]);
	free(opt_tables);
	free(opt_exclude);
}

/* Parse the options into the opt_ statics; returns the operand or NULL. */
static const char *
options(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "allow-missing", no_argument,		NULL, OPT_ALLOW_MISSING },
		{ "exclude",	required_argument,	NULL, 'x' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "list",	no_argument,		NULL, 'l' },
		{ "raw",	no_argument,		NULL, 'r' },
		{ "storage",	no_argument,		NULL, 's' },
		{ "tables",	required_argument,	NULL, 't' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "hlrst:Vx:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_ALLOW_MISSING:
			opt_allow_missing = true;
			break;
		case 'h':
			cvx_usage_help(usage);
		case 'l':
			opt_list = true;
			break;
		case 'r':
			opt_raw = true;
			break;
		case 's':
			opt_storage = true;
			break;
		case 't':
			if (cvx_list_add(&opt_tables, &opt_ntables, optarg))
				cvx_usage_fail(usage, "empty table name in '%s'",
				    optarg);
			break;
		case 'V':
			printf("cvx-unzip %s\n", CVX_VERSION);
			exit(cvx_close_stdout());
		case 'x':
			if (cvx_list_add(&opt_exclude, &opt_nexclude, optarg))
				cvx_usage_fail(usage, "empty table name in '%s'",
				    optarg);
			break;
		default:
			cvx_usage_fail(usage, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		cvx_usage_fail(usage, "one export at most");
	if (opt_list && opt_raw)
		cvx_usage_fail(usage, "-l and -r exclude each other");
	return argc == 1 ? argv[0] : NULL;
}

/*
 * Refuse input that holds no export ("Nothing is not a success"): an
 * empty folder or a ZIP of other files would give an empty stream, which
 * looks like an export without documents.
 */
static void
check_is_export(const struct export *x)
{
	size_t i;

	for (i = 0; i < x->ne; i++)
		if (x->e[i].kind == CVX_ENTRY_TABLES ||
		    x->e[i].kind == CVX_ENTRY_DOCUMENTS)
			return;
	cvx_die("%s: not a Convex snapshot export: no _tables/documents.jsonl"
	    " and no <table>/documents.jsonl", x->input);
}

/*
 * Refuse an incomplete export: a table listed in _tables without its
 * documents would be left out of a stream that looks whole, even when
 * -t or -x does not select it (the export as a whole is damaged).
 * --allow-missing warns instead; -l shows such tables as missing.
 */
static void
check_missing(const struct export *x)
{
	const struct cvx_table *t, *first = NULL;
	size_t i, nmissing = 0;

	for (i = 0; i < x->cat.n; i++) {
		t = &x->cat.t[i];
		if (t->number < 0 || t->docs >= 0)
			continue;
		if (opt_allow_missing)
			warnx("%s: table %s: listed in _tables, but its"
			    " documents.jsonl is missing; going on without it",
			    x->input, t->qname);
		else if (nmissing++ == 0)
			first = t;
	}
	if (nmissing == 1)
		cvx_die("%s: table %s: listed in _tables, but its"
		    " documents.jsonl is missing", x->input, first->qname);
	if (nmissing > 1)
		cvx_die("%s: table %s: listed in _tables, but its"
		    " documents.jsonl is missing (and %zu more tables)",
		    x->input, first->qname, nmissing - 1);
}

/* A -t or -x pattern that matches nothing: a typo, so show the tables. */
static void
no_match(const struct export *x, const char *opt, const char *pattern,
    bool storage)
{
	struct cvx_buf names = {0};

	cvx_catalog_names(&x->cat, storage, &names);
	cvx_die("%s: %s '%s' matches no table (%s%s)", x->input, opt,
	    pattern, names.len > 0 ? "tables: " : "the export has none",
	    names.len > 0 ? names.p : "");
}

/* The tables to write, in order, into order; returns their count. */
static size_t
select_tables(const struct export *x, size_t *order)
{
	bool storage = opt_storage || opt_list;
	const char *bad;

	if ((bad = cvx_catalog_unmatched(&x->cat, opt_tables, opt_ntables,
	    storage)) != NULL)
		no_match(x, "-t", bad, storage);
	/* Any table counts for -x: -x _storage without -s is no typo. */
	if ((bad = cvx_catalog_unmatched(&x->cat, opt_exclude, opt_nexclude,
	    true)) != NULL)
		no_match(x, "-x", bad, true);
	return cvx_catalog_select(&x->cat, opt_tables, opt_ntables,
	    opt_exclude, opt_nexclude, storage, order);
}

int
main(int argc, char *argv[])
{
	struct export x = {0};
	const char *operand;
	size_t *order, n;
	int rval;

	/* Every failure from here on, usage errors too, ends the stream. */
	cvx_stream_writer();
	/*
	 * libarchive turns UTF-8 entry names into the locale's charset; in
	 * the C locale every non-ASCII name would fail to convert.
	 */
	(void)setlocale(LC_CTYPE, "C.UTF-8");
	cvx_stderr_lines();
	operand = options(argc, argv);

	/* -l writes an inventory for people and cut(1), not the stream. */
	if (opt_list)
		cvx_stream_not_writer();
	else
		writer_init(opt_raw);
	export_open(&x, operand);
	export_scan(&x);
	cvx_catalog_sort(&x.cat);
	check_is_export(&x);
	if (!opt_list)
		check_missing(&x);
	order = cvx_calloc(x.cat.n + 1, sizeof(*order));
	n = select_tables(&x, order);
	rval = opt_list ? list(&x, order, n) : emit(&x, order, n);
	free(order);
	export_free(&x);
	free_patterns();
	return rval;
}
