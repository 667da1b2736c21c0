/* SPDX-License-Identifier: MIT */
/*
 * fastprog.c: the program of fast.c: the jq text parsed into a tree, when
 * it is made only of what fast.c runs exactly as jq does (see fast.c).
 * The parser follows jq 1.6's grammar (src/parser.y) for those forms and
 * refuses anything else; libjq compiled the program first, so a text that
 * is not jq never gets here.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cvx-jsonl-map.h"

/* ---- the program ---------------------------------------------------- */

/* The parser: the text and where it is; ok turns false at anything new. */
struct parser {
	const char	*p;
	bool		 ok;
};

static struct node *parse_pipe(struct parser *ps);

static struct node *
node_new(enum node_kind kind)
{
	struct node *n = cvx_calloc(1, sizeof(*n));

	n->kind = kind;
	return n;
}

static void
node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	node_free(n->a);
	node_free(n->b);
	for (i = 0; i < n->nkeys; i++) {
		free(n->keys[i]);
		if (n->kids != NULL)
			node_free(n->kids[i]);
	}
	free(n->keys);
	free(n->klens);
	free(n->kids);
	free((char *)n->str);
	free(n);
}

static void
skip_space(struct parser *ps)
{
	for (;;) {
		while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
		    *ps->p == '\r')
			ps->p++;
		if (*ps->p != '#')
			return;
		/* A comment runs to the end of the line. */
		while (*ps->p != '\0' && *ps->p != '\n')
			ps->p++;
	}
}

static bool
is_ident_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_ident(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* The identifier at p (no "::"), its length; 0 if there is none. */
static size_t
ident_len(const char *p)
{
	size_t n = 0;

	if (!is_ident_start(*p))
		return 0;
	while (is_ident(p[n]))
		n++;
	if (p[n] == ':' && p[n + 1] == ':')
		return 0;	/* a module's name */
	return n;
}

/* Is the word at p exactly w (not the start of a longer identifier)? */
static bool
word(struct parser *ps, const char *w)
{
	size_t n = strlen(w);

	skip_space(ps);
	if (strncmp(ps->p, w, n) != 0 || is_ident(ps->p[n]))
		return false;
	ps->p += n;
	return true;
}

/* Is the next token the punctuation s?  Then take it. */
static bool
punct(struct parser *ps, const char *s)
{
	size_t n = strlen(s);

	skip_space(ps);
	if (strncmp(ps->p, s, n) != 0)
		return false;
	ps->p += n;
	return true;
}

static void
expect(struct parser *ps, const char *s)
{
	if (!punct(ps, s))
		ps->ok = false;
}

/* Add key k[0..n) to node x (copied). */
static void
key_add(struct node *x, const char *k, size_t n, struct node *kid)
{
	x->keys = cvx_reallocarray(x->keys, x->nkeys + 1, sizeof(*x->keys));
	x->klens = cvx_reallocarray(x->klens, x->nkeys + 1,
	    sizeof(*x->klens));
	x->keys[x->nkeys] = cvx_malloc(n + 1);
	memcpy(x->keys[x->nkeys], k, n);
	x->keys[x->nkeys][n] = '\0';
	x->klens[x->nkeys] = n;
	if (kid != NULL || x->kind == N_OBJECT) {
		x->kids = cvx_reallocarray(x->kids, x->nkeys + 1,
		    sizeof(*x->kids));
		x->kids[x->nkeys] = kid;
	}
	x->nkeys++;
}

/*
 * A string literal without escapes or interpolation, valid UTF-8 without
 * control characters (what jq would keep byte for byte); sets *n.
 */
static const char *
string_lit(struct parser *ps, size_t *n)
{
	struct cvx_json_error je;
	const char *s, *e;

	skip_space(ps);
	if (*ps->p != '"')
		return NULL;
	s = ps->p + 1;
	for (e = s; *e != '"'; e++)
		if (*e == '\0' || *e == '\\') {
			ps->ok = false;
			return NULL;
		}
	if (cvx_json_check(s - 1, (size_t)(e - s) + 2, &je) != 0) {
		ps->ok = false;
		return NULL;
	}
	ps->p = e + 1;
	*n = (size_t)(e - s);
	return s;
}

/* A path after its first '.': .a.b.c (identifiers only); NULL if not. */
static struct node *
parse_path(struct parser *ps)
{
	struct node *x;
	size_t n;

	/* ps->p is just past a '.' */
	if ((n = ident_len(ps->p)) == 0)
		return node_new(N_DOT);
	x = node_new(N_PATH);
	for (;;) {
		key_add(x, ps->p, n, NULL);
		ps->p += n;
		if (*ps->p != '.' || (n = ident_len(ps->p + 1)) == 0)
			break;
		ps->p++;
	}
	/* .a[..], .a?, .a."b": not here. */
	if (*ps->p == '[' || *ps->p == '?' || *ps->p == '"' || *ps->p == '.')
		ps->ok = false;
	return x;
}

/* A number literal: jq's lexer form, read as jq does (correctly rounded). */
static struct node *
parse_number(struct parser *ps)
{
	const char *s = ps->p, *end;
	struct node *x;

	while ((*ps->p >= '0' && *ps->p <= '9'))
		ps->p++;
	/* Only plain JSON integers and decimals: 1, 1000, 0.5. */
	if (*ps->p == '.' && ps->p[1] >= '0' && ps->p[1] <= '9')
		for (ps->p++; *ps->p >= '0' && *ps->p <= '9'; ps->p++)
			;
	if (*ps->p == 'e' || *ps->p == 'E' || *ps->p == '.' ||
	    is_ident(*ps->p) || (*s == '0' && s[1] >= '0' && s[1] <= '9')) {
		ps->ok = false;
		return NULL;
	}
	x = node_new(N_NUM);
	x->num = cvx_json_number(s, &end);
	return x;
}

/* {key: value, key, "key": value, "key"} */
static struct node *
parse_object(struct parser *ps)
{
	struct node *x = node_new(N_OBJECT), *v, *path;
	const char *k;
	size_t n, i;

	if (punct(ps, "}"))
		return x;
	do {
		skip_space(ps);
		if (*ps->p == '"') {
			if ((k = string_lit(ps, &n)) == NULL)
				break;
		} else if ((n = ident_len(ps->p)) > 0) {
			k = ps->p;
			ps->p += n;
		} else {
			ps->ok = false;
			break;
		}
		if (punct(ps, ":")) {
			/*
			 * jq's grammar allows only pipes of terms here
			 * without parentheses; libjq compiled the program
			 * first, so whatever parses is one of those.
			 */
			v = parse_pipe(ps);
		} else {
			/* {a} is {a: .a} */
			path = node_new(N_PATH);
			key_add(path, k, n, NULL);
			v = path;
		}
		for (i = 0; i < x->nkeys; i++)
			if (x->klens[i] == n && memcmp(x->keys[i], k, n) == 0)
				ps->ok = false;	/* {a: 1, a: 2} */
		key_add(x, k, n, v);
	} while (ps->ok && punct(ps, ","));
	expect(ps, "}");
	return x;
}

/* del(.a, .b, ...) of top-level keys */
static struct node *
parse_del(struct parser *ps)
{
	struct node *x = node_new(N_DEL);
	size_t n;

	expect(ps, "(");
	do {
		expect(ps, ".");
		if (!ps->ok || (n = ident_len(ps->p)) == 0) {
			ps->ok = false;
			break;
		}
		key_add(x, ps->p, n, NULL);
		ps->p += n;
	} while (punct(ps, ","));
	expect(ps, ")");
	return x;
}

/* A term: . .a.b "s" 1 null true false (e) {…} select(e) del(…) name */
static struct node *
parse_term(struct parser *ps)
{
	static const char *const funcs[] = { "not", "type", "todate",
	    "cvx_todate" };
	struct node *x;
	size_t i, n;

	skip_space(ps);
	if (!ps->ok)
		return NULL;
	if (*ps->p == '.' && ps->p[1] != '.') {
		ps->p++;
		return parse_path(ps);
	}
	if (*ps->p == '"') {
		x = node_new(N_STR);
		if ((x->str = string_lit(ps, &x->slen)) != NULL)
			x->str = memcpy(cvx_malloc(x->slen + 1), x->str,
			    x->slen);
		return x;
	}
	if (*ps->p >= '0' && *ps->p <= '9')
		return parse_number(ps);
	if (punct(ps, "(")) {
		x = parse_pipe(ps);
		expect(ps, ")");
		return x;
	}
	if (punct(ps, "{"))
		return parse_object(ps);
	if (word(ps, "null"))
		return node_new(N_NULL);
	if (word(ps, "true"))
		return node_new(N_TRUE);
	if (word(ps, "false"))
		return node_new(N_FALSE);
	if (word(ps, "select")) {
		x = node_new(N_SELECT);
		expect(ps, "(");
		x->a = parse_pipe(ps);
		expect(ps, ")");
		return x;
	}
	if (word(ps, "del"))
		return parse_del(ps);
	for (i = 0; i < 4; i++)
		if (word(ps, funcs[i])) {
			/* not an arity we know: not(x), todate(f) */
			n = 0;
			skip_space(ps);
			if (*ps->p == '(')
				n = 1;
			if (n != 0)
				break;
			x = node_new(N_FUNC);
			x->op = (int)i;
			return x;
		}
	ps->ok = false;
	return NULL;
}

/* A term, or term / number */
static struct node *
parse_div(struct parser *ps)
{
	struct node *x = parse_term(ps), *d;

	while (ps->ok && punct(ps, "/")) {
		if (*ps->p == '/' || *ps->p == '=') {	/* // or /= */
			ps->ok = false;
			break;
		}
		d = node_new(N_DIV);
		d->a = x;
		d->b = parse_term(ps);
		x = d;
		if (d->b == NULL || d->b->kind != N_NUM || d->b->num == 0)
			ps->ok = false;
	}
	return x;
}

/* Anything jq would read as an operator we do not know. */
static bool
unknown_op(struct parser *ps)
{
	skip_space(ps);
	return strchr("+-*%?[,;:$@", *ps->p) != NULL && *ps->p != '\0' &&
	    !(*ps->p == ',' || *ps->p == ':');
}

/* a OP b, for == != < <= > >= (not associative, as in jq) */
static struct node *
parse_cmp(struct parser *ps)
{
	static const char *const ops[] = { "==", "!=", "<=", ">=", "<", ">" };
	static const int codes[] = { C_EQ, C_NE, C_LE, C_GE, C_LT, C_GT };
	struct node *x = parse_div(ps), *c;
	size_t i;

	if (!ps->ok)
		return x;
	for (i = 0; i < 6; i++)
		if (punct(ps, ops[i])) {
			c = node_new(N_CMP);
			c->op = codes[i];
			c->a = x;
			c->b = parse_div(ps);
			return c;
		}
	if (unknown_op(ps))
		ps->ok = false;
	return x;
}

static struct node *
parse_and(struct parser *ps)
{
	struct node *x = parse_cmp(ps), *y;

	while (ps->ok && word(ps, "and")) {
		y = node_new(N_AND);
		y->a = x;
		y->b = parse_cmp(ps);
		x = y;
	}
	return x;
}

static struct node *
parse_or(struct parser *ps)
{
	struct node *x = parse_and(ps), *y;

	while (ps->ok && word(ps, "or")) {
		y = node_new(N_OR);
		y->a = x;
		y->b = parse_and(ps);
		x = y;
	}
	return x;
}

/* .a |= f, .a = v (a top-level key), or an or-expression */
static struct node *
parse_assign(struct parser *ps)
{
	struct node *x = parse_or(ps), *u;

	if (!ps->ok)
		return x;
	skip_space(ps);
	if ((ps->p[0] == '|' && ps->p[1] == '=') ||
	    (ps->p[0] == '=' && ps->p[1] != '=')) {
		u = node_new(N_UPDATE);
		u->op = *ps->p;
		ps->p += u->op == '|' ? 2 : 1;
		if (x == NULL || x->kind != N_PATH || x->nkeys != 1)
			ps->ok = false;
		else
			key_add(u, x->keys[0], x->klens[0], NULL);
		node_free(x);
		u->a = parse_or(ps);
		x = u;
		skip_space(ps);
		if (*ps->p == '=' || (ps->p[0] == '|' && ps->p[1] == '='))
			ps->ok = false;
	}
	if (punct(ps, "//"))
		ps->ok = false;
	return x;
}

/* a | b | c (right-associative, as in jq) */
static struct node *
parse_pipe(struct parser *ps)
{
	struct node *x = parse_assign(ps), *y;

	skip_space(ps);
	if (!ps->ok || ps->p[0] != '|' || ps->p[1] == '=')
		return x;
	ps->p++;
	y = node_new(N_PIPE);
	y->a = x;
	y->b = parse_pipe(ps);
	return y;
}

/*
 * Can n produce its output into the stream (an object)?  The right end
 * of the top-level pipes: ., an object, del, an update; the rest (what
 * is piped into it) must yield one value or none.
 */
static bool
producer(const struct node *n)
{
	if (n == NULL)
		return false;
	switch (n->kind) {
	case N_PIPE:
		return n->a != NULL && n->a->kind == N_SELECT &&
		    producer(n->b);
	case N_SELECT:	/* select(c) alone: the document or nothing */
	case N_DOT:
	case N_OBJECT:
	case N_DEL:
		return true;
	case N_UPDATE:
		return true;
	default:
		return false;
	}
}

/* Is the tree made only of values (no producer where a value is used)? */
static bool
values_only(const struct node *n)
{
	size_t i;

	if (n == NULL)
		return true;
	if (n->kind == N_OBJECT || n->kind == N_DEL || n->kind == N_UPDATE)
		return false;
	return values_only(n->a) && values_only(n->b);
	(void)i;
}

/* Check a producer's parts: its values are values. */
static bool
producer_parts(const struct node *n)
{
	size_t i;

	switch (n->kind) {
	case N_PIPE:
		return values_only(n->a) && producer_parts(n->b);
	case N_SELECT:
		return values_only(n->a);
	case N_OBJECT:
		for (i = 0; i < n->nkeys; i++)
			if (!values_only(n->kids[i]))
				return false;
		return true;
	case N_UPDATE:
		return values_only(n->a);
	default:
		return true;
	}
}

/*
 * Could jq import something into every program?  libjq imports $HOME/.jq
 * (load_program in jq 1.6's linker.c), whose definitions would change
 * what the names here mean; a module search could also reach
 * $HOME/jq/main.jq.  Any of them there: leave the program to libjq.
 */
static bool
home_jq(void)
{
	struct cvx_buf b = { 0 };
	const char *home = getenv("HOME");
	struct stat st;
	bool r;

	if (home == NULL)
		return false;
	cvx_buf_printf(&b, "%s/.jq", home);
	r = stat(b.p, &st) == 0;
	cvx_buf_reset(&b);
	cvx_buf_printf(&b, "%s/jq/main.jq", home);
	r = r || stat(b.p, &st) == 0;
	cvx_buf_free(&b);
	return r;
}

struct fast_prog *
fast_compile(const char *text)
{
	struct parser ps = { text, true };
	struct fast_prog *fp;
	struct node *root;
	const char *env = getenv("CVX_JSONL_MAP_FAST");

	if (text == NULL || (env != NULL && strcmp(env, "0") == 0) ||
	    home_jq())
		return NULL;
	root = parse_pipe(&ps);
	skip_space(&ps);
	if (!ps.ok || *ps.p != '\0' || !producer(root) ||
	    !producer_parts(root)) {
		node_free(root);
		return NULL;
	}
	fp = cvx_calloc(1, sizeof(*fp));
	fp->root = root;
	return fp;
}

void
fast_free(struct fast_prog *fp)
{
	if (fp != NULL) {
		node_free(fp->root);
		free(fp);
	}
}
