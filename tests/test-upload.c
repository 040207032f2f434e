/*
 * test-upload.c - reports a pipeline step uploads (lib/upload*.c): every
 * sample of ../shared/payloads/scans and the report-shaped samples of
 * ../shared/payloads/iac, with the subject each must give; the errors an
 * uploader sees
 *
 * Needs $LEDGER_PAYLOADS; exits 77 without it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ledger/entry.h"
#include "ledger/status.h"
#include "ledger/upload.h"
#include "testutil.h"

static const char *payloads;

struct want {
	const char *file;
	const char *format;
	enum ledger_kind kind;
	const char *tool, *version, *artifact, *summary, *status;
	const char *url, *service;
};

#define TRIVY_310 "sha256:961769676411f082461f9ef46626dd7a2d1e2b2a38e6a44364bcbecf51e66dd4"
#define CENTOS_ID "sha256:f1cb7c7d58b73eac859c395882eec49d50651244e342cd6c68a5c7809785f427"
#define S(c, h, m, l, u) "critical=" #c ",high=" #h ",medium=" #m ",low=" #l \
	",unknown=" #u

static const struct want wants[] = {
	{ "scans/sarif/trivy.alpine-310.sarif", "sarif", LEDGER_KIND_SCAN,
	  "Trivy", "dev", TRIVY_310, S(0, 0, 4, 0, 0) ",fail_on=high", "pass",
	  NULL, NULL },
	{ "scans/sarif/semgrep.results.sarif", "sarif", LEDGER_KIND_SCAN,
	  "Semgrep OSS", "placeholder", NULL, S(0, 1, 0, 0, 0) ",fail_on=high",
	  "fail", NULL, NULL },
	{ "scans/sarif/codeql-cli-and-lgtm.valid-sarif.sarif", "sarif",
	  LEDGER_KIND_SCAN, "LGTM.com", "1.24.0-SNAPSHOT", NULL,
	  S(0, 0, 0, 3, 0) ",fail_on=high", "pass", NULL, NULL },
	{ "scans/sarif/eslint.simple-example.sarif", "sarif", LEDGER_KIND_SCAN,
	  "ESLint", NULL, NULL, S(0, 1, 0, 0, 0) ",fail_on=high", "fail", NULL,
	  NULL },
	{ "scans/sarif/dockle-0.3.15.sarif", "sarif", LEDGER_KIND_SCAN,
	  "Dockle", NULL, NULL, S(0, 1, 0, 3, 0) ",fail_on=high", "fail", NULL,
	  NULL },
	{ "scans/zap/traditional-json.zap-2.7.0.zero.webappsecurity.json",
	  "zap", LEDGER_KIND_SCAN, "ZAP", "2.7.0", NULL,
	  S(0, 5, 3, 3, 0) ",fail_on=high", "fail",
	  "https://zero.webappsecurity.com", NULL },
	{ "scans/zap/traditional-json.reports-addon-test-expected.json", "zap",
	  LEDGER_KIND_SCAN, "ZAP", "Dev Build", NULL,
	  S(0, 1, 0, 0, 0) ",fail_on=high", "fail", "http://example.com",
	  NULL },
	{ "scans/inspec/reporter-json.json", "inspec", LEDGER_KIND_SCAN,
	  "InSpec", "1.49.2", NULL, S(0, 0, 1, 0, 0) ",fail_on=high", "pass",
	  NULL, NULL },
	{ "scans/inspec/reporter-json-min.json", "inspec-min",
	  LEDGER_KIND_SCAN, "InSpec", "1.49.2", NULL,
	  S(0, 0, 0, 0, 1) ",fail_on=high", "pass", NULL, NULL },
	{ "scans/trivy/image.alpine-310.json", "trivy", LEDGER_KIND_SCAN,
	  "Trivy", "dev", TRIVY_310, S(0, 0, 4, 0, 0) ",fail_on=high", "pass",
	  NULL, NULL },
	{ "scans/trivy/image.alpine-latest.docs-example.json", "trivy",
	  LEDGER_KIND_SCAN, "Trivy", NULL, "sha256:1e42bbe2508154c9126d48c2b8"
	  "a75420c3544343bf86fd041fb7527e017a4b4a", S(0, 0, 0, 2, 0)
	  ",fail_on=high", "pass", NULL, NULL },
	{ "scans/grype/image.TestJsonImgsPresenter.json", "grype",
	  LEDGER_KIND_SCAN, "grype", NULL, "sha256:ca738abb87a8d58f112d3400eb"
	  "b079b61ceae7dc290beb34bda735be4b1941d5", S(1, 0, 0, 1, 0)
	  ",fail_on=high", "fail", NULL, NULL },
	{ "scans/osv-scanner/some_findings.json", "osv-scanner",
	  LEDGER_KIND_SCAN, "osv-scanner", NULL, NULL,
	  S(0, 0, 0, 0, 1) ",fail_on=high", "pass", NULL, NULL },
	{ "scans/npm-audit/audit-report-v2.many_vulns.json", "npm-audit",
	  LEDGER_KIND_SCAN, "npm audit", NULL, NULL,
	  S(0, 0, 4, 2, 0) ",fail_on=high", "pass", NULL, NULL },
	{ "scans/npm-audit/audit-report-v2.one_vuln.json", "npm-audit",
	  LEDGER_KIND_SCAN, "npm audit", NULL, NULL,
	  S(0, 1, 0, 0, 0) ",fail_on=high", "fail", NULL, NULL },
	{ "scans/sbom/cyclonedx-1.5.trivy.centos-7.json", "cyclonedx",
	  LEDGER_KIND_ARTIFACT, "trivy", "dev", CENTOS_ID,
	  S(0, 0, 0, 0, 0) ",components=3,fail_on=high", "pass", NULL, NULL },
	{ "scans/sbom/spdx-2.x.trivy.centos-7.json", "spdx",
	  LEDGER_KIND_ARTIFACT, "trivy", "dev", CENTOS_ID,
	  S(0, 0, 0, 0, 0) ",components=4,fail_on=high", "pass", NULL, NULL },
	{ "scans/sbom/cyclonedx-in-dsse.cosign-attestation.centos-7.intoto."
	  "jsonl", "in-toto", LEDGER_KIND_ARTIFACT, "trivy", "dev",
	  "sha256:be65f488b7764ad3638f236b7b515b3678369a5124c47b8d32916d64874"
	  "18ea4", S(0, 0, 0, 0, 0) ",components=3,fail_on=high", "pass", NULL,
	  NULL },
	{ "iac/terraform-show-json/opentofu-provider.tf-1.8.1.arbitrary_name."
	  "plan.json", "terraform-plan", LEDGER_KIND_CHANGE, "Terraform",
	  "1.8.1", NULL, "add=1,change=0,destroy=0", "planned", NULL, NULL },
	{ "iac/terraform-show-json/terraform-1.14.2.module_call.plan.json",
	  "terraform-plan", LEDGER_KIND_CHANGE, "Terraform", "1.14.2", NULL,
	  "add=1,change=0,destroy=0", "planned", NULL, NULL },
	{ "iac/terraform-show-json/terraform-test-expected.basic-update.plan."
	  "json", "terraform-plan", LEDGER_KIND_CHANGE, "Terraform", NULL,
	  NULL, "add=0,change=0,destroy=0", "planned", NULL, NULL },
	{ "iac/ansible/ansible.posix.json.cowsay-check.installed.json",
	  "ansible", LEDGER_KIND_CHANGE, "Ansible", NULL, NULL,
	  "changed=0,failed=0,ok=2,unreachable=0", "success", NULL,
	  "localhost" },
	{ "iac/ansible/ansible.posix.json.cowsay-check.not-installed.json",
	  "ansible", LEDGER_KIND_CHANGE, "Ansible", NULL, NULL,
	  "changed=1,failed=0,ok=2,unreachable=0", "success", NULL,
	  "localhost" },
};

static char *
slurp(const char *rel, size_t *len)
{
	char path[4096];
	char *b;

	snprintf(path, sizeof(path), "%s/%s", payloads, rel);
	b = tu_slurp(path, len);
	ck_assert_msg(b != NULL, "read %s", path);
	return b;
}

static void
opts_init(struct ledger_upload_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = -1;
}

#define ck_subj(ev, f, want) do {					\
	const char *got_ = (ev)->e.subject[f];				\
	if ((want) == NULL)						\
		ck_assert_msg(got_ == NULL, "%s: %s is '%s', want none",	\
		    w->file, ledger_subject_name(f), got_);		\
	else								\
		ck_assert_msg(got_ != NULL && strcmp(got_, (want)) == 0,	\
		    "%s: %s is '%s', want '%s'", w->file,		\
		    ledger_subject_name(f), got_ ? got_ : "(none)", (want)); \
} while (0)

/* Every sample: its format, kind, tool, target, counts and verdict; the
 * payload is the file byte for byte. */
START_TEST(test_upload_samples)
{
	const struct want *w = &wants[_i];
	struct ledger_upload_opts o;
	struct ledger_event *ev = NULL;
	struct ledger_error err;
	size_t len, zl;
	char *body = slurp(w->file, &len);
	uint8_t *raw = NULL;
	const uint8_t *z;
	size_t rawlen;

	opts_init(&o);
	ck_assert_msg(ledger_upload_event(body, len, &o, &ev, &err) ==
	    LEDGER_OK, "%s: %s", w->file, err.msg);
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_TYPE], "report");
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_EVENT], w->format);
	ck_assert_int_eq(ev->e.kind, w->kind);
	ck_subj(ev, LEDGER_SUBJ_TOOL, w->tool);
	ck_subj(ev, LEDGER_SUBJ_TOOL_VERSION, w->version);
	ck_subj(ev, LEDGER_SUBJ_ARTIFACT, w->artifact);
	ck_subj(ev, LEDGER_SUBJ_SUMMARY, w->summary);
	ck_subj(ev, LEDGER_SUBJ_STATUS, w->status);
	ck_subj(ev, LEDGER_SUBJ_URL, w->url);
	ck_subj(ev, LEDGER_SUBJ_SERVICE, w->service);
	ck_assert_uint_eq(ev->e.payload_size, len);
	ck_assert_str_eq(ev->e.payload_type, "application/json");
	z = ledger_event_zpayload(ev, &zl);
	ck_assert_int_eq(ledger_payload_inflate(z, zl, len, &raw, &rawlen,
	    NULL), LEDGER_OK);
	ck_assert_uint_eq(rawlen, len);
	ck_assert_int_eq(memcmp(raw, body, len), 0);
	/* the verdict words are the vocabulary's */
	if (strcmp(w->status, "planned") == 0)
		ck_assert_str_eq(ledger_status_word(ev->e.kind, w->status),
		    "planned");
	if (strcmp(w->status, "pass") == 0 || strcmp(w->status, "fail") == 0)
		ck_assert_str_eq(ledger_status_word(ev->e.kind, w->status),
		    strcmp(w->status, "pass") == 0 ? "success" : "failure");
	free(raw);
	ledger_event_free(ev);
	free(body);
}
END_TEST

/* The threshold moves the verdict, and the summary says which. */
START_TEST(test_upload_threshold)
{
	struct ledger_upload_opts o;
	struct ledger_event *ev = NULL;
	struct ledger_error err;
	size_t len;
	char *body = slurp("scans/trivy/image.alpine-310.json", &len);

	opts_init(&o);
	o.fail_on = LEDGER_SEV_MEDIUM;
	o.fail_on_set = true;
	ck_assert_int_eq(ledger_upload_event(body, len, &o, &ev, &err),
	    LEDGER_OK);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_STATUS], "fail");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SUMMARY],
	    S(0, 0, 4, 0, 0) ",fail_on=medium");
	ledger_event_free(ev);
	o.fail_on = LEDGER_SEV_NONE;
	ck_assert_int_eq(ledger_upload_event(body, len, &o, &ev, &err),
	    LEDGER_OK);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_STATUS], "pass");
	ledger_event_free(ev);
	free(body);
}
END_TEST

/* The caller's values win over the report's; the caller's bad values
 * are refused. */
START_TEST(test_upload_caller_fields)
{
	static const char digest[] = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	struct ledger_upload_opts o;
	struct ledger_event *ev = NULL;
	struct ledger_error err;
	size_t len;
	char *body = slurp("scans/trivy/image.alpine-310.json", &len);

	opts_init(&o);
	o.subject[LEDGER_SUBJ_ARTIFACT] = digest;
	o.subject[LEDGER_SUBJ_COMMIT] = "0123456789ABCDEF0123456789abcdef01234567";
	o.subject[LEDGER_SUBJ_ENVIRONMENT] = "Production";
	o.subject[LEDGER_SUBJ_TOOL] = "not the caller's to say";
	ck_assert_int_eq(ledger_upload_event(body, len, &o, &ev, &err),
	    LEDGER_OK);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ARTIFACT], digest);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_COMMIT],
	    "0123456789abcdef0123456789abcdef01234567");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_ENVIRONMENT], "production");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_TOOL], "Trivy");
	ledger_event_free(ev);
	o.subject[LEDGER_SUBJ_ENVIRONMENT] = "bad\001env";
	ck_assert_int_eq(ledger_upload_event(body, len, &o, &ev, &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_null(ev);
	ck_assert_ptr_nonnull(strstr(err.msg, "environment"));
	free(body);
}
END_TEST

/* What the uploader is told: malformed JSON with its position, a file
 * that is no report without --kind, a report of another class. */
START_TEST(test_upload_errors)
{
	static const char bad[] = "{\"version\": \"2.1.0\",\n \"runs\": [}";
	static const char dup[] = "{\"bomFormat\":\"CycloneDX\","
	    "\"bomFormat\":\"SPDX\"}";
	struct ledger_upload_opts o;
	struct ledger_event *ev = NULL;
	struct ledger_error err;
	size_t len;
	char *schema = slurp("scans/sarif/sarif-schema-2.1.0.json", &len);
	char *ruby;
	size_t rlen;

	opts_init(&o);
	ck_assert_int_eq(ledger_upload_event(bad, strlen(bad), &o, &ev, &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 2"));
	ck_assert_int_eq(ledger_upload_event(dup, strlen(dup), &o, &ev, &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "duplicate"));
	/* the SARIF schema is not a SARIF log */
	ck_assert_int_eq(ledger_upload_event(schema, len, &o, &ev, &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "say its kind"));
	/* ... recorded as it is when the caller says what it is */
	o.kind = LEDGER_KIND_SCAN;
	ck_assert_int_eq(ledger_upload_event(schema, len, &o, &ev, &err),
	    LEDGER_OK);
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_EVENT], "unknown");
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_STATUS], "unknown");
	ck_assert_ptr_null(ev->e.subject[LEDGER_SUBJ_SUMMARY]);
	ck_assert_uint_eq(ev->e.payload_size, len);
	ledger_event_free(ev);
	o.kind = LEDGER_KIND_LEDGER;
	ck_assert_int_eq(ledger_upload_event(schema, len, &o, &ev, &err),
	    LEDGER_EINVAL);
	free(schema);
	/* a scan is not an SBOM */
	opts_init(&o);
	o.cls = LEDGER_UPLOAD_SBOM;
	schema = slurp("scans/trivy/image.alpine-310.json", &len);
	ck_assert_int_eq(ledger_upload_event(schema, len, &o, &ev, &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "record it as scan"));
	free(schema);
	/* Puppet's documented report is a Ruby hash, not JSON */
	ruby = slurp("iac/puppet/http_report.docs-example.ruby-hash-not-json."
	    "txt", &rlen);
	opts_init(&o);
	o.kind = LEDGER_KIND_CHANGE;
	ck_assert_int_eq(ledger_upload_event(ruby, rlen, &o, &ev, &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "report: "));
	/* unless it is said to be something other than JSON */
	o.media_type = "text/plain";
	ck_assert_int_eq(ledger_upload_event(ruby, rlen, &o, &ev, &err),
	    LEDGER_OK);
	ck_assert_str_eq(ev->e.payload_type, "text/plain");
	ledger_event_free(ev);
	o.kind = -1;
	ck_assert_int_eq(ledger_upload_event(ruby, rlen, &o, &ev, &err),
	    LEDGER_EINVAL);
	free(ruby);
}
END_TEST

/* A report's own values that are no valid field are left out, never
 * the reason to refuse the report. */
START_TEST(test_upload_bad_report_values)
{
	static const char sarif[] = "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":"
	    "{\"driver\":{\"name\":\"evil\\u0007tool\",\"version\":\"1\"}},"
	    "\"properties\":{\"imageID\":\"sha256:zz\"},\"results\":[{\"level\":"
	    "\"error\",\"kind\":\"fail\"},{\"level\":\"none\"},{\"kind\":\"pass\","
	    "\"level\":\"error\"},{\"level\":\"bogus\"},{\"level\":\"error\","
	    "\"suppressions\":[{\"kind\":\"inSource\"}]},{\"properties\":"
	    "{\"security-severity\":\"9.8\"}}]}]}";
	struct ledger_upload_opts o;
	struct ledger_event *ev = NULL;
	struct ledger_error err;

	opts_init(&o);
	ck_assert_int_eq(ledger_upload_event(sarif, strlen(sarif), &o, &ev,
	    &err), LEDGER_OK);
	ck_assert_ptr_null(ev->e.subject[LEDGER_SUBJ_TOOL]);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_TOOL_VERSION], "1");
	ck_assert_ptr_null(ev->e.subject[LEDGER_SUBJ_ARTIFACT]);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SUMMARY],
	    S(1, 1, 0, 0, 1) ",fail_on=high");
	ledger_event_free(ev);
}
END_TEST

/* What the review found: rules in a tool extension (CodeQL's query
 * packs) and an index out of range still find their rule by id; an OSV
 * vulnerability without an id is a finding, not "out of memory"; counts
 * summed over hosts stop at the top instead of wrapping to none; a media
 * type's parameters do not change what is JSON. */
START_TEST(test_upload_review_cases)
{
	static const char ext[] = "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":"
	    "{\"driver\":{\"name\":\"CodeQL\",\"rules\":[]},\"extensions\":"
	    "[{\"name\":\"codeql/java-queries\",\"rules\":[{\"id\":\"java/sqli"
	    "\",\"properties\":{\"security-severity\":\"9.8\"}},{\"id\":"
	    "\"java/xss\",\"defaultConfiguration\":{\"level\":\"error\"}}]}]},"
	    "\"results\":[{\"ruleId\":\"java/sqli\",\"rule\":{\"id\":"
	    "\"java/sqli\",\"index\":0,\"toolComponent\":{\"index\":0}}},"
	    "{\"ruleId\":\"java/xss\",\"ruleIndex\":7}]}]}";
	static const char osv[] = "{\"results\":[{\"packages\":[{"
	    "\"vulnerabilities\":[{\"summary\":\"no id\"},{\"id\":\"X-1\","
	    "\"database_specific\":{\"severity\":\"MODERATE\"}}]}]}]}";
	static const char hosts[] = "{\"plays\":[],\"stats\":{"
	    "\"a\":{\"failures\":4611686018427387904},"
	    "\"b\":{\"failures\":4611686018427387904},"
	    "\"c\":{\"failures\":4611686018427387904},"
	    "\"d\":{\"failures\":4611686018427387904}}}";
	struct ledger_upload_opts o;
	struct ledger_event *ev = NULL;
	struct ledger_error err;
	uint64_t n;

	opts_init(&o);
	ck_assert_int_eq(ledger_upload_event(ext, strlen(ext), &o, &ev, &err),
	    LEDGER_OK);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SUMMARY],
	    S(1, 1, 0, 0, 0) ",fail_on=high");
	ledger_event_free(ev);
	ck_assert_int_eq(ledger_upload_event(osv, strlen(osv), &o, &ev, &err),
	    LEDGER_OK);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_SUMMARY],
	    S(0, 0, 1, 0, 1) ",fail_on=high");
	ledger_event_free(ev);
	ck_assert_int_eq(ledger_upload_event(hosts, strlen(hosts), &o, &ev,
	    &err), LEDGER_OK);
	ck_assert_str_eq(ev->e.subject[LEDGER_SUBJ_STATUS], "failed");
	ck_assert(ledger_summary_count(ev->e.subject[LEDGER_SUBJ_SUMMARY],
	    "failed", &n));
	ck_assert_uint_eq(n, 4 * 9000000000000000ULL);
	ledger_event_free(ev);
	o.media_type = "Application/JSON; charset=utf-8";
	ck_assert_int_eq(ledger_upload_event(osv, strlen(osv), &o, &ev, &err),
	    LEDGER_OK);
	ck_assert_str_eq(ev->e.source[LEDGER_SRC_EVENT], "osv-scanner");
	ledger_event_free(ev);
	ck_assert(ledger_upload_json_type("application/vnd.cyclonedx+json"));
	ck_assert(!ledger_upload_json_type("application/x-ndjson"));
	ck_assert(!ledger_upload_json_type("text/html; charset=utf-8"));
}
END_TEST

START_TEST(test_summary_count)
{
	uint64_t n = 0;

	ck_assert(ledger_summary_count(S(0, 12, 3, 0, 0), "high", &n));
	ck_assert_uint_eq(n, 12);
	ck_assert(ledger_summary_count("add=1,change=0,destroy=7", "destroy",
	    &n));
	ck_assert_uint_eq(n, 7);
	ck_assert(!ledger_summary_count("xhigh=1", "high", &n));
	ck_assert(!ledger_summary_count("high=1x", "high", &n));
	ck_assert(!ledger_summary_count("high=", "high", &n));
	ck_assert(!ledger_summary_count("", "high", &n));
	ck_assert_int_eq(ledger_severity_parse("medium"), LEDGER_SEV_MEDIUM);
	ck_assert_int_eq(ledger_severity_parse("Medium"), -1);
	ck_assert_int_eq(ledger_upload_class_parse("plan"), LEDGER_UPLOAD_PLAN);
	ck_assert_int_eq(ledger_upload_class_parse("scans"), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("upload");
	TCase *tc = tcase_create("upload");

	if ((payloads = getenv("LEDGER_PAYLOADS")) == NULL) {
		fprintf(stderr, "test-upload: LEDGER_PAYLOADS not set\n");
		return 77;
	}
	tcase_add_loop_test(tc, test_upload_samples, 0,
	    (int)(sizeof(wants) / sizeof(*wants)));
	tcase_add_test(tc, test_upload_threshold);
	tcase_add_test(tc, test_upload_caller_fields);
	tcase_add_test(tc, test_upload_errors);
	tcase_add_test(tc, test_upload_bad_report_values);
	tcase_add_test(tc, test_upload_review_cases);
	tcase_add_test(tc, test_summary_count);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
