/*
 * store.c - the data directory, the SQLite schema and the append path
 *
 * The append path, used by ledgerctl and by the daemon's sequencer alike:
 *
 *	BEGIN IMMEDIATE
 *	for each event: look up (source, delivery) -> duplicate receipt, or
 *	    seq = size, time = max(now, last time), prev = last leaf,
 *	    encode -> leaf hash -> sign -> INSERT entry, payload, tree hashes
 *	UPDATE head
 *	COMMIT				(WAL + synchronous=FULL: durable here)
 *
 * Any failure rolls the whole batch back and restores the in-memory head,
 * so a caller that retries starts from exactly the committed state.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/store.h"
#include "ledger-int.h"
#include "dfilter.h"
#include "lookup.h"
#include "signer.h"
#include "store-int.h"

#define BUSY_TIMEOUT_MS 5000
/*
 * The daemon's writer checkpoints inline past this many WAL frames (4 MiB
 * of 4 KiB pages); see ledger_store_wal_checkpoint.  Measured with
 * bench/http-ingest.sh (32 connections, 2 cores): no inline checkpoint
 * 5.9k events/s, p99 11 ms, the WAL growing without bound; 4 MiB 7.1k/s,
 * 12 ms; 16 MiB 7.8k/s, 27 ms; 64 MiB 8.7k/s, 50-60 ms.  The p99 target
 * (25 ms) decides.
 */
#define WAL_WRITER_FRAMES (4 * 1024 * 1024 / 4096)

/* The key finds candidates; the columns decide (lib/lookup.h). */
static const char sql_find_delivery[] =
	"SELECT seq, entry, sig, key_id, time_ms, payload_sha256 FROM entries"
	" WHERE seq IN (SELECT rowid FROM entry_keys WHERE entry_keys"
	" MATCH ?3) AND source_name = ?1 AND delivery = ?2"
	" ORDER BY seq LIMIT 1";
static const char sql_find_body[] =
	"SELECT " ENTRY_COLUMNS " FROM entries WHERE seq IN (SELECT rowid"
	" FROM entry_keys WHERE entry_keys MATCH ?1) AND source_name = ?2"
	" AND payload_sha256 = ?3 ORDER BY seq";
static const char sql_insert_keys[] =
	"INSERT INTO entry_keys (rowid, k) VALUES (?1, ?2)";
static const char sql_insert_entry[] =
	"INSERT INTO entries (" ENTRY_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5,"
	" ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
	" ?20, ?21, ?22, ?23, ?24, ?25)";
static const char sql_insert_payload[] =
	"INSERT INTO payloads (seq, data, headers) VALUES (?1, ?2, ?3)";
static const char sql_insert_tree[] =
	"INSERT INTO tree (id, hash) VALUES (?1, ?2)";
static const char sql_update_head[] =
	"UPDATE head SET size = ?1, last_leaf = ?2, last_time_ms = ?3"
	" WHERE id = 0";

static const char sql_get_tree[] =
	"SELECT hash FROM tree WHERE id = ?1";

enum ledger_status
ledger_store_dberr(struct ledger_store *s, int rc, struct ledger_error *err,
    const char *what)
{
	const char *msg = s && s->db ? sqlite3_errmsg(s->db) :
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

static char *
path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static enum ledger_status
exec(struct ledger_store *s, const char *sql, struct ledger_error *err)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, sql);
	return LEDGER_OK;
}

static enum ledger_status
meta_get(struct ledger_store *s, const char *name, char **ret,
    struct ledger_error *err)
{
	static const char sql[] = "SELECT value FROM meta WHERE name = ?1";
	enum ledger_status st = LEDGER_OK;
	sqlite3_stmt *q = NULL;
	int rc;

	*ret = NULL;
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "read meta");
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		st = ledger_strdup((const char *)sqlite3_column_text(q, 0), ret,
		    err);
	else if (rc == SQLITE_DONE)
		st = ledger_errorf(err, LEDGER_EINVAL,
		    "database has no '%s' (not a ledger database?)", name);
	else
		st = ledger_store_dberr(s, rc, err, "read meta");
	sqlite3_finalize(q);
	return st;
}

static enum ledger_status
meta_set(struct ledger_store *s, const char *name, const char *value,
    struct ledger_error *err)
{
	static const char sql[] =
	    "INSERT INTO meta (name, value) VALUES (?1, ?2)";
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "write meta");
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return ledger_store_dberr(s, rc, err, "write meta");
	return LEDGER_OK;
}

/* Apply every embedded migration newer than the database, forward only,
 * each in its own transaction. */
static enum ledger_status
migrate(struct ledger_store *s, struct ledger_error *err)
{
	enum ledger_status st;
	sqlite3_stmt *q = NULL;
	int rc, version, i;

	if ((rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q,
	    NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "read schema version");
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		/* The step's own code, not the prepare's SQLITE_OK. */
		st = ledger_store_dberr(s, rc == SQLITE_DONE ? SQLITE_ERROR :
		    rc, err, "read schema version");
		sqlite3_finalize(q);
		return st;
	}
	version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	s->schema_version = version;
	if (version > ledger_migration_count)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "database schema version %d is newer than this program's %d",
		    version, ledger_migration_count);
	if (s->flags & LEDGER_STORE_READONLY) {
		if (version < ledger_migration_count && version < 1)
			return ledger_errorf(err, LEDGER_EINVAL,
			    "database is empty (not initialized)");
		return LEDGER_OK;
	}
	for (i = version; i < ledger_migration_count; i++) {
		if ((st = exec(s, "BEGIN IMMEDIATE", err)) != LEDGER_OK)
			return st;
		rc = sqlite3_exec(s->db, ledger_migrations[i].sql, NULL, NULL,
		    NULL);
		if (rc != SQLITE_OK) {
			st = ledger_store_dberr(s, rc, err,
			    ledger_migrations[i].name);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return st;
		}
		if ((st = exec(s, "COMMIT", err)) != LEDGER_OK) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return st;
		}
		s->schema_version = i + 1;
	}
	return LEDGER_OK;
}

static enum ledger_status
prepare(struct ledger_store *s, const char *sql, sqlite3_stmt **st,
    struct ledger_error *err)
{
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    st, NULL);

	if (rc != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "prepare");
	return LEDGER_OK;
}

enum ledger_status
ledger_store_read_hashes(void *ctx, const uint64_t *indexes, size_t count,
    uint8_t (*out)[LEDGER_HASH_BYTES], struct ledger_error *err)
{
	struct ledger_store *s = ctx;
	sqlite3_stmt *q = s->st_get_tree;
	size_t i;
	int rc;

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
		return ledger_store_dberr(s, rc, err, "read tree");
	}
	return LEDGER_OK;
}

static enum ledger_status
load_head(struct ledger_store *s, struct ledger_error *err)
{
	static const char sql[] =
	    "SELECT size, last_leaf, last_time_ms FROM head WHERE id = 0";
	enum ledger_status st;
	sqlite3_stmt *q;
	int rc;

	/* Read at every open and every batch: prepared once. */
	if (s->st_head == NULL && (rc = sqlite3_prepare_v3(s->db, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &s->st_head, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "read head");
	q = s->st_head;
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW || sqlite3_column_bytes(q, 1) != LEDGER_HASH_BYTES ||
	    sqlite3_column_int64(q, 0) < 0) {
		st = rc == SQLITE_ROW || rc == SQLITE_DONE ?
		    ledger_errorf(err, LEDGER_ECHAIN, "head row is missing or "
		    "malformed") : ledger_store_dberr(s, rc, err, "read head");
		sqlite3_reset(q);
		return st;
	}
	s->size = (uint64_t)sqlite3_column_int64(q, 0);
	memcpy(s->last_leaf, sqlite3_column_blob(q, 1), LEDGER_HASH_BYTES);
	s->last_time_ms = sqlite3_column_int64(q, 2);
	sqlite3_reset(q);
	return LEDGER_OK;
}

/* ledger_lookup_terms(kind, source_name, delivery, actor, artifact,
 * commit_id, environment, pipeline, run, service, status, ticket
 * [, source_event, payload_sha256]): an entry's lookup terms
 * (lib/lookup.h), or NULL if it has none.  Migration 004 filled entry_keys
 * with the first twelve (its body terms, from no hash, were wrong and
 * unused); 006 refills it with all fourteen. */
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
	if (argc == 14) {
		e.source[LEDGER_SRC_EVENT] = (char *)sqlite3_value_text(
		    argv[12]);
		if (sqlite3_value_bytes(argv[13]) == LEDGER_HASH_BYTES)
			memcpy(e.payload_sha256, sqlite3_value_blob(argv[13]),
			    LEDGER_HASH_BYTES);
	}
	if (ledger_lookup_terms(&e, out, NULL, NULL) == 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

static enum ledger_status
open_db(struct ledger_store *s, bool create, struct ledger_error *err)
{
	enum ledger_status st;
	char *path;
	int rc, fl;

	if ((path = path_join(s->dir, LEDGER_DB_FILE)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (!create && access(path, F_OK) != 0) {
		st = ledger_errorf_errno(err, LEDGER_ENOTFOUND, errno,
		    "open '%s'", path);
		free(path);
		return st;
	}
	fl = (s->flags & LEDGER_STORE_READONLY) ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	fl |= SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
	rc = sqlite3_open_v2(path, &s->db, fl, NULL);
	if (rc != SQLITE_OK) {
		st = ledger_errorf(err, rc == SQLITE_CANTOPEN ? LEDGER_EIO :
		    LEDGER_EDB, "open '%s': %s", path,
		    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		free(path);
		return st;
	}
	{
		struct stat sb;

		if (stat(path, &sb) == 0) {
			s->db_dev = sb.st_dev;
			s->db_ino = sb.st_ino;
		}
	}
	free(path);
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* Direct only: no trigger or view in a database file can call it. */
	if ((rc = sqlite3_create_function_v2(s->db, "ledger_lookup_terms", 12,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
	    sql_lookup_terms, NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function_v2(s->db, "ledger_lookup_terms", 14,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
	    sql_lookup_terms, NULL, NULL, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "register functions");
	if (!(s->flags & LEDGER_STORE_READONLY)) {
		if ((st = exec(s, "PRAGMA journal_mode = WAL", err)) ||
		    (st = exec(s, "PRAGMA synchronous = FULL", err)) ||
		    (st = exec(s, "PRAGMA journal_size_limit = 67108864", err)))
			return st;
		if ((s->flags & LEDGER_STORE_MANUAL_WAL) &&
		    sqlite3_wal_autocheckpoint(s->db, WAL_WRITER_FRAMES) !=
		    SQLITE_OK)
			return ledger_store_dberr(s, SQLITE_ERROR, err,
			    "wal_autocheckpoint");
	}
	if ((st = exec(s, "PRAGMA foreign_keys = ON", err)) ||
	    (st = exec(s, "PRAGMA cache_size = -65536", err)) ||
	    (st = exec(s, "PRAGMA trusted_schema = OFF", err)))
		return st;
	/* Check this is a database at all before anything else. */
	rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_schema", NULL,
	    NULL, NULL);
	if (rc != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "read database");
	return LEDGER_OK;
}

static enum ledger_status
load_vkey(struct ledger_store *s, struct ledger_error *err)
{
	struct ledger_vkey *keys = NULL;
	enum ledger_status st;
	size_t n = 0;
	char *path;

	if ((path = path_join(s->dir, LEDGER_PUB_FILE)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	st = ledger_vkey_load_file(path, &keys, &n, err);
	free(path);
	if (st == LEDGER_ENOTFOUND)
		return LEDGER_OK;
	if (st != LEDGER_OK)
		return st;
	if (n > 0) {
		s->vkey = keys[0];
		s->have_vkey = true;
	}
	free(keys);
	return LEDGER_OK;
}

enum ledger_status
ledger_store_open(const char *dir, unsigned flags, struct ledger_store **ret,
    struct ledger_error *err)
{
	struct ledger_store *s;
	enum ledger_status st;
	char *kid = NULL, *path = NULL, *end;
	unsigned long v;

	if (dir == NULL || ret == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "no data directory");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	s->flags = flags;
	if ((st = ledger_strdup(dir, &s->dir, err)) != LEDGER_OK)
		goto fail;
	if ((st = open_db(s, false, err)) || (st = migrate(s, err)))
		goto fail;
	if ((st = meta_get(s, "origin", &s->origin, err)) ||
	    (st = meta_get(s, "key_id", &kid, err)))
		goto fail;
	errno = 0;
	v = strtoul(kid, &end, 16);
	if (errno != 0 || *end != '\0' || strlen(kid) != 8) {
		st = ledger_errorf(err, LEDGER_EINVAL, "bad key id '%s' in "
		    "database", kid);
		goto fail;
	}
	s->key_id = (uint32_t)v;
	if ((st = load_vkey(s, err)) != LEDGER_OK)
		goto fail;
	if ((st = prepare(s, sql_get_tree, &s->st_get_tree, err)))
		goto fail;
	if ((st = load_head(s, err)) != LEDGER_OK)
		goto fail;
	if (!(flags & (LEDGER_STORE_READONLY | LEDGER_STORE_NOKEY))) {
		if ((path = path_join(dir, LEDGER_KEY_FILE)) == NULL) {
			st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
			goto fail;
		}
		if ((st = ledger_key_load(path, &s->key, err)) != LEDGER_OK)
			goto fail;
		if (ledger_key_vkey(s->key)->id != s->key_id ||
		    strcmp(ledger_key_vkey(s->key)->name, s->origin) != 0) {
			st = ledger_errorf(err, LEDGER_EINVAL,
			    "key '%s' is not this log's key (log '%s' key %08x)",
			    path, s->origin, s->key_id);
			goto fail;
		}
		if ((st = prepare(s, sql_find_delivery, &s->st_find_delivery,
		    err)) ||
		    (st = prepare(s, sql_find_body, &s->st_find_body, err)) ||
		    (st = prepare(s, sql_insert_keys, &s->st_insert_keys,
		    err)) ||
		    (st = prepare(s, sql_insert_entry, &s->st_insert_entry,
		    err)) ||
		    (st = prepare(s, sql_insert_payload, &s->st_insert_payload,
		    err)) ||
		    (st = prepare(s, sql_insert_tree, &s->st_insert_tree,
		    err)) ||
		    (st = prepare(s, sql_update_head, &s->st_update_head, err)))
			goto fail;
		st = ledger_merkle_frontier_load(&s->frontier, s->size,
		    ledger_store_read_hashes, s, err);
		if (st != LEDGER_OK)
			goto fail;
		/* Never extend a log that contradicts what it signed, in
		 * the database or in the copy kept beside it. */
		if ((st = ledger_store_check_last_checkpoint(s, err)) ||
		    (st = ledger_store_check_state(s, err)))
			goto fail;
	}
	free(kid);
	free(path);
	*ret = s;
	return LEDGER_OK;
fail:
	free(kid);
	free(path);
	ledger_store_close(s);
	return st;
}

void
ledger_store_close(struct ledger_store *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->st_find_delivery);
	sqlite3_finalize(s->st_find_body);
	sqlite3_finalize(s->st_insert_entry);
	sqlite3_finalize(s->st_insert_payload);
	sqlite3_finalize(s->st_insert_keys);
	ledger_signer_stop(s->signer);
	ledger_dfilter_free(s->dfilter);
	free(s->staged);
	free(s->leaves);
	free(s->sigs);
	sqlite3_finalize(s->st_insert_tree);
	sqlite3_finalize(s->st_update_head);
	sqlite3_finalize(s->st_get_tree);
	sqlite3_finalize(s->st_token_live);
	sqlite3_finalize(s->st_head);
	sqlite3_close(s->db);
	ledger_key_free(s->key);
	ledger_buf_release(&s->enc);
	free(s->origin);
	free(s->dir);
	free(s);
}

const char *
ledger_store_origin(const struct ledger_store *s)
{
	return s->origin;
}

uint32_t
ledger_store_key_id(const struct ledger_store *s)
{
	return s->key_id;
}

const struct ledger_vkey *
ledger_store_vkey(const struct ledger_store *s)
{
	return s->have_vkey ? &s->vkey : NULL;
}

void
ledger_default_origin(char out[LEDGER_ORIGIN_MAX])
{
	char host[200];
	size_t i, j = 0;

	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0'; i++)
		if ((host[i] >= 'a' && host[i] <= 'z') ||
		    (host[i] >= 'A' && host[i] <= 'Z') ||
		    (host[i] >= '0' && host[i] <= '9') ||
		    host[i] == '.' || host[i] == '-')
			host[j++] = host[i];
	host[j] = '\0';
	/* A random part: pins are kept per origin, so a log created again
	 * on the same host must not take the name of the one before. */
	snprintf(out, LEDGER_ORIGIN_MAX, "%s/ledgerd/%08" PRIx32,
	    j > 0 ? host : "localhost", randombytes_random());
}

/* A signed-note key name: non-empty, printable ASCII or UTF-8, no space,
 * no '+'. */
static bool
valid_origin(const char *o)
{
	size_t i, n = strlen(o);

	if (n == 0 || n >= LEDGER_KEYNAME_MAX || !ledger_utf8_valid(o, n))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)o[i] <= ' ' || o[i] == '+' || o[i] == 0x7f)
			return false;
	return true;
}

enum ledger_status
ledger_store_init(const char *dir, const char *origin,
    struct ledger_error *err)
{
	struct ledger_store *s = NULL;
	struct ledger_key *key = NULL;
	enum ledger_status st;
	char *kpath = NULL, *ppath = NULL, *dbpath = NULL, kid[9];
	struct stat sb;
	bool made_key = false;

	if (dir == NULL || origin == NULL || !valid_origin(origin))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "bad origin '%.64s': want a non-empty name without spaces "
		    "or '+'", origin ? origin : "");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ledger_errorf_errno(err, LEDGER_EIO, errno,
		    "create directory '%s'", dir);
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return ledger_errorf(err, LEDGER_EIO, "'%s' is not a directory",
		    dir);
	kpath = path_join(dir, LEDGER_KEY_FILE);
	ppath = path_join(dir, LEDGER_PUB_FILE);
	dbpath = path_join(dir, LEDGER_DB_FILE);
	if (kpath == NULL || ppath == NULL || dbpath == NULL) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto done;
	}
	if (access(dbpath, F_OK) == 0 || access(kpath, F_OK) == 0) {
		st = ledger_errorf(err, LEDGER_EEXIST,
		    "'%s' already holds a ledger (refusing to overwrite its "
		    "key or database)", dir);
		goto done;
	}
	if ((st = ledger_key_generate(kpath, ppath, origin, err)) != LEDGER_OK)
		goto done;
	made_key = true;
	if ((st = ledger_key_load(kpath, &key, err)) != LEDGER_OK)
		goto done;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto done;
	}
	s->dir = strdup(dir);
	if (s->dir == NULL) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto done;
	}
	if ((st = open_db(s, true, err)) || (st = migrate(s, err)))
		goto done;
	snprintf(kid, sizeof(kid), "%08x", ledger_key_vkey(key)->id);
	if ((st = exec(s, "BEGIN IMMEDIATE", err)))
		goto done;
	if ((st = meta_set(s, "origin", origin, err)) ||
	    (st = meta_set(s, "key_id", kid, err)) ||
	    (st = exec(s, "COMMIT", err))) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		goto done;
	}
	made_key = false;	/* success: keep everything */
done:
	ledger_store_close(s);
	ledger_key_free(key);
	if (made_key) {
		/* Leave nothing half-made behind: a later init must work. */
		unlink(kpath);
		unlink(ppath);
		if (dbpath != NULL) {
			char wal[4096];

			unlink(dbpath);
			snprintf(wal, sizeof(wal), "%s-wal", dbpath);
			unlink(wal);
			snprintf(wal, sizeof(wal), "%s-shm", dbpath);
			unlink(wal);
		}
	}
	free(kpath);
	free(ppath);
	free(dbpath);
	return st;
}

/* ---- append ---- */

static void
bind_text_or_null(sqlite3_stmt *q, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

static enum ledger_status
step_done(struct ledger_store *s, sqlite3_stmt *q, struct ledger_error *err,
    const char *what)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE)
		return ledger_store_dberr(s, rc, err, what);
	return LEDGER_OK;
}

/* ---- the delivery filter (store-int.h) ---- */

/* Build it once a writer has been offered this many events. */
#define DFILTER_AFTER		512
/* Another writer appended more than this since our last batch: drop the
 * filter (and rebuild it) rather than read all their rows. */
#define DFILTER_CATCH_UP_MAX	65536

static void
dfilter_drop(struct ledger_store *s)
{
	ledger_dfilter_free(s->dfilter);
	s->dfilter = NULL;
}

/*
 * Inside the write transaction: (re)build the filter from every delivery
 * term in entry_keys, sized for twice the log.  Out of memory or a failed
 * read only leaves the store without a filter (exact lookups), never
 * wrong.
 */
static enum ledger_status
dfilter_build(struct ledger_store *s, struct ledger_error *err)
{
	/* One range a letter: fts5vocab answers a range of terms from its
	 * index, but an OR of two ranges reads wrong (its rows have no
	 * rowid for SQLite's OR to merge by). */
	static const char sql[] = "SELECT term FROM temp.entry_keys_terms"
	    " WHERE term >= ?1 AND term < ?2";
	static const char ranges[][2][2] = { { "b", "c" }, { "d", "e" } };
	enum ledger_lookup_field f;
	sqlite3_stmt *q = NULL;
	uint64_t k;
	size_t i;
	int rc = SQLITE_DONE;

	dfilter_drop(s);
	if ((rc = sqlite3_exec(s->db, "CREATE VIRTUAL TABLE IF NOT EXISTS"
	    " temp.entry_keys_terms USING fts5vocab(main, entry_keys, row)",
	    NULL, NULL, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "delivery filter");
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "delivery filter");
	/* Room for twice the log's keys (a delivery and a body key an
	 * entry) before the filter first grows. */
	if ((s->dfilter = ledger_dfilter_new(4 * s->size)) == NULL) {
		sqlite3_finalize(q);
		return LEDGER_OK;
	}
	for (i = 0; i < sizeof(ranges) / sizeof(*ranges); i++) {
		sqlite3_bind_text(q, 1, ranges[i][0], 1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, ranges[i][1], 1, SQLITE_STATIC);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW)
			if (ledger_lookup_parse_term((const char *)
			    sqlite3_column_text(q, 0), (size_t)
			    sqlite3_column_bytes(q, 0), &f, &k) &&
			    (f == LEDGER_LOOKUP_DELIVERY ||
			    f == LEDGER_LOOKUP_BODY))
				ledger_dfilter_add(s->dfilter, k);
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			break;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		dfilter_drop(s);
		return ledger_store_dberr(s, rc, err, "delivery filter");
	}
	return LEDGER_OK;
}

/* Another writer appended seqs [from, to): add their delivery and body
 * keys. */
static enum ledger_status
dfilter_catch_up(struct ledger_store *s, uint64_t from, uint64_t to,
    struct ledger_error *err)
{
	static const char sql[] = "SELECT " ENTRY_COLUMNS " FROM entries"
	    " WHERE seq >= ?1 AND seq < ?2";
	uint64_t keys[LEDGER_LOOKUP_COUNT];
	int present[LEDGER_LOOKUP_COUNT];
	enum ledger_status st = LEDGER_OK;
	struct ledger_row row;
	sqlite3_stmt *q = NULL;
	int rc;

	if (s->dfilter == NULL)
		return LEDGER_OK;
	if (to - from > DFILTER_CATCH_UP_MAX) {
		dfilter_drop(s);
		return LEDGER_OK;
	}
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "read deliveries");
	sqlite3_bind_int64(q, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)to);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((st = ledger_row_from_stmt(s, q, &row, err)) != LEDGER_OK)
			break;
		ledger_lookup_terms(&row.e, NULL, keys, present);
		if (present[LEDGER_LOOKUP_DELIVERY])
			ledger_dfilter_add(s->dfilter, keys[LEDGER_LOOKUP_DELIVERY]);
		if (present[LEDGER_LOOKUP_BODY])
			ledger_dfilter_add(s->dfilter, keys[LEDGER_LOOKUP_BODY]);
		ledger_row_release(&row);
	}
	sqlite3_finalize(q);
	if (st != LEDGER_OK || rc != SQLITE_DONE) {
		dfilter_drop(s);
		return st != LEDGER_OK ? st :
		    ledger_store_dberr(s, rc, err, "read deliveries");
	}
	return LEDGER_OK;
}

/* An earlier entry with the same (source, delivery), whose lookup key is
 * key?  Fills r and sets *found. */
/*
 * Is the database file still the one this store opened?  After `rm
 * ledger.db` (or a file moved over it) SQLite goes on writing to the
 * unlinked inode, and every acknowledged event would be lost at close.
 * One stat per batch, before COMMIT.
 */
static enum ledger_status
db_file_check(struct ledger_store *s, struct ledger_error *err)
{
	struct stat sb;
	char *path;
	int r;

	if ((path = path_join(s->dir, LEDGER_DB_FILE)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	r = stat(path, &sb);
	free(path);
	if (r != 0)
		return ledger_errorf(err, LEDGER_EIO, "the database file "
		    "%s/%s was removed while open: nothing was written.  Restore "
		    "it and restart", s->dir, LEDGER_DB_FILE);
	if (sb.st_dev != s->db_dev || sb.st_ino != s->db_ino)
		return ledger_errorf(err, LEDGER_EIO, "the database file "
		    "%s/%s was replaced while open: nothing was written.  "
		    "Restart to use the new file", s->dir, LEDGER_DB_FILE);
	return LEDGER_OK;
}

enum ledger_status
ledger_store_probe(struct ledger_store *s, struct ledger_error *err)
{
	enum ledger_status st;
	char buf[4096], *path;

	if ((st = db_file_check(s, err)) != LEDGER_OK)
		return st;
	if ((path = path_join(s->dir, ".probe")) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	memset(buf, 0, sizeof(buf));
	(void)unlink(path);
	st = ledger_write_new_file(path, 0600, buf, sizeof(buf), err);
	(void)unlink(path);
	free(path);
	return st;
}

static enum ledger_status
delivery_conflict(const struct ledger_event *ev, uint64_t seq,
    struct ledger_error *err)
{
	return ledger_errorf(err, LEDGER_EEXIST, "delivery '%.128s' of source "
	    "'%.64s' is already in the log (seq %" PRIu64 ") with a different "
	    "body; a retry must send the same body, a new event a new id",
	    ev->e.source[LEDGER_SRC_DELIVERY], ev->e.source[LEDGER_SRC_NAME],
	    seq);
}

static enum ledger_status
find_delivery(struct ledger_store *s, const struct ledger_event *ev,
    uint64_t key, struct ledger_receipt *r, bool *found,
    struct ledger_error *err)
{
	sqlite3_stmt *q = s->st_find_delivery;
	char term[LEDGER_LOOKUP_TERM];
	bool conflict = false;
	int rc;

	*found = false;
	if (ev->e.source[LEDGER_SRC_DELIVERY] == NULL)
		return LEDGER_OK;
	if (s->dfilter != NULL && !ledger_dfilter_maybe(s->dfilter, key))
		return LEDGER_OK;
	ledger_lookup_term(LEDGER_LOOKUP_DELIVERY, key, term);
	sqlite3_bind_text(q, 1, ev->e.source[LEDGER_SRC_NAME], -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(q, 2, ev->e.source[LEDGER_SRC_DELIVERY], -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(q, 3, term, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		r->seq = (uint64_t)sqlite3_column_int64(q, 0);
		ledger_leaf_hash(sqlite3_column_blob(q, 1),
		    (size_t)sqlite3_column_bytes(q, 1), r->leaf);
		if (sqlite3_column_bytes(q, 2) == LEDGER_SIG_BYTES)
			memcpy(r->sig, sqlite3_column_blob(q, 2),
			    LEDGER_SIG_BYTES);
		r->key_id = (uint32_t)sqlite3_column_int64(q, 3);
		r->time_ms = sqlite3_column_int64(q, 4);
		r->duplicate = true;
		*found = true;
		/* The same delivery id with another body is no retry: a
		 * conflict, never a silent "already there". */
		conflict = sqlite3_column_bytes(q, 5) != LEDGER_HASH_BYTES ||
		    memcmp(sqlite3_column_blob(q, 5), ev->e.payload_sha256,
		    LEDGER_HASH_BYTES) != 0;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE)
		return ledger_store_dberr(s, rc, err, "look up delivery");
	if (conflict)
		return delivery_conflict(ev, r->seq, err);
	return LEDGER_OK;
}

static bool
same_value(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* Do two entries say the same thing from the same body: the fields of
 * the body key (ledger_lookup_body_key), compared, not hashed? */
static bool
same_body_event(const struct ledger_entry *a, const struct ledger_entry *b)
{
	int f;

	if (a->kind != b->kind || memcmp(a->payload_sha256, b->payload_sha256,
	    LEDGER_HASH_BYTES) != 0 ||
	    !same_value(a->source[LEDGER_SRC_NAME], b->source[LEDGER_SRC_NAME]) ||
	    !same_value(a->source[LEDGER_SRC_EVENT],
	    b->source[LEDGER_SRC_EVENT]))
		return false;
	for (f = 0; f < LEDGER_SUBJ_COUNT; f++)
		if (!same_value(a->subject[f], b->subject[f]))
			return false;
	return true;
}

/*
 * An earlier entry of the event's source with the same body that says the
 * same thing: the delivery replayed under a fresh delivery id (an unsigned
 * header the replayer chose).  Fills r with that entry's receipt and sets
 * *found.  Only for events that ask for it (webhook events, unless their
 * source records duplicate bodies).
 */
static enum ledger_status
find_body(struct ledger_store *s, const struct ledger_event *ev,
    uint64_t key, struct ledger_receipt *r, bool *found,
    struct ledger_error *err)
{
	sqlite3_stmt *q = s->st_find_body;
	char term[LEDGER_LOOKUP_TERM];
	enum ledger_status st = LEDGER_OK;
	struct ledger_row row;
	int rc;

	*found = false;
	if (!ev->dedupe_body || (s->dfilter != NULL && !ledger_dfilter_maybe(s->dfilter, key)))
		return LEDGER_OK;
	ledger_lookup_term(LEDGER_LOOKUP_BODY, key, term);
	sqlite3_bind_text(q, 1, term, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, ev->e.source[LEDGER_SRC_NAME], -1,
	    SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, ev->e.payload_sha256, LEDGER_HASH_BYTES,
	    SQLITE_STATIC);
	while (!*found && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((st = ledger_row_from_stmt(s, q, &row, err)) != LEDGER_OK)
			break;
		if (same_body_event(&row.e, &ev->e)) {
			r->seq = row.e.seq;
			ledger_leaf_hash(row.entry, row.entry_len, r->leaf);
			memcpy(r->sig, row.sig, LEDGER_SIG_BYTES);
			r->key_id = row.e.key_id;
			r->time_ms = row.e.time_ms;
			r->duplicate = true;
			*found = true;
			rc = SQLITE_DONE;
		}
		ledger_row_release(&row);
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (st != LEDGER_OK)
		return st;
	if (rc != SQLITE_DONE)
		return ledger_store_dberr(s, rc, err, "look up body");
	return LEDGER_OK;
}

/*
 * A batch is appended in three steps: (1) under the write lock, each
 * event is checked for a duplicate delivery, sequenced, encoded and
 * hashed (the chain is sequential: each prev is the last leaf); (2) its
 * leaf is signed; (3) its rows are inserted.  Signing (~15 us an event)
 * needs nothing from SQLite, so for a batch of SIGN_THREAD_MIN events or
 * more the store's signer thread signs leaf i while this thread inserts
 * the rows of earlier ones; the insert of entry i waits until signed > i.
 * The signer exists only on a machine with more than one core and only
 * once such a batch comes (ledgerctl append never starts it).
 */
#define SIGN_THREAD_MIN 16

/* ---- the append steps ---- */

/* What step 1 decided for one event of the batch. */
struct staged {
	int dup_of;			/* -1, or the batch index it repeats */
	bool dup;			/* a duplicate (of the log or batch) */
	size_t enc_off, enc_len;	/* its bytes in s->enc */
	uint8_t prev[LEDGER_HASH_BYTES];
	uint64_t dkey;			/* delivery lookup key */
	uint64_t bkey;			/* body lookup key */
	int nterms;			/* its lookup terms, computed once */
	char terms[LEDGER_LOOKUP_TERMS];
};

/* Grow the per-batch arrays to n events. */
static enum ledger_status
batch_reserve(struct ledger_store *s, size_t n, struct ledger_error *err)
{
	void *p;

	if (n <= s->batch_cap)
		return LEDGER_OK;
	if ((p = realloc(s->staged, n * sizeof(*s->staged))) == NULL)
		goto nomem;
	s->staged = p;
	if ((p = realloc(s->leaves, n * sizeof(*s->leaves))) == NULL)
		goto nomem;
	s->leaves = p;
	if ((p = realloc(s->sigs, n * sizeof(*s->sigs))) == NULL)
		goto nomem;
	s->sigs = p;
	s->batch_cap = n;
	return LEDGER_OK;
nomem:
	return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
}

/* An earlier event of this batch with the same (source, delivery)?  A
 * linear scan over the events that share the key, which is nearly never
 * more than the event itself. */
static int
batch_dup(struct ledger_store *s, struct ledger_event *const *evs, size_t i)
{
	const struct ledger_event *ev = evs[i];
	size_t j;

	for (j = 0; j < i; j++) {
		const struct ledger_event *o = evs[j];

		if (s->staged[j].dup || s->staged[j].dkey != s->staged[i].dkey ||
		    o->e.source[LEDGER_SRC_DELIVERY] == NULL)
			continue;
		if (strcmp(o->e.source[LEDGER_SRC_DELIVERY],
		    ev->e.source[LEDGER_SRC_DELIVERY]) == 0 &&
		    strcmp(o->e.source[LEDGER_SRC_NAME],
		    ev->e.source[LEDGER_SRC_NAME]) == 0)
			return (int)j;
	}
	return -1;
}

/* An earlier event of this batch with the same body that says the same
 * thing (find_body, within the batch)? */
static int
batch_body_dup(struct ledger_store *s, struct ledger_event *const *evs,
    size_t i)
{
	size_t j;

	if (!evs[i]->dedupe_body)
		return -1;
	for (j = 0; j < i; j++)
		if (!s->staged[j].dup && s->staged[j].bkey == s->staged[i].bkey &&
		    same_body_event(&evs[j]->e, &evs[i]->e))
			return (int)j;
	return -1;
}

/* Step 1 for one new event: sequence, encode, hash. */
static enum ledger_status
stage_one(struct ledger_store *s, const struct ledger_event *ev, size_t i,
    int64_t now, struct ledger_receipt *r, struct ledger_error *err)
{
	struct ledger_entry e = ev->e;	/* shallow: borrows ev's strings */
	struct staged *sg = &s->staged[i];
	enum ledger_status st;

	e.log = s->origin;
	e.seq = s->size;
	e.time_ms = now > s->last_time_ms ? now : s->last_time_ms;
	e.key_id = s->key_id;
	memcpy(e.prev, s->last_leaf, LEDGER_HASH_BYTES);
	memcpy(sg->prev, e.prev, LEDGER_HASH_BYTES);

	sg->enc_off = s->enc.len;
	if ((st = ledger_entry_encode(&e, &s->enc, err)) != LEDGER_OK)
		return st;
	sg->enc_len = s->enc.len - sg->enc_off;
	ledger_leaf_hash(s->enc.data + sg->enc_off, sg->enc_len, r->leaf);
	memcpy(s->leaves[i], r->leaf, LEDGER_HASH_BYTES);
	r->seq = e.seq;
	r->time_ms = e.time_ms;
	r->key_id = e.key_id;
	r->duplicate = false;

	s->size++;
	memcpy(s->last_leaf, r->leaf, LEDGER_HASH_BYTES);
	s->last_time_ms = e.time_ms;
	return LEDGER_OK;
}

/* Step 3 for one new event: its rows. */
static enum ledger_status
insert_one(struct ledger_store *s, const struct ledger_event *ev, size_t i,
    const struct ledger_receipt *r, struct ledger_error *err)
{
	const struct ledger_entry *e = &ev->e;
	const struct staged *sg = &s->staged[i];
	uint8_t hashes[LEDGER_MERKLE_MAX_STORED][LEDGER_HASH_BYTES];
	uint64_t idx[LEDGER_MERKLE_MAX_STORED];
	sqlite3_stmt *q = s->st_insert_entry;
	enum ledger_status st;
	size_t k, nh;
	int c;

	sqlite3_bind_int64(q, 1, (sqlite3_int64)r->seq);
	sqlite3_bind_blob(q, 2, s->enc.data + sg->enc_off, (int)sg->enc_len,
	    SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, r->sig, LEDGER_SIG_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, r->key_id);
	sqlite3_bind_blob(q, 5, sg->prev, LEDGER_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, r->time_ms);
	sqlite3_bind_text(q, 7, ledger_kind_name(e->kind), -1, SQLITE_STATIC);
	bind_text_or_null(q, 8, e->source[LEDGER_SRC_NAME]);
	bind_text_or_null(q, 9, e->source[LEDGER_SRC_TYPE]);
	bind_text_or_null(q, 10, e->source[LEDGER_SRC_EVENT]);
	bind_text_or_null(q, 11, e->source[LEDGER_SRC_DELIVERY]);
	bind_text_or_null(q, 12, e->source[LEDGER_SRC_AUTH]);
	for (c = 0; c < LEDGER_SUBJ_COUNT; c++)
		bind_text_or_null(q, 13 + c, e->subject[c]);
	sqlite3_bind_blob(q, 23, e->payload_sha256, LEDGER_HASH_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_int64(q, 24, (sqlite3_int64)e->payload_size);
	bind_text_or_null(q, 25, e->payload_type);
	if ((st = step_done(s, q, err, "insert entry")) != LEDGER_OK)
		return st;

	q = s->st_insert_payload;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)r->seq);
	{
		size_t zlen;
		const uint8_t *z = ledger_event_zpayload(ev, &zlen);

		sqlite3_bind_blob(q, 2, z, (int)zlen, SQLITE_STATIC);
	}
	bind_text_or_null(q, 3, ev->headers);
	if ((st = step_done(s, q, err, "insert payload")) != LEDGER_OK)
		return st;

	if (sg->nterms > 0) {
		q = s->st_insert_keys;
		sqlite3_bind_int64(q, 1, (sqlite3_int64)r->seq);
		sqlite3_bind_text(q, 2, sg->terms, -1, SQLITE_STATIC);
		if ((st = step_done(s, q, err, "insert lookup keys")))
			return st;
	}

	st = ledger_merkle_frontier_append(&s->frontier, r->leaf, hashes, idx,
	    &nh, err);
	if (st != LEDGER_OK)
		return st;
	q = s->st_insert_tree;
	for (k = 0; k < nh; k++) {
		sqlite3_bind_int64(q, 1, (sqlite3_int64)idx[k]);
		sqlite3_bind_blob(q, 2, hashes[k], LEDGER_HASH_BYTES,
		    SQLITE_STATIC);
		if ((st = step_done(s, q, err, "insert tree hash")))
			return st;
	}
	return LEDGER_OK;
}

/* Inside the write transaction: reload head and frontier if another
 * writer moved the head. */
enum ledger_status
ledger_store_sync_head(struct ledger_store *s, struct ledger_error *err)
{
	uint64_t size = s->size;
	enum ledger_status st;

	if ((st = load_head(s, err)) != LEDGER_OK)
		return st;
	if (s->size == size)
		return LEDGER_OK;
	if (s->size > size &&
	    (st = dfilter_catch_up(s, size, s->size, err)) != LEDGER_OK)
		return st;
	if (s->size < size)	/* cannot happen to an append-only log */
		dfilter_drop(s);
	return ledger_merkle_frontier_load(&s->frontier, s->size,
	    ledger_store_read_hashes, s, err);
}

static enum ledger_status
check_event(const struct ledger_event *ev, struct ledger_error *err)
{
	size_t zlen = 0;

	if (ev == NULL || ev->e.source[LEDGER_SRC_NAME] == NULL ||
	    ev->e.source[LEDGER_SRC_TYPE] == NULL ||
	    ev->e.payload_type == NULL ||
	    ledger_event_zpayload(ev, &zlen) == NULL ||
	    ledger_kind_name(ev->e.kind) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "event lacks a source name, source type, kind or payload");
	if (zlen > INT32_MAX)
		return ledger_errorf(err, LEDGER_EINVAL, "payload too large");
	return LEDGER_OK;
}

/*
 * Step 1 of an append, under the write lock: for each event, in order,
 * find an earlier entry or an earlier event of the batch with the same
 * delivery (its receipt, or LEDGER_EEXIST when the body differs), or with
 * the same body saying the same thing (find_body: its receipt), else
 * sequence, encode and hash it.  *ret_nnew gets the number of new events.
 */
static enum ledger_status
stage_batch(struct ledger_store *s, struct ledger_event *const *evs,
    size_t n, struct ledger_receipt *ret, size_t *ret_nnew,
    struct ledger_error *err)
{
	uint64_t keys[LEDGER_LOOKUP_COUNT];
	int present[LEDGER_LOOKUP_COUNT];
	enum ledger_status st;
	int64_t now = ledger_now_ms();
	size_t i, nnew = 0;
	bool dup;

	ledger_buf_reset(&s->enc);
	for (i = 0; i < n; i++) {
		struct staged *sg = &s->staged[i];

		sg->dup = false;
		sg->dup_of = -1;
		sg->nterms = ledger_lookup_terms(&evs[i]->e, sg->terms, keys,
		    present);
		sg->dkey = keys[LEDGER_LOOKUP_DELIVERY];
		sg->bkey = keys[LEDGER_LOOKUP_BODY];
		if ((st = find_delivery(s, evs[i], sg->dkey, &ret[i], &dup,
		    err)))
			return st;
		if (!dup && evs[i]->e.source[LEDGER_SRC_DELIVERY] != NULL &&
		    (sg->dup_of = batch_dup(s, evs, i)) >= 0) {
			if (memcmp(evs[sg->dup_of]->e.payload_sha256,
			    evs[i]->e.payload_sha256, LEDGER_HASH_BYTES) != 0)
				return ledger_errorf(err, LEDGER_EEXIST,
				    "delivery '%.128s' of source '%.64s' comes "
				    "twice in one batch with different bodies",
				    evs[i]->e.source[LEDGER_SRC_DELIVERY],
				    evs[i]->e.source[LEDGER_SRC_NAME]);
			dup = true;
		}
		if (!dup && (st = find_body(s, evs[i], sg->bkey, &ret[i], &dup,
		    err)))
			return st;
		if (!dup && (sg->dup_of = batch_body_dup(s, evs, i)) >= 0)
			dup = true;
		if (dup) {
			sg->dup = true;
			continue;
		}
		if ((st = stage_one(s, evs[i], i, now, &ret[i], err)))
			return st;
		/* A later event of this batch must find it.  If the batch
		 * rolls back the bit stays, a harmless "maybe". */
		if (s->dfilter != NULL && evs[i]->e.source[LEDGER_SRC_DELIVERY])
			ledger_dfilter_add(s->dfilter, sg->dkey);
		if (s->dfilter != NULL)
			ledger_dfilter_add(s->dfilter, sg->bkey);
		nnew++;
	}
	*ret_nnew = nnew;
	return LEDGER_OK;
}

enum ledger_status
ledger_store_append(struct ledger_store *s, struct ledger_event *const *evs,
    size_t n, struct ledger_receipt *ret, struct ledger_error *err)
{
	struct ledger_merkle_frontier saved_frontier;
	uint8_t saved_leaf[LEDGER_HASH_BYTES];
	struct ledger_signer *g = NULL;
	uint64_t saved_size;
	int64_t saved_time;
	enum ledger_status st;
	size_t i, nnew = 0;
	sqlite3_stmt *q;
	int rc;

	if (s == NULL || s->key == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "store is not open for writing");
	if (n == 0 || n > LEDGER_BATCH_MAX || evs == NULL || ret == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "batch must hold 1 to %d events", LEDGER_BATCH_MAX);
	for (i = 0; i < n; i++)
		if ((st = check_event(evs[i], err)) != LEDGER_OK)
			return st;
	if ((st = batch_reserve(s, n, err)) != LEDGER_OK)
		return st;

	saved_frontier = s->frontier;
	saved_size = s->size;
	saved_time = s->last_time_ms;
	memcpy(saved_leaf, s->last_leaf, LEDGER_HASH_BYTES);

	if ((rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)))
		return ledger_store_dberr(s, rc, err, "begin");
	/* Another process (ledgerctl beside the daemon) may have appended
	 * since our last commit: the head row, read under the write lock,
	 * is the truth.  One point read per batch. */
	if ((st = ledger_store_sync_head(s, err)) != LEDGER_OK)
		goto rollback;
	s->appended += n;
	if (s->dfilter == NULL && s->appended >= DFILTER_AFTER &&
	    (st = dfilter_build(s, err)) != LEDGER_OK)
		goto rollback;

	/* 1. duplicates, sequence, encode, hash */
	if ((st = stage_batch(s, evs, n, ret, &nnew, err)) != LEDGER_OK)
		goto rollback;

	/* 2. sign: on the signer thread while 3. runs, or here */
	if (nnew >= SIGN_THREAD_MIN && s->signer == NULL)
		s->signer = ledger_signer_start(s->key);
	if (nnew >= SIGN_THREAD_MIN && s->signer != NULL) {
		g = s->signer;
		/* Only the new events' leaves, in order: compact them. */
		size_t k = 0;

		for (i = 0; i < n; i++)
			if (!s->staged[i].dup) {
				if (k != i)
					memcpy(s->leaves[k], s->leaves[i],
					    LEDGER_HASH_BYTES);
				k++;
			}
		ledger_signer_submit(g, (const uint8_t (*)[32])s->leaves, s->sigs,
		    nnew);
	} else {
		for (i = 0; i < n; i++)
			if (!s->staged[i].dup)
				ledger_key_sign_leaf(s->key, ret[i].leaf,
				    ret[i].sig);
	}

	/* 3. rows */
	for (i = 0, nnew = 0; i < n; i++) {
		if (s->staged[i].dup)
			continue;
		if (g != NULL) {
			ledger_signer_wait_for(g, nnew);
			memcpy(ret[i].sig, s->sigs[nnew], LEDGER_SIG_BYTES);
		}
		nnew++;
		if ((st = insert_one(s, evs[i], i, &ret[i], err)))
			goto rollback;
	}
	if (g != NULL) {
		ledger_signer_finish(g);
		g = NULL;
	}
	/* A repeat of an event earlier in the batch gets its receipt. */
	for (i = 0; i < n; i++)
		if (s->staged[i].dup_of >= 0) {
			ret[i] = ret[s->staged[i].dup_of];
			ret[i].duplicate = true;
		}

	q = s->st_update_head;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)s->size);
	sqlite3_bind_blob(q, 2, s->last_leaf, LEDGER_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, s->last_time_ms);
	if ((st = step_done(s, q, err, "update head")) != LEDGER_OK ||
	    (st = db_file_check(s, err)) != LEDGER_OK)
		goto rollback;
	if ((rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL))) {
		st = ledger_store_dberr(s, rc, err, "commit");
		goto rollback;
	}
	return LEDGER_OK;
rollback:
	if (g != NULL)
		ledger_signer_finish(g);
	/* After a failed COMMIT SQLite may have rolled back already. */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->frontier = saved_frontier;
	s->size = saved_size;
	s->last_time_ms = saved_time;
	memcpy(s->last_leaf, saved_leaf, LEDGER_HASH_BYTES);
	return st;
}

enum ledger_status
ledger_store_prepare_ingest(struct ledger_store *s, struct ledger_error *err)
{
	enum ledger_status st;
	int rc;

	if (s == NULL || s->key == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "store is not open for writing");
	if (s->dfilter != NULL)
		return LEDGER_OK;
	if ((rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)))
		return ledger_store_dberr(s, rc, err, "begin");
	if ((st = ledger_store_sync_head(s, err)) == LEDGER_OK)
		st = dfilter_build(s, err);
	sqlite3_exec(s->db, st == LEDGER_OK ? "COMMIT" : "ROLLBACK", NULL,
	    NULL, NULL);
	return st;
}

enum ledger_status
ledger_store_size(struct ledger_store *s, uint64_t *ret,
    struct ledger_error *err)
{
	enum ledger_status st;

	if (s->key != NULL) {	/* the writer knows */
		*ret = s->size;
		return LEDGER_OK;
	}
	if ((st = load_head(s, err)) != LEDGER_OK)
		return st;
	*ret = s->size;
	return LEDGER_OK;
}

/* ---- reading ---- */

void
ledger_row_release(struct ledger_row *r)
{
	if (r == NULL)
		return;
	ledger_entry_release(&r->e);
	free(r->entry);
	memset(r, 0, sizeof(*r));
}

static enum ledger_status
col_text(sqlite3_stmt *q, int c, char **ret, struct ledger_error *err)
{
	const unsigned char *t = sqlite3_column_text(q, c);

	*ret = NULL;
	if (t == NULL)
		return LEDGER_OK;
	return ledger_strdup((const char *)t, ret, err);
}

enum ledger_status
ledger_row_from_stmt(struct ledger_store *s, sqlite3_stmt *q,
    struct ledger_row *r, struct ledger_error *err)
{
	enum ledger_status st;
	const char *kind;
	int i, n;

	memset(r, 0, sizeof(*r));
	r->e.seq = (uint64_t)sqlite3_column_int64(q, 0);
	n = sqlite3_column_bytes(q, 1);
	if ((r->entry = malloc((size_t)n + 1)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (n > 0)
		memcpy(r->entry, sqlite3_column_blob(q, 1), (size_t)n);
	r->entry[n] = '\0';
	r->entry_len = (size_t)n;
	if (sqlite3_column_bytes(q, 2) == LEDGER_SIG_BYTES)
		memcpy(r->sig, sqlite3_column_blob(q, 2), LEDGER_SIG_BYTES);
	r->e.key_id = (uint32_t)sqlite3_column_int64(q, 3);
	if (sqlite3_column_bytes(q, 4) == LEDGER_HASH_BYTES)
		memcpy(r->e.prev, sqlite3_column_blob(q, 4), LEDGER_HASH_BYTES);
	r->e.time_ms = sqlite3_column_int64(q, 5);
	kind = (const char *)sqlite3_column_text(q, 6);
	if (ledger_kind_parse(kind, &r->e.kind, NULL) != LEDGER_OK)
		r->e.kind = LEDGER_KIND_COUNT;	/* verify reports it */
	if ((st = col_text(q, 7, &r->e.source[LEDGER_SRC_NAME], err)) ||
	    (st = col_text(q, 8, &r->e.source[LEDGER_SRC_TYPE], err)) ||
	    (st = col_text(q, 9, &r->e.source[LEDGER_SRC_EVENT], err)) ||
	    (st = col_text(q, 10, &r->e.source[LEDGER_SRC_DELIVERY], err)) ||
	    (st = col_text(q, 11, &r->e.source[LEDGER_SRC_AUTH], err)))
		goto fail;
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		if ((st = col_text(q, 12 + i, &r->e.subject[i], err)))
			goto fail;
	if (sqlite3_column_bytes(q, 22) == LEDGER_HASH_BYTES)
		memcpy(r->e.payload_sha256, sqlite3_column_blob(q, 22),
		    LEDGER_HASH_BYTES);
	r->e.payload_size = (uint64_t)sqlite3_column_int64(q, 23);
	if ((st = col_text(q, 24, &r->e.payload_type, err)))
		goto fail;
	if ((st = ledger_strdup(s->origin, &r->e.log, err)))
		goto fail;
	return LEDGER_OK;
fail:
	ledger_row_release(r);
	return st;
}

enum ledger_status
ledger_store_get(struct ledger_store *s, uint64_t seq, struct ledger_row *ret,
    struct ledger_error *err)
{
	static const char sql[] =
	    "SELECT " ENTRY_COLUMNS " FROM entries WHERE seq = ?1";
	enum ledger_status st;
	sqlite3_stmt *q = NULL;
	int rc;

	memset(ret, 0, sizeof(*ret));
	if (seq > INT64_MAX)
		return ledger_errorf(err, LEDGER_ENOTFOUND,
		    "no entry %" PRIu64, seq);
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "read entry");
	sqlite3_bind_int64(q, 1, (sqlite3_int64)seq);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		st = ledger_row_from_stmt(s, q, ret, err);
	else if (rc == SQLITE_DONE)
		st = ledger_errorf(err, LEDGER_ENOTFOUND,
		    "no entry %" PRIu64, seq);
	else
		st = ledger_store_dberr(s, rc, err, "read entry");
	sqlite3_finalize(q);
	return st;
}

enum ledger_status
ledger_store_get_payload(struct ledger_store *s, uint64_t seq, uint8_t **ret,
    size_t *ret_len, struct ledger_error *err)
{
	static const char sql[] = "SELECT data FROM payloads WHERE seq = ?1";
	enum ledger_status st;
	sqlite3_stmt *q = NULL;
	int rc;

	if (seq > INT64_MAX)
		return ledger_errorf(err, LEDGER_ENOTFOUND,
		    "no payload for entry %" PRIu64, seq);
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "read payload");
	sqlite3_bind_int64(q, 1, (sqlite3_int64)seq);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		st = ledger_payload_inflate(sqlite3_column_blob(q, 0),
		    (size_t)sqlite3_column_bytes(q, 0), LEDGER_PAYLOAD_MAX, ret,
		    ret_len, err);
	else if (rc == SQLITE_DONE)
		st = ledger_errorf(err, LEDGER_ENOTFOUND,
		    "no payload for entry %" PRIu64, seq);
	else
		st = ledger_store_dberr(s, rc, err, "read payload");
	sqlite3_finalize(q);
	return st;
}

enum ledger_status
ledger_store_get_headers(struct ledger_store *s, uint64_t seq, char **ret,
    struct ledger_error *err)
{
	sqlite3_stmt *q;
	enum ledger_status st;
	int rc;

	*ret = NULL;
	if (s->schema_version < 5)
		return ledger_errorf(err, LEDGER_ENOTFOUND, "entry %" PRIu64
		    " has no stored headers", seq);
	if ((rc = sqlite3_prepare_v2(s->db, "SELECT headers FROM payloads"
	    " WHERE seq = ?1", -1, &q, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "read headers");
	sqlite3_bind_int64(q, 1, (sqlite3_int64)seq);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_TEXT)
		st = ledger_strdup((const char *)sqlite3_column_text(q, 0), ret,
		    err);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		st = ledger_errorf(err, LEDGER_ENOTFOUND, "entry %" PRIu64
		    " has no stored headers", seq);
	else
		st = ledger_store_dberr(s, rc, err, "read headers");
	sqlite3_finalize(q);
	return st;
}

/*
 * The FTS5 expression that finds the candidates of a filter: one group per
 * filtered field, the values of a field ORed, the groups ANDed, e.g.
 * "(k0a1b... OR k2c3d...) AND e4f5a...".  A field with a prefix value (a
 * short commit) has no term: the seq range is scanned for it.  Empty when
 * no field has terms.
 */
static enum ledger_status
add_group(struct ledger_buf *b, enum ledger_lookup_field f,
    const struct ledger_query_values *vs)
{
	char term[LEDGER_LOOKUP_TERM], full[80];
	enum ledger_status rc = LEDGER_OK;
	size_t i;

	if (vs->n == 0)
		return LEDGER_OK;
	for (i = 0; i < vs->n; i++)
		if (vs->v[i].how == LEDGER_MATCH_PREFIX)
			return LEDGER_OK;
	if (b->len > 0)
		rc |= ledger_buf_adds(b, " AND ");
	rc |= ledger_buf_addc(b, '(');
	for (i = 0; i < vs->n; i++) {
		if (i > 0)
			rc |= ledger_buf_adds(b, " OR ");
		ledger_lookup_term(f, ledger_lookup_key(f, vs->v[i].s, NULL),
		    term);
		rc |= ledger_buf_adds(b, term);
		if (vs->v[i].how == LEDGER_MATCH_DIGEST) {
			snprintf(full, sizeof(full), "sha256:%s", vs->v[i].s);
			ledger_lookup_term(f, ledger_lookup_key(f, full, NULL),
			    term);
			rc |= ledger_buf_adds(b, " OR ");
			rc |= ledger_buf_adds(b, term);
		}
	}
	rc |= ledger_buf_addc(b, ')');
	return rc;
}

static enum ledger_status
match_expr(const struct ledger_query *q, struct ledger_buf *b)
{
	struct ledger_query_values kinds;
	enum ledger_status rc = LEDGER_OK;
	int i;

	memset(&kinds, 0, sizeof(kinds));
	for (i = 0; i < LEDGER_KIND_COUNT; i++)
		if (q->kinds & (1u << i)) {
			kinds.v[kinds.n].s = (char *)ledger_kind_name(i);
			kinds.v[kinds.n++].how = LEDGER_MATCH_EXACT;
		}
	rc |= add_group(b, LEDGER_LOOKUP_KIND, &kinds);
	rc |= add_group(b, LEDGER_LOOKUP_SOURCE, &q->source);
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		if (ledger_lookup_subject(i) >= 0)
			rc |= add_group(b, (enum ledger_lookup_field)
			    ledger_lookup_subject(i), &q->subject[i]);
	return rc;
}

/* One past the highest seq stored (not the head row: a reader answers
 * from the rows it can see). */
static enum ledger_status
log_end(struct ledger_store *s, uint64_t *ret, struct ledger_error *err)
{
	sqlite3_stmt *q;
	int rc;

	if ((rc = sqlite3_prepare_v2(s->db, "SELECT max(seq) FROM entries", -1,
	    &q, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "query");
	rc = sqlite3_step(q);
	*ret = rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL ?
	    (uint64_t)sqlite3_column_int64(q, 0) + 1 : 0;
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return ledger_store_dberr(s, rc, err, "query");
	return LEDGER_OK;
}

/*
 * The first seq whose time is t or later (end if none).  Entry times never
 * decrease with seq (the append path takes max(now, last time), and
 * verify checks it), so this bisects with O(log n) point reads instead of
 * keeping a time index that every commit would write.  A missing row
 * counts as the next one present.
 */
static enum ledger_status
seq_at_time(struct ledger_store *s, int64_t t, uint64_t end, uint64_t *ret,
    struct ledger_error *err)
{
	sqlite3_stmt *q;
	uint64_t lo = 0, hi = end, mid;
	int rc;

	if ((rc = sqlite3_prepare_v2(s->db, "SELECT seq, time_ms FROM entries"
	    " WHERE seq >= ?1 ORDER BY seq LIMIT 1", -1, &q, NULL)))
		return ledger_store_dberr(s, rc, err, "query");
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		sqlite3_bind_int64(q, 1, (sqlite3_int64)mid);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW && sqlite3_column_int64(q, 1) < t)
			lo = (uint64_t)sqlite3_column_int64(q, 0) + 1;
		else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			hi = mid;
		else {
			sqlite3_finalize(q);
			return ledger_store_dberr(s, rc, err, "query");
		}
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	*ret = lo;
	return LEDGER_OK;
}

/* The seq range [lo, hi) a filter's times and after_seq allow. */
static enum ledger_status
query_range(struct ledger_store *s, const struct ledger_query *q,
    uint64_t *lo, uint64_t *hi, struct ledger_error *err)
{
	enum ledger_status st;
	uint64_t end = 0, t;

	*lo = q->after_seq >= 0 ? (uint64_t)q->after_seq + 1 : 0;
	*hi = INT64_MAX;
	if (q->since_ms <= 0 && q->until_ms <= 0)
		return LEDGER_OK;
	if ((st = log_end(s, &end, err)) != LEDGER_OK)
		return st;
	if (q->since_ms > 0) {
		if ((st = seq_at_time(s, q->since_ms, end, &t, err)))
			return st;
		*lo = t > *lo ? t : *lo;
	}
	if (q->until_ms > 0 &&
	    (st = seq_at_time(s, q->until_ms, end, hi, err)))
		return st;
	return LEDGER_OK;
}

/*
 * The SQL is one of two constant statements: the key table drives in
 * rowid order when some filtered field has terms (schema 4 on), else the
 * seq range is read in order.  Every value is bound; ledger_query_match
 * then decides on the row's columns, and the loop stops at the limit.
 */
enum ledger_status
ledger_store_query(struct ledger_store *s, const struct ledger_query *q,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    struct ledger_error *err)
{
	return ledger_store_query_page(s, q, fn, ctx, 0, NULL, err);
}

enum ledger_status
ledger_store_query_page(struct ledger_store *s, const struct ledger_query *q,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    uint64_t max_scan, int64_t *ret_resume, struct ledger_error *err)
{
	struct ledger_buf terms = LEDGER_BUF_INIT;
	struct ledger_row row;
	enum ledger_status st;
	sqlite3_stmt *stmt = NULL;
	uint64_t lo, hi, n = 0, scanned = 0;
	int rc, stop;

	if (ret_resume != NULL)
		*ret_resume = -1;

	if (q->kinds >> LEDGER_KIND_COUNT)
		return ledger_errorf(err, LEDGER_EINVAL, "bad kind filter");
	if ((st = ledger_query_check(q, err)) != LEDGER_OK ||
	    (st = query_range(s, q, &lo, &hi, err)) != LEDGER_OK)
		return st;
	if (lo >= hi)
		return LEDGER_OK;	/* an empty range */
	if (s->schema_version >= 4 && match_expr(q, &terms) != LEDGER_OK) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto done;
	}
	rc = sqlite3_prepare_v2(s->db, terms.len > 0 ?
	    "SELECT " ENTRY_COLUMNS " FROM entry_keys JOIN entries ON"
	    " seq = entry_keys.rowid WHERE entry_keys MATCH ?1 AND"
	    " entry_keys.rowid >= ?2 AND entry_keys.rowid < ?3"
	    " ORDER BY entry_keys.rowid" :
	    "SELECT " ENTRY_COLUMNS " FROM entries WHERE seq >= ?2 AND"
	    " seq < ?3 ORDER BY seq", -1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		st = ledger_store_dberr(s, rc, err, "query");
		goto done;
	}
	if (terms.len > 0)
		sqlite3_bind_text(stmt, 1, terms.data, (int)terms.len,
		    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)lo);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)hi);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((st = ledger_row_from_stmt(s, stmt, &row, err)))
			goto done;
		stop = 0;
		if (ledger_query_match(q, &row.e)) {
			stop = fn(ctx, &row);
			n++;
		}
		ledger_row_release(&row);
		if (stop != 0 || (q->limit > 0 && n >= q->limit))
			break;
		if (max_scan > 0 && ++scanned >= max_scan) {
			/* The budget is spent: say where to go on. */
			if (ret_resume != NULL)
				*ret_resume = sqlite3_column_int64(stmt, 0);
			break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		st = ledger_store_dberr(s, rc, err, "query");
done:
	sqlite3_finalize(stmt);
	ledger_buf_release(&terms);
	return st;
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
enum ledger_status
ledger_store_wal_checkpoint(struct ledger_store *s, struct ledger_error *err)
{
	int rc = sqlite3_wal_checkpoint_v2(s->db, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return ledger_store_dberr(s, rc, err, "wal checkpoint");
	return LEDGER_OK;
}
