-- 004-lookup-keys.sql: no secondary B-tree indexes; lookup keys instead.
--
-- A B-tree index dirties a page per distinct key in every commit: a page
-- per event for the random ones (delivery ids, commit ids, artifact
-- digests), and a page per service, pipeline or environment in the batch
-- for the (value, time) ones.  With nine of them a commit of 15 events
-- wrote ~30 pages for 8 pages of data, and the append cost grew with the
-- log (64 us an event at 20,000 entries, 135 us at 200,000; see
-- docs/performance.md).  Instead every filterable value of an entry is
-- hashed to a term in one FTS5 table under rowid = seq (lib/lookup.h):
-- FTS5 writes a transaction's terms as one sorted segment and merges
-- segments incrementally, so an event costs bytes, not pages.  Time ranges
-- need no index: time never decreases with seq, so the store finds the
-- seq of a time by bisection.
--
-- Contentless (the values live in entries), detail=none (only rowids),
-- no column sizes: the smallest FTS5 index there is.  A term only finds
-- candidates; every query also compares the columns.  Idempotency (one
-- entry per source and delivery id) is enforced by the append path, which
-- looks the pair up under the write lock before it appends.
--
-- ledger_lookup_terms() is the store's own SQL function (lib/store.c).

CREATE VIRTUAL TABLE entry_keys USING fts5 (k, content = '',
	detail = 'none', columnsize = 0, tokenize = 'ascii');

INSERT INTO entry_keys (rowid, k)
	SELECT seq, ledger_lookup_terms(kind, source_name, delivery, actor,
	    artifact, commit_id, environment, pipeline, run, service, status,
	    ticket)
	FROM entries ORDER BY seq;

DROP INDEX entries_delivery;
DROP INDEX entries_time;
DROP INDEX entries_kind;
DROP INDEX entries_environment;
DROP INDEX entries_commit;
DROP INDEX entries_artifact;
DROP INDEX entries_pipeline;
DROP INDEX entries_service;
DROP INDEX entries_run;

PRAGMA user_version = 4;
