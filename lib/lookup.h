/*
 * lookup.h - lookup keys: how the store finds entries by a random value
 *
 * A B-tree index dirties a page per distinct key in every commit: for a
 * random value (commit id, artifact digest, delivery id) that is a page
 * per event, and for (service, time) or (environment, time) a page per
 * service or environment in the batch; with nine such indexes a commit of
 * 15 events wrote ~30 pages for 8 pages of data, and random-key inserts
 * grew costlier with the log.  So the entries table has no secondary
 * index at all.  Each entry's filterable values are hashed to 64-bit
 * lookup keys, written as terms (a letter for the field, 16 hex digits)
 * into the FTS5 table entry_keys under rowid = seq.  FTS5 buffers a
 * transaction's terms and writes them as one sorted segment at COMMIT,
 * merging segments in the background of later writes: an LSM, so an event
 * costs a few bytes of sequential writes.  Time ranges need no index: an
 * entry's time never decreases with its seq, so a time is a seq found by
 * bisection.  See docs/design-notes.md "Lookup keys".
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
	LEDGER_LOOKUP_COMMIT,		/* c */
	LEDGER_LOOKUP_ARTIFACT,		/* a */
	LEDGER_LOOKUP_RUN,		/* r */
	LEDGER_LOOKUP_DELIVERY,		/* d: source name + delivery id */
	LEDGER_LOOKUP_KIND,		/* k */
	LEDGER_LOOKUP_SOURCE,		/* n: source name */
	LEDGER_LOOKUP_ACTOR,		/* u */
	LEDGER_LOOKUP_ENVIRONMENT,	/* e */
	LEDGER_LOOKUP_PIPELINE,		/* p */
	LEDGER_LOOKUP_SERVICE,		/* s */
	LEDGER_LOOKUP_STATUS,		/* t */
	LEDGER_LOOKUP_TICKET,		/* i */
	LEDGER_LOOKUP_BODY,		/* b: source name + what the body says
					   (see ledger_lookup_body_key) */
	/* Schema 8: a fine value qualified by the entry's kind, so that a
	 * question naming a kind and a commit (the builds of a commit, the
	 * approvals of an artifact) reads only those rows, not every row
	 * of the commit; see docs/performance.md "Answers". */
	LEDGER_LOOKUP_KIND_COMMIT,	/* q: kind + commit */
	LEDGER_LOOKUP_KIND_ARTIFACT,	/* h: kind + artifact */
	LEDGER_LOOKUP_KIND_RUN,		/* j: kind + run */
	/* Schema 8: where a deployment or rollback happened, 16 bits of
	 * the environment's key then 48 of the service's (or of none;
	 * ledger_lookup_place_key): the services of an environment are the
	 * terms between two strings, and each one's history is its own
	 * short doclist. */
	LEDGER_LOOKUP_PLACE,		/* x */
	LEDGER_LOOKUP_COUNT
};

/* The lookup field of a subject field; -1 for url (not looked up: long,
 * unique values; a url filter compares the column). */
int ledger_lookup_subject(enum ledger_subject f);

/* "c0123456789abcdef": a letter, 16 hex digits, NUL. */
#define LEDGER_LOOKUP_TERM	18
/* Every term of one entry, space-separated, NUL-terminated. */
#define LEDGER_LOOKUP_TERMS	(LEDGER_LOOKUP_COUNT * LEDGER_LOOKUP_TERM)

/* The term letter and a name ("commit", "delivery id", ...) of a field. */
char ledger_lookup_letter(enum ledger_lookup_field f);
const char *ledger_lookup_name(enum ledger_lookup_field f);

/* The 64-bit key of a value (v2: the delivery id, with v the source name;
 * NULL for the other fields). */
uint64_t ledger_lookup_key(enum ledger_lookup_field f, const char *v,
    const char *v2);

/*
 * The body key of an entry: its source name, payload hash, kind, source
 * event and every subject field.  Two entries with the same key came from
 * the same body and say the same thing: a delivery replayed under a fresh
 * delivery id (lib/store.c dedupes on it for webhook events).  The kind,
 * event and subject keep apart the several events one body can carry (an
 * in-toto Statement's subjects, a CloudEvents batch).
 */
uint64_t ledger_lookup_body_key(const struct ledger_entry *e);

/* The key of a deployment's or rollback's place: service NULL is the
 * place of the entries that name none.  Two environments may share the
 * 16 bits (their places then share a range: the rows say whose they
 * are); two services of one environment share a key with probability
 * about n^2 / 2^49 for n services, which the answers notice when both
 * appear in the rows they read (lib/report-state.c). */
#define LEDGER_PLACE_ENV_BITS 16
uint64_t ledger_lookup_place_key(const char *environment, const char *service);

/* Is f one of schema 8's fields (absent from older key tables)? */
int ledger_lookup_since_v8(enum ledger_lookup_field f);

/* The FTS5 term of a key. */
void ledger_lookup_term(enum ledger_lookup_field f, uint64_t key,
    char out[LEDGER_LOOKUP_TERM]);

/* Parse a term back; false if it is not one. */
int ledger_lookup_parse_term(const char *term, size_t len,
    enum ledger_lookup_field *f, uint64_t *key);

/*
 * The terms of an entry from its columns: at most one per field, in field
 * order, space-separated, into out (NULL: keys only).  keys[] (may be
 * NULL) receives each field's key and present[] whether the field has one.
 * Returns the number of terms.
 */
int ledger_lookup_terms(const struct ledger_entry *e,
    char out[LEDGER_LOOKUP_TERMS], uint64_t keys[LEDGER_LOOKUP_COUNT],
    int present[LEDGER_LOOKUP_COUNT]);

#endif
