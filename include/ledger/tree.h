/*
 * ledger/tree.h - the stored Merkle tree, proofs and signed checkpoints
 *
 * Every entry is a leaf of an RFC 6962 Merkle tree whose node hashes are
 * stored in the same transaction as the entry (ledger/merkle.h), so the
 * root of any size and any proof cost O(log n) reads.  A checkpoint is the
 * C2SP tlog-checkpoint "origin\nsize\nbase64(root)\n" signed as a C2SP
 * signed note with the log's key; ledger/note.h parses and verifies them.
 */
#ifndef LEDGER_TREE_H
#define LEDGER_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger/error.h"
#include "ledger/merkle.h"
#include "ledger/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The root of the tree of the first n entries (n <= the log's size).
 * Errors: LEDGER_EINVAL (n beyond the log), LEDGER_ECHAIN (a stored hash is
 * missing or malformed), LEDGER_EDB.
 */
enum ledger_status ledger_store_tree_root(struct ledger_store *s, uint64_t n,
    uint8_t root[LEDGER_HASH_BYTES], struct ledger_error *err) LEDGER_WUR;

/*
 * The inclusion proof of entry index in the tree of size entries, and the
 * consistency proof from size m to size n, in RFC 6962 order, into proof
 * (at most LEDGER_MERKLE_MAX_PROOF hashes) and *ret_count.
 * Errors: LEDGER_EINVAL (index >= size, m > n, a size beyond the log, with
 * a message saying which), LEDGER_ECHAIN, LEDGER_EDB.
 */
enum ledger_status ledger_store_prove_inclusion(struct ledger_store *s,
    uint64_t index, uint64_t size,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err) LEDGER_WUR;
enum ledger_status ledger_store_prove_consistency(struct ledger_store *s,
    uint64_t m, uint64_t n,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err) LEDGER_WUR;

/*
 * The leaf hash of entry seq as the tree stores it (one point read; a
 * verifier recomputes it from the entry bytes).
 * Errors: LEDGER_EINVAL (seq beyond the log), LEDGER_ECHAIN, LEDGER_EDB.
 */
enum ledger_status ledger_store_leaf_hash(struct ledger_store *s,
    uint64_t seq, uint8_t leaf[LEDGER_HASH_BYTES], struct ledger_error *err)
    LEDGER_WUR;

/*
 * A signed checkpoint, the one type for all of them: as the store keeps it
 * (size, root, time, note) and, once checked against a keyring
 * (ledger_checkpoint_verify), with its origin and the id of the key that
 * signed it (empty and 0 until then).  note is malloc'd, NUL-terminated.
 */
struct ledger_signed_checkpoint {
	uint64_t size;
	int64_t time_ms;
	uint8_t root[LEDGER_HASH_BYTES];
	char *note;
	size_t note_len;
	char origin[LEDGER_NOTE_NAME_MAX + 1];
	uint32_t key_id;
};

/* Free the note and zero the struct.  NULL-safe. */
void ledger_signed_checkpoint_release(struct ledger_signed_checkpoint *c);

/*
 * The newest checkpoint a log signed is also kept outside its database, in
 * the data directory's LEDGER_CHECKPOINT_FILE (written atomically and
 * fsynced after each new checkpoint), so that a database restored from an
 * older backup, or rewritten, is caught before the log signs a second,
 * different tree of a size it already signed.
 */
#define LEDGER_CHECKPOINT_FILE "ledger.checkpoint"

/*
 * Check that the log extends a checkpoint it signed and that was kept
 * elsewhere (note, len bytes: a signed note; where names it in messages):
 * the note verifies with the log's key, the log holds at least its size,
 * and the stored tree of that size has its root.  A writer open does this
 * with LEDGER_CHECKPOINT_FILE; ledgerd with its checkpoint_export copy.
 * Errors: LEDGER_ECHAIN (the log does not extend it, or the note is
 * well-formed but not signed by this log's key: the message says how to
 * recover), LEDGER_EINVAL (not a signed note at all: a torn write),
 * LEDGER_EDB, LEDGER_EIO, LEDGER_ENOMEM.
 */
enum ledger_status ledger_store_check_extends(struct ledger_store *s,
    const char *note, size_t len, const char *where,
    struct ledger_error *err) LEDGER_WUR;

/*
 * Writer only: sign a checkpoint of the log's current size, unless one
 * exists for that size, and store it.  Before signing, the new tree is
 * proven consistent with the previous checkpoint from the stored hashes;
 * the log never signs two inconsistent checkpoints.  *ret (may be NULL)
 * gets the newest checkpoint; *ret_new (may be NULL) whether it was made
 * now.  Errors: LEDGER_EINVAL (not a writer), LEDGER_ECHAIN (the stored
 * tree contradicts the last checkpoint), LEDGER_EDB, LEDGER_EIO.
 */
enum ledger_status ledger_store_checkpoint(struct ledger_store *s,
    struct ledger_signed_checkpoint *ret, bool *ret_new,
    struct ledger_error *err) LEDGER_WUR;

/* The newest checkpoint, or the one for exactly size.
 * Errors: LEDGER_ENOTFOUND, LEDGER_EDB. */
enum ledger_status ledger_store_checkpoint_latest(struct ledger_store *s,
    struct ledger_signed_checkpoint *ret, struct ledger_error *err)
    LEDGER_WUR;
enum ledger_status ledger_store_checkpoint_get(struct ledger_store *s,
    uint64_t size, struct ledger_signed_checkpoint *ret,
    struct ledger_error *err) LEDGER_WUR;

/* The checkpoint nearest size: LEDGER_CP_AT_MOST the largest of size <=
 * size, LEDGER_CP_AT_LEAST the smallest of size >= size (the brackets of
 * a period's completeness evidence).  Errors: LEDGER_ENOTFOUND (none),
 * LEDGER_EDB. */
enum ledger_cp_which {
	LEDGER_CP_EXACT,
	LEDGER_CP_LATEST,
	LEDGER_CP_AT_MOST,
	LEDGER_CP_AT_LEAST,
};
enum ledger_status ledger_store_checkpoint_near(struct ledger_store *s,
    enum ledger_cp_which which, uint64_t size,
    struct ledger_signed_checkpoint *ret, struct ledger_error *err)
    LEDGER_WUR;

/*
 * Check the signed checkpoint note in the len bytes at note against a
 * keyring: a C2SP checkpoint, signed by a key of keys whose name is the
 * checkpoint's origin (a key of another log signing it proves nothing).
 * Fills *ret: origin, size, root, key_id (the key that signed) and a copy
 * of the note (release with ledger_signed_checkpoint_release).
 * Errors: LEDGER_EINVAL (malformed), LEDGER_ECRYPTO (no key of the
 * keyring for its origin signed it), LEDGER_ENOMEM.
 */
enum ledger_status ledger_checkpoint_verify(const char *note, size_t len,
    const struct ledger_vkey *keys, size_t nkeys,
    struct ledger_signed_checkpoint *ret, struct ledger_error *err)
    LEDGER_WUR;

/* Is the entry (its bytes) at index in the tree of the checked checkpoint
 * c, by the audit path proof (count hashes)?  claimed_leaf (may be NULL):
 * the leaf hash the prover says it proved.  Errors: LEDGER_EINVAL (index
 * beyond the tree), LEDGER_ECRYPTO (the path does not lead to c's root,
 * or proves another leaf). */
enum ledger_status ledger_checkpoint_check_inclusion(
    const struct ledger_signed_checkpoint *c, uint64_t index,
    const uint8_t *entry, size_t entry_len, const uint8_t *claimed_leaf,
    const uint8_t *proof, size_t count, struct ledger_error *err)
    LEDGER_WUR;

/* Is old's tree a prefix of new's (both checked, one origin), by the
 * consistency proof?  Errors: LEDGER_EINVAL (old larger), LEDGER_ECRYPTO
 * (other logs, or the proof does not verify). */
enum ledger_status ledger_checkpoint_check_consistency(
    const struct ledger_signed_checkpoint *old,
    const struct ledger_signed_checkpoint *new_cp, const uint8_t *proof,
    size_t count, struct ledger_error *err) LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_TREE_H */
