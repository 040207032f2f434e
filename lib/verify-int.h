/*
 * verify-int.h - what verifying a store (verify-store.c) needs of the
 * verifier engine (verify.c) beyond ledger/verify.h
 */
#ifndef LEDGER_VERIFY_INT_H
#define LEDGER_VERIFY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>

#include "ledger/verify.h"
#include "lookup.h"

/* The lookup keys an entry must have in a table whose backend has caps
 * (LEDGER_BE_BODY_KEYS: body terms, schema 6; LEDGER_BE_KIND_KEYS: the
 * kind-qualified and place terms, schema 8; a store opened read-only is
 * not migrated). */
void ledger_verify_expected_keys(const struct ledger_entry *e,
    unsigned caps, uint64_t keys[LEDGER_LOOKUP_COUNT],
    int present[LEDGER_LOOKUP_COUNT]);

/* Add the keyed PRF of (letter, key, seq) to sum (128 bits). */
void ledger_verify_prf_add(
    const uint8_t prf[crypto_shorthash_siphashx24_KEYBYTES], char letter,
    uint64_t key, uint64_t seq, uint64_t sum[2]);

/* Have the workers sum the lookup-key PRF of every entry (a fresh random
 * key); then compare a listing's sum, added up with
 * ledger_verifier_prf_add, with ledger_verifier_lookup_sum_is. */
void ledger_verifier_check_lookup(struct ledger_verifier *v, unsigned caps);
void ledger_verifier_prf_add(const struct ledger_verifier *v, char letter,
    uint64_t key, uint64_t seq, uint64_t sum[2]);
bool ledger_verifier_lookup_sum_is(const struct ledger_verifier *v,
    const uint64_t sum[2]);

/* The entries walked so far (the next seq expected), and the problems
 * reported so far. */
uint64_t ledger_verifier_walked(const struct ledger_verifier *v);
uint64_t ledger_verifier_problems(const struct ledger_verifier *v);

/* The walk's key history (verify-keys.c). */
#include "ledger/keyhist.h"
struct ledger_keyrun {
	uint32_t key_id;
	uint64_t first, last;
};
struct ledger_keywalk {
	struct ledger_keyhist h;
	struct ledger_keyrun *runs;	/* authentic entries, by key */
	size_t nruns, capruns;
	bool oom;
};
void ledger_keywalk_init(struct ledger_keywalk *kw,
    const struct ledger_vkey *roots, size_t n);
void ledger_keywalk_release(struct ledger_keywalk *kw);
void ledger_keywalk_signed(struct ledger_keywalk *kw, uint32_t id,
    uint64_t seq);
/* Apply the key record e (authentic, signed by signer); problems, and
 * the entries a revocation takes back, go to say. */
void ledger_keywalk_apply(struct ledger_keywalk *kw,
    const struct ledger_entry *e, uint32_t signer, const uint8_t *body,
    size_t len, bool have_body,
    void (*say)(void *ctx, uint64_t seq, const char *why), void *ctx);
/* The verifier's history so far (checkpoints are judged by it). */
const struct ledger_keyhist *ledger_verifier_keyhist(
    const struct ledger_verifier *v);

/* A stored checkpoint (size, the row's root, its signed note) against the
 * walk's key history and its frontier f (of that size): problems go to
 * v at seq size - 1 (verify-store.c). */
struct ledger_merkle_frontier;
void ledger_verify_checkpoint_row(struct ledger_verifier *v,
    const struct ledger_merkle_frontier *f, uint64_t size,
    const uint8_t root[LEDGER_HASH_BYTES], bool bad_root, const char *note,
    size_t note_len);

/* After the walk: every payload a legal hold kept from each prune that
 * covered it is still there (lib/verify-holds.c); problems are added to
 * rep and told to fn. */
struct ledger_store;
enum ledger_status ledger_verify_holds(struct ledger_store *s,
    ledger_verify_fn fn, void *ctx, struct ledger_verify_report *rep,
    struct ledger_error *err);

#endif
