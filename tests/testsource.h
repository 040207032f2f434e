/* testsource.h - what the webhook-source suites share: secret files,
 * sources from JSON, requests with headers, and delivering them in the
 * daemon's order (tests/testsource.c) */
#ifndef LEDGER_TESTSOURCE_H
#define LEDGER_TESTSOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/entry.h"
#include "ledger/source.h"

#define GH_SECRET	"It's a Secret to Everybody"
#define GL_TOKEN	"gl-token-Zx9"
#define GL_SIGNING	"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define CD_SECRET	"cd-secret-Q1"
#define CD_TOKEN	"cd-token-W2"

#define GH_CONFIG \
	"{\"name\":\"gh-main\",\"type\":\"github\",\"secret_file\":\"gh.secret\"}"
#define GL_CONFIG \
	"{\"name\":\"gl\",\"type\":\"gitlab\",\"secret_file\":\"gl.token\"}"
#define GL_SIGNED_CONFIG \
	"{\"name\":\"gl\",\"type\":\"gitlab\",\"secret_file\":\"gl.token\"," \
	"\"signing_secret_file\":\"gl.signing\"}"
#define CD_CONFIG \
	"{\"name\":\"cd\",\"type\":\"cdevents\",\"secret_file\":\"cd.secret\"," \
	"\"token_file\":\"cd.token\"}"
#define GEN_CONFIG \
	"{\"name\":\"gen\",\"type\":\"generic\",\"secret_file\":\"cd.secret\"," \
	"\"token_file\":\"cd.token\"}"

/* A request with its own header table. */
#define MAXH 24
struct rq {
	struct ledger_hook_request r;
	int n;
	char *name[MAXH];
	char *value[MAXH];
	char *ctype;
	uint8_t *body;
};

/* Where a request ends, in the daemon's order. */
enum klass { K_OK, K_DROP, K_AUTH, K_MEDIA, K_INPUT, K_FAIL };

struct res {
	enum klass k;
	const char *auth;
	struct ledger_event **evs;
	size_t n;
	struct ledger_error err;
};

#define ck_class(res, want) ck_assert_msg((res)->k == (want), \
	"want %s, got %s: %s", klass_names[want], klass_names[(res)->k], \
	(res)->k == K_OK || (res)->k == K_DROP ? "" : (res)->err.msg)

extern const char *payloads;	/* $LEDGER_PAYLOADS */
extern char dir[4096];		/* this test's directory (secret files) */
extern const char *const klass_names[];

void write_file(const char *name, const void *data, size_t len, int mode);
/* A fresh directory with the secret files of the configs above. */
void src_setup(void);
/* Before a source suite: $LEDGER_PAYLOADS into payloads and libsodium;
 * 0 to go on, else the exit status (77: no payloads, said why). */
int src_suite_init(const char *prog);
void src_teardown(void);
enum ledger_status try_source(const char *json, struct ledger_source **ret,
    struct ledger_error *err);
struct ledger_source *mksrc(const char *json);
/* The request's header name (case-insensitive), or NULL. */
const char *rq_lookup(void *ctx, const char *name);
void rq_init(struct rq *q, const char *ctype, const void *body, size_t len);
/* Set (replace) a header; NULL value removes it. */
void rq_set(struct rq *q, const char *name, const char *value);
void rq_release(struct rq *q);
void hmac_hex(const char *secret, const void *body, size_t len,
    char out[72]);
/* Sign the body the way a source of type t does. */
void rq_sign(struct rq *q, enum ledger_source_type t);
void deliver(const struct ledger_source *src, struct rq *q, struct res *res);
void res_release(struct res *res);
/* rq_init a JSON request of body with "Authorization: Bearer token" (NULL:
 * none) and deliver it; q is the caller's to rq_release. */
void deliver_json(const struct ledger_source *src, struct rq *q,
    const char *body, size_t len, const char *token, struct res *res);
char *slurp_payload(const char *rel, size_t *len);
/* Every event carries the raw body, byte for byte. */
void check_payload(const struct ledger_event *ev, const struct rq *q);

#endif
