/*
 * test-registry.c - registry webhooks: CNCF Distribution notifications,
 * Harbor's two formats, Sonatype Nexus and JFrog Artifactory,
 * with the stored samples of ../shared/payloads/registries (the docs'
 * examples, oddities included) and variants built from them
 *
 * Needs $LEDGER_PAYLOADS; exits 77 without it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>
#include <nettle/hmac.h>
#include <nettle/sha1.h>
#include <sodium.h>

#include "ledger/entry.h"
#include "ledger/source.h"
#include "source-int.h"
#include "testsource.h"
#include "testutil.h"

#define DIST_CONFIG \
	"{\"name\":\"registry\",\"type\":\"distribution\"," \
	"\"token_file\":\"cd.token\"}"
#define DIST_DROP_CONFIG \
	"{\"name\":\"registry\",\"type\":\"distribution\"," \
	"\"token_file\":\"cd.token\",\"unknown_events\":\"drop\"," \
	"\"max_events\":3}"
#define MT "application/vnd.docker.distribution.events.v2+json"
#define FEA "sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd86228" \
	"46041d0c7cf"

/* The body of the stored whole-request sample: after the blank line. */
static char *
push_body(size_t *len)
{
	size_t n;
	char *raw = slurp_payload("registries/distribution/"
	    "envelope.push-3-events.docs-example.http", &n), *b, *out;

	ck_assert_ptr_nonnull(b = strstr(raw, "\n\n"));
	b += 2;
	*len = n - (size_t)(b - raw);
	ck_assert_ptr_nonnull(out = malloc(*len + 1));
	memcpy(out, b, *len + 1);
	free(raw);
	return out;
}

static void
send(const char *config, const char *body, size_t len, const char *token,
    struct rq *q, struct res *res, struct ledger_source **src)
{
	*src = mksrc(config);
	rq_init(q, MT, body, len);
	if (token != NULL)
		rq_set(q, "Authorization", token);
	deliver(*src, q, res);
}

/* The docs' push: a manifest and two layers -> one artifact entry (the
 * layers are parts of it), with the digest, repository, actor and URL;
 * the whole envelope as its payload. */
START_TEST(test_registry_distribution_push)
{
	struct ledger_source *src;
	struct rq q;
	struct res res;
	const struct ledger_event *ev;
	size_t len;
	char *body = push_body(&len);

	send(DIST_CONFIG, body, len, "Bearer " CD_TOKEN, &q, &res, &src);
	ck_class(&res, K_OK);
	ck_assert_uint_eq(res.n, 1);
	ev = res.evs[0];
	ck_assert_int_eq(ev->e.kind, LEDGER_KIND_ARTIFACT);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ARTIFACT], FEA);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SERVICE], "library/test");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ACTOR], "test-actor");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_STATUS], "success");
	ck_assert_ptr_nonnull(strstr(ev->e.subject[LEDGER_SUBJ_URL],
	    "https://example.com/v2/library/test/manifests/"));
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_TYPE], "distribution");
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_EVENT], "push");
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_DELIVERY],
	    "asdf-asdf-asdf-asdf-0");
	ck_assert_str_eq(res.auth, "bearer");
	check_payload(ev, &q);
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
	free(body);
}
END_TEST

/* A digest that is not one (the docs' layers have 65 hex digits) is left
 * out, never stored as if it were one; an OCI index is an artifact too. */
START_TEST(test_registry_distribution_bad_digest)
{
	static const char *const bodies[] = {
		"{\"events\":[{\"id\":\"e1\",\"action\":\"push\",\"target\":{"
		"\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"digest\":\"sha256:c3b3692957d439ac1928219a83fac91e7bf96c15372"
		"5526874673ae1f2023f8d5\",\"repository\":\"a/b\",\"tag\":"
		"\"v1\"}}]}",
		"{\"events\":[{\"id\":\"e2\",\"action\":\"push\",\"target\":{"
		"\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
		"\"digest\":\"" FEA "\",\"repository\":\"a/b\"}}]}",
	};
	struct ledger_source *src;
	struct rq q;
	struct res res;

	send(DIST_CONFIG, bodies[_i], strlen(bodies[_i]), "Bearer " CD_TOKEN,
	    &q, &res, &src);
	ck_class(&res, K_OK);
	ck_assert_uint_eq(res.n, 1);
	ck_assert_int_eq(res.evs[0]->e.kind, LEDGER_KIND_ARTIFACT);
	if (_i == 0)
		ck_assert_ptr_null(res.evs[0]->e.subject[LEDGER_SUBJ_ARTIFACT]);
	else
		ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_ARTIFACT],
		    FEA);
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_SERVICE], "a/b");
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* The docs' pull: an unknown event, recorded as other, or dropped. */
START_TEST(test_registry_distribution_pull)
{
	struct ledger_source *src;
	struct rq q;
	struct res res;
	size_t len;
	char *body = slurp_payload("registries/distribution/"
	    "envelope.pull.docs-example.json", &len);

	send(_i ? DIST_DROP_CONFIG : DIST_CONFIG, body, len,
	    "Bearer " CD_TOKEN, &q, &res, &src);
	if (_i) {
		ck_class(&res, K_DROP);
	} else {
		ck_class(&res, K_OK);
		ck_assert_uint_eq(res.n, 1);
		ck_assert_int_eq(res.evs[0]->e.kind, LEDGER_KIND_OTHER);
		ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_EVENT],
		    "pull");
		check_payload(res.evs[0], &q);
	}
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
	free(body);
}
END_TEST

/* What is refused, and how. */
START_TEST(test_registry_distribution_refused)
{
	static const struct {
		const char *body, *token, *ctype;
		enum klass k;
		const char *needle;
	} cases[] = {
		{ "{\"events\":[]}", "Bearer " CD_TOKEN, MT, K_INPUT,
		  "envelope of 0 events" },
		{ "{\"events\":[{},{},{},{}]}", "Bearer " CD_TOKEN, MT,
		  K_INPUT, "envelope of 4 events" },
		{ "{\"event\":[]}", "Bearer " CD_TOKEN, MT, K_INPUT,
		  "{\"events\": [...]}" },
		{ "{\"events\":[{\"id\":\"x\"}]}", "Bearer " CD_TOKEN, MT,
		  K_INPUT, "events[0]: an event without an action" },
		{ "{\"events\":[7]}", "Bearer " CD_TOKEN, MT, K_INPUT,
		  "events[0]: an event must be a JSON object" },
		{ "{\"events\":[{\"action\":\"push\"}],\"events\":[]}",
		  "Bearer " CD_TOKEN, MT, K_INPUT, "duplicate" },
		{ "{\"events\":[]}", "Bearer wrong", MT, K_AUTH, NULL },
		{ "{\"events\":[]}", NULL, MT, K_AUTH, NULL },
		{ "{\"events\":[]}", "Bearer " CD_TOKEN, "text/plain",
		  K_MEDIA, NULL },
	};
	struct ledger_source *src = mksrc(DIST_DROP_CONFIG);
	struct rq q;
	struct res res;

	rq_init(&q, cases[_i].ctype, cases[_i].body, strlen(cases[_i].body));
	if (cases[_i].token != NULL)
		rq_set(&q, "Authorization", cases[_i].token);
	deliver(src, &q, &res);
	ck_class(&res, cases[_i].k);
	if (cases[_i].needle != NULL)
		ck_assert_msg(strstr(res.err.msg, cases[_i].needle) != NULL,
		    "'%s' not in '%s'", cases[_i].needle, res.err.msg);
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* Without a token_file, the secret itself is the bearer credential a
 * registry's fixed header carries (and an HMAC from a signing proxy still
 * works); with a token_file, only the token is. */
START_TEST(test_registry_secret_as_bearer)
{
	static const char body[] = "{\"events\":[{\"id\":\"s1\",\"action\":"
	    "\"push\",\"target\":{\"mediaType\":\"application/vnd.oci."
	    "image.manifest.v1+json\",\"digest\":\"" FEA "\"}}]}";
	static const char *const configs[] = {
		"{\"name\":\"d\",\"type\":\"distribution\",\"secret_file\":"
		"\"cd.secret\"}",
		"{\"name\":\"h\",\"type\":\"harbor\",\"secret_file\":"
		"\"cd.secret\"}",
	};
	struct ledger_source *src = mksrc(configs[_i]), *both;
	struct rq q;
	struct res res;

	rq_init(&q, MT, body, strlen(body));
	rq_set(&q, "Authorization", "Bearer " CD_SECRET);
	deliver(src, &q, &res);
	ck_assert_int_ne(res.k, K_AUTH);
	ck_assert_str_eq(res.auth, "bearer");
	res_release(&res);
	rq_set(&q, "Authorization", "Bearer " CD_SECRET "x");
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	rq_set(&q, "Authorization", NULL);
	rq_sign(&q, LEDGER_SOURCE_GENERIC);	/* X-Ledger-Signature */
	deliver(src, &q, &res);
	ck_assert_int_ne(res.k, K_AUTH);
	ck_assert_str_eq(res.auth, "hmac-sha256");
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
	/* a token configured: the secret is no bearer credential */
	both = mksrc("{\"name\":\"d\",\"type\":\"distribution\","
	    "\"secret_file\":\"cd.secret\",\"token_file\":\"cd.token\"}");
	rq_init(&q, MT, body, strlen(body));
	rq_set(&q, "Authorization", "Bearer " CD_SECRET);
	deliver(both, &q, &res);
	ck_class(&res, K_AUTH);
	rq_release(&q);
	ledger_source_free(both);
}
END_TEST

/* A sender that cannot authenticate is taken only when the operator says
 * so, alone, and then every entry says so. */
START_TEST(test_registry_unauthenticated)
{
	static const char body[] = "{\"events\":[{\"id\":\"u1\",\"action\":"
	    "\"push\",\"target\":{\"mediaType\":\"application/vnd.oci."
	    "image.manifest.v1+json\",\"digest\":\"" FEA "\"}}]}";
	struct ledger_source *src = NULL;
	struct ledger_error err;
	struct rq q;
	struct res res;

	ck_assert_int_eq(try_source("{\"name\":\"d\",\"type\":"
	    "\"distribution\",\"unauthenticated\":true,\"secret_file\":"
	    "\"cd.secret\"}", &src, &err), LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "choose one"));
	ck_assert_int_eq(try_source("{\"name\":\"d\",\"type\":"
	    "\"distribution\",\"unauthenticated\":\"yes\"}", &src, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(try_source("{\"name\":\"d\",\"type\":"
	    "\"distribution\",\"unauthenticated\":false}", &src, &err),
	    LEDGER_EINVAL);	/* and then a credential is needed */
	src = mksrc("{\"name\":\"d\",\"type\":\"distribution\","
	    "\"unauthenticated\":true}");
	rq_init(&q, MT, body, strlen(body));
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_str_eq(res.auth, "unauthenticated");
	ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_AUTH],
	    "unauthenticated");
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* A registry's configuration: a token or a secret, not GitLab's keys. */
START_TEST(test_registry_distribution_config)
{
	struct ledger_source *src = NULL;
	struct ledger_error err;

	ck_assert_int_eq(try_source("{\"name\":\"r\",\"type\":\"distribution\"}",
	    &src, &err), LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "token_file"));
	ck_assert_int_eq(try_source("{\"name\":\"r\",\"type\":\"distribution\","
	    "\"token_file\":\"cd.token\",\"signing_secret_file\":\"gl.signing\"}",
	    &src, &err), LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not apply"));
	src = mksrc(DIST_CONFIG);
	ck_assert_int_eq(ledger_source_type(src), LEDGER_SOURCE_DISTRIBUTION);
	ck_assert_str_eq(ledger_source_type_name(LEDGER_SOURCE_DISTRIBUTION),
	    "distribution");
	ledger_source_free(src);
}
END_TEST

/* ---- Harbor ---- */

#define HARBOR_CONFIG \
	"{\"name\":\"harbor\",\"type\":\"harbor\"," \
	"\"token_file\":\"cd.token\"}"
#define H954 "sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a" \
	"81536dafbbf4"

/* Every stored Harbor sample, default and CloudEvents: what it becomes. */
START_TEST(test_registry_harbor_samples)
{
	static const struct {
		const char *file, *ctype;
		enum klass k;
		enum ledger_kind kind;
		const char *status, *actor, *delivery, *digest;
	} cases[] = {
		{ "PUSH_ARTIFACT.default.docs-example.json", "application/json",
		  K_OK, LEDGER_KIND_ARTIFACT, "success", "harbor-jobservice",
		  NULL, H954 },
		{ "SCANNING_COMPLETED.default.docs-example.json",
		  "application/json", K_OK, LEDGER_KIND_SCAN, "success", "auto",
		  NULL, H954 },
		{ "SCANNING_COMPLETED.cloudevents.docs-example.json",
		  "application/cloudevents+json", K_OK, LEDGER_KIND_SCAN,
		  "success", "auto", "64bce2fe-6159-454d-8389-852d01ef1e9d",
		  H954 },
		{ "SCANNING_FAILED.default.docs-example.json",
		  "application/json", K_OK, LEDGER_KIND_SCAN, "failure", "auto",
		  NULL, "sha256:dabea2944dcc2b86482b4f0b0fb62da80e0673e900c46c0e0"
		  "3b45919881a5d84" },
		/* invalid JSON upstream: refused, saying where */
		{ "PUSH_ARTIFACT.cloudevents.docs-example.with-comments.jsonc",
		  "application/cloudevents+json", K_INPUT, 0, NULL, NULL, NULL,
		  NULL },
		{ "PULL_ARTIFACT.cloudevents.docs-example.missing-comma."
		  "invalid.json", "application/cloudevents+json", K_INPUT, 0,
		  NULL, NULL, NULL, NULL },
	};
	struct ledger_source *src = mksrc(HARBOR_CONFIG);
	const struct ledger_event *ev;
	struct rq q;
	struct res res;
	char rel[256];
	size_t len;
	char *body;

	snprintf(rel, sizeof(rel), "registries/harbor/%s", cases[_i].file);
	body = slurp_payload(rel, &len);
	rq_init(&q, cases[_i].ctype, body, len);
	rq_set(&q, "Authorization", "Bearer " CD_TOKEN);
	deliver(src, &q, &res);
	ck_class(&res, cases[_i].k);
	if (cases[_i].k == K_INPUT) {
		ck_assert_msg(strstr(res.err.msg, "line") != NULL, "no position "
		    "in '%s'", res.err.msg);
	} else {
		ck_assert_uint_eq(res.n, 1);
		ev = res.evs[0];
		ck_assert_int_eq(ev->e.kind, cases[_i].kind);
		ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_STATUS],
		    cases[_i].status);
		ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ACTOR],
		    cases[_i].actor);
		ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SERVICE],
		    "harbor/alpine");
		ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ARTIFACT],
		    cases[_i].digest);
		if (cases[_i].delivery == NULL)
			ck_assert_ptr_null(ev->e.source[LEDGER_SRC_DELIVERY]);
		else
			ck_assert_str_eq(ev->e.source[LEDGER_SRC_DELIVERY],
			    cases[_i].delivery);
		ck_assert_str_eq(ev->e.source[LEDGER_SRC_TYPE], "harbor");
		/* a completed scan carries its counts and its scanner */
		if (_i == 1) {
			ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SUMMARY],
			    "critical=0,high=0,medium=0,low=0,unknown=0");
			ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_TOOL],
			    "Trivy");
			ck_assert_str_eq(
			    ev->e.subject[LEDGER_SUBJ_TOOL_VERSION], "v0.37.2");
		}
		check_payload(ev, &q);
	}
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
	free(body);
}
END_TEST

/* Deliver body to src with the source's token. */
static void
post(const struct ledger_source *src, const char *ctype, const char *body,
    struct rq *q, struct res *res)
{
	rq_init(q, ctype, body, strlen(body));
	rq_set(q, "Authorization", "Bearer " CD_TOKEN);
	deliver(src, q, res);
}

/* Several resources: one entry each, CloudEvent ids made distinct; an
 * unknown type is one event; what is refused. */
START_TEST(test_registry_harbor_shapes)
{
	static const char two[] = "{\"specversion\":\"1.0\",\"id\":\"ce-7\","
	    "\"source\":\"/projects/2\",\"type\":\"harbor.artifact.pushed\","
	    "\"data\":{\"resources\":[{\"digest\":\"" H954 "\"},{\"digest\":"
	    "\"sha256:1\"}],\"repository\":{\"repo_full_name\":\"p/r\"}},"
	    "\"operator\":\"alice\"}";
	static const char pull[] = "{\"type\":\"PULL_ARTIFACT\",\"operator\":"
	    "\"bob\",\"event_data\":{\"resources\":[{\"digest\":\"" H954
	    "\"}]}}";
	struct ledger_source *src = mksrc(HARBOR_CONFIG);
	struct rq q;
	struct res res;

	post(src, "application/cloudevents+json", two, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_uint_eq(res.n, 2);
	ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_DELIVERY], "ce-7");
	ck_assert_str_eq(res.evs[1]->e.source[LEDGER_SRC_DELIVERY], "ce-7#1");
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_ACTOR], "alice");
	ck_assert_str_eq(res.evs[1]->e.subject[LEDGER_SUBJ_SERVICE], "p/r");
	/* "sha256:1" is no digest: left out */
	ck_assert_ptr_null(res.evs[1]->e.subject[LEDGER_SUBJ_ARTIFACT]);
	res_release(&res);
	rq_release(&q);
	post(src, "application/json", pull, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_uint_eq(res.n, 1);
	ck_assert_int_eq(res.evs[0]->e.kind, LEDGER_KIND_OTHER);
	ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_EVENT],
	    "PULL_ARTIFACT");
	res_release(&res);
	rq_release(&q);
	/* Harbor's severities mapped as the reports' (docs/reports.md) */
	post(src, "application/json", "{\"type\":\"SCANNING_COMPLETED\","
	    "\"event_data\":{\"resources\":[{\"digest\":\"" H954 "\","
	    "\"scan_overview\":{\"application/vnd.security.vulnerability."
	    "report; version=1.1\":{\"summary\":{\"total\":12,\"summary\":{"
	    "\"Critical\":1,\"High\":2,\"Negligible\":3,\"None\":4,"
	    "\"Odd\":2}},\"scanner\":{\"name\":\"Trivy\"}}}}]}}", &q, &res);
	ck_class(&res, K_OK);
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_SUMMARY],
	    "critical=1,high=2,medium=0,low=3,unknown=2");
	ck_assert_ptr_null(res.evs[0]->e.subject[LEDGER_SUBJ_TOOL_VERSION]);
	res_release(&res);
	rq_release(&q);
	/* a scan that did not finish, a count that is none: no counts (the
	 * gate then finds none, and denies) rather than zeros */
	post(src, "application/json", "{\"type\":\"SCANNING_COMPLETED\","
	    "\"event_data\":{\"resources\":[{\"digest\":\"" H954 "\","
	    "\"scan_overview\":{\"r\":{\"scan_status\":\"Error\",\"summary\":"
	    "{\"summary\":{}}}}}]}}", &q, &res);
	ck_class(&res, K_OK);
	ck_assert_ptr_null(res.evs[0]->e.subject[LEDGER_SUBJ_SUMMARY]);
	res_release(&res);
	rq_release(&q);
	post(src, "application/json", "{\"type\":\"SCANNING_COMPLETED\","
	    "\"event_data\":{\"resources\":[{\"digest\":\"" H954 "\","
	    "\"scan_overview\":{\"r\":{\"scan_status\":\"Success\",\"summary\":"
	    "{\"summary\":{\"Critical\":\"many\"}}}}}]}}", &q, &res);
	ck_class(&res, K_OK);
	ck_assert_ptr_null(res.evs[0]->e.subject[LEDGER_SUBJ_SUMMARY]);
	res_release(&res);
	rq_release(&q);
	post(src, "application/cloudevents+json", "{\"type\":\"x\"}", &q, &res);
	ck_class(&res, K_INPUT);
	ck_assert_ptr_nonnull(strstr(res.err.msg, "needs \"id\""));
	rq_release(&q);
	post(src, "application/json", "{\"operator\":\"x\"}", &q, &res);
	ck_class(&res, K_INPUT);
	ck_assert_ptr_nonnull(strstr(res.err.msg, "needs \"type\""));
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* ---- Sonatype Nexus ---- */

#define NEXUS_CONFIG \
	"{\"name\":\"nexus\",\"type\":\"nexus\",\"secret_file\":" \
	"\"cd.secret\"}"

static void
sha1_hex(const void *body, size_t len, char out[41])
{
	struct hmac_sha1_ctx ctx;
	uint8_t mac[SHA1_DIGEST_SIZE];

	hmac_sha1_set_key(&ctx, strlen(CD_SECRET), (const uint8_t *)CD_SECRET);
	hmac_sha1_update(&ctx, len, body);
	hmac_sha1_digest(&ctx, sizeof(mac), mac);
	ledger_hex(mac, sizeof(mac), out);
}

/* The docs' created asset, signed as Nexus signs: an artifact of the
 * repository (no checksum in a 3.x asset payload: no artifact field);
 * the signature covers every byte (forgery loop); the docs' own header
 * value is no vector for our key. */
START_TEST(test_registry_nexus_asset)
{
	struct ledger_source *src = mksrc(NEXUS_CONFIG);
	const struct ledger_event *ev;
	struct rq q;
	struct res res;
	char sig[41];
	size_t len, i;
	char *body = slurp_payload("registries/nexus/"
	    "rm-repository-asset.CREATED.docs-example.json", &len);

	sha1_hex(body, len, sig);
	rq_init(&q, "application/json; charset=UTF-8", body, len);
	rq_set(&q, "X-Nexus-Webhook-Signature", sig);
	rq_set(&q, "X-Nexus-Webhook-Id", "rm:repository:asset");
	rq_set(&q, "X-Nexus-Webhook-Delivery",
	    "7f4a6dde-5c68-4999-bcc0-a62f3fb8ae48");
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_uint_eq(res.n, 1);
	ev = res.evs[0];
	ck_assert_int_eq(ev->e.kind, LEDGER_KIND_ARTIFACT);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SERVICE], "npm-proxy");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ACTOR], "admin/127.0.0.1");
	ck_assert_ptr_null(ev->e.subject[LEDGER_SUBJ_ARTIFACT]);
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_EVENT],
	    "rm:repository:asset.CREATED");
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_DELIVERY],
	    "7f4a6dde-5c68-4999-bcc0-a62f3fb8ae48");
	ck_assert_str_eq(res.auth, "nexus-hmac-sha1");
	check_payload(ev, &q);
	res_release(&res);
	for (i = 0; i < len; i += 7) {
		q.body[i] ^= 0x20;
		deliver(src, &q, &res);
		ck_class(&res, K_AUTH);
		q.body[i] ^= 0x20;
	}
	rq_set(&q, "X-Nexus-Webhook-Signature",
	    "687f3719b87232cf1c11b3ef7ea10c49218b6df1");
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	rq_set(&q, "X-Nexus-Webhook-Signature", "sha1=abc");
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	ck_assert_ptr_nonnull(strstr(res.err.msg, "40 hex digits"));
	rq_set(&q, "X-Nexus-Webhook-Signature", sig);
	rq_set(&q, "X-Nexus-Webhook-Id", NULL);
	deliver(src, &q, &res);
	ck_class(&res, K_INPUT);
	rq_release(&q);
	ledger_source_free(src);
	free(body);
}
END_TEST

/* Another action is an unknown event; a Nexus source needs a secret. */
START_TEST(test_registry_nexus_other)
{
	static const char body[] = "{\"repositoryName\":\"r\",\"action\":"
	    "\"DELETED\",\"initiator\":\"a/1\"}";
	struct ledger_source *src = mksrc(NEXUS_CONFIG), *bad = NULL;
	struct ledger_error err;
	struct rq q;
	struct res res;
	char sig[41];

	sha1_hex(body, strlen(body), sig);
	rq_init(&q, "application/json", body, strlen(body));
	rq_set(&q, "X-Nexus-Webhook-Signature", sig);
	rq_set(&q, "X-Nexus-Webhook-Id", "rm:repository:component");
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_int_eq(res.evs[0]->e.kind, LEDGER_KIND_OTHER);
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
	ck_assert_int_eq(try_source("{\"name\":\"n\",\"type\":\"nexus\","
	    "\"token_file\":\"cd.token\"}", &bad, &err), LEDGER_EINVAL);
}
END_TEST

/* ---- JFrog Artifactory ---- */

#define JFROG_CONFIG \
	"{\"name\":\"jf\",\"type\":\"artifactory\",\"token_file\":" \
	"\"cd.token\",\"secret_file\":\"cd.secret\"}"

/* Every stored sample, with the token as Artifactory sends it. */
START_TEST(test_registry_jfrog_samples)
{
	static const struct {
		const char *file;
		enum ledger_kind kind;
		const char *event, *service, *artifact, *pipeline, *run;
	} cases[] = {
		{ "artifact.deployed.docs-example.json", LEDGER_KIND_ARTIFACT,
		  "artifact.deployed", "sample_repo", NULL, NULL, NULL },
		{ "docker.pushed.docs-example.whitespace-collapsed.json",
		  LEDGER_KIND_ARTIFACT, "docker.pushed", "library/ubuntu",
		  "sha256:35c4a2c15539c6c1e4e5fa4e554dac323ad0107d8eb5c582d6ff3"
		  "86b383b7dce", NULL, NULL },
		{ "build.uploaded.docs-example.indent-lost.json",
		  LEDGER_KIND_BUILD, "build.uploaded", NULL, NULL,
		  "sample_build_name", "1" },
		{ "artifact.deleted.docs-example.json", LEDGER_KIND_OTHER,
		  "artifact.deleted", NULL, NULL, NULL, NULL },
	};
	struct ledger_source *src = mksrc(JFROG_CONFIG);
	const struct ledger_event *ev;
	struct rq q;
	struct res res;
	char rel[200], *body;
	size_t len;

	snprintf(rel, sizeof(rel), "registries/jfrog/%s", cases[_i].file);
	body = slurp_payload(rel, &len);
	rq_init(&q, "application/json", body, len);
	rq_set(&q, "X-JFrog-Event-Auth", CD_TOKEN);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ev = res.evs[0];
	ck_assert_int_eq(ev->e.kind, cases[_i].kind);
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_EVENT], cases[_i].event);
	ck_assert_str_eq(res.auth, "jfrog-token");
#define OPT_EQ(f, v) do { if ((v) == NULL) \
	ck_assert_ptr_null(ev->e.subject[f]); \
	else ck_assert_str_eq(ev->e.subject[f], (v)); } while (0)
	if (cases[_i].kind != LEDGER_KIND_OTHER) {
		OPT_EQ(LEDGER_SUBJ_SERVICE, cases[_i].service);
		OPT_EQ(LEDGER_SUBJ_ARTIFACT, cases[_i].artifact);
		OPT_EQ(LEDGER_SUBJ_PIPELINE, cases[_i].pipeline);
		OPT_EQ(LEDGER_SUBJ_RUN, cases[_i].run);
	}
#undef OPT_EQ
	check_payload(ev, &q);
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
	free(body);
}
END_TEST

/* The signing mode: the body's HMAC-SHA256 in X-JFrog-Event-Auth, bare
 * or "sha256="; anything else refused. */
START_TEST(test_registry_jfrog_auth)
{
	static const char body[] = "{\"domain\":\"artifact\",\"event_type\":"
	    "\"deployed\",\"data\":{\"repo_key\":\"r\"}}";
	struct ledger_source *src = mksrc(JFROG_CONFIG);
	struct rq q;
	struct res res;
	char sig[72];

	hmac_hex(CD_SECRET, body, strlen(body), sig);	/* "sha256=<hex>" */
	rq_init(&q, "application/json", body, strlen(body));
	rq_set(&q, "X-JFrog-Event-Auth", sig + 7);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_str_eq(res.auth, "jfrog-hmac-sha256");
	res_release(&res);
	rq_set(&q, "X-JFrog-Event-Auth", sig);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	res_release(&res);
	sig[10] = sig[10] == 'a' ? 'b' : 'a';
	rq_set(&q, "X-JFrog-Event-Auth", sig);
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	rq_set(&q, "X-JFrog-Event-Auth", NULL);
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	ck_assert_ptr_nonnull(strstr(res.err.msg, "X-JFrog-Event-Auth"));
	rq_set(&q, "X-JFrog-Event-Auth", "cd-token-W");
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;
	int r;

	if ((r = src_suite_init("test-registry")) != 0)
		return r;
	s = suite_create("registry");
	tc = tcase_create("distribution");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_test(tc, test_registry_distribution_push);
	tcase_add_loop_test(tc, test_registry_distribution_bad_digest, 0, 2);
	tcase_add_loop_test(tc, test_registry_distribution_pull, 0, 2);
	tcase_add_loop_test(tc, test_registry_distribution_refused, 0, 9);
	tcase_add_test(tc, test_registry_distribution_config);
	tcase_add_loop_test(tc, test_registry_secret_as_bearer, 0, 2);
	tcase_add_test(tc, test_registry_unauthenticated);
	suite_add_tcase(s, tc);
	tc = tcase_create("harbor");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_loop_test(tc, test_registry_harbor_samples, 0, 6);
	tcase_add_test(tc, test_registry_harbor_shapes);
	suite_add_tcase(s, tc);
	tc = tcase_create("nexus-artifactory");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_test(tc, test_registry_nexus_asset);
	tcase_add_test(tc, test_registry_nexus_other);
	tcase_add_loop_test(tc, test_registry_jfrog_samples, 0, 4);
	tcase_add_test(tc, test_registry_jfrog_auth);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
