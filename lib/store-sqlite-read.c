/*
 * store-sqlite-read.c - the SQLite backend: reading entries, payloads,
 * tree hashes, and listing by lookup terms (see backend.h)
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ledger-int.h"
#include "store-sqlite-int.h"

/* Column c as text: a copy, or (borrow) SQLite's own, valid until the
 * statement steps again. */
static enum ledger_status
col_text(sqlite3_stmt *q, int c, bool borrow, char **ret,
    struct ledger_error *err)
{
	const unsigned char *t = sqlite3_column_text(q, c);

	*ret = NULL;
	if (t == NULL)
		return LEDGER_OK;
	if (borrow) {
		*ret = (char *)t;
		return LEDGER_OK;
	}
	return ledger_strdup((const char *)t, ret, err);
}

/*
 * Fill r from a row of ENTRY_COLUMNS.  borrow: the text fields point into
 * the statement's row (released with free(r->entry) only, before the next
 * step); the entry bytes are always a copy (NUL-terminated; NULL for a
 * narrow row, which has none).
 */
static enum ledger_status
row_fill(struct sqlite_backend *b, sqlite3_stmt *q, bool borrow,
    struct ledger_row *r, struct ledger_error *err)
{
	static const enum ledger_srcfield src_col[5] = { LEDGER_SRC_NAME,
	    LEDGER_SRC_TYPE, LEDGER_SRC_EVENT, LEDGER_SRC_DELIVERY,
	    LEDGER_SRC_AUTH };	/* columns 7..11 */
	enum ledger_status st = LEDGER_OK;
	const char *kind;
	int i, n;

	memset(r, 0, sizeof(*r));
	r->e.seq = (uint64_t)sqlite3_column_int64(q, 0);
	if (sqlite3_column_type(q, 1) != SQLITE_NULL) {
		n = sqlite3_column_bytes(q, 1);
		if ((r->entry = malloc((size_t)n + 1)) == NULL)
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "out of memory");
		if (n > 0)
			memcpy(r->entry, sqlite3_column_blob(q, 1), (size_t)n);
		r->entry[n] = '\0';
		r->entry_len = (size_t)n;
	}
	if (sqlite3_column_bytes(q, 2) == LEDGER_SIG_BYTES)
		memcpy(r->sig, sqlite3_column_blob(q, 2), LEDGER_SIG_BYTES);
	r->e.key_id = (uint32_t)sqlite3_column_int64(q, 3);
	if (sqlite3_column_bytes(q, 4) == LEDGER_HASH_BYTES)
		memcpy(r->e.prev, sqlite3_column_blob(q, 4), LEDGER_HASH_BYTES);
	r->e.time_ms = sqlite3_column_int64(q, 5);
	kind = (const char *)sqlite3_column_text(q, 6);
	if (ledger_kind_parse(kind, &r->e.kind, NULL) != LEDGER_OK)
		r->e.kind = LEDGER_KIND_COUNT;	/* verify reports it */
	for (i = 0; i < 5 && st == LEDGER_OK; i++)
		st = col_text(q, 7 + i, borrow, &r->e.source[src_col[i]], err);
	for (i = 0; i < LEDGER_SUBJ_COUNT && st == LEDGER_OK; i++)
		st = col_text(q, 12 + i, borrow, &r->e.subject[i], err);
	if (st != LEDGER_OK)
		goto fail;
	if (sqlite3_column_bytes(q, 12 + LEDGER_SUBJ_COUNT) ==
	    LEDGER_HASH_BYTES)
		memcpy(r->e.payload_sha256, sqlite3_column_blob(q,
		    12 + LEDGER_SUBJ_COUNT), LEDGER_HASH_BYTES);
	r->e.payload_size = (uint64_t)sqlite3_column_int64(q,
	    13 + LEDGER_SUBJ_COUNT);
	if ((st = col_text(q, 14 + LEDGER_SUBJ_COUNT, borrow,
	    &r->e.payload_type, err)))
		goto fail;
	if (borrow)
		r->e.log = b->origin;
	else if (b->origin != NULL &&
	    (st = ledger_strdup(b->origin, &r->e.log, err)))
		goto fail;
	return LEDGER_OK;
fail:
	if (borrow) {
		free(r->entry);
		memset(r, 0, sizeof(*r));
	} else
		ledger_row_release(r);
	return st;
}

enum ledger_status
sqlite_row(struct sqlite_backend *b, sqlite3_stmt *q, struct ledger_row *r,
    struct ledger_error *err)
{
	return row_fill(b, q, false, r, err);
}

/* Step q, a statement of ENTRY_COLUMNS rows, giving each to fn until it
 * stops: the rows borrow the statement's text (fn's row is valid only
 * during the call, as backend.h says), one copy fewer per field. */
enum ledger_status
sqlite_each_row(struct sqlite_backend *b, sqlite3_stmt *q, ledger_be_row_fn fn,
    void *ctx, const char *what, struct ledger_error *err)
{
	enum ledger_status st = LEDGER_OK;
	struct ledger_row row;
	int rc, stop = 0;

	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((st = row_fill(b, q, true, &row, err)) != LEDGER_OK)
			break;
		stop = fn(ctx, &row);
		free(row.entry);
	}
	if (st == LEDGER_OK && !stop && rc != SQLITE_DONE)
		st = sqlite_err(b, rc, err, what);
	return st;
}

enum ledger_status
sqlite_get_row(struct ledger_backend *be, uint64_t seq,
    struct ledger_row *ret, struct ledger_error *err)
{
	static const char sql[] =
	    "SELECT " ENTRY_COLUMNS " FROM entries WHERE seq = ?1";
	struct sqlite_backend *b = SB(be);
	enum ledger_status st;
	sqlite3_stmt *q = NULL;
	int rc;

	memset(ret, 0, sizeof(*ret));
	if (seq > INT64_MAX)
		return ledger_errorf(err, LEDGER_ENOTFOUND,
		    "no entry %" PRIu64, seq);
	if ((rc = sqlite3_prepare_v2(b->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "read entry");
	sqlite3_bind_int64(q, 1, (sqlite3_int64)seq);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		st = sqlite_row(b, q, ret, err);
	else if (rc == SQLITE_DONE)
		st = ledger_errorf(err, LEDGER_ENOTFOUND,
		    "no entry %" PRIu64, seq);
	else
		st = sqlite_err(b, rc, err, "read entry");
	sqlite3_finalize(q);
	return st;
}

/* The text or blob of column 0 of "SELECT x FROM payloads WHERE seq = ?1"
 * for seq, malloc'd and NUL-terminated; ENOTFOUND when the row or value
 * is absent (NULL). */
static enum ledger_status
payload_column(struct sqlite_backend *b, const char *sql, uint64_t seq,
    const char *what, uint8_t **ret, size_t *ret_len,
    struct ledger_error *err)
{
	enum ledger_status st = LEDGER_OK;
	sqlite3_stmt *q = NULL;
	int rc, n;

	*ret = NULL;
	*ret_len = 0;
	if (seq > INT64_MAX)
		return ledger_errorf(err, LEDGER_ENOTFOUND, "no %s for entry %"
		    PRIu64, what, seq);
	if ((rc = sqlite3_prepare_v2(b->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, what);
	sqlite3_bind_int64(q, 1, (sqlite3_int64)seq);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) {
		n = sqlite3_column_bytes(q, 0);
		if ((*ret = malloc((size_t)n + 1)) == NULL)
			st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		else {
			if (n > 0)
				memcpy(*ret, sqlite3_column_blob(q, 0),
				    (size_t)n);
			(*ret)[n] = '\0';
			*ret_len = (size_t)n;
		}
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		st = ledger_errorf(err, LEDGER_ENOTFOUND, "no %s for entry %"
		    PRIu64, what, seq);
	else
		st = sqlite_err(b, rc, err, what);
	sqlite3_finalize(q);
	return st;
}

enum ledger_status
sqlite_get_payload(struct ledger_backend *be, uint64_t seq, uint8_t **ret,
    size_t *ret_len, struct ledger_error *err)
{
	return payload_column(SB(be), "SELECT data FROM payloads WHERE seq ="
	    " ?1", seq, "payload", ret, ret_len, err);
}

enum ledger_status
sqlite_get_headers(struct ledger_backend *be, uint64_t seq, char **ret,
    struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	enum ledger_status st;
	uint8_t *h;
	size_t len;

	*ret = NULL;
	if (b->schema_version < 5)
		return ledger_errorf(err, LEDGER_ENOTFOUND, "entry %" PRIu64
		    " has no stored headers", seq);
	st = payload_column(b, "SELECT headers FROM payloads WHERE seq = ?1",
	    seq, "stored headers", &h, &len, err);
	if (st == LEDGER_OK)
		*ret = (char *)h;
	return st;
}

enum ledger_status
sqlite_read_hashes(struct ledger_backend *be, const uint64_t *indexes,
    size_t count, uint8_t (*out)[LEDGER_HASH_BYTES], struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	enum ledger_status st;
	sqlite3_stmt *q;
	size_t i;
	int rc;

	if ((st = sqlite_prepare_once(b, "SELECT hash FROM tree WHERE id = ?1",
	    &b->st_get_tree, err)))
		return st;
	q = b->st_get_tree;
	for (i = 0; i < count; i++) {
		if (indexes[i] > INT64_MAX)
			return ledger_errorf(err, LEDGER_EINVAL,
			    "tree index out of range");
		sqlite3_bind_int64(q, 1, (sqlite3_int64)indexes[i]);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW && sqlite3_column_bytes(q, 0) ==
		    LEDGER_HASH_BYTES) {
			memcpy(out[i], sqlite3_column_blob(q, 0),
			    LEDGER_HASH_BYTES);
			sqlite3_reset(q);
			continue;
		}
		sqlite3_reset(q);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			return ledger_errorf(err, LEDGER_ECHAIN,
			    "tree hash %" PRIu64 " is missing or malformed",
			    indexes[i]);
		return sqlite_err(b, rc, err, "read tree");
	}
	return LEDGER_OK;
}

/* Not the head row: a reader answers from the rows it can see. */
enum ledger_status
sqlite_log_end(struct ledger_backend *be, uint64_t *ret,
    struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	sqlite3_stmt *q;
	int rc;

	if ((rc = sqlite3_prepare_v2(b->db, "SELECT max(seq) FROM entries", -1,
	    &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "query");
	rc = sqlite3_step(q);
	*ret = rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL ?
	    (uint64_t)sqlite3_column_int64(q, 0) + 1 : 0;
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return sqlite_err(b, rc, err, "query");
	return LEDGER_OK;
}

/* ---- statements lent from a pool (store-sqlite-int.h) ---- */

enum ledger_status
sqlite_pool_take(struct sqlite_backend *b, struct sqlite_pool *pool,
    const char *sql, sqlite3_stmt **ret, struct ledger_error *err)
{
	enum ledger_status st;
	int i, rc;

	for (i = 0; i < SQLITE_POOL; i++) {
		if (pool->busy[i])
			continue;
		if ((st = sqlite_prepare_once(b, sql, &pool->st[i], err)))
			return st;
		pool->busy[i] = true;
		*ret = pool->st[i];
		return LEDGER_OK;
	}
	if ((rc = sqlite3_prepare_v2(b->db, sql, -1, ret, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "prepare");
	return LEDGER_OK;
}

void
sqlite_pool_give(struct sqlite_pool *pool, sqlite3_stmt *q)
{
	int i;

	for (i = 0; i < SQLITE_POOL; i++)
		if (pool->st[i] == q && pool->busy[i]) {
			sqlite3_reset(q);
			sqlite3_clear_bindings(q);
			pool->busy[i] = false;
			return;
		}
	sqlite3_finalize(q);
}

void
sqlite_pool_release(struct sqlite_pool *pool)
{
	int i;

	for (i = 0; i < SQLITE_POOL; i++) {
		sqlite3_finalize(pool->st[i]);
		pool->st[i] = NULL;
		pool->busy[i] = false;
	}
}

enum ledger_status
sqlite_seq_time(struct ledger_backend *be, uint64_t seq, uint64_t *ret_seq,
    int64_t *ret_time, bool *found, struct ledger_error *err)
{
	static const char sql[] = SQL_SEQ_TIME;
	struct sqlite_backend *b = SB(be);
	enum ledger_status st;
	sqlite3_stmt *q;
	int rc;

	*found = false;
	if (seq > INT64_MAX)
		return LEDGER_OK;
	if ((st = sqlite_pool_take(b, &b->seq_time, sql, &q, err)))
		return st;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)seq);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*ret_seq = (uint64_t)sqlite3_column_int64(q, 0);
		*ret_time = sqlite3_column_int64(q, 1);
		*found = true;
	}
	sqlite_pool_give(&b->seq_time, q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_err(b, rc, err, "query");
	return LEDGER_OK;
}

/*
 * One of two constant statements: the key table drives in rowid order
 * when there are terms, else the seq range is read in order.  Every value
 * is bound.
 */
enum ledger_status
sqlite_list(struct ledger_backend *be, const char *terms, uint64_t lo,
    uint64_t hi, ledger_be_row_fn fn, void *ctx, struct ledger_error *err)
{
	static const char by_terms[] = "SELECT " ENTRY_COLUMNS
	    " FROM entry_keys JOIN entries ON seq = entry_keys.rowid"
	    " WHERE entry_keys MATCH ?1 AND entry_keys.rowid >= ?2"
	    " AND entry_keys.rowid < ?3 ORDER BY entry_keys.rowid";
	static const char by_range[] = "SELECT " ENTRY_COLUMNS
	    " FROM entries WHERE seq >= ?2 AND seq < ?3 ORDER BY seq";
	struct sqlite_backend *b = SB(be);
	struct sqlite_pool *pool = terms != NULL ? &b->list_terms :
	    &b->list_range;
	enum ledger_status st;
	sqlite3_stmt *q;

	if (lo > INT64_MAX)
		return LEDGER_OK;
	if (hi > INT64_MAX)
		hi = INT64_MAX;
	if ((st = sqlite_pool_take(b, pool, terms != NULL ? by_terms :
	    by_range, &q, err)))
		return st;
	if (terms != NULL)
		sqlite3_bind_text(q, 1, terms, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)lo);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)hi);
	st = sqlite_each_row(b, q, fn, ctx, "query", err);
	sqlite_pool_give(pool, q);
	return st;
}

/*
 * The answers' joins from the covering indexes of schema 12
 * (schema/012-join-indexes.sql): the statements name only the indexes'
 * columns, so SQLite never reads entries' own pages ("USING COVERING
 * INDEX", checked in tests/test-backend.c).  The authors' rows are found
 * by their lookup terms first; SQLite would then read them by rowid from
 * entries unless told the index.  The rows keep
 * ENTRY_COLUMNS's order for sqlite_row, with NULL or a constant where the
 * index has nothing.
 */
#define NARROW_COLUMNS(kind) "seq, NULL, NULL, 0, NULL, time_ms, " kind ", " \
	"source_name, source_type, NULL, NULL, NULL, actor, artifact, " \
	"commit_id, NULL, environment, pipeline, run, NULL, status, NULL, " \
	"NULL, NULL, NULL, NULL, NULL, 0, NULL"

static const char sql_narrow_approvals[] = "SELECT "
    NARROW_COLUMNS("'approval'") " FROM entries"
    " WHERE kind = 'approval' AND environment = ?1 ORDER BY seq";
static const char sql_narrow_authors[] = "SELECT "
    "seq, NULL, NULL, 0, NULL, 0, kind, NULL, NULL, NULL, NULL, NULL, actor,"
    " NULL, commit_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
    " NULL, NULL, NULL, 0, NULL"
    " FROM entry_keys JOIN entries INDEXED BY entries_build_authors"
    " ON seq = entry_keys.rowid WHERE entry_keys MATCH ?1"
    " AND kind IN ('build', 'change') ORDER BY entry_keys.rowid";

static const char sql_narrow_deployments[] = "SELECT "
    "seq, NULL, NULL, 0, NULL, time_ms, kind, source_name, source_type, NULL,"
    " NULL, auth, actor, artifact, commit_id, deployment, environment,"
    " pipeline, run, service, status, NULL, ticket, NULL, NULL, url, NULL, 0,"
    " NULL FROM entries WHERE kind IN ('deployment', 'rollback')"
    " AND environment = ?1 AND seq >= ?2 AND seq < ?3 ORDER BY seq";

const char *
sqlite_narrow_sql(enum ledger_narrow shape)
{
	return shape == LEDGER_NARROW_APPROVALS ? sql_narrow_approvals :
	    shape == LEDGER_NARROW_AUTHORS ? sql_narrow_authors :
	    sql_narrow_deployments;
}

enum ledger_status
sqlite_narrow(struct ledger_backend *be, enum ledger_narrow shape,
    const char *arg, uint64_t lo, uint64_t hi, ledger_be_row_fn fn,
    void *ctx, bool *done, struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	struct sqlite_pool *pool = shape == LEDGER_NARROW_APPROVALS ?
	    &b->narrow_approvals : shape == LEDGER_NARROW_AUTHORS ?
	    &b->narrow_authors : &b->narrow_deployments;
	enum ledger_status st;
	sqlite3_stmt *q;

	*done = false;
	if (b->schema_version < 12)
		return LEDGER_OK;
	if (lo >= hi || lo > INT64_MAX) {
		*done = true;
		return LEDGER_OK;	/* an empty range */
	}
	/* an index dropped behind our back: the lookup terms still answer
	 * (verify's check of the indexes does not see a missing one) */
	if (sqlite_pool_take(b, pool, sqlite_narrow_sql(shape), &q, err))
		return LEDGER_OK;
	sqlite3_bind_text(q, 1, arg, -1, SQLITE_STATIC);
	if (shape == LEDGER_NARROW_DEPLOYMENTS) {
		sqlite3_bind_int64(q, 2, (sqlite3_int64)lo);
		sqlite3_bind_int64(q, 3, hi > INT64_MAX ? INT64_MAX :
		    (sqlite3_int64)hi);
	}
	st = sqlite_each_row(b, q, fn, ctx, "query", err);
	sqlite_pool_give(pool, q);
	*done = st == LEDGER_OK;
	return st;
}
