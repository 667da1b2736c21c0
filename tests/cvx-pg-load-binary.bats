# cvx-pg-load: COPY binary (issue 19).  Tables whose columns all have a
# binary form load with COPY binary; the values stored must be the ones
# COPY text stores, bit for bit, which these tests compare row for row.

bats_require_minimum_version 1.5.0
load test_helper
load pg_helper

setup_file() { pg_start; }
teardown_file() { pg_stop; }
setup() {
	pg_newdb
	# The server's log is the file's: this test reads what follows.
	LOG_FROM=$(($(wc -c <"$PGDIR/server.log") + 1))
}

# The server's log of the statements that follow (the COPY statements
# say which format each COPY used).
LOG_ALL='-c log_statement=all'

# The COPY statements the server logged for the table named $1.
copies_of() {
	tail -c "+$LOG_FROM" "$PGDIR/server.log" |
	    grep -o "statement: COPY \"public\".\"$1\" .*FROM STDIN.*" || :
}

# Every row of table $1, ordered by column 1, as COPY binary: the exact
# bits of every value (-0.0, NaN, microseconds...).
bits() {
	sql -c "COPY (SELECT * FROM $1 ORDER BY 1) TO STDOUT WITH (FORMAT binary)" |
	    sha256sum
}

# Every table of schema $2 holds the bits of its namesake in schema $3
# (export $1, for the message).
same_tables() {
	local tab
	for tab in $(sql -c "SELECT quote_ident(relname) FROM pg_class c JOIN pg_namespace s ON s.oid = relnamespace WHERE nspname = '$2' AND relkind = 'r'"); do
		assert_equal "$1 $tab $(bits "$2.$tab")" "$1 $tab $(bits "$3.$tab")"
	done
}

# A table of every type with a binary form, and documents meant to reach
# every edge of their rules: integers at their limits, whole floats into
# integers, $integer and $float, floats that round, NaN and infinities,
# both bytes encodings, JSON with escapes, epoch milliseconds before 1970,
# before year 1 and with fractions below the microsecond, strings with
# every COPY text special character.  every_type NAME [fallback]: with
# fallback, timestamps also in forms only the input functions read.
every_type() {
	sql -c "CREATE TABLE $1 (id int PRIMARY KEY, i2 smallint, i4 int,
	    i8 bigint, f4 real, f8 float8, b bool, by bytea, j json,
	    jb jsonb, ts timestamp, tz timestamptz, d date, t text,
	    v varchar(40), c char(6))"
	python3 - "$@" <<'P'
import base64, json, struct, sys
tab = sys.argv[1]
f64 = lambda x: {"$float": base64.b64encode(struct.pack("<d", x)).decode()}
i64 = lambda x: {"$integer": base64.b64encode(struct.pack("<q", x)).decode()}
ints = [0, 1, -1, 32767, -32768, 5.0, -7.0e1, 1e2, 0.0, -0.0]
i4s = [2147483647, -2147483648, 123456, i64(-5), 2.5e3]
i8s = [9223372036854775807, -9223372036854775808, i64(2**63 - 1),
    i64(-2**63), 12.0, 1e18, "9223372036854775807", "-42", "007"]
f4s = [0.1, 3.4028234e38, 1.17549435e-38, -0.0, 16777217, f64(0.1),
    f64(float("nan")), f64(float("-inf")), i64(2**62 + 1), 1.5e-10, 7,
    "Infinity"]
f8s = [0.1, 1e300, -0.0, 2.2250738585072014e-308, 123456789012345678,
    f64(float("inf")), f64(-0.0), f64(1 / 3), i64(2**53 + 1), 1.7976931348623157e308,
    0.30000000000000004, 1e-7, "NaN", "-Infinity"]
byts = [{"$bytes": ""}, {"$bytes": "AA=="}, "/w==", {"$bytes": "3q2+7w=="},
    base64.b64encode(bytes(range(256))).decode()]
jsons = [{"a": [1, 2.50, "x\ty"], "b": None}, [], "str\\ing\n", 12.5e3, True,
    {"k": "\u00e9\u2603\U0001F600", "n": {"deep": [[{}]]}}, "back\\slash"]
ms = [0, 1, -1, 1700000000000.1234, 1700000000000.0005, 1700000000000.0015,
    -62135596800000, -62135596800001, -210863520000000, 253402300799999,
    1e12, -0.0004, 86399999.9999, -86400000, 1.5e15,
    "2024-02-29T12:34:56.789+01:00", "2024-02-29 12:34:56Z",
    "1999-12-31T23:59:59.999999-0530", "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999+14:00", "2000-03-01T00:00:00.5-00"]
if len(sys.argv) > 2:           # strings only the input function reads
    ms += ["2024-02-29", "1970-01-01T00:00:00+05:", "2024-01-01T24:00:00Z",
        "2024-01-01T10:00:00.1234567Z", "2024-01-01T10:00:00+15:00",
        "2024-01-01T10:00+01", "2024-1-01T10:00:00Z"]
texts = ["plain", "tab\there", "new\nline", "cr\rret", "back\\slash",
    "\\N", "", "\u00e9\u2603\U0001F600", 42, -1.5e3, True, {"o": [1, "\t"]},
    "q\"uote", "\u0001\u001f"]
vs = ["v", "12345678901234567890123456789012345678ab", "\\."]
cs = ["c", "abcdef", "ab ", "é"]
n = 0
for i in range(60):
    d = {"_table": tab, "id": i}
    cols = [("i2", ints), ("i4", i4s), ("i8", i8s), ("f4", f4s),
        ("f8", f8s), ("b", [True, False]), ("by", byts), ("j", jsons),
        ("jb", jsons), ("ts", ms), ("tz", ms), ("d", ms), ("t", texts),
        ("v", vs), ("c", cs)]
    for k, (name, vals) in enumerate(cols):
        j = i + k
        if j % 11 == 10:
            continue            # the key left out: NULL
        if j % 13 == 12:
            d[name] = None
            continue
        d[name] = vals[j % len(vals)]
    print(json.dumps(d, ensure_ascii=i % 2 == 0, separators=(",", ":")))
P
}

@test "binary and text COPY store every type's values identically, row for row" {
	every_type a >"$BATS_TEST_TMPDIR/a.jsonl"
	every_type b >"$BATS_TEST_TMPDIR/b.jsonl"
	PGOPTIONS=$LOG_ALL run -0 cvx-pg-load -q -d "$DB" "$BATS_TEST_TMPDIR/a.jsonl"
	PGOPTIONS=$LOG_ALL run -0 cvx-pg-load -q -d "$DB" --copy-format text \
	    "$BATS_TEST_TMPDIR/b.jsonl"
	assert_equal "$(sql -c 'SELECT count(*) FROM a')" 60
	assert_equal "$(bits a)" "$(bits b)"
	# a went through COPY binary alone (a new COPY for each column first
	# named later), b through COPY text alone.
	[ "$(copies_of a | grep -c 'FORMAT binary')" -ge 1 ]
	assert_equal "$(copies_of a | grep -vc 'FORMAT binary')" 0
	assert_equal "$(copies_of b | grep -c 'FORMAT binary')" 0
	[ "$(copies_of b | wc -l)" -ge 1 ]
	# Timestamps in forms only the input function reads: the table goes
	# on in COPY text, with the same values.
	every_type c fallback >"$BATS_TEST_TMPDIR/c.jsonl"
	every_type d fallback >"$BATS_TEST_TMPDIR/d.jsonl"
	PGOPTIONS=$LOG_ALL run -0 cvx-pg-load -q -d "$DB" "$BATS_TEST_TMPDIR/c.jsonl"
	run -0 cvx-pg-load -q -d "$DB" --copy-format text "$BATS_TEST_TMPDIR/d.jsonl"
	assert_equal "$(bits c)" "$(bits d)"
	[ "$(copies_of c | grep -c 'FORMAT binary')" -ge 1 ]
	assert_equal "$(copies_of c | grep -vc 'FORMAT binary')" 1
}

@test "merge and replace, straight in and through staging, load the same bits in both formats" {
	every_type a >"$BATS_TEST_TMPDIR/a.jsonl"
	every_type b >"$BATS_TEST_TMPDIR/b.jsonl"
	# Twice the documents: the second of each key wins, so merge's
	# COPY straight in meets a key twice and is redone in staging.
	cat "$BATS_TEST_TMPDIR/a.jsonl" "$BATS_TEST_TMPDIR/a.jsonl" >"$BATS_TEST_TMPDIR/aa.jsonl"
	cat "$BATS_TEST_TMPDIR/b.jsonl" "$BATS_TEST_TMPDIR/b.jsonl" >"$BATS_TEST_TMPDIR/bb.jsonl"
	run -0 cvx-pg-load -q -d "$DB" -m merge "$BATS_TEST_TMPDIR/aa.jsonl"
	run -0 cvx-pg-load -q -d "$DB" -m merge --copy-format text "$BATS_TEST_TMPDIR/bb.jsonl"
	assert_equal "$(bits a)" "$(bits b)"
	run -0 cvx-pg-load -q -d "$DB" -m merge "$BATS_TEST_TMPDIR/a.jsonl"
	assert_equal "$(bits a)" "$(bits b)"
	# A DEFAULT makes insert and replace stage rows with their line.
	sql -c 'ALTER TABLE a ALTER COLUMN i4 SET DEFAULT 7' \
	    -c 'ALTER TABLE b ALTER COLUMN i4 SET DEFAULT 7' \
	    -c 'CREATE FUNCTION w() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO c VALUES (1); RETURN NEW; END$$' \
	    -c 'CREATE TABLE c (x int)' \
	    -c 'CREATE TRIGGER w AFTER INSERT ON a FOR EACH STATEMENT EXECUTE FUNCTION w()' \
	    -c 'CREATE TRIGGER w AFTER INSERT ON b FOR EACH STATEMENT EXECUTE FUNCTION w()'
	PGOPTIONS=$LOG_ALL run -0 cvx-pg-load -q -d "$DB" -m replace "$BATS_TEST_TMPDIR/a.jsonl"
	run -0 cvx-pg-load -q -d "$DB" -m replace --copy-format text "$BATS_TEST_TMPDIR/b.jsonl"
	assert_equal "$(sql -c 'SELECT count(*) FROM a')" 60
	assert_equal "$(bits a)" "$(bits b)"
	# The rows went to staging with their input line, in COPY binary.
	tail -c "+$LOG_FROM" "$PGDIR/server.log" |
	    grep -q 'COPY pg_temp.* "cvx-pg-load line") FROM STDIN WITH (FORMAT binary)'
}

@test "a value with no binary form moves its table to COPY text, and loads as before" {
	sql -c 'CREATE TABLE t (id int, at timestamptz, n int, f float8)'
	python3 -c '
import json
for i in range(1, 3001):
    at = 1700000000000 + i if i != 2000 else "2024-02-29 12:34:56.789 Europe/Paris"
    f = 1.5 if i != 2800 else 5e-324  # subnormal: strtod says ERANGE
    n = i if i != 2500 else "  42  "
    print(json.dumps({"_table": "t", "id": i, "at": at, "n": n, "f": f}))
' >"$BATS_TEST_TMPDIR/in.jsonl"
	PGOPTIONS=$LOG_ALL run -0 cvx-pg-load -q -d "$DB" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$(copies_of t | grep -c 'FORMAT binary')" 1
	assert_equal "$(copies_of t | grep -vc 'FORMAT binary')" 1
	assert_equal "$(sql -c 'SELECT f FROM t WHERE id IN (2799, 2800) ORDER BY id')" "$(printf '1.5\n5e-324')"
	# A subnormal float, which strtod reads with ERANGE, goes to float8in.
	sql -c 'CREATE TABLE u (f float8)'
	printf '{"_table":"u","f":%s}\n' 1.5 5e-324 2.5 >"$BATS_TEST_TMPDIR/u.jsonl"
	PGOPTIONS=$LOG_ALL run -0 cvx-pg-load -q -d "$DB" "$BATS_TEST_TMPDIR/u.jsonl"
	assert_equal "$(copies_of u | grep -c 'FORMAT binary')" 1
	assert_equal "$(copies_of u | grep -vc 'FORMAT binary')" 1
	assert_equal "$(sql -c 'SELECT f FROM u')" "$(printf '1.5\n5e-324\n2.5')"
	run -0 sql -c "SELECT count(*), sum(n), min(at) FILTER (WHERE id = 2000) AT TIME ZONE 'UTC', max(at) FILTER (WHERE id <> 2000) AT TIME ZONE 'UTC' FROM t"
	assert_output "3000|$((3000 * 3001 / 2 - 2500 + 42))|2024-02-29 11:34:56.789|2023-11-14 22:13:23"
}

@test "a server error in a COPY binary names the input line and the column" {
	sql -c 'CREATE TABLE t (id int, v varchar(3))'
	python3 -c '
for i in range(1, 20001):
    print("{\"_table\":\"t\",\"id\":%d,\"v\":\"%s\"}" % (i, "abcd" if i == 15000 else "abc"))
' >"$BATS_TEST_TMPDIR/big.jsonl"
	PGOPTIONS=$LOG_ALL run --separate-stderr cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/big.jsonl"
	assert_failure 1
	[[ $stderr == *"line 15000: table t, column v: value too long"* ]] || fail "$stderr"
	assert_equal "$(copies_of t | grep -c 'FORMAT binary')" 1
	run -0 sql -c 'SELECT count(*) FROM t'
	assert_output 0
}

@test "errors the client finds name the same line and column in both formats" {
	sql -c 'CREATE TABLE t (id int, at timestamptz, b bytea)'
	printf '%s\n' '{"_table":"t","id":1,"at":1,"b":"AA=="}' \
	    '{"_table":"t","id":2,"at":-1e20,"b":null}' >"$BATS_TEST_TMPDIR/ts.jsonl"
	printf '%s\n' '{"_table":"t","id":1,"at":1,"b":"AA=="}' \
	    '{"_table":"t","id":2,"at":1,"b":{"$bytes":"A"}}' >"$BATS_TEST_TMPDIR/by.jsonl"
	local f fmt
	for f in ts by; do
		for fmt in auto text; do
			run --separate-stderr cvx-pg-load -d "$DB" \
			    --copy-format $fmt "$BATS_TEST_TMPDIR/$f.jsonl"
			assert_failure 1
			echo "$stderr" >"$BATS_TEST_TMPDIR/$f.$fmt"
		done
		assert_equal "$(cat "$BATS_TEST_TMPDIR/$f.auto")" "$(cat "$BATS_TEST_TMPDIR/$f.text")"
	done
	[[ $(cat "$BATS_TEST_TMPDIR/ts.auto") == *"line 2: table t, column at: epoch milliseconds out of range"* ]]
	[[ $(cat "$BATS_TEST_TMPDIR/by.auto") == *"line 2: table t, column b: invalid base64 in \$bytes"* ]]
	assert_equal "$(sql -c 'SELECT count(*) FROM t')" 0
}

@test "a table with a type without a binary form (numeric, uuid, arrays) loads with COPY text" {
	sql -c 'CREATE TABLE t (id int, n numeric, u uuid, a int[])'
	printf '%s\n' '{"_table":"t","id":1,"n":1.5,"u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","a":[1,2]}' \
	    >"$BATS_TEST_TMPDIR/in.jsonl"
	PGOPTIONS=$LOG_ALL run -0 cvx-pg-load -q -d "$DB" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$(copies_of t | grep -c 'FORMAT binary')" 0
	assert_equal "$(sql -c 'SELECT n, u, a FROM t')" '1.5|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|{1,2}'
}

@test "--copy-format takes auto or text" {
	run --separate-stderr cvx-pg-load --copy-format binary --no-db /dev/null
	assert_failure 2
	[[ $stderr == *"binary: not one of the choices"* ]] || fail "$stderr"
}

@test "every real export into cvx-schema's DDL: the same bits by COPY binary and COPY text" {
	require_corpus
	local x n=0
	sql -c 'CREATE SCHEMA txt'
	while read -r x; do
		n=$((n + 1))
		sql -c 'DROP SCHEMA public CASCADE' -c 'DROP SCHEMA txt CASCADE' \
		    -c 'CREATE SCHEMA public' -c 'CREATE SCHEMA txt' 2>/dev/null
		cvx-schema -q "$x" >"$BATS_TEST_TMPDIR/ddl.sql"
		sql -f "$BATS_TEST_TMPDIR/ddl.sql" >/dev/null
		PGOPTIONS='-c search_path=txt' sql -f "$BATS_TEST_TMPDIR/ddl.sql" >/dev/null
		# Without pipefail, as a make recipe runs it.
		cvx-unzip "$x" | cvx-pg-load -q -d "$DB" ||
		    fail "$x: the binary load failed"
		cvx-unzip "$x" | cvx-pg-load -q -d "$DB" -s txt --copy-format text ||
		    fail "$x: the text load failed"
		same_tables "$x" public txt
	done < <(find "$CORPUS" -name '*.zip' | sort)
	[ "$n" -ge 5 ]
}

@test "every real export with --create (doc jsonb takes the document): the same bits in both formats" {
	require_corpus
	local x n=0
	while read -r x; do
		n=$((n + 1))
		sql -c 'DROP SCHEMA IF EXISTS bin CASCADE' \
		    -c 'DROP SCHEMA IF EXISTS txt CASCADE' 2>/dev/null
		cvx-unzip "$x" | cvx-pg-load -q -d "$DB" -s bin --create ||
		    fail "$x: the binary load failed"
		cvx-unzip "$x" | cvx-pg-load -q -d "$DB" -s txt --create \
		    --copy-format text || fail "$x: the text load failed"
		same_tables "$x" bin txt
	done < <(find "$CORPUS" -name '*.zip' | sort)
	[ "$n" -ge 5 ]
}

@test "a type named like a built-in one in another schema gets no binary form" {
	sql -c "CREATE SCHEMA s" -c "CREATE TYPE s.int4 AS ENUM ('1', '2')" \
	    -c 'CREATE TABLE t (id int, e s.int4)'
	printf '%s\n' '{"_table":"t","id":1,"e":"2"}' '{"_table":"t","id":2,"e":1}' \
	    >"$BATS_TEST_TMPDIR/in.jsonl"
	PGOPTIONS=$LOG_ALL run -0 cvx-pg-load -q -d "$DB" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$(copies_of t | grep -c 'FORMAT binary')" 0
	assert_equal "$(sql -c 'SELECT e FROM t ORDER BY id')" "$(printf '2\n1')"
}
