/* test-config.c - ledgerd's configuration loader (ledgerd/config.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>

#include "ledger/source.h"
#include "ledgerd.h"
#include "testutil.h"

static char dir[4096];
static char msgs[4096];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "%s", tu_mkdtemp());
	msgs[0] = '\0';
}

static void
teardown(void)
{
	tu_rmtree(dir);
}

static void
collect(void *ctx, const char *msg)
{
	(void)ctx;
	strncat(msgs, msg, sizeof(msgs) - strlen(msgs) - 2);
	strcat(msgs, "\n");
}

/* Write text to dir/name (mode 0600); its path. */
static const char *
put(const char *name, const char *text)
{
	static char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0600), 0);
	return path;
}

/* The number of problems loading text, messages in msgs. */
static int
load(const char *text, struct config *c)
{
	config_defaults(c);
	msgs[0] = '\0';
	return config_load(put("ledgerd.json", text), c, collect, NULL);
}

START_TEST(test_config_defaults_are_safe)
{
	struct config c;

	config_defaults(&c);
	ck_assert_str_eq(c.listen_host, "127.0.0.1");	/* loopback */
	ck_assert_uint_eq(c.listen_port, 8420);
	ck_assert_uint_gt(c.max_body_bytes, 0);
	ck_assert_uint_gt(c.max_connections, 0);
	ck_assert_uint_gt(c.max_connections_per_client, 0);
	ck_assert_uint_gt(c.request_timeout_s, 0);
	ck_assert(!c.anonymous_read);
	config_free(&c);
}
END_TEST

START_TEST(test_config_loads_every_key)
{
	struct config c;

	put("gh.secret", "s3cret");
	ck_assert_int_eq(load("{\"listen\":\"127.0.0.1:0\",\"data_dir\":"
	    "\"/tmp/x\",\"origin\":\"a.example/log\",\"max_body_bytes\":2048,"
	    "\"max_connections\":9,\"max_connections_per_client\":3,"
	    "\"request_timeout_s\":5,\"idle_timeout_s\":6,\"batch_max\":7,"
	    "\"batch_delay_ms\":8,\"queue_max\":10,\"log_level\":\"debug\","
	    "\"checkpoint_interval_ms\":100,\"heartbeat_interval_s\":0,"
	    "\"anonymous_read\":true,\"sources\":[{\"name\":\"gh\",\"type\":"
	    "\"github\",\"secret_file\":\"gh.secret\"}]}", &c), 0);
	ck_assert_str_eq(msgs, "");
	ck_assert_uint_eq(c.listen_port, 0);
	ck_assert_str_eq(c.data_dir, "/tmp/x");
	ck_assert_str_eq(c.origin, "a.example/log");
	ck_assert_uint_eq(c.max_body_bytes, 2048);
	ck_assert_uint_eq(c.max_connections_per_client, 3);
	ck_assert_uint_eq(c.batch_delay_ms, 8);
	ck_assert_int_eq(c.log_level, LOG_LVL_DEBUG);
	ck_assert(c.anonymous_read);
	ck_assert_ptr_nonnull(ledger_sources_find(c.sources, "gh"));
	config_free(&c);
}
END_TEST

/* Every problem is reported, each with its line and column: a typo never
 * leaves a default silently in force. */
START_TEST(test_config_reports_every_problem)
{
	struct config c;

	ck_assert_int_eq(load("{\n  \"listn\": \"x\",\n  \"max_body_bytes\": "
	    "5,\n  \"log_level\": \"loud\",\n  \"anonymous_read\": 1\n}\n", &c),
	    4);
	ck_assert_ptr_nonnull(strstr(msgs, ":2:3: unknown key 'listn'"));
	ck_assert_ptr_nonnull(strstr(msgs, ":3:3:"));
	ck_assert_ptr_nonnull(strstr(msgs, "'log_level' must be"));
	ck_assert_ptr_nonnull(strstr(msgs, "'anonymous_read' must be true"));
	config_free(&c);
}
END_TEST

/* TLS: files relative to the config, the modes, what each needs; plain
 * HTTP beyond loopback only when asked for. */
START_TEST(test_config_tls_and_plaintext)
{
	static const struct {
		const char *json, *needle;
	} bad[] = {
		{ "{\"tls\": {\"cert_file\": \"c.pem\"}}",
		  "needs cert_file and key_file" },
		{ "{\"tls\": {\"cert_file\": \"c.pem\", \"key_file\": "
		  "\"k.pem\", \"client_auth\": \"required\"}}",
		  "needs client_ca_file" },
		{ "{\"tls\": {\"cert_file\": \"c.pem\", \"key_file\": "
		  "\"k.pem\", \"client_ca_file\": \"ca.pem\"}}",
		  "client_auth is none" },
		{ "{\"tls\": {\"cert_file\": \"c.pem\", \"key_file\": "
		  "\"k.pem\", \"client_auth\": \"maybe\"}}",
		  "must be none, optional or required" },
		{ "{\"tls\": {\"cert_file\": \"c.pem\", \"key_file\": "
		  "\"k.pem\", \"client_crl_file\": \"c.crl\"}}",
		  "client_crl_file needs client_ca_file" },
		{ "{\"tls\": {\"cert\": \"c.pem\"}}", "unknown key 'cert'" },
		{ "{\"tls\": true}", "'tls' must be an object" },
		{ "{\"listen\": \"0.0.0.0:8420\"}", "allow_plaintext" },
		{ "{\"listen\": \"[::]:8420\"}", "allow_plaintext" },
		{ "{\"listen\": \"10.0.0.5:8420\", \"allow_plaintext\": 1}",
		  "'allow_plaintext' must be true or false" },
	};
	struct config c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_int_gt(load(bad[i].json, &c), 0);
		ck_assert_msg(strstr(msgs, bad[i].needle) != NULL,
		    "'%s' not in '%s'", bad[i].needle, msgs);
		config_free(&c);
	}
	ck_assert_int_eq(load("{\"listen\": \"0.0.0.0:8420\", \"tls\": {"
	    "\"cert_file\": \"c.pem\", \"key_file\": \"/etc/k.pem\", "
	    "\"client_ca_file\": \"ca.pem\", \"client_auth\": "
	    "\"optional\"}}", &c), 0);
	ck_assert_ptr_nonnull(strstr(c.tls_cert_file, dir));
	ck_assert_str_eq(c.tls_cert_file + strlen(dir), "/c.pem");
	ck_assert_str_eq(c.tls_key_file, "/etc/k.pem");
	ck_assert_int_eq(c.tls_client_auth, TLS_CLIENT_OPTIONAL);
	config_free(&c);
	ck_assert_int_eq(load("{\"listen\": \"0.0.0.0:8420\", "
	    "\"allow_plaintext\": true}", &c), 0);
	ck_assert(c.allow_plaintext);
	config_free(&c);
	ck_assert_int_eq(load("{\"listen\": \"127.0.0.2:1\"}", &c), 0);
	config_free(&c);
	ck_assert_int_eq(load("{\"listen\": \"[::1]:1\"}", &c), 0);
	config_free(&c);
}
END_TEST

START_TEST(test_config_refuses_bad_files)
{
	struct config c;
	char path[4200];

	ck_assert_int_gt(load("{\"batch_max\": 1, \"batch_max\": 2}", &c), 0);
	ck_assert_ptr_nonnull(strstr(msgs, "duplicate"));
	config_free(&c);
	ck_assert_int_gt(load("{\"listen\": \"127.0.0.1:8420\"", &c), 0);
	config_free(&c);
	ck_assert_int_gt(load("[]", &c), 0);
	ck_assert_ptr_nonnull(strstr(msgs, "must be a JSON object"));
	config_free(&c);
	ck_assert_int_gt(load("{\"listen\": \"nohostport\"}", &c), 0);
	config_free(&c);
	ck_assert_int_gt(load("{\"checkpoint_export\": {\"file\": \"a\", "
	    "\"dir\": \"b\"}}", &c), 0);
	config_free(&c);
	/* a source whose secret others may read */
	put("open.secret", "x");
	snprintf(path, sizeof(path), "%s/open.secret", dir);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_gt(load("{\"sources\":[{\"name\":\"gh\",\"type\":"
	    "\"github\",\"secret_file\":\"open.secret\"}]}", &c), 0);
	config_free(&c);
	config_defaults(&c);
	snprintf(path, sizeof(path), "%s/missing.json", dir);
	ck_assert_int_eq(config_load(path, &c, collect, NULL), 1);
	config_free(&c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_config_defaults_are_safe);
	tcase_add_test(tc, test_config_loads_every_key);
	tcase_add_test(tc, test_config_reports_every_problem);
	tcase_add_test(tc, test_config_refuses_bad_files);
	tcase_add_test(tc, test_config_tls_and_plaintext);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
