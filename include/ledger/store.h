/*
 * ledger/store.h - the data directory and its append-only log
 *
 * A data directory holds:
 *	ledger.db	SQLite database (WAL, synchronous=FULL)
 *	ledger.key	the signing key (0600; see ledger/keys.h)
 *	ledger.pub	its verifier key line
 *	ledger.checkpoint  the newest signed checkpoint (ledger/tree.h)
 *
 * A store is opened by one thread at a time: the daemon gives its writer
 * (the sequencer) one handle and each reader thread its own.  Readers see a
 * consistent snapshot per call (WAL); they never block the writer.
 */
#ifndef LEDGER_STORE_H
#define LEDGER_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger/entry.h"
#include "ledger/error.h"
#include "ledger/keys.h"
#include "ledger/query.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LEDGER_DB_FILE "ledger.db"
#define LEDGER_KEY_FILE "ledger.key"
#define LEDGER_PUB_FILE "ledger.pub"
/* A data directory whose log is in PostgreSQL names it here
 * (ledger_store_init_at). */
#define LEDGER_DATABASE_FILE "ledger.database"

/* Most events ledger_store_append takes at once. */
#define LEDGER_BATCH_MAX 4096

/* Open flags. */
#define LEDGER_STORE_READONLY	0x1	/* no key, no writes, no migrations */
#define LEDGER_STORE_MANUAL_WAL	0x2	/* writer: checkpoint inline only past
					   4 MiB of WAL; call
					   ledger_store_wal_checkpoint from
					   another handle to keep it short */
#define LEDGER_STORE_NOKEY	0x4	/* read-write without the key: for
					   tokens and WAL checkpoints only */

struct ledger_store;

/*
 * Create a data directory: dir itself (mode 0700; an existing empty
 * directory is fine), a new key named origin, its verifier key line, and
 * an empty database at the newest schema.  Refuses to touch a directory
 * that already holds a key or database (LEDGER_EEXIST): it never
 * overwrites a key.  origin must be a valid signed-note key name (non-empty,
 * printable, no spaces or '+').
 * Errors: LEDGER_EINVAL, LEDGER_EEXIST, LEDGER_EIO, LEDGER_EDB.
 */
enum ledger_status ledger_store_init(const char *dir, const char *origin,
    struct ledger_error *err) LEDGER_WUR;

/* Write a new default origin, "<hostname>/ledgerd/<8 random hex digits>"
 * (the host name reduced to letters, digits, '.' and '-'), into out: a
 * log created again on the same host gets another name, so checkpoints
 * pinned for the old one are not held against it. */
#define LEDGER_ORIGIN_MAX 256
void ledger_default_origin(char out[LEDGER_ORIGIN_MAX]);

/*
 * Open the store in dir.  Read-write opens load the signing key (whose
 * name and id must match the database) and apply pending migrations;
 * read-only opens need only the database.  Loading costs O(log n) reads,
 * never a scan.  Stores a new handle in *ret; close it with
 * ledger_store_close.
 * Errors: LEDGER_ENOTFOUND (no data directory), LEDGER_EPERM (key file
 * readable by others), LEDGER_EINVAL (newer schema, mismatched key),
 * LEDGER_EDB, LEDGER_EIO.
 */
enum ledger_status ledger_store_open(const char *dir, unsigned flags,
    struct ledger_store **ret, struct ledger_error *err) LEDGER_WUR;

/*
 * Where a store's rows live and where its signing key comes from, apart:
 * the rows' location is the backend's (for "sqlite", the default, a data
 * directory holding ledger.db); the key is a file of its own (a key
 * stored away from the database, or on other media).  ledger_store_open
 * is this with location = key_file's directory = dir.
 */
struct ledger_store_config {
	const char *backend;		/* "sqlite" (NULL) or "postgresql" */
	const char *location;		/* sqlite: the data directory;
					   postgresql: a libpq connection
					   string or URI */
	const char *log;		/* postgresql: the log's name (NULL:
					   the database's only log) */
	const char *key_file;		/* the signing key (NULL: location's
					   ledger.key); unused read-only */
	const char *pub_file;		/* the verifier key line (NULL:
					   location's ledger.pub) */
	const char *state_dir;		/* where ledger.checkpoint is kept
					   (NULL: location; postgresql: the
					   data directory, required by a
					   writer, NULL for a reader of a
					   database alone) */
	unsigned flags;			/* LEDGER_STORE_READONLY, _NOKEY */
	struct {
		bool manual_wal;	/* as LEDGER_STORE_MANUAL_WAL */
	} sqlite;
	/* A writer brings an older log to this schema as it opens it:
	 * progress(ctx, migrations done, of total), called before each and
	 * often during one (may be NULL); non-zero stops (LEDGER_ECANCELED;
	 * the one under way is rolled back). */
	int (*migrate_progress)(void *ctx, uint64_t done, uint64_t total);
	void *migrate_ctx;
};

/*
 * The same as ledger_store_init, with the log in PostgreSQL when database
 * is a connection string (NULL: SQLite in dir): the key in dir, the log
 * (named origin) in the database, and dir/ledger.database (0600) naming
 * both, so that ledger_store_open(dir) finds it.  Refuses a log the
 * database already holds (LEDGER_EEXIST).
 */
enum ledger_status ledger_store_init_at(const char *dir, const char *origin,
    const char *database, struct ledger_error *err) LEDGER_WUR;

/*
 * Open the log of dir (its ledger.database names a PostgreSQL log, else
 * its SQLite database), or with database the log (the directory's, or
 * log; NULL: the database's only one) in that database: a read replica,
 * or another address of the same.  dir may be NULL with a database for a
 * read-only open (no key, no pin).  Errors: ledger_store_open's, and
 * LEDGER_EPERM (ledger.database readable by others: it may hold a
 * password), LEDGER_EDB (the database cannot be reached).
 */
enum ledger_status ledger_store_open_at(const char *dir, const char *database,
    const char *log, unsigned flags, struct ledger_store **ret,
    struct ledger_error *err) LEDGER_WUR;

/* dir's ledger.database: read it (LEDGER_ENOTFOUND when there is none;
 * both strings malloc'd), or write it atomically, mode 0600. */
enum ledger_status ledger_database_read(const char *dir, char **database,
    char **log, struct ledger_error *err) LEDGER_WUR;
enum ledger_status ledger_database_write(const char *dir, const char *database,
    const char *log, struct ledger_error *err) LEDGER_WUR;

/* Open a store as c says.  Errors: those of ledger_store_open, and
 * LEDGER_EINVAL for an unknown backend. */
enum ledger_status ledger_store_open_config(
    const struct ledger_store_config *c, struct ledger_store **ret,
    struct ledger_error *err) LEDGER_WUR;

/* Close and free; the signing key is wiped.  NULL-safe. */
void ledger_store_close(struct ledger_store *s);

/* The log's origin and key id, as recorded in the database.  The string
 * is owned by s. */
const char *ledger_store_origin(const struct ledger_store *s);
uint32_t ledger_store_key_id(const struct ledger_store *s);

/* The verifier key of the data directory (ledger.pub), loaded on open.
 * NULL if ledger.pub is missing.  Owned by s. */
const struct ledger_vkey *ledger_store_vkey(const struct ledger_store *s);

/* What a sender gets back for an appended (or already present) event. */
struct ledger_receipt {
	uint64_t seq;
	int64_t time_ms;
	uint8_t leaf[LEDGER_HASH_BYTES];
	uint8_t sig[LEDGER_SIG_BYTES];
	uint32_t key_id;
	bool duplicate;		/* the delivery was already in the log */
};

/*
 * Append n (1..LEDGER_BATCH_MAX) events in one transaction: for each, in
 * order, find an earlier entry with the same (source name, delivery id)
 * and return its receipt, or else assign seq and time, fill log, key and
 * prev, encode, hash, sign, and insert the entry, its payload and its
 * Merkle tree hashes.  The head row is updated and the transaction
 * committed before this returns LEDGER_OK: every receipt is then durable.
 * On any failure nothing of the batch is visible and the store's state is
 * as before the call (retry later).  Events are not modified.
 * Errors: LEDGER_EINVAL (an event lacks source name/type or payload),
 * LEDGER_EEXIST (an event's delivery id is in the log, or earlier in the
 * batch, with a different payload: a conflict, not a retry),
 * LEDGER_EDB (database error or busy past the timeout; the message says
 * which), LEDGER_EIO (disk full or I/O error), LEDGER_ENOMEM.
 */
enum ledger_status ledger_store_append(struct ledger_store *s,
    struct ledger_event *const *evs, size_t n, struct ledger_receipt *ret,
    struct ledger_error *err) LEDGER_WUR;

/*
 * For a writer about to ingest at a high rate (ledgerd at start): build
 * the delivery filter now, from the whole log under the write lock, rather
 * than inside the batch that first needs it (a stall of a second or more
 * on a log of millions).  Optional: any writer builds it on its own once
 * it has appended a few hundred events.  Errors: LEDGER_EINVAL (not a
 * writer), LEDGER_EDB, LEDGER_EIO.
 */
enum ledger_status ledger_store_prepare_ingest(struct ledger_store *s,
    struct ledger_error *err) LEDGER_WUR;

/* The number of entries (committed), read from the head row. */
enum ledger_status ledger_store_size(struct ledger_store *s, uint64_t *ret,
    struct ledger_error *err) LEDGER_WUR;

/*
 * The first seq recorded at time_ms or later by the ledger's clock (the
 * log's size when none is), by bisection: entry times never decrease.
 * Errors: LEDGER_EDB.
 */
enum ledger_status ledger_store_seq_at_time(struct ledger_store *s,
    int64_t time_ms, uint64_t *ret, struct ledger_error *err) LEDGER_WUR;

/*
 * The log at a glance, from one snapshot:
 * {"origin","log_size","oldest":{"seq","time"}|null,"newest":...,
 *  "checkpoint":{"size","time","age_s","behind","beyond_log","verified",
 *  "key_id"}|null,
 *  "keys":[{"key_id","from_seq","until_seq","revoked_from_seq","vkey"}],
 *  "pruned":[],"holds":[],"disk":{"database_bytes","wal_bytes"}}
 * ("behind": entries no checkpoint covers yet; "beyond_log": entries the
 * checkpoint signed that the log no longer has, a rollback; "verified":
 * its signature checks with the data directory's key, whose id "key_id"
 * names; this is a glance, `verify` is the check).  Errors: LEDGER_EDB,
 * LEDGER_ENOMEM.
 */
struct ledger_buf;
enum ledger_status ledger_store_status_json(struct ledger_store *s,
    struct ledger_buf *out, struct ledger_error *err) LEDGER_WUR;

/* The time of entry seq; LEDGER_ENOTFOUND past the end. */
enum ledger_status ledger_store_time_of(struct ledger_store *s,
    uint64_t seq, int64_t *ret, struct ledger_error *err) LEDGER_WUR;

/* One stored entry: its exact bytes, signature and decoded columns. */
struct ledger_row {
	struct ledger_entry e;		/* from the indexed columns */
	uint8_t *entry;			/* the canonical bytes, malloc'd */
	size_t entry_len;
	uint8_t sig[LEDGER_SIG_BYTES];
};

/* Free the row's memory and zero it.  NULL-safe. */
void ledger_row_release(struct ledger_row *r);

/* A deep copy of src into dst (a query's row is valid only in its
 * callback); false, dst zeroed, when out of memory. */
bool ledger_row_copy(struct ledger_row *dst, const struct ledger_row *src);
/* The same without the entry bytes (entry NULL, entry_len 0). */
bool ledger_row_copy_fields(struct ledger_row *dst,
    const struct ledger_row *src);

/* Read entry seq into *ret (caller-allocated; ledger_row_release).
 * Errors: LEDGER_ENOTFOUND, LEDGER_EDB, LEDGER_ENOMEM. */
enum ledger_status ledger_store_get(struct ledger_store *s, uint64_t seq,
    struct ledger_row *ret, struct ledger_error *err) LEDGER_WUR;

/* The raw payload bytes of entry seq, decompressed (at most
 * LEDGER_PAYLOAD_MAX bytes).  *ret is malloc'd (free(3)).
 * Errors: LEDGER_ENOTFOUND, LEDGER_EINVAL (corrupt), LEDGER_EDB. */
#define LEDGER_PAYLOAD_MAX (64u << 20)
enum ledger_status ledger_store_get_payload(struct ledger_store *s,
    uint64_t seq, uint8_t **ret, size_t *ret_len, struct ledger_error *err)
    LEDGER_WUR;

/*
 * Call fn for each row matching q (ledger/query.h), in seq order, within
 * one read snapshot, at most q->limit of them.  Lookup keys find the
 * candidates; ledger_query_match decides, so a key collision never
 * returns a wrong row.
 * The row is valid only during the call.  fn returns 0 to go on, non-zero
 * to stop (then ledger_store_query returns LEDGER_OK).
 * Errors: LEDGER_EINVAL, LEDGER_EDB, LEDGER_ENOMEM.
 */
enum ledger_status ledger_store_query(struct ledger_store *s,
    const struct ledger_query *q,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    struct ledger_error *err) LEDGER_WUR;

/*
 * The same, reading at most max_scan candidate rows (0: no bound): a
 * filter that has no lookup key (a commit prefix, a url) reads the whole
 * seq range, and a server must bound the work of one request.  When the
 * budget runs out before the range or the limit, *ret_resume (may be
 * NULL) gets the seq of the last row read, to go on with after_seq;
 * otherwise -1.
 */
enum ledger_status ledger_store_query_page(struct ledger_store *s,
    const struct ledger_query *q,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    uint64_t max_scan, int64_t *ret_resume, struct ledger_error *err)
    LEDGER_WUR;

/*
 * The headers the sender of entry seq's delivery authenticated and
 * identified it with (a webhook's signature, timestamp, delivery id and
 * event; never a bearer secret), as the JSON object stored beside the
 * payload; *ret is malloc'd.  They are not part of the signed entry: they
 * let the signature be re-checked with the source's secret, against the
 * payload whose hash the entry signs.
 * Errors: LEDGER_ENOTFOUND (none stored), LEDGER_EDB, LEDGER_ENOMEM.
 */
enum ledger_status ledger_store_get_headers(struct ledger_store *s,
    uint64_t seq, char **ret, struct ledger_error *err) LEDGER_WUR;

/*
 * Can the store write now?  The database file must still be the one
 * opened (not removed or replaced: ledger_store_append checks that before
 * every COMMIT), and the data directory must take a 4 KiB file, fsynced.
 * For a daemon whose last write failed (a full disk), to turn healthy
 * again without waiting for a client's write.
 * Errors: LEDGER_EIO (the message says which), LEDGER_ENOMEM.
 */
enum ledger_status ledger_store_probe(struct ledger_store *s,
    struct ledger_error *err) LEDGER_WUR;

/*
 * Can the store be reached now, without writing anything?  SQLite: the
 * database file is still the one opened.  PostgreSQL: one round trip,
 * reconnecting first if the connection was lost (for /readyz, which must
 * say "unavailable" during an outage before any client write finds it).
 * Not inside a transaction of this handle.
 * Errors: LEDGER_EDB (unreachable), LEDGER_EIO (the file replaced).
 */
enum ledger_status ledger_store_ping(struct ledger_store *s,
    struct ledger_error *err) LEDGER_WUR;

/* Run a passive WAL checkpoint (for writers opened with
 * LEDGER_STORE_MANUAL_WAL; safe from another thread's own handle). */
enum ledger_status ledger_store_wal_checkpoint(struct ledger_store *s,
    struct ledger_error *err) LEDGER_WUR;

/*
 * A step of merging the lookup-key index, writing at most `pages` pages
 * (4 KiB), in its own short write transaction; nothing when nothing is
 * to merge.  Every commit adds a small segment to the index and a lookup
 * probes each segment, so a log appended in small batches answers
 * lookups several times slower than a merged one (docs/performance.md,
 * "Answers"); ledgerd runs a step from its maintenance tick.  Safe from
 * another thread's own read-write handle.  Errors: LEDGER_EDB.
 */
#define LEDGER_MERGE_STEP_PAGES 128
enum ledger_status ledger_store_merge_keys(struct ledger_store *s,
    unsigned pages, struct ledger_error *err) LEDGER_WUR;

/*
 * Begin merging the whole lookup-key index into one segment (FTS5's
 * incremental optimize): this call merges at most `pages` pages, and
 * ledger_store_merge_keys steps finish it.  Merge steps alone leave about
 * one segment a level (seven at a million entries); settled, every lookup
 * probes one, which halves the answers' time (docs/performance.md,
 * "Answers").  It rewrites the whole index once, so ledgerd does it only
 * when ledger_keys_settle_due says so.  *ret_started (may be NULL):
 * whether it began; not where the backend has no segments (PostgreSQL).
 * Errors: LEDGER_EDB.
 */
enum ledger_status ledger_store_settle_keys(struct ledger_store *s,
    unsigned pages, bool *ret_started, struct ledger_error *err) LEDGER_WUR;

/*
 * When to settle: after LEDGER_SETTLE_QUIET_TICKS maintenance ticks in a
 * row with no entry appended, once enough has been appended since the last
 * settle (at least LEDGER_SETTLE_MIN_ENTRIES and a sixteenth of the log,
 * so rewriting the index costs each entry at most sixteen times its own
 * terms).  Call once a tick with the log's size; true: settle now.  Zero
 * the state to start (the first quiet spell settles what is there).
 */
#define LEDGER_SETTLE_QUIET_TICKS 50	/* 10 s of 200 ms ticks */
#define LEDGER_SETTLE_MIN_ENTRIES 1000
struct ledger_keys_settle {
	uint64_t size;			/* at the last tick */
	uint64_t settled;		/* at the last settle */
	unsigned quiet;			/* ticks without an append */
};
bool ledger_keys_settle_due(struct ledger_keys_settle *st, uint64_t size);
/* The settle ledger_keys_settle_due asked for has begun (one that failed
 * is asked for again in the next quiet spell). */
void ledger_keys_settled(struct ledger_keys_settle *st);

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_STORE_H */
