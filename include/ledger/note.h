/*
 * ledger/note.h - C2SP signed notes (Ed25519) and tlog checkpoints
 *
 * A signed note (c2sp.org/signed-note) is a text ending in a newline, a
 * blank line, and one or more signature lines
 *
 *	— <key name> base64(key ID[4] || Ed25519 signature[64])
 *
 * where the signature covers the text (with its final newline, without the
 * blank line) and the key ID is the first four bytes, read big-endian, of
 * SHA-256(key name || "\n" || 0x01 || public key[32]).  Keys travel as text:
 *
 *	verifier key	<name>+<hex8 key ID>+base64(0x01 || public key[32])
 *	signer key	PRIVATE+KEY+<name>+<hex8 key ID>+base64(0x01 || seed[32])
 *
 * the formats of Go's golang.org/x/mod/sumdb/note, whose NewVerifier,
 * NewSigner and Open accept what this module writes.  The ledger keeps its
 * signing key in a file in the second format.
 *
 * A checkpoint (c2sp.org/tlog-checkpoint) is a note whose text is
 *
 *	<origin>\n<tree size in decimal>\n<base64(root hash[32])>\n[extension lines]
 *
 * and which the log signs with a key named like the origin.
 *
 * Differences from Go's note package, all of them stricter: key names we
 * parse or create must also be printable (no C0 or C1 control characters
 * or DEL) and at most LEDGER_NOTE_NAME_MAX bytes; base64 must be canonical
 * (padded, unused bits zero), which is what every signer emits; every
 * signature line from a known key is verified, where Go skips repeats by
 * the same key; and the signer refuses a text with a line starting "— ",
 * which the format allows (the last blank line separates text from
 * signatures) but which a reader could mistake for a signature.
 *
 * Secrets: a secret key here is libsodium's 64-byte Ed25519 secret key
 * (seed || public key) in memory the caller owns, ideally from
 * sodium_malloc(); the functions wipe their own copies of key material with
 * sodium_memzero before returning, and zero their secret outputs on error.
 * No function allocates except to grow a caller's struct ledger_buf.  Call
 * sodium_init() once at program start (the functions call it too, which is
 * cheap and thread-safe).
 */
#ifndef LEDGER_NOTE_H
#define LEDGER_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/buf.h"
#include "ledger/error.h"
#include "ledger/merkle.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LEDGER_NOTE_NAME_MAX		255	/* key name bytes, no NUL */
#define LEDGER_NOTE_PUBLIC_BYTES	32	/* Ed25519 public key */
#define LEDGER_NOTE_SEED_BYTES		32	/* Ed25519 seed */
#define LEDGER_NOTE_SECRET_BYTES	64	/* libsodium: seed || public */
#define LEDGER_NOTE_SIGNATURE_BYTES	64	/* Ed25519 signature */
#define LEDGER_NOTE_ALG_ED25519		0x01	/* signature type byte */

/* Most signature lines ledger_note_open() reads (Go's limit; C2SP asks
 * for at least 16). */
#define LEDGER_NOTE_MAX_SIGS		100
/* Largest signed note, text or checkpoint handled, in bytes. */
#define LEDGER_NOTE_MAX_BYTES		(1024 * 1024)

/* Buffer sizes, with the terminating NUL, for the text forms. */
#define LEDGER_NOTE_KEY_ID_HEX_SIZE	9
#define LEDGER_NOTE_VKEY_SIZE	(LEDGER_NOTE_NAME_MAX + 1 + 8 + 1 + 44 + 1)
#define LEDGER_NOTE_SKEY_SIZE	(12 + LEDGER_NOTE_VKEY_SIZE)

/*
 * A public key with its name and key ID: a verifier key, or the public half
 * of a signer.  Plain data; name is NUL-terminated.  The one verifier key
 * type of the library: notes, checkpoints, entries (ledger/keys.h) and
 * keyrings all use it.
 */
struct ledger_vkey {
	char name[LEDGER_NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t pub[LEDGER_NOTE_PUBLIC_BYTES];
};

/*
 * The key ID of the Ed25519 public key pub under the NUL-terminated name:
 * SHA-256(name || "\n" || 0x01 || pub)[0:4], big-endian.
 */
uint32_t ledger_note_key_id(const char *name,
    const uint8_t pub[LEDGER_NOTE_PUBLIC_BYTES]);

/* Write id as 8 lowercase hex digits and a NUL into out. */
void ledger_note_key_id_hex(uint32_t id,
    char out[LEDGER_NOTE_KEY_ID_HEX_SIZE]);

/*
 * Check that the len bytes at name make a key name we accept: 1 to
 * LEDGER_NOTE_NAME_MAX bytes of valid UTF-8 with no Unicode space, no '+',
 * and no control character (C0, DEL or C1).  Errors: LEDGER_EINVAL, with
 * the reason.
 */
enum ledger_status ledger_note_name_check(const char *name, size_t len,
    struct ledger_error *err) LEDGER_WUR;

/*
 * Derive the key pair of the 32-byte seed under the NUL-terminated name:
 * fills *ret_key and the 64-byte secret key ret_sk.  Errors: LEDGER_EINVAL
 * (bad name, NULL pointer), LEDGER_ECRYPTO (libsodium failed).  On error
 * *ret_key and ret_sk are zeroed.
 */
enum ledger_status ledger_note_key_from_seed(const char *name,
    const uint8_t seed[LEDGER_NOTE_SEED_BYTES], struct ledger_vkey *ret_key,
    uint8_t ret_sk[LEDGER_NOTE_SECRET_BYTES], struct ledger_error *err)
    LEDGER_WUR;

/* Same, with a fresh random seed. */
enum ledger_status ledger_note_key_generate(const char *name,
    struct ledger_vkey *ret_key, uint8_t ret_sk[LEDGER_NOTE_SECRET_BYTES],
    struct ledger_error *err) LEDGER_WUR;

/*
 * Write the verifier key "name+hex8+base64(0x01||pub)" of *key, with a NUL,
 * into out.  Errors: LEDGER_EINVAL (bad name, or key->id is not the key ID
 * of key->name and key->pub).
 */
enum ledger_status ledger_note_vkey_format(const struct ledger_vkey *key,
    char out[LEDGER_NOTE_VKEY_SIZE], struct ledger_error *err) LEDGER_WUR;

/*
 * Parse the len bytes at vkey (one trailing newline is ignored, so a key
 * file can be passed as read) into *ret_key.  Errors: LEDGER_EINVAL (not
 * three '+'-separated parts, bad name, key ID not 8 hex digits, base64 not
 * canonical, algorithm byte other than 0x01, key not 32 bytes),
 * LEDGER_ECRYPTO (the key ID is not that of the name and key).  *ret_key is
 * zeroed on error.
 */
enum ledger_status ledger_note_vkey_parse(const char *vkey, size_t len,
    struct ledger_vkey *ret_key, struct ledger_error *err) LEDGER_WUR;

/*
 * Write the signer key "PRIVATE+KEY+name+hex8+base64(0x01||seed)" of the
 * key pair (*key, sk), with a NUL, into out.  out then holds a secret: wipe
 * it with sodium_memzero(out, LEDGER_NOTE_SKEY_SIZE).  Errors: LEDGER_EINVAL
 * (bad name, key->id wrong, sk is not the secret key of key->pub); out is
 * zeroed on error.
 */
enum ledger_status ledger_note_skey_format(const struct ledger_vkey *key,
    const uint8_t sk[LEDGER_NOTE_SECRET_BYTES], char out[LEDGER_NOTE_SKEY_SIZE],
    struct ledger_error *err) LEDGER_WUR;

/*
 * Parse the signer key in the len bytes at skey (one trailing newline is
 * ignored) and derive its key pair with crypto_sign_seed_keypair into
 * *ret_key and the 64-byte ret_sk.  Errors: LEDGER_EINVAL (no
 * "PRIVATE+KEY+" prefix, bad name, key ID not 8 hex digits, base64 not
 * canonical, algorithm byte other than 0x01, seed not 32 bytes),
 * LEDGER_ECRYPTO (the key ID is not that of the name and derived public
 * key).  *ret_key and ret_sk are zeroed on error.
 */
enum ledger_status ledger_note_skey_parse(const char *skey, size_t len,
    struct ledger_vkey *ret_key, uint8_t ret_sk[LEDGER_NOTE_SECRET_BYTES],
    struct ledger_error *err) LEDGER_WUR;

/*
 * Check that the len bytes at text can be signed: 1 to
 * LEDGER_NOTE_MAX_BYTES bytes of valid UTF-8, no control character but
 * newline, ending in a newline, no line starting with "— ".  Errors:
 * LEDGER_EINVAL, with the reason and byte offset.
 */
enum ledger_status ledger_note_text_check(const char *text, size_t len,
    struct ledger_error *err) LEDGER_WUR;

/*
 * Sign the len bytes at text with the key pair (*key, sk) and append the
 * signed note, text "\n" "— " name " " base64(key ID || signature) "\n",
 * to *out.  The signature is checked before it is written.  Errors:
 * LEDGER_EINVAL (text fails ledger_note_text_check, bad key name, key->id
 * wrong, sk not the secret key of key->pub, NULL pointer), LEDGER_ECRYPTO
 * (signing failed), LEDGER_ENOMEM; on error *out is as it was.
 */
enum ledger_status ledger_note_sign(const char *text, size_t len,
    const struct ledger_vkey *key,
    const uint8_t sk[LEDGER_NOTE_SECRET_BYTES], struct ledger_buf *out,
    struct ledger_error *err) LEDGER_WUR;

/*
 * Parse the signed note in the len bytes at msg and verify its signatures
 * against the nknown keys at known, as c2sp.org/signed-note says: a
 * signature whose (name, key ID) matches no known key is ignored; one that
 * matches must verify; at least one must.  On success the note text is
 * msg[0 .. *ret_text_len - 1] (with its final newline), and ret_verified[i]
 * says whether known[i] signed it.  ret_text_len and ret_verified may be
 * NULL; ret_verified, if not, has nknown elements.  Errors: LEDGER_EINVAL
 * (malformed note: over LEDGER_NOTE_MAX_BYTES, invalid UTF-8, a control
 * character, no blank line before the signatures, a bad signature line,
 * over LEDGER_NOTE_MAX_SIGS signatures; or two known keys with the same
 * name and key ID but different public keys), LEDGER_ECRYPTO (a signature
 * by a known key does not verify, or no known key signed).  On error
 * *ret_text_len is 0 and ret_verified all false.
 */
enum ledger_status ledger_note_open(const char *msg, size_t len,
    const struct ledger_vkey *known, size_t nknown, size_t *ret_text_len,
    bool *ret_verified, struct ledger_error *err) LEDGER_WUR;

/*
 * A parsed checkpoint.  origin and ext point into the text it was parsed
 * from (not NUL-terminated) and are valid as long as that text is.
 */
struct ledger_checkpoint {
	const char *origin;
	size_t origin_len;
	uint64_t size;
	uint8_t root[LEDGER_HASH_BYTES];
	const char *ext;	/* extension lines, each ending in '\n' */
	size_t ext_len;		/* 0 (ext may be NULL) when there are none */
};

/*
 * Append the text of *cp, "origin\nsize\nbase64(root)\n" and its
 * extension lines, to *out.  Errors: LEDGER_EINVAL (empty origin, origin or
 * extensions with invalid UTF-8 or a control character, an empty or
 * unterminated extension line, size above INT64_MAX), LEDGER_ENOMEM; on
 * error *out is as it was.
 */
enum ledger_status ledger_checkpoint_format(const struct ledger_checkpoint *cp,
    struct ledger_buf *out, struct ledger_error *err) LEDGER_WUR;

/*
 * Parse the checkpoint text in the len bytes at text (a note text, as
 * ledger_note_open() gives it) into *ret.  Strict: a non-empty origin line;
 * a size of ASCII digits without leading zeros (except "0") up to
 * INT64_MAX; a root of 44 characters of canonical base64 for 32 bytes;
 * then zero or more non-empty extension lines, kept as they are; every
 * line ending in '\n'.  Errors: LEDGER_EINVAL, with the line at fault;
 * *ret is zeroed on error.
 */
enum ledger_status ledger_checkpoint_parse(const char *text, size_t len,
    struct ledger_checkpoint *ret, struct ledger_error *err) LEDGER_WUR;

/*
 * ledger_note_open() then ledger_checkpoint_parse() on its text: *ret
 * points into msg.  Errors and ret_verified as for those two.  This does
 * not check that a verified key's name equals the origin; compare
 * ret->origin with the key you expected if that matters.
 */
enum ledger_status ledger_checkpoint_open(const char *msg, size_t len,
    const struct ledger_vkey *known, size_t nknown,
    struct ledger_checkpoint *ret, bool *ret_verified,
    struct ledger_error *err) LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_NOTE_H */
