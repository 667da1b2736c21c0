/* SPDX-License-Identifier: MIT */
/*
 * unzip_zip: a ZIP, given as a file, through cvx-unzip's reading code,
 * the export reader of common/ (cvx_zip_input, cvx_export_scan,
 * cvx_walker_to, cvx_export_read):
 * the upstream abort check, the central directory through libarchive's
 * seekable reader, every entry classified, _tables and generated_schema
 * read, then each table's documents.jsonl read and written as the tagged
 * stream (the lines split here, as writer.c's thread does, each checked
 * with cvx_export_line and tagged with cvx_tag_build / cvx_out_tagged).
 *
 * cvx-unzip ends the process on every error.  Here its failure functions
 * (cvx_die, cvx_fail, cvx_abort_relay, fail) and warnx are wrapped at
 * link time (fuzz.mk: -Wl,--wrap) to record the message and longjmp back,
 * and what the code allocated (the cvx_* allocators, libarchive readers)
 * is tracked, so that a failed input leaves nothing behind.
 *
 * Invariants:
 * - the run ends in success or in a failure with a message that names
 *   the input first ("in.zip: ..."); every warning names it too;
 * - an entry whose name has a '..', '.' or empty component, a backslash
 *   or a leading '/' is never part of the export; every entry's kind is
 *   what cvx_export_parse_name says of its name;
 * - the catalogue holds each table once, and a table's documents entry
 *   is an entry of that table;
 * - every line written is one object line whose tag reads back as its
 *   table (component:table), with the line's own members after it;
 * - after success, nothing allocated is left but what cvx_export_free frees.
 */
#define _GNU_SOURCE		/* memfd_create */
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>

#include "cvx-unzip.h"
#include "fuzz.h"

/* Bytes read from one entry at most: a small ZIP may inflate a lot. */
#define ENTRY_MAX	(8 * 1024 * 1024)
#define INPUT		"in.zip"

/* ---- the trap: failures come back here ------------------------------- */

static jmp_buf trap;
static bool armed;		/* inside cvx-unzip's code */
static char failmsg[4096];

/* Record a failure's message and return to the harness. */
static void __attribute__((noreturn, format(printf, 1, 0)))
trapped(const char *fmt, va_list ap)
{
	vsnprintf(failmsg, sizeof(failmsg), fmt, ap);
	CHECK(armed, "a failure outside cvx-unzip's code: %s", failmsg);
	longjmp(trap, 1);
}

void __wrap_cvx_die(const char *, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
void __wrap_cvx_fail(int, const char *, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
void __wrap_fail(const char *, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
void __wrap_cvx_abort_relay(const char *, uint64_t, const char *, size_t)
    __attribute__((noreturn));
void __wrap_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void __wrap_exit(int) __attribute__((noreturn));
void __real_exit(int) __attribute__((noreturn));

void
__wrap_cvx_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trapped(fmt, ap);
}

void
__wrap_cvx_fail(int status, const char *fmt, ...)
{
	va_list ap;

	(void)status;
	va_start(ap, fmt);
	trapped(fmt, ap);
}

void
__wrap_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trapped(fmt, ap);
}

void
__wrap_cvx_abort_relay(const char *name, uint64_t lineno, const char *line,
    size_t len)
{
	(void)line;
	(void)len;
	snprintf(failmsg, sizeof(failmsg), "%s: line %ju: upstream failed",
	    name, (uintmax_t)lineno);
	CHECK(armed, "a relay outside cvx-unzip's code");
	longjmp(trap, 1);
}

/* A warning: it names the input first, and is not printed. */
void
__wrap_warnx(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	CHECK(strncmp(msg, INPUT ": ", strlen(INPUT) + 2) == 0,
	    "warning without the input's name: %s", msg);
}

void
__wrap_exit(int status)
{
	CHECK(!armed, "exit(%d) inside cvx-unzip's code", status);
	__real_exit(status);
}

/* ---- what the code allocates while armed ----------------------------- */

#define TRACK	(1 << 16)	/* open addressing; plenty */
static void *track[TRACK];
static size_t ntrack;
static struct archive *arch[64];

static size_t
slot_of(const void *p)
{
	size_t h = ((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ULL >> 48;

	while (track[h] != NULL && track[h] != p)
		h = (h + 1) % TRACK;
	return h;
}

static void
track_add(void *p)
{
	size_t h;

	if (!armed || p == NULL)
		return;
	CHECK(ntrack < TRACK / 2, "too many allocations to track");
	h = slot_of(p);
	if (track[h] == NULL) {
		track[h] = p;
		ntrack++;
	}
}

/* Remove p; rehash the run after it (linear probing). */
static void
track_del(const void *p)
{
	size_t h, j;
	void *q;

	if (p == NULL || ntrack == 0 || track[h = slot_of(p)] == NULL)
		return;
	track[h] = NULL;
	ntrack--;
	for (j = (h + 1) % TRACK; (q = track[j]) != NULL; j = (j + 1) % TRACK) {
		track[j] = NULL;
		track[slot_of(q)] = q;
	}
}

void *__real_cvx_malloc(size_t);
void *__real_cvx_calloc(size_t, size_t);
void *__real_cvx_realloc(void *, size_t);
void *__real_cvx_reallocarray(void *, size_t, size_t);
char *__real_cvx_strdup(const char *);
void *__real_cvx_memdup(const void *, size_t);
void __real_free(void *);
struct archive *__real_archive_read_new(void);
int __real_archive_read_free(struct archive *);
void *__wrap_cvx_malloc(size_t);
void *__wrap_cvx_calloc(size_t, size_t);
void *__wrap_cvx_realloc(void *, size_t);
void *__wrap_cvx_reallocarray(void *, size_t, size_t);
char *__wrap_cvx_strdup(const char *);
void *__wrap_cvx_memdup(const void *, size_t);
void __wrap_free(void *);
struct archive *__wrap_archive_read_new(void);
int __wrap_archive_read_free(struct archive *);

void *
__wrap_cvx_malloc(size_t n)
{
	void *p = __real_cvx_malloc(n);

	track_add(p);
	return p;
}

void *
__wrap_cvx_calloc(size_t k, size_t n)
{
	void *p = __real_cvx_calloc(k, n);

	track_add(p);
	return p;
}

void *
__wrap_cvx_realloc(void *o, size_t n)
{
	void *p = __real_cvx_realloc(o, n);

	track_del(o);
	track_add(p);
	return p;
}

void *
__wrap_cvx_reallocarray(void *o, size_t k, size_t n)
{
	void *p = __real_cvx_reallocarray(o, k, n);

	track_del(o);
	track_add(p);
	return p;
}

char *
__wrap_cvx_strdup(const char *s)
{
	char *p = __real_cvx_strdup(s);

	track_add(p);
	return p;
}

void *
__wrap_cvx_memdup(const void *s, size_t n)
{
	void *p = __real_cvx_memdup(s, n);

	track_add(p);
	return p;
}

void
__wrap_free(void *p)
{
	track_del(p);
	__real_free(p);
}

struct archive *
__wrap_archive_read_new(void)
{
	struct archive *a = __real_archive_read_new();
	size_t i;

	for (i = 0; armed && a != NULL && i < 64; i++)
		if (arch[i] == NULL) {
			arch[i] = a;
			break;
		}
	return a;
}

int
__wrap_archive_read_free(struct archive *a)
{
	size_t i;

	for (i = 0; a != NULL && i < 64; i++)
		if (arch[i] == a)
			arch[i] = NULL;
	return __real_archive_read_free(a);
}

/* After a failure: free what the code had allocated and not freed. */
static void
release_all(void)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (arch[i] != NULL)
			__wrap_archive_read_free(arch[i]);
	for (i = 0; i < TRACK; i++)
		if (track[i] != NULL) {
			__real_free(track[i]);
			track[i] = NULL;
		}
	ntrack = 0;
}

/* ---- the stream, as writer.c makes it -------------------------------- */

static struct cvx_out out;
static int memfd = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cvx_out_init(&out, open("/dev/null", O_WRONLY | O_CLOEXEC),
	    "/dev/null");
	if ((memfd = memfd_create("in.zip", MFD_CLOEXEC)) < 0) {
		perror("memfd_create");
		exit(1);
	}
	return 0;
}

/* Write the document line s[0..n) of table t tagged, and read it back. */
static void
put_line(const struct cvx_table *t, const char *s, size_t n)
{
	struct cvx_buf tag = {0}, id = {0}, want = {0};
	struct fuzz_members a, b;
	struct cvx_tag tg;
	const char *why, *at, *line;
	size_t len, i, skip;

	cvx_tag_build(&tag, t->name, t->component);
	out.len = 0;
	cvx_out_tagged(&out, &tag, s, n);
	line = out.buf;
	len = out.len;
	CHECK(len > 0 && line[len - 1] == '\n', "no newline");
	CHECK(cvx_tag_scan(line, len - 1, &tg, NULL) == 0 &&
	    cvx_tag_identity(&tg, &id, &why, &at) == 1, "the written line "
	    "has no readable tag");
	if (*t->component != '\0')
		cvx_buf_printf(&want, "%s:", t->component);
	cvx_buf_adds(&want, t->name);
	CHECK(mem_eq(id.p, id.len, want.p, want.len), "tag %s for table %s",
	    id.p, want.p);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.base = s;
	b.base = line;
	CHECK(cvx_json_scan_object(s, n, fuzz_collect, &a, NULL) == 0 &&
	    cvx_json_scan_object(line, len - 1, fuzz_collect, &b, NULL) == 0,
	    "scan");
	skip = *t->component != '\0' ? 2 : 1;
	CHECK(b.n == a.n + skip, "members");
	for (i = 0; i < a.n && i + skip < FUZZ_MEMBERS; i++)
		CHECK(mem_eq(line + b.key[i + skip], b.klen[i + skip],
		    s + a.key[i], a.klen[i]) && mem_eq(line + b.val[i + skip],
		    b.vlen[i + skip], s + a.val[i], a.vlen[i]), "member %zu",
		    i);
	out.len = 0;
	cvx_buf_free(&tag);
	cvx_buf_free(&id);
	cvx_buf_free(&want);
}

/* Read table t's documents.jsonl (entry i) and write its lines. */
static void
documents(struct cvx_export_walker *w, const struct cvx_table *t, long i)
{
	struct cvx_export_reader *r = cvx_walker_to(w, i);
	struct cvx_buf b = {0};
	struct cvx_json_error e;
	const char *p, *end, *nl;
	uint64_t lineno = 0;
	size_t got, n;

	do {
		cvx_buf_grow(&b, 65536);
		got = cvx_export_read(r, b.p + b.len, 65536);
		b.len += got;
	} while (got > 0 && b.len < ENTRY_MAX);
	for (p = b.p, end = b.p + b.len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;	/* a last line without '\n' counts */
		n = (size_t)(nl - p);
		if (cvx_export_line(p, &n, ++lineno, &e) != 0)
			break;		/* writer.c fails here */
		put_line(t, p, n);
	}
	cvx_buf_free(&b);
}

/* Is the entry name one cvx-unzip must never read? */
static bool
unsafe_name(const char *name)
{
	const char *p = name, *e;
	size_t n;

	if (*name == '\0' || *name == '/' || strchr(name, '\\') != NULL)
		return true;
	for (;; p = e + 1) {
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && *p == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return true;
		if (e == NULL)
			return false;
	}
}

/* What a successful scan must have made of the entries. */
static void
check_export(const struct cvx_export *x)
{
	struct cvx_entry_name en;
	const struct cvx_table *t;
	size_t i, j;

	for (i = 0; i < x->ne; i++) {
		cvx_export_parse_name(x->e[i].name, &en);
		CHECK(en.kind == x->e[i].kind, "%s: kind %d, parse_name %d",
		    x->e[i].name, (int)x->e[i].kind, (int)en.kind);
		if (unsafe_name(x->e[i].name))
			CHECK(en.kind == CVX_ENTRY_UNSAFE ||
			    en.kind == CVX_ENTRY_STRAY, "%s is read",
			    x->e[i].name);
		cvx_entry_name_free(&en);
	}
	for (i = 0; i < x->cat.n; i++) {
		t = &x->cat.t[i];
		for (j = i + 1; j < x->cat.n; j++)
			CHECK(strcmp(t->component, x->cat.t[j].component) ||
			    strcmp(t->name, x->cat.t[j].name), "%s twice",
			    t->qname);
		if (t->docs < 0)
			continue;
		CHECK((size_t)t->docs < x->ne, "docs index");
		cvx_export_parse_name(x->e[t->docs].name, &en);
		CHECK((en.kind == CVX_ENTRY_DOCUMENTS ||
		    en.kind == CVX_ENTRY_STORAGE) && strcmp(en.table,
		    t->name) == 0 && strcmp(en.component, t->component) == 0,
		    "%s: documents entry %s is not its own", t->qname,
		    x->e[t->docs].name);
		cvx_entry_name_free(&en);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cvx_export x;
	static struct cvx_export_walker w;
	struct stat st;
	size_t i;

	if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) !=
	    (ssize_t)size || lseek(memfd, 0, SEEK_SET) != 0 ||
	    fstat(memfd, &st) != 0)
		return 0;
	memset(&x, 0, sizeof(x));
	memset(&w, 0, sizeof(w));
	x.input = INPUT;
	x.fd = -1;
	failmsg[0] = '\0';
	armed = true;
	if (setjmp(trap) == 0) {
		cvx_zip_input(&x, memfd, &st);
		cvx_export_scan(&x);
		check_export(&x);
		cvx_walker_start(&w, &x);
		for (i = 0; i < x.cat.n; i++)
			if (x.cat.t[i].docs >= 0)
				documents(&w, &x.cat.t[i], x.cat.t[i].docs);
		cvx_walker_end(&w);
		armed = false;
		x.fd = -1;		/* memfd is ours */
		cvx_export_free(&x);
		CHECK(ntrack == 0, "%zu allocations left after success",
		    ntrack);
	} else {
		armed = false;
		if (getenv("CVX_FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "cvx-unzip fails: %s\n", failmsg);
		CHECK(strncmp(failmsg, INPUT ": ", strlen(INPUT) + 2) == 0,
		    "failure without the input's name: %s", failmsg);
		release_all();
	}
	return 0;
}
