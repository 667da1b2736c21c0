#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""convex_import_check.py ZIP: would `npx convex import` take this ZIP?

A re-reading, in Python, of what convex-backend's importer checks in a ZIP
(convex-backend @94a42c3d; written from the source, no code copied):
- entry names: crates/application/src/snapshot_import/parse.rs:105-114
  (patterns), :218-245 (documents.jsonl of system tables other than
  _tables and _storage are skipped), :350-375 (table names must parse),
- documents.jsonl: parse.rs:400-425 (one serde_json value per line, so a
  blank line is an error), generated_schema.jsonl: parse.rs:432-445,
- values: crates/value/src/export.rs:185-223 (from_clean_lossless) and
  crates/value/src/json/mod.rs:190-253 ($bytes/$integer/$float),
- ids: crates/value/src/id_v6.rs:34-49 (lengths), :104-158 (decode),
  :239-277 (VInt, Fletcher-16); base32.rs:26 (alphabet), :196 (decode),
- table numbers: snapshot_import/mod.rs:1170-1345 (_tables first, then
  the first document's _id; two tables with one number is an error),
- documents: crates/common/src/document.rs:100-101, :429-485; limits in
  crates/value/src/size.rs, array.rs:28, object.rs:31,
  crates/convex/sync_types/src/identifier.rs:7-209.
Only the uniform encoding is accepted (cvx-zip writes nothing else).
Exit 0 and "ok N tables M documents", or exit 1 and "reject: WHY".
"""
import base64
import json
import math
import re
import struct
import sys
import zipfile

DOCS = re.compile(r"^(.*/)?([^/]+)/documents\.jsonl$")
SCHEMA = re.compile(r"^(.*/)?([^/]+)/generated_schema\.jsonl$")
COMPONENT = re.compile(r"^(.*/)?_components/([^/]+)/$")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ALPHA = "0123456789abcdefghjkmnpqrstvwxyz"


class Reject(Exception):
    pass


class Int(str):
    """An integer token, kept as text (serde_json: i64, else u64, else f64)."""


class Obj(list):
    """A JSON object as its (key, value) pairs, in order."""


class Float(str):
    """A number token with '.', 'e' or 'E'."""


def identifier(s):
    return len(s) <= 64 and IDENT.match(s) and set(s) != {"_"}


def component_path(prefix):
    """Peel trailing _components/<name>/ pairs; the rest is ignored."""
    names = []
    while prefix:
        m = COMPONENT.match(prefix)
        if not m:
            break
        if not identifier(m.group(2)):
            raise Reject(f"component name {m.group(2)!r} invalid")
        names.insert(0, m.group(2))
        prefix = m.group(1) or ""
    return "/".join(names)


def b32_len(n):
    return n // 5 * 8 + [0, 2, 4, 5, 7][n % 5]


def fletcher16(b):
    c0 = c1 = 0
    for x in b:
        c0 = (c0 + x) & 255
        c1 = (c1 + c0) & 255
    return c1 << 8 | c0


def id_encode(table, internal):
    vint = bytearray()
    while table >= 0x80:
        vint.append(table & 0x7F | 0x80)
        table >>= 7
    vint.append(table)
    b = bytes(vint) + internal
    b += struct.pack("<H", fletcher16(b))
    bits = "".join(f"{x:08b}" for x in b)
    bits += "0" * (-len(bits) % 5)
    return "".join(ALPHA[int(bits[i:i + 5], 2)] for i in range(0, len(bits), 5))


def id_decode(s):
    """The table number of id s, or raise Reject."""
    if not b32_len(19) <= len(s) <= b32_len(23):
        raise Reject(f"id {s!r}: invalid length")
    if any(c not in ALPHA for c in s):
        raise Reject(f"id {s!r}: not base32")
    bits = "".join(f"{ALPHA.index(c):05b}" for c in s)
    n = len(s) * 5 // 8
    b = bytes(int(bits[i * 8:i * 8 + 8], 2) for i in range(n))
    table = pos = 0
    for i in range(6):
        if i >= 5 or pos >= len(b):
            raise Reject(f"id {s!r}: invalid table number")
        table |= (b[pos] & 0x7F) << (7 * i)
        pos += 1
        if b[pos - 1] < 0x80:
            break
    table &= 0xFFFFFFFF
    if table == 0:
        raise Reject(f"id {s!r}: table number 0")
    if len(b) != pos + 18:
        raise Reject(f"id {s!r}: invalid length")
    if struct.unpack("<H", b[-2:])[0] != fletcher16(b[:-2]):
        raise Reject(f"id {s!r}: checksum")
    if id_encode(table, b[pos:pos + 16]) != s:
        raise Reject(f"id {s!r}: not canonical")
    return table


def field_name(k, top):
    if k.startswith("$") or len(k) > 1024 or any(
            not 0x20 <= ord(c) <= 0x7E for c in k):
        raise Reject(f"invalid field name {k!r}")
    if top and k.startswith("_") and k not in ("_id", "_creationTime"):
        raise Reject(f"system field {k!r}")


def b64(s, what):
    try:
        return base64.b64decode(s, validate=True)
    except Exception:
        raise Reject(f"{what}: bad base64")


def value(v, depth):
    """(kind, size, nesting) of a JSON value read as Convex does."""
    if v is None or isinstance(v, bool):
        return "scalar", 1, 0
    if isinstance(v, Int):
        n = int(v)
        if v == "-0" or not -2**63 <= n < 2**64:   # serde: f64
            return "float", 9, 0
        return ("int64" if n < 2**63 else "float"), 9, 0
    if isinstance(v, Float):
        if math.isinf(float(v)):
            raise Reject(f"number {v} out of range")
        return "float", 9, 0
    if isinstance(v, str):
        return "string", len(v.encode("utf-8", "surrogatepass")) + 2, 0
    if isinstance(v, list) and not isinstance(v, Obj):
        if len(v) > 8192:
            raise Reject("array too long")
        size, nest = 2, 0
        for x in v:
            _, s, n = value(x, depth + 1)
            size, nest = size + s, max(nest, n)
        return "array", size, nest + 1
    # an object: a list of pairs (object_pairs_hook), order kept
    if v and v[0][0].startswith("$"):
        if len(v) != 1 or not isinstance(v[0][1], str):
            raise Reject("bad internal $ object")
        k, s = v[0]
        raw = b64(s, k)
        if k == "$bytes":
            return "bytes", len(raw) + 2, 0
        if k not in ("$integer", "$float") or len(raw) != 8:
            raise Reject(f"bad {k}")
        if k == "$float":
            f = struct.unpack("<d", raw)[0]
            if f != 0 and math.isfinite(f):
                raise Reject("$float holds a plain number")
        return k[1:], 9, 0
    return obj(v, False)


def obj(pairs, top):
    if len(pairs) > 1024:
        raise Reject("too many fields")
    seen = set()
    size, nest = 2, 0
    for k, x in pairs:
        field_name(k, top)
        if k in seen:
            raise Reject(f"duplicate field {k!r}")
        seen.add(k)
        _, s, n = value(x, 0)
        size, nest = size + len(k) + 1 + s, max(nest, n)
    return "object", size, nest + 1


def read_doc(line, lineno, name):
    if not line.strip():
        raise Reject(f"{name}: line {lineno}: blank line")
    try:
        return json.loads(line, object_pairs_hook=Obj,
                          parse_int=Int, parse_float=Float,
                          parse_constant=lambda c: (_ for _ in ()).throw(
                              Reject(f"{name}: line {lineno}: {c}")))
    except ValueError as e:
        raise Reject(f"{name}: line {lineno}: not JSON: {e}")


def check_doc(pairs, number, where):
    if not isinstance(pairs, Obj):
        raise Reject(f"{where}: not an object")
    _, size, nest = obj(pairs, True)
    d = dict(pairs)
    if nest > 16:
        raise Reject(f"{where}: nested {nest} deep")
    if "_id" in d:
        if not isinstance(d["_id"], str) or id_decode(d["_id"]) != number:
            raise Reject(f"{where}: _id not an id of table {number}")
    else:
        size += 4 + 34
    if "_creationTime" in d:
        t = d["_creationTime"]
        if not isinstance(t, Float) or not 0 < float(t) < 2**53:
            raise Reject(f"{where}: _creationTime {t!r} is not a float"
                         " in (0, 2^53)")
    else:
        size += 14 + 9
    if size > 1 << 20:
        raise Reject(f"{where}: document too large ({size})")


def main(path):
    z = zipfile.ZipFile(path)
    if z.testzip() is not None:
        raise Reject("CRC error")
    tables, schemas, listed = {}, {}, {}
    for n in z.namelist():
        m = DOCS.match(n) or SCHEMA.match(n)
        if not m:
            continue
        comp, table = component_path(m.group(1) or ""), m.group(2)
        if not identifier(table):
            raise Reject(f"{n}: table name {table!r} invalid")
        if m.re is SCHEMA:
            first = z.read(n).decode().split("\n", 1)[0]
            if json.loads(first) != "uniform":
                raise Reject(f"{n}: not \"uniform\"")
            schemas[(comp, table)] = n
        elif table == "_tables":
            for i, line in enumerate(z.read(n).decode().splitlines(), 1):
                t = read_doc(line, i, n)
                d = dict(t) if isinstance(t, Obj) else {}
                num = int(float(d.get("id", "nan")))
                if not isinstance(d.get("name"), str) or not 0 < num < 2**32:
                    raise Reject(f"{n}: line {i}: bad _tables line")
                listed[(comp, d["name"])] = num
        elif not table.startswith("_"):
            tables[(comp, table)] = n
    numbers, owner = {}, {}
    for key, n in sorted(tables.items()):
        if key not in schemas:
            raise Reject(f"{n}: no generated_schema.jsonl: not lossless")
        lines = z.read(n).decode("utf-8").split("\n")
        if lines[-1] == "":
            lines.pop()     # the last line's newline (optional)
        docs = [read_doc(l, i, n) for i, l in enumerate(lines, 1)]
        num = listed.get(key)
        if num is None and docs:
            first = dict(docs[0]).get("_id")
            num = id_decode(first) if isinstance(first, str) else None
        if num is None:
            num = 10001 + len(numbers)          # fresh: any free number
        if (key[0], num) in owner:
            raise Reject(f"tables {owner[(key[0], num)]} and {key[1]}"
                         f" claim number {num}")
        owner[(key[0], num)] = key[1]
        numbers[key] = num
        for i, d in enumerate(docs, 1):
            check_doc(d, num, f"{n}: line {i}")
    ndocs = sum(len(z.read(n).splitlines()) for n in tables.values())
    print(f"ok {len(tables)} tables {ndocs} documents")


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except (Reject, zipfile.BadZipFile, UnicodeDecodeError) as e:
        print(f"reject: {e}")
        sys.exit(1)
