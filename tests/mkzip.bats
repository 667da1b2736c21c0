#!/usr/bin/env bats
# tests/mkzip.py (Convex-layout ZIP writer) and the synthetic export tools
# built on it (bench/gen-export.py, bench/convexdata.py).

load test_helper
bats_require_minimum_version 1.5.0

mkzip() { python3 "$ROOT/tests/mkzip.py" "$@"; }
genx() { python3 "$ROOT/bench/gen-export.py" "$@"; }

setup_file() {
	# zipfields.py FILE: every header of a ZIP as one line per record,
	# with the values that depend on the deflate output (compressed
	# sizes, offsets) masked, so that two writers can be compared.
	cat >"$BATS_FILE_TMPDIR/zipfields.py" <<'EOF'
import struct, sys, zipfile
d = open(sys.argv[1], "rb").read()
z = zipfile.ZipFile(sys.argv[1])
for i in z.infolist():
    lo = i.header_offset
    n, e = struct.unpack("<HH", d[lo + 26:lo + 30])
    print("lfh", d[lo:lo + 30 + n + e].hex())
    dd = lo + 30 + n + e + i.compress_size
    print("dd", d[dd:dd + 16].hex() if i.flag_bits & 8 else "-")
p = z.start_dir
while d[p:p + 4] == b"PK\x01\x02":
    f = list(struct.unpack("<IHHHHHHIIIHHHHHII", d[p:p + 46]))
    n, e, c = f[10], f[11], f[12]
    ex = d[p + 46 + n:p + 46 + n + e]
    if f[9] == 0xFFFFFFFF:
        x = list(struct.unpack("<HHQQQ", ex))
        x[3] = x[4] = "*"
    else:
        x = "-"
        f[8] = f[16] = "*"
    print("cd", f, d[p + 46:p + 46 + n].hex(), x)
    p += 46 + n + e + c
if d[p:p + 4] == b"PK\x06\x06":
    r = list(struct.unpack("<IQHHIIQQQQ", d[p:p + 56]))
    r[9] = "*"
    loc = list(struct.unpack("<IIQI", d[p + 56:p + 76]))
    loc[2] -= p
    print("z64", r, loc)
    p += 76
r = list(struct.unpack("<IHHHHIIH", d[p:p + 22]))
r[6] = "*"
print("eocd", r, len(d) - p - 22)
EOF
}

# Rebuild a real export's entries (same names, same bytes, same order)
# with mkzip's writer; args: real zip, era, output.
rebuild() {
	python3 - "$1" "$2" "$3" <<'EOF'
import os, sys, zipfile
sys.path.insert(0, os.environ["ROOT"] + "/tests")
import mkzip
z = zipfile.ZipFile(sys.argv[1])
mkzip.write_zip(sys.argv[3], [(i.filename, z.read(i)) for i in z.infolist()],
                era=sys.argv[2], dos_time=z.infolist()[0].date_time)
EOF
}

@test "era B headers equal a real 2025 export field for field" {
	require_corpus
	real=$CORPUS/anouk-app/backup-anouk-app-dev.zip
	d=$(scratch)
	rebuild "$real" B "$d/b.zip"
	python3 "$BATS_FILE_TMPDIR/zipfields.py" "$real" >"$d/real"
	python3 "$BATS_FILE_TMPDIR/zipfields.py" "$d/b.zip" >"$d/mine"
	run -0 diff "$d/real" "$d/mine"
	run -0 grep -c '^lfh' "$d/mine"
	[ "$output" -gt 20 ]
}

@test "era B headers equal a real 2026 (async_zip 0.0.18) export" {
	require_corpus
	real=$CORPUS/altar-app/snapshot_1783999267767266821.zip
	d=$(scratch)
	rebuild "$real" B "$d/b.zip"
	python3 "$BATS_FILE_TMPDIR/zipfields.py" "$real" >"$d/real"
	python3 "$BATS_FILE_TMPDIR/zipfields.py" "$d/b.zip" >"$d/mine"
	run -0 diff "$d/real" "$d/mine"
}

@test "era A rebuild of the real 2024 test.zip is byte-identical" {
	require_corpus
	real=$CORPUS/convex-backend-cronjobs-test
	real=$real/npm-packages/demos/cron-jobs/test.zip
	d=$(scratch)
	rebuild "$real" A "$d/a.zip"
	run -0 cmp "$real" "$d/a.zip"
}

@test "era B local header has the streaming writer's constants" {
	d=$(scratch)
	printf 'x\n' >"$d/x"
	mkzip "$d/b.zip" t/documents.jsonl="$d/x"
	run -0 python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
h = struct.unpack("<IHHHHHIIIHH", d[:30])
assert h == (0x04034B50, 20, 0x0808, 8, 0, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF,
             17, 20), h
assert d[47:67] == struct.pack("<HHQQ", 1, 16, 0, 0)
dd = d.index(b"PK\x07\x08")
assert d[dd + 8:dd + 16] == b"\xff" * 8
assert d[dd + 16:dd + 20] == b"PK\x01\x02"
print("ok")' "$d/b.zip"
	assert_output ok
}

@test "entries keep the given order and names, hostile ones included" {
	d=$(scratch)
	printf 'a\n' >"$d/f"
	mkzip "$d/h.zip" README.md="$d/f" ../x/documents.jsonl="$d/f" \
		/abs/documents.jsonl="$d/f" 'é/documents.jsonl'="$d/f" \
		t/documents.jsonl="$d/f"
	run -0 python3 -c '
import sys, zipfile
print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$d/h.zip"
	assert_output "README.md
../x/documents.jsonl
/abs/documents.jsonl
é/documents.jsonl
t/documents.jsonl"
}

@test "an empty entry is the deflate stream 03 00" {
	d=$(scratch)
	: >"$d/empty"
	mkzip "$d/e.zip" t/documents.jsonl="$d/empty"
	run -0 python3 -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
i = z.infolist()[0]
d = open(sys.argv[1], "rb").read()
off = i.header_offset + 30 + 17 + 20
print(i.file_size, i.compress_size, d[off:off + 2].hex())' "$d/e.zip"
	assert_output '0 2 0300'
}

@test "python zipfile, unzip and bsdtar read both eras" {
	d=$(scratch)
	head -c 200000 /dev/urandom | od -An -tx1 >"$d/big"
	: >"$d/empty"
	for era in A B; do
		mkzip --era $era "$d/$era.zip" README.md="$d/big" \
			t/documents.jsonl="$d/empty"
		run -0 python3 -m zipfile -t "$d/$era.zip"
		run -0 unzip -tq "$d/$era.zip"
		run -0 bash -c \
			"bsdtar -xOf '$d/$era.zip' README.md | cmp - '$d/big'"
	done
}

@test "bsdtar -tvf lists names and sizes of an era B file" {
	d=$(scratch)
	printf 'hello\n' >"$d/f"
	mkzip "$d/b.zip" README.md="$d/f"
	run -0 bsdtar -tvf "$d/b.zip"
	assert_output --regexp '^-rw-r--r-- .* 6 .* README\.md$'
}

@test "streaming bsdtar from a pipe fails on era B like the real files" {
	require_corpus
	d=$(scratch)
	printf 'hello\n' >"$d/f"
	mkzip "$d/b.zip" README.md="$d/f"
	run -1 --separate-stderr bash -c "cat '$d/b.zip' | bsdtar -xOf -"
	assert_output ''
	mine=${stderr%%$'\n'*}
	run -1 --separate-stderr bash -c \
		"cat '$CORPUS/anouk-app/convex-backup.zip' | bsdtar -xOf -"
	assert_output ''
	# both first entries are README.md: the same libarchive complaint
	[ "${stderr%%$'\n'*}" = "$mine" ]
}

@test "streaming bsdtar from a pipe reads era A" {
	d=$(scratch)
	printf 'hello\n' >"$d/f"
	mkzip --era A "$d/a.zip" README.md="$d/f"
	run -0 bash -c "cat '$d/a.zip' | bsdtar -xOf -"
	assert_output hello
}

@test "--method store writes stored entries with version needed 10" {
	d=$(scratch)
	printf 'hello\n' >"$d/f"
	mkzip --method store "$d/s.zip" x="$d/f"
	run -0 python3 -c '
import sys, zipfile
i = zipfile.ZipFile(sys.argv[1]).infolist()[0]
print(i.compress_type, i.extract_version, i.flag_bits)' "$d/s.zip"
	assert_output '0 10 2056'
	run -0 unzip -p "$d/s.zip" x
	assert_output hello
}

@test "era A uses flags 0x0008, a real DOS time and real descriptor sizes" {
	d=$(scratch)
	printf 'hello hello hello\n' >"$d/f"
	mkzip --era A "$d/a.zip" x="$d/f"
	run -0 python3 -c '
import struct, sys, zipfile
d = open(sys.argv[1], "rb").read()
i = zipfile.ZipFile(sys.argv[1]).infolist()[0]
h = struct.unpack("<IHHHHHIIIHH", d[:30])
dd = struct.unpack("<IIII", d[31 + i.compress_size:47 + i.compress_size])
print(h[2], h[9], h[10], i.date_time[0] >= 2024, dd[2] == i.compress_size,
      dd[3] == i.file_size == 18, b"PK\x06\x06" in d)' "$d/a.zip"
	assert_output '8 1 0 True True True False'
}

@test "--dir zips a folder in today's exporter order, components nested" {
	d=$(scratch)
	e=$d/export
	mkdir -p "$e/_tables" "$e/big" "$e/small" "$e/_storage" \
		"$e/_components/c1/_tables" "$e/_components/c1/mid" \
		"$e/_components/c1/_components/c2/_tables" \
		"$e/_components/c1/_components/c2/tiny"
	printf 'readme\n' >"$e/README.md"
	c2=_components/c1/_components/c2
	for t in _tables _components/c1/_tables $c2/_tables; do
		printf '{"name":"x","id":10001}\n' >"$e/$t/documents.jsonl"
	done
	printf '{"a":1}\n%.0s' 1 2 3 4 5 >"$e/big/documents.jsonl"
	printf '{"a":1}\n' >"$e/small/documents.jsonl"
	printf '{"a":1}\n%.0s' 1 2 3 >"$e/_components/c1/mid/documents.jsonl"
	: >"$e/_components/c1/_components/c2/tiny/documents.jsonl"
	for t in big small _components/c1/mid $c2/tiny; do
		printf '"uniform"\n' >"$e/$t/generated_schema.jsonl"
	done
	: >"$e/_storage/documents.jsonl"
	printf 'blob' >"$e/_storage/kg2abc"
	mkzip "$d/x.zip" --dir "$e"
	run -0 python3 -c '
import sys, zipfile
print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$d/x.zip"
	assert_output "README.md
_tables/documents.jsonl
_components/c1/_tables/documents.jsonl
_components/c1/_components/c2/_tables/documents.jsonl
_components/c1/_components/c2/tiny/documents.jsonl
_components/c1/_components/c2/tiny/generated_schema.jsonl
small/documents.jsonl
small/generated_schema.jsonl
_components/c1/mid/documents.jsonl
_components/c1/mid/generated_schema.jsonl
big/documents.jsonl
big/generated_schema.jsonl
_storage/documents.jsonl
_storage/kg2abc"
}

@test "--dir of a real extracted export equals the real ZIP's entries" {
	require_corpus
	d=$(scratch)
	mkzip "$d/g.zip" --dir "$CORPUS/gus-litterbox-status/convex-export"
	run -0 python3 -c '
import sys, zipfile
a, b = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2])
print(a.namelist() == b.namelist(),
      all(a.read(n) == b.read(n) for n in a.namelist()))' \
		"$CORPUS/gus-litterbox-status/convex-export.zip" "$d/g.zip"
	assert_output 'True True'
}

@test "--pad-entries passes 65535 entries with zip64 counts" {
	d=$(scratch)
	printf 'x\n' >"$d/f"
	mkzip --pad-entries 65540 "$d/p.zip" README.md="$d/f"
	run -0 python3 -c '
import struct, sys, zipfile
d = open(sys.argv[1], "rb").read()
z = zipfile.ZipFile(sys.argv[1])
e = struct.unpack("<IHHHHIIH", d[-22:])
z64 = struct.unpack("<IQHHIIQQQQ", d[-98:-42])
print(len(z.namelist()), z.namelist()[1], z.namelist()[-1], e[3], e[4],
      z64[6], z64[7])' "$d/p.zip"
	assert_output '65541 pad/000001 pad/065540 65535 65535 65541 65541'
	run -0 bash -c "unzip -l '$d/p.zip' | tail -1"
	assert_output --regexp ' 65541 files$'
}

@test "--gap puts later entries past 4 GiB in a sparse file" {
	d=$(scratch)
	printf 'hello\n' >"$d/f"
	mkzip --gap 4400000000 "$d/g.zip" t/documents.jsonl="$d/f"
	run -0 python3 -c '
import os, struct, sys, zipfile
st = os.stat(sys.argv[1])
z = zipfile.ZipFile(sys.argv[1])
i = z.getinfo("t/documents.jsonl")
d = open(sys.argv[1], "rb")
d.seek(-22, 2)
e = struct.unpack("<IHHHHIIH", d.read(22))
print(st.st_size > 1 << 32, st.st_blocks * 512 < 1 << 20,
      i.header_offset > 1 << 32, e[6] == 0xFFFFFFFF,
      z.read(i), z.getinfo("gap.bin").compress_type)' "$d/g.zip"
	assert_output "True True True True b'hello\\n' 0"
	run -0 unzip -l "$d/g.zip"
	assert_line --regexp '^4400000000 .* gap\.bin$'
}

@test "--gap entry's CRC is that of its zero bytes" {
	d=$(scratch)
	printf 'hello\n' >"$d/f"
	mkzip --gap 3000001 "$d/g.zip" x="$d/f"
	run -0 unzip -tq "$d/g.zip"
	run -0 python3 -c '
import sys, zlib, zipfile
sys.path.insert(0, sys.argv[2])
import mkzip
i = zipfile.ZipFile(sys.argv[1]).getinfo("gap.bin")
print(i.CRC == zlib.crc32(bytes(3000001)),
      all(mkzip.crc32_zeros(n, c) == zlib.crc32(bytes(n), c)
          for n in (0, 1, 7, 4096, 65537, 10**7) for c in (0, 0xDEADBEEF)))' \
		"$d/g.zip" "$ROOT/tests"
	assert_output 'True True'
}

@test "--repeat: an entry holds its file COUNT times over, both eras" {
	d=$(scratch)
	run -0 python3 -c '
import sys, zipfile
sys.path.insert(0, sys.argv[2])
import mkzip
u = b"{\"_id\":\"x\",\"s\":\"" + b"ab" * 40 + b"\"}\n"
for count in (0, 1, 2, 5, 9000, 123457):
    for era in "AB":
        # small blocks: many whole copies plus a rest, or one line each
        for blk in (mkzip.CHUNK, 1000, 7):
            mkzip.write_zip(sys.argv[1], [("a", b"hi"),
                ("t/documents.jsonl", mkzip.repeated(u, count, block=blk)),
                ("z", b"x")], era=era, method="store")
            z = zipfile.ZipFile(sys.argv[1])
            i = z.getinfo("t/documents.jsonl")
            assert z.testzip() is None, (count, era, blk)
            assert z.read(i) == u * count, (count, era, blk)
            assert i.compress_type == 8, "a Raw keeps its own method"
print("ok")' "$d/r.zip" "$ROOT/tests"
	assert_output ok
	printf 'line\n' >"$d/l"
	mkzip --repeat t/documents.jsonl=3 "$d/c.zip" t/documents.jsonl="$d/l" \
		u="$d/l"
	run -0 unzip -p "$d/c.zip"
	assert_output "$(printf 'line\n%.0s' 1 2 3 4)"
}

@test "--repeat past 4 GiB: a few MB on disk, the real CRC-32 and sizes" {
	d=$(scratch)
	printf '{"_id":"x","body":"%s"}\n' "$(printf '%*s' 3000 '' | tr ' ' x)" \
		>"$d/l"
	for era in A B; do
		mkzip --era $era --repeat t/documents.jsonl=1500000 "$d/$era.zip" \
			t/documents.jsonl="$d/l"
	done
	# The CRC-32 is recomputed here by reading the data, not combined.
	run -0 python3 -c '
import struct, sys, zlib, zipfile
line = open(sys.argv[1], "rb").read()
n = 1500000
crc, blk = 0, line * 1000
for _ in range(n // 1000):
    crc = zlib.crc32(blk, crc)
for era in "AB":
    p = sys.argv[2] + "/" + era + ".zip"
    d = open(p, "rb").read()
    i = zipfile.ZipFile(p).getinfo("t/documents.jsonl")
    namelen, extralen = struct.unpack("<HH", d[i.header_offset + 26:][:4])
    at = i.header_offset + 30 + namelen + extralen + i.compress_size
    dd = struct.unpack("<IIII", d[at:at + 16])
    want = len(line) * n if era == "B" else len(line) * n % 2**32
    print(era, len(line) * n > 2**32, len(d) < 16 << 20, i.CRC == crc,
          i.file_size == want, dd[:2] == (0x08074B50, crc),
          dd[3] == (0xFFFFFFFF if era == "B" else want))' "$d/l" "$d"
	assert_output "A True True True True True True
B True True True True True True"
}

@test "--repeat must name an entry and a count" {
	d=$(scratch)
	printf 'x\n' >"$d/f"
	run -2 --separate-stderr mkzip --repeat u=2 "$d/x.zip" t="$d/f"
	run -2 --separate-stderr mkzip --repeat t=two "$d/x.zip" t="$d/f"
	run -2 --separate-stderr mkzip --repeat t "$d/x.zip" t="$d/f"
}

@test "era A refuses what would need zip64" {
	d=$(scratch)
	printf 'x\n' >"$d/f"
	run -1 --separate-stderr \
		mkzip --era A --gap 4300000000 "$d/a.zip" x="$d/f"
	assert_output ''
	[[ $stderr == mkzip.py:*zip64* ]]
}

@test "write_zip streams an iterable of chunks" {
	d=$(scratch)
	run -0 python3 -c '
import sys, zipfile
sys.path.insert(0, sys.argv[2])
from mkzip import write_zip
gen = (b"%d\n" % i for i in range(100000))
write_zip(sys.argv[1], [("t/documents.jsonl", gen), ("u", b"")])
z = zipfile.ZipFile(sys.argv[1])
print(z.read("t/documents.jsonl") == b"".join(b"%d\n" % i
      for i in range(100000)), z.testzip())' "$d/w.zip" "$ROOT/tests"
	assert_output 'True None'
}

@test "bad usage exits 2" {
	run -2 --separate-stderr mkzip
	run -2 --separate-stderr mkzip --era C x.zip
	run -2 --separate-stderr mkzip x.zip noequals
}

# ---- bench/gen-export.py and bench/convexdata.py ----

@test "id decoder maps real corpus ids to their _tables numbers" {
	require_corpus
	run -0 python3 -c '
import glob, json, os, sys
sys.path.insert(0, sys.argv[2])
import convexdata as cd
ok = 0
for tf in glob.glob(sys.argv[1] + "/**/_tables/documents.jsonl",
                    recursive=True):
    root = os.path.dirname(os.path.dirname(tf))
    for l in open(tf):
        t = json.loads(l)
        p = os.path.join(root, t["name"], "documents.jsonl")
        if not os.path.exists(p):
            continue
        for line in open(p):
            try:
                i = json.loads(line)["_id"]
            except ValueError:
                continue        # the user-damaged folder
            assert cd.decode_id(i)[0] == t["id"], (p, t["id"])
            ok += 1
print(ok > 1000)' "$CORPUS" "$ROOT/bench"
	assert_output True
}

@test "id encoder round-trips and the decoder rejects altered ids" {
	run -0 python3 -c '
import os, sys
sys.path.insert(0, sys.argv[1])
import convexdata as cd
for n, ln in ((29, 31), (10001, 32), (16384, 34), (2**21, 36), (2**28, 37)):
    raw = os.urandom(16)
    s = cd.encode_id(n, raw)
    assert len(s) == ln and cd.decode_id(s) == (n, raw), n
s = cd.encode_id(10004, os.urandom(16))
bad = [s.upper(), s[:-1], s + "0",
       s[:5] + ("0" if s[5] != "0" else "1") + s[6:],
       s.replace(s[3], "i") if s[3] != "i" else s.replace(s[3], "l")]
for b in bad:
    try:
        cd.decode_id(b)
        print("accepted", b)
    except ValueError:
        pass
print("ok")' "$ROOT/bench"
	assert_output ok
}

@test "JSON helpers escape and print floats as serde_json and ryu do" {
	run -0 python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import convexdata as cd
cd.check_json()
print("ok")' "$ROOT/bench"
	assert_output ok
}

@test "the bundled example is exactly what its documented command makes" {
	d=$(scratch)
	genx --messages 300 --seed 1 -q "$d/chat-export.zip"
	run -0 cmp "$ROOT/examples/chat-export.zip" "$d/chat-export.zip"
}

@test "gen-export --check verifies key order, text, ids and references" {
	d=$(scratch)
	run -0 genx --messages 2000 --seed 7 --check -q --dir "$d/x"
	run -0 python3 -c '
import json, os, sys
d = sys.argv[1]
ids = {t: {json.loads(l)["_id"] for l in open(os.path.join(d, t,
       "documents.jsonl"))} for t in ("users", "threads", "runs", "messages")}
ref = {"userId": "users", "threadId": "threads", "runId": "runs",
       "messageId": "messages"}
bad = n = 0
for t in os.listdir(d):
    p = os.path.join(d, t, "documents.jsonl")
    if t.startswith("_") or not os.path.exists(p):
        continue
    for l in open(p):
        doc = json.loads(l)
        for k, tt in ref.items():
            if k in doc:
                n += 1
                bad += doc[k] not in ids[tt]
print(n > 2000, bad)' "$d/x"
	assert_output 'True 0'
}

@test "gen-export --jsonl is the ZIP's documents tagged, in entry order" {
	d=$(scratch)
	genx --messages 1500 --seed 2 -q --jsonl "$d/x.jsonl" "$d/x.zip"
	run -0 python3 -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
out = []
for n in z.namelist():
    t, _, f = n.partition("/")
    if f == "documents.jsonl" and not t.startswith("_"):
        tag = b"{\"_table\":\"%s\"," % t.encode()
        out += [tag + l[1:] for l in z.read(n).splitlines(True)]
print(b"".join(out) == open(sys.argv[2], "rb").read(), len(out) > 1500)' \
		"$d/x.zip" "$d/x.jsonl"
	assert_output 'True True'
}

@test "gen-export --dir zipped by mkzip --dir gives the same ZIP" {
	d=$(scratch)
	genx --messages 500 --seed 4 -q --dir "$d/x" "$d/gen.zip"
	mkzip "$d/re.zip" --dir "$d/x"
	run -0 cmp "$d/gen.zip" "$d/re.zip"
}

@test "gen-export writes era B2 entries, smallest table first" {
	run -0 python3 -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
docs = [n for n in names[2:-1] if n.endswith("/documents.jsonl")]
sizes = [z.getinfo(n).file_size for n in docs]
print(names[0], names[1], names[-1], sizes == sorted(sizes), len(docs),
      all(z.read(n) == b"\"uniform\"\n" for n in names
          if n.endswith("generated_schema.jsonl")))' \
		"$ROOT/examples/chat-export.zip"
	assert_output \
	    'README.md _tables/documents.jsonl _storage/documents.jsonl True 7 True'
}
