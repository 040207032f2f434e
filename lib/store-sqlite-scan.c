/*
 * store-sqlite-scan.c - the SQLite backend: checkpoints, tokens and the
 * scans verify needs (see backend.h)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger-int.h"
#include "store-sqlite-int.h"

/* ---- checkpoints ---- */

enum ledger_status
sqlite_checkpoint_insert(struct ledger_backend *be,
    const struct ledger_signed_checkpoint *cp, struct ledger_error *err)
{
	static const char sql[] = "INSERT INTO checkpoints (size, root,"
	    " time_ms, note) VALUES (?1, ?2, ?3, ?4)";
	struct sqlite_backend *b = SB(be);
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(b->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "store checkpoint");
	sqlite3_bind_int64(q, 1, (sqlite3_int64)cp->size);
	sqlite3_bind_blob(q, 2, cp->root, LEDGER_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, cp->time_ms);
	sqlite3_bind_text(q, 4, cp->note, (int)cp->note_len, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sqlite_err(b, rc, err, "store checkpoint");
	return LEDGER_OK;
}

enum ledger_status
sqlite_checkpoint_get(struct ledger_backend *be, int which, uint64_t size,
    struct ledger_signed_checkpoint *ret, struct ledger_error *err)
{
	static const char *const sql[] = {
		[LEDGER_CP_EXACT] = "SELECT size, root, time_ms, note FROM"
		    " checkpoints WHERE size = ?1",
		[LEDGER_CP_LATEST] = "SELECT size, root, time_ms, note FROM"
		    " checkpoints ORDER BY size DESC LIMIT 1",
		[LEDGER_CP_AT_MOST] = "SELECT size, root, time_ms, note FROM"
		    " checkpoints WHERE size <= ?1 ORDER BY size DESC LIMIT 1",
		[LEDGER_CP_AT_LEAST] = "SELECT size, root, time_ms, note FROM"
		    " checkpoints WHERE size >= ?1 ORDER BY size LIMIT 1",
	};
	struct sqlite_backend *b = SB(be);
	bool latest = which == LEDGER_CP_LATEST;
	enum ledger_status st;
	sqlite3_stmt *q = NULL;
	int rc, n;

	memset(ret, 0, sizeof(*ret));
	if (which < LEDGER_CP_EXACT || which > LEDGER_CP_AT_LEAST)
		return ledger_errorf(err, LEDGER_EINVAL, "bad checkpoint query");
	if (size > INT64_MAX)
		size = INT64_MAX;	/* no stored size is larger */
	if ((rc = sqlite3_prepare_v2(b->db, sql[which], -1, &q, NULL)) !=
	    SQLITE_OK)
		return sqlite_err(b, rc, err, "read checkpoint");
	if (!latest)
		sqlite3_bind_int64(q, 1, (sqlite3_int64)size);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(q, 1) ==
	    LEDGER_HASH_BYTES) {
		ret->size = (uint64_t)sqlite3_column_int64(q, 0);
		memcpy(ret->root, sqlite3_column_blob(q, 1), LEDGER_HASH_BYTES);
		ret->time_ms = sqlite3_column_int64(q, 2);
		n = sqlite3_column_bytes(q, 3);
		if ((ret->note = malloc((size_t)n + 1)) == NULL)
			st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		else {
			if (n > 0)
				memcpy(ret->note, sqlite3_column_text(q, 3),
				    (size_t)n);
			ret->note[n] = '\0';
			ret->note_len = (size_t)n;
			st = LEDGER_OK;
		}
	} else if (rc == SQLITE_DONE)
		st = latest ? ledger_errorf(err, LEDGER_ENOTFOUND,
		    "the log has no checkpoint yet") :
		    ledger_errorf(err, LEDGER_ENOTFOUND,
		    "no checkpoint of size %s%" PRIu64,
		    which == LEDGER_CP_AT_MOST ? "<= " :
		    which == LEDGER_CP_AT_LEAST ? ">= " : "", size);
	else if (rc == SQLITE_ROW)
		st = ledger_errorf(err, LEDGER_ECHAIN,
		    "stored checkpoint is malformed");
	else
		st = sqlite_err(b, rc, err, "read checkpoint");
	sqlite3_finalize(q);
	return st;
}

/* ---- tokens ---- */

enum ledger_status
sqlite_token_insert(struct ledger_backend *be, const struct ledger_token_row *t,
    int64_t *ret_id, struct ledger_error *err)
{
	static const char sql[] = "INSERT INTO tokens (scope, hash, label,"
	    " created_ms) VALUES (?1, ?2, ?3, ?4)";
	static const char sql10[] = "INSERT INTO tokens (scope, hash, label,"
	    " created_ms, identity) VALUES (?1, ?2, ?3, ?4, ?5)";
	struct sqlite_backend *b = SB(be);
	sqlite3_stmt *q = NULL;
	int rc;

	if (t->identity != NULL && b->schema_version < 10)
		return ledger_errorf(err, LEDGER_EINVAL, "this log's schema "
		    "(version %d) cannot bind a token to an identity: "
		    "migrate it", b->schema_version);
	if ((rc = sqlite3_prepare_v2(b->db, b->schema_version >= 10 ? sql10 :
	    sql, -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "create token");
	sqlite3_bind_text(q, 1, t->scope, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, t->hash, (int)t->hash_len, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, t->label, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, t->created_ms);
	if (b->schema_version >= 10)
		sqlite3_bind_text(q, 5, t->identity, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sqlite_err(b, rc, err, "create token");
	*ret_id = sqlite3_last_insert_rowid(b->db);
	return LEDGER_OK;
}

enum ledger_status
sqlite_token_revoke(struct ledger_backend *be, int64_t id, int64_t when_ms,
    bool *changed, struct ledger_error *err)
{
	static const char sql[] = "UPDATE tokens SET revoked_ms = ?2"
	    " WHERE id = ?1 AND revoked_ms IS NULL";
	struct sqlite_backend *b = SB(be);
	sqlite3_stmt *q = NULL;
	int rc;

	*changed = false;
	if ((rc = sqlite3_prepare_v2(b->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "revoke token");
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, when_ms);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sqlite_err(b, rc, err, "revoke token");
	*changed = sqlite3_changes(b->db) == 1;
	return LEDGER_OK;
}

enum ledger_status
sqlite_token_live(struct ledger_backend *be, int64_t id, bool *ret,
    struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	enum ledger_status st;
	sqlite3_stmt *q;
	int rc;

	/* Asked for every request: the statement is kept on the handle. */
	if ((st = sqlite_prepare_once(b, "SELECT revoked_ms IS NULL FROM tokens"
	    " WHERE id = ?1", &b->st_token_live, err)))
		return st;
	q = b->st_token_live;
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	*ret = rc == SQLITE_ROW && sqlite3_column_int(q, 0) == 1;
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_err(b, rc, err, "read token");
	return LEDGER_OK;
}

enum ledger_status
sqlite_token_count(struct ledger_backend *be, int64_t *ret,
    struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(b->db, "SELECT count(*) FROM tokens WHERE"
	    " revoked_ms IS NULL", -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "count tokens");
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return sqlite_err(b, rc, err, "count tokens");
	return LEDGER_OK;
}

enum ledger_status
sqlite_token_scan(struct ledger_backend *be,
    int (*fn)(void *ctx, const struct ledger_token_row *t), void *ctx,
    struct ledger_error *err)
{
	static const char sql[] = "SELECT id, scope, hash, label, created_ms,"
	    " revoked_ms, NULL FROM tokens ORDER BY id";
	static const char sql10[] = "SELECT id, scope, hash, label,"
	    " created_ms, revoked_ms, identity FROM tokens ORDER BY id";
	struct sqlite_backend *b = SB(be);
	struct ledger_token_row t;
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(b->db, b->schema_version >= 10 ? sql10 :
	    sql, -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "read tokens");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		t.id = sqlite3_column_int64(q, 0);
		t.scope = (const char *)sqlite3_column_text(q, 1);
		t.hash = sqlite3_column_blob(q, 2);
		t.hash_len = (size_t)sqlite3_column_bytes(q, 2);
		t.label = (const char *)sqlite3_column_text(q, 3);
		t.created_ms = sqlite3_column_int64(q, 4);
		t.revoked_ms = sqlite3_column_int64(q, 5);
		t.identity = (const char *)sqlite3_column_text(q, 6);
		if (fn(ctx, &t) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sqlite_err(b, rc, err, "read tokens");
	return LEDGER_OK;
}

/* ---- the scans verify needs ---- */

struct ledger_be_cursor {
	struct sqlite_backend *b;
	sqlite3_stmt *q;
	const char *what;
};

static enum ledger_status
open_cursor(struct ledger_backend *be, const char *sql, const char *what,
    struct ledger_be_cursor **ret, struct ledger_error *err)
{
	struct ledger_be_cursor *c;
	int rc;

	*ret = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	c->b = SB(be);
	c->what = what;
	if ((rc = sqlite3_prepare_v2(c->b->db, sql, -1, &c->q, NULL)) !=
	    SQLITE_OK) {
		free(c);
		return sqlite_err(SB(be), rc, err, what);
	}
	*ret = c;
	return LEDGER_OK;
}

void
sqlite_close_cursor(struct ledger_be_cursor *c)
{
	if (c == NULL)
		return;
	sqlite3_finalize(c->q);
	free(c);
}

/* Step c: true with a row, false at the end or on an error (*st). */
static bool
step(struct ledger_be_cursor *c, bool *end, enum ledger_status *st,
    struct ledger_error *err)
{
	int rc = sqlite3_step(c->q);

	*end = rc == SQLITE_DONE;
	*st = LEDGER_OK;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		*st = sqlite_err(c->b, rc, err, c->what);
	return rc == SQLITE_ROW;
}

enum ledger_status
sqlite_open_rows(struct ledger_backend *be, struct ledger_be_cursor **ret,
    struct ledger_error *err)
{
	return open_cursor(be, "SELECT " ENTRY_COLUMNS ", (SELECT data FROM"
	    " payloads p WHERE p.seq = entries.seq) FROM entries ORDER BY seq",
	    "read entries", ret, err);
}

enum ledger_status
sqlite_next_row(struct ledger_be_cursor *c, struct ledger_row *ret,
    uint8_t **ret_payload_z, size_t *ret_zlen, bool *end,
    struct ledger_error *err)
{
	enum ledger_status st;
	size_t zl;

	*ret_payload_z = NULL;
	*ret_zlen = 0;
	if (!step(c, end, &st, err))
		return st;
	if ((st = sqlite_row(c->b, c->q, ret, err)) != LEDGER_OK)
		return st;
	if (sqlite3_column_type(c->q, ENTRY_NCOLUMNS) != SQLITE_BLOB)
		return LEDGER_OK;
	zl = (size_t)sqlite3_column_bytes(c->q, ENTRY_NCOLUMNS);
	if ((*ret_payload_z = malloc(zl + 1)) == NULL) {
		ledger_row_release(ret);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	if (zl > 0)
		memcpy(*ret_payload_z, sqlite3_column_blob(c->q,
		    ENTRY_NCOLUMNS), zl);
	*ret_zlen = zl;
	return LEDGER_OK;
}

enum ledger_status
sqlite_open_tree(struct ledger_backend *be, struct ledger_be_cursor **ret,
    struct ledger_error *err)
{
	return open_cursor(be, "SELECT id, hash FROM tree ORDER BY id",
	    "read tree", ret, err);
}

enum ledger_status
sqlite_next_tree(struct ledger_be_cursor *c, uint64_t *ret_id,
    uint8_t hash[LEDGER_HASH_BYTES], bool *bad_len, bool *end,
    struct ledger_error *err)
{
	enum ledger_status st;

	if (!step(c, end, &st, err))
		return st;
	*ret_id = (uint64_t)sqlite3_column_int64(c->q, 0);
	*bad_len = sqlite3_column_bytes(c->q, 1) != LEDGER_HASH_BYTES;
	memset(hash, 0, LEDGER_HASH_BYTES);
	if (!*bad_len)
		memcpy(hash, sqlite3_column_blob(c->q, 1), LEDGER_HASH_BYTES);
	return LEDGER_OK;
}

enum ledger_status
sqlite_open_checkpoints(struct ledger_backend *be,
    struct ledger_be_cursor **ret, struct ledger_error *err)
{
	return open_cursor(be, "SELECT size, root, note FROM checkpoints"
	    " ORDER BY size", "read checkpoints", ret, err);
}

enum ledger_status
sqlite_next_checkpoint(struct ledger_be_cursor *c,
    struct ledger_be_checkpoint *ret, bool *end, struct ledger_error *err)
{
	enum ledger_status st;

	memset(ret, 0, sizeof(*ret));
	if (!step(c, end, &st, err))
		return st;
	ret->size = (uint64_t)sqlite3_column_int64(c->q, 0);
	ret->bad_root = sqlite3_column_bytes(c->q, 1) != LEDGER_HASH_BYTES;
	if (!ret->bad_root)
		memcpy(ret->root, sqlite3_column_blob(c->q, 1),
		    LEDGER_HASH_BYTES);
	ret->note = (const char *)sqlite3_column_text(c->q, 2);
	ret->note_len = (size_t)sqlite3_column_bytes(c->q, 2);
	if (ret->note == NULL)
		ret->note = "";
	return LEDGER_OK;
}

enum ledger_status
sqlite_open_terms(struct ledger_backend *be, struct ledger_be_cursor **ret,
    struct ledger_error *err)
{
	int rc;

	if ((rc = sqlite3_exec(SB(be)->db, "CREATE VIRTUAL TABLE IF NOT EXISTS"
	    " temp.ledger_verify_keys USING fts5vocab(main, entry_keys,"
	    " instance)", NULL, NULL, NULL)) != SQLITE_OK)
		return sqlite_err(SB(be), rc, err, "read lookup keys");
	return open_cursor(be, "SELECT term, doc FROM temp.ledger_verify_keys",
	    "read lookup keys", ret, err);
}

enum ledger_status
sqlite_next_term(struct ledger_be_cursor *c, const char **ret_term,
    size_t *ret_len, uint64_t *ret_seq, bool *end, struct ledger_error *err)
{
	enum ledger_status st;

	*ret_term = NULL;
	if (!step(c, end, &st, err))
		return st;
	*ret_term = (const char *)sqlite3_column_text(c->q, 0);
	*ret_len = (size_t)sqlite3_column_bytes(c->q, 0);
	*ret_seq = (uint64_t)sqlite3_column_int64(c->q, 1);
	if (*ret_term == NULL) {
		*ret_term = "";
		*ret_len = 0;
	}
	return LEDGER_OK;
}

/*
 * FTS5 writes each commit's terms as a new segment and merges a level
 * once it holds `automerge` (4) segments, so a log appended in batches
 * keeps a dozen segments, and a lookup probes each one.  A 'merge' step
 * merges levels holding `usermerge` segments (2 since migration 008) and
 * stops after `pages` pages; with nothing to merge it writes nothing.
 */
/* 'merge' of at most pages pages; negative (settle): FTS5's incremental
 * optimize, below. */
static enum ledger_status
merge_step(struct ledger_backend *be, unsigned pages, int sign,
    struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	sqlite3_stmt *q;
	int rc;

	if (b->schema_version < 4 || pages == 0)
		return LEDGER_OK;
	if ((rc = sqlite3_prepare_v2(b->db, "INSERT INTO entry_keys"
	    " (entry_keys, rank) VALUES ('merge', ?1)", -1, &q, NULL)) !=
	    SQLITE_OK)
		return sqlite_err(b, rc, err, "merge lookup keys");
	sqlite3_bind_int(q, 1, sign * (pages > 1000000 ? 1000000 :
	    (int)pages));
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sqlite_err(b, rc, err, "merge lookup keys");
	return LEDGER_OK;
}

enum ledger_status
sqlite_merge_keys(struct ledger_backend *be, unsigned pages,
    struct ledger_error *err)
{
	return merge_step(be, pages, 1, err);
}

/*
 * FTS5's incremental optimize: 'merge' with a negative page count moves
 * every segment to one level and merges the first pages; the positive
 * steps of sqlite_merge_keys then go on until one segment is left.
 * usermerge alone never merges segments of different levels, so a log
 * keeps about one segment a level (seven at a million entries), and each
 * lookup term probes every one.
 */
enum ledger_status
sqlite_settle_keys(struct ledger_backend *be, unsigned pages,
    struct ledger_error *err)
{
	return merge_step(be, pages, -1, err);
}

/* The seq of the n-th row (from 1) of entries in rowid order: SQLite's
 * check counts rows, it does not name them; -1 when there is none. */
static int64_t
nth_seq(struct sqlite_backend *b, long long n)
{
	sqlite3_stmt *q;
	int64_t seq = -1;

	if (n < 1 || sqlite3_prepare_v2(b->db, "SELECT seq FROM entries"
	    " NOT INDEXED ORDER BY seq LIMIT 1 OFFSET ?1", -1, &q, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, n - 1);
	if (sqlite3_step(q) == SQLITE_ROW)
		seq = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return seq;
}

/*
 * The covering indexes of schema 12 (schema/012-join-indexes.sql) feed the
 * answers, so an index edited behind SQLite's back (an entry dropped from
 * entries_deployments hides a deployment from every population) is
 * tampering verify must name.  SQLite's own check of the table against
 * its indexes does it: "row N missing from index X" counts the table's
 * rows in rowid order (nth_seq names the entry); a surplus index row
 * ("wrong # of entries") names none.  The first 16 are named; SQLite
 * stops at 100.
 */
enum ledger_status
sqlite_check_indexes(struct ledger_backend *be,
    void (*fn)(void *ctx, int64_t seq, const char *what), void *ctx,
    struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	const char *msg;
	sqlite3_stmt *q;
	long long n;
	int rc, named = 0;

	if (b->schema_version < 12)
		return LEDGER_OK;
	if ((rc = sqlite3_prepare_v2(b->db, "PRAGMA integrity_check(entries)",
	    -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "check indexes");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		msg = (const char *)sqlite3_column_text(q, 0);
		if (msg == NULL || strcmp(msg, "ok") == 0)
			continue;
		if (sscanf(msg, "row %lld missing from index", &n) == 1 &&
		    named++ < 16)
			fn(ctx, nth_seq(b, n), msg);
		else
			fn(ctx, -1, msg);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sqlite_err(b, rc, err, "check indexes");
	return LEDGER_OK;
}
