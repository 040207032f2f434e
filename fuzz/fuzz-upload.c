/*
 * fuzz-upload.c - libFuzzer harness: reports a pipeline step uploads
 * (ledger/upload.h), the bytes a client sends POST /v1/reports
 *
 * Input: one byte of options -- bits 0-2 the class (mod 5), bit 3 a kind
 * given (scan), bits 4-6 the threshold (mod 6), bit 7 a non-JSON media
 * type -- then the report.
 * Invariants: a refusal says why; an accepted report gives an event of
 * source type "report" whose payload is the input (its size), whose
 * status is set, whose summary (when present) holds the class's counts,
 * and which encodes as an entry once sequenced; nothing leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/buf.h"
#include "ledger/entry.h"
#include "ledger/upload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_encodes(struct ledger_event *ev)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_entry e = ev->e;

	e.log = (char *)"fuzz.example/log";
	e.seq = 7;
	e.time_ms = 1700000000000;
	e.key_id = 0x01020304;
	if (ledger_entry_encode(&e, &b, NULL) != LEDGER_OK)
		abort();
	ledger_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ledger_upload_opts o;
	struct ledger_event *ev = NULL;
	struct ledger_error err;
	const char *sum;
	uint64_t n;

	if (size < 1)
		return 0;
	memset(&o, 0, sizeof(o));
	o.cls = (enum ledger_upload_class)(data[0] & 7) % 5;
	o.kind = (data[0] & 8) ? LEDGER_KIND_SCAN : -1;
	o.fail_on = (enum ledger_severity)((data[0] >> 4) & 7) % 6;
	o.fail_on_set = true;
	o.media_type = (data[0] & 0x80) ? "text/html" : NULL;
	err.msg[0] = '\0';
	if (ledger_upload_event((const char *)data + 1, size - 1, &o, &ev,
	    &err) != LEDGER_OK) {
		if (ev != NULL || err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (ev->e.payload_size != size - 1 ||
	    strcmp(ev->e.source[LEDGER_SRC_TYPE], "report") != 0 ||
	    ev->e.subject[LEDGER_SUBJ_STATUS] == NULL)
		abort();
	sum = ev->e.subject[LEDGER_SUBJ_SUMMARY];
	if (sum != NULL && !ledger_summary_count(sum, "critical", &n) &&
	    !ledger_summary_count(sum, "add", &n) &&
	    !ledger_summary_count(sum, "changed", &n))
		abort();
	if (ledger_event_set_source(ev, LEDGER_SRC_NAME, "api", NULL) !=
	    LEDGER_OK)
		abort();
	check_encodes(ev);
	ledger_event_free(ev);
	return 0;
}
