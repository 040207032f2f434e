/*
 * store-keys.c - the writer's keys: the history read back from the log,
 * the current signing key and the replaced one that co-signs checkpoints
 * until it is retired; rotation, retirement, revocation and destruction,
 * each recorded in the log (ledger/keyhist.h)
 *
 * Key files are never overwritten: the first key is ledger.key (or the
 * configured key_file), every later one DIR/ledger-<key id>.key with its
 * verifier key line in DIR/ledger-<key id>.pub.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger/keyhist.h"
#include "ledger/keys.h"
#include "ledger/query.h"
#include "ledger/tree.h"
#include "ledger-int.h"
#include "signer.h"
#include "store-int.h"

/* The directory's entries on disk (a key file linked or removed). */
static enum ledger_status
sync_dir(const char *dir, struct ledger_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return ledger_errorf_errno(err, LEDGER_EIO, errno, "open '%s'",
		    dir);
	r = fsync(fd);
	close(fd);
	return r == 0 ? LEDGER_OK : ledger_errorf_errno(err, LEDGER_EIO, errno,
	    "fsync '%s'", dir);
}

struct reader {
	struct ledger_store *s;
	struct ledger_keyhist *h;
	struct ledger_error *err;
	enum ledger_status st;
	bool prove;			/* each record's signature too */
};

static int
apply_row(void *ctx, const struct ledger_row *row)
{
	struct reader *rd = ctx;
	struct ledger_error e2;
	uint8_t *body = NULL;
	size_t len;

	if (ledger_keyhist_event(&row->e) == NULL)
		return 0;
	rd->st = ledger_store_get_payload(rd->s, row->e.seq, &body, &len, &e2);
	if (rd->st == LEDGER_OK && rd->prove) {
		rd->st = ledger_keyhist_add_record(rd->h, row->entry,
		    row->entry_len, row->sig, body, len, rd->err);
		free(body);
		return rd->st != LEDGER_OK;
	}
	if (rd->st == LEDGER_OK)
		rd->st = ledger_keyhist_apply(rd->h, &row->e, row->e.key_id,
		    body, len, &e2);
	if (rd->st != LEDGER_OK)
		rd->st = ledger_errorf(rd->err, rd->st == LEDGER_ENOMEM ?
		    LEDGER_ENOMEM : LEDGER_ECHAIN, "key record %" PRIu64
		    ": %s", row->e.seq, e2.msg);
	free(body);
	return rd->st != LEDGER_OK;
}

static enum ledger_status
read_records(struct ledger_store *s, struct ledger_keyhist *h, bool prove,
    struct ledger_error *err)
{
	static const char *const evs[] = { LEDGER_EV_KEY_ADDED,
	    LEDGER_EV_KEY_RETIRED, LEDGER_EV_KEY_REVOKED };
	struct reader rd = { s, h, err, LEDGER_OK, prove };
	enum ledger_status st;

	st = ledger_store_records(s, evs, 3, apply_row, &rd, err);
	return st != LEDGER_OK ? st : rd.st;
}

enum ledger_status
ledger_store_keyhist(struct ledger_store *s, const struct ledger_vkey *root,
    struct ledger_keyhist *h, struct ledger_error *err)
{
	if (root == NULL)
		root = s->key_root != NULL ? ledger_key_vkey(s->key_root) :
		    s->have_vkey ? &s->vkey : NULL;
	if (root == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "no verifier key: '%s'"
		    " is missing", LEDGER_PUB_FILE);
	ledger_keyhist_init(h, root, 1);
	return read_records(s, h, false, err);
}

enum ledger_status
ledger_store_keyhist_proven(struct ledger_store *s,
    const struct ledger_vkey *roots, size_t nroots, struct ledger_keyhist *h,
    struct ledger_error *err)
{
	ledger_keyhist_init(h, roots, nroots);
	return read_records(s, h, true, err);
}

static char *
key_path(const struct ledger_store *s, uint32_t id, const char *ext)
{
	size_t n = strlen(s->dir) + 32;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/ledger-%08" PRIx32 ".%s", s->dir, id, ext);
	return p;
}

/* The secret key of id: the root's is already loaded. */
static enum ledger_status
load_secret(struct ledger_store *s, uint32_t id, struct ledger_key **ret,
    struct ledger_error *err)
{
	enum ledger_status st;
	char *path = key_path(s, id, "key");

	*ret = NULL;
	if (path == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	st = ledger_key_load(path, ret, err);
	if (st == LEDGER_OK && ledger_key_vkey(*ret)->id != id) {
		ledger_key_free(*ret);
		*ret = NULL;
		st = ledger_errorf(err, LEDGER_EINVAL, "'%s' holds another key",
		    path);
	}
	free(path);
	return st;
}

/* The vkeys of the history, for checking checkpoints the writer signed. */
static enum ledger_status
set_ring(struct ledger_store *s, const struct ledger_keyhist *h,
    struct ledger_error *err)
{
	size_t i;

	free(s->ring);
	if ((s->ring = calloc(h->n, sizeof(*s->ring))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	for (i = 0; i < h->n; i++)
		s->ring[i] = h->keys[i].vk;
	s->nring = h->n;
	return LEDGER_OK;
}

/* Which key signs now, which co-signs: from the history. */
static enum ledger_status
take_keys(struct ledger_store *s, const struct ledger_keyhist *h,
    struct ledger_error *err)
{
	const struct ledger_keyinfo *cur = &h->keys[h->current], *k;
	uint32_t root_id = ledger_key_vkey(s->key_root)->id;
	struct ledger_key *key = NULL, *co = NULL;
	enum ledger_status st;
	size_t i;

	if (cur->vk.id != root_id &&
	    (st = load_secret(s, cur->vk.id, &key, err)) != LEDGER_OK)
		return st;
	for (i = 0; i < h->n; i++) {
		k = &h->keys[i];
		if (k == cur || k->until_seq != cur->from_seq ||
		    k->retired_seq != UINT64_MAX ||
		    k->revoked_from != UINT64_MAX)
			continue;
		if (k->vk.id != root_id &&
		    load_secret(s, k->vk.id, &co, NULL) != LEDGER_OK)
			co = NULL;	/* destroyed: no co-signature */
		s->cosign_root = k->vk.id == root_id;
		s->replaced_id = k->vk.id;
		break;
	}
	s->in_overlap = i < h->n;
	if ((st = set_ring(s, h, err)) != LEDGER_OK) {
		ledger_key_free(key);
		ledger_key_free(co);
		return st;
	}
	if (s->key != s->key_root)
		ledger_key_free(s->key);
	ledger_key_free(s->cosign);
	s->key = key != NULL ? key : s->key_root;
	s->cosign = co;
	if (i == h->n)
		s->cosign_root = false;
	s->key_id = cur->vk.id;
	s->key_added_seq = cur->added_seq;
	/* the signer thread holds the old key */
	ledger_signer_stop(s->signer);
	s->signer = NULL;
	return LEDGER_OK;
}

bool
ledger_store_key_overlap(const struct ledger_store *s, uint32_t *ret_old,
    uint64_t *ret_added_seq)
{
	if (s == NULL || s->key == NULL || !s->in_overlap)
		return false;
	*ret_old = s->replaced_id;
	*ret_added_seq = s->key_added_seq;
	return true;
}

const struct ledger_key *
ledger_store_cosign_key(const struct ledger_store *s)
{
	if (s->cosign != NULL)
		return s->cosign;
	return s->cosign_root && s->key != s->key_root ? s->key_root : NULL;
}

enum ledger_status
ledger_store_load_keys(struct ledger_store *s, struct ledger_error *err)
{
	struct ledger_keyhist h;
	enum ledger_status st;

	if ((st = ledger_store_keyhist(s, NULL, &h, err)) != LEDGER_OK)
		return st;
	return take_keys(s, &h, err);
}

/* Would the record hold?  Applied to a copy of the history first, so
 * that the writer never signs a record it would refuse when it reads its
 * log back (and then could not open). */
static enum ledger_status
dry_run(struct ledger_store *s, const char *event, const char *body,
    size_t len, struct ledger_error *err)
{
	struct ledger_keyhist h;
	struct ledger_entry e;
	enum ledger_status st;

	if ((st = ledger_store_keyhist(s, NULL, &h, err)) != LEDGER_OK)
		return st;
	memset(&e, 0, sizeof(e));
	e.seq = s->size;
	e.kind = LEDGER_KIND_LEDGER;
	e.log = s->origin;
	e.source[LEDGER_SRC_TYPE] = (char *)"ledger";
	e.subject[LEDGER_SUBJ_STATUS] = (char *)event;
	return ledger_keyhist_apply(&h, &e, s->key_id, (const uint8_t *)body,
	    len, err);
}

/* Append one key record signed by the current key, and a checkpoint. */
static enum ledger_status
record(struct ledger_store *s, const char *event, const char *source,
    const char *body, size_t len, uint64_t *ret_seq, struct ledger_error *err)
{
	struct ledger_event *ev = NULL;
	struct ledger_receipt r;
	enum ledger_status st;

	if ((st = dry_run(s, event, body, len, err)) != LEDGER_OK)
		return st;
	if ((st = ledger_event_new(&ev, err)) ||
	    (st = ledger_event_set_source(ev, LEDGER_SRC_NAME, source, err)) ||
	    (st = ledger_event_set_source(ev, LEDGER_SRC_TYPE, "ledger", err)) ||
	    (st = ledger_event_set_source(ev, LEDGER_SRC_EVENT, event, err)) ||
	    (st = ledger_event_set_source(ev, LEDGER_SRC_AUTH, "local", err)) ||
	    (st = ledger_event_set_subject(ev, LEDGER_SUBJ_STATUS, event,
	    err)) ||
	    (st = ledger_event_set_payload(ev, body, len, "application/json",
	    err))) {
		ledger_event_free(ev);
		return st;
	}
	ev->e.kind = LEDGER_KIND_LEDGER;
	st = ledger_store_append(s, &ev, 1, &r, err);
	ledger_event_free(ev);
	if (st == LEDGER_OK && ret_seq != NULL)
		*ret_seq = r.seq;
	return st;
}

/* A new key in DIR/ledger-<id>.key, never over an existing file: made
 * under a temporary name, then linked (link(2) refuses to replace). */
static enum ledger_status
new_key_files(struct ledger_store *s, struct ledger_key **ret,
    struct ledger_error *err)
{
	char tk[4200], tp[4200], *kp = NULL, *pp = NULL;
	enum ledger_status st;
	uint32_t id;

	snprintf(tk, sizeof(tk), "%s/.ledger-new-%08" PRIx32 ".key", s->dir,
	    randombytes_random());
	snprintf(tp, sizeof(tp), "%.*s.pub", (int)strlen(tk) - 4, tk);
	if ((st = ledger_key_generate(tk, tp, s->origin, err)) ||
	    (st = ledger_key_load(tk, ret, err)))
		goto out;
	id = ledger_key_vkey(*ret)->id;
	if ((kp = key_path(s, id, "key")) == NULL ||
	    (pp = key_path(s, id, "pub")) == NULL)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	else if (link(tk, kp) != 0 || link(tp, pp) != 0) {
		st = ledger_errorf_errno(err, LEDGER_EIO, errno, "create '%s'",
		    kp);
		if (errno != EEXIST)
			unlink(kp);
	} else
		st = sync_dir(s->dir, err);
out:
	unlink(tk);
	unlink(tp);
	if (st != LEDGER_OK) {
		ledger_key_free(*ret);
		*ret = NULL;
	}
	free(kp);
	free(pp);
	return st;
}

enum ledger_status
ledger_store_key_rotate(struct ledger_store *s, const char *source,
    struct ledger_vkey *ret_new, uint64_t *ret_seq, struct ledger_error *err)
{
	struct ledger_key *nk = NULL;
	struct ledger_keyhist h;
	enum ledger_status st;
	char *body = NULL;
	size_t len;

	if (s == NULL || s->key == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "not a writer");
	if ((st = ledger_store_keyhist(s, NULL, &h, err)) != LEDGER_OK)
		return st;
	if (h.n >= LEDGER_KEYHIST_MAX)
		return ledger_errorf(err, LEDGER_EINVAL, "the log has had %d "
		    "keys, the most a history may hold: start a new log",
		    LEDGER_KEYHIST_MAX);
	if ((st = new_key_files(s, &nk, err)) ||
	    (st = ledger_keyhist_body(LEDGER_EV_KEY_ADDED, ledger_key_vkey(nk),
	    ledger_key_vkey(nk)->id, 0, NULL, &body, &len, err)) ||
	    (st = record(s, LEDGER_EV_KEY_ADDED, source, body, len, ret_seq,
	    err)))
		goto out;
	if (ret_new != NULL)
		*ret_new = *ledger_key_vkey(nk);
	/* from the history again: the same code path as the next open */
	if ((st = ledger_store_load_keys(s, err)) == LEDGER_OK)
		st = ledger_store_checkpoint(s, NULL, NULL, err);
out:
	ledger_key_free(nk);
	free(body);
	return st;
}

enum ledger_status
ledger_store_key_record(struct ledger_store *s, const char *event,
    uint32_t id, uint64_t from_seq, const char *reason, const char *source,
    uint64_t *ret_seq, struct ledger_error *err)
{
	struct ledger_keyhist h;
	const struct ledger_keyinfo *k;
	enum ledger_status st;
	char *body = NULL;
	size_t len;

	if (s == NULL || s->key == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "not a writer");
	if (from_seq > 9007199254740992ull)
		return ledger_errorf(err, LEDGER_EINVAL, "seq %" PRIu64 " is "
		    "beyond 2^53", from_seq);
	if ((st = ledger_store_keyhist(s, NULL, &h, err)) != LEDGER_OK)
		return st;
	if ((k = ledger_keyhist_find(&h, id)) == NULL)
		return ledger_errorf(err, LEDGER_ENOTFOUND, "the log has no key "
		    "%08" PRIx32, id);
	if (k == &h.keys[h.current])
		return ledger_errorf(err, LEDGER_EINVAL, "key %08" PRIx32 " "
		    "signs now: rotate first, then %s it", id,
		    strcmp(event, LEDGER_EV_KEY_RETIRED) == 0 ? "retire" :
		    "revoke");
	if (strcmp(event, LEDGER_EV_KEY_RETIRED) == 0 &&
	    k->retired_seq != UINT64_MAX)
		return ledger_errorf(err, LEDGER_EINVAL, "key %08" PRIx32
		    " was retired at seq %" PRIu64, id, k->retired_seq);
	if ((st = ledger_keyhist_body(event, NULL, id, from_seq, reason,
	    &body, &len, err)) == LEDGER_OK &&
	    (st = record(s, event, source, body, len, ret_seq, err)) ==
	    LEDGER_OK && (st = ledger_store_load_keys(s, err)) == LEDGER_OK)
		st = ledger_store_checkpoint(s, NULL, NULL, err);
	free(body);
	return st;
}

enum ledger_status
ledger_store_key_destroy(struct ledger_store *s, uint32_t id,
    struct ledger_error *err)
{
	struct ledger_keyhist h;
	const struct ledger_keyinfo *k;
	enum ledger_status st;
	char *path;

	if ((st = ledger_store_keyhist(s, NULL, &h, err)) != LEDGER_OK)
		return st;
	if ((k = ledger_keyhist_find(&h, id)) == NULL)
		return ledger_errorf(err, LEDGER_ENOTFOUND, "the log has no key "
		    "%08" PRIx32, id);
	if (k->retired_seq == UINT64_MAX && k->revoked_from == UINT64_MAX)
		return ledger_errorf(err, LEDGER_EINVAL, "key %08" PRIx32 " is "
		    "neither retired nor revoked: retire it first", id);
	if (k->added_seq == UINT64_MAX)
		return ledger_errorf(err, LEDGER_EINVAL, "key %08" PRIx32 " is "
		    "the log's first key (%s): delete that file yourself if "
		    "you mean it", id, LEDGER_KEY_FILE);
	if ((path = key_path(s, id, "key")) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (unlink(path) != 0)
		st = ledger_errorf_errno(err, errno == ENOENT ?
		    LEDGER_ENOTFOUND : LEDGER_EIO, errno, "remove '%s'", path);
	else
		st = sync_dir(s->dir, err);
	free(path);
	return st;
}

struct rec_json {
	struct ledger_store *s;
	struct ledger_buf *out;
	size_t n;
	enum ledger_status st;
	struct ledger_error *err;
};

static int
b64(struct ledger_buf *out, const uint8_t *p, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_ORIGINAL);
	char *s = malloc(n);
	int r;

	if (s == NULL)
		return -1;
	sodium_bin2base64(s, n, p, len, sodium_base64_VARIANT_ORIGINAL);
	r = ledger_buf_addf(out, "\"%s\"", s);
	free(s);
	return r;
}

static int
rec_row(void *ctx, const struct ledger_row *row)
{
	struct rec_json *rj = ctx;
	char hex[2 * LEDGER_SIG_BYTES + 1];
	uint8_t *body = NULL;
	size_t len;
	int r = 0;

	if (ledger_keyhist_event(&row->e) == NULL)
		return 0;
	if ((rj->st = ledger_store_get_payload(rj->s, row->e.seq, &body, &len,
	    rj->err)) != LEDGER_OK)
		return 1;
	ledger_hex(row->sig, LEDGER_SIG_BYTES, hex);
	r |= ledger_buf_addf(rj->out, "%s{\"entry\":", rj->n++ ? "," : "");
	r |= b64(rj->out, row->entry, row->entry_len);
	r |= ledger_buf_adds(rj->out, ",\"payload\":");
	r |= b64(rj->out, body, len);
	r |= ledger_buf_addf(rj->out, ",\"seq\":%" PRIu64 ",\"signature\":"
	    "\"%s\"}", row->e.seq, hex);
	free(body);
	if (r != 0)
		rj->st = ledger_errorf(rj->err, LEDGER_ENOMEM, "out of memory");
	return rj->st != LEDGER_OK;
}

enum ledger_status
ledger_store_key_records_json(struct ledger_store *s, struct ledger_buf *out,
    struct ledger_error *err)
{
	static const char *const evs[] = { LEDGER_EV_KEY_ADDED,
	    LEDGER_EV_KEY_RETIRED, LEDGER_EV_KEY_REVOKED };
	struct rec_json rj = { s, out, 0, LEDGER_OK, err };
	enum ledger_status st;

	if (ledger_buf_adds(out, "{\"records\":[") != LEDGER_OK)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	st = ledger_store_records(s, evs, 3, rec_row, &rj, err);
	if (st == LEDGER_OK && (st = rj.st) == LEDGER_OK &&
	    ledger_buf_adds(out, "]}") != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return st;
}
