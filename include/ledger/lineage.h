/*
 * ledger/lineage.h - where a change came from and where it went
 *
 * trace: the entries linked to a commit, an artifact digest or a run,
 * following the links a delivery pipeline makes (docs/auditing.md,
 * "Linking rules"):
 *
 *	commit  -> every entry carrying it (pushes, builds, tests, scans,
 *	           approvals, deployments); their artifacts and runs
 *	run     -> every entry of that run (of that pipeline, when both name
 *	           one); their artifacts
 *	artifact-> every entry carrying the digest (provenance, scans,
 *	           approvals, deployments, rollbacks)
 *
 * Links are followed downstream only (a commit's artifacts, never an
 * artifact's other commits), so a trace from a commit is that commit's
 * lineage, not its neighbours'.  From an artifact or a run the entries
 * that produced it carry its commit: the trace adds that commit's
 * change entries (the push), and goes no further up.  Entries come in
 * seq order (the ledger's order), each with the field that linked it.
 *
 * where: the deployments and rollbacks of a trace, per (environment,
 * service): the blast radius of an artifact or a commit.
 *
 * Both answer from the store through ledger_store_query, so ledgerctl on
 * a data directory, ledgerctl --url and the API (GET /v1/trace, /v1/where)
 * give the same answer from this code.
 */
#ifndef LEDGER_LINEAGE_H
#define LEDGER_LINEAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/buf.h"
#include "ledger/entry.h"
#include "ledger/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most entries one trace holds; past it the answer says "truncated". */
#define LEDGER_TRACE_MAX 10000

struct ledger_trace_entry {
	struct ledger_row row;
	enum ledger_subject via;	/* the field that linked it */
};

struct ledger_trace {
	struct ledger_trace_entry *v;	/* in seq order */
	size_t n, cap;
	bool truncated;			/* more than LEDGER_TRACE_MAX */
};

/*
 * Trace from field = value: field is LEDGER_SUBJ_COMMIT, _ARTIFACT or
 * _RUN (value normalized as ingest does: a commit may be a prefix of 7+
 * hex digits, a digest bare or "sha256:..."); pipeline (may be NULL)
 * narrows a run.  *ret is filled (release with ledger_trace_release);
 * n == 0 when nothing carries the value.
 * Errors: LEDGER_EINVAL (another field, a malformed value), LEDGER_EDB,
 * LEDGER_ENOMEM.
 */
enum ledger_status ledger_trace(struct ledger_store *s,
    enum ledger_subject field, const char *value, const char *pipeline,
    struct ledger_trace *ret, struct ledger_error *err) LEDGER_WUR;
void ledger_trace_release(struct ledger_trace *t);

/*
 * {"entries":[{"seq":N,"time":T,"kind":K,"via":FIELD,"source":S,
 *   "actor":A,"status":S,"environment":E,"service":S,"commit":C,
 *   "artifact":D,"run":R,"pipeline":P,"ticket":T,"url":U},...],
 *  "truncated":BOOL}
 * Absent fields are left out.  Errors: LEDGER_ENOMEM.
 */
enum ledger_status ledger_trace_json(const struct ledger_trace *t,
    struct ledger_buf *out) LEDGER_WUR;

/*
 * The deployments and rollbacks of t, and per (environment, service) the
 * first and last of them:
 * {"deployments":[{"seq","time","kind","environment","service","status",
 *   "actor","artifact","commit"},...],
 *  "targets":[{"environment","service","first_seq","first_time",
 *   "last_seq","last_time","last_kind","last_status"},...]}
 * Errors: LEDGER_ENOMEM.
 */
enum ledger_status ledger_where_json(const struct ledger_trace *t,
    struct ledger_buf *out) LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_LINEAGE_H */
