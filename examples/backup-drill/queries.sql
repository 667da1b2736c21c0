-- Questions a drill asks of a restored chat backup.  The tables are
-- cvx-pg-load --create's scratch tables: _id, _creationTime and the whole
-- document as jsonb in `doc`.
\echo 'messages per role'
SELECT doc->>'role' AS role, count(*) AS messages
FROM messages GROUP BY 1 ORDER BY 1;

\echo 'the five busiest threads'
SELECT t._id AS thread, t.doc->>'title' AS title, count(*) AS messages
FROM messages m JOIN threads t ON t._id = m.doc->>'threadId'
GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 5;

\echo 'tokens per model'
SELECT doc->>'model' AS model, count(*) AS runs,
    sum((doc->'usage'->>'promptTokens')::bigint) AS prompt_tokens,
    sum((doc->'usage'->>'completionTokens')::bigint) AS completion_tokens
FROM runs GROUP BY 1 ORDER BY 1;

\echo 'threads without an owner'
SELECT count(*) AS threads FROM threads WHERE NOT doc ? 'userId';
