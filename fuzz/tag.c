/* SPDX-License-Identifier: MIT */
/*
 * tag: the one reading of the tag, `_table` and `_component` (stream.c:
 * cvx_tag_scan, cvx_tag_identity; cvx-pg-load's cvx_doc_parse and
 * cvx_doc_route), and its writing (cvx_tag_build, cvx_out_tagged).
 *
 * Invariants, on any line:
 * - cvx_tag_scan checks the line exactly as cvx_json_scan_object does;
 * - the identity (or the refusal) is what a second reading gives: every
 *   key decoded in full and compared with `_table` / `_component`, the
 *   values decoded by ref.c and held to the rules of cvx.h (strings, 1 to
 *   255 bytes for `_table`, at most 255 for `_component`, no control
 *   character, each given once, no `_component` alone);
 * - cvx-pg-load's route agrees with it, and its tag test marks the same
 *   members;
 * - a tag built from an identity reads back as that identity; a line
 *   tagged by cvx_out_tagged is one object whose identity is the tag's and
 *   whose other members are the line's, byte for byte; tagging a line that
 *   has a tag makes it "given twice".
 */
#include <fcntl.h>
#include <string.h>

#if __has_include("cvx-pg-load.h")
#include "cvx-pg-load.h"
#endif
#include "fuzz.h"

/* The tag as the second reading finds it. */
struct rtag {
	const char *base;
	const char *tv, *cv;		/* last values */
	size_t	 tl, cl;
	int	 nt, nc;		/* how many times each */
	size_t	 n;			/* members */
	size_t	 first_other;		/* first member not a tag */
	size_t	 val[64], vlen[64], key[64], klen[64];
	bool	 is_tag[64];
};

/* 1 for _table, 2 for _component, 0 else: the key decoded in full. */
static int
ref_tag_key(const char *key, size_t klen)
{
	struct cvx_buf d = {0};
	int r = 0;

	ref_unescape(key, klen, &d);
	if (mem_eq(d.p, d.len, "_table", 6))
		r = 1;
	else if (mem_eq(d.p, d.len, "_component", 10))
		r = 2;
	cvx_buf_free(&d);
	return r;
}

static int
ref_member(void *ctx, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	struct rtag *t = ctx;
	int k = ref_tag_key(key, klen);

	if (k == 1) {
		t->tv = val;
		t->tl = vlen;
		t->nt++;
	} else if (k == 2) {
		t->cv = val;
		t->cl = vlen;
		t->nc++;
	} else if (t->first_other == SIZE_MAX)
		t->first_other = t->n;
	if (t->n < 64) {
		t->key[t->n] = (size_t)(key - t->base);
		t->klen[t->n] = klen;
		t->val[t->n] = (size_t)(val - t->base);
		t->vlen[t->n] = vlen;
		t->is_tag[t->n] = k != 0;
	}
	t->n++;
	return 0;
}

/* Scan line s with the second reading; -1 if it is no object line. */
static int
ref_scan(const char *s, size_t n, struct rtag *t)
{
	memset(t, 0, sizeof(*t));
	t->base = s;
	t->first_other = SIZE_MAX;
	return cvx_json_scan_object(s, n, ref_member, t, NULL);
}

/* Decode a tag value; NULL, or what is wrong with it. */
static const char *
ref_name(const char *v, size_t n, bool table, struct cvx_buf *out)
{
	size_t i;

	if (v[0] != '"')
		return "not a string";
	ref_unescape(v + 1, n - 2, out);
	if (table && out->len == 0)
		return "empty";
	if (out->len > CVX_TAG_MAX)
		return "too long";
	for (i = 0; i < out->len; i++)
		if ((unsigned char)out->p[i] < 0x20 || out->p[i] == 0x7f)
			return "control character";
	return NULL;
}

/*
 * The identity by the second reading: 1 with id (and the decoded table
 * and component), 0 for no tag, -1 for a bad tag.
 */
static int
ref_identity(const struct rtag *t, struct cvx_buf *id, struct cvx_buf *tab,
    struct cvx_buf *comp)
{
	if (t->nt == 0 && t->nc == 0)
		return 0;
	if (t->nt > 1 || t->nc > 1 || t->nt == 0)
		return -1;
	if (t->nc == 1 && ref_name(t->cv, t->cl, false, comp) != NULL)
		return -1;
	if (ref_name(t->tv, t->tl, true, tab) != NULL)
		return -1;
	if (comp->len > 0) {
		cvx_buf_add(id, comp->p, comp->len);
		cvx_buf_addc(id, ':');
	}
	cvx_buf_add(id, tab->p, tab->len);
	return 1;
}

/* Where cvx_out_tagged writes: read back from its buffer. */
static struct cvx_out out;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cvx_out_init(&out, open("/dev/null", O_WRONLY | O_CLOEXEC),
	    "/dev/null");
	return 0;
}

/* Identity of line s through the code under test; id filled. */
static int
identity(const char *s, size_t n, struct cvx_buf *id)
{
	struct cvx_tag t;
	const char *why, *at;

	if (cvx_tag_scan(s, n, &t, NULL) != 0)
		return -2;
	return cvx_tag_identity(&t, id, &why, &at);
}

/* Tag the tagless line s as table/comp and read it back. */
static void
retag(const char *s, size_t n, const struct rtag *rt, const char *table,
    const char *comp, bool had_tag)
{
	struct cvx_buf tag = {0}, id = {0}, want = {0};
	struct rtag t2;
	size_t i, skip;
	int r;

	cvx_tag_build(&tag, table, comp);
	out.len = 0;
	cvx_out_tagged(&out, &tag, s, n);
	CHECK(out.len > 0 && out.buf[out.len - 1] == '\n', "no line");
	r = identity(out.buf, out.len - 1, &id);
	if (had_tag) {
		CHECK(r == -1, "a tagged line tagged again reads %d", r);
		goto done;
	}
	if (comp != NULL && *comp != '\0')
		cvx_buf_printf(&want, "%s:", comp);
	cvx_buf_adds(&want, table);
	if (r != 1 || !mem_eq(id.p, id.len, want.p, want.len)) {
		fuzz_show("tagged line", out.buf, out.len);
		CHECK(false, "tagged as %s, reads %d", want.p, r);
	}
	CHECK(ref_scan(out.buf, out.len - 1, &t2) == 0, "rescan");
	skip = comp != NULL && *comp != '\0' ? 2 : 1;
	CHECK(t2.n == rt->n + skip, "members %zu, were %zu", t2.n, rt->n);
	for (i = 0; i < rt->n && i + skip < 64; i++)
		CHECK(mem_eq(out.buf + t2.key[i + skip], t2.klen[i + skip],
		    s + rt->key[i], rt->klen[i]) &&
		    mem_eq(out.buf + t2.val[i + skip], t2.vlen[i + skip],
		    s + rt->val[i], rt->vlen[i]), "member %zu changed", i);
done:
	out.len = 0;
	cvx_buf_free(&tag);
	cvx_buf_free(&id);
	cvx_buf_free(&want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct cvx_buf id = {0}, rid = {0}, tab = {0}, comp = {0};
	struct cvx_buf route = {0}, name = {0};
	struct cvx_doc d = {0};
	struct cvx_tag t;
	struct rtag rt;
	const char *why = NULL, *at = NULL;
	int r, rr, rs;
	size_t i;

	rs = cvx_json_scan_object(s, size, NULL, NULL, NULL);
	r = cvx_tag_scan(s, size, &t, NULL);
	CHECK(r == rs, "cvx_tag_scan %d, cvx_json_scan_object %d", r, rs);
	if (r != 0)
		return 0;
	CHECK(ref_scan(s, size, &rt) == 0, "second scan");
	r = cvx_tag_identity(&t, &id, &why, &at);
	rr = ref_identity(&rt, &rid, &tab, &comp);
	if (r != rr || (r == 1 && !mem_eq(id.p, id.len, rid.p, rid.len))) {
		fuzz_show("cvx identity", id.p, id.len);
		fuzz_show("reference", rid.p, rid.len);
		CHECK(false, "cvx_tag_identity %d (%s), reference %d", r,
		    why ? why : "", rr);
	}
	if (r < 0)
		CHECK(why != NULL, "a refusal without a reason");
	if (at != NULL)
		CHECK(at >= s && at < s + size, "at points outside the line");

	/* cvx-pg-load's reading: the same members, the same identity. */
	CHECK(cvx_doc_parse(&d, s, size, NULL) == 0 && d.n == rt.n,
	    "cvx_doc_parse");
	for (i = 0; i < d.n && i < 64; i++)
		CHECK(cvx_member_is_tag(&d.m[i]) == rt.is_tag[i],
		    "member %zu: cvx_member_is_tag disagrees", i);
	r = cvx_doc_route(&d, &route, &why);
	CHECK(r == rr && (r != 1 || mem_eq(route.p, route.len, rid.p,
	    rid.len)), "cvx_doc_route %d, reference %d", r, rr);

	/* Writing: the identity read back through a tag built from it. */
	if (rr == 1) {
		cvx_buf_reset(&name);
		cvx_buf_adds(&name, "{");
		{
			struct cvx_buf tg = {0};

			cvx_tag_build(&tg, tab.p, comp.len ? comp.p : NULL);
			cvx_buf_add(&name, tg.p, tg.len - 1);
			cvx_buf_free(&tg);
		}
		cvx_buf_addc(&name, '}');
		cvx_buf_reset(&route);
		CHECK(identity(name.p, name.len, &route) == 1 &&
		    mem_eq(route.p, route.len, rid.p, rid.len),
		    "a built tag does not read back");
		retag(s, size, &rt, "t", NULL, true);
	} else if (rr == 0) {
		/* A name from the line itself when there is a usable one. */
		cvx_buf_reset(&name);
		if (rt.n > 0 && s[rt.val[0]] == '"' && ref_name(s + rt.val[0],
		    rt.vlen[0], true, &name) == NULL &&
		    ref_utf8(name.p, name.len))
			retag(s, size, &rt, name.p, size % 2 ? "a/b" : "",
			    false);
		else
			retag(s, size, &rt, "t", "c", false);
	}
	free(d.m);
	cvx_buf_free(&id);
	cvx_buf_free(&rid);
	cvx_buf_free(&tab);
	cvx_buf_free(&comp);
	cvx_buf_free(&route);
	cvx_buf_free(&name);
	return 0;
}
