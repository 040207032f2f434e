/*
 * source.c - webhook sources: configuration, authentication, dispatch, and
 * the mapping-table interpreter the adapters share
 *
 * The adapters (source-github.c, source-gitlab.c, source-cdevents.c,
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

#define HMAC_BYTES crypto_auth_hmacsha256_BYTES
/* Standard Webhooks: "secret keys SHOULD be between 24 and 64 bytes". */
#define SIGNING_KEY_MIN 24
#define SIGNING_KEY_MAX 64

static const char *const type_names[LEDGER_SOURCE_TYPE_COUNT] = {
	"github", "gitlab", "cdevents", "generic",
};

const char *
ledger_source_type_name(enum ledger_source_type t)
{
	return (unsigned)t < LEDGER_SOURCE_TYPE_COUNT ? type_names[t] : NULL;
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
	"duplicate_bodies", "max_events", "name", "secret_file", "signing_secret_file",
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

enum ledger_status
ledger_source_from_json(const json_t *obj, const char *base_dir,
    struct ledger_source **ret, struct ledger_error *err)
{
	struct ledger_source *src = NULL;
	const char *name, *type, *secret_file, *token_file, *signing_file;
	const char *unknown, *dupes, *key;
	enum ledger_status rc;
	const json_t *v;
	uint8_t *tmp = NULL;
	size_t tmplen = 0, i;
	int64_t num;
	bool bad;
	int t;

	if (ret == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "bad arguments");
	if (sodium_init() < 0)
		return ledger_errorf(err, LEDGER_ECRYPTO, "libsodium init");
	if (!json_is_object(obj))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "a source must be a JSON object");
	name = config_string(obj, "name", &bad);
	if (name == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, bad ?
		    "source: 'name' must be a string" : "source: missing 'name'");
	if (!valid_name(name))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%.80s': bad name (want 1 to %d of A-Z a-z 0-9 . _ "
		    "-, not only dots)", name, LEDGER_SOURCE_NAME_MAX);
	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; i < sizeof(config_keys) / sizeof(*config_keys); i++)
			if (strcmp(key, config_keys[i]) == 0)
				break;
		if (i == sizeof(config_keys) / sizeof(*config_keys))
			return ledger_errorf(err, LEDGER_EINVAL,
			    "source '%s': unknown key '%.64s' (want name, type, "
			    "secret_file, token_file, signing_secret_file, "
			    "timestamp_tolerance_s, unknown_events, max_events, "
			    "duplicate_bodies)",
			    name, key);
	}
	if ((type = config_string(obj, "type", &bad)) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, bad ?
		    "source '%s': 'type' must be a string" :
		    "source '%s': missing 'type'", name);
	for (t = 0; t < LEDGER_SOURCE_TYPE_COUNT; t++)
		if (strcmp(type, type_names[t]) == 0)
			break;
	if (t == LEDGER_SOURCE_TYPE_COUNT)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%s': unknown type '%.64s' (want github, gitlab, "
		    "cdevents or generic)", name, type);

	/* Which keys each type takes. */
	{
		static const struct {
			const char *key;
			unsigned types;	/* bit per enum ledger_source_type */
		} valid[] = {
			{ "token_file", 1u << LEDGER_SOURCE_CDEVENTS |
			    1u << LEDGER_SOURCE_GENERIC },
			{ "signing_secret_file", 1u << LEDGER_SOURCE_GITLAB },
			{ "timestamp_tolerance_s", 1u << LEDGER_SOURCE_GITLAB },
			{ "max_events", 1u << LEDGER_SOURCE_CDEVENTS |
			    1u << LEDGER_SOURCE_GENERIC },
		};

		for (i = 0; i < sizeof(valid) / sizeof(*valid); i++)
			if (json_object_get(obj, valid[i].key) != NULL &&
			    !(valid[i].types & 1u << t))
				return ledger_errorf(err, LEDGER_EINVAL,
				    "source '%s': '%s' does not apply to type "
				    "'%s'", name, valid[i].key, type_names[t]);
	}
	secret_file = config_string(obj, "secret_file", &bad);
	if (bad)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%s': 'secret_file' must be a string", name);
	token_file = config_string(obj, "token_file", &bad);
	if (bad)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%s': 'token_file' must be a string", name);
	signing_file = config_string(obj, "signing_secret_file", &bad);
	if (bad)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%s': 'signing_secret_file' must be a string", name);
	if (secret_file == NULL && token_file == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%s': missing 'secret_file'%s", name,
		    t == LEDGER_SOURCE_CDEVENTS || t == LEDGER_SOURCE_GENERIC ?
		    " (or 'token_file')" : "");
	unknown = config_string(obj, "unknown_events", &bad);
	if (bad || (unknown != NULL && strcmp(unknown, "record") != 0 &&
	    strcmp(unknown, "drop") != 0))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%s': 'unknown_events' must be \"record\" or "
		    "\"drop\"", name);
	dupes = config_string(obj, "duplicate_bodies", &bad);
	if (bad || (dupes != NULL && strcmp(dupes, "dedupe") != 0 &&
	    strcmp(dupes, "record") != 0))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "source '%s': 'duplicate_bodies' must be \"dedupe\" or "
		    "\"record\"", name);
	if ((v = json_object_get(obj, "timestamp_tolerance_s")) != NULL) {
		if (signing_file == NULL)
			return ledger_errorf(err, LEDGER_EINVAL,
			    "source '%s': 'timestamp_tolerance_s' needs "
			    "'signing_secret_file'", name);
		if (!json_int(v, 1, 86400, &num))
			return ledger_errorf(err, LEDGER_EINVAL,
			    "source '%s': 'timestamp_tolerance_s' must be an "
			    "integer from 1 to 86400", name);
	} else
		num = LEDGER_SOURCE_TOLERANCE_DEFAULT;

	if ((src = calloc(1, sizeof(*src))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	memcpy(src->name, name, strlen(name) + 1);
	src->type = (enum ledger_source_type)t;
	src->tolerance_s = num;
	src->drop_unknown = unknown != NULL && strcmp(unknown, "drop") == 0;
	src->dedupe_body = dupes == NULL || strcmp(dupes, "dedupe") == 0;
	src->max_events = LEDGER_SOURCE_EVENTS_DEFAULT;
	if ((v = json_object_get(obj, "max_events")) != NULL) {
		if (!json_int(v, 1, LEDGER_SOURCE_EVENTS_MAX, &num)) {
			rc = ledger_errorf(err, LEDGER_EINVAL,
			    "source '%s': 'max_events' must be an integer from "
			    "1 to %d", name, LEDGER_SOURCE_EVENTS_MAX);
			goto fail;
		}
		src->max_events = (size_t)num;
	}
	if (src->type == LEDGER_SOURCE_GITHUB || src->type ==
	    LEDGER_SOURCE_GITLAB) {
		if (secret_file == NULL) {
			rc = ledger_errorf(err, LEDGER_EINVAL,
			    "source '%s': missing 'secret_file'", name);
			goto fail;
		}
	}
	if (secret_file != NULL) {
		rc = read_secret(name, "secret_file", secret_file, base_dir,
		    &tmp, &tmplen, err);
		if (rc != LEDGER_OK)
			goto fail;
		if (src->type == LEDGER_SOURCE_GITLAB) {
			/* A token is compared, never used as a key: keep only
			 * its hash, so the comparison is length-blind. */
			if ((src->token_hash = sodium_malloc(
			    crypto_hash_sha256_BYTES)) == NULL) {
				rc = ledger_errorf(err, LEDGER_ENOMEM,
				    "out of memory");
				goto fail;
			}
			crypto_hash_sha256(src->token_hash, tmp, tmplen);
			sodium_free(tmp);
		} else {
			src->secret = tmp;
			src->secret_len = tmplen;
		}
		tmp = NULL;
	}
	if (token_file != NULL) {
		rc = read_secret(name, "token_file", token_file, base_dir,
		    &tmp, &tmplen, err);
		if (rc != LEDGER_OK)
			goto fail;
		if ((src->token_hash = sodium_malloc(
		    crypto_hash_sha256_BYTES)) == NULL) {
			rc = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
			goto fail;
		}
		crypto_hash_sha256(src->token_hash, tmp, tmplen);
		sodium_free(tmp);
		tmp = NULL;
	}
	if (signing_file != NULL) {
		rc = read_secret(name, "signing_secret_file", signing_file,
		    base_dir, &tmp, &tmplen, err);
		if (rc != LEDGER_OK)
			goto fail;
		rc = load_signing_key(src, tmp, tmplen, signing_file, err);
		if (rc != LEDGER_OK)
			goto fail;
		sodium_free(tmp);
		tmp = NULL;
	}
	*ret = src;
	return LEDGER_OK;
fail:
	if (tmp != NULL)
		sodium_free(tmp);
	ledger_source_free(src);
	return rc;
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

/* ---- authentication ---- */

const char *
src_header(const struct ledger_hook_request *req, const char *name)
{
	if (req->header == NULL)
		return NULL;
	return req->header(req->header_ctx, name);
}

/* HMAC-SHA256 over up to three parts joined by '.', then the body: the
 * Standard Webhooks message is id "." timestamp "." body; a plain body
 * HMAC has no parts. */
static void
hmac_body(const uint8_t *key, size_t keylen, const char *p1, const char *p2,
    const struct ledger_hook_request *req, uint8_t out[HMAC_BYTES])
{
	struct ledger_hmac_sha256 st;

	ledger_hmac_sha256_init(&st, key, keylen);
	if (p1 != NULL) {
		ledger_hmac_sha256_update(&st, p1, strlen(p1));
		ledger_hmac_sha256_update(&st, ".", 1);
	}
	if (p2 != NULL) {
		ledger_hmac_sha256_update(&st, p2, strlen(p2));
		ledger_hmac_sha256_update(&st, ".", 1);
	}
	if (req->body_len > 0)
		ledger_hmac_sha256_update(&st, req->body, req->body_len);
	ledger_hmac_sha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/* Check "sha256=<64 hex>" in header hname against the body HMAC. */
static enum ledger_status
check_hex_hmac(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char *hname,
    const char *value, struct ledger_error *err)
{
	uint8_t want[HMAC_BYTES], got[HMAC_BYTES];
	int r;

	if (strncmp(value, "sha256=", 7) != 0 ||
	    ledger_unhex(value + 7, got, sizeof(got), NULL) != LEDGER_OK)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': malformed %s header (want sha256=<64 hex "
		    "digits>)", src->name, hname);
	hmac_body(src->secret, src->secret_len, NULL, NULL, req, want);
	r = sodium_memcmp(want, got, sizeof(want));
	sodium_memzero(want, sizeof(want));
	if (r != 0)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': %s does not match the body", src->name,
		    hname);
	return LEDGER_OK;
}

/* Compare a presented token with the stored hash, length-blind. */
static bool
token_ok(const uint8_t *hash, const char *token)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	bool ok;

	crypto_hash_sha256(h, (const uint8_t *)token, strlen(token));
	ok = sodium_memcmp(h, hash, sizeof(h)) == 0;
	sodium_memzero(h, sizeof(h));
	return ok;
}

static enum ledger_status
auth_github(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err)
{
	const char *sig = src_header(req, "X-Hub-Signature-256");
	enum ledger_status rc;

	if (sig == NULL) {
		if (src_header(req, "X-Hub-Signature") != NULL)
			return ledger_errorf(err, LEDGER_EPERM,
			    "source '%s': only the legacy SHA-1 "
			    "X-Hub-Signature was sent; X-Hub-Signature-256 is "
			    "required", src->name);
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': missing X-Hub-Signature-256 header",
		    src->name);
	}
	rc = check_hex_hmac(src, req, "X-Hub-Signature-256", sig, err);
	if (rc != LEDGER_OK)
		return rc;
	*ret_auth = LEDGER_AUTH_GITHUB_HMAC;
	return LEDGER_OK;
}

/* Epoch seconds, 1 to 12 digits. */
static bool
parse_epoch_s(const char *s, int64_t *ret)
{
	size_t n = strlen(s);

	if (n == 0 || n > 12 || strspn(s, "0123456789") != n)
		return false;
	*ret = strtoll(s, NULL, 10);
	return true;
}

static enum ledger_status
auth_standard_webhooks(const struct ledger_source *src,
    const struct ledger_hook_request *req, struct ledger_error *err)
{
	const char *id, *ts, *sigs, *p, *end;
	uint8_t want[HMAC_BYTES], got[HMAC_BYTES + 3];
	bool seen_v1 = false, ok = false;
	int64_t t, skew;
	long n;

	id = src_header(req, "webhook-id");
	ts = src_header(req, "webhook-timestamp");
	sigs = src_header(req, "webhook-signature");
	if (id == NULL || ts == NULL || sigs == NULL)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': missing %s header", src->name,
		    id == NULL ? "webhook-id" : ts == NULL ?
		    "webhook-timestamp" : "webhook-signature");
	if (id[0] == '\0')
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': empty webhook-id header", src->name);
	if (!parse_epoch_s(ts, &t))
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': malformed webhook-timestamp header (want "
		    "epoch seconds)", src->name);
	skew = req->now_ms / 1000 - t;
	if (skew > src->tolerance_s || -skew > src->tolerance_s)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': webhook-timestamp is %" PRId64 " s %s the "
		    "receiver's clock (tolerance %" PRId64 " s)", src->name,
		    skew < 0 ? -skew : skew, skew < 0 ? "ahead of" : "behind",
		    src->tolerance_s);
	hmac_body(src->signing_key, src->signing_key_len, id, ts, req, want);
	/* "v1,<base64> v1,<base64> v1a,<...>": any v1 may match. */
	for (p = sigs; *p != '\0'; p = end) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (end = p; *end != '\0' && *end != ' '; end++)
			continue;
		if (end - p < 3 || strncmp(p, "v1,", 3) != 0)
			continue;
		seen_v1 = true;
		n = ledger_b64_decode(p + 3, (size_t)(end - p - 3), got,
		    sizeof(got), true);
		if (n == HMAC_BYTES && sodium_memcmp(want, got, HMAC_BYTES) == 0)
			ok = true;
	}
	sodium_memzero(want, sizeof(want));
	if (!seen_v1)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': webhook-signature has no v1 signature",
		    src->name);
	if (!ok)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': webhook-signature does not match the body",
		    src->name);
	return LEDGER_OK;
}

static enum ledger_status
auth_gitlab(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err)
{
	const char *tok = src_header(req, "X-Gitlab-Token");
	enum ledger_status rc;

	if (tok == NULL)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': missing X-Gitlab-Token header", src->name);
	if (!token_ok(src->token_hash, tok))
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': X-Gitlab-Token does not match", src->name);
	if (src->signing_key == NULL) {
		*ret_auth = LEDGER_AUTH_GITLAB_TOKEN;
		return LEDGER_OK;
	}
	if ((rc = auth_standard_webhooks(src, req, err)) != LEDGER_OK)
		return rc;
	*ret_auth = LEDGER_AUTH_GITLAB_SIGNED;
	return LEDGER_OK;
}

static enum ledger_status
auth_hmac_or_bearer(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err)
{
	const char *sig = src_header(req, "X-Ledger-Signature");
	const char *authz = src_header(req, "Authorization");
	enum ledger_status rc;

	if (sig == NULL && authz == NULL)
		return ledger_errorf(err, LEDGER_EPERM,
		    "source '%s': missing %s header", src->name,
		    src->secret != NULL && src->token_hash != NULL ?
		    "X-Ledger-Signature or Authorization" :
		    src->secret != NULL ? "X-Ledger-Signature" :
		    "Authorization");
	if (sig != NULL) {
		if (src->secret == NULL)
			return ledger_errorf(err, LEDGER_EPERM,
			    "source '%s': X-Ledger-Signature sent, but the "
			    "source has no secret_file", src->name);
		rc = check_hex_hmac(src, req, "X-Ledger-Signature", sig, err);
		if (rc != LEDGER_OK)
			return rc;
	}
	if (authz != NULL) {
		const char *tok = authz;

		if (src->token_hash == NULL) {
			/* A signed request may carry an Authorization header
			 * meant for a proxy; only refuse it when it is all
			 * there is. */
			if (sig != NULL)
				goto done;
			return ledger_errorf(err, LEDGER_EPERM,
			    "source '%s': Authorization sent, but the source "
			    "has no token_file", src->name);
		}
		if (strncasecmp(tok, "Bearer ", 7) != 0)
			return ledger_errorf(err, LEDGER_EPERM,
			    "source '%s': Authorization is not a Bearer token",
			    src->name);
		for (tok += 7; *tok == ' '; tok++)
			continue;
		if (!token_ok(src->token_hash, tok))
			return ledger_errorf(err, LEDGER_EPERM,
			    "source '%s': bearer token does not match",
			    src->name);
	}
done:
	/* The HMAC binds the body; a token does not: record the stronger. */
	*ret_auth = sig != NULL ? LEDGER_AUTH_HMAC : LEDGER_AUTH_BEARER;
	return LEDGER_OK;
}

enum ledger_status
ledger_source_authenticate(const struct ledger_source *src,
    const struct ledger_hook_request *req, const char **ret_auth,
    struct ledger_error *err)
{
	if (src == NULL || req == NULL || ret_auth == NULL ||
	    (req->body == NULL && req->body_len > 0))
		return ledger_errorf(err, LEDGER_EINVAL, "bad arguments");
	switch (src->type) {
	case LEDGER_SOURCE_GITHUB:
		return auth_github(src, req, ret_auth, err);
	case LEDGER_SOURCE_GITLAB:
		return auth_gitlab(src, req, ret_auth, err);
	case LEDGER_SOURCE_CDEVENTS:
	case LEDGER_SOURCE_GENERIC:
		return auth_hmac_or_bearer(src, req, ret_auth, err);
	default:
		return ledger_errorf(err, LEDGER_EINVAL, "bad source type");
	}
}

/* ---- media types ---- */

enum ledger_status
src_media_type(const char *ct, char *out, size_t n, struct ledger_error *err)
{
	/* RFC 9110 token characters, and the one '/' */
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t len, i, slash;

	if (ct == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "missing Content-Type header");
	while (*ct == ' ' || *ct == '\t')
		ct++;
	len = strcspn(ct, ";");
	while (len > 0 && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
		len--;
	slash = strcspn(ct, "/");
	if (len == 0 || len >= n || slash == 0 || slash + 1 >= len ||
	    strspn(ct, tchar) != slash ||
	    strspn(ct + slash + 1, tchar) != len - slash - 1)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "malformed Content-Type header");
	for (i = 0; i < len; i++)
		out[i] = (char)((ct[i] >= 'A' && ct[i] <= 'Z') ?
		    ct[i] - 'A' + 'a' : ct[i]);
	out[len] = '\0';
	return LEDGER_OK;
}

enum ledger_status
ledger_source_check_media_type(const struct ledger_source *src,
    const struct ledger_hook_request *req, struct ledger_error *err)
{
	char mt[128];
	enum ledger_status rc;

	if (src == NULL || req == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "bad arguments");
	if ((rc = src_media_type(req->content_type, mt, sizeof(mt), err)))
		return rc;
	switch (src->type) {
	case LEDGER_SOURCE_GITHUB:
		return github_media_type(mt, req, err);
	case LEDGER_SOURCE_GITLAB:
		return gitlab_media_type(mt, req, err);
	case LEDGER_SOURCE_CDEVENTS:
		return cdevents_media_type(mt, req, err);
	case LEDGER_SOURCE_GENERIC:
		return generic_media_type(mt, req, err);
	default:
		return ledger_errorf(err, LEDGER_EINVAL, "bad source type");
	}
}

/* ---- JSON paths ---- */

static json_t *
walk(json_t *v, const char *p)
{
	char seg[128];
	const char *next;
	size_t n, i;
	json_t *el, *r;

	while (v != NULL && *p != '\0') {
		n = strcspn(p, ".");
		if (n == 0 || n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		next = p[n] == '.' ? p + n + 1 : p + n;
		if (strcmp(seg, "*") == 0) {
			if (!json_is_array(v))
				return NULL;
			json_array_foreach(v, i, el) {
				r = walk(el, next);
				if (r != NULL && !json_is_null(r))
					return r;
			}
			return NULL;
		}
		if (json_is_array(v)) {
			if (strspn(seg, "0123456789") != n || n > 6)
				return NULL;
			v = json_array_get(v, (size_t)strtoul(seg, NULL, 10));
		} else
			v = json_object_get(v, seg);
		p = next;
	}
	return v;
}

json_t *
src_path_get(const struct doc *d, const char *path)
{
	if (path == NULL)
		return NULL;
	if (path[0] == '@')
		return d->envelope != NULL ? walk(d->envelope, path + 1) : NULL;
	return d->body != NULL ? walk(d->body, path) : NULL;
}

/* A string (without NUL) or a number, as text; NULL for anything else. */
static const char *
scalar(json_t *v, char buf[LEDGER_JCS_NUMBER_MAX])
{
	size_t len;

	if (json_is_string(v)) {
		if (strlen(json_string_value(v)) != json_string_length(v))
			return NULL;
		return json_string_value(v);
	}
	if (json_is_integer(v)) {
		snprintf(buf, LEDGER_JCS_NUMBER_MAX, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return buf;
	}
	if (json_is_real(v) && ledger_jcs_format_number(json_real_value(v),
	    buf, &len, NULL) == LEDGER_OK)
		return buf;
	return NULL;
}

const char *
src_path_string(const struct doc *d, const char *path)
{
	json_t *v = src_path_get(d, path);

	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

/* ---- digests ---- */

/* "alg:hex" with a known algorithm and the right number of digits. */
static char *
digest_exact(const char *s, size_t len, bool *nomem)
{
	static const struct {
		const char *alg;
		size_t hexlen;
	} algs[] = { { "sha256", 64 }, { "sha512", 128 }, { "sha384", 96 } };
	size_t i, a;
	char *out;

	if (len == 64 && ledger_all_hex(s, 64)) {
		if ((out = malloc(7 + 64 + 1)) == NULL) {
			*nomem = true;
			return NULL;
		}
		memcpy(out, "sha256:", 7);
		memcpy(out + 7, s, 64);
		out[71] = '\0';
		goto lower;
	}
	for (a = 0; a < sizeof(algs) / sizeof(*algs); a++) {
		size_t al = strlen(algs[a].alg);

		if (len == al + 1 + algs[a].hexlen &&
		    strncasecmp(s, algs[a].alg, al) == 0 && s[al] == ':' &&
		    ledger_all_hex(s + al + 1, algs[a].hexlen))
			break;
	}
	if (a == sizeof(algs) / sizeof(*algs))
		return NULL;
	if ((out = malloc(len + 1)) == NULL) {
		*nomem = true;
		return NULL;
	}
	memcpy(out, s, len);
	out[len] = '\0';
lower:
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	return out;
}

bool
src_pct_decode(const char *s, size_t n, char *out, size_t *ret_len)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			return false;
		hi = ledger_hexval((unsigned char)s[i + 1]);
		lo = ledger_hexval((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0)
			return false;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	*ret_len = o;
	return true;
}

char *
src_digest(const char *s, size_t len, bool *nomem)
{
	const char *at, *q, *end, *p;
	char *dec, *out = NULL;
	size_t dlen;

	if ((out = digest_exact(s, len, nomem)) != NULL || *nomem)
		return out;
	if (len < 4 || strncmp(s, "pkg:", 4) != 0)
		return NULL;
	/* pkg:type/namespace/name@version?qualifiers#subpath */
	end = memchr(s, '#', len);
	if (end == NULL)
		end = s + len;
	q = memchr(s, '?', (size_t)(end - s));
	if ((dec = malloc(len + 1)) == NULL) {
		*nomem = true;
		return NULL;
	}
	at = NULL;
	for (p = s; p < (q != NULL ? q : end); p++)
		if (*p == '@')
			at = p;
	if (at != NULL && src_pct_decode(at + 1, (size_t)((q != NULL ? q : end) -
	    at - 1), dec, &dlen))
		out = digest_exact(dec, dlen, nomem);
	/* qualifiers digest=alg:hex or checksum=alg:hex,alg:hex */
	for (p = q; out == NULL && !*nomem && p != NULL && p < end; ) {
		const char *amp, *val, *c;

		p++;
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if ((size_t)(amp - p) > 7 && strncmp(p, "digest=", 7) == 0)
			val = p + 7;
		else if ((size_t)(amp - p) > 9 && strncmp(p, "checksum=", 9) == 0)
			val = p + 9;
		else
			val = NULL;
		if (val != NULL && src_pct_decode(val, (size_t)(amp - val), dec,
		    &dlen)) {
			/* a comma-separated list: take the first known */
			for (c = dec; out == NULL && !*nomem && *c != '\0'; ) {
				size_t cl = strcspn(c, ",");

				out = digest_exact(c, cl, nomem);
				c += cl;
				if (*c == ',')
					c++;
			}
		}
		p = amp < end ? amp : NULL;
	}
	free(dec);
	return out;
}

/* ---- picks and rules ---- */

static bool
looks_like_commit(const char *s, size_t n)
{
	size_t i;

	if (n < 7 || n > 64 || !ledger_all_hex(s, n))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] != '0')
			return true;
	return false;	/* the all-zero "no commit" sentinel */
}

static bool
is_zero_sha(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	return n >= 7 && strspn(s, "0") == n;
}

/* "scheme://host[:port]/a/b.git?x" -> "a/b"; NULL when no path. */
static bool
url_path(const char *s, const char **ret, size_t *ret_len)
{
	const char *p = strstr(s, "://"), *e;

	if (p == NULL)
		return false;
	p += 3;
	p += strcspn(p, "/");
	while (*p == '/')
		p++;
	e = p + strcspn(p, "?#@");
	while (e > p && e[-1] == '/')
		e--;
	if (e - p > 4 && strncmp(e - 4, ".git", 4) == 0)
		e -= 4;
	while (e > p && e[-1] == '/')
		e--;
	if (e == p)
		return false;
	*ret = p;
	*ret_len = (size_t)(e - p);
	return true;
}

/* The '/'-separated segment after the segment equal to name. */
static bool
after_segment(const char *s, const char *name, const char **ret,
    size_t *ret_len)
{
	size_t nl = strlen(name), sl;
	const char *p;

	for (p = s; (p = strchr(p, '/')) != NULL; ) {
		p++;
		if (strncmp(p, name, nl) == 0 && p[nl] == '/') {
			p += nl + 1;
			sl = strcspn(p, "/?#");
			if (sl == 0)
				return false;
			*ret = p;
			*ret_len = sl;
			return true;
		}
	}
	return false;
}

/*
 * Evaluate one alternative for field f: stores the normalized value in
 * *ret (malloc'd), or NULL when this alternative yields nothing usable.
 * Only LEDGER_ENOMEM is an error.
 */
static enum ledger_status
pick_eval(const struct pick *pk, enum ledger_subject f, const struct doc *d,
    char **ret, struct ledger_error *err)
{
	char buf[LEDGER_JCS_NUMBER_MAX], *tmp = NULL;
	const char *s = NULL;
	size_t len = 0;
	enum ledger_status rc;
	bool nomem = false;

	*ret = NULL;
	switch (pk->op) {
	case PICK_CONST:
		s = pk->value;
		break;
	case PICK_ACTION:
		s = d->action;
		break;
	case PICK_IF_TRUE:
		if (json_is_true(src_path_get(d, pk->path)))
			s = pk->value;
		break;
	case PICK_IF_ZERO:
		if (is_zero_sha(src_path_string(d, pk->path)))
			s = pk->value;
		break;
	case PICK_PATH:
	case PICK_URL:
		s = scalar(src_path_get(d, pk->path), buf);
		if (s != NULL && pk->op == PICK_URL &&
		    strncasecmp(s, "https://", 8) != 0 &&
		    strncasecmp(s, "http://", 7) != 0)
			s = NULL;
		break;
	case PICK_DIGEST:
	case PICK_ARTIFACT:
		if ((s = scalar(src_path_get(d, pk->path), buf)) == NULL)
			break;
		tmp = src_digest(s, strlen(s), &nomem);
		if (nomem)
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "out of memory");
		if (tmp != NULL)
			s = tmp;
		else if (pk->op == PICK_DIGEST)
			s = NULL;
		break;
	case PICK_URL_PATH:
		if ((s = scalar(src_path_get(d, pk->path), buf)) == NULL ||
		    !url_path(s, &s, &len))
			s = NULL;
		break;
	case PICK_LAST_SEGMENT:
		if ((s = scalar(src_path_get(d, pk->path), buf)) != NULL) {
			const char *slash = strrchr(s, '/');

			if (slash != NULL)
				s = slash + 1;
		}
		break;
	case PICK_AFTER_SEGMENT:
		if ((s = scalar(src_path_get(d, pk->path), buf)) == NULL ||
		    !after_segment(s, pk->value, &s, &len))
			s = NULL;
		break;
	default:
		break;
	}
	if (s == NULL)
		goto out;
	if (len == 0)
		len = strlen(s);
	if (pk->commit && !looks_like_commit(s, len))
		goto out;
	rc = ledger_subject_normalize(f, s, len, ret, err);
	if (rc == LEDGER_ENOMEM) {
		free(tmp);
		return rc;
	}
	if (rc != LEDGER_OK)
		*ret = NULL;	/* not a usable value: try the next one */
out:
	free(tmp);
	return LEDGER_OK;
}

enum ledger_status
src_fill(struct ledger_event *ev, const struct fieldset *fs,
    const struct doc *d, struct ledger_error *err)
{
	enum ledger_status rc;
	char *val;
	int f, i;

	if (fs == NULL)
		return LEDGER_OK;
	for (f = 0; f < LEDGER_SUBJ_COUNT; f++) {
		if (ev->e.subject[f] != NULL)
			continue;
		for (i = 0; i < PICKS_MAX && fs->f[f][i].op != PICK_NONE;
		    i++) {
			rc = pick_eval(&fs->f[f][i], (enum ledger_subject)f, d,
			    &val, err);
			if (rc != LEDGER_OK)
				return rc;
			if (val != NULL) {
				ev->e.subject[f] = val;
				break;
			}
		}
	}
	return LEDGER_OK;
}

static bool
cond_holds(const struct cond *c, const struct doc *d)
{
	const char *s;
	size_t n, i;

	if (c->op == COND_NONE)
		return true;
	if ((s = src_path_string(d, c->path)) == NULL)
		return false;
	if (c->op == COND_EQUALS)
		return strcasecmp(s, c->value) == 0;
	n = strlen(c->value);
	for (i = 0; s[i] != '\0'; i++)
		if (strncasecmp(s + i, c->value, n) == 0)
			return true;
	return false;
}

const struct rule *
src_match(const struct rule *table, const char *event, const struct doc *d)
{
	const struct rule *r;

	for (r = table; r->event != NULL; r++) {
		if (event == NULL || strcmp(r->event, event) != 0)
			continue;
		if (r->action != NULL && (d->action == NULL ||
		    strcmp(r->action, d->action) != 0))
			continue;
		if (!cond_holds(&r->when, d))
			continue;
		return r;
	}
	return r;	/* the catch-all */
}

const char *
src_action(const struct action_path *paths, const char *event, json_t *body)
{
	const struct action_path *a;
	struct doc d = { body, NULL, NULL };

	for (a = paths; a->path != NULL; a++)
		if (a->event == NULL || (event != NULL &&
		    strcmp(a->event, event) == 0))
			return src_path_string(&d, a->path);
	return NULL;
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
	    type_names[src->type], err)) != LEDGER_OK ||
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
 * the shared secret.  Never a bearer secret: Authorization and
 * X-Gitlab-Token are not in the list.
 */
static const char *const evidence_headers[] = {
	"X-Hub-Signature-256", "X-GitHub-Delivery", "X-GitHub-Event",
	"X-GitHub-Hook-ID", "webhook-id", "webhook-timestamp",
	"webhook-signature", "X-Gitlab-Event", "X-Gitlab-Event-UUID",
	"X-Ledger-Signature", "X-Ledger-Delivery", "X-Ledger-Event",
	"Idempotency-Key", "ce-id", "ce-source", "ce-type", "ce-specversion",
	"ce-time", "Content-Type",
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
	switch (src->type) {
	case LEDGER_SOURCE_GITHUB:
		rc = github_normalize(src, req, auth, &out, err);
		break;
	case LEDGER_SOURCE_GITLAB:
		rc = gitlab_normalize(src, req, auth, &out, err);
		break;
	case LEDGER_SOURCE_CDEVENTS:
		rc = cdevents_normalize(src, req, auth, &out, err);
		break;
	case LEDGER_SOURCE_GENERIC:
		rc = generic_normalize(src, req, auth, &out, err);
		break;
	default:
		rc = ledger_errorf(err, LEDGER_EINVAL, "bad source type");
		break;
	}
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
