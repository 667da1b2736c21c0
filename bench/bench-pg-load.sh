#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-pg-load.sh: cvx-unzip | cvx-pg-load against psql \copy of a pre-made
# TSV of the same rows, and against Node `pg` with 100-row multi-row
# INSERTs, into one typed messages table on a private PostgreSQL, in one
# run, interleaved (only ratios taken in one run mean something here).
#
#   bench/bench-pg-load.sh [-n ROUNDS] [-N] [ZIP]
#
# ZIP defaults to bench/data/chat-1m.zip (bench/gen-export.py).  The
# table holds typed columns named as the document's keys plus the whole
# document as jsonb (--doc-column doc):
#   "_id" text PRIMARY KEY, "threadId" text, "userId" text, role text,
#   content text, position bigint, "_creationTime" timestamptz, doc jsonb
# Each round, the table emptied (TRUNCATE, untimed) before each load:
#   copy     psql -c '\copy messages FROM TSV'          (the anchor)
#   insert   cvx-unzip -t messages ZIP | cvx-pg-load
#   merge    the same with -m merge, into the empty table
#   remerge  -m merge again onto the loaded table (every row unchanged)
#   node     Node pg, BEGIN, INSERT ... VALUES of 100 rows, COMMIT
#            (skipped with -N, or when npm cannot install pg)
# The TSV (bench/data/<zip name>-messages.tsv) is made once by python3 from the
# tagged JSONL, independently of cvx.  Node's pg goes to
# bench/data/node_modules (git-ignored with bench/data/).
# Prints the median wall time, rows/s, ratio to copy, and peak RSS (of
# cvx-pg-load, cvx-unzip, psql, node: clients only; the server is shared).
set -eu

rounds=2
node=1
while getopts n:N opt; do
	case $opt in
	n) rounds=$OPTARG ;;
	N) node=0 ;;
	*) echo "usage: bench-pg-load.sh [-n rounds] [-N] [zip]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
data=$here/data
zip=${1:-$data/chat-1m.zip}
bin=${CVX_BUILD:-$root/build}
[ -f "$zip" ] || { echo "bench-pg-load: $zip: run bench/gen-export.py first" >&2; exit 1; }
for t in cvx-unzip cvx-pg-load; do
	[ -x "$bin/$t" ] || { echo "bench-pg-load: $bin/$t: run make first" >&2; exit 1; }
done
tmp=$(mktemp -d /tmp/cvxbench.XXXXXX)
pgdir=$tmp/pg
trap '"$root/tests/pg-server" stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
db=$("$root/tests/pg-server" start "$pgdir")
chmod 755 "$tmp"
sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

sql -c 'CREATE TABLE messages ("_id" text PRIMARY KEY, "threadId" text,
    "userId" text, role text, content text, position bigint,
    "_creationTime" timestamptz, doc jsonb)'

# The pre-made TSV, made once: python3's own COPY escaping and timestamps.
tsv=$data/$(basename "$zip" .zip)-messages.tsv
if [ ! -s "$tsv" ] || [ "$tsv" -ot "$zip" ]; then
	echo "bench-pg-load: making $tsv" >&2
	"$bin/cvx-unzip" -t messages "$zip" | python3 -c '
import datetime, decimal, json, sys
D = decimal.Decimal
epoch = datetime.datetime(1970, 1, 1)
def esc(s):
    return (s.replace("\\", "\\\\").replace("\n", "\\n")
            .replace("\r", "\\r").replace("\t", "\\t"))
out = sys.stdout
for line in sys.stdin:
    raw = line[len("{\"_table\":\"messages\","):].rstrip("\n")
    d = json.loads("{" + raw, parse_float=D)
    us = int((d["_creationTime"] * 1000).quantize(D(1), rounding=decimal.ROUND_HALF_EVEN))
    ts = (epoch + datetime.timedelta(microseconds=us)).strftime("%Y-%m-%d %H:%M:%S.%f+00")
    f = [d["_id"], d["threadId"], d.get("userId"), d["role"], d["content"],
         str(d["position"]), ts, "{" + raw]
    out.write("\t".join("\\N" if v is None else esc(v) for v in f) + "\n")
' >"$tsv.tmp"
	mv "$tsv.tmp" "$tsv"
fi
rows=$(wc -l <"$tsv")

# Node pg, installed once under bench/data (npm registry).
nodejs=$tmp/insert.js
if [ "$node" = 1 ] && command -v node >/dev/null && command -v npm >/dev/null; then
	if [ ! -d "$data/node_modules/pg" ]; then
		npm install --silent --no-audit --no-fund --prefix "$data" pg >&2 ||
		    node=0
	fi
else
	node=0
fi
cat >"$nodejs" <<'JS'
// The common script approach: read the stream, 100-row INSERTs.
const { Client } = require("pg");
const readline = require("readline");
const host = process.argv[2];
(async () => {
	const c = new Client({ host, database: "postgres", user: "postgres" });
	await c.connect();
	await c.query("BEGIN");
	let batch = [];
	const flush = async () => {
		if (batch.length === 0) return;
		const vals = [], ph = [];
		batch.forEach((d, i) => {
			const b = i * 8;
			ph.push(`($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5},` +
			    `$${b + 6},to_timestamp($${b + 7}::float8 / 1000),$${b + 8})`);
			vals.push(d._id, d.threadId, d.userId ?? null, d.role,
			    d.content, d.position, d._creationTime, JSON.stringify(d));
		});
		await c.query('INSERT INTO messages ("_id", "threadId", "userId", ' +
		    'role, content, position, "_creationTime", doc) VALUES ' +
		    ph.join(","), vals);
		batch = [];
	};
	const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
	for await (const line of rl) {
		const d = JSON.parse(line);
		delete d._table;
		batch.push(d);
		if (batch.length === 100) await flush();
	}
	await flush();
	await c.query("COMMIT");
	await c.end();
})().catch((e) => { console.error(e.message); process.exit(1); });
JS

# one NAME CMD: empty the table unless NAME is remerge, time CMD; append
# "wall_s rss_kb..." (rss of every timed process, max) to $tmp/NAME.
one() {
	name=$1
	shift
	[ "$name" = remerge ] || sql -c 'TRUNCATE messages'
	sql -c 'CHECKPOINT'
	start=$(date +%s.%N)
	sh -c "$*"
	end=$(date +%s.%N)
	rss=$(grep -hv '[^0-9]' "$tmp"/rss.client 2>/dev/null | tail -n 1)
	rm -f "$tmp"/rss.*
	n=$(psql -X -A -t -d "$db" -c 'SELECT count(*) FROM messages')
	[ "$n" = "$rows" ] || { echo "bench-pg-load: $name loaded $n of $rows rows" >&2; exit 1; }
	echo "$(echo "$end - $start" | bc) ${rss:-0}" >>"$tmp/$name"
	# Round 1: every load must leave the same rows as the anchor's.
	if [ "$i" = 1 ] && [ "$name" != node ]; then
		sum=$(psql -X -A -t -d "$db" -c 'SELECT md5(string_agg(md5(m::text), '"''"' ORDER BY "_id")) FROM messages m')
		[ "$name" = copy ] && echo "$sum" >"$tmp/sum"
		[ "$sum" = "$(cat "$tmp/sum")" ] || { echo "bench-pg-load: $name: rows differ from the \\copy rows" >&2; exit 1; }
	fi
}

# Peak RSS of the loading client (cvx-pg-load, psql, node).
T="/usr/bin/time -f %M -o $tmp/rss.client"
export DB="$db" COPYCMD="\\copy messages FROM '$tsv'"
load="$bin/cvx-pg-load -d \"\$DB\" -u messages --doc-column doc --summary none"
i=0
while [ $i -lt "$rounds" ]; do
	i=$((i + 1))
	echo "bench-pg-load: round $i of $rounds" >&2
	one copy "$T psql -X -q -d \"\$DB\" -c \"\$COPYCMD\""
	one insert "$bin/cvx-unzip -t messages '$zip' | $T $load"
	one merge "$bin/cvx-unzip -t messages '$zip' | $T $load -m merge"
	one remerge "$bin/cvx-unzip -t messages '$zip' | $T $load -m merge"
	[ "$node" = 0 ] || [ $i -gt 1 ] ||
	    one node "$bin/cvx-unzip -t messages '$zip' | NODE_PATH='$data/node_modules' $T node '$nodejs' '$pgdir'"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base=$(cut -d' ' -f1 "$tmp/copy" | median)
printf '%d rows, %d rounds, load average %s\n' "$rows" "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %9s %10s %7s %9s\n' what wall_s rows/s ratio rss_MB
for name in copy insert merge remerge node; do
	[ -s "$tmp/$name" ] || continue
	w=$(cut -d' ' -f1 "$tmp/$name" | median)
	r=$(cut -d' ' -f2 "$tmp/$name" | sort -n | tail -n 1)
	printf '%-8s %9.2f %10.0f %7.2f %9.1f\n' "$name" "$w" \
	    "$(echo "$rows / $w" | bc -l)" "$(echo "$w / $base" | bc -l)" \
	    "$(echo "$r / 1024" | bc -l)"
done
# Every round's wall time, to show the spread on a shared machine.
for name in copy insert merge remerge node; do
	[ -s "$tmp/$name" ] || continue
	printf '%-8s %s\n' "$name" "$(cut -d' ' -f1 "$tmp/$name" | xargs printf '%.1f ')"
done
