/*
 * ledger/entry.h - events, entries and their canonical bytes
 *
 * An event is what a source hands to the log: a kind, where it came from,
 * normalized subject fields and the raw payload bytes.  Sequencing turns it
 * into an entry: the event plus log (origin), seq, time, key and prev.  The
 * entry's RFC 8785 canonical JSON is what is hashed and signed; the exact
 * byte layout is specified in docs/FORMAT.md.
 *
 *   leaf hash  = SHA-256(0x00 || entry bytes)                (RFC 6962)
 *   prev       = leaf hash of seq - 1, 32 zero bytes for seq 0
 *   signature  = Ed25519("ledgerd/entry/v1\n" || leaf hash)
 */
#ifndef LEDGER_ENTRY_H
#define LEDGER_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/buf.h"
#include "ledger/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LEDGER_HASH_BYTES 32
#define LEDGER_SIG_BYTES 64
#define LEDGER_ENTRY_VERSION 1
/* The domain-separation prefix signed before the leaf hash. */
#define LEDGER_ENTRY_SIG_PREFIX "ledgerd/entry/v1\n"

/* Longest accepted value of a subject or source field, in bytes. */
#define LEDGER_FIELD_MAX 1024
/* Longest accepted url field, in bytes. */
#define LEDGER_URL_MAX 4096

/* The closed vocabulary of kinds, aligned with CDEvents. */
enum ledger_kind {
	LEDGER_KIND_BUILD,
	LEDGER_KIND_TEST,
	LEDGER_KIND_SCAN,
	LEDGER_KIND_ARTIFACT,
	LEDGER_KIND_APPROVAL,
	LEDGER_KIND_DEPLOYMENT,
	LEDGER_KIND_ROLLBACK,
	LEDGER_KIND_CHANGE,
	LEDGER_KIND_INCIDENT,
	LEDGER_KIND_LEDGER,
	LEDGER_KIND_OTHER,
	LEDGER_KIND_COUNT
};

/* Normalized subject fields, in canonical (sorted) order. */
enum ledger_subject {
	LEDGER_SUBJ_ACTOR,
	LEDGER_SUBJ_ARTIFACT,
	LEDGER_SUBJ_COMMIT,
	LEDGER_SUBJ_DEPLOYMENT,	/* the source's id of one deployment
				   across its statuses (schema 7) */
	LEDGER_SUBJ_ENVIRONMENT,
	LEDGER_SUBJ_PIPELINE,
	LEDGER_SUBJ_RUN,
	LEDGER_SUBJ_SERVICE,
	LEDGER_SUBJ_STATUS,
	LEDGER_SUBJ_SUMMARY,	/* a report's counts, "critical=0,high=2,..."
				   (schema 11, docs/reports.md) */
	LEDGER_SUBJ_TICKET,
	LEDGER_SUBJ_TOOL,	/* the tool that wrote a report, its version */
	LEDGER_SUBJ_TOOL_VERSION,
	LEDGER_SUBJ_URL,
	LEDGER_SUBJ_COUNT
};

/* Source fields other than the required name and type, sorted. */
enum ledger_srcfield {
	LEDGER_SRC_AUTH,
	LEDGER_SRC_DELIVERY,
	LEDGER_SRC_EVENT,
	LEDGER_SRC_NAME,
	LEDGER_SRC_TYPE,
	LEDGER_SRC_COUNT
};

/*
 * An entry, decoded.  Every string is owned by the struct (malloc'd, NUL
 * free UTF-8) and NULL when the field is absent; release with
 * ledger_entry_release.  source[LEDGER_SRC_NAME] and [LEDGER_SRC_TYPE] and
 * payload_type are required in an encoded entry.
 */
struct ledger_entry {
	uint64_t seq;
	int64_t time_ms;		/* ms since the Unix epoch, UTC */
	enum ledger_kind kind;
	char *log;			/* the log's origin */
	char *source[LEDGER_SRC_COUNT];
	char *subject[LEDGER_SUBJ_COUNT];
	uint8_t payload_sha256[LEDGER_HASH_BYTES];
	uint64_t payload_size;
	char *payload_type;
	uint32_t key_id;
	uint8_t prev[LEDGER_HASH_BYTES];
};

/* Free every string and zero the struct.  NULL-safe. */
void ledger_entry_release(struct ledger_entry *e);

/* "build", "test", ...; NULL for an out-of-range value. */
const char *ledger_kind_name(enum ledger_kind k);
/* Parse a kind name.  Errors: LEDGER_EINVAL (unknown kind; the message
 * lists the vocabulary). */
enum ledger_status ledger_kind_parse(const char *s, enum ledger_kind *ret,
    struct ledger_error *err) LEDGER_WUR;
/* "actor", "artifact", ... and their storage column names. */
const char *ledger_subject_name(enum ledger_subject f);
const char *ledger_subject_column(enum ledger_subject f);
/* Look a subject field up by its JSON name; -1 if unknown. */
int ledger_subject_lookup(const char *name);
const char *ledger_srcfield_name(enum ledger_srcfield f);

/*
 * Normalize and check one subject value: trims surrounding white space,
 * lowercases environment, status and hex commit ids, writes a digest given
 * as "sha256:HEX" in lower case.  Refuses empty values, control
 * characters, invalid UTF-8 and values longer than LEDGER_FIELD_MAX
 * (LEDGER_URL_MAX for url).  On success stores a malloc'd string in *ret.
 * Errors: LEDGER_EINVAL, LEDGER_ENOMEM.
 */
enum ledger_status ledger_subject_normalize(enum ledger_subject f,
    const char *value, size_t len, char **ret, struct ledger_error *err)
    LEDGER_WUR;

/*
 * Append the canonical bytes of e to out (which is not reset).  The
 * encoder writes RFC 8785 directly, in the fixed key order of the envelope,
 * without building a JSON tree; tests check it against ledger_jcs_encode.
 * Errors: LEDGER_EINVAL (a required field missing, a string not valid
 * UTF-8), LEDGER_ENOMEM.
 */
enum ledger_status ledger_entry_encode(const struct ledger_entry *e,
    struct ledger_buf *out, struct ledger_error *err) LEDGER_WUR;

/*
 * Decode entry bytes into *ret (caller-allocated; release with
 * ledger_entry_release).  Strict: the bytes must be exactly the canonical
 * encoding of a valid version-1 entry (no unknown or missing members,
 * right types, canonical form), so decode(bytes) re-encodes to bytes.
 * Errors: LEDGER_EINVAL, LEDGER_ENOMEM.  *ret is zeroed on failure.
 */
enum ledger_status ledger_entry_decode(const void *bytes, size_t len,
    struct ledger_entry *ret, struct ledger_error *err) LEDGER_WUR;

/* SHA-256(0x00 || bytes), the RFC 6962 leaf hash. */
void ledger_leaf_hash(const void *bytes, size_t len,
    uint8_t out[LEDGER_HASH_BYTES]);

/* Format ms since the epoch as RFC 3339 UTC with milliseconds,
 * "2026-11-22T10:00:00.123Z" (24 bytes + NUL). */
#define LEDGER_TIME_MAX 32
void ledger_time_format(int64_t ms, char out[LEDGER_TIME_MAX]);
/* Parse exactly that form.  Errors: LEDGER_EINVAL. */
enum ledger_status ledger_time_parse(const char *s, int64_t *ret_ms,
    struct ledger_error *err) LEDGER_WUR;
/* The wall clock in ms since the epoch. */
int64_t ledger_now_ms(void);

/*
 * Replace the clock ledger_now_ms reads, for this process (NULL: the wall
 * clock again).  For benchmarks and tests that build a year of history in
 * a minute (bench/bench-answers.c); ledgerd and ledgerctl never call it.
 * Entry times still never decrease: the append path takes the later of
 * this clock and the last entry's time.  Not thread-safe against appends
 * in flight: set it before appending.
 */
void ledger_set_clock(int64_t (*now_ms)(void));

/*
 * An event waiting to be appended: an entry without its sequencing fields
 * (seq, time, log, key, prev are filled by the store), plus the raw payload
 * compressed and hashed up front, so that request threads do that work and
 * the sequencer does not.  Heap object: ledger_event_new/_free.
 */
struct ledger_event {
	struct ledger_entry e;		/* kind, source, subject, payload_* */
	uint8_t *payload_z;		/* zlib-compressed payload */
	size_t payload_zlen;
	char *headers;			/* NULL, or a JSON object: the headers
					   the sender authenticated the
					   delivery with, stored beside the
					   payload (ledger/source.h) */
	const struct ledger_event *payload_of;	/* NULL, or an event of
					   the same delivery whose payload_z
					   this one shares (payload_z is then
					   NULL); it must outlive this one */
	bool dedupe_body;		/* an earlier entry of the same source
					   with the same body, kind, event and
					   subject is this event replayed: the
					   store returns its receipt (set for
					   webhook events; see lib/lookup.h) */
};

/* The compressed payload of ev: its own, or the one it shares. */
const uint8_t *ledger_event_zpayload(const struct ledger_event *ev,
    size_t *ret_len);

/* Stores a new empty event (kind other, no fields) in *ret; free it with
 * ledger_event_free.  Errors: LEDGER_ENOMEM. */
enum ledger_status ledger_event_new(struct ledger_event **ret,
    struct ledger_error *err) LEDGER_WUR;
/* NULL-safe. */
void ledger_event_free(struct ledger_event *ev);

/* Set a source field (copied; NULL clears it).  Values must be non-empty
 * valid UTF-8 without control characters, at most LEDGER_FIELD_MAX bytes.
 * Errors: LEDGER_EINVAL, LEDGER_ENOMEM. */
enum ledger_status ledger_event_set_source(struct ledger_event *ev,
    enum ledger_srcfield f, const char *value, struct ledger_error *err)
    LEDGER_WUR;
/* Normalize (ledger_subject_normalize) and set a subject field; NULL
 * clears it.  Errors: LEDGER_EINVAL, LEDGER_ENOMEM. */
enum ledger_status ledger_event_set_subject(struct ledger_event *ev,
    enum ledger_subject f, const char *value, struct ledger_error *err)
    LEDGER_WUR;
/* Hash and compress len raw bytes as the payload, of media type type
 * (e.g. "application/json").  Errors: LEDGER_EINVAL, LEDGER_ENOMEM. */
enum ledger_status ledger_event_set_payload(struct ledger_event *ev,
    const void *data, size_t len, const char *type,
    struct ledger_error *err) LEDGER_WUR;

/*
 * Build an event from a generic event document (the body of POST
 * /v1/events and of ledgerctl append):
 *
 *   {"kind": "deployment",                     required, the vocabulary
 *    "event": "deploy.finished",               optional source event name
 *    "delivery": "id",                         optional idempotency key
 *    "subject": {"environment": "prod", ...},  optional, known fields only
 *    "payload": <any JSON>}                    optional, kept in the body
 *
 * Unknown members are refused, so a typo cannot silently drop a field.
 * default_kind is used when the document has no "kind" (pass -1 to make
 * "kind" required).
 * The whole body (len bytes exactly as received) becomes the payload, of
 * type "application/json".  source name/type/auth are the caller's to set.
 * On success stores a new event in *ret (ledger_event_free).
 * Errors: LEDGER_EINVAL (with what and where), LEDGER_ENOMEM.
 */
enum ledger_status ledger_event_from_json(const char *body, size_t len,
    int default_kind, struct ledger_event **ret, struct ledger_error *err)
    LEDGER_WUR;

/*
 * Parse a timestamp in any of the forms sources and people use, into ms
 * since the epoch: RFC 3339 with 'Z' or an offset and any fraction
 * ("2026-11-22T10:00:00.123+01:00"), "2019-05-15 15:20:41 UTC", a date
 * "2026-11-22" (midnight UTC), or a decimal count of epoch seconds (up to
 * 11 digits) or milliseconds (12 to 14 digits).
 * Errors: LEDGER_EINVAL.
 */
enum ledger_status ledger_time_parse_any(const char *s, int64_t *ret_ms,
    struct ledger_error *err) LEDGER_WUR;

/* Compress/decompress a payload with zlib.  inflate refuses output larger
 * than max_len.  *ret is malloc'd (free(3)).  Errors: LEDGER_EINVAL
 * (corrupt data, too large), LEDGER_ENOMEM. */
enum ledger_status ledger_payload_deflate(const void *data, size_t len,
    uint8_t **ret, size_t *ret_len, struct ledger_error *err) LEDGER_WUR;
enum ledger_status ledger_payload_inflate(const void *z, size_t zlen,
    size_t max_len, uint8_t **ret, size_t *ret_len,
    struct ledger_error *err) LEDGER_WUR;

/*
 * Decode one strict UTF-8 sequence from the n bytes at s: no overlong
 * forms, no UTF-16 surrogates, nothing above U+10FFFF, nothing truncated
 * (table 3-7 of the Unicode standard; Go's utf8.DecodeRune).  Returns its
 * length and stores the code point in *cp (cp may be NULL), or returns 0
 * if the bytes at s are not one.  The one UTF-8 decoder of the project.
 */
size_t ledger_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Standard base64 (with padding) of a hash: 44 characters and a NUL. */
#define LEDGER_B64_HASH_SIZE 45
void ledger_b64_hash(const uint8_t h[LEDGER_HASH_BYTES],
    char out[LEDGER_B64_HASH_SIZE]);

/*
 * Decode base64 from the len characters at s into at most max bytes at
 * out; returns the length, or -1 if malformed or too long.  strict: only
 * the standard alphabet with padding and unused bits zero (signatures,
 * notes, CloudEvents data_base64); otherwise also URL-safe and unpadded
 * (secrets, DSSE).
 */
long ledger_b64_decode(const char *s, size_t len, uint8_t *out, size_t max,
    bool strict);

/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void ledger_hex(const uint8_t *in, size_t n, char *out);
/* Parse exactly 2n lower- or upper-case hex digits.  Errors: LEDGER_EINVAL. */
enum ledger_status ledger_unhex(const char *s, uint8_t *out, size_t n,
    struct ledger_error *err) LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_ENTRY_H */
