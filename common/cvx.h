/* SPDX-License-Identifier: MIT */
/*
 * cvx.h: what the cvx tools share (libcvx.a).
 *
 * Nothing here calls libjq, libpq or libcrypto: each library belongs to
 * the tool that needs it.  The one exception is the export reader's ZIP
 * half (exportzip.c, libarchive), shared by cvx-unzip and cvx-schema: a
 * static archive gives a tool only the objects it uses, so the other
 * tools neither pull it nor link libarchive.  Errors are reported with
 * err(3)-style lines, "cvx-foo: where: what".
 */
#ifndef CVX_H
#define CVX_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CVX_VERSION "0.1.0"

/* Buffer size for byte I/O (read, write, pipe capacity): 1 MiB. */
#define CVX_IOSIZE (1024 * 1024)

/* ---- alloc.c: allocation that never returns NULL ---------------------- */

/*
 * cvx_malloc, cvx_calloc, cvx_realloc, cvx_reallocarray, cvx_strdup,
 * cvx_memdup: as their libc twins, but on failure they call cvx_die() (exit
 * 1, abort line if the stream has started), so callers never check for NULL.
 * cvx_reallocarray also dies on nmemb * size overflow.  The caller owns and
 * free(3)s the result.
 */
void *cvx_malloc(size_t size);
void *cvx_calloc(size_t nmemb, size_t size);
void *cvx_realloc(void *p, size_t size);
void *cvx_reallocarray(void *p, size_t nmemb, size_t size);
char *cvx_strdup(const char *s);
void *cvx_memdup(const void *p, size_t size);

/* ---- buf.c: growable byte buffer -------------------------------------- */

/*
 * A growable byte buffer.  Zero-initialise it ({0}) before use.  p is
 * NUL-terminated after every cvx_buf_* call that changes it (the NUL is not
 * counted in len), so p can be used as a C string when the content has no
 * NUL.  The buffer owns p; cvx_buf_free releases it.
 */
struct cvx_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* Make room for at least extra more bytes (plus the NUL). */
void cvx_buf_grow(struct cvx_buf *b, size_t extra);
/* Append n bytes of s. */
void cvx_buf_add(struct cvx_buf *b, const void *s, size_t n);
/*
 * Append one byte.  Inline: the printers call it for every brace, comma
 * and colon, and the call was a twentieth of cvx-jsonl-map's time.
 */
static inline void
cvx_buf_addc(struct cvx_buf *b, char c)
{
	if (b->cap - b->len < 2)
		cvx_buf_grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}
/* Append a NUL-terminated string. */
void cvx_buf_adds(struct cvx_buf *b, const char *s);
/* Append printf-formatted text. */
void cvx_buf_printf(struct cvx_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Empty the buffer, keeping its memory. */
void cvx_buf_reset(struct cvx_buf *b);
/* Release the memory; the buffer is empty ({0}) again afterwards. */
void cvx_buf_free(struct cvx_buf *b);

/* ---- io.c: input, output, exit ---------------------------------------- */

/*
 * Open an input operand for reading: NULL or "-" means standard input
 * (fd 0, returned as is); anything else is open(2)ed read-only with
 * O_CLOEXEC.  Returns the descriptor, or -1 with errno set.
 */
int cvx_open_input(const char *path);

/*
 * The name to use for an input operand in messages: "stdin" for NULL or
 * "-", else path itself (not copied).
 */
const char *cvx_input_name(const char *path);

/*
 * Read up to n bytes, retrying short reads and EINTR, until n bytes or end
 * of file.  Returns the byte count (< n only at end of file), or -1 with
 * errno set.
 */
ssize_t cvx_read_full(int fd, void *buf, size_t n);

/*
 * Write all n bytes of buf to fd, retrying short writes and EINTR.
 * Returns 0, or -1 with errno set (EPIPE only when SIGPIPE is ignored).
 */
int cvx_write_all(int fd, const void *buf, size_t n);

/*
 * Best effort: if fd is a pipe, raise its capacity to CVX_IOSIZE with
 * fcntl(F_SETPIPE_SZ) (Linux).  Across CPUs a 64 KiB pipe costs about three
 * times as much per byte as a 1 MiB one (design.md, performance facts).
 * Failure (not a pipe, over /proc/sys/fs/pipe-max-size) is ignored.
 */
void cvx_pipe_grow(int fd);

/*
 * Open a new, empty, already unlinked file for reading and writing in dir,
 * or in $TMPDIR (else /tmp) when dir is NULL: a spool that disappears with
 * the process, however it ends (O_TMPFILE on Linux, else mkstemp and
 * unlink).  The directory used is left in *where, for messages.  Returns
 * the descriptor (close-on-exec), or -1 with errno set.
 */
int cvx_tmpfile(const char *dir, struct cvx_buf *where);

/*
 * Make stderr line-buffered, so that each message goes out in one
 * write(2).  The stages of a pipe share one stderr, and glibc's warnx
 * writes the program name, the message and the newline separately: the
 * messages of two failing stages could splice mid-line ("…formatcvx-pg-load:").
 * Call first thing in main; a partial line (a progress line ending in
 * '\r') then needs an fflush(stderr).
 */
void cvx_stderr_lines(void);

/*
 * Flush and close stdout; report a write error (a full disk, a closed
 * pipe with SIGPIPE ignored) as "cvx-foo: stdout: ...".  Returns 0 on
 * success, 1 after an error, for use as `rval |= cvx_close_stdout()`.
 * After cvx_stream_out is used, call cvx_out_close() instead.
 */
int cvx_close_stdout(void);

/*
 * The number of CPUs this process may run on (sched_getaffinity: taskset
 * and cpusets count, not only what the machine has), >= 1.
 */
long cvx_cpu_count(void);

/* ---- progress.c: one progress line on stderr -------------------------- */

/*
 * The process's one progress line (cvx-unzip, cvx-pg-load): "cvx-foo:
 * LABEL: DONE of TOTAL (P%), RATE, ETA m:ss".  On a terminal it is
 * redrawn in place (at most 4 times a second) and erased at the end;
 * into a file or pipe it is one line a second and a last one.  The clock
 * is read only every 256 KiB or 1024 rows, so it costs nothing
 * measurable.  One thread at a time calls these.
 *
 * Init once after the options: mode -1 draws when stderr is a terminal
 * (the default), 1 always (--progress), 0 never (--no-progress, -q).
 */
void cvx_progress_init(int mode);
/* Whether the line is drawn at all. */
bool cvx_progress_on(void);
/*
 * Start a phase: counters to 0, label (not copied: it must live until
 * the next phase or label; NULL: none), total bytes expected (0:
 * unknown: no percentage, no ETA), rows: show the row count and rate
 * (percentage and ETA then come from the bytes).
 */
void cvx_progress_phase(const char *label, uint64_t total, bool rows);
/* A new label (not copied) within the phase: the table now worked on. */
void cvx_progress_label(const char *label);
/* bytes and rows more are done; draws when it is time. */
void cvx_progress_tick(uint64_t bytes, uint64_t rows);
/* The phase is over: erase the line (terminal) or write the last one. */
void cvx_progress_end(void);
/*
 * Erase a partial progress line from the terminal so that a message
 * starts on a clean line.  Async-signal-safe (write(2)); the failure
 * path in stream.c calls it.
 */
void cvx_progress_break(void);

/* ---- opt.c: option values ---------------------------------------------- */

/*
 * Read s as a whole decimal number from 0 to max: ASCII digits only, no
 * sign, space or suffix (strtoul(3) would take "-1" as a huge number).
 * Returns 0 with *v set, or -1.  Every tool's numeric options use it, so
 * "-j 0x2" is refused the same way everywhere.
 */
int cvx_parse_uint(const char *s, uint64_t max, uint64_t *v);

/*
 * Append the names of the comma-separated list arg (the -t, -x, --int64
 * lists) to the array *v of *n owned strings (free each, then *v).
 * Returns 0, or -1 with nothing added for an empty list or an empty name
 * in it ("a,,b", "a,").
 */
int cvx_list_add(char ***v, size_t *n, const char *arg);

/*
 * Is the table identity name ("table", or "a/b:table" in a component)
 * matched by one of the -t globs inc[0..ninc) (none: every table) and by
 * none of the -x globs exc[0..nexc)?  fnmatch(3) with FNM_PATHNAME, so
 * '*' does not cross '/' (README, "One flag vocabulary").
 */
bool cvx_table_selected(const char *name, char *const *inc, size_t ninc,
    char *const *exc, size_t nexc);

/* ---- out.c: buffered stream output and the abort line ------------------ */

/*
 * Buffered output to a file descriptor, for the data stream.  Writes are
 * copied into a CVX_IOSIZE buffer and written with cvx_write_all when it
 * fills.  A write error is fatal (cvx_die with the errno text), so callers
 * need not check.  Fields other than fd are private.
 */
struct cvx_out {
	int	 fd;
	char	*buf;
	size_t	 len;
	size_t	 cap;
	bool	 started;	/* some byte has reached fd */
	bool	 at_bol;	/* the last byte to reach fd was '\n' */
	const char *name;	/* for messages: "stdout" */
};

/* Set up o for fd (usually 1); name is used in messages.  Grows a pipe. */
void cvx_out_init(struct cvx_out *o, int fd, const char *name);
/*
 * Append n bytes.  When the buffer fills, only its complete lines are
 * written (a line longer than the buffer is the exception), so the
 * consumer never sees half a document unless the tool exits cleanly.
 */
void cvx_out_write(struct cvx_out *o, const void *p, size_t n);
/* Write out what is buffered. */
void cvx_out_flush(struct cvx_out *o);
/* Flush, close fd, free the buffer.  Returns 0, or 1 after a close error. */
int cvx_out_close(struct cvx_out *o);

/* ---- lines.c: reading a stream line by line ---------------------------- */

/*
 * A line reader over a file descriptor with one growing buffer: memory is
 * bounded by the longest line, not by the input.  Zero-initialise, then
 * cvx_lines_init.  lineno is the 1-based number of the line last returned.
 */
struct cvx_lines {
	int	 fd;
	const char *name;	/* for messages */
	char	*buf;
	size_t	 cap;
	size_t	 start;		/* first unreturned byte */
	size_t	 end;		/* end of valid data */
	bool	 eof;
	uint64_t lineno;
	uint64_t bytes;		/* bytes consumed so far, newlines included */
};

/* Set up r to read fd; name is used in messages. */
void cvx_lines_init(struct cvx_lines *r, int fd, const char *name);

/*
 * Return the next line in *line / *len, without its '\n' (a '\r' before it
 * is kept: what to do with CRLF is the caller's rule).  The bytes stay
 * valid until the next call.  *nl is set to false for a last line that
 * has no '\n'.  Returns 1 for a line, 0 at end of input, -1 on a read
 * error (errno set).
 */
int cvx_lines_next(struct cvx_lines *r, const char **line, size_t *len,
    bool *nl);

/* Free the buffer (does not close fd). */
void cvx_lines_free(struct cvx_lines *r);

/* ---- json.c: RFC 8259 checking and scanning ---------------------------- */

/*
 * What went wrong in a JSON text: a static message ("unexpected character
 * 'x'", "invalid UTF-8", ...) and the 0-based byte offset where it was
 * found.
 */
struct cvx_json_error {
	const char *msg;
	size_t	 offset;
};

/* Deepest nesting of arrays and objects accepted by the checkers. */
#define CVX_JSON_MAX_DEPTH 512

/*
 * Check that s[0..n) is exactly one JSON text (RFC 8259 §2-§8: grammar,
 * optional surrounding whitespace) whose strings are valid UTF-8 (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF) and whose \u
 * escapes do not leave a surrogate unpaired (Convex rejects those).
 * Returns 0, or -1 with *e filled (e may be NULL).  Nesting deeper than
 * CVX_JSON_MAX_DEPTH is an error.  No allocation.
 */
int cvx_json_check(const char *s, size_t n, struct cvx_json_error *e);

/*
 * As cvx_json_check, but the text must be an object, with no whitespace
 * before '{' or after '}' (a stream line), and each top-level member is
 * reported: fn(ctx, key, klen, val, vlen) gets the key's raw bytes between
 * its quotes (escapes not decoded) and the value's bytes.  A nonzero
 * return from fn stops the scan and is returned; fn may be NULL.  Returns
 * 0 when the whole object was checked, -1 with *e on a JSON error.
 */
typedef int cvx_json_member_fn(void *ctx, const char *key, size_t klen,
    const char *val, size_t vlen);
int cvx_json_scan_object(const char *s, size_t n, cvx_json_member_fn *fn,
    void *ctx, struct cvx_json_error *e);

/*
 * Skip one JSON value starting at p (no leading whitespace), checking it
 * fully as cvx_json_check does.  Returns a pointer just past it, or NULL
 * with *e set (offset relative to base).
 */
const char *cvx_json_skip(const char *base, const char *p, const char *end,
    struct cvx_json_error *e);

/*
 * Find the top-level member named key (klen bytes, compared with the raw
 * key bytes, so a key written with escapes does not match: Convex and jq
 * never escape printable ASCII) of the object line s[0..n), checking the
 * line as cvx_json_scan_object does.  Returns 1 with *val / *vlen set to
 * the value's bytes, 0 if the object has no such key, -1 with *e on a JSON
 * error.
 */
int cvx_json_get(const char *s, size_t n, const char *key, size_t klen,
    const char **val, size_t *vlen, struct cvx_json_error *e);

/*
 * What to do with U+0000 in a string, which PostgreSQL text, json and
 * jsonb cannot store (design.md): fail, drop it, or write U+FFFD (the
 * choices of cvx-pg-load --nul, in this order); or keep it as a NUL byte,
 * where the text is not bound for PostgreSQL.  The rule acts on the JSON
 * escape \u0000 (the only way a checked JSON text can hold U+0000), never
 * on other bytes.
 */
enum cvx_nul_policy { CVX_NUL_REJECT, CVX_NUL_STRIP, CVX_NUL_REPLACE,
    CVX_NUL_KEEP };

/*
 * Decode the raw bytes of a JSON string (between the quotes) into UTF-8,
 * appending to out (RFC 8259 section 7, surrogate pairs joined); \u0000
 * follows nul.  Returns 0, or -1 for a malformed escape, a lone surrogate
 * or \u0000 under CVX_NUL_REJECT.
 */
int cvx_json_unescape(const char *raw, size_t n, struct cvx_buf *out,
    enum cvx_nul_policy nul);

/* The value of hex digit c (0-9, a-f, A-F: RFC 8259 §7), or -1. */
int cvx_hexval(unsigned char c);

/*
 * Append code point u (at most 0x10FFFF, not a surrogate: the caller has
 * decoded a checked \u escape) to out as UTF-8 (RFC 3629 §3).
 */
void cvx_utf8_put(struct cvx_buf *out, unsigned long u);

/*
 * Append s[0..n) to out as a JSON string with its quotes, escaped as
 * serde_json does (convex-export-format.md F12): \" \\ \b \f \n \r \t,
 * other bytes below 0x20 as \u00xx, everything else as is.
 */
void cvx_json_quote(struct cvx_buf *out, const char *s, size_t n);

/* ---- stream.c: the stream contract (design.md, "The stream contract") -- */

/*
 * Failure.  A tool that writes the stream calls cvx_stream_writer() first
 * thing in main, before its options are parsed.  From then on every
 * failure that goes through cvx_die, cvx_fail or cvx_usage_fail, and
 * SIGINT, SIGTERM, SIGHUP and SIGABRT, end standard output with the abort
 * line "#cvx-abort cvx-foo: MESSAGE\n" before the process exits, so that every
 * consumer downstream fails too, with or without pipefail ("Failing loudly
 * downstream").  When standard output is a terminal the line is left out:
 * the person reads stderr.  A tool that does not write the stream (a
 * consumer) does not call it, and its failures only print and exit.
 * SIGXFSZ is ignored from then on, so that a file-size limit (ulimit -f)
 * is a write error with its message and the abort line, not a silent
 * death.
 *
 * The abort path never allocates: the message and the line are built in
 * static buffers (a reason is cut at CVX_ABORT_MAX bytes), so it works
 * when memory is exhausted.  The first failure wins: a second one from
 * another thread waits for the first to end the process.
 */
#define CVX_ABORT_PREFIX "#cvx-abort "
#define CVX_ABORT_PREFIX_LEN (sizeof(CVX_ABORT_PREFIX) - 1)
#define CVX_ABORT_MAX 4000
void cvx_stream_writer(void);

/*
 * The options turned out to make this run write no stream (cvx-sha -n
 * writes digest lines): from now on failures only print and exit.
 */
void cvx_stream_not_writer(void);

/*
 * Make o the buffered output the abort line goes through (NULL: fd 1
 * unbuffered, as before the first cvx_out_init).  Its unwritten bytes are
 * dropped at a failure, so no document follows one, and o->at_bol says
 * whether a '\n' must come first.  Call right after cvx_out_init.
 */
void cvx_stream_register(struct cvx_out *o);

/*
 * Tell the contract whether the last byte a tool wrote to fd 1 by itself
 * (cvx-sha's splice and write) ended a line.  Unknown (the default before
 * any call, and while a write is under way) means a '\n' is written before
 * the abort line, which at worst leaves a blank line before it.
 */
void cvx_stream_at_bol(bool at_bol);

/*
 * Print "cvx-foo: MESSAGE" on stderr, write the abort line if this is a
 * stream writer, and exit with status (1: data or runtime error).
 * cvx_die(...) is cvx_fail(1, ...).
 */
void cvx_fail(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void cvx_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/*
 * A usage error: "cvx-foo: MESSAGE" (when fmt is not NULL), then usage
 * (the synopsis, ending in '\n') on stderr, the abort line, exit 2.
 */
void cvx_usage_fail(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* -h: usage on stdout, then exit 0 (1 if stdout cannot be written). */
void cvx_usage_help(const char *usage) __attribute__((noreturn));

/*
 * True if line (len bytes, without '\n') is an abort line.  *reason (may
 * be NULL) is set to the text after the prefix, not NUL-terminated; its
 * length is len - CVX_ABORT_PREFIX_LEN.
 */
bool cvx_is_abort(const char *line, size_t len, const char **reason);

/*
 * A consumer read the abort line line[0..len) as line lineno of input
 * name: say "cvx-foo: NAME: line N: upstream failed: REASON" on stderr
 * (after the upstream tool's own message, which came first), pass the
 * same reason on as this tool's abort line if it writes the stream, and
 * exit 1.  A consumer with something to undo first (cvx-pg-load's
 * rollback) does that before calling it.
 */
void cvx_abort_relay(const char *name, uint64_t lineno, const char *line,
    size_t len) __attribute__((noreturn));

/*
 * The tag: reading it.  One reading everywhere (design.md, "One reading
 * of the tag"): a document's table is named by its top-level `_table`
 * and, for a component's table, `_component` (the path "a/b"; "" is the
 * root).  Keys are compared with their escapes decoded.  Both must be
 * JSON strings; decoded, `_table` must be 1 to CVX_TAG_MAX bytes and
 * `_component` at most CVX_TAG_MAX, with no control character (U+0000 to
 * U+001F, U+007F), each given at most once.  The identity of the table is
 * "table" for the root and "a/b:table" for a component (':' cannot occur
 * in a Convex name, convex-export-format.md §9): what cvx-count prints,
 * `cvx-jsonl-map -t` matches and cvx-pg-load routes on.
 */
#define CVX_TAG_MAX 255

/* The raw tag members of one document (pointers into the line). */
struct cvx_tag {
	const char *table, *component;	/* the JSON values, or NULL */
	size_t	 tlen, clen;
	int	 twice;			/* 1, 2: that tag key came twice */
};

/* cvx_tag_key for a key with escapes (the rare case, out of line). */
int cvx_tag_key_escaped(const char *key, size_t klen);

/*
 * Is the raw key[0..klen) `_table` (1), `_component` (2), or neither (0)?
 * Inline: scan callbacks call it for every member that starts with '_'.
 */
static inline int
cvx_tag_key(const char *key, size_t klen)
{
	if (klen == 6)
		return memcmp(key, "_table", 6) == 0;
	if (klen == 10 && memcmp(key, "_component", 10) == 0)
		return 2;
	/* "_t\u0061ble" is _table too: one reading, whatever the spelling. */
	if (klen < 7 || klen > 64 || memchr(key, '\\', klen) == NULL)
		return 0;
	return cvx_tag_key_escaped(key, klen);
}

/*
 * Note the member key/val in t if it is a tag member (t zero-initialised
 * per document).  Returns true if it was one.  For a tool's own
 * cvx_json_scan_object callback.
 */
static inline bool
cvx_tag_take(struct cvx_tag *t, const char *key, size_t klen,
    const char *val, size_t vlen)
{
	if (klen < 6 || (key[0] != '_' && key[0] != '\\'))
		return false;
	switch (cvx_tag_key(key, klen)) {
	case 1:
		if (t->table != NULL)
			t->twice = 1;
		t->table = val;
		t->tlen = vlen;
		return true;
	case 2:
		if (t->component != NULL)
			t->twice = 2;
		t->component = val;
		t->clen = vlen;
		return true;
	default:
		return false;
	}
}

/*
 * Check the object line s[0..n) as cvx_json_scan_object does and fill t
 * (reset first).  Returns 0, or -1 with *e on a JSON error.
 */
int cvx_tag_scan(const char *s, size_t n, struct cvx_tag *t,
    struct cvx_json_error *e);

/*
 * Put the table identity of t in id (reset first).  Returns 1, 0 when the
 * document has no tag at all, or -1 with *why set to a static message
 * ("_table is not a string", "control character in _component", ...) and
 * *at to the offending raw value (NULL when none).
 */
int cvx_tag_identity(const struct cvx_tag *t, struct cvx_buf *id,
    const char **why, const char **at);

/*
 * The tag: writing it.  Build in tag the text that cvx-unzip inserts after
 * a document's '{': "_table":"<table>", and, when component is not NULL
 * or empty, "_component":"<component>", (each a JSON string, quoted by
 * cvx_json_quote), always ending with ','.  tag is reset first.
 */
void cvx_tag_build(struct cvx_buf *tag, const char *table,
    const char *component);

/*
 * Write one tagged document line: doc[0..n) must be an object (doc[0] ==
 * '{', checked by the caller).  Writes '{', the tag, the rest of doc, and
 * '\n'.  An empty object {} gets the tag without its trailing comma.
 */
void cvx_out_tagged(struct cvx_out *o, const struct cvx_buf *tag,
    const char *doc, size_t n);

/* ---- tables.c: the _tables list of an export ------------------------- */

/*
 * Read one line of a `_tables/documents.jsonl` file (convex-export-format.md
 * §2, §5; the file --table-numbers names): {"name":…,"id":N[,"component":
 * "a/b"]}.  Sets name and component (decoded; component empty when
 * absent: the root) and *number: id read as the importer reads it, an
 * f64 that must be a whole number from 1 to 2^32-1 (10001.0 is 10001;
 * crates/application/src/snapshot_import/mod.rs).  Returns 0, or -1 with
 * *e set: a JSON error, or "no valid table name", "no table number", "no
 * valid table number", with the offset of the value at fault.  Whether
 * name is a valid table name is the caller's rule.
 */
int cvx_tables_line(const char *line, size_t len, struct cvx_buf *name,
    struct cvx_buf *component, uint32_t *number, struct cvx_json_error *e);

/* ---- base64.c: base64 decoding (cvx-pg-load, cvx-zip) ----------------- */

/*
 * Decode standard base64 (RFC 4648 §4, '+' '/', padding optional but
 * correct when present; Convex writes it padded) and append the bytes.
 * Returns 0, or -1 for any other character or bad padding.
 */
int cvx_base64_decode(struct cvx_buf *out, const char *s, size_t n);

/* ---- convexid.c: Convex document IDs ---------------------------------- */

/*
 * A Convex document ID string (convex-export-format.md §6; convex-backend
 * crates/value/src/id_v6.rs, base32.rs): the bytes VInt(table number)
 * (1 to 5 bytes, 7 bits each, least significant first), the 16-byte
 * internal id, and the little-endian Fletcher-16 of all that (XOR version
 * 0), written in lowercase Crockford base32 without padding: 31 to 37
 * characters (32 for every table number from 128 to 16383, so for every
 * user table of a modern deployment, which start at 10001).
 */
#define CVX_ID_INTERNAL_LEN 16
#define CVX_ID_MAX 37

/*
 * Write the ID of table number table (>= 1) and internal id internal
 * into out, NUL-terminated.  Returns its length (31 to 37).
 */
size_t cvx_id_encode(uint32_t table,
    const uint8_t internal[CVX_ID_INTERNAL_LEN], char out[CVX_ID_MAX + 1]);

/*
 * Decode the ID text s[0..n) as Convex does, with every check of
 * id_v6.rs decode: length, alphabet (no uppercase, no aliases), a VInt of
 * at most 5 bytes and not 0, the exact length, the checksum, and one text
 * per ID (the re-encoding must give s back).  Returns 0 with *table and
 * internal (may be NULL) set, or -1 with *why set to a static message
 * ("not a Convex ID: checksum mismatch", ...).
 */
int cvx_id_decode(const char *s, size_t n, uint32_t *table,
    uint8_t internal[CVX_ID_INTERNAL_LEN], const char **why);

/* ---- export.c: the layout of a Convex export (cvx-unzip, cvx-schema) -- */

/*
 * True if s[0..n) is a Convex table or component name: an identifier
 * [A-Za-z_][A-Za-z0-9_]* of 1 to 64 bytes, not made only of '_'
 * (convex-export-format.md §9).
 */
bool cvx_is_identifier(const char *s, size_t n);

/* What an entry of an export (ZIP entry or file in a folder) is. */
enum cvx_entry_kind {
	CVX_ENTRY_STRAY,	/* not part of the format: ignored */
	CVX_ENTRY_UNSAFE,	/* absolute, '..', '.', '\\': never used */
	CVX_ENTRY_README,	/* README.md */
	CVX_ENTRY_TABLES,	/* [prefix]_tables/documents.jsonl */
	CVX_ENTRY_DOCUMENTS,	/* [prefix]<table>/documents.jsonl */
	CVX_ENTRY_SCHEMA,	/* [prefix]<table>/generated_schema.jsonl */
	CVX_ENTRY_STORAGE,	/* [prefix]_storage/documents.jsonl */
	CVX_ENTRY_BLOB,		/* [prefix]_storage/<id>[.ext] */
	CVX_ENTRY_SYSTEM	/* another system table: skipped, as on import */
};

/*
 * An entry name taken apart.  component is "" for the root or "a/b" for
 * _components/a/_components/b/; table is the table name for DOCUMENTS,
 * SCHEMA and SYSTEM, "_storage" for STORAGE, else NULL.  Both are owned
 * (cvx_entry_name_free).  why is a static reason for STRAY, UNSAFE and
 * SYSTEM.
 */
struct cvx_entry_name {
	enum cvx_entry_kind kind;
	char	*component;
	char	*table;
	const char *why;
};

/*
 * Classify the entry name (a NUL-terminated '/'-separated path) as the
 * importer does (convex-export-format.md §2): the last one or two path
 * components say what it is, trailing _components/<name> pairs before
 * them are the component path, and any other prefix is ignored (a ZIP of
 * an extracted folder still reads).  A name that is absolute, holds a
 * backslash or a '..', '.' or empty component is UNSAFE and is never
 * interpreted.  Never fails.
 */
void cvx_export_parse_name(const char *name, struct cvx_entry_name *en);
/* Free what cvx_export_parse_name allocated in en. */
void cvx_entry_name_free(struct cvx_entry_name *en);

/* Value encoding of a table, from its generated_schema.jsonl (§4). */
enum cvx_encoding {
	CVX_ENC_NONE,		/* no generated_schema.jsonl */
	CVX_ENC_UNIFORM,	/* "uniform" (era B2) */
	CVX_ENC_LEGACY		/* a Shape string and overrides (eras A, B1) */
};

/*
 * One table of an export (a user table, or "_storage" metadata).  docs and
 * schema are the caller's indexes of its entries (-1: none); bytes is the
 * uncompressed size of documents.jsonl (-1: unknown); number is from
 * _tables (-1: not listed).  lines and encoding are the caller's to fill.
 */
struct cvx_table {
	char	*component;	/* "" or "a/b" */
	char	*name;
	char	*qname;		/* name or component:name (the identity): what -t/-x match */
	long long number;
	long	 docs;
	long	 schema;
	int64_t	 bytes;
	uint64_t lines;
	enum cvx_encoding encoding;
};

/* The tables of an export.  Zero-initialise; cvx_catalog_free. */
struct cvx_catalog {
	struct cvx_table *t;
	size_t	 n;
	size_t	 cap;
};

/*
 * The table (component, name), added with no entries if it is not there
 * yet.  The pointer is valid until the next call that adds a table.
 */
struct cvx_table *cvx_catalog_table(struct cvx_catalog *c,
    const char *component, const char *name);

/*
 * Record one line of a component's _tables/documents.jsonl,
 * {"name":"<table>","id":<number>} (§5; 10001.0 is accepted as the
 * importer does).  Returns 0, or -1 with *e set for a JSON error, a name
 * that is not a user table name, a bad number or a table listed twice.
 */
int cvx_catalog_tables_line(struct cvx_catalog *c, const char *component,
    const char *line, size_t len, struct cvx_json_error *e);

/*
 * Sort the tables into the default output order: by component path (root
 * first), then the tables listed in _tables by number (creation order,
 * which is usually foreign-key order), the unlisted ones by name, and
 * _storage last.  Indexes into c->t change.
 */
void cvx_catalog_sort(struct cvx_catalog *c);

/*
 * Choose the tables to emit and their order, as indexes into c->t written
 * to order (room for c->n).  inc (NULL: all tables, in catalogue order)
 * holds ninc fnmatch(3) patterns matched with FNM_PATHNAME against qname,
 * in the order given; a table matched by several comes once, at its first.
 * Tables matching one of the nexc patterns of exc are left out.  _storage
 * tables take part only when storage is true.  Returns the count.  An
 * include pattern that matches no table is the caller's to refuse first
 * (cvx_catalog_unmatched).
 */
size_t cvx_catalog_select(const struct cvx_catalog *c, char *const *inc,
    size_t ninc, char *const *exc, size_t nexc, bool storage,
    size_t *order);

/*
 * The first of the n fnmatch(3) patterns pat (FNM_PATHNAME, against
 * qname) that matches no table, or NULL when each matches one.  _storage
 * tables count only when storage is true.  A pattern that matches nothing
 * is a typo, not an empty selection (issue 11).
 */
const char *cvx_catalog_unmatched(const struct cvx_catalog *c,
    char *const *pat, size_t n, bool storage);

/*
 * Append the qualified names of the tables, in catalogue order and
 * separated by ", ", to out: what a message shows when a pattern matches
 * nothing.  _storage tables only when storage is true.
 */
void cvx_catalog_names(const struct cvx_catalog *c, bool storage,
    struct cvx_buf *out);

/* Free the tables. */
void cvx_catalog_free(struct cvx_catalog *c);

/* ---- exportdir.c: an extracted export folder; the line rules -------- */

/*
 * Called for each file of an export folder: rel is its path relative to
 * the folder, '/'-separated, ending in '/' for a folder that is not
 * walked into; st is from stat(2) (symbolic links followed).
 */
struct stat;
typedef void cvx_export_walk_fn(void *ctx, const char *rel,
    const struct stat *st);

/*
 * Walk the extracted export in folder dir as the format lays it out
 * (convex-export-format.md §2): the files at its top, one level into each
 * folder (a table, _tables, _storage), and _components/<name>/ folders
 * recursively (32 deep at most), each name in strcmp order.  fn gets every
 * file, and every folder not walked into, so nothing present goes
 * unreported.  A folder that cannot be read or a failing stat(2) is fatal
 * (cvx_die with the path).
 */
void cvx_export_walk(const char *dir, cvx_export_walk_fn *fn, void *ctx);

/*
 * The importer's rules for line number lineno (1-based) of a
 * documents.jsonl, s[0..*n) without its '\n' (convex-export-format.md §8,
 * "Single-table formats"): a CR before the '\n' is dropped (*n shrinks by
 * one), a blank line and a UTF-8 byte order mark on line 1 are errors
 * (e->offset is then SIZE_MAX: no position), and the line must be one JSON
 * object (cvx_json_scan_object: grammar and UTF-8).  A last line without
 * '\n' is the caller's to accept (the importer does).  Returns 0, or -1
 * with *e set.
 */
int cvx_export_line(const char *s, size_t *n, uint64_t lineno,
    struct cvx_json_error *e);

/* ---- exportread.c, exportzip.c: the export being read ----------------- */

/*
 * The reader: an export given as a ZIP (a file, or a pipe spooled to an
 * unlinked file, read through its central directory with libarchive's
 * seekable reader: convex-export-format.md §1.3) or as an extracted
 * folder; pass 0 (cvx_export_scan) records its entries and builds the
 * table catalogue before a single document is read; a walker then reads
 * the entries the tool wants.  exportzip.c calls libarchive: a tool that
 * uses the reader links it (pkg-config libarchive).
 *
 * Errors in the data are fatal: they go through cvx_export_fail, which
 * formats "INPUT: ENTRY: what" and hands it to the tool's hook, or to
 * cvx_die when the tool has set none.
 */

/*
 * Send every later reading error to fn(message) instead of cvx_die: a
 * tool whose output is written by another thread (cvx-unzip) queues it
 * behind what was read before.  fn must not return; NULL restores cvx_die.
 */
void cvx_export_on_fail(void (*fn)(const char *msg));

/* Fail with a reading error (printf-style), through the hook. */
void cvx_export_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Longest line accepted.  A Convex document is at most 1 MiB by Convex's
 * size metric (convex-export-format.md §9); its JSON text can be a few
 * times that (escapes), never 64 MiB.  The cap keeps memory bounded on a
 * corrupt entry that has no newline.
 */
#define CVX_LINE_MAX	(64 * 1024 * 1024)

/* One entry of the export: a ZIP entry (by position) or a folder's file. */
struct cvx_export_entry {
	char	*name;		/* ZIP entry name, or path in the folder */
	int64_t	 size;		/* uncompressed bytes, -1 if unknown */
	enum cvx_entry_kind kind;
	const char *why;	/* why it is ignored */
};

/* The export being read.  Zero-initialise; cvx_export_free. */
struct cvx_export {
	const char *input;	/* the operand, for messages */
	const char *dir;	/* folder operand, or NULL for a ZIP */
	int	 fd;		/* ZIP: a seekable descriptor */
	off_t	 base;		/* ZIP: where the archive starts in fd */
	int64_t	 size;		/* ZIP: bytes from base to the end */
	struct cvx_export_entry *e;
	size_t	 ne;
	size_t	 cape;
	struct cvx_catalog cat;
};

/*
 * A pass over a ZIP's entries in central-directory order, and the
 * libarchive client that reads x->fd for it (pread(2), with reads that
 * start small after each seek and grow).  Zero-initialise; cvx_zip_close.
 */
struct archive;
struct cvx_zip {
	struct cvx_export *x;
	struct archive *a;	/* the open pass, or NULL */
	long	 index;		/* the current entry, -1 before the first */
	int64_t	 at;		/* client: offset from x->base */
	size_t	 blk;		/* client: next read size */
	char	*buf;		/* client: CVX_IOSIZE bytes */
};

/* Reading one entry's bytes, from the ZIP or a file of the folder. */
struct cvx_export_reader {
	struct cvx_export *x;
	const char *name;	/* the entry's name, for messages */
	struct cvx_zip *z;	/* ZIP: the pass, at this entry; or NULL */
	int	 fd;		/* folder: the file once opened, or -1 */
};

/* Where a walk over the selected tables' entries is. */
struct cvx_export_walker {
	struct cvx_export *x;
	struct cvx_zip z;	/* ZIP: the current pass */
	struct cvx_export_reader r;
};

/*
 * Open the operand path (NULL or "-": stdin) into x: a folder is only
 * remembered; a ZIP is made seekable (cvx_zip_input).  Dies on error.
 */
void cvx_export_open(struct cvx_export *x, const char *path);

/*
 * Pass 0: record every entry of the export and build x->cat, reading the
 * small entries whole (_tables, generated_schema.jsonl, README.md) so
 * that each CRC-32 is checked before any output.  Dies on bad data.
 */
void cvx_export_scan(struct cvx_export *x);

/*
 * After cvx_export_scan: die unless the input holds an export, a
 * _tables/documents.jsonl or a <table>/documents.jsonl ("Nothing is not a
 * success", style.md): an empty folder or a ZIP of other files would give
 * an empty stream (or DDL) that looks like an export without documents.
 */
void cvx_export_require(const struct cvx_export *x);

/* Release the export's entries, catalogue and descriptor. */
void cvx_export_free(struct cvx_export *x);

/*
 * Read up to n bytes of r's entry into buf; 0 at its end.  A read,
 * inflate, size or CRC-32 error is fatal (cvx_export_fail).
 */
size_t cvx_export_read(struct cvx_export_reader *r, char *buf, size_t n);

/* Start a walk over x's entries; cvx_walker_end. */
void cvx_walker_start(struct cvx_export_walker *w, struct cvx_export *x);

/*
 * A reader at the start of entry i (an index into x->e), valid until the
 * next call.  Any order works; on a ZIP an entry behind the current one
 * costs a new pass (cvx_zip_seek).
 */
struct cvx_export_reader *cvx_walker_to(struct cvx_export_walker *w,
    long i);

/* Release what the walk holds. */
void cvx_walker_end(struct cvx_export_walker *w);

/*
 * Make x->fd a seekable file holding the ZIP from fd (st is its fstat):
 * the operand or a seekable stdin as it is, a pipe spooled to an unlinked
 * file under $TMPDIR.  Then relay the abort line of a failed upstream cvx
 * tool (cvx_abort_relay), and refuse empty input.  Dies on error.
 */
void cvx_zip_input(struct cvx_export *x, int fd, const struct stat *st);

/*
 * As cvx_zip_input, for a tool that has already read the first n bytes of
 * fd into head (to tell a ZIP from a JSON stream): they are put back in
 * front (a pipe's spool starts with them; a file's start moves back n).
 */
void cvx_zip_input_head(struct cvx_export *x, int fd, const struct stat *st,
    const char *head, size_t n);

/*
 * Start a pass over x's ZIP through its central directory (the seekable
 * reader), closing the one z had open.  A file that is no ZIP fails.
 */
void cvx_zip_open(struct cvx_zip *z, struct cvx_export *x);

/*
 * The next entry's name (UTF-8 as stored, "" if none; valid until the
 * next call), or NULL at the end; *size is its uncompressed size, -1 when
 * the central directory has none.  A warning from libarchive is printed;
 * an error fails.
 */
const char *cvx_zip_next(struct cvx_zip *z, int64_t *size);

/*
 * Move z to entry i, whose name must still be name (the ZIP was read
 * once already: an entry gone or renamed fails).
 */
void cvx_zip_seek(struct cvx_zip *z, long i, const char *name);

/*
 * Read up to n bytes of the current entry (name, for messages); 0 at its
 * end, where libarchive has checked the CRC-32.  Damaged data fails with
 * our words for libarchive's ("corrupt entry: CRC-32 mismatch").
 */
size_t cvx_zip_read(struct cvx_zip *z, const char *name, char *buf,
    size_t n);

/* Free the pass and its buffer; z is zeroed. */
void cvx_zip_close(struct cvx_zip *z);

#endif /* CVX_H */
