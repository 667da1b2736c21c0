#!/bin/bash
# The main job end to end on the big synthetic export, in one run,
# interleaved with the anchor that does the same job with common tools:
#
#   cvx:    cvx-sha -C | cvx-unzip -t … | cvx-jsonl-map -f map.jq
#           | cvx-pg-load --mode insert                      (one transaction)
#           and the same with --mode merge --key convex_id (the runbook's
#           idempotent import step)
#   anchor: sha256sum -c, then per target table
#           unzip -p | jq -r '…|@tsv' | psql -c '\copy …'    (seven commits)
#   floor:  the anchor's psql -c '\copy …' alone, from the TSV its jq
#           filters wrote before the runs (untimed): the database's own
#           time for these rows into this schema by COPY text, which no
#           pipe feeding it COPY text can beat (cvx-pg-load's COPY binary
#           costs the server less, and does).  FLOOR=0 leaves it out.
#
# Both load the laravel-chat schema (examples/laravel-chat/schema.sql, with
# its reference triggers) in a private PostgreSQL, from empty tables, and
# must produce the same rows: compared after each run (all columns but the
# bigint ids, which the Convex ids they come from stand for).  Prints the
# time of each run, the ratio cvx / anchor and the peak RSS of each stage.
#
#   bench/bench-e2e.sh [EXPORT.zip]     default bench/data/chat-1m.zip
#   REPS=3 CVX_BUILD=… bench/bench-e2e.sh
#
# JOB=projection runs issue 19's job instead: the export's messages, a
# runbook-shaped projection (renames, cvx_todate, the metadata as jsonb)
# into one typed table with a primary key, timed four ways in one run:
#
#   pipe:   cvx-unzip -t messages | cvx-jsonl-map FILTER | cvx-pg-load
#   anchor: unzip -p | jq -r 'FILTER as @tsv' | psql -c '\copy'
#   load:   cvx-pg-load alone, from the mapped stream in a file (untimed
#           to make): the least time any pipe into it can take
#   map:    the CPU (user + system) of cvx-jsonl-map FILTER against jq -c
#           FILTER (the same text, cvx_todate defined) on the extracted
#           messages, output to /dev/null
#   pipe0, map0: pipe and map with CVX_JSONL_MAP_FAST=0 (every document
#           through libjq), to show what the fast path changes
#   pipet, loadt: pipe and load with cvx-pg-load --copy-format text, to
#           show what COPY binary changes
#
# and prints pipe / anchor, pipe / load and map CPU / jq CPU, the rows
# checked equal in both tables after every run.  RUNS="anchor pipe load"
# times only those (the anchor first, for the comparisons).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${CVX_BUILD:-$root/build}
zip=${1:-$root/bench/data/chat-1m.zip}
reps=${REPS:-2}
floor=${FLOOR:-1}
map=$root/examples/laravel-chat/map.jq
tables="users threads agent_conversations runs run_events messages
agent_conversation_messages"

[ -f "$zip" ] || { echo "bench-e2e: $zip: missing (bench/gen-export.py)" >&2; exit 1; }
for t in cvx-sha cvx-unzip cvx-jsonl-map cvx-pg-load; do
	[ -x "$build/$t" ] || { echo "bench-e2e: $build/$t: not built" >&2; exit 1; }
done

work=$(mktemp -d /tmp/cvxbench.XXXXXX)
pgdir=$(mktemp -d /tmp/cvxpg.XXXXXX)
cleanup() {
	"$root/tests/pg-server" stop "$pgdir" || true
	rm -rf "$work"
}
trap cleanup EXIT
"$root/tests/pg-server" start "$pgdir" >/dev/null
url() { echo "host=$pgdir dbname=$1 user=postgres"; }
q() { local db=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -d "$(url "$db")" "$@"; }

now() { date +%s.%N; }
# cpu CMD…: run CMD (output to /dev/null), print its user + system seconds
cpu() { /usr/bin/time -f '%U %S' -o "$work/cpu" "$@" >/dev/null; awk '{ print $1 + $2 }' "$work/cpu"; }

if [ "${JOB:-laravel}" = projection ]; then
	q postgres -c 'CREATE DATABASE cvx' -c 'CREATE DATABASE anchor'
	ddl='CREATE TABLE messages (convex_id text PRIMARY KEY, thread_id text,
	    user_id text, role text, content text, position int,
	    created_at timestamptz, metadata jsonb)'
	q cvx -c "$ddl"
	q anchor -c "$ddl"
	filter='{_table, convex_id: ._id, thread_id: .threadId,
	    user_id: .userId, role, content, position,
	    created_at: (._creationTime | cvx_todate), metadata}'
	# cvx-jsonl-map's own cvx_todate (jqtext.c), for jq
	todate='def cvx_todate: floor as $ms | ($ms - 1000 * (($ms / 1000)
	    | floor)) as $r | ((($ms - $r) / 1000) | todate | rtrimstr("Z"))
	    + "." + ("00\($r)" | .[-3:]) + "Z";'
	tsv='[._id, .threadId, .userId, .role, .content, .position,
	    (._creationTime | cvx_todate),
	    (.metadata | if . == null then null else tojson end)] | @tsv'
	cols=convex_id,thread_id,user_id,role,content,position,created_at,metadata
	"$build/cvx-unzip" --raw -t messages "$zip" >"$work/messages.jsonl"
	"$build/cvx-unzip" -t messages "$zip" |
	    "$build/cvx-jsonl-map" "$filter" >"$work/mapped.jsonl"
	fp() {
		q "$1" -A -t -c "COPY (SELECT * FROM messages ORDER BY
		    convex_id) TO STDOUT" | sha256sum
	}
	echo "export: $zip, messages: $(wc -l <"$work/messages.jsonl"), $reps runs each, interleaved"
	echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	declare -A total=([pipe]=0 [anchor]=0 [load]=0 [map]=0 [jq]=0
	    [pipe0]=0 [map0]=0 [pipet]=0 [loadt]=0)
	# The anchor first: its table is then loaded for every comparison.
	read -r -a order <<<"${RUNS:-anchor pipe load map jq pipe0 map0 pipet loadt}"
	for rep in $(seq "$reps"); do
		for who in "${order[@]}"; do
			fast=1 format=auto
			case $who in *0) fast=0 ;; *t) format=text ;; esac
			case $who in
			map*)
				c=$(CVX_JSONL_MAP_FAST=$fast cpu \
				    "$build/cvx-jsonl-map" "$filter" \
				    <"$work/messages.jsonl")
				printf '%-7s run %d: %6.2f s CPU\n' "$who" "$rep" "$c"
				total[$who]=$(echo "${total[$who]} + $c" | bc)
				continue ;;
			jq)
				c=$(cpu jq -c "$todate $filter" \
				    <"$work/messages.jsonl")
				printf '%-7s run %d: %6.2f s CPU\n' "$who" "$rep" "$c"
				total[$who]=$(echo "${total[$who]} + $c" | bc)
				continue ;;
			esac
			db=cvx
			[ "$who" = anchor ] && db=anchor
			q "$db" -c 'TRUNCATE messages' -c 'VACUUM ANALYZE messages'
			sync
			t0=$(now)
			case $who in
			pipe*)
				"$build/cvx-unzip" -t messages "$zip" |
				    CVX_JSONL_MAP_FAST=$fast \
				    "$build/cvx-jsonl-map" "$filter" |
				    "$build/cvx-pg-load" --mode insert \
					--copy-format $format \
					--summary none --dbname "$(url cvx)" ;;
			anchor)
				unzip -p "$zip" messages/documents.jsonl |
				    jq -r "$todate $tsv" |
				    psql -X -q -v ON_ERROR_STOP=1 -d "$(url anchor)" \
					-c "\\copy messages ($cols) FROM STDIN WITH (NULL '')" ;;
			load*)
				"$build/cvx-pg-load" --mode insert --summary none \
				    --copy-format $format \
				    --dbname "$(url cvx)" "$work/mapped.jsonl" ;;
			esac
			t1=$(now)
			dt=$(echo "$t1 - $t0" | bc)
			printf '%-7s run %d: %6.2f s\n' "$who" "$rep" "$dt"
			total[$who]=$(echo "${total[$who]} + $dt" | bc)
			if [ "$who" != anchor ] && [ "$(fp cvx)" != "$(fp anchor)" ]; then
				echo "bench-e2e: $who and anchor rows differ" >&2
				exit 1
			fi
		done
		order=("${order[@]:1}" "${order[0]}")
	done
	ratio() { [ "${total[$2]}" != 0 ] && echo "${total[$1]} / ${total[$2]}" | bc -l || echo 0; }
	printf 'pipe / anchor: %.2f (%.1f s vs %.1f s)\n' "$(ratio pipe anchor)" \
	    "${total[pipe]}" "${total[anchor]}"
	printf 'pipe / load alone: %.2f (%.1f s)\n' "$(ratio pipe load)" \
	    "${total[load]}"
	printf 'cvx-jsonl-map CPU / jq CPU: %.2f (%.1f s vs %.1f s)\n' \
	    "$(ratio map jq)" "${total[map]}" "${total[jq]}"
	printf 'without the fast path: pipe / anchor %.2f, pipe / load %.2f, map CPU / jq CPU %.2f\n' \
	    "$(ratio pipe0 anchor)" "$(ratio pipe0 load)" "$(ratio map0 jq)"
	printf 'COPY binary / COPY text: pipe %.2f, load alone %.2f (%.1f s, %.1f s)\n' \
	    "$(ratio pipe pipet)" "$(ratio load loadt)" "${total[pipet]}" \
	    "${total[loadt]}"
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
	exit 0
fi

q postgres -c 'CREATE DATABASE cvx' -c 'CREATE DATABASE anchor'
for db in cvx anchor; do
	q "$db" -c 'SET client_min_messages = warning' -f "$root/examples/laravel-chat/schema.sql"
done
# The checksum record and the owner-less threads: made once, shared.
(cd "$(dirname "$zip")" && sha256sum "$(basename "$zip")") >"$work/sums"
sed "s|  .*|  $zip|" "$work/sums" >"$work/sums.abs"
"$build/cvx-unzip" --raw -t threads "$zip" | jq -c -n 'reduce inputs as $d ({};
    if $d.userId == null then .[$d._id] = true else . end)' >"$work/skip.json"

rss() { /usr/bin/time -f %M -o "$work/rss.$1" "${@:2}"; }
maxrss() { sort -n "$work"/rss.* | tail -n 1; rm -f "$work"/rss.*; }

# $1: merge (the runbook's import: idempotent upsert) or insert (COPY
# straight into the empty tables, what the anchor does).
run_cvx() {
	rss sha "$build/cvx-sha" -C "$work/sums.abs" <"$zip" 2>/dev/null |
	    rss unzip "$build/cvx-unzip" -t users,threads,runs,messages |
	    rss map "$build/cvx-jsonl-map" -f "$map" \
		--slurpfile skip "$work/skip.json" |
	    rss load "$build/cvx-pg-load" --mode "$1" \
		$([ "$1" = merge ] && echo --key convex_id) \
		--summary none -d "$(url cvx)"
	for s in sha unzip map load; do
		printf '%s=%sKiB ' "$s" "$(cat "$work/rss.$s")"
	done >"$work/rss-cvx-$1"
	rm -f "$work"/rss.*
}

# The anchor's filters: one per target table, the same rules as map.jq.
# ts: epoch milliseconds to the exact timestamptz text, rounded half to
# even at the microsecond as cvx-pg-load does.  It works on the number's
# text (jq 1.6 prints the shortest round trip, which is the exported text):
# jq's own todate drops the milliseconds.
jq_defs='
def ts: if . == null then null else
    (tostring | split(".")) as $p
    | (($p[1] // "") + "0000") as $f
    | ($f[3:4] | tonumber) as $d
    | ($f[0:3] | tonumber) as $u3
    | (($p[0] | tonumber) * 1000 + $u3
      + (if $d > 5 or ($d == 5 and ($f[4:] | test("[1-9]")))
         or ($d == 5 and $u3 % 2 == 1) then 1 else 0 end)) as $us
    | ($us / 1000000 | floor) as $s
    | ($s | todate | .[:-1]) + "."
      + ("00000" + ($us - $s * 1000000 | tostring))[-6:] + "Z" end;
def json: if . == null then null else tojson end;
def owned: $skip[0][.threadId] != true;'
declare -A src cols filt
src[users]=users
cols[users]=convex_id,name,email,image,role,token_identifier,created_at,updated_at
filt[users]='[._id, .name, .email, .image, .role, .tokenIdentifier,
    (._creationTime | ts), (._creationTime | ts)]'
src[threads]=threads
cols[threads]=convex_id,user_convex_id,title,status,last_message_at,created_at,updated_at
filt[threads]='select(.userId != null) | [._id, .userId, .title, .status,
    (.lastMessageAt | ts), (._creationTime | ts), (._creationTime | ts)]'
src[agent_conversations]=threads
cols[agent_conversations]=convex_id,user_convex_id,title,created_at,updated_at
filt[agent_conversations]='select(.userId != null) | [._id, .userId, .title,
    (._creationTime | ts), (._creationTime | ts)]'
src[runs]=runs
cols[runs]=convex_id,thread_convex_id,user_convex_id,model,status,started_at,finished_at,prompt_tokens,completion_tokens,created_at,updated_at
filt[runs]='select(owned) | [._id, .threadId, .userId, .model, .status,
    (.startedAt | ts), (.finishedAt | ts), .usage.promptTokens,
    .usage.completionTokens, (._creationTime | ts), (._creationTime | ts)]'
src[run_events]=runs
cols[run_events]=convex_id,run_convex_id,seq,type,data,occurred_at,created_at,updated_at
filt[run_events]='select(owned) | ._id as $r | (.events // [])
    | range(0; length) as $i | .[$i]
    | ["\($r)#\($i)", $r, $i, .type, .data, (.at | ts), (.at | ts), (.at | ts)]'
src[messages]=messages
cols[messages]=convex_id,thread_convex_id,user_convex_id,run_convex_id,role,content,position,metadata,created_at,updated_at
filt[messages]='select(owned) | [._id, .threadId, .userId, .runId, .role,
    .content, .position, (.metadata | json), (._creationTime | ts),
    (._creationTime | ts)]'
src[agent_conversation_messages]=messages
cols[agent_conversation_messages]=convex_id,conversation_convex_id,user_convex_id,role,content,meta,created_at,updated_at
filt[agent_conversation_messages]='select(owned) | [._id, .threadId,
    .userId, .role, .content, (.metadata | json), (._creationTime | ts),
    (._creationTime | ts)]'

run_anchor() {
	local t
	rss sha sha256sum --quiet -c "$work/sums.abs" >/dev/null
	for t in $tables; do
		rss "unzip-$t" unzip -p "$zip" "${src[$t]}/documents.jsonl" |
		    rss "jq-$t" jq -r --slurpfile skip "$work/skip.json" \
			"$jq_defs ${filt[$t]} | @tsv" |
		    rss "psql-$t" psql -X -q -v ON_ERROR_STOP=1 -d "$(url anchor)" \
			-c "\\copy $t (${cols[$t]}) FROM STDIN WITH (NULL '')"
	done
	printf 'sha256sum=%sKiB unzip=%sKiB jq=%sKiB psql=%sKiB ' \
	    "$(cat "$work/rss.sha")" \
	    "$(cat "$work"/rss.unzip-* | sort -n | tail -n 1)" \
	    "$(cat "$work"/rss.jq-* | sort -n | tail -n 1)" \
	    "$(cat "$work"/rss.psql-* | sort -n | tail -n 1)" >"$work/rss-anchor-$1"
	rm -f "$work"/rss.*
}

# The anchor's loader alone, from the TSV made before the runs.
run_floor() {
	local t
	for t in $tables; do
		psql -X -q -v ON_ERROR_STOP=1 -d "$(url anchor)" \
		    -c "\\copy $t (${cols[$t]}) FROM STDIN WITH (NULL '')" \
		    <"$work/$t.tsv"
	done
	echo "psql=-" >"$work/rss-anchor-$1"
}

# Every column but the bigint ids (the Convex ids they come from are in).
fingerprint() {
	local t
	for t in $tables; do
		q "$1" -A -t -c "SELECT string_agg(format('%I', column_name),
		    ', ' ORDER BY ordinal_position)
		    FROM information_schema.columns WHERE table_name = '$t'
		    AND table_schema = 'public' AND data_type <> 'bigint'
		    OR table_name = '$t' AND table_schema = 'public'
		    AND column_name IN ('position', 'prompt_tokens',
			'completion_tokens')" >"$work/cols"
		echo "$t $(q "$1" -A -t -c "COPY (SELECT $(cat "$work/cols")
		    FROM $t ORDER BY convex_id) TO STDOUT" | sha256sum)"
	done
}

empty_tables() {
	q "$1" -c "TRUNCATE $(echo $tables | sed 's/ /, /g') RESTART IDENTITY"
	q "$1" -c 'VACUUM ANALYZE'
}

echo "export: $zip ($(du -h "$zip" | cut -f1)), $reps runs each, interleaved"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A total=([anchor]=0 [cvx-insert]=0 [cvx-merge]=0 [floor]=0)
order=(anchor cvx-insert cvx-merge)
if [ "$floor" = 1 ]; then
	for t in $tables; do
		unzip -p "$zip" "${src[$t]}/documents.jsonl" |
		    jq -r --slurpfile skip "$work/skip.json" \
			"$jq_defs ${filt[$t]} | @tsv" >"$work/$t.tsv"
	done
	order+=(floor)
fi
for rep in $(seq "$reps"); do
	for who in "${order[@]}"; do
		db=${who%%-*}
		mode=${who#cvx}
		mode=${mode#-}
		[ "$who" = floor ] && db=anchor mode=floor
		empty_tables "$db"
		sync
		t0=$(now)
		"run_${who%%-*}" "$mode"
		t1=$(now)
		dt=$(echo "$t1 - $t0" | bc)
		printf '%-10s run %d: %6.1f s  peak RSS %s\n' "$who" "$rep" "$dt" \
		    "$(cat "$work/rss-$db-$mode")"
		total[$who]=$(echo "${total[$who]} + $dt" | bc)
		if [ "$who" != anchor ]; then
			fingerprint cvx >"$work/fp.cvx"
			fingerprint anchor >"$work/fp.anchor"
			if ! cmp -s "$work/fp.cvx" "$work/fp.anchor"; then
				echo "bench-e2e: $who and anchor differ:" >&2
				diff "$work/fp.cvx" "$work/fp.anchor" >&2 || true
				exit 1
			fi
		fi
	done
	# Rotate, so that no variant always runs first.
	order=("${order[@]:1}" "${order[0]}")
done
rows=$(q cvx -A -t -c "SELECT $(echo $tables | sed 's/\([a-z_]*\)/(SELECT count(*) FROM \1)/g; s/) (/) + (/g')")
echo "rows per load: $rows (the same rows in both databases after every run)"
for who in "${order[@]}"; do
	[ "$who" = anchor ] && continue
	printf '%s / anchor: %.2f (total %.1f s vs %.1f s); %.0f rows/s\n' \
	    "$who" "$(echo "${total[$who]} / ${total[anchor]}" | bc -l)" \
	    "${total[$who]}" "${total[anchor]}" \
	    "$(echo "$rows * $reps / ${total[$who]}" | bc -l)"
done
if [ "$floor" = 1 ]; then
	for who in cvx-insert cvx-merge; do
		printf '%s / floor: %.2f\n' "$who" \
		    "$(echo "${total[$who]} / ${total[floor]}" | bc -l)"
	done
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
