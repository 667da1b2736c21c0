# PostgreSQL for tests: one private server per .bats file (tests/pg-server),
# a fresh database per test, and psql wrappers.  Load after test_helper:
#
#   load test_helper
#   load pg_helper
#   setup_file()    { pg_start; }
#   teardown_file() { pg_stop; }
#   setup()         { pg_newdb; }     # sets DB (conninfo) and DBNAME
#
# Under CI a server that cannot start fails the file; elsewhere it skips.

# Start the server of this file; exports PGDIR and PGCONN (the postgres db).
pg_start() {
	command -v psql >/dev/null || require "psql is not installed"
	# Unix socket paths are limited to 107 bytes: keep DIR short.
	PGDIR=$(mktemp -d /tmp/cvxpg.XXXXXX)
	if ! PGCONN=$("$ROOT/tests/pg-server" start "$PGDIR"); then
		rm -rf "$PGDIR"
		PGDIR=
		require "a private PostgreSQL server could not start"
	fi
	export PGDIR PGCONN
}

# Stop the server and remove its directory.
pg_stop() {
	[ -z "${PGDIR:-}" ] || "$ROOT/tests/pg-server" stop "$PGDIR"
}

# The conninfo of database $1 on this file's server.
pg_url() {
	echo "host=$PGDIR dbname=$1 user=postgres"
}

# psql on database $1 of this file's server, stopping on the first error.
psql_q() {
	local db=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -d "$(pg_url "$db")" "$@"
}

# A fresh database for the current test: sets DB (conninfo) and DBNAME.
pg_newdb() {
	[ -n "${PGDIR:-}" ] || require "no PostgreSQL server"
	DBNAME=t${BATS_TEST_NUMBER}
	PGOPTIONS='-c client_min_messages=warning' \
	    psql -X -q -v ON_ERROR_STOP=1 -d "$PGCONN" \
	    -c "DROP DATABASE IF EXISTS $DBNAME" -c "CREATE DATABASE $DBNAME" \
	    >/dev/null
	DB=$(pg_url "$DBNAME")
	export DB DBNAME
}

# psql on the test's database: unaligned, tuples only, stop on error.
sql() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" "$@"
}

# Write the documents on stdin to $BATS_TEST_TMPDIR/$1.
docs() {
	cat >"$BATS_TEST_TMPDIR/$1"
}

# Every row of table $1 (SQL text, already quoted), sorted, as COPY text.
dump_table() {
	sql -c "COPY (SELECT * FROM $1 ORDER BY 1) TO STDOUT"
}
