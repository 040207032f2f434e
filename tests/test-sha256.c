/*
 * test-sha256.c - lib/sha256.c on both compression paths
 *
 * Each test runs twice (the loop index): once on the portable function,
 * once on the detected one (SHA-NI where the CPU has it).  Known answers:
 * FIPS 180-4 examples, the one-million-'a' vector, RFC 4231 HMAC cases
 * (including keys longer than a block), GitHub's and Standard Webhooks'
 * published signatures (../shared/payloads/test-vectors.md); then
 * libsodium agrees on every length 0..1100 and on random splits of the
 * input across update calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <sodium.h>

#include "sha256.h"

static void
hex(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, n * 2 + 1, p, n);
}

static void
use_path(int i)
{
	ledger_sha256_use_hw(i == 1);
	if (i == 1)
		fprintf(stderr, "sha256 path: %s\n", ledger_sha256_impl());
}

START_TEST(test_sha256_known_answers)
{
	static const struct {
		const char *msg;
		const char *want;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
		  "7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff"
		  "61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419"
		  "db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijk"
		  "lmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037a"
		  "fee9d1" },
	};
	uint8_t h[32];
	char got[65];
	size_t i;

	use_path(_i);
	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		ledger_sha256(v[i].msg, strlen(v[i].msg), h);
		hex(h, 32, got);
		ck_assert_str_eq(got, v[i].want);
	}
}
END_TEST

START_TEST(test_sha256_million_a)
{
	struct ledger_sha256 c;
	uint8_t block[1000], h[32];
	char got[65];
	int i;

	use_path(_i);
	memset(block, 'a', sizeof(block));
	ledger_sha256_init(&c);
	for (i = 0; i < 1000; i++)
		ledger_sha256_update(&c, block, sizeof(block));
	ledger_sha256_final(&c, h);
	hex(h, 32, got);
	ck_assert_str_eq(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e"
	    "046d39ccc7112cd0");
}
END_TEST

START_TEST(test_hmac_sha256_known_answers)
{
	struct ledger_hmac_sha256 c;
	uint8_t key[131], data[152], h[32], sk[32];
	char got[65];
	size_t sklen;

	use_path(_i);
	/* RFC 4231 case 1 */
	memset(key, 0x0b, 20);
	ledger_hmac_sha256_init(&c, key, 20);
	ledger_hmac_sha256_update(&c, "Hi There", 8);
	ledger_hmac_sha256_final(&c, h);
	hex(h, 32, got);
	ck_assert_str_eq(got, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da7"
	    "26e9376c2e32cff7");
	/* case 2: a short key */
	ledger_hmac_sha256_init(&c, "Jefe", 4);
	ledger_hmac_sha256_update(&c, "what do ya want ", 16);
	ledger_hmac_sha256_update(&c, "for nothing?", 12);
	ledger_hmac_sha256_final(&c, h);
	hex(h, 32, got);
	ck_assert_str_eq(got, "5bdcc146bf60754e6a042426089575c75a003f089d273983"
	    "9dec58b964ec3843");
	/* case 3 */
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	ledger_hmac_sha256_init(&c, key, 20);
	ledger_hmac_sha256_update(&c, data, 50);
	ledger_hmac_sha256_final(&c, h);
	hex(h, 32, got);
	ck_assert_str_eq(got, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122"
	    "d9635514ced565fe");
	/* case 6: a key longer than a block is hashed first */
	memset(key, 0xaa, 131);
	ledger_hmac_sha256_init(&c, key, 131);
	ledger_hmac_sha256_update(&c, "Test Using Larger Than Block-Size Key "
	    "- Hash Key First", 54);
	ledger_hmac_sha256_final(&c, h);
	hex(h, 32, got);
	ck_assert_str_eq(got, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c514"
	    "0546040f0ee37f54");
	/* GitHub's documented X-Hub-Signature-256 example */
	ledger_hmac_sha256_init(&c, "It's a Secret to Everybody", 26);
	ledger_hmac_sha256_update(&c, "Hello, World!", 13);
	ledger_hmac_sha256_final(&c, h);
	hex(h, 32, got);
	ck_assert_str_eq(got, "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c"
	    "46f4379c8b043e17");
	/* Standard Webhooks: key = base64 secret, msg = id.timestamp.body */
	ck_assert_int_eq(sodium_base642bin(sk, sizeof(sk),
	    "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 32, NULL, &sklen, NULL,
	    sodium_base64_VARIANT_ORIGINAL), 0);
	ledger_hmac_sha256_init(&c, sk, sklen);
	ledger_hmac_sha256_update(&c, "msg_p5jXN8AQM9LWM0D4loKWxJek.", 29);
	ledger_hmac_sha256_update(&c, "1614265330.", 11);
	ledger_hmac_sha256_update(&c, "{\"test\": 2432232314}", 20);
	ledger_hmac_sha256_final(&c, h);
	sodium_bin2base64(got, sizeof(got), h, 32,
	    sodium_base64_VARIANT_ORIGINAL);
	ck_assert_str_eq(got, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}
END_TEST

/* Every length across the block and padding boundaries, fed whole and
 * in random pieces, against libsodium. */
START_TEST(test_sha256_agrees_with_libsodium)
{
	struct ledger_sha256 c;
	struct ledger_hmac_sha256 hc;
	crypto_auth_hmacsha256_state hs;
	uint8_t *buf, a[32], b[32], key[100];
	size_t len, off, k;

	use_path(_i);
	buf = malloc(1100);
	ck_assert_ptr_nonnull(buf);
	randombytes_buf(buf, 1100);
	randombytes_buf(key, sizeof(key));
	for (len = 0; len <= 1100; len++) {
		crypto_hash_sha256(a, buf, len);
		ledger_sha256(buf, len, b);
		ck_assert_mem_eq(a, b, 32);
		ledger_sha256_init(&c);
		for (off = 0; off < len; off += k) {
			k = 1 + randombytes_uniform(130);
			if (k > len - off)
				k = len - off;
			ledger_sha256_update(&c, buf + off, k);
		}
		ledger_sha256_final(&c, b);
		ck_assert_mem_eq(a, b, 32);
		k = len % sizeof(key);
		crypto_auth_hmacsha256_init(&hs, key, k);
		crypto_auth_hmacsha256_update(&hs, buf, len);
		crypto_auth_hmacsha256_final(&hs, a);
		ledger_hmac_sha256_init(&hc, key, k);
		ledger_hmac_sha256_update(&hc, buf, len);
		ledger_hmac_sha256_final(&hc, b);
		ck_assert_mem_eq(a, b, 32);
	}
	free(buf);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("sha256");

	tcase_add_loop_test(tc, test_sha256_known_answers, 0, 2);
	tcase_add_loop_test(tc, test_sha256_million_a, 0, 2);
	tcase_add_loop_test(tc, test_hmac_sha256_known_answers, 0, 2);
	tcase_add_loop_test(tc, test_sha256_agrees_with_libsodium, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (sodium_init() < 0)
		return 1;
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
