/*
 * http.c - the HTTP API on libmicrohttpd
 *
 * Threading: MHD's internal epoll thread pool (one thread per core) runs
 * every handler.  A write request, once its body is read and checked, is
 * queued for the sequencer and its connection suspended; the sequencer
 * resumes it after COMMIT, and the handler then sends the receipt.  So
 * two threads serve any number of clients waiting on group commits.
 *
 * Limits on everything a client controls: connections (503 past
 * max_connections), header memory (MHD), body size (413, checked against
 * Content-Length before reading and while streaming; never buffered past
 * the limit), time to send a request (408), idle time (MHD), queue depth
 * (503 with Retry-After).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http-int.h"

#define READ_POOL_MAX 16

static struct {
	struct MHD_Daemon *d;
	int listen_fd;
	char *data_dir;
	pthread_mutex_t mu;
	struct ledger_store *pool[READ_POOL_MAX];
	int npool;
	_Atomic size_t max_body;
	_Atomic uint64_t disk_reserve;
	atomic_uint checkpoint_interval_ms;
	_Atomic unsigned max_connections;
	_Atomic unsigned request_timeout_s;
	atomic_bool metrics_public, access_log;
	atomic_uint inflight;
	struct srcset *sources;		/* under mu */
} srv = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.listen_fd = -1,
};

double
elapsed(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- read handles: a small pool, one per concurrent reader ---- */

struct ledger_store *
pool_get(struct ledger_error *err)
{
	struct ledger_store *s = NULL;

	pthread_mutex_lock(&srv.mu);
	if (srv.npool > 0)
		s = srv.pool[--srv.npool];
	pthread_mutex_unlock(&srv.mu);
	if (s == NULL && ledger_store_open(srv.data_dir, LEDGER_STORE_READONLY,
	    &s, err) != LEDGER_OK)
		return NULL;
	return s;
}

void
pool_put(struct ledger_store *s)
{
	pthread_mutex_lock(&srv.mu);
	if (srv.npool < READ_POOL_MAX) {
		srv.pool[srv.npool++] = s;
		s = NULL;
	}
	pthread_mutex_unlock(&srv.mu);
	ledger_store_close(s);
}

/* ---- webhook sources: replaced whole on reload, freed when unused ---- */

static struct srcset *
sources_get(void)
{
	struct srcset *ss;

	pthread_mutex_lock(&srv.mu);
	if ((ss = srv.sources) != NULL)
		atomic_fetch_add(&ss->refs, 1);
	pthread_mutex_unlock(&srv.mu);
	return ss;
}

static void
sources_put(struct srcset *ss)
{
	if (ss != NULL && atomic_fetch_sub(&ss->refs, 1) == 1) {
		ledger_sources_free(ss->set);
		free(ss);
	}
}

void
http_set_sources(struct config *c)
{
	struct srcset *ss = NULL, *old;

	if (c->sources != NULL && (ss = calloc(1, sizeof(*ss))) != NULL) {
		ss->set = c->sources;
		atomic_store(&ss->refs, 1);
		c->sources = NULL;
	}
	pthread_mutex_lock(&srv.mu);
	old = srv.sources;
	srv.sources = ss;
	pthread_mutex_unlock(&srv.mu);
	sources_put(old);
}

/* ---- request bodies ---- */

static bool
is_json_type(const char *ct)
{
	size_t n;

	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; ");
	return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

/* Check what can be checked before reading a body: connections, auth,
 * content type, declared length.  0 = go on. */
static int
begin_body(struct req *r, enum MHD_Result *ret)
{
	const char *cl, *te;
	unsigned long long n;
	char *end;

	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (cl == NULL && (te == NULL || strcasestr(te, "chunked") == NULL)) {
		metrics_reject(REJECT_LENGTH);
		*ret = send_error(r, 411, "length_required", NULL,
		    "a request body with Content-Length is required");
		return -1;
	}
	if (cl != NULL) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno == 0 && *end == '\0' && n > atomic_load(&srv.max_body)) {
			metrics_reject(REJECT_TOO_LARGE);
			*ret = send_error(r, 413, "payload_too_large", NULL,
			    "body of %llu bytes is over the limit of %zu", n,
			    atomic_load(&srv.max_body));
			return -1;
		}
	}
	return 0;
}

/*
 * Take a chunk of body.  Past the limit the rest is read and thrown away,
 * never buffered, and the 413 is sent when the upload ends (MHD cannot
 * answer in the middle of an upload).  Returns false to close the
 * connection: the client took longer than request_timeout_s.
 */
static bool
read_body(struct req *r, const char *data, size_t *size)
{
	size_t max = atomic_load(&srv.max_body);

	if (elapsed(&r->start) > atomic_load(&srv.request_timeout_s)) {
		metrics_reject(REJECT_TIMEOUT);
		log_info("request timeout route=%s after=%us",
		    route_name(r->route), atomic_load(&srv.request_timeout_s));
		r->status = 408;
		return false;
	}
	if (!r->too_large && r->body.len + *size > max) {
		r->too_large = true;
		ledger_buf_release(&r->body);
	}
	if (!r->too_large && ledger_buf_add(&r->body, data, *size) !=
	    LEDGER_OK) {
		r->too_large = true;	/* out of memory: refuse it too */
		ledger_buf_release(&r->body);
	}
	*size = 0;
	return true;
}

/* ---- routing ---- */

static enum MHD_Result
method_not_allowed(struct req *r, const char *allow)
{
	const char *hdrs[] = { "Allow", allow, NULL };

	return send_error(r, 405, "method_not_allowed", hdrs,
	    "method not allowed; use %s", allow);
}

/*
 * The routing table: a path (exact, or a prefix followed by a seq or a
 * name), the route a GET (or HEAD) and a POST take there (ROUTE_OTHER:
 * not allowed), and a variant the handler needs.
 */
enum path_arg { ARG_NONE, ARG_SEQ, ARG_NAME };
enum variant { V_NONE, V_LATEST, V_SIZE, V_INCLUSION, V_CONSISTENCY,
	V_WHERE, V_TIMELINE, V_EVENT, V_STATUS, V_KEYS, V_READY };

static const struct route_def {
	const char *path;
	enum path_arg arg;
	const char *suffix;		/* after the seq */
	enum route get, post;
	enum variant variant;
	bool bad_arg_400;		/* a malformed seq is 400, not 404 */
} route_table[] = {
	{ "/v1/events", ARG_NONE, "", ROUTE_EVENTS_LIST, ROUTE_EVENTS_POST,
	  V_NONE, false },
	{ "/v1/events/", ARG_SEQ, "", ROUTE_EVENT_GET, ROUTE_OTHER, V_NONE,
	  false },
	{ "/v1/events/", ARG_SEQ, "/entry", ROUTE_EVENT_ENTRY, ROUTE_OTHER,
	  V_NONE, false },
	{ "/v1/events/", ARG_SEQ, "/payload", ROUTE_EVENT_PAYLOAD,
	  ROUTE_OTHER, V_NONE, false },
	{ "/v1/events/", ARG_SEQ, "/proof", ROUTE_PROOF, ROUTE_OTHER, V_EVENT,
	  false },
	{ "/v1/hooks/", ARG_NAME, "", ROUTE_OTHER, ROUTE_HOOKS, V_NONE,
	  false },
	{ "/v1/reports", ARG_NONE, "", ROUTE_OTHER, ROUTE_REPORTS_POST,
	  V_NONE, false },
	{ "/v1/checkpoint", ARG_NONE, "", ROUTE_CHECKPOINT, ROUTE_OTHER,
	  V_LATEST, false },
	{ "/v1/checkpoint/", ARG_SEQ, "", ROUTE_CHECKPOINT, ROUTE_OTHER,
	  V_SIZE, true },
	{ "/v1/keys", ARG_NONE, "", ROUTE_CHECKPOINT, ROUTE_OTHER, V_KEYS,
	  false },
	{ "/v1/proof/inclusion", ARG_NONE, "", ROUTE_PROOF, ROUTE_OTHER,
	  V_INCLUSION, false },
	{ "/v1/proof/consistency", ARG_NONE, "", ROUTE_PROOF, ROUTE_OTHER,
	  V_CONSISTENCY, false },
	{ "/v1/trace", ARG_NONE, "", ROUTE_TRACE, ROUTE_OTHER, V_NONE,
	  false },
	{ "/v1/where", ARG_NONE, "", ROUTE_TRACE, ROUTE_OTHER, V_WHERE,
	  false },
	{ "/v1/timeline", ARG_NONE, "", ROUTE_TRACE, ROUTE_OTHER, V_TIMELINE,
	  false },
	{ "/v1/deployments", ARG_NONE, "", ROUTE_REPORT, ROUTE_OTHER, V_NONE,
	  false },
	{ "/v1/exceptions/", ARG_NAME, "", ROUTE_REPORT, ROUTE_OTHER, V_NONE,
	  false },
	{ "/v1/actors", ARG_NONE, "", ROUTE_REPORT, ROUTE_OTHER, V_NONE,
	  false },
	{ "/v1/state", ARG_NONE, "", ROUTE_REPORT, ROUTE_OTHER, V_NONE,
	  false },
	{ "/v1/last-good", ARG_NONE, "", ROUTE_REPORT, ROUTE_OTHER, V_NONE,
	  false },
	{ "/v1/gate", ARG_NONE, "", ROUTE_GATE, ROUTE_OTHER, V_NONE, false },
	{ "/v1/bundle", ARG_NONE, "", ROUTE_BUNDLE, ROUTE_OTHER, V_NONE,
	  false },
	{ "/v1/status", ARG_NONE, "", ROUTE_REPORT, ROUTE_OTHER, V_STATUS,
	  false },
	{ "/readyz", ARG_NONE, "", ROUTE_HEALTHZ, ROUTE_OTHER, V_READY,
	  false },
	{ "/healthz", ARG_NONE, "", ROUTE_HEALTHZ, ROUTE_OTHER, V_NONE,
	  false },
	{ "/ui/", ARG_NAME, "", ROUTE_UI, ROUTE_OTHER, V_NONE, false },
	{ "/metrics", ARG_NONE, "", ROUTE_METRICS, ROUTE_OTHER, V_NONE,
	  false },
};
#define NROUTES (sizeof(route_table) / sizeof(*route_table))

/* The entry for url, with its seq or name; NULL if none.  *malformed is
 * set when a prefix matched whose seq did not parse. */
static const struct route_def *
route_find(const char *url, uint64_t *seq, const char **name,
    bool *malformed)
{
	const struct route_def *d;
	size_t i, plen, n;

	*malformed = false;
	for (i = 0; i < NROUTES; i++) {
		d = &route_table[i];
		plen = strlen(d->path);
		if (d->arg == ARG_NONE) {
			if (strcmp(url, d->path) == 0)
				return d;
			continue;
		}
		if (strncmp(url, d->path, plen) != 0)
			continue;
		if (d->arg == ARG_NAME) {
			*name = url + plen;
			return d;
		}
		n = strcspn(url + plen, "/");
		if (!parse_seq(url + plen, n, seq)) {
			*malformed |= d->bad_arg_400;
			continue;
		}
		if (strcmp(url + plen + n, d->suffix) == 0)
			return d;
	}
	return NULL;
}

static const char *
allow_of(const struct route_def *d)
{
	if (d->get != ROUTE_OTHER && d->post != ROUTE_OTHER)
		return "GET, POST";
	return d->post != ROUTE_OTHER ? "POST" : "GET";
}

/* The write routes, after their route is known: auth, type, length. */
static enum MHD_Result
begin_write(struct req *r, const char *name)
{
	enum MHD_Result ret = MHD_YES;
	uint64_t free_bytes;

	if (r->route == ROUTE_REPORTS_POST) {
		/* the media type is the report's: checked with it */
		if (check_auth(r, LEDGER_SCOPE_WRITE, &ret) != 0)
			return ret;
	} else if (r->route == ROUTE_EVENTS_POST) {
		if (check_auth(r, LEDGER_SCOPE_WRITE, &ret) != 0)
			return ret;
		if (!is_json_type(MHD_lookup_connection_value(r->conn,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
			metrics_reject(REJECT_CONTENT_TYPE);
			return send_error(r, 415, "unsupported_media_type",
			    NULL, "Content-Type must be application/json");
		}
	} else {
		if (strlen(name) > LEDGER_SOURCE_NAME_MAX ||
		    (r->sources = sources_get()) == NULL ||
		    (r->src = ledger_sources_find(r->sources->set, name)) ==
		    NULL) {
			char safe[100];

			return send_error(r, 404, "not_found", NULL,
			    "no source '%s' is configured",
			    log_safe(name, safe, sizeof(safe)));
		}
		snprintf(r->hook, sizeof(r->hook), "%s", name);
		if (!ledger_identity_allows(ledger_source_client_identity(
		    r->src), r->peer)) {
			metrics_reject(REJECT_IDENTITY);
			refused(r, r->hook);
			metrics_hook(r->hook, "identity");
			return send_error(r, 403, "forbidden", NULL, "source "
			    "'%s' is bound to a machine identity; this "
			    "connection's client certificate %s", name,
			    r->peer != NULL ? "is another one" : "is missing");
		}
	}
	if (http_disk_low(&free_bytes)) {
		metrics_reject(REJECT_DISK_RESERVE);
		return send_error(r, 503, "unavailable", retry_after, "the data "
		    "directory has %llu bytes free, less than the reserve of "
		    "%llu: writes are refused so that checkpoints and the log's "
		    "own entries can still be written; free space and retry",
		    (unsigned long long)free_bytes, (unsigned long long)
		    atomic_load(&srv.disk_reserve));
	}
	if (begin_body(r, &ret) != 0)
		return ret;
	r->state = ST_READING;
	return MHD_YES;
}

uint64_t
http_disk_free(void)
{
	struct statvfs vfs;

	if (statvfs(srv.data_dir, &vfs) != 0)
		return UINT64_MAX;	/* unknown: the store says if it fails */
	return (uint64_t)vfs.f_bavail * vfs.f_frsize;
}

bool
http_disk_low(uint64_t *ret_free)
{
	*ret_free = http_disk_free();
	return *ret_free < atomic_load(&srv.disk_reserve);
}

unsigned
http_checkpoint_interval_ms(void)
{
	return atomic_load(&srv.checkpoint_interval_ms);
}

static enum MHD_Result
handle_first(struct req *r, const char *url, const char *method)
{
	const struct route_def *d;
	const char *name = "";
	enum MHD_Result ret = MHD_YES;
	uint64_t seq = 0;
	bool malformed;
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;

	d = route_find(url, &seq, &name, &malformed);
	r->route = d == NULL ? ROUTE_OTHER : get ? d->get : post ? d->post :
	    ROUTE_OTHER;
	/* Past max_connections only /healthz is served, from the reserve of
	 * 64 connections MHD keeps above it: the health check answers
	 * during a connection flood. */
	if (conn_count() > atomic_load(&srv.max_connections) &&
	    r->route != ROUTE_HEALTHZ) {
		metrics_reject(REJECT_CONNECTIONS);
		return send_error(r, 503, "unavailable", retry_after,
		    "too many connections; retry later");
	}
	if (d == NULL && malformed)
		return send_error(r, 400, "bad_request", NULL,
		    "the checkpoint size must be a non-negative integer");
	if (d == NULL)
		return send_error(r, 404, "not_found", NULL,
		    "no such resource");
	if (r->route == ROUTE_OTHER)
		return method_not_allowed(r, allow_of(d));
	/* Liveness and readiness probes answer without a certificate, and
	 * to a peer refused for a burst of bad credentials. */
	if (r->route != ROUTE_HEALTHZ && (refuse_blocked(r, &ret) ||
	    check_peer(r, &ret) != 0))
		return ret;

	switch (r->route) {
	case ROUTE_EVENTS_POST:
	case ROUTE_REPORTS_POST:
	case ROUTE_HOOKS:
		return begin_write(r, name);
	case ROUTE_HEALTHZ:
		if (d->variant == V_READY)
			return route_readyz(r);
		return route_healthz(r);
	case ROUTE_UI:
		/* the view's own files hold no data: no token */
		return route_ui(r, url);
	case ROUTE_CHECKPOINT:
		if (d->variant == V_KEYS)
			return route_keys(r);
		return route_checkpoint(r, d->variant == V_LATEST, seq);
	case ROUTE_PROOF:
		if (d->variant == V_EVENT) {
			r->seq = seq;
			return route_event_proof(r, seq);
		}
		return route_proof(r, d->variant == V_INCLUSION);
	case ROUTE_METRICS:
		/* scrapers that send no token: operator's choice */
		if (atomic_load(&srv.metrics_public))
			return route_metrics(r);
		break;
	default:
		break;
	}
	if (check_auth(r, LEDGER_SCOPE_READ, &ret) != 0)
		return ret;
	switch (r->route) {
	case ROUTE_REPORT:
		if (d->variant == V_STATUS)
			return route_status(r);
		return route_report(r, url, r->may_write);
	case ROUTE_GATE:
		return route_report(r, url, r->may_write);
	case ROUTE_BUNDLE:
		return route_bundle(r);
	case ROUTE_EVENTS_LIST:
		return route_events_list(r);
	case ROUTE_EVENT_GET:
	case ROUTE_EVENT_ENTRY:
	case ROUTE_EVENT_PAYLOAD:
		return route_event(r, seq);
	case ROUTE_METRICS:
		return route_metrics(r);
	case ROUTE_TRACE:
		return d->variant == V_TIMELINE ? route_timeline(r) :
		    route_trace(r, d->variant == V_WHERE);
	default:
		return send_error(r, 404, "not_found", NULL,
		    "no such resource");
	}
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)version;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &r->start);
		r->conn = conn;
		r->route = ROUTE_OTHER;
		*con_cls = r;
		conn_mark(conn, true);
		atomic_fetch_add(&srv.inflight, 1);
		return handle_first(r, url, method);
	}
	switch (r->state) {
	case ST_READING:
		if (*upload_data_size > 0)
			return read_body(r, upload_data, upload_data_size) ?
			    MHD_YES : MHD_NO;
		if (r->too_large) {
			metrics_reject(REJECT_TOO_LARGE);
			return send_error(r, 413, "payload_too_large", NULL,
			    "body is over the limit of %zu bytes",
			    atomic_load(&srv.max_body));
		}
		return r->route == ROUTE_HOOKS ? route_hook(r) :
		    r->route == ROUTE_REPORTS_POST ? route_reports_post(r) :
		    route_events_post(r);
	case ST_WAITING:
		if (!atomic_load(&r->finished))
			return MHD_YES;	/* spurious: still suspended */
		if (r->route == ROUTE_PROOF)
			return route_event_proof(r, r->seq);
		if (r->route == ROUTE_BUNDLE)
			return route_bundle_finish(r);
		return finish_write(r);
	case ST_DONE:
	default:
		/* A response is queued; discard any further upload. */
		*upload_data_size = 0;
		return MHD_YES;
	}
}

/* One line per request: who, what, how it went; never a secret (the
 * token's id, not the token; the source's name, not its signature). */
static void
access_line(struct req *r)
{
	const char *peer = req_addr(r);
	char safe[LEDGER_IDENTITY_MAX + 64];

	log_info("access peer=%s route=%s status=%u bytes=%zu ms=%.1f "
	    "auth=%s%s%s%s%s", peer, route_name(r->route), r->status, r->sent,
	    elapsed(&r->start) * 1000.0, r->auth[0] ? log_safe(r->auth, safe,
	    sizeof(safe)) : "-", r->hook[0] ? " source=" : "", r->hook,
	    r->peer != NULL ? " cert=" : "", r->peer != NULL ?
	    r->peer->sha256 + 7 : "");
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)toe;
	if (r == NULL)
		return;
	conn_mark(conn, false);
	metrics_request(r->route, r->status, elapsed(&r->start));
	if (atomic_load(&srv.access_log))
		access_line(r);
	if (r->state == ST_WAITING && !atomic_load(&r->finished)) {
		/* Cannot happen while suspended; never free a queued item. */
		log_error("request completed while queued route=%s",
		    route_name(r->route));
		return;
	}
	ledger_source_events_free(r->evs, r->nev);
	free(r->receipts);
	bundle_release(r);
	sources_put(r->sources);
	ledger_buf_release(&r->body);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&srv.inflight, 1);
}

void
http_sweep(void)
{
	conn_sweep(atomic_load(&srv.request_timeout_s));
	proof_sweep();
}

void
http_set_config(const struct config *c)
{
	atomic_store(&srv.max_body, c->max_body_bytes);
	atomic_store(&srv.disk_reserve, c->disk_reserve_bytes);
	metrics_set_disk_reserve(c->disk_reserve_bytes);
	refusals_set_config(c);
	atomic_store(&srv.checkpoint_interval_ms, c->checkpoint_interval_ms);
	atomic_store(&srv.max_connections, c->max_connections);
	atomic_store(&srv.request_timeout_s, c->request_timeout_s);
	auth_set_config(c);
	atomic_store(&srv.metrics_public, c->metrics_public);
	atomic_store(&srv.access_log, c->access_log);
}

static char listen_shown[INET6_ADDRSTRLEN + 16];
static const char *origin_name = "";

uint64_t
http_disk_reserve(void)
{
	return atomic_load(&srv.disk_reserve);
}

const char *
http_origin(void)
{
	return origin_name;
}

const char *
http_data_dir(void)
{
	return srv.data_dir;
}

int
http_listen(const struct config *c, const char *data_dir)
{
	struct ledger_store *s;
	struct ledger_error err;
	char *origin;

	if ((srv.data_dir = strdup(data_dir)) == NULL) {
		log_error("start http server: out of memory");
		return -1;
	}
	http_set_config(c);
	if ((s = pool_get(&err)) == NULL) {
		log_error("open read handle: %s", err.msg);
		return -1;
	}
	origin = strdup(ledger_store_origin(s));
	pool_put(s);
	if (origin == NULL) {
		log_error("start http server: out of memory");
		return -1;
	}
	origin_name = origin;
	http_reload_tokens();
	return srv.listen_fd >= 0 ? 0 : http_bind(c);
}

int
http_bind(const struct config *c)
{
	if ((srv.listen_fd = bind_socket(c->listen_host, c->listen_port,
	    listen_shown, sizeof(listen_shown))) < 0)
		return -1;
	return 0;
}

int
http_serve(const struct config *c)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (tls_init(c) != 0) {
		close(srv.listen_fd);
		srv.listen_fd = -1;
		return -1;
	}
	srv.d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
	    (tls_on() ? MHD_USE_TLS : 0), 0, NULL, NULL,
	    handler, NULL,
	    MHD_OPTION_LISTEN_SOCKET, srv.listen_fd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(ncpu > 0 ? ncpu : 2),
	    MHD_OPTION_CONNECTION_LIMIT, c->max_connections + 64,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->max_connections_per_client,
	    MHD_OPTION_CONNECTION_TIMEOUT, c->idle_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, conn_notify, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_ARRAY, tls_mhd_options(),
	    MHD_OPTION_END);
	if (srv.d == NULL) {
		/* MHD closes the socket it was given on its failure paths:
		 * closing it again could close a descriptor since reused */
		log_error("start http server on %s failed", listen_shown);
		srv.listen_fd = -1;
		return -1;
	}
	log_info("listening on %s://%s%s", tls_on() ? "https" : "http",
	    listen_shown, !tls_on() ? "" : tls_client_auth() ==
	    TLS_CLIENT_REQUIRED ? " (client certificates required)" :
	    tls_client_auth() == TLS_CLIENT_OPTIONAL ?
	    " (client certificates optional)" : "");
	return 0;
}

void
http_drain_and_stop(void)
{
	int fd, waited = 0;
	int limit = (int)atomic_load(&srv.request_timeout_s) * 10 + 20;

	if (srv.d == NULL)
		return;
	fd = MHD_quiesce_daemon(srv.d);	/* stop accepting connections */
	proof_wake_all();	/* they answer now: 200, or 503 */
	while (atomic_load(&srv.inflight) > 0 && waited < limit) {
		usleep(100 * 1000);
		waited++;
	}
	if (atomic_load(&srv.inflight) > 0)
		log_warn("stopping with requests in flight count=%u",
		    atomic_load(&srv.inflight));
	proof_wake_all();	/* none may be left suspended */
	bundle_stop();		/* nor a bundle being written */
	MHD_stop_daemon(srv.d);
	srv.d = NULL;
	if (fd >= 0)
		close(fd);
	pthread_mutex_lock(&srv.mu);
	while (srv.npool > 0)
		ledger_store_close(srv.pool[--srv.npool]);
	pthread_mutex_unlock(&srv.mu);
	auth_stop();
	sources_put(srv.sources);
	srv.sources = NULL;
	tls_stop();
}

