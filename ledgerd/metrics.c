/*
 * metrics.c - counters and histograms, rendered in the Prometheus text
 * format.  Lock-free: relaxed atomics updated from any thread.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger-config.h"
#include "ledger/buf.h"
#include "ledgerd.h"

static const char *const routes[ROUTE_COUNT] = {
	"events_post", "events_list", "event_get", "event_entry",
	"event_payload", "hooks", "checkpoint", "proof", "healthz", "metrics",
	"trace", "report", "gate", "reports_post", "ui", "bundle", "other",
};

static const char *const rejects[REJECT_COUNT] = {
	"bad_json", "bad_fields", "auth", "scope", "too_large",
	"content_type", "connections", "queue", "timeout", "storage",
	"length_required", "conflict", "disk_reserve", "client_cert",
	"identity", "blocked",
};

static const unsigned statuses[] = { 200, 201, 202, 400, 401, 403, 404, 405,
    408, 409, 411, 413, 415, 429, 500, 503 };
#define NSTATUS (sizeof(statuses) / sizeof(*statuses))

static const double dur_buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NDUR (sizeof(dur_buckets) / sizeof(*dur_buckets))

static const unsigned batch_buckets[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256,
    512, 1024, 4096 };
#define NBATCH (sizeof(batch_buckets) / sizeof(*batch_buckets))

static atomic_uint_fast64_t requests[ROUTE_COUNT][NSTATUS + 1];
static atomic_uint_fast64_t dur_count[ROUTE_COUNT][NDUR + 1];
static atomic_uint_fast64_t dur_sum_us[ROUTE_COUNT];
static atomic_uint_fast64_t rejected[REJECT_COUNT];
static atomic_uint_fast64_t batch_count[NBATCH + 1];
static atomic_uint_fast64_t batches, batch_events, appended;
static atomic_uint_fast64_t storage_failures;
static atomic_uint_fast64_t integrity_errors;
static atomic_uint_fast64_t payloads_pruned;
static atomic_uint_fast64_t disk_free, db_bytes, wal_bytes;

#define LOAD(x) ((unsigned long long)atomic_load_explicit(&(x), \
	memory_order_relaxed))

/* Per webhook source (configured names; a bounded table). */
#define SOURCES_MAX 64
static const char *const hook_reasons[] = { "auth", "content_type",
    "bad_json", "bad_fields", "dropped", "identity" };
#define NREASONS (sizeof(hook_reasons) / sizeof(*hook_reasons))
static struct {
	pthread_mutex_t mu;		/* adding a name */
	atomic_size_t n;
	struct src_stat {
		char name[65];
		atomic_uint_fast64_t recorded, refused[NREASONS];
		_Atomic int64_t last_ms;
	} s[SOURCES_MAX];
} hooks = { .mu = PTHREAD_MUTEX_INITIALIZER };
/* Suspected attacks (refusals.c), by source (or "api"); rare: a mutex. */
static struct {
	pthread_mutex_t mu;
	size_t n;
	struct {
		char name[65];
		uint64_t count;
	} s[SOURCES_MAX + 1];
} attacks = { .mu = PTHREAD_MUTEX_INITIALIZER };
static _Atomic int64_t last_cp_ms;
static atomic_uint_fast64_t log_size, queue_depth, connections;
static atomic_uint_fast64_t checkpoints, checkpoint_size, export_failures;

const char *
route_name(enum route r)
{
	return (unsigned)r < ROUTE_COUNT ? routes[r] : "other";
}

void
metrics_request(enum route r, unsigned status, double seconds)
{
	size_t i;

	if ((unsigned)r >= ROUTE_COUNT)
		r = ROUTE_OTHER;
	for (i = 0; i < NSTATUS && statuses[i] != status; i++)
		;
	atomic_fetch_add_explicit(&requests[r][i], 1, memory_order_relaxed);
	for (i = 0; i < NDUR && seconds > dur_buckets[i]; i++)
		;
	atomic_fetch_add_explicit(&dur_count[r][i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&dur_sum_us[r],
	    (uint_fast64_t)(seconds * 1e6), memory_order_relaxed);
}

void
metrics_reject(enum reject why)
{
	if ((unsigned)why < REJECT_COUNT)
		atomic_fetch_add_explicit(&rejected[why], 1,
		    memory_order_relaxed);
}

void
metrics_batch(size_t events, size_t n_appended)
{
	size_t i;

	atomic_fetch_add_explicit(&batches, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&batch_events, events, memory_order_relaxed);
	atomic_fetch_add_explicit(&appended, n_appended, memory_order_relaxed);
	for (i = 0; i < NBATCH && events > batch_buckets[i]; i++)
		;
	atomic_fetch_add_explicit(&batch_count[i], 1, memory_order_relaxed);
}

void
metrics_storage_failure(void)
{
	atomic_fetch_add_explicit(&storage_failures, 1, memory_order_relaxed);
}

void
metrics_pruned(uint64_t n)
{
	atomic_fetch_add_explicit(&payloads_pruned, n, memory_order_relaxed);
}

void
metrics_integrity_error(void)
{
	atomic_fetch_add_explicit(&integrity_errors, 1, memory_order_relaxed);
}

void
metrics_set_log_size(uint64_t n)
{
	atomic_store_explicit(&log_size, n, memory_order_relaxed);
}

void
metrics_set_queue(size_t n)
{
	atomic_store_explicit(&queue_depth, n, memory_order_relaxed);
}

void
metrics_checkpoint(uint64_t size, bool exported_ok)
{
	atomic_fetch_add_explicit(&checkpoints, 1, memory_order_relaxed);
	atomic_store_explicit(&last_cp_ms, ledger_now_ms(),
	    memory_order_relaxed);
	atomic_store_explicit(&checkpoint_size, size, memory_order_relaxed);
	if (!exported_ok)
		atomic_fetch_add_explicit(&export_failures, 1,
		    memory_order_relaxed);
}

static struct src_stat *
src_stat(const char *name)
{
	size_t i, n = atomic_load(&hooks.n);

	for (i = 0; i < n; i++)
		if (strcmp(hooks.s[i].name, name) == 0)
			return &hooks.s[i];
	pthread_mutex_lock(&hooks.mu);
	n = atomic_load(&hooks.n);
	for (i = 0; i < n && strcmp(hooks.s[i].name, name) != 0; i++)
		;
	if (i == n && n < SOURCES_MAX) {
		snprintf(hooks.s[n].name, sizeof(hooks.s[n].name), "%s", name);
		atomic_store(&hooks.n, n + 1);
	}
	pthread_mutex_unlock(&hooks.mu);
	return i < SOURCES_MAX ? &hooks.s[i] : NULL;
}

void
metrics_hook(const char *source, const char *reason)
{
	struct src_stat *st = src_stat(source);
	size_t i;

	if (st == NULL)
		return;
	if (reason == NULL) {
		atomic_fetch_add(&st->recorded, 1);
		atomic_store(&st->last_ms, ledger_now_ms());
		return;
	}
	for (i = 0; i < NREASONS; i++)
		if (strcmp(reason, hook_reasons[i]) == 0)
			atomic_fetch_add(&st->refused[i], 1);
}

void
metrics_suspected_attack(const char *what)
{
	size_t i;

	pthread_mutex_lock(&attacks.mu);
	for (i = 0; i < attacks.n && strcmp(attacks.s[i].name, what) != 0; i++)
		;
	if (i == attacks.n && i < SOURCES_MAX + 1) {
		snprintf(attacks.s[i].name, sizeof(attacks.s[i].name), "%s",
		    what);
		attacks.n++;
	}
	if (i < attacks.n)
		attacks.s[i].count++;
	pthread_mutex_unlock(&attacks.mu);
}

static int
render_attacks(struct ledger_buf *b)
{
	int e = 0;
	size_t i;

	e |= ledger_buf_adds(b, "# HELP ledgerd_suspected_attacks_total "
	    "Peers that had refusals.alert_per_minute credentials refused "
	    "within a minute, by the source (or api) of the last one; the "
	    "log names the peer.\n"
	    "# TYPE ledgerd_suspected_attacks_total counter\n");
	pthread_mutex_lock(&attacks.mu);
	if (attacks.n == 0)
		e |= ledger_buf_adds(b,
		    "ledgerd_suspected_attacks_total{source=\"api\"} 0\n");
	for (i = 0; i < attacks.n; i++)
		e |= ledger_buf_addf(b, "ledgerd_suspected_attacks_total{source="
		    "\"%s\"} %llu\n", attacks.s[i].name,
		    (unsigned long long)attacks.s[i].count);
	pthread_mutex_unlock(&attacks.mu);
	return e;
}

/* The per-source families (names are configured sources: no quote or
 * backslash can reach a label, ledger/source.h). */
static int
render_hooks(struct ledger_buf *b)
{
	size_t i, k, n = atomic_load(&hooks.n);
	int e = 0;

	e |= ledger_buf_adds(b, "# HELP ledgerd_hook_deliveries_total Webhook "
	    "deliveries recorded, by source.\n"
	    "# TYPE ledgerd_hook_deliveries_total counter\n");
	for (i = 0; i < n; i++)
		e |= ledger_buf_addf(b, "ledgerd_hook_deliveries_total{source="
		    "\"%s\"} %llu\n", hooks.s[i].name,
		    LOAD(hooks.s[i].recorded));
	e |= ledger_buf_adds(b, "# HELP ledgerd_hook_refused_total Webhook "
	    "deliveries refused, by source and reason (auth: a signature or "
	    "token that did not verify).\n"
	    "# TYPE ledgerd_hook_refused_total counter\n");
	for (i = 0; i < n; i++)
		for (k = 0; k < NREASONS; k++)
			e |= ledger_buf_addf(b, "ledgerd_hook_refused_total{"
			    "source=\"%s\",reason=\"%s\"} %llu\n",
			    hooks.s[i].name, hook_reasons[k],
			    LOAD(hooks.s[i].refused[k]));
	e |= ledger_buf_adds(b, "# HELP ledgerd_hook_last_delivery_seconds "
	    "When the source's last delivery was recorded (Unix time).\n"
	    "# TYPE ledgerd_hook_last_delivery_seconds gauge\n");
	for (i = 0; i < n; i++)
		if (atomic_load(&hooks.s[i].last_ms) > 0)
			e |= ledger_buf_addf(b, "ledgerd_hook_last_delivery_"
			    "seconds{source=\"%s\"} %.3f\n", hooks.s[i].name,
			    (double)atomic_load(&hooks.s[i].last_ms) / 1000.0);
	return e;
}

static _Atomic int64_t tls_expiry;
static _Atomic uint64_t disk_reserve;

void
metrics_set_disk_reserve(uint64_t bytes)
{
	atomic_store(&disk_reserve, bytes);
}

void
metrics_set_tls_expiry(int64_t unix_s)
{
	atomic_store(&tls_expiry, unix_s);
}

void
metrics_set_disk(uint64_t free_bytes, uint64_t database, uint64_t wal)
{
	atomic_store_explicit(&disk_free, free_bytes, memory_order_relaxed);
	atomic_store_explicit(&db_bytes, database, memory_order_relaxed);
	atomic_store_explicit(&wal_bytes, wal, memory_order_relaxed);
}

void
metrics_set_connections(unsigned n)
{
	atomic_store_explicit(&connections, n, memory_order_relaxed);
}


char *
metrics_render(size_t *len)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	unsigned long long cum;
	size_t r, i;
	int e = 0;

	e |= ledger_buf_adds(&b,
	    "# HELP ledgerd_events_appended_total Entries appended to the log.\n"
	    "# TYPE ledgerd_events_appended_total counter\n");
	e |= ledger_buf_addf(&b, "ledgerd_events_appended_total %llu\n",
	    LOAD(appended));
	e |= ledger_buf_adds(&b,
	    "# HELP ledgerd_batches_total Group commits (one transaction each).\n"
	    "# TYPE ledgerd_batches_total counter\n");
	e |= ledger_buf_addf(&b, "ledgerd_batches_total %llu\n", LOAD(batches));
	e |= ledger_buf_adds(&b,
	    "# HELP ledgerd_batch_size Events per group commit.\n"
	    "# TYPE ledgerd_batch_size histogram\n");
	for (i = 0, cum = 0; i < NBATCH; i++) {
		cum += LOAD(batch_count[i]);
		e |= ledger_buf_addf(&b, "ledgerd_batch_size_bucket{le=\"%u\"} "
		    "%llu\n", batch_buckets[i], cum);
	}
	cum += LOAD(batch_count[NBATCH]);
	e |= ledger_buf_addf(&b, "ledgerd_batch_size_bucket{le=\"+Inf\"} %llu\n"
	    "ledgerd_batch_size_sum %llu\nledgerd_batch_size_count %llu\n",
	    cum, LOAD(batch_events), LOAD(batches));
	e |= ledger_buf_adds(&b,
	    "# HELP ledgerd_http_requests_total HTTP requests by route and "
	    "status.\n# TYPE ledgerd_http_requests_total counter\n");
	for (r = 0; r < ROUTE_COUNT; r++)
		for (i = 0; i <= NSTATUS; i++) {
			unsigned long long n = LOAD(requests[r][i]);

			if (n == 0)
				continue;
			if (i < NSTATUS)
				e |= ledger_buf_addf(&b,
				    "ledgerd_http_requests_total{route=\"%s\","
				    "status=\"%u\"} %llu\n", routes[r],
				    statuses[i], n);
			else
				e |= ledger_buf_addf(&b,
				    "ledgerd_http_requests_total{route=\"%s\","
				    "status=\"other\"} %llu\n", routes[r], n);
		}
	e |= ledger_buf_adds(&b,
	    "# HELP ledgerd_http_request_duration_seconds Time from first byte "
	    "to response, by route.\n"
	    "# TYPE ledgerd_http_request_duration_seconds histogram\n");
	for (r = 0; r < ROUTE_COUNT; r++) {
		unsigned long long total = 0;

		for (i = 0; i <= NDUR; i++)
			total += LOAD(dur_count[r][i]);
		if (total == 0)
			continue;
		for (i = 0, cum = 0; i < NDUR; i++) {
			cum += LOAD(dur_count[r][i]);
			e |= ledger_buf_addf(&b,
			    "ledgerd_http_request_duration_seconds_bucket{route="
			    "\"%s\",le=\"%g\"} %llu\n", routes[r],
			    dur_buckets[i], cum);
		}
		e |= ledger_buf_addf(&b,
		    "ledgerd_http_request_duration_seconds_bucket{route=\"%s\","
		    "le=\"+Inf\"} %llu\n"
		    "ledgerd_http_request_duration_seconds_sum{route=\"%s\"} "
		    "%.6f\nledgerd_http_request_duration_seconds_count{route="
		    "\"%s\"} %llu\n", routes[r], total, routes[r],
		    (double)LOAD(dur_sum_us[r]) / 1e6, routes[r], total);
	}
	e |= ledger_buf_adds(&b,
	    "# HELP ledgerd_rejected_requests_total Requests refused, by "
	    "reason.\n# TYPE ledgerd_rejected_requests_total counter\n");
	for (i = 0; i < REJECT_COUNT; i++)
		e |= ledger_buf_addf(&b, "ledgerd_rejected_requests_total{reason="
		    "\"%s\"} %llu\n", rejects[i], LOAD(rejected[i]));
	e |= ledger_buf_addf(&b,
	    "# HELP ledgerd_integrity_errors_total Reads that found the stored "
	    "log inconsistent (a missing tree hash, a corrupt payload): tamper "
	    "evidence.\n"
	    "# TYPE ledgerd_integrity_errors_total counter\n"
	    "ledgerd_integrity_errors_total %llu\n", LOAD(integrity_errors));
	e |= ledger_buf_addf(&b,
	    "# HELP ledgerd_payloads_pruned_total Payloads the retention "
	    "schedule deleted (each range recorded in the log first).\n"
	    "# TYPE ledgerd_payloads_pruned_total counter\n"
	    "ledgerd_payloads_pruned_total %llu\n", LOAD(payloads_pruned));
	e |= ledger_buf_addf(&b,
	    "# HELP ledgerd_storage_failures_total Batches that failed to commit "
	    "(disk full, I/O error, busy).\n"
	    "# TYPE ledgerd_storage_failures_total counter\n"
	    "ledgerd_storage_failures_total %llu\n"
	    "# HELP ledgerd_log_size Entries in the log.\n"
	    "# TYPE ledgerd_log_size gauge\nledgerd_log_size %llu\n"
	    "# HELP ledgerd_queue_depth Events waiting for the sequencer.\n"
	    "# TYPE ledgerd_queue_depth gauge\nledgerd_queue_depth %llu\n"
	    "# HELP ledgerd_connections Open HTTP connections.\n"
	    "# TYPE ledgerd_connections gauge\nledgerd_connections %llu\n"
	    "# HELP ledgerd_checkpoints_total Checkpoints signed.\n"
	    "# TYPE ledgerd_checkpoints_total counter\n"
	    "ledgerd_checkpoints_total %llu\n"
	    "# HELP ledgerd_checkpoint_size Size of the newest checkpoint.\n"
	    "# TYPE ledgerd_checkpoint_size gauge\n"
	    "ledgerd_checkpoint_size %llu\n"
	    "# HELP ledgerd_checkpoint_export_failures_total Checkpoints that "
	    "could not be exported.\n"
	    "# TYPE ledgerd_checkpoint_export_failures_total counter\n"
	    "ledgerd_checkpoint_export_failures_total %llu\n",
	    LOAD(storage_failures), LOAD(log_size), LOAD(queue_depth),
	    LOAD(connections), LOAD(checkpoints), LOAD(checkpoint_size),
	    LOAD(export_failures));
	e |= ledger_buf_addf(&b,
	    "# HELP ledgerd_build_info The running ledgerd.\n"
	    "# TYPE ledgerd_build_info gauge\n"
	    "ledgerd_build_info{version=\"%s\"} 1\n"
	    "# HELP ledgerd_disk_free_bytes Free space for ledgerd in the data "
	    "directory's file system.\n"
	    "# TYPE ledgerd_disk_free_bytes gauge\n"
	    "ledgerd_disk_free_bytes %llu\n"
	    "# HELP ledgerd_disk_reserve_bytes Below this free, writes are "
	    "refused (disk_reserve_bytes).\n"
	    "# TYPE ledgerd_disk_reserve_bytes gauge\n"
	    "ledgerd_disk_reserve_bytes %llu\n"
	    "# HELP ledgerd_database_bytes Size of the database file.\n"
	    "# TYPE ledgerd_database_bytes gauge\n"
	    "ledgerd_database_bytes %llu\n"
	    "# HELP ledgerd_wal_bytes Size of the write-ahead log.\n"
	    "# TYPE ledgerd_wal_bytes gauge\n"
	    "ledgerd_wal_bytes %llu\n", LEDGER_VERSION, LOAD(disk_free),
	    (unsigned long long)atomic_load(&disk_reserve), LOAD(db_bytes),
	    LOAD(wal_bytes));
	e |= render_hooks(&b);
	e |= render_attacks(&b);
	e |= selfverify_metrics(&b);
	if (atomic_load(&tls_expiry) > 0)
		e |= ledger_buf_addf(&b,
		    "# HELP ledgerd_tls_certificate_expiry_seconds When the "
		    "served TLS certificate expires (Unix time).\n"
		    "# TYPE ledgerd_tls_certificate_expiry_seconds gauge\n"
		    "ledgerd_tls_certificate_expiry_seconds %lld\n",
		    (long long)atomic_load(&tls_expiry));
	if (atomic_load(&last_cp_ms) > 0)
		e |= ledger_buf_addf(&b,
		    "# HELP ledgerd_checkpoint_age_seconds Since this ledgerd "
		    "last signed a checkpoint.\n"
		    "# TYPE ledgerd_checkpoint_age_seconds gauge\n"
		    "ledgerd_checkpoint_age_seconds %.3f\n",
		    (double)(ledger_now_ms() - atomic_load(&last_cp_ms)) /
		    1000.0);
	if (e != 0) {
		ledger_buf_release(&b);
		return NULL;
	}
	return ledger_buf_steal(&b, len);
}
