/*
 * http-write.c - the write routes: POST /v1/events and POST
 * /v1/hooks/{source}, queued for the sequencer and answered after COMMIT
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "ledger/wire.h"
#include "http-int.h"

static void
pending_done(struct pending *p)
{
	struct req *r = p->ctx;

	atomic_store(&r->finished, true);
	MHD_resume_connection(r->conn);
}

enum MHD_Result
finish_write(struct req *r)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	enum ledger_status st = r->p.st;
	bool fresh = false;
	size_t i;
	int e = 0;

	if (st == LEDGER_OK && r->route == ROUTE_GATE) {
		/* the gate's answer, with the receipt of its record */
		if (r->body.len > 0 && r->body.data[r->body.len - 1] == '}') {
			e |= ledger_buf_add(&b, r->body.data, r->body.len - 1);
			e |= ledger_buf_adds(&b, ",\"recorded\":");
			e |= ledger_receipt_json(&b, &r->receipts[0],
			    http_origin());
			e |= ledger_buf_addc(&b, '}');
		} else
			e = 1;
		if (e != 0) {
			ledger_buf_release(&b);
			return send_error(r, 503, "unavailable", retry_after,
			    "out of memory");
		}
		return send_json(r, 200, &b, NULL);
	}
	if (st == LEDGER_OK && r->route == ROUTE_REPORTS_POST)
		return finish_report(r);
	if (st == LEDGER_OK) {
		if (r->hook[0] != '\0')
			metrics_hook(r->hook, NULL);
		if (r->nev > 1)
			e |= ledger_buf_adds(&b, "{\"receipts\":[");
		for (i = 0; i < r->nev; i++) {
			if (i > 0)
				e |= ledger_buf_addc(&b, ',');
			e |= ledger_receipt_json(&b, &r->receipts[i],
			    http_origin());
			fresh |= !r->receipts[i].duplicate;
		}
		if (r->nev > 1)
			e |= ledger_buf_adds(&b, "]}");
		if (e != 0) {
			ledger_buf_release(&b);
			return send_error(r, 503, "unavailable", retry_after,
			    "out of memory");
		}
		return send_json(r, fresh ? 201 : 200, &b, NULL);
	}
	if (st == LEDGER_EINVAL) {
		metrics_reject(REJECT_BAD_FIELDS);
		return send_error(r, 400, "bad_request", NULL, "%s", r->p.msg);
	}
	if (st == LEDGER_EEXIST) {
		metrics_reject(REJECT_CONFLICT);
		return send_error(r, 409, "conflict", NULL, "%s", r->p.msg);
	}
	metrics_reject(REJECT_STORAGE);
	return send_error(r, 503, "unavailable", retry_after,
	    "storage failure, nothing was written (%s); retry later",
	    r->p.msg);
}

/* Queue the request's events (owned by r) for the sequencer. */
enum MHD_Result
submit(struct req *r)
{
	if ((r->receipts = calloc(r->nev, sizeof(*r->receipts))) == NULL)
		return send_error(r, 503, "unavailable", retry_after,
		    "out of memory");
	memset(&r->p, 0, sizeof(r->p));
	r->p.evs = r->evs;
	r->p.nev = r->nev;
	r->p.receipts = r->receipts;
	r->p.ctx = r;
	r->p.done = pending_done;
	r->state = ST_WAITING;
	/* Suspend first: the sequencer may finish before we return. */
	MHD_suspend_connection(r->conn);
	if (!seq_submit(&r->p)) {
		MHD_resume_connection(r->conn);
		metrics_reject(REJECT_QUEUE);
		if (seq_refusal() != NULL)
			return send_error(r, 503, "unavailable", NULL, "%s",
			    seq_refusal());
		return send_error(r, 503, "unavailable", retry_after,
		    "the queue is full or the server is stopping; retry later");
	}
	return MHD_YES;
}

enum MHD_Result
route_events_post(struct req *r)
{
	struct ledger_event *ev = NULL;
	struct ledger_error err;
	const char *idem;

	if (ledger_event_from_json(r->body.data ? r->body.data : "",
	    r->body.len, -1, &ev, &err) != LEDGER_OK) {
		metrics_reject(err.flags & LEDGER_ERRF_SYNTAX ?
		    REJECT_BAD_JSON : REJECT_BAD_FIELDS);
		return send_error(r, 400, "bad_request", NULL, "%s", err.msg);
	}
	idem = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "Idempotency-Key");
	if (idem != NULL) {
		const char *d = ev->e.source[LEDGER_SRC_DELIVERY];

		if (d != NULL && strcmp(d, idem) != 0) {
			ledger_event_free(ev);
			metrics_reject(REJECT_BAD_FIELDS);
			return send_error(r, 400, "bad_request", NULL,
			    "Idempotency-Key and the body's 'delivery' differ");
		}
		if (ledger_event_set_source(ev, LEDGER_SRC_DELIVERY, idem,
		    &err) != LEDGER_OK) {
			ledger_event_free(ev);
			metrics_reject(REJECT_BAD_FIELDS);
			return send_error(r, 400, "bad_request", NULL,
			    "bad Idempotency-Key: %s", err.msg);
		}
	}
	if (ledger_event_set_source(ev, LEDGER_SRC_NAME, "api", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_TYPE, "generic", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_AUTH, r->auth, &err) ||
	    ((r->evs = malloc(sizeof(*r->evs))) == NULL &&
	    ledger_errorf(&err, LEDGER_ENOMEM, "out of memory"))) {
		ledger_event_free(ev);
		return send_status(r, &err);
	}
	r->evs[0] = ev;
	r->nev = 1;
	return submit(r);
}

/* ---- webhooks: POST /v1/hooks/{source} ---- */

static const char *
hook_header(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

enum MHD_Result
route_hook(struct req *r)
{
	struct ledger_hook_request hr;
	struct ledger_error err;
	const char *auth = NULL;
	char safe[300];
	bool drop = false;

	memset(&hr, 0, sizeof(hr));
	hr.content_type = MHD_lookup_connection_value(r->conn,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	hr.body = (const uint8_t *)r->body.data;
	hr.body_len = r->body.len;
	hr.header = hook_header;
	hr.header_ctx = r->conn;
	hr.now_ms = ledger_now_ms();
	/* The raw body is authenticated before anything parses it. */
	if (ledger_source_authenticate(r->src, &hr, &auth, &err) !=
	    LEDGER_OK) {
		if (err.code == LEDGER_ENOMEM)
			return send_error(r, 503, "unavailable", retry_after,
			    "out of memory");
		metrics_reject(REJECT_AUTH);
		metrics_hook(r->hook, "auth");
		refused(r, r->hook);
		log_info("hook refused source=%s reason=\"%s\"", r->hook,
		    log_safe(err.msg, safe, sizeof(safe)));
		return send_error(r, 401, "unauthorized", NULL,
		    "the delivery's signature or token did not verify");
	}
	if (ledger_source_check_media_type(r->src, &hr, &err) != LEDGER_OK) {
		metrics_reject(REJECT_CONTENT_TYPE);
		metrics_hook(r->hook, "content_type");
		return send_error(r, 415, "unsupported_media_type", NULL, "%s",
		    err.msg);
	}
	set_auth(r, auth);
	if (ledger_source_normalize(r->src, &hr, r->auth, &r->evs, &r->nev,
	    &drop, &err) != LEDGER_OK) {
		if (err.code == LEDGER_ENOMEM)
			return send_error(r, 503, "unavailable", retry_after,
			    "out of memory");
		metrics_reject(err.flags & LEDGER_ERRF_SYNTAX ?
		    REJECT_BAD_JSON : REJECT_BAD_FIELDS);
		metrics_hook(r->hook, err.flags & LEDGER_ERRF_SYNTAX ?
		    "bad_json" : "bad_fields");
		return send_error(r, 400, "bad_request", NULL, "%s", err.msg);
	}
	if (drop || r->nev == 0) {
		metrics_hook(r->hook, "dropped");
		struct ledger_buf b = LEDGER_BUF_INIT;

		log_info("hook dropped source=%s (unknown event, "
		    "unknown_events=drop)", r->hook);
		if (ledger_buf_adds(&b, "{\"status\":\"dropped\",\"message\":"
		    "\"event not recorded: unknown to this source's mapping\"}")) {
			ledger_buf_release(&b);
			return MHD_NO;
		}
		return send_json(r, 202, &b, NULL);
	}
	return submit(r);
}

