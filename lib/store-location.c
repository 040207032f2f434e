/*
 * store-location.c - where a store's rows live: the data directory's own
 * SQLite database, or a PostgreSQL log that the directory names in its
 * ledger.database file (written by ledgerctl init --database and kept by
 * ledgerd from its "database" setting), or one given by the caller
 * (ledgerctl --database: a read replica, another front end's view)
 *
 * ledger.database is strict JSON, {"database": "<libpq connection
 * string>", "log": "<the log's name>"}, mode 0600 and refused when group
 * or others can read it: a connection string may carry a password.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ledger/store.h"
#include "ledger-int.h"
#include "store-pg.h"

#define DATABASE_FILE_MAX 16384

enum ledger_status
ledger_database_read(const char *dir, char **database, char **log,
    struct ledger_error *err)
{
	enum ledger_status st;
	json_t *doc = NULL, *d, *l;
	struct stat sb;
	char *path, *text = NULL;
	size_t len;

	*database = *log = NULL;
	if ((path = ledger_path_join(dir, LEDGER_DATABASE_FILE)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (lstat(path, &sb) != 0) {
		st = ledger_errorf_errno(err, errno == ENOENT ?
		    LEDGER_ENOTFOUND : LEDGER_EIO, errno, "'%s'", path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077)) {
		st = ledger_errorf(err, LEDGER_EPERM, "'%s' is %s (it may hold "
		    "a password): refusing to use it; run chmod 600 '%s'", path,
		    S_ISREG(sb.st_mode) ? "readable by group or others" :
		    "not a regular file", path);
		goto out;
	}
	if ((st = ledger_read_file(path, DATABASE_FILE_MAX, &text, &len,
	    err)) != LEDGER_OK)
		goto out;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	d = json_object_get(doc, "database");
	l = json_object_get(doc, "log");
	if (!json_is_object(doc) || !json_is_string(d) || !json_is_string(l) ||
	    json_object_size(doc) != 2) {
		st = ledger_errorf(err, LEDGER_EINVAL, "'%s' is not {\"database"
		    "\": \"...\", \"log\": \"...\"}", path);
		goto out;
	}
	if ((st = ledger_strdup(json_string_value(d), database, err)) ||
	    (st = ledger_strdup(json_string_value(l), log, err))) {
		free(*database);
		*database = NULL;
	}
out:
	json_decref(doc);
	if (text != NULL)
		memset(text, 0, len);	/* a password, perhaps */
	free(text);
	free(path);
	return st;
}

enum ledger_status
ledger_database_write(const char *dir, const char *database, const char *log,
    struct ledger_error *err)
{
	enum ledger_status st;
	json_t *doc;
	char *path, *text;

	doc = json_pack("{s:s, s:s}", "database", database, "log", log);
	text = doc != NULL ? json_dumps(doc, JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	if (text == NULL || (path = ledger_path_join(dir, LEDGER_DATABASE_FILE)) ==
	    NULL) {
		free(text);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	st = ledger_replace_file(path, 0600, text, strlen(text), err);
	memset(text, 0, strlen(text));
	free(text);
	free(path);
	return st;
}

enum ledger_status
ledger_store_open_at(const char *dir, const char *database, const char *log,
    unsigned flags, struct ledger_store **ret, struct ledger_error *err)
{
	struct ledger_store_config c;
	enum ledger_status st;
	char *fdb = NULL, *flog = NULL;

	if (dir == NULL && database == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "no data directory");
	if (dir != NULL) {
		st = ledger_database_read(dir, &fdb, &flog, err);
		if (st != LEDGER_OK && st != LEDGER_ENOTFOUND)
			return st;
	}
	memset(&c, 0, sizeof(c));
	c.flags = flags & ~(unsigned)LEDGER_STORE_MANUAL_WAL;
	c.sqlite.manual_wal = (flags & LEDGER_STORE_MANUAL_WAL) != 0;
	c.state_dir = dir;
	if (database == NULL && fdb == NULL) {
		c.location = dir;
		return ledger_store_open_config(&c, ret, err);
	}
	c.backend = "postgresql";
	c.location = database != NULL ? database : fdb;
	c.log = log != NULL ? log : flog;
	st = ledger_store_open_config(&c, ret, err);
	free(fdb);
	free(flog);
	return st;
}

/* The log in the database, the key in dir; dir's ledger.database names
 * them.  A failure leaves no log: the log is made last. */
static enum ledger_status
init_pg(const char *dir, const char *origin, const char *database,
    const struct ledger_key *key, struct ledger_error *err)
{
	struct ledger_backend *be;
	enum ledger_status st;

	if ((st = ledger_database_write(dir, database, origin, err)))
		return st;
	if ((st = ledger_pg_open(database, origin, 0, true, &be, err)))
		return st;
	return ledger_store_create_meta(be, origin, key, err);
}

enum ledger_status
ledger_store_init_at(const char *dir, const char *origin,
    const char *database, struct ledger_error *err)
{
	struct ledger_key *key = NULL;
	enum ledger_status st;
	char *kpath, *dpath;

	if (database == NULL)
		return ledger_store_init(dir, origin, err);
	if (!ledger_pg_location(database))
		return ledger_errorf(err, LEDGER_EINVAL, "'%.40s...' is not a "
		    "PostgreSQL connection string (postgresql://... or "
		    "key=value ...)", database);
	/* the key and its files, as for SQLite, then the log */
	if ((st = ledger_store_init_key(dir, origin, err)) != LEDGER_OK)
		return st;
	kpath = ledger_path_join(dir, LEDGER_KEY_FILE);
	dpath = ledger_path_join(dir, LEDGER_DATABASE_FILE);
	if (kpath == NULL || dpath == NULL)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	else if ((st = ledger_key_load(kpath, &key, err)) == LEDGER_OK)
		st = init_pg(dir, origin, database, key, err);
	ledger_key_free(key);
	if (st != LEDGER_OK && kpath != NULL) {
		/* nothing half-made: a later init must work */
		char *ppath = ledger_path_join(dir, LEDGER_PUB_FILE);

		unlink(kpath);
		if (ppath != NULL)
			unlink(ppath);
		if (dpath != NULL)
			unlink(dpath);
		free(ppath);
	}
	free(kpath);
	free(dpath);
	return st;
}
