/*
 * source-config.c - webhook sources: their configuration (a source object of the
 * config file, secrets read from files) and the set of them
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

/* Standard Webhooks: "secret keys SHOULD be between 24 and 64 bytes". */
#define SIGNING_KEY_MIN 24
#define SIGNING_KEY_MAX 64

/* ---- configuration ---- */

static bool
valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > LEDGER_SOURCE_NAME_MAX || strspn(s, ".") == n)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/*
 * Read a secret file into sodium_malloc memory: O_NOFOLLOW (a symbolic
 * link is refused), a regular file that group and others cannot access,
 * 1..LEDGER_SOURCE_SECRET_MAX bytes after trailing CR/LF are dropped.
 * what names the config key for messages; the content never appears in
 * one.
 */
static enum ledger_status
read_secret(const char *srcname, const char *what, const char *path,
    const char *base_dir, uint8_t **ret, size_t *ret_len,
    struct ledger_error *err)
{
	char full[PATH_MAX];
	uint8_t *buf = NULL;
	enum ledger_status rc;
	struct stat sb;
	size_t len = 0;
	ssize_t n;
	int fd, e;

	if (path[0] != '/' && base_dir != NULL && base_dir[0] != '\0')
		n = snprintf(full, sizeof(full), "%s/%s", base_dir, path);
	else
		n = snprintf(full, sizeof(full), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(full))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%s': %s: path too long", srcname, what);
	fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		return ledger_errorf_errno(err, e == ENOENT ? LEDGER_ENOTFOUND :
		    e == ELOOP ? LEDGER_EPERM : e == EACCES ? LEDGER_EPERM :
		    LEDGER_EIO, e, "source '%s': %s '%s'%s", srcname, what, full,
		    e == ELOOP ? " (symbolic links are refused)" : "");
	}
	if (fstat(fd, &sb) != 0) {
		rc = ledger_errorf_errno(err, LEDGER_EIO, errno,
		    "source '%s': stat %s '%s'", srcname, what, full);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': %s '%s' is not a regular file", srcname, what,
		    full);
		goto out;
	}
	if (sb.st_mode & 077) {
		rc = ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': %s '%s' is accessible by group or others "
		    "(mode %04o): refusing to use it; run chmod 600 '%s'",
		    srcname, what, full, (unsigned)(sb.st_mode & 07777), full);
		goto out;
	}
	if ((buf = sodium_malloc(LEDGER_SOURCE_SECRET_MAX + 1)) == NULL) {
		rc = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, LEDGER_SOURCE_SECRET_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ledger_errorf_errno(err, LEDGER_EIO, errno,
			    "source '%s': read %s '%s'", srcname, what, full);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > LEDGER_SOURCE_SECRET_MAX) {
			rc = ledger_errorf(err, LEDGER_EINVAL,
			    "source '%s': %s '%s' is larger than %d bytes",
			    srcname, what, full, LEDGER_SOURCE_SECRET_MAX);
			goto out;
		}
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "source '%s': %s '%s' is empty", srcname, what, full);
		goto out;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	buf = NULL;
	rc = LEDGER_OK;
out:
	if (buf != NULL)
		sodium_free(buf);
	close(fd);
	return rc;
}

/* A JSON number that is an integer in [min, max]. */
static bool
json_int(const json_t *v, int64_t min, int64_t max, int64_t *ret)
{
	double d;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < min || i > max)
			return false;
		*ret = (int64_t)i;
		return true;
	}
	if (!json_is_real(v))
		return false;
	d = json_real_value(v);
	if (!(d >= (double)min && d <= (double)max) || d != (double)(int64_t)d)
		return false;
	*ret = (int64_t)d;
	return true;
}

static const char *const config_keys[] = {
	"client_identity", "duplicate_bodies", "max_events", "name",
	"secret_file", "signing_secret_file", "unauthenticated",
	"timestamp_tolerance_s", "token_file", "type", "unknown_events",
};

/* The string member key of obj, or NULL; *bad when present but not a
 * non-empty string without NUL. */
static const char *
config_string(const json_t *obj, const char *key, bool *bad)
{
	const json_t *v = json_object_get(obj, key);

	*bad = false;
	if (v == NULL)
		return NULL;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

/* Decode a Standard Webhooks secret, "whsec_" + base64 (the prefix may be
 * left out), into sodium_malloc memory. */
static enum ledger_status
load_signing_key(struct ledger_source *src, const uint8_t *s, size_t len,
    const char *path, struct ledger_error *err)
{
	long n;

	if (len > 6 && memcmp(s, "whsec_", 6) == 0) {
		s += 6;
		len -= 6;
	}
	if ((src->signing_key = sodium_malloc(SIGNING_KEY_MAX)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	n = ledger_b64_decode((const char *)s, len, src->signing_key,
	    SIGNING_KEY_MAX, false);
	if (n < SIGNING_KEY_MIN)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%s': signing_secret_file '%s' does not hold "
		    "\"whsec_\" and the base64 of %d to %d bytes", src->name,
		    path, SIGNING_KEY_MIN, SIGNING_KEY_MAX);
	src->signing_key_len = (size_t)n;
	return LEDGER_OK;
}

/* What a source object says, checked, before anything is read. */
struct src_options {
	const char *name, *secret_file, *token_file, *signing_file;
	const char *client_identity;	/* bound to it, or NULL */
	bool unauthenticated;		/* the operator said so */
	int type;
	bool drop_unknown, dedupe_body;
	int64_t tolerance_s, max_events;
};

/* The name, the keys (known, and each allowed for the type) and the
 * type. */
static enum ledger_status
parse_name_type(const json_t *obj, struct src_options *o,
    struct ledger_error *err)
{
	static const struct {
		const char *key;
		unsigned types;	/* bit per enum ledger_source_type */
	} valid[] = {
		{ "token_file", 1u << LEDGER_SOURCE_CDEVENTS |
		    1u << LEDGER_SOURCE_GENERIC |
		    1u << LEDGER_SOURCE_DISTRIBUTION |
		    1u << LEDGER_SOURCE_HARBOR |
		    1u << LEDGER_SOURCE_ARTIFACTORY | 1u << LEDGER_SOURCE_CHEF |
		    1u << LEDGER_SOURCE_PUPPET | 1u << LEDGER_SOURCE_ARGOCD |
		    1u << LEDGER_SOURCE_ANSIBLE },
		{ "signing_secret_file", 1u << LEDGER_SOURCE_GITLAB },
		{ "timestamp_tolerance_s", 1u << LEDGER_SOURCE_GITLAB },
		{ "max_events", 1u << LEDGER_SOURCE_CDEVENTS |
		    1u << LEDGER_SOURCE_GENERIC |
		    1u << LEDGER_SOURCE_DISTRIBUTION |
		    1u << LEDGER_SOURCE_HARBOR | 1u << LEDGER_SOURCE_TFC },
	};
	const char *name, *type, *key;
	const json_t *v;
	size_t i;
	bool bad;
	int t;

	if ((name = config_string(obj, "name", &bad)) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, bad ?
		    "source: 'name' must be a string" : "source: missing 'name'");
	if (!valid_name(name))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%.80s': bad name (want 1 to %d of A-Z a-z 0-9 . _ "
		    "-, not only dots)", name, LEDGER_SOURCE_NAME_MAX);
	o->name = name;
	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; i < sizeof(config_keys) / sizeof(*config_keys); i++)
			if (strcmp(key, config_keys[i]) == 0)
				break;
		if (i == sizeof(config_keys) / sizeof(*config_keys))
			return ledger_errorf(err, LEDGER_EINVAL,
			    "source '%s': unknown key '%.64s' (want name, type, "
			    "secret_file, token_file, signing_secret_file, "
			    "timestamp_tolerance_s, unknown_events, max_events, "
			    "duplicate_bodies, client_identity, unauthenticated)",
			    name, key);
	}
	if ((type = config_string(obj, "type", &bad)) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, bad ?
		    "source '%s': 'type' must be a string" :
		    "source '%s': missing 'type'", name);
	for (t = 0; t < LEDGER_SOURCE_TYPE_COUNT; t++)
		if (strcmp(type, ledger_source_type_name(
		    (enum ledger_source_type)t)) == 0)
			break;
	if (t == LEDGER_SOURCE_TYPE_COUNT)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%s': unknown type '%.64s' (want github, gitlab, "
		    "cdevents, generic, distribution, harbor, nexus, "
		    "artifactory, flux, terraform-cloud, chef, puppet, argocd "
		    "or ansible)", name,
		    type);
	o->type = t;
	for (i = 0; i < sizeof(valid) / sizeof(*valid); i++)
		if (json_object_get(obj, valid[i].key) != NULL &&
		    !(valid[i].types & 1u << t))
			return ledger_errorf(err, LEDGER_EINVAL,
			    "source '%s': '%s' does not apply to type '%s'",
			    name, valid[i].key, type);
	return LEDGER_OK;
}

/* A string member that must be one of two words: *ret 0 for the first,
 * 1 for the second, -1 when absent. */
static enum ledger_status
parse_choice(const json_t *obj, const char *name, const char *key,
    const char *first, const char *second, int *ret,
    struct ledger_error *err)
{
	bool bad;
	const char *v = config_string(obj, key, &bad);

	if (bad || (v != NULL && strcmp(v, first) != 0 &&
	    strcmp(v, second) != 0))
		return ledger_errorf(err, LEDGER_EINVAL, "source '%s': '%s' must "
		    "be \"%s\" or \"%s\"", name, key, first, second);
	*ret = v == NULL ? -1 : strcmp(v, first) == 0 ? 0 : 1;
	return LEDGER_OK;
}

/* The rest: which secrets, and the options with their ranges. */
static enum ledger_status
parse_options(const json_t *obj, struct src_options *o,
    struct ledger_error *err)
{
	static const char *const files[] = {
		"secret_file", "token_file", "signing_secret_file",
	};
	const char **dst[] = {
		&o->secret_file, &o->token_file, &o->signing_file,
	};
	enum ledger_status rc;
	const json_t *v;
	int unknown, dupes;
	size_t i;
	bool bad;

	for (i = 0; i < sizeof(files) / sizeof(*files); i++) {
		*dst[i] = config_string(obj, files[i], &bad);
		if (bad)
			return ledger_errorf(err, LEDGER_EINVAL, "source '%s': "
			    "'%s' must be a string", o->name, files[i]);
	}
	/* A sender that cannot authenticate at all is taken only when the
	 * operator says so, with no credential configured beside it (one
	 * would be ignored, which is worse than none) */
	if ((v = json_object_get(obj, "unauthenticated")) != NULL) {
		if (!json_is_boolean(v))
			return ledger_errorf(err, LEDGER_EINVAL, "source '%s': "
			    "'unauthenticated' must be true or false", o->name);
		o->unauthenticated = json_is_true(v);
		if (o->unauthenticated && (o->secret_file != NULL ||
		    o->token_file != NULL || o->signing_file != NULL))
			return ledger_errorf(err, LEDGER_EINVAL, "source '%s': "
			    "'unauthenticated' with a secret or token file: "
			    "choose one", o->name);
	}
	if (!o->unauthenticated && o->secret_file == NULL &&
	    (o->token_file == NULL ||
	    o->type == LEDGER_SOURCE_GITHUB || o->type == LEDGER_SOURCE_GITLAB ||
	    o->type == LEDGER_SOURCE_NEXUS || o->type == LEDGER_SOURCE_FLUX ||
	    o->type == LEDGER_SOURCE_TFC))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%s': missing 'secret_file'%s", o->name,
		    o->type == LEDGER_SOURCE_GITHUB ||
		    o->type == LEDGER_SOURCE_GITLAB ||
		    o->type == LEDGER_SOURCE_NEXUS ||
		    o->type == LEDGER_SOURCE_FLUX ||
		    o->type == LEDGER_SOURCE_TFC ? "" : " (or 'token_file')");
	if ((rc = parse_choice(obj, o->name, "unknown_events", "record",
	    "drop", &unknown, err)) ||
	    (rc = parse_choice(obj, o->name, "duplicate_bodies", "dedupe",
	    "record", &dupes, err)))
		return rc;
	o->drop_unknown = unknown == 1;
	o->dedupe_body = dupes != 1;
	o->tolerance_s = LEDGER_SOURCE_TOLERANCE_DEFAULT;
	if ((v = json_object_get(obj, "timestamp_tolerance_s")) != NULL) {
		if (o->signing_file == NULL)
			return ledger_errorf(err, LEDGER_EINVAL,
			    "source '%s': 'timestamp_tolerance_s' needs "
			    "'signing_secret_file'", o->name);
		if (!json_int(v, 1, 86400, &o->tolerance_s))
			return ledger_errorf(err, LEDGER_EINVAL,
			    "source '%s': 'timestamp_tolerance_s' must be an "
			    "integer from 1 to 86400", o->name);
	}
	if (json_object_get(obj, "client_identity") != NULL) {
		o->client_identity = config_string(obj, "client_identity",
		    &bad);
		if (bad || ledger_identity_check_name(o->client_identity,
		    err) != LEDGER_OK)
			return ledger_errorf(err, LEDGER_EINVAL, "source '%s': "
			    "'client_identity' must be a client certificate's "
			    "SAN URI, subject DN or sha256:<fingerprint>",
			    o->name);
	}
	o->max_events = LEDGER_SOURCE_EVENTS_DEFAULT;
	if ((v = json_object_get(obj, "max_events")) != NULL &&
	    !json_int(v, 1, LEDGER_SOURCE_EVENTS_MAX, &o->max_events))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%s': 'max_events' must be an integer from 1 to %d",
		    o->name, LEDGER_SOURCE_EVENTS_MAX);
	return LEDGER_OK;
}

/* Keep only a token's hash (sodium_malloc'd): a token is compared, never
 * used as a key, so the comparison is length-blind. */
static enum ledger_status
hash_token(const uint8_t *tok, size_t len, uint8_t **ret,
    struct ledger_error *err)
{
	if ((*ret = sodium_malloc(crypto_hash_sha256_BYTES)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	crypto_hash_sha256(*ret, tok, len);
	return LEDGER_OK;
}

/* Read the files of o into src. */
static enum ledger_status
read_secrets(struct ledger_source *src, const struct src_options *o,
    const char *base_dir, struct ledger_error *err)
{
	enum ledger_status rc = LEDGER_OK;
	uint8_t *tmp = NULL;
	size_t len = 0;

	if (o->secret_file != NULL) {
		if ((rc = read_secret(o->name, "secret_file", o->secret_file,
		    base_dir, &tmp, &len, err)) != LEDGER_OK)
			return rc;
		if (src->type == LEDGER_SOURCE_GITLAB) {
			rc = hash_token(tmp, len, &src->token_hash, err);
			sodium_free(tmp);
		} else {
			src->secret = tmp;
			src->secret_len = len;
			/* Distribution, Harbor, Chef and Argo CD send a
			 * fixed header: without a token_file,
			 * "Authorization: Bearer <the secret>" is their
			 * credential (an HMAC still works from a proxy that
			 * signs) */
			if ((src->type == LEDGER_SOURCE_DISTRIBUTION ||
			    src->type == LEDGER_SOURCE_HARBOR ||
			    src->type == LEDGER_SOURCE_CHEF ||
			    src->type == LEDGER_SOURCE_ARGOCD ||
			    src->type == LEDGER_SOURCE_ANSIBLE) &&
			    o->token_file == NULL)
				rc = hash_token(tmp, len, &src->token_hash,
				    err);
		}
		tmp = NULL;
	}
	if (rc == LEDGER_OK && o->token_file != NULL &&
	    (rc = read_secret(o->name, "token_file", o->token_file, base_dir,
	    &tmp, &len, err)) == LEDGER_OK) {
		rc = hash_token(tmp, len, &src->token_hash, err);
		sodium_free(tmp);
		tmp = NULL;
	}
	if (rc == LEDGER_OK && o->signing_file != NULL &&
	    (rc = read_secret(o->name, "signing_secret_file",
	    o->signing_file, base_dir, &tmp, &len, err)) == LEDGER_OK) {
		rc = load_signing_key(src, tmp, len, o->signing_file, err);
		sodium_free(tmp);
	}
	return rc;
}

enum ledger_status
ledger_source_from_json(const json_t *obj, const char *base_dir,
    struct ledger_source **ret, struct ledger_error *err)
{
	struct ledger_source *src;
	struct src_options o;
	enum ledger_status rc;

	if (ret == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "bad arguments");
	if (sodium_init() < 0)
		return ledger_errorf(err, LEDGER_ECRYPTO, "libsodium init");
	if (!json_is_object(obj))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "a source must be a JSON object");
	memset(&o, 0, sizeof(o));
	if ((rc = parse_name_type(obj, &o, err)) != LEDGER_OK ||
	    (rc = parse_options(obj, &o, err)) != LEDGER_OK)
		return rc;
	if ((src = calloc(1, sizeof(*src))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	memcpy(src->name, o.name, strlen(o.name) + 1);
	src->type = (enum ledger_source_type)o.type;
	src->tolerance_s = o.tolerance_s;
	src->drop_unknown = o.drop_unknown;
	src->dedupe_body = o.dedupe_body;
	src->max_events = (size_t)o.max_events;
	if (o.client_identity != NULL)
		memcpy(src->client_identity, o.client_identity,
		    strlen(o.client_identity) + 1);
	src->unauthenticated = o.unauthenticated;
	if ((rc = read_secrets(src, &o, base_dir, err)) != LEDGER_OK) {
		ledger_source_free(src);
		return rc;
	}
	*ret = src;
	return LEDGER_OK;
}

/* ---- a set of sources ---- */

struct ledger_sources {
	struct ledger_source **v;
	size_t n;
};

void
ledger_sources_free(struct ledger_sources *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		ledger_source_free(set->v[i]);
	free(set->v);
	free(set);
}

enum ledger_status
ledger_sources_from_json(const json_t *array, const char *base_dir,
    struct ledger_sources **ret, struct ledger_error *err)
{
	struct ledger_sources *set;
	enum ledger_status rc;
	size_t i, j, n;

	if (ret == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "bad arguments");
	if (!json_is_array(array))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "'sources' must be an array");
	n = json_array_size(array);
	if ((set = calloc(1, sizeof(*set))) == NULL ||
	    (n > 0 && (set->v = calloc(n, sizeof(*set->v))) == NULL)) {
		free(set);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		rc = ledger_source_from_json(json_array_get(array, i), base_dir,
		    &set->v[i], err);
		if (rc != LEDGER_OK) {
			char pfx[32];

			snprintf(pfx, sizeof(pfx), "sources[%zu]: ", i);
			src_error_prefix(err, pfx);
			goto fail;
		}
		set->n = i + 1;
		for (j = 0; j < i; j++)
			if (strcmp(set->v[j]->name, set->v[i]->name) == 0) {
				rc = ledger_errorf(err, LEDGER_EINVAL,
				    "sources[%zu]: duplicate source name '%s'",
				    i, set->v[i]->name);
				goto fail;
			}
	}
	set->n = n;
	*ret = set;
	return LEDGER_OK;
fail:
	ledger_sources_free(set);
	return rc;
}

const struct ledger_source *
ledger_sources_find(const struct ledger_sources *set, const char *name)
{
	size_t i;

	if (set == NULL || name == NULL)
		return NULL;
	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i]->name, name) == 0)
			return set->v[i];
	return NULL;
}

size_t
ledger_sources_count(const struct ledger_sources *set)
{
	return set != NULL ? set->n : 0;
}

const struct ledger_source *
ledger_sources_get(const struct ledger_sources *set, size_t i)
{
	return set != NULL && i < set->n ? set->v[i] : NULL;
}

void
src_error_prefix(struct ledger_error *err, const char *prefix)
{
	size_t pl, ml;

	if (err == NULL || (pl = strlen(prefix)) >= sizeof(err->msg))
		return;
	ml = strnlen(err->msg, sizeof(err->msg) - 1);
	if (pl + ml >= sizeof(err->msg))
		ml = sizeof(err->msg) - 1 - pl;
	memmove(err->msg + pl, err->msg, ml);
	memcpy(err->msg, prefix, pl);
	err->msg[pl + ml] = '\0';
}
