-- 006: a body term for every entry, so that a webhook delivery replayed
-- under a fresh delivery id (an unsigned header the replayer chooses) is
-- found and answered with the original receipt (issue 10).
--
-- The term hashes the source name, the payload's SHA-256, the kind, the
-- source event and every subject field (lib/lookup.h,
-- ledger_lookup_body_key): the several events one body carries (in-toto
-- subjects, a CloudEvents batch) keep apart.  entry_keys is contentless,
-- so a row cannot be extended: it is emptied and filled again from the
-- entries, every term recomputed, in this one transaction.

INSERT INTO entry_keys (entry_keys) VALUES ('delete-all');

INSERT INTO entry_keys (rowid, k)
	SELECT seq, ledger_lookup_terms(kind, source_name, delivery, actor,
	    artifact, commit_id, environment, pipeline, run, service, status,
	    ticket, source_event, payload_sha256)
	FROM entries ORDER BY seq;

PRAGMA user_version = 6;
