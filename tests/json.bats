# libcvx's JSON checker (common/json.c) through build/tests/jsoncheck:
# RFC 8259 grammar, RFC 3629 UTF-8, escapes, numbers, nesting, offsets.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	export JC=$CVX_BUILD/tests/jsoncheck
}

setup() {
	[ -x "$JC" ] || require "$JC is not built (make all)"
}

# check [-o] LINE: the checker's verdict on one line (printf %b escapes).
check() {
	local opt=
	if [ "$1" = -o ]; then
		opt=-o
		shift
	fi
	printf '%b\n' "$1" | "$JC" $opt
}

# expect_all VERDICT LINE...: every line gets VERDICT (a prefix).
expect_all() {
	local want=$1 l got
	shift
	for l in "$@"; do
		got=$(check "$l")
		[[ $got == "$want"* ]] || fail "[$l]: got '$got', want '$want'"
	done
}

@test "RFC 8259 texts of every kind are accepted" {
	expect_all ok '{}' '[]' '""' '0' 'true' 'false' 'null' ' [ ] ' \
	    '{"a":1,"b":[true,false,null],"c":{"d":"e"}}' '[[[[]]]]' \
	    '\t\r {"a" : [ 1 , 2 ] }\t' '[{},[],"",0]' '{"":0}' \
	    '{"a":1,"a":2}'
}

@test "grammar errors are reported with their offset and reason" {
	run check '[1,2'
	assert_output "error 4 expected ',' or ']'"
	run check '{"a":1,}'
	assert_output "error 7 expected a string key"
	run check '{"a" 1}'
	assert_output "error 5 expected ':'"
	run check '{"a":1 "b":2}'
	assert_output "error 7 expected ',' or '}'"
	run check '[1] x'
	assert_output "error 4 text after the JSON value"
	run check '{a:1}'
	assert_output "error 1 expected a string key"
	run check '[1,]'
	assert_output "error 3 unexpected character"
	run check ''
	assert_output "error 0 unexpected end of text"
	run check 'tru'
	assert_output "error 0 invalid literal"
	run check '[nul]'
	assert_output "error 1 invalid literal"
	run check "['a']"
	assert_output "error 1 unexpected character"
	run check '"abc'
	assert_output "error 4 unterminated string"
	run check '\xef\xbb\xbf{}'
	assert_output "error 0 unexpected character"
}

@test "numbers follow RFC 8259 §6" {
	expect_all ok '0' '-0' '1.5' '-1.5e10' '1e5' '1E+5' '1e-5' '-0.0e0' \
	    '123456789012345678901234567890' '9223372036854775807' '1e400'
	for n in '01' '+1' '.5' '1.' '1e' '1e+' '-' '0x1' '1.e5' '- 1' \
	    'NaN' 'Infinity' '-Infinity' '00' '1.5.5'; do
		got=$(check "[$n]")
		[[ $got == error* ]] || fail "[$n] accepted"
	done
	run check '[1.]'
	assert_output "error 1 invalid number"
	run check '[-01]'
	assert_output "error 3 expected ',' or ']'"
}

@test "string escapes: the eight short ones and \\u, nothing else" {
	expect_all ok '"\\\\"' '"\\""' '"\\/"' '"\\b\\f\\n\\r\\t"' \
	    '"\\u00e9\\u00E9"' '"\\u0000"' '"\\uffff"'
	run check '"ab\\a"'
	assert_output "error 3 invalid escape"
	run check '"\\x41"'
	assert_output "error 1 invalid escape"
	run check '"\\u12"'
	assert_output "error 1 invalid \\u escape"
	run check '"\\uZZZZ"'
	assert_output "error 1 invalid \\u escape"
	run check '"a\\'
	assert_output "error 2 unterminated string"
}

@test "surrogate escapes must come in pairs" {
	expect_all ok '"\\ud83d\\ude00"' '"\\uD83D\\uDE00"' '"\\udbff\\udfff"'
	run check '"\\ud800"'
	assert_output "error 1 unpaired surrogate escape"
	run check '"x\\udc00"'
	assert_output "error 2 unpaired surrogate escape"
	run check '"\\ud800\\u0041"'
	assert_output "error 1 unpaired surrogate escape"
	run check '"\\ud800x"'
	assert_output "error 1 unpaired surrogate escape"
	run check '"\\ud800\\ud800"'
	assert_output "error 1 unpaired surrogate escape"
	run check '"\\ude00\\ud83d"'
	assert_output "error 1 unpaired surrogate escape"
}

@test "control characters must be escaped in strings" {
	run check '"a\tb"'
	assert_output "error 2 control character in string"
	run check '"\x01"'
	assert_output "error 1 control character in string"
	run check '"\x1f"'
	assert_output "error 1 control character in string"
	expect_all ok '"\x7f"' '" "'
}

@test "UTF-8: every well-formed length and boundary is accepted" {
	# U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF
	expect_all ok '"\xc2\x80"' '"\xdf\xbf"' '"\xe0\xa0\x80"' \
	    '"\xed\x9f\xbf"' '"\xee\x80\x80"' '"\xef\xbf\xbf"' \
	    '"\xf0\x90\x80\x80"' '"\xf4\x8f\xbf\xbf"' \
	    '"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"'
}

@test "UTF-8: overlong forms are rejected" {
	run check '"ab\xc0\xaf"'
	assert_output "error 3 invalid UTF-8"
	run check '"\xc1\xbf"'
	assert_output "error 1 invalid UTF-8"
	run check '"\xe0\x80\xaf"'
	assert_output "error 1 invalid UTF-8"
	run check '"\xe0\x9f\xbf"'
	assert_output "error 1 invalid UTF-8"
	run check '"\xf0\x80\x80\xaf"'
	assert_output "error 1 invalid UTF-8"
	run check '"\xf0\x8f\xbf\xbf"'
	assert_output "error 1 invalid UTF-8"
}

@test "UTF-8: encoded surrogates are rejected" {
	run check '"\xed\xa0\x80"'
	assert_output "error 1 invalid UTF-8"
	run check '"x\xed\xbf\xbf"'
	assert_output "error 2 invalid UTF-8"
	run check '"\xed\xa0\xbd\xed\xb8\x80"'
	assert_output "error 1 invalid UTF-8"
}

@test "UTF-8: nothing above U+10FFFF" {
	run check '"\xf4\x90\x80\x80"'
	assert_output "error 1 invalid UTF-8"
	for b in f5 f7 f8 fc fe ff; do
		run check "\"\\x$b\\x80\\x80\\x80\""
		assert_output "error 1 invalid UTF-8"
	done
}

@test "UTF-8: truncated sequences and stray continuation bytes" {
	run check '"\xe2\x82"'
	assert_output "error 1 invalid UTF-8"
	run check '"\xf0\x9f\x98"'
	assert_output "error 1 invalid UTF-8"
	run check '"\xc3"'
	assert_output "error 1 invalid UTF-8"
	run check '"\x80"'
	assert_output "error 1 invalid UTF-8"
	run check '"a\xbf"'
	assert_output "error 2 invalid UTF-8"
	run check '"\xe2\x28\xa1"'
	assert_output "error 1 invalid UTF-8"
	# Truncated by the end of the text itself.
	run bash -c 'printf "\"\xe2\x82" | "$JC"'
	assert_output "error 1 invalid UTF-8"
}

@test "UTF-8 is checked after 8-byte runs and at every position" {
	# The fast path reads 8 bytes at a time: put the bad byte at each
	# offset of a long ASCII run.
	for i in $(seq 0 20); do
		pad=$(printf "%${i}s" "" | tr ' ' a)
		run check "\"${pad}\\xc0\\xaf${pad}\""
		assert_output "error $((i + 1)) invalid UTF-8"
		run check "\"${pad}\\\\ud800${pad}\""
		assert_output "error $((i + 1)) unpaired surrogate escape"
		run check "\"${pad}\\x01${pad}\""
		assert_output "error $((i + 1)) control character in string"
	done
}

@test "nesting: 512 levels are accepted, 513 are not" {
	ok=$(python3 -c 'print("[" * 512 + "]" * 512)')
	run check "$ok"
	assert_output ok
	deep=$(python3 -c 'print("[" * 513 + "]" * 513)')
	run check "$deep"
	assert_output "error 512 nesting too deep"
	deep=$(python3 -c 'print("{\"a\":" * 513 + "1" + "}" * 513)')
	run check "$deep"
	assert_output "error $((512 * 5)) nesting too deep"
}

@test "-o: a stream line must be an object with nothing around it" {
	run check -o '{"a":1}'
	assert_output ok
	run check -o '[1]'
	assert_output "error 0 not a JSON object"
	run check -o ' {"a":1}'
	assert_output "error 0 not a JSON object"
	run check -o '{"a":1} '
	assert_output "error 7 text after the JSON object"
	run check -o ''
	assert_output "error 0 empty line"
	run check -o '{"a":"\xff"}'
	assert_output "error 6 invalid UTF-8"
}

@test "-g finds the top-level member only" {
	run bash -c "printf '%s\n' '{\"a\":{\"k\":1},\"k\":[2, 3]}' \
	    '{\"a\":\"\\\"k\\\":4\"}' '{\"k\":5,\"k\":6}' | \"\$JC\" -g k"
	assert_output "$(printf '[2, 3]\nabsent\n5')"
}

@test "the checker agrees with python's strict JSON and UTF-8 on mutations" {
	# python3: strict UTF-8 decoding, json.loads without NaN/Infinity, no
	# lone surrogate in any decoded string: the same language as RFC 8259
	# plus Convex's rule.  Lines from the corpus (or a sample) are cut and
	# have bytes changed at random; both verdicts must agree.
	python3 - "$CORPUS" "$BATS_TEST_TMPDIR/cases" <<'PY'
import glob, os, random, sys
random.seed(8259)
lines = []
for f in sorted(glob.glob(sys.argv[1] + "/**/documents.jsonl", recursive=True)):
    lines += [l for l in open(f, "rb").read().split(b"\n") if l][:40]
lines += [b'{"a":"caf\xc3\xa9 \xf0\x9f\x98\x80","b":[1,-2.5e3,true,null],'
          b'"c":"\\ud83d\\ude00\\n\\"x\\""}'] * 50
out = []
alphabet = b'"\\{}[],:0123456789.eE+-tfnu ' + bytes([0x80, 0xbf, 0xc0, 0xc3,
    0xe0, 0xed, 0xa0, 0xf0, 0xf4, 0x90, 0xff, 0x01, 0x09])
for l in lines:
    out.append(l)
    for _ in range(6):
        m = bytearray(l)
        for _ in range(random.randint(1, 3)):
            i = random.randrange(len(m))
            op = random.random()
            if op < 0.5:
                m[i] = random.choice(alphabet)
            elif op < 0.75:
                del m[i]
            else:
                m.insert(i, random.choice(alphabet))
        out.append(bytes(m).replace(b"\n", b" "))
open(sys.argv[2], "wb").write(b"\n".join(out) + b"\n")
PY
	"$JC" <"$BATS_TEST_TMPDIR/cases" | cut -d' ' -f1 >"$BATS_TEST_TMPDIR/got"
	python3 - "$BATS_TEST_TMPDIR/cases" >"$BATS_TEST_TMPDIR/want" <<'PY'
import json, sys
def const(s):
    raise ValueError(s)
def lone(v):
    if isinstance(v, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in v)
    if isinstance(v, list):
        return any(lone(x) for x in v)
    if isinstance(v, dict):
        return any(lone(k) or lone(x) for k, x in v.items())
    return False
for l in open(sys.argv[1], "rb").read().split(b"\n")[:-1]:
    try:
        v = json.loads(l.decode("utf-8"), parse_constant=const)
        print("error" if lone(v) else "ok")
    except (ValueError, UnicodeDecodeError, RecursionError):
        print("error")
PY
	n=$(wc -l <"$BATS_TEST_TMPDIR/want")
	[ "$n" -gt 1000 ] || fail "only $n cases"
	grep -q ok "$BATS_TEST_TMPDIR/want"
	grep -q error "$BATS_TEST_TMPDIR/want"
	run diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	assert_success
}

@test "an object line 512 deep is the limit for the scanner as for the checker" {
	# Found by fuzz/json.c: the scanner did not count the line's own
	# braces, so cvx-count, cvx-unzip and cvx-pg-load took 513 levels
	# that cvx_json_check refuses.
	for d in 511 512; do
		python3 -c "import sys; d = int(sys.argv[1]); print('{\"_table\":\"t\",\"a\":' + '[' * d + ']' * d + '}')" "$d" >"$BATS_TEST_TMPDIR/d$d.jsonl"
		run "$JC" <"$BATS_TEST_TMPDIR/d$d.jsonl"
		if [ "$d" = 511 ]; then
			assert_output ok
		else
			assert_output "error 529 nesting too deep"
		fi
		run --separate-stderr cvx-count "$BATS_TEST_TMPDIR/d$d.jsonl"
		if [ "$d" = 511 ]; then
			assert_success
		else
			[ "$status" -eq 1 ]
			[[ $stderr == *"line 1, column 530: nesting too deep"* ]]
		fi
	done
}
