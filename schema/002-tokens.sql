-- 002-tokens.sql: API tokens.  Only SHA-256 hashes of the tokens are kept;
-- a token is shown once, when it is created.  Not a log table: revoking a
-- token updates its row (and the daemon records the revocation in the log).

CREATE TABLE tokens (
	id		INTEGER PRIMARY KEY NOT NULL,
	scope		TEXT NOT NULL CHECK (scope IN ('read', 'write')),
	hash		BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
	label		TEXT NOT NULL DEFAULT '' CHECK (length(label) <= 128),
	created_ms	INTEGER NOT NULL CHECK (created_ms >= 0),
	revoked_ms	INTEGER CHECK (revoked_ms IS NULL OR revoked_ms >= 0)
) STRICT;

CREATE TRIGGER tokens_no_delete BEFORE DELETE ON tokens
BEGIN SELECT RAISE(ABORT, 'tokens are revoked, not deleted'); END;
CREATE TRIGGER tokens_no_unrevoke BEFORE UPDATE ON tokens
	WHEN OLD.revoked_ms IS NOT NULL OR NEW.hash != OLD.hash OR
	    NEW.scope != OLD.scope
BEGIN SELECT RAISE(ABORT, 'a token can only be revoked'); END;

PRAGMA user_version = 2;
