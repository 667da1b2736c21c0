#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-unzip.sh: cvx-unzip against bsdtar -xOf and unzip -p, in one run,
# interleaved (the page cache of these machines is small and dropped
# quickly: only ratios taken in one run mean something).
#
#   bench/bench-unzip.sh [-n ROUNDS] [ZIP]
#
# ZIP defaults to bench/data/chat-1m.zip (made by bench/gen-export.py).
# Each round runs, in turn:
#   cvx-unzip ZIP >/dev/null                       (tagging + validation)
#   bsdtar -xOf ZIP '*/documents.jsonl' >/dev/null (the anchor)
#   unzip -p ZIP '*/documents.jsonl' >/dev/null
#   cat ZIP | cvx-unzip >/dev/null                 (a pipe: spooled first)
#   cvx-unzip -l ZIP >/dev/null                    (inflate and count lines
#       only: about the reading thread's share of the work, the critical
#       path when the checking and tagging thread has a core of its own)
#   cat ZIP | cat >$TMPDIR/…                       (the copy any reader of
#       a pipe makes before it reaches the central directory at the end:
#       bsdtar's time plus this copy is the least the pipe run can take)
# and the script prints the median wall time of each, its ratio to bsdtar,
# the best wall time (the least disturbed by other work) and its ratio,
# the median CPU time (user + system, all threads and children: with the
# pipe, cat's share too), and the largest peak RSS seen (of cvx-unzip
# itself for the pipe).  cvx-unzip inflates on one core and checks and
# tags on the other: on a machine loaded by other work, wall time tends
# towards CPU time.
set -eu

. "$(dirname "$0")/lib.sh"
bench_opts "bench-unzip.sh [-n rounds] [zip]" 5 "$@"
shift $((OPTIND - 1))

here=$(cd "$(dirname "$0")" && pwd)
zip=${1:-$here/data/chat-1m.zip}
bin=${CVX_BUILD:-$here/../build}/cvx-unzip
[ -f "$zip" ] || { echo "bench-unzip: $zip: run bench/gen-export.py first" >&2; exit 1; }
[ -x "$bin" ] || { echo "bench-unzip: $bin: run make first" >&2; exit 1; }
bench_tmp


# Warm the page cache once, so no tool pays for the first read.
cat "$zip" >/dev/null
for i in $(seq "$rounds"); do
	run cvx "'$bin' '$zip' >/dev/null"
	run bsdtar "bsdtar -xOf '$zip' '*/documents.jsonl' >/dev/null"
	run copy "cat '$zip' | cat >'$tmp/copy'; rm -f '$tmp/copy'"
	run unzip "unzip -p '$zip' '*/documents.jsonl' >/dev/null"
	run list "'$bin' -l '$zip' >/dev/null"
	# time(1) measures the shell, and so the RSS of its biggest child:
	# cvx-unzip, not cat.
	run pipe "cat '$zip' | '$bin' >/dev/null"
done

base=$(figure bsdtar 1 median)
printf 'zip: %s (%s bytes), %s rounds, %s\n' "$zip" \
    "$(stat -c %s "$zip")" "$rounds" "$(uptime | sed 's/.*load/load/')"
printf '%-22s %7s %6s %7s %6s %7s %6s %8s\n' tool wall_s ratio best_s \
    ratio cpu_s ratio rss_kb
bbase=$(figure bsdtar 1 min)
cbase=$(figure bsdtar 3 median)
for name in cvx bsdtar unzip pipe list copy; do
	t=$(figure "$name" 1 median)
	c=$(figure "$name" 3 median)
	b=$(figure "$name" 1 min)
	rss=$(figure "$name" 2 max)
	case $name in
	cvx) label="cvx-unzip FILE" ;;
	bsdtar) label="bsdtar -xOf FILE" ;;
	unzip) label="unzip -p FILE" ;;
	pipe) label="cat FILE | cvx-unzip" ;;
	list) label="cvx-unzip -l FILE" ;;
	copy) label="cat FILE | cat >TMP" ;;
	esac
	printf '%-22s %7s %6s %7s %6s %7s %6s %8s\n' "$label" "$t" \
	    "$(ratio "$t" "$base")" \
	    "$b" \
	    "$(ratio "$b" "$bbase")" \
	    "$c" \
	    "$(ratio "$c" "$cbase")" \
	    "$rss"
done
c=$(figure copy 1 median)
printf 'pipe floor: bsdtar from the file + the copy = %s s, %s of bsdtar\n' \
    "$(awk -v a="$base" -v b="$c" 'BEGIN { print a + b }')" \
    "$(awk -v a="$base" -v b="$c" 'BEGIN { printf "%.2f", (a + b) / a }')"
