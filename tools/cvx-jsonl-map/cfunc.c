/* SPDX-License-Identifier: MIT */
/*
 * cfunc.c: the built-in library's functions that are written in C:
 * cvx_id, cvx_table_number, the base64 decoding under cvx_float, and the
 * renames cvx_snake, cvx_camel and their _keys forms (in jq, explode and
 * with_entries cost about 100 us a document).
 *
 * libjq 1.6 has no API to add a C function to a program.  It has two
 * callbacks a program reaches, one per jq state: `debug` hands a value to
 * C, `input` takes one back.  So the library calls C as
 *
 *	"\u0000cvx:NAME" | debug | $arg1 | debug | ... | input
 *
 * The name, then each argument, go to the debug callback (no array is
 * built: that is most of what a call costs in jq); after the last one it
 * runs the function and keeps its result (or error), which the input
 * callback returns.  The arguments are bound variables, so nothing can
 * fail or backtrack between the steps.  Any other `debug` prints as
 * jq(1) prints it, and `input` with nothing kept ends as it does without
 * a callback.  The result is a real jq value, so a minted ID compares,
 * concatenates and prints as any string does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jq.h>
#include <openssl/evp.h>

#include "cvx-jsonl-map.h"

/* A call's first value is MARK and the function's name (jqtext.c). */
static const char mark[] = "\0cvx:";
#define MARK_LEN (sizeof(mark) - 1)

/* A table of --table-numbers: identity ("name" or "a/b:name"), number. */
struct numbered {
	char		*ident;
	uint32_t	 number;
};

static struct numbered *numbers;
static size_t nnumbers;
static const char *numbers_path;

/* The functions, and how many arguments each takes. */
enum cfn {
	CFN_NONE, CFN_ID, CFN_TABLE_NUMBER, CFN_B64, CFN_SNAKE, CFN_SNAKE_KEYS,
	CFN_CAMEL, CFN_CAMEL_KEYS
};
static const struct {
	const char	*name;
	int		 nargs;
} cfns[] = {
	[CFN_ID] = { "id", 2 },
	[CFN_TABLE_NUMBER] = { "table_number", 1 },
	[CFN_B64] = { "b64", 1 },
	[CFN_SNAKE] = { "snake", 1 },
	[CFN_SNAKE_KEYS] = { "snake_keys", 1 },
	[CFN_CAMEL] = { "camel", 1 },
	[CFN_CAMEL_KEYS] = { "camel_keys", 1 },
};

/* One jq state's call in progress. */
struct cfunc {
	enum cfn	 fn;		/* the call being given its arguments */
	int		 nargs;		/* how many it has had */
	jv		 args[2];
	jv		 result;	/* kept for `input`; invalid if none */
	struct cvx_buf	 tmp;
	EVP_MD_CTX	*sha;		/* reused: a fresh one per ID costs */
};

/* SHA-256, fetched once: OpenSSL 3 looks it up on every EVP_sha256(). */
static EVP_MD *sha256;

static int
numbered_cmp(const void *a, const void *b)
{
	return strcmp(((const struct numbered *)a)->ident,
	    ((const struct numbered *)b)->ident);
}

void
cfunc_numbers_read(const char *path)
{
	struct cvx_buf name = { 0 }, comp = { 0 };
	struct cvx_json_error e;
	struct cvx_lines r;
	const char *line;
	size_t len, i;
	uint32_t num;
	bool nl;
	int fd, rc;

	if ((fd = cvx_open_input(path)) < 0)
		cvx_fail(2, "%s: %s", path, strerror(errno));
	numbers_path = path;
	cvx_lines_init(&r, fd, path);
	while ((rc = cvx_lines_next(&r, &line, &len, &nl)) == 1) {
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (cvx_tables_line(line, len, &name, &comp, &num, &e) != 0)
			cvx_fail(2, "%s: line %ju, byte %zu: %s", path,
			    (uintmax_t)r.lineno, e.offset + 1, e.msg);
		numbers = cvx_reallocarray(numbers, nnumbers + 1,
		    sizeof(*numbers));
		numbers[nnumbers].ident = cvx_malloc(comp.len + name.len + 2);
		snprintf(numbers[nnumbers].ident, comp.len + name.len + 2,
		    "%s%s%s", comp.len ? comp.p : "", comp.len ? ":" : "",
		    name.p);
		numbers[nnumbers++].number = num;
	}
	if (rc < 0)
		cvx_fail(2, "%s: %s", path, strerror(errno));
	cvx_lines_free(&r);
	if (fd != 0)
		(void)close(fd);
	cvx_buf_free(&name);
	cvx_buf_free(&comp);
	qsort(numbers, nnumbers, sizeof(*numbers), numbered_cmp);
	for (i = 1; i < nnumbers; i++)
		if (strcmp(numbers[i - 1].ident, numbers[i].ident) == 0)
			cvx_fail(2, "%s: table %s listed twice", path,
			    numbers[i].ident);
}

/* The number of the table with identity ident, or 0. */
static uint32_t
number_of(const char *ident)
{
	struct numbered key = { (char *)ident, 0 }, *hit;

	hit = nnumbers == 0 ? NULL : bsearch(&key, numbers, nnumbers,
	    sizeof(*numbers), numbered_cmp);
	return hit != NULL ? hit->number : 0;
}

/* The root table that has number num, or NULL. */
static const char *
name_of(uint32_t num)
{
	size_t i;

	for (i = 0; i < nnumbers; i++)
		if (numbers[i].number == num &&
		    strchr(numbers[i].ident, ':') == NULL)
			return numbers[i].ident;
	return NULL;
}

/* An error for `input` to raise: "FN: WHAT: VALUE" (v consumed). */
static jv
fail(const char *fn, const char *what, jv v)
{
	char buf[128];
	jv msg;

	msg = jv_string_fmt("%s: %s: %s", fn, what,
	    jv_dump_string_trunc(jv_copy(v), buf, sizeof(buf)));
	jv_free(v);
	return jv_invalid_with_msg(msg);
}

/*
 * Append KEY (consumed) as jq 1.6's jv_dump_string(KEY, JV_PRINT_SORTED)
 * writes it: strings, numbers and arrays by our printers (jq's own
 * appends a character at a time), objects by jq, for their sorted keys.
 */
static void
put_canonical(struct cvx_buf *b, jv key)
{
	jv text;
	int i, n;

	switch (jv_get_kind(key)) {
	case JV_KIND_STRING:
		cvx_jq_quote(b, jv_string_value(key),
		    (size_t)jv_string_length_bytes(jv_copy(key)));
		break;
	case JV_KIND_NUMBER:
		jq_put_number(b, jv_number_value(key));
		break;
	case JV_KIND_TRUE:
		cvx_buf_add(b, "true", 4);
		break;
	case JV_KIND_FALSE:
		cvx_buf_add(b, "false", 5);
		break;
	case JV_KIND_NULL:
		cvx_buf_add(b, "null", 4);
		break;
	case JV_KIND_ARRAY:
		cvx_buf_addc(b, '[');
		n = jv_array_length(jv_copy(key));
		for (i = 0; i < n; i++) {
			if (i > 0)
				cvx_buf_addc(b, ',');
			put_canonical(b, jv_array_get(jv_copy(key), i));
		}
		cvx_buf_addc(b, ']');
		break;
	default:
		text = jv_dump_string(jv_copy(key), JV_PRINT_SORTED);
		cvx_buf_add(b, jv_string_value(text),
		    (size_t)jv_string_length_bytes(jv_copy(text)));
		jv_free(text);
		break;
	}
	jv_free(key);
}

/*
 * cvx_id(TABLE; KEY): the ID a document of TABLE gets from its source key
 * (cvx-jsonl-map(1)).  The internal id is the first 16 bytes of SHA-256
 * over the table's name (its identity "a/b:name" in a component; for a
 * number with no name in --table-numbers, the number in decimal), a 0
 * byte, and KEY as jq's compact JSON with sorted keys, so the same key
 * gives the same ID in every run and from every table that refers to it.
 * The ID text is id_v6.rs's encoding (cvx_id_encode).
 */
static jv
call_id(struct cfunc *f, jv table, jv key)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	char out[CVX_ID_MAX + 1], digits[16];
	const char *name = NULL;
	uint32_t num = 0;
	double d;

	if (jv_get_kind(table) == JV_KIND_NUMBER) {
		d = jv_number_value(table);
		if (!(d >= 1 && d <= 4294967295.0 && d == (double)(uint32_t)d)) {
			jv_free(key);
			return fail("cvx_id", "not a table number from 1 to "
			    "4294967295", table);
		}
		num = (uint32_t)d;
		if ((name = name_of(num)) == NULL) {
			snprintf(digits, sizeof(digits), "%u", num);
			name = digits;
		}
	} else if (jv_get_kind(table) == JV_KIND_STRING) {
		name = jv_string_value(table);
		if ((num = number_of(name)) == 0) {
			jv_free(key);
			return fail("cvx_id", numbers_path == NULL ?
			    "a table name needs --table-numbers FILE (or give "
			    "the table's number)" : "table not in "
			    "--table-numbers", table);
		}
	} else {
		jv_free(key);
		return fail("cvx_id", "the table is not a number or a name",
		    table);
	}
	if (jv_get_kind(key) == JV_KIND_NULL) {
		jv_free(table);
		return fail("cvx_id", "the key is null", key);
	}
	cvx_buf_reset(&f->tmp);
	cvx_buf_add(&f->tmp, name, strlen(name) + 1);	/* with its 0 byte */
	put_canonical(&f->tmp, key);
	jv_free(table);
	if (EVP_DigestInit_ex(f->sha, sha256, NULL) != 1 ||
	    EVP_DigestUpdate(f->sha, f->tmp.p, f->tmp.len) != 1 ||
	    EVP_DigestFinal_ex(f->sha, md, NULL) != 1)
		cvx_die("cvx_id: SHA-256 failed");
	return jv_string_sized(out, (int)cvx_id_encode(num, md, out));
}

/* cvx_table_number: the table number an ID carries (id_v6.rs decode). */
static jv
call_table_number(jv id)
{
	const char *why;
	uint32_t num;

	if (jv_get_kind(id) != JV_KIND_STRING ||
	    cvx_id_decode(jv_string_value(id),
	    (size_t)jv_string_length_bytes(jv_copy(id)), &num, NULL,
	    &why) != 0)
		return fail("cvx_table_number", "not a Convex id", id);
	jv_free(id);
	return jv_number(num);
}

/* Standard base64 (cvx_base64_decode's rules) to an array of bytes. */
static jv
call_b64(struct cfunc *f, jv s)
{
	jv bytes;
	size_t i;

	cvx_buf_reset(&f->tmp);
	if (jv_get_kind(s) != JV_KIND_STRING || cvx_base64_decode(&f->tmp,
	    jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)))
	    != 0)
		return fail("cvx_float", "not base64", s);
	jv_free(s);
	bytes = jv_array_sized((int)f->tmp.len);
	for (i = 0; i < f->tmp.len; i++)
		bytes = jv_array_append(bytes,
		    jv_number((unsigned char)f->tmp.p[i]));
	return bytes;
}

static bool
is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool
is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

/*
 * cvx_snake of s[0..n) into b (cvx-jsonl-map(1)): an underscore before an
 * ASCII capital that follows a lowercase letter or a digit, or that
 * follows a capital and comes before a lowercase letter; capitals made
 * lowercase.  Only ASCII is looked at, so bytes stand for code points.
 */
static void
snake(struct cvx_buf *b, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!is_upper(s[i])) {
			cvx_buf_addc(b, (char)s[i]);
			continue;
		}
		if (i > 0 && (is_lower(s[i - 1]) ||
		    (s[i - 1] >= '0' && s[i - 1] <= '9') ||
		    (is_upper(s[i - 1]) && i + 1 < n && is_lower(s[i + 1]))))
			cvx_buf_addc(b, '_');
		cvx_buf_addc(b, (char)(s[i] + 32));
	}
}

/*
 * cvx_camel of s[0..n) into b: leading underscores kept; after them, an
 * underscore before an ASCII lowercase letter dropped and the letter made
 * a capital; everything else kept.
 */
static void
camel(struct cvx_buf *b, const unsigned char *s, size_t n)
{
	size_t i, lead;

	for (lead = 0; lead < n && s[lead] == '_'; lead++)
		;
	for (i = 0; i < n; i++) {
		if (i > lead && s[i] == '_' && i + 1 < n && is_lower(s[i + 1]))
			continue;
		if (i > lead + 1 && s[i - 1] == '_' && is_lower(s[i]))
			cvx_buf_addc(b, (char)(s[i] - 32));
		else
			cvx_buf_addc(b, (char)s[i]);
	}
}

typedef void rename_fn(struct cvx_buf *, const unsigned char *, size_t);

/* fn applied to the string v (consumed), or an error naming fname. */
static jv
call_rename(struct cfunc *f, rename_fn *fn, const char *fname, jv v)
{
	if (jv_get_kind(v) != JV_KIND_STRING)
		return fail(fname, "not a string", v);
	cvx_buf_reset(&f->tmp);
	fn(&f->tmp, (const unsigned char *)jv_string_value(v),
	    (size_t)jv_string_length_bytes(jv_copy(v)));
	jv_free(v);
	return jv_string_sized(f->tmp.p, (int)f->tmp.len);
}

/*
 * fn applied to every top-level key of the object v (consumed), as jq's
 * with_entries(.key |= fn) does: keys in their order, and a key that two
 * names map to keeps its first place and the last value.
 */
static jv
call_rename_keys(struct cfunc *f, rename_fn *fn, const char *fname, jv v)
{
	jv out, k;
	int i;

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return fail(fname, "not an object", v);
	out = jv_object();
	for (i = jv_object_iter(v); jv_object_iter_valid(v, i);
	    i = jv_object_iter_next(v, i)) {
		k = jv_object_iter_key(v, i);
		cvx_buf_reset(&f->tmp);
		fn(&f->tmp, (const unsigned char *)jv_string_value(k),
		    (size_t)jv_string_length_bytes(jv_copy(k)));
		jv_free(k);
		out = jv_object_set(out, jv_string_sized(f->tmp.p,
		    (int)f->tmp.len), jv_object_iter_value(v, i));
	}
	jv_free(v);
	return out;
}

/* The function a debug value names, or CFN_NONE (v is not consumed). */
static enum cfn
call_start(jv v)
{
	const char *s;
	size_t i, n;

	if (jv_get_kind(v) != JV_KIND_STRING ||
	    (n = (size_t)jv_string_length_bytes(jv_copy(v))) <= MARK_LEN ||
	    memcmp(s = jv_string_value(v), mark, MARK_LEN) != 0)
		return CFN_NONE;
	for (i = 1; i < sizeof(cfns) / sizeof(cfns[0]); i++)
		if (strlen(cfns[i].name) == n - MARK_LEN &&
		    memcmp(s + MARK_LEN, cfns[i].name, n - MARK_LEN) == 0)
			return (enum cfn)i;
	return CFN_NONE;
}

/* Take v (consumed) as the call's next argument; run it after the last. */
static void
call_arg(struct cfunc *f, jv v)
{
	f->args[f->nargs++] = v;
	if (f->nargs < cfns[f->fn].nargs)
		return;
	jv_free(f->result);
	switch (f->fn) {
	case CFN_ID:
		f->result = call_id(f, f->args[0], f->args[1]);
		break;
	case CFN_TABLE_NUMBER:
		f->result = call_table_number(f->args[0]);
		break;
	case CFN_SNAKE:
		f->result = call_rename(f, snake, "cvx_snake", f->args[0]);
		break;
	case CFN_SNAKE_KEYS:
		f->result = call_rename_keys(f, snake, "cvx_snake_keys",
		    f->args[0]);
		break;
	case CFN_CAMEL:
		f->result = call_rename(f, camel, "cvx_camel", f->args[0]);
		break;
	case CFN_CAMEL_KEYS:
		f->result = call_rename_keys(f, camel, "cvx_camel_keys",
		    f->args[0]);
		break;
	default:
		f->result = call_b64(f, f->args[0]);
		break;
	}
	f->fn = CFN_NONE;
	f->nargs = 0;
}

/* jq's `debug`: a library call, or ["DEBUG:",value] as jq(1) prints it. */
static void
debug_cb(void *data, jv value)
{
	struct cfunc *f = data;
	jv s;

	if (f->fn != CFN_NONE) {
		call_arg(f, value);
		return;
	}
	if ((f->fn = call_start(value)) != CFN_NONE) {
		jv_free(value);
		return;
	}
	s = jv_dump_string(JV_ARRAY(jv_string("DEBUG:"), value), 0);
	fprintf(stderr, "%s\n", jv_string_value(s));
	jv_free(s);
}

/* jq's `input`: the kept result, once; else no more inputs. */
static jv
input_cb(struct jq_state *jq, void *data)
{
	struct cfunc *f = data;
	jv r = f->result;

	(void)jq;
	f->result = jv_invalid();
	return r;
}

void
cfunc_install(struct jq_state *jq)
{
	struct cfunc *f = cvx_calloc(1, sizeof(*f));

	/* The first call is the main thread's (workers_new), before any
	 * worker starts: no race on sha256. */
	if (sha256 == NULL &&
	    (sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		cvx_die("OpenSSL: no SHA-256");
	if ((f->sha = EVP_MD_CTX_new()) == NULL)
		cvx_die("OpenSSL: out of memory");
	f->result = jv_invalid();
	jq_set_debug_cb(jq, debug_cb, f);
	jq_set_input_cb(jq, input_cb, f);
}

void
cfunc_free(struct jq_state *jq)
{
	struct cfunc *f;
	jq_msg_cb cb;
	void *data;

	jq_get_debug_cb(jq, &cb, &data);
	if (cb != debug_cb || (f = data) == NULL)
		return;
	while (f->nargs > 0)
		jv_free(f->args[--f->nargs]);
	jv_free(f->result);
	cvx_buf_free(&f->tmp);
	EVP_MD_CTX_free(f->sha);
	free(f);
	jq_set_debug_cb(jq, NULL, NULL);
	jq_set_input_cb(jq, NULL, NULL);
}
