/*
 * ledger/verify.h - prove, or disprove, that a stored log is intact
 *
 * ledger_verify_store recomputes everything from the stored entry bytes and
 * trusts no stored hash: every leaf hash, every prev link, every signature
 * (spread over all cores), seq continuity, each payload against its hash,
 * and that every indexed column equals the value inside the entry bytes
 * (otherwise editing a column would hide an event from queries while the
 * chain still verifies).  It reads one consistent snapshot, so a database
 * in use by a writer can be verified while it grows.
 *
 * What a hash chain alone cannot show: that the newest entries were not
 * dropped.  The head row records the log's size and is checked, but whoever
 * can edit the database can edit it too; signed checkpoints held elsewhere
 * close that gap (docs/FORMAT.md).
 */
#ifndef LEDGER_VERIFY_H
#define LEDGER_VERIFY_H

#include <stdint.h>

#include "ledger/error.h"
#include "ledger/keys.h"
#include "ledger/store.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ledger_problem {
	LEDGER_PROB_MODIFIED,		/* entry bytes changed */
	LEDGER_PROB_MISSING,		/* a seq is absent (deleted) */
	LEDGER_PROB_REORDERED,		/* an authentic entry at the wrong seq */
	LEDGER_PROB_INSERTED,		/* a row the log never appended */
	LEDGER_PROB_BAD_SIGNATURE,	/* authentic bytes, signature invalid */
	LEDGER_PROB_UNKNOWN_KEY,	/* signed by a key neither trusted nor
					   announced by the log */
	LEDGER_PROB_PAYLOAD_MISMATCH,	/* payload missing or not its hash */
	LEDGER_PROB_INDEX_MISMATCH,	/* an indexed column differs */
	LEDGER_PROB_TREE_MISMATCH,	/* a stored Merkle hash is wrong */
	LEDGER_PROB_BAD_CHECKPOINT,	/* a checkpoint's signature or root
					   does not match the entries */
	LEDGER_PROB_KEY_NOT_VALID,	/* signed by a key of the log outside
					   its validity (before announced,
					   after replaced, revoked), or a key
					   record that does not hold */
	LEDGER_PROB_COUNT
};

/* "modified", "missing", ...; NULL for an out-of-range value. */
const char *ledger_problem_name(enum ledger_problem p);

struct ledger_verify_opts {
	const struct ledger_vkey *keys;	/* the keyring; see below */
	size_t nkeys;
	int threads;			/* 0: one per online core */
	/* A payload missing below this seq waits for a payloads-pruned
	 * record covering it (ledger/retention.h): pruned, not missing.
	 * A hint (the store's recorded mark); only the record decides.
	 * 0: report every missing payload at once. */
	uint64_t payloads_pruned_below;
	/* Called after each chunk of entries with how many were walked and
	 * how many the log holds (may be NULL).  Non-zero stops the walk:
	 * the verify then returns LEDGER_ECANCELED, its report saying how
	 * far it got. */
	int (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct ledger_verify_report {
	uint64_t entries;		/* rows examined */
	uint64_t head_size;		/* the size the head row records */
	uint64_t problems;		/* problems reported */
	uint64_t count[LEDGER_PROB_COUNT];
	bool has_first_bad;
	uint64_t first_bad_seq;		/* lowest seq with a problem */
	uint64_t pruned;		/* payloads pruned, as recorded */
	uint64_t pruned_before;		/* the highest record's range end */
};

/*
 * Called once per problem, in seq order (a run of missing entries is one
 * call naming the first seq and "N entries" in detail).  detail is a short
 * message valid during the call.
 */
typedef void (*ledger_verify_fn)(void *ctx, uint64_t seq,
    enum ledger_problem p, const char *detail);

/*
 * Verify the whole log of s against the keyring in opts (when nkeys is 0,
 * the data directory's own ledger.pub; an auditor should pass a key held
 * elsewhere).  Problems go to fn (may be NULL) and are counted in *report.
 * Returns LEDGER_OK when the check ran to the end, whatever it found; look
 * at report->problems.  Returns an error only when it could not check.
 * Errors: LEDGER_EINVAL (no key), LEDGER_EDB, LEDGER_ENOMEM.
 */
enum ledger_status ledger_verify_store(struct ledger_store *s,
    const struct ledger_verify_opts *opts, ledger_verify_fn fn, void *ctx,
    struct ledger_verify_report *report, struct ledger_error *err)
    LEDGER_WUR;

/*
 * A tail: what was appended to a store since the last step, checked as
 * ledger_verify_store checks it (entry bytes, links, signatures, the key
 * history, the indexed columns, and each checkpoint the new entries
 * reach), at the cost of what was appended.  The first steps walk the log
 * from seq 0.  Payloads, the stored tree hashes and the lookup terms are
 * left to the whole-log walk.  A head that shrinks below what a step saw
 * is reported as missing entries.  Problems go to fn as they are found.
 * The keys: as for ledger_verify_store (opts->keys, else s's ledger.pub;
 * s must then outlive the tail).
 */
struct ledger_tail;
enum ledger_status ledger_tail_new(struct ledger_store *s,
    const struct ledger_verify_opts *opts, ledger_verify_fn fn, void *ctx,
    struct ledger_tail **ret, struct ledger_error *err) LEDGER_WUR;
/* Check up to max (0: all) of the entries appended since the last step,
 * in one read snapshot of s; *ret_checked says how many; *rep (may be
 * NULL) gets the counts so far.  Errors: LEDGER_EDB, LEDGER_ENOMEM (the
 * step did not run; the next one starts at the same place). */
enum ledger_status ledger_tail_step(struct ledger_tail *t,
    struct ledger_store *s, uint64_t max, uint64_t *ret_checked,
    struct ledger_verify_report *rep, struct ledger_error *err) LEDGER_WUR;
/* The next seq a step reads: everything before it was checked. */
uint64_t ledger_tail_next(const struct ledger_tail *t);
void ledger_tail_free(struct ledger_tail *t);

/*
 * A streaming verifier, for logs that do not come from a local store: a
 * running daemon's API pages, an evidence bundle.  Feed entries in seq
 * order with ledger_verifier_add, then ledger_verifier_finish.  The same
 * checks and categories as ledger_verify_store, except the index check,
 * which needs the store's columns (pass them in columns when you have
 * them).
 */
struct ledger_verify_input {
	uint64_t seq;			/* the position the source claims */
	const uint8_t *entry;		/* the entry bytes */
	size_t entry_len;
	uint8_t sig[LEDGER_SIG_BYTES];
	const struct ledger_entry *columns;	/* NULL: no separate index */
	const uint8_t *payload;		/* NULL: not available */
	size_t payload_len;
	bool payload_compressed;	/* zlib, as the store keeps it */
	bool skip_payload;		/* do not check (caller chose not to) */
};

struct ledger_verifier;

/* head_size: how many entries the source says the log holds.  Stores a
 * new verifier in *ret (ledger_verifier_free). */
enum ledger_status ledger_verifier_new(const struct ledger_verify_opts *opts,
    uint64_t head_size, ledger_verify_fn fn, void *ctx,
    struct ledger_verifier **ret, struct ledger_error *err) LEDGER_WUR;
/* Check n entries (any n; the next seq expected follows the last one).
 * The inputs may be freed when this returns. */
enum ledger_status ledger_verifier_add(struct ledger_verifier *v,
    const struct ledger_verify_input *in, size_t n,
    struct ledger_error *err) LEDGER_WUR;
/* Settle what is pending, check the end against head_size, fill *report. */
void ledger_verifier_finish(struct ledger_verifier *v,
    struct ledger_verify_report *report);
/* The report so far, without settling anything (a stopped walk). */
void ledger_verifier_peek(const struct ledger_verifier *v,
    struct ledger_verify_report *report);
void ledger_verifier_free(struct ledger_verifier *v);

/*
 * Call fn(ctx, seq, leaf hash) for every entry, in order, as long as no
 * problem has been found: for checks that build on an intact chain (the
 * Merkle tree, checkpoints).  fn may report problems with
 * ledger_verifier_report.
 */
void ledger_verifier_on_leaf(struct ledger_verifier *v,
    void (*fn)(void *ctx, struct ledger_verifier *v, uint64_t seq,
    const uint8_t leaf[LEDGER_HASH_BYTES]), void *ctx);
void ledger_verifier_report(struct ledger_verifier *v, uint64_t seq,
    enum ledger_problem p, const char *fmt, ...) LEDGER_PRINTF(4, 5);

/*
 * The one check that a signed tree matches its entries: f holds the
 * leaves so far (its size is cp->size); unless its root is cp->root,
 * report LEDGER_PROB_BAD_CHECKPOINT at seq, naming both roots.  cp has
 * been verified (ledger_checkpoint_verify).  Returns whether they match.
 */
struct ledger_merkle_frontier;
struct ledger_signed_checkpoint;
bool ledger_verifier_check_root(struct ledger_verifier *v, uint64_t seq,
    const struct ledger_merkle_frontier *f,
    const struct ledger_signed_checkpoint *cp);

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_VERIFY_H */
