/* test-identity.c - machine identities: names, bindings, bound tokens */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <sodium.h>

#include "ledger/identity.h"
#include "ledger/store.h"
#include "ledger/token.h"
#include "teststore.h"
#include "testutil.h"

#define FP "sha256:" \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct ledger_identity runner = {
	.uri = "spiffe://example.org/ci/runner-a",
	.dn = "CN=runner-a,O=Example",
	.sha256 = FP,
};

START_TEST(test_identity_name)
{
	struct ledger_identity id = runner;

	ck_assert_str_eq(ledger_identity_name(&id), runner.uri);
	id.uri[0] = '\0';
	ck_assert_str_eq(ledger_identity_name(&id), runner.dn);
	id.dn[0] = '\0';
	ck_assert_str_eq(ledger_identity_name(&id), FP);
}
END_TEST

START_TEST(test_identity_allows)
{
	struct ledger_identity other = runner, nouri = runner;
	char upper[sizeof(FP)];
	size_t i;

	/* Unbound: anyone, with or without a certificate. */
	ck_assert(ledger_identity_allows(NULL, NULL));
	ck_assert(ledger_identity_allows("", &runner));
	/* Bound: any of the three names, exactly; no certificate: never. */
	ck_assert(ledger_identity_allows(runner.uri, &runner));
	ck_assert(ledger_identity_allows(runner.dn, &runner));
	ck_assert(ledger_identity_allows(FP, &runner));
	for (i = 0; i < sizeof(FP); i++)
		upper[i] = (char)(i > 6 ? toupper((unsigned char)FP[i]) :
		    FP[i]);
	ck_assert(ledger_identity_allows(upper, &runner));
	ck_assert(!ledger_identity_allows(runner.uri, NULL));
	ck_assert(!ledger_identity_allows("spiffe://example.org/ci/runner",
	    &runner));		/* a prefix is not the name */
	ck_assert(!ledger_identity_allows("CN=runner-a", &runner));
	other.uri[strlen(other.uri) - 1] = 'b';
	other.sha256[8] = 'f';
	ck_assert(!ledger_identity_allows(runner.uri, &other));
	ck_assert(!ledger_identity_allows(FP, &other));
	/* Like with like: a URI that spells a DN or a fingerprint is not
	 * that DN or fingerprint. */
	{
		struct ledger_identity sly = runner;

		snprintf(sly.uri, sizeof(sly.uri), "CN=prod,O=corp");
		ck_assert(!ledger_identity_allows("CN=prod,O=corp", &sly));
		snprintf(sly.uri, sizeof(sly.uri), "urn:x:CN=prod");
		snprintf(sly.dn, sizeof(sly.dn), "CN=other");
		ck_assert(!ledger_identity_allows("CN=other,O=x", &sly));
		ck_assert(ledger_identity_allows("urn:x:CN=prod", &sly));
		ck_assert(!ledger_identity_allows("urn:x:CN=other", &sly));
	}
	ck_assert(ledger_identity_is_uri("spiffe://example.org/a"));
	ck_assert(ledger_identity_is_uri("urn:uuid:1"));
	ck_assert(!ledger_identity_is_uri("sha256:00"));
	ck_assert(!ledger_identity_is_uri("CN=host:443"));
	ck_assert(!ledger_identity_is_uri("//no-scheme"));
	ck_assert(!ledger_identity_is_uri(NULL));
	/* An empty name on the certificate never matches an empty-ish
	 * binding of the same kind. */
	nouri.uri[0] = '\0';
	ck_assert(!ledger_identity_allows("spiffe://x", &nouri));
	ck_assert(ledger_identity_allows(runner.dn, &nouri));
}
END_TEST

START_TEST(test_identity_check_name)
{
	char longname[LEDGER_IDENTITY_MAX + 1];
	struct ledger_error err;

	ck_assert_int_eq(ledger_identity_check_name(runner.uri, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_identity_check_name(runner.dn, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_identity_check_name(FP, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_identity_check_name("", &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_identity_check_name(NULL, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_identity_check_name("CN=a\nb", &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "non-printable"));
	ck_assert_int_eq(ledger_identity_check_name("sha256:abc", &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "64 hex digits"));
	ck_assert_int_eq(ledger_identity_check_name("sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
	    &err), LEDGER_EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(ledger_identity_check_name(longname, &err),
	    LEDGER_EINVAL);
	longname[LEDGER_IDENTITY_MAX - 1] = '\0';
	ck_assert_int_eq(ledger_identity_check_name(longname, &err),
	    LEDGER_OK);
}
END_TEST

START_TEST(test_identity_auth_machine)
{
	ck_assert_str_eq(ledger_auth_machine("bearer-token:3+mtls:spiffe://"
	    "example.org/a+b"), "spiffe://example.org/a+b");
	ck_assert_str_eq(ledger_auth_machine("hmac-sha256+mtls:CN=x,O=y"),
	    "CN=x,O=y");
	ck_assert_ptr_null(ledger_auth_machine("bearer-token:3"));
	ck_assert_ptr_null(ledger_auth_machine("bearer-token:3+mtls:"));
	ck_assert_ptr_null(ledger_auth_machine(NULL));
}
END_TEST

/* A token bound to an identity: kept, listed, loaded; the binding cannot
 * be changed or removed behind the library's back. */
static void
list_bound(void *ctx, const struct ledger_token_info *t)
{
	int *n = ctx;

	if (t->identity != NULL) {
		ck_assert_str_eq(t->identity, runner.uri);
		(*n)++;
	}
}

START_TEST(test_identity_bound_token)
{
	struct ledger_store *s;
	struct ledger_tokenset *ts;
	char bound[LEDGER_TOKEN_MAX], free_tok[LEDGER_TOKEN_MAX];
	enum ledger_scope scope;
	int64_t bid, fid, id;
	int n = 0;

	ts_setup("t.example/identity");
	ck_assert_int_eq(ledger_store_open(ts_data(), LEDGER_STORE_NOKEY, &s,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_token_create_bound(s, LEDGER_SCOPE_WRITE, "ci",
	    runner.uri, bound, &bid, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_token_create(s, LEDGER_SCOPE_WRITE, "any",
	    free_tok, &fid, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_token_create_bound(s, LEDGER_SCOPE_WRITE, "x",
	    "sha256:12", free_tok, &id, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_token_list(s, list_bound, &n, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(ledger_tokenset_load(s, &ts, NULL), LEDGER_OK);
	ck_assert(ledger_tokenset_check(ts, bound, strlen(bound), &scope,
	    &id));
	ck_assert_int_eq(id, bid);
	ck_assert_str_eq(ledger_tokenset_identity(ts, bid), runner.uri);
	ck_assert_ptr_null(ledger_tokenset_identity(ts, fid));
	ck_assert_ptr_null(ledger_tokenset_identity(ts, 999));
	ledger_tokenset_free(ts);
	ledger_store_close(s);
	/* Behind the library: unbinding or rebinding is refused. */
	ck_assert_int_ne(ts_sql_rc(ts_data(), "UPDATE tokens SET identity ="
	    " NULL WHERE identity IS NOT NULL"), 0);
	ck_assert_int_ne(ts_sql_rc(ts_data(), "UPDATE tokens SET identity ="
	    " 'CN=evil' WHERE identity IS NULL"), 0);
	ts_teardown();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("identity");

	if (sodium_init() < 0)
		return EXIT_FAILURE;
	tcase_add_test(tc, test_identity_name);
	tcase_add_test(tc, test_identity_allows);
	tcase_add_test(tc, test_identity_check_name);
	tcase_add_test(tc, test_identity_auth_machine);
	tcase_add_test(tc, test_identity_bound_token);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
