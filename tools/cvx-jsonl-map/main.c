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
/* Tables the program applies to (-t); none means every line. */
static const char **tables;
static size_t ntables;
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
static const char usage[] =
    "usage: cvx-jsonl-map [-j jobs] [-L dir] [-t table] [--arg name value]\n"
    "                     [--argjson name json] [--slurpfile name file]\n"
    "                     [--errors file] [--max-errors n] "
    "[--int64 error|string]\n"
    "                     filter [file]\n"
    "       cvx-jsonl-map [options] -f program [file]\n";

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
		{ "table",		required_argument, NULL, 't' },
		{ "version",		no_argument,	   NULL, 'V' },
		{ NULL,			0,		   NULL, 0 }
	};
	const char *value;
	int ch;

	while ((ch = getopt_long(argc, argv, "f:hj:L:t:V", longopts,
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
			cvx_usage_help(usage);
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
			if (*optarg == '\0')
				cvx_usage_fail(usage, "-t: empty table name");
			tables = cvx_reallocarray(tables, ntables + 1,
			    sizeof(*tables));
			tables[ntables++] = optarg;
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
	workers = workers_new((size_t)jobs, tables, ntables, int64_string);

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
