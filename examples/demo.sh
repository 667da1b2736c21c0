#!/bin/sh
# The main job on the bundled example export: the laravel-chat runbook,
# checksum -> validate -> schema -> dry run -> import -> verify, into the
# database named by DATABASE_URL, or else into a private PostgreSQL started
# here and stopped on exit (on failure too).  Builds nothing: `make demo`
# has built the tools into $CVX_BUILD.  Exit status: 0 when every step
# passed, non-zero on the first failing step.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
CVX_BUILD=${CVX_BUILD:-$root/build}
export CVX_BUILD
export_zip=$root/examples/chat-export.zip
pgdir=
work=

cleanup() {
	status=$?
	trap - EXIT
	if [ -n "$pgdir" ]; then
		"$root/tests/pg-server" stop "$pgdir" || true
	fi
	[ -z "$work" ] || rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

for tool in cvx-sha cvx-unzip cvx-count cvx-jsonl-map cvx-pg-load; do
	[ -x "$CVX_BUILD/$tool" ] || {
		echo "demo: $CVX_BUILD/$tool: not built (run make demo)" >&2
		exit 1
	}
done
[ -f "$export_zip" ] || { echo "demo: $export_zip: missing" >&2; exit 1; }

# The records (checksum, counts) go to a scratch directory, not into the
# source tree beside the bundled export.
work=$(mktemp -d /tmp/cvxdemo.XXXXXX)

if [ -z "${DATABASE_URL:-}" ]; then
	pgdir=$(mktemp -d /tmp/cvxpg.XXXXXX)
	echo "demo: starting a private PostgreSQL in $pgdir"
	DATABASE_URL=$("$root/tests/pg-server" start "$pgdir")
fi
export DATABASE_URL

step() {
	printf '\n== %s\n' "$*"
	make -s --no-print-directory -C "$root/examples/laravel-chat" \
	    EXPORT="$export_zip" RECORD="$work/chat-export.zip" \
	    CVX_BUILD="$CVX_BUILD" "$@"
}

step checksum
step validate
step schema
step dry-run
step import
step verify
printf '\ndemo: %s imported and verified\n' "$export_zip"
