/* SPDX-License-Identifier: MIT */
/* cvx-unzip: a Convex export, ZIP or folder, into the tagged JSONL stream. */
#include <err.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "cvx-unzip.h"

/* getopt_long values of the options without a short twin. */
enum { OPT_ALLOW_MISSING = 256, OPT_JSON, OPT_PROGRESS, OPT_NO_PROGRESS };

/* The usage text, as in the man page's SYNOPSIS. */
#define USAGE \
    "usage: cvx-unzip [-qrs] [-t tables] [-x tables] [--allow-missing]\n" \
    "                 [--progress | --no-progress] [export]\n" \
    "       cvx-unzip -l [--json] [-t tables] [-x tables] [export]\n"
static const char usage[] = USAGE;
/* -h: the usage, one line per option, and where the rest is. */
static const char help[] = USAGE
    "  -l, --list           list the tables (documents, bytes, encoding),"
    " no stream\n"
    "      --json           with -l: one JSON object per table\n"
    "  -r, --raw            documents without the _table tag\n"
    "  -s, --storage        the _storage table (file metadata) too\n"
    "  -t, --tables LIST    only tables matching these globs"
    " (comma-separated)\n"
    "  -x, --exclude LIST   leave out tables matching these globs\n"
    "      --allow-missing  warn, not fail, when a listed table has no"
    " documents\n"
    "      --progress       progress on stderr (default: when it is a"
    " terminal)\n"
    "      --no-progress    no progress\n"
    "  -q, --quiet          no progress, no --allow-missing warnings\n"
    "  -h, --help           this help\n"
    "  -V, --version        the version\n"
    "see cvx-unzip(1)\n";

static char **opt_tables;	/* -t patterns, in order; NULL: all */
static size_t opt_ntables;
static char **opt_exclude;	/* -x patterns */
static size_t opt_nexclude;
static bool opt_list;		/* -l: the inventory instead of the stream */
static bool opt_json;		/* --json: the inventory as JSON lines */
static bool opt_raw;		/* -r: no _table/_component tag */
static bool opt_storage;	/* -s: emit _storage metadata too */
static bool opt_allow_missing;	/* a listed table without documents: warn */
static bool opt_quiet;		/* -q: no progress, no warnings */
static int opt_progress = -1;	/* --progress 1, --no-progress 0, else -1 */

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
		{ "json",	no_argument,		NULL, OPT_JSON },
		{ "list",	no_argument,		NULL, 'l' },
		{ "no-progress", no_argument,		NULL, OPT_NO_PROGRESS },
		{ "progress",	no_argument,		NULL, OPT_PROGRESS },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "raw",	no_argument,		NULL, 'r' },
		{ "storage",	no_argument,		NULL, 's' },
		{ "tables",	required_argument,	NULL, 't' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "hlqrst:Vx:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_ALLOW_MISSING:
			opt_allow_missing = true;
			break;
		case OPT_JSON:
			opt_json = true;
			break;
		case OPT_PROGRESS:
			opt_progress = 1;
			break;
		case OPT_NO_PROGRESS:
			opt_progress = 0;
			break;
		case 'h':
			cvx_usage_help(help);
		case 'l':
			opt_list = true;
			break;
		case 'q':
			opt_quiet = true;
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
	if (opt_json && !opt_list)
		cvx_usage_fail(usage, "--json needs -l");
	if (opt_quiet)
		opt_progress = 0;
	return argc == 1 ? argv[0] : NULL;
}

/*
 * Refuse an incomplete export: a table listed in _tables without its
 * documents would be left out of a stream that looks whole, even when
 * -t or -x does not select it (the export as a whole is damaged).
 * --allow-missing warns instead; -l shows such tables as missing.
 */
static void
check_missing(const struct cvx_export *x)
{
	const struct cvx_table *t, *first = NULL;
	size_t i, nmissing = 0;

	for (i = 0; i < x->cat.n; i++) {
		t = &x->cat.t[i];
		if (t->number < 0 || t->docs >= 0)
			continue;
		if (opt_allow_missing) {
			if (!opt_quiet)
				warnx("%s: table %s: listed in _tables, but"
				    " its documents.jsonl is missing; going on"
				    " without it", x->input, t->qname);
		} else if (nmissing++ == 0)
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
no_match(const struct cvx_export *x, const char *opt, const char *pattern,
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
select_tables(const struct cvx_export *x, size_t *order)
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

/* The bytes the selected tables hold, for progress; 0 if one is unknown. */
static uint64_t
selected_bytes(const struct cvx_export *x, const size_t *order, size_t n)
{
	const struct cvx_table *t;
	uint64_t total = 0;
	size_t k;

	for (k = 0; k < n; k++) {
		t = &x->cat.t[order[k]];
		if (t->docs < 0)
			continue;
		if (t->bytes < 0)
			return 0;
		total += (uint64_t)t->bytes;
	}
	return total;
}

int
main(int argc, char *argv[])
{
	struct cvx_export x = {0};
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

	cvx_progress_init(opt_progress);
	/* -l writes an inventory for people and cut(1), not the stream. */
	if (opt_list)
		cvx_stream_not_writer();
	else
		writer_init(opt_raw);
	cvx_export_open(&x, operand);
	cvx_export_scan(&x);
	cvx_catalog_sort(&x.cat);
	cvx_export_require(&x);
	if (!opt_list)
		check_missing(&x);
	order = cvx_calloc(x.cat.n + 1, sizeof(*order));
	n = select_tables(&x, order);
	if (opt_list)
		rval = list(&x, order, n, opt_json);
	else {
		cvx_progress_phase(NULL, selected_bytes(&x, order, n), false);
		rval = emit(&x, order, n);
		cvx_progress_end();
	}
	free(order);
	cvx_export_free(&x);
	free_patterns();
	return rval;
}
