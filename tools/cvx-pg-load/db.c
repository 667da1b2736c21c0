/* SPDX-License-Identifier: MIT */
/*
 * db.c: cvx-pg-load's database access: the connection, statements and
 * their results, identifiers, signals and every wait for the server,
 * rollback and COMMIT (after psql's common.c and pg_dump's
 * pg_backup_db.c).  Nothing here knows about tables or COPY data.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cvx-pg-load.h"

/* Milliseconds a wait for the server goes without looking at signals. */
#define POLL_MS		100
/* Seconds a failed run waits for the server to roll back, at most. */
#define ROLLBACK_WAIT	2.0

const struct options *opt;
PGconn *conn;				/* NULL: --no-db */
char *schema;				/* the target schema, quoted */
char *schema_raw;			/* and as a plain name */
const char *wait_why;			/* why the last wait gave up */
static PGcancel *cancel;		/* for db_rollback() */
static int input_fd = -1, devnull_fd = -1;

/*
 * Signals and waits.  The handler counts; the main loop sees the count
 * wherever it waits (every wait polls at least every POLL_MS) and rolls
 * back, a wait bounded by ROLLBACK_WAIT.  A signal during the rollback
 * ends the process at once: nothing can keep it waiting then.
 */
static volatile sig_atomic_t nsignals;	/* SIGINT, SIGTERM, SIGHUP so far */
static volatile sig_atomic_t first_sig;	/* the first of them */
static volatile sig_atomic_t rolling_back;
static volatile sig_atomic_t cause_set;	/* cause holds fail's message */
static volatile sig_atomic_t cause_is_signal;
static char cause[CVX_ABORT_MAX];
static sig_atomic_t sig_base;		/* signals a wait does not stop for */
static bool committing;			/* COMMIT sent, its answer not read */
static bool quiet;			/* server notices are not shown */
static double deadline;			/* waits give up then (0: never) */

/* What a rollback cut short by the deadline or a signal adds. */
#define NOT_CONFIRMED	"no answer to the rollback in 2 s: connection closed " \
			"without COMMIT"
#define CUT_SHORT	": connection closed without COMMIT"

/* Seconds on the monotonic clock. */
double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The name of a signal we catch. */
static const char *
sig_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
	    "SIGHUP";
}

/* Append s to buf (size CVX_ABORT_MAX + 256) at *n: async-signal-safe. */
static void
add_str(char *buf, size_t *n, const char *s)
{
	while (*s != '\0' && *n < CVX_ABORT_MAX + 255)
		buf[(*n)++] = *s++;
}

/*
 * A signal while the main loop waits for the rollback: say so, and die
 * of the first signal once the handler returns.  The kernel closes the
 * connection, so the server rolls back without being asked.
 */
static void
die_in_rollback(int sig)
{
	static char buf[CVX_ABORT_MAX + 256];
	size_t n = 0;

	add_str(buf, &n, "cvx-pg-load: ");
	if (cause_is_signal) {
		add_str(buf, &n, "interrupted by ");
		add_str(buf, &n, sig_name(first_sig));
		add_str(buf, &n, ": rollback cut short by ");
		add_str(buf, &n, sig_name(sig));
		add_str(buf, &n, CUT_SHORT);
	} else if (cause_set) {
		add_str(buf, &n, cause);
		add_str(buf, &n, " (rollback cut short by ");
		add_str(buf, &n, sig_name(sig));
		add_str(buf, &n, CUT_SHORT ")");
	} else {
		add_str(buf, &n, "rollback cut short by ");
		add_str(buf, &n, sig_name(sig));
		add_str(buf, &n, CUT_SHORT);
	}
	buf[n++] = '\n';
	(void)cvx_write_all(2, buf, n);
	(void)signal(first_sig, SIG_DFL);
	(void)raise(first_sig);		/* blocked until the handler returns */
}

/*
 * SIGINT, SIGTERM, SIGHUP: count it for the main loop (see pg_poll and
 * fail), or end a rollback.  A read blocked on an idle upstream now sees
 * end of file.
 */
static void
on_signal(int sig)
{
	int saved = errno;

	if (nsignals == 0)
		first_sig = sig;
	nsignals++;
	if (rolling_back)
		die_in_rollback(sig);
	if (devnull_fd >= 0 && input_fd >= 0)
		(void)dup2(devnull_fd, input_fd);
	errno = saved;
}

/* Catch the signals that stop a load, except those the shell ignores. */
void
db_catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;
	size_t i;

	devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	/* No SA_RESTART: a blocked read returns, and rereads /dev/null. */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			(void)sigaction(sigs[i], &sa, NULL);
}

/* A signal makes a blocked read of fd (-1: none now) see end of file. */
void
db_watch_input(int fd)
{
	input_fd = fd;
}

/* Fail with "interrupted" if a signal came. */
void
db_check_signal(void)
{
	if (nsignals > 0)
		fail("interrupted");
}

/*
 * After a signal: say what became of the load, then die of the signal,
 * so that the shell sees it (a loop over loads stops at ^C).
 */
static void __attribute__((noreturn))
die_of_signal(const char *what)
{
	sigset_t set;
	int sig = first_sig;

	cvx_progress_break();	/* a line of its own */
	warnx("interrupted by %s: %s", sig_name(sig), what);
	(void)fflush(stderr);
	(void)signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(sig);
	_exit(1);
}

/*
 * Wait up to POLL_MS for the server: for input, or room to send (out);
 * read what came.  0; -1 with wait_why when the connection failed, the
 * deadline passed, or a signal asks to stop (while COMMIT is on its way
 * a signal cancels it and sets a deadline instead: see db_commit).
 */
int
pg_poll(bool out)
{
	struct pollfd pfd = { .fd = PQsocket(conn), .events = POLLIN };
	int ms = POLL_MS;
	double left;
	char buf[256];

	if (nsignals > sig_base) {
		if (!committing) {
			wait_why = "interrupted";
			return -1;
		}
		/*
		 * COMMIT runs deferred triggers and constraint checks: cancel
		 * them, and the transaction rolls back; a commit past them
		 * goes on regardless.  The answer says which.
		 */
		if (deadline == 0) {
			deadline = now() + ROLLBACK_WAIT;
			if (cancel != NULL)
				(void)PQcancel(cancel, buf, sizeof(buf));
		}
	}
	if (deadline > 0) {
		if ((left = deadline - now()) <= 0) {
			wait_why = "no answer in time";
			return -1;
		}
		if (left * 1000 < ms)
			ms = (int)(left * 1000) + 1;
	}
	if (out)
		pfd.events |= POLLOUT;
	if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
		wait_why = strerror(errno);
		return -1;
	}
	if ((pfd.revents & (POLLIN | POLLERR | POLLHUP)) &&
	    !PQconsumeInput(conn)) {
		wait_why = PQerrorMessage(conn);
		return -1;
	}
	return 0;
}

/*
 * The next result of the command under way (NULL: it is done) in *res,
 * as PQgetResult, which is only called once it cannot block: libpq 15's
 * PQgetResult, after sending what it had queued, waits for more input
 * even when that flush already read the server's last reply, and so
 * waited forever when a cancelled COPY's error came while a chunk was
 * still being sent.  0, or -1 as pg_poll.
 */
int
pg_wait(PGresult **res)
{
	int f;

	for (;;) {
		if ((f = PQflush(conn)) < 0) {
			wait_why = PQerrorMessage(conn);
			return -1;
		}
		if (f == 0 && !PQisBusy(conn)) {
			*res = PQgetResult(conn);
			return 0;
		}
		if (pg_poll(f == 1) != 0)
			return -1;
	}
}

/* Read the rest of the command's results. */
void
pg_finish(void)
{
	PGresult *r;

	do {
		if (pg_wait(&r) != 0)
			fail("database: %.*s", ONELINE(wait_why));
		PQclear(r);
	} while (r != NULL);
}

/*
 * Run sql (n text parameters; none: the simple protocol, as PQexec) and
 * return its result as PQexec does: the first error, else the last
 * result, or the COPY IN that leaves the connection copying.  The
 * caller ends an open COPY first: a statement never ends one by itself.
 */
PGresult *
pg_run(const char *sql, int n, const char *const *params)
{
	PGresult *r, *last = NULL;
	ExecStatusType st;

	if (nsignals > sig_base)
		fail("interrupted");
	if (PQtransactionStatus(conn) == PQTRANS_ACTIVE)
		fail("internal error: a statement while a COPY is open: %.40s",
		    sql);
	if (!(n == 0 ? PQsendQuery(conn, sql) : PQsendQueryParams(conn, sql,
	    n, NULL, params, NULL, NULL, 0)))
		fail("database: %.*s", ONELINE(PQerrorMessage(conn)));
	for (;;) {
		if (pg_wait(&r) != 0)
			fail("database: %.*s", ONELINE(wait_why));
		if (r == NULL)
			break;
		st = PQresultStatus(r);
		if (last != NULL && PQresultStatus(last) == PGRES_FATAL_ERROR)
			PQclear(r);
		else {
			PQclear(last);
			last = r;
		}
		if (st == PGRES_COPY_IN)
			break;
	}
	return last;
}

/*
 * End what the server is doing, roll back, disconnect.  The wait is
 * bounded: after ROLLBACK_WAIT seconds (or at a signal: on_signal) the
 * connection is simply closed.  That rolls back as well, since the server
 * never saw COMMIT, and client_connection_check_interval makes it notice
 * within a second even in the middle of a statement.  False if the
 * server did not confirm the rollback in time (a connection that is gone
 * needs none).
 */
bool
db_rollback(void)
{
	PGresult *r = NULL;
	char buf[256];
	int st = 0;

	if (conn == NULL)
		return true;
	sig_base = nsignals;
	rolling_back = 1;
	quiet = true;
	committing = false;
	deadline = now() + ROLLBACK_WAIT;
	if (PQstatus(conn) == CONNECTION_OK &&
	    PQtransactionStatus(conn) == PQTRANS_ACTIVE) {
		/* A COPY, a merge, a TRUNCATE waiting for its lock: stop it. */
		if (cancel != NULL)
			(void)PQcancel(cancel, buf, sizeof(buf));
		(void)PQputCopyEnd(conn, "cvx-pg-load: load aborted");
		while ((st = pg_wait(&r)) == 0 && r != NULL) {
			if (PQresultStatus(r) == PGRES_COPY_IN)
				(void)PQputCopyEnd(conn, "cvx-pg-load: aborted");
			PQclear(r);
		}
	}
	if (st == 0 && PQstatus(conn) == CONNECTION_OK &&
	    PQtransactionStatus(conn) != PQTRANS_IDLE) {
		if (!PQsendQuery(conn, "ROLLBACK"))
			st = -1;
		while (st == 0 && (st = pg_wait(&r)) == 0 && r != NULL)
			PQclear(r);
	}
	if (PQstatus(conn) != CONNECTION_OK)
		st = 0;
	PQfinish(conn);
	conn = NULL;
	return st == 0;
}

/*
 * Report an error, roll the transaction back, exit 1; after a signal, die
 * of it (die_of_signal).  The message waits for the rollback: a signal
 * during it prints it (die_in_rollback).
 */
void
fail(const char *fmt, ...)
{
	static bool failing;
	va_list ap;
	bool confirmed;

	if (nsignals > 0)
		cause_is_signal = 1;
	else {
		va_start(ap, fmt);
		(void)vsnprintf(cause, sizeof(cause), fmt, ap);
		va_end(ap);
		cause_set = 1;
	}
	if (failing)		/* a bug: never recurse into rollback */
		cvx_die("%s", cause);
	failing = true;
	confirmed = db_rollback();
	if (cause_is_signal)
		die_of_signal(confirmed ? "rolled back" : NOT_CONFIRMED);
	if (!confirmed)
		cvx_die("%s (" NOT_CONFIRMED ")", cause);
	cvx_die("%s", cause);
}

/* The server's message for r, without libpq's "ERROR:  " before it. */
const char *
pg_message(const PGresult *r)
{
	const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	return m != NULL ? m : PQerrorMessage(conn);
}

/* The server's SQLSTATE of r is code. */
bool
sqlstate_is(const PGresult *r, const char *code)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return state != NULL && strcmp(state, code) == 0;
}

/*
 * Fail with the statement sql that r answered: "what: sql: message:
 * detail" and hint; the detail names, for one, the referencing table.
 */
void
fail_result(const char *what, const char *sql, const PGresult *r,
    const char *hint)
{
	const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);

	fail("%s: %s: %.*s%s%.*s%s", what, sql, ONELINE(pg_message(r)),
	    detail ? ": " : "", ONELINE(detail ? detail : ""), hint);
}

/* Run sql (no parameters) and die unless it returned want. */
PGresult *
exec_sql(const char *sql, ExecStatusType want, const char *what)
{
	PGresult *r;

	r = pg_run(sql, 0, NULL);
	if (PQresultStatus(r) != want)
		fail("%s: %.*s", what, ONELINE(pg_message(r)));
	return r;
}

/* Run sql with text parameters; die unless it returned tuples. */
PGresult *
query(const char *sql, int n, const char *const *params, const char *what)
{
	PGresult *r;

	r = pg_run(sql, n, params);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail("%s: %.*s", what, ONELINE(pg_message(r)));
	return r;
}

/* An identifier quoted for SQL, owned by the caller. */
char *
quote(const char *name)
{
	char *q, *s;

	if (strlen(name) > MAX_IDENT)
		fail("%s: name longer than %d bytes", name, MAX_IDENT);
	if ((q = PQescapeIdentifier(conn, name, strlen(name))) == NULL)
		fail("%s: %.*s", name, ONELINE(PQerrorMessage(conn)));
	s = cvx_strdup(q);
	PQfreemem(q);
	return s;
}

/*
 * Server notices in cvx's format: a trigger's RAISE WARNING, say (below
 * WARNING they are not sent: client_min_messages).  None in --count or
 * while rolling back: the run's own messages say what matters there.
 */
static void
on_notice(void *arg, const PGresult *r)
{
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	(void)arg;
	if (quiet || opt->count)
		return;
	cvx_progress_break();	/* a line of its own */
	warnx("database: %s: %.*s", sev != NULL ? sev : "NOTICE",
	    ONELINE(msg != NULL ? msg : ""));
}

/* Connect, and make the connection ours: encoding, messages, waits. */
void
db_connect(void)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { opt->conninfo, "cvx-pg-load", NULL };
	PGresult *r;

	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL)
		cvx_die("database: out of memory");
	/* libpq's message never holds the password. */
	if (PQstatus(conn) != CONNECTION_OK)
		fail("database: %.*s", ONELINE(PQerrorMessage(conn)));
	(void)PQsetNoticeReceiver(conn, on_notice, NULL);
	if (PQsetClientEncoding(conn, "UTF8") != 0)
		fail("database: %.*s", ONELINE(PQerrorMessage(conn)));
	/*
	 * COPY data is queued, not waited for: the socket holds a few
	 * milliseconds of the server's work, and a blocking send would let it
	 * run dry while we convert the next chunk (copyin_push refills it
	 * as we go).  Every wait is ours (pg_wait), so a signal is never
	 * missed.
	 */
	if (PQsetnonblocking(conn, 1) != 0)
		fail("database: %.*s", ONELINE(PQerrorMessage(conn)));
	cancel = PQgetCancel(conn);
	/* DROP ... IF EXISTS and the like: not worth the user's attention. */
	PQclear(exec_sql("SET client_min_messages = warning", PGRES_COMMAND_OK,
	    "database"));
	/*
	 * A connection closed in the middle of a statement (see rollback)
	 * stops it within a second, not at its end.  PostgreSQL 14 and later;
	 * older servers refuse the name, and then stop at the statement's end.
	 */
	if (!opt->count)
		PQclear(pg_run("SET client_connection_check_interval = 1000", 0,
		    NULL));
	if (opt->schema != NULL)
		schema_raw = cvx_strdup(opt->schema);
	else {
		r = query("SELECT current_schema()", 0, NULL, "database");
		if (PQgetisnull(r, 0, 0))
			fail("database: no schema in search_path: use -s");
		schema_raw = cvx_strdup(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	schema = quote(schema_raw);
}

/*
 * COMMIT.  Once it is on its way a signal can only cancel what COMMIT
 * still runs (pg_poll): its answer is waited for (ROLLBACK_WAIT at most
 * after the signal) and reported, committed or rolled back.  Without an
 * answer nobody can say whether the server committed.  No COPY is open.
 */
void
db_commit(void)
{
	PGresult *r, *res = NULL;
	int st;

	if (nsignals > 0)
		fail("interrupted");
	if (!PQsendQuery(conn, "COMMIT"))
		fail("commit: %.*s", ONELINE(PQerrorMessage(conn)));
	committing = true;
	while ((st = pg_wait(&r)) == 0 && r != NULL) {
		if (res == NULL)
			res = r;
		else
			PQclear(r);
	}
	committing = false;
	if (st != 0) {
		/* wait_why may be libpq's: the message before PQfinish. */
		(void)snprintf(cause, sizeof(cause), "commit: %.*s: whether it "
		    "committed is unknown", ONELINE(wait_why));
		quiet = true;
		PQfinish(conn);
		conn = NULL;
		if (nsignals > 0)
			die_of_signal(cause);
		cvx_die("%s", cause);
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail("commit: %.*s", ONELINE(pg_message(res)));
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		fail("commit: the transaction was rolled back");
	PQclear(res);
	deadline = 0;
	if (nsignals > 0)
		warnx("%s came after COMMIT was sent: committed",
		    sig_name(first_sig));
}

/* Close the connection: the transaction is over, or never began. */
void
db_close(void)
{
	PQfreeCancel(cancel);
	cancel = NULL;
	PQfinish(conn);
	conn = NULL;
}
