/*
 * test-tlogproof.c - one entry's proof in the C2SP tlog-proof@v1 format
 * (ledger/tlogproof.h): written, parsed back and checked for every entry
 * of a real log, with and without the entry as `extra`; every single-byte
 * change of a proof and every truncation is refused; malformed texts are
 * refused with the line named; another log's key proves nothing; the
 * specification's own example (../shared/vectors/checkpoint/
 * c2sp_format_examples.json, parse-only: its signatures are elided)
 * parses and writes back byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "ledger/note.h"
#include "ledger/store.h"
#include "ledger/tlogproof.h"
#include "ledger/tree.h"
#include "teststore.h"
#include "testutil.h"

#define N 21

static struct ledger_store *s;
static struct ledger_signed_checkpoint cp;

static void
setup(void)
{
	int i;

	ts_setup("tlogproof.example/log");
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	for (i = 0; i < N; i++)
		ts_add(s, LEDGER_KIND_BUILD, "run=r", NULL);
	ck_assert_int_eq(ledger_store_checkpoint(s, &cp, NULL, NULL),
	    LEDGER_OK);
}

static void
teardown(void)
{
	ledger_signed_checkpoint_release(&cp);
	ledger_store_close(s);
	ts_teardown();
}

/* The proof of seq to cp, as text; with the entry as extra or not. */
static void
proof_of(uint64_t seq, bool extra, struct ledger_buf *out)
{
	uint8_t path[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	struct ledger_row row;
	size_t n;

	ck_assert_int_eq(ledger_store_prove_inclusion(s, seq, cp.size, path,
	    &n, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_get(s, seq, &row, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_tlog_proof_format(out, seq, extra ? row.entry :
	    NULL, row.entry_len, (const uint8_t (*)[LEDGER_HASH_BYTES])path, n,
	    cp.note, cp.note_len, NULL), LEDGER_OK);
	ledger_row_release(&row);
}

/* Parse and check text against the log's key: the status. */
static enum ledger_status
check(const char *text, size_t len, const uint8_t *leaf)
{
	struct ledger_tlog_proof p;
	struct ledger_error err;
	enum ledger_status st;

	st = ledger_tlog_proof_parse(text, len, &p, &err);
	if (st == LEDGER_OK)
		st = ledger_tlog_proof_check(&p, leaf, ledger_store_vkey(s), 1,
		    NULL, &err);
	ledger_tlog_proof_release(&p);
	return st;
}

START_TEST(test_tlogproof_round_trip)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_tlog_proof p;
	struct ledger_signed_checkpoint got;
	uint8_t leaf[LEDGER_HASH_BYTES];
	char want[64];
	uint64_t seq;
	int extra;

	for (seq = 0; seq < N; seq++)
		for (extra = 0; extra < 2; extra++) {
			ledger_buf_reset(&b);
			proof_of(seq, extra, &b);
			ck_assert_int_eq(ledger_tlog_proof_parse((char *)b.data,
			    b.len, &p, NULL), LEDGER_OK);
			ck_assert_uint_eq(p.index, seq);
			ck_assert_uint_eq(p.checkpoint_len, cp.note_len);
			ck_assert_mem_eq(p.checkpoint, cp.note, cp.note_len);
			ck_assert(extra ? p.extra != NULL : p.extra == NULL);
			snprintf(want, sizeof(want), "%s\n%sindex %llu\n",
			    LEDGER_TLOG_PROOF_HEADER, extra ? "extra " : "",
			    (unsigned long long)seq);
			ck_assert_int_eq(strncmp((char *)b.data, want,
			    extra ? 29 : strlen(want)), 0);
			ck_assert_int_eq(ledger_store_leaf_hash(s, seq, leaf,
			    NULL), LEDGER_OK);
			ck_assert_int_eq(ledger_tlog_proof_check(&p, extra ?
			    NULL : leaf, ledger_store_vkey(s), 1, &got, NULL),
			    LEDGER_OK);
			ck_assert_uint_eq(got.size, N);
			ledger_signed_checkpoint_release(&got);
			/* another entry's leaf is not proven */
			leaf[0] ^= 1;
			ck_assert_int_eq(ledger_tlog_proof_check(&p, leaf,
			    ledger_store_vkey(s), 1, NULL, NULL),
			    LEDGER_ECRYPTO);
			ledger_tlog_proof_release(&p);
		}
	ledger_buf_release(&b);
}
END_TEST

/* Every byte of a proof, changed, and every truncation: refused. */
START_TEST(test_tlogproof_forgery_loop)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	char *t;
	size_t i, len;
	int extra, bit;

	for (extra = 0; extra < 2; extra++) {
		uint8_t leaf[LEDGER_HASH_BYTES];

		ledger_buf_reset(&b);
		proof_of(13, extra, &b);
		len = b.len;
		t = malloc(len);
		ck_assert_ptr_nonnull(t);
		ck_assert_int_eq(ledger_store_leaf_hash(s, 13, leaf, NULL),
		    LEDGER_OK);
		ck_assert_int_eq(check((char *)b.data, len, extra ? NULL :
		    leaf), LEDGER_OK);
		for (i = 0; i < len; i++)
			for (bit = 0; bit < 8; bit += 5) {
				memcpy(t, b.data, len);
				t[i] = (char)(t[i] ^ (1 << bit));
				ck_assert_msg(check(t, len, extra ? NULL :
				    leaf) != LEDGER_OK, "byte %zu bit %d of:\n"
				    "%.*s", i, bit, (int)len, (char *)b.data);
			}
		for (i = 0; i < len; i++)
			ck_assert_msg(check((char *)b.data, i, extra ? NULL :
			    leaf) != LEDGER_OK, "truncated to %zu", i);
		free(t);
	}
	ledger_buf_release(&b);
}
END_TEST

static void
refused(const char *text, const char *why)
{
	struct ledger_tlog_proof p;
	struct ledger_error err;

	ck_assert_int_eq(ledger_tlog_proof_parse(text, strlen(text), &p,
	    &err), LEDGER_EINVAL);
	ck_assert_msg(strstr(err.msg, why) != NULL, "'%s' for:\n%s", err.msg,
	    text);
	ledger_tlog_proof_release(&p);
}

START_TEST(test_tlogproof_malformed)
{
	static const char hash[] =
	    "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n";
	struct ledger_buf b = LEDGER_BUF_INIT;
	int i;

	refused("c2sp.org/tlog-proof@v2\nindex 1\n\nx\n", "line 1");
	refused("c2sp.org/tlog-proof@v1\r\nindex 1\n\nx\n", "CR");
	refused("c2sp.org/tlog-proof@v1\nindex 01\n\nx\n", "line 2");
	refused("c2sp.org/tlog-proof@v1\nindex -1\n\nx\n", "line 2");
	refused("c2sp.org/tlog-proof@v1\nindex 9223372036854775808\n\nx\n",
	    "line 2");
	refused("c2sp.org/tlog-proof@v1\nindex\n\nx\n", "line 2");
	refused("c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\nx\n",
	    "line 2: extra");
	refused("c2sp.org/tlog-proof@v1\nextra AA==\nindex x\n\nx\n",
	    "line 3");
	refused("c2sp.org/tlog-proof@v1\nindex 1\ngSKy\n\nx\n", "line 3");
	refused("c2sp.org/tlog-proof@v1\nindex 1\n", "empty line");
	refused("c2sp.org/tlog-proof@v1\nindex 1\n\n", "no checkpoint");
	ck_assert_int_eq(ledger_buf_adds(&b, "c2sp.org/tlog-proof@v1\n"
	    "index 1\n"), LEDGER_OK);
	for (i = 0; i < LEDGER_MERKLE_MAX_PROOF + 1; i++)
		ck_assert_int_eq(ledger_buf_adds(&b, hash), LEDGER_OK);
	ck_assert_int_eq(ledger_buf_adds(&b, "\nx\n"), LEDGER_OK);
	ck_assert_int_eq(ledger_buf_addc(&b, '\0'), LEDGER_OK);
	refused((char *)b.data, "more hashes");
	ledger_buf_release(&b);
}
END_TEST

/* A proof checks only against its own log's key; an index beyond the
 * tree is refused. */
START_TEST(test_tlogproof_other_key_and_index)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_tlog_proof p;
	struct ledger_vkey other;
	uint8_t sk[LEDGER_NOTE_SECRET_BYTES];
	char *at;

	proof_of(3, true, &b);
	ck_assert_int_eq(ledger_tlog_proof_parse((char *)b.data, b.len, &p,
	    NULL), LEDGER_OK);
	/* a key of the same name that did not sign it */
	ck_assert_int_eq(ledger_note_key_generate("tlogproof.example/log",
	    &other, sk, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_tlog_proof_check(&p, NULL, &other, 1, NULL,
	    NULL), LEDGER_ECRYPTO);
	ledger_tlog_proof_release(&p);
	/* another index of the tree: the path leads elsewhere */
	at = strstr((char *)b.data, "index 3\n");
	ck_assert_ptr_nonnull(at);
	at[6] = '9';
	ck_assert_int_eq(check((char *)b.data, b.len, NULL), LEDGER_ECRYPTO);
	/* index 30 of a tree of 21: refused before any hashing */
	ledger_buf_reset(&b);
	ck_assert_int_eq(ledger_tlog_proof_format(&b, 30, (const uint8_t *)"x",
	    1, NULL, 0, cp.note, cp.note_len, NULL), LEDGER_OK);
	ck_assert_int_eq(check((char *)b.data, b.len, NULL), LEDGER_EINVAL);
	ledger_buf_release(&b);
}
END_TEST

START_TEST(test_tlogproof_spec_example)
{
	static const char *const first = "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMk"
	    "BTcdPlQ=";
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_tlog_proof p;
	char path[4200], b64[LEDGER_B64_HASH_SIZE];
	const char *text, *dir = getenv("LEDGER_VECTORS");
	json_error_t jerr;
	json_t *j;

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof(path), "%s/checkpoint/c2sp_format_examples.json",
	    dir);
	j = json_load_file(path, 0, &jerr);
	ck_assert_msg(j != NULL, "%s: %s", path, jerr.text);
	text = json_string_value(json_object_get(j, "tlog_proof_example"));
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(ledger_tlog_proof_parse(text, strlen(text), &p, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(p.index, 73894);
	ck_assert_uint_eq(p.n, 5);
	ledger_b64_hash(p.path[0], b64);
	ck_assert_str_eq(b64, first);
	ck_assert_uint_eq(p.extra_len, 39);
	ck_assert_mem_eq(p.extra, "age-v1.2.1-darwin-arm64.tar.gz", 30);
	ck_assert_int_eq(strncmp(p.checkpoint, "example.com/fancylog\n109482\n",
	    28), 0);
	ck_assert_int_eq(ledger_tlog_proof_format(&b, p.index, p.extra,
	    p.extra_len, (const uint8_t (*)[LEDGER_HASH_BYTES])p.path, p.n,
	    p.checkpoint, p.checkpoint_len, NULL), LEDGER_OK);
	ck_assert_uint_eq(b.len, strlen(text));
	ck_assert_mem_eq(b.data, text, b.len);
	/* its signatures are elided ("[...]"): no key checks it */
	ck_assert_int_ne(ledger_tlog_proof_check(&p, NULL,
	    ledger_store_vkey(s), 1, NULL, NULL), LEDGER_OK);
	ledger_tlog_proof_release(&p);
	ledger_buf_release(&b);
	json_decref(j);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("tlogproof");
	TCase *tc = tcase_create("proof");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_tlogproof_round_trip);
	tcase_add_test(tc, test_tlogproof_forgery_loop);
	tcase_add_test(tc, test_tlogproof_malformed);
	tcase_add_test(tc, test_tlogproof_other_key_and_index);
	tcase_add_test(tc, test_tlogproof_spec_example);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
