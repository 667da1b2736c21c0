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
	echo "demo: writing into that private database; it goes when the demo ends"
else
	# Said before anything is written: the tables land in a real database.
	echo "demo: DATABASE_URL is set: writing into $(printf '%s' \
	    "$DATABASE_URL" | sed 's,://\([^:/@]*\):[^@]*@,://\1:***@,; s,password=[^ ]*,password=***,') (its" \
	    "Laravel tables: users, threads, runs, messages, ...); unset it" \
	    "for a private one"
fi
export DATABASE_URL

# Say why a count changes between the export and the database: the rules
# of examples/laravel-chat/map.jq, with this export's figures.
explain_counts() {
	src=$work/source.counts
	dst=$work/chat-export.zip.db.counts
	"$CVX_BUILD/cvx-unzip" --tables users,threads,runs,messages \
	    "$export_zip" | "$CVX_BUILD/cvx-count" >"$src"
	n() { awk -F'\t' -v t="$2" '$1 == t { print $2 }' "$1"; }
	skipped=$(tr ',' '\n' <"$work/chat-export.zip.skip.json" | grep -c true)
	printf '\n== the counts: export -> database, and the rule behind each change\n'
	printf '  users     %4s -> users %s: one row per user\n' \
	    "$(n "$src" users)" "$(n "$dst" users)"
	printf '  threads   %4s -> threads %s and agent_conversations %s:' \
	    "$(n "$src" threads)" "$(n "$dst" threads)" \
	    "$(n "$dst" agent_conversations)"
	printf ' the %s threads without an owner (userId null) are not imported\n' \
	    "$skipped"
	printf '  messages  %4s -> messages %s and agent_conversation_messages %s:' \
	    "$(n "$src" messages)" "$(n "$dst" messages)" \
	    "$(n "$dst" agent_conversation_messages)"
	printf ' nor the messages of those threads\n'
	printf '  runs      %4s -> runs %s: nor their runs;' \
	    "$(n "$src" runs)" "$(n "$dst" runs)"
	printf ' run_events %s: one row per event of a run\n' \
	    "$(n "$dst" run_events)"
}

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
explain_counts
printf '\ndemo: %s imported and verified\n' "$export_zip"

# The PostgreSQL -> Convex runbook (examples/postgres-to-convex), on the
# same server in a schema of its own: sample rows, dump, zip, verify, and
# the import command.
for tool in cvx-pg-dump cvx-zip; do
	[ -x "$CVX_BUILD/$tool" ] || {
		echo "demo: $CVX_BUILD/$tool: not built (run make demo)" >&2
		exit 1
	}
done
p2c() {
	printf '\n== postgres-to-convex: %s\n' "$*"
	make -s --no-print-directory -C "$root/examples/postgres-to-convex" \
	    SCHEMA=chat_app WORK="$work/postgres-to-convex" \
	    CVX_BUILD="$CVX_BUILD" "$@"
}
p2c schema sample
p2c dump
p2c zip
p2c verify
p2c import
printf '\ndemo: the chat app'"'"'s PostgreSQL tables zipped for Convex and verified\n'
