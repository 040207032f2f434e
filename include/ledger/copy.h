/*
 * ledger/copy.h - move a log to another backend, and prove the copy
 *
 * A log outgrows its SQLite file and moves to PostgreSQL (ledgerctl
 * migrate --from -d DIR --to --database URL).  What moves is the log as
 * it was signed: each entry's canonical bytes and signature, its payload
 * (or its absence, after a prune) and evidence headers, the checkpoints
 * as signed notes, the tokens' hashes with their ids, labels, identities
 * and revocations, and the meta values (origin, key id, prune mark).
 * Nothing is re-signed and nothing is re-encoded.  The Merkle tree is
 * rebuilt from the entries, not copied, and must come out with the root
 * the source's stored tree has: a source whose tree or entries were
 * tampered with is refused, not laundered into a clean-looking copy.
 *
 * The source is verified whole first (a source that does not verify is
 * refused before anything is written).  The copy is one transaction on
 * the target: a failure or an interrupt leaves the target log empty.
 * Then the copy is opened as any reader would open it and verified whole
 * (chain, signatures, key history, stored tree, every checkpoint,
 * payloads, lookup terms).
 */
#ifndef LEDGER_COPY_H
#define LEDGER_COPY_H

#include <stdint.h>

#include "ledger/error.h"
#include "ledger/merkle.h"
#include "ledger/store.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ledger_copy_opts {
	const char *backend;		/* "postgresql" or "sqlite" */
	const char *location;		/* a connection string, or a data
					   directory (it must exist) */
	/* Called with the phase ("verify the source", "copy", "verify the
	 * copy"), entries done and the source's size, every few thousand
	 * entries (may be NULL).
	 * Non-zero stops: LEDGER_ECANCELED, nothing committed. */
	int (*progress)(void *ctx, const char *phase, uint64_t done,
	    uint64_t total);
	void *progress_ctx;
};

struct ledger_copy_report {
	uint64_t size;			/* entries, in both logs */
	uint8_t root[LEDGER_HASH_BYTES];	/* the same root in both */
	uint64_t tree_hashes;		/* stored hashes written */
	uint64_t payloads;		/* payloads copied */
	uint64_t pruned;		/* entries without a payload (pruned) */
	uint64_t headers;		/* evidence header sets copied */
	uint64_t checkpoints;		/* copied; every one verified */
	uint64_t tokens;		/* copied (revoked included) */
	uint64_t revoked;
	uint64_t problems;		/* the copy's verification: 0 */
};

/*
 * Copy the log of src into the target named by opts: a new log of
 * the same origin, or one that exists and is empty (no entries, tokens or
 * checkpoints, and no other key), such as a copy that failed half-way
 * left.  A writable src (LEDGER_STORE_NOKEY will do) is held as a writer
 * holds it, so that nothing is appended to it during the copy; a
 * read-only one is read in one snapshot.  Then verify the copy with src's
 * verifier key.
 * Errors: LEDGER_EEXIST (the target log holds entries, tokens or
 * checkpoints, or another key), LEDGER_ECHAIN (the source does not
 * verify, the message naming the first bad seq; or, defence in depth, its
 * seqs are not dense, its stored root differs from the one its entries
 * make, its head disagrees), LEDGER_EINVAL (the
 * copy does not verify: report->problems; the source has no verifier
 * key), LEDGER_ECANCELED, LEDGER_EDB, LEDGER_EIO, LEDGER_ENOMEM.
 */
enum ledger_status ledger_store_copy(struct ledger_store *src,
    const struct ledger_copy_opts *opts, struct ledger_copy_report *report,
    struct ledger_error *err) LEDGER_WUR;

#ifdef __cplusplus
}
#endif

#endif
