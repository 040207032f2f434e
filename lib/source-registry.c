/*
 * source-registry.c - artifact registries: CNCF Distribution (the Docker
 * registry v2) notifications
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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/entry.h"
#include "ledger/source.h"
#include "ledger-int.h"
#include "source-int.h"

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
