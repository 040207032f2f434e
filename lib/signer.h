/*
 * signer.h - a thread that signs a batch's leaves while the caller inserts
 *
 * The store's append signs each new leaf (Ed25519, ~15 us) and inserts
 * its rows; for a large batch the signer thread signs leaf i while the
 * appending thread inserts the rows of earlier ones (lib/store.c).
 */
#ifndef LEDGER_SIGNER_H
#define LEDGER_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/entry.h"

struct ledger_key;
struct ledger_signer;

/* A signer thread for key, or NULL (one core, or out of resources: the
 * caller then signs itself). */
struct ledger_signer *ledger_signer_start(const struct ledger_key *key);

/* Hand out a batch: sigs[i] = signature of leaves[i], i < n.  Both
 * arrays must stay put until ledger_signer_finish. */
void ledger_signer_submit(struct ledger_signer *g,
    const uint8_t (*leaves)[LEDGER_HASH_BYTES],
    uint8_t (*sigs)[LEDGER_SIG_BYTES], size_t n);

/* Until sigs[i] is ready: spin a little (the signer is usually ahead),
 * then sleep on the batch's end. */
void ledger_signer_wait_for(struct ledger_signer *g, size_t i);

/* The batch is over (done or abandoned): never leave the thread reading
 * buffers the caller is about to reuse. */
void ledger_signer_finish(struct ledger_signer *g);

/* Stop and free; NULL-safe. */
void ledger_signer_stop(struct ledger_signer *g);

#endif
