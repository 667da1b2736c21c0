# cvx-pg-load on Citus (issue 18): a Citus cluster (tests/citus/cluster)
# and a plain PostgreSQL (tests/pg-server) side by side; every test runs
# the same load against both and compares every table, row for row.
# Load after ../test_helper:
#
#   setup_file()    { citus_start; }
#   teardown_file() { citus_stop; }
#   setup()         { citus_newschema; }    # sets S, the test's schema

# test_helper takes tests/ for the root: this file lives one level down.
ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
if [ ! -x "$CVX_BUILD/cvx-pg-load" ]; then
	CVX_BUILD=$ROOT/build
	PATH=$CVX_BUILD:$PATH
fi
export ROOT CVX_BUILD PATH
# Both sides print timestamps alike.
export PGTZ=UTC

# Start both servers, make the synthetic export (CITUS_MESSAGES messages,
# default 20000): exports CITUS (the coordinator), PLAIN, CT (the
# cluster's directory), EXPORT (its tagged stream).
citus_start() {
	[ -f "$(ls -d /usr/lib/postgresql/*/lib 2>/dev/null | sort -V |
	    tail -n 1)/citus.so" ] ||
	    skip "Citus is not installed (tests/citus/build SRCDIR)"
	CT=$(mktemp -d /tmp/cvxct.XXXXXX)
	PGDIR=$(mktemp -d /tmp/cvxpg.XXXXXX)
	export CT PGDIR
	CITUS=$("$ROOT/tests/citus/cluster" start "$CT")
	PLAIN=$("$ROOT/tests/pg-server" start "$PGDIR")
	export CITUS PLAIN
	EXPORT=$BATS_FILE_TMPDIR/chat.jsonl
	python3 "$ROOT/bench/gen-export.py" -q \
	    --messages "${CITUS_MESSAGES:-20000}" --jsonl "$EXPORT" \
	    "$BATS_FILE_TMPDIR/chat.zip"
	export EXPORT
}

citus_stop() {
	[ -z "${CT:-}" ] || "$ROOT/tests/citus/cluster" stop "$CT"
	[ -z "${PGDIR:-}" ] || "$ROOT/tests/pg-server" stop "$PGDIR"
}

# psql on conninfo $1: unaligned, tuples only, stop at the first error.
q() {
	local c=$1
	shift
	PGOPTIONS='-c client_min_messages=warning' \
	    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$c" "$@"
}

# The test's schema, fresh on both sides, with the chat tables: users a
# reference table, threads, runs, messages and receipts hash-distributed
# on _id (32 shards), authAccounts and authSessions plain tables on the
# coordinator.  Columns with a DEFAULT make late columns matter.
citus_newschema() {
	S=s${BATS_TEST_NUMBER}
	export S
	local ddl="DROP SCHEMA IF EXISTS $S CASCADE; CREATE SCHEMA $S;
	SET search_path = $S;
	CREATE TABLE users (_id text PRIMARY KEY, \"_creationTime\" timestamptz,
	    email text, name text, role text, \"tokenIdentifier\" text,
	    image text DEFAULT 'default.png');
	CREATE TABLE threads (_id text PRIMARY KEY, \"_creationTime\" timestamptz,
	    \"lastMessageAt\" timestamptz, status text, title text,
	    \"userId\" text DEFAULT 'nobody');
	CREATE TABLE runs (_id text PRIMARY KEY, \"_creationTime\" timestamptz,
	    events jsonb, \"finishedAt\" timestamptz, model text,
	    \"startedAt\" timestamptz, status text, \"threadId\" text,
	    usage jsonb, \"userId\" text, cost numeric DEFAULT 0);
	CREATE TABLE messages (_id text PRIMARY KEY, \"_creationTime\" timestamptz,
	    content text, metadata jsonb, position bigint, role text,
	    \"runId\" text, \"threadId\" text, \"userId\" text DEFAULT 'system');
	CREATE TABLE receipts (_id text PRIMARY KEY, \"_creationTime\" timestamptz,
	    \"messageId\" text, \"readAt\" timestamptz, \"userId\" text);
	CREATE TABLE \"authAccounts\" (_id text PRIMARY KEY,
	    \"_creationTime\" timestamptz, provider text,
	    \"providerAccountId\" text, \"userId\" text);
	CREATE TABLE \"authSessions\" (_id text PRIMARY KEY,
	    \"_creationTime\" timestamptz, \"expirationTime\" timestamptz,
	    \"userId\" text);"
	q "$PLAIN" -c "$ddl"
	q "$CITUS" -c "$ddl" -c "SET citus.shard_count = 32" \
	    -c "SELECT create_reference_table('$S.users')" \
	    -c "SELECT create_distributed_table('$S.threads', '_id')" \
	    -c "SELECT create_distributed_table('$S.runs', '_id', colocate_with => '$S.threads')" \
	    -c "SELECT create_distributed_table('$S.messages', '_id', colocate_with => '$S.threads')" \
	    -c "SELECT create_distributed_table('$S.receipts', '_id', colocate_with => '$S.threads')" \
	    >/dev/null
}

# Every table of schema $2 on conninfo $1, by name, each row in _id order.
dump_schema() {
	local c=$1 s=$2 t
	for t in $(q "$c" -c "SELECT quote_ident(relname) FROM pg_class
	    WHERE relnamespace = '$s'::regnamespace AND relkind IN ('r', 'p')
	    ORDER BY relname COLLATE \"C\""); do
		echo "== $t"
		q "$c" -c "COPY (SELECT * FROM $s.$t ORDER BY 1) TO STDOUT"
	done
}

# Assert that schema $S holds the same rows on Citus and on plain
# PostgreSQL, and that it holds some.
assert_same() {
	dump_schema "$CITUS" "$S" >"$BATS_TEST_TMPDIR/citus.dump"
	dump_schema "$PLAIN" "$S" >"$BATS_TEST_TMPDIR/plain.dump"
	[ "$(grep -vc '^==' "$BATS_TEST_TMPDIR/plain.dump")" -gt 0 ] ||
	    fail "no rows to compare"
	diff -u "$BATS_TEST_TMPDIR/plain.dump" "$BATS_TEST_TMPDIR/citus.dump" |
	    head -n 40 >"$BATS_TEST_TMPDIR/diff" || true
	[ ! -s "$BATS_TEST_TMPDIR/diff" ] ||
	    fail "Citus and plain PostgreSQL differ: $(cat "$BATS_TEST_TMPDIR/diff")"
}

# Run cvx-pg-load (its options after --) on both sides, input file $1:
# sets pstatus/poutput (plain) and status/output (Citus), stderr included.
load_both() {
	local in=$1
	shift
	run cvx-pg-load --dbname "$PLAIN" --schema "$S" "$@" "$in"
	pstatus=$status
	poutput=$output
	run cvx-pg-load --dbname "$CITUS" --schema "$S" "$@" "$in"
}

# Nothing a failed or finished run may leave: prepared transactions on
# any node, staging tables.
assert_clean() {
	local n
	for n in c w1 w2; do
		run q "host=$CT/$n dbname=postgres user=postgres" \
		    -c "SELECT count(*) FROM pg_prepared_xacts" \
		    -c "SELECT count(*) FROM pg_class WHERE relname LIKE 'cvx_stage%'"
		assert_output "0
0"
	done
	run q "$PLAIN" -c "SELECT count(*) FROM pg_class WHERE relname LIKE 'cvx_stage%'"
	assert_output 0
}
