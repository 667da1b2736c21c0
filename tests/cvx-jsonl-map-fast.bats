# cvx-jsonl-map: the programs fast.c runs without libjq give, line for
# line, what libjq gives (CVX_JSONL_MAP_FAST=0 turns fast.c off): on the
# real corpus, on the benchmark's kind of documents and on generated
# documents made to hit every case fast.c must hand back to libjq
# (escapes, repeated keys, numbers of every form, wrong types, whitespace).
# (No time beyond year 2^31: jq 1.6's own todate aborts on those.)

bats_require_minimum_version 1.5.0
load test_helper

# Programs of the shapes fast.c compiles, one a line.
FAST_PROGRAMS='.
{_table, id: ._id, created: (._creationTime / 1000 | todate)}
select(._table == "messages" and .role == "user")
{_table, convex_id: ._id, thread_id: .threadId, user_id: .userId, role, content, position, created_at: (._creationTime | cvx_todate)}
del(.metadata, ._creationTime)
._creationTime |= cvx_todate
._creationTime |= (. / 1000 | todate)
.role = "x"
.copy = .position
select((.content | type) == "string" and (.position | type) == "number" and .position > 3) | {_table, id: ._id, n: .position}
select(.position >= 2 or .role != "user" | not)
{a: .metadata.model, b: .metadata.tokens, c: .metadata, d: .metadata.a.b}
select(.metadata) | {m: .metadata, t: (.metadata | type)}
{"key with space": .role, k: null, t: true, f: false, n: 1.5, i: 12, s: "é"}
select(.role < "m") | select(.position <= 10.5)
select(.missing == null) | {x: (.position / 3), y: (.content | type)}
{_table, t: (._creationTime | type), n: (.position | not)}
select(.position == 22 or .position == 22.0 or .role == "user")
select(.role != null) | {role}'

setup_file() {
	export T=$BATS_FILE_TMPDIR
	printf '%s\n' "$FAST_PROGRAMS" >"$T/programs"
	# Generated documents: every case a rule in fast.c exists for.
	python3 - "$T/gen.jsonl" <<'PY'
import json, random, sys
rnd = random.Random(19)
def num():
    c = rnd.random()
    if c < 0.15: return str(rnd.randint(-10**6, 10**6))
    if c < 0.25: return rnd.choice(['0', '-0', '0.0', '-0.0', '1e3', '1E+2',
        '1.50', '0.0001', '0.00001', '100.10', '1e15', '1000000000000000',
        '999999999999999', '-999999999999999.9', '1e16', '5e-324', '1e5',
        '2.5e-7', '1e-7', '123456789012345.6', '0.1', '-1.0e-2'])
    if c < 0.6:
        x = rnd.uniform(1.6e12, 1.8e12)
        return rnd.choice([repr(x), '%.17g' % x, '%.16g' % x, '%.15g' % x,
            repr(round(x, 3)), '%.12f' % x])
    if c < 0.8:
        return repr(rnd.uniform(-2**rnd.randint(1, 60), 2**rnd.randint(1, 60)))
    d = ''.join(rnd.choice('0123456789') for _ in range(rnd.randint(15, 18)))
    d = str(rnd.randint(1, 9)) + d
    k = rnd.randint(1, len(d) - 1)
    return d[:k] + '.' + d[k:]
ESC = ['\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t', '\\u0000',
    '\\u001b', '\\u001B', '\\u007f', '\\u007F', '\\u0008', '\\u000a',
    '\\u00e9', '\\u0041', '\\ud83d\\ude00', '\\ud800', '\\u2028', '\x7f',
    'é', '日本', '\U0001F600', ' ', 'a']
def s():
    return '"' + ''.join(rnd.choice(ESC) if rnd.random() < 0.2 else
        rnd.choice('abcdefghij ') for _ in range(rnd.randint(0, 30))) + '"'
def ws():
    return rnd.choice(['', '', '', ' ', '\t', ' \r '])
def val(depth=0):
    c = rnd.random()
    if depth < 3 and c < 0.12:
        return '[' + ','.join(ws() + val(depth + 1) + ws()
            for _ in range(rnd.randint(0, 4))) + ']'
    if depth < 3 and c < 0.25:
        return obj(depth + 1, rnd.randint(0, 5))
    if c < 0.45: return num()
    if c < 0.55: return rnd.choice(['null', 'true', 'false'])
    return s()
KEYS = ['_table', '_id', '_creationTime', 'role', 'content', 'position',
    'metadata', 'threadId', 'userId', 'model', 'tokens', 'a', 'b']
def key():
    c = rnd.random()
    if c < 0.85: return '"' + rnd.choice(KEYS) + '"'
    return rnd.choice(['"r\\u006fle"', '"\\u0061"', '"k\x7f"', '"é"', '""',
        '"a b"'])
def obj(depth, n):
    return '{' + ','.join(ws() + key() + ws() + ':' + ws() + val(depth) + ws()
        for _ in range(n)) + '}'
def doc():
    m = {'_table': '"messages"', '_id': s(), 'role': rnd.choice(
        ['"user"', '"assistant"', '"user"', 'null', '3', '"u\\u0073er"']),
        'position': rnd.choice([num(), num(), '22', 'null', '"7"']),
        '_creationTime': rnd.choice([num(), num(), num(), '"x"', 'null',
            '-5', '253402300800000', '253402300799999.9', '-0.5']),
        'content': rnd.choice([s(), s(), 'null', '[1]']),
        'metadata': rnd.choice([obj(1, rnd.randint(0, 4)), 'null',
            '{"model":"m","tokens":5,"a":{"b":1}}', '"s"'])}
    keys = list(m)
    rnd.shuffle(keys)
    if rnd.random() < 0.1:
        keys.append(rnd.choice(keys))          # a repeated key
    if rnd.random() < 0.1:
        keys.insert(0, 'k\\u0065y')             # a key with an escape
        m['k\\u0065y'] = '1'
    return ws() + '{' + ','.join(ws() + '"' + k + '"' + ws() + ':' + ws() +
        m[k] + ws() for k in keys) + '}' + ws()
with open(sys.argv[1], 'w', encoding='utf-8', newline='') as f:
    for _ in range(3000):
        d = doc()
        try:
            json.loads(d)
        except ValueError:
            continue
        f.write(d + '\n')
    f.write('[1,2]\n"s"\n{}\n{"a":{"b":[]}}\n')
PY
	# The benchmark's documents: the same generator, 4000 messages (a
	# second; deterministic), a slice of each table.
	local data=$T/gen.jsonl
	python3 "$ROOT/bench/gen-export.py" -q --messages 4000 \
	    --jsonl "$data" "$T/gen.zip"
	: >"$T/bench.jsonl"
	for t in users threads runs messages; do
		grep -m 2000 "^{\"_table\":\"$t\"" "$data" >>"$T/bench.jsonl"
	done
	# The real corpus as streams (every export folder and ZIP).
	: >"$T/corpus.jsonl"
	if [ -d "$CORPUS" ]; then
		find "$CORPUS" -name '*.zip' -o -type d -name '_tables' |
		    sort | while read -r x; do
			case $x in */_tables) x=${x%/_tables} ;; esac
			cvx-unzip "$x" 2>/dev/null || true
		done | grep '^{' >>"$T/corpus.jsonl" || true
	fi
}

# Run every program on FILE both ways; fail at the first difference.
same_both_ways() {
	local file=$1 prog i=0
	while IFS= read -r prog; do
		i=$((i + 1))
		CVX_JSONL_MAP_FAST=stats cvx-jsonl-map --max-errors 0 \
		    "$prog" <"$file" >"$T/fast.out" 2>"$T/fast.err" &&
		    echo 0 >"$T/fast.rc" || echo $? >"$T/fast.rc"
		CVX_JSONL_MAP_FAST=0 cvx-jsonl-map --max-errors 0 \
		    "$prog" <"$file" >"$T/jq.out" 2>"$T/jq.err" &&
		    echo 0 >"$T/jq.rc" || echo $? >"$T/jq.rc"
		grep -q 'fast path: [0-9]* of [0-9]* lines run (program compiled)' \
		    "$T/fast.err" || fail "program $i not compiled by fast.c: $prog"
		grep -v 'fast path:' "$T/fast.err" >"$T/fast.err2" || true
		cmp -s "$T/fast.out" "$T/jq.out" ||
		    fail "program $i ($prog) differs on $file: $(diff "$T/fast.out" "$T/jq.out" | head -5)"
		cmp -s "$T/fast.err2" "$T/jq.err" ||
		    fail "program $i ($prog) stderr differs: $(diff "$T/fast.err2" "$T/jq.err" | head -5)"
		cmp -s "$T/fast.rc" "$T/jq.rc" || fail "program $i: exit status"
		grep 'fast path:' "$T/fast.err" >>"$T/stats"
	done <"$T/programs"
}

@test "fast path: the programs are run without libjq" {
	run --separate-stderr env CVX_JSONL_MAP_FAST=stats cvx-jsonl-map \
	    '{id: ._id, t: (._creationTime | cvx_todate)}' \
	    <<<'{"_id":"a","_creationTime":1740431475388.3381}'
	assert_success
	assert_output '{"id":"a","t":"2025-02-24T21:11:15.388Z"}'
	[[ $stderr == *"fast path: 1 of 1 lines run (program compiled)"* ]] ||
	    fail "$stderr"
}

@test "fast path: programs beyond it go to libjq" {
	for prog in '.a + 1' 'def f: .; f' '.a as $x | {x: $x}' '.[]' \
	    '{a: .b?}' '.a // 1' '{(.k): 1}' '{a: 1, a: 2}' 'select(.a) | .b' \
	    '{a: "x\(1)"}' '.a.b |= 1' '{a: .x, b: (.y, .z)}' '[.a]' 'del(.a.b)'; do
		run --separate-stderr env CVX_JSONL_MAP_FAST=stats cvx-jsonl-map \
		    --max-errors 0 "$prog" <<<'{"a":1}'
		[[ $stderr == *"(program not compiled)"* ]] ||
		    fail "compiled: $prog: $stderr"
	done
}

@test "fast path: ~/.jq (which jq imports into every program) turns it off" {
	local home
	home=$(scratch)
	echo 'def select(f): .;' >"$home/.jq"
	run --separate-stderr env HOME="$home" CVX_JSONL_MAP_FAST=stats \
	    cvx-jsonl-map 'select(.a == 2)' <<<'{"a":1}'
	assert_success
	assert_output '{"a":1}'
	[[ $stderr == *"(program not compiled)"* ]] || fail "$stderr"
}

@test "fast path: same output as libjq on generated documents" {
	same_both_ways "$T/gen.jsonl"
	# Most lines must take the fast path, or the test proves little.
	awk '{ fast += $4; all += $6 } END { exit !(fast * 2 > all) }' \
	    "$T/stats" || fail "fast path rarely taken: $(cat "$T/stats")"
}

@test "fast path: same output as libjq on the real corpus" {
	require_corpus
	[ -s "$T/corpus.jsonl" ] || fail "no corpus stream"
	same_both_ways "$T/corpus.jsonl"
}

@test "fast path: same output as libjq on the benchmark's documents" {
	[ -s "$T/bench.jsonl" ] || fail "no generated documents"
	same_both_ways "$T/bench.jsonl"
}

@test "fast path: numbers print as jq prints them" {
	python3 - >"$T/nums.jsonl" <<'PY'
import random
rnd = random.Random(7)
for _ in range(20000):
    e = rnd.randint(1, 60)
    x = rnd.uniform(2**(e - 1), 2**e)
    if rnd.random() < 0.1:
        x = float(2**e) + rnd.choice([-1, 1]) * 2**(e - 53) * rnd.randint(0, 2)
    t = rnd.choice([repr(x), '%.17g' % x, '%.16g' % x, '%.15g' % x,
        repr(round(x, rnd.randint(0, 5)))])
    if 'e' in t or len(t.replace('.', '').lstrip('0')) > 15 and '.' not in t:
        continue
    print('{"x":%s%s}' % (rnd.choice(['', '-']), t))
PY
	run --separate-stderr cvx-jsonl-map --max-errors 0 . <"$T/nums.jsonl"
	local fast=$output
	run --separate-stderr env CVX_JSONL_MAP_FAST=0 cvx-jsonl-map \
	    --max-errors 0 . <"$T/nums.jsonl"
	[ "$fast" = "$output" ] || fail "$(diff <(echo "$fast") <(echo "$output") | head)"
	# and jq(1) itself agrees, where it is installed
	command -v jq >/dev/null || return 0
	grep -v -E '[0-9]{16}' "$T/nums.jsonl" >"$T/nums-jq.jsonl" || true
	run cvx-jsonl-map . <"$T/nums-jq.jsonl"
	assert_success
	[ "$output" = "$(jq -c . "$T/nums-jq.jsonl")" ] || fail "differs from jq"
}

# jq's own test suite (jqlang/jq, tests/jq.test: "Field access, piping",
# "Dictionary construction syntax", "Assignment", "Conditionals" and the
# comparison and not/and/or cases), recast as programs on documents: the
# cases whose shapes fast.c compiles, each on jq.test's own inputs made
# documents ({"a": v} where the input is not an object), held to libjq.
# Its layout: program, then its documents, then a blank line.
JQ_TEST_CASES='{x: .foo}
{"foo": 42, "bar": 43}
{"bar": 43}
{"foo": null}

{x: .foo.bar}
{"foo": {"bar": 42}, "bar": "badvalue"}
{"foo": {"baz": 42}}
{"foo": 3}
{"foo": null}

{x: ."foo"."bar", y: .["foo"]}
{"foo": {"bar": 20}}

{e0: .e0, E1: .E1, E: .E}
{"e0": 1, "E1": 2, "E": 3}

{a, b}
{"a": 1, "b": 2, "c": 3, "a$2": 4}
{"c": 3}

{x: -1, y: 1.5e3, z: "\u03bc", w: null, t: true}
{}

.message = "goodbye"
{"message": "hello"}
{}

.foo = .bar
{"bar": 42}
{"foo": 1, "bar": {"x": [1]}}

.error = "no, it'"'"'s OK"
{"error": true}

.foo |= cvx_todate
{"foo": 1425599507000}
{"foo": 1435677542822.351}

del(.foo, .baz)
{"foo": 42, "bar": 9001, "baz": 42}
{"bar": 1}

{n: (.a | not)}
{"a": 1}
{"a": 0}
{"a": false}
{"a": null}
{"a": true}
{"a": "hello"}
{}

{and: (.a and .b), or: (.a or .b)}
{"a": true, "b": []}
{"a": false, "b": 1}
{"a": 42, "b": null}
{"a": null, "b": false}

select(.a > 10 or .a < 0 or .a >= "m" or .a <= null)
{"a": 0}
{"a": 10}
{"a": 20}
{"a": -1}
{"a": "hello"}
{"a": "world"}
{"a": [1, 2, 3]}
{"a": {"foo": 42}}
{"a": null}
{"a": false}
{"a": true}

select(.a == 10) | {a}
{"a": 10}
{"a": 10.0}
{"a": 1e1}
{"a": "10"}
{"a": 11}

select(.a != "hello")
{"a": "hello"}
{"a": "world"}
{"a": null}

{t: (.a | type)}
{"a": 1}
{"a": "foo"}
{"a": []}
{"a": {}}
{"a": true}
{"a": false}
{"a": null}
{}

{x: (.a / 2), y: (.a / 1000 | todate)}
{"a": 1425599507000}
{"a": 7}
{"a": -3}

{if: 0, and: 1, or: 2, then: 3, else: 4, end: 6, as: 7, def: 8}
{}
'

@test "fast path: jq's own test cases, as programs on documents, give what libjq gives" {
	local prog docs i=0 compiled=0
	while IFS= read -r -d '' block; do
		prog=${block%%$'\n'*}
		docs=${block#*$'\n'}
		[ -n "$prog" ] || continue
		i=$((i + 1))
		printf '%s\n' "$docs" | grep . >"$T/case.jsonl"
		CVX_JSONL_MAP_FAST=stats cvx-jsonl-map --max-errors 0 "$prog" \
		    <"$T/case.jsonl" >"$T/fast.out" 2>"$T/fast.err" &&
		    echo 0 >"$T/fast.rc" || echo $? >"$T/fast.rc"
		CVX_JSONL_MAP_FAST=0 cvx-jsonl-map --max-errors 0 "$prog" \
		    <"$T/case.jsonl" >"$T/jq.out" 2>"$T/jq.err" &&
		    echo 0 >"$T/jq.rc" || echo $? >"$T/jq.rc"
		! grep -q '(program compiled)' "$T/fast.err" ||
		    compiled=$((compiled + 1))
		cmp -s "$T/fast.out" "$T/jq.out" ||
		    fail "case $i ($prog): $(diff "$T/fast.out" "$T/jq.out" | head -5)"
		cmp -s "$T/fast.rc" "$T/jq.rc" || fail "case $i ($prog): exit status"
		diff <(grep -v 'fast path:' "$T/fast.err") "$T/jq.err" >/dev/null ||
		    fail "case $i ($prog): stderr differs"
	done < <(printf '%s\n' "$JQ_TEST_CASES" | awk 'BEGIN { RS = ""; ORS = "\0" } { print }')
	[ "$i" -ge 19 ] || fail "only $i cases read"
	# Most cases must reach the fast path, or the test proves little.
	[ "$compiled" -ge 15 ] || fail "only $compiled of $i cases compiled by fast.c"
}
