/* test-lineage.c - trace and where (ledger/lineage.h) on a small history */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ledger/jcs.h"
#include "ledger/lineage.h"
#include "ledger/store.h"
#include "teststore.h"
#include "testutil.h"

#define C1 "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c"
#define C2 "aaaabbbbccccddddeeeeffff0000111122223333"
#define D1 "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define D2 "sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"

static struct ledger_store *s;

#define add(...) ts_add(s, __VA_ARGS__)

static void
setup(void)
{
	ts_setup("lineage.example/log");
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	add(LEDGER_KIND_CHANGE, "commit=" C1, "actor=alice", NULL);	/* 0 */
	add(LEDGER_KIND_BUILD, "commit=" C1, "run=77", "pipeline=ci",
	    "artifact=" D1, "status=success", NULL);			/* 1 */
	add(LEDGER_KIND_TEST, "run=77", "pipeline=ci", "status=success",
	    NULL);							/* 2 */
	add(LEDGER_KIND_TEST, "run=77", "pipeline=other", NULL);	/* 3 */
	add(LEDGER_KIND_SCAN, "artifact=" D1, "status=success", NULL);	/* 4 */
	add(LEDGER_KIND_CHANGE, "commit=" C2, NULL);			/* 5 */
	add(LEDGER_KIND_BUILD, "commit=" C2, "run=78", "pipeline=ci",
	    "artifact=" D2, NULL);					/* 6 */
	add(LEDGER_KIND_APPROVAL, "artifact=" D1, "environment=production",
	    "actor=bob", "status=approved", NULL);			/* 7 */
	add(LEDGER_KIND_DEPLOYMENT, "artifact=" D1, "environment=staging",
	    "service=pay", "status=success", NULL);			/* 8 */
	add(LEDGER_KIND_DEPLOYMENT, "artifact=" D1,
	    "environment=production", "service=pay", "status=success",
	    NULL);							/* 9 */
	add(LEDGER_KIND_DEPLOYMENT, "artifact=" D2,
	    "environment=production", "service=pay", NULL);		/* 10 */
	add(LEDGER_KIND_ROLLBACK, "artifact=" D1, "environment=production",
	    "service=pay", NULL);					/* 11 */
}

static void
teardown(void)
{
	ledger_store_close(s);
	ts_teardown();
}

/* The seqs of a trace, "0 1 2" */
static const char *
seqs(const struct ledger_trace *t)
{
	static char out[512];
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < t->n; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%llu",
		    i ? " " : "", (unsigned long long)t->v[i].row.e.seq);
	return out;
}

START_TEST(test_lineage_from_a_commit)
{
	struct ledger_trace t;

	/* a prefix finds the commit; its run's tests of the same pipeline,
	 * its artifact's scan, approval, deployments and rollback; not the
	 * other commit's chain nor the same run id in another pipeline */
	ck_assert_int_eq(ledger_trace(s, LEDGER_SUBJ_COMMIT, "1f2e3d4c", NULL,
	    &t, NULL), LEDGER_OK);
	ck_assert_str_eq(seqs(&t), "0 1 2 4 7 8 9 11");
	ck_assert_int_eq(t.v[0].via, LEDGER_SUBJ_COMMIT);
	ck_assert_int_eq(t.v[2].via, LEDGER_SUBJ_RUN);
	ck_assert_int_eq(t.v[3].via, LEDGER_SUBJ_ARTIFACT);
	ck_assert(!t.truncated);
	ledger_trace_release(&t);
}
END_TEST

START_TEST(test_lineage_from_an_artifact_and_a_run)
{
	struct ledger_trace t;

	/* bare digest; upstream: its run's tests and its commit's push */
	ck_assert_int_eq(ledger_trace(s, LEDGER_SUBJ_ARTIFACT, D1 + 7, NULL,
	    &t, NULL), LEDGER_OK);
	ck_assert_str_eq(seqs(&t), "0 1 2 4 7 8 9 11");
	ledger_trace_release(&t);
	ck_assert_int_eq(ledger_trace(s, LEDGER_SUBJ_RUN, "77", "ci", &t,
	    NULL), LEDGER_OK);
	ck_assert_str_eq(seqs(&t), "0 1 2 4 7 8 9 11");
	ledger_trace_release(&t);
	/* an entry of run 77 naming no pipeline is of that run */
	add(LEDGER_KIND_TEST, "run=77", "status=failure", NULL);	/* 12 */
	ck_assert_int_eq(ledger_trace(s, LEDGER_SUBJ_RUN, "77", "ci", &t,
	    NULL), LEDGER_OK);
	ck_assert_str_eq(seqs(&t), "0 1 2 4 7 8 9 11 12");
	ledger_trace_release(&t);
	/* without the pipeline, the other pipeline's run 77 too */
	ck_assert_int_eq(ledger_trace(s, LEDGER_SUBJ_RUN, "77", NULL, &t,
	    NULL), LEDGER_OK);
	ck_assert_str_eq(seqs(&t), "0 1 2 3 4 7 8 9 11 12");
	ledger_trace_release(&t);
}
END_TEST

START_TEST(test_lineage_where_and_refusals)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_trace t;
	struct ledger_error err;
	json_t *v, *targets;

	ck_assert_int_eq(ledger_trace(s, LEDGER_SUBJ_ARTIFACT, D1, NULL, &t,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_where_json(&t, &b), LEDGER_OK);
	ck_assert_int_eq(ledger_json_parse(b.data, b.len, &v, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(json_array_size(json_object_get(v, "deployments")),
	    3);	/* 8, 9 and the rollback 11 */
	targets = json_object_get(v, "targets");
	ck_assert_uint_eq(json_array_size(targets), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    targets, 1), "last_kind")), "rollback");
	ck_assert(json_real_value(json_object_get(json_array_get(targets, 1),
	    "first_seq")) == 9);
	json_decref(v);
	ledger_buf_reset(&b);
	ck_assert_int_eq(ledger_trace_json(&t, &b), LEDGER_OK);
	ck_assert_ptr_nonnull(strstr(b.data, "\"via\":\"commit\""));
	ck_assert_ptr_nonnull(strstr(b.data, "\"truncated\":false"));
	ledger_buf_release(&b);
	ledger_trace_release(&t);
	/* nothing carries it: empty, not an error */
	ck_assert_int_eq(ledger_trace(s, LEDGER_SUBJ_COMMIT, "0123456789ab",
	    NULL, &t, NULL), LEDGER_OK);
	ck_assert_uint_eq(t.n, 0);
	ledger_trace_release(&t);
	ck_assert_int_eq(ledger_trace(s, LEDGER_SUBJ_SERVICE, "pay", NULL, &t,
	    &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_trace(s, LEDGER_SUBJ_COMMIT, "bad\x01id", NULL, &t,
	    &err), LEDGER_EINVAL);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("lineage");
	TCase *tc = tcase_create("trace");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_lineage_from_a_commit);
	tcase_add_test(tc, test_lineage_from_an_artifact_and_a_run);
	tcase_add_test(tc, test_lineage_where_and_refusals);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
