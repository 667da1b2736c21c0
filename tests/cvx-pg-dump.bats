# cvx-pg-dump: PostgreSQL rows out as the stream, in Convex's uniform
# encoding (issue 14), against a real PostgreSQL.

bats_require_minimum_version 1.5.0
load test_helper
load pg_helper

setup_file() { pg_start; }
teardown_file() { pg_stop; }
setup() { pg_newdb; }

# One row of every column type the mapping names, and a second row of
# NULLs and edge values.
all_types() {
	sql -q <<'S'
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE t (
 id int PRIMARY KEY, b bigint, s smallint, f float8, r real, n numeric,
 ok boolean, tx text, vc varchar(10), ch char(2), u uuid, m mood,
 ts timestamp, tz timestamptz, d date, by bytea, j json, jb jsonb,
 ta text[], ia int[], tsa timestamptz[], ba bytea[], ja jsonb[],
 iv interval, ip inet);
INSERT INTO t VALUES (1, 9223372036854775807, -3, 1.5, 1.25, 123.4500,
 true, E'a\tb\nc"\\é', 'x', 'y', '8f9a6b4e-0000-4000-8000-000000000001',
 'sad', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456+02',
 '2024-01-02', '\x00ff10', '{"a": [1, 2.50, "x y"], "b": null}',
 '{"k": {"n": 1e3}}', ARRAY['a', 'b c', NULL, 'NULL', '"q"'],
 '{{1,2},{3,4}}', ARRAY['2024-01-01 00:00:00.000001+00'::timestamptz],
 ARRAY['\x01'::bytea, NULL], ARRAY['{"a":1}'::jsonb, '[1, 2]'],
 '1 day 02:03:04', '10.0.0.1/8');
INSERT INTO t (id, f, r, n, ts, tz, d) VALUES
 (2, 'NaN', '-Infinity', 'NaN', '0044-03-15 12:00:00 BC',
  '1969-12-31 23:59:59.999999+00', '1969-12-31'),
 (3, '-0', 'Infinity', 0, '1970-01-01 00:00:00', '1970-01-01 00:00:00+00',
  '9999-12-31'),
 (4, 1e300, 3, -0.5, NULL, NULL, NULL);
S
}

@test "every type maps to Convex's uniform encoding" {
	all_types
	run -0 --separate-stderr cvx-pg-dump --dbname "$DB"
	assert_line --index 0 '{"_table":"t","id":1,"b":9223372036854775807,"s":-3,"f":1.5,"r":1.25,"n":"123.4500","ok":true,"tx":"a\tb\nc\"\\é","vc":"x","ch":"y ","u":"8f9a6b4e-0000-4000-8000-000000000001","m":"sad","ts":1704164645123.456,"tz":1704157445123.456,"d":1704153600000.0,"by":{"$bytes":"AP8Q"},"j":{"a":[1,2.50,"x y"],"b":null},"jb":{"k":{"n":1000}},"ta":["a","b c",null,"NULL","\"q\""],"ia":[[1,2],[3,4]],"tsa":[1704067200000.001],"ba":[{"$bytes":"AQ=="},null],"ja":[{"a":1},[1,2]],"iv":"1 day 02:03:04","ip":"10.0.0.1/8"}'
	assert_line --index 1 '{"_table":"t","id":2,"f":{"$float":"AAAAAAAA+H8="},"r":{"$float":"AAAAAAAA8P8="},"n":"NaN","ts":-63517780800000.0,"tz":-0.001,"d":-86400000.0}'
	assert_line --index 2 '{"_table":"t","id":3,"f":-0.0,"r":{"$float":"AAAAAAAA8H8="},"n":"0","ts":0.0,"tz":0.0,"d":253402214400000.0}'
	assert_line --index 3 '{"_table":"t","id":4,"f":1e+300,"r":3.0,"n":"-0.5"}'
	[ "${#lines[@]}" -eq 4 ]
	assert_equal "$stderr" "cvx-pg-dump: t: 4 rows"
}

@test "the output passes cvx-zip's import rules and the import checker" {
	all_types
	d=$(scratch)
	run -0 bash -c "cvx-pg-dump --quiet --dbname '$DB' | cvx-zip --int64 't.id,t.b,t.s' -o '$d/t.zip'"
	run -0 python3 "$ROOT/tests/convex_import_check.py" "$d/t.zip"
}

@test "a NULL leaves the field out; --nulls null writes null" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, a text, b int[])' \
	    -c "INSERT INTO t VALUES (1, NULL, NULL), (2, 'x', '{NULL}')"
	run -0 cvx-pg-dump --quiet --dbname "$DB"
	assert_output $'{"_table":"t","id":1}\n{"_table":"t","id":2,"a":"x","b":[null]}'
	run -0 cvx-pg-dump --quiet --nulls null --dbname "$DB"
	assert_output $'{"_table":"t","id":1,"a":null,"b":null}\n{"_table":"t","id":2,"a":"x","b":[null]}'
}

@test "rows come in primary-key order, tables in name order" {
	sql -q <<'S'
CREATE TABLE zz (a int, b text, PRIMARY KEY (b, a));
INSERT INTO zz VALUES (2, 'y'), (1, 'y'), (9, 'x');
CREATE TABLE aa (k int PRIMARY KEY);
INSERT INTO aa VALUES (3), (1), (2);
S
	run -0 cvx-pg-dump --quiet --dbname "$DB"
	assert_output - <<'J'
{"_table":"aa","k":1}
{"_table":"aa","k":2}
{"_table":"aa","k":3}
{"_table":"zz","a":9,"b":"x"}
{"_table":"zz","a":1,"b":"y"}
{"_table":"zz","a":2,"b":"y"}
J
}

@test "a table without a primary key is ordered by all its columns, json too" {
	sql -q <<'S'
CREATE TABLE t (a int, j json, b text);
INSERT INTO t VALUES (2, '{"x":2}', 'b'), (1, '{"x":9}', 'z'),
 (2, '{"x":1}', 'c'), (2, '{"x":1}', 'a');
S
	run -0 cvx-pg-dump --quiet --dbname "$DB"
	assert_output - <<'J'
{"_table":"t","a":1,"j":{"x":9},"b":"z"}
{"_table":"t","a":2,"j":{"x":1},"b":"a"}
{"_table":"t","a":2,"j":{"x":1},"b":"c"}
{"_table":"t","a":2,"j":{"x":2},"b":"b"}
J
}

@test "the same database gives the same bytes" {
	all_types
	cvx-pg-dump --quiet --dbname "$DB" >"$BATS_TEST_TMPDIR/1"
	sql -c 'VACUUM FULL t' -c 'CLUSTER t USING t_pkey'
	cvx-pg-dump --quiet --dbname "$DB" >"$BATS_TEST_TMPDIR/2"
	run -0 cmp "$BATS_TEST_TMPDIR/1" "$BATS_TEST_TMPDIR/2"
	[ -s "$BATS_TEST_TMPDIR/1" ]
}

@test "--tables globs, --exclude, --schema" {
	sql -q <<'S'
CREATE TABLE chats (id int PRIMARY KEY);
CREATE TABLE chat_tags (id int PRIMARY KEY);
CREATE TABLE messages (id int PRIMARY KEY);
INSERT INTO chats VALUES (1); INSERT INTO chat_tags VALUES (2);
INSERT INTO messages VALUES (3);
CREATE SCHEMA app;
CREATE TABLE app.chats (id int PRIMARY KEY);
INSERT INTO app.chats VALUES (4);
S
	run -0 cvx-pg-dump --quiet --dbname "$DB" --tables 'chat*'
	assert_output $'{"_table":"chat_tags","id":2}\n{"_table":"chats","id":1}'
	run -0 cvx-pg-dump --quiet --dbname "$DB" --exclude 'chat_*'
	assert_output $'{"_table":"chats","id":1}\n{"_table":"messages","id":3}'
	run -0 cvx-pg-dump --quiet --dbname "$DB" --schema app
	assert_output '{"_table":"chats","id":4}'
}

@test "a --tables pattern that matches no table is an error" {
	sql -c 'CREATE TABLE chats (id int PRIMARY KEY)'
	run -1 --separate-stderr cvx-pg-dump --dbname "$DB" --tables chats,nope
	assert_equal "$stderr" "cvx-pg-dump: -t: no table of schema public matches 'nope'"
	assert_only_abort cvx-pg-dump
}

@test "--query names a SELECT; alone it dumps only the queries" {
	sql -c 'CREATE TABLE chats (id int PRIMARY KEY, title text)' \
	    -c "INSERT INTO chats VALUES (1, 'a'), (2, 'b')"
	run -0 cvx-pg-dump --quiet --dbname "$DB" \
	    --query "recent=SELECT id AS chat, upper(title) AS t FROM chats ORDER BY id DESC"
	assert_output $'{"_table":"recent","chat":2,"t":"B"}\n{"_table":"recent","chat":1,"t":"A"}'
	run -0 cvx-pg-dump --quiet --dbname "$DB" --tables chats \
	    --query $'one=SELECT 1 AS x;\n'
	assert_output $'{"_table":"chats","id":1,"title":"a"}\n{"_table":"chats","id":2,"title":"b"}\n{"_table":"one","x":1}'
}

@test "every source is read in one REPEATABLE READ READ ONLY snapshot" {
	run -0 cvx-pg-dump --quiet --dbname "$DB" --query \
	    "tx=SELECT current_setting('transaction_isolation') AS iso, current_setting('transaction_read_only') AS ro"
	assert_output '{"_table":"tx","iso":"repeatable read","ro":"on"}'
}

@test "--numeric float: float64 where exact, else an error with row and column" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, n numeric)' \
	    -c "INSERT INTO t VALUES (1, 0.1), (2, 12345.50), (3, 'NaN'), (4, -7),
	        (5, ('1.' || repeat('0', 1200))::numeric), (6, 0.00000000000000000001),
	        (7, 1500)"
	run -0 cvx-pg-dump --quiet --numeric float --dbname "$DB"
	assert_output - <<'J'
{"_table":"t","id":1,"n":0.1}
{"_table":"t","id":2,"n":12345.5}
{"_table":"t","id":3,"n":{"$float":"AAAAAAAA+H8="}}
{"_table":"t","id":4,"n":-7.0}
{"_table":"t","id":5,"n":1.0}
{"_table":"t","id":6,"n":1e-20}
{"_table":"t","id":7,"n":1500.0}
J
	sql -c "INSERT INTO t VALUES (8, 0.12345678901234567890)"
	run -1 --separate-stderr cvx-pg-dump --quiet --numeric float --dbname "$DB"
	assert_equal "$stderr" "cvx-pg-dump: table t: row 8: column n: numeric would round as a float64 (--numeric float)"
	# The rows still buffered are dropped: only the abort line is left.
	assert_only_abort cvx-pg-dump
}

@test "a json key Convex forbids is an error naming row and column; nothing loads" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, doc jsonb)' \
	    -c "INSERT INTO t VALUES (1, '{\"ok\":1}'), (2, '{\"a\":{\"\$ref\":1}}')"
	run -1 --separate-stderr cvx-pg-dump --dbname "$DB"
	assert_equal "$stderr" "cvx-pg-dump: table t: row 2: column doc: object key starts with '\$' (Convex field name)"
	assert_only_abort cvx-pg-dump
	# Through the whole pipe, without pipefail: nothing is committed.
	sql -c "CREATE DATABASE ${DBNAME}c"
	psql_q ${DBNAME}c -c 'CREATE TABLE t (id int PRIMARY KEY, doc jsonb)'
	run -1 bash -c "cvx-pg-dump --dbname '$DB' | cvx-pg-load --dbname '$(pg_url ${DBNAME}c)'"
	run -0 psql_q ${DBNAME}c -A -t -c 'SELECT count(*) FROM t'
	assert_output 0
}

@test "infinite timestamps cannot be epoch milliseconds: an error" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, at timestamptz)' \
	    -c "INSERT INTO t VALUES (1, 'infinity')"
	run -1 --separate-stderr cvx-pg-dump --dbname "$DB"
	assert_equal "$stderr" "cvx-pg-dump: table t: row 1: column at: infinity has no epoch milliseconds"
	assert_only_abort cvx-pg-dump
}

@test "a column named like the routing tag is refused" {
	sql -c 'CREATE TABLE t ("_table" text)'
	run -1 --separate-stderr cvx-pg-dump --dbname "$DB"
	assert_equal "$stderr" "cvx-pg-dump: table t: column _table: the name of the stream's routing tag (rename it in the SELECT)"
	assert_only_abort cvx-pg-dump
}

@test "a query the server refuses: its message, the abort line" {
	run -1 --separate-stderr cvx-pg-dump --dbname "$DB" --query 'q=SELECT nope'
	assert_equal "$stderr" 'cvx-pg-dump: query q: ERROR:  column "nope" does not exist'
	assert_only_abort cvx-pg-dump
}

@test "no database: exit 1 and the abort line" {
	run -1 --separate-stderr cvx-pg-dump --dbname "host=$PGDIR dbname=nosuchdb user=postgres"
	assert_regex "$stderr" '^cvx-pg-dump: database: .*nosuchdb.*'
	assert_only_abort cvx-pg-dump
}

@test "usage errors exit 2 with the abort line" {
	run -2 --separate-stderr cvx-pg-dump --numeric text
	assert_regex "$stderr" "^cvx-pg-dump: --numeric: 'text' is not decimal or float"
	assert_only_abort cvx-pg-dump
	run -2 --separate-stderr cvx-pg-dump --query noequals
	assert_only_abort cvx-pg-dump
	run -2 --separate-stderr cvx-pg-dump operand
	run -0 cvx-pg-dump --help
	assert_line --index 0 --partial 'usage: cvx-pg-dump'
}

@test "--output writes the stream to a file" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY)' -c 'INSERT INTO t VALUES (1)'
	run -0 cvx-pg-dump --quiet --dbname "$DB" --output "$BATS_TEST_TMPDIR/o.jsonl"
	assert_output ''
	run -0 cat "$BATS_TEST_TMPDIR/o.jsonl"
	assert_output '{"_table":"t","id":1}'
}

@test "DATABASE_URL is the default connection" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY)' -c 'INSERT INTO t VALUES (7)'
	DATABASE_URL=$DB run -0 cvx-pg-dump --quiet
	assert_output '{"_table":"t","id":7}'
}

@test "dump | zip | unzip | load into the same DDL is the identity" {
	all_types
	sql -c "CREATE DATABASE ${DBNAME}c"
	# The same DDL, by pg_dump's own hand.
	pg_dump --schema-only -d "$DB" | psql_q ${DBNAME}c >/dev/null
	d=$(scratch)
	run -0 bash -c "cvx-pg-dump --quiet --dbname '$DB' | cvx-zip --int64 '*' -o '$d/t.zip'"
	run -0 bash -c "cvx-unzip '$d/t.zip' | cvx-pg-load --dbname '$(pg_url ${DBNAME}c)'"
	# json keeps its value, not its whitespace: compared as jsonb.
	q="COPY (SELECT id, b, s, f, r, n, ok, tx, vc, ch, u, m, ts, tz, d, by, j::jsonb, jb, ta, ia, tsa, ba, ja, iv, ip FROM t ORDER BY id) TO STDOUT"
	want=$(sql -c "$q")
	run -0 psql_q ${DBNAME}c -A -t -c "$q"
	assert_output "$want"
	[ "$(echo "$want" | wc -l)" -eq 4 ]
}

@test "timestamps keep every microsecond through the round trip" {
	sql -q <<'S'
CREATE TABLE t (id int PRIMARY KEY, ts timestamp, tz timestamptz, d date);
INSERT INTO t SELECT i,
 '2001-09-09 01:46:40'::timestamp + i * interval '1.000001 s' * 7919,
 '1900-01-01 00:00:00.000001+00'::timestamptz + i * interval '0.999999 s' * 104729,
 '1600-02-29'::date + i * 97
FROM generate_series(1, 2000) i;
S
	sql -c "CREATE DATABASE ${DBNAME}c"
	pg_dump --schema-only -d "$DB" | psql_q ${DBNAME}c >/dev/null
	run -0 bash -c "cvx-pg-dump --quiet --dbname '$DB' | cvx-pg-load --dbname '$(pg_url ${DBNAME}c)'"
	q="COPY (SELECT * FROM t ORDER BY id) TO STDOUT"
	want=$(sql -c "$q")
	run -0 psql_q ${DBNAME}c -A -t -c "$q"
	assert_output "$want"
}

# The literal blocks of man/cvx-pg-dump.1's EXAMPLES, in order, one per
# line of output (mdoc's \e is a backslash).
man_examples() {
	awk '/^\.Sh EXAMPLES/ { on = 1 } /^\.Sh SEE ALSO/ { on = 0 }
	    on && /^\.Ed/ { ex = 0; printf "%c", 0 }
	    on && ex { gsub(/\\e/, "\\"); print }
	    on && /^\.Bd -literal/ { ex = 1 }' "$ROOT/man/cvx-pg-dump.1"
}

@test "the man page's examples run as written" {
	sql -q <<'S'
CREATE TABLE chats (id text PRIMARY KEY, deleted_at timestamptz);
CREATE TABLE messages (id int PRIMARY KEY, chat_id text, created_at timestamptz);
INSERT INTO chats VALUES ('a', NULL), ('b', now());
INSERT INTO messages VALUES (1, 'a', now()), (2, 'a', now() - interval '30 days');
S
	cd "$(scratch)"
	export DATABASE_URL=$DB
	mapfile -d '' ex < <(man_examples)
	[ "${#ex[@]}" -eq 2 ] || fail "${#ex[@]} examples"
	run -0 --separate-stderr bash -ec "${ex[0]}"
	run -0 python3 "$ROOT/tests/convex_import_check.py" app.zip
	run -0 --separate-stderr bash -ec "${ex[1]}"
	assert_output $'{"_table":"chats","id":"a"}\n{"_table":"messages","id":1,"chat_id":"a","created_at":'"$(cvx-pg-dump --quiet --query 'x=SELECT created_at FROM messages WHERE id = 1' | sed 's/.*"created_at"://; s/}$//')}"
}

@test "a failure after megabytes of rows: the loader rolls all of them back" {
	sql -q <<'S'
CREATE TABLE t (id int PRIMARY KEY, body text, at timestamptz);
INSERT INTO t SELECT i, repeat('x', 200), '2024-01-01' FROM generate_series(1, 30000) i;
UPDATE t SET at = 'infinity' WHERE id = 30000;
S
	sql -c "CREATE DATABASE ${DBNAME}c"
	psql_q "${DBNAME}c" -c 'CREATE TABLE t (id int PRIMARY KEY, body text, at timestamptz)'
	# Without pipefail: the loader's own status and the database decide.
	run -1 --separate-stderr bash -c "cvx-pg-dump --dbname '$DB' | cvx-pg-load --dbname '$(pg_url ${DBNAME}c)'"
	assert_regex "$stderr" "cvx-pg-dump: table t: row 30000: column at: infinity has no epoch milliseconds"
	assert_regex "$stderr" "cvx-pg-load: .*upstream failed"
	run -0 psql_q "${DBNAME}c" -A -t -c 'SELECT count(*) FROM t'
	assert_output 0
	# The documents before the failure did go down the pipe, then the
	# abort line.
	cvx-pg-dump --quiet --dbname "$DB" >"$BATS_TEST_TMPDIR/out" 2>/dev/null || true
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -gt 20000 ]
	run -0 tail -n 1 "$BATS_TEST_TMPDIR/out"
	assert_output --partial '#cvx-abort cvx-pg-dump: table t: row 30000'
}

@test "floats keep every bit through dump and load, real and double" {
	sql -q <<'S'
CREATE TABLE t (id int PRIMARY KEY, f float8, r real);
INSERT INTO t VALUES (1, 5e-324, 1.4e-45), (2, 1.7976931348623157e308, 3.4028235e38),
 (3, -0.0, -0.0), (4, 0.1, 0.1), (5, 'NaN', 'NaN'), (6, '-Infinity', 'Infinity'),
 (7, 123456789012345680000, 16777217), (8, 2.2250738585072014e-308, 1.17549435e-38);
INSERT INTO t SELECT 100 + i, (random() - 0.5) * 10 ^ (random() * 600 - 300),
 ((random() - 0.5) * 10 ^ (random() * 70 - 35))::real
FROM generate_series(1, 3000) i;
S
	sql -c "CREATE DATABASE ${DBNAME}c"
	psql_q "${DBNAME}c" -c 'CREATE TABLE t (id int PRIMARY KEY, f float8, r real)'
	run -0 bash -c "cvx-pg-dump --quiet --dbname '$DB' | cvx-pg-load --dbname '$(pg_url ${DBNAME}c)'"
	# Compared as their bytes: -0 and NaN included.
	q="COPY (SELECT id, float8send(f), float4send(r) FROM t ORDER BY id) TO STDOUT"
	want=$(sql -c "$q")
	run -0 psql_q "${DBNAME}c" -A -t -c "$q"
	assert_output "$want"
	[ "$(echo "$want" | wc -l)" -eq 3008 ]
}
