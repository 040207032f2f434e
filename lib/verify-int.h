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

/* After the walk: every payload a legal hold kept from each prune that
 * covered it is still there (lib/verify-holds.c); problems are added to
 * rep and told to fn. */
struct ledger_store;
enum ledger_status ledger_verify_holds(struct ledger_store *s,
    ledger_verify_fn fn, void *ctx, struct ledger_verify_report *rep,
    struct ledger_error *err);

#endif
