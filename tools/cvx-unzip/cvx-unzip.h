/* SPDX-License-Identifier: MIT */
/*
 * cvx-unzip.h: what the files of cvx-unzip share, and nothing else
 * (common/cvx.h holds what several tools share).
 */
#ifndef CVX_UNZIP_H
#define CVX_UNZIP_H

#include "cvx.h"

/* ---- export.c: the layout of a Convex export --------------- */

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

/* ---- exportdir.c: an extracted export folder; the line rules */

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

/* ---- the export being read (input.c, zip.c) --------------------------- */

/*
 * Longest line accepted.  A Convex document is at most 1 MiB by Convex's
 * size metric (convex-export-format.md §9); its JSON text can be a few
 * times that (escapes), never 64 MiB.  The cap keeps memory bounded on a
 * corrupt entry that has no newline.
 */
#define MAX_LINE	(64 * 1024 * 1024)

/* One entry of the export: a ZIP entry (by position) or a folder's file. */
struct entry {
	char	*name;		/* ZIP entry name, or path in the folder */
	int64_t	 size;		/* uncompressed bytes, -1 if unknown */
	enum cvx_entry_kind kind;
	const char *why;	/* why it is ignored */
};

/* The export being read.  Zero-initialise; export_free. */
struct export {
	const char *input;	/* the operand, for messages */
	const char *dir;	/* folder operand, or NULL for a ZIP */
	int	 fd;		/* ZIP: a seekable descriptor */
	off_t	 base;		/* ZIP: where the archive starts in fd */
	int64_t	 size;		/* ZIP: bytes from base to the end */
	struct entry *e;
	size_t	 ne;
	size_t	 cape;
	struct cvx_catalog cat;
};

/*
 * A pass over a ZIP's entries in central-directory order, and the
 * libarchive client that reads x->fd for it (pread(2), with reads that
 * start small after each seek and grow).  Zero-initialise; zip_close.
 */
struct archive;
struct zip {
	struct export *x;
	struct archive *a;	/* the open pass, or NULL */
	long	 index;		/* the current entry, -1 before the first */
	int64_t	 at;		/* client: offset from x->base */
	size_t	 blk;		/* client: next read size */
	char	*buf;		/* client: CVX_IOSIZE bytes */
};

/* Reading one entry's bytes, from the ZIP or a file of the folder. */
struct reader {
	struct export *x;
	const char *name;	/* the entry's name, for messages */
	struct zip *z;		/* ZIP: the pass, at this entry; or NULL */
	int	 fd;		/* folder: the file once opened, or -1 */
};

/* Where a walk over the selected tables' entries is. */
struct walker {
	struct export *x;
	struct zip z;		/* ZIP: the current pass */
	struct reader r;
};

/*
 * Open the operand path (NULL or "-": stdin) into x: a folder is only
 * remembered; a ZIP is made seekable (zip_input).  Dies on error.
 */
void export_open(struct export *x, const char *path);

/*
 * Pass 0: record every entry of the export and build x->cat, reading the
 * small entries whole (_tables, generated_schema.jsonl, README.md) so
 * that each CRC-32 is checked before any output.  Dies on bad data.
 */
void export_scan(struct export *x);

/* Release the export's entries, catalogue and descriptor. */
void export_free(struct export *x);

/*
 * Read up to n bytes of r's entry into buf; 0 at its end.  A read,
 * inflate, size or CRC-32 error is fatal (fail).
 */
size_t reader_read(struct reader *r, char *buf, size_t n);

/* Start a walk over x's entries; walk_end. */
void walk_start(struct walker *w, struct export *x);

/*
 * A reader at the start of entry i (an index into x->e), valid until the
 * next call.  Any order works; on a ZIP an entry behind the current one
 * costs a new pass (zip_seek).
 */
struct reader *walk_to(struct walker *w, long i);

/* Release what the walk holds. */
void walk_end(struct walker *w);

/*
 * Make x->fd a seekable file holding the ZIP from fd (st is its fstat):
 * the operand or a seekable stdin as it is, a pipe spooled to an unlinked
 * file under $TMPDIR.  Then relay the abort line of a failed upstream cvx
 * tool (cvx_abort_relay), and refuse empty input.  Dies on error.
 */
void zip_input(struct export *x, int fd, const struct stat *st);

/*
 * Start a pass over x's ZIP through its central directory (the seekable
 * reader), closing the one z had open.  A file that is no ZIP fails.
 */
void zip_open(struct zip *z, struct export *x);

/*
 * The next entry's name (UTF-8 as stored, "" if none; valid until the
 * next call), or NULL at the end; *size is its uncompressed size, -1 when
 * the central directory has none.  A warning from libarchive is printed;
 * an error fails.
 */
const char *zip_next(struct zip *z, int64_t *size);

/*
 * Move z to entry i, whose name must still be name (the ZIP was read
 * once already: an entry gone or renamed fails).
 */
void zip_seek(struct zip *z, long i, const char *name);

/*
 * Read up to n bytes of the current entry (name, for messages); 0 at its
 * end, where libarchive has checked the CRC-32.  Damaged data fails with
 * our words for libarchive's ("corrupt entry: CRC-32 mismatch").
 */
size_t zip_read(struct zip *z, const char *name, char *buf, size_t n);

/* Free the pass and its buffer; z is zeroed. */
void zip_close(struct zip *z);

/* ---- writer.c: the writing thread and the ring of chunks -------------- */

/* A table being emitted. */
struct job {
	const char *entry;	/* entry name, for messages */
	struct cvx_buf tag;	/* "_table":"t", ... (cvx_tag_build) */
};

/* A chunk of one entry's bytes, or the end (job NULL) or an error. */
struct slot {
	char	*buf;		/* CVX_IOSIZE bytes */
	size_t	 len;
	struct job *job;
	bool	 first;		/* the entry's first chunk */
	bool	 last;		/* the entry's last chunk */
	char	*error;		/* die with this message (fail) */
};

/*
 * Make stdout the stream: buffered, and registered so that any failure
 * ends it with the abort line.  raw (-r): lines go out untagged.
 */
void writer_init(bool raw);

/* Start the writing thread; input names the export in messages. */
void writer_start(const char *input);

/*
 * A free slot to fill, emptied (waits for the writer).  Fill it, then
 * slot_put.  Only the reading thread calls these two.
 */
struct slot *slot_get(void);

/* Hand the slot from slot_get to the writer. */
void slot_put(void);

/*
 * Stop the writer after the last chunk and close stdout; returns the exit
 * status (1 if stdout could not be written).
 */
int writer_finish(void);

/*
 * Fail with an error found while reading: "cvx-unzip: MESSAGE", exit 1.
 * Once the writer runs, the message goes through it behind the chunks
 * already read, so it never interleaves with a line on stdout.
 */
void fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* ---- emit.c, list.c: what is done with the selected tables ------------ */

/*
 * Write the stream: the documents of the n tables x->cat.t[order[k]], in
 * that order, each line checked and tagged.  Returns the exit status.
 */
int emit(struct export *x, const size_t *order, size_t n);

/*
 * -l: one line per selected table (component, name, number, documents,
 * bytes, encoding; its entry read to count lines), then the entries that
 * were ignored.  Returns the exit status.
 */
int list(struct export *x, const size_t *order, size_t n);

#endif /* CVX_UNZIP_H */
