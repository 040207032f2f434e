/*
 * ledger/tlogproof.h - one entry's proof in the C2SP tlog-proof@v1 text
 * format (c2sp.org/tlog-proof), which any tool of the transparency-log
 * ecosystem reads:
 *
 *	c2sp.org/tlog-proof@v1
 *	extra <base64>			(optional)
 *	index <decimal>
 *	<base64 hash>			(the RFC 6962 audit path, leaf's
 *	...				 sibling first; none for a tree of one)
 *	<empty line>
 *	<the signed checkpoint note, verbatim, every signature>
 *
 * The record whose leaf hash is proven is the entry's exact canonical
 * bytes; ledgerctl puts them in `extra` (docs/FORMAT.md "tlog-proof"),
 * ledgerd's public GET /v1/events/{seq}/proof leaves them out (the leaf
 * hash is the receipt's).
 */
#ifndef LEDGER_TLOGPROOF_H
#define LEDGER_TLOGPROOF_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/buf.h"
#include "ledger/error.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/tree.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LEDGER_TLOG_PROOF_HEADER "c2sp.org/tlog-proof@v1"
/* Most bytes of `extra` parse accepts (an entry is at most 64 KiB). */
#define LEDGER_TLOG_PROOF_EXTRA_MAX (1024 * 1024)

struct ledger_tlog_proof {
	uint64_t index;
	uint8_t *extra;			/* malloc'd; NULL when absent */
	size_t extra_len;
	uint8_t path[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	size_t n;
	char *checkpoint;		/* the note text, malloc'd, NUL-ended */
	size_t checkpoint_len;
};

/* Append the proof's text to out (extra may be NULL).  Errors:
 * LEDGER_EINVAL (more than LEDGER_MERKLE_MAX_PROOF hashes, an empty
 * note), LEDGER_ENOMEM. */
enum ledger_status ledger_tlog_proof_format(struct ledger_buf *out,
    uint64_t index, const uint8_t *extra, size_t extra_len,
    const uint8_t (*path)[LEDGER_HASH_BYTES], size_t n, const char *note,
    size_t note_len, struct ledger_error *err) LEDGER_WUR;

/* Parse the text (len bytes) strictly: the header, an optional extra,
 * the index without leading zeros, whole base64 hashes, the empty line, a
 * non-empty note; no CR, no NUL.  Errors: LEDGER_EINVAL (the message
 * names the line), LEDGER_ENOMEM.  Release *ret either way. */
enum ledger_status ledger_tlog_proof_parse(const char *text, size_t len,
    struct ledger_tlog_proof *ret, struct ledger_error *err) LEDGER_WUR;
void ledger_tlog_proof_release(struct ledger_tlog_proof *p);

/*
 * Check the proof: its checkpoint is signed by a key of the keyring for
 * its origin, and the audit path leads from leaf (or, NULL, the leaf hash
 * of `extra`) at index to the checkpoint's root.  *ret (may be NULL) gets
 * the checked checkpoint.  Errors: LEDGER_EINVAL (no leaf to check, index
 * beyond the tree), LEDGER_ECRYPTO (a signature or the path does not
 * check), LEDGER_ENOMEM.
 */
enum ledger_status ledger_tlog_proof_check(const struct ledger_tlog_proof *p,
    const uint8_t *leaf, const struct ledger_vkey *keys, size_t nkeys,
    struct ledger_signed_checkpoint *ret, struct ledger_error *err)
    LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_TLOGPROOF_H */
