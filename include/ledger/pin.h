/*
 * pin.h - the last verified checkpoint of each log, kept by ledgerctl
 *
 * Truncation and rewriting are only detectable against a checkpoint held
 * outside the log.  ledgerctl keeps one per origin: the signed note of the
 * newest checkpoint it has verified, in
 *
 *	$XDG_STATE_HOME/ledgerctl/<origin, percent-encoded>
 *
 * ($XDG_STATE_HOME defaults to ~/.local/state), or in a file the user
 * names (--pin FILE).  Before trusting a log, every command proves that
 * the checkpoint it is about to rely on is consistent with the pin:
 *
 *	no pin			trust on first use (the caller says so)
 *	same size		the roots must be equal
 *	larger			a consistency proof from the pin to it
 *	smaller			for the log's newest checkpoint: the log shrank;
 *				for an older one (prove --size): a consistency
 *				proof from it to the pin
 *
 * and fails with LEDGER_ECHAIN, naming the pinned checkpoint, when the log
 * shrank or forked.  The pin only moves forward: it is replaced (a new
 * file renamed over it, mode 0644) by a larger checkpoint proven
 * consistent with it.  The pin's directory is locked (flock) from
 * pin_open to pin_close, so that two ledgerctl processes never race past
 * each other's checks.
 */
#ifndef LEDGER_PIN_H
#define LEDGER_PIN_H

#include <limits.h>
#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

#include "ledger/error.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/tree.h"

/* Where a pin gets its consistency proofs: a proof that the tree of size
 * m is a prefix of the tree of size n, from the log (a store, a daemon),
 * into proof (count hashes).  Errors as the source has them; EINVAL,
 * ENOTFOUND or ECHAIN mean it cannot prove it. */
typedef enum ledger_status (*ledger_pin_prover)(void *ctx, uint64_t m,
    uint64_t n, uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err);

/* Longest file name ledger_pin_file_name() makes, with the NUL. */
#define LEDGER_PIN_NAME_SIZE 200

struct ledger_pin {
	char path[PATH_MAX];		/* the pin file */
	char dir[PATH_MAX];		/* its directory */
	int dirfd;			/* the locked directory, or -1 */
	bool have;			/* a pin was there */
	struct ledger_signed_checkpoint cp;	/* the pinned checkpoint, verified */
};

/* What pin_check found. */
enum ledger_pin_result {
	LEDGER_PIN_FIRST_USE,		/* no pin: nothing to check against */
	LEDGER_PIN_SAME,		/* same size and root as the pin */
	LEDGER_PIN_AHEAD,		/* extends the pin (proof checked) */
	LEDGER_PIN_BEHIND,		/* a prefix of the pin (proof checked) */
};

/*
 * The file name of origin's pin: origin with every byte outside
 * [A-Za-z0-9._-] (and a leading '.') written as %XX, so that different
 * origins get different names and none is "." or ".." or holds a '/'.  A
 * name longer than LEDGER_PIN_NAME_SIZE - 1 is cut and ends in "~" and 32 hex
 * digits of the origin's SHA-256.
 */
void ledger_pin_file_name(const char *origin, char out[LEDGER_PIN_NAME_SIZE]);

/*
 * Open and lock the pin of the log origin: file if not NULL, else the
 * state directory's file for origin (the directory is created, mode 0700,
 * with any missing parents).  Load the pin when it exists and check it
 * with the keyring: it must verify and be a checkpoint of origin.
 * Release with pin_close.
 * Errors: LEDGER_ECRYPTO (the pin does not verify with the keyring: a
 * different key, or an edited file), LEDGER_EEXIST (file holds a
 * checkpoint of another log), LEDGER_EIO (no state directory, cannot
 * create, lock or read it, or the pin is not a signed checkpoint),
 * LEDGER_ENOMEM.  On error p holds nothing to release.
 */
enum ledger_status ledger_pin_open(struct ledger_pin *p, const char *file,
    const char *origin, const struct ledger_vkey *keys, size_t nkeys,
    struct ledger_error *err);

/* Unlock and free.  Safe on a zeroed or closed pin. */
void ledger_pin_close(struct ledger_pin *p);

/*
 * Prove *c consistent with the pin, fetching the consistency proof it
 * needs from src, as the table at the top says; newest says *c is the
 * log's newest checkpoint (then it may not be smaller than the pin).
 * Stores the outcome in *ret and, when ret_proof is not NULL, the proof
 * used in ret_proof[0 .. *ret_count-1].
 * Errors: LEDGER_ECHAIN (the log shrank or forked; the message names the
 * pinned checkpoint's size and root and the file), or the source's code
 * when the proof could not be fetched for another reason than a refusal.
 */
enum ledger_status ledger_pin_check(struct ledger_pin *p, ledger_pin_prover fn,
    void *ctx,
    const struct ledger_signed_checkpoint *c, bool newest, enum ledger_pin_result *ret,
    uint8_t ret_proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err);

/*
 * Pin *c if it is larger than the pin (or there is none), which the
 * caller has proven consistent with pin_check: write a new file beside
 * the pin, mode 0644, fsync it and rename it over the pin, then fsync the
 * directory.  A smaller or equal checkpoint leaves the pin as it is.
 * *ret_moved (may be NULL) says whether the pin changed.
 * Errors: LEDGER_EIO, LEDGER_ENOMEM.
 */
enum ledger_status ledger_pin_update(struct ledger_pin *p, const struct ledger_signed_checkpoint *c,
    bool *ret_moved, struct ledger_error *err);

/* "first_use", "unchanged", "ahead", "behind". */
const char *ledger_pin_result_name(enum ledger_pin_result r);

#endif
