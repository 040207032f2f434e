/*
 * test-note.c - check suite for lib/note.c
 *
 * Known answers from ../shared/vectors (LEDGER_VECTORS): the C2SP and Go
 * x/mod signed-note vectors, the Tessera test log's 16 checkpoints
 * (re-signed byte for byte with its published test key), Sigsum's and
 * Rekor v2's real checkpoints, and RFC 8032 Ed25519 tests 1 and 2 (from
 * ../shared/payloads/test-vectors.md).  Then forgery loops over signatures,
 * sizes and roots, and one loop iteration per malformed input.  Exits 77
 * (skipped) when LEDGER_VECTORS is not set.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>
#include <sodium.h>

#include "ledger/note.h"

#define H LEDGER_HASH_BYTES

static const char *vectors;

/* ---- helpers ---- */

static json_t *
load_json(const char *rel)
{
	char path[4096];
	json_error_t jerr;
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", vectors, rel);
	j = json_load_file(path, 0, &jerr);
	ck_assert_msg(j != NULL, "load '%s': %s (line %d)", path, jerr.text,
	    jerr.line);
	return j;
}

static const char *
get_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_string(v), "no string '%s'", key);
	return json_string_value(v);
}

static size_t
unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t len;

	ck_assert_msg(sodium_hex2bin(out, max, hex, strlen(hex), NULL, &len,
	    NULL) == 0, "bad hex '%s'", hex);
	return len;
}

static size_t
unb64(const char *s, size_t slen, uint8_t *out, size_t max)
{
	size_t len;

	if (sodium_base642bin(out, max, s, slen, NULL, &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		return (size_t)-1;
	return len;
}

static void
vkey(const char *s, struct ledger_vkey *key)
{
	struct ledger_error err;

	ck_assert_msg(ledger_note_vkey_parse(s, strlen(s), key, &err) ==
	    LEDGER_OK, "vkey '%s': %s", s, err.msg);
}

static void
skey(const char *s, struct ledger_vkey *key, uint8_t sk[64])
{
	struct ledger_error err;

	ck_assert_msg(ledger_note_skey_parse(s, strlen(s), key, sk, &err) ==
	    LEDGER_OK, "skey: %s", err.msg);
}

/* Length of the text of a signed note: up to and with the newline before
 * the last blank line. */
static size_t
text_len_of(const char *note)
{
	const char *p, *last = NULL;

	for (p = strstr(note, "\n\n"); p != NULL; p = strstr(p + 1, "\n\n"))
		last = p;
	ck_assert_ptr_nonnull(last);
	return (size_t)(last - note) + 1;
}

static char *
xstrdup(const char *s)
{
	char *p = malloc(strlen(s) + 1);

	ck_assert_ptr_nonnull(p);
	return strcpy(p, s);
}

static enum ledger_status
open_note(const char *msg, size_t len, const struct ledger_vkey *known,
    size_t nknown, struct ledger_error *err)
{
	bool ok[8];
	size_t tl;

	ck_assert_uint_le(nknown, 8);
	memset(err, 0, sizeof(*err));
	return ledger_note_open(msg, len, known, nknown, &tl, ok, err);
}

/* ---- keys ---- */

START_TEST(test_note_key_ids_recomputed)
{
	json_t *c2sp = load_json("signed-note/c2sp_signed_note.json");
	json_t *xmod = load_json("signed-note/x_mod_sumdb_note.json");
	json_t *tess = load_json("checkpoint/tessera_testdata_log.json");
	json_t *rekor = load_json("checkpoint/sigstore_rekor_real_entries.json");
	json_t *sigsum = load_json("checkpoint/sigsum_go_checkpoint.json");
	json_t *v, *keys, *r2, *der;
	struct ledger_vkey k, k2;
	struct ledger_error err;
	char hex[LEDGER_NOTE_KEY_ID_HEX_SIZE], out[LEDGER_NOTE_VKEY_SIZE];
	char origin[128];
	uint8_t pub[32], seed[32], sk[64], full[32], h[32];
	const char *vk, *name;
	size_t len;

	/* C2SP: name and raw public key -> key ID and vkey. */
	v = json_array_get(json_object_get(c2sp, "vectors"), 0);
	name = get_str(v, "key_name");
	ck_assert_uint_eq(unhex(get_str(v, "ed25519_public_key_hex"), pub,
	    32), 32);
	ledger_note_key_id_hex(ledger_note_key_id(name, pub), hex);
	ck_assert_str_eq(hex, get_str(v, "key_id_hex"));
	ck_assert_str_eq(hex, get_str(v, "key_id_recomputed"));
	vkey(get_str(v, "vkey"), &k);
	ck_assert_str_eq(k.name, name);
	ck_assert(memcmp(k.pub, pub, 32) == 0);
	ck_assert_int_eq(ledger_note_vkey_format(&k, out, &err), LEDGER_OK);
	ck_assert_str_eq(out, get_str(v, "vkey"));

	/* Go x/mod: PeterNeumann and EnochRoot; the ID is in the string. */
	keys = json_object_get(xmod, "keys");
	for (len = 0; len < 2; len++) {
		vk = get_str(json_object_get(keys, len ? "EnochRoot" :
		    "PeterNeumann"), "vkey");
		vkey(vk, &k);
		ledger_note_key_id_hex(ledger_note_key_id(k.name, k.pub), hex);
		ck_assert(strncmp(vk + strlen(k.name) + 1, hex, 8) == 0);
		ck_assert_int_eq(ledger_note_vkey_format(&k, out, &err),
		    LEDGER_OK);
		ck_assert_str_eq(out, vk);
	}

	/* Tessera's test log. */
	vkey(get_str(tess, "vkey"), &k);
	ck_assert_str_eq(k.name, get_str(tess, "origin"));
	ck_assert_uint_eq(k.id, 0x33d7b496);

	/* Rekor v2: the log ID is the whole SHA-256 the key ID cuts. */
	r2 = json_object_get(rekor, "rekor_v2");
	ck_assert_uint_eq(unhex(get_str(r2, "ed25519_public_key_hex"), pub,
	    32), 32);
	k2.id = ledger_note_key_id(get_str(r2, "origin"), pub);
	vkey(get_str(r2, "vkey_derived"), &k);
	ck_assert_uint_eq(k.id, k2.id);
	ck_assert_uint_eq(k.id, 0xcf119915);
	ck_assert_str_eq(k.name, get_str(r2, "origin"));
	ck_assert(memcmp(k.pub, pub, 32) == 0);
	ck_assert_uint_eq(unb64(get_str(r2, "log_id_b64"),
	    strlen(get_str(r2, "log_id_b64")), full, 32), 32);
	ck_assert_uint_eq(((uint32_t)full[0] << 24 | (uint32_t)full[1] << 16 |
	    (uint32_t)full[2] << 8 | full[3]), k.id);

	/* Sigsum: seed -> public key -> origin -> vkey. */
	der = json_object_get(sigsum, "derived");
	ck_assert_uint_eq(unhex(get_str(sigsum, "ed25519_seed_hex_test_only"),
	    seed, 32), 32);
	ck_assert_int_eq(ledger_note_key_from_seed("x", seed, &k, sk, &err),
	    LEDGER_OK);
	ck_assert_uint_eq(unb64(get_str(der, "ed25519_public_key_b64_from_seed"),
	    44, pub, 32), 32);
	ck_assert(memcmp(k.pub, pub, 32) == 0);
	crypto_hash_sha256(h, pub, 32);
	strcpy(origin, "sigsum.org/v1/tree/");
	sodium_bin2hex(origin + strlen(origin), 65, h, 32);
	ck_assert_int_eq(ledger_note_key_from_seed(origin, seed, &k, sk, &err),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_note_vkey_format(&k, out, &err), LEDGER_OK);
	ck_assert_str_eq(out, get_str(der, "vkey"));
	ck_assert(strncmp(get_str(sigsum, "checkpoint"), origin,
	    strlen(origin)) == 0);

	json_decref(sigsum);
	json_decref(rekor);
	json_decref(tess);
	json_decref(xmod);
	json_decref(c2sp);
}
END_TEST

START_TEST(test_note_bad_vkeys_from_go_rejected)
{
	json_t *j = load_json("signed-note/x_mod_sumdb_note.json");
	json_t *bad = json_object_get(j, "bad_vkeys_must_be_rejected");
	const char *s = json_string_value(json_array_get(bad, (size_t)_i));
	struct ledger_vkey k;
	struct ledger_error err;
	enum ledger_status rc;

	ck_assert_ptr_nonnull(s);
	memset(&k, 0xaa, sizeof(k));
	rc = ledger_note_vkey_parse(s, strlen(s), &k, &err);
	ck_assert_msg(rc == LEDGER_EINVAL || rc == LEDGER_ECRYPTO, "'%s' "
	    "accepted", s);
	ck_assert_str_eq(k.name, "");
	ck_assert_uint_eq(k.id, 0);
	json_decref(j);
}
END_TEST

#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_B64 "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define N256 "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"

/* One bad verifier key each; the expected code. */
static const struct {
	const char *vkey;
	enum ledger_status want;
} bad_vkeys[] = {
	{ "", LEDGER_EINVAL },
	{ "PeterNeumann", LEDGER_EINVAL },
	{ "PeterNeumann+c74f20a3", LEDGER_EINVAL },
	{ "PeterNeumann+c74f20a3+", LEDGER_EINVAL },	/* no key */
	{ "+c74f20a3+" PETER_B64, LEDGER_EINVAL },	/* empty name */
	{ "Peter Neumann+c74f20a3+" PETER_B64, LEDGER_EINVAL },
	{ "Peter\tNeumann+c74f20a3+" PETER_B64, LEDGER_EINVAL },
	{ "Peter\x01Neumann+c74f20a3+" PETER_B64, LEDGER_EINVAL },
	{ "Peter\x7fNeumann+c74f20a3+" PETER_B64, LEDGER_EINVAL },
	{ "Peter\xc2\x85Neumann+c74f20a3+" PETER_B64, LEDGER_EINVAL }, /* NEL */
	{ "Peter\xc2\xa0Neumann+c74f20a3+" PETER_B64, LEDGER_EINVAL }, /* NBSP */
	{ "Peter\xe3\x80\x80Neumann+c74f20a3+" PETER_B64, LEDGER_EINVAL },
	{ "Peter\xe2\x80\x8aNeumann+c74f20a3+" PETER_B64, LEDGER_EINVAL },
	{ "Peter\xffNeumann+c74f20a3+" PETER_B64, LEDGER_EINVAL },
	{ "Peter\xc0\xafNeumann+c74f20a3+" PETER_B64, LEDGER_EINVAL },
	{ N256 N256 N256 N256 "+00000000+" PETER_B64, LEDGER_EINVAL },
	{ "PeterNeumann+c74f20a+" PETER_B64, LEDGER_EINVAL },
	{ "PeterNeumann+c74f20a30+" PETER_B64, LEDGER_EINVAL },
	{ "PeterNeumann+c74f20g3+" PETER_B64, LEDGER_EINVAL },
	{ "PeterNeumann+-74f20a3+" PETER_B64, LEDGER_EINVAL },
	{ "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
	    LEDGER_EINVAL },				/* truncated base64 */
	{ "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW",
	    LEDGER_EINVAL },				/* URL-safe alphabet */
	{ "PeterNeumann+c74f20a3+ " PETER_B64, LEDGER_EINVAL },
	{ "PeterNeumann+c74f20a3+" PETER_B64 " ", LEDGER_EINVAL },
	{ "PeterNeumann+c74f20a3+" PETER_B64 "\n\n", LEDGER_EINVAL },
	{ "PeterNeumann+c74f20a3+" PETER_B64 "AAAA", LEDGER_EINVAL }, /* 36 */
	{ "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy",
	    LEDGER_EINVAL },				/* short key */
	{ "PeterNeumann+c74f20a3+AQ==", LEDGER_EINVAL },	/* algorithm only */
	{ "PeterNeumann+c74f20a3+AhpcZQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    LEDGER_EINVAL },				/* algorithm 0x02 */
	{ "PeterNeumann+c74f20a4+" PETER_B64, LEDGER_ECRYPTO }, /* wrong ID */
	{ "peterneumann+c74f20a3+" PETER_B64, LEDGER_ECRYPTO }, /* other name */
	{ "PeterNeumann+00000000+" PETER_B64, LEDGER_ECRYPTO },
	{ PETER_SKEY, LEDGER_EINVAL },			/* a secret key */
};

START_TEST(test_note_vkey_parse_rejects)
{
	struct ledger_vkey k;
	struct ledger_error err;
	const char *s = bad_vkeys[_i].vkey;

	memset(&k, 0xaa, sizeof(k));
	memset(&err, 0, sizeof(err));
	ck_assert_msg(ledger_note_vkey_parse(s, strlen(s), &k, &err) ==
	    bad_vkeys[_i].want, "case %d: %s", _i, err.msg);
	ck_assert_int_eq(err.code, bad_vkeys[_i].want);
	ck_assert(err.msg[0] != '\0');
	ck_assert_str_eq(k.name, "");
	ck_assert_uint_eq(k.id, 0);
}
END_TEST

START_TEST(test_note_vkey_parse_accepts_go_forms)
{
	struct ledger_vkey k, k2;
	struct ledger_error err;
	char out[LEDGER_NOTE_VKEY_SIZE];
	static const char upper[] = "PeterNeumann+C74F20A3+" PETER_B64;
	static const char nl[] = PETER_VKEY "\n";

	vkey(PETER_VKEY, &k);
	/* Go parses the ID with ParseUint(.., 16, ..): either case. */
	ck_assert_int_eq(ledger_note_vkey_parse(upper, strlen(upper), &k2,
	    &err), LEDGER_OK);
	ck_assert(memcmp(&k, &k2, sizeof(k)) == 0);
	/* One trailing newline, as read from a file. */
	ck_assert_int_eq(ledger_note_vkey_parse(nl, strlen(nl), &k2, &err),
	    LEDGER_OK);
	ck_assert(memcmp(&k, &k2, sizeof(k)) == 0);
	/* The length counts, not a NUL. */
	ck_assert_int_eq(ledger_note_vkey_parse(PETER_VKEY "junk",
	    strlen(PETER_VKEY), &k2, &err), LEDGER_OK);
	ck_assert_int_eq(ledger_note_vkey_format(&k, out, &err), LEDGER_OK);
	ck_assert_str_eq(out, PETER_VKEY);
	/* A name may be any printable non-space UTF-8. */
	snprintf(out, sizeof(out), "%s+%08" PRIx32 "+%s",
	    "l\xc3\xa9" "dger.example/\xe2\x9c\x93",
	    ledger_note_key_id("l\xc3\xa9" "dger.example/\xe2\x9c\x93", k.pub),
	    PETER_B64);
	vkey(out, &k2);
	ck_assert_str_eq(k2.name, "l\xc3\xa9" "dger.example/\xe2\x9c\x93");
}
END_TEST

START_TEST(test_note_skey_parse_derives_keypair)
{
	json_t *tess = load_json("checkpoint/tessera_testdata_log.json");
	const char *pairs[2][2];
	struct ledger_vkey k, v;
	struct ledger_error err;
	uint8_t sk[64], sk2[64];
	char out[LEDGER_NOTE_SKEY_SIZE];
	int i;

	pairs[0][0] = PETER_SKEY;
	pairs[0][1] = PETER_VKEY;
	pairs[1][0] = get_str(tess, "skey_test_only");
	pairs[1][1] = get_str(tess, "vkey");
	for (i = 0; i < 2; i++) {
		skey(pairs[i][0], &k, sk);
		vkey(pairs[i][1], &v);
		ck_assert(memcmp(&k, &v, sizeof(k)) == 0);
		ck_assert(memcmp(sk + 32, v.pub, 32) == 0);
		/* seed -> the same key pair */
		ck_assert_int_eq(ledger_note_key_from_seed(k.name, sk, &v, sk2,
		    &err), LEDGER_OK);
		ck_assert(memcmp(sk, sk2, 64) == 0);
		ck_assert(memcmp(&k, &v, sizeof(k)) == 0);
		/* and back to the same text */
		ck_assert_int_eq(ledger_note_skey_format(&k, sk, out, &err),
		    LEDGER_OK);
		ck_assert_str_eq(out, pairs[i][0]);
		sodium_memzero(out, sizeof(out));
	}
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(sk2, sizeof(sk2));
	json_decref(tess);
}
END_TEST

static const struct {
	const char *skey;
	enum ledger_status want;
} bad_skeys[] = {
	{ "", LEDGER_EINVAL },
	{ PETER_VKEY, LEDGER_EINVAL },			/* a public key */
	{ "PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
	    LEDGER_EINVAL },				/* no prefix */
	{ "private+key+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
	    LEDGER_EINVAL },
	{ "PRIVATE+KEY+", LEDGER_EINVAL },
	{ "PRIVATE+KEY+PeterNeumann", LEDGER_EINVAL },
	{ "PRIVATE+KEY+Peter Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
	    LEDGER_EINVAL },
	{ "PRIVATE+KEY+PeterNeumann+c74f20a+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
	    LEDGER_EINVAL },
	{ "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
	    LEDGER_EINVAL },				/* algorithm 0x02 */
	{ "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXH",
	    LEDGER_EINVAL },				/* short seed */
	{ "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF",
	    LEDGER_EINVAL },				/* bad base64 */
	{ "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
	    LEDGER_ECRYPTO },				/* wrong ID */
	{ "PRIVATE+KEY+EnochRoot+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
	    LEDGER_ECRYPTO },				/* other name */
	{ "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFy",
	    LEDGER_ECRYPTO },				/* other seed */
};

START_TEST(test_note_skey_parse_rejects)
{
	struct ledger_vkey k;
	struct ledger_error err;
	uint8_t sk[64], zero[64] = { 0 };
	const char *s = bad_skeys[_i].skey;

	memset(&k, 0xaa, sizeof(k));
	memset(sk, 0xaa, sizeof(sk));
	memset(&err, 0, sizeof(err));
	ck_assert_msg(ledger_note_skey_parse(s, strlen(s), &k, sk, &err) ==
	    bad_skeys[_i].want, "case %d: %s", _i, err.msg);
	ck_assert(err.msg[0] != '\0');
	/* nothing secret is left behind */
	ck_assert(memcmp(sk, zero, 64) == 0);
	ck_assert_str_eq(k.name, "");
}
END_TEST

/* RFC 8032 section 7.1 TEST 1 and TEST 2, as in payloads/test-vectors.md
 * rows 9 and 10. */
static const struct {
	const char *seed, *pub, *msg, *sig;
} rfc8032[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	  "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
};

START_TEST(test_note_ed25519_rfc8032_kat)
{
	struct ledger_vkey k;
	struct ledger_error err;
	uint8_t seed[32], pub[32], sk[64], msg[8], sig[64], want[64];
	size_t mlen;

	unhex(rfc8032[_i].seed, seed, 32);
	unhex(rfc8032[_i].pub, pub, 32);
	mlen = unhex(rfc8032[_i].msg, msg, sizeof(msg));
	unhex(rfc8032[_i].sig, want, 64);
	ck_assert_int_eq(crypto_sign_seed_keypair(k.pub, sk, seed), 0);
	ck_assert(memcmp(k.pub, pub, 32) == 0);
	ck_assert_int_eq(crypto_sign_detached(sig, NULL, msg, mlen, sk), 0);
	ck_assert(memcmp(sig, want, 64) == 0);
	ck_assert_int_eq(crypto_sign_verify_detached(sig, msg, mlen, pub), 0);
	sig[0] ^= 1;
	ck_assert_int_ne(crypto_sign_verify_detached(sig, msg, mlen, pub), 0);
	/* The module derives the same key pair. */
	ck_assert_int_eq(ledger_note_key_from_seed("rfc8032", seed, &k, sk,
	    &err), LEDGER_OK);
	ck_assert(memcmp(k.pub, pub, 32) == 0);
	ck_assert(memcmp(sk, seed, 32) == 0);
}
END_TEST

/* ---- signed notes: vectors ---- */

START_TEST(test_note_x_mod_vectors)
{
	json_t *j = load_json("signed-note/x_mod_sumdb_note.json");
	json_t *v = json_array_get(json_object_get(j, "vectors"), (size_t)_i);
	json_t *vks;
	struct ledger_vkey known[4];
	struct ledger_error err;
	const char *msg, *expect;
	enum ledger_status rc, want;
	bool ok[4];
	size_t n, i, tl;

	ck_assert_ptr_nonnull(v);
	vks = json_object_get(v, "verifier_vkeys");
	n = json_array_size(vks);
	ck_assert_uint_le(n, 4);
	for (i = 0; i < n; i++)
		vkey(json_string_value(json_array_get(vks, i)), &known[i]);
	msg = get_str(v, "signed_note");
	expect = get_str(v, "expect");
	if (strncmp(expect, "verifies", 8) == 0)
		want = LEDGER_OK;
	else if (strstr(expect, "malformed") != NULL)
		want = LEDGER_EINVAL;
	else
		want = LEDGER_ECRYPTO;	/* no verifiable / invalid signature */
	memset(&err, 0, sizeof(err));
	rc = ledger_note_open(msg, strlen(msg), known, n, &tl, ok, &err);
	ck_assert_msg(rc == want, "%s: got %d (%s)", get_str(v, "id"), rc,
	    err.msg);
	if (want == LEDGER_OK) {
		ck_assert_uint_eq(tl, strlen(get_str(j, "note_text")));
		ck_assert(strncmp(msg, get_str(j, "note_text"), tl) == 0);
		for (i = 0; i < n; i++)
			ck_assert(ok[i]);
	} else {
		ck_assert_uint_eq(tl, 0);
		for (i = 0; i < n; i++)
			ck_assert(!ok[i]);
	}
	if (strstr(expect, "invalid signature for key PeterNeumann+c74f20a3"))
		ck_assert_str_eq(err.msg,
		    "invalid signature for key 'PeterNeumann+c74f20a3'");
	json_decref(j);
}
END_TEST

START_TEST(test_note_peter_signature_reproduced)
{
	json_t *j = load_json("signed-note/x_mod_sumdb_note.json");
	json_t *v = json_array_get(json_object_get(j, "vectors"), 0);
	const char *text = get_str(j, "note_text");
	struct ledger_buf out = LEDGER_BUF_INIT;
	struct ledger_vkey k;
	struct ledger_error err;
	uint8_t sk[64];

	ck_assert_str_eq(get_str(v, "id"), "peter-signs");
	skey(get_str(json_object_get(json_object_get(j, "keys"),
	    "PeterNeumann"), "skey_test_only"), &k, sk);
	ck_assert_int_eq(ledger_note_sign(text, strlen(text), &k, sk, &out,
	    &err), LEDGER_OK);
	ck_assert_str_eq(out.data, get_str(v, "signed_note"));
	sodium_memzero(sk, sizeof(sk));
	ledger_buf_release(&out);
	json_decref(j);
}
END_TEST

START_TEST(test_note_c2sp_examples)
{
	json_t *j = load_json("signed-note/c2sp_signed_note.json");
	json_t *v = json_object_get(j, "vectors");
	struct ledger_vkey k, other;
	struct ledger_error err;
	const char *msg;
	size_t tl;
	bool ok;

	vkey(get_str(json_array_get(v, 0), "vkey"), &k);
	msg = get_str(json_array_get(v, 0), "signed_note");
	ck_assert_int_eq(ledger_note_open(msg, strlen(msg), &k, 1, &tl, &ok,
	    &err), LEDGER_OK);
	ck_assert(ok);
	ck_assert_uint_eq(tl, strlen(get_str(json_array_get(v, 0),
	    "note_text")));

	/* The poem: a blank line inside the text; no key published, so it
	 * parses but has no verifiable signature. */
	msg = get_str(json_array_get(v, 1), "signed_note");
	vkey(PETER_VKEY, &other);
	ck_assert_int_eq(open_note(msg, strlen(msg), &other, 1, &err),
	    LEDGER_ECRYPTO);
	ck_assert_str_eq(err.msg,
	    "note has no verifiable signatures (1 by unknown keys)");
	ck_assert_int_eq(open_note(msg, strlen(msg), NULL, 0, &err),
	    LEDGER_ECRYPTO);
	json_decref(j);
}
END_TEST

/* ---- checkpoints: vectors ---- */

START_TEST(test_checkpoint_tessera_resigned_byte_for_byte)
{
	json_t *j = load_json("checkpoint/tessera_testdata_log.json");
	json_t *cp = json_array_get(json_object_get(j, "checkpoints"),
	    (size_t)_i);
	struct ledger_buf out = LEDGER_BUF_INIT, re = LEDGER_BUF_INIT;
	struct ledger_checkpoint c;
	struct ledger_vkey k, v;
	struct ledger_error err;
	const char *note;
	uint8_t sk[64], root[H];
	size_t tl;
	bool ok;

	ck_assert_ptr_nonnull(cp);
	note = get_str(cp, "checkpoint");
	tl = text_len_of(note);
	skey(get_str(j, "skey_test_only"), &k, sk);
	vkey(get_str(j, "vkey"), &v);

	ck_assert_int_eq(ledger_note_sign(note, tl, &k, sk, &out, &err),
	    LEDGER_OK);
	ck_assert_str_eq(out.data, note);

	ck_assert_int_eq(ledger_checkpoint_open(note, strlen(note), &v, 1, &c,
	    &ok, &err), LEDGER_OK);
	ck_assert(ok);
	ck_assert_uint_eq(c.size, (uint64_t)_i);
	ck_assert_uint_eq(c.origin_len, strlen(get_str(j, "origin")));
	ck_assert(memcmp(c.origin, get_str(j, "origin"), c.origin_len) == 0);
	ck_assert_uint_eq(unb64(get_str(cp, "root_b64"), 44, root, H), H);
	ck_assert(memcmp(c.root, root, H) == 0);
	ck_assert_uint_eq(c.ext_len, 0);

	/* Formatting the parsed checkpoint gives the text back. */
	ck_assert_int_eq(ledger_checkpoint_format(&c, &re, &err), LEDGER_OK);
	ck_assert_uint_eq(re.len, tl);
	ck_assert(memcmp(re.data, note, tl) == 0);

	sodium_memzero(sk, sizeof(sk));
	ledger_buf_release(&re);
	ledger_buf_release(&out);
	json_decref(j);
}
END_TEST

START_TEST(test_checkpoint_sigsum_verifies)
{
	json_t *j = load_json("checkpoint/sigsum_go_checkpoint.json");
	const char *note = get_str(j, "checkpoint");
	struct ledger_buf out = LEDGER_BUF_INIT;
	struct ledger_checkpoint c;
	struct ledger_vkey v, k;
	struct ledger_error err;
	uint8_t root[H], seed[32], sk[64];
	bool ok;

	vkey(get_str(json_object_get(j, "derived"), "vkey"), &v);
	ck_assert_int_eq(ledger_checkpoint_open(note, strlen(note), &v, 1, &c,
	    &ok, &err), LEDGER_OK);
	ck_assert(ok);
	ck_assert_uint_eq(c.size, 10);
	unhex(get_str(j, "root_hex"), root, H);
	ck_assert(memcmp(c.root, root, H) == 0);
	ck_assert_uint_eq(c.origin_len, strlen(v.name));
	ck_assert(memcmp(c.origin, v.name, c.origin_len) == 0);

	/* Ed25519 is deterministic: the seed signs it again identically. */
	unhex(get_str(j, "ed25519_seed_hex_test_only"), seed, 32);
	ck_assert_int_eq(ledger_note_key_from_seed(v.name, seed, &k, sk, &err),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_note_sign(note, text_len_of(note), &k, sk,
	    &out, &err), LEDGER_OK);
	ck_assert_str_eq(out.data, note);
	sodium_memzero(sk, sizeof(sk));
	ledger_buf_release(&out);
	json_decref(j);
}
END_TEST

START_TEST(test_checkpoint_rekor_v2_verifies)
{
	json_t *j = load_json("checkpoint/sigstore_rekor_real_entries.json");
	json_t *r2 = json_object_get(j, "rekor_v2");
	json_t *e = json_array_get(json_object_get(r2, "entries"), (size_t)_i);
	struct ledger_checkpoint c;
	struct ledger_vkey v;
	struct ledger_error err;
	const char *note;
	uint8_t root[H];
	bool ok;

	ck_assert_ptr_nonnull(e);
	vkey(get_str(r2, "vkey_derived"), &v);
	note = get_str(e, "checkpoint");
	ck_assert_int_eq(ledger_checkpoint_open(note, strlen(note), &v, 1, &c,
	    &ok, &err), LEDGER_OK);
	ck_assert(ok);
	ck_assert_uint_eq(c.size, (uint64_t)json_integer_value(
	    json_object_get(e, "tree_size")));
	ck_assert_uint_eq(unb64(get_str(e, "root_b64"), 44, root, H), H);
	ck_assert(memcmp(c.root, root, H) == 0);
	json_decref(j);
}
END_TEST

/* Notes we can parse but not verify: Rekor v1's ECDSA checkpoint, and
 * C2SP's checkpoint with a witness cosignature (76-byte signature). */
START_TEST(test_checkpoint_unverifiable_examples_parse)
{
	json_t *rk = load_json("checkpoint/sigstore_rekor_real_entries.json");
	json_t *fx = load_json("checkpoint/c2sp_format_examples.json");
	json_t *r1 = json_object_get(rk, "rekor_v1");
	struct ledger_checkpoint c;
	struct ledger_vkey v;
	struct ledger_error err;
	const char *note;

	vkey(get_str(json_object_get(rk, "rekor_v2"), "vkey_derived"), &v);
	note = get_str(r1, "checkpoint");
	ck_assert_int_eq(open_note(note, strlen(note), &v, 1, &err),
	    LEDGER_ECRYPTO);
	ck_assert_int_eq(ledger_checkpoint_parse(note, text_len_of(note), &c,
	    &err), LEDGER_OK);
	ck_assert_uint_eq(c.size, 25232885);
	ck_assert_uint_eq(c.origin_len, strlen(get_str(r1, "origin")));

	note = get_str(fx, "checkpoint_with_cosignature");
	ck_assert_int_eq(open_note(note, strlen(note), &v, 1, &err),
	    LEDGER_ECRYPTO);
	ck_assert_str_eq(err.msg,
	    "note has no verifiable signatures (2 by unknown keys)");
	ck_assert_int_eq(ledger_checkpoint_parse(note, text_len_of(note), &c,
	    &err), LEDGER_OK);
	ck_assert_uint_eq(c.size, 20852163);
	json_decref(fx);
	json_decref(rk);
}
END_TEST

/* Go's sumdb tree note is a checkpoint whose origin is
 * "go.sum database tree". */
START_TEST(test_checkpoint_sumdb_tree_note_parses)
{
	json_t *j = load_json("signed-note/x_mod_sumdb_note.json");
	json_t *t = json_object_get(j, "sumdb_tree_note_format");
	const char *text = get_str(t, "text");
	struct ledger_checkpoint c;
	struct ledger_error err;
	uint8_t buf[12], want[H], want2[H];

	ck_assert_int_eq(ledger_checkpoint_parse(text, strlen(text), &c, &err),
	    LEDGER_OK);
	ck_assert_uint_eq(c.origin_len, 20);
	ck_assert(memcmp(c.origin, "go.sum database tree", 20) == 0);
	ck_assert_uint_eq(c.size, 123456789012ULL);
	buf[0] = 0;
	memcpy(buf + 1, "hello world", 11);
	crypto_hash_sha256(want, buf, sizeof(buf));
	ck_assert(memcmp(c.root, want, H) == 0);
	ck_assert_uint_eq(unb64(get_str(t, "root_recomputed_b64"), 44, want2,
	    H), H);
	ck_assert(memcmp(want, want2, H) == 0);
	json_decref(j);
}
END_TEST

/* ---- forgery loops ---- */

/*
 * The expected result of opening a note whose text or signature was
 * altered at one byte: a byte that makes the note malformed (a control
 * character, invalid UTF-8) is EINVAL; anything else must fail the
 * signature, ECRYPTO.
 */
static enum ledger_status
want_for_byte(unsigned char c)
{
	if (c >= 0x80 || (c < 0x20 && c != '\n'))
		return LEDGER_EINVAL;
	return LEDGER_ECRYPTO;
}

/* Tessera checkpoint 15 and Peter's note: every bit of the decoded
 * signature payload (key ID and signature) re-encoded, then every byte of
 * the base64 text XORed. */
START_TEST(test_note_signature_forgery_rejected)
{
	json_t *j = load_json("checkpoint/tessera_testdata_log.json");
	json_t *x = load_json("signed-note/x_mod_sumdb_note.json");
	struct ledger_vkey k;
	struct ledger_error err;
	const char *orig;
	char *msg;
	char b64[200], *sig;
	uint8_t raw[68], tmp[100];
	size_t len, tl, b64_len, i, bit;
	enum ledger_status want;

	if (_i == 0) {
		orig = get_str(json_array_get(json_object_get(j, "checkpoints"),
		    15), "checkpoint");
		vkey(get_str(j, "vkey"), &k);
	} else {
		orig = get_str(json_array_get(json_object_get(x, "vectors"),
		    0), "signed_note");
		vkey(PETER_VKEY, &k);
	}
	len = strlen(orig);
	msg = xstrdup(orig);
	ck_assert_ptr_nonnull(msg);
	tl = text_len_of(msg);
	ck_assert_int_eq(open_note(msg, len, &k, 1, &err), LEDGER_OK);
	/* "\n— name " then base64 then "\n" */
	sig = msg + tl + 1 + 4 + strlen(k.name) + 1;
	b64_len = (size_t)(msg + len - 1 - sig);
	ck_assert_uint_eq(b64_len, 92);
	ck_assert_uint_eq(unb64(sig, b64_len, raw, sizeof(raw)), 68);

	for (i = 0; i < 68; i++)
		for (bit = 0; bit < 8; bit++) {
			raw[i] ^= (uint8_t)(1 << bit);
			sodium_bin2base64(b64, sizeof(b64), raw, 68,
			    sodium_base64_VARIANT_ORIGINAL);
			memcpy(sig, b64, 92);
			ck_assert_msg(open_note(msg, len, &k, 1, &err) ==
			    LEDGER_ECRYPTO, "byte %zu bit %zu: %s", i, bit,
			    err.msg);
			/* the key ID bytes make it an unknown key's */
			if (i < 4)
				ck_assert(strstr(err.msg,
				    "no verifiable signatures") != NULL);
			else
				ck_assert(strstr(err.msg,
				    "invalid signature") != NULL);
			raw[i] ^= (uint8_t)(1 << bit);
		}
	sodium_bin2base64(b64, sizeof(b64), raw, 68,
	    sodium_base64_VARIANT_ORIGINAL);
	memcpy(sig, b64, 92);
	ck_assert_int_eq(open_note(msg, len, &k, 1, &err), LEDGER_OK);

	for (i = 0; i < b64_len; i++)
		for (bit = 0; bit < 8; bit++) {
			sig[i] ^= (char)(1 << bit);
			if (want_for_byte((unsigned char)sig[i]) ==
			    LEDGER_EINVAL || sig[i] == '\n')
				want = LEDGER_EINVAL;
			else if (unb64(sig, b64_len, tmp, sizeof(tmp)) ==
			    (size_t)-1)
				want = LEDGER_EINVAL;	/* not base64 */
			else
				want = LEDGER_ECRYPTO;
			ck_assert_msg(open_note(msg, len, &k, 1, &err) == want,
			    "char %zu bit %zu: %s", i, bit, err.msg);
			sig[i] ^= (char)(1 << bit);
		}
	free(msg);
	json_decref(x);
	json_decref(j);
}
END_TEST

/* Every bit of every byte of the size line and of the root line of each
 * of Tessera's checkpoints 1..15, and every bit of the decoded root. */
START_TEST(test_checkpoint_size_and_root_forgery_rejected)
{
	json_t *j = load_json("checkpoint/tessera_testdata_log.json");
	const char *orig = get_str(json_array_get(json_object_get(j,
	    "checkpoints"), (size_t)_i), "checkpoint");
	struct ledger_checkpoint c;
	struct ledger_vkey k;
	struct ledger_error err;
	char *msg, *size_line, *root_line, b64[64];
	size_t len, i, bit, nsize;
	uint8_t root[H];
	bool ok;

	vkey(get_str(j, "vkey"), &k);
	len = strlen(orig);
	msg = xstrdup(orig);
	ck_assert_ptr_nonnull(msg);
	size_line = strchr(msg, '\n') + 1;
	root_line = strchr(size_line, '\n') + 1;
	nsize = (size_t)(root_line - 1 - size_line);

	for (i = 0; i < nsize + 1 + 44; i++) {
		char *p = size_line + i;

		if (p == root_line - 1)
			continue;	/* the newline between them */
		for (bit = 0; bit < 8; bit++) {
			*p ^= (char)(1 << bit);
			ck_assert_msg(ledger_checkpoint_open(msg, len, &k, 1,
			    &c, &ok, &err) == want_for_byte((unsigned char)*p),
			    "byte %zu bit %zu: %s", i, bit, err.msg);
			ck_assert(!ok);
			ck_assert_uint_eq(c.size, 0);
			*p ^= (char)(1 << bit);
		}
	}
	ck_assert_uint_eq(unb64(root_line, 44, root, H), H);
	for (i = 0; i < 8 * H; i++) {
		root[i / 8] ^= (uint8_t)(1 << (i % 8));
		sodium_bin2base64(b64, sizeof(b64), root, H,
		    sodium_base64_VARIANT_ORIGINAL);
		memcpy(root_line, b64, 44);
		ck_assert_int_eq(ledger_checkpoint_open(msg, len, &k, 1, &c,
		    &ok, &err), LEDGER_ECRYPTO);
		root[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	sodium_bin2base64(b64, sizeof(b64), root, H,
	    sodium_base64_VARIANT_ORIGINAL);
	memcpy(root_line, b64, 44);
	ck_assert_int_eq(ledger_checkpoint_open(msg, len, &k, 1, &c, &ok,
	    &err), LEDGER_OK);
	free(msg);
	json_decref(j);
}
END_TEST

/* ---- opening: malformed notes and the signature rules ---- */

#define PETER_TEXT "If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define PETER_SIG "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
#define PETER_LINE "\xe2\x80\x94 PeterNeumann " PETER_SIG "\n"
#define ENOCH_LINE "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"

static const char *const malformed_notes[] = {
	"",
	"\n",
	"\n\n",
	PETER_TEXT,
	PETER_TEXT "\n",
	PETER_TEXT "\n" PETER_LINE "\n",		/* blank line after */
	PETER_TEXT PETER_LINE,				/* no blank line */
	PETER_TEXT "\n" "-- PeterNeumann " PETER_SIG "\n",
	PETER_TEXT "\n" "\xe2\x80\x94PeterNeumann " PETER_SIG "\n",
	PETER_TEXT "\n" "\xe2\x80\x94  PeterNeumann " PETER_SIG "\n",
	PETER_TEXT "\n" "\xe2\x80\x94 PeterNeumann\n",
	PETER_TEXT "\n" "\xe2\x80\x94 PeterNeumann \n",
	PETER_TEXT "\n" "\xe2\x80\x94 PeterNeumann  " PETER_SIG "\n",
	PETER_TEXT "\n" "\xe2\x80\x94 PeterNeumann " PETER_SIG " \n",
	PETER_TEXT "\n" "\xe2\x80\x94 PeterNeumann AAAA\n", /* 3 bytes */
	PETER_TEXT "\n" "\xe2\x80\x94 PeterNeumann AAAAAA==\n", /* 4 bytes */
	PETER_TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJ!\n",
	PETER_TEXT "\n" "\xe2\x80\x94 Peter+Neumann " PETER_SIG "\n",
	PETER_TEXT "\n" "\xe2\x80\x94 Peter\xc2\xa0Neumann " PETER_SIG "\n",
	PETER_TEXT "\n" PETER_LINE "trailing\n",
	PETER_TEXT "\n" PETER_LINE "\xe2\x80\x94",
	"If you\tthink\n\n" PETER_LINE,			/* tab */
	"If you think\r\n\n" PETER_LINE,		/* CR */
	"If you \xff think\n\n" PETER_LINE,		/* bad UTF-8 */
	"If you \xc0\xaf think\n\n" PETER_LINE,		/* overlong */
	"If you \xed\xa0\x80 think\n\n" PETER_LINE,	/* surrogate */
	"If you \xf4\x90\x80\x80 think\n\n" PETER_LINE,	/* > U+10FFFF */
	"If you \xe2\x80 think\n\n" PETER_LINE,		/* truncated */
	PETER_TEXT "\n" "\xe2\x80\x94 PeterNeumann " PETER_SIG "\x7f\n",
	PETER_TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAN=\n",
};

START_TEST(test_note_open_rejects_malformed)
{
	struct ledger_vkey k[2];
	struct ledger_error err;
	const char *m = malformed_notes[_i];
	bool ok[2] = { true, true };
	size_t tl = 99;

	vkey(PETER_VKEY, &k[0]);
	vkey(ENOCH_VKEY, &k[1]);
	memset(&err, 0, sizeof(err));
	ck_assert_msg(ledger_note_open(m, strlen(m), k, 2, &tl, ok, &err) ==
	    LEDGER_EINVAL, "case %d: %s", _i, err.msg);
	ck_assert_msg(strncmp(err.msg, "malformed note: ", 16) == 0, "%s",
	    err.msg);
	ck_assert_uint_eq(tl, 0);
	ck_assert(!ok[0] && !ok[1]);
}
END_TEST

/* A NUL inside the note, which strlen would hide. */
START_TEST(test_note_open_rejects_nul)
{
	static const char m[] = "If you\0think\n\n" PETER_LINE;
	struct ledger_vkey k;
	struct ledger_error err;

	vkey(PETER_VKEY, &k);
	ck_assert_int_eq(open_note(m, sizeof(m) - 1, &k, 1, &err),
	    LEDGER_EINVAL);
	ck_assert_str_eq(err.msg,
	    "malformed note: a control character at byte 6");
}
END_TEST

static char *
repeat_sig(int n)
{
	size_t tl = strlen(PETER_TEXT), ll = strlen(PETER_LINE);
	char *m = malloc(tl + 1 + (size_t)n * ll + 1);
	int i;

	ck_assert_ptr_nonnull(m);
	memcpy(m, PETER_TEXT "\n", tl + 1);
	for (i = 0; i < n; i++)
		memcpy(m + tl + 1 + (size_t)i * ll, PETER_LINE, ll);
	m[tl + 1 + (size_t)n * ll] = '\0';
	return m;
}

START_TEST(test_note_open_signature_limit)
{
	struct ledger_vkey k;
	struct ledger_error err;
	char *m;

	vkey(PETER_VKEY, &k);
	m = repeat_sig(100);
	ck_assert_int_eq(open_note(m, strlen(m), &k, 1, &err), LEDGER_OK);
	free(m);
	m = repeat_sig(101);
	ck_assert_int_eq(open_note(m, strlen(m), &k, 1, &err), LEDGER_EINVAL);
	ck_assert_str_eq(err.msg, "malformed note: more than 100 signatures");
	free(m);
	/* unknown keys count too */
	m = repeat_sig(101);
	ck_assert_int_eq(open_note(m, strlen(m), NULL, 0, &err),
	    LEDGER_EINVAL);
	free(m);
}
END_TEST

START_TEST(test_note_open_rejects_oversize)
{
	struct ledger_vkey k;
	struct ledger_error err;
	size_t n = LEDGER_NOTE_MAX_BYTES + 1, tl = strlen(PETER_LINE);
	char *m = malloc(n);

	ck_assert_ptr_nonnull(m);
	vkey(PETER_VKEY, &k);
	memset(m, 'a', n);
	m[n - tl - 2] = '\n';
	m[n - tl - 1] = '\n';
	memcpy(m + n - tl, PETER_LINE, tl);
	ck_assert_int_eq(open_note(m, n, &k, 1, &err), LEDGER_EINVAL);
	ck_assert_str_eq(err.msg, "malformed note: longer than 1048576 bytes");
	free(m);
}
END_TEST

/* c2sp.org/signed-note: ignore unknown keys "even if they share a name or
 * ID (but not both) with a known key"; a known key's bad signature fails
 * the whole note. */
START_TEST(test_note_open_signature_rules)
{
	struct ledger_vkey k[3];
	struct ledger_error err;
	uint8_t raw[68];
	char b64[100], *m;
	bool ok[3];
	size_t tl;
	static const char both[] = PETER_TEXT "\n" ENOCH_LINE PETER_LINE;
	static const char same_id_other_name[] = PETER_TEXT "\n"
	    "\xe2\x80\x94 PeterNeumanx " PETER_SIG "\n";

	vkey(PETER_VKEY, &k[0]);
	vkey(ENOCH_VKEY, &k[1]);

	/* Order of signatures does not matter; verified flags per key. */
	ck_assert_int_eq(ledger_note_open(both, strlen(both), k, 2, &tl, ok,
	    &err), LEDGER_OK);
	ck_assert(ok[0] && ok[1]);
	ck_assert_uint_eq(tl, strlen(PETER_TEXT));
	ck_assert_int_eq(ledger_note_open(both, strlen(both), &k[1], 1, NULL,
	    NULL, &err), LEDGER_OK);

	/* Same ID, other name: an unknown key, ignored. */
	ck_assert_int_eq(open_note(same_id_other_name,
	    strlen(same_id_other_name), k, 1, &err), LEDGER_ECRYPTO);
	ck_assert(strstr(err.msg, "no verifiable") != NULL);

	/* Same name, other ID: ignored too; with the real one it verifies. */
	ck_assert_uint_eq(unb64(PETER_SIG, strlen(PETER_SIG), raw, 68), 68);
	raw[3] ^= 0x01;
	sodium_bin2base64(b64, sizeof(b64), raw, 68,
	    sodium_base64_VARIANT_ORIGINAL);
	m = malloc(1024);
	ck_assert_ptr_nonnull(m);
	snprintf(m, 1024, "%s\n\xe2\x80\x94 PeterNeumann %s\n%s", PETER_TEXT,
	    b64, PETER_LINE);
	ck_assert_int_eq(open_note(m, strlen(m), k, 1, &err), LEDGER_OK);

	/* A known key's bad signature fails the note, even beside a good one
	 * (Go would skip a second line by the same key; we check it). */
	raw[3] ^= 0x01;
	raw[40] ^= 0x01;
	sodium_bin2base64(b64, sizeof(b64), raw, 68,
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(m, 1024, "%s\n%s\xe2\x80\x94 PeterNeumann %s\n", PETER_TEXT,
	    PETER_LINE, b64);
	ck_assert_int_eq(open_note(m, strlen(m), k, 2, &err), LEDGER_ECRYPTO);
	ck_assert_str_eq(err.msg,
	    "invalid signature for key 'PeterNeumann+c74f20a3'");

	/* A known key's signature of the wrong length. */
	raw[40] ^= 0x01;
	sodium_bin2base64(b64, sizeof(b64), raw, 67,
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(m, 1024, "%s\n\xe2\x80\x94 PeterNeumann %s\n", PETER_TEXT,
	    b64);
	ck_assert_int_eq(open_note(m, strlen(m), k, 1, &err), LEDGER_ECRYPTO);

	/* The same key listed twice is fine; two keys with one name and ID
	 * but different public keys are a configuration error. */
	k[2] = k[0];
	ck_assert_int_eq(ledger_note_open(both, strlen(both), k, 3, &tl, ok,
	    &err), LEDGER_OK);
	ck_assert(ok[0] && ok[1] && ok[2]);
	k[2].pub[0] ^= 1;
	ck_assert_int_eq(open_note(both, strlen(both), k, 3, &err),
	    LEDGER_EINVAL);
	ck_assert(strstr(err.msg, "ambiguous") != NULL);

	/* NULL arguments */
	ck_assert_int_eq(open_note(NULL, 0, k, 1, &err), LEDGER_EINVAL);
	ck_assert_int_eq(open_note(both, strlen(both), NULL, 1, &err),
	    LEDGER_EINVAL);
	free(m);
}
END_TEST

/* ---- signing ---- */

static const struct {
	const char *text;
	size_t len;	/* 0: strlen */
} bad_texts[] = {
	{ "", 0 },
	{ "no newline", 0 },
	{ "tab\there\n", 0 },
	{ "cr\r\n", 0 },
	{ "nul\0here\n", 9 },
	{ "bad \xff utf8\n", 0 },
	{ "overlong \xc0\xaf\n", 0 },
	{ "surrogate \xed\xa0\x80\n", 0 },
	{ "\xe2\x80\x94 starts with the signature prefix\n", 0 },
	{ "ok\n\xe2\x80\x94 a later line with the prefix\n", 0 },
	{ "ok\n\n\xe2\x80\x94 after a blank line\n", 0 },
	{ "\x1b[31mescape\n", 0 },
};

START_TEST(test_note_sign_rejects_bad_text)
{
	struct ledger_buf out = LEDGER_BUF_INIT;
	struct ledger_vkey k;
	struct ledger_error err;
	uint8_t sk[64];
	size_t len = bad_texts[_i].len ? bad_texts[_i].len :
	    strlen(bad_texts[_i].text);

	skey(PETER_SKEY, &k, sk);
	ck_assert_int_eq(ledger_buf_adds(&out, "keep"), LEDGER_OK);
	memset(&err, 0, sizeof(err));
	ck_assert_msg(ledger_note_sign(bad_texts[_i].text, len, &k, sk, &out,
	    &err) == LEDGER_EINVAL, "case %d", _i);
	ck_assert(strncmp(err.msg, "note text ", 10) == 0);
	ck_assert_int_eq(ledger_note_text_check(bad_texts[_i].text, len, NULL),
	    LEDGER_EINVAL);
	ck_assert_str_eq(out.data, "keep");
	ck_assert_uint_eq(out.len, 4);
	sodium_memzero(sk, sizeof(sk));
	ledger_buf_release(&out);
}
END_TEST

START_TEST(test_note_sign_rejects_bad_keys)
{
	struct ledger_buf out = LEDGER_BUF_INIT;
	struct ledger_vkey k, e;
	struct ledger_error err;
	uint8_t sk[64], esk[64];
	char *big;

	skey(PETER_SKEY, &k, sk);
	ck_assert_int_eq(ledger_note_key_generate("EnochRoot", &e, esk, &err),
	    LEDGER_OK);
	/* secret key of another public key */
	ck_assert_int_eq(ledger_note_sign(PETER_TEXT, strlen(PETER_TEXT), &k,
	    esk, &out, &err), LEDGER_EINVAL);
	ck_assert(strstr(err.msg, "does not match") != NULL);
	/* a secret key whose public half was tampered with */
	memcpy(esk, sk, 64);
	esk[63] ^= 1;
	ck_assert_int_eq(ledger_note_sign(PETER_TEXT, strlen(PETER_TEXT), &k,
	    esk, &out, &err), LEDGER_EINVAL);
	/* wrong key ID */
	e = k;
	e.id ^= 1;
	ck_assert_int_eq(ledger_note_sign(PETER_TEXT, strlen(PETER_TEXT), &e,
	    sk, &out, &err), LEDGER_EINVAL);
	/* bad names */
	e = k;
	strcpy(e.name, "Peter Neumann");
	e.id = ledger_note_key_id(e.name, e.pub);
	ck_assert_int_eq(ledger_note_sign(PETER_TEXT, strlen(PETER_TEXT), &e,
	    sk, &out, &err), LEDGER_EINVAL);
	strcpy(e.name, "");
	ck_assert_int_eq(ledger_note_sign(PETER_TEXT, strlen(PETER_TEXT), &e,
	    sk, &out, &err), LEDGER_EINVAL);
	/* NULLs */
	ck_assert_int_eq(ledger_note_sign(PETER_TEXT, strlen(PETER_TEXT), NULL,
	    sk, &out, &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_sign(PETER_TEXT, strlen(PETER_TEXT), &k,
	    NULL, &out, &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_sign(PETER_TEXT, strlen(PETER_TEXT), &k,
	    sk, NULL, &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_sign(NULL, 3, &k, sk, &out, &err),
	    LEDGER_EINVAL);
	/* too large */
	big = malloc(LEDGER_NOTE_MAX_BYTES + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', LEDGER_NOTE_MAX_BYTES + 1);
	big[LEDGER_NOTE_MAX_BYTES] = '\n';
	ck_assert_int_eq(ledger_note_sign(big, LEDGER_NOTE_MAX_BYTES + 1, &k,
	    sk, &out, &err), LEDGER_EINVAL);
	ck_assert_uint_eq(out.len, 0);
	free(big);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(esk, sizeof(esk));
	ledger_buf_release(&out);
}
END_TEST

START_TEST(test_note_generated_key_round_trip)
{
	struct ledger_buf out = LEDGER_BUF_INIT;
	struct ledger_vkey k, k2, v;
	struct ledger_error err;
	uint8_t sk[64], sk2[64];
	char vk[LEDGER_NOTE_VKEY_SIZE], sks[LEDGER_NOTE_SKEY_SIZE];
	/* blank lines and an em dash that does not start a line */
	static const char text[] = "ledger.example/prod\n\nline \xe2\x80\x94 "
	    "dash\n\xc3\xa9t\xc3\xa9\n";
	size_t tl;
	bool ok;

	ck_assert_int_eq(ledger_note_key_generate("ledger.example/prod", &k,
	    sk, &err), LEDGER_OK);
	ck_assert_int_eq(ledger_note_vkey_format(&k, vk, &err), LEDGER_OK);
	ck_assert_int_eq(ledger_note_skey_format(&k, sk, sks, &err),
	    LEDGER_OK);
	ck_assert(strncmp(sks, "PRIVATE+KEY+ledger.example/prod+", 32) == 0);
	vkey(vk, &v);
	ck_assert(memcmp(&v, &k, sizeof(k)) == 0);
	skey(sks, &k2, sk2);
	ck_assert(memcmp(&k2, &k, sizeof(k)) == 0);
	ck_assert(memcmp(sk2, sk, 64) == 0);
	sodium_memzero(sks, sizeof(sks));

	ck_assert_int_eq(ledger_note_sign(text, strlen(text), &k2, sk2, &out,
	    &err), LEDGER_OK);
	ck_assert_int_eq(ledger_note_open(out.data, out.len, &v, 1, &tl, &ok,
	    &err), LEDGER_OK);
	ck_assert(ok);
	ck_assert_uint_eq(tl, strlen(text));
	ck_assert(memcmp(out.data, text, tl) == 0);
	/* A second key pair does not verify it. */
	ck_assert_int_eq(ledger_note_key_generate("ledger.example/prod", &k2,
	    sk2, &err), LEDGER_OK);
	ck_assert(memcmp(k2.pub, k.pub, 32) != 0);
	ck_assert_int_eq(open_note(out.data, out.len, &k2, 1, &err),
	    LEDGER_ECRYPTO);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(sk2, sizeof(sk2));
	ledger_buf_release(&out);
}
END_TEST

START_TEST(test_note_key_functions_reject_bad_arguments)
{
	struct ledger_vkey k;
	struct ledger_error err;
	uint8_t sk[64], seed[32] = { 1 }, zero[64] = { 0 };
	char vk[LEDGER_NOTE_VKEY_SIZE], sks[LEDGER_NOTE_SKEY_SIZE];
	char name[300];

	memset(name, 'n', sizeof(name));
	name[256] = '\0';
	memset(sk, 0xaa, sizeof(sk));
	ck_assert_int_eq(ledger_note_key_from_seed(name, seed, &k, sk, &err),
	    LEDGER_EINVAL);
	ck_assert(memcmp(sk, zero, 64) == 0);
	name[255] = '\0';
	ck_assert_int_eq(ledger_note_key_from_seed(name, seed, &k, sk, &err),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_note_vkey_format(&k, vk, &err), LEDGER_OK);
	ck_assert_uint_eq(strlen(vk), 255 + 1 + 8 + 1 + 44);
	ck_assert_int_eq(ledger_note_skey_format(&k, sk, sks, &err),
	    LEDGER_OK);
	ck_assert_uint_eq(strlen(sks), 12 + 255 + 1 + 8 + 1 + 44);
	ck_assert_int_eq(ledger_note_key_from_seed("a b", seed, &k, sk, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_key_from_seed("a+b", seed, &k, sk, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_key_from_seed("", seed, &k, sk, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_key_from_seed(NULL, seed, &k, sk, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_key_from_seed("a", NULL, &k, sk, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_key_from_seed("a", seed, NULL, sk, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_key_from_seed("a", seed, &k, NULL, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_key_generate("\n", &k, sk, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_vkey_parse(NULL, 0, &k, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_vkey_parse(PETER_VKEY, strlen(PETER_VKEY),
	    NULL, &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_skey_parse(NULL, 0, &k, sk, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_skey_parse(PETER_SKEY, strlen(PETER_SKEY),
	    &k, NULL, &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_note_vkey_format(NULL, vk, &err),
	    LEDGER_EINVAL);
	/* skey_format refuses a secret key that is not the key's */
	ck_assert_int_eq(ledger_note_key_from_seed("a", seed, &k, sk, &err),
	    LEDGER_OK);
	sk[0] ^= 1;
	ck_assert_int_eq(ledger_note_skey_format(&k, sk, sks, &err),
	    LEDGER_EINVAL);
	ck_assert_str_eq(sks, "");
	ck_assert_int_eq(ledger_note_name_check("ok/name", 7, &err), LEDGER_OK);
	ck_assert_int_eq(ledger_note_name_check(NULL, 0, &err), LEDGER_EINVAL);
	sodium_memzero(sk, sizeof(sk));
}
END_TEST

/* ---- checkpoint text ---- */

#define EMPTY_B64 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

static const char *const bad_checkpoints[] = {
	"",
	"origin",
	"origin\n",
	"origin\n1",
	"origin\n1\n",
	"origin\n1\n" EMPTY_B64,			/* no final newline */
	"\n1\n" EMPTY_B64 "\n",				/* empty origin */
	"ori\tgin\n1\n" EMPTY_B64 "\n",
	"ori\xffgin\n1\n" EMPTY_B64 "\n",
	"origin\n\n" EMPTY_B64 "\n",			/* empty size */
	"origin\n01\n" EMPTY_B64 "\n",
	"origin\n00\n" EMPTY_B64 "\n",
	"origin\n-1\n" EMPTY_B64 "\n",
	"origin\n+1\n" EMPTY_B64 "\n",
	"origin\n 1\n" EMPTY_B64 "\n",
	"origin\n1 \n" EMPTY_B64 "\n",
	"origin\n1.0\n" EMPTY_B64 "\n",
	"origin\n0x10\n" EMPTY_B64 "\n",
	"origin\n1e3\n" EMPTY_B64 "\n",
	"origin\n9223372036854775808\n" EMPTY_B64 "\n",	/* 2^63 */
	"origin\n18446744073709551616\n" EMPTY_B64 "\n",
	"origin\n99999999999999999999999\n" EMPTY_B64 "\n",
	"origin\n1\n\n",				/* empty root */
	"origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF\n",
	"origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n",
	"origin\n1\n47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=\n",
	"origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n",
	"origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuA==\n", /* 31 */
	"origin\n1\n" EMPTY_B64 " \n",
	"origin\n1\n " EMPTY_B64 "\n",
	"origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFUAAAA=\n",
	"origin\n1\n" EMPTY_B64 "\n\n",			/* empty extension */
	"origin\n1\n" EMPTY_B64 "\next\n\n",
	"origin\n1\n" EMPTY_B64 "\next\n\nmore\n",
	"origin\n1\n" EMPTY_B64 "\nunterminated",
	"origin\n1\n" EMPTY_B64 "\nbad\x01" "ext\n",
	"origin\n1\n" EMPTY_B64 "\nbad\xc3" "ext\n",
};

START_TEST(test_checkpoint_parse_rejects)
{
	const char *t = bad_checkpoints[_i];
	struct ledger_checkpoint c;
	struct ledger_error err;
	uint8_t zero[H] = { 0 };

	memset(&c, 0xaa, sizeof(c));
	memset(&err, 0, sizeof(err));
	ck_assert_msg(ledger_checkpoint_parse(t, strlen(t), &c, &err) ==
	    LEDGER_EINVAL, "case %d accepted", _i);
	ck_assert(strncmp(err.msg, "checkpoint", 10) == 0);
	ck_assert_ptr_null(c.origin);
	ck_assert_uint_eq(c.size, 0);
	ck_assert(memcmp(c.root, zero, H) == 0);
}
END_TEST

START_TEST(test_checkpoint_format_and_parse_round_trip)
{
	static const char ext[] = "extension one\n\xe2\x80\x94 two\n";
	struct ledger_buf out = LEDGER_BUF_INIT, out2 = LEDGER_BUF_INIT;
	struct ledger_checkpoint c, p;
	struct ledger_vkey k, v;
	struct ledger_error err;
	uint8_t sk[64], seed[32];
	uint64_t sizes[] = { 0, 1, 9, 10, 123456789012ULL, INT64_MAX };
	size_t i;
	bool ok;

	memset(&c, 0, sizeof(c));
	c.origin = "example.com/log with spaces";
	c.origin_len = strlen(c.origin);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ledger_buf_reset(&out);
		c.size = sizes[i];
		memset(c.root, (int)i, H);
		c.ext = i % 2 ? ext : NULL;
		c.ext_len = i % 2 ? strlen(ext) : 0;
		ck_assert_int_eq(ledger_checkpoint_format(&c, &out, &err),
		    LEDGER_OK);
		ck_assert_int_eq(ledger_checkpoint_parse(out.data, out.len, &p,
		    &err), LEDGER_OK);
		ck_assert_uint_eq(p.size, c.size);
		ck_assert(memcmp(p.root, c.root, H) == 0);
		ck_assert_uint_eq(p.origin_len, c.origin_len);
		ck_assert(memcmp(p.origin, c.origin, c.origin_len) == 0);
		ck_assert_uint_eq(p.ext_len, c.ext_len);
		if (c.ext_len > 0)
			ck_assert(memcmp(p.ext, ext, c.ext_len) == 0);
	}
	ck_assert(strstr(out.data, "\n9223372036854775807\n") != NULL);

	/* Extension lines survive signing and opening, though the signer
	 * refuses one starting with "— " (see note.h). */
	memset(seed, 7, sizeof(seed));
	ck_assert_int_eq(ledger_note_key_from_seed("example.com/log", seed,
	    &k, sk, &err), LEDGER_OK);
	v = k;
	ck_assert_int_eq(ledger_note_sign(out.data, out.len, &k, sk, &out2,
	    &err), LEDGER_EINVAL);
	c.ext = "one\ntwo\n";
	c.ext_len = 8;
	ledger_buf_reset(&out);
	ck_assert_int_eq(ledger_checkpoint_format(&c, &out, &err), LEDGER_OK);
	ck_assert_int_eq(ledger_note_sign(out.data, out.len, &k, sk, &out2,
	    &err), LEDGER_OK);
	ck_assert_int_eq(ledger_checkpoint_open(out2.data, out2.len, &v, 1, &p,
	    &ok, &err), LEDGER_OK);
	ck_assert_uint_eq(p.ext_len, 8);
	ck_assert(memcmp(p.ext, "one\ntwo\n", 8) == 0);
	ck_assert(p.ext >= out2.data && p.ext < out2.data + out2.len);

	/* format refuses what parse would refuse; out stays as it was */
	ledger_buf_reset(&out);
	ck_assert_int_eq(ledger_buf_adds(&out, "keep"), LEDGER_OK);
	p = c;
	p.origin_len = 0;
	ck_assert_int_eq(ledger_checkpoint_format(&p, &out, &err),
	    LEDGER_EINVAL);
	p = c;
	p.origin = "two\nlines";
	p.origin_len = 9;
	ck_assert_int_eq(ledger_checkpoint_format(&p, &out, &err),
	    LEDGER_EINVAL);
	p = c;
	p.size = (uint64_t)INT64_MAX + 1;
	ck_assert_int_eq(ledger_checkpoint_format(&p, &out, &err),
	    LEDGER_EINVAL);
	p = c;
	p.ext = "no newline";
	p.ext_len = 10;
	ck_assert_int_eq(ledger_checkpoint_format(&p, &out, &err),
	    LEDGER_EINVAL);
	p.ext = "a\n\nb\n";
	p.ext_len = 5;
	ck_assert_int_eq(ledger_checkpoint_format(&p, &out, &err),
	    LEDGER_EINVAL);
	p.ext = NULL;
	ck_assert_int_eq(ledger_checkpoint_format(&p, &out, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_checkpoint_format(NULL, &out, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_checkpoint_parse(NULL, 0, &p, &err),
	    LEDGER_EINVAL);
	ck_assert_str_eq(out.data, "keep");
	sodium_memzero(sk, sizeof(sk));
	ledger_buf_release(&out);
	ledger_buf_release(&out2);
}
END_TEST

static Suite *
note_suite(void)
{
	Suite *s = suite_create("note");
	TCase *tc;

	tc = tcase_create("keys");
	tcase_add_test(tc, test_note_key_ids_recomputed);
	tcase_add_loop_test(tc, test_note_bad_vkeys_from_go_rejected, 0, 3);
	tcase_add_loop_test(tc, test_note_vkey_parse_rejects, 0,
	    (int)(sizeof(bad_vkeys) / sizeof(bad_vkeys[0])));
	tcase_add_test(tc, test_note_vkey_parse_accepts_go_forms);
	tcase_add_test(tc, test_note_skey_parse_derives_keypair);
	tcase_add_loop_test(tc, test_note_skey_parse_rejects, 0,
	    (int)(sizeof(bad_skeys) / sizeof(bad_skeys[0])));
	tcase_add_loop_test(tc, test_note_ed25519_rfc8032_kat, 0, 2);
	tcase_add_test(tc, test_note_key_functions_reject_bad_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("vectors");
	tcase_add_loop_test(tc, test_note_x_mod_vectors, 0, 12);
	tcase_add_test(tc, test_note_peter_signature_reproduced);
	tcase_add_test(tc, test_note_c2sp_examples);
	tcase_add_loop_test(tc, test_checkpoint_tessera_resigned_byte_for_byte,
	    0, 16);
	tcase_add_test(tc, test_checkpoint_sigsum_verifies);
	tcase_add_loop_test(tc, test_checkpoint_rekor_v2_verifies, 0, 2);
	tcase_add_test(tc, test_checkpoint_unverifiable_examples_parse);
	tcase_add_test(tc, test_checkpoint_sumdb_tree_note_parses);
	suite_add_tcase(s, tc);

	tc = tcase_create("forgery");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_note_signature_forgery_rejected, 0, 2);
	tcase_add_loop_test(tc, test_checkpoint_size_and_root_forgery_rejected,
	    1, 16);
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_note_open_rejects_malformed, 0,
	    (int)(sizeof(malformed_notes) / sizeof(malformed_notes[0])));
	tcase_add_test(tc, test_note_open_rejects_nul);
	tcase_add_test(tc, test_note_open_signature_limit);
	tcase_add_test(tc, test_note_open_rejects_oversize);
	tcase_add_test(tc, test_note_open_signature_rules);
	suite_add_tcase(s, tc);

	tc = tcase_create("sign");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_note_sign_rejects_bad_text, 0,
	    (int)(sizeof(bad_texts) / sizeof(bad_texts[0])));
	tcase_add_test(tc, test_note_sign_rejects_bad_keys);
	tcase_add_test(tc, test_note_generated_key_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("checkpoint");
	tcase_add_loop_test(tc, test_checkpoint_parse_rejects, 0,
	    (int)(sizeof(bad_checkpoints) / sizeof(bad_checkpoints[0])));
	tcase_add_test(tc, test_checkpoint_format_and_parse_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	vectors = getenv("LEDGER_VECTORS");
	if (vectors == NULL || *vectors == '\0') {
		fprintf(stderr, "test-note: LEDGER_VECTORS not set, skipping\n");
		return 77;
	}
	if (sodium_init() < 0)
		return 99;
	sr = srunner_create(note_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
