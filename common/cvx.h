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
 * Print "cvx-foo: MESSAGE" on stderr and exit 1.  If a stream output is
 * registered (cvx_stream_register), its unwritten buffer is dropped and
 * the abort line "#cvx-abort cvx-foo: MESSAGE" is written first (see
 * cvx_out_abort), so every consumer downstream fails too (design.md,
 * "Failing loudly downstream").  It is written even when no document has
 * been: an empty stream would let the consumer succeed, and a pipe without
 * pipefail report success.
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
 * that write the stream register their stdout before anything can fail
 * with exit 1 (right after the options are checked), so that every such
 * failure reaches the consumer.
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

/* ---- export.c: the layout of a Convex export (cvx-unzip) --------------- */

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
	char	*qname;		/* name or component/name: what -t/-x match */
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
 * tables take part only when storage is true.  Returns the count, or -1
 * with *unmatched set to an include pattern that matches no table.
 */
ssize_t cvx_catalog_select(const struct cvx_catalog *c, char *const *inc,
    size_t ninc, char *const *exc, size_t nexc, bool storage,
    size_t *order, const char **unmatched);

/* Free the tables. */
void cvx_catalog_free(struct cvx_catalog *c);

/* ---- exportdir.c: an extracted export folder; the line rules (cvx-unzip) */

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

/* ---- bigint.c: JSON numbers and doubles (cvx-jsonl-map) --------------- */

/*
 * Find the next JSON integer token (no '.', no exponent) whose magnitude
 * is above 2^53 = 9007199254740992, outside strings, in s[from..n).  from
 * must be outside any string (0, or just past a token this returned).
 * The check is exact, on the digit text: 9007199254740992 itself and any
 * float such as 1e300 or 9007199254740993.0 are not reported.  The text
 * is not validated (run cvx_json_check first); an unterminated string
 * ends the search.  Returns the token's offset with *len set to its
 * length (sign included), or n if there is none.  Why: jq 1.6 (like
 * JavaScript) reads every number as an IEEE double, and Convex writes
 * int64 values as bare integers in uniform exports
 * (convex-export-format.md §3.1), so such a token would change silently.
 */
size_t cvx_json_find_bigint(const char *s, size_t n, size_t from,
    size_t *len);

/*
 * Append s[0..n) to out with every token cvx_json_find_bigint finds
 * turned into a JSON string of the same digits (9223372036854775807 ->
 * "9223372036854775807"), which PostgreSQL bigint and numeric columns
 * accept.  Returns the number of tokens quoted.
 */
size_t cvx_json_quote_bigints(const char *s, size_t n, struct cvx_buf *out);

/*
 * Read the JSON number token at p (already checked, e.g. by
 * cvx_json_check; it ends at the first byte that cannot continue it) as
 * the correctly rounded double, the value jq, JavaScript and strtod give
 * it; *end is set past it.  Most tokens take Clinger's exact fast path
 * (at most 15 significant digits and at most 22 decimals: both the digits
 * and the power of ten are exact doubles, so one IEEE division rounds
 * correctly); others go to strtod(3) in the C locale.
 */
double cvx_json_number(const char *p, const char **end);

/* ---- chunks.c: a stream's lines on several threads, in order ----------- */

/*
 * A run of whole input lines and what a worker made of them.  in holds
 * whole lines, NUL-terminated (the last line lacks its '\n' only at the
 * end of the input); out is the worker's output for them; data is the
 * tool's own state for the chunk, kept while the chunk is reused and
 * handed to release at the end.  state is private.
 */
struct cvx_chunk {
	struct cvx_buf	 in;
	struct cvx_buf	 out;
	void		*data;
	int		 state;
};

/* What cvx_chunks_run calls; flush and release may be NULL. */
struct cvx_chunk_ops {
	/* In a worker thread, chunks in any order: make c->out of c->in. */
	void	(*process)(void *worker, struct cvx_chunk *c);
	/* One chunk at a time, in input order: write what c holds. */
	void	(*write)(struct cvx_chunk *c);
	/* The writer has caught up with the input: write out buffers. */
	void	(*flush)(void);
	/* At the end, for every chunk: free c->data. */
	void	(*release)(struct cvx_chunk *c);
};

/*
 * Read fd to its end in chunks of whole lines (about 1 MiB, or one line
 * when it is longer), have nworkers threads process them (workers[i] is
 * passed to process as is) and write them in input order, all before
 * returning.  Memory: 2 * nworkers + 2 chunks.  A chunk goes out as soon
 * as a read comes back short, so lines from a slow producer are not held
 * back.  write may end the process (cvx_die at an error, in input order).
 * Returns 0, or the errno of a failed read once the whole lines read
 * before it have been written.
 */
int cvx_chunks_run(int fd, size_t nworkers, void **workers,
    const struct cvx_chunk_ops *ops);

/* The number of CPUs this process may run on (sched_getaffinity), >= 1. */
long cvx_cpu_count(void);

/* ---- jqtext.c: jq program text for cvx-jsonl-map (no libjq calls) ----- */

/*
 * Append to out the jq program prog with the built-in Convex library
 * (cvx_todate, cvx_snake, cvx_snake_keys, cvx_table_number, cvx_int64,
 * cvx_float, cvx_bytes: cvx-jsonl-map(1)) put in front of it, after its
 * leading module, import and include directives, which jq's grammar wants
 * first.  The library is one line, so jq's line numbers stay the user's.
 * Sources: convex-export-format.md §3.1 (value encodings), §6 (ids).
 */
void cvx_jq_program(struct cvx_buf *out, const char *prog);

/*
 * Append jq's message s[0..n) to b as one stderr-safe line: the library's
 * text (jq quotes the program line) cut out, control characters made
 * spaces, trailing spaces dropped, at most max bytes (cut on a UTF-8
 * boundary, "..." added).
 */
void cvx_jq_message(struct cvx_buf *b, const char *s, size_t n, size_t max);

/*
 * Append s[0..n) (UTF-8) to b as a JSON string, escaped byte for byte as
 * jq 1.6 prints strings (jv_dump_string with no flags): \" \\ \b \t \n
 * \f \r, other bytes below 0x20 and DEL as \u00xx in lowercase hex,
 * everything else, '/' and non-ASCII included, as it is.
 */
void cvx_jq_quote(struct cvx_buf *b, const char *s, size_t n);

/*
 * Append s[0..n) to b with every byte that is not part of a well-formed
 * UTF-8 sequence (RFC 3629 §4) replaced by U+FFFD, so that any line can
 * be quoted into valid JSON (cvx-jsonl-map's errors file).
 */
void cvx_utf8_clean(struct cvx_buf *b, const char *s, size_t n);

/* ---- copy.c: JSON values to COPY text fields (cvx-pg-load) ------------- */

/*
 * How a column's type takes a JSON value, from the base type's pg_type
 * typname and typcategory (cvx_pgtype_of).  CVX_PG_TEXT is every string
 * category type (text, varchar, bpchar, name, citext); CVX_PG_OTHER is any
 * type without a rule of its own (uuid, inet, enums...): strings go to its
 * input function as they are.
 */
enum cvx_pgtype {
	CVX_PG_TEXT, CVX_PG_INT, CVX_PG_NUMERIC, CVX_PG_FLOAT, CVX_PG_BOOL,
	CVX_PG_JSON, CVX_PG_JSONB, CVX_PG_BYTEA, CVX_PG_TIMESTAMP,
	CVX_PG_TIMESTAMPTZ, CVX_PG_DATE, CVX_PG_ARRAY, CVX_PG_OTHER
};

/* The class of a base type: typname ("int8") and typcategory ('A'...). */
enum cvx_pgtype cvx_pgtype_of(const char *typname, char category);

/*
 * Append one COPY text-format field for the checked JSON value v[0..n) to
 * out, converted for a column of class type (elem: the element class of
 * an array type).  Rules (issue 5; convex-export-format.md §3.1): null is
 * \N; strings are decoded (json/jsonb keep the JSON text, bytea decodes
 * base64); numbers keep their token text, except that timestamp,
 * timestamptz and date take a number as epoch milliseconds (exact to the
 * microsecond, UTC); {"$float":b64} (float, numeric), {"$integer":b64}
 * (integers, numeric, float) and {"$bytes":b64} (bytea) are decoded;
 * objects and arrays are JSON text for text, json, jsonb and other types,
 * and JSON arrays become array literals for array types.  U+0000 follows
 * nul.  tmp is scratch space owned by the caller.  Returns 0, or -1 with
 * *why set to a static message (out may then hold part of the field).
 * Values the type's input function rejects are left to the server.
 */
int cvx_copy_value(struct cvx_buf *out, struct cvx_buf *tmp,
    enum cvx_pgtype type, enum cvx_pgtype elem, const char *v, size_t n,
    enum cvx_nul_policy nul, const char **why);

/*
 * Append s[0..n) COPY-escaped (PostgreSQL docs, COPY, "Text Format"):
 * backslash, newline, carriage return and tab become \\ \n \r \t.
 */
void cvx_copy_escape(struct cvx_buf *out, const char *s, size_t n);

/*
 * Append the JSON string raw[0..n) (the checked bytes between its quotes)
 * decoded and COPY-escaped, in one pass; \u0000 follows nul.  Returns 0,
 * or -1 for \u0000 under CVX_NUL_REJECT (or a malformed escape).
 */
int cvx_copy_json_string(struct cvx_buf *out, const char *raw, size_t n,
    enum cvx_nul_policy nul);

/*
 * Append the checked JSON text json[0..n) COPY-escaped, for a json or
 * jsonb column; every \u0000 escape is rejected (-1), dropped, or
 * rewritten as \ufffd by nul.  Returns 0 or -1.
 */
int cvx_copy_json_text(struct cvx_buf *out, const char *json, size_t n,
    enum cvx_nul_policy nul);

/*
 * Decode standard base64 (RFC 4648 §4, '+' '/', padding optional but
 * correct when present; Convex writes it padded) and append the bytes.
 * Returns 0, or -1 for any other character or bad padding.
 */
int cvx_base64_decode(struct cvx_buf *out, const char *s, size_t n);

/* A JSON number token's kind: serde_json's rule (no '.', 'e', 'E': int). */
enum cvx_num_kind { CVX_NUM_INT, CVX_NUM_FLOAT };
enum cvx_num_kind cvx_number_kind(const char *tok, size_t n);

/*
 * Convert the JSON number token tok[0..n), epoch milliseconds (Convex
 * _creationTime, float ms with a fraction), to microseconds since
 * 1970-01-01 UTC, exactly: the decimal digits are scaled, not a double,
 * and rounded half to even at the microsecond (PostgreSQL's resolution).
 * Returns 0, or -1 if tok is not a number or does not fit an int64.
 */
int cvx_epoch_ms_to_us(const char *tok, size_t n, int64_t *us);

/*
 * Append us (microseconds since the epoch, UTC) as PostgreSQL ISO input
 * text: "YYYY-MM-DD HH:MM:SS.ffffff", "+00" after it for timestamptz,
 * the date alone for date (the UTC day).  Returns -1 outside years
 * 1-9999 (nothing appended).
 */
enum cvx_time_kind { CVX_TIME_TIMESTAMP, CVX_TIME_TIMESTAMPTZ, CVX_TIME_DATE };
int cvx_format_time(struct cvx_buf *out, int64_t us, enum cvx_time_kind kind);

/*
 * Convex's {"$float":b64} and {"$integer":b64} payloads (the base64 of 8
 * little-endian bytes, convex-export-format.md §3.1): append PostgreSQL
 * input text, "NaN", "Infinity", "-Infinity", "-0", or %.17g for a float,
 * the decimal int64 for an integer.  Returns -1 for a payload that is not
 * 8 bytes of base64.
 */
int cvx_float_text(struct cvx_buf *out, const char *b64, size_t n);
int cvx_integer_text(struct cvx_buf *out, const char *b64, size_t n);
/* ---- rows.c: documents to COPY rows (cvx-pg-load) ---------------------- */

/* A top-level member of a stream document: raw key and value bytes. */
struct cvx_member {
	const char *key, *val;	/* key: between its quotes, not decoded */
	size_t	 klen, vlen;
};

/* The members of one document line; zero-initialise, reused per line. */
struct cvx_doc {
	struct cvx_member *m;
	size_t	 n, cap;
};

/*
 * Check the object line[0..len) as cvx_json_scan_object does and collect
 * its top-level members into d (pointers into line).  Returns 0, or -1
 * with *e set.
 */
int cvx_doc_parse(struct cvx_doc *d, const char *line, size_t len,
    struct cvx_json_error *e);

/* Is m the routing tag `_table` or `_component` (design.md)? */
bool cvx_member_is_tag(const struct cvx_member *m);

/*
 * Put the target table name of d in name: `_table`, or
 * `_component:_table` for a component's document (the spelling cvx-count
 * uses).  Returns 1, 0 when d has no `_table`, -1 when a tag is not a
 * string, is empty, or holds U+0000.
 */
int cvx_doc_route(const struct cvx_doc *d, struct cvx_buf *name);

/* A column of a target table, filled from the catalog by the caller. */
struct cvx_col {
	char	*name;		/* attname, owned */
	size_t	 namelen;
	char	*qname;		/* quoted identifier, owned */
	enum cvx_pgtype type, elem;
	bool	 has_default;	/* DEFAULT, identity, or a domain default */
	bool	 text_eq;	/* no '=' operator: merge compares ::text */
	bool	 listed;	/* in the COPY column list */
	uint64_t stamp;		/* the line whose value val holds */
	const char *val;
	size_t	 vlen;
};

/* COPY rows row..row+count-1 came from input lines line..line+count-1. */
struct cvx_run {
	uint64_t row, line, count;
};

/*
 * A table's rows in the making: its columns, the COPY column list (the
 * columns some document named, in order of first use), the converted rows
 * not yet sent (data), and the input line of every row of the current
 * COPY (runs), so a server error on COPY row N names the input line.
 * Zero-initialise; set cols, ncols and doc (-1, or the index of the
 * catch-all json/jsonb column that receives each whole document).
 */
struct cvx_rows {
	struct cvx_col *cols;
	size_t	 ncols;
	long	 doc;
	size_t	*list, nlist;
	size_t	*guess, nguess;	/* member index -> column index + 1 */
	struct cvx_buf data;
	struct cvx_run *runs;
	size_t	 nruns;
	uint64_t nrows;		/* rows of the current COPY, sent or not */
	struct cvx_buf tmp;	/* scratch */
};

/* The index of the column named name[0..n), or -1. */
long cvx_rows_find(const struct cvx_rows *r, const char *name, size_t n);

/*
 * Match the members of d (line number line) to columns by exact name:
 * each matched column gets stamp = line and the value.  Returns the number
 * of keys with no column (the catch-all column never matches a key); their
 * raw names go, comma-separated, to unknown.  Columns matched but not yet
 * listed are the caller's to add (cvx_rows_list_add) before appending.
 */
size_t cvx_rows_match(struct cvx_rows *r, const struct cvx_doc *d,
    uint64_t line, struct cvx_buf *unknown);

/* Add column ci to the end of the COPY column list. */
void cvx_rows_list_add(struct cvx_rows *r, size_t ci);

/*
 * Append to r->data the COPY row of the matched document d (line[0..len),
 * input line lineno): each listed column's value (cvx_copy_value), \N for
 * a column the document lacks, the document minus its tag for the
 * catch-all.  Returns 0, or -1 with *errcol (column index) and *why set.
 */
int cvx_rows_append(struct cvx_rows *r, const struct cvx_doc *d,
    const char *line, size_t len, uint64_t lineno, enum cvx_nul_policy nul,
    long *errcol, const char **why);

/* The input line of row (1-based) of the current COPY, or 0. */
uint64_t cvx_rows_line(const struct cvx_rows *r, uint64_t row);

/*
 * A COPY ended after its first nsent rows: the rows appended after them
 * (still in data) are rows 1, 2, ... of the next COPY, whose lines
 * cvx_rows_line keeps finding.
 */
void cvx_rows_restart(struct cvx_rows *r, uint64_t nsent);

/*
 * Read PostgreSQL's COPY error context ("COPY t, line N[, column c: v]",
 * the outermost one): *row = N and *col = "column c: v" or "".  Returns
 * false if ctx (may be NULL) holds no COPY line number.
 */
bool cvx_copy_context(const char *ctx, uint64_t *row, const char **col);

/*
 * Append the merge statement of r's listed columns, from the staging
 * table stage into target (both quoted, maybe schema-qualified), keyed on
 * the columns key[0..nkey): INSERT ... SELECT ... ON CONFLICT (key) DO
 * UPDATE SET ... WHERE (target row) IS DISTINCT FROM (EXCLUDED row), so
 * unchanged rows are not rewritten (design.md, performance facts).  With
 * dedupe the SELECT is DISTINCT ON (key) ... ORDER BY key, ctid DESC (the
 * last staged row of a key wins); without, it is cheaper (no sort) but
 * fails with SQLSTATE 21000 if a key is staged twice.  Its one result row:
 * distinct keys (NULL without dedupe: then every staged row), inserted,
 * updated (RETURNING xmax = 0).
 */
void cvx_merge_sql(struct cvx_buf *s, const char *target, const char *stage,
    const struct cvx_rows *r, const size_t *key, size_t nkey, bool dedupe);

/* What cvx-pg-load did to one table, for its summary. */
struct cvx_load_stat {
	const char *table;
	uint64_t read, inserted, updated, unchanged;
	double	 seconds;	/* first document to last COPY or merge */
};

/*
 * Append the summary of st[0..n): text lines "cvx-pg-load: TABLE: N
 * read, N inserted, N updated, N unchanged, S s, R rows/s", or (json) the
 * comma-separated objects {"table","read","inserted","updated",
 * "unchanged","seconds"} for the caller to wrap in its array.
 */
void cvx_summary_append(struct cvx_buf *out, bool json,
    const struct cvx_load_stat *st, size_t n);

#endif /* CVX_H */
