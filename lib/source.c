/*
 * source.c - webhook sources: dispatch to the adapters, event lists, and
 * normalizing a delivery into events (configuration in source-config.c,
 * authentication in source-auth.c, the mapping tables' interpreter in
 * source-map.c)
 *
 * The adapters (source-github.c, source-gitlab.c, source-cdevents.c,
 * source-registry.c,
 * source-generic.c) hold one table each and the little code that reads
 * their system's envelope (event header, delivery id, CloudEvent
 * attributes).  Everything that is the same for all of them is here.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "ledger/entry.h"
#include "ledger/jcs.h"
#include "ledger/source.h"
#include "ledger-int.h"
#include "source-int.h"
#include "sha256.h"

/* One row a source type: everything that differs between them. */
static const struct src_adapter adapters[LEDGER_SOURCE_TYPE_COUNT] = {
	[LEDGER_SOURCE_GITHUB] = { "github", src_auth_github,
	    github_media_type, github_normalize },
	[LEDGER_SOURCE_GITLAB] = { "gitlab", src_auth_gitlab,
	    gitlab_media_type, gitlab_normalize },
	[LEDGER_SOURCE_CDEVENTS] = { "cdevents", src_auth_hmac_or_bearer,
	    cdevents_media_type, cdevents_normalize },
	[LEDGER_SOURCE_GENERIC] = { "generic", src_auth_hmac_or_bearer,
	    generic_media_type, generic_normalize },
	/* application/vnd.docker.distribution.events.v2+json is +json */
	[LEDGER_SOURCE_DISTRIBUTION] = { "distribution",
	    src_auth_hmac_or_bearer, generic_media_type,
	    distribution_normalize },
	[LEDGER_SOURCE_HARBOR] = { "harbor", src_auth_hmac_or_bearer,
	    generic_media_type, harbor_normalize },
	[LEDGER_SOURCE_NEXUS] = { "nexus", src_auth_nexus,
	    generic_media_type, nexus_normalize },
	[LEDGER_SOURCE_ARTIFACTORY] = { "artifactory", src_auth_jfrog,
	    generic_media_type, artifactory_normalize },
	[LEDGER_SOURCE_FLUX] = { "flux", src_auth_flux, generic_media_type,
	    flux_normalize },
	[LEDGER_SOURCE_TFC] = { "terraform-cloud", src_auth_tfc,
	    generic_media_type, tfc_normalize },
	[LEDGER_SOURCE_CHEF] = { "chef", src_auth_chef, generic_media_type,
	    chef_normalize },
	[LEDGER_SOURCE_PUPPET] = { "puppet", src_auth_hmac_or_bearer,
	    generic_media_type, puppet_normalize },
	[LEDGER_SOURCE_ARGOCD] = { "argocd", src_auth_hmac_or_bearer,
	    generic_media_type, argocd_normalize },
	[LEDGER_SOURCE_ANSIBLE] = { "ansible", src_auth_hmac_or_bearer,
	    generic_media_type, ansible_normalize },
};

const struct src_adapter *
src_adapter(enum ledger_source_type t)
{
	return (unsigned)t < LEDGER_SOURCE_TYPE_COUNT ? &adapters[t] : NULL;
}

const char *
ledger_source_type_name(enum ledger_source_type t)
{
	return src_adapter(t) != NULL ? adapters[t].type : NULL;
}

const char *
ledger_source_name(const struct ledger_source *src)
{
	return src != NULL ? src->name : NULL;
}

enum ledger_source_type
ledger_source_type(const struct ledger_source *src)
{
	return src != NULL ? src->type : LEDGER_SOURCE_TYPE_COUNT;
}

const char *
ledger_source_client_identity(const struct ledger_source *src)
{
	return src != NULL && src->client_identity[0] != '\0' ?
	    src->client_identity : NULL;
}

void
ledger_source_free(struct ledger_source *src)
{
	if (src == NULL)
		return;
	/* sodium_free wipes before it frees. */
	if (src->secret != NULL)
		sodium_free(src->secret);
	if (src->token_hash != NULL)
		sodium_free(src->token_hash);
	if (src->signing_key != NULL)
		sodium_free(src->signing_key);
	sodium_memzero(src, sizeof(*src));
	free(src);
}

/* ---- event lists ---- */

enum ledger_status
src_push(struct evlist *out, struct ledger_event *ev, struct ledger_error *err)
{
	struct ledger_event **v;

	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 4;

		if ((v = realloc(out->v, cap * sizeof(*v))) == NULL) {
			ledger_event_free(ev);
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "out of memory");
		}
		out->v = v;
		out->cap = cap;
	}
	out->v[out->n++] = ev;
	return LEDGER_OK;
}

void
src_evlist_release(struct evlist *out)
{
	ledger_source_events_free(out->v, out->n);
	memset(out, 0, sizeof(*out));
}

void
ledger_source_events_free(struct ledger_event **evs, size_t n)
{
	size_t i;

	if (evs == NULL)
		return;
	for (i = 0; i < n; i++)
		ledger_event_free(evs[i]);
	free(evs);
}

enum ledger_status
src_clone(const struct ledger_event *ev, struct ledger_event **ret,
    struct ledger_error *err)
{
	struct ledger_event *c;
	enum ledger_status rc;
	int i;

	if ((rc = ledger_event_new(&c, err)) != LEDGER_OK)
		return rc;
	c->e.kind = ev->e.kind;
	for (i = 0; i < LEDGER_SRC_COUNT; i++)
		if ((rc = ledger_strdup(ev->e.source[i], &c->e.source[i],
		    err)) != LEDGER_OK)
			goto fail;
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		if ((rc = ledger_strdup(ev->e.subject[i], &c->e.subject[i],
		    err)) != LEDGER_OK)
			goto fail;
	if ((rc = ledger_strdup(ev->e.payload_type, &c->e.payload_type,
	    err)) != LEDGER_OK)
		goto fail;
	/* Not the payload: every event of a delivery gets the delivery's,
	 * shared, at the end (set_payloads). */
	*ret = c;
	return LEDGER_OK;
fail:
	ledger_event_free(c);
	return rc;
}

/* Does root have the shape shapes give event?  LEDGER_EINVAL if not. */
static enum ledger_status
check_shape(const struct shape *shapes, const char *header,
    const char *event, json_t *root, struct ledger_error *err)
{
	const struct shape *sh;
	const char *kind;
	size_t i;

	for (sh = shapes; sh != NULL && sh->event != NULL; sh++)
		if (strcmp(sh->event, event) == 0)
			break;
	if (sh == NULL || sh->event == NULL)
		return LEDGER_OK;
	if (sh->object_kind != NULL) {
		kind = json_string_value(json_object_get(root, "object_kind"));
		if (kind == NULL || strcmp(kind, sh->object_kind) != 0)
			return ledger_errorf(err, LEDGER_EINVAL, "%s '%.64s' "
			    "does not match the body (its object_kind is "
			    "'%.64s'); the header is not signed, the body is",
			    header, event, kind ? kind : "missing");
	}
	for (i = 0; i < 3 && sh->has[i] != NULL; i++)
		if (json_object_get(root, sh->has[i]) == NULL)
			return ledger_errorf(err, LEDGER_EINVAL, "%s '%.64s' "
			    "does not match the body (no '%s'); the header is "
			    "not signed, the body is", header, event,
			    sh->has[i]);
	for (i = 0; i < 4 && sh->lacks[i] != NULL; i++)
		if (json_object_get(root, sh->lacks[i]) != NULL)
			return ledger_errorf(err, LEDGER_EINVAL, "%s '%.64s' "
			    "does not match the body (it has '%s', another "
			    "event type's); the header is not signed, the body "
			    "is", header, event, sh->lacks[i]);
	return LEDGER_OK;
}

enum ledger_status
src_emit_typed(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *event,
    const char *delivery, const char *auth,
    const struct action_path *actions, const struct rule *rules,
    const struct shape *shapes, const char *header,
    struct evlist *out, struct ledger_error *err)
{
	char *name = NULL;
	enum ledger_status rc;
	struct doc d;
	json_t *root;

	if ((rc = src_parse_body(req, JSON_OBJECT, &root, err)) != LEDGER_OK)
		return rc;
	if ((rc = check_shape(shapes, header, event, root, err)) !=
	    LEDGER_OK) {
		json_decref(root);
		return rc;
	}
	d.body = root;
	d.envelope = NULL;
	d.action = src_action(actions, event, root);
	if (d.action != NULL && d.action[0] != '\0') {
		size_t n = strlen(event) + 1 + strlen(d.action) + 1;

		if ((name = malloc(n)) == NULL) {
			rc = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
			goto out;
		}
		snprintf(name, n, "%s.%s", event, d.action);
	}
	rc = src_emit(src, src_match(rules, event, &d),
	    name != NULL ? name : event, delivery, auth, &d, out, err);
out:
	free(name);
	json_decref(root);
	return rc;
}

enum ledger_status
src_emit(const struct ledger_source *src, const struct rule *rule,
    const char *event, const char *delivery, const char *auth,
    const struct doc *d, struct evlist *out, struct ledger_error *err)
{
	struct ledger_event *ev;
	enum ledger_status rc;

	if (rule->unknown && src->drop_unknown) {
		out->dropped++;
		return LEDGER_OK;
	}
	if ((rc = ledger_event_new(&ev, err)) != LEDGER_OK)
		return rc;
	ev->e.kind = rule->unknown ? LEDGER_KIND_OTHER : rule->kind;
	if ((rc = ledger_event_set_source(ev, LEDGER_SRC_NAME, src->name,
	    err)) != LEDGER_OK ||
	    (rc = ledger_event_set_source(ev, LEDGER_SRC_TYPE,
	    ledger_source_type_name(src->type), err)) != LEDGER_OK ||
	    (rc = ledger_event_set_source(ev, LEDGER_SRC_AUTH, auth, err)))
		goto fail;
	if ((rc = ledger_event_set_source(ev, LEDGER_SRC_EVENT, event, err))) {
		if (rc == LEDGER_EINVAL && err != NULL)
			snprintf(err->msg, sizeof(err->msg),
			    "bad event name: not 1 to %d printable UTF-8 bytes",
			    LEDGER_FIELD_MAX);
		goto fail;
	}
	if ((rc = ledger_event_set_source(ev, LEDGER_SRC_DELIVERY, delivery,
	    err))) {
		if (rc == LEDGER_EINVAL && err != NULL)
			snprintf(err->msg, sizeof(err->msg),
			    "bad delivery id: not 1 to %d printable UTF-8 bytes",
			    LEDGER_FIELD_MAX);
		goto fail;
	}
	if ((rc = src_fill(ev, rule->fields, d, err)) != LEDGER_OK)
		goto fail;
	return src_push(out, ev, err);
fail:
	ledger_event_free(ev);
	return rc;
}

enum ledger_status
src_parse_body(const struct ledger_hook_request *req, json_type want,
    json_t **ret, struct ledger_error *err)
{
	enum ledger_status rc;
	json_t *root;

	rc = ledger_json_parse((const char *)req->body, req->body_len, &root,
	    err);
	if (rc != LEDGER_OK) {
		if (rc == LEDGER_EINVAL)
			src_error_prefix(err, "body: ");
		return rc;
	}
	if (json_typeof(root) != want) {
		json_decref(root);
		return ledger_errorf(err, LEDGER_EINVAL,
		    "body: must be a JSON %s", want == JSON_ARRAY ? "array" :
		    "object");
	}
	*ret = root;
	return LEDGER_OK;
}

/* ---- normalize ---- */

/*
 * The headers a sender authenticates or identifies a delivery with, kept
 * beside the payload so that the signature can be re-checked later with
 * the shared secret.  Never a bearer secret: Authorization,
 * X-Gitlab-Token and X-JFrog-Event-Auth (a token or a signature, one
 * cannot tell) are not in the list.
 */
static const char *const evidence_headers[] = {
	"X-Hub-Signature-256", "X-GitHub-Delivery", "X-GitHub-Event",
	"X-GitHub-Hook-ID", "webhook-id", "webhook-timestamp",
	"webhook-signature", "X-Gitlab-Event", "X-Gitlab-Event-UUID",
	"X-Ledger-Signature", "X-Ledger-Delivery", "X-Ledger-Event",
	"Idempotency-Key", "ce-id", "ce-source", "ce-type", "ce-specversion",
	"ce-time", "Content-Type", "X-Nexus-Webhook-Signature",
	"X-Nexus-Webhook-Id", "X-Nexus-Webhook-Delivery", "X-Signature",
	"Gotk-Component", "X-TFE-Notification-Signature",
};

/* The evidence headers of req as a canonical JSON object (NULL: none
 * present).  A header that is not valid UTF-8 is left out. */
static enum ledger_status
evidence_json(const struct ledger_hook_request *req, char **ret,
    struct ledger_error *err)
{
	json_t *o = json_object();
	const char *v;
	size_t i, len;
	enum ledger_status rc = LEDGER_OK;

	*ret = NULL;
	if (o == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	for (i = 0; i < sizeof(evidence_headers) / sizeof(*evidence_headers);
	    i++) {
		if ((v = src_header(req, evidence_headers[i])) == NULL ||
		    strlen(v) > LEDGER_FIELD_MAX ||
		    !ledger_utf8_valid(v, strlen(v)))
			continue;
		if (json_object_set_new(o, evidence_headers[i],
		    json_string(v)) != 0) {
			rc = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (json_object_size(o) > 0)
		rc = ledger_jcs_encode(o, ret, &len, err);
out:
	json_decref(o);
	return rc;
}

/* Give every event the raw body as its payload: compressed once, copied;
 * and the delivery's evidence headers.  Events cloned from another one
 * (in-toto subjects) may hold a payload already: it is replaced, freed. */
static enum ledger_status
set_payloads(struct evlist *out, const struct ledger_hook_request *req,
    struct ledger_error *err)
{
	struct ledger_event *first, *ev;
	const char *ct = req->content_type;
	enum ledger_status rc;
	char mt[128], *headers = NULL;
	size_t i;

	while (*ct == ' ' || *ct == '\t')
		ct++;
	first = out->v[0];
	rc = ledger_event_set_payload(first, req->body_len ? req->body :
	    (const uint8_t *)"", req->body_len, ct, NULL);
	if (rc == LEDGER_EINVAL) {
		/* The header as sent is not a field value (a tab before a
		 * parameter, say): record the bare media type. */
		if ((rc = src_media_type(ct, mt, sizeof(mt), err)) != LEDGER_OK)
			return rc;
		rc = ledger_event_set_payload(first, req->body_len ?
		    req->body : (const uint8_t *)"", req->body_len, mt, err);
	} else if (rc != LEDGER_OK)
		rc = ledger_errorf(err, rc, "out of memory");
	if (rc != LEDGER_OK || (rc = evidence_json(req, &headers, err)))
		return rc;
	free(first->headers);
	first->headers = headers;
	/* The other events share the first one's compressed payload: a
	 * delivery of n events holds its body once, not n times (an
	 * in-toto Statement of 100 subjects would otherwise cost 100
	 * bodies per request). */
	for (i = 1; i < out->n; i++) {
		ev = out->v[i];
		free(ev->e.payload_type);
		free(ev->payload_z);
		free(ev->headers);
		ev->e.payload_type = NULL;
		ev->payload_z = NULL;
		ev->payload_zlen = 0;
		ev->headers = NULL;
		if ((rc = ledger_strdup(first->e.payload_type,
		    &ev->e.payload_type, err)) != LEDGER_OK ||
		    (rc = ledger_strdup(headers, &ev->headers, err)))
			return rc;
		ev->payload_of = first;
		memcpy(ev->e.payload_sha256, first->e.payload_sha256,
		    sizeof(ev->e.payload_sha256));
		ev->e.payload_size = first->e.payload_size;
	}
	return LEDGER_OK;
}

enum ledger_status
ledger_source_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct ledger_event ***ret_evs, size_t *ret_n, bool *ret_drop,
    struct ledger_error *err)
{
	struct evlist out = { NULL, 0, 0, 0 };
	enum ledger_status rc;
	size_t i;

	if (src == NULL || req == NULL || ret_evs == NULL || ret_n == NULL ||
	    ret_drop == NULL || (req->body == NULL && req->body_len > 0))
		return ledger_errorf(err, LEDGER_EINVAL, "bad arguments");
	if ((rc = ledger_source_check_media_type(src, req, err)) != LEDGER_OK)
		return rc;
	rc = src_adapter(src->type) == NULL ? ledger_errorf(err,
	    LEDGER_EINVAL, "bad source type") :
	    src_adapter(src->type)->normalize(src, req, auth, &out, err);
	if (rc != LEDGER_OK)
		goto fail;
	if (out.n + out.dropped > src->max_events) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "delivery holds %zu events, more than the limit of %zu",
		    out.n + out.dropped, src->max_events);
		goto fail;
	}
	if (out.n == 0 && out.dropped == 0) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "delivery holds no event");
		goto fail;
	}
	if (out.n > 0 && (rc = set_payloads(&out, req, err)) != LEDGER_OK)
		goto fail;
	for (i = 0; i < out.n; i++)
		out.v[i]->dedupe_body = src->dedupe_body;
	*ret_drop = out.n == 0;
	*ret_n = out.n;
	*ret_evs = out.n > 0 ? out.v : NULL;
	if (out.n == 0)
		free(out.v);
	return LEDGER_OK;
fail:
	src_evlist_release(&out);
	return rc;
}

enum ledger_status
src_parse_named(const struct ledger_hook_request *req, const char *first,
    const char *second, json_t **ret_root, const char **ret_a,
    const char **ret_b, struct ledger_error *err)
{
	enum ledger_status rc;
	struct doc d = { NULL, NULL, NULL };

	if ((rc = src_parse_body(req, JSON_OBJECT, ret_root, err)) !=
	    LEDGER_OK)
		return rc;
	d.body = *ret_root;
	*ret_a = src_path_string(&d, first);
	*ret_b = src_path_string(&d, second);
	return LEDGER_OK;
}

enum ledger_status
src_emit_root(const struct ledger_source *src, json_t *root,
    const struct rule *rules, const char *match, const char *action,
    const char *name, const char *delivery, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	struct doc d = { root, NULL, action };
	enum ledger_status rc;

	rc = src_emit(src, src_match(rules, match, &d), name,
	    delivery != NULL && delivery[0] != '\0' ? delivery : NULL, auth,
	    &d, out, err);
	json_decref(root);
	return rc;
}
