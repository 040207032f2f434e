/*
 * verify-keys.c - the verifier's key history (ledger/keyhist.h): rebuilt
 * from the key records as the walk meets them, each entry judged by the
 * keys valid at its seq, and a revocation judged against what the key
 * signed before the revocation was recorded (kept as runs of seqs per
 * key: a log switches keys rarely).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/keyhist.h"
#include "verify-int.h"

void
ledger_keywalk_init(struct ledger_keywalk *kw, const struct ledger_vkey *roots,
    size_t n)
{
	memset(kw, 0, sizeof(*kw));
	ledger_keyhist_init(&kw->h, roots, n);
}

void
ledger_keywalk_release(struct ledger_keywalk *kw)
{
	free(kw->runs);
	memset(kw, 0, sizeof(*kw));
}

/* Entry seq was signed by key id (authentic): extend its run. */
void
ledger_keywalk_signed(struct ledger_keywalk *kw, uint32_t id, uint64_t seq)
{
	struct ledger_keyrun *r;
	size_t cap;

	if (kw->nruns > 0) {
		r = &kw->runs[kw->nruns - 1];
		if (r->key_id == id) {
			r->last = seq;
			return;
		}
	}
	if (kw->nruns == kw->capruns) {
		cap = kw->capruns ? 2 * kw->capruns : 16;
		if ((r = realloc(kw->runs, cap * sizeof(*r))) == NULL) {
			kw->oom = true;	/* said at the end: not a silent pass */
			return;
		}
		kw->runs = r;
		kw->capruns = cap;
	}
	kw->runs[kw->nruns].key_id = id;
	kw->runs[kw->nruns].first = seq;
	kw->runs[kw->nruns].last = seq;
	kw->nruns++;
}

/* Key k was revoked from its revoked_from by the record at seq at:
 * report each run of it in [revoked_from, at). */
static void
take_back(struct ledger_keywalk *kw, const struct ledger_keyinfo *k,
    uint64_t at, void (*say)(void *ctx, uint64_t seq, const char *why),
    void *ctx)
{
	char why[256];
	uint64_t from, last;
	size_t r;

	for (r = 0; r < kw->nruns; r++) {
		const struct ledger_keyrun *run = &kw->runs[r];

		if (run->key_id != k->vk.id || run->last < k->revoked_from ||
		    run->first >= at)
			continue;
		from = run->first > k->revoked_from ? run->first :
		    k->revoked_from;
		last = run->last < at ? run->last : at - 1;
		snprintf(why, sizeof(why), "signed by key %08" PRIx32 ", which "
		    "the record at seq %" PRIu64 " revoked as compromised from "
		    "seq %" PRIu64 " (%" PRIu64 " entr%s, %" PRIu64 "..%" PRIu64
		    ")", k->vk.id, at, k->revoked_from, last - from + 1,
		    last == from ? "y" : "ies", from, last);
		say(ctx, from, why);
	}
}

void
ledger_keywalk_apply(struct ledger_keywalk *kw, const struct ledger_entry *e,
    uint32_t signer, const uint8_t *body, size_t len, bool have_body,
    void (*say)(void *ctx, uint64_t seq, const char *why), void *ctx)
{
	uint64_t before[LEDGER_KEYHIST_MAX];
	struct ledger_error err;
	char why[sizeof(err.msg) + 32];
	size_t i, n = kw->h.n;

	if (!have_body) {
		say(ctx, e->seq, "the key record's payload is missing: the key "
		    "history cannot be rebuilt past it");
		return;
	}
	for (i = 0; i < n; i++)
		before[i] = kw->h.keys[i].revoked_from;
	if (ledger_keyhist_apply(&kw->h, e, signer, body, len, &err) !=
	    LEDGER_OK) {
		snprintf(why, sizeof(why), "key record does not hold: %s",
		    err.msg);
		say(ctx, e->seq, why);
		return;
	}
	for (i = 0; i < n; i++)
		if (kw->h.keys[i].revoked_from < before[i])
			take_back(kw, &kw->h.keys[i], e->seq, say, ctx);
}
