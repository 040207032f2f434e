/* test-buf.c - the growable buffer and the error record */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ledger/buf.h"
#include "ledger/error.h"
#include "testutil.h"

START_TEST(test_buf_grows_and_terminates)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	char *p;
	size_t n, i;

	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(ledger_buf_addc(&b, (char)('a' + i % 26)),
		    LEDGER_OK);
	ck_assert_uint_eq(b.len, 10000);
	ck_assert_int_eq(b.data[b.len], '\0');
	ck_assert_int_eq(ledger_buf_addf(&b, "%d-%s", 42, "x"), LEDGER_OK);
	ck_assert_str_eq(b.data + 10000, "42-x");
	ledger_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	ck_assert_int_eq(ledger_buf_adds(&b, "hello"), LEDGER_OK);
	p = ledger_buf_steal(&b, &n);
	ck_assert_str_eq(p, "hello");
	ck_assert_uint_eq(n, 5);
	ck_assert_ptr_null(b.data);
	free(p);
	ledger_buf_release(&b);
	ledger_buf_release(NULL);
}
END_TEST

/* addf writes in one pass when the output fits and in a second when it
 * does not, at every distance from the end of the buffer's room; numbers
 * in decimal, both ends of the range. */
START_TEST(test_buf_formats_at_every_edge)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	char want[600], piece[300];
	size_t pad, len;

	memset(piece, 'q', sizeof(piece) - 1);
	piece[sizeof(piece) - 1] = '\0';
	for (pad = 0; pad < 200; pad++) {
		ledger_buf_reset(&b);
		for (len = 0; len < pad; len++)
			ck_assert_int_eq(ledger_buf_addc(&b, 'p'), LEDGER_OK);
		ck_assert_int_eq(ledger_buf_addf(&b, "<%s|%zu>", piece + pad,
		    pad), LEDGER_OK);
		memset(want, 'p', pad);
		snprintf(want + pad, sizeof(want) - pad, "<%s|%zu>", piece + pad,
		    pad);
		ck_assert_str_eq(b.data, want);
		ck_assert_uint_eq(b.len, strlen(want));
	}
	ledger_buf_reset(&b);
	ck_assert_int_eq(ledger_buf_add_u64(&b, 0), LEDGER_OK);
	ck_assert_int_eq(ledger_buf_addc(&b, ' '), LEDGER_OK);
	ck_assert_int_eq(ledger_buf_add_u64(&b, 1234567890), LEDGER_OK);
	ck_assert_int_eq(ledger_buf_addc(&b, ' '), LEDGER_OK);
	ck_assert_int_eq(ledger_buf_add_u64(&b, UINT64_MAX), LEDGER_OK);
	ck_assert_str_eq(b.data, "0 1234567890 18446744073709551615");
	ledger_buf_release(&b);
}
END_TEST

START_TEST(test_buf_refuses_overflow)
{
	struct ledger_buf b = LEDGER_BUF_INIT;

	ck_assert_int_eq(ledger_buf_adds(&b, "x"), LEDGER_OK);
	ck_assert_int_eq(ledger_buf_reserve(&b, SIZE_MAX - 1), LEDGER_ENOMEM);
	ck_assert_str_eq(b.data, "x");
	ledger_buf_release(&b);
}
END_TEST

START_TEST(test_error_record)
{
	struct ledger_error err;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(ledger_errorf(&err, LEDGER_EINVAL, "bad '%s'", "x"),
	    LEDGER_EINVAL);
	ck_assert_str_eq(err.msg, "bad 'x'");
	ck_assert_int_eq(err.code, LEDGER_EINVAL);
	ck_assert_int_eq(ledger_errorf_errno(&err, LEDGER_EIO, 2, "open '%s'",
	    "f"), LEDGER_EIO);
	ck_assert_str_eq(err.msg, "open 'f': No such file or directory");
	ck_assert_int_eq(err.sys_errno, 2);
	ck_assert_int_eq(ledger_errorf(NULL, LEDGER_EDB, "x"), LEDGER_EDB);
	ck_assert_str_eq(ledger_status_str(LEDGER_OK), "success");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, test_buf_grows_and_terminates);
	tcase_add_test(tc, test_buf_formats_at_every_edge);
	tcase_add_test(tc, test_buf_refuses_overflow);
	tcase_add_test(tc, test_error_record);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
