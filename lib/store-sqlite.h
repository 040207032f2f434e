/*
 * store-sqlite.h - the SQLite backend (lib/backend.h)
 *
 * A data directory's ledger.db: WAL, synchronous=FULL, the schema of
 * schema/NNN-*.sql applied forward by a writer at open.  These files
 * (store-sqlite*.c) are the only ones that include sqlite3.h.
 */
#ifndef LEDGER_STORE_SQLITE_H
#define LEDGER_STORE_SQLITE_H

#include <stdbool.h>

#include "backend.h"

/*
 * Open dir/ledger.db; create it when create.  flags are the store's
 * (LEDGER_STORE_READONLY: no writes, no migrations; LEDGER_STORE_MANUAL_WAL:
 * the writer checkpoints the WAL inline only past a large threshold).
 * Errors: LEDGER_ENOTFOUND (no database), LEDGER_EDB, LEDGER_EIO,
 * LEDGER_EINVAL (not a ledger database, or a newer schema).
 */
enum ledger_status ledger_sqlite_open(const char *dir, unsigned flags,
    bool create, struct ledger_backend **ret, struct ledger_error *err);

/* The same, reporting migrations as they run: progress(ctx, done, total)
 * before each (done migrations of total) and every few thousand SQLite
 * steps; non-zero stops: the migration under way is rolled back,
 * LEDGER_ECANCELED. */
enum ledger_status ledger_sqlite_open_progress(const char *dir,
    unsigned flags, bool create,
    int (*progress)(void *ctx, uint64_t done, uint64_t total), void *pctx,
    struct ledger_backend **ret, struct ledger_error *err);

/* Remove dir's database files (an init that failed half-way). */
void ledger_sqlite_remove(const char *dir);

#endif
