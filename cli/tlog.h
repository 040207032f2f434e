/*
 * tlog.h - signed checkpoints, inclusion and consistency proofs, fetched
 * from a data directory or a running ledgerd, and checked
 *
 * Nothing a source says is trusted: a checkpoint counts once its note
 * verifies with a key of the caller's keyring whose name is the
 * checkpoint's origin; a proof counts once it reproduces a root taken from
 * such a checkpoint.  These functions print nothing; they return
 * enum ledger_status with the reason in *err, and the commands turn that
 * into output and an exit status with tlog_exit_status():
 *
 *	LEDGER_ECRYPTO	the data does not prove the claim (bad signature,
 *			proof that does not reproduce the root, an answer
 *			about other sizes than asked)
 *	LEDGER_ECHAIN	the log contradicts a checkpoint it signed before
 *			(the pin: it shrank or forked)
 *	LEDGER_EINVAL	the source sent malformed data, or refused a request
 *			for a size or entry its own checkpoint covers
 *	LEDGER_ENOTFOUND no such checkpoint or entry
 *	others		could not check (I/O, HTTP failure, database)
 */
#ifndef LEDGERCTL_TLOG_H
#define LEDGERCTL_TLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/error.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/store.h"
#include "ledger/tree.h"


/* Where checkpoints and proofs come from: a store opened read-only, or a
 * daemon's base URL (with an optional API token, sent for entries). */
struct tlog_src {
	struct ledger_store *store;
	const char *dir;
	const char *url;
	const char *token;
};

/*
 * Fill *src for cli's -d or --url (url wins when both are given); opens
 * the store read-only.  Release with tlog_src_close.
 * Errors: those of ledger_store_open.
 */
enum ledger_status tlog_src_open(struct tlog_src *src, const char *dir,
    const char *database, const char *log, const char *url, const char *token,
    struct ledger_error *err);
void tlog_src_close(struct tlog_src *src);

/* The URL or the directory, for messages. */
const char *tlog_src_name(const struct tlog_src *src);

/*
 * The newest signed note (latest) or the one for exactly size, as the
 * source stores it, unverified: a malloc'd NUL-terminated note in
 * *ret_note (free(3)), its length in *ret_len.
 * Errors: LEDGER_ENOTFOUND, LEDGER_EINVAL (the source refused the size),
 * LEDGER_EIO (transport, server failure), LEDGER_EDB, LEDGER_ENOMEM.
 */
enum ledger_status tlog_get_checkpoint(struct tlog_src *src, bool latest,
    uint64_t size, char **ret_note, size_t *ret_len,
    struct ledger_error *err);

/*
 * The consistency proof from size m to size n into proof, *ret_count
 * hashes.  From a daemon the answer must name m and n and hold at most
 * LEDGER_MERKLE_MAX_PROOF hashes of 32 bytes in canonical base64.
 * Errors: LEDGER_EINVAL (refused, or a malformed answer), LEDGER_EIO,
 * LEDGER_EDB, LEDGER_ECHAIN (a stored hash is missing).
 */
enum ledger_status tlog_get_consistency(struct tlog_src *src, uint64_t m,
    uint64_t n, uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err);

/*
 * The inclusion proof of leaf index in the tree of size leaves.  A daemon
 * also sends the leaf hash it holds: copied to ret_leaf when that is not
 * NULL (for a store, ret_leaf is left alone and *ret_has_leaf false).
 * Errors as for tlog_get_consistency.
 */
enum ledger_status tlog_get_inclusion(struct tlog_src *src, uint64_t index,
    uint64_t size, uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, uint8_t ret_leaf[LEDGER_HASH_BYTES],
    bool *ret_has_leaf, struct ledger_error *err);

/*
 * Entry seq: its exact bytes and signature into *row (row->e is not
 * filled; decode the bytes).  From a daemon: GET /v1/events/SEQ/entry and
 * /v1/events/SEQ, which need a read token unless anonymous reads are on.
 * Release with ledger_row_release.
 * Errors: LEDGER_ENOTFOUND, LEDGER_EPERM (no or bad token), LEDGER_EINVAL,
 * LEDGER_EIO, LEDGER_EDB, LEDGER_ENOMEM.
 */
enum ledger_status tlog_get_entry(struct tlog_src *src, uint64_t seq,
    struct ledger_row *row, struct ledger_error *err);

/* The exit status for a failure code: 1 (the answer is no) for
 * LEDGER_ECRYPTO, LEDGER_ECHAIN, LEDGER_EINVAL and LEDGER_ENOTFOUND,
 * 2 (could not check) for the rest. */
int tlog_exit_status(enum ledger_status st);

/* tlog_get_consistency as a ledger_pin_prover (src is a struct
 * tlog_src). */
enum ledger_status tlog_prove_consistency(void *src, uint64_t m, uint64_t n,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err);

#endif
