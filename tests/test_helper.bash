# Shared set-up for every .bats file: load with `load test_helper`.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

# The binaries under test: $CVX_BUILD (set by `make check`), else build/.
CVX_BUILD=${CVX_BUILD:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)/build}
PATH=$CVX_BUILD:$PATH
export CVX_BUILD PATH

# The project root and the real exports kept beside it (never copied in).
ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
CORPUS=${CVX_CORPUS:-$ROOT/../shared/corpus/real}
export ROOT CORPUS

# Sanitizer builds: fail on the first report; libraries' own leaks at exit
# are not ours to fix.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Skip when a prerequisite is missing, except under CI, where the missing
# prerequisite is the failure.
require() {
	if [ -n "${CI:-}" ]; then
		fail "missing under CI: $*"
	fi
	skip "$*"
}

# The real corpus must be there under CI; elsewhere its absence skips.
require_corpus() {
	[ -d "$CORPUS" ] || require "real corpus not found at $CORPUS"
}

# A fresh scratch directory for one test, removed by bats afterwards.
scratch() {
	mktemp -d "$BATS_TEST_TMPDIR/XXXXXX"
}

# True if TEXT is exactly one abort line from TOOL: what a stream tool
# writes when it fails before any document (cvx_die in common/out.c).
is_only_abort() {
	[[ $2 == "#cvx-abort $1: "* && $2 != *$'\n'* ]]
}

# Assert that $output is the abort line of TOOL and nothing else.
assert_only_abort() {
	is_only_abort "$1" "$output" ||
	    fail "expected only an abort line from $1, got: $output"
}

# Per-table document counts of the export ZIP $1, computed without cvx
# (Python's zipfile): table<TAB>count, root tables with documents.
export_counts() {
	python3 - "$1" <<'EOF'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for n in sorted(z.namelist()):
	if n.endswith("/documents.jsonl") and not n.startswith("_"):
		k = len(z.read(n).splitlines())
		if k:
			print(f"{n[:-len('/documents.jsonl')]}\t{k}")
EOF
}
