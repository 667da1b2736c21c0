#!/usr/bin/env bats
# The pipelines the READMEs show run as written.  Each cvx command line of
# README.md (and of the examples' READMEs) is taken from the file at test
# time, so an edit that breaks one fails here, and run with bash in a
# working directory that holds what the text assumes: export.zip (the
# bundled example), its recorded checksum export.zip.sha256, the runbook's
# export.zip.skip.json, examples/ (for paths from the project root), map.jq
# (for the runbook's own directory), and DATABASE_URL naming a private
# PostgreSQL database with the Laravel tables (schema.sql) in it.
#
# What each command must do is read from its last stage:
#   … | cvx-pg-load (a load)   exit 0; each table holds as many rows as the
#                              same pipe without its last stage, counted by
#                              cvx-count, says
#   … | cvx-count              exit 0; each count is the export's, computed
#                              with python3's zipfile
#   cvx-pg-load --count …      exit 0; each count is the table's, by SQL, > 0
#   anything else              exit 0 and some output
# With set -o pipefail, unless the last stage is not a cvx tool (| head).

bats_require_minimum_version 1.5.0
load test_helper
load pg_helper

readme_missing() {
	local t
	for t in cvx-sha cvx-unzip cvx-jsonl-map cvx-pg-load cvx-count; do
		[ -x "$CVX_BUILD/$t" ] || { echo "$CVX_BUILD/$t not built"; return; }
	done
	command -v jq >/dev/null || { echo "jq missing"; return; }
	command -v python3 >/dev/null || echo "python3 missing"
}

# The cvx command lines of markdown file $1, each NUL-terminated: the
# indented (or fenced) code blocks whose first line starts with cvx-, one
# command per line, with the lines a trailing \ or a leading | continue.
extract_commands() {
	python3 - "$1" <<'EOF'
import re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
blocks, cur, fence, prev_blank = [], None, None, True
for line in lines:
	if fence is not None:
		if line.strip().startswith(fence):
			blocks.append(cur)
			cur, fence = None, None
		else:
			cur.append(line)
		continue
	m = re.match(r"\s{0,3}(```+|~~~+)", line)
	if m:
		if cur is not None:
			blocks.append(cur)
		cur, fence = [], m.group(1)
		continue
	indented = line.startswith("    ") or line.startswith("\t")
	if cur is None:
		if indented and prev_blank:
			cur = [line[4:] if line.startswith("    ") else line[1:]]
	elif indented:
		cur.append(line[4:] if line.startswith("    ") else line[1:])
	elif line.strip() == "":
		cur.append("")
	else:
		blocks.append(cur)
		cur = None
	prev_blank = line.strip() == ""
if cur is not None:
	blocks.append(cur)
for b in blocks:
	b = [l.rstrip() for l in b]
	first = next((l for l in b if l), "")
	if not first.startswith("cvx-"):
		continue
	cmds = []
	for l in b:
		if not l:
			continue
		if cmds and (cmds[-1].endswith("\\") or l.lstrip().startswith("|")):
			cmds[-1] += "\n" + l
		else:
			cmds.append(l)
	for c in cmds:
		sys.stdout.write(c + "\0")
EOF
}

setup_file() {
	export README_MISSING
	README_MISSING=$(readme_missing)
	[ -n "$README_MISSING" ] || pg_start
}

teardown_file() {
	pg_stop
}

setup() {
	[ -z "$README_MISSING" ] || require "$README_MISSING"
	pg_newdb
	export DATABASE_URL=$DB
	# The empty scratch database a runbook says to create.
	psql_q postgres -c "CREATE DATABASE ${DBNAME}_scratch" >/dev/null
	SCRATCH=$(pg_url "${DBNAME}_scratch")
	export SCRATCH
	export W=$BATS_TEST_TMPDIR/work
	mkdir "$W"
	cp "$ROOT/examples/chat-export.zip" "$W/export.zip"
	ln -s "$ROOT/examples" "$W/examples"
	ln -s "$ROOT/examples/laravel-chat/map.jq" "$W/map.jq"
	# What the runbook's earlier steps leave: the recorded checksum, the
	# threads map.jq skips, the app's tables.
	(cd "$W" && cvx-sha -n -o export.zip.sha256 export.zip)
	make -s --no-print-directory -C "$ROOT/examples/laravel-chat" \
	    EXPORT="$W/export.zip" CVX_BUILD="$CVX_BUILD" \
	    DATABASE_URL="$DB" "$W/export.zip.skip.json" schema >/dev/null
	EXPORT_COUNTS=$(export_counts "$W/export.zip")
	LOADS=0 COUNTS=0 DBCOUNTS=0
}

# The last stage of command $1, without a trailing comment.
last_stage() {
	local s=${1##*|}
	s=${s%%#*}
	s=${s#"${s%%[![:space:]]*}"}
	printf '%s\n' "${s%"${s##*[![:space:]]}"}"
}

# Run command $1 in $W; pipefail unless the last stage is not a cvx tool.
run_cmd() {
	local pf='set -o pipefail'
	[[ $(last_stage "$1") == cvx-* ]] || pf=
	run --separate-stderr bash -c "$pf
	    cd \"\$W\" || exit 99
	    $1"
	[ "$status" -eq 0 ] || fail "exit $status from:
$1
stdout: $output
stderr: $stderr"
}

# Lines table<TAB>count in $output: each count must be what $1 says for
# the table ("sql": SELECT count(*), > 0; "export": the export's).
check_counts() {
	local kind=$1 line table n want
	[ -n "$output" ] || fail "no counts printed by: $CMD"
	while IFS= read -r line; do
		[[ $line == *$'\t'* ]] || fail "not table<TAB>count: '$line' from: $CMD"
		table=${line%%$'\t'*}
		n=${line#*$'\t'}
		case $kind in
		sql)
			want=$(sql -c "SELECT count(*) FROM \"$table\"")
			[ "$want" -gt 0 ] || fail "table $table is empty: $CMD"
			;;
		export)
			if [ "$table" = total ]; then
				want=$(awk -F'\t' '{ s += $2 } END { print s }' \
				    <<<"$EXPORT_COUNTS")
			else
				want=$(awk -F'\t' -v t="$table" \
				    '$1 == t { print $2 }' <<<"$EXPORT_COUNTS")
			fi
			;;
		esac
		[ "$n" = "$want" ] ||
		    fail "$table: printed $n, expected '$want', by: $CMD"
	done <<<"$output"
}

# Run every cvx command of markdown file $1 and check what it did.
run_doc() {
	local doc=$1 cmds CMD stage
	mapfile -d '' cmds < <(extract_commands "$ROOT/$doc")
	[ "${#cmds[@]}" -gt 0 ] || fail "no cvx command found in $doc"
	for CMD in "${cmds[@]}"; do
		stage=$(last_stage "$CMD")
		case $stage in
		cvx-pg-load*--count* | cvx-pg-load*' -c '*)
			run_cmd "$CMD"
			check_counts sql
			DBCOUNTS=$((DBCOUNTS + 1))
			;;
		cvx-pg-load*)
			run_cmd "$CMD"
			run_cmd "${CMD%|*} | cvx-count"
			# A load into the scratch database is counted there.
			if [[ $CMD == *'"$SCRATCH"'* ]]; then
				DB=$SCRATCH check_counts sql
			else
				check_counts sql
			fi
			LOADS=$((LOADS + 1))
			;;
		cvx-count*)
			run_cmd "$CMD"
			check_counts export
			COUNTS=$((COUNTS + 1))
			;;
		*)
			run_cmd "$CMD"
			[ -n "$output" ] || fail "no output from: $CMD"
			;;
		esac
	done
}

@test "README.md: the extraction finds the pipelines of the top section" {
	mapfile -d '' cmds < <(extract_commands "$ROOT/README.md")
	[ "${#cmds[@]}" -ge 3 ] || fail "found ${#cmds[@]} commands"
	# The first block: the import pipe, whole, then the two counts.
	[[ ${cmds[0]} == cvx-sha* ]] || fail "first: ${cmds[0]}"
	[[ ${cmds[0]} == *'| cvx-pg-load'* ]] || fail "first: ${cmds[0]}"
	[[ ${cmds[1]} == *'| cvx-count'* ]] || fail "second: ${cmds[1]}"
	[[ ${cmds[2]} == 'cvx-pg-load --count'* ]] || fail "third: ${cmds[2]}"
	# make and build lines are not cvx pipelines.
	local c
	for c in "${cmds[@]}"; do
		[[ $c != make* ]] || fail "a make line was taken: $c"
	done
}

@test "README.md: every cvx pipeline runs as written on the bundled example" {
	run_doc README.md
	[ "$LOADS" -ge 1 ] || fail "no load pipeline in README.md"
	[ "$COUNTS" -ge 1 ] || fail "no cvx-count pipeline in README.md"
	[ "$DBCOUNTS" -ge 1 ] || fail "no cvx-pg-load --count in README.md"
	# The import loaded the Laravel tables, owner-less threads left out.
	run -0 sql -c "SELECT count(*) FROM users"
	assert_output 12
	run -0 sql -c "SELECT count(*) FROM threads"
	assert_output 28
}

@test "examples/laravel-chat/README.md: the runbook's pipe runs as written" {
	run_doc examples/laravel-chat/README.md
	[ "$LOADS" -ge 1 ] || fail "no load pipeline in the runbook's README"
	run -0 sql -c "SELECT count(*) FROM messages"
	[ "$output" -gt 0 ]
}

@test "examples/README.md: the commands run as written" {
	run_doc examples/README.md
}

@test "a pipeline that breaks fails this test" {
	# The headline pipe without the --slurpfile map.jq needs, run the way
	# run_doc runs it, must fail.
	local cmd
	mapfile -d '' cmds < <(extract_commands "$ROOT/README.md")
	cmd=$(sed 's/ --slurpfile skip [^ ]*//' <<<"${cmds[0]}")
	[ "$cmd" != "${cmds[0]}" ] || skip "the headline has no --slurpfile"
	CMD=$cmd
	run ! run_cmd "$cmd"
}
