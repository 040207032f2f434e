/*
 * source-cdevents.c - CDEvents over CloudEvents HTTP
 *
 * Four ways in, all checked before any event is built:
 *   binary      application/json with ce-specversion, ce-id, ce-source and
 *               ce-type headers (percent-decoded); the body is the data;
 *   structured  application/cloudevents+json: one CloudEvent, its data in
 *               "data" (or "data_base64");
 *   batch       application/cloudevents-batch+json: an array of structured
 *               CloudEvents, each its own event, all or nothing, at most the
 *               source's max_events;
 *   bare        application/json without ce-* headers: a CDEvent document
 *               on its own (what Harness and several plugins POST), whose
 *               context gives id, source and type.
 *
 * When the data is a CDEvent ({"context": ..., "subject": ...}) its
 * context.type must equal the CloudEvent type.  Types
 * "dev.cdevents.<subject>.<predicate>.<version>" are looked up by subject
 * and predicate, whatever the version, so the 0.4.x, 0.5.x and 0.6 drafts
 * (and Harness's "-draft" suffixes) all map; the spec version is not
 * checked.  Anything else (custom dev.cdeventsx types, Tekton's own
 * dev.tekton.event.* types) is an unknown event.
 *
 * The delivery id is the RFC 8785 form of the JSON array [source, id,
 * type]: CloudEvents makes (source, id) unique, the type separates the
 * events producers such as Harness send with one id, and the JSON form
 * cannot be confused whatever characters the three hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/entry.h"
#include "ledger/jcs.h"
#include "ledger/source.h"
#include "ledger-int.h"
#include "source-int.h"

#define CONTENT(m)	"subject.content." m

/* Harness puts the pipeline name, the execution and who triggered it in
 * customData (its subject.id is the pipeline); the Jenkins plugin's
 * pre-0.1 events put theirs in the CloudEvent envelope. */
static const struct fieldset pipelinerun = {{
	[LEDGER_SUBJ_PIPELINE] = { P(CONTENT("pipelineName")),
	    P("customData.pipelineName"), P("@pipelinename") },
	[LEDGER_SUBJ_RUN] = { P("customData.executionId"), P("subject.id") },
	[LEDGER_SUBJ_ACTOR] = { P("customData.triggeredBy") },
	[LEDGER_SUBJ_STATUS] = { P(CONTENT("outcome")), P("@outcome"),
	    ACTION },
	[LEDGER_SUBJ_URL] = { URL(CONTENT("url")), URL(CONTENT("uri")),
	    URL("@url") },
}};

/* run is the pipeline run, so a task links to its pipeline. */
static const struct fieldset taskrun = {{
	[LEDGER_SUBJ_RUN] = { P(CONTENT("pipelineRun.id")), P("subject.id") },
	[LEDGER_SUBJ_STATUS] = { P(CONTENT("outcome")), ACTION },
	[LEDGER_SUBJ_URL] = { URL(CONTENT("url")), URL(CONTENT("uri")) },
}};

static const struct fieldset build = {{
	[LEDGER_SUBJ_PIPELINE] = { P("customData.pipelineName") },
	[LEDGER_SUBJ_RUN] = { P("customData.executionId"), P("subject.id") },
	[LEDGER_SUBJ_ARTIFACT] = { ARTIFACT(CONTENT("artifactId")) },
	[LEDGER_SUBJ_ACTOR] = { P("customData.triggeredBy") },
	[LEDGER_SUBJ_STATUS] = { ACTION },
}};

static const struct fieldset testrun = {{
	[LEDGER_SUBJ_RUN] = { P("subject.id") },
	[LEDGER_SUBJ_ENVIRONMENT] = { P(CONTENT("environment.id")) },
	[LEDGER_SUBJ_STATUS] = { P(CONTENT("outcome")), ACTION },
	[LEDGER_SUBJ_URL] = { URL(CONTENT("testCase.uri")),
	    URL(CONTENT("testSuite.uri")), URL(CONTENT("uri")) },
}};

static const struct fieldset testoutput = {{
	[LEDGER_SUBJ_RUN] = { P(CONTENT("testCaseRun.id")) },
	[LEDGER_SUBJ_STATUS] = { ACTION },
	[LEDGER_SUBJ_URL] = { URL(CONTENT("uri")) },
}};

/* The subject id is a purl; its digest when it has one. */
static const struct fieldset artifact = {{
	[LEDGER_SUBJ_ARTIFACT] = { ARTIFACT("subject.id") },
	[LEDGER_SUBJ_ACTOR] = { P(CONTENT("user")) },
	[LEDGER_SUBJ_STATUS] = { ACTION },
}};

static const struct fieldset service = {{
	[LEDGER_SUBJ_SERVICE] = { P("subject.id") },
	[LEDGER_SUBJ_ENVIRONMENT] = { P(CONTENT("environment.id")) },
	[LEDGER_SUBJ_ARTIFACT] = { ARTIFACT(CONTENT("artifactId")) },
	[LEDGER_SUBJ_STATUS] = { ACTION },
}};

static const struct fieldset change = {{
	[LEDGER_SUBJ_PIPELINE] = { P(CONTENT("repository.id")) },
	[LEDGER_SUBJ_STATUS] = { ACTION },
	[LEDGER_SUBJ_URL] = { URL(CONTENT("url")), URL(CONTENT("uri")) },
}};

static const struct fieldset repository = {{
	[LEDGER_SUBJ_PIPELINE] = { P(CONTENT("name")) },
	[LEDGER_SUBJ_STATUS] = { ACTION },
	[LEDGER_SUBJ_URL] = { URL(CONTENT("viewUrl")), URL(CONTENT("url")),
	    URL(CONTENT("uri")) },
}};

static const struct fieldset environment = {{
	[LEDGER_SUBJ_ENVIRONMENT] = { P(CONTENT("name")), P("subject.id") },
	[LEDGER_SUBJ_STATUS] = { ACTION },
	[LEDGER_SUBJ_URL] = { URL(CONTENT("url")), URL(CONTENT("uri")) },
}};

/* ticket is the incident's id, the same through its life; url the
 * ticket it was reported in. */
static const struct fieldset incident = {{
	[LEDGER_SUBJ_ENVIRONMENT] = { P(CONTENT("environment.id")) },
	[LEDGER_SUBJ_SERVICE] = { P(CONTENT("service.id")) },
	[LEDGER_SUBJ_ARTIFACT] = { ARTIFACT(CONTENT("artifactId")) },
	[LEDGER_SUBJ_TICKET] = { P("subject.id") },
	[LEDGER_SUBJ_STATUS] = { ACTION },
	[LEDGER_SUBJ_URL] = { URL(CONTENT("ticketURI")) },
}};

static const struct fieldset ticket = {{
	[LEDGER_SUBJ_TICKET] = { P("subject.id") },
	[LEDGER_SUBJ_ACTOR] = { P(CONTENT("updatedBy")), P(CONTENT("creator")) },
	[LEDGER_SUBJ_STATUS] = { P(CONTENT("resolution")), ACTION },
	[LEDGER_SUBJ_URL] = { URL(CONTENT("uri")) },
}};

/* 0.6 draft: requestor asks, responder decides. */
static const struct fieldset approval = {{
	[LEDGER_SUBJ_ACTOR] = { P(CONTENT("responder")),
	    P(CONTENT("requestor")) },
	[LEDGER_SUBJ_STATUS] = { P(CONTENT("decision")),
	    P(CONTENT("status")), ACTION },
	[LEDGER_SUBJ_TICKET] = { P("subject.id") },
	[LEDGER_SUBJ_URL] = { URL(CONTENT("approvalDetailsUrl")) },
}};

#define NO_COND { COND_NONE, NULL, NULL }

/* Rows are (CDEvents subject, predicate); first match wins. */
static const struct rule cdevents_rules[] = {
	{ "pipelinerun", NULL, NO_COND, LEDGER_KIND_BUILD, false,
	    &pipelinerun },
	{ "taskrun", NULL, NO_COND, LEDGER_KIND_BUILD, false, &taskrun },
	{ "build", NULL, NO_COND, LEDGER_KIND_BUILD, false, &build },
	{ "testcaserun", NULL, NO_COND, LEDGER_KIND_TEST, false, &testrun },
	{ "testsuiterun", NULL, NO_COND, LEDGER_KIND_TEST, false, &testrun },
	{ "testoutput", NULL, NO_COND, LEDGER_KIND_TEST, false, &testoutput },
	{ "artifact", NULL, NO_COND, LEDGER_KIND_ARTIFACT, false, &artifact },
	{ "service", "deployed", NO_COND, LEDGER_KIND_DEPLOYMENT, false,
	    &service },
	{ "service", "upgraded", NO_COND, LEDGER_KIND_DEPLOYMENT, false,
	    &service },
	{ "service", "rolledback", NO_COND, LEDGER_KIND_ROLLBACK, false,
	    &service },
	{ "service", "removed", NO_COND, LEDGER_KIND_DEPLOYMENT, false,
	    &service },
	{ "service", "published", NO_COND, LEDGER_KIND_DEPLOYMENT, false,
	    &service },
	{ "change", NULL, NO_COND, LEDGER_KIND_CHANGE, false, &change },
	{ "repository", NULL, NO_COND, LEDGER_KIND_CHANGE, false,
	    &repository },
	{ "branch", NULL, NO_COND, LEDGER_KIND_CHANGE, false, &change },
	{ "environment", NULL, NO_COND, LEDGER_KIND_CHANGE, false,
	    &environment },
	{ "incident", NULL, NO_COND, LEDGER_KIND_INCIDENT, false, &incident },
	{ "ticket", NULL, NO_COND, LEDGER_KIND_OTHER, false, &ticket },
	{ "approval", NULL, NO_COND, LEDGER_KIND_APPROVAL, false, &approval },
	{ NULL, NULL, NO_COND, LEDGER_KIND_OTHER, true, NULL },
};

/* The attributes every CloudEvent must have. */
struct ce {
	const char *id, *source, *type;
};

enum ledger_status
cdevents_media_type(const char *mt, const struct ledger_hook_request *req,
    struct ledger_error *err)
{
	(void)req;
	if (strcmp(mt, "application/json") == 0 ||
	    strcmp(mt, "application/cloudevents+json") == 0 ||
	    strcmp(mt, "application/cloudevents-batch+json") == 0)
		return LEDGER_OK;
	return ledger_errorf(err, LEDGER_EINVAL,
	    "unsupported media type '%.64s' (want application/json, "
	    "application/cloudevents+json or "
	    "application/cloudevents-batch+json)", mt);
}

/* "dev.cdevents.<subject>.<predicate>.<version>" into its parts. */
static bool
split_type(const char *type, char *subj, char *pred, size_t n)
{
	static const char prefix[] = "dev.cdevents.";
	const char *p;
	size_t sl, pl;

	if (strncmp(type, prefix, sizeof(prefix) - 1) != 0)
		return false;
	p = type + sizeof(prefix) - 1;
	sl = strcspn(p, ".");
	if (sl == 0 || sl >= n || p[sl] != '.')
		return false;
	pl = strcspn(p + sl + 1, ".");
	if (pl == 0 || pl >= n || p[sl + 1 + pl] != '.' ||
	    p[sl + 1 + pl + 1] == '\0')
		return false;
	memcpy(subj, p, sl);
	subj[sl] = '\0';
	memcpy(pred, p + sl + 1, pl);
	pred[pl] = '\0';
	return true;
}

/* The delivery id: RFC 8785 ["source","id","type"]. */
static enum ledger_status
delivery_id(const struct ce *ce, char **ret, struct ledger_error *err)
{
	enum ledger_status rc;
	json_t *a;
	size_t len;

	if ((a = json_pack("[sss]", ce->source, ce->id, ce->type)) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "CloudEvent id, source or type is not valid UTF-8");
	rc = ledger_jcs_encode(a, ret, &len, err);
	json_decref(a);
	return rc;
}

/* One CloudEvent with its data (NULL when it has none or it is not JSON)
 * and, in structured mode, its envelope. */
static enum ledger_status
one_event(const struct ledger_source *src, const char *auth,
    const struct ce *ce, json_t *data, json_t *envelope, struct evlist *out,
    struct ledger_error *err)
{
	char subj[64], pred[64], *delivery = NULL;
	const struct rule *rule;
	enum ledger_status rc;
	json_t *ctx;
	struct doc d;

	ctx = json_is_object(data) ? json_object_get(data, "context") : NULL;
	if (json_is_object(ctx)) {
		json_t *t = json_object_get(ctx, "type");

		if (!json_is_string(t) || strcmp(json_string_value(t),
		    ce->type) != 0)
			return ledger_errorf(err, LEDGER_EINVAL,
			    "CloudEvent type '%.100s' does not match the "
			    "CDEvent's context.type", ce->type);
	}
	if ((rc = delivery_id(ce, &delivery, err)) != LEDGER_OK)
		return rc;
	d.body = data;
	d.envelope = envelope;
	d.action = NULL;
	if (split_type(ce->type, subj, pred, sizeof(subj))) {
		d.action = pred;
		rule = src_match(cdevents_rules, subj, &d);
	} else
		rule = src_match(cdevents_rules, NULL, &d);
	rc = src_emit(src, rule, ce->type, delivery, auth, &d, out, err);
	free(delivery);
	return rc;
}

/* A required CloudEvent attribute: a non-empty string. */
static const char *
attr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

static bool
json_media(const char *dct)
{
	char mt[128];
	size_t n;

	if (dct == NULL)
		return true;	/* the JSON format's default */
	if (src_media_type(dct, mt, sizeof(mt), NULL) != LEDGER_OK)
		return false;
	n = strlen(mt);
	return strcmp(mt, "application/json") == 0 || strcmp(mt,
	    "text/json") == 0 || (n > 5 && strcmp(mt + n - 5, "+json") == 0);
}

/* One structured-mode CloudEvent (an element of a batch, or the body). */
static enum ledger_status
structured(const struct ledger_source *src, const char *auth, json_t *obj,
    struct evlist *out, struct ledger_error *err)
{
	const char *sv, *dct, *b64;
	enum ledger_status rc;
	json_t *data, *parsed = NULL;
	uint8_t *raw = NULL;
	struct ce ce;
	long n;

	if (!json_is_object(obj))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "a CloudEvent must be a JSON object");
	if ((sv = attr(obj, "specversion")) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "CloudEvent: missing 'specversion'");
	if (strcmp(sv, "1.0") != 0 && strcmp(sv, "0.3") != 0)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "CloudEvent: unsupported specversion '%.16s' (want 1.0)",
		    sv);
	if ((ce.id = attr(obj, "id")) == NULL ||
	    (ce.source = attr(obj, "source")) == NULL ||
	    (ce.type = attr(obj, "type")) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "CloudEvent: '%s' must be a non-empty string",
		    attr(obj, "id") == NULL ? "id" : attr(obj, "source") ==
		    NULL ? "source" : "type");
	data = json_object_get(obj, "data");
	b64 = attr(obj, "data_base64");
	if (data != NULL && json_object_get(obj, "data_base64") != NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "CloudEvent: both 'data' and 'data_base64'");
	dct = attr(obj, "datacontenttype");
	if (b64 != NULL && json_media(dct)) {
		size_t max = strlen(b64) / 4 * 3 + 3;

		if ((raw = malloc(max)) == NULL)
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "out of memory");
		n = ledger_b64_decode(b64, strlen(b64), raw, max, true);
		if (n < 0) {
			free(raw);
			return ledger_errorf(err, LEDGER_EINVAL,
			    "CloudEvent: 'data_base64' is not base64");
		}
		rc = ledger_json_parse((const char *)raw, (size_t)n, &parsed,
		    err);
		free(raw);
		if (rc != LEDGER_OK)
			return rc;
		data = parsed;
	} else if (data != NULL && !json_media(dct))
		data = NULL;	/* e.g. XML in a JSON string */
	rc = one_event(src, auth, &ce, data, obj, out, err);
	json_decref(parsed);
	return rc;
}

/* A ce-* header, percent-decoded (CloudEvents HTTP binding 3.1.3.2) into
 * *ret (malloc'd), or NULL when absent. */
static enum ledger_status
ce_header(const struct ledger_hook_request *req, const char *name,
    char **ret, struct ledger_error *err)
{
	const char *v = src_header(req, name);
	size_t n;
	char *out;

	*ret = NULL;
	if (v == NULL)
		return LEDGER_OK;
	n = strlen(v);
	if ((out = malloc(n + 1)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (!src_pct_decode(v, n, out, &n)) {
		free(out);
		return ledger_errorf(err, LEDGER_EINVAL,
		    "malformed %s header: bad percent-encoding", name);
	}
	/* NUL, control characters or invalid UTF-8 after decoding */
	if (n == 0 || strlen(out) != n || !ledger_utf8_valid(out, n) ||
	    ledger_has_control(out, n)) {
		free(out);
		return ledger_errorf(err, LEDGER_EINVAL,
		    "malformed %s header: empty, or not printable UTF-8 once "
		    "percent-decoded", name);
	}
	*ret = out;
	return LEDGER_OK;
}

static const char *const ce_required[] = {
	"ce-specversion", "ce-id", "ce-source", "ce-type",
};

static enum ledger_status
binary(const struct ledger_source *src, const struct ledger_hook_request *req,
    const char *auth, struct evlist *out, struct ledger_error *err)
{
	char *v[4] = { NULL, NULL, NULL, NULL };
	enum ledger_status rc;
	json_t *root = NULL;
	struct ce ce;
	size_t i;

	for (i = 0; i < 4; i++) {
		if ((rc = ce_header(req, ce_required[i], &v[i], err)))
			goto out;
		if (v[i] == NULL) {
			rc = ledger_errorf(err, LEDGER_EINVAL,
			    "CloudEvents binary mode: missing %s header",
			    ce_required[i]);
			goto out;
		}
	}
	if (strcmp(v[0], "1.0") != 0 && strcmp(v[0], "0.3") != 0) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "unsupported ce-specversion '%.16s' (want 1.0)", v[0]);
		goto out;
	}
	ce.id = v[1];
	ce.source = v[2];
	ce.type = v[3];
	/* The data may be any JSON value; only an object can be mapped. */
	rc = ledger_json_parse((const char *)req->body, req->body_len, &root,
	    err);
	if (rc != LEDGER_OK) {
		if (rc == LEDGER_EINVAL)
			src_error_prefix(err, "body: ");
		goto out;
	}
	rc = one_event(src, auth, &ce, root, NULL, out, err);
out:
	json_decref(root);
	for (i = 0; i < 4; i++)
		free(v[i]);
	return rc;
}

/* A CDEvent POSTed on its own: the context stands in for the CloudEvent. */
static enum ledger_status
bare(const struct ledger_source *src, const struct ledger_hook_request *req,
    const char *auth, struct evlist *out, struct ledger_error *err)
{
	enum ledger_status rc;
	json_t *root, *ctx;
	struct ce ce;

	if ((rc = src_parse_body(req, JSON_OBJECT, &root, err)) != LEDGER_OK)
		return rc;
	ctx = json_object_get(root, "context");
	if (!json_is_object(ctx)) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "not a CDEvent (no 'context' object) and no ce-* headers");
		goto out;
	}
	if ((ce.id = attr(ctx, "id")) == NULL ||
	    (ce.source = attr(ctx, "source")) == NULL ||
	    (ce.type = attr(ctx, "type")) == NULL) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "CDEvent: context.%s must be a non-empty string",
		    attr(ctx, "id") == NULL ? "id" : attr(ctx, "source") ==
		    NULL ? "source" : "type");
		goto out;
	}
	rc = one_event(src, auth, &ce, root, NULL, out, err);
out:
	json_decref(root);
	return rc;
}

static enum ledger_status
batch(const struct ledger_source *src, const struct ledger_hook_request *req,
    const char *auth, struct evlist *out, struct ledger_error *err)
{
	enum ledger_status rc;
	json_t *root, *el;
	size_t i, n;

	if ((rc = src_parse_body(req, JSON_ARRAY, &root, err)) != LEDGER_OK)
		return rc;
	n = json_array_size(root);
	if (n == 0) {
		rc = ledger_errorf(err, LEDGER_EINVAL, "empty batch");
		goto out;
	}
	if (n > src->max_events) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "batch of %zu events, more than the limit of %zu", n,
		    src->max_events);
		goto out;
	}
	json_array_foreach(root, i, el) {
		rc = structured(src, auth, el, out, err);
		if (rc != LEDGER_OK) {
			char pfx[32];

			snprintf(pfx, sizeof(pfx), "batch[%zu]: ", i);
			src_error_prefix(err, pfx);
			goto out;
		}
	}
out:
	json_decref(root);
	return rc;
}

enum ledger_status
cdevents_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	enum ledger_status rc;
	char mt[128];
	size_t i;

	if ((rc = src_media_type(req->content_type, mt, sizeof(mt), err)))
		return rc;
	if (strcmp(mt, "application/cloudevents-batch+json") == 0)
		return batch(src, req, auth, out, err);
	if (strcmp(mt, "application/cloudevents+json") == 0) {
		json_t *root;

		if ((rc = src_parse_body(req, JSON_OBJECT, &root, err)))
			return rc;
		rc = structured(src, auth, root, out, err);
		json_decref(root);
		return rc;
	}
	for (i = 0; i < sizeof(ce_required) / sizeof(*ce_required); i++)
		if (src_header(req, ce_required[i]) != NULL)
			return binary(src, req, auth, out, err);
	return bare(src, req, auth, out, err);
}
