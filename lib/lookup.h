/*
 * lookup.h - lookup keys: how the store finds entries by a random value
 *
 * Commit ids, artifact digests, run ids and (source, delivery) pairs are
 * random values.  A B-tree index on a random value dirties one page per
 * event in every commit (~4 KiB of WAL and as much again at checkpoint),
 * and the cost grows with the log.  So these four are not B-tree indexes
 * on the entries table; each entry's values are hashed to 64-bit lookup
 * keys, written as terms ("c" commit, "a" artifact, "r" run, "d" delivery,
 * then 16 hex digits) into the FTS5 table entry_keys under rowid = seq.
 * FTS5 buffers a transaction's terms and writes them as one sorted segment
 * at COMMIT, merging segments in the background of later writes: an LSM,
 * so an event costs a few bytes of sequential writes instead of a random
 * page per value.  See docs/design-notes.md "Lookup keys".
 *
 * A key only finds candidates: every query also compares the column, so a
 * hash collision can never return a wrong entry.  ledgerctl verify checks
 * the key table against the entries both ways (lib/verify.c).
 */
#ifndef LEDGER_LOOKUP_H
#define LEDGER_LOOKUP_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/entry.h"

enum ledger_lookup_field {
	LEDGER_LOOKUP_COMMIT,
	LEDGER_LOOKUP_ARTIFACT,
	LEDGER_LOOKUP_RUN,
	LEDGER_LOOKUP_DELIVERY,		/* source name + delivery id */
	LEDGER_LOOKUP_COUNT
};

/* "c0123456789abcdef": a letter, 16 hex digits, NUL. */
#define LEDGER_LOOKUP_TERM	18
/* Every term of one entry, space-separated, NUL-terminated. */
#define LEDGER_LOOKUP_TERMS	(LEDGER_LOOKUP_COUNT * LEDGER_LOOKUP_TERM)

/* The 64-bit key of a value (v2: the delivery id, with v the source name;
 * NULL for the other fields). */
uint64_t ledger_lookup_key(enum ledger_lookup_field f, const char *v,
    const char *v2);

/* The FTS5 term of a key. */
void ledger_lookup_term(enum ledger_lookup_field f, uint64_t key,
    char out[LEDGER_LOOKUP_TERM]);

/* Parse a term back; false if it is not one. */
int ledger_lookup_parse_term(const char *term, size_t len,
    enum ledger_lookup_field *f, uint64_t *key);

/*
 * The terms of an entry from its columns: at most one per field, in field
 * order, space-separated.  keys[] (may be NULL) receives each field's key
 * and present[] whether the field has one.  Returns the number of terms.
 */
int ledger_lookup_terms(const struct ledger_entry *e,
    char out[LEDGER_LOOKUP_TERMS], uint64_t keys[LEDGER_LOOKUP_COUNT],
    int present[LEDGER_LOOKUP_COUNT]);

#endif
