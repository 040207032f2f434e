/*
 * ledger/identity.h - machine identities from client certificates
 *
 * With "tls": {"client_auth": ...} a sender may present a certificate
 * that a configured authority signed.  Its identity has three names: the
 * first URI in its subjectAltName (a SPIFFE ID such as
 * spiffe://example.org/ci/runner), its subject DN (RFC 4514 form,
 * "CN=runner-1,O=Example") and the SHA-256 of its DER encoding
 * ("sha256:<64 hex>").  The name recorded in an entry (source.auth, see
 * docs/FORMAT.md) is the URI when there is one, else the DN.
 *
 * A token or a webhook source may be bound to an identity: then only a
 * request over a connection whose certificate has that name (any of the
 * three) may use it.
 */
#ifndef LEDGER_IDENTITY_H
#define LEDGER_IDENTITY_H

#include <stdbool.h>

#include "ledger/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest name kept, with its NUL (a longer URI or DN is refused). */
#define LEDGER_IDENTITY_MAX 256

struct ledger_identity {
	char uri[LEDGER_IDENTITY_MAX];	/* "" when the certificate has none */
	char dn[LEDGER_IDENTITY_MAX];
	char sha256[72];		/* "sha256:" and 64 lower-case hex */
};

/* The name an entry records: uri, else dn, else sha256. */
const char *ledger_identity_name(const struct ledger_identity *id);

/* Does s begin with a URI scheme ("spiffe:", "https:"; "sha256:" is a
 * fingerprint, not a URI)? */
bool ledger_identity_is_uri(const char *s);

/* May a connection of identity id (NULL: no certificate) use something
 * bound to bound (NULL or "": bound to nothing, anyone may)?  Like with
 * like: "sha256:<hex>" is the fingerprint (hex in any case), a string
 * with a URI scheme the SAN URI, anything else the subject DN; a URI
 * never satisfies a DN binding or the other way round. */
bool ledger_identity_allows(const char *bound,
    const struct ledger_identity *id);

/* Is s a name one can bind to: 1..LEDGER_IDENTITY_MAX-1 bytes of
 * printable ASCII, and a fingerprint well formed if it says sha256:?
 * Errors: LEDGER_EINVAL, saying why. */
enum ledger_status ledger_identity_check_name(const char *s,
    struct ledger_error *err) LEDGER_WUR;

/* The machine identity an entry's source.auth names ("<how>+mtls:<name>",
 * docs/FORMAT.md), or NULL when it names none. */
const char *ledger_auth_machine(const char *auth);

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_IDENTITY_H */
