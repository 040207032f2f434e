/*
 * entry.c - events, entries and their canonical bytes
 *
 * The encoder writes RFC 8785 bytes directly: the envelope has a fixed set
 * of members whose names are ASCII, so their canonical order is fixed and
 * written out below by hand; strings go through ledger_jcs_append_string and
 * the only numbers (v, seq, size) are integers below 2^53, which RFC 8785
 * prints as plain decimals.  tests/test-entry.c checks the result against
 * the generic canonicalizer.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>
#include <zlib.h>

#include "ledger/entry.h"
#include "ledger/jcs.h"
#include "ledger-int.h"
#include "sha256.h"

/* Largest integer that an IEEE double (and so RFC 8785) holds exactly. */
#define MAX_SAFE_INT 9007199254740992.0

static const char *const kind_names[LEDGER_KIND_COUNT] = {
	"build", "test", "scan", "artifact", "approval", "deployment",
	"rollback", "change", "incident", "ledger", "other",
};

static const char *const subject_names[LEDGER_SUBJ_COUNT] = {
	"actor", "artifact", "commit", "deployment", "environment",
	"pipeline", "run", "service", "status", "summary", "ticket", "tool",
	"tool_version", "url",
};

/* "commit" is an SQL keyword, so its column is commit_id. */
static const char *const subject_columns[LEDGER_SUBJ_COUNT] = {
	"actor", "artifact", "commit_id", "deployment", "environment",
	"pipeline", "run", "service", "status", "summary", "ticket", "tool",
	"tool_version", "url",
};

static const char *const src_names[LEDGER_SRC_COUNT] = {
	"auth", "delivery", "event", "name", "type",
};

const char *
ledger_kind_name(enum ledger_kind k)
{
	if ((unsigned)k >= LEDGER_KIND_COUNT)
		return NULL;
	return kind_names[k];
}

enum ledger_status
ledger_kind_parse(const char *s, enum ledger_kind *ret,
    struct ledger_error *err)
{
	int i;

	for (i = 0; s != NULL && i < LEDGER_KIND_COUNT; i++) {
		if (strcmp(s, kind_names[i]) == 0) {
			*ret = (enum ledger_kind)i;
			return LEDGER_OK;
		}
	}
	return ledger_errorf(err, LEDGER_EINVAL,
	    "unknown kind '%.64s' (want build, test, scan, artifact, approval, "
	    "deployment, rollback, change, incident, ledger or other)",
	    s ? s : "");
}

const char *
ledger_subject_name(enum ledger_subject f)
{
	return (unsigned)f < LEDGER_SUBJ_COUNT ? subject_names[f] : NULL;
}

const char *
ledger_subject_column(enum ledger_subject f)
{
	return (unsigned)f < LEDGER_SUBJ_COUNT ? subject_columns[f] : NULL;
}

int
ledger_subject_lookup(const char *name)
{
	int i;

	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		if (strcmp(name, subject_names[i]) == 0)
			return i;
	return -1;
}

const char *
ledger_srcfield_name(enum ledger_srcfield f)
{
	return (unsigned)f < LEDGER_SRC_COUNT ? src_names[f] : NULL;
}

void
ledger_entry_release(struct ledger_entry *e)
{
	int i;

	if (e == NULL)
		return;
	free(e->log);
	for (i = 0; i < LEDGER_SRC_COUNT; i++)
		free(e->source[i]);
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		free(e->subject[i]);
	free(e->payload_type);
	memset(e, 0, sizeof(*e));
}

void
ledger_leaf_hash(const void *bytes, size_t len, uint8_t out[LEDGER_HASH_BYTES])
{
	struct ledger_sha256 st;
	static const uint8_t zero = 0x00;

	ledger_sha256_init(&st);
	ledger_sha256_update(&st, &zero, 1);
	ledger_sha256_update(&st, bytes, len);
	ledger_sha256_final(&st, out);
}

/* A field value: valid UTF-8, no control characters, 1..max bytes. */
enum ledger_status
ledger_check_value(const char *what, const char *s, size_t len, size_t max,
    struct ledger_error *err)
{
	if (len == 0)
		return ledger_errorf(err, LEDGER_EINVAL, "'%s' is empty", what);
	if (len > max)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "'%s' is longer than %zu bytes", what, max);
	if (!ledger_utf8_valid(s, len))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "'%s' is not valid UTF-8", what);
	if (ledger_has_control(s, len))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "'%s' contains a control character", what);
	return LEDGER_OK;
}

enum ledger_status
ledger_subject_normalize(enum ledger_subject f, const char *value, size_t len,
    char **ret, struct ledger_error *err)
{
	enum ledger_status rc;
	const char *colon;
	char *out;
	size_t i;

	if ((unsigned)f >= LEDGER_SUBJ_COUNT || value == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "bad subject field");
	while (len > 0 && (*value == ' ' || *value == '\t'))
		value++, len--;
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	rc = ledger_check_value(subject_names[f], value, len,
	    f == LEDGER_SUBJ_URL ? LEDGER_URL_MAX : LEDGER_FIELD_MAX, err);
	if (rc != LEDGER_OK)
		return rc;
	if ((out = malloc(len + 1)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	memcpy(out, value, len);
	out[len] = '\0';
	switch (f) {
	case LEDGER_SUBJ_ENVIRONMENT:
	case LEDGER_SUBJ_STATUS:
		for (i = 0; i < len; i++)
			out[i] = (char)tolower((unsigned char)out[i]);
		break;
	case LEDGER_SUBJ_COMMIT:
		if (ledger_all_hex(out, len))
			for (i = 0; i < len; i++)
				out[i] = (char)tolower((unsigned char)out[i]);
		break;
	case LEDGER_SUBJ_ARTIFACT:
		/* "SHA256:ABC..." -> "sha256:abc..." for a digest */
		colon = memchr(out, ':', len);
		if (colon != NULL && colon > out &&
		    ledger_all_hex(colon + 1, len - (size_t)(colon + 1 - out))) {
			bool alg = true;

			for (i = 0; out + i < colon; i++)
				if (!isalnum((unsigned char)out[i]))
					alg = false;
			if (alg)
				for (i = 0; i < len; i++)
					out[i] = (char)tolower(
					    (unsigned char)out[i]);
		}
		break;
	default:
		break;
	}
	*ret = out;
	return LEDGER_OK;
}

/* ---- encoding ---- */

static enum ledger_status
add_str(struct ledger_buf *b, const char *s, struct ledger_error *err)
{
	return ledger_jcs_append_string(b, s, strlen(s), err);
}

static enum ledger_status
add_hex(struct ledger_buf *b, const uint8_t *p, size_t n,
    struct ledger_error *err)
{
	char hex[2 * 64 + 1];

	ledger_hex(p, n, hex);
	if (ledger_buf_addc(b, '"') || ledger_buf_add(b, hex, 2 * n) ||
	    ledger_buf_addc(b, '"'))
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return LEDGER_OK;
}

#define ADD(lit) do {							\
	if (ledger_buf_add(out, lit, sizeof(lit) - 1) != LEDGER_OK)	\
		goto nomem;						\
} while (0)
#define TRY(expr) do {							\
	if ((rc = (expr)) != LEDGER_OK)					\
		goto fail;						\
} while (0)

enum ledger_status
ledger_entry_encode(const struct ledger_entry *e, struct ledger_buf *out,
    struct ledger_error *err)
{
	enum ledger_status rc;
	char keyhex[9], num[32], tbuf[LEDGER_TIME_MAX];
	uint8_t kid[4];
	size_t start = out->len;
	int i, first;

	if (e->log == NULL || e->source[LEDGER_SRC_NAME] == NULL ||
	    e->source[LEDGER_SRC_TYPE] == NULL || e->payload_type == NULL ||
	    ledger_kind_name(e->kind) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "entry lacks a required field");
	if (e->seq >= (uint64_t)MAX_SAFE_INT ||
	    e->payload_size >= (uint64_t)MAX_SAFE_INT || e->time_ms < 0)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "entry number out of range");

	kid[0] = (uint8_t)(e->key_id >> 24);
	kid[1] = (uint8_t)(e->key_id >> 16);
	kid[2] = (uint8_t)(e->key_id >> 8);
	kid[3] = (uint8_t)e->key_id;
	ledger_hex(kid, 4, keyhex);

	ADD("{\"key\":\"");
	if (ledger_buf_add(out, keyhex, 8))
		goto nomem;
	ADD("\",\"kind\":\"");
	if (ledger_buf_adds(out, kind_names[e->kind]))
		goto nomem;
	ADD("\",\"log\":");
	TRY(add_str(out, e->log, err));
	ADD(",\"payload\":{\"sha256\":");
	TRY(add_hex(out, e->payload_sha256, LEDGER_HASH_BYTES, err));
	snprintf(num, sizeof(num), ",\"size\":%" PRIu64 ",\"type\":",
	    e->payload_size);
	if (ledger_buf_adds(out, num))
		goto nomem;
	TRY(add_str(out, e->payload_type, err));
	ADD("},\"prev\":");
	TRY(add_hex(out, e->prev, LEDGER_HASH_BYTES, err));
	snprintf(num, sizeof(num), ",\"seq\":%" PRIu64, e->seq);
	if (ledger_buf_adds(out, num))
		goto nomem;
	ADD(",\"source\":{");
	for (i = 0, first = 1; i < LEDGER_SRC_COUNT; i++) {
		if (e->source[i] == NULL)
			continue;
		if (!first && ledger_buf_addc(out, ','))
			goto nomem;
		first = 0;
		if (ledger_buf_addc(out, '"') ||
		    ledger_buf_adds(out, src_names[i]) ||
		    ledger_buf_add(out, "\":", 2))
			goto nomem;
		TRY(add_str(out, e->source[i], err));
	}
	ADD("},\"subject\":{");
	for (i = 0, first = 1; i < LEDGER_SUBJ_COUNT; i++) {
		if (e->subject[i] == NULL)
			continue;
		if (!first && ledger_buf_addc(out, ','))
			goto nomem;
		first = 0;
		if (ledger_buf_addc(out, '"') ||
		    ledger_buf_adds(out, subject_names[i]) ||
		    ledger_buf_add(out, "\":", 2))
			goto nomem;
		TRY(add_str(out, e->subject[i], err));
	}
	ledger_time_format(e->time_ms, tbuf);
	ADD("},\"time\":\"");
	if (ledger_buf_adds(out, tbuf))
		goto nomem;
	ADD("\",\"v\":1}");
	return LEDGER_OK;
nomem:
	rc = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
fail:
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return rc;
}

/* ---- decoding ---- */

static enum ledger_status
get_string(json_t *obj, const char *name, bool required, char **ret,
    struct ledger_error *err)
{
	json_t *v = json_object_get(obj, name);

	*ret = NULL;
	if (v == NULL) {
		if (required)
			return ledger_errorf(err, LEDGER_EINVAL,
			    "entry: missing '%s'", name);
		return LEDGER_OK;
	}
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "entry: '%s' is not a string", name);
	return ledger_strdup(json_string_value(v), ret, err);
}

static enum ledger_status
get_uint(json_t *obj, const char *name, uint64_t *ret,
    struct ledger_error *err)
{
	json_t *v = json_object_get(obj, name);
	double d;

	if (v == NULL || !json_is_real(v))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "entry: '%s' missing or not a number", name);
	d = json_real_value(v);
	if (!(d >= 0 && d < MAX_SAFE_INT) || floor(d) != d)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "entry: '%s' is not a whole number in range", name);
	*ret = (uint64_t)d;
	return LEDGER_OK;
}

static enum ledger_status
get_hex(json_t *obj, const char *name, uint8_t *out, size_t n,
    struct ledger_error *err)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL || !json_is_string(v) ||
	    ledger_unhex(json_string_value(v), out, n, NULL) != LEDGER_OK)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "entry: '%s' is not %zu bytes of hex", name, n);
	return LEDGER_OK;
}

/* Every member of obj must be one of the names; keeps decode strict. */
static enum ledger_status
only_members(json_t *obj, const char *what, const char *const *names,
    size_t n, struct ledger_error *err)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; i < n; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (i == n)
			return ledger_errorf(err, LEDGER_EINVAL,
			    "entry: unknown member '%.64s' in %s", key, what);
	}
	return LEDGER_OK;
}

enum ledger_status
ledger_entry_decode(const void *bytes, size_t len, struct ledger_entry *ret,
    struct ledger_error *err)
{
	static const char *const top[] = { "key", "kind", "log", "payload",
	    "prev", "seq", "source", "subject", "time", "v" };
	static const char *const pay[] = { "sha256", "size", "type" };
	struct ledger_entry e;
	struct ledger_buf re = LEDGER_BUF_INIT;
	enum ledger_status rc;
	json_t *root = NULL, *o;
	uint64_t v = 0;
	uint8_t kid[4];
	char *s = NULL;
	int i;

	memset(&e, 0, sizeof(e));
	memset(ret, 0, sizeof(*ret));
	TRY(ledger_json_parse(bytes, len, &root, err));
	if (!json_is_object(root)) {
		rc = ledger_errorf(err, LEDGER_EINVAL, "entry: not an object");
		goto fail;
	}
	TRY(only_members(root, "the entry", top, 10, err));
	TRY(get_uint(root, "v", &v, err));
	if (v != LEDGER_ENTRY_VERSION) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "entry: unsupported version %" PRIu64, v);
		goto fail;
	}
	TRY(get_uint(root, "seq", &e.seq, err));
	TRY(get_string(root, "log", true, &e.log, err));
	TRY(get_string(root, "kind", true, &s, err));
	TRY(ledger_kind_parse(s, &e.kind, err));
	free(s);
	s = NULL;
	TRY(get_string(root, "time", true, &s, err));
	TRY(ledger_time_parse(s, &e.time_ms, err));
	free(s);
	s = NULL;
	TRY(get_hex(root, "key", kid, 4, err));
	e.key_id = (uint32_t)kid[0] << 24 | (uint32_t)kid[1] << 16 |
	    (uint32_t)kid[2] << 8 | kid[3];
	TRY(get_hex(root, "prev", e.prev, LEDGER_HASH_BYTES, err));

	o = json_object_get(root, "payload");
	if (!json_is_object(o)) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "entry: 'payload' missing or not an object");
		goto fail;
	}
	TRY(only_members(o, "payload", pay, 3, err));
	TRY(get_hex(o, "sha256", e.payload_sha256, LEDGER_HASH_BYTES, err));
	TRY(get_uint(o, "size", &e.payload_size, err));
	TRY(get_string(o, "type", true, &e.payload_type, err));

	o = json_object_get(root, "source");
	if (!json_is_object(o)) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "entry: 'source' missing or not an object");
		goto fail;
	}
	TRY(only_members(o, "source", src_names, LEDGER_SRC_COUNT, err));
	for (i = 0; i < LEDGER_SRC_COUNT; i++)
		TRY(get_string(o, src_names[i],
		    i == LEDGER_SRC_NAME || i == LEDGER_SRC_TYPE,
		    &e.source[i], err));

	o = json_object_get(root, "subject");
	if (!json_is_object(o)) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "entry: 'subject' missing or not an object");
		goto fail;
	}
	TRY(only_members(o, "subject", subject_names, LEDGER_SUBJ_COUNT, err));
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		TRY(get_string(o, subject_names[i], false, &e.subject[i], err));

	/* Canonical form: re-encoding must give the same bytes back. */
	TRY(ledger_entry_encode(&e, &re, err));
	if (re.len != len || memcmp(re.data, bytes, len) != 0) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "entry: bytes are not in canonical form");
		goto fail;
	}
	ledger_buf_release(&re);
	json_decref(root);
	*ret = e;
	return LEDGER_OK;
fail:
	free(s);
	ledger_buf_release(&re);
	json_decref(root);
	ledger_entry_release(&e);
	return rc;
}
