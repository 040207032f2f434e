/*
 * test-proofcli.c - the checks behind ledgerctl checkpoint, prove,
 * consistency and the pin, and forgery loops through the real binary
 *
 * Two logs share a key and their first 8 entries: A, and B, a copy of A
 * that went on with other entries (a fork by someone holding the key).
 * Checkpoints are signed at sizes 1, 5, 8 and 13 in both, and 16 in B.
 *
 * The unit tests call cli/tlog.c and cli/pin.c, the code ledgerctl runs,
 * and flip every byte of every checkpoint note, signature, root, proof
 * hash, leaf hash and entry: each flip must be rejected.  The "binary"
 * test case serves A's checkpoints and proofs from a fake daemon in this
 * process, forged byte by byte, to the real ledgerctl ($LEDGERCTL), which
 * must exit 1 every time and never move its pin.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <sodium.h>

#include "ledger/entry.h"
#include "ledger/keys.h"
#include "ledger/store.h"
#include "ledger/tree.h"
#include "ledger/pin.h"
#include "tlog.h"
#include "testutil.h"

#define ORIGIN "proof.example/log"

static char dir[4096], a_dir[4200], b_dir[4200], state[4200];
static struct ledger_vkey *keys;
static size_t nkeys;

static const uint64_t sizes[] = { 1, 5, 8, 13 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static void
append(struct ledger_store *s, int n, const char *tag)
{
	struct ledger_event *ev;
	struct ledger_receipt r;
	char body[64];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(body, sizeof(body), "{\"tag\":\"%s\",\"n\":%d}", tag,
		    i);
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

/* Open d for writing, append n events tagged tag, sign a checkpoint. */
static void
grow(const char *d, int n, const char *tag)
{
	struct ledger_store *s;
	struct ledger_error err;

	ck_assert_msg(ledger_store_open(d, 0, &s, &err) == LEDGER_OK, "%s",
	    err.msg);
	append(s, n, tag);
	ck_assert_int_eq(ledger_store_checkpoint(s, NULL, NULL, &err),
	    LEDGER_OK);
	ledger_store_close(s);
}

static void
setup(void)
{
	char pub[4300];

	snprintf(dir, sizeof(dir), "%s", tu_mkdtemp());
	snprintf(a_dir, sizeof(a_dir), "%s/a", dir);
	snprintf(b_dir, sizeof(b_dir), "%s/b", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	setenv("XDG_STATE_HOME", state, 1);
	ck_assert_int_eq(ledger_store_init(a_dir, ORIGIN, NULL), LEDGER_OK);
	grow(a_dir, 1, "a");
	grow(a_dir, 4, "a");
	grow(a_dir, 3, "a");
	ck_assert_int_eq(tu_run(NULL, "cp -a '%s' '%s'", a_dir, b_dir), 0);
	grow(a_dir, 5, "a");
	grow(b_dir, 5, "b");
	grow(b_dir, 3, "b");
	snprintf(pub, sizeof(pub), "%s/ledger.pub", a_dir);
	ck_assert_int_eq(ledger_vkey_load_file(pub, &keys, &nkeys, NULL),
	    LEDGER_OK);
}

static void
teardown(void)
{
	free(keys);
	keys = NULL;
	tu_rmtree(dir);
}

/* The verified checkpoint of size (0: the newest) of the log in d. */
static void
get_cp(const char *d, uint64_t size, struct ledger_signed_checkpoint *c)
{
	struct tlog_src src;
	struct ledger_error err;
	char *note;
	size_t len;

	ck_assert_int_eq(tlog_src_open(&src, d, NULL, NULL, NULL, NULL,
	    &err), LEDGER_OK);
	ck_assert_msg(tlog_get_checkpoint(&src, size == 0, size, &note, &len,
	    &err) == LEDGER_OK, "%s", err.msg);
	ck_assert_msg(ledger_checkpoint_verify(note, len, keys, nkeys, c,
	    &err) == LEDGER_OK, "%s", err.msg);
	free(note);
	tlog_src_close(&src);
}

/* A new key pair's verifier key, for a log named origin. */
static void
other_key(const char *origin, struct ledger_vkey *ret, char **ret_note)
{
	char d[4300], pub[4400];
	struct ledger_vkey *k;
	struct ledger_signed_checkpoint c;
	size_t n;

	snprintf(d, sizeof(d), "%s/other-%s", dir, origin);
	for (n = strlen(dir); d[n] != '\0'; n++)
		if (d[n] == '/' && n > strlen(dir))
			d[n] = '_';
	ck_assert_int_eq(ledger_store_init(d, origin, NULL), LEDGER_OK);
	grow(d, 2, "o");
	snprintf(pub, sizeof(pub), "%s/ledger.pub", d);
	ck_assert_int_eq(ledger_vkey_load_file(pub, &k, &n, NULL), LEDGER_OK);
	*ret = k[0];
	free(k);
	if (ret_note != NULL) {
		struct tlog_src src;
		size_t len;

		ck_assert_int_eq(tlog_src_open(&src, d, NULL, NULL, NULL,
		    NULL, NULL),
		    LEDGER_OK);
		ck_assert_int_eq(tlog_get_checkpoint(&src, true, 0, ret_note,
		    &len, NULL), LEDGER_OK);
		ck_assert_int_eq(ledger_checkpoint_verify(*ret_note, len, ret, 1,
		    &c, NULL), LEDGER_OK);
		ledger_signed_checkpoint_release(&c);
		tlog_src_close(&src);
	}
}

/* The note with its signature line's base64 (key ID || signature)
 * decoded into sig (68 bytes), and where the base64 starts. */
static size_t
note_sig(const char *note, uint8_t sig[68])
{
	const char *line = strstr(note, "\n\xe2\x80\x94 ");
	const char *b64;
	size_t n;

	ck_assert_ptr_nonnull(line);
	b64 = strrchr(line, ' ') + 1;
	ck_assert_int_eq(sodium_base642bin(sig, 68, b64, strcspn(b64, "\n"),
	    NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	ck_assert_int_eq(n, 68);
	return (size_t)(b64 - note);
}

/* note with its signature bytes replaced: a malloc'd string. */
static char *
with_sig(const char *note, const uint8_t sig[68])
{
	char b64[sodium_base64_ENCODED_LEN(68, sodium_base64_VARIANT_ORIGINAL)];
	uint8_t old[68];
	size_t at = note_sig(note, old);
	char *out;

	sodium_bin2base64(b64, sizeof(b64), sig, 68,
	    sodium_base64_VARIANT_ORIGINAL);
	ck_assert_int_ne(asprintf(&out, "%.*s%s\n", (int)at, note, b64), -1);
	return out;
}

/* note with its root line replaced by root. */
static char *
with_root(const char *note, const uint8_t root[32])
{
	char b64[LEDGER_B64_HASH_SIZE], *out;
	const char *l2 = strchr(note, '\n') + 1;
	const char *l3 = strchr(l2, '\n') + 1;

	ledger_b64_hash(root, b64);
	ck_assert_int_ne(asprintf(&out, "%.*s%s%s", (int)(l3 - note), note,
	    b64, l3 + 44), -1);
	return out;
}

/* note with its size line replaced by size. */
static char *
with_size(const char *note, const char *size)
{
	const char *l2 = strchr(note, '\n') + 1;
	const char *l3 = strchr(l2, '\n') + 1;
	char *out;

	ck_assert_int_ne(asprintf(&out, "%.*s%s\n%s", (int)(l2 - note), note,
	    size, l3), -1);
	return out;
}

/* A forged note must be rejected as a "no" (exit status 1). */
static void
expect_rejected(const char *note, size_t len, const char *what, size_t i)
{
	struct ledger_signed_checkpoint c;
	struct ledger_error err;
	enum ledger_status st;

	st = ledger_checkpoint_verify(note, len, keys, nkeys, &c, &err);
	ck_assert_msg(st != LEDGER_OK, "%s %zu: accepted", what, i);
	ck_assert_msg(tlog_exit_status(st) == 1, "%s %zu: status %d (%s)",
	    what, i, st, err.msg);
	ck_assert_ptr_null(c.note);
}

/* ---- checkpoints ---- */

START_TEST(test_proofcli_checkpoint_verifies)
{
	struct ledger_store *s;
	struct ledger_signed_checkpoint c;
	uint8_t root[32];
	size_t i;

	ck_assert_int_eq(ledger_store_open(a_dir, LEDGER_STORE_READONLY, &s,
	    NULL), LEDGER_OK);
	for (i = 0; i < NSIZES; i++) {
		get_cp(a_dir, sizes[i], &c);
		ck_assert_str_eq(c.origin, ORIGIN);
		ck_assert_uint_eq(c.size, sizes[i]);
		ck_assert_uint_eq(c.key_id, keys[0].id);
		ck_assert_int_eq(ledger_store_tree_root(s, c.size, root, NULL),
		    LEDGER_OK);
		ck_assert_mem_eq(root, c.root, 32);
		ledger_signed_checkpoint_release(&c);
	}
	ledger_store_close(s);
}
END_TEST

START_TEST(test_proofcli_checkpoint_rejects_flipped_note_byte)
{
	static const uint8_t masks[] = { 0x01, 0x20, 0x80 };
	struct ledger_signed_checkpoint c;
	char *note;
	size_t i, k;

	get_cp(a_dir, 13, &c);
	note = strdup(c.note);
	for (i = 0; i < c.note_len; i++)
		for (k = 0; k < sizeof(masks); k++) {
			note[i] ^= (char)masks[k];
			expect_rejected(note, c.note_len, "note byte", i);
			note[i] ^= (char)masks[k];
		}
	free(note);
	ledger_signed_checkpoint_release(&c);
}
END_TEST

START_TEST(test_proofcli_checkpoint_rejects_flipped_signature_byte)
{
	struct ledger_signed_checkpoint c;
	uint8_t sig[68];
	char *forged;
	size_t i;

	get_cp(a_dir, 13, &c);
	note_sig(c.note, sig);
	for (i = 0; i < sizeof(sig); i++) {
		sig[i] ^= 0x01;
		forged = with_sig(c.note, sig);
		expect_rejected(forged, strlen(forged), "signature byte", i);
		/* Exactly a signature failure, never a parse error. */
		ck_assert_int_eq(ledger_checkpoint_verify(forged, strlen(forged),
		    keys, nkeys, &(struct ledger_signed_checkpoint){ 0 }, NULL),
		    LEDGER_ECRYPTO);
		free(forged);
		sig[i] ^= 0x01;
	}
	forged = with_sig(c.note, sig);
	ck_assert_str_eq(forged, c.note);
	free(forged);
	ledger_signed_checkpoint_release(&c);
}
END_TEST

START_TEST(test_proofcli_checkpoint_rejects_flipped_root_byte)
{
	struct ledger_signed_checkpoint c, f;
	uint8_t root[32];
	char *forged;
	size_t i;

	get_cp(a_dir, 13, &c);
	memcpy(root, c.root, 32);
	for (i = 0; i < 32 * 8; i++) {
		root[i / 8] ^= (uint8_t)(1 << (i % 8));
		forged = with_root(c.note, root);
		ck_assert_int_eq(ledger_checkpoint_verify(forged, strlen(forged),
		    keys, nkeys, &f, NULL), LEDGER_ECRYPTO);
		free(forged);
		root[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	ledger_signed_checkpoint_release(&c);
}
END_TEST

START_TEST(test_proofcli_checkpoint_rejects_other_size_line)
{
	static const char *const bad[] = { "12", "14", "0", "1", "130",
	    "013", "+13", "13 ", "9223372036854775807",
	    "9223372036854775808", "" };
	struct ledger_signed_checkpoint c;
	char *forged;
	size_t i;

	get_cp(a_dir, 13, &c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		forged = with_size(c.note, bad[i]);
		expect_rejected(forged, strlen(forged), "size line", i);
		free(forged);
	}
	ledger_signed_checkpoint_release(&c);
}
END_TEST

START_TEST(test_proofcli_checkpoint_rejects_truncated_note)
{
	struct ledger_signed_checkpoint c;
	size_t i;

	get_cp(a_dir, 13, &c);
	for (i = 0; i < c.note_len; i++)
		expect_rejected(c.note, i, "prefix of length", i);
	ledger_signed_checkpoint_release(&c);
}
END_TEST

START_TEST(test_proofcli_checkpoint_rejects_wrong_key)
{
	struct ledger_vkey ring[2];
	struct ledger_signed_checkpoint c, f;
	struct ledger_error err;
	char *other_note;

	get_cp(a_dir, 13, &c);
	/* Same origin, another key: a rebuilt log. */
	other_key(ORIGIN, &ring[0], &other_note);
	ck_assert_int_eq(ledger_checkpoint_verify(c.note, c.note_len, ring, 1,
	    &f, &err), LEDGER_ECRYPTO);
	ck_assert_int_eq(ledger_checkpoint_verify(other_note, strlen(other_note),
	    keys, nkeys, &f, &err), LEDGER_ECRYPTO);
	free(other_note);
	/* Another log's key only: not this log's signer. */
	other_key("elsewhere.example/log", &ring[0], NULL);
	ck_assert_int_eq(ledger_checkpoint_verify(c.note, c.note_len, ring, 1,
	    &f, &err), LEDGER_ECRYPTO);
	/* A keyring holding it too is fine. */
	ring[1] = keys[0];
	ck_assert_int_eq(ledger_checkpoint_verify(c.note, c.note_len, ring, 2,
	    &f, &err), LEDGER_OK);
	ck_assert_uint_eq(f.key_id, keys[0].id);
	ledger_signed_checkpoint_release(&f);
	/* The text alone, unsigned. */
	ck_assert_int_ne(ledger_checkpoint_verify(c.note, strstr(c.note,
	    "\n\n") - c.note + 1, keys, nkeys, &f, &err), LEDGER_OK);
	ledger_signed_checkpoint_release(&c);
}
END_TEST

/* ---- inclusion ---- */

struct incl {
	struct ledger_signed_checkpoint c;
	struct ledger_row row;
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	size_t n;
};

static void
get_incl(uint64_t index, uint64_t size, struct incl *in)
{
	struct tlog_src src;
	struct ledger_error err;
	bool has;

	get_cp(a_dir, size, &in->c);
	ck_assert_int_eq(tlog_src_open(&src, a_dir, NULL, NULL, NULL,
	    NULL, &err), LEDGER_OK);
	ck_assert_int_eq(tlog_get_entry(&src, index, &in->row, &err),
	    LEDGER_OK);
	ck_assert_msg(tlog_get_inclusion(&src, index, size, in->proof,
	    &in->n, NULL, &has, &err) == LEDGER_OK, "%s", err.msg);
	ck_assert(!has);
	tlog_src_close(&src);
}

static void
release_incl(struct incl *in)
{
	ledger_signed_checkpoint_release(&in->c);
	ledger_row_release(&in->row);
}

static enum ledger_status
check_incl(struct incl *in, uint64_t index, const uint8_t *claim, size_t n)
{
	return ledger_checkpoint_check_inclusion(&in->c, index, in->row.entry,
	    in->row.entry_len, claim, &in->proof[0][0], n, NULL);
}

START_TEST(test_proofcli_inclusion_verifies)
{
	struct incl in;
	uint8_t leaf[32];
	uint64_t i, k;

	for (k = 0; k < NSIZES; k++)
		for (i = 0; i < sizes[k]; i++) {
			get_incl(i, sizes[k], &in);
			ledger_leaf_hash(in.row.entry, in.row.entry_len, leaf);
			ck_assert_msg(check_incl(&in, i, NULL, in.n) ==
			    LEDGER_OK, "entry %" PRIu64 " size %" PRIu64, i,
			    sizes[k]);
			ck_assert_int_eq(check_incl(&in, i, leaf, in.n),
			    LEDGER_OK);
			release_incl(&in);
		}
}
END_TEST

START_TEST(test_proofcli_inclusion_rejects_flipped_proof_byte)
{
	static const uint64_t idx[] = { 0, 6, 11, 12 };
	struct incl in;
	size_t h, j, k;

	for (k = 0; k < sizeof(idx) / sizeof(idx[0]); k++) {
		get_incl(idx[k], 13, &in);
		ck_assert_uint_gt(in.n, 0);
		for (h = 0; h < in.n; h++)
			for (j = 0; j < 32; j++) {
				in.proof[h][j] ^= 0x01;
				ck_assert_msg(check_incl(&in, idx[k], NULL,
				    in.n) == LEDGER_ECRYPTO, "entry %" PRIu64
				    " hash %zu byte %zu", idx[k], h, j);
				in.proof[h][j] ^= 0x01;
			}
		ck_assert_int_eq(check_incl(&in, idx[k], NULL, in.n),
		    LEDGER_OK);
		release_incl(&in);
	}
}
END_TEST

START_TEST(test_proofcli_inclusion_rejects_flipped_root_byte)
{
	struct incl in;
	size_t j;

	get_incl(6, 13, &in);
	for (j = 0; j < 32; j++) {
		in.c.root[j] ^= 0x80;
		ck_assert_int_eq(check_incl(&in, 6, NULL, in.n),
		    LEDGER_ECRYPTO);
		in.c.root[j] ^= 0x80;
	}
	release_incl(&in);
}
END_TEST

START_TEST(test_proofcli_inclusion_rejects_flipped_entry_byte)
{
	struct incl in;
	size_t j;

	get_incl(6, 13, &in);
	for (j = 0; j < in.row.entry_len; j++) {
		in.row.entry[j] ^= 0x01;
		ck_assert_msg(check_incl(&in, 6, NULL, in.n) == LEDGER_ECRYPTO,
		    "entry byte %zu", j);
		in.row.entry[j] ^= 0x01;
	}
	release_incl(&in);
}
END_TEST

START_TEST(test_proofcli_inclusion_rejects_flipped_leaf_hash_byte)
{
	struct incl in;
	uint8_t leaf[32];
	size_t j;

	get_incl(6, 13, &in);
	ledger_leaf_hash(in.row.entry, in.row.entry_len, leaf);
	for (j = 0; j < 32; j++) {
		leaf[j] ^= 0x01;
		ck_assert_int_eq(check_incl(&in, 6, leaf, in.n),
		    LEDGER_ECRYPTO);
		leaf[j] ^= 0x01;
	}
	release_incl(&in);
}
END_TEST

START_TEST(test_proofcli_inclusion_rejects_wrong_shape)
{
	struct incl in;

	get_incl(6, 13, &in);
	ck_assert_int_eq(check_incl(&in, 7, NULL, in.n), LEDGER_ECRYPTO);
	ck_assert_int_eq(check_incl(&in, 5, NULL, in.n), LEDGER_ECRYPTO);
	ck_assert_int_eq(check_incl(&in, 6, NULL, in.n - 1), LEDGER_ECRYPTO);
	memcpy(in.proof[in.n], in.proof[0], 32);
	ck_assert_int_eq(check_incl(&in, 6, NULL, in.n + 1), LEDGER_ECRYPTO);
	ck_assert_int_eq(check_incl(&in, 13, NULL, in.n), LEDGER_EINVAL);
	ck_assert_int_eq(check_incl(&in, 6, NULL, in.n), LEDGER_OK);
	release_incl(&in);
}
END_TEST

/* ---- consistency ---- */

static enum ledger_status
get_cons(const char *d, uint64_t m, uint64_t n,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES], size_t *count)
{
	struct tlog_src src;
	enum ledger_status st;

	ck_assert_int_eq(tlog_src_open(&src, d, NULL, NULL, NULL,
		    NULL, NULL), LEDGER_OK);
	st = tlog_get_consistency(&src, m, n, proof, count, NULL);
	tlog_src_close(&src);
	return st;
}

START_TEST(test_proofcli_consistency_verifies)
{
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	struct ledger_signed_checkpoint c1, c2;
	size_t i, k, n;

	for (i = 0; i < NSIZES; i++)
		for (k = i; k < NSIZES; k++) {
			get_cp(a_dir, sizes[i], &c1);
			get_cp(a_dir, sizes[k], &c2);
			ck_assert_int_eq(get_cons(a_dir, sizes[i], sizes[k],
			    proof, &n), LEDGER_OK);
			ck_assert_int_eq(ledger_checkpoint_check_consistency(&c1, &c2,
			    &proof[0][0], n, NULL), LEDGER_OK);
			ledger_signed_checkpoint_release(&c1);
			ledger_signed_checkpoint_release(&c2);
		}
}
END_TEST

START_TEST(test_proofcli_consistency_rejects_flipped_byte)
{
	static const uint64_t pairs[][2] = { { 1, 13 }, { 5, 13 }, { 8, 13 },
	    { 5, 8 } };
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	struct ledger_signed_checkpoint c1, c2;
	size_t p, h, j, n;

	for (p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
		get_cp(a_dir, pairs[p][0], &c1);
		get_cp(a_dir, pairs[p][1], &c2);
		ck_assert_int_eq(get_cons(a_dir, pairs[p][0], pairs[p][1],
		    proof, &n), LEDGER_OK);
		ck_assert_uint_gt(n, 0);
		for (h = 0; h < n; h++)
			for (j = 0; j < 32; j++) {
				proof[h][j] ^= 0x01;
				ck_assert_msg(ledger_checkpoint_check_consistency(&c1, &c2,
				    &proof[0][0], n, NULL) == LEDGER_ECRYPTO,
				    "%" PRIu64 "->%" PRIu64 " hash %zu byte "
				    "%zu", pairs[p][0], pairs[p][1], h, j);
				proof[h][j] ^= 0x01;
			}
		for (j = 0; j < 32; j++) {
			c1.root[j] ^= 0x01;
			ck_assert_int_eq(ledger_checkpoint_check_consistency(&c1, &c2,
			    &proof[0][0], n, NULL), LEDGER_ECRYPTO);
			c1.root[j] ^= 0x01;
			c2.root[j] ^= 0x01;
			ck_assert_int_eq(ledger_checkpoint_check_consistency(&c1, &c2,
			    &proof[0][0], n, NULL), LEDGER_ECRYPTO);
			c2.root[j] ^= 0x01;
		}
		ck_assert_int_eq(ledger_checkpoint_check_consistency(&c1, &c2,
		    &proof[0][0], n - 1, NULL), LEDGER_ECRYPTO);
		memcpy(proof[n], proof[0], 32);
		ck_assert_int_eq(ledger_checkpoint_check_consistency(&c1, &c2,
		    &proof[0][0], n + 1, NULL), LEDGER_ECRYPTO);
		ck_assert_int_eq(ledger_checkpoint_check_consistency(&c1, &c2,
		    &proof[0][0], n, NULL), LEDGER_OK);
		ck_assert_int_eq(ledger_checkpoint_check_consistency(&c2, &c1,
		    &proof[0][0], n, NULL), LEDGER_EINVAL);
		ledger_signed_checkpoint_release(&c1);
		ledger_signed_checkpoint_release(&c2);
	}
}
END_TEST

START_TEST(test_proofcli_consistency_detects_fork)
{
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	struct ledger_signed_checkpoint a8, a13, b13, b16;
	size_t n;

	get_cp(a_dir, 8, &a8);
	get_cp(a_dir, 13, &a13);
	get_cp(b_dir, 13, &b13);
	get_cp(b_dir, 16, &b16);
	/* B shares A's first 8 entries... */
	ck_assert_int_eq(get_cons(b_dir, 8, 16, proof, &n), LEDGER_OK);
	ck_assert_int_eq(ledger_checkpoint_check_consistency(&a8, &b16, &proof[0][0], n,
	    NULL), LEDGER_OK);
	/* ...but not A's 13: no proof from either log links them. */
	ck_assert_int_eq(get_cons(b_dir, 13, 16, proof, &n), LEDGER_OK);
	ck_assert_int_eq(ledger_checkpoint_check_consistency(&a13, &b16, &proof[0][0], n,
	    NULL), LEDGER_ECRYPTO);
	ck_assert_int_eq(ledger_checkpoint_check_consistency(&a13, &b13, NULL, 0, NULL),
	    LEDGER_ECRYPTO);
	ck_assert_int_eq(get_cons(a_dir, 13, 16, proof, &n), LEDGER_EINVAL);
	ledger_signed_checkpoint_release(&a8);
	ledger_signed_checkpoint_release(&a13);
	ledger_signed_checkpoint_release(&b13);
	ledger_signed_checkpoint_release(&b16);
}
END_TEST

/* ---- the pin ---- */

START_TEST(test_proofcli_pin_file_name)
{
	static const struct {
		const char *origin, *want;
	} cases[] = {
		{ "example.com/log", "example.com%2Flog" },
		{ "ci.example.com/ledgerd", "ci.example.com%2Fledgerd" },
		{ ".", "%2E" },
		{ "..", "%2E." },
		{ ".hidden", "%2Ehidden" },
		{ "a%2Fb", "a%252Fb" },
		{ "a b~c", "a%20b%7Ec" },
		{ "\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9" },
		{ "A-Z_0.9", "A-Z_0.9" },
	};
	char name[LEDGER_PIN_NAME_SIZE], other[LEDGER_PIN_NAME_SIZE], origin[300];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ledger_pin_file_name(cases[i].origin, name);
		ck_assert_str_eq(name, cases[i].want);
	}
	/* Long origins: cut, unique, never a '/', short enough. */
	memset(origin, '/', 255);
	origin[255] = '\0';
	ledger_pin_file_name(origin, name);
	ck_assert_uint_lt(strlen(name), LEDGER_PIN_NAME_SIZE);
	ck_assert_ptr_null(strchr(name, '/'));
	ck_assert_ptr_nonnull(strchr(name, '~'));
	origin[254] = 'x';
	ledger_pin_file_name(origin, other);
	ck_assert_str_ne(name, other);
	memset(origin, 'a', 255);
	ledger_pin_file_name(origin, name);
	ck_assert_uint_lt(strlen(name), LEDGER_PIN_NAME_SIZE);
	ck_assert_int_eq(name[strlen(name) - 33], '~');
}
END_TEST

static void
pin_path(char *out, size_t n)
{
	char name[LEDGER_PIN_NAME_SIZE];

	ledger_pin_file_name(ORIGIN, name);
	snprintf(out, n, "%s/ledgerctl/%s", state, name);
}

/* Pin the checkpoint of size of the log in d, through pin_update. */
static void
pin_to(const char *d, uint64_t size)
{
	struct ledger_signed_checkpoint c;
	struct ledger_pin p;
	bool moved;

	get_cp(d, size, &c);
	ck_assert_int_eq(ledger_pin_open(&p, NULL, ORIGIN, keys, nkeys, NULL),
	    LEDGER_OK);
	ledger_signed_checkpoint_release(&p.cp);
	p.have = false;
	ck_assert_int_eq(ledger_pin_update(&p, &c, &moved, NULL), LEDGER_OK);
	ck_assert(moved);
	ledger_pin_close(&p);
	ledger_signed_checkpoint_release(&c);
}

/* pin_check of the checkpoint of size in cd against the pin, with proofs
 * from the log in sd. */
static enum ledger_status
check_against_pin(const char *cd, uint64_t size, const char *sd,
    bool newest, enum ledger_pin_result *res, char *msg, size_t msglen)
{
	struct ledger_signed_checkpoint c;
	struct tlog_src src;
	struct ledger_error err;
	enum ledger_status st;
	struct ledger_pin p;

	get_cp(cd, size, &c);
	ck_assert_int_eq(tlog_src_open(&src, sd, NULL, NULL, NULL,
	    NULL, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_pin_open(&p, NULL, ORIGIN, keys, nkeys, NULL),
	    LEDGER_OK);
	err.msg[0] = '\0';
	st = ledger_pin_check(&p, tlog_prove_consistency, &src, &c, newest, res, NULL, NULL, &err);
	if (msg != NULL)
		snprintf(msg, msglen, "%s", err.msg);
	ledger_pin_close(&p);
	tlog_src_close(&src);
	ledger_signed_checkpoint_release(&c);
	return st;
}

START_TEST(test_proofcli_pin_first_use)
{
	struct ledger_signed_checkpoint c;
	struct tlog_src src;
	struct stat sb;
	struct ledger_pin p;
	enum ledger_pin_result res;
	char path[4500], sdir[4300], want[LEDGER_PIN_NAME_SIZE + 1], *text, *ls;
	bool moved;

	get_cp(a_dir, 5, &c);
	ck_assert_int_eq(ledger_pin_open(&p, NULL, ORIGIN, keys, nkeys, NULL),
	    LEDGER_OK);
	ck_assert(!p.have);
	snprintf(sdir, sizeof(sdir), "%s/ledgerctl", state);
	ck_assert_int_eq(stat(sdir, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(state, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0700);
	ck_assert_int_eq(tlog_src_open(&src, a_dir, NULL, NULL, NULL,
	    NULL, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_pin_check(&p, tlog_prove_consistency, &src, &c, true, &res, NULL, NULL, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(res, LEDGER_PIN_FIRST_USE);
	ck_assert_int_eq(ledger_pin_update(&p, &c, &moved, NULL), LEDGER_OK);
	ck_assert(moved);
	ledger_pin_close(&p);
	tlog_src_close(&src);
	pin_path(path, sizeof(path));
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode));
	ck_assert_uint_eq(sb.st_mode & 07777, 0644);
	text = tu_slurp(path, NULL);
	ck_assert_str_eq(text, c.note);
	free(text);
	/* Written beside and renamed: nothing else is left there. */
	ck_assert_int_eq(tu_run(&ls, "ls -A '%s'", sdir), 0);
	snprintf(want, sizeof(want), "%s\n", strrchr(path, '/') + 1);
	ck_assert_str_eq(ls, want);
	free(ls);
	ledger_signed_checkpoint_release(&c);
}
END_TEST

START_TEST(test_proofcli_pin_advances_and_never_goes_back)
{
	struct ledger_signed_checkpoint c5, c13;
	struct tlog_src src;
	struct ledger_pin p;
	enum ledger_pin_result res;
	char path[4500], *text;
	bool moved;

	pin_to(a_dir, 5);
	ck_assert_int_eq(check_against_pin(a_dir, 13, a_dir, true, &res, NULL,
	    0), LEDGER_OK);
	ck_assert_int_eq(res, LEDGER_PIN_AHEAD);
	get_cp(a_dir, 13, &c13);
	get_cp(a_dir, 5, &c5);
	ck_assert_int_eq(ledger_pin_open(&p, NULL, ORIGIN, keys, nkeys, NULL),
	    LEDGER_OK);
	ck_assert(p.have);
	ck_assert_uint_eq(p.cp.size, 5);
	ck_assert_int_eq(ledger_pin_update(&p, &c13, &moved, NULL), LEDGER_OK);
	ck_assert(moved);
	ck_assert_int_eq(ledger_pin_update(&p, &c5, &moved, NULL), LEDGER_OK);
	ck_assert(!moved);
	ck_assert_int_eq(ledger_pin_update(&p, &c13, &moved, NULL), LEDGER_OK);
	ck_assert(!moved);
	ck_assert_int_eq(tlog_src_open(&src, a_dir, NULL, NULL, NULL,
	    NULL, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_pin_check(&p, tlog_prove_consistency, &src, &c13, true, &res, NULL, NULL,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(res, LEDGER_PIN_SAME);
	/* An older checkpoint, proven a prefix of the pin: fine for prove
	 * --size, never for the newest. */
	ck_assert_int_eq(ledger_pin_check(&p, tlog_prove_consistency, &src, &c5, false, &res, NULL, NULL,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(res, LEDGER_PIN_BEHIND);
	ck_assert_int_eq(ledger_pin_check(&p, tlog_prove_consistency, &src, &c5, true, &res, NULL, NULL,
	    NULL), LEDGER_ECHAIN);
	tlog_src_close(&src);
	ledger_pin_close(&p);
	pin_path(path, sizeof(path));
	text = tu_slurp(path, NULL);
	ck_assert_str_eq(text, c13.note);
	free(text);
	ledger_signed_checkpoint_release(&c5);
	ledger_signed_checkpoint_release(&c13);
}
END_TEST

/* The message must name the pinned checkpoint: its size and root. */
static void
expect_names_pin(const char *msg, const char *d, uint64_t size)
{
	struct ledger_signed_checkpoint c;
	char b64[LEDGER_B64_HASH_SIZE], want[64];

	get_cp(d, size, &c);
	ledger_b64_hash(c.root, b64);
	snprintf(want, sizeof(want), "size %" PRIu64 ",", size);
	ck_assert_msg(strstr(msg, want) != NULL, "'%s' not in '%s'", want,
	    msg);
	ck_assert_msg(strstr(msg, b64) != NULL, "'%s' not in '%s'", b64, msg);
	ledger_signed_checkpoint_release(&c);
}

START_TEST(test_proofcli_pin_detects_shrink)
{
	enum ledger_pin_result res;
	char msg[256];

	pin_to(a_dir, 13);
	ck_assert_int_eq(check_against_pin(a_dir, 8, a_dir, true, &res, msg,
	    sizeof(msg)), LEDGER_ECHAIN);
	ck_assert_ptr_nonnull(strstr(msg, "shrank"));
	expect_names_pin(msg, a_dir, 13);
}
END_TEST

START_TEST(test_proofcli_pin_detects_fork_same_size)
{
	enum ledger_pin_result res;
	char msg[256];

	pin_to(a_dir, 13);
	ck_assert_int_eq(check_against_pin(b_dir, 13, b_dir, true, &res, msg,
	    sizeof(msg)), LEDGER_ECHAIN);
	ck_assert_ptr_nonnull(strstr(msg, "forked"));
	expect_names_pin(msg, a_dir, 13);
}
END_TEST

START_TEST(test_proofcli_pin_detects_fork_larger)
{
	enum ledger_pin_result res;
	char msg[256];

	pin_to(a_dir, 13);
	/* B's own proof from 13 to 16 is for B's tree of 13. */
	ck_assert_int_eq(check_against_pin(b_dir, 16, b_dir, true, &res, msg,
	    sizeof(msg)), LEDGER_ECHAIN);
	ck_assert_ptr_nonnull(strstr(msg, "forked"));
	expect_names_pin(msg, a_dir, 13);
	/* A log that cannot prove the pinned size at all. */
	ck_assert_int_eq(check_against_pin(b_dir, 16, a_dir, true, &res, msg,
	    sizeof(msg)), LEDGER_ECHAIN);
	expect_names_pin(msg, a_dir, 13);
	/* An older checkpoint of B that A's pin cannot be shown to extend. */
	ck_assert_int_eq(check_against_pin(b_dir, 8, b_dir, false, &res, msg,
	    sizeof(msg)), LEDGER_ECHAIN);
	expect_names_pin(msg, a_dir, 13);
	/* The prefix they share is fine against A's pin with A's proof. */
	ck_assert_int_eq(check_against_pin(b_dir, 8, a_dir, false, &res, NULL,
	    0), LEDGER_OK);
	ck_assert_int_eq(res, LEDGER_PIN_BEHIND);
}
END_TEST

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_proofcli_pin_rejects_bad_pin_files)
{
	struct ledger_vkey other;
	struct ledger_pin p;
	struct ledger_error err;
	char path[4500], *note;

	snprintf(path, sizeof(path), "%s/pinfile", dir);
	/* Signed by another key with the same origin. */
	other_key(ORIGIN, &other, &note);
	write_file(path, note, strlen(note));
	ck_assert_int_eq(ledger_pin_open(&p, path, ORIGIN, keys, nkeys, &err),
	    LEDGER_ECRYPTO);
	free(note);
	/* A checkpoint of another log. */
	other_key("elsewhere.example/log", &other, &note);
	write_file(path, note, strlen(note));
	ck_assert_int_eq(ledger_pin_open(&p, path, ORIGIN, keys, nkeys, &err),
	    LEDGER_EEXIST);
	free(note);
	/* Not a checkpoint. */
	write_file(path, "garbage\n", 8);
	ck_assert_int_eq(ledger_pin_open(&p, path, ORIGIN, keys, nkeys, &err),
	    LEDGER_EEXIST);
	write_file(path, ORIGIN "\n", strlen(ORIGIN) + 1);
	ck_assert_int_eq(ledger_pin_open(&p, path, ORIGIN, keys, nkeys, &err),
	    LEDGER_EIO);
	write_file(path, "", 0);
	ck_assert_int_ne(ledger_pin_open(&p, path, ORIGIN, keys, nkeys, &err),
	    LEDGER_OK);
	/* A symlink is not followed. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	ck_assert_int_eq(ledger_pin_open(&p, path, ORIGIN, keys, nkeys, &err),
	    LEDGER_EIO);
	/* A directory that does not exist. */
	snprintf(path, sizeof(path), "%s/no/such/dir/pin", dir);
	ck_assert_int_eq(ledger_pin_open(&p, path, ORIGIN, keys, nkeys, &err),
	    LEDGER_EIO);
}
END_TEST

START_TEST(test_proofcli_pin_rejects_flipped_pin_byte)
{
	struct ledger_signed_checkpoint c;
	struct ledger_pin p;
	char path[4500], *note;
	size_t i;

	get_cp(a_dir, 13, &c);
	snprintf(path, sizeof(path), "%s/pinfile", dir);
	note = strdup(c.note);
	for (i = 0; i < c.note_len; i++) {
		note[i] ^= 0x01;
		write_file(path, note, c.note_len);
		ck_assert_msg(ledger_pin_open(&p, path, ORIGIN, keys, nkeys, NULL) !=
		    LEDGER_OK, "pin byte %zu accepted", i);
		note[i] ^= 0x01;
	}
	write_file(path, note, c.note_len);
	ck_assert_int_eq(ledger_pin_open(&p, path, ORIGIN, keys, nkeys, NULL),
	    LEDGER_OK);
	ck_assert(p.have);
	ck_assert_uint_eq(p.cp.size, 13);
	ledger_pin_close(&p);
	free(note);
	ledger_signed_checkpoint_release(&c);
}
END_TEST

START_TEST(test_proofcli_pin_holds_a_lock)
{
	struct ledger_pin p;
	char sdir[4300];
	int fd;

	ck_assert_int_eq(ledger_pin_open(&p, NULL, ORIGIN, keys, nkeys, NULL),
	    LEDGER_OK);
	snprintf(sdir, sizeof(sdir), "%s/ledgerctl", state);
	fd = open(sdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), -1);
	ck_assert_int_eq(errno, EWOULDBLOCK);
	ledger_pin_close(&p);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	ledger_pin_close(&p);
}
END_TEST

START_TEST(test_proofcli_pin_state_directory)
{
	struct ledger_pin p;
	char home[4300], want[4400];

	snprintf(home, sizeof(home), "%s/home", dir);
	ck_assert_int_eq(mkdir(home, 0700), 0);
	setenv("HOME", home, 1);
	/* A relative XDG_STATE_HOME is ignored, as the spec says. */
	setenv("XDG_STATE_HOME", "relative/state", 1);
	ck_assert_int_eq(ledger_pin_open(&p, NULL, ORIGIN, keys, nkeys, NULL),
	    LEDGER_OK);
	snprintf(want, sizeof(want), "%s/.local/state/ledgerctl/", home);
	ck_assert_int_eq(strncmp(p.path, want, strlen(want)), 0);
	ledger_pin_close(&p);
	unsetenv("XDG_STATE_HOME");
	ck_assert_int_eq(ledger_pin_open(&p, NULL, ORIGIN, keys, nkeys, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(strncmp(p.path, want, strlen(want)), 0);
	ledger_pin_close(&p);
	setenv("XDG_STATE_HOME", state, 1);
}
END_TEST

/* ---- the real ledgerctl against a fake daemon serving forgeries ---- */

#define MAX_ROUTES 16

static struct route {
	char path[128];
	int status;
	char *body;
	size_t len;
} routes[MAX_ROUTES];
static size_t nroutes;
static pthread_mutex_t routes_mu = PTHREAD_MUTEX_INITIALIZER;
static int srv_fd = -1;
static pthread_t srv_thread;
static char url[64], pub_path[4300], pin_file[4300];
static const char *ctl;

static void
route_set(const char *path, int status, const void *body, size_t len)
{
	struct route *r = NULL;
	size_t i;

	pthread_mutex_lock(&routes_mu);
	for (i = 0; i < nroutes; i++)
		if (strcmp(routes[i].path, path) == 0)
			r = &routes[i];
	if (r == NULL) {
		ck_assert_uint_lt(nroutes, MAX_ROUTES);
		r = &routes[nroutes++];
		snprintf(r->path, sizeof(r->path), "%s", path);
	}
	free(r->body);
	r->status = status;
	r->body = malloc(len + 1);
	memcpy(r->body, body, len);
	r->body[len] = '\0';
	r->len = len;
	pthread_mutex_unlock(&routes_mu);
}

static void
route_str(const char *path, const char *body)
{
	route_set(path, 200, body, strlen(body));
}

static void *
serve(void *arg)
{
	char req[8192], path[256], *head;
	size_t n;
	ssize_t k;
	int c, i;

	(void)arg;
	for (;;) {
		if ((c = accept(srv_fd, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n = 0;
		while (n < sizeof(req) - 1 && (k = read(c, req + n,
		    sizeof(req) - 1 - n)) > 0) {
			n += (size_t)k;
			req[n] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		req[n] = '\0';
		path[0] = '\0';
		sscanf(req, "GET %255s ", path);
		pthread_mutex_lock(&routes_mu);
		head = NULL;
		for (i = 0; i < (int)nroutes; i++)
			if (strcmp(routes[i].path, path) == 0)
				break;
		if (i < (int)nroutes) {
			k = asprintf(&head, "HTTP/1.1 %d X\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			    routes[i].status, routes[i].len);
			if (k > 0 && write(c, head, (size_t)k) == k)
				(void)!write(c, routes[i].body, routes[i].len);
		} else {
			static const char nf[] = "{\"error\":\"not_found\","
			    "\"message\":\"no route\"}";

			k = asprintf(&head, "HTTP/1.1 404 X\r\nContent-Length: "
			    "%zu\r\nConnection: close\r\n\r\n%s",
			    sizeof(nf) - 1, nf);
			if (k > 0)
				(void)!write(c, head, (size_t)k);
		}
		pthread_mutex_unlock(&routes_mu);
		free(head);
		close(c);
	}
	return NULL;
}

/* A proof answer in the API's JSON, as ledgerd writes it. */
static char *
proof_json(const char *head, const char *key,
    uint8_t proof[][LEDGER_HASH_BYTES], size_t n)
{
	char *out, *more, b64[LEDGER_B64_HASH_SIZE];
	size_t i;

	ck_assert_int_ne(asprintf(&out, "%s\"%s\":[", head, key), -1);
	for (i = 0; i < n; i++) {
		ledger_b64_hash(proof[i], b64);
		ck_assert_int_ne(asprintf(&more, "%s%s\"%s\"", out, i ? "," :
		    "", b64), -1);
		free(out);
		out = more;
	}
	ck_assert_int_ne(asprintf(&more, "%s]}", out), -1);
	free(out);
	return more;
}

/* What the fake daemon serves: A's newest checkpoint (13), its 5, entry
 * 6 with its proof, the last leaf's proof, the proof from 5 to 13. */
static struct incl served_incl;
static uint8_t served_cons[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
static size_t served_ncons;
static struct ledger_signed_checkpoint served_c5;

static void
serve_incl(const uint8_t proof[][LEDGER_HASH_BYTES], size_t n,
    const uint8_t leaf[32], uint64_t size)
{
	char head[256], b64[LEDGER_B64_HASH_SIZE], *j;

	ledger_b64_hash(leaf, b64);
	snprintf(head, sizeof(head), "{\"leaf_index\":6,\"tree_size\":%"
	    PRIu64 ",\"leaf_hash\":\"%s\",", size, b64);
	j = proof_json(head, "audit_path", (uint8_t (*)[32])proof, n);
	route_str("/v1/proof/inclusion?seq=6&size=13", j);
	free(j);
}

static void
serve_cons(const uint8_t proof[][LEDGER_HASH_BYTES], size_t n)
{
	char *j = proof_json("{\"first\":5,\"second\":13,", "consistency",
	    (uint8_t (*)[32])proof, n);

	route_str("/v1/proof/consistency?first=5&second=13", j);
	free(j);
}

static void
serve_all(void)
{
	uint8_t last[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES], leaf[32];
	struct tlog_src src;
	struct ledger_row row;
	char sig[129], *j, head[256], b64[LEDGER_B64_HASH_SIZE];
	size_t n;
	bool has;

	route_set("/v1/checkpoint", 200, served_incl.c.note,
	    served_incl.c.note_len);
	route_set("/v1/checkpoint/13", 200, served_incl.c.note,
	    served_incl.c.note_len);
	route_set("/v1/checkpoint/5", 200, served_c5.note, served_c5.note_len);
	route_set("/v1/events/6/entry", 200, served_incl.row.entry,
	    served_incl.row.entry_len);
	ledger_hex(served_incl.row.sig, 64, sig);
	ck_assert_int_ne(asprintf(&j, "{\"seq\":6,\"signature\":\"%s\"}",
	    sig), -1);
	route_str("/v1/events/6", j);
	free(j);
	ledger_leaf_hash(served_incl.row.entry, served_incl.row.entry_len,
	    leaf);
	serve_incl((const uint8_t (*)[32])served_incl.proof, served_incl.n,
	    leaf, 13);
	serve_cons((const uint8_t (*)[32])served_cons, served_ncons);
	ck_assert_int_eq(tlog_src_open(&src, a_dir, NULL, NULL, NULL,
	    NULL, NULL), LEDGER_OK);
	ck_assert_int_eq(tlog_get_inclusion(&src, 12, 13, last, &n, NULL,
	    &has, NULL), LEDGER_OK);
	ck_assert_int_eq(tlog_get_entry(&src, 12, &row, NULL), LEDGER_OK);
	ledger_leaf_hash(row.entry, row.entry_len, leaf);
	ledger_row_release(&row);
	tlog_src_close(&src);
	ledger_b64_hash(leaf, b64);
	snprintf(head, sizeof(head), "{\"leaf_index\":12,\"tree_size\":13,"
	    "\"leaf_hash\":\"%s\",", b64);
	j = proof_json(head, "audit_path", last, n);
	route_str("/v1/proof/inclusion?seq=12&size=13", j);
	free(j);
}

static void
setup_binary(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct ledger_pin p;
	bool moved;

	setup();
	snprintf(pub_path, sizeof(pub_path), "%s/ledger.pub", a_dir);
	snprintf(pin_file, sizeof(pin_file), "%s/pin", dir);
	srv_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(srv_fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(srv_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(srv_fd, 16), 0);
	ck_assert_int_eq(getsockname(srv_fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	ck_assert_int_eq(pthread_create(&srv_thread, NULL, serve, NULL), 0);
	get_incl(6, 13, &served_incl);
	get_cp(a_dir, 5, &served_c5);
	ck_assert_int_eq(get_cons(a_dir, 5, 13, served_cons, &served_ncons),
	    LEDGER_OK);
	serve_all();
	/* The pin, at size 5: every run must prove 5 -> 13 first. */
	ck_assert_int_eq(ledger_pin_open(&p, pin_file, ORIGIN, keys, nkeys, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_pin_update(&p, &served_c5, &moved, NULL), LEDGER_OK);
	ledger_pin_close(&p);
}

static void
teardown_binary(void)
{
	size_t i;

	shutdown(srv_fd, SHUT_RDWR);
	pthread_join(srv_thread, NULL);
	close(srv_fd);
	srv_fd = -1;
	for (i = 0; i < nroutes; i++)
		free(routes[i].body);
	memset(routes, 0, sizeof(routes));
	nroutes = 0;
	release_incl(&served_incl);
	ledger_signed_checkpoint_release(&served_c5);
	teardown();
}

/* Run ledgerctl CMD --url ... --key ... --pin PIN ARGS; its exit status. */
static int
run_ctl(const char *cmd, const char *args)
{
	return tu_run(NULL, "'%s' %s --url '%s' --token t --key '%s' --pin "
	    "'%s' %s >/dev/null 2>&1", ctl, cmd, url, pub_path, pin_file,
	    args);
}

/* The pin is still A's checkpoint of size 5. */
static void
expect_pin_unmoved(void)
{
	char *text = tu_slurp(pin_file, NULL);

	ck_assert_str_eq(text, served_c5.note);
	free(text);
}

START_TEST(test_proofcli_binary_accepts_the_genuine_log)
{
	char *out;

	ck_assert_int_eq(tu_run(&out, "'%s' prove --url '%s' --token t --key "
	    "'%s' --pin '%s' --json 6", ctl, url, pub_path, pin_file), 0);
	ck_assert_ptr_nonnull(strstr(out,
	    "\"leaf_index\":6,\"tree_size\":13,"));
	free(out);
	ck_assert_int_eq(run_ctl("consistency", "5 13"), 0);
	ck_assert_int_eq(run_ctl("checkpoint", ""), 0);
	out = tu_slurp(pin_file, NULL);
	ck_assert_str_eq(out, served_incl.c.note);
	free(out);
	/* A server failure is "could not check", not "no". */
	route_set("/v1/checkpoint", 503, "{}", 2);
	ck_assert_int_eq(run_ctl("checkpoint", ""), 2);
}
END_TEST

START_TEST(test_proofcli_binary_rejects_flipped_note_byte)
{
	char *note = strdup(served_incl.c.note);
	size_t i;

	for (i = 0; i < served_incl.c.note_len; i++) {
		note[i] ^= 0x01;
		route_set("/v1/checkpoint", 200, note, served_incl.c.note_len);
		ck_assert_msg(run_ctl("checkpoint", "") == 1, "note byte %zu",
		    i);
		note[i] ^= 0x01;
	}
	free(note);
	expect_pin_unmoved();
}
END_TEST

START_TEST(test_proofcli_binary_rejects_flipped_signature_byte)
{
	uint8_t sig[68];
	char *forged;
	size_t i;

	note_sig(served_incl.c.note, sig);
	for (i = 0; i < sizeof(sig); i++) {
		sig[i] ^= 0x01;
		forged = with_sig(served_incl.c.note, sig);
		route_str("/v1/checkpoint", forged);
		ck_assert_msg(run_ctl("checkpoint", "") == 1, "checkpoint: "
		    "signature byte %zu", i);
		ck_assert_msg(run_ctl("prove", "6") == 1, "prove: signature "
		    "byte %zu", i);
		free(forged);
		sig[i] ^= 0x01;
	}
	expect_pin_unmoved();
}
END_TEST

START_TEST(test_proofcli_binary_rejects_flipped_root_and_size)
{
	static const char *const sizes_[] = { "12", "14", "5", "013" };
	uint8_t root[32];
	char *forged;
	size_t i;

	memcpy(root, served_incl.c.root, 32);
	for (i = 0; i < 32; i++) {
		root[i] ^= 0x01;
		forged = with_root(served_incl.c.note, root);
		route_str("/v1/checkpoint", forged);
		ck_assert_msg(run_ctl("checkpoint", "") == 1, "root byte %zu",
		    i);
		free(forged);
		root[i] ^= 0x01;
	}
	for (i = 0; i < sizeof(sizes_) / sizeof(sizes_[0]); i++) {
		forged = with_size(served_incl.c.note, sizes_[i]);
		route_str("/v1/checkpoint", forged);
		ck_assert_msg(run_ctl("checkpoint", "") == 1, "size %s",
		    sizes_[i]);
		ck_assert_msg(run_ctl("prove", "6") == 1, "size %s",
		    sizes_[i]);
		free(forged);
	}
	expect_pin_unmoved();
}
END_TEST

START_TEST(test_proofcli_binary_rejects_flipped_proof_byte)
{
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES], leaf[32];
	size_t h, j;

	memcpy(proof, served_incl.proof, sizeof(proof));
	ledger_leaf_hash(served_incl.row.entry, served_incl.row.entry_len,
	    leaf);
	for (h = 0; h < served_incl.n; h++)
		for (j = 0; j < 32; j++) {
			proof[h][j] ^= 0x01;
			serve_incl((const uint8_t (*)[32])proof, served_incl.n,
			    leaf, 13);
			ck_assert_msg(run_ctl("prove", "6") == 1, "audit path "
			    "hash %zu byte %zu", h, j);
			proof[h][j] ^= 0x01;
		}
	for (j = 0; j < 32; j++) {
		leaf[j] ^= 0x01;
		serve_incl((const uint8_t (*)[32])proof, served_incl.n, leaf,
		    13);
		ck_assert_msg(run_ctl("prove", "6") == 1, "leaf hash byte %zu",
		    j);
		leaf[j] ^= 0x01;
	}
	/* An answer about another tree, a short and a long path. */
	serve_incl((const uint8_t (*)[32])proof, served_incl.n, leaf, 12);
	ck_assert_int_eq(run_ctl("prove", "6"), 1);
	serve_incl((const uint8_t (*)[32])proof, served_incl.n - 1, leaf, 13);
	ck_assert_int_eq(run_ctl("prove", "6"), 1);
	serve_incl((const uint8_t (*)[32])proof, served_incl.n + 1, leaf, 13);
	ck_assert_int_eq(run_ctl("prove", "6"), 1);
	serve_incl((const uint8_t (*)[32])proof, served_incl.n, leaf, 13);
	ck_assert_int_eq(run_ctl("prove", "--no-pin 6"), 0);
	expect_pin_unmoved();
}
END_TEST

START_TEST(test_proofcli_binary_rejects_flipped_entry_byte)
{
	uint8_t *entry = malloc(served_incl.row.entry_len);
	size_t j;

	memcpy(entry, served_incl.row.entry, served_incl.row.entry_len);
	for (j = 0; j < served_incl.row.entry_len; j += 7) {
		entry[j] ^= 0x01;
		route_set("/v1/events/6/entry", 200, entry,
		    served_incl.row.entry_len);
		ck_assert_msg(run_ctl("prove", "6") == 1, "entry byte %zu", j);
		entry[j] ^= 0x01;
	}
	free(entry);
	expect_pin_unmoved();
}
END_TEST

START_TEST(test_proofcli_binary_rejects_flipped_consistency_byte)
{
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	size_t h, j;

	memcpy(proof, served_cons, sizeof(proof));
	for (h = 0; h < served_ncons; h++)
		for (j = 0; j < 32; j++) {
			proof[h][j] ^= 0x01;
			serve_cons((const uint8_t (*)[32])proof, served_ncons);
			/* Against the pin at 5... */
			ck_assert_msg(run_ctl("checkpoint", "") == 1, "pin "
			    "proof hash %zu byte %zu", h, j);
			/* ...and asked for outright. */
			ck_assert_msg(run_ctl("consistency", "--no-pin 5 13") ==
			    1, "consistency hash %zu byte %zu", h, j);
			proof[h][j] ^= 0x01;
		}
	serve_cons((const uint8_t (*)[32])proof, served_ncons - 1);
	ck_assert_int_eq(run_ctl("checkpoint", ""), 1);
	expect_pin_unmoved();
}
END_TEST

/* A log that signed a tree it no longer holds (entries deleted, the
 * checkpoints kept): checkpoint asks for the last leaf's audit path. */
START_TEST(test_proofcli_binary_detects_log_without_its_tree)
{
	static const char refused[] = "{\"error\":\"bad_request\","
	    "\"message\":\"tree size 13 is beyond the log's 10\"}";
	char *j, *p;
	size_t i;

	route_set("/v1/proof/inclusion?seq=12&size=13", 400, refused,
	    sizeof(refused) - 1);
	ck_assert_int_eq(run_ctl("checkpoint", ""), 1);
	ck_assert_int_eq(run_ctl("checkpoint", "--no-pin"), 1);
	/* A path that does not lead to the signed root. */
	serve_all();
	pthread_mutex_lock(&routes_mu);
	j = NULL;
	for (i = 0; i < nroutes; i++)
		if (strcmp(routes[i].path,
		    "/v1/proof/inclusion?seq=12&size=13") == 0)
			j = strdup(routes[i].body);
	pthread_mutex_unlock(&routes_mu);
	ck_assert_ptr_nonnull(j);
	p = strstr(j, "\"audit_path\":[\"") + 15;
	*p = *p == 'A' ? 'B' : 'A';
	route_str("/v1/proof/inclusion?seq=12&size=13", j);
	free(j);
	ck_assert_int_eq(run_ctl("checkpoint", ""), 1);
	expect_pin_unmoved();
}
END_TEST

/* verify --url recomputes the newest checkpoint's root from the entries
 * listed: a server that signs one tree and lists another is caught. */
START_TEST(test_proofcli_binary_verify_checks_root_against_entries)
{
	struct ledger_signed_checkpoint b13, b16;
	struct tlog_src src;
	struct ledger_row row;
	char *page = NULL, *more, sig[129], *out;
	uint64_t i;

	ck_assert_int_eq(tlog_src_open(&src, a_dir, NULL, NULL, NULL,
	    NULL, NULL), LEDGER_OK);
	page = strdup("{\"events\":[");
	for (i = 0; i < 13; i++) {
		ck_assert_int_eq(tlog_get_entry(&src, i, &row, NULL),
		    LEDGER_OK);
		ledger_hex(row.sig, 64, sig);
		ck_assert_int_ne(asprintf(&more, "%s%s{\"seq\":%" PRIu64
		    ",\"entry\":%.*s,\"signature\":\"%s\"}", page, i ? "," :
		    "", i, (int)row.entry_len, (const char *)row.entry, sig),
		    -1);
		free(page);
		page = more;
		ledger_row_release(&row);
	}
	tlog_src_close(&src);
	ck_assert_int_ne(asprintf(&more, "%s],\"next_after_seq\":12}", page),
	    -1);
	free(page);
	route_str("/v1/events?limit=1000", more);
	free(more);
	route_str("/healthz", "{\"status\":\"ok\",\"log_size\":13}");
	ck_assert_int_eq(run_ctl("verify", "--no-payloads"), 0);
	/* B's checkpoint of the same size: same key, another tree. */
	get_cp(b_dir, 13, &b13);
	route_str("/v1/checkpoint", b13.note);
	ck_assert_int_eq(tu_run(&out, "'%s' verify --url '%s' --key '%s' "
	    "--no-pin --no-payloads --json", ctl, url, pub_path), 1);
	ck_assert_ptr_nonnull(strstr(out, "\"bad checkpoint\":1"));
	free(out);
	/* A checkpoint larger than the log the server lists. */
	get_cp(b_dir, 16, &b16);
	route_str("/v1/checkpoint", b16.note);
	ck_assert_int_eq(tu_run(&out, "'%s' verify --url '%s' --key '%s' "
	    "--no-pin --no-payloads", ctl, url, pub_path), 1);
	ck_assert_ptr_nonnull(strstr(out, "TAMPERED"));
	free(out);
	ledger_signed_checkpoint_release(&b13);
	ledger_signed_checkpoint_release(&b16);
	/* The genuine run moved the pin to 13; nothing else did. */
	out = tu_slurp(pin_file, NULL);
	ck_assert_str_eq(out, served_incl.c.note);
	free(out);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("proofcli");
	TCase *tc;

	tc = tcase_create("checkpoint");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_proofcli_checkpoint_verifies);
	tcase_add_test(tc, test_proofcli_checkpoint_rejects_flipped_note_byte);
	tcase_add_test(tc,
	    test_proofcli_checkpoint_rejects_flipped_signature_byte);
	tcase_add_test(tc, test_proofcli_checkpoint_rejects_flipped_root_byte);
	tcase_add_test(tc, test_proofcli_checkpoint_rejects_other_size_line);
	tcase_add_test(tc, test_proofcli_checkpoint_rejects_truncated_note);
	tcase_add_test(tc, test_proofcli_checkpoint_rejects_wrong_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("inclusion");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_proofcli_inclusion_verifies);
	tcase_add_test(tc, test_proofcli_inclusion_rejects_flipped_proof_byte);
	tcase_add_test(tc, test_proofcli_inclusion_rejects_flipped_root_byte);
	tcase_add_test(tc, test_proofcli_inclusion_rejects_flipped_entry_byte);
	tcase_add_test(tc,
	    test_proofcli_inclusion_rejects_flipped_leaf_hash_byte);
	tcase_add_test(tc, test_proofcli_inclusion_rejects_wrong_shape);
	suite_add_tcase(s, tc);

	tc = tcase_create("consistency");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_proofcli_consistency_verifies);
	tcase_add_test(tc, test_proofcli_consistency_rejects_flipped_byte);
	tcase_add_test(tc, test_proofcli_consistency_detects_fork);
	suite_add_tcase(s, tc);

	tc = tcase_create("pin");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_proofcli_pin_file_name);
	tcase_add_test(tc, test_proofcli_pin_first_use);
	tcase_add_test(tc, test_proofcli_pin_advances_and_never_goes_back);
	tcase_add_test(tc, test_proofcli_pin_detects_shrink);
	tcase_add_test(tc, test_proofcli_pin_detects_fork_same_size);
	tcase_add_test(tc, test_proofcli_pin_detects_fork_larger);
	tcase_add_test(tc, test_proofcli_pin_rejects_bad_pin_files);
	tcase_add_test(tc, test_proofcli_pin_rejects_flipped_pin_byte);
	tcase_add_test(tc, test_proofcli_pin_holds_a_lock);
	tcase_add_test(tc, test_proofcli_pin_state_directory);
	suite_add_tcase(s, tc);

	if ((ctl = getenv("LEDGERCTL")) != NULL && *ctl != '\0') {
		tc = tcase_create("binary");
		tcase_add_checked_fixture(tc, setup_binary, teardown_binary);
		tcase_set_timeout(tc, 600);
		tcase_add_test(tc,
		    test_proofcli_binary_accepts_the_genuine_log);
		tcase_add_test(tc,
		    test_proofcli_binary_rejects_flipped_note_byte);
		tcase_add_test(tc,
		    test_proofcli_binary_rejects_flipped_signature_byte);
		tcase_add_test(tc,
		    test_proofcli_binary_rejects_flipped_root_and_size);
		tcase_add_test(tc,
		    test_proofcli_binary_rejects_flipped_proof_byte);
		tcase_add_test(tc,
		    test_proofcli_binary_rejects_flipped_entry_byte);
		tcase_add_test(tc,
		    test_proofcli_binary_rejects_flipped_consistency_byte);
		tcase_add_test(tc,
		    test_proofcli_binary_detects_log_without_its_tree);
		tcase_add_test(tc,
		    test_proofcli_binary_verify_checks_root_against_entries);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	if (sodium_init() < 0)
		return 99;
	return tu_run_suite(suite());
}
