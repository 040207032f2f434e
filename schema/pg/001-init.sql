-- pg/001-init.sql: a ledger in PostgreSQL (lib/store-pg*.c, issue 14).
--
-- The tables of the SQLite schema (schema/NNN-*.sql), for many logs in one
-- database: every row carries its log (the log's origin), and each log has
-- its own head row.  A writer fences the sequence on that row: it reads it
-- FOR UPDATE before it appends, moves it by compare-and-set in the same
-- transaction, and PRIMARY KEY (log, seq) is the backstop, so two front
-- ends can never fork a log; writers of two logs never wait on each other.
--
-- As in SQLite, the triggers below are a guard rail against mistakes, not
-- the security boundary: the signatures, the hash chain and the Merkle tree
-- are (ledgerctl verify reports a row edited behind ledgerd's back).

CREATE TABLE ledger_logs (
	log		text PRIMARY KEY CHECK (length(log) BETWEEN 1 AND 255),
	created_ms	bigint NOT NULL CHECK (created_ms >= 0)
);

CREATE TABLE ledger_meta (
	log	text NOT NULL REFERENCES ledger_logs (log),
	name	text NOT NULL,
	value	text NOT NULL,
	PRIMARY KEY (log, name)
);

CREATE TABLE ledger_head (
	log		text PRIMARY KEY REFERENCES ledger_logs (log),
	size		bigint NOT NULL CHECK (size >= 0),
	last_leaf	bytea NOT NULL CHECK (length(last_leaf) = 32),
	last_time_ms	bigint NOT NULL CHECK (last_time_ms >= 0)
);

-- One row per entry: entry holds the exact RFC 8785 bytes that are hashed
-- and signed; every other column is a copy of a field inside them, kept for
-- queries (verify re-encodes each row and requires the same bytes).  terms
-- are the entry's lookup terms (lib/lookup.h) but its place term, which is
-- the place column: a GIN index finds candidates by term (the caller then
-- compares the columns), and the places of an environment are a range of
-- the place index.
CREATE TABLE ledger_entries (
	log		text NOT NULL REFERENCES ledger_logs (log),
	seq		bigint NOT NULL CHECK (seq >= 0),
	entry		bytea NOT NULL CHECK (length(entry) > 0),
	sig		bytea NOT NULL CHECK (length(sig) = 64),
	key_id		bigint NOT NULL CHECK (key_id BETWEEN 0 AND 4294967295),
	prev		bytea NOT NULL CHECK (length(prev) = 32),
	time_ms		bigint NOT NULL CHECK (time_ms >= 0),
	kind		text NOT NULL CHECK (kind IN ('build', 'test', 'scan',
			    'artifact', 'approval', 'deployment', 'rollback',
			    'change', 'incident', 'ledger', 'other')),
	source_name	text NOT NULL CHECK (length(source_name) > 0),
	source_type	text NOT NULL CHECK (length(source_type) > 0),
	source_event	text,
	delivery	text,
	auth		text,
	actor		text,
	artifact	text,
	commit_id	text,
	deployment	text,
	environment	text,
	pipeline	text,
	run		text,
	service		text,
	status		text,
	summary		text,
	ticket		text,
	tool		text,
	tool_version	text,
	url		text,
	payload_sha256	bytea NOT NULL CHECK (length(payload_sha256) = 32),
	payload_size	bigint NOT NULL CHECK (payload_size >= 0),
	payload_type	text NOT NULL,
	terms		text[],
	place		text COLLATE "C",
	PRIMARY KEY (log, seq)
);
-- Retries are idempotent: one entry per (source, delivery id) in a log,
-- whichever front end took it.
CREATE UNIQUE INDEX ledger_entries_delivery
	ON ledger_entries (log, source_name, delivery)
	WHERE delivery IS NOT NULL;
CREATE INDEX ledger_entries_terms ON ledger_entries USING gin (terms);
CREATE INDEX ledger_entries_place ON ledger_entries (log, place, seq)
	WHERE place IS NOT NULL;

-- The raw payload bytes as received, zlib-compressed; bound to the entry by
-- its payload_sha256 (of the uncompressed bytes).
CREATE TABLE ledger_payloads (
	log	text NOT NULL,
	seq	bigint NOT NULL,
	data	bytea NOT NULL,
	headers	text,
	PRIMARY KEY (log, seq),
	FOREIGN KEY (log, seq) REFERENCES ledger_entries (log, seq)
);

-- RFC 6962 Merkle tree: every complete subtree's hash by its stored-hash
-- index (golang.org/x/mod/sumdb/tlog).
CREATE TABLE ledger_tree (
	log	text NOT NULL REFERENCES ledger_logs (log),
	id	bigint NOT NULL CHECK (id >= 0),
	hash	bytea NOT NULL CHECK (length(hash) = 32),
	PRIMARY KEY (log, id)
);

CREATE TABLE ledger_checkpoints (
	log	text NOT NULL REFERENCES ledger_logs (log),
	size	bigint NOT NULL CHECK (size >= 0),
	root	bytea NOT NULL CHECK (length(root) = 32),
	time_ms	bigint NOT NULL CHECK (time_ms >= 0),
	note	text NOT NULL CHECK (length(note) > 0),
	PRIMARY KEY (log, size)
);

-- API tokens: their SHA-256 only (lib/token.c); ids count per log.
CREATE TABLE ledger_tokens (
	log		text NOT NULL REFERENCES ledger_logs (log),
	id		bigint NOT NULL CHECK (id > 0),
	scope		text NOT NULL CHECK (scope IN ('read', 'write')),
	hash		bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
	label		text NOT NULL DEFAULT '' CHECK (length(label) <= 128),
	created_ms	bigint NOT NULL CHECK (created_ms >= 0),
	revoked_ms	bigint CHECK (revoked_ms IS NULL OR revoked_ms >= 0),
	identity	text CHECK (identity IS NULL OR
			    length(identity) BETWEEN 1 AND 255),
	PRIMARY KEY (log, id)
);

-- ---- guard rails ----

CREATE FUNCTION ledger_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
	    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE
	ON ledger_entries FOR EACH ROW EXECUTE FUNCTION ledger_refuse();
CREATE TRIGGER ledger_tree_append_only BEFORE UPDATE OR DELETE
	ON ledger_tree FOR EACH ROW EXECUTE FUNCTION ledger_refuse();
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE
	ON ledger_checkpoints FOR EACH ROW EXECUTE FUNCTION ledger_refuse();
CREATE TRIGGER ledger_payloads_no_update BEFORE UPDATE
	ON ledger_payloads FOR EACH ROW EXECUTE FUNCTION ledger_refuse();

-- The head never shrinks and is never deleted.
CREATE FUNCTION ledger_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' OR NEW.size < OLD.size OR NEW.log <> OLD.log THEN
		RAISE EXCEPTION 'the head cannot shrink or be deleted'
		    USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER ledger_head_grows BEFORE UPDATE OR DELETE ON ledger_head
	FOR EACH ROW EXECUTE FUNCTION ledger_head_guard();

-- Payloads are deleted only by prune: below the log's recorded mark, and
-- never those of the ledger's own entries; the mark only rises.
CREATE FUNCTION ledger_payload_prune_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.seq >= COALESCE((SELECT value::bigint FROM ledger_meta
	    WHERE log = OLD.log AND name = 'prune_before'), 0)
	    OR (SELECT kind FROM ledger_entries WHERE log = OLD.log AND
	    seq = OLD.seq) = 'ledger' THEN
		RAISE EXCEPTION 'payloads are deleted only by prune, below '
		    'the recorded range, and never those of ledger entries'
		    USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN OLD;
END $$;
CREATE TRIGGER ledger_payloads_prune_only BEFORE DELETE ON ledger_payloads
	FOR EACH ROW EXECUTE FUNCTION ledger_payload_prune_only();

CREATE FUNCTION ledger_meta_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' OR NEW.name <> OLD.name OR NEW.log <> OLD.log OR
	    (OLD.name = 'prune_before' AND NEW.value::bigint <
	    OLD.value::bigint) OR OLD.name IN ('origin', 'key_id') THEN
		RAISE EXCEPTION 'meta % cannot change that way', OLD.name
		    USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER ledger_meta_rises BEFORE UPDATE OR DELETE ON ledger_meta
	FOR EACH ROW EXECUTE FUNCTION ledger_meta_guard();

-- Tokens are revoked, never deleted or changed otherwise.
CREATE FUNCTION ledger_token_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' OR OLD.revoked_ms IS NOT NULL OR
	    NEW.hash <> OLD.hash OR NEW.scope <> OLD.scope OR
	    NEW.log <> OLD.log OR NEW.identity IS DISTINCT FROM OLD.identity
	THEN
		RAISE EXCEPTION 'a token can only be revoked'
		    USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER ledger_tokens_revoke_only BEFORE UPDATE OR DELETE
	ON ledger_tokens FOR EACH ROW EXECUTE FUNCTION ledger_token_guard();
