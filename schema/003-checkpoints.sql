-- 003-checkpoints.sql: every signed checkpoint the log issued.
--
-- A checkpoint is a C2SP tlog-checkpoint ("origin\nsize\nbase64(root)\n")
-- signed as a C2SP signed note with the log's key.  One per tree size;
-- all are kept, and the log never signs two that are inconsistent.

CREATE TABLE checkpoints (
	size	INTEGER PRIMARY KEY NOT NULL CHECK (size >= 0),
	root	BLOB NOT NULL CHECK (length(root) = 32),
	time_ms	INTEGER NOT NULL CHECK (time_ms >= 0),
	note	TEXT NOT NULL CHECK (length(note) > 0)
) STRICT;

CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;

PRAGMA user_version = 3;
