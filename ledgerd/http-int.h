/*
 * http-int.h - what the HTTP server's files share (ledgerd/http*.c)
 *
 * http.c runs the server: connections, authentication, bodies, the
 * routing table and the handler.  http-reply.c builds answers,
 * http-write.c and http-read.c hold the routes.
 */
#ifndef LEDGERD_HTTP_INT_H
#define LEDGERD_HTTP_INT_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

#include "ledger/identity.h"
#include "ledger/source.h"
#include "ledger/token.h"
#include "ledgerd.h"

enum state { ST_NEW, ST_READING, ST_WAITING, ST_DONE };

struct srcset {
	struct ledger_sources *set;
	atomic_int refs;
};

struct req {
	enum route route;
	enum state state;
	unsigned status;
	struct timespec start;
	struct ledger_buf body;
	bool too_large;
	char auth[48 + LEDGER_IDENTITY_MAX];	/* source.auth for the entry */
	const struct ledger_identity *peer;	/* verified client cert */
	char addr[48];			/* the client's address, "" until
					   req_addr() */
	struct ledger_event **evs;	/* what this request appends */
	size_t nev;
	struct ledger_receipt *receipts;
	struct pending p;
	atomic_bool finished;
	struct MHD_Connection *conn;
	struct srcset *sources;		/* hooks: a reference, released at
					   completion */
	const struct ledger_source *src;
	char hook[LEDGER_SOURCE_NAME_MAX + 1];
	bool may_write;			/* a write token asked (the gate) */
	size_t sent;			/* response bytes (access log) */
	/* a proof waiting for a checkpoint (http-proof.c) */
	uint64_t seq;			/* the path's seq */
	uint64_t wseq;
	int64_t wdeadline_ms;		/* CLOCK_MONOTONIC */
	struct req *wnext;
	struct bundle_job *bundle;	/* GET /v1/bundle (http-bundle.c) */
};


/* Seconds since t0 (CLOCK_MONOTONIC). */
double elapsed(const struct timespec *t0);

/* A read-only store handle from the pool (NULL: err says why), and back. */
struct ledger_store *pool_get(struct ledger_error *err);
void pool_put(struct ledger_store *s);

/* The log's origin (for receipts) and the data directory. */
const char *http_origin(void);
const char *http_data_dir(void);

/* GET /v1/status (http-read.c). */
enum MHD_Result route_status(struct req *r);

/* ---- http-proof.c ---- */
/* GET /v1/events/{seq}/proof: first call, and again when resumed. */
enum MHD_Result route_event_proof(struct req *r, uint64_t seq);
/* Resume the proof waiters whose time is up; all of them (stopping). */
void proof_sweep(void);
void proof_wake_all(void);

/* ---- http-tls.c ---- */
enum tls_peer { TLS_PEER_NONE, TLS_PEER_OK, TLS_PEER_BAD };
/* Load the certificate, key and client CAs of c's "tls" (nothing when it
 * has none): 0, or -1 (logged). */
int tls_init(const struct config *c);
bool tls_on(void);
/* The MHD options that serve HTTPS (an MHD_OPTION_ARRAY). */
const struct MHD_OptionItem *tls_mhd_options(void);
void tls_stop(void);
enum tls_client_auth tls_client_auth(void);
/* Changes when SIGHUP loads new client CAs (verdicts kept with a
 * connection are then made again). */
unsigned tls_trust_gen(void);
/* The client certificate of conn: none, verified (*id filled), or
 * presented and refused (why says why). */
enum tls_peer tls_peer_check(struct MHD_Connection *conn,
    struct ledger_identity *id, char *why, size_t n);

/* ---- http-conn.c ---- */
/* MHD's connection notification: register and unregister. */
void conn_notify(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode toe);
/* A request's headers are complete (true), or it was answered (false). */
void conn_mark(struct MHD_Connection *conn, bool in_request);
/* Close (shutdown) connections waiting for headers longer than limit s. */
void conn_sweep(unsigned limit);
/* Open connections. */
unsigned conn_count(void);
/* The client's address as text into out ("-" when unknown). */
const char *conn_addr(struct MHD_Connection *conn, char *out, size_t n);
/* The client certificate's verdict for conn, checked once per connection
 * (tls_peer_check): *id points at the identity when TLS_PEER_OK, *why at
 * the reason when TLS_PEER_BAD. */
enum tls_peer conn_peer(struct MHD_Connection *conn,
    const struct ledger_identity **id, const char **why);
/* Bind and listen on host:port (port 0: any); *shown gets the address
 * bound, for the log.  The socket, or -1 (logged). */
int bind_socket(const char *host, unsigned port, char *shown,
    size_t shown_len);
/* libmicrohttpd's error log, into ours at debug level. */
void mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* ---- http-auth.c ---- */
/* 0 if r may go on with a token of scope need (or anonymous reads); else
 * a 401/403 was queued in *ret. */
int check_auth(struct req *r, enum ledger_scope need, enum MHD_Result *ret);
/* The client certificate: 0 to go on (r->peer set when one verified),
 * else a 401 was queued. */
int check_peer(struct req *r, enum MHD_Result *ret);
/* A peer refused for a while (refusals.c): true, and a 429 queued. */
bool refuse_blocked(struct req *r, enum MHD_Result *ret);
void auth_set_config(const struct config *c);
/* Drop the token set (stopping). */
void auth_stop(void);
/* The client's address (computed once). */
const char *req_addr(struct req *r);
/* A credential of r was refused: counted against its peer (refusals.c);
 * what: the source, or "api". */
void refused(struct req *r, const char *what);

/* Set r->auth to how the sender authenticated (base), with the machine
 * identity of its client certificate when it has one:
 * "<base>+mtls:<identity>" (docs/FORMAT.md). */
void set_auth(struct req *r, const char *base);

/* ---- http-reply.c ---- */
extern const char *const retry_after[];	/* Retry-After: 1 */
extern const char *const www_auth[];	/* WWW-Authenticate: Bearer */
/* Queue a response; hdrs is NULL or name, value, ..., NULL.  buf is freed
 * by MHD when mode says so. */
enum MHD_Result send_buf(struct req *r, unsigned status, const char *type,
    void *buf, size_t len, enum MHD_ResponseMemoryMode mode,
    const char *const *hdrs);
/* Send b (consumed) as application/json with a final newline. */
enum MHD_Result send_json(struct req *r, unsigned status,
    struct ledger_buf *b, const char *const *hdrs);
/* Append s as a JSON string (escaped if it is not valid UTF-8). */
int add_jstr(struct ledger_buf *b, const char *s);
/* {"error": code, "message": ...} */
enum MHD_Result send_error(struct req *r, unsigned status, const char *code,
    const char *const *hdrs, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The one map from a library status to an HTTP answer. */
enum MHD_Result send_status(struct req *r, const struct ledger_error *err);

/* ---- http-write.c ---- */
/* Queue r's events for the sequencer (connection suspended). */
enum MHD_Result submit(struct req *r);
/* Answer a write once the sequencer is done with it. */
enum MHD_Result finish_write(struct req *r);
enum MHD_Result route_events_post(struct req *r);
enum MHD_Result route_reports_post(struct req *r);	/* http-upload.c */
enum MHD_Result route_ui(struct req *r, const char *url);	/* http-ui.c */
/* The answer to a report recorded: its receipt with what the entry says
 * of it (kind, format, tool, summary, status). */
enum MHD_Result finish_report(struct req *r);

/* A MHD_get_connection_values iterator: stops at the first query
 * parameter not in names, and keeps its name in bad (http-read.c). */
struct known_args {
	const char *const *names;
	const char *bad;
};
enum MHD_Result check_known(void *cls, enum MHD_ValueKind kind,
    const char *key, const char *value);
enum MHD_Result route_hook(struct req *r);

/* ---- http-read.c ---- */
/* A decimal uint64 of n characters, no sign or leading zero. */
bool parse_seq(const char *s, size_t n, uint64_t *ret);
enum MHD_Result route_events_list(struct req *r);
enum MHD_Result route_event(struct req *r, uint64_t seq);
enum MHD_Result route_healthz(struct req *r);
enum MHD_Result route_checkpoint(struct req *r, bool latest, uint64_t size);
/* GET /readyz: accepting writes (FORMAT of /healthz, more reasons). */
enum MHD_Result route_readyz(struct req *r);
/* Below the configured disk reserve?  *ret_free: the free bytes
 * (http_disk_free, ledgerd.h). */
bool http_disk_low(uint64_t *ret_free);
unsigned http_checkpoint_interval_ms(void);
/* GET /v1/keys: the log's key records, public (ledger/keyhist.h). */
enum MHD_Result route_keys(struct req *r);
enum MHD_Result route_proof(struct req *r, bool inclusion);
/* GET /v1/trace and /v1/where (ledger/lineage.h): exactly one of commit,
 * artifact or run, and pipeline with run. */
enum MHD_Result route_trace(struct req *r, bool where);
/* GET /v1/timeline (ledger/timeline.h): period=P, or from=T&to=T; with
 * environment (env), service, gap (seconds). */
enum MHD_Result route_timeline(struct req *r);
/* http-report.c: the answers; may_write: the gate records its decision
 * (a write token asked). */
enum MHD_Result route_report(struct req *r, const char *path,
    bool may_write);
enum MHD_Result route_metrics(struct req *r);
/* http-bundle.c: GET /v1/bundle, a population's or a list's bundle,
 * written by a thread while the request is suspended; finished when it
 * resumes; released when the request completes; bundle_stop waits for
 * the writer (stopping). */
enum MHD_Result route_bundle(struct req *r);
enum MHD_Result route_bundle_finish(struct req *r);
void bundle_release(struct req *r);
void bundle_stop(void);
/* The free space writes keep (disk_reserve_bytes). */
uint64_t http_disk_reserve(void);

#endif
