/* SPDX-License-Identifier: MIT */
/*
 * stream.c: the stream contract, owned here and nowhere else (design.md,
 * "The stream contract"): how a failure ends the stream (the abort line),
 * how a consumer passes one on, and how the `_table` / `_component` tag is
 * read and written.
 */
#define _GNU_SOURCE		/* program_invocation_short_name */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx.h"

/* ---- failure and the abort line ---------------------------------------- */

/* Abort lines are wanted: a stream writer whose stdout is no terminal. */
static volatile sig_atomic_t abort_wanted;
/* The last byte written to fd 1 ended a line (else: unknown, or not). */
static volatile sig_atomic_t stream_bol = 1;
/* The buffered output whose unwritten bytes a failure drops. */
static struct cvx_out *stream_out;
/* The first failure (or signal) ends the process; others wait for it. */
static atomic_int dying;

/*
 * Static room for one message and one abort line: nothing on the failure
 * path allocates, so "out of memory" is reported like any other failure.
 */
static char msg_buf[CVX_ABORT_MAX + 1];
static char line_buf[CVX_ABORT_MAX + 256];

/* Append s[0..n) at *len in buf (room cap), one line: CR and LF as spaces. */
static void
put_oneline(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && *len < cap; i++)
		buf[(*len)++] = s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];
}

/*
 * Write "#cvx-abort REASON\n" to fd 1, after a '\n' unless the last byte
 * written ended a line.  Async-signal-safe: write(2) and static memory.
 */
static void
write_abort(const char *reason, size_t n)
{
	size_t len = 0, cap = sizeof(line_buf) - 1;

	if (!abort_wanted)
		return;
	if (stream_out != NULL)
		stream_out->len = 0;	/* no document follows a failure */
	if (!stream_bol)
		line_buf[len++] = '\n';
	put_oneline(line_buf, cap, &len, CVX_ABORT_PREFIX,
	    CVX_ABORT_PREFIX_LEN);
	put_oneline(line_buf, cap, &len, reason, n);
	line_buf[len++] = '\n';
	(void)cvx_write_all(1, line_buf, len);
	stream_bol = 1;
}

/* Write s[0..n) as one line on stderr, in one write(2). */
static void
write_stderr(const char *s, size_t n)
{
	size_t len = 0, cap = sizeof(line_buf) - 1;

	cvx_progress_break();	/* the message starts a clean line */
	put_oneline(line_buf, cap, &len, s, n);
	line_buf[len++] = '\n';
	(void)cvx_write_all(2, line_buf, len);
}

/*
 * Put "cvx-foo: " and then the formatted message in msg_buf (cut to fit).
 * Returns the length.  fmt NULL: the text alone.
 */
static size_t put_msg(const char *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static size_t
put_msg(const char *text, const char *fmt, va_list ap)
{
	const char *prog = program_invocation_short_name;
	size_t len = 0, cap = sizeof(msg_buf) - 1;
	int n;

	put_oneline(msg_buf, cap, &len, prog, strlen(prog));
	put_oneline(msg_buf, cap, &len, ": ", 2);
	if (fmt == NULL) {
		put_oneline(msg_buf, cap, &len, text, strlen(text));
		return len;
	}
	n = vsnprintf(msg_buf + len, sizeof(msg_buf) - len, fmt, ap);
	if (n > 0)
		len = len + (size_t)n < cap ? len + (size_t)n : cap;
	return len;
}

/*
 * Claim the failure path.  A second failure (another thread, or a signal
 * during the first) must not interleave its lines with the first's: a
 * thread waits for the process to end, a signal handler returns.
 */
static bool
claim(bool may_wait)
{
	int expected = 0;

	if (atomic_compare_exchange_strong(&dying, &expected, 1))
		return true;
	while (may_wait)
		pause();
	return false;
}

/* SIGINT, SIGTERM, SIGHUP, SIGABRT in a stream writer: abort line, then
 * die of it. */
static void
on_signal(int sig)
{
	const char *prog = program_invocation_short_name;
	const char *what = sig == SIGINT ? ": interrupted (SIGINT)" :
	    sig == SIGTERM ? ": terminated (SIGTERM)" :
	    sig == SIGHUP ? ": hangup (SIGHUP)" :
	    ": aborted (SIGABRT): a failed assertion, in a library or ours";
	size_t len = 0, cap = sizeof(msg_buf) - 1;

	if (!claim(false))
		return;
	put_oneline(msg_buf, cap, &len, prog, strlen(prog));
	put_oneline(msg_buf, cap, &len, what, strlen(what));
	write_stderr(msg_buf, len);
	write_abort(msg_buf, len);
	signal(sig, SIG_DFL);
	raise(sig);
}

void
cvx_stream_writer(void)
{
	/*
	 * SIGABRT too: libjq 1.6 asserts on some inputs (todate of a time
	 * past the year 2^31), and a crash must not end the stream as if it
	 * were complete.  Not SIGSEGV: the sanitizers report those.
	 */
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGABRT };
	struct sigaction sa;
	size_t i;

	/*
	 * Past a file-size limit (ulimit -f) write(2) fails with EFBIG,
	 * which every write reports, where SIGXFSZ would kill the tool
	 * before it says a word or writes the abort line.
	 */
	signal(SIGXFSZ, SIG_IGN);
	/* On a terminal the person reads stderr; the line would be noise. */
	if (isatty(1))
		return;
	abort_wanted = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		/* A signal ignored by the shell (nohup, &) stays ignored. */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		(void)sigaction(sigs[i], &sa, NULL);
	}
}

void
cvx_stream_not_writer(void)
{
	abort_wanted = 0;
}

void
cvx_stream_register(struct cvx_out *o)
{
	stream_out = o;
}

void
cvx_stream_at_bol(bool at_bol)
{
	stream_bol = at_bol;
}

static void vfail(int, const char *, va_list)
    __attribute__((noreturn, format(printf, 2, 0)));

static void
vfail(int status, const char *fmt, va_list ap)
{
	size_t len;

	(void)claim(true);
	/* What stdio holds (a progress line) goes before the message. */
	(void)fflush(stderr);
	len = put_msg(NULL, fmt, ap);
	write_stderr(msg_buf, len);
	write_abort(msg_buf, len);
	exit(status);
}

void
cvx_fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(status, fmt, ap);
}

void
cvx_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(1, fmt, ap);
}

void
cvx_usage_fail(const char *usage, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	(void)claim(true);
	(void)fflush(stderr);
	va_start(ap, fmt);
	len = put_msg("usage error", fmt, ap);
	va_end(ap);
	/* getopt has said what was wrong when fmt is NULL. */
	if (fmt != NULL)
		write_stderr(msg_buf, len);
	(void)cvx_write_all(2, usage, strlen(usage));
	write_abort(msg_buf, len);
	exit(2);
}

void
cvx_usage_help(const char *usage)
{
	fputs(usage, stdout);
	exit(cvx_close_stdout());
}

bool
cvx_is_abort(const char *line, size_t len, const char **reason)
{
	if (len < CVX_ABORT_PREFIX_LEN ||
	    memcmp(line, CVX_ABORT_PREFIX, CVX_ABORT_PREFIX_LEN) != 0)
		return false;
	if (reason != NULL)
		*reason = line + CVX_ABORT_PREFIX_LEN;
	return true;
}

void
cvx_abort_relay(const char *name, uint64_t lineno, const char *line,
    size_t len)
{
	const char *prog = program_invocation_short_name;
	const char *reason = line + CVX_ABORT_PREFIX_LEN;
	size_t rlen = len - CVX_ABORT_PREFIX_LEN, n;
	int k;

	(void)claim(true);
	(void)fflush(stderr);
	if (rlen > 0 && reason[rlen - 1] == '\r')
		rlen--;
	k = snprintf(msg_buf, sizeof(msg_buf), "%s: %s: line %ju: upstream "
	    "failed: ", prog, name, (uintmax_t)lineno);
	n = k < 0 ? 0 : (size_t)k < sizeof(msg_buf) ? (size_t)k :
	    sizeof(msg_buf) - 1;
	put_oneline(msg_buf, sizeof(msg_buf) - 1, &n, reason, rlen);
	write_stderr(msg_buf, n);
	/* Passed on as it came: the first stage's words reach the last. */
	write_abort(reason, rlen);
	exit(1);
}

/* ---- the tag ----------------------------------------------------------- */

int
cvx_tag_key_escaped(const char *key, size_t klen)
{
	struct cvx_buf d = {0};
	int r = 0;

	if (cvx_json_unescape(key, klen, &d, CVX_NUL_KEEP) == 0 &&
	    d.len < klen)
		r = cvx_tag_key(d.p, d.len);
	cvx_buf_free(&d);
	return r;
}

static int
take_cb(void *ctx, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	(void)cvx_tag_take(ctx, key, klen, val, vlen);
	return 0;
}

int
cvx_tag_scan(const char *s, size_t n, struct cvx_tag *t,
    struct cvx_json_error *e)
{
	memset(t, 0, sizeof(*t));
	return cvx_json_scan_object(s, n, take_cb, t, e);
}

/*
 * Append the name held in the JSON value v[0..n) to id, decoded, and check
 * it.  Returns NULL, or the static message for what is wrong.
 */
static const char *
tag_name(struct cvx_buf *id, const char *v, size_t n, bool table)
{
	size_t i, start = id->len;

	if (v[0] != '"')
		return table ? "_table is not a string" :
		    "_component is not a string";
	if (memchr(v + 1, '\\', n - 2) == NULL)
		cvx_buf_add(id, v + 1, n - 2);
	else if (cvx_json_unescape(v + 1, n - 2, id, CVX_NUL_KEEP) != 0)
		return table ? "invalid escape in _table" :
		    "invalid escape in _component";
	if (table && id->len == start)
		return "_table is empty";
	if (id->len - start > CVX_TAG_MAX)
		return table ? "_table is longer than 255 bytes" :
		    "_component is longer than 255 bytes";
	for (i = start; i < id->len; i++)
		if ((unsigned char)id->p[i] < 0x20 || id->p[i] == 0x7f)
			return table ? "control character in _table" :
			    "control character in _component";
	return NULL;
}

int
cvx_tag_identity(const struct cvx_tag *t, struct cvx_buf *id,
    const char **why, const char **at)
{
	cvx_buf_reset(id);
	*at = NULL;
	if (t->table == NULL && t->component == NULL)
		return 0;
	if (t->twice != 0) {
		*why = t->twice == 1 ? "_table given twice" :
		    "_component given twice";
		*at = t->twice == 1 ? t->table : t->component;
		return -1;
	}
	if (t->table == NULL) {
		*why = "_component without _table";
		*at = t->component;
		return -1;
	}
	if (t->component != NULL) {
		*at = t->component;
		if ((*why = tag_name(id, t->component, t->clen, false)) != NULL)
			return -1;
		/* An empty _component is the root (as cvx_tag_build has it). */
		if (id->len > 0)
			cvx_buf_addc(id, ':');
	}
	*at = t->table;
	if ((*why = tag_name(id, t->table, t->tlen, true)) != NULL)
		return -1;
	*at = NULL;
	return 1;
}

void
cvx_tag_build(struct cvx_buf *tag, const char *table, const char *component)
{
	cvx_buf_reset(tag);
	cvx_buf_adds(tag, "\"_table\":");
	cvx_json_quote(tag, table, strlen(table));
	cvx_buf_addc(tag, ',');
	if (component != NULL && *component != '\0') {
		cvx_buf_adds(tag, "\"_component\":");
		cvx_json_quote(tag, component, strlen(component));
		cvx_buf_addc(tag, ',');
	}
}

void
cvx_out_tagged(struct cvx_out *o, const struct cvx_buf *tag, const char *doc,
    size_t n)
{
	size_t i = 1;

	cvx_out_write(o, "{", 1);
	/* {} (whitespace allowed inside): the tag alone, no comma after it. */
	while (i < n && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' ||
	    doc[i] == '\r'))
		i++;
	if (i < n && doc[i] == '}')
		cvx_out_write(o, tag->p, tag->len - 1);
	else
		cvx_out_write(o, tag->p, tag->len);
	cvx_out_write(o, doc + 1, n - 1);
	cvx_out_write(o, "\n", 1);
}
