/*
 * test-dedupe.c - a body replayed under a fresh delivery id gets the
 * original receipt (issue 10): the store's body keys, in the log, in one
 * batch, behind the delivery filter, across writers and across the
 * migration that brought them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ledger/entry.h"
#include "ledger/store.h"
#include "teststore.h"
#include "testutil.h"

static const char *data;		/* this test's ledger (teststore.h) */

static void
setup(void)
{
	ts_setup("test.example/dedupe");
	data = ts_data();
}

/* A webhook event: source "hook", body text, run subject, delivery id. */
static struct ledger_event *
hook_event(const char *body, const char *run, const char *delivery)
{
	struct ledger_event *ev;

	ck_assert_int_eq(ledger_event_new(&ev, NULL), LEDGER_OK);
	ev->e.kind = LEDGER_KIND_DEPLOYMENT;
	ev->dedupe_body = true;
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_NAME, "hook",
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_TYPE,
	    "generic", NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_EVENT,
	    "deploy", NULL), LEDGER_OK);
	if (delivery != NULL)
		ck_assert_int_eq(ledger_event_set_source(ev,
		    LEDGER_SRC_DELIVERY, delivery, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_subject(ev, LEDGER_SUBJ_RUN, run,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_payload(ev, body, strlen(body),
	    "application/json", NULL), LEDGER_OK);
	return ev;
}

/* Append one event; returns the status, its receipt in *r. */
static enum ledger_status
append1(struct ledger_store *s, struct ledger_event *ev,
    struct ledger_receipt *r)
{
	enum ledger_status st = ledger_store_append(s, &ev, 1, r, NULL);

	ledger_event_free(ev);
	return st;
}

static uint64_t
size_of(struct ledger_store *s)
{
	uint64_t n;

	ck_assert_int_eq(ledger_store_size(s, &n, NULL), LEDGER_OK);
	return n;
}

START_TEST(test_dedupe_replay_under_fresh_id)
{
	struct ledger_store *s;
	struct ledger_receipt orig, r;
	struct ledger_event *ev;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	ck_assert_int_eq(append1(s, hook_event("{\"a\":1}", "r1", "d-1"),
	    &orig), LEDGER_OK);
	ck_assert(!orig.duplicate);
	/* the same body, a fresh id: the original receipt */
	ck_assert_int_eq(append1(s, hook_event("{\"a\":1}", "r1", "d-2"), &r),
	    LEDGER_OK);
	ck_assert(r.duplicate);
	ck_assert_uint_eq(r.seq, orig.seq);
	ck_assert_mem_eq(r.leaf, orig.leaf, sizeof(r.leaf));
	ck_assert_mem_eq(r.sig, orig.sig, sizeof(r.sig));
	/* ... and without any id */
	ck_assert_int_eq(append1(s, hook_event("{\"a\":1}", "r1", NULL), &r),
	    LEDGER_OK);
	ck_assert(r.duplicate);
	ck_assert_uint_eq(r.seq, orig.seq);
	ck_assert_uint_eq(size_of(s), 1);
	/* the id reused with another body is still a conflict */
	ck_assert_int_eq(append1(s, hook_event("{\"a\":2}", "r1", "d-1"), &r),
	    LEDGER_EEXIST);
	/* the same body saying something else is another event (one
	 * in-toto Statement, two subjects) */
	ck_assert_int_eq(append1(s, hook_event("{\"a\":1}", "r2", "d-3"), &r),
	    LEDGER_OK);
	ck_assert(!r.duplicate);
	ev = hook_event("{\"a\":1}", "r1", "d-4");
	ev->e.kind = LEDGER_KIND_BUILD;
	ck_assert_int_eq(append1(s, ev, &r), LEDGER_OK);
	ck_assert(!r.duplicate);
	/* a source that records duplicate bodies gets them recorded */
	ev = hook_event("{\"a\":1}", "r1", "d-5");
	ev->dedupe_body = false;
	ck_assert_int_eq(append1(s, ev, &r), LEDGER_OK);
	ck_assert(!r.duplicate);
	ck_assert_uint_eq(r.seq, 3);
	/* another source with the same body is another event */
	ev = hook_event("{\"a\":1}", "r1", "d-6");
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_NAME, "other",
	    NULL), LEDGER_OK);
	ck_assert_int_eq(append1(s, ev, &r), LEDGER_OK);
	ck_assert(!r.duplicate);
	ck_assert_uint_eq(size_of(s), 5);
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(data), 5);
}
END_TEST

START_TEST(test_dedupe_within_one_batch)
{
	struct ledger_store *s;
	struct ledger_receipt r[3];
	struct ledger_event *evs[3];
	int i;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	evs[0] = hook_event("{\"b\":1}", "r1", "x-1");
	evs[1] = hook_event("{\"b\":1}", "r2", "x-2");
	evs[2] = hook_event("{\"b\":1}", "r1", "x-3");
	ck_assert_int_eq(ledger_store_append(s, evs, 3, r, NULL), LEDGER_OK);
	ck_assert(!r[0].duplicate);
	ck_assert(!r[1].duplicate);
	ck_assert(r[2].duplicate);
	ck_assert_uint_eq(r[2].seq, r[0].seq);
	for (i = 0; i < 3; i++)
		ledger_event_free(evs[i]);
	ck_assert_uint_eq(size_of(s), 2);
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(data), 2);
}
END_TEST

/* Past a few hundred events the writer keeps a filter of delivery and
 * body keys: a replay is still found, also of what another writer
 * appended behind its back. */
START_TEST(test_dedupe_behind_the_filter)
{
	struct ledger_store *s, *other;
	struct ledger_receipt r[200], first, theirs;
	struct ledger_event *evs[200];
	char body[64], id[32];
	int b, i;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	ck_assert_int_eq(append1(s, hook_event("{\"n\":\"first\"}", "r", "f"),
	    &first), LEDGER_OK);
	for (b = 0; b < 4; b++) {
		for (i = 0; i < 200; i++) {
			snprintf(body, sizeof(body), "{\"n\":%d}", b * 200 + i);
			snprintf(id, sizeof(id), "id-%d", b * 200 + i);
			evs[i] = hook_event(body, "r", id);
		}
		ck_assert_int_eq(ledger_store_append(s, evs, 200, r, NULL),
		    LEDGER_OK);
		for (i = 0; i < 200; i++)
			ledger_event_free(evs[i]);
	}
	ck_assert_int_eq(append1(s, hook_event("{\"n\":\"first\"}", "r",
	    "again"), r), LEDGER_OK);
	ck_assert(r[0].duplicate);
	ck_assert_uint_eq(r[0].seq, first.seq);
	ck_assert_int_eq(ledger_store_open(data, 0, &other, NULL), LEDGER_OK);
	ck_assert_int_eq(append1(other, hook_event("{\"n\":\"theirs\"}", "r",
	    "t-1"), &theirs), LEDGER_OK);
	ledger_store_close(other);
	ck_assert_int_eq(append1(s, hook_event("{\"n\":\"theirs\"}", "r",
	    "t-2"), r), LEDGER_OK);
	ck_assert(r[0].duplicate);
	ck_assert_uint_eq(r[0].seq, theirs.seq);
	ck_assert_uint_eq(size_of(s), 802);
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(data), 802);
}
END_TEST

/* A writer that finds the log grown behind its back but cannot load the
 * new tree (its hashes gone) fails the batch and keeps the head it had:
 * half a head would sign the next entry onto the wrong frontier. */
START_TEST(test_dedupe_failed_sync_keeps_the_head)
{
	struct ledger_store *s, *other;
	struct ledger_receipt r;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	ck_assert_int_eq(append1(s, hook_event("{\"m\":1}", "r", "a"), &r),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_store_open(data, 0, &other, NULL), LEDGER_OK);
	ck_assert_int_eq(append1(other, hook_event("{\"m\":2}", "r", "b"),
	    &r), LEDGER_OK);
	ck_assert_int_eq(append1(other, hook_event("{\"m\":3}", "r", "c"),
	    &r), LEDGER_OK);
	ledger_store_close(other);
	ts_sql(data, "DROP TRIGGER tree_no_delete; DELETE FROM tree WHERE "
	    "id > 0");
	/* ledgerd's start (ledger_store_prepare_ingest), then a batch */
	ck_assert_int_ne(ledger_store_prepare_ingest(s, NULL), LEDGER_OK);
	ck_assert_uint_eq(size_of(s), 1);	/* the head it had */
	ck_assert_int_ne(append1(s, hook_event("{\"m\":4}", "r", "d"), &r),
	    LEDGER_OK);
	ck_assert_uint_eq(size_of(s), 1);
	ck_assert_int_ne(append1(s, hook_event("{\"m\":5}", "r", "e"), &r),
	    LEDGER_OK);			/* and it tries again, and fails */
	ck_assert_uint_eq(size_of(s), 1);
	ledger_store_close(s);
}
END_TEST

/* A database of schema 5 has no body terms: a reader verifies it as it
 * is, and the first writer adds them (schema/006-body-keys.sql), after
 * which replays of old entries are found and the log verifies. */
START_TEST(test_dedupe_migrates_from_schema_5)
{
	struct ledger_store *s;
	struct ledger_receipt orig, r;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	ck_assert_int_eq(append1(s, hook_event("{\"m\":1}", "r1", "m-1"),
	    &orig), LEDGER_OK);
	ck_assert_int_eq(append1(s, hook_event("{\"m\":2}", "r1", "m-2"), &r),
	    LEDGER_OK);
	ledger_store_close(s);

	ts_sql(data, "BEGIN; " TS_UNDO_SCHEMA_12 "CREATE VIRTUAL TABLE temp.v "
	    "USING fts5vocab(main, entry_keys, instance); CREATE TEMP TABLE t "
	    "AS SELECT doc, group_concat(term, ' ') AS terms FROM temp.v WHERE "
	    "substr(term, 1, 1) IN ('b', 'h', 'j', 'q', 'x') GROUP BY doc; "
	    "INSERT INTO entry_keys (entry_keys, rowid, k) SELECT 'delete', "
	    "doc, terms FROM t; ALTER TABLE entries DROP COLUMN deployment; "
	    TS_UNDO_SCHEMA_11 TS_UNDO_SCHEMA_10
	    "PRAGMA user_version = 5; COMMIT;");

	/* read-only: schema 5, no body terms due */
	ck_assert_uint_eq(ts_verify_clean(data), 2);
	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	ck_assert_int_eq(append1(s, hook_event("{\"m\":1}", "r1", "m-3"), &r),
	    LEDGER_OK);
	ck_assert(r.duplicate);
	ck_assert_uint_eq(r.seq, orig.seq);
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(data), 2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dedupe");
	TCase *tc = tcase_create("body");

	tcase_add_checked_fixture(tc, setup, ts_teardown);
	tcase_add_test(tc, test_dedupe_replay_under_fresh_id);
	tcase_add_test(tc, test_dedupe_within_one_batch);
	tcase_add_test(tc, test_dedupe_behind_the_filter);
	tcase_add_test(tc, test_dedupe_failed_sync_keeps_the_head);
	tcase_add_test(tc, test_dedupe_migrates_from_schema_5);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
