/* SPDX-License-Identifier: MIT */
/*
 * cvx.h: what the cvx tools share (libcvx.a).
 *
 * Nothing here calls libarchive, libjq, libpq or libcrypto: each library
 * belongs to the tool that needs it, so common/ builds with no pkg-config
 * flags.  Errors are reported with err(3)-style lines, "cvx-foo: where: what".
 */
#ifndef CVX_H
#define CVX_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
/* Append one byte. */
void cvx_buf_addc(struct cvx_buf *b, char c);
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
 * Flush and close stdout; report a write error (a full disk, a closed
 * pipe with SIGPIPE ignored) as "cvx-foo: stdout: ...".  Returns 0 on
 * success, 1 after an error, for use as `rval |= cvx_close_stdout()`.
 * After cvx_stream_out is used, call cvx_out_close() instead.
 */
int cvx_close_stdout(void);

/*
 * Print "cvx-foo: MESSAGE" on stderr and exit 1.  If a stream output is
 * registered (cvx_stream_register) and has already written bytes, its
 * unwritten buffer is dropped and the abort line is written first
 * (see cvx_out_abort), so every consumer downstream fails too
 * (design.md, "Failing loudly downstream").
 */
void cvx_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

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
/* Append n bytes; may write the buffer out first. */
void cvx_out_write(struct cvx_out *o, const void *p, size_t n);
/* Write out what is buffered. */
void cvx_out_flush(struct cvx_out *o);
/* Flush, close fd, free the buffer.  Returns 0, or 1 after a close error. */
int cvx_out_close(struct cvx_out *o);

/*
 * The abort line (design.md, stream contract): "#cvx-abort REASON\n".  No
 * JSON parser accepts it, so any consumer stops; cvx consumers pass it on
 * and exit 1.  The reason is written on one line: CR and LF in it become
 * spaces.  If the last byte written was not '\n' (a line cut by a flush),
 * a '\n' comes first so the abort line starts a line.  Unflushed bytes are
 * dropped, the line is written at once, and errors are ignored (the process
 * is about to exit 1 anyway).
 */
#define CVX_ABORT_PREFIX "#cvx-abort "
#define CVX_ABORT_PREFIX_LEN (sizeof(CVX_ABORT_PREFIX) - 1)
void cvx_out_abort(struct cvx_out *o, const char *reason);

/*
 * Make o the output cvx_die writes the abort line to (NULL: none).  Tools
 * that write the stream register their stdout once it is set up.
 */
void cvx_stream_register(struct cvx_out *o);

/*
 * True if line (len bytes, without '\n') is an abort line.  *reason (may
 * be NULL) is set to the text after the prefix, not NUL-terminated; its
 * length is len - CVX_ABORT_PREFIX_LEN.
 */
bool cvx_is_abort(const char *line, size_t len, const char **reason);

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
 * Decode the raw bytes of a JSON string (between the quotes, already
 * checked) into UTF-8, appending to out.  \u0000 becomes a NUL byte.
 * Returns 0, or -1 for a malformed escape.
 */
int cvx_json_unescape(const char *raw, size_t n, struct cvx_buf *out);

/*
 * Append s[0..n) to out as a JSON string with its quotes, escaped as
 * serde_json does (convex-export-format.md F12): \" \\ \b \f \n \r \t,
 * other bytes below 0x20 as \u00xx, everything else as is.
 */
void cvx_json_quote(struct cvx_buf *out, const char *s, size_t n);

/* ---- stream.c: the `_table` tag ---------------------------------------- */

/*
 * Build in tag the text that cvx-unzip inserts after a document's '{':
 * "_table":"<table>", and, when component is not NULL or empty,
 * "_component":"<component>", (each a JSON string, quoted by
 * cvx_json_quote), always ending with ','.  tag is reset first.
 * Source: design.md, stream contract.
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

/* @@ section: cvx-unzip @@ */

/* @@ section: cvx-count / cvx-sha @@ */

/* @@ section: cvx-jsonl-map @@ */

/* @@ section: cvx-pg-load @@ */

#endif /* CVX_H */
