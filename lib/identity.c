/* identity.c - machine identities: the name recorded, and bindings */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "ledger/identity.h"

const char *
ledger_identity_name(const struct ledger_identity *id)
{
	if (id->uri[0] != '\0')
		return id->uri;
	if (id->dn[0] != '\0')
		return id->dn;
	return id->sha256;
}

bool
ledger_identity_is_uri(const char *s)
{
	size_t i;

	/* RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (s == NULL || !isalpha((unsigned char)s[0]))
		return false;
	for (i = 1; isalnum((unsigned char)s[i]) || s[i] == '+' ||
	    s[i] == '-' || s[i] == '.'; i++)
		;
	return s[i] == ':' && strncmp(s, "sha256:", 7) != 0;
}

bool
ledger_identity_allows(const char *bound, const struct ledger_identity *id)
{
	if (bound == NULL || bound[0] == '\0')
		return true;
	if (id == NULL)
		return false;
	/* like with like: a fingerprint, a URI, else a DN */
	if (strncmp(bound, "sha256:", 7) == 0)
		return id->sha256[0] != '\0' &&
		    strcasecmp(bound, id->sha256) == 0;
	if (ledger_identity_is_uri(bound))
		return id->uri[0] != '\0' && strcmp(bound, id->uri) == 0;
	return id->dn[0] != '\0' && strcmp(bound, id->dn) == 0;
}

enum ledger_status
ledger_identity_check_name(const char *s, struct ledger_error *err)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "an identity is a certificate's SAN URI, subject DN or "
		    "sha256:<fingerprint>; got nothing");
	if (n >= LEDGER_IDENTITY_MAX)
		return ledger_errorf(err, LEDGER_EINVAL, "identity of %zu "
		    "bytes is longer than %d", n, LEDGER_IDENTITY_MAX - 1);
	for (i = 0; i < n; i++)
		if (!isprint((unsigned char)s[i]) || (s[i] & 0x80))
			return ledger_errorf(err, LEDGER_EINVAL, "identity has "
			    "a non-printable byte at %zu", i);
	if (strncmp(s, "sha256:", 7) == 0) {
		if (n != 7 + 64)
			return ledger_errorf(err, LEDGER_EINVAL, "a sha256: "
			    "fingerprint has 64 hex digits, not %zu", n - 7);
		for (i = 7; i < n; i++)
			if (!isxdigit((unsigned char)s[i]))
				return ledger_errorf(err, LEDGER_EINVAL,
				    "fingerprint has a non-hex digit at %zu",
				    i);
	}
	return LEDGER_OK;
}

const char *
ledger_auth_machine(const char *auth)
{
	const char *p;

	if (auth == NULL || (p = strstr(auth, "+mtls:")) == NULL ||
	    p[6] == '\0')
		return NULL;
	return p + 6;
}
