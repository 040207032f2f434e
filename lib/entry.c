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
	"actor", "artifact", "commit", "environment", "pipeline", "run",
	"service", "status", "ticket", "url",
};

/* "commit" is an SQL keyword, so its column is commit_id. */
static const char *const subject_columns[LEDGER_SUBJ_COUNT] = {
	"actor", "artifact", "commit_id", "environment", "pipeline", "run",
	"service", "status", "ticket", "url",
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
static enum ledger_status
check_value(const char *what, const char *s, size_t len, size_t max,
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
	rc = check_value(subject_names[f], value, len,
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

/* ---- events ---- */

enum ledger_status
ledger_event_new(struct ledger_event **ret, struct ledger_error *err)
{
	struct ledger_event *ev;

	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	ev->e.kind = LEDGER_KIND_OTHER;
	*ret = ev;
	return LEDGER_OK;
}

void
ledger_event_free(struct ledger_event *ev)
{
	if (ev == NULL)
		return;
	ledger_entry_release(&ev->e);
	free(ev->payload_z);
	free(ev->headers);
	free(ev);
}

const uint8_t *
ledger_event_zpayload(const struct ledger_event *ev, size_t *ret_len)
{
	if (ev->payload_of != NULL)
		ev = ev->payload_of;
	*ret_len = ev->payload_zlen;
	return ev->payload_z;
}

enum ledger_status
ledger_event_set_source(struct ledger_event *ev, enum ledger_srcfield f,
    const char *value, struct ledger_error *err)
{
	enum ledger_status rc;
	char *copy;

	if ((unsigned)f >= LEDGER_SRC_COUNT)
		return ledger_errorf(err, LEDGER_EINVAL, "bad source field");
	if (value != NULL) {
		rc = check_value(src_names[f], value, strlen(value),
		    LEDGER_FIELD_MAX, err);
		if (rc != LEDGER_OK)
			return rc;
	}
	if ((rc = ledger_strdup(value, &copy, err)) != LEDGER_OK)
		return rc;
	free(ev->e.source[f]);
	ev->e.source[f] = copy;
	return LEDGER_OK;
}

enum ledger_status
ledger_event_set_subject(struct ledger_event *ev, enum ledger_subject f,
    const char *value, struct ledger_error *err)
{
	enum ledger_status rc;
	char *norm = NULL;

	if ((unsigned)f >= LEDGER_SUBJ_COUNT)
		return ledger_errorf(err, LEDGER_EINVAL, "bad subject field");
	if (value != NULL) {
		rc = ledger_subject_normalize(f, value, strlen(value), &norm,
		    err);
		if (rc != LEDGER_OK)
			return rc;
	}
	free(ev->e.subject[f]);
	ev->e.subject[f] = norm;
	return LEDGER_OK;
}

enum ledger_status
ledger_event_set_payload(struct ledger_event *ev, const void *data,
    size_t len, const char *type, struct ledger_error *err)
{
	enum ledger_status rc;
	uint8_t *z;
	size_t zlen;
	char *t;

	if (type == NULL || (data == NULL && len > 0))
		return ledger_errorf(err, LEDGER_EINVAL, "bad payload");
	rc = check_value("payload type", type, strlen(type), 255, err);
	if (rc != LEDGER_OK)
		return rc;
	if ((rc = ledger_payload_deflate(data, len, &z, &zlen, err)))
		return rc;
	if ((rc = ledger_strdup(type, &t, err)) != LEDGER_OK) {
		free(z);
		return rc;
	}
	ledger_sha256(data, len, ev->e.payload_sha256);
	ev->e.payload_size = len;
	free(ev->e.payload_type);
	ev->e.payload_type = t;
	free(ev->payload_z);
	ev->payload_z = z;
	ev->payload_zlen = zlen;
	return LEDGER_OK;
}

enum ledger_status
ledger_event_from_json(const char *body, size_t len, int default_kind,
    struct ledger_event **ret, struct ledger_error *err)
{
	static const char *const members[] = { "delivery", "event", "kind",
	    "payload", "subject" };
	struct ledger_event *ev = NULL;
	enum ledger_status rc;
	json_t *root = NULL, *v, *subj;
	const char *key;
	int f;

	TRY(ledger_json_parse(body, len, &root, err));
	if (!json_is_object(root)) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "event: the body must be a JSON object");
		goto fail;
	}
	json_object_foreach(root, key, v) {
		size_t i;

		for (i = 0; i < sizeof(members) / sizeof(*members); i++)
			if (strcmp(key, members[i]) == 0)
				break;
		if (i == sizeof(members) / sizeof(*members)) {
			rc = ledger_errorf(err, LEDGER_EINVAL,
			    "event: unknown member '%.64s' (want kind, subject, "
			    "event, delivery, payload)", key);
			goto fail;
		}
		if (strcmp(key, "payload") != 0 && strcmp(key, "subject") != 0 &&
		    (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v))) {
			rc = ledger_errorf(err, LEDGER_EINVAL,
			    "event: '%s' must be a string", key);
			goto fail;
		}
	}
	TRY(ledger_event_new(&ev, err));
	v = json_object_get(root, "kind");
	if (v == NULL && default_kind >= 0 && default_kind < LEDGER_KIND_COUNT)
		ev->e.kind = (enum ledger_kind)default_kind;
	else if (v == NULL) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "event: missing 'kind'");
		goto fail;
	} else
		TRY(ledger_kind_parse(json_string_value(v), &ev->e.kind, err));
	if ((v = json_object_get(root, "event")) != NULL)
		TRY(ledger_event_set_source(ev, LEDGER_SRC_EVENT,
		    json_string_value(v), err));
	if ((v = json_object_get(root, "delivery")) != NULL)
		TRY(ledger_event_set_source(ev, LEDGER_SRC_DELIVERY,
		    json_string_value(v), err));
	subj = json_object_get(root, "subject");
	if (subj != NULL && !json_is_object(subj)) {
		rc = ledger_errorf(err, LEDGER_EINVAL,
		    "event: 'subject' must be an object");
		goto fail;
	}
	json_object_foreach(subj, key, v) {
		if ((f = ledger_subject_lookup(key)) < 0) {
			rc = ledger_errorf(err, LEDGER_EINVAL,
			    "event: unknown subject field '%.64s' (want actor, "
			    "artifact, commit, environment, pipeline, run, "
			    "service, status, ticket, url)", key);
			goto fail;
		}
		if (!json_is_string(v)) {
			rc = ledger_errorf(err, LEDGER_EINVAL,
			    "event: subject '%s' must be a string", key);
			goto fail;
		}
		TRY(ledger_subject_normalize((enum ledger_subject)f,
		    json_string_value(v), json_string_length(v),
		    &ev->e.subject[f], err));
	}
	TRY(ledger_event_set_payload(ev, body, len, "application/json", err));
	json_decref(root);
	*ret = ev;
	return LEDGER_OK;
fail:
	json_decref(root);
	ledger_event_free(ev);
	return rc;
}

/* ---- payload compression ---- */

/*
 * compress2() allocates zlib's full state (a 32 KB window and 128 KB hash,
 * some 270 KB) for every call; glibc hands it back to the kernel at free
 * and the next call pays the page faults again, which made compression
 * most of the append path's CPU.  The window never needs to be larger than
 * the input, so the state is sized to the payload (window 2^9 .. 2^15).
 * And each thread keeps one stream per size, reset between payloads, since
 * a fresh state is cold memory on a busy thread: a 22.6 KB GitHub delivery
 * took 91 us to compress with a new state and 35 us with a reused one
 * (level 1, caches flushed between calls).  The output is an ordinary zlib
 * stream; inflate reads any window size from its header.
 */
#define ZCLASSES 7			/* window bits 9 .. 15 */

struct zcache {
	z_stream s[ZCLASSES];
	bool ready[ZCLASSES];
};

static pthread_key_t zcache_key;
static bool zcache_ok;
static pthread_once_t zcache_once = PTHREAD_ONCE_INIT;

static void
zcache_free(void *p)
{
	struct zcache *c = p;
	int i;

	for (i = 0; i < ZCLASSES; i++)
		if (c->ready[i])
			deflateEnd(&c->s[i]);
	free(c);
}

static void
zcache_init(void)
{
	zcache_ok = pthread_key_create(&zcache_key, zcache_free) == 0;
}

/* This thread's stream for a window size, reset; NULL if none can be had
 * (the caller then uses a stream of its own). */
static z_stream *
zcache_get(int wbits, int mem)
{
	struct zcache *c;
	int i = wbits - 9;

	if (pthread_once(&zcache_once, zcache_init) != 0 || !zcache_ok)
		return NULL;
	if ((c = pthread_getspecific(zcache_key)) == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return NULL;
		if (pthread_setspecific(zcache_key, c) != 0) {
			free(c);
			return NULL;
		}
	}
	if (c->ready[i])
		return deflateReset(&c->s[i]) == Z_OK ? &c->s[i] : NULL;
	if (deflateInit2(&c->s[i], Z_BEST_SPEED, Z_DEFLATED, wbits, mem,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	c->ready[i] = true;
	return &c->s[i];
}

enum ledger_status
ledger_payload_deflate(const void *data, size_t len, uint8_t **ret,
    size_t *ret_len, struct ledger_error *err)
{
	z_stream own, *s;
	uint8_t *z;
	uLong bound;
	int wbits = 9, mem, zr;

	if ((uint64_t)len > UINT32_MAX)
		return ledger_errorf(err, LEDGER_EINVAL, "payload too large");
	while (wbits < 15 && ((size_t)1 << wbits) < len)
		wbits++;
	mem = wbits <= 10 ? 5 : wbits <= 12 ? 6 : 8;
	if ((s = zcache_get(wbits, mem)) == NULL) {
		s = &own;
		memset(s, 0, sizeof(*s));
		if (deflateInit2(s, Z_BEST_SPEED, Z_DEFLATED, wbits, mem,
		    Z_DEFAULT_STRATEGY) != Z_OK)
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "compress payload");
	}
	bound = deflateBound(s, (uLong)len);
	if ((z = malloc(bound ? bound : 1)) == NULL) {
		if (s == &own)
			deflateEnd(s);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	s->next_in = (Bytef *)(uintptr_t)data;
	s->avail_in = (uInt)len;
	s->next_out = z;
	s->avail_out = (uInt)bound;
	zr = deflate(s, Z_FINISH);
	*ret_len = s->total_out;
	s->next_in = NULL;	/* keep no pointer to the caller's data */
	s->next_out = NULL;
	if (s == &own)
		deflateEnd(s);
	if (zr != Z_STREAM_END) {
		free(z);
		return ledger_errorf(err, LEDGER_ENOMEM, "compress payload");
	}
	*ret = z;
	return LEDGER_OK;
}

enum ledger_status
ledger_payload_inflate(const void *z, size_t zlen, size_t max_len,
    uint8_t **ret, size_t *ret_len, struct ledger_error *err)
{
	z_stream s;
	uint8_t *out = NULL, *p;
	size_t cap = 0;
	int zr;

	memset(&s, 0, sizeof(s));
	if (inflateInit(&s) != Z_OK)
		return ledger_errorf(err, LEDGER_ENOMEM, "inflate init");
	s.next_in = (Bytef *)(uintptr_t)z;
	s.avail_in = (uInt)zlen;
	do {
		if (s.total_out >= cap) {
			if (cap > max_len) {
				zr = Z_BUF_ERROR;
				break;
			}
			cap = cap ? cap * 2 : (zlen * 4 + 64);
			if (cap > max_len + 1)
				cap = max_len + 1;
			if ((p = realloc(out, cap + 1)) == NULL) {
				free(out);
				inflateEnd(&s);
				return ledger_errorf(err, LEDGER_ENOMEM,
				    "out of memory");
			}
			out = p;
		}
		s.next_out = out + s.total_out;
		s.avail_out = (uInt)(cap - s.total_out);
		zr = inflate(&s, Z_NO_FLUSH);
	} while (zr == Z_OK);
	if (zr != Z_STREAM_END || s.avail_in != 0 || s.total_out > max_len) {
		free(out);
		inflateEnd(&s);
		return ledger_errorf(err, LEDGER_EINVAL,
		    "stored payload is corrupt or too large");
	}
	*ret_len = s.total_out;
	inflateEnd(&s);
	if (out == NULL && (out = malloc(1)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	out[*ret_len] = '\0';
	*ret = out;
	return LEDGER_OK;
}
