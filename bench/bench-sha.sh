#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-sha.sh: cvx-sha against openssl dgst -sha256 and coreutils
# sha256sum, in one run, interleaved (the page cache of these machines is
# small and dropped quickly: only figures taken in one run compare).
#
#   bench/bench-sha.sh [-n ROUNDS] [FILE]
#
# FILE defaults to bench/data/chat-1m.zip (made by bench/gen-export.py).
# Each round runs, in turn:
#   openssl dgst -sha256 FILE          (the anchor: hash only)
#   cvx-sha FILE >/dev/null            (pass-through, nothing to copy to)
#   cvx-sha FILE | cat >/dev/null      (pass-through into a pipe: splice)
#   cat FILE | cvx-sha | cat >/dev/null (pipe to pipe: read, hash, write)
#   cvx-sha -c HEX FILE | cat >/dev/null (verify, holding back 4 MiB)
#   cvx-sha -n FILE                    (hash only, as sha256sum)
#   sha256sum FILE
# and the script prints the median wall time of each, its throughput, the
# throughput relative to openssl (>= 0.9 is the target for cvx-sha), and
# the largest peak RSS seen.
set -eu

. "$(dirname "$0")/lib.sh"
bench_opts "bench-sha.sh [-n rounds] [file]" 5 "$@"
shift $((OPTIND - 1))

here=$(cd "$(dirname "$0")" && pwd)
in=${1:-$here/data/chat-1m.zip}
bin=${CVX_BUILD:-$here/../build}/cvx-sha
[ -f "$in" ] || { echo "bench-sha: $in: run bench/gen-export.py first" >&2; exit 1; }
[ -x "$bin" ] || { echo "bench-sha: $bin: run make first" >&2; exit 1; }
bench_tmp


# The same digest, or the comparison means nothing; this also warms the
# page cache.
hex=$(openssl dgst -sha256 -r "$in" | cut -c1-64)
[ "$("$bin" -n "$in")" = "$(sha256sum "$in")" ] ||
    { echo "bench-sha: cvx-sha and sha256sum disagree" >&2; exit 1; }

for i in $(seq "$rounds"); do
	run openssl "openssl dgst -sha256 '$in' >/dev/null"
	run null "'$bin' '$in' >/dev/null 2>&1"
	run pipe "'$bin' '$in' 2>/dev/null | cat >/dev/null"
	run pipe2 "cat '$in' | '$bin' 2>/dev/null | cat >/dev/null"
	run check "'$bin' -c $hex '$in' | cat >/dev/null"
	run nopass "'$bin' -n '$in' >/dev/null"
	run sha256sum "sha256sum '$in' >/dev/null"
done

size=$(stat -c %s "$in")
base=$(figure openssl 1 median)
printf 'input: %s (%s bytes), %s rounds, %s\n' "$in" "$size" "$rounds" \
    "$(uptime | sed 's/.*load/load/')"
printf '%-36s %8s %8s %12s %11s %6s\n' tool median_s GB/s "x openssl" \
    peak_rss_kb cpu_s
for name in openssl null pipe pipe2 check nopass sha256sum; do
	t=$(figure "$name" 1 median)
	rss=$(figure "$name" 2 max)
	cpu=$(figure "$name" 3 median)
	case $name in
	openssl) label="openssl dgst -sha256 FILE" ;;
	null) label="cvx-sha FILE >/dev/null" ;;
	pipe) label="cvx-sha FILE | cat" ;;
	pipe2) label="cat FILE | cvx-sha | cat" ;;
	check) label="cvx-sha -c HEX FILE | cat" ;;
	nopass) label="cvx-sha -n FILE" ;;
	sha256sum) label="sha256sum FILE" ;;
	esac
	printf '%-36s %8s %8s %12s %11s %6s\n' "$label" "$t" \
	    "$(awk -v s="$size" -v t="$t" 'BEGIN { printf "%.2f", s / t / 1e9 }')" \
	    "$(ratio "$base" "$t")" \
	    "$rss" "$cpu"
done
