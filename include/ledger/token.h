/*
 * ledger/token.h - API bearer tokens
 *
 * A token is "ledger_<scope>_<43 base64url characters>" (256 random bits).
 * Only its SHA-256 is stored.  The daemon loads the hashes of the live
 * tokens into a token set and checks a presented token against every one
 * of them with a constant-time comparison.
 */
#ifndef LEDGER_TOKEN_H
#define LEDGER_TOKEN_H

#include <stdint.h>

#include "ledger/error.h"
#include "ledger/store.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ledger_scope {
	LEDGER_SCOPE_READ = 1,
	LEDGER_SCOPE_WRITE = 2
};

/* Longest token string, with its NUL. */
#define LEDGER_TOKEN_MAX 64
#define LEDGER_TOKEN_LABEL_MAX 128

/* "read" / "write"; NULL for anything else. */
const char *ledger_scope_name(enum ledger_scope s);
enum ledger_status ledger_scope_parse(const char *s, enum ledger_scope *ret,
    struct ledger_error *err) LEDGER_WUR;

/*
 * Create a token of the given scope (label may be NULL) in s, which must be
 * open for writing.  The token itself is written to out (shown to the user
 * once, never stored); its id to *ret_id.
 * Errors: LEDGER_EINVAL, LEDGER_EDB, LEDGER_EIO.
 */
enum ledger_status ledger_token_create(struct ledger_store *s,
    enum ledger_scope scope, const char *label, char out[LEDGER_TOKEN_MAX],
    int64_t *ret_id, struct ledger_error *err) LEDGER_WUR;

/* The same, bound to a machine identity (ledger/identity.h; NULL: not
 * bound): only a request over a connection whose client certificate has
 * that name may use it.  Errors as above; LEDGER_EINVAL for a bad
 * identity or a log whose schema predates bindings. */
enum ledger_status ledger_token_create_bound(struct ledger_store *s,
    enum ledger_scope scope, const char *label, const char *identity,
    char out[LEDGER_TOKEN_MAX], int64_t *ret_id,
    struct ledger_error *err) LEDGER_WUR;

/* Revoke token id.  Errors: LEDGER_ENOTFOUND (no such live token),
 * LEDGER_EDB. */
enum ledger_status ledger_token_revoke(struct ledger_store *s, int64_t id,
    struct ledger_error *err) LEDGER_WUR;

/* Is token id live (created and not revoked)?  One point read: ledgerd
 * asks it for every request, so a revocation takes effect at once.
 * Errors: LEDGER_EDB. */
enum ledger_status ledger_token_live(struct ledger_store *s, int64_t id,
    bool *ret, struct ledger_error *err) LEDGER_WUR;

/* How many live (unrevoked) tokens there are. */
enum ledger_status ledger_token_count(struct ledger_store *s,
    int64_t *ret, struct ledger_error *err) LEDGER_WUR;

struct ledger_token_info {
	int64_t id;
	enum ledger_scope scope;
	const char *label;
	int64_t created_ms;
	int64_t revoked_ms;	/* 0 when live */
	const char *identity;	/* bound to it, or NULL */
};

/* Call fn for each token (live and revoked), in id order. */
enum ledger_status ledger_token_list(struct ledger_store *s,
    void (*fn)(void *ctx, const struct ledger_token_info *t), void *ctx,
    struct ledger_error *err) LEDGER_WUR;

/* The live tokens' hashes, for checking requests. */
struct ledger_tokenset;

/* Load the live tokens of s into a new set (ledger_tokenset_free). */
enum ledger_status ledger_tokenset_load(struct ledger_store *s,
    struct ledger_tokenset **ret, struct ledger_error *err) LEDGER_WUR;
void ledger_tokenset_free(struct ledger_tokenset *ts);

/*
 * Check a presented token: hashes it and compares the hash with every live
 * token's in constant time (the time taken does not depend on which byte
 * differs or which token matched).  On a match stores its scope and id and
 * returns true.
 */
bool ledger_tokenset_check(const struct ledger_tokenset *ts,
    const char *token, size_t len, enum ledger_scope *ret_scope,
    int64_t *ret_id) LEDGER_WUR;

/* The identity live token id is bound to (NULL: none, or no such token);
 * valid while ts is. */
const char *ledger_tokenset_identity(const struct ledger_tokenset *ts,
    int64_t id);

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_TOKEN_H */
