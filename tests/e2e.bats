#!/usr/bin/env bats
# All or nothing: a failure injected into any stage of
#   cvx-sha -c | cvx-unzip | cvx-jsonl-map | cvx-pg-load
# commits nothing, and the pipe's status is 1; the same import run twice
# leaves identical tables.  Real PostgreSQL (tests/pg-server), the
# laravel-chat runbook's schema and map on a synthetic chat export.

bats_require_minimum_version 1.5.0
load test_helper
load pg_helper

# The export under test: the bundled example's generator at a size where
# every injected fault comes after the first stage has written its first
# megabyte (CVX_IOSIZE), so the abort line, not silence, carries it on.
E2E_MESSAGES=4000

LARAVEL_TABLES="users threads agent_conversations runs run_events messages
agent_conversation_messages"

# The tools and inputs every test needs; missing ones skip (fail under CI).
e2e_missing() {
	local t
	for t in cvx-sha cvx-unzip cvx-jsonl-map cvx-pg-load cvx-count; do
		[ -x "$CVX_BUILD/$t" ] || { echo "$CVX_BUILD/$t not built"; return; }
	done
	[ -f "$ROOT/bench/gen-export.py" ] ||
	    { echo "bench/gen-export.py missing"; return; }
	command -v psql >/dev/null || echo "psql missing"
}


# Every row of the seven tables, in id order: the database's content.
dump() {
	local t
	for t in $LARAVEL_TABLES; do
		echo "== $t"
		psql_q "$1" -A -t -c "COPY (SELECT * FROM $t ORDER BY id) TO STDOUT"
	done
}

# Build the faulty inputs from the bundled export (python3's zipfile).
make_fixtures() {
	python3 - "$ZIP" "$FIX" <<'EOF'
import json, os, struct, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
name = "messages/documents.jsonl"
data = open(src, "rb").read()
z = zipfile.ZipFile(src)

# A flipped byte in the middle of the messages entry's deflate data.
info = z.getinfo(name)
off = info.header_offset
n, e = struct.unpack("<HH", data[off + 26:off + 30])
start = off + 30 + n + e
flipped = bytearray(data)
flipped[start + info.compress_size // 2] ^= 0x55
open(f"{out}/flipped.zip", "wb").write(flipped)

# Truncated at a third, a half and just before the central directory.
eocd = data.rfind(b"PK\x05\x06")
for i, at in enumerate([len(data) // 3, len(data) // 2, eocd - 1]):
	open(f"{out}/truncated{i}.zip", "wb").write(data[:at])

# The export extracted, with a broken JSON line late in messages.
z.extractall(f"{out}/folder")
p = f"{out}/folder/{name}"
lines = open(p, "rb").read().split(b"\n")
lines[-4] = lines[-4][:len(lines[-4]) // 2]
open(p, "wb").write(b"\n".join(lines))

# A late message whose position a bigint column rejects.
msgs = z.read(name).decode().split("\n")
doc = json.loads(msgs[-3])
doc["position"] = 1.5
msgs[-3] = json.dumps(doc, separators=(",", ":"), sort_keys=True,
    ensure_ascii=False)
with zipfile.ZipFile(f"{out}/badvalue.zip", "w", zipfile.ZIP_DEFLATED) as w:
	for i in z.infolist():
		body = z.read(i)
		if i.filename == name:
			body = "\n".join(msgs).encode()
		w.writestr(i.filename, body)

# The last message's id: a jq error on it comes late in the stream.
open(f"{out}/late-id", "w").write(json.loads(msgs[-2])["_id"])
EOF
}

setup_file() {
	export E2E_MISSING
	E2E_MISSING=$(e2e_missing)
	[ -z "$E2E_MISSING" ] || return 0
	export FIX=$BATS_FILE_TMPDIR
	export MAP=$ROOT/examples/laravel-chat/map.jq ZIP=$FIX/chat.zip
	pg_start
	python3 "$ROOT/bench/gen-export.py" -q --messages "$E2E_MESSAGES" \
	    --seed 6 "$ZIP"
	make_fixtures

	# Records and the skip list through the runbook's own steps.
	make -s -C "$ROOT/examples/laravel-chat" EXPORT="$ZIP" \
	    RECORD="$FIX/chat" CVX_BUILD="$CVX_BUILD" checksum "$FIX/chat.skip.json" \
	    >/dev/null

	# Every faulty run merges rows that differ from the base: a commit of
	# any part of them would show in the dump.
	{
		echo '(if ._id == $late then error("injected fault") else . end)'
		echo '| ('
		cat "$MAP"
		echo ') | .updated_at += 1000'
	} >"$FIX/changed.jq"

	# base: the schema and one good import; empty: the schema only.
	psql_q postgres -c 'CREATE DATABASE empty' -c 'CREATE DATABASE base'
	make -s -C "$ROOT/examples/laravel-chat" EXPORT="$ZIP" RECORD="$FIX/chat" \
	    CVX_BUILD="$CVX_BUILD" DATABASE_URL="$(pg_url empty)" schema
	make -s -C "$ROOT/examples/laravel-chat" EXPORT="$ZIP" RECORD="$FIX/chat" \
	    CVX_BUILD="$CVX_BUILD" DATABASE_URL="$(pg_url base)" import 2>/dev/null
	dump base >"$FIX/base.dump"
}

teardown_file() {
	pg_stop
}

setup() {
	[ -z "$E2E_MISSING" ] || require "$E2E_MISSING"
	DB=t$BATS_TEST_NUMBER
	psql_q postgres -c "CREATE DATABASE $DB TEMPLATE base"
	SHA=$(sha256sum "$ZIP" | cut -d' ' -f1)
}

teardown() {
	[ -z "${DB:-}" ] || [ -z "${PGDIR:-}" ] ||
	    psql_q postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
	    2>/dev/null || true
}

# The faulty pipe: $1 = pipefail or nopipefail, $2 = the archive, $3 = its
# digest for cvx-sha -c, then the map stage's extra arguments.
run_pipe() {
	local pf=$1 zip=$2 hex=$3
	shift 3
	run bash -c "$([ "$pf" = pipefail ] && echo 'set -o pipefail;')
	    cvx-sha -c $hex <'$zip' \
	    | cvx-unzip -t users,threads,runs,messages \
	    | cvx-jsonl-map -f '$FIX/changed.jq' --arg late none \
	        --slurpfile skip '$FIX/chat.skip.json' $* \
	    | cvx-pg-load --mode merge --key convex_id -d '$(pg_url "$DB")'"
}

assert_unchanged() {
	dump "$DB" >"$BATS_TEST_TMPDIR/after.dump"
	cmp "$FIX/base.dump" "$BATS_TEST_TMPDIR/after.dump"
}

@test "the base import loaded every table" {
	local t
	for t in $LARAVEL_TABLES; do
		run -0 psql_q "$DB" -A -t -c "SELECT count(*) > 0 FROM $t"
		assert_output t
	done
}

@test "without a fault the changed pipe commits (the checks below can fail)" {
	run_pipe pipefail "$ZIP" "$SHA"
	assert_success
	run ! assert_unchanged
}

@test "wrong checksum: status 1 with pipefail, nothing committed" {
	run_pipe pipefail "$ZIP" "$(echo "$SHA" | tr 0-9a-f 1-9a-f0)"
	assert_failure 1
	assert_output --partial 'checksum mismatch'
	assert_unchanged
}

@test "wrong checksum: status 1 without pipefail, nothing committed" {
	run_pipe nopipefail "$ZIP" "$(echo "$SHA" | tr 0-9a-f 1-9a-f0)"
	assert_failure 1
	assert_output --partial 'checksum mismatch'
	assert_unchanged
}

@test "truncated zip: status 1 with pipefail, nothing committed" {
	local k zip
	# (not i: bats' run uses that name)
	for k in 0 1 2; do
		zip=$FIX/truncated$k.zip
		run_pipe pipefail "$zip" "$(sha256sum "$zip" | cut -d' ' -f1)"
		assert_failure 1
		assert_output --partial 'cvx-unzip: '
		assert_unchanged
	done
}

@test "truncated zip: status 1 without pipefail, nothing committed" {
	local zip=$FIX/truncated1.zip
	run_pipe nopipefail "$zip" "$(sha256sum "$zip" | cut -d' ' -f1)"
	assert_failure 1
	assert_output --partial 'cvx-unzip: '
	assert_unchanged
}

@test "flipped byte in messages' deflate data: status 1 with pipefail" {
	local zip=$FIX/flipped.zip
	run_pipe pipefail "$zip" "$(sha256sum "$zip" | cut -d' ' -f1)"
	assert_failure 1
	assert_output --partial 'messages/documents.jsonl'
	assert_unchanged
}

@test "flipped byte in messages' deflate data: status 1 without pipefail" {
	local zip=$FIX/flipped.zip
	run_pipe nopipefail "$zip" "$(sha256sum "$zip" | cut -d' ' -f1)"
	assert_failure 1
	assert_output --partial 'messages/documents.jsonl'
	assert_unchanged
}

# A folder has no checksum stage: cvx-unzip heads the pipe.
run_folder_pipe() {
	run bash -c "$([ "$1" = pipefail ] && echo 'set -o pipefail;')
	    cvx-unzip -t users,threads,runs,messages '$FIX/folder' \
	    | cvx-jsonl-map -f '$FIX/changed.jq' --arg late none \
	        --slurpfile skip '$FIX/chat.skip.json' \
	    | cvx-pg-load --mode merge --key convex_id -d '$(pg_url "$DB")'"
}

@test "bad JSON line in an extracted folder: status 1 with pipefail" {
	run_folder_pipe pipefail
	assert_failure 1
	assert_output --partial 'messages/documents.jsonl: line'
	assert_unchanged
}

@test "bad JSON line in an extracted folder: status 1 without pipefail" {
	run_folder_pipe nopipefail
	assert_failure 1
	assert_output --partial 'messages/documents.jsonl: line'
	assert_unchanged
}

@test "jq runtime error on the last message: status 1 with pipefail" {
	run_pipe pipefail "$ZIP" "$SHA" --arg late "$(cat "$FIX/late-id")"
	assert_failure 1
	assert_output --partial "injected fault"
	assert_unchanged
}

@test "jq runtime error on the last message: status 1 without pipefail" {
	run_pipe nopipefail "$ZIP" "$SHA" --arg late "$(cat "$FIX/late-id")"
	assert_failure 1
	assert_output --partial 'injected fault'
	assert_unchanged
}

@test "a value the column rejects: status 1 with pipefail" {
	local zip=$FIX/badvalue.zip
	run_pipe pipefail "$zip" "$(sha256sum "$zip" | cut -d' ' -f1)"
	assert_failure 1
	assert_output --partial position
	assert_unchanged
}

@test "a value the column rejects: status 1 without pipefail" {
	local zip=$FIX/badvalue.zip
	run_pipe nopipefail "$zip" "$(sha256sum "$zip" | cut -d' ' -f1)"
	assert_failure 1
	assert_output --partial position
	assert_unchanged
}

# The pipe stalls half-way (awk waits for a flag file) while the loader's
# session is terminated from another session; then the stream resumes.
kill_mid_load() {
	local pf=$1 flag=$BATS_TEST_TMPDIR/go pid status n k victim=
	n=$(unzip -p "$ZIP" messages/documents.jsonl | wc -l)
	bash -c "$([ "$pf" = pipefail ] && echo 'set -o pipefail;')
	    cvx-sha -c $SHA <'$ZIP' \
	    | cvx-unzip -t users,threads,runs,messages \
	    | cvx-jsonl-map -f '$FIX/changed.jq' --arg late none \
	        --slurpfile skip '$FIX/chat.skip.json' \
	    | awk -v n=$n -v flag='$flag' '{ print; fflush() }
		NR == n { while ((getline x <flag) <= 0) {
			close(flag); system(\"sleep 0.05\") } }' \
	    | cvx-pg-load --mode merge --key convex_id -d '$(pg_url "$DB")'" \
	    >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	for k in $(seq 200); do
		victim=$(psql_q postgres -A -t -c "SELECT pid
		    FROM pg_stat_activity WHERE datname = '$DB'
		    AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")
		[ -z "$victim" ] || break
		sleep 0.05
	done
	[ -n "$victim" ] || { echo go >"$flag"; wait "$pid"; \
	    fail "the loader never opened a transaction"; }
	psql_q postgres -A -t -c "SELECT pg_terminate_backend($victim)"
	echo go >"$flag"
	status=0
	wait "$pid" || status=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$status" -eq 1 ] || fail "pipe status $status, expected 1"
	grep -q 'terminating connection' "$BATS_TEST_TMPDIR/out" ||
	    fail "the loader did not report the lost connection"
	assert_unchanged
}

@test "database session killed mid-load: status 1 with pipefail" {
	kill_mid_load pipefail
}

@test "database session killed mid-load: status 1 without pipefail" {
	kill_mid_load nopipefail
}

@test "the same import run twice leaves identical tables" {
	local mk=(make -s -C "$ROOT/examples/laravel-chat" EXPORT="$ZIP"
	    RECORD="$FIX/chat" CVX_BUILD="$CVX_BUILD")
	psql_q postgres -c "DROP DATABASE $DB" \
	    -c "CREATE DATABASE $DB TEMPLATE empty"
	run -0 "${mk[@]}" DATABASE_URL="$(pg_url "$DB")" import
	dump "$DB" >"$BATS_TEST_TMPDIR/first"
	run -0 "${mk[@]}" DATABASE_URL="$(pg_url "$DB")" import
	dump "$DB" >"$BATS_TEST_TMPDIR/second"
	[ "$(grep -vc '^==' "$BATS_TEST_TMPDIR/first")" -gt 0 ]
	cmp "$BATS_TEST_TMPDIR/first" "$BATS_TEST_TMPDIR/second"
}

@test "a second import rewrites no row" {
	local mk=(make -s -C "$ROOT/examples/laravel-chat" EXPORT="$ZIP"
	    RECORD="$FIX/chat" CVX_BUILD="$CVX_BUILD")
	local q="SELECT string_agg(xmin::text, ',' ORDER BY id) FROM messages"
	run -0 psql_q "$DB" -A -t -c "$q"
	local before=$output
	run -0 "${mk[@]}" DATABASE_URL="$(pg_url "$DB")" import
	run -0 psql_q "$DB" -A -t -c "$q"
	assert_output "$before"
}
