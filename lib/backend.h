/*
 * backend.h - what a storage backend provides to the store
 *
 * The store (lib/store.c, tree.c, token.c, verify.c) makes the decisions:
 * sequencing, encoding, signing, the delivery filter, restoring the head
 * on rollback, what a verification checks.  A backend only keeps rows and
 * finds them again: the entries (their canonical bytes, signature and
 * columns), payloads, stored Merkle hashes, lookup terms, checkpoints,
 * tokens, the head and a few named values.  The SQLite backend
 * (lib/store-sqlite*.c) is the only code that holds SQL.
 *
 * Conventions: every operation returns a status and fills err; LEDGER_EDB
 * for the backend's own failures, LEDGER_EIO for the disk (errno ENOSPC
 * when full), LEDGER_ENOTFOUND for an absent row.  Rows come back with
 * e.log set to the log's origin (meta "origin").  Callbacks return nonzero
 * to stop the scan early (not an error).  Writes happen between
 * begin_write and commit; a failed operation leaves the transaction for
 * the caller to roll back.
 */
#ifndef LEDGER_BACKEND_H
#define LEDGER_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/entry.h"
#include "ledger/error.h"
#include "ledger/store.h"
#include "ledger/tree.h"

struct ledger_backend;
struct ledger_prune_plan;
struct ledger_be_cursor;

/* What a backend holds beyond the basics (bits of caps()). */
enum {
	LEDGER_BE_LOOKUP_KEYS = 1 << 0,	/* lookup terms (else scans) */
	LEDGER_BE_BODY_KEYS = 1 << 1,	/* every entry has its body term */
	LEDGER_BE_HEADERS = 1 << 2,	/* evidence headers beside payloads */
	LEDGER_BE_INDEX_CHECK = 1 << 3,	/* term instances can be listed */
	LEDGER_BE_KIND_KEYS = 1 << 4,	/* every entry has its schema 8
					   terms (kind-qualified, place) */
};

struct ledger_be_head {
	uint64_t size;
	uint8_t last_leaf[LEDGER_HASH_BYTES];
	int64_t last_time_ms;
};

/* One new entry's rows. */
struct ledger_be_insert {
	const struct ledger_entry *e;	/* seq, time, key id, prev, columns */
	const uint8_t *entry;		/* its canonical bytes */
	size_t entry_len;
	const uint8_t *sig;		/* LEDGER_SIG_BYTES */
	const char *terms;		/* lookup terms, space-separated, or
					   NULL for none (lib/lookup.h) */
	const uint8_t *payload_z;	/* the compressed payload; NULL: no
					   payload row (a pruned entry, copied) */
	size_t payload_zlen;
	const char *headers;		/* evidence headers, or NULL */
};

/* A stored checkpoint row as a scan reads it (note borrowed until the
 * next call). */
struct ledger_be_checkpoint {
	uint64_t size;
	uint8_t root[LEDGER_HASH_BYTES];
	bool bad_root;			/* the stored root is not 32 bytes */
	const char *note;
	size_t note_len;
};

typedef int (*ledger_be_row_fn)(void *ctx, const struct ledger_row *row);

/* The shapes of ledger_backend.narrow, each with its argument, in seq
 * order: the approvals of the environment arg; the builds and changes
 * among the entries that match the lookup expression arg (as list takes
 * it); the deployments and rollbacks of the environment arg with
 * lo <= seq < hi. */
enum ledger_narrow {
	LEDGER_NARROW_APPROVALS,
	LEDGER_NARROW_AUTHORS,
	LEDGER_NARROW_DEPLOYMENTS,
};

/* A row of the tokens table: scope as stored ("read", "write"), the
 * token's SHA-256 (hash_len bytes), label, times (revoked 0 when live),
 * the identity it is bound to (NULL: none; schema 10). */
struct ledger_token_row {
	int64_t id;
	const char *scope;
	const uint8_t *hash;
	size_t hash_len;
	const char *label;
	int64_t created_ms;
	int64_t revoked_ms;
	const char *identity;
};

struct ledger_backend_ops {
	const char *name;
	void (*close)(struct ledger_backend *b);
	unsigned (*caps)(const struct ledger_backend *b);

	/* Transactions: one writer at a time (begin_write waits for the
	 * others), readers see one snapshot from begin_read to commit. */
	enum ledger_status (*begin_write)(struct ledger_backend *b,
	    struct ledger_error *err);
	enum ledger_status (*begin_read)(struct ledger_backend *b,
	    struct ledger_error *err);
	enum ledger_status (*commit)(struct ledger_backend *b,
	    struct ledger_error *err);
	void (*rollback)(struct ledger_backend *b);	/* none open: no-op */
	/* Is the storage still the one opened (not deleted or replaced)?
	 * Checked before every commit that acknowledges events. */
	enum ledger_status (*check_alive)(struct ledger_backend *b,
	    struct ledger_error *err);
	/* Housekeeping after a writer's commit (SQLite: a passive WAL
	 * checkpoint); never blocks on readers. */
	enum ledger_status (*maintain)(struct ledger_backend *b,
	    struct ledger_error *err);
	/* A bounded step of merging the lookup-key index, in its own write
	 * transaction (ledger_store_merge_keys); a no-op where there is
	 * nothing to merge or no such index. */
	enum ledger_status (*merge_keys)(struct ledger_backend *b,
	    unsigned pages, struct ledger_error *err);
	/* Begin merging the whole lookup-key index into one segment: this
	 * step merges at most `pages` pages, and merge_keys steps go on
	 * with it (ledger_store_settle_keys).  Optional (NULL: no segments
	 * to settle). */
	enum ledger_status (*settle_keys)(struct ledger_backend *b,
	    unsigned pages, struct ledger_error *err);
	/* Check the backend's own indexes that answers read (the narrow
	 * op's) against their rows, giving each problem to fn with the seq
	 * it names (-1: none).  Optional (NULL: no such indexes). */
	enum ledger_status (*check_indexes)(struct ledger_backend *b,
	    void (*fn)(void *ctx, int64_t seq, const char *what), void *ctx,
	    struct ledger_error *err);
	/* Retention (lib/retention.c): one step of deleting pruned
	 * payloads in its own write transaction, raising the recorded mark
	 * to before_seq (a step that fails leaves p as it was); giving free
	 * pages back (ledger_store_vacuum). */
	enum ledger_status (*prune_step)(struct ledger_backend *b,
	    uint64_t before_seq, unsigned max, bool (*held)(void *ctx,
	    uint64_t seq, int64_t time_ms, const char *env), void *ctx,
	    struct ledger_prune_plan *p, struct ledger_error *err);
	/* The entries in [lo, hi), not the ledger's own, of env (NULL:
	 * any) and time in [since, until) (0: open), whose payload row is
	 * gone, in seq order, until fn stops (verify's hold check). */
	enum ledger_status (*missing_payloads)(struct ledger_backend *b,
	    uint64_t lo, uint64_t hi, const char *env, int64_t since_ms,
	    int64_t until_ms, int (*fn)(void *ctx, uint64_t seq,
	    int64_t time_ms, const char *env), void *ctx,
	    struct ledger_error *err);
	enum ledger_status (*vacuum)(struct ledger_backend *b, unsigned pages,
	    bool full, uint64_t *ret_free_bytes, bool *ret_incremental,
	    struct ledger_error *err);

	/* A named value (malloc'd); LEDGER_EINVAL when the log has none
	 * (a log without its origin is not a ledger). */
	enum ledger_status (*meta_get)(struct ledger_backend *b,
	    const char *name, char **ret, struct ledger_error *err);
	enum ledger_status (*meta_set)(struct ledger_backend *b,
	    const char *name, const char *value, struct ledger_error *err);
	enum ledger_status (*head_read)(struct ledger_backend *b,
	    struct ledger_be_head *ret, struct ledger_error *err);
	enum ledger_status (*head_write)(struct ledger_backend *b,
	    const struct ledger_be_head *h, struct ledger_error *err);

	/* ---- appending ---- */
	enum ledger_status (*insert_entry)(struct ledger_backend *b,
	    const struct ledger_be_insert *in, struct ledger_error *err);
	enum ledger_status (*insert_tree)(struct ledger_backend *b,
	    uint64_t id, const uint8_t hash[LEDGER_HASH_BYTES],
	    struct ledger_error *err);
	/* The first entry of source with this delivery id; term is its
	 * delivery lookup term.  *found false when there is none. */
	enum ledger_status (*find_delivery)(struct ledger_backend *b,
	    const char *source, const char *delivery, const char *term,
	    struct ledger_row *ret, bool *found, struct ledger_error *err);
	/* The entries of source with this payload hash under body term
	 * term, in seq order, until fn stops. */
	enum ledger_status (*find_body)(struct ledger_backend *b,
	    const char *source, const uint8_t sha256[LEDGER_HASH_BYTES],
	    const char *term, ledger_be_row_fn fn, void *ctx,
	    struct ledger_error *err);
	/* Every distinct term in [lo, hi) (byte order), until fn stops. */
	enum ledger_status (*scan_terms)(struct ledger_backend *b,
	    const char *lo, const char *hi,
	    int (*fn)(void *ctx, const char *term, size_t len), void *ctx,
	    struct ledger_error *err);

	/* ---- reading ---- */
	enum ledger_status (*get_row)(struct ledger_backend *b, uint64_t seq,
	    struct ledger_row *ret, struct ledger_error *err);
	/* The compressed payload (malloc'd). */
	enum ledger_status (*get_payload)(struct ledger_backend *b,
	    uint64_t seq, uint8_t **ret, size_t *ret_len,
	    struct ledger_error *err);
	enum ledger_status (*get_headers)(struct ledger_backend *b,
	    uint64_t seq, char **ret, struct ledger_error *err);
	/* The Merkle reader (lib/merkle.h); a missing or malformed hash is
	 * LEDGER_ECHAIN. */
	enum ledger_status (*read_hashes)(struct ledger_backend *b,
	    const uint64_t *indexes, size_t count,
	    uint8_t (*out)[LEDGER_HASH_BYTES], struct ledger_error *err);
	/* One past the highest seq stored (0: none). */
	enum ledger_status (*log_end)(struct ledger_backend *b, uint64_t *ret,
	    struct ledger_error *err);
	/* The first entry at seq or after: its seq and time; *found false
	 * past the end. */
	enum ledger_status (*seq_time)(struct ledger_backend *b, uint64_t seq,
	    uint64_t *ret_seq, int64_t *ret_time, bool *found,
	    struct ledger_error *err);
	/* The entries with lo <= seq < hi, in seq order, that match the
	 * lookup expression terms ("(a OR b) AND c"; NULL: all), until fn
	 * stops. */
	enum ledger_status (*list)(struct ledger_backend *b, const char *terms,
	    uint64_t lo, uint64_t hi, ledger_be_row_fn fn, void *ctx,
	    struct ledger_error *err);
	/* One of the answers' reads from covering indexes, without the
	 * entries themselves (enum ledger_narrow).  A narrow row has seq,
	 * time, kind, source name and type, and the subject's actor,
	 * artifact, commit, environment, pipeline, run and status (a
	 * deployment's also its source auth, deployment id, service, ticket
	 * and url); the entry bytes are empty and the other fields unset.
	 * *done false: this backend (or its schema) has no such index, and
	 * nothing was read; the op may be NULL, meaning the same. */
	enum ledger_status (*narrow)(struct ledger_backend *b,
	    enum ledger_narrow shape, const char *arg, uint64_t lo,
	    uint64_t hi, ledger_be_row_fn fn, void *ctx, bool *done,
	    struct ledger_error *err);

	/* ---- checkpoints ---- */
	enum ledger_status (*checkpoint_insert)(struct ledger_backend *b,
	    const struct ledger_signed_checkpoint *cp,
	    struct ledger_error *err);
	/* The one of exactly size, the newest, the largest of at most
	 * size or the smallest of at least size (enum ledger_cp_which). */
	enum ledger_status (*checkpoint_get)(struct ledger_backend *b,
	    int which, uint64_t size, struct ledger_signed_checkpoint *ret,
	    struct ledger_error *err);

	/* ---- tokens (hashes only; lib/token.c decides) ---- */
	/* t->id is ignored; *ret_id gets the new one. */
	enum ledger_status (*token_insert)(struct ledger_backend *b,
	    const struct ledger_token_row *t, int64_t *ret_id,
	    struct ledger_error *err);
	/* *changed: a live token of that id was revoked now. */
	enum ledger_status (*token_revoke)(struct ledger_backend *b,
	    int64_t id, int64_t when_ms, bool *changed,
	    struct ledger_error *err);
	enum ledger_status (*token_live)(struct ledger_backend *b, int64_t id,
	    bool *ret, struct ledger_error *err);
	enum ledger_status (*token_count)(struct ledger_backend *b,
	    int64_t *ret, struct ledger_error *err);
	/* Every token in id order (live and revoked); fn's non-zero stops
	 * the scan. */
	enum ledger_status (*token_scan)(struct ledger_backend *b,
	    int (*fn)(void *ctx, const struct ledger_token_row *t), void *ctx,
	    struct ledger_error *err);

	/* ---- the scans verify needs, inside begin_read ---- */
	/* Every entry in seq order with its compressed payload (NULL when
	 * the payload row is missing). */
	enum ledger_status (*open_rows)(struct ledger_backend *b,
	    struct ledger_be_cursor **ret, struct ledger_error *err);
	enum ledger_status (*next_row)(struct ledger_be_cursor *c,
	    struct ledger_row *ret, uint8_t **ret_payload_z,
	    size_t *ret_zlen, bool *end, struct ledger_error *err);
	/* The stored Merkle hashes in id order; *bad_len when a hash is not
	 * 32 bytes. */
	enum ledger_status (*open_tree)(struct ledger_backend *b,
	    struct ledger_be_cursor **ret, struct ledger_error *err);
	enum ledger_status (*next_tree)(struct ledger_be_cursor *c,
	    uint64_t *ret_id, uint8_t hash[LEDGER_HASH_BYTES], bool *bad_len,
	    bool *end, struct ledger_error *err);
	/* The stored checkpoints by size. */
	enum ledger_status (*open_checkpoints)(struct ledger_backend *b,
	    struct ledger_be_cursor **ret, struct ledger_error *err);
	enum ledger_status (*next_checkpoint)(struct ledger_be_cursor *c,
	    struct ledger_be_checkpoint *ret, bool *end,
	    struct ledger_error *err);
	/* With LEDGER_BE_INDEX_CHECK: every (term, seq) of the lookup
	 * terms, by term then seq; the term is borrowed until the next
	 * call. */
	enum ledger_status (*open_terms)(struct ledger_backend *b,
	    struct ledger_be_cursor **ret, struct ledger_error *err);
	enum ledger_status (*next_term)(struct ledger_be_cursor *c,
	    const char **ret_term, size_t *ret_len, uint64_t *ret_seq,
	    bool *end, struct ledger_error *err);
	void (*close_cursor)(struct ledger_be_cursor *c);	/* NULL-safe */
};

/* Every backend's state begins with this. */
struct ledger_backend {
	const struct ledger_backend_ops *ops;
};

#endif
