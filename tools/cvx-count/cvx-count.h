/* SPDX-License-Identifier: MIT */
/*
 * cvx-count.h: what the files of cvx-count share, and nothing else
 * (common/cvx.h holds what several tools share).
 */
#ifndef CVX_COUNT_H
#define CVX_COUNT_H

#include "cvx.h"

/* ---- counts.c: the rows of the result ---------------------------------- */

/* One row of the result: its key as printed, and its count. */
struct entry {
	char	*key;		/* "table" or "table\tvalue", NUL-terminated */
	size_t	 len;
	uint64_t hash;
	uint64_t n;
};

/*
 * Rows by key: open addressing, capacity a power of two.  Zero-initialise;
 * total is the caller's (the lines counted).
 */
struct counts {
	struct entry *slots;
	size_t	 cap;
	size_t	 used;
	uint64_t total;
};

/* The row for key[0..len) (created with count 0 if new, key copied). */
struct entry *counts_get(struct counts *c, const char *key, size_t len);

/* Add the rows and the total of src to dst. */
void counts_merge(struct counts *dst, const struct counts *src);

/*
 * Pack the rows at the front of c->slots, sorted by key bytes (shorter
 * first on a common prefix); returns their number.  The rows are no
 * longer where their hash puts them: afterwards c is only read and freed.
 */
size_t counts_sort(struct counts *c);

/* Byte order of two rows' keys, as counts_sort sorts them (for qsort). */
int entry_cmp(const void *a, const void *b);

/* Free the rows and their keys; c is empty ({0}) again. */
void counts_free(struct counts *c);


/*
 * Keep, at the front of the sorted rows c->slots[0..n) and in their
 * order, those whose table (the key up to its first tab) is selected
 * (cvx_table_selected); c->total becomes their sum.  Returns their number.
 * With no globs at all nothing changes.
 */
size_t counts_select(struct counts *c, size_t n, char *const *inc,
    size_t ninc, char *const *exc, size_t nexc);

/* ---- input.c: reading and counting the stream -------------------------- */

/* What a line's row is named by (the options -k, -T, -u). */
struct count_key {
	const char *by;		/* -k: the field to count by, or NULL */
	bool	 no_table;	/* -T: by the -k value alone, no table */
	const char *untagged;	/* -u: the name of untagged documents */
};

/*
 * Count every line of the input path (NULL or "-": stdin) into c (empty,
 * zero-initialised), named as k says: "table", "table<TAB>value" with -k
 * (the value's JSON text without whitespace), "value" with -T.  A regular
 * file is mapped and counted on threads, anything else read line by line.
 * A line that is not a JSON object, or has a bad tag, is reported with its
 * line and column and exits 1; an abort line is relayed (exit 1).
 */
void count_input(struct counts *c, const char *path,
    const struct count_key *k);

/* ---- expect.c: --expect, a counts file to compare with ----------------- */

/*
 * Read the counts file path, to compare with later: name<TAB>count lines,
 * as cvx-count prints them, or the listing of an export by cvx-unzip -l
 * (six columns: component, name, number, documents, bytes, encoding;
 * '#' lines skipped) or -l --json (one object per table).  A listing's
 * tables are named as the stream names them (component:name); a missing
 * table is expected empty, and its _storage tables only when the stream
 * has some (cvx-unzip -s).  Exit 1 if the file cannot be read or a line
 * is malformed or listed twice.
 */
void expect_read(const char *path);

/*
 * Give c a row (count 0) for every table the file lists that c has not
 * counted, so that empty tables show; not the optional _storage ones.
 */
void expect_add_listed(struct counts *c);

/* Forget the listed rows whose table -t and -x leave out. */
void expect_select(char *const *inc, size_t ninc, char *const *exc,
    size_t nexc);

/*
 * Compare the sorted rows[0..n) and the total with the counts file read
 * by expect_read; the total is compared when it is printed (total_line)
 * or listed there.  A row counted 0 there is the same as a row not listed.
 * Returns 0, or 1 after reporting each difference on stderr.
 */
int expect_check(const struct entry *rows, size_t n, uint64_t total,
    bool total_line);

/* ---- print.c: the result on stdout ------------------------------------- */

/* Print the rows as key<TAB>count lines, and "total<TAB>N" if total_line. */
void print_tsv(const struct entry *rows, size_t n, uint64_t total,
    bool total_line);

/*
 * Print the rows as one JSON object: {"tables":{NAME:COUNT,...},
 * "total":N}, or with -k {"tables":{NAME:{VALUE:COUNT,...},...}, ...}
 * where VALUE is the value's JSON text as a string (and with -T,
 * {"values":{VALUE:COUNT,...},"total":N}).  k is how the rows were named.
 */
void print_json(const struct entry *rows, size_t n, uint64_t total,
    const struct count_key *k);

/* ---- refs.c: --refs ---------------------------------------------------- */

/*
 * Print, for each table and top-level field holding Convex IDs (or arrays
 * of them) and each table they point to, table<TAB>field<TAB>target<TAB>
 * references<TAB>dangling, where dangling references are those to no
 * document of the input path (NULL or "-": stdin); the tables' numbers
 * come from the documents' _id ("#N" for a number no document has).
 * Returns 1 after a message per row with dangling references, else 0.
 */
int count_refs(const char *path);

#endif /* CVX_COUNT_H */
