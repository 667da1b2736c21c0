#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-count.sh: cvx-count against wc -l and a jq reduction, in one run,
# interleaved (the page cache of these machines is small and dropped
# quickly: only figures taken in one run compare).
#
#   bench/bench-count.sh [-n ROUNDS] [JSONL]
#
# JSONL defaults to bench/data/chat-1m.jsonl (bench/gen-export.py --jsonl).
# Each round runs, in turn:
#   cvx-count FILE >/dev/null          (mapped whole, every line validated)
#   cat FILE | cvx-count >/dev/null    (a pipe: the 1 MiB line reader)
#   wc -l FILE >/dev/null              (the floor: newlines only)
#   jq -n 'reduce inputs as $d ({}; .[$d._table] += 1)' FILE >/dev/null
# and the script prints the median wall time of each, its throughput, its
# ratio to cvx-count FILE, and the largest peak RSS seen.  The counts of
# cvx-count and jq are compared once first.
set -eu

. "$(dirname "$0")/lib.sh"
bench_opts "bench-count.sh [-n rounds] [jsonl]" 3 "$@"
shift $((OPTIND - 1))

here=$(cd "$(dirname "$0")" && pwd)
in=${1:-$here/data/chat-1m.jsonl}
bin=${CVX_BUILD:-$here/../build}/cvx-count
[ -f "$in" ] || { echo "bench-count: $in: run bench/gen-export.py --jsonl first" >&2; exit 1; }
[ -x "$bin" ] || { echo "bench-count: $bin: run make first" >&2; exit 1; }
bench_tmp
jqprog='reduce inputs as $d ({}; .[$d._table] += 1)'


# The same figures, or the comparison means nothing.
"$bin" "$in" >"$tmp/cvx.out"
jq -n -r "$jqprog | to_entries | sort_by(.key)[] | \"\(.key)\t\(.value)\"" \
    "$in" >"$tmp/jq.out"
cmp -s "$tmp/cvx.out" "$tmp/jq.out" ||
    { echo "bench-count: cvx-count and jq disagree" >&2; exit 1; }

for i in $(seq "$rounds"); do
	run cvx "'$bin' '$in' >/dev/null"
	run pipe "cat '$in' | '$bin' >/dev/null"
	run wc "wc -l '$in' >/dev/null"
	run jq "jq -n '$jqprog' '$in' >/dev/null"
done

size=$(stat -c %s "$in")
base=$(figure cvx 1 median)
printf 'input: %s (%s bytes, %s lines), %s rounds, %s\n' "$in" "$size" \
    "$(wc -l <"$in")" "$rounds" "$(uptime | sed 's/.*load/load/')"
printf '%-34s %8s %8s %12s %11s %6s\n' tool median_s GB/s "x cvx-count" \
    peak_rss_kb cpu_s
for name in cvx pipe wc jq; do
	t=$(figure "$name" 1 median)
	rss=$(figure "$name" 2 max)
	cpu=$(figure "$name" 3 median)
	case $name in
	cvx) label="cvx-count FILE" ;;
	pipe) label="cat FILE | cvx-count" ;;
	wc) label="wc -l FILE" ;;
	jq) label="jq -n 'reduce inputs ...' FILE" ;;
	esac
	printf '%-34s %8s %8s %12s %11s %6s\n' "$label" "$t" \
	    "$(awk -v s="$size" -v t="$t" 'BEGIN { printf "%.2f", s / t / 1e9 }')" \
	    "$(ratio "$t" "$base")" \
	    "$rss" "$cpu"
done
