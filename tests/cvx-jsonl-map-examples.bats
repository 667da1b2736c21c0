# cvx-jsonl-map: every EXAMPLE of man/cvx-jsonl-map.1, run as written on
# a small synthetic chat export (bench/gen-export.py), its output checked
# with python3.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	export W=$BATS_FILE_TMPDIR
	python3 "$ROOT/bench/gen-export.py" -q --messages 400 "$W/export.zip"
}

setup() {
	[ -x "$CVX_BUILD/cvx-unzip" ] || require "cvx-unzip is not built"
	cd "$W"
}

# Check the output lines ($1, a file) against python's expectation, given
# as a python expression over `docs` (cvx-unzip's documents, parsed).
expect_py() {
	run python3 - "$1" "$2" <<'PY'
import datetime, json, math, sys
out, want_expr = sys.argv[1], sys.argv[2]
docs = []
for l in open("stream.jsonl"):
    docs.append(json.loads(l))
def iso(t):
    ms = math.floor(t)
    d = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)
got = [json.loads(l) for l in open(out)]
want = eval(want_expr)
assert got == want, (len(got), len(want), got[:2], want[:2])
assert len(want) > 0
print("ok", len(want))
PY
	assert_success
}

@test "example: messages with renamed columns and a timestamp" {
	cvx-unzip -t messages export.zip > stream.jsonl
	cvx-unzip -t messages export.zip | cvx-jsonl-map \
	    '{_table, id: ._id, created_at: (._creationTime | cvx_todate),
	      body: .content}' > out.jsonl
	expect_py out.jsonl '[{"_table": d["_table"], "id": d["_id"],
	    "created_at": iso(d["_creationTime"]), "body": d["content"]} for d in docs]'
}

@test "example: threads without an owner skipped, other tables unchanged" {
	cvx-unzip export.zip > stream.jsonl
	cvx-unzip export.zip | cvx-jsonl-map -t threads 'select(.userId)' > out.jsonl
	run python3 -c '
import json
lines = open("stream.jsonl", "rb").read().splitlines()
out = open("out.jsonl", "rb").read().splitlines()
want, skipped = [], 0
for l in lines:
    d = json.loads(l)
    if d["_table"] != "threads":
        want.append(l)
    elif d.get("userId"):
        want.append(json.loads(l))
    else:
        skipped += 1
got = [l if json.loads(l)["_table"] != "threads" else json.loads(l) for l in out]
assert got == want and skipped > 0, (len(got), len(want), skipped)
print("ok", skipped)'
	assert_success
}

@test "example: one run in, the run and its events out" {
	cvx-unzip -t runs export.zip > stream.jsonl
	cvx-unzip -t runs export.zip | cvx-jsonl-map \
	    '{_table, id: ._id}, (.events[] | {_table: "run_events", type})' > out.jsonl
	expect_py out.jsonl '[x for d in docs for x in [{"_table": "runs", "id": d["_id"]}] +
	    [{"_table": "run_events", "type": e["type"]} for e in d["events"]]]'
}

@test "example: a program file with a module directory, snake_case columns" {
	mkdir -p lib
	cat > lib/common.jq <<'EOF'
def created: .created_at = ._creation_time | del(._creation_time);
EOF
	cat > map.jq <<'EOF'
include "common";
cvx_snake_keys | created | .created_at |= cvx_todate
EOF
	cvx-unzip -t runs export.zip > stream.jsonl
	cvx-jsonl-map -L lib -f map.jq stream.jsonl > out.jsonl
	expect_py out.jsonl '[dict([(__import__("re").sub("([a-z0-9])([A-Z])", r"\1_\2", k).lower(), v)
	    for k, v in d.items() if k != "_creationTime"] + [("created_at", iso(d["_creationTime"]))])
	    for d in docs]'
}

@test "example: keep going past bad lines, then count the reasons" {
	printf '{"a":1}\n{"a":"x"}\n{"a":2}\n{"a":"y"}\n' > in.jsonl
	run --separate-stderr bash -c "cvx-jsonl-map --errors rejected.jsonl '.a + 1 | {a: .}' \\
	    in.jsonl >out.jsonl"
	[ "$status" -eq 1 ]
	[ "$(cat out.jsonl)" = "$(printf '{"a":2}\n{"a":3}')" ]
	run bash -c 'jq -r .error rejected.jsonl | sort | uniq -c'
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} == *"1 jq: error: string (\"x\") and number (1) cannot be added" ]]
}

@test "example: int64 token counts as exact strings" {
	cvx-unzip -t runs export.zip > stream.jsonl
	cvx-unzip -t runs export.zip |
	    cvx-jsonl-map --int64 string '{_table, id: ._id, tokens: .usage.promptTokens}' > out.jsonl
	expect_py out.jsonl '[{"_table": "runs", "id": d["_id"], "tokens":
	    d["usage"]["promptTokens"] if abs(d["usage"]["promptTokens"]) <= 2**53
	    else str(d["usage"]["promptTokens"])} for d in docs]'
}

@test "example: rows from PostgreSQL with IDs and references minted, for cvx-zip" {
	printf '%s\n' '{"name":"chats","id":10001}' '{"name":"messages","id":10002}' >tables.jsonl
	printf '%s\n' '{"_table":"chats","id":"c1","title":"a"}' \
	    '{"_table":"chats","id":"c2","title":"b"}' \
	    '{"_table":"messages","id":7,"chat_id":"c2","body":"x"}' \
	    '{"_table":"messages","id":8,"chat_id":"c1","body":"y"}' >dump.jsonl
	cvx-jsonl-map --table-numbers tables.jsonl \
	    'cvx_camel_keys | ._id = cvx_id(._table; .id) | .legacyId = .id
	     | del(.id) | if .chatId then .chatId = cvx_id("chats"; .chatId)
	     else . end' dump.jsonl | cvx-zip -o import.zip
	# Every reference is the _id of the chat its row pointed at.
	run -0 python3 -c '
import json, zipfile
z = zipfile.ZipFile("import.zip")
chats = {json.loads(l)["legacyId"]: json.loads(l)["_id"]
         for l in z.read("chats/documents.jsonl").splitlines()}
msgs = [json.loads(l) for l in z.read("messages/documents.jsonl").splitlines()]
print(sorted((m["legacyId"], m["chatId"] == chats[m["body"] == "x" and "c2" or "c1"]) for m in msgs))'
	assert_output '[(7.0, True), (8.0, True)]'
}
