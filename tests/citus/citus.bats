# cvx-pg-load on Citus (issue 18): load, merge (twice), replace,
# --truncate, dry run, abort, late columns, the merge key and worker
# errors on distributed and reference tables, each compared, table by
# table and row by row, with the same run on plain PostgreSQL.
# `make check-citus`; needs Citus installed (tests/citus/build SRCDIR),
# so it is not part of `make check`.

bats_require_minimum_version 1.5.0
load ../test_helper
load citus_helper

setup_file() { citus_start; }
teardown_file() { citus_stop; }
setup() { citus_newschema; }

# The export with changes a second import brings: every 7th message
# edited, every 11th without metadata (NULL on merge), every 5th thread
# without userId, 50 new messages.
changed_export() {
	python3 - "$EXPORT" >"$BATS_TEST_TMPDIR/changed.jsonl" <<'EOF'
import json, sys
n = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    t = d["_table"]
    i = n[t] = n.get(t, 0) + 1
    if t == "messages":
        if i % 7 == 0:
            d["content"] += " (edited)"
        if i % 11 == 0:
            d.pop("metadata", None)
        if i <= 50:
            e = dict(d)
            e["_id"] = "new" + d["_id"][3:]
            print(json.dumps(e, ensure_ascii=False, separators=(",", ":")))
    if t == "threads" and i % 5 == 0:
        d.pop("userId", None)
    print(json.dumps(d, ensure_ascii=False, separators=(",", ":")))
EOF
}

# Per-table counts of summary json on stdin: "table inserted updated unchanged".
summary_counts() {
	python3 -c '
import json, sys
for t in json.load(sys.stdin)["tables"]:
    print(t["table"], t["inserted"], t["updated"], t["unchanged"])'
}

@test "insert: every table as on plain PostgreSQL" {
	load_both "$EXPORT"
	[ "$pstatus" -eq 0 ] || fail "plain: $poutput"
	assert_success
	assert_same
	# The stream's counts, on the coordinator.
	run q "$CITUS" -c "SELECT count(*) FROM $S.messages"
	assert_output "$(grep -c '"_table":"messages"' "$EXPORT")"
	assert_clean
}

@test "merge into empty tables, then again: nothing changes the second time" {
	load_both "$EXPORT" --mode merge
	[ "$pstatus" -eq 0 ] || fail "plain: $poutput"
	assert_success
	assert_same
	run -0 cvx-pg-load --dbname "$CITUS" --schema "$S" --mode merge \
	    --summary json "$EXPORT"
	# Every document unchanged: nothing inserted or updated.
	echo "$output" | summary_counts >"$BATS_TEST_TMPDIR/counts"
	run awk '$2 != 0 || $3 != 0' "$BATS_TEST_TMPDIR/counts"
	assert_output ""
	run -0 cvx-pg-load --dbname "$PLAIN" --schema "$S" --mode merge \
	    --summary none "$EXPORT"
	assert_same
	assert_clean
}

@test "merge of changed documents: the same updates and inserts" {
	changed_export
	load_both "$EXPORT"
	[ "$pstatus" -eq 0 ] || fail "plain: $poutput"
	assert_success
	run -0 cvx-pg-load --dbname "$PLAIN" --schema "$S" --mode merge \
	    --summary json "$BATS_TEST_TMPDIR/changed.jsonl"
	echo "$output" | summary_counts >"$BATS_TEST_TMPDIR/plain.counts"
	run -0 cvx-pg-load --dbname "$CITUS" --schema "$S" --mode merge \
	    --summary json "$BATS_TEST_TMPDIR/changed.jsonl"
	echo "$output" | summary_counts >"$BATS_TEST_TMPDIR/citus.counts"
	run diff "$BATS_TEST_TMPDIR/plain.counts" "$BATS_TEST_TMPDIR/citus.counts"
	assert_success
	run grep '^messages 50 ' "$BATS_TEST_TMPDIR/citus.counts"
	assert_success
	assert_same
	# A thread without userId in the second import is NULL, not 'nobody'.
	run q "$CITUS" -c "SELECT count(*) FROM $S.threads WHERE \"userId\" IS NULL"
	[ "$output" -gt 0 ]
	assert_clean
}

@test "replace, and --truncate of a table the stream does not name" {
	load_both "$EXPORT"
	[ "$pstatus" -eq 0 ] || fail "plain: $poutput"
	grep -E '"_table":"(messages|users)"' "$EXPORT" | head -n 3000 \
	    >"$BATS_TEST_TMPDIR/part.jsonl"
	load_both "$BATS_TEST_TMPDIR/part.jsonl" --mode replace \
	    --truncate receipts
	[ "$pstatus" -eq 0 ] || fail "plain: $poutput"
	assert_success
	assert_same
	run q "$CITUS" -c "SELECT (SELECT count(*) FROM $S.receipts),
	    (SELECT count(*) FROM $S.users) + (SELECT count(*) FROM $S.messages)"
	assert_output "0|3000"
	assert_clean
}

@test "a dry run changes nothing" {
	changed_export
	load_both "$EXPORT"
	[ "$pstatus" -eq 0 ] || fail "plain: $poutput"
	dump_schema "$CITUS" "$S" >"$BATS_TEST_TMPDIR/before"
	load_both "$BATS_TEST_TMPDIR/changed.jsonl" --mode merge --dry-run
	[ "$pstatus" -eq 0 ] || fail "plain: $poutput"
	assert_success
	assert_output --partial "dry run: rolled back"
	dump_schema "$CITUS" "$S" >"$BATS_TEST_TMPDIR/after"
	run cmp "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	assert_success
	assert_same
	assert_clean
}

@test "an abort line commits nothing, in every mode, and leaves nothing behind" {
	changed_export
	# Insert into the empty tables, then merge and replace onto the
	# loaded ones: each cut short by an abort line.
	for mode in insert merge replace; do
		if [ "$mode" = merge ]; then
			load_both "$EXPORT"
			[ "$pstatus" -eq 0 ] || fail "plain: $poutput"
		fi
		dump_schema "$CITUS" "$S" >"$BATS_TEST_TMPDIR/before"
		{ head -n 30000 "$BATS_TEST_TMPDIR/changed.jsonl"
		  echo '#cvx-abort cvx-unzip: test: cut short'; } >"$BATS_TEST_TMPDIR/cut"
		load_both "$BATS_TEST_TMPDIR/cut" --mode "$mode"
		[ "$pstatus" -eq 1 ] || fail "plain $mode: $poutput"
		assert_failure 1
		assert_output --partial "upstream failed"
		dump_schema "$CITUS" "$S" >"$BATS_TEST_TMPDIR/after"
		run cmp "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
		assert_success
		assert_clean
	done
	assert_same
}

# Tables for the late-column rule: dt distributed, rt a reference table,
# src and ev plain tables whose trigger writes rows into ev (inserted and
# updated in the load's own transaction), on both sides.
late_tables() {
	local ddl="SET search_path = $S;
	CREATE TABLE dt (_id text PRIMARY KEY, a text, b text DEFAULT 'dflt',
	    n int DEFAULT 5);
	CREATE TABLE rt (_id text PRIMARY KEY, a text, b text DEFAULT 'dflt',
	    n int DEFAULT 5);
	CREATE TABLE ev (_id text PRIMARY KEY, a text, b text DEFAULT 'dflt',
	    n int DEFAULT 5);
	CREATE TABLE src (_id text PRIMARY KEY);
	INSERT INTO ev (_id, a, b) VALUES ('old', 'old', 'kept');
	CREATE FUNCTION $S.src_log() RETURNS trigger LANGUAGE plpgsql AS
	    \$\$BEGIN
	        INSERT INTO $S.ev (_id, a) VALUES ('trig-' || NEW._id, 'trigger');
	        UPDATE $S.ev SET a = 'touched' WHERE _id = 'old';
	        RETURN NULL;
	    END\$\$;
	CREATE TRIGGER src_log AFTER INSERT ON src FOR EACH ROW
	    EXECUTE FUNCTION $S.src_log();"
	q "$PLAIN" -c "$ddl"
	q "$CITUS" -c "$ddl" -c "SET citus.shard_count = 4" \
	    -c "SELECT create_distributed_table('$S.dt', '_id')" \
	    -c "SELECT create_reference_table('$S.rt')" >/dev/null
	# b is first named after rows without it (more than a COPY chunk of
	# them); n never is.
	python3 - >"$BATS_TEST_TMPDIR/late.jsonl" <<'EOF'
import json
pad = "x" * 200
for t in ("src", "dt", "rt", "ev"):
    for i in range(3000):
        d = {"_table": t, "_id": "%s%05d" % (t, i)}
        if t != "src":
            d["a"] = pad
            if i >= 2500:
                d["b"] = "named" if i % 2 else None
        print(json.dumps(d))
EOF
}

# The late-column rule held in schema $S on conninfo $1: rows that lacked
# b hold NULL, trigger rows and the old row keep theirs, n its DEFAULT.
assert_late() {
	run q "$1" -c "SELECT string_agg(format('%s %s %s %s', t, coalesce(b, 'NULL'), n, k), ',' ORDER BY t, b NULLS FIRST)
	    FROM (SELECT 'dt' t, b, n, count(*) k FROM $S.dt GROUP BY 1, 2, 3
	    UNION ALL SELECT 'rt', b, n, count(*) FROM $S.rt GROUP BY 1, 2, 3
	    UNION ALL SELECT 'ev', b, n, count(*) FROM $S.ev GROUP BY 1, 2, 3) x"
	assert_output "dt NULL 5 2750,dt named 5 250,ev NULL 5 2750,ev dflt 5 3000,ev kept 5 1,ev named 5 250,rt NULL 5 2750,rt named 5 250"
}

@test "late column: distributed, reference and trigger-written rows exact, in every mode" {
	late_tables
	for mode in insert replace merge; do
		if [ "$mode" != insert ]; then
			q "$PLAIN" -c "TRUNCATE $S.dt, $S.rt, $S.src; DELETE FROM $S.ev WHERE _id <> 'old'"
			q "$CITUS" -c "TRUNCATE $S.dt, $S.rt, $S.src; DELETE FROM $S.ev WHERE _id <> 'old'"
		fi
		# Replace would empty ev, trigger rows and all: not the point.
		if [ "$mode" = replace ]; then
			grep -v '"_table": "ev"' "$BATS_TEST_TMPDIR/late.jsonl" \
			    >"$BATS_TEST_TMPDIR/in"
		else
			cp "$BATS_TEST_TMPDIR/late.jsonl" "$BATS_TEST_TMPDIR/in"
		fi
		load_both "$BATS_TEST_TMPDIR/in" --mode "$mode"
		[ "$pstatus" -eq 0 ] || fail "plain $mode: $poutput"
		assert_success
		if [ "$mode" != replace ]; then
			assert_late "$PLAIN"
			assert_late "$CITUS"
		else
			run q "$CITUS" -c "SELECT count(*) FILTER (WHERE b IS NULL),
			    count(*) FILTER (WHERE b = 'named'), count(*) FROM $S.dt"
			assert_output "2750|250|3000"
		fi
		assert_same
	done
	# A reference table answers alike on every node: each worker's copy.
	for n in w1 w2; do
		shard=$(q "$CITUS" -c "SELECT shard_name('$S.rt'::regclass, shardid)
		    FROM pg_dist_shard WHERE logicalrelid = '$S.rt'::regclass")
		run q "host=$CT/$n dbname=postgres user=postgres" \
		    -c "SELECT count(*) FILTER (WHERE b IS NULL), count(*) FILTER (WHERE b = 'dflt') FROM $shard"
		assert_output "2750|0"
	done
	assert_clean
}

@test "merge: a key without the distribution column fails before any row" {
	q "$CITUS" -c "CREATE UNIQUE INDEX ON $S.users (email)"
	grep '"_table":"messages"' "$EXPORT" >"$BATS_TEST_TMPDIR/messages"
	run cvx-pg-load --dbname "$CITUS" --schema "$S" --mode merge \
	    --key position "$BATS_TEST_TMPDIR/messages"
	assert_failure 1
	assert_output --partial "table messages: the merge key (position) does not include the distribution column _id"
	run q "$CITUS" -c "SELECT count(*) FROM $S.messages"
	assert_output 0
	# A reference table has no distribution column: a unique key will do.
	grep '"_table":"users"' "$EXPORT" >"$BATS_TEST_TMPDIR/users"
	run -0 cvx-pg-load --dbname "$CITUS" --schema "$S" --mode merge \
	    --key email "$BATS_TEST_TMPDIR/users"
	run -0 cvx-pg-load --dbname "$PLAIN" --schema "$S" --mode merge \
	    --key _id "$BATS_TEST_TMPDIR/users"
	assert_same
	assert_clean
}

@test "an error raised on a worker names the input line, as plain PostgreSQL's does" {
	# A repeated _id: receipts copies straight in, threads (a DEFAULT)
	# through staging; users is a reference table.
	for t in receipts threads users; do
		grep "\"_table\":\"$t\"" "$EXPORT" | head -n 30 >"$BATS_TEST_TMPDIR/in"
		sed -n 7p "$BATS_TEST_TMPDIR/in" >>"$BATS_TEST_TMPDIR/in"
		load_both "$BATS_TEST_TMPDIR/in"
		[ "$pstatus" -eq 1 ] || fail "plain $t: $poutput"
		assert_failure 1
		[[ $poutput == *"line 31: table $t: duplicate key value violates unique constraint"* ]] ||
		    fail "plain $t: $poutput"
		assert_output --partial "line 31: table $t: duplicate key value violates unique constraint"
		assert_output --partial "already exists"
	done
	# Merge into a table that holds the key already is no error at all.
	run -0 cvx-pg-load --dbname "$CITUS" --schema "$S" --mode merge \
	    "$BATS_TEST_TMPDIR/in"
	assert_clean
}
