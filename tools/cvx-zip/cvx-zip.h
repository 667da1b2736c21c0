/* SPDX-License-Identifier: MIT */
/*
 * cvx-zip.h: what the files of cvx-zip share, and nothing else
 * (common/cvx.h holds what several tools share).
 */
#ifndef CVX_ZIP_H
#define CVX_ZIP_H

#include <sys/types.h>

#include "cvx.h"

/* Fresh user table numbers start here (convex-export-format.md §5;
 * convex-backend crates/database/src/bootstrap_model/table.rs:66). */
#define ZIP_FIRST_USER_TABLE 10001

/* Where a table's number came from, in order of precedence. */
enum znum_from { ZNUM_NONE, ZNUM_FILE, ZNUM_ID, ZNUM_FRESH };

/* A run of one table's documents in the spool file. */
struct zchunk {
	off_t	 off;
	size_t	 len;
};

/* One table of the ZIP. */
struct ztable {
	char	*component;	/* "" or "a/b" */
	char	*name;
	char	*ident;		/* "name" or "a/b:name" (the stream's) */
	char	*qname;		/* "name" or "a/b:name" (the identity): what -t/-x match */
	uint32_t number;	/* 0 until known */
	enum znum_from from;
	uint64_t from_line;	/* the line whose _id gave the number */
	uint64_t docs;
	uint64_t bytes;		/* documents.jsonl size */
	struct cvx_buf pend;	/* documents not yet in the spool */
	struct zchunk *chunks;
	size_t	 nchunks, capchunks;
	bool	 int64_all;	/* an --int64 pattern names every field */
	bool	 int64_some;	/* some --int64 pattern names this table */
	bool	 skip;		/* not selected by -t */
};

/* Every table, with a hash of identities. */
struct zcat {
	struct ztable **t;
	size_t	 n, cap;
	size_t	*hash;		/* index + 1, 0 = empty; size hcap */
	size_t	 hcap;
};

/* Options that the checker needs. */
struct zopts {
	char	**int64;	/* --int64 patterns: TABLE[.FIELD] globs */
	size_t	 nint64;
};

/* ---- table.c: the catalogue, numbers, spool ------------------------- */

/* The table with identity ident, or NULL. */
struct ztable *zcat_find(struct zcat *c, const char *ident, size_t n);
/* Add a table (component "" for the root); its identity must be new. */
struct ztable *zcat_add(struct zcat *c, const char *component,
    const char *name);
/* Free everything. */
void zcat_free(struct zcat *c);

/* True if s[0..n) is a Convex table or component name (identifier.rs). */
bool zip_is_identifier(const char *s, size_t n);

/*
 * Read --table-numbers: {"name":…,"id":N[,"component":"a/b"]} lines.
 * Dies (exit 1) naming the line on a bad one.
 */
void znum_read(struct zcat *c, const char *path);

/*
 * Table t's documents carry table number num (from the _id at line
 * lineno): set it if t has none yet, else check it.  Dies on a conflict.
 */
void znum_from_id(struct zcat *c, struct ztable *t, uint32_t num,
    uint64_t lineno);

/* Give every table without a number the next free one from 10001. */
void znum_assign(struct zcat *c);

/* Write the numbers used to path, in the _tables format. */
void znum_write(const struct zcat *c, const char *path);

/* Drop the tables marked skip. */
void zcat_drop_skipped(struct zcat *c);

/* Sort c->t by component (root first), then number. */
void zcat_sort(struct zcat *c);

/* Spool: append one checked document line (with its '\n') to t. */
void zspool_add(struct zcat *c, struct ztable *t, const char *doc,
    size_t n);
/* Read t's documents back, in order, calling fn with each block. */
void zspool_read(struct ztable *t, void (*fn)(void *, const void *,
    size_t), void *ctx);
/* Free the spool. */
void zspool_close(void);

/* ---- check.c: one document against Convex's rules ------------------- */

/*
 * The result of checking one document: the compact text to write, and
 * the table number its _id carries (0: no _id).
 */
struct zdoc {
	struct cvx_buf out;	/* the document, compact, '\n'-ended */
	uint32_t id_table;
	struct cvx_buf why;	/* on error: "field F: what" */
	struct cvx_buf tmp;	/* scratch */
};

/*
 * Check the document line s[0..n) of table t (tag members removed, not
 * written) and build its output in d->out.  Returns 0, or -1 with the
 * reason in d->why.
 */
/* Note which --int64 patterns name table t (before its first document). */
void zcheck_table_init(const struct zopts *o, struct ztable *t);

int zcheck_doc(struct zdoc *d, const struct zopts *o, const struct ztable *t,
    const char *s, size_t n);

/* ---- write.c: the ZIP ----------------------------------------------- */

/* Write the ZIP of c's tables to fd (name for messages). */
void zwrite_zip(struct zcat *c, int fd, const char *name);

#endif /* CVX_ZIP_H */
