/* test-timeline.c - periods and timelines (ledger/timeline.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ledger/jcs.h"
#include "ledger/store.h"
#include "ledger/timeline.h"
#include "teststore.h"
#include "testutil.h"

static void
period(const char *p, const char *want_from, const char *want_to)
{
	char f[LEDGER_TIME_MAX], t[LEDGER_TIME_MAX];
	int64_t from, to;

	ck_assert_msg(ledger_period_parse(p, &from, &to, NULL) == LEDGER_OK,
	    "%s", p);
	ledger_time_format(from, f);
	ledger_time_format(to, t);
	ck_assert_str_eq(f, want_from);
	ck_assert_str_eq(t, want_to);
}

START_TEST(test_timeline_periods)
{
	static const char *const bad[] = { "2026-13", "2026Q5", "2026Q0",
	    "2023-02-29", "2026-W54", "2021-W53", "2026-9-1", "last week", "",
	    "2026-09-14x", "1969-12-31", "-001-01-01", "+2026-09-14", NULL };
	struct ledger_error err;
	int64_t a, b;
	int i;

	period("2026-09-14", "2026-09-14T00:00:00.000Z",
	    "2026-09-15T00:00:00.000Z");
	period("2024-02-29", "2024-02-29T00:00:00.000Z",
	    "2024-03-01T00:00:00.000Z");
	period("2026-12", "2026-12-01T00:00:00.000Z",
	    "2027-01-01T00:00:00.000Z");
	period("2026Q3", "2026-07-01T00:00:00.000Z",
	    "2026-10-01T00:00:00.000Z");
	period("2026Q4", "2026-10-01T00:00:00.000Z",
	    "2027-01-01T00:00:00.000Z");
	/* ISO weeks: week 1 holds January 4th, weeks start on Monday */
	period("2026-W01", "2025-12-29T00:00:00.000Z",
	    "2026-01-05T00:00:00.000Z");
	period("2026-W38", "2026-09-14T00:00:00.000Z",
	    "2026-09-21T00:00:00.000Z");
	period("2020-W53", "2020-12-28T00:00:00.000Z",
	    "2021-01-04T00:00:00.000Z");
	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(ledger_period_parse(bad[i], &a, &b, &err) ==
		    LEDGER_EINVAL, "%s", bad[i]);
}
END_TEST

static void
add(struct ledger_store *s, enum ledger_kind kind, const char *event,
    const char *env, const char *body)
{
	struct ledger_event *ev;
	struct ledger_receipt r;

	ck_assert_int_eq(ledger_event_new(&ev, NULL), LEDGER_OK);
	ev->e.kind = kind;
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_NAME, "t",
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_TYPE, "t",
	    NULL), LEDGER_OK);
	/* ledgerd's own entries carry their event as the status too */
	if (event != NULL)
		ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_EVENT,
		    event, NULL) || ledger_event_set_subject(ev,
		    LEDGER_SUBJ_STATUS, event, NULL), LEDGER_OK);
	if (env != NULL)
		ck_assert_int_eq(ledger_event_set_subject(ev,
		    LEDGER_SUBJ_ENVIRONMENT, env, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_payload(ev, body, strlen(body),
	    "application/json", NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_append(s, &ev, 1, &r, NULL), LEDGER_OK);
	ledger_event_free(ev);
}

/* A gap from after_seq to before_seq (-1: open, to now). */
static void
gap_is(json_t *g, double after, double before)
{
	ck_assert(json_number_value(json_object_get(g, "after_seq")) == after);
	if (before < 0) {
		ck_assert(json_is_null(json_object_get(g, "before_seq")));
		ck_assert(json_is_true(json_object_get(g, "open")));
	} else
		ck_assert(json_number_value(json_object_get(g, "before_seq")) ==
		    before);
}

/* The entries of a period, filtered; the ledger's own summarized; a gap
 * longer than twice the heartbeat interval the "started" entry names. */
START_TEST(test_timeline_entries_and_gaps)
{
	struct ledger_timeline_opts o;
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_store *s;
	json_t *v, *gaps;
	int64_t t2, t3;
	size_t n;

	ts_setup("timeline.example/log");
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	add(s, LEDGER_KIND_LEDGER, "started", NULL,
	    "{\"heartbeat_interval_s\":0.5}");			/* 0 */
	add(s, LEDGER_KIND_DEPLOYMENT, NULL, "production", "{}");	/* 1 */
	add(s, LEDGER_KIND_BUILD, NULL, NULL, "{}");			/* 2 */
	usleep(1300 * 1000);	/* longer than 2 x 0.5 s: a gap */
	add(s, LEDGER_KIND_LEDGER, "heartbeat", NULL, "{}");		/* 3 */
	add(s, LEDGER_KIND_DEPLOYMENT, NULL, "staging", "{}");	/* 4 */
	memset(&o, 0, sizeof(o));
	o.from_ms = ledger_now_ms() - 60000;
	o.to_ms = ledger_now_ms() + 60000;
	ck_assert_int_eq(ledger_timeline_json(s, &o, &b, &n, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(ledger_json_parse(b.data, b.len, &v, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(v,
	    "ledger"), "started")), 1);
	ck_assert(json_number_value(json_object_get(json_object_get(v,
	    "ledger"), "heartbeats")) == 1);
	gaps = json_object_get(v, "gaps");
	ck_assert_uint_eq(json_array_size(gaps), 1);
	ck_assert(json_number_value(json_object_get(json_array_get(gaps, 0),
	    "after_seq")) == 2);
	ck_assert(json_number_value(json_object_get(v, "gap_s")) == 1);
	json_decref(v);
	/* the bisection (completeness evidence) finds the gaps the scan
	 * found, for the same period and threshold */
	{
		struct ledger_buf g = LEDGER_BUF_INIT, want = LEDGER_BUF_INIT;
		char *p1, *p2;
		size_t ng;

		ck_assert_int_eq(ledger_gaps_json(s, o.from_ms, o.to_ms, 1000,
		    &g, &ng, NULL), LEDGER_OK);
		ck_assert_uint_eq(ng, 1);
		ck_assert_int_eq(ledger_buf_addc(&g, '\0'), LEDGER_OK);
		ck_assert_int_eq(ledger_buf_add(&want, b.data, b.len),
		    LEDGER_OK);
		ck_assert_int_eq(ledger_buf_addc(&want, '\0'), LEDGER_OK);
		p1 = strstr(want.data, "\"gaps\":[") + 8;
		p2 = strstr(p1, "]");
		*p2 = '\0';
		ck_assert_str_eq(g.data, p1);
		ledger_buf_release(&g);
		ledger_buf_release(&want);
	}
	/* a period inside the gap: no entry, the gap all the same, from the
	 * entry before the period to the one after it */
	ck_assert_int_eq(ledger_store_time_of(s, 2, &t2, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_time_of(s, 3, &t3, NULL), LEDGER_OK);
	ledger_buf_reset(&b);
	o.from_ms = t2 + 100;
	o.to_ms = t3 - 100;
	ck_assert_int_eq(ledger_timeline_json(s, &o, &b, &n, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(ledger_json_parse(b.data, b.len, &v, NULL),
	    LEDGER_OK);
	gaps = json_object_get(v, "gaps");
	ck_assert_uint_eq(json_array_size(gaps), 1);
	gap_is(json_array_get(gaps, 0), 2, 3);
	json_decref(v);
	/* nothing since the last entry, longer than the threshold: an open
	 * gap up to now */
	usleep(1100 * 1000);
	ledger_buf_reset(&b);
	ck_assert_int_eq(ledger_store_time_of(s, 4, &t3, NULL), LEDGER_OK);
	o.from_ms = t3 + 1;
	o.to_ms = ledger_now_ms() + 60000;
	o.gap_s = 1;
	ck_assert_int_eq(ledger_timeline_json(s, &o, &b, &n, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_json_parse(b.data, b.len, &v, NULL),
	    LEDGER_OK);
	gaps = json_object_get(v, "gaps");
	ck_assert_uint_eq(json_array_size(gaps), 1);
	gap_is(json_array_get(gaps, 0), 4, -1);
	json_decref(v);
	/* a period wholly after now: the open gap does not reach into it */
	ledger_buf_reset(&b);
	o.from_ms = ledger_now_ms() + 3600000;
	o.to_ms = o.from_ms + 60000;
	ck_assert_int_eq(ledger_timeline_json(s, &o, &b, &n, NULL), LEDGER_OK);
	ck_assert_ptr_nonnull(strstr(b.data, "\"gaps\":[]"));
	o.gap_s = 0;
	o.from_ms = ledger_now_ms() - 60000;
	/* "Production" is production, as ingest normalized it */
	ledger_buf_reset(&b);
	o.environment = "Production";
	ck_assert_int_eq(ledger_timeline_json(s, &o, &b, &n, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 1);
	/* filtered, read through the lookup keys: the same ledger summary
	 * and the same gaps (of the whole log) as the scan */
	ck_assert_int_eq(ledger_json_parse(b.data, b.len, &v, NULL),
	    LEDGER_OK);
	gaps = json_object_get(v, "gaps");
	ck_assert_uint_eq(json_array_size(gaps), 2);	/* and the open one,
							   since the sleep */
	ck_assert(json_number_value(json_object_get(json_array_get(gaps, 0),
	    "after_seq")) == 2);
	ck_assert(json_is_true(json_object_get(json_array_get(gaps, 1),
	    "open")));
	ck_assert(json_number_value(json_object_get(json_object_get(v,
	    "ledger"), "heartbeats")) == 1);
	ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(v,
	    "ledger"), "started")), 1);
	json_decref(v);
	/* an explicit gap; a period with nothing; a reversed one */
	ledger_buf_reset(&b);
	o.environment = NULL;
	o.gap_s = 3600;
	ck_assert_int_eq(ledger_timeline_json(s, &o, &b, &n, NULL), LEDGER_OK);
	ck_assert_ptr_nonnull(strstr(b.data, "\"gaps\":[]"));
	ledger_buf_reset(&b);
	o.from_ms = 1;
	o.to_ms = 1000;
	ck_assert_int_eq(ledger_timeline_json(s, &o, &b, &n, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 0);
	o.to_ms = 0;
	ck_assert_int_eq(ledger_timeline_json(s, &o, &b, &n, NULL),
	    LEDGER_EINVAL);
	ledger_buf_release(&b);
	ledger_store_close(s);
	ts_teardown();
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("timeline");
	TCase *tc = tcase_create("period");

	tcase_add_test(tc, test_timeline_periods);
	tcase_add_test(tc, test_timeline_entries_and_gaps);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
