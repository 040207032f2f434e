/*
 * source-int.h - what lib/source*.c share: the mapping-table types, the
 * table interpreter and the helpers every adapter uses
 *
 * A mapping table is data: an ordered list of rules, each matching an event
 * name, an optional action and an optional condition on the body, and
 * giving a kind and a field set.  A field set says, for every subject field,
 * which JSON paths to try, in order; the first that yields a value that
 * ledger_subject_normalize accepts wins, and a field nothing yields stays
 * absent.  The last rule of every table is the catch-all for events the
 * table does not know (kind "other", dropped when the source says so).
 */
#ifndef LEDGER_SOURCE_INT_H
#define LEDGER_SOURCE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ledger/entry.h"
#include "ledger/error.h"
#include "ledger/identity.h"
#include "ledger/source.h"

/* How one alternative for a subject field gets its value. */
enum pick_op {
	PICK_NONE = 0,	/* end of the alternatives */
	PICK_PATH,	/* the string or number at path */
	PICK_URL,	/* same, when it is an http(s) URL */
	PICK_DIGEST,	/* a digest at path: "alg:hex", 64 bare hex digits, a
			 * purl whose version or digest/checksum qualifier is
			 * one; written "sha256:<hex>" */
	PICK_ARTIFACT,	/* PICK_DIGEST, else the identifier as sent */
	PICK_URL_PATH,	/* the path of the URL at path, without the slashes
			 * at its ends, a ".git" suffix or an "@ref":
			 * "https://host/group/project.git" -> "group/project" */
	PICK_LAST_SEGMENT, /* what follows the last '/' of the string */
	PICK_AFTER_SEGMENT, /* the '/'-separated segment that follows the
			 * segment equal to value: ".../runs/42/..." -> "42" */
	PICK_ACTION,	/* the event's action ("completed", "finished") */
	PICK_CONST,	/* value */
	PICK_IF_TRUE,	/* value, when path holds JSON true */
	PICK_IF_ZERO,	/* value, when path holds an all-zero commit id (the
			 * "no commit" of a created or deleted ref) */
	PICK_REVISION,	/* a GitOps revision at path -- "main/<sha>",
			 * "main@sha1:<sha>", "sha1:<sha>" -- its commit; when
			 * path is an object, its member named "revision" or
			 * ending in "/revision" */
	PICK_REVISION_DIGEST, /* the same revision's OCI digest
			 * ("latest@sha256:<hex>"), as "sha256:<hex>" */
};

/*
 * A path is a dot-separated list of object member names.  A segment of
 * digits indexes an array; "*" tries each element of an array in turn.  A
 * path that starts with '@' is looked up in the envelope document (the
 * CloudEvent around its data) instead of the body.  commit: the value must
 * also look like a commit id (7 to 64 hex digits, not all zero).
 */
struct pick {
	enum pick_op op;
	const char *path;
	const char *value;
	bool commit;
};

/* Shorthands for the tables. */
#define P(path)			{ PICK_PATH, (path), NULL, false }
#define URL(path)		{ PICK_URL, (path), NULL, false }
#define SHA(path)		{ PICK_PATH, (path), NULL, true }
#define SHA_LAST(path)		{ PICK_LAST_SEGMENT, (path), NULL, true }
#define DIGEST(path)		{ PICK_DIGEST, (path), NULL, false }
#define ARTIFACT(path)		{ PICK_ARTIFACT, (path), NULL, false }
#define URL_PATH(path)		{ PICK_URL_PATH, (path), NULL, false }
#define AFTER(path, seg)	{ PICK_AFTER_SEGMENT, (path), (seg), false }
#define ACTION			{ PICK_ACTION, NULL, NULL, false }
#define CONST(v)		{ PICK_CONST, NULL, (v), false }
#define IF_TRUE(path, v)	{ PICK_IF_TRUE, (path), (v), false }
#define IF_ZERO(path, v)	{ PICK_IF_ZERO, (path), (v), false }
#define REVISION(path)		{ PICK_REVISION, (path), NULL, true }
#define REVISION_DIGEST(path)	{ PICK_REVISION_DIGEST, (path), NULL, false }

#define PICKS_MAX 5

struct fieldset {
	struct pick f[LEDGER_SUBJ_COUNT][PICKS_MAX];
};

enum cond_op {
	COND_NONE = 0,
	COND_EQUALS,	/* the string at path equals value (ASCII case
			 * insensitively) */
	COND_CONTAINS,	/* the string at path contains value (same) */
};

struct cond {
	enum cond_op op;
	const char *path;
	const char *value;
};

/* One row of a mapping table. */
struct rule {
	const char *event;	/* event name; NULL matches any (catch-all) */
	const char *action;	/* action; NULL matches any */
	struct cond when;	/* an extra condition, or COND_NONE */
	enum ledger_kind kind;
	bool unknown;		/* the catch-all: "other", subject to drop */
	const struct fieldset *fields;	/* NULL: no subject fields */
};

/* Where an event family keeps its action: NULL event matches any. */
struct action_path {
	const char *event;
	const char *path;
};

/*
 * What the body of an event type must look like.  GitHub's and GitLab's
 * event-type headers are not covered by their signatures (GitHub signs
 * the body only; GitLab's token signs nothing), so whoever replays a
 * captured delivery can change them: the type is believed only when the
 * body has its shape.  A table ends with a NULL event; a type not in it
 * is not checked (it maps to kind other).
 */
struct shape {
	const char *event;
	const char *object_kind;	/* GitLab: body.object_kind must be it */
	const char *has[3];		/* top-level members the body must have */
	const char *lacks[4];		/* members of a more specific type */
};

/* What the table interpreter looks at. */
struct doc {
	json_t *body;		/* the parsed body (or the CDEvent) */
	json_t *envelope;	/* the CloudEvent envelope, or NULL */
	const char *action;	/* the action, or NULL */
};

/* A configured source (the opaque struct ledger_source). */
struct ledger_source {
	char name[LEDGER_SOURCE_NAME_MAX + 1];
	enum ledger_source_type type;
	uint8_t *secret;	/* sodium_malloc: HMAC key or GitLab token */
	size_t secret_len;
	uint8_t *token_hash;	/* sodium_malloc: SHA-256 of the bearer token */
	uint8_t *signing_key;	/* sodium_malloc: decoded Standard Webhooks key */
	size_t signing_key_len;
	int64_t tolerance_s;
	bool drop_unknown;
	bool dedupe_body;	/* duplicate_bodies: "dedupe" (the default) */
	size_t max_events;
	char client_identity[LEDGER_IDENTITY_MAX];	/* "": not bound */
	bool unauthenticated;	/* taken without a credential: the
				   operator's choice, recorded per entry */
};

/* The events a delivery produces, as they are built. */
struct evlist {
	struct ledger_event **v;
	size_t n, cap;
	size_t dropped;		/* unknown events the source drops */
};

/* ---- source.c: shared helpers ---- */

/* The JSON value at path under d (see struct pick), or NULL. */
json_t *src_path_get(const struct doc *d, const char *path);

/* The string at path under d when it is a string without NUL, else
 * NULL. */
const char *src_path_string(const struct doc *d, const char *path);

/* The rule of table (ended by a catch-all) that matches. */
const struct rule *src_match(const struct rule *table, const char *event,
    const struct doc *d);

/* The action of event under the first matching action path, or NULL. */
const char *src_action(const struct action_path *paths, const char *event,
    json_t *body);

/*
 * Build one event of kind rule->kind (LEDGER_KIND_OTHER for the catch-all)
 * with source name, type, event, delivery (NULL: none) and auth, fill its
 * subject fields from rule->fields, and append it to out; or, for an
 * unknown event of a source that drops them, count it in out->dropped.
 * ledger_source_normalize sets the payload of every event at the end.
 * Errors: LEDGER_EINVAL (event or delivery not a valid field value),
 * LEDGER_ENOMEM.
 */
enum ledger_status src_emit(const struct ledger_source *src,
    const struct rule *rule, const char *event, const char *delivery,
    const char *auth, const struct doc *d, struct evlist *out,
    struct ledger_error *err);

/*
 * The shape GitHub and GitLab share: the event type from a header (named
 * header, checked against the body by shapes), the body a JSON object,
 * an action taken from it by actions, the source event "type.action" (or
 * "type"), and one event by rules.
 * Errors: those of src_parse_body and src_emit; LEDGER_EINVAL when the
 * body does not have the shape of the type the header claims.
 */
enum ledger_status src_emit_typed(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *event,
    const char *delivery, const char *auth,
    const struct action_path *actions, const struct rule *rules,
    const struct shape *shapes, const char *header,
    struct evlist *out, struct ledger_error *err);

/* Fill e's subject fields from a field set (only fields still unset). */
enum ledger_status src_fill(struct ledger_event *ev,
    const struct fieldset *fs, const struct doc *d,
    struct ledger_error *err);

/* Append ev to out (which then owns it; freed on failure). */
enum ledger_status src_push(struct evlist *out, struct ledger_event *ev,
    struct ledger_error *err);

/* A copy of ev (fields and payload). */
enum ledger_status src_clone(const struct ledger_event *ev,
    struct ledger_event **ret, struct ledger_error *err);

/* Free the events of out and reset it. */
void src_evlist_release(struct evlist *out);

/* Parse the body as JSON (ledger_json_parse) and check it is of the given
 * type (JSON_OBJECT, JSON_ARRAY).  Errors: LEDGER_EINVAL, LEDGER_ENOMEM. */
enum ledger_status src_parse_body(const struct ledger_hook_request *req,
    json_type want, json_t **ret, struct ledger_error *err);

/* Parse the body as a JSON object into *ret_root (the caller's to free)
 * and take the strings at paths first and second (NULL when absent).
 * Errors: those of src_parse_body. */
enum ledger_status src_parse_named(const struct ledger_hook_request *req,
    const char *first, const char *second, json_t **ret_root,
    const char **ret_a, const char **ret_b, struct ledger_error *err);

/* One event from the whole body root (consumed: released here), by the
 * rule of rules that match (and action) select, named name; a delivery
 * of "" is none.  Errors: those of src_emit. */
enum ledger_status src_emit_root(const struct ledger_source *src,
    json_t *root, const struct rule *rules, const char *match,
    const char *action, const char *name, const char *delivery,
    const char *auth, struct evlist *out, struct ledger_error *err);

/* Put prefix before err->msg (truncating its end).  NULL-safe. */
void src_error_prefix(struct ledger_error *err, const char *prefix);

/* A request header, or NULL. */
const char *src_header(const struct ledger_hook_request *req,
    const char *name);

/* The media type of content_type, lower case, without parameters, in out
 * (of size n).  Errors: LEDGER_EINVAL when absent, malformed or too long. */
enum ledger_status src_media_type(const char *content_type, char *out,
    size_t n, struct ledger_error *err);

/* A digest "alg:hex" from s (see PICK_DIGEST), malloc'd, or NULL when s
 * has none.  *nomem is set when allocation failed. */
char *src_digest(const char *s, size_t len, bool *nomem);

/*
 * The in-toto Statement v is or holds: bare, a DSSE envelope of type
 * application/vnd.in-toto+json, or a Sigstore bundle's dsseEnvelope
 * (source-generic.c).  Stores a new reference in *ret, or NULL when v is
 * none of these.  Errors: LEDGER_EINVAL (a DSSE in-toto envelope whose
 * payload is not a Statement), LEDGER_ENOMEM.
 */
enum ledger_status src_find_statement(json_t *v, json_t **ret,
    struct ledger_error *err);

/* The digest of one in-toto subject, "sha256:<hex>" (else sha512),
 * malloc'd, or NULL (*nomem set when allocation failed). */
char *src_statement_digest(json_t *subj, bool *nomem);

/* Percent-decode n bytes of s into out (of size at least n + 1, NUL
 * terminated); false if malformed. */
bool src_pct_decode(const char *s, size_t n, char *out, size_t *ret_len);


/* ---- per-type adapters (source-<type>.c) ---- */

/* What differs between source types, one row each (lib/source.c): the
 * type's config name, how a delivery is authenticated, which media types
 * it takes, and its normalizer. */
struct src_adapter {
	const char *type;
	enum ledger_status (*authenticate)(const struct ledger_source *src,
	    const struct ledger_hook_request *req, const char **ret_auth,
	    struct ledger_error *err);
	enum ledger_status (*media_type)(const char *mt,
	    const struct ledger_hook_request *req, struct ledger_error *err);
	enum ledger_status (*normalize)(const struct ledger_source *src,
	    const struct ledger_hook_request *req, const char *auth,
	    struct evlist *out, struct ledger_error *err);
};

/* The adapter of a type; NULL out of range. */
const struct src_adapter *src_adapter(enum ledger_source_type t);

/* The authentication schemes (source-auth.c). */
enum ledger_status src_auth_github(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err);
enum ledger_status src_auth_gitlab(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err);
enum ledger_status src_auth_hmac_or_bearer(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err);

enum ledger_status github_media_type(const char *mt,
    const struct ledger_hook_request *req, struct ledger_error *err);
enum ledger_status github_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);
enum ledger_status gitlab_media_type(const char *mt,
    const struct ledger_hook_request *req, struct ledger_error *err);
enum ledger_status gitlab_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);
enum ledger_status cdevents_media_type(const char *mt,
    const struct ledger_hook_request *req, struct ledger_error *err);
enum ledger_status cdevents_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);
enum ledger_status generic_media_type(const char *mt,
    const struct ledger_hook_request *req, struct ledger_error *err);
enum ledger_status generic_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);

enum ledger_status distribution_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);

enum ledger_status harbor_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);

enum ledger_status src_auth_nexus(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err);
enum ledger_status src_auth_jfrog(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err);
enum ledger_status nexus_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);
enum ledger_status artifactory_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);

enum ledger_status flux_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);
enum ledger_status tfc_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);
enum ledger_status src_auth_flux(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err);
enum ledger_status src_auth_tfc(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err);

enum ledger_status src_auth_chef(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err);
enum ledger_status chef_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);

enum ledger_status puppet_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);
enum ledger_status argocd_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);
enum ledger_status ansible_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct evlist *out, struct ledger_error *err);

#endif /* LEDGER_SOURCE_INT_H */
