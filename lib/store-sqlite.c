/*
 * store-sqlite.c - the SQLite backend: opening, the schema, transactions,
 * the head, appending and reading rows (see backend.h, store-sqlite.h)
 *
 * The entries table has no secondary index: every filterable value of an
 * entry is a term in the FTS5 table entry_keys under rowid = seq
 * (lib/lookup.h, schema/004-lookup-keys.sql); a term only finds
 * candidates, the caller compares the columns.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger-int.h"
#include "lookup.h"
#include "store-sqlite-int.h"

#define BUSY_TIMEOUT_MS 5000
/*
 * The daemon's writer checkpoints inline past this many WAL frames (4 MiB
 * of 4 KiB pages); see sqlite_maintain.  Measured with
 * bench/http-ingest.sh (32 connections, 2 cores): no inline checkpoint
 * 5.9k events/s, p99 11 ms, the WAL growing without bound; 4 MiB 7.1k/s,
 * 12 ms; 16 MiB 7.8k/s, 27 ms; 64 MiB 8.7k/s, 50-60 ms.  The p99 target
 * (25 ms) decides.
 */
#define WAL_WRITER_FRAMES (4 * 1024 * 1024 / 4096)

static const char sql_find_delivery[] =
	"SELECT " ENTRY_COLUMNS " FROM entries WHERE seq IN (SELECT rowid"
	" FROM entry_keys WHERE entry_keys MATCH ?3) AND source_name = ?1"
	" AND delivery = ?2 ORDER BY seq LIMIT 1";
static const char sql_find_body[] =
	"SELECT " ENTRY_COLUMNS " FROM entries WHERE seq IN (SELECT rowid"
	" FROM entry_keys WHERE entry_keys MATCH ?1) AND source_name = ?2"
	" AND payload_sha256 = ?3 ORDER BY seq";
static const char sql_insert_keys[] =
	"INSERT INTO entry_keys (rowid, k) VALUES (?1, ?2)";
static const char sql_insert_entry[] =
	"INSERT INTO entries (" ENTRY_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5,"
	" ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
	" ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)";
static const char sql_insert_payload[] =
	"INSERT INTO payloads (seq, data, headers) VALUES (?1, ?2, ?3)";
static const char sql_insert_tree[] =
	"INSERT INTO tree (id, hash) VALUES (?1, ?2)";
static const char sql_update_head[] =
	"UPDATE head SET size = ?1, last_leaf = ?2, last_time_ms = ?3"
	" WHERE id = 0";
static const char sql_head[] =
	"SELECT size, last_leaf, last_time_ms FROM head WHERE id = 0";

enum ledger_status
sqlite_err(struct sqlite_backend *b, int rc, struct ledger_error *err,
    const char *what)
{
	const char *msg = b != NULL && b->db != NULL ? sqlite3_errmsg(b->db) :
	    sqlite3_errstr(rc);
	int prim = rc & 0xff;

	if (prim == SQLITE_FULL)
		return ledger_errorf_errno(err, LEDGER_EIO, ENOSPC, "%s: %s",
		    what, msg);
	if (prim == SQLITE_IOERR || prim == SQLITE_CANTOPEN)
		return ledger_errorf(err, LEDGER_EIO, "%s: %s", what, msg);
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
		return ledger_errorf(err, LEDGER_EDB,
		    "%s: database is locked (busy past %d ms)", what,
		    BUSY_TIMEOUT_MS);
	return ledger_errorf(err, LEDGER_EDB, "%s: %s", what, msg);
}

static enum ledger_status
exec(struct sqlite_backend *b, const char *sql, struct ledger_error *err)
{
	int rc = sqlite3_exec(b->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return sqlite_err(b, rc, err, sql);
	return LEDGER_OK;
}

enum ledger_status
sqlite_prepare_once(struct sqlite_backend *b, const char *sql,
    sqlite3_stmt **st, struct ledger_error *err)
{
	int rc;

	if (*st != NULL)
		return LEDGER_OK;
	rc = sqlite3_prepare_v3(b->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	    NULL);
	if (rc != SQLITE_OK)
		return sqlite_err(b, rc, err, "prepare");
	return LEDGER_OK;
}

/* Step a statement that returns no row, then reset it. */
static enum ledger_status
step_done(struct sqlite_backend *b, sqlite3_stmt *q, struct ledger_error *err,
    const char *what)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE)
		return sqlite_err(b, rc, err, what);
	return LEDGER_OK;
}

static void
bind_text_or_null(sqlite3_stmt *q, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

/* ---- meta and the schema ---- */

static enum ledger_status
sqlite_meta_get(struct ledger_backend *be, const char *name, char **ret,
    struct ledger_error *err)
{
	static const char sql[] = "SELECT value FROM meta WHERE name = ?1";
	struct sqlite_backend *b = SB(be);
	enum ledger_status st = LEDGER_OK;
	sqlite3_stmt *q = NULL;
	int rc;

	*ret = NULL;
	if ((rc = sqlite3_prepare_v2(b->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "read meta");
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		st = ledger_strdup((const char *)sqlite3_column_text(q, 0), ret,
		    err);
	else if (rc == SQLITE_DONE)
		st = ledger_errorf(err, LEDGER_EINVAL,
		    "database has no '%s' (not a ledger database?)", name);
	else
		st = sqlite_err(b, rc, err, "read meta");
	sqlite3_finalize(q);
	return st;
}

static enum ledger_status
sqlite_meta_set(struct ledger_backend *be, const char *name,
    const char *value, struct ledger_error *err)
{
	static const char sql[] =
	    "INSERT INTO meta (name, value) VALUES (?1, ?2)";
	struct sqlite_backend *b = SB(be);
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(b->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "write meta");
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sqlite_err(b, rc, err, "write meta");
	if (strcmp(name, "origin") == 0 && b->origin == NULL)
		return ledger_strdup(value, &b->origin, err);
	return LEDGER_OK;
}

struct migrate_progress {
	int (*fn)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
	uint64_t done, total;
};

/* SQLite calls this every few thousand steps of a migration: the caller's
 * progress (migrations done of total), and non-zero interrupts it (it is
 * rolled back; those before it stay). */
static int
migrate_tick(void *ctx)
{
	struct migrate_progress *mp = ctx;

	return mp->fn(mp->ctx, mp->done, mp->total);
}

/* Apply every embedded migration newer than the database, forward only,
 * each in its own transaction. */
static enum ledger_status
migrate(struct sqlite_backend *b, struct migrate_progress *mp,
    struct ledger_error *err)
{
	enum ledger_status st = LEDGER_OK;
	sqlite3_stmt *q = NULL;
	int rc, version, i;

	if ((rc = sqlite3_prepare_v2(b->db, "PRAGMA user_version", -1, &q,
	    NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "read schema version");
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		/* The step's own code, not the prepare's SQLITE_OK. */
		st = sqlite_err(b, rc == SQLITE_DONE ? SQLITE_ERROR : rc, err,
		    "read schema version");
		sqlite3_finalize(q);
		return st;
	}
	version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	b->schema_version = version;
	if (version > ledger_migration_count)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "database schema version %d is newer than this program's %d",
		    version, ledger_migration_count);
	if (b->flags & LEDGER_STORE_READONLY) {
		if (version < ledger_migration_count && version < 1)
			return ledger_errorf(err, LEDGER_EINVAL,
			    "database is empty (not initialized)");
		/* Read as it is: an entries table from before schema 7 has no
		 * deployment column, one from before 11 no summary, tool and
		 * tool_version, so a temporary view (found before the main
		 * table by an unqualified name) gives them, NULL. */
		if (version >= 1 && version < 7)
			return exec(b, "CREATE TEMP VIEW entries AS SELECT *,"
			    " NULL AS deployment, NULL AS summary, NULL AS tool,"
			    " NULL AS tool_version FROM main.entries", err);
		if (version >= 7 && version < 11)
			return exec(b, "CREATE TEMP VIEW entries AS SELECT *,"
			    " NULL AS summary, NULL AS tool, NULL AS tool_version"
			    " FROM main.entries", err);
		return LEDGER_OK;
	}
	if (mp->fn != NULL) {
		mp->total = (uint64_t)(ledger_migration_count - version);
		sqlite3_progress_handler(b->db, 10000, migrate_tick, mp);
	}
	for (i = version; i < ledger_migration_count; i++) {
		if ((st = exec(b, "BEGIN IMMEDIATE", err)) != LEDGER_OK)
			break;
		mp->done = (uint64_t)(i - version);
		if (mp->fn != NULL && mp->fn(mp->ctx, mp->done, mp->total) != 0)
			rc = SQLITE_INTERRUPT;
		else
			rc = sqlite3_exec(b->db, ledger_migrations[i].sql, NULL,
			    NULL, NULL);
		if (rc == SQLITE_INTERRUPT) {
			st = ledger_errorf(err, LEDGER_ECANCELED, "stopped "
			    "before %s was applied (schema %d of %d)",
			    ledger_migrations[i].name, i,
			    ledger_migration_count);
			sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
			break;
		}
		if (rc != SQLITE_OK) {
			st = sqlite_err(b, rc, err, ledger_migrations[i].name);
			sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
			break;
		}
		if ((st = exec(b, "COMMIT", err)) != LEDGER_OK) {
			sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
			break;
		}
		b->schema_version = i + 1;
		st = LEDGER_OK;
	}
	if (mp->fn != NULL) {
		sqlite3_progress_handler(b->db, 0, NULL, NULL);
		if (st == LEDGER_OK)
			(void)mp->fn(mp->ctx, mp->total, mp->total);
	}
	return i == ledger_migration_count ? LEDGER_OK : st;
}

/* ledger_lookup_terms(kind, source_name, delivery, actor, artifact,
 * commit_id, environment, pipeline, run, service, status, ticket
 * [, source_event, payload_sha256 [, deployment]]): an entry's lookup
 * terms (lib/lookup.h), or NULL if it has none.  Migration 004 filled
 * entry_keys with the first twelve (its body terms, from no hash, were
 * wrong and unused); 006 refilled it with fourteen, 008 with all fifteen
 * (a body key covers the deployment id, schema 7). */
static void
sql_lookup_terms(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	static const enum ledger_subject subj[] = {
		LEDGER_SUBJ_ACTOR, LEDGER_SUBJ_ARTIFACT, LEDGER_SUBJ_COMMIT,
		LEDGER_SUBJ_ENVIRONMENT, LEDGER_SUBJ_PIPELINE, LEDGER_SUBJ_RUN,
		LEDGER_SUBJ_SERVICE, LEDGER_SUBJ_STATUS, LEDGER_SUBJ_TICKET,
	};
	char out[LEDGER_LOOKUP_TERMS];
	struct ledger_entry e;
	enum ledger_kind k;
	size_t i;

	memset(&e, 0, sizeof(e));
	e.kind = LEDGER_KIND_COUNT;	/* no kind term unless it parses */
	if (sqlite3_value_text(argv[0]) != NULL &&
	    ledger_kind_parse((const char *)sqlite3_value_text(argv[0]), &k,
	    NULL) == LEDGER_OK)
		e.kind = k;
	e.source[LEDGER_SRC_NAME] = (char *)sqlite3_value_text(argv[1]);
	e.source[LEDGER_SRC_DELIVERY] = (char *)sqlite3_value_text(argv[2]);
	for (i = 0; i < sizeof(subj) / sizeof(*subj); i++)
		e.subject[subj[i]] = (char *)sqlite3_value_text(argv[3 + i]);
	if (argc >= 14) {
		e.source[LEDGER_SRC_EVENT] = (char *)sqlite3_value_text(
		    argv[12]);
		if (sqlite3_value_bytes(argv[13]) == LEDGER_HASH_BYTES)
			memcpy(e.payload_sha256, sqlite3_value_blob(argv[13]),
			    LEDGER_HASH_BYTES);
	}
	if (argc == 15)
		e.subject[LEDGER_SUBJ_DEPLOYMENT] = (char *)sqlite3_value_text(
		    argv[14]);
	if (ledger_lookup_terms(&e, out, NULL, NULL) == 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

static enum ledger_status
open_db(struct sqlite_backend *b, bool create, struct ledger_error *err)
{
	enum ledger_status st;
	struct stat sb;
	int rc, fl;

	if (!create && access(b->path, F_OK) != 0)
		return ledger_errorf_errno(err, LEDGER_ENOTFOUND, errno,
		    "open '%s'", b->path);
	fl = (b->flags & LEDGER_STORE_READONLY) ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	fl |= SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
	rc = sqlite3_open_v2(b->path, &b->db, fl, NULL);
	if (rc != SQLITE_OK)
		return ledger_errorf(err, rc == SQLITE_CANTOPEN ? LEDGER_EIO :
		    LEDGER_EDB, "open '%s': %s", b->path,
		    b->db ? sqlite3_errmsg(b->db) : sqlite3_errstr(rc));
	if (stat(b->path, &sb) == 0) {
		b->dev = sb.st_dev;
		b->ino = sb.st_ino;
	}
	sqlite3_extended_result_codes(b->db, 1);
	sqlite3_busy_timeout(b->db, BUSY_TIMEOUT_MS);
	/* Direct only: no trigger or view in a database file can call it. */
	if ((rc = sqlite3_create_function_v2(b->db, "ledger_lookup_terms", 12,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
	    sql_lookup_terms, NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function_v2(b->db, "ledger_lookup_terms", 14,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
	    sql_lookup_terms, NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function_v2(b->db, "ledger_lookup_terms", 15,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
	    sql_lookup_terms, NULL, NULL, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "register functions");
	/* A new log gives pruned pages back as it goes (schema 009): to
	 * be set before the first table, and before WAL writes a header. */
	if (create && (st = exec(b, "PRAGMA auto_vacuum = INCREMENTAL", err)))
		return st;
	if (!(b->flags & LEDGER_STORE_READONLY)) {
		if ((st = exec(b, "PRAGMA journal_mode = WAL", err)) ||
		    (st = exec(b, "PRAGMA synchronous = FULL", err)) ||
		    (st = exec(b, "PRAGMA journal_size_limit = 67108864", err)))
			return st;
		if ((b->flags & LEDGER_STORE_MANUAL_WAL) &&
		    sqlite3_wal_autocheckpoint(b->db, WAL_WRITER_FRAMES) !=
		    SQLITE_OK)
			return sqlite_err(b, SQLITE_ERROR, err,
			    "wal_autocheckpoint");
	}
	if ((st = exec(b, "PRAGMA foreign_keys = ON", err)) ||
	    (st = exec(b, "PRAGMA cache_size = -65536", err)) ||
	    (st = exec(b, "PRAGMA trusted_schema = OFF", err)))
		return st;
	/* Check this is a database at all before anything else. */
	rc = sqlite3_exec(b->db, "SELECT count(*) FROM sqlite_schema", NULL,
	    NULL, NULL);
	if (rc != SQLITE_OK)
		return sqlite_err(b, rc, err, "read database");
	return LEDGER_OK;
}

static void
sqlite_close(struct ledger_backend *be)
{
	struct sqlite_backend *b = SB(be);

	if (b == NULL)
		return;
	sqlite3_finalize(b->st_find_delivery);
	sqlite3_finalize(b->st_find_body);
	sqlite3_finalize(b->st_insert_keys);
	sqlite3_finalize(b->st_insert_entry);
	sqlite3_finalize(b->st_insert_payload);
	sqlite3_finalize(b->st_insert_tree);
	sqlite3_finalize(b->st_update_head);
	sqlite3_finalize(b->st_get_tree);
	sqlite3_finalize(b->st_head);
	sqlite3_finalize(b->st_token_live);
	sqlite_pool_release(&b->list_terms);
	sqlite_pool_release(&b->list_range);
	sqlite_pool_release(&b->seq_time);
	sqlite_pool_release(&b->narrow_approvals);
	sqlite_pool_release(&b->narrow_authors);
	sqlite_pool_release(&b->narrow_deployments);
	sqlite3_close(b->db);
	free(b->origin);
	free(b->path);
	free(b);
}

enum ledger_status
ledger_sqlite_open(const char *dir, unsigned flags, bool create,
    struct ledger_backend **ret, struct ledger_error *err)
{
	return ledger_sqlite_open_progress(dir, flags, create, NULL, NULL, ret,
	    err);
}

enum ledger_status
ledger_sqlite_open_progress(const char *dir, unsigned flags, bool create,
    int (*progress)(void *ctx, uint64_t done, uint64_t total), void *pctx,
    struct ledger_backend **ret, struct ledger_error *err)
{
	struct migrate_progress mp = { progress, pctx, 0, 0 };
	struct sqlite_backend *b;
	enum ledger_status st;
	size_t n = strlen(dir) + sizeof(LEDGER_DB_FILE) + 2;

	*ret = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->path = malloc(n)) == NULL) {
		free(b);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	b->base.ops = &sqlite_ops;
	b->flags = flags;
	snprintf(b->path, n, "%s/%s", dir, LEDGER_DB_FILE);
	if ((st = open_db(b, create, err)) || (st = migrate(b, &mp, err)))
		goto fail;
	if (!create && (st = sqlite_meta_get(&b->base, "origin", &b->origin,
	    err)) != LEDGER_OK)
		goto fail;
	*ret = &b->base;
	return LEDGER_OK;
fail:
	sqlite_close(&b->base);
	return st;
}

void
ledger_sqlite_remove(const char *dir)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char path[4200];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(*suffix); i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, LEDGER_DB_FILE,
		    suffix[i]);
		unlink(path);
	}
}

static unsigned
sqlite_caps(const struct ledger_backend *be)
{
	const struct sqlite_backend *b = (const struct sqlite_backend *)be;
	unsigned c = 0;

	if (b->schema_version >= 4)
		c |= LEDGER_BE_LOOKUP_KEYS | LEDGER_BE_INDEX_CHECK;
	if (b->schema_version >= 5)
		c |= LEDGER_BE_HEADERS;
	if (b->schema_version >= 6)
		c |= LEDGER_BE_BODY_KEYS;
	if (b->schema_version >= 8)
		c |= LEDGER_BE_KIND_KEYS;
	return c;
}

/* ---- transactions and health ---- */

static enum ledger_status
sqlite_begin_write(struct ledger_backend *be, struct ledger_error *err)
{
	int rc = sqlite3_exec(SB(be)->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	return rc != SQLITE_OK ? sqlite_err(SB(be), rc, err, "begin") :
	    LEDGER_OK;
}

static enum ledger_status
sqlite_begin_read(struct ledger_backend *be, struct ledger_error *err)
{
	int rc = sqlite3_exec(SB(be)->db, "BEGIN", NULL, NULL, NULL);

	return rc != SQLITE_OK ? sqlite_err(SB(be), rc, err, "begin read") :
	    LEDGER_OK;
}

static enum ledger_status
sqlite_commit(struct ledger_backend *be, struct ledger_error *err)
{
	int rc = sqlite3_exec(SB(be)->db, "COMMIT", NULL, NULL, NULL);

	return rc != SQLITE_OK ? sqlite_err(SB(be), rc, err, "commit") :
	    LEDGER_OK;
}

static void
sqlite_rollback(struct ledger_backend *be)
{
	/* After a failed COMMIT SQLite may have rolled back already. */
	if (!sqlite3_get_autocommit(SB(be)->db))
		sqlite3_exec(SB(be)->db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * Is the database file still the one opened?  After `rm ledger.db` (or a
 * file moved over it) SQLite goes on writing to the unlinked inode, and
 * every acknowledged event would be lost at close.  One stat per batch.
 */
static enum ledger_status
sqlite_check_alive(struct ledger_backend *be, struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	struct stat sb;

	if (stat(b->path, &sb) != 0)
		return ledger_errorf(err, LEDGER_EIO, "the database file %s was "
		    "removed while open: nothing was written.  Restore it and "
		    "restart", b->path);
	if (sb.st_dev != b->dev || sb.st_ino != b->ino)
		return ledger_errorf(err, LEDGER_EIO, "the database file %s was "
		    "replaced while open: nothing was written.  Restart to use "
		    "the new file", b->path);
	return LEDGER_OK;
}

/*
 * A passive checkpoint copies WAL frames into the database without ever
 * blocking the writer, and the daemon runs one every second from its own
 * connection.  But a WAL only starts over when the writer, beginning a
 * transaction, finds every frame copied, which never happens while the
 * sequencer commits back to back: the WAL would grow without bound
 * (gigabytes a minute under load).  So the writer itself, right after a
 * commit that leaves more than WAL_WRITER_FRAMES in the WAL, runs a passive
 * checkpoint inline (SQLite's auto-checkpoint, with a larger threshold):
 * between its own commits nobody else writes, so that one completes, and
 * the next commit starts the WAL over.  The background passes have copied
 * most frames by then, so the inline one is short.
 */
static enum ledger_status
sqlite_maintain(struct ledger_backend *be, struct ledger_error *err)
{
	int rc = sqlite3_wal_checkpoint_v2(SB(be)->db, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return sqlite_err(SB(be), rc, err, "wal checkpoint");
	return LEDGER_OK;
}

/* ---- the head ---- */

static enum ledger_status
sqlite_head_read(struct ledger_backend *be, struct ledger_be_head *h,
    struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	enum ledger_status st;
	sqlite3_stmt *q;
	int rc;

	/* Read at every open and every batch: prepared once. */
	if ((st = sqlite_prepare_once(b, sql_head, &b->st_head, err)))
		return st;
	q = b->st_head;
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW || sqlite3_column_bytes(q, 1) != LEDGER_HASH_BYTES ||
	    sqlite3_column_int64(q, 0) < 0) {
		st = rc == SQLITE_ROW || rc == SQLITE_DONE ?
		    ledger_errorf(err, LEDGER_ECHAIN, "head row is missing or "
		    "malformed") : sqlite_err(b, rc, err, "read head");
		sqlite3_reset(q);
		return st;
	}
	h->size = (uint64_t)sqlite3_column_int64(q, 0);
	memcpy(h->last_leaf, sqlite3_column_blob(q, 1), LEDGER_HASH_BYTES);
	h->last_time_ms = sqlite3_column_int64(q, 2);
	sqlite3_reset(q);
	return LEDGER_OK;
}

static enum ledger_status
sqlite_head_write(struct ledger_backend *be, const struct ledger_be_head *h,
    struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	enum ledger_status st;
	sqlite3_stmt *q;

	if ((st = sqlite_prepare_once(b, sql_update_head, &b->st_update_head,
	    err)))
		return st;
	q = b->st_update_head;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)h->size);
	sqlite3_bind_blob(q, 2, h->last_leaf, LEDGER_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, h->last_time_ms);
	return step_done(b, q, err, "update head");
}

/* ---- appending ---- */

static enum ledger_status
sqlite_insert_entry(struct ledger_backend *be,
    const struct ledger_be_insert *in, struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	const struct ledger_entry *e = in->e;
	enum ledger_status st;
	sqlite3_stmt *q;
	int c;

	if ((st = sqlite_prepare_once(b, sql_insert_entry, &b->st_insert_entry,
	    err)) ||
	    (st = sqlite_prepare_once(b, sql_insert_payload,
	    &b->st_insert_payload, err)) ||
	    (st = sqlite_prepare_once(b, sql_insert_keys, &b->st_insert_keys,
	    err)))
		return st;
	q = b->st_insert_entry;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)e->seq);
	sqlite3_bind_blob(q, 2, in->entry, (int)in->entry_len, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, in->sig, LEDGER_SIG_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, e->key_id);
	sqlite3_bind_blob(q, 5, e->prev, LEDGER_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, e->time_ms);
	sqlite3_bind_text(q, 7, ledger_kind_name(e->kind), -1, SQLITE_STATIC);
	bind_text_or_null(q, 8, e->source[LEDGER_SRC_NAME]);
	bind_text_or_null(q, 9, e->source[LEDGER_SRC_TYPE]);
	bind_text_or_null(q, 10, e->source[LEDGER_SRC_EVENT]);
	bind_text_or_null(q, 11, e->source[LEDGER_SRC_DELIVERY]);
	bind_text_or_null(q, 12, e->source[LEDGER_SRC_AUTH]);
	for (c = 0; c < LEDGER_SUBJ_COUNT; c++)
		bind_text_or_null(q, 13 + c, e->subject[c]);
	sqlite3_bind_blob(q, 13 + LEDGER_SUBJ_COUNT, e->payload_sha256,
	    LEDGER_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(q, 14 + LEDGER_SUBJ_COUNT,
	    (sqlite3_int64)e->payload_size);
	bind_text_or_null(q, 15 + LEDGER_SUBJ_COUNT, e->payload_type);
	if ((st = step_done(b, q, err, "insert entry")) != LEDGER_OK)
		return st;

	q = b->st_insert_payload;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)e->seq);
	sqlite3_bind_blob(q, 2, in->payload_z, (int)in->payload_zlen,
	    SQLITE_STATIC);
	bind_text_or_null(q, 3, in->headers);
	if (in->payload_z != NULL &&	/* NULL: pruned (a copied log) */
	    (st = step_done(b, q, err, "insert payload")) != LEDGER_OK)
		return st;
	if (in->payload_z == NULL)
		sqlite3_clear_bindings(q);

	if (in->terms != NULL && in->terms[0] != '\0') {
		q = b->st_insert_keys;
		sqlite3_bind_int64(q, 1, (sqlite3_int64)e->seq);
		sqlite3_bind_text(q, 2, in->terms, -1, SQLITE_STATIC);
		if ((st = step_done(b, q, err, "insert lookup keys")))
			return st;
	}
	return LEDGER_OK;
}

static enum ledger_status
sqlite_insert_tree(struct ledger_backend *be, uint64_t id,
    const uint8_t hash[LEDGER_HASH_BYTES], struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	enum ledger_status st;
	sqlite3_stmt *q;

	if ((st = sqlite_prepare_once(b, sql_insert_tree, &b->st_insert_tree,
	    err)))
		return st;
	q = b->st_insert_tree;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
	sqlite3_bind_blob(q, 2, hash, LEDGER_HASH_BYTES, SQLITE_STATIC);
	return step_done(b, q, err, "insert tree hash");
}

static enum ledger_status
sqlite_find_delivery(struct ledger_backend *be, const char *source,
    const char *delivery, const char *term, struct ledger_row *ret,
    bool *found, struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	enum ledger_status st;
	sqlite3_stmt *q;
	int rc;

	memset(ret, 0, sizeof(*ret));
	*found = false;
	if ((st = sqlite_prepare_once(b, sql_find_delivery,
	    &b->st_find_delivery, err)))
		return st;
	q = b->st_find_delivery;
	sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, delivery, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, term, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*found = (st = sqlite_row(b, q, ret, err)) == LEDGER_OK;
	else if (rc != SQLITE_DONE)
		st = sqlite_err(b, rc, err, "look up delivery");
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return st;
}

static enum ledger_status
sqlite_find_body(struct ledger_backend *be, const char *source,
    const uint8_t sha256[LEDGER_HASH_BYTES], const char *term,
    ledger_be_row_fn fn, void *ctx, struct ledger_error *err)
{
	struct sqlite_backend *b = SB(be);
	enum ledger_status st;
	sqlite3_stmt *q;

	if ((st = sqlite_prepare_once(b, sql_find_body, &b->st_find_body,
	    err)))
		return st;
	q = b->st_find_body;
	sqlite3_bind_text(q, 1, term, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, sha256, LEDGER_HASH_BYTES, SQLITE_STATIC);
	st = sqlite_each_row(b, q, fn, ctx, "look up body", err);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return st;
}

/* One range at a time: fts5vocab answers a range of terms from its index,
 * but an OR of two ranges reads wrong (its rows have no rowid for SQLite's
 * MULTI-INDEX OR to merge by). */
static enum ledger_status
sqlite_scan_terms(struct ledger_backend *be, const char *lo, const char *hi,
    int (*fn)(void *ctx, const char *term, size_t len), void *ctx,
    struct ledger_error *err)
{
	static const char sql[] = "SELECT term FROM temp.entry_keys_terms"
	    " WHERE term >= ?1 AND term < ?2";
	struct sqlite_backend *b = SB(be);
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = sqlite3_exec(b->db, "CREATE VIRTUAL TABLE IF NOT EXISTS"
	    " temp.entry_keys_terms USING fts5vocab(main, entry_keys, row)",
	    NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(b->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return sqlite_err(b, rc, err, "read lookup terms");
	sqlite3_bind_text(q, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, hi, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (fn(ctx, (const char *)sqlite3_column_text(q, 0),
		    (size_t)sqlite3_column_bytes(q, 0)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sqlite_err(b, rc, err, "read lookup terms");
	return LEDGER_OK;
}

const struct ledger_backend_ops sqlite_ops = {
	.name = "sqlite",
	.close = sqlite_close,
	.caps = sqlite_caps,
	.begin_write = sqlite_begin_write,
	.begin_read = sqlite_begin_read,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.check_alive = sqlite_check_alive,
	.maintain = sqlite_maintain,
	.merge_keys = sqlite_merge_keys,
	.settle_keys = sqlite_settle_keys,
	.check_indexes = sqlite_check_indexes,
	.prune_step = sqlite_prune_step,
	.missing_payloads = sqlite_missing_payloads,
	.vacuum = sqlite_vacuum,
	.meta_get = sqlite_meta_get,
	.meta_set = sqlite_meta_set,
	.head_read = sqlite_head_read,
	.head_write = sqlite_head_write,
	.insert_entry = sqlite_insert_entry,
	.insert_tree = sqlite_insert_tree,
	.find_delivery = sqlite_find_delivery,
	.find_body = sqlite_find_body,
	.scan_terms = sqlite_scan_terms,
	.get_row = sqlite_get_row,
	.get_payload = sqlite_get_payload,
	.get_headers = sqlite_get_headers,
	.read_hashes = sqlite_read_hashes,
	.log_end = sqlite_log_end,
	.seq_time = sqlite_seq_time,
	.list = sqlite_list,
	.narrow = sqlite_narrow,
	.checkpoint_insert = sqlite_checkpoint_insert,
	.checkpoint_get = sqlite_checkpoint_get,
	.token_insert = sqlite_token_insert,
	.token_revoke = sqlite_token_revoke,
	.token_live = sqlite_token_live,
	.token_count = sqlite_token_count,
	.token_scan = sqlite_token_scan,
	.open_rows = sqlite_open_rows,
	.next_row = sqlite_next_row,
	.open_tree = sqlite_open_tree,
	.next_tree = sqlite_next_tree,
	.open_checkpoints = sqlite_open_checkpoints,
	.next_checkpoint = sqlite_next_checkpoint,
	.open_terms = sqlite_open_terms,
	.next_term = sqlite_next_term,
	.close_cursor = sqlite_close_cursor,
};
