/* SPDX-License-Identifier: MIT */
/*
 * cvx-unzip.h: what the files of cvx-unzip share, and nothing else
 * (common/cvx.h holds what several tools share, the export reader too).
 */
#ifndef CVX_UNZIP_H
#define CVX_UNZIP_H

#include "cvx.h"

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
int emit(struct cvx_export *x, const size_t *order, size_t n);

/*
 * -l: one line per selected table (component, name, number, documents,
 * bytes, encoding; its entry read to count lines), after a header line on
 * a terminal, then the entries that were ignored; json: one JSON object
 * per table instead, and nothing else.  Returns the exit status.
 */
int list(struct cvx_export *x, const size_t *order, size_t n, bool json);

#endif /* CVX_UNZIP_H */
