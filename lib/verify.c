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

#include "ledger/tree.h"
#include "ledger/verify.h"
#include "ledger-int.h"
#include "lookup.h"
#include "sha256.h"
#include "store-int.h"

#define CHUNK 4096
#define MAX_THREADS 64

static const char *const problem_names[LEDGER_PROB_COUNT] = {
	"modified", "missing", "reordered", "inserted", "bad signature",
	"unknown key", "payload mismatch", "index mismatch", "tree mismatch",
	"bad checkpoint",
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
	uint64_t ksum[2];		/* lookup-key PRF sum of its columns */
};

struct job {
	struct item *items;
	size_t n;
	atomic_size_t next;
	const struct ledger_vkey *keys;
	size_t nkeys;
	bool lookup;			/* sum the lookup-key PRF per item */
	bool body_keys;			/* schema 6+: entries have body terms */
	uint8_t prf[crypto_shorthash_siphashx24_KEYBYTES];
};

static const struct ledger_vkey *
find_key(const struct job *j, uint32_t id)
{
	size_t i;

	for (i = 0; i < j->nkeys; i++)
		if (j->keys[i].id == id)
			return &j->keys[i];
	return NULL;
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

	it->key_known = vk != NULL;
	return vk != NULL &&
	    ledger_vkey_verify_leaf(vk, it->leaf, it->in->sig);
}

static void
check_payload(struct item *it, const struct ledger_entry *e)
{
	const struct ledger_verify_input *in = it->in;
	uint8_t *p = NULL, h[LEDGER_HASH_BYTES];
	const uint8_t *data;
	size_t len;

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
	free(p);
	it->payload = (len == e->payload_size &&
	    sodium_memcmp(h, e->payload_sha256, LEDGER_HASH_BYTES) == 0) ? 0 : 3;
}

/* Add PRF(letter || key || seq) to sum: the unit of the key-table check. */
static void
lookup_prf_add(const uint8_t prf[crypto_shorthash_siphashx24_KEYBYTES],
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
static void
expected_keys(const struct ledger_entry *e, bool body_keys,
    uint64_t keys[LEDGER_LOOKUP_COUNT], int present[LEDGER_LOOKUP_COUNT])
{
	ledger_lookup_terms(e, NULL, keys, present);
	if (!body_keys)
		present[LEDGER_LOOKUP_BODY] = 0;
}

static void
lookup_item_sum(const struct job *j, struct item *it)
{
	uint64_t keys[LEDGER_LOOKUP_COUNT];
	int present[LEDGER_LOOKUP_COUNT], f;

	expected_keys(it->in->columns, j->body_keys, keys, present);
	for (f = 0; f < LEDGER_LOOKUP_COUNT; f++)
		if (present[f])
			lookup_prf_add(j->prf, ledger_lookup_letter(f), keys[f],
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
	} else if (!it->key_known) {
		report(w, seq, LEDGER_PROB_UNKNOWN_KEY,
		    "signed by a key that is not in the keyring");
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
	}
	if (it->decoded && it->payload > 0)
		report(w, seq, LEDGER_PROB_PAYLOAD_MISMATCH, "%s",
		    it->payload == 1 ? "payload is missing" :
		    it->payload == 2 ? "stored payload is corrupt" :
		    "payload does not match its hash");
	w->have_prev = true;
	w->prev_ok = authentic;
	memcpy(w->prev_leaf, it->leaf, LEDGER_HASH_BYTES);
	/* A pending entry may still turn out bad: feed only clean ones. */
	if (w->on_leaf != NULL && w->rep->problems == 0 && !w->pending)
		w->on_leaf(w->leaf_ctx, w->v, seq, it->leaf);
}

struct ledger_verifier {
	struct job job;
	struct walk w;
	struct ledger_verify_report rep;
	struct item *items;
	int nthreads;
	uint64_t ksum[2];		/* expected lookup-key PRF sum */
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
	v->job.keys = opts->keys;
	v->job.nkeys = opts->nkeys;
	v->nthreads = opts->threads > 0 ? opts->threads :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (v->nthreads < 1)
		v->nthreads = 1;
	if (v->nthreads > MAX_THREADS)
		v->nthreads = MAX_THREADS;
	v->rep.head_size = head_size;
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
		}
		v->rep.entries += k;
		in += k;
		n -= k;
	}
	return LEDGER_OK;
}

void
ledger_verifier_finish(struct ledger_verifier *v,
    struct ledger_verify_report *out)
{
	struct walk *w = &v->w;

	settle(w, NULL);
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
	free(v);
}

/*
 * Store mode: the stored Merkle tree and every stored checkpoint, checked
 * against the leaves as they are recomputed.  Two cursors walk the tree
 * table (its ids come in append order) and the checkpoints (by size) in the
 * same read snapshot.
 */
struct treecheck {
	struct ledger_store *s;
	const struct ledger_verify_opts *o;
	struct ledger_be_cursor *tree_c, *cp_c;
	struct ledger_merkle_frontier f;
	bool tree_bad, tree_end;
	bool have_cp;			/* cp_* holds the next checkpoint */
	uint64_t cp_size;
	uint8_t cp_root[LEDGER_HASH_BYTES];
	char *cp_note;
	size_t cp_len;
	bool cp_bad_root;		/* the row's root is not 32 bytes */
	struct ledger_error err;	/* st != OK: the walk cannot vouch */
	enum ledger_status st;
};

static void
next_checkpoint(struct treecheck *t)
{
	struct ledger_be_checkpoint cp;
	bool end;

	free(t->cp_note);
	t->cp_note = NULL;
	t->have_cp = false;
	if (t->st != LEDGER_OK)
		return;
	/* Fail closed: a checkpoint that could not be read was not
	 * checked, so the log cannot be called intact. */
	if ((t->st = t->s->ops->next_checkpoint(t->cp_c, &cp, &end,
	    &t->err)) != LEDGER_OK || end)
		return;
	t->cp_size = cp.size;
	t->cp_bad_root = cp.bad_root;
	memcpy(t->cp_root, cp.root, LEDGER_HASH_BYTES);
	t->cp_len = cp.note_len;
	if ((t->cp_note = malloc(t->cp_len + 1)) == NULL) {
		t->st = ledger_errorf(&t->err, LEDGER_ENOMEM, "out of memory "
		    "reading checkpoint of size %" PRIu64, t->cp_size);
		return;
	}
	if (t->cp_len > 0)
		memcpy(t->cp_note, cp.note, t->cp_len);
	t->cp_note[t->cp_len] = '\0';
	t->have_cp = true;
}

/* Check the checkpoint of the current frontier size. */
static void
check_checkpoint(struct treecheck *t, struct ledger_verifier *v)
{
	uint8_t root[LEDGER_HASH_BYTES], sroot[LEDGER_HASH_BYTES];
	uint64_t size, at;
	size_t i;
	bool signed_ok = false;

	ledger_merkle_frontier_root(&t->f, root);
	at = t->cp_size > 0 ? t->cp_size - 1 : 0;
	if (t->cp_bad_root) {
		ledger_verifier_report(v, at, LEDGER_PROB_BAD_CHECKPOINT,
		    "checkpoint row of size %" PRIu64 " has a root that is "
		    "not %d bytes", t->cp_size, LEDGER_HASH_BYTES);
		return;
	}
	for (i = 0; i < t->o->nkeys && !signed_ok; i++)
		signed_ok = ledger_checkpoint_verify(t->cp_note, t->cp_len,
		    &t->o->keys[i], &size, sroot, NULL) == LEDGER_OK;
	if (!signed_ok)
		ledger_verifier_report(v, at, LEDGER_PROB_BAD_CHECKPOINT,
		    "checkpoint of size %" PRIu64 " is not signed by a key in "
		    "the keyring", t->cp_size);
	else if (size != t->cp_size || memcmp(sroot, t->cp_root,
	    LEDGER_HASH_BYTES) != 0)
		ledger_verifier_report(v, at, LEDGER_PROB_BAD_CHECKPOINT,
		    "checkpoint row of size %" PRIu64 " does not match its "
		    "signed text", t->cp_size);
	else if (memcmp(root, sroot, LEDGER_HASH_BYTES) != 0)
		ledger_verifier_report(v, at, LEDGER_PROB_BAD_CHECKPOINT,
		    "checkpoint of size %" PRIu64 " signs a root that the "
		    "entries do not produce", t->cp_size);
}

static void
tree_leaf(void *ctx, struct ledger_verifier *v, uint64_t seq,
    const uint8_t leaf[LEDGER_HASH_BYTES])
{
	struct treecheck *t = ctx;
	uint8_t hashes[LEDGER_MERKLE_MAX_STORED][LEDGER_HASH_BYTES];
	uint64_t idx[LEDGER_MERKLE_MAX_STORED], id;
	uint8_t stored[LEDGER_HASH_BYTES];
	size_t n, i;
	bool bad_len, end = t->tree_end;

	if (ledger_merkle_frontier_size(&t->f) != seq)
		return;		/* out of step: a problem was reported */
	if (ledger_merkle_frontier_append(&t->f, leaf, hashes, idx, &n,
	    NULL) != LEDGER_OK)
		return;
	for (i = 0; i < n && !t->tree_bad; i++) {
		if (!end && t->st == LEDGER_OK)
			t->st = t->s->ops->next_tree(t->tree_c, &id, stored,
			    &bad_len, &end, &t->err);
		if (end || t->st != LEDGER_OK) {
			t->tree_end = true;
			t->tree_bad = true;
			ledger_verifier_report(v, seq, LEDGER_PROB_TREE_MISMATCH,
			    "stored tree hash %" PRIu64 " is missing", idx[i]);
		} else if (id != idx[i] || bad_len || memcmp(stored, hashes[i],
		    LEDGER_HASH_BYTES) != 0) {
			t->tree_bad = true;
			ledger_verifier_report(v, seq, LEDGER_PROB_TREE_MISMATCH,
			    "stored tree hash %" PRIu64 " does not match the "
			    "entries", idx[i]);
		}
	}
	while (t->have_cp && t->cp_size <= seq + 1) {
		if (t->cp_size == seq + 1)
			check_checkpoint(t, v);
		next_checkpoint(t);
	}
}

/* ---- the lookup-key table ---- */

/* One expected (term, seq): sorted by field letter, key, seq = the order
 * of the terms' text and then rowid in the table's listing. */
struct keypair {
	uint64_t key;
	uint64_t seq;
	char letter;
	uint8_t field;
};

struct keycheck {
	struct keypair *p;
	size_t n, cap;
	bool nomem;
	bool body_keys;			/* as struct job's */
};

static int
keypair_cmp(const void *a, const void *b)
{
	const struct keypair *x = a, *y = b;

	if (x->letter != y->letter)
		return x->letter < y->letter ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

static void
keycheck_add(struct keycheck *kc, const struct ledger_entry *e)
{
	uint64_t keys[LEDGER_LOOKUP_COUNT];
	int present[LEDGER_LOOKUP_COUNT], f;

	if (kc->nomem)
		return;
	expected_keys(e, kc->body_keys, keys, present);
	for (f = 0; f < LEDGER_LOOKUP_COUNT; f++) {
		if (!present[f])
			continue;
		if (kc->n == kc->cap) {
			size_t cap = kc->cap ? kc->cap * 2 : 4096;
			struct keypair *np = realloc(kc->p, cap * sizeof(*np));

			if (np == NULL) {
				kc->nomem = true;
				return;
			}
			kc->p = np;
			kc->cap = cap;
		}
		kc->p[kc->n].key = keys[f];
		kc->p[kc->n].seq = e->seq;
		kc->p[kc->n].letter = ledger_lookup_letter(f);
		kc->p[kc->n].field = (uint8_t)f;
		kc->n++;
	}
}

/*
 * Merge the sorted expectation against the table.  A missing pair hides
 * the entry from queries by that value (and, for a delivery, would let a
 * retry append it twice); an extra pair names an entry under a value it
 * does not have.  Each is an index mismatch at the entry's seq, one report
 * per entry.
 */
static enum ledger_status
check_lookup_keys(struct ledger_store *s, struct keycheck *kc,
    struct ledger_verifier *v, struct ledger_error *err)
{
	struct ledger_be_cursor *c = NULL;
	struct ledger_error rerr;
	enum ledger_status st;
	size_t i = 0, len;
	uint64_t last_seq = UINT64_MAX;
	bool end = false;

	if (kc->nomem)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory for "
		    "the lookup-key check (%zu keys)", kc->n);
	qsort(kc->p, kc->n, sizeof(*kc->p), keypair_cmp);
	if ((st = s->ops->open_terms(s->be, &c, err)) != LEDGER_OK)
		return st;
	for (;;) {
		enum ledger_lookup_field f;
		struct keypair got;
		const char *term;
		int cmp;

		if ((st = s->ops->next_term(c, &term, &len, &got.seq, &end,
		    &rerr)) != LEDGER_OK || end)
			break;
		if (!ledger_lookup_parse_term(term, len, &f, &got.key)) {
			ledger_verifier_report(v, got.seq,
			    LEDGER_PROB_INDEX_MISMATCH, "the lookup-key table "
			    "lists entry %" PRIu64 " under a term that is no "
			    "lookup key", got.seq);
			continue;
		}
		got.letter = term[0];
		got.field = (uint8_t)f;
		while (i < kc->n && (cmp = keypair_cmp(&kc->p[i], &got)) < 0) {
			if (kc->p[i].seq != last_seq)
				ledger_verifier_report(v, kc->p[i].seq,
				    LEDGER_PROB_INDEX_MISMATCH, "entry %" PRIu64
				    " is missing from the lookup-key table "
				    "under its %s: queries by it do not find "
				    "it", kc->p[i].seq,
				    ledger_lookup_name(kc->p[i].field));
			last_seq = kc->p[i].seq;
			i++;
		}
		if (i < kc->n && keypair_cmp(&kc->p[i], &got) == 0) {
			i++;
			continue;
		}
		ledger_verifier_report(v, got.seq, LEDGER_PROB_INDEX_MISMATCH,
		    "the lookup-key table lists entry %" PRIu64 " under a %s "
		    "it does not have", got.seq, ledger_lookup_name(got.field));
	}
	s->ops->close_cursor(c);
	if (st != LEDGER_OK) {
		/* A damaged table: report where the check stopped. */
		ledger_verifier_report(v, i < kc->n ? kc->p[i].seq : 0,
		    LEDGER_PROB_INDEX_MISMATCH, "the lookup-key table cannot be "
		    "read: %s", rerr.msg);
		return LEDGER_OK;
	}
	for (; i < kc->n; i++) {
		if (kc->p[i].seq != last_seq)
			ledger_verifier_report(v, kc->p[i].seq,
			    LEDGER_PROB_INDEX_MISMATCH, "entry %" PRIu64 " is "
			    "missing from the lookup-key table under its %s: "
			    "queries by it do not find it", kc->p[i].seq,
			    ledger_lookup_name(kc->p[i].field));
		last_seq = kc->p[i].seq;
	}
	return LEDGER_OK;
}

/*
 * The fast path: the PRF sum over the table's listing, compared with the
 * workers' sum over the entries.  *same is false when they differ or the
 * table holds a term that is no lookup key or cannot be read.
 */
static enum ledger_status
lookup_sums_match(struct ledger_store *s, const struct ledger_verifier *v,
    bool *same, struct ledger_error *err)
{
	enum ledger_lookup_field f;
	uint64_t sum[2] = { 0, 0 }, key, seq;
	struct ledger_be_cursor *c = NULL;
	struct ledger_error rerr;
	enum ledger_status st;
	const char *term;
	size_t len;
	bool end = false;

	*same = false;
	if ((st = s->ops->open_terms(s->be, &c, err)) != LEDGER_OK)
		return st;
	for (;;) {
		if ((st = s->ops->next_term(c, &term, &len, &seq, &end,
		    &rerr)) != LEDGER_OK || end)
			break;
		if (!ledger_lookup_parse_term(term, len, &f, &key))
			break;
		lookup_prf_add(v->job.prf, term[0], key, seq, sum);
	}
	s->ops->close_cursor(c);
	/* A term that is no key, or a table that cannot be read: the slow
	 * path says where. */
	*same = st == LEDGER_OK && end && sum[0] == v->ksum[0] &&
	    sum[1] == v->ksum[1];
	return LEDGER_OK;
}

static int
collect_row(void *ctx, const struct ledger_row *row)
{
	keycheck_add(ctx, &row->e);
	return 0;
}

/* The slow path's input: every entry's columns again, in seq order. */
static enum ledger_status
collect_lookup_keys(struct ledger_store *s, struct keycheck *kc,
    struct ledger_error *err)
{
	return s->ops->list(s->be, NULL, 0, UINT64_MAX, collect_row, kc, err);
}

/* The store as a source: rows, their columns and compressed payloads. */
struct row_in {
	struct ledger_row row;
	uint8_t *payload_z;
	size_t payload_zlen;
};

static void
free_rows(struct row_in *rows, struct ledger_verify_input *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ledger_row_release(&rows[i].row);
		free(rows[i].payload_z);
		memset(&rows[i], 0, sizeof(rows[i]));
		memset(&in[i], 0, sizeof(in[i]));
	}
}

/* Every row of the store, in chunks, through the verifier. */
static enum ledger_status
verify_rows(struct ledger_store *s, struct ledger_verifier *v,
    struct row_in *rows, struct ledger_verify_input *in,
    struct ledger_error *err)
{
	struct ledger_be_cursor *c = NULL;
	enum ledger_status st;
	size_t n = 0;
	bool end = false;

	if ((st = s->ops->open_rows(s->be, &c, err)) != LEDGER_OK)
		return st;
	while (!end && st == LEDGER_OK) {
		for (n = 0; n < CHUNK; n++) {
			struct row_in *r = &rows[n];

			if ((st = s->ops->next_row(c, &r->row, &r->payload_z,
			    &r->payload_zlen, &end, err)) != LEDGER_OK || end)
				break;
			in[n].seq = r->row.e.seq;
			in[n].entry = r->row.entry;
			in[n].entry_len = r->row.entry_len;
			memcpy(in[n].sig, r->row.sig, LEDGER_SIG_BYTES);
			in[n].columns = &r->row.e;
			in[n].payload = r->payload_z;
			in[n].payload_len = r->payload_zlen;
			in[n].payload_compressed = true;
		}
		if (st == LEDGER_OK)
			st = ledger_verifier_add(v, in, n, err);
		free_rows(rows, in, n);
	}
	s->ops->close_cursor(c);
	return st;
}

/* After the rows: what the entries do not account for (a tree hash or a
 * checkpoint beyond them), and the lookup-key table. */
static enum ledger_status
verify_rest(struct ledger_store *s, struct ledger_verifier *v,
    struct treecheck *tc, struct keycheck *kc, struct ledger_error *err)
{
	uint8_t hash[LEDGER_HASH_BYTES];
	enum ledger_status st;
	uint64_t id;
	bool bad_len, end, same;

	if (tc->st != LEDGER_OK)
		return ledger_errorf(err, tc->st, "%s", tc->err.msg);
	/* A stored tree hash beyond those the entries make: an insertion. */
	if (!tc->tree_end && !tc->tree_bad) {
		if ((st = s->ops->next_tree(tc->tree_c, &id, hash, &bad_len,
		    &end, err)) != LEDGER_OK)
			return st;
		if (!end)
			ledger_verifier_report(v, v->w.expected,
			    LEDGER_PROB_TREE_MISMATCH, "stored tree hash %"
			    PRIu64 " is beyond the tree of the %" PRIu64
			    " entries", id, v->w.expected);
	}
	/* A checkpoint beyond the entries: the log signed more than it has. */
	if (tc->have_cp && v->rep.problems == 0)
		ledger_verifier_report(v, v->w.expected, LEDGER_PROB_MISSING,
		    "the log signed a checkpoint of size %" PRIu64 " but holds "
		    "%" PRIu64 " entries", tc->cp_size, v->w.expected);
	if (!(s->ops->caps(s->be) & LEDGER_BE_INDEX_CHECK))
		return LEDGER_OK;
	if ((st = lookup_sums_match(s, v, &same, err)) != LEDGER_OK)
		return st;
	if (!same && ((st = collect_lookup_keys(s, kc, err)) ||
	    (st = check_lookup_keys(s, kc, v, err))))
		return st;
	return LEDGER_OK;
}

/* The keys to check checkpoints with: the options', else the store's. */
static enum ledger_status
verify_opts(struct ledger_store *s, const struct ledger_verify_opts *opts,
    struct ledger_verify_opts *o, struct ledger_error *err)
{
	memset(o, 0, sizeof(*o));
	if (opts != NULL)
		*o = *opts;
	if (o->nkeys == 0) {
		if (ledger_store_vkey(s) == NULL)
			return ledger_errorf(err, LEDGER_EINVAL,
			    "no verifier key: '%s' is missing and none was "
			    "given", LEDGER_PUB_FILE);
		o->keys = ledger_store_vkey(s);
		o->nkeys = 1;
	}
	return LEDGER_OK;
}

enum ledger_status
ledger_verify_store(struct ledger_store *s,
    const struct ledger_verify_opts *opts, ledger_verify_fn fn, void *ctx,
    struct ledger_verify_report *rep, struct ledger_error *err)
{
	struct ledger_verify_report dummy;
	struct ledger_verify_opts o;
	struct ledger_verifier *v = NULL;
	struct ledger_verify_input *in = NULL;
	struct row_in *rows = NULL;
	struct ledger_be_head head;
	struct treecheck tc;
	struct keycheck kc;
	enum ledger_status st;
	unsigned caps = s->ops->caps(s->be);

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	memset(&tc, 0, sizeof(tc));
	memset(&kc, 0, sizeof(kc));
	if ((st = verify_opts(s, opts, &o, err)) != LEDGER_OK)
		return st;
	rows = calloc(CHUNK, sizeof(*rows));
	in = calloc(CHUNK, sizeof(*in));
	if (rows == NULL || in == NULL) {
		free(rows);
		free(in);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	/* One read transaction: every scan below sees the same snapshot. */
	if ((st = s->ops->begin_read(s->be, err)) != LEDGER_OK)
		goto out;
	if ((st = s->ops->head_read(s->be, &head, err)) ||
	    (st = ledger_verifier_new(&o, head.size, fn, ctx, &v, err)))
		goto out;
	if (caps & LEDGER_BE_INDEX_CHECK) {
		v->job.lookup = true;
		v->job.body_keys = kc.body_keys =
		    (caps & LEDGER_BE_BODY_KEYS) != 0;
		randombytes_buf(v->job.prf, sizeof(v->job.prf));
	}
	tc.s = s;
	tc.o = &o;
	if ((st = s->ops->open_tree(s->be, &tc.tree_c, err)) ||
	    (st = s->ops->open_checkpoints(s->be, &tc.cp_c, err)))
		goto out;
	ledger_merkle_frontier_init(&tc.f);
	next_checkpoint(&tc);
	while (tc.have_cp && tc.cp_size == 0) {
		check_checkpoint(&tc, v);
		next_checkpoint(&tc);
	}
	ledger_verifier_on_leaf(v, tree_leaf, &tc);
	if ((st = verify_rows(s, v, rows, in, err)) ||
	    (st = verify_rest(s, v, &tc, &kc, err)))
		goto out;
	ledger_verifier_finish(v, rep);
out:
	s->ops->close_cursor(tc.tree_c);
	s->ops->close_cursor(tc.cp_c);
	free(tc.cp_note);
	s->ops->rollback(s->be);	/* ends the read snapshot */
	free(rows);
	free(in);
	free(kc.p);
	ledger_verifier_free(v);
	return st;
}
