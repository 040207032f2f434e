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
-- - the approvals of an environment are one range of entries_approvals,
--   which grows at its environments' right edges;
-- - the builds and changes of a commit are one probe of
--   entries_commit_actors, in seq order.  Commits are random, so each
--   build or change dirties a page of this index of its own: measured
--   with bench-append (every event a build of a new commit, the worst
--   case) -22% events per second and twice the bytes written per event;
--   with a delivery history's mix (bench-answers' build) +14% time.  An
--   index by seq found through the lookup terms instead cost a tenth of
--   that but left a quarter's population at 38-48k rows a second, under
--   the 50k target.
--
-- They are SQLite's own derived data, kept in the same transaction as the
-- rows; verify checks the columns against the signed entries as before.

CREATE INDEX entries_approvals ON entries (environment, seq, kind, time_ms,
	source_name, source_type, actor, artifact, commit_id, run, pipeline,
	status) WHERE kind = 'approval';

CREATE INDEX entries_commit_actors ON entries (commit_id, seq, kind, actor)
	WHERE kind IN ('build', 'change');

-- The ledger's clock by seq, a dozen bytes an entry: a period becomes a seq
-- range, and the completeness evidence finds its gaps, by bisection
-- (lib/store-query.c, lib/timeline.c), each step a point read.  In entries
-- each read was a page of its own (about four entries a page); here a page
-- holds a few hundred, so a quarter's gaps read a few hundred pages instead
-- of thousands.  SQLite picks it for "WHERE seq >= ? ORDER BY seq LIMIT 1"
-- by itself (checked in tests/test-backend.c).

CREATE INDEX entries_seq_time ON entries (seq, time_ms);

PRAGMA user_version = 12;
