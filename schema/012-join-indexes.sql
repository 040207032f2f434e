-- 012-join-indexes.sql: covering indexes for the answers' joins (issue 12).
--
-- A population (`deployments`, `exceptions` over a quarter) joins every
-- deployment to the approvals of its environment and to the authors of
-- its commit.  Through the lookup terms each of those rows cost a B-tree
-- descent into entries and a page of the file (the rows are a sixth of
-- the log, one to a page): about 60% of a quarter's answer.  These two
-- partial indexes hold just the columns the join reads, in the order it
-- reads them, so the approvals of an environment are one range of one
-- index and the authors of a commit one probe (lib/store-sqlite-read.c,
-- sqlite_narrow; docs/performance.md, "Answers").  Only approvals, builds
-- and changes enter them.  They are SQLite's own derived data, kept in the
-- same transaction as the rows; verify checks the columns against the
-- signed entries as before.

CREATE INDEX entries_approvals ON entries (environment, seq, kind, time_ms,
	source_name, source_type, actor, artifact, commit_id, run, pipeline,
	status) WHERE kind = 'approval';

CREATE INDEX entries_commit_actors ON entries (commit_id, seq, kind, actor)
	WHERE kind IN ('build', 'change');

PRAGMA user_version = 12;
