/*
 * http-tls.c - HTTPS: the server's certificate, reloaded on SIGHUP, and
 * the machine identity of a client certificate
 *
 * libmicrohttpd does the TLS (GnuTLS underneath).  Its certificate is not
 * handed over once at start: a GnuTLS retrieve callback gives each
 * handshake the credentials current at that moment, so SIGHUP swaps in a
 * renewed certificate without closing a listening socket or a connection.
 * Credentials replaced are kept until the daemon stops (a handshake in
 * progress may still hold them; a renewal a day for years is a few MB).
 *
 * Client certificates are asked for when client_auth is optional or
 * required (MHD asks when it is given a trust list).  They are verified
 * here, against the client_ca_file (and client_crl_file) read at start or
 * at the last SIGHUP, with the time checked and the TLS client purpose
 * required, once per connection (the verdict is kept with the connection,
 * http-conn.c).  A replaced trust list -- CRLs can be large and renewed
 * hourly -- is freed at the next reload once no verification uses it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ledger/buf.h"
#include "ledger/file.h"
#include "http-int.h"

#define TLS_FILE_MAX (1u << 20)
#define CHAIN_MAX 8
/* TLS 1.2 and 1.3 only, GnuTLS's default ciphers for them. */
#define PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct cred {
	gnutls_pcert_st pcert[CHAIN_MAX];
	unsigned npcert;
	gnutls_privkey_t key;
	time_t not_before, not_after;
	struct cred *older;		/* replaced ones, freed at stop */
};

struct trust {
	gnutls_x509_trust_list_t list;
	unsigned refs;			/* verifications using it, under mu */
	struct trust *older;
};

static struct {
	pthread_mutex_t mu;
	struct cred *cur;		/* under mu */
	struct trust *trust;		/* under mu */
	enum tls_client_auth mode;	/* fixed at start */
	atomic_uint trust_gen;		/* +1 at each new trust list */
	char *ca_pem;			/* for MHD (which CAs to ask for) */
	struct MHD_OptionItem opts[4];
	bool on;
} tls = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* Read a file; a private key must not be readable by others or writable
 * by its group (root:ledgerd 0640, a common way to hand a key to a
 * service, is fine). */
static int
read_pem(const char *what, const char *path, bool secret, char **ret,
    size_t *len)
{
	struct ledger_error err;
	struct stat sb;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		log_error("tls: cannot open %s '%s': %s", what, path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		log_error("tls: %s '%s' is not a regular file", what, path);
		close(fd);
		return -1;
	}
	if (secret && (sb.st_mode & 027) != 0) {
		log_error("tls: %s '%s' is readable by others or writable by "
		    "its group (mode %04o): chmod 600 (or 640) '%s'", what,
		    path, (unsigned)(sb.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	if (ledger_read_fd(fd, TLS_FILE_MAX, ret, len, &err) != LEDGER_OK) {
		log_error("tls: read %s '%s': %s", what, path, err.msg);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void
cred_free(struct cred *c)
{
	unsigned i;

	while (c != NULL) {
		struct cred *next = c->older;

		for (i = 0; i < c->npcert; i++)
			gnutls_pcert_deinit(&c->pcert[i]);
		if (c->key != NULL)
			gnutls_privkey_deinit(c->key);
		free(c);
		c = next;
	}
}

/* Does key belong to the certificate's public key? */
static bool
key_matches(gnutls_privkey_t key, gnutls_pubkey_t cert_pub)
{
	unsigned char a[64], b[64];
	size_t alen = sizeof(a), blen = sizeof(b);
	gnutls_pubkey_t pub;
	bool same;

	if (gnutls_pubkey_init(&pub) < 0)
		return false;
	same = gnutls_pubkey_import_privkey(pub, key, 0, 0) >= 0 &&
	    gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, a,
	    &alen) >= 0 &&
	    gnutls_pubkey_get_key_id(cert_pub, GNUTLS_KEYID_USE_SHA256, b,
	    &blen) >= 0 && alen == blen && memcmp(a, b, alen) == 0;
	gnutls_pubkey_deinit(pub);
	return same;
}

/* The certificate chain and its key, checked; NULL (logged) if not. */
static struct cred *
cred_load(const struct config *c)
{
	char *cert = NULL, *key = NULL;
	size_t clen, klen;
	gnutls_datum_t d;
	gnutls_x509_crt_t crt;
	struct cred *cr;
	int rc;

	if ((cr = calloc(1, sizeof(*cr))) == NULL)
		return NULL;
	if (read_pem("cert_file", c->tls_cert_file, false, &cert, &clen) ||
	    read_pem("key_file", c->tls_key_file, true, &key, &klen))
		goto fail;
	cr->npcert = CHAIN_MAX;
	d = (gnutls_datum_t){ (unsigned char *)cert, (unsigned)clen };
	if ((rc = gnutls_pcert_list_import_x509_raw(cr->pcert, &cr->npcert,
	    &d, GNUTLS_X509_FMT_PEM, 0)) < 0 || cr->npcert == 0) {
		cr->npcert = 0;
		log_error("tls: cert_file '%s': %s", c->tls_cert_file,
		    rc < 0 ? gnutls_strerror(rc) : "no certificate");
		goto fail;
	}
	d = (gnutls_datum_t){ (unsigned char *)key, (unsigned)klen };
	if (gnutls_privkey_init(&cr->key) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(cr->key, &d,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		log_error("tls: key_file '%s': %s (an unencrypted PEM key)",
		    c->tls_key_file, gnutls_strerror(rc));
		goto fail;
	}
	if (!key_matches(cr->key, cr->pcert[0].pubkey)) {
		log_error("tls: key_file '%s' is not the key of the first "
		    "certificate in '%s'", c->tls_key_file, c->tls_cert_file);
		goto fail;
	}
	if (gnutls_x509_crt_init(&crt) >= 0) {
		if (gnutls_x509_crt_import(crt, &cr->pcert[0].cert,
		    GNUTLS_X509_FMT_DER) >= 0) {
			cr->not_after = gnutls_x509_crt_get_expiration_time(crt);
			cr->not_before = gnutls_x509_crt_get_activation_time(
			    crt);
		}
		gnutls_x509_crt_deinit(crt);
	}
	if (cr->not_after <= time(NULL))
		log_warn("tls: the certificate in '%s' has expired; clients "
		    "will refuse it", c->tls_cert_file);
	gnutls_memset(key, 0, klen);
	free(key);
	free(cert);
	return cr;
fail:
	if (key != NULL)
		gnutls_memset(key, 0, klen);
	free(key);
	free(cert);
	cred_free(cr);
	return NULL;
}

/*
 * The revocation lists of client_crl_file into list: each must be signed
 * by a CA of client_ca_file (ca_pem) -- a CRL nobody trusted signed must
 * not be believed, and one that is not read must not pass for "nothing
 * revoked".  Verified here, against the CAs, before the list takes them
 * (GnuTLS's own GNUTLS_TL_VERIFY_CRL skips a bad one without saying which
 * and, in some versions, without freeing it).  A CRL past its nextUpdate
 * is still used (a stale list revokes no less) and logged: renew it, then
 * SIGHUP.
 */
static int
crl_load(const struct config *c, const gnutls_datum_t *ca_pem,
    gnutls_x509_trust_list_t list)
{
	gnutls_x509_crl_t *crls = NULL;
	gnutls_x509_crt_t *cas = NULL;
	unsigned ncrl = 0, nca = 0, i, status, taken = 0;
	gnutls_datum_t d;
	char *pem;
	size_t len;
	time_t next;
	int n, rc = -1;

	if (read_pem("client_crl_file", c->tls_client_crl_file, false, &pem,
	    &len))
		return -1;
	d = (gnutls_datum_t){ (unsigned char *)pem, (unsigned)len };
	if ((n = gnutls_x509_crl_list_import2(&crls, &ncrl, &d,
	    GNUTLS_X509_FMT_PEM, 0)) < 0 || ncrl == 0) {
		log_error("tls: client_crl_file '%s' holds no CRL%s%s",
		    c->tls_client_crl_file, n < 0 ? ": " : "", n < 0 ?
		    gnutls_strerror(n) : "");
		goto out;
	}
	if ((n = gnutls_x509_crt_list_import2(&cas, &nca, ca_pem,
	    GNUTLS_X509_FMT_PEM, 0)) < 0) {
		log_error("tls: client_ca_file '%s': %s", c->tls_client_ca_file,
		    gnutls_strerror(n));
		goto out;
	}
	for (i = 0; i < ncrl; i++) {
		/* a stale CRL (past its next update) still revokes: taken,
		 * and said; any other doubt -- a signature, an issuer not
		 * among the CAs -- refuses it */
		n = gnutls_x509_crl_verify(crls[i], cas, nca, 0, &status);
		if (n < 0 || (status & ~(unsigned)(GNUTLS_CERT_INVALID |
		    GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED)) != 0 ||
		    (status & GNUTLS_CERT_INVALID && !(status &
		    GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED))) {
			log_error("tls: client_crl_file '%s': CRL %u is not "
			    "signed by a CA of client_ca_file", c->tls_client_crl_file,
			    i + 1);
			goto out;
		}
		next = gnutls_x509_crl_get_next_update(crls[i]);
		if ((status & GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED) ||
		    (next != (time_t)-1 && next < time(NULL)))
			log_warn("tls: CRL %u in '%s' is past its next update; "
			    "it is used, renew it", i + 1, c->tls_client_crl_file);
	}
	/* the list owns those it took: on a short count (out of memory)
	 * only the rest are ours */
	n = gnutls_x509_trust_list_add_crls(list, crls, ncrl, 0, 0);
	taken = n > 0 ? (unsigned)n : 0;
	if (taken != ncrl) {
		log_error("tls: client_crl_file '%s': not taken%s%s",
		    c->tls_client_crl_file, n < 0 ? ": " : "", n < 0 ?
		    gnutls_strerror(n) : "");
		goto out;
	}
	rc = 0;
out:
	for (i = taken; i < ncrl; i++)
		gnutls_x509_crl_deinit(crls[i]);
	gnutls_free(crls);
	for (i = 0; i < nca; i++)
		gnutls_x509_crt_deinit(cas[i]);
	gnutls_free(cas);
	free(pem);
	return rc;
}

static struct trust *
trust_load(const struct config *c, char **pem_out)
{
	struct trust *t;
	char *pem;
	size_t len;
	gnutls_datum_t d;
	int n;

	if (read_pem("client_ca_file", c->tls_client_ca_file, false, &pem,
	    &len))
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    gnutls_x509_trust_list_init(&t->list, 0) < 0) {
		free(t);
		free(pem);
		return NULL;
	}
	d = (gnutls_datum_t){ (unsigned char *)pem, (unsigned)len };
	n = gnutls_x509_trust_list_add_trust_mem(t->list, &d, NULL,
	    GNUTLS_X509_FMT_PEM, 0, 0);
	if (n <= 0 || (c->tls_client_crl_file != NULL &&
	    crl_load(c, &d, t->list) != 0)) {
		if (n <= 0)
			log_error("tls: client_ca_file '%s' holds no "
			    "certificate%s%s", c->tls_client_ca_file, n < 0 ?
			    ": " : "", n < 0 ? gnutls_strerror(n) : "");
		gnutls_x509_trust_list_deinit(t->list, 1);
		free(t);
		free(pem);
		return NULL;
	}
	if (pem_out != NULL)
		*pem_out = pem;
	else
		free(pem);
	return t;
}

/* GnuTLS asks for the server's certificate at each handshake. */
static int
retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int nreqs,
    const gnutls_pk_algorithm_t *algos, int nalgos, gnutls_pcert_st **pcert,
    unsigned int *npcert, gnutls_privkey_t *key)
{
	struct cred *c;

	(void)s;
	(void)req_ca_dn;
	(void)nreqs;
	(void)algos;
	(void)nalgos;
	pthread_mutex_lock(&tls.mu);
	c = tls.cur;
	pthread_mutex_unlock(&tls.mu);
	if (c == NULL)
		return -1;
	*pcert = c->pcert;
	*npcert = c->npcert;
	*key = c->key;
	return 0;
}

int
tls_init(const struct config *c)
{
	size_t n = 0;

	if (c->tls_cert_file == NULL)
		return 0;
	if (gnutls_check_version("3.6.5") == NULL) {
		log_error("tls: GnuTLS 3.6.5 or later is needed for TLS 1.3");
		return -1;
	}
	if ((tls.cur = cred_load(c)) == NULL)
		return -1;
	metrics_set_tls_expiry((int64_t)tls.cur->not_after);
	tls.mode = c->tls_client_auth;
	if (tls.mode != TLS_CLIENT_NONE &&
	    (tls.trust = trust_load(c, &tls.ca_pem)) == NULL)
		return -1;
	tls.opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_CERT_CALLBACK,
	    0, (void *)(intptr_t)retrieve };
	tls.opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES,
	    0, (void *)PRIORITIES };
	if (tls.ca_pem != NULL)
		tls.opts[n++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_MEM_TRUST, 0, tls.ca_pem };
	tls.opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	tls.on = true;
	return 0;
}

bool
tls_on(void)
{
	return tls.on;
}

const struct MHD_OptionItem *
tls_mhd_options(void)
{
	return tls.opts;
}

/* Free the lists older than cur that no verification holds (under mu). */
static void
trust_sweep(struct trust *cur)
{
	struct trust **pp = &cur->older, *t;

	while ((t = *pp) != NULL) {
		if (t->refs == 0) {
			*pp = t->older;
			gnutls_x509_trust_list_deinit(t->list, 1);
			free(t);
		} else
			pp = &t->older;
	}
}

void
tls_reload(const struct config *c)
{
	struct cred *cr;
	struct trust *t = NULL;

	if (!tls.on) {
		if (c->tls_cert_file != NULL)
			log_warn("reload: \"tls\" takes effect only after a "
			    "restart");
		return;
	}
	if (c->tls_cert_file == NULL) {
		log_warn("reload: turning TLS off takes effect only after a "
		    "restart; keeping the certificate");
		return;
	}
	if (c->tls_client_auth != tls.mode)
		log_warn("reload: client_auth takes effect only after a "
		    "restart");
	/* the certificate and the client CAs (with their CRLs) are reloaded
	 * each on its own: a broken renewal must not keep a new CRL out */
	if ((cr = cred_load(c)) == NULL)
		log_error("reload: keeping the running TLS certificate");
	else if (cr->not_after <= time(NULL) || cr->not_before > time(NULL)) {
		/* a renewal no better than what runs is a mistake: keep */
		log_error("reload: the certificate in '%s' is %s; keeping the "
		    "running TLS certificate", c->tls_cert_file,
		    cr->not_after <= time(NULL) ? "expired" : "not valid yet");
		cred_free(cr);
		cr = NULL;
	}
	if (tls.mode != TLS_CLIENT_NONE && c->tls_client_ca_file != NULL &&
	    (t = trust_load(c, NULL)) == NULL)
		log_error("reload: keeping the running client CAs and CRLs");
	if (cr != NULL)
		metrics_set_tls_expiry((int64_t)cr->not_after);
	pthread_mutex_lock(&tls.mu);
	if (cr != NULL) {
		cr->older = tls.cur;
		tls.cur = cr;
	}
	if (t != NULL) {
		t->older = tls.trust;
		tls.trust = t;
		atomic_fetch_add(&tls.trust_gen, 1);
		trust_sweep(t);
	}
	pthread_mutex_unlock(&tls.mu);
	if (cr != NULL)
		log_info("tls: certificate reloaded from %s", c->tls_cert_file);
	if (t != NULL)
		log_info("tls: client CAs reloaded from %s%s%s",
		    c->tls_client_ca_file, c->tls_client_crl_file != NULL ?
		    " with the CRLs of " : "", c->tls_client_crl_file != NULL ?
		    c->tls_client_crl_file : "");
}

void
tls_stop(void)
{
	struct trust *t, *next;

	pthread_mutex_lock(&tls.mu);
	cred_free(tls.cur);
	tls.cur = NULL;
	for (t = tls.trust; t != NULL; t = next) {
		next = t->older;
		gnutls_x509_trust_list_deinit(t->list, 1);
		free(t);
	}
	tls.trust = NULL;
	pthread_mutex_unlock(&tls.mu);
	free(tls.ca_pem);
	tls.ca_pem = NULL;
	tls.on = false;
}

/* The three names of a verified client certificate. */
static int
peer_names(gnutls_x509_crt_t crt, struct ledger_identity *id, char *why,
    size_t n)
{
	unsigned char fp[32];
	size_t len = sizeof(fp), i;
	gnutls_datum_t dn = { NULL, 0 };
	char buf[LEDGER_IDENTITY_MAX];
	unsigned crit;
	int k, type;

	memset(id, 0, sizeof(*id));
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp,
	    &len) < 0 || len != sizeof(fp)) {
		snprintf(why, n, "cannot fingerprint the certificate");
		return -1;
	}
	memcpy(id->sha256, "sha256:", 7);
	for (i = 0; i < len; i++)
		snprintf(id->sha256 + 7 + 2 * i, 3, "%02x", fp[i]);
	for (k = 0; ; k++) {
		len = sizeof(buf);
		type = gnutls_x509_crt_get_subject_alt_name(crt, (unsigned)k,
		    buf, &len, &crit);
		if (type < 0 && type != GNUTLS_E_SHORT_MEMORY_BUFFER)
			break;
		if (type == GNUTLS_SAN_URI) {
			if (len >= sizeof(id->uri) ||
			    strlen(buf) != len) {
				snprintf(why, n, "the certificate's SAN URI is "
				    "too long or holds a NUL");
				return -1;
			}
			/* a URI: a scheme, and not a fingerprint's look */
			if (!ledger_identity_is_uri(buf))
				continue;
			memcpy(id->uri, buf, len + 1);
			break;
		}
	}
	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0) {
		if (dn.size < sizeof(id->dn) &&
		    strlen((char *)dn.data) == dn.size)
			memcpy(id->dn, dn.data, dn.size + 1);
		gnutls_free(dn.data);
	}
	if (ledger_identity_check_name(ledger_identity_name(id), NULL) !=
	    LEDGER_OK) {
		snprintf(why, n, "the certificate's name is not printable "
		    "ASCII");
		return -1;
	}
	return 0;
}

static void
trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n'))
		s[--n] = '\0';
}

/* Verify the peer's chain: TLS_PEER_OK with id filled, TLS_PEER_NONE
 * (no certificate, or client_auth none) or TLS_PEER_BAD with why. */
static enum tls_peer
verify_chain(const gnutls_datum_t *certs, unsigned ncert,
    struct ledger_identity *id, char *why, size_t n)
{
	gnutls_x509_crt_t crts[CHAIN_MAX];
	gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID,
	    (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0 };
	gnutls_datum_t out = { NULL, 0 };
	struct trust *t;
	unsigned i, status = 0, m = 0;
	enum tls_peer res = TLS_PEER_BAD;
	int rc = 0;

	if (ncert > CHAIN_MAX) {
		snprintf(why, n, "a chain of more than %d certificates",
		    CHAIN_MAX);
		return TLS_PEER_BAD;
	}
	for (m = 0; m < ncert; m++) {
		if ((rc = gnutls_x509_crt_init(&crts[m])) < 0)
			break;
		if ((rc = gnutls_x509_crt_import(crts[m], &certs[m],
		    GNUTLS_X509_FMT_DER)) < 0) {
			m++;		/* initialized: deinit it too */
			break;
		}
	}
	if (rc < 0)
		snprintf(why, n, "unreadable certificate: %s",
		    gnutls_strerror(rc));
	else {
		/* the current list, held while it is used unlocked */
		pthread_mutex_lock(&tls.mu);
		t = tls.trust;
		t->refs++;
		pthread_mutex_unlock(&tls.mu);
		rc = gnutls_x509_trust_list_verify_crt2(t->list, crts, ncert,
		    &purpose, 1, 0, &status, NULL);
		pthread_mutex_lock(&tls.mu);
		t->refs--;
		pthread_mutex_unlock(&tls.mu);
		if (rc < 0)
			snprintf(why, n, "%s", gnutls_strerror(rc));
		else if (status != 0) {
			if (gnutls_certificate_verification_status_print(status,
			    GNUTLS_CRT_X509, &out, 0) >= 0) {
				snprintf(why, n, "%s", (char *)out.data);
				gnutls_free(out.data);
				trim(why);
			} else
				snprintf(why, n, "not trusted (status %#x)",
				    status);
		} else if (peer_names(crts[0], id, why, n) == 0)
			res = TLS_PEER_OK;
	}
	for (i = 0; i < m; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return res;
}

enum tls_peer
tls_peer_check(struct MHD_Connection *conn, struct ledger_identity *id,
    char *why, size_t n)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *certs;
	unsigned ncert = 0;

	if (!tls.on || tls.mode == TLS_CLIENT_NONE)
		return TLS_PEER_NONE;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return TLS_PEER_NONE;
	certs = gnutls_certificate_get_peers(ci->tls_session, &ncert);
	if (certs == NULL || ncert == 0)
		return TLS_PEER_NONE;
	return verify_chain(certs, ncert, id, why, n);
}

unsigned
tls_trust_gen(void)
{
	return atomic_load(&tls.trust_gen);
}

enum tls_client_auth
tls_client_auth(void)
{
	return tls.on ? tls.mode : TLS_CLIENT_NONE;
}
