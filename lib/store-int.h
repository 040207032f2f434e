/*
 * store-int.h - the store's insides, shared with verify.c and proof code
 */
#ifndef LEDGER_STORE_INT_H
#define LEDGER_STORE_INT_H

#include <sys/types.h>

#include <sqlite3.h>

#include "ledger/merkle.h"
#include "ledger/store.h"

struct ledger_store {
	sqlite3 *db;
	char *dir;
	dev_t db_dev;			/* the file opened, to notice it */
	ino_t db_ino;			/* removed or replaced */
	unsigned flags;
	char *origin;
	uint32_t key_id;
	struct ledger_key *key;		/* NULL when read-only */
	struct ledger_vkey vkey;
	bool have_vkey;
	int schema_version;		/* PRAGMA user_version after open */

	/* Writer state, loaded on open and advanced by each commit. */
	uint64_t size;
	uint64_t state_size;		/* size in ledger.checkpoint */
	uint8_t last_leaf[LEDGER_HASH_BYTES];
	int64_t last_time_ms;
	struct ledger_merkle_frontier frontier;

	/*
	 * The writer's delivery filter (lib/dfilter.h): Bloom filters over
	 * the delivery and body keys of every entry in the log, so that a
	 * new delivery id or body, nearly always absent, costs no lookup.  Built from entry_keys under
	 * the write lock by ledger_store_prepare_ingest (ledgerd at start) or
	 * once a writer has appended DFILTER_AFTER events (ledgerctl append
	 * never pays for it); kept current by each append and by
	 * ledger_store_sync_head for other writers' appends.  It grows by
	 * adding a filter twice the size when the newest is full (never a
	 * rebuild while serving).  Only "absent" answers are trusted.
	 */
	struct ledger_dfilter *dfilter;	/* NULL: not built */
	uint64_t appended;		/* events offered since open */

	/* The append's per-batch state (store.c), grown to the largest
	 * batch seen, and the signer thread (NULL until a large batch). */
	struct staged *staged;
	uint8_t (*leaves)[LEDGER_HASH_BYTES];
	uint8_t (*sigs)[LEDGER_SIG_BYTES];
	size_t batch_cap;
	struct ledger_signer *signer;

	/* Prepared once, reused. */
	sqlite3_stmt *st_find_delivery;
	sqlite3_stmt *st_find_body;
	sqlite3_stmt *st_insert_keys;
	sqlite3_stmt *st_insert_entry;
	sqlite3_stmt *st_insert_payload;
	sqlite3_stmt *st_insert_tree;
	sqlite3_stmt *st_update_head;
	sqlite3_stmt *st_get_tree;
	sqlite3_stmt *st_token_live;	/* prepared on first use */
	sqlite3_stmt *st_head;
	struct ledger_buf enc;		/* reused encoding buffer */
};

/* Map an SQLite result code to a status, with a message "what: why". */
enum ledger_status ledger_store_dberr(struct ledger_store *s, int rc,
    struct ledger_error *err, const char *what);

/* The Merkle reader over the tree table (ctx is the store). */
enum ledger_status ledger_store_read_hashes(void *ctx,
    const uint64_t *indexes, size_t count, uint8_t (*out)[LEDGER_HASH_BYTES],
    struct ledger_error *err);

/* Fill r->e from the current row of a statement whose columns are
 * ENTRY_COLUMNS, starting at column 0. */
#define ENTRY_COLUMNS "seq, entry, sig, key_id, prev, time_ms, kind, " \
	"source_name, source_type, source_event, delivery, auth, actor, " \
	"artifact, commit_id, environment, pipeline, run, service, status, " \
	"ticket, url, payload_sha256, payload_size, payload_type"
#define ENTRY_NCOLUMNS 25
enum ledger_status ledger_row_from_stmt(struct ledger_store *s,
    sqlite3_stmt *st, struct ledger_row *r, struct ledger_error *err);

/* Inside a write transaction: reload head and frontier if another writer
 * moved the head. */
enum ledger_status ledger_store_sync_head(struct ledger_store *s,
    struct ledger_error *err);

/* The writer's open check of LEDGER_CHECKPOINT_FILE (lib/tree.c). */
enum ledger_status ledger_store_check_state(struct ledger_store *s,
    struct ledger_error *err);

/* The writer's open check: the stored tree extends the last checkpoint. */
enum ledger_status ledger_store_check_last_checkpoint(struct ledger_store *s,
    struct ledger_error *err);

#endif
