/*
 * test-source.c - webhook sources: config, authentication, media types,
 * every stored delivery, the mapping tables, CloudEvents modes and batches
 *
 * Needs $LEDGER_PAYLOADS (../shared/payloads); exits 77 without it.
 * Each request goes through the daemon's order: authenticate (401 on
 * LEDGER_EPERM), media type (415), normalize (400); deliver() names the
 * class a request ends in.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
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
#include "ledger/jcs.h"
#include "ledger/source.h"
#include "source-int.h"
#include "testutil.h"

#include "testsource.h"

/* ---- config ---- */

START_TEST(test_source_config_loads_each_type)
{
	static const char *const configs[] = {
		GH_CONFIG, GL_CONFIG, GL_SIGNED_CONFIG, CD_CONFIG, GEN_CONFIG,
		"{\"name\":\"cd.tok_1\",\"type\":\"cdevents\","
		"\"token_file\":\"cd.token\",\"unknown_events\":\"drop\","
		"\"max_events\":5}",
		"{\"name\":\"gl2\",\"type\":\"gitlab\",\"secret_file\":"
		"\"gl.token\",\"signing_secret_file\":\"gl.signing\","
		"\"timestamp_tolerance_s\":60,\"unknown_events\":\"record\","
		"\"duplicate_bodies\":\"record\",\"client_identity\":"
		"\"spiffe://example.org/gitlab\"}",
	};
	static const enum ledger_source_type types[] = {
		LEDGER_SOURCE_GITHUB, LEDGER_SOURCE_GITLAB, LEDGER_SOURCE_GITLAB,
		LEDGER_SOURCE_CDEVENTS, LEDGER_SOURCE_GENERIC,
		LEDGER_SOURCE_CDEVENTS, LEDGER_SOURCE_GITLAB,
	};
	struct ledger_source *src = mksrc(configs[_i]);

	ck_assert_int_eq(ledger_source_type(src), types[_i]);
	ck_assert_ptr_nonnull(strstr(configs[_i], ledger_source_name(src)));
	ck_assert_str_eq(ledger_source_type_name(types[_i]),
	    _i == 0 ? "github" : _i <= 2 || _i == 6 ? "gitlab" : _i == 4 ?
	    "generic" : "cdevents");
	if (_i == 6)
		ck_assert_str_eq(ledger_source_client_identity(src),
		    "spiffe://example.org/gitlab");
	else
		ck_assert_ptr_null(ledger_source_client_identity(src));
	ledger_source_free(src);
	ledger_source_free(NULL);
}
END_TEST

START_TEST(test_source_config_rejects_unknown_key)
{
	struct ledger_source *src = NULL;
	struct ledger_error err;

	ck_assert_int_eq(try_source("{\"name\":\"gh\",\"type\":\"github\","
	    "\"secret_file\":\"gh.secret\",\"secert_file\":\"x\"}", &src, &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_null(src);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown key 'secert_file'"));
	ck_assert_ptr_nonnull(strstr(err.msg, "'gh'"));
}
END_TEST

START_TEST(test_source_config_rejects_bad_type)
{
	static const char *const bad[] = {
		"{\"name\":\"x\",\"type\":\"jenkins\",\"secret_file\":\"gh.secret\"}",
		"{\"name\":\"x\",\"type\":\"GitHub\",\"secret_file\":\"gh.secret\"}",
		"{\"name\":\"x\",\"type\":7,\"secret_file\":\"gh.secret\"}",
		"{\"name\":\"x\",\"secret_file\":\"gh.secret\"}",
	};
	struct ledger_source *src = NULL;
	struct ledger_error err;

	ck_assert_int_eq(try_source(bad[_i], &src, &err), LEDGER_EINVAL);
	ck_assert_ptr_null(src);
	ck_assert_ptr_nonnull(strstr(err.msg, "type"));
}
END_TEST

START_TEST(test_source_config_rejects_missing_secret_file)
{
	static const char *const bad[] = {
		"{\"name\":\"x\",\"type\":\"github\"}",
		"{\"name\":\"x\",\"type\":\"gitlab\"}",
		"{\"name\":\"x\",\"type\":\"cdevents\"}",
		"{\"name\":\"x\",\"type\":\"generic\"}",
		("{\"name\":\"x\",\"type\":\"gitlab\",\"signing_secret_file\":"
		"\"gl.signing\"}"),
	};
	struct ledger_source *src = NULL;
	struct ledger_error err;

	ck_assert_int_eq(try_source(bad[_i], &src, &err), LEDGER_EINVAL);
	ck_assert_ptr_null(src);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing 'secret_file'"));
}
END_TEST

START_TEST(test_source_config_refuses_readable_secret)
{
	static const int modes[] = { 0644, 0640, 0604, 0660, 0606, 0620 };
	struct ledger_source *src = NULL;
	struct ledger_error err;
	char path[4200];

	snprintf(path, sizeof(path), "%s/gh.secret", dir);
	ck_assert_int_eq(chmod(path, (mode_t)modes[_i]), 0);
	ck_assert_int_eq(try_source(GH_CONFIG, &src, &err), LEDGER_EPERM);
	ck_assert_ptr_null(src);
	ck_assert_ptr_nonnull(strstr(err.msg, "gh.secret"));
	ck_assert_ptr_null(strstr(err.msg, GH_SECRET));
	ck_assert_int_eq(chmod(path, 0600), 0);
	ledger_source_free(mksrc(GH_CONFIG));
}
END_TEST

START_TEST(test_source_config_refuses_symlink_and_non_file)
{
	struct ledger_source *src = NULL;
	struct ledger_error err;
	char target[4200], link[4200];

	snprintf(target, sizeof(target), "%s/gh.secret", dir);
	snprintf(link, sizeof(link), "%s/link.secret", dir);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(try_source("{\"name\":\"x\",\"type\":\"github\","
	    "\"secret_file\":\"link.secret\"}", &src, &err), LEDGER_EPERM);
	ck_assert_int_eq(try_source("{\"name\":\"x\",\"type\":\"github\","
	    "\"secret_file\":\".\"}", &src, &err), LEDGER_EPERM);
	ck_assert_int_eq(try_source("{\"name\":\"x\",\"type\":\"github\","
	    "\"secret_file\":\"nonexistent\"}", &src, &err), LEDGER_ENOTFOUND);
	ck_assert_ptr_null(src);
}
END_TEST

START_TEST(test_source_config_rejects_bad_names)
{
	static const char *const bad[] = {
		"\"\"", "\"a b\"", "\"a/b\"", "\"..\"", "\".\"", "\"gh%2f\"",
		"\"\\u00fcber\"", "\"a\\nb\"", "17", "null",
		("\"0123456789012345678901234567890123456789012345678901234567890"
		"1234\""),
	};
	struct ledger_source *src = NULL;
	struct ledger_error err;
	char json[512];

	snprintf(json, sizeof(json), "{\"name\":%s,\"type\":\"github\","
	    "\"secret_file\":\"gh.secret\"}", bad[_i]);
	ck_assert_int_eq(try_source(json, &src, &err), LEDGER_EINVAL);
	ck_assert_ptr_null(src);
	ck_assert_ptr_nonnull(strstr(err.msg, "name"));
}
END_TEST

START_TEST(test_source_config_rejects_bad_values)
{
	static const struct {
		const char *json;
		enum ledger_status rc;
		const char *needle;
	} bad[] = {
		{ "{\"name\":\"x\",\"type\":\"github\",\"secret_file\":"
		  "\"gh.secret\",\"unknown_events\":\"maybe\"}", LEDGER_EINVAL,
		  "unknown_events" },
		{ "{\"name\":\"x\",\"type\":\"github\",\"secret_file\":"
		  "\"gh.secret\",\"duplicate_bodies\":\"keep\"}", LEDGER_EINVAL,
		  "duplicate_bodies" },
		{ "{\"name\":\"x\",\"type\":\"github\",\"secret_file\":"
		  "\"gh.secret\",\"duplicate_bodies\":false}", LEDGER_EINVAL,
		  "duplicate_bodies" },
		{ "{\"name\":\"x\",\"type\":\"gitlab\",\"secret_file\":"
		  "\"gl.token\",\"signing_secret_file\":\"gl.signing\","
		  "\"timestamp_tolerance_s\":0}", LEDGER_EINVAL,
		  "timestamp_tolerance_s" },
		{ "{\"name\":\"x\",\"type\":\"gitlab\",\"secret_file\":"
		  "\"gl.token\",\"signing_secret_file\":\"gl.signing\","
		  "\"timestamp_tolerance_s\":1.5}", LEDGER_EINVAL,
		  "timestamp_tolerance_s" },
		{ "{\"name\":\"x\",\"type\":\"gitlab\",\"secret_file\":"
		  "\"gl.token\",\"timestamp_tolerance_s\":30}", LEDGER_EINVAL,
		  "needs 'signing_secret_file'" },
		{ "{\"name\":\"x\",\"type\":\"github\",\"secret_file\":"
		  "\"gh.secret\",\"signing_secret_file\":\"gl.signing\"}",
		  LEDGER_EINVAL, "does not apply" },
		{ "{\"name\":\"x\",\"type\":\"gitlab\",\"secret_file\":"
		  "\"gl.token\",\"token_file\":\"cd.token\"}", LEDGER_EINVAL,
		  "does not apply" },
		{ "{\"name\":\"x\",\"type\":\"cdevents\",\"secret_file\":"
		  "\"cd.secret\",\"max_events\":0}", LEDGER_EINVAL,
		  "max_events" },
		{ "{\"name\":\"x\",\"type\":\"cdevents\",\"secret_file\":"
		  "\"cd.secret\",\"max_events\":1001}", LEDGER_EINVAL,
		  "max_events" },
		{ "{\"name\":\"x\",\"type\":\"github\",\"secret_file\":"
		  "\"gh.secret\",\"max_events\":3}", LEDGER_EINVAL,
		  "does not apply" },
		{ "{\"name\":\"x\",\"type\":\"github\",\"secret_file\":17}",
		  LEDGER_EINVAL, "secret_file" },
		{ "{\"name\":\"x\",\"type\":\"github\",\"secret_file\":\"\"}",
		  LEDGER_EINVAL, "secret_file" },
		{ "{\"name\":\"x\",\"type\":\"github\",\"secret_file\":"
		  "\"empty.secret\"}", LEDGER_EINVAL, "is empty" },
		{ "{\"name\":\"x\",\"type\":\"gitlab\",\"secret_file\":"
		  "\"gl.token\",\"signing_secret_file\":\"short.signing\"}",
		  LEDGER_EINVAL, "whsec_" },
		{ "{\"name\":\"x\",\"type\":\"gitlab\",\"secret_file\":"
		  "\"gl.token\",\"signing_secret_file\":\"gh.secret\"}",
		  LEDGER_EINVAL, "whsec_" },
		{ "[\"name\"]", LEDGER_EINVAL, "object" },
		{ "{\"name\":\"x\",\"type\":\"github\",\"secret_file\":"
		  "\"gh.secret\",\"client_identity\":\"\"}", LEDGER_EINVAL,
		  "client_identity" },
		{ "{\"name\":\"x\",\"type\":\"github\",\"secret_file\":"
		  "\"gh.secret\",\"client_identity\":\"sha256:00\"}",
		  LEDGER_EINVAL, "client_identity" },
		{ "{\"name\":\"x\",\"type\":\"github\",\"secret_file\":"
		  "\"gh.secret\",\"client_identity\":7}", LEDGER_EINVAL,
		  "client_identity" },
	};
	struct ledger_source *src = NULL;
	struct ledger_error err;

	write_file("empty.secret", "\n", 1, 0600);
	write_file("short.signing", "whsec_c2hvcnQ=", 14, 0600);
	ck_assert_int_eq(try_source(bad[_i].json, &src, &err), bad[_i].rc);
	ck_assert_ptr_null(src);
	ck_assert_msg(strstr(err.msg, bad[_i].needle) != NULL,
	    "'%s' not in '%s'", bad[_i].needle, err.msg);
	/* secrets never show up in a message */
	ck_assert_ptr_null(strstr(err.msg, GH_SECRET));
	ck_assert_ptr_null(strstr(err.msg, "c2hvcnQ"));
}
END_TEST

START_TEST(test_source_config_set_finds_and_rejects_duplicates)
{
	const struct ledger_source *s;
	struct ledger_sources *set = NULL;
	struct ledger_error err;
	json_t *arr;

	arr = json_loads("[" GH_CONFIG "," GL_CONFIG "," CD_CONFIG "]", 0,
	    NULL);
	ck_assert_int_eq(ledger_sources_from_json(arr, dir, &set, &err),
	    LEDGER_OK);
	json_decref(arr);
	ck_assert_uint_eq(ledger_sources_count(set), 3);
	s = ledger_sources_find(set, "gl");
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(ledger_source_type(s), LEDGER_SOURCE_GITLAB);
	ck_assert_ptr_eq(ledger_sources_get(set, 1), s);
	ck_assert_ptr_null(ledger_sources_get(set, 3));
	ck_assert_ptr_null(ledger_sources_find(set, "nope"));
	ledger_sources_free(set);

	set = NULL;
	arr = json_loads("[" GH_CONFIG "," GH_CONFIG "]", 0, NULL);
	ck_assert_int_eq(ledger_sources_from_json(arr, dir, &set, &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_null(set);
	ck_assert_ptr_nonnull(strstr(err.msg, "sources[1]: duplicate"));
	json_decref(arr);
	arr = json_loads("[" GH_CONFIG ",{\"name\":\"y\"}]", 0, NULL);
	ck_assert_int_eq(ledger_sources_from_json(arr, dir, &set, &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "sources[1]: "));
	json_decref(arr);
	arr = json_loads("{}", 0, NULL);
	ck_assert_int_eq(ledger_sources_from_json(arr, dir, &set, &err),
	    LEDGER_EINVAL);
	json_decref(arr);
	ledger_sources_free(NULL);
}
END_TEST

/* ---- known answers (../shared/payloads/test-vectors.md) ---- */

START_TEST(test_source_github_signature_vector)
{
	/* vector #1 */
	struct ledger_source *src = mksrc(GH_CONFIG);
	const char *auth = NULL;
	struct rq q;

	rq_init(&q, "application/json", "Hello, World!", 13);
	rq_set(&q, "X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce9"
	    "84b8a37570b6d7586c22c46f4379c8b043e17");
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	ck_assert_str_eq(auth, "github-hmac-sha256");
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_hmac_header_vector)
{
	/* vector #1 again, as X-Ledger-Signature of a generic source */
	struct ledger_source *src;
	const char *auth = NULL;
	struct rq q;

	write_file("v1.secret", GH_SECRET, strlen(GH_SECRET), 0600);
	src = mksrc("{\"name\":\"g\",\"type\":\"generic\",\"secret_file\":"
	    "\"v1.secret\"}");
	rq_init(&q, "application/json", "Hello, World!", 13);
	rq_set(&q, "X-Ledger-Signature", "sha256=757107EA0EB2509FC211221CCE9"
	    "84B8A37570B6D7586C22C46F4379C8B043E17");
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	ck_assert_str_eq(auth, "hmac-sha256");
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* vector #6, with a GitLab token */
static void
sw_request(struct rq *q)
{
	rq_init(q, "application/json", "{\"test\": 2432232314}", 20);
	rq_set(q, "X-Gitlab-Token", GL_TOKEN);
	rq_set(q, "webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek");
	rq_set(q, "webhook-timestamp", "1614265330");
	rq_set(q, "webhook-signature",
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	q->r.now_ms = 1614265330LL * 1000;
}

START_TEST(test_source_standard_webhooks_vector)
{
	struct ledger_source *src = mksrc(GL_SIGNED_CONFIG);
	const char *auth = NULL;
	struct rq q;

	sw_request(&q);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	ck_assert_str_eq(auth, "gitlab-token+standard-webhooks");
	/* several signatures (key rotation): any v1 may match */
	rq_set(&q, "webhook-signature", "v1a,abc v1,AAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAA= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1"
	    "OE=");
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* ---- authentication failures: LEDGER_EPERM, and 401 ---- */

START_TEST(test_source_auth_rejects_missing_signature)
{
	static const char *const configs[] = {
		GH_CONFIG, GL_CONFIG, CD_CONFIG, GEN_CONFIG
	};
	struct ledger_source *src = mksrc(configs[_i]);
	struct ledger_error err;
	const char *auth = NULL;
	struct rq q;

	rq_init(&q, "application/json", "{}", 2);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, &err),
	    LEDGER_EPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing"));
	ck_assert_ptr_null(auth);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_auth_refuses_legacy_only_signature)
{
	struct ledger_source *src = mksrc(GH_CONFIG);
	struct ledger_error err;
	const char *auth = NULL;
	struct res res;
	struct rq q;

	rq_init(&q, "application/json", "Hello, World!", 13);
	/* a correct SHA-1 signature is not enough */
	rq_set(&q, "X-Hub-Signature",
	    "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59");
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, &err),
	    LEDGER_EPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "legacy"));
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_auth_rejects_bad_signature)
{
	static const char *const bad[] = {
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c"
		"8b043e18",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c"
		"8b043e1",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c"
		"8b043e177",
		"sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b"
		"043e17",
		"757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c"
		"8b043e1g",
		"", "sha256=", " sha256=757107ea0eb2509fc211221cce984b8a37570b6d75"
		"86c22c46f4379c8b043e17",
	};
	struct ledger_source *src = mksrc(GH_CONFIG);
	const char *auth = NULL;
	struct res res;
	struct rq q;

	rq_init(&q, "application/json", "Hello, World!", 13);
	rq_set(&q, "X-Hub-Signature-256", bad[_i]);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_EPERM);
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_auth_signature_forgery_loop)
{
	/* flip every hex digit of a right signature */
	struct ledger_source *src = mksrc(GH_CONFIG);
	char sig[] = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c"
	    "46f4379c8b043e17";
	struct ledger_error err;
	const char *auth;
	struct rq q;
	size_t i;

	rq_init(&q, "application/json", "Hello, World!", 13);
	for (i = 7; i < strlen(sig); i++) {
		char c = sig[i];

		sig[i] = c == '0' ? '1' : '0';
		rq_set(&q, "X-Hub-Signature-256", sig);
		ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth,
		    &err), LEDGER_EPERM);
		sig[i] = c;
	}
	rq_set(&q, "X-Hub-Signature-256", sig);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_auth_rejects_wrong_secret)
{
	struct ledger_source *src = mksrc(GH_CONFIG), *gen = mksrc(GEN_CONFIG);
	struct ledger_error err;
	const char *auth;
	char sig[72];
	struct rq q;

	rq_init(&q, "application/json", "{}", 2);
	hmac_hex("It's a Secret to Everybody!", q.r.body, 2, sig);
	rq_set(&q, "X-Hub-Signature-256", sig);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, &err),
	    LEDGER_EPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not match"));
	ck_assert_ptr_null(strstr(err.msg, GH_SECRET));
	/* GitHub's secret is not the generic source's */
	hmac_hex(GH_SECRET, q.r.body, 2, sig);
	rq_set(&q, "X-Ledger-Signature", sig);
	ck_assert_int_eq(ledger_source_authenticate(gen, &q.r, &auth, &err),
	    LEDGER_EPERM);
	rq_release(&q);
	ledger_source_free(src);
	ledger_source_free(gen);
}
END_TEST

START_TEST(test_source_auth_rejects_altered_body)
{
	/* each byte of the vector #1 body, changed after signing */
	struct ledger_source *src = mksrc(GH_CONFIG);
	const char *auth;
	struct res res;
	struct rq q;

	rq_init(&q, "application/json", "Hello, World!", 13);
	rq_set(&q, "X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce9"
	    "84b8a37570b6d7586c22c46f4379c8b043e17");
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	q.body[_i] ^= 0x01;
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_EPERM);
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	q.body[_i] ^= 0x01;
	/* shorter and longer bodies too */
	q.r.body_len = 12;
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_EPERM);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_auth_rejects_altered_real_delivery)
{
	/* a real workflow_run delivery, one byte at a time (a stride under
	 * valgrind), for each source type's signature */
	static const char *const configs[] = { GH_CONFIG, GEN_CONFIG };
	struct ledger_source *src = mksrc(configs[_i]);
	size_t len, i, step;
	const char *auth;
	char *body;
	struct rq q;

	step = getenv("LEDGER_UNDER_VALGRIND") != NULL ? 499 : 1;
	body = slurp_payload("github/workflow_run/completed.payload.json",
	    &len);
	rq_init(&q, "application/json", body, len);
	rq_sign(&q, _i == 0 ? LEDGER_SOURCE_GITHUB : LEDGER_SOURCE_GENERIC);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	for (i = 0; i < len; i += step) {
		q.body[i] ^= 0x20;
		ck_assert_msg(ledger_source_authenticate(src, &q.r, &auth,
		    NULL) == LEDGER_EPERM, "byte %zu", i);
		q.body[i] ^= 0x20;
	}
	free(body);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_auth_rejects_stale_or_future_timestamp)
{
	/* tolerance 300 s: 301 s either way is refused, 300 accepted */
	static const long long skew_s[] = { 301, -301, 86400, -86400,
	    1614265330 };
	struct ledger_source *src = mksrc(GL_SIGNED_CONFIG);
	struct ledger_error err;
	const char *auth;
	struct res res;
	struct rq q;

	sw_request(&q);
	q.r.now_ms = (1614265330LL + 300) * 1000;
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	q.r.now_ms = (1614265330LL - 300) * 1000;
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	q.r.now_ms = (1614265330LL + skew_s[_i]) * 1000;
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, &err),
	    LEDGER_EPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "webhook-timestamp"));
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_auth_honours_configured_tolerance)
{
	struct ledger_source *src = mksrc("{\"name\":\"gl\",\"type\":\"gitlab\","
	    "\"secret_file\":\"gl.token\",\"signing_secret_file\":\"gl.signing\","
	    "\"timestamp_tolerance_s\":10}");
	const char *auth;
	struct rq q;

	sw_request(&q);
	q.r.now_ms = (1614265330LL + 10) * 1000 + 999;
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	q.r.now_ms = (1614265330LL + 11) * 1000;
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_EPERM);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_auth_rejects_bad_standard_webhooks_headers)
{
	static const struct {
		const char *name, *value;
	} bad[] = {
		{ "webhook-id", NULL },
		{ "webhook-timestamp", NULL },
		{ "webhook-signature", NULL },
		{ "webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJeK" },
		{ "webhook-id", "" },
		{ "webhook-timestamp", "1614265331" },
		{ "webhook-timestamp", "1614265330.0" },
		{ "webhook-timestamp", "-1614265330" },
		{ "webhook-timestamp", "" },
		{ "webhook-signature", "" },
		{ "webhook-signature", "v1," },
		{ "webhook-signature", "v1,!!!!" },
		{ "webhook-signature", "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" },
		{ "webhook-signature", "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" },
		{ "webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE" },
		{ "webhook-signature", "v1,h0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" },
		{ "webhook-signature", "v1 g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" },
		{ "X-Gitlab-Token", NULL },
		{ "X-Gitlab-Token", "gl-token-Zx" },
		{ "X-Gitlab-Token", GL_TOKEN " " },
	};
	struct ledger_source *src = mksrc(GL_SIGNED_CONFIG);
	struct ledger_error err;
	const char *auth;
	struct res res;
	struct rq q;

	sw_request(&q);
	rq_set(&q, bad[_i].name, bad[_i].value);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, &err),
	    LEDGER_EPERM);
	ck_assert_ptr_null(strstr(err.msg, GL_TOKEN));
	ck_assert_ptr_null(strstr(err.msg, "MfKQ9r8G"));
	deliver(src, &q, &res);
	ck_class(&res, K_AUTH);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_auth_gitlab_token)
{
	struct ledger_source *src = mksrc(GL_CONFIG);
	struct ledger_error err;
	const char *auth = NULL;
	struct rq q;

	rq_init(&q, "application/json", "{}", 2);
	rq_set(&q, "X-Gitlab-Token", GL_TOKEN);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	ck_assert_str_eq(auth, "gitlab-token");
	rq_set(&q, "X-Gitlab-Token", "gl-token-Zx8");
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, &err),
	    LEDGER_EPERM);
	rq_set(&q, "X-Gitlab-Token", "");
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, &err),
	    LEDGER_EPERM);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_auth_bearer_and_hmac)
{
	struct ledger_source *src = mksrc(CD_CONFIG), *tokless;
	const char *auth = NULL;
	char sig[72];
	struct rq q;

	tokless = mksrc("{\"name\":\"x\",\"type\":\"cdevents\","
	    "\"secret_file\":\"cd.secret\"}");
	rq_init(&q, "application/json", "{}", 2);
	rq_set(&q, "Authorization", "Bearer " CD_TOKEN);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	ck_assert_str_eq(auth, "bearer");
	rq_set(&q, "Authorization", "bearer  " CD_TOKEN);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	/* a source without a token file takes no bearer token */
	ck_assert_int_eq(ledger_source_authenticate(tokless, &q.r, &auth,
	    NULL), LEDGER_EPERM);
	/* wrong, other scheme, prefix of the token */
	rq_set(&q, "Authorization", "Bearer " CD_SECRET);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_EPERM);
	rq_set(&q, "Authorization", "Basic Y2Q6dG9rZW4=");
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_EPERM);
	rq_set(&q, "Authorization", "Bearer cd-token-W");
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_EPERM);
	/* HMAC, and HMAC with a bad token: every credential must hold */
	hmac_hex(CD_SECRET, "{}", 2, sig);
	rq_set(&q, "X-Ledger-Signature", sig);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_EPERM);
	rq_set(&q, "Authorization", NULL);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	ck_assert_str_eq(auth, "hmac-sha256");
	rq_set(&q, "Authorization", "Bearer " CD_TOKEN);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_OK);
	ck_assert_str_eq(auth, "hmac-sha256");
	rq_release(&q);
	ledger_source_free(src);
	ledger_source_free(tokless);
}
END_TEST

/* ---- media types: 415 ---- */

START_TEST(test_source_media_rejects_wrong_content_type)
{
	static const struct {
		const char *config, *ctype;
	} bad[] = {
		{ GH_CONFIG, "application/x-www-form-urlencoded" },
		{ GH_CONFIG, "text/plain" },
		{ GH_CONFIG, "application/cloudevents+json" },
		{ GH_CONFIG, NULL },
		{ GH_CONFIG, "" },
		{ GH_CONFIG, "application/" },
		{ GH_CONFIG, "json" },
		{ GH_CONFIG, "application/json/x" },
		{ GL_CONFIG, "application/xml" },
		{ GL_CONFIG, "application/vnd.in-toto+json" },
		{ CD_CONFIG, "text/json" },
		{ CD_CONFIG, "application/cloudevents" },
		{ CD_CONFIG, "application/cloudevents-batch" },
		{ GEN_CONFIG, "text/plain" },
		{ GEN_CONFIG, "application/xml" },
		{ GEN_CONFIG, "multipart/form-data; boundary=x" },
	};
	struct ledger_source *src = mksrc(bad[_i].config);
	struct ledger_error err;
	struct res res;
	struct rq q;

	rq_init(&q, bad[_i].ctype, "{}", 2);
	rq_sign(&q, ledger_source_type(src));
	ck_assert_int_eq(ledger_source_check_media_type(src, &q.r, &err),
	    LEDGER_EINVAL);
	deliver(src, &q, &res);
	ck_class(&res, K_MEDIA);
	/* normalize refuses on its own too, and stores nothing */
	{
		struct ledger_event **evs = NULL;
		size_t n = 7;
		bool drop = false;

		ck_assert_int_eq(ledger_source_normalize(src, &q.r, "x", &evs,
		    &n, &drop, &err), LEDGER_EINVAL);
		ck_assert_ptr_null(evs);
		ck_assert_uint_eq(n, 7);
	}
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_media_accepts_parameters_and_case)
{
	static const struct {
		const char *config, *ctype;
	} ok[] = {
		{ GH_CONFIG, "application/json" },
		{ GH_CONFIG, "Application/JSON; charset=utf-8" },
		{ GL_CONFIG, " application/json ;charset=UTF-8" },
		{ CD_CONFIG, "application/cloudevents+json; charset=utf-8" },
		{ CD_CONFIG, "application/cloudevents-batch+json" },
		{ GEN_CONFIG, "application/vnd.in-toto+json" },
		{ GEN_CONFIG, "application/vnd.dev.sigstore.bundle.v0.3+json" },
	};
	struct ledger_source *src = mksrc(ok[_i].config);
	struct ledger_error err;
	struct rq q;

	rq_init(&q, ok[_i].ctype, "{}", 2);
	ck_assert_msg(ledger_source_check_media_type(src, &q.r, &err) ==
	    LEDGER_OK, "%s", err.msg);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* ---- every stored delivery ---- */

struct file {
	char *rel;	/* path under $LEDGER_PAYLOADS */
	bool valid;	/* ledger_json_parse accepts it */
};
static struct file *files;
static size_t nfiles;
static size_t *valid_idx, *invalid_idx;
static size_t nvalid, ninvalid;

static int
collect(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	size_t n = strlen(path);
	json_t *v = NULL;
	char *buf;
	FILE *f;

	(void)sb;
	(void)ftw;
	if (flag != FTW_F || !((n > 5 && strcmp(path + n - 5, ".json") == 0) ||
	    (n > 6 && strcmp(path + n - 6, ".jsonc") == 0)))
		return 0;
	files = realloc(files, (nfiles + 1) * sizeof(*files));
	if (files == NULL || (f = fopen(path, "rb")) == NULL)
		return 1;
	buf = malloc((size_t)sb->st_size + 1);
	if (buf == NULL || fread(buf, 1, (size_t)sb->st_size, f) !=
	    (size_t)sb->st_size) {
		fclose(f);
		free(buf);
		return 1;
	}
	fclose(f);
	files[nfiles].rel = strdup(path + strlen(payloads) + 1);
	files[nfiles].valid = ledger_json_parse(buf, (size_t)sb->st_size, &v,
	    NULL) == LEDGER_OK;
	json_decref(v);
	free(buf);
	nfiles++;
	return 0;
}

static int
cmp_files(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->rel,
	    ((const struct file *)b)->rel);
}

static bool
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static bool
is_conformance(const char *rel)
{
	return (has_prefix(rel, "cdevents/") &&
	    strstr(rel, "/conformance/") != NULL &&
	    strstr(rel, "/formats/") == NULL) ||
	    strstr(rel, "/custom/conformance.json") != NULL;
}

/* GitLab's event header from the body's object_kind. */
static const char *
gitlab_event(const char *body, size_t len)
{
	static const char *const map[][2] = {
		{ "build", "Job Hook" }, { "deployment", "Deployment Hook" },
		{ "merge_request", "Merge Request Hook" },
		{ "pipeline", "Pipeline Hook" }, { "push", "Push Hook" },
		{ "release", "Release Hook" }, { "tag_push", "Tag Push Hook" },
	};
	json_t *v = json_loadb(body, len, 0, NULL);
	const char *k = json_string_value(json_object_get(v, "object_kind"));
	const char *ev = "System Hook";
	size_t i;

	for (i = 0; k != NULL && i < sizeof(map) / sizeof(*map); i++)
		if (strcmp(k, map[i][0]) == 0)
			ev = map[i][1];
	json_decref(v);
	return ev;
}

/* Tekton's docs give the binary-mode headers beside the body. */
static void
set_headers_from_file(struct rq *q, const char *rel)
{
	char *text, *line, *save = NULL, *colon;
	size_t len;

	text = slurp_payload(rel, &len);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || (colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		if (strncasecmp(line, "ce-", 3) == 0)
			rq_set(q, line, colon + 2);
	}
	free(text);
}

enum mode { M_PLAIN, M_BINARY, M_STRUCTURED };

/*
 * Route a stored file to its adapter: which source, content type and
 * headers.  CDEvents conformance files go in every CloudEvents mode.
 */
static enum ledger_source_type
route(const char *rel, struct rq *q, enum mode m)
{
	static unsigned long n;
	bool conformance = is_conformance(rel);
	char delivery[64];

	snprintf(delivery, sizeof(delivery), "72d3162e-cc78-11e3-81ab-%012lx",
	    ++n);
	if (has_prefix(rel, "github/")) {
		char ev[64];

		snprintf(ev, sizeof(ev), "%.*s", (int)strcspn(rel + 7, "/"),
		    rel + 7);
		rq_set(q, "X-GitHub-Event", ev);
		rq_set(q, "X-GitHub-Delivery", delivery);
		return LEDGER_SOURCE_GITHUB;
	}
	if (has_prefix(rel, "gitlab/")) {
		rq_set(q, "X-Gitlab-Event", gitlab_event((char *)q->body,
		    q->r.body_len));
		rq_set(q, "X-Gitlab-Event-UUID", delivery);
		return LEDGER_SOURCE_GITLAB;
	}
	if (conformance || has_prefix(rel, "others/harness/")) {
		if (m != M_BINARY)
			return LEDGER_SOURCE_CDEVENTS;
		{
			json_t *v = json_loadb((char *)q->body, q->r.body_len,
			    0, NULL), *ctx = json_object_get(v, "context");

			rq_set(q, "ce-specversion", "1.0");
			rq_set(q, "ce-id", json_string_value(json_object_get(
			    ctx, "id")));
			rq_set(q, "ce-source", json_string_value(
			    json_object_get(ctx, "source")));
			rq_set(q, "ce-type", json_string_value(json_object_get(
			    ctx, "type")));
			json_decref(v);
		}
		return LEDGER_SOURCE_CDEVENTS;
	}
	if (has_prefix(rel, "others/jenkins/cdevents-plugin")) {
		free(q->ctype);
		q->ctype = strdup("application/cloudevents+json");
		q->r.content_type = q->ctype;
		return LEDGER_SOURCE_CDEVENTS;
	}
	if (has_prefix(rel, "others/tekton/")) {
		set_headers_from_file(q,
		    "others/tekton/taskrun.unknown.docs-example.headers.txt");
		return LEDGER_SOURCE_CDEVENTS;
	}
	/* schemas, in-toto, other CI systems: the generic adapter */
	if (has_prefix(rel, "others/bitbucket"))
		rq_set(q, "X-Event-Key", "repo:push");
	rq_set(q, "X-Ledger-Delivery", delivery);
	return LEDGER_SOURCE_GENERIC;
}

/* Wrap a CDEvent in a structured-mode CloudEvent. */
static char *
wrap_structured(const char *body, size_t len, size_t *ret_len)
{
	json_t *v = json_loadb(body, len, 0, NULL), *ctx, *ce;
	char *out;

	ck_assert_ptr_nonnull(v);
	ctx = json_object_get(v, "context");
	ce = json_pack("{s:s, s:O, s:O, s:O, s:s, s:O}", "specversion", "1.0",
	    "id", json_object_get(ctx, "id"), "source", json_object_get(ctx,
	    "source"), "type", json_object_get(ctx, "type"),
	    "datacontenttype", "application/json", "data", v);
	ck_assert_ptr_nonnull(ce);
	out = json_dumps(ce, JSON_COMPACT);
	*ret_len = strlen(out);
	json_decref(ce);
	json_decref(v);
	return out;
}

static struct ledger_source *
source_for(enum ledger_source_type t)
{
	switch (t) {
	case LEDGER_SOURCE_GITHUB:
		return mksrc(GH_CONFIG);
	case LEDGER_SOURCE_GITLAB:
		return mksrc(GL_CONFIG);
	case LEDGER_SOURCE_CDEVENTS:
		return mksrc(CD_CONFIG);
	default:
		return mksrc(GEN_CONFIG);
	}
}

static void
check_accepted(const char *rel, enum mode m)
{
	struct ledger_source *src;
	enum ledger_source_type t;
	char *body, *wrapped = NULL;
	size_t len, i;
	struct res res;
	struct rq q;

	body = slurp_payload(rel, &len);
	if (m == M_STRUCTURED) {
		wrapped = wrap_structured(body, len, &len);
		rq_init(&q, "application/cloudevents+json", wrapped, len);
	} else
		rq_init(&q, "application/json", body, len);
	t = route(rel, &q, m);
	src = source_for(t);
	rq_sign(&q, t);
	deliver(src, &q, &res);
	ck_assert_msg(res.k == K_OK, "%s (mode %d): %s: %s", rel, m,
	    klass_names[res.k], res.err.msg);
	for (i = 0; i < res.n; i++) {
		const struct ledger_entry *e = &res.evs[i]->e;

		ck_assert_str_eq(e->source[LEDGER_SRC_NAME],
		    ledger_source_name(src));
		ck_assert_str_eq(e->source[LEDGER_SRC_TYPE],
		    ledger_source_type_name(t));
		ck_assert_str_eq(e->source[LEDGER_SRC_AUTH], res.auth);
		ck_assert_str_eq(e->payload_type, q.ctype);
		check_payload(res.evs[i], &q);
		if (t != LEDGER_SOURCE_GENERIC)
			ck_assert_ptr_nonnull(e->source[LEDGER_SRC_EVENT]);
		if (t == LEDGER_SOURCE_CDEVENTS || t == LEDGER_SOURCE_GITHUB)
			ck_assert_ptr_nonnull(e->source[LEDGER_SRC_DELIVERY]);
	}
	res_release(&res);
	rq_release(&q);
	free(body);
	free(wrapped);
	ledger_source_free(src);
}

START_TEST(test_source_payload_accepted)
{
	const char *rel = files[valid_idx[_i]].rel;

	check_accepted(rel, M_PLAIN);
	if (is_conformance(rel)) {
		check_accepted(rel, M_BINARY);
		check_accepted(rel, M_STRUCTURED);
	}
}
END_TEST

START_TEST(test_source_payload_counts)
{
	size_t gh = 0, gl = 0, cd = 0, i;

	for (i = 0; i < nvalid; i++) {
		const char *rel = files[valid_idx[i]].rel;

		gh += has_prefix(rel, "github/");
		gl += has_prefix(rel, "gitlab/");
		cd += is_conformance(rel);
	}
	/* a misplaced directory would otherwise pass quietly */
	ck_assert_uint_ge(gh, 45);
	ck_assert_uint_ge(gl, 8);
	ck_assert_uint_ge(cd, 45 + 45 + 48);
	ck_assert_uint_ge(ninvalid, 1);
}
END_TEST

/* The invalid fixtures: each through its adapter, signed, is bad input. */
START_TEST(test_source_payload_invalid_rejected)
{
	const char *rel = files[invalid_idx[_i]].rel;
	struct ledger_source *src;
	enum ledger_source_type t;
	struct res res;
	size_t len;
	char *body;
	struct rq q;

	body = slurp_payload(rel, &len);
	rq_init(&q, "application/json", body, len);
	t = route(rel, &q, M_PLAIN);
	src = source_for(t);
	rq_sign(&q, t);
	deliver(src, &q, &res);
	ck_assert_msg(res.k == K_INPUT, "%s: %s", rel, klass_names[res.k]);
	ck_assert_uint_eq(res.n, 0);
	rq_release(&q);
	free(body);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_http_binding_example_rejected)
{
	/* the CloudEvents binding's own example: headers, then a body that
	 * is not JSON (trailing comma, missing commas) */
	struct ledger_source *src = mksrc(CD_CONFIG);
	char *text, *body, *line, *save = NULL, *colon;
	struct res res;
	size_t len;
	struct rq q;

	text = slurp_payload(
	    "cdevents/http-binding/binary-mode-taskrun-started.FROM-SPEC-DOC.http",
	    &len);
	body = strstr(text, "\n\n");
	ck_assert_ptr_nonnull(body);
	*body = '\0';
	body += 2;
	rq_init(&q, "application/json; charset=utf-8", body, strlen(body));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if ((colon = strchr(line, ':')) != NULL &&
		    strncasecmp(line, "ce-", 3) == 0) {
			*colon = '\0';
			rq_set(&q, line, colon + 2);
		}
	ck_assert_str_eq(rq_lookup(&q, "CE-TYPE"),
	    "dev.cdevents.taskrun.started.0.1.1");
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(src, &q, &res);
	ck_class(&res, K_INPUT);
	rq_release(&q);
	free(text);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_rejects_malformed_json)
{
	/* per adapter: what ledger_json_parse refuses is bad input */
	static const char *const bad[] = {
		"", "{", "{\"a\":1}x", "{\"a\":1,\"a\":2}", "{\"a\":\"\xff\"}",
		"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":1e400}", "[1,]", "nul",
		"{\"a\":\"\\ud800\"}",
	};
	static const char *const configs[] = {
		GH_CONFIG, GL_CONFIG, CD_CONFIG, GEN_CONFIG
	};
	size_t c;

	for (c = 0; c < sizeof(configs) / sizeof(*configs); c++) {
		struct ledger_source *src = mksrc(configs[c]);
		struct res res;
		struct rq q;

		rq_init(&q, "application/json", bad[_i], strlen(bad[_i]));
		rq_set(&q, "X-GitHub-Event", "push");
		rq_set(&q, "X-Gitlab-Event", "Push Hook");
		rq_sign(&q, ledger_source_type(src));
		deliver(src, &q, &res);
		ck_assert_msg(res.k == K_INPUT, "%s '%s': %s", configs[c],
		    bad[_i], klass_names[res.k]);
		rq_release(&q);
		ledger_source_free(src);
	}
}
END_TEST

START_TEST(test_source_rejects_non_object_body)
{
	static const char *const bad[] = { "[]", "\"x\"", "1", "null", "true" };
	static const char *const configs[] = { GH_CONFIG, GL_CONFIG, CD_CONFIG };
	size_t c;

	for (c = 0; c < sizeof(configs) / sizeof(*configs); c++) {
		struct ledger_source *src = mksrc(configs[c]);
		struct res res;
		struct rq q;

		rq_init(&q, "application/json", bad[_i], strlen(bad[_i]));
		rq_set(&q, "X-GitHub-Event", "push");
		rq_set(&q, "X-Gitlab-Event", "Push Hook");
		rq_sign(&q, ledger_source_type(src));
		deliver(src, &q, &res);
		ck_class(&res, K_INPUT);
		rq_release(&q);
		ledger_source_free(src);
	}
}
END_TEST

/* ---- the mapping tables, field by field ---- */

struct expect {
	const char *file;	/* under $LEDGER_PAYLOADS, or NULL: body */
	const char *body;
	const char *config;
	const char *ctype;
	const char *hdr[4][2];	/* event header and such */
	enum ledger_kind kind;
	const char *event;
	const char *delivery;
	const char *subj[LEDGER_SUBJ_COUNT];
};

#define S(f) [LEDGER_SUBJ_ ## f]
#define JSON "application/json"
#define DLV "72d3162e-cc78-11e3-81ab-4c9367dc0958"
#define CE_DLV(src, id, type) "[\"" src "\",\"" id "\",\"" type "\"]"
#define CONF_ID "271069a8-fc18-44f1-b38f-9d70a1695819"
#define OCI_DIGEST \
	"sha256:0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427"

static const struct expect expects[] = {
	/* GitHub, stored deliveries */
	{ "github/workflow_run/completed.payload.json", NULL, GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "workflow_run" },
	    { "X-GitHub-Delivery", DLV } },
	  LEDGER_KIND_BUILD, "workflow_run.completed", DLV,
	  { S(PIPELINE) = "octo-org/octo-repo", S(RUN) = "289782451",
	    S(COMMIT) = "3484a3fb816e0859fd6e1cea078d76385ff50625",
	    S(ACTOR) = "Codertocat", S(STATUS) = "success",
	    S(URL) = "https://github.com/octo-org/octo-repo/actions/runs/289782451" } },
	{ "github/workflow_job/completed.failure.with-organization.payload.json",
	  NULL, GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "workflow_job" },
	    { "X-GitHub-Delivery", DLV } },
	  LEDGER_KIND_BUILD, "workflow_job.completed", DLV,
	  { S(PIPELINE) = "Codertocat/Hello-World", S(RUN) = "2202229078",
	    S(COMMIT) = "3484a3fb816e0859fd6e1cea078d76385ff50625",
	    S(ACTOR) = "Codertocat", S(STATUS) = "failure",
	    S(URL) = "https://github.com/octo-org/octo-repo/runs/1291536064" } },
	{ "github/workflow_job/queued.with-deployment.payload.json", NULL,
	  GH_CONFIG, JSON, { { "X-GitHub-Event", "workflow_job" } },
	  LEDGER_KIND_BUILD, "workflow_job.queued", NULL,
	  { S(PIPELINE) = "lineville/elastic-machines-testing",
	    S(RUN) = "4747967848",
	    S(COMMIT) = "16c5286e8d9a0629956a28938386b36608707a71",
	    S(ACTOR) = "lineville", S(STATUS) = "waiting",
	    S(ENVIRONMENT) = "test",
	    S(URL) = "https://github.com/lineville/elastic-machines-testing/actions/runs/4747967848/jobs/8433573014" } },
	{ "github/deployment/payload.json", NULL, GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "deployment" },
	    { "X-GitHub-Delivery", DLV } },
	  LEDGER_KIND_DEPLOYMENT, "deployment.created", DLV,
	  { S(PIPELINE) = "Codertocat/Hello-World",
	    S(COMMIT) = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
	    S(ENVIRONMENT) = "production", S(ACTOR) = "Codertocat",
	    S(STATUS) = "requested", S(DEPLOYMENT) = "145988746",
	    S(SERVICE) = "Hello-World",
	    S(URL) = "https://api.github.com/repos/Codertocat/Hello-World/deployments/145988746" } },
	{ "github/deployment_status/gh-pages.payload.json", NULL, GH_CONFIG,
	  JSON, { { "X-GitHub-Event", "deployment_status" },
	    { "X-GitHub-Delivery", DLV } },
	  LEDGER_KIND_DEPLOYMENT, "deployment_status.created", DLV,
	  { S(PIPELINE) = "Codertocat/Hello-World", S(RUN) = "289782451",
	    S(COMMIT) = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
	    S(ENVIRONMENT) = "github-pages", S(ACTOR) = "github-pages[bot]",
	    S(STATUS) = "in_progress", S(DEPLOYMENT) = "145988746",
	    S(SERVICE) = "Hello-World",
	    S(URL) = "https://github.com/Codertocat/Hello-World/runs/145988746?check_suite_focus=true" } },
	{ "github/deployment_review/requested.payload.json", NULL, GH_CONFIG,
	  JSON, { { "X-GitHub-Event", "deployment_review" } },
	  LEDGER_KIND_APPROVAL, "deployment_review.requested", NULL,
	  { S(PIPELINE) = "terraform-test-github/sample-app",
	    S(RUN) = "5453085689",
	    S(COMMIT) = "5275a45b7e99c7fd7265b790392c10a74101a67a",
	    S(ENVIRONMENT) = "tst", S(ACTOR) = "ilmax",
	    S(STATUS) = "requested",
	    S(URL) = "https://github.com/terraform-test-github/sample-app/actions/runs/5453085689" } },
	{ "github/push/payload.json", NULL, GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "push" } },
	  LEDGER_KIND_CHANGE, "push", NULL,
	  { S(PIPELINE) = "Codertocat/Hello-World",
	    S(COMMIT) = "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
	    S(ACTOR) = "Codertocat", S(STATUS) = "deleted",
	    S(URL) = "https://github.com/Codertocat/Hello-World/compare/6113728f27ae...000000000000" } },
	{ "github/push/with-new-branch.payload.json", NULL, GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "push" } },
	  LEDGER_KIND_CHANGE, "push", NULL,
	  { S(PIPELINE) = "Codertocat/Hello-World",
	    S(COMMIT) = "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
	    S(ACTOR) = "Codertocat", S(STATUS) = "created",
	    S(URL) = "https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246" } },
	{ "github/release/published.payload.json", NULL, GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "release" } },
	  LEDGER_KIND_ARTIFACT, "release.published", NULL,
	  { S(PIPELINE) = "Codertocat/Hello-World", S(ACTOR) = "Codertocat",
	    S(STATUS) = "published",
	    S(URL) = "https://github.com/Codertocat/Hello-World/releases/tag/0.0.1" } },
	{ "github/ping/payload.json", NULL, GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "ping" } },
	  LEDGER_KIND_LEDGER, "ping", NULL,
	  { S(PIPELINE) = "Octocoders/Hello-World", S(ACTOR) = "Codertocat",
	    S(STATUS) = "connected" } },
	{ "github/ping/with-organization.payload.json", NULL, GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "ping" } },
	  LEDGER_KIND_LEDGER, "ping", NULL,
	  { S(PIPELINE) = "Octocoders", S(ACTOR) = "Codertocat",
	    S(STATUS) = "connected" } },
	/* GitHub, events with no stored example */
	{ NULL, "{\"action\":\"completed\",\"check_suite\":{\"id\":118578147,"
	  "\"head_sha\":\"EC26C3E57CA3A959CA5AAD62DE7213C562F8C821\","
	  "\"status\":\"completed\",\"conclusion\":\"success\"},"
	  "\"repository\":{\"full_name\":\"Codertocat/Hello-World\"},"
	  "\"sender\":{\"login\":\"Codertocat\"}}", GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "check_suite" } },
	  LEDGER_KIND_TEST, "check_suite.completed", NULL,
	  { S(PIPELINE) = "Codertocat/Hello-World", S(RUN) = "118578147",
	    S(COMMIT) = "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
	    S(ACTOR) = "Codertocat", S(STATUS) = "success" } },
	{ NULL, "{\"action\":\"created\",\"check_run\":{\"id\":128620228,"
	  "\"head_sha\":\"ec26c3e57ca3a959ca5aad62de7213c562f8c821\","
	  "\"status\":\"queued\",\"conclusion\":null,\"html_url\":"
	  "\"https://github.com/Codertocat/Hello-World/runs/128620228\","
	  "\"check_suite\":{\"id\":118578147}},"
	  "\"repository\":{\"full_name\":\"Codertocat/Hello-World\"},"
	  "\"sender\":{\"login\":\"Codertocat\"}}", GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "check_run" } },
	  LEDGER_KIND_TEST, "check_run.created", NULL,
	  { S(PIPELINE) = "Codertocat/Hello-World", S(RUN) = "118578147",
	    S(COMMIT) = "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
	    S(ACTOR) = "Codertocat", S(STATUS) = "queued",
	    S(URL) = "https://github.com/Codertocat/Hello-World/runs/128620228" } },
	{ NULL, "{\"action\":\"approved\",\"approver\":{\"login\":\"alice\"},"
	  "\"comment\":\"ship it\",\"environment\":\"Production\","
	  "\"workflow_run\":{\"id\":5453085689,\"head_sha\":"
	  "\"5275a45b7e99c7fd7265b790392c10a74101a67a\",\"html_url\":"
	  "\"https://github.com/o/r/actions/runs/5453085689\"},"
	  "\"requestor\":{\"login\":\"bob\"},"
	  "\"repository\":{\"full_name\":\"o/r\"},"
	  "\"sender\":{\"login\":\"alice\"}}", GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "deployment_review" } },
	  LEDGER_KIND_APPROVAL, "deployment_review.approved", NULL,
	  { S(PIPELINE) = "o/r", S(RUN) = "5453085689",
	    S(COMMIT) = "5275a45b7e99c7fd7265b790392c10a74101a67a",
	    S(ENVIRONMENT) = "production", S(ACTOR) = "alice",
	    S(STATUS) = "approved",
	    S(URL) = "https://github.com/o/r/actions/runs/5453085689" } },
	{ NULL, "{\"action\":\"requested\",\"environment\":\"prod\","
	  "\"event\":\"push\",\"sha\":\"5275a45b7e99c7fd7265b790392c10a74101a67a\","
	  "\"deployment_callback_url\":\"https://api.github.com/repos/o/r/"
	  "actions/runs/1234/deployment_protection_rule\","
	  "\"repository\":{\"full_name\":\"o/r\"},"
	  "\"sender\":{\"login\":\"bot\"}}", GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "deployment_protection_rule" } },
	  LEDGER_KIND_APPROVAL, "deployment_protection_rule.requested", NULL,
	  { S(PIPELINE) = "o/r", S(RUN) = "1234",
	    S(COMMIT) = "5275a45b7e99c7fd7265b790392c10a74101a67a",
	    S(ENVIRONMENT) = "prod", S(ACTOR) = "bot",
	    S(STATUS) = "requested" } },
	{ NULL, "{\"action\":\"submitted\",\"review\":{\"id\":1,\"user\":"
	  "{\"login\":\"carol\"},\"state\":\"approved\",\"commit_id\":"
	  "\"ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091\",\"html_url\":"
	  "\"https://github.com/o/r/pull/5#pullrequestreview-1\"},"
	  "\"pull_request\":{\"number\":5,\"html_url\":\"https://github.com/o/"
	  "r/pull/5\",\"head\":{\"sha\":\"ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3"
	  "091\"}},\"repository\":{\"full_name\":\"o/r\"},"
	  "\"sender\":{\"login\":\"carol\"}}", GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "pull_request_review" } },
	  LEDGER_KIND_APPROVAL, "pull_request_review.submitted", NULL,
	  { S(PIPELINE) = "o/r",
	    S(COMMIT) = "ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091",
	    S(ACTOR) = "carol", S(STATUS) = "approved",
	    S(URL) = "https://github.com/o/r/pull/5#pullrequestreview-1" } },
	{ NULL, "{\"action\":\"submitted\",\"review\":{\"id\":2,\"user\":"
	  "{\"login\":\"dave\"},\"state\":\"commented\"},"
	  "\"repository\":{\"full_name\":\"o/r\"},"
	  "\"sender\":{\"login\":\"dave\"}}", GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "pull_request_review" } },
	  LEDGER_KIND_OTHER, "pull_request_review.submitted", NULL,
	  { S(PIPELINE) = "o/r", S(ACTOR) = "dave" } },
	{ NULL, "{\"action\":\"published\",\"registry_package\":{\"name\":"
	  "\"app\",\"html_url\":\"https://github.com/orgs/o/packages/container/"
	  "package/app\",\"package_version\":{\"version\":\"sha256:"
	  "0B31B1C02FF458AD9B7B81CBDF8F028BD54699FA151F221D1E8DE6817DB93427\","
	  "\"container_metadata\":{\"tag\":{\"name\":\"v1\",\"digest\":\"\"}},"
	  "\"target_commitish\":\"main\"}},"
	  "\"repository\":{\"full_name\":\"o/r\"},"
	  "\"sender\":{\"login\":\"erin\"}}", GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "registry_package" } },
	  LEDGER_KIND_ARTIFACT, "registry_package.published", NULL,
	  { S(PIPELINE) = "o/r", S(ARTIFACT) = OCI_DIGEST, S(ACTOR) = "erin",
	    S(STATUS) = "published",
	    S(URL) = "https://github.com/orgs/o/packages/container/package/app" } },
	{ NULL, "{\"action\":\"published\",\"release\":{\"html_url\":"
	  "\"https://github.com/o/r/releases/tag/v2\",\"target_commitish\":"
	  "\"5275a45b7e99c7fd7265b790392c10a74101a67a\",\"author\":{\"login\":"
	  "\"frank\"},\"assets\":[{\"name\":\"a.txt\"},{\"name\":\"app.tgz\","
	  "\"digest\":\"" OCI_DIGEST "\"}]},"
	  "\"repository\":{\"full_name\":\"o/r\"},"
	  "\"sender\":{\"login\":\"frank\"}}", GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "release" } },
	  LEDGER_KIND_ARTIFACT, "release.published", NULL,
	  { S(PIPELINE) = "o/r", S(ARTIFACT) = OCI_DIGEST,
	    S(COMMIT) = "5275a45b7e99c7fd7265b790392c10a74101a67a",
	    S(ACTOR) = "frank", S(STATUS) = "published",
	    S(URL) = "https://github.com/o/r/releases/tag/v2" } },
	{ NULL, "{\"action\":\"published\",\"package\":{\"name\":\"app\","
	  "\"html_url\":\"https://github.com/orgs/o/packages/container/package/"
	  "app\",\"package_version\":{\"version\":\"1.2.3\",\"html_url\":"
	  "\"https://github.com/orgs/o/packages/container/app/123\","
	  "\"container_metadata\":{\"tag\":{\"name\":\"1.2.3\",\"digest\":\""
	  OCI_DIGEST "\"}}}},\"repository\":{\"full_name\":\"o/r\"},"
	  "\"sender\":{\"login\":\"hank\"}}", GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "package" } },
	  LEDGER_KIND_ARTIFACT, "package.published", NULL,
	  { S(PIPELINE) = "o/r", S(ARTIFACT) = OCI_DIGEST, S(ACTOR) = "hank",
	    S(STATUS) = "published",
	    S(URL) = "https://github.com/orgs/o/packages/container/app/123" } },
	{ NULL, "{\"action\":\"opened\",\"issue\":{\"number\":1},"
	  "\"repository\":{\"full_name\":\"o/r\"},"
	  "\"sender\":{\"login\":\"gina\"}}", GH_CONFIG, JSON,
	  { { "X-GitHub-Event", "issues" } },
	  LEDGER_KIND_OTHER, "issues.opened", NULL,
	  { S(PIPELINE) = "o/r", S(ACTOR) = "gina" } },

	/* GitLab */
	{ "gitlab/go-gitlab-testdata/pipeline.json", NULL, GL_CONFIG, JSON,
	  { { "X-Gitlab-Event", "Pipeline Hook" },
	    { "X-Gitlab-Event-UUID", "uuid-1" },
	    { "Idempotency-Key", "idem-1" } },
	  LEDGER_KIND_BUILD, "Pipeline Hook", "idem-1",
	  { S(PIPELINE) = "gitlab-org/gitlab-test", S(RUN) = "31",
	    S(COMMIT) = "bcbb5ec396a2c0f828686f14fac9b80b780504f2",
	    S(ACTOR) = "user1", S(STATUS) = "success" } },
	{ "gitlab/go-gitlab-testdata/job.json", NULL, GL_CONFIG, JSON,
	  { { "X-Gitlab-Event", "Job Hook" },
	    { "X-Gitlab-Event-UUID", "uuid-2" } },
	  LEDGER_KIND_BUILD, "Job Hook", "uuid-2",
	  { S(PIPELINE) = "jsmithy2/release-tools-fake", S(RUN) = "743121198",
	    S(COMMIT) = "95d49d1efbd941908580e79d65e4b5ecaf4a8305",
	    S(ACTOR) = "jsmithy2", S(STATUS) = "success",
	    S(ENVIRONMENT) = "production" } },
	{ "gitlab/go-gitlab-testdata/build.json", NULL, GL_CONFIG, JSON,
	  { { "X-Gitlab-Event", "Job Hook" } },
	  LEDGER_KIND_TEST, "Job Hook", NULL,
	  { S(PIPELINE) = "gitlab-org/gitlab-test", S(RUN) = "2366",
	    S(COMMIT) = "2293ada6b400935a1378653304eaf6221e0fdb8f",
	    S(ACTOR) = "user1", S(STATUS) = "created" } },
	{ "gitlab/go-gitlab-testdata/deployment.json", NULL, GL_CONFIG, JSON,
	  { { "X-Gitlab-Event", "Deployment Hook" } },
	  LEDGER_KIND_DEPLOYMENT, "Deployment Hook", NULL,
	  { S(PIPELINE) = "root/test-deployment-webhooks",
	    S(COMMIT) = "279484c09fbe69ededfced8c1bb6e6d24616b468",
	    S(ENVIRONMENT) = "staging", S(ACTOR) = "user1",
	    S(STATUS) = "success", S(DEPLOYMENT) = "15",
	    S(SERVICE) = "test-deployment-webhooks",
	    S(URL) = "http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796" } },
	{ "gitlab/go-gitlab-testdata/merge_request.json", NULL, GL_CONFIG,
	  JSON, { { "X-Gitlab-Event", "Merge Request Hook" } },
	  LEDGER_KIND_OTHER, "Merge Request Hook.open", NULL,
	  { S(PIPELINE) = "gitlabhq/gitlab-test", S(ACTOR) = "user1" } },
	{ NULL, "{\"object_kind\":\"merge_request\",\"event_type\":"
	  "\"merge_request\",\"user\":{\"username\":\"approver1\"},"
	  "\"project\":{\"path_with_namespace\":\"g/p\"},"
	  "\"object_attributes\":{\"iid\":7,\"action\":\"approved\",\"url\":"
	  "\"https://gitlab.example.com/g/p/-/merge_requests/7\","
	  "\"last_commit\":{\"id\":\"da1560886d4f094c3e6c9ef40349f7d38b5d27d7\"}}}",
	  GL_CONFIG, JSON, { { "X-Gitlab-Event", "Merge Request Hook" } },
	  LEDGER_KIND_APPROVAL, "Merge Request Hook.approved", NULL,
	  { S(PIPELINE) = "g/p",
	    S(COMMIT) = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
	    S(ACTOR) = "approver1", S(STATUS) = "approved",
	    S(URL) = "https://gitlab.example.com/g/p/-/merge_requests/7" } },
	{ NULL, "{\"object_kind\":\"merge_request\",\"user\":{\"username\":"
	  "\"approver2\"},\"project\":{\"path_with_namespace\":\"g/p\"},"
	  "\"object_attributes\":{\"action\":\"approval\"}}",
	  GL_CONFIG, JSON, { { "X-Gitlab-Event", "Merge Request Hook" } },
	  LEDGER_KIND_APPROVAL, "Merge Request Hook.approval", NULL,
	  { S(PIPELINE) = "g/p", S(ACTOR) = "approver2",
	    S(STATUS) = "approval" } },
	{ NULL, "{\"object_kind\":\"merge_request\",\"user\":{\"username\":"
	  "\"merger\"},\"project\":{\"path_with_namespace\":\"g/p\"},"
	  "\"object_attributes\":{\"action\":\"merge\",\"merge_commit_sha\":"
	  "\"82b3d5ae55f7080f1e6022629cdb57bfae7cccc7\",\"last_commit\":{\"id\":"
	  "\"da1560886d4f094c3e6c9ef40349f7d38b5d27d7\"},\"url\":"
	  "\"https://gitlab.example.com/g/p/-/merge_requests/8\"}}",
	  GL_CONFIG, JSON, { { "X-Gitlab-Event", "Merge Request Hook" } },
	  LEDGER_KIND_CHANGE, "Merge Request Hook.merge", NULL,
	  { S(PIPELINE) = "g/p",
	    S(COMMIT) = "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7",
	    S(ACTOR) = "merger", S(STATUS) = "merge",
	    S(URL) = "https://gitlab.example.com/g/p/-/merge_requests/8" } },
	{ "gitlab/go-gitlab-testdata/push.json", NULL, GL_CONFIG, JSON,
	  { { "X-Gitlab-Event", "Push Hook" } },
	  LEDGER_KIND_CHANGE, "Push Hook", NULL,
	  { S(PIPELINE) = "mike/diaspora",
	    S(COMMIT) = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
	    S(ACTOR) = "jsmith", S(STATUS) = "pushed" } },
	{ "gitlab/go-gitlab-testdata/tag_push.json", NULL, GL_CONFIG, JSON,
	  { { "X-Gitlab-Event", "Tag Push Hook" } },
	  LEDGER_KIND_CHANGE, "Tag Push Hook", NULL,
	  { S(PIPELINE) = "jsmith/example",
	    S(COMMIT) = "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7",
	    S(ACTOR) = "jsmith", S(STATUS) = "created" } },
	{ NULL, "{\"object_kind\":\"push\",\"before\":"
	  "\"95790bf891e76fee5e1747ab589903a6a1f80f22\",\"after\":"
	  "\"0000000000000000000000000000000000000000\",\"checkout_sha\":null,"
	  "\"user_username\":\"jsmith\",\"project\":{\"path_with_namespace\":"
	  "\"mike/diaspora\"}}", GL_CONFIG, JSON,
	  { { "X-Gitlab-Event", "Push Hook" } },
	  LEDGER_KIND_CHANGE, "Push Hook", NULL,
	  { S(PIPELINE) = "mike/diaspora",
	    S(COMMIT) = "95790bf891e76fee5e1747ab589903a6a1f80f22",
	    S(ACTOR) = "jsmith", S(STATUS) = "deleted" } },
	{ "gitlab/go-gitlab-testdata/release.json", NULL, GL_CONFIG, JSON,
	  { { "X-Gitlab-Event", "Release Hook" } },
	  LEDGER_KIND_ARTIFACT, "Release Hook.create", NULL,
	  { S(PIPELINE) = "exm-namespace/example-project",
	    S(COMMIT) = "2626dbdb936782b5c54816b1c6d45b1279303c6d",
	    S(STATUS) = "create",
	    S(URL) = "http://example.com/exm-namespace/example-project/-/releases/1.0.0" } },

	/* CDEvents, bare */
	{ "cdevents/v0.5.1/conformance/pipelinerun_finished.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_BUILD, "dev.cdevents.pipelinerun.finished.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.pipelinerun.finished.0.3.0"),
	  { S(PIPELINE) = "myPipeline", S(RUN) = "mySubject123",
	    S(STATUS) = "failure",
	    S(URL) = "https://www.example.com/mySubject123" } },
	{ "cdevents/v0.4.1/conformance/pipelinerun_started.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_BUILD, "dev.cdevents.pipelinerun.started.0.2.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.pipelinerun.started.0.2.0"),
	  { S(PIPELINE) = "myPipeline", S(RUN) = "mySubject123",
	    S(STATUS) = "started",
	    S(URL) = "https://www.example.com/mySubject123" } },
	{ "cdevents/v0.5.1/conformance/taskrun_finished.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_BUILD, "dev.cdevents.taskrun.finished.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.taskrun.finished.0.3.0"),
	  { S(RUN) = "mySubject123", S(STATUS) = "failure",
	    S(URL) = "https://www.example.com/mySubject123" } },
	{ "cdevents/v0.5.1/conformance/build_finished.json", NULL, CD_CONFIG,
	  JSON, { { NULL, NULL } },
	  LEDGER_KIND_BUILD, "dev.cdevents.build.finished.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.build.finished.0.3.0"),
	  { S(RUN) = "mySubject123", S(ARTIFACT) = OCI_DIGEST,
	    S(STATUS) = "finished" } },
	{ "cdevents/v0.5.1/conformance/testcaserun_finished.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_TEST, "dev.cdevents.testcaserun.finished.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.testcaserun.finished.0.3.0"),
	  { S(RUN) = "myTestCaseRun123", S(ENVIRONMENT) = "dev",
	    S(STATUS) = "success" } },
	{ "cdevents/v0.5.1/conformance/testsuiterun_finished.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_TEST, "dev.cdevents.testsuiterun.finished.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.testsuiterun.finished.0.3.0"),
	  { S(RUN) = "myTestSuiteRun123", S(ENVIRONMENT) = "dev",
	    S(STATUS) = "failure" } },
	{ "cdevents/v0.5.1/conformance/testoutput_published.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_TEST, "dev.cdevents.testoutput.published.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.testoutput.published.0.3.0"),
	  { S(RUN) = "myTestCaseRun123", S(STATUS) = "published" } },
	{ "cdevents/v0.5.1/conformance/artifact_published.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_ARTIFACT, "dev.cdevents.artifact.published.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.artifact.published.0.3.0"),
	  { S(ARTIFACT) = "pkg:golang/mygit.com/myorg/myapp@234fd47e07d1004f0aed9c",
	    S(ACTOR) = "mybot-myapp", S(STATUS) = "published" } },
	{ "cdevents/v0.5.1/conformance/service_deployed.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_DEPLOYMENT, "dev.cdevents.service.deployed.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.service.deployed.0.3.0"),
	  { S(SERVICE) = "mySubject123", S(ENVIRONMENT) = "test123",
	    S(ARTIFACT) = OCI_DIGEST, S(STATUS) = "deployed" } },
	{ "cdevents/v0.4.1/conformance/service_upgraded.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_DEPLOYMENT, "dev.cdevents.service.upgraded.0.2.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.service.upgraded.0.2.0"),
	  { S(SERVICE) = "mySubject123", S(ENVIRONMENT) = "test123",
	    S(ARTIFACT) = OCI_DIGEST, S(STATUS) = "upgraded" } },
	{ "cdevents/v0.5.1/conformance/service_rolledback.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_ROLLBACK, "dev.cdevents.service.rolledback.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.service.rolledback.0.3.0"),
	  { S(SERVICE) = "mySubject123", S(ENVIRONMENT) = "test123",
	    S(ARTIFACT) = OCI_DIGEST, S(STATUS) = "rolledback" } },
	{ "cdevents/v0.5.1/conformance/service_removed.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_DEPLOYMENT, "dev.cdevents.service.removed.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.service.removed.0.3.0"),
	  { S(SERVICE) = "mySubject123", S(ENVIRONMENT) = "test123",
	    S(STATUS) = "removed" } },
	{ "cdevents/v0.5.1/conformance/service_published.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_DEPLOYMENT, "dev.cdevents.service.published.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.service.published.0.3.0"),
	  { S(SERVICE) = "mySubject123", S(ENVIRONMENT) = "test123",
	    S(STATUS) = "published" } },
	{ "cdevents/v0.5.1/conformance/change_merged.json", NULL, CD_CONFIG,
	  JSON, { { NULL, NULL } },
	  LEDGER_KIND_CHANGE, "dev.cdevents.change.merged.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.change.merged.0.3.0"),
	  { S(PIPELINE) = "TestRepo/TestOrg", S(STATUS) = "merged" } },
	{ "cdevents/v0.5.1/conformance/repository_created.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_CHANGE, "dev.cdevents.repository.created.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.repository.created.0.3.0"),
	  { S(PIPELINE) = "TestRepo", S(STATUS) = "created",
	    S(URL) = "https://example.org/view/TestOrg/TestRepo" } },
	{ "cdevents/v0.5.1/conformance/branch_deleted.json", NULL, CD_CONFIG,
	  JSON, { { NULL, NULL } },
	  LEDGER_KIND_CHANGE, "dev.cdevents.branch.deleted.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.branch.deleted.0.3.0"),
	  { S(PIPELINE) = "TestRepo/TestOrg", S(STATUS) = "deleted" } },
	{ "cdevents/v0.5.1/conformance/environment_modified.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_CHANGE, "dev.cdevents.environment.modified.0.3.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.environment.modified.0.3.0"),
	  { S(ENVIRONMENT) = "testenv", S(STATUS) = "modified",
	    S(URL) = "https://example.org/testEnv" } },
	{ "cdevents/v0.5.1/conformance/incident_reported.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_INCIDENT, "dev.cdevents.incident.reported.0.3.0",
	  CE_DLV("/monitoring/prod1", "F4BD2B55-B6F6-4F44-AF72-BD2D0E7A8708",
	  "dev.cdevents.incident.reported.0.3.0"),
	  { S(ENVIRONMENT) = "prod1", S(SERVICE) = "myApp",
	    S(ARTIFACT) = OCI_DIGEST, S(TICKET) = "incident-123",
	    S(STATUS) = "reported",
	    S(URL) = "https://my-issues.example/incidents/ticket-345" } },
	{ "cdevents/v0.5.1/conformance/ticket_closed.json", NULL, CD_CONFIG,
	  JSON, { { NULL, NULL } },
	  LEDGER_KIND_OTHER, "dev.cdevents.ticket.closed.0.2.0",
	  CE_DLV("/ticketing/system", "F4BD2B55-B6F6-4F44-AF72-BD2D0E7A8708",
	  "dev.cdevents.ticket.closed.0.2.0"),
	  { S(TICKET) = "ticket-123", S(ACTOR) = "Bob",
	    S(STATUS) = "completed",
	    S(URL) = "https://example.issues.com/ticket123" } },
	{ "cdevents/v0.6.0-draft/conformance/approval_closed.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_APPROVAL, "dev.cdevents.approval.closed.0.1.0",
	  CE_DLV("/event/source/123", "471069a8-fc18-44f1-b38f-9d70a1695821",
	  "dev.cdevents.approval.closed.0.1.0"),
	  { S(ACTOR) = "urn:user:bob", S(STATUS) = "approved",
	    S(TICKET) = "approval-123",
	    S(URL) = "https://approvals.example.com/approval-123" } },
	{ "cdevents/v0.6.0-draft/conformance/approval_created.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_APPROVAL, "dev.cdevents.approval.created.0.1.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdevents.approval.created.0.1.0"),
	  { S(ACTOR) = "urn:user:alice", S(STATUS) = "created",
	    S(TICKET) = "approval-123",
	    S(URL) = "https://approvals.example.com/approval-123" } },
	{ "cdevents/v0.5.1/custom/conformance.json", NULL, CD_CONFIG, JSON,
	  { { NULL, NULL } },
	  LEDGER_KIND_OTHER, "dev.cdeventsx.mytool-resource.created.0.1.0",
	  CE_DLV("/event/source/123", CONF_ID,
	  "dev.cdeventsx.mytool-resource.created.0.1.0"),
	  { S(ACTOR) = NULL } },
	{ "others/harness/cdevents.pipelinerun_finished_success.json", NULL,
	  CD_CONFIG, JSON, { { NULL, NULL } },
	  LEDGER_KIND_BUILD, "dev.cdevents.pipelinerun.finished.0.3.0-draft",
	  CE_DLV("https://app.harness.io/ng/#/account/vpCkHKsDSxK9_KYfjCTMKA/"
	  "cd/orgs/default/projects/naidusanity/pipelines/navneettry/"
	  "executions/Sp7-YQStRt6sdUz7VC6I4w/pipeline",
	  "Sp7-YQStRt6sdUz7VC6I4w",
	  "dev.cdevents.pipelinerun.finished.0.3.0-draft"),
	  { S(PIPELINE) = "navneet-try", S(RUN) = "Sp7-YQStRt6sdUz7VC6I4w",
	    S(ACTOR) = "Navneet", S(STATUS) = "success",
	    S(URL) = "https://app.harness.io/ng/#/account/vpCkHKsDSxK9_KYfjCTMKA/cd/orgs/default/projects/naidusanity/pipelines/navneettry/executions/Sp7-YQStRt6sdUz7VC6I4w/pipeline" } },
	/* CDEvents, structured (Jenkins plugin's pre-0.1 envelope) and
	 * binary (Tekton's own type: unknown) */
	{ "others/jenkins/cdevents-plugin.pipelinerun-finished.legacy-0.3.json",
	  NULL, CD_CONFIG, "application/cloudevents+json", { { NULL, NULL } },
	  LEDGER_KIND_BUILD, "dev.cdevents.pipelinerun.finished.0.1.0",
	  CE_DLV("job/", "167", "dev.cdevents.pipelinerun.finished.0.1.0"),
	  { S(PIPELINE) = "PipelineCommit", S(STATUS) = "success" } },
	{ "others/tekton/taskrun.unknown.docs-example.json", NULL, CD_CONFIG,
	  JSON, { { "Ce-Id", "77f78ae7-ff6d-4e39-9d05-b9a0b7850527" },
	    { "Ce-Source", "/apis/tekton.dev/v1beta1/namespaces/default/"
	      "taskruns/curl-run-6gplk" },
	    { "Ce-Specversion", "1.0" },
	    { "Ce-Type", "dev.tekton.event.taskrun.unknown.v1" } },
	  LEDGER_KIND_OTHER, "dev.tekton.event.taskrun.unknown.v1",
	  CE_DLV("/apis/tekton.dev/v1beta1/namespaces/default/taskruns/"
	  "curl-run-6gplk", "77f78ae7-ff6d-4e39-9d05-b9a0b7850527",
	  "dev.tekton.event.taskrun.unknown.v1"),
	  { S(ACTOR) = NULL } },

	/* generic: SLSA provenance, other CI systems' bodies */
	{ "intoto-slsa/github-actions-workflow-v1.provenance.json", NULL,
	  GEN_CONFIG, JSON, { { "X-Ledger-Delivery", "prov-1" } },
	  LEDGER_KIND_BUILD, "https://slsa.dev/provenance/v1", "prov-1",
	  { S(ARTIFACT) = "sha256:fe4fe40ac7250263c5dbe1cf3138912f3f416140aa248637a60d65fe22c47da4",
	    S(COMMIT) = "c27d339ee6075c1f744c5d4b200f7901aad2c369",
	    S(PIPELINE) = "octocat/hello-world", S(RUN) = "1536140711",
	    S(URL) = "https://github.com/octocat/hello-world/actions/runs/1536140711/attempts/1" } },
	{ "others/bitbucket-cloud/repo-push.json", NULL, GEN_CONFIG, JSON,
	  { { "X-Event-Key", "repo:push" },
	    { "X-Request-UUID", "ignored" } },
	  LEDGER_KIND_OTHER, "repo:push", NULL, { S(ACTOR) = NULL } },
	{ "others/azure-devops/build.complete.json", NULL, GEN_CONFIG, JSON,
	  { { "Idempotency-Key", "ado-1" } },
	  LEDGER_KIND_OTHER, "build.complete", "ado-1", { S(ACTOR) = NULL } },
	{ NULL, "{\"kind\":\"deployment\",\"event\":\"deploy.finished\","
	  "\"subject\":{\"environment\":\"Prod\",\"service\":\"pay\","
	  "\"status\":\"success\"}}", GEN_CONFIG, JSON,
	  { { "X-Ledger-Delivery", "d-42" } },
	  LEDGER_KIND_DEPLOYMENT, "deploy.finished", "d-42",
	  { S(ENVIRONMENT) = "prod", S(SERVICE) = "pay",
	    S(STATUS) = "success" } },
};

START_TEST(test_source_mapping_fields)
{
	const struct expect *x = &expects[_i];
	struct ledger_source *src = mksrc(x->config);
	const struct ledger_entry *e;
	struct res res;
	char *body = NULL;
	size_t len;
	struct rq q;
	int f, h;

	if (x->file != NULL)
		body = slurp_payload(x->file, &len);
	else
		len = strlen(x->body);
	rq_init(&q, x->ctype, body != NULL ? body : x->body, len);
	for (h = 0; h < 4 && x->hdr[h][0] != NULL; h++)
		rq_set(&q, x->hdr[h][0], x->hdr[h][1]);
	rq_sign(&q, ledger_source_type(src));
	deliver(src, &q, &res);
	ck_assert_msg(res.k == K_OK, "%s: %s: %s", x->file ? x->file : x->body,
	    klass_names[res.k], res.err.msg);
	ck_assert_uint_eq(res.n, 1);
	e = &res.evs[0]->e;
	ck_assert_str_eq(ledger_kind_name(e->kind), ledger_kind_name(x->kind));
	ck_assert_str_eq(e->source[LEDGER_SRC_NAME], ledger_source_name(src));
	ck_assert_str_eq(e->source[LEDGER_SRC_TYPE],
	    ledger_source_type_name(ledger_source_type(src)));
	ck_assert_str_eq(e->source[LEDGER_SRC_EVENT], x->event);
	ck_assert_str_eq(e->source[LEDGER_SRC_AUTH], res.auth);
	if (x->delivery == NULL)
		ck_assert_ptr_null(e->source[LEDGER_SRC_DELIVERY]);
	else
		ck_assert_str_eq(e->source[LEDGER_SRC_DELIVERY], x->delivery);
	for (f = 0; f < LEDGER_SUBJ_COUNT; f++) {
		if (x->subj[f] == NULL)
			ck_assert_msg(e->subject[f] == NULL, "%s: %s = '%s'",
			    x->event, ledger_subject_name(f), e->subject[f]);
		else
			ck_assert_msg(e->subject[f] != NULL &&
			    strcmp(e->subject[f], x->subj[f]) == 0,
			    "%s: %s = '%s', want '%s'", x->event,
			    ledger_subject_name(f), e->subject[f], x->subj[f]);
	}
	check_payload(res.evs[0], &q);
	res_release(&res);
	rq_release(&q);
	free(body);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_github_stored_payload_reverifies)
{
	/* the stored bytes re-verify against X-Hub-Signature-256 */
	struct ledger_source *src = mksrc(GH_CONFIG);
	char *body, sig[72];
	uint8_t *raw;
	size_t len, rawlen;
	struct res res;
	struct rq q;

	body = slurp_payload("github/deployment_status/payload.json", &len);
	rq_init(&q, "application/json", body, len);
	rq_set(&q, "X-GitHub-Event", "deployment_status");
	rq_sign(&q, LEDGER_SOURCE_GITHUB);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_int_eq(ledger_payload_inflate(res.evs[0]->payload_z,
	    res.evs[0]->payload_zlen, 1 << 20, &raw, &rawlen, NULL),
	    LEDGER_OK);
	hmac_hex(GH_SECRET, raw, rawlen, sig);
	ck_assert_str_eq(sig, rq_lookup(&q, "X-Hub-Signature-256"));
	free(raw);
	res_release(&res);
	rq_release(&q);
	free(body);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_requires_event_header)
{
	static const char *const configs[] = { GH_CONFIG, GL_CONFIG };
	struct ledger_source *src = mksrc(configs[_i]);
	struct res res;
	struct rq q;

	rq_init(&q, "application/json", "{}", 2);
	rq_sign(&q, ledger_source_type(src));
	deliver(src, &q, &res);
	ck_class(&res, K_INPUT);
	ck_assert_ptr_nonnull(strstr(res.err.msg, "Event"));
	/* an event name that is not a field value */
	rq_set(&q, "X-GitHub-Event", "push\x01");
	rq_set(&q, "X-Gitlab-Event", "Push Hook\x7f");
	deliver(src, &q, &res);
	ck_class(&res, K_INPUT);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_unknown_events_record_or_drop)
{
	static const struct {
		const char *record, *drop, *event_hdr, *event, *body;
	} cases[] = {
		{ GH_CONFIG, "{\"name\":\"d\",\"type\":\"github\",\"secret_file\":"
		  "\"gh.secret\",\"unknown_events\":\"drop\"}", "X-GitHub-Event",
		  "issues", "{\"action\":\"opened\"}" },
		{ GL_CONFIG, "{\"name\":\"d\",\"type\":\"gitlab\",\"secret_file\":"
		  "\"gl.token\",\"unknown_events\":\"drop\"}", "X-Gitlab-Event",
		  "Wiki Page Hook", "{\"object_kind\":\"wiki_page\"}" },
		{ CD_CONFIG, "{\"name\":\"d\",\"type\":\"cdevents\","
		  "\"secret_file\":\"cd.secret\",\"unknown_events\":\"drop\"}",
		  "X-Unused", "x",
		  "{\"context\":{\"id\":\"1\",\"source\":\"/s\",\"type\":"
		  "\"dev.cdeventsx.thing.done.0.1.0\"},\"subject\":{}}" },
		{ GEN_CONFIG, "{\"name\":\"d\",\"type\":\"generic\","
		  "\"secret_file\":\"cd.secret\",\"unknown_events\":\"drop\"}",
		  "X-Event-Key", "pullrequest:created", "{\"pullrequest\":{}}" },
	};
	struct ledger_source *rec = mksrc(cases[_i].record);
	struct ledger_source *drop = mksrc(cases[_i].drop);
	struct res res;
	struct rq q;

	rq_init(&q, "application/json", cases[_i].body,
	    strlen(cases[_i].body));
	rq_set(&q, cases[_i].event_hdr, cases[_i].event);
	rq_sign(&q, ledger_source_type(rec));
	deliver(rec, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_int_eq(res.evs[0]->e.kind, LEDGER_KIND_OTHER);
	ck_assert_ptr_nonnull(res.evs[0]->e.source[LEDGER_SRC_EVENT]);
	res_release(&res);
	deliver(drop, &q, &res);
	ck_class(&res, K_DROP);
	rq_release(&q);
	ledger_source_free(rec);
	ledger_source_free(drop);
}
END_TEST

/* Signed (Standard Webhooks): the delivery id is the signed webhook-id,
 * whatever unsigned header says otherwise (a replay in the timestamp
 * window under a new id must find the original).  Token only: nothing is
 * signed, Idempotency-Key, then X-Gitlab-Event-UUID, then webhook-id. */
START_TEST(test_source_gitlab_delivery_precedence)
{
	static const char body[] = "{\"object_kind\":\"push\"}";
	struct ledger_source *src = mksrc(GL_SIGNED_CONFIG);
	struct res res;
	struct rq q;

	sw_request(&q);
	rq_set(&q, "X-Gitlab-Event", "System Hook");
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_DELIVERY],
	    "msg_p5jXN8AQM9LWM0D4loKWxJek");
	ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_AUTH],
	    "gitlab-token+standard-webhooks");
	res_release(&res);
	rq_set(&q, "X-Gitlab-Event-UUID", "uuid-7");
	rq_set(&q, "Idempotency-Key", "idem-7");
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_DELIVERY],
	    "msg_p5jXN8AQM9LWM0D4loKWxJek");
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);

	src = mksrc(GL_CONFIG);
	rq_init(&q, "application/json", body, strlen(body));
	rq_set(&q, "X-Gitlab-Token", GL_TOKEN);
	rq_set(&q, "X-Gitlab-Event", "Push Hook");
	rq_set(&q, "webhook-id", "wh-7");
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_DELIVERY], "wh-7");
	res_release(&res);
	rq_set(&q, "X-Gitlab-Event-UUID", "uuid-7");
	deliver(src, &q, &res);
	ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_DELIVERY], "uuid-7");
	res_release(&res);
	rq_set(&q, "Idempotency-Key", "idem-7");
	deliver(src, &q, &res);
	ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_DELIVERY], "idem-7");
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* The event-type headers are not signed: a type whose body shape does not
 * match is refused, so a captured push cannot be recorded as a
 * deployment by changing the header. */
START_TEST(test_source_event_type_must_match_body)
{
	static const struct {
		int type;
		const char *event, *file;
		bool ok;
	} cases[] = {
		{ LEDGER_SOURCE_GITHUB, "deployment_status",
		  "github/deployment_status", true },
		{ LEDGER_SOURCE_GITHUB, "deployment", "github/deployment_status",
		  false },	/* it has deployment_status */
		{ LEDGER_SOURCE_GITHUB, "workflow_run",
		  "github/deployment_status", false },
		{ LEDGER_SOURCE_GITHUB, "deployment_status", "github/push",
		  false },
		{ LEDGER_SOURCE_GITHUB, "workflow_run",
		  "github/workflow_run/completed.payload.json", true },
		{ LEDGER_SOURCE_GITHUB, "workflow_run",
		  "github/deployment_review/requested.payload.json", false },
		{ LEDGER_SOURCE_GITLAB, "Deployment Hook",
		  "gitlab/go-gitlab-testdata/push.json", false },
		{ LEDGER_SOURCE_GITLAB, "Push Hook",
		  "gitlab/go-gitlab-testdata/push.json", true },
		{ LEDGER_SOURCE_GITLAB, "Pipeline Hook",
		  "gitlab/go-gitlab-testdata/job.json", false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct ledger_source *src = mksrc(cases[i].type ==
		    LEDGER_SOURCE_GITHUB ? GH_CONFIG : GL_CONFIG);
		char *body, rel[300];
		size_t len;
		struct res res;
		struct rq q;

		snprintf(rel, sizeof(rel), "%s%s", cases[i].file,
		    strstr(cases[i].file, ".json") ? "" : "/payload.json");
		body = slurp_payload(rel, &len);
		rq_init(&q, "application/json", body, len);
		if (cases[i].type == LEDGER_SOURCE_GITHUB) {
			rq_set(&q, "X-GitHub-Event", cases[i].event);
			rq_set(&q, "X-GitHub-Delivery", "d-shape");
		} else {
			rq_set(&q, "X-Gitlab-Event", cases[i].event);
			rq_set(&q, "X-Gitlab-Token", GL_TOKEN);
		}
		rq_sign(&q, cases[i].type);
		deliver(src, &q, &res);
		ck_class(&res, cases[i].ok ? K_OK : K_INPUT);
		if (!cases[i].ok)
			ck_assert_msg(strstr(res.err.msg, "does not match the "
			    "body") != NULL, "%s on %s: %s", cases[i].event, rel,
			    res.err.msg);
		res_release(&res);
		rq_release(&q);
		free(body);
		ledger_source_free(src);
	}
}
END_TEST

START_TEST(test_source_timestamps_never_fatal)
{
	/* odd, sentinel and missing times are ignored */
	static const char *const stamps[] = {
		"\"2023-03-20T14:27:05.315384Z\"", "\"1744617508663\"",
		"\"2019-05-15 15:20:41 UTC\"", "\"2021-04-28 21:50:00 +0200\"",
		"\"2019-03-01T10:35:38+0100\"", "\"0001-01-01T00:00:00Z\"",
		"\"yesterday\"", "\"\"", "null", "0", "-1", "1e300",
	};
	struct ledger_source *src = mksrc(CD_CONFIG);
	struct res res;
	char body[512], ce[512];
	struct rq q;

	snprintf(body, sizeof(body), "{\"context\":{\"specversion\":\"0.5.1\","
	    "\"id\":\"t1\",\"source\":\"/s\",\"type\":"
	    "\"dev.cdevents.build.started.0.3.0\",\"timestamp\":%s},"
	    "\"subject\":{\"id\":\"b1\",\"content\":{}}}", stamps[_i]);
	rq_init(&q, "application/json", body, strlen(body));
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	res_release(&res);
	rq_release(&q);
	snprintf(ce, sizeof(ce), "{\"specversion\":\"1.0\",\"id\":\"t2\","
	    "\"source\":\"/s\",\"type\":\"com.example.thing\",\"time\":%s,"
	    "\"data\":{}}", stamps[_i]);
	rq_init(&q, "application/cloudevents+json", ce, strlen(ce));
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* ---- CloudEvents modes ---- */

static char *
conformance_ce(const char *rel, const char *id)
{
	size_t len;
	char *body = slurp_payload(rel, &len), *out;
	json_t *v = json_loadb(body, len, 0, NULL), *ctx, *ce;

	ck_assert_ptr_nonnull(v);
	ctx = json_object_get(v, "context");
	if (id != NULL)
		json_object_set_new(ctx, "id", json_string(id));
	ce = json_pack("{s:s, s:O, s:O, s:O, s:O}", "specversion", "1.0",
	    "id", json_object_get(ctx, "id"), "source", json_object_get(ctx,
	    "source"), "type", json_object_get(ctx, "type"), "data", v);
	out = json_dumps(ce, JSON_COMPACT);
	json_decref(ce);
	json_decref(v);
	free(body);
	return out;
}

START_TEST(test_source_cdevents_batch_one_event_each)
{
	static const char *const rel[] = {
		"cdevents/v0.5.1/conformance/build_finished.json",
		"cdevents/v0.5.1/conformance/service_deployed.json",
		"cdevents/v0.5.1/conformance/testcaserun_finished.json",
	};
	struct ledger_source *src = mksrc(CD_CONFIG);
	char *batch, *ce[3], *p;
	struct res res;
	size_t i, n = 0;
	struct rq q;

	for (i = 0; i < 3; i++) {
		char id[16];

		snprintf(id, sizeof(id), "batch-%zu", i);
		ce[i] = conformance_ce(rel[i], id);
		n += strlen(ce[i]) + 1;
	}
	batch = p = malloc(n + 2);
	*p++ = '[';
	for (i = 0; i < 3; i++)
		p += sprintf(p, "%s%s", ce[i], i < 2 ? "," : "]");
	rq_init(&q, "application/cloudevents-batch+json", batch, strlen(batch));
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_uint_eq(res.n, 3);
	ck_assert_int_eq(res.evs[0]->e.kind, LEDGER_KIND_BUILD);
	ck_assert_int_eq(res.evs[1]->e.kind, LEDGER_KIND_DEPLOYMENT);
	ck_assert_int_eq(res.evs[2]->e.kind, LEDGER_KIND_TEST);
	ck_assert_str_eq(res.evs[1]->e.source[LEDGER_SRC_DELIVERY],
	    CE_DLV("/event/source/123", "batch-1",
	    "dev.cdevents.service.deployed.0.3.0"));
	/* each keeps the whole batch: the signature covers those bytes */
	for (i = 0; i < 3; i++) {
		check_payload(res.evs[i], &q);
		ck_assert_str_eq(res.evs[i]->e.payload_type,
		    "application/cloudevents-batch+json");
	}
	res_release(&res);
	rq_release(&q);
	for (i = 0; i < 3; i++)
		free(ce[i]);
	free(batch);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_cdevents_batch_all_or_nothing)
{
	/* one bad element spoils the batch: nothing is returned */
	static const char *const bad[] = {
		"{\"specversion\":\"1.0\",\"id\":\"\",\"source\":\"/s\","
		"\"type\":\"t\"}",
		"{\"specversion\":\"2.0\",\"id\":\"x\",\"source\":\"/s\","
		"\"type\":\"t\"}",
		"{\"id\":\"x\",\"source\":\"/s\",\"type\":\"t\"}",
		"[]", "\"x\"",
		"{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/s\","
		"\"type\":\"dev.cdevents.build.started.0.3.0\",\"data\":{"
		"\"context\":{\"type\":\"dev.cdevents.build.finished.0.3.0\"}}}",
		"{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/s\","
		"\"type\":\"t\",\"data\":{},\"data_base64\":\"e30=\"}",
		"{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/s\","
		"\"type\":\"t\",\"data_base64\":\"!!!\"}",
		"{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/s\","
		"\"type\":\"t\",\"data_base64\":\"e30\"}",
		"{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/s\","
		"\"type\":\"t\",\"data_base64\":\"eyJhIjoxLCJhIjoyfQ==\"}",
	};
	struct ledger_source *src = mksrc(CD_CONFIG);
	char body[2048];
	struct res res;
	struct rq q;

	snprintf(body, sizeof(body), "[{\"specversion\":\"1.0\",\"id\":\"a\","
	    "\"source\":\"/s\",\"type\":\"dev.cdevents.build.started.0.3.0\"},"
	    "%s,{\"specversion\":\"1.0\",\"id\":\"c\",\"source\":\"/s\","
	    "\"type\":\"dev.cdevents.build.finished.0.3.0\"}]", bad[_i]);
	rq_init(&q, "application/cloudevents-batch+json", body, strlen(body));
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(src, &q, &res);
	ck_class(&res, K_INPUT);
	ck_assert_ptr_nonnull(strstr(res.err.msg, "batch[1]"));
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

static char *
make_batch(size_t n)
{
	char *b = malloc(n * 96 + 2), *p = b;
	size_t i;

	*p++ = '[';
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s{\"specversion\":\"1.0\",\"id\":\"e%zu\","
		    "\"source\":\"/s\",\"type\":\"com.example.x\"}",
		    i ? "," : "", i);
	*p++ = ']';
	*p = '\0';
	return b;
}

START_TEST(test_source_cdevents_batch_oversized)
{
	struct ledger_source *src = mksrc(CD_CONFIG), *small;
	char *body;
	struct res res;
	struct rq q;

	small = mksrc("{\"name\":\"s\",\"type\":\"cdevents\",\"secret_file\":"
	    "\"cd.secret\",\"max_events\":2}");
	body = make_batch(LEDGER_SOURCE_EVENTS_DEFAULT + 1);
	rq_init(&q, "application/cloudevents-batch+json", body, strlen(body));
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(src, &q, &res);
	ck_class(&res, K_INPUT);
	ck_assert_ptr_nonnull(strstr(res.err.msg, "limit"));
	rq_release(&q);
	free(body);

	body = make_batch(LEDGER_SOURCE_EVENTS_DEFAULT);
	rq_init(&q, "application/cloudevents-batch+json", body, strlen(body));
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_uint_eq(res.n, LEDGER_SOURCE_EVENTS_DEFAULT);
	res_release(&res);
	rq_release(&q);
	free(body);

	body = make_batch(3);
	rq_init(&q, "application/cloudevents-batch+json", body, strlen(body));
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(small, &q, &res);
	ck_class(&res, K_INPUT);
	rq_release(&q);
	free(body);

	rq_init(&q, "application/cloudevents-batch+json", "[]", 2);
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(src, &q, &res);
	ck_class(&res, K_INPUT);
	rq_release(&q);
	ledger_source_free(src);
	ledger_source_free(small);
}
END_TEST

START_TEST(test_source_cdevents_binary_mode)
{
	struct ledger_source *src = mksrc(CD_CONFIG);
	size_t len;
	char *body;
	struct res res;
	struct rq q;

	body = slurp_payload("cdevents/v0.4.1/conformance/service_deployed.json",
	    &len);
	rq_init(&q, "application/json", body, len);
	rq_set(&q, "ce-specversion", "1.0");
	/* percent-encoded attribute values are decoded */
	rq_set(&q, "ce-id", "271069a8-fc18-44f1-b38f-9d70a1695819%20%C3%BC");
	rq_set(&q, "ce-source", "/event/source/123");
	rq_set(&q, "ce-type", "dev.cdevents.service.deployed.0.2.0");
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_int_eq(res.evs[0]->e.kind, LEDGER_KIND_DEPLOYMENT);
	ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_DELIVERY],
	    "[\"/event/source/123\",\"271069a8-fc18-44f1-b38f-9d70a1695819 "
	    "\xc3\xbc\",\"dev.cdevents.service.deployed.0.2.0\"]");
	res_release(&res);
	rq_release(&q);
	free(body);

	/* data need not be an object: a CloudEvent we cannot map is other */
	rq_init(&q, "application/json", "[1,2]", 5);
	rq_set(&q, "ce-specversion", "1.0");
	rq_set(&q, "ce-id", "a1");
	rq_set(&q, "ce-source", "/s");
	rq_set(&q, "ce-type", "com.example.list");
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_int_eq(res.evs[0]->e.kind, LEDGER_KIND_OTHER);
	ck_assert_str_eq(res.evs[0]->e.source[LEDGER_SRC_EVENT],
	    "com.example.list");
	res_release(&res);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_cdevents_rejects_malformed_ce_headers)
{
	static const struct {
		const char *name, *value;
	} bad[] = {
		{ "ce-id", NULL },
		{ "ce-source", NULL },
		{ "ce-type", NULL },
		{ "ce-specversion", NULL },
		{ "ce-specversion", "2.0" },
		{ "ce-specversion", "" },
		{ "ce-id", "" },
		{ "ce-id", "%zz" },
		{ "ce-id", "abc%4" },
		{ "ce-id", "a%00b" },
		{ "ce-source", "%0a/s" },
		{ "ce-source", "/s%ff" },
		{ "ce-type", "dev.cdevents.service.removed.0.2.0" },
		{ "ce-type", "\x01" },
	};
	struct ledger_source *src = mksrc(CD_CONFIG);
	size_t len;
	char *body;
	struct res res;
	struct rq q;

	body = slurp_payload("cdevents/v0.4.1/conformance/service_deployed.json",
	    &len);
	rq_init(&q, "application/json", body, len);
	rq_set(&q, "ce-specversion", "1.0");
	rq_set(&q, "ce-id", "x1");
	rq_set(&q, "ce-source", "/event/source/123");
	rq_set(&q, "ce-type", "dev.cdevents.service.deployed.0.2.0");
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	res_release(&res);
	rq_set(&q, bad[_i].name, bad[_i].value);
	deliver(src, &q, &res);
	ck_class(&res, K_INPUT);
	rq_release(&q);
	free(body);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_cdevents_structured_data_base64)
{
	struct ledger_source *src = mksrc(CD_CONFIG);
	char *cdev, *b64, *ce;
	size_t len, b64len;
	struct res res;
	struct rq q;

	cdev = slurp_payload("cdevents/v0.5.1/conformance/artifact_signed.json",
	    &len);
	b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	b64 = malloc(b64len);
	sodium_bin2base64(b64, b64len, (uint8_t *)cdev, len,
	    sodium_base64_VARIANT_ORIGINAL);
	ce = malloc(b64len + 512);
	ck_assert_ptr_nonnull(b64);
	ck_assert_ptr_nonnull(ce);
	sprintf(ce, "{\"specversion\":\"1.0\",\"id\":\"%s\",\"source\":"
	    "\"/event/source/123\",\"type\":\"dev.cdevents.artifact.signed.0.3.0\","
	    "\"datacontenttype\":\"application/json\",\"data_base64\":\"%s\"}",
	    CONF_ID, b64);
	rq_init(&q, "application/cloudevents+json", ce, strlen(ce));
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_int_eq(res.evs[0]->e.kind, LEDGER_KIND_ARTIFACT);
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_STATUS], "signed");
	ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_ARTIFACT],
	    "pkg:golang/mygit.com/myorg/myapp@234fd47e07d1004f0aed9c");
	res_release(&res);
	rq_release(&q);
	free(cdev);
	free(b64);
	free(ce);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_cdevents_bare_needs_context)
{
	static const char *const bad[] = {
		"{}",
		"{\"subject\":{}}",
		"{\"context\":[]}",
		"{\"context\":{\"source\":\"/s\",\"type\":\"t\"}}",
		"{\"context\":{\"id\":\"x\",\"type\":\"t\"}}",
		"{\"context\":{\"id\":\"x\",\"source\":\"/s\"}}",
		"{\"context\":{\"id\":1,\"source\":\"/s\",\"type\":\"t\"}}",
	};
	struct ledger_source *src = mksrc(CD_CONFIG);
	struct res res;
	struct rq q;

	rq_init(&q, "application/json", bad[_i], strlen(bad[_i]));
	rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
	deliver(src, &q, &res);
	ck_class(&res, K_INPUT);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_cdevents_harness_events_differ_by_type)
{
	/* both Harness files share context id and source */
	static const char *const rel[] = {
		"others/harness/cdevents.build_started.json",
		"others/harness/cdevents.pipelinerun_finished_success.json",
	};
	struct ledger_source *src = mksrc(CD_CONFIG);
	char *d[2];
	size_t i, len;

	for (i = 0; i < 2; i++) {
		char *body = slurp_payload(rel[i], &len);
		struct res res;
		struct rq q;

		rq_init(&q, "application/json", body, len);
		rq_sign(&q, LEDGER_SOURCE_CDEVENTS);
		deliver(src, &q, &res);
		ck_class(&res, K_OK);
		d[i] = strdup(res.evs[0]->e.source[LEDGER_SRC_DELIVERY]);
		res_release(&res);
		rq_release(&q);
		free(body);
	}
	ck_assert_str_ne(d[0], d[1]);
	free(d[0]);
	free(d[1]);
	ledger_source_free(src);
}
END_TEST

/* ---- in-toto ---- */

static char *
provenance_with_subjects(size_t n)
{
	size_t len, i;
	char *body = slurp_payload(
	    "intoto-slsa/github-actions-workflow-v1.provenance.json", &len);
	json_t *v = json_loadb(body, len, 0, NULL), *subj;
	char *out;

	subj = json_array();
	for (i = 0; i < n; i++) {
		uint8_t h[32];
		char hex[65];

		crypto_hash_sha256(h, (uint8_t *)&i, sizeof(i));
		ledger_hex(h, 32, hex);
		json_array_append_new(subj, json_pack("{s:s, s:{s:s}}", "name",
		    "f", "digest", "sha256", hex));
	}
	json_object_set_new(v, "subject", subj);
	out = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	free(body);
	return out;
}

START_TEST(test_source_intoto_one_event_per_subject)
{
	struct ledger_source *src = mksrc(GEN_CONFIG);
	char *body = provenance_with_subjects(3);
	struct res res;
	struct rq q;
	size_t i;

	rq_init(&q, "application/vnd.in-toto+json", body, strlen(body));
	rq_set(&q, "X-Ledger-Delivery", "p");
	rq_sign(&q, LEDGER_SOURCE_GENERIC);
	deliver(src, &q, &res);
	ck_class(&res, K_OK);
	ck_assert_uint_eq(res.n, 3);
	for (i = 0; i < 3; i++) {
		char want[8];

		snprintf(want, sizeof(want), "p#%zu", i);
		ck_assert_str_eq(res.evs[i]->e.source[LEDGER_SRC_DELIVERY], want);
		ck_assert_int_eq(res.evs[i]->e.kind, LEDGER_KIND_BUILD);
		ck_assert_str_eq(res.evs[i]->e.subject[LEDGER_SUBJ_RUN],
		    "1536140711");
		ck_assert_uint_eq(strlen(
		    res.evs[i]->e.subject[LEDGER_SUBJ_ARTIFACT]), 71);
		check_payload(res.evs[i], &q);
		/* a replay of this body under a fresh id is a duplicate */
		ck_assert(res.evs[i]->dedupe_body);
		if (i > 0)
			ck_assert_str_ne(
			    res.evs[i]->e.subject[LEDGER_SUBJ_ARTIFACT],
			    res.evs[i - 1]->e.subject[LEDGER_SUBJ_ARTIFACT]);
	}
	res_release(&res);
	rq_release(&q);
	free(body);
	body = provenance_with_subjects(LEDGER_SOURCE_EVENTS_DEFAULT + 1);
	rq_init(&q, "application/json", body, strlen(body));
	rq_sign(&q, LEDGER_SOURCE_GENERIC);
	deliver(src, &q, &res);
	ck_class(&res, K_INPUT);
	rq_release(&q);
	free(body);
	ledger_source_free(src);
}
END_TEST

/* A generic document whose payload is a Statement with many subjects:
 * the event is cloned per subject after it got its payload, and each
 * clone's payload is replaced by the delivery's.  Nothing may leak (this
 * suite runs under valgrind and LeakSanitizer): the attack of issue 10
 * replayed one such delivery to exhaust memory. */
START_TEST(test_source_intoto_document_many_subjects_no_leak)
{
	struct ledger_source *src = mksrc(GEN_CONFIG);
	char *stmt = provenance_with_subjects(5), *body;
	struct res res;
	struct rq q;
	size_t i;
	int round;

	body = malloc(strlen(stmt) + 128);
	ck_assert_ptr_nonnull(body);
	sprintf(body, "{\"kind\":\"artifact\",\"payload\":%s}", stmt);
	for (round = 0; round < 3; round++) {
		rq_init(&q, "application/json", body, strlen(body));
		rq_set(&q, "X-Ledger-Delivery", "many");
		rq_sign(&q, LEDGER_SOURCE_GENERIC);
		deliver(src, &q, &res);
		ck_class(&res, K_OK);
		ck_assert_uint_eq(res.n, 5);
		for (i = 0; i < res.n; i++) {
			check_payload(res.evs[i], &q);
			ck_assert_ptr_nonnull(res.evs[i]->headers);
			ck_assert_ptr_nonnull(strstr(res.evs[i]->headers,
			    "\"X-Ledger-Delivery\":\"many\""));
		}
		res_release(&res);
		rq_release(&q);
	}
	free(body);
	free(stmt);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_intoto_dsse_bundle_and_document)
{
	/* the same provenance three ways: DSSE envelope, Sigstore bundle,
	 * a generic document's payload */
	struct ledger_source *src = mksrc(GEN_CONFIG);
	char *prov, *b64, *body;
	size_t len, b64len;
	int way;

	prov = slurp_payload(
	    "intoto-slsa/github-actions-workflow-v1.provenance.json", &len);
	b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	b64 = malloc(b64len);
	sodium_bin2base64(b64, b64len, (uint8_t *)prov, len,
	    sodium_base64_VARIANT_ORIGINAL);
	body = malloc(b64len + len + 512);
	ck_assert_ptr_nonnull(b64);
	ck_assert_ptr_nonnull(body);
	for (way = 0; way < 3; way++) {
		struct res res;
		struct rq q;

		if (way == 0)
			sprintf(body, "{\"payloadType\":\"application/vnd.in-toto+"
			    "json\",\"payload\":\"%s\",\"signatures\":[{\"keyid\":"
			    "\"\",\"sig\":\"MEUC\"}]}", b64);
		else if (way == 1)
			sprintf(body, "{\"mediaType\":\"application/vnd.dev."
			    "sigstore.bundle.v0.3+json\",\"verificationMaterial\":"
			    "{},\"dsseEnvelope\":{\"payloadType\":\"application/"
			    "vnd.in-toto+json\",\"payload\":\"%s\",\"signatures\":"
			    "[]}}", b64);
		else
			sprintf(body, "{\"kind\":\"artifact\",\"event\":"
			    "\"attest\",\"subject\":{\"pipeline\":\"mine\"},"
			    "\"payload\":%s}", prov);
		rq_init(&q, "application/json", body, strlen(body));
		rq_sign(&q, LEDGER_SOURCE_GENERIC);
		deliver(src, &q, &res);
		ck_class(&res, K_OK);
		ck_assert_uint_eq(res.n, 1);
		ck_assert_int_eq(res.evs[0]->e.kind, way == 2 ?
		    LEDGER_KIND_ARTIFACT : LEDGER_KIND_BUILD);
		ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_ARTIFACT],
		    "sha256:fe4fe40ac7250263c5dbe1cf3138912f3f416140aa248637a60d"
		    "65fe22c47da4");
		ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_COMMIT],
		    "c27d339ee6075c1f744c5d4b200f7901aad2c369");
		ck_assert_str_eq(res.evs[0]->e.subject[LEDGER_SUBJ_PIPELINE],
		    way == 2 ? "mine" : "octocat/hello-world");
		check_payload(res.evs[0], &q);
		res_release(&res);
		rq_release(&q);
	}
	/* an in-toto DSSE envelope whose payload is not a Statement */
	sprintf(body, "{\"payloadType\":\"application/vnd.in-toto+json\","
	    "\"payload\":\"e30=\",\"signatures\":[]}");
	{
		struct res res;
		struct rq q;

		rq_init(&q, "application/json", body, strlen(body));
		rq_sign(&q, LEDGER_SOURCE_GENERIC);
		deliver(src, &q, &res);
		ck_class(&res, K_INPUT);
		rq_release(&q);
	}
	free(prov);
	free(b64);
	free(body);
	ledger_source_free(src);
}
END_TEST

START_TEST(test_source_generic_document_is_strict)
{
	static const char *const bad[] = {
		"{\"kind\":\"deploy\"}",
		"{\"kind\":\"build\",\"subjct\":{}}",
		"{\"kind\":\"build\",\"subject\":{\"colour\":\"red\"}}",
		"{\"kind\":\"build\",\"subject\":{\"status\":\"\"}}",
		"{\"kind\":7}",
		"{\"kind\":\"build\",\"delivery\":\"other\"}",
	};
	struct ledger_source *src = mksrc(GEN_CONFIG);
	struct res res;
	struct rq q;

	rq_init(&q, "application/json", bad[_i], strlen(bad[_i]));
	rq_set(&q, "X-Ledger-Delivery", "hdr");
	rq_sign(&q, LEDGER_SOURCE_GENERIC);
	deliver(src, &q, &res);
	ck_class(&res, K_INPUT);
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

/* ---- digests ---- */

START_TEST(test_source_digest_forms)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "pkg:oci/myapp@sha256%3A0b31b1c02ff458ad9b7b81cbdf8f028bd54699"
		  "fa151f221d1e8de6817db93427", OCI_DIGEST },
		{ "pkg:oci/myapp@sha256:0B31B1C02FF458AD9B7B81CBDF8F028BD54699"
		  "FA151F221D1E8DE6817DB93427?repository_url=ghcr.io", OCI_DIGEST },
		{ "pkg:docker/app@1.0?digest=sha256%3A0b31b1c02ff458ad9b7b81cbdf8"
		  "f028bd54699fa151f221d1e8de6817db93427", OCI_DIGEST },
		{ "pkg:generic/app@1.0?checksum=sha1:da39a3ee5e6b4b0d3255bfef956"
		  "01890afd80709,sha256:0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa1"
		  "51f221d1e8de6817db93427#sub", OCI_DIGEST },
		{ "0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db934"
		  "27", OCI_DIGEST },
		{ OCI_DIGEST, OCI_DIGEST },
		{ "pkg:golang/mygit.com/myorg/myapp@234fd47e07d1004f0aed9c", NULL },
		{ "pkg:oci/myapp@sha256%3A0b31", NULL },
		{ "pkg:oci/myapp@sha256%3", NULL },
		{ "sha256:0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de68"
		  "17db9342", NULL },
		{ "md5:d41d8cd98f00b204e9800998ecf8427e", NULL },
		{ "", NULL },
		{ "pkg:", NULL },
		{ "pkg:x@?digest=", NULL },
	};
	bool nomem = false;
	char *got;

	got = src_digest(cases[_i].in, strlen(cases[_i].in), &nomem);
	ck_assert(!nomem);
	if (cases[_i].want == NULL)
		ck_assert_ptr_null(got);
	else
		ck_assert_str_eq(got, cases[_i].want);
	free(got);
}
END_TEST

START_TEST(test_source_bad_arguments)
{
	struct ledger_source *src = mksrc(GH_CONFIG);
	struct ledger_event **evs;
	const char *auth;
	size_t n;
	bool drop;
	struct rq q;

	rq_init(&q, "application/json", "{}", 2);
	ck_assert_int_eq(ledger_source_authenticate(NULL, &q.r, &auth, NULL),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_source_authenticate(src, NULL, &auth, NULL),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, NULL, NULL),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_source_normalize(src, &q.r, "x", NULL, &n,
	    &drop, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_source_normalize(NULL, &q.r, "x", &evs, &n,
	    &drop, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_source_check_media_type(src, NULL, NULL),
	    LEDGER_EINVAL);
	q.r.body = NULL;
	ck_assert_int_eq(ledger_source_authenticate(src, &q.r, &auth, NULL),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_source_from_json(NULL, NULL, NULL, NULL),
	    LEDGER_EINVAL);
	ck_assert_ptr_null(ledger_source_type_name(LEDGER_SOURCE_TYPE_COUNT));
	ledger_source_events_free(NULL, 3);
	q.r.body = q.body;
	rq_release(&q);
	ledger_source_free(src);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof(*(a))))

int
main(void)
{
	Suite *s;
	TCase *tc;
	size_t i;
	int rc;

	if ((payloads = tu_env_dir("LEDGER_PAYLOADS")) == NULL) {
		fprintf(stderr, "test-source: LEDGER_PAYLOADS is not set to a "
		    "directory; skipping\n");
		return 77;
	}
	if (sodium_init() < 0)
		return EXIT_FAILURE;
	if (nftw(payloads, collect, 16, FTW_PHYS) != 0) {
		fprintf(stderr, "test-source: cannot read %s\n", payloads);
		return EXIT_FAILURE;
	}
	qsort(files, nfiles, sizeof(*files), cmp_files);
	valid_idx = calloc(nfiles + 1, sizeof(*valid_idx));
	invalid_idx = calloc(nfiles + 1, sizeof(*invalid_idx));
	for (i = 0; i < nfiles; i++) {
		if (files[i].valid)
			valid_idx[nvalid++] = i;
		else
			invalid_idx[ninvalid++] = i;
	}

	s = suite_create("source");

	tc = tcase_create("config");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_loop_test(tc, test_source_config_loads_each_type, 0, 7);
	tcase_add_test(tc, test_source_config_rejects_unknown_key);
	tcase_add_loop_test(tc, test_source_config_rejects_bad_type, 0, 4);
	tcase_add_loop_test(tc, test_source_config_rejects_missing_secret_file,
	    0, 5);
	tcase_add_loop_test(tc, test_source_config_refuses_readable_secret, 0,
	    6);
	tcase_add_test(tc, test_source_config_refuses_symlink_and_non_file);
	tcase_add_loop_test(tc, test_source_config_rejects_bad_names, 0, 11);
	tcase_add_loop_test(tc, test_source_config_rejects_bad_values, 0, 15);
	tcase_add_test(tc, test_source_config_set_finds_and_rejects_duplicates);
	suite_add_tcase(s, tc);

	tc = tcase_create("kat");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_test(tc, test_source_github_signature_vector);
	tcase_add_test(tc, test_source_hmac_header_vector);
	tcase_add_test(tc, test_source_standard_webhooks_vector);
	suite_add_tcase(s, tc);

	tc = tcase_create("auth");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_loop_test(tc, test_source_auth_rejects_missing_signature, 0,
	    4);
	tcase_add_test(tc, test_source_auth_refuses_legacy_only_signature);
	tcase_add_loop_test(tc, test_source_auth_rejects_bad_signature, 0, 9);
	tcase_add_test(tc, test_source_auth_signature_forgery_loop);
	tcase_add_test(tc, test_source_auth_rejects_wrong_secret);
	tcase_add_loop_test(tc, test_source_auth_rejects_altered_body, 0, 13);
	tcase_add_loop_test(tc, test_source_auth_rejects_altered_real_delivery,
	    0, 2);
	tcase_add_loop_test(tc,
	    test_source_auth_rejects_stale_or_future_timestamp, 0, 5);
	tcase_add_test(tc, test_source_auth_honours_configured_tolerance);
	tcase_add_loop_test(tc,
	    test_source_auth_rejects_bad_standard_webhooks_headers, 0, 20);
	tcase_add_test(tc, test_source_auth_gitlab_token);
	tcase_add_test(tc, test_source_auth_bearer_and_hmac);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("media");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_loop_test(tc, test_source_media_rejects_wrong_content_type,
	    0, 16);
	tcase_add_loop_test(tc, test_source_media_accepts_parameters_and_case,
	    0, 7);
	suite_add_tcase(s, tc);

	tc = tcase_create("payloads");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_loop_test(tc, test_source_payload_accepted, 0, (int)nvalid);
	tcase_add_test(tc, test_source_payload_counts);
	tcase_add_loop_test(tc, test_source_payload_invalid_rejected, 0,
	    (int)ninvalid);
	tcase_add_test(tc, test_source_http_binding_example_rejected);
	tcase_add_loop_test(tc, test_source_rejects_malformed_json, 0, 10);
	tcase_add_loop_test(tc, test_source_rejects_non_object_body, 0, 5);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);

	tc = tcase_create("mapping");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_loop_test(tc, test_source_mapping_fields, 0, N(expects));
	tcase_add_test(tc, test_source_github_stored_payload_reverifies);
	tcase_add_loop_test(tc, test_source_requires_event_header, 0, 2);
	tcase_add_loop_test(tc, test_source_unknown_events_record_or_drop, 0,
	    4);
	tcase_add_test(tc, test_source_gitlab_delivery_precedence);
	tcase_add_test(tc, test_source_event_type_must_match_body);
	tcase_add_loop_test(tc, test_source_timestamps_never_fatal, 0, 12);
	tcase_add_loop_test(tc, test_source_digest_forms, 0, 14);
	tcase_add_test(tc, test_source_bad_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("cloudevents");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_test(tc, test_source_cdevents_batch_one_event_each);
	tcase_add_loop_test(tc, test_source_cdevents_batch_all_or_nothing, 0,
	    10);
	tcase_add_test(tc, test_source_cdevents_batch_oversized);
	tcase_add_test(tc, test_source_cdevents_binary_mode);
	tcase_add_loop_test(tc,
	    test_source_cdevents_rejects_malformed_ce_headers, 0, 14);
	tcase_add_test(tc, test_source_cdevents_structured_data_base64);
	tcase_add_loop_test(tc, test_source_cdevents_bare_needs_context, 0, 7);
	tcase_add_test(tc, test_source_cdevents_harness_events_differ_by_type);
	suite_add_tcase(s, tc);

	tc = tcase_create("intoto");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_test(tc, test_source_intoto_one_event_per_subject);
	tcase_add_test(tc, test_source_intoto_document_many_subjects_no_leak);
	tcase_add_test(tc, test_source_intoto_dsse_bundle_and_document);
	tcase_add_loop_test(tc, test_source_generic_document_is_strict, 0, 6);
	suite_add_tcase(s, tc);

	rc = tu_run_suite(s);
	for (i = 0; i < nfiles; i++)
		free(files[i].rel);
	free(files);
	free(valid_idx);
	free(invalid_idx);
	return rc;
}
