/*
 * report-int.h - what the answers share (lib/report*.c)
 *
 * A report context holds copies of the rows an answer reads (deployments,
 * rollbacks, approvals), the deployments grouped from them, and two
 * caches filled as the join needs them: the approvals of the environment
 * by artifact, run and commit, and the authors of each commit.  Small
 * answers (state, last-good, gate) look each key up through the lookup
 * keys; a population reads the keys of sixteen deployments at once.
 */
#ifndef LEDGER_REPORT_INT_H
#define LEDGER_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/buf.h"
#include "ledger/report.h"
#include "ledger/store.h"

/* A vector of copied rows: their fields (never the entry bytes) live in
 * the vector's chunks, a few allocations for thousands of rows, so a row
 * is neither released nor kept alone: rows_release frees them all. */
#define ROWS_CHUNK 16384
struct rows_chunk {
	struct rows_chunk *next;
	size_t used, cap;
	char data[];
};
struct rows {
	struct ledger_row *v;
	size_t n, cap;
	struct rows_chunk *chunk;	/* the newest */
};

/* A vector of indices. */
struct idx {
	size_t *v;
	size_t n, cap;
};

/* A string-keyed multimap to indices (or to nothing: a looked-up key). */
struct smap_slot {
	char *key;
	struct idx to;
};
struct smap {
	struct smap_slot *v;
	size_t n, cap;			/* cap: a power of two */
};

/* One matched approval. */
struct match {
	size_t row;			/* in rep->approvals */
	enum ledger_match_rule rule;
};

/* One deployment: entries of rep->rows. */
struct dep {
	size_t first, last;		/* the first entry; the one giving the
					   status */
	struct idx entries;
	const char *status;		/* vocabulary */
	bool rolled_back;
	/* the join (report_join) */
	struct match *m;
	size_t nm;
	bool joined, approved;
	bool prefetched;		/* its keys read with its batch */
	unsigned exc;
	struct idx evidence;		/* seqs, for exceptions */
	struct idx authors;		/* in rep->author_names */
};

struct report {
	struct ledger_store *s;
	bool snapshot;			/* report_init began one */
	char *env, *service;		/* normalized */
	struct rows rows;		/* deployments and rollbacks */
	struct dep *deps;
	size_t ndeps, capdeps;
	bool truncated;
	struct rows approvals;		/* of the environment */
	struct smap by_key;		/* "a:<digest>" "r:<run>" "c:<commit>"
					   -> approvals */
	struct smap seen_approvals;	/* seqs of rep->approvals */
	bool preload;			/* a population: its deployments'
					   keys read a batch at a time, or
					   past PRELOAD_AT deployments the
					   environment's approvals at once */
	bool all_approvals;		/* those read */
	bool loading_all;		/* reading them into an empty set */
	bool no_authors;		/* the answer needs no commit authors
					   (state, last good) */
	size_t to_join;			/* how many deployments the answer
					   joins (0: all of them) */
	struct smap authors;		/* commit -> indices of author_names */
	char **author_names;
	size_t nauthor_names, capauthor_names;
	bool nomem;
};

/* Set up: environment and service normalized as ingest does (service
 * may be NULL; environment may be NULL where the answer allows).
 * Errors: LEDGER_EINVAL, LEDGER_ENOMEM. */
enum ledger_status report_init(struct report *rep, struct ledger_store *s,
    const char *env, const char *service, struct ledger_error *err);
void report_release(struct report *rep);

/* Read the deployments and rollbacks of rep's environment (service) with
 * seq in the time window [from, to) (0: open) into rep->rows and group
 * the deployments into rep->deps (seq order of their first entries).
 * Errors: LEDGER_EDB, LEDGER_ENOMEM. */
enum ledger_status report_collect(struct report *rep, int64_t from_ms,
    int64_t to_ms, struct ledger_error *err);

/* Join deployment d (approvals, approved, exceptions, authors).
 * Errors: LEDGER_EDB, LEDGER_ENOMEM. */
enum ledger_status report_join(struct report *rep, struct dep *d,
    struct ledger_error *err);

/* The same join for a lone entry (state, gate): a deployment made of e. */
enum ledger_status report_join_entry(struct report *rep,
    const struct ledger_entry *e, struct dep *d, struct ledger_error *err);
void dep_release(struct dep *d);

/* The fast paths' knobs, for tests (tests/test-fastpaths.c holds each
 * fast path equal to its plain one); all zero: the defaults. */
struct report_tuning {
	size_t preload_at;		/* past this many deployments a
					   population reads its environment's
					   approvals at once (0: PRELOAD_AT) */
	bool one_at_a_time;		/* join each deployment alone, not in
					   batches of sixteen */
	uint64_t place_window;		/* the state's first window (0:
					   PLACE_WINDOW) */
	bool no_places;			/* state by report_walk, as before
					   schema 8 */
	bool no_narrow;			/* the joins through the lookup
					   keys, as before schema 12 */
};
extern struct report_tuning report_tuning;

/* Are deployment entries a and b one deployment (the same id from the same
 * source, pipeline and environment; without an id, the same entry)? */
bool report_same_group(const struct ledger_entry *a,
    const struct ledger_entry *b);

/*
 * Walk rep->rows (seq order) keeping per service a stack of what ran: the
 * entry with which a deployment succeeded (2 * row, ROLLBACK_BIT clear),
 * a rollback naming its target (2 * row + 1).  A rollback marks the deployment it
 * ends as rolled back and either sets its target or returns to the state
 * before.  stacks gets service -> stack ("" for none); release it with
 * smap_release.  Errors: LEDGER_ENOMEM.
 */
#define ROLLBACK_BIT ((size_t)1)
enum ledger_status report_walk(struct report *rep, struct smap *stacks,
    struct ledger_error *err);

/* JSON pieces. */
enum ledger_status report_approvals_json(const struct report *rep,
    const struct dep *d, struct ledger_buf *out);
enum ledger_status report_dep_json(const struct report *rep,
    const struct dep *d, struct ledger_buf *out);
/* The members of d deployed as e (first: its first entry, may be NULL)
 * after the opening '{': seq, time, kind, source, the subject as
 * environment, service, deployer..., status, approved, approvals. */
enum ledger_status report_dep_fields(const struct report *rep,
    const struct dep *d, const struct ledger_entry *e,
    const struct ledger_entry *first, struct ledger_buf *out);

/* The seqs that make d the exception bit into d->evidence.
 * Errors: LEDGER_ENOMEM. */
enum ledger_status report_evidence(struct report *rep, struct dep *d,
    unsigned bit, struct ledger_error *err);

/* Helpers.  smap_slot: the slot of key, found (*found) or the empty one
 * to fill; smap_get: created empty if new.  NULL when out of memory. */
struct smap_slot *smap_slot(struct smap *m, const char *key, bool *found);
struct smap_slot *smap_get(struct smap *m, const char *key, bool *created);
void smap_release(struct smap *m);
bool idx_push(struct idx *x, size_t v);
bool rows_push(struct rows *r, const struct ledger_row *row);
void rows_release(struct rows *r);
int rows_push_once(struct rows *r, struct smap *seen,
    const struct ledger_row *row);

#endif /* LEDGER_REPORT_INT_H */
