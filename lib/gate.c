/*
 * gate.c - may this digest go to that environment? (ledger/report.h)
 *
 * The policy (docs/auditing.md, "Gate policy") is a JSON object:
 *
 *	{"environments": {"production": {RULES}, ...}, "default": {RULES}}
 *
 * or RULES alone (for every environment), where RULES are
 *
 *	"require": ["build", "test", "scan", "provenance"]
 *	"min_approvers": N		distinct approvers that count
 *	"approver_not_deployer": BOOL	the deployer's own approval does not
 *	"approver_not_author": BOOL	nor that of the commit's author
 *	"no_failing_scan": BOOL		no scan of the digest failed
 *	"max_approval_age_s": N		approvals older than this do not count
 *	"max_findings": {"critical": N, "high": N, ...}	the latest scan of
 *					the digest by each tool, with counts
 *					(an uploaded report, a Harbor scan),
 *					has at most these
 *
 * An unknown member is an error: a misspelt rule must not weaken a gate.
 * Without a policy: require build, one approver other than the deployer,
 * no failing scan.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "ledger/jcs.h"
#include "ledger/query.h"
#include "ledger/status.h"
#include "ledger/upload.h"
#include "ledger/wire.h"
#include "ledger-int.h"
#include "report-int.h"

enum { REQ_BUILD = 1, REQ_TEST = 2, REQ_SCAN = 4, REQ_PROVENANCE = 8 };

struct policy {
	unsigned require;
	int64_t min_approvers;
	bool not_deployer, not_author, no_failing_scan;
	int64_t max_age_s;		/* 0: any age */
	int64_t max_findings[LEDGER_SEV_NONE];	/* -1: no limit */
	bool findings;			/* any limit at all */
};

static const char *const req_names[] = { "build", "test", "scan",
    "provenance" };

#define SLSA_PREFIX "https://slsa.dev/provenance/"

/* "max_findings": {"critical": 0, "high": 2}: severities by name. */
static enum ledger_status
findings_parse(json_t *o, struct policy *p, struct ledger_error *err)
{
	const char *k;
	json_t *v;
	int s;

	for (s = 0; s < LEDGER_SEV_NONE; s++)
		p->max_findings[s] = -1;
	p->findings = false;
	if (o == NULL)
		return LEDGER_OK;
	if (!json_is_object(o))
		return ledger_errorf(err, LEDGER_EINVAL, "policy: max_findings "
		    "is an object of severities");
	json_object_foreach(o, k, v) {
		if ((s = ledger_severity_parse(k)) < 0 || s == LEDGER_SEV_NONE)
			return ledger_errorf(err, LEDGER_EINVAL, "policy: "
			    "max_findings takes critical, high, medium, low, "
			    "unknown, not '%.32s'", k);
		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > 1e9 || json_number_value(v) !=
		    (double)(int64_t)json_number_value(v))
			return ledger_errorf(err, LEDGER_EINVAL, "policy: "
			    "max_findings.%s is a whole number", k);
		p->max_findings[s] = (int64_t)json_number_value(v);
		p->findings = true;
	}
	return LEDGER_OK;
}

static enum ledger_status
rules_parse(json_t *o, struct policy *p, struct ledger_error *err)
{
	static const char *const known[] = { "require", "min_approvers",
	    "approver_not_deployer", "approver_not_author",
	    "no_failing_scan", "max_approval_age_s", "max_findings", NULL };
	enum ledger_status st;
	const char *k;
	json_t *v, *x;
	size_t i, j;

	if (!json_is_object(o))
		return ledger_errorf(err, LEDGER_EINVAL, "policy: rules must be "
		    "an object");
	json_object_foreach(o, k, v) {
		for (i = 0; known[i] != NULL && strcmp(known[i], k) != 0; i++)
			;
		if (known[i] == NULL)
			return ledger_errorf(err, LEDGER_EINVAL, "policy: "
			    "unknown rule '%.64s'", k);
	}
	memset(p, 0, sizeof(*p));
	if ((v = json_object_get(o, "require")) != NULL) {
		if (!json_is_array(v))
			return ledger_errorf(err, LEDGER_EINVAL, "policy: "
			    "require is a list of kinds");
		json_array_foreach(v, i, x) {
			for (j = 0; j < 4; j++)
				if (json_is_string(x) && strcmp(
				    json_string_value(x), req_names[j]) == 0)
					break;
			if (j == 4)
				return ledger_errorf(err, LEDGER_EINVAL,
				    "policy: require takes build, test, scan, "
				    "provenance");
			p->require |= 1u << j;
		}
	}
	if ((v = json_object_get(o, "min_approvers")) != NULL &&
	    (!json_is_number(v) || json_number_value(v) < 0 ||
	    json_number_value(v) > 100 || json_number_value(v) !=
	    (double)(int64_t)json_number_value(v)))
		return ledger_errorf(err, LEDGER_EINVAL, "policy: min_approvers "
		    "is a whole number 0..100");
	p->min_approvers = v != NULL ? (int64_t)json_number_value(v) : 0;
	if ((v = json_object_get(o, "max_approval_age_s")) != NULL &&
	    (!json_is_number(v) || json_number_value(v) < 1 ||
	    json_number_value(v) > 1e10))
		return ledger_errorf(err, LEDGER_EINVAL, "policy: "
		    "max_approval_age_s is a number of seconds");
	p->max_age_s = v != NULL ? (int64_t)json_number_value(v) : 0;
	if ((st = findings_parse(json_object_get(o, "max_findings"), p, err)))
		return st;
#define FLAG(name, member) do {						\
	if ((v = json_object_get(o, name)) != NULL && !json_is_boolean(v))	\
		return ledger_errorf(err, LEDGER_EINVAL, "policy: %s is "	\
		    "true or false", name);					\
	p->member = json_is_true(v);					\
} while (0)
	FLAG("approver_not_deployer", not_deployer);
	FLAG("approver_not_author", not_author);
	FLAG("no_failing_scan", no_failing_scan);
#undef FLAG
	return LEDGER_OK;
}

/* The rules for env out of the policy text (NULL: the default). */
static enum ledger_status
policy_for(const char *text, size_t len, const char *env, struct policy *p,
    struct ledger_error *err)
{
	enum ledger_status st;
	json_t *doc, *envs, *rules;

	if (text == NULL) {
		memset(p, 0, sizeof(*p));
		(void)findings_parse(NULL, p, err);
		p->require = REQ_BUILD;
		p->min_approvers = 1;
		p->not_deployer = true;
		p->no_failing_scan = true;
		return LEDGER_OK;
	}
	if ((st = ledger_json_parse(text, len, &doc, err)) != LEDGER_OK)
		return st;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return ledger_errorf(err, LEDGER_EINVAL, "policy: not a JSON "
		    "object");
	}
	envs = json_object_get(doc, "environments");
	if (envs != NULL || json_object_get(doc, "default") != NULL) {
		if (json_object_size(doc) != (size_t)(envs != NULL) +
		    (size_t)(json_object_get(doc, "default") != NULL) ||
		    (envs != NULL && !json_is_object(envs))) {
			json_decref(doc);
			return ledger_errorf(err, LEDGER_EINVAL, "policy: "
			    "\"environments\" (an object) and \"default\" "
			    "only, or the rules alone");
		}
		rules = envs != NULL ? json_object_get(envs, env) : NULL;
		if (rules == NULL)
			rules = json_object_get(doc, "default");
		if (rules == NULL) {
			json_decref(doc);
			return ledger_errorf(err, LEDGER_EINVAL, "policy: no "
			    "rules for environment '%.64s' and no default",
			    env);
		}
	} else
		rules = doc;
	st = rules_parse(rules, p, err);
	json_decref(doc);
	return st;
}

/* ---- the evidence ---- */

struct gate {
	struct report rep;
	struct rows ev;			/* entries carrying the digest, tests
					   of its run */
	struct smap seen;		/* their seqs */
	const char *run, *pipeline, *commit;	/* of its build */
	struct ledger_buf missing;
	size_t nmissing;
	struct idx evidence;		/* seqs */
	enum ledger_status st;
};

static int
gate_row(void *ctx, const struct ledger_row *row)
{
	struct gate *g = ctx;

	if (rows_push_once(&g->ev, &g->seen, row) < 0) {
		g->st = LEDGER_ENOMEM;
		return 1;
	}
	return 0;
}

static void
miss(struct gate *g, const char *what)
{
	g->st |= ledger_buf_adds(&g->missing, g->nmissing++ ? "," : "");
	g->st |= ledger_jcs_append_string(&g->missing, what, strlen(what),
	    NULL);
}

static void
cite(struct gate *g, uint64_t seq)
{
	size_t i;

	for (i = 0; i < g->evidence.n; i++)
		if (g->evidence.v[i] == seq)
			return;
	if (!idx_push(&g->evidence, (size_t)seq))
		g->st = LEDGER_ENOMEM;
}

static int
by_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static bool
is_provenance(const struct ledger_entry *e)
{
	const char *ev = e->source[LEDGER_SRC_EVENT];

	return ev != NULL && strncmp(ev, SLSA_PREFIX, strlen(SLSA_PREFIX)) ==
	    0;
}

static bool
word_is(const struct ledger_entry *e, const char *word)
{
	const char *w = ledger_status_word(e->kind,
	    e->subject[LEDGER_SUBJ_STATUS]);

	return w != NULL && strcmp(w, word) == 0;
}

static bool
ok_word(const struct ledger_entry *e)
{
	return word_is(e, "success");
}

/* Is e of the run that built the digest (the same pipeline, when both
 * name one)? */
static bool
same_run(const struct gate *g, const struct ledger_entry *e)
{
	const char *p = e->subject[LEDGER_SUBJ_PIPELINE];

	return g->run != NULL && e->subject[LEDGER_SUBJ_RUN] != NULL &&
	    strcmp(e->subject[LEDGER_SUBJ_RUN], g->run) == 0 &&
	    (p == NULL || g->pipeline == NULL || strcmp(p, g->pipeline) == 0);
}

/* Which required kind e is evidence for (a bit of REQ_*), or 0. */
static unsigned
evidence_for(const struct gate *g, const struct ledger_entry *e,
    const char *digest)
{
	bool carries = e->subject[LEDGER_SUBJ_ARTIFACT] != NULL &&
	    strcmp(e->subject[LEDGER_SUBJ_ARTIFACT], digest) == 0;
	unsigned bits = 0;

	if (carries && is_provenance(e))
		bits |= REQ_PROVENANCE;
	/* a build: a successful one carrying the digest, its provenance,
	 * or a successful build of the run that made it */
	if (e->kind == LEDGER_KIND_BUILD && ((carries && (ok_word(e) ||
	    is_provenance(e))) || (ok_word(e) && same_run(g, e))))
		bits |= REQ_BUILD;
	if (carries && e->kind == LEDGER_KIND_SCAN && ok_word(e))
		bits |= REQ_SCAN;
	if (e->kind == LEDGER_KIND_TEST && ok_word(e) && (carries ||
	    same_run(g, e)))
		bits |= REQ_TEST;
	return bits;
}

static enum ledger_status
find(struct gate *g, enum ledger_subject f, const char *v, uint32_t kinds,
    struct ledger_error *err)
{
	struct ledger_query q;
	enum ledger_status st;

	ledger_query_init(&q);
	q.kinds = kinds;
	if ((st = ledger_query_add_subject(&q, f, v, err)) == LEDGER_OK)
		st = ledger_store_query(g->rep.s, &q, gate_row, g, err);
	ledger_query_release(&q);
	if (st == LEDGER_OK && g->st != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return st;
}

/* The kinds the policy requires, and no failing scan. */
static void
check_kinds(struct gate *g, const struct policy *p, const char *digest)
{
	unsigned have = 0, b, bit;
	char msg[160];
	size_t i;

	for (i = 0; i < g->ev.n; i++) {
		const struct ledger_entry *e = &g->ev.v[i].e;
		const char *w = ledger_status_word(e->kind,
		    e->subject[LEDGER_SUBJ_STATUS]);

		b = evidence_for(g, e, digest) & p->require;
		if (b & ~have)
			cite(g, e->seq);
		have |= b;
		if (p->no_failing_scan && e->kind == LEDGER_KIND_SCAN &&
		    w != NULL && strcmp(w, "failure") == 0) {
			snprintf(msg, sizeof(msg), "no failing scan: the scan "
			    "at seq %" PRIu64 " failed", e->seq);
			miss(g, msg);
			cite(g, e->seq);
		}
	}
	for (i = 0, bit = 1; i < 4; i++, bit <<= 1)
		if ((p->require & bit) && !(have & bit)) {
			snprintf(msg, sizeof(msg), "%s: no successful %s of "
			    "the digest", req_names[i], req_names[i]);
			miss(g, msg);
		}
}

static bool
same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* A scan of the digest with counts: an uploaded report (source type
 * "report", lib/upload.c) or a Harbor scan (source-registry.c), never an
 * event that merely carries a summary member (POST /v1/events takes any
 * subject field). */
static bool
counted_scan(const struct ledger_entry *e, const char *digest)
{
	const char *t = e->source[LEDGER_SRC_TYPE];

	return e->kind == LEDGER_KIND_SCAN &&
	    e->subject[LEDGER_SUBJ_SUMMARY] != NULL && t != NULL &&
	    (strcmp(t, "report") == 0 || strcmp(t, "harbor") == 0) &&
	    e->subject[LEDGER_SUBJ_ARTIFACT] != NULL &&
	    strcmp(e->subject[LEDGER_SUBJ_ARTIFACT], digest) == 0;
}

/* The latest counted scan of each tool; a count the rule names and the
 * summary lacks fails it (it cannot be shown to be within). */
static void
check_findings(struct gate *g, const struct policy *p, const char *digest)
{
	const struct ledger_entry *e, *o;
	char msg[200];
	uint64_t n;
	size_t i, j;
	bool any = false, newer;
	int s;

	for (i = 0; p->findings && i < g->ev.n; i++) {
		e = &g->ev.v[i].e;
		if (!counted_scan(e, digest))
			continue;
		for (j = 0, newer = false; j < g->ev.n && !newer; j++) {
			o = &g->ev.v[j].e;
			/* the same tool from the same kind of sender: Harbor's
			 * Trivy never replaces the pipeline's Trivy report */
			newer = o->seq > e->seq && counted_scan(o, digest) &&
			    same_str(o->subject[LEDGER_SUBJ_TOOL],
			    e->subject[LEDGER_SUBJ_TOOL]) &&
			    same_str(o->source[LEDGER_SRC_TYPE],
			    e->source[LEDGER_SRC_TYPE]);
		}
		if (newer)
			continue;
		any = true;
		cite(g, e->seq);
		for (s = 0; s < LEDGER_SEV_NONE; s++)
			if (p->max_findings[s] >= 0 && !ledger_summary_count(
			    e->subject[LEDGER_SUBJ_SUMMARY],
			    ledger_severity_name(s), &n)) {
				snprintf(msg, sizeof(msg), "max_findings: the "
				    "scan at seq %" PRIu64 " has no count of %s",
				    e->seq, ledger_severity_name(s));
				miss(g, msg);
			} else if (p->max_findings[s] >= 0 &&
			    n > (uint64_t)p->max_findings[s]) {
				snprintf(msg, sizeof(msg), "max_findings: the "
				    "%.40s scan at seq %" PRIu64 " found %" PRIu64
				    " %s (at most %" PRId64 ")",
				    e->subject[LEDGER_SUBJ_TOOL] ?
				    e->subject[LEDGER_SUBJ_TOOL] : "", e->seq, n,
				    ledger_severity_name(s), p->max_findings[s]);
				miss(g, msg);
			}
	}
	if (p->findings && !any)
		miss(g, "max_findings: no scan of the digest with counts "
		    "(an uploaded report or a Harbor scan)");
}

/* The approvals that count, by distinct approvers. */
static enum ledger_status
check_approvals(struct gate *g, const struct policy *p, const char *env,
    const char *digest, const char *deployer, struct ledger_error *err)
{
	struct ledger_entry e;
	enum ledger_status st;
	const struct ledger_entry *a;
	const char *seen[100], *who;
	size_t i, j, n = 0, start = 0;
	char msg[200];
	struct dep d;
	int64_t now = ledger_now_ms();
	bool author;

	memset(&e, 0, sizeof(e));
	e.seq = UINT64_MAX;		/* everything recorded precedes it */
	e.kind = LEDGER_KIND_DEPLOYMENT;
	e.subject[LEDGER_SUBJ_ENVIRONMENT] = (char *)env;
	e.subject[LEDGER_SUBJ_ARTIFACT] = (char *)digest;
	e.subject[LEDGER_SUBJ_RUN] = (char *)g->run;
	e.subject[LEDGER_SUBJ_PIPELINE] = (char *)g->pipeline;
	e.subject[LEDGER_SUBJ_COMMIT] = (char *)g->commit;
	e.subject[LEDGER_SUBJ_ACTOR] = (char *)deployer;
	if ((st = report_join_entry(&g->rep, &e, &d, err)) != LEDGER_OK) {
		dep_release(&d);
		return st;
	}
	for (i = 0; i < d.nm; i++) {
		a = &g->rep.approvals.v[d.m[i].row].e;
		if (word_is(a, "rejected"))
			start = i + 1;
	}
	if (start > 0) {
		a = &g->rep.approvals.v[d.m[start - 1].row].e;
		cite(g, a->seq);
	}
	for (i = start; i < d.nm; i++) {
		a = &g->rep.approvals.v[d.m[i].row].e;
		who = a->subject[LEDGER_SUBJ_ACTOR];
		if (who == NULL || !word_is(a, "approved"))
			continue;
		if (p->max_age_s > 0 && now - a->time_ms > 1000 * p->max_age_s)
			continue;
		if (p->not_deployer && deployer != NULL &&
		    strcmp(who, deployer) == 0)
			continue;
		for (j = 0, author = false; j < d.authors.n; j++)
			author |= strcmp(g->rep.author_names[d.authors.v[j]],
			    who) == 0;
		if (p->not_author && author)
			continue;
		for (j = 0; j < n && strcmp(seen[j], who) != 0; j++)
			;
		if (j < n || n == sizeof(seen) / sizeof(*seen))
			continue;
		seen[n++] = who;
		cite(g, a->seq);
	}
	if ((int64_t)n < p->min_approvers) {
		snprintf(msg, sizeof(msg), "approvals: %zu of %" PRId64
		    " distinct approvers%s", n, p->min_approvers, start > 0 ?
		    " since the last rejection" : "");
		miss(g, msg);
	}
	dep_release(&d);
	return LEDGER_OK;
}

static enum ledger_status
policy_json(struct ledger_buf *out, const struct policy *p,
    const char *text, size_t len)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[2 * sizeof(h) + 1];
	enum ledger_status r = LEDGER_OK;
	size_t i;
	bool any = false;

	r |= ledger_buf_adds(out, ",\"policy\":{\"require\":[");
	for (i = 0; i < 4; i++)
		if (p->require & (1u << i)) {
			r |= ledger_buf_addf(out, "%s\"%s\"", any ? "," : "",
			    req_names[i]);
			any = true;
		}
	r |= ledger_buf_addf(out, "],\"min_approvers\":%" PRId64 ","
	    "\"approver_not_deployer\":%s,\"approver_not_author\":%s,"
	    "\"no_failing_scan\":%s,\"max_approval_age_s\":%" PRId64,
	    p->min_approvers, p->not_deployer ? "true" : "false",
	    p->not_author ? "true" : "false",
	    p->no_failing_scan ? "true" : "false", p->max_age_s);
	if (p->findings) {
		r |= ledger_buf_adds(out, ",\"max_findings\":{");
		for (i = 0, any = false; i < LEDGER_SEV_NONE; i++)
			if (p->max_findings[i] >= 0) {
				r |= ledger_buf_addf(out, "%s\"%s\":%" PRId64,
				    any ? "," : "", ledger_severity_name(
				    (enum ledger_severity)i),
				    p->max_findings[i]);
				any = true;
			}
		r |= ledger_buf_addc(out, '}');
	}
	r |= ledger_buf_addc(out, '}');
	if (text != NULL) {
		crypto_hash_sha256(h, (const unsigned char *)text, len);
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		r |= ledger_buf_addf(out, ",\"policy_sha256\":\"%s\"", hex);
	} else
		r |= ledger_buf_adds(out, ",\"policy_sha256\":null");
	return r;
}

enum ledger_status
ledger_gate_json(struct ledger_store *s, const char *artifact,
    const char *environment, const char *deployer, const char *policy,
    size_t policy_len, struct ledger_buf *out, bool *allow,
    struct ledger_error *err)
{
	enum ledger_status st;
	char *digest = NULL;
	struct policy p;
	struct gate g;
	size_t i;

	*allow = false;
	memset(&g, 0, sizeof(g));
	if (artifact == NULL || *artifact == '\0')
		return ledger_errorf(err, LEDGER_EINVAL, "no artifact digest");
	if ((st = report_init(&g.rep, s, environment, NULL, err)))
		return st;
	if (g.rep.env == NULL) {
		st = ledger_errorf(err, LEDGER_EINVAL, "no environment");
		goto out;
	}
	if ((st = ledger_subject_normalize(LEDGER_SUBJ_ARTIFACT, artifact,
	    strlen(artifact), &digest, err)) ||
	    (st = policy_for(policy, policy_len, g.rep.env, &p, err)) ||
	    (st = find(&g, LEDGER_SUBJ_ARTIFACT, digest, 0, err)))
		goto out;
	/* the build that produced it: its run (its tests) and commit */
	for (i = 0; i < g.ev.n && g.run == NULL; i++)
		if (g.ev.v[i].e.kind == LEDGER_KIND_BUILD) {
			g.run = g.ev.v[i].e.subject[LEDGER_SUBJ_RUN];
			g.pipeline = g.ev.v[i].e.subject[LEDGER_SUBJ_PIPELINE];
			g.commit = g.ev.v[i].e.subject[LEDGER_SUBJ_COMMIT];
		}
	if (g.run != NULL && (st = find(&g, LEDGER_SUBJ_RUN, g.run,
	    1u << LEDGER_KIND_TEST | 1u << LEDGER_KIND_BUILD, err)))
		goto out;
	check_kinds(&g, &p, digest);
	check_findings(&g, &p, digest);
	if ((st = check_approvals(&g, &p, g.rep.env, digest, deployer, err)))
		goto out;
	*allow = g.nmissing == 0;
	g.st |= ledger_buf_addf(out, "{\"allow\":%s,\"missing\":[",
	    *allow ? "true" : "false");
	if (g.missing.len > 0)
		g.st |= ledger_buf_add(out, g.missing.data, g.missing.len);
	g.st |= ledger_buf_adds(out, "],\"evidence\":[");
	if (g.evidence.n > 1)
		qsort(g.evidence.v, g.evidence.n, sizeof(*g.evidence.v),
		    by_size);
	for (i = 0; i < g.evidence.n; i++)
		g.st |= ledger_buf_addf(out, "%s%zu", i ? "," : "",
		    g.evidence.v[i]);
	g.st |= ledger_buf_adds(out, "]");
	g.st |= ledger_json_member(out, "artifact", digest);
	g.st |= ledger_json_member(out, "environment", g.rep.env);
	g.st |= ledger_json_member(out, "deployer", deployer);
	g.st |= policy_json(out, &p, policy, policy_len);
	g.st |= ledger_buf_addc(out, '}');
	if (g.st != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
out:
	rows_release(&g.ev);
	smap_release(&g.seen);
	ledger_buf_release(&g.missing);
	free(g.evidence.v);
	report_release(&g.rep);
	free(digest);
	return st;
}

enum ledger_status
ledger_gate_policy_check(const char *policy, size_t len, const char *env,
    struct ledger_error *err)
{
	struct policy p;

	return policy_for(policy, len, env, &p, err);
}
