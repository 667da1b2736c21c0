/* SPDX-License-Identifier: MIT */
/*
 * cvx-jsonl-map.h: what the files of cvx-jsonl-map share, and nothing else
 * (common/cvx.h holds what several tools share).
 */
#ifndef CVX_JSONL_MAP_H
#define CVX_JSONL_MAP_H

#include "cvx.h"

/* ---- bigint.c: JSON numbers and doubles --------------- */

/*
 * Find the next JSON integer token (no '.', no exponent) whose magnitude
 * is above 2^53 = 9007199254740992, outside strings, in s[from..n).  from
 * must be outside any string (0, or just past a token this returned).
 * The check is exact, on the digit text: 9007199254740992 itself and any
 * float such as 1e300 or 9007199254740993.0 are not reported.  The text
 * is not validated (run cvx_json_check first); an unterminated string
 * ends the search.  Returns the token's offset with *len set to its
 * length (sign included), or n if there is none.  Why: jq 1.6 (like
 * JavaScript) reads every number as an IEEE double, and Convex writes
 * int64 values as bare integers in uniform exports
 * (convex-export-format.md §3.1), so such a token would change silently.
 */
size_t cvx_json_find_bigint(const char *s, size_t n, size_t from,
    size_t *len);

/*
 * Append s[0..n) to out with every token cvx_json_find_bigint finds
 * turned into a JSON string of the same digits (9223372036854775807 ->
 * "9223372036854775807"), which PostgreSQL bigint and numeric columns
 * accept.  Returns the number of tokens quoted.
 */
size_t cvx_json_quote_bigints(const char *s, size_t n, struct cvx_buf *out);

/*
 * Read the JSON number token at p (already checked, e.g. by
 * cvx_json_check; it ends at the first byte that cannot continue it) as
 * the correctly rounded double, the value jq, JavaScript and strtod give
 * it; *end is set past it.  Most tokens take Clinger's exact fast path
 * (at most 15 significant digits and at most 22 decimals: both the digits
 * and the power of ten are exact doubles, so one IEEE division rounds
 * correctly); others go to strtod(3) in the C locale.
 */
double cvx_json_number(const char *p, const char **end);

/* ---- chunks.c: a stream's lines on several threads, in order ----------- */

/*
 * A run of whole input lines and what a worker made of them.  in holds
 * whole lines, NUL-terminated (the last line lacks its '\n' only at the
 * end of the input); out is the worker's output for them; data is the
 * tool's own state for the chunk, kept while the chunk is reused and
 * handed to release at the end.  state is private.
 */
struct cvx_chunk {
	struct cvx_buf	 in;
	struct cvx_buf	 out;
	void		*data;
	int		 state;
};

/* What cvx_chunks_run calls; flush and release may be NULL. */
struct cvx_chunk_ops {
	/* In a worker thread, chunks in any order: make c->out of c->in. */
	void	(*process)(void *worker, struct cvx_chunk *c);
	/* One chunk at a time, in input order: write what c holds. */
	void	(*write)(struct cvx_chunk *c);
	/* The writer has caught up with the input: write out buffers. */
	void	(*flush)(void);
	/* At the end, for every chunk: free c->data. */
	void	(*release)(struct cvx_chunk *c);
};

/*
 * Read fd to its end in chunks of whole lines (about 1 MiB, or one line
 * when it is longer), have nworkers threads process them (workers[i] is
 * passed to process as is) and write them in input order, all before
 * returning.  Memory: 2 * nworkers + 2 chunks.  A chunk goes out as soon
 * as a read comes back short, so lines from a slow producer are not held
 * back.  write may end the process (cvx_die at an error, in input order).
 * Returns 0, or the errno of a failed read once the whole lines read
 * before it have been written.
 */
int cvx_chunks_run(int fd, size_t nworkers, void **workers,
    const struct cvx_chunk_ops *ops);


/* ---- jqtext.c: jq program text for cvx-jsonl-map (no libjq calls) ----- */

/*
 * Append to out the jq program prog with the built-in Convex library
 * (cvx_todate, cvx_snake, cvx_snake_keys, cvx_camel, cvx_camel_keys,
 * cvx_id, cvx_table_number, cvx_int64, cvx_float, cvx_bytes:
 * cvx-jsonl-map(1)) put in front of it, after its
 * leading module, import and include directives, which jq's grammar wants
 * first.  The library is one line, so jq's line numbers stay the user's.
 * Sources: convex-export-format.md §3.1 (value encodings), §6 (ids).
 */
void cvx_jq_program(struct cvx_buf *out, const char *prog);

/*
 * Append jq's message s[0..n) to b as one stderr-safe line: the library's
 * text (jq quotes the program line) cut out, control characters made
 * spaces, trailing spaces dropped, at most max bytes (cut on a UTF-8
 * boundary, "..." added).
 */
void cvx_jq_message(struct cvx_buf *b, const char *s, size_t n, size_t max);

/*
 * Append s[0..n) (UTF-8) to b as a JSON string, escaped byte for byte as
 * jq 1.6 prints strings (jv_dump_string with no flags): \" \\ \b \t \n
 * \f \r, other bytes below 0x20 and DEL as \u00xx in lowercase hex,
 * everything else, '/' and non-ASCII included, as it is.
 */
void cvx_jq_quote(struct cvx_buf *b, const char *s, size_t n);

/*
 * Append s[0..n) to b with every byte that is not part of a well-formed
 * UTF-8 sequence (RFC 3629 §4) replaced by U+FFFD, so that any line can
 * be quoted into valid JSON (cvx-jsonl-map's errors file).
 */
void cvx_utf8_clean(struct cvx_buf *b, const char *s, size_t n);

/* Longest message kept for a rejected line or from jq, in bytes. */
#define MSG_MAX		1024

/* ---- cfunc.c: the library's functions written in C -------------------- */

struct jq_state;

/*
 * Read --table-numbers FILE (the _tables/documents.jsonl format,
 * cvx_tables_line), the names cvx_id(TABLE; KEY) looks TABLE up in.
 * Exit 2 naming the line on a bad one.
 */
void cfunc_numbers_read(const char *path);

/*
 * Give jq state jq the C side of the library (cvx_id, cvx_table_number,
 * base64 for cvx_float), reached through its debug and input callbacks,
 * and jq(1)'s printing of `debug`.  cfunc_free releases it.
 */
void cfunc_install(struct jq_state *jq);
void cfunc_free(struct jq_state *jq);

/* ---- jq.c: the program, through libjq ---------------------------------- */

/* jq's state (jq.h); only jq.c and cfunc.c call libjq. */
struct jq_state;

/* The kinds of a program argument ($name in the program). */
enum arg_kind { ARG_STRING, ARG_JSON, ARG_SLURP };

/*
 * Add the program argument $name (--arg, --argjson, --slurpfile, in
 * option order): value_or_path is the value, or for ARG_SLURP a file
 * read now (exit 2 if it cannot be).  name and value are not copied.
 */
void prog_arg_add(enum arg_kind kind, const char *name,
    const char *value_or_path);

/* Add a module search directory (-L), made absolute as jq(1) does. */
void prog_lib_dir(const char *dir);

/*
 * Set the program: the text of the filter operand (file NULL), or the
 * contents of -f file (exit 2 if it cannot be read or holds a NUL), with
 * the Convex library put in front (cvx_jq_program).  Its directory is
 * jq's PROGRAM_ORIGIN ("." for an operand).
 */
void prog_load(const char *file, const char *text);

/* Check the --argjson and --slurpfile values once; exit 2 on bad JSON. */
void prog_args_check(void);

/*
 * A fresh jq state with the program compiled in, its $variables built
 * for this state alone (jv reference counts are not atomic), or NULL
 * with jq's messages appended to msgs, one line each.
 */
struct jq_state *prog_compile(struct cvx_buf *msgs);

/*
 * Report the messages of a failed compile, one line each; the last one
 * (jq's count of errors) is the abort reason; exit 2.
 */
void prog_compile_failed(struct cvx_buf *msgs) __attribute__((noreturn));

/*
 * Oniguruma initialises itself on the first regex it compiles, without a
 * lock: do that once, before the workers can race for it.
 */
void prog_regex_warm_up(void);

/* Tear down *jq (may be NULL); *jq is NULL afterwards. */
void prog_free(struct jq_state **jq);

/*
 * Run the program of jq on the JSON text json[0..n), already checked
 * (cvx_json_check) and free of integers beyond 2^53, and append each
 * result to out as a compact line, byte for byte as jq 1.6 prints it.
 * tmp is scratch space.  Returns true, or false with the reason in why
 * (an output that is not an object, an error, halt; out may then hold
 * part of the line's output, for the caller to drop).
 */
bool prog_run(struct jq_state *jq, const char *json, size_t n,
    struct cvx_buf *tmp, struct cvx_buf *out, struct cvx_buf *why);

/*
 * Append the number d as jq 1.6 prints it (jv_dump_string), byte for
 * byte: integers below 1e15 as their digits, the rest through jq's dtoa
 * (cached per thread by the double's bits).
 */
void jq_put_number(struct cvx_buf *b, double d);

/* The program's text as given (operand or -f file), before the library. */
const char *prog_source(void);

/* ---- fast.c, fastprog.c: common programs run without libjq ------------ */

struct fast_prog;

/*
 * Compile (fastprog.c) the program text (prog_source) for fast_run if it is made only
 * of what fast.c knows: paths (.a.b), object construction, select, del,
 * .a |= f, .a = v, == != < <= > >=, and, or, not, type, todate,
 * cvx_todate, literals, division by a number.  NULL otherwise, when
 * CVX_JSONL_MAP_FAST=0, or when ~/.jq (which jq imports) exists.
 */
struct fast_prog *fast_compile(const char *text);
void fast_free(struct fast_prog *fp);

/*
 * Run fp on the JSON text json[0..n) (as prog_run takes it) and append its
 * output to out, each result a line, byte for byte what libjq would print.
 * Returns false, out as it was, when the document needs anything fast.c
 * does not handle exactly as jq: then the caller runs libjq on it.  tmp is
 * scratch space.  fp is read-only: workers share it.
 */
bool fast_run(const struct fast_prog *fp, const char *json, size_t n,
    struct cvx_buf *tmp, struct cvx_buf *out);

/* ---- fastprog.c: the program tree fast.c runs ------------------------- */

/* Node kinds of the program tree. */
enum node_kind {
	N_DOT,		/* . */
	N_PATH,		/* .a.b: keys[0..nkeys) */
	N_STR,		/* "text" (no escapes) */
	N_NUM,		/* a number literal */
	N_NULL, N_TRUE, N_FALSE,
	N_PIPE,		/* a | b */
	N_AND, N_OR,
	N_CMP,		/* a OP b */
	N_DIV,		/* a / b */
	N_SELECT,	/* select(a) */
	N_FUNC,		/* not, type, todate, cvx_todate */
	N_OBJECT,	/* {k: v, ...}: keys[i], kids[i] */
	N_DEL,		/* del(.a, .b): keys */
	N_UPDATE	/* .a |= f (op '|'), .a = v (op '=') */
};

enum { F_NOT, F_TYPE, F_TODATE, F_CVX_TODATE };
enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };

struct node {
	enum node_kind	 kind;
	int		 op;		/* N_CMP, N_FUNC, N_UPDATE */
	struct node	*a, *b;
	char		**keys;		/* N_PATH, N_OBJECT, N_DEL, N_UPDATE */
	size_t		*klens;
	struct node	**kids;		/* N_OBJECT values */
	size_t		 nkeys;
	const char	*str;		/* N_STR */
	size_t		 slen;
	double		 num;		/* N_NUM */
};

struct fast_prog {
	struct node	*root;
};

/* ---- fastprint.c: JSON text as jq prints it --------------------------- */

/* Where fast.c prints: its output, scratch space, the document's end. */
struct fast_out {
	struct cvx_buf	*out;
	struct cvx_buf	*tmp;
	const char	*end;
};

/*
 * Append the JSON value at p (checked by cvx_json_check, inside the text
 * that ends at o->end) to o->out as jq 1.6 prints it, byte for byte, and
 * set *end past it.  Returns false, o->out partly written, where jq's
 * value would differ from the text's reading here: an object with a
 * repeated key (or a key with an escape, which could repeat another), one
 * of more than 64 keys, nesting deeper than 128 (depth counts from 0).
 */
bool fast_print_json(struct fast_out *o, const char *p, const char **end,
    int depth);

/* Past JSON whitespace at p; past the checked string whose quote is at p. */
const char *fast_ws(const char *p);
const char *fast_string_end(const char *p);

/* ---- work.c: the workers ----------------------------------------------- */

/*
 * Make n workers (n >= 1) for cvx_chunks_run, which map lines of the
 * tables tabs[0..ntabs) (every line when ntabs is 0), quoting integers
 * beyond +-2^53 when int64_str (--int64 string) and rejecting the line
 * otherwise.  The first worker's program is compiled here, so a program
 * that does not compile exits 2 before any output (prog_compile_failed).
 */
void **workers_new(size_t n, char *const *tabs, size_t ntabs,
    bool int64_str);
/*
 * Before workers_new: tabs (workers_new) and exc[0..nexc) are fnmatch(3)
 * globs against the table identity (FNM_PATHNAME, as cvx-unzip -t, -x);
 * lines of an excluded table pass through unmapped.  exc is not copied.
 */
void workers_exclude(char *const *exc, size_t nexc);

/* cvx_chunk_ops.process: map the lines of chunk (in a worker thread). */
void work_chunk(void *worker, struct cvx_chunk *chunk);

/* Free the n workers of workers_new. */
void workers_free(void **workers, size_t n);

/* ---- output.c: chunks written in input order --------------------------- */

/* A rejected or abort line of a chunk (private to output.c). */
struct rec;

/*
 * What a worker made of a chunk besides its output (cvx_chunk.data): the
 * records of lines the writer must act on, with their messages.
 */
struct chunk {
	struct cvx_buf	*in;		/* the chunk's input lines */
	struct cvx_buf	*out;		/* and its output */
	struct cvx_buf	 msgs;
	struct rec	*recs;
	size_t		 nrecs;
	size_t		 caprecs;
	uint64_t	 nlines;	/* input lines the worker went through */
};

/* The chunk's records, emptied (made at first use); for a worker. */
struct chunk *chunk_begin(struct cvx_chunk *chunk);

/*
 * Record that line idx (1-based in c) is rejected, with a printf-style
 * message; c's output is cut back to out_len (the outputs made before the
 * failure belong to the rejected line).  Returns whether the worker goes
 * on with the chunk: not when one rejected line ends the run
 * (--max-errors 1).
 */
bool chunk_reject(struct chunk *c, size_t out_len, uint64_t idx,
    const char *line, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Record that line idx of c is an abort line; the chunk stops there. */
void chunk_abort(struct chunk *c, uint64_t idx, const char *line,
    size_t len);

/* cvx_chunk_ops.release: free a chunk's records at the end. */
void chunk_release(struct cvx_chunk *chunk);

/*
 * Start the output stream on stdout, registered with cvx_die so that
 * every failure from now on reaches the consumer as the abort line.
 * in_name names the input in messages; max_errors is --max-errors (0:
 * never give up).
 */
void output_start(const char *in_name, unsigned long max_errors);

/* Create the --errors file (path may be NULL: none); die if it fails. */
void output_errors_open(const char *path);

/*
 * cvx_chunk_ops.write: write a processed chunk, in input order: its
 * output, each rejected line reported (stderr, errors file) up to
 * --max-errors, an abort line relayed (exit 1).
 */
void output_chunk(struct cvx_chunk *chunk);

/* cvx_chunk_ops.flush: push out the buffered output. */
void output_flush(void);

/*
 * Finish after cvx_chunks_run returned rerr (0, or a read errno: die
 * after the lines read before it): flush and close the errors file and
 * stdout.  Returns the exit status: 1 after a rejected line or a close
 * error, else 0.
 */
int output_finish(int rerr);

#endif /* CVX_JSONL_MAP_H */
