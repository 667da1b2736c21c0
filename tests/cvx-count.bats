# cvx-count: per-table counts of a stream (man/cvx-count.1).

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	# Tagged streams built from every export in the corpus, with counts
	# computed independently (python's json, not cvx), as cvx-unzip would
	# tag them: {"_table":"<t>",["_component":"<c>",] + the document.
	export STREAMS=$BATS_FILE_TMPDIR/streams
	mkdir -p "$STREAMS"
	if [ -d "$CORPUS" ]; then
		python3 - "$CORPUS" "$STREAMS" <<'PY'
# Build tagged streams from every export in the corpus, and their counts.
import io, json, os, re, sys, zipfile

corpus, out = sys.argv[1], sys.argv[2]
pat = re.compile(r'^((?:_components/[^/]+/)*)([^/]+)/documents\.jsonl$')

def exports():
    for dirpath, dirs, files in sorted(os.walk(corpus)):
        dirs.sort()
        if '_tables' in dirs:
            yield dirpath, None
        for f in sorted(files):
            if f.endswith('.zip'):
                yield os.path.join(dirpath, f), f

def entries(path, iszip):
    if iszip:
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                yield n, z.read(n)
    else:
        for dp, ds, fs in sorted(os.walk(path)):
            ds.sort()
            for f in sorted(fs):
                full = os.path.join(dp, f)
                yield os.path.relpath(full, path), open(full, 'rb').read()

for path, iszip in exports():
    slug = re.sub(r'[^A-Za-z0-9]+', '-', os.path.relpath(path, corpus))
    lines = []
    for name, data in entries(path, iszip):
        m = pat.match(name)
        if not m or m.group(2).startswith('_'):
            continue
        comp = '/'.join(m.group(1).split('/')[1::2])
        tag = b'"_table":' + json.dumps(m.group(2)).encode()
        if comp:
            tag += b',"_component":' + json.dumps(comp).encode()
        for l in data.split(b'\n'):
            if l == b'':
                continue
            rest = l[1:].lstrip()
            lines.append(b'{' + tag + (b'' if rest.startswith(b'}') else b',') + l[1:] + b'\n')
    open(os.path.join(out, slug + '.jsonl'), 'wb').write(b''.join(lines))
    counts, bad = {}, None
    for i, l in enumerate(lines, 1):
        try:
            d = json.loads(l)
            assert isinstance(d, dict)
        except Exception:
            bad = i
            break
        k = d.get('_table', '-')
        if '_component' in d:
            k = d['_component'] + ':' + k
        counts[k] = counts.get(k, 0) + 1
    if bad is not None:
        open(os.path.join(out, slug + '.bad'), 'w').write('%d\n' % bad)
    else:
        with open(os.path.join(out, slug + '.counts'), 'wb') as f:
            for k in sorted(counts, key=lambda s: s.encode()):
                f.write(b'%s\t%d\n' % (k.encode(), counts[k]))
PY
	fi
	# About 8 MiB of documents, more than one read and one pipe buffer.
	export BIG=$BATS_FILE_TMPDIR/big.jsonl
	python3 - "$BIG" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(60000):
        t = ("messages", "threads", "users")[i % 7 % 3]
        f.write('{"_table":"%s","_id":"d%06d","role":"%s","text":"%s"}\n'
                % (t, i, ("user", "assistant")[i % 2], "lorem ipsum " * 8))
PY
}

# The counts of a stream, computed by python (the independent count).
py_counts() {
	python3 -c '
import json, sys
c = {}
for l in open(sys.argv[1], "rb"):
    d = json.loads(l)
    k = d.get("_table", "-")
    if "_component" in d:
        k = d["_component"] + ":" + k
    c[k] = c.get(k, 0) + 1
for k in sorted(c, key=lambda s: s.encode()):
    print("%s\t%d" % (k, c[k]))
' "$1"
}

@test "-h prints the usage on stdout and exits 0" {
	run --separate-stderr cvx-count -h
	assert_success
	assert_output --partial "usage: cvx-count"
	[ -z "$stderr" ]
}

@test "-V prints the name and version" {
	run --separate-stderr cvx-count --version
	assert_success
	assert_output --regexp '^cvx-count [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "a bad option or a second operand is a usage error, exit 2" {
	run --separate-stderr cvx-count --bogus
	assert_failure 2
	assert_output ""
	[[ $stderr == *"usage: cvx-count"* ]]
	run --separate-stderr cvx-count a b
	assert_failure 2
	run --separate-stderr cvx-count --no-table
	assert_failure 2
	run --separate-stderr cvx-count -b a -b b
	assert_failure 2
}

@test "counts are one line per table, sorted by name in byte order" {
	printf '%s\n' '{"_table":"b"}' '{"_table":"a","x":1}' \
	    '{"_table":"B","y":[1]}' '{"_table":"b"}' '{"_table":"_z"}' \
	    '{"_table":"é"}' >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-count "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output "$(printf 'B\t1\n_z\t1\na\t1\nb\t2\né\t1')"
	[ -z "$stderr" ]
}

@test "every export in the corpus: counts equal python's count" {
	require_corpus
	n=0
	for s in "$STREAMS"/*.jsonl; do
		b=${s%.jsonl}
		[ -f "$b.counts" ] || continue
		run --separate-stderr cvx-count "$s"
		assert_success
		[ "$output" = "$(cat "$b.counts")" ] ||
		    fail "$(basename "$s"): $output"
		# The pipe path (line reader) agrees with the mapped file.
		run --separate-stderr bash -c 'cat "$1" | cvx-count' _ "$s"
		assert_success
		[ "$output" = "$(cat "$b.counts")" ]
		n=$((n + 1))
	done
	[ "$n" -ge 9 ] || fail "only $n exports"
}

@test "a corpus export through cvx-unzip counts as python counts its entries" {
	require_corpus
	[ -x "$CVX_BUILD/cvx-unzip" ] || require "cvx-unzip is not built"
	for z in $(find "$CORPUS" -name '*.zip' | sort); do
		want=$(python3 -c '
import re, sys, zipfile
c = {}
for n in zipfile.ZipFile(sys.argv[1]).namelist():
    m = re.match(r"^((?:_components/[^/]+/)*)([^/_][^/]*)/documents\.jsonl$", n)
    if not m:
        continue
    comp = "/".join(m.group(1).split("/")[1::2])
    k = (comp + ":" if comp else "") + m.group(2)
    data = zipfile.ZipFile(sys.argv[1]).read(n)
    k_n = len([l for l in data.split(b"\n") if l])
    if k_n:
        c[k] = c.get(k, 0) + k_n
for k in sorted(c, key=lambda s: s.encode()):
    print("%s\t%d" % (k, c[k]))
' "$z")
		run --separate-stderr bash -c 'cvx-unzip "$1" | cvx-count' _ "$z"
		assert_success
		[ "$output" = "$want" ] || fail "$z: $output"
	done
}

@test "a line of the user-corrupted corpus folder fails with its line number" {
	require_corpus
	for bad in "$STREAMS"/*.bad; do
		[ -e "$bad" ] || fail "no corrupted export in the corpus"
		s=${bad%.bad}.jsonl
		run --separate-stderr cvx-count "$s"
		assert_failure 1
		assert_output ""
		[[ $stderr == "cvx-count: $s: line $(cat "$bad"),"* ]] ||
		    fail "$stderr"
	done
}

@test "a component table counts as component:table" {
	printf '%s\n' '{"_table":"t","_component":"a/b","x":1}' \
	    '{"_component":"a","_table":"t"}' '{"_table":"t"}' \
	    '{"_table":"t","_component":""}' |
	    cvx-count >"$BATS_TEST_TMPDIR/out"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output "$(printf 'a/b:t\t1\na:t\t1\nt\t2')"
}

@test "documents without _table count under - or the name given by -u" {
	printf '%s\n' '{"a":1}' '{}' '{"_table":"t"}' >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-count "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output "$(printf -- '-\t2\nt\t1')"
	run --separate-stderr cvx-count -u '(none)' "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output "$(printf '(none)\t2\nt\t1')"
}

@test "a nested or quoted \"_table\" does not count, the top-level one does" {
	printf '%s\n' '{"a":{"_table":"x"},"_table":"y"}' \
	    '{"a":[{"_table":"x"}]}' '{"s":"\"_table\":\"x\"","_table":"y"}' \
	    '{"s":"{\"_table\":\"x\"}"}' >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-count "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output "$(printf -- '-\t2\ny\t2')"
}

@test "_table is read whatever its place and escapes in the line" {
	printf '%s\n' '{"a":1,"_table":"t"}' '{"_table":"\u0074"}' \
	    '{ "_table" : "t" }' >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-count "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output "$(printf 't\t3')"
}

@test "a _table that is not a non-empty string of printable text is an error" {
	for l in '{"_table":1}' '{"_table":""}' '{"_table":"a\tb"}' \
	    '{"_table":null}'; do
		run --separate-stderr cvx-count <<<"$l"
		assert_failure 1
		assert_output ""
		[[ $stderr == "cvx-count: stdin: line 1, column "*"_table"* ]] ||
		    fail "$l: $stderr"
	done
}

@test "-b counts by the JSON text of a field: table, value, count" {
	printf '%s\n' '{"_table":"m","role":"user"}' \
	    '{"_table":"m","role":"tool"}' '{"_table":"m","role":"user"}' \
	    '{"_table":"m"}' '{"_table":"t","role":{"a": [1, "x y"]}}' \
	    '{"_table":"t","role":{"a":[1,"x y"]}}' '{"_table":"t","role":1.50}' \
	    >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-count -b role "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output "$(printf 'm\t"tool"\t1\nm\t"user"\t2\nm\t-\t1\n')
$(printf 't\t1.50\t1\nt\t{"a":[1,"x y"]}\t2')"
}

@test "-b with --no-table counts by the value alone" {
	run --separate-stderr cvx-count --no-table --by role "$BIG"
	assert_success
	want=$(python3 -c '
import json, sys, collections
c = collections.Counter(json.dumps(json.loads(l)["role"])
                        for l in open(sys.argv[1]))
for k in sorted(c): print("%s\t%d" % (k, c[k]))' "$BIG")
	assert_output "$want"
}

@test "-b on a corpus export equals python's count of the values" {
	require_corpus
	s=$STREAMS/migrasi.jsonl
	[ -f "$s" ] || fail "no migrasi stream"
	# Every top-level field whose values are all strings, counted by
	# python's re-serialisation (serde_json and python escape alike).
	fields=$(python3 -c '
import json, sys
ok = {}
for l in open(sys.argv[1], encoding="utf-8"):
    for k, v in json.loads(l).items():
        ok[k] = ok.get(k, True) and isinstance(v, str)
print(" ".join(k for k in sorted(ok) if ok[k] and not k.startswith("_")))
' "$s")
	[ -n "$fields" ] || fail "no string field"
	for k in $fields; do
		want=$(python3 -c '
import json, sys
c = {}
for l in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(l)
    v = json.dumps(d[sys.argv[2]], ensure_ascii=False) \
        if sys.argv[2] in d else "-"
    key = d["_table"] + "\t" + v
    c[key] = c.get(key, 0) + 1
for key in sorted(c, key=lambda s: s.encode()):
    print("%s\t%d" % (key, c[key]))' "$s" "$k")
		run --separate-stderr cvx-count -b "$k" "$s"
		assert_success
		[ "$output" = "$want" ] || fail "field $k differs"
	done
}

@test "--total adds a final total line" {
	run --separate-stderr cvx-count --total "$BIG"
	assert_success
	assert_line --index 3 "total	$(wc -l <"$BIG")"
	run --separate-stderr cvx-count --total </dev/null
	assert_success
	assert_output "$(printf 'total\t0')"
}

@test "--json prints the same figures as the lines" {
	tsv=$(cvx-count "$BIG")
	run --separate-stderr cvx-count --json "$BIG"
	assert_success
	from_json=$(jq -r '.tables | to_entries[] | "\(.key)\t\(.value)"' \
	    <<<"$output")
	[ "$from_json" = "$tsv" ]
	[ "$(jq .total <<<"$output")" = "$(wc -l <"$BIG")" ]
	run --separate-stderr cvx-count --json -b role "$BIG"
	assert_success
	from_json=$(jq -r '.tables | to_entries[] | .key as $t |
	    .value | to_entries[] | "\($t)\t\(.key)\t\(.value)"' <<<"$output")
	[ "$from_json" = "$(cvx-count -b role "$BIG")" ]
}

@test "--expect with equal counts exits 0" {
	cvx-count --total "$BIG" >"$BATS_TEST_TMPDIR/want"
	run --separate-stderr cvx-count --total --expect "$BATS_TEST_TMPDIR/want" \
	    "$BIG"
	assert_success
	[ -z "$stderr" ]
	assert_output "$(cat "$BATS_TEST_TMPDIR/want")"
}

@test "--expect reports every missing, extra and different count, exit 1" {
	printf 'a\t1\nb\t5\nc\t2\nd\t0\n' >"$BATS_TEST_TMPDIR/want"
	printf '%s\n' '{"_table":"b"}' '{"_table":"c"}' '{"_table":"c"}' \
	    '{"_table":"e"}' >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-count -e "$BATS_TEST_TMPDIR/want" \
	    "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	w=$BATS_TEST_TMPDIR/want
	[ "$stderr" = "cvx-count: $w: a: expected 1, counted none
cvx-count: $w: b: expected 5, counted 1
cvx-count: $w: e: not expected, counted 1
cvx-count: $w: 3 differences" ] || fail "$stderr"
}

@test "--expect compares a listed total, with or without -t" {
	printf 'b\t1\ntotal\t2\n' >"$BATS_TEST_TMPDIR/want"
	run --separate-stderr cvx-count -e "$BATS_TEST_TMPDIR/want" \
	    <<<'{"_table":"b"}'
	assert_failure 1
	assert_output "$(printf 'b\t1')"
	[[ $stderr == *": total: expected 2, counted 1"* ]] || fail "$stderr"
	printf 'b\t1\n' >"$BATS_TEST_TMPDIR/want"
	run --separate-stderr cvx-count --total -e "$BATS_TEST_TMPDIR/want" \
	    <<<'{"_table":"b"}'
	assert_failure 1
	[[ $stderr == *": total: not expected, counted 1"* ]] || fail "$stderr"
}

@test "--expect: a table expected with 0 documents matches its absence" {
	printf 'a\t0\nb\t1\n' >"$BATS_TEST_TMPDIR/want"
	run --separate-stderr cvx-count -e "$BATS_TEST_TMPDIR/want" \
	    <<<'{"_table":"b"}'
	assert_success
	run --separate-stderr cvx-count -e "$BATS_TEST_TMPDIR/want" \
	    <<<'{"_table":"a"}'
	assert_failure 1
	[[ $stderr == *": a: expected 0, counted 1"* ]]
	# A row not expected just before it does not hide it.
	run --separate-stderr bash -c 'printf "%s\n" "{\"_table\":\"0\"}" \
	    "{\"_table\":\"a\"}" "{\"_table\":\"b\"}" | cvx-count -e "$1"' \
	    _ "$BATS_TEST_TMPDIR/want"
	assert_failure 1
	[ "$stderr" = "cvx-count: $BATS_TEST_TMPDIR/want: 0: not expected, counted 1
cvx-count: $BATS_TEST_TMPDIR/want: a: expected 0, counted 1
cvx-count: $BATS_TEST_TMPDIR/want: 2 differences" ] || fail "$stderr"
}

@test "--expect compares -k counts too" {
	cvx-count -b role "$BIG" >"$BATS_TEST_TMPDIR/want"
	run --separate-stderr cvx-count -b role -e "$BATS_TEST_TMPDIR/want" "$BIG"
	assert_success
	sed -i '1s/\t[0-9]*$/\t1/' "$BATS_TEST_TMPDIR/want"
	run --separate-stderr cvx-count -b role -e "$BATS_TEST_TMPDIR/want" "$BIG"
	assert_failure 1
	[[ $stderr == *': messages "assistant": expected 1, counted '* ]]
}

@test "--expect with a malformed counts file is exit 1 naming its line" {
	printf 'a\t1\nb 2\n' >"$BATS_TEST_TMPDIR/want"
	run --separate-stderr cvx-count -e "$BATS_TEST_TMPDIR/want" </dev/null
	assert_failure 1
	[[ $stderr == *"want: line 2: expected name<TAB>count"* ]]
	run --separate-stderr cvx-count -e "$BATS_TEST_TMPDIR/nope" </dev/null
	assert_failure 1
}

@test "a line that is not a JSON object is an error with its line number" {
	for l in '[1]' 'x' '' '{"a":1' '{"a":1}x' "$(printf '{"a":"\xc0\xaf"}')" \
	    '{"a":"\ud800"}' '"s"' ' {"a":1}'; do
		run --separate-stderr bash -c \
		    'printf "%s\n" "{\"_table\":\"t\"}" "$1" | cvx-count' _ "$l"
		assert_failure 1
		assert_output ""
		[[ $stderr == "cvx-count: stdin: line 2, column "* ]] ||
		    fail "[$l]: $stderr"
	done
}

@test "an upstream abort line is exit 1 with its reason and no counts" {
	printf '%s\n' '{"_table":"t"}' '#cvx-abort cvx-unzip: t: CRC error' \
	    >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-count --total "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	assert_output ""
	[ "$stderr" = "cvx-count: $BATS_TEST_TMPDIR/in: line 2: upstream failed: cvx-unzip: t: CRC error" ]
}

@test "a last line without a newline and CRLF line ends are counted" {
	printf '{"_table":"a"}\r\n{"_table":"a"}' >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr cvx-count "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output "$(printf 'a\t2')"
	run --separate-stderr bash -c 'cat "$1" | cvx-count' _ "$BATS_TEST_TMPDIR/in"
	assert_output "$(printf 'a\t2')"
}

@test "empty input prints nothing and exits 0" {
	run --separate-stderr cvx-count </dev/null
	assert_success
	assert_output ""
	run --separate-stderr cvx-count --json </dev/null
	assert_output '{"tables":{},"total":0}'
}

@test "a big stream from a pipe counts as from the file" {
	run --separate-stderr cvx-count "$BIG"
	assert_success
	assert_output "$(py_counts "$BIG")"
	a=$(cat "$BIG" | cvx-count -b role)
	b=$(cvx-count -b role - <"$BIG")
	[ "$a" = "$b" ]
}

# A 72 MiB stream: a mapped file that big is counted by several threads.
make_huge() {
	python3 - "$1" "${2:-0}" "${3:-0}" <<'PY'
import sys
path, bad1, bad2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pad = "x" * 600
with open(path, "w") as f:
    for i in range(1, 120001):
        if i in (bad1, bad2):
            f.write('{"_table":"t","oops":}\n')
        else:
            f.write('{"_table":"%s","n":%d,"s":"%s"}\n'
                    % ("abc"[i % 3] if i % 1000 else "d", i, pad))
PY
}

@test "a huge mapped file counts as grep counts it" {
	make_huge "$BATS_TEST_TMPDIR/huge"
	run --separate-stderr cvx-count --total "$BATS_TEST_TMPDIR/huge"
	assert_success
	want=""
	for t in a b c d; do
		want+="$t	$(grep -c "^{\"_table\":\"$t\"" \
		    "$BATS_TEST_TMPDIR/huge")"$'\n'
	done
	assert_output "${want}total	120000"
}

@test "a bad line late in a huge file is reported with its line number" {
	make_huge "$BATS_TEST_TMPDIR/huge" 100001
	run --separate-stderr cvx-count "$BATS_TEST_TMPDIR/huge"
	assert_failure 1
	assert_output ""
	[ "$stderr" = "cvx-count: $BATS_TEST_TMPDIR/huge: line 100001, column 22: unexpected character" ]
}

@test "of two bad lines far apart in a huge file, the first is reported" {
	make_huge "$BATS_TEST_TMPDIR/huge" 20000 110000
	run --separate-stderr cvx-count "$BATS_TEST_TMPDIR/huge"
	assert_failure 1
	[[ $stderr == *": line 20000, column 22: unexpected character" ]]
	printf '#cvx-abort cvx-jsonl-map: line 9: boom\n' >>"$BATS_TEST_TMPDIR/huge"
	make_huge "$BATS_TEST_TMPDIR/huge2"
	cat "$BATS_TEST_TMPDIR/huge2" "$BATS_TEST_TMPDIR/huge" \
	    >"$BATS_TEST_TMPDIR/huge3"
	run --separate-stderr cvx-count "$BATS_TEST_TMPDIR/huge3"
	assert_failure 1
	[[ $stderr == *": line 140000, column 22: unexpected character" ]]
}

@test "an abort line at the end of a huge file is reported" {
	make_huge "$BATS_TEST_TMPDIR/huge"
	printf '#cvx-abort cvx-jsonl-map: line 9: boom\n' >>"$BATS_TEST_TMPDIR/huge"
	run --separate-stderr cvx-count "$BATS_TEST_TMPDIR/huge"
	assert_failure 1
	assert_output ""
	[ "$stderr" = "cvx-count: $BATS_TEST_TMPDIR/huge: line 120001: upstream failed: cvx-jsonl-map: line 9: boom" ]
}

@test "an unreadable input is exit 1 naming it" {
	run --separate-stderr cvx-count /nonexistent/x
	assert_failure 1
	[[ $stderr == "cvx-count: /nonexistent/x: "* ]]
}

@test "a write error on stdout is exit 1 with a message" {
	run --separate-stderr bash -c 'cvx-count "$BIG" >/dev/full'
	assert_failure 1
	[[ $stderr == "cvx-count: stdout: "* ]]
}

@test "a closed pipe on stdout kills it with SIGPIPE" {
	# -b _id prints a line per document: more than a pipe holds.
	run bash -c 'cvx-count -b _id "$BIG" | head -c1 >/dev/null;
	    echo ${PIPESTATUS[0]}'
	assert_output 141
}

@test "every EXAMPLE of the man page runs as written" {
	require_corpus
	[ -x "$CVX_BUILD/cvx-unzip" ] || require "cvx-unzip is not built"
	d=$(scratch)
	cd "$d"
	ln -s "$CORPUS/anouk-app/backup-anouk-app-dev.zip" export.zip
	cp "$BIG" stream.jsonl
	grep '"_table":"messages"' "$BIG" >messages.jsonl
	mapfile -t cmds < <(sed -n 's/^\(\.Dl \)\{0,1\}\$ //p' \
	    "$ROOT/man/cvx-count.1")
	[ "${#cmds[@]}" -eq 7 ] || fail "${#cmds[@]} examples"
	for c in "${cmds[@]}"; do
		run --separate-stderr bash -o pipefail -c "$c"
		[ "$status" -eq 0 ] || fail "$c: status $status: $stderr"
		[ -z "$stderr" ] || fail "$c: $stderr"
	done
	# The last one printed the total.
	[ "$output" = "$(wc -l <stream.jsonl)" ]
	n=$(python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(sum(len(z.read(n).splitlines()) for n in z.namelist()
          if n.endswith("/documents.jsonl") and not n.startswith("_")))' \
	    export.zip)
	[ "$(tail -n1 counts.tsv)" = "total	$n" ]
}

@test "-t and -x count only the tables they select; the total is theirs" {
	printf '%s\n' '{"_table":"a"}' '{"_table":"ab"}' '{"_table":"ab"}' '{"_table":"b"}' \
	    '{"_component":"c","_table":"a"}' >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr cvx-count -t 'a*' --total "$BATS_TEST_TMPDIR/in"
	assert_output "$(printf 'a\t1\nab\t2\ntotal\t3')"
	run -0 --separate-stderr cvx-count --tables 'a*,c:*' --exclude ab "$BATS_TEST_TMPDIR/in"
	assert_output "$(printf 'a\t1\nc:a\t1')"
	run -2 cvx-count -b x --no-table -t a "$BATS_TEST_TMPDIR/in"
}

@test "-b with a field no document has says so" {
	printf '%s\n' '{"_table":"a","metadata":{"tokens":1}}' '{"_table":"b"}' >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr cvx-count -b metadata.tokens "$BATS_TEST_TMPDIR/in"
	assert_output "$(printf 'a\t-\t1\nb\t-\t1')"
	[ "$stderr" = "cvx-count: -b metadata.tokens: no document has a top-level member metadata.tokens: all 2 counted under - (-b takes a top-level key, not a path)" ] || fail "$stderr"
	run -0 --separate-stderr cvx-count -b metadata "$BATS_TEST_TMPDIR/in"
	[ -z "$stderr" ] || fail "$stderr"
}

# A folder export with an empty table, a component, and _storage.
listing_export() {
	local d=$1
	mkdir -p "$d/_tables" "$d/users" "$d/empty" "$d/_storage" \
	    "$d/_components/c/_tables" "$d/_components/c/items"
	printf '%s\n' '{"name":"users","id":10001}' '{"name":"empty","id":10002}' \
	    >"$d/_tables/documents.jsonl"
	printf '%s\n' '{"_id":"a"}' '{"_id":"b"}' >"$d/users/documents.jsonl"
	: >"$d/empty/documents.jsonl"
	echo '{"_id":"s"}' >"$d/_storage/documents.jsonl"
	echo '{"name":"items","id":10001}' >"$d/_components/c/_tables/documents.jsonl"
	echo '{"_id":"i"}' >"$d/_components/c/items/documents.jsonl"
}

@test "--expect takes cvx-unzip -l and -l --json: the stream holds what the export lists, empty tables shown" {
	[ -x "$CVX_BUILD/cvx-unzip" ] || require "cvx-unzip is not built"
	local d=$BATS_TEST_TMPDIR/x
	listing_export "$d"
	cvx-unzip -l "$d" >"$BATS_TEST_TMPDIR/l.tsv"
	cvx-unzip -l --json "$d" >"$BATS_TEST_TMPDIR/l.json"
	for l in l.tsv l.json; do
		run -0 --separate-stderr bash -c 'cvx-unzip "$1" | cvx-count --expect "$2"' _ "$d" "$BATS_TEST_TMPDIR/$l"
		assert_output "$(printf 'c:items\t1\nempty\t0\nusers\t2')"
		[ -z "$stderr" ] || fail "$l: $stderr"
		# _storage counts when the stream has it.
		run -0 --separate-stderr bash -c 'cvx-unzip -s "$1" | cvx-count --expect "$2"' _ "$d" "$BATS_TEST_TMPDIR/$l"
		assert_line "$(printf '_storage\t1')"
		# A document too many, or one left out, is a difference.
		run -1 --separate-stderr bash -c '{ cvx-unzip "$1"; echo "{\"_table\":\"empty\"}"; } | cvx-count -e "$2"' _ "$d" "$BATS_TEST_TMPDIR/$l"
		[[ $stderr == *"empty: expected 0, counted 1"* ]] || fail "$l: $stderr"
		run -1 --separate-stderr bash -c 'cvx-unzip -x users "$1" | cvx-count -e "$2"' _ "$d" "$BATS_TEST_TMPDIR/$l"
		[[ $stderr == *"users: expected 2, counted none"* ]] || fail "$l: $stderr"
		# -t, -x select on both sides.
		run -0 --separate-stderr bash -c 'cvx-unzip -x users "$1" | cvx-count -x users -e "$2"' _ "$d" "$BATS_TEST_TMPDIR/$l"
	done
}
