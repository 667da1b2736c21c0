-- The chat app's tables in PostgreSQL, as its migrations made them: the
-- source of the PostgreSQL -> Convex runbook (README.md).  Run with
-- search_path set to the schema to use (the Makefile's SCHEMA).  Tables
-- that exist already are left as they are.
CREATE TABLE IF NOT EXISTS chats (
	id          VARCHAR(36) PRIMARY KEY,
	user_id     VARCHAR(36) NOT NULL,       -- the auth provider's user
	title       TEXT NOT NULL,
	tags        TEXT[] NOT NULL DEFAULT '{}',
	metadata    JSONB,
	pinned      BOOLEAN NOT NULL DEFAULT false,
	avatar      BYTEA,
	created_at  TIMESTAMP NOT NULL,
	updated_at  TIMESTAMP NOT NULL,
	deleted_at  TIMESTAMP                   -- soft delete
);

CREATE TABLE IF NOT EXISTS messages (
	id           VARCHAR(36) PRIMARY KEY,
	chat_id      VARCHAR(36) NOT NULL REFERENCES chats (id),
	role         TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
	content      TEXT NOT NULL,
	attachments  JSONB,
	token_count  INTEGER,
	score        DOUBLE PRECISION,          -- NaN and infinities happen
	cost         NUMERIC(12, 6),
	content_hash BYTEA,
	created_at   TIMESTAMP NOT NULL,
	deleted_at   TIMESTAMP
);
CREATE INDEX IF NOT EXISTS messages_chat_id ON messages (chat_id, created_at);

CREATE TABLE IF NOT EXISTS sync_status (
	id             VARCHAR(36) PRIMARY KEY,
	chat_id        VARCHAR(36) NOT NULL REFERENCES chats (id),
	device         TEXT NOT NULL,
	cursor         BIGINT NOT NULL DEFAULT 0,
	last_synced_at TIMESTAMPTZ,
	synced_on      DATE
);
