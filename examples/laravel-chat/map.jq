# Convex chat export -> the Laravel app's tables (schema.sql).
#
# Input: the tagged stream of `cvx-unzip -t users,threads,runs,messages`.
# Output: one line per target row, `_table` naming the Laravel table.
# Needs `--slurpfile skip FILE`, FILE holding one object whose keys are the
# _id of every thread without an owner (the Makefile's `skip.json` step).
#
# - Columns are named explicitly (camelCase -> snake_case): the column list
#   is the contract with the app's migrations.
# - _creationTime and the other epoch-millisecond fields stay numbers:
#   cvx-pg-load turns a number into a timestamptz exactly, to the
#   microsecond (jq's todate would drop the milliseconds).
# - Convex ids are kept: convex_id on every row (the merge key), and
#   <ref>_convex_id for each reference; schema.sql's triggers resolve them
#   to the bigint foreign keys during the load.
# - Rule: a thread without an owner is not imported, nor anything in it.
# - A Convex thread is also an agent conversation, a message also an agent
#   conversation message; a run's `events` become run_events rows.

def skipped_thread($id): $skip[0][$id] == true;

# Laravel keeps created_at/updated_at; Convex only has _creationTime.
def stamps: {created_at: ._creationTime, updated_at: ._creationTime};

def user:
	{_table: "users", convex_id: ._id, name, email, image, role,
	 token_identifier: .tokenIdentifier} + stamps;

def thread:
	if .userId == null then empty
	else
		({_table: "threads", convex_id: ._id, user_convex_id: .userId,
		  title, status, last_message_at: .lastMessageAt} + stamps),
		({_table: "agent_conversations", convex_id: ._id,
		  user_convex_id: .userId, title} + stamps)
	end;

def run_events:
	._id as $run
	| .events // []
	| range(0; length) as $i
	| .[$i]
	| {_table: "run_events", convex_id: "\($run)#\($i)",
	   run_convex_id: $run, seq: $i, type, data, occurred_at: .at,
	   created_at: .at, updated_at: .at};

def run:
	if skipped_thread(.threadId) then empty
	else
		({_table: "runs", convex_id: ._id,
		  thread_convex_id: .threadId, user_convex_id: .userId, model,
		  status, started_at: .startedAt, finished_at: .finishedAt,
		  prompt_tokens: .usage.promptTokens,
		  completion_tokens: .usage.completionTokens} + stamps),
		run_events
	end;

def message:
	if skipped_thread(.threadId) then empty
	else
		({_table: "messages", convex_id: ._id,
		  thread_convex_id: .threadId, user_convex_id: .userId,
		  run_convex_id: .runId, role, content, position,
		  metadata} + stamps),
		({_table: "agent_conversation_messages", convex_id: ._id,
		  conversation_convex_id: .threadId,
		  user_convex_id: .userId, role, content,
		  meta: .metadata} + stamps)
	end;

if ._table == "users" then user
elif ._table == "threads" then thread
elif ._table == "runs" then run
elif ._table == "messages" then message
else error("map.jq: no mapping for table \(._table)")
end
