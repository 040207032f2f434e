/*
 * verify-tail.c - checking what was appended since the last look
 *
 * ledger_verify_store walks the whole log; a daemon that watches its own
 * log also wants each new entry and checkpoint checked seconds after it
 * was committed, at the cost of what was appended.  A tail keeps one
 * streaming verifier (the chain, the key history), a Merkle frontier and
 * the next checkpoint size across steps; each step reads, in one read
 * snapshot, the rows from where the last one stopped up to the newest
 * signed checkpoint (never past it: a checkpoint signed a moment after its
 * rows is read with them) and the checkpoints they reach, and feeds them
 * through.  Payloads, the stored tree hashes
 * and the lookup terms are left to the whole-log walk.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/merkle.h"
#include "ledger/store.h"
#include "ledger/tree.h"
#include "ledger/verify.h"
#include "ledger-int.h"
#include "store-int.h"
#include "verify-int.h"

struct ledger_tail {
	struct ledger_verifier *v;
	struct ledger_merkle_frontier f;
	struct ledger_verify_opts o;
	uint64_t next;			/* the next seq to read */
	uint64_t seen_size;		/* the largest head size seen */
	bool end_gap;			/* reported rows missing at the end */
	bool truncated;			/* reported a shrinking head */
	/* checkpoints the rows read in this step reach, by size */
	struct ledger_signed_checkpoint *cps;
	size_t ncp, icp;
};

/* Each leaf: the frontier, and the checkpoint of that size. */
static void
tail_leaf(void *ctx, struct ledger_verifier *v, uint64_t seq,
    const uint8_t leaf[LEDGER_HASH_BYTES])
{
	struct ledger_tail *t = ctx;
	struct ledger_signed_checkpoint *cp;

	if (ledger_merkle_frontier_size(&t->f) != seq ||
	    ledger_merkle_frontier_append(&t->f, leaf, NULL, NULL, NULL,
	    NULL) != LEDGER_OK)
		return;
	while (t->icp < t->ncp && t->cps[t->icp].size <= seq + 1) {
		cp = &t->cps[t->icp++];
		if (cp->size == seq + 1)
			ledger_verify_checkpoint_row(v, &t->f, cp->size,
			    cp->root, false, cp->note, cp->note_len);
	}
}

enum ledger_status
ledger_tail_new(struct ledger_store *s, const struct ledger_verify_opts *opts,
    ledger_verify_fn fn, void *ctx, struct ledger_tail **ret,
    struct ledger_error *err)
{
	struct ledger_tail *t;
	enum ledger_status st;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (opts != NULL)
		t->o = *opts;
	if (t->o.nkeys == 0) {
		if (ledger_store_vkey(s) == NULL) {
			free(t);
			return ledger_errorf(err, LEDGER_EINVAL, "no verifier "
			    "key: '%s' is missing and none was given",
			    LEDGER_PUB_FILE);
		}
		t->o.keys = ledger_store_vkey(s);
		t->o.nkeys = 1;
	}
	t->o.threads = t->o.threads > 0 ? t->o.threads : 1;
	t->o.progress = NULL;
	/* no end to check against: the tail never finishes */
	if ((st = ledger_verifier_new(&t->o, UINT64_MAX, fn, ctx, &t->v,
	    err)) != LEDGER_OK) {
		free(t);
		return st;
	}
	ledger_merkle_frontier_init(&t->f);
	ledger_verifier_on_leaf(t->v, tail_leaf, t);
	*ret = t;
	return LEDGER_OK;
}

static void
cps_release(struct ledger_tail *t)
{
	size_t i;

	for (i = 0; i < t->ncp; i++)
		ledger_signed_checkpoint_release(&t->cps[i]);
	free(t->cps);
	t->cps = NULL;
	t->ncp = t->icp = 0;
}

/* The checkpoints of size in (from, to], in order. */
static enum ledger_status
read_checkpoints(struct ledger_tail *t, struct ledger_store *s, uint64_t from,
    uint64_t to, struct ledger_error *err)
{
	struct ledger_signed_checkpoint cp, *p;
	enum ledger_status st;
	uint64_t at = from + 1;

	while (at <= to) {
		st = s->ops->checkpoint_get(s->be, LEDGER_CP_AT_LEAST, at, &cp,
		    err);
		if (st == LEDGER_ENOTFOUND || (st == LEDGER_OK && cp.size > to)) {
			ledger_signed_checkpoint_release(&cp);
			break;
		}
		if (st == LEDGER_ECHAIN) {	/* a malformed row */
			ledger_verifier_report(t->v, at - 1,
			    LEDGER_PROB_BAD_CHECKPOINT, "a checkpoint row of "
			    "size >= %" PRIu64 " is malformed", at);
			return LEDGER_OK;
		}
		if (st != LEDGER_OK)
			return st;
		if ((p = realloc(t->cps, (t->ncp + 1) * sizeof(*p))) == NULL) {
			ledger_signed_checkpoint_release(&cp);
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "out of memory");
		}
		t->cps = p;
		t->cps[t->ncp++] = cp;
		at = cp.size + 1;
	}
	return LEDGER_OK;
}

/* The size of the newest stored checkpoint (0: none). */
static enum ledger_status
newest_checkpoint(struct ledger_store *s, uint64_t *ret,
    struct ledger_error *err)
{
	struct ledger_signed_checkpoint cp;
	enum ledger_status st;

	st = s->ops->checkpoint_get(s->be, LEDGER_CP_LATEST, 0, &cp, err);
	*ret = st == LEDGER_OK ? cp.size : 0;
	ledger_signed_checkpoint_release(&cp);
	if (st == LEDGER_ECHAIN)	/* a malformed row: read_checkpoints */
		*ret = UINT64_MAX;	/* reports it on the way */
	if (st == LEDGER_ENOTFOUND || st == LEDGER_ECHAIN)
		return LEDGER_OK;
	return st;
}

struct rows {
	struct ledger_row *v;
	size_t n, cap;
	bool nomem;
};

static int
take_row(void *ctx, const struct ledger_row *row)
{
	struct rows *r = ctx;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 256;
		struct ledger_row *p = realloc(r->v, cap * sizeof(*p));

		if (p == NULL) {
			r->nomem = true;
			return 1;
		}
		r->v = p;
		r->cap = cap;
	}
	if (!ledger_row_copy(&r->v[r->n], row)) {
		r->nomem = true;
		return 1;
	}
	r->n++;
	return 0;
}

static enum ledger_status
feed(struct ledger_tail *t, struct rows *r, struct ledger_error *err)
{
	struct ledger_verify_input *in;
	enum ledger_status st;
	size_t i;

	if (r->n == 0)
		return LEDGER_OK;
	if ((in = calloc(r->n, sizeof(*in))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	for (i = 0; i < r->n; i++) {
		in[i].seq = r->v[i].e.seq;
		in[i].entry = r->v[i].entry;
		in[i].entry_len = r->v[i].entry_len;
		memcpy(in[i].sig, r->v[i].sig, LEDGER_SIG_BYTES);
		in[i].columns = &r->v[i].e;
		in[i].skip_payload = true;
	}
	st = ledger_verifier_add(t->v, in, r->n, err);
	free(in);
	return st;
}

enum ledger_status
ledger_tail_step(struct ledger_tail *t, struct ledger_store *s, uint64_t max,
    uint64_t *ret_checked, struct ledger_verify_report *rep,
    struct ledger_error *err)
{
	struct ledger_be_head head;
	struct rows r = { NULL, 0, 0, false };
	enum ledger_status st;
	uint64_t to, from = t->next, i, last;

	*ret_checked = 0;
	if ((st = s->ops->begin_read(s->be, err)) != LEDGER_OK)
		return st;
	if ((st = s->ops->head_read(s->be, &head, err)) != LEDGER_OK)
		goto out;
	if (t->truncated)
		goto out;	/* said once; the whole-log walk says the rest */
	if (head.size < t->seen_size) {
		/* entries it held and checked are gone: truncated */
		t->truncated = true;
		ledger_verifier_report(t->v, head.size, LEDGER_PROB_MISSING,
		    "the log held %" PRIu64 " entries and now says %" PRIu64,
		    t->seen_size, head.size);
		goto out;
	}
	t->seen_size = head.size;
	/* Only as far as the newest checkpoint: one signed a moment after
	 * its rows were committed is then read with them, never passed
	 * over (the rows after it wait for the next, a second or so). */
	if ((st = newest_checkpoint(s, &to, err)) != LEDGER_OK)
		goto out;
	if (to > head.size)
		to = head.size;	/* a checkpoint beyond the head: the walk
				   of those rows will find them missing */
	if (to < from)
		to = from;
	if (max > 0 && to - from > max)
		to = from + max;
	if (to == from)
		goto out;
	if ((st = read_checkpoints(t, s, from, to, err)) != LEDGER_OK ||
	    (st = s->ops->list(s->be, NULL, from, to, take_row, &r,
	    err)) != LEDGER_OK)
		goto out;
	if (r.nomem) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	/* rows missing inside the listing show as a gap in the walk; at
	 * its end, nothing after them would: say it once */
	if ((st = feed(t, &r, err)) != LEDGER_OK)
		goto out;
	last = r.n > 0 ? r.v[r.n - 1].e.seq + 1 : from;
	if (last < to && !t->end_gap) {
		t->end_gap = true;
		ledger_verifier_report(t->v, last, LEDGER_PROB_MISSING, "the "
		    "head says %" PRIu64 " entries; rows %" PRIu64 "..%" PRIu64
		    " are missing", head.size, last, to - 1);
	}
	*ret_checked = to - from;
	t->next = to;
out:
	s->ops->rollback(s->be);
	for (i = 0; i < r.n; i++)
		ledger_row_release(&r.v[i]);
	free(r.v);
	cps_release(t);
	if (rep != NULL)
		ledger_verifier_peek(t->v, rep);
	return st;
}

uint64_t
ledger_tail_next(const struct ledger_tail *t)
{
	return t->next;
}

void
ledger_tail_free(struct ledger_tail *t)
{
	if (t == NULL)
		return;
	cps_release(t);
	ledger_verifier_free(t->v);
	free(t);
}
