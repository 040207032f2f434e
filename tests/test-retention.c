/*
 * test-retention.c - pruning payloads under legal holds (ledger/retention.h):
 * prune then verify passes and counts the pruned payloads; held payloads
 * stay; a hold released is pruned by the next round (under a new record);
 * the ledger's own payloads are never pruned; an interrupted prune
 * resumes under its record; bundles carry pruned entries with the record
 * that vouches for them.  Tampers behind the library's back, each with
 * the exact seq verify must name: a payload deleted above the mark, a
 * held payload deleted below it, a raised mark with no record, an edited
 * record.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ledger/bundle.h"
#include "ledger/retention.h"
#include "ledger/tree.h"
#include "ledger/verify.h"
#include "teststore.h"
#include "testutil.h"

static struct ledger_store *s;

/* 0..9: deployments, even seqs in prod, odd in staging */
static void
setup(void)
{
	int i;

	ts_setup("retention.example/log");
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	for (i = 0; i < 10; i++)
		ts_add(s, LEDGER_KIND_DEPLOYMENT, i % 2 ? "environment=staging" :
		    "environment=prod", "status=success", NULL);
}

static void
teardown(void)
{
	ledger_store_close(s);
	ts_teardown();
}

static uint64_t
append_ev(struct ledger_event *ev)
{
	struct ledger_receipt r;

	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ledger_store_append(s, &ev, 1, &r, NULL), LEDGER_OK);
	ledger_event_free(ev);
	return r.seq;
}

static uint64_t
hold(const char *env, uint64_t from, uint64_t to)
{
	struct ledger_hold h;
	struct ledger_event *ev = NULL;

	memset(&h, 0, sizeof(h));
	h.environment = (char *)env;
	h.has_seqs = from != UINT64_MAX;
	h.from_seq = from;
	h.to_seq = to;
	h.reason = (char *)"litigation 7";
	ck_assert_int_eq(ledger_hold_event(&h, "test", "local", &ev, NULL),
	    LEDGER_OK);
	return append_ev(ev);
}

/* A whole prune before seq; returns the record's seq. */
static uint64_t
prune(uint64_t before, struct ledger_prune_plan *p)
{
	uint64_t rec;

	ck_assert_int_eq(ledger_prune_plan(s, before, 0, "test", "local", p,
	    NULL), LEDGER_OK);
	rec = p->record != NULL ? append_ev(p->record) : p->record_seq;
	p->record = NULL;
	while (!p->done)
		ck_assert_int_eq(ledger_prune_step(s, p, rec, 3, NULL),
		    LEDGER_OK);
	ck_assert_int_eq(ledger_store_checkpoint(s, NULL, NULL, NULL),
	    LEDGER_OK);
	return rec;
}

/* Plan a prune, append its record and take one step of 3; returns the
 * record's seq. */
static uint64_t
begin_prune(uint64_t before, struct ledger_prune_plan *p)
{
	uint64_t rec;

	ck_assert_int_eq(ledger_prune_plan(s, before, 0, "test", "local", p,
	    NULL), LEDGER_OK);
	rec = append_ev(p->record);
	p->record = NULL;
	ck_assert_int_eq(ledger_prune_step(s, p, rec, 3, NULL), LEDGER_OK);
	return rec;
}

static bool
has_payload(uint64_t seq)
{
	uint8_t *p = NULL;
	size_t len;
	enum ledger_status st = ledger_store_get_payload(s, seq, &p, &len,
	    NULL);

	free(p);
	ck_assert(st == LEDGER_OK || st == LEDGER_ENOTFOUND);
	return st == LEDGER_OK;
}

static struct ledger_verify_report
verify(struct ts_seen *sn)
{
	return ts_verify_seen(ts_data(), NULL, sn);
}

START_TEST(test_prune_then_verify)
{
	struct ledger_prune_plan p;
	struct ledger_verify_report rep;
	struct ts_seen sn;
	uint64_t rec, by, seq;

	rec = prune(6, &p);
	ck_assert_uint_eq(rec, 10);
	ck_assert_uint_eq(p.deleted, 6);
	ck_assert_uint_eq(p.kept, 0);
	ck_assert_uint_gt(p.bytes, 0);
	ledger_prune_plan_release(&p);
	for (seq = 0; seq < 11; seq++)
		ck_assert_int_eq(has_payload(seq), seq >= 6);
	rep = verify(&sn);
	ck_assert_uint_eq(rep.problems, 0);
	ck_assert_uint_eq(rep.pruned, 6);
	ck_assert_uint_eq(rep.pruned_before, 6);
	ck_assert_int_eq(ledger_payload_pruned_by(s, 3, &by, NULL), LEDGER_OK);
	ck_assert_uint_eq(by, 10);
	ck_assert_int_eq(ledger_payload_pruned_by(s, 7, &by, NULL),
	    LEDGER_ENOTFOUND);
	/* the same range again: nothing new recorded, nothing to do */
	ck_assert_int_eq(ledger_prune_plan(s, 6, 0, "test", "local", &p,
	    NULL), LEDGER_OK);
	ck_assert_ptr_null(p.record);
	ck_assert_uint_eq(p.record_seq, 10);
	ledger_prune_plan_release(&p);
	/* nothing before seq 0; nothing beyond the end */
	ck_assert_int_eq(ledger_prune_plan(s, 0, 0, "test", "local", &p,
	    NULL), LEDGER_ENOTFOUND);
	ck_assert_int_eq(ledger_prune_plan(s, 99, 0, "test", "local", &p,
	    NULL), LEDGER_EINVAL);
}
END_TEST

START_TEST(test_holds_keep_payloads)
{
	struct ledger_prune_plan p;
	struct ledger_verify_report rep;
	struct ledger_event *ev = NULL;
	struct ledger_retention rt;
	struct ts_seen sn;
	uint64_t h1, h2, seq;

	h1 = hold("prod", UINT64_MAX, 0);	/* seq 10: even seqs */
	h2 = hold(NULL, 7, 7);			/* seq 11: seq 7 */
	prune(10, &p);				/* record 12 */
	ck_assert_uint_eq(p.deleted, 4);	/* 1, 3, 5, 9 */
	ck_assert_uint_eq(p.kept, 6);
	ledger_prune_plan_release(&p);
	for (seq = 0; seq < 10; seq++)
		ck_assert_int_eq(has_payload(seq), seq % 2 == 0 || seq == 7);
	ck_assert(has_payload(h1) && has_payload(h2));
	rep = verify(&sn);
	ck_assert_uint_eq(rep.problems, 0);
	ck_assert_uint_eq(rep.pruned, 4);

	/* released, the next round prunes it, under a record of its own */
	ck_assert_int_eq(ledger_hold_release_event(h2, "settled", "test",
	    "local", &ev, NULL), LEDGER_OK);
	append_ev(ev);				/* 13 */
	ck_assert_uint_eq(prune(10, &p), 14);
	ck_assert_uint_eq(p.deleted, 1);
	ledger_prune_plan_release(&p);
	ck_assert(!has_payload(7));
	rep = verify(&sn);
	ck_assert_uint_eq(rep.problems, 0);
	ck_assert_uint_eq(rep.pruned, 5);

	ck_assert_int_eq(ledger_retention_read(s, &rt, NULL), LEDGER_OK);
	ck_assert_uint_eq(rt.nholds, 2);
	ck_assert(!rt.holds[0].released);
	ck_assert(rt.holds[1].released);
	ck_assert_uint_eq(rt.holds[1].released_seq, 13);
	ck_assert_uint_eq(rt.nprunes, 2);
	ledger_retention_release(&rt);
	/* a release of what is not a hold in force is refused by the CLI;
	 * a hold needs a reason and something to hold */
	ck_assert_int_eq(ledger_hold_release_event(h2, "", "test", "local",
	    &ev, NULL), LEDGER_EINVAL);
}
END_TEST

/* Holds are read again at each step: one added mid-prune is kept. */
START_TEST(test_hold_added_during_prune)
{
	struct ledger_prune_plan p;
	uint64_t rec;

	rec = begin_prune(10, &p);
	hold("staging", UINT64_MAX, 0);
	while (!p.done)
		ck_assert_int_eq(ledger_prune_step(s, &p, rec, 3, NULL),
		    LEDGER_OK);
	ck_assert(!has_payload(1));	/* before the hold */
	ck_assert(has_payload(3) && has_payload(5) && has_payload(9));
	ck_assert(!has_payload(4));
	ledger_prune_plan_release(&p);
	/* a record must follow the range it covers */
	ck_assert_int_eq(ledger_prune_plan(s, 10, 0, "test", "local", &p,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_prune_step(s, &p, 5, 3, NULL),
	    LEDGER_EINVAL);
	ledger_prune_plan_release(&p);
}
END_TEST

/* A hold released while a prune runs still binds that prune: its record
 * was appended while the hold was in force. */
START_TEST(test_hold_released_during_prune)
{
	struct ledger_prune_plan p;
	struct ledger_event *ev = NULL;
	uint64_t h = hold("prod", UINT64_MAX, 0), rec;

	rec = begin_prune(10, &p);
	ck_assert_int_eq(ledger_hold_release_event(h, "settled", "test",
	    "local", &ev, NULL), LEDGER_OK);
	append_ev(ev);
	while (!p.done)
		ck_assert_int_eq(ledger_prune_step(s, &p, rec, 3, NULL),
		    LEDGER_OK);
	ledger_prune_plan_release(&p);
	ck_assert(has_payload(4) && has_payload(8));
	ck_assert_int_eq(ledger_store_checkpoint(s, NULL, NULL, NULL),
	    LEDGER_OK);
	ts_verify_clean(ts_data());
	/* the next round is a new record, without the hold */
	ck_assert_uint_gt(prune(10, &p), rec);
	ledger_prune_plan_release(&p);
	ck_assert(!has_payload(4) && !has_payload(8));
	ts_verify_clean(ts_data());
}
END_TEST

START_TEST(test_ledger_payloads_never_pruned)
{
	struct ledger_prune_plan p;
	uint64_t h = hold(NULL, 0, 0);		/* seq 10 */

	ts_add(s, LEDGER_KIND_BUILD, NULL);	/* 11 */
	prune(12, &p);
	ck_assert(has_payload(h));
	ck_assert(!has_payload(11));
	ledger_prune_plan_release(&p);
	/* and the database refuses it too (schema 009's trigger) */
	ck_assert_int_ne(ts_sql_rc(ts_data(), "DELETE FROM payloads WHERE "
	    "seq = 10"), 0);
	ck_assert_int_ne(ts_sql_rc(ts_data(), "DELETE FROM payloads WHERE "
	    "seq = 12"), 0);	/* above the mark */
	ck_assert_int_ne(ts_sql_rc(ts_data(), "UPDATE meta SET value = '3' "
	    "WHERE name = 'prune_before'"), 0);
}
END_TEST

/* Tampers: each names its exact seq. */
START_TEST(test_tamper_payload_above_mark)
{
	struct ledger_prune_plan p;
	struct ts_seen sn;

	prune(4, &p);
	ledger_prune_plan_release(&p);
	ts_sql(ts_data(), "DROP TRIGGER payloads_prune_only; DELETE FROM "
	    "payloads WHERE seq = 6");
	ck_assert_uint_eq(verify(&sn).problems, 1);
	ck_assert_uint_eq(sn.seq[0], 6);
	ck_assert_int_eq(sn.p[0], LEDGER_PROB_PAYLOAD_MISMATCH);
}
END_TEST

START_TEST(test_tamper_held_payload)
{
	struct ledger_prune_plan p;
	struct ledger_verify_report rep;
	struct ts_seen sn;

	hold("prod", UINT64_MAX, 0);
	prune(10, &p);
	ledger_prune_plan_release(&p);
	ts_sql(ts_data(), "DELETE FROM payloads WHERE seq = 4");
	rep = verify(&sn);
	ck_assert_uint_eq(rep.problems, 1);
	ck_assert_uint_eq(rep.first_bad_seq, 4);
	ck_assert_uint_eq(sn.seq[0], 4);
	ck_assert_uint_eq(rep.pruned, 5);
}
END_TEST

START_TEST(test_tamper_mark_without_record)
{
	struct ledger_verify_report rep;
	struct ts_seen sn;

	ts_sql(ts_data(), "INSERT INTO meta VALUES ('prune_before', '8'); "
	    "DELETE FROM payloads WHERE seq IN (2, 3, 5)");
	rep = verify(&sn);
	ck_assert_uint_eq(rep.first_bad_seq, 2);
	ck_assert_uint_eq(rep.pruned, 0);
	ck_assert_uint_eq(sn.n, 2);	/* 2..3 as one run, then 5 */
	ck_assert_uint_eq(sn.seq[0], 2);
	ck_assert_uint_eq(sn.seq[1], 5);
}
END_TEST

START_TEST(test_tamper_record_edited)
{
	struct ledger_prune_plan p;
	struct ledger_verify_report rep;
	struct ts_seen sn;
	uint64_t rec = prune(3, &p);
	char sql[256];

	ledger_prune_plan_release(&p);
	/* widen the record's range by rewriting its payload: it no longer
	 * matches its hash, so it vouches for nothing */
	snprintf(sql, sizeof(sql), "DROP TRIGGER payloads_no_update; DROP "
	    "TRIGGER payloads_prune_only; "
	    "UPDATE payloads SET data = (SELECT data FROM payloads WHERE seq"
	    " = 5) WHERE seq = %" PRIu64 "; DELETE FROM payloads WHERE seq = 4",
	    rec);
	ts_sql(ts_data(), sql);
	rep = verify(&sn);
	/* 4 (above the mark: at once), the record's own payload, then
	 * what the record no longer covers: 0..2, one run, at the end */
	ck_assert_uint_eq(rep.first_bad_seq, 0);
	ck_assert_uint_eq(rep.pruned, 0);
	ck_assert_uint_eq(rep.count[LEDGER_PROB_PAYLOAD_MISMATCH], 3);
	ck_assert_uint_eq(sn.n, 3);
	ck_assert_uint_eq(sn.seq[0], 4);
	ck_assert_uint_eq(sn.seq[1], rec);
	ck_assert_uint_eq(sn.seq[2], 0);
}
END_TEST

struct tally {
	uint64_t bad;
	int64_t first;
};

static void
tally(void *ctx, const struct ledger_bundle_verdict *v)
{
	struct tally *t = ctx;

	if (!v->ok && t->bad++ == 0)
		t->first = v->seq;
}

START_TEST(test_bundle_pruned)
{
	static const uint64_t with[] = { 1, 2, 7, 10 }, without[] = { 1, 2 };
	struct ledger_bundle_opts bo = { true, NULL, 0 };
	struct ledger_bundle_stats st;
	struct ledger_prune_plan p;
	struct tally t = { 0, -1 };
	char path[4200];
	uint64_t n, bad;

	prune(6, &p);
	ledger_prune_plan_release(&p);
	snprintf(path, sizeof(path), "%s/a.gz", ts_dir());
	ck_assert_int_eq(ledger_bundle_write(s, with, 4, &bo, path, &st, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(st.pruned, 2);
	ck_assert_uint_eq(st.payloads, 2);
	ck_assert_int_eq(ledger_bundle_verify(path, ledger_store_vkey(s), 1,
	    tally, &t, &n, &bad, NULL), LEDGER_OK);
	ck_assert_uint_eq(t.bad, 0);
	ck_assert_uint_eq(n, 4);
	/* without the record, nothing vouches for the missing payloads */
	snprintf(path, sizeof(path), "%s/b.gz", ts_dir());
	ck_assert_int_eq(ledger_bundle_write(s, without, 2, &bo, path, &st,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_bundle_verify(path, ledger_store_vkey(s), 1,
	    tally, &t, &n, &bad, NULL), LEDGER_OK);
	ck_assert_uint_eq(t.bad, 2);
	ck_assert_uint_eq(bad, 2);
	ck_assert_int_eq(t.first, 1);
}
END_TEST

/* A step that fails leaves the plan as it was; the database's own
 * refusal shows through as an error, not a half-deleted step. */
START_TEST(test_step_needs_record_mark)
{
	struct ledger_prune_plan p;
	uint64_t rec;

	rec = begin_prune(5, &p);
	while (!p.done)
		ck_assert_int_eq(ledger_prune_step(s, &p, rec, 100, NULL),
		    LEDGER_OK);
	ck_assert_uint_eq(p.deleted, 5);
	ledger_prune_plan_release(&p);
	ck_assert_uint_eq(ts_verify_clean(ts_data()), 11);
}
END_TEST

/* A retention record that does not hold (only from outside ledgerd): a
 * clear error naming it, for prune and hold alike. */
START_TEST(test_malformed_record_is_named)
{
	struct ledger_event *ev = NULL;
	struct ledger_retention rt;
	struct ledger_prune_plan p;
	struct ledger_error err;
	static const char body[] = "{\"event\":\"hold-added\"}";

	ck_assert_int_eq(ledger_event_new(&ev, NULL), LEDGER_OK);
	ev->e.kind = LEDGER_KIND_LEDGER;
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_NAME, "x",
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_TYPE, "ledger",
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_subject(ev, LEDGER_SUBJ_STATUS,
	    LEDGER_EV_HOLD_ADDED, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_payload(ev, body, sizeof(body) - 1,
	    "application/json", NULL), LEDGER_OK);
	ck_assert_uint_eq(append_ev(ev), 10);
	ck_assert_int_eq(ledger_retention_read(s, &rt, &err), LEDGER_EINVAL);
	ck_assert_str_eq(err.msg, "retention record 10 (hold-added): "
	    "malformed hold");
	ck_assert_int_eq(ledger_prune_plan(s, 5, 0, "test", "local", &p,
	    &err), LEDGER_EINVAL);
	ck_assert_ptr_null(p.record);
}
END_TEST

static int
stop_now(void *ctx, uint64_t done, uint64_t total)
{
	uint64_t *seen = ctx;

	seen[0] = done;
	seen[1] = total;
	return 1;
}

/* A verify told to stop (Ctrl-C in ledgerctl) says how far it got. */
START_TEST(test_verify_stops_when_asked)
{
	struct ledger_verify_opts o;
	struct ledger_verify_report rep;
	struct ledger_store *r;
	struct ledger_error err;
	uint64_t seen[2] = { 0, 0 };

	memset(&o, 0, sizeof(o));
	o.progress = stop_now;
	o.progress_ctx = seen;
	ck_assert_int_eq(ledger_store_open(ts_data(), LEDGER_STORE_READONLY, &r,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_verify_store(r, &o, NULL, NULL, &rep, &err),
	    LEDGER_ECANCELED);
	ck_assert_uint_eq(rep.entries, 10);
	ck_assert_uint_eq(rep.head_size, 10);
	ck_assert_uint_eq(seen[0], 10);
	ck_assert_uint_eq(seen[1], 10);
	ck_assert_ptr_nonnull(strstr(err.msg, "stopped after 10 of 10"));
	ledger_store_close(r);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("retention");
	TCase *tc = tcase_create("retention");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_prune_then_verify);
	tcase_add_test(tc, test_holds_keep_payloads);
	tcase_add_test(tc, test_hold_added_during_prune);
	tcase_add_test(tc, test_hold_released_during_prune);
	tcase_add_test(tc, test_ledger_payloads_never_pruned);
	tcase_add_test(tc, test_tamper_payload_above_mark);
	tcase_add_test(tc, test_tamper_held_payload);
	tcase_add_test(tc, test_tamper_mark_without_record);
	tcase_add_test(tc, test_tamper_record_edited);
	tcase_add_test(tc, test_bundle_pruned);
	tcase_add_test(tc, test_step_needs_record_mark);
	tcase_add_test(tc, test_verify_stops_when_asked);
	tcase_add_test(tc, test_malformed_record_is_named);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
