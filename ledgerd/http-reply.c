/*
 * http-reply.c - answers: JSON bodies, errors, and the one map from a
 * library status to an HTTP status
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "ledger/jcs.h"
#include "http-int.h"

enum MHD_Result
send_buf(struct req *r, unsigned status, const char *type, void *buf,
    size_t len, enum MHD_ResponseMemoryMode mode, const char *const *hdrs)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, buf, mode);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	for (; hdrs != NULL && hdrs[0] != NULL; hdrs += 2)
		MHD_add_response_header(resp, hdrs[0], hdrs[1]);
	r->status = status;
	r->sent = len;
	r->state = ST_DONE;
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result
send_json(struct req *r, unsigned status, struct ledger_buf *b,
    const char *const *hdrs)
{
	size_t len;
	char *p;

	if (ledger_buf_addc(b, '\n') != LEDGER_OK) {
		ledger_buf_release(b);
		return MHD_NO;
	}
	p = ledger_buf_steal(b, &len);
	return send_buf(r, status, "application/json", p, len,
	    MHD_RESPMEM_MUST_FREE, hdrs);
}

/* Append s as a JSON string. */
int
add_jstr(struct ledger_buf *b, const char *s)
{
	struct ledger_error err;
	char safe[512];

	if (ledger_jcs_append_string(b, s, strlen(s), &err) == LEDGER_OK)
		return 0;
	/* Not valid UTF-8 (client text in a message): escape it. */
	log_safe(s, safe, sizeof(safe));
	return ledger_jcs_append_string(b, safe, strlen(safe), NULL);
}

enum MHD_Result
send_error(struct req *r, unsigned status, const char *code,
    const char *const *hdrs, const char *fmt, ...)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ledger_buf_adds(&b, "{\"error\":\"") || ledger_buf_adds(&b, code) ||
	    ledger_buf_adds(&b, "\",\"message\":") || add_jstr(&b, msg) ||
	    ledger_buf_addc(&b, '}')) {
		ledger_buf_release(&b);
		return MHD_NO;
	}
	return send_json(r, status, &b, hdrs);
}

const char *const retry_after[] = { "Retry-After", "1", NULL };
const char *const www_auth[] = { "WWW-Authenticate",
    "Bearer realm=\"ledgerd\"", NULL };

/*
 * The one place a library status becomes an HTTP answer.  A contradiction
 * in the stored log (a missing tree hash, a checkpoint that does not
 * verify) is tamper evidence, never a transient failure: 500 with the
 * reason, logged and counted, and no Retry-After.  Only resource failures
 * (memory, database, I/O) are 503 and worth retrying.
 */
enum MHD_Result
send_status(struct req *r, const struct ledger_error *err)
{
	char safe[300];

	switch (err->code) {
	case LEDGER_EINVAL:
		return send_error(r, 400, "bad_request", NULL, "%s", err->msg);
	case LEDGER_ENOTFOUND:
		return send_error(r, 404, "not_found", NULL, "%s", err->msg);
	case LEDGER_EEXIST:
		return send_error(r, 409, "conflict", NULL, "%s", err->msg);
	case LEDGER_EPERM:
		return send_error(r, 403, "forbidden", NULL, "%s", err->msg);
	case LEDGER_ECHAIN:
	case LEDGER_ECRYPTO:
		metrics_integrity_error();
		log_error("integrity error route=%s error=\"%s\"",
		    route_name(r->route), log_safe(err->msg, safe,
		    sizeof(safe)));
		return send_error(r, 500, "integrity_error", NULL, "the stored "
		    "log is inconsistent: %s", err->msg);
	case LEDGER_OK:
	case LEDGER_ENOMEM:
	case LEDGER_EIO:
	case LEDGER_EDB:
	default:
		return send_error(r, 503, "unavailable", retry_after, "%s",
		    err->msg[0] ? err->msg : ledger_status_str(err->code));
	}
}

