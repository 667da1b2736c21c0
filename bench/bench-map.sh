#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-map.sh: cvx-jsonl-map against jq -c (and gojq -c when installed),
# same filters, same input, interleaved in one run.
#
#   bench/bench-map.sh [FILE.jsonl]      (default bench/data/chat-1m.jsonl)
#
# Environment: ROUNDS (default 2), JOBS (cvx-jsonl-map -j, default: all
# CPUs), CVX_BUILD (default build).  Prints, per filter and tool, the best
# wall time of the rounds, user+system CPU, throughput, the speed-up over
# jq (wall), the CPU against jq's, and peak RSS; the load average before
# and after, since other work on the machine skews wall times.  The CPU
# ratio is the steady one under load (issue 19's target: <= 0.27).
set -euo pipefail

cd "$(dirname "$0")/.."
DATA=${1:-bench/data/chat-1m.jsonl}
ROUNDS=${ROUNDS:-2}
MAP=${CVX_BUILD:-build}/cvx-jsonl-map
JOBS=${JOBS:+-j $JOBS}

[ -r "$DATA" ] || { echo "bench-map: $DATA: no such file" >&2; exit 1; }
[ -x "$MAP" ] || { echo "bench-map: $MAP: not built" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench-map: jq is missing" >&2; exit 1; }

names=(identity projection select runbook)
filters=(
	'.'
	'{_table, id: ._id, created: (._creationTime / 1000 | todate)}'
	'select(._table == "messages" and .role == "user")'
	'select(._table == "messages") | {_table, convex_id: ._id,
	    thread_id: .threadId, user_id: .userId, role, content, position,
	    created_at: (._creationTime | cvx_todate), metadata}'
)
# cvx-jsonl-map's built-in cvx_todate (jqtext.c), for jq and gojq.
todate='def cvx_todate: floor as $ms | ($ms - 1000 * (($ms / 1000) | floor))
    as $r | ((($ms - $r) / 1000) | todate | rtrimstr("Z")) + "."
    + ("00\($r)" | .[-3:]) + "Z";'

tools=(cvx-jsonl-map jq)
command -v gojq >/dev/null && tools+=(gojq)

# Run tool $1 with filter $2 on $DATA; print "wall cpu rss_kb".
run_one() {
	local t=$1 f=$2 out
	case $t in
	cvx-jsonl-map) set -- "$MAP" $JOBS "$f" ;;
	*) set -- "$t" -c "$todate $f" ;;
	esac
	out=$( { /usr/bin/time -f '%e %U %S %M' "$@" <"$DATA" >/dev/null; } 2>&1 |
	    tail -1)
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' <<<"$out"
}

bytes=$(stat -c %s "$DATA")
echo "data: $DATA, $((bytes / 1000000)) MB, $(wc -l <"$DATA") lines"
echo "cpus: $(nproc); cvx-jsonl-map ${JOBS:-(default -j)}; rounds: $ROUNDS"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$DATA" >/dev/null		# into the page cache

declare -A best cpu rss
for ((r = 1; r <= ROUNDS; r++)); do
	for i in "${!names[@]}"; do
		# Rotate the order each round so no tool always goes first.
		n=${#tools[@]}
		for ((k = 0; k < n; k++)); do
			t=${tools[$(((k + r + i) % n))]}
			read -r w c m < <(run_one "$t" "${filters[$i]}")
			key="$i $t"
			echo "  round $r ${names[$i]} $t: ${w}s" >&2
			if [ -z "${best[$key]:-}" ] ||
			    awk -v a="$w" -v b="${best[$key]}" 'BEGIN { exit !(a < b) }'; then
				best[$key]=$w
				cpu[$key]=$c
			fi
			[ "${rss[$key]:-0}" -ge "$m" ] || rss[$key]=$m
		done
	done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

printf '\n%-11s %-14s %8s %8s %8s %8s %8s %8s\n' filter tool wall_s cpu_s MB/s "x jq" cpu/jq rss_MB
for i in "${!names[@]}"; do
	for t in "${tools[@]}"; do
		key="$i $t"
		awk -v f="${names[$i]}" -v t="$t" -v w="${best[$key]}" \
		    -v c="${cpu[$key]}" -v m="${rss[$key]}" -v b="$bytes" \
		    -v j="${best[$i jq]}" -v jc="${cpu[$i jq]}" 'BEGIN {
			printf "%-11s %-14s %8.2f %8.2f %8.0f %8.2f %8.2f %8.1f\n",
			    f, t, w, c, b / 1e6 / w, j / w, c / jc, m / 1024 }'
	done
done
