/*
 * ledger/retention.h - pruning old payloads, legal holds
 *
 * A retention policy deletes the raw payloads (and the delivery headers
 * kept beside them) of old entries.  Entries, hashes, the Merkle tree and
 * checkpoints stay, so every proof still holds.  Everything is recorded in
 * the log itself, as `ledger` entries whose payload says what was done:
 *
 *   payloads-pruned  {"event","before_seq","before"?,"holds":[seq...]}
 *                    payloads of entries with seq < before_seq may be gone
 *   hold-added       {"event","reason","environment"?,"since"?,"until"?,
 *                     "from_seq"?,"to_seq"?}: keep the matching payloads
 *   hold-released    {"event","hold_seq","reason"}
 *
 * Each carries its event name as its status, so its lookup term finds the
 * few among millions.  The record of a prune is appended (and durable)
 * before anything is deleted; ledger entries' own payloads are never
 * pruned.  `verify` counts a missing payload below an authentic
 * payloads-pruned record as pruned, not missing (docs/FORMAT.md,
 * "Retention").
 */
#ifndef LEDGER_RETENTION_H
#define LEDGER_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger/entry.h"
#include "ledger/error.h"
#include "ledger/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LEDGER_EV_PRUNED "payloads-pruned"
#define LEDGER_EV_HOLD_ADDED "hold-added"
#define LEDGER_EV_HOLD_RELEASED "hold-released"

/* At most this many holds in force (more is refused when adding). */
#define LEDGER_HOLDS_MAX 1024

/* A legal hold: every component given must match (0/NULL: any). */
struct ledger_hold {
	uint64_t seq;			/* of its hold-added entry: its id */
	int64_t time_ms;		/* when it was recorded */
	char *environment;
	int64_t since_ms, until_ms;	/* time in [since, until); 0: open */
	bool has_seqs;
	uint64_t from_seq, to_seq;	/* seq in [from, to] */
	char *reason;
	bool released;
	uint64_t released_seq;
};

struct ledger_prune_record {
	uint64_t seq;			/* of the payloads-pruned entry */
	int64_t time_ms;
	uint64_t before_seq;
};

/* What the log says about retention, from its ledger entries. */
struct ledger_retention {
	struct ledger_hold *holds;	/* in seq order, released ones too */
	size_t nholds;
	struct ledger_prune_record *prunes;	/* in seq order */
	size_t nprunes;
	uint64_t pruned_before;		/* the highest before_seq, 0: none */
};

/* Read it.  A malformed record is an error (LEDGER_EINVAL naming its
 * seq): it can only come from outside ledgerd.
 * Errors: LEDGER_EINVAL, LEDGER_EDB, LEDGER_ENOMEM. */
enum ledger_status ledger_retention_read(struct ledger_store *s,
    struct ledger_retention *ret, struct ledger_error *err) LEDGER_WUR;
void ledger_retention_release(struct ledger_retention *r);

/* Does hold h (not released) keep the payload of this entry? */
bool ledger_hold_covers(const struct ledger_hold *h, uint64_t seq,
    int64_t time_ms, const char *environment);
/* Does the entry match h, released or not? */
bool ledger_hold_matches(const struct ledger_hold *h, uint64_t seq,
    int64_t time_ms, const char *environment);
/* Was h in force when the entry at seq was appended? */
bool ledger_hold_in_force_at(const struct ledger_hold *h, uint64_t seq);

/* The first payloads-pruned record that covers entry seq (its payload
 * may be gone), in *ret_record.  Errors: LEDGER_ENOTFOUND (none does),
 * as ledger_retention_read. */
enum ledger_status ledger_payload_pruned_by(struct ledger_store *s,
    uint64_t seq, uint64_t *ret_record, struct ledger_error *err)
    LEDGER_WUR;

/* Parse a record's payload (for verifiers that read entries one by one):
 * the before_seq of a payloads-pruned body.  Errors: LEDGER_EINVAL. */
enum ledger_status ledger_prune_body_parse(const uint8_t *body, size_t len,
    uint64_t *before_seq, struct ledger_error *err) LEDGER_WUR;

/*
 * The events that record a hold, its release and a prune, as source
 * source_name ("ledgerctl", "ledgerd") with auth.  A hold needs a reason
 * and at least one of environment, a period, a seq range.
 * Errors: LEDGER_EINVAL (the message says what), LEDGER_ENOMEM.
 */
enum ledger_status ledger_hold_event(const struct ledger_hold *h,
    const char *source_name, const char *auth, struct ledger_event **ret,
    struct ledger_error *err) LEDGER_WUR;
enum ledger_status ledger_hold_release_event(uint64_t hold_seq,
    const char *reason, const char *source_name, const char *auth,
    struct ledger_event **ret, struct ledger_error *err) LEDGER_WUR;

/*
 * A prune, in steps, so that a daemon deletes between its batches:
 *   ledger_prune_plan      which entries (seq < before_seq), the holds in
 *                          force, and the record to append
 *   (append plan.record and wait until it is durable)
 *   ledger_prune_step      delete up to max payloads, one transaction
 *   ledger_prune_vacuum    give freed pages back to the file system
 * Holds are read again at each step: one added during a prune is kept.
 */
struct ledger_prune_plan {
	uint64_t before_seq;
	struct ledger_event *record;	/* to append; NULL: the record at
					   record_seq covers it already */
	uint64_t record_seq;
	uint64_t next_seq;		/* the steps' cursor */
	uint64_t deleted, kept, bytes;	/* payloads and their bytes */
	bool done;
};

/* before_seq, or (before_seq UINT64_MAX) the first seq at or after
 * before_ms.  Errors: LEDGER_ENOTFOUND (no entry before it),
 * LEDGER_EINVAL (beyond the log's end; a malformed record), LEDGER_EDB,
 * LEDGER_ENOMEM. */
enum ledger_status ledger_prune_plan(struct ledger_store *s,
    uint64_t before_seq, int64_t before_ms, const char *source_name,
    const char *auth, struct ledger_prune_plan *ret,
    struct ledger_error *err) LEDGER_WUR;
/* record_seq: where the plan's record landed (it must be >= before_seq:
 * a record covers only entries before it). */
enum ledger_status ledger_prune_step(struct ledger_store *s,
    struct ledger_prune_plan *p, uint64_t record_seq, unsigned max,
    struct ledger_error *err) LEDGER_WUR;
void ledger_prune_plan_release(struct ledger_prune_plan *p);

/*
 * Free pages: with incremental auto-vacuum (logs created since schema 9)
 * return up to pages of them to the file system in one short transaction;
 * full (a VACUUM that converts an older log to incremental, holding the
 * write lock for its whole length: offline use) rewrites the file.
 * *ret_free_bytes: what is still free inside the file afterwards.
 * Errors: LEDGER_EDB, LEDGER_EIO.
 */
enum ledger_status ledger_store_vacuum(struct ledger_store *s,
    unsigned pages, bool full, uint64_t *ret_free_bytes,
    bool *ret_incremental, struct ledger_error *err) LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_RETENTION_H */
