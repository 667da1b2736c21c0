/* SPDX-License-Identifier: MIT */
/*
 * jqtext.c: the text side of cvx-jsonl-map, with no libjq calls: the
 * built-in Convex library, where it goes in a program, jq's messages made
 * into one stderr line, strings escaped as jq prints them, and UTF-8
 * cleaned for the errors file.
 */
#define _GNU_SOURCE		/* memmem */
#include <string.h>

#include "cvx-jsonl-map.h"

/*
 * The built-in library, put in front of the program after its
 * module/import/include directives.  It is one line, so the line numbers
 * in jq's messages stay the user's; it is cut out of those messages.
 * Documented in cvx-jsonl-map(1); rules from convex-export-format.md §3.1
 * (value encodings) and §6 (ids).
 */
static const char library[] =
"def cvx_todate: if type != \"number\" then error(\"cvx_todate: not a "
"number: \\(tojson)\") else floor as $ms | ($ms - 1000 * (($ms / 1000) | "
"floor)) as $r | ((($ms - $r) / 1000) | todate | rtrimstr(\"Z\")) + \".\" "
"+ (\"00\\($r)\" | .[-3:]) + \"Z\" end; "
"def cvx_snake: . as $x | \"\\u0000cvx:snake\" | debug | $x | debug | "
"input; "
"def cvx_snake_keys: . as $x | \"\\u0000cvx:snake_keys\" | debug | $x | debug | "
"input; "
"def cvx_camel: . as $x | \"\\u0000cvx:camel\" | debug | $x | debug | "
"input; "
"def cvx_camel_keys: . as $x | \"\\u0000cvx:camel_keys\" | debug | $x | debug | "
"input; "
"def _cvx_b64: . as $x | \"\\u0000cvx:b64\" | debug | $x | debug | "
"input; "
"def cvx_table_number: . as $x | \"\\u0000cvx:table_number\" | debug | $x | debug | "
"input; "
"def cvx_id($t; $k): \"\\u0000cvx:id\" | debug | $t | debug | $k | debug "
"| input; "
"def cvx_float: if type == \"number\" or . == \"NaN\" or . == \"Infinity\" "
"or . == \"-Infinity\" then . elif type == \"object\" and keys == "
"[\"$float\"] and (.[\"$float\"] | type) == \"string\" then "
"(.[\"$float\"] | _cvx_b64) as $b | if ($b | length) != 8 then "
"error(\"cvx_float: $float is not 8 bytes: \\(tojson)\") else . end | "
"((($b[7] % 128) * 16) + (($b[6] / 16) | floor)) as $e | (($b[0:6] | add) "
"+ ($b[6] % 16)) as $m | if $e == 2047 and $m != 0 then \"NaN\" elif $e == "
"2047 then (if $b[7] >= 128 then \"-Infinity\" else \"Infinity\" end) elif "
"$e == 0 and $m == 0 then (if $b[7] >= 128 then -0 else 0 end) else "
"error(\"cvx_float: $float holds a finite number: \\(tojson)\") end else "
"error(\"cvx_float: not a Convex float64: \\(tojson)\") end; "
"def cvx_int64: if type == \"number\" and . == floor then . elif type == "
"\"string\" and (ltrimstr(\"-\") | length > 0 and (explode | all(. >= 48 "
"and . <= 57))) then (ltrimstr(\"-\") | sub(\"^0+(?=.)\"; \"\")) as $d | "
"if ($d | length) < 16 or (($d | length) == 16 and $d <= "
"\"9007199254740992\") then tonumber else . end else error(\"cvx_int64: "
"not a Convex int64: \\(tojson)\") end; "
"def cvx_bytes: if type == \"string\" then . elif type == \"object\" and "
"keys == [\"$bytes\"] and (.[\"$bytes\"] | type) == \"string\" then "
".[\"$bytes\"] else error(\"cvx_bytes: not Convex bytes: \\(tojson)\") "
"end; ";

/*
 * Where the built-in library goes: after the leading module, import and
 * include directives (jq's grammar wants them first), skipping comments
 * and the strings inside a directive.
 */
static size_t
directives_end(const char *s)
{
	static const char *const words[] = { "module", "import", "include" };
	const char *p = s;
	size_t i, n;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '#') {
			if (*p == '#')
				p += strcspn(p, "\n");
			else
				p++;
		}
		for (i = 0; i < 3; i++) {
			n = strlen(words[i]);
			if (strncmp(p, words[i], n) == 0 &&
			    !(p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') ||
			    (p[n] >= 'A' && p[n] <= 'Z') ||
			    (p[n] >= '0' && p[n] <= '9')))
				break;
		}
		if (i == 3)
			return (size_t)(p - s);
		for (p += n; *p != '\0' && *p != ';'; p++) {
			if (*p == '#')
				p += strcspn(p, "\n") - 1;
			else if (*p == '"')
				for (p++; *p != '\0' && *p != '"'; p++)
					if (*p == '\\' && p[1] != '\0')
						p++;
			if (*p == '\0')
				break;
		}
		if (*p == '\0')
			return (size_t)(p - s);
		p++;
	}
}

void
cvx_jq_program(struct cvx_buf *out, const char *prog)
{
	size_t at = directives_end(prog);

	cvx_buf_add(out, prog, at);
	cvx_buf_adds(out, library);
	cvx_buf_adds(out, prog + at);
}

void
cvx_jq_message(struct cvx_buf *b, const char *s, size_t n, size_t max)
{
	size_t start = b->len, i, lib = sizeof(library) - 1;
	char *hit;

	cvx_buf_add(b, s, n);
	while ((hit = memmem(b->p + start, b->len - start, library, lib))) {
		memmove(hit, hit + lib, b->len - (size_t)(hit - b->p) - lib);
		b->len -= lib;
	}
	for (i = start; i < b->len; i++)
		if ((unsigned char)b->p[i] < 0x20 || b->p[i] == 0x7f)
			b->p[i] = ' ';
	while (b->len > start && b->p[b->len - 1] == ' ')
		b->len--;
	if (b->len - start > max) {
		/* Cut on a UTF-8 character boundary. */
		b->len = start + max;
		while (b->len > start &&
		    ((unsigned char)b->p[b->len] & 0xC0) == 0x80)
			b->len--;
		cvx_buf_adds(b, "...");
	}
	b->p[b->len] = '\0';
}


void
cvx_jq_quote(struct cvx_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i, run = 0;
	char e[6];

	cvx_buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		cvx_buf_add(b, s + run, i - run);
		run = i + 1;
		e[0] = '\\';
		switch (c) {
		case '"': case '\\': e[1] = (char)c; break;
		case '\b': e[1] = 'b'; break;
		case '\t': e[1] = 't'; break;
		case '\n': e[1] = 'n'; break;
		case '\f': e[1] = 'f'; break;
		case '\r': e[1] = 'r'; break;
		default:
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			cvx_buf_add(b, e, 6);
			continue;
		}
		cvx_buf_add(b, e, 2);
	}
	cvx_buf_add(b, s + run, n - run);
	cvx_buf_addc(b, '"');
}

void
cvx_utf8_clean(struct cvx_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, len;
	unsigned char lo, hi;

	while (i < n) {
		len = p[i] < 0x80 ? 1 : p[i] >= 0xC2 && p[i] <= 0xDF ? 2 :
		    p[i] >= 0xE0 && p[i] <= 0xEF ? 3 :
		    p[i] >= 0xF0 && p[i] <= 0xF4 ? 4 : 0;
		lo = p[i] == 0xE0 ? 0xA0 : p[i] == 0xF0 ? 0x90 : 0x80;
		hi = p[i] == 0xED ? 0x9F : p[i] == 0xF4 ? 0x8F : 0xBF;
		for (k = 1; len > 1 && k < len; k++)
			if (i + k >= n || p[i + k] < (k == 1 ? lo : 0x80) ||
			    p[i + k] > (k == 1 ? hi : 0xBF))
				len = 0;
		if (len == 0) {
			cvx_buf_adds(b, "\xEF\xBF\xBD");
			i++;
		} else {
			cvx_buf_add(b, s + i, len);
			i += len;
		}
	}
}
