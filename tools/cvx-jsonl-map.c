/* SPDX-License-Identifier: MIT */
/* cvx-jsonl-map: run a jq program over every document of the stream. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jq.h>

#include "cvx.h"

/* Longest error message kept, in bytes. */
#define MSG_MAX		1024

/* The kinds of a program argument ($name in the program). */
enum arg_kind { ARG_STRING, ARG_JSON, ARG_SLURP };

struct prog_arg {
	const char	*name;
	enum arg_kind	 kind;
	struct cvx_buf	 text;	/* value, JSON text or file bytes */
};

/* Program arguments (--arg, --argjson, --slurpfile), in option order. */
static struct prog_arg *args;
static size_t nargs;
/* Module search paths (-L), in option order. */
static const char **lib_dirs;
static size_t nlib_dirs;
/* Tables the program applies to (-t); none means every line. */
static const char **tables;
static size_t ntables;
/* The program as compiled (library inserted) and its directory. */
static struct cvx_buf prog_text;
static char *prog_origin;
/* Worker threads (-j). */
static long jobs;
/* --int64 string: quote integers beyond +-2^53 instead of failing. */
static bool int64_string;
/* --errors FILE: where rejected lines go, buffered. */
static const char *errors_path;
static int errors_fd = -1;
static struct cvx_buf errors_buf;
/* --max-errors: give up at this many rejected lines (0: never). */
static unsigned long max_errors = 1;
/* The input's name for messages. */
static const char *in_name;
/* The output stream. */
static struct cvx_out out;

/* One input line the writer must act on instead of just copying output. */
enum rec_kind { REC_ERROR, REC_ABORT };

struct rec {
	enum rec_kind	 kind;
	size_t		 off;	/* chunk output bytes before it */
	uint64_t	 idx;	/* 1-based line in the chunk */
	size_t		 msg;	/* the message in msgs */
	size_t		 msglen;
	size_t		 in;	/* the input line in in */
	size_t		 inlen;
};

/* What the program made of a chunk besides its output (chunk->data). */
struct chunk {
	struct cvx_buf	*in;		/* the chunk's input lines */
	struct cvx_buf	*out;		/* and its output */
	struct cvx_buf	 msgs;
	struct rec	*recs;
	size_t		 nrecs;
	size_t		 caprecs;
	uint64_t	 nlines;
};

/*
 * What each worker thread owns.  Threads are safe with libjq 1.6 as long
 * as no jq_state and no jv crosses threads: its writable globals are a
 * hash seed set under pthread_once, thread-local error flags and the
 * colour table (jq_set_colors, not used), and its dtoa state lives on
 * the stack of each parse or print (checked in Debian's libjq.so.1.0.4).
 * jv reference counts are not atomic, so each worker builds its own
 * $variables from the option texts.  Oniguruma's lazy set-up is the one
 * race left: regex_warm_up() runs it before the threads start.
 */
struct worker {
	jq_state	*jq;
	struct cvx_buf	 scratch;	/* a line with quoted bigints */
	struct cvx_buf	 tmp;		/* an unescaped string */
	struct cvx_buf	 msg;		/* from jq's callback */
};

/* Input lines of the chunks written so far, and rejected lines. */
static uint64_t lines_done;
static unsigned long nerrors;

/* The usage text, as in the man page's SYNOPSIS. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cvx-jsonl-map [-j jobs] [-L dir] [-t table] "
	    "[--arg name value]\n"
	    "                     [--argjson name json] "
	    "[--slurpfile name file]\n"
	    "                     [--errors file] [--max-errors n] "
	    "[--int64 error|string]\n"
	    "                     filter [file]\n"
	    "       cvx-jsonl-map [options] -f program [file]\n");
}

/* Exit 2 with a message and the usage text. */
static void __attribute__((noreturn, format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vwarnx(fmt, ap);
		va_end(ap);
	}
	usage(stderr);
	exit(2);
}

/* Read all of a file (or stdin for "-") into b; exit 2 if it fails. */
static void
slurp(const char *path, struct cvx_buf *b)
{
	ssize_t n;
	int fd;

	if ((fd = cvx_open_input(path)) < 0)
		err(2, "%s", path);
	for (;;) {
		cvx_buf_grow(b, 65536);
		n = read(fd, b->p + b->len, b->cap - b->len - 1);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err(2, "%s", path);
		b->len += (size_t)n;
		b->p[b->len] = '\0';
	}
	if (fd != 0)
		close(fd);
}

/* jq's error callback: keep the message, one line per message. */
static void
compile_msg_cb(void *data, jv msg)
{
	struct cvx_buf *b = data;
	jv text = jq_format_error(msg);

	if (b->len > 0)
		cvx_buf_addc(b, '\n');
	cvx_jq_message(b, jv_string_value(text),
	    (size_t)jv_string_length_bytes(jv_copy(text)), MSG_MAX);
	jv_free(text);
}

/* jq's error callback once running: straight to stderr. */
static void
stderr_msg_cb(void *data, jv msg)
{
	struct cvx_buf b = {0};
	jv text = jq_format_error(msg);

	(void)data;
	cvx_jq_message(&b, jv_string_value(text),
	    (size_t)jv_string_length_bytes(jv_copy(text)), MSG_MAX);
	warnx("%s", b.p);
	cvx_buf_free(&b);
	jv_free(text);
}

/* jq's `debug`: ["DEBUG:",value] on stderr, as jq(1) prints it. */
static void
debug_cb(void *data, jv value)
{
	jv s;

	(void)data;
	s = jv_dump_string(JV_ARRAY(jv_string("DEBUG:"), value), 0);
	fprintf(stderr, "%s\n", jv_string_value(s));
	jv_free(s);
}

/* Parse JSON text with libjq: one value, or all values as an array. */
static jv
parse_text(const struct cvx_buf *t, bool all)
{
	jv_parser *p;
	jv v, arr;

	if (!all)
		return jv_parse_sized(t->p, (int)t->len);
	arr = jv_array();
	p = jv_parser_new(0);
	jv_parser_set_buf(p, t->p, (int)t->len, 0);
	while (jv_is_valid(v = jv_parser_next(p)))
		arr = jv_array_append(arr, v);
	jv_parser_free(p);
	if (jv_invalid_has_msg(jv_copy(v))) {
		jv_free(arr);
		return v;
	}
	jv_free(v);
	return arr;
}

/* The $name variables, and $ARGS, as a fresh object for one jq state. */
static jv
args_build(void)
{
	jv named = jv_object(), v;
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (args[i].kind == ARG_STRING)
			v = jv_string_sized(args[i].text.p,
			    (int)args[i].text.len);
		else
			v = parse_text(&args[i].text,
			    args[i].kind == ARG_SLURP);
		named = jv_object_set(named, jv_string(args[i].name), v);
	}
	v = jv_object_set(jv_object(), jv_string("positional"), jv_array());
	v = jv_object_set(v, jv_string("named"), jv_copy(named));
	return jv_object_set(named, jv_string("ARGS"), v);
}

/* Check --argjson and --slurpfile values once; exit 2 on bad JSON. */
static void
args_check(void)
{
	jv v, msg;
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (args[i].kind == ARG_STRING)
			continue;
		v = parse_text(&args[i].text, args[i].kind == ARG_SLURP);
		if (!jv_is_valid(v)) {
			msg = jv_invalid_get_msg(v);
			warnx("%s %s: invalid JSON: %s",
			    args[i].kind == ARG_JSON ? "--argjson" :
			    "--slurpfile", args[i].name,
			    jv_get_kind(msg) == JV_KIND_STRING ?
			    jv_string_value(msg) : "no value");
			jv_free(msg);
			exit(2);
		}
		jv_free(v);
	}
}

/* A jq state with the program compiled in, or NULL (messages in w->msg). */
static jq_state *
prog_compile(struct worker *w)
{
	jq_state *jq;
	jv dirs = jv_array();
	char exe[PATH_MAX];
	ssize_t n;
	size_t i;

	if ((jq = jq_init()) == NULL)
		cvx_die("jq_init: out of memory");
	jq_set_error_cb(jq, compile_msg_cb, &w->msg);
	/* jq's own default search path, unless -L is given. */
	if (nlib_dirs == 0) {
		dirs = jv_array_append(dirs, jv_string("~/.jq"));
		dirs = jv_array_append(dirs, jv_string("$ORIGIN/../lib/jq"));
		dirs = jv_array_append(dirs, jv_string("$ORIGIN/../lib"));
	}
	for (i = 0; i < nlib_dirs; i++)
		dirs = jv_array_append(dirs, jv_string(lib_dirs[i]));
	jq_set_attr(jq, jv_string("JQ_LIBRARY_PATH"), dirs);
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		jq_set_attr(jq, jv_string("JQ_ORIGIN"),
		    jv_string(dirname(exe)));
	}
	jq_set_attr(jq, jv_string("PROGRAM_ORIGIN"), jv_string(prog_origin));
	if (!jq_compile_args(jq, prog_text.p, args_build())) {
		jq_teardown(&jq);
		return NULL;
	}
	jq_set_error_cb(jq, stderr_msg_cb, NULL);
	jq_set_debug_cb(jq, debug_cb, NULL);
	return jq;
}

/* Report the messages of a failed compile, one line each; exit 2. */
static void __attribute__((noreturn))
compile_failed(struct cvx_buf *msgs)
{
	char *line, *save = NULL;

	for (line = strtok_r(msgs->p, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		warnx("%s", line);
	exit(2);
}

/*
 * Oniguruma initialises itself on the first regex it compiles, without a
 * lock: do that once here, before the workers can race for it.
 */
static void
regex_warm_up(void)
{
	jq_state *jq;
	jv r;

	if ((jq = jq_init()) == NULL)
		cvx_die("jq_init: out of memory");
	if (jq_compile(jq, "\"a\" | test(\"a\")")) {
		jq_start(jq, jv_null(), 0);
		while (jv_is_valid(r = jq_next(jq)))
			jv_free(r);
		jv_free(r);
	}
	jq_teardown(&jq);
}

/* Skip JSON whitespace. */
static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* Build the string whose opening quote is at p; set *end past it. */
static jv
build_string(const char *p, const char **end, struct cvx_buf *tmp)
{
	const char *q = p + 1, *close;
	bool esc = false;

	for (close = q; *close != '"'; close++)
		if (*close == '\\') {
			esc = true;
			close++;
		}
	*end = close + 1;
	if (!esc)
		return jv_string_sized(q, (int)(close - q));
	cvx_buf_reset(tmp);
	(void)cvx_json_unescape(q, (size_t)(close - q), tmp, CVX_NUL_KEEP);
	return jv_string_sized(tmp->p, (int)tmp->len);
}

/*
 * Build the jq value of the JSON text at p, already checked by
 * cvx_json_check (so no error handling), setting *end past it.  Numbers
 * are read as jq's parser reads them: a correctly rounded double.
 */
static jv
build_value(const char *p, const char **end, struct cvx_buf *tmp)
{
	jv v, k;

	switch (*p) {
	case '{':
		v = jv_object();
		p = skip_ws(p + 1);
		while (*p != '}') {
			k = build_string(p, &p, tmp);
			p = skip_ws(skip_ws(p) + 1);
			v = jv_object_set(v, k, build_value(p, &p, tmp));
			p = skip_ws(p);
			if (*p == ',')
				p = skip_ws(p + 1);
		}
		*end = p + 1;
		return v;
	case '[':
		v = jv_array();
		p = skip_ws(p + 1);
		while (*p != ']') {
			v = jv_array_append(v, build_value(p, &p, tmp));
			p = skip_ws(p);
			if (*p == ',')
				p = skip_ws(p + 1);
		}
		*end = p + 1;
		return v;
	case '"':
		return build_string(p, end, tmp);
	case 't':
		*end = p + 4;
		return jv_true();
	case 'f':
		*end = p + 5;
		return jv_false();
	case 'n':
		*end = p + 4;
		return jv_null();
	default:
		return jv_number(cvx_json_number(p, end));
	}
}

/*
 * Append a number as jq 1.6 prints it.  Integers below 1e15 print as
 * their digits there (its dtoa switches to exponents only past 15
 * trailing zeros); anything else goes through jq's own printer.
 */
static void
put_number(struct cvx_buf *b, double d)
{
	char digits[24];
	jv s;

	if (fabs(d) < 1e15 && d == (double)(long long)d && !(d == 0 &&
	    signbit(d))) {
		cvx_buf_add(b, digits, (size_t)snprintf(digits,
		    sizeof(digits), "%lld", (long long)d));
		return;
	}
	s = jv_dump_string(jv_number(d), 0);
	cvx_buf_add(b, jv_string_value(s),
	    (size_t)jv_string_length_bytes(jv_copy(s)));
	jv_free(s);
}

/*
 * Append x (consumed) as compact JSON, byte for byte what jq 1.6's
 * jv_dump_string(x, 0) gives, without its per-character appends.
 */
static void
put_value(struct cvx_buf *b, jv x)
{
	int i, n;
	jv k;

	switch (jv_get_kind(x)) {
	case JV_KIND_NULL:
		cvx_buf_add(b, "null", 4);
		break;
	case JV_KIND_FALSE:
		cvx_buf_add(b, "false", 5);
		break;
	case JV_KIND_TRUE:
		cvx_buf_add(b, "true", 4);
		break;
	case JV_KIND_NUMBER:
		put_number(b, jv_number_value(x));
		break;
	case JV_KIND_STRING:
		cvx_jq_quote(b, jv_string_value(x),
		    (size_t)jv_string_length_bytes(jv_copy(x)));
		break;
	case JV_KIND_ARRAY:
		cvx_buf_addc(b, '[');
		n = jv_array_length(jv_copy(x));
		for (i = 0; i < n; i++) {
			if (i > 0)
				cvx_buf_addc(b, ',');
			put_value(b, jv_array_get(jv_copy(x), i));
		}
		cvx_buf_addc(b, ']');
		break;
	case JV_KIND_OBJECT:
		cvx_buf_addc(b, '{');
		for (i = jv_object_iter(x); jv_object_iter_valid(x, i);
		    i = jv_object_iter_next(x, i)) {
			if (b->p[b->len - 1] != '{')
				cvx_buf_addc(b, ',');
			k = jv_object_iter_key(x, i);
			cvx_jq_quote(b, jv_string_value(k),
			    (size_t)jv_string_length_bytes(jv_copy(k)));
			jv_free(k);
			cvx_buf_addc(b, ':');
			put_value(b, jv_object_iter_value(x, i));
		}
		cvx_buf_addc(b, '}');
		break;
	default:
		/* Not reached: jq_next's invalid values are handled first. */
		break;
	}
	jv_free(x);
}

/* Record that line idx of c is rejected (or is an abort line). */
static void
rec_add(struct chunk *c, enum rec_kind kind, uint64_t idx, const char *line,
    size_t len, const char *msg, size_t msglen)
{
	struct rec *r;

	if (c->nrecs == c->caprecs) {
		c->caprecs = c->caprecs ? c->caprecs * 2 : 8;
		c->recs = cvx_reallocarray(c->recs, c->caprecs,
		    sizeof(*c->recs));
	}
	r = &c->recs[c->nrecs++];
	r->kind = kind;
	r->off = c->out->len;
	r->idx = idx;
	r->in = (size_t)(line - c->in->p);
	r->inlen = len;
	r->msg = c->msgs.len;
	cvx_jq_message(&c->msgs, msg, msglen, MSG_MAX);
	r->msglen = c->msgs.len - r->msg;
}

/* Record a rejected line with a printf-style message. */
static void __attribute__((format(printf, 6, 7)))
reject(struct chunk *c, size_t out_len, uint64_t idx, const char *line,
    size_t len, const char *fmt, ...)
{
	char m[2 * MSG_MAX + 256];
	va_list ap;
	int n;

	/* Outputs made before the failure belong to the rejected line. */
	c->out->len = out_len;
	va_start(ap, fmt);
	n = vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	rec_add(c, REC_ERROR, idx, line, len, m,
	    (size_t)n < sizeof(m) ? (size_t)n : sizeof(m) - 1);
}

/* Does the raw JSON value val (a string with its quotes) name a -t table? */
static bool
table_selected(const char *val, size_t vlen)
{
	size_t i, n;

	if (vlen < 2 || val[0] != '"')
		return false;
	for (i = 0; i < ntables; i++) {
		n = strlen(tables[i]);
		if (n == vlen - 2 && memcmp(val + 1, tables[i], n) == 0)
			return true;
	}
	return false;
}

/* Run the program on one output-bound value; false if the line fails. */
static bool
run_jq(struct worker *w, struct chunk *c, uint64_t idx, const char *line,
    size_t len, jv value)
{
	size_t start = c->out->len;
	char buf[80];
	jv_kind kind;
	jv r, s, msg;

	jq_start(w->jq, value, 0);
	while (jv_is_valid(r = jq_next(w->jq))) {
		if ((kind = jv_get_kind(r)) != JV_KIND_OBJECT) {
			reject(c, start, idx, line, len,
			    "output is %s, not an object: %s",
			    jv_kind_name(kind),
			    jv_dump_string_trunc(r, buf, sizeof(buf)));
			return false;
		}
		put_value(c->out, r);
		cvx_buf_addc(c->out, '\n');
	}
	if (jq_halted(w->jq)) {
		/* halt and halt_error end the run in jq; here, the line. */
		jv_free(r);
		msg = jq_get_error_message(w->jq);
		s = jq_get_exit_code(w->jq);
		if (jv_is_valid(msg) && jv_get_kind(msg) != JV_KIND_STRING)
			msg = jv_dump_string(msg, 0);
		reject(c, start, idx, line, len,
		    "jq: program halted (exit status %d)%s%s",
		    jv_get_kind(s) == JV_KIND_NUMBER ?
		    (int)jv_number_value(jv_copy(s)) : 0,
		    jv_is_valid(msg) ? ": " : "",
		    jv_is_valid(msg) ? jv_string_value(msg) : "");
		jv_free(msg);
		jv_free(s);
		return false;
	}
	if (jv_invalid_has_msg(jv_copy(r))) {
		msg = jv_invalid_get_msg(r);
		if (jv_get_kind(msg) == JV_KIND_STRING)
			reject(c, start, idx, line, len, "jq: error: %s",
			    jv_string_value(msg));
		else
			reject(c, start, idx, line, len,
			    "jq: error (not a string): %s",
			    jv_dump_string_trunc(msg, buf, sizeof(buf)));
		jv_free(msg);
		return false;
	}
	jv_free(r);
	return true;
}

/* Process one input line of c; false if it stops the chunk. */
static bool
do_line(struct worker *w, struct chunk *c, uint64_t idx, const char *line,
    size_t len)
{
	struct cvx_json_error je;
	size_t n = len, at, blen;
	const char *val, *p = line;
	size_t vlen;
	jv v;
	int r;

	if (cvx_is_abort(line, len, NULL)) {
		rec_add(c, REC_ABORT, idx, line, len, "", 0);
		return false;
	}
	/* A CR before the LF is whitespace to JSON; keep it out of scans. */
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (ntables > 0) {
		r = cvx_json_get(line, n, "_table", 6, &val, &vlen, &je);
		if (r == 1 && !table_selected(val, vlen))
			r = 0;
		if (r == 0) {
			cvx_buf_add(c->out, line, len);
			cvx_buf_addc(c->out, '\n');
			return true;
		}
	} else
		r = cvx_json_check(line, n, &je);
	if (r < 0) {
		reject(c, c->out->len, idx, line, len,
		    "invalid JSON at byte %zu: %s", je.offset + 1, je.msg);
		return max_errors != 1;
	}
	if ((at = cvx_json_find_bigint(line, n, 0, &blen)) < n) {
		if (!int64_string) {
			reject(c, c->out->len, idx, line, len,
			    "integer %.*s at byte %zu is beyond +-2^53, which "
			    "jq 1.6 would change (use --int64 string)",
			    (int)blen, line + at, at + 1);
			return max_errors != 1;
		}
		cvx_buf_reset(&w->scratch);
		cvx_json_quote_bigints(line, n, &w->scratch);
		p = w->scratch.p;
		n = w->scratch.len;
	}
	if (n > INT_MAX) {
		reject(c, c->out->len, idx, line, len, "line too long for jq");
		return max_errors != 1;
	}
	v = build_value(skip_ws(p), &p, &w->tmp);
	if (!run_jq(w, c, idx, line, len, v))
		return max_errors != 1;
	return true;
}

/* Run the program on every line of a chunk (in a worker thread). */
static void
do_chunk(void *worker, struct cvx_chunk *chunk)
{
	struct worker *w = worker;
	struct chunk *c;
	const char *p, *end, *nl;
	size_t len;

	if (w->jq == NULL && (w->jq = prog_compile(w)) == NULL)
		cvx_die("%s", w->msg.p);
	if (chunk->data == NULL)
		chunk->data = cvx_calloc(1, sizeof(*c));
	c = chunk->data;
	c->in = &chunk->in;
	c->out = &chunk->out;
	cvx_buf_reset(&c->msgs);
	c->nrecs = 0;
	c->nlines = 0;
	p = c->in->p;
	end = p + c->in->len;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		c->nlines++;
		if (!do_line(w, c, c->nlines, p, len))
			break;
		p += len + 1;
	}
}

/* Write out what the errors file has buffered; die if it fails. */
static void
errors_flush(void)
{
	if (errors_fd >= 0 && errors_buf.len > 0 &&
	    cvx_write_all(errors_fd, errors_buf.p, errors_buf.len) != 0)
		cvx_die("%s: %s", errors_path, strerror(errno));
	cvx_buf_reset(&errors_buf);
}

/* Act on a rejected line, in input order: report, record, maybe stop. */
static void
handle_error(const struct chunk *c, const struct rec *r, uint64_t lineno)
{
	static struct cvx_buf clean;
	const char *msg = c->msgs.p + r->msg;

	nerrors++;
	if (errors_fd >= 0) {
		cvx_buf_printf(&errors_buf, "{\"line\":%ju,\"error\":",
		    (uintmax_t)lineno);
		cvx_json_quote(&errors_buf, msg, r->msglen);
		cvx_buf_adds(&errors_buf, ",\"input\":");
		cvx_buf_reset(&clean);
		cvx_utf8_clean(&clean, c->in->p + r->in, r->inlen);
		cvx_json_quote(&errors_buf, clean.p, clean.len);
		cvx_buf_adds(&errors_buf, "}\n");
		if (errors_buf.len >= 65536)
			errors_flush();
	}
	if (max_errors == 0 || nerrors < max_errors) {
		warnx("%s: line %ju: %.*s", in_name, (uintmax_t)lineno,
		    (int)r->msglen, msg);
		return;
	}
	errors_flush();
	cvx_out_flush(&out);
	if (max_errors == 1)
		cvx_die("%s: line %ju: %.*s", in_name, (uintmax_t)lineno,
		    (int)r->msglen, msg);
	warnx("%s: line %ju: %.*s", in_name, (uintmax_t)lineno,
	    (int)r->msglen, msg);
	cvx_die("%s: giving up after %lu rejected lines", in_name, nerrors);
}

/* Pass an upstream abort line on, after the output before it; exit 1. */
static void __attribute__((noreturn))
handle_abort(const struct chunk *c, const struct rec *r, uint64_t lineno)
{
	char *reason;

	reason = cvx_memdup(c->in->p + r->in + CVX_ABORT_PREFIX_LEN,
	    r->inlen - CVX_ABORT_PREFIX_LEN + 1);
	reason[r->inlen - CVX_ABORT_PREFIX_LEN] = '\0';
	errors_flush();
	cvx_out_flush(&out);
	cvx_stream_register(NULL);
	/* The message before the line, as cvx_die: causes report first. */
	warnx("%s: line %ju: upstream failed: %s", in_name,
	    (uintmax_t)lineno, reason);
	cvx_out_abort(&out, reason);
	exit(1);
}

/* Write part of a chunk's output (p may be NULL when n is 0). */
static void
put_out(const char *p, size_t n)
{
	if (n > 0)
		cvx_out_write(&out, p, n);
}

/* Write a processed chunk, in input order: output, records acted on. */
static void
write_chunk(struct cvx_chunk *chunk)
{
	struct chunk *c = chunk->data;
	size_t pos = 0, i;
	struct rec *r;

	for (i = 0; i < c->nrecs; i++) {
		r = &c->recs[i];
		put_out(c->out->p + pos, r->off - pos);
		pos = r->off;
		if (r->kind == REC_ABORT)
			handle_abort(c, r, lines_done + r->idx);
		handle_error(c, r, lines_done + r->idx);
	}
	put_out(c->out->p + pos, c->out->len - pos);
	lines_done += c->nlines;
}

/* Push out the buffered output: the input has nothing more for now. */
static void
flush_out(void)
{
	cvx_out_flush(&out);
}

/* Free a chunk's records at the end. */
static void
release_chunk(struct cvx_chunk *chunk)
{
	struct chunk *c = chunk->data;

	if (c != NULL) {
		cvx_buf_free(&c->msgs);
		free(c->recs);
		free(c);
	}
}

/* Parse a positive decimal number for option opt, or exit 2. */
static unsigned long
number_arg(const char *s, const char *opt, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > max)
		bad_usage("%s: invalid number: %s", opt, s);
	return v;
}

/* Add a program argument; value_or_path is a file name for ARG_SLURP. */
static void
arg_add(enum arg_kind kind, const char *name, const char *value_or_path)
{
	struct prog_arg *a;

	args = cvx_reallocarray(args, nargs + 1, sizeof(*args));
	a = &args[nargs++];
	memset(a, 0, sizeof(*a));
	a->name = name;
	a->kind = kind;
	if (kind == ARG_SLURP)
		slurp(value_or_path, &a->text);
	else
		cvx_buf_adds(&a->text, value_or_path);
}

/* Add s to a growing array of strings. */
static void
list_add(const char ***list, size_t *n, const char *s)
{
	*list = cvx_reallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = s;
}

/* Set the program text, from the operand or from -f FILE. */
static void
prog_load(const char *file, const char *text)
{
	struct cvx_buf b = {0};
	char *copy, *dir;

	if (file == NULL) {
		cvx_jq_program(&prog_text, text);
		prog_origin = cvx_strdup(".");
		return;
	}
	slurp(file, &b);
	if (memchr(b.p, '\0', b.len) != NULL)
		errx(2, "%s: NUL byte in program", file);
	cvx_jq_program(&prog_text, b.p);
	cvx_buf_free(&b);
	copy = cvx_strdup(file);
	dir = dirname(copy);
	if ((prog_origin = realpath(dir, NULL)) == NULL)
		prog_origin = cvx_strdup(dir);
	free(copy);
}

int
main(int argc, char *argv[])
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
	static const struct cvx_chunk_ops ops = {
		do_chunk, write_chunk, flush_out, release_chunk
	};
	struct worker *workers;
	void **wptr;
	const char *prog_file = NULL, *file, *value;
	bool max_set = false;
	int ch, fd, rerr;
	long i;

	cvx_stderr_lines();
	jobs = cvx_cpu_count();
	while ((ch = getopt_long(argc, argv, "f:hj:L:t:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'A':
		case 'J':
		case 'S':
			/* Two operands: NAME here, the value next. */
			if (optind >= argc)
				bad_usage("--%s %s: missing value",
				    ch == 'A' ? "arg" : ch == 'J' ? "argjson" :
				    "slurpfile", optarg);
			value = argv[optind++];
			arg_add(ch == 'A' ? ARG_STRING : ch == 'J' ?
			    ARG_JSON : ARG_SLURP, optarg, value);
			break;
		case 'E':
			errors_path = optarg;
			break;
		case 'f':
			prog_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return cvx_close_stdout();
		case 'I':
			if (strcmp(optarg, "string") == 0)
				int64_string = true;
			else if (strcmp(optarg, "error") == 0)
				int64_string = false;
			else
				bad_usage("--int64: expected error or string: "
				    "%s", optarg);
			break;
		case 'j':
			jobs = (long)number_arg(optarg, "-j", 1024);
			if (jobs == 0)
				bad_usage("-j: must be at least 1");
			break;
		case 'L':
			/* As jq(1) does: relative to the working directory. */
			if ((value = realpath(optarg, NULL)) == NULL)
				value = optarg;
			list_add(&lib_dirs, &nlib_dirs, value);
			break;
		case 'M':
			max_errors = number_arg(optarg, "--max-errors",
			    ULONG_MAX);
			max_set = true;
			break;
		case 't':
			list_add(&tables, &ntables, optarg);
			break;
		case 'V':
			puts("cvx-jsonl-map " CVX_VERSION);
			return cvx_close_stdout();
		default:
			bad_usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (prog_file == NULL && argc < 1)
		bad_usage("no filter given");
	if (argc > (prog_file == NULL ? 2 : 1))
		bad_usage("too many operands");
	/* With an errors file the default is to keep going. */
	if (errors_path != NULL && !max_set)
		max_errors = 0;

	prog_load(prog_file, prog_file == NULL ? argv[0] : NULL);
	file = argc > (prog_file == NULL ? 1 : 0) ? argv[argc - 1] : NULL;
	args_check();
	workers = cvx_calloc((size_t)jobs, sizeof(*workers));
	wptr = cvx_calloc((size_t)jobs, sizeof(*wptr));
	if ((workers[0].jq = prog_compile(&workers[0])) == NULL)
		compile_failed(&workers[0].msg);
	if (jobs > 1)
		regex_warm_up();
	/* From here on a failure must reach the consumer: see cvx_die. */
	cvx_out_init(&out, 1, "stdout");
	cvx_stream_register(&out);
	in_name = cvx_input_name(file);
	if ((fd = cvx_open_input(file)) < 0)
		cvx_die("%s: %s", in_name, strerror(errno));
	if (errors_path != NULL && (errors_fd = open(errors_path,
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
		cvx_die("%s: %s", errors_path, strerror(errno));

	for (i = 0; i < jobs; i++)
		wptr[i] = &workers[i];
	rerr = cvx_chunks_run(fd, (size_t)jobs, wptr, &ops);
	for (i = 0; i < jobs; i++) {
		if (workers[i].jq != NULL)
			jq_teardown(&workers[i].jq);
		cvx_buf_free(&workers[i].scratch);
		cvx_buf_free(&workers[i].tmp);
		cvx_buf_free(&workers[i].msg);
	}
	free(workers);
	free(wptr);
	if (rerr != 0) {
		errors_flush();
		cvx_out_flush(&out);
		cvx_die("%s: %s", in_name, strerror(rerr));
	}
	errors_flush();
	if (errors_fd >= 0 && close(errors_fd) != 0)
		cvx_die("%s: %s", errors_path, strerror(errno));
	if (cvx_out_close(&out) != 0)
		return 1;
	return nerrors > 0 ? 1 : 0;
}
