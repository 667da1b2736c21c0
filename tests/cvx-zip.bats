#!/usr/bin/env bats
# cvx-zip: the stream into a ZIP for `npx convex import`.

load test_helper

setup_file() {
	export CHECK="python3 $BATS_TEST_DIRNAME/convex_import_check.py"
	export CID=$CVX_BUILD/tests/convexid
	# Valid ids of tables 10001 and 10002, and one with a broken checksum.
	export ID1=$($CID encode 10001 000102030405060708090a0b0c0d0e0f)
	export ID1B=$($CID encode 10001 0f0e0d0c0b0a09080706050403020100)
	export ID2=$($CID encode 10002 000102030405060708090a0b0c0d0e0f)
	export BADSUM=${ID1%?}$([ "${ID1: -1}" = 0 ] && echo 1 || echo 0)
}

# Assert that stderr holds the text $1.
stderr_has() {
	[[ $stderr == *"$1"* ]] || fail "stderr lacks '$1': $stderr"
}

# A small stream: two tables, interleaved.
stream() {
	cat <<EOT
{"_table":"users","_creationTime":1700000000000.5,"_id":"$ID1","age":5,"name":"a"}
{"_table":"posts","_creationTime":1700000000001.0,"_id":"$ID2","n":1.5}
{"_table":"users","_creationTime":1700000000002.5,"_id":"$ID1B","big":9007199254740993}
EOT
}

@test "convexid: id_v6.rs's stability vector" {
	run -0 "$CID" vector
	assert_output z43zp6c3e75gkmz1kfwj6mbbx5sw281h
}

@test "convexid: decode gives back the table and internal id" {
	run -0 "$CID" decode "$ID1"
	assert_output "10001 000102030405060708090a0b0c0d0e0f"
}

@test "convexid: checksum, alphabet, length and canonical form are checked" {
	run -0 "$CID" decode "$BADSUM" "${ID1^^}" "${ID1}0" abc
	assert_line -n 0 "error not a Convex ID: checksum mismatch"
	assert_line -n 1 --partial "Crockford"
	assert_line -n 2 "error not a Convex ID: not in canonical form"
	assert_line -n 3 "error not a Convex ID: wrong length"
}

@test "round trip of every real export" {
	require_corpus
	local d x n=0
	d=$(scratch)
	for x in "$CORPUS"/migrasi "$CORPUS"/notion/snapshot \
	    "$CORPUS"/darkfit/convex-backup "$CORPUS"/*/*.zip; do
		cvx-unzip "$x" > "$d/in" || fail "cvx-unzip $x"
		[ -s "$d/in" ] || continue	# the empty cron-jobs export
		cvx-zip --int64 '*' -o "$d/out.zip" < "$d/in" ||
		    fail "cvx-zip on $x"
		cvx-unzip "$d/out.zip" > "$d/back" || fail "re-read $x"
		diff <(sort "$d/in") <(sort "$d/back") || fail "differs: $x"
		unzip -tq "$d/out.zip" >/dev/null || fail "unzip -t: $x"
		$CHECK "$d/out.zip" || fail "import check: $x"
		n=$((n + 1))
	done
	[ "$n" -ge 7 ]
}

@test "a re-zipped export keeps its table numbers" {
	require_corpus
	local d
	d=$(scratch)
	cvx-unzip "$CORPUS/migrasi" | cvx-zip -o "$d/z.zip" \
	    --table-numbers-out "$d/n"
	diff <(sort "$CORPUS/migrasi/_tables/documents.jsonl") <(sort "$d/n")
}

@test "the same input gives the same bytes" {
	local d
	d=$(scratch)
	stream | cvx-zip --int64 users.big -o "$d/a.zip"
	stream | TZ=Asia/Tokyo cvx-zip --int64 users.big -o "$d/b.zip"
	[ "$(sha256sum < "$d/a.zip")" = "$(sha256sum < "$d/b.zip")" ]
}

@test "entries: _tables, then each table in number order, uniform schema" {
	local d
	d=$(scratch)
	stream | sed 's/"big":9007199254740993/"big":1/' | cvx-zip > "$d/z.zip"
	run -0 python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(" ".join(z.namelist()))
print(z.read("_tables/documents.jsonl").decode(), end="")
print(z.read("users/generated_schema.jsonl").decode(), end="")
print(z.read("users/documents.jsonl").decode(), end="")' "$d/z.zip"
	assert_line -n 0 "_tables/documents.jsonl users/documents.jsonl users/generated_schema.jsonl posts/documents.jsonl posts/generated_schema.jsonl"
	assert_line -n 1 '{"name":"users","id":10001}'
	assert_line -n 2 '{"name":"posts","id":10002}'
	assert_line -n 3 '"uniform"'
	assert_line -n 4 "{\"_creationTime\":1700000000000.5,\"_id\":\"$ID1\",\"age\":5.0,\"name\":\"a\"}"
	assert_line -n 5 --partial '"big":1.0}'
	$CHECK "$d/z.zip"
}

@test "--int64 keeps the integers of the fields it names" {
	local d
	d=$(scratch)
	stream | cvx-zip --int64 'users.big' > "$d/z.zip"
	run -0 unzip -p "$d/z.zip" users/documents.jsonl
	assert_line -n 0 --partial '"age":5.0,'
	assert_line -n 1 --partial '"big":9007199254740993}'
}

@test "an integer beyond 2^53 outside --int64 fields: exit 1, line and field" {
	local d
	d=$(scratch)
	run -1 --separate-stderr cvx-zip -o "$d/z.zip" < <(stream)
	stderr_has "line 3: table users: field big: integer 9007199254740993 is beyond 2^53"
	[ ! -e "$d/z.zip" ]
	[ -z "$(ls -A "$d")" ]
}

@test "an abort line upstream: exit 1, no file at -o" {
	local d
	d=$(scratch)
	run -1 --separate-stderr bash -c "{ head -1 <<< '$(stream)'; echo '#cvx-abort cvx-unzip: boom'; } | cvx-zip -o '$d/z.zip'"
	stderr_has "line 2: upstream failed: cvx-unzip: boom"
	[ -z "$(ls -A "$d")" ]
}

@test "a failed run leaves an existing -o file alone" {
	local d
	d=$(scratch)
	echo old > "$d/z.zip"
	run -1 cvx-zip -o "$d/z.zip" < <(stream)
	[ "$(cat "$d/z.zip")" = old ]
	[ "$(ls -A "$d")" = z.zip ]
}

@test "_id of another table: exit 1 naming line and field" {
	run -1 --separate-stderr cvx-zip -n <<EOT
{"_table":"users","_id":"$ID1"}
{"_table":"users","_id":"$ID2"}
EOT
	stderr_has "line 2: table users: field _id: carries table number 10002, but the _id at line 1 carries 10001"
}

@test "_id with a bad checksum: exit 1 naming line and field" {
	run -1 --separate-stderr cvx-zip -n <<< "{\"_table\":\"t\",\"_id\":\"$BADSUM\"}"
	stderr_has "line 1: table t: field _id: \"$BADSUM\": not a Convex ID: checksum mismatch"
}

@test "an integer _creationTime: exit 1 naming line and field" {
	run -1 --separate-stderr cvx-zip -n <<< '{"_table":"t","_creationTime":1700000000000}'
	stderr_has "line 1: table t: field _creationTime: _creationTime 1700000000000 is an integer"
}

@test "bad field names: exit 1 naming line and field" {
	run -1 --separate-stderr cvx-zip -n <<< '{"_table":"t","_secret":1.0}'
	stderr_has "line 1: table t: field _secret: top-level field name starts with '_'"
	run -1 --separate-stderr cvx-zip -n <<< '{"_table":"t","a":{"$x":1.0,"b":2.0}}'
	stderr_has "field a.\$x: an object whose first key starts with '\$' must be"
	run -1 --separate-stderr cvx-zip -n <<< '{"_table":"t","a":{"b":2.0,"$x":1.0}}'
	stderr_has "field a.\$x: field name starts with '\$'"
	run -1 --separate-stderr cvx-zip -n <<< '{"_table":"t","a":[{"é":1.0}]}'
	stderr_has "field a[0].é: field name has a character outside printable ASCII"
}

@test "limits: nesting, array length, duplicate fields" {
	run -1 --separate-stderr cvx-zip -n <<< "{\"_table\":\"t\",\"a\":$(printf '[%.0s' {1..16})1.0$(printf ']%.0s' {1..16})}"
	stderr_has "nested deeper than 16 levels"
	run -1 --separate-stderr cvx-zip -n < <(python3 -c 'import json; print(json.dumps({"_table":"t","a":[1.0]*8193}))')
	stderr_has "array longer than 8192"
	run -1 --separate-stderr cvx-zip -n <<< '{"_table":"t","a":1.0,"a":2.0}'
	stderr_has "field a given twice"
}

@test "\$bytes and \$float pass through, checked" {
	local d
	d=$(scratch)
	cvx-zip > "$d/z.zip" <<< '{"_table":"t","b":{"$bytes":"AAEC"},"f":{"$float":"AAAAAAAA+H8="}}'
	run -0 unzip -p "$d/z.zip" t/documents.jsonl
	assert_output '{"b":{"$bytes":"AAEC"},"f":{"$float":"AAAAAAAA+H8="}}'
	$CHECK "$d/z.zip"
	run -1 --separate-stderr cvx-zip -n <<< '{"_table":"t","f":{"$float":"AAAAAAAA8D8="}}'
	stderr_has "must be written as a number"
}

@test "table numbers: --table-numbers, then _id, then 10001 upward" {
	local d
	d=$(scratch)
	printf '%s\n' '{"name":"a","id":10001}' > "$d/nums"
	cvx-zip --table-numbers "$d/nums" --table-numbers-out "$d/out" \
	    > "$d/z.zip" <<EOT
{"_table":"a","x":1.0}
{"_table":"b","x":1.0}
{"_table":"c","_id":"$ID2"}
EOT
	run -0 cat "$d/out"
	assert_output '{"name":"a","id":10001}
{"name":"c","id":10002}
{"name":"b","id":10003}'
	$CHECK "$d/z.zip"
}

@test "--table-numbers wins, and an _id that disagrees is an error" {
	local d
	d=$(scratch)
	printf '%s\n' '{"name":"users","id":10005}' > "$d/nums"
	run -1 --separate-stderr cvx-zip -n --table-numbers "$d/nums" <<< "{\"_table\":\"users\",\"_id\":\"$ID1\"}"
	stderr_has "line 1: table users: field _id: carries table number 10001, but --table-numbers gives the table 10005"
}

@test "-t selects tables; a pattern that matches none fails" {
	local d
	d=$(scratch)
	stream | cvx-zip -t posts -o "$d/z.zip"
	run -0 python3 -c 'import sys, zipfile; print(" ".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$d/z.zip"
	assert_output "_tables/documents.jsonl posts/documents.jsonl posts/generated_schema.jsonl"
	run -1 --separate-stderr cvx-zip -n -t nosuch < <(stream)
	stderr_has "-t: no table matches 'nosuch'"
}

@test "-x leaves tables out, with or without -t" {
	local d
	d=$(scratch)
	stream | cvx-zip --int64 users.big --exclude 'p*' -o "$d/z.zip"
	run -0 python3 -c 'import sys, zipfile; print(" ".join(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.endswith("documents.jsonl")))' "$d/z.zip"
	refute_output --partial posts
	assert_output --partial "_tables/documents.jsonl"
	stream | cvx-zip --int64 users.big -t '*' -x posts -o "$d/y.zip"
	run -0 python3 -c 'import sys, zipfile; print(" ".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$d/y.zip"
	refute_output --partial posts
}

@test "-n checks and writes nothing" {
	local d
	d=$(scratch)
	cd "$d"
	run -0 --separate-stderr cvx-zip -n -o z.zip --table-numbers-out n < <(stream | sed 's/9007199254740993/1/')
	assert_output ""
	[ -z "$(ls -A "$d")" ]
}

@test "the import checker rejects broken ZIPs" {
	local d
	d=$(scratch)
	mk() { python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], "w")
for i in range(2, len(sys.argv), 2):
	z.writestr(sys.argv[i], sys.argv[i + 1])' "$@"; }
	mk "$d/ok.zip" t/documents.jsonl '{"a":1}'$'\n' t/generated_schema.jsonl '"uniform"'
	$CHECK "$d/ok.zip"
	mk "$d/1.zip" t/documents.jsonl '{"_creationTime":5}'$'\n' t/generated_schema.jsonl '"uniform"'
	run -1 $CHECK "$d/1.zip"
	mk "$d/2.zip" t/documents.jsonl "{\"_id\":\"$BADSUM\"}" t/generated_schema.jsonl '"uniform"'
	run -1 $CHECK "$d/2.zip"
	mk "$d/3.zip" t/documents.jsonl '{"a":1}'$'\n\n' t/generated_schema.jsonl '"uniform"'
	run -1 $CHECK "$d/3.zip"
	mk "$d/4.zip" t/documents.jsonl '{"_x":1}' t/generated_schema.jsonl '"uniform"'
	run -1 $CHECK "$d/4.zip"
	mk "$d/5.zip" _tables/documents.jsonl '{"name":"t","id":10002}' t/documents.jsonl "{\"_id\":\"$ID1\"}" t/generated_schema.jsonl '"uniform"'
	run -1 $CHECK "$d/5.zip"
	mk "$d/6.zip" 'bad-name/documents.jsonl' '{}' 'bad-name/generated_schema.jsonl' '"uniform"'
	run -1 $CHECK "$d/6.zip"
}

@test "usage: -h, -V, a bad option, a terminal" {
	run -0 cvx-zip -h
	assert_output --partial "usage: cvx-zip"
	run -0 cvx-zip -V
	assert_output "cvx-zip 0.1.0"
	run -2 cvx-zip --nosuch
}

@test "components: entries under _components/, numbers per component, round trip" {
	local d
	d=$(scratch)
	cat >"$d/in" <<EOT
{"_table":"users","_creationTime":1700000000000.5,"name":"root"}
{"_table":"users","_component":"auth","_creationTime":1700000000001.5,"name":"in auth"}
{"_table":"sessions","_component":"auth","_creationTime":1700000000002.5,"n":1.5}
{"_table":"jobs","_component":"a/b","_creationTime":1700000000003.5,"k":"x"}
EOT
	cvx-zip -o "$d/z.zip" --table-numbers-out "$d/numbers" <"$d/in"
	run -0 python3 -c 'import sys, zipfile
print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$d/z.zip"
	assert_output "_tables/documents.jsonl
users/documents.jsonl
users/generated_schema.jsonl
_components/a/_components/b/_tables/documents.jsonl
_components/a/_components/b/jobs/documents.jsonl
_components/a/_components/b/jobs/generated_schema.jsonl
_components/auth/_tables/documents.jsonl
_components/auth/users/documents.jsonl
_components/auth/users/generated_schema.jsonl
_components/auth/sessions/documents.jsonl
_components/auth/sessions/generated_schema.jsonl"
	# Each component numbers its own tables from 10001.
	run -0 unzip -p "$d/z.zip" _components/auth/_tables/documents.jsonl
	assert_output '{"name":"users","id":10001}
{"name":"sessions","id":10002}'
	run -0 sort "$d/numbers"
	assert_line '{"name":"jobs","id":10001,"component":"a/b"}'
	$CHECK "$d/z.zip"
	# cvx-unzip reads the same documents back, each with its component.
	cvx-unzip "$d/z.zip" | cvx-count >"$d/counts"
	run -0 cat "$d/counts"
	assert_output "a/b:jobs	1
auth:sessions	1
auth:users	1
users	1"
	run -0 bash -c 'cvx-unzip "$0" | jq -c "select(._component == \"auth\" and ._table == \"users\") | .name"' "$d/z.zip"
	assert_output '"in auth"'
}

@test "Zip64: an entry over 4 GiB is written so that readers take it" {
	# 67 700 documents of 65 009 bytes once untagged: 4.4 GB of documents.jsonl, a few
	# MB of ZIP.  Python's zipfile reads the Zip64 sizes and checks the
	# CRC while it counts the lines back.
	local d n=67700
	d=$(scratch)
	python3 -c "print('{\"_table\":\"big\",\"s\":\"' + 'x' * 65000 + '\"}')" >"$d/line"
	yes "$(cat "$d/line")" | head -n "$n" |
	    TMPDIR=$d cvx-zip -o "$d/big.zip"
	run -0 python3 -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
i = z.getinfo("big/documents.jsonl")
assert i.file_size > 2**32, i.file_size
n = 0
with z.open(i) as f:
    while True:
        b = f.read(1 << 24)
        if not b:
            break
        n += b.count(b"\n")
print(i.file_size, n)' "$d/big.zip"
	assert_output "$((n * 65009)) $n"
}

@test "EXAMPLES of cvx-zip(1): a backup without its auth tables; minted IDs" {
	local d
	d=$(scratch)
	cd "$d"
	python3 "$ROOT/bench/gen-export.py" -q --messages 300 backup.zip
	cvx-unzip -x 'auth*' backup.zip | cvx-zip --int64 '*' -o restore.zip
	# The same documents, every _id kept, the auth tables gone.
	diff <(cvx-unzip -x 'auth*' backup.zip | sort) <(cvx-unzip restore.zip | sort)
	run -0 bash -c 'cvx-unzip -l restore.zip | cut -f2 | awk "/^auth/ { n++ } END { print n + 0 }"'
	assert_output 0
	run -0 bash -c 'cvx-unzip -l backup.zip | cut -f2 | awk "/^auth/ { n++ } END { print n + 0 }"'
	assert_output 2
	$CHECK restore.zip
	# Rows from elsewhere, numbered as the target deployment numbers them.
	cp backup.zip target-export.zip
	printf '%s\n' '{"_table":"threads","id":1,"title":"t"}' >rows.jsonl
	unzip -p target-export.zip _tables/documents.jsonl >tables.jsonl
	cvx-jsonl-map --table-numbers tables.jsonl \
	    '._id = cvx_id(._table; .id) | del(.id)' rows.jsonl |
	    cvx-zip --table-numbers tables.jsonl -o import.zip
	want=$(jq -r 'select(.name == "threads") | .id' tables.jsonl)
	run -0 bash -c 'cvx-unzip import.zip | cvx-jsonl-map "{n: (._id | cvx_table_number)}"'
	assert_output "{\"n\":$want}"
	$CHECK import.zip
}
