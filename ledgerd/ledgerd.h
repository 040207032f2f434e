/*
 * ledgerd.h - what the daemon's files share
 */
#ifndef LEDGERD_H
#define LEDGERD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ledger/entry.h"
#include "ledger/error.h"
#include "ledger/store.h"
#include "ledger/token.h"
#include "ledger/source.h"

/* ---- log.c ---- */
enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Foreground: stderr.  Detached: syslog, and stderr too until
 * log_detached() (the start's messages reach whoever started it). */
void log_init(bool foreground, enum log_level level);
void log_detached(void);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
/* "<time> <level> <verb> key=value ..."; never pass payloads or secrets. */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(LOG_LVL_DEBUG)) \
	log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)
/* Copy s into out (n bytes) with anything but printable ASCII escaped, so
 * client-controlled text cannot forge log lines. */
const char *log_safe(const char *s, char *out, size_t n);

/* ---- config.c ---- */
enum tls_client_auth {
	TLS_CLIENT_NONE, TLS_CLIENT_OPTIONAL, TLS_CLIENT_REQUIRED
};

struct config {
	char *listen_host;
	unsigned listen_port;
	char *data_dir;
	char *origin;			/* NULL: the default */
	char *database;			/* PostgreSQL (libpq connection
					   string); NULL: SQLite in data_dir.
					   Never logged: it may hold a
					   password */
	char *tls_cert_file;		/* "tls": NULL when off */
	char *tls_key_file;
	char *tls_client_ca_file;
	char *tls_client_crl_file;	/* revoked client certificates */
	enum tls_client_auth tls_client_auth;
	bool allow_plaintext;		/* plain HTTP beyond loopback */
	unsigned refusal_alert_per_minute;	/* "refusals": log an attack */
	unsigned refusal_block_per_minute;	/* 0: never block */
	unsigned refusal_block_s;
	char *user;			/* run as, when started as root */
	char *pidfile;			/* NULL: DIR/ledgerd.pid detached */
	size_t max_body_bytes;
	uint64_t disk_reserve_bytes;	/* refuse writes below this free */
	unsigned max_connections;
	unsigned max_connections_per_client;	/* per client address */
	unsigned request_timeout_s;
	unsigned idle_timeout_s;
	unsigned batch_max;
	unsigned batch_delay_ms;
	unsigned queue_max;
	enum log_level log_level;
	bool anonymous_read;
	bool metrics_public;		/* /metrics without a token */
	bool access_log;		/* a log line per request */
	unsigned checkpoint_interval_ms;
	unsigned heartbeat_interval_s;	/* 0: no heartbeats */
	unsigned key_overlap_s;		/* old key co-signs this long */
	unsigned self_verify_interval_s;	/* 0: no whole-log pass */
	unsigned self_verify_tail_ms;	/* 0: no tail verification */
	unsigned self_verify_tail_max;	/* entries a look */
	uint64_t retention_age_s;	/* prune payloads older; 0: never */
	unsigned retention_check_s;	/* how often to look */
	unsigned retention_step;	/* payloads deleted per 200 ms tick */
	char *export_file;		/* append each checkpoint here */
	char *export_dir;		/* or write DIR/<size> */
	struct ledger_sources *sources;	/* webhook sources, may be NULL */
	char *path;			/* the file it came from, or NULL */
	uint8_t digest[32];		/* SHA-256 of the file's bytes */
};

/* Fill c with the defaults. */
void config_defaults(struct config *c);
/* Load and check a config file over the defaults.  Every problem is
 * reported through report (one line each, with line and column); returns
 * the number of problems (0 = valid).  Free with config_free. */
int config_load(const char *path, struct config *c,
    void (*report)(void *ctx, const char *msg), void *ctx);
void config_free(struct config *c);

/* ---- refusals.c ---- */
void refusals_set_config(const struct config *c);
/* A credential from peer addr was refused; what: the source's name or
 * the route.  Logs and counts a burst (a possible attack). */
void refusal_note(const char *addr, const char *what);
/* Is addr refused for now (a burst past block_per_minute)?  *retry_s:
 * for how long. */
bool refusal_blocked(const char *addr, unsigned *retry_s);

/* ---- service.c ---- */
/* Send one sd_notify datagram (nothing without $NOTIFY_SOCKET); true
 * when sent. */
bool service_notify(const char *msg);
/* Detach: fork; the parent exits 0 once the child calls service_ready,
 * 1 if it exits first.  0 in the child, -1 (printed) on failure. */
int service_detach(void);
/* Serving: pidfile (c->pidfile, or DIR/ledgerd.pid when detached),
 * READY=1 to systemd, the waiting parent released, stdio to /dev/null
 * when detached. */
void service_ready(const struct config *c, bool detached);
/* WATCHDOG=1 every half of $WATCHDOG_USEC (call it often). */
void service_watchdog(void);
/* STOPPING=1; the pidfile removed. */
void service_stopping(void);
/* Started as root: become c->user (or an existing "ledgerd" user).  0,
 * or -1 (printed). */
int service_drop_root(const struct config *c);

/* ---- selfverify.c ---- */
/* Verify the whole log every self_verify_interval_s in a thread (0, or
 * -1 if it could not start); stop and join it. */
int selfverify_start(const struct config *c);
void selfverify_stop(void);
/* Did the last pass find a problem (the first at *first_bad)? */
bool selfverify_failed(uint64_t *first_bad);
/* Its metrics families (nothing when off); non-zero: out of memory. */
struct ledger_buf;
int selfverify_metrics(struct ledger_buf *b);

/* ---- keys.c ---- */
/* SIGUSR1: rotate at the sequencer's next turn. */
void keys_request_rotate(void);
/* From the sequencer thread: a requested rotation, or the end of an
 * overlap older than overlap_s; true when it appended. */
bool keys_tick(struct ledger_store *w, unsigned overlap_s);

/* ---- prune.c ---- */
/* From the main loop's 200 ms tick: with "retention" configured, prune
 * payloads older than its payload_days (or payload_age_s) every
 * check_interval_s, one short transaction a tick (docs/ledgerd.md,
 * "Retention"). */
void prune_tick(struct ledger_store *maint, const struct config *c);

/* ---- metrics.c ---- */
enum route {
	ROUTE_EVENTS_POST, ROUTE_EVENTS_LIST, ROUTE_EVENT_GET,
	ROUTE_EVENT_ENTRY, ROUTE_EVENT_PAYLOAD, ROUTE_HOOKS, ROUTE_CHECKPOINT,
	ROUTE_PROOF, ROUTE_HEALTHZ, ROUTE_METRICS, ROUTE_TRACE, ROUTE_REPORT,
	ROUTE_GATE, ROUTE_REPORTS_POST, ROUTE_UI, ROUTE_BUNDLE, ROUTE_OTHER,
	ROUTE_COUNT
};
enum reject {
	REJECT_BAD_JSON, REJECT_BAD_FIELDS, REJECT_AUTH, REJECT_SCOPE,
	REJECT_TOO_LARGE, REJECT_CONTENT_TYPE, REJECT_CONNECTIONS,
	REJECT_QUEUE, REJECT_TIMEOUT, REJECT_STORAGE, REJECT_LENGTH,
	REJECT_CONFLICT, REJECT_DISK_RESERVE, REJECT_CLIENT_CERT,
	REJECT_IDENTITY, REJECT_BLOCKED,
	REJECT_COUNT
};
const char *route_name(enum route r);
void metrics_request(enum route r, unsigned status, double seconds);
void metrics_reject(enum reject why);
void metrics_batch(size_t events, size_t appended);
void metrics_storage_failure(void);
/* A read found the stored log inconsistent (tamper evidence). */
void metrics_integrity_error(void);
void metrics_pruned(uint64_t n);
/* A webhook delivery of source: refused for reason, or (reason NULL)
 * recorded; by source in /metrics, with the time of the last recorded
 * one. */
void metrics_hook(const char *source, const char *reason);
/* A peer crossed the refusals alert threshold; what: the source or
 * route of its last refusal. */
void metrics_suspected_attack(const char *what);
/* Free space, database and WAL sizes (the main loop, once a second). */
void metrics_set_disk(uint64_t free_bytes, uint64_t database, uint64_t wal);
void metrics_set_log_size(uint64_t n);
void metrics_set_disk_reserve(uint64_t bytes);
/* The served TLS certificate's notAfter (Unix seconds). */
void metrics_set_tls_expiry(int64_t unix_s);
void metrics_set_queue(size_t n);
void metrics_set_connections(unsigned n);
void metrics_checkpoint(uint64_t size, bool exported_ok);
/* The Prometheus text exposition, malloc'd. */
char *metrics_render(size_t *len);

/* ---- sequencer.c ---- */
struct pending {
	struct ledger_event **evs;	/* owned by the submitter; appended */
	size_t nev;			/* together, all or nothing */
	struct ledger_receipt *receipts;	/* nev of them */
	enum ledger_status st;
	char msg[256];
	void (*done)(struct pending *p);	/* called by the sequencer */
	void *ctx;
	struct pending *next;
	/* for seq_submit_wait */
	bool finished;
};

/* Start the sequencer on the writer store w (owned by the sequencer). */
int seq_start(struct ledger_store *w, const struct config *c);
/* Refuse writes (the log contradicts its last checkpoint): every write
 * gets 503 with this reason, reads go on. */
void seq_refuse_writes(const char *reason);
const char *seq_refusal(void);
/* Queue p; returns false when the queue is full or stopping. */
bool seq_submit(struct pending *p);
/* Submit one event and wait for the result (the daemon's own entries). */
enum ledger_status seq_submit_wait(struct ledger_event *ev,
    struct ledger_receipt *r, struct ledger_error *err);
void seq_set_config(const struct config *c);
/* Wake the sequencer for its housekeeping (a requested rotation). */
void seq_wake(void);
/* Drain the queue, stop the thread. */
void seq_stop(void);
/* The last append's outcome: true after success. */
bool seq_healthy(void);
/* How long entries have waited for a checkpoint to cover them (0: all
 * covered). */
int64_t seq_uncovered_ms(void);
uint64_t seq_log_size(void);

/* ---- http.c ---- */
/* Bind the listening socket (before dropping root); 0 or -1 (logged). */
int http_bind(const struct config *c);
/* Open the read side (tokens, origin) and bind the socket unless
 * http_bind did; nothing is served yet.  Returns 0 or -1 (logged): a port in use fails here, before
 * anything is appended. */
int http_listen(const struct config *c, const char *data_dir);
/* Start serving on the bound socket; logs "listening on http://HOST:PORT".
 * Returns 0 or -1 (logged). */
int http_serve(const struct config *c);
void http_set_config(const struct config *c);
/* Take over c->sources (c->sources becomes NULL). */
void http_set_sources(struct config *c);
/* Stop accepting, answer every request in flight, then return. */
void http_drain_and_stop(void);
/* Close every connection that has not sent a complete request (its
 * headers) within request_timeout_s of connecting or of the end of its
 * previous request: slow-header clients cannot hold connections.  Called
 * from the main loop. */
void http_sweep(void);
/* Free bytes in the data directory (UINT64_MAX: unknown). */
uint64_t http_disk_free(void);
/* The sequencer signed a checkpoint of size entries: answer the proofs
 * waiting for one (ledgerd/http-proof.c). */
void http_checkpoint_signed(uint64_t size);
/* SIGHUP: the TLS certificate, key and client CAs again from their
 * files (kept as they were if they do not load; logged). */
void tls_reload(const struct config *c);
/* Reload API tokens from the store. */
void http_reload_tokens(void);

/* ---- export.c ---- */
/* Copy a newly signed checkpoint off the box as configured; logs and
 * returns false on failure (never fatal). */
/* At start: the log must extend the newest checkpoint in the export file
 * or directory (a copy off the box).  -1 with why filled if it does not
 * (a restored or rewritten database); 0 otherwise (no copy is fine). */
int export_check(const struct config *c, struct ledger_store *writer,
    char *why, size_t why_len);
bool export_checkpoint(const struct config *c, uint64_t size,
    const char *note, size_t len);

/* ---- record.c ---- */
/* Build a `ledger` kind event about the daemon itself.  detail is a JSON
 * object (reference stolen). */
struct ledger_event *daemon_event(const char *what, json_t *detail);
/* Append one through the sequencer and wait; false if it could not be
 * recorded (logged).  detail: as daemon_event. */
struct ledger_event *gate_event(const char *json, size_t len,
    const char *auth, const char *artifact, const char *env, bool allow);
bool record(const char *what, json_t *detail);

#endif
