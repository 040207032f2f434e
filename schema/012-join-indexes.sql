-- 012-join-indexes.sql: covering indexes for the answers (issue 12).
--
-- A population (`deployments`, `exceptions` over a quarter) joins every
-- deployment to the approvals of its environment and to the authors of
-- its commit.  Through the lookup terms each of those rows cost a B-tree
-- descent into entries and a page of the file (the rows are a sixth of
-- the log, about four to a page): most of a quarter's answer.  Two
-- partial indexes hold just the columns the join reads, so SQLite never
-- reads entries' own pages for them (lib/store-sqlite-read.c,
-- sqlite_narrow; docs/performance.md, "Answers"):
--
-- - the approvals of an environment are one range of entries_approvals;
-- - the builds and changes of a commit are found by their lookup terms,
--   as before, and read from entries_build_authors by seq: a page holds
--   about a hundred of them instead of four.
--
-- Both grow at their right edges (seq order within an environment; seq
-- order), so an append dirties a page or two of each per commit.  An
-- index of the authors keyed by commit answered a quarter no faster on a
-- settled key index, but each build or change dirtied a page of its own:
-- HTTP ingest of builds of new commits fell from 11.6-12.1k to 9.8-10.0k
-- events a second, under its 10k target.
--
-- They are SQLite's own derived data, kept in the same transaction as the
-- rows.  Answers read them instead of the rows, so verify checks them:
-- the columns against the signed entries as before, and the indexes
-- against the table (PRAGMA integrity_check(entries), naming the entry an
-- index lost; lib/store-sqlite-scan.c).  A dropped index is no tamper the
-- answers can be misled by: they read through the lookup terms then.

CREATE INDEX entries_approvals ON entries (environment, seq, kind, time_ms,
	source_name, source_type, actor, artifact, commit_id, run, pipeline,
	status) WHERE kind = 'approval';

CREATE INDEX entries_build_authors ON entries (seq, commit_id, actor, kind)
	WHERE kind IN ('build', 'change');

-- The deployments and rollbacks of an environment, every column the
-- answers show of them: a quarter's population is one range of this index
-- instead of a page of entries for each of its rows.

CREATE INDEX entries_deployments ON entries (environment, seq, kind, time_ms,
	source_name, source_type, auth, actor, artifact, commit_id, deployment,
	pipeline, run, service, status, ticket, url)
	WHERE kind IN ('deployment', 'rollback');

-- The ledger's clock by seq, a dozen bytes an entry: a period becomes a seq
-- range, and the completeness evidence finds its gaps, by bisection
-- (lib/store-query.c, lib/timeline.c), each step a point read.  In entries
-- each read was a page of its own (about four entries a page); here a page
-- holds a few hundred, so a quarter's gaps read a few hundred pages instead
-- of thousands.  SQLite picks it for "WHERE seq >= ? ORDER BY seq LIMIT 1"
-- by itself (checked in tests/test-backend.c).

CREATE INDEX entries_seq_time ON entries (seq, time_ms);

PRAGMA user_version = 12;
