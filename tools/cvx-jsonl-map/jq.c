/* SPDX-License-Identifier: MIT */
/* jq.c: cvx-jsonl-map's program through libjq: load, compile, run a line. */
#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jq.h>

#include "cvx-jsonl-map.h"

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
/* The program as compiled (library inserted) and its directory. */
static struct cvx_buf prog_text;
/* The program as the user wrote it (for fast.c). */
static char *prog_user;
static char *prog_origin;

/* Read all of a file (or stdin for "-") into b; exit 2 if it fails. */
static void
slurp(const char *path, struct cvx_buf *b)
{
	ssize_t n;
	int fd;

	if ((fd = cvx_open_input(path)) < 0)
		cvx_fail(2, "%s: %s", path, strerror(errno));
	for (;;) {
		cvx_buf_grow(b, 65536);
		n = read(fd, b->p + b->len, b->cap - b->len - 1);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			cvx_fail(2, "%s: %s", path, strerror(errno));
		b->len += (size_t)n;
		b->p[b->len] = '\0';
	}
	if (fd != 0)
		close(fd);
}

void
prog_arg_add(enum arg_kind kind, const char *name, const char *value_or_path)
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

void
prog_lib_dir(const char *dir)
{
	const char *abs;

	/* As jq(1) does: relative to the working directory. */
	if ((abs = realpath(dir, NULL)) == NULL)
		abs = dir;
	lib_dirs = cvx_reallocarray(lib_dirs, nlib_dirs + 1,
	    sizeof(*lib_dirs));
	lib_dirs[nlib_dirs++] = abs;
}

void
prog_load(const char *file, const char *text)
{
	struct cvx_buf b = {0};
	char *copy, *dir;

	if (file == NULL) {
		prog_user = cvx_strdup(text);
		cvx_jq_program(&prog_text, text);
		prog_origin = cvx_strdup(".");
		return;
	}
	slurp(file, &b);
	if (memchr(b.p, '\0', b.len) != NULL)
		cvx_fail(2, "%s: NUL byte in program", file);
	cvx_jq_program(&prog_text, b.p);
	prog_user = b.p;	/* kept */
	copy = cvx_strdup(file);
	dir = dirname(copy);
	if ((prog_origin = realpath(dir, NULL)) == NULL)
		prog_origin = cvx_strdup(dir);
	free(copy);
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

const char *
prog_source(void)
{
	return prog_user;
}

void
prog_args_check(void)
{
	jv v, msg;
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (args[i].kind == ARG_STRING)
			continue;
		v = parse_text(&args[i].text, args[i].kind == ARG_SLURP);
		if (!jv_is_valid(v)) {
			msg = jv_invalid_get_msg(v);
			cvx_fail(2, "%s %s: invalid JSON: %s",
			    args[i].kind == ARG_JSON ? "--argjson" :
			    "--slurpfile", args[i].name,
			    jv_get_kind(msg) == JV_KIND_STRING ?
			    jv_string_value(msg) : "no value");
		}
		jv_free(v);
	}
}

struct jq_state *
prog_compile(struct cvx_buf *msgs)
{
	jq_state *jq;
	jv dirs = jv_array();
	char exe[PATH_MAX];
	ssize_t n;
	size_t i;

	if ((jq = jq_init()) == NULL)
		cvx_die("jq_init: out of memory");
	jq_set_error_cb(jq, compile_msg_cb, msgs);
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
	cfunc_install(jq);
	return jq;
}

void
prog_compile_failed(struct cvx_buf *msgs)
{
	char *line, *next, *save = NULL;

	line = strtok_r(msgs->p, "\n", &save);
	for (; line != NULL; line = next) {
		if ((next = strtok_r(NULL, "\n", &save)) == NULL)
			break;
		warnx("%s", line);
	}
	cvx_fail(2, "%s", line != NULL ? line : "jq: compile error");
}

void
prog_regex_warm_up(void)
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

void
prog_free(struct jq_state **jq)
{
	if (*jq != NULL) {
		cfunc_free(*jq);
		jq_teardown(jq);
	}
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
 * Numbers jq prints through its dtoa, kept per thread by their bits: the
 * same timestamp often goes out several times (created_at, updated_at),
 * and a dtoa call costs more than the rest of the number's way.
 */
#define NUM_CACHE	64
struct num_cached {
	uint64_t	 bits;
	unsigned char	 len;	/* 0: empty */
	char		 text[31];
};
static _Thread_local struct num_cached num_cache[NUM_CACHE];

void
jq_put_number(struct cvx_buf *b, double d)
{
	char digits[24];
	struct num_cached *c;
	uint64_t bits;
	size_t len;
	jv s;

	if (fabs(d) < 1e15 && d == (double)(long long)d && !(d == 0 &&
	    signbit(d))) {
		cvx_buf_add(b, digits, (size_t)snprintf(digits,
		    sizeof(digits), "%lld", (long long)d));
		return;
	}
	memcpy(&bits, &d, sizeof(bits));
	c = &num_cache[(bits ^ (bits >> 29) ^ (bits >> 47)) % NUM_CACHE];
	if (c->len > 0 && c->bits == bits) {
		cvx_buf_add(b, c->text, c->len);
		return;
	}
	s = jv_dump_string(jv_number(d), 0);
	len = (size_t)jv_string_length_bytes(jv_copy(s));
	cvx_buf_add(b, jv_string_value(s), len);
	if (len < sizeof(c->text)) {
		c->bits = bits;
		c->len = (unsigned char)len;
		memcpy(c->text, jv_string_value(s), len);
	}
	jv_free(s);
}

/*
 * Append s[0..n) as a JSON string as jq prints it: copied whole when no
 * byte needs an escape (a control, '"', '\\', DEL), which eight-byte words
 * show at once, else through cvx_jq_quote.
 */
static void
put_string(struct cvx_buf *b, const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t x, y, z, w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, s + i, 8);
		y = x ^ (ones * '"');
		z = x ^ (ones * '\\');
		w = x ^ (ones * 0x7f);
		/* a zero byte in y, z or w, or a byte of x below 0x20 */
		if ((((y - ones) & ~y) | ((z - ones) & ~z) |
		    ((w - ones) & ~w) | ((x - ones * 0x20) & ~x)) & highs)
			break;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '"' ||
		    s[i] == '\\' || s[i] == 0x7f)
			break;
	if (i < n) {
		cvx_jq_quote(b, s, n);
		return;
	}
	cvx_buf_grow(b, n + 2);
	b->p[b->len++] = '"';
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
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
		jq_put_number(b, jv_number_value(x));
		break;
	case JV_KIND_STRING:
		put_string(b, jv_string_value(x),
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
			put_string(b, jv_string_value(k),
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

bool
prog_run(struct jq_state *jq, const char *json, size_t n,
    struct cvx_buf *tmp, struct cvx_buf *out, struct cvx_buf *why)
{
	const char *end;
	char buf[80];
	jv_kind kind;
	jv r, s, msg;

	cvx_buf_reset(why);
	if (n > INT_MAX) {
		cvx_buf_adds(why, "line too long for jq");
		return false;
	}
	jq_start(jq, build_value(skip_ws(json), &end, tmp), 0);
	while (jv_is_valid(r = jq_next(jq))) {
		if ((kind = jv_get_kind(r)) != JV_KIND_OBJECT) {
			cvx_buf_printf(why, "output is %s, not an object: %s",
			    jv_kind_name(kind),
			    jv_dump_string_trunc(r, buf, sizeof(buf)));
			return false;
		}
		put_value(out, r);
		cvx_buf_addc(out, '\n');
	}
	if (jq_halted(jq)) {
		/* halt and halt_error end the run in jq; here, the line. */
		jv_free(r);
		msg = jq_get_error_message(jq);
		s = jq_get_exit_code(jq);
		if (jv_is_valid(msg) && jv_get_kind(msg) != JV_KIND_STRING)
			msg = jv_dump_string(msg, 0);
		cvx_buf_printf(why, "jq: program halted (exit status %d)%s%s",
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
			cvx_buf_printf(why, "jq: error: %s",
			    jv_string_value(msg));
		else
			cvx_buf_printf(why, "jq: error (not a string): %s",
			    jv_dump_string_trunc(msg, buf, sizeof(buf)));
		jv_free(msg);
		return false;
	}
	jv_free(r);
	return true;
}
