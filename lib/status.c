/*
 * status.c - the status vocabulary (ledger/status.h)
 *
 * One table: the words each source uses (docs/sources.md), mapped.
 * Approval words differ from the others: GitLab's "approval" and
 * "approved" both approve, "unapproval"/"unapproved" withdraw or refuse,
 * GitHub's pull request review "changes_requested" refuses; CDEvents'
 * decision is "approved"/"rejected".
 */
#include <string.h>
#include <strings.h>

#include "ledger/status.h"

struct word {
	const char *raw;
	const char *word;
};

static const struct word approval_words[] = {
	{ "approved", "approved" }, { "approve", "approved" },
	{ "approval", "approved" }, { "accepted", "approved" },
	{ "granted", "approved" }, { "allowed", "approved" },
	{ "rejected", "rejected" }, { "reject", "rejected" },
	{ "unapproved", "rejected" }, { "unapproval", "rejected" },
	{ "denied", "rejected" }, { "declined", "rejected" },
	{ "changes_requested", "rejected" },
	{ "requested", "requested" }, { "waiting", "requested" },
	{ "pending", "requested" },
	{ "dismissed", "dismissed" },
	{ NULL, NULL },
};

/* A change (a push, a merge, a branch): it happened, or it was undone. */
static const struct word change_words[] = {
	{ "pushed", "success" }, { "merged", "success" },
	{ "created", "success" }, { "forced", "success" },
	{ "updated", "success" }, { "modified", "success" },
	{ "reviewed", "success" }, { "opened", "started" },
	{ "reopened", "started" }, { "abandoned", "cancelled" },
	{ "closed", "cancelled" }, { "deleted", "removed" },
	{ "drifted", "drifted" }, { "planned", "planned" },
	{ NULL, NULL },
};

static const struct word words[] = {
	{ "success", "success" }, { "succeeded", "success" },
	{ "successful", "success" }, { "passed", "success" },
	{ "pass", "success" }, { "ok", "success" },
	{ "deployed", "success" }, { "upgraded", "success" },
	{ "published", "success" }, { "completed", "success" },
	{ "finished", "success" }, { "active", "success" },
	{ "rolledback", "success" },
	{ "failure", "failure" }, { "failed", "failure" },
	{ "fail", "failure" }, { "error", "failure" },
	{ "errored", "failure" }, { "timed_out", "failure" },
	{ "startup_failure", "failure" }, { "action_required", "failure" },
	{ "started", "started" }, { "running", "started" },
	{ "in_progress", "started" }, { "deploying", "started" },
	{ "queued", "queued" }, { "pending", "queued" },
	{ "waiting", "queued" }, { "requested", "queued" },
	{ "created", "queued" }, { "scheduled", "queued" },
	{ "cancelled", "cancelled" }, { "canceled", "cancelled" },
	{ "aborted", "cancelled" }, { "skipped", "cancelled" },
	{ "stale", "cancelled" },
	{ "inactive", "inactive" },
	{ "removed", "removed" }, { "deleted", "removed" },
	{ "approved", "approved" }, { "rejected", "rejected" },
	{ "allowed", "allowed" }, { "denied", "denied" },
	{ NULL, NULL },
};

const char *
ledger_status_word(enum ledger_kind k, const char *raw)
{
	const struct word *w = k == LEDGER_KIND_APPROVAL ? approval_words :
	    k == LEDGER_KIND_CHANGE ? change_words : words;

	if (raw == NULL)
		return NULL;
	for (; w->raw != NULL; w++)
		if (strcasecmp(raw, w->raw) == 0)
			return w->word;
	/* a change may also say what a build says (CDEvents outcomes) */
	return k == LEDGER_KIND_CHANGE ? ledger_status_word(LEDGER_KIND_BUILD,
	    raw) : "unknown";
}
