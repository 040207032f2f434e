/*
 * json.c - the strict JSON parser (ledger_json_parse)
 *
 * Our own small recursive-descent parser that builds jansson trees, rather
 * than json_loadb(): jansson 2.14 refuses "\u0000" in object keys
 * whatever the flags ("NUL byte in object key not supported"), which the
 * contract in jcs.h requires us to accept, and it cannot be asked for a
 * nesting limit below 2048.  Owning the parser also puts every rejection
 * rule of RFC 8785 / I-JSON (UTF-8, surrogates, duplicate names, number
 * range, depth) in one place, with one error grammar.  Two parsers
 * (jansson for most input, ours for the rest) would be worse: a
 * canonicalizer must accept and reject exactly the same texts every time.
 * The encoder is in jcs.c.
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
#include "jcs-int.h"

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
	    (unsigned)jcs_utf8_decode(p), wanted);
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
		while (ps->cur < ps->end && jcs_plain[*ps->cur])
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
