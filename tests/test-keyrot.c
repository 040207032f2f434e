/*
 * test-keyrot.c - key rotation, retirement and revocation (ledger/keyhist.h)
 * through the store, the verifier and bundles: rotate twice and verify
 * with the first key only; revoke a key from a seq and find exactly the
 * entries it signed since; a forged key-added signed only by the key it
 * announces; a checkpoint signed only by a retired key after retirement;
 * key files never overwritten; a destroyed key; the history rules at
 * their boundaries.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <zlib.h>

#include "ledger/bundle.h"
#include "ledger/jcs.h"
#include "ledger/keyhist.h"
#include "ledger/keys.h"
#include "ledger/tree.h"
#include "ledger/verify.h"
#include "teststore.h"
#include "testutil.h"

static struct ledger_store *s;
static struct ledger_vkey root;

static void
setup(void)
{
	ts_setup("keyrot.example/log");
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	root = *ledger_store_vkey(s);
}

static void
teardown(void)
{
	ledger_store_close(s);
	ts_teardown();
}

static void
add(int n)
{
	while (n-- > 0)
		ts_add(s, LEDGER_KIND_BUILD, "run=r", NULL);
}

static uint32_t
rotate(uint64_t *at)
{
	struct ledger_vkey vk;

	ck_assert_int_eq(ledger_store_key_rotate(s, "test", &vk, at, NULL),
	    LEDGER_OK);
	return vk.id;
}

static struct ledger_verify_report
verify(struct ts_seen *sn)
{
	return ts_verify_seen(ts_data(), &root, sn);
}

static uint32_t
key_of(uint64_t seq)
{
	struct ledger_row row;
	uint32_t id;

	ck_assert_int_eq(ledger_store_get(s, seq, &row, NULL), LEDGER_OK);
	id = row.e.key_id;
	ledger_row_release(&row);
	return id;
}

START_TEST(test_rotate_twice_verifies_from_the_first_key)
{
	struct ledger_keyhist h;
	struct ts_seen sn;
	uint64_t a1, a2;
	uint32_t k2, k3;
	char path[4200];
	struct stat st;

	add(3);
	k2 = rotate(&a1);			/* key-added at 3 */
	add(3);					/* 4..6 by k2 */
	k3 = rotate(&a2);			/* key-added at 7 */
	add(2);					/* 8, 9 by k3 */
	ck_assert_uint_eq(a1, 3);
	ck_assert_uint_eq(a2, 7);
	ck_assert_uint_eq(key_of(2), root.id);
	ck_assert_uint_eq(key_of(3), root.id);	/* signed by the old key */
	ck_assert_uint_eq(key_of(4), k2);
	ck_assert_uint_eq(key_of(7), k2);
	ck_assert_uint_eq(key_of(9), k3);
	ck_assert_uint_eq(verify(&sn).problems, 0);
	ck_assert_int_eq(ledger_store_keyhist(s, NULL, &h, NULL), LEDGER_OK);
	ck_assert_uint_eq(h.n, 3);
	ck_assert_uint_eq(h.keys[0].until_seq, 4);
	ck_assert_uint_eq(h.keys[1].from_seq, 4);
	ck_assert_uint_eq(h.keys[1].until_seq, 8);
	ck_assert_uint_eq(h.keys[2].from_seq, 8);
	ck_assert_uint_eq(h.current, 2);
	/* key files: ledger-<id>.key 0600 beside ledger.key */
	snprintf(path, sizeof(path), "%s/ledger-%08" PRIx32 ".key", ts_data(),
	    k3);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* reopened, the writer signs with the newest key */
	ledger_store_close(s);
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	add(1);
	ck_assert_uint_eq(key_of(10), k3);
	ck_assert_uint_eq(verify(&sn).problems, 0);
}
END_TEST

/* The key line of a checkpoint: n key records and the last one's seq. */
static void
assert_key_line(const char *want)
{
	struct ledger_signed_checkpoint cp;
	struct ledger_error err;

	ck_assert_msg(ledger_store_checkpoint(s, &cp, NULL, &err) == LEDGER_OK,
	    "%s", err.msg);
	if (want == NULL)
		ck_assert_ptr_null(strstr(cp.note, LEDGER_KEYS_EXT));
	else
		ck_assert_msg(strstr(cp.note, want) != NULL, "%s", cp.note);
	ledger_signed_checkpoint_release(&cp);
}

/* A writer keeps its checkpoints' key line between checkpoints, and
 * works it out again when a key record appears, its own or another
 * writer's (front ends that share a log). */
START_TEST(test_checkpoint_key_line_follows_every_writer)
{
	struct ledger_store *other;
	struct ledger_vkey vk;
	uint64_t at;

	add(3);
	assert_key_line(NULL);
	add(2);
	assert_key_line(NULL);
	rotate(&at);				/* this writer's: at 5 */
	ck_assert_uint_eq(at, 5);
	add(1);
	assert_key_line(LEDGER_KEYS_EXT " 1 5\n");
	add(2);
	assert_key_line(LEDGER_KEYS_EXT " 1 5\n");
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &other, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_store_key_rotate(other, "test", &vk, &at,
	    NULL), LEDGER_OK);			/* another writer's: at 9 */
	ck_assert_uint_eq(at, 9);
	ledger_store_close(other);
	assert_key_line(LEDGER_KEYS_EXT " 2 9\n");
}
END_TEST

/* Revoked from 5: what k2 signed from 5 on (5, 6) is taken back, at 5,
 * and the bundle spanning the three keys says so per entry. */
START_TEST(test_revoke_takes_back_from_the_compromise)
{
	struct ledger_verify_report rep;
	struct ledger_bundle_opts bo = { true, NULL, 0 };
	struct ts_seen sn;
	uint64_t a, rec, n, bad, all[12];
	uint32_t k2;
	char path[4200];
	int i;

	add(3);
	k2 = rotate(&a);
	add(3);
	rotate(&a);
	add(2);
	ck_assert_int_eq(ledger_store_key_record(s, LEDGER_EV_KEY_REVOKED, k2,
	    5, "stolen", "test", &rec, NULL), LEDGER_OK);
	ck_assert_uint_eq(rec, 10);
	rep = verify(&sn);
	ck_assert_uint_eq(rep.problems, 1);
	ck_assert_uint_eq(rep.first_bad_seq, 5);
	ck_assert_int_eq(sn.p[0], LEDGER_PROB_KEY_NOT_VALID);
	ck_assert_uint_eq(rep.count[LEDGER_PROB_KEY_NOT_VALID], 1);
	/* the current key cannot be revoked: rotate first */
	ck_assert_int_eq(ledger_store_key_record(s, LEDGER_EV_KEY_REVOKED,
	    ledger_store_key_id(s), 0, "x", "test", NULL, NULL),
	    LEDGER_EINVAL);

	for (i = 0; i < 11; i++)
		all[i] = (uint64_t)i;
	snprintf(path, sizeof(path), "%s/all.gz", ts_dir());
	ck_assert_int_eq(ledger_bundle_write(s, all, 11, &bo, path, NULL,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_bundle_verify(path, &root, 1, NULL, NULL, &n,
	    &bad, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 11);
	/* 5, 6; the key-added at 7 stands (key records do, FORMAT.md) */
	ck_assert_uint_eq(bad, 2);
}
END_TEST

/* The bundle at path as a document, edited by fn, verified as text:
 * the problems found. */
static uint64_t
edited(const char *path, void (*fn)(json_t *doc, uint64_t arg), uint64_t arg)
{
	char *text, *canon;
	size_t clen;
	uint64_t n, bad;
	json_t *doc;
	gzFile gz;
	int k;

	ck_assert_ptr_nonnull(gz = gzopen(path, "rb"));
	text = malloc(1 << 20);
	k = gzread(gz, text, 1 << 20);
	gzclose(gz);
	ck_assert_int_gt(k, 0);
	ck_assert_int_eq(ledger_json_parse(text, (size_t)k, &doc, NULL),
	    LEDGER_OK);
	fn(doc, arg);
	ck_assert_int_eq(ledger_jcs_encode(doc, &canon, &clen, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_bundle_verify_text(canon, clen, &root, 1,
	    NULL, NULL, &n, &bad, NULL), LEDGER_OK);
	free(canon);
	free(text);
	json_decref(doc);
	return bad;
}

static json_t *
entry_at(json_t *doc, uint64_t seq)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(doc, "entries"), i, o)
		if (json_number_value(json_object_get(o, "seq")) ==
		    (double)seq)
			return o;
	ck_abort_msg("no entry %" PRIu64 " in the bundle", seq);
	return NULL;
}

static void
prune_payload(json_t *doc, uint64_t seq)
{
	json_t *o = entry_at(doc, seq);

	json_object_del(o, "payload");
	json_object_set_new(o, "payload_pruned", json_true());
}

/* The revocation left out, and keys[] says the key was never revoked. */
static void
drop_revocation(json_t *doc, uint64_t seq)
{
	json_t *list = json_object_get(doc, "entries"), *o;
	size_t i;

	json_array_foreach(list, i, o)
		if (json_number_value(json_object_get(o, "seq")) ==
		    (double)seq) {
			json_array_remove(list, i);
			break;
		}
	json_array_foreach(json_object_get(doc, "keys"), i, o)
		json_object_set_new(o, "revoked_from_seq", json_null());
}

/* A bundle that hides a key record behind payload_pruned, or leaves the
 * revocation out: the checkpoint's commitment to the key records (and
 * the proof of each) says so. */
START_TEST(test_bundle_key_records_cannot_be_hidden)
{
	struct ledger_bundle_opts bo = { true, NULL, 0, NULL, NULL };
	uint64_t a, rec, all[8];
	char path[4200];
	uint32_t k2;
	size_t i;

	add(2);
	k2 = rotate(&a);			/* 2 */
	add(2);
	rotate(&a);				/* 5 */
	ck_assert_int_eq(ledger_store_key_record(s, LEDGER_EV_KEY_REVOKED, k2,
	    3, "x", "test", &rec, NULL), LEDGER_OK);	/* 6 */
	add(1);
	ck_assert_int_eq(ledger_store_checkpoint(s, NULL, NULL, NULL),
	    LEDGER_OK);
	for (i = 0; i < 8; i++)
		all[i] = i;
	snprintf(path, sizeof(path), "%s/k.gz", ts_dir());
	ck_assert_int_eq(ledger_bundle_write(s, all, 8, &bo, path, NULL,
	    NULL), LEDGER_OK);
	ck_assert_uint_ge(edited(path, prune_payload, 2), 1);
	ck_assert_uint_ge(edited(path, drop_revocation, rec), 1);
}
END_TEST

/* A key record proven twice: the second is refused with its seq and
 * why; bytes that are no entry say so. */
START_TEST(test_add_record_errors_name_the_record)
{
	struct ledger_keyhist h;
	struct ledger_error err;
	struct ledger_row row;
	uint8_t *body = NULL;
	size_t len;
	uint64_t a;

	add(1);
	rotate(&a);
	ck_assert_int_eq(ledger_store_get(s, a, &row, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_get_payload(s, a, &body, &len, NULL),
	    LEDGER_OK);
	ledger_keyhist_init(&h, &root, 1);
	ck_assert_int_eq(ledger_keyhist_add_record(&h, row.entry,
	    row.entry_len, row.sig, body, len, &err), LEDGER_OK);
	ck_assert_int_eq(ledger_keyhist_add_record(&h, row.entry,
	    row.entry_len, row.sig, body, len, &err), LEDGER_ECHAIN);
	ck_assert_ptr_nonnull(strstr(err.msg, "key record 1: "));
	ck_assert_int_eq(ledger_keyhist_add_record(&h, (const uint8_t *)"{}",
	    2, row.sig, body, len, &err), LEDGER_ECHAIN);
	ck_assert_ptr_nonnull(strstr(err.msg, "a key record is not an entry"));
	free(body);
	ledger_row_release(&row);
}
END_TEST

/* A record the writer could not read back is refused before it is
 * signed (the writer would not open again). */
START_TEST(test_writer_refuses_records_it_could_not_take)
{
	uint64_t a;
	uint32_t k2;

	add(1);
	k2 = rotate(&a);
	rotate(&a);
	ck_assert_int_eq(ledger_store_key_record(s, LEDGER_EV_KEY_REVOKED, k2,
	    UINT64_MAX, "x", "test", NULL, NULL), LEDGER_EINVAL);
	ledger_store_close(s);
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	add(1);
}
END_TEST

/* The key-added rewritten so that the key it announces signs it. */
START_TEST(test_forged_key_added_signed_by_the_new_key)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_key *k2;
	struct ledger_row row;
	struct ledger_verify_report rep;
	struct ts_seen sn;
	uint8_t leaf[LEDGER_HASH_BYTES], sig[LEDGER_SIG_BYTES];
	char path[4200], *sql, *hx, *sx;
	uint64_t a;
	uint32_t id;

	add(2);
	id = rotate(&a);			/* 2 */
	add(2);
	snprintf(path, sizeof(path), "%s/ledger-%08" PRIx32 ".key", ts_data(),
	    id);
	ck_assert_int_eq(ledger_key_load(path, &k2, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_get(s, a, &row, NULL), LEDGER_OK);
	row.e.key_id = id;
	ck_assert_int_eq(ledger_entry_encode(&row.e, &b, NULL), LEDGER_OK);
	ledger_leaf_hash((const uint8_t *)b.data, b.len, leaf);
	ledger_key_sign_leaf(k2, leaf, sig);
	hx = malloc(2 * b.len + 1);
	sx = malloc(2 * LEDGER_SIG_BYTES + 1);
	sql = malloc(4 * b.len + 512);
	ledger_hex((const uint8_t *)b.data, b.len, hx);
	ledger_hex(sig, LEDGER_SIG_BYTES, sx);
	sprintf(sql, "DROP TRIGGER entries_no_update; UPDATE entries SET "
	    "entry = X'%s', sig = X'%s', key_id = %" PRIu32 " WHERE seq = %"
	    PRIu64, hx, sx, id, a);
	ts_sql(ts_data(), sql);
	rep = verify(&sn);
	ck_assert_uint_ge(rep.problems, 1);
	ck_assert_uint_eq(rep.first_bad_seq, a);
	ck_assert_uint_eq(sn.seq[0], a);
	ck_assert_int_eq(sn.p[0], LEDGER_PROB_UNKNOWN_KEY);
	free(hx);
	free(sx);
	free(sql);
	ledger_buf_release(&b);
	ledger_row_release(&row);
	ledger_key_free(k2);
}
END_TEST

/* After retirement, a checkpoint only the retired key signed. */
START_TEST(test_checkpoint_by_retired_key)
{
	struct ledger_buf text = LEDGER_BUF_INIT, note = LEDGER_BUF_INIT;
	struct ledger_signed_checkpoint cp;
	struct ledger_checkpoint c;
	struct ledger_verify_report rep;
	struct ledger_key *k1;
	struct ts_seen sn;
	char path[4200], *sql;
	uint64_t a, r;

	add(2);
	rotate(&a);				/* 2 */
	add(1);
	ck_assert_int_eq(ledger_store_key_record(s, LEDGER_EV_KEY_RETIRED,
	    root.id, 0, NULL, "test", &r, NULL), LEDGER_OK);	/* 4 */
	add(2);					/* 5, 6 */
	ck_assert_uint_eq(verify(&sn).problems, 0);
	/* the retired key may not retire the current key, nor twice */
	ck_assert_int_eq(ledger_store_key_record(s, LEDGER_EV_KEY_RETIRED,
	    root.id, 0, NULL, "test", NULL, NULL), LEDGER_EINVAL);

	ck_assert_int_eq(ledger_store_checkpoint(s, &cp, NULL, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(cp.size, 7);
	memset(&c, 0, sizeof(c));
	c.origin = ledger_store_origin(s);
	c.origin_len = strlen(c.origin);
	c.size = cp.size;
	memcpy(c.root, cp.root, LEDGER_HASH_BYTES);
	snprintf(path, sizeof(path), "%s/%s", ts_data(), LEDGER_KEY_FILE);
	ck_assert_int_eq(ledger_key_load(path, &k1, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_checkpoint_format(&c, &text, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_key_sign_note(k1, (char *)text.data, text.len,
	    &note, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_buf_addc(&note, '\0'), LEDGER_OK);
	sql = malloc(note.len + 256);
	sprintf(sql, "DROP TRIGGER checkpoints_no_update; UPDATE checkpoints "
	    "SET note = '%s' WHERE size = 7", (char *)note.data);
	ts_sql(ts_data(), sql);
	rep = verify(&sn);
	ck_assert_uint_eq(rep.problems, 1);
	ck_assert_uint_eq(sn.seq[0], 6);
	ck_assert_int_eq(sn.p[0], LEDGER_PROB_BAD_CHECKPOINT);
	free(sql);
	ledger_buf_release(&text);
	ledger_buf_release(&note);
	ledger_signed_checkpoint_release(&cp);
	ledger_key_free(k1);
}
END_TEST

START_TEST(test_destroy_and_files)
{
	struct ts_seen sn;
	char path[4200];
	uint64_t a;
	uint32_t k2;

	add(1);
	k2 = rotate(&a);
	add(1);
	rotate(&a);
	/* k2 is neither retired nor revoked; the current and first keys
	 * are refused */
	ck_assert_int_eq(ledger_store_key_destroy(s, k2, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_store_key_destroy(s, root.id, NULL),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_store_key_destroy(s, 0x12345678, NULL),
	    LEDGER_ENOTFOUND);
	ck_assert_int_eq(ledger_store_key_record(s, LEDGER_EV_KEY_RETIRED, k2,
	    0, NULL, "test", NULL, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_key_destroy(s, k2, NULL), LEDGER_OK);
	snprintf(path, sizeof(path), "%s/ledger-%08" PRIx32 ".key", ts_data(),
	    k2);
	ck_assert_int_ne(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/ledger-%08" PRIx32 ".pub", ts_data(),
	    k2);
	ck_assert_int_eq(access(path, F_OK), 0);	/* public stays */
	add(1);
	ck_assert_uint_eq(verify(&sn).problems, 0);
	ledger_store_close(s);
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	add(1);
	ck_assert_uint_eq(verify(&sn).problems, 0);
}
END_TEST

/* The rules at their boundaries, on a history built by hand. */
START_TEST(test_history_rules)
{
	struct ledger_keyhist h;
	struct ledger_entry e;
	struct ledger_vkey k2;
	struct ledger_key *key;
	char buf[192], *body, kpath[4200], ppath[4200];
	size_t len;

	snprintf(kpath, sizeof(kpath), "%s/x.key", ts_dir());
	snprintf(ppath, sizeof(ppath), "%s/x.pub", ts_dir());
	ck_assert_int_eq(ledger_key_generate(kpath, ppath, root.name, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_key_load(kpath, &key, NULL), LEDGER_OK);
	k2 = *ledger_key_vkey(key);
	ledger_key_free(key);
	ledger_keyhist_init(&h, &root, 1);
	memset(&e, 0, sizeof(e));
	e.seq = 10;
	e.kind = LEDGER_KIND_LEDGER;
	e.log = (char *)root.name;
	e.source[LEDGER_SRC_TYPE] = (char *)"ledger";
	e.subject[LEDGER_SUBJ_STATUS] = (char *)LEDGER_EV_KEY_ADDED;
	ck_assert_int_eq(ledger_keyhist_body(LEDGER_EV_KEY_ADDED, &k2, k2.id,
	    0, NULL, &body, &len, NULL), LEDGER_OK);
	/* announced by itself: refused, nothing changes */
	ck_assert_int_eq(ledger_keyhist_apply(&h, &e, k2.id,
	    (uint8_t *)body, len, NULL), LEDGER_EINVAL);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_int_eq(ledger_keyhist_apply(&h, &e, root.id,
	    (uint8_t *)body, len, NULL), LEDGER_OK);
	/* added twice: refused */
	ck_assert_int_eq(ledger_keyhist_apply(&h, &e, root.id,
	    (uint8_t *)body, len, NULL), LEDGER_EINVAL);
	free(body);
	ck_assert_ptr_null(ledger_keyhist_entry_problem(&h, root.id, 10, buf,
	    sizeof(buf)));
	ck_assert_ptr_nonnull(ledger_keyhist_entry_problem(&h, root.id, 11,
	    buf, sizeof(buf)));
	ck_assert_ptr_nonnull(ledger_keyhist_entry_problem(&h, k2.id, 10, buf,
	    sizeof(buf)));
	ck_assert_ptr_null(ledger_keyhist_entry_problem(&h, k2.id, 11, buf,
	    sizeof(buf)));
	/* checkpoints: the new key from the size covering its key-added;
	 * the old one through the overlap, until retired */
	ck_assert_ptr_null(ledger_keyhist_checkpoint_problem(&h, k2.id, 11,
	    buf, sizeof(buf)));
	ck_assert_ptr_nonnull(ledger_keyhist_checkpoint_problem(&h, k2.id, 10,
	    buf, sizeof(buf)));
	ck_assert_ptr_null(ledger_keyhist_checkpoint_problem(&h, root.id, 500,
	    buf, sizeof(buf)));
	e.seq = 20;
	e.subject[LEDGER_SUBJ_STATUS] = (char *)LEDGER_EV_KEY_RETIRED;
	ck_assert_int_eq(ledger_keyhist_body(LEDGER_EV_KEY_RETIRED, NULL,
	    root.id, 0, NULL, &body, &len, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_keyhist_apply(&h, &e, k2.id,
	    (uint8_t *)body, len, NULL), LEDGER_OK);
	free(body);
	ck_assert_ptr_null(ledger_keyhist_checkpoint_problem(&h, root.id, 21,
	    buf, sizeof(buf)));
	ck_assert_ptr_nonnull(ledger_keyhist_checkpoint_problem(&h, root.id,
	    22, buf, sizeof(buf)));
	ck_assert_ptr_nonnull(strstr(buf, "retired at seq 20"));
	/* a malformed record */
	ck_assert_int_eq(ledger_keyhist_apply(&h, &e, k2.id,
	    (const uint8_t *)"{\"key_id\":\"XYZ\"}", 16, NULL), LEDGER_EINVAL);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("keyrot");
	TCase *tc = tcase_create("keyrot");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rotate_twice_verifies_from_the_first_key);
	tcase_add_test(tc, test_revoke_takes_back_from_the_compromise);
	tcase_add_test(tc, test_forged_key_added_signed_by_the_new_key);
	tcase_add_test(tc, test_checkpoint_by_retired_key);
	tcase_add_test(tc, test_destroy_and_files);
	tcase_add_test(tc, test_history_rules);
	tcase_add_test(tc, test_bundle_key_records_cannot_be_hidden);
	tcase_add_test(tc, test_writer_refuses_records_it_could_not_take);
	tcase_add_test(tc, test_add_record_errors_name_the_record);
	tcase_add_test(tc, test_checkpoint_key_line_follows_every_writer);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
