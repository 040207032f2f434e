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
#include "ledger/note.h"
#include "ledger-int.h"

#define KEY_LINE_MAX LEDGER_NOTE_SKEY_SIZE

struct ledger_key {
	struct ledger_vkey vk;
	uint8_t *sk;		/* sodium_malloc'd, crypto_sign_SECRETKEYBYTES */
};

enum ledger_status
ledger_vkey_parse(const char *line, struct ledger_vkey *ret,
    struct ledger_error *err)
{
	enum ledger_status st;
	size_t n;

	if (line == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "no verifier key");
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
	    line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	st = ledger_note_vkey_parse(line, n, ret, err);
	if (st == LEDGER_ECRYPTO)
		st = LEDGER_EINVAL;	/* a key id that does not match */
	return st;
}

enum ledger_status
ledger_vkey_format(const struct ledger_vkey *vk, char **ret,
    struct ledger_error *err)
{
	char line[LEDGER_NOTE_VKEY_SIZE];
	enum ledger_status st;

	if ((st = ledger_note_vkey_format(vk, line, err)) != LEDGER_OK)
		return st;
	return ledger_strdup(line, ret, err);
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
	struct ledger_vkey nk;
	uint8_t *sk = NULL;
	char *skline = NULL, vkline[LEDGER_NOTE_VKEY_SIZE + 1];
	enum ledger_status st;
	size_t n;

	if (name == NULL || ledger_note_name_check(name, strlen(name),
	    NULL) != LEDGER_OK || strlen(name) >= LEDGER_KEYNAME_MAX)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "bad key name '%.64s': want a non-empty name without "
		    "spaces or '+'", name ? name : "");
	if (sodium_init() < 0)
		return ledger_errorf(err, LEDGER_ECRYPTO, "libsodium init");
	sk = sodium_malloc(LEDGER_NOTE_SECRET_BYTES);
	skline = sodium_malloc(LEDGER_NOTE_SKEY_SIZE + 1);
	if (sk == NULL || skline == NULL) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	if ((st = ledger_note_key_generate(name, &nk, sk, err)) ||
	    (st = ledger_note_skey_format(&nk, sk, skline, err)) ||
	    (st = ledger_note_vkey_format(&nk, vkline, err)))
		goto out;
	/* The public file first: if the key cannot be written, remove it. */
	n = strlen(vkline);
	vkline[n] = '\n';
	if ((st = ledger_write_new_file(pub_path, 0644, vkline, n + 1, err)))
		goto out;
	n = strlen(skline);
	skline[n] = '\n';
	st = ledger_write_new_file(key_path, 0600, skline, n + 1, err);
	if (st != LEDGER_OK)
		unlink(pub_path);
out:
	if (sk != NULL)
		sodium_free(sk);	/* sodium_free wipes */
	if (skline != NULL)
		sodium_free(skline);
	return st;
}

enum ledger_status
ledger_key_load(const char *key_path, struct ledger_key **ret,
    struct ledger_error *err)
{
	struct ledger_key *k = NULL;
	struct ledger_error perr;
	enum ledger_status st;
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
	if ((buf = sodium_malloc(KEY_LINE_MAX + 1)) == NULL) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	len = 0;
	while (len < KEY_LINE_MAX &&
	    (n = read(fd, buf + len, KEY_LINE_MAX - len)) > 0)
		len += (size_t)n;
	if (len == KEY_LINE_MAX || (len == 0 && n < 0)) {
		st = ledger_errorf(err, LEDGER_EINVAL,
		    "key '%s' is not a PRIVATE+KEY line", key_path);
		goto out;
	}
	buf[len] = '\0';
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	if (ledger_note_skey_parse(buf, len, &k->vk, k->sk, &perr) !=
	    LEDGER_OK) {
		st = ledger_errorf(err, LEDGER_EINVAL,
		    "key '%s' is not a valid PRIVATE+KEY line: %s", key_path,
		    perr.msg);
		goto out;
	}
	*ret = k;
	k = NULL;
	st = LEDGER_OK;
out:
	close(fd);
	if (buf != NULL)
		sodium_free(buf);	/* sodium_free wipes */
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
ledger_key_sign_leaf(const struct ledger_key *k,
    const uint8_t leaf[LEDGER_HASH_BYTES], uint8_t sig[LEDGER_SIG_BYTES])
{
	uint8_t msg[sizeof(LEDGER_ENTRY_SIG_PREFIX) - 1 + LEDGER_HASH_BYTES];

	memcpy(msg, LEDGER_ENTRY_SIG_PREFIX, sizeof(LEDGER_ENTRY_SIG_PREFIX) - 1);
	memcpy(msg + sizeof(LEDGER_ENTRY_SIG_PREFIX) - 1, leaf,
	    LEDGER_HASH_BYTES);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), k->sk);
}

enum ledger_status
ledger_key_sign_note(const struct ledger_key *k, const char *text, size_t len,
    struct ledger_buf *out, struct ledger_error *err)
{
	return ledger_note_sign(text, len, &k->vk, k->sk, out, err);
}
