/* test-tree.c - stored Merkle tree, proofs, signed checkpoints */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <sodium.h>
#include <sqlite3.h>

#include "ledger/entry.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/store.h"
#include "ledger/tree.h"
#include "ledger/verify.h"
#include "teststore.h"
#include "testutil.h"

static const char *data;		/* this test's ledger (teststore.h) */

static void
setup(void)
{
	ts_setup("tree.example/log");
	data = ts_data();
}

static void
append(struct ledger_store *s, int n)
{
	struct ledger_event *ev;
	struct ledger_receipt r;
	char body[64];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(body, sizeof(body), "{\"kind\":\"build\",\"n\":%d}", i);
		ck_assert_int_eq(ledger_event_from_json("{\"kind\":\"build\"}",
		    16, -1, &ev, NULL), LEDGER_OK);
		ck_assert_int_eq(ledger_event_set_payload(ev, body,
		    strlen(body), "application/json", NULL), LEDGER_OK);
		ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_NAME,
		    "t", NULL), LEDGER_OK);
		ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_TYPE,
		    "generic", NULL), LEDGER_OK);
		ck_assert_int_eq(ledger_store_append(s, &ev, 1, &r, NULL),
		    LEDGER_OK);
		ledger_event_free(ev);
	}
}

static int
db_exec(const char *sql)
{
	char path[4500];
	sqlite3 *db;
	int rc;

	snprintf(path, sizeof(path), "%s/ledger.db", data);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

START_TEST(test_tree_checkpoints_and_proofs)
{
	struct ledger_store *s;
	struct ledger_signed_checkpoint cps[4], again, vc;
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	uint8_t root[32];
	struct ledger_row row;
	uint64_t size, i, k;
	size_t n;
	bool made;
	int c;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	for (c = 0; c < 4; c++) {
		append(s, c == 0 ? 1 : 7 * c);
		ck_assert_int_eq(ledger_store_checkpoint(s, &cps[c], &made,
		    NULL), LEDGER_OK);
		ck_assert(made);
		/* the note verifies with the log's key, names its origin */
		ck_assert_int_eq(ledger_checkpoint_verify(cps[c].note,
		    cps[c].note_len, ledger_store_vkey(s), 1, &vc, NULL),
		    LEDGER_OK);
		size = vc.size;
		ck_assert_uint_eq(size, cps[c].size);
		ck_assert_mem_eq(vc.root, cps[c].root, 32);
		ck_assert_str_eq(vc.origin, "tree.example/log");
		ck_assert_uint_eq(vc.key_id, ledger_store_vkey(s)->id);
		ledger_signed_checkpoint_release(&vc);
		ck_assert_int_eq(strncmp(cps[c].note, "tree.example/log\n", 17),
		    0);
		ck_assert_int_eq(ledger_store_tree_root(s, size, root, NULL),
		    LEDGER_OK);
		ck_assert_mem_eq(root, cps[c].root, 32);
	}
	/* same size: no new checkpoint */
	ck_assert_int_eq(ledger_store_checkpoint(s, &again, &made, NULL),
	    LEDGER_OK);
	ck_assert(!made);
	ck_assert_uint_eq(again.size, cps[3].size);
	ledger_signed_checkpoint_release(&again);
	ck_assert_int_eq(ledger_store_checkpoint_get(s, cps[1].size, &again,
	    NULL), LEDGER_OK);
	ck_assert_str_eq(again.note, cps[1].note);
	ledger_signed_checkpoint_release(&again);
	/* every entry's inclusion proof in every checkpoint */
	for (c = 0; c < 4; c++)
		for (i = 0; i < cps[c].size; i++) {
			uint8_t leaf[32];

			ck_assert_int_eq(ledger_store_get(s, i, &row, NULL),
			    LEDGER_OK);
			ledger_leaf_hash(row.entry, row.entry_len, leaf);
			ledger_row_release(&row);
			ck_assert_int_eq(ledger_store_prove_inclusion(s, i,
			    cps[c].size, proof, &n, NULL), LEDGER_OK);
			ck_assert_int_eq(ledger_merkle_verify_inclusion(i,
			    cps[c].size, leaf, &proof[0][0], n, cps[c].root,
			    NULL), LEDGER_OK);
		}
	/* consistency between every pair of checkpoints */
	for (c = 0; c < 4; c++)
		for (k = (uint64_t)c; k < 4; k++) {
			ck_assert_int_eq(ledger_store_prove_consistency(s,
			    cps[c].size, cps[k].size, proof, &n, NULL),
			    LEDGER_OK);
			ck_assert_int_eq(ledger_merkle_verify_consistency(
			    cps[c].size, cps[k].size, cps[c].root, cps[k].root,
			    &proof[0][0], n, NULL), LEDGER_OK);
		}
	for (c = 0; c < 4; c++)
		ledger_signed_checkpoint_release(&cps[c]);
	ledger_store_close(s);
}
END_TEST

START_TEST(test_tree_proof_arguments)
{
	struct ledger_store *s;
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES], root[32];
	struct ledger_error err;
	struct ledger_signed_checkpoint cp;
	size_t n;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_checkpoint_latest(s, &cp, &err),
	    LEDGER_ENOTFOUND);
	append(s, 5);
	ck_assert_int_eq(ledger_store_prove_inclusion(s, 5, 5, proof, &n,
	    &err), LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "not in a tree of size 5"));
	ck_assert_int_eq(ledger_store_prove_inclusion(s, 0, 6, proof, &n,
	    &err), LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "beyond the log"));
	ck_assert_int_eq(ledger_store_prove_consistency(s, 4, 3, proof, &n,
	    &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_store_prove_consistency(s, 3, 9, proof, &n,
	    &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_store_tree_root(s, 6, root, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_store_checkpoint_get(s, 3, &cp, &err),
	    LEDGER_ENOTFOUND);
	ledger_store_close(s);
	/* readers cannot sign */
	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_READONLY, &s,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_checkpoint(s, NULL, NULL, &err),
	    LEDGER_EINVAL);
	ledger_store_close(s);
}
END_TEST

/* The writer refuses to extend a log that contradicts its last
 * checkpoint: truncated, or its tree rewritten. */
static const char *const contradictions[] = {
	"DROP TRIGGER entries_no_delete; DROP TRIGGER payloads_prune_only; "
	"DROP TRIGGER tree_no_delete; DROP TRIGGER head_no_shrink; "
	"DELETE FROM payloads WHERE seq >= 6; DELETE FROM entries WHERE "
	"seq >= 6; DELETE FROM tree WHERE id >= 10; UPDATE head SET size = 6",
	/* id 14 is the level-3 node over leaves 0..7, part of root(9) */
	"DROP TRIGGER tree_no_update; UPDATE tree SET hash = zeroblob(32) "
	"WHERE id = 14",
	"DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET root = "
	"zeroblob(32)",
	"DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET note = "
	"replace(note, 'tree.example', 'tree.exampl3')",
};

START_TEST(test_tree_writer_refuses_contradicted_log)
{
	struct ledger_store *s = NULL;
	struct ledger_error err;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	append(s, 9);
	ck_assert_int_eq(ledger_store_checkpoint(s, NULL, NULL, NULL),
	    LEDGER_OK);
	ledger_store_close(s);
	s = NULL;
	ck_assert_int_eq(db_exec(contradictions[_i]), SQLITE_OK);
	ck_assert_int_eq(ledger_store_open(data, 0, &s, &err), LEDGER_ECHAIN);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err.msg, "checkpoint"));
	/* readers still open it, so it can be examined */
	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_READONLY, &s,
	    NULL), LEDGER_OK);
	ledger_store_close(s);
}
END_TEST

/* A failure to read the stored hashes while proving the new tree extends
 * the last checkpoint is an I/O or database error, passed through: only a
 * real contradiction is LEDGER_ECHAIN, which stops every write until a
 * restart (issue 9 item 11). */
START_TEST(test_tree_read_error_is_not_a_contradiction)
{
	struct ledger_store *s = NULL;
	struct ledger_error err;
	enum ledger_status st;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	append(s, 3);
	ck_assert_int_eq(ledger_store_checkpoint(s, NULL, NULL, NULL),
	    LEDGER_OK);
	append(s, 2);
	/* another connection takes the tree table away behind the store */
	ck_assert_int_eq(db_exec("ALTER TABLE tree RENAME TO tree_gone"),
	    SQLITE_OK);
	st = ledger_store_checkpoint(s, NULL, NULL, &err);
	ck_assert_int_ne(st, LEDGER_OK);
	ck_assert_msg(st != LEDGER_ECHAIN, "a read error reported as a "
	    "contradiction: %s", err.msg);
	ck_assert_int_eq(db_exec("ALTER TABLE tree_gone RENAME TO tree"),
	    SQLITE_OK);
	/* once the table is back, the same call signs */
	ck_assert_int_eq(ledger_store_checkpoint(s, NULL, NULL, &err),
	    LEDGER_OK);
	ledger_store_close(s);
}
END_TEST

START_TEST(test_tree_verify_checks_tree_and_checkpoints)
{
	struct ledger_store *s;
	struct ledger_verify_report rep;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	append(s, 20);
	ck_assert_int_eq(ledger_store_checkpoint(s, NULL, NULL, NULL),
	    LEDGER_OK);
	append(s, 3);
	ck_assert_int_eq(ledger_store_checkpoint(s, NULL, NULL, NULL),
	    LEDGER_OK);
	ledger_store_close(s);
	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_READONLY, &s,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_verify_store(s, NULL, NULL, NULL, &rep, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(rep.problems, 0);
	ledger_store_close(s);
	/* a checkpoint row whose root was replaced */
	ck_assert_int_eq(db_exec("DROP TRIGGER checkpoints_no_update; UPDATE "
	    "checkpoints SET root = zeroblob(32) WHERE size = 20"), SQLITE_OK);
	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_READONLY, &s,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_verify_store(s, NULL, NULL, NULL, &rep, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(rep.count[LEDGER_PROB_BAD_CHECKPOINT], 1);
	ck_assert_uint_eq(rep.first_bad_seq, 19);
	ledger_store_close(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tree");
	TCase *tc = tcase_create("tree");

	if (sodium_init() < 0)
		return EXIT_FAILURE;
	tcase_add_checked_fixture(tc, setup, ts_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tree_checkpoints_and_proofs);
	tcase_add_test(tc, test_tree_proof_arguments);
	tcase_add_loop_test(tc, test_tree_writer_refuses_contradicted_log, 0,
	    (int)(sizeof(contradictions) / sizeof(*contradictions)));
	tcase_add_test(tc, test_tree_read_error_is_not_a_contradiction);
	tcase_add_test(tc, test_tree_verify_checks_tree_and_checkpoints);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
