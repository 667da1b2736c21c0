# What every cvx tool promises (style.md, "Errors and exit status", "I/O"):
# -h and -V, usage errors exit 2, `-` is stdin, a full disk is exit 1, and
# a closed pipe is death by SIGPIPE.

load test_helper

# Tools that write data on stdout; cvx-pg-load writes its summary on
# stderr, so it has only the option rules here.
STREAM_TOOLS="cvx-unzip cvx-jsonl-map cvx-count cvx-sha cvx-zip cvx-schema"
ALL_TOOLS="cvx-unzip cvx-jsonl-map cvx-pg-load cvx-count cvx-sha cvx-zip
    cvx-schema cvx-pg-dump"

setup_file() {
	export BIG=$BATS_FILE_TMPDIR/big.jsonl BIGZIP=$BATS_FILE_TMPDIR/big.zip
	# The same documents without their _id (not Convex IDs), for cvx-zip.
	export BIGZ=$BATS_FILE_TMPDIR/bigz.jsonl
	# About 20 MiB of tagged documents: far more than a 1 MiB pipe holds,
	# and enough that cvx-count -b _id writes more than that too.
	python3 - "$BIG" "$BIGZIP" <<'EOF'
import sys, zipfile
lines = []
for i in range(100000):
    lines.append('{"_table":"messages","_creationTime":%d.5,"_id":"m%07d",'
                 '"content":"%s","position":%d}\n' % (1700000000000 + i, i,
                 "lorem ipsum " * 16, i))
open(sys.argv[1], "w").write("".join(lines))
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("_tables/documents.jsonl", '{"name":"messages","id":10001}\n')
    z.writestr("messages/documents.jsonl",
               "".join('{' + l[len('{"_table":"messages",'):] for l in lines))
    z.writestr("messages/generated_schema.jsonl", '"uniform"\n')
import re
open(sys.argv[1][:-len("big.jsonl")] + "bigz.jsonl", "w").write(
    "".join(re.sub(r',"_id":"m[0-9]+"', "", l) for l in lines))
EOF
}

# The arguments that make TOOL do its ordinary job on stdin.
args_for() {
	case $1 in
	cvx-jsonl-map) echo "." ;;
	cvx-pg-load) echo "-n" ;;
	*) echo "" ;;
	esac
}

# The input file TOOL reads in these tests.
input_for() {
	case $1 in
	cvx-unzip|cvx-schema) echo "$BIGZIP" ;;
	cvx-zip) echo "$BIGZ" ;;
	*) echo "$BIG" ;;
	esac
}

built() {
	[ -x "$CVX_BUILD/$1" ] || require "$1 is not built"
}

@test "every tool prints its usage on stdout for -h and exits 0" {
	for t in $ALL_TOOLS; do
		built "$t"
		run --separate-stderr "$t" -h
		assert_success
		assert_output --partial "usage: $t"
		[ -z "$stderr" ] || fail "$t -h wrote on stderr: $stderr"
	done
}

@test "every tool prints its name and version for -V" {
	for t in $ALL_TOOLS; do
		built "$t"
		run --separate-stderr "$t" -V
		assert_success
		assert_output --regexp "^$t [0-9]+\.[0-9]+\.[0-9]+"
	done
}

@test "a bad option prints usage on stderr, aborts a stream, exits 2" {
	for t in $ALL_TOOLS; do
		built "$t"
		run --separate-stderr "$t" --no-such-option
		[ "$status" -eq 2 ] || fail "$t: status $status"
		# A writer of the stream aborts it (the consumer must fail
		# too); the others write nothing on stdout.
		case $t in
		cvx-unzip|cvx-jsonl-map|cvx-sha|cvx-pg-dump)
			is_only_abort "$t" "$output" ||
			    fail "$t: stdout: $output" ;;
		*)	[ -z "$output" ] || fail "$t wrote on stdout: $output" ;;
		esac
		[[ $stderr == *"usage: $t"* ]] || fail "$t stderr: $stderr"
	done
}

@test "- reads standard input, the same as no operand" {
	for t in $STREAM_TOOLS; do
		built "$t"
		in=$(input_for "$t")
		a=$("$t" $(args_for "$t") < "$in" 2>/dev/null | sha256sum)
		b=$("$t" $(args_for "$t") - < "$in" 2>/dev/null | sha256sum)
		c=$("$t" $(args_for "$t") "$in" 2>/dev/null | sha256sum)
		[ "$a" = "$b" ] || fail "$t: '-' differs from stdin"
		[ "$a" = "$c" ] || fail "$t: FILE differs from stdin"
	done
}

@test "a write error on stdout (a full disk) is exit 1 with a message" {
	[ -w /dev/full ] || require "no /dev/full"
	for t in $STREAM_TOOLS; do
		built "$t"
		run --separate-stderr bash -c \
		    "\"$t\" $(args_for "$t") \"$(input_for "$t")\" >/dev/full"
		[ "$status" -eq 1 ] || fail "$t: status $status"
		[[ $stderr == "$t: "* ]] || fail "$t stderr: $stderr"
	done
}

@test "a closed pipe on stdout kills the tool with SIGPIPE" {
	# cvx-schema's few kilobytes of DDL fit in the pipe: no SIGPIPE.
	for t in ${STREAM_TOOLS/cvx-schema/}; do
		built "$t"
		args=$(args_for "$t")
		# Per-table counts are a few lines: count by _id instead.
		[ "$t" != cvx-count ] || args="-b _id"
		run bash -c "\"$t\" $args \"$(input_for "$t")\" |
		    head -c1 >/dev/null; echo \${PIPESTATUS[0]}"
		assert_success
		[ "$output" = 141 ] || fail "$t: pipe status $output"
	done
}

@test "an unreadable input operand is exit 1 naming the file" {
	for t in $STREAM_TOOLS; do
		built "$t"
		run --separate-stderr "$t" $(args_for "$t") /nonexistent/x
		[ "$status" -eq 1 ] || fail "$t: status $status"
		[[ $stderr == *"/nonexistent/x"* ]] || fail "$t: $stderr"
	done
}

@test "every tool has a man page that mandoc lints clean" {
	command -v mandoc >/dev/null || require "mandoc is not installed"
	for t in $ALL_TOOLS; do
		[ -f "$ROOT/man/$t.1" ] || fail "man/$t.1 is missing"
		run mandoc -T lint -W warning "$ROOT/man/$t.1"
		assert_success
		assert_output ""
	done
}

@test "make install puts every tool and man page under DESTDIR and PREFIX" {
	d=$(scratch)
	run make -s -C "$ROOT" install PREFIX=/opt/cvx DESTDIR="$d" \
	    BUILD="$CVX_BUILD"
	assert_success
	for t in $ALL_TOOLS; do
		[ -x "$d/opt/cvx/bin/$t" ] || fail "$t not installed"
		[ -f "$d/opt/cvx/share/man/man1/$t.1" ] || fail "$t.1 not installed"
	done
}
