/*
 * store-pg-int.h - the PostgreSQL backend's insides, shared by its files
 * (lib/store-pg*.c, the only files that include libpq-fe.h)
 */
#ifndef LEDGER_STORE_PG_INT_H
#define LEDGER_STORE_PG_INT_H

#include <libpq-fe.h>

#include "store-pg.h"

/* Rows an insert statement carries at most (entries: 31 parameters a
 * row, under libpq's 65,535). */
#define PG_INSERT_ROWS 256

/* A row waiting to be inserted: a deep copy (the caller's is borrowed
 * for the call only). */
struct pg_pending {
	struct ledger_row row;		/* the entry's columns and bytes */
	char *terms;			/* "{t1,t2,...}" or NULL */
	char *place;			/* the place term, or NULL */
	uint8_t *payload_z;		/* NULL: no payload row (pruned) */
	size_t payload_zlen;
	char *headers;
};

struct pg_backend {
	struct ledger_backend base;
	PGconn *c;
	char *conninfo;
	char *log;			/* the log's name (its origin) */
	char *origin;			/* meta "origin", for rows' e.log */
	unsigned flags;
	bool in_tx;			/* a transaction is open */
	bool write_tx;			/* ... and it holds the head row */
	uint64_t locked_size;		/* the head's size, read under lock */
	/* inserts buffered until the next statement that must see them */
	struct pg_pending *pend;
	size_t npend, cap;
	uint64_t *tree_id;
	uint8_t (*tree_hash)[32];
	size_t ntree, tree_cap;
	/* the head's compare-and-set, deferred like the inserts */
	bool head_pending;
	struct ledger_be_head head;
	/* pipeline mode (the commit of a batch): statements sent, their
	 * results read at the sync */
	bool piping;
	const char *pipe_what[8];
	size_t npipe;
	bool prepared;			/* this session has the batch's
					   statements (store-pg-batch.c) */
	bool no_gin_clean;		/* merge_keys failed: leave GIN's
					   pending list to the server */
	unsigned cursors;		/* cursor names handed out */
};

#define PB(b) ((struct pg_backend *)(b))

/* Parameters of one statement: text (format 0) or binary (format 1). */
#define PG_PARAMS_MAX 40
struct pg_params {
	const char *v[PG_PARAMS_MAX];
	int len[PG_PARAMS_MAX];
	int fmt[PG_PARAMS_MAX];
	uint64_t be64[PG_PARAMS_MAX];	/* binary int8s, network order */
	int n;
};
void pg_params_init(struct pg_params *p, const struct pg_backend *b);
void pg_text(struct pg_params *p, const char *s);	/* NULL: NULL */
void pg_i64(struct pg_params *p, int64_t v);
void pg_bytea(struct pg_params *p, const void *v, size_t len);

/* Run sql with p (may be NULL) and binary results; *ret the result when
 * its status is want (PGRES_TUPLES_OK or PGRES_COMMAND_OK), else NULL and
 * an error "what: why" (LEDGER_EDB; LEDGER_EIO for a full disk). */
enum ledger_status pg_exec(struct pg_backend *b, const char *sql,
    const struct pg_params *p, ExecStatusType want, PGresult **ret,
    const char *what, struct ledger_error *err);
/* The same, for a statement whose result is not needed. */
enum ledger_status pg_run(struct pg_backend *b, const char *sql,
    const struct pg_params *p, const char *what, struct ledger_error *err);
/* The bigint in row 0, column 0 of sql (log $1, then *arg as $2 when not
 * NULL): *found false when there is no row or it is NULL. */
enum ledger_status pg_scalar(struct pg_backend *b, const char *sql,
    const int64_t *arg, const char *what, int64_t *ret, bool *found,
    struct ledger_error *err);
/* The status of a failed result (or connection): the message, the
 * SQLSTATE's meaning; the connection reset when it was lost. */
enum ledger_status pg_fail(struct pg_backend *b, const PGresult *r,
    const char *what, struct ledger_error *err);

/* Send the buffered inserts and the head's update (before any statement
 * that must see them). */
enum ledger_status pg_flush(struct pg_backend *b, struct ledger_error *err);

/* The batch's INSERT statements, prepared once per session (an
 * INSERT ... SELECT FROM unnest of one binary array per column); then
 * the buffered entries with their payloads, and the tree hashes, run or,
 * in pipeline mode, sent (store-pg-batch.c). */
enum ledger_status pg_prepare_batch(struct pg_backend *b,
    struct ledger_error *err);
enum ledger_status pg_send_entries(struct pg_backend *b,
    struct ledger_error *err);
enum ledger_status pg_send_tree(struct pg_backend *b,
    struct ledger_error *err);
/* A statement sent in pipeline mode: its result is read at the sync. */
enum ledger_status pg_pipe_sent(struct pg_backend *b, const char *what,
    struct ledger_error *err);

/* COMMIT with what is buffered before it, in one pipeline: one round
 * trip for the batch's rows, the head's compare-and-set and the COMMIT
 * (a failure among them means no COMMIT ran: the transaction is rolled
 * back here).  The transaction is over either way. */
enum ledger_status pg_commit_pipelined(struct pg_backend *b,
    struct ledger_error *err);

/* Binary result values. */
int64_t pg_get_i64(const PGresult *r, int row, int col);
/* A column's text, NULL for SQL NULL (borrowed from r). */
const char *pg_get_text(const PGresult *r, int row, int col);

/* The columns of an entry row (31, ending with its payload when a query
 * adds it) and a row of them. */
#define PG_ENTRY_COLUMNS "seq, entry, sig, key_id, prev, time_ms, kind, " \
	"source_name, source_type, source_event, delivery, auth, actor, " \
	"artifact, commit_id, deployment, environment, pipeline, run, " \
	"service, status, summary, ticket, tool, tool_version, url, " \
	"payload_sha256, payload_size, payload_type"
#define PG_ENTRY_NCOLUMNS 29
enum ledger_status pg_row(struct pg_backend *b, const PGresult *r, int row,
    struct ledger_row *ret, struct ledger_error *err);
/* Each row of r to fn until it stops. */
enum ledger_status pg_each_row(struct pg_backend *b, const PGresult *r,
    ledger_be_row_fn fn, void *ctx, int *stop, struct ledger_error *err);

/* Drop the buffered rows (rollback, close). */
void pg_pending_free(struct pg_backend *b);

extern const struct ledger_backend_ops pg_ops;

/* store-pg-append.c */
enum ledger_status pg_insert_entry(struct ledger_backend *b,
    const struct ledger_be_insert *in, struct ledger_error *err);
enum ledger_status pg_insert_tree(struct ledger_backend *b, uint64_t id,
    const uint8_t hash[32], struct ledger_error *err);
enum ledger_status pg_find_delivery(struct ledger_backend *b,
    const char *source, const char *delivery, const char *term,
    struct ledger_row *ret, bool *found, struct ledger_error *err);
enum ledger_status pg_find_body(struct ledger_backend *b, const char *source,
    const uint8_t sha256[32], const char *term, ledger_be_row_fn fn,
    void *ctx, struct ledger_error *err);
enum ledger_status pg_scan_terms(struct ledger_backend *b, const char *lo,
    const char *hi, int (*fn)(void *ctx, const char *term, size_t len),
    void *ctx, struct ledger_error *err);

/* store-pg-read.c */
enum ledger_status pg_get_row(struct ledger_backend *b, uint64_t seq,
    struct ledger_row *ret, struct ledger_error *err);
enum ledger_status pg_get_payload(struct ledger_backend *b, uint64_t seq,
    uint8_t **ret, size_t *ret_len, struct ledger_error *err);
enum ledger_status pg_get_headers(struct ledger_backend *b, uint64_t seq,
    char **ret, struct ledger_error *err);
enum ledger_status pg_read_hashes(struct ledger_backend *b,
    const uint64_t *indexes, size_t count, uint8_t (*out)[32],
    struct ledger_error *err);
enum ledger_status pg_log_end(struct ledger_backend *b, uint64_t *ret,
    struct ledger_error *err);
enum ledger_status pg_seq_time(struct ledger_backend *b, uint64_t seq,
    uint64_t *ret_seq, int64_t *ret_time, bool *found,
    struct ledger_error *err);
enum ledger_status pg_list(struct ledger_backend *b, const char *terms,
    uint64_t lo, uint64_t hi, ledger_be_row_fn fn, void *ctx,
    struct ledger_error *err);
enum ledger_status pg_checkpoint_insert(struct ledger_backend *b,
    const struct ledger_signed_checkpoint *cp, struct ledger_error *err);
enum ledger_status pg_checkpoint_get(struct ledger_backend *b, int which,
    uint64_t size, struct ledger_signed_checkpoint *ret,
    struct ledger_error *err);
enum ledger_status pg_token_insert(struct ledger_backend *b,
    const struct ledger_token_row *t, int64_t *ret_id,
    struct ledger_error *err);
enum ledger_status pg_token_revoke(struct ledger_backend *b, int64_t id,
    int64_t when_ms, bool *changed, struct ledger_error *err);
enum ledger_status pg_token_live(struct ledger_backend *b, int64_t id,
    bool *ret, struct ledger_error *err);
enum ledger_status pg_token_count(struct ledger_backend *b, int64_t *ret,
    struct ledger_error *err);
enum ledger_status pg_token_scan(struct ledger_backend *b,
    int (*fn)(void *ctx, const struct ledger_token_row *t), void *ctx,
    struct ledger_error *err);

/* store-pg-scan.c */
enum ledger_status pg_open_rows(struct ledger_backend *b,
    struct ledger_be_cursor **ret, struct ledger_error *err);
enum ledger_status pg_next_row(struct ledger_be_cursor *c,
    struct ledger_row *ret, uint8_t **ret_payload_z, size_t *ret_zlen,
    bool *end, struct ledger_error *err);
enum ledger_status pg_open_tree(struct ledger_backend *b,
    struct ledger_be_cursor **ret, struct ledger_error *err);
enum ledger_status pg_next_tree(struct ledger_be_cursor *c,
    uint64_t *ret_id, uint8_t hash[32], bool *bad_len, bool *end,
    struct ledger_error *err);
enum ledger_status pg_open_checkpoints(struct ledger_backend *b,
    struct ledger_be_cursor **ret, struct ledger_error *err);
enum ledger_status pg_next_checkpoint(struct ledger_be_cursor *c,
    struct ledger_be_checkpoint *ret, bool *end, struct ledger_error *err);
enum ledger_status pg_open_terms(struct ledger_backend *b,
    struct ledger_be_cursor **ret, struct ledger_error *err);
enum ledger_status pg_next_term(struct ledger_be_cursor *c,
    const char **ret_term, size_t *ret_len, uint64_t *ret_seq, bool *end,
    struct ledger_error *err);
void pg_close_cursor(struct ledger_be_cursor *c);
enum ledger_status pg_prune_step(struct ledger_backend *b,
    uint64_t before_seq, unsigned max, bool (*held)(void *ctx, uint64_t seq,
    int64_t time_ms, const char *env), void *ctx,
    struct ledger_prune_plan *p, struct ledger_error *err);
enum ledger_status pg_missing_payloads(struct ledger_backend *b,
    uint64_t lo, uint64_t hi, const char *env, int64_t since_ms,
    int64_t until_ms, int (*fn)(void *ctx, uint64_t seq, int64_t time_ms,
    const char *env), void *ctx, struct ledger_error *err);
enum ledger_status pg_vacuum(struct ledger_backend *b, unsigned pages,
    bool full, uint64_t *ret_free_bytes, bool *ret_incremental,
    struct ledger_error *err);

#endif
