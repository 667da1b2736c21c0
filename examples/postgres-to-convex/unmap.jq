# The inverse of map.jq: Convex documents back to the rows they came from
# (for the round-trip check).  --slurpfile chats FILE: one object
# {"<convex id>": "<old id>", ...} for the chats, to turn chatId back.
._table as $t
| {_table: $t, id: .legacyId}
  + (del(._table, ._id, ._creationTime, .legacyId)
     | cvx_snake_keys
     | if has("chat_id") then .chat_id |= $chats[0][.] else . end)
