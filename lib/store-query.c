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
add_term(struct ledger_buf *b, enum ledger_lookup_field f, const char *kind,
    const struct ledger_query_value *v, bool first)
{
	char term[LEDGER_LOOKUP_TERM], full[80];
	enum ledger_status rc = LEDGER_OK;
	int k;

	for (k = 0; k < (v->how == LEDGER_MATCH_DIGEST ? 2 : 1); k++) {
		const char *s = v->s;

		if (k == 1) {
			snprintf(full, sizeof(full), "sha256:%s", v->s);
			s = full;
		}
		ledger_lookup_term(f, kind != NULL ? ledger_lookup_key(f, kind,
		    s) : ledger_lookup_key(f, s, NULL), term);
		if (!first || k > 0)
			rc |= ledger_buf_adds(b, " OR ");
		rc |= ledger_buf_adds(b, term);
	}
	return rc;
}

/* The group of field f's values, each qualified by every kind of kinds
 * when f is one of schema 8's kind-qualified fields. */
static enum ledger_status
add_group_of(struct ledger_buf *b, enum ledger_lookup_field f,
    const struct ledger_query_values *kinds,
    const struct ledger_query_values *vs)
{
	enum ledger_status rc = LEDGER_OK;
	size_t i, k, nk = kinds != NULL ? kinds->n : 1;

	if (vs->n == 0)
		return LEDGER_OK;
	for (i = 0; i < vs->n; i++)
		if (vs->v[i].how == LEDGER_MATCH_PREFIX)
			return LEDGER_OK;
	if (b->len > 0)
		rc |= ledger_buf_adds(b, " AND ");
	rc |= ledger_buf_addc(b, '(');
	for (k = 0; k < nk; k++)
		for (i = 0; i < vs->n; i++)
			rc |= add_term(b, f, kinds != NULL ? kinds->v[k].s :
			    NULL, &vs->v[i], k == 0 && i == 0);
	rc |= ledger_buf_addc(b, ')');
	return rc;
}

static enum ledger_status
add_group(struct ledger_buf *b, enum ledger_lookup_field f,
    const struct ledger_query_values *vs)
{
	return add_group_of(b, f, NULL, vs);
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

/*
 * Schema 8 qualifies a commit, a digest and a run by the entry's kind
 * (lib/lookup.h): a filter naming at most a few kinds and one of those
 * values reads the rows of those kinds only, through the first such field
 * (commit, artifact, run); the kinds then need no group of their own.
 */
#define KIND_TERMS_MAX 1

static int
kind_field(const struct ledger_query *q, unsigned caps, size_t nkinds)
{
	static const enum ledger_subject f[] = { LEDGER_SUBJ_COMMIT,
	    LEDGER_SUBJ_ARTIFACT, LEDGER_SUBJ_RUN };
	size_t i, k;

	if (!(caps & LEDGER_BE_KIND_KEYS) || nkinds == 0 ||
	    nkinds > KIND_TERMS_MAX)
		return -1;
	for (i = 0; i < sizeof(f) / sizeof(*f); i++) {
		const struct ledger_query_values *vs = &q->subject[f[i]];
		bool prefix = false;

		for (k = 0; k < vs->n; k++)
			prefix |= vs->v[k].how == LEDGER_MATCH_PREFIX;
		if (vs->n > 0 && !prefix)
			return (int)f[i];
	}
	return -1;
}

static enum ledger_status
match_expr(const struct ledger_query *q, unsigned caps, struct ledger_buf *b)
{
	struct ledger_query_values kinds;
	enum ledger_status rc = LEDGER_OK;
	bool fine = false;
	int i, kf;

	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		if (ledger_lookup_subject(i) >= 0 && !coarse(i) &&
		    q->subject[i].n > 0)
			fine = true;
	memset(&kinds, 0, sizeof(kinds));
	for (i = 0; i < LEDGER_KIND_COUNT; i++)
		if (q->kinds & (1u << i)) {
			kinds.v[kinds.n].s = (char *)ledger_kind_name(i);
			kinds.v[kinds.n++].how = LEDGER_MATCH_EXACT;
		}
	kf = kind_field(q, caps, kinds.n);
	if (!fine)
		rc |= add_group(b, LEDGER_LOOKUP_KIND, &kinds);
	if (!fine)
		rc |= add_group(b, LEDGER_LOOKUP_SOURCE, &q->source);
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++) {
		if (ledger_lookup_subject(i) < 0 || (fine && coarse(i)))
			continue;
		if (i == kf)
			rc |= add_group_of(b, i == LEDGER_SUBJ_COMMIT ?
			    LEDGER_LOOKUP_KIND_COMMIT : i ==
			    LEDGER_SUBJ_ARTIFACT ? LEDGER_LOOKUP_KIND_ARTIFACT :
			    LEDGER_LOOKUP_KIND_RUN, &kinds, &q->subject[i]);
		else
			rc |= add_group(b, (enum ledger_lookup_field)
			    ledger_lookup_subject(i), &q->subject[i]);
	}
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
ledger_store_snapshot_begin(struct ledger_store *s, struct ledger_error *err)
{
	enum ledger_status st;

	if (s->snapshots == 0 && (st = s->ops->begin_read(s->be, err)))
		return st;
	s->snapshots++;
	return LEDGER_OK;
}

void
ledger_store_snapshot_end(struct ledger_store *s)
{
	if (s->snapshots > 0 && --s->snapshots == 0)
		s->ops->rollback(s->be);	/* read only: nothing to keep */
}

struct places {
	int (*fn)(void *ctx, uint64_t key);
	void *ctx;
};

static int
place_term(void *ctx, const char *term, size_t len)
{
	struct places *p = ctx;
	enum ledger_lookup_field f;
	uint64_t key;

	if (!ledger_lookup_parse_term(term, len, &f, &key) ||
	    f != LEDGER_LOOKUP_PLACE)
		return 0;
	return p->fn(p->ctx, key);
}

bool
ledger_store_has_places(struct ledger_store *s)
{
	return (s->ops->caps(s->be) & LEDGER_BE_KIND_KEYS) != 0;
}

enum ledger_status
ledger_store_places(struct ledger_store *s, const char *env,
    int (*fn)(void *ctx, uint64_t key), void *ctx, bool *have,
    struct ledger_error *err)
{
	struct places p = { fn, ctx };
	char lo[LEDGER_LOOKUP_TERM], hi[LEDGER_LOOKUP_TERM];
	uint64_t k = ledger_lookup_place_key(env, NULL);

	*have = ledger_store_has_places(s);
	if (!*have)
		return LEDGER_OK;
	/* the terms whose first 16 bits are env's: [x<env>000..., x<env+1>) */
	k &= ~(UINT64_MAX >> LEDGER_PLACE_ENV_BITS);
	ledger_lookup_term(LEDGER_LOOKUP_PLACE, k, lo);
	ledger_lookup_term(LEDGER_LOOKUP_PLACE, k | UINT64_MAX >>
	    LEDGER_PLACE_ENV_BITS, hi);
	hi[LEDGER_LOOKUP_TERM - 2] = 'g';	/* past ...fff: the range ends */
	return s->ops->scan_terms(s->be, lo, hi, place_term, &p, err);
}

enum ledger_status
ledger_store_place_rows(struct ledger_store *s, uint64_t key, uint64_t lo,
    uint64_t hi, int (*fn)(void *ctx, const struct ledger_row *row),
    void *ctx, struct ledger_error *err)
{
	char term[LEDGER_LOOKUP_TERM];

	ledger_lookup_term(LEDGER_LOOKUP_PLACE, key, term);
	return s->ops->list(s->be, term, lo, hi, fn, ctx, err);
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
	    (match_expr(q, s->ops->caps(s->be), &terms) != LEDGER_OK ||
	    ledger_buf_addc(&terms, '\0') != LEDGER_OK)) {
		ledger_buf_release(&terms);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	st = s->ops->list(s->be, terms.len > 1 ? (const char *)terms.data :
	    NULL, lo, hi, page_row, &p, err);
	ledger_buf_release(&terms);
	return st;
}

/* The narrow shape q has (ledger_backend.narrow), or -1: the approvals
 * of one environment, the builds and changes of full commits, or the
 * deployments and rollbacks of one environment (in a time window). */
static int
narrow_shape(const struct ledger_query *q)
{
	const uint32_t authors = 1u << LEDGER_KIND_BUILD |
	    1u << LEDGER_KIND_CHANGE;
	const uint32_t deployments = 1u << LEDGER_KIND_DEPLOYMENT |
	    1u << LEDGER_KIND_ROLLBACK;
	enum ledger_subject f;
	int shape;
	size_t i;

	if (q->source.n > 0 || q->after_seq >= 0 || q->limit > 0)
		return -1;
	if (q->kinds == 1u << LEDGER_KIND_APPROVAL)
		shape = LEDGER_NARROW_APPROVALS;
	else if (q->kinds == authors)
		shape = LEDGER_NARROW_AUTHORS;
	else if (q->kinds == deployments)
		shape = LEDGER_NARROW_DEPLOYMENTS;
	else
		return -1;
	if (shape != LEDGER_NARROW_DEPLOYMENTS &&
	    (q->since_ms > 0 || q->until_ms > 0))
		return -1;
	f = shape == LEDGER_NARROW_AUTHORS ? LEDGER_SUBJ_COMMIT :
	    LEDGER_SUBJ_ENVIRONMENT;
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		if ((i == f) != (q->subject[i].n > 0))
			return -1;
	if (f == LEDGER_SUBJ_ENVIRONMENT && q->subject[f].n != 1)
		return -1;
	for (i = 0; i < q->subject[f].n; i++)
		if (q->subject[f].v[i].how != LEDGER_MATCH_EXACT)
			return -1;
	return shape;
}

enum ledger_status
ledger_store_query_narrow(struct ledger_store *s, const struct ledger_query *q,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    struct ledger_error *err)
{
	struct ledger_buf terms = LEDGER_BUF_INIT;
	struct page p = { q, fn, ctx, 0, 0, 0, NULL };
	enum ledger_status st;
	uint64_t lo = 0, hi = INT64_MAX;
	const char *arg;
	bool done = false;
	int shape = narrow_shape(q);

	if (shape < 0 || s->ops->narrow == NULL ||
	    !(s->ops->caps(s->be) & LEDGER_BE_LOOKUP_KEYS))
		return ledger_store_query(s, q, fn, ctx, err);
	if ((st = ledger_query_check(q, err)) != LEDGER_OK ||
	    (st = query_range(s, q, &lo, &hi, err)) != LEDGER_OK)
		return st;
	if (shape != LEDGER_NARROW_AUTHORS)
		arg = q->subject[LEDGER_SUBJ_ENVIRONMENT].v[0].s;
	else if (match_expr(q, s->ops->caps(s->be), &terms) != LEDGER_OK ||
	    ledger_buf_addc(&terms, '\0') != LEDGER_OK) {
		ledger_buf_release(&terms);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	} else
		arg = (const char *)terms.data;
	st = s->ops->narrow(s->be, (enum ledger_narrow)shape, arg, lo, hi,
	    page_row, &p, &done, err);
	ledger_buf_release(&terms);
	if (st != LEDGER_OK || done)
		return st;
	return ledger_store_query(s, q, fn, ctx, err);
}

struct records {
	int (*fn)(void *ctx, const struct ledger_row *row);
	void *ctx;
};

static int
ledger_only(void *ctx, const struct ledger_row *row)
{
	const struct records *r = ctx;

	/* the ledger's own records, not a source's entry that happens to
	 * carry the same status */
	if (row->e.source[LEDGER_SRC_TYPE] == NULL ||
	    strcmp(row->e.source[LEDGER_SRC_TYPE], "ledger") != 0)
		return 0;
	return r->fn(r->ctx, row);
}

enum ledger_status
ledger_store_records_after(struct ledger_store *s, int64_t after_seq,
    const char *const *events, size_t n,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    struct ledger_error *err)
{
	struct records r = { fn, ctx };
	struct ledger_query q;
	enum ledger_status st;

	if ((st = ledger_query_records(&q, events, n, err)) == LEDGER_OK) {
		q.after_seq = after_seq;
		st = ledger_store_query(s, &q, ledger_only, &r, err);
	}
	ledger_query_release(&q);
	return st;
}

enum ledger_status
ledger_store_records(struct ledger_store *s, const char *const *events,
    size_t n, int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    struct ledger_error *err)
{
	return ledger_store_records_after(s, -1, events, n, fn, ctx, err);
}
