/* SPDX-License-Identifier: MIT */
/*
 * exportzip.c: an export's ZIP, through libarchive's seekable reader
 * (the one file of common/ that calls a library: only the tools that read
 * an export pull it from libcvx.a, and they link libarchive): a pipe
 * spooled to a file, passes over the central directory, entry data with
 * its CRC-32 checked, and libarchive's errors in our words.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cvx.h"

/* First read after a seek: small, so walking headers reads little. */
#define SMALL_READ	(16 * 1024)
/* Bytes searched at each end of a ZIP input for an abort line: more than
 * the longest one stream.c writes. */
#define ABORT_SPAN	(2 * CVX_ABORT_MAX)
/*
 * archive_errno() of a format error: archive.h leaves the value to
 * libarchive's archive_platform.h, which picks it this way.
 */
#ifdef EFTYPE
#define LA_EFORMAT	EFTYPE
#else
#define LA_EFORMAT	EILSEQ
#endif

/* libarchive's message for a (NULL for some failures). */
static const char *
la_msg(struct archive *a)
{
	const char *m = archive_error_string(a);

	return m != NULL ? m : "unknown libarchive error";
}

/* "%.*s" arguments: the message's first line (some end in a newline). */
#define LA_ERROR(a)	(int)strcspn(la_msg(a), "\n"), la_msg(a)

/* ---- the libarchive client: pread(2) on the seekable file ------------- */

/* libarchive read callback: the next block, small after a seek. */
static la_ssize_t
src_read(struct archive *a, void *v, const void **out)
{
	struct cvx_zip *z = v;
	size_t want = z->blk;
	ssize_t r;

	if (z->at >= z->x->size)
		return 0;
	if ((int64_t)want > z->x->size - z->at)
		want = (size_t)(z->x->size - z->at);
	do
		r = pread(z->x->fd, z->buf, want, z->x->base + z->at);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		archive_set_error(a, errno, "read error");
		return ARCHIVE_FATAL;
	}
	z->at += r;
	if (z->blk < CVX_IOSIZE)
		z->blk *= 2;
	*out = z->buf;
	return r;
}

/* libarchive seek callback. */
static la_int64_t
src_seek(struct archive *a, void *v, la_int64_t off, int whence)
{
	struct cvx_zip *z = v;
	int64_t to;

	(void)a;
	if (whence == SEEK_SET)
		to = off;
	else if (whence == SEEK_CUR)
		to = z->at + off;
	else
		to = z->x->size + off;
	if (to < 0)
		return ARCHIVE_FATAL;
	z->at = to;
	z->blk = SMALL_READ;
	return to;
}

/* libarchive skip callback: skipping is seeking. */
static la_int64_t
src_skip(struct archive *a, void *v, la_int64_t req)
{
	struct cvx_zip *z = v;

	(void)a;
	if (req > z->x->size - z->at)
		req = z->x->size - z->at;
	if (req < 0)
		req = 0;
	z->at += req;
	z->blk = SMALL_READ;
	return req;
}

/* ---- making the input seekable ---------------------------------------- */

/*
 * Copy the pipe fd to the file t, 1 MiB at a time; returns the byte count.
 * (splice(2) was tried: slower into ext4, no faster into tmpfs.)
 */
static int64_t
spool(const char *input, const char *tmpdir, int fd, int t)
{
	int64_t total = 0;
	ssize_t r;
	char *buf = cvx_malloc(CVX_IOSIZE);

	/* A pipe's size is unknown: bytes and rate only (cvx-unzip). */
	cvx_progress_phase("spooling the pipe to a file", 0, false);
	while ((r = read(fd, buf, CVX_IOSIZE)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			cvx_die("%s: %s", input, strerror(errno));
		}
		if (cvx_write_all(t, buf, (size_t)r) != 0)
			cvx_die("%s: spooling to %s: %s", input, tmpdir,
			    strerror(errno));
		total += r;
		cvx_progress_tick((uint64_t)r, 0);
	}
	cvx_progress_end();
	free(buf);
	return total;
}

/* Read up to n bytes at off in the ZIP; returns fewer only at its end. */
static size_t
zip_pread(struct cvx_export *x, char *buf, size_t n, int64_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = pread(x->fd, buf + got, n - got, x->base + off +
		    (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			cvx_die("%s: %s", x->input, strerror(errno));
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* The line number of the line starting at off: 1 + the newlines before. */
static uint64_t
line_at(struct cvx_export *x, int64_t off)
{
	char *buf = cvx_malloc(CVX_IOSIZE), *p, *end;
	uint64_t lineno = 1;
	int64_t pos = 0;
	size_t got;

	while (pos < off) {
		got = zip_pread(x, buf, off - pos < CVX_IOSIZE ?
		    (size_t)(off - pos) : CVX_IOSIZE, pos);
		if (got == 0)
			break;
		for (p = buf, end = buf + got;
		    (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
			lineno++;
		pos += (int64_t)got;
	}
	free(buf);
	return lineno;
}

/*
 * An upstream cvx tool that failed (cvx-sha -c on a checksum mismatch)
 * wrote an abort line, alone or after the bytes it had passed on: relay
 * its reason rather than call the ZIP damaged ("Failing loudly
 * downstream").  The abort line is the first line or the last one.
 */
static void
upstream_check(struct cvx_export *x)
{
	char *buf = cvx_malloc(ABORT_SPAN), *nl;
	size_t n, start;

	n = zip_pread(x, buf, ABORT_SPAN, 0);
	if (cvx_is_abort(buf, n, NULL)) {
		nl = memchr(buf, '\n', n);
		cvx_abort_relay(x->input, 1, buf,
		    nl != NULL ? (size_t)(nl - buf) : n);
	}
	if (x->size > ABORT_SPAN)
		n = zip_pread(x, buf, ABORT_SPAN, x->size - ABORT_SPAN);
	if (n == 0 || buf[n - 1] != '\n')
		goto out;
	for (start = n - 1; start > 0 && buf[start - 1] != '\n'; start--)
		;
	/* A line cut by the window's start is not one whole abort line. */
	if (start == 0 && x->size > ABORT_SPAN)
		goto out;
	if (cvx_is_abort(buf + start, n - 1 - start, NULL))
		cvx_abort_relay(x->input, line_at(x, x->size - (int64_t)n +
		    (int64_t)start), buf + start, n - 1 - start);
out:
	free(buf);
}

void
cvx_zip_input(struct cvx_export *x, int fd, const struct stat *st)
{
	cvx_zip_input_head(x, fd, st, NULL, 0);
}

void
cvx_zip_input_head(struct cvx_export *x, int fd, const struct stat *st,
    const char *head, size_t n)
{
	struct cvx_buf tmpdir = {0};
	int t;

	if (S_ISREG(st->st_mode)) {
		x->fd = fd;
		if ((x->base = lseek(fd, 0, SEEK_CUR)) < 0)
			x->base = 0;
		x->base = x->base >= (off_t)n ? x->base - (off_t)n : 0;
		x->size = st->st_size - x->base;
	} else {
		if ((t = cvx_tmpfile(NULL, &tmpdir)) < 0)
			cvx_die("%s: %s", tmpdir.p, strerror(errno));
		cvx_pipe_grow(fd);
		if (n > 0 && cvx_write_all(t, head, n) != 0)
			cvx_die("%s: spooling to %s: %s", x->input, tmpdir.p,
			    strerror(errno));
		x->size = (int64_t)n + spool(x->input, tmpdir.p, fd, t);
		cvx_buf_free(&tmpdir);
		if (fd != 0)
			(void)close(fd);
		x->fd = t;
		x->base = 0;
	}
	upstream_check(x);
	if (x->size == 0)
		cvx_die("%s: empty input, not a ZIP", x->input);
}

/* ---- passes over the entries ------------------------------------------ */

void
cvx_zip_open(struct cvx_zip *z, struct cvx_export *x)
{
	struct archive *a;

	if (z->a != NULL)
		archive_read_free(z->a);
	z->a = NULL;
	z->x = x;
	z->index = -1;
	z->at = 0;
	z->blk = SMALL_READ;
	if (z->buf == NULL)
		z->buf = cvx_malloc(CVX_IOSIZE);
	if ((a = archive_read_new()) == NULL)
		cvx_die("out of memory");
	if (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK ||
	    archive_read_set_read_callback(a, src_read) != ARCHIVE_OK ||
	    archive_read_set_seek_callback(a, src_seek) != ARCHIVE_OK ||
	    archive_read_set_skip_callback(a, src_skip) != ARCHIVE_OK ||
	    archive_read_set_callback_data(a, z) != ARCHIVE_OK)
		cvx_export_fail("%s: %.*s", x->input, LA_ERROR(a));
	if (archive_read_open1(a) != ARCHIVE_OK) {
		/* No end of central directory record: libarchive's
		 * "Unrecognized archive format" says nothing of why. */
		if (archive_errno(a) == LA_EFORMAT)
			cvx_export_fail("%s: no ZIP central directory:"
			    " truncated or not a ZIP", x->input);
		cvx_export_fail("%s: %.*s", x->input, LA_ERROR(a));
	}
	z->a = a;
}

/* The entry's name as stored (UTF-8), "" if there is none. */
static const char *
zip_name(struct archive_entry *ae)
{
	const char *n = archive_entry_pathname_utf8(ae);

	if (n == NULL)
		n = archive_entry_pathname(ae);
	return n != NULL ? n : "";
}

/*
 * The next entry header, or NULL at the end.  ARCHIVE_WARN (a name that
 * does not convert, a local header that disagrees with the central
 * directory, whose values are the ones used) is reported and passed over:
 * the data is still checked against the central directory's CRC-32.
 */
static struct archive_entry *
next_header(struct cvx_zip *z, bool quiet)
{
	struct archive_entry *ae;
	int r;

	r = archive_read_next_header(z->a, &ae);
	if (r == ARCHIVE_EOF)
		return NULL;
	if (r < ARCHIVE_WARN && archive_errno(z->a) == LA_EFORMAT)
		cvx_export_fail("%s: damaged ZIP: %.*s", z->x->input,
		    LA_ERROR(z->a));
	if (r < ARCHIVE_WARN)
		cvx_export_fail("%s: %.*s", z->x->input, LA_ERROR(z->a));
	if (r == ARCHIVE_WARN && !quiet)
		warnx("%s: %s: %.*s", z->x->input, zip_name(ae),
		    LA_ERROR(z->a));
	z->index++;
	return ae;
}

const char *
cvx_zip_next(struct cvx_zip *z, int64_t *size)
{
	struct archive_entry *ae;

	if ((ae = next_header(z, false)) == NULL)
		return NULL;
	*size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : -1;
	return zip_name(ae);
}

/*
 * A ZIP is read in entry order; an entry behind the current one starts a
 * new pass (central directory again, then headers only: skipping an entry
 * is a seek).  Its warnings were printed on pass 0.
 */
void
cvx_zip_seek(struct cvx_zip *z, long i, const char *name)
{
	struct archive_entry *ae = NULL;

	if (z->a == NULL || i <= z->index)
		cvx_zip_open(z, z->x);
	while (z->index < i)
		if ((ae = next_header(z, true)) == NULL)
			cvx_export_fail("%s: %s: entry missing on a second"
			    " pass", z->x->input, name);
	if (ae == NULL || strcmp(zip_name(ae), name) != 0)
		cvx_export_fail("%s: %s: entry changed on a second pass",
		    z->x->input, name);
}

/*
 * libarchive's words for damaged entry data (3.6 and later), and ours
 * (NULL: libarchive's own).  The user learns that the entry is corrupt,
 * not which code zlib's inflate returned.
 */
static const struct {
	const char *la, *ours;
} corrupt[] = {
	{ "ZIP decompression failed", "its deflate data is damaged" },
	{ "ZIP bad CRC", "CRC-32 mismatch" },
	{ "ZIP compressed data is wrong size", NULL },
	{ "ZIP uncompressed data is wrong size", NULL },
	{ "Truncated ZIP file data", NULL },
	{ "Truncated ZIP file body", NULL },
	{ "Corrupted ZIP file data", NULL },
};

/* Fail on a read of the current entry's data that libarchive refused. */
static void __attribute__((noreturn))
data_error(struct cvx_zip *z, const char *name)
{
	const char *m = la_msg(z->a);
	size_t i;

	for (i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		if (strncmp(m, corrupt[i].la, strlen(corrupt[i].la)) != 0)
			continue;
		if (corrupt[i].ours != NULL)
			cvx_export_fail("%s: %s: corrupt entry: %s",
			    z->x->input, name, corrupt[i].ours);
		cvx_export_fail("%s: %s: corrupt entry: %.*s",
		    z->x->input, name, LA_ERROR(z->a));
	}
	cvx_export_fail("%s: %s: %.*s", z->x->input, name, LA_ERROR(z->a));
}

size_t
cvx_zip_read(struct cvx_zip *z, const char *name, char *buf, size_t n)
{
	la_ssize_t got;

	/* Negative: a read, inflate, size or CRC-32 error. */
	if ((got = archive_read_data(z->a, buf, n)) < 0)
		data_error(z, name);
	return (size_t)got;
}

void
cvx_zip_close(struct cvx_zip *z)
{
	if (z->a != NULL)
		archive_read_free(z->a);
	free(z->buf);
	memset(z, 0, sizeof(*z));
}
