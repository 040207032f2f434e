/*
 * ledger/keyhist.h - the log's key history, rebuilt from the log itself
 *
 * A log starts with one key (its trust root, ledger.pub).  Rotation and
 * revocation are `ledger` entries (source type "ledger"; event and status
 * name the record; the payload, RFC 8785 JSON, says what):
 *
 *   key-added    {"event","key_id","vkey"}: signed by the key current
 *                before it; from the next seq on, entries are signed by
 *                the new key only, and the old key signs no entry after
 *                this one.  Checkpoints may carry both signatures until
 *                the old key is retired.
 *   key-retired  {"event","key_id"}: the key signs no checkpoint of a
 *                size above this entry's seq + 1.
 *   key-revoked  {"event","key_id","compromised_from_seq","reason"}: no
 *                entry at or after compromised_from_seq, and no
 *                checkpoint of a larger size, may be trusted under it.
 *
 * A key may sign entry s when from_seq <= s < until_seq (until_seq: the
 * seq after the key-added that replaced it) and s < revoked_from_seq; it
 * may sign a checkpoint of size n when it may sign entry n - 1 or entry n
 * (the checkpoint that covers its own key-added), or until its retirement
 * when it was replaced (the overlap).  docs/FORMAT.md, "Keys".
 */
#ifndef LEDGER_KEYHIST_H
#define LEDGER_KEYHIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/entry.h"
#include "ledger/error.h"
#include "ledger/note.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LEDGER_EV_KEY_ADDED "key-added"
#define LEDGER_EV_KEY_RETIRED "key-retired"
#define LEDGER_EV_KEY_REVOKED "key-revoked"
#define LEDGER_KEYHIST_MAX 64		/* keys a log may have */
#define LEDGER_KEYREC_MAX (3 * LEDGER_KEYHIST_MAX)	/* key records */
/* The checkpoint extension line that commits to the key records below
 * its size: "ledgerd-key-records <count> <seq of the last>". */
#define LEDGER_KEYS_EXT "ledgerd-key-records"

struct ledger_keyinfo {
	struct ledger_vkey vk;
	uint64_t from_seq;		/* first entry it may sign */
	uint64_t until_seq;		/* UINT64_MAX while current */
	uint64_t retired_seq;		/* UINT64_MAX: not retired */
	uint64_t revoked_from;		/* UINT64_MAX: not revoked */
	uint64_t added_seq;		/* its key-added, UINT64_MAX: a root */
};

struct ledger_keyhist {
	struct ledger_keyinfo keys[LEDGER_KEYHIST_MAX];
	size_t n;
	size_t current;			/* index of the current key */
	uint64_t rec[LEDGER_KEYREC_MAX];	/* seqs of the records taken */
	size_t nrec;
};

/* A history with the trust roots (valid from seq 0; the first is the
 * current key until a key-added says otherwise). */
void ledger_keyhist_init(struct ledger_keyhist *h,
    const struct ledger_vkey *roots, size_t nroots);

/* The key of id, or NULL. */
const struct ledger_keyinfo *ledger_keyhist_find(
    const struct ledger_keyhist *h, uint32_t id);

/* NULL if key id may sign entry seq; else why not ("not announced",
 * "retired at seq N", ...) in a static or h-owned string. */
const char *ledger_keyhist_entry_problem(const struct ledger_keyhist *h,
    uint32_t id, uint64_t seq, char *buf, size_t len);
/* The same for a checkpoint of size n. */
const char *ledger_keyhist_checkpoint_problem(const struct ledger_keyhist *h,
    uint32_t id, uint64_t size, char *buf, size_t len);

/* A signed checkpoint note of size: NULL when a key of the history that
 * may sign that size signed it; else why not, in buf. */
const char *ledger_keyhist_check_note(const struct ledger_keyhist *h,
    const char *note, size_t len, uint64_t size, char *buf, size_t blen);

/* A checkpoint that carries the LEDGER_KEYS_EXT line commits to how
 * many key records lie below its size: NULL when h took exactly those
 * (or the note has no such line: a log never rotated, or older); else
 * why not, in buf.  A bundle or a daemon cannot then leave a record
 * out. */
const char *ledger_keyhist_check_commitment(const struct ledger_keyhist *h,
    const char *note, size_t len, uint64_t size, char *buf, size_t blen);

/* Is e (decoded) one of the key records?  Its event name, or NULL. */
const char *ledger_keyhist_event(const struct ledger_entry *e);

/*
 * Apply the key record e at its seq, signed by key signer_id (already
 * verified), with its payload body.  LEDGER_EINVAL with the reason when
 * the record does not hold (malformed, a key added twice, announced by a
 * key other than the current one, retiring the current key, more than
 * LEDGER_KEYHIST_MAX keys): the history is then unchanged.
 */
enum ledger_status ledger_keyhist_apply(struct ledger_keyhist *h,
    const struct ledger_entry *e, uint32_t signer_id, const uint8_t *body,
    size_t len, struct ledger_error *err) LEDGER_WUR;

/*
 * The same for a key record taken from elsewhere (a daemon's API, a
 * bundle), proven first: its bytes decode, a key the history makes valid
 * at its seq signed them, and body is the payload they name.  Feed the
 * records in seq order.  Errors: LEDGER_ECHAIN (the message names the
 * seq and what fails), LEDGER_ENOMEM.
 */
enum ledger_status ledger_keyhist_add_record(struct ledger_keyhist *h,
    const uint8_t *entry, size_t entry_len,
    const uint8_t sig[LEDGER_SIG_BYTES], const uint8_t *body, size_t len,
    struct ledger_error *err) LEDGER_WUR;

/* The payloads of the three records (RFC 8785), malloc'd.
 * Errors: LEDGER_ENOMEM. */
enum ledger_status ledger_keyhist_body(const char *event,
    const struct ledger_vkey *vk, uint32_t key_id, uint64_t from_seq,
    const char *reason, char **ret, size_t *ret_len,
    struct ledger_error *err) LEDGER_WUR;

/* ---- a store's keys (lib/store-keys.c) ---- */
struct ledger_store;

/* The history of s's log from its key records, rooted at root (NULL: the
 * data directory's first key).  Errors: LEDGER_EINVAL (no root),
 * LEDGER_ECHAIN (a key record that does not hold, naming its seq),
 * LEDGER_EDB, LEDGER_ENOMEM. */
enum ledger_status ledger_store_keyhist(struct ledger_store *s,
    const struct ledger_vkey *root, struct ledger_keyhist *ret,
    struct ledger_error *err) LEDGER_WUR;
/* The same from trusted roots, each record proven
 * (ledger_keyhist_add_record): for readers that trust only the roots. */
enum ledger_status ledger_store_keyhist_proven(struct ledger_store *s,
    const struct ledger_vkey *roots, size_t nroots,
    struct ledger_keyhist *ret, struct ledger_error *err) LEDGER_WUR;

/*
 * Rotate (a writer): a new key in DIR/ledger-<id>.key (never over a
 * file), a key-added entry signed by the current key, then entries are
 * signed by the new key and checkpoints by both until the old one is
 * retired; a checkpoint is signed at once.  source names the recorder
 * ("ledgerctl", "ledgerd").  *ret_new: the new key; *ret_seq: the
 * key-added entry's seq.  Errors: as ledger_store_append, LEDGER_EIO.
 */
enum ledger_status ledger_store_key_rotate(struct ledger_store *s,
    const char *source, struct ledger_vkey *ret_new, uint64_t *ret_seq,
    struct ledger_error *err) LEDGER_WUR;

/* Record key-retired (event LEDGER_EV_KEY_RETIRED) or key-revoked
 * (LEDGER_EV_KEY_REVOKED, from_seq and reason) for key id, which must
 * not be the current key.  Errors: LEDGER_ENOTFOUND (no such key),
 * LEDGER_EINVAL (the current key; retired already), as append. */
enum ledger_status ledger_store_key_record(struct ledger_store *s,
    const char *event, uint32_t id, uint64_t from_seq, const char *reason,
    const char *source, uint64_t *ret_seq, struct ledger_error *err)
    LEDGER_WUR;

/* The key records of s's log for GET /v1/keys (public, like
 * checkpoints): {"records":[{"entry": base64 bytes, "payload": base64,
 * "seq", "signature": hex}]} in seq order, for a reader to prove each
 * from the keys it trusts (ledger_keyhist_add_record).
 * Errors: LEDGER_EDB, LEDGER_ENOMEM. */
struct ledger_buf;
enum ledger_status ledger_store_key_records_json(struct ledger_store *s,
    struct ledger_buf *out, struct ledger_error *err) LEDGER_WUR;

/* A writer in a rotation's overlap: the replaced key, not yet retired
 * (*ret_old), and the seq of the current key's key-added.  false
 * otherwise. */
bool ledger_store_key_overlap(const struct ledger_store *s,
    uint32_t *ret_old, uint64_t *ret_added_seq);

/* Remove the secret key file of a retired or revoked key (not the
 * first key's).  Everything still verifies from the public history.
 * Errors: LEDGER_ENOTFOUND, LEDGER_EINVAL, LEDGER_EIO. */
enum ledger_status ledger_store_key_destroy(struct ledger_store *s,
    uint32_t id, struct ledger_error *err) LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_KEYHIST_H */
