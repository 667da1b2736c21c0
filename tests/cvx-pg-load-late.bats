# cvx-pg-load: the late-column rule (issue 18).  A column with a DEFAULT
# first named partway through a table: the rows before it hold NULL, and
# no other row changes, whatever else writes in the load's transaction
# (triggers inserting and updating rows of the same table).  The same on
# Citus is in tests/citus/.

bats_require_minimum_version 1.5.0
load test_helper
load pg_helper

setup_file() { pg_start; }
teardown_file() { pg_stop; }
setup() { pg_newdb; }

# ev takes the stream's rows and, from src's trigger, rows of its own and
# an update of the row that was there before; b is named late, n never.
trigger_tables() {
	sql -c "CREATE TABLE ev (_id text PRIMARY KEY, a text,
	        b text DEFAULT 'dflt', n int DEFAULT 5)" \
	    -c "CREATE TABLE src (_id text PRIMARY KEY)" \
	    -c "INSERT INTO ev (_id, a, b) VALUES ('old', 'old', 'kept')" \
	    -c 'CREATE FUNCTION src_log() RETURNS trigger LANGUAGE plpgsql AS $f$
	        BEGIN
	            INSERT INTO ev (_id, a) VALUES ($$trig-$$ || NEW._id, $$trigger$$);
	            UPDATE ev SET a = $$touched$$ WHERE _id = $$old$$;
	            RETURN NULL;
	        END $f$' \
	    -c 'CREATE TRIGGER src_log AFTER INSERT ON src FOR EACH ROW
	        EXECUTE FUNCTION src_log()'
}

# N documents of src and of ev (ev's b named from N - 100 on, null for
# every other one), each ev row over 200 bytes so that several COPY
# chunks go before b.
late_docs() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
n = int(sys.argv[1])
for t in sys.argv[2].split(","):
    for i in range(n):
        d = {"_table": t, "_id": "%s%05d" % (t, i)}
        if t != "src":
            d["a"] = "x" * 200
            if i >= n - 100:
                d["b"] = "named" if i % 2 else None
        print(json.dumps(d))
EOF
}

# ev's rows by kind: b (NULL shown), n, count.
ev_rows() {
	sql -c "SELECT string_agg(format('%s %s %s', coalesce(b, 'NULL'), n, k), ',' ORDER BY b NULLS FIRST)
	    FROM (SELECT b, n, count(*) k FROM ev GROUP BY 1, 2) x"
}

@test "late column: rows a trigger writes, or updates, in the same transaction keep theirs" {
	trigger_tables
	late_docs 3000 src,ev | docs in
	run -0 cvx-pg-load --dbname "$DB" "$BATS_TEST_TMPDIR/in"
	run -0 ev_rows
	# 2950 stream rows without b (or b null), 50 named, 3000 trigger
	# rows with the DEFAULT, the old row as it was.
	assert_output "NULL 5 2950,dflt 5 3000,kept 5 1,named 5 50"
	run -0 sql -c "SELECT a FROM ev WHERE _id = 'old'"
	assert_output touched
}

@test "late column with a trigger: merge into an empty table and replace are exact too" {
	trigger_tables
	sql -c "DELETE FROM ev"
	# ev's first rows, then src's (the trigger writes into ev), then the
	# rest of ev, naming b.
	{ late_docs 3000 ev | head -n 2000; late_docs 1000 src
	  late_docs 3000 ev | tail -n 1000; } | docs in
	for mode in merge replace; do
		run -0 cvx-pg-load --dbname "$DB" --mode $mode "$BATS_TEST_TMPDIR/in"
		run -0 ev_rows
		assert_output "NULL 5 2950,dflt 5 1000,named 5 50"
	done
}

@test "late column without triggers: the rows before it hold NULL, other rows keep theirs" {
	sql -c "CREATE TABLE ev (_id text PRIMARY KEY, a text, b text DEFAULT 'dflt', n int DEFAULT 5)" \
	    -c "INSERT INTO ev (_id, a) VALUES ('before', 'x')"
	late_docs 3000 ev | docs in
	for mode in insert merge; do
		sql -c "DELETE FROM ev WHERE _id <> 'before'"
		run -0 cvx-pg-load --dbname "$DB" --mode $mode "$BATS_TEST_TMPDIR/in"
		run -0 ev_rows
		assert_output "NULL 5 2950,dflt 5 1,named 5 50"
	done
}

@test "through staging, a table with a serial keeps input order, a child its parent" {
	trigger_tables
	sql -c "CREATE TABLE p (_id text PRIMARY KEY, seq bigserial, v text DEFAULT 'p')" \
	    -c "CREATE TABLE c (_id text PRIMARY KEY, pid text NOT NULL REFERENCES p, seq bigserial)"
	python3 -c '
for i in range(2000):
    print("{\"_table\":\"p\",\"_id\":\"p%05d\"%s}" % (i, ",\"v\":\"late\"" if i > 1500 else ""))
for i in range(2000):
    print("{\"_table\":\"c\",\"_id\":\"c%05d\",\"pid\":\"p%05d\"}" % (i, 1999 - i))
' | docs in
	run -0 cvx-pg-load --dbname "$DB" "$BATS_TEST_TMPDIR/in"
	run -0 sql -c "SELECT count(*), count(v), bool_and(seq = substr(_id, 2)::int + (SELECT min(seq) FROM p)) FROM p"
	assert_output "2000|499|t"
	run -0 sql -c "SELECT count(*) FROM c JOIN p ON p._id = c.pid"
	assert_output 2000
}

@test "through staging, an error names the input line, and nothing is committed" {
	trigger_tables
	late_docs 3000 ev | docs in
	# A key twice: the second is line 3001.
	sed -n 7p "$BATS_TEST_TMPDIR/in" >>"$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr cvx-pg-load --dbname "$DB" "$BATS_TEST_TMPDIR/in"
	[[ $stderr == *'line 3001: table ev: duplicate key value violates unique constraint "ev_pkey": Key (_id)=(ev00006) already exists.'* ]] ||
	    fail "$stderr"
	# A CHECK that line 1500's row breaks.
	late_docs 3000 ev | docs in
	sql -c "ALTER TABLE ev ADD CHECK (_id <> 'ev01499')"
	run -1 --separate-stderr cvx-pg-load --dbname "$DB" --mode replace "$BATS_TEST_TMPDIR/in"
	[[ $stderr == *'line 1500: table ev: new row for relation "ev" violates check constraint'* ]] ||
	    fail "$stderr"
	run -0 ev_rows
	assert_output "kept 5 1"
}

@test "a trigger that only reads keeps the straight COPY, and the fix is exact, in every mode" {
	# As examples/laravel-chat's: a BEFORE trigger that rewrites NEW.
	sql -c "CREATE TABLE ev (_id text PRIMARY KEY, a text, b text DEFAULT 'dflt', n int DEFAULT 5)" \
	    -c "INSERT INTO ev (_id, a) VALUES ('before', 'x')" \
	    -c 'CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $f$
	        BEGIN NEW.a := upper(left(NEW.a, 3)); RETURN NEW; END $f$' \
	    -c 'CREATE TRIGGER shout BEFORE INSERT ON ev FOR EACH ROW EXECUTE FUNCTION shout()'
	late_docs 3000 ev | docs in
	for mode in insert replace merge; do
		[ $mode = replace ] || sql -c "DELETE FROM ev WHERE _id <> 'before'"
		[ $mode != merge ] || sql -c "DELETE FROM ev"
		run -0 cvx-pg-load --dbname "$DB" --mode $mode "$BATS_TEST_TMPDIR/in"
		run -0 sql -c "SELECT count(*) FILTER (WHERE b IS NULL), count(*) FILTER (WHERE b = 'named'), count(*) FILTER (WHERE a = 'XXX') FROM ev WHERE _id <> 'before'"
		assert_output "2950|50|3000"
	done
	# insert kept the row that was there, replace emptied the table.
	run -0 sql -c "SELECT count(*) FROM ev WHERE _id = 'before'"
	assert_output 0
}

@test "a writer the catalog test cannot see fails the late-column fix, and nothing is committed" {
	# src's trigger writes into ev through a function it calls.
	sql -c "CREATE TABLE ev (_id text PRIMARY KEY, a text, b text DEFAULT 'dflt', n int DEFAULT 5)" \
	    -c "CREATE TABLE src (_id text PRIMARY KEY)" \
	    -c "CREATE FUNCTION log_it(id text) RETURNS void LANGUAGE sql AS
	        \$\$ INSERT INTO ev (_id, a) VALUES ('trig-' || id, 'trigger') \$\$" \
	    -c 'CREATE FUNCTION src_log() RETURNS trigger LANGUAGE plpgsql AS $f$
	        BEGIN PERFORM log_it(NEW._id); RETURN NULL; END $f$' \
	    -c 'CREATE TRIGGER src_log AFTER INSERT ON src FOR EACH ROW EXECUTE FUNCTION src_log()'
	late_docs 300 src,ev | docs in
	run -1 --separate-stderr cvx-pg-load --dbname "$DB" "$BATS_TEST_TMPDIR/in"
	[[ $stderr == *"line 501: table ev: column b is first named here, after rows that took its DEFAULT, and a trigger, rule or cascade wrote rows of the table in this transaction"* ]] ||
	    fail "$stderr"
	run -0 sql -c "SELECT (SELECT count(*) FROM ev) + (SELECT count(*) FROM src)"
	assert_output 0
	# Without src's rows in the stream nothing else writes ev: exact.
	grep -v '"src"' "$BATS_TEST_TMPDIR/in" | docs ev
	run -0 cvx-pg-load --dbname "$DB" "$BATS_TEST_TMPDIR/ev"
	run -0 ev_rows
	assert_output "NULL 5 250,named 5 50"
}
