/*
 * test-sequencer.c - ledgerd's group commit (ledgerd/sequencer.c), its
 * own entries (record.c) and checkpoint export (export.c), on a real
 * store, without HTTP
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ledger/store.h"
#include "ledger/tree.h"
#include "ledgerd.h"
#include "teststore.h"
#include "testutil.h"

static const char *data;
static struct config cfg;
static struct ledger_store *w;	/* the sequencer's, closed after it stops */

static void
setup(void)
{
	char path[4400];

	ts_setup("seq.example/log");
	data = ts_data();
	config_defaults(&cfg);
	cfg.heartbeat_interval_s = 0;
	snprintf(path, sizeof(path), "%s/export.txt", ts_dir());
	cfg.export_file = strdup(path);
	log_init(true, LOG_LVL_ERROR);
}

static void
teardown(void)
{
	seq_stop();
	ledger_store_close(w);
	w = NULL;
	config_free(&cfg);
	ts_teardown();
}

static struct ledger_store *
writer(void)
{
	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_MANUAL_WAL, &w,
	    NULL), LEDGER_OK);
	return w;
}

static struct ledger_event *
event(const char *delivery, const char *body)
{
	struct ledger_event *ev;

	ck_assert_int_eq(ledger_event_new(&ev, NULL), LEDGER_OK);
	ev->e.kind = LEDGER_KIND_DEPLOYMENT;
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_NAME, "api",
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_TYPE,
	    "generic", NULL), LEDGER_OK);
	if (delivery != NULL)
		ck_assert_int_eq(ledger_event_set_source(ev,
		    LEDGER_SRC_DELIVERY, delivery, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_payload(ev, body, strlen(body),
	    "application/json", NULL), LEDGER_OK);
	return ev;
}

static void *
submitter(void *arg)
{
	struct ledger_receipt *r = arg;
	struct ledger_error err;
	char d[32], body[64];
	int i, t = (int)r[0].seq;

	for (i = 0; i < 25; i++) {
		struct ledger_event *ev;

		snprintf(d, sizeof(d), "t%d-%d", t, i);
		snprintf(body, sizeof(body), "{\"t\":%d,\"i\":%d}", t, i);
		ev = event(d, body);
		ck_assert_int_eq(seq_submit_wait(ev, &r[i], &err), LEDGER_OK);
		ledger_event_free(ev);
	}
	return NULL;
}

/* Four threads at once: every event acknowledged once committed, each a
 * distinct seq; at stop everything committed is signed in a checkpoint,
 * exported off the box. */
START_TEST(test_sequencer_group_commit)
{
	static struct ledger_receipt r[4][25];
	struct ledger_signed_checkpoint cp;
	struct ledger_store *s;
	pthread_t th[4];
	bool seen[100] = { false };
	char *exported;
	size_t len;
	int t, i;

	ck_assert_int_eq(seq_start(writer(), &cfg), 0);
	for (t = 0; t < 4; t++) {
		r[t][0].seq = (uint64_t)t;
		ck_assert_int_eq(pthread_create(&th[t], NULL, submitter, r[t]),
		    0);
	}
	for (t = 0; t < 4; t++)
		pthread_join(th[t], NULL);
	for (t = 0; t < 4; t++)
		for (i = 0; i < 25; i++) {
			ck_assert(!r[t][i].duplicate);
			ck_assert_uint_lt(r[t][i].seq, 100);
			ck_assert(!seen[r[t][i].seq]);
			seen[r[t][i].seq] = true;
		}
	ck_assert_uint_eq(seq_log_size(), 100);
	ck_assert(seq_healthy());
	seq_stop();
	ck_assert_uint_eq(ts_verify_clean(data), 100);
	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_READONLY, &s,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_checkpoint_latest(s, &cp, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(cp.size, 100);
	exported = tu_slurp(cfg.export_file, &len);
	ck_assert_ptr_nonnull(strstr(exported, cp.note));
	free(exported);
	ledger_signed_checkpoint_release(&cp);
	ledger_store_close(s);
}
END_TEST

/* A retry gets the original receipt; a refused sequencer takes nothing. */
START_TEST(test_sequencer_retries_and_refusal)
{
	struct ledger_receipt a, b;
	struct ledger_error err;
	struct ledger_event *ev;

	ck_assert_int_eq(seq_start(writer(), &cfg), 0);
	ev = event("once", "{\"x\":1}");
	ck_assert_int_eq(seq_submit_wait(ev, &a, &err), LEDGER_OK);
	ck_assert_int_eq(seq_submit_wait(ev, &b, &err), LEDGER_OK);
	ck_assert(b.duplicate);
	ck_assert_uint_eq(b.seq, a.seq);
	ck_assert_ptr_null(seq_refusal());
	seq_refuse_writes("the log contradicts its checkpoint");
	ck_assert_str_eq(seq_refusal(), "the log contradicts its checkpoint");
	ck_assert_int_ne(seq_submit_wait(ev, &b, &err), LEDGER_OK);
	ledger_event_free(ev);
	ck_assert_uint_eq(seq_log_size(), 1);
	seq_stop();
	seq_stop();			/* twice is harmless */
}
END_TEST

/* An idle log records heartbeats; record() appends the daemon's own. */
START_TEST(test_sequencer_heartbeat_and_record)
{
	struct ledger_store *s;
	struct ledger_row row;
	int i;

	cfg.heartbeat_interval_s = 1;
	ck_assert_int_eq(seq_start(writer(), &cfg), 0);
	ck_assert(record("started", json_pack("{s:s}", "version", "test")));
	for (i = 0; i < 50 && seq_log_size() < 2; i++)
		usleep(100 * 1000);	/* at most 5 s */
	ck_assert_uint_ge(seq_log_size(), 2);
	seq_stop();
	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_READONLY, &s,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_get(s, 0, &row, NULL), LEDGER_OK);
	ck_assert_int_eq(row.e.kind, LEDGER_KIND_LEDGER);
	ck_assert_str_eq(row.e.source[LEDGER_SRC_EVENT], "started");
	ledger_row_release(&row);
	ck_assert_int_eq(ledger_store_get(s, 1, &row, NULL), LEDGER_OK);
	ck_assert_str_eq(row.e.source[LEDGER_SRC_EVENT], "heartbeat");
	ledger_row_release(&row);
	ledger_store_close(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sequencer");
	TCase *tc = tcase_create("commit");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sequencer_group_commit);
	tcase_add_test(tc, test_sequencer_heartbeat_and_record);
	/* last: a refusal lasts for the process (without fork, valgrind) */
	tcase_add_test(tc, test_sequencer_retries_and_refusal);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
