/*
 * report-req.c - one question from options or query parameters
 * (ledger/report.h, "One question")
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/query.h"
#include "ledger/report.h"
#include "ledger/timeline.h"
#include "ledger-int.h"

enum { P_ENV, P_SERVICE, P_PERIOD, P_FROM, P_TO, P_AT, P_GAP, P_ARTIFACT,
	P_DEPLOYER, P_AFTER, P_LIMIT, P_COUNT };

static const char *const names[P_COUNT] = { "environment", "service",
    "period", "from", "to", "at", "gap", "artifact", "deployer", "after",
    "limit" };

/* The parameters each answer takes (bits of P_*). */
#define PERIOD (1u << P_PERIOD | 1u << P_FROM | 1u << P_TO)
#define PAGE (1u << P_AFTER | 1u << P_LIMIT)
static const unsigned takes[] = {
	[LEDGER_ANSWER_DEPLOYMENTS] = 1u << P_ENV | 1u << P_SERVICE | PERIOD |
	    1u << P_GAP | PAGE,
	[LEDGER_ANSWER_EXCEPTIONS] = 1u << P_ENV | 1u << P_SERVICE | PERIOD |
	    PAGE,
	[LEDGER_ANSWER_ACTORS] = 1u << P_ENV | PERIOD,
	[LEDGER_ANSWER_STATE] = 1u << P_ENV | 1u << P_SERVICE | 1u << P_AT,
	[LEDGER_ANSWER_LAST_GOOD] = 1u << P_ENV | 1u << P_SERVICE | 1u << P_AT,
	[LEDGER_ANSWER_GATE] = 1u << P_ENV | 1u << P_ARTIFACT |
	    1u << P_DEPLOYER,
};

static const char *const paths[] = { "deployments", "exceptions", "actors",
    "state", "last-good", "gate" };

enum ledger_status
ledger_report_req_init(struct ledger_report_req *r, enum ledger_answer what,
    const char *exception, struct ledger_error *err)
{
	memset(r, 0, sizeof(*r));
	r->what = what;
	if (what == LEDGER_ANSWER_EXCEPTIONS &&
	    (r->exception = ledger_exception_parse(exception)) == 0)
		return ledger_errorf(err, LEDGER_EINVAL, "no such exception "
		    "'%.40s': want unapproved, self-approved, late-approval or "
		    "rejected", exception != NULL ? exception : "");
	return LEDGER_OK;
}

void
ledger_report_req_release(struct ledger_report_req *r)
{
	size_t i;

	for (i = 0; i < P_COUNT; i++)
		free(r->v[i]);
	memset(r, 0, sizeof(*r));
}

static int
param_index(enum ledger_answer what, const char *name)
{
	int i;

	if (strcmp(name, "env") == 0)
		name = "environment";
	if (strcmp(name, "before") == 0 && what == LEDGER_ANSWER_LAST_GOOD)
		name = "at";
	for (i = 0; i < P_COUNT; i++)
		if (strcmp(names[i], name) == 0)
			return (takes[what] & (1u << i)) ? i : -1;
	return -1;
}

enum ledger_status
ledger_report_param(struct ledger_report_req *r, const char *name,
    const char *value, struct ledger_error *err)
{
	int i = param_index(r->what, name);

	if (i < 0)
		return ledger_errorf(err, LEDGER_ENOTFOUND, "%s takes no "
		    "parameter '%.40s'", paths[r->what], name);
	if (value == NULL || *value == '\0')
		return ledger_errorf(err, LEDGER_EINVAL, "%s needs a value",
		    name);
	if (r->v[i] != NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "%s given twice", name);
	return ledger_strdup(value, &r->v[i], err);
}

static enum ledger_status
parse_time(const char *s, const char *name, int64_t *ms,
    struct ledger_error *err)
{
	struct ledger_error e2;

	if (ledger_time_parse_any(s, ms, &e2) != LEDGER_OK)
		return ledger_errorf(err, LEDGER_EINVAL, "%s: %s", name,
		    e2.msg);
	return LEDGER_OK;
}

enum ledger_status
ledger_report_check(struct ledger_report_req *r, struct ledger_error *err)
{
	struct ledger_report_opts *o = &r->o;
	enum ledger_status st;
	bool period = (takes[r->what] & PERIOD) != 0;
	unsigned long long g;
	char *end;

	memset(o, 0, sizeof(*o));
	o->environment = r->v[P_ENV];
	o->service = r->v[P_SERVICE];
	if (period && (r->v[P_PERIOD] != NULL) == (r->v[P_FROM] != NULL ||
	    r->v[P_TO] != NULL))
		return ledger_errorf(err, LEDGER_EINVAL, "give a period, or "
		    "from and to (not both)");
	if (period && r->v[P_PERIOD] == NULL && (r->v[P_FROM] == NULL ||
	    r->v[P_TO] == NULL))
		return ledger_errorf(err, LEDGER_EINVAL, "give both from and "
		    "to");
	if (r->v[P_PERIOD] != NULL && (st = ledger_period_parse(
	    r->v[P_PERIOD], &o->from_ms, &o->to_ms, err)))
		return st;
	if (r->v[P_FROM] != NULL && ((st = parse_time(r->v[P_FROM], "from",
	    &o->from_ms, err)) || (st = parse_time(r->v[P_TO], "to",
	    &o->to_ms, err))))
		return st;
	if (period && o->to_ms <= o->from_ms)
		return ledger_errorf(err, LEDGER_EINVAL, "the period ends "
		    "before it begins");
	if (r->v[P_AT] != NULL && (st = parse_time(r->v[P_AT],
	    r->what == LEDGER_ANSWER_STATE ? "at" : "before", &o->at_ms,
	    err)))
		return st;
	if (r->v[P_GAP] != NULL) {
		g = strtoull(r->v[P_GAP], &end, 10);
		if (*end != '\0' || g == 0 || g > 31536000 ||
		    r->v[P_GAP][0] == '-')
			return ledger_errorf(err, LEDGER_EINVAL, "gap takes 1 "
			    "to 31536000 seconds");
		o->gap_s = (int64_t)g;
	}
	if ((st = ledger_page_parse(r->v[P_AFTER], r->v[P_LIMIT],
	    &o->start_seq, &o->limit, err)) != LEDGER_OK)
		return st;
	if (r->what != LEDGER_ANSWER_EXCEPTIONS &&
	    r->what != LEDGER_ANSWER_ACTORS && o->environment == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "give an environment");
	if (r->what == LEDGER_ANSWER_LAST_GOOD && o->service == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "give a service");
	if (r->what == LEDGER_ANSWER_GATE && r->v[P_ARTIFACT] == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "give an artifact "
		    "digest");
	return LEDGER_OK;
}

enum ledger_status
ledger_report_encode(const struct ledger_report_req *r,
    struct ledger_buf *out)
{
	enum ledger_status rc = LEDGER_OK;
	size_t start = out->len;
	int i;

	for (i = 0; i < P_COUNT; i++)
		if (r->v[i] != NULL)
			rc |= ledger_url_param(out, r->what ==
			    LEDGER_ANSWER_LAST_GOOD && i == P_AT ? "before" :
			    names[i], r->v[i]);
	if (rc == LEDGER_OK && out->len > start)
		out->data[start] = '?';
	return rc == LEDGER_OK ? LEDGER_OK : LEDGER_ENOMEM;
}

const char *
ledger_report_path(const struct ledger_report_req *r, char *buf, size_t size)
{
	if (r->what == LEDGER_ANSWER_EXCEPTIONS)
		snprintf(buf, size, "/v1/exceptions/%s",
		    ledger_exception_name(r->exception));
	else
		snprintf(buf, size, "/v1/%s", paths[r->what]);
	return buf;
}

enum ledger_status
ledger_report_answer(struct ledger_store *s,
    const struct ledger_report_req *r, const char *policy, size_t policy_len,
    struct ledger_buf *out, bool *yes, struct ledger_error *err)
{
	enum ledger_status st;
	size_t n = 0;

	*yes = false;
	switch (r->what) {
	case LEDGER_ANSWER_DEPLOYMENTS:
		st = ledger_deployments_json(s, &r->o, out, &n, err);
		break;
	case LEDGER_ANSWER_EXCEPTIONS:
		st = ledger_exceptions_json(s, &r->o, r->exception, out, &n,
		    err);
		break;
	case LEDGER_ANSWER_ACTORS:
		st = ledger_actors_json(s, &r->o, out, &n, err);
		break;
	case LEDGER_ANSWER_STATE:
		st = ledger_state_json(s, &r->o, out, &n, err);
		break;
	case LEDGER_ANSWER_LAST_GOOD:
		return ledger_last_good_json(s, &r->o, out, yes, err);
	case LEDGER_ANSWER_GATE:
		return ledger_gate_json(s, r->v[P_ARTIFACT], r->v[P_ENV],
		    r->v[P_DEPLOYER], policy, policy_len, out, yes, err);
	default:
		return ledger_errorf(err, LEDGER_EINVAL, "no such answer");
	}
	*yes = n > 0;
	return st;
}

const char *
ledger_report_get(const struct ledger_report_req *r, const char *name)
{
	int i = param_index(r->what, name);

	return i < 0 ? NULL : r->v[i];
}
