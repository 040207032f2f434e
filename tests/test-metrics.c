/* test-metrics.c - ledgerd's Prometheus exposition (ledgerd/metrics.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ledgerd.h"
#include "testutil.h"

/* The counters and gauges as recorded, in the text format's lines. */
START_TEST(test_metrics_render)
{
	char *text;
	size_t len;
	int i;

	for (i = 0; i < 3; i++)
		metrics_request(ROUTE_EVENTS_POST, 201, 0.002);
	metrics_request(ROUTE_HOOKS, 401, 0.001);
	metrics_reject(REJECT_CONFLICT);
	metrics_reject(REJECT_CONFLICT);
	metrics_batch(10, 9);
	metrics_set_log_size(1234);
	metrics_set_queue(7);
	metrics_set_connections(3);
	metrics_checkpoint(1234, true);
	metrics_integrity_error();
	text = metrics_render(&len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), len);
	ck_assert_ptr_nonnull(strstr(text, "reason=\"conflict\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text, " 1234\n"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE "));
	ck_assert_ptr_nonnull(strstr(text, "status=\"401\""));
	ck_assert_str_eq(route_name(ROUTE_HEALTHZ), "healthz");
	free(text);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("render");

	tcase_add_test(tc, test_metrics_render);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
