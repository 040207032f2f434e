/*
 * http-upload.c - POST /v1/reports: a report a pipeline step uploads
 * (lib/upload.c), one entry, answered after COMMIT like POST /v1/events
 *
 * The body is the report as the tool wrote it; what the pipeline knows
 * and the report may not say comes as query parameters:
 *
 *	class=scan|sbom|plan|run	what the caller expects (default any)
 *	kind=K				record a report ledgerd does not read
 *	fail_on=critical|high|medium|low|unknown|none	the threshold
 *	artifact, commit, environment, pipeline, run, service, actor,
 *	deployment, ticket, url		subject values (they win)
 *
 * An unknown parameter is a 400: a misspelt "artefact" must not record a
 * scan that gates nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "ledger/upload.h"
#include "ledger/wire.h"
#include "http-int.h"

static const char *const report_args[] = { "class", "kind", "fail_on",
	"actor", "artifact", "commit", "deployment", "environment",
	"pipeline", "run", "service", "ticket", "url", NULL };

static const char *
arg(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

/* The media type, lower case, without parameters; NULL if none. */
static const char *
media_type(struct req *r, char *buf, size_t n)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t i, len;

	if (ct == NULL)
		return NULL;
	while (*ct == ' ')
		ct++;
	len = strcspn(ct, "; ");
	if (len == 0 || len >= n)
		return NULL;
	for (i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)ct[i]);
	buf[len] = '\0';
	return buf;
}

/* The options from the query; an error already sent when false. */
static bool
upload_opts(struct req *r, struct ledger_upload_opts *o, enum MHD_Result *ret)
{
	struct known_args a = { report_args, NULL };
	struct ledger_error err;
	enum ledger_kind k;
	const char *v;
	int i;

	memset(o, 0, sizeof(*o));
	o->kind = -1;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_known,
	    &a);
	if (a.bad != NULL) {
		*ret = send_error(r, 400, "bad_request", NULL, "unknown "
		    "parameter '%.64s'", a.bad);
		return false;
	}
	if ((v = arg(r, "class")) != NULL &&
	    (i = ledger_upload_class_parse(v)) < 0) {
		*ret = send_error(r, 400, "bad_request", NULL, "class is scan, "
		    "sbom, plan or run");
		return false;
	}
	o->cls = v != NULL ? (enum ledger_upload_class)i : LEDGER_UPLOAD_ANY;
	if ((v = arg(r, "kind")) != NULL) {
		if (ledger_kind_parse(v, &k, &err) != LEDGER_OK) {
			*ret = send_error(r, 400, "bad_request", NULL, "%s",
			    err.msg);
			return false;
		}
		o->kind = (int)k;
	}
	if ((v = arg(r, "fail_on")) != NULL) {
		if ((i = ledger_severity_parse(v)) < 0) {
			*ret = send_error(r, 400, "bad_request", NULL, "fail_on "
			    "is critical, high, medium, low, unknown or none");
			return false;
		}
		o->fail_on = (enum ledger_severity)i;
		o->fail_on_set = true;
	}
	for (i = 3; report_args[i] != NULL; i++)
		o->subject[ledger_subject_lookup(report_args[i])] =
		    arg(r, report_args[i]);
	return true;
}

enum MHD_Result
route_reports_post(struct req *r)
{
	struct ledger_upload_opts o;
	struct ledger_event *ev = NULL;
	struct ledger_error err;
	enum MHD_Result ret;
	const char *mt, *idem;
	char mtbuf[128];

	if (!upload_opts(r, &o, &ret))
		return ret;
	mt = media_type(r, mtbuf, sizeof(mtbuf));
	if (mt == NULL || (!ledger_upload_json_type(mt) && o.kind < 0)) {
		metrics_reject(REJECT_CONTENT_TYPE);
		return send_error(r, 415, "unsupported_media_type", NULL,
		    "a report is JSON (Content-Type: application/json); to "
		    "record a file of another type as it is, say its kind=");
	}
	o.media_type = mt;
	if (ledger_upload_event(r->body.data ? r->body.data : "", r->body.len,
	    &o, &ev, &err) != LEDGER_OK) {
		if (err.code == LEDGER_ENOMEM)
			return send_status(r, &err);
		metrics_reject(err.flags & LEDGER_ERRF_SYNTAX ?
		    REJECT_BAD_JSON : REJECT_BAD_FIELDS);
		return send_error(r, 400, "bad_request", NULL, "%s", err.msg);
	}
	idem = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "Idempotency-Key");
	if (idem != NULL && ledger_event_set_source(ev, LEDGER_SRC_DELIVERY,
	    idem, &err) != LEDGER_OK) {
		ledger_event_free(ev);
		metrics_reject(REJECT_BAD_FIELDS);
		return send_error(r, 400, "bad_request", NULL,
		    "bad Idempotency-Key: %s", err.msg);
	}
	if (ledger_event_set_source(ev, LEDGER_SRC_NAME, "api", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_AUTH, r->auth, &err) ||
	    ((r->evs = malloc(sizeof(*r->evs))) == NULL &&
	    ledger_errorf(&err, LEDGER_ENOMEM, "out of memory"))) {
		ledger_event_free(ev);
		return send_status(r, &err);
	}
	/* the same bytes with the same subject again are a retry: the
	 * receipt of the first (lib/lookup.h), as for webhooks */
	ev->dedupe_body = true;
	r->evs[0] = ev;
	r->nev = 1;
	return submit(r);
}

enum MHD_Result
finish_report(struct req *r)
{
	static const enum ledger_subject show[] = { LEDGER_SUBJ_ARTIFACT,
	    LEDGER_SUBJ_COMMIT, LEDGER_SUBJ_STATUS, LEDGER_SUBJ_SUMMARY,
	    LEDGER_SUBJ_TOOL, LEDGER_SUBJ_TOOL_VERSION };
	const struct ledger_entry *e = &r->evs[0]->e;
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_store *s = NULL;
	struct ledger_row row;
	struct ledger_error err;
	enum ledger_status st;
	size_t i;

	/* A retry was not recorded: what the log holds is the first upload
	 * (its threshold, its target), so that is what the answer says --
	 * never the verdict of a request that was dropped. */
	memset(&row, 0, sizeof(row));
	if (r->receipts[0].duplicate) {
		if ((s = pool_get(&err)) == NULL)
			return send_status(r, &err);
		st = ledger_store_get(s, r->receipts[0].seq, &row, &err);
		pool_put(s);
		if (st != LEDGER_OK)
			return send_status(r, &err);
		e = &row.e;
	}
	st = ledger_receipt_json(&b, &r->receipts[0], http_origin());
	if (st == LEDGER_OK && b.len > 0) {
		/* the receipt's members, then the entry's account of it */
		b.len--;
		st |= ledger_json_member(&b, "kind", ledger_kind_name(e->kind));
		st |= ledger_json_member(&b, "format",
		    e->source[LEDGER_SRC_EVENT]);
		for (i = 0; i < sizeof(show) / sizeof(*show); i++)
			st |= ledger_json_member(&b, ledger_subject_name(show[i]),
			    e->subject[show[i]]);
		st |= ledger_buf_addc(&b, '}');
	}
	ledger_row_release(&row);
	if (st != LEDGER_OK) {
		ledger_buf_release(&b);
		return send_error(r, 503, "unavailable", retry_after,
		    "out of memory");
	}
	return send_json(r, r->receipts[0].duplicate ? 200 : 201, &b, NULL);
}
