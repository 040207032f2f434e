/*
 * test-verify.c - the verifier engine (ledger/verify.h) on its own: the
 * entries of a real log fed as inputs, each tampered with in one way, and
 * the exact seq and kind of problem it must name.  (Verifying a store,
 * with its tree, checkpoints and lookup keys, is tested through the store
 * and ledgerctl: test-store.c, test-cli.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ledger/entry.h"
#include "ledger/store.h"
#include "ledger/verify.h"
#include "teststore.h"
#include "testutil.h"

#define N 20

static const char *data;
static struct ledger_row rows[N];
static uint8_t *payloads[N];
static size_t payload_lens[N];
static struct ledger_vkey vkey;

static void
setup(void)
{
	struct ledger_store *s;
	struct ledger_event *evs[N];
	struct ledger_receipt r[N];
	char body[64], run[16];
	int i;

	ts_setup("verify.example/log");
	data = ts_data();
	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(ledger_event_new(&evs[i], NULL), LEDGER_OK);
		evs[i]->e.kind = LEDGER_KIND_TEST;
		snprintf(run, sizeof(run), "run-%d", i);
		snprintf(body, sizeof(body), "{\"i\":%d}", i);
		ck_assert_int_eq(ledger_event_set_source(evs[i], LEDGER_SRC_NAME,
		    "ci", NULL), LEDGER_OK);
		ck_assert_int_eq(ledger_event_set_source(evs[i], LEDGER_SRC_TYPE,
		    "generic", NULL), LEDGER_OK);
		ck_assert_int_eq(ledger_event_set_subject(evs[i],
		    LEDGER_SUBJ_RUN, run, NULL), LEDGER_OK);
		ck_assert_int_eq(ledger_event_set_payload(evs[i], body,
		    strlen(body), "application/json", NULL), LEDGER_OK);
	}
	ck_assert_int_eq(ledger_store_append(s, evs, N, r, NULL), LEDGER_OK);
	for (i = 0; i < N; i++) {
		ledger_event_free(evs[i]);
		ck_assert_int_eq(ledger_store_get(s, (uint64_t)i, &rows[i],
		    NULL), LEDGER_OK);
		ck_assert_int_eq(ledger_store_get_payload(s, (uint64_t)i,
		    &payloads[i], &payload_lens[i], NULL), LEDGER_OK);
	}
	vkey = *ledger_store_vkey(s);
	ledger_store_close(s);
}

static void
teardown(void)
{
	int i;

	for (i = 0; i < N; i++) {
		ledger_row_release(&rows[i]);
		free(payloads[i]);
	}
	ts_teardown();
}

/* The inputs of the intact log, in order. */
static void
inputs(struct ledger_verify_input in[N])
{
	int i;

	memset(in, 0, N * sizeof(*in));
	for (i = 0; i < N; i++) {
		in[i].seq = rows[i].e.seq;
		in[i].entry = rows[i].entry;
		in[i].entry_len = rows[i].entry_len;
		memcpy(in[i].sig, rows[i].sig, LEDGER_SIG_BYTES);
		in[i].columns = &rows[i].e;
		in[i].payload = payloads[i];
		in[i].payload_len = payload_lens[i];
	}
}

/* Run the engine over n inputs, chunk at a time; the report. */
static struct ledger_verify_report
run(const struct ledger_verify_input *in, size_t n, uint64_t head,
    const struct ledger_vkey *keys, size_t chunk)
{
	struct ledger_verify_opts o = { keys, 1, 2 };
	struct ledger_verify_report rep;
	struct ledger_verifier *v;
	size_t i, k;

	ck_assert_int_eq(ledger_verifier_new(&o, head, NULL, NULL, &v, NULL),
	    LEDGER_OK);
	for (i = 0; i < n; i += k) {
		k = n - i < chunk ? n - i : chunk;
		ck_assert_int_eq(ledger_verifier_add(v, in + i, k, NULL),
		    LEDGER_OK);
	}
	ledger_verifier_finish(v, &rep);
	ledger_verifier_free(v);
	return rep;
}

static void
expect(struct ledger_verify_report rep, uint64_t seq, enum ledger_problem p)
{
	ck_assert_uint_gt(rep.problems, 0);
	ck_assert(rep.has_first_bad);
	ck_assert_uint_eq(rep.first_bad_seq, seq);
	ck_assert_msg(rep.count[p] > 0, "no '%s' reported",
	    ledger_problem_name(p));
}

START_TEST(test_verify_intact_in_any_chunking)
{
	struct ledger_verify_input in[N];
	struct ledger_verify_report rep;
	size_t chunk;

	inputs(in);
	for (chunk = 1; chunk <= N; chunk += 6) {
		rep = run(in, N, N, &vkey, chunk);
		ck_assert_uint_eq(rep.problems, 0);
		ck_assert_uint_eq(rep.entries, N);
		ck_assert(!rep.has_first_bad);
	}
}
END_TEST

START_TEST(test_verify_names_each_tamper)
{
	struct ledger_verify_input in[N], t;
	struct ledger_vkey other = vkey;
	uint8_t *copy;

	/* a byte of entry 7 */
	inputs(in);
	copy = malloc(in[7].entry_len);
	memcpy(copy, in[7].entry, in[7].entry_len);
	copy[in[7].entry_len / 2] ^= 0x01;
	in[7].entry = copy;
	expect(run(in, N, N, &vkey, 8), 7, LEDGER_PROB_MODIFIED);
	free(copy);
	/* entry 9 dropped */
	inputs(in);
	memmove(&in[9], &in[10], (N - 10) * sizeof(*in));
	expect(run(in, N - 1, N, &vkey, 8), 9, LEDGER_PROB_MISSING);
	/* entries 5 and 6 swapped */
	inputs(in);
	t = in[5];
	in[5] = in[6];
	in[6] = t;
	in[5].seq = 5;
	in[6].seq = 6;
	expect(run(in, N, N, &vkey, 8), 5, LEDGER_PROB_REORDERED);
	/* the signature of entry 3 */
	inputs(in);
	in[3].sig[0] ^= 0x80;
	expect(run(in, N, N, &vkey, 8), 3, LEDGER_PROB_BAD_SIGNATURE);
	/* the payload of entry 4 */
	inputs(in);
	in[4].payload = payloads[5];
	in[4].payload_len = payload_lens[5];
	expect(run(in, N, N, &vkey, 8), 4, LEDGER_PROB_PAYLOAD_MISMATCH);
	/* the last entries truncated with the head */
	inputs(in);
	expect(run(in, N - 2, N, &vkey, 8), N - 2, LEDGER_PROB_MISSING);
	/* signed by a key the keyring does not hold */
	inputs(in);
	other.id ^= 1;
	expect(run(in, N, N, &other, 8), 0, LEDGER_PROB_UNKNOWN_KEY);
}
END_TEST

/* The forgery loop: each single byte of one entry flipped in turn is
 * named at that entry and nowhere before it. */
START_TEST(test_verify_forgery_loop)
{
	struct ledger_verify_input in[N];
	struct ledger_verify_report rep;
	uint8_t *copy;
	size_t i;

	inputs(in);
	copy = malloc(in[12].entry_len);
	for (i = 0; i < in[12].entry_len; i++) {
		memcpy(copy, rows[12].entry, rows[12].entry_len);
		copy[i] ^= 0x20;
		in[12].entry = copy;
		rep = run(in, N, N, &vkey, 7);
		ck_assert_uint_gt(rep.problems, 0);
		ck_assert_uint_eq(rep.first_bad_seq, 12);
	}
	free(copy);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("engine");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_verify_intact_in_any_chunking);
	tcase_add_test(tc, test_verify_names_each_tamper);
	tcase_add_test(tc, test_verify_forgery_loop);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
