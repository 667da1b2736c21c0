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

# cvx_id: the expected ID is computed here from the rule in
# cvx-jsonl-map(1) (SHA-256 over name, a 0 byte and the key's sorted
# compact JSON; id_v6.rs's VInt, Fletcher-16 and base32), not by the tool.
mint_py='
import hashlib, json, sys
A = "0123456789abcdefghjkmnpqrstvwxyz"
def mint(num, name, key):
    text = json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    internal = hashlib.sha256(name.encode() + b"\0" + text.encode()).digest()[:16]
    v = b""
    while True:
        b = num & 0x7f
        num >>= 7
        v += bytes([b | (0x80 if num else 0)])
        if not num:
            break
    data = v + internal
    c0 = c1 = 0
    for x in data:
        c0 = (c0 + x) % 256
        c1 = (c1 + c0) % 256
    data += bytes([c0, c1])
    bits = "".join(format(x, "08b") for x in data)
    bits += "0" * (-len(bits) % 5)
    return "".join(A[int(bits[i:i + 5], 2)] for i in range(0, len(bits), 5))
'

@test "cvx_id mints the ID of the documented rule, for names and numbers" {
	require_corpus
	tables=$CORPUS/migrasi/_tables/documents.jsonl
	read -r name num < <(head -1 "$tables" | jq -r '"\(.name) \(.id)"')
	run --separate-stderr bash -c 'printf "%s\n" "{\"k\":\"6f1c2b4e-0000-4000-8000-000000000001\"}" "{\"k\":42}" "{\"k\":[7,\"x\"]}" "{\"k\":{\"b\":2,\"a\":1}}" "{\"k\":{\"a\":1,\"b\":2}}" |
	    cvx-jsonl-map --table-numbers "$0" --arg t "$1" "{n: cvx_id(\$t; .k), m: cvx_id($2; .k)}"' "$tables" "$name" "$num"
	assert_success
	want=$(python3 -c "$mint_py"'
num, name = int(sys.argv[1]), sys.argv[2]
for k in ["6f1c2b4e-0000-4000-8000-000000000001", 42, [7, "x"], {"b": 2, "a": 1}, {"a": 1, "b": 2}]:
    i = mint(num, name, k)
    print(json.dumps({"n": i, "m": i}, separators=(",", ":")))' "$num" "$name")
	assert_output "$want"
	# Key order does not matter; type does: "42" is not 42.
	[ "${lines[3]}" = "${lines[4]}" ]
	run bash -c 'echo "{}" | cvx-jsonl-map "{a: cvx_id(10001; 42), b: cvx_id(10001; \"42\")} | {same: (.a == .b)}"'
	assert_output '{"same":false}'
}

@test "cvx_id: minted IDs decode to their table and internal id, and cvx-zip keeps them" {
	require_corpus
	tables=$CORPUS/migrasi/_tables/documents.jsonl
	read -r name num < <(head -1 "$tables" | jq -r '"\(.name) \(.id)"')
	seq 1 500 | jq -c '{_table: $t, k: .}' --arg t "$name" >"$BATS_TEST_TMPDIR/in.jsonl"
	cvx-jsonl-map --table-numbers "$tables" '{_table, _id: cvx_id(._table; .k), self: cvx_id(._table; .k), n: (cvx_id(._table; .k) | cvx_table_number)}' \
	    "$BATS_TEST_TMPDIR/in.jsonl" >"$BATS_TEST_TMPDIR/out.jsonl"
	run jq -s '[.[] | select(.n == ($num | tonumber))] | length' --arg num "$num" "$BATS_TEST_TMPDIR/out.jsonl"
	assert_output 500
	run jq -s 'map(._id) | unique | length' "$BATS_TEST_TMPDIR/out.jsonl"
	assert_output 500
	# The decoder in common/ (the one cvx-zip and cvx-schema use) agrees.
	run "$CVX_BUILD/tests/convexid" decode $(jq -r ._id "$BATS_TEST_TMPDIR/out.jsonl" | head -3)
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[0]} == "$num "* ]]
	want=$(python3 -c 'import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode() + b"\0" + b"1").hexdigest()[:32])' "$name")
	[[ ${lines[0]} == *"$want"* ]]
	# cvx-zip checks every _id against the table's number: all pass.
	run cvx-zip --table-numbers "$tables" --int64 '*' -n "$BATS_TEST_TMPDIR/out.jsonl"
	assert_success
}

@test "cvx_id refuses what cannot name a table or key, with the line" {
	tables=$BATS_TEST_TMPDIR/tables.jsonl
	printf '%s\n' '{"name":"chats","id":10001}' '{"name":"messages","id":10002}' '{"name":"chats","id":7,"component":"a/b"}' >"$tables"
	for prog in 'cvx_id("nope"; 1)' 'cvx_id(0; 1)' 'cvx_id(1.5; 1)' 'cvx_id(true; 1)' 'cvx_id("chats"; null)'; do
		run --separate-stderr bash -c 'printf "{}\n{}\n" | cvx-jsonl-map --table-numbers "$0" "{_id: $1}"' "$tables" "$prog"
		[ "$status" -eq 1 ]
		[[ $stderr == *"line 1: jq: error: cvx_id: "* ]]
	done
	run --separate-stderr bash -c 'echo "{}" | cvx-jsonl-map "{_id: cvx_id(\"chats\"; 1)}"'
	[ "$status" -eq 1 ]
	[[ $stderr == *"needs --table-numbers"* ]]
	# A component table is named by its identity; it has its own number.
	run bash -c 'echo "{}" | cvx-jsonl-map --table-numbers "$0" "{n: ([cvx_id(\"a/b:chats\"; 1), cvx_id(\"chats\"; 1)] | map(cvx_table_number))}"' "$tables"
	assert_output '{"n":[7,10001]}'
	printf '%s\n' '{"name":"chats","id":10001}' '{"name":"chats","id":10003}' >"$tables"
	run --separate-stderr cvx-jsonl-map --table-numbers "$tables" . /dev/null
	[ "$status" -eq 2 ]
	[[ $stderr == *"table chats listed twice"* ]]
	printf '%s\n' '{"name":"chats","id":0}' >"$tables"
	run --separate-stderr cvx-jsonl-map --table-numbers "$tables" . /dev/null
	[ "$status" -eq 2 ]
	[[ $stderr == *"line 1, byte 22: no valid table number"* ]]
}

@test "cvx_table_number refuses what id_v6.rs refuses, which a jq decoder let through" {
	# Found by fuzz/jqlib.c: a character added, table number 0, a
	# one-byte number in a 32-character ID.
	id=$(echo '{}' | cvx-jsonl-map '{i: cvx_id(10001; 1)}' | jq -r .i)
	for bad in "${id}0" "$("$CVX_BUILD/tests/convexid" encode 1 00000000000000000000000000000000)x"; do
		run --separate-stderr bash -c 'echo "{\"i\":\"$0\"}" | cvx-jsonl-map "{n: (.i | cvx_table_number)}"' "$bad"
		[ "$status" -eq 1 ]
		[[ $stderr == *"not a Convex id"* ]]
	done
	run bash -c 'echo "{\"i\":\"$0\"}" | cvx-jsonl-map "{n: (.i | cvx_table_number)}"' "$id"
	assert_output '{"n":10001}'
}

@test "cvx_float refuses base64 with padding inside it" {
	run --separate-stderr bash -c 'echo "{\"f\":{\"\$float\":\"AAAA=AAAAAA=\"}}" | cvx-jsonl-map "{f: (.f | cvx_float)}"'
	[ "$status" -eq 1 ]
	[[ $stderr == *"cvx_float: not base64"* ]]
}

@test "cvx_camel and cvx_camel_keys undo cvx_snake on camelCase names" {
	run --separate-stderr bash -c 'echo "{}" | cvx-jsonl-map "{s: [\"chat_id\", \"_creation_time\", \"created_at_ms\", \"a\", \"address_2\", \"a__b\", \"x_\", \"__proto\"] | map(cvx_camel)}"'
	assert_success
	assert_output '{"s":["chatId","_creationTime","createdAtMs","a","address_2","a_B","x_","__proto"]}'
	require_corpus
	check_corpus '
import glob, json, re, subprocess, sys
n = 0
for f in glob.glob(sys.argv[1] + "/*.jsonl"):
    out = subprocess.run(["cvx-jsonl-map", "keys_unsorted | map(select(test(\"^_?[a-z]+([A-Z][a-z]+)*$\"))) | {k: ., r: map(cvx_snake | cvx_camel)}", f],
                         capture_output=True, check=True).stdout.decode().splitlines()
    for o in out:
        o = json.loads(o)
        assert o["k"] == o["r"], o
        n += len(o["k"])
assert n > 1000, n
print("ok", n)'
	run bash -c 'echo "{\"chat_id\":1,\"_id\":\"x\"}" | cvx-jsonl-map cvx_camel_keys'
	assert_output '{"chatId":1,"_id":"x"}'
}
