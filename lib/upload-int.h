/*
 * upload-int.h - what lib/upload*.c share: the facts a format reader
 * takes out of a report, and the readers
 */
#ifndef LEDGER_UPLOAD_INT_H
#define LEDGER_UPLOAD_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ledger/upload.h"

/* Counts a summary holds, by class: a scan LEDGER_SEV_CRITICAL ..
 * LEDGER_SEV_UNKNOWN; an SBOM those and N_COMPONENTS; a plan N_ADD ..
 * N_DESTROY; a run N_CHANGED .. N_UNREACHABLE. */
enum {
	N_COMPONENTS = LEDGER_SEV_NONE,
	N_ADD = 0, N_CHANGE, N_DESTROY,
	N_CHANGED = 0, N_FAILED, N_OK, N_UNREACHABLE,
	N_MAX = 6
};

/* What a reader found.  Strings point into the parsed report (which
 * outlives the facts) except artifact, which is malloc'd. */
struct facts {
	const char *tool, *version;
	char *artifact;			/* "sha256:<hex>", or NULL */
	const char *commit, *url, *service;
	uint64_t n[N_MAX];
	const char *status;		/* plans and runs: their own word;
					   NULL: by the threshold */
	char tool_buf[128], version_buf[64];	/* tool, version made up
					   from a longer string */
	json_t *hold;			/* a document the strings may point
					   into (an attestation's decoded
					   Statement), released after */
	bool nomem;
};

/* One format: its name (source.event), class, whether doc is one, and
 * its reader.  A reader errs only on allocation failure (f->nomem). */
struct upload_format {
	const char *name;
	enum ledger_upload_class cls;
	bool (*is)(json_t *doc);
	void (*read)(json_t *doc, struct facts *f);
};

extern const struct upload_format upload_scan_formats[];	/* upload-scan.c */
extern const struct upload_format upload_bom_formats[];		/* upload-bom.c */

/* The format named name ("ansible"), or NULL. */
const struct upload_format *upload_format_named(const char *name);

/* The event for doc, a report of format fmt (NULL: one not read, of kind
 * o->kind), without its payload: source type "report", the format as
 * source.event, the subject (ledger_upload_event).
 * Errors: LEDGER_EINVAL (a caller's bad value), LEDGER_ENOMEM. */
enum ledger_status upload_build(json_t *doc, const struct upload_format *fmt,
    const struct ledger_upload_opts *o, struct ledger_event **ret,
    struct ledger_error *err);

/* ---- helpers (upload.c) ---- */

/* "name=N,..." of the first k counts v of class c, in the summary's fixed
 * order (docs/FORMAT.md), into buf (of size n): the one writer of counts,
 * for reports and for the webhooks that carry them (Harbor, Chef, Puppet);
 * returns the length written. */
size_t up_summary(enum ledger_upload_class c, const uint64_t *v, size_t k,
    char *buf, size_t n);

/* The value at a dot-separated path of member names and array indexes. */
json_t *up_get(json_t *doc, const char *path);
/* The same when it is a non-empty string without NUL, else NULL. */
const char *up_str(json_t *doc, const char *path);
/* A count: a JSON number or a string of digits ("364"), at most
 * UP_COUNT_MAX (larger ones are that); -1 when none. */
#define UP_COUNT_MAX 9000000000000000LL
int64_t up_count(json_t *v);
/* *to += n, stopping at UINT64_MAX instead of wrapping (counts summed
 * over hosts or packages: a wrapped sum would read as none). */
void up_add(uint64_t *to, uint64_t n);
/* Set f->artifact from s when it holds a digest and none is set yet. */
void up_digest(struct facts *f, const char *s);
/* Severity of a word of any tool's scale (critical, high, moderate,
 * medium, low, negligible, info, unknown, error, warning, note, ...):
 * LEDGER_SEV_NONE for informational words, -1 for words it does not
 * know. */
int up_severity_word(const char *w);
/* Severity of a CVSS base score (0.0 .. 10.0), as the bands of CVSS v3:
 * 9.0 critical, 7.0 high, 4.0 medium, 0.1 low, 0.0 none; -1 if not a
 * score. */
int up_severity_score(json_t *v);

#endif
