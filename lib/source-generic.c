/*
 * source-generic.c - anything else that can sign a body or hold a token
 *
 * A generic source takes three kinds of body:
 *   - a generic event document, the body of POST /v1/events
 *     ({"kind": ..., "subject": {...}, "event": ..., "delivery": ...,
 *     "payload": ...}), checked as strictly as there;
 *   - an in-toto Statement (SLSA provenance, a test result, a vulnerability
 *     scan, an SBOM), bare, in a DSSE envelope, or in a Sigstore bundle; its
 *     predicate type gives the kind;
 *   - any other JSON, recorded as an unknown event (kind "other", or
 *     dropped when the source says so), named by the first event header or
 *     member the table below finds (Bitbucket's X-Event-Key, Azure DevOps's
 *     eventType...).
 * An in-toto Statement, bare or as a generic document's payload, gives one
 * event per subject digest (sha256, else sha512), so each artifact can be
 * traced; with more than one subject the delivery id gets "#<index>".
 * The signatures of a DSSE envelope are not checked here: the source's HMAC
 * or token authenticated the body, and the envelope is kept byte for byte.
 * The delivery id is X-Ledger-Delivery, else Idempotency-Key, else the
 * document's "delivery".
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

#define STATEMENT_TYPE	"https://in-toto.io/Statement/"
#define DSSE_INTOTO	"application/vnd.in-toto+json"

/* An in-toto predicate type (by prefix) and the kind it records. */
static const struct {
	const char *prefix;
	enum ledger_kind kind;
} predicates[] = {
	{ "https://slsa.dev/provenance/", LEDGER_KIND_BUILD },
	{ "https://in-toto.io/attestation/test-result/", LEDGER_KIND_TEST },
	{ "https://in-toto.io/attestation/vulns", LEDGER_KIND_SCAN },
	{ "https://cosign.sigstore.dev/attestation/vuln/", LEDGER_KIND_SCAN },
	{ "https://spdx.dev/Document", LEDGER_KIND_ARTIFACT },
	{ "https://cyclonedx.org/bom", LEDGER_KIND_ARTIFACT },
	{ NULL, LEDGER_KIND_ARTIFACT },	/* any other predicate */
};

/* SLSA provenance v1 first, then v0.2.  The run id of a GitHub Actions
 * invocation URL (.../actions/runs/<id>/attempts/1) is GitHub's
 * workflow_run id, so provenance links to the build that made it. */
static const struct fieldset statement = {{
	[LEDGER_SUBJ_PIPELINE] = {
	    URL_PATH("predicate.buildDefinition.externalParameters.workflow.repository"),
	    URL_PATH("predicate.invocation.configSource.uri") },
	[LEDGER_SUBJ_COMMIT] = {
	    SHA("predicate.buildDefinition.resolvedDependencies.*.digest.gitCommit"),
	    SHA("predicate.invocation.configSource.digest.sha1"),
	    SHA("predicate.materials.*.digest.sha1") },
	[LEDGER_SUBJ_RUN] = {
	    AFTER("predicate.runDetails.metadata.invocationId", "runs"),
	    P("predicate.runDetails.metadata.invocationId"),
	    P("predicate.metadata.buildInvocationId") },
	[LEDGER_SUBJ_URL] = {
	    URL("predicate.runDetails.metadata.invocationId"),
	    URL("predicate.metadata.buildInvocationId") },
}};

/* Where other systems name their events. */
static const char *const event_headers[] = {
	"X-Ledger-Event", "X-Event-Key", "X-Buildkite-Event",
	"Circleci-Event-Type", "X-Gitea-Event",
};
static const char *const event_members[] = { "eventType", "event" };

#define NO_COND { COND_NONE, NULL, NULL }

static const struct rule unknown = {
	NULL, NULL, NO_COND, LEDGER_KIND_OTHER, true, NULL
};

enum ledger_status
generic_media_type(const char *mt, const struct ledger_hook_request *req,
    struct ledger_error *err)
{
	size_t n = strlen(mt);

	(void)req;
	if (strcmp(mt, "application/json") == 0 || (n > 17 &&
	    strncmp(mt, "application/", 12) == 0 &&
	    strcmp(mt + n - 5, "+json") == 0))
		return LEDGER_OK;
	return ledger_errorf(err, LEDGER_EINVAL,
	    "unsupported media type '%.64s' (want application/json or "
	    "application/...+json)", mt);
}

enum ledger_status
src_find_statement(json_t *v, json_t **ret, struct ledger_error *err)
{
	const char *t, *b64;
	enum ledger_status rc;
	json_t *inner;
	uint8_t *raw;
	size_t max;
	long n;

	*ret = NULL;
	if (!json_is_object(v))
		return LEDGER_OK;
	t = json_string_value(json_object_get(v, "_type"));
	if (t != NULL && strncmp(t, STATEMENT_TYPE, strlen(STATEMENT_TYPE))
	    == 0) {
		*ret = json_incref(v);
		return LEDGER_OK;
	}
	if (json_is_object(inner = json_object_get(v, "dsseEnvelope")))
		return src_find_statement(inner, ret, err);
	t = json_string_value(json_object_get(v, "payloadType"));
	b64 = json_string_value(json_object_get(v, "payload"));
	if (t == NULL || b64 == NULL || strcmp(t, DSSE_INTOTO) != 0)
		return LEDGER_OK;
	max = strlen(b64) / 4 * 3 + 3;
	if ((raw = malloc(max)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if ((n = ledger_b64_decode(b64, strlen(b64), raw, max, false)) < 0) {
		free(raw);
		return ledger_errorf(err, LEDGER_EINVAL,
		    "DSSE envelope: payload is not base64");
	}
	rc = ledger_json_parse((const char *)raw, (size_t)n, &inner, err);
	free(raw);
	if (rc != LEDGER_OK)
		return rc;
	t = json_string_value(json_object_get(inner, "_type"));
	if (t == NULL || strncmp(t, STATEMENT_TYPE, strlen(STATEMENT_TYPE))) {
		json_decref(inner);
		return ledger_errorf(err, LEDGER_EINVAL,
		    "DSSE envelope: payload is not an in-toto Statement");
	}
	*ret = inner;
	return LEDGER_OK;
}

char *
src_statement_digest(json_t *subj, bool *nomem)
{
	static const char *const algs[] = { "sha256", "sha512" };
	json_t *dg = json_object_get(subj, "digest");
	char buf[8 + 128 + 1];
	const char *hex;
	size_t i;
	char *out;

	for (i = 0; i < sizeof(algs) / sizeof(*algs); i++) {
		hex = json_string_value(json_object_get(dg, algs[i]));
		if (hex == NULL || strlen(hex) > 128)
			continue;
		snprintf(buf, sizeof(buf), "%s:%s", algs[i], hex);
		if ((out = src_digest(buf, strlen(buf), nomem)) != NULL ||
		    *nomem)
			return out;
	}
	return NULL;
}

/*
 * Push ev (owned from here on) to out, once per subject digest of stmt
 * unless ev already names an artifact.
 */
static enum ledger_status
expand(const struct ledger_source *src, struct ledger_event *ev,
    json_t *stmt, struct evlist *out, struct ledger_error *err)
{
	struct ledger_event **evs = NULL;
	char **digests = NULL, *delivery = NULL;
	json_t *subjects, *s;
	enum ledger_status rc = LEDGER_OK;
	size_t i, n = 0, k;
	bool nomem = false;

	subjects = json_object_get(stmt, "subject");
	if (ev->e.subject[LEDGER_SUBJ_ARTIFACT] != NULL ||
	    !json_is_array(subjects) || json_array_size(subjects) == 0)
		return src_push(out, ev, err);
	k = json_array_size(subjects);
	if (k > src->max_events) {
		ledger_event_free(ev);
		return ledger_errorf(err, LEDGER_EINVAL,
		    "in-toto Statement with %zu subjects, more than the limit "
		    "of %zu", k, src->max_events);
	}
	if ((digests = calloc(k, sizeof(*digests))) == NULL ||
	    (evs = calloc(k, sizeof(*evs))) == NULL) {
		rc = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(subjects, i, s) {
		char *d = src_statement_digest(s, &nomem);

		if (nomem) {
			rc = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
			goto out;
		}
		if (d != NULL)
			digests[n++] = d;
	}
	if (n == 0) {
		rc = src_push(out, ev, err);
		ev = NULL;
		goto out;
	}
	for (i = 1; i < n; i++)
		if ((rc = src_clone(ev, &evs[i], err)) != LEDGER_OK)
			goto out;
	evs[0] = ev;
	ev = NULL;
	for (i = 0; i < n; i++) {
		free(evs[i]->e.subject[LEDGER_SUBJ_ARTIFACT]);
		evs[i]->e.subject[LEDGER_SUBJ_ARTIFACT] = digests[i];
		digests[i] = NULL;
		if (n > 1 && evs[i]->e.source[LEDGER_SRC_DELIVERY] != NULL) {
			size_t len = strlen(evs[i]->e.source[LEDGER_SRC_DELIVERY])
			    + 24;

			if ((delivery = malloc(len)) == NULL) {
				rc = ledger_errorf(err, LEDGER_ENOMEM,
				    "out of memory");
				goto out;
			}
			snprintf(delivery, len, "%s#%zu",
			    evs[i]->e.source[LEDGER_SRC_DELIVERY], i);
			rc = ledger_event_set_source(evs[i],
			    LEDGER_SRC_DELIVERY, delivery, err);
			free(delivery);
			if (rc != LEDGER_OK)
				goto out;
		}
	}
	for (i = 0; i < n; i++) {
		rc = src_push(out, evs[i], err);
		evs[i] = NULL;
		if (rc != LEDGER_OK)
			goto out;
	}
out:
	ledger_event_free(ev);
	for (i = 0; evs != NULL && i < k; i++)
		ledger_event_free(evs[i]);
	for (i = 0; digests != NULL && i < k; i++)
		free(digests[i]);
	free(evs);
	free(digests);
	return rc;
}

/* A generic event document. */
static enum ledger_status
document(const struct ledger_source *src, const struct ledger_hook_request *req,
    const char *auth, json_t *root, const char *delivery, struct evlist *out,
    struct ledger_error *err)
{
	struct ledger_event *ev;
	enum ledger_status rc;
	json_t *stmt = NULL;
	const char *hdr_event;
	struct doc d;

	rc = ledger_event_from_json((const char *)req->body, req->body_len,
	    -1, &ev, err);
	if (rc != LEDGER_OK)
		return rc;
	if ((rc = ledger_event_set_source(ev, LEDGER_SRC_NAME, src->name,
	    err)) != LEDGER_OK ||
	    (rc = ledger_event_set_source(ev, LEDGER_SRC_TYPE,
	    ledger_source_type_name(src->type), err)) != LEDGER_OK ||
	    (rc = ledger_event_set_source(ev, LEDGER_SRC_AUTH, auth, err)))
		goto fail;
	hdr_event = src_header(req, "X-Ledger-Event");
	if (ev->e.source[LEDGER_SRC_EVENT] == NULL && hdr_event != NULL &&
	    (rc = ledger_event_set_source(ev, LEDGER_SRC_EVENT, hdr_event,
	    err)) != LEDGER_OK)
		goto fail;
	if (delivery != NULL) {
		const char *doc = ev->e.source[LEDGER_SRC_DELIVERY];

		if (doc != NULL && strcmp(doc, delivery) != 0) {
			rc = ledger_errorf(err, LEDGER_EINVAL,
			    "the delivery header and the document's "
			    "'delivery' differ");
			goto fail;
		}
		if ((rc = ledger_event_set_source(ev, LEDGER_SRC_DELIVERY,
		    delivery, err)) != LEDGER_OK)
			goto fail;
	}
	if ((rc = src_find_statement(json_object_get(root, "payload"), &stmt,
	    err)) != LEDGER_OK)
		goto fail;
	if (stmt == NULL)
		return src_push(out, ev, err);
	d.body = stmt;
	d.envelope = NULL;
	d.action = NULL;
	if ((rc = src_fill(ev, &statement, &d, err)) != LEDGER_OK)
		goto fail;
	rc = expand(src, ev, stmt, out, err);
	json_decref(stmt);
	return rc;
fail:
	json_decref(stmt);
	ledger_event_free(ev);
	return rc;
}

/* A bare in-toto Statement (or its DSSE envelope, or Sigstore bundle). */
static enum ledger_status
attestation(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth, json_t *stmt,
    const char *delivery, struct evlist *out, struct ledger_error *err)
{
	const char *ptype = json_string_value(json_object_get(stmt,
	    "predicateType"));
	const char *event = src_header(req, "X-Ledger-Event");
	struct ledger_event *ev;
	enum ledger_status rc;
	struct rule rule;
	struct doc d;
	size_t i;

	for (i = 0; predicates[i].prefix != NULL; i++)
		if (ptype != NULL && strncmp(ptype, predicates[i].prefix,
		    strlen(predicates[i].prefix)) == 0)
			break;
	rule.event = NULL;
	rule.action = NULL;
	rule.when.op = COND_NONE;
	rule.when.path = rule.when.value = NULL;
	rule.kind = predicates[i].kind;
	rule.unknown = false;
	rule.fields = &statement;
	d.body = stmt;
	d.envelope = NULL;
	d.action = NULL;
	if (event == NULL)
		event = ptype != NULL ? ptype : "in-toto";
	rc = src_emit(src, &rule, event, delivery, auth, &d, out, err);
	if (rc != LEDGER_OK)
		return rc;
	/* Take the event back to give it one copy per subject. */
	ev = out->v[--out->n];
	return expand(src, ev, stmt, out, err);
}

enum ledger_status
generic_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err)
{
	const char *delivery, *event = NULL;
	enum ledger_status rc;
	json_t *root, *stmt = NULL;
	struct doc d;
	size_t i;

	if ((delivery = src_header(req, "X-Ledger-Delivery")) == NULL)
		delivery = src_header(req, "Idempotency-Key");
	rc = ledger_json_parse((const char *)req->body, req->body_len, &root,
	    err);
	if (rc != LEDGER_OK) {
		if (rc == LEDGER_EINVAL)
			src_error_prefix(err, "body: ");
		return rc;
	}
	if (json_is_object(root) && json_object_get(root, "kind") != NULL) {
		rc = document(src, req, auth, root, delivery, out, err);
		goto out;
	}
	if ((rc = src_find_statement(root, &stmt, err)) != LEDGER_OK)
		goto out;
	if (stmt != NULL) {
		rc = attestation(src, req, auth, stmt, delivery, out, err);
		goto out;
	}
	for (i = 0; event == NULL && i < sizeof(event_headers) /
	    sizeof(*event_headers); i++)
		event = src_header(req, event_headers[i]);
	d.body = root;
	d.envelope = NULL;
	d.action = NULL;
	/* A name from the body is used only when it is a valid one. */
	for (i = 0; event == NULL && i < sizeof(event_members) /
	    sizeof(*event_members); i++) {
		event = src_path_string(&d, event_members[i]);
		if (event != NULL && (event[0] == '\0' || strlen(event) > 128 ||
		    !ledger_utf8_valid(event, strlen(event)) ||
		    ledger_has_control(event, strlen(event))))
			event = NULL;
	}
	rc = src_emit(src, &unknown, event, delivery, auth, &d, out, err);
out:
	json_decref(stmt);
	json_decref(root);
	return rc;
}
