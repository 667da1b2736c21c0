# The PostgreSQL -> Convex runbook (examples/postgres-to-convex, issue 14):
# dump, zip, verify, import on the chat app's sample; the ZIP read back
# and loaded through the inverse mapping gives the same rows.

bats_require_minimum_version 1.5.0
load test_helper
load pg_helper

setup_file() { pg_start; }
teardown_file() { pg_stop; }

setup() {
	pg_newdb
	command -v jq >/dev/null || require "jq is not installed"
	W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W"
	export DATABASE_URL=$DB
}

# make STEP... in the runbook, on this test's database and work folder.
rb() {
	make -s --no-print-directory -C "$ROOT/examples/postgres-to-convex" \
	    CVX_BUILD="$CVX_BUILD" WORK="$W" "$@"
}

@test "runbook: schema, sample, dump, zip, verify, import" {
	run -0 rb schema sample dump zip verify
	assert_line 'verify: '"$W"'/chat-app.zip holds every live row, and every reference resolves'
	assert_line $'messages\tchatId\tchats\t880\t0'
	run -0 python3 "$ROOT/tests/convex_import_check.py" "$W/chat-app.zip"
	assert_output 'ok 3 tables 1060 documents'
	run -0 rb import
	assert_line --index 0 "sha256 $(sha256sum "$W/chat-app.zip" | cut -d' ' -f1)  $W/chat-app.zip"
	assert_line --index 1 "npx convex import --replace-all '$W/chat-app.zip'"
}

@test "runbook: the same database gives the same ZIP" {
	rb schema sample dump zip >/dev/null
	mv "$W/chat-app.zip" "$W/first.zip"
	rb dump zip >/dev/null
	run -0 cmp "$W/first.zip" "$W/chat-app.zip"
}

@test "runbook: the ZIP read back through unmap.jq loads the same rows" {
	rb schema sample dump zip >/dev/null
	sql -c "CREATE DATABASE ${DBNAME}b"
	DB2=$(pg_url "${DBNAME}b")
	PGOPTIONS='-c client_min_messages=warning' psql_q "${DBNAME}b" \
	    -f "$ROOT/examples/postgres-to-convex/schema.sql"
	# The chats' Convex ids back to their old ids, for chatId.
	cvx-unzip --tables chats "$W/chat-app.zip" \
	    | jq -c -n '[inputs | {(._id): .legacyId}] | add' >"$W/chats.json"
	run -0 --separate-stderr bash -c "cvx-unzip '$W/chat-app.zip' \
	    | cvx-jsonl-map --slurpfile chats '$W/chats.json' \
	        -f '$ROOT/examples/postgres-to-convex/unmap.jq' \
	    | cvx-pg-load --dbname '$DB2'"
	for t in chats messages sync_status; do
		live='TRUE'
		[ "$t" = sync_status ] || live='deleted_at IS NULL'
		q="COPY (SELECT * FROM $t WHERE $live ORDER BY id) TO STDOUT"
		want=$(sql -c "$q")
		run -0 psql_q "${DBNAME}b" -A -t -c "$q"
		assert_output "$want"
		[ -n "$want" ]
	done
	# What the rows hold: NaN, infinities, bytes, arrays, NULLs, microseconds.
	q="SELECT count(*) FILTER (WHERE score = 'NaN'),
	    count(*) FILTER (WHERE score = 'Infinity'),
	    count(*) FILTER (WHERE score = '-Infinity'),
	    count(content_hash), count(*) FILTER (WHERE token_count IS NULL),
	    count(*) FILTER (WHERE extract(microseconds FROM created_at)::int % 1000 <> 0),
	    count(attachments), count(cost)
	    FROM messages WHERE deleted_at IS NULL"
	run -0 psql_q "${DBNAME}b" -A -t -c "$q"
	assert_output "$(sql -c "$q")"
	assert_regex "$output" '^1\|1\|1\|[1-9][0-9]*\|[1-9][0-9]*\|880\|[1-9][0-9]*\|[1-9][0-9]*$'
}

@test "runbook: a dangling reference fails verify with its table, field and count" {
	rb schema sample >/dev/null
	# A live message in chat 10, which is soft-deleted: map.jq drops the
	# chat, not the message.
	sql -c "INSERT INTO messages (id, chat_id, role, content, created_at)
	    VALUES ('msg-x', 'chat-00000010', 'user', 'orphan', '2024-05-01')"
	rb dump zip >/dev/null
	run -2 --separate-stderr rb verify
	assert_regex "$stderr" "cvx-count: messages: chatId: 1 of 881 references to chats point to no document"
	assert_line $'messages\tchatId\tchats\t881\t1'
}
