/* test-wire.c - the JSON of receipts, rows and proofs (ledger/wire.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ledger/jcs.h"
#include "ledger/store.h"
#include "ledger/wire.h"
#include "teststore.h"
#include "testutil.h"

static json_t *
parse(const struct ledger_buf *b)
{
	json_t *v = NULL;

	ck_assert_int_eq(ledger_json_parse(b->data, b->len, &v, NULL),
	    LEDGER_OK);
	return v;
}

START_TEST(test_wire_receipt_round_trip)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_receipt r, back;
	json_t *v;

	memset(&r, 0, sizeof(r));
	r.seq = 42;
	r.time_ms = 1764720000123;
	memset(r.leaf, 0xab, sizeof(r.leaf));
	memset(r.sig, 0x5c, sizeof(r.sig));
	r.key_id = 0x01020304;
	r.duplicate = true;
	ck_assert_int_eq(ledger_receipt_json(&b, &r, "w.example/log"),
	    LEDGER_OK);
	ck_assert_ptr_nonnull(strstr(b.data, "\"log\":\"w.example/log\""));
	v = parse(&b);
	ck_assert_int_eq(ledger_receipt_parse(v, &back, NULL), LEDGER_OK);
	ck_assert_uint_eq(back.seq, 42);
	ck_assert_int_eq(back.time_ms, r.time_ms);
	ck_assert_mem_eq(back.leaf, r.leaf, sizeof(r.leaf));
	ck_assert_mem_eq(back.sig, r.sig, sizeof(r.sig));
	ck_assert_uint_eq(back.key_id, r.key_id);
	ck_assert(back.duplicate);
	json_object_del(v, "signature");
	ck_assert_int_eq(ledger_receipt_parse(v, &back, NULL), LEDGER_EINVAL);
	json_decref(v);
	ledger_buf_release(&b);
}
END_TEST

/* A real entry: JSON out, and back to the exact signed bytes. */
START_TEST(test_wire_row_round_trip)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_store *s;
	struct ledger_event *ev;
	struct ledger_receipt r;
	struct ledger_row row, back;
	static const char doc[] = "{\"kind\":\"deployment\",\"subject\":"
	    "{\"service\":\"pay\",\"environment\":\"production\"}}";
	struct ledger_error err;
	json_t *v;

	ts_setup("wire.example/log");
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_from_json(doc, strlen(doc), -1, &ev,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_NAME, "api",
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_TYPE,
	    "generic", NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_append(s, &ev, 1, &r, NULL), LEDGER_OK);
	ledger_event_free(ev);
	ck_assert_int_eq(ledger_store_get(s, 0, &row, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_row_json(0, row.entry, row.entry_len, row.sig,
	    &row.e, 1, NULL, &b), LEDGER_OK);
	v = parse(&b);
	ck_assert_int_eq(ledger_row_parse(v, &back, NULL), LEDGER_OK);
	ck_assert_uint_eq(back.entry_len, row.entry_len);
	ck_assert_mem_eq(back.entry, row.entry, row.entry_len);
	ck_assert_mem_eq(back.sig, row.sig, sizeof(row.sig));
	ck_assert_str_eq(back.e.subject[LEDGER_SUBJ_SERVICE], "pay");
	ledger_row_release(&back);
	json_object_set_new(v, "entry", json_string("x"));
	ck_assert_int_eq(ledger_row_parse(v, &back, &err), LEDGER_EINVAL);
	json_decref(v);
	ledger_buf_release(&b);
	ledger_row_release(&row);
	ledger_store_close(s);
	ts_teardown();
}
END_TEST

START_TEST(test_wire_proofs_round_trip_and_refusals)
{
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	uint8_t back[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	uint8_t leaf[LEDGER_HASH_BYTES], bleaf[LEDGER_HASH_BYTES];
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_error err;
	size_t n, i;
	json_t *v;

	for (i = 0; i < 5; i++)
		memset(proof[i], (int)i + 1, LEDGER_HASH_BYTES);
	memset(leaf, 9, sizeof(leaf));
	ck_assert_int_eq(ledger_inclusion_json(&b, 3, 17, leaf,
	    (const uint8_t (*)[32])proof, 5), LEDGER_OK);
	v = parse(&b);
	ck_assert_int_eq(ledger_inclusion_parse(v, 3, 17, back, &n, bleaf,
	    NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(back, proof, 5 * LEDGER_HASH_BYTES);
	ck_assert_mem_eq(bleaf, leaf, sizeof(leaf));
	/* about another entry or size: refused */
	ck_assert_int_eq(ledger_inclusion_parse(v, 4, 17, back, &n, bleaf,
	    &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_inclusion_parse(v, 3, 18, back, &n, bleaf,
	    &err), LEDGER_EINVAL);
	/* a hash spelled otherwise (not canonical) */
	json_array_set_new(json_object_get(v, "audit_path"), 0,
	    json_string("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF="));
	ck_assert_int_eq(ledger_inclusion_parse(v, 3, 17, back, &n, bleaf,
	    &err), LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "hash 0"));
	json_decref(v);
	ledger_buf_reset(&b);
	ck_assert_int_eq(ledger_consistency_json(&b, 5, 9,
	    (const uint8_t (*)[32])proof, 3), LEDGER_OK);
	v = parse(&b);
	ck_assert_int_eq(ledger_consistency_parse(v, 5, 9, back, &n, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(ledger_consistency_parse(v, 5, 10, back, &n, NULL),
	    LEDGER_EINVAL);
	/* more hashes than any proof holds */
	for (i = 0; i < LEDGER_MERKLE_MAX_PROOF; i++)
		json_array_append(json_object_get(v, "consistency"),
		    json_array_get(json_object_get(v, "consistency"), 0));
	ck_assert_int_eq(ledger_consistency_parse(v, 5, 9, back, &n, NULL),
	    LEDGER_EINVAL);
	json_decref(v);
	ledger_buf_release(&b);
	ck_assert(!ledger_b64_hash_parse(NULL, bleaf));
	ck_assert(!ledger_b64_hash_parse("short", bleaf));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, test_wire_receipt_round_trip);
	tcase_add_test(tc, test_wire_row_round_trip);
	tcase_add_test(tc, test_wire_proofs_round_trip_and_refusals);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
