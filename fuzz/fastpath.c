/* SPDX-License-Identifier: MIT */
/*
 * fastpath: cvx-jsonl-map's fast path (fast.c, fastprog.c, fastprint.c)
 * held to libjq 1.6 on fuzzed documents.
 *
 * Byte 0 picks one of the programs below (mod their number; bit 7 also
 * turns on --int64 string); the rest is one document line, taken as
 * do_line (work.c) takes it: a CR before the end dropped, a line that
 * cvx_json_check refuses left out (both ways reject it before either
 * runs), integers beyond 2^53 quoted under --int64 string and the line
 * left out otherwise.  Invariants:
 * - every program is one fast_compile accepts (else the harness proves
 *   nothing: it stops at start-up);
 * - when fast_run answers, prog_run (libjq, the tool's slow path, with
 *   its own value builder and printer) succeeds too and gives the same
 *   bytes: the fast path never answers where jq errs, halts or outputs
 *   a non-object, and never prints differently;
 * - when fast_run declines, it leaves its output as it was;
 * - prog_run agrees with libjq alone (jv_parse_sized, jq_next,
 *   jv_dump_string), where jq 1.6's parser takes the line: the same
 *   bytes, or an error both ways.
 * Left out: a program with todate on a line holding a number of 1e16 or
 * more either way.  jq 1.6's todate asserts past the year 2^31 (about
 * 6.7e16 s), the known crash tests/failure-matrix.bats holds the tool to
 * (an abort line); the fast path declines from the year 10000 on.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>

#if __has_include("cvx-jsonl-map.h")
#include "cvx-jsonl-map.h"
#endif
#include "fuzz.h"

/*
 * Runbook shapes fast.c compiles: tests/cvx-jsonl-map-fast.bats's
 * programs, the rows of examples/laravel-chat/map.jq and
 * examples/postgres-to-convex/map.jq in the forms fast.c takes, and
 * short-keyed ones that fuzzed documents reach easily.
 */
static const char *const progs[] = {
	".",
	"{_table, id: ._id, created: (._creationTime / 1000 | todate)}",
	"select(._table == \"messages\" and .role == \"user\")",
	"{_table, convex_id: ._id, thread_id: .threadId, user_id: .userId, "
	    "role, content, position, "
	    "created_at: (._creationTime | cvx_todate)}",
	"del(.metadata, ._creationTime)",
	"._creationTime |= cvx_todate",
	"._creationTime |= (. / 1000 | todate)",
	".role = \"x\"",
	".copy = .position",
	"select((.content | type) == \"string\" and "
	    "(.position | type) == \"number\" and .position > 3) | "
	    "{_table, id: ._id, n: .position}",
	"select(.position >= 2 or .role != \"user\" | not)",
	"{a: .metadata.model, b: .metadata.tokens, c: .metadata, "
	    "d: .metadata.a.b}",
	"select(.metadata) | {m: .metadata, t: (.metadata | type)}",
	"{\"key with space\": .role, k: null, t: true, f: false, n: 1.5, "
	    "i: 12, s: \"\xc3\xa9\"}",
	"select(.role < \"m\") | select(.position <= 10.5)",
	"select(.missing == null) | {x: (.position / 3), "
	    "y: (.content | type)}",
	"{_table, t: (._creationTime | type), n: (.position | not)}",
	"select(.position == 22 or .position == 22.0 or .role == \"user\")",
	"select(.role != null) | {role}",
	/* map.jq's messages and users rows, stamps spelt out */
	"select(._table == \"messages\") | {_table: \"messages\", "
	    "convex_id: ._id, thread_convex_id: .threadId, "
	    "user_convex_id: .userId, run_convex_id: .runId, role, content, "
	    "position, metadata, created_at: ._creationTime, "
	    "updated_at: ._creationTime}",
	"{_table: \"users\", convex_id: ._id, name, email, image, role, "
	    "token_identifier: .tokenIdentifier, "
	    "created_at: ._creationTime, updated_at: ._creationTime}",
	"select(._table == \"threads\" and .userId != null) | "
	    "{_table: \"threads\", convex_id: ._id, user_convex_id: .userId, "
	    "title, status, last_message_at: .lastMessageAt}",
	/* postgres-to-convex's map.jq, before its cvx_id and camel case */
	"select(.deleted_at == null) | del(._table, .id, .deleted_at)",
	/* short keys */
	"{a, b: .a.b, c: (.c | type), d: (.d | not), e: .a.b.c}",
	"select(.a == .b) | {a, b}",
	"select(.a < .b or .a >= \"m\") | del(.a)",
	".a |= (. / 7)",
	".a = .b",
	".a |= not",
	"{t: (.t | todate), u: (.t | cvx_todate), d: (.t / 1000 | todate)}",
	"select(.a and .b != false) | .c = (.a | type)",
	"select((.a | type) == \"object\") | {x: .a.x, y: .a.y.z}",
	".a |= .b",
	".a |= (.b | type)",
	".t |= todate",
	"{a: .b | type, c: .d | not, e: .e.f | type}",
	"select(.a > 1 and .a < 2.5 or .b <= \"z\") | del(.c)",
	"select(._creationTime / 1000 | todate > \"2025\")",
	"{x: (.a / 1000), y: (.b / 3 / 7), z: (.c / 0.1)}",
	"{a: 12, b: 0.1, c: 1000000000000000, d: 123456789.123456789, "
	    "e: \"a b\", f: .a}",
};
#define NPROGS (sizeof(progs) / sizeof(progs[0]))

static jq_state *jqs[NPROGS];
static struct fast_prog *fps[NPROGS];
/* Does the program call todate (itself, or through cvx_todate)? */
static bool todates[NPROGS];
/* How often each way answered, said at exit (is the run worth much?). */
static unsigned long nlines, nfast, nplain;

/* jq's messages are expected here (debug, stderr): keep them quiet. */
static void
quiet(void *data, jv msg)
{
	(void)data;
	jv_free(msg);
}

/* At exit: how many lines each way ran. */
static void
stats(void)
{
	fprintf(stderr, "fastpath: %lu lines run, %lu by the fast path, "
	    "%lu also by libjq alone\n", nlines, nfast, nplain);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct cvx_buf prog = {0};
	size_t i;

	(void)argc;
	(void)argv;
	/*
	 * Both ways must see the same program: libjq imports $HOME/.jq,
	 * which turns the fast path off; CVX_JSONL_MAP_FAST=0 does too.
	 */
	unsetenv("HOME");
	unsetenv("CVX_JSONL_MAP_FAST");
	for (i = 0; i < NPROGS; i++) {
		cvx_buf_reset(&prog);
		cvx_jq_program(&prog, progs[i]);
		if ((jqs[i] = jq_init()) == NULL ||
		    !jq_compile(jqs[i], prog.p)) {
			fprintf(stderr, "fastpath: %s does not compile\n",
			    progs[i]);
			exit(1);
		}
		jq_set_error_cb(jqs[i], quiet, NULL);
		cfunc_install(jqs[i]);
		todates[i] = strstr(progs[i], "todate") != NULL;
		if ((fps[i] = fast_compile(progs[i])) == NULL) {
			fprintf(stderr, "fastpath: not a fast program: %s\n",
			    progs[i]);
			exit(1);
		}
	}
	cvx_buf_free(&prog);
	atexit(stats);
	return 0;
}

/*
 * libjq alone on json[0..n): its parser, its printer, the tool's rule
 * that every output is an object.  -1 if jq 1.6's parser refuses the
 * text (deeper than its 256 levels), 0 on an error, 1 with out filled.
 */
static int
plain_jq(jq_state *jq, const char *json, size_t n, struct cvx_buf *out)
{
	jv in, r, s;
	int ok = 1;

	in = jv_parse_sized(json, (int)n);
	if (!jv_is_valid(in)) {
		jv_free(in);
		return -1;
	}
	jq_start(jq, in, 0);
	while (jv_is_valid(r = jq_next(jq))) {
		if (jv_get_kind(r) != JV_KIND_OBJECT) {
			jv_free(r);
			return 0;
		}
		s = jv_dump_string(r, 0);
		cvx_buf_adds(out, jv_string_value(s));
		cvx_buf_addc(out, '\n');
		jv_free(s);
	}
	if (jq_halted(jq) || jv_invalid_has_msg(jv_copy(r)))
		ok = 0;
	jv_free(r);
	return ok;
}

/*
 * Does the checked JSON text s[0..n) hold a number of magnitude 1e16 or
 * more (seconds near the year 2^31, where jq 1.6's todate asserts)?
 */
static bool
huge_number(const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	double d;

	while (p < end) {
		if (*p == '"')
			p = fast_string_end(p);
		else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			d = cvx_json_number(p, &p);
			if (!(fabs(d) < 1e16))
				return true;
		} else
			p++;
	}
	return false;
}

/* Report a difference between two ways and stop. */
static void
differ(size_t i, const char *doc, size_t n, const char *la,
    const struct cvx_buf *a, const char *lb, const struct cvx_buf *b,
    const char *what)
{
	fprintf(stderr, "\nfastpath: program %zu: %s\n", i, progs[i]);
	fuzz_show("document", doc, n);
	fuzz_show(la, a->p, a->len);
	fuzz_show(lb, b->p, b->len);
	CHECK(false, "%s", what);
}

/*
 * The text s[0..n) in memory of its own, NUL-terminated as a chunk's
 * last line is: a read past the NUL is AddressSanitizer's to see.
 */
static char *
own_copy(const char *s, size_t n)
{
	char *p = cvx_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Both ways (and libjq alone) on the checked line doc[0..n) */
static void
run_line(size_t i, const char *doc, size_t n)
{
	static struct cvx_buf tmp, fout, sout, pout, why;
	bool fast_ok, slow_ok;
	int plain;

	nlines++;
	cvx_buf_reset(&fout);
	fast_ok = fast_run(fps[i], doc, n, &tmp, &fout);
	cvx_buf_reset(&sout);
	slow_ok = prog_run(jqs[i], doc, n, &tmp, &sout, &why);
	if (!fast_ok) {
		CHECK(fout.len == 0, "program %zu: fast_run declined but left "
		    "%zu bytes of output", i, fout.len);
	} else {
		nfast++;
		if (!slow_ok)
			differ(i, doc, n, "fast path", &fout, "libjq's error",
			    &why, "the fast path answered where libjq errs");
		if (!mem_eq(fout.p, fout.len, sout.p, sout.len))
			differ(i, doc, n, "fast path", &fout, "libjq", &sout,
			    "the fast path's output differs from libjq's");
	}

	cvx_buf_reset(&pout);
	if ((plain = plain_jq(jqs[i], doc, n, &pout)) < 0)
		return;
	nplain++;
	if ((plain == 1) != slow_ok)
		differ(i, doc, n, "prog_run", slow_ok ? &sout : &why,
		    "libjq alone", &pout, "prog_run and libjq alone disagree "
		    "on an error");
	if (slow_ok && !mem_eq(sout.p, sout.len, pout.p, pout.len))
		differ(i, doc, n, "prog_run", &sout, "libjq alone", &pout,
		    "prog_run's output differs from libjq's own printing");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cvx_buf quoted = {0};
	struct cvx_json_error je;
	char *doc;
	size_t i, n, blen;
	bool int64_str;

	if (size < 1 || size > 65536)
		return 0;
	i = data[0] % NPROGS;
	int64_str = (data[0] & 0x80) != 0;
	n = size - 1;
	doc = own_copy((const char *)data + 1, n);
	/* As do_line: the CR of a CRLF is not the document's. */
	if (n > 0 && doc[n - 1] == '\r')
		n--;
	if (memchr(doc, '\n', n) != NULL || cvx_json_check(doc, n, &je) != 0)
		goto done;
	if (cvx_json_find_bigint(doc, n, 0, &blen) < n) {
		if (!int64_str)
			goto done;
		cvx_json_quote_bigints(doc, n, &quoted);
		free(doc);
		n = quoted.len;
		doc = own_copy(quoted.p, n);
	}
	if (todates[i] && huge_number(doc, n))
		goto done;
	run_line(i, doc, n);
done:
	free(doc);
	cvx_buf_free(&quoted);
	return 0;
}
