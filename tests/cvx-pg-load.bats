# cvx-pg-load: connection, routing, columns, modes, errors and output
# (issue 5), against a private PostgreSQL.  Value conversions are in
# cvx-pg-load-values.bats.

bats_require_minimum_version 1.5.0
load test_helper
load pg_helper

setup_file() { pg_start; }
teardown_file() { pg_stop; }
setup() { pg_newdb; }

# N documents of table $1 with ids from $2 (default 1), ~100 bytes each.
gen() {
	python3 -c '
import sys
t, n, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(first, first + n):
    print("{\"_table\":\"%s\",\"id\":%d,\"v\":\"value %d %s\"}" % (t, i, i, "x" * 60))
' "$1" "$2" "${3:-1}"
}

count() {
	sql -c "SELECT count(*) FROM $1"
}

@test "documents go to the table named by _table" {
	sql -c 'CREATE TABLE a (id int, v text)' -c 'CREATE TABLE b (id int, v text)'
	{ gen a 3; gen b 5 10; gen a 2 20; } | docs in
	run --separate-stderr cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	assert_success
	[[ $stderr == *"a: 5 read, 5 inserted"* ]] || fail "$stderr"
	run -0 sql -c 'SELECT string_agg(id::text, $$,$$ ORDER BY id) FROM a'
	assert_output 1,2,3,20,21
	run -0 count b
	assert_output 5
}

@test "-u names the table of untagged documents" {
	sql -c 'CREATE TABLE u (id int, v text)'
	printf '{"id":1,"v":"x"}\n{"id":2}\n' | docs in
	run -0 cvx-pg-load -d "$DB" -u u "$BATS_TEST_TMPDIR/in"
	run -0 sql -c 'SELECT id, v FROM u ORDER BY id'
	assert_output '1|x
2|'
}

@test "an untagged document without -t is an error and nothing is loaded" {
	sql -c 'CREATE TABLE a (id int, v text)'
	{ gen a 2; echo '{"id":9}'; } | docs in
	run --separate-stderr cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *"line 3: no _table"* ]] || fail "$stderr"
	run -0 count a
	assert_output 0
}

@test "the connection comes from DATABASE_URL, else from PG* variables" {
	sql -c 'CREATE TABLE a (id int, v text)'
	gen a 1 | docs in
	run -0 env DATABASE_URL="$DB" cvx-pg-load "$BATS_TEST_TMPDIR/in"
	run -0 env -u DATABASE_URL PGHOST="$PGDIR" PGDATABASE="$DBNAME" \
	    PGUSER=postgres cvx-pg-load "$BATS_TEST_TMPDIR/in"
	run -0 count a
	assert_output 2
}

@test "a failed connection never prints the password" {
	gen a 1 | docs in
	run --separate-stderr cvx-pg-load \
	    -d "postgresql://postgres:s3cretpw@/x?host=/nonexistent" \
	    "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == "cvx-pg-load: database: "* ]] || fail "$stderr"
	[[ $stderr != *s3cretpw* ]] || fail "password printed: $stderr"
}

@test "--schema loads into another schema" {
	sql -c 'CREATE SCHEMA s2' -c 'CREATE TABLE s2.a (id int, v text)'
	gen a 4 | docs in
	run -0 cvx-pg-load -d "$DB" --schema s2 "$BATS_TEST_TMPDIR/in"
	run -0 count s2.a
	assert_output 4
}

@test "a component table loads into the table COMPONENT:TABLE" {
	sql -c 'CREATE TABLE "agents/memory:notes" (id int, v text)'
	echo '{"_table":"notes","_component":"agents/memory","id":1,"v":"x"}' | docs in
	run -0 cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	run -0 sql -c 'SELECT id, v FROM "agents/memory:notes"'
	assert_output '1|x'
}

@test "unnamed columns keep their DEFAULT, missing keys load as NULL" {
	sql -c "CREATE TABLE t (id int, a text, b text DEFAULT 'B', c text DEFAULT 'C', s bigserial)"
	docs in <<'J'
{"_table":"t","id":1,"a":"x"}
{"_table":"t","id":2,"b":"y"}
{"_table":"t","id":3}
J
	for mode in insert replace; do
		run -0 cvx-pg-load -d "$DB" -m $mode "$BATS_TEST_TMPDIR/in"
	done
	run -0 sql -c "SELECT id, coalesce(a, '-'), coalesce(b, '-'), c, s > 0 FROM t ORDER BY id"
	assert_output '1|x|-|C|t
2|-|y|C|t
3|-|-|C|t'
}

@test "merge keeps the DEFAULT of unnamed columns and NULLs missing keys" {
	sql -c "CREATE TABLE t (id int PRIMARY KEY, a text, b text DEFAULT 'B', c text DEFAULT 'C')"
	docs in <<'J'
{"_table":"t","id":1,"a":"x"}
{"_table":"t","id":2,"b":"y"}
J
	run -0 cvx-pg-load -d "$DB" -m merge "$BATS_TEST_TMPDIR/in"
	run -0 sql -c "SELECT id, coalesce(a, '-'), coalesce(b, '-'), c FROM t ORDER BY id"
	assert_output '1|x|-|C
2|-|y|C'
}

@test "a key with no column is an error listing the keys" {
	sql -c 'CREATE TABLE t (id int, v text)'
	docs in <<'J'
{"_table":"t","id":1,"v":"ok"}
{"_table":"t","id":2,"zeta":1,"v":"x","alpha":2}
J
	run --separate-stderr cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *"line 2: table t: no column for key(s) zeta, alpha"* ]] || fail "$stderr"
	run -0 count t
	assert_output 0
}

@test "a key written with escapes matches its column by decoded name" {
	sql -c 'CREATE TABLE t (id int, "café" text, "a""b" int)'
	printf '%s\n' '{"_table":"t","id":1,"caf\u00e9":"x","a\"b":2}' | docs in
	run -0 cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	run -0 sql -c 'SELECT id, "café", "a""b" FROM t'
	assert_output '1|x|2'
}

@test "--ignore-unknown drops keys with no column" {
	sql -c 'CREATE TABLE t (id int, v text)'
	echo '{"_table":"t","id":1,"zeta":1,"v":"x"}' | docs in
	run -0 cvx-pg-load -d "$DB" --ignore-unknown "$BATS_TEST_TMPDIR/in"
	run -0 sql -c 'SELECT id, v FROM t'
	assert_output '1|x'
}

@test "--doc-column receives the whole document without its tag" {
	sql -c 'CREATE TABLE t (id int, doc jsonb)'
	docs in <<'J'
{"_table":"t","id":1,"zeta":[1,"a\tb"],"v":{"w":null}}
{"_component":"c","id":2,"_table":"t"}
J
	sql -c 'CREATE TABLE "c:t" (id int, doc json)'
	run -0 cvx-pg-load -d "$DB" --doc-column doc "$BATS_TEST_TMPDIR/in"
	run -0 sql -c 'SELECT id, doc FROM t' -c 'SELECT id, doc FROM "c:t"'
	python3 - "$output" <<'P'
import json, sys
a, b = sys.argv[1].split("\n")
assert a.split("|", 1)[0] == "1"
assert json.loads(a.split("|", 1)[1]) == {"id": 1, "zeta": [1, "a\tb"], "v": {"w": None}}, a
assert b == '2|{"id":2}', b
P
}

@test "insert fails on a duplicate key and loads nothing" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, v text)'
	{ gen t 5; gen t 1 3; } | docs in
	run --separate-stderr cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *"line 6: table t: duplicate key"* ]] || fail "$stderr"
	run -0 count t
	assert_output 0
}

@test "merge inserts new rows, updates changed ones, skips unchanged" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, v text)'
	gen t 5 | docs first
	{ gen t 3; echo '{"_table":"t","id":4,"v":"changed"}'; gen t 2 6; } | docs second
	run -0 cvx-pg-load -d "$DB" -m merge "$BATS_TEST_TMPDIR/first"
	run --separate-stderr cvx-pg-load -d "$DB" -m merge --summary json "$BATS_TEST_TMPDIR/second"
	assert_success
	run -0 python3 -c 'import json,sys; t = json.loads(sys.argv[1])["tables"][0]; print(t["read"], t["inserted"], t["updated"], t["unchanged"])' "$output"
	assert_output '6 2 1 3'
	run -0 sql -c "SELECT v FROM t WHERE id = 4"
	assert_output changed
	run -0 count t
	assert_output 7
}

@test "merge twice leaves the table identical and rewrites no row" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, v text, j json, f float8[])'
	python3 -c '
for i in range(1, 3001):
    print("{\"_table\":\"t\",\"id\":%d,\"v\":\"v%d\",\"j\":{\"k\":[%d]},\"f\":[-0.0,%d.5]}" % (i, i, i, i))
' | docs in
	run -0 cvx-pg-load -d "$DB" -m merge "$BATS_TEST_TMPDIR/in"
	dump_table t >"$BATS_TEST_TMPDIR/one"
	sql -c 'SELECT id, xmin FROM t ORDER BY id' >"$BATS_TEST_TMPDIR/xmin1"
	run --separate-stderr cvx-pg-load -d "$DB" -m merge "$BATS_TEST_TMPDIR/in"
	assert_success
	[[ $stderr == *"t: 3000 read, 0 inserted, 0 updated, 3000 unchanged"* ]] || fail "$stderr"
	dump_table t >"$BATS_TEST_TMPDIR/two"
	cmp "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/two"
	sql -c 'SELECT id, xmin FROM t ORDER BY id' >"$BATS_TEST_TMPDIR/xmin2"
	cmp "$BATS_TEST_TMPDIR/xmin1" "$BATS_TEST_TMPDIR/xmin2"
}

@test "merge: the last document of a key wins" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, v text)'
	docs in <<'J'
{"_table":"t","id":1,"v":"first"}
{"_table":"t","id":2,"v":"only"}
{"_table":"t","id":1,"v":"last"}
J
	run -0 cvx-pg-load -d "$DB" -m merge "$BATS_TEST_TMPDIR/in"
	run -0 sql -c 'SELECT id, v FROM t ORDER BY id'
	assert_output '1|last
2|only'
}

@test "merge --key uses a unique column instead of the primary key" {
	sql -c 'CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, convex_id text UNIQUE, v text)'
	printf '{"_table":"t","convex_id":"a","v":"1"}\n{"_table":"t","convex_id":"b","v":"2"}\n' | docs one
	printf '{"_table":"t","convex_id":"a","v":"3"}\n' | docs two
	run -0 cvx-pg-load -d "$DB" -m merge -k convex_id "$BATS_TEST_TMPDIR/one"
	run -0 cvx-pg-load -d "$DB" -m merge -k convex_id "$BATS_TEST_TMPDIR/two"
	run -0 sql -c 'SELECT id, convex_id, v FROM t ORDER BY id'
	assert_output '1|a|3
2|b|2'
}

@test "merge without a primary key or -k is an error" {
	sql -c 'CREATE TABLE t (id int, v text)'
	gen t 1 | docs in
	run --separate-stderr cvx-pg-load -d "$DB" -m merge "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *"table t: no primary key"* ]] || fail "$stderr"
}

@test "merge --staging unlogged leaves no staging table behind" {
	# A row already there: an empty table would be merged into straight.
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, v text)' -c 'INSERT INTO t VALUES (100, $$x$$)'
	gen t 10 | docs in
	run --separate-stderr cvx-pg-load -d "$DB" -m merge --staging unlogged "$BATS_TEST_TMPDIR/in"
	assert_success
	[[ $stderr == *"t: 10 read, 10 inserted"* ]] || fail "$stderr"
	run -0 count t
	assert_output 11
	run -0 sql -c "SELECT count(*) FROM pg_class WHERE relname LIKE 'cvx_stage%'"
	assert_output 0
}

@test "merge --commit-every commits each batch before a later failure" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, v text)'
	{ gen t 5; echo '{"_table":"t","id":"bad"}'; } | docs in
	run --separate-stderr cvx-pg-load -d "$DB" -m merge --commit-every 2 "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	run -0 count t
	assert_output 4
}

@test "replace truncates the named tables and loads the stream" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, v text)' -c 'CREATE TABLE other (id int)' \
	    -c 'INSERT INTO t SELECT g, $$old$$ FROM generate_series(1, 50) g' \
	    -c 'INSERT INTO other VALUES (1)'
	gen t 3 | docs in
	run -0 cvx-pg-load -d "$DB" -m replace "$BATS_TEST_TMPDIR/in"
	run -0 sql -c "SELECT count(*), count(*) FILTER (WHERE v = 'old') FROM t"
	assert_output '3|0'
	run -0 count other
	assert_output 1
}

@test "replace is atomic: a failure leaves the old rows" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, v text)' -c 'CREATE TABLE u (id int)' \
	    -c 'INSERT INTO t SELECT g, $$old$$ FROM generate_series(1, 50) g' \
	    -c 'INSERT INTO u VALUES (7)'
	{ gen t 3; echo '{"_table":"u","id":1}'; echo '{"_table":"u","id":"x"}'; } | docs in
	run --separate-stderr cvx-pg-load -d "$DB" -m replace "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	run -0 sql -c "SELECT count(*) FILTER (WHERE v = 'old') FROM t"
	assert_output 50
	run -0 sql -c 'SELECT id FROM u'
	assert_output 7
}

@test "a dry run changes nothing and reports what it would do" {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, v text)' -c 'INSERT INTO t VALUES (1, $$a$$)'
	dump_table t >"$BATS_TEST_TMPDIR/before"
	{ gen t 3 10; echo '{"_table":"newtab","_id":"n1"}'; } | docs in
	for args in "-m insert" "-m merge --staging unlogged" "-m merge" "-m replace"; do
		run --separate-stderr cvx-pg-load -d "$DB" -n --create $args "$BATS_TEST_TMPDIR/in"
		assert_success
		[[ $stderr == *"t: 3 read, would insert 3, would update 0,"* && $stderr == *"dry run: rolled back"* ]] || fail "$args: $stderr"
	done
	dump_table t >"$BATS_TEST_TMPDIR/after"
	cmp "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	run -0 sql -c "SELECT count(*) FROM pg_class WHERE relname = 'newtab' OR relname LIKE 'cvx_stage%'"
	assert_output 0
}

@test "a dry run against a database it cannot reach fails" {
	gen a 3 | docs in
	run --separate-stderr cvx-pg-load -n -d "host=/nonexistent" "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == "cvx-pg-load: database: "*"/nonexistent/"* ]] || fail "$stderr"
	assert_output ''
}

@test "--no-db parses and counts without a database" {
	{ gen a 3; gen b 2; } | docs in
	run --separate-stderr cvx-pg-load --no-db -d "host=/nonexistent" --summary json "$BATS_TEST_TMPDIR/in"
	assert_success
	run -0 python3 -c 'import json,sys; s = json.loads(sys.argv[1]); print(s["dry_run"], s["committed"], " ".join("%s=%d" % (t["table"], t["read"]) for t in s["tables"]))' "$output"
	assert_output 'True False a=3 b=2'
	run --separate-stderr cvx-pg-load --no-db "$BATS_TEST_TMPDIR/in"
	assert_success
	[[ $stderr == *"cvx-pg-load: 5 documents, parsed only (--no-db)" ]] || fail "$stderr"
}

@test "--no-db still fails on a parse error" {
	{ gen a 3; echo '{"_table":"a",'; } | docs in
	run --separate-stderr cvx-pg-load --no-db "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *"line 4: "* ]] || fail "$stderr"
}

@test "--create makes missing tables with _id, _creationTime and doc" {
	docs in <<'J'
{"_table":"users","_creationTime":1746279928170.6416,"_id":"u1","name":"A","n":1}
{"_table":"users","_creationTime":1746279928171.0,"_id":"u2","name":"B"}
J
	run -0 cvx-pg-load -d "$DB" --create "$BATS_TEST_TMPDIR/in"
	run -0 sql -c "SELECT _id, to_char(\"_creationTime\" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), doc->>'name', doc ? '_table' FROM users ORDER BY 1"
	assert_output 'u1|2025-05-03 13:45:28.170642|A|f
u2|2025-05-03 13:45:28.171000|B|f'
	run -0 sql -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attnum > 0 ORDER BY attnum"
	assert_output 'text
timestamp with time zone
jsonb'
}

@test "a missing table without --create is an error" {
	gen nosuch 1 | docs in
	run --separate-stderr cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *"table public.nosuch does not exist"* ]] || fail "$stderr"
}

@test "an upstream abort line rolls everything back" {
	sql -c 'CREATE TABLE t (id int, v text)'
	{ gen t 20000; echo '#cvx-abort cvx-unzip: crc error'; } | docs in
	run --separate-stderr cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[ "$stderr" = "cvx-pg-load: $BATS_TEST_TMPDIR/in: line 20001: upstream failed: cvx-unzip: crc error" ] || fail "$stderr"
	run -0 count t
	assert_output 0
}

@test "a parse error rolls back rows already sent" {
	sql -c 'CREATE TABLE t (id int, v text)'
	{ gen t 20000; echo '{"_table":"t","id":1,}'; } | docs in
	run --separate-stderr cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *"line 20001: byte "* ]] || fail "$stderr"
	run -0 count t
	assert_output 0
}

@test "a last line without a newline (a cut stream) rolls back" {
	sql -c 'CREATE TABLE t (id int, v text)'
	{ gen t 3; printf '{"_table":"t","id":4}'; } | docs in
	run --separate-stderr cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *"line 4: no newline"* ]] || fail "$stderr"
	run -0 count t
	assert_output 0
}

@test "SIGTERM while waiting for input rolls back and dies of the signal" {
	sql -c 'CREATE TABLE t (id int, v text)'
	gen t 20000 | docs in
	run --separate-stderr bash -c "{ cat '$BATS_TEST_TMPDIR/in'; sleep 3; } 2>/dev/null 3>&- \
	    | cvx-pg-load -d '$DB' 3>&- & pid=\$!; sleep 1; kill -TERM \$pid; wait \$pid"
	assert_failure 143
	[ "$stderr" = "cvx-pg-load: interrupted by SIGTERM: rolled back" ] || fail "$stderr"
	run -0 count t
	assert_output 0
}

# Tables t (1000 rows, so merge stages) and u (empty: merge copies straight
# in); 20k documents for t in small, or (signal_setup big) 200k for both in
# big (21 MB, a load of a second or more); a trigger function that sleeps at t's row 5 (nap), one
# that does so ignoring cancel requests for 20 s (stall), and signals.py:
#
#   signals.py random RUNS LO HI -- ARGS   RUNS loads, each sent SIGINT or
#       SIGTERM (in turn) after a random LO to HI seconds
#   signals.py stall SIGS MAX WANT -- ARGS  one load, sent the signals SIGS
#       (0.3 s apart) once the server sleeps in the trigger; it must end
#       within MAX seconds, saying WANT
#
# Each load must die of its (first) signal within 5 s (MAX), its server
# session must end within 3 s of that, and t and u must hold what they held.
signal_setup() {
	sql -c 'CREATE TABLE t (id int PRIMARY KEY, v text)' \
	    -c 'CREATE TABLE u (id int PRIMARY KEY, v text)' \
	    -c 'INSERT INTO t SELECT g, $$old$$ FROM generate_series(1, 1000) g'
	sql >/dev/null <<'SQL'
CREATE FUNCTION nap() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.id = 5 THEN PERFORM pg_sleep(30); END IF;
	RETURN NEW;
END $$;
CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
	WHILE NEW.id = 5 AND clock_timestamp() < t0 + interval '20 s' LOOP
		BEGIN
			PERFORM pg_sleep(20);
		EXCEPTION WHEN query_canceled THEN NULL;
		END;
	END LOOP;
	RETURN NEW;
END $$;
SQL
	python3 - "$BATS_TEST_TMPDIR" "${1:-small}" <<'PY'
import sys
d, which = sys.argv[1:]
if which == "big":
    with open(d + "/big", "w") as f:
        f.writelines('{"_table":"%s","id":%d,"v":"value %d %s"}\n'
                     % ("u" if i % 4 == 0 else "t", i, i, "x" * 60)
                     for i in range(1, 200001))
else:
    with open(d + "/small", "w") as f:
        f.writelines('{"_table":"t","id":%d,"v":"value %d %s"}\n'
                     % (i, i, "x" * 60) for i in range(1, 20001))
PY
	cat >"$BATS_TEST_TMPDIR/signals.py" <<'PY'
import os, random, signal, subprocess, sys, time
db = os.environ["DB"]
how, args = sys.argv[1:sys.argv.index("--")], sys.argv[sys.argv.index("--") + 1:]

def q(sql):
    return subprocess.run(["psql", "-X", "-A", "-t", "-d", db, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()

STATE = ("(SELECT count(*) || ' ' || md5(string_agg(id || v, ',' ORDER BY id)) FROM t)"
         " || ' ' || (SELECT count(*) FROM u)")

def state():
    return q("SELECT " + STATE)

def wait_for(what, sql, secs):
    end = time.monotonic() + secs
    while q(sql) != "t":
        if time.monotonic() > end:
            sys.exit("no %s within %g s" % (what, secs))
        time.sleep(0.05)

def load():
    # SIGINT at its default, as in a foreground pipe.
    return subprocess.Popen(["cvx-pg-load", "-d", db] + args, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

def stop(p, sigs, limit, want, early_ok=False):
    t0 = time.monotonic()
    for k, sig in enumerate(sigs):
        if k:
            time.sleep(0.3)
        p.send_signal(sig)
    try:
        rc = p.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        p.kill()
        sys.exit("still running %g s after %s" % (limit, sigs[0].name))
    took = time.monotonic() - t0
    err = p.stderr.read().decode()
    if rc == 0:
        sys.exit("the load ended before the signal: make the input larger")
    # Before BEGIN (a slow start, a sanitizer build) the signal just ends
    # the process: nothing to roll back, nothing to say.
    said = "cvx-pg-load: interrupted by %s: %s\n" % (sigs[0].name, want)
    if rc != -sigs[0] or (err != said and not (early_ok and err == "")):
        sys.exit("status %d, stderr %r" % (rc, err))
    end = time.monotonic() + 3
    while True:
        gone, now = q("SELECT (NOT EXISTS (SELECT FROM pg_stat_activity WHERE application_name"
                      " = 'cvx-pg-load'))::text || '|' || " + STATE).split("|")
        if gone == "true":
            break
        if time.monotonic() > end:
            sys.exit("the server session still runs 3 s after the exit")
        time.sleep(0.05)
    if now != before:
        sys.exit("t or u changed: %s, was %s" % (now, before))
    return took

before, slowest = state(), 0.0
if how[0] == "random":
    runs, lo, hi = int(how[1]), float(how[2]), float(how[3])
    for i in range(runs):
        p = load()
        time.sleep(random.uniform(lo, hi))
        slowest = max(slowest, stop(p, [(signal.SIGINT, signal.SIGTERM)[i % 2]], 5, "rolled back",
                                    early_ok=True))
else:
    sigs, limit, want = [getattr(signal, s) for s in how[1].split(",")], float(how[2]), how[3]
    p = load()
    wait_for("sleep in the trigger", "SELECT EXISTS (SELECT FROM pg_stat_activity"
             " WHERE application_name = 'cvx-pg-load' AND wait_event = 'PgSleep')", 10)
    slowest = stop(p, sigs, limit, want)
print("slowest exit: %.2f s" % slowest)
PY
}

@test "SIGINT or SIGTERM at any moment of a replace ends it within 5 s and commits nothing" {
	signal_setup big
	python3 "$BATS_TEST_TMPDIR/signals.py" random 5 0.02 0.6 -- -m replace "$BATS_TEST_TMPDIR/big"
}

@test "SIGINT or SIGTERM at any moment of a merge ends it within 5 s and commits nothing" {
	signal_setup big
	python3 "$BATS_TEST_TMPDIR/signals.py" random 5 0.02 1.4 -- -m merge "$BATS_TEST_TMPDIR/big"
}

@test "a signal cancels the statement the server is running, and rolls back" {
	signal_setup
	sql -c 'CREATE TRIGGER nap BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION nap()'
	# The merge's INSERT ... ON CONFLICT runs the trigger.
	python3 "$BATS_TEST_TMPDIR/signals.py" stall SIGINT 1 "rolled back" -- -m merge "$BATS_TEST_TMPDIR/small"
	# A COPY runs it too.
	python3 "$BATS_TEST_TMPDIR/signals.py" stall SIGTERM 1 "rolled back" -- -m replace "$BATS_TEST_TMPDIR/small"
}

@test "a signal while COMMIT runs deferred triggers cancels them, and rolls back" {
	signal_setup
	sql -c 'CREATE CONSTRAINT TRIGGER nap AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED
	    FOR EACH ROW EXECUTE FUNCTION nap()'
	python3 "$BATS_TEST_TMPDIR/signals.py" stall SIGTERM 3 "rolled back" -- -m replace "$BATS_TEST_TMPDIR/small"
}

@test "a signal after a COMMIT that goes through anyway reports it committed" {
	signal_setup
	# A deferred trigger that shrugs off the cancel: COMMIT goes through.
	sql >/dev/null <<'SQL'
CREATE FUNCTION shrug() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.id = 5 THEN
		BEGIN
			PERFORM pg_sleep(30);
		EXCEPTION WHEN query_canceled THEN NULL;
		END;
	END IF;
	RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER shrug AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION shrug();
SQL
	cvx-pg-load -d "$DB" -m replace "$BATS_TEST_TMPDIR/small" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	# The signal must come while COMMIT sleeps in the trigger: wait for
	# that (a sanitizer build on a busy machine loads slowly), never guess.
	local asleep=0
	for i in $(seq 1200); do
		[ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cvx-pg-load' AND wait_event = 'PgSleep' AND datname = current_database()")" = 1 ] && asleep=1 && break
		sleep 0.05
	done
	[ "$asleep" = 1 ] || { kill -TERM $pid; fail "COMMIT never reached the trigger's sleep"; }
	kill -TERM $pid
	status=0
	wait $pid || status=$?
	[ "$status" = 0 ] || fail "status $status: $(cat "$BATS_TEST_TMPDIR/err")"
	run -0 grep -c '^cvx-pg-load: SIGTERM came after COMMIT was sent: committed$' "$BATS_TEST_TMPDIR/err"
	run -0 sql -c 'SELECT count(*), count(*) FILTER (WHERE v = $$old$$) FROM t'
	assert_output '20000|0'
}

@test "a server that ignores the cancel is left after 2 s, without COMMIT" {
	signal_setup
	sql -c 'CREATE TRIGGER stall BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION stall()'
	python3 "$BATS_TEST_TMPDIR/signals.py" stall SIGTERM 5 \
	    "no answer to the rollback in 2 s: connection closed without COMMIT" \
	    -- -m replace "$BATS_TEST_TMPDIR/small"
}

@test "a second signal during the rollback ends it at once" {
	signal_setup
	sql -c 'CREATE TRIGGER stall BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION stall()'
	python3 "$BATS_TEST_TMPDIR/signals.py" stall SIGTERM,SIGINT 1 \
	    "rollback cut short by SIGINT: connection closed without COMMIT" \
	    -- -m replace "$BATS_TEST_TMPDIR/small"
}

@test "a failure whose rollback gets no answer ends within 5 s and commits nothing" {
	signal_setup
	sql -c 'CREATE TRIGGER stall BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION stall()'
	dump_table t >"$BATS_TEST_TMPDIR/before"
	# Two chunks (512 KiB each): the first stalls the server at row 5, the
	# second waits in the socket.  Then bad JSON, and the file bad.
	cat >"$BATS_TEST_TMPDIR/producer" <<'SH'
head -n 14000 "$BATS_TEST_TMPDIR/small"
until [ "$(psql -X -A -t -d "$DB" -c "SELECT count(*) FROM pg_stat_activity
    WHERE application_name = 'cvx-pg-load' AND wait_event = 'PgSleep'")" = 1 ]; do
	sleep 0.05
done
echo '{"_table":"t",'
: >"$BATS_TEST_TMPDIR/bad"
SH
	start=$EPOCHREALTIME
	run --separate-stderr bash -c 'bash "$BATS_TEST_TMPDIR/producer" | cvx-pg-load -d "$DB" -m replace'
	took=$(echo "$EPOCHREALTIME - $start" | bc)
	assert_failure 1
	[ "$stderr" = "cvx-pg-load: line 14001: byte 15: expected a string key (no answer to the rollback in 2 s: connection closed without COMMIT)" ] || fail "$stderr"
	[ "$(echo "$took < 5" | bc)" = 1 ] || fail "took $took s"
	diff "$BATS_TEST_TMPDIR/before" <(dump_table t)
	# SIGHUP while it waits for that rollback: at once, the cause first.
	rm "$BATS_TEST_TMPDIR/bad"
	run --separate-stderr bash -c 'bash "$BATS_TEST_TMPDIR/producer" | cvx-pg-load -d "$DB" -m replace 2>"$BATS_TEST_TMPDIR/err" &
	    pid=$!
	    until [ -e "$BATS_TEST_TMPDIR/bad" ]; do sleep 0.05; done
	    sleep 0.5; start=$EPOCHREALTIME; kill -HUP $pid; wait $pid; rc=$?
	    echo "$EPOCHREALTIME - $start < 0.5" | bc; exit $rc'
	assert_failure 129
	assert_output 1
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "cvx-pg-load: line 14001: byte 15: expected a string key (rollback cut short by SIGHUP: connection closed without COMMIT)" ] || fail "$(cat "$BATS_TEST_TMPDIR/err")"
	diff "$BATS_TEST_TMPDIR/before" <(dump_table t)
}

@test "a lost connection fails the load and commits nothing" {
	sql -c 'CREATE TABLE t (id int, v text)'
	gen t 20000 | docs in
	run --separate-stderr bash -c "{ cat '$BATS_TEST_TMPDIR/in'; sleep 1; cat '$BATS_TEST_TMPDIR/in'; } \
	    | cvx-pg-load -d '$DB' 3>&- & pid=\$!; sleep 0.5
	    psql -X -q -d '$DB' -c \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cvx-pg-load'\" >/dev/null
	    wait \$pid"
	assert_failure 1
	[[ $stderr == *"cvx-pg-load: "* ]] || fail "$stderr"
	run -0 count t
	assert_output 0
}

@test "hostile table and column names are quoted, never executed" {
	python3 - >"$BATS_TEST_TMPDIR/in" <<'P'
import json
t = 'we"ird; DROP TABLE victim; --'
print(json.dumps({"_table": t, "id": 1, 'col "q"': "a", "sp ace\u00e9": 2, "x');--": None},
                 separators=(",", ":")))
P
	sql -c 'CREATE TABLE victim (id int)' \
	    -c 'CREATE TABLE "we""ird; DROP TABLE victim; --" (id int, "col ""q""" text, "sp aceé" int, "x'"'"');--" text)'
	run -0 cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	run -0 sql -c 'SELECT id, "col ""q""", "sp aceé" FROM "we""ird; DROP TABLE victim; --"'
	assert_output '1|a|2'
	run -0 count victim
	assert_output 0
}

@test "a table name longer than 63 bytes is refused, not truncated" {
	long=$(printf 'x%.0s' $(seq 64))
	echo "{\"_table\":\"$long\",\"id\":1}" | docs in
	run --separate-stderr cvx-pg-load -d "$DB" --create "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[[ $stderr == *"longer than 63 bytes"* ]] || fail "$stderr"
}

@test "interleaved tables reach the server parents first" {
	sql -c 'CREATE TABLE p (id int PRIMARY KEY, v text)' \
	    -c 'CREATE TABLE c (id int PRIMARY KEY, v text, pid int REFERENCES p)'
	python3 -c '
for i in range(1, 20001):
    print("{\"_table\":\"p\",\"id\":%d,\"v\":\"%s\"}" % (i, "p" * 50))
    print("{\"_table\":\"c\",\"id\":%d,\"pid\":%d,\"v\":\"%s\"}" % (i, i, "c" * 50))
' | docs in
	run -0 cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	run -0 sql -c 'SELECT count(*) FROM c JOIN p ON p.id = c.pid'
	assert_output 20000
}

@test "several chunks load every row intact" {
	sql -c 'CREATE TABLE t (id int, v text)'
	gen t 50000 | docs in
	run -0 cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	run -0 sql -c "SELECT md5(string_agg(id || ' ' || v, E'\n' ORDER BY id)) FROM t"
	assert_output "$(python3 -c '
import hashlib, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(hashlib.md5("\n".join("%d %s" % (r["id"], r["v"]) for r in rows).encode()).hexdigest())' "$BATS_TEST_TMPDIR/in")"
}

@test "--count prints table<TAB>count sorted by name in byte order" {
	sql -c 'CREATE TABLE b (id int)' -c 'CREATE TABLE "B" (id int)' \
	    -c 'CREATE TABLE "a/b:t" (id int)' -c 'CREATE TABLE a (id int)' \
	    -c 'INSERT INTO b SELECT generate_series(1, 3)' -c 'INSERT INTO "a/b:t" VALUES (1)'
	run --separate-stderr cvx-pg-load -d "$DB" --count b B a/b:t a
	assert_success
	assert_output "$(printf 'B\t0\na\t0\na/b:t\t1\nb\t3\n' | LC_ALL=C sort)"
}

@test "--count reports a missing table, counts the others and exits 1" {
	sql -c 'CREATE TABLE a (id int)' -c 'CREATE TABLE b (id int)' \
	    -c 'INSERT INTO a VALUES (1), (2)' -c 'INSERT INTO b VALUES (3)'
	run --separate-stderr cvx-pg-load -d "$DB" --count b nosuch a
	assert_failure 1
	assert_output "$(printf 'a\t2\nb\t1')"
	# One line of ours; no server WARNING or NOTICE (say, of a ROLLBACK).
	[ "$stderr" = "cvx-pg-load: nosuch: no such table in schema public" ] || fail "$stderr"
}

@test "--summary json reports every table" {
	sql -c 'CREATE TABLE a (id int, v text)' -c 'CREATE TABLE b (id int, v text)'
	{ gen b 2; gen a 3; } | docs in
	run --separate-stderr cvx-pg-load -d "$DB" --summary json "$BATS_TEST_TMPDIR/in"
	assert_success
	run -0 python3 -c '
import json, sys
s = json.loads(sys.argv[1])
print(s["mode"], s["committed"], [(t["table"], t["read"], t["inserted"]) for t in s["tables"]])' "$output"
	assert_output "insert True [('a', 3, 3), ('b', 2, 2)]"
}

@test "--progress reports rows, their rate and the share of a file read" {
	sql -c 'CREATE TABLE t (id int, v text)'
	gen t 3000 | docs in
	run --separate-stderr cvx-pg-load -d "$DB" --progress "$BATS_TEST_TMPDIR/in"
	assert_success
	# Not a terminal: one last line with the whole run.
	[[ $stderr == *"cvx-pg-load: 3000 rows, "*" rows/s, 100% of "*" MB"$'\n'* ]] || fail "$stderr"
	# From a pipe there is no size to take a share of.
	run --separate-stderr bash -c 'cat "$1" | cvx-pg-load -d "$2" --progress' _ "$BATS_TEST_TMPDIR/in" "$DB"
	assert_success
	[[ $stderr == *"cvx-pg-load: 3000 rows, "*" rows/s, "*" MB"$'\n'* && $stderr != *"%"* ]] || fail "$stderr"
	# Off unless asked for, when stderr is no terminal; and -q silences all.
	run --separate-stderr cvx-pg-load -d "$DB" "$BATS_TEST_TMPDIR/in"
	[[ $stderr != *"rows/s, "*"% of"* ]] || fail "$stderr"
	run --separate-stderr cvx-pg-load -d "$DB" -q --progress "$BATS_TEST_TMPDIR/in"
	assert_success
	[ -z "$stderr" ] || fail "$stderr"
}

@test "usage errors exit 2" {
	run -2 cvx-pg-load --commit-every 5
	run -2 cvx-pg-load -m upsert
	run -2 cvx-pg-load --nul maybe
	run -2 cvx-pg-load --count
	run -2 cvx-pg-load a b
	run -2 cvx-pg-load --no-db --count a
	run --separate-stderr cvx-pg-load -m merge --allow-empty
	assert_failure 2
	[[ $stderr == "cvx-pg-load: --allow-empty needs --mode replace"*"usage: cvx-pg-load"* ]] || fail "$stderr"
}

@test "every export of the corpus loads with --create, counts as cvx-count" {
	require_corpus
	command -v cvx-unzip >/dev/null || require "cvx-unzip is not built"
	nexp=0
	for e in $(cd "$CORPUS" && find . -name '*.zip' -o -type d -name _tables | sort); do
		e=$CORPUS/${e%/_tables}
		nexp=$((nexp + 1))
		sql -c "CREATE SCHEMA c$nexp"
		# Independent count: python3 over the folder or the ZIP.
		bad=0
		python3 - "$e" >"$BATS_TEST_TMPDIR/want" 2>/dev/null <<'P' || bad=1
import json, os, re, sys, zipfile
e = sys.argv[1]
if os.path.isdir(e):
    names = {os.path.relpath(os.path.join(d, f), e): os.path.join(d, f)
             for d, _, fs in os.walk(e) for f in fs}
    read = lambda n: open(names[n], "rb").read()
else:
    z = zipfile.ZipFile(e)
    names = {n: n for n in z.namelist()}
    read = z.read
counts = {}
for n in names:
    m = re.fullmatch(r"(.*/)?([^/]+)/documents\.jsonl", n)
    if not m or m.group(2).startswith("_"):
        continue
    comp = "/".join(re.findall(r"_components/([^/]+)/", m.group(1) or ""))
    lines = read(n).decode().splitlines()
    for l in lines:
        json.loads(l)  # a malformed export must fail the load
    if lines:
        counts[(comp + ":" if comp else "") + m.group(2)] = len(lines)
for t in sorted(counts, key=lambda s: s.encode()):
    print("%s\t%d" % (t, counts[t]))
P
		run --separate-stderr bash -c "set -o pipefail; cvx-unzip '$e' | cvx-pg-load --create -d '$DB' -s c$nexp"
		if [ $bad -ne 0 ]; then
			assert_failure
			run -0 sql -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'c$nexp'"
			assert_output 0
			continue
		fi
		assert_success
		[ -s "$BATS_TEST_TMPDIR/want" ] || continue
		run --separate-stderr cvx-pg-load -d "$DB" -s c$nexp --count $(cut -f1 "$BATS_TEST_TMPDIR/want")
		assert_success
		assert_output "$(cat "$BATS_TEST_TMPDIR/want")"
		run -0 bash -c "cvx-unzip '$e' | cvx-count"
		assert_output "$(cat "$BATS_TEST_TMPDIR/want")"
	done
	[ $nexp -ge 10 ] || fail "only $nexp exports found"
}

# The EXAMPLES of man/cvx-pg-load.1, run as written, in a folder holding
# export.zip (users), map.jq and events.jsonl.
examples_setup() {
	cd "$(scratch)"
	python3 - <<'P'
import zipfile
docs = "".join('{"_creationTime":%d.25,"_id":"u%d","name":"user %d"}\n'
               % (1700000000000 + i, i, i) for i in range(1, 8))
with zipfile.ZipFile("export.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("_tables/documents.jsonl", '{"name":"users","id":10001}\n')
    z.writestr("users/documents.jsonl", docs)
    z.writestr("users/generated_schema.jsonl", '"uniform"\n')
P
	echo '{_table, convex_id: ._id, name}' >map.jq
	printf '{"at":1700000000000.5,"kind":"start"}\n{"at":1700000000001.0,"kind":"stop"}\n' >events.jsonl
	export DATABASE_URL=$DB
}

@test "example: a dry run, then the import" {
	examples_setup
	run --separate-stderr bash -c 'cvx-unzip export.zip | cvx-pg-load -n --create'
	assert_success
	[[ $stderr == *"users: 7 read, would insert 7"*"dry run: rolled back"* ]] || fail "$stderr"
	run -0 sql -c "SELECT count(*) FROM pg_tables WHERE tablename = 'users'"
	assert_output 0
	run -0 bash -c 'cvx-unzip export.zip | cvx-pg-load --create'
	run -0 sql -c 'SELECT count(*) FROM users'
	assert_output 7
}

@test "example: COPY text only, with --copy-format text" {
	examples_setup
	local from=$(($(wc -c <"$PGDIR/server.log") + 1))
	PGOPTIONS='-c log_statement=all' run -0 bash -c 'cvx-unzip export.zip | cvx-pg-load --create --copy-format text'
	run -0 sql -c 'SELECT count(*), min("_creationTime") FROM users'
	assert_output '7|2023-11-14 22:13:20.00125+00'
	# This load's COPY was text: no FORMAT binary in what it logged.
	tail -c "+$from" "$PGDIR/server.log" >"$BATS_TEST_TMPDIR/log"
	run -0 grep -c 'statement: COPY "public"."users"' "$BATS_TEST_TMPDIR/log"
	run -1 grep -q 'statement: COPY "public"."users".*FORMAT binary' "$BATS_TEST_TMPDIR/log"
}

@test "example: the export's counts equal the database's" {
	examples_setup
	run -0 bash -c 'cvx-unzip export.zip | cvx-pg-load --create'
	run -0 bash -c 'cvx-unzip export.zip | cvx-count >export.counts
	    cvx-pg-load --count $(cut -f1 export.counts) | diff export.counts -'
	assert_output ''
}

@test "example: merge by a UNIQUE column, twice" {
	examples_setup
	command -v cvx-jsonl-map >/dev/null || require "cvx-jsonl-map is not built"
	sql -c 'CREATE TABLE users (id bigserial PRIMARY KEY, convex_id text UNIQUE, name text)'
	for i in 1 2; do
		run --separate-stderr bash -c 'set -o pipefail; cvx-unzip export.zip | cvx-jsonl-map -f map.jq \
		    | cvx-pg-load --mode merge --key convex_id'
		assert_success
	done
	[[ $stderr == *"users: 7 read, 0 inserted, 0 updated, 7 unchanged"* ]] || fail "$stderr"
	run -0 sql -c "SELECT count(*), max(id) FROM users"
	assert_output '7|7'
}

@test "example: replace users, emptying the sessions that reference them" {
	examples_setup
	sql -c 'CREATE TABLE users (_id text PRIMARY KEY, "_creationTime" timestamptz, name text)' \
	    -c 'CREATE TABLE sessions (id int PRIMARY KEY, user_id text NOT NULL REFERENCES users)' \
	    -c "INSERT INTO users VALUES ('old', now(), 'old user')" \
	    -c "INSERT INTO sessions VALUES (1, 'old')"
	run -0 bash -c 'set -o pipefail; cvx-unzip export.zip | cvx-pg-load --mode replace --truncate users,sessions'
	run -0 sql -c "SELECT count(*), count(*) FILTER (WHERE _id = 'old'), (SELECT count(*) FROM sessions) FROM users"
	assert_output '7|0|0'
}

@test "example: untagged JSON Lines into one table" {
	examples_setup
	sql -c 'CREATE DATABASE app'
	DB=$(pg_url app) sql -c 'CREATE TABLE events (at timestamptz, kind text)'
	run -0 env PGHOST="$PGDIR" PGUSER=postgres cvx-pg-load --untagged events --dbname postgresql:///app events.jsonl
	run -0 env DB="$(pg_url app)" bash -c 'psql -X -A -t -d "$DB" -c "SELECT to_char(at AT TIME ZONE '"'UTC'"', '"'HH24:MI:SS.US'"'), kind FROM events ORDER BY at"'
	assert_output '22:13:20.000500|start
22:13:20.001000|stop'
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -d "$PGCONN" -c 'DROP DATABASE app'
}

@test "-t and -x load only the tables they select; the others are skipped and counted" {
	sql -c 'CREATE TABLE a (id int, v text)' -c 'CREATE TABLE ab (id int, v text)'
	{ gen a 3; gen ab 2 10; gen zz 4 20; } | docs in
	# zz has no table: it would fail if it were not left out.
	run --separate-stderr cvx-pg-load -d "$DB" -t 'a*' "$BATS_TEST_TMPDIR/in"
	assert_success
	[[ $stderr == *"cvx-pg-load: 4 documents of tables -t, -x leave out: skipped"* ]] || fail "$stderr"
	run -0 count a
	assert_output 3
	run -0 count ab
	assert_output 2
	run --separate-stderr cvx-pg-load -d "$DB" --tables 'a*' --exclude ab "$BATS_TEST_TMPDIR/in"
	assert_success
	run -0 count a
	assert_output 6
	run -0 count ab
	assert_output 2
	run -1 --separate-stderr cvx-pg-load -d "$DB" -x ab "$BATS_TEST_TMPDIR/in"
	[[ $stderr == *"zz"* ]] || fail "$stderr"
	run -0 count a
	assert_output 6
}

# N documents of table $1 as an export has them: _id, _creationTime.
gen_ids() {
	python3 -c '
import sys
for i in range(int(sys.argv[2])):
    print("{\"_table\":\"%s\",\"_id\":\"u%d\",\"_creationTime\":1700000000000,\"name\":\"n%d\"}" % (sys.argv[1], i, i))' "$1" "$2"
}

@test "--create runs again in every mode, and creates a missing schema" {
	gen_ids users 5 | docs ids
	for mode in insert merge replace; do
		run --separate-stderr cvx-pg-load -d "$DB" -s s2 --create --mode $mode "$BATS_TEST_TMPDIR/ids"
		[ "$status" -eq 0 ] || fail "$mode: $stderr"
		run -0 sql -c 'SELECT count(*), count(DISTINCT doc->>$$name$$) FROM s2.users'
		assert_output "5|5"
	done
	# Inserting the same documents again is the duplicate key it is.
	run -1 --separate-stderr cvx-pg-load -d "$DB" -s s2 --create "$BATS_TEST_TMPDIR/ids"
	[[ $stderr == *"duplicate key"* ]] || fail "$stderr"
	# A table of another shape is no --create table: no catch-all for it.
	sql -c 'CREATE TABLE s2.other (_id text PRIMARY KEY, doc jsonb)'
	gen_ids other 1 | docs other
	run -1 --separate-stderr cvx-pg-load -d "$DB" -s s2 --create "$BATS_TEST_TMPDIR/other"
	[[ $stderr == *"no column for key(s)"* ]] || fail "$stderr"
}

@test "--create in a dry run leaves no schema and no table" {
	gen_ids users 2 | docs in
	run --separate-stderr cvx-pg-load -d "$DB" -s ghost --create -n "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ] || fail "$stderr"
	[[ $stderr == *"users: 2 read, would insert 2, would update 0"* ]] || fail "$stderr"
	run -0 sql -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'ghost'"
	assert_output 0
}

@test "--ignore-unknown lists the dropped keys once per table, and -q does not" {
	sql -c 'CREATE TABLE t (id int)' -c 'CREATE TABLE u (id int)'
	printf '%s\n' '{"_table":"t","id":1,"a":1}' '{"_table":"t","id":2,"b":1,"a":2}' \
	    '{"_table":"u","id":3,"c":1}' '{"_table":"t","id":4,"a":3}' | docs in
	run --separate-stderr cvx-pg-load -d "$DB" --ignore-unknown "$BATS_TEST_TMPDIR/in"
	assert_success
	[[ $stderr == *"cvx-pg-load: t: keys with no column, dropped (--ignore-unknown): a, b"$'\n'* ]] || fail "$stderr"
	[[ $stderr == *"cvx-pg-load: u: keys with no column, dropped (--ignore-unknown): c"$'\n'* ]] || fail "$stderr"
	[ "$(grep -c 'dropped' <<<"$stderr")" -eq 2 ] || fail "$stderr"
	run --separate-stderr cvx-pg-load -d "$DB" -q --ignore-unknown "$BATS_TEST_TMPDIR/in"
	assert_success
	[ -z "$stderr" ] || fail "$stderr"
	run -0 count t
	assert_output 6
}

@test "the old letters are gone: -c, -T and -t TABLE are usage errors or selections" {
	run -2 cvx-pg-load -c t
	run -2 cvx-pg-load -T t
	# -t is a selection now: a glob list.
	run -2 cvx-pg-load -t ''
}
