/*
 * http-auth.c - who is asking: the client certificate (http-tls.c), a
 * bearer token (checked in constant time against the live set, and live
 * again at the store), the identity a token is bound to, and the burst of
 * refusals a peer runs into (refusals.c)
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ledger/identity.h"
#include "ledger/token.h"
#include "http-int.h"

static struct {
	pthread_rwlock_t tok_lock;
	struct ledger_tokenset *tokens;	/* under tok_lock */
	atomic_bool anonymous_read;
} auth = {
	.tok_lock = PTHREAD_RWLOCK_INITIALIZER,
};

void
auth_set_config(const struct config *c)
{
	atomic_store(&auth.anonymous_read, c->anonymous_read);
}

static void
tokens_swap(struct ledger_tokenset *ts)
{
	struct ledger_tokenset *old;

	pthread_rwlock_wrlock(&auth.tok_lock);
	old = auth.tokens;
	auth.tokens = ts;
	pthread_rwlock_unlock(&auth.tok_lock);
	ledger_tokenset_free(old);
}

void
http_reload_tokens(void)
{
	struct ledger_tokenset *ts;
	struct ledger_store *s;
	struct ledger_error err;

	if ((s = pool_get(&err)) == NULL) {
		log_error("reload tokens: %s", err.msg);
		return;
	}
	if (ledger_tokenset_load(s, &ts, &err) != LEDGER_OK)
		log_error("reload tokens: %s", err.msg);
	else
		tokens_swap(ts);
	pool_put(s);
}

/* A live token; *bound_ok: it is bound to nothing or to the identity
 * of this connection's client certificate. */
static bool
token_check(const char *h, const struct ledger_identity *peer,
    enum ledger_scope *scope, int64_t *id, bool *bound_ok)
{
	bool ok;

	pthread_rwlock_rdlock(&auth.tok_lock);
	ok = ledger_tokenset_check(auth.tokens, h, strlen(h), scope, id);
	*bound_ok = ok && ledger_identity_allows(ledger_tokenset_identity(
	    auth.tokens, *id), peer);
	pthread_rwlock_unlock(&auth.tok_lock);
	return ok;
}

const char *
req_addr(struct req *r)
{
	if (r->addr[0] == '\0')
		conn_addr(r->conn, r->addr, sizeof(r->addr));
	return r->addr;
}

void
refused(struct req *r, const char *what)
{
	refusal_note(req_addr(r), what);
}

void
set_auth(struct req *r, const char *base)
{
	if (r->peer != NULL)
		snprintf(r->auth, sizeof(r->auth), "%s+mtls:%s", base,
		    ledger_identity_name(r->peer));
	else
		snprintf(r->auth, sizeof(r->auth), "%s", base);
}

/* A peer refused for a while (refusals.block_per_minute): 429. */
bool
refuse_blocked(struct req *r, enum MHD_Result *ret)
{
	char secs[16];
	const char *hdrs[] = { "Retry-After", secs, NULL };
	unsigned retry = 0;

	if (!refusal_blocked(req_addr(r), &retry))
		return false;
	snprintf(secs, sizeof(secs), "%u", retry);
	metrics_reject(REJECT_BLOCKED);
	*ret = send_error(r, 429, "too_many_requests", hdrs, "too many "
	    "refused credentials from this address; retry in %u s", retry);
	return true;
}

/*
 * The client certificate: 0 to go on (r->peer set when one was verified),
 * else a 401 was queued: one was presented and did not verify, or none
 * was and client_auth is required.
 */
int
check_peer(struct req *r, enum MHD_Result *ret)
{
	const struct ledger_identity *id = NULL;
	const char *why = NULL;
	char safe[200];

	switch (conn_peer(r->conn, &id, &why)) {
	case TLS_PEER_OK:
		r->peer = id;
		return 0;
	case TLS_PEER_NONE:
		if (tls_client_auth() != TLS_CLIENT_REQUIRED)
			return 0;
		metrics_reject(REJECT_CLIENT_CERT);
		refused(r, r->route == ROUTE_HOOKS ? "hooks" : "api");
		*ret = send_error(r, 401, "unauthorized", NULL,
		    "a client certificate is required");
		return -1;
	case TLS_PEER_BAD:
	default:
		metrics_reject(REJECT_CLIENT_CERT);
		refused(r, r->route == ROUTE_HOOKS ? "hooks" : "api");
		log_warn("client certificate refused reason=\"%s\"",
		    log_safe(why, safe, sizeof(safe)));
		*ret = send_error(r, 401, "unauthorized", NULL,
		    "client certificate not accepted: %s", why);
		return -1;
	}
}

/* Reload the token set if the last reload is TOKEN_RELOAD_MS old: one
 * store read per interval however many bad tokens arrive.  True if this
 * call reloaded. */
#define TOKEN_RELOAD_MS 100
static bool
token_reload_due(void)
{
	static _Atomic int64_t last;
	int64_t now = ledger_now_ms(), prev = atomic_load(&last);

	if (now - prev < TOKEN_RELOAD_MS ||
	    !atomic_compare_exchange_strong(&last, &prev, now))
		return false;
	http_reload_tokens();
	return true;
}

/*
 * The token set is reloaded every 2 s; a token revoked since must not
 * work in between: one point read of its row per request.  False (and
 * *ret set: 401, or 503 when the store cannot be read) if it is no longer
 * live.
 */
static bool
token_still_live(int64_t id, struct req *r, enum MHD_Result *ret)
{
	struct ledger_store *s;
	struct ledger_error err;
	bool live = false;

	if ((s = pool_get(&err)) == NULL ||
	    ledger_token_live(s, id, &live, &err) != LEDGER_OK) {
		if (s != NULL)
			pool_put(s);
		*ret = send_status(r, &err);
		return false;
	}
	pool_put(s);
	if (!live) {
		metrics_reject(REJECT_AUTH);
		refused(r, "api");
		*ret = send_error(r, 401, "unauthorized", www_auth,
		    "missing or invalid bearer token");
	}
	return live;
}

/*
 * 0 if the request may go on; else a response was queued.  The message
 * never says whether the token was missing, malformed or unknown.
 */
int
check_auth(struct req *r, enum ledger_scope need, enum MHD_Result *ret)
{
	const char *h;
	enum ledger_scope scope = 0;
	int64_t id = 0;
	bool ok = false, bound_ok = false;
	char base[40];

	if (need == LEDGER_SCOPE_READ && atomic_load(&auth.anonymous_read)) {
		set_auth(r, "anonymous");
		return 0;
	}
	h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		ok = token_check(h, r->peer, &scope, &id, &bound_ok);
		/* A token created a moment ago (ledgerctl token create, beside
		 * us) works at once: an unknown token reloads the set from the
		 * store first, at most every TOKEN_RELOAD_MS. */
		if (!ok && token_reload_due())
			ok = token_check(h, r->peer, &scope, &id, &bound_ok);
	}
	if (ok && !token_still_live(id, r, ret))
		return -1;
	if (!ok) {
		metrics_reject(REJECT_AUTH);
		refused(r, "api");
		*ret = send_error(r, 401, "unauthorized", www_auth,
		    "missing or invalid bearer token");
		return -1;
	}
	if (!bound_ok) {
		metrics_reject(REJECT_IDENTITY);
		refused(r, "api");
		*ret = send_error(r, 403, "forbidden", NULL, "this token is "
		    "bound to a machine identity; this connection's client "
		    "certificate %s", r->peer != NULL ? "is another one" :
		    "is missing");
		return -1;
	}
	/* the gate asked with a write token records its decision */
	if (r->route == ROUTE_GATE && need == LEDGER_SCOPE_READ &&
	    scope == LEDGER_SCOPE_WRITE)
		r->may_write = true;
	else if (scope != need) {
		metrics_reject(REJECT_SCOPE);
		*ret = send_error(r, 403, "forbidden", NULL,
		    "this token has %s scope; this request needs %s scope",
		    ledger_scope_name(scope), ledger_scope_name(need));
		return -1;
	}
	snprintf(base, sizeof(base), "bearer-token:%" PRId64, id);
	set_auth(r, base);
	return 0;
}

void
auth_stop(void)
{
	tokens_swap(NULL);
}
