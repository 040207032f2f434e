/*
 * test-jcs.c - RFC 8785 canonical JSON and the strict JSON parser
 *
 * Known answers come from $LEDGER_VECTORS/jcs (the RFC 8785 reference
 * vectors) and RFC 8785 Appendix B; the test exits 77 (skipped) when the
 * vectors are not there.  Every input the parser must refuse is its own
 * loop iteration, checked for LEDGER_EINVAL and for what its message says.
 */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "ledger/buf.h"
#include "ledger/jcs.h"

static const char *vectors;	/* $LEDGER_VECTORS/jcs */

/* ------------------------------------------------------------------ */
/* Helpers */

/* Read a whole file; the caller frees the result. */
static char *
slurp(const char *dir, const char *sub, const char *name, const char *ext,
    size_t *ret_len)
{
	char path[1024];
	struct stat st;
	size_t n;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "%s/%s/%s%s", dir, sub, name, ext);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open '%s'", path);
	ck_assert_int_eq(fstat(fileno(f), &st), 0);
	n = (size_t)st.st_size;
	p = malloc(n + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fread(p, 1, n, f), n);
	p[n] = '\0';
	fclose(f);
	*ret_len = n;
	return p;
}

/* Decode whitespace-separated hex byte pairs in place; return length. */
static size_t
unhex(char *s)
{
	size_t o = 0;
	unsigned v;
	int used;
	char *p = s;

	while (sscanf(p, " %2x%n", &v, &used) == 1) {
		s[o++] = (char)v;
		p += used;
	}
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	ck_assert_msg(*p == '\0', "bad hex near '%.10s'", p);
	return o;
}

/* Parse exactly len bytes from a heap copy, so that ASan sees overreads. */
static enum ledger_status
parse_exact(const char *in, size_t len, json_t **ret, struct ledger_error *e)
{
	enum ledger_status rc;
	char *copy;

	copy = malloc(len == 0 ? 1 : len);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, in, len);
	rc = ledger_json_parse(copy, len, ret, e);
	free(copy);
	return rc;
}

/* Canonicalize in and compare with want; both with explicit lengths. */
static void
assert_canon(const char *in, size_t inlen, const char *want, size_t wantlen)
{
	struct ledger_error e;
	char *out = NULL, *copy;
	size_t outlen = 0;
	enum ledger_status rc;

	copy = malloc(inlen == 0 ? 1 : inlen);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, in, inlen);
	rc = ledger_jcs_canonicalize(copy, inlen, &out, &outlen, &e);
	free(copy);
	ck_assert_msg(rc == LEDGER_OK, "canonicalize '%s': %s", in, e.msg);
	ck_assert_msg(outlen == wantlen && memcmp(out, want, wantlen) == 0,
	    "canonical form of '%s' is '%s', want '%s'", in, out, want);
	ck_assert_int_eq(out[outlen], '\0');
	free(out);
}

#define CANON(in, want) \
	assert_canon((in), sizeof(in) - 1, (want), sizeof(want) - 1)

static double
from_bits(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

/* xorshift64*: deterministic, so a failure can be reproduced. */
static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(0x2545f4914f6cdd1d);
}

/* The house error grammar: lower case first, no full stop at the end. */
static void
assert_msg_style(const char *msg)
{
	size_t n = strlen(msg);

	ck_assert_msg(n > 0, "empty error message");
	ck_assert_msg(!(msg[0] >= 'A' && msg[0] <= 'Z'),
	    "message starts upper case: '%s'", msg);
	ck_assert_msg(msg[n - 1] != '.', "message ends in a full stop: '%s'",
	    msg);
}

/* ------------------------------------------------------------------ */
/* RFC 8785 reference vectors */

static const char *const vector_names[] = {
	"arrays", "french", "structures", "unicode", "values", "weird",
};
#define NVECTORS (int)(sizeof(vector_names) / sizeof(vector_names[0]))

START_TEST(test_jcs_vectors_match)
{
	const char *name = vector_names[_i];
	char *in, *out, *hex, *got, *again;
	size_t inlen, outlen, hexlen, gotlen, againlen;
	struct ledger_error e;

	in = slurp(vectors, "input", name, ".json", &inlen);
	out = slurp(vectors, "output", name, ".json", &outlen);
	hex = slurp(vectors, "outhex", name, ".txt", &hexlen);
	hexlen = unhex(hex);
	ck_assert_msg(hexlen == outlen && memcmp(hex, out, outlen) == 0,
	    "%s: output/ and outhex/ disagree", name);

	ck_assert_msg(ledger_jcs_canonicalize(in, inlen, &got, &gotlen,
	    &e) == LEDGER_OK, "%s: %s", name, e.msg);
	ck_assert_msg(gotlen == outlen && memcmp(got, out, outlen) == 0,
	    "%s: got '%s', want '%s'", name, got, out);

	/* The canonical form is a fixed point. */
	ck_assert_msg(ledger_jcs_canonicalize(got, gotlen, &again, &againlen,
	    &e) == LEDGER_OK, "%s again: %s", name, e.msg);
	ck_assert_uint_eq(againlen, gotlen);
	ck_assert_mem_eq(again, got, gotlen);

	free(again);
	free(got);
	free(hex);
	free(out);
	free(in);
}
END_TEST

/* Every file in the vector directories is one the loop above checks. */
START_TEST(test_jcs_vectors_all_covered)
{
	static const char *const subs[] = { "input", "output", "outhex" };
	char path[1024];
	struct dirent *de;
	size_t len, n;
	int i, s, seen;
	DIR *d;

	for (s = 0; s < 3; s++) {
		snprintf(path, sizeof(path), "%s/%s", vectors, subs[s]);
		d = opendir(path);
		ck_assert_msg(d != NULL, "cannot open '%s'", path);
		seen = 0;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			len = strlen(de->d_name);
			for (i = 0; i < NVECTORS; i++) {
				n = strlen(vector_names[i]);
				if (len > n && strncmp(de->d_name,
				    vector_names[i], n) == 0 &&
				    strcmp(de->d_name + n, s == 2 ?
				    ".txt" : ".json") == 0)
					break;
			}
			ck_assert_msg(i < NVECTORS, "'%s/%s' is not covered",
			    subs[s], de->d_name);
			seen++;
		}
		closedir(d);
		ck_assert_msg(seen == NVECTORS, "%s/ has %d files, want %d",
		    subs[s], seen, NVECTORS);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Numbers */

static const struct {
	uint64_t	 bits;
	const char	*want;
} appendix_b[] = {
	/* RFC 8785 Appendix B, in its order. */
	{ UINT64_C(0x0000000000000000), "0" },
	{ UINT64_C(0x8000000000000000), "0" },
	{ UINT64_C(0x0000000000000001), "5e-324" },
	{ UINT64_C(0x8000000000000001), "-5e-324" },
	{ UINT64_C(0x7fefffffffffffff), "1.7976931348623157e+308" },
	{ UINT64_C(0xffefffffffffffff), "-1.7976931348623157e+308" },
	{ UINT64_C(0x4340000000000000), "9007199254740992" },
	{ UINT64_C(0xc340000000000000), "-9007199254740992" },
	{ UINT64_C(0x4430000000000000), "295147905179352830000" },
	{ UINT64_C(0x44b52d02c7e14af5), "9.999999999999997e+22" },
	{ UINT64_C(0x44b52d02c7e14af6), "1e+23" },
	{ UINT64_C(0x44b52d02c7e14af7), "1.0000000000000001e+23" },
	{ UINT64_C(0x444b1ae4d6e2ef4e), "999999999999999700000" },
	{ UINT64_C(0x444b1ae4d6e2ef4f), "999999999999999900000" },
	{ UINT64_C(0x444b1ae4d6e2ef50), "1e+21" },
	{ UINT64_C(0x3eb0c6f7a0b5ed8c), "9.999999999999997e-7" },
	{ UINT64_C(0x3eb0c6f7a0b5ed8d), "0.000001" },
	{ UINT64_C(0x41b3de4355555553), "333333333.3333332" },
	{ UINT64_C(0x41b3de4355555554), "333333333.33333325" },
	{ UINT64_C(0x41b3de4355555555), "333333333.3333333" },
	{ UINT64_C(0x41b3de4355555556), "333333333.3333334" },
	{ UINT64_C(0x41b3de4355555557), "333333333.33333343" },
	{ UINT64_C(0xbecbf647612f3696), "-0.0000033333333333333333" },
	{ UINT64_C(0x43143ff3c1cb0959), "1424953923781206.2" },
	/*
	 * Beyond Appendix B, each checked against node's Number.toString:
	 * subnormals and the smallest normals (cyberphone's test set), a
	 * power of two whose shortest form lies above it (2^-1017, the
	 * case a nearest-only digit search gets wrong), the 1e21 boundary.
	 */
	{ UINT64_C(0x0000000100000000), "2.121995791e-314" },
	{ UINT64_C(0x1000000100000000), "1.2882309824710566e-231" },
	{ UINT64_C(0x1000000100000001), "1.288230982471057e-231" },
	{ UINT64_C(0x1000000100000005), "1.288230982471058e-231" },
	{ UINT64_C(0x0010000000000000), "2.2250738585072014e-308" },
	{ UINT64_C(0x000fffffffffffff), "2.225073858507201e-308" },
	{ UINT64_C(0x0060000000000000), "7.120236347223045e-307" },
	{ UINT64_C(0x0100000000000000), "7.291122019556398e-304" },
	{ UINT64_C(0x3ff0000000000001), "1.0000000000000002" },
	{ UINT64_C(0x4330000000000001), "4503599627370497" },
	{ UINT64_C(0x444b1ae4d6e2ef51), "1.0000000000000001e+21" },
};

START_TEST(test_jcs_number_appendix_b)
{
	char out[LEDGER_JCS_NUMBER_MAX];
	struct ledger_error e;
	double d = from_bits(appendix_b[_i].bits);
	size_t n = 0;

	ck_assert_msg(ledger_jcs_format_number(d, out, &n, &e) == LEDGER_OK,
	    "%016llx: %s", (unsigned long long)appendix_b[_i].bits, e.msg);
	ck_assert_msg(strcmp(out, appendix_b[_i].want) == 0,
	    "%016llx: got '%s', want '%s'",
	    (unsigned long long)appendix_b[_i].bits, out, appendix_b[_i].want);
	ck_assert_uint_eq(n, strlen(out));
}
END_TEST

/* The ES layout rules, one boundary each. */
static const struct {
	double		 d;
	const char	*want;
} layout[] = {
	{ 1e20, "100000000000000000000" },
	{ 1e21, "1e+21" },
	{ 123456789012345680000.0, "123456789012345680000" },
	{ 1e-7, "1e-7" },
	{ 5e-7, "5e-7" },
	{ 0.000001, "0.000001" },
	{ 0.0000015, "0.0000015" },
	{ 123e-20, "1.23e-18" },
	{ -0.0, "0" },
	{ 0.1, "0.1" },
	{ 4.5, "4.5" },
	{ -4.5, "-4.5" },
	{ 100, "100" },
	{ 1e30, "1e+30" },
	{ 1e-27, "1e-27" },
	{ 1e301, "1e+301" },
	{ 9007199254740991.0, "9007199254740991" },
	{ -9007199254740991.0, "-9007199254740991" },
	{ 9007199254740994.0, "9007199254740994" },
};

START_TEST(test_jcs_number_layout)
{
	char out[LEDGER_JCS_NUMBER_MAX];
	size_t n;

	ck_assert_int_eq(ledger_jcs_format_number(layout[_i].d, out, &n,
	    NULL), LEDGER_OK);
	ck_assert_str_eq(out, layout[_i].want);
}
END_TEST

START_TEST(test_jcs_number_nan_infinity_refused)
{
	static const uint64_t bad[] = {
		UINT64_C(0x7ff8000000000000),	/* NaN */
		UINT64_C(0x7fffffffffffffff),	/* NaN, Appendix B */
		UINT64_C(0xfff8000000000001),	/* negative NaN */
		UINT64_C(0x7ff0000000000000),	/* Infinity, Appendix B */
		UINT64_C(0xfff0000000000000),	/* -Infinity */
	};
	char out[LEDGER_JCS_NUMBER_MAX];
	struct ledger_error e;
	size_t n = 12345;
	json_t *v;

	memset(out, 'x', sizeof(out));
	ck_assert_int_eq(ledger_jcs_format_number(from_bits(bad[_i]), out, &n,
	    &e), LEDGER_EINVAL);
	ck_assert_int_eq(e.code, LEDGER_EINVAL);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(n, 12345);
	ck_assert_ptr_nonnull(strstr(e.msg, isnan(from_bits(bad[_i])) ?
	    "nan" : "infinity"));
	assert_msg_style(e.msg);

	/* jansson refuses to make such a real, so a tree cannot hold one. */
	v = json_real(from_bits(bad[_i]));
	ck_assert_ptr_null(v);
}
END_TEST

/* Significant digits of a formatted number: "1.5e+21" -> "15". */
static size_t
sig_digits(const char *s, char *digits)
{
	size_t k = 0;

	for (; *s != '\0' && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && (k > 0 || *s != '0'))
			digits[k++] = *s;
	while (k > 1 && digits[k - 1] == '0')
		k--;
	digits[k] = '\0';
	return k;
}

/*
 * Whether some p-digit decimal reads back as d: the nearest one, or a
 * neighbour of it one unit away in the last place (which is where the
 * shortest form lies next to a power of two).
 */
static int
some_p_digits_read_back(double d, int p)
{
	char tmp[64], cand[64];
	long long m;
	int e10, k = 0, delta;
	const char *s;

	snprintf(tmp, sizeof(tmp), "%.*e", p - 1, fabs(d));
	m = 0;
	for (s = tmp; *s != 'e'; s++)
		if (*s >= '0' && *s <= '9') {
			m = m * 10 + (*s - '0');
			k++;
		}
	e10 = atoi(s + 1);
	for (delta = -1; delta <= 1; delta++) {
		snprintf(cand, sizeof(cand), "%lld" "e%d", m + delta,
		    e10 - (k - 1));
		if (strtod(cand, NULL) == fabs(d))
			return 1;
	}
	return 0;
}

static void
check_roundtrip_minimal(double d)
{
	char out[LEDGER_JCS_NUMBER_MAX], digits[32];
	size_t n, k;
	json_t *v;
	double back;

	ck_assert_int_eq(ledger_jcs_format_number(d, out, &n, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(n, strlen(out));
	ck_assert_uint_lt(n, LEDGER_JCS_NUMBER_MAX);
	back = strtod(out, NULL);
	ck_assert_msg(back == d, "%a written '%s' reads back as %a", d, out,
	    back);
	/* Our own parser reads it back too: it is valid JSON. */
	ck_assert_int_eq(ledger_json_parse(out, n, &v, NULL), LEDGER_OK);
	ck_assert_msg(json_real_value(v) == d, "'%s' parses to %a", out,
	    json_real_value(v));
	json_decref(v);
	if (d == 0) {
		ck_assert_str_eq(out, "0");
		return;
	}
	k = sig_digits(out, digits);
	ck_assert_uint_ge(k, 1);
	ck_assert_uint_le(k, 17);
	if (k > 1)
		ck_assert_msg(!some_p_digits_read_back(d, (int)k - 1),
		    "%a written '%s' (%zu digits), fewer suffice", d, out, k);
}

START_TEST(test_jcs_number_random_roundtrip_minimal)
{
	double d;
	int i;

	for (i = 0; i < 20000; i++) {
		d = from_bits(rng());
		if (isnan(d) || isinf(d))
			continue;
		check_roundtrip_minimal(d);
	}
	/* Short decimals and integers, where the layout rules bite. */
	for (i = 0; i < 5000; i++) {
		d = (double)(rng() % 100000) *
		    pow(10, (double)(rng() % 60) - 30);
		check_roundtrip_minimal((rng() & 1) ? -d : d);
	}
	/* Every power of two, each side of it. */
	for (i = -1074; i <= 1023; i++) {
		d = ldexp(1, i);
		check_roundtrip_minimal(d);
		check_roundtrip_minimal(nextafter(d, 0));
		check_roundtrip_minimal(-nextafter(d, INFINITY));
	}
}
END_TEST

/* Numbers in JSON text become doubles and come out in ES form. */
START_TEST(test_jcs_number_parsed_text)
{
	CANON("[1E30,4.50,2e-3,-0,-0.0,0e10,1e-400,-1e-400]",
	    "[1e+30,4.5,0.002,0,0,0,0,0]");
	CANON("[99999999999999999999,9007199254740993,123456789012345678]",
	    "[100000000000000000000,9007199254740992,123456789012345680]");
	CANON("[1.7976931348623157e308,-1.7976931348623157E+308]",
	    "[1.7976931348623157e+308,-1.7976931348623157e+308]");
	CANON("[4.9406564584124654e-324,2.4703282292062328e-324]",
	    "[5e-324,5e-324]");
	CANON("[0.1,1E-7,1e21,1e20]", "[0.1,1e-7,1e+21,100000000000000000000]");
	CANON("[333333333.33333329]", "[333333333.3333333]");
}
END_TEST

START_TEST(test_jcs_number_all_parsed_as_real)
{
	json_t *v;

	ck_assert_int_eq(ledger_json_parse("[1,-0,2.5]", 10, &v, NULL),
	    LEDGER_OK);
	ck_assert(json_is_real(json_array_get(v, 0)));
	ck_assert(json_is_real(json_array_get(v, 1)));
	ck_assert(signbit(json_real_value(json_array_get(v, 1))));
	ck_assert(json_is_real(json_array_get(v, 2)));
	json_decref(v);
}
END_TEST

/* JSON_INTEGER in a tree built by hand: exact up to 2^53, refused after. */
START_TEST(test_jcs_number_integer_range)
{
	static const struct {
		json_int_t	 v;
		const char	*want;	/* NULL: refused */
	} t[] = {
		{ 0, "0" },
		{ -1, "-1" },
		{ 9007199254740991LL, "9007199254740991" },
		{ 9007199254740992LL, "9007199254740992" },
		{ -9007199254740992LL, "-9007199254740992" },
		{ 9007199254740993LL, NULL },
		{ -9007199254740993LL, NULL },
		{ INT64_MAX, NULL },
		{ INT64_MIN, NULL },
	};
	struct ledger_error e;
	char *out;
	size_t n;
	json_t *v;

	v = json_integer(t[_i].v);
	if (t[_i].want != NULL) {
		ck_assert_int_eq(ledger_jcs_encode(v, &out, &n, &e), LEDGER_OK);
		ck_assert_str_eq(out, t[_i].want);
		free(out);
	} else {
		out = (char *)"untouched";
		ck_assert_int_eq(ledger_jcs_encode(v, &out, &n, &e),
		    LEDGER_EINVAL);
		ck_assert_str_eq(out, "untouched");
		ck_assert_ptr_nonnull(strstr(e.msg, "2^53"));
		assert_msg_style(e.msg);
	}
	json_decref(v);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Strings */

/* RFC 8785 3.2.2.2 by the letter, one byte at a time; for comparison. */
static void
ref_escape(const char *s, size_t len, struct ledger_buf *b)
{
	unsigned char c;
	size_t i;

	ck_assert_int_eq(ledger_buf_addc(b, '"'), LEDGER_OK);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			ck_assert_int_eq(ledger_buf_addf(b, "\\%c", c),
			    LEDGER_OK);
		else if (c == '\b')
			ck_assert_int_eq(ledger_buf_adds(b, "\\b"), LEDGER_OK);
		else if (c == '\t')
			ck_assert_int_eq(ledger_buf_adds(b, "\\t"), LEDGER_OK);
		else if (c == '\n')
			ck_assert_int_eq(ledger_buf_adds(b, "\\n"), LEDGER_OK);
		else if (c == '\f')
			ck_assert_int_eq(ledger_buf_adds(b, "\\f"), LEDGER_OK);
		else if (c == '\r')
			ck_assert_int_eq(ledger_buf_adds(b, "\\r"), LEDGER_OK);
		else if (c < 0x20)
			ck_assert_int_eq(ledger_buf_addf(b, "\\u%04x", c),
			    LEDGER_OK);
		else
			ck_assert_int_eq(ledger_buf_addc(b, (char)c),
			    LEDGER_OK);
	}
	ck_assert_int_eq(ledger_buf_addc(b, '"'), LEDGER_OK);
}

START_TEST(test_jcs_string_control_escapes)
{
	static const char *const want[32] = {
		"\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004",
		"\\u0005", "\\u0006", "\\u0007", "\\b", "\\t", "\\n",
		"\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010",
		"\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015",
		"\\u0016", "\\u0017", "\\u0018", "\\u0019", "\\u001a",
		"\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
	};
	struct ledger_buf b = LEDGER_BUF_INIT;
	char c = (char)_i, exp[16];

	ck_assert_int_eq(ledger_jcs_append_string(&b, &c, 1, NULL), LEDGER_OK);
	snprintf(exp, sizeof(exp), "\"%s\"", want[_i]);
	ck_assert_str_eq(b.data, exp);
	ledger_buf_release(&b);
}
END_TEST

/* What is not escaped: '/', DEL, U+0080, U+2028, U+2029, astral. */
START_TEST(test_jcs_string_no_other_escapes)
{
	static const char in[] = "/\x7f\xc2\x80\xe2\x80\xa8\xe2\x80\xa9"
	    "\xef\xbf\xbf\xf0\x9f\x98\x82\xf4\x8f\xbf\xbf<>&'";
	struct ledger_buf b = LEDGER_BUF_INIT;

	ck_assert_int_eq(ledger_jcs_append_string(&b, in, sizeof(in) - 1,
	    NULL), LEDGER_OK);
	ck_assert_uint_eq(b.len, sizeof(in) - 1 + 2);
	ck_assert_mem_eq(b.data + 1, in, sizeof(in) - 1);
	ledger_buf_release(&b);

	CANON("[\"\\/\\u007f\\u0080\\u2028\\u2029\\uffff\\ud83d\\ude02\"]",
	    "[\"/\x7f\xc2\x80\xe2\x80\xa8\xe2\x80\xa9\xef\xbf\xbf"
	    "\xf0\x9f\x98\x82\"]");
	CANON("\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001F\"",
	    "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\"");
}
END_TEST

/*
 * Random strings of every length up to 70 mixing plain ASCII, bytes that
 * need escapes and multi-byte characters, at every alignment, against the
 * byte-at-a-time reference: exercises the 8-bytes-at-a-time scan.
 */
START_TEST(test_jcs_string_matches_reference)
{
	static const char *const pieces[] = {
		"a", "Z", " ", "~", "\x7f", "\"", "\\", "\n", "\x01", "\x1f",
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x82", "abcdefgh",
	};
	struct ledger_buf want = LEDGER_BUF_INIT, got = LEDGER_BUF_INIT;
	const char *p;
	char s[400];
	size_t len, pl;
	int i, round;

	for (round = 0; round < 3000; round++) {
		len = 0;
		for (i = (int)(rng() % 40); i > 0; i--) {
			/* ASCII-heavy: plain letters three times in four. */
			if (rng() % 4 != 0) {
				pl = 1 + rng() % 10;
				memcpy(s + len, "plainASCII", pl);
			} else {
				p = pieces[rng() % 14];
				pl = strlen(p);
				memcpy(s + len, p, pl);
			}
			len += pl;
		}
		ledger_buf_reset(&want);
		ledger_buf_reset(&got);
		ref_escape(s, len, &want);
		ck_assert_int_eq(ledger_jcs_append_string(&got, s, len, NULL),
		    LEDGER_OK);
		ck_assert_uint_eq(got.len, want.len);
		ck_assert_mem_eq(got.data, want.data, want.len);
		ck_assert_int_eq(got.data[got.len], '\0');
	}
	ledger_buf_release(&want);
	ledger_buf_release(&got);
}
END_TEST

/* A string appended after others: the buffer is extended, not reset. */
START_TEST(test_jcs_string_appends)
{
	struct ledger_buf b = LEDGER_BUF_INIT;

	ck_assert_int_eq(ledger_buf_adds(&b, "{"), LEDGER_OK);
	ck_assert_int_eq(ledger_jcs_append_string(&b, "k", 1, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_buf_addc(&b, ':'), LEDGER_OK);
	ck_assert_int_eq(ledger_jcs_append_string(&b, NULL, 0, NULL),
	    LEDGER_OK);
	ck_assert_str_eq(b.data, "{\"k\":\"\"");
	ledger_buf_release(&b);
}
END_TEST

static const struct {
	const char	*name;
	const char	*s;
	size_t		 len;
	size_t		 at;	/* offset of the bad byte */
} bad_utf8[] = {
#define U(n, s, at) { n, s, sizeof(s) - 1, at }
	U("overlong 2-byte '/'", "\xc0\xaf", 0),
	U("overlong 2-byte NUL", "\xc1\x80", 0),
	U("overlong 3-byte", "\xe0\x80\xaf", 0),
	U("overlong 3-byte U+07FF", "\xe0\x9f\xbf", 0),
	U("overlong 4-byte", "\xf0\x80\x80\xaf", 0),
	U("overlong 4-byte U+FFFF", "\xf0\x8f\xbf\xbf", 0),
	U("surrogate U+D800", "\xed\xa0\x80", 0),
	U("surrogate U+DFFF", "\xed\xbf\xbf", 0),
	U("surrogate pair in utf-8", "\xed\xa0\xbd\xed\xb8\x82", 0),
	U("above U+10FFFF", "\xf4\x90\x80\x80", 0),
	U("lead byte F5", "\xf5\x80\x80\x80", 0),
	U("lead byte FF", "\xff", 0),
	U("lone continuation", "ab\x80", 2),
	U("truncated 2-byte at end", "abc\xc3", 3),
	U("truncated 3-byte at end", "\xe2\x82", 0),
	U("truncated 4-byte at end", "\xf0\x9f\x98", 0),
	U("truncated 3-byte before ascii", "\xe2\x82x", 0),
	U("bad continuation", "\xc3\x28", 0),
	U("after 16 plain bytes", "0123456789abcdef\xfe", 16),
#undef U
};

START_TEST(test_jcs_string_invalid_utf8_refused)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_error e;
	char want[64], *copy;

	ck_assert_int_eq(ledger_buf_adds(&b, "prefix"), LEDGER_OK);
	copy = malloc(bad_utf8[_i].len);
	memcpy(copy, bad_utf8[_i].s, bad_utf8[_i].len);
	ck_assert_msg(ledger_jcs_append_string(&b, copy, bad_utf8[_i].len,
	    &e) == LEDGER_EINVAL, "%s accepted", bad_utf8[_i].name);
	free(copy);
	ck_assert_int_eq(e.code, LEDGER_EINVAL);
	snprintf(want, sizeof(want), "invalid utf-8 in string at byte %zu",
	    bad_utf8[_i].at);
	ck_assert_str_eq(e.msg, want);
	/* The buffer is as it was. */
	ck_assert_uint_eq(b.len, 6);
	ck_assert_str_eq(b.data, "prefix");
	ledger_buf_release(&b);
}
END_TEST

/* The same bytes inside JSON text are refused by the parser. */
START_TEST(test_jcs_parse_invalid_utf8_refused)
{
	struct ledger_error e;
	char in[64];
	size_t len;
	json_t *v = NULL;

	in[0] = '[';
	in[1] = '"';
	memcpy(in + 2, bad_utf8[_i].s, bad_utf8[_i].len);
	len = 2 + bad_utf8[_i].len;
	in[len++] = '"';
	in[len++] = ']';
	ck_assert_msg(parse_exact(in, len, &v, &e) == LEDGER_EINVAL,
	    "%s accepted", bad_utf8[_i].name);
	ck_assert_ptr_null(v);
	ck_assert_msg(strstr(e.msg, "invalid utf-8") != NULL, "%s: '%s'",
	    bad_utf8[_i].name, e.msg);
	assert_msg_style(e.msg);
}
END_TEST

START_TEST(test_jcs_string_nul_in_value)
{
	static const char want[] = "\"a\\u0000b\"";
	struct ledger_buf b = LEDGER_BUF_INIT;
	json_t *v;

	ck_assert_int_eq(ledger_jcs_append_string(&b, "a\0b", 3, NULL),
	    LEDGER_OK);
	ck_assert_str_eq(b.data, want);
	ledger_buf_release(&b);

	ck_assert_int_eq(ledger_json_parse(want, sizeof(want) - 1, &v, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(json_string_length(v), 3);
	ck_assert_mem_eq(json_string_value(v), "a\0b", 3);
	json_decref(v);
	CANON("[\"\\u0000\",\"x\\u0000\"]", "[\"\\u0000\",\"x\\u0000\"]");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Member order */

/*
 * U+1F600 (UTF-16 D83D DE00) sorts before U+E000 and U+FB33 (one unit,
 * E000 / FB33), though its UTF-8 (F0 ...) sorts after theirs (EE / EF).
 * U+D7FF stays before both, U+10000 before U+E000.
 */
START_TEST(test_jcs_sort_utf16_not_utf8)
{
	CANON("{\"\\ue000\":1,\"\\ud83d\\ude00\":2}",
	    "{\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":1}");
	CANON("{\"\\ufb33\":1,\"\\ud83d\\ude00\":2,\"\\ud7ff\":3,"
	    "\"\\uffff\":4,\"\\ud800\\udc00\":5,\"\\udbff\\udfff\":6}",
	    "{\"\xed\x9f\xbf\":3,\"\xf0\x90\x80\x80\":5,"
	    "\"\xf0\x9f\x98\x80\":2,\"\xf4\x8f\xbf\xbf\":6,"
	    "\"\xef\xac\xb3\":1,\"\xef\xbf\xbf\":4}");
	/* Same first character, difference later in the name. */
	CANON("{\"x\\ue000\":1,\"x\\ud83d\\ude00\":2}",
	    "{\"x\xf0\x9f\x98\x80\":2,\"x\xee\x80\x80\":1}");
}
END_TEST

/* Names are sorted after unescaping, not by their escaped text. */
START_TEST(test_jcs_sort_unescaped_names)
{
	/* Escaped: "\u0062" < "a" < "\u0063" as text; b, a, c unescaped. */
	CANON("{\"\\u0062\":1,\"a\":2,\"\\u0063\":3}",
	    "{\"a\":2,\"b\":1,\"c\":3}");
	/* "\u00e9" (é) sorts after "z", "\n" before " ". */
	CANON("{\"\\u00e9\":1,\"z\":2,\" \":3,\"\\n\":4}",
	    "{\"\\n\":4,\" \":3,\"z\":2,\"\xc3\xa9\":1}");
	/* '\' (5C) escaped as "\\" still sorts as 5C: after 'Z', before 'a'. */
	CANON("{\"a\":1,\"\\\\\":2,\"Z\":3}", "{\"Z\":3,\"\\\\\":2,\"a\":1}");
}
END_TEST

START_TEST(test_jcs_sort_prefix_first)
{
	CANON("{\"ab\":1,\"a\":2,\"\":3,\"abc\":4,\"b\":5}",
	    "{\"\":3,\"a\":2,\"ab\":1,\"abc\":4,\"b\":5}");
}
END_TEST

/* "\u0000" in names: kept, escaped on output, sorted as U+0000. */
START_TEST(test_jcs_sort_nul_in_key)
{
	static const char in[] =
	    "{\"ab\":1,\"a\\u0000b\":2,\"a\":3,\"a\\u0000\":4,\"\\u0000\":5}";
	const char *k;
	size_t klen, found = 0;
	json_t *v, *val;

	CANON(in, "{\"\\u0000\":5,\"a\":3,\"a\\u0000\":4,\"a\\u0000b\":2,"
	    "\"ab\":1}");
	ck_assert_int_eq(ledger_json_parse(in, sizeof(in) - 1, &v, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(json_object_size(v), 5);
	json_object_keylen_foreach(v, k, klen, val) {
		if (klen == 3 && memcmp(k, "a\0b", 3) == 0) {
			ck_assert_double_eq(json_real_value(val), 2);
			found++;
		}
	}
	ck_assert_uint_eq(found, 1);
	json_decref(v);
}
END_TEST

/* UTF-16 code unit comparison, done the obvious way, for reference. */
static size_t
to_utf16(const char *s, size_t len, uint16_t *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;
	uint32_t cp;

	while (i < len) {
		if (p[i] < 0x80)
			cp = p[i++];
		else if (p[i] < 0xe0) {
			cp = (uint32_t)(p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f);
			i += 2;
		} else if (p[i] < 0xf0) {
			cp = (uint32_t)(p[i] & 0x0f) << 12 |
			    (uint32_t)(p[i + 1] & 0x3f) << 6 |
			    (p[i + 2] & 0x3f);
			i += 3;
		} else {
			cp = (uint32_t)(p[i] & 0x07) << 18 |
			    (uint32_t)(p[i + 1] & 0x3f) << 12 |
			    (uint32_t)(p[i + 2] & 0x3f) << 6 |
			    (p[i + 3] & 0x3f);
			i += 4;
		}
		if (cp >= 0x10000) {
			out[o++] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
			out[o++] = (uint16_t)(0xdc00 +
			    ((cp - 0x10000) & 0x3ff));
		} else
			out[o++] = (uint16_t)cp;
	}
	return o;
}

struct refkey {
	char	 s[32];
	size_t	 len;
	int	 value;
};

static int
refkey_cmp(const void *a, const void *b)
{
	const struct refkey *x = a, *y = b;
	uint16_t ux[32], uy[32];
	size_t nx, ny, i;

	nx = to_utf16(x->s, x->len, ux);
	ny = to_utf16(y->s, y->len, uy);
	for (i = 0; i < nx && i < ny; i++)
		if (ux[i] != uy[i])
			return ux[i] < uy[i] ? -1 : 1;
	return nx < ny ? -1 : nx > ny;
}

/*
 * Objects of up to 60 members with names drawn from characters either
 * side of every boundary that matters, against the reference sort.  More
 * than 16 members also takes the encoder's heap path.
 */
START_TEST(test_jcs_sort_matches_utf16_reference)
{
	static const char *const chars[] = {
		"a", "b", "\xc3\xa9", "\xed\x9f\xbf", "\xee\x80\x80",
		"\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf0\x9f\x98\x80",
		"\xf4\x8f\xbf\xbf", "\xe2\x82\xac",
	};
	struct refkey keys[60];
	struct ledger_buf want = LEDGER_BUF_INIT;
	const char *c;
	char *out;
	size_t outlen, n, i, j, l, cl;
	int round, dup;
	json_t *obj;

	for (round = 0; round < 200; round++) {
		obj = json_object();
		n = 0;
		for (i = rng() % 60; i > 0; i--) {
			struct refkey k = { .len = 0 };

			for (l = rng() % 5; l > 0; l--) {
				c = chars[rng() % 10];
				cl = strlen(c);
				memcpy(k.s + k.len, c, cl);
				k.len += cl;
			}
			for (dup = 0, j = 0; j < n; j++)
				if (keys[j].len == k.len &&
				    memcmp(keys[j].s, k.s, k.len) == 0)
					dup = 1;
			if (dup)
				continue;
			k.value = (int)n;
			keys[n++] = k;
			ck_assert_int_eq(json_object_setn_new(obj, k.s, k.len,
			    json_integer(k.value)), 0);
		}
		qsort(keys, n, sizeof(keys[0]), refkey_cmp);
		ledger_buf_reset(&want);
		ck_assert_int_eq(ledger_buf_addc(&want, '{'), LEDGER_OK);
		for (i = 0; i < n; i++)
			ck_assert_int_eq(ledger_buf_addf(&want, "%s\"%.*s\":%d",
			    i > 0 ? "," : "", (int)keys[i].len, keys[i].s,
			    keys[i].value), LEDGER_OK);
		ck_assert_int_eq(ledger_buf_addc(&want, '}'), LEDGER_OK);
		ck_assert_int_eq(ledger_jcs_encode(obj, &out, &outlen, NULL),
		    LEDGER_OK);
		ck_assert_msg(outlen == want.len &&
		    memcmp(out, want.data, outlen) == 0,
		    "got '%s', want '%s'", out, want.data);
		free(out);
		json_decref(obj);
	}
	ledger_buf_release(&want);
}
END_TEST

/* Nested objects are sorted too, arrays keep their order. */
START_TEST(test_jcs_sort_nested)
{
	CANON(" { \"b\" : [ {\"z\":1, \"y\":2}, 3 ], \"a\" : { \"d\": {}, "
	    "\"c\": [] } } ",
	    "{\"a\":{\"c\":[],\"d\":{}},\"b\":[{\"y\":2,\"z\":1},3]}");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Parsing: what must be refused */

static const struct {
	const char	*name;
	const char	*in;
	size_t		 len;
	const char	*want;	/* in the message, after "invalid json at " */
} bad_json[] = {
#define B(n, s, w) { n, s, sizeof(s) - 1, w }
	B("empty", "", "line 1, column 1: empty input"),
	B("whitespace only", " \n\t\r\n ", "line 3, column 2: empty input"),
	B("lone high surrogate", "[\"\\ud800\"]",
	    "line 1, column 3: lone high surrogate '\\ud800'"),
	B("lone high surrogate at end", "\"x\\uDBFF\"",
	    "lone high surrogate '\\udbff'"),
	B("lone low surrogate", "[\"\\udc00\"]",
	    "line 1, column 3: lone low surrogate '\\udc00'"),
	B("high surrogate then 'A'", "[\"\\ud800\\u0041\"]",
	    "lone high surrogate '\\ud800'"),
	B("high surrogate then raw 'A'", "[\"\\ud800A\"]",
	    "lone high surrogate '\\ud800'"),
	B("two high surrogates", "[\"\\ud800\\ud800\"]",
	    "lone high surrogate '\\ud800'"),
	B("low then high surrogate", "[\"\\udc00\\ud800\"]",
	    "lone low surrogate '\\udc00'"),
	B("lone surrogate in key", "{\"\\udfff\":1}",
	    "lone low surrogate '\\udfff'"),
	B("duplicate key", "{\"a\":1,\"a\":2}",
	    "line 1, column 8: duplicate object key 'a'"),
	B("duplicate key after unescaping", "{\"a\":1,\"\\u0061\":2}",
	    "duplicate object key 'a'"),
	B("duplicate key, escaped twice", "{\"\\u00e9\":1,\"\\u00E9\":2}",
	    "duplicate object key '\xc3\xa9'"),
	B("duplicate key, raw and escaped", "{\"\xc3\xa9\":1,\"\\u00e9\":2}",
	    "duplicate object key '\xc3\xa9'"),
	B("duplicate key with nul", "{\"a\\u0000\":1,\"a\\u0000\":2}",
	    "duplicate object key 'a\\u0000'"),
	B("duplicate empty key", "{\"\":1,\"\":2}", "duplicate object key ''"),
	B("duplicate key nested", "[{\"x\":{\"k\":1,\"j\":2,\"k\":3}}]",
	    "line 1, column 20: duplicate object key 'k'"),
	B("duplicate long key", "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\":1,\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":2}",
	    "duplicate object key 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'"),
	B("1e400", "[1e400]", "line 1, column 2: number out of range '1e400'"),
	B("-1e400", "[-1e400]", "number out of range '-1e400'"),
	B("1.8e308", "1.8e308", "number out of range '1.8e308'"),
	B("NaN", "[NaN]", "line 1, column 2: invalid literal 'NaN'"),
	B("Infinity", "[Infinity]", "invalid literal 'Infinity'"),
	B("-Infinity", "[-Infinity]", "invalid literal '-Infinity'"),
	B("nan", "nan", "invalid literal 'nan'"),
	B("True", "True", "invalid literal 'True'"),
	B("truex", "[truex]", "invalid literal 'truex'"),
	B("undefined", "{\"a\":undefined}", "invalid literal 'undefined'"),
	B("trailing garbage", "[1] x",
	    "line 1, column 5: unexpected character 'x', expected end of input"),
	B("two documents", "{}{}", "unexpected character '{', expected end"),
	B("two numbers", "1 2", "unexpected character '2', expected end"),
	B("trailing nul", "[1]\0", "line 1, column 4: nul byte"),
	B("nul in string", "[\"a\0b\"]",
	    "line 1, column 4: nul byte in string"),
	B("nul before value", "\0[1]", "nul byte"),
	B("control character in string", "[\"a\tb\"]",
	    "line 1, column 4: control character 0x09 in string"),
	B("newline in string", "\"a\nb\"", "control character 0x0a in string"),
	B("byte order mark", "\xef\xbb\xbf[1]",
	    "line 1, column 1: unexpected character U+FEFF"),
	B("invalid utf-8 outside string", "[1,\xff]",
	    "line 1, column 4: invalid utf-8"),
	B("leading zero", "[01]", "invalid number (leading zero)"),
	B("negative leading zero", "[-012]", "invalid number (leading zero)"),
	B("plus sign", "[+1]", "unexpected character '+', expected a value"),
	B("no fraction digits", "[1.]", "no digits after '.'"),
	B("no integer digits", "[.5]", "unexpected character '.'"),
	B("minus alone", "[-]", "invalid number (no digits)"),
	B("no exponent digits", "[1e]", "no digits in exponent"),
	B("exponent sign only", "[1e+]", "no digits in exponent"),
	B("hex number", "[0x10]", "unexpected character 'x', expected ','"),
	B("invalid escape", "[\"\\x\"]",
	    "line 1, column 3: invalid escape '\\x'"),
	B("escaped single quote", "[\"\\'\"]", "invalid escape '\\''"),
	B("short \\u escape", "[\"\\u12\"]", "invalid \\u escape"),
	B("\\u escape bad hex", "[\"\\u12g4\"]", "invalid \\u escape"),
	B("\\u escape at end", "\"\\u12", "invalid \\u escape"),
	B("backslash at end", "\"\\", "unexpected end of input in string"),
	B("unterminated string", "[\"abc",
	    "line 1, column 2: unterminated string"),
	B("unclosed array", "[1,2",
	    "line 1, column 5: unexpected end of input, expected ','"),
	B("unclosed object", "{\"a\":1",
	    "unexpected end of input, expected ',' or '}'"),
	B("trailing comma in array", "[1,]",
	    "unexpected character ']', expected a value"),
	B("trailing comma in object", "{\"a\":1,}",
	    "unexpected character '}', expected a string (object key)"),
	B("missing colon", "{\"a\" 1}",
	    "unexpected character '1', expected ':' after object key"),
	B("missing value", "{\"a\":}", "unexpected character '}', expected a"),
	B("unquoted key", "{a:1}", "unexpected character 'a', expected a str"),
	B("single quotes", "['a']", "unexpected character '''"),
	B("comment", "[1/*c*/]", "unexpected character '/'"),
	B("missing comma", "[1 2]", "unexpected character '2', expected ','"),
	B("close bracket only", "]", "unexpected character ']'"),
	B("mismatched brackets", "[1}", "unexpected character '}'"),
	B("error on line 3", "{\n  \"a\": 1,\n  \"\xc3\xa9\xc3\xa9\": x\n}",
	    "line 3, column 9: invalid literal 'x'"),
	B("error after CRLF lines", "[\r\n1,\r\n2,\r\n]",
	    "line 4, column 1: unexpected character ']'"),
#undef B
};

START_TEST(test_jcs_parse_refuses)
{
	struct ledger_error e;
	json_t *v = (json_t *)&e;	/* must come back untouched */

	memset(&e, 0, sizeof(e));
	ck_assert_msg(parse_exact(bad_json[_i].in, bad_json[_i].len, &v,
	    &e) == LEDGER_EINVAL, "%s: accepted", bad_json[_i].name);
	ck_assert_ptr_eq(v, (json_t *)&e);
	ck_assert_int_eq(e.code, LEDGER_EINVAL);
	ck_assert_msg(strncmp(e.msg, "invalid json at line ", 21) == 0,
	    "%s: '%s'", bad_json[_i].name, e.msg);
	ck_assert_msg(strstr(e.msg, bad_json[_i].want) != NULL,
	    "%s: message '%s' lacks '%s'", bad_json[_i].name, e.msg,
	    bad_json[_i].want);
	assert_msg_style(e.msg);

	/* Canonicalization refuses it the same way. */
	{
		struct ledger_error e2;
		char *out = (char *)"untouched";
		size_t n = 7;

		ck_assert_int_eq(ledger_jcs_canonicalize(bad_json[_i].in,
		    bad_json[_i].len, &out, &n, &e2), LEDGER_EINVAL);
		ck_assert_str_eq(e2.msg, e.msg);
		ck_assert_str_eq(out, "untouched");
		ck_assert_uint_eq(n, 7);
	}
	/* And without an error record. */
	ck_assert_int_eq(parse_exact(bad_json[_i].in, bad_json[_i].len, &v,
	    NULL), LEDGER_EINVAL);
}
END_TEST

/* "[" ["-"] n nines "]", in a heap buffer of exactly that size. */
static enum ledger_status
parse_nines(int neg, size_t n, struct ledger_error *e)
{
	enum ledger_status rc;
	char *in;
	json_t *v;

	in = malloc(n + 3);
	ck_assert_ptr_nonnull(in);
	in[0] = '[';
	if (neg)
		in[1] = '-';
	memset(in + 1 + neg, '9', n);
	in[1 + neg + n] = ']';
	rc = parse_exact(in, n + 2 + (size_t)neg, &v, e);
	if (rc == LEDGER_OK)
		json_decref(v);
	free(in);
	return rc;
}

/* Integer literals too long for a double: 400 digits, either sign. */
START_TEST(test_jcs_parse_huge_integer_refused)
{
	struct ledger_error e;

	ck_assert_int_eq(parse_nines(_i, 400, &e), LEDGER_EINVAL);
	ck_assert_msg(strstr(e.msg, _i == 1 ?
	    "line 1, column 2: number out of range '-9999999999" :
	    "line 1, column 2: number out of range '9999999999") != NULL,
	    "'%s'", e.msg);
	ck_assert_msg(strstr(e.msg, "...'") != NULL, "not shortened: '%s'",
	    e.msg);
	ck_assert_uint_lt(strlen(e.msg), 120);
	assert_msg_style(e.msg);
	/* The edge: 308 nines (~1e308) are a double, 309 (~1e309) not. */
	ck_assert_int_eq(parse_nines(_i, 308, &e), LEDGER_OK);
	ck_assert_int_eq(parse_nines(_i, 309, &e), LEDGER_EINVAL);
}
END_TEST

/* Nesting: LEDGER_JSON_MAX_DEPTH levels parse, one more does not. */
static char *
nested(int depth, int objects, size_t *ret_len)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	int i;

	for (i = 0; i < depth; i++)
		ck_assert_int_eq(ledger_buf_adds(&b, objects && i % 2 ?
		    "{\"k\":" : "["), LEDGER_OK);
	ck_assert_int_eq(ledger_buf_addc(&b, '0'), LEDGER_OK);
	for (i = depth - 1; i >= 0; i--)
		ck_assert_int_eq(ledger_buf_adds(&b, objects && i % 2 ?
		    "}" : "]"), LEDGER_OK);
	return ledger_buf_steal(&b, ret_len);
}

START_TEST(test_jcs_parse_depth_limit)
{
	struct ledger_error e;
	char *in, *out, want[64];
	size_t len, outlen;
	json_t *v;

	in = nested(LEDGER_JSON_MAX_DEPTH, _i, &len);
	ck_assert_int_eq(parse_exact(in, len, &v, &e), LEDGER_OK);
	ck_assert_int_eq(ledger_jcs_encode(v, &out, &outlen, &e), LEDGER_OK);
	ck_assert_uint_eq(outlen, len);
	ck_assert_mem_eq(out, in, len);
	free(out);
	json_decref(v);
	free(in);

	in = nested(LEDGER_JSON_MAX_DEPTH + 1, _i, &len);
	ck_assert_int_eq(parse_exact(in, len, &v, &e), LEDGER_EINVAL);
	snprintf(want, sizeof(want), "nesting deeper than %d levels",
	    LEDGER_JSON_MAX_DEPTH);
	ck_assert_msg(strstr(e.msg, want) != NULL, "'%s'", e.msg);
	free(in);

	/* Far deeper than jansson's own limit: refused, not a crash. */
	in = nested(100000, _i, &len);
	ck_assert_int_eq(parse_exact(in, len, &v, &e), LEDGER_EINVAL);
	ck_assert_msg(strstr(e.msg, want) != NULL, "'%s'", e.msg);
	free(in);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Parsing: what must be accepted */

START_TEST(test_jcs_parse_scalars_and_whitespace)
{
	CANON("true", "true");
	CANON(" false ", "false");
	CANON("\tnull\r\n", "null");
	CANON("\"x\"", "\"x\"");
	CANON("-1.5", "-1.5");
	CANON("[ ]", "[]");
	CANON("{ }", "{}");
	CANON("[true,false,null]", "[true,false,null]");
	CANON("\n[\n1\n,\n{\n\"a\"\n:\n2\n}\n]\n", "[1,{\"a\":2}]");
}
END_TEST

START_TEST(test_jcs_parse_surrogate_pairs)
{
	CANON("\"\\ud83d\\ude02\\uD83D\\uDE02\\ud800\\udc00\\udbff\\udfff\"",
	    "\"\xf0\x9f\x98\x82\xf0\x9f\x98\x82\xf0\x90\x80\x80"
	    "\xf4\x8f\xbf\xbf\"");
	/* Escaped and raw forms of the same character are the same key. */
	CANON("{\"\\u00e9\":1}", "{\"\xc3\xa9\":1}");
}
END_TEST

/* The input is read as len bytes: no NUL is needed or looked for. */
START_TEST(test_jcs_parse_length_bounded)
{
	json_t *v;

	ck_assert_int_eq(parse_exact("[1]garbage", 3, &v, NULL), LEDGER_OK);
	json_decref(v);
	ck_assert_int_eq(parse_exact("12345", 2, &v, NULL), LEDGER_OK);
	ck_assert_double_eq(json_real_value(v), 12);
	json_decref(v);
	ck_assert_int_eq(parse_exact("1.5e3", 4, &v, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(parse_exact("\"ab\"", 3, &v, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(parse_exact("\"\xc3\xa9\"", 2, &v, NULL),
	    LEDGER_EINVAL);
}
END_TEST

/* A large, ordinary document: canonical output reads back unchanged. */
START_TEST(test_jcs_parse_large_document)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	char *out, *again;
	size_t outlen, againlen;
	int i;

	ck_assert_int_eq(ledger_buf_adds(&b, "{"), LEDGER_OK);
	for (i = 0; i < 2000; i++)
		ck_assert_int_eq(ledger_buf_addf(&b, "%s\"k%d\":{\"s\":\"v\\n%d"
		    "\xc3\xa9\",\"n\":%d.25,\"a\":[%d,true,null]}",
		    i ? "," : "", 1999 - i, i, i, -i), LEDGER_OK);
	ck_assert_int_eq(ledger_buf_adds(&b, "}"), LEDGER_OK);
	ck_assert_int_eq(ledger_jcs_canonicalize(b.data, b.len, &out, &outlen,
	    NULL), LEDGER_OK);
	ck_assert_ptr_nonnull(strstr(out, "{\"k0\":{\"a\":[-1999,true,null],"
	    "\"n\":1999.25,\"s\":\"v\\n1999\xc3\xa9\"},\"k1\":"));
	ck_assert_int_eq(ledger_jcs_canonicalize(out, outlen, &again,
	    &againlen, NULL), LEDGER_OK);
	ck_assert_uint_eq(againlen, outlen);
	ck_assert_mem_eq(again, out, outlen);
	free(again);
	free(out);
	ledger_buf_release(&b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Encoding hand-built trees, and the API's edges */

START_TEST(test_jcs_encode_invalid_utf8_refused)
{
	struct ledger_error e;
	char *out = (char *)"untouched";
	size_t n;
	json_t *v;

	/* A string value (the _nocheck constructors skip validation). */
	v = json_pack("[s,o]", "ok", json_stringn_nocheck("a\xffz", 3));
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(ledger_jcs_encode(v, &out, &n, &e), LEDGER_EINVAL);
	ck_assert_str_eq(e.msg, "invalid utf-8 in string at byte 1");
	ck_assert_str_eq(out, "untouched");
	json_decref(v);

	/* An object key. */
	v = json_object();
	ck_assert_int_eq(json_object_setn_new_nocheck(v, "ok", 2,
	    json_true()), 0);
	ck_assert_int_eq(json_object_setn_new_nocheck(v, "\xed\xa0\x80", 3,
	    json_true()), 0);
	ck_assert_int_eq(ledger_jcs_encode(v, &out, &n, &e), LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "invalid utf-8 in object key"));
	assert_msg_style(e.msg);
	json_decref(v);
}
END_TEST

START_TEST(test_jcs_encode_too_deep_refused)
{
	struct ledger_error e;
	json_t *root, *cur, *next;
	char *out;
	size_t n;
	int i;

	root = cur = json_array();
	for (i = 0; i < 100000; i++) {
		next = json_array();
		ck_assert_int_eq(json_array_append_new(cur, next), 0);
		cur = next;
	}
	ck_assert_int_eq(ledger_jcs_encode(root, &out, &n, &e), LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "nesting deeper than"));
	json_decref(root);
}
END_TEST

START_TEST(test_jcs_encode_hand_built_tree)
{
	char *out;
	size_t n;
	json_t *v;

	v = json_pack("{s:i,s:f,s:s,s:[b,b,n],s:{}}", "seq", 42, "ratio", 0.5,
	    "name", "caf\xc3\xa9\ttab", "flags", 1, 0, "empty");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(ledger_jcs_encode(v, &out, &n, NULL), LEDGER_OK);
	ck_assert_str_eq(out, "{\"empty\":{},\"flags\":[true,false,null],"
	    "\"name\":\"caf\xc3\xa9\\ttab\",\"ratio\":0.5,\"seq\":42}");
	ck_assert_uint_eq(n, strlen(out));
	free(out);
	json_decref(v);
}
END_TEST

START_TEST(test_jcs_api_bad_arguments)
{
	char out[LEDGER_JCS_NUMBER_MAX], *buf;
	struct ledger_error e;
	size_t n;
	json_t *v;

	ck_assert_int_eq(ledger_json_parse("1", 1, NULL, &e), LEDGER_EINVAL);
	assert_msg_style(e.msg);
	ck_assert_int_eq(ledger_json_parse(NULL, 1, &v, &e), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_json_parse(NULL, 0, &v, &e), LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "empty input"));
	ck_assert_int_eq(ledger_jcs_encode(NULL, &buf, &n, &e), LEDGER_EINVAL);
	v = json_true();
	ck_assert_int_eq(ledger_jcs_encode(v, NULL, &n, &e), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_jcs_encode(v, &buf, NULL, &e), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_jcs_canonicalize("1", 1, NULL, &n, &e),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_jcs_canonicalize("1", 1, &buf, NULL, NULL),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_jcs_format_number(1, NULL, &n, &e),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_jcs_format_number(1, out, NULL, &e),
	    LEDGER_OK);
	ck_assert_str_eq(out, "1");
	ck_assert_int_eq(ledger_jcs_append_string(NULL, "a", 1, &e),
	    LEDGER_EINVAL);
	{
		struct ledger_buf b = LEDGER_BUF_INIT;

		ck_assert_int_eq(ledger_jcs_append_string(&b, NULL, 1, &e),
		    LEDGER_EINVAL);
		ck_assert_uint_eq(b.len, 0);
	}
}
END_TEST

/* On success *err is not written. */
START_TEST(test_jcs_api_error_untouched_on_success)
{
	struct ledger_error e;
	char *out;
	size_t n;

	memset(&e, 0x5a, sizeof(e));
	ck_assert_int_eq(ledger_jcs_canonicalize("{\"b\":1,\"a\":[]}", 14,
	    &out, &n, &e), LEDGER_OK);
	ck_assert_str_eq(out, "{\"a\":[],\"b\":1}");
	ck_assert_uint_eq(n, 14);
	free(out);
	ck_assert_int_eq(e.code, 0x5a5a5a5a);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *
jcs_suite(void)
{
	Suite *s = suite_create("jcs");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_loop_test(tc, test_jcs_vectors_match, 0, NVECTORS);
	tcase_add_test(tc, test_jcs_vectors_all_covered);
	suite_add_tcase(s, tc);

	tc = tcase_create("numbers");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_jcs_number_appendix_b, 0,
	    (int)(sizeof(appendix_b) / sizeof(appendix_b[0])));
	tcase_add_loop_test(tc, test_jcs_number_layout, 0,
	    (int)(sizeof(layout) / sizeof(layout[0])));
	tcase_add_loop_test(tc, test_jcs_number_nan_infinity_refused, 0, 5);
	tcase_add_test(tc, test_jcs_number_random_roundtrip_minimal);
	tcase_add_test(tc, test_jcs_number_parsed_text);
	tcase_add_test(tc, test_jcs_number_all_parsed_as_real);
	tcase_add_loop_test(tc, test_jcs_number_integer_range, 0, 9);
	suite_add_tcase(s, tc);

	tc = tcase_create("strings");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_jcs_string_control_escapes, 0, 32);
	tcase_add_test(tc, test_jcs_string_no_other_escapes);
	tcase_add_test(tc, test_jcs_string_matches_reference);
	tcase_add_test(tc, test_jcs_string_appends);
	tcase_add_loop_test(tc, test_jcs_string_invalid_utf8_refused, 0,
	    (int)(sizeof(bad_utf8) / sizeof(bad_utf8[0])));
	tcase_add_test(tc, test_jcs_string_nul_in_value);
	suite_add_tcase(s, tc);

	tc = tcase_create("order");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_jcs_sort_utf16_not_utf8);
	tcase_add_test(tc, test_jcs_sort_unescaped_names);
	tcase_add_test(tc, test_jcs_sort_prefix_first);
	tcase_add_test(tc, test_jcs_sort_nul_in_key);
	tcase_add_test(tc, test_jcs_sort_matches_utf16_reference);
	tcase_add_test(tc, test_jcs_sort_nested);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse-refused");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_jcs_parse_refuses, 0,
	    (int)(sizeof(bad_json) / sizeof(bad_json[0])));
	tcase_add_loop_test(tc, test_jcs_parse_invalid_utf8_refused, 0,
	    (int)(sizeof(bad_utf8) / sizeof(bad_utf8[0])));
	tcase_add_loop_test(tc, test_jcs_parse_huge_integer_refused, 0, 2);
	tcase_add_loop_test(tc, test_jcs_parse_depth_limit, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse-accepted");
	tcase_add_test(tc, test_jcs_parse_scalars_and_whitespace);
	tcase_add_test(tc, test_jcs_parse_surrogate_pairs);
	tcase_add_test(tc, test_jcs_parse_length_bounded);
	tcase_add_test(tc, test_jcs_parse_large_document);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_jcs_encode_invalid_utf8_refused);
	tcase_add_test(tc, test_jcs_encode_too_deep_refused);
	tcase_add_test(tc, test_jcs_encode_hand_built_tree);
	tcase_add_test(tc, test_jcs_api_bad_arguments);
	tcase_add_test(tc, test_jcs_api_error_untouched_on_success);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	static char dir[1024];
	const char *env = getenv("LEDGER_VECTORS");
	struct stat st;
	SRunner *sr;
	int failed;

	if (env == NULL || *env == '\0') {
		fprintf(stderr, "test-jcs: LEDGER_VECTORS not set, skipped\n");
		return 77;
	}
	snprintf(dir, sizeof(dir), "%s/jcs", env);
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "test-jcs: no vectors in '%s', skipped\n", dir);
		return 77;
	}
	vectors = dir;

	sr = srunner_create(jcs_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
