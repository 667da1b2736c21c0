# cvx-jsonl-map: jq over every line of the stream (man/cvx-jsonl-map.1).
# The built-in library and the int64 rules are in cvx-jsonl-map-lib.bats.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	export T=$BATS_FILE_TMPDIR
	# Tagged streams of every corpus export, through cvx-unzip when it is
	# built, else tagged here the same way.
	mkdir -p "$T/streams"
	if [ -d "$CORPUS" ]; then
		python3 - "$CORPUS" "$T/streams" "$CVX_BUILD/cvx-unzip" <<'PY'
import json, os, re, subprocess, sys, zipfile
corpus, out, unzip = sys.argv[1:4]
def exports():
    for dp, ds, fs in sorted(os.walk(corpus)):
        ds.sort()
        if '_tables' in ds:
            yield dp
        for f in sorted(fs):
            if f.endswith('.zip'):
                yield os.path.join(dp, f)
for path in exports():
    slug = re.sub(r'[^A-Za-z0-9]+', '-', os.path.relpath(path, corpus))
    if os.access(unzip, os.X_OK):
        r = subprocess.run([unzip, path], capture_output=True)
        if r.returncode != 0:
            continue        # a damaged export: cvx-unzip's business
        data = r.stdout
    else:
        if path.endswith('.zip'):
            z = zipfile.ZipFile(path)
            ents = [(n, z.read(n)) for n in z.namelist()]
        else:
            ents = []
            for dp, ds, fs in os.walk(path):
                for f in fs:
                    p = os.path.join(dp, f)
                    ents.append((os.path.relpath(p, path), open(p, 'rb').read()))
        data = b''
        for n, d in ents:
            m = re.match(r'^([^_/][^/]*)/documents\.jsonl$', n)
            if not m:
                continue
            try:
                [json.loads(l) for l in d.splitlines()]
            except ValueError:
                data = None
                break
            tag = b'{"_table":' + json.dumps(m.group(1)).encode() + b','
            data += b''.join(tag + l[1:] + b'\n' for l in d.splitlines())
        if data is None:
            continue
    open(os.path.join(out, slug + '.jsonl'), 'wb').write(data)
PY
	fi
	# Several MiB of varied lines: many chunks for the workers, some long.
	python3 - "$T/big.jsonl" <<'PY'
import json, random, sys
r = random.Random(7)
with open(sys.argv[1], 'w') as f:
    for i in range(60000):
        d = {"_table": r.choice(["users", "messages", "runs"]),
             "_creationTime": 1735689600000 + i * 1000.25, "n": i,
             "text": "é\"x\\" * r.randrange(0, 60)}
        if i % 9973 == 0:
            d["text"] = "L" * (3 << 20)   # longer than one chunk
        f.write(json.dumps(d, ensure_ascii=False, separators=(',', ':')) + "\n")
PY
}

# Fail unless the stdout of cvx-jsonl-map ARGS... on FILE equals jq -c's.
same_as_jq() {
	local file=$1 filter=$2
	local a b
	a=$(jq -c "$filter" "$file" | sha256sum) || fail "jq failed"
	b=$(cvx-jsonl-map "$filter" "$file" | sha256sum) ||
	    fail "cvx-jsonl-map failed on $file: $filter"
	[ "$a" = "$b" ] || fail "differs from jq on $file: $filter"
}

@test "-h prints the usage on stdout and exits 0" {
	run --separate-stderr cvx-jsonl-map -h
	assert_success
	assert_output --partial "usage: cvx-jsonl-map"
	[ -z "$stderr" ]
}

@test "-V prints the name and version" {
	run --separate-stderr cvx-jsonl-map -V
	assert_success
	assert_output --regexp '^cvx-jsonl-map [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "a bad option prints the usage on stderr, aborts the stream, exits 2" {
	run --separate-stderr cvx-jsonl-map --no-such-option .
	[ "$status" -eq 2 ]
	assert_only_abort cvx-jsonl-map
	[[ $stderr == *"usage: cvx-jsonl-map"* ]]
}

@test "no filter is a usage error" {
	run --separate-stderr cvx-jsonl-map
	[ "$status" -eq 2 ]
	[[ $stderr == *"usage: cvx-jsonl-map"* ]]
}

@test "bad option values are usage errors" {
	for a in "-j 0" "-j x" "--int64 float" "--max-errors -1"; do
		run --separate-stderr cvx-jsonl-map $a . /dev/null
		[ "$status" -eq 2 ] || fail "$a: status $status"
	done
}

@test "- reads standard input, the same as no operand and a file" {
	a=$(cvx-jsonl-map . < "$T/big.jsonl" | sha256sum)
	b=$(cvx-jsonl-map . - < "$T/big.jsonl" | sha256sum)
	c=$(cvx-jsonl-map . "$T/big.jsonl" | sha256sum)
	[ "$a" = "$b" ]
	[ "$a" = "$c" ]
}

@test "a full disk on stdout is exit 1 with a message" {
	[ -w /dev/full ] || require "no /dev/full"
	run --separate-stderr bash -c 'cvx-jsonl-map . "$T/big.jsonl" >/dev/full'
	[ "$status" -eq 1 ]
	[[ $stderr == "cvx-jsonl-map: stdout: "* ]]
}

@test "a closed pipe on stdout is death by SIGPIPE" {
	run bash -c 'cvx-jsonl-map . "$T/big.jsonl" | head -c1 >/dev/null
	    echo ${PIPESTATUS[0]}'
	assert_output 141
}

@test "an unreadable input is exit 1 naming it" {
	run --separate-stderr cvx-jsonl-map . /nonexistent/x
	[ "$status" -eq 1 ]
	[[ $stderr == "cvx-jsonl-map: /nonexistent/x: "* ]]
}

@test "a read error is exit 1 naming the input" {
	run --separate-stderr cvx-jsonl-map . "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	assert_only_abort cvx-jsonl-map
	[[ $stderr == "cvx-jsonl-map: $BATS_TEST_TMPDIR: "* ]]
}

@test "a failure before any output writes the abort line alone" {
	printf '{"a":1}\n{"a":2}\n' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map 'select(.a == 2) | .a' "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 1 ]
	assert_only_abort cvx-jsonl-map
	[[ $stderr == *"line 2: output is number"* ]]
}

@test "empty input gives empty output" {
	run --separate-stderr cvx-jsonl-map . /dev/null
	assert_success
	[ -z "$output" ]
}

@test "identity, projections and selections equal jq -c on every corpus export" {
	require_corpus
	n=0
	for f in "$T"/streams/*.jsonl; do
		[ -s "$f" ] || continue
		same_as_jq "$f" .
		same_as_jq "$f" '{_table, id: ._id, t: (._creationTime / 1000 | todate)}'
		same_as_jq "$f" 'select(._creationTime > 1700000000000)'
		same_as_jq "$f" 'with_entries(.key |= ascii_downcase)'
		same_as_jq "$f" '., {_table: "keys", k: keys}'
		n=$((n + 1))
	done
	[ "$n" -ge 8 ] || fail "only $n corpus streams"
}

@test "every output of a filter is a compact line, in order (fan-out)" {
	printf '{"a":1}\n{"a":2}\n' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map '., {b: (.a * 10)}' "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output "$(printf '{"a":1}\n{"b":10}\n{"a":2}\n{"b":20}')"
}

@test "empty drops a document" {
	run --separate-stderr bash -c 'cvx-jsonl-map "select(.n % 2 == 0)" "$T/big.jsonl" | wc -l'
	assert_success
	assert_output 30000
}

@test "-j 2 gives the output of -j 1, in input order" {
	a=$(cvx-jsonl-map -j 1 '., {n, len: (.text | length)}' "$T/big.jsonl" | sha256sum)
	b=$(cvx-jsonl-map -j 2 '., {n, len: (.text | length)}' "$T/big.jsonl" | sha256sum)
	c=$(cvx-jsonl-map -j 5 '., {n, len: (.text | length)}' "$T/big.jsonl" | sha256sum)
	[ "$a" = "$b" ]
	[ "$a" = "$c" ]
	d=$(jq -c '., {n, len: (.text | length)}' "$T/big.jsonl" | sha256sum)
	[ "$a" = "$d" ]
}

@test "input from a slow pipe comes out as it arrives" {
	# The first line must come out before the producer writes the second.
	run bash -c '{ echo "{\"a\":1}"; sleep 5; echo "{\"a\":2}"; } |
	    cvx-jsonl-map -j 2 . | { IFS= read -r l; echo "$l $SECONDS"; cat >/dev/null; }'
	assert_success
	[[ $output == '{"a":1} '[0-3] ]] || fail "first line late: $output"
}

@test "--arg, --argjson and --slurpfile bind variables and \$ARGS" {
	printf '{"k":1}\n{"k":2}\n' > "$BATS_TEST_TMPDIR/ids"
	run --separate-stderr bash -c 'echo "{\"a\":1}" | cvx-jsonl-map \
	    --arg s "x y" --argjson j "{\"z\":[1,2]}" \
	    --slurpfile ids "$BATS_TEST_TMPDIR/ids" \
	    "{s: \$s, j: \$j, ids: \$ids, named: (\$ARGS.named | keys)}"'
	assert_success
	assert_output '{"s":"x y","j":{"z":[1,2]},"ids":[{"k":1},{"k":2}],"named":["ids","j","s"]}'
}

@test "options may follow the filter" {
	run --separate-stderr bash -c 'echo "{\"a\":1}" | cvx-jsonl-map "{v: \$v}" --arg v 2 -j 1'
	assert_success
	assert_output '{"v":"2"}'
}

@test "--argjson with invalid JSON is exit 2" {
	run --separate-stderr cvx-jsonl-map --argjson x '{' . /dev/null
	[ "$status" -eq 2 ]
	[[ $stderr == *"--argjson x: invalid JSON"* ]]
}

@test "--slurpfile with a missing file is exit 2" {
	run --separate-stderr cvx-jsonl-map --slurpfile x /nonexistent/f . /dev/null
	[ "$status" -eq 2 ]
	[[ $stderr == *"/nonexistent/f"* ]]
}

@test "--slurpfile reads a pipe once for all workers" {
	run --separate-stderr bash -c 'cvx-jsonl-map -j 3 --slurpfile m <(echo "{\"x\":5}") \
	    "{n, x: \$m[0].x}" "$T/big.jsonl" | sort -u -t, -k2 | tail -1'
	assert_success
	assert_output --regexp ',"x":5}$'
}

@test "-f reads the program from a file, with comments and imports from -L" {
	d=$BATS_TEST_TMPDIR
	mkdir "$d/lib"
	printf 'def twice: . * 2;\n' > "$d/lib/m.jq"
	printf 'def thrice: . * 3;\n' > "$d/lib/n.jq"
	printf '# a map\ninclude "n"; # jq 1.6 wants it before import\nimport "m" as m;\n{a: (.a | m::twice), b: (.a | thrice), t: (1000 | cvx_todate)}\n' > "$d/p.jq"
	run --separate-stderr bash -c 'cd "$0" && echo "{\"a\":3}" | cvx-jsonl-map -L lib -f p.jq' "$d"
	assert_success
	assert_output '{"a":6,"b":9,"t":"1970-01-01T00:00:01.000Z"}'
}

@test "-f takes the input file as the only operand" {
	printf '{n}\n' > "$BATS_TEST_TMPDIR/p.jq"
	a=$(cvx-jsonl-map -f "$BATS_TEST_TMPDIR/p.jq" "$T/big.jsonl" | sha256sum)
	b=$(jq -c '{n}' "$T/big.jsonl" | sha256sum)
	[ "$a" = "$b" ]
}

@test "a program that does not compile is exit 2 with jq's message" {
	run --separate-stderr cvx-jsonl-map '.a | ?' /dev/null
	[ "$status" -eq 2 ]
	assert_only_abort cvx-jsonl-map
	[[ ${stderr_lines[0]} == "cvx-jsonl-map: jq: error: syntax error"*"line 1: .a | ?" ]]
	# The built-in library is not quoted back at the user.
	[[ $stderr != *cvx_snake* ]]
}

@test "an undefined function is a compile error, exit 2" {
	run --separate-stderr cvx-jsonl-map 'nosuchfn' /dev/null
	[ "$status" -eq 2 ]
	[[ $stderr == *"nosuchfn/0 is not defined"* ]]
}

@test "-t applies the filter to its tables only; other lines pass byte for byte" {
	f=$BATS_TEST_TMPDIR/in
	printf '%s\n' '{"_table":"a","x":1}' \
	    '{"_table":"b", "x" : 1.50, "big":18446744073709551615}' \
	    '{"_table":"c","x":3}' '{"x":4}' > "$f"
	run --separate-stderr cvx-jsonl-map -t a -t c '.x += 10' "$f"
	assert_success
	assert_output "$(printf '%s\n' '{"_table":"a","x":11}' \
	    '{"_table":"b", "x" : 1.50, "big":18446744073709551615}' \
	    '{"_table":"c","x":13}' '{"x":4}')"
}

@test "-t passes every other table of the corpus through unchanged" {
	require_corpus
	f=$T/streams/migrasi.jsonl
	[ -s "$f" ] || require "no migrasi stream"
	t=$(head -1 "$f" | jq -r ._table)
	a=$(grep -v "^{\"_table\":\"$t\"," "$f" | sha256sum)
	b=$(cvx-jsonl-map -t "$t" empty "$f" | sha256sum)
	[ "$a" = "$b" ]
	# jq would have rewritten some of them (1.0 -> 1): they were not parsed.
	c=$(jq -c --arg t "$t" 'select(._table != $t)' "$f" | sha256sum)
	[ "$a" != "$c" ] || fail "nothing jq would change: the test proves nothing"
}

@test "invalid input JSON stops the run: line number, abort line, exit 1" {
	printf '{"a":1}\n{"a":\n{"a":3}\n' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map . "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 1 ]
	assert_equal "${lines[0]}" '{"a":1}'
	[[ ${lines[1]} == "#cvx-abort cvx-jsonl-map: "*"line 2: invalid JSON"* ]]
	[ "${#lines[@]}" -eq 2 ]
	[[ $stderr == "cvx-jsonl-map: "*": line 2: invalid JSON at byte 6: "* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "invalid UTF-8, NaN and blank lines are invalid JSON (jq would accept them)" {
	for l in '{"a":"\xff"}' '{"a":nan}' ''; do
		printf "{\"a\":0}\n$l\n" > "$BATS_TEST_TMPDIR/in"
		run --separate-stderr cvx-jsonl-map . "$BATS_TEST_TMPDIR/in"
		[ "$status" -eq 1 ] || fail "accepted: $l"
		[[ $stderr == *"line 2: invalid JSON"* ]] || fail "$stderr"
	done
}

@test "a jq runtime error stops the run with its line number and jq's message" {
	printf '{"a":1}\n{"a":"x"}\n{"a":3}\n' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map '{b: (.a + 1)}' "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 1 ]
	assert_equal "${lines[0]}" '{"b":2}'
	[[ ${lines[1]} == "#cvx-abort "* ]]
	[ "${#lines[@]}" -eq 2 ]
	[[ $stderr == *": line 2: jq: error: string (\"x\") and number (1) cannot be added" ]]
}

@test "an output that is not an object is an error" {
	printf '{"a":1}\n{"a":2}\n' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map 'if .a == 2 then .a else . end' "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 1 ]
	[[ $stderr == *": line 2: output is number, not an object: 2" ]]
}

@test "halt_error rejects the line with its message" {
	run --separate-stderr bash -c 'echo "{}" | cvx-jsonl-map "\"bye\" | halt_error(3)"'
	[ "$status" -eq 1 ]
	[[ $stderr == *"line 1: jq: program halted (exit status 3): bye" ]]
}

@test "the outputs of a failing line are dropped with it" {
	printf '{"a":1}\n' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map --errors "$BATS_TEST_TMPDIR/err" \
	    '{x: 1}, error("no")' "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
}

@test "--errors records each failing line and goes on; exit 1" {
	d=$BATS_TEST_TMPDIR
	printf '{"a":1}\n{"a":"x"}\nnot json\n{"a":4}\n' > "$d/in"
	run --separate-stderr cvx-jsonl-map --errors "$d/err" '{b: (.a + 1)}' "$d/in"
	[ "$status" -eq 1 ]
	assert_output "$(printf '{"b":2}\n{"b":5}')"
	[ "${#stderr_lines[@]}" -eq 2 ]
	run python3 - "$d/err" "$d/in" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
lines = open(sys.argv[2]).read().split("\n")
assert [r["line"] for r in recs] == [2, 3], recs
for r in recs:
    assert r["input"] == lines[r["line"] - 1], r
    assert set(r) == {"line", "error", "input"}, r
assert "cannot be added" in recs[0]["error"], recs
assert "invalid JSON" in recs[1]["error"], recs
PY
	assert_success
}

@test "--errors keeps its lines valid JSON when the input is not UTF-8" {
	printf '{"a":"x\xffy\xe2\x82"}\n{"a":"\xc3\xa9"}\n' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map --errors "$BATS_TEST_TMPDIR/err" . "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 1 ]
	assert_output '{"a":"é"}'
	run python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(r) == 1 and r[0]["input"] == "{\"a\":\"x\ufffdy\ufffd\ufffd\"}", r
print("ok")' "$BATS_TEST_TMPDIR/err"
	assert_success
}

@test "--errors with no failing line is exit 0 and an empty file" {
	run --separate-stderr cvx-jsonl-map --errors "$BATS_TEST_TMPDIR/err" . "$T/big.jsonl"
	assert_success
	[ -f "$BATS_TEST_TMPDIR/err" ] && [ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "--max-errors N gives up at the Nth failing line" {
	d=$BATS_TEST_TMPDIR
	printf '{"a":1}\nx\n{"a":3}\ny\n{"a":5}\nz\n{"a":7}\n' > "$d/in"
	run --separate-stderr cvx-jsonl-map --errors "$d/err" --max-errors 2 . "$d/in"
	[ "$status" -eq 1 ]
	assert_equal "${lines[0]}" '{"a":1}'
	assert_equal "${lines[1]}" '{"a":3}'
	[[ ${lines[2]} == "#cvx-abort "* ]]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(wc -l < "$d/err")" -eq 2 ]
	[[ $stderr == *"giving up after 2 rejected lines"* ]]
}

@test "--max-errors without --errors skips failing lines up to N" {
	printf '{"a":1}\nx\n{"a":3}\n' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map --max-errors 5 . "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 1 ]
	assert_output "$(printf '{"a":1}\n{"a":3}')"
	[[ $stderr == *"line 2: invalid JSON"* ]]
}

@test "errors are reported in input order with -j 2" {
	# Every 7th line fails; the errors file lists them in order.
	d=$BATS_TEST_TMPDIR
	run --separate-stderr cvx-jsonl-map -j 2 --errors "$d/err" \
	    'if .n % 7 == 3 then error("seven") else {n} end' "$T/big.jsonl"
	[ "$status" -eq 1 ]
	run python3 -c '
import json, sys
got = [json.loads(l)["line"] for l in open(sys.argv[1])]
assert got == [n + 1 for n in range(60000) if n % 7 == 3], got[:5]
' "$d/err"
	assert_success
}

@test "an unwritable --errors file is exit 1" {
	run --separate-stderr cvx-jsonl-map --errors /nonexistent/e . /dev/null
	[ "$status" -eq 1 ]
	[[ $stderr == *"/nonexistent/e"* ]]
}

@test "an upstream abort line is passed on and ends the run with exit 1" {
	printf '{"a":1}\n#cvx-abort cvx-unzip: x.zip: bad CRC\n{"a":3}\n' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map --errors "$BATS_TEST_TMPDIR/err" '{b: .a}' "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 1 ]
	assert_output "$(printf '{"b":1}\n#cvx-abort cvx-unzip: x.zip: bad CRC')"
	[[ $stderr == *"line 2: upstream failed: cvx-unzip: x.zip: bad CRC" ]]
}

@test "CRLF line ends and a last line without a newline are accepted" {
	printf '{"a":1}\r\n{"a":2}' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map . "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output "$(printf '{"a":1}\n{"a":2}')"
}

@test "strings come out as jq prints them: controls escaped, UTF-8 kept" {
	python3 -c '
import json
s = "".join(chr(i) for i in range(128)) + "é€😀\u2028"
print(json.dumps({"s": s, "n": [0, -0.0, 1.5, 1e15, 1e16, 1e300, 5e-324, 0.1,
    1735689600123.457, 123e15, 1e-5, 9007199254740992]}))' > "$BATS_TEST_TMPDIR/in"
	a=$(jq -c . "$BATS_TEST_TMPDIR/in")
	run --separate-stderr cvx-jsonl-map . "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output "$a"
}

@test "numbers are read and printed exactly as jq reads and prints them" {
	python3 -c '
import json, random
r = random.Random(3)
for i in range(3000):
    v = []
    for j in range(20):
        k = r.randrange(5)
        if k == 0: v.append(r.random() * 10 ** r.randrange(-12, 24))
        elif k == 1: v.append(round(r.random() * 1e13, r.randrange(0, 8)))
        elif k == 2: v.append(r.randrange(-2**53, 2**53))
        elif k == 3: v.append(r.randrange(-10**15, 10**15) / 10 ** r.randrange(0, 23))
        else: v.append(r.choice([5e-324, 1.7976931348623157e308, 0.1, 1e22, 1e23, -0.0]))
    print(json.dumps({"n": v}))' > "$BATS_TEST_TMPDIR/in"
	a=$(jq -c . "$BATS_TEST_TMPDIR/in" | sha256sum)
	b=$(cvx-jsonl-map . "$BATS_TEST_TMPDIR/in" | sha256sum)
	[ "$a" = "$b" ]
}

@test "debug writes on stderr, not in the stream" {
	run --separate-stderr bash -c 'echo "{\"a\":1}" | cvx-jsonl-map "debug"'
	assert_success
	assert_output '{"a":1}'
	[ "$stderr" = '["DEBUG:",{"a":1}]' ]
}

@test "usage errors on a terminal print once, with no abort line" {
	command -v script >/dev/null || require "script(1) is not installed"
	run script -qec "cvx-jsonl-map -j 0 ." /dev/null
	[ "$status" -eq 2 ]
	[[ $output == *"cvx-jsonl-map: -j: must be at least 1"* ]]
	[[ $output != *"#cvx-abort"* ]]
}

@test "-t matches the table identity: escapes decoded, components apart" {
	printf '%s\n' \
	    '{"_table":"users","n":1}' \
	    '{"_table":"us\u0065rs","n":2}' \
	    '{"_table":"users","_component":"auth","n":3}' \
	    '{"_table":"users","_component":"","n":4}' \
	    '{"n":5}' >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map -t users '{n: (.n * 10)}' \
	    "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output "$(printf '%s\n' '{"n":10}' '{"n":20}' \
	    '{"_table":"users","_component":"auth","n":3}' '{"n":40}' '{"n":5}')"
	run --separate-stderr cvx-jsonl-map -t auth:users '{n: (.n * 10)}' \
	    "$BATS_TEST_TMPDIR/in"
	assert_success
	[ "${lines[2]}" = '{"n":30}' ]
	[ "${lines[0]}" = '{"_table":"users","n":1}' ]
}

@test "-t rejects a document whose tag is bad, naming it" {
	printf '%s\n' '{"_table":"a\u0001b","n":1}' >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map -t users . "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 1 ]
	[[ $stderr == *"line 1: control character in _table at byte 11"* ]]
	assert_only_abort cvx-jsonl-map
}

@test "-t takes comma-separated globs, -x leaves tables out: the rest pass as they are" {
	f=$BATS_TEST_TMPDIR/in
	printf '%s\n' '{"_table":"auth1","x":1}' '{"_table":"auth2","x":2}' \
	    '{"_table":"users","x":3}' '{"_component":"c","_table":"auth3","x":4}' \
	    '{"x":5}' >"$f"
	run -0 --separate-stderr cvx-jsonl-map -t 'auth*,users' -x auth2 '.x += 10' "$f"
	assert_output "$(printf '%s\n' '{"_table":"auth1","x":11}' '{"_table":"auth2","x":2}' \
	    '{"_table":"users","x":13}' '{"_component":"c","_table":"auth3","x":4}' '{"x":5}')"
	# A component's table is c:auth3, which "*" matches; -x alone maps the
	# untagged line too.
	run -0 --separate-stderr cvx-jsonl-map --exclude 'auth[12]' '.x += 10' "$f"
	assert_output "$(printf '%s\n' '{"_table":"auth1","x":1}' '{"_table":"auth2","x":2}' \
	    '{"_table":"users","x":13}' '{"_component":"c","_table":"auth3","x":14}' '{"x":15}')"
	run -2 cvx-jsonl-map -t 'a,,b' . "$f"
}

@test "a jq runtime error names the line, the table and the _id" {
	printf '%s\n' '{"_table":"m","_id":"k1","x":1}' '{"_table":"m","_id":"k2","x":"s"}' \
	    >"$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr cvx-jsonl-map '.x += 1' "$BATS_TEST_TMPDIR/in"
	[[ $stderr == *": line 2: table m, _id k2: jq: error: string (\"s\") and number (1) cannot be added" ]] || fail "$stderr"
	# Untagged, or without an _id: what there is.
	run -1 --separate-stderr bash -c 'echo "{\"x\":\"s\"}" | cvx-jsonl-map ".x += 1"'
	[[ $stderr == *": line 1: jq: error: string"* ]] || fail "$stderr"
}
