/*
 * store-int.h - the store's insides, shared by store*.c, tree.c, token.c
 * and verify.c.  The rows live behind a backend (backend.h); nothing here
 * knows which.
 */
#ifndef LEDGER_STORE_INT_H
#define LEDGER_STORE_INT_H

#include "ledger/merkle.h"
#include "ledger/store.h"
#include "backend.h"

struct ledger_store {
	struct ledger_backend *be;	/* the rows (backend.h) */
	const struct ledger_backend_ops *ops;	/* be->ops */
	char *dir;
	unsigned flags;
	char *origin;
	uint32_t key_id;
	struct ledger_key *key;		/* signs now; NULL when read-only */
	/* The writer's keys (store-keys.c): the log's first key (its file
	 * is key_file or ledger.key), the replaced key that co-signs
	 * checkpoints until retired (cosign, or cosign_root when that is
	 * the first key), every key of the history (ring) to check the
	 * checkpoints it signed, and the key-added of the current key
	 * (UINT64_MAX: the first key). */
	struct ledger_key *key_root;
	struct ledger_key *cosign;
	bool cosign_root;
	struct ledger_vkey *ring;
	size_t nring;
	uint64_t key_added_seq;
	bool in_overlap;		/* a replaced key not yet retired */
	uint32_t replaced_id;
	struct ledger_vkey vkey;
	bool have_vkey;

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

	/* The checkpoints' key line (lib/tree.c), as of kc_upto entries:
	 * recomputed from the whole key history only when a key record
	 * was appended since (a checkpoint a second otherwise read it all
	 * each time); kc_upto 0: not known. */
	uint64_t kc_upto;
	char kc_ext[64];

	struct ledger_buf enc;		/* reused encoding buffer */
	unsigned snapshots;		/* open ledger_store_snapshot_begin */
};

/* The writer's keys from the log's key history (store-keys.c): called
 * at open and after each key record. */
enum ledger_status ledger_store_load_keys(struct ledger_store *s,
    struct ledger_error *err);
/* The key that co-signs checkpoints now, or NULL. */
const struct ledger_key *ledger_store_cosign_key(const struct ledger_store *s);

/*
 * ledger_store_query for the answers, read from the backend's covering
 * indexes where it keeps one for q's shape (lib/backend.h,
 * ledger_backend.narrow): the approvals of one environment, the builds
 * and changes of full commits, the deployments and rollbacks of one
 * environment.  Such rows are narrow: seq, time, kind, source name and
 * type, and the subject's actor, artifact, commit, environment, pipeline,
 * run and status (a deployment's more: backend.h).  Any other q, or a
 * backend without the index, reads through ledger_store_query: the same
 * rows with every field.  Errors: as ledger_store_query.
 */
enum ledger_status ledger_store_query_narrow(struct ledger_store *s,
    const struct ledger_query *q,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    struct ledger_error *err);

/* The ledger's own records (kind and source type "ledger") whose
 * status is one of events, in seq order, until fn stops (store-query.c;
 * key, prune and hold records). */
enum ledger_status ledger_store_records_after(struct ledger_store *s,
    int64_t after_seq, const char *const *events, size_t n,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    struct ledger_error *err);
enum ledger_status ledger_store_records(struct ledger_store *s,
    const char *const *events, size_t n,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    struct ledger_error *err);

/* The Merkle reader over the stored tree (ctx is the store). */
enum ledger_status ledger_store_read_hashes(void *ctx,
    const uint64_t *indexes, size_t count, uint8_t (*out)[LEDGER_HASH_BYTES],
    struct ledger_error *err);

/* Reload size, last leaf and last time from the head row. */
enum ledger_status ledger_store_load_head(struct ledger_store *s,
    struct ledger_error *err);

/* Inside a write transaction: reload head and frontier if another writer
 * moved the head. */
enum ledger_status ledger_store_sync_head(struct ledger_store *s,
    struct ledger_error *err);

/* The writer's open check of LEDGER_CHECKPOINT_FILE (lib/tree.c). */
enum ledger_status ledger_store_check_state(struct ledger_store *s,
    struct ledger_error *err);

/* The delivery filter's side of an append (store-append.c): drop it, or
 * catch up with what another writer appended in [from, to). */
void ledger_store_dfilter_drop(struct ledger_store *s);
enum ledger_status ledger_store_dfilter_catch_up(struct ledger_store *s,
    uint64_t from, uint64_t to, struct ledger_error *err);

/* The writer's open check: the stored tree extends the last checkpoint. */
enum ledger_status ledger_store_check_last_checkpoint(struct ledger_store *s,
    struct ledger_error *err);

#endif
