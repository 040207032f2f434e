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

#include "ledger/verify.h"
#include "ledger-int.h"
#include "store-int.h"

#define CHUNK 4096
#define MAX_THREADS 64

static const char *const problem_names[LEDGER_PROB_COUNT] = {
	"modified", "missing", "reordered", "inserted", "bad signature",
	"unknown key", "payload mismatch", "index mismatch",
};

const char *
ledger_problem_name(enum ledger_problem p)
{
	return (unsigned)p < LEDGER_PROB_COUNT ? problem_names[p] : NULL;
}

/* One row and what the workers found out about it. */
struct item {
	struct ledger_row row;
	uint8_t *payload_z;		/* NULL: no payload row */
	size_t payload_zlen;
	/* results */
	uint8_t leaf[LEDGER_HASH_BYTES];
	bool decoded;			/* bytes are a valid entry */
	uint64_t seq;			/* from the bytes */
	uint8_t prev[LEDGER_HASH_BYTES];/* from the bytes */
	bool key_known, sig_ok, cols_ok;
	char cols_detail[96];
	int payload;			/* 0 ok, 1 missing, 2 corrupt, 3 wrong */
};

struct job {
	struct item *items;
	size_t n;
	atomic_size_t next;
	const struct ledger_vkey *keys;
	size_t nkeys;
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
	    ledger_vkey_verify_leaf(vk, it->leaf, it->row.sig);
}

static void
check_payload(struct item *it, const struct ledger_entry *e)
{
	uint8_t *p = NULL, h[LEDGER_HASH_BYTES];
	size_t len;

	if (it->payload_z == NULL) {
		it->payload = 1;
		return;
	}
	if (ledger_payload_inflate(it->payload_z, it->payload_zlen,
	    LEDGER_PAYLOAD_MAX, &p, &len, NULL) != LEDGER_OK) {
		it->payload = 2;
		return;
	}
	crypto_hash_sha256(h, p, len);
	free(p);
	it->payload = (len == e->payload_size &&
	    sodium_memcmp(h, e->payload_sha256, LEDGER_HASH_BYTES) == 0) ? 0 : 3;
}

static void
check_item(const struct job *j, struct item *it, struct ledger_buf *enc)
{
	struct ledger_entry dec;

	ledger_leaf_hash(it->row.entry, it->row.entry_len, it->leaf);
	ledger_buf_reset(enc);
	if (it->row.e.kind < LEDGER_KIND_COUNT &&
	    ledger_entry_encode(&it->row.e, enc, NULL) == LEDGER_OK &&
	    enc->len == it->row.entry_len &&
	    memcmp(enc->data, it->row.entry, enc->len) == 0) {
		/* Columns and bytes agree: take the fields from the columns. */
		it->decoded = true;
		it->cols_ok = true;
		it->seq = it->row.e.seq;
		memcpy(it->prev, it->row.e.prev, LEDGER_HASH_BYTES);
		it->sig_ok = check_sig(j, it, it->row.e.key_id);
		check_payload(it, &it->row.e);
		return;
	}
	/* Slow path: what do the bytes themselves say? */
	it->cols_ok = false;
	if (ledger_entry_decode(it->row.entry, it->row.entry_len, &dec,
	    NULL) != LEDGER_OK) {
		it->decoded = false;
		it->sig_ok = check_sig(j, it, it->row.e.key_id);
		return;
	}
	it->decoded = true;
	it->seq = dec.seq;
	memcpy(it->prev, dec.prev, LEDGER_HASH_BYTES);
	it->sig_ok = check_sig(j, it, dec.key_id);
	if (dec.seq == it->row.e.seq && strcmp(dec.log, it->row.e.log) == 0)
		diff_columns(&it->row.e, &dec, it->cols_detail,
		    sizeof(it->cols_detail));
	else if (dec.seq == it->row.e.seq)
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
	/* the previous row, whose judgement waits for its successor */
	bool pending;
	uint64_t pending_seq;
	uint8_t pending_leaf[LEDGER_HASH_BYTES];
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
	uint64_t seq = it->row.e.seq;
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
	}
	if (it->decoded && it->payload != 0)
		report(w, seq, LEDGER_PROB_PAYLOAD_MISMATCH, "%s",
		    it->payload == 1 ? "payload is missing" :
		    it->payload == 2 ? "stored payload is corrupt" :
		    "payload does not match its hash");
	w->have_prev = true;
	w->prev_ok = authentic;
	memcpy(w->prev_leaf, it->leaf, LEDGER_HASH_BYTES);
}

static void
free_items(struct item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ledger_row_release(&items[i].row);
		free(items[i].payload_z);
		memset(&items[i], 0, sizeof(items[i]));
	}
}

enum ledger_status
ledger_verify_store(struct ledger_store *s,
    const struct ledger_verify_opts *opts, ledger_verify_fn fn, void *ctx,
    struct ledger_verify_report *rep, struct ledger_error *err)
{
	static const char sql_rows[] =
	    "SELECT " ENTRY_COLUMNS ", (SELECT data FROM payloads p"
	    " WHERE p.seq = entries.seq) FROM entries ORDER BY seq";
	static const char sql_head[] = "SELECT size FROM head WHERE id = 0";
	struct ledger_verify_report dummy;
	struct item *items = NULL;
	struct job job;
	struct walk w;
	enum ledger_status st = LEDGER_OK;
	sqlite3_stmt *q = NULL;
	size_t n;
	int rc, nthreads;
	bool done = false;

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	memset(&job, 0, sizeof(job));
	if (opts != NULL && opts->nkeys > 0) {
		job.keys = opts->keys;
		job.nkeys = opts->nkeys;
	} else if (ledger_store_vkey(s) != NULL) {
		job.keys = ledger_store_vkey(s);
		job.nkeys = 1;
	} else
		return ledger_errorf(err, LEDGER_EINVAL,
		    "no verifier key: '%s' is missing and none was given",
		    LEDGER_PUB_FILE);
	nthreads = opts != NULL && opts->threads > 0 ? opts->threads :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	if ((items = calloc(CHUNK, sizeof(*items))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");

	/* One read transaction: every SELECT below sees the same snapshot. */
	if ((rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK) {
		st = ledger_store_dberr(s, rc, err, "begin read");
		goto out;
	}
	if ((rc = sqlite3_prepare_v2(s->db, sql_head, -1, &q, NULL)) ||
	    (rc = sqlite3_step(q)) != SQLITE_ROW) {
		st = rc == SQLITE_DONE ? ledger_errorf(err, LEDGER_EDB,
		    "head row is missing") :
		    ledger_store_dberr(s, rc, err, "read head");
		goto out;
	}
	rep->head_size = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	q = NULL;
	if ((rc = sqlite3_prepare_v2(s->db, sql_rows, -1, &q, NULL))) {
		st = ledger_store_dberr(s, rc, err, "read entries");
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.fn = fn;
	w.ctx = ctx;
	w.rep = rep;
	while (!done) {
		for (n = 0; n < CHUNK; n++) {
			rc = sqlite3_step(q);
			if (rc == SQLITE_DONE) {
				done = true;
				break;
			}
			if (rc != SQLITE_ROW) {
				st = ledger_store_dberr(s, rc, err,
				    "read entries");
				goto out;
			}
			if ((st = ledger_row_from_stmt(s, q, &items[n].row,
			    err)) != LEDGER_OK)
				goto out;
			if (sqlite3_column_type(q, ENTRY_NCOLUMNS) ==
			    SQLITE_BLOB) {
				size_t zl = (size_t)sqlite3_column_bytes(q,
				    ENTRY_NCOLUMNS);

				if ((items[n].payload_z = malloc(zl + 1)) ==
				    NULL) {
					st = ledger_errorf(err, LEDGER_ENOMEM,
					    "out of memory");
					goto out;
				}
				memcpy(items[n].payload_z, sqlite3_column_blob(
				    q, ENTRY_NCOLUMNS), zl);
				items[n].payload_zlen = zl;
			}
		}
		job.items = items;
		job.n = n;
		run_workers(&job, nthreads);
		for (size_t i = 0; i < n; i++)
			walk_item(&w, &items[i]);
		rep->entries += n;
		free_items(items, n);
	}
	settle(&w, NULL);
	if (rep->head_size > w.expected)
		report(&w, w.expected, LEDGER_PROB_MISSING,
		    "%" PRIu64 " entr%s missing at the end (%" PRIu64 "..%"
		    PRIu64 "): the log's recorded size is %" PRIu64,
		    rep->head_size - w.expected,
		    rep->head_size - w.expected == 1 ? "y" : "ies",
		    w.expected, rep->head_size - 1, rep->head_size);
out:
	sqlite3_finalize(q);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (items != NULL)
		free_items(items, CHUNK);
	free(items);
	return st;
}
