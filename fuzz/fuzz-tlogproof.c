/*
 * fuzz-tlogproof.c - libFuzzer harness: the C2SP tlog-proof@v1 parser
 * (ledger/tlogproof.h), which reads proofs an auditor brings from anywhere
 *
 * Input: the proof text.  Invariants: a refusal says why; a proof that
 * parses writes back to exactly the input (the format has one spelling of
 * each proof: strict base64, no leading zeros), and checking it against a
 * key that signed nothing fails without a crash; nothing leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/tlogproof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ledger_vkey key;
	static uint8_t sk[LEDGER_NOTE_SECRET_BYTES];
	static int have_key;
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_tlog_proof p;
	struct ledger_error err;
	uint8_t leaf[LEDGER_HASH_BYTES] = { 0 };

	if (!have_key) {
		if (ledger_note_key_generate("example.com/fancylog", &key, sk,
		    NULL) != LEDGER_OK)
			abort();
		have_key = 1;
	}
	memset(&err, 0, sizeof(err));
	if (ledger_tlog_proof_parse((const char *)data, size, &p, &err) !=
	    LEDGER_OK) {
		if (err.msg[0] == '\0')
			abort();
		ledger_tlog_proof_release(&p);
		return 0;
	}
	if (ledger_tlog_proof_format(&b, p.index, p.extra, p.extra_len,
	    (const uint8_t (*)[LEDGER_HASH_BYTES])p.path, p.n, p.checkpoint,
	    p.checkpoint_len, &err) != LEDGER_OK || b.len != size ||
	    memcmp(b.data, data, size) != 0)
		abort();
	if (ledger_tlog_proof_check(&p, p.extra != NULL ? NULL : leaf, &key,
	    1, NULL, &err) == LEDGER_OK)
		abort();		/* nothing was signed by this key */
	ledger_buf_release(&b);
	ledger_tlog_proof_release(&p);
	return 0;
}
