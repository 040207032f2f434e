/*
 * store.c - the data directory: opening, creating, the head, reading
 *
 * A store is a data directory (the key, its verifier key, the checkpoint
 * kept beside the database) and a backend that keeps the rows
 * (lib/backend.h; today SQLite, lib/store-sqlite*.c).  The append path is
 * in store-append.c, listing in store-query.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/store.h"
#include "ledger-int.h"
#include "dfilter.h"
#include "signer.h"
#include "store-int.h"
#include "store-pg.h"
#include "store-sqlite.h"

char *
ledger_path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

enum ledger_status
ledger_store_read_hashes(void *ctx, const uint64_t *indexes, size_t count,
    uint8_t (*out)[LEDGER_HASH_BYTES], struct ledger_error *err)
{
	struct ledger_store *s = ctx;

	return s->ops->read_hashes(s->be, indexes, count, out, err);
}

enum ledger_status
ledger_store_load_head(struct ledger_store *s, struct ledger_error *err)
{
	struct ledger_be_head h;
	enum ledger_status st;

	if ((st = s->ops->head_read(s->be, &h, err)) != LEDGER_OK)
		return st;
	s->size = h.size;
	memcpy(s->last_leaf, h.last_leaf, LEDGER_HASH_BYTES);
	s->last_time_ms = h.last_time_ms;
	return LEDGER_OK;
}

static enum ledger_status
load_vkey(struct ledger_store *s, const char *pub_file,
    struct ledger_error *err)
{
	struct ledger_vkey *keys = NULL;
	enum ledger_status st;
	size_t n = 0;
	char *path = NULL;

	if (pub_file == NULL && s->dir == NULL)
		return LEDGER_OK;	/* a database read without its dir */
	if (pub_file == NULL &&
	    (path = ledger_path_join(s->dir, LEDGER_PUB_FILE)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	st = ledger_vkey_load_file(pub_file ? pub_file : path, &keys, &n, err);
	free(path);
	if (st == LEDGER_ENOTFOUND)
		return LEDGER_OK;
	if (st != LEDGER_OK)
		return st;
	if (n > 0) {
		s->vkey = keys[0];
		s->have_vkey = true;
	}
	free(keys);
	return LEDGER_OK;
}

/* The key id of meta "key_id" (8 hex digits). */
static enum ledger_status
load_key_id(struct ledger_store *s, struct ledger_error *err)
{
	enum ledger_status st;
	unsigned long v;
	char *kid, *end;

	if ((st = s->ops->meta_get(s->be, "key_id", &kid, err)) != LEDGER_OK)
		return st;
	errno = 0;
	v = strtoul(kid, &end, 16);
	if (errno != 0 || *end != '\0' || strlen(kid) != 8)
		st = ledger_errorf(err, LEDGER_EINVAL, "bad key id '%s' in "
		    "database", kid);
	else
		s->key_id = (uint32_t)v;
	free(kid);
	return st;
}

/* A writer: the signing key, which must be this log's, the Merkle
 * frontier, and the checks that the log extends what it signed. */
static enum ledger_status
open_writer(struct ledger_store *s, const char *key_file,
    struct ledger_error *err)
{
	enum ledger_status st;
	char *path = NULL;

	if (key_file == NULL &&
	    (path = ledger_path_join(s->dir, LEDGER_KEY_FILE)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (key_file == NULL)
		key_file = path;
	st = ledger_key_load(key_file, &s->key_root, err);
	if (st == LEDGER_OK && (ledger_key_vkey(s->key_root)->id != s->key_id ||
	    strcmp(ledger_key_vkey(s->key_root)->name, s->origin) != 0))
		st = ledger_errorf(err, LEDGER_EINVAL,
		    "key '%s' is not this log's key (log '%s' key %08x)",
		    key_file, s->origin, s->key_id);
	free(path);
	if (st != LEDGER_OK)
		return st;
	/* the key that signs now: the log's key history says which */
	s->key = s->key_root;
	if ((st = ledger_store_load_keys(s, err)) != LEDGER_OK)
		return st;
	st = ledger_merkle_frontier_load(&s->frontier, s->size,
	    ledger_store_read_hashes, s, err);
	if (st != LEDGER_OK)
		return st;
	/* Never extend a log that contradicts what it signed, in the
	 * database or in the copy kept beside it. */
	if ((st = ledger_store_check_last_checkpoint(s, err)) ||
	    (st = ledger_store_check_state(s, err)))
		return st;
	return LEDGER_OK;
}

enum ledger_status
ledger_store_open_config(const struct ledger_store_config *c,
    struct ledger_store **ret, struct ledger_error *err)
{
	struct ledger_store *s;
	enum ledger_status st;
	unsigned bflags;

	bool pg;

	if (c == NULL || c->location == NULL || ret == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "no data directory");
	pg = c->backend != NULL && strcmp(c->backend, "postgresql") == 0;
	if (c->backend != NULL && !pg && strcmp(c->backend, "sqlite") != 0)
		return ledger_errorf(err, LEDGER_EINVAL, "unknown storage "
		    "backend '%.32s' (want sqlite or postgresql)", c->backend);
	/* the key and the checkpoint's copy live in a directory */
	if (pg && c->state_dir == NULL && !(c->flags & LEDGER_STORE_READONLY))
		return ledger_errorf(err, LEDGER_EINVAL, "a writer on "
		    "PostgreSQL needs its data directory (the key)");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	s->flags = c->flags;
	bflags = c->flags | (c->sqlite.manual_wal ? LEDGER_STORE_MANUAL_WAL : 0);
	if (pg)
		st = c->state_dir != NULL ? ledger_strdup(c->state_dir, &s->dir,
		    err) : LEDGER_OK;
	else
		st = ledger_strdup(c->state_dir ? c->state_dir : c->location,
		    &s->dir, err);
	if (st != LEDGER_OK || (st = pg ? ledger_pg_open(c->location, c->log,
	    c->flags, false, &s->be, err) : ledger_sqlite_open_progress(
	    c->location, bflags, false, c->migrate_progress, c->migrate_ctx,
	    &s->be, err)))
		goto fail;
	s->ops = s->be->ops;
	if ((st = s->ops->meta_get(s->be, "origin", &s->origin, err)) ||
	    (st = load_key_id(s, err)) || (st = load_vkey(s, c->pub_file, err)) ||
	    (st = ledger_store_load_head(s, err)))
		goto fail;
	if (!(c->flags & (LEDGER_STORE_READONLY | LEDGER_STORE_NOKEY)) &&
	    (st = open_writer(s, c->key_file, err)) != LEDGER_OK)
		goto fail;
	*ret = s;
	return LEDGER_OK;
fail:
	ledger_store_close(s);
	return st;
}

enum ledger_status
ledger_store_open(const char *dir, unsigned flags, struct ledger_store **ret,
    struct ledger_error *err)
{
	return ledger_store_open_at(dir, NULL, NULL, flags, ret, err);
}

void
ledger_store_close(struct ledger_store *s)
{
	if (s == NULL)
		return;
	ledger_signer_stop(s->signer);
	ledger_dfilter_free(s->dfilter);
	free(s->staged);
	free(s->leaves);
	free(s->sigs);
	if (s->be != NULL)
		s->ops->close(s->be);
	if (s->key != s->key_root)
		ledger_key_free(s->key);
	ledger_key_free(s->key_root);
	ledger_key_free(s->cosign);
	free(s->ring);
	ledger_buf_release(&s->enc);
	free(s->origin);
	free(s->dir);
	free(s);
}

const char *
ledger_store_origin(const struct ledger_store *s)
{
	return s->origin;
}

uint32_t
ledger_store_key_id(const struct ledger_store *s)
{
	return s->key_id;
}

const struct ledger_vkey *
ledger_store_vkey(const struct ledger_store *s)
{
	return s->have_vkey ? &s->vkey : NULL;
}

void
ledger_default_origin(char out[LEDGER_ORIGIN_MAX])
{
	char host[200];
	size_t i, j = 0;

	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0'; i++)
		if ((host[i] >= 'a' && host[i] <= 'z') ||
		    (host[i] >= 'A' && host[i] <= 'Z') ||
		    (host[i] >= '0' && host[i] <= '9') ||
		    host[i] == '.' || host[i] == '-')
			host[j++] = host[i];
	host[j] = '\0';
	/* A random part: pins are kept per origin, so a log created again
	 * on the same host must not take the name of the one before. */
	snprintf(out, LEDGER_ORIGIN_MAX, "%s/ledgerd/%08" PRIx32,
	    j > 0 ? host : "localhost", randombytes_random());
}

/* A signed-note key name: non-empty, printable ASCII or UTF-8, no space,
 * no '+'. */
static bool
valid_origin(const char *o)
{
	size_t i, n = strlen(o);

	if (n == 0 || n >= LEDGER_KEYNAME_MAX || !ledger_utf8_valid(o, n))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)o[i] <= ' ' || o[i] == '+' || o[i] == 0x7f)
			return false;
	return true;
}

/* A new log's meta rows, then the backend closed: the log is named origin
 * and signed by key. */
enum ledger_status
ledger_store_create_meta(struct ledger_backend *be, const char *origin,
    const struct ledger_key *key, struct ledger_error *err)
{
	enum ledger_status st;
	char kid[9];

	snprintf(kid, sizeof(kid), "%08x", ledger_key_vkey(key)->id);
	if ((st = be->ops->begin_write(be, err)) == LEDGER_OK &&
	    ((st = be->ops->meta_set(be, "origin", origin, err)) ||
	    (st = be->ops->meta_set(be, "key_id", kid, err)) ||
	    (st = be->ops->commit(be, err))))
		be->ops->rollback(be);
	be->ops->close(be);
	return st;
}

/* Create the database with its meta rows (the backend's schema). */
static enum ledger_status
create_db(const char *dir, const char *origin, const struct ledger_key *key,
    struct ledger_error *err)
{
	struct ledger_backend *be;
	enum ledger_status st;

	if ((st = ledger_sqlite_open(dir, 0, true, &be, err)) != LEDGER_OK)
		return st;
	return ledger_store_create_meta(be, origin, key, err);
}

enum ledger_status
ledger_store_init_key(const char *dir, const char *origin,
    struct ledger_error *err)
{
	static const char *const taken[] = { LEDGER_DB_FILE, LEDGER_KEY_FILE,
	    LEDGER_DATABASE_FILE };
	enum ledger_status st = LEDGER_OK;
	char *kpath = NULL, *ppath = NULL, *p;
	struct stat sb;
	size_t i;

	if (dir == NULL || origin == NULL || !valid_origin(origin))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "bad origin '%.64s': want a non-empty name without spaces "
		    "or '+'", origin ? origin : "");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ledger_errorf_errno(err, LEDGER_EIO, errno,
		    "create directory '%s'", dir);
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return ledger_errorf(err, LEDGER_EIO, "'%s' is not a directory",
		    dir);
	for (i = 0; i < sizeof(taken) / sizeof(*taken) && st == LEDGER_OK;
	    i++) {
		if ((p = ledger_path_join(dir, taken[i])) == NULL)
			st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		else if (access(p, F_OK) == 0)
			st = ledger_errorf(err, LEDGER_EEXIST,
			    "'%s' already holds a ledger (refusing to overwrite "
			    "its key or database)", dir);
		free(p);
	}
	if (st != LEDGER_OK)
		return st;
	kpath = ledger_path_join(dir, LEDGER_KEY_FILE);
	ppath = ledger_path_join(dir, LEDGER_PUB_FILE);
	if (kpath == NULL || ppath == NULL)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	else
		st = ledger_key_generate(kpath, ppath, origin, err);
	free(kpath);
	free(ppath);
	return st;
}

enum ledger_status
ledger_store_init(const char *dir, const char *origin,
    struct ledger_error *err)
{
	struct ledger_key *key = NULL;
	enum ledger_status st;
	char *kpath = NULL, *ppath = NULL;

	if ((st = ledger_store_init_key(dir, origin, err)) != LEDGER_OK)
		return st;
	kpath = ledger_path_join(dir, LEDGER_KEY_FILE);
	ppath = ledger_path_join(dir, LEDGER_PUB_FILE);
	if (kpath == NULL || ppath == NULL)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	else if ((st = ledger_key_load(kpath, &key, err)) == LEDGER_OK)
		st = create_db(dir, origin, key, err);
	ledger_key_free(key);
	if (st != LEDGER_OK) {
		/* Leave nothing half-made behind: a later init must work. */
		if (kpath != NULL)
			unlink(kpath);
		if (ppath != NULL)
			unlink(ppath);
		ledger_sqlite_remove(dir);
	}
	free(kpath);
	free(ppath);
	return st;
}

enum ledger_status
ledger_store_probe(struct ledger_store *s, struct ledger_error *err)
{
	enum ledger_status st;
	char buf[4096], *path;

	if ((st = s->ops->check_alive(s->be, err)) != LEDGER_OK)
		return st;
	if ((path = ledger_path_join(s->dir, ".probe")) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	memset(buf, 0, sizeof(buf));
	(void)unlink(path);
	st = ledger_write_new_file(path, 0600, buf, sizeof(buf), err);
	(void)unlink(path);
	free(path);
	return st;
}

enum ledger_status
ledger_store_ping(struct ledger_store *s, struct ledger_error *err)
{
	return s->ops->check_alive(s->be, err);
}

/* Inside a write transaction: reload head and frontier if another
 * writer moved the head. */
enum ledger_status
ledger_store_sync_head(struct ledger_store *s, struct ledger_error *err)
{
	struct ledger_merkle_frontier saved_frontier = s->frontier;
	uint8_t saved_leaf[LEDGER_HASH_BYTES];
	int64_t saved_time = s->last_time_ms;
	uint64_t size = s->size;
	enum ledger_status st;

	memcpy(saved_leaf, s->last_leaf, sizeof(saved_leaf));
	if ((st = ledger_store_load_head(s, err)) != LEDGER_OK)
		goto fail;
	if (s->size == size)
		return LEDGER_OK;
	if (s->size > size && (st = ledger_store_dfilter_catch_up(s, size,
	    s->size, err)) != LEDGER_OK)
		goto fail;
	if (s->size < size)	/* cannot happen to an append-only log */
		ledger_store_dfilter_drop(s);
	if ((st = ledger_merkle_frontier_load(&s->frontier, s->size,
	    ledger_store_read_hashes, s, err)) == LEDGER_OK)
		return LEDGER_OK;
fail:
	/* Half a head is worse than an old one: the next batch syncs again
	 * from what is known to match (the filter may have caught up on
	 * keys the log holds: they stay true). */
	s->frontier = saved_frontier;
	s->size = size;
	s->last_time_ms = saved_time;
	memcpy(s->last_leaf, saved_leaf, sizeof(saved_leaf));
	return st;
}

enum ledger_status
ledger_store_size(struct ledger_store *s, uint64_t *ret,
    struct ledger_error *err)
{
	enum ledger_status st;

	if (s->key != NULL) {	/* the writer knows */
		*ret = s->size;
		return LEDGER_OK;
	}
	if ((st = ledger_store_load_head(s, err)) != LEDGER_OK)
		return st;
	*ret = s->size;
	return LEDGER_OK;
}

enum ledger_status
ledger_store_wal_checkpoint(struct ledger_store *s, struct ledger_error *err)
{
	return s->ops->maintain(s->be, err);
}

enum ledger_status
ledger_store_merge_keys(struct ledger_store *s, unsigned pages,
    struct ledger_error *err)
{
	if (s->flags & LEDGER_STORE_READONLY)
		return ledger_errorf(err, LEDGER_EINVAL, "read-only store");
	return s->ops->merge_keys(s->be, pages, err);
}

enum ledger_status
ledger_store_settle_keys(struct ledger_store *s, unsigned pages,
    bool *ret_started, struct ledger_error *err)
{
	enum ledger_status st;

	if (ret_started != NULL)
		*ret_started = false;
	if (s->flags & LEDGER_STORE_READONLY)
		return ledger_errorf(err, LEDGER_EINVAL, "read-only store");
	if (s->ops->settle_keys == NULL)
		return LEDGER_OK;
	st = s->ops->settle_keys(s->be, pages, err);
	if (ret_started != NULL)
		*ret_started = st == LEDGER_OK;
	return st;
}

bool
ledger_keys_settle_due(struct ledger_keys_settle *st, uint64_t size)
{
	uint64_t grown;

	if (size != st->size) {
		st->size = size;
		st->quiet = 0;
		if (size < st->settled)
			st->settled = 0;	/* another log (a restore) */
		return false;
	}
	if (st->quiet >= LEDGER_SETTLE_QUIET_TICKS)
		return false;		/* this spell has had its chance */
	if (++st->quiet < LEDGER_SETTLE_QUIET_TICKS)
		return false;
	grown = size - st->settled;
	return grown >= LEDGER_SETTLE_MIN_ENTRIES && grown >= size / 16;
}

void
ledger_keys_settled(struct ledger_keys_settle *st)
{
	st->settled = st->size;
}

/* ---- reading ---- */

static char *
dup_or_null(const char *s, bool *nomem)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*nomem = true;
	return d;
}

static bool
row_copy(struct ledger_row *dst, const struct ledger_row *src, bool bytes)
{
	bool nomem = false;
	int i;

	memset(dst, 0, sizeof(*dst));
	dst->e = src->e;
	dst->e.log = dup_or_null(src->e.log, &nomem);
	for (i = 0; i < LEDGER_SRC_COUNT; i++)
		dst->e.source[i] = dup_or_null(src->e.source[i], &nomem);
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		dst->e.subject[i] = dup_or_null(src->e.subject[i], &nomem);
	dst->e.payload_type = dup_or_null(src->e.payload_type, &nomem);
	memcpy(dst->sig, src->sig, sizeof(dst->sig));
	if (!bytes)
		;
	else if ((dst->entry = malloc(src->entry_len + 1)) == NULL)
		nomem = true;
	else {
		if (src->entry_len > 0)	/* a narrow row has no bytes */
			memcpy(dst->entry, src->entry, src->entry_len);
		dst->entry[src->entry_len] = '\0';
		dst->entry_len = src->entry_len;
	}
	if (nomem)
		ledger_row_release(dst);
	return !nomem;
}

bool
ledger_row_copy(struct ledger_row *dst, const struct ledger_row *src)
{
	return row_copy(dst, src, true);
}

bool
ledger_row_copy_fields(struct ledger_row *dst, const struct ledger_row *src)
{
	return row_copy(dst, src, false);
}

void
ledger_row_release(struct ledger_row *r)
{
	if (r == NULL)
		return;
	ledger_entry_release(&r->e);
	free(r->entry);
	memset(r, 0, sizeof(*r));
}

enum ledger_status
ledger_store_get(struct ledger_store *s, uint64_t seq, struct ledger_row *ret,
    struct ledger_error *err)
{
	return s->ops->get_row(s->be, seq, ret, err);
}

enum ledger_status
ledger_store_get_payload(struct ledger_store *s, uint64_t seq, uint8_t **ret,
    size_t *ret_len, struct ledger_error *err)
{
	enum ledger_status st;
	uint8_t *z;
	size_t zlen;

	if ((st = s->ops->get_payload(s->be, seq, &z, &zlen, err)))
		return st;
	st = ledger_payload_inflate(z, zlen, LEDGER_PAYLOAD_MAX, ret, ret_len,
	    err);
	free(z);
	return st;
}

enum ledger_status
ledger_store_get_headers(struct ledger_store *s, uint64_t seq, char **ret,
    struct ledger_error *err)
{
	return s->ops->get_headers(s->be, seq, ret, err);
}
