/* testsource.c - see testsource.h */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <sodium.h>

#include "ledger/entry.h"
#include "ledger/source.h"
#include "testsource.h"
#include "testutil.h"

const char *payloads;
char dir[4096];

/* ---- fixtures and helpers ---- */

void
write_file(const char *name, const void *data, size_t len, int mode)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, (mode_t)mode), 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

void
src_setup(void)
{
	snprintf(dir, sizeof(dir), "%s", tu_mkdtemp());
	write_file("gh.secret", GH_SECRET "\n", strlen(GH_SECRET) + 1, 0600);
	write_file("gl.token", GL_TOKEN "\n", strlen(GL_TOKEN) + 1, 0600);
	write_file("gl.signing", GL_SIGNING "\r\n", strlen(GL_SIGNING) + 2,
	    0400);
	write_file("cd.secret", CD_SECRET, strlen(CD_SECRET), 0600);
	write_file("cd.token", CD_TOKEN "\n", strlen(CD_TOKEN) + 1, 0600);
}

void
src_teardown(void)
{
	tu_rmtree(dir);
}

enum ledger_status
try_source(const char *json, struct ledger_source **ret,
    struct ledger_error *err)
{
	json_error_t jerr;
	enum ledger_status rc;
	json_t *obj;

	obj = json_loads(json, 0, &jerr);
	ck_assert_msg(obj != NULL, "bad test JSON %s: %s", json, jerr.text);
	rc = ledger_source_from_json(obj, dir, ret, err);
	json_decref(obj);
	return rc;
}

struct ledger_source *
mksrc(const char *json)
{
	struct ledger_source *src = NULL;
	struct ledger_error err;

	ck_assert_msg(try_source(json, &src, &err) == LEDGER_OK, "%s: %s",
	    json, err.msg);
	return src;
}



const char *
rq_lookup(void *ctx, const char *name)
{
	struct rq *q = ctx;
	int i;

	for (i = 0; i < q->n; i++)
		if (strcasecmp(q->name[i], name) == 0)
			return q->value[i];
	return NULL;
}

void
rq_init(struct rq *q, const char *ctype, const void *body, size_t len)
{
	memset(q, 0, sizeof(*q));
	q->ctype = ctype != NULL ? strdup(ctype) : NULL;
	q->body = malloc(len + 1);
	ck_assert_ptr_nonnull(q->body);
	memcpy(q->body, body, len);
	q->r.content_type = q->ctype;
	q->r.body = q->body;
	q->r.body_len = len;
	q->r.header = rq_lookup;
	q->r.header_ctx = q;
	q->r.now_ms = ledger_now_ms();
}

/* Set (replace) a header; NULL value removes it. */
void
rq_set(struct rq *q, const char *name, const char *value)
{
	int i;

	for (i = 0; i < q->n; i++)
		if (strcasecmp(q->name[i], name) == 0)
			break;
	if (i < q->n) {
		free(q->value[i]);
		if (value == NULL) {
			free(q->name[i]);
			q->n--;
			q->name[i] = q->name[q->n];
			q->value[i] = q->value[q->n];
			return;
		}
		q->value[i] = strdup(value);
		return;
	}
	if (value == NULL)
		return;
	ck_assert_int_lt(q->n, MAXH);
	q->name[q->n] = strdup(name);
	q->value[q->n] = strdup(value);
	q->n++;
}

void
rq_release(struct rq *q)
{
	int i;

	for (i = 0; i < q->n; i++) {
		free(q->name[i]);
		free(q->value[i]);
	}
	free(q->ctype);
	free(q->body);
	memset(q, 0, sizeof(*q));
}

void
hmac_hex(const char *secret, const void *body, size_t len, char out[72])
{
	crypto_auth_hmacsha256_state st;
	uint8_t mac[32];

	crypto_auth_hmacsha256_init(&st, (const uint8_t *)secret,
	    strlen(secret));
	crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "sha256=", 7);
	ledger_hex(mac, 32, out + 7);
}

/* Sign the body the way a source of type t does. */
void
rq_sign(struct rq *q, enum ledger_source_type t)
{
	char sig[72];

	switch (t) {
	case LEDGER_SOURCE_GITHUB:
		hmac_hex(GH_SECRET, q->r.body, q->r.body_len, sig);
		rq_set(q, "X-Hub-Signature-256", sig);
		break;
	case LEDGER_SOURCE_GITLAB:
		rq_set(q, "X-Gitlab-Token", GL_TOKEN);
		break;
	default:
		hmac_hex(CD_SECRET, q->r.body, q->r.body_len, sig);
		rq_set(q, "X-Ledger-Signature", sig);
		break;
	}
}


const char *const klass_names[] = {
	"accepted", "dropped", "auth failure", "unsupported media type",
	"bad input", "failure",
};


void
deliver(const struct ledger_source *src, struct rq *q, struct res *res)
{
	enum ledger_status rc;
	bool drop = true;

	memset(res, 0, sizeof(*res));
	res->evs = (struct ledger_event **)(uintptr_t)1;	/* poison */
	res->n = 12345;
	rc = ledger_source_authenticate(src, &q->r, &res->auth, &res->err);
	if (rc != LEDGER_OK) {
		res->k = rc == LEDGER_EPERM ? K_AUTH : K_FAIL;
		goto none;
	}
	rc = ledger_source_check_media_type(src, &q->r, &res->err);
	if (rc != LEDGER_OK) {
		res->k = rc == LEDGER_EINVAL ? K_MEDIA : K_FAIL;
		goto none;
	}
	rc = ledger_source_normalize(src, &q->r, res->auth, &res->evs,
	    &res->n, &drop, &res->err);
	if (rc != LEDGER_OK) {
		/* nothing stored on failure */
		ck_assert_ptr_eq(res->evs, (struct ledger_event **)(uintptr_t)1);
		ck_assert_uint_eq(res->n, 12345);
		res->k = rc == LEDGER_EINVAL ? K_INPUT : K_FAIL;
		goto none;
	}
	if (drop) {
		ck_assert_ptr_null(res->evs);
		ck_assert_uint_eq(res->n, 0);
		res->k = K_DROP;
		return;
	}
	ck_assert_uint_ge(res->n, 1);
	res->k = K_OK;
	return;
none:
	res->evs = NULL;
	res->n = 0;
}

void
res_release(struct res *res)
{
	ledger_source_events_free(res->evs, res->n);
	res->evs = NULL;
	res->n = 0;
}


char *
slurp_payload(const char *rel, size_t *len)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", payloads, rel);
	return tu_slurp(path, len);
}

/* Every event carries the raw body, byte for byte. */
void
check_payload(const struct ledger_event *ev, const struct rq *q)
{
	uint8_t h[32], *raw;
	size_t rawlen;

	crypto_hash_sha256(h, q->r.body, q->r.body_len);
	ck_assert_mem_eq(ev->e.payload_sha256, h, 32);
	ck_assert_uint_eq(ev->e.payload_size, q->r.body_len);
	{
		size_t zlen;
		const uint8_t *z = ledger_event_zpayload(ev, &zlen);

		ck_assert_int_eq(ledger_payload_inflate(z, zlen,
		    q->r.body_len, &raw, &rawlen, NULL), LEDGER_OK);
	}
	ck_assert_uint_eq(rawlen, q->r.body_len);
	ck_assert_mem_eq(raw, q->r.body, rawlen);
	free(raw);
}

int
src_suite_init(const char *prog)
{
	if ((payloads = tu_env_dir("LEDGER_PAYLOADS")) == NULL) {
		fprintf(stderr, "%s: LEDGER_PAYLOADS is not set to a "
		    "directory; skipping\n", prog);
		return 77;
	}
	return sodium_init() < 0 ? EXIT_FAILURE : 0;
}

void
deliver_json(const struct ledger_source *src, struct rq *q, const char *body,
    size_t len, const char *token, struct res *res)
{
	char authz[256];

	rq_init(q, "application/json", body, len);
	if (token != NULL) {
		snprintf(authz, sizeof(authz), "Bearer %s", token);
		rq_set(q, "Authorization", authz);
	}
	deliver(src, q, res);
}
