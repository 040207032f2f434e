/*
 * tlogproof.c - the C2SP tlog-proof@v1 text format (ledger/tlogproof.h)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ledger/entry.h"
#include "ledger/tlogproof.h"
#include "ledger-int.h"

enum ledger_status
ledger_tlog_proof_format(struct ledger_buf *out, uint64_t index,
    const uint8_t *extra, size_t extra_len,
    const uint8_t (*path)[LEDGER_HASH_BYTES], size_t n, const char *note,
    size_t note_len, struct ledger_error *err)
{
	char b64[LEDGER_B64_HASH_SIZE], *x = NULL;
	enum ledger_status r = LEDGER_OK;
	size_t i, xlen;

	if (n > LEDGER_MERKLE_MAX_PROOF || note == NULL || note_len == 0)
		return ledger_errorf(err, LEDGER_EINVAL, "no proof to write");
	r |= ledger_buf_adds(out, LEDGER_TLOG_PROOF_HEADER "\n");
	if (extra != NULL) {
		xlen = sodium_base64_encoded_len(extra_len,
		    sodium_base64_VARIANT_ORIGINAL);
		if ((x = malloc(xlen)) == NULL)
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "out of memory");
		sodium_bin2base64(x, xlen, extra, extra_len,
		    sodium_base64_VARIANT_ORIGINAL);
		r |= ledger_buf_addf(out, "extra %s\n", x);
		free(x);
	}
	r |= ledger_buf_addf(out, "index %" PRIu64 "\n", index);
	for (i = 0; i < n; i++) {
		ledger_b64_hash(path[i], b64);
		r |= ledger_buf_addf(out, "%s\n", b64);
	}
	r |= ledger_buf_addc(out, '\n');
	r |= ledger_buf_add(out, note, note_len);
	if (r != LEDGER_OK)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return LEDGER_OK;
}

void
ledger_tlog_proof_release(struct ledger_tlog_proof *p)
{
	if (p == NULL)
		return;
	free(p->extra);
	free(p->checkpoint);
	memset(p, 0, sizeof(*p));
}

/* The next line of [*at, end): its start and length (no '\n'); false at
 * the end or on a line that does not end in '\n'. */
static bool
next_line(const char *text, size_t len, size_t *at, const char **line,
    size_t *n)
{
	const char *nl;

	if (*at >= len)
		return false;
	if ((nl = memchr(text + *at, '\n', len - *at)) == NULL)
		return false;
	*line = text + *at;
	*n = (size_t)(nl - *line);
	*at += *n + 1;
	return true;
}

static enum ledger_status
bad(struct ledger_error *err, unsigned line, const char *why)
{
	return ledger_errorf(err, LEDGER_EINVAL, "tlog-proof line %u: %s",
	    line, why);
}

/* "index N": decimal, no leading zeros, at most INT64_MAX. */
static bool
parse_index(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (n < 7 || memcmp(s, "index ", 6) != 0)
		return false;
	s += 6;
	n -= 6;
	if (n > 1 && s[0] == '0')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (uint64_t)INT64_MAX / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return false;
	*ret = v;
	return true;
}

static enum ledger_status
parse_extra(const char *s, size_t n, struct ledger_tlog_proof *p,
    struct ledger_error *err)
{
	long got;

	if (n - 6 > (LEDGER_TLOG_PROOF_EXTRA_MAX / 3 + 1) * 4)
		return bad(err, 2, "extra is too long");
	if ((p->extra = malloc((n - 6) / 4 * 3 + 3)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	got = ledger_b64_decode(s + 6, n - 6, p->extra, (n - 6) / 4 * 3 + 3,
	    true);
	if (got <= 0)
		return bad(err, 2, "extra is not base64");
	p->extra_len = (size_t)got;
	return LEDGER_OK;
}

enum ledger_status
ledger_tlog_proof_parse(const char *text, size_t len,
    struct ledger_tlog_proof *p, struct ledger_error *err)
{
	enum ledger_status st;
	const char *line;
	size_t at = 0, n;
	unsigned no = 1;

	memset(p, 0, sizeof(*p));
	if (text == NULL || memchr(text, '\0', len) != NULL ||
	    memchr(text, '\r', len) != NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "tlog-proof: not a "
		    "text of '\\n'-ended lines (a NUL or CR)");
	if (!next_line(text, len, &at, &line, &n) ||
	    n != strlen(LEDGER_TLOG_PROOF_HEADER) ||
	    memcmp(line, LEDGER_TLOG_PROOF_HEADER, n) != 0)
		return bad(err, no, "not '" LEDGER_TLOG_PROOF_HEADER "'");
	if (!next_line(text, len, &at, &line, &n))
		return bad(err, ++no, "missing");
	no++;
	if (n >= 6 && memcmp(line, "extra ", 6) == 0) {
		if ((st = parse_extra(line, n, p, err)) != LEDGER_OK)
			return st;
		if (!next_line(text, len, &at, &line, &n))
			return bad(err, ++no, "missing");
		no++;
	}
	if (!parse_index(line, n, &p->index))
		return bad(err, no, "not 'index N' (decimal, no leading "
		    "zeros)");
	for (;;) {
		if (!next_line(text, len, &at, &line, &n))
			return bad(err, no + 1, "no empty line before the "
			    "checkpoint");
		no++;
		if (n == 0)
			break;
		if (p->n == LEDGER_MERKLE_MAX_PROOF)
			return bad(err, no, "more hashes than any tree has");
		if (n != LEDGER_B64_HASH_SIZE - 1 || ledger_b64_decode(line,
		    n, p->path[p->n], LEDGER_HASH_BYTES, true) !=
		    LEDGER_HASH_BYTES)
			return bad(err, no, "not a base64 SHA-256 hash");
		p->n++;
	}
	if (at >= len)
		return bad(err, no + 1, "no checkpoint");
	p->checkpoint_len = len - at;
	if ((p->checkpoint = malloc(p->checkpoint_len + 1)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	memcpy(p->checkpoint, text + at, p->checkpoint_len);
	p->checkpoint[p->checkpoint_len] = '\0';
	return LEDGER_OK;
}

enum ledger_status
ledger_tlog_proof_check(const struct ledger_tlog_proof *p,
    const uint8_t *leaf, const struct ledger_vkey *keys, size_t nkeys,
    struct ledger_signed_checkpoint *ret, struct ledger_error *err)
{
	struct ledger_signed_checkpoint c;
	uint8_t h[LEDGER_HASH_BYTES];
	enum ledger_status st;

	if (leaf == NULL && p->extra == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "no record to check: "
		    "the proof has no extra, and no leaf hash was given");
	if (leaf == NULL) {
		ledger_leaf_hash(p->extra, p->extra_len, h);
		leaf = h;
	}
	if ((st = ledger_checkpoint_verify(p->checkpoint, p->checkpoint_len,
	    keys, nkeys, &c, err)) != LEDGER_OK)
		return st;
	if (p->index >= c.size)
		st = ledger_errorf(err, LEDGER_EINVAL, "entry %" PRIu64 " is "
		    "not in the tree of size %" PRIu64, p->index, c.size);
	else if ((st = ledger_merkle_verify_inclusion(p->index, c.size, leaf,
	    &p->path[0][0], p->n, c.root, err)) == LEDGER_ECRYPTO)
		st = ledger_errorf(err, LEDGER_ECRYPTO, "the audit path of "
		    "entry %" PRIu64 " does not lead to the root of the signed "
		    "tree of size %" PRIu64, p->index, c.size);
	if (st == LEDGER_OK && ret != NULL)
		*ret = c;
	else
		ledger_signed_checkpoint_release(&c);
	return st;
}
