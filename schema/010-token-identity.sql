-- 010-token-identity.sql: a token may be bound to a machine identity
-- (issue 16): the SAN URI, subject DN or sha256:<fingerprint> of the
-- client certificate a request must come over (ledger/identity.h).  NULL:
-- any connection may use it.  Like the scope, the binding never changes
-- after creation: a token bound otherwise is a new token.

ALTER TABLE tokens ADD COLUMN identity TEXT
	CHECK (identity IS NULL OR length(identity) BETWEEN 1 AND 255);

DROP TRIGGER IF EXISTS tokens_no_unrevoke;
CREATE TRIGGER tokens_no_unrevoke BEFORE UPDATE ON tokens
	WHEN OLD.revoked_ms IS NOT NULL OR NEW.hash != OLD.hash OR
	    NEW.scope != OLD.scope OR NEW.identity IS NOT OLD.identity
BEGIN SELECT RAISE(ABORT, 'a token can only be revoked'); END;

PRAGMA user_version = 10;
