/*
 * fuzz-hook.c - libFuzzer harness: webhook body -> normalized events
 *
 * Input: one byte choosing the source, a line, then the body:
 *
 *	byte 0      bits 0-6 modulo 14: 0 github, 1 gitlab, 2 cdevents,
 *	            3 generic, 4 distribution, 5 harbor, 6 nexus,
 *	            7 artifactory, 8 flux, 9 terraform-cloud, 10 chef,
 *	            11 puppet, 12 argocd, 13 ansible;
 *	            bit 7: the source drops unknown events
 *	line        up to the first '\n': the event header (X-GitHub-Event,
 *	            X-Gitlab-Event, X-Event-Key, X-Nexus-Webhook-Id) or, for
 *	            the other types, the Content-Type (application/json,
 *	            .../cloudevents+json, .../cloudevents-batch+json,
 *	            .../vnd.docker.distribution.events.v2+json)
 *	rest        the body, signed by the harness with the source's secret
 *
 * Checks, beyond what the sanitizers see: a correctly signed body always
 * authenticates; a body with one byte changed never does; normalize either
 * fails with LEDGER_EINVAL (never anything else, never half a result) or
 * returns events every one of which encodes as an entry, decodes back and
 * re-encodes to the same bytes, and carries the exact body as payload.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <nettle/hmac.h>
#include <nettle/nettle-meta.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <sodium.h>

#include "ledger/buf.h"
#include "ledger/entry.h"
#include "ledger/source.h"

#define SECRET "fuzz-secret"
#define TOKEN "fuzz-token"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NTYPES 14
#define T_NEXUS 6
#define T_TFC 9
#define T_CHEF 10
static struct ledger_source *sources[2 * NTYPES];

struct hdr {
	const char *name;
	char *value;
};
struct req {
	struct hdr h[8];
	int n;
};

static const char *
lookup(void *ctx, const char *name)
{
	struct req *r = ctx;
	int i;

	for (i = 0; i < r->n; i++)
		if (strcasecmp(r->h[i].name, name) == 0)
			return r->h[i].value;
	return NULL;
}

static void
put(struct req *r, const char *name, const char *value, size_t len)
{
	r->h[r->n].name = name;
	r->h[r->n].value = strndup(value, len);
	if (r->h[r->n].value == NULL)
		abort();
	r->n++;
}

static void
write_secret(const char *dir, const char *name, const char *value)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(value, f) < 0 ||
	    fclose(f) != 0 || chmod(path, 0600) != 0)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const types[NTYPES] = {
		"github", "gitlab", "cdevents", "generic", "distribution",
		"harbor", "nexus", "artifactory", "flux", "terraform-cloud",
		"chef", "puppet", "argocd", "ansible"
	};
	char dir[] = "/tmp/fuzz-hook-XXXXXX", json[512];
	struct ledger_error err;
	json_t *obj;
	int i;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		abort();
	write_secret(dir, "secret", SECRET "\n");
	write_secret(dir, "token", TOKEN "\n");
	for (i = 0; i < 2 * NTYPES; i++) {
		snprintf(json, sizeof(json), "{\"name\":\"fuzz-%d\",\"type\":"
		    "\"%s\",\"secret_file\":\"secret\",\"unknown_events\":"
		    "\"%s\"%s}", i, types[i % NTYPES], i >= NTYPES ? "drop" :
		    "record", i % NTYPES >= 2 && i % NTYPES <= 5 ?
		    ",\"token_file\":\"token\",\"max_events\":20" :
		    i % NTYPES == 7 ? ",\"token_file\":\"token\"" : "");
		if ((obj = json_loads(json, 0, NULL)) == NULL ||
		    ledger_source_from_json(obj, dir, &sources[i], &err) !=
		    LEDGER_OK) {
			fprintf(stderr, "fuzz-hook: %s\n", err.msg);
			abort();
		}
		json_decref(obj);
	}
	/* The sources hold the secrets now; the files can go. */
	snprintf(json, sizeof(json), "%s/secret", dir);
	unlink(json);
	snprintf(json, sizeof(json), "%s/token", dir);
	unlink(json);
	rmdir(dir);
	return 0;
}

/* Nexus (SHA-1) and HCP Terraform (SHA-512): the bare hex HMAC of the
 * body. */
static void
sign_bare(struct req *r, const char *name, const uint8_t *body, size_t len,
    const struct nettle_hash *h)
{
	uint8_t outer[512], inner[512], state[512], mac[SHA512_DIGEST_SIZE];
	char hex[2 * SHA512_DIGEST_SIZE + 1];

	hmac_set_key(outer, inner, state, h, strlen(SECRET),
	    (const uint8_t *)SECRET);
	hmac_update(state, h, len, body);
	hmac_digest(outer, inner, state, h, h->digest_size, mac);
	ledger_hex(mac, h->digest_size, hex);
	put(r, name, hex, strlen(hex));
}

static void
sign(struct req *r, const char *name, const uint8_t *body, size_t len)
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	char hex[7 + 64 + 1];

	crypto_auth_hmacsha256_init(&st, (const uint8_t *)SECRET,
	    strlen(SECRET));
	crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(hex, "sha256=", 7);
	ledger_hex(mac, sizeof(mac), hex + 7);
	put(r, name, hex, strlen(hex));
}

/* An event must become a valid, canonical entry. */
static void
check_event(const struct ledger_event *ev, const uint8_t *body, size_t len,
    const struct ledger_source *src)
{
	struct ledger_buf a = LEDGER_BUF_INIT, b = LEDGER_BUF_INIT;
	struct ledger_entry e = ev->e, d;
	struct ledger_error err;
	uint8_t h[32];

	if (ev->e.source[LEDGER_SRC_NAME] == NULL ||
	    strcmp(ev->e.source[LEDGER_SRC_NAME], ledger_source_name(src)) ||
	    ev->e.payload_size != len)
		abort();
	crypto_hash_sha256(h, body, len);
	if (memcmp(h, ev->e.payload_sha256, 32) != 0)
		abort();
	e.log = (char *)"fuzz.example/log";
	e.seq = 7;
	e.time_ms = 1764000000000;
	if (ledger_entry_encode(&e, &a, &err) != LEDGER_OK) {
		fprintf(stderr, "encode: %s\n", err.msg);
		abort();
	}
	if (ledger_entry_decode(a.data, a.len, &d, &err) != LEDGER_OK) {
		fprintf(stderr, "decode: %s\n", err.msg);
		abort();
	}
	if (ledger_entry_encode(&d, &b, &err) != LEDGER_OK ||
	    a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	ledger_entry_release(&d);
	ledger_buf_release(&a);
	ledger_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const event_hdr[NTYPES] = {
		"X-GitHub-Event", "X-Gitlab-Event", NULL, "X-Event-Key", NULL,
		NULL, "X-Nexus-Webhook-Id", NULL, NULL, NULL, NULL, NULL, NULL,
		NULL
	};
	static const char *const sig_hdr[NTYPES] = {
		"X-Hub-Signature-256", NULL, "X-Ledger-Signature",
		"X-Ledger-Signature", "X-Ledger-Signature", "X-Ledger-Signature",
		"X-Nexus-Webhook-Signature", "X-JFrog-Event-Auth", "X-Signature",
		"X-TFE-Notification-Signature", NULL, "X-Ledger-Signature",
		"X-Ledger-Signature", "X-Ledger-Signature"
	};
	const struct ledger_source *src;
	struct ledger_hook_request hr;
	struct ledger_event **evs = NULL;
	struct ledger_error err;
	const uint8_t *nl, *body;
	struct req r = { .n = 0 };
	const char *auth = NULL;
	char *ctype = NULL;
	size_t blen, n = 0, i;
	enum ledger_status rc;
	bool drop = false;
	int t;

	if (size < 1)
		return 0;
	t = (data[0] & 0x7f) % NTYPES;
	src = sources[t + (data[0] & 0x80 ? NTYPES : 0)];
	nl = memchr(data + 1, '\n', size - 1);
	if (nl == NULL)
		return 0;
	body = nl + 1;
	blen = size - (size_t)(body - data);
	if (event_hdr[t] == NULL)
		ctype = strndup((const char *)data + 1, (size_t)(nl - data - 1));
	else {
		put(&r, event_hdr[t], (const char *)data + 1,
		    (size_t)(nl - data - 1));
		ctype = strdup("application/json");
	}
	if (ctype == NULL)
		abort();
	put(&r, "X-GitHub-Delivery", "d-1", 3);
	if (t == 1)
		put(&r, "X-Gitlab-Token", "fuzz-secret", 11);
	else if (t == T_CHEF)
		put(&r, "x-data-collector-token", "fuzz-secret", 11);
	else if (t == T_NEXUS)
		sign_bare(&r, sig_hdr[t], body, blen, &nettle_sha1);
	else if (t == T_TFC)
		sign_bare(&r, sig_hdr[t], body, blen, &nettle_sha512);
	else
		sign(&r, sig_hdr[t], body, blen);
	memset(&hr, 0, sizeof(hr));
	hr.content_type = ctype;
	hr.body = blen > 0 ? body : NULL;
	hr.body_len = blen;
	hr.header = lookup;
	hr.header_ctx = &r;
	hr.now_ms = 1764000000000;

	if (ledger_source_authenticate(src, &hr, &auth, &err) != LEDGER_OK) {
		fprintf(stderr, "authenticate: %s\n", err.msg);
		abort();
	}
	rc = ledger_source_normalize(src, &hr, auth, &evs, &n, &drop, &err);
	if (rc == LEDGER_OK) {
		if ((n == 0) != drop || (n == 0) != (evs == NULL) || n > 20)
			abort();
		for (i = 0; i < n; i++)
			check_event(evs[i], body, blen, src);
		ledger_source_events_free(evs, n);
	} else if (rc != LEDGER_EINVAL || evs != NULL || n != 0)
		abort();

	/* One changed byte (unless a token is all there is: GitLab, Chef). */
	if (t != 1 && t != T_CHEF && blen > 0) {
		uint8_t *copy = malloc(blen);

		if (copy == NULL)
			abort();
		memcpy(copy, body, blen);
		copy[blen / 2] ^= 0x01;
		hr.body = copy;
		if (ledger_source_authenticate(src, &hr, &auth, NULL) !=
		    LEDGER_EPERM)
			abort();
		free(copy);
	}
	for (i = 0; i < (size_t)r.n; i++)
		free(r.h[i].value);
	free(ctype);
	return 0;
}
