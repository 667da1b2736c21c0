# The chat app's PostgreSQL rows (cvx-pg-dump's stream) as Convex
# documents, for cvx-jsonl-map --table-numbers table-numbers.jsonl:
# - soft-deleted rows (deleted_at set) are dropped;
# - _id is cvx_id(table; old id), and every reference (chat_id) is
#   rewritten the same way, so it points at the document its row pointed
#   at, offline and the same on every run; the old id is kept as legacyId;
# - field names become camelCase (created_at -> createdAt);
# - timestamps are already Convex numbers (float milliseconds since the
#   epoch, cvx-pg-dump's encoding), bytes $bytes, NaN and infinities
#   $float; NULL columns are absent fields (v.optional).
select(.deleted_at == null)
| ._table as $t
| {_table: $t, _id: cvx_id($t; .id), legacyId: .id}
  + (del(._table, .id, .deleted_at)
     | if has("chat_id") then .chat_id |= cvx_id("chats"; .) else . end
     | cvx_camel_keys)
