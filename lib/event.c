/*
 * event.c - events as sources build them (fields, payload, the generic
 * JSON document), and payload compression
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

#define TRY(expr) do {							\
	if ((rc = (expr)) != LEDGER_OK)					\
		goto fail;						\
} while (0)

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
		rc = ledger_check_value(ledger_srcfield_name(f), value, strlen(value),
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
	rc = ledger_check_value("payload type", type, strlen(type), 255, err);
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
