-- 004-lookup-keys.sql: look up random values through an LSM, not B-trees.
--
-- Commit ids, artifact digests, run ids and (source, delivery) pairs are
-- random: a B-tree index on one dirties a page per event in every commit,
-- and with four of them the append cost grew with the log (64 us per event
-- at 20,000 entries, 135 us at 200,000; docs/performance.md).  Instead each
-- entry's values are hashed to terms in an FTS5 table under rowid = seq
-- (lib/lookup.h): FTS5 writes a transaction's terms as one sorted segment
-- and merges segments incrementally, so an event costs bytes, not pages.
--
-- Contentless (the values live in entries), detail=none (only rowids),
-- no column sizes: the smallest FTS5 index there is.  A term only finds
-- candidates; every lookup also compares the column.  Idempotency (one
-- entry per source and delivery id) is enforced by the append path, which
-- looks the pair up under the write lock before it appends.
--
-- ledger_lookup_terms() is the store's own SQL function (lib/store.c).

CREATE VIRTUAL TABLE entry_keys USING fts5 (k, content = '',
	detail = 'none', columnsize = 0, tokenize = 'ascii');

INSERT INTO entry_keys (rowid, k)
	SELECT seq, ledger_lookup_terms(commit_id, artifact, run,
	    source_name, delivery)
	FROM entries
	WHERE commit_id IS NOT NULL OR artifact IS NOT NULL OR
	    run IS NOT NULL OR delivery IS NOT NULL
	ORDER BY seq;

DROP INDEX entries_delivery;
DROP INDEX entries_commit;
DROP INDEX entries_artifact;
DROP INDEX entries_run;

PRAGMA user_version = 4;
