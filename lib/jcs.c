/*
 * jcs.c - RFC 8785 (JCS) canonical form: numbers (ECMAScript's shortest
 * round-trip form), strings, and the encoder; the strict parser it
 * canonicalizes from is json.c
 */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/buf.h"
#include "ledger/entry.h"
#include "ledger/jcs.h"
#include "jcs-int.h"

/*
 * Deepest tree ledger_jcs_encode will walk.  Parsed trees are at most
 * LEDGER_JSON_MAX_DEPTH deep; hand-built ones get more room (an envelope
 * around a parsed payload) but still a bound, so that a cyclic or absurdly
 * deep tree fails cleanly instead of exhausting the stack.
 */
#define ENCODE_MAX_DEPTH	(4 * LEDGER_JSON_MAX_DEPTH)


/* ------------------------------------------------------------------ */
/* UTF-8 */

/* The code point of the well-formed sequence at p (ledger_utf8_decode
 * has checked it). */
uint32_t
jcs_utf8_decode(const unsigned char *p)
{
	uint32_t c = 0xfffd;

	(void)ledger_utf8_decode(p, 4, &c);
	return c;
}


/* Offset of the first byte that is not valid UTF-8, or len if none. */
static size_t
utf8_check(const unsigned char *p, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = ledger_utf8_decode(p + i, len - i, NULL)) == 0)
			return i;
		i += n;
	}
	return len;
}


/* ------------------------------------------------------------------ */
/* Numbers */

/*
 * The p-digit decimal that ECMAScript's Number::toString would consider
 * for d (finite, > 0): the one nearest to d, which printf's %.*e gives
 * (glibc rounds exactly).  Stores its digits, NUL-terminated and without
 * trailing zeros, in digits, their count in *ret_k and the decimal
 * exponent of the first digit in *ret_e10 (d ~ D.DDD * 10^e10); returns 1
 * if it reads back as d.
 *
 * One case needs more: a power of two, where the gap to the double below
 * is half the gap to the one above.  The nearest p-digit decimal can then
 * fall below d and outside its rounding interval while the next one up is
 * inside it: 2^-1017 is 7.120236347223045e-307, 16 digits, not the 17 a
 * nearest-only search finds.  So if the nearest one is below a power of
 * two and does not read back, we also try that neighbour.
 *
 * Candidates are read back as "DIGITSe-N", with no decimal point, so the
 * locale does not matter.
 */
static int
candidate(double d, int p, int pow2, char digits[18], int *ret_k,
    int *ret_e10)
{
	char tmp[48], cand[48];
	const char *s;
	int k = 0, i, e10;
	double back;

	snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
	/* Digits, whatever the locale's decimal point, then exponent. */
	for (s = tmp; *s != '\0' && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && k < 17)
			digits[k++] = *s;
	digits[k] = '\0';
	e10 = (int)strtol(*s == 'e' ? s + 1 : s, NULL, 10);
	snprintf(cand, sizeof(cand), "%se%d", digits, e10 - (k - 1));
	back = strtod(cand, NULL);
	if (back != d && pow2 && back < d) {
		/* One unit up in the last digit; 99..9 carries to 10..0. */
		for (i = k - 1; i >= 0 && digits[i] == '9'; i--)
			digits[i] = '0';
		if (i >= 0)
			digits[i]++;
		else {
			digits[0] = '1';
			e10++;
		}
		snprintf(cand, sizeof(cand), "%se%d", digits, e10 - (k - 1));
		back = strtod(cand, NULL);
	}
	while (k > 1 && digits[k - 1] == '0')
		digits[--k] = '\0';
	*ret_k = k;
	*ret_e10 = e10;
	return back == d;
}

/*
 * Shortest digits that read back as d (finite, > 0), as candidate() puts
 * them; returns their count.  Whether p digits suffice is monotone in p
 * (the nearest p+1-digit decimal is at least as near as the nearest
 * p-digit one, and for powers of two the next one up from it lies between
 * d and any p-digit decimal above d that reads back), and 17 always
 * suffice, so a binary search over 1..17 needs five tries, not up to 17.
 */
static int
shortest_digits(double d, char digits[18], int *ret_e10)
{
	int lo = 1, hi = 17, mid, k, e10, pow2, ok = 0;
	char tmp[18];

	pow2 = frexp(d, &e10) == 0.5;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (candidate(d, mid, pow2, tmp, &k, &e10)) {
			hi = mid;
			memcpy(digits, tmp, sizeof(tmp));
			*ret_e10 = e10;
			ok = mid;
		} else
			lo = mid + 1;
	}
	if (ok != lo)
		(void)candidate(d, lo, pow2, digits, &k, ret_e10);
	return (int)strlen(digits);
}

/* Write the decimal digits of v > 0; return how many. */
static size_t
put_uint(char *out, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/*
 * ECMAScript Number::toString(d) (ECMA-262, 6.1.6.1.20; RFC 8785 section
 * 3.2.2.3) for finite d, into out; returns the length.  With k digits and
 * the decimal point after n of them (d = 0.DIGITS * 10^n):
 *	k <= n <= 21	digits, then n - k zeros	(1e20 -> 1000...000)
 *	0 < n <= 21	digits with a point inside	(1.5)
 *	-6 < n <= 0	"0.", -n zeros, digits		(0.000001)
 *	otherwise	d[.ddd]e+/-(n - 1)		(1e+21, 1e-7, 1.23e-18)
 * The longest result is 25 bytes ("-0.0000033333333333333333").
 */
static size_t
format_double(double d, char *out)
{
	char digits[18];
	size_t o = 0;
	int k, n, e10, i;

	if (d == 0) {			/* +0 and -0 */
		out[0] = '0';
		out[1] = '\0';
		return 1;
	}
	if (d < 0) {
		out[o++] = '-';
		d = -d;
	}
	if (d < EXACT_INT_MAX && d == floor(d)) {
		/* Fast path: exact integers, the common case. */
		o += put_uint(out + o, (uint64_t)d);
		out[o] = '\0';
		return o;
	}
	k = shortest_digits(d, digits, &e10);
	n = e10 + 1;
	if (k <= n && n <= 21) {
		memcpy(out + o, digits, (size_t)k);
		o += (size_t)k;
		for (i = k; i < n; i++)
			out[o++] = '0';
	} else if (0 < n && n <= 21) {
		memcpy(out + o, digits, (size_t)n);
		o += (size_t)n;
		out[o++] = '.';
		memcpy(out + o, digits + n, (size_t)(k - n));
		o += (size_t)(k - n);
	} else if (-6 < n && n <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (i = n; i < 0; i++)
			out[o++] = '0';
		memcpy(out + o, digits, (size_t)k);
		o += (size_t)k;
	} else {
		out[o++] = digits[0];
		if (k > 1) {
			out[o++] = '.';
			memcpy(out + o, digits + 1, (size_t)(k - 1));
			o += (size_t)(k - 1);
		}
		out[o++] = 'e';
		out[o++] = n - 1 < 0 ? '-' : '+';
		o += put_uint(out + o, (uint64_t)(n - 1 < 0 ? 1 - n : n - 1));
	}
	out[o] = '\0';
	return o;
}

enum ledger_status
ledger_jcs_format_number(double d, char out[LEDGER_JCS_NUMBER_MAX],
    size_t *ret_len, struct ledger_error *err)
{
	size_t n;

	if (out == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "format number: no output buffer");
	out[0] = '\0';
	if (isnan(d))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "format number: nan has no json form");
	if (isinf(d))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "format number: %sinfinity has no json form",
		    d < 0 ? "-" : "");
	n = format_double(d, out);
	if (ret_len != NULL)
		*ret_len = n;
	return LEDGER_OK;
}

/* ------------------------------------------------------------------ */
/* Strings */

/*
 * Bytes that go out as they are: printable ASCII other than '"' and '\'.
 * DEL (0x7f) is one: RFC 8785 escapes only what JSON must.
 */
const unsigned char jcs_plain[256] = {
	['\x20'] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1,
	['\''] = 1, ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1,
	['-'] = 1, ['.'] = 1, ['/'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1,
	['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
	['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1,
	['?'] = 1, ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
	['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
	['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
	['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1, [']'] = 1,
	['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,
	['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
	['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
	['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1,
	['|'] = 1, ['}'] = 1, ['~'] = 1, ['\x7f'] = 1,
};

#define ONES	UINT64_C(0x0101010101010101)
#define HIGHS	UINT64_C(0x8080808080808080)

/*
 * Whether any of the 8 bytes in w is not plain ASCII: below 0x20, '"',
 * '\' or 0x80 and up.  The usual SWAR tests, exact for "is there any":
 * (x - ONES * n) & ~x & HIGHS is non-zero iff some byte of x is below n
 * (n <= 0x80), and a byte equal to c is a zero byte of x ^ (ONES * c).
 */
static int
word_needs_care(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), bs = w ^ (ONES * '\\');

	return (((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) |
	    ((bs - ONES) & ~bs) | w) & HIGHS ? 1 : 0;
}

/*
 * Append s as an RFC 8785 string.  Runs of bytes that need no escape
 * (plain ASCII, checked 8 at a time, and well-formed UTF-8 sequences) are
 * copied with one memcpy; only '"', '\' and controls are escaped.  On
 * failure b is left as it was.
 */
enum ledger_status
ledger_jcs_append_string(struct ledger_buf *b, const char *s, size_t len,
    struct ledger_error *err)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p, *end, *run;
	char esc[6];
	size_t oldlen, n, elen;
	uint64_t w;
	unsigned char c;

	if (b == NULL || (s == NULL && len > 0))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "append string: bad argument");
	if (s == NULL)
		s = "";		/* NULL + 0 is undefined */
	oldlen = b->len;
	if (ledger_buf_reserve(b, len + 2) != LEDGER_OK)
		goto nomem;
	b->data[b->len++] = '"';
	p = run = (const unsigned char *)s;
	end = p + len;
	while (p < end) {
		while (end - p >= 8) {
			memcpy(&w, p, sizeof(w));
			if (word_needs_care(w))
				break;
			p += 8;
		}
		if (p == end)
			break;
		c = *p;
		if (jcs_plain[c]) {
			p++;
			continue;
		}
		if (c >= 0x80) {
			if ((n = ledger_utf8_decode(p, (size_t)(end - p),
			    NULL)) == 0)
				goto badutf8;
			p += n;
			continue;
		}
		esc[0] = '\\';
		elen = 2;
		switch (c) {
		case '"':	esc[1] = '"'; break;
		case '\\':	esc[1] = '\\'; break;
		case '\b':	esc[1] = 'b'; break;
		case '\t':	esc[1] = 't'; break;
		case '\n':	esc[1] = 'n'; break;
		case '\f':	esc[1] = 'f'; break;
		case '\r':	esc[1] = 'r'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			elen = 6;
			break;
		}
		if (ledger_buf_add(b, run, (size_t)(p - run)) != LEDGER_OK ||
		    ledger_buf_add(b, esc, elen) != LEDGER_OK)
			goto nomem;
		run = ++p;
	}
	if (ledger_buf_add(b, run, (size_t)(p - run)) != LEDGER_OK ||
	    ledger_buf_addc(b, '"') != LEDGER_OK)
		goto nomem;
	return LEDGER_OK;

badutf8:
	b->len = oldlen;
	b->data[oldlen] = '\0';
	return ledger_errorf(err, LEDGER_EINVAL,
	    "invalid utf-8 in string at byte %zu",
	    (size_t)(p - (const unsigned char *)s));
nomem:
	if (b->data != NULL) {
		b->len = oldlen;
		b->data[oldlen] = '\0';
	}
	return ledger_errorf(err, LEDGER_ENOMEM,
	    "append string: out of memory");
}

/* ------------------------------------------------------------------ */
/* Canonical serialization */

struct member {
	const char	*key;
	size_t		 len;
	json_t		*value;
};

/*
 * Where code point cp sorts among UTF-16 code units.  UTF-8 byte order is
 * code point order, and UTF-16 order agrees with it except that
 * U+E000..U+FFFF (one unit, E000..FFFF) sort after U+10000..U+10FFFF (a
 * surrogate pair, first unit D800..DBFF).  Moving that block above
 * U+10FFFF makes code point order into UTF-16 order.
 */
static uint32_t
utf16_rank(uint32_t cp)
{
	return cp >= 0xe000 && cp <= 0xffff ? cp + 0x110000 : cp;
}

/*
 * qsort comparator: RFC 8785 section 3.2.3 order of member names (valid
 * UTF-8, checked before sorting).  The names agree up to the first byte
 * that differs, so both have a character boundary at the same place
 * before it: compare the two characters that start there.
 */
static int
member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	const unsigned char *p = (const unsigned char *)x->key;
	const unsigned char *q = (const unsigned char *)y->key;
	size_t n = x->len < y->len ? x->len : y->len, i;
	uint32_t rx, ry;

	for (i = 0; i < n && p[i] == q[i]; i++)
		continue;
	if (i == n)
		return x->len < y->len ? -1 : x->len > y->len;
	while (i > 0 && (p[i] & 0xc0) == 0x80)
		i--;
	rx = utf16_rank(jcs_utf8_decode(p + i));
	ry = utf16_rank(jcs_utf8_decode(q + i));
	return rx < ry ? -1 : rx > ry;
}

static enum ledger_status encode_value(struct ledger_buf *, const json_t *,
    int, struct ledger_error *);

static enum ledger_status
encode_object(struct ledger_buf *b, const json_t *v, int depth,
    struct ledger_error *err)
{
	struct member stack[16], *m = stack;
	enum ledger_status rc;
	size_t n, i, bad;
	void *it;

	n = json_object_size(v);
	if (n == 0)
		return ledger_buf_add(b, "{}", 2);
	if (n > sizeof(stack) / sizeof(stack[0]) &&
	    (m = calloc(n, sizeof(*m))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM,
		    "encode json: out of memory");
	/* jansson's iterator API takes json_t *; it does not modify v. */
	i = 0;
	for (it = json_object_iter((json_t *)(uintptr_t)v);
	    it != NULL && i < n;
	    it = json_object_iter_next((json_t *)(uintptr_t)v, it)) {
		m[i].key = json_object_iter_key(it);
		m[i].len = json_object_iter_key_len(it);
		m[i].value = json_object_iter_value(it);
		bad = utf8_check((const unsigned char *)m[i].key, m[i].len);
		if (bad != m[i].len) {
			rc = ledger_errorf(err, LEDGER_EINVAL, "encode json: "
			    "invalid utf-8 in object key at byte %zu", bad);
			goto out;
		}
		i++;
	}
	n = i;
	qsort(m, n, sizeof(*m), member_cmp);
	if ((rc = ledger_buf_addc(b, '{')) != LEDGER_OK)
		goto out;
	for (i = 0; i < n; i++) {
		if (i > 0 && (rc = ledger_buf_addc(b, ',')) != LEDGER_OK)
			goto out;
		if ((rc = ledger_jcs_append_string(b, m[i].key, m[i].len,
		    err)) != LEDGER_OK)
			goto out;
		if ((rc = ledger_buf_addc(b, ':')) != LEDGER_OK)
			goto out;
		if ((rc = encode_value(b, m[i].value, depth, err)) != LEDGER_OK)
			goto out;
	}
	rc = ledger_buf_addc(b, '}');
out:
	if (m != stack)
		free(m);
	return rc;
}

/*
 * Append the canonical form of v.  Status codes from ledger_buf_* come
 * back without a message; ledger_jcs_encode supplies one.
 */
static enum ledger_status
encode_value(struct ledger_buf *b, const json_t *v, int depth,
    struct ledger_error *err)
{
	char num[LEDGER_JCS_NUMBER_MAX];
	enum ledger_status rc;
	json_int_t iv;
	size_t i, n = 0;

	if (v == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "encode json: null "
		    "json_t pointer in tree");
	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (depth >= ENCODE_MAX_DEPTH)
			return ledger_errorf(err, LEDGER_EINVAL, "encode json: "
			    "nesting deeper than %d levels", ENCODE_MAX_DEPTH);
		if (json_is_object(v))
			return encode_object(b, v, depth + 1, err);
		if ((rc = ledger_buf_addc(b, '[')) != LEDGER_OK)
			return rc;
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			if (i > 0 &&
			    (rc = ledger_buf_addc(b, ',')) != LEDGER_OK)
				return rc;
			if ((rc = encode_value(b, json_array_get(v, i),
			    depth + 1, err)) != LEDGER_OK)
				return rc;
		}
		return ledger_buf_addc(b, ']');
	case JSON_STRING:
		return ledger_jcs_append_string(b, json_string_value(v),
		    json_string_length(v), err);
	case JSON_INTEGER:
		iv = json_integer_value(v);
		if (iv > EXACT_INT_MAX_I || iv < -EXACT_INT_MAX_I)
			return ledger_errorf(err, LEDGER_EINVAL, "encode json: "
			    "integer %" JSON_INTEGER_FORMAT " beyond 2^53", iv);
		n = format_double((double)iv, num);
		return ledger_buf_add(b, num, n);
	case JSON_REAL:
		if ((rc = ledger_jcs_format_number(json_real_value(v), num, &n,
		    err)) != LEDGER_OK)
			return rc;
		return ledger_buf_add(b, num, n);
	case JSON_TRUE:
		return ledger_buf_add(b, "true", 4);
	case JSON_FALSE:
		return ledger_buf_add(b, "false", 5);
	case JSON_NULL:
		return ledger_buf_add(b, "null", 4);
	}
	return ledger_errorf(err, LEDGER_EINVAL, "encode json: unknown type");
}

enum ledger_status
ledger_jcs_encode(const json_t *v, char **ret_buf, size_t *ret_len,
    struct ledger_error *err)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_error e;
	enum ledger_status rc;

	if (v == NULL || ret_buf == NULL || ret_len == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "encode json: bad argument");
	e.code = LEDGER_OK;
	if ((rc = encode_value(&b, v, 0, &e)) != LEDGER_OK) {
		ledger_buf_release(&b);
		if (e.code == LEDGER_OK)	/* from ledger_buf_*: no text */
			return ledger_errorf(err, rc,
			    "encode json: out of memory");
		if (err != NULL)
			*err = e;
		return rc;
	}
	*ret_buf = ledger_buf_steal(&b, ret_len);
	return LEDGER_OK;
}

enum ledger_status
ledger_jcs_canonicalize(const char *buf, size_t len, char **ret_buf,
    size_t *ret_len, struct ledger_error *err)
{
	enum ledger_status rc;
	json_t *v;

	if (ret_buf == NULL || ret_len == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "canonicalize json: bad argument");
	if ((rc = ledger_json_parse(buf, len, &v, err)) != LEDGER_OK)
		return rc;
	rc = ledger_jcs_encode(v, ret_buf, ret_len, err);
	json_decref(v);
	return rc;
}
