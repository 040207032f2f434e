/* test-util.c - lib/util.c: files read with limits, the one UTF-8
 * decoder, base64 and hex, atomic replacement */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <sodium.h>

#include "ledger/entry.h"
#include "ledger/file.h"
#include "ledger-int.h"
#include "testutil.h"

static char dir[4096];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "%s", tu_mkdtemp());
}

static void
teardown(void)
{
	tu_rmtree(dir);
}

static void
put(const char *name, const char *text)
{
	char p[4200];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

START_TEST(test_util_read_file_limits)
{
	struct ledger_error err;
	char p[4200], l[4200], *buf = NULL;
	size_t len;

	put("a", "hello");
	snprintf(p, sizeof(p), "%s/a", dir);
	ck_assert_int_eq(ledger_read_file(p, 5, &buf, &len, &err), LEDGER_OK);
	ck_assert_uint_eq(len, 5);
	ck_assert_str_eq(buf, "hello");
	free(buf);
	ck_assert_int_eq(ledger_read_file(p, 4, &buf, &len, &err),
	    LEDGER_EINVAL);
	snprintf(p, sizeof(p), "%s/missing", dir);
	ck_assert_int_eq(ledger_read_file(p, 4, &buf, &len, &err),
	    LEDGER_ENOTFOUND);
	ck_assert_int_eq(err.sys_errno, ENOENT);
	/* a symbolic link is refused (O_NOFOLLOW) */
	snprintf(p, sizeof(p), "%s/a", dir);
	snprintf(l, sizeof(l), "%s/link", dir);
	ck_assert_int_eq(symlink(p, l), 0);
	ck_assert_int_ne(ledger_read_file(l, 100, &buf, &len, &err),
	    LEDGER_OK);
}
END_TEST

/* Table 3-7 of the Unicode standard, at its edges. */
START_TEST(test_util_utf8_decode)
{
	static const struct {
		const char *s;
		size_t n, want;
		uint32_t cp;
	} cases[] = {
		{ "A", 1, 1, 0x41 },
		{ "\xc2\x80", 2, 2, 0x80 },
		{ "\xdf\xbf", 2, 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 3, 0x800 },
		{ "\xed\x9f\xbf", 3, 3, 0xd7ff },
		{ "\xee\x80\x80", 3, 3, 0xe000 },
		{ "\xf0\x90\x80\x80", 4, 4, 0x10000 },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
		{ "\xc0\x80", 2, 0, 0 },		/* overlong NUL */
		{ "\xc1\xbf", 2, 0, 0 },		/* overlong */
		{ "\xe0\x9f\xbf", 3, 0, 0 },		/* overlong */
		{ "\xf0\x8f\xbf\xbf", 4, 0, 0 },	/* overlong */
		{ "\xed\xa0\x80", 3, 0, 0 },		/* surrogate */
		{ "\xed\xbf\xbf", 3, 0, 0 },		/* surrogate */
		{ "\xf4\x90\x80\x80", 4, 0, 0 },	/* above U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, 0, 0 },
		{ "\xe2\x82", 2, 0, 0 },		/* truncated */
		{ "\x80", 1, 0, 0 },			/* lone continuation */
		{ "\xe2\x28\xa1", 3, 0, 0 },		/* bad continuation */
		{ "", 0, 0, 0 },
	};
	size_t i, n;
	uint32_t cp;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		cp = 0;
		n = ledger_utf8_decode((const unsigned char *)cases[i].s,
		    cases[i].n, &cp);
		ck_assert_msg(n == cases[i].want, "case %zu: %zu", i, n);
		if (n > 0)
			ck_assert_uint_eq(cp, cases[i].cp);
		ck_assert(ledger_utf8_valid(cases[i].s, cases[i].n) ==
		    (cases[i].want == cases[i].n));
	}
	ck_assert_uint_eq(ledger_utf8_decode((const unsigned char *)"\xc3\xa9",
	    2, NULL), 2);
}
END_TEST

START_TEST(test_util_base64_and_hex)
{
	uint8_t h[LEDGER_HASH_BYTES], back[40];
	char b64[LEDGER_B64_HASH_SIZE], hex[65];
	size_t i;

	for (i = 0; i < sizeof(h); i++)
		h[i] = (uint8_t)(i * 7 + 1);
	ledger_b64_hash(h, b64);
	ck_assert_uint_eq(strlen(b64), 44);
	ck_assert_int_eq(ledger_b64_decode(b64, 44, back, sizeof(back), true),
	    32);
	ck_assert_mem_eq(back, h, 32);
	/* strict: padding required, standard alphabet only */
	ck_assert_int_eq(ledger_b64_decode(b64, 43, back, sizeof(back), true),
	    -1);
	ck_assert_int_eq(ledger_b64_decode("-_8", 3, back, sizeof(back),
	    true), -1);
	ck_assert_int_eq(ledger_b64_decode("-_8", 3, back, sizeof(back),
	    false), 2);
	ck_assert_int_eq(ledger_b64_decode("", 0, back, sizeof(back), false),
	    -1);
	/* longer than max */
	ck_assert_int_eq(ledger_b64_decode(b64, 44, back, 31, true), -1);
	/* no byte outside the alphabet, which libsodium would read as a
	 * digit: every value has one spelling */
	for (i = 0x80; i < 0x100; i++) {
		char t[5] = "AAAA";

		t[3] = (char)i;
		ck_assert_int_eq(ledger_b64_decode(t, 4, back, sizeof(back),
		    true), -1);
		ck_assert_int_eq(ledger_b64_decode(t, 4, back, sizeof(back),
		    false), -1);
	}
	ck_assert_int_eq(ledger_b64_decode("AA A", 4, back, sizeof(back),
	    false), -1);
	ledger_hex(h, sizeof(h), hex);
	ck_assert_int_eq(ledger_unhex(hex, back, 32, NULL), LEDGER_OK);
	ck_assert_mem_eq(back, h, 32);
	ck_assert(ledger_all_hex("0aF9", 4));
	ck_assert(!ledger_all_hex("0g", 2));
	ck_assert(!ledger_all_hex("", 0));
	ck_assert_int_eq(ledger_hexval('f'), 15);
	ck_assert_int_eq(ledger_hexval('G'), -1);
}
END_TEST

START_TEST(test_util_replace_file)
{
	struct ledger_error err;
	struct stat sb;
	char p[4200], t[4300], *buf = NULL;
	size_t len;

	snprintf(p, sizeof(p), "%s/state", dir);
	ck_assert_int_eq(ledger_replace_file(p, 0644, "one", 3, &err),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_replace_file(p, 0644, "second", 6, &err),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_read_file(p, 100, &buf, &len, &err),
	    LEDGER_OK);
	ck_assert_str_eq(buf, "second");
	free(buf);
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0644);
	/* no temporary left beside it */
	snprintf(t, sizeof(t), "ls '%s' | grep -c '^state\\.'", dir);
	{
		char *out = NULL;

		ck_assert_int_ne(tu_run(&out, "%s", t), 0);
		free(out);
	}
	snprintf(p, sizeof(p), "%s/no/such/dir/state", dir);
	ck_assert_int_eq(ledger_replace_file(p, 0644, "x", 1, &err),
	    LEDGER_EIO);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	if (sodium_init() < 0)
		return EXIT_FAILURE;
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_util_read_file_limits);
	tcase_add_test(tc, test_util_utf8_decode);
	tcase_add_test(tc, test_util_base64_and_hex);
	tcase_add_test(tc, test_util_replace_file);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
