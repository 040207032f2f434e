/*
 * http-read.c - the read routes: entries, listings, health, checkpoints,
 * proofs and metrics; each reads from a pooled read-only store handle
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <microhttpd.h>

#include "ledger/lineage.h"
#include "ledger/timeline.h"
#include "ledger/wire.h"
#include "ledger/keyhist.h"
#include "ledger/query.h"
#include "ledger/retention.h"
#include "ledger/tree.h"
#include "http-int.h"

#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX 1000
/* Most candidate rows one listing reads (a filter without a lookup key,
 * such as a commit prefix, scans): the answer then pages on. */
#define LIST_SCAN_MAX 50000
#define MIN_FREE_BYTES (1u << 20)

bool
parse_seq(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return true;
}

struct list_ctx {
	struct ledger_buf *b;
	uint64_t n, last;
	int err;
};

static int
list_row(void *ctx, const struct ledger_row *row)
{
	struct list_ctx *L = ctx;

	if (L->n > 0)
		L->err |= ledger_buf_addc(L->b, ',');
	L->err |= ledger_row_json(row->e.seq, row->entry, row->entry_len,
	    row->sig, &row->e, -1, NULL, L->b);
	L->n++;
	L->last = row->e.seq;
	return L->err;
}

struct query_args {
	struct ledger_query *q;
	struct ledger_error err;
	bool bad;
};

/* Every query parameter through ledger_query_param: repeated names are
 * ORed, an unknown one or one without a value is refused. */
static enum MHD_Result
query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct query_args *a = cls;

	(void)kind;
	if (ledger_query_param(a->q, key, value, &a->err) != LEDGER_OK) {
		a->bad = true;
		return MHD_NO;
	}
	return MHD_YES;
}

enum MHD_Result
route_events_list(struct req *r)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_query q;
	struct list_ctx L;
	struct ledger_store *s;
	struct ledger_error err;
	struct query_args a = { &q, { 0 }, false };
	int64_t resume = -1;

	ledger_query_init(&q);
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_arg,
	    &a);
	if (!a.bad && ledger_query_check(&q, &a.err) != LEDGER_OK)
		a.bad = true;
	if (!a.bad && (q.limit > LIST_LIMIT_MAX || (q.limit == 0 &&
	    MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	    "limit") != NULL))) {
		a.bad = true;
		snprintf(a.err.msg, sizeof(a.err.msg), "limit must be from 1 "
		    "to %d", LIST_LIMIT_MAX);
	}
	if (a.bad) {
		ledger_query_release(&q);
		return send_error(r, 400, "bad_request", NULL, "%s", a.err.msg);
	}
	if (q.limit == 0)
		q.limit = LIST_LIMIT_DEFAULT;
	if ((s = pool_get(&err)) == NULL) {
		ledger_query_release(&q);
		return send_status(r, &err);
	}
	memset(&L, 0, sizeof(L));
	L.b = &b;
	L.err = ledger_buf_adds(&b, "{\"events\":[");
	if (ledger_store_query_page(s, &q, list_row, &L, LIST_SCAN_MAX,
	    &resume, &err) != LEDGER_OK) {
		pool_put(s);
		ledger_buf_release(&b);
		ledger_query_release(&q);
		return send_status(r, &err);
	}
	pool_put(s);
	if (resume >= 0)	/* the scan budget ran out: go on from there */
		L.err |= ledger_buf_addf(&b, "],\"next_after_seq\":%" PRId64 "}",
		    resume);
	else if (L.n == q.limit)
		L.err |= ledger_buf_addf(&b, "],\"next_after_seq\":%" PRIu64 "}",
		    L.last);
	else
		L.err |= ledger_buf_adds(&b, "],\"next_after_seq\":null}");
	ledger_query_release(&q);
	if (L.err) {
		ledger_buf_release(&b);
		return send_error(r, 503, "unavailable", retry_after,
		    "out of memory");
	}
	return send_json(r, 200, &b, NULL);
}

/* Only a plain media type is echoed back as Content-Type. */
static const char *
safe_type(const char *t)
{
	size_t i;

	if (t == NULL || *t == '\0' || strlen(t) > 100)
		return "application/octet-stream";
	for (i = 0; t[i]; i++)
		if (!(t[i] >= 'a' && t[i] <= 'z') && !(t[i] >= 'A' &&
		    t[i] <= 'Z') && !(t[i] >= '0' && t[i] <= '9') &&
		    !strchr("/+.-_=; ", t[i]))
			return "application/octet-stream";
	return t;
}

enum MHD_Result
route_event(struct req *r, uint64_t seq)
{
	char *headers = NULL;
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_store *s;
	struct ledger_row row;
	struct ledger_error err;
	enum ledger_status st;
	enum MHD_Result ret;
	uint8_t *payload;
	size_t plen;
	int e = 0;

	if ((s = pool_get(&err)) == NULL)
		return send_status(r, &err);
	if ((st = ledger_store_get(s, seq, &row, &err)) != LEDGER_OK) {
		pool_put(s);
		if (st == LEDGER_ENOTFOUND)
			ledger_errorf(&err, st, "no entry %" PRIu64, seq);
		return send_status(r, &err);
	}
	if (r->route == ROUTE_EVENT_PAYLOAD) {
		st = ledger_store_get_payload(s, seq, &payload, &plen, &err);
		pool_put(s);
		if (st != LEDGER_OK) {
			ledger_row_release(&row);
			if (st == LEDGER_ENOTFOUND &&
			    (s = pool_get(&err)) != NULL) {
				uint64_t by;

				if (ledger_payload_pruned_by(s, seq, &by,
				    &err) == LEDGER_OK)
					ledger_errorf(&err, st, "payload of entry "
					    "%" PRIu64 " was pruned (the "
					    "payloads-pruned record at seq %"
					    PRIu64 ")", seq, by);
				else
					ledger_errorf(&err, st, "payload of "
					    "entry %" PRIu64 " is not stored",
					    seq);
				pool_put(s);
			} else if (st == LEDGER_ENOTFOUND)
				ledger_errorf(&err, st, "payload of entry %"
				    PRIu64 " is not stored", seq);
			else if (st == LEDGER_EINVAL) {	/* corrupt */
				char why[sizeof(err.msg)];

				snprintf(why, sizeof(why), "%s", err.msg);
				ledger_errorf(&err, LEDGER_ECHAIN, "payload of "
				    "entry %" PRIu64 ": %s", seq, why);
			}
			return send_status(r, &err);
		}
		ret = send_buf(r, 200, safe_type(row.e.payload_type), payload,
		    plen, MHD_RESPMEM_MUST_FREE, NULL);
		ledger_row_release(&row);
		return ret;
	}
	if (r->route == ROUTE_EVENT_GET &&
	    ledger_store_get_headers(s, seq, &headers, &err) != LEDGER_OK)
		headers = NULL;		/* none stored, or unreadable */
	pool_put(s);
	if (r->route == ROUTE_EVENT_ENTRY) {
		size_t n = row.entry_len;
		void *p = row.entry;

		row.entry = NULL;
		ledger_row_release(&row);
		return send_buf(r, 200, "application/json", p, n,
		    MHD_RESPMEM_MUST_FREE, NULL);
	}
	e = ledger_row_json(seq, row.entry, row.entry_len, row.sig, &row.e,
	    -1, headers, &b);
	free(headers);
	ledger_row_release(&row);
	if (e != 0) {
		ledger_buf_release(&b);
		return send_error(r, 503, "unavailable", retry_after,
		    "out of memory");
	}
	return send_json(r, 200, &b, NULL);
}

/* The committed size: the sequencer's, or the store's when no sequencer
 * runs (writes refused). */
static uint64_t
healthz_size(void)
{
	struct ledger_store *s;
	uint64_t n = seq_log_size();

	if (seq_refusal() != NULL && (s = pool_get(NULL)) != NULL) {
		if (ledger_store_size(s, &n, NULL) != LEDGER_OK)
			n = 0;
		pool_put(s);
	}
	return n;
}

enum MHD_Result
route_healthz(struct req *r)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct statvfs vfs;
	const char *why = NULL;

	if (seq_refusal() != NULL)
		why = seq_refusal();
	else if (!seq_healthy())
		why = "the last write to the store failed";
	else if (statvfs(http_data_dir(), &vfs) == 0 &&
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize < MIN_FREE_BYTES)
		why = "the data directory's file system is full";
	if (why != NULL) {
		if (ledger_buf_adds(&b, "{\"status\":\"unavailable\","
		    "\"reason\":") || add_jstr(&b, why) ||
		    ledger_buf_addf(&b, ",\"log_size\":%" PRIu64 "}",
		    healthz_size())) {
			ledger_buf_release(&b);
			return MHD_NO;
		}
		return send_json(r, 503, &b, retry_after);
	}
	if (ledger_buf_addf(&b, "{\"status\":\"ok\",\"log_size\":%" PRIu64
	    "}", healthz_size())) {
		ledger_buf_release(&b);
		return MHD_NO;
	}
	return send_json(r, 200, &b, NULL);
}

/* The store answers a round trip (a database server reachable); false
 * with the reason in why. */
static bool
store_reachable(char *why, size_t len)
{
	struct ledger_store *s;
	struct ledger_error err;
	enum ledger_status st;

	if ((s = pool_get(&err)) == NULL) {
		snprintf(why, len, "%.150s", err.msg);
		return false;
	}
	st = ledger_store_ping(s, &err);
	pool_put(s);
	if (st != LEDGER_OK)
		snprintf(why, len, "%.150s", err.msg);
	return st == LEDGER_OK;
}

/*
 * Ready to take writes: the store writable and reachable, free space
 * above the reserve
 * and the log covered by a recent checkpoint (entries wait at most ten
 * checkpoint intervals, and never over a minute, to be covered).
 */
enum MHD_Result
route_readyz(struct req *r)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	int64_t lag = seq_uncovered_ms(), limit;
	uint64_t free_bytes, first_bad;
	char why[200];

	limit = 10 * (int64_t)http_checkpoint_interval_ms();
	if (limit < 60000)
		limit = 60000;
	why[0] = '\0';
	if (seq_refusal() != NULL)
		snprintf(why, sizeof(why), "%s", seq_refusal());
	else if (!seq_healthy())
		snprintf(why, sizeof(why), "the last write to the store failed");
	else if (http_disk_low(&free_bytes))
		snprintf(why, sizeof(why), "%llu bytes free in the data "
		    "directory, below the reserve", (unsigned long long)
		    free_bytes);
	else if (lag > limit)
		snprintf(why, sizeof(why), "entries have waited %lld ms for a "
		    "checkpoint", (long long)lag);
	else if (!store_reachable(why, sizeof(why)))
		;
	else if (selfverify_failed(&first_bad))
		snprintf(why, sizeof(why), "self-verification found the log "
		    "changed, first at seq %llu", (unsigned long long)first_bad);
	if (ledger_buf_addf(&b, "{\"status\":\"%s\"", why[0] ? "unavailable" :
	    "ready") || (why[0] && (ledger_buf_adds(&b, ",\"reason\":") ||
	    add_jstr(&b, why))) || ledger_buf_addf(&b, ",\"log_size\":%"
	    PRIu64 "}", healthz_size())) {
		ledger_buf_release(&b);
		return MHD_NO;
	}
	return send_json(r, why[0] ? 503 : 200, &b, why[0] ? retry_after :
	    NULL);
}

/* ---- checkpoints and proofs (public) ---- */

enum MHD_Result
route_checkpoint(struct req *r, bool latest, uint64_t size)
{
	struct ledger_signed_checkpoint cp;
	struct ledger_store *s;
	struct ledger_error err;
	enum ledger_status st;
	size_t len;
	char *note;

	if ((s = pool_get(&err)) == NULL)
		return send_status(r, &err);
	st = latest ? ledger_store_checkpoint_latest(s, &cp, &err) :
	    ledger_store_checkpoint_get(s, size, &cp, &err);
	pool_put(s);
	if (st != LEDGER_OK)
		return send_status(r, &err);
	note = cp.note;
	len = cp.note_len;
	cp.note = NULL;
	return send_buf(r, 200, "text/plain; charset=utf-8", note, len,
	    MHD_RESPMEM_MUST_FREE, NULL);
}

enum MHD_Result
route_keys(struct req *r)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_store *s;
	struct ledger_error err;
	enum ledger_status st;
	size_t len;
	char *text;

	if ((s = pool_get(&err)) == NULL)
		return send_status(r, &err);
	st = ledger_store_key_records_json(s, &b, &err);
	pool_put(s);
	if (st != LEDGER_OK) {
		ledger_buf_release(&b);
		return send_status(r, &err);
	}
	text = (char *)ledger_buf_steal(&b, &len);
	return send_buf(r, 200, "application/json", text, len,
	    MHD_RESPMEM_MUST_FREE, NULL);
}

/* A query parameter that must be a decimal uint64: 1 ok, 0 absent,
 * -1 malformed. */
static int
query_u64(struct req *r, const char *name, uint64_t *ret)
{
	const char *v = MHD_lookup_connection_value(r->conn,
	    MHD_GET_ARGUMENT_KIND, name);

	if (v == NULL)
		return 0;
	return parse_seq(v, strlen(v), ret) ? 1 : -1;
}

enum MHD_Result
check_known(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct known_args *a = cls;
	size_t i;

	(void)kind;
	(void)value;
	for (i = 0; a->names[i] != NULL; i++)
		if (strcmp(key, a->names[i]) == 0)
			return MHD_YES;
	a->bad = key;
	return MHD_NO;
}

enum MHD_Result
route_proof(struct req *r, bool inclusion)
{
	static const char *const inc_args[] = { "seq", "size", NULL };
	static const char *const con_args[] = { "first", "second", NULL };
	struct known_args a = { inclusion ? inc_args : con_args, NULL };
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	uint8_t leaf[LEDGER_HASH_BYTES];
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_signed_checkpoint cp;
	struct ledger_store *s;
	struct ledger_error err;
	enum ledger_status st;
	uint64_t x = 0, y = 0;
	size_t n;
	int hx, hy, e = 0;

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_known,
	    &a);
	if (a.bad != NULL)
		return send_error(r, 400, "bad_request", NULL,
		    "unknown parameter '%.64s'", a.bad);
	hx = query_u64(r, inclusion ? "seq" : "first", &x);
	hy = query_u64(r, inclusion ? "size" : "second", &y);
	if (hx <= 0)
		return send_error(r, 400, "bad_request", NULL,
		    "'%s' is required and must be a non-negative integer",
		    inclusion ? "seq" : "first");
	if (hy < 0)
		return send_error(r, 400, "bad_request", NULL,
		    "'%s' must be a non-negative integer",
		    inclusion ? "size" : "second");
	if ((s = pool_get(&err)) == NULL)
		return send_status(r, &err);
	if (hy == 0) {	/* default: the newest checkpoint's size */
		if (ledger_store_checkpoint_latest(s, &cp, &err)) {
			pool_put(s);
			return send_status(r, &err);
		}
		y = cp.size;
		ledger_signed_checkpoint_release(&cp);
	}
	if (inclusion)
		st = ledger_store_prove_inclusion(s, x, y, proof, &n, &err);
	else
		st = ledger_store_prove_consistency(s, x, y, proof, &n, &err);
	if (st == LEDGER_OK && inclusion) {
		/* The stored level-0 hash is the leaf hash: one point read,
		 * not the whole entry.  The client checks it against the
		 * entry it holds anyway. */
		st = ledger_store_leaf_hash(s, x, leaf, &err);
	}
	pool_put(s);
	if (st != LEDGER_OK)
		return send_status(r, &err);
	e |= inclusion ? ledger_inclusion_json(&b, x, y, leaf,
	    (const uint8_t (*)[LEDGER_HASH_BYTES])proof, n) :
	    ledger_consistency_json(&b, x, y,
	    (const uint8_t (*)[LEDGER_HASH_BYTES])proof, n);
	if (e != 0) {
		ledger_buf_release(&b);
		return send_error(r, 503, "unavailable", retry_after,
		    "out of memory");
	}
	return send_json(r, 200, &b, NULL);
}

enum MHD_Result
route_status(struct req *r)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_store *s;
	struct ledger_error err;
	enum ledger_status st;

	if (MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, NULL,
	    NULL) > 0)
		return send_error(r, 400, "bad_request", NULL,
		    "status takes no parameter");
	if ((s = pool_get(&err)) == NULL)
		return send_status(r, &err);
	st = ledger_store_status_json(s, &b, &err);
	pool_put(s);
	if (st != LEDGER_OK) {
		ledger_buf_release(&b);
		return send_status(r, &err);
	}
	return send_json(r, 200, &b, NULL);
}

enum MHD_Result
route_metrics(struct req *r)
{
	size_t len;
	char *text = metrics_render(&len);

	if (text == NULL)
		return send_error(r, 503, "unavailable", retry_after,
		    "out of memory");
	return send_buf(r, 200, "text/plain; version=0.0.4", text, len,
	    MHD_RESPMEM_MUST_FREE, NULL);
}


/* ---- lineage ---- */

enum MHD_Result
route_trace(struct req *r, bool where)
{
	static const char *const args[] = { "commit", "artifact", "run",
	    "pipeline", NULL };
	static const enum ledger_subject fields[] = { LEDGER_SUBJ_COMMIT,
	    LEDGER_SUBJ_ARTIFACT, LEDGER_SUBJ_RUN };
	struct known_args a = { args, NULL };
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_trace t;
	struct ledger_store *s;
	struct ledger_error err;
	const char *v, *value = NULL, *pipeline;
	enum ledger_subject field = LEDGER_SUBJ_COMMIT;
	enum ledger_status st;
	int i, given = 0;

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_known,
	    &a);
	if (a.bad != NULL)
		return send_error(r, 400, "bad_request", NULL,
		    "unknown parameter '%.64s'", a.bad);
	for (i = 0; i < 3; i++)
		if ((v = MHD_lookup_connection_value(r->conn,
		    MHD_GET_ARGUMENT_KIND, args[i])) != NULL) {
			value = v;
			field = fields[i];
			given++;
		}
	pipeline = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	    "pipeline");
	if (where && (field == LEDGER_SUBJ_RUN || pipeline != NULL))
		return send_error(r, 400, "bad_request", NULL, "where takes "
		    "exactly one of commit or artifact");
	if (given != 1 || (pipeline != NULL && field != LEDGER_SUBJ_RUN))
		return send_error(r, 400, "bad_request", NULL, "give exactly "
		    "one of commit, artifact or run (pipeline only with run)");
	if ((s = pool_get(&err)) == NULL)
		return send_status(r, &err);
	st = ledger_trace(s, field, value, pipeline, &t, &err);
	pool_put(s);
	if (st == LEDGER_EINVAL)
		return send_error(r, 400, "bad_request", NULL, "%s", err.msg);
	if (st != LEDGER_OK)
		return send_status(r, &err);
	st = where ? ledger_where_json(&t, &b) : ledger_trace_json(&t, &b);
	ledger_trace_release(&t);
	if (st != LEDGER_OK) {
		ledger_buf_release(&b);
		return send_error(r, 503, "unavailable", retry_after,
		    "out of memory");
	}
	return send_json(r, 200, &b, NULL);
}

static const char *
arg(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

/* The timeline's options from the query string; 0, or -1 with why. */
static int
timeline_args(struct req *r, struct ledger_timeline_opts *o,
    struct ledger_error *err)
{
	const char *period = arg(r, "period"), *from = arg(r, "from");
	const char *to = arg(r, "to"), *gap = arg(r, "gap");
	unsigned long long g;

	memset(o, 0, sizeof(*o));
	if ((period != NULL) == (from != NULL || to != NULL) ||
	    (period == NULL && (from == NULL || to == NULL))) {
		ledger_errorf(err, LEDGER_EINVAL, "give period, or from and to");
		return -1;
	}
	if (period != NULL ? ledger_period_parse(period, &o->from_ms,
	    &o->to_ms, err) != LEDGER_OK : ledger_time_parse_any(from,
	    &o->from_ms, err) != LEDGER_OK || ledger_time_parse_any(to,
	    &o->to_ms, err) != LEDGER_OK)
		return -1;
	if (ledger_page_parse(arg(r, "after"), arg(r, "limit"), &o->start_seq,
	    &o->limit, err) != LEDGER_OK)
		return -1;
	o->environment = arg(r, "environment") ? arg(r, "environment") :
	    arg(r, "env");
	o->service = arg(r, "service");
	if (gap != NULL) {
		char *end;

		g = strtoull(gap, &end, 10);
		if (*gap == '\0' || *end != '\0' || g == 0 || g > 31536000) {
			ledger_errorf(err, LEDGER_EINVAL, "gap must be 1 to "
			    "31536000 seconds");
			return -1;
		}
		o->gap_s = (int64_t)g;
	}
	return 0;
}

enum MHD_Result
route_timeline(struct req *r)
{
	static const char *const args[] = { "period", "from", "to",
	    "environment", "env", "service", "gap", "after", "limit", NULL };
	struct known_args a = { args, NULL };
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_timeline_opts o;
	struct ledger_store *s;
	struct ledger_error err;
	enum ledger_status st;

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_known,
	    &a);
	if (a.bad != NULL)
		return send_error(r, 400, "bad_request", NULL,
		    "unknown parameter '%.64s'", a.bad);
	if (timeline_args(r, &o, &err) != 0)
		return send_error(r, 400, "bad_request", NULL, "%s", err.msg);
	if ((s = pool_get(&err)) == NULL)
		return send_status(r, &err);
	st = ledger_timeline_json(s, &o, &b, NULL, &err);
	pool_put(s);
	if (st == LEDGER_EINVAL) {
		ledger_buf_release(&b);
		return send_error(r, 400, "bad_request", NULL, "%s", err.msg);
	}
	if (st != LEDGER_OK) {
		ledger_buf_release(&b);
		return send_status(r, &err);
	}
	return send_json(r, 200, &b, NULL);
}
