/*
 * tlog.c - signed checkpoints and proofs from a data directory or a
 * daemon, and their checks (see tlog.h)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "ledger/wire.h"
#include "ledger/entry.h"
#include "ledger/tree.h"
#include "cli.h"
#include "http.h"
#include "tlog.h"

int
tlog_exit_status(enum ledger_status st)
{
	switch (st) {
	case LEDGER_OK:
		return EXIT_YES;
	case LEDGER_ECRYPTO:
	case LEDGER_ECHAIN:
	case LEDGER_EINVAL:
	case LEDGER_ENOTFOUND:
		return EXIT_NO;
	default:
		return EXIT_TROUBLE;
	}
}




/* ---- sources ---- */

/* Prefix err's message with "GET path: ". */
static void
src_error_prefix_get(struct ledger_error *err, const char *path)
{
	char msg[sizeof(err->msg) + 128];

	if (err == NULL)
		return;
	snprintf(msg, sizeof(msg), "GET %.100s: %s", path, err->msg);
	memcpy(err->msg, msg, sizeof(err->msg) - 1);
	err->msg[sizeof(err->msg) - 1] = '\0';
}

enum ledger_status
tlog_src_open(struct tlog_src *src, const char *dir, const char *database,
    const char *log, const char *url, const char *token,
    struct ledger_error *err)
{
	memset(src, 0, sizeof(*src));
	src->dir = dir != NULL ? dir : "the database";
	src->url = url;
	src->token = token;
	if (url != NULL)
		return LEDGER_OK;
	return ledger_store_open_at(dir, database, log, LEDGER_STORE_READONLY,
	    &src->store, err);
}

void
tlog_src_close(struct tlog_src *src)
{
	if (src == NULL)
		return;
	ledger_store_close(src->store);
	src->store = NULL;
}

const char *
tlog_src_name(const struct tlog_src *src)
{
	return src->url != NULL ? src->url : src->dir;
}

/*
 * GET path from the daemon; only a 200 is a success.  An HTTP error turns
 * into a code by what it means for the caller: 404 not found, 400 refused,
 * 401/403 no access, anything else could not check.
 */
static enum ledger_status
get(const struct tlog_src *src, const char *path, bool auth,
    struct http_resp *r, struct ledger_error *err)
{
	struct ledger_error herr;
	enum ledger_status code;
	char msg[300];

	if (http_get(src->url, path, auth ? src->token : NULL, r, &herr) !=
	    LEDGER_OK)
		return ledger_errorf(err, LEDGER_EIO, "%s: %s", src->url,
		    herr.msg);
	if (r->status == 200)
		return LEDGER_OK;
	http_error_message(r, msg, sizeof(msg));
	code = r->status == 404 ? LEDGER_ENOTFOUND : r->status == 400 ?
	    LEDGER_EINVAL : r->status == 401 || r->status == 403 ?
	    LEDGER_EPERM : LEDGER_EIO;
	http_resp_release(r);
	return ledger_errorf(err, code, "GET %s: %s", path, msg);
}

static enum ledger_status
get_json(const struct tlog_src *src, const char *path, json_t **ret,
    struct ledger_error *err)
{
	struct http_resp r;
	enum ledger_status st;
	json_error_t je;

	if ((st = get(src, path, false, &r, err)) != LEDGER_OK)
		return st;
	*ret = json_loadb(r.body, r.len, JSON_REJECT_DUPLICATES, &je);
	http_resp_release(&r);
	if (*ret == NULL || !json_is_object(*ret)) {
		json_decref(*ret);
		*ret = NULL;
		return ledger_errorf(err, LEDGER_EIO, "GET %s: the answer is "
		    "not a JSON object", path);
	}
	return LEDGER_OK;
}

/* The store's code for a refused size is LEDGER_EINVAL, like a 400. */
enum ledger_status
tlog_get_checkpoint(struct tlog_src *src, bool latest, uint64_t size,
    char **ret_note, size_t *ret_len, struct ledger_error *err)
{
	struct ledger_signed_checkpoint sc;
	struct http_resp r;
	enum ledger_status st;
	char path[64];

	*ret_note = NULL;
	*ret_len = 0;
	if (src->url == NULL) {
		st = latest ? ledger_store_checkpoint_latest(src->store, &sc,
		    err) : ledger_store_checkpoint_get(src->store, size, &sc,
		    err);
		if (st != LEDGER_OK)
			return st;
		*ret_note = sc.note;
		*ret_len = sc.note_len;
		return LEDGER_OK;
	}
	if (latest)
		snprintf(path, sizeof(path), "/v1/checkpoint");
	else
		snprintf(path, sizeof(path), "/v1/checkpoint/%" PRIu64, size);
	if ((st = get(src, path, false, &r, err)) != LEDGER_OK)
		return st;
	if (r.len > LEDGER_NOTE_MAX_BYTES || memchr(r.body, '\0', r.len)) {
		http_resp_release(&r);
		return ledger_errorf(err, LEDGER_EINVAL, "GET %s: the answer "
		    "is not a signed note", path);
	}
	*ret_note = r.body;
	*ret_len = r.len;
	return LEDGER_OK;
}

enum ledger_status
tlog_get_consistency(struct tlog_src *src, uint64_t m, uint64_t n,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err)
{
	enum ledger_status st;
	char path[96];
	json_t *doc;

	*ret_count = 0;
	if (src->url == NULL)
		return ledger_store_prove_consistency(src->store, m, n, proof,
		    ret_count, err);
	snprintf(path, sizeof(path), "/v1/proof/consistency?first=%" PRIu64
	    "&second=%" PRIu64, m, n);
	if ((st = get_json(src, path, &doc, err)) != LEDGER_OK)
		return st;
	if ((st = ledger_consistency_parse(doc, m, n, proof, ret_count,
	    err)) != LEDGER_OK)
		src_error_prefix_get(err, path);
	json_decref(doc);
	return st;
}

enum ledger_status
tlog_get_inclusion(struct tlog_src *src, uint64_t index, uint64_t size,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, uint8_t ret_leaf[LEDGER_HASH_BYTES],
    bool *ret_has_leaf, struct ledger_error *err)
{
	uint8_t leaf[LEDGER_HASH_BYTES];
	enum ledger_status st;
	char path[96];
	json_t *doc;

	*ret_count = 0;
	*ret_has_leaf = false;
	if (src->url == NULL)
		return ledger_store_prove_inclusion(src->store, index, size,
		    proof, ret_count, err);
	snprintf(path, sizeof(path), "/v1/proof/inclusion?seq=%" PRIu64
	    "&size=%" PRIu64, index, size);
	if ((st = get_json(src, path, &doc, err)) != LEDGER_OK)
		return st;
	if ((st = ledger_inclusion_parse(doc, index, size, proof, ret_count,
	    leaf, err)) != LEDGER_OK)
		src_error_prefix_get(err, path);
	json_decref(doc);
	if (st == LEDGER_OK) {
		if (ret_leaf != NULL)
			memcpy(ret_leaf, leaf, LEDGER_HASH_BYTES);
		*ret_has_leaf = true;
	}
	return st;
}

enum ledger_status
tlog_get_entry(struct tlog_src *src, uint64_t seq, struct ledger_row *row,
    struct ledger_error *err)
{
	struct http_resp r;
	enum ledger_status st;
	const char *sig;
	char path[64];
	json_t *doc = NULL;
	json_error_t je;

	memset(row, 0, sizeof(*row));
	if (src->url == NULL)
		return ledger_store_get(src->store, seq, row, err);
	/* The exact bytes, as signed and hashed... */
	snprintf(path, sizeof(path), "/v1/events/%" PRIu64 "/entry", seq);
	if ((st = get(src, path, true, &r, err)) != LEDGER_OK)
		return st;
	row->entry = (uint8_t *)r.body;
	row->entry_len = r.len;
	/* ...and the signature, from the entry's JSON. */
	snprintf(path, sizeof(path), "/v1/events/%" PRIu64, seq);
	if ((st = get(src, path, true, &r, err)) != LEDGER_OK)
		goto fail;
	doc = json_loadb(r.body, r.len, 0, &je);
	http_resp_release(&r);
	sig = json_string_value(json_object_get(doc, "signature"));
	if (sig == NULL || ledger_unhex(sig, row->sig, LEDGER_SIG_BYTES,
	    NULL) != LEDGER_OK) {
		st = ledger_errorf(err, LEDGER_EINVAL, "GET %s: no valid "
		    "'signature' in the answer", path);
		goto fail;
	}
	json_decref(doc);
	return LEDGER_OK;
fail:
	json_decref(doc);
	ledger_row_release(row);
	return st;
}

enum ledger_status
tlog_prove_consistency(void *src, uint64_t m, uint64_t n,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err)
{
	return tlog_get_consistency(src, m, n, proof, ret_count, err);
}
