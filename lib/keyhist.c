/*
 * keyhist.c - the key history, rebuilt from the log's key records
 * (ledger/keyhist.h)
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/jcs.h"
#include "ledger/keyhist.h"
#include "ledger/keys.h"
#include "ledger-int.h"
#include "sha256.h"

void
ledger_keyhist_init(struct ledger_keyhist *h, const struct ledger_vkey *roots,
    size_t nroots)
{
	size_t i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < nroots && h->n < LEDGER_KEYHIST_MAX; i++) {
		if (ledger_keyhist_find(h, roots[i].id) != NULL)
			continue;
		h->keys[h->n].vk = roots[i];
		h->keys[h->n].from_seq = 0;
		h->keys[h->n].until_seq = UINT64_MAX;
		h->keys[h->n].retired_seq = UINT64_MAX;
		h->keys[h->n].revoked_from = UINT64_MAX;
		h->keys[h->n].added_seq = UINT64_MAX;
		h->n++;
	}
}

const struct ledger_keyinfo *
ledger_keyhist_find(const struct ledger_keyhist *h, uint32_t id)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->keys[i].vk.id == id)
			return &h->keys[i];
	return NULL;
}

static struct ledger_keyinfo *
find_mut(struct ledger_keyhist *h, uint32_t id)
{
	return (struct ledger_keyinfo *)ledger_keyhist_find(h, id);
}

const char *
ledger_keyhist_entry_problem(const struct ledger_keyhist *h, uint32_t id,
    uint64_t seq, char *buf, size_t len)
{
	const struct ledger_keyinfo *k = ledger_keyhist_find(h, id);

	if (k == NULL)
		snprintf(buf, len, "signed by key %08" PRIx32 ", which the "
		    "log never announced (no key-added entry names it)", id);
	else if (seq < k->from_seq)
		snprintf(buf, len, "signed by key %08" PRIx32 " before it "
		    "was announced (key-added at seq %" PRIu64 ")", id,
		    k->added_seq);
	else if (seq >= k->until_seq)
		snprintf(buf, len, "signed by key %08" PRIx32 " after the "
		    "key-added at seq %" PRIu64 " replaced it", id,
		    k->until_seq - 1);
	else if (seq >= k->revoked_from)
		snprintf(buf, len, "signed by key %08" PRIx32 ", revoked "
		    "from seq %" PRIu64, id, k->revoked_from);
	else
		return NULL;
	return buf;
}

const char *
ledger_keyhist_checkpoint_problem(const struct ledger_keyhist *h, uint32_t id,
    uint64_t size, char *buf, size_t len)
{
	const struct ledger_keyinfo *k = ledger_keyhist_find(h, id);
	uint64_t last = size > 0 ? size - 1 : 0;
	char tmp[8];

	if (k == NULL) {
		snprintf(buf, len, "signed by key %08" PRIx32 ", which the "
		    "log never announced", id);
		return buf;
	}
	if (ledger_keyhist_entry_problem(h, id, last, tmp, sizeof(tmp)) ==
	    NULL || ledger_keyhist_entry_problem(h, id, size, tmp,
	    sizeof(tmp)) == NULL)
		return NULL;
	/* the overlap: a replaced key co-signs until it is retired */
	if (k->until_seq != UINT64_MAX && last >= k->from_seq &&
	    last < k->revoked_from && (k->retired_seq == UINT64_MAX ||
	    last <= k->retired_seq))
		return NULL;
	if (k->retired_seq != UINT64_MAX && last > k->retired_seq)
		snprintf(buf, len, "signed only by key %08" PRIx32 ", retired "
		    "at seq %" PRIu64, id, k->retired_seq);
	else
		return ledger_keyhist_entry_problem(h, id, last, buf, len);
	return buf;
}

const char *
ledger_keyhist_event(const struct ledger_entry *e)
{
	static const char *const evs[] = { LEDGER_EV_KEY_ADDED,
	    LEDGER_EV_KEY_RETIRED, LEDGER_EV_KEY_REVOKED };
	const char *st = e->subject[LEDGER_SUBJ_STATUS];
	size_t i;

	if (e->kind != LEDGER_KIND_LEDGER || st == NULL ||
	    e->source[LEDGER_SRC_TYPE] == NULL ||
	    strcmp(e->source[LEDGER_SRC_TYPE], "ledger") != 0)
		return NULL;
	for (i = 0; i < 3; i++)
		if (strcmp(st, evs[i]) == 0)
			return evs[i];
	return NULL;
}

static bool
hex8(const json_t *v, uint32_t *ret)
{
	const char *s = json_string_value(v);
	uint32_t x = 0;
	int i;

	if (s == NULL || strlen(s) != 8)
		return false;
	for (i = 0; i < 8; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			x = x << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x = x << 4 | (uint32_t)(c - 'a' + 10);
		else
			return false;
	}
	*ret = x;
	return true;
}

static enum ledger_status
add_key(struct ledger_keyhist *h, const struct ledger_entry *e,
    uint32_t signer_id, const json_t *doc, uint32_t id,
    struct ledger_error *err)
{
	struct ledger_vkey vk;
	struct ledger_keyinfo *k;
	const char *line = json_string_value(json_object_get(doc, "vkey"));
	size_t i;

	if (line == NULL || ledger_vkey_parse(line, &vk, err) != LEDGER_OK)
		return ledger_errorf(err, LEDGER_EINVAL, "key-added without a "
		    "valid vkey line");
	if (vk.id != id || e->log == NULL || strcmp(vk.name, e->log) != 0)
		return ledger_errorf(err, LEDGER_EINVAL, "key-added names key "
		    "%08" PRIx32 " of '%.64s', not the entry's key_id of this "
		    "log", vk.id, vk.name);
	if (vk.id == signer_id)
		return ledger_errorf(err, LEDGER_EINVAL, "key %08" PRIx32
		    " announces itself", id);
	k = find_mut(h, id);
	if (k != NULL && k->added_seq != UINT64_MAX)
		return ledger_errorf(err, LEDGER_EINVAL, "key %08" PRIx32
		    " was already added at seq %" PRIu64, id, k->added_seq);
	if (k != NULL && memcmp(k->vk.pub, vk.pub, sizeof(vk.pub)) != 0)
		return ledger_errorf(err, LEDGER_EINVAL, "key-added names key "
		    "id %08" PRIx32 " with another public key", id);
	if (k == NULL && h->n == LEDGER_KEYHIST_MAX)
		return ledger_errorf(err, LEDGER_EINVAL, "more than %d keys",
		    LEDGER_KEYHIST_MAX);
	/* every key that could sign until now is replaced */
	for (i = 0; i < h->n; i++)
		if (h->keys[i].vk.id != id &&
		    h->keys[i].until_seq == UINT64_MAX)
			h->keys[i].until_seq = e->seq + 1;
	if (k == NULL) {
		k = &h->keys[h->n++];
		k->vk = vk;
		k->retired_seq = UINT64_MAX;
		k->revoked_from = UINT64_MAX;
	}
	k->from_seq = e->seq + 1;	/* a trusted root too: from here */
	k->until_seq = UINT64_MAX;
	k->added_seq = e->seq;
	h->current = (size_t)(k - h->keys);
	return LEDGER_OK;
}

static enum ledger_status
apply_one(struct ledger_keyhist *h, const struct ledger_entry *e,
    uint32_t signer_id, const uint8_t *body, size_t len,
    struct ledger_error *err);

enum ledger_status
ledger_keyhist_apply(struct ledger_keyhist *h, const struct ledger_entry *e,
    uint32_t signer_id, const uint8_t *body, size_t len,
    struct ledger_error *err)
{
	enum ledger_status st;

	if (ledger_keyhist_event(e) == NULL)
		return LEDGER_OK;
	if (h->nrec == LEDGER_KEYREC_MAX)
		return ledger_errorf(err, LEDGER_EINVAL, "more than %d key "
		    "records", LEDGER_KEYREC_MAX);
	if ((st = apply_one(h, e, signer_id, body, len, err)) == LEDGER_OK)
		h->rec[h->nrec++] = e->seq;
	return st;
}

static enum ledger_status
apply_one(struct ledger_keyhist *h, const struct ledger_entry *e,
    uint32_t signer_id, const uint8_t *body, size_t len,
    struct ledger_error *err)
{
	const char *ev = ledger_keyhist_event(e);
	struct ledger_keyinfo *k;
	enum ledger_status st;
	json_t *doc = NULL, *v;
	uint32_t id;
	double d;

	if (ev == NULL)
		return LEDGER_OK;
	if ((st = ledger_json_parse((const char *)body, len, &doc, err)))
		return st;
	if (!hex8(json_object_get(doc, "key_id"), &id)) {
		st = ledger_errorf(err, LEDGER_EINVAL, "%s without a key_id "
		    "(8 lower-case hex digits)", ev);
		goto out;
	}
	if (strcmp(ev, LEDGER_EV_KEY_ADDED) == 0) {
		st = add_key(h, e, signer_id, doc, id, err);
		goto out;
	}
	if ((k = find_mut(h, id)) == NULL) {
		st = ledger_errorf(err, LEDGER_EINVAL, "%s names key %08" PRIx32
		    ", which the log never announced", ev, id);
		goto out;
	}
	if (strcmp(ev, LEDGER_EV_KEY_RETIRED) == 0) {
		if (k->until_seq == UINT64_MAX)
			st = ledger_errorf(err, LEDGER_EINVAL, "key-retired "
			    "names the current key %08" PRIx32, id);
		else if (k->retired_seq == UINT64_MAX)
			k->retired_seq = e->seq;
		goto out;
	}
	v = json_object_get(doc, "compromised_from_seq");
	d = json_is_number(v) ? json_number_value(v) : -1;
	if (!(d >= 0 && d <= 9007199254740992.0) || floor(d) != d)
		st = ledger_errorf(err, LEDGER_EINVAL, "key-revoked without an "
		    "integer compromised_from_seq");
	else if ((uint64_t)d < k->revoked_from)
		k->revoked_from = (uint64_t)d;
out:
	json_decref(doc);
	return st;
}

enum ledger_status
ledger_keyhist_body(const char *event, const struct ledger_vkey *vk,
    uint32_t key_id, uint64_t from_seq, const char *reason, char **ret,
    size_t *ret_len, struct ledger_error *err)
{
	json_t *doc = json_object();
	enum ledger_status st;
	char id[9], *line = NULL;

	if (doc == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	snprintf(id, sizeof(id), "%08" PRIx32, key_id);
	json_object_set_new(doc, "event", json_string(event));
	json_object_set_new(doc, "key_id", json_string(id));
	if (vk != NULL) {
		if ((st = ledger_vkey_format(vk, &line, err)) != LEDGER_OK) {
			json_decref(doc);
			return st;
		}
		json_object_set_new(doc, "vkey", json_string(line));
		free(line);
	}
	if (strcmp(event, LEDGER_EV_KEY_REVOKED) == 0) {
		json_object_set_new(doc, "compromised_from_seq",
		    json_integer((json_int_t)from_seq));
		json_object_set_new(doc, "reason", json_string(reason ?
		    reason : ""));
	}
	st = ledger_jcs_encode(doc, ret, ret_len, err);
	json_decref(doc);
	return st;
}

const char *
ledger_keyhist_check_note(const struct ledger_keyhist *h, const char *note,
    size_t len, uint64_t size, char *buf, size_t blen)
{
	struct ledger_vkey vks[LEDGER_KEYHIST_MAX];
	struct ledger_checkpoint cp;
	bool ok[LEDGER_KEYHIST_MAX];
	const char *why = NULL;
	size_t i;

	for (i = 0; i < h->n; i++)
		vks[i] = h->keys[i].vk;
	if (h->n == 0 || ledger_checkpoint_open(note, len, vks, h->n, &cp, ok,
	    NULL) != LEDGER_OK) {
		snprintf(buf, blen, "checkpoint of size %" PRIu64 " is not "
		    "signed by a key of the log's history", size);
		return buf;
	}
	for (i = 0; i < h->n; i++) {
		if (!ok[i] || strlen(vks[i].name) != cp.origin_len ||
		    memcmp(vks[i].name, cp.origin, cp.origin_len) != 0)
			continue;
		if ((why = ledger_keyhist_checkpoint_problem(h, vks[i].id, size,
		    buf, blen)) == NULL)
			return NULL;
	}
	if (why == NULL)
		snprintf(buf, blen, "checkpoint of size %" PRIu64 " is signed "
		    "only by keys of other logs", size);
	return buf;
}

enum ledger_status
ledger_keyhist_add_record(struct ledger_keyhist *h, const uint8_t *entry,
    size_t entry_len, const uint8_t sig[LEDGER_SIG_BYTES],
    const uint8_t *body, size_t len, struct ledger_error *err)
{
	const struct ledger_keyinfo *k;
	struct ledger_entry e;
	uint8_t leaf[LEDGER_HASH_BYTES], hash[LEDGER_HASH_BYTES];
	struct ledger_error e2;		/* what an inner call says, quoted */
	enum ledger_status st;
	char why[192];

	if ((st = ledger_entry_decode(entry, entry_len, &e, &e2)) != LEDGER_OK)
		return ledger_errorf(err, LEDGER_ECHAIN, "a key record is not "
		    "an entry: %s", e2.msg);
	ledger_leaf_hash(entry, entry_len, leaf);
	ledger_sha256(body, len, hash);
	k = ledger_keyhist_find(h, e.key_id);
	if (ledger_keyhist_event(&e) == NULL)
		st = ledger_errorf(err, LEDGER_ECHAIN, "entry %" PRIu64 " is "
		    "not a key record", e.seq);
	else if (ledger_keyhist_entry_problem(h, e.key_id, e.seq, why,
	    sizeof(why)) != NULL)
		st = ledger_errorf(err, LEDGER_ECHAIN, "key record %" PRIu64
		    ": %s", e.seq, why);
	else if (!ledger_vkey_verify_leaf(&k->vk, leaf, sig))
		st = ledger_errorf(err, LEDGER_ECHAIN, "key record %" PRIu64
		    ": its signature does not verify", e.seq);
	else if (len != e.payload_size || memcmp(hash, e.payload_sha256,
	    LEDGER_HASH_BYTES) != 0)
		st = ledger_errorf(err, LEDGER_ECHAIN, "key record %" PRIu64
		    ": its payload is not the one the entry names", e.seq);
	else if ((st = ledger_keyhist_apply(h, &e, e.key_id, body, len,
	    &e2)) != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ECHAIN, "key record %" PRIu64
		    ": %s", e.seq, e2.msg);
	ledger_entry_release(&e);
	return st;
}

const char *
ledger_keyhist_check_commitment(const struct ledger_keyhist *h,
    const char *note, size_t len, uint64_t size, char *buf, size_t blen)
{
	static const char tag[] = LEDGER_KEYS_EXT " ";
	unsigned long long count, last;
	const char *p = note, *end = note + len, *nl;
	uint64_t n = 0, top = 0;
	int line = 0;
	size_t i;
	char tail;

	/* the note's text: lines up to the blank one; extensions from the
	 * fourth */
	for (; p < end && *p != '\n'; p = nl + 1, line++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		if (line < 3 || (size_t)(nl - p) < sizeof(tag) - 1 ||
		    memcmp(p, tag, sizeof(tag) - 1) != 0)
			continue;
		if (sscanf(p + sizeof(tag) - 1, "%llu %llu%c", &count, &last,
		    &tail) != 3 || tail != '\n') {
			snprintf(buf, blen, "a malformed %s line",
			    LEDGER_KEYS_EXT);
			return buf;
		}
		for (i = 0; i < h->nrec; i++)
			if (h->rec[i] < size) {
				n++;
				top = h->rec[i];
			}
		if (n == count && (n == 0 || top == last))
			return NULL;
		snprintf(buf, blen, "the checkpoint of size %" PRIu64 " commits "
		    "to %llu key records (the last at seq %llu); %" PRIu64
		    " were given: a key record is missing", size, count, last,
		    n);
		return buf;
	}
	return NULL;
}
