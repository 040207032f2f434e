/*
 * store-sqlite-int.h - the SQLite backend's insides, shared by its files
 */
#ifndef LEDGER_STORE_SQLITE_INT_H
#define LEDGER_STORE_SQLITE_INT_H

#include <sys/types.h>

#include <sqlite3.h>

#include "store-sqlite.h"

/*
 * A statement a reader may run while another copy of it is stepping (a
 * query's row callback asks the next question: the answers join that
 * way): a few prepared copies, each lent to one caller at a time.  Past
 * them a caller gets a fresh statement, finalized on return.
 */
#define SQLITE_POOL 4
struct sqlite_pool {
	sqlite3_stmt *st[SQLITE_POOL];
	bool busy[SQLITE_POOL];
};

struct sqlite_backend {
	struct ledger_backend base;
	sqlite3 *db;
	char *path;			/* dir/ledger.db */
	dev_t dev;			/* the file opened, to notice it */
	ino_t ino;			/* removed or replaced */
	unsigned flags;
	int schema_version;		/* PRAGMA user_version after open */
	char *origin;			/* meta "origin", for rows' e.log */

	/* Prepared once, reused. */
	sqlite3_stmt *st_find_delivery;
	sqlite3_stmt *st_find_body;
	sqlite3_stmt *st_insert_keys;
	sqlite3_stmt *st_insert_entry;
	sqlite3_stmt *st_insert_payload;
	sqlite3_stmt *st_insert_tree;
	sqlite3_stmt *st_update_head;
	sqlite3_stmt *st_get_tree;
	sqlite3_stmt *st_head;
	sqlite3_stmt *st_token_live;
	struct sqlite_pool list_terms;	/* sqlite_list, by terms */
	struct sqlite_pool list_range;	/* sqlite_list, a seq range */
	struct sqlite_pool seq_time;	/* sqlite_seq_time */
	struct sqlite_pool narrow_approvals;	/* sqlite_narrow */
	struct sqlite_pool narrow_authors;
	struct sqlite_pool narrow_deployments;
};

#define SB(b) ((struct sqlite_backend *)(b))

/* Map an SQLite result code to a status, with a message "what: why". */
enum ledger_status sqlite_err(struct sqlite_backend *b, int rc,
    struct ledger_error *err, const char *what);

/* Prepare sql into *st once (SQLITE_PREPARE_PERSISTENT). */
enum ledger_status sqlite_prepare_once(struct sqlite_backend *b,
    const char *sql, sqlite3_stmt **st, struct ledger_error *err);

/* Borrow a statement of sql from pool (prepared on first use); give it
 * back with sqlite_pool_give, which resets it or finalizes a fresh one. */
enum ledger_status sqlite_pool_take(struct sqlite_backend *b,
    struct sqlite_pool *pool, const char *sql, sqlite3_stmt **ret,
    struct ledger_error *err);
void sqlite_pool_give(struct sqlite_pool *pool, sqlite3_stmt *q);
void sqlite_pool_release(struct sqlite_pool *pool);

/* The columns of an entry row, starting at column 0, and a row of them. */
#define ENTRY_COLUMNS "seq, entry, sig, key_id, prev, time_ms, kind, " \
	"source_name, source_type, source_event, delivery, auth, actor, " \
	"artifact, commit_id, deployment, environment, pipeline, run, " \
	"service, status, summary, ticket, tool, tool_version, url, " \
	"payload_sha256, payload_size, payload_type"
#define ENTRY_NCOLUMNS 29
enum ledger_status sqlite_row(struct sqlite_backend *b, sqlite3_stmt *q,
    struct ledger_row *r, struct ledger_error *err);

/* Step q, a statement of ENTRY_COLUMNS rows, giving each to fn until it
 * stops (store-sqlite.c). */
enum ledger_status sqlite_each_row(struct sqlite_backend *b, sqlite3_stmt *q,
    ledger_be_row_fn fn, void *ctx, const char *what,
    struct ledger_error *err);

/* Reading rows (store-sqlite-read.c). */
enum ledger_status sqlite_get_row(struct ledger_backend *b, uint64_t seq,
    struct ledger_row *ret, struct ledger_error *err);
enum ledger_status sqlite_get_payload(struct ledger_backend *b, uint64_t seq,
    uint8_t **ret, size_t *ret_len, struct ledger_error *err);
enum ledger_status sqlite_get_headers(struct ledger_backend *b, uint64_t seq,
    char **ret, struct ledger_error *err);
enum ledger_status sqlite_read_hashes(struct ledger_backend *b,
    const uint64_t *indexes, size_t count, uint8_t (*out)[32],
    struct ledger_error *err);
enum ledger_status sqlite_log_end(struct ledger_backend *b, uint64_t *ret,
    struct ledger_error *err);
enum ledger_status sqlite_seq_time(struct ledger_backend *b, uint64_t seq,
    uint64_t *ret_seq, int64_t *ret_time, bool *found,
    struct ledger_error *err);
/* sqlite_seq_time's statement: from schema 12 a covering index's read. */
#define SQL_SEQ_TIME "SELECT seq, time_ms FROM entries" \
	" WHERE seq >= ?1 ORDER BY seq LIMIT 1"

/* The answers' joins from the covering indexes (ledger_backend.narrow),
 * and each shape's statement (for a test of its plan). */
enum ledger_status sqlite_narrow(struct ledger_backend *b,
    enum ledger_narrow shape, const char *arg, uint64_t lo, uint64_t hi,
    ledger_be_row_fn fn, void *ctx, bool *done, struct ledger_error *err);
const char *sqlite_narrow_sql(enum ledger_narrow shape);
/* A bounded FTS5 merge step of the lookup keys (store-sqlite-scan.c). */
enum ledger_status sqlite_prune_step(struct ledger_backend *be,
    uint64_t before_seq, unsigned max, bool (*held)(void *ctx, uint64_t seq,
    int64_t time_ms, const char *env), void *ctx,
    struct ledger_prune_plan *p, struct ledger_error *err);
enum ledger_status sqlite_missing_payloads(struct ledger_backend *be,
    uint64_t lo, uint64_t hi, const char *env, int64_t since_ms,
    int64_t until_ms, int (*fn)(void *ctx, uint64_t seq, int64_t time_ms,
    const char *env), void *ctx, struct ledger_error *err);
enum ledger_status sqlite_vacuum(struct ledger_backend *be, unsigned pages,
    bool full, uint64_t *ret_free_bytes, bool *ret_incremental,
    struct ledger_error *err);
enum ledger_status sqlite_merge_keys(struct ledger_backend *b,
    unsigned pages, struct ledger_error *err);
enum ledger_status sqlite_settle_keys(struct ledger_backend *b,
    unsigned pages, struct ledger_error *err);
enum ledger_status sqlite_check_indexes(struct ledger_backend *b,
    void (*fn)(void *ctx, int64_t seq, const char *what), void *ctx,
    struct ledger_error *err);
enum ledger_status sqlite_list(struct ledger_backend *b, const char *terms,
    uint64_t lo, uint64_t hi, ledger_be_row_fn fn, void *ctx,
    struct ledger_error *err);

/* The scans, checkpoints and tokens (store-sqlite-scan.c). */
extern const struct ledger_backend_ops sqlite_ops;
enum ledger_status sqlite_checkpoint_insert(struct ledger_backend *b,
    const struct ledger_signed_checkpoint *cp, struct ledger_error *err);
enum ledger_status sqlite_checkpoint_get(struct ledger_backend *b,
    int which, uint64_t size, struct ledger_signed_checkpoint *ret,
    struct ledger_error *err);
enum ledger_status sqlite_token_insert(struct ledger_backend *b,
    const struct ledger_token_row *t, int64_t *ret_id,
    struct ledger_error *err);
enum ledger_status sqlite_token_revoke(struct ledger_backend *b, int64_t id,
    int64_t when_ms, bool *changed, struct ledger_error *err);
enum ledger_status sqlite_token_live(struct ledger_backend *b, int64_t id,
    bool *ret, struct ledger_error *err);
enum ledger_status sqlite_token_count(struct ledger_backend *b,
    int64_t *ret, struct ledger_error *err);
enum ledger_status sqlite_token_scan(struct ledger_backend *b,
    int (*fn)(void *ctx, const struct ledger_token_row *t), void *ctx,
    struct ledger_error *err);
enum ledger_status sqlite_open_rows(struct ledger_backend *b,
    struct ledger_be_cursor **ret, struct ledger_error *err);
enum ledger_status sqlite_next_row(struct ledger_be_cursor *c,
    struct ledger_row *ret, uint8_t **ret_payload_z, size_t *ret_zlen,
    bool *end, struct ledger_error *err);
enum ledger_status sqlite_open_tree(struct ledger_backend *b,
    struct ledger_be_cursor **ret, struct ledger_error *err);
enum ledger_status sqlite_next_tree(struct ledger_be_cursor *c,
    uint64_t *ret_id, uint8_t hash[32], bool *bad_len, bool *end,
    struct ledger_error *err);
enum ledger_status sqlite_open_checkpoints(struct ledger_backend *b,
    struct ledger_be_cursor **ret, struct ledger_error *err);
enum ledger_status sqlite_next_checkpoint(struct ledger_be_cursor *c,
    struct ledger_be_checkpoint *ret, bool *end, struct ledger_error *err);
enum ledger_status sqlite_open_terms(struct ledger_backend *b,
    struct ledger_be_cursor **ret, struct ledger_error *err);
enum ledger_status sqlite_next_term(struct ledger_be_cursor *c,
    const char **ret_term, size_t *ret_len, uint64_t *ret_seq, bool *end,
    struct ledger_error *err);
void sqlite_close_cursor(struct ledger_be_cursor *c);

#endif
