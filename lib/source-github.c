/*
 * source-github.c - GitHub webhooks
 *
 * GitHub names the event in X-GitHub-Event and most payloads carry an
 * "action"; the source event is "<event>.<action>" ("workflow_run.completed")
 * or just "<event>" ("push").  The delivery id is X-GitHub-Delivery, which
 * GitHub keeps when a delivery is redelivered.  The table below is the
 * whole mapping; docs/sources.md shows the same table to users.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/entry.h"
#include "ledger/source.h"
#include "source-int.h"

/* GitHub usernames, used as the actor when nothing more precise is there. */
#define SENDER		P("sender.login")
#define REPO		P("repository.full_name")

static const struct fieldset workflow_run = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO },
	[LEDGER_SUBJ_RUN] = { P("workflow_run.id") },
	[LEDGER_SUBJ_COMMIT] = { SHA("workflow_run.head_sha") },
	[LEDGER_SUBJ_ACTOR] = { P("workflow_run.triggering_actor.login"),
	    P("workflow_run.actor.login"), SENDER },
	[LEDGER_SUBJ_STATUS] = { P("workflow_run.conclusion"),
	    P("workflow_run.status"), ACTION },
	[LEDGER_SUBJ_URL] = { URL("workflow_run.html_url") },
}};

static const struct fieldset workflow_job = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO },
	[LEDGER_SUBJ_RUN] = { P("workflow_job.run_id") },
	[LEDGER_SUBJ_COMMIT] = { SHA("workflow_job.head_sha") },
	[LEDGER_SUBJ_ACTOR] = { SENDER },
	[LEDGER_SUBJ_STATUS] = { P("workflow_job.conclusion"),
	    P("workflow_job.status"), ACTION },
	[LEDGER_SUBJ_ENVIRONMENT] = { P("deployment.environment") },
	[LEDGER_SUBJ_URL] = { URL("workflow_job.html_url") },
}};

static const struct fieldset check_suite = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO },
	[LEDGER_SUBJ_RUN] = { P("check_suite.id") },
	[LEDGER_SUBJ_COMMIT] = { SHA("check_suite.head_sha") },
	[LEDGER_SUBJ_ACTOR] = { SENDER },
	[LEDGER_SUBJ_STATUS] = { P("check_suite.conclusion"),
	    P("check_suite.status"), ACTION },
}};

static const struct fieldset check_run = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO },
	[LEDGER_SUBJ_RUN] = { P("check_run.check_suite.id") },
	[LEDGER_SUBJ_COMMIT] = { SHA("check_run.head_sha") },
	[LEDGER_SUBJ_ACTOR] = { SENDER },
	[LEDGER_SUBJ_STATUS] = { P("check_run.conclusion"),
	    P("check_run.status"), ACTION },
	[LEDGER_SUBJ_URL] = { URL("check_run.html_url"),
	    URL("check_run.details_url") },
}};

static const struct fieldset deployment = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO },
	[LEDGER_SUBJ_RUN] = { P("workflow_run.id") },
	[LEDGER_SUBJ_COMMIT] = { SHA("deployment.sha") },
	[LEDGER_SUBJ_ENVIRONMENT] = { P("deployment.environment") },
	[LEDGER_SUBJ_ACTOR] = { P("deployment.creator.login"), SENDER },
	[LEDGER_SUBJ_STATUS] = { CONST("requested") },
	[LEDGER_SUBJ_DEPLOYMENT] = { P("deployment.id") },
	/* a deployment deploys the repository unless its payload names
	 * a service */
	[LEDGER_SUBJ_SERVICE] = { P("deployment.payload.service"),
	    P("repository.name") },
	[LEDGER_SUBJ_URL] = { URL("workflow_run.html_url"),
	    URL("deployment.url") },
}};

static const struct fieldset deployment_status = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO },
	[LEDGER_SUBJ_RUN] = { P("workflow_run.id") },
	[LEDGER_SUBJ_COMMIT] = { SHA("deployment.sha") },
	[LEDGER_SUBJ_ENVIRONMENT] = { P("deployment_status.environment"),
	    P("deployment.environment") },
	[LEDGER_SUBJ_ACTOR] = { P("deployment_status.creator.login"),
	    SENDER },
	[LEDGER_SUBJ_STATUS] = { P("deployment_status.state") },
	[LEDGER_SUBJ_DEPLOYMENT] = { P("deployment.id") },
	/* a deployment deploys the repository unless its payload names
	 * a service */
	[LEDGER_SUBJ_SERVICE] = { P("deployment.payload.service"),
	    P("repository.name") },
	[LEDGER_SUBJ_URL] = { URL("deployment_status.target_url"),
	    URL("deployment_status.log_url"),
	    URL("deployment_status.environment_url"),
	    URL("deployment_status.url") },
}};

/* The reviewer of an environment: approver on approved/rejected, the
 * requestor on requested. */
static const struct fieldset deployment_review = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO },
	[LEDGER_SUBJ_RUN] = { P("workflow_run.id") },
	[LEDGER_SUBJ_COMMIT] = { SHA("workflow_run.head_sha") },
	[LEDGER_SUBJ_ENVIRONMENT] = { P("environment"),
	    P("workflow_job_run.environment"),
	    P("workflow_job_runs.*.environment") },
	[LEDGER_SUBJ_ACTOR] = { P("approver.login"), P("requestor.login"),
	    SENDER },
	[LEDGER_SUBJ_STATUS] = { ACTION },
	[LEDGER_SUBJ_URL] = { URL("workflow_run.html_url") },
}};

/* Sent to a GitHub App that gates an environment; the run is only in the
 * callback URL (.../actions/runs/<id>/deployment_protection_rule). */
static const struct fieldset protection_rule = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO },
	[LEDGER_SUBJ_RUN] = { AFTER("deployment_callback_url", "runs") },
	[LEDGER_SUBJ_COMMIT] = { SHA("sha"), SHA("deployment.sha") },
	[LEDGER_SUBJ_ENVIRONMENT] = { P("environment"),
	    P("deployment.environment") },
	[LEDGER_SUBJ_ACTOR] = { SENDER },
	[LEDGER_SUBJ_STATUS] = { ACTION },
}};

static const struct fieldset pr_review = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO },
	[LEDGER_SUBJ_COMMIT] = { SHA("review.commit_id"),
	    SHA("pull_request.head.sha") },
	[LEDGER_SUBJ_ACTOR] = { P("review.user.login"), SENDER },
	[LEDGER_SUBJ_STATUS] = { P("review.state"), ACTION },
	[LEDGER_SUBJ_URL] = { URL("review.html_url"),
	    URL("pull_request.html_url") },
}};

/* A deleted ref has after = 000...0: the commit is then the one it held. */
static const struct fieldset push = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO },
	[LEDGER_SUBJ_COMMIT] = { SHA("after"), SHA("head_commit.id"),
	    SHA("before") },
	[LEDGER_SUBJ_ACTOR] = { P("pusher.name"), SENDER },
	[LEDGER_SUBJ_STATUS] = { IF_TRUE("deleted", "deleted"),
	    IF_TRUE("created", "created"), IF_TRUE("forced", "forced"),
	    CONST("pushed") },
	[LEDGER_SUBJ_URL] = { URL("compare"), URL("head_commit.url") },
}};

static const struct fieldset release = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO },
	[LEDGER_SUBJ_ARTIFACT] = { DIGEST("release.assets.*.digest") },
	[LEDGER_SUBJ_COMMIT] = { SHA("release.target_commitish") },
	[LEDGER_SUBJ_ACTOR] = { P("release.author.login"), SENDER },
	[LEDGER_SUBJ_STATUS] = { ACTION },
	[LEDGER_SUBJ_URL] = { URL("release.html_url") },
}};

static const struct fieldset registry_package = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO },
	[LEDGER_SUBJ_ARTIFACT] = {
	    DIGEST("registry_package.package_version.container_metadata.tag.digest"),
	    DIGEST("registry_package.package_version.version"),
	    DIGEST("registry_package.package_version.name") },
	[LEDGER_SUBJ_COMMIT] = {
	    SHA("registry_package.package_version.target_commitish") },
	[LEDGER_SUBJ_ACTOR] = { SENDER },
	[LEDGER_SUBJ_STATUS] = { ACTION },
	[LEDGER_SUBJ_URL] = { URL("registry_package.package_version.html_url"),
	    URL("registry_package.html_url") },
}};

static const struct fieldset package = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO },
	[LEDGER_SUBJ_ARTIFACT] = {
	    DIGEST("package.package_version.container_metadata.tag.digest"),
	    DIGEST("package.package_version.version"),
	    DIGEST("package.package_version.name") },
	[LEDGER_SUBJ_COMMIT] = { SHA("package.package_version.target_commitish") },
	[LEDGER_SUBJ_ACTOR] = { SENDER },
	[LEDGER_SUBJ_STATUS] = { ACTION },
	[LEDGER_SUBJ_URL] = { URL("package.package_version.html_url"),
	    URL("package.html_url") },
}};

/* The hook was created or pinged: the source is connected. */
static const struct fieldset ping = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO, P("organization.login") },
	[LEDGER_SUBJ_ACTOR] = { SENDER },
	[LEDGER_SUBJ_STATUS] = { CONST("connected") },
}};

static const struct fieldset other = {{
	[LEDGER_SUBJ_PIPELINE] = { REPO, P("organization.login") },
	[LEDGER_SUBJ_ACTOR] = { SENDER },
}};

#define NO_COND { COND_NONE, NULL, NULL }

/* First match wins; the last row takes everything else. */
static const struct rule github_rules[] = {
	{ "workflow_run", NULL, NO_COND, LEDGER_KIND_BUILD, false,
	    &workflow_run },
	{ "workflow_job", NULL, NO_COND, LEDGER_KIND_BUILD, false,
	    &workflow_job },
	{ "check_suite", NULL, NO_COND, LEDGER_KIND_TEST, false,
	    &check_suite },
	{ "check_run", NULL, NO_COND, LEDGER_KIND_TEST, false, &check_run },
	{ "deployment", NULL, NO_COND, LEDGER_KIND_DEPLOYMENT, false,
	    &deployment },
	{ "deployment_status", NULL, NO_COND, LEDGER_KIND_DEPLOYMENT, false,
	    &deployment_status },
	{ "deployment_review", NULL, NO_COND, LEDGER_KIND_APPROVAL, false,
	    &deployment_review },
	{ "deployment_protection_rule", NULL, NO_COND, LEDGER_KIND_APPROVAL,
	    false, &protection_rule },
	{ "pull_request_review", "submitted",
	    { COND_EQUALS, "review.state", "approved" },
	    LEDGER_KIND_APPROVAL, false, &pr_review },
	{ "pull_request_review", "submitted",
	    { COND_EQUALS, "review.state", "changes_requested" },
	    LEDGER_KIND_APPROVAL, false, &pr_review },
	{ "pull_request_review", "dismissed", NO_COND, LEDGER_KIND_APPROVAL,
	    false, &pr_review },
	{ "push", NULL, NO_COND, LEDGER_KIND_CHANGE, false, &push },
	{ "release", NULL, NO_COND, LEDGER_KIND_ARTIFACT, false, &release },
	{ "registry_package", NULL, NO_COND, LEDGER_KIND_ARTIFACT, false,
	    &registry_package },
	{ "package", NULL, NO_COND, LEDGER_KIND_ARTIFACT, false, &package },
	{ "ping", NULL, NO_COND, LEDGER_KIND_LEDGER, false, &ping },
	{ NULL, NULL, NO_COND, LEDGER_KIND_OTHER, true, &other },
};

static const struct action_path github_actions[] = {
	{ NULL, "action" },
	{ NULL, NULL },
};

enum ledger_status
github_media_type(const char *mt, const struct ledger_hook_request *req,
    struct ledger_error *err)
{
	(void)req;
	if (strcmp(mt, "application/json") == 0)
		return LEDGER_OK;
	if (strcmp(mt, "application/x-www-form-urlencoded") == 0)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "unsupported media type '%s': set the hook's content type "
		    "to application/json", mt);
	return ledger_errorf(err, LEDGER_EINVAL,
	    "unsupported media type '%.64s' (want application/json)", mt);
}

/* X-GitHub-Event is not signed (the HMAC covers the body only): for the
 * types the rules map to a kind, the body must have the type's own
 * object, and not a more specific type's. */
static const struct shape github_shapes[] = {
	{ "deployment_status", NULL, { "deployment_status" }, { NULL } },
	{ "deployment", NULL, { "deployment" }, { "deployment_status" } },
	{ "deployment_review", NULL, { "workflow_run" }, { "deployment",
	    "deployment_status" } },
	{ "deployment_protection_rule", NULL, { "deployment_callback_url" },
	    { NULL } },
	{ "workflow_run", NULL, { "workflow_run" }, { "deployment",
	    "deployment_status", "workflow_job", "requestor" } },
	{ "workflow_job", NULL, { "workflow_job" }, { NULL } },
	{ "check_run", NULL, { "check_run" }, { "deployment_status" } },
	{ "check_suite", NULL, { "check_suite" }, { "check_run" } },
	{ "push", NULL, { "ref", "commits" }, { NULL } },
	{ "release", NULL, { "release" }, { NULL } },
	{ "registry_package", NULL, { "registry_package" }, { NULL } },
	{ "package", NULL, { "package" }, { NULL } },
	{ "pull_request_review", NULL, { "review" }, { NULL } },
	{ "ping", NULL, { "zen" }, { NULL } },
	{ NULL, NULL, { NULL }, { NULL } },
};

enum ledger_status
github_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	const char *event = src_header(req, "X-GitHub-Event");
	const char *delivery = src_header(req, "X-GitHub-Delivery");

	if (event == NULL || event[0] == '\0')
		return ledger_errorf(err, LEDGER_EINVAL,
		    "missing X-GitHub-Event header");
	return src_emit_typed(src, req, event, delivery, auth, github_actions,
	    github_rules, github_shapes, "X-GitHub-Event", out, err);
}
