#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-schema.sh: cvx-schema against `cvx-unzip | cvx-count`, in one run,
# interleaved (the page cache of these machines is small and dropped
# quickly: only ratios taken in one run mean something).
#
#   bench/bench-schema.sh [-n ROUNDS] [ZIP]
#
# ZIP defaults to bench/data/chat-1m.zip (made by bench/gen-export.py).
# Each round runs, in turn:
#   cvx-schema ZIP >/dev/null                 (one pass: every document's
#       fields typed, every _id kept as a digest, references checked)
#   cvx-unzip ZIP | cvx-count >/dev/null      (the anchor: the same ZIP
#       read once, every document checked and counted)
# and the script prints the median wall time of each, its ratio to the
# anchor, the best wall time (the least disturbed by other work) and its
# ratio, the median CPU time (user + system, every thread and process of
# the pipe) and the largest peak RSS seen (of the pipe's biggest process).
# Target (issue 17): ratio <= 1.5, cvx-schema below 64 MiB RSS.
set -eu

. "$(dirname "$0")/lib.sh"
bench_opts "bench-schema.sh [-n rounds] [zip]" 3 "$@"
shift $((OPTIND - 1))

here=$(cd "$(dirname "$0")" && pwd)
zip=${1:-$here/data/chat-1m.zip}
build=${CVX_BUILD:-$here/../build}
for t in cvx-schema cvx-unzip cvx-count; do
	[ -x "$build/$t" ] ||
	    { echo "bench-schema: $build/$t: run make first" >&2; exit 1; }
done
[ -f "$zip" ] ||
    { echo "bench-schema: $zip: run bench/gen-export.py first" >&2; exit 1; }
bench_tmp

# Warm the page cache once, so no tool pays for the first read.
cat "$zip" >/dev/null
for i in $(seq "$rounds"); do
	run schema "'$build/cvx-schema' '$zip' >/dev/null"
	run anchor "'$build/cvx-unzip' '$zip' | '$build/cvx-count' >/dev/null"
done

base=$(figure anchor 1 median)
bbase=$(figure anchor 1 min)
cbase=$(figure anchor 3 median)
printf 'zip: %s (%s bytes), %s rounds, %s\n' "$zip" \
    "$(stat -c %s "$zip")" "$rounds" "$(uptime | sed 's/.*load/load/')"
printf '%-30s %7s %6s %7s %6s %7s %6s %8s\n' tool wall_s ratio best_s \
    ratio cpu_s ratio rss_kb
for name in schema anchor; do
	t=$(figure "$name" 1 median)
	b=$(figure "$name" 1 min)
	c=$(figure "$name" 3 median)
	case $name in
	schema) label="cvx-schema FILE" ;;
	anchor) label="cvx-unzip FILE | cvx-count" ;;
	esac
	printf '%-30s %7s %6s %7s %6s %7s %6s %8s\n' "$label" "$t" \
	    "$(ratio "$t" "$base")" "$b" "$(ratio "$b" "$bbase")" "$c" \
	    "$(ratio "$c" "$cbase")" "$(figure "$name" 2 max)"
done
