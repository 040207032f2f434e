/*
 * fuzz-bundle.c - libFuzzer harness: the offline bundle verifier
 * (ledger/bundle.h), which an auditor runs on files from anywhere
 *
 * Input: a bundle's uncompressed text, checked against a key made here.
 * Invariants: a text that is not JSON is refused with a message; any
 * other gets verdicts, and at least one problem (nothing is signed by
 * this key); the counts agree with the verdicts; nothing leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
tally(void *ctx, const struct ledger_bundle_verdict *v)
{
	uint64_t *n = ctx;

	if (!v->ok && (v->problem == NULL || v->problem[0] == '\0'))
		abort();
	n[v->ok ? 0 : 1]++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ledger_vkey key;
	static uint8_t sk[LEDGER_NOTE_SECRET_BYTES];
	static int have_key;
	struct ledger_error err;
	uint64_t n[2] = { 0, 0 }, entries, bad;

	if (!have_key) {
		if (ledger_note_key_generate("bench.example/log", &key, sk,
		    NULL) != LEDGER_OK)
			abort();
		have_key = 1;
	}
	memset(&err, 0, sizeof(err));
	if (ledger_bundle_verify_text((const char *)data, size, &key, 1,
	    tally, n, &entries, &bad, &err) != LEDGER_OK) {
		if (err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (bad == 0 || bad != n[1])
		abort();
	return 0;
}
