/*
 * source-gitlab.c - GitLab webhooks
 *
 * GitLab names the event in X-Gitlab-Event ("Pipeline Hook"); merge
 * request, issue and release events also carry an action, and their source
 * event is "<event>.<action>" ("Merge Request Hook.approved").  The delivery
 * id is Idempotency-Key (sent unchanged on retries), else
 * X-Gitlab-Event-UUID, else the Standard Webhooks webhook-id.  GitLab
 * writes times as "2021-02-23 02:41:37 UTC" or RFC 3339; none of them is
 * needed for a subject field (the entry time is the ledger's clock), so a
 * malformed one is never an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/entry.h"
#include "ledger/source.h"
#include "source-int.h"

/* Job events lack "project" in older GitLab versions: the path then comes
 * from the repository's homepage URL. */
#define PROJECT		P("project.path_with_namespace")
#define USER		P("user.username")

static const struct fieldset pipeline = {{
	[LEDGER_SUBJ_PIPELINE] = { PROJECT },
	[LEDGER_SUBJ_RUN] = { P("object_attributes.id") },
	[LEDGER_SUBJ_COMMIT] = { SHA("object_attributes.sha"),
	    SHA("commit.id") },
	[LEDGER_SUBJ_ACTOR] = { USER },
	[LEDGER_SUBJ_STATUS] = { P("object_attributes.status") },
	[LEDGER_SUBJ_URL] = { URL("object_attributes.url") },
}};

/* run is the pipeline id, so a job links to its pipeline. */
static const struct fieldset job = {{
	[LEDGER_SUBJ_PIPELINE] = { PROJECT, URL_PATH("repository.homepage") },
	[LEDGER_SUBJ_RUN] = { P("pipeline_id") },
	[LEDGER_SUBJ_COMMIT] = { SHA("sha"), SHA("commit.sha") },
	[LEDGER_SUBJ_ACTOR] = { USER },
	[LEDGER_SUBJ_STATUS] = { P("build_status") },
	[LEDGER_SUBJ_ENVIRONMENT] = { P("environment.name") },
}};

/* The deployment hook carries the commit as commit_url and short_sha. */
static const struct fieldset deployment = {{
	[LEDGER_SUBJ_PIPELINE] = { PROJECT },
	[LEDGER_SUBJ_COMMIT] = { SHA("sha"), SHA_LAST("commit_url"),
	    SHA("short_sha") },
	[LEDGER_SUBJ_ENVIRONMENT] = { P("environment") },
	[LEDGER_SUBJ_ACTOR] = { USER },
	[LEDGER_SUBJ_STATUS] = { P("status") },
	[LEDGER_SUBJ_DEPLOYMENT] = { P("deployment_id") },
	[LEDGER_SUBJ_SERVICE] = { P("project.name") },
	[LEDGER_SUBJ_URL] = { URL("deployable_url"),
	    URL("environment_external_url") },
}};

/* approval/approved/unapproval/unapproved: user is who (un)approved. */
static const struct fieldset mr = {{
	[LEDGER_SUBJ_PIPELINE] = { PROJECT },
	[LEDGER_SUBJ_COMMIT] = { SHA("object_attributes.merge_commit_sha"),
	    SHA("object_attributes.last_commit.id") },
	[LEDGER_SUBJ_ACTOR] = { USER },
	[LEDGER_SUBJ_STATUS] = { ACTION },
	[LEDGER_SUBJ_URL] = { URL("object_attributes.url") },
}};

static const struct fieldset release = {{
	[LEDGER_SUBJ_PIPELINE] = { PROJECT },
	[LEDGER_SUBJ_COMMIT] = { SHA("commit.id") },
	[LEDGER_SUBJ_STATUS] = { ACTION },
	[LEDGER_SUBJ_URL] = { URL("url") },
}};

/* before = 000...0: the ref was created; after = 000...0: deleted. */
static const struct fieldset push = {{
	[LEDGER_SUBJ_PIPELINE] = { PROJECT },
	[LEDGER_SUBJ_COMMIT] = { SHA("checkout_sha"), SHA("after"),
	    SHA("before") },
	[LEDGER_SUBJ_ACTOR] = { P("user_username") },
	[LEDGER_SUBJ_STATUS] = { IF_ZERO("after", "deleted"),
	    IF_ZERO("before", "created"), CONST("pushed") },
}};

static const struct fieldset other = {{
	[LEDGER_SUBJ_PIPELINE] = { PROJECT },
	[LEDGER_SUBJ_ACTOR] = { USER, P("user_username") },
}};

#define NO_COND { COND_NONE, NULL, NULL }

/* First match wins; the last row takes everything else. */
static const struct rule gitlab_rules[] = {
	{ "Pipeline Hook", NULL, NO_COND, LEDGER_KIND_BUILD, false,
	    &pipeline },
	{ "Job Hook", NULL, { COND_CONTAINS, "build_stage", "test" },
	    LEDGER_KIND_TEST, false, &job },
	{ "Job Hook", NULL, NO_COND, LEDGER_KIND_BUILD, false, &job },
	{ "Deployment Hook", NULL, NO_COND, LEDGER_KIND_DEPLOYMENT, false,
	    &deployment },
	{ "Merge Request Hook", "approved", NO_COND, LEDGER_KIND_APPROVAL,
	    false, &mr },
	{ "Merge Request Hook", "approval", NO_COND, LEDGER_KIND_APPROVAL,
	    false, &mr },
	{ "Merge Request Hook", "unapproved", NO_COND, LEDGER_KIND_APPROVAL,
	    false, &mr },
	{ "Merge Request Hook", "unapproval", NO_COND, LEDGER_KIND_APPROVAL,
	    false, &mr },
	{ "Merge Request Hook", "merge", NO_COND, LEDGER_KIND_CHANGE, false,
	    &mr },
	{ "Release Hook", NULL, NO_COND, LEDGER_KIND_ARTIFACT, false,
	    &release },
	{ "Push Hook", NULL, NO_COND, LEDGER_KIND_CHANGE, false, &push },
	{ "Tag Push Hook", NULL, NO_COND, LEDGER_KIND_CHANGE, false, &push },
	{ NULL, NULL, NO_COND, LEDGER_KIND_OTHER, true, &other },
};

static const struct action_path gitlab_actions[] = {
	{ "Merge Request Hook", "object_attributes.action" },
	{ "Issue Hook", "object_attributes.action" },
	{ "Confidential Issue Hook", "object_attributes.action" },
	{ "Release Hook", "action" },
	{ NULL, NULL },
};

/* X-Gitlab-Event is signed by nothing: it must name the body's own
 * object_kind. */
static const struct shape gitlab_shapes[] = {
	{ "Pipeline Hook", "pipeline", { NULL }, { NULL } },
	{ "Job Hook", "build", { NULL }, { NULL } },
	{ "Deployment Hook", "deployment", { NULL }, { NULL } },
	{ "Merge Request Hook", "merge_request", { NULL }, { NULL } },
	{ "Release Hook", "release", { NULL }, { NULL } },
	{ "Push Hook", "push", { NULL }, { NULL } },
	{ "Tag Push Hook", "tag_push", { NULL }, { NULL } },
	{ "Issue Hook", "issue", { NULL }, { NULL } },
	{ "Confidential Issue Hook", "issue", { NULL }, { NULL } },
	{ "Note Hook", "note", { NULL }, { NULL } },
	{ "Confidential Note Hook", "note", { NULL }, { NULL } },
	{ "Wiki Page Hook", "wiki_page", { NULL }, { NULL } },
	{ "Feature Flag Hook", "feature_flag", { NULL }, { NULL } },
	{ "Emoji Hook", "emoji", { NULL }, { NULL } },
	{ NULL, NULL, { NULL }, { NULL } },
};

enum ledger_status
gitlab_media_type(const char *mt, const struct ledger_hook_request *req,
    struct ledger_error *err)
{
	(void)req;
	if (strcmp(mt, "application/json") == 0)
		return LEDGER_OK;
	return ledger_errorf(err, LEDGER_EINVAL,
	    "unsupported media type '%.64s' (want application/json)", mt);
}

enum ledger_status
gitlab_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	const char *event = src_header(req, "X-Gitlab-Event");
	const char *delivery;

	if (event == NULL || event[0] == '\0')
		return ledger_errorf(err, LEDGER_EINVAL,
		    "missing X-Gitlab-Event header");
	/* With a signing key the delivery id is the signed webhook-id: an
	 * unsigned header would let a captured delivery, replayed in the
	 * timestamp window under a new id, become a new entry. */
	if (src->signing_key != NULL)
		delivery = src_header(req, "webhook-id");
	else if ((delivery = src_header(req, "Idempotency-Key")) == NULL &&
	    (delivery = src_header(req, "X-Gitlab-Event-UUID")) == NULL)
		delivery = src_header(req, "webhook-id");
	return src_emit_typed(src, req, event, delivery, auth, gitlab_actions,
	    gitlab_rules, gitlab_shapes, "X-Gitlab-Event", out, err);
}
