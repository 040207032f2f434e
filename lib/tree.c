/*
 * tree.c - roots, proofs and signed checkpoints over the stored tree
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger/keys.h"
#include "ledger/note.h"
#include "ledger/keyhist.h"
#include "ledger/tree.h"
#include "ledger-int.h"
#include "store-int.h"

/* The committed size, read fresh (readers) or known (the writer). */
static enum ledger_status
log_size(struct ledger_store *s, uint64_t *ret, struct ledger_error *err)
{
	return ledger_store_size(s, ret, err);
}

enum ledger_status
ledger_store_tree_root(struct ledger_store *s, uint64_t n,
    uint8_t root[LEDGER_HASH_BYTES], struct ledger_error *err)
{
	enum ledger_status st;
	uint64_t size;

	if ((st = log_size(s, &size, err)) != LEDGER_OK)
		return st;
	if (n > size)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "tree size %" PRIu64 " is beyond the log's %" PRIu64, n,
		    size);
	return ledger_merkle_root(n, ledger_store_read_hashes, s, root, err);
}

enum ledger_status
ledger_store_prove_inclusion(struct ledger_store *s, uint64_t index,
    uint64_t size, uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err)
{
	enum ledger_status st;
	uint64_t n;

	if ((st = log_size(s, &n, err)) != LEDGER_OK)
		return st;
	if (size > n)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "tree size %" PRIu64 " is beyond the log's %" PRIu64, size,
		    n);
	if (index >= size)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "entry %" PRIu64 " is not in a tree of size %" PRIu64,
		    index, size);
	return ledger_merkle_prove_inclusion(index, size,
	    ledger_store_read_hashes, s, proof, ret_count, err);
}

enum ledger_status
ledger_store_prove_consistency(struct ledger_store *s, uint64_t m,
    uint64_t n, uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err)
{
	enum ledger_status st;
	uint64_t size;

	if ((st = log_size(s, &size, err)) != LEDGER_OK)
		return st;
	if (m > n)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "first size %" PRIu64 " is larger than second %" PRIu64, m,
		    n);
	if (n > size)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "tree size %" PRIu64 " is beyond the log's %" PRIu64, n,
		    size);
	return ledger_merkle_prove_consistency(m, n, ledger_store_read_hashes,
	    s, proof, ret_count, err);
}

enum ledger_status
ledger_store_leaf_hash(struct ledger_store *s, uint64_t seq,
    uint8_t leaf[LEDGER_HASH_BYTES], struct ledger_error *err)
{
	enum ledger_status st;
	uint64_t n, idx;

	if ((st = log_size(s, &n, err)) != LEDGER_OK)
		return st;
	if (seq >= n)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "entry %" PRIu64 " is beyond the log's %" PRIu64, seq, n);
	idx = ledger_merkle_stored_index(0, seq);
	return ledger_store_read_hashes(s, &idx, 1,
	    (uint8_t (*)[LEDGER_HASH_BYTES])leaf, err);
}

void
ledger_signed_checkpoint_release(struct ledger_signed_checkpoint *c)
{
	if (c == NULL)
		return;
	free(c->note);
	memset(c, 0, sizeof(*c));
}

enum ledger_status
ledger_store_checkpoint_latest(struct ledger_store *s,
    struct ledger_signed_checkpoint *ret, struct ledger_error *err)
{
	return s->ops->checkpoint_get(s->be, LEDGER_CP_LATEST, 0, ret, err);
}

enum ledger_status
ledger_store_checkpoint_get(struct ledger_store *s, uint64_t size,
    struct ledger_signed_checkpoint *ret, struct ledger_error *err)
{
	return s->ops->checkpoint_get(s->be, LEDGER_CP_EXACT, size, ret, err);
}

enum ledger_status
ledger_store_checkpoint_near(struct ledger_store *s,
    enum ledger_cp_which which, uint64_t size,
    struct ledger_signed_checkpoint *ret, struct ledger_error *err)
{
	return s->ops->checkpoint_get(s->be, which, size, ret, err);
}


/*
 * Check that the stored tree extends the newest checkpoint: its signature,
 * its size within the log, and its root equal to the stored tree's root
 * at that size.  The writer refuses to open when this fails.
 */
enum ledger_status
ledger_store_check_last_checkpoint(struct ledger_store *s,
    struct ledger_error *err)
{
	struct ledger_signed_checkpoint cp, vc;
	struct ledger_error verr;
	enum ledger_status st;
	uint8_t root[LEDGER_HASH_BYTES], croot[LEDGER_HASH_BYTES];
	uint64_t csize;

	st = ledger_store_checkpoint_latest(s, &cp, err);
	if (st == LEDGER_ENOTFOUND)
		return LEDGER_OK;
	if (st != LEDGER_OK)
		return st;
	st = ledger_checkpoint_verify(cp.note, cp.note_len, s->ring, s->nring,
	    &vc, &verr);
	csize = vc.size;
	memcpy(croot, vc.root, sizeof(croot));
	ledger_signed_checkpoint_release(&vc);
	if (st != LEDGER_OK) {
		st = ledger_errorf(err, LEDGER_ECHAIN, "the last checkpoint "
		    "(size %" PRIu64 ") does not verify with this log's key: %s",
		    cp.size, verr.msg);
		goto out;
	}
	if (csize != cp.size || memcmp(croot, cp.root, sizeof(croot)) != 0) {
		st = ledger_errorf(err, LEDGER_ECHAIN, "the last checkpoint's "
		    "row does not match its signed text (size %" PRIu64 ")",
		    cp.size);
		goto out;
	}
	if (cp.size > s->size) {
		st = ledger_errorf(err, LEDGER_ECHAIN, "the log holds %" PRIu64
		    " entries but it signed a checkpoint of size %" PRIu64
		    ": entries were removed", s->size, cp.size);
		goto out;
	}
	st = ledger_merkle_root(cp.size, ledger_store_read_hashes, s, root,
	    err);
	if (st != LEDGER_OK)
		goto out;
	if (memcmp(root, cp.root, sizeof(root)) != 0)
		st = ledger_errorf(err, LEDGER_ECHAIN, "the stored tree does "
		    "not extend the last checkpoint (size %" PRIu64 "): the "
		    "log was rewritten", cp.size);
out:
	ledger_signed_checkpoint_release(&cp);
	return st;
}

enum ledger_status
ledger_store_check_extends(struct ledger_store *s, const char *note,
    size_t len, const char *where, struct ledger_error *err)
{
	struct ledger_signed_checkpoint vc;
	struct ledger_error verr;
	const struct ledger_vkey *vk = s->key != NULL ? s->ring :
	    ledger_store_vkey(s);
	size_t nvk = s->key != NULL ? s->nring : 1;
	uint8_t root[LEDGER_HASH_BYTES], croot[LEDGER_HASH_BYTES];
	enum ledger_status st;
	uint64_t csize, size = s->size;

	if (vk == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "no key to check %s "
		    "with", where);
	if (s->key == NULL && (st = ledger_store_size(s, &size, err)))
		return st;
	st = ledger_checkpoint_verify(note, len, vk, nvk, &vc, &verr);
	csize = vc.size;
	memcpy(croot, vc.root, sizeof(croot));
	ledger_signed_checkpoint_release(&vc);
	if (st != LEDGER_OK)
		/* Malformed (a torn write) is not evidence; a well-formed
		 * note this key did not sign is. */
		return ledger_errorf(err, st == LEDGER_ECRYPTO ? LEDGER_ECHAIN :
		    st, "%s does not hold a checkpoint signed by this log's "
		    "key: %s", where, verr.msg);
	if (csize > size)
		return ledger_errorf(err, LEDGER_ECHAIN, "this log signed a "
		    "checkpoint of size %" PRIu64 " (kept in %s) but its "
		    "database holds %" PRIu64 " entries: the database is older "
		    "than the log (restored from a backup?) or was truncated.  "
		    "Restore a newer copy, or start a new log in a new data "
		    "directory; appending here would sign a second tree of a "
		    "size already signed", csize, where, size);
	if ((st = ledger_merkle_root(csize, ledger_store_read_hashes, s, root,
	    err)) != LEDGER_OK)
		return st;
	if (memcmp(root, croot, sizeof(root)) != 0)
		return ledger_errorf(err, LEDGER_ECHAIN, "the database does not "
		    "extend the checkpoint of size %" PRIu64 " kept in %s: it "
		    "was rewritten or replaced by another log's.  Restore the "
		    "database this log signed, or start a new log in a new data "
		    "directory", csize, where);
	return LEDGER_OK;
}

static char *
state_path(const struct ledger_store *s)
{
	size_t n = strlen(s->dir) + sizeof(LEDGER_CHECKPOINT_FILE) + 1;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", s->dir, LEDGER_CHECKPOINT_FILE);
	return p;
}

/* The writer's open check of the checkpoint kept outside the database;
 * no file (a log from before it existed, or never signed) is fine. */
enum ledger_status
ledger_store_check_state(struct ledger_store *s, struct ledger_error *err)
{
	struct ledger_error e;
	enum ledger_status st;
	char *path, *note = NULL;
	size_t len;

	if (s->dir == NULL)		/* a database read from elsewhere */
		return LEDGER_OK;
	if ((path = state_path(s)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	memset(&e, 0, sizeof(e));
	st = ledger_read_file(path, 64 * 1024, &note, &len, &e);
	if (st == LEDGER_OK)
		st = ledger_store_check_extends(s, note, len,
		    LEDGER_CHECKPOINT_FILE, err);
	else if (e.sys_errno == ENOENT)
		st = LEDGER_OK;
	else
		st = ledger_errorf(err, st, "%s", e.msg);
	free(note);
	free(path);
	return st;
}

/* The size a kept note names (its second line), or 0. */
static uint64_t
note_size(const char *note)
{
	const char *nl = strchr(note, '\n');

	return nl != NULL ? strtoull(nl + 1, NULL, 10) : 0;
}

/*
 * Keep the newest checkpoint outside the database (after its COMMIT: a
 * crash in between leaves the file one checkpoint behind, never ahead).
 * ledgerd and ledgerctl may both sign: the file is replaced under an
 * flock on ledger.checkpoint.lock, and only by a larger size.
 */
static enum ledger_status
write_state(struct ledger_store *s, const struct ledger_signed_checkpoint *cp,
    struct ledger_error *err)
{
	enum ledger_status st = LEDGER_OK;
	char *path, lock[4200], *old = NULL;
	size_t len;
	int fd;

	if ((cp->size <= s->state_size && s->state_size > 0) || s->dir == NULL)
		return LEDGER_OK;
	if ((path = state_path(s)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	snprintf(lock, sizeof(lock), "%s.lock", path);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0 || flock(fd, LOCK_EX) != 0) {
		st = ledger_errorf_errno(err, LEDGER_EIO, errno, "lock '%s'",
		    lock);
		goto out;
	}
	if (ledger_read_file(path, 64 * 1024, &old, &len, NULL) == LEDGER_OK &&
	    note_size(old) >= cp->size)
		s->state_size = note_size(old);	/* another writer's newer */
	else if ((st = ledger_replace_file(path, 0644, cp->note, cp->note_len,
	    err)) == LEDGER_OK)
		s->state_size = cp->size;
out:
	if (fd >= 0)
		close(fd);		/* releases the lock */
	free(old);
	free(path);
	return st;
}

/* Once the log has key records, every checkpoint commits to how many
 * lie below its size and the last one's seq (ledger/keyhist.h), so that
 * a copy cannot leave one out; a log never rotated has no such line. */
static int
any_key_record(void *ctx, const struct ledger_row *row)
{
	bool *found = ctx;

	if (ledger_keyhist_event(&row->e) == NULL)
		return 0;
	*found = true;
	return 1;
}

/* The line is worked out from the whole key history (every record
 * checked again) when the log has key records the last line did not
 * see: the first time, and after a rotation by any writer.  Otherwise
 * the records since then are looked for (a read of the newest entries)
 * and the last line stands. */
static enum ledger_status
key_commitment(struct ledger_store *s, char *ext, size_t n,
    struct ledger_error *err)
{
	struct ledger_keyhist h;
	enum ledger_status st;
	bool found = false;

	if (s->kc_upto > 0 && s->kc_upto <= s->size) {
		static const char *const evs[] = { LEDGER_EV_KEY_ADDED,
		    LEDGER_EV_KEY_RETIRED, LEDGER_EV_KEY_REVOKED };

		if ((st = ledger_store_records_after(s, (int64_t)s->kc_upto - 1,
		    evs, 3, any_key_record, &found, err)) != LEDGER_OK)
			return st;
		if (!found) {
			snprintf(ext, n, "%s", s->kc_ext);
			s->kc_upto = s->size;
			return LEDGER_OK;
		}
	}
	ext[0] = '\0';
	if ((st = ledger_store_keyhist(s, NULL, &h, err)) != LEDGER_OK)
		return st;
	if (h.nrec > 0)
		snprintf(ext, n, LEDGER_KEYS_EXT " %zu %" PRIu64 "\n", h.nrec,
		    h.rec[h.nrec - 1]);
	snprintf(s->kc_ext, sizeof(s->kc_ext), "%s", ext);
	s->kc_upto = s->size;
	return LEDGER_OK;
}

/* During a rotation's overlap the replaced key signs too (its line
 * after the current key's), so verifiers pinned to it follow. */
static enum ledger_status
cosign(struct ledger_store *s, const struct ledger_buf *text,
    struct ledger_buf *note, struct ledger_error *err)
{
	const struct ledger_key *co = ledger_store_cosign_key(s);
	struct ledger_buf n2 = LEDGER_BUF_INIT;
	enum ledger_status st;

	if (co == NULL)
		return LEDGER_OK;
	/* n2 is text, a blank line, then the one signature line */
	if ((st = ledger_key_sign_note(co, text->data, text->len, &n2, err)) ==
	    LEDGER_OK && ledger_buf_add(note, n2.data + text->len + 1,
	    n2.len - text->len - 1) != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	ledger_buf_release(&n2);
	return st;
}

enum ledger_status
ledger_store_checkpoint(struct ledger_store *s,
    struct ledger_signed_checkpoint *ret, bool *ret_new,
    struct ledger_error *err)
{
	char ext[64];
	struct ledger_signed_checkpoint last, made;
	struct ledger_checkpoint cp;
	struct ledger_buf text = LEDGER_BUF_INIT, note = LEDGER_BUF_INIT;
	uint8_t root[LEDGER_HASH_BYTES];
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	enum ledger_status st;
	size_t np;
	bool have_last;

	memset(&made, 0, sizeof(made));
	if (ret_new != NULL)
		*ret_new = false;
	if (s == NULL || s->key == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "store is not open for writing");
	if ((st = s->ops->begin_write(s->be, err)) != LEDGER_OK)
		return st;
	if ((st = ledger_store_sync_head(s, err)) != LEDGER_OK)
		goto rollback;
	st = ledger_store_checkpoint_latest(s, &last, err);
	if (st != LEDGER_OK && st != LEDGER_ENOTFOUND)
		goto rollback;
	have_last = st == LEDGER_OK;
	if (have_last && last.size >= s->size) {
		s->ops->rollback(s->be);
		if (last.size > s->size) {
			ledger_signed_checkpoint_release(&last);
			return ledger_errorf(err, LEDGER_ECHAIN, "the log holds "
			    "%" PRIu64 " entries but signed a checkpoint of "
			    "size %" PRIu64, s->size, last.size);
		}
		if ((st = write_state(s, &last, err)) != LEDGER_OK) {
			ledger_signed_checkpoint_release(&last);
			return st;
		}
		if (ret != NULL)
			*ret = last;
		else
			ledger_signed_checkpoint_release(&last);
		return LEDGER_OK;
	}
	ledger_merkle_frontier_root(&s->frontier, root);
	/* Never sign a tree that does not extend the last checkpoint. */
	if (have_last) {
		/* An I/O, database or memory error building the proof is
		 * passed through as it is (retry later); only a proof that
		 * does not verify, or a stored hash that is missing (which
		 * ledger_store_read_hashes reports as LEDGER_ECHAIN), is a
		 * contradiction that must stop all writes. */
		st = ledger_merkle_prove_consistency(last.size, s->size,
		    ledger_store_read_hashes, s, proof, &np, err);
		if (st != LEDGER_OK) {
			ledger_signed_checkpoint_release(&last);
			goto rollback;
		}
		st = ledger_merkle_verify_consistency(last.size, s->size,
		    last.root, root, &proof[0][0], np, err);
		ledger_signed_checkpoint_release(&last);
		if (st != LEDGER_OK) {
			st = ledger_errorf(err, LEDGER_ECHAIN, "refusing to sign:"
			    " the tree of size %" PRIu64 " is not consistent "
			    "with the last checkpoint", s->size);
			goto rollback;
		}
	}
	memset(&cp, 0, sizeof(cp));
	cp.origin = s->origin;
	cp.origin_len = strlen(s->origin);
	cp.size = s->size;
	memcpy(cp.root, root, sizeof(root));
	if ((st = key_commitment(s, ext, sizeof(ext), err)) != LEDGER_OK)
		goto rollback;
	cp.ext = ext;
	cp.ext_len = strlen(ext);
	if ((st = ledger_checkpoint_format(&cp, &text, err)) ||
	    (st = ledger_key_sign_note(s->key, text.data, text.len, &note,
	    err)) || (st = cosign(s, &text, &note, err)))
		goto rollback;
	made.size = s->size;
	made.time_ms = ledger_now_ms();
	memcpy(made.root, root, sizeof(root));
	made.note = (char *)note.data;
	made.note_len = note.len;
	st = s->ops->checkpoint_insert(s->be, &made, err);
	made.note = NULL;
	made.note_len = 0;
	if (st != LEDGER_OK || (st = s->ops->commit(s->be, err)) != LEDGER_OK)
		goto rollback;
	made.note = ledger_buf_steal(&note, &made.note_len);
	if (ret_new != NULL)
		*ret_new = true;
	if ((st = write_state(s, &made, err)) != LEDGER_OK) {
		/* Signed and stored; the copy outside failed (disk full):
		 * reported, and written again with the next checkpoint. */
		ledger_signed_checkpoint_release(&made);
		ledger_buf_release(&text);
		return st;
	}
	if (ret != NULL)
		*ret = made;
	else
		ledger_signed_checkpoint_release(&made);
	ledger_buf_release(&text);
	return LEDGER_OK;
rollback:
	s->ops->rollback(s->be);
	ledger_buf_release(&text);
	ledger_buf_release(&note);
	return st;
}
