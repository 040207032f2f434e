/*
 * ledger/source.h - webhook sources: configuration, authentication and
 * normalization of deliveries into events
 *
 * A source is one configured sender (a GitHub repository or organization, a
 * GitLab project or group, a CDEvents producer, a script) that POSTs to
 * /v1/hooks/{name}.  For every delivery the daemon calls, in this order:
 *
 *	ledger_sources_find()             404 when NULL
 *	ledger_source_authenticate()      401 on LEDGER_EPERM; checks the raw
 *	                                  body before anything parses it
 *	ledger_source_check_media_type()  415 on LEDGER_EINVAL
 *	ledger_source_normalize()         400 on LEDGER_EINVAL; 202 and append
 *	                                  nothing when *ret_drop
 *
 * and appends the events it gets, all of them or none.  LEDGER_ENOMEM from
 * any of them is the server's fault (503).  Every error message is meant
 * for the daemon's log, never for the client: it says why a delivery was
 * refused and never contains a secret.
 *
 * This module knows nothing about HTTP servers: the request is a content
 * type, a body and a header lookup function.  Sources are immutable once
 * loaded, so any number of threads may authenticate and normalize requests
 * against the same source at once.
 *
 * The mapping from each system's events to kinds and subject fields is a
 * table per source type (lib/source-{github,gitlab,cdevents,generic}.c),
 * documented in docs/sources.md.
 */
#ifndef LEDGER_SOURCE_H
#define LEDGER_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ledger/entry.h"
#include "ledger/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest source name, in bytes; names match [A-Za-z0-9._-]{1,64} and are
 * not made of dots only. */
#define LEDGER_SOURCE_NAME_MAX 64
/* Longest secret or token file accepted, in bytes. */
#define LEDGER_SOURCE_SECRET_MAX 4096
/* Default and largest number of events one delivery may carry (a
 * CloudEvents batch, an in-toto Statement with several subjects); a
 * source's "max_events" may lower it. */
#define LEDGER_SOURCE_EVENTS_DEFAULT 100
#define LEDGER_SOURCE_EVENTS_MAX 1000
/* Default Standard Webhooks timestamp tolerance, in seconds, either way. */
#define LEDGER_SOURCE_TOLERANCE_DEFAULT 300

enum ledger_source_type {
	LEDGER_SOURCE_GITHUB,
	LEDGER_SOURCE_GITLAB,
	LEDGER_SOURCE_CDEVENTS,
	LEDGER_SOURCE_GENERIC,
	LEDGER_SOURCE_DISTRIBUTION,	/* CNCF Distribution notifications */
	LEDGER_SOURCE_HARBOR,		/* Harbor webhooks */
	LEDGER_SOURCE_NEXUS,		/* Sonatype Nexus Repository 3 */
	LEDGER_SOURCE_ARTIFACTORY,	/* JFrog Artifactory */
	LEDGER_SOURCE_FLUX,		/* Flux notification-controller */
	LEDGER_SOURCE_TFC,		/* HCP Terraform / Terraform Enterprise */
	LEDGER_SOURCE_CHEF,		/* Chef Infra data collector */
	LEDGER_SOURCE_PUPPET,		/* Puppet run reports */
	LEDGER_SOURCE_ARGOCD,		/* Argo CD notifications */
	LEDGER_SOURCE_ANSIBLE,		/* Ansible's JSON callback output */
	LEDGER_SOURCE_TYPE_COUNT
};

/* The values ledger_source_authenticate stores in *ret_auth, recorded as
 * the entry's source.auth. */
#define LEDGER_AUTH_GITHUB_HMAC		"github-hmac-sha256"
#define LEDGER_AUTH_GITLAB_TOKEN	"gitlab-token"
#define LEDGER_AUTH_GITLAB_SIGNED	"gitlab-token+standard-webhooks"
#define LEDGER_AUTH_HMAC		"hmac-sha256"
#define LEDGER_AUTH_BEARER		"bearer"
#define LEDGER_AUTH_NEXUS_HMAC		"nexus-hmac-sha1"
#define LEDGER_AUTH_JFROG_TOKEN		"jfrog-token"
#define LEDGER_AUTH_JFROG_HMAC		"jfrog-hmac-sha256"
#define LEDGER_AUTH_FLUX_HMAC		"flux-hmac"
#define LEDGER_AUTH_TFC_HMAC		"tfe-hmac-sha512"
#define LEDGER_AUTH_CHEF_TOKEN		"chef-token"
/* A source the operator configured "unauthenticated": anyone who can
 * reach ledgerd could have sent the entry. */
#define LEDGER_AUTH_NONE		"unauthenticated"

/*
 * One delivery as received.  Nothing here is copied or kept after a call
 * returns.
 *   content_type  the Content-Type header as sent (parameters allowed), or
 *                 NULL when absent;
 *   body          body_len bytes exactly as received (need not be
 *                 NUL-terminated; NULL only when body_len is 0);
 *   header        looks a request header up by name, case-insensitively,
 *                 and returns its value (valid until the call returns) or
 *                 NULL when absent; header_ctx is passed through;
 *   now_ms        the receiver's clock, ms since the epoch, for the
 *                 Standard Webhooks timestamp tolerance.
 */
struct ledger_hook_request {
	const char *content_type;
	const uint8_t *body;
	size_t body_len;
	const char *(*header)(void *ctx, const char *name);
	void *header_ctx;
	int64_t now_ms;
};

/* A configured source (opaque).  Its secrets live in sodium_malloc memory
 * and are wiped when it is freed. */
struct ledger_source;

/* A set of sources with distinct names, as loaded from the config. */
struct ledger_sources;

/*
 * Parse one element of the config's "sources" array:
 *
 *   {"name": "gh-main",                 [A-Za-z0-9._-]{1,64}
 *    "type": "github" | "gitlab" | "cdevents" | "generic",
 *    "secret_file": "PATH",             HMAC key (github, cdevents,
 *                                       generic) or X-Gitlab-Token (gitlab)
 *    "token_file": "PATH",              bearer token (cdevents, generic)
 *    "signing_secret_file": "PATH",     Standard Webhooks "whsec_..."
 *                                       signing token (gitlab)
 *    "timestamp_tolerance_s": 300,      with signing_secret_file, 1..86400
 *    "unknown_events": "record" | "drop",   default "record"
 *    "max_events": 100}                 cdevents, generic: 1..1000
 *
 * github and gitlab need secret_file; cdevents and generic need secret_file
 * or token_file (or both: then a delivery may use either).  Relative paths
 * are taken relative to base_dir (NULL: the working directory).  Secret
 * files are opened with O_NOFOLLOW, must be regular files that neither
 * group nor others may read or write, hold 1..LEDGER_SOURCE_SECRET_MAX
 * bytes, and lose trailing CR/LF.
 *
 * On success stores a new source in *ret; free it with ledger_source_free.
 * Errors: LEDGER_EINVAL (unknown key, which is named; bad type or value;
 * missing key; malformed signing secret), LEDGER_EPERM (a secret file
 * readable by others, or not a regular file), LEDGER_ENOTFOUND (no such
 * secret file), LEDGER_EIO, LEDGER_ENOMEM.  Messages name the source and
 * the file, never a secret.
 */
enum ledger_status ledger_source_from_json(const json_t *obj,
    const char *base_dir, struct ledger_source **ret,
    struct ledger_error *err) LEDGER_WUR;

/* Wipe the secrets and free.  NULL-safe. */
void ledger_source_free(struct ledger_source *src);

/* The source's name and type (NULL and LEDGER_SOURCE_TYPE_COUNT for a
 * NULL src).  The string is owned by src and valid until
 * ledger_source_free. */
const char *ledger_source_name(const struct ledger_source *src);
enum ledger_source_type ledger_source_type(const struct ledger_source *src);
/* The machine identity the source is bound to ("client_identity"; NULL:
 * none): its deliveries must come over a connection whose client
 * certificate has that name (ledger/identity.h). */
const char *ledger_source_client_identity(const struct ledger_source *src);

/* "github", "gitlab", "cdevents", "generic"; NULL when out of range. */
const char *ledger_source_type_name(enum ledger_source_type t);

/*
 * Parse the config's "sources" array (each element as
 * ledger_source_from_json; names must be distinct).  Messages are prefixed
 * with the element: "sources[2]: unknown key 'secert_file'".  On success
 * stores a new set in *ret; free it with ledger_sources_free.
 * Errors: those of ledger_source_from_json; LEDGER_EINVAL for a
 * non-array or a duplicate name.
 */
enum ledger_status ledger_sources_from_json(const json_t *array,
    const char *base_dir, struct ledger_sources **ret,
    struct ledger_error *err) LEDGER_WUR;

/* Free every source of the set.  NULL-safe. */
void ledger_sources_free(struct ledger_sources *set);

/* The source named name, or NULL.  The pointer is owned by set and valid
 * until ledger_sources_free. */
const struct ledger_source *ledger_sources_find(
    const struct ledger_sources *set, const char *name);

/* Number of sources, and the i-th (in config order; NULL when out of
 * range), owned by set. */
size_t ledger_sources_count(const struct ledger_sources *set);
const struct ledger_source *ledger_sources_get(
    const struct ledger_sources *set, size_t i);

/*
 * Authenticate a delivery on its raw bytes, before anything parses them;
 * every comparison is constant-time.
 *   github    X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>;
 *             a delivery with only the legacy SHA-1 X-Hub-Signature is
 *             refused.
 *   gitlab    X-Gitlab-Token equal to the secret; with a signing secret
 *             also the Standard Webhooks signature: webhook-id,
 *             webhook-timestamp (epoch seconds, within the tolerance of
 *             now_ms) and webhook-signature, a space-separated list in
 *             which one "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>"
 *             must match.
 *   cdevents, generic
 *             X-Ledger-Signature: sha256=<hex HMAC-SHA256(secret, body)>,
 *             or Authorization: Bearer <token>.  A credential that is
 *             present must be right, even when another one is.
 * On success stores in *ret_auth a static string, one of LEDGER_AUTH_*,
 * naming the method that succeeded.
 * Errors: LEDGER_EPERM for every authentication failure (the message gives
 * the reason for the log: missing header, malformed header, mismatch,
 * stale timestamp; the client must only learn 401), LEDGER_EINVAL for bad
 * arguments, LEDGER_ENOMEM.
 */
enum ledger_status ledger_source_authenticate(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err) LEDGER_WUR;

/*
 * Check the request's media type against what the source type accepts:
 * application/json for github and gitlab (a GitHub hook set to
 * application/x-www-form-urlencoded is refused with a hint); for cdevents
 * application/json (CloudEvents binary mode, or a bare CDEvent),
 * application/cloudevents+json (structured) or
 * application/cloudevents-batch+json (batch); for generic application/json
 * or any application/...+json.  Parameters such as charset=utf-8 are
 * allowed; the type is compared case-insensitively.
 * Errors: LEDGER_EINVAL (the daemon answers 415 Unsupported Media Type).
 */
enum ledger_status ledger_source_check_media_type(
    const struct ledger_source *src, const struct ledger_hook_request *req,
    struct ledger_error *err) LEDGER_WUR;

/*
 * Turn an authenticated delivery into events, by the source type's mapping
 * table.  auth is the string ledger_source_authenticate returned (recorded
 * as source.auth).  Checks the media type first (as
 * ledger_source_check_media_type, so a daemon that skips that call still
 * refuses, with LEDGER_EINVAL), then parses the body with ledger_json_parse
 * (duplicate keys, invalid UTF-8, trailing data are errors).
 *
 * Each event has its kind; source name, type, event (GitHub
 * "workflow_run.completed", GitLab "Pipeline Hook", the CloudEvent type),
 * delivery (the idempotency key, when the delivery has one) and auth; the
 * subject fields the table maps; and the raw body, byte for byte, as its
 * payload with the request's content type.  Every event of a CloudEvents
 * batch, or of an in-toto Statement with several subjects, carries the
 * whole body: the sender's signature covers those bytes, not a slice.
 *
 * A delivery the table does not know becomes one event of kind "other"
 * with its event name, or, when the source says "unknown_events": "drop",
 * is dropped.  On success stores a malloc'd array of *ret_n events in
 * *ret_evs (free with ledger_source_events_free) and in *ret_drop whether
 * the delivery was dropped: then *ret_evs is NULL and *ret_n is 0.  A
 * batch is all or nothing: one bad event fails the whole delivery.
 * Errors: LEDGER_EINVAL (wrong media type; malformed JSON; a required
 * header or member missing or malformed; more events than the source's
 * max_events), LEDGER_ENOMEM.  Nothing is stored on failure.
 */
enum ledger_status ledger_source_normalize(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *auth,
    struct ledger_event ***ret_evs, size_t *ret_n, bool *ret_drop,
    struct ledger_error *err) LEDGER_WUR;

/* Free n events and the array.  NULL-safe. */
void ledger_source_events_free(struct ledger_event **evs, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_SOURCE_H */
