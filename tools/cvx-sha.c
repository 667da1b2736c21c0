/* SPDX-License-Identifier: MIT */
/* cvx-sha: copy input to output while computing its SHA-256. */
#define _GNU_SOURCE		/* splice */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "cvx.h"

/*
 * How much of a piped input -c / -C holds back until the digest is known
 * (a regular file is hashed whole before it is copied).  A ZIP's central
 * directory is at its end and takes about 46 + 28 bytes plus the name per
 * entry (convex-export-format.md §1.1); an export without file storage
 * has at most 2 entries per table and 10,000 user tables (§9), so about
 * 2.3 MB: 4 MiB keeps all of it, and the end of central directory
 * records behind it, from the next stage.
 */
#define HOLD	(4 * 1024 * 1024)

#define HEXLEN	64		/* SHA-256 in hex */

/* Hash only (-n), with no copy of the input. */
static bool no_pass;
/* The expected digest (-c, -C), lowercase hex, or NULL. */
static char *expect_hex;
/* The file named by -C, for messages. */
static const char *expect_file;
/* Write the digest line to this file (-o) instead of stderr/stdout. */
static const char *out_path;
/* The name to write in the digest line (-N), instead of the operand. */
static const char *line_name;

/* The usage text, as in the man page's SYNOPSIS. */
#define USAGE \
    "usage: cvx-sha [-c hex | -C file] [-N name] [-o file] [file]\n" \
    "       cvx-sha -n [-c hex | -C file] [-o file] [file ...]\n"
static const char usage[] = USAGE;
/* -h: the usage, one line per option, and where the rest is. */
static const char help[] = USAGE
    "  -c, --check HEX         fail unless the SHA-256 is HEX; the tail"
    " waits\n"
    "  -C, --check-file FILE   as -c, the digest from a sha256sum line"
    " in FILE\n"
    "  -n, --no-pass           hash only: no copy of the input\n"
    "  -N, --name NAME         the name in the digest line\n"
    "  -o, --output FILE       write the digest line to FILE\n"
    "  -h, --help              this help\n"
    "  -V, --version           the version\n"
    "see cvx-sha(1)\n";

/* Report the last OpenSSL error and exit 1. */
static void __attribute__((noreturn))
ssl_die(const char *where)
{
	char msg[256];

	ERR_error_string_n(ERR_get_error(), msg, sizeof(msg));
	cvx_die("%s: %s", where, msg);
}

/* Is s[0..n) a SHA-256 in hex?  Lowercases it in place. */
static bool
is_hex_digest(char *s, size_t n)
{
	size_t i;

	if (n != HEXLEN)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] >= 'A' && s[i] <= 'F')
			s[i] = (char)(s[i] - 'A' + 'a');
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/*
 * Parse one line of a sha256sum file, in place: "HEX  NAME" or
 * "HEX *NAME", with a leading '\' when NAME has "\\" and "\n" escapes
 * (GNU coreutils md5sum(1)), or the BSD form "SHA256 (NAME) = HEX".
 * Sets *hex and *name (NUL-terminated); false if the line is neither.
 */
static bool
parse_sum_line(char *line, char **hex, char **name)
{
	char *p, *q;
	size_t n = strlen(line);
	bool esc = false;

	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (strncmp(line, "SHA256 (", 8) == 0) {
		if (n < 8 + 4 + HEXLEN ||
		    strncmp(line + n - HEXLEN - 4, ") = ", 4) != 0 ||
		    !is_hex_digest(line + n - HEXLEN, HEXLEN))
			return false;
		line[n - HEXLEN - 4] = '\0';
		*name = line + 8;
		*hex = line + n - HEXLEN;
		return true;
	}
	if (line[0] == '\\') {
		esc = true;
		line++;
		n--;
	}
	if (n < HEXLEN + 3 || line[HEXLEN] != ' ' ||
	    (line[HEXLEN + 1] != ' ' && line[HEXLEN + 1] != '*') ||
	    !is_hex_digest(line, HEXLEN))
		return false;
	line[HEXLEN] = '\0';
	*hex = line;
	*name = line + HEXLEN + 2;
	if (esc) {
		for (p = q = *name; *p != '\0'; p++, q++) {
			if (*p == '\\' && p[1] == 'n') {
				*q = '\n';
				p++;
			} else if (*p == '\\' && p[1] == '\\')
				*q = *++p;
			else if (*p == '\\')
				return false;
			else
				*q = *p;
		}
		*q = '\0';
	}
	return true;
}

/*
 * The digest for name in the sha256sum file path: its only line, or
 * else the line for name.  Exits 1 when there is none.
 */
static char *
read_sum_file(const char *path, const char *name)
{
	struct cvx_buf b = {0};
	char buf[65536], *line, *next, *hex, *lname, *one = NULL, *hit = NULL;
	size_t count = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		cvx_die("%s: %s", path, strerror(errno));
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			cvx_die("%s: %s", path, strerror(errno));
		}
		cvx_buf_add(&b, buf, (size_t)r);
		if (b.len > 64 * 1024 * 1024)
			cvx_die("%s: too large for a checksum file", path);
	}
	(void)close(fd);
	for (line = b.p; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (!parse_sum_line(line, &hex, &lname))
			continue;
		count++;
		one = hex;
		if (hit == NULL && strcmp(lname, name) == 0)
			hit = hex;
	}
	if (count == 0)
		cvx_die("%s: no SHA-256 checksum line found", path);
	if (count > 1 && hit == NULL)
		cvx_die("%s: no checksum line for %s", path, name);
	hex = cvx_strdup(count == 1 ? one : hit);
	cvx_buf_free(&b);
	return hex;
}

/* The digest line "HEX  NAME\n", with sha256sum's escaping of NAME. */
static void
digest_line(struct cvx_buf *out, const char *hex, const char *name)
{
	const char *p;

	cvx_buf_reset(out);
	if (strpbrk(name, "\\\n") == NULL) {
		cvx_buf_printf(out, "%s  %s\n", hex, name);
		return;
	}
	cvx_buf_printf(out, "\\%s  ", hex);
	for (p = name; *p != '\0'; p++) {
		if (*p == '\\')
			cvx_buf_adds(out, "\\\\");
		else if (*p == '\n')
			cvx_buf_adds(out, "\\n");
		else
			cvx_buf_addc(out, *p);
	}
	cvx_buf_addc(out, '\n');
}

/*
 * Where the copy of the input stands.  Bytes are hashed as they are read
 * and, when copy is set, all but the last hold bytes go on to stdout at
 * once, the rest when the digest has been checked.  From a regular file
 * into a pipe, the bytes go by splice(2), as references to the file's
 * pages, without a copy; otherwise they wait in a ring buffer.
 */
struct pass {
	int	 fd;		/* the input */
	bool	 copy;		/* copy to stdout while hashing */
	bool	 splice;	/* regular file in, pipe out */
	char	*buf;		/* the ring (or the read buffer) */
	size_t	 cap;
	size_t	 head;		/* first unwritten byte in the ring */
	size_t	 len;		/* unwritten bytes */
	off_t	 out_off;	/* splice: file offset of the first unwritten */
};

/* Write len bytes of the ring, from its head, to stdout. */
static void
ring_write(struct pass *ps, size_t len)
{
	size_t first = len < ps->cap - ps->head ? len : ps->cap - ps->head;

	if (len == 0)
		return;
	cvx_stream_at_bol(false);
	if (cvx_write_all(1, ps->buf + ps->head, first) != 0 ||
	    cvx_write_all(1, ps->buf, len - first) != 0)
		cvx_die("stdout: %s", strerror(errno));
	/* An abort line after these bytes must start a line of its own. */
	cvx_stream_at_bol(ps->buf[(ps->head + len - 1) % ps->cap] == '\n');
	ps->head = (ps->head + len) % ps->cap;
	ps->len -= len;
}

/*
 * Copy len bytes of the input file, from offset *off, to stdout: by
 * splice into a pipe, else by pread and write through buf (cap bytes).
 */
static void
copy_file(int fd, off_t *off, size_t len, const char *name, char *buf,
    size_t cap, bool use_splice)
{
	ssize_t n;

	while (len > 0) {
		if (use_splice)
			n = splice(fd, off, 1, NULL, len, SPLICE_F_MORE);
		else
			n = pread(fd, buf, len < cap ? len : cap, *off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			cvx_die("%s: %s", use_splice ? "stdout" : name,
			    strerror(errno));
		if (n == 0)
			cvx_die("%s: file shrank while being read", name);
		/* Spliced bytes are not seen: whether a line ended is unknown. */
		cvx_stream_at_bol(false);
		if (!use_splice) {
			if (cvx_write_all(1, buf, (size_t)n) != 0)
				cvx_die("stdout: %s", strerror(errno));
			cvx_stream_at_bol(buf[n - 1] == '\n');
			*off += n;
		}
		len -= (size_t)n;
	}
}

/* Send on everything but the last hold bytes not yet written. */
static void
pass_out(struct pass *ps, const char *name, size_t hold)
{
	if (ps->len <= hold)
		return;
	if (ps->splice) {
		copy_file(ps->fd, &ps->out_off, ps->len - hold, name, NULL, 0,
		    true);
		ps->len = hold;
	} else
		ring_write(ps, ps->len - hold);
}

/*
 * Hash fd into hex (and *total, the bytes read); when ps->copy, copy it
 * to stdout except for the last hold bytes, which stay in ps until
 * pass_out(ps, name, 0).  Returns 0, or -1 after a read error (reported).
 */
static int
hash_fd(EVP_MD_CTX *ctx, struct pass *ps, const char *name, size_t hold,
    char *hex, uint64_t *total)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen, i;
	size_t tail, room;
	ssize_t r;

	*total = 0;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		ssl_die("EVP_DigestInit_ex");
	for (;;) {
		/* The free part of the ring after the data (never full). */
		tail = (ps->head + ps->len) % ps->cap;
		room = tail >= ps->head ? ps->cap - tail : ps->head - tail;
		if (ps->splice || !ps->copy) {
			tail = 0;
			room = ps->cap;
		}
		if ((r = read(ps->fd, ps->buf + tail, room)) == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			warn("%s", name);
			return -1;
		}
		if (EVP_DigestUpdate(ctx, ps->buf + tail, (size_t)r) != 1)
			ssl_die("EVP_DigestUpdate");
		*total += (uint64_t)r;
		if (ps->copy) {
			ps->len += (size_t)r;
			pass_out(ps, name, hold);
		}
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		ssl_die("EVP_DigestFinal_ex");
	for (i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xF];
	}
	hex[2 * mdlen] = '\0';
	return 0;
}

/*
 * Set up the reading of fd: copy (or not) while hashing, by splice when
 * it can, else through a ring big enough for hold bytes and a read.
 */
static void
pass_init(struct pass *ps, int fd, bool copy, size_t hold)
{
	struct stat in, out;

	memset(ps, 0, sizeof(*ps));
	ps->fd = fd;
	ps->copy = copy;
	ps->splice = copy && fstat(fd, &in) == 0 && S_ISREG(in.st_mode) &&
	    fstat(1, &out) == 0 && S_ISFIFO(out.st_mode) &&
	    (ps->out_off = lseek(fd, 0, SEEK_CUR)) >= 0;
	ps->cap = ps->splice || !copy ? CVX_IOSIZE : hold + CVX_IOSIZE;
	ps->buf = cvx_malloc(ps->cap);
}

/*
 * The offset to copy a verified regular file from, once its digest has
 * matched (-c / -C), or -1 when fd is not a regular file: then the copy
 * goes along with the hashing, holding back the last HOLD bytes.
 */
static off_t
verify_whole(int fd)
{
	struct stat st;

	if (expect_hex == NULL || no_pass || fstat(fd, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return -1;
	return lseek(fd, 0, SEEK_CUR);
}

/* Open the -o file, or return -1 when the line goes to the default fd. */
static int
open_out(void)
{
	int fd;

	if (out_path == NULL)
		return -1;
	if ((fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0666)) < 0)
		cvx_die("%s: %s", out_path, strerror(errno));
	return fd;
}

/* Write the digest line to fd and report a failure. */
static int
put_line(int fd, const char *fdname, const struct cvx_buf *line)
{
	if (cvx_write_all(fd, line->p, line->len) != 0) {
		warn("%s", fdname);
		return 1;
	}
	return 0;
}

/*
 * Hash one operand; pass it through unless -n; check it against -c/-C;
 * write its digest line to out_fd (or the default).  Returns 0 or 1.
 */
static int
do_one(EVP_MD_CTX *ctx, const char *path, int out_fd)
{
	struct cvx_buf line = {0};
	struct pass ps;
	const char *name = cvx_input_name(path);
	const char *lname = line_name != NULL ? line_name :
	    path == NULL ? "-" : path;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t hold = expect_hex != NULL && !no_pass ? HOLD : 0;
	struct stat st;
	uint64_t total;
	off_t whole;
	int fd, rval = 0;

	if ((fd = cvx_open_input(path)) < 0) {
		/* Passing bytes on, a failure must reach the consumer. */
		if (!no_pass)
			cvx_die("%s: %s", name, strerror(errno));
		warn("%s", name);
		return 1;
	}
	if (!no_pass)
		cvx_pipe_grow(fd);
	/* A regular file to verify is hashed first, copied after. */
	whole = verify_whole(fd);
	pass_init(&ps, fd, !no_pass && whole < 0, hold);
	if (hash_fd(ctx, &ps, name, hold, hex, &total) != 0) {
		if (!no_pass)
			cvx_die("%s: read failed", name);
		rval = 1;
	}
	else if (expect_hex != NULL && strcmp(hex, expect_hex) != 0)
		cvx_die("%s: checksum mismatch: expected %s, got %s%s", name,
		    expect_hex, hex, no_pass || whole >= 0 ? "" :
		    " (the last 4 MiB were held back)");
	else if (whole >= 0)
		copy_file(fd, &whole, total, name, ps.buf, ps.cap,
		    fstat(1, &st) == 0 && S_ISFIFO(st.st_mode));
	else
		pass_out(&ps, name, 0);
	free(ps.buf);
	if (fd != 0)
		(void)close(fd);
	if (rval != 0)
		return rval;
	digest_line(&line, hex, lname);
	/* A checked digest is only news if asked for with -o. */
	if (out_fd >= 0)
		rval = put_line(out_fd, out_path, &line);
	else if (expect_hex == NULL && no_pass)
		fwrite(line.p, 1, line.len, stdout);
	else if (expect_hex == NULL)
		rval = put_line(2, "stderr", &line);
	cvx_buf_free(&line);
	return rval;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check",	required_argument,	NULL, 'c' },
		{ "check-file",	required_argument,	NULL, 'C' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "name",	required_argument,	NULL, 'N' },
		{ "no-pass",	no_argument,		NULL, 'n' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	EVP_MD_CTX *ctx;
	int ch, i, out_fd, rval = 0;

	cvx_stderr_lines();
	/* Passing bytes on, every failure ends them with the abort line. */
	cvx_stream_writer();
	while ((ch = getopt_long(argc, argv, "C:c:hN:no:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			expect_file = optarg;
			break;
		case 'c':
			expect_hex = optarg;
			if (!is_hex_digest(expect_hex, strlen(expect_hex)))
				cvx_usage_fail(usage, "-c: not a SHA-256 in hex: "
				    "%s", expect_hex);
			break;
		case 'h':
			cvx_usage_help(help);
		case 'N':
			line_name = optarg;
			break;
		case 'n':
			no_pass = true;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'V':
			printf("cvx-sha %s\n", CVX_VERSION);
			return cvx_close_stdout();
		default:
			cvx_usage_fail(usage, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if ((expect_hex != NULL && expect_file != NULL) ||
	    (argc > 1 && (!no_pass || expect_hex != NULL ||
	    expect_file != NULL || line_name != NULL)))
		cvx_usage_fail(usage, "%s", expect_hex != NULL &&
		    expect_file != NULL ? "-c and -C exclude each other" :
		    "several files need -n, without -c, -C or -N");

	if (no_pass)
		cvx_stream_not_writer();
	else
		cvx_pipe_grow(1);
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		ssl_die("EVP_MD_CTX_new");
	/* Before -o truncates anything: -C and -o may name one file. */
	if (expect_file != NULL)
		expect_hex = read_sum_file(expect_file, line_name != NULL ?
		    line_name : argc == 0 ? "-" : argv[0]);
	out_fd = open_out();
	if (argc == 0)
		rval = do_one(ctx, NULL, out_fd);
	for (i = 0; i < argc; i++)
		rval |= do_one(ctx, argv[i], out_fd);
	EVP_MD_CTX_free(ctx);
	if (out_fd >= 0 && close(out_fd) != 0) {
		warn("%s", out_path);
		rval = 1;
	}
	rval |= cvx_close_stdout();
	return rval;
}
