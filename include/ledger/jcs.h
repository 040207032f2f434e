/*
 * ledger/jcs.h - strict JSON parsing and RFC 8785 (JCS) canonical form
 *
 * Entries are hashed and signed as RFC 8785 canonical JSON.  This module is
 * the one place that turns untrusted JSON text into a tree (rejecting what
 * RFC 8785 / I-JSON forbids) and a tree into canonical bytes.
 *
 * Trees are jansson json_t values.  Numbers are always parsed as IEEE 754
 * doubles (JSON_REAL), as RFC 8785 requires; integers in a tree built by
 * hand (JSON_INTEGER) are serialized exactly when |v| <= 2^53 and refused
 * otherwise.
 */
#ifndef LEDGER_JCS_H
#define LEDGER_JCS_H

#include <stddef.h>
#include <jansson.h>

#include "ledger/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Deepest nesting of arrays/objects accepted by ledger_json_parse. */
#define LEDGER_JSON_MAX_DEPTH 64

/* Enough for any number ledger_jcs_format_number writes, with its NUL. */
#define LEDGER_JCS_NUMBER_MAX 32

/*
 * Parse len bytes of JSON text (not NUL-terminated, may contain NUL only
 * as an error) into a tree.  Rejects, with LEDGER_EINVAL and a message that
 * says what and where (line, column): malformed JSON, trailing data, invalid
 * UTF-8, lone or misordered UTF-16 surrogate escapes, duplicate object keys
 * (after unescaping), numbers outside the IEEE double range (e.g. 1e400),
 * nesting deeper than LEDGER_JSON_MAX_DEPTH.  "\u0000" in strings and keys
 * is accepted.  All numbers become JSON_REAL.
 * On success stores a new reference in *ret (release with json_decref).
 * Errors: LEDGER_EINVAL, LEDGER_ENOMEM.
 */
enum ledger_status ledger_json_parse(const char *buf, size_t len,
    json_t **ret, struct ledger_error *err) LEDGER_WUR;

/*
 * Serialize v in RFC 8785 canonical form: no whitespace, object members
 * sorted by their names' UTF-16 code units, strings escaped exactly as
 * RFC 8785 section 3.2.2.2 says, numbers as ECMAScript Number.toString.
 * On success stores a malloc'd buffer in *ret_buf (NUL-terminated for
 * convenience; the caller frees it with free(3)) and its length, without
 * the NUL, in *ret_len.
 * Errors: LEDGER_EINVAL (NaN/Infinity, integer beyond 2^53, string not
 * valid UTF-8), LEDGER_ENOMEM.
 */
enum ledger_status ledger_jcs_encode(const json_t *v, char **ret_buf,
    size_t *ret_len, struct ledger_error *err) LEDGER_WUR;

/* ledger_json_parse then ledger_jcs_encode; same ownership and errors. */
enum ledger_status ledger_jcs_canonicalize(const char *buf, size_t len,
    char **ret_buf, size_t *ret_len, struct ledger_error *err) LEDGER_WUR;

/*
 * Write d as ECMAScript's Number::toString(d) would (shortest digits that
 * round-trip, exponent form below 1e-6 and from 1e21, "-0" as "0") into
 * out, NUL-terminated, and return the length.
 * Errors: LEDGER_EINVAL if d is NaN or infinite (out is then "").
 */
enum ledger_status ledger_jcs_format_number(double d,
    char out[LEDGER_JCS_NUMBER_MAX], size_t *ret_len,
    struct ledger_error *err) LEDGER_WUR;

/*
 * Append the RFC 8785 string form of s (len bytes of UTF-8, quotes
 * included) to the growable buffer.  Used by the entry encoder, which
 * writes canonical bytes directly.  Errors: LEDGER_EINVAL (invalid UTF-8),
 * LEDGER_ENOMEM.
 */
struct ledger_buf;
enum ledger_status ledger_jcs_append_string(struct ledger_buf *b,
    const char *s, size_t len, struct ledger_error *err) LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_JCS_H */
