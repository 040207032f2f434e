/*
 * ledger/merkle.h - the RFC 6962 / RFC 9162 Merkle tree over the log
 *
 * Hashes.  A leaf hash is SHA-256(0x00 || data), an interior node is
 * SHA-256(0x01 || left || right), and the tree of size 0 has the root
 * SHA-256("") (RFC 9162 section 2.1.1; note that Go's tlog.TreeHash returns
 * all zeros for size 0 instead, so never compare against that).
 *
 * Storage.  Every hash of a complete subtree (2^level leaves starting at leaf
 * n * 2^level) is stored once, under the single integer
 * ledger_merkle_stored_index(level, n): the dense ordering of Go's
 * golang.org/x/mod/sumdb/tlog, where the hashes added by leaf n are
 * consecutive.  A table `tree(id INTEGER PRIMARY KEY, hash BLOB)` is enough,
 * and this module never touches it: it asks a caller-supplied reader for
 * batches of stored hashes.  Every function that needs stored hashes makes at
 * most one reader call, asking for at most LEDGER_MERKLE_MAX_READ hashes
 * in increasing index order, so roots and proofs cost O(log n) reads and
 * never a scan.
 *
 * Writing.  ledger_merkle_append() gives the stored hashes for one new leaf,
 * reading the O(log n) hashes it combines.  For batches, load a struct
 * ledger_merkle_frontier once (one read of at most 62 hashes) and append
 * leaves to it: each append yields the hashes to store without any read.
 *
 * Verifying.  ledger_merkle_verify_inclusion() and
 * ledger_merkle_verify_consistency() need no reader; they implement the
 * algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2 and accept every
 * 64-bit size.  They return LEDGER_EINVAL for impossible sizes (leaf index
 * not below the tree size, old size above new size) and LEDGER_ECRYPTO when
 * the proof does not prove the claim (wrong hash, wrong number of hashes).
 *
 * Consistency policy for old size 0 and for equal sizes
 * ----------------------------------------------------
 * We follow C2SP tlog-witness, not transparency-dev/merkle:
 *
 *   m == n (any n, including 0): the proof must be empty and the two roots
 *	equal.  For n == 0 both must also be the empty-tree root SHA-256("").
 *   m == 0 < n: the proof must be empty and old_root must be SHA-256("");
 *	new_root is not constrained, since every tree extends the empty tree.
 *   m > n: LEDGER_EINVAL.
 *
 * Reasons.  ledgerd signs a checkpoint for an empty log (a heartbeat before
 * the first event), and ledgerctl pins whatever checkpoint it saw last, so
 * "prove consistency from size 0" is an ordinary request that must succeed
 * without a special case in every caller; C2SP tlog-witness, which ledgerd
 * speaks to witnesses, sends old size 0 with an empty proof for the same
 * reason, and ledger_merkle_prove_consistency() produces exactly that.
 * transparency-dev rejects size1 = 0 as "meaningless"; we agree that it
 * proves nothing about new_root, and say so here rather than fail.  To keep
 * the case from passing by accident, the old root of an empty tree must be
 * the real empty-tree hash, never an arbitrary or zeroed value, and any
 * proof hash sent for m == 0 is rejected.
 *
 * Limits.  The functions that read or write stored hashes accept tree sizes
 * up to LEDGER_MERKLE_MAX_SIZE (2^62 leaves), so that every stored index
 * fits in a signed 64-bit integer (an SQLite rowid) and every proof fits in
 * LEDGER_MERKLE_MAX_PROOF hashes.
 *
 * All functions are thread-safe; none allocates.  Pointers may be NULL only
 * where a comment says so; a NULL where one is needed gives LEDGER_EINVAL.
 */
#ifndef LEDGER_MERKLE_H
#define LEDGER_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LEDGER_HASH_BYTES	32

/* Largest tree (in leaves) the storage, append and prove functions accept. */
#define LEDGER_MERKLE_MAX_SIZE	((uint64_t)1 << 62)

/* Most hashes in an inclusion or consistency proof produced here. */
#define LEDGER_MERKLE_MAX_PROOF	64

/* Most hashes stored for one appended leaf (the leaf plus the subtrees it
 * completes). */
#define LEDGER_MERKLE_MAX_STORED	(64 + 1)

/* Most indexes a reader is asked for in one call. */
#define LEDGER_MERKLE_MAX_READ	128

/*
 * A reader fills out[i] with the stored hash at indexes[i], for i < count
 * (count >= 1; the indexes are distinct and in increasing order).  It returns
 * LEDGER_OK, or an error code after filling *err (which may be NULL) with
 * ledger_errorf(); the calling function then fails with that code.  A reader
 * asked for a hash it does not have must fail (LEDGER_ENOTFOUND or
 * LEDGER_EDB), never leave out[i] unset.
 */
typedef enum ledger_status (*ledger_merkle_reader)(void *ctx,
    const uint64_t *indexes, size_t count, uint8_t (*out)[LEDGER_HASH_BYTES],
    struct ledger_error *err);

/* SHA-256(0x00 || data) into out.  data may be NULL when len is 0. */
void ledger_merkle_leaf_hash(const void *data, size_t len,
    uint8_t out[LEDGER_HASH_BYTES]);

/* SHA-256(0x01 || left || right) into out; out may alias left or right. */
void ledger_merkle_node_hash(const uint8_t left[LEDGER_HASH_BYTES],
    const uint8_t right[LEDGER_HASH_BYTES], uint8_t out[LEDGER_HASH_BYTES]);

/* The root of the empty tree, SHA-256(""), into out. */
void ledger_merkle_empty_root(uint8_t out[LEDGER_HASH_BYTES]);

/*
 * The storage index of the complete subtree at (level, n): the hash of leaves
 * [n * 2^level, (n + 1) * 2^level).  Identical to Go's tlog.StoredHashIndex.
 * Returns UINT64_MAX when the subtree does not fit in a tree of
 * LEDGER_MERKLE_MAX_SIZE leaves (level < 0 or above 62, or n too large).
 */
uint64_t ledger_merkle_stored_index(int level, uint64_t n);

/*
 * The inverse of ledger_merkle_stored_index (tlog.SplitStoredHashIndex):
 * stores the level and n of the subtree stored at index in *ret_level and
 * *ret_n.  Errors: LEDGER_EINVAL if index lies beyond a tree of
 * LEDGER_MERKLE_MAX_SIZE leaves or an output pointer is NULL.
 */
enum ledger_status ledger_merkle_split_stored_index(uint64_t index,
    int *ret_level, uint64_t *ret_n, struct ledger_error *err) LEDGER_WUR;

/*
 * The number of stored hashes in a tree of size leaves (tlog.StoredHashCount):
 * after appending leaves 0 .. size-1, exactly the indexes below this number
 * are in use.  Returns UINT64_MAX when size > LEDGER_MERKLE_MAX_SIZE.
 */
uint64_t ledger_merkle_stored_count(uint64_t size);

/*
 * Append the leaf with hash leaf as leaf number size (leaves 0 .. size-1
 * already stored): fills out_hashes[i] and out_indexes[i], i < *ret_count
 * (1 <= *ret_count <= LEDGER_MERKLE_MAX_STORED), with the hashes to store
 * and their indexes, which are consecutive and start at
 * ledger_merkle_stored_index(0, size).  Reads the hashes the new ones combine
 * with, in one reader call (none when size is even).  Port of Go's
 * tlog.StoredHashesForRecordHash.
 * Errors: LEDGER_EINVAL (size >= LEDGER_MERKLE_MAX_SIZE, NULL pointer),
 * or the reader's code.  On error *ret_count is 0 and the outputs are zeroed.
 */
enum ledger_status ledger_merkle_append(uint64_t size,
    const uint8_t leaf[LEDGER_HASH_BYTES], ledger_merkle_reader reader,
    void *ctx, uint8_t out_hashes[LEDGER_MERKLE_MAX_STORED][LEDGER_HASH_BYTES],
    uint64_t out_indexes[LEDGER_MERKLE_MAX_STORED], size_t *ret_count,
    struct ledger_error *err) LEDGER_WUR;

/*
 * The right edge of a tree: hash[l] is the hash of the complete subtree of
 * 2^l leaves that ends the tree when bit l of size is set (those subtrees,
 * largest first, tile the leaves 0 .. size-1), and unused otherwise.  Plain
 * caller-allocated data (about 2 KiB), no heap: copy it, keep it on the
 * stack, or throw it away on rollback and load it again.
 */
struct ledger_merkle_frontier {
	uint64_t size;
	uint8_t hash[64][LEDGER_HASH_BYTES];
};

/* Make *f the frontier of the empty tree. */
void ledger_merkle_frontier_init(struct ledger_merkle_frontier *f);

/*
 * Make *f the frontier of the stored tree of size leaves, reading its (at
 * most 62) right-edge hashes in one reader call (none for size 0).
 * Errors: LEDGER_EINVAL (size > LEDGER_MERKLE_MAX_SIZE, NULL pointer), or the
 * reader's code; on error *f is the empty frontier.
 */
enum ledger_status ledger_merkle_frontier_load(
    struct ledger_merkle_frontier *f, uint64_t size,
    ledger_merkle_reader reader, void *ctx, struct ledger_error *err)
    LEDGER_WUR;

/*
 * Append the leaf with hash leaf to *f, without any read, and give the
 * hashes to store exactly as ledger_merkle_append() would.  out_hashes and
 * out_indexes may both be NULL (only the frontier advances); ret_count may be
 * NULL.  Errors: LEDGER_EINVAL (the tree already has LEDGER_MERKLE_MAX_SIZE
 * leaves, NULL f or leaf, only one of the outputs NULL); *f is then unchanged.
 */
enum ledger_status ledger_merkle_frontier_append(
    struct ledger_merkle_frontier *f, const uint8_t leaf[LEDGER_HASH_BYTES],
    uint8_t out_hashes[LEDGER_MERKLE_MAX_STORED][LEDGER_HASH_BYTES],
    uint64_t out_indexes[LEDGER_MERKLE_MAX_STORED], size_t *ret_count,
    struct ledger_error *err) LEDGER_WUR;

/* The root of the tree *f describes, into out (SHA-256("") for size 0). */
void ledger_merkle_frontier_root(const struct ledger_merkle_frontier *f,
    uint8_t out[LEDGER_HASH_BYTES]);

/* The number of leaves in the tree *f describes. */
uint64_t ledger_merkle_frontier_size(const struct ledger_merkle_frontier *f);

/*
 * The root of the stored tree of size leaves into out, in one reader call of
 * popcount(size) hashes (none for size 0, whose root is SHA-256("")).
 * Port of tlog.TreeHash.  Errors: LEDGER_EINVAL (size >
 * LEDGER_MERKLE_MAX_SIZE, NULL pointer) or the reader's code; out is zeroed
 * on error.
 */
enum ledger_status ledger_merkle_root(uint64_t size,
    ledger_merkle_reader reader, void *ctx, uint8_t out[LEDGER_HASH_BYTES],
    struct ledger_error *err) LEDGER_WUR;

/*
 * The inclusion proof (RFC 9162 section 2.1.3.1, leaf's sibling first) of
 * leaf index in the stored tree of size leaves into proof[0 .. *ret_count-1],
 * in one reader call (none when size is 1).  Port of tlog.ProveRecord.
 * Errors: LEDGER_EINVAL (index >= size, size > LEDGER_MERKLE_MAX_SIZE, NULL
 * pointer) or the reader's code; on error *ret_count is 0 and proof zeroed.
 */
enum ledger_status ledger_merkle_prove_inclusion(uint64_t index, uint64_t size,
    ledger_merkle_reader reader, void *ctx,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err) LEDGER_WUR;

/*
 * The consistency proof (RFC 9162 section 2.1.4.1) from the stored tree of
 * old_size leaves to the one of new_size leaves into proof[0 .. *ret_count-1],
 * in one reader call.  Port of tlog.ProveTree.  Following the policy above,
 * the proof is empty, without a read, when old_size is 0 or equals new_size.
 * Errors: LEDGER_EINVAL (old_size > new_size, new_size >
 * LEDGER_MERKLE_MAX_SIZE, NULL pointer) or the reader's code; on error
 * *ret_count is 0 and proof zeroed.
 */
enum ledger_status ledger_merkle_prove_consistency(uint64_t old_size,
    uint64_t new_size, ledger_merkle_reader reader, void *ctx,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err) LEDGER_WUR;

/*
 * The number of hashes in a correct inclusion proof for leaf index in a tree
 * of size leaves, or -1 if index >= size.
 */
int ledger_merkle_inclusion_proof_len(uint64_t index, uint64_t size);

/*
 * The number of hashes in a correct consistency proof from old_size to
 * new_size leaves (0 for old_size 0 or old_size == new_size), or -1 if
 * old_size > new_size.
 */
int ledger_merkle_consistency_proof_len(uint64_t old_size, uint64_t new_size);

/*
 * In the verifiers below, proof points to count hashes of LEDGER_HASH_BYTES
 * bytes each, back to back (a uint8_t [][LEDGER_HASH_BYTES] array passed as
 * proof[0] will do); it may be NULL when count is 0.  No verifier reads
 * past count hashes, whatever count is.
 */

/*
 * Run the inclusion proof of the leaf with hash leaf at index in a tree of
 * size leaves and store the root it implies in out.
 * Errors: LEDGER_EINVAL (index >= size, NULL pointer), LEDGER_ECRYPTO (the
 * proof has the wrong number of hashes for index and size); out is zeroed
 * on error.  The result proves nothing until compared with a trusted root.
 */
enum ledger_status ledger_merkle_root_from_inclusion(uint64_t index,
    uint64_t size, const uint8_t leaf[LEDGER_HASH_BYTES],
    const uint8_t *proof, size_t count, uint8_t out[LEDGER_HASH_BYTES],
    struct ledger_error *err) LEDGER_WUR;

/*
 * Check that proof proves the leaf with hash leaf is leaf number index of the
 * tree of size leaves whose root is root.  Returns LEDGER_OK if it does.
 * Errors: LEDGER_EINVAL (index >= size, NULL pointer), LEDGER_ECRYPTO (the
 * proof does not verify: wrong number of hashes, or the implied root differs
 * from root).
 */
enum ledger_status ledger_merkle_verify_inclusion(uint64_t index,
    uint64_t size, const uint8_t leaf[LEDGER_HASH_BYTES],
    const uint8_t *proof, size_t count, const uint8_t root[LEDGER_HASH_BYTES],
    struct ledger_error *err) LEDGER_WUR;

/*
 * Check that proof proves the tree of old_size leaves with root old_root is a
 * prefix of the tree of new_size leaves with root new_root, under the policy
 * for old size 0 and equal sizes described at the top of this file.  Returns
 * LEDGER_OK if it does.  Errors: LEDGER_EINVAL (old_size > new_size, NULL
 * pointer), LEDGER_ECRYPTO (the proof does not verify: wrong number of
 * hashes, old or new root not reproduced, unequal roots for equal sizes, an
 * old root other than SHA-256("") for old size 0).
 */
enum ledger_status ledger_merkle_verify_consistency(uint64_t old_size,
    uint64_t new_size, const uint8_t old_root[LEDGER_HASH_BYTES],
    const uint8_t new_root[LEDGER_HASH_BYTES], const uint8_t *proof,
    size_t count, struct ledger_error *err) LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_MERKLE_H */
