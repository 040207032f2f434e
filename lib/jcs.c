/*
 * jcs.c - strict JSON parsing and RFC 8785 (JCS) canonical form
 *
 * The parser is our own small recursive-descent one that builds jansson
 * trees, rather than json_loadb(): jansson 2.14 refuses "\u0000" in object
 * keys whatever the flags ("NUL byte in object key not supported"), which
 * the contract in jcs.h requires us to accept, and it cannot be asked for
 * a nesting limit below 2048.  Owning the parser also puts every rejection
 * rule of RFC 8785 / I-JSON (UTF-8, surrogates, duplicate names, number
 * range, depth) in one place, with one error grammar.  Two parsers (jansson
 * for most input, ours for the rest) would be worse: a canonicalizer must
 * accept and reject exactly the same texts every time.
 */
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/buf.h"
#include "ledger/entry.h"
#include "ledger/jcs.h"

/*
 * Deepest tree ledger_jcs_encode will walk.  Parsed trees are at most
 * LEDGER_JSON_MAX_DEPTH deep; hand-built ones get more room (an envelope
 * around a parsed payload) but still a bound, so that a cyclic or absurdly
 * deep tree fails cleanly instead of exhausting the stack.
 */
#define ENCODE_MAX_DEPTH	(4 * LEDGER_JSON_MAX_DEPTH)

/* Integers up to 2^53 are exact in a double. */
#define EXACT_INT_MAX		9007199254740992.0
#define EXACT_INT_MAX_I		((json_int_t)1 << 53)

/* How much of a bad token or key an error message quotes. */
#define QUOTE_MAX		40

/* ------------------------------------------------------------------ */
/* UTF-8 */

/* The code point of the well-formed sequence at p (ledger_utf8_decode
 * has checked it). */
static uint32_t
utf8_decode(const unsigned char *p)
{
	uint32_t c = 0xfffd;

	(void)ledger_utf8_decode(p, 4, &c);
	return c;
}

/* Write code point cp (a Unicode scalar value) as UTF-8; return length. */
static size_t
utf8_encode(uint32_t cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
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

/*
 * Quote up to QUOTE_MAX bytes of s for an error message: control
 * characters, backslash and quote escaped as in JSON, cut at a character
 * boundary with "..." if longer.  s is valid UTF-8.
 */
static void
quote_for_msg(const char *s, size_t len, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, n, m, max;
	char piece[6];

	max = outsz - 4 < QUOTE_MAX ? outsz - 4 : QUOTE_MAX;
	for (; i < len; i += n) {
		if ((n = ledger_utf8_decode(p + i, len - i, NULL)) == 0)
			n = 1;
		if (p[i] < 0x20) {
			memcpy(piece, "\\u00", 4);
			piece[4] = hex[p[i] >> 4];
			piece[5] = hex[p[i] & 0xf];
			m = 6;
		} else if (p[i] == '\\' || p[i] == '"') {
			piece[0] = '\\';
			piece[1] = (char)p[i];
			m = 2;
		} else {
			memcpy(piece, p + i, n);
			m = n;
		}
		if (o + m > max) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, piece, m);
		o += m;
	}
	out[o] = '\0';
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
static const unsigned char plain[256] = {
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
		if (plain[c]) {
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
/* Parsing */

struct parser {
	const unsigned char	*start;
	const unsigned char	*cur;
	const unsigned char	*end;
	struct ledger_buf	 scratch;	/* unescaped string bytes */
	struct ledger_error	*err;
};

/*
 * Fail with LEDGER_EINVAL: "invalid json at line L, column C: what", where
 * L and C (1-based, C counted in characters like jansson's) locate at.
 */
static enum ledger_status LEDGER_PRINTF(3, 4)
perr(struct parser *ps, const unsigned char *at, const char *fmt, ...)
{
	const unsigned char *p;
	size_t line = 1, col = 1;
	char what[192];
	va_list ap;

	for (p = ps->start; p < at; p++) {
		if (*p == '\n') {
			line++;
			col = 1;
		} else if ((*p & 0xc0) != 0x80)
			col++;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ledger_errorf(ps->err, LEDGER_EINVAL,
	    "invalid json at line %zu, column %zu: %s", line, col, what);
	if (ps->err != NULL)
		ps->err->flags |= LEDGER_ERRF_SYNTAX;
	return LEDGER_EINVAL;
}

static enum ledger_status
parse_nomem(struct parser *ps)
{
	return ledger_errorf(ps->err, LEDGER_ENOMEM,
	    "parse json: out of memory");
}

static void
skip_ws(struct parser *ps)
{
	while (ps->cur < ps->end && (*ps->cur == ' ' || *ps->cur == '\n' ||
	    *ps->cur == '\r' || *ps->cur == '\t'))
		ps->cur++;
}

/* Say what is wrong with the unexpected byte at ps->cur. */
static enum ledger_status
unexpected(struct parser *ps, const char *wanted)
{
	const unsigned char *p = ps->cur;
	size_t n;

	if (p == ps->end)
		return perr(ps, p, "unexpected end of input, %s", wanted);
	if (*p == '\0')
		return perr(ps, p, "nul byte, %s", wanted);
	if (*p < 0x80 && *p >= 0x20 && *p != 0x7f)
		return perr(ps, p, "unexpected character '%c', %s", *p, wanted);
	if (*p < 0x80)
		return perr(ps, p, "unexpected byte 0x%02x, %s", *p, wanted);
	if ((n = ledger_utf8_decode(p, (size_t)(ps->end - p), NULL)) == 0)
		return perr(ps, p, "invalid utf-8");
	return perr(ps, p, "unexpected character U+%04X, %s",
	    (unsigned)utf8_decode(p), wanted);
}

/* Four hex digits at p (at least 4 bytes available) or -1. */
static long
hex4(const unsigned char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			v |= p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= p[i] - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Decode the escape at ps->cur (the backslash) into ps->scratch.  A \u
 * escape of a high surrogate must be followed by one of a low surrogate;
 * anything else (a lone high or low half, a high half followed by another
 * character) is refused, since it is not a Unicode string.
 */
static enum ledger_status
parse_escape(struct parser *ps)
{
	const unsigned char *at = ps->cur;
	unsigned char u8[4];
	long hi, lo;
	uint32_t cp;
	char c;

	if (ps->end - at < 2)
		return perr(ps, at, "unexpected end of input in string");
	switch (at[1]) {
	case '"':	c = '"'; break;
	case '\\':	c = '\\'; break;
	case '/':	c = '/'; break;
	case 'b':	c = '\b'; break;
	case 'f':	c = '\f'; break;
	case 'n':	c = '\n'; break;
	case 'r':	c = '\r'; break;
	case 't':	c = '\t'; break;
	case 'u':
		if (ps->end - at < 6 || (hi = hex4(at + 2)) < 0)
			return perr(ps, at, "invalid \\u escape");
		ps->cur = at + 6;
		if (hi >= 0xdc00 && hi <= 0xdfff)
			return perr(ps, at,
			    "lone low surrogate '\\u%04lx'", hi);
		if (hi >= 0xd800 && hi <= 0xdbff) {
			if (ps->end - ps->cur < 6 || ps->cur[0] != '\\' ||
			    ps->cur[1] != 'u' || (lo = hex4(ps->cur + 2)) < 0 ||
			    lo < 0xdc00 || lo > 0xdfff)
				return perr(ps, at, "lone high surrogate "
				    "'\\u%04lx' (not followed by a low one)",
				    hi);
			ps->cur += 6;
			cp = 0x10000 + ((uint32_t)(hi - 0xd800) << 10) +
			    (uint32_t)(lo - 0xdc00);
		} else
			cp = (uint32_t)hi;
		if (ledger_buf_add(&ps->scratch, u8,
		    utf8_encode(cp, u8)) != LEDGER_OK)
			return parse_nomem(ps);
		return LEDGER_OK;
	default:
		if (at[1] >= 0x20 && at[1] < 0x7f)
			return perr(ps, at, "invalid escape '\\%c'", at[1]);
		return perr(ps, at, "invalid escape");
	}
	ps->cur = at + 2;
	if (ledger_buf_addc(&ps->scratch, c) != LEDGER_OK)
		return parse_nomem(ps);
	return LEDGER_OK;
}

/*
 * Parse the string at ps->cur (its opening quote).  On success *ret points
 * to its unescaped bytes, *ret_len long: into the input if the string has
 * no escapes, else into ps->scratch, valid until the next string is parsed.
 */
static enum ledger_status
parse_string(struct parser *ps, const char **ret, size_t *ret_len)
{
	const unsigned char *open = ps->cur, *run;
	enum ledger_status rc;
	int escaped = 0;
	size_t n;

	run = ++ps->cur;
	for (;;) {
		while (ps->cur < ps->end && plain[*ps->cur])
			ps->cur++;
		if (ps->cur == ps->end)
			return perr(ps, open, "unterminated string");
		if (*ps->cur == '"')
			break;
		if (*ps->cur == '\\') {
			if (!escaped)
				ledger_buf_reset(&ps->scratch);
			escaped = 1;
			if (ledger_buf_add(&ps->scratch, run,
			    (size_t)(ps->cur - run)) != LEDGER_OK)
				return parse_nomem(ps);
			if ((rc = parse_escape(ps)) != LEDGER_OK)
				return rc;
			run = ps->cur;
		} else if (*ps->cur >= 0x80) {
			n = ledger_utf8_decode(ps->cur, (size_t)(ps->end - ps->cur),
			    NULL);
			if (n == 0)
				return perr(ps, ps->cur, "invalid utf-8");
			ps->cur += n;
		} else if (*ps->cur == '\0')
			return perr(ps, ps->cur, "nul byte in string");
		else
			return perr(ps, ps->cur,
			    "control character 0x%02x in string", *ps->cur);
	}
	if (escaped) {
		if (ledger_buf_add(&ps->scratch, run,
		    (size_t)(ps->cur - run)) != LEDGER_OK)
			return parse_nomem(ps);
		*ret = ps->scratch.data;
		*ret_len = ps->scratch.len;
	} else {
		*ret = (const char *)run;
		*ret_len = (size_t)(ps->cur - run);
	}
	ps->cur++;
	return LEDGER_OK;
}

static int
isdigit_c(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
isalpha_c(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A bare word (true, false, null, or a mistake such as NaN). */
static enum ledger_status
parse_literal(struct parser *ps, json_t **ret)
{
	const unsigned char *s = ps->cur;
	size_t n;

	if (*s == '-')
		ps->cur++;
	while (ps->cur < ps->end && isalpha_c(*ps->cur))
		ps->cur++;
	n = (size_t)(ps->cur - s);
	if (n == 4 && memcmp(s, "true", 4) == 0)
		*ret = json_true();
	else if (n == 5 && memcmp(s, "false", 5) == 0)
		*ret = json_false();
	else if (n == 4 && memcmp(s, "null", 4) == 0)
		*ret = json_null();
	else
		return perr(ps, s, "invalid literal '%.*s%s'",
		    (int)(n > QUOTE_MAX ? QUOTE_MAX : n), (const char *)s,
		    n > QUOTE_MAX ? "..." : "");
	return LEDGER_OK;
}

/*
 * Convert the number token s (n bytes, already checked against the JSON
 * grammar) to a double.  Up to 15 integer digits are exact in a double
 * and converted directly; anything else goes through strtod(3), on a
 * NUL-terminated copy with '.' replaced by the locale's radix character,
 * as jansson does.
 */
static enum ledger_status
number_value(struct parser *ps, const unsigned char *s, size_t n,
    double *ret)
{
	char stack[64], *tmp = stack, *heap = NULL, *end;
	const char *dp;
	size_t dplen, i, o;
	int neg = s[0] == '-', simple = 1;
	uint64_t v = 0;

	for (i = (size_t)neg; i < n; i++)
		if (!isdigit_c(s[i]))
			simple = 0;
	if (simple && n - (size_t)neg <= 15) {
		for (i = (size_t)neg; i < n; i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
		*ret = neg ? -(double)v : (double)v;
		return LEDGER_OK;
	}
	dp = localeconv()->decimal_point;
	dplen = strlen(dp);
	if (dplen == 0) {
		dp = ".";
		dplen = 1;
	}
	if (n + dplen + 1 > sizeof(stack)) {
		if ((heap = malloc(n + dplen + 1)) == NULL)
			return parse_nomem(ps);
		tmp = heap;
	}
	for (i = 0, o = 0; i < n; i++) {
		if (s[i] == '.') {
			memcpy(tmp + o, dp, dplen);
			o += dplen;
		} else
			tmp[o++] = (char)s[i];
	}
	tmp[o] = '\0';
	*ret = strtod(tmp, &end);
	i = (size_t)(end - tmp);
	free(heap);
	if (i != o)
		return perr(ps, s, "invalid number");
	if (isinf(*ret))
		return perr(ps, s, "number out of range '%.*s%s'",
		    (int)(n > QUOTE_MAX ? QUOTE_MAX : n), (const char *)s,
		    n > QUOTE_MAX ? "..." : "");
	/* Underflow (1e-400) rounds to zero or a subnormal: in range. */
	return LEDGER_OK;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static enum ledger_status
parse_number(struct parser *ps, json_t **ret)
{
	const unsigned char *s = ps->cur;
	enum ledger_status rc;
	double d = 0;

	if (*ps->cur == '-')
		ps->cur++;
	if (ps->cur < ps->end && isalpha_c(*ps->cur)) {
		ps->cur = s;
		return parse_literal(ps, ret);		/* -Infinity */
	}
	if (ps->cur == ps->end || !isdigit_c(*ps->cur))
		return perr(ps, s, "invalid number (no digits)");
	if (*ps->cur == '0') {
		ps->cur++;
		if (ps->cur < ps->end && isdigit_c(*ps->cur))
			return perr(ps, s, "invalid number (leading zero)");
	} else
		while (ps->cur < ps->end && isdigit_c(*ps->cur))
			ps->cur++;
	if (ps->cur < ps->end && *ps->cur == '.') {
		ps->cur++;
		if (ps->cur == ps->end || !isdigit_c(*ps->cur))
			return perr(ps, s,
			    "invalid number (no digits after '.')");
		while (ps->cur < ps->end && isdigit_c(*ps->cur))
			ps->cur++;
	}
	if (ps->cur < ps->end && (*ps->cur == 'e' || *ps->cur == 'E')) {
		ps->cur++;
		if (ps->cur < ps->end && (*ps->cur == '+' || *ps->cur == '-'))
			ps->cur++;
		if (ps->cur == ps->end || !isdigit_c(*ps->cur))
			return perr(ps, s,
			    "invalid number (no digits in exponent)");
		while (ps->cur < ps->end && isdigit_c(*ps->cur))
			ps->cur++;
	}
	if ((rc = number_value(ps, s, (size_t)(ps->cur - s), &d)) != LEDGER_OK)
		return rc;
	if ((*ret = json_real(d)) == NULL)
		return parse_nomem(ps);
	return LEDGER_OK;
}

static enum ledger_status parse_value(struct parser *, int, json_t **);

static enum ledger_status
parse_array(struct parser *ps, int depth, json_t **ret)
{
	enum ledger_status rc;
	json_t *arr, *v;

	ps->cur++;
	if ((arr = json_array()) == NULL)
		return parse_nomem(ps);
	skip_ws(ps);
	if (ps->cur < ps->end && *ps->cur == ']') {
		ps->cur++;
		*ret = arr;
		return LEDGER_OK;
	}
	for (;;) {
		if ((rc = parse_value(ps, depth, &v)) != LEDGER_OK)
			goto fail;
		if (json_array_append_new(arr, v) != 0) {	/* frees v */
			rc = parse_nomem(ps);
			goto fail;
		}
		skip_ws(ps);
		if (ps->cur < ps->end && *ps->cur == ',') {
			ps->cur++;
			continue;
		}
		if (ps->cur < ps->end && *ps->cur == ']') {
			ps->cur++;
			break;
		}
		rc = unexpected(ps, "expected ',' or ']'");
		goto fail;
	}
	*ret = arr;
	return LEDGER_OK;

fail:
	json_decref(arr);
	return rc;
}

/*
 * Parse an object, refusing a name seen before in it.  Names are compared
 * after unescaping ("a" and "\u0061" are the same name) and by length, so
 * names containing U+0000 work.  A name that was unescaped lives in
 * ps->scratch, which parsing the value reuses, so it is copied first.
 */
static enum ledger_status
parse_object(struct parser *ps, int depth, json_t **ret)
{
	const unsigned char *keyat;
	char shown[QUOTE_MAX + 8], *copy = NULL;
	enum ledger_status rc;
	const char *key;
	size_t klen;
	json_t *obj, *v;

	ps->cur++;
	if ((obj = json_object()) == NULL)
		return parse_nomem(ps);
	skip_ws(ps);
	if (ps->cur < ps->end && *ps->cur == '}') {
		ps->cur++;
		*ret = obj;
		return LEDGER_OK;
	}
	for (;;) {
		skip_ws(ps);
		if (ps->cur == ps->end || *ps->cur != '"') {
			rc = unexpected(ps, "expected a string (object key)");
			goto fail;
		}
		keyat = ps->cur;
		if ((rc = parse_string(ps, &key, &klen)) != LEDGER_OK)
			goto fail;
		if (json_object_getn(obj, key, klen) != NULL) {
			quote_for_msg(key, klen, shown, sizeof(shown));
			rc = perr(ps, keyat, "duplicate object key '%s'",
			    shown);
			goto fail;
		}
		if (key == ps->scratch.data) {
			if ((copy = malloc(klen + 1)) == NULL) {
				rc = parse_nomem(ps);
				goto fail;
			}
			memcpy(copy, key, klen);
			key = copy;
		}
		skip_ws(ps);
		if (ps->cur == ps->end || *ps->cur != ':') {
			rc = unexpected(ps, "expected ':' after object key");
			goto fail;
		}
		ps->cur++;
		if ((rc = parse_value(ps, depth, &v)) != LEDGER_OK)
			goto fail;
		/* Frees v on failure. */
		if (json_object_setn_new_nocheck(obj, key, klen, v) != 0) {
			rc = parse_nomem(ps);
			goto fail;
		}
		free(copy);
		copy = NULL;
		skip_ws(ps);
		if (ps->cur < ps->end && *ps->cur == ',') {
			ps->cur++;
			continue;
		}
		if (ps->cur < ps->end && *ps->cur == '}') {
			ps->cur++;
			break;
		}
		rc = unexpected(ps, "expected ',' or '}'");
		goto fail;
	}
	*ret = obj;
	return LEDGER_OK;

fail:
	free(copy);
	json_decref(obj);
	return rc;
}

/* Parse one value; depth is the number of arrays/objects around it. */
static enum ledger_status
parse_value(struct parser *ps, int depth, json_t **ret)
{
	enum ledger_status rc;
	const char *s;
	size_t n;

	skip_ws(ps);
	if (ps->cur == ps->end)
		return unexpected(ps, "expected a value");
	switch (*ps->cur) {
	case '{':
	case '[':
		if (depth >= LEDGER_JSON_MAX_DEPTH)
			return perr(ps, ps->cur,
			    "nesting deeper than %d levels",
			    LEDGER_JSON_MAX_DEPTH);
		if (*ps->cur == '{')
			return parse_object(ps, depth + 1, ret);
		return parse_array(ps, depth + 1, ret);
	case '"':
		if ((rc = parse_string(ps, &s, &n)) != LEDGER_OK)
			return rc;
		if ((*ret = json_stringn_nocheck(s, n)) == NULL)
			return parse_nomem(ps);
		return LEDGER_OK;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return parse_number(ps, ret);
	default:
		if (isalpha_c(*ps->cur))
			return parse_literal(ps, ret);
		return unexpected(ps, "expected a value");
	}
}

enum ledger_status
ledger_json_parse(const char *buf, size_t len, json_t **ret,
    struct ledger_error *err)
{
	struct parser ps;
	enum ledger_status rc;
	json_t *v = NULL;

	if (ret == NULL || (buf == NULL && len > 0))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "parse json: bad argument");
	ps.start = ps.cur = (const unsigned char *)(buf == NULL ? "" : buf);
	ps.end = ps.start + len;
	ps.err = err;
	ledger_buf_init(&ps.scratch);

	skip_ws(&ps);
	if (ps.cur == ps.end) {
		rc = perr(&ps, ps.cur, "empty input");
		goto out;
	}
	if ((rc = parse_value(&ps, 0, &v)) != LEDGER_OK)
		goto out;
	skip_ws(&ps);
	if (ps.cur != ps.end) {
		rc = unexpected(&ps, "expected end of input after the value");
		json_decref(v);
		goto out;
	}
	*ret = v;
out:
	ledger_buf_release(&ps.scratch);
	return rc;
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
	rx = utf16_rank(utf8_decode(p + i));
	ry = utf16_rank(utf8_decode(q + i));
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
