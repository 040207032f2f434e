/*
 * store-pg.h - the PostgreSQL backend (lib/backend.h; issue 14)
 *
 * Many logs in one database (schema/pg/NNN-*.sql): every row carries its
 * log's name (the log's origin), each log has its own head row, and a
 * writer holds that row (SELECT ... FOR UPDATE) from begin_write to
 * commit, moving it by compare-and-set: any number of ledgerd front ends
 * append to one log without forking it.  These files (store-pg*.c) are
 * the only ones that include libpq-fe.h.
 */
#ifndef LEDGER_STORE_PG_H
#define LEDGER_STORE_PG_H

#include <stdbool.h>

#include "backend.h"

/*
 * Connect to conninfo (any libpq connection string or URI: several hosts
 * with target_session_attrs=read-write for a failover pair) and open log
 * (NULL: the database's only log).  A writer (flags without
 * LEDGER_STORE_READONLY) applies the schema's pending migrations under an
 * advisory lock.  With create, log is made (its head row at size 0); it
 * must not exist.
 * Errors: LEDGER_EDB (cannot connect; the message names the host, never
 * a password), LEDGER_ENOTFOUND (no ledger schema, no such log),
 * LEDGER_EINVAL (several logs and none named, a newer schema),
 * LEDGER_EEXIST (create: the log exists).
 */
enum ledger_status ledger_pg_open(const char *conninfo, const char *log,
    unsigned flags, bool create, struct ledger_backend **ret,
    struct ledger_error *err);

/* Is location a PostgreSQL connection string or URI ("postgresql://",
 * "postgres://", or "key=value ...")? */
bool ledger_pg_location(const char *location);

#endif
