# cvx-count --refs (issue 14): the references between the documents of a
# stream, for the PostgreSQL -> Convex runbook's verify step.

bats_require_minimum_version 1.5.0
load test_helper

# A mapped stream: chats c1, c2; messages pointing at c1, c2 and c3 (none).
stream() {
	printf '{"name":"chats","id":10001}\n{"name":"messages","id":10002}\n{"name":"users","id":10003}\n' \
	    >"$BATS_TEST_TMPDIR/numbers.jsonl"
	cvx-jsonl-map --table-numbers "$BATS_TEST_TMPDIR/numbers.jsonl" \
	    '{_table, _id: cvx_id(._table; .id)}
	     + if .chat then {chatId: cvx_id("chats"; .chat)} else {} end
	     + if .tags then {tagIds: [.tags[] | cvx_id("chats"; .)]} else {} end
	     + if .user then {userId: cvx_id("users"; .user)} else {} end
	     + {title: "j57aq0y9jv19yezegjkbnbx6bef8bbeX"}' <<'J'
{"_table":"chats","id":"c1"}
{"_table":"chats","id":"c2"}
{"_table":"messages","id":"m1","chat":"c1","tags":["c1","c2","c9"]}
{"_table":"messages","id":"m2","chat":"c3","user":"u1"}
{"_table":"messages","id":"m3","chat":"c2"}
J
}

@test "--refs: per table and field, the table pointed to, references, dangling" {
	stream >"$BATS_TEST_TMPDIR/s.jsonl"
	run -1 --separate-stderr cvx-count --refs "$BATS_TEST_TMPDIR/s.jsonl"
	assert_output - <<'T'
messages	chatId	chats	3	1
messages	tagIds	chats	3	1
messages	userId	#10003	1	1
T
	assert_equal "$stderr" "cvx-count: messages: chatId: 1 of 3 references to chats point to no document
cvx-count: messages: tagIds: 1 of 3 references to chats point to no document
cvx-count: messages: userId: 1 of 1 references to #10003 point to no document"
}

@test "--refs: every reference resolves: exit 0" {
	# The chats, and the message that points at c2.
	stream | sed -n '1,2p; 5p' >"$BATS_TEST_TMPDIR/s.jsonl"
	run -0 --separate-stderr cvx-count --refs <"$BATS_TEST_TMPDIR/s.jsonl"
	assert_output $'messages\tchatId\tchats\t1\t0'
	assert_equal "$stderr" ""
}

@test "--refs: no IDs at all prints nothing" {
	run -0 cvx-count --refs <<<'{"_table":"t","a":"x","b":[1,"y"]}'
	assert_output ''
}

@test "--refs: an abort line upstream fails" {
	run -1 --separate-stderr bash -c "{ echo '{\"_table\":\"t\"}'; echo '#cvx-abort cvx-pg-dump: boom'; } | cvx-count --refs"
	assert_regex "$stderr" 'upstream failed: cvx-pg-dump: boom'
}

@test "--refs: a line that is not JSON names its line" {
	run -1 --separate-stderr cvx-count --refs <<<$'{"_table":"t"}\n{nope'
	assert_regex "$stderr" '^cvx-count: stdin: line 2'
}
