/*
 * http.c - a minimal HTTP/1.1 client for ledgerctl --url
 *
 * One request per connection (Connection: close), plain http:// only:
 * ledgerd listens on loopback by default; put TLS in front of it with a
 * proxy, and point ledgerctl at a local tunnel or the proxy's plain side.
 */
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <jansson.h>

#include "http.h"

#define TIMEOUT_S 60

void
http_resp_release(struct http_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static enum ledger_status
split_url(const char *url, char *host, size_t hn, char *port, size_t pn,
    const char **prefix, struct ledger_error *err)
{
	const char *p, *slash, *colon;
	size_t len;

	if (strncmp(url, "http://", 7) != 0)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "bad url '%.80s': only http://HOST:PORT is supported", url);
	p = url + 7;
	slash = strchr(p, '/');
	len = slash ? (size_t)(slash - p) : strlen(p);
	*prefix = slash ? slash : "";
	if (len > 0 && p[0] == '[') {
		const char *rb = memchr(p, ']', len);

		if (rb == NULL)
			goto bad;
		if ((size_t)(rb - p - 1) >= hn)
			goto bad;
		memcpy(host, p + 1, (size_t)(rb - p - 1));
		host[rb - p - 1] = '\0';
		colon = rb + 1 < p + len && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(p, ':', len);
		if ((size_t)((colon ? colon : p + len) - p) >= hn)
			goto bad;
		memcpy(host, p, (size_t)((colon ? colon : p + len) - p));
		host[(colon ? colon : p + len) - p] = '\0';
	}
	if (colon != NULL) {
		size_t plen = (size_t)(p + len - colon - 1);

		if (plen == 0 || plen >= pn)
			goto bad;
		memcpy(port, colon + 1, plen);
		port[plen] = '\0';
	} else
		snprintf(port, pn, "80");
	if (host[0] == '\0')
		goto bad;
	return LEDGER_OK;
bad:
	return ledger_errorf(err, LEDGER_EINVAL, "bad url '%.80s'", url);
}

static int
dial(const char *host, const char *port, struct ledger_error *err)
{
	struct addrinfo hints, *ai, *a;
	struct timeval tv = { TIMEOUT_S, 0 };
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		ledger_errorf(err, LEDGER_EIO, "resolve '%s': %s", host,
		    gai_strerror(rc));
		return -1;
	}
	for (a = ai; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
		    a->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		ledger_errorf_errno(err, LEDGER_EIO, errno,
		    "connect to %s port %s", host, port);
	freeaddrinfo(ai);
	return fd;
}

/* Decode a chunked body in place. */
static int
dechunk(char *b, size_t len, size_t *out)
{
	size_t r = 0, w = 0, n;
	char *end;

	for (;;) {
		errno = 0;
		n = strtoul(b + r, &end, 16);
		if (errno || end == b + r)
			return -1;
		r = (size_t)(end - b);
		while (r < len && b[r] != '\n')
			r++;
		if (r >= len)
			return -1;
		r++;
		if (n == 0)
			break;
		if (n > len - r)
			return -1;
		memmove(b + w, b + r, n);
		w += n;
		r += n;
		if (r + 2 > len || b[r] != '\r' || b[r + 1] != '\n')
			return -1;
		r += 2;
	}
	b[w] = '\0';
	*out = w;
	return 0;
}

enum ledger_status
http_get(const char *base_url, const char *path, const char *token,
    struct http_resp *r, struct ledger_error *err)
{
	char host[256], port[16], *req = NULL, *buf = NULL, *hend, *line, *p;
	const char *prefix = "";
	size_t len = 0, cap = 0, hlen;
	enum ledger_status st;
	ssize_t n;
	int fd, k;
	bool chunked = false;

	memset(r, 0, sizeof(*r));
	if ((st = split_url(base_url, host, sizeof(host), port, sizeof(port),
	    &prefix, err)) != LEDGER_OK)
		return st;
	if (token != NULL && strpbrk(token, "\r\n") != NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "bad token");
	k = asprintf(&req, "GET %s%s HTTP/1.1\r\nHost: %s:%s\r\n"
	    "User-Agent: ledgerctl\r\nAccept: */*\r\nConnection: close\r\n"
	    "%s%s%s\r\n", strcmp(prefix, "/") == 0 ? "" : prefix, path,
	    host, port, token ? "Authorization: Bearer " : "",
	    token ? token : "", token ? "\r\n" : "");
	if (k < 0)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if ((fd = dial(host, port, err)) < 0) {
		free(req);
		return LEDGER_EIO;
	}
	for (p = req, hlen = (size_t)k; hlen > 0; ) {
		n = send(fd, p, hlen, MSG_NOSIGNAL);
		if (n <= 0) {
			st = ledger_errorf_errno(err, LEDGER_EIO, errno,
			    "send to %s", base_url);
			goto out;
		}
		p += n;
		hlen -= (size_t)n;
	}
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 131072;
			if ((p = realloc(buf, cap + 1)) == NULL) {
				st = ledger_errorf(err, LEDGER_ENOMEM,
				    "out of memory");
				goto out;
			}
			buf = p;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = ledger_errorf_errno(err, LEDGER_EIO, errno,
			    "receive from %s", base_url);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > HTTP_BODY_MAX) {
			st = ledger_errorf(err, LEDGER_EIO,
			    "response from %s is too large", base_url);
			goto out;
		}
	}
	if (buf == NULL)
		goto malformed;
	buf[len] = '\0';
	if ((hend = strstr(buf, "\r\n\r\n")) == NULL ||
	    sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
		goto malformed;
	*hend = '\0';
	for (line = strstr(buf, "\r\n"); line != NULL && line < hend;
	    line = strstr(line, "\r\n")) {
		line += 2;
		if (strncasecmp(line, "Content-Type:", 13) == 0) {
			p = line + 13;
			while (*p == ' ')
				p++;
			snprintf(r->content_type, sizeof(r->content_type),
			    "%.*s", (int)strcspn(p, "\r"), p);
		} else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 &&
		    strcasestr(line, "chunked") != NULL)
			chunked = true;
	}
	hlen = (size_t)(hend + 4 - buf);
	memmove(buf, buf + hlen, len - hlen + 1);
	len -= hlen;
	if (chunked && dechunk(buf, len, &len) != 0)
		goto malformed;
	r->body = buf;
	r->len = len;
	buf = NULL;
	st = LEDGER_OK;
	goto out;
malformed:
	st = ledger_errorf(err, LEDGER_EIO, "malformed response from %s",
	    base_url);
out:
	close(fd);
	free(req);
	free(buf);
	return st;
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
	return buf;
}
