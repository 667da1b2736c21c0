# cvx-jsonl-map: the built-in Convex library and the int64 rules
# (man/cvx-jsonl-map.1, "BUILT-IN FUNCTIONS" and "INTEGERS").  Expected
# values are computed here with python3, from the rules of
# convex-export-format.md, not copied from the tool.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	export T=$BATS_FILE_TMPDIR
	mkdir -p "$T/streams"
	[ -d "$CORPUS" ] || return 0
	# Each export folder's stream (cvx-unzip when built) and its _tables.
	python3 - "$CORPUS" "$T/streams" "$CVX_BUILD/cvx-unzip" <<'PY'
import json, os, re, subprocess, sys
corpus, out, unzip = sys.argv[1:4]
for dp, ds, fs in sorted(os.walk(corpus)):
    if '_tables' not in ds:
        continue
    slug = re.sub(r'[^A-Za-z0-9]+', '-', os.path.relpath(dp, corpus))
    tables = {}
    for l in open(os.path.join(dp, '_tables', 'documents.jsonl')):
        t = json.loads(l)
        tables[t['name']] = t['id']
    data = b''
    for name in sorted(os.listdir(dp)):
        p = os.path.join(dp, name, 'documents.jsonl')
        if name.startswith('_') or not os.path.exists(p):
            continue
        lines = open(p, 'rb').read().splitlines()
        try:
            [json.loads(l) for l in lines]
        except ValueError:
            continue          # a damaged table (altar-app's folder)
        tag = b'{"_table":' + json.dumps(name).encode() + b','
        data += b''.join(tag + l[1:] + b'\n' for l in lines)
    if os.access(unzip, os.X_OK):
        r = subprocess.run([unzip, dp], capture_output=True)
        if r.returncode == 0:
            data = r.stdout
    open(os.path.join(out, slug + '.jsonl'), 'wb').write(data)
    json.dump(tables, open(os.path.join(out, slug + '.tables'), 'w'))
PY
}

# Run python3 CODE with the corpus streams; it prints "ok" when all agree.
check_corpus() {
	require_corpus
	run python3 -c "$1" "$T/streams"
	assert_success
	assert_output --partial ok
}

@test "cvx_todate gives ISO-8601 UTC with milliseconds for every real _creationTime" {
	check_corpus '
import datetime, glob, json, math, subprocess, sys
n = 0
for f in glob.glob(sys.argv[1] + "/*.jsonl"):
    docs = [json.loads(l) for l in open(f)]
    out = subprocess.run(["cvx-jsonl-map", "{t: (._creationTime | cvx_todate)}", f],
                         capture_output=True, check=True).stdout.decode().splitlines()
    assert len(out) == len(docs), f
    for d, o in zip(docs, out):
        ms = math.floor(d["_creationTime"])
        want = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
        want = want.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)
        assert json.loads(o)["t"] == want, (f, o, want)
        n += 1
assert n > 1000, n
print("ok", n)'
}

@test "cvx_todate keeps what jq's todate drops: the milliseconds" {
	run --separate-stderr bash -c 'echo "{\"t\":1735689600123.457}" |
	    cvx-jsonl-map "{a: (.t | cvx_todate), b: (.t / 1000 | todate), c: (-1 | cvx_todate)}"'
	assert_success
	assert_output '{"a":"2025-01-01T00:00:00.123Z","b":"2025-01-01T00:00:00Z","c":"1969-12-31T23:59:59.999Z"}'
}

@test "cvx_table_number reads every real _id as its table's number in _tables" {
	check_corpus '
import glob, json, subprocess, sys
A = "0123456789abcdefghjkmnpqrstvwxyz"
def decode(s):
    # Independent: base32 (big-endian 5-bit groups) then the VInt.
    bits = "".join(format(A.index(c), "05b") for c in s)
    b = [int(bits[i:i + 8], 2) for i in range(0, len(bits) - 7, 8)]
    n, shift = 0, 0
    for x in b:
        n |= (x & 0x7f) << shift
        shift += 7
        if x < 0x80:
            return n
n = 0
for f in glob.glob(sys.argv[1] + "/*.jsonl"):
    tables = json.load(open(f[:-6] + ".tables"))
    docs = [json.loads(l) for l in open(f)]
    out = subprocess.run(["cvx-jsonl-map", "{_table, n: (._id | cvx_table_number)}", f],
                         capture_output=True, check=True).stdout.decode().splitlines()
    for d, o in zip(docs, out):
        o = json.loads(o)
        assert o["n"] == decode(d["_id"]), (f, o)
        if d["_table"] in tables:
            assert o["n"] == tables[d["_table"]], (f, o)
        n += 1
assert n > 1000, n
print("ok", n)'
}

@test "cvx_table_number rejects an _id whose checksum does not match" {
	require_corpus
	id=$(head -1 "$T/streams/migrasi.jsonl" | jq -r ._id)
	# Change one character to another letter of the alphabet.
	bad=$(python3 -c 'import sys; s = sys.argv[1]; print(s[:5] + ("a" if s[5] != "a" else "b") + s[6:])' "$id")
	run --separate-stderr bash -c 'echo "{\"i\":\"$0\"}" | cvx-jsonl-map "{n: (.i | cvx_table_number)}"' "$bad"
	[ "$status" -eq 1 ]
	[[ $stderr == *"line 1: jq: error: cvx_table_number: not a Convex id: \"$bad\""* ]]
}

@test "cvx_snake and cvx_snake_keys turn every real field name into snake_case" {
	check_corpus '
import glob, json, re, subprocess, sys
def snake(s):
    s = re.sub(r"([A-Z])([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)
n = 0
for f in glob.glob(sys.argv[1] + "/*.jsonl"):
    docs = [json.loads(l) for l in open(f)]
    out = subprocess.run(["cvx-jsonl-map", "cvx_snake_keys | {k: keys_unsorted, s: (._table | cvx_snake)}", f],
                         capture_output=True, check=True).stdout.decode().splitlines()
    for d, o in zip(docs, out):
        o = json.loads(o)
        assert o["k"] == [snake(k) for k in d], (o, list(d))
        assert o["s"] == snake(d["_table"])
        n += len(d)
assert n > 5000, n
print("ok", n)'
}

@test "cvx_snake on names with acronyms and digits" {
	run --separate-stderr bash -c 'echo "{}" | cvx-jsonl-map "{s: [\"userId\", \"_creationTime\", \"HTTPServer\", \"userID\", \"fatPer100g\", \"a\"] | map(cvx_snake)}"'
	assert_success
	assert_output '{"s":["user_id","_creation_time","http_server","user_id","fat_per100g","a"]}'
}

@test "cvx_float reads a real legacy NaN string and every real number unchanged" {
	check_corpus '
import glob, json, math, subprocess, sys
nan = n = 0
prog = "[.[] | select(type == \"number\" or . == \"NaN\") | cvx_float] | {v: .}"
for f in glob.glob(sys.argv[1] + "/*.jsonl"):
    docs = [json.loads(l) for l in open(f)]
    out = subprocess.run(["cvx-jsonl-map", prog, f], capture_output=True,
                         check=True).stdout.decode().splitlines()
    for d, o in zip(docs, out):
        want = [v for v in d.values() if isinstance(v, (int, float)) and
                not isinstance(v, bool) or v == "NaN"]
        assert json.loads(o)["v"] == want, (o, want)
        nan += want.count("NaN")
        n += len(want)
assert nan >= 1 and n > 1000, (nan, n)
print("ok", nan, n)'
}

@test "cvx_float decodes uniform \$float values" {
	python3 -c '
import base64, json, struct
def f(x): return {"$float": base64.b64encode(struct.pack("<d", x)).decode()}
print(json.dumps({"v": [f(float("nan")), f(float("inf")), f(float("-inf")),
                        f(-0.0), f(0.0), 2.5, "Infinity"]}))' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map '{v: .v | map(cvx_float)}' "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output '{"v":["NaN","Infinity","-Infinity",-0,0,2.5,"Infinity"]}'
}

@test "cvx_float rejects a \$float that holds an ordinary number" {
	python3 -c '
import base64, struct
print("{\"v\":{\"$float\":\"%s\"}}" % base64.b64encode(struct.pack("<d", 1.5)).decode())' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map '{v: .v | cvx_float}' "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 1 ]
	[[ $stderr == *"cvx_float: \$float holds a finite number"* ]]
}

@test "cvx_int64 reads bare and legacy string int64 values, exactly" {
	python3 -c '
import json
v = [5, -7, "123", "-9007199254740992", "9007199254740993", str(2**63 - 1), str(-2**63)]
print(json.dumps({"v": v}))' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map '{v: .v | map(cvx_int64)}' "$BATS_TEST_TMPDIR/in"
	assert_success
	want=$(python3 -c 'print("{\"v\":[5,-7,123,-9007199254740992,\"9007199254740993\",\"%d\",\"%d\"]}" % (2**63 - 1, -2**63))')
	assert_output "$want"
}

@test "cvx_int64 rejects a float" {
	run --separate-stderr bash -c 'echo "{\"v\":1.5}" | cvx-jsonl-map "{v: .v | cvx_int64}"'
	[ "$status" -eq 1 ]
	[[ $stderr == *"cvx_int64: not a Convex int64: 1.5" ]]
}

@test "cvx_bytes reads uniform \$bytes and legacy base64 strings alike" {
	b=$(python3 -c 'import base64; print(base64.b64encode(bytes(range(250, 256))).decode())')
	run --separate-stderr bash -c 'echo "{\"u\":{\"\$bytes\":\"$0\"},\"l\":\"$0\"}" |
	    cvx-jsonl-map "{u: (.u | cvx_bytes), l: (.l | cvx_bytes)}"' "$b"
	assert_success
	assert_output "{\"u\":\"$b\",\"l\":\"$b\"}"
}

@test "an integer beyond 2^53 is an error with its line number and a hint" {
	for v in 9007199254740993 9223372036854775807 -9007199254740993 \
	    100000000000000000000000; do
		printf '{"a":1}\n{"a":2,"b":[%s]}\n' "$v" > "$BATS_TEST_TMPDIR/in"
		run --separate-stderr cvx-jsonl-map . "$BATS_TEST_TMPDIR/in"
		[ "$status" -eq 1 ] || fail "$v: status $status"
		assert_equal "${lines[0]}" '{"a":1}'
		[[ ${lines[1]} == "#cvx-abort "* ]]
		[[ $stderr == *": line 2: integer $v at byte 13 is beyond +-2^53"*"--int64 string"* ]] ||
		    fail "$v: $stderr"
	done
}

@test "2^53, floats with exponents and digits in strings are not big integers" {
	f=$BATS_TEST_TMPDIR/in
	printf '%s\n' '{"a":9007199254740992,"b":-9007199254740992,"c":1e300,"d":9007199254740993.0,"e":1.5E+20,"f":"9223372036854775807","g":"x\"12345678901234567890"}' > "$f"
	run --separate-stderr cvx-jsonl-map . "$f"
	assert_success
	assert_output "$(jq -c . "$f")"
}

@test "--int64 string gives big integers to the filter as strings of their digits" {
	python3 -c '
import json
print(json.dumps({"a": 2**53 + 1, "b": [2**63 - 1, {"c": -2**63}], "d": 2**53, "e": "x", "f": 1.5}))' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map --int64 string '., {t: (.a | type)}' "$BATS_TEST_TMPDIR/in"
	assert_success
	want=$(python3 -c '
import json
print(json.dumps({"a": str(2**53 + 1), "b": [str(2**63 - 1), {"c": str(-2**63)}], "d": 2**53, "e": "x", "f": 1.5}, separators=(",", ":")))')
	assert_equal "${lines[0]}" "$want"
	assert_equal "${lines[1]}" '{"t":"string"}'
}

@test "--int64 error is the default" {
	run --separate-stderr bash -c 'echo "{\"a\":9007199254740993}" | cvx-jsonl-map --int64 error .'
	[ "$status" -eq 1 ]
	[[ $stderr == *"beyond +-2^53"* ]]
}

@test "big integers are found at every alignment and length" {
	# Line k holds one integer beyond 2^53 after k bytes of padding, or,
	# every other line, the largest integer that is not (2^53).
	python3 -c '
for k in range(40):
    v = 2**53 + 1 + k * 10**(k % 5) if k % 2 == 0 else -(2**53)
    print("{\"%s\":[%d]}" % ("p" * k, v))' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-jsonl-map --errors "$BATS_TEST_TMPDIR/err" . "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 20 ]
	run python3 -c '
import json, sys
got = [json.loads(l)["line"] for l in open(sys.argv[1])]
assert got == list(range(1, 41, 2)), got
print("ok")' "$BATS_TEST_TMPDIR/err"
	assert_success
}
