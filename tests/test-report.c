/* test-report.c - deployments, exceptions, state, last good, actors and the
 * gate (ledger/report.h) on a small history that has one of each case */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ledger/jcs.h"
#include "ledger/report.h"
#include "ledger/status.h"
#include "ledger/store.h"
#include "ledger/tree.h"
#include "teststore.h"
#include "testutil.h"

#define C1 "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c"
#define C2 "2222bbbbccccddddeeeeffff0000111122223333"
#define C3 "3333bbbbccccddddeeeeffff0000111122223333"
#define C4 "4444bbbbccccddddeeeeffff0000111122223333"
#define D1 "sha256:1111d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define D2 "sha256:2222d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define D3 "sha256:3333d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

#define add(...) ts_add(s, __VA_ARGS__)

static struct ledger_store *s;
static int64_t t_before5, t10;

static void
checkpoint(void)
{
	struct ledger_signed_checkpoint cp;

	ck_assert_int_eq(ledger_store_checkpoint(s, &cp, NULL, NULL),
	    LEDGER_OK);
	ledger_signed_checkpoint_release(&cp);
}

static void
setup(void)
{
	ts_setup("report.example/log");
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	add(LEDGER_KIND_CHANGE, "commit=" C1, "actor=alice", NULL);	/* 0 */
	add(LEDGER_KIND_BUILD, "commit=" C1, "run=1", "pipeline=ci",
	    "artifact=" D1, "status=success", "actor=alice", NULL);	/* 1 */
	add(LEDGER_KIND_TEST, "run=1", "pipeline=ci", "status=passed",
	    NULL);							/* 2 */
	add(LEDGER_KIND_SCAN, "artifact=" D1, "status=success", NULL);	/* 3 */
	checkpoint();						/* size 4 */
	usleep(5000);
	t_before5 = ledger_now_ms();
	usleep(5000);
	add(LEDGER_KIND_APPROVAL, "environment=production", "artifact=" D1,
	    "actor=bob", "status=approved", NULL);			/* 4 */
	/* one deployment, two statuses (and an inactive at 20) */
	add(LEDGER_KIND_DEPLOYMENT, "environment=production", "service=pay",
	    "artifact=" D1, "commit=" C1, "actor=carol", "deployment=100",
	    "status=queued", NULL);					/* 5 */
	add(LEDGER_KIND_DEPLOYMENT, "environment=production", "service=pay",
	    "artifact=" D1, "commit=" C1, "actor=carol", "deployment=100",
	    "status=success", NULL);					/* 6 */
	/* approvals of D2 in staging and of D3: neither is for D2 here */
	add(LEDGER_KIND_APPROVAL, "environment=staging", "artifact=" D2,
	    "actor=bob", "status=approved", NULL);			/* 7 */
	add(LEDGER_KIND_APPROVAL, "environment=production", "artifact=" D3,
	    "actor=bob", "status=approved", NULL);			/* 8 */
	add(LEDGER_KIND_CHANGE, "commit=" C2, "actor=alice", NULL);	/* 9 */
	add(LEDGER_KIND_DEPLOYMENT, "environment=production", "service=pay",
	    "artifact=" D2, "actor=carol", "status=success", NULL);	/* 10 */
	ck_assert_int_eq(ledger_store_time_of(s, 10, &t10, NULL), LEDGER_OK);
	usleep(5000);
	add(LEDGER_KIND_ROLLBACK, "environment=production", "service=pay",
	    "actor=carol", NULL);					/* 11 */
	/* approved only after it was deployed (by run) */
	add(LEDGER_KIND_DEPLOYMENT, "environment=production", "service=web",
	    "run=7", "pipeline=ci", "commit=" C2, "actor=dave",
	    "status=deployed", NULL);					/* 12 */
	add(LEDGER_KIND_APPROVAL, "environment=production", "run=7",
	    "pipeline=ci", "actor=erin", "status=approved", NULL);	/* 13 */
	/* approved, then rejected (GitLab's word), then deployed */
	add(LEDGER_KIND_APPROVAL, "environment=production", "commit=" C3,
	    "actor=frank", "status=approved", NULL);			/* 14 */
	add(LEDGER_KIND_APPROVAL, "environment=production", "commit=" C3,
	    "actor=grace", "status=unapproved", NULL);			/* 15 */
	add(LEDGER_KIND_DEPLOYMENT, "environment=production", "service=web",
	    "commit=" C3, "actor=dave", "status=success", NULL);	/* 16 */
	/* approved by the commit's author */
	add(LEDGER_KIND_CHANGE, "commit=" C4, "actor=heidi", NULL);	/* 17 */
	add(LEDGER_KIND_APPROVAL, "environment=production", "commit=" C4,
	    "actor=heidi", "status=approve", NULL);			/* 18 */
	add(LEDGER_KIND_DEPLOYMENT, "environment=production", "service=web",
	    "commit=" C4, "actor=ivan", "status=success", NULL);	/* 19 */
	add(LEDGER_KIND_DEPLOYMENT, "environment=production", "service=pay",
	    "artifact=" D1, "commit=" C1, "actor=carol", "deployment=100",
	    "status=inactive", NULL);					/* 20 */
	checkpoint();						/* size 21 */
}

static void
teardown(void)
{
	ledger_store_close(s);
	ts_teardown();
}

static json_t *
parse(const struct ledger_buf *b)
{
	json_t *v;

	ck_assert_int_eq(ledger_json_parse(b->data, b->len, &v, NULL),
	    LEDGER_OK);
	return v;
}

static double
num(json_t *o, const char *name)
{
	ck_assert_msg(json_is_number(json_object_get(o, name)), "%s", name);
	return json_number_value(json_object_get(o, name));
}

static const char *
str(json_t *o, const char *name)
{
	ck_assert_msg(json_is_string(json_object_get(o, name)), "%s", name);
	return json_string_value(json_object_get(o, name));
}

/* A JSON array as text: numbers (or objects' "seq") space-separated,
 * strings comma-separated. */
static const char *
joined(json_t *a)
{
	static char out[512];
	json_t *v;
	size_t i, len = 0;

	out[0] = '\0';
	json_array_foreach(a, i, v) {
		if (json_is_string(v))
			len += (size_t)snprintf(out + len, sizeof(out) - len,
			    "%s%s", i ? "," : "", json_string_value(v));
		else
			len += (size_t)snprintf(out + len, sizeof(out) - len,
			    "%s%.0f", i ? " " : "", json_is_number(v) ?
			    json_number_value(v) : num(v, "seq"));
	}
	return out;
}

#define seqs(a) joined(a)
#define names(a) joined(a)

static void
opts(struct ledger_report_opts *o, const char *env)
{
	memset(o, 0, sizeof(*o));
	o->environment = env;
	o->from_ms = t_before5;
	o->to_ms = ledger_now_ms() + 60000;
}

START_TEST(test_report_vocabulary_and_rules)
{
	struct ledger_entry a, d;

	ck_assert_str_eq(ledger_status_word(LEDGER_KIND_DEPLOYMENT, "failed"),
	    "failure");
	ck_assert_str_eq(ledger_status_word(LEDGER_KIND_DEPLOYMENT,
	    "Canceled"), "cancelled");
	ck_assert_str_eq(ledger_status_word(LEDGER_KIND_APPROVAL,
	    "unapproved"), "rejected");
	ck_assert_str_eq(ledger_status_word(LEDGER_KIND_APPROVAL,
	    "changes_requested"), "rejected");
	ck_assert_str_eq(ledger_status_word(LEDGER_KIND_BUILD, "whatever"),
	    "unknown");
	ck_assert_ptr_null(ledger_status_word(LEDGER_KIND_BUILD, NULL));
	ck_assert_str_eq(ledger_status_word(LEDGER_KIND_CHANGE, "pushed"),
	    "success");
	ck_assert_str_eq(ledger_status_word(LEDGER_KIND_CHANGE, "deleted"),
	    "removed");
	ck_assert_str_eq(ledger_status_word(LEDGER_KIND_CHANGE, "failed"),
	    "failure");

	memset(&a, 0, sizeof(a));
	memset(&d, 0, sizeof(d));
	a.subject[LEDGER_SUBJ_ENVIRONMENT] = d.subject[LEDGER_SUBJ_ENVIRONMENT] =
	    "production";
	a.subject[LEDGER_SUBJ_ARTIFACT] = D1;
	d.subject[LEDGER_SUBJ_ARTIFACT] = D2;
	a.subject[LEDGER_SUBJ_COMMIT] = d.subject[LEDGER_SUBJ_COMMIT] = C1;
	/* both carry digests: they decide, the commit is not looked at */
	ck_assert_int_eq(ledger_approval_match(&a, &d), LEDGER_RULE_NONE);
	d.subject[LEDGER_SUBJ_ARTIFACT] = D1;
	ck_assert_int_eq(ledger_approval_match(&a, &d), LEDGER_RULE_ARTIFACT);
	a.subject[LEDGER_SUBJ_ARTIFACT] = NULL;
	ck_assert_int_eq(ledger_approval_match(&a, &d), LEDGER_RULE_COMMIT);
	a.subject[LEDGER_SUBJ_RUN] = "5";
	d.subject[LEDGER_SUBJ_RUN] = "6";
	ck_assert_int_eq(ledger_approval_match(&a, &d), LEDGER_RULE_NONE);
	d.subject[LEDGER_SUBJ_RUN] = "5";
	a.subject[LEDGER_SUBJ_PIPELINE] = "x";
	ck_assert_int_eq(ledger_approval_match(&a, &d), LEDGER_RULE_RUN);
	d.subject[LEDGER_SUBJ_PIPELINE] = "y";
	ck_assert_int_eq(ledger_approval_match(&a, &d), LEDGER_RULE_NONE);
	d.subject[LEDGER_SUBJ_PIPELINE] = "x";
	a.subject[LEDGER_SUBJ_ENVIRONMENT] = "staging";
	ck_assert_int_eq(ledger_approval_match(&a, &d), LEDGER_RULE_NONE);
	ck_assert_uint_eq(ledger_exception_parse("late-approval"),
	    LEDGER_EXC_LATE);
	ck_assert_uint_eq(ledger_exception_parse("late"), 0);
}
END_TEST

START_TEST(test_report_population)
{
	struct ledger_report_opts o;
	struct ledger_buf b = LEDGER_BUF_INIT;
	json_t *v, *deps, *d, *c;
	size_t n;

	opts(&o, "Production");
	ck_assert_int_eq(ledger_deployments_json(s, &o, &b, &n, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(n, 5);
	v = parse(&b);
	deps = json_object_get(v, "deployments");
	/* one row per deployment, its seq the entry giving its status */
	ck_assert_str_eq(seqs(deps), "6 10 12 16 19");
	d = json_array_get(deps, 0);
	ck_assert_str_eq(str(d, "status"), "success");
	ck_assert_str_eq(seqs(json_object_get(d, "entries")), "5 6 20");
	ck_assert_str_eq(seqs(json_object_get(d, "approvals")), "4");
	ck_assert_str_eq(str(json_array_get(json_object_get(d, "approvals"),
	    0), "rule"), "artifact");
	ck_assert(json_is_true(json_object_get(d, "approved")));
	ck_assert_uint_eq(json_array_size(json_object_get(d, "exceptions")),
	    0);
	ck_assert_str_eq(str(d, "deployer"), "carol");
	d = json_array_get(deps, 1);
	ck_assert(json_is_true(json_object_get(d, "rolled_back")));
	ck_assert_str_eq(names(json_object_get(d, "exceptions")), "unapproved");
	ck_assert_str_eq(names(json_object_get(json_array_get(deps, 2),
	    "exceptions")), "late-approval");
	ck_assert_str_eq(names(json_object_get(json_array_get(deps, 3),
	    "exceptions")), "rejected");
	d = json_array_get(deps, 4);
	ck_assert_str_eq(names(json_object_get(d, "exceptions")),
	    "self-approved");
	ck_assert_str_eq(names(json_object_get(d, "authors")), "heidi");
	ck_assert_str_eq(str(json_array_get(json_object_get(d, "approvals"),
	    0), "rule"), "commit");
	/* completeness: the period's entries 4..20 between the checkpoints
	 * of size 4 and 21, proven consistent */
	c = json_object_get(v, "completeness");
	ck_assert(num(c, "count") == 5);
	ck_assert(num(c, "first_seq") == 4);
	ck_assert(num(c, "last_seq") == 20);
	ck_assert(num(json_object_get(c, "checkpoint_before"), "size") == 4);
	ck_assert(num(json_object_get(c, "checkpoint_after"), "size") == 21);
	ck_assert(num(json_object_get(c, "consistency"), "first") == 4);
	ck_assert_uint_gt(json_array_size(json_object_get(json_object_get(c,
	    "consistency"), "consistency")), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(c, "gaps")), 0);
	json_decref(v);
	/* pages of two: the same rows, in order, each naming the next */
	{
		char got[256] = "";
		uint64_t after = 0;
		bool more = true;
		int pages = 0;

		while (more) {
			json_t *p;

			ledger_buf_reset(&b);
			opts(&o, "production");
			o.limit = 2;
			o.start_seq = pages ? after + 1 : 0;
			ck_assert_int_eq(ledger_deployments_json(s, &o, &b, &n,
			    NULL), LEDGER_OK);
			p = parse(&b);
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
			    "%s%s", pages ? " " : "", seqs(json_object_get(p,
			    "deployments")));
			more = json_is_true(json_object_get(p, "truncated"));
			if (more)
				after = (uint64_t)num(p, "next_after");
			ck_assert(num(json_object_get(p, "completeness"),
			    "count") == 5);
			json_decref(p);
			pages++;
		}
		ck_assert_str_eq(got, "6 10 12 16 19");
		ck_assert_int_eq(pages, 3);
	}
	/* an environment with nothing; no environment; a reversed period */
	ledger_buf_reset(&b);
	opts(&o, "nowhere");
	ck_assert_int_eq(ledger_deployments_json(s, &o, &b, &n, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(n, 0);
	ledger_buf_reset(&b);
	o.environment = NULL;
	ck_assert_int_eq(ledger_deployments_json(s, &o, &b, &n, NULL),
	    LEDGER_EINVAL);
	opts(&o, "production");
	o.to_ms = o.from_ms;
	ck_assert_int_eq(ledger_deployments_json(s, &o, &b, &n, NULL),
	    LEDGER_EINVAL);
	ledger_buf_release(&b);
}
END_TEST

START_TEST(test_report_exceptions_and_actors)
{
	static const struct { const char *name, *seqs, *evidence; } x[] = {
		{ "unapproved", "10", "10" },
		{ "late-approval", "12", "13" },
		{ "rejected", "16", "15" },
		{ "self-approved", "19", "18" },
	};
	struct ledger_report_opts o;
	struct ledger_buf b = LEDGER_BUF_INIT;
	json_t *v, *rows, *a;
	size_t i, n;

	opts(&o, "production");
	for (i = 0; i < sizeof(x) / sizeof(*x); i++) {
		ledger_buf_reset(&b);
		ck_assert_int_eq(ledger_exceptions_json(s, &o,
		    ledger_exception_parse(x[i].name), &b, &n, NULL),
		    LEDGER_OK);
		v = parse(&b);
		rows = json_object_get(v, "exceptions");
		ck_assert_str_eq(seqs(rows), x[i].seqs);
		ck_assert_str_eq(seqs(json_object_get(json_array_get(rows, 0),
		    "evidence")), x[i].evidence);
		json_decref(v);
	}
	/* every environment: staging has no deployment, the same rows */
	o.environment = NULL;
	ledger_buf_reset(&b);
	ck_assert_int_eq(ledger_exceptions_json(s, &o, LEDGER_EXC_UNAPPROVED,
	    &b, &n, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ledger_exceptions_json(s, &o, 0, &b, &n, NULL),
	    LEDGER_EINVAL);
	/* actors: deployers and approvers with counts */
	ledger_buf_reset(&b);
	opts(&o, "production");
	ck_assert_int_eq(ledger_actors_json(s, &o, &b, &n, NULL), LEDGER_OK);
	v = parse(&b);
	a = json_object_get(v, "actors");
	/* bob carol dave erin frank grace heidi ivan */
	ck_assert_uint_eq(json_array_size(a), 8);
	ck_assert_str_eq(str(json_array_get(a, 0), "actor"), "bob");
	ck_assert(num(json_array_get(a, 0), "approvals") == 2);
	ck_assert(num(json_array_get(a, 1), "deployments") == 2);
	ck_assert(num(json_array_get(a, 1), "rollbacks") == 1);
	json_decref(v);
	ledger_buf_release(&b);
}
END_TEST

START_TEST(test_report_state_and_last_good)
{
	struct ledger_report_opts o;
	struct ledger_buf b = LEDGER_BUF_INIT;
	json_t *v, *st;
	bool found;
	size_t n;

	/* now: pay rolled back to the first deployment; web the last */
	opts(&o, "production");
	ck_assert_int_eq(ledger_state_json(s, &o, &b, &n, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 2);
	v = parse(&b);
	st = json_object_get(v, "state");
	ck_assert_str_eq(str(json_array_get(st, 0), "service"), "pay");
	ck_assert_str_eq(seqs(st), "6 19");
	ck_assert_str_eq(str(json_array_get(st, 0), "artifact"), D1);
	json_decref(v);
	/* at the time of seq 10: D2 ran */
	ledger_buf_reset(&b);
	o.at_ms = t10;
	o.service = "pay";
	ck_assert_int_eq(ledger_state_json(s, &o, &b, &n, NULL), LEDGER_OK);
	v = parse(&b);
	ck_assert_str_eq(seqs(json_object_get(v, "state")), "10");
	json_decref(v);
	/* last good: not the rolled-back D2, the approved D1 */
	ledger_buf_reset(&b);
	o.at_ms = 0;
	ck_assert_int_eq(ledger_last_good_json(s, &o, &b, &found, NULL),
	    LEDGER_OK);
	ck_assert(found);
	v = parse(&b);
	ck_assert(num(v, "seq") == 6);
	ck_assert_str_eq(str(v, "artifact"), D1);
	json_decref(v);
	/* web: 19, approved (by its author, but approved) */
	ledger_buf_reset(&b);
	o.service = "web";
	ck_assert_int_eq(ledger_last_good_json(s, &o, &b, &found, NULL),
	    LEDGER_OK);
	v = parse(&b);
	ck_assert(num(v, "seq") == 19);
	json_decref(v);
	/* before anything: none */
	ledger_buf_reset(&b);
	o.at_ms = t_before5;
	ck_assert_int_eq(ledger_last_good_json(s, &o, &b, &found, NULL),
	    LEDGER_OK);
	ck_assert(!found);
	o.service = NULL;
	ck_assert_int_eq(ledger_last_good_json(s, &o, &b, &found, NULL),
	    LEDGER_EINVAL);
	ledger_buf_release(&b);
}
END_TEST

static json_t *
gate(const char *digest, const char *deployer, const char *policy,
    bool want)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	bool allow;
	json_t *v;

	ck_assert_int_eq(ledger_gate_json(s, digest, "production", deployer,
	    policy, policy ? strlen(policy) : 0, &b, &allow, NULL),
	    LEDGER_OK);
	ck_assert_msg(allow == want, "%s", b.data);
	v = parse(&b);
	ledger_buf_release(&b);
	return v;
}

START_TEST(test_report_gate)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	bool allow;
	json_t *v, *mf;

	/* the default policy: a build and one approver not the deployer */
	v = gate(D1, "carol", NULL, true);
	ck_assert_str_eq(seqs(json_object_get(v, "evidence")), "1 4");
	json_decref(v);
	/* bob may not approve his own deployment */
	json_decref(gate(D1, "bob", NULL, false));
	/* D2: no build, no approval in production */
	v = gate(D2, "carol", NULL, false);
	ck_assert_uint_eq(json_array_size(json_object_get(v, "missing")), 2);
	json_decref(v);
	/* a policy for production: test and scan too, two approvers */
	v = gate(D1, "carol", "{\"environments\":{\"production\":{\"require\":"
	    "[\"build\",\"test\",\"scan\"],\"min_approvers\":2}}}", false);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(v,
	    "missing"), 0)), "approvals: 1 of 2 distinct approvers");
	ck_assert_str_eq(seqs(json_object_get(v, "evidence")), "1 2 3 4");
	ck_assert(json_is_string(json_object_get(v, "policy_sha256")));
	json_decref(v);
	json_decref(gate(D1, "carol", "{\"require\":[\"build\",\"test\","
	    "\"scan\"],\"min_approvers\":1}", true));
	/* provenance is required and absent */
	json_decref(gate(D1, "carol", "{\"require\":[\"provenance\"]}",
	    false));
	/* a failing scan blocks */
	add(LEDGER_KIND_SCAN, "artifact=" D1, "status=failed", NULL);	/* 21 */
	v = gate(D1, "carol", "{\"no_failing_scan\":true}", false);
	ck_assert_str_eq(seqs(json_object_get(v, "evidence")), "4 21");
	json_decref(v);
	/* max_findings reads the counts of the latest scan by each tool */
	add(LEDGER_KIND_SCAN, "artifact=" D1, "status=fail", "tool=Trivy",
	    "summary=critical=0,high=2,medium=1,low=0,unknown=0,fail_on=high",
	    "type=report", NULL);					/* 22 */
	add(LEDGER_KIND_SCAN, "artifact=" D1, "status=pass", "tool=Grype",
	    "summary=critical=0,high=0,medium=5,low=0,unknown=0,fail_on=high",
	    "type=report", NULL);					/* 23 */
	v = gate(D1, "carol", "{\"max_findings\":{\"critical\":0,\"high\":0}}",
	    false);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(v,
	    "missing"), 0)), "max_findings: the Trivy scan at seq 22 found 2 "
	    "high (at most 0)");
	ck_assert_uint_eq(json_array_size(json_object_get(v, "missing")), 1);
	mf = json_object_get(json_object_get(v, "policy"), "max_findings");
	ck_assert(json_is_number(json_object_get(mf, "high")) &&
	    json_number_value(json_object_get(mf, "high")) == 0);
	ck_assert_ptr_null(json_object_get(mf, "medium"));
	json_decref(v);
	/* a generic event that carries a summary is no uploaded report: it
	 * does not hide Trivy's counts */
	add(LEDGER_KIND_SCAN, "artifact=" D1, "status=pass", "tool=Trivy",
	    "summary=ok", NULL);					/* 24 */
	json_decref(gate(D1, "carol", "{\"max_findings\":{\"high\":0}}",
	    false));
	/* Trivy again, after the fix was waived in a VEX: its latest counts */
	add(LEDGER_KIND_SCAN, "artifact=" D1, "status=pass", "tool=Trivy",
	    "summary=critical=0,high=0,medium=1,low=0,unknown=0,fail_on=high",
	    "type=report", NULL);					/* 25 */
	v = gate(D1, "carol", "{\"max_findings\":{\"critical\":0,\"high\":0}}",
	    true);
	ck_assert_str_eq(seqs(json_object_get(v, "evidence")), "4 23 25");
	json_decref(v);
	/* a report without the count the rule names fails it */
	add(LEDGER_KIND_SCAN, "artifact=" D1, "status=pass", "tool=Grype",
	    "summary=medium=5", "type=report", NULL);			/* 26 */
	v = gate(D1, "carol", "{\"max_findings\":{\"critical\":0}}", false);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(v,
	    "missing"), 0)), "max_findings: the scan at seq 26 has no count "
	    "of critical");
	json_decref(v);
	/* a Harbor scan's counts count (its webhook is authenticated) */
	add(LEDGER_KIND_SCAN, "artifact=" D1, "status=success",
	    "tool=Harbor-Trivy", "summary=critical=3,high=0,medium=0,low=0,"
	    "unknown=0", "type=harbor", NULL);				/* 27 */
	v = gate(D1, "carol", "{\"max_findings\":{\"critical\":0}}", false);
	ck_assert_uint_eq(json_array_size(json_object_get(v, "missing")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(v,
	    "missing"), 1)), "max_findings: the Harbor-Trivy scan at seq 27 "
	    "found 3 critical (at most 0)");
	json_decref(v);
	/* Harbor's own Trivy does not replace the pipeline's Trivy report
	 * (seq 25): both are read */
	add(LEDGER_KIND_SCAN, "artifact=" D1, "status=success", "tool=Trivy",
	    "summary=critical=0,high=5,medium=0,low=0,unknown=0",
	    "type=harbor", NULL);					/* 28 */
	v = gate(D1, "carol", "{\"max_findings\":{\"low\":0}}", false);
	ck_assert_ptr_nonnull(strstr(seqs(json_object_get(v, "evidence")),
	    "25 26 27 28"));
	json_decref(v);
	json_decref(gate(D1, "carol", "{\"max_findings\":{\"medium\":4}}",
	    false));
	/* no scan with counts: denied, not waved through */
	v = gate(D2, "carol", "{\"min_approvers\":0,\"max_findings\":"
	    "{\"critical\":0}}", false);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(v,
	    "missing"), 0)), "max_findings: no scan of the digest with counts "
	    "(an uploaded report or a Harbor scan)");
	json_decref(v);
	ck_assert_int_eq(ledger_gate_json(s, D1, "production", NULL,
	    "{\"max_findings\":{\"severe\":0}}", 30, &b, &allow, NULL),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_gate_json(s, D1, "production", NULL,
	    "{\"max_findings\":{\"high\":-1}}", 29, &b, &allow, NULL),
	    LEDGER_EINVAL);
	/* bad policies: unknown rule, bad values, not JSON, no rules */
	ck_assert_int_eq(ledger_gate_json(s, D1, "production", NULL,
	    "{\"min_aprovers\":1}", 18, &b, &allow, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_gate_json(s, D1, "production", NULL,
	    "{\"require\":[\"lint\"]}", 19, &b, &allow, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_gate_json(s, D1, "production", NULL,
	    "{\"require\":", 11, &b, &allow, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_gate_json(s, D1, "production", NULL,
	    "{\"environments\":{\"staging\":{}}}", 31, &b, &allow, NULL),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_gate_json(s, NULL, "production", NULL,
	    NULL, 0, &b, &allow, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_gate_json(s, D1, NULL, NULL, NULL, 0, &b,
	    &allow, NULL), LEDGER_EINVAL);
	ledger_buf_release(&b);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("report");
	TCase *tc = tcase_create("answers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_report_vocabulary_and_rules);
	tcase_add_test(tc, test_report_population);
	tcase_add_test(tc, test_report_exceptions_and_actors);
	tcase_add_test(tc, test_report_state_and_last_good);
	tcase_add_test(tc, test_report_gate);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
