/* SPDX-License-Identifier: MIT */
/* cvx-pg-dump: PostgreSQL rows out as the stream, in Convex's encoding. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cvx-pg-dump.h"

/* getopt_long values of the options without a short twin. */
#define OPT_NUMERIC	256
#define OPT_NULLS	257

static const char usage[] =
    "usage: cvx-pg-dump [-q] [-d conninfo] [-o file] [-s schema]"
    " [-t tables]\n"
    "                   [-x tables] [-Q name=select]"
    " [--numeric decimal|float]\n"
    "                   [--nulls omit|null]\n";
/* -h: the usage, one line per option, and where the rest is. */
static const char help[] =
    "usage: cvx-pg-dump [-q] [-d conninfo] [-o file] [-s schema]"
    " [-t tables]\n"
    "                   [-x tables] [-Q name=select]"
    " [--numeric decimal|float]\n"
    "                   [--nulls omit|null]\n"
    "  -d, --dbname CONNINFO   the database (default: $DATABASE_URL, PG*)\n"
    "  -o, --output FILE       write the stream to FILE\n"
    "  -Q, --query NAME=SQL    dump this SELECT's rows as table NAME\n"
    "  -q, --quiet             no rows per table on stderr\n"
    "  -s, --schema SCHEMA     the tables' schema (default public)\n"
    "  -t, --tables LIST       only tables matching these globs"
    " (comma-separated)\n"
    "  -x, --exclude LIST      leave out tables matching these globs\n"
    "      --numeric MODE      numeric as decimal strings (default) or"
    " float\n"
    "      --nulls MODE        NULL: omit the field (default) or null\n"
    "  -h, --help              this help\n"
    "  -V, --version           the version\n"
    "see cvx-pg-dump(1)\n";

static const char *opt_conninfo;	/* -d, else DATABASE_URL, else "" */
static const char *opt_out;		/* -o: NULL is stdout */
static const char *opt_schema = "public"; /* -s */
static char **opt_tables;		/* -t patterns; NULL: every table */
static size_t opt_ntables;
static char **opt_exclude;		/* -x patterns */
static size_t opt_nexclude;
static bool opt_quiet;			/* -q: no summary */
static struct source *queries;		/* -Q, in their order */
static size_t nqueries;
static struct dump_opts vopts;		/* --numeric, --nulls */

/* Add the comma-separated names of option opt to *v; exit 2 if one is empty. */
static void
add_patterns(char ***v, size_t *n, const char *opt, const char *arg)
{
	if (cvx_list_add(v, n, arg) != 0)
		cvx_usage_fail(usage, "%s: empty name in '%s'", opt, arg);
}

/* -Q NAME=SELECT: a named query, dumped as table NAME. */
static void
add_query(const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct cvx_buf b = { 0 };
	struct source *s;
	size_t i;

	if (eq == NULL || eq == arg || eq[1] == '\0')
		cvx_usage_fail(usage, "-Q: '%s' is not name=select", arg);
	if ((size_t)(eq - arg) > CVX_TAG_MAX)
		cvx_usage_fail(usage, "-Q: name longer than %d bytes",
		    CVX_TAG_MAX);
	for (i = 0; arg + i < eq; i++)
		if ((unsigned char)arg[i] < 0x20 || arg[i] == 0x7f)
			cvx_usage_fail(usage, "-Q: control character in the"
			    " name");
	queries = cvx_reallocarray(queries, nqueries + 1, sizeof(*queries));
	s = &queries[nqueries++];
	memset(s, 0, sizeof(*s));
	s->name = cvx_memdup(arg, (size_t)(eq - arg) + 1);
	s->name[eq - arg] = '\0';
	s->sql = cvx_strdup(eq + 1);
	/* It goes inside COPY (…): a final ';' would end the COPY early. */
	for (i = strlen(s->sql); i > 0 && (s->sql[i - 1] == ';' ||
	    s->sql[i - 1] == ' ' || s->sql[i - 1] == '\n' ||
	    s->sql[i - 1] == '\t' || s->sql[i - 1] == '\r'); i--)
		s->sql[i - 1] = '\0';
	cvx_buf_printf(&b, "query %s", s->name);
	s->what = cvx_strdup(b.p);
	cvx_buf_free(&b);
}

/* Parse the options into the statics above; returns optind. */
static int
parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dbname", required_argument, NULL, 'd' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ "nulls", required_argument, NULL, OPT_NULLS },
		{ "numeric", required_argument, NULL, OPT_NUMERIC },
		{ "output", required_argument, NULL, 'o' },
		{ "query", required_argument, NULL, 'Q' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "schema", required_argument, NULL, 's' },
		{ "tables", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "d:ho:Q:qs:t:Vx:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			opt_conninfo = optarg;
			break;
		case 'h':
			cvx_usage_help(help);
		case 'o':
			opt_out = optarg;
			break;
		case 'Q':
			add_query(optarg);
			break;
		case 'q':
			opt_quiet = true;
			break;
		case 's':
			opt_schema = optarg;
			break;
		case 't':
			add_patterns(&opt_tables, &opt_ntables, "-t", optarg);
			break;
		case 'V':
			printf("cvx-pg-dump %s\n", CVX_VERSION);
			exit(cvx_close_stdout());
		case 'x':
			add_patterns(&opt_exclude, &opt_nexclude, "-x",
			    optarg);
			break;
		case OPT_NUMERIC:
			if (strcmp(optarg, "float") == 0)
				vopts.numeric_float = true;
			else if (strcmp(optarg, "decimal") != 0)
				cvx_usage_fail(usage, "--numeric: '%s' is not"
				    " decimal or float", optarg);
			break;
		case OPT_NULLS:
			if (strcmp(optarg, "null") == 0)
				vopts.nulls = true;
			else if (strcmp(optarg, "omit") != 0)
				cvx_usage_fail(usage, "--nulls: '%s' is not"
				    " omit or null", optarg);
			break;
		default:
			cvx_usage_fail(usage, NULL);
		}
	}
	return optind;
}

/* Point standard output at -o's file, so the abort line goes there too. */
static void
open_output(void)
{
	int fd;

	if (opt_out == NULL || strcmp(opt_out, "-") == 0)
		return;
	fd = open(opt_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0 || dup2(fd, 1) < 0)
		cvx_die("%s: %s", opt_out, strerror(errno));
	(void)close(fd);
}

int
main(int argc, char **argv)
{
	struct source *src = NULL;
	struct cvx_out out;
	size_t nsrc = 0, i;
	PGconn *c;
	int rval;

	cvx_stderr_lines();
	cvx_stream_writer();
	if (parse_options(argc, argv) != argc)
		cvx_usage_fail(usage, "unexpected operand '%s'", argv[optind]);
	if (opt_conninfo == NULL && (opt_conninfo = getenv("DATABASE_URL"))
	    == NULL)
		opt_conninfo = "";
	open_output();
	cvx_out_init(&out, 1, opt_out != NULL ? opt_out : "stdout");
	cvx_stream_register(&out);

	c = db_connect(opt_conninfo);
	db_begin(c);
	/* Tables unless only queries are asked for, then the queries. */
	if (opt_tables != NULL || nqueries == 0)
		db_tables(c, opt_schema, opt_tables, opt_ntables, opt_exclude,
		    opt_nexclude, &src, &nsrc);
	src = cvx_reallocarray(src, nsrc + nqueries + 1, sizeof(*src));
	if (nqueries > 0)
		memcpy(src + nsrc, queries, nqueries * sizeof(*queries));
	nsrc += nqueries;
	if (nsrc == 0)
		cvx_die("schema %s: no table to dump", opt_schema);
	for (i = 0; i < nsrc; i++)
		db_describe(c, &src[i]);
	for (i = 0; i < nsrc; i++)
		dump_source(c, &src[i], &vopts, &out);
	/* Read only: nothing to commit, but end the snapshot cleanly. */
	PQclear(PQexec(c, "COMMIT"));
	PQfinish(c);

	rval = cvx_out_close(&out);
	for (i = 0; i < nsrc && !opt_quiet && rval == 0; i++)
		warnx("%s: %ju rows", src[i].name, (uintmax_t)src[i].rows);
	return rval;
}
