/*
 * source-auth.c - webhook sources: authentication (HMAC signatures, Standard
 * Webhooks, tokens, each on the raw bytes) and media types
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <nettle/hmac.h>
#include <nettle/nettle-meta.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <sodium.h>

#include "ledger/entry.h"
#include "ledger/jcs.h"
#include "ledger/source.h"
#include "ledger-int.h"
#include "source-int.h"
#include "sha256.h"

#define HMAC_BYTES crypto_auth_hmacsha256_BYTES

/* ---- authentication ---- */

const char *
src_header(const struct ledger_hook_request *req, const char *name)
{
	if (req->header == NULL)
		return NULL;
	return req->header(req->header_ctx, name);
}

/* HMAC-SHA256 over up to three parts joined by '.', then the body: the
 * Standard Webhooks message is id "." timestamp "." body; a plain body
 * HMAC has no parts. */
static void
hmac_body(const uint8_t *key, size_t keylen, const char *p1, const char *p2,
    const struct ledger_hook_request *req, uint8_t out[HMAC_BYTES])
{
	struct ledger_hmac_sha256 st;

	ledger_hmac_sha256_init(&st, key, keylen);
	if (p1 != NULL) {
		ledger_hmac_sha256_update(&st, p1, strlen(p1));
		ledger_hmac_sha256_update(&st, ".", 1);
	}
	if (p2 != NULL) {
		ledger_hmac_sha256_update(&st, p2, strlen(p2));
		ledger_hmac_sha256_update(&st, ".", 1);
	}
	if (req->body_len > 0)
		ledger_hmac_sha256_update(&st, req->body, req->body_len);
	ledger_hmac_sha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/* Check "sha256=<64 hex>" in header hname against the body HMAC. */
static enum ledger_status
check_hex_hmac(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *hname,
    const char *value, struct ledger_error *err)
{
	uint8_t want[HMAC_BYTES], got[HMAC_BYTES];
	int r;

	if (strncmp(value, "sha256=", 7) != 0 ||
	    ledger_unhex(value + 7, got, sizeof(got), NULL) != LEDGER_OK)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': malformed %s header (want sha256=<64 hex "
		    "digits>)", src->name, hname);
	hmac_body(src->secret, src->secret_len, NULL, NULL, req, want);
	r = sodium_memcmp(want, got, sizeof(want));
	sodium_memzero(want, sizeof(want));
	if (r != 0)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': %s does not match the body", src->name,
		    hname);
	return LEDGER_OK;
}

/* Sonatype Nexus: X-Nexus-Webhook-Signature, the hex HMAC-SHA1 of the
 * raw body under the capability's secret key (HMAC-SHA1 is still a sound
 * MAC; it is what Nexus sends). */
enum ledger_status
src_auth_nexus(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err)
{
	const char *sig = src_header(req, "X-Nexus-Webhook-Signature");
	uint8_t want[SHA1_DIGEST_SIZE], got[SHA1_DIGEST_SIZE];
	struct hmac_sha1_ctx ctx;
	int r;

	if (sig == NULL)
		return ledger_errorf(err, LEDGER_EPERM, "source '%s': missing "
		    "X-Nexus-Webhook-Signature header", src->name);
	if (strlen(sig) != 2 * SHA1_DIGEST_SIZE ||
	    ledger_unhex(sig, got, sizeof(got), NULL) != LEDGER_OK)
		return ledger_errorf(err, LEDGER_EPERM, "source '%s': malformed "
		    "X-Nexus-Webhook-Signature (want 40 hex digits)",
		    src->name);
	hmac_sha1_set_key(&ctx, src->secret_len, src->secret);
	hmac_sha1_update(&ctx, req->body_len, req->body);
	hmac_sha1_digest(&ctx, sizeof(want), want);
	r = sodium_memcmp(want, got, sizeof(want));
	sodium_memzero(&ctx, sizeof(ctx));
	sodium_memzero(want, sizeof(want));
	if (r != 0)
		return ledger_errorf(err, LEDGER_EPERM, "source '%s': "
		    "X-Nexus-Webhook-Signature does not match the body",
		    src->name);
	*ret_auth = LEDGER_AUTH_NEXUS_HMAC;
	return LEDGER_OK;
}

/* A hex HMAC of the body under the source's secret with one of nettle's
 * SHA-2 functions, compared in constant time with hex (case-blind);
 * false when hex is not that many digits. */
static bool
sha2_hmac_ok(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *alg, const char *hex)
{
	static const struct {
		const char *name;
		const struct nettle_hash *h;
	} algs[] = {
		{ "sha224", &nettle_sha224 }, { "sha256", &nettle_sha256 },
		{ "sha384", &nettle_sha384 }, { "sha512", &nettle_sha512 },
	};
	uint8_t want[SHA512_DIGEST_SIZE], got[SHA512_DIGEST_SIZE];
	uint8_t outer[512], inner[512], state[512];
	const struct nettle_hash *h = NULL;
	size_t i;
	bool ok;

	for (i = 0; i < sizeof(algs) / sizeof(*algs); i++)
		if (strcmp(alg, algs[i].name) == 0)
			h = algs[i].h;
	if (h == NULL || h->context_size > sizeof(outer) ||
	    strlen(hex) != 2 * h->digest_size ||
	    ledger_unhex(hex, got, h->digest_size, NULL) != LEDGER_OK)
		return false;
	hmac_set_key(outer, inner, state, h, src->secret_len, src->secret);
	hmac_update(state, h, req->body_len, req->body);
	hmac_digest(outer, inner, state, h, h->digest_size, want);
	ok = sodium_memcmp(want, got, h->digest_size) == 0;
	sodium_memzero(outer, sizeof(outer));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(state, sizeof(state));
	sodium_memzero(want, sizeof(want));
	return ok;
}

/* Flux's generic-hmac provider: X-Signature "<alg>=<hex HMAC(token,
 * body)>", alg sha256 today (sha224, sha384, sha512 accepted). */
enum ledger_status
src_auth_flux(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err)
{
	const char *sig = src_header(req, "X-Signature"), *eq;
	char alg[8];

	if (sig == NULL)
		return ledger_errorf(err, LEDGER_EPERM, "source '%s': missing "
		    "X-Signature header", src->name);
	if ((eq = strchr(sig, '=')) == NULL || eq - sig > 6) {
		return ledger_errorf(err, LEDGER_EPERM, "source '%s': malformed "
		    "X-Signature (want sha256=<hex>)", src->name);
	}
	memcpy(alg, sig, (size_t)(eq - sig));
	alg[eq - sig] = '\0';
	if (!sha2_hmac_ok(src, req, alg, eq + 1))
		return ledger_errorf(err, LEDGER_EPERM, "source '%s': "
		    "X-Signature does not match the body", src->name);
	*ret_auth = LEDGER_AUTH_FLUX_HMAC;
	return LEDGER_OK;
}

/* HCP Terraform: X-TFE-Notification-Signature, hex HMAC-SHA512. */
enum ledger_status
src_auth_tfc(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err)
{
	const char *sig = src_header(req, "X-TFE-Notification-Signature");

	if (sig == NULL)
		return ledger_errorf(err, LEDGER_EPERM, "source '%s': missing "
		    "X-TFE-Notification-Signature header", src->name);
	if (!sha2_hmac_ok(src, req, "sha512", sig))
		return ledger_errorf(err, LEDGER_EPERM, "source '%s': "
		    "X-TFE-Notification-Signature does not match the body "
		    "(want 128 hex digits of HMAC-SHA512)", src->name);
	*ret_auth = LEDGER_AUTH_TFC_HMAC;
	return LEDGER_OK;
}

static bool token_ok(const uint8_t *hash, const char *token);

/* Chef's data collector: x-data-collector-token, a static token. */
enum ledger_status
src_auth_chef(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err)
{
	const char *tok = src_header(req, "x-data-collector-token");

	if (tok == NULL)
		return ledger_errorf(err, LEDGER_EPERM, "source '%s': missing "
		    "x-data-collector-token header", src->name);
	if (src->token_hash == NULL || !token_ok(src->token_hash, tok))
		return ledger_errorf(err, LEDGER_EPERM, "source '%s': "
		    "x-data-collector-token does not match", src->name);
	*ret_auth = LEDGER_AUTH_CHEF_TOKEN;
	return LEDGER_OK;
}

/* Compare a presented token with the stored hash, length-blind. */
static bool
token_ok(const uint8_t *hash, const char *token)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	bool ok;

	crypto_hash_sha256(h, (const uint8_t *)token, strlen(token));
	ok = sodium_memcmp(h, hash, sizeof(h)) == 0;
	sodium_memzero(h, sizeof(h));
	return ok;
}

enum ledger_status
src_auth_github(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err)
{
	const char *sig = src_header(req, "X-Hub-Signature-256");
	enum ledger_status rc;

	if (sig == NULL) {
		if (src_header(req, "X-Hub-Signature") != NULL)
			return ledger_errorf(err, LEDGER_EPERM,
			    "source '%s': only the legacy SHA-1 "
			    "X-Hub-Signature was sent; X-Hub-Signature-256 is "
			    "required", src->name);
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': missing X-Hub-Signature-256 header",
		    src->name);
	}
	rc = check_hex_hmac(src, req, "X-Hub-Signature-256", sig, err);
	if (rc != LEDGER_OK)
		return rc;
	*ret_auth = LEDGER_AUTH_GITHUB_HMAC;
	return LEDGER_OK;
}

/* Epoch seconds, 1 to 12 digits. */
static bool
parse_epoch_s(const char *s, int64_t *ret)
{
	size_t n = strlen(s);

	if (n == 0 || n > 12 || strspn(s, "0123456789") != n)
		return false;
	*ret = strtoll(s, NULL, 10);
	return true;
}

static enum ledger_status
auth_standard_webhooks(const struct ledger_source *src,
    const struct ledger_hook_request *req, struct ledger_error *err)
{
	const char *id, *ts, *sigs, *p, *end;
	uint8_t want[HMAC_BYTES], got[HMAC_BYTES + 3];
	bool seen_v1 = false, ok = false;
	int64_t t, skew;
	long n;

	id = src_header(req, "webhook-id");
	ts = src_header(req, "webhook-timestamp");
	sigs = src_header(req, "webhook-signature");
	if (id == NULL || ts == NULL || sigs == NULL)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': missing %s header", src->name,
		    id == NULL ? "webhook-id" : ts == NULL ?
		    "webhook-timestamp" : "webhook-signature");
	if (id[0] == '\0')
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': empty webhook-id header", src->name);
	if (!parse_epoch_s(ts, &t))
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': malformed webhook-timestamp header (want "
		    "epoch seconds)", src->name);
	skew = req->now_ms / 1000 - t;
	if (skew > src->tolerance_s || -skew > src->tolerance_s)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': webhook-timestamp is %" PRId64 " s %s the "
		    "receiver's clock (tolerance %" PRId64 " s)", src->name,
		    skew < 0 ? -skew : skew, skew < 0 ? "ahead of" : "behind",
		    src->tolerance_s);
	hmac_body(src->signing_key, src->signing_key_len, id, ts, req, want);
	/* "v1,<base64> v1,<base64> v1a,<...>": any v1 may match. */
	for (p = sigs; *p != '\0'; p = end) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (end = p; *end != '\0' && *end != ' '; end++)
			continue;
		if (end - p < 3 || strncmp(p, "v1,", 3) != 0)
			continue;
		seen_v1 = true;
		n = ledger_b64_decode(p + 3, (size_t)(end - p - 3), got,
		    sizeof(got), true);
		if (n == HMAC_BYTES && sodium_memcmp(want, got, HMAC_BYTES) == 0)
			ok = true;
	}
	sodium_memzero(want, sizeof(want));
	if (!seen_v1)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': webhook-signature has no v1 signature",
		    src->name);
	if (!ok)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': webhook-signature does not match the body",
		    src->name);
	return LEDGER_OK;
}

enum ledger_status
src_auth_gitlab(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err)
{
	const char *tok = src_header(req, "X-Gitlab-Token");
	enum ledger_status rc;

	if (tok == NULL)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': missing X-Gitlab-Token header", src->name);
	if (!token_ok(src->token_hash, tok))
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': X-Gitlab-Token does not match", src->name);
	if (src->signing_key == NULL) {
		*ret_auth = LEDGER_AUTH_GITLAB_TOKEN;
		return LEDGER_OK;
	}
	if ((rc = auth_standard_webhooks(src, req, err)) != LEDGER_OK)
		return rc;
	*ret_auth = LEDGER_AUTH_GITLAB_SIGNED;
	return LEDGER_OK;
}

/*
 * JFrog Artifactory: X-JFrog-Event-Auth holds the webhook's secret token
 * as it is (token_file), or, with "use secret for payload signing", a
 * signature of the body (secret_file): taken as the hex HMAC-SHA256, with
 * or without "sha256=" — the docs do not say; receivers in the wild
 * disagree (docs/sources.md).
 */
enum ledger_status
src_auth_jfrog(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err)
{
	const char *v = src_header(req, "X-JFrog-Event-Auth");
	char buf[8 + 2 * HMAC_BYTES];

	if (v == NULL)
		return ledger_errorf(err, LEDGER_EPERM, "source '%s': missing "
		    "X-JFrog-Event-Auth header", src->name);
	if (src->token_hash != NULL && token_ok(src->token_hash, v)) {
		*ret_auth = LEDGER_AUTH_JFROG_TOKEN;
		return LEDGER_OK;
	}
	if (src->secret == NULL)
		return ledger_errorf(err, LEDGER_EPERM, "source '%s': "
		    "X-JFrog-Event-Auth is not the token", src->name);
	snprintf(buf, sizeof(buf), "sha256=%s", strncmp(v, "sha256=", 7) ==
	    0 ? v + 7 : v);
	if (check_hex_hmac(src, req, "X-JFrog-Event-Auth", buf, err) !=
	    LEDGER_OK)
		return LEDGER_EPERM;
	*ret_auth = LEDGER_AUTH_JFROG_HMAC;
	return LEDGER_OK;
}

enum ledger_status
src_auth_hmac_or_bearer(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err)
{
	const char *sig = src_header(req, "X-Ledger-Signature");
	const char *authz = src_header(req, "Authorization");
	enum ledger_status rc;

	if (sig == NULL && authz == NULL)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': missing %s header", src->name,
		    src->secret != NULL && src->token_hash != NULL ?
		    "X-Ledger-Signature or Authorization" :
		    src->secret != NULL ? "X-Ledger-Signature" :
		    "Authorization");
	if (sig != NULL) {
		if (src->secret == NULL)
			return ledger_errorf(err, LEDGER_EPERM,
			    "source '%s': X-Ledger-Signature sent, but the "
			    "source has no secret_file", src->name);
		rc = check_hex_hmac(src, req, "X-Ledger-Signature", sig, err);
		if (rc != LEDGER_OK)
			return rc;
	}
	if (authz != NULL) {
		const char *tok = authz;

		if (src->token_hash == NULL) {
			/* A signed request may carry an Authorization header
			 * meant for a proxy; only refuse it when it is all
			 * there is. */
			if (sig != NULL)
				goto done;
			return ledger_errorf(err, LEDGER_EPERM,
			    "source '%s': Authorization sent, but the source "
			    "has no token_file", src->name);
		}
		if (strncasecmp(tok, "Bearer ", 7) != 0)
			return ledger_errorf(err, LEDGER_EPERM,
			    "source '%s': Authorization is not a Bearer token",
			    src->name);
		for (tok += 7; *tok == ' '; tok++)
			continue;
		if (!token_ok(src->token_hash, tok))
			return ledger_errorf(err, LEDGER_EPERM,
			    "source '%s': bearer token does not match",
			    src->name);
	}
done:
	/* The HMAC binds the body; a token does not: record the stronger. */
	*ret_auth = sig != NULL ? LEDGER_AUTH_HMAC : LEDGER_AUTH_BEARER;
	return LEDGER_OK;
}

enum ledger_status
ledger_source_authenticate(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err)
{
	const struct src_adapter *a;

	if (src == NULL || req == NULL || ret_auth == NULL ||
	    (req->body == NULL && req->body_len > 0))
		return ledger_errorf(err, LEDGER_EINVAL, "bad arguments");
	if ((a = src_adapter(src->type)) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "bad source type");
	if (src->unauthenticated) {
		/* every entry says so: anyone could have sent it */
		*ret_auth = LEDGER_AUTH_NONE;
		return LEDGER_OK;
	}
	return a->authenticate(src, req, ret_auth, err);
}

/* ---- media types ---- */

enum ledger_status
src_media_type(const char *ct, char *out, size_t n, struct ledger_error *err)
{
	/* RFC 9110 token characters, and the one '/' */
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t len, i, slash;

	if (ct == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "missing Content-Type header");
	while (*ct == ' ' || *ct == '\t')
		ct++;
	len = strcspn(ct, ";");
	while (len > 0 && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
		len--;
	slash = strcspn(ct, "/");
	if (len == 0 || len >= n || slash == 0 || slash + 1 >= len ||
	    strspn(ct, tchar) != slash ||
	    strspn(ct + slash + 1, tchar) != len - slash - 1)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "malformed Content-Type header");
	for (i = 0; i < len; i++)
		out[i] = (char)((ct[i] >= 'A' && ct[i] <= 'Z') ?
		    ct[i] - 'A' + 'a' : ct[i]);
	out[len] = '\0';
	return LEDGER_OK;
}

enum ledger_status
ledger_source_check_media_type(const struct ledger_source *src,
    const struct ledger_hook_request *req, struct ledger_error *err)
{
	char mt[128];
	enum ledger_status rc;

	if (src == NULL || req == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "bad arguments");
	if ((rc = src_media_type(req->content_type, mt, sizeof(mt), err)))
		return rc;
	if (src_adapter(src->type) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "bad source type");
	return src_adapter(src->type)->media_type(mt, req, err);
}
