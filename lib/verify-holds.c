/*
 * verify-holds.c - verify's check that pruning kept what legal holds
 * held: a payload missing below a payloads-pruned record is pruned, not
 * missing, only if some prune that covered it had no hold in force on it
 * (docs/FORMAT.md, "Retention").  Without this, deleting a held payload
 * below the mark would pass as pruning.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ledger/retention.h"
#include "store-int.h"
#include "verify-int.h"

#define BAD_MAX 1000000		/* seqs named one by one */

struct holdcheck {
	const struct ledger_retention *r;
	uint64_t *bad;
	size_t n, cap;
	bool full;
};

/* Some prune covering seq ran with no hold in force matching it. */
static bool
pruned_freely(const struct ledger_retention *r, uint64_t seq, int64_t t,
    const char *env)
{
	size_t i, k;

	for (i = 0; i < r->nprunes; i++) {
		if (r->prunes[i].before_seq <= seq)
			continue;
		for (k = 0; k < r->nholds; k++)
			if (ledger_hold_in_force_at(&r->holds[k],
			    r->prunes[i].seq) && ledger_hold_matches(
			    &r->holds[k], seq, t, env))
				break;
		if (k == r->nholds)
			return true;
	}
	return false;
}

static int
candidate(void *ctx, uint64_t seq, int64_t t, const char *env)
{
	struct holdcheck *hc = ctx;
	uint64_t *p;

	if (pruned_freely(hc->r, seq, t, env))
		return 0;
	if (hc->n == hc->cap) {
		if (hc->cap >= BAD_MAX || (p = realloc(hc->bad, (hc->cap ?
		    2 * hc->cap : 64) * sizeof(*p))) == NULL) {
			hc->full = true;
			return 1;
		}
		hc->bad = p;
		hc->cap = hc->cap ? 2 * hc->cap : 64;
	}
	hc->bad[hc->n++] = seq;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
add_problem(struct ledger_verify_report *rep, ledger_verify_fn fn, void *ctx,
    uint64_t seq, const char *detail)
{
	rep->problems++;
	rep->count[LEDGER_PROB_PAYLOAD_MISMATCH]++;
	if (!rep->has_first_bad || seq < rep->first_bad_seq) {
		rep->has_first_bad = true;
		rep->first_bad_seq = seq;
	}
	if (fn != NULL)
		fn(ctx, seq, LEDGER_PROB_PAYLOAD_MISMATCH, detail);
}

enum ledger_status
ledger_verify_holds(struct ledger_store *s, ledger_verify_fn fn, void *ctx,
    struct ledger_verify_report *rep, struct ledger_error *err)
{
	struct ledger_retention r;
	struct holdcheck hc = { &r, NULL, 0, 0, false };
	const struct ledger_hold *h;
	enum ledger_status st;
	uint64_t hi;
	size_t i, k, j;

	if ((st = ledger_retention_read(s, &r, err)) != LEDGER_OK)
		return st;
	for (i = 0; i < r.nprunes && !hc.full && st == LEDGER_OK; i++)
		for (k = 0; k < r.nholds && !hc.full && st == LEDGER_OK;
		    k++) {
			h = &r.holds[k];
			if (!ledger_hold_in_force_at(h, r.prunes[i].seq))
				continue;
			hi = r.prunes[i].before_seq;
			if (h->has_seqs && h->to_seq < hi)
				hi = h->to_seq + 1;
			st = s->ops->missing_payloads(s->be, h->has_seqs ?
			    h->from_seq : 0, hi, h->environment, h->since_ms,
			    h->until_ms, candidate, &hc, err);
		}
	if (st == LEDGER_OK && hc.n > 0) {
		qsort(hc.bad, hc.n, sizeof(*hc.bad), cmp_u64);
		for (j = 0; j < hc.n; j++)
			if (j == 0 || hc.bad[j] != hc.bad[j - 1]) {
				/* the walk counted it as pruned */
				if (rep->pruned > 0)
					rep->pruned--;
				add_problem(rep, fn, ctx, hc.bad[j], "payload "
				    "is missing: a legal hold in force kept it "
				    "from every prune that covered it");
			}
	}
	if (st == LEDGER_OK && hc.full)
		add_problem(rep, fn, ctx, hc.n ? hc.bad[hc.n - 1] : 0,
		    "more held payloads are missing than verify names");
	free(hc.bad);
	ledger_retention_release(&r);
	return st;
}
