/* SPDX-License-Identifier: MIT */
/*
 * progress.c: one progress line on stderr (cvx-unzip, cvx-pg-load): what
 * is being worked on, how much is done of how much, the rate and the time
 * left.  Cheap by construction: the clock is read only after
 * CHECK_BYTES bytes or CHECK_ROWS rows, and the line is drawn at most
 * every DRAW_TTY seconds on a terminal (DRAW_LOG into a file or pipe).
 */
#define _GNU_SOURCE		/* program_invocation_short_name */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cvx.h"

/* How often the clock is looked at, and the line drawn. */
#define CHECK_BYTES	(256 * 1024)
#define CHECK_ROWS	1024
#define DRAW_TTY	0.25
#define DRAW_LOG	1.0

/* The one progress line of the process (stderr has room for one). */
static struct {
	bool	 on, tty;
	bool	 drawn;		/* a partial line is on the terminal */
	bool	 rows;		/* the phase counts rows: show them */
	const char *label;
	uint64_t bytes, nrows, total;
	uint64_t next_bytes, next_rows;
	double	 t0, last;
} p;

/* Seconds on a monotonic clock. */
static double
mono(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Append n bytes as "412.3 MB" or "1.10 GB" (decimal units, as du -H). */
static void
put_size(struct cvx_buf *b, uint64_t n)
{
	if (n >= 1000000000)
		cvx_buf_printf(b, "%.2f GB", (double)n / 1e9);
	else
		cvx_buf_printf(b, "%.1f MB", (double)n / 1e6);
}

/* Draw the line now: "prog: label: done[ of total (P%)], rate[, ETA]". */
static void
draw(double t, bool last)
{
	struct cvx_buf b = { 0 };
	double dt = t - p.t0, left;

	if (p.tty)
		cvx_buf_adds(&b, "\r");
	cvx_buf_printf(&b, "%s: ", program_invocation_short_name);
	if (p.label != NULL)
		cvx_buf_printf(&b, "%s: ", p.label);
	if (p.rows)
		cvx_buf_printf(&b, "%ju rows, %.0f rows/s, ",
		    (uintmax_t)p.nrows, dt > 0 ? (double)p.nrows / dt : 0.0);
	if (p.total > 0) {
		if (p.rows)
			cvx_buf_printf(&b, "%.0f%% of ", p.bytes >= p.total ?
			    100.0 : 100.0 * (double)p.bytes / (double)p.total);
		else {
			put_size(&b, p.bytes);
			cvx_buf_adds(&b, " of ");
		}
		put_size(&b, p.total);
		if (!p.rows)
			cvx_buf_printf(&b, " (%.0f%%)", p.bytes >= p.total ?
			    100.0 : 100.0 * (double)p.bytes / (double)p.total);
	} else
		put_size(&b, p.bytes);
	if (!p.rows && dt > 0) {
		cvx_buf_adds(&b, ", ");
		put_size(&b, (uint64_t)((double)p.bytes / dt));
		cvx_buf_adds(&b, "/s");
	}
	/* The time left, once the rate means something. */
	if (p.total > p.bytes && p.bytes > 0 && dt >= 1.0 && !last) {
		left = (double)(p.total - p.bytes) * dt / (double)p.bytes;
		if (left < 360000)
			cvx_buf_printf(&b, ", ETA %d:%02d", (int)left / 60,
			    (int)left % 60);
	}
	cvx_buf_adds(&b, p.tty ? "\033[K" : "\n");
	(void)fwrite(b.p, 1, b.len, stderr);
	(void)fflush(stderr);
	p.drawn = p.tty;
	p.last = t;
	cvx_buf_free(&b);
}

void
cvx_progress_init(int mode)
{
	p.tty = isatty(2);
	p.on = mode > 0 || (mode < 0 && p.tty);
}

bool
cvx_progress_on(void)
{
	return p.on;
}

void
cvx_progress_phase(const char *label, uint64_t total, bool rows)
{
	if (!p.on)
		return;
	p.label = label;
	p.total = total;
	p.rows = rows;
	p.bytes = p.nrows = 0;
	p.next_bytes = CHECK_BYTES;
	p.next_rows = CHECK_ROWS;
	p.t0 = p.last = mono();
}

void
cvx_progress_label(const char *label)
{
	p.label = label;
}

void
cvx_progress_tick(uint64_t bytes, uint64_t rows)
{
	double t;

	p.bytes += bytes;
	p.nrows += rows;
	if (!p.on || (p.bytes < p.next_bytes && p.nrows < p.next_rows))
		return;
	p.next_bytes = p.bytes + CHECK_BYTES;
	p.next_rows = p.nrows + CHECK_ROWS;
	t = mono();
	if (t - p.last >= (p.tty ? DRAW_TTY : DRAW_LOG))
		draw(t, false);
}

void
cvx_progress_end(void)
{
	if (!p.on)
		return;
	if (p.tty) {
		cvx_progress_break();
		return;
	}
	/* Into a log, the last figures: the whole of the phase. */
	if (p.bytes > 0 || p.nrows > 0)
		draw(mono(), true);
}

void
cvx_progress_break(void)
{
	/* write(2), no stdio: this runs on the failure path too. */
	if (p.drawn)
		(void)write(2, "\r\033[K", 4);
	p.drawn = false;
}
