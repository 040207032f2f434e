/*
 * http.c - ledgerctl's HTTP(S) client for --url, on libcurl
 *
 * http:// and https:// only (no redirects followed, no other protocol);
 * TLS with the system's CA store, or --cacert; a client certificate with
 * --cert/--client-key for ledgerd's mTLS; proxies from the environment
 * (http_proxy, https_proxy, no_proxy) as libcurl reads them.  One handle
 * is kept for the process, so the many requests of verify --url reuse
 * one connection.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "http.h"

#define CONNECT_TIMEOUT_S 10
#define STALL_S 60		/* below 1 byte/s for this long: give up */

static struct {
	CURL *h;
	char *cacert, *cert, *key;
} cl;

void
http_resp_release(struct http_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static void
http_cleanup(void)
{
	curl_easy_cleanup(cl.h);
	free(cl.cacert);
	free(cl.cert);
	free(cl.key);
	memset(&cl, 0, sizeof(cl));
	curl_global_cleanup();
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

void
http_set_tls(const char *cacert, const char *cert, const char *key)
{
	free(cl.cacert);
	free(cl.cert);
	free(cl.key);
	cl.cacert = dup_or_null(cacert);
	cl.cert = dup_or_null(cert);
	cl.key = dup_or_null(key);
}

/* The handle, made once (curl_global_init is not thread-safe: ledgerctl
 * calls it from its one thread). */
static CURL *
handle(struct ledger_error *err)
{
	if (cl.h != NULL)
		return cl.h;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (cl.h = curl_easy_init()) == NULL) {
		ledger_errorf(err, LEDGER_ENOMEM, "libcurl failed to start");
		return NULL;
	}
	atexit(http_cleanup);
	return cl.h;
}

struct sink {
	struct http_resp *r;
	size_t cap;
	bool too_large;
};

static size_t
on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *k = ctx;
	size_t len = size * n, cap;
	char *b;

	if (k->r->len + len > HTTP_BODY_MAX) {
		k->too_large = true;
		return 0;	/* abort the transfer */
	}
	if (k->r->len + len + 1 > k->cap) {
		cap = k->cap ? k->cap : 65536;
		while (cap < k->r->len + len + 1)
			cap *= 2;
		if ((b = realloc(k->r->body, cap)) == NULL)
			return 0;
		k->r->body = b;
		k->cap = cap;
	}
	memcpy(k->r->body + k->r->len, p, len);
	k->r->len += len;
	k->r->body[k->r->len] = '\0';
	return len;
}

/* base_url + path, without doubling the slash between them. */
static char *
join(const char *base, const char *path)
{
	size_t n = strlen(base);
	char *u;

	while (n > 0 && base[n - 1] == '/')
		n--;
	if (asprintf(&u, "%.*s%s", (int)n, base, path) < 0)
		return NULL;
	return u;
}

static void
set_options(CURL *h, const char *url, struct curl_slist *hdr,
    struct sink *k, char *errbuf)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)STALL_S);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ledgerctl");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	if (cl.cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, cl.cacert);
	if (cl.cert != NULL)
		curl_easy_setopt(h, CURLOPT_SSLCERT, cl.cert);
	if (cl.key != NULL)
		curl_easy_setopt(h, CURLOPT_SSLKEY, cl.key);
}

/* GET, or POST len bytes at body with the extra headers (NULL ended). */
static enum ledger_status
request(const char *base_url, const char *path, const char *token,
    const char *const *headers, const void *body, size_t len,
    struct http_resp *r, struct ledger_error *err)
{
	char errbuf[CURL_ERROR_SIZE] = "", *url = NULL, *auth = NULL;
	struct curl_slist *hdr = NULL, *more;
	struct sink k = { r, 0, false };
	enum ledger_status st = LEDGER_OK;
	const char *ct = NULL;
	long code = 0;
	CURLcode rc;
	size_t i;
	CURL *h;

	memset(r, 0, sizeof(*r));
	if (strncmp(base_url, "http://", 7) != 0 &&
	    strncmp(base_url, "https://", 8) != 0)
		return ledger_errorf(err, LEDGER_EINVAL, "bad URL '%.200s': "
		    "want http:// or https://", base_url);
	if (token != NULL && strpbrk(token, "\r\n") != NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "bad token");
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		if (strpbrk(headers[i], "\r\n") != NULL)
			return ledger_errorf(err, LEDGER_EINVAL, "bad header");
	if ((h = handle(err)) == NULL)
		return LEDGER_ENOMEM;
	if ((url = join(base_url, path)) == NULL ||
	    (token != NULL && asprintf(&auth, "Authorization: Bearer %s",
	    token) < 0) ||
	    (hdr = curl_slist_append(NULL, "Accept: */*")) == NULL ||
	    (auth != NULL && (more = curl_slist_append(hdr, auth)) == NULL)) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		if ((more = curl_slist_append(hdr, headers[i])) == NULL) {
			st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
			goto out;
		}
	curl_easy_reset(h);
	set_options(h, url, hdr, &k, errbuf);
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
	}
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		st = ledger_errorf(err, rc == CURLE_URL_MALFORMAT ?
		    LEDGER_EINVAL : LEDGER_EIO, "%s", k.too_large ?
		    "response too large" : errbuf[0] ? errbuf :
		    curl_easy_strerror(rc));
		http_resp_release(r);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	r->status = (int)code;
	if (ct != NULL)
		snprintf(r->content_type, sizeof(r->content_type), "%s", ct);
	if (r->body == NULL && (r->body = calloc(1, 1)) == NULL)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
out:
	/* the handle keeps no pointer into what is freed here past the
	 * next reset */
	curl_slist_free_all(hdr);
	free(auth);
	free(url);
	return st;
}

enum ledger_status
http_get(const char *base_url, const char *path, const char *token,
    struct http_resp *r, struct ledger_error *err)
{
	return request(base_url, path, token, NULL, NULL, 0, r, err);
}

enum ledger_status
http_post(const char *base_url, const char *path, const char *token,
    const char *const *headers, const void *body, size_t len,
    struct http_resp *r, struct ledger_error *err)
{
	return request(base_url, path, token, headers, body != NULL ? body :
	    "", len, r, err);
}

const char *
http_error_message(const struct http_resp *r, char *buf, size_t n)
{
	json_t *j, *m;

	j = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
	m = json_is_object(j) ? json_object_get(j, "message") : NULL;
	if (json_is_string(m))
		snprintf(buf, n, "%d: %s", r->status, json_string_value(m));
	else
		snprintf(buf, n, "HTTP status %d", r->status);
	json_decref(j);
	return buf;
}

const char *
http_escape(const char *s, char *buf, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0;

	for (; *s && i + 4 < n; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c))
			buf[i++] = (char)c;
		else {
			buf[i++] = '%';
			buf[i++] = hex[c >> 4];
			buf[i++] = hex[c & 15];
		}
	}
	buf[i] = '\0';
	return *s == '\0' ? buf : NULL;
}
