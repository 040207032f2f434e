/* teststore.h - a fresh ledger for the suites that test through a store */
#ifndef LEDGER_TESTSTORE_H
#define LEDGER_TESTSTORE_H

#include <stdint.h>

#include "ledger/entry.h"
#include "ledger/store.h"

/*
 * ts_setup: a temporary directory with a new ledger of origin `origin`
 * in its "data" subdirectory (ledger_store_init); ts_data() is that path,
 * ts_dir() the directory, both valid until ts_teardown removes them.
 */
void ts_setup(const char *origin);
/* $LEDGER_TEST_DATABASE (tests/pg-run.sh sets it): ts_setup then makes the
 * log in that PostgreSQL database, and ts_teardown removes its rows.
 * NULL: SQLite in the data directory. */
const char *ts_database(void);
/* Remove log's rows from the test database (the guard triggers off). */
void ts_pg_drop_log(const char *log);
/* Run sql on the test database behind the library's back (the guard
 * triggers off): fails the test on an error. */
void ts_pg_sql(const char *sql);
void ts_teardown(void);
const char *ts_dir(void);
const char *ts_data(void);

/* Verify the ledger in data read-only, every check on: fails the test on
 * any problem; returns the number of entries. */
uint64_t ts_verify_clean(const char *data);

/* Verify data read-only with key as the only trust root (NULL: its
 * ledger.pub); the first 16 problems' seqs and categories in *sn. */
#include "ledger/verify.h"
struct ts_seen {
	uint64_t seq[16];
	enum ledger_problem p[16];
	size_t n;
};
struct ledger_verify_report ts_verify_seen(const char *data,
    const struct ledger_vkey *key, struct ts_seen *sn);

/* SQL that undoes schema/010-token-identity.sql, for tests that make a
 * ledger look as an older schema left it (inside their transaction). */
#define TS_UNDO_SCHEMA_10 "DROP TRIGGER tokens_no_unrevoke; " \
	"ALTER TABLE tokens DROP COLUMN identity; " \
	"CREATE TRIGGER tokens_no_unrevoke BEFORE UPDATE ON tokens " \
	"WHEN OLD.revoked_ms IS NOT NULL OR NEW.hash != OLD.hash OR " \
	"NEW.scope != OLD.scope BEGIN SELECT RAISE(ABORT, 'a token can " \
	"only be revoked'); END; "

/* The same for schema/011-report-subject.sql. */
#define TS_UNDO_SCHEMA_11 "ALTER TABLE entries DROP COLUMN summary; " \
	"ALTER TABLE entries DROP COLUMN tool; " \
	"ALTER TABLE entries DROP COLUMN tool_version; "

/* The same for schema/012-join-indexes.sql. */
#define TS_UNDO_SCHEMA_12 "DROP INDEX entries_approvals; " \
	"DROP INDEX entries_build_authors; DROP INDEX entries_seq_time; " \
	"DROP INDEX entries_deployments; "

/* Run sql on data's database behind the library's back (a tamper, a
 * downgrade); fails the test with SQLite's message on an error. */
void ts_sql(const char *data, const char *sql);
/* The same, returning SQLite's code instead of failing the test. */
int ts_sql_rc(const char *data, const char *sql);

/* Append one entry of kind from source "ci" (type generic), payload {},
 * with FIELD=VALUE strings for subject fields ("source=", "type=" and
 * "event=" set those source fields), NULL-terminated; returns its seq. */
uint64_t ts_add(struct ledger_store *s, enum ledger_kind kind, ...);
/* The same with the FIELD=VALUE strings in a NULL-terminated array. */
uint64_t ts_addv(struct ledger_store *s, enum ledger_kind kind,
    const char *const *fields);

#endif
