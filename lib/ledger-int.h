/*
 * ledger-int.h - declarations shared inside lib/ only
 */
#ifndef LEDGER_INT_H
#define LEDGER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/error.h"

/* Embedded migrations (generated from schema/ by schema/embed.py). */
struct ledger_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct ledger_migration ledger_migrations[];
extern const int ledger_migration_count;
/* A new data directory's key and verifier key line, named origin; refuses
 * a directory holding a key or a database (store.c). */
enum ledger_status ledger_store_init_key(const char *dir, const char *origin,
    struct ledger_error *err);
/* "dir/name", malloc'd (NULL when out of memory; store.c). */
char *ledger_path_join(const char *dir, const char *name);
/* A new log's meta rows (its origin and key id) through backend be, which
 * is then closed (store.c). */
struct ledger_backend;
struct ledger_key;
enum ledger_status ledger_store_create_meta(struct ledger_backend *be,
    const char *origin, const struct ledger_key *key,
    struct ledger_error *err);
/* The PostgreSQL backend's (schema/pg/NNN-*.sql). */
extern const struct ledger_migration ledger_pg_migrations[];
extern const int ledger_pg_migration_count;

/* True if the n bytes at s are valid UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool ledger_utf8_valid(const char *s, size_t n);

/* The value of a hex digit (either case), or -1. */
int ledger_hexval(int c);

/* True if the n bytes at s (n > 0) are all hex digits, either case. */
bool ledger_all_hex(const char *s, size_t n);

/* True if s (n bytes, valid UTF-8) holds a C0 control character or DEL. */
bool ledger_has_control(const char *s, size_t n);

#include "ledger/file.h"

/* Write all of buf to a new file created with O_EXCL and the given mode,
 * fsync it and its directory.  Errors: LEDGER_EEXIST, LEDGER_EIO. */
enum ledger_status ledger_write_new_file(const char *path, int mode,
    const void *buf, size_t len, struct ledger_error *err);

/* Replace path atomically: write path.tmp, fsync, rename over path, fsync
 * the directory.  Errors: LEDGER_EIO, LEDGER_ENOMEM. */
enum ledger_status ledger_replace_file(const char *path, int mode,
    const void *buf, size_t len, struct ledger_error *err);

/* strdup that reports LEDGER_ENOMEM.  NULL in gives NULL out and OK. */
/* Append sep, then "name":v, or "name":null for UINT64_MAX (a seq
 * that is not there: the JSON of key validity).  Non-zero: out of memory. */
struct ledger_buf;
int ledger_buf_seq_member(struct ledger_buf *b, const char *sep,
    const char *name, uint64_t v);

enum ledger_status ledger_strdup(const char *s, char **ret,
    struct ledger_error *err);

/* The offset of the first byte of s that a signed note's text may not
 * hold (invalid UTF-8, a control character other than newline), or len;
 * *bad says what is wrong there (lib/note.c). */
size_t ledger_note_text_problem(const char *s, size_t len, const char **bad);

/* A field value: non-empty, at most max bytes, UTF-8, no control
 * characters; the message names it as what (lib/entry.c). */
enum ledger_status ledger_check_value(const char *what, const char *s,
    size_t len, size_t max, struct ledger_error *err);

/*
 * One read snapshot around an answer's many queries (lib/store-query.c):
 * every query of an answer sees the same log, and the store takes its
 * read lock once instead of once a query.  Nested calls share the outer
 * snapshot; each begin that succeeded is ended once.
 */
struct ledger_store;
enum ledger_status ledger_store_snapshot_begin(struct ledger_store *s,
    struct ledger_error *err);
void ledger_store_snapshot_end(struct ledger_store *s);

/*
 * The places of deployments and rollbacks (lib/lookup.h, schema 8): every
 * place key of environment env, then the rows of one place with seq in
 * [lo, hi) in seq order (each row still to be checked: a key is only a
 * candidate).  *have false: the store has no place terms (an older schema
 * opened read-only), and nothing was called.
 */
struct ledger_row;
bool ledger_store_has_places(struct ledger_store *s);
enum ledger_status ledger_store_places(struct ledger_store *s,
    const char *env, int (*fn)(void *ctx, uint64_t key), void *ctx,
    bool *have, struct ledger_error *err);
enum ledger_status ledger_store_place_rows(struct ledger_store *s,
    uint64_t key, uint64_t lo, uint64_t hi,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    struct ledger_error *err);

#endif /* LEDGER_INT_H */
