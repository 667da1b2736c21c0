/* SPDX-License-Identifier: MIT */
/* cvx-zip: the tagged JSONL stream into a ZIP that `npx convex import` takes. */
#define _GNU_SOURCE		/* O_TMPFILE */
#include <sys/stat.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx-zip.h"

/* getopt_long values of the options without a short twin. */
#define OPT_INT64	256
#define OPT_NUMBERS	257
#define OPT_NUMBERS_OUT	258

/* The usage text, as in the man page's SYNOPSIS. */
#define USAGE \
    "usage: cvx-zip [-n] [-o file] [-t tables] [-x tables] [--int64 fields]\n" \
    "               [--table-numbers file] [--table-numbers-out file]" \
    " [stream]\n"
static const char usage[] = USAGE;
/* -h: the usage, one line per option, and where the rest is. */
static const char help[] = USAGE
    "  -n, --dry-run                check only, write nothing\n"
    "  -o, --output FILE            write the ZIP to FILE (atomically)\n"
    "  -t, --tables LIST            only tables matching these globs\n"
    "  -x, --exclude LIST           leave out tables matching these"
    " globs\n"
    "      --int64 FIELDS           keep these table.field integers as"
    " int64\n"
    "      --table-numbers FILE     table numbers from a _tables file\n"
    "      --table-numbers-out FILE write the numbers used to FILE\n"
    "  -h, --help                   this help\n"
    "  -V, --version                the version\n"
    "see cvx-zip(1)\n";

static bool opt_dry;		/* -n: check only, write nothing */
static const char *opt_out;	/* -o: the ZIP; NULL: stdout */
static char **opt_tables;	/* -t patterns; NULL: every table */
static size_t opt_ntables;
static char **opt_exclude;	/* -x patterns */
static size_t opt_nexclude;
static const char *opt_numbers;	/* --table-numbers */
static const char *opt_numbers_out; /* --table-numbers-out */
static struct zopts opts;	/* --int64 */

/* The ZIP being written under -o: an unnamed file in -o's directory. */
static int out_fd = -1;
static char *out_tmpname;	/* when it had to be named: removed at exit */

/* Add the comma-separated names of option opt to *v; exit 2 if one is empty. */
static void
add_patterns(char ***v, size_t *n, const char *opt, const char *arg)
{
	if (cvx_list_add(v, n, arg) != 0)
		cvx_usage_fail(usage, "%s: empty name in '%s'", opt, arg);
}

/* Remove a named temporary ZIP if the run did not finish. */
static void
remove_tmp(void)
{
	if (out_tmpname != NULL)
		(void)unlink(out_tmpname);
}

/*
 * Open the file the ZIP is written to, in -o's directory so the rename at
 * the end is atomic: unnamed (O_TMPFILE) where the system can, so that
 * nothing is left behind however the run ends.
 */
static void
open_out(void)
{
	char *copy = cvx_strdup(opt_out), *dir = dirname(copy);
	struct cvx_buf b = { 0 };

#ifdef O_TMPFILE
	out_fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
	if (out_fd < 0) {
		cvx_buf_printf(&b, "%s/.cvx-zip.XXXXXX", dir);
		out_tmpname = cvx_strdup(b.p);
		if ((out_fd = mkstemp(out_tmpname)) < 0)
			cvx_die("%s: %s", dir, strerror(errno));
		(void)atexit(remove_tmp);
	}
	cvx_buf_free(&b);
	free(copy);
}

/* Give the finished ZIP its name -o (replacing any file there). */
static void
publish_out(void)
{
	char *copy = cvx_strdup(opt_out), *dir = dirname(copy);
	struct cvx_buf proc = { 0 }, tmp = { 0 };
	mode_t mask = umask(0);
	int i;

	(void)umask(mask);
	if (fchmod(out_fd, 0666 & ~mask) != 0 || fsync(out_fd) != 0)
		cvx_die("%s: %s", opt_out, strerror(errno));
	if (out_tmpname == NULL) {
		/* Link the unnamed file under a fresh name, then rename. */
		cvx_buf_printf(&proc, "/proc/self/fd/%d", out_fd);
		for (i = 0;; i++) {
			cvx_buf_reset(&tmp);
			cvx_buf_printf(&tmp, "%s/.cvx-zip.%ld.%d", dir,
			    (long)getpid(), i);
			if (linkat(AT_FDCWD, proc.p, AT_FDCWD, tmp.p,
			    AT_SYMLINK_FOLLOW) == 0)
				break;
			if (errno != EEXIST || i > 100)
				cvx_die("%s: %s", opt_out, strerror(errno));
		}
		out_tmpname = cvx_strdup(tmp.p);
	}
	if (rename(out_tmpname, opt_out) != 0)
		cvx_die("%s: %s", opt_out, strerror(errno));
	free(out_tmpname);
	out_tmpname = NULL;
	if (close(out_fd) != 0)
		cvx_die("%s: %s", opt_out, strerror(errno));
	cvx_buf_free(&proc);
	cvx_buf_free(&tmp);
	free(copy);
}

/* Is the table qname selected by -t and not left out by -x? */
static bool
selected(const char *qname)
{
	return cvx_table_selected(qname, opt_tables, opt_ntables,
	    opt_exclude, opt_nexclude);
}

/*
 * The table a document's tag names, created on first sight: its names
 * must be Convex's (a user table: an identifier not starting with '_';
 * each component path element an identifier; identifier.rs:30-139).
 */
static struct ztable *
table_of(struct zcat *c, const struct cvx_tag *tag, struct cvx_buf *id,
    uint64_t lineno, const char *in)
{
	struct ztable *t;
	const char *why, *at, *name, *p, *slash;
	char *comp;
	size_t clen;

	switch (cvx_tag_identity(tag, id, &why, &at)) {
	case 0:
		cvx_die("%s: line %ju: no _table: not a cvx stream document",
		    in, (uintmax_t)lineno);
	case -1:
		cvx_die("%s: line %ju: %s", in, (uintmax_t)lineno, why);
	}
	if ((t = zcat_find(c, id->p, id->len)) != NULL)
		return t;
	/* The identity is "table" or "a/b:table" (cvx.h, the tag). */
	name = id->p;
	clen = 0;
	if (tag->component != NULL && (p = strchr(id->p, ':')) != NULL) {
		clen = (size_t)(p - id->p);
		name = p + 1;
	}
	if (!zip_is_identifier(name, strlen(name)) || *name == '_')
		cvx_die("%s: line %ju: _table \"%s\" is not a Convex user"
		    " table name", in, (uintmax_t)lineno, name);
	comp = cvx_memdup(id->p, clen + 1);
	comp[clen] = '\0';
	for (p = comp; clen > 0; p = slash + 1) {
		slash = p + strcspn(p, "/");
		if (!zip_is_identifier(p, (size_t)(slash - p)))
			cvx_die("%s: line %ju: _component \"%s\" is not a"
			    " Convex component path", in, (uintmax_t)lineno,
			    comp);
		if (*slash == '\0')
			break;
	}
	t = zcat_add(c, comp, name);
	free(comp);
	t->skip = !selected(t->qname);
	zcheck_table_init(&opts, t);
	return t;
}

/* Read, check and spool the stream. */
static void
read_stream(struct zcat *c, const char *path)
{
	struct cvx_lines r;
	struct cvx_tag tag;
	struct cvx_json_error e;
	struct cvx_buf id = { 0 };
	struct zdoc d = { { 0 }, 0, { 0 }, { 0 } };
	struct ztable *t = NULL;
	const char *line, *in = cvx_input_name(path);
	size_t len;
	uint64_t ndocs = 0;
	bool nl;
	int fd, rc;

	if ((fd = cvx_open_input(path)) < 0)
		cvx_die("%s: %s", in, strerror(errno));
	cvx_pipe_grow(fd);
	cvx_lines_init(&r, fd, in);
	while ((rc = cvx_lines_next(&r, &line, &len, &nl)) == 1) {
		if (cvx_is_abort(line, len, NULL))
			cvx_abort_relay(in, r.lineno, line, len);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (cvx_tag_scan(line, len, &tag, &e) != 0)
			cvx_die("%s: line %ju: %s at byte %zu", in,
			    (uintmax_t)r.lineno, e.msg, e.offset + 1);
		t = table_of(c, &tag, &id, r.lineno, in);
		if (t->skip)
			continue;
		if (zcheck_doc(&d, &opts, t, line, len) != 0)
			cvx_die("%s: line %ju: table %s: %s", in,
			    (uintmax_t)r.lineno, t->ident, d.why.p);
		if (d.id_table != 0)
			znum_from_id(c, t, d.id_table, r.lineno);
		if (!opt_dry)
			zspool_add(c, t, d.out.p, d.out.len);
		ndocs++;
	}
	if (rc < 0)
		cvx_die("%s: %s", in, strerror(errno));
	/* Nothing is not a success (design.md): an empty stream is a
	 * stage upstream that never ran. */
	if (r.lineno == 0)
		cvx_die("%s: empty stream: no documents", in);
	cvx_lines_free(&r);
	if (fd != 0)
		(void)close(fd);
	cvx_buf_free(&id);
	cvx_buf_free(&d.out);
	cvx_buf_free(&d.why);
	cvx_buf_free(&d.tmp);
}

/* Every -t pattern must name a table: a typo is not an empty ZIP. */
static void
check_selection(const struct zcat *c)
{
	size_t i, j;

	for (i = 0; i < opt_ntables; i++) {
		for (j = 0; j < c->n; j++)
			if (fnmatch(opt_tables[i], c->t[j]->qname,
			    FNM_PATHNAME) == 0)
				break;
		if (j == c->n)
			cvx_die("-t: no table matches '%s'", opt_tables[i]);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "int64",	required_argument,	NULL, OPT_INT64 },
		{ "output",	required_argument,	NULL, 'o' },
		{ "table-numbers", required_argument,	NULL, OPT_NUMBERS },
		{ "table-numbers-out", required_argument, NULL,
		    OPT_NUMBERS_OUT },
		{ "tables",	required_argument,	NULL, 't' },
		{ "exclude",	required_argument,	NULL, 'x' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	struct zcat c = { 0 };
	size_t i;
	int ch;

	cvx_stderr_lines();
	/* Past ulimit -f, a failed write (message, no file at -o), not a
	 * silent death that leaves the temporary file behind. */
	signal(SIGXFSZ, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "hno:t:Vx:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'h':
			cvx_usage_help(help);
		case 'n':
			opt_dry = true;
			break;
		case 'o':
			opt_out = optarg;
			break;
		case 't':
			add_patterns(&opt_tables, &opt_ntables, "-t", optarg);
			break;
		case 'x':
			add_patterns(&opt_exclude, &opt_nexclude, "-x", optarg);
			break;
		case 'V':
			printf("cvx-zip %s\n", CVX_VERSION);
			return cvx_close_stdout();
		case OPT_INT64:
			add_patterns(&opts.int64, &opts.nint64, "--int64",
			    optarg);
			break;
		case OPT_NUMBERS:
			opt_numbers = optarg;
			break;
		case OPT_NUMBERS_OUT:
			opt_numbers_out = optarg;
			break;
		default:
			cvx_usage_fail(usage, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		cvx_usage_fail(usage, "one stream at most");
	if (opt_out != NULL && *opt_out == '\0')
		cvx_usage_fail(usage, "-o: empty file name");
	if (!opt_dry && opt_out == NULL && isatty(1))
		cvx_usage_fail(usage, "not writing a ZIP to a terminal: use"
		    " -o or a redirection");

	if (!opt_dry && opt_out != NULL)
		open_out();
	if (opt_numbers != NULL)
		znum_read(&c, opt_numbers);
	for (i = 0; i < c.n; i++) {
		c.t[i]->skip = !selected(c.t[i]->qname);
		zcheck_table_init(&opts, c.t[i]);
	}
	read_stream(&c, argc == 1 ? argv[0] : NULL);
	check_selection(&c);
	zcat_drop_skipped(&c);
	znum_assign(&c);
	zcat_sort(&c);
	if (!opt_dry) {
		zwrite_zip(&c, opt_out != NULL ? out_fd : 1,
		    opt_out != NULL ? opt_out : "stdout");
		if (opt_out != NULL)
			publish_out();
		if (opt_numbers_out != NULL)
			znum_write(&c, opt_numbers_out);
	}
	zspool_close();
	zcat_free(&c);
	for (i = 0; i < opt_ntables; i++)
		free(opt_tables[i]);
	free(opt_tables);
	for (i = 0; i < opt_nexclude; i++)
		free(opt_exclude[i]);
	free(opt_exclude);
	for (i = 0; i < opts.nint64; i++)
		free(opts.int64[i]);
	free(opts.int64);
	return opt_out == NULL && !opt_dry ? cvx_close_stdout() : 0;
}
