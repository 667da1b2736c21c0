-- Deterministic sample data for schema.sql: the same rows on every run.
--   psql -v chats=N -v messages=M -f sample.sql   (defaults 100 and 1000)
-- Every 10th chat is soft-deleted, and its messages with it; every 50th
-- other message is soft-deleted too.  The first messages hold the edge
-- values: NaN and infinite scores, empty and NULL-holding arrays, bytes.
\if :{?chats}
\else
\set chats 100
\endif
\if :{?messages}
\else
\set messages 1000
\endif

TRUNCATE sync_status, messages, chats;

INSERT INTO chats
SELECT 'chat-' || lpad(i::text, 8, '0'),
       'user-' || lpad((i % 37)::text, 4, '0'),
       'Chat ' || i || ' about ' || (ARRAY['travel', 'work', 'food', 'code'])[i % 4 + 1],
       CASE i % 5 WHEN 0 THEN '{}' WHEN 1 THEN ARRAY['a', 'b c']
                  WHEN 2 THEN ARRAY['x', NULL] ELSE ARRAY['tag' || i % 7] END,
       CASE WHEN i % 3 = 0 THEN NULL
            ELSE jsonb_build_object('model', 'm' || i % 4, 'temperature', round((i % 10) / 10.0, 1),
                                    'flags', jsonb_build_array(i % 2 = 0, null)) END,
       i % 11 = 0,
       CASE WHEN i % 4 = 0 THEN decode(md5(i::text), 'hex') END,
       timestamp '2024-01-01 00:00:00' + i * interval '1 hour 0.123457 second',
       timestamp '2024-06-01 00:00:00' + i * interval '17 minutes 0.000001 second',
       CASE WHEN i % 10 = 0 THEN timestamp '2025-01-01' + i * interval '1 second' END
FROM generate_series(1, :chats) i;

INSERT INTO messages
SELECT 'msg-' || lpad(i::text, 10, '0'),
       'chat-' || lpad((i % :chats + 1)::text, 8, '0'),
       (ARRAY['user', 'assistant', 'system'])[i % 3 + 1],
       'Message ' || i || ': ' || md5(i::text) || E'\n' || repeat('lorem ipsum ', i % 5),
       CASE WHEN i % 7 = 0 THEN jsonb_build_array(jsonb_build_object('name', 'f' || i || '.png', 'size', i * 10)) END,
       CASE WHEN i % 3 = 1 THEN i % 500 END,
       CASE i WHEN 1 THEN 'NaN' WHEN 2 THEN 'Infinity' WHEN 3 THEN '-Infinity'
              ELSE CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 1000) / 7.0 END END,
       CASE WHEN i % 2 = 0 THEN round((i % 1000) * 0.000123, 6) END,
       CASE WHEN i % 5 = 0 THEN decode(md5('m' || i), 'hex') END,
       timestamp '2024-01-01 00:00:00' + i * interval '1 minute 0.000001 second',
       CASE WHEN (i % :chats + 1) % 10 = 0
            THEN timestamp '2025-01-01' + (i % :chats + 1) * interval '1 second'
            WHEN i % 50 = 0 THEN timestamp '2025-02-01' END
FROM generate_series(1, :messages) i;

INSERT INTO sync_status
SELECT 'sync-' || lpad(i::text, 8, '0'),
       'chat-' || lpad(i::text, 8, '0'),
       (ARRAY['ios', 'android', 'web'])[i % 3 + 1],
       i::bigint * 1000003,
       CASE WHEN i % 6 <> 0 THEN timestamptz '2024-03-01 12:00:00+00' + i * interval '1.000001 second' END,
       CASE WHEN i % 6 <> 0 THEN date '2024-03-01' + i END
FROM generate_series(1, :chats) i
WHERE i % 10 <> 0;                      -- deleted chats have no sync row
