# cvx-sha: pass input through while computing its SHA-256 (man/cvx-sha.1).

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	# 6 MiB of random bytes: more than the 4 MiB that -c holds back, more
	# than one read and more than a pipe buffer.
	export BIG=$BATS_FILE_TMPDIR/big.bin
	head -c 6291456 /dev/urandom >"$BIG"
	export BIGSUM
	BIGSUM=$(sha256sum <"$BIG" | cut -c1-64)
}

# A digest that is not the one of $BIG.
wrong_sum() {
	python3 -c 'import sys; h = sys.argv[1]
print(("1" if h[0] != "1" else "2") + h[1:])' "$BIGSUM"
}

@test "-h prints the usage on stdout and exits 0" {
	run --separate-stderr cvx-sha --help
	assert_success
	assert_output --partial "usage: cvx-sha"
	[ -z "$stderr" ]
}

@test "-V prints the name and version" {
	run --separate-stderr cvx-sha -V
	assert_success
	assert_output --regexp '^cvx-sha [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "a bad option, a bad digest or a bad combination is exit 2" {
	for args in "--bogus" "-c 123" "-c $(printf 'g%.0s' {1..64})" \
	    "-c $BIGSUM -C x" "a b" "-n -c $BIGSUM a b" "-n -N x a b"; do
		run --separate-stderr cvx-sha $args
		[ "$status" -eq 2 ] || fail "$args: status $status"
		is_only_abort cvx-sha "$output" || fail "$args: stdout: $output"
		[[ $stderr == *"usage: cvx-sha"* ]] || fail "$args: $stderr"
	done
}

@test "a file passes through unchanged, the digest line on stderr" {
	run --separate-stderr bash -c 'cvx-sha "$BIG" | cmp - "$BIG"'
	assert_success
	assert_output ""
	[ "$stderr" = "$(sha256sum "$BIG")" ]
}

@test "standard input passes through unchanged, named - as sha256sum does" {
	run --separate-stderr bash -c 'cat "$BIG" | cvx-sha | cmp - "$BIG"'
	assert_success
	[ "$stderr" = "$(sha256sum <"$BIG")" ]
	run --separate-stderr bash -c 'cvx-sha - <"$BIG" >/dev/null'
	[ "$stderr" = "$(sha256sum - <"$BIG")" ]
}

@test "every file of the corpus: -n prints what sha256sum prints" {
	require_corpus
	mapfile -t files < <(find "$CORPUS" -type f | sort)
	[ "${#files[@]}" -gt 50 ] || fail "only ${#files[@]} files"
	run --separate-stderr cvx-sha -n "${files[@]}"
	assert_success
	[ "$output" = "$(sha256sum "${files[@]}")" ] || fail "differs"
}

@test "every ZIP of the corpus passes through unchanged with its digest" {
	require_corpus
	for z in $(find "$CORPUS" -name '*.zip' | sort); do
		run --separate-stderr bash -c 'cvx-sha "$1" | cmp - "$1"' _ "$z"
		assert_success
		[ "$stderr" = "$(sha256sum "$z")" ] || fail "$z: $stderr"
	done
}

@test "-o writes the digest line to a file that sha256sum -c accepts" {
	cd "$BATS_TEST_TMPDIR"
	cp "$BIG" export.zip
	run --separate-stderr bash -c 'cvx-sha -o export.zip.sha256 export.zip |
	    cmp - export.zip'
	assert_success
	[ -z "$stderr" ]
	run sha256sum -c export.zip.sha256
	assert_success
	assert_output "export.zip: OK"
	# From stdin the name is -, or the one given by -N.
	cvx-sha -o in.sha256 <export.zip >/dev/null
	run bash -c 'sha256sum -c in.sha256 <export.zip'
	assert_success
	cvx-sha -N export.zip -o n.sha256 <export.zip >/dev/null
	cmp n.sha256 export.zip.sha256
}

@test "names with a backslash or a newline are escaped as sha256sum does" {
	cd "$BATS_TEST_TMPDIR"
	printf x >'a\b'
	printf y >"$(printf 'c\nd')"
	run --separate-stderr cvx-sha -n 'a\b' "$(printf 'c\nd')"
	assert_success
	[ "$output" = "$(sha256sum 'a\b' "$(printf 'c\nd')")" ]
	cvx-sha -n -o sums 'a\b' "$(printf 'c\nd')"
	run sha256sum -c sums
	assert_success
}

@test "-n with an unreadable file reports it, goes on, and exits 1" {
	run --separate-stderr cvx-sha -n "$BIG" /nonexistent/x "$BIG"
	assert_failure 1
	[ "$output" = "$(sha256sum "$BIG" "$BIG")" ]
	[ "$stderr" = "cvx-sha: /nonexistent/x: No such file or directory" ]
}

@test "-n on standard input prints the digest line on stdout only" {
	run --separate-stderr cvx-sha -n <"$BIG"
	assert_success
	[ "$output" = "$(sha256sum <"$BIG")" ]
	[ -z "$stderr" ]
}

@test "-c with the right digest passes everything through, silently" {
	run --separate-stderr bash -c 'cvx-sha -c "$BIGSUM" "$BIG" | cmp - "$BIG"'
	assert_success
	[ -z "$stderr" ]
	upper=$(tr a-f A-F <<<"$BIGSUM")
	run --separate-stderr bash -c \
	    'cat "$BIG" | cvx-sha -c "$1" | cmp - "$BIG"' _ "$upper"
	assert_success
	[ -z "$stderr" ]
}

@test "-c with a wrong digest from a pipe holds back the last 4 MiB, exit 1" {
	bad=$(wrong_sum)
	run --separate-stderr bash -c \
	    'set -o pipefail; cat "$BIG" | cvx-sha -c "$1" |
	    tee >(tail -n 1 >"$BATS_TEST_TMPDIR/last") | wc -c' _ "$bad"
	assert_failure 1
	# The bytes before the held-back tail, then the abort line.
	line="#cvx-abort cvx-sha: stdin: checksum mismatch: expected $bad, got $BIGSUM (the last 4 MiB were held back)"
	assert_output $((6291456 - 4194304 + ${#line} + 2))
	sleep 0.2
	[ "$(cat "$BATS_TEST_TMPDIR/last")" = "$line" ]
	[ "$stderr" = "cvx-sha: stdin: checksum mismatch: expected $bad, got $BIGSUM (the last 4 MiB were held back)" ]
}

@test "-c with a wrong digest from a regular file writes nothing, exit 1" {
	bad=$(wrong_sum)
	for cmd in 'cvx-sha -c "$1" "$BIG" | wc -c' \
	    'cvx-sha -c "$1" <"$BIG" | wc -c' \
	    'cvx-sha -c "$1" "$BIG" >"$BATS_TEST_TMPDIR/out"; r=$?;
	    wc -c <"$BATS_TEST_TMPDIR/out"; exit $r'; do
		run --separate-stderr bash -c "set -o pipefail; $cmd" _ "$bad"
		assert_failure 1
		# Nothing but the abort line.
		assert_output $((${#stderr} + 12))
		[[ $stderr == *": checksum mismatch: expected $bad, got $BIGSUM" ]] ||
		    fail "$stderr"
	done
}

@test "-c with the right digest copies a regular file to a file or a pipe" {
	cvx-sha -c "$BIGSUM" "$BIG" >"$BATS_TEST_TMPDIR/out"
	cmp "$BATS_TEST_TMPDIR/out" "$BIG"
	run bash -c '{ head -c 100 >/dev/null; cvx-sha -c "$1" | cat; } \
	    <"$BIG" | cmp - <(tail -c +101 "$BIG")' _ \
	    "$(tail -c +101 "$BIG" | sha256sum | cut -c1-64)"
	assert_success
}

@test "-c with a wrong digest writes nothing of a small input" {
	head -c 1000 "$BIG" >"$BATS_TEST_TMPDIR/small"
	run --separate-stderr bash -c \
	    'cvx-sha -c "$1" "$2"' _ "$BIGSUM" "$BATS_TEST_TMPDIR/small"
	assert_only_abort cvx-sha
	[[ $stderr == "cvx-sha: $BATS_TEST_TMPDIR/small: checksum mismatch: "* ]]
}

@test "-c with -o writes the digest file on a match, leaves it empty else" {
	cd "$BATS_TEST_TMPDIR"
	cvx-sha -c "$BIGSUM" -o sum "$BIG" >/dev/null
	[ "$(cat sum)" = "$(sha256sum "$BIG")" ]
	run --separate-stderr bash -c \
	    'cvx-sha -c "$1" -o sum "$BIG" >/dev/null' _ "$(wrong_sum)"
	assert_failure 1
	[ ! -s sum ]
}

@test "-C takes the only line of a checksum file, whatever its name" {
	sha256sum "$BIG" >"$BATS_TEST_TMPDIR/sums"
	run --separate-stderr bash -c \
	    'cvx-sha -C "$1" <"$BIG" | cmp - "$BIG"' _ "$BATS_TEST_TMPDIR/sums"
	assert_success
	[ -z "$stderr" ]
}

@test "-C picks the line for the input's name among several" {
	cd "$BATS_TEST_TMPDIR"
	cp "$BIG" b.zip
	printf 'x' >a.zip
	sha256sum a.zip b.zip >sums
	run --separate-stderr bash -c 'cvx-sha -C sums b.zip | cmp - b.zip'
	assert_success
	run --separate-stderr cvx-sha -C sums c.zip
	assert_failure 1
	[ "$stderr" = "cvx-sha: sums: no checksum line for c.zip" ]
	# The BSD form (sha256sum --tag) is read too.
	sha256sum --tag b.zip >tagged
	run --separate-stderr bash -c 'cvx-sha -C tagged b.zip | cmp - b.zip'
	assert_success
}

@test "-C with a file of no checksum line is exit 1" {
	echo "nothing here" >"$BATS_TEST_TMPDIR/sums"
	run --separate-stderr cvx-sha -C "$BATS_TEST_TMPDIR/sums" "$BIG"
	assert_failure 1
	assert_only_abort cvx-sha
	[[ $stderr == *"no SHA-256 checksum line found" ]]
}

@test "-n -c checks without copying" {
	run --separate-stderr cvx-sha -n -c "$BIGSUM" "$BIG"
	assert_success
	assert_output ""
	run --separate-stderr cvx-sha -n -c "$(wrong_sum)" "$BIG"
	assert_failure 1
	assert_output ""
}

@test "a -c mismatch piped into cvx-unzip writes no document" {
	require_corpus
	[ -x "$CVX_BUILD/cvx-unzip" ] || require "cvx-unzip is not built"
	# A real export, and a big one whose central directory is not in the
	# first part either.
	big=$BATS_TEST_TMPDIR/big.zip
	python3 - "$big" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
    z.writestr("_tables/documents.jsonl", '{"name":"t","id":10001}\n')
    z.writestr("t/documents.jsonl", "".join(
        '{"_id":"%d","pad":"%s"}\n' % (i, os.urandom(40).hex())
        for i in range(80000)))
    z.writestr("t/generated_schema.jsonl", '"uniform"\n')
PY
	for z in "$CORPUS/anouk-app/backup-anouk-app-dev.zip" "$big"; do
		sum=$(sha256sum <"$z" | cut -c1-64)
		run --separate-stderr bash -c \
		    'cvx-sha -c "$1" "$2" | cvx-unzip | wc -l' _ "$sum" "$z"
		[ "$output" -gt 0 ] || fail "no document with the right digest"
		bad=$(python3 -c 'import sys; h = sys.argv[1]
print(("1" if h[0] != "1" else "2") + h[1:])' "$sum")
		run --separate-stderr bash -c \
		    'cvx-sha -c "$1" "$2" | cvx-unzip | grep -c "^{"' _ "$bad" "$z"
		assert_output 0
		[[ $stderr == *"cvx-sha: $z: checksum mismatch"* ]] ||
		    fail "$stderr"
	done
}

@test "the copy is unchanged through pipes and files of every kind" {
	# file -> pipe (splice), pipe -> pipe, file -> file (ring).
	run bash -c 'cvx-sha "$BIG" 2>/dev/null | cat | cmp - "$BIG"'
	assert_success
	run bash -c 'cat "$BIG" | cvx-sha 2>/dev/null | cat | cmp - "$BIG"'
	assert_success
	cvx-sha "$BIG" >"$BATS_TEST_TMPDIR/copy" 2>/dev/null
	cmp "$BATS_TEST_TMPDIR/copy" "$BIG"
	# Not from offset 0: a file descriptor already read from.
	run bash -c '{ head -c 100 >/dev/null; cvx-sha 2>/dev/null | cat; } \
	    <"$BIG" | cmp - <(tail -c +101 "$BIG")'
	assert_success
}

@test "an empty input passes through as nothing, with the empty digest" {
	run --separate-stderr cvx-sha </dev/null
	assert_success
	assert_output ""
	[ "$stderr" = "$(sha256sum </dev/null)" ]
}

@test "-n writes digest lines, not the stream: no abort line" {
	run --separate-stderr cvx-sha -n /nonexistent/x "$BIG"
	assert_failure 1
	assert_output "$(sha256sum "$BIG")"
}

@test "an unreadable input is exit 1 naming it" {
	run --separate-stderr cvx-sha /nonexistent/x
	assert_failure 1
	assert_only_abort cvx-sha
	[ "$stderr" = "cvx-sha: /nonexistent/x: No such file or directory" ]
}

@test "an -o file that cannot be written is exit 1 before any copy" {
	run --separate-stderr cvx-sha -o /nonexistent/x "$BIG"
	assert_failure 1
	assert_only_abort cvx-sha
	[[ $stderr == "cvx-sha: /nonexistent/x: "* ]]
}

@test "a write error on stdout is exit 1 with a message" {
	run --separate-stderr bash -c 'cvx-sha "$BIG" >/dev/full'
	assert_failure 1
	[[ $stderr == "cvx-sha: stdout: No space left on device" ]]
	run --separate-stderr bash -c 'cvx-sha -n "$BIG" >/dev/full'
	assert_failure 1
	[[ $stderr == "cvx-sha: stdout: No space left on device" ]]
}

@test "a closed pipe on stdout kills it with SIGPIPE" {
	run bash -c 'cvx-sha "$BIG" 2>/dev/null | head -c1 >/dev/null;
	    echo ${PIPESTATUS[0]}'
	assert_output 141
	run bash -c 'cat "$BIG" | cvx-sha 2>/dev/null | head -c1 >/dev/null;
	    echo ${PIPESTATUS[1]}'
	assert_output 141
}

@test "every EXAMPLE of the man page runs as written" {
	require_corpus
	[ -x "$CVX_BUILD/cvx-unzip" ] || require "cvx-unzip is not built"
	[ -x "$CVX_BUILD/cvx-count" ] || require "cvx-count is not built"
	d=$(scratch)
	cd "$d"
	ln -s "$CORPUS/anouk-app/backup-anouk-app-dev.zip" export.zip
	ln -s "$CORPUS/anouk-app/convex-backup.zip" backup.zip
	mapfile -t cmds < <(sed -n 's/^\(\.Dl \)\{0,1\}\$ //p' \
	    "$ROOT/man/cvx-sha.1")
	[ "${#cmds[@]}" -eq 4 ] || fail "${#cmds[@]} examples"
	for c in "${cmds[@]}"; do
		run --separate-stderr bash -o pipefail -c "$c"
		[ "$status" -eq 0 ] || fail "$c: status $status: $stderr"
		[ -z "$stderr" ] || fail "$c: $stderr"
	done
	[ "$output" = "$(sha256sum export.zip backup.zip)" ]
	[ "$(cat export.zip.sha256)" = "$(sha256sum export.zip)" ]
}
