#!/usr/bin/env bats
# cvx-schema: an export's tables as typed PostgreSQL DDL.

load test_helper
load pg_helper

setup_file() { pg_start; }
teardown_file() { pg_stop; }

# An ID of table number $1 with internal id $2 (hex, padded to 16 bytes).
id() {
	"$CVX_BUILD/tests/convexid" encode "$1" "$(printf '%032x' "$2")"
}

# A folder export in $BATS_TEST_TMPDIR/x: _tables lines from $1
# ("name=number ..."); then each table's documents come from the files
# written with doc NAME.
mkexport() {
	X=$BATS_TEST_TMPDIR/x
	mkdir -p "$X/_tables"
	: >"$X/_tables/documents.jsonl"
	local t
	for t in $1; do
		printf '{"name":"%s","id":%s}\n' "${t%=*}" "${t#*=}" \
		    >>"$X/_tables/documents.jsonl"
	done
}

# Documents of table $1 of the folder export (stdin), uniform encoding.
doc() {
	mkdir -p "$X/$1"
	cat >"$X/$1/documents.jsonl"
	printf '"uniform"\n' >"$X/$1/generated_schema.jsonl"
}

# The column line of "$2" in table "$1" of the DDL in $output.
col() {
	awk -v t="CREATE TABLE \"$1\" (" -v c="	\"$2\" " '
	    $0 == t { on = 1; next } on && /^\);/ { on = 0 }
	    on && index($0, c) == 1 { print }' <<<"$output"
}

# The users/messages export most tests use: 2 users, 3 messages.
chat() {
	mkexport "users=10001 messages=10002 empty=10003"
	U1=$(id 10001 1) U2=$(id 10001 2)
	M1=$(id 10002 1) M2=$(id 10002 2) M3=$(id 10002 3)
	doc users <<EOF
{"_creationTime":1700000000000.5,"_id":"$U1","age":30,"name":"ann","score":1.5,"vip":true}
{"_creationTime":1700000000001.5,"_id":"$U2","age":41,"name":"bob","score":2,"vip":false}
EOF
	doc messages <<EOF
{"_creationTime":1700000000002.5,"_id":"$M1","author":"$U1","body":"hi","meta":{"a":1},"mix":"x","tags":["a"]}
{"_creationTime":1700000000003.5,"_id":"$M2","author":"$U2","body":"yo","mix":2,"reply":"$M1"}
{"_creationTime":1700000000004.5,"_id":"$M3","author":"$U1","body":null,"mix":null,"reply":"$M2"}
EOF
	doc empty </dev/null
}

@test "-h prints the usage and the options on stdout and exits 0" {
	run -0 --separate-stderr cvx-schema -h
	assert_line --index 0 --partial 'usage: cvx-schema'
	assert_line --partial -- '--deferrable'
	[ -z "$stderr" ]
}

@test "a bad option is a usage error: exit 2" {
	run -2 --separate-stderr cvx-schema --nope
	assert_equal "$output" ""
	[[ $stderr == *"usage: cvx-schema"* ]]
}

@test "types come from the values: int64, float64, both, string, boolean, mixed" {
	chat
	run -0 cvx-schema "$X"
	assert_equal "$(col users age)" '	"age" bigint NOT NULL,'
	assert_equal "$(col users score)" '	"score" double precision NOT NULL,'
	assert_equal "$(col users name)" '	"name" text NOT NULL,'
	assert_equal "$(col users vip)" '	"vip" boolean NOT NULL'
	assert_equal "$(col messages meta)" '	"meta" jsonb,'
	assert_equal "$(col messages tags)" '	"tags" jsonb'
	assert_equal "$(col messages mix)" '	"mix" jsonb, -- holds int64, string'
	assert_line '	"_creationTime" timestamptz NOT NULL,'
}

@test "NOT NULL only where every document has the field, not null" {
	chat
	run -0 cvx-schema "$X"
	# body is null once, reply is missing once.
	assert_equal "$(col messages body)" '	"body" text,'
	assert_equal "$(col messages reply)" \
	    '	"reply" text REFERENCES "messages" ("_id") DEFERRABLE INITIALLY DEFERRED,'
	assert_equal "$(col messages author)" \
	    '	"author" text NOT NULL REFERENCES "users" ("_id") DEFERRABLE INITIALLY DEFERRED,'
}

@test "every listed table is created, the empty ones too" {
	chat
	echo '{"name":"listed","id":10004}' >>"$X/_tables/documents.jsonl"
	mkdir "$X/idle"
	: >"$X/idle/documents.jsonl"
	run -0 cvx-schema "$X"
	assert_line 'CREATE TABLE "empty" ('
	assert_line 'CREATE TABLE "idle" ('
	assert_line 'CREATE TABLE "listed" ('
	assert_line --partial '-- PostgreSQL tables for a Convex export, by cvx-schema'
	[[ $output == *"5 tables."* ]]
}

@test "an int64 beyond 2^53 beside floats makes numeric; bytes bytea; \$float double" {
	mkexport "t=10001"
	doc t <<EOF
{"_creationTime":1.0,"_id":"$(id 10001 1)","b":{"\$bytes":"AAE="},"f":{"\$float":"AAAAAAAA+H8="},"n":9007199254740993,"p":1}
{"_creationTime":2.0,"_id":"$(id 10001 2)","b":{"\$bytes":""},"f":1.5,"n":0.5,"p":0.5}
EOF
	run -0 cvx-schema "$X"
	assert_equal "$(col t n)" '	"n" numeric NOT NULL,'
	assert_equal "$(col t p)" '	"p" double precision NOT NULL'
	assert_equal "$(col t b)" '	"b" bytea NOT NULL,'
	assert_equal "$(col t f)" '	"f" double precision NOT NULL,'
}

@test "a dangling reference is reported, and declared by no constraint" {
	chat
	# A message by a user the export does not hold.
	echo "{\"_creationTime\":1.5,\"_id\":\"$(id 10002 9)\",\"author\":\"$(id 10001 7)\",\"body\":\"x\",\"mix\":1}" \
	    >>"$X/messages/documents.jsonl"
	run -0 --separate-stderr cvx-schema "$X"
	assert_equal "$(col messages author)" \
	    '	"author" text NOT NULL, -- IDs of users, 1 of them dangling'
	[[ $stderr == *"table messages, field author: 1 of its IDs name no document of users: no REFERENCES"* ]]
}

@test "IDs of several tables, or of a table not in the export, get a comment" {
	chat
	mkexport "users=10001 t=10002"
	doc users <<<"{\"_creationTime\":1.5,\"_id\":\"$(id 10001 1)\"}"
	doc t <<EOF
{"_creationTime":1.5,"_id":"$(id 10002 1)","any":"$(id 10001 1)","gone":"$(id 10009 1)"}
{"_creationTime":1.5,"_id":"$(id 10002 2)","any":"$(id 10002 1)","gone":"$(id 10009 2)"}
EOF
	run -0 cvx-schema "$X"
	assert_equal "$(col t any)" '	"any" text NOT NULL, -- IDs of several tables'
	assert_equal "$(col t gone)" \
	    '	"gone" text NOT NULL -- IDs of table number 10009, which the export does not hold'
}

@test "a reference to a table made later is added after the tables" {
	mkexport "a=10001 b=10002"
	doc a <<<"{\"_creationTime\":1.5,\"_id\":\"$(id 10001 1)\",\"b\":\"$(id 10002 1)\"}"
	doc b <<<"{\"_creationTime\":1.5,\"_id\":\"$(id 10002 1)\"}"
	run -0 cvx-schema "$X"
	assert_line 'ALTER TABLE "a" ADD FOREIGN KEY ("b") REFERENCES "b" ("_id") DEFERRABLE INITIALLY DEFERRED;'
	assert_equal "$(col a b)" \
	    '	"b" text NOT NULL -- IDs of b: its foreign key comes after the tables'
}

@test "--no-references leaves the constraints out; they are deferred unless --immediate" {
	chat
	run -0 cvx-schema --no-references "$X"
	refute_output --partial REFERENCES
	assert_equal "$(col messages author)" \
	    '	"author" text NOT NULL, -- IDs of users'
	for opt in "" --deferrable; do
		run -0 cvx-schema $opt "$X"
		assert_equal "$(col messages author)" \
		    '	"author" text NOT NULL REFERENCES "users" ("_id") DEFERRABLE INITIALLY DEFERRED,'
	done
	run -0 cvx-schema --immediate "$X"
	assert_equal "$(col messages author)" \
	    '	"author" text NOT NULL REFERENCES "users" ("_id"),'
	assert_output --partial 'parents must load first'
}

@test "--snake snake_cases field names, and refuses two that become one" {
	mkexport "t=10001"
	doc t <<<"{\"_creationTime\":1.5,\"_id\":\"$(id 10001 1)\",\"HTTPCode\":1,\"userId\":\"x\"}"
	run -0 cvx-schema --snake "$X"
	assert_line '	"_creation_time" timestamptz NOT NULL,'
	assert_line '	"http_code" bigint NOT NULL,'
	assert_line '	"user_id" text NOT NULL'
	doc t <<<"{\"_creationTime\":1.5,\"_id\":\"$(id 10001 1)\",\"user_id\":1,\"userId\":\"x\"}"
	run -1 --separate-stderr cvx-schema --snake "$X"
	assert_equal "$output" ""
	[[ $stderr == *"fields userId and user_id are both user_id with --snake"* ]]
}

@test "a legacy generated_schema.jsonl gives the types the strings hide" {
	mkexport "t=10001"
	mkdir "$X/t"
	echo "{\"_creationTime\":1.5,\"_id\":\"$(id 10001 1)\",\"big\":\"12\",\"blob\":\"AAE=\",\"f\":\"NaN\"}" \
	    >"$X/t/documents.jsonl"
	cat >"$X/t/generated_schema.jsonl" <<'EOF'
"{\"_creationTime\": normalfloat64, \"_id\": id<10001>, \"big\": int64, \"blob\": bytes, \"f\": NaN | normalfloat64, \"opt\"?: string}"
EOF
	run -0 cvx-schema "$X"
	assert_equal "$(col t big)" '	"big" bigint NOT NULL,'
	assert_equal "$(col t blob)" '	"blob" bytea NOT NULL,'
	assert_equal "$(col t f)" '	"f" double precision NOT NULL,'
	assert_equal "$(col t opt)" '	"opt" text'
}

@test "a legacy shape this reader does not know: a warning, types from the documents" {
	mkexport "t=10001"
	mkdir "$X/t"
	echo "{\"_creationTime\":1.5,\"_id\":\"$(id 10001 1)\",\"big\":\"12\"}" \
	    >"$X/t/documents.jsonl"
	echo '"{\"_id\": wibble}"' >"$X/t/generated_schema.jsonl"
	run -0 --separate-stderr cvx-schema "$X"
	assert_equal "$(col t big)" '	"big" text NOT NULL'
	[[ $stderr == *"t/generated_schema.jsonl: a type this reader does not know in the shape: types from the documents alone"* ]]
}

@test "a component's tables are named component:table, its IDs its own" {
	chat
	mkdir -p "$X/_components/wp/_tables"
	echo '{"name":"jobs","id":10001}' >"$X/_components/wp/_tables/documents.jsonl"
	mkdir "$X/_components/wp/jobs"
	echo "{\"_creationTime\":1.5,\"_id\":\"$(id 10001 5)\",\"next\":\"$(id 10001 5)\"}" \
	    >"$X/_components/wp/jobs/documents.jsonl"
	run -0 cvx-schema "$X"
	assert_line 'CREATE TABLE "wp:jobs" ('
	assert_equal "$(col wp:jobs next)" \
	    '	"next" text NOT NULL REFERENCES "wp:jobs" ("_id") DEFERRABLE INITIALLY DEFERRED'
	# -t and -x match the identity wp:jobs, as in cvx-unzip.
	run -0 cvx-schema -t 'wp:*' "$X"
	assert_line 'CREATE TABLE "wp:jobs" ('
	refute_line --partial 'CREATE TABLE "users"'
	run -0 cvx-schema -x 'wp:*' "$X"
	refute_line --partial 'CREATE TABLE "wp:jobs"'
	run -1 --separate-stderr cvx-schema -t 'wp/*' "$X"
	[[ $stderr == *"-t 'wp/*' matches no table (tables: "*"wp:jobs)"* ]] || fail "$stderr"
}

@test "the same export as a folder, a ZIP, a ZIP on a pipe: the same DDL" {
	chat
	python3 "$ROOT/tests/mkzip.py" "$BATS_TEST_TMPDIR/x.zip" --dir "$X"
	cvx-schema "$X" >"$BATS_TEST_TMPDIR/dir.sql"
	run -0 cvx-schema "$BATS_TEST_TMPDIR/x.zip"
	assert_equal "$output" "$(cat "$BATS_TEST_TMPDIR/dir.sql")"
	run -0 bash -c 'cat "$1" | cvx-schema' _ "$BATS_TEST_TMPDIR/x.zip"
	assert_equal "$output" "$(cat "$BATS_TEST_TMPDIR/dir.sql")"
}

@test "the stream gives the tables it names, typed the same" {
	chat
	# The stream cannot know the empty table; the rest is the same.
	cvx-schema "$X" | awk '/^-- empty:/ { skip = 1 } !skip && NF &&
	    !/^-- PostgreSQL/ { print } skip && /^\);/ { skip = 0 }' \
	    >"$BATS_TEST_TMPDIR/dir.sql"
	run -0 bash -c 'cvx-unzip "$1" | cvx-schema' _ "$X"
	assert_equal "$(grep -v '^-- PostgreSQL' <<<"$output" | grep -v '^$')" \
	    "$(cat "$BATS_TEST_TMPDIR/dir.sql")"
}

@test "an upstream abort line fails the run: exit 1, no DDL" {
	run -1 --separate-stderr bash -c 'cvx-unzip /nonexistent.zip 2>/dev/null | cvx-schema'
	assert_equal "$output" ""
	[[ $stderr == *"upstream failed"* ]]
}

@test "bad input is an error with its position, and no DDL" {
	chat
	echo '{"_id":"nope"}' >>"$X/messages/documents.jsonl"
	run -1 --separate-stderr cvx-schema "$X"
	assert_equal "$output" ""
	[[ $stderr == *"messages/documents.jsonl: line 4: not a Convex ID"* ]]
	mkdir "$BATS_TEST_TMPDIR/none"
	run -1 --separate-stderr cvx-schema "$BATS_TEST_TMPDIR/none"
	[[ $stderr == *"not a Convex snapshot export"* ]]
}

@test "-o writes the file whole, and leaves it alone on failure" {
	chat
	run -0 cvx-schema -o "$BATS_TEST_TMPDIR/s.sql" "$X"
	assert_equal "$output" ""
	run -0 cvx-schema "$X"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/s.sql")" "$output"
	echo 'old' >"$BATS_TEST_TMPDIR/s.sql"
	echo '{' >>"$X/users/documents.jsonl"
	run -1 cvx-schema -o "$BATS_TEST_TMPDIR/s.sql" "$X"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/s.sql")" old
	assert_equal "$(ls "$BATS_TEST_TMPDIR" | grep -c 's.sql.')" 0
}

@test "a full stdout is exit 1" {
	chat
	run -1 bash -c 'cvx-schema "$1" >/dev/full' _ "$X"
}

# ---- PostgreSQL: the DDL, the load into it, and its values -------------

# Load export $1 twice into $DB: with cvx-pg-load --create into schema
# raw, and into the DDL of cvx-schema ${@:2} in schema public; then check
# that every table of the export exists and that each column's values
# equal the doc jsonb values of --create, converted to the column's type.
load_both() {
	local x=$1
	shift
	sql -c 'CREATE SCHEMA raw'
	cvx-unzip "$x" | cvx-pg-load --dbname "$DB" --schema raw --create \
	    --summary none
	cvx-schema "$@" "$x" >"$BATS_TEST_TMPDIR/ddl.sql" \
	    2>"$BATS_TEST_TMPDIR/ddl.err"
	psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$BATS_TEST_TMPDIR/ddl.sql" \
	    >/dev/null
	cvx-unzip "$x" | cvx-pg-load --dbname "$DB" --summary none
}

# The tables of export $1 (ZIP or folder), listed without cvx: _tables and
# the <table>/documents.jsonl entries of the root.
export_tables() {
	python3 - "$1" <<'EOF'
import json, os, sys, zipfile
p = sys.argv[1]
if os.path.isdir(p):
	names = [os.path.relpath(os.path.join(d, f), p)
	    for d, _, fs in os.walk(p) for f in fs]
	read = lambda n: open(os.path.join(p, n), "rb").read()
else:
	z = zipfile.ZipFile(p)
	names, read = z.namelist(), z.read
out = set()
for n in names:
	parts = n.split("/")
	if len(parts) == 2 and parts[1] == "documents.jsonl" and \
	    not parts[0].startswith("_"):
		out.add(parts[0])
	if n == "_tables/documents.jsonl":
		for line in read(n).splitlines():
			out.add(json.loads(line)["name"])
print("\n".join(sorted(out)))
EOF
}

# Every column equal to --create's doc, converted (tests/schema-check.sql).
check_values() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$ROOT/tests/schema-check.sql"
}

# The real exports: ZIPs and folders (altar's folder is user-corrupted).
corpus_exports() {
	find "$CORPUS" -name '*.zip' | sort
	for d in gus-litterbox-status/convex-export \
	    anouk-app/repo-folder-62312f3f migrasi notion/snapshot \
	    darkfit/convex-backup; do
		echo "$CORPUS/$d"
	done
}

@test "every real export: DDL applies, the load fits it, every table exists, values equal --create's" {
	require_corpus
	local x d n=0 dangling=0
	while read -r x; do
		pg_newdb
		n=$((n + 1))
		load_both "$x" ||
		    fail "$x: the load into the DDL failed"
		assert_equal \
		    "$(sql -c "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = relnamespace WHERE nspname = 'public' AND relkind = 'r' ORDER BY relname::text COLLATE \"C\"")" \
		    "$(export_tables "$x")"
		run check_values
		[ "$status" -eq 0 ] || fail "$x: $output"
		# Each dangling reference is reported and has no constraint.
		d=$(grep -c 'of them dangling' "$BATS_TEST_TMPDIR/ddl.sql" || :)
		assert_equal "$(grep -c 'no REFERENCES$' "$BATS_TEST_TMPDIR/ddl.err" || :)" "$d"
		dangling=$((dangling + d))
	done < <(corpus_exports)
	[ "$n" -ge 10 ]
	# Real exports do have dangling references (deleted users).
	[ "$dangling" -gt 0 ]
}

@test "the value check fails when a column differs from --create's doc" {
	chat
	pg_newdb
	load_both "$X"
	run -0 check_values
	sql -c "UPDATE public.users SET age = age + 1 WHERE name = 'ann'"
	run -3 check_values
	assert_output --partial 'column users.age: 1 rows differ'
}

@test "int64 beyond 2^53, bytes, NaN load into their types, equal to --create's" {
	mkexport "t=10001"
	doc t <<EOF
{"_creationTime":1.0,"_id":"$(id 10001 1)","b":{"\$bytes":"AAE="},"f":{"\$float":"AAAAAAAA+H8="},"i":-9223372036854775808,"n":9007199254740993,"p":1}
{"_creationTime":2.5,"_id":"$(id 10001 2)","b":{"\$bytes":""},"f":1.5,"i":7,"n":0.5,"p":0.5}
EOF
	pg_newdb
	load_both "$X"
	run -0 check_values
	assert_equal "$(sql -c 'SELECT n, i FROM public.t ORDER BY 1')" \
	    "0.5|7
9007199254740993|-9223372036854775808"
}

@test "a dangling reference: no constraint, and the load goes through" {
	chat
	echo "{\"_creationTime\":1.5,\"_id\":\"$(id 10002 9)\",\"author\":\"$(id 10001 7)\",\"body\":\"x\",\"mix\":1}" \
	    >>"$X/messages/documents.jsonl"
	pg_newdb
	load_both "$X" 2>/dev/null
	run -0 check_values
	# The reference that holds is declared and enforced.
	run -1 sql -c "UPDATE public.messages SET reply = '$(id 10002 8)' WHERE body = 'yo'"
	assert_output --partial 'foreign key'
}

@test "EXAMPLE: cvx-schema export.zip | psql; cvx-unzip | cvx-pg-load" {
	chat
	python3 "$ROOT/tests/mkzip.py" "$BATS_TEST_TMPDIR/export.zip" --dir "$X"
	pg_newdb
	cd "$BATS_TEST_TMPDIR"
	run -0 bash -c 'cvx-schema export.zip | psql -v ON_ERROR_STOP=1 --dbname "$DB" &&
	    cvx-unzip export.zip | cvx-pg-load --dbname "$DB"'
	assert_equal "$(sql -c 'SELECT name, age FROM users ORDER BY 1')" \
	    "ann|30
bob|41"
}

@test "EXAMPLE: cvx-schema --output schema.sql export.zip" {
	chat
	python3 "$ROOT/tests/mkzip.py" "$BATS_TEST_TMPDIR/export.zip" --dir "$X"
	cd "$BATS_TEST_TMPDIR"
	run -0 cvx-schema --output schema.sql export.zip
	run -0 grep -c '^CREATE TABLE' schema.sql
	assert_output 3
}

@test "EXAMPLE: cvx-unzip export.zip | cvx-schema --no-references" {
	chat
	python3 "$ROOT/tests/mkzip.py" "$BATS_TEST_TMPDIR/export.zip" --dir "$X"
	cd "$BATS_TEST_TMPDIR"
	run -0 bash -c 'cvx-unzip export.zip | cvx-schema --no-references'
	assert_line 'CREATE TABLE "messages" ('
	refute_output --partial REFERENCES
}

@test "examples/laravel-chat/README.md shows the threads table cvx-schema writes" {
	run -0 cvx-schema "$ROOT/examples/chat-export.zip"
	assert_equal \
	    "$(awk '/^    CREATE TABLE "threads"/,/^    \);/' "$ROOT/examples/laravel-chat/README.md" | sed 's/^    //')" \
	    "$(awk '/^CREATE TABLE "threads"/,/^\);/' <<<"$output")"
}

@test "the bundled export: DDL, load, values equal --create's" {
	pg_newdb
	load_both "$ROOT/examples/chat-export.zip"
	run -0 check_values
	assert_equal "$(sql -c 'SELECT count(*) FROM public.messages')" 300
}

@test "-t and -x select tables; a reference into a left-out one gets a comment" {
	chat
	run -0 cvx-schema --tables 'mess*' "$X"
	refute_line 'CREATE TABLE "users" ('
	assert_line 'CREATE TABLE "messages" ('
	assert_equal "$(col messages author)" \
	    '	"author" text NOT NULL, -- IDs of users, which -t or -x leave out'
	run -0 cvx-schema --exclude users,empty "$X"
	[[ $output == *"1 table."* ]]
	run -1 --separate-stderr cvx-schema --tables nope "$X"
	assert_equal "$output" ""
	[[ $stderr == *"-t 'nope' matches no table (tables: users, messages, empty)"* ]]
}

@test "EXAMPLE: cvx-schema --exclude 'auth*' export.zip" {
	run -0 cvx-schema --exclude 'auth*' "$ROOT/examples/chat-export.zip"
	refute_output --partial 'CREATE TABLE "auth'
	assert_line 'CREATE TABLE "users" ('
}

@test "-q prints no warning for a dangling reference" {
	chat
	echo "{\"_creationTime\":1.5,\"_id\":\"$(id 10002 9)\",\"author\":\"$(id 10001 7)\",\"body\":\"x\",\"mix\":1}" \
	    >>"$X/messages/documents.jsonl"
	run -0 --separate-stderr cvx-schema --quiet "$X"
	assert_equal "$stderr" ""
	assert_equal "$(col messages author)" \
	    '	"author" text NOT NULL, -- IDs of users, 1 of them dangling'
}
