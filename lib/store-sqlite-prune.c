/*
 * store-sqlite-prune.c - the SQLite backend: deleting pruned payloads and
 * giving the freed pages back (lib/retention.c decides what; schema 009's
 * trigger keeps deletion below the recorded mark)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/retention.h"
#include "store-sqlite-int.h"

static enum ledger_status
raise_mark(struct sqlite_backend *b, uint64_t before_seq,
    struct ledger_error *err)
{
	static const char sql[] = "INSERT INTO meta (name, value) VALUES "
	    "('prune_before', ?1) ON CONFLICT (name) DO UPDATE SET value ="
	    " excluded.value WHERE CAST(excluded.value AS INTEGER) >"
	    " CAST(value AS INTEGER)";
	sqlite3_stmt *q;
	char v[24];
	int rc;

	snprintf(v, sizeof(v), "%" PRIu64, before_seq);
	if ((rc = sqlite3_prepare_v2(b->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "record the pruned range");
	sqlite3_bind_text(q, 1, v, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? LEDGER_OK :
	    sqlite_err(b, rc, err, "record the pruned range");
}

/* In the caller's write transaction: up to max payload rows of entries
 * with next <= seq < before that are not the ledger's own, each deleted
 * unless held(ctx, seq, time, environment).  The rows are read first and
 * deleted after: never modify a table under a running SELECT of it. */
static enum ledger_status
prune_rows(struct sqlite_backend *b, uint64_t before_seq, unsigned max,
    bool (*held)(void *ctx, uint64_t seq, int64_t time_ms, const char *env),
    void *ctx, struct ledger_prune_plan *p, struct ledger_error *err)
{
	static const char sel[] = "SELECT p.seq, e.time_ms, e.environment,"
	    " length(p.data) + coalesce(length(p.headers), 0) FROM payloads p"
	    " JOIN entries e ON e.seq = p.seq WHERE p.seq >= ?1 AND p.seq < ?2"
	    " AND e.kind != 'ledger' ORDER BY p.seq LIMIT ?3";
	sqlite3_stmt *q = NULL, *d = NULL;
	enum ledger_status st = LEDGER_OK;
	uint64_t *del = NULL, *len = NULL, seq = p->next_seq;
	unsigned n = 0, nd = 0, i;
	int rc;

	if ((del = calloc(max, sizeof(*del))) == NULL ||
	    (len = calloc(max, sizeof(*len))) == NULL) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = sqlite3_prepare_v2(b->db, sel, -1, &q, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(b->db, "DELETE FROM payloads WHERE seq ="
	    " ?1", -1, &d, NULL)) != SQLITE_OK) {
		st = sqlite_err(b, rc, err, "prune payloads");
		goto out;
	}
	sqlite3_bind_int64(q, 1, (sqlite3_int64)p->next_seq);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)before_seq);
	sqlite3_bind_int(q, 3, (int)max);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		seq = (uint64_t)sqlite3_column_int64(q, 0);
		n++;
		if (held(ctx, seq, sqlite3_column_int64(q, 1),
		    (const char *)sqlite3_column_text(q, 2))) {
			p->kept++;
			continue;
		}
		len[nd] = (uint64_t)sqlite3_column_int64(q, 3);
		del[nd++] = seq;
	}
	if (rc != SQLITE_DONE) {
		st = sqlite_err(b, rc, err, "prune payloads");
		goto out;
	}
	for (i = 0; i < nd; i++) {
		sqlite3_bind_int64(d, 1, (sqlite3_int64)del[i]);
		if ((rc = sqlite3_step(d)) != SQLITE_DONE) {
			st = sqlite_err(b, rc, err, "prune payloads");
			goto out;
		}
		sqlite3_reset(d);
		p->deleted++;
		p->bytes += len[i];
	}
	p->next_seq = n < max ? before_seq : seq + 1;
	p->done = n < max;
out:
	sqlite3_finalize(q);
	sqlite3_finalize(d);
	free(del);
	free(len);
	return st;
}

enum ledger_status
sqlite_prune_step(struct ledger_backend *be, uint64_t before_seq,
    unsigned max, bool (*held)(void *ctx, uint64_t seq, int64_t time_ms,
    const char *env), void *ctx, struct ledger_prune_plan *p,
    struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	struct ledger_prune_plan save = *p;
	enum ledger_status st;

	if (b->schema_version < 9)
		return ledger_errorf(err, LEDGER_EINVAL, "this log's schema "
		    "(%d) predates pruning: open it with a writer once to "
		    "migrate it", b->schema_version);
	if ((st = be->ops->begin_write(be, err)) != LEDGER_OK)
		return st;
	if ((st = raise_mark(b, before_seq, err)) ||
	    (st = prune_rows(b, before_seq, max, held, ctx, p, err)) ||
	    (st = be->ops->commit(be, err))) {
		be->ops->rollback(be);
		*p = save;	/* nothing of the step happened */
		return st;
	}
	return LEDGER_OK;
}

static enum ledger_status
pragma_int(struct sqlite_backend *b, const char *sql, int64_t *ret,
    struct ledger_error *err)
{
	sqlite3_stmt *q;
	int rc;

	if ((rc = sqlite3_prepare_v2(b->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, sql);
	rc = sqlite3_step(q);
	*ret = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? LEDGER_OK : sqlite_err(b, rc == SQLITE_DONE ?
	    SQLITE_ERROR : rc, err, sql);
}

enum ledger_status
sqlite_vacuum(struct ledger_backend *be, unsigned pages, bool full,
    uint64_t *ret_free_bytes, bool *ret_incremental,
    struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	enum ledger_status st;
	int64_t mode, free_pages, page_size;
	char sql[64];
	int rc;

	if ((st = pragma_int(b, "PRAGMA auto_vacuum", &mode, err)))
		return st;
	if (full) {
		/* VACUUM rewrites the file; with the mode set first it
		 * becomes incremental from now on. */
		if ((rc = sqlite3_exec(b->db, "PRAGMA auto_vacuum ="
		    " INCREMENTAL", NULL, NULL, NULL)) != SQLITE_OK ||
		    (rc = sqlite3_exec(b->db, "VACUUM", NULL, NULL, NULL)) !=
		    SQLITE_OK)
			return sqlite_err(b, rc, err, "vacuum");
		mode = 2;
	} else if (mode == 2 && pages > 0) {
		snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%u)",
		    pages);
		if ((st = be->ops->begin_write(be, err)) != LEDGER_OK)
			return st;
		if ((rc = sqlite3_exec(b->db, sql, NULL, NULL, NULL)) !=
		    SQLITE_OK) {
			st = sqlite_err(b, rc, err, "incremental vacuum");
			be->ops->rollback(be);
			return st;
		}
		if ((st = be->ops->commit(be, err)) != LEDGER_OK) {
			be->ops->rollback(be);
			return st;
		}
	}
	if ((st = pragma_int(b, "PRAGMA freelist_count", &free_pages, err)) ||
	    (st = pragma_int(b, "PRAGMA page_size", &page_size, err)))
		return st;
	*ret_free_bytes = (uint64_t)(free_pages * page_size);
	*ret_incremental = mode == 2;
	return LEDGER_OK;
}

enum ledger_status
sqlite_missing_payloads(struct ledger_backend *be, uint64_t lo, uint64_t hi,
    const char *env, int64_t since_ms, int64_t until_ms,
    int (*fn)(void *ctx, uint64_t seq, int64_t time_ms, const char *env),
    void *ctx, struct ledger_error *err)
{
	static const char sql[] = "SELECT e.seq, e.time_ms, e.environment"
	    " FROM entries e WHERE e.seq >= ?1 AND e.seq < ?2"
	    " AND e.kind != 'ledger' AND (?3 IS NULL OR e.environment = ?3)"
	    " AND (?4 = 0 OR e.time_ms >= ?4) AND (?5 = 0 OR e.time_ms < ?5)"
	    " AND NOT EXISTS (SELECT 1 FROM payloads p WHERE p.seq = e.seq)"
	    " ORDER BY e.seq";
	struct sqlite_backend *b = SB(be);
	sqlite3_stmt *q;
	int rc;

	if ((rc = sqlite3_prepare_v2(b->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "find missing payloads");
	sqlite3_bind_int64(q, 1, (sqlite3_int64)lo);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)(hi > INT64_MAX ? INT64_MAX :
	    hi));
	if (env != NULL)
		sqlite3_bind_text(q, 3, env, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, since_ms);
	sqlite3_bind_int64(q, 5, until_ms);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (fn(ctx, (uint64_t)sqlite3_column_int64(q, 0),
		    sqlite3_column_int64(q, 1),
		    (const char *)sqlite3_column_text(q, 2)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? LEDGER_OK :
	    sqlite_err(b, rc, err, "find missing payloads");
}
