#!/bin/sh
# SPDX-License-Identifier: MIT
# Run libFuzzer harnesses one after another, SECONDS each (fuzz/fuzz.mk).
#
#   sh fuzz/run.sh BUILDDIR SECONDS NAME...
#
# For each NAME: replay fuzz/regressions/NAME/* (inputs that once failed),
# build its seeds in a temporary directory (fuzz/seeds.sh), then fuzz
# BUILDDIR/NAME with the dictionaries fuzz/dict/*.dict it uses.  The
# corpus it grows is temporary too (it derives from real exports: never
# kept in the project); a failing input stays in BUILDDIR/artifacts/NAME/.
# Exit 1 if any harness failed, after running them all.
set -u

dir=$1
secs=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cvx-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# Sanitizers: stop at the first report, with a stack.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Leaks inside the libraries (libjq 1.6's parser) are not ours to fix.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/fuzz/lsan.supp}"

# The dictionaries of a harness.
dicts() {
	case $1 in
	base64) echo base64 json ;;
	convex_id) echo convex_id ;;
	jqlib) echo json base64 convex_id ;;
	fastpath) echo json fastpath ;;
	copybin) echo json copybin ;;
	export_name) echo json zip ;;
	unzip_zip) echo zip json ;;
	*) echo json ;;
	esac
}

# Extra libFuzzer options of a harness.
opts() {
	case $1 in
	unzip_zip) echo -max_len=65536 ;;
	convex_id) echo -max_len=64 ;;
	jqlib) echo -max_len=256 ;;
	*) echo -max_len=8192 ;;
	esac
}

# One synthetic export for every harness's seeds (fuzz/seeds.sh).
export CVX_SEEDS_GEN="$tmp/gen"

failed=
for name; do
	bin=$dir/$name
	w=$tmp/$name
	mkdir -p "$w/seeds" "$w/corpus" "$dir/artifacts/$name"
	if ! sh fuzz/seeds.sh "$name" "$w/seeds"; then
		echo "fuzz: $name: seeds could not be built" >&2
		failed="$failed $name"
		continue
	fi
	: >"$w/dict"
	for d in $(dicts "$name"); do
		cat "fuzz/dict/$d.dict" >>"$w/dict"
	done
	regs=$(find "fuzz/regressions/$name" -type f 2>/dev/null | sort)
	if [ -n "$regs" ]; then
		# shellcheck disable=SC2086
		if ! "$bin" $regs >"$w/log" 2>&1; then
			echo "fuzz: $name: a regression input fails again:" >&2
			tail -n 40 "$w/log" >&2
			failed="$failed $name"
			continue
		fi
	fi
	echo "fuzz: $name: $(find "$w/seeds" -type f | wc -l) seeds," \
	    "$secs s" >&2
	# shellcheck disable=SC2046
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -dict="$w/dict" -artifact_prefix="$dir/artifacts/$name/" \
	    -print_final_stats=1 $(opts "$name") \
	    "$w/corpus" "$w/seeds" >"$w/log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$w/log")
		cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' \
		    "$w/log" | tail -n 1)
		echo "fuzz: $name: ok, $runs runs, $cov" >&2
	else
		echo "fuzz: $name: FAILED; its report:" >&2
		grep -v '^#[0-9]' "$w/log" | tail -n 60 >&2
		failed="$failed $name"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed (inputs in $dir/artifacts/)" >&2
	exit 1
fi
