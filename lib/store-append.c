/*
 * store-append.c - the append path, used by ledgerctl and by the daemon's
 * sequencer alike:
 *
 *	begin_write
 *	for each event: look up (source, delivery) and the body ->
 *	    duplicate receipt, or
 *	    seq = size, time = max(now, last time), prev = last leaf,
 *	    encode -> leaf hash -> sign -> insert entry, payload, tree hashes
 *	write head; check the storage is still the one opened
 *	commit				(durable here)
 *
 * Any failure rolls the whole batch back and restores the in-memory head,
 * so a caller that retries starts from exactly the committed state.  The
 * rows go through the backend (backend.h); the decisions are here.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/store.h"
#include "ledger-int.h"
#include "dfilter.h"
#include "lookup.h"
#include "signer.h"
#include "store-int.h"

/* ---- the delivery filter (dfilter.h) ---- */

/* Build it once a writer has been offered this many events. */
#define DFILTER_AFTER		512
/* Another writer appended more than this since our last batch: drop the
 * filter (and rebuild it) rather than read all their rows. */
#define DFILTER_CATCH_UP_MAX	65536

void
ledger_store_dfilter_drop(struct ledger_store *s)
{
	ledger_dfilter_free(s->dfilter);
	s->dfilter = NULL;
}

static int
dfilter_add_term(void *ctx, const char *term, size_t len)
{
	struct ledger_store *s = ctx;
	enum ledger_lookup_field f;
	uint64_t k;

	if (ledger_lookup_parse_term(term, len, &f, &k) &&
	    (f == LEDGER_LOOKUP_DELIVERY || f == LEDGER_LOOKUP_BODY))
		ledger_dfilter_add(s->dfilter, k);
	return 0;
}

/*
 * Inside the write transaction: (re)build the filter from every delivery
 * and body term, sized for twice the log's keys.  Out of memory or a
 * failed read only leaves the store without a filter (exact lookups),
 * never wrong.
 */
static enum ledger_status
dfilter_build(struct ledger_store *s, struct ledger_error *err)
{
	static const char ranges[][2][2] = { { "b", "c" }, { "d", "e" } };
	enum ledger_status st = LEDGER_OK;
	size_t i;

	ledger_store_dfilter_drop(s);
	if (!(s->ops->caps(s->be) & LEDGER_BE_LOOKUP_KEYS))
		return LEDGER_OK;
	/* a delivery and a body key an entry: room for twice the log's */
	if ((s->dfilter = ledger_dfilter_new(4 * s->size)) == NULL)
		return LEDGER_OK;
	for (i = 0; i < sizeof(ranges) / sizeof(*ranges) && !st; i++)
		st = s->ops->scan_terms(s->be, ranges[i][0], ranges[i][1],
		    dfilter_add_term, s, err);
	if (st != LEDGER_OK)
		ledger_store_dfilter_drop(s);
	return st;
}

static int
dfilter_add_row(void *ctx, const struct ledger_row *row)
{
	struct ledger_store *s = ctx;
	uint64_t keys[LEDGER_LOOKUP_COUNT];
	int present[LEDGER_LOOKUP_COUNT];

	ledger_lookup_terms(&row->e, NULL, keys, present);
	if (present[LEDGER_LOOKUP_DELIVERY])
		ledger_dfilter_add(s->dfilter, keys[LEDGER_LOOKUP_DELIVERY]);
	if (present[LEDGER_LOOKUP_BODY])
		ledger_dfilter_add(s->dfilter, keys[LEDGER_LOOKUP_BODY]);
	return 0;
}

/* Another writer appended seqs [from, to): add their delivery and body
 * keys. */
enum ledger_status
ledger_store_dfilter_catch_up(struct ledger_store *s, uint64_t from,
    uint64_t to, struct ledger_error *err)
{
	enum ledger_status st;

	if (s->dfilter == NULL)
		return LEDGER_OK;
	if (to - from > DFILTER_CATCH_UP_MAX) {
		ledger_store_dfilter_drop(s);
		return LEDGER_OK;
	}
	st = s->ops->list(s->be, NULL, from, to, dfilter_add_row, s, err);
	if (st != LEDGER_OK)
		ledger_store_dfilter_drop(s);
	return st;
}

/* ---- duplicates ---- */

static void
receipt_of(const struct ledger_row *row, struct ledger_receipt *r)
{
	r->seq = row->e.seq;
	ledger_leaf_hash(row->entry, row->entry_len, r->leaf);
	memcpy(r->sig, row->sig, LEDGER_SIG_BYTES);
	r->key_id = row->e.key_id;
	r->time_ms = row->e.time_ms;
	r->duplicate = true;
}

static enum ledger_status
delivery_conflict(const struct ledger_event *ev, uint64_t seq,
    struct ledger_error *err)
{
	return ledger_errorf(err, LEDGER_EEXIST, "delivery '%.128s' of source "
	    "'%.64s' is already in the log (seq %" PRIu64 ") with a different "
	    "body; a retry must send the same body, a new event a new id",
	    ev->e.source[LEDGER_SRC_DELIVERY], ev->e.source[LEDGER_SRC_NAME],
	    seq);
}

/* An earlier entry with the same (source, delivery), whose lookup key is
 * key?  Fills r and sets *found; the same delivery id with another body
 * is no retry: LEDGER_EEXIST, never a silent "already there". */
static enum ledger_status
find_delivery(struct ledger_store *s, const struct ledger_event *ev,
    uint64_t key, struct ledger_receipt *r, bool *found,
    struct ledger_error *err)
{
	char term[LEDGER_LOOKUP_TERM];
	struct ledger_row row;
	enum ledger_status st;
	bool conflict;

	*found = false;
	if (ev->e.source[LEDGER_SRC_DELIVERY] == NULL)
		return LEDGER_OK;
	if (s->dfilter != NULL && !ledger_dfilter_maybe(s->dfilter, key))
		return LEDGER_OK;
	ledger_lookup_term(LEDGER_LOOKUP_DELIVERY, key, term);
	if ((st = s->ops->find_delivery(s->be, ev->e.source[LEDGER_SRC_NAME],
	    ev->e.source[LEDGER_SRC_DELIVERY], term, &row, found, err)) ||
	    !*found)
		return st;
	receipt_of(&row, r);
	conflict = memcmp(row.e.payload_sha256, ev->e.payload_sha256,
	    LEDGER_HASH_BYTES) != 0;
	ledger_row_release(&row);
	if (conflict)
		return delivery_conflict(ev, r->seq, err);
	return LEDGER_OK;
}

static bool
same_value(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* Do two entries say the same thing from the same body: the fields of
 * the body key (ledger_lookup_body_key), compared, not hashed? */
static bool
same_body_event(const struct ledger_entry *a, const struct ledger_entry *b)
{
	int f;

	if (a->kind != b->kind || memcmp(a->payload_sha256, b->payload_sha256,
	    LEDGER_HASH_BYTES) != 0 ||
	    !same_value(a->source[LEDGER_SRC_NAME], b->source[LEDGER_SRC_NAME]) ||
	    !same_value(a->source[LEDGER_SRC_EVENT],
	    b->source[LEDGER_SRC_EVENT]))
		return false;
	for (f = 0; f < LEDGER_SUBJ_COUNT; f++)
		if (!same_value(a->subject[f], b->subject[f]))
			return false;
	return true;
}

struct body_search {
	const struct ledger_event *ev;
	struct ledger_receipt *r;
	bool found;
};

static int
body_candidate(void *ctx, const struct ledger_row *row)
{
	struct body_search *b = ctx;

	if (!same_body_event(&row->e, &b->ev->e))
		return 0;
	receipt_of(row, b->r);
	b->found = true;
	return 1;
}

/*
 * An earlier entry of the event's source with the same body that says the
 * same thing: the delivery replayed under a fresh delivery id (an unsigned
 * header the replayer chose).  Fills r with that entry's receipt and sets
 * *found.  Only for events that ask for it (webhook events, unless their
 * source records duplicate bodies).
 */
static enum ledger_status
find_body(struct ledger_store *s, const struct ledger_event *ev,
    uint64_t key, struct ledger_receipt *r, bool *found,
    struct ledger_error *err)
{
	struct body_search b = { ev, r, false };
	char term[LEDGER_LOOKUP_TERM];
	enum ledger_status st;

	*found = false;
	if (!ev->dedupe_body || (s->dfilter != NULL &&
	    !ledger_dfilter_maybe(s->dfilter, key)))
		return LEDGER_OK;
	ledger_lookup_term(LEDGER_LOOKUP_BODY, key, term);
	st = s->ops->find_body(s->be, ev->e.source[LEDGER_SRC_NAME],
	    ev->e.payload_sha256, term, body_candidate, &b, err);
	*found = st == LEDGER_OK && b.found;
	return st;
}

/*
 * A batch is appended in three steps: (1) under the write lock, each
 * event is checked for a duplicate delivery, sequenced, encoded and
 * hashed (the chain is sequential: each prev is the last leaf); (2) its
 * leaf is signed; (3) its rows are inserted.  Signing (~15 us an event)
 * needs nothing from SQLite, so for a batch of SIGN_THREAD_MIN events or
 * more the store's signer thread signs leaf i while this thread inserts
 * the rows of earlier ones; the insert of entry i waits until signed > i.
 * The signer exists only on a machine with more than one core and only
 * once such a batch comes (ledgerctl append never starts it).
 */
#define SIGN_THREAD_MIN 16

/* ---- the append steps ---- */

/* What step 1 decided for one event of the batch. */
struct staged {
	int dup_of;			/* -1, or the batch index it repeats */
	bool dup;			/* a duplicate (of the log or batch) */
	size_t enc_off, enc_len;	/* its bytes in s->enc */
	uint8_t prev[LEDGER_HASH_BYTES];
	uint64_t dkey;			/* delivery lookup key */
	uint64_t bkey;			/* body lookup key */
	int nterms;			/* its lookup terms, computed once */
	char terms[LEDGER_LOOKUP_TERMS];
};

/* Grow the per-batch arrays to n events. */
static enum ledger_status
batch_reserve(struct ledger_store *s, size_t n, struct ledger_error *err)
{
	void *p;

	if (n <= s->batch_cap)
		return LEDGER_OK;
	if ((p = realloc(s->staged, n * sizeof(*s->staged))) == NULL)
		goto nomem;
	s->staged = p;
	if ((p = realloc(s->leaves, n * sizeof(*s->leaves))) == NULL)
		goto nomem;
	s->leaves = p;
	if ((p = realloc(s->sigs, n * sizeof(*s->sigs))) == NULL)
		goto nomem;
	s->sigs = p;
	s->batch_cap = n;
	return LEDGER_OK;
nomem:
	return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
}

/* An earlier event of this batch with the same (source, delivery)?  A
 * linear scan over the events that share the key, which is nearly never
 * more than the event itself. */
static int
batch_dup(struct ledger_store *s, struct ledger_event *const *evs, size_t i)
{
	const struct ledger_event *ev = evs[i];
	size_t j;

	for (j = 0; j < i; j++) {
		const struct ledger_event *o = evs[j];

		if (s->staged[j].dup || s->staged[j].dkey != s->staged[i].dkey ||
		    o->e.source[LEDGER_SRC_DELIVERY] == NULL)
			continue;
		if (strcmp(o->e.source[LEDGER_SRC_DELIVERY],
		    ev->e.source[LEDGER_SRC_DELIVERY]) == 0 &&
		    strcmp(o->e.source[LEDGER_SRC_NAME],
		    ev->e.source[LEDGER_SRC_NAME]) == 0)
			return (int)j;
	}
	return -1;
}

/* An earlier event of this batch with the same body that says the same
 * thing (find_body, within the batch)? */
static int
batch_body_dup(struct ledger_store *s, struct ledger_event *const *evs,
    size_t i)
{
	size_t j;

	if (!evs[i]->dedupe_body)
		return -1;
	for (j = 0; j < i; j++)
		if (!s->staged[j].dup && s->staged[j].bkey == s->staged[i].bkey &&
		    same_body_event(&evs[j]->e, &evs[i]->e))
			return (int)j;
	return -1;
}

/* Step 1 for one new event: sequence, encode, hash. */
static enum ledger_status
stage_one(struct ledger_store *s, const struct ledger_event *ev, size_t i,
    int64_t now, struct ledger_receipt *r, struct ledger_error *err)
{
	struct ledger_entry e = ev->e;	/* shallow: borrows ev's strings */
	struct staged *sg = &s->staged[i];
	enum ledger_status st;

	e.log = s->origin;
	e.seq = s->size;
	e.time_ms = now > s->last_time_ms ? now : s->last_time_ms;
	e.key_id = s->key_id;
	memcpy(e.prev, s->last_leaf, LEDGER_HASH_BYTES);
	memcpy(sg->prev, e.prev, LEDGER_HASH_BYTES);

	sg->enc_off = s->enc.len;
	if ((st = ledger_entry_encode(&e, &s->enc, err)) != LEDGER_OK)
		return st;
	sg->enc_len = s->enc.len - sg->enc_off;
	ledger_leaf_hash(s->enc.data + sg->enc_off, sg->enc_len, r->leaf);
	memcpy(s->leaves[i], r->leaf, LEDGER_HASH_BYTES);
	r->seq = e.seq;
	r->time_ms = e.time_ms;
	r->key_id = e.key_id;
	r->duplicate = false;

	s->size++;
	memcpy(s->last_leaf, r->leaf, LEDGER_HASH_BYTES);
	s->last_time_ms = e.time_ms;
	return LEDGER_OK;
}

/* Step 3 for one new event: its rows and its tree hashes. */
static enum ledger_status
insert_one(struct ledger_store *s, const struct ledger_event *ev, size_t i,
    const struct ledger_receipt *r, struct ledger_error *err)
{
	const struct staged *sg = &s->staged[i];
	uint8_t hashes[LEDGER_MERKLE_MAX_STORED][LEDGER_HASH_BYTES];
	uint64_t idx[LEDGER_MERKLE_MAX_STORED];
	struct ledger_entry e = ev->e;	/* shallow: borrows ev's strings */
	struct ledger_be_insert in;
	enum ledger_status st;
	size_t k, nh;

	e.seq = r->seq;
	e.time_ms = r->time_ms;
	e.key_id = r->key_id;
	memcpy(e.prev, sg->prev, LEDGER_HASH_BYTES);
	memset(&in, 0, sizeof(in));
	in.e = &e;
	in.entry = (const uint8_t *)s->enc.data + sg->enc_off;
	in.entry_len = sg->enc_len;
	in.sig = r->sig;
	in.terms = sg->nterms > 0 ? sg->terms : NULL;
	in.payload_z = ledger_event_zpayload(ev, &in.payload_zlen);
	in.headers = ev->headers;
	if ((st = s->ops->insert_entry(s->be, &in, err)) != LEDGER_OK)
		return st;
	st = ledger_merkle_frontier_append(&s->frontier, r->leaf, hashes, idx,
	    &nh, err);
	for (k = 0; st == LEDGER_OK && k < nh; k++)
		st = s->ops->insert_tree(s->be, idx[k], hashes[k], err);
	return st;
}

static enum ledger_status
check_event(const struct ledger_event *ev, struct ledger_error *err)
{
	size_t zlen = 0;

	if (ev == NULL || ev->e.source[LEDGER_SRC_NAME] == NULL ||
	    ev->e.source[LEDGER_SRC_TYPE] == NULL ||
	    ev->e.payload_type == NULL ||
	    ledger_event_zpayload(ev, &zlen) == NULL ||
	    ledger_kind_name(ev->e.kind) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "event lacks a source name, source type, kind or payload");
	if (zlen > INT32_MAX)
		return ledger_errorf(err, LEDGER_EINVAL, "payload too large");
	return LEDGER_OK;
}

/*
 * Step 1 of an append, under the write lock: for each event, in order,
 * find an earlier entry or an earlier event of the batch with the same
 * delivery (its receipt, or LEDGER_EEXIST when the body differs), or with
 * the same body saying the same thing (find_body: its receipt), else
 * sequence, encode and hash it.  *ret_nnew gets the number of new events.
 */
static enum ledger_status
stage_batch(struct ledger_store *s, struct ledger_event *const *evs,
    size_t n, struct ledger_receipt *ret, size_t *ret_nnew,
    struct ledger_error *err)
{
	uint64_t keys[LEDGER_LOOKUP_COUNT];
	int present[LEDGER_LOOKUP_COUNT];
	enum ledger_status st;
	int64_t now = ledger_now_ms();
	size_t i, nnew = 0;
	bool dup;

	ledger_buf_reset(&s->enc);
	for (i = 0; i < n; i++) {
		struct staged *sg = &s->staged[i];

		sg->dup = false;
		sg->dup_of = -1;
		sg->nterms = ledger_lookup_terms(&evs[i]->e, sg->terms, keys,
		    present);
		sg->dkey = keys[LEDGER_LOOKUP_DELIVERY];
		sg->bkey = keys[LEDGER_LOOKUP_BODY];
		if ((st = find_delivery(s, evs[i], sg->dkey, &ret[i], &dup,
		    err)))
			return st;
		if (!dup && evs[i]->e.source[LEDGER_SRC_DELIVERY] != NULL &&
		    (sg->dup_of = batch_dup(s, evs, i)) >= 0) {
			if (memcmp(evs[sg->dup_of]->e.payload_sha256,
			    evs[i]->e.payload_sha256, LEDGER_HASH_BYTES) != 0)
				return ledger_errorf(err, LEDGER_EEXIST,
				    "delivery '%.128s' of source '%.64s' comes "
				    "twice in one batch with different bodies",
				    evs[i]->e.source[LEDGER_SRC_DELIVERY],
				    evs[i]->e.source[LEDGER_SRC_NAME]);
			dup = true;
		}
		if (!dup && (st = find_body(s, evs[i], sg->bkey, &ret[i], &dup,
		    err)))
			return st;
		if (!dup && (sg->dup_of = batch_body_dup(s, evs, i)) >= 0)
			dup = true;
		if (dup) {
			sg->dup = true;
			continue;
		}
		if ((st = stage_one(s, evs[i], i, now, &ret[i], err)))
			return st;
		/* A later event of this batch must find it.  If the batch
		 * rolls back the bit stays, a harmless "maybe". */
		if (s->dfilter != NULL && evs[i]->e.source[LEDGER_SRC_DELIVERY])
			ledger_dfilter_add(s->dfilter, sg->dkey);
		if (s->dfilter != NULL)
			ledger_dfilter_add(s->dfilter, sg->bkey);
		nnew++;
	}
	*ret_nnew = nnew;
	return LEDGER_OK;
}

/* Steps 2 and 3: sign the new events' leaves (on the signer thread while
 * their rows are inserted, for a large batch) and insert them. */
static enum ledger_status
sign_and_insert(struct ledger_store *s, struct ledger_event *const *evs,
    size_t n, size_t nnew, struct ledger_receipt *ret,
    struct ledger_error *err)
{
	struct ledger_signer *g = NULL;
	enum ledger_status st = LEDGER_OK;
	size_t i, k = 0;

	if (nnew >= SIGN_THREAD_MIN && s->signer == NULL)
		s->signer = ledger_signer_start(s->key);
	if (nnew >= SIGN_THREAD_MIN && s->signer != NULL) {
		g = s->signer;
		/* Only the new events' leaves, in order: compact them. */
		for (i = 0; i < n; i++)
			if (!s->staged[i].dup) {
				if (k != i)
					memcpy(s->leaves[k], s->leaves[i],
					    LEDGER_HASH_BYTES);
				k++;
			}
		ledger_signer_submit(g, (const uint8_t (*)[32])s->leaves,
		    s->sigs, nnew);
	} else {
		for (i = 0; i < n; i++)
			if (!s->staged[i].dup)
				ledger_key_sign_leaf(s->key, ret[i].leaf,
				    ret[i].sig);
	}
	for (i = 0, k = 0; i < n && st == LEDGER_OK; i++) {
		if (s->staged[i].dup)
			continue;
		if (g != NULL) {
			ledger_signer_wait_for(g, k);
			memcpy(ret[i].sig, s->sigs[k], LEDGER_SIG_BYTES);
		}
		k++;
		st = insert_one(s, evs[i], i, &ret[i], err);
	}
	/* Done or abandoned: never leave the thread reading buffers the
	 * next batch reuses. */
	if (g != NULL)
		ledger_signer_finish(g);
	return st;
}

enum ledger_status
ledger_store_append(struct ledger_store *s, struct ledger_event *const *evs,
    size_t n, struct ledger_receipt *ret, struct ledger_error *err)
{
	struct ledger_merkle_frontier saved_frontier;
	uint8_t saved_leaf[LEDGER_HASH_BYTES];
	struct ledger_be_head head;
	uint64_t saved_size;
	int64_t saved_time;
	enum ledger_status st;
	size_t i, nnew = 0;

	if (s == NULL || s->key == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "store is not open for writing");
	if (n == 0 || n > LEDGER_BATCH_MAX || evs == NULL || ret == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "batch must hold 1 to %d events", LEDGER_BATCH_MAX);
	for (i = 0; i < n; i++)
		if ((st = check_event(evs[i], err)) != LEDGER_OK)
			return st;
	if ((st = batch_reserve(s, n, err)) != LEDGER_OK)
		return st;

	saved_frontier = s->frontier;
	saved_size = s->size;
	saved_time = s->last_time_ms;
	memcpy(saved_leaf, s->last_leaf, LEDGER_HASH_BYTES);

	if ((st = s->ops->begin_write(s->be, err)) != LEDGER_OK)
		return st;
	/* Another process (ledgerctl beside the daemon) may have appended
	 * since our last commit: the head row, read under the write lock,
	 * is the truth.  One point read per batch. */
	if ((st = ledger_store_sync_head(s, err)) != LEDGER_OK)
		goto rollback;
	s->appended += n;
	if (s->dfilter == NULL && s->appended >= DFILTER_AFTER &&
	    (st = dfilter_build(s, err)) != LEDGER_OK)
		goto rollback;

	/* 1. duplicates, sequence, encode, hash; 2. sign; 3. rows */
	if ((st = stage_batch(s, evs, n, ret, &nnew, err)) != LEDGER_OK ||
	    (st = sign_and_insert(s, evs, n, nnew, ret, err)) != LEDGER_OK)
		goto rollback;
	/* A repeat of an event earlier in the batch gets its receipt. */
	for (i = 0; i < n; i++)
		if (s->staged[i].dup_of >= 0) {
			ret[i] = ret[s->staged[i].dup_of];
			ret[i].duplicate = true;
		}

	head.size = s->size;
	memcpy(head.last_leaf, s->last_leaf, LEDGER_HASH_BYTES);
	head.last_time_ms = s->last_time_ms;
	if ((st = s->ops->head_write(s->be, &head, err)) != LEDGER_OK ||
	    (st = s->ops->check_alive(s->be, err)) != LEDGER_OK ||
	    (st = s->ops->commit(s->be, err)) != LEDGER_OK)
		goto rollback;
	return LEDGER_OK;
rollback:
	s->ops->rollback(s->be);
	s->frontier = saved_frontier;
	s->size = saved_size;
	s->last_time_ms = saved_time;
	memcpy(s->last_leaf, saved_leaf, LEDGER_HASH_BYTES);
	return st;
}

enum ledger_status
ledger_store_prepare_ingest(struct ledger_store *s, struct ledger_error *err)
{
	enum ledger_status st;

	if (s == NULL || s->key == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "store is not open for writing");
	if (s->dfilter != NULL)
		return LEDGER_OK;
	if ((st = s->ops->begin_write(s->be, err)) != LEDGER_OK)
		return st;
	if ((st = ledger_store_sync_head(s, err)) == LEDGER_OK &&
	    (st = dfilter_build(s, err)) == LEDGER_OK)
		st = s->ops->commit(s->be, err);
	if (st != LEDGER_OK)
		s->ops->rollback(s->be);
	return st;
}
