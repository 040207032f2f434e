/*
 * store-pg.c - the PostgreSQL backend: connecting, the schema, the log,
 * transactions, the head, and appending (see backend.h, store-pg.h)
 *
 * Every statement is parameterized (PQexecParams: values never in the
 * SQL text) and asks for binary results.  A batch's rows are buffered and
 * sent as multi-row INSERTs just before the next statement that must see
 * them and at COMMIT: a batch of 32 events is a handful of round trips,
 * not a hundred.  A lost connection is reset at the next transaction;
 * until it comes back every operation says LEDGER_EDB (ledgerd: 503).
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger-int.h"
#include "lookup.h"
#include "store-pg-int.h"

/* The advisory lock every writer takes to migrate the schema. */
#define PG_SCHEMA_LOCK "7310593858003744612"	/* "ledgerd" */

/* ---- parameters and results ---- */

void
pg_params_init(struct pg_params *p, const struct pg_backend *b)
{
	p->n = 0;
	if (b != NULL)
		pg_text(p, b->log);
}

void
pg_text(struct pg_params *p, const char *s)
{
	p->v[p->n] = s;
	p->len[p->n] = 0;
	p->fmt[p->n++] = 0;
}

void
pg_i64(struct pg_params *p, int64_t v)
{
	p->be64[p->n] = htobe64((uint64_t)v);
	p->v[p->n] = (const char *)&p->be64[p->n];
	p->len[p->n] = 8;
	p->fmt[p->n++] = 1;
}

void
pg_bytea(struct pg_params *p, const void *v, size_t len)
{
	p->v[p->n] = v;
	p->len[p->n] = (int)len;
	p->fmt[p->n++] = 1;
}

int64_t
pg_get_i64(const PGresult *r, int row, int col)
{
	uint64_t v = 0;

	if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8)
		return 0;
	memcpy(&v, PQgetvalue(r, row, col), 8);
	return (int64_t)be64toh(v);
}

const char *
pg_get_text(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* The first line of a message, for ours. */
static void
first_line(char *out, size_t n, const char *msg)
{
	size_t k = strcspn(msg != NULL ? msg : "", "\n");

	snprintf(out, n, "%.*s", (int)(k < n ? k : n - 1), msg ? msg : "");
}

enum ledger_status
pg_fail(struct pg_backend *b, const PGresult *r, const char *what,
    struct ledger_error *err)
{
	const char *state = r != NULL ? PQresultErrorField(r,
	    PG_DIAG_SQLSTATE) : NULL;
	char msg[200];

	first_line(msg, sizeof(msg), r != NULL && PQresultErrorMessage(r)[0] ?
	    PQresultErrorMessage(r) : PQerrorMessage(b->c));
	if (PQstatus(b->c) != CONNECTION_OK ||
	    (state != NULL && strncmp(state, "08", 2) == 0) ||
	    (state != NULL && strncmp(state, "57P", 3) == 0)) {
		b->in_tx = b->write_tx = false;
		return ledger_errorf(err, LEDGER_EDB, "%s: the database is "
		    "unavailable: %s", what, msg);
	}
	if (state != NULL && strcmp(state, "53100") == 0)
		return ledger_errorf_errno(err, LEDGER_EIO, ENOSPC, "%s: the "
		    "database's disk is full: %s", what, msg);
	if (state != NULL && strncmp(state, "53", 2) == 0)
		return ledger_errorf(err, LEDGER_EIO, "%s: %s", what, msg);
	if (state != NULL && strcmp(state, "55P03") == 0)
		return ledger_errorf(err, LEDGER_EDB, "%s: the log's head is "
		    "held by another writer (lock_timeout): %s", what, msg);
	return ledger_errorf(err, LEDGER_EDB, "%s: %s", what, msg);
}

static enum ledger_status pg_query_ok(struct pg_backend *b, const char *sql,
    const char *what, struct ledger_error *err);

/* The session's settings, on every new connection (PQreset makes a new
 * session): the server's notices ("already exists, skipping") are not
 * ours to print; a writer that hangs in a transaction gives up the head
 * after a while, and one waiting for it gives up too (503). */
static enum ledger_status
pg_configure(struct pg_backend *b, struct ledger_error *err)
{
	b->prepared = false;	/* a new session has no statements */
	return pg_query_ok(b, "SELECT set_config('client_min_messages', "
	    "'warning', false), set_config("
	    "'idle_in_transaction_session_timeout', '60000', false), "
	    "set_config('lock_timeout', '10000', false)",
	    "configure the session", err);
}

/* The connection, reset when it was lost (only between transactions:
 * one lost mid-way is the caller's to roll back and retry). */
static enum ledger_status
pg_ready(struct pg_backend *b, struct ledger_error *err)
{
	char msg[200];

	if (PQstatus(b->c) == CONNECTION_OK)
		return LEDGER_OK;
	b->in_tx = b->write_tx = false;
	PQreset(b->c);
	if (PQstatus(b->c) == CONNECTION_OK)
		return pg_configure(b, err);
	first_line(msg, sizeof(msg), PQerrorMessage(b->c));
	return ledger_errorf(err, LEDGER_EDB, "the database is unavailable: "
	    "%s", msg);
}

enum ledger_status
pg_exec(struct pg_backend *b, const char *sql, const struct pg_params *p,
    ExecStatusType want, PGresult **ret, const char *what,
    struct ledger_error *err)
{
	enum ledger_status st;
	PGresult *r;

	*ret = NULL;
	if ((b->npend > 0 || b->ntree > 0 || b->head_pending) &&
	    (st = pg_flush(b, err)))
		return st;
	if (!b->in_tx && (st = pg_ready(b, err)) != LEDGER_OK)
		return st;
	r = PQexecParams(b->c, sql, p != NULL ? p->n : 0, NULL,
	    p != NULL ? p->v : NULL, p != NULL ? p->len : NULL,
	    p != NULL ? p->fmt : NULL, 1);
	if (r == NULL || PQresultStatus(r) != want) {
		st = pg_fail(b, r, what, err);
		PQclear(r);
		return st;
	}
	*ret = r;
	return LEDGER_OK;
}

enum ledger_status
pg_run(struct pg_backend *b, const char *sql, const struct pg_params *p,
    const char *what, struct ledger_error *err)
{
	enum ledger_status st;
	PGresult *r;

	if ((st = pg_exec(b, sql, p, PGRES_COMMAND_OK, &r, what, err)))
		return st;
	PQclear(r);
	return LEDGER_OK;
}

/* A query whose rows are not needed. */
static enum ledger_status
pg_query_ok(struct pg_backend *b, const char *sql, const char *what,
    struct ledger_error *err)
{
	enum ledger_status st;
	PGresult *r;

	if ((st = pg_exec(b, sql, NULL, PGRES_TUPLES_OK, &r, what, err)))
		return st;
	PQclear(r);
	return LEDGER_OK;
}

enum ledger_status
pg_scalar(struct pg_backend *b, const char *sql, const int64_t *arg,
    const char *what, int64_t *ret, bool *found, struct ledger_error *err)
{
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;

	*ret = 0;
	*found = false;
	pg_params_init(&p, b);
	if (arg != NULL)
		pg_i64(&p, *arg);
	if ((st = pg_exec(b, sql, &p, PGRES_TUPLES_OK, &r, what, err)))
		return st;
	if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
		*ret = pg_get_i64(r, 0, 0);
		*found = true;
	}
	PQclear(r);
	return LEDGER_OK;
}

bool
ledger_pg_location(const char *location)
{
	size_t k;

	if (location == NULL)
		return false;
	if (strncmp(location, "postgresql://", 13) == 0 ||
	    strncmp(location, "postgres://", 11) == 0)
		return true;
	/* "keyword=value ...": a keyword first ("host=/run/postgresql" is
	 * one; a directory path is not) */
	k = strspn(location, "abcdefghijklmnopqrstuvwxyz_");
	return k > 0 && location[k + strspn(location + k, " ")] == '=';
}

/* ---- meta, the schema, the log ---- */

static enum ledger_status
pg_meta_get(struct ledger_backend *be, const char *name, char **ret,
    struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	struct pg_params p;
	enum ledger_status st;
	PGresult *r;

	*ret = NULL;
	pg_params_init(&p, b);
	pg_text(&p, name);
	if ((st = pg_exec(b, "SELECT value FROM ledger_meta WHERE log = $1"
	    " AND name = $2", &p, PGRES_TUPLES_OK, &r, "read meta", err)))
		return st;
	if (PQntuples(r) == 1)
		st = ledger_strdup(pg_get_text(r, 0, 0), ret, err);
	else
		st = ledger_errorf(err, LEDGER_EINVAL, "log '%s' has no '%s' "
		    "(not a ledger?)", b->log, name);
	PQclear(r);
	return st;
}

static enum ledger_status
pg_meta_set(struct ledger_backend *be, const char *name, const char *value,
    struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	struct pg_params p;
	enum ledger_status st;

	pg_params_init(&p, b);
	pg_text(&p, name);
	pg_text(&p, value);
	if ((st = pg_run(b, "INSERT INTO ledger_meta (log, name, value)"
	    " VALUES ($1, $2, $3)", &p, "write meta", err)))
		return st;
	if (strcmp(name, "origin") == 0 && b->origin == NULL)
		return ledger_strdup(value, &b->origin, err);
	return LEDGER_OK;
}

/* The schema's version (0: none yet). */
static enum ledger_status
schema_version(struct pg_backend *b, int *ret, struct ledger_error *err)
{
	enum ledger_status st;
	PGresult *r;

	*ret = 0;
	if ((st = pg_exec(b, "SELECT to_regclass('ledger_schema') IS NOT NULL",
	    NULL, PGRES_TUPLES_OK, &r, "read the schema", err)))
		return st;
	if (PQntuples(r) != 1 || PQgetvalue(r, 0, 0)[0] == 0) {
		PQclear(r);
		return LEDGER_OK;
	}
	PQclear(r);
	if ((st = pg_exec(b, "SELECT version::bigint FROM ledger_schema",
	    NULL, PGRES_TUPLES_OK, &r, "read the schema", err)))
		return st;
	if (PQntuples(r) == 1)
		*ret = (int)pg_get_i64(r, 0, 0);
	PQclear(r);
	return LEDGER_OK;
}

/* Apply the embedded migrations the database lacks, each in its own
 * transaction, under the advisory lock (front ends start together). */
static enum ledger_status
migrate(struct pg_backend *b, struct ledger_error *err)
{
	enum ledger_status st;
	struct pg_params p;
	int v, i;

	PGresult *lr;

	if ((st = pg_exec(b, "SELECT pg_advisory_lock(" PG_SCHEMA_LOCK ")",
	    NULL, PGRES_TUPLES_OK, &lr, "lock the schema", err)) != LEDGER_OK)
		return st;
	PQclear(lr);
	st = pg_run(b, "CREATE TABLE IF NOT EXISTS ledger_schema (id integer"
	    " PRIMARY KEY CHECK (id = 0), version integer NOT NULL)", NULL,
	    "create the schema", err);
	if (st == LEDGER_OK)
		st = schema_version(b, &v, err);
	if (st == LEDGER_OK && v > ledger_pg_migration_count)
		st = ledger_errorf(err, LEDGER_EINVAL, "database schema version"
		    " %d is newer than this program's %d", v,
		    ledger_pg_migration_count);
	for (i = st == LEDGER_OK ? v : ledger_pg_migration_count;
	    i < ledger_pg_migration_count && st == LEDGER_OK; i++) {
		PGresult *r;

		if ((st = pg_run(b, "BEGIN", NULL, "migrate", err)))
			break;
		b->in_tx = true;
		r = PQexec(b->c, ledger_pg_migrations[i].sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			st = pg_fail(b, r, ledger_pg_migrations[i].name, err);
		PQclear(r);
		pg_params_init(&p, NULL);
		pg_i64(&p, i + 1);
		if (st == LEDGER_OK)
			st = pg_run(b, "INSERT INTO ledger_schema (id, version)"
			    " VALUES (0, $1::bigint) ON CONFLICT (id) DO UPDATE"
			    " SET version = excluded.version", &p, "migrate",
			    err);
		if (st == LEDGER_OK)
			st = pg_run(b, "COMMIT", NULL, "migrate", err);
		if (st != LEDGER_OK && PQstatus(b->c) == CONNECTION_OK)
			PQclear(PQexec(b->c, "ROLLBACK"));
		b->in_tx = false;
	}
	PQclear(PQexec(b->c, "SELECT pg_advisory_unlock(" PG_SCHEMA_LOCK ")"));
	return st;
}

/* Create log (head at size 0), or find it, or the only one. */
static enum ledger_status
choose_log(struct pg_backend *b, const char *log, bool create,
    struct ledger_error *err)
{
	static const uint8_t zero[32];
	enum ledger_status st;
	struct pg_params p;
	struct timespec ts;
	PGresult *r;

	if (create) {
		clock_gettime(CLOCK_REALTIME, &ts);
		pg_params_init(&p, NULL);
		pg_text(&p, log);
		pg_i64(&p, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		pg_bytea(&p, zero, sizeof(zero));
		st = pg_run(b, "WITH l AS (INSERT INTO ledger_logs (log,"
		    " created_ms) VALUES ($1, $2) RETURNING log) INSERT INTO"
		    " ledger_head (log, size, last_leaf, last_time_ms) SELECT"
		    " log, 0, $3, 0 FROM l", &p, "create the log", err);
		if (st != LEDGER_OK && strstr(err->msg, "duplicate key"))
			return ledger_errorf(err, LEDGER_EEXIST, "the database "
			    "already holds log '%s' (refusing to touch it)",
			    log);
		if (st == LEDGER_OK)
			st = ledger_strdup(log, &b->log, err);
		return st;
	}
	pg_params_init(&p, NULL);
	pg_text(&p, log);
	if ((st = pg_exec(b, "SELECT log FROM ledger_logs WHERE $1::text IS"
	    " NULL OR log = $1 ORDER BY log LIMIT 3", &p, PGRES_TUPLES_OK, &r,
	    "find the log", err)))
		return st;
	if (PQntuples(r) == 0)
		st = log != NULL ? ledger_errorf(err, LEDGER_ENOTFOUND, "the "
		    "database holds no log '%s'", log) : ledger_errorf(err,
		    LEDGER_ENOTFOUND, "the database holds no log (ledgerctl "
		    "init --database)");
	else if (PQntuples(r) > 1)
		st = ledger_errorf(err, LEDGER_EINVAL, "the database holds "
		    "several logs ('%s', '%s'%s): name one (\"log\", --log)",
		    PQgetvalue(r, 0, 0), PQgetvalue(r, 1, 0),
		    PQntuples(r) > 2 ? ", ..." : "");
	else
		st = ledger_strdup(PQgetvalue(r, 0, 0), &b->log, err);
	PQclear(r);
	return st;
}

/* Connect: the connection string as libpq takes it, after defaults it
 * can override (a connect attempt gives up after 10 s; a peer that went
 * silent, a host lost in a failover, is noticed within about 30 s
 * rather than the kernel's two hours); our name in pg_stat_activity. */
static enum ledger_status
pg_connect(struct pg_backend *b, struct ledger_error *err)
{
	static const char *const keys[] = { "connect_timeout", "keepalives",
	    "keepalives_idle", "keepalives_interval", "keepalives_count",
	    "tcp_user_timeout", "dbname", "fallback_application_name", NULL };
	const char *vals[] = { "10", "1", "10", "5", "3", "30000",
	    b->conninfo, "ledgerd", NULL };
	char msg[200];

	b->c = PQconnectdbParams(keys, vals, 1);
	if (b->c == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (PQstatus(b->c) != CONNECTION_OK) {
		first_line(msg, sizeof(msg), PQerrorMessage(b->c));
		return ledger_errorf(err, LEDGER_EDB, "connect to the "
		    "database: %s", msg);
	}
	return pg_configure(b, err);
}

static void pg_close(struct ledger_backend *be);

enum ledger_status
ledger_pg_open(const char *conninfo, const char *log, unsigned flags,
    bool create, struct ledger_backend **ret, struct ledger_error *err)
{
	struct pg_backend *b;
	enum ledger_status st;
	int v;

	*ret = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->conninfo = strdup(conninfo)) == NULL) {
		free(b);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	b->base.ops = &pg_ops;
	b->flags = flags;
	if ((st = pg_connect(b, err)) != LEDGER_OK)
		goto fail;
	if (!(flags & LEDGER_STORE_READONLY))
		st = migrate(b, err);
	else if ((st = schema_version(b, &v, err)) == LEDGER_OK && v == 0)
		st = ledger_errorf(err, LEDGER_ENOTFOUND, "the database holds "
		    "no ledger (ledgerctl init --database)");
	else if (st == LEDGER_OK && v > ledger_pg_migration_count)
		st = ledger_errorf(err, LEDGER_EINVAL, "database schema version"
		    " %d is newer than this program's %d", v,
		    ledger_pg_migration_count);
	if (st != LEDGER_OK || (st = choose_log(b, log, create, err)))
		goto fail;
	if (!create && (st = pg_meta_get(&b->base, "origin", &b->origin,
	    err)) != LEDGER_OK)
		goto fail;
	*ret = &b->base;
	return LEDGER_OK;
fail:
	pg_close(&b->base);
	return st;
}

static void
pg_close(struct ledger_backend *be)
{
	struct pg_backend *b = PB(be);

	if (b == NULL)
		return;
	pg_pending_free(b);
	free(b->pend);
	free(b->tree_id);
	free(b->tree_hash);
	PQfinish(b->c);
	free(b->conninfo);
	free(b->log);
	free(b->origin);
	free(b);
}

static unsigned
pg_caps(const struct ledger_backend *be)
{
	(void)be;
	return LEDGER_BE_LOOKUP_KEYS | LEDGER_BE_BODY_KEYS |
	    LEDGER_BE_HEADERS | LEDGER_BE_INDEX_CHECK | LEDGER_BE_KIND_KEYS;
}

/* ---- transactions ---- */

/* The fence: the log's head row, held until COMMIT. */
static enum ledger_status
pg_begin_write(struct ledger_backend *be, struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;

	if (b->in_tx)
		return ledger_errorf(err, LEDGER_EDB, "begin: a transaction is "
		    "open");
	/* a connection found dead at BEGIN had nothing in flight: one new
	 * session is tried before the writer hears of it (a server restart
	 * between requests costs no 503) */
	st = pg_run(b, "BEGIN", NULL, "begin", err);
	if (st == LEDGER_EDB && PQstatus(b->c) != CONNECTION_OK)
		st = pg_run(b, "BEGIN", NULL, "begin", err);
	if (st != LEDGER_OK)
		return st;
	b->in_tx = true;
	pg_params_init(&p, b);
	if ((st = pg_exec(b, "SELECT size FROM ledger_head WHERE log = $1 FOR"
	    " UPDATE", &p, PGRES_TUPLES_OK, &r, "lock the head", err))) {
		be->ops->rollback(be);
		return st;
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		be->ops->rollback(be);
		return ledger_errorf(err, LEDGER_ECHAIN, "the head row of log "
		    "'%s' is missing", b->log);
	}
	b->locked_size = (uint64_t)pg_get_i64(r, 0, 0);
	b->write_tx = true;
	PQclear(r);
	return LEDGER_OK;
}

static enum ledger_status
pg_begin_read(struct ledger_backend *be, struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	enum ledger_status st;

	if (b->in_tx)
		return ledger_errorf(err, LEDGER_EDB, "begin: a transaction is "
		    "open");
	if ((st = pg_run(b, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    NULL, "begin read", err)) == LEDGER_OK)
		b->in_tx = true;
	return st;
}

/* COMMIT's answer is the truth: an aborted transaction "commits" as a
 * ROLLBACK, and a connection lost here leaves the outcome unknown (the
 * caller says 503; a retried delivery finds its receipt). */
static enum ledger_status
pg_commit(struct ledger_backend *be, struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	enum ledger_status st;
	PGresult *r;

	if (b->npend > 0 || b->ntree > 0 || b->head_pending)
		return pg_commit_pipelined(b, err);
	if ((st = pg_exec(b, "COMMIT", NULL, PGRES_COMMAND_OK, &r, "commit",
	    err)) != LEDGER_OK) {
		b->in_tx = b->write_tx = false;
		return st;
	}
	b->in_tx = b->write_tx = false;
	if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
		st = ledger_errorf(err, LEDGER_EDB, "commit: the transaction "
		    "was rolled back");
	PQclear(r);
	return st;
}

static void
pg_rollback(struct ledger_backend *be)
{
	struct pg_backend *b = PB(be);

	pg_pending_free(b);
	if (b->in_tx && PQstatus(b->c) == CONNECTION_OK)
		PQclear(PQexec(b->c, "ROLLBACK"));
	b->in_tx = b->write_tx = false;
}

static enum ledger_status
pg_check_alive(struct ledger_backend *be, struct ledger_error *err)
{
	struct pg_backend *b = PB(be);

	if (b->in_tx) {
		if (PQstatus(b->c) != CONNECTION_OK)
			return ledger_errorf(err, LEDGER_EDB, "the database "
			    "connection was lost: nothing was written");
		return LEDGER_OK;
	}
	/* between transactions: a round trip, reconnecting if need be */
	return pg_query_ok(b, "SELECT 1", "reach the database", err);
}

/* Nothing to do: the server keeps its own house (autovacuum, GIN's
 * pending list). */
static enum ledger_status
pg_nothing(struct ledger_backend *be, struct ledger_error *err)
{
	(void)be;
	(void)err;
	return LEDGER_OK;
}

/*
 * The lookup terms' GIN index keeps new entries in a pending list and
 * merges it into the index when it passes gin_pending_list_limit; the
 * insert that finds it full does the merge, holding the log's head all
 * the while (the p99 of docs/performance.md).  Merged here instead, on
 * the maintenance connection a few times a second, the list stays short
 * and the writer's inserts never merge.  The index's owner may do this
 * (as VACUUM); a ledgerd that is not its owner leaves it to the server,
 * and says so once.  No database: nothing to merge, said by others.
 */
static enum ledger_status
pg_merge_keys(struct ledger_backend *be, unsigned pages,
    struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	struct ledger_error e;
	enum ledger_status st;
	PGresult *r;

	(void)pages;
	if (b->no_gin_clean || (b->flags & LEDGER_STORE_READONLY))
		return LEDGER_OK;
	st = pg_exec(b, "SELECT gin_clean_pending_list('ledger_entries_terms'"
	    "::regclass)", NULL, PGRES_TUPLES_OK, &r, "merge the lookup "
	    "terms' pending list", &e);
	if (st == LEDGER_OK) {
		PQclear(r);
		return LEDGER_OK;
	}
	if (PQstatus(b->c) != CONNECTION_OK || strstr(e.msg, "unavailable"))
		return LEDGER_OK;
	b->no_gin_clean = true;
	return ledger_errorf(err, st, "%s; left to the server from now on",
	    e.msg);
}

/* ---- the head ---- */

static enum ledger_status
pg_head_read(struct ledger_backend *be, struct ledger_be_head *h,
    struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;

	pg_params_init(&p, b);
	if ((st = pg_exec(b, "SELECT size, last_leaf, last_time_ms FROM"
	    " ledger_head WHERE log = $1", &p, PGRES_TUPLES_OK, &r,
	    "read head", err)))
		return st;
	if (PQntuples(r) != 1 || PQgetlength(r, 0, 1) != LEDGER_HASH_BYTES ||
	    pg_get_i64(r, 0, 0) < 0) {
		PQclear(r);
		return ledger_errorf(err, LEDGER_ECHAIN, "head row is missing "
		    "or malformed");
	}
	h->size = (uint64_t)pg_get_i64(r, 0, 0);
	memcpy(h->last_leaf, PQgetvalue(r, 0, 1), LEDGER_HASH_BYTES);
	h->last_time_ms = pg_get_i64(r, 0, 2);
	if (b->write_tx)
		b->locked_size = h->size;
	PQclear(r);
	return LEDGER_OK;
}

/* Compare-and-set: the head moves from the size read under the lock, or
 * the batch is refused (PRIMARY KEY (log, seq) would refuse it too). */
static enum ledger_status
pg_head_write(struct ledger_backend *be, const struct ledger_be_head *h,
    struct ledger_error *err)
{
	struct pg_backend *b = PB(be);

	if (!b->write_tx)
		return ledger_errorf(err, LEDGER_EDB, "update head: no write "
		    "transaction");
	/* sent with the next statement, or in the commit's pipeline */
	b->head = *h;
	b->head_pending = true;
	return LEDGER_OK;
}

const struct ledger_backend_ops pg_ops = {
	.name = "postgresql",
	.close = pg_close,
	.caps = pg_caps,
	.begin_write = pg_begin_write,
	.begin_read = pg_begin_read,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.check_alive = pg_check_alive,
	.maintain = pg_nothing,
	.merge_keys = pg_merge_keys,
	.prune_step = pg_prune_step,
	.missing_payloads = pg_missing_payloads,
	.vacuum = pg_vacuum,
	.meta_get = pg_meta_get,
	.meta_set = pg_meta_set,
	.head_read = pg_head_read,
	.head_write = pg_head_write,
	.insert_entry = pg_insert_entry,
	.insert_tree = pg_insert_tree,
	.find_delivery = pg_find_delivery,
	.find_body = pg_find_body,
	.scan_terms = pg_scan_terms,
	.get_row = pg_get_row,
	.get_payload = pg_get_payload,
	.get_headers = pg_get_headers,
	.read_hashes = pg_read_hashes,
	.log_end = pg_log_end,
	.seq_time = pg_seq_time,
	.list = pg_list,
	.checkpoint_insert = pg_checkpoint_insert,
	.checkpoint_get = pg_checkpoint_get,
	.token_insert = pg_token_insert,
	.token_revoke = pg_token_revoke,
	.token_live = pg_token_live,
	.token_count = pg_token_count,
	.token_scan = pg_token_scan,
	.open_rows = pg_open_rows,
	.next_row = pg_next_row,
	.open_tree = pg_open_tree,
	.next_tree = pg_next_tree,
	.open_checkpoints = pg_open_checkpoints,
	.next_checkpoint = pg_next_checkpoint,
	.open_terms = pg_open_terms,
	.next_term = pg_next_term,
	.close_cursor = pg_close_cursor,
};
