#!/usr/bin/env bats
# --help and the man page say the same thing, for every tool that is
# built (tools found in $CVX_BUILD, so a new tool is covered the day it
# builds): each option --help lists is in the man page's option list,
# with the same short and long names, and the other way round.  And the
# help itself is what issue 16 asked for: the synopsis, one line per
# option, then the man page's name.

load test_helper

# The tools: every cvx-* program in the build directory.
tools() {
	local f
	for f in "$CVX_BUILD"/cvx-*; do
		[ -f "$f" ] && [ -x "$f" ] && basename "$f"
	done
}

# The options of --help text on stdin, one "-s --long" (or "--long", or
# "-s") per line, sorted: lines that start with blanks and a dash.
help_options() {
	python3 -c '
import re, sys
out = set()
for line in sys.stdin:
	m = re.match(r"^\s+(-[A-Za-z0-9])?(?:, )?(--[a-z0-9-]+)?(?:\s|$)", line)
	if m and (m.group(1) or m.group(2)):
		out.add(" ".join(x for x in m.groups() if x))
print("\n".join(sorted(out)))'
}

# The options of man page $1: the .It lines of the list that follows
# "The options are as follows:", nested lists skipped; "Fl x" is a short
# option, "Fl -long" and "Fl Fl long" a long one.
man_options() {
	python3 - "$1" <<'EOF'
import re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
start = next(i for i, l in enumerate(lines) if "options are as follows" in l)
out, depth = set(), 0
for l in lines[start + 1:]:
	if l.startswith(".Bl"):
		depth += 1
	elif l.startswith(".El"):
		depth -= 1
		if depth == 0:
			break
	elif l.startswith(".It ") and depth == 1:
		toks = l.split()[1:]
		short = long = None
		for i, t in enumerate(toks):
			if t != "Fl" or i + 1 >= len(toks):
				continue
			n = toks[i + 1]
			if n == "Fl" and i + 2 < len(toks):
				long = long or "--" + toks[i + 2]
			elif n.startswith("-") and len(n) > 1:
				long = long or "-" + n
			elif re.fullmatch(r"[A-Za-z0-9]", n):
				short = short or "-" + n
		if short or long:
			out.add(" ".join(x for x in (short, long) if x))
print("\n".join(sorted(out)))
EOF
}

@test "the tools are found in the build directory" {
	run tools
	assert_success
	for t in cvx-unzip cvx-jsonl-map cvx-pg-load cvx-count cvx-sha \
	    cvx-zip; do
		assert_line "$t"
	done
}

@test "every tool's --help lists the options of its man page, and only them" {
	local t bad=
	for t in $(tools); do
		[ -f "$ROOT/man/$t.1" ] || { bad+="$t: no man/$t.1"$'\n'; continue; }
		h=$("$t" --help | help_options)
		m=$(man_options "$ROOT/man/$t.1")
		[ -n "$h" ] || bad+="$t: --help lists no option"$'\n'
		d=$(diff <(echo "$m") <(echo "$h") | sed -n 's/^</  man page only:/p; s/^>/  --help only:/p')
		[ -z "$d" ] || bad+="$t:"$'\n'"$d"$'\n'
	done
	[ -z "$bad" ] || fail "$bad"
}

@test "every tool's --help is the synopsis, a line per option, its man page" {
	local t bad=
	for t in $(tools); do
		run --separate-stderr "$t" --help
		[ "$status" -eq 0 ] || bad+="$t: status $status"$'\n'
		[[ ${lines[0]} == "usage: $t "* ]] ||
		    bad+="$t: first line: ${lines[0]}"$'\n'
		[ "${lines[-1]}" = "see $t(1)" ] ||
		    bad+="$t: last line: ${lines[-1]}"$'\n'
		# -h is --help.
		[ "$("$t" -h)" = "$output" ] || bad+="$t: -h differs"$'\n'
		# Short: it fits on a screen, and every line in 80 columns.
		[ "${#lines[@]}" -le 40 ] || bad+="$t: ${#lines[@]} lines"$'\n'
		for l in "${lines[@]}"; do
			[ "${#l}" -le 80 ] || bad+="$t: long line: $l"$'\n'
		done
	done
	[ -z "$bad" ] || fail "$bad"
}

@test "a usage error prints the synopsis only, not the option lines" {
	local t
	for t in $(tools); do
		run --separate-stderr "$t" --no-such-option
		[ "$status" -eq 2 ] || fail "$t: status $status"
		[[ $stderr == *"usage: $t"* ]] || fail "$t: $stderr"
		[[ $stderr != *"see $t(1)"* ]] || fail "$t: $stderr"
	done
}

@test "the checks above see a difference: an option missing from a page" {
	sed '/^\.It Fl -json$/,/^\.It /{/^\.It Fl -json$/d}' \
	    "$ROOT/man/cvx-count.1" >"$BATS_TEST_TMPDIR/cvx-count.1"
	run man_options "$BATS_TEST_TMPDIR/cvx-count.1"
	refute_line -- "--json"
	h=$(cvx-count --help | help_options)
	grep -qx -- "--json" <<<"$h" || fail "$h"
	grep -qx -- "-t --tables" <<<"$h" || fail "$h"
}

@test "a man page reads without make install: man -l man/NAME.1" {
	command -v man >/dev/null || require "man is not installed"
	run -0 env MANPAGER=cat MANWIDTH=80 man -l "$ROOT/man/cvx-unzip.1"
	assert_output --partial "cvx-unzip"
	assert_output --partial "--exclude"
}
