/*
 * source-registry.c - artifact registries: CNCF Distribution (the Docker
 * registry v2) notifications, and Harbor's webhooks
 *
 * ---- Distribution ----
 *
 * A registry sends an envelope {"events": [...]} of up to the source's
 * max_events events (Distribution batches them, retries the whole
 * envelope until it gets a 2xx, and does not keep their order).  Each
 * pushed manifest (an image manifest, a manifest list or an OCI index,
 * by target.mediaType) is one entry of kind artifact: the digest, the
 * repository as the service, who pushed it, the manifest's URL.  Layer and
 * blob pushes are parts of an image, not artifacts of their own: they are
 * counted as dropped.  Other actions (pull, mount, delete) are unknown
 * events: recorded as kind other, or dropped with "unknown_events":
 * "drop" (a registry reports every pull).  A target.digest that is not a
 * well-formed digest (the Distribution docs' own example has one of 65 hex
 * digits) is left out, never stored as if it were one.  The tag stays in
 * the payload, which every entry of the envelope carries byte for byte.
 *
 * Distribution signs nothing: it sends the headers its endpoint is
 * configured with, so the source takes a bearer token (token_file), or an
 * HMAC (secret_file) from a proxy that signs.  The delivery id of an
 * event is its "id", so a retried envelope appends nothing twice.
 *
 * ---- Harbor ----
 *
 * Harbor sends one of two formats: its default
 * {"type": "PUSH_ARTIFACT", "occur_at", "operator", "event_data":
 * {"resources": [...], "repository": {...}}} as application/json, or a
 * CloudEvent ("type": "harbor.artifact.pushed", the same data in "data",
 * the operator as an extension) as application/cloudevents+json.  Each
 * resource is one entry: a pushed artifact (kind artifact), a finished
 * or failed scan (kind scan, status success or failure; the report's
 * summary stays in the payload); other types (pulls, deletes, quotas,
 * replication) are unknown events.  Harbor signs nothing either: the
 * "authentication header" of its policy is sent as Authorization, so it
 * is set to "Bearer <token>".  A CloudEvent's delivery id is its id (and
 * "#<index>" past the first resource); the default format has none, and
 * a redelivery is caught as the same body (duplicate_bodies).
 *
 * ---- Sonatype Nexus Repository 3 ----
 *
 * X-Nexus-Webhook-Id names the event family (rm:repository:asset,
 * rm:repository:component), the body's "action" what happened (CREATED,
 * UPDATED, DELETED); X-Nexus-Webhook-Delivery is the delivery id, and
 * X-Nexus-Webhook-Signature the HMAC-SHA1 of the body (source-auth.c).  A
 * created asset or component is an artifact: the repository as the
 * service, the initiator ("user/address", as Nexus writes it) as the
 * actor, a sha256 checksum when the payload has one (the 3.x asset
 * payload has none: then no artifact field).
 *
 * ---- JFrog Artifactory ----
 *
 * {"domain", "event_type", "data": {...}}: artifact deployed and docker
 * pushed are artifacts (data.sha256; the docs' "sample_checksum" is no
 * digest and is left out), build uploaded is a build (build_name as the
 * pipeline, build_number as the run); other events are unknown.  The
 * docker example of JFrog's docs is flat (no domain, no data wrapper):
 * a body with image_name and no domain is taken as docker.  No delivery
 * id is sent: a redelivery is caught as the same body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/entry.h"
#include "ledger/source.h"
#include "ledger-int.h"
#include "source-int.h"
#include "upload-int.h"

#define NO_COND { COND_NONE, NULL, NULL }

static const struct fieldset manifest = {{
	[LEDGER_SUBJ_ARTIFACT] = { DIGEST("target.digest") },
	[LEDGER_SUBJ_SERVICE] = { P("target.repository") },
	[LEDGER_SUBJ_ACTOR] = { P("actor.name") },
	[LEDGER_SUBJ_URL] = { URL("target.url") },
	[LEDGER_SUBJ_STATUS] = { CONST("success") },
}};

/* What a push is by its media type: a manifest of some kind is an
 * artifact; anything else pushed is a layer or blob. */
static const struct rule distribution_rules[] = {
	{ "push", NULL, { COND_CONTAINS, "target.mediaType", "manifest" },
	    LEDGER_KIND_ARTIFACT, false, &manifest },
	{ "push", NULL, { COND_CONTAINS, "target.mediaType", "image.index" },
	    LEDGER_KIND_ARTIFACT, false, &manifest },
	{ NULL, NULL, NO_COND, LEDGER_KIND_OTHER, true, NULL },
};

static bool
is_push(json_t *ev)
{
	json_t *a = json_object_get(ev, "action");

	return json_is_string(a) && strcmp(json_string_value(a), "push") == 0;
}

/* A push the rules do not take: a layer or a blob. */
static bool
is_part(const struct rule *rule, json_t *ev)
{
	return rule->unknown && is_push(ev);
}

static enum ledger_status
one(const struct ledger_source *src, const char *auth, json_t *ev,
    struct evlist *out, struct ledger_error *err)
{
	const struct rule *rule;
	const char *action, *id;
	struct doc d;

	if (!json_is_object(ev))
		return ledger_errorf(err, LEDGER_EINVAL, "an event must be a "
		    "JSON object");
	action = json_string_value(json_object_get(ev, "action"));
	id = json_string_value(json_object_get(ev, "id"));
	if (action == NULL || action[0] == '\0')
		return ledger_errorf(err, LEDGER_EINVAL, "an event without an "
		    "action");
	d.body = ev;
	d.envelope = NULL;
	d.action = NULL;
	rule = src_match(distribution_rules, action, &d);
	if (is_part(rule, ev)) {
		out->dropped++;
		return LEDGER_OK;
	}
	return src_emit(src, rule, action, id != NULL && id[0] != '\0' ? id :
	    NULL, auth, &d, out, err);
}

enum ledger_status
distribution_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	enum ledger_status rc;
	json_t *root, *events, *ev;
	char pfx[32];
	size_t i, n;

	if ((rc = src_parse_body(req, JSON_OBJECT, &root, err)) != LEDGER_OK)
		return rc;
	events = json_object_get(root, "events");
	if (!json_is_array(events)) {
		rc = ledger_errorf(err, LEDGER_EINVAL, "a Distribution "
		    "notification is {\"events\": [...]}");
		goto out;
	}
	if ((n = json_array_size(events)) == 0 || n > src->max_events) {
		rc = ledger_errorf(err, LEDGER_EINVAL, "an envelope of %zu "
		    "events (want 1 to %zu)", n, src->max_events);
		goto out;
	}
	json_array_foreach(events, i, ev) {
		if ((rc = one(src, auth, ev, out, err)) != LEDGER_OK) {
			snprintf(pfx, sizeof(pfx), "events[%zu]: ", i);
			src_error_prefix(err, pfx);
			goto out;
		}
	}
out:
	json_decref(root);
	return rc;
}

/* ---- Harbor ---- */

/* The repository and the operator are outside the resource: in the
 * envelope (the default format's root, or the CloudEvent). */
#define HARBOR_FIELDS(status) {{ \
	[LEDGER_SUBJ_ARTIFACT] = { DIGEST("digest") }, \
	[LEDGER_SUBJ_SERVICE] = { P("@event_data.repository.repo_full_name"), \
	    P("@data.repository.repo_full_name") }, \
	[LEDGER_SUBJ_ACTOR] = { P("@operator") }, \
	[LEDGER_SUBJ_STATUS] = { CONST(status) }, \
}}

static const struct fieldset harbor_done = HARBOR_FIELDS("success");
static const struct fieldset harbor_failed = HARBOR_FIELDS("failure");

/* Both formats' names for one event type. */
static const struct rule harbor_rules[] = {
	{ "PUSH_ARTIFACT", NULL, NO_COND, LEDGER_KIND_ARTIFACT, false,
	    &harbor_done },
	{ "harbor.artifact.pushed", NULL, NO_COND, LEDGER_KIND_ARTIFACT, false,
	    &harbor_done },
	{ "SCANNING_COMPLETED", NULL, NO_COND, LEDGER_KIND_SCAN, false,
	    &harbor_done },
	{ "harbor.scan.completed", NULL, NO_COND, LEDGER_KIND_SCAN, false,
	    &harbor_done },
	{ "SCANNING_FAILED", NULL, NO_COND, LEDGER_KIND_SCAN, false,
	    &harbor_failed },
	{ "harbor.scan.failed", NULL, NO_COND, LEDGER_KIND_SCAN, false,
	    &harbor_failed },
	{ NULL, NULL, NO_COND, LEDGER_KIND_OTHER, true, NULL },
};

/*
 * A completed scan's counts, from the resource's scan_overview (keyed by
 * the report's media type): "summary" {"Critical": n, ...} mapped as the
 * uploaded reports' (docs/reports.md; Negligible is low, None nothing),
 * as subject summary "critical=..,unknown=N" (no fail_on: Harbor's
 * status says the scan ran, not what it found), and the scanner as the
 * tool -- so the gate's max_findings reads a Harbor scan as it reads an
 * uploaded Trivy report.
 */
static enum ledger_status
harbor_counts(struct ledger_event *ev, json_t *res, struct ledger_error *err)
{
	json_t *ov = NULL, *v, *sum;
	uint64_t n[5] = { 0, 0, 0, 0, 0 };
	enum ledger_status rc;
	const char *key;
	char buf[160];
	int64_t c;
	int sev;

	json_object_foreach(json_object_get(res, "scan_overview"), key, v)
		if (ov == NULL && json_is_object(json_object_get(v, "summary")))
			ov = v;
	/* only a scan that ran to the end has counts to give */
	if (ov == NULL || !json_is_object(sum = up_get(ov, "summary.summary")) ||
	    (up_str(ov, "scan_status") != NULL &&
	    strcmp(up_str(ov, "scan_status"), "Success") != 0))
		return LEDGER_OK;
	json_object_foreach(sum, key, v) {
		if ((sev = up_severity_word(key)) == LEDGER_SEV_NONE)
			continue;
		/* a count that is none: no counts at all, rather than a zero
		 * the gate would take for clean */
		if ((c = up_count(v)) < 0)
			return LEDGER_OK;
		up_add(&n[sev < 0 ? LEDGER_SEV_UNKNOWN : sev], (uint64_t)c);
	}
	up_summary(LEDGER_UPLOAD_SCAN, n, 5, buf, sizeof(buf));
	if ((rc = ledger_event_set_subject(ev, LEDGER_SUBJ_SUMMARY, buf, err)))
		return rc;
	/* the scanner's name and version are its own words: left out when
	 * they are no field value */
	if (ledger_event_set_subject(ev, LEDGER_SUBJ_TOOL, up_str(ov,
	    "scanner.name"), NULL) == LEDGER_ENOMEM ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_TOOL_VERSION, up_str(ov,
	    "scanner.version"), NULL) == LEDGER_ENOMEM)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return LEDGER_OK;
}

/* One entry per resource of data (the default's event_data, the
 * CloudEvent's data); id: the CloudEvent's, or NULL. */
static enum ledger_status
harbor_resources(const struct ledger_source *src, const char *auth,
    const char *type, const char *id, json_t *root, json_t *data,
    struct evlist *out, struct ledger_error *err)
{
	const struct rule *rule;
	json_t *res, *r;
	struct doc d;
	char delivery[LEDGER_FIELD_MAX];
	enum ledger_status rc = LEDGER_OK;
	size_t i, n;

	res = json_is_object(data) ? json_object_get(data, "resources") : NULL;
	n = json_is_array(res) ? json_array_size(res) : 0;
	d.envelope = root;
	d.action = NULL;
	d.body = root;
	rule = src_match(harbor_rules, type, &d);
	if (n == 0 || rule->unknown)	/* nothing per resource to take */
		return src_emit(src, rule, type, id, auth, &d, out, err);
	if (n > src->max_events)
		return ledger_errorf(err, LEDGER_EINVAL, "%zu resources, more "
		    "than the limit of %zu", n, src->max_events);
	json_array_foreach(res, i, r) {
		if (!json_is_object(r))
			return ledger_errorf(err, LEDGER_EINVAL, "resources[%zu]: "
			    "not a JSON object", i);
		d.body = r;
		if (id != NULL && i > 0)
			snprintf(delivery, sizeof(delivery), "%.900s#%zu", id,
			    i);
		if ((rc = src_emit(src, rule, type, id == NULL ? NULL : i > 0 ?
		    delivery : id, auth, &d, out, err)) != LEDGER_OK)
			return rc;
		if (rule->fields == &harbor_done && rule->kind ==
		    LEDGER_KIND_SCAN && out->n > 0 &&
		    (rc = harbor_counts(out->v[out->n - 1], r, err)))
			return rc;
	}
	return rc;
}

static const char *
string_member(json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v != NULL && v[0] != '\0' && strlen(v) ==
	    json_string_length(json_object_get(obj, key)) ? v : NULL;
}

enum ledger_status
harbor_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	enum ledger_status rc;
	const char *type, *id = NULL;
	json_t *root, *data;
	char mt[128];
	bool ce;

	if ((rc = src_media_type(req->content_type, mt, sizeof(mt), err)) ||
	    (rc = src_parse_body(req, JSON_OBJECT, &root, err)))
		return rc;
	ce = strcmp(mt, "application/cloudevents+json") == 0;
	type = string_member(root, "type");
	data = json_object_get(root, ce ? "data" : "event_data");
	if (ce && (id = string_member(root, "id")) == NULL)
		rc = ledger_errorf(err, LEDGER_EINVAL, "a CloudEvent needs "
		    "\"id\"");
	else if (type == NULL)
		rc = ledger_errorf(err, LEDGER_EINVAL, "a Harbor event needs "
		    "\"type\"");
	else
		rc = harbor_resources(src, auth, type, id, root, data, out,
		    err);
	json_decref(root);
	return rc;
}

/* ---- Sonatype Nexus ---- */

static const struct fieldset nexus_created = {{
	[LEDGER_SUBJ_ARTIFACT] = { DIGEST("asset.checksum.sha256"),
	    DIGEST("component.checksum.sha256") },
	[LEDGER_SUBJ_SERVICE] = { P("repositoryName") },
	[LEDGER_SUBJ_ACTOR] = { P("initiator") },
	[LEDGER_SUBJ_STATUS] = { CONST("success") },
}};

static const struct rule nexus_rules[] = {
	{ "rm:repository:asset", "CREATED", NO_COND, LEDGER_KIND_ARTIFACT,
	    false, &nexus_created },
	{ "rm:repository:component", "CREATED", NO_COND, LEDGER_KIND_ARTIFACT,
	    false, &nexus_created },
	{ NULL, NULL, NO_COND, LEDGER_KIND_OTHER, true, NULL },
};

static const struct action_path nexus_actions[] = {
	{ NULL, "action" },
};

static const struct shape nexus_shapes[] = {
	{ NULL, NULL },
};

enum ledger_status
nexus_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	const char *event = src_header(req, "X-Nexus-Webhook-Id");

	if (event == NULL || event[0] == '\0')
		return ledger_errorf(err, LEDGER_EINVAL,
		    "missing X-Nexus-Webhook-Id header");
	return src_emit_typed(src, req, event,
	    src_header(req, "X-Nexus-Webhook-Delivery"), auth, nexus_actions,
	    nexus_rules, nexus_shapes, "X-Nexus-Webhook-Id", out, err);
}

/* ---- JFrog Artifactory ---- */

static const struct fieldset jfrog_artifact = {{
	[LEDGER_SUBJ_ARTIFACT] = { DIGEST("data.sha256"), DIGEST("sha256") },
	[LEDGER_SUBJ_SERVICE] = { P("data.image_name"), P("image_name"),
	    P("data.repo_key"), P("repo_key") },
	[LEDGER_SUBJ_STATUS] = { CONST("success") },
}};

static const struct fieldset jfrog_build = {{
	[LEDGER_SUBJ_PIPELINE] = { P("data.build_name") },
	[LEDGER_SUBJ_RUN] = { P("data.build_number") },
	[LEDGER_SUBJ_STATUS] = { CONST("success") },
}};

static const struct rule jfrog_rules[] = {
	{ "artifact", "deployed", NO_COND, LEDGER_KIND_ARTIFACT, false,
	    &jfrog_artifact },
	{ "docker", "pushed", NO_COND, LEDGER_KIND_ARTIFACT, false,
	    &jfrog_artifact },
	{ "build", "uploaded", NO_COND, LEDGER_KIND_BUILD, false,
	    &jfrog_build },
	{ NULL, NULL, NO_COND, LEDGER_KIND_OTHER, true, NULL },
};

enum ledger_status
artifactory_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	const char *domain, *type;
	char name[160];
	enum ledger_status rc;
	json_t *root;

	if ((rc = src_parse_named(req, "domain", "event_type", &root, &domain,
	    &type, err)) != LEDGER_OK)
		return rc;
	if (domain == NULL && json_object_get(root, "image_name") != NULL)
		domain = "docker";	/* the docs' flat docker example */
	if (domain == NULL || type == NULL) {
		json_decref(root);
		return ledger_errorf(err, LEDGER_EINVAL, "an Artifactory event "
		    "needs \"domain\" and \"event_type\"");
	}
	snprintf(name, sizeof(name), "%.64s.%.64s", domain, type);
	return src_emit_root(src, root, jfrog_rules, domain, type, name, NULL,
	    auth, out, err);
}
