/*
 * source-iac.c - infrastructure and GitOps changes: Flux's
 * notification-controller and HCP Terraform / Terraform Enterprise
 *
 * ---- Flux (type flux) ----
 *
 * A Provider of type generic-hmac POSTs each Event ({"involvedObject":
 * {"kind", "name", "namespace", "uid"}, "metadata": {"<group>/revision"},
 * "severity", "reason", "message", ...}) with X-Signature:
 * "<alg>=<hex HMAC(token, body)>" (sha256 today; sha224, sha384 and
 * sha512 taken too, as the controller's docs ask).  A Kustomization or
 * HelmRelease event is a deployment: an error is a failure, a reason
 * that says it succeeded a success; other events (progress, a source
 * fetched) are unknown.  The object's name is the service, its namespace
 * the environment; the revision ("main/<sha>", "main@sha1:<sha>",
 * "sha1:<sha>") gives the commit, or, for an OCI source
 * ("latest@sha256:<hex>"), the artifact digest.  Flux sends no
 * delivery id: a redelivery is caught as the same body.
 *
 * ---- HCP Terraform / Terraform Enterprise (type terraform-cloud) ----
 *
 * A generic notification configuration with a token signs the body:
 * X-TFE-Notification-Signature is the hex HMAC-SHA512.  Each element of
 * "notifications" is one entry of kind change: the workspace as the
 * service, the organization as the pipeline, the run id and URL, who
 * made or last updated the run as the actor, the status from the trigger
 * and run status (run:completed / applied: success, run:errored:
 * failure, canceled or discarded: cancelled, assessment:drifted:
 * drifted, assessment:check_failure: failure).  The "verification"
 * trigger (the "send a test" request) is an unknown event.  The delivery
 * id is the run id and the trigger (and the notification's index past
 * the first).
 *
 * ---- Chef Infra (type chef) ----
 *
 * The Chef client's data collector (and Chef Server's) POST JSON messages
 * with a static x-data-collector-token header: compared in constant time
 * with the source's token_file (or its secret_file, when it has no token
 * file), source.auth chef-token.  A run_converge is a change of kind
 * change on the node (its name as the service, its Chef environment as
 * the environment, the organization as the pipeline, the run id), with
 * the run's status; a run_start is the same change started; a Chef
 * Server action (a node deleted, a user created) is a change by its
 * requestor.  A converge's counts are its summary (run_summary: updated,
 * failed, the rest of the total not skipped or unprocessed as ok).  The
 * delivery id is "<message_type>:<id>": Chef gives a run's start and its
 * converge the same id.
 *
 * ---- Puppet (type puppet) ----
 *
 * An agent run report, as PuppetDB stores it (the store-report wire
 * format) or as a report processor posts it as JSON: a run that changed
 * resources is a change of kind change on the node (certname, else host,
 * as the service; its Puppet environment; the transaction as the run and
 * the delivery id), status success; a failed run a failure; an unchanged
 * run an unknown event (agents report every half hour: "unknown_events":
 * "drop" keeps only the runs that did something).  Puppet authenticates
 * with TLS client certificates: bind the source to the sender's identity
 * (client_identity) with "unauthenticated": true, or put a proxy that
 * signs in front (X-Ledger-Signature / a bearer token).  The "resources"
 * metrics are the summary.
 *
 * ---- Argo CD (type argocd), Ansible (type ansible) ----
 *
 * At the end of this file, each with its own comment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ledger/entry.h"
#include "ledger/source.h"
#include "ledger-int.h"
#include "source-int.h"
#include "upload-int.h"

#define NO_COND { COND_NONE, NULL, NULL }

/* ---- Flux ---- */

#define FLUX_FIELDS(status) {{ \
	[LEDGER_SUBJ_SERVICE] = { P("involvedObject.name") }, \
	[LEDGER_SUBJ_ENVIRONMENT] = { P("involvedObject.namespace") }, \
	[LEDGER_SUBJ_COMMIT] = { REVISION("metadata") }, \
	[LEDGER_SUBJ_ARTIFACT] = { REVISION_DIGEST("metadata") }, \
	[LEDGER_SUBJ_STATUS] = { CONST(status) }, \
}}

static const struct fieldset flux_ok = FLUX_FIELDS("success");
static const struct fieldset flux_failed = FLUX_FIELDS("failure");

static const struct rule flux_rules[] = {
	{ "Kustomization", NULL, { COND_EQUALS, "severity", "error" },
	    LEDGER_KIND_DEPLOYMENT, false, &flux_failed },
	{ "Kustomization", NULL, { COND_CONTAINS, "reason", "Succeeded" },
	    LEDGER_KIND_DEPLOYMENT, false, &flux_ok },
	{ "HelmRelease", NULL, { COND_EQUALS, "severity", "error" },
	    LEDGER_KIND_DEPLOYMENT, false, &flux_failed },
	{ "HelmRelease", NULL, { COND_CONTAINS, "reason", "Succeeded" },
	    LEDGER_KIND_DEPLOYMENT, false, &flux_ok },
	{ NULL, NULL, NO_COND, LEDGER_KIND_OTHER, true, NULL },
};

enum ledger_status
flux_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	const char *kind, *reason;
	char name[160];
	enum ledger_status rc;
	json_t *root;

	if ((rc = src_parse_named(req, "involvedObject.kind", "reason", &root,
	    &kind, &reason, err)) != LEDGER_OK)
		return rc;
	if (kind == NULL || kind[0] == '\0' || reason == NULL) {
		json_decref(root);
		return ledger_errorf(err, LEDGER_EINVAL, "a Flux event needs "
		    "involvedObject.kind and reason");
	}
	snprintf(name, sizeof(name), "%.64s.%.64s", kind, reason);
	return src_emit_root(src, root, flux_rules, kind, NULL, name, NULL,
	    auth, out, err);
}

/* ---- HCP Terraform ---- */

#define TFC_FIELDS(status) {{ \
	[LEDGER_SUBJ_SERVICE] = { P("@workspace_name"), \
	    P("@details.workspace_name") }, \
	[LEDGER_SUBJ_PIPELINE] = { P("@organization_name"), \
	    P("@details.organization_name") }, \
	[LEDGER_SUBJ_RUN] = { P("@run_id"), P("@details.run_external_id") }, \
	[LEDGER_SUBJ_URL] = { URL("@run_url") }, \
	[LEDGER_SUBJ_ACTOR] = { P("run_updated_by"), \
	    P("@run_created_by") }, \
	[LEDGER_SUBJ_STATUS] = { CONST(status) }, \
}}

static const struct fieldset tfc_success = TFC_FIELDS("success");
static const struct fieldset tfc_failure = TFC_FIELDS("failure");
static const struct fieldset tfc_cancelled = TFC_FIELDS("cancelled");
static const struct fieldset tfc_drifted = TFC_FIELDS("drifted");
static const struct fieldset tfc_started = TFC_FIELDS("started");

/* By trigger; a run's own status, where the trigger is general. */
static const struct rule tfc_rules[] = {
	{ "run:errored", NULL, { COND_EQUALS, "run_status", "canceled" },
	    LEDGER_KIND_CHANGE, false, &tfc_cancelled },
	{ "run:errored", NULL, NO_COND, LEDGER_KIND_CHANGE, false,
	    &tfc_failure },
	{ "run:completed", NULL, NO_COND, LEDGER_KIND_CHANGE, false,
	    &tfc_success },
	{ "run:applying", NULL, NO_COND, LEDGER_KIND_CHANGE, false,
	    &tfc_started },
	{ "run:created", NULL, NO_COND, LEDGER_KIND_CHANGE, false,
	    &tfc_started },
	{ "run:planning", NULL, NO_COND, LEDGER_KIND_CHANGE, false,
	    &tfc_started },
	{ "run:needs_attention", NULL, NO_COND, LEDGER_KIND_CHANGE, false,
	    &tfc_started },
	{ "assessment:drifted", NULL, NO_COND, LEDGER_KIND_CHANGE, false,
	    &tfc_drifted },
	{ "assessment:check_failure", NULL, NO_COND, LEDGER_KIND_CHANGE,
	    false, &tfc_failure },
	{ "assessment:failed", NULL, NO_COND, LEDGER_KIND_CHANGE, false,
	    &tfc_failure },
	/* payload version 2 (workspace events): the run's status */
	{ "workspace:auto_destroy_results", NULL, { COND_EQUALS,
	    "@details.run_status", "applied" }, LEDGER_KIND_CHANGE, false,
	    &tfc_success },
	{ "workspace:auto_destroy_results", NULL, { COND_EQUALS,
	    "@details.run_status", "errored" }, LEDGER_KIND_CHANGE, false,
	    &tfc_failure },
	{ NULL, NULL, NO_COND, LEDGER_KIND_OTHER, true, NULL },
};

/* One entry for a notification n (of index i) of the body root. */
static enum ledger_status
tfc_one(const struct ledger_source *src, const char *auth, json_t *root,
    json_t *n, size_t i, struct evlist *out, struct ledger_error *err)
{
	const char *trigger, *run;
	char delivery[LEDGER_FIELD_MAX];
	struct doc d;

	if (!json_is_object(n))
		return ledger_errorf(err, LEDGER_EINVAL, "notifications[%zu]: "
		    "not a JSON object", i);
	if ((trigger = json_string_value(json_object_get(n, "trigger"))) ==
	    NULL)
		trigger = json_string_value(json_object_get(root, "trigger"));
	if (trigger == NULL || trigger[0] == '\0')
		return ledger_errorf(err, LEDGER_EINVAL, "notifications[%zu]: "
		    "no trigger", i);
	d.body = n;
	d.envelope = root;
	d.action = NULL;
	run = json_string_value(json_object_get(root, "run_id"));
	if (run == NULL)
		run = json_string_value(json_object_get(json_object_get(root,
		    "details"), "run_external_id"));
	if (run != NULL && i == 0)
		snprintf(delivery, sizeof(delivery), "%.200s %.100s", run,
		    trigger);
	else if (run != NULL)
		snprintf(delivery, sizeof(delivery), "%.200s %.100s#%zu", run,
		    trigger, i);
	return src_emit(src, src_match(tfc_rules, trigger, &d), trigger,
	    run != NULL ? delivery : NULL, auth, &d, out, err);
}

enum ledger_status
tfc_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	enum ledger_status rc = LEDGER_OK;
	json_t *root, *ns, *n;
	size_t i;

	if ((rc = src_parse_body(req, JSON_OBJECT, &root, err)) != LEDGER_OK)
		return rc;
	ns = json_object_get(root, "notifications");
	if (json_is_array(ns) && json_array_size(ns) > src->max_events)
		rc = ledger_errorf(err, LEDGER_EINVAL, "%zu notifications, "
		    "more than the limit of %zu", json_array_size(ns),
		    src->max_events);
	else if (json_is_array(ns) && json_array_size(ns) > 0) {
		json_array_foreach(ns, i, n)
			if ((rc = tfc_one(src, auth, root, n, i, out, err)) !=
			    LEDGER_OK)
				break;
	} else	/* payload version 2: the body is the notification */
		rc = tfc_one(src, auth, root, root, 0, out, err);
	json_decref(root);
	return rc;
}

/* ---- configuration runs' counts (Chef, Puppet) ---- */

/*
 * The counts of a run as `summary` (docs/FORMAT.md: a run's
 * "changed=N,failed=N,ok=N,unreachable=N", ok being the resources in
 * their desired state, changed or not; no agent run is unreachable) and
 * the tool, on the events from first on that are changes.
 */
static enum ledger_status
run_summary(struct evlist *out, size_t first, uint64_t changed,
    uint64_t failed, uint64_t ok, const char *tool, const char *version,
    struct ledger_error *err)
{
	enum ledger_status rc = LEDGER_OK;
	char sum[128];
	size_t i;

	const uint64_t v[] = { changed, failed, ok, 0 };

	up_summary(LEDGER_UPLOAD_RUN, v, 4, sum, sizeof(sum));
	for (i = first; i < out->n && rc == LEDGER_OK; i++) {
		if (out->v[i]->e.kind != LEDGER_KIND_CHANGE)
			continue;
		if ((rc = ledger_event_set_subject(out->v[i],
		    LEDGER_SUBJ_SUMMARY, sum, err)) == LEDGER_OK &&
		    (rc = ledger_event_set_subject(out->v[i], LEDGER_SUBJ_TOOL,
		    tool, err)) == LEDGER_OK && version != NULL &&
		    ledger_event_set_subject(out->v[i],
		    LEDGER_SUBJ_TOOL_VERSION, version, NULL) != LEDGER_OK)
			rc = LEDGER_OK;	/* a version that is no value: left out */
	}
	return rc;
}

/* A count: a JSON number, whole and not negative; else 0. */
static uint64_t
count_of(json_t *v)
{
	double d = json_number_value(v);

	return json_is_number(v) && d >= 0 && d < 9e15 ? (uint64_t)d : 0;
}

/* ---- Chef Infra ---- */

#define CHEF_RUN(status) {{ \
	[LEDGER_SUBJ_SERVICE] = { P("node_name"), P("node.name") }, \
	[LEDGER_SUBJ_ENVIRONMENT] = { P("node.chef_environment") }, \
	[LEDGER_SUBJ_PIPELINE] = { P("organization_name") }, \
	[LEDGER_SUBJ_RUN] = { P("run_id") }, \
	[LEDGER_SUBJ_STATUS] = { status }, \
}}

static const struct fieldset chef_converge = CHEF_RUN(P("status"));
static const struct fieldset chef_start = CHEF_RUN(CONST("started"));
static const struct fieldset chef_action = {{
	[LEDGER_SUBJ_SERVICE] = { P("entity_name") },
	[LEDGER_SUBJ_PIPELINE] = { P("organization_name") },
	[LEDGER_SUBJ_ACTOR] = { P("requestor_name") },
	[LEDGER_SUBJ_STATUS] = { CONST("success") },
}};

static const struct rule chef_rules[] = {
	{ "run_converge", NULL, NO_COND, LEDGER_KIND_CHANGE, false,
	    &chef_converge },
	{ "run_start", NULL, NO_COND, LEDGER_KIND_CHANGE, false, &chef_start },
	{ "action", NULL, NO_COND, LEDGER_KIND_CHANGE, false, &chef_action },
	{ NULL, NULL, NO_COND, LEDGER_KIND_OTHER, true, NULL },
};

/* A string member of obj, or "-". */
static const char *
member_or_dash(json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v != NULL ? v : "-";
}

enum ledger_status
chef_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	const char *type, *id, *st;
	uint64_t failed = 0, skipped = 0, total;
	char name[160], delivery[200];
	enum ledger_status rc;
	size_t i, first;
	json_t *root, *r;

	if ((rc = src_parse_named(req, "message_type", "id", &root, &type,
	    &id, err)) != LEDGER_OK)
		return rc;
	if (type == NULL || type[0] == '\0') {
		json_decref(root);
		return ledger_errorf(err, LEDGER_EINVAL, "a Chef message needs "
		    "\"message_type\"");
	}
	if (strcmp(type, "action") == 0)
		snprintf(name, sizeof(name), "action.%.48s.%.48s",
		    member_or_dash(root, "entity_type"),
		    member_or_dash(root, "task"));
	else
		snprintf(name, sizeof(name), "%.128s", type);
	/* Chef gives the run's start and its converge the same "id" (the
	 * run id, in Chef's data_collector message builders): the delivery is
	 * the message of the run */
	if (id != NULL)
		snprintf(delivery, sizeof(delivery), "%.64s:%.128s", type, id);
	if (strcmp(type, "run_converge") != 0)
		return src_emit_root(src, root, chef_rules, type, NULL, name,
		    id != NULL ? delivery : NULL, auth, out, err);
	/* a converge: its resources' counts */
	json_array_foreach(json_object_get(root, "resources"), i, r) {
		st = json_string_value(json_object_get(r, "status"));
		failed += st != NULL && strcmp(st, "failed") == 0;
		/* skipped, or never reached after a failure: not ok */
		skipped += st != NULL && (strcmp(st, "skipped") == 0 ||
		    strcmp(st, "unprocessed") == 0);
	}
	total = count_of(json_object_get(root, "total_resource_count"));
	json_incref(root);
	first = out->n;
	if ((rc = src_emit_root(src, root, chef_rules, type, NULL, name,
	    id != NULL ? delivery : NULL, auth, out, err)) == LEDGER_OK && json_is_number(
	    json_object_get(root, "total_resource_count")))
		rc = run_summary(out, first, count_of(json_object_get(root,
		    "updated_resource_count")), failed, total >= failed +
		    skipped ? total - failed - skipped : 0, "Chef Infra", NULL,
		    err);
	json_decref(root);
	return rc;
}

/* ---- Puppet ---- */

#define PUPPET_RUN(status) {{ \
	[LEDGER_SUBJ_SERVICE] = { P("certname"), P("host") }, \
	[LEDGER_SUBJ_ENVIRONMENT] = { P("environment") }, \
	[LEDGER_SUBJ_RUN] = { P("transaction_uuid") }, \
	[LEDGER_SUBJ_STATUS] = { CONST(status) }, \
}}

static const struct fieldset puppet_changed = PUPPET_RUN("success");
static const struct fieldset puppet_failed = PUPPET_RUN("failure");

static const struct rule puppet_rules[] = {
	{ "report", NULL, { COND_EQUALS, "status", "changed" },
	    LEDGER_KIND_CHANGE, false, &puppet_changed },
	{ "report", NULL, { COND_EQUALS, "status", "failed" },
	    LEDGER_KIND_CHANGE, false, &puppet_failed },
	{ NULL, NULL, NO_COND, LEDGER_KIND_OTHER, true, NULL },
};

enum ledger_status
puppet_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	static const char *const metric[4] = { "changed", "failed", "skipped",
	    "total" };
	const char *status, *tx;
	uint64_t n[4] = { 0, 0, 0, 0 };
	char name[80];
	enum ledger_status rc;
	size_t i, k, first;
	json_t *root, *m;

	if ((rc = src_parse_named(req, "status", "transaction_uuid", &root,
	    &status, &tx, err)) != LEDGER_OK)
		return rc;
	if (status == NULL || status[0] == '\0') {
		json_decref(root);
		return ledger_errorf(err, LEDGER_EINVAL, "a Puppet report needs "
		    "\"status\"");
	}
	snprintf(name, sizeof(name), "report.%.64s", status);
	/* the "resources" metrics: changed, failed, skipped of total */
	json_array_foreach(json_object_get(root, "metrics"), i, m)
		for (k = 0; k < 4; k++)
			if (json_is_string(json_object_get(m, "category")) &&
			    strcmp(json_string_value(json_object_get(m,
			    "category")), "resources") == 0 &&
			    json_is_string(json_object_get(m, "name")) &&
			    strcmp(json_string_value(json_object_get(m,
			    "name")), metric[k]) == 0)
				n[k] = count_of(json_object_get(m, "value"));
	json_incref(root);
	first = out->n;
	if ((rc = src_emit_root(src, root, puppet_rules, "report", NULL, name,
	    tx, auth, out, err)) == LEDGER_OK && json_is_array(
	    json_object_get(root, "metrics")))
		rc = run_summary(out, first, n[0], n[1], n[3] >= n[1] + n[2] ?
		    n[3] - n[1] - n[2] : 0, "Puppet", json_string_value(
		    json_object_get(root, "puppet_version")), err);
	json_decref(root);
	return rc;
}

/* ---- Argo CD (argocd-notifications' webhook service) ---- */

/*
 * Argo CD sends what a notification template renders; docs/sources.md
 * gives the template to use, `{{toJson .app}}`: the Application.  A sync
 * (status.operationState) is a deployment of the application (service)
 * to its destination namespace (environment; a label "environment" on
 * the Application says otherwise), of the revision it synced (commit, or
 * an OCI digest), by whoever started it; one sync keeps its
 * "<uid>:<startedAt>" across its Running and Succeeded notifications
 * (deployment).  The body
 * of Argo CD's own docs example, the syncResult alone, gives the
 * revision only.
 */
#define ARGOCD_REV(f) { f("status.operationState.syncResult.revision"), \
	f("status.sync.revision"), f("status.operationState.operation.sync." \
	"revision") }

static const struct fieldset argocd_sync = {{
	[LEDGER_SUBJ_SERVICE] = { P("metadata.name") },
	[LEDGER_SUBJ_ENVIRONMENT] = { P("metadata.labels.environment"),
	    P("spec.destination.namespace"), P("spec.destination.name") },
	[LEDGER_SUBJ_COMMIT] = ARGOCD_REV(REVISION),
	[LEDGER_SUBJ_ARTIFACT] = ARGOCD_REV(REVISION_DIGEST),
	[LEDGER_SUBJ_ACTOR] = {
	    P("status.operationState.operation.initiatedBy.username"),
	    IF_TRUE("status.operationState.operation.initiatedBy.automated",
	    "argocd:automated") },
	[LEDGER_SUBJ_STATUS] = { P("status.operationState.phase") },
	[LEDGER_SUBJ_DEPLOYMENT] = { P("status.operationState.startedAt") },
	[LEDGER_SUBJ_PIPELINE] = { P("spec.project") },
}};

static const struct fieldset argocd_result = {{
	[LEDGER_SUBJ_COMMIT] = { REVISION("revision") },
	[LEDGER_SUBJ_ARTIFACT] = { REVISION_DIGEST("revision") },
}};

static const struct rule argocd_rules[] = {
	{ "app.sync", NULL, NO_COND, LEDGER_KIND_DEPLOYMENT, false,
	    &argocd_sync },
	{ "syncResult", NULL, NO_COND, LEDGER_KIND_DEPLOYMENT, false,
	    &argocd_result },
	{ NULL, NULL, NO_COND, LEDGER_KIND_OTHER, true, NULL },
};

enum ledger_status
argocd_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	const char *app, *phase, *id;
	struct doc d = { NULL, NULL, NULL };
	enum ledger_status rc;
	const char *match;
	char name[96], depbuf[280];
	size_t i, first;
	json_t *root;

	if ((rc = src_parse_named(req, "metadata.name",
	    "status.operationState.phase", &root, &app, &phase, err)))
		return rc;
	d.body = root;
	if (app != NULL && json_is_object(src_path_get(&d,
	    "status.operationState")))
		match = "app.sync";
	else if (app != NULL)
		match = "app";
	else if (json_is_array(json_object_get(root, "resources")) &&
	    json_object_get(root, "revision") != NULL)
		match = "syncResult";
	else {
		json_decref(root);
		return ledger_errorf(err, LEDGER_EINVAL, "an Argo CD "
		    "notification is the Application ({{toJson .app}}) or its "
		    "syncResult (docs/sources.md)");
	}
	snprintf(name, sizeof(name), "%s%s%.64s", match, phase != NULL ? "." :
	    "", phase != NULL ? phase : "");
	json_incref(root);
	first = out->n;
	rc = src_emit_root(src, root, argocd_rules, match, NULL, name, NULL,
	    auth, out, err);
	/* one sync: the Application (its uid, else its name) and the
	 * operation's start -- two Applications of a project syncing in the
	 * same second are two deployments */
	if ((id = src_path_string(&d, "metadata.uid")) == NULL)
		id = app;
	for (i = first; rc == LEDGER_OK && i < out->n; i++) {
		const char *dep = out->v[i]->e.subject[LEDGER_SUBJ_DEPLOYMENT];

		if (dep == NULL || id == NULL)
			continue;
		snprintf(depbuf, sizeof(depbuf), "%.200s:%.64s", id, dep);
		rc = ledger_event_set_subject(out->v[i], LEDGER_SUBJ_DEPLOYMENT,
		    depbuf, err);
	}
	json_decref(root);
	return rc;
}

/* ---- Ansible (ansible.posix.json callback output, POSTed) ---- */

/* The run as `ledgerctl record run` records it (lib/upload-bom.c), of
 * this source: one change with the counts summed over hosts. */
enum ledger_status
ansible_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	const struct upload_format *fmt = upload_format_named("ansible");
	struct ledger_upload_opts o;
	struct ledger_event *ev = NULL;
	enum ledger_status rc;
	json_t *root;

	if ((rc = src_parse_body(req, JSON_OBJECT, &root, err)) != LEDGER_OK)
		return rc;
	if (fmt == NULL || !fmt->is(root)) {
		json_decref(root);
		return ledger_errorf(err, LEDGER_EINVAL, "not the output of "
		    "Ansible's JSON callback (\"plays\" and \"stats\"; "
		    "ANSIBLE_STDOUT_CALLBACK=ansible.posix.json)");
	}
	memset(&o, 0, sizeof(o));
	o.cls = LEDGER_UPLOAD_RUN;
	o.kind = -1;
	rc = upload_build(root, fmt, &o, &ev, err);
	json_decref(root);
	if (rc != LEDGER_OK)
		return rc;
	if ((rc = ledger_event_set_source(ev, LEDGER_SRC_NAME, src->name,
	    err)) || (rc = ledger_event_set_source(ev, LEDGER_SRC_TYPE,
	    "ansible", err)) || (rc = ledger_event_set_source(ev,
	    LEDGER_SRC_EVENT, "playbook", err)) ||
	    (rc = ledger_event_set_source(ev, LEDGER_SRC_AUTH, auth, err))) {
		ledger_event_free(ev);
		return rc;
	}
	return src_push(out, ev, err);
}
