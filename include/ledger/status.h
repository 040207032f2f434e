/*
 * ledger/status.h - one vocabulary of statuses, whatever the source
 *
 * Sources say "failed", "failure", "error"; "canceled" and "cancelled";
 * GitLab's "unapproved" is GitHub's "rejected".  The answers (trace,
 * timeline, deployments, state, exceptions, gate) speak one vocabulary,
 * documented in docs/auditing.md ("Statuses"):
 *
 *	success failure started queued cancelled inactive removed
 *	approved rejected requested dismissed allowed denied drifted planned
 *	unknown
 *
 * (allowed and denied are the gate's verdicts, ledger/report.h; drifted
 * and planned are a change's: infrastructure found different from its
 * code, a plan uploaded and not applied).
 *
 * The entry keeps the word its source sent (the subject's status as
 * recorded, and the payload byte for byte): normalizing is a reading of
 * it, so entries recorded before this vocabulary existed answer the same.
 */
#ifndef LEDGER_STATUS_H
#define LEDGER_STATUS_H

#include "ledger/entry.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The vocabulary word for a status word as recorded on an entry of kind
 * k (a static string), or NULL when raw is NULL.  An approval's "approve"
 * is approved, a deployment's "deployed" success; a word of no known
 * meaning is "unknown".
 */
const char *ledger_status_word(enum ledger_kind k, const char *raw);

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_STATUS_H */
