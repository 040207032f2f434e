/*
 * copy.c - move a log to another backend, and prove the copy
 * (ledger/copy.h)
 *
 * Everything goes through the two backends' operations (backend.h), so
 * either side may be either backend.  The target's writes are one
 * transaction; its tree is rebuilt from the entries as an append builds
 * it (a frontier), and the root that comes out is compared with the
 * source's stored tree before anything is committed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/copy.h"
#include "ledger/tree.h"
#include "ledger/verify.h"
#include "ledger-int.h"
#include "lookup.h"
#include "store-int.h"
#include "store-pg.h"
#include "store-sqlite.h"

#define COPY_STEP 4096			/* entries between progress calls */

struct copy {
	struct ledger_store *src;
	struct ledger_backend *dst;
	const struct ledger_copy_opts *o;
	struct ledger_copy_report *rep;
	struct ledger_merkle_frontier f;
	struct ledger_be_head head;	/* the source's */
	uint8_t last_leaf[LEDGER_HASH_BYTES];	/* the last entry copied */
};

static int
progress(struct copy *c, const char *phase, uint64_t done, uint64_t total)
{
	return c->o->progress != NULL &&
	    c->o->progress(c->o->progress_ctx, phase, done, total) != 0;
}

/* A new target log is named at once, as ledgerctl init names one: an
 * interrupted copy leaves an empty log that opens (and takes the next
 * copy), not a nameless one. */
static enum ledger_status
name_target(struct copy *c, struct ledger_error *err)
{
	const struct ledger_backend_ops *ops = c->dst->ops;
	enum ledger_status st;
	char kid[9];

	snprintf(kid, sizeof(kid), "%08x", ledger_store_key_id(c->src));
	if ((st = ops->begin_write(c->dst, err)) == LEDGER_OK &&
	    ((st = ops->meta_set(c->dst, "origin", ledger_store_origin(c->src),
	    err)) || (st = ops->meta_set(c->dst, "key_id", kid, err)) ||
	    (st = ops->commit(c->dst, err))))
		ops->rollback(c->dst);
	return st;
}

/* The target's log: made new, or an empty one taken over. */
static enum ledger_status
open_target(struct copy *c, struct ledger_error *err)
{
	const char *origin = ledger_store_origin(c->src);
	enum ledger_status st;
	char *v = NULL;

	if (c->o->backend != NULL && strcmp(c->o->backend, "postgresql") == 0) {
		st = ledger_pg_open(c->o->location, origin, 0, true, &c->dst,
		    err);
		if (st == LEDGER_EEXIST)
			st = ledger_pg_open(c->o->location, origin, 0, false,
			    &c->dst, err);
	} else if (c->o->backend != NULL && strcmp(c->o->backend, "sqlite") ==
	    0)
		st = ledger_sqlite_open(c->o->location, 0, true, &c->dst, err);
	else
		return ledger_errorf(err, LEDGER_EINVAL, "unknown backend "
		    "'%s'", c->o->backend != NULL ? c->o->backend : "(none)");
	if (st != LEDGER_OK)
		return st;
	if ((st = c->dst->ops->meta_get(c->dst, "origin", &v, err)) ==
	    LEDGER_EINVAL)
		st = name_target(c, err);
	else if (st == LEDGER_OK && strcmp(v, origin) != 0)
		st = ledger_errorf(err, LEDGER_EEXIST, "the target holds log "
		    "'%.128s', not '%s'", v, origin);
	free(v);
	if (st != LEDGER_OK) {
		c->dst->ops->close(c->dst);
		c->dst = NULL;
	}
	return st;
}

/* Inside the target's transaction: it holds nothing of its own. */
static enum ledger_status
check_empty(struct copy *c, struct ledger_error *err)
{
	const struct ledger_backend_ops *ops = c->dst->ops;
	struct ledger_signed_checkpoint cp;
	struct ledger_be_head h;
	enum ledger_status st;
	char *kid = NULL, want[9];
	int64_t ntok;

	if ((st = ops->head_read(c->dst, &h, err)) ||
	    (st = ops->token_count(c->dst, &ntok, err)))
		return st;
	if (h.size != 0 || ntok != 0)
		return ledger_errorf(err, LEDGER_EEXIST, "the target log '%s' "
		    "already holds %" PRIu64 " entries and %" PRId64 " tokens:"
		    " refusing to write over it",
		    ledger_store_origin(c->src), h.size, ntok);
	memset(&cp, 0, sizeof(cp));
	st = ops->checkpoint_get(c->dst, LEDGER_CP_LATEST, 0, &cp, err);
	ledger_signed_checkpoint_release(&cp);
	if (st == LEDGER_OK)
		return ledger_errorf(err, LEDGER_EEXIST, "the target log '%s' "
		    "already holds checkpoints: refusing to write over it",
		    ledger_store_origin(c->src));
	if (st != LEDGER_ENOTFOUND)
		return st;
	snprintf(want, sizeof(want), "%08x", ledger_store_key_id(c->src));
	st = ops->meta_get(c->dst, "key_id", &kid, err);
	if (st == LEDGER_OK && strcmp(kid, want) != 0)
		st = ledger_errorf(err, LEDGER_EEXIST, "the target log '%s' "
		    "was made for key %s, not this log's %s",
		    ledger_store_origin(c->src), kid, want);
	else if (st == LEDGER_EINVAL)
		st = LEDGER_OK;		/* absent: a log never given one */
	free(kid);
	return st;
}

/* The prune mark, the one meta value besides the name and key (set when
 * the target was named, and checked by check_empty). */
static enum ledger_status
copy_meta(struct copy *c, struct ledger_error *err)
{
	enum ledger_status st;
	char *v = NULL;

	st = c->src->ops->meta_get(c->src->be, "prune_before", &v, err);
	if (st == LEDGER_OK)
		st = c->dst->ops->meta_set(c->dst, "prune_before", v, err);
	else if (st == LEDGER_EINVAL)
		st = LEDGER_OK;		/* never pruned (backend.h) */
	free(v);
	return st;
}

/* One entry: the same bytes and signature, its payload and headers, the
 * lookup terms an append would give it, and the tree hashes. */
static enum ledger_status
copy_entry(struct copy *c, const struct ledger_row *row,
    const uint8_t *payload_z, size_t zlen, struct ledger_error *err)
{
	uint8_t hashes[LEDGER_MERKLE_MAX_STORED][LEDGER_HASH_BYTES];
	uint64_t idx[LEDGER_MERKLE_MAX_STORED];
	char terms[LEDGER_LOOKUP_TERMS], *headers = NULL;
	struct ledger_be_insert in;
	struct ledger_entry e;
	uint8_t leaf[LEDGER_HASH_BYTES];
	enum ledger_status st;
	size_t k, nh;

	if ((st = ledger_entry_decode(row->entry, row->entry_len, &e,
	    NULL)))
		return ledger_errorf(err, LEDGER_ECHAIN, "entry %" PRIu64 " of "
		    "the source is not a valid entry: verify it", row->e.seq);
	if (e.seq != ledger_merkle_frontier_size(&c->f)) {
		st = ledger_errorf(err, LEDGER_ECHAIN, "the source's entries "
		    "are not dense: entry %" PRIu64 " where %" PRIu64 " was "
		    "due: verify it", e.seq,
		    ledger_merkle_frontier_size(&c->f));
		goto out;
	}
	if (c->src->ops->caps(c->src->be) & LEDGER_BE_HEADERS) {
		st = c->src->ops->get_headers(c->src->be, e.seq, &headers,
		    err);
		if (st != LEDGER_OK && st != LEDGER_ENOTFOUND)
			goto out;
	}
	memset(&in, 0, sizeof(in));
	in.e = &e;
	in.entry = row->entry;
	in.entry_len = row->entry_len;
	in.sig = row->sig;
	in.terms = ledger_lookup_terms(&e, terms, NULL, NULL) > 0 ? terms :
	    NULL;
	in.payload_z = payload_z;
	in.payload_zlen = zlen;
	in.headers = headers;
	if ((st = c->dst->ops->insert_entry(c->dst, &in, err)))
		goto out;
	c->rep->payloads += payload_z != NULL;
	c->rep->pruned += payload_z == NULL;
	c->rep->headers += headers != NULL;
	ledger_leaf_hash(row->entry, row->entry_len, leaf);
	memcpy(c->last_leaf, leaf, LEDGER_HASH_BYTES);
	st = ledger_merkle_frontier_append(&c->f, leaf, hashes, idx, &nh, err);
	for (k = 0; st == LEDGER_OK && k < nh; k++)
		st = c->dst->ops->insert_tree(c->dst, idx[k], hashes[k], err);
	c->rep->tree_hashes += nh;
out:
	free(headers);
	ledger_entry_release(&e);
	return st;
}

static enum ledger_status
copy_entries(struct copy *c, struct ledger_error *err)
{
	struct ledger_be_cursor *cur = NULL;
	enum ledger_status st;
	struct ledger_row row;
	uint8_t *z;
	size_t zlen;
	bool end = false;

	if (progress(c, "copy", 0, c->head.size))
		return ledger_errorf(err, LEDGER_ECANCELED, "interrupted "
		    "before the first entry; nothing was committed");
	if ((st = c->src->ops->open_rows(c->src->be, &cur, err)))
		return st;
	memset(&row, 0, sizeof(row));
	while (st == LEDGER_OK) {
		z = NULL;
		if ((st = c->src->ops->next_row(cur, &row, &z, &zlen, &end,
		    err)) || end)
			break;
		st = copy_entry(c, &row, z, zlen, err);
		ledger_row_release(&row);
		free(z);
		if (st == LEDGER_OK && ledger_merkle_frontier_size(&c->f) %
		    COPY_STEP == 0 && progress(c, "copy",
		    ledger_merkle_frontier_size(&c->f), c->head.size))
			st = ledger_errorf(err, LEDGER_ECANCELED, "interrupted "
			    "after %" PRIu64 " entries; nothing was committed",
			    ledger_merkle_frontier_size(&c->f));
	}
	c->src->ops->close_cursor(cur);
	return st;
}

/* The entries make the tree the source stores, and its head says so. */
static enum ledger_status
check_tree(struct copy *c, struct ledger_error *err)
{
	uint8_t stored[LEDGER_HASH_BYTES];
	enum ledger_status st;
	uint64_t n = ledger_merkle_frontier_size(&c->f);

	if (n != c->head.size)
		return ledger_errorf(err, LEDGER_ECHAIN, "the source holds %"
		    PRIu64 " entries and its head says %" PRIu64 ": verify it",
		    n, c->head.size);
	if (n > 0 && memcmp(c->last_leaf, c->head.last_leaf,
	    LEDGER_HASH_BYTES) != 0)
		return ledger_errorf(err, LEDGER_ECHAIN, "the source's head "
		    "names another last entry than entry %" PRIu64 ": verify "
		    "it", n - 1);
	ledger_merkle_frontier_root(&c->f, c->rep->root);
	if ((st = ledger_store_tree_root(c->src, n, stored, err)))
		return st;
	if (memcmp(stored, c->rep->root, LEDGER_HASH_BYTES) != 0)
		return ledger_errorf(err, LEDGER_ECHAIN, "the source's stored "
		    "tree has another root than its %" PRIu64 " entries make:"
		    " verify it", n);
	c->rep->size = n;
	return c->dst->ops->head_write(c->dst, &c->head, err);
}

/* The signed notes as they are, smallest first. */
static enum ledger_status
copy_checkpoints(struct copy *c, struct ledger_error *err)
{
	struct ledger_signed_checkpoint cp;
	enum ledger_status st;
	uint64_t next = 0;

	for (;;) {
		memset(&cp, 0, sizeof(cp));
		st = c->src->ops->checkpoint_get(c->src->be, LEDGER_CP_AT_LEAST,
		    next, &cp, err);
		if (st == LEDGER_ENOTFOUND)
			return LEDGER_OK;
		if (st == LEDGER_OK)
			st = c->dst->ops->checkpoint_insert(c->dst, &cp, err);
		next = cp.size + 1;
		ledger_signed_checkpoint_release(&cp);
		if (st != LEDGER_OK)
			return st;
		c->rep->checkpoints++;
	}
}

struct tokcopy {
	struct copy *c;
	enum ledger_status st;
	struct ledger_error *err;
};

/* A token keeps its id (ledgerctl token revoke ID names it, and a
 * request's identity may too): the target's ids count from 1 in the
 * order they are made, as the source's did. */
static int
copy_token(void *ctx, const struct ledger_token_row *t)
{
	struct tokcopy *tc = ctx;
	const struct ledger_backend_ops *ops = tc->c->dst->ops;
	bool changed;
	int64_t id;

	if ((tc->st = ops->token_insert(tc->c->dst, t, &id, tc->err)))
		return 1;
	if (id != t->id) {
		tc->st = ledger_errorf(tc->err, LEDGER_EEXIST, "token %" PRId64
		    " would become token %" PRId64 " in the target: the "
		    "source's token ids have a gap, which no ledgerctl makes",
		    t->id, id);
		return 1;
	}
	tc->c->rep->tokens++;
	if (t->revoked_ms != 0) {
		if ((tc->st = ops->token_revoke(tc->c->dst, id, t->revoked_ms,
		    &changed, tc->err)))
			return 1;
		tc->c->rep->revoked++;
	}
	return 0;
}

static enum ledger_status
copy_tokens(struct copy *c, struct ledger_error *err)
{
	struct tokcopy tc = { c, LEDGER_OK, err };
	enum ledger_status st;

	st = c->src->ops->token_scan(c->src->be, copy_token, &tc, err);
	return st != LEDGER_OK ? st : tc.st;
}

/* The source read in one snapshot (held as a writer holds it when it is
 * writable), the target written in one transaction. */
static enum ledger_status
copy_all(struct copy *c, struct ledger_error *err)
{
	const struct ledger_backend_ops *so = c->src->ops;
	enum ledger_status st;

	/* a writable source is held as a writer holds it: nothing is
	 * appended beside the copy */
	if ((st = (c->src->flags & LEDGER_STORE_READONLY) ?
	    so->begin_read(c->src->be, err) : so->begin_write(c->src->be,
	    err)))
		return st;
	if ((st = c->dst->ops->begin_write(c->dst, err))) {
		so->rollback(c->src->be);
		return st;
	}
	ledger_merkle_frontier_init(&c->f);
	if ((st = so->head_read(c->src->be, &c->head, err)) ||
	    (st = check_empty(c, err)) || (st = copy_meta(c, err)) ||
	    (st = copy_entries(c, err)) || (st = check_tree(c, err)) ||
	    (st = copy_checkpoints(c, err)) || (st = copy_tokens(c, err)))
		c->dst->ops->rollback(c->dst);
	else
		st = c->dst->ops->commit(c->dst, err);
	so->rollback(c->src->be);
	return st;
}

static int
on_verify_source(void *ctx, uint64_t done, uint64_t total)
{
	return progress(ctx, "verify the source", done, total);
}

static int
on_verify(void *ctx, uint64_t done, uint64_t total)
{
	return progress(ctx, "verify the copy", done, total);
}

/* Verify st_'s log whole with key; problems are error bad naming the
 * first bad seq: "<what> does not verify: ...<tail>". */
static enum ledger_status
verify_whole(struct copy *c, struct ledger_store *st_,
    const struct ledger_vkey *key, int (*fn)(void *, uint64_t, uint64_t),
    const char *what, enum ledger_status bad, const char *tail,
    struct ledger_verify_report *vr, struct ledger_error *err)
{
	struct ledger_verify_opts vo;
	enum ledger_status st;

	memset(&vo, 0, sizeof(vo));
	vo.keys = key;
	vo.nkeys = 1;
	vo.progress = fn;
	vo.progress_ctx = c;
	memset(vr, 0, sizeof(*vr));
	st = ledger_verify_store(st_, &vo, NULL, NULL, vr, err);
	if (st == LEDGER_OK && vr->problems != 0)
		st = ledger_errorf(err, bad, "%s does not verify: %" PRIu64
		    " problem%s, the first at seq %" PRIu64 "%s", what,
		    vr->problems, vr->problems == 1 ? "" : "s",
		    vr->first_bad_seq, tail);
	return st;
}

/* The copy opened as a reader opens it, and verified whole with the
 * source's key; its tree's root is the source's. */
static enum ledger_status
prove(struct copy *c, struct ledger_error *err)
{
	struct ledger_store_config sc;
	struct ledger_verify_report vr;
	struct ledger_store *t = NULL;
	uint8_t root[LEDGER_HASH_BYTES];
	enum ledger_status st;

	memset(&sc, 0, sizeof(sc));
	sc.backend = c->o->backend;
	sc.location = c->o->location;
	sc.log = ledger_store_origin(c->src);
	sc.flags = LEDGER_STORE_READONLY;
	if ((st = ledger_store_open_config(&sc, &t, err)))
		return st;
	st = verify_whole(c, t, ledger_store_vkey(c->src), on_verify,
	    "the copy", LEDGER_EINVAL, "", &vr, err);
	c->rep->problems = vr.problems;
	if (st == LEDGER_OK && vr.entries != c->rep->size)
		st = ledger_errorf(err, LEDGER_EINVAL, "the copy holds %"
		    PRIu64 " entries, not %" PRIu64, vr.entries, c->rep->size);
	else if (st == LEDGER_OK && (st = ledger_store_tree_root(t,
	    c->rep->size, root, err)) == LEDGER_OK &&
	    memcmp(root, c->rep->root, LEDGER_HASH_BYTES) != 0)
		st = ledger_errorf(err, LEDGER_EINVAL, "the copy's root is not "
		    "the source's");
	ledger_store_close(t);
	return st;
}

enum ledger_status
ledger_store_copy(struct ledger_store *src, const struct ledger_copy_opts *opts,
    struct ledger_copy_report *report, struct ledger_error *err)
{
	struct ledger_verify_report vr;
	struct copy c;
	enum ledger_status st;

	memset(report, 0, sizeof(*report));
	if (ledger_store_vkey(src) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "the source has no "
		    "verifier key (%s): the copy could not be proved",
		    LEDGER_PUB_FILE);
	memset(&c, 0, sizeof(c));
	c.src = src;
	c.o = opts;
	c.rep = report;
	/* a source that does not verify is refused before anything is
	 * written: a copy must not launder it */
	if ((st = verify_whole(&c, src, ledger_store_vkey(src),
	    on_verify_source, "the source", LEDGER_ECHAIN,
	    "; nothing was copied", &vr, err)))
		return st;
	if ((st = open_target(&c, err)))
		return st;
	st = copy_all(&c, err);
	c.dst->ops->close(c.dst);
	if (st == LEDGER_OK)
		st = prove(&c, err);
	return st;
}
