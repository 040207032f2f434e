/*
 * ledger/keys.h - the log's Ed25519 signing key and verifier keys
 *
 * The signing key lives in a file holding one line in the
 * golang.org/x/mod/sumdb/note private key format,
 *	PRIVATE+KEY+<name>+<hex8 key id>+<base64(0x01 || seed)>
 * created O_EXCL with mode 0600 and refused when group or others can read
 * it.  Its public half is published as a C2SP signed-note verifier key
 * line, <name>+<hex8>+<base64(0x01 || public key)>, which is all an auditor
 * needs to verify entries, checkpoints and bundles.  The key name is the
 * log's origin; the key id is the signed-note key hash.
 */
#ifndef LEDGER_KEYS_H
#define LEDGER_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger/entry.h"
#include "ledger/error.h"
#include "ledger/note.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LEDGER_PUBKEY_BYTES LEDGER_NOTE_PUBLIC_BYTES
#define LEDGER_KEYNAME_MAX (LEDGER_NOTE_NAME_MAX + 1)

/* A secret signing key; its secret half is kept in sodium_malloc memory. */
struct ledger_key;

/* A verifier (public) key: struct ledger_vkey (ledger/note.h). */

/*
 * Generate a key named name and write the secret key line to key_path
 * (O_CREAT | O_EXCL, 0600, fsync'd) and the verifier key line plus "\n" to
 * pub_path (0644).  Never overwrites: an existing file is LEDGER_EEXIST.
 * Errors: LEDGER_EINVAL (bad name), LEDGER_EEXIST, LEDGER_EIO.
 */
enum ledger_status ledger_key_generate(const char *key_path,
    const char *pub_path, const char *name, struct ledger_error *err)
    LEDGER_WUR;

/*
 * Load a secret key file.  Refuses (LEDGER_EPERM) a file that group or
 * others may read or that is not a regular file; LEDGER_EINVAL for a
 * malformed key line.  Stores a new key in *ret; free it with
 * ledger_key_free, which wipes it.
 * Errors: LEDGER_ENOTFOUND, LEDGER_EPERM, LEDGER_EINVAL, LEDGER_EIO,
 * LEDGER_ENOMEM.
 */
enum ledger_status ledger_key_load(const char *key_path,
    struct ledger_key **ret, struct ledger_error *err) LEDGER_WUR;

/* Wipe and free.  NULL-safe. */
void ledger_key_free(struct ledger_key *k);

/* The key's verifier key (owned by k, valid until ledger_key_free). */
const struct ledger_vkey *ledger_key_vkey(const struct ledger_key *k);

/* Sign an entry: Ed25519 over LEDGER_ENTRY_SIG_PREFIX || leaf. */
void ledger_key_sign_leaf(const struct ledger_key *k,
    const uint8_t leaf[LEDGER_HASH_BYTES], uint8_t sig[LEDGER_SIG_BYTES]);

/*
 * Sign note text (a C2SP signed note: text must end in a newline) with k,
 * appending the signed note to out.  Errors: LEDGER_EINVAL (text not
 * signable), LEDGER_ENOMEM.
 */
enum ledger_status ledger_key_sign_note(const struct ledger_key *k,
    const char *text, size_t len, struct ledger_buf *out,
    struct ledger_error *err) LEDGER_WUR;

/*
 * Parse a verifier key line (trailing white space allowed).
 * Errors: LEDGER_EINVAL with what is wrong (name, key id that does not
 * match the key, algorithm, length, base64).
 */
enum ledger_status ledger_vkey_parse(const char *line,
    struct ledger_vkey *ret, struct ledger_error *err) LEDGER_WUR;

/* Format a verifier key line into a malloc'd string (free(3)), no newline.
 * Errors: LEDGER_ENOMEM. */
enum ledger_status ledger_vkey_format(const struct ledger_vkey *vk,
    char **ret, struct ledger_error *err) LEDGER_WUR;

/* Load every verifier key line of a file (blank and '#' lines skipped).
 * Stores a malloc'd array in *ret (free(3)) and its length in *ret_n. */
enum ledger_status ledger_vkey_load_file(const char *path,
    struct ledger_vkey **ret, size_t *ret_n, struct ledger_error *err)
    LEDGER_WUR;

/* True only if sig is vk's valid signature of the entry with this leaf
 * hash.  The result must be checked. */
bool ledger_vkey_verify_leaf(const struct ledger_vkey *vk,
    const uint8_t leaf[LEDGER_HASH_BYTES],
    const uint8_t sig[LEDGER_SIG_BYTES]) LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_KEYS_H */
