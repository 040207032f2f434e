/* test-token.c - API tokens: create, check in constant time, revoke */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <sodium.h>

#include "ledger/store.h"
#include "ledger/token.h"
#include "teststore.h"
#include "testutil.h"

static const char *data;		/* this test's ledger (teststore.h) */

static void
setup(void)
{
	ts_setup("t.example/log");
	data = ts_data();
}

START_TEST(test_token_create_check_revoke)
{
	struct ledger_store *s;
	struct ledger_tokenset *ts;
	char w[LEDGER_TOKEN_MAX], r[LEDGER_TOKEN_MAX], bad[LEDGER_TOKEN_MAX];
	enum ledger_scope scope;
	int64_t wid, rid, id, n;
	size_t i;

	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_NOKEY, &s, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_token_create(s, LEDGER_SCOPE_WRITE, "ci", w,
	    &wid, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_token_create(s, LEDGER_SCOPE_READ, NULL, r,
	    &rid, NULL), LEDGER_OK);
	ck_assert_int_eq(strncmp(w, "ledger_w_", 9), 0);
	ck_assert_int_eq(strncmp(r, "ledger_r_", 9), 0);
	ck_assert_uint_eq(strlen(w), 9 + 43);
	ck_assert_int_eq(ledger_token_count(s, &n, NULL), LEDGER_OK);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(ledger_tokenset_load(s, &ts, NULL), LEDGER_OK);
	ck_assert(ledger_tokenset_check(ts, w, strlen(w), &scope, &id));
	ck_assert_int_eq(scope, LEDGER_SCOPE_WRITE);
	ck_assert_int_eq(id, wid);
	ck_assert(ledger_tokenset_check(ts, r, strlen(r), &scope, &id));
	ck_assert_int_eq(scope, LEDGER_SCOPE_READ);
	/* Forgery loop: every changed character is refused. */
	for (i = 0; i < strlen(w); i++) {
		memcpy(bad, w, sizeof(bad));
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		ck_assert(!ledger_tokenset_check(ts, bad, strlen(bad), &scope,
		    &id));
	}
	ck_assert(!ledger_tokenset_check(ts, w, strlen(w) - 1, &scope, &id));
	ck_assert(!ledger_tokenset_check(ts, "", 0, &scope, &id));
	ck_assert(!ledger_tokenset_check(NULL, w, strlen(w), &scope, &id));
	ledger_tokenset_free(ts);
	/* Revoked tokens stop working; revoking twice is "not found". */
	ck_assert_int_eq(ledger_token_revoke(s, wid, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_token_revoke(s, wid, NULL), LEDGER_ENOTFOUND);
	ck_assert_int_eq(ledger_token_revoke(s, 999, NULL), LEDGER_ENOTFOUND);
	ck_assert_int_eq(ledger_tokenset_load(s, &ts, NULL), LEDGER_OK);
	ck_assert(!ledger_tokenset_check(ts, w, strlen(w), &scope, &id));
	ck_assert(ledger_tokenset_check(ts, r, strlen(r), &scope, &id));
	ledger_tokenset_free(ts);
	ledger_store_close(s);
}
END_TEST

START_TEST(test_token_bad_arguments)
{
	struct ledger_store *s;
	char t[LEDGER_TOKEN_MAX], label[200];
	enum ledger_scope scope;
	int64_t id;

	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_NOKEY, &s, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_token_create(s, (enum ledger_scope)7, NULL, t,
	    &id, NULL), LEDGER_EINVAL);
	memset(label, 'x', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';
	ck_assert_int_eq(ledger_token_create(s, LEDGER_SCOPE_READ, label, t,
	    &id, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_token_create(s, LEDGER_SCOPE_READ, "a\nb", t,
	    &id, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_scope_parse("admin", &scope, NULL),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_scope_parse("read", &scope, NULL), LEDGER_OK);
	ledger_store_close(s);
}
END_TEST

START_TEST(test_token_only_hashes_are_stored)
{
	struct ledger_store *s;
	char t[LEDGER_TOKEN_MAX], *out = NULL;
	int64_t id;

	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_NOKEY, &s, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_token_create(s, LEDGER_SCOPE_WRITE, NULL, t,
	    &id, NULL), LEDGER_OK);
	ledger_store_close(s);
	/* Neither the database nor its WAL holds the token text. */
	ck_assert_int_eq(tu_run(&out, "cat '%s'/ledger.db* | grep -Fc -e '%s'",
	    data, t + 9), 1);
	free(out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("token");

	if (sodium_init() < 0)
		return EXIT_FAILURE;
	tcase_add_checked_fixture(tc, setup, ts_teardown);
	tcase_add_test(tc, test_token_create_check_revoke);
	tcase_add_test(tc, test_token_bad_arguments);
	tcase_add_test(tc, test_token_only_hashes_are_stored);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
