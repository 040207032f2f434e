/* test-entry.c - events, entry encoding and decoding, times, payloads */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "ledger/entry.h"
#include "ledger/jcs.h"
#include "testutil.h"

static void
fill_entry(struct ledger_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->seq = 42;
	e->time_ms = 1795168800123LL;
	e->kind = LEDGER_KIND_DEPLOYMENT;
	e->log = strdup("example.com/log");
	e->source[LEDGER_SRC_NAME] = strdup("gh-main");
	e->source[LEDGER_SRC_TYPE] = strdup("github");
	e->source[LEDGER_SRC_EVENT] = strdup("deployment_status");
	e->source[LEDGER_SRC_DELIVERY] = strdup("7c1e-\"quoted\"\\");
	e->source[LEDGER_SRC_AUTH] = strdup("hmac-sha256");
	e->subject[LEDGER_SUBJ_ENVIRONMENT] = strdup("production");
	e->subject[LEDGER_SUBJ_ACTOR] = strdup("J\xc3\xb6rg \xf0\x9f\x98\x80");
	e->subject[LEDGER_SUBJ_URL] = strdup("https://x/?a=1&b=\xe2\x80\xa8");
	memset(e->payload_sha256, 0xab, sizeof(e->payload_sha256));
	e->payload_size = 1834;
	e->payload_type = strdup("application/json");
	e->key_id = 0x0a0b0c0d;
	memset(e->prev, 0x11, sizeof(e->prev));
}

START_TEST(test_entry_encode_is_canonical_jcs)
{
	struct ledger_entry e, d;
	struct ledger_buf b = LEDGER_BUF_INIT;
	char *canon;
	size_t clen;

	fill_entry(&e);
	ck_assert_int_eq(ledger_entry_encode(&e, &b, NULL), LEDGER_OK);
	/* The direct encoder and the generic canonicalizer agree. */
	ck_assert_int_eq(ledger_jcs_canonicalize(b.data, b.len, &canon, &clen,
	    NULL), LEDGER_OK);
	ck_assert_uint_eq(clen, b.len);
	ck_assert_mem_eq(canon, b.data, clen);
	ck_assert_ptr_nonnull(strstr(b.data, "\"key\":\"0a0b0c0d\""));
	ck_assert_ptr_nonnull(strstr(b.data, "\"time\":\"2026-11-20T"));
	ck_assert_ptr_nonnull(strstr(b.data, ".123Z\""));
	ck_assert_ptr_nonnull(strstr(b.data, "\"seq\":42,"));
	ck_assert_ptr_nonnull(strstr(b.data, ",\"v\":1}"));
	/* Decoding gives the same fields back. */
	ck_assert_int_eq(ledger_entry_decode(b.data, b.len, &d, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(d.seq, 42);
	ck_assert_int_eq(d.time_ms, e.time_ms);
	ck_assert_str_eq(d.subject[LEDGER_SUBJ_ACTOR],
	    e.subject[LEDGER_SUBJ_ACTOR]);
	ck_assert_str_eq(d.source[LEDGER_SRC_DELIVERY],
	    e.source[LEDGER_SRC_DELIVERY]);
	ck_assert_uint_eq(d.key_id, e.key_id);
	ck_assert_mem_eq(d.prev, e.prev, 32);
	free(canon);
	ledger_entry_release(&d);
	ledger_entry_release(&e);
	ledger_buf_release(&b);
}
END_TEST

START_TEST(test_entry_encode_exact_bytes)
{
	struct ledger_entry e;
	struct ledger_buf b = LEDGER_BUF_INIT;
	static const char want[] =
	    "{\"key\":\"00000001\",\"kind\":\"build\",\"log\":\"o\","
	    "\"payload\":{\"sha256\":\"0000000000000000000000000000000000000000"
	    "000000000000000000000000\",\"size\":0,\"type\":\"t\"},"
	    "\"prev\":\"0000000000000000000000000000000000000000000000000000000"
	    "000000000\",\"seq\":0,\"source\":{\"name\":\"n\",\"type\":\"generic"
	    "\"},\"subject\":{},\"time\":\"1970-01-01T00:00:00.000Z\",\"v\":1}";

	memset(&e, 0, sizeof(e));
	e.kind = LEDGER_KIND_BUILD;
	e.log = "o";
	e.source[LEDGER_SRC_NAME] = "n";
	e.source[LEDGER_SRC_TYPE] = "generic";
	e.payload_type = "t";
	e.key_id = 1;
	ck_assert_int_eq(ledger_entry_encode(&e, &b, NULL), LEDGER_OK);
	ck_assert_str_eq(b.data, want);
	ledger_buf_release(&b);
}
END_TEST

START_TEST(test_entry_encode_refuses_missing_fields)
{
	struct ledger_entry e;
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_error err;

	fill_entry(&e);
	free(e.source[LEDGER_SRC_TYPE]);
	e.source[LEDGER_SRC_TYPE] = NULL;
	ck_assert_int_eq(ledger_entry_encode(&e, &b, &err), LEDGER_EINVAL);
	ck_assert_uint_eq(b.len, 0);
	ledger_entry_release(&e);
	ledger_buf_release(&b);
}
END_TEST

/* Decoding is strict: anything but the canonical bytes of a valid entry
 * is refused. */
static const char *const bad_entries[] = {
	"",
	"[]",
	"{\"key\":\"00000001\"}",
	/* whitespace: not canonical */
	"{\"key\":\"00000001\", \"kind\":\"build\",\"log\":\"o\",\"payload\":{"
	"\"sha256\":\"0000000000000000000000000000000000000000000000000000000000"
	"000000\",\"size\":0,\"type\":\"t\"},\"prev\":\"0000000000000000000000000"
	"000000000000000000000000000000000000000\",\"seq\":0,\"source\":{\"name\""
	":\"n\",\"type\":\"generic\"},\"subject\":{},\"time\":\"1970-01-01T00:00:"
	"00.000Z\",\"v\":1}",
	/* unknown kind */
	"{\"key\":\"00000001\",\"kind\":\"bild\",\"log\":\"o\",\"payload\":{"
	"\"sha256\":\"0000000000000000000000000000000000000000000000000000000000"
	"000000\",\"size\":0,\"type\":\"t\"},\"prev\":\"0000000000000000000000000"
	"000000000000000000000000000000000000000\",\"seq\":0,\"source\":{\"name\""
	":\"n\",\"type\":\"generic\"},\"subject\":{},\"time\":\"1970-01-01T00:00:"
	"00.000Z\",\"v\":1}",
	/* version 2 */
	"{\"key\":\"00000001\",\"kind\":\"build\",\"log\":\"o\",\"payload\":{"
	"\"sha256\":\"0000000000000000000000000000000000000000000000000000000000"
	"000000\",\"size\":0,\"type\":\"t\"},\"prev\":\"0000000000000000000000000"
	"000000000000000000000000000000000000000\",\"seq\":0,\"source\":{\"name\""
	":\"n\",\"type\":\"generic\"},\"subject\":{},\"time\":\"1970-01-01T00:00:"
	"00.000Z\",\"v\":2}",
	/* unknown subject field */
	"{\"key\":\"00000001\",\"kind\":\"build\",\"log\":\"o\",\"payload\":{"
	"\"sha256\":\"0000000000000000000000000000000000000000000000000000000000"
	"000000\",\"size\":0,\"type\":\"t\"},\"prev\":\"0000000000000000000000000"
	"000000000000000000000000000000000000000\",\"seq\":0,\"source\":{\"name\""
	":\"n\",\"type\":\"generic\"},\"subject\":{\"colour\":\"red\"},\"time\":"
	"\"1970-01-01T00:00:00.000Z\",\"v\":1}",
	/* fractional seq */
	"{\"key\":\"00000001\",\"kind\":\"build\",\"log\":\"o\",\"payload\":{"
	"\"sha256\":\"0000000000000000000000000000000000000000000000000000000000"
	"000000\",\"size\":0,\"type\":\"t\"},\"prev\":\"0000000000000000000000000"
	"000000000000000000000000000000000000000\",\"seq\":0.5,\"source\":{\"name"
	"\":\"n\",\"type\":\"generic\"},\"subject\":{},\"time\":\"1970-01-01T00:"
	"00:00.000Z\",\"v\":1}",
	/* upper-case hex: not what the encoder writes */
	"{\"key\":\"0000000A\",\"kind\":\"build\",\"log\":\"o\",\"payload\":{"
	"\"sha256\":\"0000000000000000000000000000000000000000000000000000000000"
	"000000\",\"size\":0,\"type\":\"t\"},\"prev\":\"0000000000000000000000000"
	"000000000000000000000000000000000000000\",\"seq\":0,\"source\":{\"name\""
	":\"n\",\"type\":\"generic\"},\"subject\":{},\"time\":\"1970-01-01T00:00:"
	"00.000Z\",\"v\":1}",
};

START_TEST(test_entry_decode_rejects_bad_bytes)
{
	struct ledger_entry d;
	struct ledger_error err;
	const char *s = bad_entries[_i];

	ck_assert_int_eq(ledger_entry_decode(s, strlen(s), &d, &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_null(d.log);
}
END_TEST

START_TEST(test_entry_kind_vocabulary)
{
	static const char *const names[] = { "build", "test", "scan",
	    "artifact", "approval", "deployment", "rollback", "change",
	    "incident", "ledger", "other" };
	enum ledger_kind k;
	struct ledger_error err;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		ck_assert_int_eq(ledger_kind_parse(names[i], &k, NULL),
		    LEDGER_OK);
		ck_assert_str_eq(ledger_kind_name(k), names[i]);
	}
	ck_assert_int_eq(ledger_kind_parse("Build", &k, &err), LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown kind 'Build'"));
	ck_assert_int_eq(ledger_kind_parse(NULL, &k, NULL), LEDGER_EINVAL);
	ck_assert_ptr_null(ledger_kind_name(LEDGER_KIND_COUNT));
}
END_TEST

START_TEST(test_entry_subject_normalization)
{
	char *out;
	struct ledger_error err;

	ck_assert_int_eq(ledger_subject_normalize(LEDGER_SUBJ_ENVIRONMENT,
	    "  Production ", 13, &out, NULL), LEDGER_OK);
	ck_assert_str_eq(out, "production");
	free(out);
	ck_assert_int_eq(ledger_subject_normalize(LEDGER_SUBJ_COMMIT,
	    "ABCDEF0123", 10, &out, NULL), LEDGER_OK);
	ck_assert_str_eq(out, "abcdef0123");
	free(out);
	ck_assert_int_eq(ledger_subject_normalize(LEDGER_SUBJ_ARTIFACT,
	    "SHA256:ABCD", 11, &out, NULL), LEDGER_OK);
	ck_assert_str_eq(out, "sha256:abcd");
	free(out);
	ck_assert_int_eq(ledger_subject_normalize(LEDGER_SUBJ_ARTIFACT,
	    "pkg:oci/App@sha256:AB", 21, &out, NULL), LEDGER_OK);
	ck_assert_str_eq(out, "pkg:oci/App@sha256:AB");
	free(out);
	ck_assert_int_eq(ledger_subject_normalize(LEDGER_SUBJ_ACTOR, "Alice",
	    5, &out, NULL), LEDGER_OK);
	ck_assert_str_eq(out, "Alice");	/* names keep their case */
	free(out);
	ck_assert_int_eq(ledger_subject_normalize(LEDGER_SUBJ_ACTOR, "   ", 3,
	    &out, &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_subject_normalize(LEDGER_SUBJ_ACTOR, "a\nb", 3,
	    &out, &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_subject_normalize(LEDGER_SUBJ_ACTOR, "\xff", 1,
	    &out, &err), LEDGER_EINVAL);
}
END_TEST

START_TEST(test_entry_subject_length_limit)
{
	char *big = malloc(LEDGER_URL_MAX + 2), *out;

	memset(big, 'a', LEDGER_URL_MAX + 1);
	big[LEDGER_URL_MAX + 1] = '\0';
	ck_assert_int_eq(ledger_subject_normalize(LEDGER_SUBJ_RUN, big,
	    LEDGER_FIELD_MAX + 1, &out, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_subject_normalize(LEDGER_SUBJ_RUN, big,
	    LEDGER_FIELD_MAX, &out, NULL), LEDGER_OK);
	free(out);
	ck_assert_int_eq(ledger_subject_normalize(LEDGER_SUBJ_URL, big,
	    LEDGER_URL_MAX + 1, &out, NULL), LEDGER_EINVAL);
	free(big);
}
END_TEST

START_TEST(test_entry_event_from_json)
{
	static const char doc[] = "{\"kind\":\"deployment\",\"event\":\"deploy."
	    "finished\",\"delivery\":\"abc\",\"subject\":{\"environment\":"
	    "\"PROD\",\"service\":\"pay\"},\"payload\":{\"anything\":[1,2]}}";
	struct ledger_event *ev;
	uint8_t *p;
	size_t plen;

	ck_assert_int_eq(ledger_event_from_json(doc, strlen(doc), -1, &ev,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ev->e.kind, LEDGER_KIND_DEPLOYMENT);
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_EVENT], "deploy.finished");
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_DELIVERY], "abc");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ENVIRONMENT], "prod");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SERVICE], "pay");
	ck_assert_uint_eq(ev->e.payload_size, strlen(doc));
	ck_assert_str_eq(ev->e.payload_type, "application/json");
	/* The payload is the body, byte for byte. */
	ck_assert_int_eq(ledger_payload_inflate(ev->payload_z, ev->payload_zlen,
	    1 << 20, &p, &plen, NULL), LEDGER_OK);
	ck_assert_uint_eq(plen, strlen(doc));
	ck_assert_mem_eq(p, doc, plen);
	free(p);
	ledger_event_free(ev);
	/* default kind */
	ck_assert_int_eq(ledger_event_from_json("{}", 2, LEDGER_KIND_TEST, &ev,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ev->e.kind, LEDGER_KIND_TEST);
	ledger_event_free(ev);
}
END_TEST

static const char *const bad_events[] = {
	"", "null", "[]", "\"x\"", "{\"kind\":1}", "{\"kind\":\"nope\"}",
	"{}", "{\"kind\":\"build\",\"extra\":1}",
	"{\"kind\":\"build\",\"subject\":[]}",
	"{\"kind\":\"build\",\"subject\":{\"nope\":\"x\"}}",
	"{\"kind\":\"build\",\"subject\":{\"run\":null}}",
	"{\"kind\":\"build\",\"subject\":{\"run\":\"\"}}",
	"{\"kind\":\"build\",\"event\":\"a\\u0000b\"}",
	"{\"kind\":\"build\",\"kind\":\"build\"}",
	"{\"kind\":\"build\",\"delivery\":{}}",
	"{\"kind\":\"build\",\"payload\":NaN}",
	"{\"kind\":\"build\",\"payload\":1e999}",
};

START_TEST(test_entry_event_from_json_rejects)
{
	struct ledger_event *ev = NULL;
	struct ledger_error err;
	const char *s = bad_events[_i];

	ck_assert_int_eq(ledger_event_from_json(s, strlen(s), -1, &ev, &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_null(ev);
	ck_assert_int_gt(strlen(err.msg), 0);
}
END_TEST

START_TEST(test_entry_time_format_and_parse)
{
	char buf[LEDGER_TIME_MAX];
	int64_t ms;
	struct ledger_error err;

	ledger_time_format(0, buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
	ledger_time_format(1795168800123LL, buf);
	ck_assert_int_eq(ledger_time_parse(buf, &ms, NULL), LEDGER_OK);
	ck_assert_int_eq(ms, 1795168800123LL);
	ck_assert_int_eq(ledger_time_parse("2026-02-30T00:00:00.000Z", &ms,
	    &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_time_parse("2026-01-01T00:00:00Z", &ms, NULL),
	    LEDGER_EINVAL);
}
END_TEST

START_TEST(test_entry_time_parse_any)
{
	static const struct { const char *in; int64_t ms; } ok[] = {
		{ "2019-05-15T15:20:41Z", 1557933641000LL },
		{ "2019-05-15T15:20:41.5Z", 1557933641500LL },
		{ "2019-05-15T17:20:41+02:00", 1557933641000LL },
		{ "2019-05-15T10:20:41-0500", 1557933641000LL },
		{ "2019-05-15 15:20:41 UTC", 1557933641000LL },
		{ "2019-05-15 15:20:41 +0000", 1557933641000LL },
		{ "2019-05-15", 1557878400000LL },
		{ "1557933641", 1557933641000LL },
		{ "1557933641123", 1557933641123LL },
		{ "2019-05-15T15:20:41.123456789Z", 1557933641123LL },
	};
	static const char *const bad[] = { "", "yesterday", "2019-13-01",
	    "2019-05-15T25:00:00Z", "2019-05-15T15:20:41+2", "0001-01-01",
	    "2019-05-15T15:20:41Zjunk", "123456789012345" };
	int64_t ms;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		ck_assert_msg(ledger_time_parse_any(ok[i].in, &ms, NULL) ==
		    LEDGER_OK, "%s", ok[i].in);
		ck_assert_msg(ms == ok[i].ms, "%s: %lld", ok[i].in,
		    (long long)ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(ledger_time_parse_any(bad[i], &ms, NULL) ==
		    LEDGER_EINVAL, "%s", bad[i]);
}
END_TEST

START_TEST(test_entry_payload_roundtrip_and_corrupt)
{
	uint8_t *z, *out;
	size_t zlen, olen;
	char data[5000];
	struct ledger_error err;

	memset(data, 'x', sizeof(data));
	ck_assert_int_eq(ledger_payload_deflate(data, sizeof(data), &z, &zlen,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_payload_inflate(z, zlen, sizeof(data), &out,
	    &olen, NULL), LEDGER_OK);
	ck_assert_uint_eq(olen, sizeof(data));
	ck_assert_mem_eq(out, data, olen);
	free(out);
	/* Over the limit: refused, no bomb. */
	ck_assert_int_eq(ledger_payload_inflate(z, zlen, sizeof(data) - 1,
	    &out, &olen, &err), LEDGER_EINVAL);
	/* Truncated and corrupt. */
	ck_assert_int_eq(ledger_payload_inflate(z, zlen - 2, sizeof(data),
	    &out, &olen, &err), LEDGER_EINVAL);
	z[zlen / 2] ^= 0x55;
	ck_assert_int_eq(ledger_payload_inflate(z, zlen, sizeof(data), &out,
	    &olen, &err), LEDGER_EINVAL);
	free(z);
	/* Empty payload. */
	ck_assert_int_eq(ledger_payload_deflate("", 0, &z, &zlen, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_payload_inflate(z, zlen, 10, &out, &olen,
	    NULL), LEDGER_OK);
	ck_assert_uint_eq(olen, 0);
	free(out);
	free(z);
}
END_TEST

START_TEST(test_entry_hex)
{
	uint8_t b[3] = { 0x00, 0xab, 0xff }, back[3];
	char h[7];

	ledger_hex(b, 3, h);
	ck_assert_str_eq(h, "00abff");
	ck_assert_int_eq(ledger_unhex("00ABff", back, 3, NULL), LEDGER_OK);
	ck_assert_mem_eq(back, b, 3);
	ck_assert_int_eq(ledger_unhex("00abf", back, 3, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_unhex("00abfg", back, 3, NULL), LEDGER_EINVAL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("entry");
	TCase *tc;

	tc = tcase_create("encode");
	tcase_add_test(tc, test_entry_encode_is_canonical_jcs);
	tcase_add_test(tc, test_entry_encode_exact_bytes);
	tcase_add_test(tc, test_entry_encode_refuses_missing_fields);
	tcase_add_loop_test(tc, test_entry_decode_rejects_bad_bytes, 0,
	    (int)(sizeof(bad_entries) / sizeof(*bad_entries)));
	suite_add_tcase(s, tc);

	tc = tcase_create("event");
	tcase_add_test(tc, test_entry_kind_vocabulary);
	tcase_add_test(tc, test_entry_subject_normalization);
	tcase_add_test(tc, test_entry_subject_length_limit);
	tcase_add_test(tc, test_entry_event_from_json);
	tcase_add_loop_test(tc, test_entry_event_from_json_rejects, 0,
	    (int)(sizeof(bad_events) / sizeof(*bad_events)));
	suite_add_tcase(s, tc);

	tc = tcase_create("util");
	tcase_add_test(tc, test_entry_time_format_and_parse);
	tcase_add_test(tc, test_entry_time_parse_any);
	tcase_add_test(tc, test_entry_payload_roundtrip_and_corrupt);
	tcase_add_test(tc, test_entry_hex);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
