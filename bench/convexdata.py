# SPDX-License-Identifier: MIT
"""Convex value encodings for the synthetic exports (bench/gen-export.py).

Rules from the project's convex-export-format.md:
- document ids (section 6): VInt table number + 16-byte internal id
  (14 random bytes + big-endian u16 day number) + Fletcher-16 footer,
  written in lowercase Crockford base32, big-endian 5-bit groups;
- JSON text as serde_json writes it (section 3, fact F12): compact, keys
  byte-sorted, strings escaped with \\" \\\\ \\b \\f \\n \\r \\t and other
  controls as \\u00xx (lowercase hex), everything else raw UTF-8;
- float64 text as ryu prints it (section 3.1): shortest round trip, fixed
  notation for 1e-5 <= |x| < 1e16 with ".0" on integral values, otherwise
  "de<exp>" / "d.ddde<exp>" with no "+" and no zero padding.
"""

import base64
import json
import math

_STD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CROCKFORD = b"0123456789abcdefghjkmnpqrstvwxyz"
_TO_CROCKFORD = bytes.maketrans(_STD, CROCKFORD)
_CROCKFORD_VALUE = {c: i for i, c in enumerate(CROCKFORD.decode())}


def vint(n):
    """Convex VInt: 7 bits per byte, low group first, high bit = more."""
    if not 1 <= n < 1 << 35:
        raise ValueError("table number out of range: %d" % n)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def fletcher16(data):
    """Convex's id footer: (c1 << 8) | c0, sums modulo 256 (id_v6.rs)."""
    c0 = c1 = 0
    for b in data:
        c0 = (c0 + b) & 0xFF
        c1 = (c1 + c0) & 0xFF
    return c1 << 8 | c0


def base32(raw):
    """Lowercase Crockford base32, big-endian 5-bit groups, no padding."""
    return base64.b32encode(raw).translate(_TO_CROCKFORD) \
        .rstrip(b"=").decode("ascii")


def encode_id(table_number, internal):
    """Id string for a 16-byte internal id in the given table number."""
    if len(internal) != 16:
        raise ValueError("internal id must be 16 bytes")
    body = vint(table_number) + bytes(internal)
    return base32(body + fletcher16(body).to_bytes(2, "little"))


def internal_id(random14, day):
    """Internal id as Convex makes it: 14 random bytes + BE u16 day."""
    return bytes(random14) + (day & 0xFFFF).to_bytes(2, "big")


def decode_id(s):
    """Decode an id string strictly; return (table number, internal id).

    Raises ValueError for characters outside the lowercase alphabet, a
    non-canonical length or trailing bits, a bad VInt, a wrong internal
    length, or a footer that is not the Fletcher-16 of the rest.
    """
    bits = nbits = 0
    raw = bytearray()
    for ch in s:
        v = _CROCKFORD_VALUE.get(ch)
        if v is None:
            raise ValueError("bad id character %r" % ch)
        bits = bits << 5 | v
        nbits += 5
        if nbits >= 8:
            nbits -= 8
            raw.append(bits >> nbits & 0xFF)
            bits &= (1 << nbits) - 1
    raw = bytes(raw)
    if base32(raw) != s:
        raise ValueError("id is not canonical")
    n = shift = i = 0
    while True:
        if i >= len(raw) or i >= 5:
            raise ValueError("bad table number")
        b = raw[i]
        n |= (b & 0x7F) << shift
        shift += 7
        i += 1
        if not b & 0x80:
            break
    if n == 0 or vint(n) != raw[:i]:
        raise ValueError("bad table number")
    if len(raw) - i != 18:
        raise ValueError("internal id is not 16 bytes")
    if int.from_bytes(raw[-2:], "little") != fletcher16(raw[:-2]):
        raise ValueError("bad footer")
    return n, raw[i:-2]


_ESC = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n",
        "\r": "\\r", "\t": "\\t"}


def json_str_ref(s):
    """serde_json string escaping, character by character (slow, exact)."""
    out = ['"']
    for ch in s:
        if ch in _ESC:
            out.append(_ESC[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


# CPython's encoder with ensure_ascii=False escapes exactly the serde_json
# set (", \, \b \f \n \r \t, other < 0x20 as lowercase \u00xx); check_json
# below proves it over every code point before it is trusted.
_fast_str = json.encoder.encode_basestring


def json_str(s):
    """A str as a serde_json string literal (quotes included)."""
    return _fast_str(s)


def fmt_float(x):
    """float64 text exactly as ryu (serde_json 1.0.145) prints it."""
    if not math.isfinite(x):
        raise ValueError("non-finite floats need the $float form")
    if 1e-4 <= abs(x) < 1e16:
        return repr(x)          # the same fixed-notation text as ryu
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    m, _, e = ("%r" % abs(x)).partition("e")
    exp = int(e) if e else 0
    ip, _, fp = m.partition(".")
    digits = (ip + fp).lstrip("0")
    # decimal exponent of the first significant digit
    point = exp + len(ip) - (len(ip + fp) - len((ip + fp).lstrip("0")))
    digits = digits.rstrip("0") or "0"
    kk = point                  # digits d1d2... times 10^(kk - len)
    if -5 < kk <= 0:
        return sign + "0." + "0" * -kk + digits
    if 0 < kk <= 16:
        if len(digits) <= kk:
            return sign + digits + "0" * (kk - len(digits)) + ".0"
        return sign + digits[:kk] + "." + digits[kk:]
    if len(digits) == 1:
        return sign + digits + "e" + str(kk - 1)
    return sign + digits[0] + "." + digits[1:] + "e" + str(kk - 1)


def dumps(v):
    """Any JSON value as serde_json writes a Convex value (uniform era).

    dict keys are sorted by UTF-8 bytes; int -> integer token; float ->
    ryu text; str -> serde_json escapes.  Slow: used for checking and for
    the small tables, not the hot loops.
    """
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return fmt_float(v)
    if isinstance(v, str):
        return json_str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(dumps(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-8"))
        return "{" + ",".join(json_str(k) + ":" + dumps(v[k])
                              for k in keys) + "}"
    raise TypeError("not a JSON value: %r" % (v,))


def check_json():
    """Self-check of the JSON helpers; raises AssertionError on a mismatch."""
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        assert json_str(ch) == json_str_ref(ch), hex(cp)
    cases = [(0.0, "0.0"), (-0.0, "-0.0"), (1.0, "1.0"), (37.0, "37.0"),
             (0.1, "0.1"), (1e17, "1e17"), (1e16, "1e16"),
             (1.5e-7, "1.5e-7"), (1e-5, "0.00001"), (1.25e-5, "0.0000125"),
             (9.5e-6, "9.5e-6"), (1e-4, "0.0001"), (-2.5e20, "-2.5e20"),
             (123456789012345680.0, "1.2345678901234568e17"),
             (1735689600123.457, "1735689600123.457"),
             (9999999999999998.0, "9999999999999998.0"),
             (5e-324, "5e-324"),
             (1.7976931348623157e308, "1.7976931348623157e308")]
    for x, want in cases:
        assert fmt_float(x) == want, (x, fmt_float(x), want)
    assert dumps({"b": 1, "B": 2.0, "_id": "x", "_creationTime": 3.5,
                  "é": [None, True]}) == \
        '{"B":2.0,"_creationTime":3.5,"_id":"x","b":1,"é":[null,true]}'
