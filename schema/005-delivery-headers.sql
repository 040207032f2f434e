-- 005: the headers a webhook's sender authenticated and identified the
-- delivery with (its signature, timestamp, delivery id and event type;
-- never a bearer secret), kept beside the raw body as a JSON object, so
-- that the sender's signature can be re-checked with the shared secret
-- years later.  Not part of the signed entry (the entry format is fixed);
-- an edited header makes the re-check fail, it cannot make it pass.
-- (A CHECK with json_valid() is refused by ALTER TABLE as unsafe; the
-- writer stores canonical JSON objects only.)
ALTER TABLE payloads ADD COLUMN headers TEXT
	CHECK (headers IS NULL OR substr(headers, 1, 1) = '{');

PRAGMA user_version = 5;
