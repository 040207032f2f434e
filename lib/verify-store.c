/*
 * verify-store.c - verifying a store: its rows through the verifier
 * (verify.c), and what only a store has: the stored Merkle tree and
 * checkpoints, checked against the leaves as they are recomputed, and the
 * lookup-key table, checked both ways (see verify.c's comment).  Every
 * read goes through the backend's cursors (backend.h) in one snapshot.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/tree.h"
#include "ledger/verify.h"
#include "ledger-int.h"
#include "lookup.h"
#include "store-int.h"
#include "verify-int.h"

/* Rows read at a time. */
#define CHUNK 4096

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
	ledger_verify_checkpoint_row(v, &t->f, t->cp_size, t->cp_root,
	    t->cp_bad_root, t->cp_note, t->cp_len);
}

void
ledger_verify_checkpoint_row(struct ledger_verifier *v,
    const struct ledger_merkle_frontier *f, uint64_t size,
    const uint8_t root[LEDGER_HASH_BYTES], bool bad_root, const char *note,
    size_t note_len)
{
	struct ledger_signed_checkpoint vc;
	struct ledger_vkey vks[LEDGER_KEYHIST_MAX];
	const struct ledger_keyhist *h;
	const char *why;
	char buf[192];
	uint64_t at;
	bool signed_ok;
	size_t i;

	at = size > 0 ? size - 1 : 0;
	if (bad_root) {
		ledger_verifier_report(v, at, LEDGER_PROB_BAD_CHECKPOINT,
		    "checkpoint row of size %" PRIu64 " has a root that is "
		    "not %d bytes", size, LEDGER_HASH_BYTES);
		return;
	}
	/* judged by the key history as of its size (the walk is there) */
	h = ledger_verifier_keyhist(v);
	for (i = 0; i < h->n; i++)
		vks[i] = h->keys[i].vk;
	signed_ok = ledger_checkpoint_verify(note, note_len, vks, h->n,
	    &vc, NULL) == LEDGER_OK;
	if (!signed_ok)
		ledger_verifier_report(v, at, LEDGER_PROB_BAD_CHECKPOINT,
		    "checkpoint of size %" PRIu64 " is not signed by a key of "
		    "the log's history", size);
	else if ((why = ledger_keyhist_check_note(h, note, note_len,
	    size, buf, sizeof(buf))) != NULL ||
	    (why = ledger_keyhist_check_commitment(h, note, note_len,
	    size, buf, sizeof(buf))) != NULL)
		ledger_verifier_report(v, at, LEDGER_PROB_BAD_CHECKPOINT, "%s",
		    why);
	else if (vc.size != size || memcmp(vc.root, root,
	    LEDGER_HASH_BYTES) != 0)
		ledger_verifier_report(v, at, LEDGER_PROB_BAD_CHECKPOINT,
		    "checkpoint row of size %" PRIu64 " does not match its "
		    "signed text", size);
	else
		(void)ledger_verifier_check_root(v, at, f, &vc);
	ledger_signed_checkpoint_release(&vc);
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
		if (t->st != LEDGER_OK) {
			/* a read failed (of the tree or a checkpoint): not a
			 * finding about the log; the run fails with it */
			t->tree_end = true;
			t->tree_bad = true;
		} else if (end) {
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
	unsigned key_caps;		/* as struct job's */
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
	ledger_verify_expected_keys(e, kc->key_caps, keys, present);
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
		ledger_verifier_prf_add(v, term[0], key, seq, sum);
	}
	s->ops->close_cursor(c);
	/* A term that is no key, or a table that cannot be read: the slow
	 * path says where. */
	*same = st == LEDGER_OK && end &&
	    ledger_verifier_lookup_sum_is(v, sum);
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

/* A problem SQLite's check found in an index the answers read. */
static void
index_problem(void *ctx, int64_t seq, const char *what)
{
	struct ledger_verifier *v = ctx;

	ledger_verifier_report(v, seq >= 0 ? (uint64_t)seq :
	    ledger_verifier_walked(v), LEDGER_PROB_INDEX_MISMATCH, "an index "
	    "the answers read does not match the entries (%s): answers would "
	    "miss or misstate %s", what, seq >= 0 ? "this entry" : "entries");
}

/* After the rows: what the entries do not account for (a tree hash or a
 * checkpoint beyond them), the lookup-key table and the answers'
 * indexes. */
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
			ledger_verifier_report(v, ledger_verifier_walked(v),
			    LEDGER_PROB_TREE_MISMATCH, "stored tree hash %"
			    PRIu64 " is beyond the tree of the %" PRIu64
			    " entries", id, ledger_verifier_walked(v));
	}
	/* A checkpoint beyond the entries: the log signed more than it has. */
	if (tc->have_cp && ledger_verifier_problems(v) == 0)
		ledger_verifier_report(v, ledger_verifier_walked(v), LEDGER_PROB_MISSING,
		    "the log signed a checkpoint of size %" PRIu64 " but holds "
		    "%" PRIu64 " entries", tc->cp_size, ledger_verifier_walked(v));
	if (s->ops->check_indexes != NULL && (st = s->ops->check_indexes(s->be,
	    index_problem, v, err)) != LEDGER_OK)
		return st;
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

/* Missing payloads below the store's recorded prune mark wait for the
 * log's own record of the prune (a hint: only the record decides). */
static enum ledger_status
pruned_mark(struct ledger_store *s, struct ledger_verify_opts *o,
    struct ledger_error *err)
{
	enum ledger_status st;
	char *v = NULL, *end;
	unsigned long long n;

	st = s->ops->meta_get(s->be, "prune_before", &v, err);
	if (st == LEDGER_EINVAL)	/* never pruned */
		return LEDGER_OK;
	if (st != LEDGER_OK)
		return st;
	n = strtoull(v, &end, 10);
	if (*end == '\0' && end != v)
		o->payloads_pruned_below = n;
	else	/* an edited mark: wait for records over the whole log */
		o->payloads_pruned_below = UINT64_MAX;
	free(v);
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
	    (st = pruned_mark(s, &o, err)) ||
	    (st = ledger_verifier_new(&o, head.size, fn, ctx, &v, err)))
		goto out;
	if (caps & LEDGER_BE_INDEX_CHECK) {
		kc.key_caps = caps;
		ledger_verifier_check_lookup(v, caps);
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
	    (st = verify_rest(s, v, &tc, &kc, err))) {
		if (st == LEDGER_ECANCELED)	/* how far it got */
			ledger_verifier_peek(v, rep);
		goto out;
	}
	ledger_verifier_finish(v, rep);
	/* in the same snapshot: the columns and terms the hold check reads
	 * are the ones the walk just vouched for */
	if (rep->pruned_before > 0)
		st = ledger_verify_holds(s, fn, ctx, rep, err);
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
