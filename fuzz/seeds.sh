#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the seed inputs of one harness in DIR, at run time:
#
#   sh fuzz/seeds.sh NAME DIR
#
# From what the project has (the JSON in tests/*.bats, examples/*.zip, a
# small synthetic export from bench/gen-export.py, ZIPs that tests/mkzip.py
# writes) and from the real exports in ../shared/corpus/real ($CVX_CORPUS),
# read where they are and never copied into the project: DIR is temporary.
# Each seed is laid out as harness NAME reads its input (see fuzz/NAME.c).
set -eu

name=$1
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CVX_CORPUS:-$root/../shared/corpus/real}
work=$(mktemp -d "${TMPDIR:-/tmp}/cvx-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$out"
# The synthetic export: made once per fuzz/run.sh ($CVX_SEEDS_GEN), or here.
gen=${CVX_SEEDS_GEN:-$work/gen}
if [ ! -f "$gen/export.zip" ]; then
	mkdir -p "$gen"
	python3 "$root/bench/gen-export.py" -q --messages 60 --seed 15 \
	    --dir "$gen/export" --jsonl "$gen/export.jsonl" "$gen/export.zip"
fi

python3 - "$name" "$out" "$root" "$corpus" "$work" "$gen" <<'EOF'
import base64, glob, hashlib, json, os, re, struct, subprocess, sys, zipfile

name, out, root, corpus, work, gen = sys.argv[1:]
LIMIT = int(os.environ.get("CVX_SEEDS_LIMIT", "1000"))
found = {}

def seed(data):
	"""Keep one seed (duplicates collapse); written at the end."""
	if isinstance(data, str):
		data = data.encode("utf-8", "surrogatepass")
	found.setdefault(hashlib.sha1(data).hexdigest()[:16], data)

def zips():
	"""Every ZIP there is: the corpus's, examples/, the synthetic one."""
	found = sorted(glob.glob(f"{corpus}/**/*.zip", recursive=True))
	found += sorted(glob.glob(f"{root}/examples/*.zip"))
	found.append(f"{gen}/export.zip")
	return found

def folders():
	"""Extracted exports: the corpus's folders, the synthetic one."""
	found = sorted({os.path.dirname(os.path.dirname(p)) for p in
	    glob.glob(f"{corpus}/**/_tables/documents.jsonl", recursive=True)})
	return found + [f"{gen}/export"]

def entries():
	"""(name, bytes) of every entry of every export, ZIP or folder."""
	for z in zips():
		try:
			with zipfile.ZipFile(z) as f:
				for n in f.namelist():
					yield n, f.read(n)
		except (zipfile.BadZipFile, OSError):
			continue
	for d in folders():
		for p in sorted(glob.glob(f"{d}/**/*", recursive=True)):
			if os.path.isfile(p):
				with open(p, "rb") as f:
					yield os.path.relpath(p, d), f.read()

def lines(per_file=25):
	"""Document lines: some of every documents.jsonl, and the tests'."""
	for n, data in entries():
		if n.endswith(".jsonl"):
			ls = data.split(b"\n")
			step = max(1, len(ls) // per_file)
			for l in ls[::step][:per_file]:
				if l:
					yield l
	for l in open(f"{gen}/export.jsonl", "rb").read().split(b"\n")[:40]:
		if l:
			yield l
	for t in sorted(glob.glob(f"{root}/tests/*.bats")):
		for m in re.finditer(r"'([\[{\"][^'\n]*)'", open(t).read()):
			yield m.group(1).encode()

def values(obj):
	"""Every value inside a parsed document, outermost first."""
	yield obj
	if isinstance(obj, dict):
		for v in obj.values():
			yield from values(v)
	elif isinstance(obj, list):
		for v in obj:
			yield from values(v)

def compact(v):
	"""v as compact JSON bytes (a lone surrogate kept, as bad UTF-8)."""
	return json.dumps(v, ensure_ascii=False,
	    separators=(",", ":")).encode("utf-8", "surrogatepass")

def docs():
	for l in lines():
		try:
			yield l, json.loads(l)
		except ValueError:
			continue

# Hand-made JSON: the edges the checker has rules for.
EDGES = [
	b"[" * 512 + b"]" * 512, b"[" * 513 + b"]" * 513,
	b'{"a":' * 512 + b"1" + b"}" * 512, b"{}", b"[]", b'""', b" 0 ",
	b'"\\ud83d\\ude00"', b'"\\ud83d"', b'"\\ude00"', b'"\\u0000"',
	b'"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"', b'"\xed\xa0\x80"',
	b'"\xc0\x80"', b'"\xf4\x90\x80\x80"', b'"\xef\xbb\xbf"',
	b'{"a":"\\"\\\\\\/\\b\\f\\n\\r\\t"}', b"-0.0e+00", b"1E400",
	b"9223372036854775807", b"-9223372036854775808",
	b"9007199254740993", b'{"a":1,"a":2}', b'{"a" : [ 1 , 2 ] }',
	b"\xef\xbb\xbf{}", b'{"a":1}\r', b"{\"a\":\"x\x00y\"}",
]

TYPES = ["text", "int", "numeric", "float", "bool", "json", "jsonb",
    "bytea", "timestamp", "timestamptz", "date", "array", "other"]

def copy_types(v):
	"""The column types a value is worth trying against."""
	if isinstance(v, bool):
		return ["bool", "text", "int"]
	if isinstance(v, (int, float)):
		return ["int", "float", "numeric", "timestamptz", "date",
		    "timestamp", "text"]
	if isinstance(v, str):
		return ["text", "bytea", "other", "jsonb"]
	if isinstance(v, list):
		return ["array", "text", "jsonb"]
	if isinstance(v, dict):
		k = list(v)
		if k == ["$bytes"]:
			return ["bytea"]
		if k in (["$float"], ["$integer"]):
			return ["float", "numeric", "int"]
		return ["jsonb", "json", "text", "other"]
	return ["text"]

ID_RE = re.compile(rb"[0-9a-hjkmnp-tv-z]{31,37}")
B64_RE = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")

if name in ("json", "int64"):
	for e in EDGES:
		seed(e)
	for l, d in docs():
		seed(l)
		for v in values(d):
			seed(compact(v))
elif name == "tag":
	for e in EDGES[-10:]:
		seed(e)
	for l, d in docs():
		seed(l)
		if isinstance(d, dict) and "_table" not in d:
			seed(b'{"_table":"t",' + l[1:])
			seed(b'{"_table":"t","_component":"a/b",' + l[1:])
	for s in (b'{"_t\\u0061ble":"x"}', b'{"_table":"a","_table":"b"}',
	    b'{"_component":"c"}', b'{"_table":1}', b'{"_table":""}',
	    b'{"_table":"a\\u0000"}', b'{"_table":"' + b"x" * 256 + b'"}',
	    b'{"\\u005f\\u0063omponent":"a/b","_table":"t","x":1}'):
		seed(s)
elif name == "copy":
	for l, d in docs():
		if isinstance(d, dict):
			seed(b"\xff\x00" + l)
			seed(b"\xff\x11" + l)
			seed(b"\xff\x22" + l)
		for v in values(d):
			for t in copy_types(v):
				for nul in (0, 1, 2):
					elem = TYPES.index("int" if t == "array"
					    and v and all(isinstance(x, int)
					    for x in v if x is not None)
					    else "text")
					seed(bytes([TYPES.index(t),
					    nul << 4 | elem]) +
					    compact(v))
	for v in (b'"\\u0000"', b'{"$bytes":"AAE="}', b'[[1,null],[2,3]]',
	    b'{"$float":"AAAAAAAA+H8="}', b'{"$integer":"AQAAAAAAAAA="}',
	    b"1700000000000.5", b"-62135596800000", b"253402300799999.999"):
		for t in range(len(TYPES)):
			seed(bytes([t, 0]) + v)
elif name == "copybin":
	# Byte 0: the binary form (low nibble: text int2 int4 int8 float4
	# float8 bool bytea json jsonb timestamp timestamptz date), the NUL
	# policy (high nibble); then one value (fuzz/copybin.c).
	FORMS = {"text": 0, "int2": 1, "int4": 2, "int8": 3, "float4": 4,
	    "float8": 5, "bool": 6, "bytea": 7, "json": 8, "jsonb": 9,
	    "timestamp": 10, "timestamptz": 11, "date": 12}
	def b64le(bits):
		return base64.b64encode(struct.pack("<Q", bits)).decode()
	def bin_forms(v):
		"""The forms a value is worth trying against."""
		if isinstance(v, bool):
			return ["bool", "text", "int4"]
		if isinstance(v, (int, float)):
			return ["int2", "int4", "int8", "float4", "float8",
			    "timestamptz", "timestamp", "date", "text"]
		if isinstance(v, str):
			return ["text", "bytea", "jsonb"]
		if isinstance(v, dict) and list(v) == ["$bytes"]:
			return ["bytea", "jsonb"]
		if isinstance(v, dict) and list(v) in (["$float"],
		    ["$integer"]):
			return ["float4", "float8", "int2", "int4", "int8"]
		return ["jsonb", "json", "text"]
	for _, d in docs():
		for v in values(d):
			for f in bin_forms(v):
				seed(bytes([FORMS[f]]) + compact(v))
	hand = [b"32767", b"32768", b"-32768", b"-32769", b"2147483647",
	    b"2147483648", b"-2147483648", b"-2147483649",
	    b"9223372036854775807", b"9223372036854775808",
	    b"-9223372036854775808", b"-9223372036854775809", b"5.0",
	    b"1e2", b"-0.0", b"-0", b"0", b"1.5", b"0.5e1", b"1e19",
	    b"9.223372036854775807e18", b"3.4028235e38", b"3.4028236e38",
	    b"1e39", b"1e-45", b"1e-46", b"4.9e-324", b"1e-400", b"1e308",
	    b"1E400", b"2.2250738585072014e-308", b"0.1", b"16777217",
	    b"9007199254740993", b"1700000000000.0005",
	    b"1700000000000.0015", b"1740431475388.3381",
	    b"-62135596800001", b"-62135596800000", b"1e20",
	    b"253402300799999.999", b"-210863520000000",
	    b"-210863520000000.001", b"9223372036854775.807",
	    b"9223372036854775.8075", b"-0.0005", b"86399999.9999995",
	    b"true", b"false", b"null", b"[]", b"{}",
	    b'"AAE="', b'"AAEC\\/w=="', b'"aGVsbG8="', b'"A==="',
	    b'"not base64"', b'""', b'"NaN"', b'"true"', b'"12"',
	    b'"a\\u0000b"', b'"\\t\\n\\r\\\\\\"\\/\\b\\f"',
	    b'"\\u00e9\\ud83d\\ude00"', b'"\\\\N"', b'"\\\\."',
	    b'{"a":"\\u0000","b":[1,"\\t"]}', b'[1,"\\u0000",null]',
	    b'{"$bytes":"AAE="}', b'{"$bytes":""}', b'{"$bytes":"////"}',
	    b'{"$bytes":"A==="}', b'{"$bytes":"AAE"}', b'{"$bytes":1}',
	    b'{"$float":"AAE="}', b'{"$integer":"AAAAAAAA"}',
	    b'"Infinity"', b'"-Infinity"', b'"-9223372036854775808"',
	    b'" 12"', b'"2024-01-01"', b'"2024-02-29T12:34:56.123456Z"',
	    b'"2024-01-01 10:00:00+05:30"', b'"2024-01-01T10:00:00-0800"',
	    b'"2023-02-29"', b'"0000-01-01"', b'"2024-01-01T23:59:60Z"',
	    b'"1999-12-31T24:00:00+14"', b'"2024-01-01 10:00:00.1234567"']
	for bits in (0, 1, 2**64 - 1, 32767, 32768, 2**31, 2**63,
	    2**63 - 1, 2**53 + 1):
		hand.append(b'{"$integer":"%s"}' % b64le(bits).encode())
	for bits in (0x7FF8000000000000, 0x7FF0000000000001,
	    0xFFF8000000000000, 0x7FF8000000000123, 0x7FF0000000000000,
	    0xFFF0000000000000, 0x8000000000000000, 0x3FF8000000000000,
	    0x7FEFFFFFFFFFFFFF, 0x47EFFFFFE0000000, 0x47EFFFFFF0000000,
	    0x0000000000000001, 0x36A0000000000000, 0x4341C37937E08000):
		hand.append(b'{"$float":"%s"}' % b64le(bits).encode())
	for v in hand:
		nuls = (0, 1, 2) if b"u0000" in v else (0,)
		for f in range(13):
			for nul in nuls:
				seed(bytes([nul << 4 | f]) + v)
elif name == "base64":
	for s in ("", "AAAAAAAA+H8=", "AAAAAAAA8H8=", "AAAAAAAA8P8=",
	    "AAAAAAAAAIA=", "AQAAAAAAAAA=", "////////f38=", "AA==", "AAA=",
	    "AAAA", "A", "A===", "AB==", "AAAAAAAA+H8"):
		seed(s)
	for _, d in docs():
		for v in values(d):
			if isinstance(v, dict) and len(v) == 1:
				v = next(iter(v.values()))
			if (isinstance(v, str) and len(v) < 200 and
			    B64_RE.match(v)):
				seed(v)
elif name == "convex_id":
	seed("z43zp6c3e75gkmz1kfwj6mbbx5sw281h")	# id_v6.rs vectors
	seed("sssswsgggggggggsgcsssfafffsffks")
	seed("mz1xn7tymdnktmmzqy5xxhn7tjs2nkkfmtjjr")
	for l in lines():
		for m in ID_RE.finditer(l):
			seed(m.group(0))
elif name == "jqlib":
	ids = set()
	for l in lines():
		for m in ID_RE.finditer(l):
			ids.add(m.group(0))
	for i in sorted(ids)[:300] + [b"z43zp6c3e75gkmz1kfwj6mbbx5sw281h",
	    b"sssswsgggggggggsgcsssfafffsffks"]:
		seed(b"\x00" + i)
	for v in (b'{"$float":"AAAAAAAA+H8="}', b'{"$float":"AAAAAAAA8P8="}',
	    b'{"$float":"AAAAAAAAAIA="}', b'{"$float":"AAAAAAAA8D8="}',
	    b'"NaN"', b'"-Infinity"', b"1.5", b'{"$float":1}'):
		seed(b"\x01" + v)
	for v in (b'"9007199254740993"', b'"-0009007199254740992"', b'"12"',
	    b'"-"', b"12", b"1.5", b'"1e3"', b"9223372036854775807"):
		seed(b"\x02" + v)
	for v in (b'{"$bytes":"AAE="}', b'"AAE="', b'{"$bytes":1}', b"[]"):
		seed(b"\x03" + v)
elif name == "fastpath":
	# Byte 0 picks the program (mod their number), bit 7 --int64 string:
	# every document goes in under a few programs, in turn.
	k = 0
	for l in [
	    b'{"_table":"messages","_id":"m1","role":"user","position":22,'
	    b'"_creationTime":1740431475388.3381,"content":"hi",'
	    b'"metadata":{"model":"m","tokens":5,"a":{"b":1}}}',
	    b'{"a":1,"a":2}', b'{"r\\u006fle":"user","role":"x"}',
	    b'{"a":{"b":{"c":"x"}},"b":[1,{"x":2}],"c":"\\u007f","d":null}',
	    b'{"t":253402300799.999,"a":"m","b":"m"}', b'{"t":-0.5}',
	    b'{"t":2147483648000,"a":9007199254740993}',
	    b'{"position":1e3,"a":-0,"b":0.00001,"c":100.10}',
	    b' {"metadata":"s","deleted_at":null,"id":3} \r'] + [
	    l for l, d in docs() if isinstance(d, dict)]:
		for j in range(3):
			seed(bytes([(k * 7 + j * 101) % 256]) + l)
		k += 1
elif name == "export_name":
	names = set()
	for n, data in entries():
		names.add(n)
		if n.endswith("_tables/documents.jsonl"):
			for l in data.split(b"\n"):
				if l:
					seed(b"t" + l)
	for n in sorted(names) + ["../x/documents.jsonl",
	    "/abs/documents.jsonl",
	    "a\\b/documents.jsonl", "./t/documents.jsonl", "t//documents.jsonl",
	    "_components/a/_components/b/t/documents.jsonl",
	    "x/_components/1a/t/documents.jsonl", "_storage/kg2abc.png",
	    "_storage/documents", "_scheduled_functions/documents.jsonl",
	    "t/", "snapshot/users/generated_schema.jsonl"]:
		seed(b"n" + n.encode())
	for l in list(lines())[:600]:
		seed(b"l" + l)
		seed(b"L" + l + b"\r")
	seed(b"l\xef\xbb\xbf{}")
	seed(b"L")
elif name == "unzip_zip":
	for z in zips():
		seed(open(z, "rb").read())
	mk = f"{root}/tests/mkzip.py"
	small = [d for d in folders() if sum(os.path.getsize(p) for p in
	    glob.glob(f"{d}/**/*", recursive=True) if os.path.isfile(p))
	    < 40000]
	for i, d in enumerate(small):
		for era in ("A", "B"):
			for meth in ("deflate", "store"):
				z = f"{work}/z{i}{era}{meth}.zip"
				subprocess.run([sys.executable, mk,
				    "--era", era, "--method", meth, z,
				    "--dir", d], check=True)
				seed(open(z, "rb").read())
	doc = f"{work}/doc.jsonl"
	open(doc, "wb").write(b'{"_id":"x","a":1}\n{"b":"\\u00e9"}\n')
	tables = f"{work}/tables.jsonl"
	open(tables, "wb").write(b'{"name":"t","id":10001}\n')
	for i, names in enumerate((["../t/documents.jsonl"],
	    ["/abs/documents.jsonl"], ["t/documents.jsonl"] * 2,
	    ["_components/c/t/documents.jsonl", "t/generated_schema.jsonl"])):
		z = f"{work}/h{i}.zip"
		subprocess.run([sys.executable, mk, z,
		    f"_tables/documents.jsonl={tables}"] +
		    [f"{n}={doc}" for n in names], check=True)
		seed(open(z, "rb").read())
else:
	sys.exit(f"seeds.sh: no harness named {name}")
if not found:
	sys.exit(f"seeds.sh: {name}: no seeds")
# At most LIMIT, spread over every source rather than the first ones.
keys = list(found)
step = max(1, len(keys) / LIMIT)
for i in range(min(LIMIT, len(keys))):
	k = keys[int(i * step)]
	with open(os.path.join(out, k), "wb") as f:
		f.write(found[k])
EOF
