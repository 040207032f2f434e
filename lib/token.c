/* token.c - API bearer tokens: create, revoke, check in constant time */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ledger/identity.h"
#include "ledger/token.h"
#include "ledger-int.h"
#include "store-int.h"

struct tok {
	uint8_t hash[crypto_hash_sha256_BYTES];
	enum ledger_scope scope;
	int64_t id;
	char *identity;			/* bound to it, or NULL */
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
	return ledger_token_create_bound(s, scope, label, NULL, out, ret_id,
	    err);
}

enum ledger_status
ledger_token_create_bound(struct ledger_store *s, enum ledger_scope scope,
    const char *label, const char *identity, char out[LEDGER_TOKEN_MAX],
    int64_t *ret_id, struct ledger_error *err)
{
	struct ledger_token_row row;
	uint8_t rnd[32], hash[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(32,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	enum ledger_status st;

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
	if (identity != NULL &&
	    (st = ledger_identity_check_name(identity, err)) != LEDGER_OK)
		return st;
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
	row = (struct ledger_token_row){ .scope = ledger_scope_name(scope),
	    .hash = hash, .hash_len = sizeof(hash), .label = label,
	    .created_ms = ledger_now_ms(), .identity = identity };
	st = s->ops->token_insert(s->be, &row, ret_id, err);
	if (st != LEDGER_OK)
		sodium_memzero(out, LEDGER_TOKEN_MAX);
	return st;
}

enum ledger_status
ledger_token_revoke(struct ledger_store *s, int64_t id,
    struct ledger_error *err)
{
	enum ledger_status st;
	bool changed;

	if ((st = s->ops->token_revoke(s->be, id, ledger_now_ms(), &changed,
	    err)) != LEDGER_OK)
		return st;
	if (!changed)
		return ledger_errorf(err, LEDGER_ENOTFOUND,
		    "no live token with id %" PRId64, id);
	return LEDGER_OK;
}

enum ledger_status
ledger_token_live(struct ledger_store *s, int64_t id, bool *ret,
    struct ledger_error *err)
{
	return s->ops->token_live(s->be, id, ret, err);
}

enum ledger_status
ledger_token_count(struct ledger_store *s, int64_t *ret,
    struct ledger_error *err)
{
	return s->ops->token_count(s->be, ret, err);
}

struct list_ctx {
	void (*fn)(void *ctx, const struct ledger_token_info *t);
	void *ctx;
};

static int
list_one(void *ctx, const struct ledger_token_row *row)
{
	struct list_ctx *l = ctx;
	struct ledger_token_info t;

	if (ledger_scope_parse(row->scope, &t.scope, NULL) != LEDGER_OK)
		return 0;
	t.id = row->id;
	t.label = row->label;
	t.created_ms = row->created_ms;
	t.revoked_ms = row->revoked_ms;
	t.identity = row->identity;
	l->fn(l->ctx, &t);
	return 0;
}

enum ledger_status
ledger_token_list(struct ledger_store *s,
    void (*fn)(void *ctx, const struct ledger_token_info *t), void *ctx,
    struct ledger_error *err)
{
	struct list_ctx l = { fn, ctx };

	return s->ops->token_scan(s->be, list_one, &l, err);
}

struct load_ctx {
	struct ledger_tokenset *ts;
	bool nomem;
};

/* A live token with a well-formed hash and scope joins the set. */
static int
load_one(void *ctx, const struct ledger_token_row *row)
{
	struct load_ctx *l = ctx;
	struct ledger_tokenset *ts = l->ts;
	enum ledger_scope sc;
	struct tok *p;
	char *bound = NULL;

	if (row->revoked_ms != 0 ||
	    row->hash_len != crypto_hash_sha256_BYTES ||
	    ledger_scope_parse(row->scope, &sc, NULL) != LEDGER_OK)
		return 0;
	if ((row->identity != NULL &&
	    (bound = strdup(row->identity)) == NULL) ||
	    (p = realloc(ts->t, (ts->n + 1) * sizeof(*p))) == NULL) {
		free(bound);
		l->nomem = true;
		return 1;
	}
	ts->t = p;
	p = &ts->t[ts->n++];
	p->id = row->id;
	p->scope = sc;
	p->identity = bound;
	memcpy(p->hash, row->hash, sizeof(p->hash));
	return 0;
}

enum ledger_status
ledger_tokenset_load(struct ledger_store *s, struct ledger_tokenset **ret,
    struct ledger_error *err)
{
	struct load_ctx l = { NULL, false };
	enum ledger_status st;

	if ((l.ts = calloc(1, sizeof(*l.ts))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	st = s->ops->token_scan(s->be, load_one, &l, err);
	if (st == LEDGER_OK && l.nomem)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (st != LEDGER_OK) {
		ledger_tokenset_free(l.ts);
		return st;
	}
	*ret = l.ts;
	return LEDGER_OK;
}

void
ledger_tokenset_free(struct ledger_tokenset *ts)
{
	size_t i;

	if (ts == NULL)
		return;
	for (i = 0; i < ts->n; i++)
		free(ts->t[i].identity);
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

const char *
ledger_tokenset_identity(const struct ledger_tokenset *ts, int64_t id)
{
	size_t i;

	for (i = 0; ts != NULL && i < ts->n; i++)
		if (ts->t[i].id == id)
			return ts->t[i].identity;
	return NULL;
}
