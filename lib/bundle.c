/*
 * bundle.c - writing a bundle (ledger/bundle.h; the verifier is
 * bundle-verify.c), streamed member by member through zlib's gzip
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zlib.h>

#include "ledger/bundle.h"
#include "ledger/keyhist.h"
#include "ledger/retention.h"
#include "ledger/jcs.h"
#include "ledger/tree.h"
#include "ledger-int.h"

struct out {
	gzFile gz;
	struct ledger_buf b;		/* one member's text at a time */
	struct ledger_bundle_stats st;
	bool failed;
};

/* Write what is in o->b and empty it. */
static bool
flush_out(struct out *o)
{
	if (o->b.len > 0 && gzwrite(o->gz, o->b.data, (unsigned)o->b.len) !=
	    (int)o->b.len)
		o->failed = true;
	o->st.bytes += o->b.len;
	ledger_buf_reset(&o->b);
	return !o->failed;
}

static enum ledger_status
add_b64(struct ledger_buf *b, const void *p, size_t n)
{
	size_t len = sodium_base64_encoded_len(n,
	    sodium_base64_VARIANT_ORIGINAL);
	enum ledger_status r;

	if ((r = ledger_buf_reserve(b, len + 2)) != LEDGER_OK)
		return r;
	b->data[b->len++] = '"';
	sodium_bin2base64((char *)b->data + b->len, len, p, n,
	    sodium_base64_VARIANT_ORIGINAL);
	b->len += len - 1;
	b->data[b->len++] = '"';
	return LEDGER_OK;
}

/* One entry's member of "entries". */
static enum ledger_status
entry_json(const struct ledger_bundle_source *src, uint64_t seq,
    uint64_t size, bool payloads, bool first, struct out *o,
    struct ledger_error *err)
{
	uint8_t path[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	char hex[2 * LEDGER_SIG_BYTES + 1];
	struct ledger_buf *b = &o->b;
	enum ledger_status st, r = LEDGER_OK;
	struct ledger_entry e;
	struct ledger_row row;
	uint8_t *payload = NULL;
	size_t n, i, plen = 0;
	uint32_t key_id;
	bool pruned, is_key;

	memset(&row, 0, sizeof(row));
	if ((st = src->entry(src->ctx, seq, &row, err)) != LEDGER_OK)
		return st;
	/* the key id from the signed bytes themselves */
	if ((st = ledger_entry_decode(row.entry, row.entry_len, &e, err))) {
		ledger_row_release(&row);
		return st;
	}
	key_id = e.key_id;
	/* a key record always carries its payload: the verifier rebuilds
	 * the key history from it */
	if ((is_key = ledger_keyhist_event(&e) != NULL))
		payloads = true;
	ledger_entry_release(&e);
	if ((st = src->inclusion(src->ctx, seq, size, path, &n, err)) ||
	    (payloads && (st = src->payload(src->ctx, seq, &payload, &plen,
	    err)) && st != LEDGER_ENOTFOUND)) {
		ledger_row_release(&row);
		return st;
	}
	pruned = payloads && st == LEDGER_ENOTFOUND;
	if (pruned && is_key) {
		ledger_row_release(&row);
		return ledger_errorf(err, LEDGER_ECHAIN, "the payload of key "
		    "record %" PRIu64 " is missing: the key history cannot be "
		    "carried (run verify)", seq);
	}
	r |= ledger_buf_adds(b, first ? "{\"entry\":" : ",{\"entry\":");
	r |= add_b64(b, row.entry, row.entry_len);
	r |= ledger_buf_adds(b, ",\"inclusion\":[");
	for (i = 0; i < n; i++) {
		r |= ledger_buf_adds(b, i ? "," : "");
		r |= add_b64(b, path[i], LEDGER_HASH_BYTES);
	}
	r |= ledger_buf_addf(b, "],\"key_id\":\"%08" PRIx32 "\"",
	    key_id);
	if (pruned) {
		/* pruned: the payloads-pruned record vouches (FORMAT.md) */
		r |= ledger_buf_adds(b, ",\"payload_pruned\":true");
		o->st.pruned++;
	} else if (payloads) {
		r |= ledger_buf_adds(b, ",\"payload\":");
		r |= add_b64(b, payload, plen);
		o->st.payloads++;
	}
	ledger_hex(row.sig, LEDGER_SIG_BYTES, hex);
	r |= ledger_buf_addf(b, ",\"seq\":%" PRIu64 ",\"signature\":\"%s\"}",
	    seq, hex);
	o->st.entries++;
	o->st.entry_bytes += row.entry_len;
	free(payload);
	ledger_row_release(&row);
	if (r != LEDGER_OK)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return LEDGER_OK;
}

/* The older checkpoints' members, ascending, each with its proof. */
static enum ledger_status
older_json(const struct ledger_bundle_source *src,
    const struct ledger_bundle_opts *bo, uint64_t size, struct out *o,
    struct ledger_error *err)
{
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	enum ledger_status st, r = LEDGER_OK;
	uint64_t last = 0, got;
	size_t note_len;
	char *note;
	size_t i, k, n, done = 0;

	for (i = 0; i < (bo != NULL ? bo->nolder : 0); i++) {
		/* ascending, each once, below the newest */
		uint64_t next = UINT64_MAX;

		for (k = 0; k < bo->nolder; k++)
			if (bo->older[k] > last && bo->older[k] < size &&
			    bo->older[k] < next)
				next = bo->older[k];
		if (next == UINT64_MAX)
			break;
		last = next;
		if ((st = src->checkpoint(src->ctx, false, next, &note,
		    &note_len, &got, err)))
			return st;
		st = src->consistency(src->ctx, next, size, proof, &n, err);
		r |= ledger_buf_adds(&o->b, done++ ? ",{\"checkpoint\":" :
		    "{\"checkpoint\":");
		r |= ledger_jcs_append_string(&o->b, note, note_len, NULL);
		r |= ledger_buf_adds(&o->b, ",\"consistency\":[");
		for (k = 0; st == LEDGER_OK && k < n; k++) {
			r |= ledger_buf_adds(&o->b, k ? "," : "");
			r |= add_b64(&o->b, proof[k], LEDGER_HASH_BYTES);
		}
		r |= ledger_buf_adds(&o->b, "]}");
		free(note);
		if (st != LEDGER_OK)
			return st;
	}
	if (r != LEDGER_OK)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return LEDGER_OK;
}

/* "keys": the history, each key with its validity (docs/FORMAT.md). */
static enum ledger_status
keys_json(const struct ledger_bundle_source *src, struct out *o,
    struct ledger_error *err)
{
	struct ledger_keyhist one;
	const struct ledger_keyhist *h = src->hist;
	const struct ledger_keyinfo *k;
	enum ledger_status st;
	char *vkey = NULL;
	size_t i;
	int r = 0;

	if (h == NULL) {
		if (src->vkey == NULL)
			return ledger_errorf(err, LEDGER_EINVAL, "no verifier "
			    "key for the log");
		ledger_keyhist_init(&one, src->vkey, 1);
		h = &one;
	}
	for (i = 0; i < h->n; i++) {
		k = &h->keys[i];
		if ((st = ledger_vkey_format(&k->vk, &vkey, err)))
			return st;
		r |= ledger_buf_addf(&o->b, "%s{\"from_seq\":%" PRIu64 ","
		    "\"key_id\":\"%08" PRIx32 "\",", i ? "," : "",
		    k->from_seq, k->vk.id);
		r |= ledger_buf_seq_member(&o->b, "", "retired_seq",
		    k->retired_seq);
		r |= ledger_buf_seq_member(&o->b, ",", "revoked_from_seq",
		    k->revoked_from);
		r |= ledger_buf_seq_member(&o->b, ",", "until_seq", k->until_seq);
		r |= ledger_buf_adds(&o->b, ",\"vkey\":");
		r |= ledger_jcs_append_string(&o->b, vkey, strlen(vkey), NULL);
		r |= ledger_buf_addc(&o->b, '}');
		free(vkey);
	}
	return r ? ledger_errorf(err, LEDGER_ENOMEM, "out of memory") :
	    LEDGER_OK;
}

/* After "entries": format, keys, older checkpoints, origin. */
static enum ledger_status
tail_json(const struct ledger_bundle_source *src,
    const struct ledger_bundle_opts *bo, uint64_t size, struct out *o,
    struct ledger_error *err)
{
	enum ledger_status st, r = LEDGER_OK;
	const char *origin = src->origin;

	r |= ledger_buf_adds(&o->b, "],\"format\":\"" LEDGER_BUNDLE_FORMAT
	    "\",\"keys\":[");
	if (r != LEDGER_OK)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if ((st = keys_json(src, o, err)) != LEDGER_OK)
		return st;
	r |= ledger_buf_adds(&o->b, "],\"older_checkpoints\":[");
	if (r != LEDGER_OK)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if ((st = older_json(src, bo, size, o, err)) != LEDGER_OK)
		return st;
	r |= ledger_buf_adds(&o->b, "],\"origin\":");
	r |= ledger_jcs_append_string(&o->b, origin, strlen(origin), NULL);
	r |= ledger_buf_addc(&o->b, '}');
	if (r != LEDGER_OK)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return LEDGER_OK;
}

static enum ledger_status
check_seqs(const uint64_t *seqs, size_t n, struct ledger_error *err)
{
	size_t i;

	if (n == 0)
		return ledger_errorf(err, LEDGER_EINVAL, "no entries to bundle");
	for (i = 1; i < n; i++)
		if (seqs[i] <= seqs[i - 1])
			return ledger_errorf(err, LEDGER_EINVAL, "entries not "
			    "in ascending order at %" PRIu64, seqs[i]);
	return LEDGER_OK;
}

/*
 * The bundle to fd (named name in messages): a dup of it is written
 * through gzip and closed; fd stays open.  With sync, fsync'd before
 * anyone is told it is written.
 */
static enum ledger_status
write_to(const struct ledger_bundle_source *src, const uint64_t *seqs,
    size_t n, const struct ledger_bundle_opts *bo, int fd, const char *name,
    bool sync, struct ledger_bundle_stats *stats, struct ledger_error *err)
{
	bool payloads = bo != NULL && bo->payloads;
	struct cpn { char *note; size_t note_len; uint64_t size; } cp;
	struct out o;
	enum ledger_status st;
	size_t i;
	int gfd;

	memset(&o, 0, sizeof(o));
	memset(&cp, 0, sizeof(cp));
	if ((st = check_seqs(seqs, n, err)) ||
	    (st = src->checkpoint(src->ctx, true, 0, &cp.note, &cp.note_len,
	    &cp.size, err)))
		return st;
	if (cp.size <= seqs[n - 1]) {
		st = ledger_errorf(err, LEDGER_ENOTFOUND, "no signed checkpoint "
		    "covers entry %" PRIu64 " yet (the newest covers %" PRIu64
		    " entries)", seqs[n - 1], cp.size);
		goto out;
	}
	if ((gfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		st = ledger_errorf(err, LEDGER_EIO, "write '%s': %s", name,
		    strerror(errno));
		goto out;
	}
	if ((o.gz = gzdopen(gfd, "wb6")) == NULL) {
		close(gfd);
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	o.st.checkpoint_size = cp.size;
	st = ledger_buf_adds(&o.b, "{\"checkpoint\":");
	st |= ledger_jcs_append_string(&o.b, cp.note, cp.note_len, NULL);
	st |= ledger_buf_adds(&o.b, ",\"entries\":[");
	if (st != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	for (i = 0; i < n && st == LEDGER_OK && flush_out(&o); i++) {
		st = entry_json(src, seqs[i], cp.size, payloads, i == 0, &o,
		    err);
		if (st == LEDGER_OK && bo != NULL && bo->progress != NULL &&
		    (i + 1 == n || (i + 1) % 1000 == 0) &&
		    bo->progress(bo->progress_ctx, i + 1, n) != 0)
			st = ledger_errorf(err, LEDGER_ECANCELED, "stopped "
			    "after %zu of %zu entries", i + 1, n);
	}
	if (st == LEDGER_OK)
		st = tail_json(src, bo, cp.size, &o, err);
	if (st == LEDGER_OK && !flush_out(&o))
		st = ledger_errorf(err, LEDGER_EIO, "write '%s' failed", name);
	if (st == LEDGER_OK && (gzflush(o.gz, Z_FINISH) != Z_OK ||
	    (sync && fsync(gfd) != 0)))
		st = ledger_errorf(err, LEDGER_EIO, "write '%s': %s", name,
		    strerror(errno));
	if (gzclose(o.gz) != Z_OK && st == LEDGER_OK)
		st = ledger_errorf(err, LEDGER_EIO, "write '%s': %s", name,
		    errno ? strerror(errno) : "gzip failed");
	if (st == LEDGER_OK && stats != NULL)
		*stats = o.st;
out:
	ledger_buf_release(&o.b);
	free(cp.note);
	return st;
}

enum ledger_status
ledger_bundle_write_from(const struct ledger_bundle_source *src,
    const uint64_t *seqs, size_t n, const struct ledger_bundle_opts *bo,
    const char *path, struct ledger_bundle_stats *stats,
    struct ledger_error *err)
{
	enum ledger_status st;
	int fd;

	if ((st = check_seqs(seqs, n, err)) != LEDGER_OK)
		return st;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644)) < 0)
		return ledger_errorf(err, errno == EEXIST ? LEDGER_EEXIST :
		    LEDGER_EIO, "create '%s': %s", path, strerror(errno));
	/* evidence: on the disk before anyone is told it is written */
	st = write_to(src, seqs, n, bo, fd, path, true, stats, err);
	close(fd);
	if (st != LEDGER_OK)
		unlink(path);
	return st;
}

/* ---- a store as the source ---- */

static enum ledger_status
st_checkpoint(void *ctx, bool latest, uint64_t size, char **note,
    size_t *note_len, uint64_t *ret_size, struct ledger_error *err)
{
	struct ledger_signed_checkpoint cp;
	enum ledger_status st;

	st = latest ? ledger_store_checkpoint_latest(ctx, &cp, err) :
	    ledger_store_checkpoint_get(ctx, size, &cp, err);
	if (st != LEDGER_OK)
		return st;
	*note = cp.note;
	*note_len = cp.note_len;
	*ret_size = cp.size;
	cp.note = NULL;
	ledger_signed_checkpoint_release(&cp);
	return LEDGER_OK;
}

static enum ledger_status
st_entry(void *ctx, uint64_t seq, struct ledger_row *row,
    struct ledger_error *err)
{
	return ledger_store_get(ctx, seq, row, err);
}

static enum ledger_status
st_inclusion(void *ctx, uint64_t seq, uint64_t size,
    uint8_t (*path)[LEDGER_HASH_BYTES], size_t *n, struct ledger_error *err)
{
	return ledger_store_prove_inclusion(ctx, seq, size, path, n, err);
}

static enum ledger_status
st_consistency(void *ctx, uint64_t m, uint64_t n,
    uint8_t (*path)[LEDGER_HASH_BYTES], size_t *count,
    struct ledger_error *err)
{
	return ledger_store_prove_consistency(ctx, m, n, path, count, err);
}

static enum ledger_status
st_payload(void *ctx, uint64_t seq, uint8_t **ret, size_t *len,
    struct ledger_error *err)
{
	return ledger_store_get_payload(ctx, seq, ret, len, err);
}

/* The store as a bundle's source, with its key history in *h. */
static enum ledger_status
store_source(struct ledger_store *s, struct ledger_bundle_source *src,
    struct ledger_keyhist *h, struct ledger_error *err)
{
	struct ledger_bundle_source v = { s, ledger_store_origin(s),
	    ledger_store_vkey(s), st_checkpoint, st_entry, st_inclusion,
	    st_consistency, st_payload, NULL };
	enum ledger_status st;

	if ((st = ledger_store_keyhist(s, NULL, h, err)) != LEDGER_OK)
		return st;
	*src = v;
	src->hist = h;
	return LEDGER_OK;
}

/* The store's bundle to path, or to fd when path is NULL. */
static enum ledger_status
by_store(struct ledger_store *s, const uint64_t *seqs, size_t n,
    const struct ledger_bundle_opts *bo, const char *path, int fd,
    struct ledger_bundle_stats *stats, struct ledger_error *err)
{
	struct ledger_bundle_source src;
	struct ledger_keyhist h;
	enum ledger_status st;

	if ((st = store_source(s, &src, &h, err)) != LEDGER_OK)
		return st;
	if (path != NULL)
		return ledger_bundle_write_from(&src, seqs, n, bo, path, stats,
		    err);
	return write_to(&src, seqs, n, bo, fd, "the bundle", false, stats,
	    err);
}

enum ledger_status
ledger_bundle_write(struct ledger_store *s, const uint64_t *seqs, size_t n,
    const struct ledger_bundle_opts *bo, const char *path,
    struct ledger_bundle_stats *stats, struct ledger_error *err)
{
	return by_store(s, seqs, n, bo, path, -1, stats, err);
}

enum ledger_status
ledger_bundle_write_fd(struct ledger_store *s, const uint64_t *seqs,
    size_t n, const struct ledger_bundle_opts *bo, int fd,
    struct ledger_bundle_stats *stats, struct ledger_error *err)
{
	return by_store(s, seqs, n, bo, NULL, fd, stats, err);
}

/* ---- the records a bundle needs beside its entries ---- */

enum ledger_status
ledger_bundle_store_query(void *ctx, const struct ledger_query *q,
    int (*fn)(void *fctx, const struct ledger_row *row), void *fctx,
    struct ledger_error *err)
{
	return ledger_store_query(ctx, q, fn, fctx, err);
}

struct collect {
	struct ledger_seqs *seqs;
	int64_t above;			/* only seqs above it */
	uint64_t below;			/* and below it */
	bool oom;
};

static int
collect_row(void *ctx, const struct ledger_row *row)
{
	struct collect *c = ctx;

	if (row->e.source[LEDGER_SRC_TYPE] == NULL ||
	    strcmp(row->e.source[LEDGER_SRC_TYPE], "ledger") != 0)
		return 0;		/* not the ledger's own record */
	if ((int64_t)row->e.seq > c->above && row->e.seq < c->below &&
	    ledger_seqs_push(c->seqs, row->e.seq) !=
	    LEDGER_OK) {
		c->oom = true;
		return 1;
	}
	return 0;
}

/* The records with one of these statuses above seq above (-1: all) and
 * below below into seqs. */
static enum ledger_status
add_status(struct ledger_seqs *seqs, const char *const *evs, size_t n,
    int64_t above, uint64_t below, ledger_bundle_query_fn query, void *ctx,
    struct ledger_error *err)
{
	struct collect c = { seqs, above, below, false };
	struct ledger_query q;
	enum ledger_status st;

	if ((st = ledger_query_records(&q, evs, n, err)) == LEDGER_OK)
		st = query(ctx, &q, collect_row, &c, err);
	if (st == LEDGER_OK && c.oom)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	ledger_query_release(&q);
	return st;
}

enum ledger_status
ledger_bundle_add_records(struct ledger_seqs *seqs, bool payloads,
    uint64_t below, ledger_bundle_query_fn query, void *ctx,
    struct ledger_error *err)
{
	static const char *const keys[] = { LEDGER_EV_KEY_ADDED,
	    LEDGER_EV_KEY_RETIRED, LEDGER_EV_KEY_REVOKED };
	static const char *const prunes[] = { LEDGER_EV_PRUNED };
	enum ledger_status st;
	uint64_t lowest;

	if (seqs->n == 0)
		return ledger_errorf(err, LEDGER_EINVAL, "no entries selected");
	ledger_seqs_sort_unique(seqs);
	lowest = seqs->v[0];
	st = add_status(seqs, keys, 3, -1, below, query, ctx, err);
	if (st == LEDGER_OK && payloads)
		st = add_status(seqs, prunes, 1, (int64_t)lowest, below, query,
		    ctx, err);
	ledger_seqs_sort_unique(seqs);
	return st;
}

enum ledger_status
ledger_bundle_write_seqs(struct ledger_store *s, struct ledger_seqs *seqs,
    const struct ledger_bundle_opts *o, int fd,
    struct ledger_bundle_stats *stats, struct ledger_error *err)
{
	struct ledger_signed_checkpoint cp;
	enum ledger_status st;
	uint64_t below;

	if ((st = ledger_store_checkpoint_latest(s, &cp, err)) != LEDGER_OK)
		return st;
	below = cp.size;
	ledger_signed_checkpoint_release(&cp);
	if ((st = ledger_bundle_add_records(seqs, o != NULL && o->payloads,
	    below, ledger_bundle_store_query, s, err)) != LEDGER_OK)
		return st;
	return ledger_bundle_write_fd(s, seqs->v, seqs->n, o, fd, stats, err);
}
