#!/usr/bin/env bats
# The stream contract's one reading of the tag (common/stream.c): every
# tool that reads `_table` / `_component` means the same table by the same
# line, or refuses it with the same words.  Each case runs through
# cvx-count, cvx-jsonl-map -t and cvx-pg-load.

load test_helper
load pg_helper

setup_file() { pg_start; }
teardown_file() { pg_stop; }
setup() { pg_newdb; }

LONG=$(printf 'x%.0s' {1..256})
MAX=$(printf 'x%.0s' {1..255})

# The cases: a document line, then its identity or "!error message".
CASES=(
	'{"_table":"users","n":1}'			'users'
	'{"n":1,"_table":"users"}'			'users'
	'{"_table":"us\u0065rs","n":1}'			'users'
	'{"_t\u0061ble":"users","n":1}'			'users'
	'{"_table":"users","_component":"auth","n":1}'	'auth:users'
	'{"_component":"a/b","_table":"users","n":1}'	'a/b:users'
	'{"_table":"users","_component":"","n":1}'	'users'
	"{\"_table\":\"$MAX\",\"n\":1}"			"$MAX"
	'{"_table":5,"n":1}'				'!_table is not a string'
	'{"_table":"","n":1}'				'!_table is empty'
	'{"_table":"a\u0001b","n":1}'			'!control character in _table'
	'{"_table":"a\tb","n":1}'			'!control character in _table'
	'{"_table":"a\u0000b","n":1}'			'!control character in _table'
	'{"_table":"users","_component":"a\nb","n":1}'	'!control character in _component'
	"{\"_table\":\"$LONG\",\"n\":1}"		'!_table is longer than 255 bytes'
	'{"_table":"users","_table":"x","n":1}'		'!_table given twice'
	'{"_component":"auth","n":1}'			'!_component without _table'
	'{"_table":"users","_component":7,"n":1}'	'!_component is not a string'
)

@test "cvx-count, cvx-jsonl-map -t and cvx-pg-load read every tag alike" {
	local c line want got
	for ((c = 0; c < ${#CASES[@]}; c += 2)); do
		line=${CASES[c]}
		want=${CASES[c + 1]}
		printf '%s\n' "$line" >"$BATS_TEST_TMPDIR/in"

		# cvx-count: the identity is the row's name.
		run --separate-stderr cvx-count "$BATS_TEST_TMPDIR/in"
		if [[ $want == !* ]]; then
			[ "$status" -eq 1 ] || fail "count: $line: status $status"
			[[ $stderr == *": ${want#!}" ]] ||
			    fail "count: $line: $stderr"
		else
			[ "$status" -eq 0 ] || fail "count: $line: $stderr"
			[ "$output" = "$want	1" ] ||
			    fail "count: $line: $output"
		fi

		# cvx-jsonl-map -t: the document is mapped under its identity.
		run --separate-stderr cvx-jsonl-map -t "${want#!}" '{n: 2}' \
		    "$BATS_TEST_TMPDIR/in"
		if [[ $want == !* ]]; then
			[ "$status" -eq 1 ] || fail "map: $line: status $status"
			[[ $stderr == *": ${want#!} at byte "* ]] ||
			    fail "map: $line: $stderr"
		else
			[ "$status" -eq 0 ] || fail "map: $line: $stderr"
			[ "$output" = '{"n":2}' ] || fail "map: $line: $output"
		fi

		# cvx-pg-load: the row lands in the table of that name
		# (PostgreSQL names stop at 63 bytes).
		[ ${#want} -le 63 ] || continue
		if [[ $want != !* ]]; then
			sql -c "CREATE TABLE \"$want\" (n int)"
		fi
		run --separate-stderr cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
		if [[ $want == !* ]]; then
			[ "$status" -eq 1 ] || fail "load: $line: status $status"
			[[ $stderr == *"line 1: ${want#!}"* ]] ||
			    fail "load: $line: $stderr"
		else
			[ "$status" -eq 0 ] || fail "load: $line: $stderr"
			got=$(sql -c "SELECT count(*) FROM \"$want\"")
			[ "$got" = 1 ] || fail "load: $line: $got rows in $want"
			sql -c "DROP TABLE \"$want\""
		fi
	done
}

@test "-t users does not pick a component's users, nor do the others" {
	printf '%s\n' '{"_table":"users","_component":"auth","n":1}' \
	    '{"_table":"users","n":2}' >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-count "$BATS_TEST_TMPDIR/in"
	assert_output "$(printf 'auth:users\t1\nusers\t1')"
	run --separate-stderr cvx-jsonl-map -t users 'select(false)' \
	    "$BATS_TEST_TMPDIR/in"
	assert_output '{"_table":"users","_component":"auth","n":1}'
}
