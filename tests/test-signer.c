/* test-signer.c - the signing thread (lib/signer.h) */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <sodium.h>

#include "ledger/keys.h"
#include "signer.h"
#include "testutil.h"

static char dir[4096];
static struct ledger_key *key;

static void
setup(void)
{
	char kp[4200], pp[4200];

	snprintf(dir, sizeof(dir), "%s", tu_mkdtemp());
	snprintf(kp, sizeof(kp), "%s/k", dir);
	snprintf(pp, sizeof(pp), "%s/p", dir);
	ck_assert_int_eq(ledger_key_generate(kp, pp, "signer.example/log",
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_key_load(kp, &key, NULL), LEDGER_OK);
}

static void
teardown(void)
{
	ledger_key_free(key);
	tu_rmtree(dir);
}

/* Batch after batch on the same thread: every signature is the one
 * signing directly gives, and verifies; a batch abandoned half-way (the
 * caller finishes without waiting for all) leaves the thread ready. */
START_TEST(test_signer_signs_like_the_key)
{
	static uint8_t leaves[300][LEDGER_HASH_BYTES];
	static uint8_t sigs[300][LEDGER_SIG_BYTES];
	uint8_t direct[LEDGER_SIG_BYTES];
	struct ledger_signer *g = ledger_signer_start(key);
	size_t b, i, n;

	if (g == NULL) {	/* one core: the caller signs (store-append.c) */
		ck_assert_int_lt(sysconf(_SC_NPROCESSORS_ONLN), 2);
		return;
	}
	for (b = 0; b < 5; b++) {
		n = 50 + 60 * b;
		for (i = 0; i < n; i++)
			randombytes_buf(leaves[i], LEDGER_HASH_BYTES);
		ledger_signer_submit(g, (const uint8_t (*)[32])leaves, sigs, n);
		if (b == 2) {
			ledger_signer_finish(g);	/* abandoned */
			continue;
		}
		for (i = 0; i < n; i++) {
			ledger_signer_wait_for(g, i);
			ledger_key_sign_leaf(key, leaves[i], direct);
			ck_assert_mem_eq(sigs[i], direct, LEDGER_SIG_BYTES);
			ck_assert(ledger_vkey_verify_leaf(ledger_key_vkey(key),
			    leaves[i], sigs[i]));
		}
		ledger_signer_finish(g);
	}
	ledger_signer_stop(g);
	ledger_signer_stop(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("signer");
	TCase *tc = tcase_create("thread");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_signer_signs_like_the_key);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
