/*
 * wire.c - the JSON of receipts, rows and proofs (ledger/wire.h)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/identity.h"
#include "ledger/jcs.h"
#include "ledger/status.h"
#include "ledger/wire.h"
#include "ledger-int.h"

enum ledger_status
ledger_receipt_json(struct ledger_buf *b, const struct ledger_receipt *rc,
    const char *origin)
{
	char leaf[65], sig[129], t[LEDGER_TIME_MAX];
	enum ledger_status e;

	ledger_hex(rc->leaf, LEDGER_HASH_BYTES, leaf);
	ledger_hex(rc->sig, LEDGER_SIG_BYTES, sig);
	ledger_time_format(rc->time_ms, t);
	e = ledger_buf_addf(b, "{\"seq\":%" PRIu64 ",\"time\":\"%s\","
	    "\"leaf_hash\":\"%s\",\"signature\":\"%s\",\"key_id\":\"%08x\","
	    "\"log\":", rc->seq, t, leaf, sig, rc->key_id);
	e |= ledger_jcs_append_string(b, origin, strlen(origin), NULL);
	e |= ledger_buf_addf(b, ",\"duplicate\":%s}",
	    rc->duplicate ? "true" : "false");
	return e == LEDGER_OK ? LEDGER_OK : LEDGER_ENOMEM;
}

/* A non-negative integer member: a jansson integer, or a number our
 * strict parser (which keeps every number a double) read exactly. */
static bool
get_u64(const json_t *o, const char *name, uint64_t *ret)
{
	const json_t *v = json_object_get(o, name);
	double d;

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*ret = (uint64_t)json_integer_value(v);
		return true;
	}
	if (!json_is_real(v))
		return false;
	d = json_real_value(v);
	if (!(d >= 0 && d <= 9007199254740992.0) || d != (double)(uint64_t)d)
		return false;
	*ret = (uint64_t)d;
	return true;
}

/* A hex string member of exactly n bytes. */
static bool
get_hex(const json_t *o, const char *name, uint8_t *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL && strlen(s) == 2 * n &&
	    ledger_unhex(s, out, n, NULL) == LEDGER_OK;
}

enum ledger_status
ledger_receipt_parse(const json_t *o, struct ledger_receipt *ret,
    struct ledger_error *err)
{
	uint8_t kid[4];
	const json_t *dup = json_object_get(o, "duplicate");
	const char *t = json_string_value(json_object_get(o, "time"));

	memset(ret, 0, sizeof(*ret));
	if (!json_is_object(o) || !get_u64(o, "seq", &ret->seq) ||
	    !get_hex(o, "leaf_hash", ret->leaf, LEDGER_HASH_BYTES) ||
	    !get_hex(o, "signature", ret->sig, LEDGER_SIG_BYTES) ||
	    !get_hex(o, "key_id", kid, sizeof(kid)) || !json_is_boolean(dup) ||
	    t == NULL || ledger_time_parse(t, &ret->time_ms, NULL) != LEDGER_OK)
		return ledger_errorf(err, LEDGER_EINVAL, "not a receipt: want "
		    "seq, time, leaf_hash, signature, key_id, duplicate");
	ret->key_id = (uint32_t)kid[0] << 24 | (uint32_t)kid[1] << 16 |
	    (uint32_t)kid[2] << 8 | kid[3];
	ret->duplicate = json_is_true(dup);
	return LEDGER_OK;
}

enum ledger_status
ledger_row_json(uint64_t seq, const uint8_t *entry, size_t entry_len,
    const uint8_t sig[LEDGER_SIG_BYTES], const struct ledger_entry *e,
    int stored, const char *headers, struct ledger_buf *out)
{
	uint8_t leaf[LEDGER_HASH_BYTES];
	char leaf_hex[65], sig_hex[129], sha_hex[65];
	enum ledger_status rc = LEDGER_OK;

	ledger_leaf_hash(entry, entry_len, leaf);
	ledger_hex(leaf, sizeof(leaf), leaf_hex);
	ledger_hex(sig, LEDGER_SIG_BYTES, sig_hex);
	ledger_hex(e->payload_sha256, LEDGER_HASH_BYTES, sha_hex);
	rc |= ledger_buf_addf(out, "{\"seq\":%" PRIu64 ",\"entry\":", seq);
	rc |= ledger_buf_add(out, entry, entry_len);
	rc |= ledger_buf_addf(out, ",\"leaf_hash\":\"%s\",\"signature\":\"%s\","
	    "\"key_id\":\"%08" PRIx32 "\",\"payload\":{\"sha256\":\"%s\","
	    "\"size\":%" PRIu64 ",\"type\":", leaf_hex, sig_hex, e->key_id,
	    sha_hex, e->payload_size);
	if (e->payload_type != NULL)
		rc |= ledger_jcs_append_string(out, e->payload_type,
		    strlen(e->payload_type), NULL);
	else
		rc |= ledger_buf_adds(out, "null");
	if (stored >= 0)
		rc |= ledger_buf_adds(out, stored ? ",\"stored\":true" :
		    ",\"stored\":false");
	if (headers != NULL) {
		rc |= ledger_buf_adds(out, ",\"headers\":");
		rc |= ledger_buf_adds(out, headers);
	}
	rc |= ledger_buf_adds(out, "}}");
	return rc == LEDGER_OK ? LEDGER_OK : LEDGER_ENOMEM;
}

enum ledger_status
ledger_row_parse(const json_t *item, struct ledger_row *row,
    struct ledger_error *err)
{
	const json_t *entry = json_object_get(item, "entry");
	const json_t *sig = json_object_get(item, "signature");
	uint64_t seq;
	char *bytes = NULL;
	size_t len;
	enum ledger_status st;

	memset(row, 0, sizeof(*row));
	if (!json_is_object(entry) || !json_is_string(sig) ||
	    !get_u64(item, "seq", &seq))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "malformed event in the server's answer");
	if ((st = ledger_jcs_encode(entry, &bytes, &len, err)) != LEDGER_OK) {
		char why[sizeof(err->msg)];

		/* not formatted into itself: copied first */
		snprintf(why, sizeof(why), "%s", err != NULL ? err->msg :
		    "cannot be encoded");
		return ledger_errorf(err, st, "entry %" PRIu64 ": %.200s", seq,
		    why);
	}
	row->entry = (uint8_t *)bytes;
	row->entry_len = len;
	if (ledger_unhex(json_string_value(sig), row->sig, LEDGER_SIG_BYTES,
	    NULL) != LEDGER_OK)
		memset(row->sig, 0, sizeof(row->sig));
	if (ledger_entry_decode(bytes, len, &row->e, NULL) != LEDGER_OK)
		memset(&row->e, 0, sizeof(row->e));	/* kept: "modified" */
	row->e.seq = seq;
	return LEDGER_OK;
}

static enum ledger_status
add_hashes(struct ledger_buf *b, const uint8_t (*proof)[LEDGER_HASH_BYTES],
    size_t count)
{
	char h[LEDGER_B64_HASH_SIZE];
	enum ledger_status e = LEDGER_OK;
	size_t i;

	e |= ledger_buf_addc(b, '[');
	for (i = 0; i < count; i++) {
		ledger_b64_hash(proof[i], h);
		e |= ledger_buf_addf(b, "%s\"%s\"", i ? "," : "", h);
	}
	e |= ledger_buf_addc(b, ']');
	return e;
}

enum ledger_status
ledger_inclusion_json(struct ledger_buf *b, uint64_t index, uint64_t size,
    const uint8_t leaf[LEDGER_HASH_BYTES],
    const uint8_t (*proof)[LEDGER_HASH_BYTES], size_t count)
{
	char h[LEDGER_B64_HASH_SIZE];
	enum ledger_status e;

	ledger_b64_hash(leaf, h);
	e = ledger_buf_addf(b, "{\"leaf_index\":%" PRIu64 ",\"tree_size\":%"
	    PRIu64 ",\"leaf_hash\":\"%s\",\"audit_path\":", index, size, h);
	e |= add_hashes(b, proof, count);
	e |= ledger_buf_addc(b, '}');
	return e == LEDGER_OK ? LEDGER_OK : LEDGER_ENOMEM;
}

enum ledger_status
ledger_consistency_json(struct ledger_buf *b, uint64_t m, uint64_t n,
    const uint8_t (*proof)[LEDGER_HASH_BYTES], size_t count)
{
	enum ledger_status e;

	e = ledger_buf_addf(b, "{\"first\":%" PRIu64 ",\"second\":%" PRIu64
	    ",\"consistency\":", m, n);
	e |= add_hashes(b, proof, count);
	e |= ledger_buf_addc(b, '}');
	return e == LEDGER_OK ? LEDGER_OK : LEDGER_ENOMEM;
}

bool
ledger_b64_hash_parse(const char *s, uint8_t out[LEDGER_HASH_BYTES])
{
	char again[LEDGER_B64_HASH_SIZE];

	if (s == NULL || strlen(s) != LEDGER_B64_HASH_SIZE - 1 ||
	    ledger_b64_decode(s, strlen(s), out, LEDGER_HASH_BYTES, true) !=
	    LEDGER_HASH_BYTES)
		return false;
	/* Canonical only: unused bits zero, so one hash has one spelling. */
	ledger_b64_hash(out, again);
	return strcmp(again, s) == 0;
}

static enum ledger_status
parse_hashes(const json_t *a, const char *what,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err)
{
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > LEDGER_MERKLE_MAX_PROOF)
		return ledger_errorf(err, LEDGER_EINVAL, "'%s' is not an array "
		    "of at most %d hashes", what, LEDGER_MERKLE_MAX_PROOF);
	for (i = 0; i < json_array_size(a); i++)
		if (!ledger_b64_hash_parse(json_string_value(
		    json_array_get(a, i)), proof[i]))
			return ledger_errorf(err, LEDGER_EINVAL, "'%s' hash %zu "
			    "is not a base64 SHA-256 hash", what, i);
	*ret_count = i;
	return LEDGER_OK;
}

static bool
u64_is(const json_t *doc, const char *name, uint64_t want)
{
	uint64_t v;

	return get_u64(doc, name, &v) && v == want;
}

enum ledger_status
ledger_inclusion_parse(const json_t *doc, uint64_t index, uint64_t size,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, uint8_t ret_leaf[LEDGER_HASH_BYTES],
    struct ledger_error *err)
{
	*ret_count = 0;
	if (!u64_is(doc, "leaf_index", index) || !u64_is(doc, "tree_size", size))
		return ledger_errorf(err, LEDGER_EINVAL, "the answer is not "
		    "about entry %" PRIu64 " in size %" PRIu64, index, size);
	if (!ledger_b64_hash_parse(json_string_value(json_object_get(doc,
	    "leaf_hash")), ret_leaf))
		return ledger_errorf(err, LEDGER_EINVAL, "'leaf_hash' is not a "
		    "base64 SHA-256 hash");
	return parse_hashes(json_object_get(doc, "audit_path"), "audit_path",
	    proof, ret_count, err);
}

enum ledger_status
ledger_consistency_parse(const json_t *doc, uint64_t m, uint64_t n,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err)
{
	*ret_count = 0;
	if (!u64_is(doc, "first", m) || !u64_is(doc, "second", n))
		return ledger_errorf(err, LEDGER_EINVAL, "the answer is not "
		    "about sizes %" PRIu64 " and %" PRIu64, m, n);
	return parse_hashes(json_object_get(doc, "consistency"),
	    "consistency", proof, ret_count, err);
}

/* ,"name":"value" when value is present. */
enum ledger_status
ledger_json_member(struct ledger_buf *b, const char *name, const char *value)
{
	enum ledger_status e = LEDGER_OK;

	if (value == NULL)
		return LEDGER_OK;
	e |= ledger_buf_add(b, ",\"", 2);
	e |= ledger_buf_adds(b, name);
	e |= ledger_buf_add(b, "\":", 2);
	e |= ledger_jcs_append_string(b, value, strlen(value), NULL);
	return e;
}

/* See wire.h. */
enum ledger_status
ledger_entry_brief_open(struct ledger_buf *b, const struct ledger_entry *e)
{
	const char *word;
	char t[LEDGER_TIME_MAX];
	enum ledger_status r = LEDGER_OK;
	int f;

	ledger_time_format(e->time_ms, t);
	r |= ledger_buf_addf(b, "{\"seq\":%" PRIu64 ",\"time\":\"%s\","
	    "\"kind\":\"%s\"", e->seq, t, ledger_kind_name(e->kind) ?
	    ledger_kind_name(e->kind) : "other");
	r |= ledger_json_member(b, "source", e->source[LEDGER_SRC_NAME]);
	r |= ledger_json_member(b, "event", e->source[LEDGER_SRC_EVENT]);
	/* the sender's client certificate, where it had one */
	r |= ledger_json_member(b, "machine",
	    ledger_auth_machine(e->source[LEDGER_SRC_AUTH]));
	for (f = 0; f < LEDGER_SUBJ_COUNT; f++)
		if (f != LEDGER_SUBJ_STATUS)
			r |= ledger_json_member(b, ledger_subject_name(
			    (enum ledger_subject)f), e->subject[f]);
	/* the vocabulary's word; the source's own beside it if other */
	word = ledger_status_word(e->kind, e->subject[LEDGER_SUBJ_STATUS]);
	r |= ledger_json_member(b, "status", word);
	if (word != NULL && strcmp(word, e->subject[LEDGER_SUBJ_STATUS]) != 0)
		r |= ledger_json_member(b, "source_status",
		    e->subject[LEDGER_SUBJ_STATUS]);
	return r;
}

