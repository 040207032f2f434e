/*
 * verify.c - recompute and check the whole log
 *
 * One thread reads the log in seq order inside a single read transaction
 * (a WAL snapshot) in chunks; a pool of threads does the per-entry work
 * that needs no neighbour (leaf hash, signature, payload, columns); then
 * the reading thread walks the chunk in order and checks what links
 * entries to each other (seq continuity, prev).  The category of an entry
 * whose signature fails depends on its successor: if the next entry's
 * prev names this entry's hash, its bytes are authentic and only the
 * signature was changed; so each entry is judged one step late.
 *
 * The lookup-key table (lib/lookup.h) is derived data that queries and
 * idempotency trust, so it is checked too, both ways: every term an
 * entry's columns give must be there under its seq, and nothing else may
 * be.  Fast path, O(1) memory: the workers add up a keyed PRF (SipHash,
 * 128 bits, a fresh random key per run) of every expected (term, seq), and
 * the reading thread adds up the same PRF over the table's own listing
 * (fts5vocab "instance"); equal sums mean equal multisets except with
 * probability ~2^-128, since the key is drawn after the database was
 * written.  Only when they differ are the expected pairs collected,
 * sorted and merged against the listing to name each seq.
 *
 * Fast path: an entry's indexed columns re-encoded must give its stored
 * bytes exactly.  That one comparison shows that the columns are faithful
 * (and yields seq, key and prev without parsing JSON).  Only when it fails
 * do we parse the bytes to find out what differs.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger/keyhist.h"
#include "ledger/retention.h"
#include "ledger/tree.h"
#include "ledger/verify.h"
#include "backend.h"
#include "ledger-int.h"
#include "lookup.h"
#include "sha256.h"
#include "verify-int.h"

#define CHUNK 4096
#define MAX_THREADS 64

static const char *const problem_names[LEDGER_PROB_COUNT] = {
	"modified", "missing", "reordered", "inserted", "bad signature",
	"unknown key", "payload mismatch", "index mismatch", "tree mismatch",
	"bad checkpoint", "key not valid",
};

const char *
ledger_problem_name(enum ledger_problem p)
{
	return (unsigned)p < LEDGER_PROB_COUNT ? problem_names[p] : NULL;
}

/* One entry and what the workers found out about it. */
struct item {
	const struct ledger_verify_input *in;
	/* results */
	uint8_t leaf[LEDGER_HASH_BYTES];
	bool decoded;			/* bytes are a valid entry */
	uint64_t seq;			/* from the bytes */
	uint8_t prev[LEDGER_HASH_BYTES];/* from the bytes */
	int64_t time_ms;		/* from the bytes */
	bool key_known, sig_ok, cols_ok;
	char cols_detail[96];
	int payload;			/* 0 ok, 1 missing, 2 corrupt, 3 wrong,
					   -1 not checked */
	bool prune_record;		/* a payloads-pruned record, intact */
	uint64_t before_seq;		/* ... and what it covers */
	uint32_t key_id;		/* the key it names */
	const char *key_event;		/* a key record (ledger/keyhist.h) */
	uint8_t *key_body;		/* its payload, when intact */
	size_t key_body_len;
	char *key_log;
	uint64_t ksum[2];		/* lookup-key PRF sum of its columns */
};

struct job {
	struct item *items;
	size_t n;
	atomic_size_t next;
	const struct ledger_keyhist *hist;	/* as of the chunk's start */
	bool lookup;			/* sum the lookup-key PRF per item */
	unsigned key_caps;		/* the backend's LEDGER_BE_*_KEYS */
	uint8_t prf[crypto_shorthash_siphashx24_KEYBYTES];
};

static const struct ledger_vkey *
find_key(const struct job *j, uint32_t id)
{
	const struct ledger_keyinfo *k = ledger_keyhist_find(j->hist, id);

	return k != NULL ? &k->vk : NULL;
}

/* Name the first indexed column that differs from the decoded entry. */
static void
diff_columns(const struct ledger_entry *col, const struct ledger_entry *dec,
    char *out, size_t n)
{
	int i;

#define STREQ(a, b) ((a) == NULL ? (b) == NULL : (b) != NULL && !strcmp(a, b))
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		if (!STREQ(col->subject[i], dec->subject[i])) {
			snprintf(out, n, "column '%s' differs from the entry",
			    ledger_subject_column(i));
			return;
		}
	for (i = 0; i < LEDGER_SRC_COUNT; i++)
		if (!STREQ(col->source[i], dec->source[i])) {
			snprintf(out, n, "column 'source_%s' differs from the "
			    "entry", ledger_srcfield_name(i));
			return;
		}
	if (col->kind != dec->kind)
		snprintf(out, n, "column 'kind' differs from the entry");
	else if (col->time_ms != dec->time_ms)
		snprintf(out, n, "column 'time_ms' differs from the entry");
	else if (col->key_id != dec->key_id)
		snprintf(out, n, "column 'key_id' differs from the entry");
	else if (memcmp(col->prev, dec->prev, LEDGER_HASH_BYTES) != 0)
		snprintf(out, n, "column 'prev' differs from the entry");
	else if (memcmp(col->payload_sha256, dec->payload_sha256,
	    LEDGER_HASH_BYTES) != 0 || col->payload_size != dec->payload_size ||
	    !STREQ(col->payload_type, dec->payload_type))
		snprintf(out, n, "payload columns differ from the entry");
	else
		snprintf(out, n, "columns differ from the entry");
#undef STREQ
}

static bool
check_sig(const struct job *j, struct item *it, uint32_t key_id)
{
	const struct ledger_vkey *vk = find_key(j, key_id);

	it->key_id = key_id;
	it->key_known = vk != NULL;
	return vk != NULL &&
	    ledger_vkey_verify_leaf(vk, it->leaf, it->in->sig);
}

/* The ledger's own record of a prune (ledger/retention.h). */
static bool
is_prune_record(const struct ledger_entry *e)
{
	return e->kind == LEDGER_KIND_LEDGER &&
	    e->source[LEDGER_SRC_TYPE] != NULL &&
	    strcmp(e->source[LEDGER_SRC_TYPE], "ledger") == 0 &&
	    e->subject[LEDGER_SUBJ_STATUS] != NULL &&
	    strcmp(e->subject[LEDGER_SUBJ_STATUS], LEDGER_EV_PRUNED) == 0;
}

static void
check_payload(struct item *it, const struct ledger_entry *e)
{
	const struct ledger_verify_input *in = it->in;
	uint8_t *p = NULL, h[LEDGER_HASH_BYTES];
	const uint8_t *data;
	size_t len;

	if ((it->key_event = ledger_keyhist_event(e)) != NULL && e->log != NULL)
		it->key_log = strdup(e->log);

	if (in->skip_payload) {
		it->payload = -1;
		return;
	}
	if (in->payload == NULL) {
		it->payload = 1;
		return;
	}
	if (in->payload_compressed) {
		if (ledger_payload_inflate(in->payload, in->payload_len,
		    LEDGER_PAYLOAD_MAX, &p, &len, NULL) != LEDGER_OK) {
			it->payload = 2;
			return;
		}
		data = p;
	} else {
		data = in->payload;
		len = in->payload_len;
	}
	ledger_sha256(data, len, h);
	it->payload = (len == e->payload_size &&
	    sodium_memcmp(h, e->payload_sha256, LEDGER_HASH_BYTES) == 0) ? 0 : 3;
	if (it->payload == 0 && is_prune_record(e))
		it->prune_record = ledger_prune_body_parse(data, len,
		    &it->before_seq, NULL) == LEDGER_OK;
	if (it->payload == 0 && it->key_event != NULL &&
	    (it->key_body = malloc(len + 1)) != NULL) {
		memcpy(it->key_body, data, len);
		it->key_body_len = len;
	}
	free(p);
}

/* Add PRF(letter || key || seq) to sum: the unit of the key-table check. */
void
ledger_verify_prf_add(const uint8_t prf[crypto_shorthash_siphashx24_KEYBYTES],
    char letter, uint64_t key, uint64_t seq, uint64_t sum[2])
{
	uint8_t m[17], out[crypto_shorthash_siphashx24_BYTES];
	uint64_t a = 0, b = 0;
	int i;

	m[0] = (uint8_t)letter;
	for (i = 0; i < 8; i++) {
		m[1 + i] = (uint8_t)(key >> (56 - 8 * i));
		m[9 + i] = (uint8_t)(seq >> (56 - 8 * i));
	}
	crypto_shorthash_siphashx24(out, m, sizeof(m), prf);
	for (i = 7; i >= 0; i--) {
		a = a << 8 | out[i];
		b = b << 8 | out[8 + i];
	}
	sum[0] += a;
	sum[1] += b;
}

/* The lookup keys an entry must have in a table of this schema: body
 * terms came with schema 6 (a store opened read-only is not migrated). */
void
ledger_verify_expected_keys(const struct ledger_entry *e, unsigned caps,
    uint64_t keys[LEDGER_LOOKUP_COUNT], int present[LEDGER_LOOKUP_COUNT])
{
	int f;

	ledger_lookup_terms(e, NULL, keys, present);
	if (!(caps & LEDGER_BE_BODY_KEYS))
		present[LEDGER_LOOKUP_BODY] = 0;
	for (f = 0; f < LEDGER_LOOKUP_COUNT && !(caps & LEDGER_BE_KIND_KEYS);
	    f++)
		if (ledger_lookup_since_v8((enum ledger_lookup_field)f))
			present[f] = 0;
}

static void
lookup_item_sum(const struct job *j, struct item *it)
{
	uint64_t keys[LEDGER_LOOKUP_COUNT];
	int present[LEDGER_LOOKUP_COUNT], f;

	ledger_verify_expected_keys(it->in->columns, j->key_caps, keys, present);
	for (f = 0; f < LEDGER_LOOKUP_COUNT; f++)
		if (present[f])
			ledger_verify_prf_add(j->prf, ledger_lookup_letter(f), keys[f],
			    it->in->columns->seq, it->ksum);
}

static void
check_item(const struct job *j, struct item *it, struct ledger_buf *enc)
{
	const struct ledger_verify_input *in = it->in;
	struct ledger_entry dec;

	ledger_leaf_hash(in->entry, in->entry_len, it->leaf);
	if (j->lookup && in->columns != NULL)
		lookup_item_sum(j, it);
	ledger_buf_reset(enc);
	if (in->columns != NULL && in->columns->kind < LEDGER_KIND_COUNT &&
	    ledger_entry_encode(in->columns, enc, NULL) == LEDGER_OK &&
	    enc->len == in->entry_len &&
	    memcmp(enc->data, in->entry, enc->len) == 0) {
		/* Columns and bytes agree: take the fields from the columns. */
		it->decoded = true;
		it->cols_ok = true;
		it->seq = in->columns->seq;
		it->time_ms = in->columns->time_ms;
		memcpy(it->prev, in->columns->prev, LEDGER_HASH_BYTES);
		it->sig_ok = check_sig(j, it, in->columns->key_id);
		check_payload(it, in->columns);
		return;
	}
	/* Slow path (or no columns): what do the bytes themselves say? */
	it->cols_ok = in->columns == NULL;
	if (ledger_entry_decode(in->entry, in->entry_len, &dec, NULL) !=
	    LEDGER_OK) {
		it->decoded = false;
		it->sig_ok = in->columns != NULL &&
		    check_sig(j, it, in->columns->key_id);
		return;
	}
	it->decoded = true;
	it->seq = dec.seq;
	it->time_ms = dec.time_ms;
	memcpy(it->prev, dec.prev, LEDGER_HASH_BYTES);
	it->sig_ok = check_sig(j, it, dec.key_id);
	if (in->columns == NULL)
		;
	else if (dec.seq == in->columns->seq && in->columns->log != NULL &&
	    strcmp(dec.log, in->columns->log) == 0)
		diff_columns(in->columns, &dec, it->cols_detail,
		    sizeof(it->cols_detail));
	else if (dec.seq == in->columns->seq)
		snprintf(it->cols_detail, sizeof(it->cols_detail),
		    "entry names log '%.40s'", dec.log);
	check_payload(it, &dec);
	ledger_entry_release(&dec);
}

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct ledger_buf enc = LEDGER_BUF_INIT;
	size_t i;

	while ((i = atomic_fetch_add(&j->next, 1)) < j->n)
		check_item(j, &j->items[i], &enc);
	ledger_buf_release(&enc);
	return NULL;
}

static void
run_workers(struct job *j, int nthreads)
{
	pthread_t tid[MAX_THREADS];
	int i, started = 0;

	atomic_store(&j->next, 0);
	if (j->n < 64)
		nthreads = 1;	/* not worth a thread */
	for (i = 1; i < nthreads; i++)
		if (pthread_create(&tid[started], NULL, worker, j) == 0)
			started++;
	worker(j);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
}

/* The walk's state across chunks. */
struct walk {
	ledger_verify_fn fn;
	void *ctx;
	struct ledger_verify_report *rep;
	uint64_t expected;		/* next seq we expect to see */
	bool have_prev;			/* a previous row exists */
	uint8_t prev_leaf[LEDGER_HASH_BYTES];
	bool prev_ok;			/* previous row was authentic */
	bool have_time;			/* time of the last authentic row */
	int64_t last_time;
	/* the previous row, whose judgement waits for its successor */
	bool pending;
	uint64_t pending_seq;
	uint8_t pending_leaf[LEDGER_HASH_BYTES];
	/* checks that build on an intact chain */
	void (*on_leaf)(void *ctx, struct ledger_verifier *v, uint64_t seq,
	    const uint8_t leaf[LEDGER_HASH_BYTES]);
	void *leaf_ctx;
	struct ledger_verifier *v;
	/* problems that make leaves untrustworthy for the tree checks (a
	 * payload or an index column does not change a leaf) */
	uint64_t chain_problems;
	/* missing payloads below defer_below wait for a payloads-pruned
	 * record that covers them (it comes later in the log): runs */
	uint64_t defer_below;
	struct missing_run { uint64_t first, n; } *missing;
	size_t nmissing, capmissing;
	struct ledger_keywalk *kw;	/* the key history so far */
};

static void
report(struct walk *w, uint64_t seq, enum ledger_problem p, const char *fmt,
    ...) LEDGER_PRINTF(4, 5);

static void
report(struct walk *w, uint64_t seq, enum ledger_problem p, const char *fmt,
    ...)
{
	char detail[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	w->rep->problems++;
	w->rep->count[p]++;
	if (p != LEDGER_PROB_PAYLOAD_MISMATCH && p != LEDGER_PROB_INDEX_MISMATCH &&
	    p != LEDGER_PROB_KEY_NOT_VALID)
		w->chain_problems++;
	if (!w->rep->has_first_bad || seq < w->rep->first_bad_seq) {
		w->rep->has_first_bad = true;
		w->rep->first_bad_seq = seq;
	}
	if (w->fn != NULL)
		w->fn(w->ctx, seq, p, detail);
}

/* Judge the pending row (signature failed, bytes decodable, seq in place)
 * now that we know whether its successor's prev vouches for it. */
static void
settle(struct walk *w, const uint8_t *next_prev)
{
	if (!w->pending)
		return;
	if (next_prev != NULL &&
	    memcmp(next_prev, w->pending_leaf, LEDGER_HASH_BYTES) == 0)
		report(w, w->pending_seq, LEDGER_PROB_BAD_SIGNATURE,
		    "signature does not verify; the entry bytes are intact "
		    "(entry %" PRIu64 " links to them)", w->pending_seq + 1);
	else
		report(w, w->pending_seq, LEDGER_PROB_MODIFIED,
		    "entry bytes do not match their signature");
	w->pending = false;
}

/* Keep a missing payload for later; false when out of memory (then it
 * is reported now). */
static bool
defer_missing(struct walk *w, uint64_t seq)
{
	struct missing_run *r;
	size_t cap;

	if (w->nmissing > 0) {
		r = &w->missing[w->nmissing - 1];
		if (r->first + r->n == seq) {
			r->n++;
			return true;
		}
	}
	if (w->nmissing == w->capmissing) {
		cap = w->capmissing ? 2 * w->capmissing : 64;
		if ((r = realloc(w->missing, cap * sizeof(*r))) == NULL)
			return false;
		w->missing = r;
		w->capmissing = cap;
	}
	w->missing[w->nmissing].first = seq;
	w->missing[w->nmissing].n = 1;
	w->nmissing++;
	return true;
}

/* An authentic payloads-pruned record: the missing payloads it covers
 * were pruned, not lost. */
static void
resolve_pruned(struct walk *w, uint64_t before)
{
	size_t i, k = 0;
	uint64_t end;

	if (before > w->rep->pruned_before)
		w->rep->pruned_before = before;
	for (i = 0; i < w->nmissing; i++) {
		struct missing_run r = w->missing[i];

		end = r.first + r.n;
		if (r.first < before) {
			w->rep->pruned += (end < before ? end : before) -
			    r.first;
			if (end <= before)
				continue;
			r.n = end - before;
			r.first = before;
		}
		w->missing[k++] = r;
	}
	w->nmissing = k;
}

/* At the end: what no record covered is missing. */
static void
report_missing(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->nmissing; i++)
		if (w->missing[i].n == 1)
			report(w, w->missing[i].first,
			    LEDGER_PROB_PAYLOAD_MISMATCH, "payload is missing "
			    "(below the pruned mark, but no payloads-pruned "
			    "record covers it)");
		else
			report(w, w->missing[i].first,
			    LEDGER_PROB_PAYLOAD_MISMATCH, "%" PRIu64 " payloads"
			    " are missing (%" PRIu64 "..%" PRIu64 "; below the "
			    "pruned mark, but no payloads-pruned record covers "
			    "them)", w->missing[i].n, w->missing[i].first,
			    w->missing[i].first + w->missing[i].n - 1);
	w->nmissing = 0;
}

/* A key the workers did not know may have been announced earlier in
 * the same chunk: check the signature now. */
static bool
recheck_key(struct walk *w, struct item *it)
{
	const struct ledger_keyinfo *k = ledger_keyhist_find(&w->kw->h,
	    it->key_id);

	if (k == NULL)
		return false;
	it->key_known = true;
	it->sig_ok = ledger_vkey_verify_leaf(&k->vk, it->leaf, it->in->sig);
	return true;
}

static void
key_say(void *ctx, uint64_t seq, const char *why)
{
	report(ctx, seq, LEDGER_PROB_KEY_NOT_VALID, "%s", why);
}

/* An authentic entry: was its key valid at its seq?  And a key record
 * moves the history on (before the checkpoints of this size are
 * judged). */
static void
key_valid(struct walk *w, struct item *it, uint64_t seq)
{
	struct ledger_entry ke;
	const char *why;
	char buf[192];

	if ((why = ledger_keyhist_entry_problem(&w->kw->h, it->key_id, seq,
	    buf, sizeof(buf))) != NULL) {
		report(w, seq, LEDGER_PROB_KEY_NOT_VALID, "%s", why);
		return;
	}
	/* key records stand once made: later keys derive from them, and a
	 * revocation is itself signed by a key one of them announced */
	if (it->key_event == NULL) {
		ledger_keywalk_signed(w->kw, it->key_id, seq);
		return;
	}
	memset(&ke, 0, sizeof(ke));
	ke.seq = seq;
	ke.kind = LEDGER_KIND_LEDGER;
	ke.log = it->key_log;
	ke.source[LEDGER_SRC_TYPE] = (char *)"ledger";
	ke.subject[LEDGER_SUBJ_STATUS] = (char *)it->key_event;
	ledger_keywalk_apply(w->kw, &ke, it->key_id, it->key_body,
	    it->key_body_len, it->key_body != NULL, key_say, w);
}

static void
walk_item(struct walk *w, struct item *it)
{
	uint64_t seq = it->in->seq;
	bool authentic = false;

	if (seq > w->expected) {
		settle(w, NULL);
		report(w, w->expected, LEDGER_PROB_MISSING,
		    "%" PRIu64 " entr%s missing (%" PRIu64 "..%" PRIu64 ")",
		    seq - w->expected, seq - w->expected == 1 ? "y" : "ies",
		    w->expected, seq - 1);
		w->have_prev = false;
	} else
		settle(w, it->decoded ? it->prev : NULL);
	w->expected = seq + 1;

	if (seq >= w->rep->head_size) {
		report(w, seq, LEDGER_PROB_INSERTED,
		    "row beyond the log's recorded size %" PRIu64 "%s",
		    w->rep->head_size, it->decoded && it->sig_ok &&
		    it->seq == seq ? "" : " that is not an authentic entry");
	} else if (!it->decoded) {
		report(w, seq, LEDGER_PROB_MODIFIED,
		    "entry bytes are not a valid canonical entry");
	} else if (!it->key_known && !recheck_key(w, it)) {
		report(w, seq, LEDGER_PROB_UNKNOWN_KEY, "signed by key %08"
		    PRIx32 ", neither a trusted key nor one the log announced",
		    it->key_id);
	} else if (it->seq != seq) {
		report(w, seq, it->sig_ok ? LEDGER_PROB_REORDERED :
		    LEDGER_PROB_MODIFIED, "row %" PRIu64 " holds the entry "
		    "for seq %" PRIu64 "%s", seq, it->seq,
		    it->sig_ok ? "" : " (and its signature fails)");
	} else if (!it->sig_ok) {
		w->pending = true;
		w->pending_seq = seq;
		memcpy(w->pending_leaf, it->leaf, LEDGER_HASH_BYTES);
	} else {
		authentic = true;
		if (w->have_prev && w->prev_ok &&
		    memcmp(it->prev, w->prev_leaf, LEDGER_HASH_BYTES) != 0)
			report(w, seq, LEDGER_PROB_MODIFIED,
			    "prev does not name entry %" PRIu64, seq - 1);
		else if (seq == 0 && !sodium_is_zero(it->prev,
		    LEDGER_HASH_BYTES))
			report(w, seq, LEDGER_PROB_MODIFIED,
			    "first entry's prev is not zero");
		if (!it->cols_ok)
			report(w, seq, LEDGER_PROB_INDEX_MISMATCH, "%s",
			    it->cols_detail[0] ? it->cols_detail :
			    "columns differ from the entry");
		/* Times never decrease with seq: the store finds the seqs
		 * of a time range by bisection, which this keeps true. */
		if (w->have_time && it->time_ms < w->last_time)
			report(w, seq, LEDGER_PROB_REORDERED, "its time is "
			    "earlier than entry %" PRIu64 "'s: the log signed "
			    "entries out of time order", seq - 1);
		w->have_time = true;
		w->last_time = it->time_ms;
		key_valid(w, it, seq);
	}
	if (authentic && it->prune_record)
		resolve_pruned(w, it->before_seq < seq ? it->before_seq : seq);
	if (it->decoded && it->payload == 1 && seq < w->defer_below &&
	    defer_missing(w, seq))
		;
	else if (it->decoded && it->payload > 0)
		report(w, seq, LEDGER_PROB_PAYLOAD_MISMATCH, "%s",
		    it->payload == 1 ? "payload is missing" :
		    it->payload == 2 ? "stored payload is corrupt" :
		    "payload does not match its hash");
	w->have_prev = true;
	w->prev_ok = authentic;
	memcpy(w->prev_leaf, it->leaf, LEDGER_HASH_BYTES);
	/* A pending entry may still turn out bad: feed only clean ones. */
	if (w->on_leaf != NULL && w->chain_problems == 0 && !w->pending)
		w->on_leaf(w->leaf_ctx, w->v, seq, it->leaf);
}

struct ledger_verifier {
	struct job job;
	struct walk w;
	struct ledger_keywalk kw;
	struct ledger_verify_report rep;
	struct item *items;
	int nthreads;
	uint64_t ksum[2];		/* expected lookup-key PRF sum */
	int (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

enum ledger_status
ledger_verifier_new(const struct ledger_verify_opts *opts, uint64_t head_size,
    ledger_verify_fn fn, void *ctx, struct ledger_verifier **ret,
    struct ledger_error *err)
{
	struct ledger_verifier *v;

	if (opts == NULL || opts->nkeys == 0 || opts->keys == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "no verifier key");
	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    (v->items = calloc(CHUNK, sizeof(*v->items))) == NULL) {
		free(v);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	ledger_keywalk_init(&v->kw, opts->keys, opts->nkeys);
	v->job.hist = &v->kw.h;
	v->w.kw = &v->kw;
	v->nthreads = opts->threads > 0 ? opts->threads :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (v->nthreads < 1)
		v->nthreads = 1;
	if (v->nthreads > MAX_THREADS)
		v->nthreads = MAX_THREADS;
	v->rep.head_size = head_size;
	v->progress = opts->progress;
	v->progress_ctx = opts->progress_ctx;
	v->w.defer_below = opts->payloads_pruned_below;
	v->w.v = v;
	v->w.fn = fn;
	v->w.ctx = ctx;
	v->w.rep = &v->rep;
	*ret = v;
	return LEDGER_OK;
}

enum ledger_status
ledger_verifier_add(struct ledger_verifier *v,
    const struct ledger_verify_input *in, size_t n, struct ledger_error *err)
{
	size_t i, k;

	(void)err;
	while (n > 0) {
		k = n < CHUNK ? n : CHUNK;
		memset(v->items, 0, k * sizeof(*v->items));
		for (i = 0; i < k; i++)
			v->items[i].in = &in[i];
		v->job.items = v->items;
		v->job.n = k;
		run_workers(&v->job, v->nthreads);
		for (i = 0; i < k; i++) {
			walk_item(&v->w, &v->items[i]);
			v->ksum[0] += v->items[i].ksum[0];
			v->ksum[1] += v->items[i].ksum[1];
			free(v->items[i].key_body);
			free(v->items[i].key_log);
		}
		v->rep.entries += k;
		in += k;
		n -= k;
		if (v->progress != NULL && v->progress(v->progress_ctx,
		    v->rep.entries, v->rep.head_size) != 0)
			return ledger_errorf(err, LEDGER_ECANCELED, "stopped "
			    "after %" PRIu64 " of %" PRIu64 " entries",
			    v->rep.entries, v->rep.head_size);
	}
	return LEDGER_OK;
}

void
ledger_verifier_finish(struct ledger_verifier *v,
    struct ledger_verify_report *out)
{
	struct walk *w = &v->w;

	settle(w, NULL);
	report_missing(w);
	if (v->kw.oom)
		report(w, w->expected, LEDGER_PROB_KEY_NOT_VALID, "out of "
		    "memory tracking what each key signed: revocations were not "
		    "fully checked");
	if (v->rep.head_size > w->expected)
		report(w, w->expected, LEDGER_PROB_MISSING,
		    "%" PRIu64 " entr%s missing at the end (%" PRIu64 "..%"
		    PRIu64 "): the log's recorded size is %" PRIu64,
		    v->rep.head_size - w->expected,
		    v->rep.head_size - w->expected == 1 ? "y" : "ies",
		    w->expected, v->rep.head_size - 1, v->rep.head_size);
	if (out != NULL)
		*out = v->rep;
}

void
ledger_verifier_peek(const struct ledger_verifier *v,
    struct ledger_verify_report *report)
{
	*report = v->rep;
}

void
ledger_verifier_on_leaf(struct ledger_verifier *v,
    void (*fn)(void *ctx, struct ledger_verifier *v, uint64_t seq,
    const uint8_t leaf[LEDGER_HASH_BYTES]), void *ctx)
{
	v->w.on_leaf = fn;
	v->w.leaf_ctx = ctx;
}

void
ledger_verifier_report(struct ledger_verifier *v, uint64_t seq,
    enum ledger_problem p, const char *fmt, ...)
{
	char detail[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	report(&v->w, seq, p, "%s", detail);
}

void
ledger_verifier_free(struct ledger_verifier *v)
{
	if (v == NULL)
		return;
	free(v->items);
	free(v->w.missing);
	ledger_keywalk_release(&v->kw);
	free(v);
}


void
ledger_verifier_check_lookup(struct ledger_verifier *v, unsigned caps)
{
	v->job.lookup = true;
	v->job.key_caps = caps;
	randombytes_buf(v->job.prf, sizeof(v->job.prf));
}

bool
ledger_verifier_lookup_sum_is(const struct ledger_verifier *v,
    const uint64_t sum[2])
{
	return sum[0] == v->ksum[0] && sum[1] == v->ksum[1];
}

void
ledger_verifier_prf_add(const struct ledger_verifier *v, char letter,
    uint64_t key, uint64_t seq, uint64_t sum[2])
{
	ledger_verify_prf_add(v->job.prf, letter, key, seq, sum);
}

const struct ledger_keyhist *
ledger_verifier_keyhist(const struct ledger_verifier *v)
{
	return &v->kw.h;
}

uint64_t
ledger_verifier_walked(const struct ledger_verifier *v)
{
	return v->w.expected;
}

uint64_t
ledger_verifier_problems(const struct ledger_verifier *v)
{
	return v->rep.problems;
}

bool
ledger_verifier_check_root(struct ledger_verifier *v, uint64_t seq,
    const struct ledger_merkle_frontier *f,
    const struct ledger_signed_checkpoint *cp)
{
	uint8_t root[LEDGER_HASH_BYTES];
	char got[LEDGER_B64_HASH_SIZE], want[LEDGER_B64_HASH_SIZE];

	ledger_merkle_frontier_root(f, root);
	if (sodium_memcmp(root, cp->root, sizeof(root)) == 0)
		return true;
	ledger_b64_hash(cp->root, want);
	ledger_b64_hash(root, got);
	ledger_verifier_report(v, seq, LEDGER_PROB_BAD_CHECKPOINT,
	    "the checkpoint of size %" PRIu64 " signs root_hash %s, but the "
	    "entries give %s", cp->size, want, got);
	return false;
}
