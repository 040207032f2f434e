/*
 * store-query.c - listing entries by a filter (ledger/query.h)
 *
 * The lookup terms of the filtered fields find the candidates (one group
 * per field, the values of a field ORed, the groups ANDed); a time range
 * is a seq range found by bisection; ledger_query_match then decides on
 * each row's columns, so a hash collision never returns a wrong entry.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/query.h"
#include "ledger/store.h"
#include "ledger-int.h"
#include "lookup.h"
#include "store-int.h"

/*
 * The FTS5 expression that finds the candidates of a filter: one group per
 * filtered field, the values of a field ORed, the groups ANDed, e.g.
 * "(k0a1b... OR k2c3d...) AND e4f5a...".  A field with a prefix value (a
 * short commit) has no term: the seq range is scanned for it.  Empty when
 * no field has terms.
 */
static enum ledger_status
add_group(struct ledger_buf *b, enum ledger_lookup_field f,
    const struct ledger_query_values *vs)
{
	char term[LEDGER_LOOKUP_TERM], full[80];
	enum ledger_status rc = LEDGER_OK;
	size_t i;

	if (vs->n == 0)
		return LEDGER_OK;
	for (i = 0; i < vs->n; i++)
		if (vs->v[i].how == LEDGER_MATCH_PREFIX)
			return LEDGER_OK;
	if (b->len > 0)
		rc |= ledger_buf_adds(b, " AND ");
	rc |= ledger_buf_addc(b, '(');
	for (i = 0; i < vs->n; i++) {
		if (i > 0)
			rc |= ledger_buf_adds(b, " OR ");
		ledger_lookup_term(f, ledger_lookup_key(f, vs->v[i].s, NULL),
		    term);
		rc |= ledger_buf_adds(b, term);
		if (vs->v[i].how == LEDGER_MATCH_DIGEST) {
			snprintf(full, sizeof(full), "sha256:%s", vs->v[i].s);
			ledger_lookup_term(f, ledger_lookup_key(f, full, NULL),
			    term);
			rc |= ledger_buf_adds(b, " OR ");
			rc |= ledger_buf_adds(b, term);
		}
	}
	rc |= ledger_buf_addc(b, ')');
	return rc;
}

/*
 * A field whose values are few (kind, source, environment, status) has a
 * term on a large share of the log: FTS5 reads such a term's whole doclist
 * to AND it with another, which on a million entries costs more than the
 * answer (docs/performance.md, "Answers").  When the filter names a field
 * of many values (a commit, a digest, a run, a service...), only those
 * fields' terms go into the expression; ledger_query_match checks the
 * rest on the few rows they find.
 */
static bool
coarse(enum ledger_subject f)
{
	return f == LEDGER_SUBJ_ENVIRONMENT || f == LEDGER_SUBJ_STATUS;
}

static enum ledger_status
match_expr(const struct ledger_query *q, struct ledger_buf *b)
{
	struct ledger_query_values kinds;
	enum ledger_status rc = LEDGER_OK;
	bool fine = false;
	int i;

	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		if (ledger_lookup_subject(i) >= 0 && !coarse(i) &&
		    q->subject[i].n > 0)
			fine = true;
	memset(&kinds, 0, sizeof(kinds));
	for (i = 0; i < LEDGER_KIND_COUNT && !fine; i++)
		if (q->kinds & (1u << i)) {
			kinds.v[kinds.n].s = (char *)ledger_kind_name(i);
			kinds.v[kinds.n++].how = LEDGER_MATCH_EXACT;
		}
	rc |= add_group(b, LEDGER_LOOKUP_KIND, &kinds);
	if (!fine)
		rc |= add_group(b, LEDGER_LOOKUP_SOURCE, &q->source);
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		if (ledger_lookup_subject(i) >= 0 && !(fine && coarse(i)))
			rc |= add_group(b, (enum ledger_lookup_field)
			    ledger_lookup_subject(i), &q->subject[i]);
	return rc;
}

/*
 * The first seq whose time is t or later (end if none).  Entry times never
 * decrease with seq (the append path takes max(now, last time), and
 * verify checks it), so this bisects with O(log n) point reads instead of
 * keeping a time index that every commit would write.  A missing row
 * counts as the next one present.
 */
static enum ledger_status
seq_at_time(struct ledger_store *s, int64_t t, uint64_t end, uint64_t *ret,
    struct ledger_error *err)
{
	enum ledger_status st;
	uint64_t lo = 0, hi = end, mid, seq;
	int64_t time;
	bool found;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((st = s->ops->seq_time(s->be, mid, &seq, &time, &found,
		    err)) != LEDGER_OK)
			return st;
		if (found && time < t)
			lo = seq + 1;
		else
			hi = mid;
	}
	*ret = lo;
	return LEDGER_OK;
}

enum ledger_status
ledger_store_seq_at_time(struct ledger_store *s, int64_t time_ms,
    uint64_t *ret, struct ledger_error *err)
{
	enum ledger_status st;
	uint64_t end = 0;

	if ((st = s->ops->log_end(s->be, &end, err)) != LEDGER_OK)
		return st;
	return seq_at_time(s, time_ms, end, ret, err);
}

enum ledger_status
ledger_store_time_of(struct ledger_store *s, uint64_t seq, int64_t *ret,
    struct ledger_error *err)
{
	enum ledger_status st;
	uint64_t at;
	bool found;

	if ((st = s->ops->seq_time(s->be, seq, &at, ret, &found, err)))
		return st;
	if (!found || at != seq)
		return ledger_errorf(err, LEDGER_ENOTFOUND, "no entry %" PRIu64,
		    seq);
	return LEDGER_OK;
}

/* The seq range [lo, hi) a filter's times and after_seq allow. */
static enum ledger_status
query_range(struct ledger_store *s, const struct ledger_query *q,
    uint64_t *lo, uint64_t *hi, struct ledger_error *err)
{
	enum ledger_status st;
	uint64_t end = 0, t;

	*lo = q->after_seq >= 0 ? (uint64_t)q->after_seq + 1 : 0;
	*hi = INT64_MAX;
	if (q->since_ms <= 0 && q->until_ms <= 0)
		return LEDGER_OK;
	if ((st = s->ops->log_end(s->be, &end, err)) != LEDGER_OK)
		return st;
	if (q->since_ms > 0) {
		if ((st = seq_at_time(s, q->since_ms, end, &t, err)))
			return st;
		*lo = t > *lo ? t : *lo;
	}
	if (q->until_ms > 0 &&
	    (st = seq_at_time(s, q->until_ms, end, hi, err)))
		return st;
	return LEDGER_OK;
}

enum ledger_status
ledger_store_query(struct ledger_store *s, const struct ledger_query *q,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    struct ledger_error *err)
{
	return ledger_store_query_page(s, q, fn, ctx, 0, NULL, err);
}

struct page {
	const struct ledger_query *q;
	int (*fn)(void *ctx, const struct ledger_row *row);
	void *ctx;
	uint64_t max_scan, scanned, n;
	int64_t *ret_resume;
};

static int
page_row(void *ctx, const struct ledger_row *row)
{
	struct page *p = ctx;
	int stop = 0;

	if (ledger_query_match(p->q, &row->e)) {
		stop = p->fn(p->ctx, row);
		p->n++;
	}
	if (stop != 0 || (p->q->limit > 0 && p->n >= p->q->limit))
		return 1;
	if (p->max_scan > 0 && ++p->scanned >= p->max_scan) {
		/* The budget is spent: say where to go on. */
		if (p->ret_resume != NULL)
			*p->ret_resume = (int64_t)row->e.seq;
		return 1;
	}
	return 0;
}

enum ledger_status
ledger_store_query_page(struct ledger_store *s, const struct ledger_query *q,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    uint64_t max_scan, int64_t *ret_resume, struct ledger_error *err)
{
	struct ledger_buf terms = LEDGER_BUF_INIT;
	struct page p = { q, fn, ctx, max_scan, 0, 0, ret_resume };
	enum ledger_status st;
	uint64_t lo, hi;

	if (ret_resume != NULL)
		*ret_resume = -1;
	if (q->kinds >> LEDGER_KIND_COUNT)
		return ledger_errorf(err, LEDGER_EINVAL, "bad kind filter");
	if ((st = ledger_query_check(q, err)) != LEDGER_OK ||
	    (st = query_range(s, q, &lo, &hi, err)) != LEDGER_OK)
		return st;
	if (lo >= hi)
		return LEDGER_OK;	/* an empty range */
	if ((s->ops->caps(s->be) & LEDGER_BE_LOOKUP_KEYS) &&
	    (match_expr(q, &terms) != LEDGER_OK ||
	    ledger_buf_addc(&terms, '\0') != LEDGER_OK)) {
		ledger_buf_release(&terms);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	st = s->ops->list(s->be, terms.len > 1 ? (const char *)terms.data :
	    NULL, lo, hi, page_row, &p, err);
	ledger_buf_release(&terms);
	return st;
}
