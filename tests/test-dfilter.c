/* test-dfilter.c - the writer's Bloom filter (lib/dfilter.h) */
#include <stdint.h>

#include <check.h>
#include <sodium.h>

#include "dfilter.h"
#include "testutil.h"

static uint64_t
key(uint64_t i)
{
	uint64_t k;

	crypto_generichash((uint8_t *)&k, sizeof(k), (const uint8_t *)&i,
	    sizeof(i), NULL, 0);
	return k;
}

/* Never a false "absent", across the parts it grows into; false "maybe"s
 * stay rare for keys never added. */
START_TEST(test_dfilter_no_false_negatives)
{
	struct ledger_dfilter *f = ledger_dfilter_new(1000);
	uint64_t i, fp = 0;

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < 200000; i++)	/* 200 times the first part */
		ledger_dfilter_add(f, key(i));
	for (i = 0; i < 200000; i++)
		ck_assert(ledger_dfilter_maybe(f, key(i)));
	for (i = 200000; i < 300000; i++)
		fp += ledger_dfilter_maybe(f, key(i));
	/* 16 bits a key, 4 probes: well under 3% with every part */
	ck_assert_uint_lt(fp, 3000);
	ledger_dfilter_free(f);
	ledger_dfilter_free(NULL);
}
END_TEST

START_TEST(test_dfilter_empty_says_absent)
{
	struct ledger_dfilter *f = ledger_dfilter_new(0);
	uint64_t i;

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < 1000; i++)
		ck_assert(!ledger_dfilter_maybe(f, key(i)));
	ledger_dfilter_free(f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dfilter");
	TCase *tc = tcase_create("bloom");

	tcase_add_test(tc, test_dfilter_no_false_negatives);
	tcase_add_test(tc, test_dfilter_empty_says_absent);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
