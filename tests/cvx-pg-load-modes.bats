# cvx-pg-load: how merge and replace reach their result (issue 5): merge
# straight into an empty table, replace of tables linked by foreign keys,
# and input line numbers across COPYs.  The modes' basic behaviour is in
# cvx-pg-load.bats.

bats_require_minimum_version 1.5.0
load test_helper
load pg_helper

setup_file() { pg_start; }
teardown_file() { pg_stop; }
setup() { pg_newdb; }

# A parent table p and a child c that references it, each with old rows.
linked_tables() {
	sql -c 'CREATE TABLE p (id int PRIMARY KEY, v text)' \
	    -c 'CREATE TABLE c (id int PRIMARY KEY, pid int NOT NULL REFERENCES p, v text)' \
	    -c 'CREATE TABLE other (id int)' \
	    -c 'INSERT INTO p SELECT g, $$old$$ FROM generate_series(1, 20) g' \
	    -c 'INSERT INTO c SELECT g, g, $$old$$ FROM generate_series(1, 20) g' \
	    -c 'INSERT INTO other VALUES (1)'
}

# Everything in p and c, for before/after comparisons.
dump_linked() {
	{ dump_table p; echo; dump_table c; echo; dump_table other; }
}

@test "merge into an empty table locks it against other writers while it loads" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, v text)' \
	    -c 'CREATE TABLE full_t (id int PRIMARY KEY, v text)' \
	    -c 'INSERT INTO full_t VALUES (1, $$x$$)'
	mkfifo "$BATS_TEST_TMPDIR/in"
	cvx-pg-load -d "$DB" -m merge "$BATS_TEST_TMPDIR/in" 2>"$BATS_TEST_TMPDIR/err" &
	# bats keeps fd 3 for itself.
	exec {w}>"$BATS_TEST_TMPDIR/in"
	printf '{"_table":"t","id":1,"v":"a"}\n{"_table":"full_t","id":2,"v":"b"}\n' >&$w
	locks() {
		sql -c "SELECT c.relname || ':' || l.mode FROM pg_locks l
		    JOIN pg_class c ON c.oid = l.relation
		    WHERE c.relname IN ('t', 'full_t') AND l.pid <> pg_backend_pid()
		    ORDER BY 1"
	}
	for i in $(seq 100); do
		[[ $(locks) == *full_t* ]] && break
		sleep 0.1
	done
	run -0 locks
	exec {w}>&-
	wait $! || fail "$(cat "$BATS_TEST_TMPDIR/err")"
	# The empty table is locked; the one with rows is not (staging).
	assert_output --partial 't:ShareRowExclusiveLock'
	refute_output --partial 'full_t:ShareRowExclusiveLock'
	run -0 sql -c 'SELECT id, v FROM t UNION ALL SELECT id, v FROM full_t ORDER BY 1'
	assert_output '1|a
1|x
2|b'
}

@test "merge by a role that may only insert stages, since it cannot lock" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY)' \
	    -c "DROP ROLE IF EXISTS ins_$DBNAME" -c "CREATE ROLE ins_$DBNAME LOGIN" \
	    -c "GRANT SELECT, INSERT ON t TO ins_$DBNAME"
	printf '{"_table":"t","id":1}\n{"_table":"t","id":2}\n{"_table":"t","id":1}\n' | docs in
	run --separate-stderr cvx-pg-load -d "$DB user=ins_$DBNAME" -m merge "$BATS_TEST_TMPDIR/in"
	sql -c 'DROP TABLE t' -c "DROP ROLE ins_$DBNAME" >/dev/null
	assert_success
	[[ $stderr == *"t: 3 read, 2 inserted, 0 updated, 1 unchanged"* ]] || fail "$stderr"
}

@test "merge into an empty table gives what the staged merge gives" {
	# Two tables of the same shape: a is empty (merged straight into),
	# b holds one row (staged).  The stream names a column with a DEFAULT
	# late, so the rows before it load NULL there, and then repeats keys
	# from COPYs long done (over 8 MiB back), so the rows copied straight
	# in are updated by the staged ones.
	for t in a b; do
		sql -c "CREATE TABLE $t (id int PRIMARY KEY, v text, late int DEFAULT 7, d int DEFAULT 9)"
	done
	sql -c 'INSERT INTO b VALUES (-1, $$seed$$, 0, 0)'
	for t in a b; do
		python3 -c '
import sys
t = sys.argv[1]
def doc(i, v, late=None):
    s = "{\"_table\":\"%s\",\"id\":%d,\"v\":\"%s %s\"" % (t, i, v, "x" * 200)
    if late is not None:
        s += ",\"late\":%d" % late
    return s + "}"
for i in range(1, 60001):
    print(doc(i, "first", i if i > 45000 else None))
print(doc(5, "again"))
print(doc(7, "last", 1))
print(doc(59999, "end"))
' "$t"
	done | docs in
	run --separate-stderr cvx-pg-load -d "$DB" -m merge "$BATS_TEST_TMPDIR/in"
	assert_success
	[[ $stderr == *"a: 60003 read"* && $stderr == *"b: 60003 read"* ]] || fail "$stderr"
	sql -c 'DELETE FROM b WHERE id = -1'
	# late: ids 45001-60000 but 59999, and 7; never the DEFAULT.
	run -0 sql -c 'SELECT count(*), count(late), min(d), max(d) FROM a'
	assert_output '60000|15000|9|9'
	run -0 sql -c "SELECT id, left(v, 6), late FROM a WHERE id IN (5, 7, 59999) ORDER BY id"
	assert_output '5|again |
7|last x|1
59999|end xx|'
	diff <(dump_table a) <(dump_table b)
}

@test "merge into an empty table rolls back on a later error" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, v text)'
	python3 -c '
for i in range(1, 50001):
    print("{\"_table\":\"t\",\"id\":%d,\"v\":\"%s\"}" % (i, "v" * 300))
print("{\"_table\":\"t\",\"id\":\"bad\"}")
' | docs in
	run --separate-stderr cvx-pg-load -d "$DB" -m merge "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *'line 50001: table t, column id'* ]] || fail "$stderr"
	run -0 sql -c 'SELECT count(*) FROM t'
	assert_output 0
}

@test "merge checks for a unique index on the key before loading" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, k text, v text)'
	printf '{"_table":"t","id":1,"k":"a"}\n' | docs in
	run --separate-stderr cvx-pg-load -d "$DB" -m merge -k k "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *'table t: merge key k: there is no unique or exclusion constraint matching the ON CONFLICT specification' ]] || fail "$stderr"
	run -0 sql -c 'SELECT count(*) FROM t'
	assert_output 0
}

@test "a server error names its input line after a COPY was ended early" {
	# Table a's COPY is open with rows still buffered when b's first
	# document ends it (b's catalogue queries): the buffered rows are
	# the next COPY's first rows, and the error must still name line N.
	sql -c 'CREATE TABLE a (id int, v text CHECK (v <> $$bad$$))' -c 'CREATE TABLE b (id int)'
	python3 -c '
for i in range(1, 3001):
    print("{\"_table\":\"a\",\"id\":%d,\"v\":\"%s\"}" % (i, "v" * 300))
print("{\"_table\":\"a\",\"id\":0,\"v\":\"bad\"}")
print("{\"_table\":\"b\",\"id\":1}")
' | docs in
	run --separate-stderr cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *'line 3001: table a'*'check constraint'* ]] || fail "$stderr"
}

@test "replace empties tables linked by a foreign key together" {
	linked_tables
	docs in <<'J'
{"_table":"p","id":100,"v":"new"}
{"_table":"p","id":101,"v":"new"}
{"_table":"c","id":200,"pid":100,"v":"new"}
{"_table":"c","id":201,"pid":101,"v":"new"}
{"_table":"p","id":102,"v":"new"}
J
	run --separate-stderr cvx-pg-load -d "$DB" -m replace "$BATS_TEST_TMPDIR/in"
	assert_success
	[[ $stderr == *"c: 2 read, 2 inserted"* && $stderr == *"p: 3 read, 3 inserted"* ]] || fail "$stderr"
	run -0 sql -c 'SELECT id, v FROM p UNION ALL SELECT id, v FROM c ORDER BY 1'
	assert_output '100|new
101|new
102|new
200|new
201|new'
	run -0 sql -c 'SELECT count(*) FROM other'
	assert_output 1
}

@test "replace of linked tables spools megabytes and loads every row" {
	linked_tables
	python3 -c '
for i in range(100, 2100):
    print("{\"_table\":\"p\",\"id\":%d,\"v\":\"%s\"}" % (i, "p" * 500))
    for j in range(5):
        print("{\"_table\":\"c\",\"id\":%d,\"pid\":%d,\"v\":\"%s\"}" % (i * 10 + j, i, "c" * 500))
' | docs in
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/in")" -gt 5000000 ]
	run --separate-stderr cvx-pg-load -d "$DB" -m replace "$BATS_TEST_TMPDIR/in"
	assert_success
	[[ $stderr == *"c: 10000 read, 10000 inserted"* && $stderr == *"p: 2000 read, 2000 inserted"* ]] || fail "$stderr"
	run -0 sql -c "SELECT count(*), sum(length(v)), min(id) FROM c JOIN (SELECT id AS pid FROM p) p USING (pid)"
	assert_output '10000|5000000|1000'
}

@test "replace of a referenced table refuses, and changes nothing, when the referencing one is not in the stream" {
	linked_tables
	dump_linked >"$BATS_TEST_TMPDIR/before"
	printf '{"_table":"p","id":100,"v":"new"}\n' | docs in
	run --separate-stderr cvx-pg-load -d "$DB" -m replace "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *'replace: TRUNCATE "public"."p": cannot truncate a table referenced in a foreign key constraint: Table "c" references "p". (--truncate names more tables to empty)' ]] || fail "$stderr"
	diff "$BATS_TEST_TMPDIR/before" <(dump_linked)
}

@test "replace --truncate empties the named tables first, one without rows in the stream too" {
	linked_tables
	printf '{"_table":"p","id":100,"v":"new"}\n' | docs in
	run -0 cvx-pg-load -d "$DB" -m replace --truncate c,p "$BATS_TEST_TMPDIR/in"
	run -0 sql -c 'SELECT (SELECT string_agg(id::text, $$,$$) FROM p), (SELECT count(*) FROM c), (SELECT count(*) FROM other)'
	assert_output '100|0|1'
}

@test "replace --truncate of a table referenced from outside the list fails and changes nothing" {
	linked_tables
	dump_linked >"$BATS_TEST_TMPDIR/before"
	printf '{"_table":"p","id":100,"v":"new"}\n' | docs in
	run --separate-stderr cvx-pg-load -d "$DB" -m replace --truncate p "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *'--truncate: TRUNCATE "public"."p": cannot truncate a table referenced in a foreign key constraint: Table "c" references "p".' ]] || fail "$stderr"
	diff "$BATS_TEST_TMPDIR/before" <(dump_linked)
}

@test "replace of linked tables is atomic and names the input line of a late error" {
	linked_tables
	dump_linked >"$BATS_TEST_TMPDIR/before"
	docs in <<'J'
{"_table":"p","id":100,"v":"new"}
{"_table":"c","id":200,"pid":100,"v":"new"}
{"_table":"c","id":201,"pid":null,"v":"orphan"}
J
	run --separate-stderr cvx-pg-load -d "$DB" -m replace "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *'line 3: table c: null value in column "pid"'* ]] || fail "$stderr"
	diff "$BATS_TEST_TMPDIR/before" <(dump_linked)
	# The same without a spool: -T names both tables up front.
	run --separate-stderr cvx-pg-load -d "$DB" -m replace --truncate p,c "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *'line 3: table c: null value in column "pid"'* ]] || fail "$stderr"
	diff "$BATS_TEST_TMPDIR/before" <(dump_linked)
}

@test "replace of linked tables: an abort line after the spool began commits nothing" {
	linked_tables
	dump_linked >"$BATS_TEST_TMPDIR/before"
	printf '{"_table":"p","id":100,"v":"new"}\n#cvx-abort cvx-unzip: boom\n' | docs in
	run --separate-stderr cvx-pg-load -d "$DB" -m replace --truncate c "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[ "$stderr" = "cvx-pg-load: $BATS_TEST_TMPDIR/in: line 2: upstream failed: cvx-unzip: boom" ] || fail "$stderr"
	diff "$BATS_TEST_TMPDIR/before" <(dump_linked)
}

@test "replace refuses an input without documents, and empties nothing" {
	linked_tables
	dump_linked >"$BATS_TEST_TMPDIR/before"
	: | docs empty
	# Another session reads p: a TRUNCATE would wait for it, and then
	# fail on the lock_timeout.  Nothing may even try.
	psql -X -q -d "$DB application_name=reader" -c 'BEGIN' \
	    -c 'LOCK TABLE p IN ACCESS SHARE MODE' -c 'SELECT pg_sleep(60)' >/dev/null 2>&1 &
	for i in $(seq 100); do
		[ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'reader' AND wait_event = 'PgSleep'")" = 1 ] && break
		sleep 0.05
	done
	for args in "" "--truncate c,p" "-n --truncate c,p" "--no-db --truncate c,p"; do
		run --separate-stderr env PGOPTIONS='-c lock_timeout=5s' \
		    cvx-pg-load -d "$DB" -m replace $args "$BATS_TEST_TMPDIR/empty"
		assert_failure 1
		[ "$stderr" = "cvx-pg-load: $BATS_TEST_TMPDIR/empty: no documents to replace the tables with (--allow-empty if that is meant)" ] || fail "$args: $stderr"
	done
	run --separate-stderr cvx-pg-load -d "$DB" -m replace --truncate c,p </dev/null
	assert_failure 1
	[[ $stderr == "cvx-pg-load: stdin: no documents to replace"* ]] || fail "$stderr"
	sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'reader'" >/dev/null
	wait
	diff "$BATS_TEST_TMPDIR/before" <(dump_linked)
}

@test "replace --allow-empty with no documents empties the -T tables" {
	linked_tables
	run --separate-stderr cvx-pg-load -d "$DB" -m replace --truncate c,p --allow-empty </dev/null
	assert_success
	[[ $stderr == *"cvx-pg-load: 0 documents, committed" ]] || fail "$stderr"
	run -0 sql -c 'SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM c), (SELECT count(*) FROM other)'
	assert_output '0|0|1'
}

@test "--truncate or --allow-empty outside replace, or --truncate without a name, is a usage error" {
	run -2 cvx-pg-load -d "$DB" -m merge --truncate p </dev/null
	run -2 cvx-pg-load -d "$DB" -m replace --truncate , </dev/null
	run -2 cvx-pg-load -d "$DB" --truncate p </dev/null
	run -2 cvx-pg-load -d "$DB" -m merge --allow-empty </dev/null
	run -2 cvx-pg-load -d "$DB" --allow-empty </dev/null
}
