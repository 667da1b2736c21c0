/* SPDX-License-Identifier: MIT */
/* cvx-jsonl-map: run a jq program over every document of the stream. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvx-jsonl-map.h"

/* The program: -f FILE, else the first operand. */
static const char *prog_file;
/* Tables the program applies to (-t globs, none: every line), not (-x). */
static char **tables;
static size_t ntables;
static char **excludes;
static size_t nexcludes;
/* Worker threads (-j). */
static long jobs;
/* --int64 string: quote integers beyond +-2^53 instead of failing. */
static bool int64_string;
/* --errors FILE: where rejected lines go. */
static const char *errors_path;
/* --max-errors: give up at this many rejected lines (0: never); given? */
static unsigned long max_errors = 1;
static bool max_set;

/* The usage text, as in the man page's SYNOPSIS. */
#define USAGE \
    "usage: cvx-jsonl-map [-j jobs] [-L dir] [-t tables] [-x tables]\n" \
    "                     [--arg name value] [--argjson name json]\n" \
    "                     [--slurpfile name file] [--errors file]\n" \
    "                     [--max-errors n] [--int64 error|string]\n" \
    "                     [--table-numbers file] filter [file]\n" \
    "       cvx-jsonl-map [options] -f program [file]\n"
static const char usage[] = USAGE;
/* -h: the usage, one line per option, and where the rest is. */
static const char help[] = USAGE
    "  -f, --from-file FILE       the program is in FILE, not an operand\n"
    "  -j, --jobs N               worker threads (default: the CPUs)\n"
    "  -L, --library-path DIR     search DIR for jq modules\n"
    "  -t, --tables LIST          run only on tables matching these globs\n"
    "  -x, --exclude LIST         pass tables matching these globs as"
    " they are\n"
    "      --arg NAME VALUE       $NAME is the string VALUE\n"
    "      --argjson NAME JSON    $NAME is the JSON value\n"
    "      --slurpfile NAME FILE  $NAME is an array of FILE's values\n"
    "      --errors FILE          rejected lines go to FILE, and go on\n"
    "      --max-errors N         give up at the Nth rejected line"
    " (0: never)\n"
    "      --int64 error|string   integers beyond 2^53: reject, or quote\n"
    "      --table-numbers FILE   a _tables file, for cvx_id and"
    " cvx_table_number\n"
    "  -h, --help                 this help\n"
    "  -V, --version              the version\n"
    "see cvx-jsonl-map(1)\n";

/* Read option opt's value s as a number from 0 to max, or exit 2. */
static uint64_t
number_opt(const char *opt, const char *s, uint64_t max)
{
	uint64_t v;

	if (cvx_parse_uint(s, max, &v) != 0)
		cvx_usage_fail(usage, "%s: invalid number: %s", opt, s);
	return v;
}

/*
 * Read the options into the statics above (and the program's arguments
 * and module paths into jq.c); returns optind.
 */
static int
parse_options(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "arg",		required_argument, NULL, 'A' },
		{ "argjson",		required_argument, NULL, 'J' },
		{ "errors",		required_argument, NULL, 'E' },
		{ "from-file",		required_argument, NULL, 'f' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ "int64",		required_argument, NULL, 'I' },
		{ "jobs",		required_argument, NULL, 'j' },
		{ "library-path",	required_argument, NULL, 'L' },
		{ "max-errors",		required_argument, NULL, 'M' },
		{ "slurpfile",		required_argument, NULL, 'S' },
		{ "tables",		required_argument, NULL, 't' },
		{ "exclude",		required_argument, NULL, 'x' },
		{ "table-numbers",	required_argument, NULL, 'N' },
		{ "version",		no_argument,	   NULL, 'V' },
		{ NULL,			0,		   NULL, 0 }
	};
	const char *value;
	int ch;

	while ((ch = getopt_long(argc, argv, "f:hj:L:t:Vx:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'A':
		case 'J':
		case 'S':
			/* Two operands: NAME here, the value next. */
			if (optind >= argc)
				cvx_usage_fail(usage, "--%s %s: missing value",
				    ch == 'A' ? "arg" : ch == 'J' ? "argjson" :
				    "slurpfile", optarg);
			value = argv[optind++];
			prog_arg_add(ch == 'A' ? ARG_STRING : ch == 'J' ?
			    ARG_JSON : ARG_SLURP, optarg, value);
			break;
		case 'E':
			errors_path = optarg;
			break;
		case 'f':
			prog_file = optarg;
			break;
		case 'h':
			cvx_usage_help(help);
		case 'I':
			if (strcmp(optarg, "string") == 0)
				int64_string = true;
			else if (strcmp(optarg, "error") == 0)
				int64_string = false;
			else
				cvx_usage_fail(usage, "--int64: expected error "
				    "or string: %s", optarg);
			break;
		case 'j':
			if ((jobs = (long)number_opt("-j", optarg, 1024)) == 0)
				cvx_usage_fail(usage, "-j: must be at least 1");
			break;
		case 'L':
			prog_lib_dir(optarg);
			break;
		case 'M':
			max_errors = number_opt("--max-errors", optarg,
			    ULONG_MAX);
			max_set = true;
			break;
		case 't':
			if (cvx_list_add(&tables, &ntables, optarg) != 0)
				cvx_usage_fail(usage, "-t: empty table name in "
				    "'%s'", optarg);
			break;
		case 'x':
			if (cvx_list_add(&excludes, &nexcludes, optarg) != 0)
				cvx_usage_fail(usage, "-x: empty table name in "
				    "'%s'", optarg);
			break;
		case 'N':
			cfunc_numbers_read(optarg);
			break;
		case 'V':
			puts("cvx-jsonl-map " CVX_VERSION);
			exit(cvx_close_stdout());
		default:
			cvx_usage_fail(usage, NULL);
		}
	}
	return optind;
}

int
main(int argc, char *argv[])
{
	static const struct cvx_chunk_ops ops = {
		work_chunk, output_chunk, output_flush, chunk_release
	};
	const char *file, *in_name;
	void **workers;
	int first, fd, rerr, nprog;

	cvx_stderr_lines();
	/* Every failure from here on, usage errors too, aborts the stream. */
	cvx_stream_writer();
	jobs = cvx_cpu_count();
	first = parse_options(argc, argv);
	argc -= first;
	argv += first;
	nprog = prog_file == NULL ? 1 : 0;	/* the filter operand */
	if (argc < nprog)
		cvx_usage_fail(usage, "no filter given");
	if (argc > nprog + 1)
		cvx_usage_fail(usage, "too many operands");
	/* With an errors file the default is to keep going. */
	if (errors_path != NULL && !max_set)
		max_errors = 0;
	file = argc > nprog ? argv[argc - 1] : NULL;

	prog_load(prog_file, nprog ? argv[0] : NULL);
	prog_args_check();
	workers_exclude(excludes, nexcludes);
	workers = workers_new((size_t)jobs, tables, ntables,
	    int64_string);

	/* From here on a failure must reach the consumer: see cvx_die. */
	in_name = cvx_input_name(file);
	output_start(in_name, max_errors);
	if ((fd = cvx_open_input(file)) < 0)
		cvx_die("%s: %s", in_name, strerror(errno));
	output_errors_open(errors_path);

	rerr = cvx_chunks_run(fd, (size_t)jobs, workers, &ops);
	workers_free(workers, (size_t)jobs);
	return output_finish(rerr);
}
