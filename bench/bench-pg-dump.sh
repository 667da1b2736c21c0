#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-pg-dump.sh: cvx-pg-dump, and the PostgreSQL -> Convex runbook
# (examples/postgres-to-convex), against what a user would otherwise
# write, in one run, interleaved.
#
#   bench/bench-pg-dump.sh [-n ROUNDS] [MESSAGES]
#
# The chat app's sample (examples/postgres-to-convex/sample.sql, MESSAGES
# messages, default 1000000, and MESSAGES/20 chats) goes into schema
# bench_p2c of DATABASE_URL, or of a private PostgreSQL started here.
# Each round runs, in turn:
#   dump:   cvx-pg-dump --tables messages >/dev/null
#   anchor: psql -c "\copy (SELECT row_to_json(t) FROM messages t) TO STDOUT"
#           (types wrong: no $bytes, no float marking, timestamps as text)
#   runbook: cvx-pg-dump | cvx-jsonl-map -f map.jq | cvx-zip -o FILE
#   anchor:  per table, psql \copy row_to_json | jq (drop soft-deleted
#            rows, camelCase keys) >TABLE/documents.jsonl, then zip -r
#            (no Convex IDs, no references rewritten, no checks)
# (PARTS="dump" or PARTS="runbook" runs one pair only; default both)
# and prints the median wall time of each, the ratios (targets: dump <=
# 1.0x its anchor, runbook <= 0.5x its anchor) and the peak RSS.
set -eu

. "$(dirname "$0")/lib.sh"
bench_opts "bench-pg-dump.sh [-n rounds] [messages]" 3 "$@"
shift $((OPTIND - 1))

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
rb=$root/examples/postgres-to-convex
messages=${1:-1000000}
parts=${PARTS:-dump runbook}
bin=${CVX_BUILD:-$root/build}
for t in cvx-pg-dump cvx-jsonl-map cvx-zip cvx-pg-load cvx-count; do
	[ -x "$bin/$t" ] || { echo "bench-pg-dump: $bin/$t: run make first" >&2; exit 1; }
done
bench_tmp
pgdir=
cleanup() {
	[ -z "$pgdir" ] || "$root/tests/pg-server" stop "$pgdir" >/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
if [ -z "${DATABASE_URL:-}" ]; then
	pgdir=$(mktemp -d /tmp/cvxpg.XXXXXX)
	DATABASE_URL=$("$root/tests/pg-server" start "$pgdir")
fi
export DATABASE_URL
schema=bench_p2c
mk() {
	make -s --no-print-directory -C "$rb" SCHEMA=$schema CVX_BUILD="$bin" \
	    WORK="$tmp" "$@"
}
mk schema >/dev/null
if [ "$(psql -X -A -t -d "$DATABASE_URL" -c "SELECT count(*) FROM $schema.messages")" != "$messages" ]; then
	mk sample CHATS=$((messages / 20)) MESSAGES="$messages" >/dev/null
	psql -X -q -d "$DATABASE_URL" -c "VACUUM ANALYZE $schema.chats, $schema.messages, $schema.sync_status"
fi

dump="'$bin/cvx-pg-dump' --quiet --schema $schema --tables messages"
anchor_dump="psql -X -q -d \"\$DATABASE_URL\" -c '\\copy (SELECT row_to_json(t) FROM $schema.messages t) TO STDOUT'"
runbook="'$bin/cvx-pg-dump' --quiet --schema $schema --tables chats,messages,sync_status \
    | '$bin/cvx-jsonl-map' --table-numbers '$rb/table-numbers.jsonl' -f '$rb/map.jq' \
    | '$bin/cvx-zip' --table-numbers '$rb/table-numbers.jsonl' --int64 sync_status.cursor -o '$tmp/cvx.zip'"
# What a user writes without cvx: row_to_json, jq for the renames and
# the soft deletes, then zip.
camel='def camel: split("_") | .[0] + (.[1:] | map((.[:1] | ascii_upcase) + .[1:]) | join("")); select(.deleted_at == null) | del(.deleted_at) | with_entries(.key |= camel)'
anchor_runbook="rm -rf '$tmp/a' && mkdir -p '$tmp/a' && cd '$tmp/a' && \
    for t in chats messages sync_status; do mkdir \$t; \
    psql -X -q -d \"\$DATABASE_URL\" -c \"\\\\copy (SELECT row_to_json(t) FROM $schema.\$t t) TO STDOUT\" \
    | jq -c '$camel' >\$t/documents.jsonl; done && \
    rm -f ../a.zip && zip -q -r ../a.zip chats messages sync_status"

# The anchors must at least see the same rows.
eval "$dump" | wc -l >"$tmp/n.cvx"
eval "$anchor_dump" | wc -l >"$tmp/n.anchor"
cmp -s "$tmp/n.cvx" "$tmp/n.anchor" ||
    { echo "bench-pg-dump: cvx-pg-dump and psql disagree on the rows" >&2; exit 1; }

for i in $(seq "$rounds"); do
	case " $parts " in *" dump "*)
		run dump "$dump >/dev/null"
		run anchor_dump "$anchor_dump >/dev/null" ;;
	esac
	case " $parts " in *" runbook "*)
		run runbook "$runbook"
		run anchor_runbook "$anchor_runbook" ;;
	esac
done

printf 'messages: %s rows, %s rounds, %s\n' "$(cat "$tmp/n.cvx")" "$rounds" \
    "$(uptime | sed 's/.*load/load/')"
printf '%-44s %9s %12s %7s\n' job median_s peak_rss_kb cpu_s
for name in dump anchor_dump runbook anchor_runbook; do
	[ -s "$tmp/$name" ] || continue
	case $name in
	dump) label="cvx-pg-dump messages" ;;
	anchor_dump) label="psql \\copy row_to_json messages" ;;
	runbook) label="cvx-pg-dump | cvx-jsonl-map | cvx-zip" ;;
	anchor_runbook) label="psql \\copy row_to_json | jq | zip" ;;
	esac
	printf '%-44s %9s %12s %7s\n' "$label" "$(figure "$name" 1 median)" \
	    "$(figure "$name" 2 max)" "$(figure "$name" 3 median)"
done
[ ! -s "$tmp/dump" ] || printf 'dump / anchor: %s (target <= 1.0)\n' \
    "$(ratio "$(figure dump 1 median)" "$(figure anchor_dump 1 median)")"
[ ! -s "$tmp/runbook" ] || printf 'runbook / anchor: %s (target <= 0.5)\n' \
    "$(ratio "$(figure runbook 1 median)" "$(figure anchor_runbook 1 median)")"
