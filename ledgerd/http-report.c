/*
 * http-report.c - the answers over HTTP: GET /v1/deployments,
 * /v1/exceptions/{name}, /v1/actors, /v1/state, /v1/last-good and
 * /v1/gate (ledger/report.h; ledgerctl answers from the same code)
 *
 * Query parameters are read into one ledger_report_req exactly as
 * ledgerctl reads its options.  The gate asked with a write token also
 * appends its decision to the log, and answers once it is durable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "ledger/report.h"
#include "ledger/wire.h"
#include "http-int.h"

/* Most bytes of a policy given as a query parameter. */
#define POLICY_MAX 16384

struct args {
	struct ledger_report_req *rq;
	const char *policy;
	struct ledger_error err;
	bool bad;
};

static enum MHD_Result
one_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct args *a = cls;

	(void)kind;
	if (a->rq->what == LEDGER_ANSWER_GATE && strcmp(key, "policy") == 0) {
		if (a->policy != NULL || value == NULL ||
		    strlen(value) > POLICY_MAX) {
			ledger_errorf(&a->err, LEDGER_EINVAL, "policy: once, "
			    "at most %d bytes", POLICY_MAX);
			a->bad = true;
			return MHD_NO;
		}
		a->policy = value;
		return MHD_YES;
	}
	if (ledger_report_param(a->rq, key, value, &a->err) != LEDGER_OK) {
		a->bad = true;
		return MHD_NO;
	}
	return MHD_YES;
}

/* Append the gate's decision (the answer in b) and answer after COMMIT:
 * finish_write sends the answer with its receipt. */
static enum MHD_Result
record_gate(struct req *r, struct ledger_buf *b, const char *artifact,
    const char *env, bool allow)
{
	struct ledger_event *ev;

	ev = gate_event(b->data, b->len, r->auth, artifact, env, allow);
	if (ev == NULL || (r->evs = malloc(sizeof(*r->evs))) == NULL) {
		ledger_event_free(ev);
		ledger_buf_release(b);
		return send_error(r, 503, "unavailable", retry_after,
		    "out of memory");
	}
	r->evs[0] = ev;
	r->nev = 1;
	ledger_buf_release(&r->body);
	r->body = *b;			/* the answer, sent by finish_write */
	return submit(r);
}

enum MHD_Result
route_report(struct req *r, const char *path, bool may_write)
{
	struct ledger_report_req rq;
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_store *s;
	struct ledger_error err;
	enum ledger_answer what;
	enum ledger_status st;
	struct args a;
	const char *exc = NULL;
	char *artifact = NULL;
	bool yes;

	if (strncmp(path, "/v1/exceptions/", 15) == 0) {
		what = LEDGER_ANSWER_EXCEPTIONS;
		exc = path + 15;
	} else if (strcmp(path, "/v1/deployments") == 0)
		what = LEDGER_ANSWER_DEPLOYMENTS;
	else if (strcmp(path, "/v1/actors") == 0)
		what = LEDGER_ANSWER_ACTORS;
	else if (strcmp(path, "/v1/state") == 0)
		what = LEDGER_ANSWER_STATE;
	else if (strcmp(path, "/v1/last-good") == 0)
		what = LEDGER_ANSWER_LAST_GOOD;
	else
		what = LEDGER_ANSWER_GATE;
	if (ledger_report_req_init(&rq, what, exc, &err) != LEDGER_OK)
		return send_error(r, 404, "not_found", NULL, "%s", err.msg);
	memset(&a, 0, sizeof(a));
	a.rq = &rq;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, one_arg, &a);
	if (a.bad || ledger_report_check(&rq, &a.err) != LEDGER_OK) {
		ledger_report_req_release(&rq);
		return send_error(r, 400, "bad_request", NULL, "%s", a.err.msg);
	}
	if ((s = pool_get(&err)) == NULL) {
		ledger_report_req_release(&rq);
		return send_status(r, &err);
	}
	st = ledger_report_answer(s, &rq, a.policy, a.policy ?
	    strlen(a.policy) : 0, &b, &yes, &err);
	pool_put(s);
	if (st == LEDGER_OK && what == LEDGER_ANSWER_GATE && may_write &&
	    ledger_subject_normalize(LEDGER_SUBJ_ARTIFACT,
	    ledger_report_get(&rq, "artifact"), strlen(ledger_report_get(&rq,
	    "artifact")), &artifact, &err) == LEDGER_OK) {
		enum MHD_Result ret;
		char *env = NULL;

		if (ledger_subject_normalize(LEDGER_SUBJ_ENVIRONMENT,
		    rq.o.environment, strlen(rq.o.environment), &env, &err))
			env = NULL;
		ret = record_gate(r, &b, artifact, env, yes);
		free(env);

		free(artifact);
		ledger_report_req_release(&rq);
		return ret;
	}
	ledger_report_req_release(&rq);
	if (st != LEDGER_OK) {
		ledger_buf_release(&b);
		if (st == LEDGER_EINVAL)
			return send_error(r, 400, "bad_request", NULL, "%s",
			    err.msg);
		return send_status(r, &err);
	}
	return send_json(r, 200, &b, NULL);
}
