# cvx-pg-load: how each JSON value reaches each column type (issue 5,
# "Values"), checked against a real PostgreSQL and against python3.

bats_require_minimum_version 1.5.0
load test_helper
load pg_helper

setup_file() { pg_start; }
teardown_file() { pg_stop; }
setup() { pg_newdb; }

# Load the documents on stdin (one per line) with extra arguments.
load_docs() {
	cat >"$BATS_TEST_TMPDIR/in.jsonl"
	cvx-pg-load -d "$DB" "$@" "$BATS_TEST_TMPDIR/in.jsonl"
}

@test "int64 2^63-1 and -2^63 reach bigint, numeric and text exactly" {
	sql -c 'CREATE TABLE t (id int, b bigint, n numeric, s text)'
	load_docs <<'J'
{"_table":"t","id":1,"b":9223372036854775807,"n":9223372036854775807,"s":9223372036854775807}
{"_table":"t","id":2,"b":-9223372036854775808,"n":123456789012345678901234567890,"s":-0.0}
J
	run -0 sql -c 'SELECT b, n, s FROM t ORDER BY id'
	assert_output "$(python3 -c 'print("%d|%d|%d" % (2**63-1, 2**63-1, 2**63-1)); print("%d|123456789012345678901234567890|-0.0" % -2**63)')"
}

@test "legacy int64 strings and \$integer load as integers" {
	sql -c 'CREATE TABLE t (id int, b bigint, n numeric)'
	b64=$(python3 -c 'import base64,struct; print(base64.b64encode(struct.pack("<q", 2**63-1)).decode())')
	load_docs <<J
{"_table":"t","id":1,"b":"9223372036854775807","n":"-42"}
{"_table":"t","id":2,"b":{"\$integer":"$b64"},"n":{"\$integer":"$b64"}}
J
	run -0 sql -c 'SELECT b, n FROM t ORDER BY id'
	assert_output "$(printf '%s|-42\n%s|%s' $((2**63-1)) $((2**63-1)) $((2**63-1)))"
}

@test "floats: -0.0, \$float NaN and infinities, legacy strings" {
	sql -c 'CREATE TABLE t (id int, f float8, r real)'
	load_docs <<'J'
{"_table":"t","id":1,"f":-0.0,"r":-0.0}
{"_table":"t","id":2,"f":{"$float":"AAAAAAAA+H8="},"r":{"$float":"AAAAAAAA+H8="}}
{"_table":"t","id":3,"f":{"$float":"AAAAAAAA8H8="},"r":{"$float":"AAAAAAAA8P8="}}
{"_table":"t","id":4,"f":"NaN","r":"Infinity"}
{"_table":"t","id":5,"f":"-Infinity","r":1.5}
{"_table":"t","id":6,"f":1e300,"r":5}
{"_table":"t","id":7,"f":0.1,"r":{"$float":"AAAAAAAAAIA="}}
J
	run -0 sql -c 'SELECT f::text, r::text FROM t ORDER BY id'
	# The expected values, as Python reads the same inputs.
	python3 - "$output" <<'P'
import math, sys
got = [l.split("|") for l in sys.argv[1].split("\n")]
want = [(-0.0, -0.0), (math.nan, math.nan), (math.inf, -math.inf),
        (math.nan, math.inf), (-math.inf, 1.5), (1e300, 5.0), (0.1, -0.0)]
for (gf, gr), (wf, wr) in zip(got, want):
    for g, w in ((float(gf), wf), (float(gr), wr)):
        if math.isnan(w):
            assert math.isnan(g), (g, w)
        else:
            assert g == w and math.copysign(1, g) == math.copysign(1, w), (g, w)
assert len(got) == len(want)
P
}

@test "bytes: \$bytes and legacy base64 strings become bytea" {
	sql -c 'CREATE TABLE t (id int, b bytea)'
	python3 - >"$BATS_TEST_TMPDIR/b.jsonl" 2>"$BATS_TEST_TMPDIR/want" <<'P'
import base64, os, sys
for i in range(1, 41):
    raw = os.urandom(i % 20)
    b = base64.b64encode(raw).decode()
    v = '{"$bytes":"%s"}' % b if i % 2 else '"%s"' % b
    print('{"_table":"t","id":%d,"b":%s}' % (i, v))
    print(raw.hex(), file=sys.stderr)
P
	load_docs <"$BATS_TEST_TMPDIR/b.jsonl"
	run -0 sql -c "SELECT encode(b, 'hex') FROM t ORDER BY id"
	assert_output "$(cat "$BATS_TEST_TMPDIR/want")"
}

@test "invalid base64 for bytea names line, table, column and value" {
	sql -c 'CREATE TABLE t (id int, b bytea)'
	run --separate-stderr load_docs <<'J'
{"_table":"t","id":1,"b":"AQID"}
{"_table":"t","id":2,"b":"not base64!"}
J
	assert_failure 1
	[[ $stderr == *"line 2: table t, column b: "*"not base64!"* ]] || fail "$stderr"
	run -0 sql -c 'SELECT count(*) FROM t'
	assert_output 0
}

@test "epoch milliseconds become timestamps exact to the microsecond" {
	sql -c 'CREATE TABLE t (id int, tz timestamptz, ts timestamp, d date)'
	toks="1746279928170.6416 1700000000000.0 1e12 -1.5 1234567890123.4565 0.0005 0.0015 1735689600123.457 253402300799999.9"
	i=0
	for tok in $toks; do
		i=$((i + 1))
		echo "{\"_table\":\"t\",\"id\":$i,\"tz\":$tok,\"ts\":$tok,\"d\":$tok}"
	done | load_docs
	run -0 sql -c "SET TimeZone = 'America/New_York'" -c "SELECT extract(epoch FROM tz) * 1000000, extract(epoch FROM ts) * 1000000, d FROM t ORDER BY id"
	python3 - "$output" $toks <<'P'
import datetime, decimal, sys
got = sys.argv[1].split("\n")
for line, tok in zip(got, sys.argv[2:]):
    us = (decimal.Decimal(tok) * 1000).quantize(decimal.Decimal(1),
        rounding=decimal.ROUND_HALF_EVEN)
    day = datetime.date(1970, 1, 1) + datetime.timedelta(
        days=int(us) // 86400000000)
    want = "%d|%d|%s" % (us, us, day.isoformat())
    g = line.split("|")
    g = "%d|%d|%s" % (decimal.Decimal(g[0]), decimal.Decimal(g[1]), g[2])
    assert g == want, (tok, g, want)
assert len(got) == len(sys.argv) - 2
P
}

@test "an epoch beyond year 9999 is an error naming the line" {
	sql -c 'CREATE TABLE t (id int, tz timestamptz)'
	run --separate-stderr load_docs <<'J'
{"_table":"t","id":1,"tz":1e20}
J
	assert_failure 1
	[[ $stderr == *"line 1: table t, column tz: "*"1e20"* ]] || fail "$stderr"
}

@test "booleans, uuid and other types go through their input functions" {
	sql -c 'CREATE TABLE t (id int, b bool, u uuid, i inet, n numeric(5,2))'
	load_docs <<'J'
{"_table":"t","id":1,"b":true,"u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","i":"10.0.0.1/8","n":1.5}
{"_table":"t","id":2,"b":false,"u":null,"i":null,"n":"2.25"}
J
	run -0 sql -c 'SELECT b, u, i, n FROM t ORDER BY id'
	assert_output "t|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|10.0.0.1/8|1.50
f|||2.25"
}

@test "json keeps the value's text and jsonb its value" {
	sql -c 'CREATE TABLE t (id int, j json, jb jsonb, s text)'
	load_docs <<'J'
{"_table":"t","id":1,"j":{"b":[1,2.50,"x\"\\y\n"],"a":null},"jb":{"b":[1,2.50,"x\"\\y\n"],"a":null},"s":{"b":[1,"\t"]}}
{"_table":"t","id":2,"j":"str\\ing","jb":12345678901234567890,"s":[true,false]}
J
	run -0 sql -c 'SELECT j FROM t ORDER BY id'
	assert_output '{"b":[1,2.50,"x\"\\y\n"],"a":null}
"str\\ing"'
	run -0 sql -c 'SELECT s FROM t ORDER BY id'
	assert_output '{"b":[1,"\t"]}
[true,false]'
	run -0 sql -c 'SELECT jb FROM t ORDER BY id'
	python3 - "$output" <<'P'
import json, sys
a, b = sys.argv[1].split("\n")
assert json.loads(a) == {"b": [1, 2.5, "x\"\\y\n"], "a": None}, a
assert json.loads(b) == 12345678901234567890, b
P
}

@test "strings with every kind of escape arrive as the same text" {
	sql -c 'CREATE TABLE t (id int, s text, v varchar(200))'
	python3 - >"$BATS_TEST_TMPDIR/s.jsonl" 2>"$BATS_TEST_TMPDIR/want" <<'P'
import json, random, sys
random.seed(5)
alphabet = ["a", "\n", "\t", "\r", "\\", '"', "/", "\b", "\f", "\x01",
            "\x1f", "é", "中", "😀", "\\N", "\\.", ",", "{", " "]
for i in range(1, 301):
    s = "".join(random.choice(alphabet) for _ in range(random.randrange(40)))
    doc = '{"_table":"t","id":%d,"s":%s,"v":%s}' % (
        i, json.dumps(s, ensure_ascii=bool(i % 2)), json.dumps(s[:200]))
    print(doc)
    print(json.dumps([s, s[:200]]), file=sys.stderr)
P
	load_docs <"$BATS_TEST_TMPDIR/s.jsonl"
	run -0 sql -c 'SELECT json_build_array(s, v) FROM t ORDER BY id'
	python3 - "$output" "$BATS_TEST_TMPDIR/want" <<'P'
import json, sys
got = [json.loads(l) for l in sys.argv[1].split("\n")]
want = [json.loads(l) for l in open(sys.argv[2])]
assert got == want, [(g, w) for g, w in zip(got, want) if g != w][:3]
P
}

@test "JSON arrays become SQL arrays, NULL and quotes included" {
	sql -c 'CREATE TABLE t (id int, a text[], m int[], f float8[], b bytea[])'
	load_docs <<'J'
{"_table":"t","id":1,"a":["x","NULL",null,"q\"b\\s","",",{}"],"m":[[1,2],[3,4]],"f":[{"$float":"AAAAAAAA+H8="},-0.0],"b":[{"$bytes":"AQI="}]}
{"_table":"t","id":2,"a":[],"m":[],"f":null,"b":null}
J
	run -0 sql -c 'SELECT array_to_json(a), array_to_json(m), f::text, b::text FROM t ORDER BY id'
	assert_output '["x","NULL",null,"q\"b\\s","",",{}"]|[[1,2],[3,4]]|{NaN,-0}|{"\\x0102"}
[]|[]||'
}

@test "U+0000 is rejected by default with the line number" {
	sql -c 'CREATE TABLE t (id int, s text)'
	run --separate-stderr load_docs <<'J'
{"_table":"t","id":1,"s":"fine"}
{"_table":"t","id":2,"s":"a\u0000b"}
J
	assert_failure 1
	[[ $stderr == *"line 2: table t, column s: U+0000"* ]] || fail "$stderr"
	run -0 sql -c 'SELECT count(*) FROM t'
	assert_output 0
}

@test "--nul strip drops U+0000 from text and jsonb" {
	sql -c 'CREATE TABLE t (id int, s text, j jsonb)'
	load_docs --nul strip <<'J'
{"_table":"t","id":1,"s":"a\u0000b","j":{"k":"c\u0000d","\u0000":1}}
J
	run -0 sql -c "SELECT s, j->>'k', j ? '' FROM t"
	assert_output 'ab|cd|t'
}

@test "--nul replace writes U+FFFD for U+0000" {
	sql -c 'CREATE TABLE t (id int, s text, j jsonb)'
	load_docs --nul replace <<'J'
{"_table":"t","id":1,"s":"a\u0000b","j":["\u0000"]}
J
	run -0 sql -c "SELECT s, j->>0 FROM t"
	assert_output "$(printf 'a\xef\xbf\xbdb|\xef\xbf\xbd')"
}

@test "an escaped backslash before u0000 is not U+0000" {
	sql -c 'CREATE TABLE t (id int, s text, j jsonb)'
	load_docs <<'J'
{"_table":"t","id":1,"s":"a\\u0000b","j":["\\u0000"]}
J
	run -0 sql -c "SELECT s, j->>0 FROM t"
	assert_output 'a\u0000b|\u0000'
}

@test "a value the column cannot take names line, table, column and value" {
	sql -c 'CREATE TABLE t (id int, n bigint)'
	run --separate-stderr load_docs <<'J'
{"_table":"t","id":1,"n":1}
{"_table":"t","id":2,"n":2}
{"_table":"t","id":3,"n":"abc"}
J
	assert_failure 1
	[[ $stderr == *"line 3: table t, column n: "*abc* ]] || fail "$stderr"
	run -0 sql -c 'SELECT count(*) FROM t'
	assert_output 0
}

@test "a server-side error maps the COPY row back to the input line" {
	sql -c 'CREATE TABLE t (id int, n smallint)'
	python3 -c '
for i in range(1, 20001):
    print("{\"_table\":\"t\",\"id\":%d,\"n\":%d}" % (i, 70000 if i == 15000 else i % 1000))
' >"$BATS_TEST_TMPDIR/big.jsonl"
	run --separate-stderr cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/big.jsonl"
	assert_failure 1
	[[ $stderr == *"line 15000: table t, column n: "*70000* ]] || fail "$stderr"
	run -0 sql -c 'SELECT count(*) FROM t'
	assert_output 0
}
