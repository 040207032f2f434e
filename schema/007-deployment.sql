-- 007: the deployment a status belongs to (issue 12).
--
-- GitHub sends one deployment as several deployment_status events
-- (queued, in_progress, success), GitLab repeats its deployment id, a
-- CDEvents deployment keeps its subject id.  The subject member
-- "deployment" carries that id, so the answers (ledgerctl deployments,
-- state, exceptions) count one deployment with its latest status.  Older
-- entries have no such member and keep verifying: the column is NULL and
-- re-encoding a row leaves the member out.

ALTER TABLE entries ADD COLUMN deployment TEXT;

PRAGMA user_version = 7;
