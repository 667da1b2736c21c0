# cvx-unzip: exports (ZIP or folder, file or pipe) into the tagged stream.
# The expected results are computed independently, with python3's zipfile
# or the folder's files.  Archives are built with tests/mkzip.py, which
# writes Convex's own byte layout (eras A and B).

bats_require_minimum_version 1.5.0
load test_helper

MKZIP="python3 $BATS_TEST_DIRNAME/mkzip.py"

# check_stream EXPORT STREAM: per table, the stream's lines minus their tag
# are exactly the lines of <table>/documents.jsonl, and no table is
# missing or extra.  EXPORT is a ZIP or a folder.
check_stream() {
	python3 - "$1" "$2" <<'EOF'
import os, re, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
def entries():
    if os.path.isdir(src):
        for root, dirs, files in os.walk(src):
            for f in files:
                p = os.path.join(root, f)
                yield os.path.relpath(p, src), open(p, "rb").read()
    else:
        with zipfile.ZipFile(src) as z:
            for i in z.infolist():
                yield i.filename, z.read(i)
want = {}
for name, data in entries():
    parts = name.split("/")
    if len(parts) < 2 or parts[-1] != "documents.jsonl" \
            or parts[-2].startswith("_") or parts[0] in ("..", ""):
        continue
    comp = "/".join(parts[1:-2:2])
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    want[(comp, parts[-2])] = [l[:-1] if l.endswith(b"\r") else l
                               for l in lines]
got = {}
tag = re.compile(rb'\{"_table":"([^"]*)",(?:"_component":"([^"]*)",)?')
for line in open(out, "rb").read().split(b"\n")[:-1]:
    m = tag.match(line)
    if not m:
        sys.exit("untagged line: %r" % line[:80])
    k = ((m.group(2) or b"").decode(), m.group(1).decode())
    got.setdefault(k, []).append(b"{" + line[m.end():])
for k, v in want.items():
    if got.get(k, []) != v:
        sys.exit("table %s: %d lines expected, %d differ or missing"
                 % (k, len(v), len(got.get(k, []))))
for k in got:
    if k not in want:
        sys.exit("table %s not in the export" % (k,))
print("ok", sum(len(v) for v in want.values()))
EOF
}

# The real exports, ZIPs and folders, except the user-damaged folder.
corpus_exports() {
	find "$CORPUS" -name '*.zip' | sort
	find "$CORPUS" -name _tables -type d | sed 's,/_tables$,,' |
	    grep -v 'altar-app/repo-folder' | sort
}

setup_file() {
	local d=$BATS_FILE_TMPDIR
	# A small export folder with every kind of entry.
	mkdir -p "$d/ex/_tables" "$d/ex/users" "$d/ex/threads" \
	    "$d/ex/empty" "$d/ex/old" "$d/ex/_storage" \
	    "$d/ex/_components/wf/_tables" "$d/ex/_components/wf/jobs" \
	    "$d/ex/_components/wf/_components/pool/_tables" \
	    "$d/ex/_components/wf/_components/pool/items"
	printf 'A synthetic export for tests.\n' >"$d/ex/README.md"
	printf '%s\n' '{"name":"users","id":10001}' \
	    '{"name":"threads","id":10002}' '{"name":"empty","id":10003}' \
	    '{"name":"old","id":10004}' >"$d/ex/_tables/documents.jsonl"
	python3 - "$d/ex" <<'EOF'
import sys
root = sys.argv[1]
with open(root + "/users/documents.jsonl", "w") as f:
    for i in range(300):
        f.write('{"_creationTime":1700000000000.%d,"_id":"u%05d",'
                '"name":"User \\"%d\\" \u00e9\u65e5","n":%d}\n' % (i, i, i, i))
with open(root + "/threads/documents.jsonl", "w") as f:
    for i in range(50):
        f.write('{"_creationTime":1700000000001.5,"_id":"t%05d",'
                '"userId":"u%05d","tags":["a",{"b":null}]}\n' % (i, i))
EOF
	printf '"uniform"\n' >"$d/ex/users/generated_schema.jsonl"
	printf '"uniform"\n' >"$d/ex/threads/generated_schema.jsonl"
	: >"$d/ex/empty/documents.jsonl"
	printf '"never"\n' >"$d/ex/empty/generated_schema.jsonl"
	printf '%s\n' '{"_creationTime":1.5,"_id":"o1","big":"12"}' \
	    >"$d/ex/old/documents.jsonl"
	printf '%s\n' '"{\"big\": int64}"' >"$d/ex/old/generated_schema.jsonl"
	printf '%s\n' '{"_id":"s1","_creationTime":1.5,"sha256":"x","size":3,"contentType":null,"internalId":"i"}' \
	    >"$d/ex/_storage/documents.jsonl"
	printf 'abc' >"$d/ex/_storage/s1.txt"
	printf '%s\n' '{"name":"jobs","id":10001}' \
	    >"$d/ex/_components/wf/_tables/documents.jsonl"
	printf '%s\n' '{"_creationTime":2.5,"_id":"j1","k":1}' \
	    '{"_creationTime":2.5,"_id":"j2","k":2}' \
	    >"$d/ex/_components/wf/jobs/documents.jsonl"
	printf '%s\n' '{"name":"items","id":10001}' \
	    >"$d/ex/_components/wf/_components/pool/_tables/documents.jsonl"
	printf '%s\n' '{"_creationTime":3.5,"_id":"i1"}' \
	    >"$d/ex/_components/wf/_components/pool/items/documents.jsonl"
	$MKZIP "$d/ex.zip" --dir "$d/ex"
	$MKZIP --era A --order old "$d/exA.zip" --dir "$d/ex"
	$MKZIP --method store "$d/exS.zip" --dir "$d/ex"
	# The same, with a table "ghost" listed in _tables and no documents.
	cp -r "$d/ex" "$d/exg"
	printf '%s\n' '{"name":"ghost","id":10005}' \
	    >>"$d/exg/_tables/documents.jsonl"
	$MKZIP "$d/exg.zip" --dir "$d/exg"

	# Two tables; the first more than 1 MiB, so output has started when
	# the second one is read.
	python3 - "$d" <<'EOF'
import sys
d = sys.argv[1]
with open(d + "/big.jsonl", "w") as f:
    for i in range(20000):
        f.write('{"_creationTime":1700000000000.5,"_id":"m%06d",'
                '"content":"%s"}\n' % (i, "lorem ipsum %d " % i * 8))
with open(d + "/small.jsonl", "w") as f:
    for i in range(2000):
        f.write('{"_creationTime":1.5,"_id":"n%06d","v":%d}\n' % (i, i))
EOF
	$MKZIP "$d/two.zip" _tables/documents.jsonl=/dev/null \
	    big/documents.jsonl="$d/big.jsonl" \
	    late/documents.jsonl="$d/small.jsonl"
	$MKZIP --method store "$d/twoS.zip" _tables/documents.jsonl=/dev/null \
	    big/documents.jsonl="$d/big.jsonl" \
	    late/documents.jsonl="$d/small.jsonl"

	# One table whose documents.jsonl inflates to just past 4 GiB, in
	# ZIPs of a few MB (mkzip --repeat), eras A and B.  The line length is
	# odd so that lines straddle the reader's 1 MiB chunks.
	local line
	line=$(printf '{"_creationTime":1700000000000.5,"_id":"%s","body":"%s"}' \
	    j57000820c20a1g7104gm2rc1m70ynr8 "$(printf '%*s' 4008 '' | tr ' ' x)")
	printf '%s\n' "$line" >"$d/huge-line"
	export HUGE_LINES=1050000
	export HUGE_BYTES=$(((${#line} + 1) * HUGE_LINES))
	printf '%s\n' '{"name":"huge","id":10001}' >"$d/huge-tables"
	printf '"uniform"\n' >"$d/huge-uniform"
	printf '%s\n' '"{\"_creationTime\": normalfloat64, \"_id\": id<10001>, \"body\": string}"' \
	    >"$d/huge-legacy"
	$MKZIP --repeat huge/documents.jsonl=$HUGE_LINES "$d/hugeB.zip" \
	    _tables/documents.jsonl="$d/huge-tables" \
	    huge/documents.jsonl="$d/huge-line" \
	    huge/generated_schema.jsonl="$d/huge-uniform"
	$MKZIP --era A --repeat huge/documents.jsonl=$HUGE_LINES \
	    "$d/hugeA.zip" _tables/documents.jsonl="$d/huge-tables" \
	    huge/generated_schema.jsonl="$d/huge-legacy" \
	    huge/documents.jsonl="$d/huge-line"
	export FX=$d
}

# cvx-unzip ARGS... >FILE, failing the test on a nonzero status.
unzip_to() {
	local out=$1
	shift
	cvx-unzip "$@" >"$out" || fail "cvx-unzip $* exited $?"
}

# ---- the real corpus ----------------------------------------------------

@test "every real export: each table's lines come out byte for byte, tagged" {
	require_corpus
	local ex out n=0
	out=$(scratch)/out
	while read -r ex; do
		unzip_to "$out" "$ex"
		run check_stream "$ex" "$out"
		[ "$status" -eq 0 ] || fail "$ex: $output"
		n=$((n + 1))
	done < <(corpus_exports)
	[ "$n" -ge 10 ] || fail "only $n exports found"
}

@test "every real ZIP gives the same stream from a file and from a pipe" {
	require_corpus
	local z s
	s=$(scratch)
	while read -r z; do
		unzip_to "$s/file" "$z"
		cat "$z" | cvx-unzip >"$s/pipe" || fail "$z from a pipe"
		cvx-unzip - <"$z" >"$s/stdin" || fail "$z from stdin"
		cmp "$s/file" "$s/pipe" || fail "$z: pipe differs"
		cmp "$s/file" "$s/stdin" || fail "$z: stdin differs"
	done < <(find "$CORPUS" -name '*.zip')
}

@test "a real ZIP and its extracted folder give the same stream" {
	require_corpus
	local s
	s=$(scratch)
	unzip_to "$s/a" "$CORPUS/gus-litterbox-status/convex-export.zip"
	unzip_to "$s/b" "$CORPUS/gus-litterbox-status/convex-export"
	cmp "$s/a" "$s/b"
	unzip_to "$s/a" "$CORPUS/anouk-app/convex-backup.zip"
	unzip_to "$s/b" "$CORPUS/anouk-app/repo-folder-62312f3f"
	cmp "$s/a" "$s/b"
	[ -s "$s/a" ]
}

@test "the user-damaged real folder fails with the entry and line" {
	require_corpus
	run --separate-stderr cvx-unzip "$CORPUS/altar-app/repo-folder-74029c56"
	assert_failure 1
	assert_only_abort cvx-unzip
	[[ $stderr == *"checklistItems/documents.jsonl: line 1, byte 1: "* ]] ||
	    fail "stderr: $stderr"
}

@test "-l on every real export: counts, bytes and numbers match the entries" {
	require_corpus
	local ex
	while read -r ex; do
		run -0 bash -c 'cvx-unzip -l "$1" | grep -v "^#" >"$2"' _ \
		    "$ex" "$BATS_TEST_TMPDIR/l"
		run python3 - "$ex" "$BATS_TEST_TMPDIR/l" <<'EOF'
import json, os, sys, zipfile
src, lst = sys.argv[1], sys.argv[2]
files = {}
if os.path.isdir(src):
    for root, _, fs in os.walk(src):
        for f in fs:
            p = os.path.join(root, f)
            files[os.path.relpath(p, src)] = open(p, "rb").read()
else:
    with zipfile.ZipFile(src) as z:
        files = {i.filename: z.read(i) for i in z.infolist()}
nums = {json.loads(l)["name"]: json.loads(l)["id"]
        for l in files.get("_tables/documents.jsonl", b"").splitlines()}
rows = [l.split("\t") for l in open(lst).read().splitlines()]
seen = set()
for comp, t, num, docs, nbytes, enc in rows:
    seen.add(t)
    d = files.get(t + "/documents.jsonl")
    assert d is not None or docs == "missing", t
    if d is not None:
        assert int(docs) == d.count(b"\n") + (not d.endswith(b"\n") and d != b""), t
        assert int(nbytes) == len(d), t
    assert num == str(nums.get(t, "-")), (t, num)
    s = files.get(t + "/generated_schema.jsonl")
    assert enc == ("none" if s is None else
                   "uniform" if s == b'"uniform"\n' else "legacy"), t
for name in files:
    p = name.split("/")
    if len(p) == 2 and p[1] == "documents.jsonl":
        assert p[0] in seen or p[0] == "_tables", p[0]
EOF
		[ "$status" -eq 0 ] || fail "$ex: $output"
	done < <(corpus_exports)
}

# ---- synthetic exports ---------------------------------------------------

@test "a synthetic export: every table, nested components tagged a/b" {
	local out
	out=$(scratch)/out
	for z in "$FX/ex.zip" "$FX/exA.zip" "$FX/exS.zip" "$FX/ex"; do
		unzip_to "$out" "$z"
		run check_stream "$z" "$out"
		[ "$status" -eq 0 ] || fail "$z: $output"
	done
	run -0 grep -c '^{"_table":"items","_component":"wf/pool","_creationTime"' "$out"
	assert_output 1
	run -0 grep -c '^{"_table":"jobs","_component":"wf","_creationTime"' "$out"
	assert_output 2
}

@test "ZIP (eras A and B, deflate and store) and folder give one stream" {
	local s
	s=$(scratch)
	unzip_to "$s/b" "$FX/ex.zip"
	unzip_to "$s/a" "$FX/exA.zip"
	unzip_to "$s/st" "$FX/exS.zip"
	unzip_to "$s/d" "$FX/ex"
	cmp "$s/b" "$s/a"
	cmp "$s/b" "$s/st"
	cmp "$s/b" "$s/d"
}

@test "default order: root tables by _tables number, then components" {
	run -0 bash -c 'cvx-unzip "$1" | sed "s/,\"_creationTime.*//" | uniq' _ "$FX/ex.zip"
	assert_output "$(printf '%s\n' '{"_table":"users"' '{"_table":"threads"' \
	    '{"_table":"old"' '{"_table":"jobs","_component":"wf"' \
	    '{"_table":"items","_component":"wf/pool"')"
}

@test "-l: component, table, number, documents, bytes, encoding" {
	run -0 cvx-unzip -l "$FX/ex.zip"
	assert_line --index 0 "$(printf -- '-\tusers\t10001\t300\t%s\tuniform' \
	    "$(stat -c %s "$FX/ex/users/documents.jsonl")")"
	assert_line "$(printf -- '-\tempty\t10003\t0\t0\tlegacy')"
	assert_line "$(printf -- '-\told\t10004\t1\t%s\tlegacy' \
	    "$(stat -c %s "$FX/ex/old/documents.jsonl")")"
	assert_line "$(printf -- '-\t_storage\t-\t1\t%s\tnone' \
	    "$(stat -c %s "$FX/ex/_storage/documents.jsonl")")"
	assert_line "$(printf 'wf/pool\titems\t10001\t1\t33\tnone')"
}

@test "-l reports a table listed in _tables without documents, exit 0" {
	run --separate-stderr cvx-unzip -l "$FX/exg.zip"
	assert_success
	assert_line "$(printf -- '-\tghost\t10005\tmissing\t-\tnone')"
	[ -z "$stderr" ] || fail "$stderr"
}

@test "--allow-missing: a listed table without documents is known to -t, emits nothing" {
	run --separate-stderr cvx-unzip --allow-missing -t ghost "$FX/exg.zip"
	assert_success
	assert_output ''
	[ "$stderr" = "cvx-unzip: $FX/exg.zip: table ghost: listed in _tables, but its documents.jsonl is missing; going on without it" ] ||
	    fail "$stderr"
}

@test "empty tables emit nothing and are not an error" {
	run -0 cvx-unzip -t empty "$FX/ex.zip"
	assert_output ''
}

@test "-t: only the named tables, in the order given" {
	run -0 bash -c 'cvx-unzip -t threads,users "$1" | cut -c1-20 | uniq' _ "$FX/ex.zip"
	assert_output "$(printf '%s\n' '{"_table":"threads",' '{"_table":"users","_')"
}

@test "-t takes shell globs; wf:* names component tables" {
	run -0 bash -c 'cvx-unzip -t "wf:*,u*" "$1" | cut -d, -f1 | uniq' _ "$FX/ex.zip"
	assert_output "$(printf '%s\n' '{"_table":"jobs"' '{"_table":"users"')"
}

@test "-t with a name that matches no table is an error listing the tables" {
	run --separate-stderr cvx-unzip -t users,nosuch "$FX/ex.zip"
	assert_failure 1
	assert_only_abort cvx-unzip
	[ "$stderr" = "cvx-unzip: $FX/ex.zip: -t 'nosuch' matches no table (tables: users, threads, empty, old, wf:jobs, wf/pool:items)" ] ||
	    fail "$stderr"
}

@test "-t _storage without -s matches no table; the list shows it with -s" {
	run --separate-stderr cvx-unzip -t _storage "$FX/ex.zip"
	assert_failure 1
	assert_only_abort cvx-unzip
	[[ $stderr == *"-t '_storage' matches no table (tables: users, threads, empty, old, wf:jobs, wf/pool:items)" ]] ||
	    fail "$stderr"
	run --separate-stderr cvx-unzip -s -t nosuch "$FX/ex.zip"
	assert_failure 1
	[[ $stderr == *"(tables: users, threads, empty, old, _storage, wf:jobs, wf/pool:items)" ]] ||
	    fail "$stderr"
}

@test "-x with a name that matches no table is an error listing the tables" {
	run --separate-stderr cvx-unzip -x 'users,auth*' "$FX/ex.zip"
	assert_failure 1
	assert_only_abort cvx-unzip
	[ "$stderr" = "cvx-unzip: $FX/ex.zip: -x 'auth*' matches no table (tables: users, threads, empty, old, _storage, wf:jobs, wf/pool:items)" ] ||
	    fail "$stderr"
	run -0 cvx-unzip -x _storage -t users "$FX/ex.zip"
	[ "${#lines[@]}" -eq 300 ] || fail "${#lines[@]} lines"
}

@test "-x leaves tables out" {
	run -0 bash -c 'cvx-unzip -x "users,wf:*,wf/pool:*" "$1" | cut -d, -f1 | uniq' _ "$FX/ex.zip"
	assert_output "$(printf '%s\n' '{"_table":"threads"' '{"_table":"old"')"
}

@test "-r writes the documents exactly as exported" {
	run -0 bash -c 'cvx-unzip -r -t users "$1" | cmp - "$2/users/documents.jsonl"' _ "$FX/ex.zip" "$FX/ex"
}

@test "_storage: metadata only with -s, tagged _storage; blobs never" {
	run -0 bash -c 'cvx-unzip "$1" | grep -c _storage || true' _ "$FX/ex.zip"
	assert_output 0
	run -0 bash -c 'cvx-unzip -s "$1" | grep "^{\"_table\":\"_storage\""' _ "$FX/ex.zip"
	assert_output '{"_table":"_storage","_id":"s1","_creationTime":1.5,"sha256":"x","size":3,"contentType":null,"internalId":"i"}'
	run -0 bash -c 'cvx-unzip -s "$1" | grep -c abc || true' _ "$FX/ex.zip"
	assert_output 0
}

@test "schema entries before the documents (old exporter order) read the same" {
	run -0 bash -c 'unzip -Z1 "$1" | grep -n "^empty/"' _ "$FX/exA.zip"
	assert_output --regexp '^[0-9]+:empty/generated_schema.jsonl.[0-9]+:empty/documents.jsonl$'
	run -0 cvx-unzip -l "$FX/exA.zip"
	assert_line "$(printf -- '-\tempty\t10003\t0\t0\tlegacy')"
}

@test "stray entries are ignored and listed by -l" {
	local s
	s=$(scratch)
	printf '{"a":1}\n' >"$s/doc"
	printf 'not json\n' >"$s/junk"
	$MKZIP "$s/x.zip" users/documents.jsonl="$s/doc" \
	    users/documents-clean.jsonl="$s/junk" notes.txt="$s/junk" \
	    __MACOSX/._x="$s/junk" _scheduled_functions/documents.jsonl="$s/junk"
	run -0 cvx-unzip "$s/x.zip"
	assert_output '{"_table":"users","a":1}'
	run -0 cvx-unzip -l "$s/x.zip"
	assert_line '# ignored: users/documents-clean.jsonl: not part of the export format'
	assert_line '# ignored: notes.txt: not part of the export format'
	assert_line --partial '# ignored: _scheduled_functions/documents.jsonl: '
}

@test "non-ASCII entry names are read as UTF-8, whatever the locale" {
	local s
	s=$(scratch)
	printf '{"a":1}\n' >"$s/doc"
	$MKZIP "$s/x.zip" users/documents.jsonl="$s/doc" \
	    "$(printf 'notes/\303\251\346\227\245.txt')"="$s/doc"
	run --separate-stderr env LC_ALL=C cvx-unzip -l "$s/x.zip"
	assert_success
	assert_line "# ignored: notes/$(printf '\303\251\346\227\245').txt: not part of the export format"
	[ -z "$stderr" ] || fail "$stderr"
}

@test "hostile entry names are reported and never used" {
	local s
	s=$(scratch)
	printf '{"a":1}\n' >"$s/doc"
	printf '{"evil":1}\n' >"$s/evil"
	$MKZIP "$s/x.zip" users/documents.jsonl="$s/doc" \
	    ../users2/documents.jsonl="$s/evil" \
	    /abs/documents.jsonl="$s/evil" 'a/../../t/documents.jsonl'="$s/evil" \
	    './t3/documents.jsonl'="$s/evil"
	run --separate-stderr cvx-unzip "$s/x.zip"
	assert_success
	assert_output '{"_table":"users","a":1}'
	[[ $stderr == *"../users2/documents.jsonl: unsafe entry name, ignored"* ]] || fail "$stderr"
	[[ $stderr == *"/abs/documents.jsonl: unsafe entry name, ignored"* ]] || fail "$stderr"
	[ "$(grep -c unsafe <<<"$stderr")" -eq 4 ] || fail "$stderr"
	[ ! -e "$s/../users2" ]
}

@test "a prefix folder in front of the tables is ignored, as by the importer" {
	local s
	s=$(scratch)
	printf '{"a":1}\n' >"$s/doc"
	$MKZIP "$s/x.zip" snapshot/users/documents.jsonl="$s/doc"
	run -0 cvx-unzip "$s/x.zip"
	assert_output '{"_table":"users","a":1}'
}

@test "two entries for one table are an error, before any document" {
	local s
	s=$(scratch)
	printf '{"a":1}\n' >"$s/doc"
	$MKZIP "$s/x.zip" users/documents.jsonl="$s/doc" \
	    snap/users/documents.jsonl="$s/doc"
	run --separate-stderr cvx-unzip "$s/x.zip"
	assert_failure 1
	assert_only_abort cvx-unzip
	[[ $stderr == *"a second entry for table users"* ]] || fail "$stderr"
}

@test "a broken _tables line is an error with its position, before any document" {
	local s
	s=$(scratch)
	printf '{"a":1}\n' >"$s/doc"
	printf '{"name":"users","id":10001}\n{"name":"t","id":"x"}\n' >"$s/tables"
	$MKZIP "$s/x.zip" _tables/documents.jsonl="$s/tables" users/documents.jsonl="$s/doc"
	run --separate-stderr cvx-unzip "$s/x.zip"
	assert_failure 1
	assert_only_abort cvx-unzip
	[ "$stderr" = "cvx-unzip: $s/x.zip: _tables/documents.jsonl: line 2, byte 18: no valid table number" ] || fail "$stderr"
}

# ---- incomplete exports ------------------------------------------------

@test "an empty folder is not a Convex snapshot export" {
	local s
	s=$(scratch)
	run --separate-stderr cvx-unzip "$s"
	assert_failure 1
	assert_only_abort cvx-unzip
	[ "$stderr" = "cvx-unzip: $s: not a Convex snapshot export: no _tables/documents.jsonl and no <table>/documents.jsonl" ] ||
	    fail "$stderr"
}

@test "a ZIP of unrelated files is not a Convex snapshot export, even with -l" {
	local s
	s=$(scratch)
	printf 'hello\n' >"$s/f"
	$MKZIP "$s/x.zip" README.md="$s/f" notes/a.txt="$s/f" \
	    _storage/documents.jsonl="$s/f" users/data.jsonl="$s/f"
	run --separate-stderr cvx-unzip "$s/x.zip"
	assert_failure 1
	assert_only_abort cvx-unzip
	[ "$stderr" = "cvx-unzip: $s/x.zip: not a Convex snapshot export: no _tables/documents.jsonl and no <table>/documents.jsonl" ] ||
	    fail "$stderr"
	# -l writes no stream, so no abort line either.
	run --separate-stderr cvx-unzip -l "$s/x.zip"
	assert_failure 1
	assert_output ''
	[[ $stderr == *": not a Convex snapshot export: "* ]] || fail "$stderr"
}

@test "an export with an empty _tables and no table is an empty export, not an error" {
	local s
	s=$(scratch)
	$MKZIP "$s/x.zip" _tables/documents.jsonl=/dev/null
	run --separate-stderr cvx-unzip "$s/x.zip"
	assert_success
	assert_output ''
	[ -z "$stderr" ] || fail "$stderr"
}

# real_without DIR TABLE: a copy of the real export folder DIR without
# TABLE/documents.jsonl, in a scratch directory; prints its path.
real_without() {
	local s
	s=$(scratch)
	cp -r "$CORPUS/$1" "$s/ex"
	[ -f "$s/ex/$2/documents.jsonl" ] || fail "$1 has no table $2"
	grep -q "\"name\":\"$2\"" "$s/ex/_tables/documents.jsonl" ||
	    fail "$2 is not listed in $1's _tables"
	rm "$s/ex/$2/documents.jsonl"
	echo "$s/ex"
}

@test "a listed table without its documents.jsonl is exit 1 naming it, before any document" {
	require_corpus
	local ex
	ex=$(real_without migrasi tasks)
	run --separate-stderr cvx-unzip "$ex"
	assert_failure 1
	assert_only_abort cvx-unzip
	[ "$stderr" = "cvx-unzip: $ex: table tasks: listed in _tables, but its documents.jsonl is missing" ] ||
	    fail "$stderr"
}

@test "a missing table is an error even when -t does not select it" {
	require_corpus
	local ex other
	ex=$(real_without migrasi tasks)
	other=$(head -n 1 "$ex/_tables/documents.jsonl" | sed 's/.*"name":"\([^"]*\)".*/\1/')
	[ "$other" != tasks ] || fail "first table is tasks"
	run --separate-stderr cvx-unzip -t "$other" "$ex"
	assert_failure 1
	assert_only_abort cvx-unzip
	[[ $stderr == *": table tasks: listed in _tables, but its documents.jsonl is missing" ]] ||
	    fail "$stderr"
}

@test "--allow-missing goes on without the missing table, with a warning" {
	require_corpus
	local ex out
	ex=$(real_without migrasi tasks)
	out=$(scratch)/out
	cvx-unzip --allow-missing "$ex" >"$out" 2>"$out.err" ||
	    fail "exit $?: $(cat "$out.err")"
	[ "$(cat "$out.err")" = "cvx-unzip: $ex: table tasks: listed in _tables, but its documents.jsonl is missing; going on without it" ] ||
	    fail "$(cat "$out.err")"
	# Every other table, byte for byte; none of tasks.
	run check_stream "$ex" "$out"
	[ "$status" -eq 0 ] || fail "$output"
	run -1 grep -c '^{"_table":"tasks"' "$out"
	assert_output 0
}

@test "several missing tables: the first is named and the others counted" {
	local s
	s=$(scratch)
	cp -r "$FX/ex" "$s/ex"
	rm "$s/ex/users/documents.jsonl" "$s/ex/old/documents.jsonl" \
	    "$s/ex/_components/wf/jobs/documents.jsonl"
	run --separate-stderr cvx-unzip "$s/ex"
	assert_failure 1
	assert_only_abort cvx-unzip
	[ "$stderr" = "cvx-unzip: $s/ex: table users: listed in _tables, but its documents.jsonl is missing (and 2 more tables)" ] ||
	    fail "$stderr"
}

@test "a component's listed table without documents is named with its component" {
	local s
	s=$(scratch)
	cp -r "$FX/ex" "$s/ex"
	rm "$s/ex/_components/wf/jobs/documents.jsonl"
	$MKZIP "$s/x.zip" --dir "$s/ex"
	run --separate-stderr cvx-unzip "$s/x.zip"
	assert_failure 1
	assert_only_abort cvx-unzip
	[ "$stderr" = "cvx-unzip: $s/x.zip: table wf:jobs: listed in _tables, but its documents.jsonl is missing" ] ||
	    fail "$stderr"
	run --separate-stderr cvx-unzip --allow-missing -t 'wf:*' "$s/x.zip"
	assert_success
	assert_output ''
	[[ $stderr == *": table wf:jobs: listed in _tables, but its documents.jsonl is missing; going on without it" ]] ||
	    fail "$stderr"
}

# ---- an upstream failure ------------------------------------------------

@test "input that is an upstream abort line: relayed, exit 1" {
	run --separate-stderr bash -c \
	    'printf "#cvx-abort cvx-sha: x.zip: checksum mismatch\n" | cvx-unzip'
	assert_failure 1
	assert_output '#cvx-abort cvx-sha: x.zip: checksum mismatch'
	[ "$stderr" = "cvx-unzip: stdin: line 1: upstream failed: cvx-sha: x.zip: checksum mismatch" ] ||
	    fail "$stderr"
}

@test "a ZIP followed by an upstream abort line: relayed, no document" {
	local s
	s=$(scratch)
	# cvx-sha -c passes bytes on, then fails: a newline and the abort line.
	{ cat "$FX/two.zip"; printf '\n#cvx-abort cvx-sha: x.zip: checksum mismatch\n'; } >"$s/in"
	run --separate-stderr bash -c 'cvx-unzip <"$1"' _ "$s/in"
	assert_failure 1
	assert_output '#cvx-abort cvx-sha: x.zip: checksum mismatch'
	[[ $stderr == "cvx-unzip: stdin: line "[0-9]*": upstream failed: cvx-sha: x.zip: checksum mismatch" ]] ||
	    fail "$stderr"
	run --separate-stderr bash -c 'cat "$1" | cvx-unzip' _ "$s/in"
	assert_failure 1
	assert_output '#cvx-abort cvx-sha: x.zip: checksum mismatch'
	[[ $stderr == *": upstream failed: cvx-sha: x.zip: checksum mismatch" ]] ||
	    fail "$stderr"
}

@test "a ZIP cut short by a failing upstream: the abort line, not a damaged ZIP" {
	local s
	s=$(scratch)
	{ head -c 50000 "$FX/two.zip"; printf '\n#cvx-abort cvx-sha: interrupted (SIGINT)\n'; } >"$s/in"
	run --separate-stderr bash -c 'cat "$1" | cvx-unzip' _ "$s/in"
	assert_failure 1
	assert_output '#cvx-abort cvx-sha: interrupted (SIGINT)'
	[[ $stderr == "cvx-unzip: stdin: line "[0-9]*": upstream failed: cvx-sha: interrupted (SIGINT)" ]] ||
	    fail "$stderr"
}

@test "cvx-sha -c with a wrong digest: cvx-unzip says upstream failed" {
	[ -x "$CVX_BUILD/cvx-sha" ] || require "cvx-sha is not built"
	run --separate-stderr bash -c \
	    'cvx-sha -c "$(printf "%064d" 0)" "$1" | cvx-unzip' _ "$FX/two.zip"
	assert_failure 1
	assert_only_abort cvx-sha
	[[ $stderr == *"cvx-unzip: stdin: line "[0-9]*": upstream failed: cvx-sha: "* ]] ||
	    fail "$stderr"
}

# ---- line rules ---------------------------------------------------------

# zip1 CONTENT: a ZIP with one table t whose documents.jsonl is CONTENT
# (printf format), in $BATS_TEST_TMPDIR/one.zip.
zip1() {
	printf "$1" >"$BATS_TEST_TMPDIR/doc"
	$MKZIP "$BATS_TEST_TMPDIR/one.zip" t/documents.jsonl="$BATS_TEST_TMPDIR/doc"
}

@test "CRLF line ends are accepted and the CR is dropped" {
	zip1 '{"a":1}\r\n{"b":2}\r\n'
	run -0 cvx-unzip "$BATS_TEST_TMPDIR/one.zip"
	assert_output "$(printf '%s\n' '{"_table":"t","a":1}' '{"_table":"t","b":2}')"
}

@test "a last line without a newline is accepted" {
	zip1 '{"a":1}\n{"b":2}'
	run -0 bash -c 'cvx-unzip "$1" | od -c | tail -2 | head -1' _ "$BATS_TEST_TMPDIR/one.zip"
	assert_output --partial '}  \n'
}

@test "a blank line is an error naming the entry and line" {
	zip1 '{"a":1}\n\n{"b":2}\n'
	run --separate-stderr cvx-unzip "$BATS_TEST_TMPDIR/one.zip"
	assert_failure 1
	[ "$stderr" = "cvx-unzip: $BATS_TEST_TMPDIR/one.zip: t/documents.jsonl: line 2: blank line" ] || fail "$stderr"
}

@test "a byte order mark is an error" {
	zip1 '\357\273\277{"a":1}\n'
	run --separate-stderr cvx-unzip "$BATS_TEST_TMPDIR/one.zip"
	assert_failure 1
	[[ $stderr == *"t/documents.jsonl: line 1: byte order mark" ]] || fail "$stderr"
}

@test "a line that is not one JSON object is an error with its position" {
	for bad in '[1]' '{"a":1}x' '{"a":tru}' '{"a":"\377"}' '"s"' '{"a":1} {}'; do
		zip1 '{"ok":1}\n'"$bad"'\n'
		run --separate-stderr cvx-unzip "$BATS_TEST_TMPDIR/one.zip"
		assert_failure 1
		[[ $stderr == *"t/documents.jsonl: line 2, byte "[0-9]*": "* ]] || fail "$bad: $stderr"
	done
}

@test "a document longer than the 1 MiB chunks comes out whole" {
	python3 -c 'import sys; sys.stdout.write("{\"a\":1}\n{\"big\":\"%s\"}\n{\"b\":2}" % ("x\u00e9" * 1500000))' >"$BATS_TEST_TMPDIR/doc"
	$MKZIP "$BATS_TEST_TMPDIR/one.zip" t/documents.jsonl="$BATS_TEST_TMPDIR/doc"
	run -0 bash -c 'cvx-unzip -r "$1" | cmp - <(cat "$2"; echo)' _ "$BATS_TEST_TMPDIR/one.zip" "$BATS_TEST_TMPDIR/doc"
}

@test "a line longer than 64 MiB is an error, memory stays bounded" {
	python3 -c 'import sys; sys.stdout.write("{\"a\":\"" + "x" * (65 << 20))' >"$BATS_TEST_TMPDIR/doc"
	$MKZIP "$BATS_TEST_TMPDIR/one.zip" t/documents.jsonl="$BATS_TEST_TMPDIR/doc"
	run --separate-stderr cvx-unzip "$BATS_TEST_TMPDIR/one.zip"
	assert_failure 1
	assert_only_abort cvx-unzip
	[[ $stderr == *"t/documents.jsonl: line 1: longer than 67108864 bytes" ]] || fail "$stderr"
}

@test "an empty object gets the tag alone" {
	zip1 '{}\n'
	run -0 cvx-unzip "$BATS_TEST_TMPDIR/one.zip"
	assert_output '{"_table":"t"}'
}

# ---- damaged archives ---------------------------------------------------

@test "a truncated ZIP fails before any document, at 50+ offsets and every entry boundary" {
	local z=$FX/ex.zip s off n=0
	s=$(scratch)
	while read -r off; do
		head -c "$off" "$z" >"$s/t.zip"
		cvx-unzip "$s/t.zip" >"$s/out" 2>"$s/err" && fail "offset $off: success"
		[ $? -eq 1 ] || fail "offset $off: status not 1"
		is_only_abort cvx-unzip "$(cat "$s/out")" ||
		    fail "offset $off: more than the abort line on stdout"
		[ "$off" -eq 0 ] || [ "$(cat "$s/err")" = "cvx-unzip: $s/t.zip: no ZIP central directory: truncated or not a ZIP" ] ||
		    fail "offset $off: $(cat "$s/err")"
		n=$((n + 1))
	done < <(python3 - "$z" <<'EOF'
import sys, zipfile
z = sys.argv[1]
size = len(open(z, "rb").read())
offs = {size * i // 60 for i in range(60)}
with zipfile.ZipFile(z) as f:
    for i in f.infolist():
        offs.update({i.header_offset, i.header_offset + 1,
                     i.header_offset + 30})
offs.update({size - 1, size - 22, size - 42, size - 98})
for o in sorted(offs):
    if 0 <= o < size:
        print(o)
EOF
	)
	[ "$n" -ge 50 ] || fail "only $n offsets"
}

@test "a pipe is spooled under \$TMPDIR and nothing is left there" {
	local s
	s=$(scratch)
	run -0 bash -c 'cat "$1" | TMPDIR="$2" cvx-unzip | cmp - <(cvx-unzip "$1")' _ "$FX/ex.zip" "$s"
	run -0 ls -A "$s"
	assert_output ''
}

@test "a seekable stdin is read in place, not spooled" {
	run -0 bash -c 'TMPDIR=/nonexistent cvx-unzip <"$1" | cmp - <(cvx-unzip "$1")' _ "$FX/ex.zip"
}

@test "an unusable \$TMPDIR for a pipe is exit 1 naming it" {
	run --separate-stderr bash -c 'cat "$1" | TMPDIR=/nonexistent cvx-unzip' _ "$FX/ex.zip"
	assert_failure 1
	assert_only_abort cvx-unzip
	[[ $stderr == "cvx-unzip: /nonexistent: "* ]] || fail "$stderr"
}

@test "a truncated ZIP from a pipe fails before any document" {
	run --separate-stderr bash -c 'head -c 40000 "$1" | cvx-unzip' _ "$FX/two.zip"
	assert_failure 1
	assert_only_abort cvx-unzip
	[ "$stderr" = "cvx-unzip: stdin: no ZIP central directory: truncated or not a ZIP" ] ||
	    fail "$stderr"
}

@test "a file that is not a ZIP fails before any document" {
	run --separate-stderr cvx-unzip "$FX/big.jsonl"
	assert_failure 1
	assert_only_abort cvx-unzip
	[ "$stderr" = "cvx-unzip: $FX/big.jsonl: no ZIP central directory: truncated or not a ZIP" ] ||
	    fail "$stderr"
	run --separate-stderr cvx-unzip /dev/null
	assert_failure 1
	assert_only_abort cvx-unzip
	[ "$stderr" = "cvx-unzip: /dev/null: empty input, not a ZIP" ] || fail "$stderr"
}

# flip ZIP ENTRY [BACK]: XOR one byte of ENTRY's data, in place: the byte
# BACK bytes before the end of the data, else the middle one.
flip() {
	python3 - "$1" "$2" "${3:-}" <<'EOF'
import struct, sys, zipfile
z, name, back = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(z) as f:
    i = f.getinfo(name)
with open(z, "r+b") as f:
    f.seek(i.header_offset + 26)
    n, m = struct.unpack("<HH", f.read(4))
    start = i.header_offset + 30 + n + m
    at = start + (i.compress_size - int(back) if back
                  else i.compress_size // 2)
    f.seek(at)
    b = f.read(1)[0] ^ 0x55
    f.seek(at)
    f.write(bytes([b]))
EOF
}

@test "a flipped byte in deflate data: exit 1, #cvx-abort last" {
	cp "$FX/two.zip" "$BATS_TEST_TMPDIR/x.zip"
	flip "$BATS_TEST_TMPDIR/x.zip" late/documents.jsonl
	run --separate-stderr bash -c 'cvx-unzip "$1" | tail -n 1' _ "$BATS_TEST_TMPDIR/x.zip"
	assert_output --regexp '^#cvx-abort cvx-unzip: .*late/documents.jsonl: '
	run --separate-stderr cvx-unzip "$BATS_TEST_TMPDIR/x.zip"
	assert_failure 1
}

# bad_block ZIP ENTRY: make the first deflate block header of ENTRY's data
# invalid (block type 3, RFC 1951 §3.2.3), in place: inflate must fail.
bad_block() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys, zipfile
z, name = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(z) as f:
    i = f.getinfo(name)
with open(z, "r+b") as f:
    f.seek(i.header_offset + 26)
    n, m = struct.unpack("<HH", f.read(4))
    f.seek(i.header_offset + 30 + n + m)
    f.write(b"\x07")
EOF
}

@test "deflate data that does not inflate: the entry is corrupt, no zlib code" {
	cp "$FX/two.zip" "$BATS_TEST_TMPDIR/x.zip"
	bad_block "$BATS_TEST_TMPDIR/x.zip" late/documents.jsonl
	run --separate-stderr bash -c 'cvx-unzip "$1" | tail -n 1; exit "${PIPESTATUS[0]}"' _ "$BATS_TEST_TMPDIR/x.zip"
	assert_failure 1
	assert_output "#cvx-abort cvx-unzip: $BATS_TEST_TMPDIR/x.zip: late/documents.jsonl: corrupt entry: its deflate data is damaged"
	[ "$stderr" = "cvx-unzip: $BATS_TEST_TMPDIR/x.zip: late/documents.jsonl: corrupt entry: its deflate data is damaged" ] ||
	    fail "$stderr"
}

@test "a flipped byte in stored data fails on the CRC-32, #cvx-abort last" {
	cp "$FX/twoS.zip" "$BATS_TEST_TMPDIR/x.zip"
	flip "$BATS_TEST_TMPDIR/x.zip" late/documents.jsonl
	run --separate-stderr bash -c 'cvx-unzip "$1" | tail -n 1' _ "$BATS_TEST_TMPDIR/x.zip"
	assert_output --regexp '^#cvx-abort cvx-unzip: .*late/documents.jsonl: corrupt entry: CRC-32 mismatch$'
}

@test "the CRC-32 of entries never written is checked too, before any document" {
	local e
	for e in users/generated_schema.jsonl _tables/documents.jsonl \
	    README.md _components/wf/_tables/documents.jsonl; do
		cp "$FX/exS.zip" "$BATS_TEST_TMPDIR/x.zip"
		flip "$BATS_TEST_TMPDIR/x.zip" "$e"
		# -t threads: the damaged entry is not even a selected table's.
		run --separate-stderr cvx-unzip -t threads "$BATS_TEST_TMPDIR/x.zip"
		assert_failure 1
		assert_only_abort cvx-unzip
		[ "$stderr" = "cvx-unzip: $BATS_TEST_TMPDIR/x.zip: $e: corrupt entry: CRC-32 mismatch" ] ||
		    fail "$e: $stderr"
	done
}

@test "a generated_schema.jsonl that does not inflate fails before any document" {
	cp "$FX/ex.zip" "$BATS_TEST_TMPDIR/x.zip"
	bad_block "$BATS_TEST_TMPDIR/x.zip" old/generated_schema.jsonl
	run --separate-stderr cvx-unzip "$BATS_TEST_TMPDIR/x.zip"
	assert_failure 1
	assert_only_abort cvx-unzip
	[ "$stderr" = "cvx-unzip: $BATS_TEST_TMPDIR/x.zip: old/generated_schema.jsonl: corrupt entry: its deflate data is damaged" ] ||
	    fail "$stderr"
}

@test "libarchive's two-line message is one line on stderr and in the abort line" {
	# Deflate data that ends early: libarchive 3.6's "uncompressed data
	# is wrong size" message ends with a newline of its own.
	$MKZIP --repeat t/documents.jsonl=3000 "$BATS_TEST_TMPDIR/x.zip" \
	    t/documents.jsonl="$FX/huge-line"
	flip "$BATS_TEST_TMPDIR/x.zip" t/documents.jsonl 20
	run --separate-stderr bash -c 'cvx-unzip "$1" | tail -n 1' _ "$BATS_TEST_TMPDIR/x.zip"
	assert_output --regexp '^#cvx-abort cvx-unzip: .*t/documents.jsonl: .*[^ ]$'
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "$stderr"
	[[ $stderr == "cvx-unzip: "*"t/documents.jsonl: "* ]] || fail "$stderr"
}

@test "an error found before any document was written leaves only the abort line" {
	cp "$FX/exS.zip" "$BATS_TEST_TMPDIR/x.zip"
	flip "$BATS_TEST_TMPDIR/x.zip" threads/documents.jsonl
	run --separate-stderr cvx-unzip "$BATS_TEST_TMPDIR/x.zip"
	assert_failure 1
	assert_only_abort cvx-unzip
}

# ---- big archives ---------------------------------------------------------

@test "zip64: more than 65 535 entries" {
	local s
	s=$(scratch)
	$MKZIP --pad-entries 65600 "$s/x.zip" t/documents.jsonl="$FX/small.jsonl"
	run -0 bash -c 'cvx-unzip "$1" | wc -l' _ "$s/x.zip"
	assert_output 2000
	run -0 bash -c 'cvx-unzip -l "$1" | grep -c "^# ignored: pad/"' _ "$s/x.zip"
	assert_output 65600
}

@test "zip64: entries beyond 4 GiB" {
	local s
	s=$(scratch)
	$MKZIP --gap 4400000000 "$s/x.zip" _tables/documents.jsonl=/dev/null \
	    t/documents.jsonl="$FX/small.jsonl"
	[ "$(stat -c %s "$s/x.zip")" -gt 4400000000 ]
	run -0 bash -c 'cvx-unzip -r "$1" | cmp - "$2"' _ "$s/x.zip" "$FX/small.jsonl"
}

# The stream of an entry past 4 GiB goes through cvx-count rather than
# into bats' memory; with pipefail a failing cvx-unzip fails the test.
huge_stream() {
	[ -x "$CVX_BUILD/cvx-count" ] || require "cvx-count is not built"
	[ "$HUGE_BYTES" -gt 4294967296 ] || fail "fixture is not past 4 GiB"
	run -0 bash -c 'set -o pipefail; cvx-unzip "$1" | cvx-count --total' _ "$1"
	assert_output "$(printf 'huge\t%s\ntotal\t%s' "$HUGE_LINES" "$HUGE_LINES")"
}

@test "zip64: an entry inflating past 4 GiB, era B: every line, tagged" {
	huge_stream "$FX/hugeB.zip"
}

@test "an entry inflating past 4 GiB, era A (sizes mod 2^32): every line, tagged" {
	huge_stream "$FX/hugeA.zip"
}

@test "-l on an entry past 4 GiB, era B: documents and the 64-bit byte count" {
	run -0 cvx-unzip -l "$FX/hugeB.zip"
	assert_output "$(printf -- '-\thuge\t10001\t%s\t%s\tuniform' \
	    "$HUGE_LINES" "$HUGE_BYTES")"
}

@test "-l on an entry past 4 GiB, era A: the real byte count, not mod 2^32" {
	run -0 cvx-unzip -l "$FX/hugeA.zip"
	assert_output "$(printf -- '-\thuge\t10001\t%s\t%s\tlegacy' \
	    "$HUGE_LINES" "$HUGE_BYTES")"
}

@test "a flipped byte near the end of a 4 GiB entry: exit 1, #cvx-abort last" {
	cp "$FX/hugeB.zip" "$BATS_TEST_TMPDIR/x.zip"
	flip "$BATS_TEST_TMPDIR/x.zip" huge/documents.jsonl 1000
	run --separate-stderr bash -c \
	    'cvx-unzip "$1" | tail -n 2; exit "${PIPESTATUS[0]}"' _ \
	    "$BATS_TEST_TMPDIR/x.zip"
	assert_failure 1
	assert_line --index 0 --regexp '^\{"_table":"huge","_creationTime":'
	assert_line --index 1 --regexp '^#cvx-abort cvx-unzip: .*huge/documents.jsonl: '
	[[ $stderr == "cvx-unzip: "*"huge/documents.jsonl: "* ]] || fail "$stderr"
}

# ---- the common rules ---------------------------------------------------

@test "-h prints the usage on stdout and exits 0" {
	run --separate-stderr cvx-unzip -h
	assert_success
	assert_line --index 0 'usage: cvx-unzip [-qrs] [-t tables] [-x tables] [--allow-missing]'
	assert_line --index 2 '       cvx-unzip -l [--json] [-t tables] [-x tables] [export]'
	assert_line '  -t, --tables LIST    only tables matching these globs (comma-separated)'
	[ -z "$stderr" ]
}

@test "-V prints the version" {
	run -0 cvx-unzip --version
	assert_output --regexp '^cvx-unzip [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "a bad option or two operands exit 2 with the usage on stderr" {
	run --separate-stderr cvx-unzip --nosuch
	assert_failure 2
	assert_only_abort cvx-unzip
	[[ $stderr == *"usage: cvx-unzip"* ]]
	run --separate-stderr cvx-unzip a b
	assert_failure 2
	assert_only_abort cvx-unzip
	[[ $stderr == "cvx-unzip: one export at most"$'\n'"usage: cvx-unzip"* ]] ||
	    fail "$stderr"
	run --separate-stderr cvx-unzip -t '' x
	assert_failure 2
	assert_only_abort cvx-unzip
	[[ $stderr == "cvx-unzip: empty table name in ''"$'\n'"usage: "* ]] ||
	    fail "$stderr"
	run --separate-stderr cvx-unzip -l -r x
	assert_failure 2
	[[ $stderr == "cvx-unzip: -l and -r exclude each other"$'\n'* ]] ||
	    fail "$stderr"
}

@test "- is stdin, seekable or a pipe" {
	run -0 bash -c 'cvx-unzip - <"$1" | md5sum; cat "$1" | cvx-unzip - | md5sum; cvx-unzip "$1" | md5sum' _ "$FX/ex.zip"
	[ "${lines[0]}" = "${lines[1]}" ] && [ "${lines[0]}" = "${lines[2]}" ]
}

@test "a full disk is exit 1" {
	run --separate-stderr bash -c 'cvx-unzip "$1" >/dev/full' _ "$FX/two.zip"
	assert_failure 1
	[[ $stderr == "cvx-unzip: stdout: No space left on device" ]] || fail "$stderr"
}

@test "a closed pipe is death by SIGPIPE" {
	run bash -c 'cvx-unzip "$1" | head -c1 >/dev/null; echo "${PIPESTATUS[0]}"' _ "$FX/two.zip"
	assert_output 141
}

@test "a missing operand is exit 1 naming it" {
	run --separate-stderr cvx-unzip "$BATS_TEST_TMPDIR/nosuch.zip"
	assert_failure 1
	[[ $stderr == "cvx-unzip: $BATS_TEST_TMPDIR/nosuch.zip: No such file or directory" ]]
}

# ---- the man page's EXAMPLES, on the bundled example export ---------------

# In a scratch directory: export.zip, backup.zip, export.zip.gz (copies of
# examples/chat-export.zip) and the expected line count of each table.
examples_setup() {
	cd "$(scratch)"
	cp "$ROOT/examples/chat-export.zip" export.zip
	cp export.zip backup.zip
	gzip -c export.zip >export.zip.gz
	python3 - <<'EOF2' >counts
import zipfile
with zipfile.ZipFile("export.zip") as z:
    for i in z.infolist():
        p = i.filename.split("/")
        if len(p) == 2 and p[1] == "documents.jsonl" and p[0][0] != "_":
            print("%s\t%d" % (p[0], z.read(i).count(b"\n")))
EOF2
}

@test "EXAMPLE: cvx-unzip -l export.zip" {
	examples_setup
	run -0 bash -c 'cvx-unzip -l export.zip | grep -v "^-	_storage" | cut -f2,4 | sort'
	assert_output "$(sort counts)"
}

@test "EXAMPLE: cvx-unzip export.zip | cvx-count" {
	[ -x "$CVX_BUILD/cvx-count" ] || require "cvx-count is not built"
	examples_setup
	run -0 bash -c 'cvx-unzip export.zip | cvx-count | sort'
	assert_output "$(sort counts)"
}

@test "EXAMPLE: gzip -dc export.zip.gz | cvx-unzip -t users,threads,runs,messages" {
	examples_setup
	run -0 bash -c 'gzip -dc export.zip.gz | cvx-unzip -t users,threads,runs,messages | cut -d\" -f4 | uniq -c | awk "{ print \$2 \"\t\" \$1 }"'
	assert_output "$(grep -E '^(users|threads|runs|messages)	' counts |
	    sort -k1,1 | join -t '	' <(printf 'users\t1\nthreads\t2\nruns\t3\nmessages\t4\n' | sort) - |
	    sort -t '	' -k2,2n | cut -f1,3)"
}

# Every -x pattern must match, so this example needs a backup with all the
# Convex Auth tables, as real ones have (the bundled export has only
# authSessions): a ZIP of the real darkfit export, whose sessions and
# refresh tokens hold documents.
@test "EXAMPLE: cvx-unzip -x 'authSessions,...' backup.zip >backup.jsonl" {
	require_corpus
	cd "$(scratch)"
	$MKZIP backup.zip --dir "$CORPUS/darkfit/convex-backup"
	python3 - <<'EOF2' >counts
import zipfile
with zipfile.ZipFile("backup.zip") as z:
    for i in z.infolist():
        p = i.filename.split("/")
        n = z.read(i).count(b"\n")
        if len(p) == 2 and p[1] == "documents.jsonl" and p[0][0] != "_" and n:
            print("%s\t%d" % (p[0], n))
EOF2
	grep -q '^authSessions	' counts && grep -q '^authRefreshTokens	' counts ||
	    fail "no auth documents to leave out"
	cvx-unzip -x 'authSessions,authRefreshTokens,authVerif*,authRateLimits' \
	    backup.zip >backup.jsonl
	run -0 bash -c 'cut -d\" -f4 backup.jsonl | sort | uniq -c | awk "{ print \$2 \"\t\" \$1 }"'
	assert_output "$(grep -v '^auth\(Sessions\|RefreshTokens\)	' counts | sort)"
}

@test "EXAMPLE: cvx-unzip -r -t messages export.zip >messages.jsonl" {
	examples_setup
	cvx-unzip -r -t messages export.zip >messages.jsonl
	run -0 bash -c 'unzip -p export.zip messages/documents.jsonl | cmp - messages.jsonl'
}

@test "-l prints a header line on a terminal, and none into a pipe" {
	command -v script >/dev/null || require "script(1) is not installed"
	local zip=$ROOT/examples/chat-export.zip
	run -0 script -qc "cvx-unzip -l '$zip'" /dev/null
	[[ ${lines[0]} == $'component\tname\tnumber\tdocuments\tbytes\tencoding'* ]] || fail "$output"
	run -0 cvx-unzip -l "$zip"
	[[ ${lines[0]} == $'-\tusers\t10001\t'* ]] || fail "$output"
}

@test "-l --json: one object per table, the same figures as -l" {
	local zip=$ROOT/examples/chat-export.zip
	run -0 --separate-stderr bash -c 'cvx-unzip -l --json "$1" | python3 -c "
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    assert set(o) == {\"component\", \"name\", \"number\", \"documents\", \"bytes\", \"encoding\", \"missing\"}, o
    print(\"\t\".join([o[\"component\"] or \"-\", o[\"name\"], \"-\" if o[\"number\"] is None else str(o[\"number\"]),
        \"missing\" if o[\"missing\"] else str(o[\"documents\"]), \"-\" if o[\"bytes\"] is None else str(o[\"bytes\"]), o[\"encoding\"]]))
"' _ "$zip"
	[ "$output" = "$(cvx-unzip -l "$zip" | grep -v '^#')" ] || fail "$output"
	run -2 cvx-unzip --json "$zip"
}

@test "-l --json shows a missing table as missing, with null figures" {
	local d=$BATS_TEST_TMPDIR/x
	mkdir -p "$d/_tables" "$d/a"
	printf '%s\n' '{"name":"a","id":10001}' '{"name":"b","id":10002}' >"$d/_tables/documents.jsonl"
	echo '{"_id":"x"}' >"$d/a/documents.jsonl"
	run -0 cvx-unzip -l --json "$d"
	assert_line '{"component":"","name":"b","number":10002,"documents":null,"bytes":null,"encoding":"none","missing":true}'
}

@test "--progress: the table, bytes of the total, the rate; the spool of a pipe" {
	local zip=$ROOT/examples/chat-export.zip
	run -0 --separate-stderr cvx-unzip --progress "$zip"
	# Not a terminal: the last line sums the run up.
	[[ $stderr =~ ^cvx-unzip:\ 0\.[0-9]\ MB\ of\ 0\.[0-9]\ MB\ \(100%\),\ [0-9.]+\ MB/s$ ]] || fail "$stderr"
	[ "$output" = "$(cvx-unzip "$zip")" ]
	run -0 --separate-stderr bash -c 'cat "$1" | cvx-unzip --progress >/dev/null' _ "$zip"
	[[ $stderr == "cvx-unzip: spooling the pipe to a file: "*" MB, "*" MB/s"$'\n'"cvx-unzip: "*"(100%)"* ]] || fail "$stderr"
	# Off by default when stderr is no terminal; -q and --no-progress too.
	run -0 --separate-stderr cvx-unzip "$zip"
	[ -z "$stderr" ]
	run -0 --separate-stderr cvx-unzip --progress -q "$zip"
	[ -z "$stderr" ]
	run -0 --separate-stderr cvx-unzip --progress --no-progress "$zip"
	[ -z "$stderr" ]
}

@test "a quick run on a terminal leaves no progress line behind" {
	command -v script >/dev/null || require "script(1) is not installed"
	run -0 script -qc "cvx-unzip '$ROOT/examples/chat-export.zip' >/dev/null" /dev/null
	assert_output ""
}

@test "on a terminal the progress line is drawn in place, and erased before an error" {
	command -v script >/dev/null || require "script(1) is not installed"
	run script -qc "{ head -c 300000 /dev/zero; sleep 0.5; head -c 300000 /dev/zero; } | cvx-unzip >/dev/null" /dev/null
	# Drawn: from the line's start, clearing what was there after it.
	[[ $output == $'\r'"cvx-unzip: spooling the pipe to a file: 0.6 MB, "*$' MB/s\e[K'* ]] || fail "$(printf %q "$output")"
	# Erased, then the message on a line of its own.
	[[ $output == *$'\e[K\r\e[Kcvx-unzip: stdin: no ZIP central directory'* ]] || fail "$(printf %q "$output")"
}
