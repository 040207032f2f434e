/* token.c - API bearer tokens: create, revoke, check in constant time */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ledger/token.h"
#include "ledger-int.h"
#include "store-int.h"

struct tok {
	uint8_t hash[crypto_hash_sha256_BYTES];
	enum ledger_scope scope;
	int64_t id;
};

struct ledger_tokenset {
	struct tok *t;
	size_t n;
};

const char *
ledger_scope_name(enum ledger_scope s)
{
	switch (s) {
	case LEDGER_SCOPE_READ:		return "read";
	case LEDGER_SCOPE_WRITE:	return "write";
	}
	return NULL;
}

enum ledger_status
ledger_scope_parse(const char *s, enum ledger_scope *ret,
    struct ledger_error *err)
{
	if (s != NULL && strcmp(s, "read") == 0)
		*ret = LEDGER_SCOPE_READ;
	else if (s != NULL && strcmp(s, "write") == 0)
		*ret = LEDGER_SCOPE_WRITE;
	else
		return ledger_errorf(err, LEDGER_EINVAL,
		    "bad scope '%.32s' (want read or write)", s ? s : "");
	return LEDGER_OK;
}

enum ledger_status
ledger_token_create(struct ledger_store *s, enum ledger_scope scope,
    const char *label, char out[LEDGER_TOKEN_MAX], int64_t *ret_id,
    struct ledger_error *err)
{
	static const char sql[] = "INSERT INTO tokens (scope, hash, label,"
	    " created_ms) VALUES (?1, ?2, ?3, ?4)";
	uint8_t rnd[32], hash[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(32,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	sqlite3_stmt *q = NULL;
	int rc;

	if (ledger_scope_name(scope) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "bad scope");
	if (label == NULL)
		label = "";
	if (strlen(label) > LEDGER_TOKEN_LABEL_MAX ||
	    !ledger_utf8_valid(label, strlen(label)) ||
	    ledger_has_control(label, strlen(label)))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "bad label: at most %d printable UTF-8 bytes",
		    LEDGER_TOKEN_LABEL_MAX);
	if (sodium_init() < 0)
		return ledger_errorf(err, LEDGER_ECRYPTO, "libsodium init");
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2base64(b64, sizeof(b64), rnd, sizeof(rnd),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(rnd, sizeof(rnd));
	snprintf(out, LEDGER_TOKEN_MAX, "ledger_%s_%s",
	    scope == LEDGER_SCOPE_READ ? "r" : "w", b64);
	sodium_memzero(b64, sizeof(b64));
	crypto_hash_sha256(hash, (const uint8_t *)out, strlen(out));
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(q, 1, ledger_scope_name(scope), -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, hash, sizeof(hash), SQLITE_STATIC);
	sqlite3_bind_text(q, 3, label, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, ledger_now_ms());
	if ((rc = sqlite3_step(q)) != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(q);
	*ret_id = sqlite3_last_insert_rowid(s->db);
	return LEDGER_OK;
dberr:
	sqlite3_finalize(q);
	sodium_memzero(out, LEDGER_TOKEN_MAX);
	return ledger_store_dberr(s, rc, err, "create token");
}

enum ledger_status
ledger_token_revoke(struct ledger_store *s, int64_t id,
    struct ledger_error *err)
{
	static const char sql[] = "UPDATE tokens SET revoked_ms = ?2"
	    " WHERE id = ?1 AND revoked_ms IS NULL";
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "revoke token");
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, ledger_now_ms());
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return ledger_store_dberr(s, rc, err, "revoke token");
	if (sqlite3_changes(s->db) != 1)
		return ledger_errorf(err, LEDGER_ENOTFOUND,
		    "no live token with id %" PRId64, id);
	return LEDGER_OK;
}

enum ledger_status
ledger_token_live(struct ledger_store *s, int64_t id, bool *ret,
    struct ledger_error *err)
{
	static const char sql[] =
	    "SELECT revoked_ms IS NULL FROM tokens WHERE id = ?1";
	sqlite3_stmt *q;
	int rc;

	/* Asked for every request: the statement is kept on the handle. */
	if (s->st_token_live == NULL && (rc = sqlite3_prepare_v3(s->db, sql,
	    -1, SQLITE_PREPARE_PERSISTENT, &s->st_token_live, NULL)))
		return ledger_store_dberr(s, rc, err, "read token");
	q = s->st_token_live;
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	*ret = rc == SQLITE_ROW && sqlite3_column_int(q, 0) == 1;
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_store_dberr(s, rc, err, "read token");
	return LEDGER_OK;
}

enum ledger_status
ledger_token_count(struct ledger_store *s, int64_t *ret,
    struct ledger_error *err)
{
	static const char sql[] =
	    "SELECT count(*) FROM tokens WHERE revoked_ms IS NULL";
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "count tokens");
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return ledger_store_dberr(s, rc, err, "count tokens");
	return LEDGER_OK;
}

enum ledger_status
ledger_token_list(struct ledger_store *s,
    void (*fn)(void *ctx, const struct ledger_token_info *t), void *ctx,
    struct ledger_error *err)
{
	static const char sql[] = "SELECT id, scope, label, created_ms,"
	    " revoked_ms FROM tokens ORDER BY id";
	struct ledger_token_info t;
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return ledger_store_dberr(s, rc, err, "list tokens");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		t.id = sqlite3_column_int64(q, 0);
		if (ledger_scope_parse((const char *)sqlite3_column_text(q, 1),
		    &t.scope, NULL) != LEDGER_OK)
			continue;
		t.label = (const char *)sqlite3_column_text(q, 2);
		t.created_ms = sqlite3_column_int64(q, 3);
		t.revoked_ms = sqlite3_column_int64(q, 4);
		fn(ctx, &t);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return ledger_store_dberr(s, rc, err, "list tokens");
	return LEDGER_OK;
}

enum ledger_status
ledger_tokenset_load(struct ledger_store *s, struct ledger_tokenset **ret,
    struct ledger_error *err)
{
	static const char sql[] = "SELECT id, scope, hash FROM tokens"
	    " WHERE revoked_ms IS NULL ORDER BY id";
	struct ledger_tokenset *ts;
	struct tok *p;
	sqlite3_stmt *q = NULL;
	int rc;

	if ((ts = calloc(1, sizeof(*ts))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK)
		goto dberr;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(q, 2) != crypto_hash_sha256_BYTES)
			continue;
		if ((p = realloc(ts->t, (ts->n + 1) * sizeof(*p))) == NULL) {
			sqlite3_finalize(q);
			ledger_tokenset_free(ts);
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "out of memory");
		}
		ts->t = p;
		p = &ts->t[ts->n];
		p->id = sqlite3_column_int64(q, 0);
		if (ledger_scope_parse((const char *)sqlite3_column_text(q, 1),
		    &p->scope, NULL) != LEDGER_OK)
			continue;
		memcpy(p->hash, sqlite3_column_blob(q, 2), sizeof(p->hash));
		ts->n++;
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(q);
	*ret = ts;
	return LEDGER_OK;
dberr:
	sqlite3_finalize(q);
	ledger_tokenset_free(ts);
	return ledger_store_dberr(s, rc, err, "load tokens");
}

void
ledger_tokenset_free(struct ledger_tokenset *ts)
{
	if (ts == NULL)
		return;
	if (ts->t != NULL)
		sodium_memzero(ts->t, ts->n * sizeof(*ts->t));
	free(ts->t);
	free(ts);
}

bool
ledger_tokenset_check(const struct ledger_tokenset *ts, const char *token,
    size_t len, enum ledger_scope *ret_scope, int64_t *ret_id)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	size_t i, found = SIZE_MAX;

	if (ts == NULL || token == NULL || len == 0 || len >= LEDGER_TOKEN_MAX)
		return false;
	crypto_hash_sha256(h, (const uint8_t *)token, len);
	/* Compare with every token, whatever matched: no early exit. */
	for (i = 0; i < ts->n; i++)
		if (sodium_memcmp(h, ts->t[i].hash, sizeof(h)) == 0)
			found = i;
	sodium_memzero(h, sizeof(h));
	if (found == SIZE_MAX)
		return false;
	*ret_scope = ts->t[found].scope;
	*ret_id = ts->t[found].id;
	return true;
}
