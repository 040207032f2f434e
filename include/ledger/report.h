/*
 * ledger/report.h - the auditor's and the incident responder's answers
 *
 * Deployments and their approvals, joined by the linking rules of
 * docs/auditing.md ("Linking rules"), which this code follows exactly:
 *
 *  - order is seq order (the ledger's clock), never a payload's time;
 *  - a deployment is a kind `deployment` entry with an environment; the
 *    entries of one source, pipeline, environment and subject
 *    `deployment` id are one deployment with its latest status (an
 *    `inactive` never replaces one), and its seq is the entry that gave
 *    that status;
 *  - an approval matches a deployment of the same environment by the first
 *    rule both can use: artifact digests equal, else run ids equal (and
 *    pipelines, when both name one), else commits equal;
 *  - approved: a matching `approved` entry before the deployment and no
 *    matching `rejected` one between it and the deployment;
 *  - exceptions: unapproved, late-approval, rejected, self-approved;
 *  - state and last good by the stack of successful deployments and
 *    rollbacks per (environment, service).
 *
 * Every answer is JSON made here, so ledgerctl on a data directory,
 * ledgerctl --url and the HTTP API give the same bytes.
 */
#ifndef LEDGER_REPORT_H
#define LEDGER_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/buf.h"
#include "ledger/bundle.h"
#include "ledger/error.h"
#include "ledger/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most deployments one answer joins; past it the answer says so. */
#define LEDGER_REPORT_MAX 200000

/* The matching rule that joined an approval to a deployment. */
enum ledger_match_rule {
	LEDGER_RULE_NONE,
	LEDGER_RULE_ARTIFACT,
	LEDGER_RULE_RUN,
	LEDGER_RULE_COMMIT,
};

/* "artifact", "run", "commit" (NULL for none). */
const char *ledger_rule_name(enum ledger_match_rule r);

/* The rule by which approval a matches deployment d, or NONE: the same
 * environment, then the first rule both carry the fields of. */
enum ledger_match_rule ledger_approval_match(const struct ledger_entry *a,
    const struct ledger_entry *d);

/* Exceptions, as bits. */
enum ledger_exception {
	LEDGER_EXC_UNAPPROVED = 1 << 0,
	LEDGER_EXC_LATE = 1 << 1,
	LEDGER_EXC_REJECTED = 1 << 2,
	LEDGER_EXC_SELF = 1 << 3,
};

/* "unapproved", "late-approval", "rejected", "self-approved" to its bit;
 * 0 for another word. */
unsigned ledger_exception_parse(const char *name);
/* The name of one exception bit; NULL for another value. */
const char *ledger_exception_name(unsigned bit);

struct ledger_report_opts {
	const char *environment;	/* required but for gate's policy */
	const char *service;		/* NULL: every service */
	int64_t from_ms, to_ms;		/* the period, [from, to) */
	int64_t at_ms;			/* state: at; last-good: before (0:
					   now) */
	int64_t gap_s;			/* completeness: the gap threshold
					   (0: from the heartbeat interval) */
	uint64_t start_seq;		/* paging: rows whose first entry is
					   at or after this seq */
	size_t limit;			/* paging: at most this many rows (0:
					   all) */
};

/*
 * The population of opts' environment (and service) in [from, to):
 * {"environment","from","to","deployments":[{"seq","time","first_seq",
 *   "entries":[seq...],"service","status","deployer","artifact","commit",
 *   "run","pipeline","ticket","approved":BOOL,"approvals":[{"seq","time",
 *   "actor","status","rule"}],"authors":[...],"rolled_back":BOOL,
 *   "exceptions":[NAME...]}],
 *  "completeness":{"count","first_seq","last_seq","checkpoint_before",
 *   "checkpoint_after","consistency","gaps","gap_s"},"truncated":BOOL}
 * A deployment is in the period when its first entry is; its status is
 * the latest recorded in the period.  A page (start_seq, limit) lists
 * its rows; "completeness" is the whole period's; when rows remain,
 * "truncated" is true and "next_after" is the last row's first_seq (ask
 * again with start_seq = next_after + 1).  *ret_n (may be NULL) gets the
 * number of deployments listed.  Errors: LEDGER_EINVAL (no environment, to <=
 * from), LEDGER_EDB, LEDGER_ENOMEM.
 */
enum ledger_status ledger_deployments_json(struct ledger_store *s,
    const struct ledger_report_opts *o, struct ledger_buf *out,
    size_t *ret_n, struct ledger_error *err) LEDGER_WUR;

/*
 * The deployments of the period with exception exc (one bit):
 * {"exception":NAME,"environment","from","to","exceptions":[{"seq",
 *   "time","service","status","deployer","artifact","commit","evidence":
 *   [seq...],"approvals":[...]}],"truncated":BOOL}
 * environment may be NULL (every environment).  evidence: the seqs that
 * make it one (unapproved: the deployment's entries; late-approval: the
 * approvals after it; rejected: the last rejection; self-approved: the
 * approvals that count).  Errors: as ledger_deployments_json.
 */
enum ledger_status ledger_exceptions_json(struct ledger_store *s,
    const struct ledger_report_opts *o, unsigned exc, struct ledger_buf *out,
    size_t *ret_n, struct ledger_error *err) LEDGER_WUR;

/*
 * Who deployed or approved in the environment (NULL: every one) in the
 * period: {"actors":[{"actor","deployments","approvals","first_seq",
 * "first_seen","last_seq","last_seen","machines"}]}, by actor name;
 * machines are the client certificate identities (ledger/identity.h) the
 * actor's entries came from, the first eight in seq order.
 */
enum ledger_status ledger_actors_json(struct ledger_store *s,
    const struct ledger_report_opts *o, struct ledger_buf *out,
    size_t *ret_n, struct ledger_error *err) LEDGER_WUR;

/*
 * What ran in the environment at at_ms, per service (opts' service
 * only, when given): {"environment","at","state":[{"service","seq",
 * "time","kind","artifact","commit","deployer","approved":BOOL,
 * "approvals":[...]}]}.  seq is the entry that set the state: a
 * successful deployment or a rollback naming its target.
 */
enum ledger_status ledger_state_json(struct ledger_store *s,
    const struct ledger_report_opts *o, struct ledger_buf *out,
    size_t *ret_n, struct ledger_error *err) LEDGER_WUR;

/*
 * The last good deployment of (environment, service) before at_ms:
 * successful, approved and never the state when a rollback came:
 * {"seq","time","environment","service","artifact","commit","deployer",
 *  "approvals":[...]}.  *found says whether there is one (out is then
 * "{}" with nothing: the caller answers "none").  Errors: LEDGER_EINVAL
 * (no environment or service), LEDGER_EDB, LEDGER_ENOMEM.
 */
enum ledger_status ledger_last_good_json(struct ledger_store *s,
    const struct ledger_report_opts *o, struct ledger_buf *out,
    bool *found, struct ledger_error *err) LEDGER_WUR;

/*
 * The deployment gate (docs/auditing.md, "Gate policy"): may artifact be
 * deployed to environment under policy (a JSON object, or NULL for the
 * default), deployer (may be NULL) the one about to deploy?
 * {"allow":BOOL,"missing":[TEXT...],"evidence":[seq...],"artifact",
 *  "environment","policy":{...},"policy_sha256"}
 * Errors: LEDGER_EINVAL (a bad policy or digest), LEDGER_EDB,
 * LEDGER_ENOMEM.
 */
enum ledger_status ledger_gate_json(struct ledger_store *s,
    const char *artifact, const char *environment, const char *deployer,
    const char *policy, size_t policy_len, struct ledger_buf *out,
    bool *allow, struct ledger_error *err) LEDGER_WUR;

/* Check a gate policy (as ledger_gate_json reads it) for environment env.
 * Errors: LEDGER_EINVAL (the message names the rule), LEDGER_ENOMEM. */
enum ledger_status ledger_gate_policy_check(const char *policy, size_t len,
    const char *env, struct ledger_error *err) LEDGER_WUR;

/* What ledger_population_bundle wrote. */
struct ledger_population_bundle {
	struct ledger_bundle_stats st;
	uint64_t older[2];		/* the bracketing checkpoints' sizes */
	size_t nolder;
};

/*
 * The bundle (ledger/bundle.h) of a population: answer (len bytes) is an
 * answer of ledger_deployments_json or ledger_exceptions_json, whole (not
 * cut short, not a page); every entry its rows name (each row's seq and
 * entries, its approvals', its evidence) is written to fd with
 * ledger_bundle_write_seqs, as o says (payloads, progress; NULL: entries
 * only) and with the period's bracketing checkpoints ("completeness",
 * when the answer has one) as older checkpoints with their consistency
 * proofs.  Errors: LEDGER_EINVAL (not such an answer, or one cut short),
 * LEDGER_ENOTFOUND (the population is empty, or no checkpoint covers it
 * yet), LEDGER_ECANCELED (o's progress stopped it), LEDGER_EIO,
 * LEDGER_EDB, LEDGER_ENOMEM.
 */
enum ledger_status ledger_population_bundle(struct ledger_store *s,
    const char *answer, size_t len, const struct ledger_bundle_opts *o,
    int fd, struct ledger_population_bundle *ret, struct ledger_error *err)
    LEDGER_WUR;

/*
 * One question, as ledgerctl's options and the API's query parameters
 * both give it, so that the two mean the same (ledger/query.h does the
 * same for listings).  Parameters, each at most once:
 *
 *	env|environment, service	deployments exceptions actors
 *					state last-good gate(env)
 *	period | from & to		deployments exceptions actors
 *	at				state (default: now)
 *	before				last-good (default: now)
 *	gap				deployments (seconds)
 *	artifact, deployer		gate
 *	after, limit			deployments exceptions (a page)
 *
 * An answer refuses parameters it does not take.
 */
enum ledger_answer {
	LEDGER_ANSWER_DEPLOYMENTS,
	LEDGER_ANSWER_EXCEPTIONS,
	LEDGER_ANSWER_ACTORS,
	LEDGER_ANSWER_STATE,
	LEDGER_ANSWER_LAST_GOOD,
	LEDGER_ANSWER_GATE,
};

struct ledger_report_req {
	enum ledger_answer what;
	unsigned exception;		/* EXCEPTIONS: the one bit */
	struct ledger_report_opts o;
	char *v[11];			/* the parameters as given (owned) */
};

/* Start a question: what, and for EXCEPTIONS its name.
 * Errors: LEDGER_EINVAL (an unknown exception). */
enum ledger_status ledger_report_req_init(struct ledger_report_req *r,
    enum ledger_answer what, const char *exception,
    struct ledger_error *err) LEDGER_WUR;
void ledger_report_req_release(struct ledger_report_req *r);

/* One parameter.  Errors: LEDGER_ENOTFOUND (not a parameter of this
 * answer; the message names it), LEDGER_EINVAL (a bad value, given
 * twice), LEDGER_ENOMEM. */
enum ledger_status ledger_report_param(struct ledger_report_req *r,
    const char *name, const char *value, struct ledger_error *err)
    LEDGER_WUR;

/* The value given for a parameter, or NULL. */
const char *ledger_report_get(const struct ledger_report_req *r,
    const char *name);

/* After the parameters: what is missing or conflicting.
 * Errors: LEDGER_EINVAL. */
enum ledger_status ledger_report_check(struct ledger_report_req *r,
    struct ledger_error *err) LEDGER_WUR;

/* The parameters as a query string ("?a=b&c=d", percent-encoded) that
 * ledger_report_param reads back to the same question.
 * Errors: LEDGER_ENOMEM. */
enum ledger_status ledger_report_encode(const struct ledger_report_req *r,
    struct ledger_buf *out) LEDGER_WUR;

/* The API path of an answer: "/v1/deployments", "/v1/exceptions/NAME". */
const char *ledger_report_path(const struct ledger_report_req *r,
    char *buf, size_t size);

/*
 * Answer a checked question into out (the JSON above); *ret_yes says
 * whether the answer is "some"/"yes" (rows found, a last good found, the
 * gate allows).  policy (gate only; may be NULL) as ledger_gate_json.
 * Errors: as the answer's function.
 */
enum ledger_status ledger_report_answer(struct ledger_store *s,
    const struct ledger_report_req *r, const char *policy, size_t policy_len,
    struct ledger_buf *out, bool *ret_yes, struct ledger_error *err)
    LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_REPORT_H */
