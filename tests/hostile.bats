#!/usr/bin/env bats
# Hostile input (issue 15): malformed documents and ZIPs, straight into
#   cvx-pg-load --mode replace --truncate t --doc-column doc -d "$DB"
# or through the whole pipe
#   cvx-unzip X.zip | cvx-jsonl-map . | cvx-pg-load ...
# WITHOUT pipefail, as in a make recipe.  Each case has one valid document
# before the bad one, so the load has begun (t is truncated at the first
# document) when the bad one arrives.  Each test asserts that the last
# stage exits non-zero, that cvx-pg-load's own message says why, and that
# t holds exactly its seed rows: nothing committed.  The "control" tests
# run the same pipes on good input and see them commit: the checks can
# fail.  The fuzz harnesses (fuzz/) hold the parsers to their rules; this
# file holds the tools to theirs when a rule is broken.

bats_require_minimum_version 1.5.0
load test_helper
load pg_helper

# The loader every case ends in (run by bash -c, where $DB is set).
LOAD='cvx-pg-load --mode replace --truncate t --doc-column doc -d "$DB"'

hostile_missing() {
	local t
	for t in cvx-unzip cvx-jsonl-map cvx-pg-load; do
		[ -x "$CVX_BUILD/$t" ] ||
		    { echo "$CVX_BUILD/$t not built"; return; }
	done
	[ -f "$ROOT/tests/mkzip.py" ] || echo "tests/mkzip.py missing"
}

# The inputs, in $H: NAME.jsonl (stream documents, tagged for t) and
# NAME.zip (an export with table t, listed in _tables).
make_fixtures() {
	python3 - "$H" "$ROOT/tests" <<'EOF'
import sys
out = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from mkzip import write_zip, repeated

GOOD = b'{"_creationTime":1700000000000.5,"_id":"a","n":1}'
BAD = {
	"deep": b'{"_id":"b","doc":' + b"[" * 600 + b"]" * 600 + b"}",
	"deep100k": b'{"_id":"b","doc":' + b"[" * 100000 + b"]" * 100000 + b"}",
	"utf8": b'{"_id":"b\xc0\xaf"}',
	"lone-byte": b'{"_id":"b","doc":"\xff"}',
	"surrogate-utf8": b'{"_id":"b","doc":"\xed\xa0\x80"}',
	"nul": b'{"_id":"b\x00"}',
	"nul-escape": b'{"_id":"b","doc":"x\\u0000y"}',
	"escape": b'{"_id":"b\\u12"}',
	"escape-end": b'{"_id":"b\\',
	"surrogate": b'{"_id":"b\\ud800"}',
	"truncated": b'{"_id":"b","n":',
	"huge": b'{"_id":"b","n":123456789012345678901234567890}',
	"huge-float": b'{"_id":"b","f":1e400}',
	"bytes": b'{"_id":"b","b":{"$bytes":"AB=C"}}',
	"float": b'{"_id":"b","f":{"$float":"AAAA"}}',
	"integer": b'{"_id":"b","n":{"$integer":"AQ=="}}',
}
TABLES = ("_tables/documents.jsonl", b'{"name":"t","id":10001}\n')

def tag(doc):
	return b'{"_table":"t",' + doc[1:]

open(f"{out}/good.jsonl", "wb").write(tag(GOOD) + b"\n")
write_zip(f"{out}/good.zip", [TABLES, ("t/documents.jsonl", GOOD + b"\n")])
for name, bad in BAD.items():
	open(f"{out}/{name}.jsonl", "wb").write(
	    tag(GOOD) + b"\n" + tag(bad) + b"\n")
	write_zip(f"{out}/{name}.zip",
	    [TABLES, ("t/documents.jsonl", GOOD + b"\n" + bad + b"\n")])

# Small bombs: 100 MiB of spaces, one line, in a ZIP of about 100 KB;
# and a _tables of 100 MiB.
spaces = repeated(b" " * (1 << 20), 100)
write_zip(f"{out}/bomb.zip", [TABLES, ("t/documents.jsonl", spaces)])
write_zip(f"{out}/bomb-tables.zip",
    [("_tables/documents.jsonl", repeated(b" " * (1 << 20), 100)),
     ("t/documents.jsonl", GOOD + b"\n")])

# A line just over 64 MiB (CVX_LINE_MAX), valid JSON, in a small ZIP.
def line64m():
	yield GOOD + b'\n{"_id":"b","doc":"'
	for i in range(64):
		yield b"x" * (1 << 20)
	yield b'"}\n'
write_zip(f"{out}/line64m.zip", [TABLES, ("t/documents.jsonl", line64m())])

# A _table of 10 000 bytes: in the stream, and as an export's table.
long = b"t" * 10000
open(f"{out}/long-table.jsonl", "wb").write(tag(GOOD) + b"\n" +
    b'{"_table":"' + long + b'","_id":"b"}\n')
write_zip(f"{out}/long-table.zip", [("_tables/documents.jsonl",
    b'{"name":"t","id":10001}\n{"name":"' + long + b'","id":10002}\n'),
    ("t/documents.jsonl", GOOD + b"\n"),
    (long.decode() + "/documents.jsonl", b'{"_id":"b"}\n')])

# A stored (uncompressed) export of 3 MB, for a spool that runs out of room.
write_zip(f"{out}/stored.zip", [TABLES, ("t/documents.jsonl", GOOD + b"\n" +
    b"".join(b'{"_id":"s%d","doc":"%s"}\n' % (i, b"x" * 100)
    for i in range(30000)))], method="store")

# Entry names: t's documents only under a name cvx-unzip must not use,
# the same entry twice, and a good export with an unsafe entry beside it.
for name, entry in (("dotdot", "../t/documents.jsonl"),
    ("dotdot-inner", "x/../t/documents.jsonl"),
    ("absolute", "/t/documents.jsonl"),
    ("backslash", "..\\t\\documents.jsonl")):
	write_zip(f"{out}/{name}.zip", [TABLES, (entry, GOOD + b"\n")])
write_zip(f"{out}/duplicate.zip", [TABLES, ("t/documents.jsonl",
    GOOD + b"\n"), ("t/documents.jsonl", GOOD + b"\n")])
write_zip(f"{out}/beside.zip", [TABLES, ("t/documents.jsonl", GOOD + b"\n"),
    ("../t/documents.jsonl", b'{"_id":"evil"}\n'),
    ("/t/documents.jsonl", b'{"_id":"evil2"}\n')])
EOF
}

# t's rows as COPY text, sorted.
rows() {
	psql_q "$1" -A -t -c 'COPY (SELECT * FROM t ORDER BY _id) TO STDOUT'
}

setup_file() {
	export HOSTILE_MISSING
	HOSTILE_MISSING=$(hostile_missing)
	[ -z "$HOSTILE_MISSING" ] || return 0
	export H=$BATS_FILE_TMPDIR
	make_fixtures
	pg_start
	psql_q postgres -c 'CREATE DATABASE hbase'
	psql_q hbase <<'SQL'
CREATE TABLE t (_id text PRIMARY KEY, "_creationTime" timestamptz,
    n bigint, f float8, b bytea, doc jsonb);
INSERT INTO t (_id, n, doc) VALUES ('seed-1', 1, '{"seed": 1}'),
    ('seed-2', 2, '{"seed": 2}');
SQL
	rows hbase >"$H/base.rows"
}

teardown_file() {
	pg_stop
}

setup() {
	[ -z "$HOSTILE_MISSING" ] || require "$HOSTILE_MISSING"
	export DBNAME=h$BATS_TEST_NUMBER
	psql_q postgres -c "CREATE DATABASE $DBNAME TEMPLATE hbase"
	export DB
	DB=$(pg_url "$DBNAME")
}

teardown() {
	[ -z "${DBNAME:-}" ] || [ -z "${PGDIR:-}" ] ||
	    psql_q postgres -c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" \
	    2>/dev/null || true
}

assert_unchanged() {
	rows "$DBNAME" >"$BATS_TEST_TMPDIR/after.rows"
	diff "$H/base.rows" "$BATS_TEST_TMPDIR/after.rows" ||
	    fail "t changed: something was committed; output: $output"
}

# hostile PIPE REASON: run PIPE (ending in $LOAD) in $H without pipefail;
# its last stage fails, cvx-pg-load's own line says REASON, t is unchanged.
hostile() {
	run bash -c "set +o pipefail; cd \"\$H\" || exit 99; $1"
	[ "$status" -ne 0 ] || fail "exit 0, expected a failure: $output"
	grep -F -- "$2" <<<"$output" | grep -q '^cvx-pg-load: ' ||
	    fail "cvx-pg-load does not say '$2': $output"
	assert_unchanged
}

# The same pipe on good input commits: t lost its seed rows.
commits() {
	run bash -c "set +o pipefail; cd \"\$H\" || exit 99; $1"
	[ "$status" -eq 0 ] || fail "status $status, expected 0: $output"
	run -0 psql_q "$DBNAME" -A -t -c "SELECT string_agg(_id, ',') FROM t"
	assert_output a
}

# ---- controls --------------------------------------------------------------

@test "control: a good stream straight into cvx-pg-load commits" {
	commits "$LOAD good.jsonl"
}

@test "control: a good export through the whole pipe commits" {
	commits "cvx-unzip good.zip | cvx-jsonl-map . | $LOAD"
}

# ---- documents straight into cvx-pg-load ----------------------------------

@test "stream: JSON nested 600 deep is refused" {
	hostile "$LOAD deep.jsonl" "nesting too deep"
}

@test "stream: an overlong UTF-8 form is refused" {
	hostile "$LOAD utf8.jsonl" "invalid UTF-8"
}

@test "stream: a lone 0xFF byte is refused" {
	hostile "$LOAD lone-byte.jsonl" "invalid UTF-8"
}

@test "stream: a UTF-8 encoded surrogate is refused" {
	hostile "$LOAD surrogate-utf8.jsonl" "invalid UTF-8"
}

@test "stream: a raw NUL byte in a string is refused" {
	hostile "cat nul.jsonl | $LOAD" "control character in string"
}

@test "stream: a \\u0000 escape is refused (--nul reject)" {
	hostile "$LOAD nul-escape.jsonl" 'U+0000'
}

@test "stream: a truncated \\u escape is refused" {
	hostile "$LOAD escape.jsonl" 'invalid \u escape'
}

@test "stream: a backslash at the end of the line is refused" {
	hostile "$LOAD escape-end.jsonl" "unterminated string"
}

@test "stream: an unpaired surrogate escape is refused" {
	hostile "$LOAD surrogate.jsonl" "unpaired surrogate escape"
}

@test "stream: a document cut short is refused" {
	hostile "$LOAD truncated.jsonl" "unexpected end of text"
}

@test "stream: an integer beyond bigint is refused by the server" {
	hostile "$LOAD huge.jsonl" "out of range for type bigint"
}

@test "stream: 1e400 is refused for a float8 column" {
	hostile "$LOAD huge-float.jsonl" "out of range for type double"
}

@test "stream: bad base64 in \$bytes is refused" {
	hostile "$LOAD bytes.jsonl" 'invalid base64 in $bytes'
}

@test "stream: a \$float that is not 8 bytes is refused" {
	hostile "$LOAD float.jsonl" 'invalid $float'
}

@test "stream: an \$integer that is not 8 bytes is refused" {
	hostile "$LOAD integer.jsonl" 'invalid $integer'
}

@test "stream: JSON nested 100 000 deep is refused" {
	hostile "$LOAD deep100k.jsonl" "nesting too deep"
}

@test "stream: a _table of 10 000 bytes is refused" {
	hostile "$LOAD long-table.jsonl" "_table is longer than 255 bytes"
}

# ---- the whole pipe, from a ZIP ---------------------------------------------

@test "pipe: JSON nested 100 000 deep fails at cvx-unzip" {
	hostile "cvx-unzip deep100k.zip | cvx-jsonl-map . | $LOAD" \
	    "nesting too deep"
}

@test "pipe: a table named with 10 000 bytes fails at cvx-unzip" {
	hostile "cvx-unzip long-table.zip | cvx-jsonl-map . | $LOAD" \
	    "upstream failed"
}

@test "pipe: a valid line over 64 MiB fails at cvx-unzip" {
	[ "$(stat -c %s "$H/line64m.zip")" -lt 1000000 ]
	hostile "cvx-unzip line64m.zip | cvx-jsonl-map . | $LOAD" "longer than"
}

@test "pipe: a spool that runs out of room (ulimit -f) fails at cvx-unzip" {
	# A pipe is spooled to a temporary file to reach the central
	# directory: 1 MB of room for 3 MB.  No document may come out.
	hostile "ulimit -f 1000; cat stored.zip | cvx-unzip | cvx-jsonl-map . | $LOAD" \
	    "File too large"
	[[ $output == *"cvx-unzip: stdin: spooling to "*": File too large"* ]]
}

@test "control: the stored export through a pipe commits with room to spool" {
	run bash -c "set +o pipefail; cd \"\$H\" || exit 99; cat stored.zip | cvx-unzip | cvx-jsonl-map . | $LOAD"
	[ "$status" -eq 0 ] || fail "status $status: $output"
	run -0 psql_q "$DBNAME" -A -t -c "SELECT count(*) FROM t"
	assert_output 30001
}

@test "cvx-zip: a spool past a file-size limit leaves no ZIP and no file" {
	mkdir "$BATS_TEST_TMPDIR/tmp" "$BATS_TEST_TMPDIR/out"
	run bash -c "cd \"\$H\" && ulimit -f 1000 && cvx-unzip stored.zip |
	    cvx-jsonl-map 'del(._id)' | TMPDIR=\"\$BATS_TEST_TMPDIR/tmp\" \
	    cvx-zip -o \"\$BATS_TEST_TMPDIR/out/z.zip\""
	[ "$status" -eq 1 ]
	[[ $output == *"cvx-zip: "*"temporary file: File too large"* ]]
	left=$(find "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/tmp" -mindepth 1)
	[ -z "$left" ] || fail "left: $left"
}

@test "pipe: JSON nested 600 deep fails at cvx-unzip" {
	hostile "cvx-unzip deep.zip | cvx-jsonl-map . | $LOAD" \
	    "nesting too deep"
}

@test "pipe: invalid UTF-8 fails at cvx-unzip" {
	hostile "cvx-unzip utf8.zip | cvx-jsonl-map . | $LOAD" "invalid UTF-8"
}

@test "pipe: a raw NUL byte fails at cvx-unzip" {
	hostile "cvx-unzip nul.zip | cvx-jsonl-map . | $LOAD" \
	    "control character in string"
}

@test "pipe: a \\u0000 escape fails at cvx-pg-load" {
	hostile "cvx-unzip nul-escape.zip | cvx-jsonl-map . | $LOAD" 'U+0000'
}

@test "pipe: a truncated \\u escape fails at cvx-unzip" {
	hostile "cvx-unzip escape.zip | cvx-jsonl-map . | $LOAD" \
	    'invalid \u escape'
}

@test "pipe: an unpaired surrogate escape fails at cvx-unzip" {
	hostile "cvx-unzip surrogate.zip | cvx-jsonl-map . | $LOAD" \
	    "unpaired surrogate escape"
}

@test "pipe: a document cut short fails at cvx-unzip" {
	hostile "cvx-unzip truncated.zip | cvx-jsonl-map . | $LOAD" \
	    "line 2, byte 16: unexpected end of text"
}

@test "pipe: an integer beyond 2^53 fails at cvx-jsonl-map" {
	hostile "cvx-unzip huge.zip | cvx-jsonl-map . | $LOAD" \
	    "123456789012345678901234567890"
}

@test "pipe: bad base64 in \$bytes fails at cvx-pg-load" {
	hostile "cvx-unzip bytes.zip | cvx-jsonl-map . | $LOAD" \
	    'invalid base64 in $bytes'
}

@test "pipe: a \$float that is not 8 bytes fails at cvx-pg-load" {
	hostile "cvx-unzip float.zip | cvx-jsonl-map . | $LOAD" \
	    'invalid $float'
}

@test "pipe: a 100 MiB line from a 100 KB ZIP fails at cvx-unzip" {
	[ "$(stat -c %s "$H/bomb.zip")" -lt 200000 ]
	hostile "cvx-unzip bomb.zip | cvx-jsonl-map . | $LOAD" "longer than"
}

@test "pipe: a 100 MiB _tables from a 100 KB ZIP fails at cvx-unzip" {
	[ "$(stat -c %s "$H/bomb-tables.zip")" -lt 200000 ]
	hostile "cvx-unzip bomb-tables.zip | cvx-jsonl-map . | $LOAD" \
	    "_tables/documents.jsonl"
}

# ---- entry names ---------------------------------------------------------

@test "names: documents only under ../ are never read, the export fails" {
	hostile "cvx-unzip dotdot.zip | cvx-jsonl-map . | $LOAD" \
	    "documents.jsonl is missing"
	assert_output --partial "../t/documents.jsonl: unsafe entry name"
}

@test "names: documents only under x/../ are never read" {
	hostile "cvx-unzip dotdot-inner.zip | cvx-jsonl-map . | $LOAD" \
	    "documents.jsonl is missing"
	assert_output --partial "x/../t/documents.jsonl: unsafe entry name"
}

@test "names: documents only under an absolute path are never read" {
	hostile "cvx-unzip absolute.zip | cvx-jsonl-map . | $LOAD" \
	    "documents.jsonl is missing"
	assert_output --partial "/t/documents.jsonl: unsafe entry name"
}

@test "names: documents only under ..\\ are never read either" {
	# libarchive reads a name with '\' and no '/' as a path: ../t/...
	hostile "cvx-unzip backslash.zip | cvx-jsonl-map . | $LOAD" \
	    "documents.jsonl is missing"
	assert_output --partial "unsafe entry name"
}

@test "names: a documents.jsonl given twice fails" {
	hostile "cvx-unzip duplicate.zip | cvx-jsonl-map . | $LOAD" \
	    "a second entry for table t"
}

@test "names: unsafe entries beside a good export are skipped, loudly" {
	commits "cvx-unzip beside.zip | cvx-jsonl-map . | $LOAD"
	run bash -c "cd \"\$H\" && cvx-unzip beside.zip 2>&1 >/dev/null"
	assert_output --partial "../t/documents.jsonl: unsafe entry name"
	assert_output --partial "/t/documents.jsonl: unsafe entry name"
}
