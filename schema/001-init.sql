-- 001-init.sql: the log, its payloads, the Merkle tree and the head.
--
-- Log tables are append-only: triggers refuse UPDATE and DELETE.  That is a
-- guard rail against mistakes, not the security boundary; the signatures,
-- the hash chain and the Merkle tree are (ledgerctl verify).

CREATE TABLE meta (
	name	TEXT PRIMARY KEY NOT NULL,
	value	TEXT NOT NULL
) STRICT;

-- One row per entry.  entry holds the exact RFC 8785 bytes that are hashed
-- and signed; every other column is a copy of a field inside those bytes,
-- kept for queries.  ledgerctl verify re-encodes each row from its columns
-- and requires the result to equal entry, so an edited column is detected.
CREATE TABLE entries (
	seq		INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 0),
	entry		BLOB NOT NULL CHECK (length(entry) > 0),
	sig		BLOB NOT NULL CHECK (length(sig) = 64),
	key_id		INTEGER NOT NULL CHECK (key_id BETWEEN 0 AND 4294967295),
	prev		BLOB NOT NULL CHECK (length(prev) = 32),
	time_ms		INTEGER NOT NULL CHECK (time_ms >= 0),
	kind		TEXT NOT NULL CHECK (kind IN ('build', 'test', 'scan',
			    'artifact', 'approval', 'deployment', 'rollback',
			    'change', 'incident', 'ledger', 'other')),
	source_name	TEXT NOT NULL CHECK (length(source_name) > 0),
	source_type	TEXT NOT NULL CHECK (length(source_type) > 0),
	source_event	TEXT,
	delivery	TEXT,
	auth		TEXT,
	actor		TEXT,
	artifact	TEXT,
	commit_id	TEXT,
	environment	TEXT,
	pipeline	TEXT,
	run		TEXT,
	service		TEXT,
	status		TEXT,
	ticket		TEXT,
	url		TEXT,
	payload_sha256	BLOB NOT NULL CHECK (length(payload_sha256) = 32),
	payload_size	INTEGER NOT NULL CHECK (payload_size >= 0),
	payload_type	TEXT NOT NULL
) STRICT;

-- Retries are idempotent: one entry per (source, delivery id).
CREATE UNIQUE INDEX entries_delivery ON entries (source_name, delivery)
	WHERE delivery IS NOT NULL;
CREATE INDEX entries_time ON entries (time_ms);
CREATE INDEX entries_kind ON entries (kind, time_ms);
CREATE INDEX entries_environment ON entries (environment, time_ms)
	WHERE environment IS NOT NULL;
CREATE INDEX entries_commit ON entries (commit_id) WHERE commit_id IS NOT NULL;
CREATE INDEX entries_artifact ON entries (artifact) WHERE artifact IS NOT NULL;
CREATE INDEX entries_pipeline ON entries (pipeline, time_ms)
	WHERE pipeline IS NOT NULL;
CREATE INDEX entries_service ON entries (service, time_ms)
	WHERE service IS NOT NULL;
CREATE INDEX entries_run ON entries (run) WHERE run IS NOT NULL;

-- The raw payload bytes exactly as received, zlib-compressed; bound to the
-- entry by entries.payload_sha256 (of the uncompressed bytes).
CREATE TABLE payloads (
	seq	INTEGER PRIMARY KEY NOT NULL REFERENCES entries (seq),
	data	BLOB NOT NULL
) STRICT;

-- RFC 6962 Merkle tree: every complete-subtree hash, keyed by the
-- golang.org/x/mod/sumdb/tlog stored-hash index, so the root of any size
-- and any proof is O(log n) point reads.
CREATE TABLE tree (
	id	INTEGER PRIMARY KEY NOT NULL CHECK (id >= 0),
	hash	BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;

-- The head: how many entries the log holds and the newest leaf, written
-- in the same transaction as each batch.  Opening a store reads this row
-- (and O(log n) tree hashes), never the whole log.
CREATE TABLE head (
	id		INTEGER PRIMARY KEY NOT NULL CHECK (id = 0),
	size		INTEGER NOT NULL CHECK (size >= 0),
	last_leaf	BLOB NOT NULL CHECK (length(last_leaf) = 32),
	last_time_ms	INTEGER NOT NULL CHECK (last_time_ms >= 0)
) STRICT;
INSERT INTO head (id, size, last_leaf, last_time_ms)
	VALUES (0, 0, zeroblob(32), 0);

CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
CREATE TRIGGER payloads_no_update BEFORE UPDATE ON payloads
BEGIN SELECT RAISE(ABORT, 'payloads are append-only'); END;
CREATE TRIGGER payloads_no_delete BEFORE DELETE ON payloads
BEGIN SELECT RAISE(ABORT, 'payloads are append-only'); END;
CREATE TRIGGER tree_no_update BEFORE UPDATE ON tree
BEGIN SELECT RAISE(ABORT, 'tree is append-only'); END;
CREATE TRIGGER tree_no_delete BEFORE DELETE ON tree
BEGIN SELECT RAISE(ABORT, 'tree is append-only'); END;
CREATE TRIGGER head_no_delete BEFORE DELETE ON head
BEGIN SELECT RAISE(ABORT, 'head cannot be deleted'); END;
CREATE TRIGGER head_no_shrink BEFORE UPDATE ON head
	WHEN NEW.size < OLD.size
BEGIN SELECT RAISE(ABORT, 'head cannot shrink'); END;

PRAGMA user_version = 1;
