/*
 * keys.c - the log's Ed25519 key: files, key lines, entry signatures
 *
 * Key lines follow golang.org/x/mod/sumdb/note, so the same files work
 * with the transparency-log ecosystem's tools:
 *	verifier:	<name>+<hex8>+<base64(0x01 || pub32)>
 *	signer:		PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed32)>
 * where hex8 is the key id, the first 4 bytes of
 * SHA-256(name || "\n" || 0x01 || pub32), big-endian.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger/keys.h"
#include "ledger-int.h"

#define ALG_ED25519 0x01
#define KEY_LINE_MAX 1024

struct ledger_key {
	struct ledger_vkey vk;
	uint8_t *sk;		/* sodium_malloc'd, crypto_sign_SECRETKEYBYTES */
};

static bool
valid_name(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= LEDGER_KEYNAME_MAX || !ledger_utf8_valid(name, n))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == '+' ||
		    name[i] == 0x7f)
			return false;
	return true;
}

static uint32_t
key_id(const char *name, const uint8_t pub[LEDGER_PUBKEY_BYTES])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES], alg = ALG_ED25519;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, (const uint8_t *)"\n", 1);
	crypto_hash_sha256_update(&st, &alg, 1);
	crypto_hash_sha256_update(&st, pub, LEDGER_PUBKEY_BYTES);
	crypto_hash_sha256_final(&st, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
}

/* Split "name+hex8+base64" and decode; out gets the 32 key bytes. */
static enum ledger_status
parse_line(const char *line, const char *what, char *name, uint32_t *id,
    uint8_t out[32], struct ledger_error *err)
{
	const char *p1, *p2;
	uint8_t raw[33], hid[4];
	char hex[9], b64[128];
	size_t n, rawlen;

	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
	    line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	/* name cannot contain '+'; base64 can: split from the left. */
	p1 = memchr(line, '+', n);
	if (p1 == NULL || (size_t)(line + n - p1) < 10 || p1[9] != '+')
		return ledger_errorf(err, LEDGER_EINVAL,
		    "malformed %s: want name+hex8+base64", what);
	p2 = p1 + 9;
	if ((size_t)(p1 - line) >= LEDGER_KEYNAME_MAX ||
	    (size_t)(line + n - p2 - 1) >= sizeof(b64))
		return ledger_errorf(err, LEDGER_EINVAL, "%s too long", what);
	memcpy(name, line, (size_t)(p1 - line));
	name[p1 - line] = '\0';
	memcpy(hex, p1 + 1, 8);
	hex[8] = '\0';
	memcpy(b64, p2 + 1, (size_t)(line + n - p2 - 1));
	b64[line + n - p2 - 1] = '\0';
	if (!valid_name(name))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "%s has a bad key name", what);
	if (hex[0] == '\0' || strspn(hex, "0123456789abcdef") != 8 ||
	    ledger_unhex(hex, hid, 4, NULL) != LEDGER_OK)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "%s has a bad key id '%s'", what, hex);
	*id = (uint32_t)hid[0] << 24 | (uint32_t)hid[1] << 16 |
	    (uint32_t)hid[2] << 8 | hid[3];
	if (sodium_base642bin(raw, sizeof(raw), b64, strlen(b64), NULL,
	    &rawlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    rawlen != 33)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "%s: key is not base64 of 33 bytes", what);
	if (raw[0] != ALG_ED25519) {
		sodium_memzero(raw, sizeof(raw));
		return ledger_errorf(err, LEDGER_EINVAL,
		    "%s: unknown key algorithm %d (want 1, Ed25519)", what,
		    raw[0]);
	}
	memcpy(out, raw + 1, 32);
	sodium_memzero(raw, sizeof(raw));
	return LEDGER_OK;
}

enum ledger_status
ledger_vkey_parse(const char *line, struct ledger_vkey *ret,
    struct ledger_error *err)
{
	struct ledger_vkey vk;
	enum ledger_status st;

	memset(&vk, 0, sizeof(vk));
	if (line == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "no verifier key");
	st = parse_line(line, "verifier key", vk.name, &vk.id, vk.pub, err);
	if (st != LEDGER_OK)
		return st;
	if (key_id(vk.name, vk.pub) != vk.id)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "verifier key id %08x does not match its key", vk.id);
	*ret = vk;
	return LEDGER_OK;
}

static enum ledger_status
b64_line(const char *prefix, const char *name, uint32_t id,
    const uint8_t key[32], char **ret, struct ledger_error *err)
{
	uint8_t raw[33];
	char b64[sodium_base64_ENCODED_LEN(33, sodium_base64_VARIANT_ORIGINAL)];
	size_t n;
	char *s;

	raw[0] = ALG_ED25519;
	memcpy(raw + 1, key, 32);
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(raw, sizeof(raw));
	n = strlen(prefix) + strlen(name) + 1 + 8 + 1 + strlen(b64) + 1;
	if ((s = malloc(n)) == NULL) {
		sodium_memzero(b64, sizeof(b64));
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	snprintf(s, n, "%s%s+%08x+%s", prefix, name, id, b64);
	sodium_memzero(b64, sizeof(b64));
	*ret = s;
	return LEDGER_OK;
}

enum ledger_status
ledger_vkey_format(const struct ledger_vkey *vk, char **ret,
    struct ledger_error *err)
{
	return b64_line("", vk->name, vk->id, vk->pub, ret, err);
}

enum ledger_status
ledger_vkey_load_file(const char *path, struct ledger_vkey **ret,
    size_t *ret_n, struct ledger_error *err)
{
	struct ledger_vkey *keys = NULL, *p;
	enum ledger_status st;
	char *buf = NULL, *line, *save = NULL;
	size_t len, n = 0;

	if ((st = ledger_read_file(path, 64 * 1024, &buf, &len, err)))
		return st;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#' || *line == '\r')
			continue;
		if ((p = realloc(keys, (n + 1) * sizeof(*keys))) == NULL) {
			st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
			goto fail;
		}
		keys = p;
		if ((st = ledger_vkey_parse(line, &keys[n], err)) != LEDGER_OK)
			goto fail;
		n++;
	}
	if (n == 0) {
		st = ledger_errorf(err, LEDGER_EINVAL,
		    "'%s' holds no verifier key", path);
		goto fail;
	}
	free(buf);
	*ret = keys;
	*ret_n = n;
	return LEDGER_OK;
fail:
	free(buf);
	free(keys);
	return st;
}

bool
ledger_vkey_verify_leaf(const struct ledger_vkey *vk,
    const uint8_t leaf[LEDGER_HASH_BYTES], const uint8_t sig[LEDGER_SIG_BYTES])
{
	uint8_t msg[sizeof(LEDGER_ENTRY_SIG_PREFIX) - 1 + LEDGER_HASH_BYTES];

	memcpy(msg, LEDGER_ENTRY_SIG_PREFIX, sizeof(LEDGER_ENTRY_SIG_PREFIX) - 1);
	memcpy(msg + sizeof(LEDGER_ENTRY_SIG_PREFIX) - 1, leaf,
	    LEDGER_HASH_BYTES);
	return crypto_sign_verify_detached(sig, msg, sizeof(msg), vk->pub) == 0;
}

/* ---- secret keys ---- */

enum ledger_status
ledger_key_generate(const char *key_path, const char *pub_path,
    const char *name, struct ledger_error *err)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], *sk = NULL, *seed = NULL;
	char *skline = NULL, *vkline = NULL, *pubtext = NULL;
	enum ledger_status st;
	uint32_t id;
	size_t n;

	if (name == NULL || !valid_name(name))
		return ledger_errorf(err, LEDGER_EINVAL,
		    "bad key name '%.64s': want a non-empty name without "
		    "spaces or '+'", name ? name : "");
	if (sodium_init() < 0)
		return ledger_errorf(err, LEDGER_ECRYPTO, "libsodium init");
	sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	seed = sodium_malloc(crypto_sign_SEEDBYTES);
	if (sk == NULL || seed == NULL) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	randombytes_buf(seed, crypto_sign_SEEDBYTES);
	crypto_sign_seed_keypair(pk, sk, seed);
	id = key_id(name, pk);
	if ((st = b64_line("PRIVATE+KEY+", name, id, seed, &skline, err)) ||
	    (st = b64_line("", name, id, pk, &vkline, err)))
		goto out;
	n = strlen(vkline) + 2;
	if ((pubtext = malloc(n)) == NULL) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(pubtext, n, "%s\n", vkline);
	/* The public file first: if the key cannot be written, remove it. */
	if ((st = ledger_write_new_file(pub_path, 0644, pubtext,
	    strlen(pubtext), err)) != LEDGER_OK)
		goto out;
	n = strlen(skline);
	skline[n] = '\n';	/* overwrite the NUL; written with length */
	st = ledger_write_new_file(key_path, 0600, skline, n + 1, err);
	skline[n] = '\0';
	if (st != LEDGER_OK)
		unlink(pub_path);
out:
	if (skline != NULL) {
		sodium_memzero(skline, strlen(skline));
		free(skline);
	}
	free(vkline);
	free(pubtext);
	sodium_free(sk);
	sodium_free(seed);
	return st;
}

enum ledger_status
ledger_key_load(const char *key_path, struct ledger_key **ret,
    struct ledger_error *err)
{
	static const char prefix[] = "PRIVATE+KEY+";
	struct ledger_key *k = NULL;
	enum ledger_status st;
	uint8_t *seed = NULL, pk[crypto_sign_PUBLICKEYBYTES];
	char *buf = NULL;
	struct stat sb;
	size_t len;
	ssize_t n;
	int fd;

	if (sodium_init() < 0)
		return ledger_errorf(err, LEDGER_ECRYPTO, "libsodium init");
	fd = open(key_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ledger_errorf_errno(err, errno == ENOENT ?
		    LEDGER_ENOTFOUND : errno == EACCES ? LEDGER_EPERM :
		    LEDGER_EIO, errno, "open key '%s'", key_path);
	if (fstat(fd, &sb) != 0) {
		st = ledger_errorf_errno(err, LEDGER_EIO, errno, "stat '%s'",
		    key_path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		st = ledger_errorf(err, LEDGER_EPERM,
		    "key '%s' is not a regular file", key_path);
		goto out;
	}
	if (sb.st_mode & 077) {
		st = ledger_errorf(err, LEDGER_EPERM,
		    "key '%s' is readable by group or others (mode %04o): "
		    "refusing to use it; run chmod 600 '%s'", key_path,
		    (unsigned)(sb.st_mode & 07777), key_path);
		goto out;
	}
	if ((buf = sodium_malloc(KEY_LINE_MAX + 1)) == NULL ||
	    (seed = sodium_malloc(32)) == NULL) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	len = 0;
	while ((n = read(fd, buf + len, KEY_LINE_MAX - len)) > 0)
		len += (size_t)n;
	if (n < 0) {
		st = ledger_errorf_errno(err, LEDGER_EIO, errno, "read '%s'",
		    key_path);
		goto out;
	}
	buf[len] = '\0';
	if (len == KEY_LINE_MAX || strncmp(buf, prefix, sizeof(prefix) - 1)) {
		st = ledger_errorf(err, LEDGER_EINVAL,
		    "key '%s' is not a PRIVATE+KEY line", key_path);
		goto out;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	st = parse_line(buf + sizeof(prefix) - 1, "signing key", k->vk.name,
	    &k->vk.id, seed, err);
	if (st != LEDGER_OK)
		goto out;
	crypto_sign_seed_keypair(pk, k->sk, seed);
	memcpy(k->vk.pub, pk, sizeof(pk));
	if (key_id(k->vk.name, pk) != k->vk.id) {
		st = ledger_errorf(err, LEDGER_EINVAL,
		    "key '%s': key id %08x does not match the key", key_path,
		    k->vk.id);
		goto out;
	}
	*ret = k;
	k = NULL;
	st = LEDGER_OK;
out:
	close(fd);
	if (buf != NULL)
		sodium_free(buf);	/* sodium_free wipes */
	if (seed != NULL)
		sodium_free(seed);
	ledger_key_free(k);
	return st;
}

void
ledger_key_free(struct ledger_key *k)
{
	if (k == NULL)
		return;
	if (k->sk != NULL)
		sodium_free(k->sk);
	sodium_memzero(k, sizeof(*k));
	free(k);
}

const struct ledger_vkey *
ledger_key_vkey(const struct ledger_key *k)
{
	return &k->vk;
}

void
ledger_key_sign(const struct ledger_key *k, const void *msg, size_t len,
    uint8_t sig[LEDGER_SIG_BYTES])
{
	crypto_sign_detached(sig, NULL, msg, len, k->sk);
}

void
ledger_key_sign_leaf(const struct ledger_key *k,
    const uint8_t leaf[LEDGER_HASH_BYTES], uint8_t sig[LEDGER_SIG_BYTES])
{
	uint8_t msg[sizeof(LEDGER_ENTRY_SIG_PREFIX) - 1 + LEDGER_HASH_BYTES];

	memcpy(msg, LEDGER_ENTRY_SIG_PREFIX, sizeof(LEDGER_ENTRY_SIG_PREFIX) - 1);
	memcpy(msg + sizeof(LEDGER_ENTRY_SIG_PREFIX) - 1, leaf,
	    LEDGER_HASH_BYTES);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), k->sk);
}
