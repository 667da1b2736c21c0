# bench/lib.sh: what the bench scripts share.  Source it after `set -eu`.

# bench_opts USAGE ROUNDS "$@": read -n ROUNDS (default ROUNDS) into
# $rounds; the caller then does `shift $((OPTIND - 1))`.
bench_opts() {
	usage=$1
	rounds=$2
	shift 2
	while getopts n: opt; do
		case $opt in
		n) rounds=$OPTARG ;;
		*) echo "usage: $usage" >&2; exit 2 ;;
		esac
	done
}

# bench_tmp: a scratch directory in $tmp, removed on exit.
bench_tmp() {
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
}

# run NAME CMD: time CMD once, append "wall_s rss_kb cpu_s" to $tmp/NAME
# (cpu: user + system of the whole pipeline, which load from other
# processes disturbs less than the wall time).
run() {
	name=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$tmp/t" sh -c "$*"
	awk '{ print $1, $2, $3 + $4 }' "$tmp/t" >>"$tmp/$name"
}

# median: the median of the numbers on stdin, one a line.
median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# figure NAME COLUMN median|min|max: that figure of column 1 (wall), 2 (rss)
# or 3 (cpu) over the rounds of NAME.
figure() {
	case $3 in
	median) cut -d' ' -f"$2" "$tmp/$1" | median ;;
	min) cut -d' ' -f"$2" "$tmp/$1" | sort -n | head -n 1 ;;
	max) cut -d' ' -f"$2" "$tmp/$1" | sort -n | tail -n 1 ;;
	esac
}

# ratio A B: A / B with two decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
