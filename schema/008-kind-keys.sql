-- 008-kind-keys.sql: lookup terms for the answers' joins (issue 12).
--
-- Three terms qualify a fine value by the entry's kind (q: kind and
-- commit, h: kind and artifact, j: kind and run), so that "the builds and
-- changes of this commit" or "the approvals of this artifact" read those
-- rows only; before, such a question read every row carrying the commit
-- and dropped the others in C.  One term (x) names where a deployment or
-- rollback happened: the environment's key in its high half and the
-- service's in its low half, so the services of an environment are a range
-- of terms and each service's history a short doclist of its own.  See
-- lib/lookup.h and docs/performance.md ("Answers").
--
-- The table is refilled from the columns, as 006 did; the fifteenth
-- argument gives the body key the deployment id that schema 7 added
-- (entries appended since then carry it in their body terms already).

INSERT INTO entry_keys (entry_keys) VALUES ('delete-all');

INSERT INTO entry_keys (rowid, k)
	SELECT seq, ledger_lookup_terms(kind, source_name, delivery, actor,
	    artifact, commit_id, environment, pipeline, run, service, status,
	    ticket, source_event, payload_sha256, deployment)
	FROM entries ORDER BY seq;

-- One segment to start from, and background merging down to one segment
-- a level (ledger_store_merge_keys, from ledgerd's maintenance tick): a
-- lookup probes every segment of the index, and a log appended in small
-- batches kept a dozen (docs/performance.md, "Answers").
INSERT INTO entry_keys (entry_keys) VALUES ('optimize');
INSERT INTO entry_keys (entry_keys, rank) VALUES ('usermerge', 2);

PRAGMA user_version = 8;
