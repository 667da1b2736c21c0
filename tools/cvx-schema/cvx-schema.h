/* SPDX-License-Identifier: MIT */
/*
 * cvx-schema.h: what the files of cvx-schema share, and nothing else
 * (common/cvx.h holds what several tools share, the export reader too).
 */
#ifndef CVX_SCHEMA_H
#define CVX_SCHEMA_H

#include "cvx.h"

/*
 * The kinds of value a field was seen to hold, as a bit set: Convex's
 * types (convex-export-format.md §3.1) as a document shows them, an ID
 * (a string that decodes as one, §6) apart from other strings.
 */
enum {
	K_NULL = 1 << 0,
	K_BOOL = 1 << 1,
	K_INT = 1 << 2,		/* int64 */
	K_FLOAT = 1 << 3,	/* float64 */
	K_STRING = 1 << 4,
	K_ID = 1 << 5,
	K_BYTES = 1 << 6,
	K_ARRAY = 1 << 7,
	K_OBJECT = 1 << 8,
	K_ANY = 1 << 9		/* a legacy shape's "unknown" */
};

/* ---- ids.c: sets of document IDs -------------------------------------- */

/*
 * A set of 64-bit digests of document IDs (ids_key): open addressing,
 * 8 bytes a slot, at most 3/4 full.  Zero-initialise; ids_free.  A
 * collision of two digests (about n^2 / 2^65) could only hide one
 * dangling reference.
 */
struct ids {
	uint64_t *slot;		/* 0: empty */
	size_t	 cap;		/* a power of 2, or 0 */
	size_t	 n;
};

/* The digest of table number table's document internal (never 0). */
uint64_t ids_key(uint32_t table, const uint8_t internal[CVX_ID_INTERNAL_LEN]);
/* Add k; returns true if it was new. */
bool ids_add(struct ids *s, uint64_t k);
/* Is k in s? */
bool ids_has(const struct ids *s, uint64_t k);
/* Release the slots; s is empty again. */
void ids_free(struct ids *s);

/*
 * The documents of a table, as the ids_key digests of their _id in an
 * array: appended in one pass (no random access while reading), sorted
 * once, then searched.  Zero-initialise; keys_free.
 */
struct keys {
	uint64_t *k;
	size_t	 n, cap;
	bool	 sorted;
};

/* Append k. */
void keys_add(struct keys *a, uint64_t k);
/* Is k one of them?  Sorts a first (once). */
bool keys_has(struct keys *a, uint64_t k);
/* Release the array. */
void keys_free(struct keys *a);

/* ---- infer.c: a table's fields from its documents --------------------- */

/* What the documents (or the legacy shape) say of one top-level field. */
struct field {
	char	*key;		/* the raw key bytes, as between the quotes */
	size_t	 klen;
	char	*name;		/* decoded */
	unsigned kinds;		/* K_* seen */
	uint64_t nonnull;	/* documents where it is there and not null */
	bool	 big;		/* an int64 beyond 2^53 */
	bool	 nonfinite;	/* a float64 NaN or infinity */
	uint32_t idtable;	/* the table number of its IDs (0: none) */
	bool	 idmulti;	/* IDs of several tables */
	struct ids refs;	/* the IDs, while they are of one table */
	uint64_t dangling;	/* of refs, those no document has (ddl.c) */
	/* From a legacy shape (shape.c), when the table has one: */
	bool	 sseen;		/* the shape names it */
	unsigned skinds;
	uint64_t sreq;		/* object shapes where it is not optional */
	bool	 soptional;
	uint32_t sidtable;
	bool	 sidmulti;
};

/* One table of the export, and what its documents showed. */
struct stable {
	char	*component;	/* "" or "a/b" */
	char	*name;
	char	*pgname;	/* the PostgreSQL table: name, or a/b:name */
	long long number;	/* from _tables or the first _id; -1 */
	enum cvx_encoding encoding;
	bool	 shaped;	/* a legacy shape was read (skinds...) */
	bool	 out;		/* selected by -t and -x: read and written */
	struct field *f;	/* sorted by raw key */
	size_t	 nf, capf;
	uint64_t docs;
	struct keys ids;	/* ids_key of each document's _id */
	uint64_t created;	/* documents with _creationTime */
	uint64_t bytes;
};

/* The whole run: the tables, and which of them -t and -x select. */
struct schema {
	const char *input;	/* for messages */
	struct stable *t;
	size_t	 nt, capt;
	char	**inc, **exc;	/* -t and -x globs (inc NULL: all) */
	size_t	 ninc, nexc;
	bool	 quiet;		/* -q: no warnings */
};

/*
 * The table (component, name), added if new (out: whether -t and -x
 * select its name, component/name for a component's table, as cvx-unzip
 * matches it); valid until the next add.
 */
struct stable *schema_table(struct schema *s, const char *component,
    const char *name);

/*
 * The field of raw key k[0..klen) (the bytes between its quotes) of t,
 * added in key order if new; *hint (0 at first) speeds up the next call
 * for the next key of the same document.  Valid until the next add.
 */
struct field *schema_field(struct stable *t, const char *k, size_t klen,
    size_t *hint);

/*
 * Take in one document line s[0..n) (an object, checked here) of table
 * t: line lineno of entry (for messages; NULL: the stream).  Dies on a
 * JSON error or an _id that is not a Convex ID.  tagged: the line is from
 * the stream, its _table and _component members are not fields.
 */
void infer_doc(struct schema *s, struct stable *t, const char *s_, size_t n,
    const char *entry, uint64_t lineno, bool tagged);

/* Release what the tables hold. */
void schema_free(struct schema *s);

/* ---- shape.c: a legacy generated_schema.jsonl ------------------------- */

/*
 * Read the Shape string of a legacy generated_schema.jsonl (its first
 * line, the JSON string s[0..n): convex-export-format.md §4) into t's
 * fields (skinds, soptional, sidtable) and set t->shaped.  Returns 0, or
 * -1 with *why set when the text is not a shape this reader knows (the
 * table then takes its types from the documents alone).
 */
int shape_read(struct stable *t, const char *s, size_t n, const char **why);

/* ---- input.c: reading the export or the stream ------------------------ */

/*
 * Read the export x (opened and scanned) in one pass in entry order:
 * every table's documents and legacy shapes, into s.
 */
void input_export(struct schema *s, struct cvx_export *x);

/*
 * Read the stream on fd (name for messages) whose first n bytes were
 * already read into head: every document, routed by its tag.
 */
void input_stream(struct schema *s, int fd, const char *head, size_t n);

/* ---- ddl.c: the output ------------------------------------------------ */

/* How the DDL is written (the options). */
struct ddl_opts {
	bool	 snake;		/* --snake: field names snake_cased */
	bool	 references;	/* not --no-references */
	bool	 deferrable;	/* not --immediate: checked at COMMIT */
};

/*
 * Check the references (the dangling ones are reported on stderr) and
 * write the DDL of s's tables, in s's order, to out.  Dies when a name
 * cannot be a PostgreSQL identifier (longer than 63 bytes, or two fields
 * that --snake makes one).
 */
void ddl_write(struct schema *s, const struct ddl_opts *o,
    struct cvx_buf *out);

#endif /* CVX_SCHEMA_H */
