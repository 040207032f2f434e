/* test-keys.c - Ed25519 known answers, key files, key lines, signatures */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <sodium.h>

#include "ledger/keys.h"
#include "testutil.h"

static char dir[4096], kpath[4200], ppath[4200];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "%s", tu_mkdtemp());
	snprintf(kpath, sizeof(kpath), "%s/ledger.key", dir);
	snprintf(ppath, sizeof(ppath), "%s/ledger.pub", dir);
}

static void
teardown(void)
{
	tu_rmtree(dir);
}

static void
unhex(const char *h, uint8_t *out, size_t n)
{
	ck_assert_int_eq(ledger_unhex(h, out, n, NULL), LEDGER_OK);
}

/* RFC 8032 section 7.1 TEST 1 and TEST 2, as quoted in
 * ../shared/payloads/test-vectors.md (#9, #10). */
static const struct {
	const char *seed, *pub, *msg, *sig;
} rfc8032[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	  "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
};

START_TEST(test_keys_rfc8032_known_answers)
{
	uint8_t seed[32], pub[32], sk[64], want_pub[32], sig[64], want_sig[64];
	uint8_t msg[8];
	size_t mlen = strlen(rfc8032[_i].msg) / 2;
	int j;

	unhex(rfc8032[_i].seed, seed, 32);
	unhex(rfc8032[_i].pub, want_pub, 32);
	unhex(rfc8032[_i].sig, want_sig, 64);
	if (mlen > 0)
		unhex(rfc8032[_i].msg, msg, mlen);
	crypto_sign_seed_keypair(pub, sk, seed);
	ck_assert_mem_eq(pub, want_pub, 32);
	crypto_sign_detached(sig, NULL, msg, mlen, sk);
	ck_assert_mem_eq(sig, want_sig, 64);
	ck_assert_int_eq(crypto_sign_verify_detached(sig, msg, mlen, pub), 0);
	/* Forgery loop: every flipped byte of the signature is rejected. */
	for (j = 0; j < 64; j++) {
		sig[j] ^= 0x01;
		ck_assert_int_ne(crypto_sign_verify_detached(sig, msg, mlen,
		    pub), 0);
		sig[j] ^= 0x01;
	}
}
END_TEST

START_TEST(test_keys_vkey_parse_vectors)
{
	/* C2SP signed-note and x/mod/sumdb/note example keys. */
	static const struct { const char *line, *name; uint32_t id; } v[] = {
		{ "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANY"
		  "crnKv3U2k", "example.com/foo", 0x530d903a },
		{ "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4iz"
		  "Wy10TW", "PeterNeumann", 0xc74f20a3 },
		{ "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLW"
		  "dop", "EnochRoot", 0xaf0cfe78 },
	};
	struct ledger_vkey vk;
	char *line;
	size_t i;

	/* Upper-case hex key ids are accepted, as Go's note package does. */
	ck_assert_int_eq(ledger_vkey_parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQ"
	    "egwxbzhKqiBfsVkmqq/LDE4izWy10TW", &vk, NULL), LEDGER_OK);
	ck_assert_uint_eq(vk.id, 0xc74f20a3);
	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		ck_assert_int_eq(ledger_vkey_parse(v[i].line, &vk, NULL),
		    LEDGER_OK);
		ck_assert_str_eq(vk.name, v[i].name);
		ck_assert_uint_eq(vk.id, v[i].id);
		ck_assert_int_eq(ledger_vkey_format(&vk, &line, NULL),
		    LEDGER_OK);
		ck_assert_str_eq(line, v[i].line);
		free(line);
	}
}
END_TEST

static const char *const bad_vkeys[] = {
	"",
	"PeterNeumann",
	"PeterNeumann+c74f20a3",
	/* wrong key id */
	"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	/* wrong name for the key id */
	"PeterNeumanm+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	/* algorithm 2 */
	"PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	/* truncated key */
	"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",
	/* not base64 */
	"PeterNeumann+c74f20a3+!Rpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	/* space in the name */
	"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	/* short hash */
	"PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
};

START_TEST(test_keys_vkey_parse_rejects)
{
	struct ledger_vkey vk;
	struct ledger_error err;

	ck_assert_int_eq(ledger_vkey_parse(bad_vkeys[_i], &vk, &err),
	    LEDGER_EINVAL);
	ck_assert_int_gt(strlen(err.msg), 0);
}
END_TEST

START_TEST(test_keys_generate_load_sign)
{
	struct ledger_key *k;
	struct ledger_vkey *vks;
	size_t n;
	struct stat sb;
	uint8_t leaf[32], sig[64];
	int j;

	ck_assert_int_eq(ledger_key_generate(kpath, ppath, "example.com/log",
	    NULL), LEDGER_OK);
	ck_assert_int_eq(stat(kpath, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(ledger_key_load(kpath, &k, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_vkey_load_file(ppath, &vks, &n, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(vks[0].name, "example.com/log");
	ck_assert_uint_eq(vks[0].id, ledger_key_vkey(k)->id);
	ck_assert_mem_eq(vks[0].pub, ledger_key_vkey(k)->pub, 32);
	memset(leaf, 7, sizeof(leaf));
	ledger_key_sign_leaf(k, leaf, sig);
	ck_assert(ledger_vkey_verify_leaf(&vks[0], leaf, sig));
	/* Forgery loops over the signature and the leaf. */
	for (j = 0; j < 64; j++) {
		sig[j] ^= 0x80;
		ck_assert(!ledger_vkey_verify_leaf(&vks[0], leaf, sig));
		sig[j] ^= 0x80;
	}
	for (j = 0; j < 32; j++) {
		leaf[j] ^= 0x01;
		ck_assert(!ledger_vkey_verify_leaf(&vks[0], leaf, sig));
		leaf[j] ^= 0x01;
	}
	/* The signature is over the domain-separated message only. */
	{
		uint8_t msg[17 + 32];

		memcpy(msg, "ledgerd/entry/v1\n", 17);
		memcpy(msg + 17, leaf, 32);
		ck_assert_int_eq(crypto_sign_verify_detached(sig, msg,
		    sizeof(msg), vks[0].pub), 0);
	}
	free(vks);
	ledger_key_free(k);
}
END_TEST

START_TEST(test_keys_never_overwrites)
{
	struct ledger_error err;
	char *before, *after;

	ck_assert_int_eq(ledger_key_generate(kpath, ppath, "a", NULL),
	    LEDGER_OK);
	before = tu_slurp(kpath, NULL);
	ck_assert_int_eq(ledger_key_generate(kpath, ppath, "a", &err),
	    LEDGER_EEXIST);
	after = tu_slurp(kpath, NULL);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_keys_refuses_readable_key)
{
	struct ledger_key *k = NULL;
	struct ledger_error err;

	ck_assert_int_eq(ledger_key_generate(kpath, ppath, "a", NULL),
	    LEDGER_OK);
	ck_assert_int_eq(chmod(kpath, 0640), 0);
	ck_assert_int_eq(ledger_key_load(kpath, &k, &err), LEDGER_EPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "readable by group or others"));
	ck_assert_int_eq(chmod(kpath, 0604), 0);
	ck_assert_int_eq(ledger_key_load(kpath, &k, &err), LEDGER_EPERM);
	ck_assert_ptr_null(k);
}
END_TEST

START_TEST(test_keys_refuses_symlink_and_garbage)
{
	struct ledger_key *k = NULL;
	struct ledger_error err;
	char link[4300];
	int fd;

	ck_assert_int_eq(ledger_key_generate(kpath, ppath, "a", NULL),
	    LEDGER_OK);
	snprintf(link, sizeof(link), "%s/link.key", dir);
	ck_assert_int_eq(symlink(kpath, link), 0);
	ck_assert_int_ne(ledger_key_load(link, &k, &err), LEDGER_OK);
	snprintf(link, sizeof(link), "%s/garbage.key", dir);
	fd = open(link, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "PRIVATE+KEY+a+00000000+AAAA\n", 28), 28);
	close(fd);
	ck_assert_int_eq(ledger_key_load(link, &k, &err), LEDGER_EINVAL);
	/* a public key line is not a private key */
	ck_assert_int_eq(ledger_key_load(ppath, &k, &err), LEDGER_EPERM);
	ck_assert_int_eq(ledger_key_load("/nonexistent/k", &k, &err),
	    LEDGER_ENOTFOUND);
	ck_assert_ptr_null(k);
}
END_TEST

START_TEST(test_keys_loads_go_note_private_key)
{
	/* The x/mod/sumdb/note test key, in the same file format. */
	static const char line[] = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALV"
	    "FGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n";
	struct ledger_key *k;
	char *vk;
	int fd;

	fd = open(kpath, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
	ck_assert_int_eq(ledger_key_load(kpath, &k, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_vkey_format(ledger_key_vkey(k), &vk, NULL),
	    LEDGER_OK);
	ck_assert_str_eq(vk, "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBf"
	    "sVkmqq/LDE4izWy10TW");
	free(vk);
	ledger_key_free(k);
}
END_TEST

START_TEST(test_keys_bad_names)
{
	struct ledger_error err;

	ck_assert_int_eq(ledger_key_generate(kpath, ppath, "", &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_key_generate(kpath, ppath, "a b", &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_key_generate(kpath, ppath, "a+b", &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(access(kpath, F_OK), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("keys");
	TCase *tc;

	if (sodium_init() < 0)
		return EXIT_FAILURE;
	tc = tcase_create("kat");
	tcase_add_loop_test(tc, test_keys_rfc8032_known_answers, 0, 2);
	tcase_add_test(tc, test_keys_vkey_parse_vectors);
	tcase_add_loop_test(tc, test_keys_vkey_parse_rejects, 0,
	    (int)(sizeof(bad_vkeys) / sizeof(*bad_vkeys)));
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_keys_generate_load_sign);
	tcase_add_test(tc, test_keys_never_overwrites);
	tcase_add_test(tc, test_keys_refuses_readable_key);
	tcase_add_test(tc, test_keys_refuses_symlink_and_garbage);
	tcase_add_test(tc, test_keys_loads_go_note_private_key);
	tcase_add_test(tc, test_keys_bad_names);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
