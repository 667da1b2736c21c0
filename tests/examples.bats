#!/usr/bin/env bats
# The runbooks in examples/ on the bundled export, `make demo`, the backup
# drill, and the whole pipe with --create on every real export.  Real
# PostgreSQL (tests/pg-server); expected figures computed independently
# with python3's zipfile and json.

bats_require_minimum_version 1.5.0
load test_helper
load pg_helper

# The bundled example export (another one for trying the tests out).
CHAT_EXPORT=${CHAT_EXPORT:-$ROOT/examples/chat-export.zip}

LARAVEL_TABLES="users threads agent_conversations runs run_events messages
agent_conversation_messages"

examples_missing() {
	local t
	for t in cvx-sha cvx-unzip cvx-jsonl-map cvx-pg-load cvx-count; do
		[ -x "$CVX_BUILD/$t" ] || { echo "$CVX_BUILD/$t not built"; return; }
	done
	[ -f "$CHAT_EXPORT" ] || { echo "$CHAT_EXPORT missing"; return; }
	command -v psql >/dev/null || echo "psql missing"
}


# The runbook's make, on the test's copy of the bundled export.
chat() {
	make -s --no-print-directory -C "$ROOT/examples/laravel-chat" \
	    EXPORT="$EXPORT" CVX_BUILD="$CVX_BUILD" \
	    DATABASE_URL="$(pg_url "$DB")" "$@"
}

drill() {
	make -s --no-print-directory -C "$ROOT/examples/backup-drill" \
	    BACKUP="$EXPORT" CVX_BUILD="$CVX_BUILD" \
	    DATABASE_URL="$(pg_url "$DB")" "$@"
}

# What the Laravel tables must hold after an import of ZIP, by the rules of
# map.jq, computed without cvx: table<TAB>count, sorted.
expected_laravel_counts() {
	python3 - "$1" <<'EOF'
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
def docs(t):
	return [json.loads(l) for l in z.read(f"{t}/documents.jsonl").splitlines()]
users, threads = docs("users"), docs("threads")
owned = {t["_id"] for t in threads if "userId" in t}
runs = [r for r in docs("runs") if r["threadId"] in owned]
msgs = [m for m in docs("messages") if m["threadId"] in owned]
c = {"users": len(users), "threads": len(owned),
     "agent_conversations": len(owned), "runs": len(runs),
     "run_events": sum(len(r.get("events", [])) for r in runs),
     "messages": len(msgs), "agent_conversation_messages": len(msgs)}
for k in sorted(c):
	if c[k]:
		print(f"{k}\t{c[k]}")
EOF
}

db_counts() {
	local t
	for t in $LARAVEL_TABLES; do
		printf '%s\t%s\n' "$t" \
		    "$(psql_q "$DB" -A -t -c "SELECT count(*) FROM $t")"
	done | awk -F'\t' '$2 > 0' | sort
}

setup_file() {
	export EX_MISSING
	EX_MISSING=$(examples_missing)
	[ -z "$EX_MISSING" ] || return 0
	pg_start
}

teardown_file() {
	pg_stop
}

setup() {
	[ -z "$EX_MISSING" ] || require "$EX_MISSING"
	DB=t$BATS_TEST_NUMBER
	psql_q postgres -c "CREATE DATABASE $DB"
	# A copy, so the records land beside it and not in the source tree.
	EXPORT=$BATS_TEST_TMPDIR/chat-export.zip
	cp "$CHAT_EXPORT" "$EXPORT"
}

teardown() {
	[ -z "${DB:-}" ] || [ -z "${PGDIR:-}" ] ||
	    psql_q postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
	    2>/dev/null || true
}

@test "laravel-chat checksum records the export's SHA-256" {
	run -0 chat checksum
	run -0 sha256sum -c "$EXPORT.sha256"
	[ "$(cut -d' ' -f1 "$EXPORT.sha256")" = \
	    "$(sha256sum "$EXPORT" | cut -d' ' -f1)" ]
}

@test "laravel-chat checksum fails on an export changed since recorded" {
	run -0 chat checksum
	printf 'x' >>"$EXPORT"
	run chat checksum
	assert_failure
	refute_output --partial matches
}

@test "laravel-chat validate records per-table counts of the export" {
	run -0 chat validate
	assert_output --partial 'validate: recorded'
	run -0 cat "$EXPORT.counts"
	assert_output "$(export_counts "$EXPORT")"
}

@test "laravel-chat validate fails when the recorded counts differ" {
	run -0 chat validate
	sed -i 's/^\(messages\t\)/\11/' "$EXPORT.counts"
	run chat validate
	assert_failure
	assert_output --partial messages
}

@test "laravel-chat dry-run writes nothing" {
	run -0 chat checksum
	run -0 chat schema
	run -0 chat dry-run
	[ -z "$(db_counts)" ]
}

@test "laravel-chat import loads what map.jq's rules promise" {
	run -0 chat checksum
	run -0 chat import
	[ "$(db_counts)" = "$(expected_laravel_counts "$EXPORT")" ]
}

@test "laravel-chat verify passes after import" {
	run -0 chat checksum
	run -0 chat import
	run -0 chat verify
	assert_output --partial 'verify: database matches'
}

@test "laravel-chat verify fails when a row is missing" {
	run -0 chat checksum
	run -0 chat import
	psql_q "$DB" -c "DELETE FROM agent_conversation_messages
	    WHERE id = (SELECT max(id) FROM agent_conversation_messages)"
	run chat verify
	assert_failure
	assert_output --partial agent_conversation_messages
}

@test "laravel-chat import resolves every reference to the parent's id" {
	run -0 chat checksum
	run -0 chat import
	run -0 psql_q "$DB" -A -t -c "
	    SELECT (SELECT count(*) FROM messages m JOIN threads t
		ON t.id = m.thread_id AND t.convex_id = m.thread_convex_id)
	    = (SELECT count(*) FROM messages),
	    (SELECT count(*) FROM messages m JOIN runs r
		ON r.id = m.run_id AND r.convex_id = m.run_convex_id)
	    = (SELECT count(*) FROM messages WHERE run_convex_id IS NOT NULL),
	    (SELECT count(*) FROM run_events e JOIN runs r
		ON r.id = e.run_id AND r.convex_id = e.run_convex_id)
	    = (SELECT count(*) FROM run_events),
	    (SELECT count(*) FROM agent_conversation_messages a
		JOIN agent_conversations c ON c.id = a.conversation_id
		AND c.convex_id = a.conversation_convex_id)
	    = (SELECT count(*) FROM agent_conversation_messages)"
	assert_output 't|t|t|t'
}

@test "laravel-chat import keeps _creationTime to the microsecond" {
	run -0 chat checksum
	run -0 chat import
	local id ms
	id=$(unzip -p "$EXPORT" users/documents.jsonl | head -n 1 |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)["_id"])')
	ms=$(unzip -p "$EXPORT" users/documents.jsonl | head -n 1 |
	    python3 -c 'import json,sys; print(repr(json.load(sys.stdin)["_creationTime"]))')
	run -0 psql_q "$DB" -A -t -c "SELECT created_at =
	    to_timestamp(0) + ($ms::numeric * 1000)::bigint * interval '1 microsecond'
	    FROM users WHERE convex_id = '$id'"
	assert_output t
}

@test "laravel-chat replace after import leaves the same counts" {
	run -0 chat checksum
	run -0 chat import
	run -0 chat replace
	[ "$(db_counts)" = "$(expected_laravel_counts "$EXPORT")" ]
	run -0 chat verify
}

@test "laravel-chat replace that fails after emptying the tables keeps the old rows" {
	run -0 chat checksum
	run -0 chat import
	psql_q "$DB" -c 'COPY (SELECT id, convex_id FROM messages ORDER BY id) TO STDOUT' >"$BATS_TEST_TMPDIR/before"
	# One byte changed near the end: cvx-sha -C fails at the end of the
	# archive, after cvx-pg-load emptied the seven tables (-T, at BEGIN).
	python3 -c '
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-100] ^= 0xFF
open(p, "wb").write(b)' "$EXPORT"
	touch -d 2000-01-01 "$EXPORT"	# keep make from remaking its records
	run chat replace
	assert_failure
	[[ $output == *"cvx-sha: stdin: checksum mismatch"*"cvx-pg-load: stdin: line 1: upstream failed"* ]] || fail "$output"
	[ "$(db_counts)" = "$(expected_laravel_counts "$CHAT_EXPORT")" ]
	psql_q "$DB" -c 'COPY (SELECT id, convex_id FROM messages ORDER BY id) TO STDOUT' |
	    diff "$BATS_TEST_TMPDIR/before" -
}

@test "demo runs the whole job on a private server and stops it" {
	run --separate-stderr env -u DATABASE_URL CVX_BUILD="$CVX_BUILD" \
	    sh "$ROOT/examples/demo.sh"
	assert_success
	assert_output --partial 'imported and verified'
	assert_output --partial 'demo: writing into that private database'
	# Every count that changes, with its rule (map.jq) and its figures.
	assert_output --partial 'threads     30 -> threads 28 and agent_conversations 28: the 2 threads without an owner (userId null) are not imported'
	assert_output --partial 'messages   300 -> messages 284 and agent_conversation_messages 284: nor the messages of those threads'
	assert_output --partial 'runs        75 -> runs 71: nor their runs; run_events 231'
	local dir
	dir=$(printf '%s\n' "$output" |
	    sed -n 's/^demo: starting a private PostgreSQL in //p')
	[ -n "$dir" ]
	[ ! -e "$dir" ]
}

@test "demo imports into DATABASE_URL when it is set" {
	run -0 env DATABASE_URL="$(pg_url "$DB")" CVX_BUILD="$CVX_BUILD" \
	    sh "$ROOT/examples/demo.sh"
	refute_output --partial 'starting a private PostgreSQL'
	# Said up front, the password left out.
	assert_output --partial "demo: DATABASE_URL is set: writing into $(pg_url "$DB" | sed 's,://\([^:/@]*\):[^@]*@,://\1:***@,')"
	[ "$(db_counts)" = "$(expected_laravel_counts "$EXPORT")" ]
}

@test "demo fails on a failing step and still stops its server" {
	local fake=$BATS_TEST_TMPDIR/build t dir
	mkdir "$fake"
	for t in cvx-sha cvx-unzip cvx-count cvx-jsonl-map; do
		ln -s "$CVX_BUILD/$t" "$fake/$t"
	done
	printf '#!/bin/sh\necho "cvx-pg-load: injected failure" >&2\nexit 1\n' \
	    >"$fake/cvx-pg-load"
	chmod +x "$fake/cvx-pg-load"
	run env -u DATABASE_URL CVX_BUILD="$fake" sh "$ROOT/examples/demo.sh"
	assert_failure
	refute_output --partial 'imported and verified'
	dir=$(printf '%s\n' "$output" |
	    sed -n 's/^demo: starting a private PostgreSQL in //p')
	[ -n "$dir" ]
	[ ! -e "$dir" ]
}

@test "backup drill record then check passes" {
	run -0 drill record
	run -0 sha256sum -c "$EXPORT.sha256"
	run -0 drill check
	assert_output --partial 'matches its checksum and counts'
}

@test "backup drill check fails on a changed backup" {
	run -0 drill record
	python3 - "$EXPORT" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 1
open(p, "wb").write(b)
EOF
	run drill check
	assert_failure
	refute_output --partial 'matches its checksum'
}

@test "backup drill check fails when the recorded counts differ" {
	run -0 drill record
	sed -i 's/^\(users\t\)/\19/' "$EXPORT.counts"
	run drill check
	assert_failure
}

@test "backup drill extract pulls one table's documents byte for byte" {
	local out=$BATS_TEST_TMPDIR/messages.jsonl
	run -0 drill extract TABLE=messages OUT="$out"
	unzip -p "$EXPORT" messages/documents.jsonl | cmp - "$out"
}

@test "backup drill restore leaves the ephemeral auth tables out" {
	run -0 drill record
	run -0 drill restore
	run -0 psql_q "$DB" -A -t -c "SELECT string_agg(table_name, ' '
	    ORDER BY table_name) FROM information_schema.tables
	    WHERE table_schema = 'backup_drill'"
	refute_output --partial authSessions
	assert_output --partial authAccounts
	assert_output --partial messages
	assert_output --partial users
}

@test "backup drill queries answer from the restored tables" {
	run -0 drill record
	run -0 drill restore
	run -0 drill query PSQL='psql -A'
	local role
	for role in $(unzip -p "$EXPORT" messages/documents.jsonl |
	    python3 -c 'import json,sys,collections
c = collections.Counter(json.loads(l)["role"] for l in sys.stdin)
print(" ".join(f"{k}|{v}" for k, v in sorted(c.items())))'); do
		assert_line "$role"
	done
}

# An export in the corpus: every ZIP, and every folder holding _tables.
corpus_exports() {
	find "$CORPUS" -name '*.zip' -type f
	find "$CORPUS" -path '*/_tables/documents.jsonl' -type f |
	    sed 's,/_tables/documents.jsonl$,,'
}

@test "every real export loads with --create, counts equal cvx-count" {
	require_corpus
	local e n=0 tables
	while read -r e; do
		n=$((n + 1))
		psql_q postgres -c "CREATE DATABASE corpus$n"
		if [[ $e == */altar-app/repo-folder-* ]]; then
			# The user-damaged folder: must fail, load nothing.
			run bash -c "set -o pipefail; cvx-unzip '$e' |
			    cvx-pg-load --create \
			    -d '$(pg_url corpus$n)'"
			assert_failure 1
			run -0 psql_q "corpus$n" -A -t -c "SELECT count(*)
			    FROM information_schema.tables
			    WHERE table_schema = 'public'"
			assert_output 0
			continue
		fi
		run -0 bash -c "cvx-unzip '$e' | cvx-count >'$BATS_TEST_TMPDIR/want'"
		run bash -c "set -o pipefail; cvx-unzip '$e' |
		    cvx-pg-load --create -d '$(pg_url corpus$n)'"
		[ "$status" -eq 0 ] || fail "$e: status $status: $output"
		tables=$(cut -f1 "$BATS_TEST_TMPDIR/want" | tr '\n' ' ')
		[ -n "$tables" ] || continue
		run -0 bash -c "cvx-pg-load --count -d '$(pg_url corpus$n)' $tables |
		    diff '$BATS_TEST_TMPDIR/want' -"
	done < <(corpus_exports)
	[ "$n" -ge 11 ]
}

@test "laravel-chat schema rejects a reference to a missing parent" {
	run -0 chat schema
	local doc='{"_table":"messages","convex_id":"m1","role":"user",'
	doc+='"thread_convex_id":"no-such-thread","content":"hi","position":0}'
	run bash -c "echo '$doc' |
	    cvx-pg-load --mode merge --key convex_id -d '$(pg_url "$DB")'"
	assert_failure 1
	assert_output --partial 'references thread no-such-thread'
	[ "$(psql_q "$DB" -A -t -c 'SELECT count(*) FROM messages')" = 0 ]
}

@test "backup drill extract needs TABLE, and its message lists the tables" {
	run -2 --separate-stderr drill extract
	[[ $stderr == *"set TABLE=NAME, one of: "*"messages"* ]] || fail "$stderr"
}

@test "backup drill extract leaves no file behind when it fails, none in the source tree" {
	local out=$BATS_TEST_TMPDIR/x.jsonl
	run drill extract TABLE=nosuchtable OUT="$out"
	assert_failure
	[ ! -e "$out" ] || fail "$out left"
	[ -z "$(ls "$BATS_TEST_TMPDIR" | grep '^x\.jsonl')" ] || fail "$(ls "$BATS_TEST_TMPDIR")"
	run -0 drill extract TABLE=users
	[ -s "$EXPORT.users.jsonl" ]
	# Nothing new in the source tree, tracked or ignored.
	run -0 bash -c 'git -C "$1" status --porcelain --ignored -uall -- \
	    examples/backup-drill | grep "^[?!]" || true' _ "$ROOT"
	assert_output ""
}

@test "backup drill restore runs twice: --create loads the tables it made" {
	run -0 drill record
	run -0 drill restore
	run -0 drill restore
	run -0 psql_q "$DB" -A -t -c 'SELECT count(*) FROM backup_drill.users'
	assert_output "$(unzip -p "$EXPORT" users/documents.jsonl | wc -l)"
}
