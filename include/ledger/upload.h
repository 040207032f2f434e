/*
 * ledger/upload.h - reports a pipeline step uploads: scans, SBOMs, plans,
 * configuration runs (docs/reports.md)
 *
 * Scanners write files; they do not send webhooks.  A pipeline step hands
 * the file to `ledgerctl record scan|sbom|plan|run` or POST /v1/reports,
 * and this module makes one event of it: the format detected (SARIF 2.1.0,
 * OWASP ZAP traditional JSON, Chef InSpec JSON, Trivy, Grype, OSV-Scanner,
 * npm audit v2, CycloneDX, SPDX, an in-toto attestation of an SBOM,
 * `terraform show -json`, Ansible's JSON callback), the target it names
 * (an artifact digest, a commit, a URL), the tool and its version, the
 * counts by severity (each tool's scale mapped, docs/reports.md) and a
 * verdict by a threshold -- written as subject members, so they are
 * signed with the entry.  The report itself is the payload, byte for byte.
 */
#ifndef LEDGER_UPLOAD_H
#define LEDGER_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/entry.h"
#include "ledger/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the caller says it uploads: the verb of `ledgerctl record`. */
enum ledger_upload_class {
	LEDGER_UPLOAD_ANY,	/* whatever the file is */
	LEDGER_UPLOAD_SCAN,	/* kind scan: findings by severity */
	LEDGER_UPLOAD_SBOM,	/* kind artifact: components (and findings) */
	LEDGER_UPLOAD_PLAN,	/* kind change: resources to add, change,
				   destroy */
	LEDGER_UPLOAD_RUN,	/* kind change: a configuration run's
				   changed, failed, ok, unreachable */
	LEDGER_UPLOAD_CLASS_COUNT
};

/* Severities, worst first: the summary's order and the threshold's. */
enum ledger_severity {
	LEDGER_SEV_CRITICAL,
	LEDGER_SEV_HIGH,
	LEDGER_SEV_MEDIUM,
	LEDGER_SEV_LOW,
	LEDGER_SEV_UNKNOWN,
	LEDGER_SEV_NONE,	/* as a threshold: never fail */
	LEDGER_SEV_COUNT
};

struct ledger_upload_opts {
	enum ledger_upload_class cls;
	/* -1, or the kind to record a report the parser does not know as,
	 * with status "unknown" (--kind); without it such a report is
	 * refused */
	int kind;
	/* a finding of this severity or worse fails the scan; default
	 * LEDGER_SEV_HIGH (0 is critical: set it explicitly) */
	enum ledger_severity fail_on;
	bool fail_on_set;
	/* the caller's subject values (NULL: none); they win over what the
	 * report names */
	const char *subject[LEDGER_SUBJ_COUNT];
	const char *media_type;	/* NULL: application/json */
};

/* Class names ("scan", "sbom", "plan", "run"; "any") and back (-1 when
 * unknown). */
const char *ledger_upload_class_name(enum ledger_upload_class c);
int ledger_upload_class_parse(const char *s);
/* Severity names ("critical" ... "unknown", "none") and back (-1). */
const char *ledger_severity_name(enum ledger_severity s);
int ledger_severity_parse(const char *s);

/*
 * Make the event for one uploaded report of len bytes: kind, source.type
 * "report", source.event the format ("sarif", "trivy", ..., "unknown"),
 * subject tool, tool_version, summary, status and the target fields; the
 * payload is body as it is.  source.name and auth are the caller's.
 * Errors (LEDGER_EINVAL, with a message for the uploader): malformed
 * JSON (with the parser's line and column), a format not known without
 * o->kind, a report of another class than o->cls, a bad subject value;
 * LEDGER_ENOMEM.
 */
enum ledger_status ledger_upload_event(const char *body, size_t len,
    const struct ledger_upload_opts *o, struct ledger_event **ret,
    struct ledger_error *err) LEDGER_WUR;

/* Is a report of media type mt (its parameters ignored; NULL: the
 * default, application/json) read as JSON: application/json or any
 * +json type?  The daemon and ledgerctl decide alike with it. */
bool ledger_upload_json_type(const char *mt);

/* The count named name ("high", "components", "add", ...) in a summary
 * string; false when absent or malformed. */
bool ledger_summary_count(const char *summary, const char *name,
    uint64_t *ret);

#ifdef __cplusplus
}
#endif

#endif
