#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-zip.sh: cvx-zip against zip(1) and bsdtar(1) writing the same
# per-table files into a ZIP, and cvx_id's cost in cvx-jsonl-map, in one
# run, interleaved (only figures taken in one run compare).
#
#   bench/bench-zip.sh [-n ROUNDS] [JSONL]
#
# JSONL defaults to bench/data/chat-1m.jsonl (bench/gen-export.py --jsonl).
# The anchors do less than cvx-zip: they compress files already split by
# table (made once here, by unzipping cvx-zip's own output, so the bytes
# are the same), with no spooling and no checks.  Each round runs:
#   cvx-zip --int64 '*' -o OUT <JSONL      (check, spool, write)
#   zip -q -r OUT .                        (in the per-table tree)
#   bsdtar --format zip -cf OUT -C TREE .
#   cvx-jsonl-map with cvx_id, and the same filter without it
# Targets (issue 13): cvx-zip <= 1.2x the faster anchor, peak RSS < 64 MiB;
# cvx_id's filter <= 1.2x the filter without it (CPU).
set -eu

. "$(dirname "$0")/lib.sh"
bench_opts "bench-zip.sh [-n rounds] [jsonl]" 3 "$@"
shift $((OPTIND - 1))

here=$(cd "$(dirname "$0")" && pwd)
in=${1:-$here/data/chat-1m.jsonl}
build=${CVX_BUILD:-$here/../build}
[ -f "$in" ] || { echo "bench-zip: $in: run bench/gen-export.py --jsonl first" >&2; exit 1; }
for t in cvx-zip cvx-jsonl-map; do
	[ -x "$build/$t" ] || { echo "bench-zip: $build/$t: run make first" >&2; exit 1; }
done
command -v zip >/dev/null && command -v bsdtar >/dev/null ||
    { echo "bench-zip: needs zip and bsdtar (apt-get install zip libarchive-tools)" >&2; exit 1; }
bench_tmp

# The tree the anchors compress: cvx-zip's own entries.
"$build/cvx-zip" --int64 '*' -o "$tmp/ref.zip" <"$in"
mkdir "$tmp/tree"
(cd "$tmp/tree" && unzip -q "$tmp/ref.zip")
# A runbook-shaped mapping: every _id and reference minted from a key.
with='._id = cvx_id(._table; ._id) | if .threadId then .threadId = cvx_id("threads"; .threadId) else . end | if .userId then .userId = cvx_id("users"; .userId) else . end'
without='._id = (._table + ":" + ._id) | if .threadId then .threadId = ("threads:" + .threadId) else . end | if .userId then .userId = ("users:" + .userId) else . end'
# The names cvx_id looks up, as an export's _tables lists them.
unzip -p "$tmp/ref.zip" _tables/documents.jsonl >"$tmp/tables.jsonl"

for i in $(seq "$rounds"); do
	run cvx "'$build/cvx-zip' --int64 '*' -o '$tmp/c.zip' <'$in'"
	run zip "cd '$tmp/tree' && rm -f '$tmp/z.zip' && zip -q -r '$tmp/z.zip' ."
	run bsdtar "bsdtar --format zip -cf '$tmp/b.zip' -C '$tmp/tree' ."
	run with "'$build/cvx-jsonl-map' --table-numbers '$tmp/tables.jsonl' '$with' '$in' >/dev/null"
	run without "'$build/cvx-jsonl-map' '$without' '$in' >/dev/null"
done

size=$(stat -c %s "$in")
printf 'input: %s (%s bytes), %s rounds, %s\n' "$in" "$size" "$rounds" \
    "$(uptime | sed 's/.*load/load/')"
printf '%-32s %9s %9s %12s %7s\n' step median_s cpu_s peak_rss_kb zip_MB
for name in cvx zip bsdtar with without; do
	case $name in
	cvx) label="cvx-zip" out=c.zip ;;
	zip) label="zip -q -r" out=z.zip ;;
	bsdtar) label="bsdtar --format zip" out=b.zip ;;
	with) label="cvx-jsonl-map with cvx_id" out= ;;
	without) label="cvx-jsonl-map without" out= ;;
	esac
	mb=-
	[ -z "$out" ] || mb=$(awk -v s="$(stat -c %s "$tmp/$out")" 'BEGIN { printf "%.1f", s / 1e6 }')
	printf '%-32s %9s %9s %12s %7s\n' "$label" "$(figure "$name" 1 median)" \
	    "$(figure "$name" 3 median)" "$(figure "$name" 2 max)" "$mb"
done
zipt=$(figure zip 1 median)
bsdt=$(figure bsdtar 1 median)
best=$(awk -v a="$zipt" -v b="$bsdt" 'BEGIN { print (a < b ? a : b) }')
printf 'cvx-zip / faster anchor (wall): %s (target <= 1.2)\n' \
    "$(ratio "$(figure cvx 1 median)" "$best")"
printf 'cvx-zip peak RSS: %s MiB (target < 64)\n' \
    "$(awk -v k="$(figure cvx 2 max)" 'BEGIN { printf "%.1f", k / 1024 }')"
printf 'cvx_id filter / same filter without (cpu): %s (target <= 1.2)\n' \
    "$(ratio "$(figure with 3 median)" "$(figure without 3 median)")"
