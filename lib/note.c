/*
 * note.c - C2SP signed notes with Ed25519 keys, and tlog checkpoints
 *
 * Follows c2sp.org/signed-note and c2sp.org/tlog-checkpoint.  The key
 * formats and the parsing rules of Open are those of
 * golang.org/x/mod/sumdb/note (note.go: keyHash, NewVerifier, NewSigner,
 * isValidName, Open, Sign) and the size and hash rules those of
 * golang.org/x/mod/sumdb/tlog (note.go: ParseTree), Copyright 2019 The Go
 * Authors, ported under their BSD-style license with the stricter choices
 * listed in ledger/note.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ledger/entry.h"
#include "ledger/note.h"
#include "ledger-int.h"

_Static_assert(LEDGER_NOTE_PUBLIC_BYTES == crypto_sign_PUBLICKEYBYTES,
    "public key size");
_Static_assert(LEDGER_NOTE_SECRET_BYTES == crypto_sign_SECRETKEYBYTES,
    "secret key size");
_Static_assert(LEDGER_NOTE_SEED_BYTES == crypto_sign_SEEDBYTES, "seed size");
_Static_assert(LEDGER_NOTE_SIGNATURE_BYTES == crypto_sign_BYTES,
    "signature size");

/* "— ": U+2014 EM DASH, then a space. */
static const char sig_prefix[] = "\xe2\x80\x94 ";
#define SIG_PREFIX_LEN	4

static const char skey_prefix[] = "PRIVATE+KEY+";
#define SKEY_PREFIX_LEN	12

/* base64 of 33 bytes (algorithm byte and a 32-byte key) */
#define KEY_B64_LEN	44
/* Largest signature (key ID included) we decode: post-quantum signatures
 * run to about 5 kB, C2SP says. */
#define SIG_RAW_MAX	8192

static enum ledger_status
init_sodium(struct ledger_error *err)
{
	if (sodium_init() < 0)
		return ledger_errorf(err, LEDGER_ECRYPTO,
		    "cannot initialise libsodium");
	return LEDGER_OK;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
put_be32(uint8_t *p, uint32_t x)
{
	p[0] = (uint8_t)(x >> 24);
	p[1] = (uint8_t)(x >> 16);
	p[2] = (uint8_t)(x >> 8);
	p[3] = (uint8_t)x;
}

/* strlen, but stop looking after max bytes (returns max + 1 then). */
static size_t
bounded_len(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

/* Go's unicode.IsSpace: the Unicode White_Space property. */
static int
is_space(uint32_t c)
{
	switch (c) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202f: case 0x205f: case 0x3000:
		return 1;
	}
	return c >= 0x2000 && c <= 0x200a;
}

/*
 * Check a key name.  strict = 0 is Go's isValidName (non-empty, valid UTF-8,
 * no Unicode space, no '+'), used for the names in signature lines we only
 * read; strict = 1 adds our rules for names we accept in keys.  Returns
 * NULL if the name is good, else the reason.
 */
static const char *
name_problem(const char *name, size_t len, int strict)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t i, n;
	uint32_t c;

	if (len == 0)
		return "is empty";
	if (strict && len > LEDGER_NOTE_NAME_MAX)
		return "is longer than 255 bytes";
	for (i = 0; i < len; i += n) {
		if ((n = ledger_utf8_decode(s + i, len - i, &c)) == 0)
			return "is not valid UTF-8";
		if (is_space(c))
			return "contains a space";
		if (c == '+')
			return "contains '+'";
		if (strict && (c < 0x20 || c == 0x7f ||
		    (c >= 0x80 && c <= 0x9f)))
			return "contains a control character";
	}
	return NULL;
}

enum ledger_status
ledger_note_name_check(const char *name, size_t len, struct ledger_error *err)
{
	const char *why;

	if (name == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "key name is NULL");
	if ((why = name_problem(name, len, 1)) != NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "key name %s", why);
	return LEDGER_OK;
}

/*
 * Offset of the first byte in the len bytes at s that is not valid UTF-8
 * or is a control character other than newline, or len if there is none;
 * *bad gets what is wrong there.
 */
size_t
ledger_note_text_problem(const char *s, size_t len, const char **bad)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n;
	uint32_t c;

	for (i = 0; i < len; i += n) {
		if ((n = ledger_utf8_decode(u + i, len - i, &c)) == 0) {
			*bad = "invalid UTF-8";
			return i;
		}
		if (c < 0x20 && c != '\n') {
			*bad = "a control character";
			return i;
		}
	}
	*bad = NULL;
	return len;
}

static uint32_t
key_id(const char *name, size_t len, const uint8_t pub[32])
{
	static const unsigned char sep[2] = { '\n', LEDGER_NOTE_ALG_ED25519 };
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)name, len);
	crypto_hash_sha256_update(&st, sep, sizeof(sep));
	crypto_hash_sha256_update(&st, pub, LEDGER_NOTE_PUBLIC_BYTES);
	crypto_hash_sha256_final(&st, h);
	return be32(h);
}

uint32_t
ledger_note_key_id(const char *name, const uint8_t pub[32])
{
	return key_id(name, strlen(name), pub);
}

void
ledger_note_key_id_hex(uint32_t id, char out[LEDGER_NOTE_KEY_ID_HEX_SIZE])
{
	snprintf(out, LEDGER_NOTE_KEY_ID_HEX_SIZE, "%08" PRIx32, id);
}

/* Exactly 8 hex digits, either case (Go's strconv.ParseUint(s, 16, 32)
 * with the length checked). */
static int
parse_hex8(const char *s, size_t len, uint32_t *ret)
{
	uint32_t x = 0;
	size_t i;
	int d;

	if (len != 8)
		return -1;
	for (i = 0; i < 8; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		x = x << 4 | (uint32_t)d;
	}
	*ret = x;
	return 0;
}

/*
 * Split "name+hex8+base64" (after any "PRIVATE+KEY+") into its parts, as
 * Go's chop does: the name ends at the first '+', the key ID at the next,
 * and the base64 (which may contain '+') is the rest; then check the name
 * and ID and decode "0x01 || 32 bytes" into raw.  what names the key kind
 * in messages.
 */
static enum ledger_status
split_key(const char *s, size_t len, const char *what, const char **name,
    size_t *name_len, uint32_t *id, uint8_t raw[1 + 32],
    struct ledger_error *err)
{
	const char *p1, *p2, *end = s + len, *why;
	uint8_t buf[64];
	size_t n;

	p1 = memchr(s, '+', len);
	p2 = p1 == NULL ? NULL : memchr(p1 + 1, '+', (size_t)(end - p1 - 1));
	if (p2 == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "%s key is not of the form name+id+key", what);
	*name = s;
	*name_len = (size_t)(p1 - s);
	if ((why = name_problem(s, *name_len, 1)) != NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "%s key: name %s",
		    what, why);
	if (parse_hex8(p1 + 1, (size_t)(p2 - p1 - 1), id) != 0)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "%s key '%.*s': key ID is not 8 hex digits", what,
		    (int)*name_len, s);
	if ((n = (size_t)ledger_b64_decode(p2 + 1, (size_t)(end - p2 - 1), buf,
	    sizeof(buf), true)) == (size_t)-1) {
		sodium_memzero(buf, sizeof(buf));
		return ledger_errorf(err, LEDGER_EINVAL,
		    "%s key '%.*s': bad base64", what, (int)*name_len, s);
	}
	if (n == 0 || buf[0] != LEDGER_NOTE_ALG_ED25519) {
		sodium_memzero(buf, sizeof(buf));
		return ledger_errorf(err, LEDGER_EINVAL,
		    "%s key '%.*s': unknown algorithm (want 0x01, Ed25519)",
		    what, (int)*name_len, s);
	}
	if (n != 1 + 32) {
		sodium_memzero(buf, sizeof(buf));
		return ledger_errorf(err, LEDGER_EINVAL,
		    "%s key '%.*s': key is %zu bytes, want 32", what,
		    (int)*name_len, s, n - 1);
	}
	memcpy(raw, buf, 1 + 32);
	sodium_memzero(buf, sizeof(buf));
	return LEDGER_OK;
}

enum ledger_status
ledger_note_vkey_parse(const char *vkey, size_t len,
    struct ledger_vkey *ret_key, struct ledger_error *err)
{
	const char *name;
	size_t name_len;
	uint32_t id;
	uint8_t raw[1 + 32];
	enum ledger_status rc;

	if (ret_key == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "verifier key: NULL argument");
	memset(ret_key, 0, sizeof(*ret_key));
	if (vkey == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "verifier key: NULL argument");
	if (len > 0 && vkey[len - 1] == '\n')
		len--;
	rc = split_key(vkey, len, "verifier", &name, &name_len, &id, raw,
	    err);
	if (rc != LEDGER_OK)
		return rc;
	if (key_id(name, name_len, raw + 1) != id)
		return ledger_errorf(err, LEDGER_ECRYPTO,
		    "verifier key '%.*s': key ID %08" PRIx32
		    " does not match the key", (int)name_len, name, id);
	memcpy(ret_key->name, name, name_len);
	ret_key->name[name_len] = '\0';
	ret_key->id = id;
	memcpy(ret_key->pub, raw + 1, 32);
	return LEDGER_OK;
}

enum ledger_status
ledger_note_skey_parse(const char *skey, size_t len,
    struct ledger_vkey *ret_key, uint8_t ret_sk[LEDGER_NOTE_SECRET_BYTES],
    struct ledger_error *err)
{
	const char *name;
	size_t name_len;
	uint32_t id;
	uint8_t raw[1 + 32], pub[32];
	enum ledger_status rc;

	if (ret_key == NULL || ret_sk == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "signer key: NULL argument");
	memset(ret_key, 0, sizeof(*ret_key));
	sodium_memzero(ret_sk, LEDGER_NOTE_SECRET_BYTES);
	if (skey == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "signer key: NULL argument");
	if ((rc = init_sodium(err)) != LEDGER_OK)
		return rc;
	if (len > 0 && skey[len - 1] == '\n')
		len--;
	if (len < SKEY_PREFIX_LEN ||
	    memcmp(skey, skey_prefix, SKEY_PREFIX_LEN) != 0)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "signer key does not start with 'PRIVATE+KEY+'");
	rc = split_key(skey + SKEY_PREFIX_LEN, len - SKEY_PREFIX_LEN,
	    "signer", &name, &name_len, &id, raw, err);
	if (rc != LEDGER_OK)
		goto out;
	/* The ID is that of the public key: derive it, then check. */
	if (crypto_sign_seed_keypair(pub, ret_sk, raw + 1) != 0) {
		rc = ledger_errorf(err, LEDGER_ECRYPTO,
		    "signer key '%.*s': cannot derive the key pair",
		    (int)name_len, name);
		goto out;
	}
	if (key_id(name, name_len, pub) != id) {
		rc = ledger_errorf(err, LEDGER_ECRYPTO,
		    "signer key '%.*s': key ID %08" PRIx32
		    " does not match the key", (int)name_len, name, id);
		goto out;
	}
	memcpy(ret_key->name, name, name_len);
	ret_key->name[name_len] = '\0';
	ret_key->id = id;
	memcpy(ret_key->pub, pub, 32);
	rc = LEDGER_OK;
out:
	sodium_memzero(raw, sizeof(raw));
	if (rc != LEDGER_OK)
		sodium_memzero(ret_sk, LEDGER_NOTE_SECRET_BYTES);
	return rc;
}

/* Check *key: a good name and the right ID.  Sets *name_len. */
static enum ledger_status
key_check(const struct ledger_vkey *key, size_t *name_len,
    struct ledger_error *err)
{
	const char *why;

	if (key == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "key is NULL");
	*name_len = bounded_len(key->name, LEDGER_NOTE_NAME_MAX);
	if ((why = name_problem(key->name, *name_len, 1)) != NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "key name %s", why);
	if (key_id(key->name, *name_len, key->pub) != key->id)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "key '%s': key ID %08" PRIx32 " does not match the key",
		    key->name, key->id);
	return LEDGER_OK;
}

/* Is sk the secret key (seed || public) of pub? */
static int
sk_matches(const uint8_t sk[64], const uint8_t pub[32])
{
	uint8_t seed[32], pk[32], sk2[64];
	int ok;

	crypto_sign_ed25519_sk_to_seed(seed, sk);
	ok = crypto_sign_seed_keypair(pk, sk2, seed) == 0 &&
	    sodium_memcmp(pk, pub, 32) == 0 &&
	    sodium_memcmp(sk2, sk, 64) == 0;
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk2, sizeof(sk2));
	return ok;
}

enum ledger_status
ledger_note_key_from_seed(const char *name,
    const uint8_t seed[LEDGER_NOTE_SEED_BYTES], struct ledger_vkey *ret_key,
    uint8_t ret_sk[LEDGER_NOTE_SECRET_BYTES], struct ledger_error *err)
{
	enum ledger_status rc;
	size_t len;

	if (ret_key == NULL || ret_sk == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "key from seed: NULL argument");
	memset(ret_key, 0, sizeof(*ret_key));
	sodium_memzero(ret_sk, LEDGER_NOTE_SECRET_BYTES);
	if (name == NULL || seed == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "key from seed: NULL argument");
	len = bounded_len(name, LEDGER_NOTE_NAME_MAX);
	if ((rc = ledger_note_name_check(name, len, err)) != LEDGER_OK)
		return rc;
	if ((rc = init_sodium(err)) != LEDGER_OK)
		return rc;
	if (crypto_sign_seed_keypair(ret_key->pub, ret_sk, seed) != 0) {
		memset(ret_key, 0, sizeof(*ret_key));
		sodium_memzero(ret_sk, LEDGER_NOTE_SECRET_BYTES);
		return ledger_errorf(err, LEDGER_ECRYPTO,
		    "key '%s': cannot derive the key pair", name);
	}
	memcpy(ret_key->name, name, len);
	ret_key->name[len] = '\0';
	ret_key->id = key_id(name, len, ret_key->pub);
	return LEDGER_OK;
}

enum ledger_status
ledger_note_key_generate(const char *name, struct ledger_vkey *ret_key,
    uint8_t ret_sk[LEDGER_NOTE_SECRET_BYTES], struct ledger_error *err)
{
	uint8_t seed[LEDGER_NOTE_SEED_BYTES];
	enum ledger_status rc;

	if ((rc = init_sodium(err)) != LEDGER_OK)
		return rc;
	randombytes_buf(seed, sizeof(seed));
	rc = ledger_note_key_from_seed(name, seed, ret_key, ret_sk, err);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

/* base64(0x01 || 32 bytes) into out[KEY_B64_LEN + 1]. */
static void
key_b64(const uint8_t key[32], char out[KEY_B64_LEN + 1])
{
	uint8_t raw[1 + 32];

	raw[0] = LEDGER_NOTE_ALG_ED25519;
	memcpy(raw + 1, key, 32);
	sodium_bin2base64(out, KEY_B64_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(raw, sizeof(raw));
}

enum ledger_status
ledger_note_vkey_format(const struct ledger_vkey *key,
    char out[LEDGER_NOTE_VKEY_SIZE], struct ledger_error *err)
{
	char b64[KEY_B64_LEN + 1];
	enum ledger_status rc;
	size_t name_len;

	if (out == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "verifier key: NULL argument");
	out[0] = '\0';
	if ((rc = key_check(key, &name_len, err)) != LEDGER_OK)
		return rc;
	key_b64(key->pub, b64);
	snprintf(out, LEDGER_NOTE_VKEY_SIZE, "%s+%08" PRIx32 "+%s", key->name,
	    key->id, b64);
	return LEDGER_OK;
}

enum ledger_status
ledger_note_skey_format(const struct ledger_vkey *key,
    const uint8_t sk[LEDGER_NOTE_SECRET_BYTES], char out[LEDGER_NOTE_SKEY_SIZE],
    struct ledger_error *err)
{
	char b64[KEY_B64_LEN + 1];
	uint8_t seed[LEDGER_NOTE_SEED_BYTES];
	enum ledger_status rc;
	size_t name_len;

	if (out == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "signer key: NULL argument");
	sodium_memzero(out, LEDGER_NOTE_SKEY_SIZE);
	if ((rc = key_check(key, &name_len, err)) != LEDGER_OK)
		return rc;
	if (sk == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "signer key: NULL argument");
	if ((rc = init_sodium(err)) != LEDGER_OK)
		return rc;
	if (!sk_matches(sk, key->pub))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "signer key '%s': secret key does not match the public key",
		    key->name);
	crypto_sign_ed25519_sk_to_seed(seed, sk);
	key_b64(seed, b64);
	snprintf(out, LEDGER_NOTE_SKEY_SIZE, "%s%s+%08" PRIx32 "+%s",
	    skey_prefix, key->name, key->id, b64);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(b64, sizeof(b64));
	return LEDGER_OK;
}

enum ledger_status
ledger_note_text_check(const char *text, size_t len, struct ledger_error *err)
{
	const char *bad;
	size_t at, i;

	if (text == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "note text is NULL");
	if (len == 0)
		return ledger_errorf(err, LEDGER_EINVAL, "note text is empty");
	if (len > LEDGER_NOTE_MAX_BYTES)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "note text is longer than %d bytes", LEDGER_NOTE_MAX_BYTES);
	if ((at = ledger_note_text_problem(text, len, &bad)) != len)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "note text has %s at byte %zu", bad, at);
	if (text[len - 1] != '\n')
		return ledger_errorf(err, LEDGER_EINVAL,
		    "note text does not end in a newline");
	for (i = 0; i < len; i++)
		if ((i == 0 || text[i - 1] == '\n') &&
		    len - i >= SIG_PREFIX_LEN &&
		    memcmp(text + i, sig_prefix, SIG_PREFIX_LEN) == 0)
			return ledger_errorf(err, LEDGER_EINVAL,
			    "note text has a line starting with the signature "
			    "prefix '— ' at byte %zu", i);
	return LEDGER_OK;
}

enum ledger_status
ledger_note_sign(const char *text, size_t len,
    const struct ledger_vkey *key,
    const uint8_t sk[LEDGER_NOTE_SECRET_BYTES], struct ledger_buf *out,
    struct ledger_error *err)
{
	uint8_t raw[4 + LEDGER_NOTE_SIGNATURE_BYTES];
	char b64[sodium_base64_ENCODED_LEN(4 + LEDGER_NOTE_SIGNATURE_BYTES,
	    sodium_base64_VARIANT_ORIGINAL)];
	enum ledger_status rc;
	size_t name_len, old;

	if (out == NULL || sk == NULL)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "sign note: NULL argument");
	if ((rc = ledger_note_text_check(text, len, err)) != LEDGER_OK)
		return rc;
	if ((rc = key_check(key, &name_len, err)) != LEDGER_OK)
		return rc;
	if ((rc = init_sodium(err)) != LEDGER_OK)
		return rc;
	if (!sk_matches(sk, key->pub))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "sign note: secret key does not match key '%s'", key->name);

	put_be32(raw, key->id);
	if (crypto_sign_detached(raw + 4, NULL, (const unsigned char *)text,
	    len, sk) != 0)
		return ledger_errorf(err, LEDGER_ECRYPTO,
		    "sign note with key '%s': signing failed", key->name);
	/* A log must never publish a bad signature: check it (this also
	 * catches a fault during signing). */
	if (crypto_sign_verify_detached(raw + 4, (const unsigned char *)text,
	    len, key->pub) != 0)
		return ledger_errorf(err, LEDGER_ECRYPTO,
		    "sign note with key '%s': the new signature does not "
		    "verify", key->name);
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);

	old = out->len;
	if (ledger_buf_add(out, text, len) != LEDGER_OK ||
	    ledger_buf_addc(out, '\n') != LEDGER_OK ||
	    ledger_buf_add(out, sig_prefix, SIG_PREFIX_LEN) != LEDGER_OK ||
	    ledger_buf_add(out, key->name, name_len) != LEDGER_OK ||
	    ledger_buf_addc(out, ' ') != LEDGER_OK ||
	    ledger_buf_adds(out, b64) != LEDGER_OK ||
	    ledger_buf_addc(out, '\n') != LEDGER_OK) {
		out->len = old;
		if (out->data != NULL)
			out->data[old] = '\0';
		return ledger_errorf(err, LEDGER_ENOMEM,
		    "sign note: out of memory");
	}
	return LEDGER_OK;
}

/* Two known keys with one name and ID must be the same key. */
static enum ledger_status
known_keys_check(const struct ledger_vkey *known, size_t nknown,
    struct ledger_error *err)
{
	size_t i, k;

	for (i = 0; i < nknown; i++)
		for (k = i + 1; k < nknown; k++)
			if (known[i].id == known[k].id &&
			    strncmp(known[i].name, known[k].name,
			    sizeof(known[i].name)) == 0 &&
			    memcmp(known[i].pub, known[k].pub, 32) != 0)
				return ledger_errorf(err, LEDGER_EINVAL,
				    "open note: ambiguous known key "
				    "'%.255s+%08" PRIx32 "'", known[i].name,
				    known[i].id);
	return LEDGER_OK;
}

/* Where the text ends (at the last blank line): *ret_split is the offset
 * of the first signature line. */
static enum ledger_status
note_split(const char *msg, size_t len, size_t *ret_split,
    struct ledger_error *err)
{
	const char *bad;
	size_t at, split;

	if (len > LEDGER_NOTE_MAX_BYTES)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "malformed note: longer than %d bytes",
		    LEDGER_NOTE_MAX_BYTES);
	if ((at = ledger_note_text_problem(msg, len, &bad)) != len)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "malformed note: %s at byte %zu", bad, at);
	for (split = len; split >= 2; split--)
		if (msg[split - 2] == '\n' && msg[split - 1] == '\n')
			break;
	if (split < 2)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "malformed note: no blank line before the signatures");
	if (split == len || msg[len - 1] != '\n')
		return ledger_errorf(err, LEDGER_EINVAL,
		    "malformed note: no signature lines after the blank line");
	*ret_split = split;
	return LEDGER_OK;
}

/* A parsed signature line: the key's name and the raw signature (key ID
 * and signature). */
struct sig_line {
	const char *name;
	size_t name_len;
	uint8_t raw[SIG_RAW_MAX];
	size_t raw_len;
};

/* Parse one signature line (without its newline) at byte off. */
static enum ledger_status
parse_sig_line(const char *line, size_t line_len, size_t off,
    struct sig_line *sl, struct ledger_error *err)
{
	const char *sp, *b64;
	size_t b64_len;

	if (line_len < SIG_PREFIX_LEN ||
	    memcmp(line, sig_prefix, SIG_PREFIX_LEN) != 0)
		return ledger_errorf(err, LEDGER_EINVAL, "malformed note: line "
		    "at byte %zu is not a signature line", off);
	line += SIG_PREFIX_LEN;
	line_len -= SIG_PREFIX_LEN;
	sl->name = line;
	sp = memchr(line, ' ', line_len);
	sl->name_len = sp != NULL ? (size_t)(sp - line) : line_len;
	b64 = sp != NULL ? sp + 1 : line + line_len;
	b64_len = (size_t)(line + line_len - b64);
	if (name_problem(sl->name, sl->name_len, 0) != NULL || b64_len == 0 ||
	    (sl->raw_len = (size_t)ledger_b64_decode(b64, b64_len, sl->raw,
	    sizeof(sl->raw), true)) == (size_t)-1 || sl->raw_len < 5)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "malformed note: bad signature line at byte %zu", off);
	return LEDGER_OK;
}

/* Verify a signature line against every known key with its name and ID
 * (all the same key, checked before); *matched says whether there was
 * one.  A signature that does not verify is an error. */
static enum ledger_status
verify_sig_line(const char *msg, size_t text_len, const struct sig_line *sl,
    const struct ledger_vkey *known, size_t nknown, bool *ret_verified,
    bool *matched, struct ledger_error *err)
{
	uint32_t id = be32(sl->raw);
	size_t k;

	*matched = false;
	for (k = 0; k < nknown; k++) {
		if (known[k].id != id || bounded_len(known[k].name,
		    LEDGER_NOTE_NAME_MAX) != sl->name_len ||
		    memcmp(known[k].name, sl->name, sl->name_len) != 0)
			continue;
		if (sl->raw_len != 4 + LEDGER_NOTE_SIGNATURE_BYTES ||
		    crypto_sign_verify_detached(sl->raw + 4,
		    (const unsigned char *)msg, text_len, known[k].pub) != 0)
			return ledger_errorf(err, LEDGER_ECRYPTO,
			    "invalid signature for key '%.*s+%08" PRIx32 "'",
			    (int)sl->name_len, sl->name, id);
		*matched = true;
		if (ret_verified != NULL)
			ret_verified[k] = true;
	}
	return LEDGER_OK;
}

enum ledger_status
ledger_note_open(const char *msg, size_t len,
    const struct ledger_vkey *known, size_t nknown, size_t *ret_text_len,
    bool *ret_verified, struct ledger_error *err)
{
	const char *p, *end, *nl;
	size_t split = 0, nsig = 0, nunknown = 0, nok = 0;
	struct sig_line sl;
	enum ledger_status rc;
	bool matched;

	if (ret_text_len != NULL)
		*ret_text_len = 0;
	if (ret_verified != NULL && nknown > 0)
		memset(ret_verified, 0, nknown * sizeof(*ret_verified));
	if (msg == NULL || (known == NULL && nknown > 0))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "open note: NULL argument");
	if ((rc = init_sodium(err)) != LEDGER_OK ||
	    (rc = known_keys_check(known, nknown, err)) != LEDGER_OK ||
	    (rc = note_split(msg, len, &split, err)) != LEDGER_OK)
		return rc;
	end = msg + len;
	for (p = msg + split; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if ((rc = parse_sig_line(p, (size_t)(nl - p), (size_t)(p - msg),
		    &sl, err)) != LEDGER_OK)
			goto fail;
		if (++nsig > LEDGER_NOTE_MAX_SIGS) {
			rc = ledger_errorf(err, LEDGER_EINVAL,
			    "malformed note: more than %d signatures",
			    LEDGER_NOTE_MAX_SIGS);
			goto fail;
		}
		if ((rc = verify_sig_line(msg, split - 1, &sl, known, nknown,
		    ret_verified, &matched, err)) != LEDGER_OK)
			goto fail;
		if (matched)
			nok++;
		else
			nunknown++;
	}
	if (nok == 0) {
		rc = ledger_errorf(err, LEDGER_ECRYPTO,
		    "note has no verifiable signatures (%zu by unknown keys)",
		    nunknown);
		goto fail;
	}
	if (ret_text_len != NULL)
		*ret_text_len = split - 1;
	return LEDGER_OK;
fail:
	if (ret_verified != NULL && nknown > 0)
		memset(ret_verified, 0, nknown * sizeof(*ret_verified));
	return rc;
}
