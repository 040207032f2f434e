/*
 * checkpoint.c - C2SP tlog-checkpoint texts: format, parse, and open a
 * signed one (the signed-note layer is note.c)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ledger/entry.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/tree.h"
#include "ledger-int.h"

/* ---- checkpoints ---- */

/* Check extension lines: each non-empty, ending in '\n', valid text. */
static enum ledger_status
ext_check(const char *ext, size_t len, struct ledger_error *err)
{
	const char *bad;
	size_t i, at;

	if (len == 0)
		return LEDGER_OK;
	if (ext == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint: NULL extension lines");
	if ((at = ledger_note_text_problem(ext, len, &bad)) != len)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint extension lines have %s at byte %zu", bad, at);
	if (ext[len - 1] != '\n')
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint: last extension line does not end in a "
		    "newline");
	for (i = 0; i < len; i++)
		if (ext[i] == '\n' && (i == 0 || ext[i - 1] == '\n'))
			return ledger_errorf(err, LEDGER_EINVAL,
			    "checkpoint: empty extension line");
	return LEDGER_OK;
}

static enum ledger_status
origin_check(const char *origin, size_t len, struct ledger_error *err)
{
	const char *bad;
	size_t at;

	if (origin == NULL || len == 0)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint origin is empty");
	if ((at = ledger_note_text_problem(origin, len, &bad)) != len)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint origin has %s at byte %zu", bad, at);
	if (memchr(origin, '\n', len) != NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint origin has a newline");
	return LEDGER_OK;
}

enum ledger_status
ledger_checkpoint_format(const struct ledger_checkpoint *cp,
    struct ledger_buf *out, struct ledger_error *err)
{
	char b64[sodium_base64_ENCODED_LEN(LEDGER_HASH_BYTES,
	    sodium_base64_VARIANT_ORIGINAL)];
	enum ledger_status rc;
	size_t old;

	if (cp == NULL || out == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "format checkpoint: NULL argument");
	if ((rc = origin_check(cp->origin, cp->origin_len, err)) != LEDGER_OK)
		return rc;
	if (cp->size > INT64_MAX)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint size %" PRIu64 " is above 2^63-1", cp->size);
	if ((rc = ext_check(cp->ext, cp->ext_len, err)) != LEDGER_OK)
		return rc;
	sodium_bin2base64(b64, sizeof(b64), cp->root, LEDGER_HASH_BYTES,
	    sodium_base64_VARIANT_ORIGINAL);

	old = out->len;
	if (ledger_buf_add(out, cp->origin, cp->origin_len) != LEDGER_OK ||
	    ledger_buf_addf(out, "\n%" PRIu64 "\n%s\n", cp->size, b64) !=
	    LEDGER_OK ||
	    ledger_buf_add(out, cp->ext, cp->ext_len) != LEDGER_OK) {
		out->len = old;
		if (out->data != NULL)
			out->data[old] = '\0';
		return ledger_errorf(err, LEDGER_ENOMEM,
		    "format checkpoint: out of memory");
	}
	return LEDGER_OK;
}

/* Strict decimal: digits only, no sign, no leading zero but "0",
 * at most INT64_MAX (Go's tlog.ParseTree). */
static int
parse_size(const char *s, size_t len, uint64_t *ret)
{
	uint64_t x = 0;
	size_t i;
	unsigned d;

	if (len == 0 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (x > ((uint64_t)INT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*ret = x;
	return 0;
}

enum ledger_status
ledger_checkpoint_parse(const char *text, size_t len,
    struct ledger_checkpoint *ret, struct ledger_error *err)
{
	const char *p, *end, *nl, *bad;
	struct ledger_checkpoint cp;
	enum ledger_status rc;
	size_t n;

	if (ret == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "parse checkpoint: NULL argument");
	memset(ret, 0, sizeof(*ret));
	if (text == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "parse checkpoint: NULL argument");
	if (len > LEDGER_NOTE_MAX_BYTES)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint is longer than %d bytes",
		    LEDGER_NOTE_MAX_BYTES);
	if ((n = ledger_note_text_problem(text, len, &bad)) != len)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint has %s at byte %zu", bad, n);
	memset(&cp, 0, sizeof(cp));
	p = text;
	end = text + len;

	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint has no origin line");
	cp.origin = p;
	cp.origin_len = (size_t)(nl - p);
	if ((rc = origin_check(cp.origin, cp.origin_len, err)) != LEDGER_OK)
		return rc;
	p = nl + 1;

	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint has no tree size line");
	if (parse_size(p, (size_t)(nl - p), &cp.size) != 0)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint tree size '%.*s' is not a decimal number "
		    "from 0 to 2^63-1 without leading zeros",
		    (int)((nl - p) > 32 ? 32 : (nl - p)), p);
	p = nl + 1;

	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint has no root hash line");
	if (nl - p != 44 || ledger_b64_decode(p, 44, cp.root, sizeof(cp.root),
	    true) != LEDGER_HASH_BYTES)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "checkpoint root hash is not the base64 of 32 bytes");
	p = nl + 1;

	if ((rc = ext_check(p, (size_t)(end - p), err)) != LEDGER_OK) {
		memset(&cp, 0, sizeof(cp));
		return rc;
	}
	if (p < end) {
		cp.ext = p;
		cp.ext_len = (size_t)(end - p);
	}
	*ret = cp;
	return LEDGER_OK;
}

enum ledger_status
ledger_checkpoint_open(const char *msg, size_t len,
    const struct ledger_vkey *known, size_t nknown,
    struct ledger_checkpoint *ret, bool *ret_verified,
    struct ledger_error *err)
{
	enum ledger_status rc;
	size_t text_len;

	if (ret == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "open checkpoint: NULL argument");
	memset(ret, 0, sizeof(*ret));
	rc = ledger_note_open(msg, len, known, nknown, &text_len, ret_verified,
	    err);
	if (rc != LEDGER_OK)
		return rc;
	rc = ledger_checkpoint_parse(msg, text_len, ret, err);
	if (rc != LEDGER_OK && ret_verified != NULL && nknown > 0)
		memset(ret_verified, 0, nknown * sizeof(*ret_verified));
	return rc;
}

/* ---- checking checkpoints and proofs against them ---- */

enum ledger_status
ledger_checkpoint_verify(const char *note, size_t len,
    const struct ledger_vkey *keys, size_t nkeys,
    struct ledger_signed_checkpoint *ret, struct ledger_error *err)
{
	struct ledger_checkpoint cp;
	enum ledger_status st;
	bool *ok = NULL, signer = false;
	size_t i;

	memset(ret, 0, sizeof(*ret));
	if (note == NULL || keys == NULL || nkeys == 0)
		return ledger_errorf(err, LEDGER_EINVAL, "no verifier key");
	if ((ok = calloc(nkeys, sizeof(*ok))) == NULL) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	if ((st = ledger_checkpoint_open(note, len, keys, nkeys, &cp, ok,
	    err)) != LEDGER_OK)
		goto out;
	/* The key that vouches for a checkpoint is the one named like its
	 * origin: a key of another log signing it proves nothing. */
	for (i = 0; i < nkeys; i++) {
		if (!ok[i])
			continue;
		signer = true;
		if (strlen(keys[i].name) == cp.origin_len &&
		    memcmp(keys[i].name, cp.origin, cp.origin_len) == 0)
			break;
	}
	if (i == nkeys) {
		st = ledger_errorf(err, LEDGER_ECRYPTO, "checkpoint of log "
		    "'%.*s' is %s", (int)(cp.origin_len > 200 ? 200 :
		    cp.origin_len), cp.origin, signer ? "signed only by keys "
		    "of other logs" : "not signed by a key of the keyring");
		goto out;
	}
	if (cp.origin_len >= sizeof(ret->origin) ||
	    (ret->note = malloc(len + 1)) == NULL) {
		st = ledger_errorf(err, cp.origin_len >= sizeof(ret->origin) ?
		    LEDGER_EINVAL : LEDGER_ENOMEM, "%s",
		    cp.origin_len >= sizeof(ret->origin) ? "origin too long" :
		    "out of memory");
		goto out;
	}
	memcpy(ret->origin, cp.origin, cp.origin_len);
	ret->origin[cp.origin_len] = '\0';
	ret->size = cp.size;
	memcpy(ret->root, cp.root, LEDGER_HASH_BYTES);
	ret->key_id = keys[i].id;
	memcpy(ret->note, note, len);
	ret->note[len] = '\0';
	ret->note_len = len;
out:
	free(ok);
	return st;
}

enum ledger_status
ledger_checkpoint_check_inclusion(const struct ledger_signed_checkpoint *c, uint64_t index,
    const uint8_t *entry, size_t entry_len, const uint8_t *claimed_leaf,
    const uint8_t *proof, size_t count, struct ledger_error *err)
{
	uint8_t leaf[LEDGER_HASH_BYTES];
	char b64[LEDGER_B64_HASH_SIZE];
	enum ledger_status st;

	if (index >= c->size)
		return ledger_errorf(err, LEDGER_EINVAL, "entry %" PRIu64
		    " is not in the tree of size %" PRIu64, index, c->size);
	ledger_leaf_hash(entry, entry_len, leaf);
	if (claimed_leaf != NULL &&
	    sodium_memcmp(leaf, claimed_leaf, LEDGER_HASH_BYTES) != 0) {
		ledger_b64_hash(claimed_leaf, b64);
		return ledger_errorf(err, LEDGER_ECRYPTO, "the proof is for "
		    "leaf hash %s, not the entry's", b64);
	}
	st = ledger_merkle_verify_inclusion(index, c->size, leaf, proof,
	    count, c->root, err);
	if (st == LEDGER_ECRYPTO) {
		ledger_b64_hash(c->root, b64);
		return ledger_errorf(err, LEDGER_ECRYPTO, "the audit path of "
		    "entry %" PRIu64 " does not lead to root_hash %s of the "
		    "signed tree of size %" PRIu64, index, b64, c->size);
	}
	return st;
}

enum ledger_status
ledger_checkpoint_check_consistency(const struct ledger_signed_checkpoint *old,
    const struct ledger_signed_checkpoint *new, const uint8_t *proof, size_t count,
    struct ledger_error *err)
{
	enum ledger_status st;

	if (strcmp(old->origin, new->origin) != 0)
		return ledger_errorf(err, LEDGER_ECRYPTO, "checkpoints of "
		    "different logs ('%s', '%s')", old->origin, new->origin);
	if (old->size > new->size)
		return ledger_errorf(err, LEDGER_EINVAL, "first size %" PRIu64
		    " is larger than second %" PRIu64, old->size, new->size);
	st = ledger_merkle_verify_consistency(old->size, new->size, old->root,
	    new->root, proof, count, err);
	if (st == LEDGER_ECRYPTO)
		return ledger_errorf(err, LEDGER_ECRYPTO, "the tree of size %"
		    PRIu64 " is not a prefix of the tree of size %" PRIu64
		    " (the consistency proof does not verify)", old->size,
		    new->size);
	return st;
}
