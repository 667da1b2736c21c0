#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write ZIP files laid out byte for byte the way Convex's exporter does.

Test and benchmark fixture writer for cvx (see the project's
convex-export-format.md, section 1).  Two container eras:

era B  (async_zip 0.0.17/0.0.18 streaming writer, exports since 2025-01-28)
    local header: needed 20 (10 if stored), flags 0x0808, DOS time/date 0,
    CRC 0, sizes 0xFFFFFFFF, a 20-byte zip64 extra holding two zero u64;
    then the raw deflate data; then a 16-byte data descriptor
    PK\\7\\8 + CRC + 0xFFFFFFFF + 0xFFFFFFFF (placeholders, not the sizes).
    Central directory: made-by 0x033F, needed 20, flags 0x0808, the real CRC,
    sizes and offset 0xFFFFFFFF plus a 28-byte zip64 extra (uncompressed,
    compressed, offset), external attributes 0x01A40000 (mode 0644).
    End: zip64 EOCD record (needed 46), zip64 locator, classic EOCD with the
    real values where they fit (0xFFFF / 0xFFFFFFFF where they do not).
era A  (async_zip 0.0.9, exports before 2025-01-28)
    flags 0x0008, a real DOS time and date, CRC 0 and sizes 0 in the local
    header, no extra field, descriptor PK\\7\\8 + CRC + real 32-bit compressed
    and uncompressed sizes, no zip64 at all.  An uncompressed size past
    4 GiB is written modulo 2^32, as async_zip 0.0.9's `as u32` casts
    leave it (EntryStreamWriter::close); a compressed size, offset or
    count that does not fit is refused, since no reader could find the
    data after it.

Command line:

    mkzip.py [--era A|B] [--method deflate|store] [--pad-entries N]
             [--gap BYTES] [--repeat NAME=COUNT ...] OUT.zip NAME=PATH ...
    mkzip.py [--era A|B] [--method deflate|store] [--pad-entries N]
             [--gap BYTES] [--order current|old] OUT.zip --dir DIR

NAME=PATH entries are written in the order given, with exactly those names
(hostile names such as ../x/documents.jsonl or /abs/documents.jsonl are
written as given).  --dir zips an extracted export folder in the exporter's
order (see dir_entries).  --pad-entries N adds N small stray entries
pad/000001 ... after the others, to pass 65 535 entries.  --gap BYTES first
writes a *stored* entry gap.bin of BYTES zero bytes as a sparse hole, so that
later offsets can pass 4 GiB while the file takes no disk space.
--repeat NAME=COUNT makes entry NAME hold its file COUNT times over (see
repeated): a documents.jsonl that inflates past 4 GiB from a ZIP of a few
MB, written in a fraction of a second, never held in memory or on disk.

As a module (sys.path must hold this directory):

    from mkzip import write_zip, ZipWriter
    write_zip("out.zip", [("README.md", b"..."), ("t/documents.jsonl", gen)])

Entry data may be bytes, an iterable of bytes chunks (streamed, never held
whole), or a Raw(...) of already raw-deflated data (see ZipWriter.add_raw),
such as repeated(unit, count) makes.
"""

import argparse
import os
import struct
import sys
import zlib

DEFLATE = 8
STORE = 0
MADE_BY = 0x033F            # Unix, APPNOTE 6.3 (async_zip as_made_by)
EXT_ATTR = 0o644 << 16      # 0x01A40000
U32 = 0xFFFFFFFF
U16 = 0xFFFF
CHUNK = 1 << 20
# Era A files carry the real export time; ours is fixed so that output is
# reproducible: 2024-03-20 12:00:00.
DEFAULT_DOS_TIME = (2024, 3, 20, 12, 0, 0)

_CRC_POLY = 0xEDB88320      # reflected CRC-32 polynomial


def _multmodp(a, b):
    """Multiply a and b modulo the CRC-32 polynomial (reflected bits)."""
    # Same algebra as zlib's crc32_combine: lets the CRC of a run of zeros
    # be computed in O(log n) instead of reading gigabytes of zeros.
    m = 1 << 31
    p = 0
    while m:
        if a & m:
            p ^= b
        b = (b >> 1) ^ _CRC_POLY if b & 1 else b >> 1
        m >>= 1
    return p


def crc32_zeros(n, crc=0):
    """CRC-32 of n zero bytes appended to data whose CRC-32 is crc."""
    # Processing one zero bit multiplies the raw register by x; the
    # conditioning (~ before and after) is undone and redone around it.
    x = 1 << 30             # x^1
    xn = 1 << 31            # x^0
    bits = 8 * n
    while bits:
        if bits & 1:
            xn = _multmodp(x, xn)
        x = _multmodp(x, x)
        bits >>= 1
    return _multmodp(xn, crc ^ U32) ^ U32


def crc32_combine(crc1, crc2, len2):
    """CRC-32 of A + B from crc1 = CRC-32(A), crc2 = CRC-32(B), len2 = |B|."""
    # CRC-32 is affine in the data: A + B is (A + zeros) xor (zeros + B),
    # and the zeros in front of B only add the CRC of len2 zeros.
    return crc32_zeros(len2, crc1) ^ crc2 ^ crc32_zeros(len2)


def dos_datetime(t):
    """(year, month, day, h, m, s) -> (DOS time, DOS date) as two u16."""
    y, mo, d, h, mi, s = t
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


class Raw:
    """Entry data that is already compressed (raw deflate or stored bytes).

    chunks: iterable of the compressed bytes; crc: CRC-32 of the
    uncompressed data; usize/csize: uncompressed/compressed sizes;
    method: "deflate" or "store" when the data is only valid as one of
    them, else None (the writer's or add_raw's method).
    """

    def __init__(self, chunks, crc, usize, csize, method=None):
        self.chunks = chunks
        self.crc = crc
        self.usize = usize
        self.csize = csize
        self.method = method


def repeated(unit, count, level=6, block=CHUNK):
    """A Raw entry holding the bytes unit repeated count times.

    Made in moments whatever count is: unit is repeated to about block
    bytes, that block is deflated once by a fresh compressor ending with a
    sync flush (so its blocks refer to nothing before them and end on a
    byte boundary), and its output is sent again as often as needed, then
    the rest of the copies as the final block.  CRC-32 and sizes are the
    real ones, combined arithmetically rather than read from the data.
    Inflated, the data is exactly unit * count; its deflate bytes differ
    from a one-pass compressor's (a sync marker per block), which every
    reader accepts.  Memory: one block and its deflated copy.
    """
    unit = bytes(unit)
    if count < 0:
        raise ValueError("repeat count must not be negative")
    if not unit or not count:
        return Raw((b"\x03\x00",), zlib.crc32(b""), 0, 2, "deflate")
    per = max(1, block // len(unit))
    nblk, rest = divmod(count, per)
    blk = unit * per
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    body = comp.compress(blk) + comp.flush(zlib.Z_SYNC_FLUSH)
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    tail = comp.compress(unit * rest) + comp.flush()

    # CRC-32 of blk * nblk by doubling: O(log nblk) combinations.
    crc = zlib.crc32(b"")
    sq, sqlen, k = zlib.crc32(blk), len(blk), nblk
    while k:
        if k & 1:
            crc = crc32_combine(crc, sq, sqlen)
        sq, sqlen = crc32_combine(sq, sq, sqlen), 2 * sqlen
        k >>= 1
    crc = crc32_combine(crc, zlib.crc32(unit * rest), len(unit) * rest)

    def chunks():
        for _ in range(nblk):
            yield body
        yield tail
    return Raw(chunks(), crc, len(unit) * count,
               nblk * len(body) + len(tail), "deflate")


class ZipWriter:
    """Streaming ZIP writer producing Convex's era A or era B layout.

    out: a path or a binary file object (seekable when add_gap is used).
    era: "A" or "B".  method: "deflate" (default) or "store", used when an
    entry does not say otherwise.  level: zlib level (6, like flate2's
    default that async_zip uses).  dos_time: era A's timestamp tuple.
    Each entry is written as it comes; only the central directory records
    (small) are kept in memory.  Call close() once at the end.
    """

    def __init__(self, out, era="B", method="deflate", level=6,
                 dos_time=DEFAULT_DOS_TIME):
        if era not in ("A", "B"):
            raise ValueError("era must be A or B")
        if method not in ("deflate", "store"):
            raise ValueError("method must be deflate or store")
        self.era = era
        self.method = method
        self.level = level
        if era == "A":
            self.time, self.date = dos_datetime(dos_time)
        else:
            self.time, self.date = 0, 0
        if isinstance(out, (str, bytes, os.PathLike)):
            self.f = open(out, "wb")
            self.own = True
        else:
            self.f = out
            self.own = False
        self.pos = 0
        self.cd = []
        self.closed = False

    def _w(self, b):
        self.f.write(b)
        self.pos += len(b)

    @staticmethod
    def _name(name):
        return name.encode("utf-8") if isinstance(name, str) else bytes(name)

    def _lfh(self, name, meth):
        """Write a local file header; return (name bytes, header offset)."""
        off = self.pos
        needed = 20 if meth == DEFLATE else 10
        if self.era == "B":
            extra = struct.pack("<HHQQ", 1, 16, 0, 0)
            hdr = struct.pack("<IHHHHHIIIHH", 0x04034B50, needed, 0x0808,
                              meth, 0, 0, 0, U32, U32, len(name),
                              len(extra))
        else:
            extra = b""
            hdr = struct.pack("<IHHHHHIIIHH", 0x04034B50, needed, 0x0008,
                              meth, self.time, self.date, 0, 0, 0,
                              len(name), 0)
        self._w(hdr + name + extra)
        return off

    def _finish(self, name, meth, off, crc, usize, csize):
        """Write the data descriptor and remember the directory record."""
        if self.era == "B":
            self._w(struct.pack("<IIII", 0x08074B50, crc, U32, U32))
        else:
            # A wrapped uncompressed size still reads (the deflate data
            # ends itself; readers compare the low 32 bits); a wrapped
            # compressed size or offset would lose the data.
            if max(csize, off) > U32:
                raise ValueError("era A has no zip64: %r too large" % name)
            self._w(struct.pack("<IIII", 0x08074B50, crc, csize,
                                usize & U32))
        self.cd.append((name, meth, off, crc, usize, csize))

    def add(self, name, data, method=None):
        """Add one entry; data is bytes, an iterable of bytes, or a Raw."""
        if isinstance(data, Raw):
            return self.add_raw(name, data, method)
        name = self._name(name)
        meth = DEFLATE if (method or self.method) == "deflate" else STORE
        off = self._lfh(name, meth)
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = (data,)
        crc = usize = csize = 0
        comp = zlib.compressobj(self.level, zlib.DEFLATED, -15) \
            if meth == DEFLATE else None
        for chunk in data:
            if not chunk:
                continue
            crc = zlib.crc32(chunk, crc)
            usize += len(chunk)
            out = comp.compress(chunk) if comp else chunk
            if out:
                self._w(out)
                csize += len(out)
        if comp:
            out = comp.flush()      # an empty entry gives 03 00
            self._w(out)
            csize += len(out)
        self._finish(name, meth, off, crc, usize, csize)

    def add_raw(self, name, raw, method=None):
        """Add an entry whose data is already compressed (a Raw)."""
        name = self._name(name)
        meth = method or raw.method or self.method
        meth = DEFLATE if meth == "deflate" else STORE
        off = self._lfh(name, meth)
        n = 0
        for chunk in raw.chunks:
            self._w(chunk)
            n += len(chunk)
        if n != raw.csize:
            raise ValueError("%r: raw data is %d bytes, said %d"
                             % (name, n, raw.csize))
        self._finish(name, meth, off, raw.crc, raw.usize, raw.csize)

    def add_gap(self, name, nbytes):
        """Add a stored entry of nbytes zero bytes left as a sparse hole."""
        name = self._name(name)
        off = self._lfh(name, STORE)
        self.f.flush()
        self.f.seek(nbytes, os.SEEK_CUR)
        self.pos += nbytes
        self._finish(name, STORE, off, crc32_zeros(nbytes), nbytes, nbytes)

    def close(self):
        """Write the central directory and end records; close own files."""
        if self.closed:
            return
        self.closed = True
        cd_off = self.pos
        n = len(self.cd)
        if self.era == "A" and n > U16:
            raise ValueError("era A has no zip64: %d entries" % n)
        for name, meth, off, crc, usize, csize in self.cd:
            needed = 20 if meth == DEFLATE else 10
            if self.era == "B":
                extra = struct.pack("<HHQQQ", 1, 24, usize, csize, off)
                rec = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50,
                                  MADE_BY, needed, 0x0808, meth, 0, 0, crc,
                                  U32, U32, len(name), len(extra), 0, 0, 0,
                                  EXT_ATTR, U32)
            else:
                extra = b""
                rec = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50,
                                  MADE_BY, needed, 0x0008, meth, self.time,
                                  self.date, crc, csize, usize & U32,
                                  len(name), 0, 0, 0, 0, EXT_ATTR, off)
            self._w(rec + name + extra)
        cd_size = self.pos - cd_off
        if self.era == "A" and max(cd_size, cd_off) > U32:
            raise ValueError("era A has no zip64: archive too large")
        if self.era == "B":
            z64_off = self.pos
            self._w(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, MADE_BY, 46,
                                0, 0, n, n, cd_size, cd_off))
            self._w(struct.pack("<IIQI", 0x07064B50, 0, z64_off, 1))
        self._w(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, U16),
                            min(n, U16), min(cd_size, U32),
                            U32 if cd_off > U32 else cd_off, 0))
        if self.own:
            self.f.close()
        else:
            self.f.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.close()
        elif self.own:
            self.f.close()


def file_chunks(path, size=CHUNK):
    """Yield the bytes of the file at path in chunks of size bytes."""
    with open(path, "rb") as f:
        while True:
            b = f.read(size)
            if not b:
                return
            yield b


def pad_entries(n):
    """The n small stray entries that --pad-entries adds (name, data)."""
    for i in range(1, n + 1):
        yield "pad/%06d" % i, b"pad %06d\n" % i


def write_zip(out, entries, era="B", method="deflate", pad=0, gap=0,
              level=6, dos_time=DEFAULT_DOS_TIME):
    """Write a whole ZIP in Convex's layout.

    out: path or binary file object.  entries: iterable of (name, data),
    name a str (written as UTF-8) or bytes, data bytes, an iterable of
    bytes chunks, or a Raw.  era: "A" or "B".  method: "deflate" or
    "store".  pad: number of stray pad/NNNNNN entries added after the
    others.  gap: when > 0, a stored entry gap.bin of that many zero bytes
    (a sparse hole) comes first.  Raises ValueError when era A would need
    zip64; OSError from the file system.
    """
    with ZipWriter(out, era=era, method=method, level=level,
                   dos_time=dos_time) as z:
        if gap:
            z.add_gap("gap.bin", gap)
        for name, data in entries:
            z.add(name, data)
        for name, data in pad_entries(pad):
            z.add(name, data)


def _comp_key(path):
    """Sort key for component paths: root first, then depth-first."""
    return [p for p in path.split("/") if p]


def dir_entries(root, order="current"):
    """List (entry name, file path) of an extracted export folder.

    order "current" is today's exporter (format notes section 2): README.md,
    each component's _tables/documents.jsonl, then the tables of every
    component smallest documents.jsonl first (ties by name), each as
    documents.jsonl then generated_schema.jsonl, other files found in table
    folders after them, then each component's _storage/documents.jsonl and
    its blobs.  order "old" is the exporter before 2025-01-06: README.md,
    _tables, _storage, then tables by name with generated_schema.jsonl
    before documents.jsonl.  Components are _components/<name>/ folders,
    nested to any depth.
    """
    comps = []          # (component prefix, folder)

    def walk(prefix, d):
        comps.append((prefix, d))
        cdir = os.path.join(d, "_components")
        if os.path.isdir(cdir):
            for c in sorted(os.listdir(cdir)):
                walk(prefix + "_components/" + c + "/", os.path.join(cdir, c))
    walk("", root)
    comps.sort(key=lambda c: _comp_key(c[0]))

    head, tables, strays, storage = [], [], [], []
    readme = os.path.join(root, "README.md")
    if os.path.isfile(readme):
        head.append(("README.md", readme))
    for prefix, d in comps:
        p = os.path.join(d, "_tables", "documents.jsonl")
        if os.path.isfile(p):
            head.append((prefix + "_tables/documents.jsonl", p))
    for prefix, d in comps:
        sdir = os.path.join(d, "_storage")
        if os.path.isdir(sdir):
            meta = os.path.join(sdir, "documents.jsonl")
            if os.path.isfile(meta):
                storage.append((prefix + "_storage/documents.jsonl", meta))
            for f in sorted(os.listdir(sdir)):
                if f != "documents.jsonl":
                    storage.append((prefix + "_storage/" + f,
                                    os.path.join(sdir, f)))
        for t in sorted(os.listdir(d)):
            td = os.path.join(d, t)
            if t in ("_tables", "_storage", "_components") or \
                    not os.path.isdir(td):
                continue
            docs = os.path.join(td, "documents.jsonl")
            schema = os.path.join(td, "generated_schema.jsonl")
            size = os.path.getsize(docs) if os.path.isfile(docs) else 0
            files = []
            for f in ("documents.jsonl", "generated_schema.jsonl"):
                if os.path.isfile(os.path.join(td, f)):
                    files.append((prefix + t + "/" + f, os.path.join(td, f)))
            if order == "old":
                files.reverse()
            tables.append((size, prefix + t, files))
            for f in sorted(os.listdir(td)):
                if f not in ("documents.jsonl", "generated_schema.jsonl"):
                    strays.append((prefix + t + "/" + f,
                                   os.path.join(td, f)))
    if order == "old":
        tables.sort(key=lambda t: t[1])
        out = head + storage
    else:
        tables.sort(key=lambda t: (t[0], t[1]))
        out = head
    for _, _, files in tables:
        out += files
    out += strays
    if order != "old":
        out += storage
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="mkzip.py",
        description="Write a ZIP laid out like Convex's exporter.")
    ap.add_argument("--era", choices=("A", "B"), default="B",
                    help="container era (default B)")
    ap.add_argument("--method", choices=("deflate", "store"),
                    default="deflate", help="entry method (default deflate)")
    ap.add_argument("--pad-entries", type=int, default=0, metavar="N",
                    help="add N small stray entries pad/000001 ...")
    ap.add_argument("--gap", type=int, default=0, metavar="BYTES",
                    help="first a stored sparse entry gap.bin of BYTES zeros")
    ap.add_argument("--repeat", action="append", default=[],
                    metavar="NAME=COUNT",
                    help="entry NAME holds its file COUNT times over")
    ap.add_argument("--dir", metavar="DIR",
                    help="zip this extracted export folder")
    ap.add_argument("--order", choices=("current", "old"), default="current",
                    help="entry order for --dir (default current)")
    ap.add_argument("out", metavar="OUT.zip")
    ap.add_argument("entries", nargs="*", metavar="NAME=PATH")
    a = ap.parse_args(argv)
    if a.pad_entries < 0 or a.gap < 0:
        ap.error("--pad-entries and --gap must not be negative")
    if a.dir and a.entries:
        ap.error("give either --dir or NAME=PATH entries")
    if a.dir:
        if not os.path.isdir(a.dir):
            ap.error("not a directory: %s" % a.dir)
        pairs = dir_entries(a.dir, a.order)
    else:
        pairs = []
        for e in a.entries:
            name, sep, path = e.partition("=")
            if not sep or not name:
                ap.error("entry must be NAME=PATH: %s" % e)
            pairs.append((name, path))
    repeat = {}
    for r in a.repeat:
        name, sep, count = r.rpartition("=")
        if not sep or not name or not count.isdigit():
            ap.error("--repeat must be NAME=COUNT: %s" % r)
        if name not in (n for n, _ in pairs):
            ap.error("--repeat names no entry: %s" % name)
        repeat[name] = int(count)

    def data(name, path):
        if name not in repeat:
            return file_chunks(path)
        with open(path, "rb") as f:
            return repeated(f.read(), repeat[name])
    entries = ((name, data(name, path)) for name, path in pairs)
    try:
        write_zip(a.out, entries, era=a.era, method=a.method,
                  pad=a.pad_entries, gap=a.gap)
    except (OSError, ValueError) as e:
        print("mkzip.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
