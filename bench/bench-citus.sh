#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-citus.sh: cvx-pg-load into a Citus cluster (a coordinator and two
# workers on this machine, tests/citus/cluster) against the same load into
# one plain PostgreSQL (tests/pg-server), in one run, interleaved.
#
#   bench/bench-citus.sh [-n ROUNDS] [ZIP]
#
# ZIP defaults to bench/data/chat-100k.zip, made by bench/gen-export.py
# (--messages 100000) if missing.  The table is bench-pg-load.sh's typed
# messages table (plus the document as jsonb, --doc-column doc); on Citus
# it is hash-distributed on _id in 32 shards.  Each round, on each side:
#   insert   cvx-unzip --tables messages ZIP | cvx-pg-load, into the empty table
#   merge    the same with --mode merge, into the empty table
#   remerge  --mode merge again onto the loaded table (every row unchanged)
# Prints the median wall time of each and the ratio Citus / plain.
# Target (issue 18): remerge on Citus <= 1.3x plain.  Needs Citus
# installed (tests/citus/build SRCDIR).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/lib.sh"
bench_opts "bench-citus.sh [-n rounds] [zip]" 3 "$@"
shift $((OPTIND - 1))
zip=${1:-$here/data/chat-100k.zip}
bin=${CVX_BUILD:-$root/build}
for t in cvx-unzip cvx-pg-load; do
	[ -x "$bin/$t" ] || { echo "bench-citus: $bin/$t: run make first" >&2; exit 1; }
done
if [ ! -f "$zip" ]; then
	echo "bench-citus: making $zip" >&2
	mkdir -p "$(dirname "$zip")"
	python3 "$here/gen-export.py" -q --messages 100000 "$zip"
fi

tmp=$(mktemp -d /tmp/cvxbench.XXXXXX)
ct=$tmp/ct
pg=$tmp/pg
trap '"$root/tests/citus/cluster" stop "$ct" >/dev/null 2>&1 || true
    "$root/tests/pg-server" stop "$pg" >/dev/null 2>&1 || true
    rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
citus=$("$root/tests/citus/cluster" start "$ct")
plain=$("$root/tests/pg-server" start "$pg")
ddl='CREATE TABLE messages ("_id" text PRIMARY KEY, "threadId" text,
    "userId" text, role text, content text, position bigint,
    "_creationTime" timestamptz, doc jsonb)'
psql -X -q -v ON_ERROR_STOP=1 -d "$plain" -c "$ddl"
psql -X -q -v ON_ERROR_STOP=1 -d "$citus" -c "$ddl" \
    -c "SET citus.shard_count = 32" \
    -c "SELECT create_distributed_table('messages', '_id')" >/dev/null

# one NAME SIDE MODE: empty the table unless NAME is remerge, then time
# the load into SIDE (plain or citus) with MODE.
one() {
	eval "db=\$$2"
	[ "$1" = remerge ] || psql -X -q -d "$db" -c 'TRUNCATE messages'
	psql -X -q -d "$db" -c 'CHECKPOINT' >/dev/null 2>&1 || true
	run "$1-$2" "'$bin/cvx-unzip' --tables messages '$zip' |
	    '$bin/cvx-pg-load' --dbname '$db' --doc-column doc --summary none --mode $3"
}

i=0
while [ $i -lt "$rounds" ]; do
	i=$((i + 1))
	echo "bench-citus: round $i of $rounds" >&2
	for side in plain citus; do one insert $side insert; done
	for side in citus plain; do one merge $side merge; done
	for side in plain citus; do one remerge $side merge; done
done

# Both sides hold the same rows.
sum='SELECT md5(string_agg(md5(m::text), $$$$ ORDER BY "_id")) FROM messages m'
a=$(psql -X -A -t -d "$plain" -c "$sum")
b=$(psql -X -A -t -d "$citus" -c "$sum")
[ "$a" = "$b" ] || { echo "bench-citus: Citus and plain PostgreSQL rows differ" >&2; exit 1; }

rows=$(psql -X -A -t -d "$plain" -c 'SELECT count(*) FROM messages')
printf '%s rows, %d rounds, load average %s\n' "$rows" "$rounds" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %9s %9s %7s\n' what plain_s citus_s ratio
for name in insert merge remerge; do
	p=$(figure "$name-plain" 1 median)
	c=$(figure "$name-citus" 1 median)
	printf '%-8s %9.2f %9.2f %7s\n' "$name" "$p" "$c" "$(ratio "$c" "$p")"
done
for name in insert merge remerge; do
	for side in plain citus; do
		printf '%-14s %s\n' "$name-$side" "$(cut -d' ' -f1 "$tmp/$name-$side" | xargs)"
	done
done
