/*
 * ledger/query.h - which entries a listing wants, and how to print one
 *
 * One filter type serves ledgerctl on a data directory, ledgerctl --url and
 * the HTTP API, and one function reads it from (name, value) pairs, so a
 * command-line option and a query parameter mean exactly the same thing:
 *
 *	kind, source, env|environment, actor, artifact, commit, pipeline,
 *	run, service, status, ticket, url
 *		repeatable: the values of one name are ORed, the names ANDed
 *	since, until, after_seq|after, limit
 *		once each
 *
 * Values are normalized by the code ingest uses (ledger_subject_normalize):
 * "Production" finds "production", an upper-case commit its lower-case
 * form.  Two forms are widened on purpose: a commit of 7 to 39 hex digits
 * matches every commit id it begins, and an artifact of 64 bare hex digits
 * matches both "sha256:<hex>" and the bare value.
 */
#ifndef LEDGER_QUERY_H
#define LEDGER_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/buf.h"
#include "ledger/entry.h"
#include "ledger/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most values one repeatable name takes. */
#define LEDGER_QUERY_VALUES_MAX 16

enum ledger_query_match {
	LEDGER_MATCH_EXACT,	/* the stored value equals s */
	LEDGER_MATCH_PREFIX,	/* commit: the stored value begins with s */
	LEDGER_MATCH_DIGEST,	/* artifact: s or "sha256:" s */
};

struct ledger_query_value {
	char *s;			/* normalized; owned by the query */
	enum ledger_query_match how;
};

struct ledger_query_values {
	size_t n;
	struct ledger_query_value v[LEDGER_QUERY_VALUES_MAX];
};

/* A listing filter.  ledger_query_init, then ledger_query_param (or set
 * the scalar members), then ledger_query_release. */
struct ledger_query {
	uint32_t kinds;			/* bit (1u << kind) per kind; 0 any */
	struct ledger_query_values source;
	struct ledger_query_values subject[LEDGER_SUBJ_COUNT];
	int64_t since_ms;		/* time >= since, 0 for any */
	int64_t until_ms;		/* time < until, 0 for any */
	int64_t after_seq;		/* seq > after_seq; -1 for any */
	uint64_t limit;			/* at most this many rows; 0 = all */
	unsigned set;			/* internal: scalars given once */
};

/* Set q to match everything. */
void ledger_query_init(struct ledger_query *q);

/* Free the values and match everything again.  NULL-safe. */
void ledger_query_release(struct ledger_query *q);

/*
 * Add one (name, value) pair, as above.  value NULL (a query parameter
 * without '=') is refused.
 * Errors: LEDGER_ENOTFOUND (unknown name; the message names it),
 * LEDGER_EINVAL (bad value, a single-valued name given twice, more than
 * LEDGER_QUERY_VALUES_MAX values), LEDGER_ENOMEM.
 */
enum ledger_status ledger_query_param(struct ledger_query *q,
    const char *name, const char *value, struct ledger_error *err)
    LEDGER_WUR;

/* Add a subject value (normalized); ledger_query_param's path for one
 * field.  Errors: as ledger_query_param. */
enum ledger_status ledger_query_add_subject(struct ledger_query *q,
    enum ledger_subject f, const char *value, struct ledger_error *err)
    LEDGER_WUR;

/* Check the filter as a whole: since after until is an error.
 * Errors: LEDGER_EINVAL. */
enum ledger_status ledger_query_check(const struct ledger_query *q,
    struct ledger_error *err) LEDGER_WUR;

/* Does the entry match every filter but after_seq and limit? */
bool ledger_query_match(const struct ledger_query *q,
    const struct ledger_entry *e);

/*
 * Append the filter as URL query parameters ("&kind=build&kind=test..."),
 * each value percent-encoded, in a form ledger_query_param reads back to
 * the same filter.  after_seq and limit are left out (a client pages).
 * Errors: LEDGER_ENOMEM.
 */
enum ledger_status ledger_query_encode(const struct ledger_query *q,
    struct ledger_buf *out, struct ledger_error *err) LEDGER_WUR;

/* Append "&name=value", value percent-encoded (all but unreserved
 * characters).  Errors: LEDGER_ENOMEM. */
enum ledger_status ledger_url_param(struct ledger_buf *out, const char *name,
    const char *value) LEDGER_WUR;

/*
 * A page of a long answer from its two parameters (either may be NULL):
 * after, a seq (the rows after it: *ret_start = after + 1), and limit,
 * 1 to 100,000 rows (*ret_limit; 0 when not given).
 * Errors: LEDGER_EINVAL, saying which.
 */
enum ledger_status ledger_page_parse(const char *after, const char *limit,
    uint64_t *ret_start, size_t *ret_limit, struct ledger_error *err)
    LEDGER_WUR;

/* Initialize q to select the ledger's own records (kind ledger) whose
 * status is one of events[0..n) (the caller checks source.type is
 * "ledger"; release q either way).  Errors: LEDGER_EINVAL, LEDGER_ENOMEM. */
enum ledger_status ledger_query_records(struct ledger_query *q,
    const char *const *events, size_t n, struct ledger_error *err)
    LEDGER_WUR;

/* A list of seqs (a bundle's selection). */
struct ledger_seqs {
	uint64_t *v;
	size_t n, cap;
};
#define LEDGER_SEQS_INIT { NULL, 0, 0 }

/* Append seq.  Errors: LEDGER_ENOMEM. */
enum ledger_status ledger_seqs_push(struct ledger_seqs *s, uint64_t seq)
    LEDGER_WUR;
/* Sort ascending and drop repeats. */
void ledger_seqs_sort_unique(struct ledger_seqs *s);
void ledger_seqs_release(struct ledger_seqs *s);

/*
 * Append the seqs of list: items "N" or "A-B" (a range) separated by sep;
 * empty items are skipped when sep is '\n' (blank lines).  At most max
 * seqs in s in all.  Errors: LEDGER_EINVAL (a bad item, a range
 * backwards, more than max: the message says which), LEDGER_ENOMEM.
 */
enum ledger_status ledger_seqs_parse(struct ledger_seqs *s, const char *list,
    char sep, size_t max, struct ledger_error *err) LEDGER_WUR;

/* ledger_row_json: ledger/wire.h. */

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_QUERY_H */
