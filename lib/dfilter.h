/*
 * dfilter.h - Bloom filters over lookup keys: "surely absent" or "maybe"
 *
 * The writer keeps one over the delivery and body keys of every entry in
 * the log (lib/store.c), so that a new delivery id or body, nearly always
 * absent, costs no lookup.  It grows by adding a part twice the size of
 * the newest when that one is full, up to a fixed budget, never by a
 * rebuild; past the budget its "maybe"s grow more frequent, never wrong.
 * Only "absent" answers are trusted: a "maybe" is looked up.
 */
#ifndef LEDGER_DFILTER_H
#define LEDGER_DFILTER_H

#include <stdbool.h>
#include <stdint.h>

struct ledger_dfilter;

/* A filter sized for expected_keys in its first part; NULL when out of
 * memory (the caller then looks every key up). */
struct ledger_dfilter *ledger_dfilter_new(uint64_t expected_keys);
void ledger_dfilter_free(struct ledger_dfilter *f);	/* NULL-safe */

void ledger_dfilter_add(struct ledger_dfilter *f, uint64_t key);
/* false: key was never added.  true: it may have been. */
bool ledger_dfilter_maybe(const struct ledger_dfilter *f, uint64_t key);

#endif
