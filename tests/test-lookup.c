/* test-lookup.c - lookup keys and terms (lib/lookup.h) */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "ledger/entry.h"
#include "lookup.h"
#include "testutil.h"

/* The letters are distinct, and each term parses back to its field and
 * key; anything else is no term. */
START_TEST(test_lookup_terms_round_trip)
{
	char term[LEDGER_LOOKUP_TERM], seen[LEDGER_LOOKUP_COUNT + 1] = "";
	enum ledger_lookup_field f, g;
	uint64_t k;
	int i;

	for (i = 0; i < LEDGER_LOOKUP_COUNT; i++) {
		f = (enum ledger_lookup_field)i;
		ck_assert_ptr_null(strchr(seen, ledger_lookup_letter(f)));
		seen[i] = ledger_lookup_letter(f);
		ck_assert_ptr_nonnull(ledger_lookup_name(f));
		ledger_lookup_term(f, UINT64_C(0x0123456789abcdef) + (uint64_t)i,
		    term);
		ck_assert_uint_eq(strlen(term), LEDGER_LOOKUP_TERM - 1);
		ck_assert(ledger_lookup_parse_term(term, strlen(term), &g, &k));
		ck_assert_int_eq(g, f);
		ck_assert(k == UINT64_C(0x0123456789abcdef) + (uint64_t)i);
	}
	ck_assert(!ledger_lookup_parse_term("z0123456789abcdef", 17, &g, &k));
	ck_assert(!ledger_lookup_parse_term("c0123456789abcdeF", 17, &g, &k));
	ck_assert(!ledger_lookup_parse_term("c0123", 5, &g, &k));
	ck_assert(!ledger_lookup_parse_term("garbage", 7, &g, &k));
}
END_TEST

/* Keys are domain-separated by field, and the delivery key by where the
 * source name ends. */
START_TEST(test_lookup_keys_separate)
{
	ck_assert(ledger_lookup_key(LEDGER_LOOKUP_COMMIT, "abc", NULL) !=
	    ledger_lookup_key(LEDGER_LOOKUP_ARTIFACT, "abc", NULL));
	ck_assert(ledger_lookup_key(LEDGER_LOOKUP_COMMIT, "abc", NULL) ==
	    ledger_lookup_key(LEDGER_LOOKUP_COMMIT, "abc", NULL));
	ck_assert(ledger_lookup_key(LEDGER_LOOKUP_DELIVERY, "ab", "c") !=
	    ledger_lookup_key(LEDGER_LOOKUP_DELIVERY, "a", "bc"));
}
END_TEST

static void
entry(struct ledger_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->kind = LEDGER_KIND_DEPLOYMENT;
	e->source[LEDGER_SRC_NAME] = "gh";
	e->source[LEDGER_SRC_EVENT] = "deployment_status";
	e->source[LEDGER_SRC_DELIVERY] = "d-1";
	e->subject[LEDGER_SUBJ_SERVICE] = "pay";
	e->subject[LEDGER_SUBJ_ENVIRONMENT] = "production";
	memset(e->payload_sha256, 0x42, sizeof(e->payload_sha256));
}

/* One term per present field, in field order; the url has none. */
START_TEST(test_lookup_terms_of_an_entry)
{
	struct ledger_entry e;
	uint64_t keys[LEDGER_LOOKUP_COUNT];
	int present[LEDGER_LOOKUP_COUNT];
	char out[LEDGER_LOOKUP_TERMS];

	entry(&e);
	e.subject[LEDGER_SUBJ_URL] = "https://example.com/x";
	/* delivery, kind, source, environment, service, body, place */
	ck_assert_int_eq(ledger_lookup_terms(&e, out, keys, present), 7);
	ck_assert_uint_eq(strlen(out), 7 * LEDGER_LOOKUP_TERM - 1);
	ck_assert(keys[LEDGER_LOOKUP_PLACE] ==
	    ledger_lookup_place_key("production", "pay"));
	ck_assert(!present[LEDGER_LOOKUP_KIND_COMMIT]);
	ck_assert(present[LEDGER_LOOKUP_DELIVERY]);
	ck_assert(present[LEDGER_LOOKUP_BODY]);
	ck_assert(!present[LEDGER_LOOKUP_COMMIT]);
	ck_assert_int_eq(ledger_lookup_subject(LEDGER_SUBJ_URL), -1);
	ck_assert(keys[LEDGER_LOOKUP_SERVICE] ==
	    ledger_lookup_key(LEDGER_LOOKUP_SERVICE, "pay", NULL));
	ck_assert(keys[LEDGER_LOOKUP_BODY] == ledger_lookup_body_key(&e));
	/* no delivery id: no delivery term */
	e.source[LEDGER_SRC_DELIVERY] = NULL;
	ck_assert_int_eq(ledger_lookup_terms(&e, NULL, keys, present), 6);
	ck_assert(!present[LEDGER_LOOKUP_DELIVERY]);
	/* a commit: its term, and the kind's */
	e.subject[LEDGER_SUBJ_COMMIT] = "abc";
	ck_assert_int_eq(ledger_lookup_terms(&e, NULL, keys, present), 8);
	ck_assert(keys[LEDGER_LOOKUP_KIND_COMMIT] == ledger_lookup_key(
	    LEDGER_LOOKUP_KIND_COMMIT, "deployment", "abc"));
	/* a build has no place */
	e.kind = LEDGER_KIND_BUILD;
	ledger_lookup_terms(&e, NULL, keys, present);
	ck_assert(!present[LEDGER_LOOKUP_PLACE]);
}
END_TEST

/* The body key changes with everything that tells two events of one body
 * apart, and not with the delivery id (a replay's fresh id). */
START_TEST(test_lookup_body_key)
{
	struct ledger_entry e;
	uint64_t k0, k;

	entry(&e);
	k0 = ledger_lookup_body_key(&e);
	e.source[LEDGER_SRC_DELIVERY] = "a-fresh-id";
	ck_assert(ledger_lookup_body_key(&e) == k0);
	e.subject[LEDGER_SUBJ_SERVICE] = "web";
	ck_assert((k = ledger_lookup_body_key(&e)) != k0);
	entry(&e);
	e.kind = LEDGER_KIND_ROLLBACK;
	ck_assert(ledger_lookup_body_key(&e) != k0);
	entry(&e);
	e.source[LEDGER_SRC_EVENT] = "deployment";
	ck_assert(ledger_lookup_body_key(&e) != k0);
	entry(&e);
	e.source[LEDGER_SRC_NAME] = "gh2";
	ck_assert(ledger_lookup_body_key(&e) != k0);
	entry(&e);
	e.payload_sha256[31] ^= 1;
	ck_assert(ledger_lookup_body_key(&e) != k0);
	/* a value moved to another field is another event */
	entry(&e);
	e.subject[LEDGER_SUBJ_SERVICE] = NULL;
	e.subject[LEDGER_SUBJ_PIPELINE] = "pay";
	ck_assert(ledger_lookup_body_key(&e) != k0);
	(void)k;
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("lookup");
	TCase *tc = tcase_create("keys");

	tcase_add_test(tc, test_lookup_terms_round_trip);
	tcase_add_test(tc, test_lookup_keys_separate);
	tcase_add_test(tc, test_lookup_terms_of_an_entry);
	tcase_add_test(tc, test_lookup_body_key);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
