/*
 * fuzz-jcs.c - libFuzzer harness: the strict JSON parser and the RFC 8785
 * encoder, and the entry decoder that verify trusts
 *
 * Input: any bytes.  Byte 0 picks the target (even: JCS, odd: entry), the
 * rest is the document.  Invariants, beyond what the sanitizers catch:
 *
 * - JCS: a document the parser accepts canonicalizes, and its canonical
 *   form parses and canonicalizes to itself (idempotence); a refused one
 *   is refused with LEDGER_EINVAL only.
 * - entry: bytes that decode are exactly the canonical encoding of what
 *   they decode to (decode, re-encode, compare), so no two byte strings
 *   name the same entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/buf.h"
#include "ledger/entry.h"
#include "ledger/jcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_jcs(const char *doc, size_t len)
{
	struct ledger_error err;
	char *a = NULL, *b = NULL;
	size_t alen, blen;
	enum ledger_status st;

	st = ledger_jcs_canonicalize(doc, len, &a, &alen, &err);
	if (st != LEDGER_OK) {
		if (st != LEDGER_EINVAL)
			abort();
		return;
	}
	if (ledger_jcs_canonicalize(a, alen, &b, &blen, &err) != LEDGER_OK ||
	    blen != alen || memcmp(a, b, alen) != 0)
		abort();
	free(a);
	free(b);
}

static void
check_entry(const char *doc, size_t len)
{
	struct ledger_entry e;
	struct ledger_buf out = LEDGER_BUF_INIT;
	enum ledger_status st;

	st = ledger_entry_decode(doc, len, &e, NULL);
	if (st != LEDGER_OK) {
		if (st != LEDGER_EINVAL)
			abort();
		return;
	}
	if (ledger_entry_encode(&e, &out, NULL) != LEDGER_OK ||
	    out.len != len || memcmp(out.data, doc, len) != 0)
		abort();
	ledger_buf_release(&out);
	ledger_entry_release(&e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		check_jcs((const char *)data + 1, size - 1);
	else
		check_entry((const char *)data + 1, size - 1);
	return 0;
}
