/* SPDX-License-Identifier: MIT */
/*
 * binary.c: JSON values to PostgreSQL COPY binary fields, for the column
 * types whose binary form is simple and whose text input costs the
 * server most (numbers, timestamps, jsonb) or the client (bytea as hex).
 *
 * COPY binary format: PostgreSQL documentation, COPY, "Binary Format";
 * each type's form is its send/recv pair (src/backend/utils/adt:
 * int.c, int8.c, float.c, bool.c, varlena.c, json.c, jsonb.c,
 * timestamp.c, date.c).  The rule is cvx_copy_value's, value for value:
 * whatever its text would make of a value, the bytes here store the
 * same.  A value that only a type's input function can judge (a string
 * in an integer column, a number out of range) has no binary form here,
 * and its table goes on in COPY text, where the server decides as before.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvx-pg-load.h"

/* 2000-01-01 00:00 UTC, PostgreSQL's epoch, in Unix microseconds. */
#define PG_EPOCH_US	946684800000000LL
#define DAY_US		86400000000LL
/* 4713-01-01 BC: where cvx_format_time stops, and so must this. */
#define MIN_US		(-210863520000000000LL)

size_t
cvx_copy_binary_open(struct cvx_buf *out)
{
	size_t at = out->len;

	cvx_buf_grow(out, 4);
	out->len += 4;
	return at;
}

static void
put_be32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
}

static void
add_be(struct cvx_buf *out, uint64_t v, int bytes)
{
	char b[8];
	int i;

	for (i = 0; i < bytes; i++)
		b[i] = (char)(v >> (8 * (bytes - 1 - i)));
	cvx_buf_add(out, b, (size_t)bytes);
}

void
cvx_copy_binary_close(struct cvx_buf *out, size_t at)
{
	put_be32(out->p + at, (uint32_t)(out->len - at - 4));
}

static int
field_close(struct cvx_buf *out, size_t at)
{
	cvx_copy_binary_close(out, at);
	return 0;
}

/* Take the field opened at at back: nothing appended; 1. */
static int
field_drop(struct cvx_buf *out, size_t at)
{
	out->len = at;
	out->p[at] = '\0';
	return 1;
}

void
cvx_copy_binary_int8(struct cvx_buf *out, int64_t v)
{
	add_be(out, 8, 4);
	add_be(out, (uint64_t)v, 8);
}

void
cvx_copy_binary_count(struct cvx_buf *out, size_t nfields)
{
	add_be(out, nfields, 2);
}

enum cvx_pgbin
cvx_pgbin_of(const char *typname)
{
	static const struct {
		const char *name;
		enum cvx_pgbin bin;
	} names[] = {
		{ "text", CVX_BIN_TEXT }, { "varchar", CVX_BIN_TEXT },
		{ "bpchar", CVX_BIN_TEXT }, { "int2", CVX_BIN_INT2 },
		{ "int4", CVX_BIN_INT4 }, { "int8", CVX_BIN_INT8 },
		{ "float4", CVX_BIN_FLOAT4 }, { "float8", CVX_BIN_FLOAT8 },
		{ "bool", CVX_BIN_BOOL }, { "bytea", CVX_BIN_BYTEA },
		{ "json", CVX_BIN_JSON }, { "jsonb", CVX_BIN_JSONB },
		{ "timestamp", CVX_BIN_TIMESTAMP },
		{ "timestamptz", CVX_BIN_TIMESTAMPTZ }, { "date", CVX_BIN_DATE },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(typname, names[i].name) == 0)
			return names[i].bin;
	return CVX_BIN_NONE;
}

/*
 * The JSON integer token tok[0..n) (no fraction, no exponent) as an
 * int64; false if it is longer than int64 holds.
 */
static bool
token_int64(const char *tok, size_t n, int64_t *v)
{
	const char *p = tok, *end = tok + n;
	uint64_t u = 0, lim;
	bool neg = p < end && *p == '-';

	p += neg;
	if (p == end)
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9' ||
		    u > (lim - (uint64_t)(*p - '0')) / 10)
			return false;
		u = u * 10 + (uint64_t)(*p - '0');
	}
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

/*
 * The integer a number token, {"$integer"} or a legacy int64 string of
 * digits stands for, as cvx_copy_value's text gives it to int2in, int4in
 * and int8in: false when that text would not be an integer (a fraction,
 * too many digits, spaces: the input function's to judge).
 */
static bool
integer_of(struct cvx_buf *tmp, const char *v, size_t n, int64_t *x)
{
	const char *s;
	size_t sn;
	uint64_t bits;

	if (*v == '{') {
		if (!cvx_convex_special(v, n, "$integer", &s, &sn) ||
		    cvx_base64_u64(s, sn, &bits) != 0)
			return false;
		*x = (int64_t)bits;
		return true;
	}
	if (*v == '"')
		return token_int64(v + 1, n - 2, x);
	if (*v != '-' && (*v < '0' || *v > '9'))
		return false;
	if (cvx_number_kind(v, n) == CVX_NUM_INT)
		return token_int64(v, n, x);
	/* "5.0", "1e3": the integer text cvx_copy_value sends instead. */
	cvx_buf_reset(tmp);
	return cvx_number_integer(tmp, v, n) == 0 &&
	    token_int64(tmp->p, tmp->len, x);
}

/* int2, int4, int8: big-endian two's complement (int2send...). */
static int
put_integer(struct cvx_buf *out, struct cvx_buf *tmp, enum cvx_pgbin bin,
    const char *v, size_t n)
{
	int64_t x;
	int bytes = bin == CVX_BIN_INT2 ? 2 : bin == CVX_BIN_INT4 ? 4 : 8;

	if (!integer_of(tmp, v, n, &x) ||
	    (bytes == 2 && (x < INT16_MIN || x > INT16_MAX)) ||
	    (bytes == 4 && (x < INT32_MIN || x > INT32_MAX)))
		return 1;
	add_be(out, (uint64_t)bytes, 4);
	add_be(out, (uint64_t)x, bytes);
	return 0;
}

/*
 * The text cvx_copy_value gives a float column for v, NUL-terminated in
 * tmp: the token, or the decimal of a $integer or a finite $float (%.17g
 * reads back exactly).  A $float NaN or infinity is *special instead.
 * False when there is no such text (the server's to judge).
 */
static bool
float_text(struct cvx_buf *tmp, const char *v, size_t n, double *special)
{
	const char *s;
	size_t sn;
	uint64_t bits;
	double x;

	cvx_buf_reset(tmp);
	*special = 0;
	/* The legacy strings of a float64's NaN and infinities (§3.1). */
	if (n == 5 && memcmp(v, "\"NaN\"", 5) == 0)
		*special = NAN;
	else if (n == 10 && memcmp(v, "\"Infinity\"", 10) == 0)
		*special = INFINITY;
	else if (n == 11 && memcmp(v, "\"-Infinity\"", 11) == 0)
		*special = -INFINITY;
	if (*special != 0 || isnan(*special))
		return true;
	if (*v == '-' || (*v >= '0' && *v <= '9')) {
		cvx_buf_add(tmp, v, n);
		return true;
	}
	if (*v != '{')
		return false;
	if (cvx_convex_special(v, n, "$float", &s, &sn)) {
		if (cvx_float_text(tmp, s, sn) != 0)
			return false;
		if (cvx_base64_u64(s, sn, &bits) != 0)
			return false;
		memcpy(&x, &bits, sizeof(x));
		if (isnan(x) || isinf(x))
			*special = x;
		return true;
	}
	return cvx_convex_special(v, n, "$integer", &s, &sn) &&
	    cvx_integer_text(tmp, s, sn) == 0;
}

/*
 * float4, float8: IEEE 754 bits, big-endian (float8send).  float8in and
 * float4in read their text with strtod and strtof and refuse a result
 * out of range (ERANGE at 0 or infinity); any ERANGE here, even for a
 * subnormal they accept, leaves the value to them.  NaN is stored as
 * their NaN, whatever the payload's bits.
 */
static int
put_float(struct cvx_buf *out, struct cvx_buf *tmp, enum cvx_pgbin bin,
    const char *v, size_t n)
{
	double d, special;
	float f;
	char *end;
	uint32_t u4;
	uint64_t u8;

	if (!float_text(tmp, v, n, &special))
		return 1;
	errno = 0;
	if (isnan(special)) {
		d = NAN;
		f = NAN;
	} else if (isinf(special)) {
		d = special;
		f = (float)special;
	} else if (bin == CVX_BIN_FLOAT8) {
		d = strtod(tmp->p, &end);
		f = 0;
	} else {
		f = strtof(tmp->p, &end);
		d = 0;
	}
	if (special == 0 && (errno != 0 || *end != '\0' || isinf(d) ||
	    isinf(f)))
		return 1;
	if (bin == CVX_BIN_FLOAT8) {
		memcpy(&u8, &d, 8);
		add_be(out, 8, 4);
		add_be(out, u8, 8);
	} else {
		memcpy(&u4, &f, 4);
		add_be(out, 4, 4);
		add_be(out, u4, 4);
	}
	return 0;
}

/* Read exactly k digits at *p (moving past them) into *v. */
static bool
digits(const char **p, const char *end, int k, int *v)
{
	*v = 0;
	if (end - *p < k)
		return false;
	for (; k > 0; k--, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t)era * 146097 + doe - 719468;
}

static bool
valid_date(int y, int m, int d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return y >= 1 && m >= 1 && m <= 12 && d >= 1 &&
	    d <= mdays[m - 1] + (m == 2 && leap);
}

/*
 * The string s[0..n) (no escapes) as the microseconds since 1970 that
 * timestamp_in (bin TIMESTAMP), timestamptz_in or date_in reads from it,
 * for the strict ISO 8601 forms alone: YYYY-MM-DD (date, timestamp), or
 * YYYY-MM-DD, T or space, HH:MM:SS, a fraction of 1 to 6 digits, then Z
 * or +HH, +HHMM, +HH:MM (timestamptz needs one; timestamp ignores it, and
 * date all but the date, as PostgreSQL does).  Year 1 to 9999, a real day, hour 0 to 23, second 0
 * to 59, zone hours up to 14.  Any other text (other forms, a zone name,
 * a session time zone to apply, a leap second) is the input function's
 * to read: false.
 */
static bool
iso_time(enum cvx_pgbin bin, const char *s, size_t n, int64_t *us)
{
	const char *p = s, *end = s + n;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, k, zh = 0, zm = 0;
	int64_t sign = 0;
	bool colon;

	if (!digits(&p, end, 4, &y) || p == end || *p++ != '-' ||
	    !digits(&p, end, 2, &mo) || p == end || *p++ != '-' ||
	    !digits(&p, end, 2, &d) || !valid_date(y, mo, d))
		return false;
	if (p == end) {
		if (bin == CVX_BIN_TIMESTAMPTZ)
			return false;	/* midnight in the session's zone */
		*us = days_from_civil(y, mo, d) * DAY_US;
		return true;
	}
	if ((*p != 'T' && *p != ' ') || (++p, !digits(&p, end, 2, &h)) ||
	    p == end || *p++ != ':' ||
	    !digits(&p, end, 2, &mi) || p == end || *p++ != ':' ||
	    !digits(&p, end, 2, &sec) || h > 23 || mi > 59 || sec > 59)
		return false;
	if (p < end && *p == '.') {
		for (p++, k = 0; p < end && *p >= '0' && *p <= '9'; p++, k++)
			if (k < 6)
				frac = frac * 10 + (*p - '0');
		if (k == 0 || k > 6)
			return false;	/* more digits round: leave it */
		for (; k < 6; k++)
			frac *= 10;
	}
	if (p < end && *p == 'Z') {
		p++;
		sign = 1;
	} else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p++ == '-' ? -1 : 1;
		if (!digits(&p, end, 2, &zh) || zh > 14)
			return false;
		colon = p < end && *p == ':';
		p += colon;
		if ((colon || p < end) && (!digits(&p, end, 2, &zm) ||
		    zm > 59))
			return false;
	}
	if (p != end || (sign == 0 && bin == CVX_BIN_TIMESTAMPTZ))
		return false;
	*us = days_from_civil(y, mo, d) * DAY_US;
	if (bin == CVX_BIN_DATE)
		return true;
	*us += ((int64_t)h * 3600 + mi * 60 + sec) * 1000000 + frac;
	if (bin == CVX_BIN_TIMESTAMPTZ)
		*us -= sign * ((int64_t)zh * 3600 + zm * 60) * 1000000;
	return true;
}

/*
 * timestamp, timestamptz: int64 microseconds since 2000-01-01; date:
 * int32 days since then (the UTC day).  Epoch milliseconds as for text:
 * the same conversion and the same limit, so the same errors.  A string
 * in a strict ISO 8601 form (iso_time) is read as the input function
 * reads it: runbooks often keep dates as such strings.
 */
static int
put_time(struct cvx_buf *out, enum cvx_pgbin bin, const char *v, size_t n,
    const char **why)
{
	int64_t us, days;

	if (*v == '"') {
		if (memchr(v, '\\', n) != NULL ||
		    !iso_time(bin, v + 1, n - 2, &us))
			return 1;
	} else if (*v != '-' && (*v < '0' || *v > '9'))
		return 1;
	else if (cvx_epoch_ms_to_us(v, n, &us) != 0 || us < MIN_US) {
		*why = "epoch milliseconds out of range";
		return -1;
	}
	if (bin != CVX_BIN_DATE) {
		cvx_copy_binary_int8(out, us - PG_EPOCH_US);
		return 0;
	}
	days = us / DAY_US - (us % DAY_US < 0);
	add_be(out, 4, 4);
	add_be(out, (uint64_t)(days - PG_EPOCH_US / DAY_US), 4);
	return 0;
}

/* A string's UTF-8 for text columns: its value, U+0000 as nul says. */
static int
put_text(struct cvx_buf *out, const char *v, size_t n,
    enum cvx_nul_policy nul)
{
	size_t at = cvx_copy_binary_open(out);

	if (*v == '"') {
		if (cvx_json_unescape(v + 1, n - 2, out, nul) != 0)
			return field_drop(out, at);
	} else if (*v == '{' || *v == '[') {
		if (cvx_json_text_nul(out, v, n, nul) != 0)
			return field_drop(out, at);
	} else
		cvx_buf_add(out, v, n);		/* a number, true, false */
	return field_close(out, at);
}

/* bytea: the bytes of {"$bytes"} or of a legacy base64 string. */
static int
put_bytea(struct cvx_buf *out, const char *v, size_t n, const char **why)
{
	size_t at = cvx_copy_binary_open(out), sn;
	const char *s;

	if (*v == '"') {
		if (cvx_base64_string(out, v + 1, n - 2) == 0)
			return field_close(out, at);
		*why = "invalid base64 for bytea";
	} else if (cvx_convex_special(v, n, "$bytes", &s, &sn)) {
		if (cvx_base64_decode(out, s, sn) == 0)
			return field_close(out, at);
		*why = "invalid base64 in $bytes";
	} else
		return field_drop(out, at);
	field_drop(out, at);
	return -1;
}

int
cvx_copy_binary_value(struct cvx_buf *out, struct cvx_buf *tmp,
    enum cvx_pgbin bin, const char *v, size_t n, enum cvx_nul_policy nul,
    const char **why)
{
	size_t at;

	*why = NULL;
	if (*v == 'n') {			/* null */
		add_be(out, 0xFFFFFFFFu, 4);
		return 0;
	}
	switch (bin) {
	case CVX_BIN_TEXT:
		return put_text(out, v, n, nul);
	case CVX_BIN_INT2: case CVX_BIN_INT4: case CVX_BIN_INT8:
		return put_integer(out, tmp, bin, v, n);
	case CVX_BIN_FLOAT4: case CVX_BIN_FLOAT8:
		return put_float(out, tmp, bin, v, n);
	case CVX_BIN_BOOL:
		if (*v != 't' && *v != 'f')
			return 1;
		add_be(out, 1, 4);
		cvx_buf_addc(out, *v == 't');
		return 0;
	case CVX_BIN_BYTEA:
		return put_bytea(out, v, n, why);
	case CVX_BIN_JSON: case CVX_BIN_JSONB:
		at = cvx_copy_binary_open(out);
		if (bin == CVX_BIN_JSONB)
			cvx_buf_addc(out, 1);	/* jsonb_recv's version */
		if (cvx_json_text_nul(out, v, n, nul) != 0)
			return field_drop(out, at);
		return field_close(out, at);
	case CVX_BIN_TIMESTAMP: case CVX_BIN_TIMESTAMPTZ: case CVX_BIN_DATE:
		return put_time(out, bin, v, n, why);
	case CVX_BIN_NONE:
		break;
	}
	return 1;
}
