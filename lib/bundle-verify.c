/*
 * bundle-verify.c - checking a bundle offline (ledger/bundle.h): nothing
 * but the file and the trusted verifier keys
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>
#include <zlib.h>

#include "ledger/bundle.h"
#include "ledger/keyhist.h"
#include "ledger/retention.h"
#include "ledger/file.h"
#include "ledger/jcs.h"
#include "ledger/merkle.h"
#include "ledger/tree.h"
#include "ledger-int.h"
#include "sha256.h"

struct vctx {
	void (*fn)(void *ctx, const struct ledger_bundle_verdict *v);
	void *ctx;
	uint64_t entries, bad;
	const char *origin;
	struct ledger_keyhist h;	/* proven from the trusted keys */
	struct ledger_vkey vks[LEDGER_KEYHIST_MAX];	/* h's, for notes */
	struct ledger_signed_checkpoint cp;
	bool have_cp;
	uint64_t pruned_before;		/* the verified prune records' */
	uint64_t proven[LEDGER_KEYHIST_MAX * 3];	/* key records */
	size_t nproven;
	char msg[512];
};

static void
say(struct vctx *v, int64_t seq, const char *problem)
{
	struct ledger_bundle_verdict d = { seq, problem == NULL, problem };

	if (problem != NULL)
		v->bad++;
	if (v->fn != NULL)
		v->fn(v->ctx, &d);
}

static void
sayf(struct vctx *v, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
sayf(struct vctx *v, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
	va_end(ap);
	say(v, seq, v->msg);
}

/*
 * Read path and inflate it: exactly one gzip member (RFC 1952) and nothing
 * after it, at most LEDGER_BUNDLE_MAX bytes of text.  (gzread would take
 * concatenated members, trailing bytes and plain text alike.)  The
 * header's name and time are not evidence and are not read.
 */
static enum ledger_status
read_gzip(const char *path, struct ledger_buf *b, struct ledger_error *err)
{
	char *raw = NULL;
	size_t rlen;
	z_stream z;
	enum ledger_status st;
	int rc = Z_OK;

	if ((st = ledger_read_file(path, LEDGER_BUNDLE_MAX, &raw, &rlen,
	    err)) != LEDGER_OK)
		return st;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(raw);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	z.next_in = (Bytef *)raw;
	z.avail_in = (uInt)rlen;
	while (rc == Z_OK) {
		if (b->len >= LEDGER_BUNDLE_MAX) {
			st = ledger_errorf(err, LEDGER_EINVAL, "'%s' is larger "
			    "than %zu bytes uncompressed", path,
			    LEDGER_BUNDLE_MAX);
			break;
		}
		if (ledger_buf_reserve(b, 1 << 20) != LEDGER_OK) {
			st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
			break;
		}
		z.next_out = (Bytef *)b->data + b->len;
		z.avail_out = 1 << 20;
		rc = inflate(&z, Z_NO_FLUSH);
		b->len += (1 << 20) - z.avail_out;
	}
	if (st == LEDGER_OK && rc != Z_STREAM_END)
		st = ledger_errorf(err, LEDGER_EINVAL, "'%s' is not a whole "
		    "gzip file: %s", path, z.msg != NULL ? z.msg : rc ==
		    Z_BUF_ERROR ? "truncated" : "corrupt");
	else if (st == LEDGER_OK && z.avail_in != 0)
		st = ledger_errorf(err, LEDGER_EINVAL, "'%s' has data after "
		    "its gzip stream", path);
	else if (st == LEDGER_OK && b->len == 0)
		st = ledger_errorf(err, LEDGER_EINVAL, "'%s' is empty", path);
	inflateEnd(&z);
	free(raw);
	return st;
}

/* Does o have exactly the members names (n of them; opt: may lack)? */
static const char *
members_ok(const json_t *o, const char *const *names, size_t n,
    const char *opt)
{
	const char *k;
	json_t *x;
	size_t i, have = 0;

	if (!json_is_object(o))
		return "not an object";
	json_object_foreach((json_t *)o, k, x) {
		for (i = 0; i < n && strcmp(k, names[i]) != 0; i++)
			;
		if (i == n)
			return "an unknown member";
		have++;
	}
	(void)x;
	if (have == n || (opt != NULL && have == n - 1 &&
	    json_object_get(o, opt) == NULL))
		return NULL;
	return "a member missing";
}

/* A JSON number that is an integer in [0, 2^53]; or null (UINT64_MAX)
 * when nullable. */
static bool
uint_of(const json_t *j, bool nullable, uint64_t *ret)
{
	double d;

	if (nullable && json_is_null(j)) {
		*ret = UINT64_MAX;
		return true;
	}
	if (!json_is_number(j))
		return false;
	d = json_number_value(j);
	if (!(d >= 0 && d <= 9007199254740992.0) || floor(d) != d)
		return false;
	*ret = (uint64_t)d;
	return true;
}

/* A string member's value, or NULL when it is none or holds a NUL (which
 * "\u0000" can spell and a C string would cut short: every string of a
 * bundle is read whole or not at all). */
static const char *
str_of(const json_t *j)
{
	const char *s = json_string_value(j);

	return s != NULL && strlen(s) == json_string_length(j) ? s : NULL;
}

/* n lower-case hex digits, and nothing else. */
static bool
lower_hex(const char *s, size_t n)
{
	size_t i;

	if (s == NULL || strlen(s) != n)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return false;
	return true;
}

static long
b64_of(const json_t *j, uint8_t *out, size_t max)
{
	const char *s = str_of(j);

	return s != NULL ? ledger_b64_decode(s, json_string_length(j), out,
	    max, true) : -1;
}

/* Prove the bundle's key records (entries that carry one, with its
 * payload), in seq order, from the trusted keys. */
static bool
prove_records(struct vctx *v, const json_t *entries)
{
	struct ledger_entry e;
	struct ledger_error err;
	uint8_t sig[LEDGER_SIG_BYTES], *eb = NULL, *pb = NULL;
	const json_t *x, *p;
	const char *g;
	long el, pl;
	size_t i;
	json_t *o;
	bool ok = true;

	json_array_foreach(entries, i, o) {
		if ((p = json_object_get(o, "payload")) == NULL ||
		    !json_is_string(x = json_object_get(o, "entry")) ||
		    (eb = malloc(json_string_length(x) + 1)) == NULL)
			continue;
		el = b64_of(x, eb, json_string_length(x) + 1);
		if (el <= 0 || ledger_entry_decode(eb, (size_t)el, &e, NULL) !=
		    LEDGER_OK) {
			free(eb);
			continue;	/* the entry's own check says why */
		}
		if (ledger_keyhist_event(&e) != NULL) {
			g = str_of(json_object_get(o, "signature"));
			pb = malloc(json_string_length(p) + 1);
			pl = pb == NULL ? -1 : json_string_length(p) == 0 ? 0 :
			    b64_of(p, pb, json_string_length(p) + 1);
			if (pl < 0 || g == NULL || strlen(g) != 2 * sizeof(sig) ||
			    ledger_unhex(g, sig, sizeof(sig), NULL) != LEDGER_OK)
				ledger_errorf(&err, LEDGER_ECHAIN, "key record %"
				    PRIu64 " is malformed", e.seq);
			if (pl < 0 || g == NULL || strlen(g) != 2 *
			    sizeof(sig) || ledger_keyhist_add_record(&v->h, eb,
			    (size_t)el, sig, pb, (size_t)pl, &err) != LEDGER_OK) {
				sayf(v, -1, "keys: %s", err.msg);
				ok = false;
			} else if (v->nproven < sizeof(v->proven) /
			    sizeof(v->proven[0]))
				v->proven[v->nproven++] = e.seq;
			else {
				say(v, -1, "keys: more key records than a "
				    "history may have");
				ok = false;
			}
			free(pb);
		}
		ledger_entry_release(&e);
		free(eb);
		if (!ok)
			return false;
	}
	return true;
}

/* A key record proven in order: it stands even if a later revocation
 * covers its seq (FORMAT.md, "Keys"). */
static bool
proven(const struct vctx *v, uint64_t seq)
{
	size_t i;

	for (i = 0; i < v->nproven; i++)
		if (v->proven[i] == seq)
			return true;
	return false;
}

/* The key history: proven from the trusted keys through the bundle's own
 * key records; "keys" must say exactly that of every key it lists, and
 * list every key the records announce. */
static bool
read_keys(struct vctx *v, const json_t *keys, const json_t *entries,
    const struct ledger_vkey *tk, size_t ntk)
{
	static const char *const names[] = { "from_seq", "key_id",
	    "retired_seq", "revoked_from_seq", "until_seq", "vkey" };
	bool seen[LEDGER_KEYHIST_MAX] = { false };
	const struct ledger_keyinfo *k;
	struct ledger_error err;
	struct ledger_vkey vk;
	char id[LEDGER_NOTE_KEY_ID_HEX_SIZE];
	uint64_t from, until, retired = UINT64_MAX, revoked;
	const char *why;
	size_t i;
	json_t *o;

	ledger_keyhist_init(&v->h, tk, ntk);
	if (json_is_array(entries) && !prove_records(v, entries))
		return false;
	if (!json_is_array(keys) || json_array_size(keys) == 0 ||
	    json_array_size(keys) > LEDGER_KEYHIST_MAX) {
		say(v, -1, "keys: not an array of 1 to 64 keys");
		return false;
	}
	json_array_foreach(keys, i, o) {
		/* retired_seq came with rotation: older bundles lack it */
		if ((why = members_ok(o, names, 6, "retired_seq")) != NULL ||
		    !uint_of(json_object_get(o, "from_seq"), false, &from) ||
		    !uint_of(json_object_get(o, "until_seq"), true, &until) ||
		    (json_object_get(o, "retired_seq") != NULL &&
		    !uint_of(json_object_get(o, "retired_seq"), true,
		    &retired)) ||
		    !uint_of(json_object_get(o, "revoked_from_seq"), true,
		    &revoked) || !json_is_string(json_object_get(o, "vkey"))) {
			sayf(v, -1, "keys[%zu]: %s", i, why ? why :
			    "a member of the wrong type");
			return false;
		}
		if (ledger_vkey_parse(str_of(json_object_get(o, "vkey")), &vk,
		    &err) != LEDGER_OK) {
			sayf(v, -1, "keys[%zu]: %s", i, err.msg);
			return false;
		}
		ledger_note_key_id_hex(vk.id, id);
		if (str_of(json_object_get(o, "key_id")) == NULL ||
		    strcmp(str_of(json_object_get(o, "key_id")), id) != 0 ||
		    strcmp(vk.name, v->origin) != 0) {
			sayf(v, -1, "keys[%zu]: its key_id or name is not its "
			    "verifier key's", i);
			return false;
		}
		if ((k = ledger_keyhist_find(&v->h, vk.id)) == NULL ||
		    sodium_memcmp(k->vk.pub, vk.pub, sizeof(vk.pub)) != 0) {
			sayf(v, -1, "keys[%zu]: key %s is neither trusted nor "
			    "announced by a key record in the bundle", i, id);
			return false;
		}
		if (k->from_seq != from || k->until_seq != until ||
		    (json_object_get(o, "retired_seq") != NULL &&
		    k->retired_seq != retired) || k->revoked_from != revoked) {
			sayf(v, -1, "keys[%zu]: key %s's validity is not what "
			    "the bundle's key records say", i, id);
			return false;
		}
		seen[k - v->h.keys] = true;
	}
	for (i = 0; i < v->h.n; i++) {
		v->vks[i] = v->h.keys[i].vk;
		if (!seen[i] && v->h.keys[i].added_seq != UINT64_MAX) {
			sayf(v, -1, "keys: key %08" PRIx32 ", announced at seq %"
			    PRIu64 ", is not listed", v->h.keys[i].vk.id,
			    v->h.keys[i].added_seq);
			return false;
		}
	}
	return true;
}

/* A signed note of the log: signed by a key of the history that may
 * sign a tree of its size.  *ret as ledger_checkpoint_verify's. */
static const char *
note_problem(struct vctx *v, const char *note,
    struct ledger_signed_checkpoint *ret, char *buf, size_t len)
{
	struct ledger_error err;

	if (ledger_checkpoint_verify(note, strlen(note), v->vks, v->h.n, ret,
	    &err) != LEDGER_OK) {
		snprintf(buf, len, "%s", err.msg);
		return buf;
	}
	return ledger_keyhist_check_note(&v->h, note, strlen(note), ret->size,
	    buf, len);
}

static void
older(struct vctx *v, const json_t *list)
{
	static const char *const names[] = { "checkpoint", "consistency" };
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	struct ledger_signed_checkpoint old;
	struct ledger_error err;
	const char *note, *why;
	char buf[256];
	size_t i, k, n;
	json_t *o, *h;

	if (!json_is_array(list)) {
		say(v, -1, "older_checkpoints: not an array");
		return;
	}
	json_array_foreach(list, i, o) {
		if ((why = members_ok(o, names, 2, NULL)) != NULL ||
		    (note = str_of(json_object_get(o, "checkpoint"))) ==
		    NULL ||
		    !json_is_array(json_object_get(o, "consistency")) ||
		    (n = json_array_size(json_object_get(o, "consistency"))) >
		    LEDGER_MERKLE_MAX_PROOF) {
			sayf(v, -1, "older_checkpoints[%zu]: %s", i, why ? why :
			    "a member of the wrong type");
			continue;
		}
		json_array_foreach(json_object_get(o, "consistency"), k, h)
			if (b64_of(h, proof[k], LEDGER_HASH_BYTES) !=
			    LEDGER_HASH_BYTES)
				break;
		if (k < n) {
			sayf(v, -1, "older_checkpoints[%zu]: hash %zu is not "
			    "base64 SHA-256", i, k);
			continue;
		}
		if ((why = note_problem(v, note, &old, buf, sizeof(buf))) !=
		    NULL)
			sayf(v, -1, "older_checkpoints[%zu]: %s", i, why);
		else if (v->have_cp && ledger_checkpoint_check_consistency(&old,
		    &v->cp, &proof[0][0], n, &err) != LEDGER_OK)
			sayf(v, -1, "older_checkpoints[%zu]: %s", i, err.msg);
		ledger_signed_checkpoint_release(&old);
	}
}

struct prev {
	bool have;
	uint64_t seq;
	uint8_t leaf[LEDGER_HASH_BYTES];
};

/* An intact payloads-pruned record (ledger/retention.h) vouches for the
 * pruned payloads of the entries before its before_seq. */
static void
prune_record(struct vctx *v, const struct ledger_entry *e,
    const uint8_t *pay, size_t len)
{
	uint64_t before;

	if (e->kind == LEDGER_KIND_LEDGER && e->source[LEDGER_SRC_TYPE] &&
	    strcmp(e->source[LEDGER_SRC_TYPE], "ledger") == 0 &&
	    e->subject[LEDGER_SUBJ_STATUS] != NULL &&
	    strcmp(e->subject[LEDGER_SUBJ_STATUS], LEDGER_EV_PRUNED) == 0 &&
	    ledger_prune_body_parse(pay, len, &before, NULL) == LEDGER_OK) {
		if (before > e->seq)
			before = e->seq;
		if (before > v->pruned_before)
			v->pruned_before = before;
	}
}

/* The problem of one entry, or NULL; *leaf its leaf hash. */
static const char *
entry_problem(struct vctx *v, const json_t *o, uint64_t seq,
    const struct prev *pv, uint8_t leaf[LEDGER_HASH_BYTES])
{
	uint8_t path[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	uint8_t sig[LEDGER_SIG_BYTES], h[LEDGER_HASH_BYTES];
	const json_t *inc = json_object_get(o, "inclusion");
	const char *kid = str_of(json_object_get(o, "key_id"));
	const char *sigs = str_of(json_object_get(o, "signature"));
	struct ledger_entry e;
	struct ledger_error err;
	const struct ledger_keyinfo *k;
	const char *why = NULL;
	uint8_t *bytes = NULL, *pay = NULL;
	size_t i, n;
	long len, plen;
	json_t *x;
	uint8_t kb[4];

	if (!json_is_array(inc) || (n = json_array_size(inc)) >
	    LEDGER_MERKLE_MAX_PROOF || !lower_hex(kid, 8) ||
	    ledger_unhex(kid, kb, 4, NULL) != LEDGER_OK ||
	    !lower_hex(sigs, 2 * LEDGER_SIG_BYTES) ||
	    ledger_unhex(sigs, sig, LEDGER_SIG_BYTES, NULL) != LEDGER_OK)
		return "a member of the wrong type";
	json_array_foreach(inc, i, x)
		if (b64_of(x, path[i], LEDGER_HASH_BYTES) != LEDGER_HASH_BYTES)
			return "an inclusion hash is not base64 SHA-256";
	x = json_object_get(o, "entry");
	if ((bytes = malloc(json_string_length(x) / 4 * 3 + 3)) == NULL)
		return "out of memory";
	if ((len = b64_of(x, bytes, json_string_length(x) / 4 * 3 + 3)) <= 0) {
		free(bytes);
		return "entry is not base64";
	}
	if (ledger_entry_decode(bytes, (size_t)len, &e, &err) != LEDGER_OK) {
		free(bytes);
		snprintf(v->msg, sizeof(v->msg), "not an entry: %s", err.msg);
		return v->msg;
	}
	ledger_leaf_hash(bytes, (size_t)len, leaf);
	if (e.seq != seq)
		why = "its bytes are another entry's (seq)";
	else if (e.log == NULL || strcmp(e.log, v->origin) != 0)
		why = "its bytes are another log's entry";
	else if (e.key_id != ((uint32_t)kb[0] << 24 | (uint32_t)kb[1] << 16 |
	    (uint32_t)kb[2] << 8 | kb[3]))
		why = "key_id is not the entry's key";
	else if (!proven(v, seq) && ledger_keyhist_entry_problem(&v->h,
	    e.key_id, seq, v->msg, sizeof(v->msg)) != NULL)
		why = v->msg;
	else if ((k = ledger_keyhist_find(&v->h, e.key_id)) == NULL)
		why = "signed by a key the history does not know";
	else if (!ledger_vkey_verify_leaf(&k->vk, leaf, sig))
		why = "bad signature";
	else if (!v->have_cp || seq >= v->cp.size)
		why = "the checkpoint does not cover it";
	else if (ledger_merkle_verify_inclusion(seq, v->cp.size, leaf,
	    &path[0][0], n, v->cp.root, &err) != LEDGER_OK)
		why = "its inclusion proof does not lead to the checkpoint";
	else if (pv->have && pv->seq + 1 == seq &&
	    sodium_memcmp(e.prev, pv->leaf, LEDGER_HASH_BYTES) != 0)
		why = "prev is not the leaf hash of the entry before";
	if (why == NULL && json_object_get(o, "payload_pruned") != NULL &&
	    (!json_is_true(json_object_get(o, "payload_pruned")) ||
	    seq >= v->pruned_before))
		why = "payload_pruned, but no payloads-pruned record in the "
		    "bundle covers it";
	/* the ledger's own payloads are never pruned, and a key record
	 * counts only once proven into the history (in order) */
	if (why == NULL && e.kind == LEDGER_KIND_LEDGER &&
	    json_object_get(o, "payload_pruned") != NULL)
		why = "payload_pruned on a ledger entry (those are never "
		    "pruned)";
	if (why == NULL && ledger_keyhist_event(&e) != NULL && !proven(v, seq))
		why = "a key record without its payload, or one the key history "
		    "could not take";
	if (why == NULL && (x = json_object_get(o, "payload")) != NULL) {
		if (!json_is_string(x))
			why = "payload is not a string";
		else if ((pay = malloc(json_string_length(x) / 4 * 3 + 3)) == NULL)
			why = "out of memory";
		else if ((plen = json_string_length(x) == 0 ? 0 : b64_of(x,
		    pay, json_string_length(x) / 4 * 3 + 3)) < 0)
			why = "payload is not base64";
		else {
			ledger_sha256(pay, (size_t)plen, h);
			if ((uint64_t)plen != e.payload_size ||
			    sodium_memcmp(h, e.payload_sha256,
			    LEDGER_HASH_BYTES) != 0)
				why = "the payload is not the one the entry "
				    "names (size, sha256)";
			else
				prune_record(v, &e, pay, (size_t)plen);
		}
	}
	free(pay);
	free(bytes);
	ledger_entry_release(&e);
	return why;
}

/* Entries whose payload was pruned need the record that says so, which
 * comes after them: find the records first (only when there are such
 * entries; the records' own checks run again in order). */
static void
find_prune_records(struct vctx *v, const json_t *list)
{
	uint8_t leaf[LEDGER_HASH_BYTES];
	struct prev pv = { false, 0, { 0 } };
	uint64_t seq;
	size_t i;
	json_t *o;
	bool any = false;

	json_array_foreach(list, i, o)
		if (json_object_get(o, "payload_pruned") != NULL)
			any = true;
	if (!any)
		return;
	json_array_foreach(list, i, o)
		if (json_object_get(o, "payload") != NULL &&
		    uint_of(json_object_get(o, "seq"), false, &seq))
			(void)entry_problem(v, o, seq, &pv, leaf);
}

static void
entries(struct vctx *v, const json_t *list)
{
	static const char *const names[] = { "entry", "inclusion", "key_id",
	    "payload", "seq", "signature" };
	static const char *const pruned[] = { "entry", "inclusion", "key_id",
	    "payload_pruned", "seq", "signature" };
	uint8_t leaf[LEDGER_HASH_BYTES];
	struct prev pv = { false, 0, { 0 } };
	const char *why;
	uint64_t seq;
	size_t i;
	json_t *o;

	if (!json_is_array(list) || json_array_size(list) == 0) {
		say(v, -1, "entries: not an array of entries");
		return;
	}
	find_prune_records(v, list);
	json_array_foreach(list, i, o) {
		if (!uint_of(json_object_get(o, "seq"), false, &seq) ||
		    (pv.have && seq <= pv.seq)) {
			sayf(v, -1, "entries[%zu]: seq missing or not after "
			    "the one before", i);
			pv.have = false;
			continue;
		}
		v->entries++;
		why = json_object_get(o, "payload_pruned") != NULL ?
		    members_ok(o, pruned, 6, NULL) :
		    members_ok(o, names, 6, "payload");
		if (why == NULL)
			why = entry_problem(v, o, seq, &pv, leaf);
		say(v, (int64_t)seq, why);
		pv.have = why == NULL;
		pv.seq = seq;
		memcpy(pv.leaf, leaf, sizeof(leaf));
	}
}

enum ledger_status
ledger_bundle_verify_text(const char *text, size_t len,
    const struct ledger_vkey *keys, size_t nkeys,
    void (*fn)(void *ctx, const struct ledger_bundle_verdict *v), void *ctx,
    uint64_t *ret_entries, uint64_t *ret_bad, struct ledger_error *err)
{
	static const char *const names[] = { "checkpoint", "entries",
	    "format", "keys", "older_checkpoints", "origin" };
	struct ledger_error e2;
	enum ledger_status st;
	struct vctx *v;
	const char *note, *why;
	char buf[256];
	json_t *doc = NULL;
	char *canon = NULL;
	size_t clen, i;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	v->fn = fn;
	v->ctx = ctx;
	if ((st = ledger_json_parse(text, len, &doc, err)) != LEDGER_OK)
		goto out;
	/* one spelling: any other is a changed bundle */
	if (ledger_jcs_encode(doc, &canon, &clen, &e2) != LEDGER_OK) {
		sayf(v, -1, "not RFC 8785 JSON: %s", e2.msg);
	} else if (clen != len || memcmp(canon, text, clen) != 0) {
		for (i = 0; i < clen && i < len && canon[i] == text[i]; i++)
			;
		sayf(v, -1, "not in canonical form (RFC 8785) from byte %zu",
		    i);
	}
	if ((why = members_ok(doc, names, 6, NULL)) != NULL ||
	    str_of(json_object_get(doc, "format")) == NULL ||
	    strcmp(str_of(json_object_get(doc, "format")),
	    LEDGER_BUNDLE_FORMAT) != 0 ||
	    (v->origin = str_of(json_object_get(doc, "origin"))) == NULL ||
	    (note = str_of(json_object_get(doc, "checkpoint"))) == NULL) {
		sayf(v, -1, "not a %s bundle (%s)", LEDGER_BUNDLE_FORMAT,
		    why ? why : "format, origin or checkpoint");
		goto done;
	}
	if (!read_keys(v, json_object_get(doc, "keys"),
	    json_object_get(doc, "entries"), keys, nkeys))
		goto done;
	if ((why = note_problem(v, note, &v->cp, buf, sizeof(buf))) != NULL ||
	    (why = ledger_keyhist_check_commitment(&v->h, note, strlen(note),
	    v->cp.size, buf, sizeof(buf))) != NULL)
		sayf(v, -1, "checkpoint: %s", why);
	else if (strcmp(v->cp.origin, v->origin) != 0)
		say(v, -1, "checkpoint: of another log");
	else
		v->have_cp = true;
	older(v, json_object_get(doc, "older_checkpoints"));
	entries(v, json_object_get(doc, "entries"));
done:
	if (ret_entries != NULL)
		*ret_entries = v->entries;
	if (ret_bad != NULL)
		*ret_bad = v->bad;
out:
	json_decref(doc);
	free(canon);
	ledger_signed_checkpoint_release(&v->cp);
	free(v);
	return st;
}

enum ledger_status
ledger_bundle_verify(const char *path, const struct ledger_vkey *keys,
    size_t nkeys, void (*fn)(void *ctx, const struct ledger_bundle_verdict *v),
    void *ctx, uint64_t *ret_entries, uint64_t *ret_bad,
    struct ledger_error *err)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	enum ledger_status st;

	if ((st = read_gzip(path, &b, err)) == LEDGER_OK)
		st = ledger_bundle_verify_text((const char *)b.data, b.len,
		    keys, nkeys, fn, ctx, ret_entries, ret_bad, err);
	ledger_buf_release(&b);
	return st;
}
