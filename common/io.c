/* SPDX-License-Identifier: MIT */
/* io.c: opening input, reading and writing whole buffers, exiting. */
#define _GNU_SOURCE		/* F_SETPIPE_SZ, O_TMPFILE, sched_getaffinity */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvx.h"

static bool
is_stdin(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0;
}

int
cvx_open_input(const char *path)
{
	if (is_stdin(path))
		return 0;
	return open(path, O_RDONLY | O_CLOEXEC);
}

const char *
cvx_input_name(const char *path)
{
	return is_stdin(path) ? "stdin" : path;
}

ssize_t
cvx_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
cvx_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void
cvx_pipe_grow(int fd)
{
#ifdef F_SETPIPE_SZ
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    fcntl(fd, F_GETPIPE_SZ) < CVX_IOSIZE)
		(void)fcntl(fd, F_SETPIPE_SZ, CVX_IOSIZE);
#else
	(void)fd;
#endif
}

int
cvx_tmpfile(const char *dir, struct cvx_buf *where)
{
	struct cvx_buf path = {0};
	int fd, saved;

	if (dir == NULL && ((dir = getenv("TMPDIR")) == NULL || *dir == '\0'))
		dir = "/tmp";
	cvx_buf_reset(where);
	cvx_buf_adds(where, dir);
#ifdef O_TMPFILE
	/* Never named: nothing is left behind, whatever kills us. */
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
		return fd;
#endif
	cvx_buf_printf(&path, "%s/cvx.XXXXXX", dir);
	if ((fd = mkstemp(path.p)) >= 0) {
		(void)unlink(path.p);
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	saved = errno;
	cvx_buf_free(&path);
	errno = saved;
	return fd;
}

void
cvx_stderr_lines(void)
{
	static char buf[BUFSIZ];

	(void)setvbuf(stderr, buf, _IOLBF, sizeof(buf));
}

int
cvx_close_stdout(void)
{
	/* fclose alone can hide the error of the last fflush: check both. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warn("stdout");
		(void)fclose(stdout);
		return 1;
	}
	if (fclose(stdout) != 0) {
		warn("stdout");
		return 1;
	}
	return 0;
}

long
cvx_cpu_count(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    (n = CPU_COUNT(&set)) > 0)
		return n;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}
