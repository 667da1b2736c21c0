#!/usr/bin/env bats
# No failure commits anything: every stage of a pipe ending in
#   … | cvx-pg-load --mode replace --truncate t --doc-column doc -d "$DB"
# is made to fail in every way it can (usage errors, missing files, jq
# compile errors, input that is not an export, truncated or corrupt input,
# bad data in the middle of a large stream, SIGTERM and SIGINT while it
# works), and the pipe runs WITHOUT pipefail, as in a make recipe.  Each test
# asserts that cvx-pg-load, the pipe's last stage, exits 1 and that every
# table of the database holds exactly the rows it held before.  The same
# pipe is then run into a merge, which would take an empty stream as a
# success: there only the failing stage's `#cvx-abort` line can fail the
# load, so each case checks that line too, not just the loader's refusal
# of an empty replace.
#
# Every database starts as a copy of `base`: a table t (_id, doc) with two
# seed rows, which -T t empties at the start of every load, so any commit
# shows; and one table per table of the inputs used here, shaped as
# `cvx-pg-load --create` makes them, each with a seed row, so that a stream
# the failing stage lets through always has somewhere to go and the loader
# can only fail because of the failure under test.  The "control" tests run
# the same pipes without a fault and see them commit: the checks can fail.

bats_require_minimum_version 1.5.0
load test_helper
load pg_helper

# Large enough that a fault in the middle comes after several MiB of output.
MATRIX_MESSAGES=8000

# The loader every pipe ends in (run by bash -c, where $DB is set).
LOAD='cvx-pg-load --mode replace --truncate t --doc-column doc -d "$DB"'

# The same pipes are also run into a merge, which takes an empty stream as
# a success: there, only the failing stage's abort line can fail the load.
MERGE='cvx-pg-load --mode merge --doc-column doc -d "$DB"'

matrix_missing() {
	local t
	for t in cvx-sha cvx-unzip cvx-jsonl-map cvx-pg-load cvx-count; do
		[ -x "$CVX_BUILD/$t" ] || { echo "$CVX_BUILD/$t not built"; return; }
	done
	local f
	for f in bench/gen-export.py tests/mkzip.py examples/chat-export.zip; do
		[ -f "$ROOT/$f" ] || { echo "$f missing"; return; }
	done
	command -v psql >/dev/null || { echo "psql missing"; return; }
	env --default-signal=INT true 2>/dev/null ||
	    echo "env --default-signal (coreutils >= 8.31) missing"
}

# The faulty inputs, built once per file in $FIX.
make_fixtures() {
	python3 - "$FIX" "$CORPUS" <<'EOF'
import json, os, shutil, sys, zipfile
fix, corpus = sys.argv[1], sys.argv[2]

# The large stream with the line in its middle cut in half, and the _id of
# the line there (for a jq error in the middle).
lines = open(f"{fix}/big.jsonl", "rb").read().split(b"\n")
mid = len(lines) // 2
open(f"{fix}/mid-id", "w").write(json.loads(lines[mid])["_id"])
bad = list(lines)
bad[mid] = bad[mid][:len(bad[mid]) // 2]
open(f"{fix}/bad.jsonl", "wb").write(b"\n".join(bad))

# The large folder with a line cut in half in the middle of messages.
shutil.copytree(f"{fix}/big", f"{fix}/badline")
p = f"{fix}/badline/messages/documents.jsonl"
m = open(p, "rb").read().split(b"\n")
m[len(m) // 2] = m[len(m) // 2][:40]
open(p, "wb").write(b"\n".join(m))

# The large stored ZIP with one letter changed in the middle of messages:
# still valid JSON, only the CRC-32 at the entry's end can tell.
data = bytearray(open(f"{fix}/big.zip", "rb").read())
z = zipfile.ZipFile(f"{fix}/big.zip")
info = z.getinfo("messages/documents.jsonl")
off = info.header_offset
n = int.from_bytes(data[off + 26:off + 28], "little")
e = int.from_bytes(data[off + 28:off + 30], "little")
at = off + 30 + n + e + info.compress_size // 2
while not (0x61 <= data[at] <= 0x79):
	at += 1
data[at] += 1
open(f"{fix}/crc.zip", "wb").write(data)

# A ZIP of files that have nothing to do with Convex.
with zipfile.ZipFile(f"{fix}/unrelated.zip", "w", zipfile.ZIP_DEFLATED) as w:
	w.writestr("notes.txt", "shopping list\n")
	w.writestr("data/records.json", '{"a": 1}\n')
	w.writestr("photos/cat.jpg", bytes(range(256)) * 8)

# Real exports, when the corpus is there: a ZIP cut in half, and an
# extracted folder with one listed table's documents.jsonl removed.
if os.path.isdir(corpus):
	src = f"{corpus}/anouk-app/backup-anouk-app-dev.zip"
	b = open(src, "rb").read()
	open(f"{fix}/truncated.zip", "wb").write(b[:len(b) // 2])
	shutil.copytree(f"{corpus}/migrasi", f"{fix}/missing-table")
	for d, _, _ in os.walk(f"{fix}/missing-table"):
		os.chmod(d, 0o755)
	os.remove(f"{fix}/missing-table/tasks/documents.jsonl")
EOF
}

# The tables of every input above, one name a line.
input_tables() {
	python3 - "$ROOT/examples/chat-export.zip" "$FIX/big.zip" \
	    "$CORPUS/anouk-app/backup-anouk-app-dev.zip" "$CORPUS/migrasi" <<'EOF'
import json, os, re, sys, zipfile
names = set()
for src in sys.argv[1:]:
	if os.path.isdir(src):
		paths = [f"{d}/documents.jsonl" for d in os.listdir(src)]
		tables = os.path.join(src, "_tables/documents.jsonl")
		listed = open(tables, "rb").read() if os.path.exists(tables) else b""
	elif os.path.isfile(src):
		z = zipfile.ZipFile(src)
		paths = z.namelist()
		listed = z.read("_tables/documents.jsonl")
	else:
		continue
	for p in paths:
		m = re.fullmatch(r"([^/_][^/]*)/documents\.jsonl", p)
		if m:
			names.add(m.group(1))
	for l in listed.splitlines():
		names.add(json.loads(l)["name"])
for n in sorted(names):
	print(n)
EOF
}

# One line per table of database $1: name|rows|md5 of the sorted rows.
summary() {
	psql_q "$1" -A -t <<'EOF'
SELECT format('SELECT %L, count(*), md5(coalesce(string_agg(x::text, E''\n'' ORDER BY x::text), '''')) FROM %I x',
	tablename, tablename)
FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename
\gexec
EOF
}

setup_file() {
	export MATRIX_MISSING
	MATRIX_MISSING=$(matrix_missing)
	[ -z "$MATRIX_MISSING" ] || return 0
	export FIX=$BATS_FILE_TMPDIR
	export ZIP=$ROOT/examples/chat-export.zip
	export SHA BADSHA BIGSHA MID
	SHA=$(sha256sum "$ZIP" | cut -d' ' -f1)
	BADSHA=$(echo "$SHA" | tr 0-9a-f 1-9a-f0)
	export BIG=$FIX/big BIGZIP=$FIX/big.zip BIGJSONL=$FIX/big.jsonl
	python3 "$ROOT/bench/gen-export.py" -q --messages "$MATRIX_MESSAGES" \
	    --seed 11 --dir "$BIG" --jsonl "$BIGJSONL"
	python3 "$ROOT/tests/mkzip.py" --method store "$BIGZIP" --dir "$BIG"
	BIGSHA=$(sha256sum "$BIGZIP" | cut -d' ' -f1)
	make_fixtures
	MID=$(cat "$FIX/mid-id")
	export HALF_LINES=$(($(wc -l <"$BIGJSONL") / 2))
	printf '%s  export.zip\n' "$SHA" >"$FIX/good.sha256"
	printf '%s  export.zip\n' "$BADSHA" >"$FIX/bad.sha256"
	printf '%s  other.zip\n%s  another.zip\n' "$SHA" "$SHA" \
	    >"$FIX/other.sha256"

	pg_start
	psql_q postgres -c 'CREATE DATABASE base'
	{
		echo "CREATE TABLE t (_id text PRIMARY KEY, doc jsonb);"
		echo "INSERT INTO t VALUES ('seed-1', '{\"seed\": 1}'),"
		echo "    ('seed-2', '{\"seed\": 2}');"
		input_tables | while read -r name; do
			echo "CREATE TABLE \"$name\" (_id text PRIMARY KEY,"
			echo "    \"_creationTime\" timestamptz, doc jsonb NOT NULL);"
			echo "INSERT INTO \"$name\" VALUES ('seed', NULL, '{}');"
		done
	} | psql_q base
	summary base >"$FIX/base.summary"
}

teardown_file() {
	pg_stop
}

setup() {
	[ -z "$MATRIX_MISSING" ] || require "$MATRIX_MISSING"
	export DBNAME=m$BATS_TEST_NUMBER
	psql_q postgres -c "CREATE DATABASE $DBNAME TEMPLATE base"
	export DB
	DB=$(pg_url "$DBNAME")
	export W=$BATS_TEST_TMPDIR
	BG= PGRP= LOCKER=
}

teardown() {
	[ -z "${W:-}" ] || : >"$W/go"
	[ -z "${LOCKER:-}" ] || unlock_t
	# Whatever is left of the background pipe's process group.
	if [ -n "${PGRP:-}" ]; then
		kill -KILL -- "-$PGRP" 2>/dev/null || true
		[ -z "${BG:-}" ] || wait "$BG" 2>/dev/null || true
	fi
	[ -z "${DBNAME:-}" ] || [ -z "${PGDIR:-}" ] ||
	    psql_q postgres -c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" \
	    2>/dev/null || true
}

# ---- assertions ----------------------------------------------------------

assert_unchanged() {
	summary "$DBNAME" >"$W/after.summary"
	diff "$FIX/base.summary" "$W/after.summary" >"$W/summary.diff" ||
	    fail "the database changed: something was committed
$(cat "$W/summary.diff")
pipe output:
$output"
}

# The pipe's last status, cvx-pg-load's, is 1 and nothing changed.
assert_nothing_committed() {
	[ "$status" -eq 1 ] ||
	    fail "cvx-pg-load exited $status, expected 1; pipe output:
$output"
	assert_unchanged
}

# Run STAGES | LOAD without pipefail, in $W; expect nothing committed.
# Then the same into MERGE: the failing stage must say so on the stream.
nothing_committed() {
	nothing_committed_replace "$1"
	run bash -c "set +o pipefail; cd \"\$W\" || exit 99; $1 | $MERGE"
	[ "$status" -eq 1 ] ||
	    fail "into a merge, cvx-pg-load exited $status, expected 1 (no abort line?); pipe output:
$output"
	assert_unchanged
}

# Only into LOAD (replace): for a stream that is empty with no failure to
# tell, which only the loader's refusal of an empty replace can catch.
nothing_committed_replace() {
	run bash -c "set +o pipefail; cd \"\$W\" || exit 99; $1 | $LOAD"
	assert_nothing_committed
}

# The same pipe without a fault commits: t lost its seed rows.
commits() {
	run bash -c "set +o pipefail; cd \"\$W\" || exit 99; $1 | $LOAD"
	[ "$status" -eq 0 ] || fail "status $status, expected 0: $output"
	run -0 psql_q "$DBNAME" -A -t -c \
	    "SELECT count(*) FROM t WHERE _id LIKE 'seed-%'"
	assert_output 0
}

# ---- pipes in the background, for signals ----------------------------------

# Start STAGES | CONSUMER in the background, in a process group of its own,
# SIGINT and SIGTERM at their defaults as in a foreground pipe (a shell
# without job control starts & with SIGINT ignored, and a cvx tool keeps an
# ignored signal ignored).  The pipe's last status goes to $W/rc.
bg_pipe() {
	local consumer=${2:-$LOAD}
	env --default-signal=INT,TERM setsid bash -c "set +o pipefail
	    cd \"\$W\" || exit 99
	    $1 | $consumer
	    echo \$? >\"\$W/rc\"" >"$W/out" 2>"$W/err" &
	BG=$! PGRP=$!
}

# Wait for the background pipe; status = its last stage's, output = its
# standard output ($W/out) and error ($W/err).
wait_bg() {
	local s=0
	wait "$BG" || s=$?
	BG=
	output=$(cat "$W/out" "$W/err")
	if [ -s "$W/rc" ]; then
		status=$(cat "$W/rc")
	else
		status=$s
	fi
}

# The PID of the pipe's stage running program $1.
stage_pid() {
	pgrep -P "$BG" -x "$1" | head -n 1
}

# Where a thread sleeps (its /proc wchan) when it waits for input, or for
# its reader to make room in the pipe it writes to.
READING='pipe_read|pipe_wait_readable|poll|select'
WRITING='pipe_write|pipe_wait_writable'

# True if a thread of the stage running $1 sleeps in a kernel function
# matching the regular expression $2 ($READING or $WRITING).
stage_in() {
	local pid f
	pid=$(stage_pid "$1")
	[ -n "$pid" ] || return 1
	for f in /proc/"$pid"/task/*/wchan; do
		[[ $(cat "$f" 2>/dev/null) =~ $2 ]] && return 0
	done
	return 1
}

# Run a command until it succeeds, for up to 10 s; then fail with $1.
wait_until() {
	local what=$1 k
	shift
	for k in $(seq 200); do
		"$@" && return 0
		sleep 0.05
	done
	fail "timed out waiting: $what; pipe output: $(cat "$W/out" "$W/err" 2>/dev/null)"
}

pg_q() {
	psql_q postgres -A -t -c "$1"
}

# cvx-pg-load's session has begun its transaction.
loader_in_transaction() {
	[ "$(pg_q "SELECT count(*) FROM pg_stat_activity
	    WHERE datname = '$DBNAME' AND xact_start IS NOT NULL
	    AND application_name <> 'cvx-locker'")" -gt 0 ]
}

# cvx-pg-load's session waits for a lock (the one lock_t holds).
loader_waits_for_lock() {
	[ "$(pg_q "SELECT count(*) FROM pg_stat_activity
	    WHERE datname = '$DBNAME' AND wait_event_type = 'Lock'")" -gt 0 ]
}

locker_holds_lock() {
	[ "$(pg_q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a
	    USING (pid) WHERE a.application_name = 'cvx-locker'
	    AND a.datname = '$DBNAME' AND l.locktype = 'relation'
	    AND l.mode = 'AccessExclusiveLock' AND l.granted")" -gt 0 ]
}

# Another session locks t, so that cvx-pg-load blocks at its TRUNCATE and
# the stage before it fills the pipe and blocks writing.
lock_t() {
	psql -X -q -d "$DB application_name=cvx-locker" -c 'BEGIN' \
	    -c 'LOCK TABLE t IN ACCESS EXCLUSIVE MODE' \
	    -c 'SELECT pg_sleep(120)' >/dev/null 2>&1 &
	LOCKER=$!
	wait_until "the lock on t" locker_holds_lock
}

unlock_t() {
	pg_q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	    WHERE application_name = 'cvx-locker' AND datname = '$DBNAME'" \
	    >/dev/null
	wait "$LOCKER" 2>/dev/null || true
	LOCKER=
}

# A producer that writes the first $2 (head/tail size option: -n lines or
# -c bytes) $3 of file $1, notes it in $W/half, waits for $W/go, then
# writes the rest.
slow_producer() {
	echo "{ head $2 $3 \"$1\"; : >\"\$W/half\";
	    until [ -e \"\$W/go\" ]; do sleep 0.05; done;
	    tail $2 +$(($3 + 1)) \"$1\"; }"
}

# Signal $2 to stage $1 while it waits for more input from a slow
# producer, after it has written what it had; then let the producer go on.
kill_waiting_stage() {
	local prog=$1 sig=$2 stages=$3 consumer=${4:-$LOAD}
	bg_pipe "$stages" "$consumer"
	wait_until "the producer's first part" test -e "$W/half"
	wait_until "$prog waiting for input" stage_in "$prog" "$READING"
	if [ "$consumer" = "$LOAD" ]; then
		wait_until "cvx-pg-load's transaction" loader_in_transaction
		wait_until "cvx-pg-load waiting for input" \
		    stage_in cvx-pg-load "$READING"
	fi
	kill -"$sig" "$(stage_pid "$prog")"
	: >"$W/go"
	wait_bg
}

# Signal $2 to stage $1 while it is blocked writing to cvx-pg-load, which
# waits for the lock on t; then release the lock.
kill_writing_stage() {
	local prog=$1 sig=$2 stages=$3
	lock_t
	bg_pipe "$stages"
	wait_until "cvx-pg-load waiting for the lock" loader_waits_for_lock
	wait_until "$prog blocked writing" stage_in "$prog" "$WRITING"
	kill -"$sig" "$(stage_pid "$prog")"
	unlock_t
	wait_bg
}

MAPT='cvx-jsonl-map "._table = \"t\""'

# ---- controls: without a fault the same pipes commit ---------------------

@test "control: cvx-sha -c | cvx-unzip | cvx-pg-load commits" {
	commits 'cvx-sha -c "$SHA" <"$ZIP" | cvx-unzip'
}

@test "control: cvx-sha -C | cvx-unzip | cvx-pg-load commits" {
	commits 'cvx-sha -C "$FIX/good.sha256" <"$ZIP" | cvx-unzip'
}

@test "control: cat large.zip | cvx-sha -c | cvx-unzip | cvx-pg-load commits" {
	commits 'cat "$BIGZIP" | cvx-sha -c "$BIGSHA" | cvx-unzip'
}

@test "control: cvx-unzip FOLDER | cvx-pg-load commits" {
	commits 'cvx-unzip "$BIG"'
}

@test "control: cvx-unzip | cvx-jsonl-map | cvx-pg-load commits" {
	commits "cvx-unzip \"\$ZIP\" | $MAPT"
}

@test "control: cvx-jsonl-map FILE | cvx-pg-load commits" {
	commits "$MAPT \"\$BIGJSONL\""
}

@test "control: the merge pipe commits" {
	run bash -c "cvx-unzip \"\$ZIP\" | $MAPT | $MERGE"
	assert_success
	run -0 psql_q "$DBNAME" -A -t -c "SELECT count(*) FROM t"
	assert_output 601
}

@test "control: an empty stream with --allow-empty commits" {
	run bash -c 'true | cvx-pg-load --mode replace --truncate t --allow-empty -d "$DB"'
	assert_success
	run -0 psql_q "$DBNAME" -A -t -c "SELECT count(*) FROM t"
	assert_output 0
}

@test "control: the slow-producer pipe commits when left alone" {
	bg_pipe "$(slow_producer "$BIGJSONL" -n "$HALF_LINES") | $MAPT"
	wait_until "the producer's first part" test -e "$W/half"
	wait_until "cvx-jsonl-map waiting for input" \
	    stage_in cvx-jsonl-map "$READING"
	wait_until "cvx-pg-load's transaction" loader_in_transaction
	: >"$W/go"
	wait_bg
	[ "$status" -eq 0 ] || fail "status $status: $output"
	run -0 psql_q "$DBNAME" -A -t -c "SELECT count(*) FROM t"
	assert_output "$(wc -l <"$BIGJSONL")"
}

@test "control: the locked-table pipe commits when left alone" {
	lock_t
	bg_pipe 'cvx-unzip "$BIGZIP"'
	wait_until "cvx-pg-load waiting for the lock" loader_waits_for_lock
	wait_until "cvx-unzip blocked writing" stage_in cvx-unzip "$WRITING"
	unlock_t
	wait_bg
	[ "$status" -eq 0 ] || fail "status $status: $output"
	run -0 psql_q "$DBNAME" -A -t -c "SELECT count(*) FROM messages"
	assert_output "$MATRIX_MESSAGES"
}

# ---- nothing is not a success ---------------------------------------------

@test "an empty stream (a stage that wrote nothing)" {
	nothing_committed_replace 'true'
}

@test "a typo in a command name" {
	nothing_committed_replace 'cvx-unzipp "$ZIP"'
}

# ---- cvx-sha ------------------------------------------------------------

@test "cvx-sha: unknown option" {
	nothing_committed 'cvx-sha --bogus <"$ZIP" | cvx-unzip'
}

@test "cvx-sha: missing operand file" {
	nothing_committed 'cvx-sha "$W/missing.zip" | cvx-unzip'
}

@test "cvx-sha -c: missing operand file" {
	nothing_committed 'cvx-sha -c "$SHA" "$W/missing.zip" | cvx-unzip'
}

@test "cvx-sha -c: not 64 hexadecimal digits" {
	nothing_committed 'cvx-sha -c 0123abc <"$ZIP" | cvx-unzip'
}

@test "cvx-sha: -c with -C" {
	nothing_committed 'cvx-sha -c "$SHA" -C "$FIX/good.sha256" <"$ZIP" | cvx-unzip'
}

@test "cvx-sha -C: missing checksum file" {
	nothing_committed 'cvx-sha -C "$W/missing.sha256" <"$ZIP" | cvx-unzip'
}

@test "cvx-sha -C: no line for the input" {
	nothing_committed 'cvx-sha -C "$FIX/other.sha256" "$ZIP" | cvx-unzip'
}

@test "cvx-sha -c: wrong digest, file" {
	nothing_committed 'cvx-sha -c "$BADSHA" <"$ZIP" | cvx-unzip'
}

@test "cvx-sha -c: wrong digest, large ZIP from a pipe" {
	nothing_committed 'cat "$BIGZIP" | cvx-sha -c "$SHA" | cvx-unzip'
}

@test "cvx-sha -C: wrong digest" {
	nothing_committed 'cvx-sha -C "$FIX/bad.sha256" <"$ZIP" | cvx-unzip'
}

# Signal $1 to cvx-sha -c while it copies a large ZIP from a slow pipe (it
# has passed on all but the last 4 MiB of the first 6 MB), then let the
# producer go on.
kill_sha() {
	bg_pipe "$(slow_producer "$BIGZIP" -c 6000000) | cvx-sha -c \"\$BIGSHA\" | cvx-unzip"
	wait_until "the producer's first part" test -e "$W/half"
	wait_until "cvx-sha waiting for input" stage_in cvx-sha "$READING"
	wait_until "cvx-unzip spooling its input" stage_in cvx-unzip "$READING"
	kill -"$1" "$(stage_pid cvx-sha)"
	: >"$W/go"
	wait_bg
}

@test "cvx-sha -c: SIGTERM while it copies" {
	kill_sha TERM
	assert_nothing_committed
}

@test "cvx-sha -c: SIGINT while it copies" {
	kill_sha INT
	assert_nothing_committed
}

# ---- cvx-unzip ----------------------------------------------------------

@test "cvx-unzip: unknown option" {
	nothing_committed 'cvx-unzip --bogus "$ZIP"'
}

@test "cvx-unzip: missing operand file" {
	nothing_committed 'cvx-unzip "$W/missing.zip"'
}

@test "cvx-unzip: -t ''" {
	nothing_committed 'cvx-unzip -t "" "$ZIP"'
}

@test "cvx-unzip: two operands" {
	nothing_committed 'cvx-unzip "$ZIP" "$ZIP"'
}

@test "cvx-unzip: -t pattern that matches no table" {
	nothing_committed 'cvx-unzip -t users,nosuchtable "$ZIP"'
}

@test "cvx-unzip: empty standard input" {
	nothing_committed 'cvx-unzip </dev/null'
}

@test "cvx-unzip: not an export: empty folder" {
	nothing_committed 'mkdir -p empty && cvx-unzip empty'
}

@test "cvx-unzip: not an export: ZIP of unrelated files" {
	nothing_committed 'cvx-unzip "$FIX/unrelated.zip"'
}

@test "cvx-unzip: not an export: ZIP of unrelated files from a pipe" {
	nothing_committed 'cat "$FIX/unrelated.zip" | cvx-unzip'
}

@test "cvx-unzip: not a ZIP: a text file" {
	nothing_committed 'cvx-unzip "$ROOT/README.md"'
}

@test "cvx-unzip: real folder, a table in _tables without documents.jsonl" {
	require_corpus
	nothing_committed 'cvx-unzip "$FIX/missing-table"'
}

@test "cvx-unzip: real export ZIP truncated, from a file" {
	require_corpus
	nothing_committed 'cvx-unzip "$FIX/truncated.zip"'
}

@test "cvx-unzip: real export ZIP truncated, from a pipe" {
	require_corpus
	nothing_committed 'cat "$FIX/truncated.zip" | cvx-unzip'
}

@test "cvx-unzip: a broken line in the middle of a large folder table" {
	nothing_committed 'cvx-unzip "$FIX/badline"'
}

@test "cvx-unzip: CRC-32 mismatch in the middle of a large stored entry" {
	nothing_committed 'cvx-unzip "$FIX/crc.zip"'
}

@test "cvx-unzip: SIGTERM while it writes" {
	kill_writing_stage cvx-unzip TERM 'cvx-unzip "$BIGZIP"'
	assert_nothing_committed
}

@test "cvx-unzip: SIGINT while it writes" {
	kill_writing_stage cvx-unzip INT 'cvx-unzip "$BIGZIP"'
	assert_nothing_committed
}

@test "Ctrl-C: SIGINT to every stage of cvx-unzip | cvx-jsonl-map | cvx-pg-load" {
	lock_t
	bg_pipe "cvx-unzip \"\$BIGZIP\" | $MAPT"
	wait_until "cvx-pg-load waiting for the lock" loader_waits_for_lock
	wait_until "cvx-jsonl-map blocked writing" \
	    stage_in cvx-jsonl-map "$WRITING"
	kill -INT -- "-$BG"
	unlock_t
	wait_bg
	[ "$status" -ne 0 ] || fail "status 0: $output"
	assert_unchanged
}

# ---- cvx-jsonl-map ------------------------------------------------------

@test "cvx-jsonl-map: unknown option" {
	nothing_committed 'cvx-unzip "$ZIP" | cvx-jsonl-map --bogus "._table = \"t\""'
}

@test "cvx-jsonl-map: no filter" {
	nothing_committed 'cvx-unzip "$ZIP" | cvx-jsonl-map'
}

@test "cvx-jsonl-map: missing operand file" {
	nothing_committed "$MAPT \"\$W/missing.jsonl\""
}

@test "cvx-jsonl-map: jq compile error" {
	nothing_committed "cvx-unzip \"\$ZIP\" | cvx-jsonl-map '{_table, _id'"
}

@test "cvx-jsonl-map: missing --slurpfile file" {
	nothing_committed 'cvx-unzip "$ZIP" | cvx-jsonl-map --slurpfile skip "$W/missing.json" "._table = \"t\""'
}

@test "cvx-jsonl-map: invalid JSON in the --slurpfile file" {
	nothing_committed 'echo "{bad" >skip.json && cvx-unzip "$ZIP" | cvx-jsonl-map --slurpfile skip skip.json "._table = \"t\""'
}

@test "cvx-jsonl-map: -f missing.jq" {
	nothing_committed 'cvx-unzip "$ZIP" | cvx-jsonl-map -f "$W/missing.jq"'
}

@test "cvx-jsonl-map: bad --argjson" {
	nothing_committed 'cvx-unzip "$ZIP" | cvx-jsonl-map --argjson x "{bad" "._table = \"t\""'
}

@test "cvx-jsonl-map: -j 0" {
	nothing_committed 'cvx-unzip "$ZIP" | cvx-jsonl-map -j 0 "._table = \"t\""'
}

@test "cvx-jsonl-map: -t ''" {
	nothing_committed 'cvx-unzip "$ZIP" | cvx-jsonl-map -t "" "._table = \"t\""'
}

@test "cvx-jsonl-map: a broken line in the middle of a large stream" {
	nothing_committed "$MAPT \"\$FIX/bad.jsonl\""
}

@test "cvx-jsonl-map: a broken line in the middle of a large stream, from a pipe" {
	nothing_committed "cat \"\$FIX/bad.jsonl\" | $MAPT"
}

@test "cvx-jsonl-map: libjq's assertion (SIGABRT) in the middle of a large stream" {
	# jq 1.6's todate asserts past the year 2^31; the crash writes the
	# abort line (common/stream.c), so the load does not commit.
	nothing_committed 'cvx-jsonl-map --arg mid "$MID" "if ._id == \$mid then ._t = (1e17 | todate) else ._table = \"t\" end" "$BIGJSONL"'
	[[ $output == *"aborted (SIGABRT)"* ]] || fail "$output"
}

@test "cvx-jsonl-map: a jq error in the middle of a large stream" {
	nothing_committed 'cvx-jsonl-map --arg mid "$MID" "if ._id == \$mid then error(\"injected\") else ._table = \"t\" end" "$BIGJSONL"'
}

@test "cvx-jsonl-map: relays an upstream usage error" {
	nothing_committed "cvx-unzip --bogus \"\$ZIP\" | $MAPT"
}

@test "cvx-jsonl-map: relays an upstream failure mid-stream" {
	nothing_committed "cvx-unzip \"\$FIX/badline\" | $MAPT"
}

@test "cvx-jsonl-map: SIGTERM while it waits for a slow producer" {
	kill_waiting_stage cvx-jsonl-map TERM \
	    "$(slow_producer "$BIGJSONL" -n "$HALF_LINES") | $MAPT"
	assert_nothing_committed
}

@test "cvx-jsonl-map: SIGINT while it waits for a slow producer" {
	kill_waiting_stage cvx-jsonl-map INT \
	    "$(slow_producer "$BIGJSONL" -n "$HALF_LINES") | $MAPT"
	assert_nothing_committed
}

@test "cvx-jsonl-map: SIGTERM while it writes" {
	kill_writing_stage cvx-jsonl-map TERM "$MAPT \"\$BIGJSONL\""
	assert_nothing_committed
}

@test "cvx-jsonl-map: SIGINT while it writes" {
	kill_writing_stage cvx-jsonl-map INT "cvx-unzip \"\$BIGZIP\" | $MAPT"
	assert_nothing_committed
}

# ---- cvx-count: it writes no stream, only counts once its input has ended

# Run STAGES | cvx-count without pipefail: status 1, no counts on stdout.
no_counts() {
	run --separate-stderr bash -c "set +o pipefail; cd \"\$W\" || exit 99; $1 | cvx-count"
	[ "$status" -eq 1 ] || fail "cvx-count exited $status, expected 1: $output $stderr"
	[ -z "$output" ] || fail "cvx-count printed counts: $output"
}

@test "cvx-count: control: counts a good stream" {
	run -0 --separate-stderr bash -c 'cvx-unzip "$ZIP" | cvx-count'
	assert_line $'messages\t300'
}

@test "cvx-count: after a cvx-unzip usage error: no counts, status 1" {
	no_counts 'cvx-unzip --bogus "$ZIP"'
}

@test "cvx-count: after an empty folder: no counts, status 1" {
	no_counts 'mkdir -p empty && cvx-unzip empty'
}

@test "cvx-count: after a jq compile error: no counts, status 1" {
	no_counts "cvx-unzip \"\$ZIP\" | cvx-jsonl-map '{_table, _id'"
}

@test "cvx-count: after a broken line mid-stream upstream: no counts, status 1" {
	no_counts 'cvx-unzip "$FIX/badline"'
}

@test "cvx-count: after SIGTERM to cvx-jsonl-map: no counts, status 1" {
	kill_waiting_stage cvx-jsonl-map TERM \
	    "$(slow_producer "$BIGJSONL" -n "$HALF_LINES") | $MAPT" cvx-count
	[ "$status" -eq 1 ] || fail "cvx-count exited $status: $output"
	[ ! -s "$W/out" ] || fail "cvx-count printed counts: $(cat "$W/out")"
}

@test "cvx-count: its own broken line mid-stream: nothing on stdout, status 1" {
	run --separate-stderr cvx-count "$FIX/bad.jsonl"
	[ "$status" -eq 1 ] || fail "status $status"
	assert_output ""
}

@test "cvx-count: its own usage error: nothing on stdout, status 2" {
	run --separate-stderr cvx-count --bogus "$BIGJSONL"
	[ "$status" -eq 2 ] || fail "status $status"
	assert_output ""
}
