/*
 * fuzz-cloudevents.c - libFuzzer harness: CloudEvents header set + body
 *
 * Input: HTTP-style header lines, a blank line, then the body:
 *
 *	Content-Type: application/json
 *	ce-specversion: 1.0
 *	ce-id: 1
 *	...
 *
 *	{"context": ...}
 *
 * A line without ':' (a request line) is skipped; at most 16 headers.
 * The harness signs the body with the cdevents source's secret and checks
 * that normalize fails only with LEDGER_EINVAL and nothing stored, or
 * returns 1..max_events events that each carry the exact body, name the
 * source, have a CloudEvent delivery id and encode as an entry.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "ledger/buf.h"
#include "ledger/entry.h"
#include "ledger/source.h"

#define SECRET "fuzz-secret"
#define MAX_EVENTS 20
#define MAX_HEADERS 16

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ledger_source *src;

struct req {
	char *name[MAX_HEADERS + 1];
	char *value[MAX_HEADERS + 1];
	int n;
};

static const char *
lookup(void *ctx, const char *name)
{
	struct req *r = ctx;
	int i;

	for (i = 0; i < r->n; i++)
		if (strcasecmp(r->name[i], name) == 0)
			return r->value[i];
	return NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/fuzz-ce-XXXXXX", path[4096], json[256];
	struct ledger_error err;
	json_t *obj;
	FILE *f;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/secret", dir);
	if ((f = fopen(path, "w")) == NULL || fputs(SECRET, f) < 0 ||
	    fclose(f) != 0 || chmod(path, 0600) != 0)
		abort();
	snprintf(json, sizeof(json), "{\"name\":\"ce\",\"type\":\"cdevents\","
	    "\"secret_file\":\"secret\",\"max_events\":%d}", MAX_EVENTS);
	if ((obj = json_loads(json, 0, NULL)) == NULL ||
	    ledger_source_from_json(obj, dir, &src, &err) != LEDGER_OK) {
		fprintf(stderr, "fuzz-cloudevents: %s\n", err.msg);
		abort();
	}
	json_decref(obj);
	unlink(path);
	rmdir(dir);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES], h[32];
	crypto_auth_hmacsha256_state st;
	struct ledger_hook_request hr;
	struct ledger_event **evs = NULL;
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct req r = { .n = 0 };
	const char *p = (const char *)data, *end = p + size, *eol, *colon;
	const char *auth = NULL;
	char sig[7 + 64 + 1];
	enum ledger_status rc;
	size_t n = 0, i, blen;
	bool drop = false;

	/* headers up to a blank line */
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (eol == p || (eol == p + 1 && *p == '\r')) {
			p = eol < end ? eol + 1 : end;
			break;
		}
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon != NULL && r.n < MAX_HEADERS) {
			const char *v = colon + 1, *ve = eol;

			while (v < ve && *v == ' ')
				v++;
			if (ve > v && ve[-1] == '\r')
				ve--;
			r.name[r.n] = strndup(p, (size_t)(colon - p));
			r.value[r.n] = strndup(v, (size_t)(ve - v));
			if (r.name[r.n] == NULL || r.value[r.n] == NULL)
				abort();
			/* the harness's own signature is the only credential */
			if (strcasecmp(r.name[r.n], "X-Ledger-Signature") == 0 ||
			    strcasecmp(r.name[r.n], "Authorization") == 0) {
				free(r.name[r.n]);
				free(r.value[r.n]);
			} else
				r.n++;
		}
		p = eol < end ? eol + 1 : end;
	}
	blen = (size_t)(end - p);
	crypto_auth_hmacsha256_init(&st, (const uint8_t *)SECRET,
	    strlen(SECRET));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)p, blen);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(sig, "sha256=", 7);
	ledger_hex(mac, sizeof(mac), sig + 7);
	r.name[r.n] = strdup("X-Ledger-Signature");
	r.value[r.n] = strdup(sig);
	r.n++;

	memset(&hr, 0, sizeof(hr));
	hr.content_type = lookup(&r, "Content-Type");
	hr.body = blen > 0 ? (const uint8_t *)p : NULL;
	hr.body_len = blen;
	hr.header = lookup;
	hr.header_ctx = &r;
	hr.now_ms = 1764000000000;
	if (ledger_source_authenticate(src, &hr, &auth, NULL) != LEDGER_OK)
		abort();
	(void)ledger_source_check_media_type(src, &hr, NULL);
	rc = ledger_source_normalize(src, &hr, auth, &evs, &n, &drop, NULL);
	if (rc != LEDGER_OK) {
		if (rc != LEDGER_EINVAL || evs != NULL || n != 0)
			abort();
		goto out;
	}
	if (drop || n == 0 || n > MAX_EVENTS)
		abort();
	crypto_hash_sha256(h, (const uint8_t *)p, blen);
	for (i = 0; i < n; i++) {
		struct ledger_entry e = evs[i]->e;

		if (memcmp(e.payload_sha256, h, 32) != 0 ||
		    e.payload_size != blen ||
		    e.source[LEDGER_SRC_DELIVERY] == NULL ||
		    e.source[LEDGER_SRC_DELIVERY][0] != '[' ||
		    strcmp(e.source[LEDGER_SRC_NAME], "ce") != 0)
			abort();
		e.log = (char *)"fuzz.example/log";
		ledger_buf_reset(&b);
		if (ledger_entry_encode(&e, &b, NULL) != LEDGER_OK)
			abort();
	}
	ledger_source_events_free(evs, n);
out:
	ledger_buf_release(&b);
	for (i = 0; i < (size_t)r.n; i++) {
		free(r.name[i]);
		free(r.value[i]);
	}
	return 0;
}
