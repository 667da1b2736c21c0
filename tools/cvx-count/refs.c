/* SPDX-License-Identifier: MIT */
/*
 * refs.c: --refs, the references between the documents of a stream.  A
 * top-level field (other than _id) whose value is a Convex ID, or an
 * array of them, refers to the document of that ID; the ID names its
 * table by number (convex-export-format.md §6), and the tables' numbers
 * are read from the documents' own _id.  For each table, field and
 * table pointed to: how many references, and how many point to no
 * document of the stream (dangling), which makes the exit status 1.
 */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx-count.h"

/* A document's key: its table number and internal id (20 bytes). */
struct ref_key {
	uint32_t table;
	uint8_t	 internal[CVX_ID_INTERNAL_LEN];
};

/* One row of the result: (table, field) -> target table number. */
struct ref_group {
	char	*table;		/* the identity of the referring table */
	char	*field;		/* the raw field name */
	uint32_t target;
	uint64_t refs, dangling;
};

/* What the pass over the stream collects. */
struct refs {
	struct ref_key *set;		/* the _id of every document */
	size_t	 setcap, setlen;
	struct ref_group *groups;
	size_t	 ngroups;
	struct { size_t group; struct ref_key k; } *list;	/* every ref */
	size_t	 nlist, caplist;
	struct { uint32_t num; char *name; } *names;	/* number -> table */
	size_t	 nnames;
	/* The document being read. */
	struct cvx_tag tag;
	const char *id;
	size_t	 idlen;
	struct cvx_buf table;
	struct { const char *key, *val; size_t klen, vlen; } *cand;
	size_t	 ncand, capcand;
};

static uint64_t
key_hash(const struct ref_key *k)
{
	uint64_t h;

	/* The internal id is random or a SHA-256 prefix: its bytes hash. */
	memcpy(&h, k->internal, sizeof(h));
	return (h ^ k->table) * 0x9E3779B97F4A7C15ULL;
}

static bool
key_eq(const struct ref_key *a, const struct ref_key *b)
{
	return a->table == b->table &&
	    memcmp(a->internal, b->internal, CVX_ID_INTERNAL_LEN) == 0;
}

/* The slot of k in the set: where it is, or the empty one to fill. */
static struct ref_key *
set_slot(struct refs *r, const struct ref_key *k)
{
	size_t i = (size_t)key_hash(k) & (r->setcap - 1);

	/* table 0 is no table number (cvx_id_decode refuses it): empty. */
	while (r->set[i].table != 0 && !key_eq(&r->set[i], k))
		i = (i + 1) & (r->setcap - 1);
	return &r->set[i];
}

static void
set_add(struct refs *r, const struct ref_key *k)
{
	struct ref_key *old = r->set, *s;
	size_t oldcap = r->setcap, i;

	if (2 * (r->setlen + 1) > r->setcap) {
		r->setcap = r->setcap ? 2 * r->setcap : 1024;
		r->set = cvx_calloc(r->setcap, sizeof(*r->set));
		r->setlen = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i].table != 0) {
				*set_slot(r, &old[i]) = old[i];
				r->setlen++;
			}
		free(old);
	}
	if ((s = set_slot(r, k))->table == 0) {
		*s = *k;
		r->setlen++;
	}
}

/* Decode the JSON string value v[0..n) as an ID; false if it is none. */
static bool
id_of(const char *v, size_t n, struct ref_key *k)
{
	const char *why;

	/* IDs are 31 to 37 plain characters: no escape can be one. */
	if (n < 33 || n > CVX_ID_MAX + 2 || v[0] != '"' ||
	    memchr(v + 1, '\\', n - 2) != NULL)
		return false;
	return cvx_id_decode(v + 1, n - 2, &k->table, k->internal, &why) == 0;
}

/* The group of (current table, field, target), created if new. */
static size_t
group_of(struct refs *r, const char *field, size_t flen, uint32_t target)
{
	struct ref_group *g;
	size_t i;

	/* A stream has few of them: a linear search is enough. */
	for (i = r->ngroups; i-- > 0;) {
		g = &r->groups[i];
		if (g->target == target && strlen(g->field) == flen &&
		    memcmp(g->field, field, flen) == 0 &&
		    strcmp(g->table, r->table.p) == 0)
			return i;
	}
	r->groups = cvx_reallocarray(r->groups, r->ngroups + 1,
	    sizeof(*r->groups));
	g = &r->groups[r->ngroups];
	memset(g, 0, sizeof(*g));
	g->table = cvx_strdup(r->table.p);
	g->field = cvx_memdup(field, flen + 1);
	g->field[flen] = '\0';
	g->target = target;
	return r->ngroups++;
}

static void
ref_add(struct refs *r, const char *field, size_t flen,
    const struct ref_key *k)
{
	size_t g = group_of(r, field, flen, k->table);

	r->groups[g].refs++;
	if (r->nlist == r->caplist) {
		r->caplist = r->caplist ? 2 * r->caplist : 1024;
		r->list = cvx_reallocarray(r->list, r->caplist,
		    sizeof(*r->list));
	}
	r->list[r->nlist].group = g;
	r->list[r->nlist++].k = *k;
}

/* cvx_json_scan_object callback: note the tag, _id and other members. */
static int
member(void *ctx, const char *key, size_t klen, const char *val, size_t vlen)
{
	struct refs *r = ctx;

	if (cvx_tag_take(&r->tag, key, klen, val, vlen))
		return 0;
	if (klen == 3 && memcmp(key, "_id", 3) == 0) {
		r->id = val;
		r->idlen = vlen;
		return 0;
	}
	if (*val != '"' && *val != '[')
		return 0;
	if (r->ncand == r->capcand) {
		r->capcand = r->capcand ? 2 * r->capcand : 32;
		r->cand = cvx_reallocarray(r->cand, r->capcand,
		    sizeof(*r->cand));
	}
	r->cand[r->ncand].key = key;
	r->cand[r->ncand].klen = klen;
	r->cand[r->ncand].val = val;
	r->cand[r->ncand++].vlen = vlen;
	return 0;
}

/* Record the table name of number num, from a document's _id. */
static void
name_table(struct refs *r, uint32_t num)
{
	size_t i;

	for (i = 0; i < r->nnames; i++)
		if (r->names[i].num == num)
			return;
	r->names = cvx_reallocarray(r->names, r->nnames + 1,
	    sizeof(*r->names));
	r->names[r->nnames].num = num;
	r->names[r->nnames++].name = cvx_strdup(r->table.p);
}

/* One document line: its _id into the set, its references into the list. */
static void
refs_line(struct refs *r, const char *line, size_t len, const char *in,
    uint64_t lineno)
{
	struct cvx_json_error e;
	struct ref_key k;
	const char *why, *at, *p, *end, *q;
	size_t i;

	memset(&r->tag, 0, sizeof(r->tag));
	r->id = NULL;
	r->ncand = 0;
	if (cvx_json_scan_object(line, len, member, r, &e) != 0)
		cvx_die("%s: line %ju, column %zu: %s", in, (uintmax_t)lineno,
		    e.offset + 1, e.msg);
	switch (cvx_tag_identity(&r->tag, &r->table, &why, &at)) {
	case 0:
		cvx_buf_reset(&r->table);
		cvx_buf_adds(&r->table, "-");
		break;
	case -1:
		cvx_die("%s: line %ju: %s", in, (uintmax_t)lineno, why);
	}
	if (r->id != NULL && id_of(r->id, r->idlen, &k)) {
		set_add(r, &k);
		name_table(r, k.table);
	}
	for (i = 0; i < r->ncand; i++) {
		p = r->cand[i].val;
		end = p + r->cand[i].vlen;
		if (*p == '"') {
			if (id_of(p, r->cand[i].vlen, &k))
				ref_add(r, r->cand[i].key, r->cand[i].klen, &k);
			continue;
		}
		/* An array of IDs: each string element that is one. */
		for (p++; p < end; p = q) {
			while (p < end && (*p == ' ' || *p == ',' ||
			    *p == '\n' || *p == '\t' || *p == '\r'))
				p++;
			if (p >= end || *p == ']')
				break;
			if ((q = cvx_json_skip(line, p, end, &e)) == NULL)
				break;
			if (*p == '"' && id_of(p, (size_t)(q - p), &k))
				ref_add(r, r->cand[i].key, r->cand[i].klen, &k);
		}
	}
}

static int
group_cmp(const void *a, const void *b)
{
	const struct ref_group *x = a, *y = b;
	int c;

	if ((c = strcmp(x->table, y->table)) != 0)
		return c;
	if ((c = strcmp(x->field, y->field)) != 0)
		return c;
	return x->target < y->target ? -1 : x->target > y->target;
}

/* The name of table number num, or "#num" if no document has it. */
static const char *
target_name(const struct refs *r, uint32_t num, char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < r->nnames; i++)
		if (r->names[i].num == num)
			return r->names[i].name;
	(void)snprintf(buf, n, "#%u", num);
	return buf;
}

int
count_refs(const char *path)
{
	struct refs r;
	struct cvx_lines in;
	const char *line, *name = cvx_input_name(path), *to;
	char buf[16];
	size_t len, i;
	bool nl;
	int fd, rc, rval = 0;

	memset(&r, 0, sizeof(r));
	if ((fd = cvx_open_input(path)) < 0)
		cvx_die("%s: %s", name, strerror(errno));
	cvx_lines_init(&in, fd, name);
	while ((rc = cvx_lines_next(&in, &line, &len, &nl)) == 1) {
		if (cvx_is_abort(line, len, NULL))
			cvx_abort_relay(name, in.lineno, line, len);
		refs_line(&r, line, len, name, in.lineno);
	}
	if (rc < 0)
		cvx_die("%s: %s", name, strerror(errno));
	for (i = 0; i < r.nlist; i++)
		if (r.setcap == 0 || set_slot(&r, &r.list[i].k)->table == 0)
			r.groups[r.list[i].group].dangling++;
	if (r.ngroups > 0)
		qsort(r.groups, r.ngroups, sizeof(*r.groups), group_cmp);
	for (i = 0; i < r.ngroups; i++) {
		to = target_name(&r, r.groups[i].target, buf, sizeof(buf));
		printf("%s\t%s\t%s\t%ju\t%ju\n", r.groups[i].table,
		    r.groups[i].field, to, (uintmax_t)r.groups[i].refs,
		    (uintmax_t)r.groups[i].dangling);
		if (r.groups[i].dangling > 0) {
			warnx("%s: %s: %ju of %ju references to %s point to no"
			    " document", r.groups[i].table, r.groups[i].field,
			    (uintmax_t)r.groups[i].dangling,
			    (uintmax_t)r.groups[i].refs, to);
			rval = 1;
		}
	}
	for (i = 0; i < r.ngroups; i++) {
		free(r.groups[i].table);
		free(r.groups[i].field);
	}
	for (i = 0; i < r.nnames; i++)
		free(r.names[i].name);
	free(r.groups);
	free(r.names);
	free(r.list);
	free(r.set);
	free(r.cand);
	cvx_buf_free(&r.table);
	cvx_lines_free(&in);
	if (fd != 0)
		(void)close(fd);
	return rval;
}
