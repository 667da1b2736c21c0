/* SPDX-License-Identifier: MIT */
/*
 * cvx-schema: an export's tables as typed PostgreSQL DDL, with the
 * references that its IDs reveal.
 */
#include <sys/stat.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx-schema.h"

/* The usage text, as in the man page's SYNOPSIS. */
#define USAGE \
    "usage: cvx-schema [-q] [-o file] [-t tables] [-x tables]" \
    " [--immediate]\n" \
    "                  [--no-references] [--snake] [export]\n"
static const char usage[] = USAGE;
/* -h: the usage, one line per option, and where the rest is. */
static const char help[] = USAGE
    "  -o, --output FILE    write the DDL to FILE (whole, or not at all)\n"
    "  -q, --quiet          no warnings (dangling references, shapes)\n"
    "  -t, --tables LIST    only tables matching these globs"
    " (comma-separated)\n"
    "  -x, --exclude LIST   leave out tables matching these globs\n"
    "      --deferrable     foreign keys checked at COMMIT (the default)\n"
    "      --immediate      foreign keys checked row by row\n"
    "      --no-references  no foreign keys (a comment says where)\n"
    "      --snake          field names as snake_case columns\n"
    "  -h, --help           this help\n"
    "  -V, --version        the version\n"
    "see cvx-schema(1)\n";

/* Foreign keys deferred by default: cvx-pg-load loads in the stream's
 * order, which is seldom parents first (cvx-schema(1)). */
static struct ddl_opts opts = {
	.snake = false, .references = true, .deferrable = true
};
static bool opt_quiet;		/* -q: no warnings */
static const char *opt_output;	/* -o: the file, or NULL: stdout */
static char **opt_tables;	/* -t globs; NULL: every table */
static size_t opt_ntables;
static char **opt_exclude;	/* -x globs */
static size_t opt_nexclude;

/* Read the options; returns the operand or NULL. */
static const char *
options(int argc, char *argv[])
{
	enum { OPT_DEFERRABLE = 256, OPT_IMMEDIATE, OPT_NO_REFERENCES,
	    OPT_SNAKE };
	static const struct option longopts[] = {
		{ "deferrable",	no_argument,	NULL, OPT_DEFERRABLE },
		{ "immediate",	no_argument,	NULL, OPT_IMMEDIATE },
		{ "exclude",	required_argument, NULL, 'x' },
		{ "help",	no_argument,	NULL, 'h' },
		{ "no-references", no_argument,	NULL, OPT_NO_REFERENCES },
		{ "output",	required_argument, NULL, 'o' },
		{ "quiet",	no_argument,	NULL, 'q' },
		{ "snake",	no_argument,	NULL, OPT_SNAKE },
		{ "tables",	required_argument, NULL, 't' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "ho:qt:Vx:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_DEFERRABLE:
			opts.deferrable = true;
			break;
		case OPT_IMMEDIATE:
			opts.deferrable = false;
			break;
		case OPT_NO_REFERENCES:
			opts.references = false;
			break;
		case OPT_SNAKE:
			opts.snake = true;
			break;
		case 'h':
			printf("%s", help);
			exit(cvx_close_stdout());
		case 'o':
			opt_output = optarg;
			break;
		case 'q':
			opt_quiet = true;
			break;
		case 't':
			if (cvx_list_add(&opt_tables, &opt_ntables, optarg))
				cvx_usage_fail(usage, "empty table name in"
				    " '%s'", optarg);
			break;
		case 'x':
			if (cvx_list_add(&opt_exclude, &opt_nexclude, optarg))
				cvx_usage_fail(usage, "empty table name in"
				    " '%s'", optarg);
			break;
		case 'V':
			printf("cvx-schema %s\n", CVX_VERSION);
			exit(cvx_close_stdout());
		default:
			cvx_usage_fail(usage, NULL);
		}
	}
	if (argc - optind > 1)
		cvx_usage_fail(usage, "one export at most");
	return optind < argc ? argv[optind] : NULL;
}

/*
 * A -t or -x pattern that matches no table is a typo, not an empty
 * selection (as in cvx-unzip): name the tables there are.
 */
static void
check_patterns(const struct schema *s)
{
	struct cvx_buf names = {0};
	char **pat[2] = { opt_tables, opt_exclude };
	size_t npat[2] = { opt_ntables, opt_nexclude }, i, j, k;
	const char *id;

	for (k = 0; k < 2; k++)
		for (i = 0; i < npat[k]; i++) {
			for (j = 0; j < s->nt; j++) {
				id = s->t[j].pgname;
				if (fnmatch(pat[k][i], id, FNM_PATHNAME) == 0)
					break;
				cvx_buf_printf(&names, "%s%s",
				    names.len > 0 ? ", " : "", id);
			}
			if (j == s->nt)
				cvx_die("%s: %s '%s' matches no table (%s%s)",
				    s->input, k == 0 ? "-t" : "-x",
				    pat[k][i], names.len > 0 ? "tables: " :
				    "there are none", names.len > 0 ?
				    names.p : "");
			cvx_buf_reset(&names);
		}
	cvx_buf_free(&names);
}

/* Read an export, ZIP or folder, through the common reader. */
static void
read_export(struct schema *s, struct cvx_export *x)
{
	cvx_export_scan(x);
	cvx_catalog_sort(&x->cat);
	cvx_export_require(x);
	input_export(s, x);
}

/* Stream tables in an export's order: component, number, name. */
static int
table_cmp(const void *va, const void *vb)
{
	const struct stable *a = va, *b = vb;
	int r;

	if ((r = strcmp(a->component, b->component)) != 0)
		return r;
	if ((a->number < 0) != (b->number < 0))
		return a->number < 0 ? 1 : -1;
	if (a->number != b->number)
		return a->number < b->number ? -1 : 1;
	return strcmp(a->name, b->name);
}

/*
 * Open the operand and read it, whichever it is: a folder, a ZIP, or the
 * stream (a JSON object or an abort line first), from a file or a pipe.
 */
static void
read_input(struct schema *s, struct cvx_export *x, const char *path)
{
	struct stat st;
	char head[4096];
	ssize_t n;
	int fd;

	s->input = cvx_input_name(path);
	if ((fd = cvx_open_input(path)) < 0 || fstat(fd, &st) != 0)
		cvx_die("%s: %s", s->input, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		if (fd != 0)
			(void)close(fd);
		cvx_export_open(x, path);
		read_export(s, x);
		return;
	}
	/* A look at the first bytes, put back for the reader. */
	do
		n = read(fd, head, sizeof(head));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		cvx_die("%s: %s", s->input, strerror(errno));
	if (n == 0)
		cvx_die("%s: empty input: neither an export nor the stream",
		    s->input);
	if (head[0] == '{' || head[0] == '#') {
		input_stream(s, fd, head, (size_t)n);
		if (fd != 0)
			(void)close(fd);
		qsort(s->t, s->nt, sizeof(*s->t), table_cmp);
		return;
	}
	x->fd = -1;
	x->input = s->input;
	cvx_zip_input_head(x, fd, &st, head, (size_t)n);
	read_export(s, x);
}

/* Write the DDL to path whole, through a temporary file beside it. */
static void
write_file(const char *path, const struct cvx_buf *ddl)
{
	struct cvx_buf tmp = {0};
	int fd;

	cvx_buf_printf(&tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp.p)) < 0)
		cvx_die("%s: %s", tmp.p, strerror(errno));
	if (cvx_write_all(fd, ddl->p, ddl->len) != 0 || fsync(fd) != 0 ||
	    fchmod(fd, 0644) != 0 || close(fd) != 0 ||
	    rename(tmp.p, path) != 0) {
		int e = errno;

		(void)unlink(tmp.p);
		cvx_die("%s: %s", path, strerror(e));
	}
	cvx_buf_free(&tmp);
}

int
main(int argc, char *argv[])
{
	struct schema s = {0};
	struct cvx_export x = {0};
	struct cvx_buf ddl = {0};
	const char *operand;
	int rval = 0;

	(void)setlocale(LC_CTYPE, "C.UTF-8");
	cvx_stderr_lines();
	operand = options(argc, argv);
	s.inc = opt_tables;
	s.ninc = opt_ntables;
	s.exc = opt_exclude;
	s.nexc = opt_nexclude;
	s.quiet = opt_quiet;
	read_input(&s, &x, operand);
	check_patterns(&s);
	ddl_write(&s, &opts, &ddl);
	if (opt_output != NULL)
		write_file(opt_output, &ddl);
	else if (fwrite(ddl.p, 1, ddl.len, stdout) != ddl.len)
		rval = 1;
	rval |= cvx_close_stdout();
	cvx_buf_free(&ddl);
	schema_free(&s);
	cvx_export_free(&x);
	while (opt_ntables > 0)
		free(opt_tables[--opt_ntables]);
	while (opt_nexclude > 0)
		free(opt_exclude[--opt_nexclude]);
	free(opt_tables);
	free(opt_exclude);
	return rval;
}
