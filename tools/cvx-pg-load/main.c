/* SPDX-License-Identifier: MIT */
/* cvx-pg-load: load the stream into PostgreSQL with COPY, in one transaction. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cvx-pg-load.h"

/* The usage text, as in the man page's SYNOPSIS. */
#define USAGE \
    "usage: cvx-pg-load [-nq] [-d conninfo] [-k column[,column]] [-m mode]\n" \
    "           [-s schema] [-t tables] [-u table] [-x tables]" \
    " [--allow-empty]\n" \
    "           [--commit-every rows] [--copy-format auto|text]\n" \
    "           [--create] [--doc-column column] [--ignore-unknown]\n" \
    "           [--no-db] [--nul policy]\n" \
    "           [--progress | --no-progress] [--staging temp|unlogged]\n" \
    "           [--summary format] [--truncate table[,table]] [file]\n" \
    "       cvx-pg-load --count [-d conninfo] [-s schema] table ...\n"
static const char usage[] = USAGE;
/* -h: the usage, one line per option, and where the rest is. */
static const char help[] = USAGE
    "  -d, --dbname CONNINFO      the database (default: $DATABASE_URL,"
    " PG*)\n"
    "  -m, --mode MODE            insert (default), merge, replace\n"
    "  -k, --key COLUMNS          merge: the key (default: the primary"
    " key)\n"
    "  -n, --dry-run              do everything, then roll back\n"
    "  -q, --quiet                nothing on stderr but errors\n"
    "  -s, --schema SCHEMA        the tables' schema (default:"
    " current_schema())\n"
    "  -t, --tables LIST          load only tables matching these globs\n"
    "  -x, --exclude LIST         skip tables matching these globs\n"
    "  -u, --untagged TABLE       the table for documents without _table\n"
    "      --allow-empty          replace: no documents empties the"
    " tables\n"
    "      --commit-every ROWS    merge: commit every ROWS rows\n"
    "      --copy-format FORMAT   auto (binary where the types allow),"
    " text\n"
    "      --count                print the rows of the tables named,"
    " no load\n"
    "      --create               create missing schema and tables"
    " (_id, doc)\n"
    "      --doc-column COLUMN    a json/jsonb column takes the keys"
    " without one\n"
    "      --ignore-unknown       drop keys without a column (listed"
    " once)\n"
    "      --no-db                parse and count only, no database\n"
    "      --nul POLICY           U+0000 in text: reject, strip, replace\n"
    "      --progress             progress on stderr (default: when it is"
    " a terminal)\n"
    "      --no-progress          no progress\n"
    "      --staging KIND         merge staging tables: temp, unlogged\n"
    "      --summary FORMAT       text (stderr), json (stdout), none\n"
    "      --truncate LIST        replace: empty these tables too\n"
    "  -h, --help                 this help\n"
    "  -V, --version              the version\n"
    "see cvx-pg-load(1)\n";

/* The index of arg in the NULL-terminated names; usage error if none. */
static int
pick(const char *arg, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(arg, names[i]) == 0)
			return i;
	cvx_usage_fail(usage, "%s: not one of the choices", arg);
}

/* Parse a positive row count for --commit-every. */
static uint64_t
parse_rows(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || *s == '-')
		cvx_usage_fail(usage, "--commit-every: not a positive number: %s",
		    s);
	return v;
}

/* Add the comma-separated globs of option name (-t, -x) to *v. */
static void
list_opt(char ***v, size_t *n, const char *name)
{
	if (cvx_list_add(v, n, optarg) != 0)
		cvx_usage_fail(usage, "%s: empty table name in '%s'", name,
		    optarg);
}

/*
 * Fill o from the command line, and check the combinations; *argc and
 * *argv are left with the operands.  Usage errors exit 2.
 */
static void
parse_options(struct options *o, int *argc, char ***argv)
{
	enum { O_ALLOW_EMPTY = 256, O_COMMIT, O_COPY, O_COUNT, O_CREATE, O_DOC,
	    O_IGNORE, O_NO_DB, O_NO_PROGRESS, O_NUL, O_PROGRESS, O_STAGING,
	    O_SUMMARY, O_TRUNCATE };
	static const struct option longopts[] = {
		{ "dbname",		required_argument,	NULL, 'd' },
		{ "exclude",		required_argument,	NULL, 'x' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "key",		required_argument,	NULL, 'k' },
		{ "mode",		required_argument,	NULL, 'm' },
		{ "dry-run",		no_argument,		NULL, 'n' },
		{ "quiet",		no_argument,		NULL, 'q' },
		{ "schema",		required_argument,	NULL, 's' },
		{ "tables",		required_argument,	NULL, 't' },
		{ "untagged",		required_argument,	NULL, 'u' },
		{ "version",		no_argument,		NULL, 'V' },
		{ "allow-empty",	no_argument,		NULL, O_ALLOW_EMPTY },
		{ "commit-every",	required_argument,	NULL, O_COMMIT },
		{ "copy-format",	required_argument,	NULL, O_COPY },
		{ "count",		no_argument,		NULL, O_COUNT },
		{ "create",		no_argument,		NULL, O_CREATE },
		{ "doc-column",		required_argument,	NULL, O_DOC },
		{ "ignore-unknown",	no_argument,		NULL, O_IGNORE },
		{ "no-db",		no_argument,		NULL, O_NO_DB },
		{ "no-progress",	no_argument,		NULL, O_NO_PROGRESS },
		{ "nul",		required_argument,	NULL, O_NUL },
		{ "progress",		no_argument,		NULL, O_PROGRESS },
		{ "staging",		required_argument,	NULL, O_STAGING },
		{ "summary",		required_argument,	NULL, O_SUMMARY },
		{ "truncate",		required_argument,	NULL, O_TRUNCATE },
		{ NULL,			0,			NULL, 0 }
	};
	/* Option words, in the order of their enum values. */
	static const char *const modes[] = { "insert", "merge", "replace",
	    NULL };
	static const char *const nuls[] = { "reject", "strip", "replace",
	    NULL };
	static const char *const stagings[] = { "temp", "unlogged", NULL };
	static const char *const formats[] = { "auto", "text", NULL };
	static const char *const summaries[] = { "text", "json", "none",
	    NULL };
	int ch, progress = -1;

	while ((ch = getopt_long(*argc, *argv, "d:hk:m:nqs:t:u:Vx:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd': o->conninfo = optarg; break;
		case 'h': cvx_usage_help(help);
		case 'k': o->key = optarg; break;
		case 'm': o->mode = pick(optarg, modes); break;
		case 'n': o->dry_run = true; break;
		case 'q': o->quiet = true; break;
		case 's': o->schema = optarg; break;
		case 't': list_opt(&o->tables, &o->ntables, "-t"); break;
		case 'u': o->table = optarg; break;
		case 'x': list_opt(&o->excludes, &o->nexcludes, "-x"); break;
		case 'V':
			puts("cvx-pg-load " CVX_VERSION);
			exit(cvx_close_stdout());
		case O_ALLOW_EMPTY: o->allow_empty = true; break;
		case O_COMMIT: o->commit_every = parse_rows(optarg); break;
		case O_COPY: o->text_copy = pick(optarg, formats); break;
		case O_COUNT: o->count = true; break;
		case O_CREATE: o->create = true; break;
		case O_DOC: o->doc_column = optarg; break;
		case O_IGNORE: o->ignore_unknown = true; break;
		case O_NO_DB: o->no_db = true; break;
		case O_NUL: o->nul = pick(optarg, nuls); break;
		case O_PROGRESS: progress = 1; break;
		case O_NO_PROGRESS: progress = 0; break;
		case O_STAGING: o->unlogged = pick(optarg, stagings); break;
		case O_SUMMARY: o->summary = pick(optarg, summaries); break;
		case O_TRUNCATE: o->truncate = optarg; break;
		default:
			cvx_usage_fail(usage, NULL);
		}
	}
	*argc -= optind;
	*argv += optind;
	if (o->count && *argc < 1)
		cvx_usage_fail(usage, "--count needs a table");
	if (!o->count && *argc > 1)
		cvx_usage_fail(usage, "too many operands");
	if (o->count && o->no_db)
		cvx_usage_fail(usage, "--count needs a database, not --no-db");
	if (o->mode != MODE_MERGE && (o->commit_every || o->key))
		cvx_usage_fail(usage, "--commit-every and --key need "
		    "--mode merge");
	if (o->truncate != NULL && (o->mode != MODE_REPLACE ||
	    o->truncate[strspn(o->truncate, ",")] == '\0'))
		cvx_usage_fail(usage, "--truncate needs --mode replace and a "
		    "table name");
	if (o->allow_empty && o->mode != MODE_REPLACE)
		cvx_usage_fail(usage, "--allow-empty needs --mode replace");
	if (o->no_db)
		o->dry_run = true;	/* nothing is written anywhere */
	if (o->dry_run)
		o->commit_every = 0;	/* a dry run commits nothing */
	if (o->conninfo == NULL &&
	    (o->conninfo = getenv("DATABASE_URL")) == NULL)
		o->conninfo = "";	/* libpq's PG* environment */
	if (o->count && (o->ntables > 0 || o->nexcludes > 0))
		cvx_usage_fail(usage, "--count names its tables: no -t, -x");
	/* Quiet is stderr's: a JSON summary on stdout is data, and stays. */
	if (o->quiet) {
		if (o->summary == SUM_TEXT)
			o->summary = SUM_NONE;
		progress = 0;
	}
	cvx_progress_init(o->count ? 0 : progress);
	o->progress = cvx_progress_on();
}

int
main(int argc, char **argv)
{
	static struct options o = { .nul = CVX_NUL_REJECT };
	bool committed = false;
	int rval;

	cvx_stderr_lines();
	parse_options(&o, &argc, &argv);
	opt = &o;

	/* Until there is a transaction, a signal just ends the process. */
	if (!opt->no_db)
		db_connect();
	if (opt->count)
		return count_tables(argc, argv);

	if (conn != NULL) {
		db_catch_signals();
		PQclear(exec_sql("BEGIN", PGRES_COMMAND_OK, "begin"));
	}
	load_stream(argc == 1 ? argv[0] : NULL);
	if (conn != NULL) {
		load_finish(true);
		if (opt->dry_run)
			PQclear(exec_sql("ROLLBACK", PGRES_COMMAND_OK,
			    "rollback"));
		else {
			db_commit();
			committed = true;
		}
	}
	rval = load_summary(committed);
	if (conn != NULL)
		db_close();
	return rval;
}
