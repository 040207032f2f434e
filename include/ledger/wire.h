/*
 * ledger/wire.h - the JSON the API speaks and its clients read
 *
 * Receipts, signed entries (rows) and proofs are produced and parsed here
 * only: ledgerd writes them, ledgerctl --url (and any client built on
 * this library) reads them back with the same rules.  Hashes in proofs
 * are canonical base64 (RFC 4648, padded), in receipts and rows hex.
 */
#ifndef LEDGER_WIRE_H
#define LEDGER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ledger/buf.h"
#include "ledger/entry.h"
#include "ledger/error.h"
#include "ledger/merkle.h"
#include "ledger/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A receipt (POST /v1/events and /v1/hooks answers):
 *	{"seq":N,"time":RFC3339,"leaf_hash":HEX,"signature":HEX,
 *	 "key_id":HEX8,"log":ORIGIN,"duplicate":BOOL}
 * Errors: LEDGER_ENOMEM.
 */
enum ledger_status ledger_receipt_json(struct ledger_buf *out,
    const struct ledger_receipt *rc, const char *origin) LEDGER_WUR;
/* Read one back.  Errors: LEDGER_EINVAL (a member missing or
 * malformed). */
enum ledger_status ledger_receipt_parse(const json_t *o,
    struct ledger_receipt *ret, struct ledger_error *err) LEDGER_WUR;

/*
 * Append the JSON object that stands for one signed entry everywhere
 * (GET /v1/events, GET /v1/events/{seq}, ledgerctl events --json and show
 * --json):
 *
 *	{"seq":N,"entry":{...},"leaf_hash":HEX,"signature":HEX,
 *	 "key_id":HEX8,"payload":{"sha256":HEX,"size":N,"type":S}}
 *
 * The entry is the exact signed bytes.  stored >= 0 adds
 * "stored":true|false to "payload"; headers (a JSON object, as
 * ledger_store_get_headers gives it; NULL: none) adds "headers".
 * Errors: LEDGER_ENOMEM.
 */
enum ledger_status ledger_row_json(uint64_t seq, const uint8_t *entry,
    size_t entry_len, const uint8_t sig[LEDGER_SIG_BYTES],
    const struct ledger_entry *e, int stored, const char *headers,
    struct ledger_buf *out) LEDGER_WUR;

/*
 * A row back from its JSON: the entry re-canonicalized (RFC 8785) to its
 * signed bytes, the signature, the seq; the columns decoded from the
 * bytes (zeroed when they do not decode: a verifier then reports the
 * entry as modified).  Errors: LEDGER_EINVAL (not a row: the entry not an
 * object, no seq or signature), LEDGER_ENOMEM.
 */
enum ledger_status ledger_row_parse(const json_t *item,
    struct ledger_row *ret, struct ledger_error *err) LEDGER_WUR;

/*
 * Proofs (GET /v1/proof/inclusion and /v1/proof/consistency):
 *	{"leaf_index":I,"tree_size":N,"leaf_hash":B64,"audit_path":[B64...]}
 *	{"first":M,"second":N,"consistency":[B64...]}
 * Errors: LEDGER_ENOMEM.
 */
enum ledger_status ledger_inclusion_json(struct ledger_buf *out,
    uint64_t index, uint64_t size, const uint8_t leaf[LEDGER_HASH_BYTES],
    const uint8_t (*proof)[LEDGER_HASH_BYTES], size_t count) LEDGER_WUR;
enum ledger_status ledger_consistency_json(struct ledger_buf *out,
    uint64_t m, uint64_t n, const uint8_t (*proof)[LEDGER_HASH_BYTES],
    size_t count) LEDGER_WUR;

/*
 * Read a proof back, refusing one that is about other sizes than asked
 * (index and size; m and n), a hash that is not canonical base64 of 32
 * bytes, or more hashes than a proof can hold.  ret_leaf: the leaf hash
 * the prover says it proved.  Errors: LEDGER_EINVAL, with what is wrong.
 */
enum ledger_status ledger_inclusion_parse(const json_t *doc, uint64_t index,
    uint64_t size, uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, uint8_t ret_leaf[LEDGER_HASH_BYTES],
    struct ledger_error *err) LEDGER_WUR;
enum ledger_status ledger_consistency_parse(const json_t *doc, uint64_t m,
    uint64_t n, uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err) LEDGER_WUR;

/* ,"name":"value" (escaped per RFC 8785) when value is not NULL.
 * Errors: LEDGER_ENOMEM. */
enum ledger_status ledger_json_member(struct ledger_buf *out,
    const char *name, const char *value) LEDGER_WUR;

/*
 * An entry as the answers show it: writes '{' and "seq", "time", "kind",
 * "source", "event", "machine" (the identity of the sender's client
 * certificate, ledger/identity.h) and every subject field present, "status" in the
 * vocabulary of ledger/status.h with the word the source sent as
 * "source_status" when it differs; the caller adds its own members and
 * the closing '}'.  Errors: LEDGER_ENOMEM.
 */
enum ledger_status ledger_entry_brief_open(struct ledger_buf *out,
    const struct ledger_entry *e) LEDGER_WUR;

/* Canonical base64 of a SHA-256 hash (one spelling per hash) into out;
 * false if s is not one. */
bool ledger_b64_hash_parse(const char *s, uint8_t out[LEDGER_HASH_BYTES]);

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_WIRE_H */
