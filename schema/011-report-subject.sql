-- 011: what a report says about itself (issue 15).
--
-- A scan, an SBOM or a plan that a pipeline step uploads (ledgerctl
-- record, POST /v1/reports; docs/reports.md) names the tool that wrote it
-- and its version, and its counts in one small, signed string -- for a
-- scan "critical=0,high=2,medium=5,low=1,unknown=0" -- that the gate and
-- the queries read without parsing the report again.  They are subject
-- members of the entry (docs/FORMAT.md), so they are signed like the
-- rest.  Older entries have no such members and keep verifying: the
-- columns are NULL and re-encoding a row leaves the members out.

ALTER TABLE entries ADD COLUMN summary TEXT;
ALTER TABLE entries ADD COLUMN tool TEXT;
ALTER TABLE entries ADD COLUMN tool_version TEXT;

PRAGMA user_version = 11;
