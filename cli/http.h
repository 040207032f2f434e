/* http.h - ledgerctl's HTTP(S) client for --url (libcurl) */
#ifndef LEDGERCTL_HTTP_H
#define LEDGERCTL_HTTP_H

#include <stddef.h>

#include "ledger/error.h"

/* Largest response body accepted. */
#define HTTP_BODY_MAX (80u << 20)

struct http_resp {
	int status;
	char *body;		/* malloc'd, NUL-terminated */
	size_t len;
	char content_type[128];
};

/*
 * GET base_url + path ("https://host:port" + "/v1/events?..."), sending
 * "Authorization: Bearer token" when token is not NULL.  Fills *r (release
 * with http_resp_release).  Any status is a success here; the caller looks
 * at r->status.  Errors: LEDGER_EINVAL (bad URL: http:// or https://),
 * LEDGER_EIO (connect, TLS, send, receive, a body over HTTP_BODY_MAX; the
 * message is libcurl's), LEDGER_ENOMEM.
 */
enum ledger_status http_get(const char *base_url, const char *path,
    const char *token, struct http_resp *r, struct ledger_error *err);
/* POST len bytes at body, with the extra headers ("Name: value", NULL
 * ended; "Expect:" among them keeps curl from waiting for a 100);
 * otherwise as http_get. */
enum ledger_status http_post(const char *base_url, const char *path,
    const char *token, const char *const *headers, const void *body,
    size_t len, struct http_resp *r, struct ledger_error *err);
void http_resp_release(struct http_resp *r);

/* TLS for every request after: the CA bundle to trust (NULL: the
 * system's), a client certificate and its key (PEM files; NULL: none). */
void http_set_tls(const char *cacert, const char *cert, const char *key);

/* The "message" of a JSON error body, or the status line's meaning. */
const char *http_error_message(const struct http_resp *r, char *buf,
    size_t n);

/* Percent-encode s for a query string into buf (of size n); NULL when it
 * does not fit. */
const char *http_escape(const char *s, char *buf, size_t n);

#endif
