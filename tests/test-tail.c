/* test-tail.c - the tail verifier: what was appended since the last step,
 * checked; every tamper done behind the library's back after a step is
 * named at its exact seq by the next one */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <sodium.h>

#include "ledger/store.h"
#include "ledger/tree.h"
#include "ledger/verify.h"
#include "teststore.h"
#include "testutil.h"

struct seen {
	uint64_t seq[8];
	enum ledger_problem p[8];
	size_t n;
};

static void
note(void *ctx, uint64_t seq, enum ledger_problem p, const char *detail)
{
	struct seen *sn = ctx;

	if (getenv("TAIL_DEBUG") != NULL)
		fprintf(stderr, "problem at %" PRIu64 " %s: %s\n", seq,
		    ledger_problem_name(p), detail);
	if (sn->n < 8) {
		sn->seq[sn->n] = seq;
		sn->p[sn->n++] = p;
	}
}

/* n entries (environment prod), then a checkpoint. */
static void
add(struct ledger_store *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		(void)ts_add(s, LEDGER_KIND_DEPLOYMENT, "environment=prod",
		    "service=pay", NULL);
	ck_assert_int_eq(ledger_store_checkpoint(s, NULL, NULL, NULL),
	    LEDGER_OK);
}

/* A ledger of 10 entries, checked by a tail; then 6 more (seqs 10..15)
 * with checkpoints of size 13 and 16, not yet checked. */
static struct ledger_tail *
prepare(struct ledger_store **rs, struct seen *sn)
{
	struct ledger_store *w, *r;
	struct ledger_tail *t;
	struct ledger_verify_report rep;
	uint64_t n;

	ts_setup("t.example/tail");
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &w, NULL), LEDGER_OK);
	add(w, 10);
	ck_assert_int_eq(ledger_store_open(ts_data(), LEDGER_STORE_READONLY,
	    &r, NULL), LEDGER_OK);
	memset(sn, 0, sizeof(*sn));
	ck_assert_int_eq(ledger_tail_new(r, NULL, note, sn, &t, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_tail_step(t, r, 0, &n, &rep, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 10);
	ck_assert_uint_eq(rep.problems, 0);
	add(w, 3);
	add(w, 3);
	ledger_store_close(w);
	*rs = r;
	return t;
}

/* The next step: its report. */
static struct ledger_verify_report
step(struct ledger_tail *t, struct ledger_store *r)
{
	struct ledger_verify_report rep;
	uint64_t n;

	ck_assert_int_eq(ledger_tail_step(t, r, 0, &n, &rep, NULL), LEDGER_OK);
	/* a pending row is judged when the next one comes: one more */
	ck_assert_int_eq(ledger_tail_step(t, r, 0, &n, &rep, NULL), LEDGER_OK);
	return rep;
}

static void
done(struct ledger_tail *t, struct ledger_store *r)
{
	ledger_tail_free(t);
	ledger_store_close(r);
	ts_teardown();
}

START_TEST(test_tail_clean_in_small_steps)
{
	struct ledger_store *r;
	struct ledger_verify_report rep;
	struct seen sn;
	struct ledger_tail *t = prepare(&r, &sn);
	uint64_t n, total = 0;

	do {
		ck_assert_int_eq(ledger_tail_step(t, r, 4, &n, &rep, NULL),
		    LEDGER_OK);
		ck_assert_uint_le(n, 4);
		total += n;
	} while (n > 0);
	ck_assert_uint_eq(total, 6);
	ck_assert_uint_eq(ledger_tail_next(t), 16);
	ck_assert_uint_eq(rep.problems, 0);
	ck_assert_uint_eq(sn.n, 0);
	done(t, r);
}
END_TEST

/* Forgery loop: one byte of entry 12 changed at each of its offsets in
 * turn (every third), the signature kept: named at 12 every time. */
START_TEST(test_tail_forgery_loop)
{
	struct ledger_store *r;
	struct ledger_verify_report rep;
	struct seen sn;
	struct ledger_tail *t;
	char sql[256];
	int i, len = 0;

	t = prepare(&r, &sn);
	{
		struct ledger_row row;

		ck_assert_int_eq(ledger_store_get(r, 12, &row, NULL),
		    LEDGER_OK);
		len = (int)row.entry_len;
		ledger_row_release(&row);
	}
	done(t, r);
	for (i = 0; i < len; i += 3) {
		t = prepare(&r, &sn);
		snprintf(sql, sizeof(sql), "DROP TRIGGER entries_no_update; "
		    "UPDATE entries SET entry = CAST(substr(entry, 1, %d) || "
		    "CASE WHEN substr(entry, %d, 1) = X'5A' THEN X'59' ELSE "
		    "X'5A' END || substr(entry, %d) AS BLOB) WHERE seq = 12",
		    i, i + 1, i + 2);
		ts_sql(ts_data(), sql);
		rep = step(t, r);
		ck_assert_msg(rep.problems >= 1, "offset %d: not found", i);
		ck_assert_msg(rep.first_bad_seq == 12, "offset %d: first bad "
		    "%" PRIu64, i, rep.first_bad_seq);
		done(t, r);
	}
}
END_TEST

/* Each tamper after a step, and the seq and category the next names. */
START_TEST(test_tail_tampers)
{
	static const struct {
		const char *sql;
		uint64_t seq;
		enum ledger_problem p;
	} cases[] = {
		{ "DROP TRIGGER entries_no_update; UPDATE entries SET sig = "
		  "zeroblob(64) WHERE seq = 11", 11,
		  LEDGER_PROB_BAD_SIGNATURE },
		{ "DROP TRIGGER entries_no_update; UPDATE entries SET "
		  "environment = 'staging' WHERE seq = 14", 14,
		  LEDGER_PROB_INDEX_MISMATCH },
		{ "DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE "
		  "seq = 13", 13, LEDGER_PROB_MISSING },
		{ "DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET "
		  "note = replace(note, 'tail', 'tall') "
		  "WHERE size = 13", 12, LEDGER_PROB_BAD_CHECKPOINT },
	};
	struct ledger_store *r;
	struct ledger_verify_report rep;
	struct seen sn;
	struct ledger_tail *t = prepare(&r, &sn);

	ts_sql(ts_data(), cases[_i].sql);
	rep = step(t, r);
	ck_assert_uint_ge(rep.problems, 1);
	ck_assert_uint_eq(rep.first_bad_seq, cases[_i].seq);
	ck_assert_uint_ge(sn.n, 1);
	ck_assert_uint_eq(sn.seq[0], cases[_i].seq);
	ck_assert_msg(sn.p[0] == cases[_i].p, "case %d: %s, not %s", _i,
	    ledger_problem_name(sn.p[0]), ledger_problem_name(cases[_i].p));
	done(t, r);
}
END_TEST

/* Rows committed before their checkpoint is signed wait for it: a
 * checkpoint signed after a step read up to the head is still checked
 * (and a forged one found). */
START_TEST(test_tail_late_checkpoint)
{
	struct ledger_store *r, *w;
	struct ledger_verify_report rep;
	struct seen sn;
	struct ledger_tail *t = prepare(&r, &sn);
	uint64_t n;

	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &w, NULL), LEDGER_OK);
	(void)ts_add(w, LEDGER_KIND_BUILD, "run=late", NULL);
	(void)ts_add(w, LEDGER_KIND_BUILD, "run=late", NULL);
	ck_assert_int_eq(ledger_tail_step(t, r, 0, &n, &rep, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 6);		/* to the checkpoint of 16 */
	ck_assert_uint_eq(ledger_tail_next(t), 16);
	ck_assert_int_eq(ledger_store_checkpoint(w, NULL, NULL, NULL),
	    LEDGER_OK);
	ledger_store_close(w);
	ts_sql(ts_data(), "DROP TRIGGER checkpoints_no_update; UPDATE "
	    "checkpoints SET note = replace(note, 'tail', 'tall') WHERE "
	    "size = 18");
	ck_assert_int_eq(ledger_tail_step(t, r, 0, &n, &rep, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_ge(rep.problems, 1);
	ck_assert_uint_eq(rep.first_bad_seq, 17);
	ck_assert_int_eq(sn.p[0], LEDGER_PROB_BAD_CHECKPOINT);
	done(t, r);
}
END_TEST

/* Entries it checked, then deleted with the head moved back: missing,
 * said once. */
START_TEST(test_tail_truncation)
{
	struct ledger_store *r;
	struct ledger_verify_report rep;
	struct seen sn;
	struct ledger_tail *t = prepare(&r, &sn);
	uint64_t n;

	ck_assert_int_eq(ledger_tail_step(t, r, 0, &n, &rep, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 6);
	ck_assert_uint_eq(rep.problems, 0);
	ts_sql(ts_data(), "DROP TRIGGER entries_no_delete; DROP TRIGGER "
	    "head_no_shrink; DELETE FROM entries WHERE seq >= 14; UPDATE head "
	    "SET size = 14");
	ck_assert_int_eq(ledger_tail_step(t, r, 0, &n, &rep, NULL), LEDGER_OK);
	ck_assert_uint_ge(rep.problems, 1);
	ck_assert_uint_eq(rep.first_bad_seq, 14);
	ck_assert_int_eq(sn.p[0], LEDGER_PROB_MISSING);
	n = rep.problems;
	ck_assert_int_eq(ledger_tail_step(t, r, 0, &n, &rep, NULL), LEDGER_OK);
	ck_assert_uint_eq(rep.problems, 1);
	done(t, r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tail");
	TCase *tc = tcase_create("tail");

	if (sodium_init() < 0)
		return EXIT_FAILURE;
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_tail_clean_in_small_steps);
	tcase_add_test(tc, test_tail_forgery_loop);
	tcase_add_loop_test(tc, test_tail_tampers, 0, 4);
	tcase_add_test(tc, test_tail_late_checkpoint);
	tcase_add_test(tc, test_tail_truncation);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
