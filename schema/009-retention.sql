-- 009-retention.sql: payloads may be pruned, never anything else (issue 13).
--
-- A retention policy deletes raw payloads (and the delivery headers kept
-- beside them) of old entries; the entries, their hashes, the tree and
-- the checkpoints stay, so every proof still holds and verify reports the
-- range as pruned, not missing (docs/FORMAT.md, "Retention").  Pruning
-- first appends a `payloads-pruned` entry naming the range, then raises
-- meta 'prune_before' to the range's end in the transaction of its first
-- deletion; this trigger keeps deletion below that mark and away from the
-- ledger's own entries (key, hold and prune records must stay readable).
-- Like the other triggers it is a guard rail: the signed record of the
-- range is what an auditor relies on.

DROP TRIGGER IF EXISTS payloads_no_delete;

CREATE TRIGGER IF NOT EXISTS payloads_prune_only BEFORE DELETE ON payloads
	WHEN OLD.seq >= COALESCE((SELECT CAST(value AS INTEGER) FROM meta
	    WHERE name = 'prune_before'), 0)
	    OR (SELECT kind FROM entries WHERE seq = OLD.seq) = 'ledger'
BEGIN SELECT RAISE(ABORT, 'payloads are deleted only by prune, below the recorded range, and never those of ledger entries'); END;

-- The mark only rises.
CREATE TRIGGER IF NOT EXISTS meta_prune_rises BEFORE UPDATE ON meta
	WHEN OLD.name = 'prune_before' AND
	    CAST(NEW.value AS INTEGER) < CAST(OLD.value AS INTEGER)
BEGIN SELECT RAISE(ABORT, 'the pruned range cannot shrink'); END;

PRAGMA user_version = 9;
