#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Deterministic synthetic Convex chat export (era B2, uniform values).

    gen-export.py [--messages N] [--seed S] [--jsonl FILE] [--dir DIR]
                  [--check] [-q] [OUT.zip]

Writes the chat tables described in examples/README.md (users,
threads, runs, messages, receipts, authAccounts, authSessions) the way
Convex's exporter does: one ZIP (tests/mkzip.py, container era B) with
README.md, _tables/documents.jsonl, then the tables smallest first
(documents.jsonl, then generated_schema.jsonl = "uniform"), and an empty
_storage/documents.jsonl last.  Every document is compact JSON with
byte-sorted keys, serde_json string escapes, ryu float text, int64 as bare
integers, and real-format ids (bench/convexdata.py); references hold the
referenced documents' ids; each table is sorted by _id.

--jsonl FILE also writes the tagged stream cvx-unzip makes of the ZIP (each
line {"_table":"<t>", + the document minus its first "{"), tables in entry
order.  --dir DIR writes the extracted folder.  --check re-parses every
document and verifies key order, escaping, number text and ids (slow).

The same N and seed give the same bytes (on the same zlib).  Counts scale
with N: users max(12, N/500), threads max(30, N/20) (at most N), runs N/4,
receipts N/2, authAccounts users*6/5, authSessions users*3/2.  Nothing is
held in memory per document except small id lists of users, threads and
runs; documents stream through zlib in 1 MiB chunks on a second thread.
"""

import argparse
import bisect
import hashlib
import json
import operator
import os
import queue
import random
import shutil
import sys
import tempfile
import threading
import time
import unicodedata
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import convexdata as cd     # noqa: E402
import mkzip                # noqa: E402

TABLES = {"users": 10001, "threads": 10002, "runs": 10003,
          "messages": 10004, "receipts": 10005, "authAccounts": 10006,
          "authSessions": 10007}

DAY_MS = 86400000
T0 = 1735689600000          # 2025-01-01T00:00:00Z in ms
CHUNK_CHARS = 1 << 20

README = """\
# Convex snapshot export

This archive holds a point-in-time snapshot of the documents of one Convex
deployment, written by the snapshot exporter.

- `<table>/documents.jsonl`: one JSON document per line, sorted by `_id`.
- `<table>/generated_schema.jsonl`: how the values in those lines are
  encoded.
- `_tables/documents.jsonl`: the table names and their table numbers.
- `_storage/`: file storage metadata and files, when they were included.

Load it back with `npx convex import`.
"""

FIRST = """Ada Bram Chiara Dmitri Elif Farah Goran Hana Ines Jonas Kaito Lena
Mateo Nadia Oskar Priya Quentin Rosa Sami Tove Umar Vera Wiebke Xavier Yara
Zoë Søren José Aiko Bjørn Renée Ñuño Łucja Ahmet Maëlle Chloé Tomás Leilani
Anouk Femi Greta Hugo Imke Jules Kemal Lucía Mirela Noor Odile Pavel""".split()
LAST = """Abernathy Brightwater Castellano Draycott Eberhardt Fairweather
Galloway Holloway Ingersoll Juniper Kettering Lindqvist Marchetti Northcott
Okonkwo Pemberton Quilliam Rasmussen Stavros Thornbury Underhill Vasquez
Whitlock Yamada Zielinski Ødegård Müller-Lüdenscheidt Þórsdóttir Ibáñez
Moreau Nakamura Oyelaran Petrović Quispe Salgado Tanaka Uchenna Valtonen""" \
    .split()
WORDS = """the a an and or but if then so because while when where which that
this these those it its we you they our your their data table export import
document field value index query mutation action schema deploy deployment
backend function server client cache stream pipe file line row column key
string number integer float array object null true false error warning
retry timeout limit batch chunk page cursor snapshot backup restore migrate
copy load parse check validate encode decode compress archive zip folder
user thread message run receipt session account token model prompt reply
answer question idea plan draft note summary report review change update
fix bug test build release version branch commit merge issue ticket team
week day hour minute morning evening today tomorrow yesterday soon later
quick slow small large long short simple careful clear exact better worse
good great fine okay sure maybe perhaps probably really quite very rather
make take give keep move send read write open close start stop finish wait
look find show tell ask try need want like know think feel seem help work
use run call return handle store fetch sync merge split join sort count
first second third next last every each some many few more most less other
about above across after against along among around before behind below
between beyond during except inside into near over since through toward
under until upon within without customer invoice order payment shipment
warehouse schedule calendar meeting agenda budget forecast quarter revenue
latency throughput memory disk network region cluster replica shard""" \
    .split()
NONASCII = """café naïve façade déjà-vu über Zürich São Paulo Kraków Malmö
Ærøskøbing piñata jalapeño résumé coöperate smörgåsbord Straße 東京 日本語
データ 北京 서울 Москва Αθήνα שלום مرحبا नमस्ते 🙂 🚀 ✅ — – … “ok” ‘fine’ €12
£7 ¥300 ±0.5 °C µs ≥ ≤ → ½""".split()
MODELS = ["gpt-4o-mini", "gpt-4.1", "claude-3-5-sonnet", "claude-3-haiku",
          "llama-3.1-70b", "mistral-large", "gemini-1.5-pro"]
TOOLS = ["search", "calculator", "calendar", "weather", "sql", "fetch_url"]
PROVIDERS = ["github", "google", "password", "resend"]


def splitmix(x):
    """One splitmix64 step: a well-mixed 64-bit value from x."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


class Perm:
    """A bijection of [0, n): slot (export order) <-> logical index."""

    def __init__(self, n, seed):
        self.n = n
        a = int(n * 0.6180339887) | 1
        while n > 1 and _gcd(a, n) != 1:
            a += 2
        self.a = a % n if n > 1 else 1
        self.b = splitmix(seed) % n if n else 0
        self.inv_a = pow(self.a, -1, n) if n > 1 else 1

    def logical(self, s):
        return (self.a * s + self.b) % self.n

    def slot(self, k):
        return (self.inv_a * (k - self.b)) % self.n


def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


# Fletcher-16's c1 is sum(b[i] * (len - i)): weights for the 18-byte body
# of a 2-byte-VInt id, so the footer costs two C-level sums.
_W18 = list(range(18, 0, -1))


class IdMaker:
    """Ids of one table: slot s of n -> id string, sorted like the slots.

    The 14 random bytes are a bucket prefix (6 bytes, s * 2^48 / n plus
    jitter, so ids ascend with s and look random) and 8 hashed bytes; then
    the creation day.  Each slot also gets 8 more hashed bytes (attrs) for
    the document's pure attributes (creation time jitter and the like).
    """

    def __init__(self, seed, table_number, n):
        self.vint = cd.vint(table_number)
        assert len(self.vint) == 2
        self.n = max(n, 1)
        self.width = (1 << 48) // self.n
        self.h = hashlib.blake2b(digest_size=24, key=b"%d/%d" % (
            seed, table_number))

    def digest(self, s):
        h = self.h.copy()
        h.update(s.to_bytes(8, "little"))
        return h.digest()

    def make(self, s, d, day):
        """Id of slot s with digest d and creation day number."""
        prefix = s * self.width + int.from_bytes(d[:8], "little") % self.width
        body = self.vint + prefix.to_bytes(6, "big") + d[8:16] + \
            (day & 0xFFFF).to_bytes(2, "big")
        c0 = sum(body) & 0xFF
        c1 = sum(map(operator.mul, body, _W18)) & 0xFF
        return cd.base32(body + bytes((c0, c1)))


def attr(d):
    """The digest's attribute bytes as an int in [0, 2^64)."""
    return int.from_bytes(d[16:24], "little")


class Model:
    """The whole export as pure functions of (seed, N) plus small lists."""

    def __init__(self, n_messages, seed):
        n = n_messages
        self.seed = seed
        self.n = {"messages": n}
        self.n["users"] = max(12, n // 500)
        self.n["threads"] = min(n, max(30, n // 20))
        self.n["runs"] = n // 4
        self.n["receipts"] = n // 2
        self.n["authAccounts"] = self.n["users"] * 6 // 5
        self.n["authSessions"] = self.n["users"] * 3 // 2
        self.ids = {t: IdMaker(seed, num, self.n[t])
                    for t, num in TABLES.items()}
        self.perm = {t: Perm(self.n[t], seed * 131 + num)
                     for t, num in TABLES.items()}
        rng = random.Random(seed)
        self.text = Text(rng)
        self._users(rng)
        self._threads(rng)
        self._runs()

    def _users(self, rng):
        """Creation times and ids of the users (logical order)."""
        nu = self.n["users"]
        span = 60 * DAY_MS / nu
        self.user_ct = []
        self.user_id = []
        im = self.ids["users"]
        for u in range(nu):
            s = self.perm["users"].slot(u)
            d = im.digest(s)
            ct = T0 + int(u * span) + (attr(d) % 36000000) / 1000 + \
                (attr(d) >> 40) % 9973 / 10000
            self.user_ct.append(ct)
            self.user_id.append(im.make(s, d, int(ct // DAY_MS)))

    def _threads(self, rng):
        """Thread owners, lengths, start offsets, times and ids."""
        nt, nm, nu = self.n["threads"], self.n["messages"], self.n["users"]
        # ~5% without owner, deterministic: t % 20 == 7.
        self.owner = [None if t % 20 == 7 else
                      int(rng.random() * nu) for t in range(nt)]
        weights = [rng.random() ** 2 + 0.05 for _ in range(nt)]
        total = sum(weights)
        extra = nm - nt
        lens = [1 + int(w / total * extra) for w in weights]
        rest = nm - sum(lens)
        i = 0
        while rest > 0:
            lens[int(rng.random() * nt) if i % 2 else i % nt] += 1
            rest -= 1
            i += 1
        self.tlen = lens
        self.tstart = []
        acc = 0
        for ln in lens:
            self.tstart.append(acc)
            acc += ln
        span = 150 * DAY_MS / max(nt, 1)
        self.thread_ct = []
        self.thread_id = []
        im = self.ids["threads"]
        for t in range(nt):
            s = self.perm["threads"].slot(t)
            d = im.digest(s)
            ct = T0 + 20 * DAY_MS + int(t * span) + \
                (attr(d) % 3600000) + (attr(d) >> 40) % 9973 / 10000
            if self.owner[t] is not None:
                ct = max(ct, self.user_ct[self.owner[t]] + 60000.5)
            self.thread_ct.append(ct)
            self.thread_id.append(im.make(s, d, int(ct // DAY_MS)))

    def message_core(self, k):
        """Logical message k -> (slot, digest, thread, position, ctime, id)."""
        s = self.perm["messages"].slot(k)
        im = self.ids["messages"]
        d = im.digest(s)
        t = bisect.bisect_right(self.tstart, k) - 1
        p = k - self.tstart[t]
        a = attr(d)
        ct = self.thread_ct[t] + p * 45000 + (a % 40000) + \
            (a >> 40) % 9973 / 10000
        return s, d, t, p, ct, im.make(s, d, int(ct // DAY_MS))

    def _runs(self):
        """Run ids: run r belongs to logical messages 4r .. 4r+3."""
        self.run_id = []
        self.run_thread = []
        self.run_ct = []
        im = self.ids["runs"]
        for r in range(self.n["runs"]):
            _, _, t, _, mct, _ = self.message_core(4 * r)
            s = self.perm["runs"].slot(r)
            d = im.digest(s)
            ct = mct + 20 + (attr(d) % 9973) / 10000
            self.run_thread.append(t)
            self.run_ct.append(ct)
            self.run_id.append(im.make(s, d, int(ct // DAY_MS)))

    def user_of_thread(self, t, a):
        """The thread's owner, or a user picked by a for ownerless ones."""
        o = self.owner[t]
        return o if o is not None else a % self.n["users"]


class Text:
    """Pools of pre-escaped JSON string pieces for realistic prose."""

    def __init__(self, rng):
        self.rng = rng
        self.sentences = [cd.json_str(self._sentence())[1:-1]
                          for _ in range(6000)]
        self.code = [cd.json_str(self._code())[1:-1] for _ in range(300)]
        self.titles = [cd.json_str(self._title())[1:-1] for _ in range(2000)]
        self.tool_out = [cd.json_str(self._tool())[1:-1] for _ in range(800)]

    def _word(self):
        r = self.rng.random()
        if r < 0.03:
            return self.rng.choice(NONASCII)
        return self.rng.choice(WORDS)

    def _sentence(self):
        rng = self.rng
        n = 5 + int(rng.random() * 18)
        words = [self._word() for _ in range(n)]
        words[0] = words[0][:1].upper() + words[0][1:]
        r = rng.random()
        if r < 0.08:
            i = int(rng.random() * (n - 2)) + 1
            words[i] = '"' + words[i] + " " + words[i + 1] + '"'
            del words[i + 1]
        elif r < 0.11:
            words.append("(see C:\\exports\\%s.jsonl)" % rng.choice(WORDS))
        elif r < 0.12:
            words.append("\t— note")
        elif r < 0.125:
            words.append("\x1b[1mimportant\x1b[0m")
        if rng.random() < 0.15:
            words[int(rng.random() * len(words))] += ","
        return " ".join(words) + rng.choice(".....?!:")

    def _code(self):
        rng = self.rng
        lines = ["```js"]
        for _ in range(3 + int(rng.random() * 12)):
            a, b = rng.choice(WORDS), rng.choice(WORDS)
            lines.append(rng.choice([
                "const %s = await ctx.db.query(\"%s\").collect();" % (a, b),
                "  if (!%s) throw new Error(\"%s not found\");" % (a, b),
                "\tconsole.log(`%s: ${%s}`);" % (a, b),
                "  return { %s, %s: %s.length };" % (a, b, a),
                "// %s %s \\ %s" % (a, b, rng.choice(WORDS))]))
        lines.append("```")
        return "\n".join(lines)

    def _title(self):
        n = 2 + int(self.rng.random() * 6)
        w = " ".join(self._word() for _ in range(n))
        return w[:1].upper() + w[1:]

    def _tool(self):
        rng = self.rng
        items = []
        for i in range(1 + int(rng.random() * 6)):
            items.append('{"title":"%s","score":%s,"url":"https://docs.'
                         'example.org/%s/%d"}' % (
                             self._title(), repr(round(rng.random(), 3)),
                             rng.choice(WORDS), i))
        return '{"results":[%s],"took_ms":%d}' % (
            ",".join(items), int(rng.random() * 900))

    def prose(self, nbytes, rnd):
        """Escaped prose of about nbytes characters, with paragraphs."""
        sent = self.sentences
        ns = len(sent)
        parts = []
        size = 0
        while size < nbytes:
            x = sent[int(rnd() * ns)]
            parts.append(x)
            size += len(x) + 1
            r = rnd()
            if r < 0.12:
                parts.append("\\n\\n")
            elif r < 0.14 and nbytes > 1500:
                parts.append("\\n\\n" + self.code[int(rnd() * len(self.code))]
                             + "\\n\\n")
            else:
                parts.append(" ")
        parts.pop()
        return "".join(parts)


def ms(x):
    """A float64 millisecond time as Convex prints it (ryu)."""
    return cd.fmt_float(x)


_FOLD = {ord("ø"): "o", ord("Ø"): "O", ord("þ"): "th", ord("Þ"): "Th",
         ord("ł"): "l", ord("Ł"): "L", ord("æ"): "ae", ord("Æ"): "Ae"}


def ascii_fold(s):
    """Plain ASCII for e-mail addresses: accents dropped (Zoë -> Zoe)."""
    s = unicodedata.normalize("NFKD", s).translate(_FOLD)
    return "".join(c for c in s if not unicodedata.combining(c)) \
        .encode("ascii", "ignore").decode()


def gen_users(m, rnd):
    """users: email, name, image?, role, tokenIdentifier."""
    p, im = m.perm["users"], m.ids["users"]
    for s in range(m.n["users"]):
        u = p.logical(s)
        a = splitmix(u ^ m.seed)
        first = FIRST[a % len(FIRST)]
        last = LAST[(a >> 8) % len(LAST)]
        dom = "example.com" if (a >> 16) & 3 else "example.org"
        email = ascii_fold("%s.%s%d@%s" % (first, last, u, dom)).lower()
        img = ""
        if (a >> 20) % 10 < 7:
            img = ',"image":"https://images.example.com/avatars/%016x.png"' \
                % (a >> 3)
        role = "admin" if u % 40 == 3 else "user"
        uid = m.user_id[u]
        yield ('"_creationTime":%s,"_id":"%s","email":%s%s,"name":%s,'
               '"role":"%s","tokenIdentifier":"https://auth.example.com|%s"}'
               '\n' % (ms(m.user_ct[u]), uid, cd.json_str(email), img,
                       cd.json_str(first + " " + last), role, uid))


def gen_threads(m, rnd):
    """threads: lastMessageAt, status, title, userId?."""
    p = m.perm["threads"]
    titles = m.text.titles
    for s in range(m.n["threads"]):
        t = p.logical(s)
        last = m.thread_ct[t] + (m.tlen[t] - 1) * 45000 + 40000.25
        owner = m.owner[t]
        uid = ',"userId":"%s"' % m.user_id[owner] if owner is not None else ""
        yield ('"_creationTime":%s,"_id":"%s","lastMessageAt":%s,'
               '"status":"%s","title":"%s"%s}\n' % (
                   ms(m.thread_ct[t]), m.thread_id[t], ms(last),
                   "archived" if rnd() < 0.2 else "active",
                   titles[int(rnd() * len(titles))], uid))


def gen_runs(m, rnd):
    """runs: events, finishedAt?, model, startedAt, status, threadId,
    usage, userId."""
    p = m.perm["runs"]
    for s in range(m.n["runs"]):
        r = p.logical(s)
        t = m.run_thread[r]
        ct = m.run_ct[r]
        started = ct + 3.5 + int(rnd() * 400) / 8
        x = rnd()
        status = "completed" if x < 0.9 else (
            "failed" if x < 0.97 else "running")
        dur = 400 + int(rnd() * 30000) + int(rnd() * 1000) / 1000
        events = ['{"at":%s,"data":"%s","type":"start"}' % (
            ms(started), MODELS[r % len(MODELS)])]
        at = started
        for _ in range(int(rnd() * 4)):
            at += 50 + int(rnd() * 2000) + 0.125
            events.append('{"at":%s,"data":"{\\"tool\\":\\"%s\\",'
                          '\\"args\\":{\\"q\\":\\"%s\\"}}","type":"tool_call"}'
                          % (ms(at), TOOLS[int(rnd() * len(TOOLS))],
                             WORDS[int(rnd() * len(WORDS))]))
        fin = ""
        if status != "running":
            end = started + dur
            fin = ',"finishedAt":%s' % ms(end)
            events.append('{"at":%s,"data":"%s","type":"finish"}' % (
                ms(end), "stop" if status == "completed" else
                "error: upstream timeout after 30000 ms"))
        pt = 50 + int(rnd() * 6000)
        comp = int(rnd() * 1200) if status != "failed" else 0
        user = m.user_id[m.user_of_thread(t, r)]
        yield ('"_creationTime":%s,"_id":"%s","events":[%s]%s,"model":"%s",'
               '"startedAt":%s,"status":"%s","threadId":"%s","usage":'
               '{"completionTokens":%d,"promptTokens":%d},"userId":"%s"}\n'
               % (ms(ct), m.run_id[r], ",".join(events), fin,
                  MODELS[r % len(MODELS)], ms(started), status,
                  m.thread_id[t], comp, pt, user))


def gen_messages(m, rnd):
    """messages: content, metadata?, position, role, runId?, threadId,
    userId?."""
    text = m.text
    prose = text.prose
    tool_out = text.tool_out
    nt = len(tool_out)
    core = m.message_core
    run_id, run_thread = m.run_id, m.run_thread
    nruns = len(run_id)
    for s in range(m.n["messages"]):
        k = m.perm["messages"].logical(s)
        _, d, t, p, ct, mid = core(k)
        a = attr(d)
        if p == 0 and t % 9 == 0:
            role = "system"
        elif p % 2 == 0:
            role = "user"
        elif (a >> 20) % 8 == 0:
            role = "tool"
        else:
            role = "assistant"
        meta = ""
        uid = ""
        rid = ""
        if role == "user":
            uid = ',"userId":"%s"' % m.user_id[m.user_of_thread(t, a >> 8)]
            x = rnd()
            content = prose(150 + int(x * x * 600), rnd)
            if x < 0.3:
                meta = ',"metadata":{"client":"%s"}' % (
                    "web", "ios", "android")[int(rnd() * 3)]
        elif role == "system":
            content = prose(150 + int(rnd() * 250), rnd)
        elif role == "tool":
            content = tool_out[int(rnd() * nt)]
            meta = ',"metadata":{"ok":%s,"tool":"%s"}' % (
                "true" if rnd() < 0.95 else "false",
                TOOLS[int(rnd() * len(TOOLS))])
        else:
            x = rnd()
            if x < 0.02:
                n = 2000 + int(rnd() * 8000)
            else:
                n = 200 + int(x * 900)
            content = prose(n, rnd)
            meta = (',"metadata":{"finishReason":"%s","latencyMs":%s,'
                    '"model":"%s","tokens":%d}' % (
                        "length" if x > 0.985 else "stop",
                        repr(200 + int(rnd() * 90000) / 10 + 0.5),
                        MODELS[t % len(MODELS)], n // 4))
        if role in ("assistant", "tool"):
            r = k // 4
            if r < nruns and run_thread[r] == t:
                rid = ',"runId":"%s"' % run_id[r]
        yield ('"_creationTime":%s,"_id":"%s","content":"%s"%s,'
               '"position":%d,"role":"%s"%s,"threadId":"%s"%s}\n' % (
                   ms(ct), mid, content, meta, p, role, rid,
                   m.thread_id[t], uid))


def gen_receipts(m, rnd):
    """receipts: messageId, readAt, userId."""
    p, im = m.perm["receipts"], m.ids["receipts"]
    nm, nq = m.n["messages"], m.n["receipts"]
    step = max(1, nm // max(nq, 1))
    core = m.message_core
    for s in range(nq):
        j = p.logical(s)
        d = im.digest(s)
        a = attr(d)
        k = (j * step + a % step) % nm
        _, _, t, _, mct, mid = core(k)
        read = mct + 1000 + (a >> 8) % (2 * DAY_MS) + 0.5
        ct = read + 2 + (a >> 40) % 9973 / 10000
        user = m.user_id[m.user_of_thread(t, a >> 16)]
        yield ('"_creationTime":%s,"_id":"%s","messageId":"%s",'
               '"readAt":%s,"userId":"%s"}\n' % (
                   ms(ct), im.make(s, d, int(ct // DAY_MS)), mid, ms(read),
                   user))


def gen_auth_accounts(m, rnd):
    """authAccounts: provider, providerAccountId, userId."""
    p, im = m.perm["authAccounts"], m.ids["authAccounts"]
    nu = m.n["users"]
    for s in range(m.n["authAccounts"]):
        i = p.logical(s)
        u = i % nu
        d = im.digest(s)
        a = attr(d)
        prov = PROVIDERS[(i // nu + u) % len(PROVIDERS)]
        if prov in ("password", "resend"):
            acct = cd.json_str("user%d@example.com" % u)
        else:
            acct = '"%d"' % (10000000 + a % 90000000)
        ct = m.user_ct[u] + 5 + i // nu * 3600000 + (a >> 40) % 9973 / 10000
        yield ('"_creationTime":%s,"_id":"%s","provider":"%s",'
               '"providerAccountId":%s,"userId":"%s"}\n' % (
                   ms(ct), im.make(s, d, int(ct // DAY_MS)), prov, acct,
                   m.user_id[u]))


def gen_auth_sessions(m, rnd):
    """authSessions: expirationTime, userId."""
    p, im = m.perm["authSessions"], m.ids["authSessions"]
    nu = m.n["users"]
    for s in range(m.n["authSessions"]):
        i = p.logical(s)
        d = im.digest(s)
        a = attr(d)
        u = a % nu
        ct = m.user_ct[u] + 10 + (a >> 8) % (90 * DAY_MS) + \
            (a >> 40) % 9973 / 10000
        yield ('"_creationTime":%s,"_id":"%s","expirationTime":%s,'
               '"userId":"%s"}\n' % (
                   ms(ct), im.make(s, d, int(ct // DAY_MS)),
                   ms(ct + 30 * DAY_MS), m.user_id[u]))


GENERATORS = [("users", gen_users), ("threads", gen_threads),
              ("runs", gen_runs), ("messages", gen_messages),
              ("receipts", gen_receipts), ("authAccounts", gen_auth_accounts),
              ("authSessions", gen_auth_sessions)]


class Deflater(threading.Thread):
    """Raw-deflates chunks into a spool file on its own thread.

    zlib and file writes release the GIL, so this runs beside the
    document generator on the second core.
    """

    def __init__(self, path):
        super().__init__(daemon=True)
        self.q = queue.Queue(maxsize=8)
        self.f = open(path, "wb")
        self.path = path
        self.crc = self.usize = self.csize = 0
        self.error = None
        self.start()

    def run(self):
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        try:
            while True:
                b = self.q.get()
                if b is None:
                    break
                self.crc = zlib.crc32(b, self.crc)
                self.usize += len(b)
                out = comp.compress(b)
                self.f.write(out)
                self.csize += len(out)
            out = comp.flush()
            self.f.write(out)
            self.csize += len(out)
            self.f.close()
        except Exception as e:      # reported by finish()
            self.error = e
            while self.q.get() is not None:
                pass

    def put(self, b):
        self.q.put(b)

    def finish(self):
        self.q.put(None)
        self.join()
        if self.error:
            raise self.error
        return mkzip.Raw(mkzip.file_chunks(self.path), self.crc, self.usize,
                         self.csize)


class Checker:
    """--check: every document parses, keys are byte-sorted, the text is
    what serde_json would print, and ids decode to the table number."""

    def __init__(self, model):
        self.m = model
        self.ids = {}

    def line(self, table, text):
        pairs = json.loads(text, object_pairs_hook=lambda p: p)
        doc = dict(pairs)
        if cd.dumps(_tree(pairs)) != text:
            raise AssertionError("%s: not serde_json text: %s" % (
                table, text[:200]))
        n, _ = cd.decode_id(doc["_id"])
        if n != TABLES[table]:
            raise AssertionError("%s: id of table %d" % (table, n))
        ct = doc["_creationTime"]
        if not isinstance(ct, float) or not 0 < ct < 2 ** 53:
            raise AssertionError("%s: bad _creationTime" % table)
        for k, v in doc.items():
            if k.endswith("Id") and k != "providerAccountId":
                cd.decode_id(v)
        prev = self.ids.get(table)
        if prev is not None and prev >= doc["_id"]:
            raise AssertionError("%s: ids not ascending" % table)
        self.ids[table] = doc["_id"]


def _tree(pairs):
    """object_pairs_hook lists back into dicts (keys kept for dumps)."""
    if isinstance(pairs, list) and pairs and isinstance(pairs[0], tuple):
        keys = [k for k, _ in pairs]
        if keys != sorted(keys, key=lambda k: k.encode("utf-8")):
            raise AssertionError("keys not byte-sorted: %r" % keys)
        return {k: _tree(v) for k, v in pairs}
    if isinstance(pairs, list):
        if pairs == []:
            return []
        return [_tree(v) for v in pairs]
    return pairs


def emit_table(m, table, gen, sinks, checker):
    """Generate one table, feeding 1 MiB chunks to every sink.

    Each document is produced without its leading "{", so the plain
    chunk is "{" + "{".join(bodies) and the tagged one uses the tag
    prefix as the separator instead.
    """
    rng = random.Random(m.seed * 1000003 + TABLES[table])
    tag = '{"_table":"%s",' % table
    bodies = []
    size = count = total = 0
    deflater, jsonl, folder = sinks

    def flush():
        nonlocal total
        plain = ("{" + "{".join(bodies)).encode("utf-8")
        total += len(plain)
        if deflater:
            deflater.put(plain)
        if folder:
            folder.write(plain)
        if jsonl:
            jsonl.write((tag + tag.join(bodies)).encode("utf-8"))
        bodies.clear()

    for body in gen(m, rng.random):
        bodies.append(body)
        size += len(body)
        count += 1
        if checker:
            checker.line(table, "{" + body[:-1])
        if size >= CHUNK_CHARS:
            flush()
            size = 0
    if bodies:
        flush()
    return count, total


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="gen-export.py",
        description="Write a deterministic synthetic Convex chat export.")
    ap.add_argument("--messages", type=int, default=1000000, metavar="N",
                    help="number of messages (default 1000000)")
    ap.add_argument("--seed", type=int, default=1, metavar="S",
                    help="random seed (default 1)")
    ap.add_argument("--jsonl", metavar="FILE",
                    help="also write the tagged stream cvx-unzip makes")
    ap.add_argument("--dir", metavar="DIR",
                    help="also write the extracted export folder")
    ap.add_argument("--check", action="store_true",
                    help="verify every document (slow)")
    ap.add_argument("-q", "--quiet", action="store_true",
                    help="no summary on stderr")
    ap.add_argument("out", nargs="?", metavar="OUT.zip")
    a = ap.parse_args(argv)
    if a.messages < 1 or a.seed < 0:
        ap.error("--messages must be >= 1 and --seed >= 0")
    if not (a.out or a.jsonl or a.dir):
        ap.error("nothing to write: give OUT.zip, --jsonl or --dir")
    t_start = time.monotonic()
    if a.check:
        cd.check_json()
    m = Model(a.messages, a.seed)
    spool_dir = os.path.dirname(os.path.abspath(a.out or a.jsonl or a.dir))
    os.makedirs(spool_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".gen-export-", dir=spool_dir)
    checker = Checker(m) if a.check else None
    try:
        results = {}
        for table, gen in GENERATORS:
            deflater = Deflater(os.path.join(tmp, table + ".z")) \
                if a.out else None
            jsonl = open(os.path.join(tmp, table + ".jsonl"), "wb") \
                if a.jsonl else None
            folder = None
            if a.dir:
                os.makedirs(os.path.join(a.dir, table), exist_ok=True)
                folder = open(os.path.join(a.dir, table,
                                           "documents.jsonl"), "wb")
            count, size = emit_table(m, table, gen,
                                     (deflater, jsonl, folder), checker)
            raw = deflater.finish() if deflater else None
            for f in (jsonl, folder):
                if f:
                    f.close()
            results[table] = (count, size, raw)
        # Today's exporter: smallest table first (ties by name).
        order = sorted(results, key=lambda t: (results[t][1], t))
        tables_doc = "".join('{"name":"%s","id":%d}\n' % (t, n) for t, n in
                             sorted(TABLES.items(), key=lambda x: x[1]))
        schema = b'"uniform"\n'
        if a.dir:
            write_dir(a.dir, tables_doc, schema)
        # Written aside and renamed, so a reader never sees half a file.
        if a.jsonl:
            with open(a.jsonl + ".part", "wb") as out:
                for t in order:
                    with open(os.path.join(tmp, t + ".jsonl"), "rb") as f:
                        shutil.copyfileobj(f, out, 1 << 20)
            os.replace(a.jsonl + ".part", a.jsonl)
        if a.out:
            with mkzip.ZipWriter(a.out + ".part") as z:
                z.add("README.md", README.encode())
                z.add("_tables/documents.jsonl", tables_doc.encode())
                for t in order:
                    z.add(t + "/documents.jsonl", results[t][2])
                    z.add(t + "/generated_schema.jsonl", schema)
                z.add("_storage/documents.jsonl", b"")
            os.replace(a.out + ".part", a.out)
    except BaseException:
        for f in (a.out, a.jsonl):
            if f and os.path.exists(f + ".part"):
                os.unlink(f + ".part")
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not a.quiet:
        secs = time.monotonic() - t_start
        for t in order:
            print("%-13s %9d docs %12d bytes" % (t, results[t][0],
                                                  results[t][1]),
                  file=sys.stderr)
        print("total %d bytes of JSONL%s in %.1f s" % (
            sum(r[1] for r in results.values()),
            ", zip %d bytes" % os.path.getsize(a.out) if a.out else "",
            secs), file=sys.stderr)
    return 0


def write_dir(d, tables_doc, schema):
    """The rest of the extracted folder: README, _tables, schemas,
    _storage."""
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write(README)
    os.makedirs(os.path.join(d, "_tables"), exist_ok=True)
    with open(os.path.join(d, "_tables", "documents.jsonl"), "w") as f:
        f.write(tables_doc)
    for t in TABLES:
        with open(os.path.join(d, t, "generated_schema.jsonl"), "wb") as f:
            f.write(schema)
    os.makedirs(os.path.join(d, "_storage"), exist_ok=True)
    open(os.path.join(d, "_storage", "documents.jsonl"), "wb").close()


if __name__ == "__main__":
    sys.exit(main())
