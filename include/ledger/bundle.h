/*
 * ledger/bundle.h - evidence that leaves the building: a set of entries
 * with everything needed to check them offline, months later, with the
 * log's public key alone (docs/FORMAT.md "Bundles").
 *
 * A bundle is one gzip-compressed RFC 8785 JSON document:
 *
 *   {"checkpoint": "<signed note covering every entry>",
 *    "entries": [{"entry": "<base64 canonical bytes>", "inclusion":
 *      ["<base64 hash>", ...], "key_id": "<hex8>", "payload": "<base64>",
 *      "seq": N, "signature": "<hex>"}, ...],
 *    "format": "ledgerd-bundle/v1",
 *    "keys": [{"from_seq": 0, "key_id": "<hex8>", "revoked_from_seq":
 *      null, "until_seq": null, "vkey": "<verifier key line>"}],
 *    "older_checkpoints": [{"checkpoint": "<note>", "consistency":
 *      ["<base64 hash>", ...]}],
 *    "origin": "<log origin>"}
 *
 * written member by member (no entry is held longer than its own row), so
 * a population of any size streams.  The verifier requires exactly that
 * canonical text: any byte changed anywhere either breaks the JSON, its
 * canonical form, or a signature, hash or proof.
 */
#ifndef LEDGER_BUNDLE_H
#define LEDGER_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/error.h"
#include "ledger/keys.h"
#include "ledger/query.h"
#include "ledger/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LEDGER_BUNDLE_FORMAT "ledgerd-bundle/v1"
/* Most bytes a bundle may hold uncompressed (the verifier's limit). */
#define LEDGER_BUNDLE_MAX ((size_t)2 << 30)

struct ledger_bundle_stats {
	uint64_t entries;
	uint64_t payloads;
	uint64_t bytes;			/* uncompressed */
	uint64_t entry_bytes;		/* the entries' canonical bytes */
	uint64_t checkpoint_size;
	uint64_t pruned;		/* entries whose payload was pruned
					   ("payload_pruned": true) */
};

/* What a bundle carries beside its entries. */
struct ledger_bundle_opts {
	bool payloads;			/* the raw payloads */
	const uint64_t *older;		/* sizes of stored checkpoints to
					   include, each with its consistency
					   proof to the newest (a population's
					   bracketing checkpoints) */
	size_t nolder;
	/* Called every 1,000 entries written (may be NULL); non-zero stops:
	 * LEDGER_ECANCELED, and no file is left. */
	int (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

/*
 * Write the bundle of the entries seqs[0..n) (ascending, no repeats) of
 * store s to path (created, 0644, never over an existing file), as o says
 * (NULL: entries only).  The newest signed checkpoint must cover the last
 * entry.  *stats (may be NULL) gets what was written.
 * Errors: LEDGER_EINVAL (seqs not ascending, empty), LEDGER_ENOTFOUND (no
 * such entry, no checkpoint covers it yet: the message says so),
 * LEDGER_EEXIST, LEDGER_EIO, LEDGER_EDB, LEDGER_ENOMEM.  On an error the
 * file is removed.
 */
enum ledger_status ledger_bundle_write(struct ledger_store *s,
    const uint64_t *seqs, size_t n, const struct ledger_bundle_opts *o,
    const char *path,
    struct ledger_bundle_stats *stats, struct ledger_error *err)
    LEDGER_WUR;

/* A source's listing: the rows of q, each to fn (a store's
 * ledger_store_query; ledgerctl --url asks a daemon). */
typedef enum ledger_status (*ledger_bundle_query_fn)(void *ctx,
    const struct ledger_query *q,
    int (*fn)(void *fctx, const struct ledger_row *row), void *fctx,
    struct ledger_error *err);

/*
 * Add to seqs (not empty) what a bundle of them needs beside them, from
 * the listing query(ctx): every key record (the verifier proves the key
 * history through them, docs/FORMAT.md "Bundles") and, with payloads,
 * the payloads-pruned records after the lowest seq (each vouches for the
 * payloads it pruned) -- those below seq below (the bundle's checkpoint
 * size: a record it does not cover yet cannot be proven, and what it
 * covers needs none after it); then sort and drop repeats.  Errors: the
 * listing's, LEDGER_ENOMEM.
 */
enum ledger_status ledger_bundle_add_records(struct ledger_seqs *seqs,
    bool payloads, uint64_t below, ledger_bundle_query_fn query, void *ctx,
    struct ledger_error *err) LEDGER_WUR;

/*
 * The bundle of the store's entries seqs (any order, repeats allowed; the
 * records ledger_bundle_add_records adds, below the newest checkpoint, are
 * added to seqs) written to fd as ledger_bundle_write_fd does.  Errors:
 * theirs.
 */
enum ledger_status ledger_bundle_write_seqs(struct ledger_store *s,
    struct ledger_seqs *seqs, const struct ledger_bundle_opts *o, int fd,
    struct ledger_bundle_stats *stats, struct ledger_error *err) LEDGER_WUR;

/* ledger_bundle_query_fn for a store (ctx). */
enum ledger_status ledger_bundle_store_query(void *ctx,
    const struct ledger_query *q,
    int (*fn)(void *fctx, const struct ledger_row *row), void *fctx,
    struct ledger_error *err) LEDGER_WUR;

/*
 * The same bundle written to fd (a file open for writing, left open at
 * the bundle's end; not fsync'd: a file to send, not to keep).  Nothing
 * is written when the seqs or the checkpoint are refused.  Errors: as
 * ledger_bundle_write; on an error fd holds a partial bundle.
 */
enum ledger_status ledger_bundle_write_fd(struct ledger_store *s,
    const uint64_t *seqs, size_t n, const struct ledger_bundle_opts *o,
    int fd, struct ledger_bundle_stats *stats, struct ledger_error *err)
    LEDGER_WUR;

/*
 * Where a bundle's contents come from: a store (ledger_bundle_write) or,
 * for ledgerctl --url, a daemon's API.  Each call returns what it was
 * asked or an error; the writer checks nothing the verifier does not.
 */
struct ledger_keyhist;
struct ledger_bundle_source {
	void *ctx;
	const char *origin;
	const struct ledger_vkey *vkey;	/* the log's key */
	/* The newest checkpoint (latest) or the one of size: its note,
	 * malloc'd (free(3)), and its size. */
	enum ledger_status (*checkpoint)(void *ctx, bool latest, uint64_t size,
	    char **note, size_t *note_len, uint64_t *ret_size,
	    struct ledger_error *err);
	/* Entry seq's bytes and signature (row->e need not be filled). */
	enum ledger_status (*entry)(void *ctx, uint64_t seq,
	    struct ledger_row *row, struct ledger_error *err);
	enum ledger_status (*inclusion)(void *ctx, uint64_t seq, uint64_t size,
	    uint8_t (*path)[LEDGER_HASH_BYTES], size_t *n,
	    struct ledger_error *err);
	enum ledger_status (*consistency)(void *ctx, uint64_t m, uint64_t n,
	    uint8_t (*path)[LEDGER_HASH_BYTES], size_t *count,
	    struct ledger_error *err);
	/* The raw payload, malloc'd (free(3)). */
	enum ledger_status (*payload)(void *ctx, uint64_t seq, uint8_t **ret,
	    size_t *len, struct ledger_error *err);
	/* The log's key history (ledger/keyhist.h), for "keys"; NULL: the
	 * one key vkey, never rotated. */
	const struct ledger_keyhist *hist;
};

/* ledger_bundle_write from any source. */
enum ledger_status ledger_bundle_write_from(
    const struct ledger_bundle_source *src, const uint64_t *seqs, size_t n,
    const struct ledger_bundle_opts *o, const char *path,
    struct ledger_bundle_stats *stats, struct ledger_error *err)
    LEDGER_WUR;

/* One verdict of ledger_bundle_verify. */
struct ledger_bundle_verdict {
	int64_t seq;			/* -1: the bundle as a whole */
	bool ok;
	const char *problem;		/* NULL when ok */
};

/*
 * Check the bundle at path offline against the trusted keys (the log's
 * verifier key lines): canonical text, format, origin, key history, the
 * checkpoint's signature, each older checkpoint's signature and its
 * consistency with the checkpoint, and per entry: its bytes decode as
 * entry seq of this log, its key is in the history and valid at seq (and
 * trusted), its signature, its inclusion proof to the checkpoint, its
 * payload's hash and size when present, and prev against the entry before
 * when both are present.  fn gets every entry's verdict (in seq order)
 * and the bundle's own problems (seq -1); *ret_bad the number of
 * problems.  Returns LEDGER_OK when the bundle could be read at all.
 * Errors: LEDGER_ENOTFOUND, LEDGER_EIO, LEDGER_EINVAL (not a gzip file,
 * not JSON, too large), LEDGER_ENOMEM.
 */
enum ledger_status ledger_bundle_verify(const char *path,
    const struct ledger_vkey *keys, size_t nkeys,
    void (*fn)(void *ctx, const struct ledger_bundle_verdict *v), void *ctx,
    uint64_t *ret_entries, uint64_t *ret_bad, struct ledger_error *err)
    LEDGER_WUR;

/* The same checks on the uncompressed text (len bytes) of a bundle.
 * Errors: LEDGER_EINVAL (not JSON), LEDGER_ENOMEM. */
enum ledger_status ledger_bundle_verify_text(const char *text, size_t len,
    const struct ledger_vkey *keys, size_t nkeys,
    void (*fn)(void *ctx, const struct ledger_bundle_verdict *v), void *ctx,
    uint64_t *ret_entries, uint64_t *ret_bad, struct ledger_error *err)
    LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_BUNDLE_H */
