/*
 * test-fastpaths.c - the answers' fast paths give exactly the answers of
 * their plain ones, on random histories:
 * - the state at a moment read by places (schema 8 terms,
 *   lib/report-state.c) and by replaying the whole history (report_walk):
 *   deployments with and without ids, every status, rollbacks with and
 *   without a target, entries that name no service, at every moment, with
 *   windows from one seq up; and a ledger migrated from schema 7;
 * - a population joined a deployment at a time, sixteen at a time, and
 *   with the environment's approvals read at once (lib/report-join.c),
 *   each with the approvals and authors read from schema 12's covering
 *   indexes and through the lookup keys: the deployments and every
 *   exception, whole and in pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ledger/report.h"
#include "ledger/store.h"
#include "report-int.h"
#include "teststore.h"
#include "testutil.h"

#define N 300
#define T0 INT64_C(1767225600000)

static int64_t clock_ms;

static int64_t
sim_clock(void)
{
	return clock_ms;
}

static uint64_t rng = 7;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* One random deployment or rollback at time T0 + 1000 * i. */
static void
add_random(struct ledger_store *s, int i)
{
	static const char *const envs[] = { "environment=prod",
	    "environment=stage" };
	static const char *const svcs[] = { "service=a", "service=b",
	    "service=c", NULL };
	static const char *const statuses[] = { "status=success",
	    "status=success", "status=failure", "status=in_progress",
	    "status=inactive" };
	const char *f[8];
	char dep[32], art[96];
	size_t n = 0;
	bool rollback = rnd(10) < 3;

	clock_ms = T0 + 1000 * (int64_t)i;
	f[n++] = envs[rnd(2)];
	if ((f[n] = svcs[rnd(4)]) != NULL)
		n++;
	snprintf(art, sizeof(art), "artifact=sha256:%064x", rnd(6));
	if (rollback) {
		if (rnd(2))
			f[n++] = art;
	} else {
		f[n++] = statuses[rnd(5)];
		f[n++] = art;
		if (rnd(5) < 2) {
			/* a few ids, so that statuses of one deployment
			 * come apart and together again */
			snprintf(dep, sizeof(dep), "deployment=%u", rnd(4));
			f[n++] = dep;
		}
	}
	f[n] = NULL;
	ts_addv(s, rollback ? LEDGER_KIND_ROLLBACK : LEDGER_KIND_DEPLOYMENT,
	    f);
}

/* The answer in b as a string; b released. */
static char *
take(struct ledger_buf *b)
{
	char *r;

	ck_assert_int_eq(ledger_buf_addc(b, '\0'), LEDGER_OK);
	r = strdup((const char *)b->data);
	ck_assert_ptr_nonnull(r);
	ledger_buf_release(b);
	return r;
}

static char *
state(struct ledger_store *s, const char *env, const char *svc, int64_t at,
    uint64_t window, bool places)
{
	struct ledger_report_opts o;
	struct ledger_buf b = LEDGER_BUF_INIT;

	memset(&o, 0, sizeof(o));
	o.environment = env;
	o.service = svc;
	o.at_ms = at;
	report_tuning.place_window = window;
	report_tuning.no_places = !places;
	ck_assert_int_eq(ledger_state_json(s, &o, &b, NULL, NULL), LEDGER_OK);
	memset(&report_tuning, 0, sizeof(report_tuning));
	return take(&b);
}

START_TEST(test_state_places_equal_the_walk)
{
	static const uint64_t windows[] = { 1, 2, 7, 64, 0 };
	static const char *const envs[] = { "prod", "stage", "nowhere" };
	static const char *const svcs[] = { NULL, "a", "c", "zz" };
	struct ledger_store *s;
	char *want, *got;
	size_t e, k, w, checked = 0, nonempty = 0, rolled = 0;
	int i;

	ts_setup("state.example/log");
	ledger_set_clock(sim_clock);
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	for (i = 0; i < N; i++)
		add_random(s, i);
	for (i = -1; i <= N; i += 7) {
		int64_t at = T0 + 1000 * (int64_t)i + 500;

		for (e = 0; e < 3; e++)
			for (k = 0; k < 4; k++) {
				want = state(s, envs[e], svcs[k], at, 0, false);
				nonempty += strstr(want, "\"seq\"") != NULL;
				rolled += strstr(want, "\"set_by\":"
				    "\"rollback\"") != NULL;
				for (w = 0; w < 5; w++) {
					got = state(s, envs[e], svcs[k], at,
					    windows[w], true);
					ck_assert_msg(strcmp(want, got) == 0,
					    "at %d env %s svc %s window %d:\n"
					    "walk   %s\nplaces %s", i, envs[e],
					    svcs[k] ? svcs[k] : "-",
					    (int)windows[w], want, got);
					free(got);
					checked++;
				}
				free(want);
			}
	}
	/* the histories say something: of the 12 questions at a moment, 6
	 * can name a deployment (not "nowhere", not "zz"); some were set by
	 * a rollback */
	ck_assert_uint_gt(nonempty, checked / 5 / 12 * 4);
	ck_assert_uint_gt(rolled, 10);
	ledger_store_close(s);
	ledger_set_clock(NULL);
	ck_assert_uint_eq(ts_verify_clean(ts_data()), N);
	ts_teardown();
}
END_TEST

/* Make the ledger in data look as schema 7 left it: no schema 8 terms. */
static void
to_schema_7(const char *data)
{
	ts_sql(data, "BEGIN; CREATE VIRTUAL TABLE temp.v USING fts5vocab("
	    "main, entry_keys, instance); CREATE TEMP TABLE t AS SELECT doc, "
	    "group_concat(term, ' ') AS terms FROM temp.v WHERE substr(term, "
	    "1, 1) IN ('h', 'j', 'q', 'x') GROUP BY doc; INSERT INTO "
	    "entry_keys (entry_keys, rowid, k) SELECT 'delete', doc, terms "
	    "FROM t; " TS_UNDO_SCHEMA_12 TS_UNDO_SCHEMA_11 TS_UNDO_SCHEMA_10
	    "PRAGMA user_version = 7; COMMIT;");
}

/* A ledger of schema 7 read as it is answers by the walk and verifies
 * clean; opened to write, it gets its place terms (migration 008), still
 * verifies clean, and answers the same by places. */
START_TEST(test_state_from_schema_7)
{
	struct ledger_store *s;
	char *before, *old, *migrated;
	int i;

	ts_setup("state.example/log");
	ledger_set_clock(sim_clock);
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	for (i = 0; i < 60; i++)
		add_random(s, i);
	before = state(s, "prod", NULL, T0 + 60000, 0, true);
	ledger_store_close(s);
	ck_assert_ptr_nonnull(strstr(before, "\"seq\""));

	to_schema_7(ts_data());
	ck_assert_uint_eq(ts_verify_clean(ts_data()), 60);
	ck_assert_int_eq(ledger_store_open(ts_data(), LEDGER_STORE_READONLY,
	    &s, NULL), LEDGER_OK);
	old = state(s, "prod", NULL, T0 + 60000, 0, true);
	/* by service too (the review found it answered nothing here) */
	for (i = 0; i < 3; i++) {
		static const char *const svc[] = { "a", "b", "c" };
		char *w, *p;

		w = state(s, "prod", svc[i], T0 + 60000, 0, false);
		ledger_store_close(s);
		ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL),
		    LEDGER_OK);
		ledger_store_close(s);
		to_schema_7(ts_data());
		ck_assert_int_eq(ledger_store_open(ts_data(),
		    LEDGER_STORE_READONLY, &s, NULL), LEDGER_OK);
		p = state(s, "prod", svc[i], T0 + 60000, 0, true);
		ck_assert_str_eq(p, w);
		free(w);
		free(p);
	}
	ledger_store_close(s);
	ck_assert_str_eq(old, before);

	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(ts_data()), 60);
	ck_assert_int_eq(ledger_store_open(ts_data(), LEDGER_STORE_READONLY,
	    &s, NULL), LEDGER_OK);
	migrated = state(s, "prod", NULL, T0 + 60000, 1, true);
	ledger_store_close(s);
	ck_assert_str_eq(migrated, before);
	free(before);
	free(old);
	free(migrated);
	ledger_set_clock(NULL);
	ts_teardown();
}
END_TEST

static char *
answer(struct ledger_store *s, const char *env, int exc, size_t limit,
    uint64_t start)
{
	struct ledger_report_opts o;
	struct ledger_buf b = LEDGER_BUF_INIT;

	memset(&o, 0, sizeof(o));
	o.environment = env;
	o.from_ms = T0;
	o.to_ms = T0 + 1000 * 1000;
	o.limit = limit;
	o.start_seq = start;
	ck_assert_int_eq(exc == 0 ? ledger_deployments_json(s, &o, &b, NULL,
	    NULL) : ledger_exceptions_json(s, &o, (unsigned)exc, &b, NULL,
	    NULL), LEDGER_OK);
	return take(&b);
}

/* One random entry of a delivery history at time T0 + 1000 * i: builds
 * and changes (authors), approvals and rejections by artifact, run or
 * commit, deployments naming some of the three, rollbacks. */
static void
add_delivery(struct ledger_store *s, int i)
{
	static const enum ledger_kind kinds[] = { LEDGER_KIND_BUILD,
	    LEDGER_KIND_CHANGE, LEDGER_KIND_APPROVAL, LEDGER_KIND_APPROVAL,
	    LEDGER_KIND_DEPLOYMENT, LEDGER_KIND_DEPLOYMENT,
	    LEDGER_KIND_DEPLOYMENT, LEDGER_KIND_ROLLBACK };
	static const char *const actors[] = { "actor=dev1", "actor=dev2",
	    "actor=lead", "actor=ops1", "actor=ops2" };
	static const char *const words[] = { "status=approved",
	    "status=approved", "status=rejected", "status=success",
	    "status=failure" };
	enum ledger_kind k = kinds[rnd(8)];
	char c[64], a[96], r[32];

	const char *f[10];
	size_t n = 0;

	clock_ms = T0 + 1000 * (int64_t)i;
	{
		/* 40 of one hex digit; a deployment may name it by its first
		 * 7 (a prefix), or its digest without sha256: in upper case */
		unsigned d = rnd(9), x = rnd(7);

		memset(c, 0, sizeof(c));
		memcpy(c, "commit=", 7);
		memset(c + 7, "123456789"[d], 40);
		if (k == LEDGER_KIND_DEPLOYMENT && rnd(3) == 0)
			c[7 + 7] = '\0';
		if (k == LEDGER_KIND_DEPLOYMENT && rnd(4) == 0)
			snprintf(a, sizeof(a), "artifact=%064X", x + 10);
		else
			snprintf(a, sizeof(a), "artifact=sha256:%064x", x + 10);
	}
	snprintf(r, sizeof(r), "run=%u", rnd(8));
	f[n++] = actors[rnd(5)];
	if (k == LEDGER_KIND_BUILD || k == LEDGER_KIND_CHANGE) {
		f[n++] = c;
	} else {
		f[n++] = rnd(3) ? "environment=prod" : "environment=stage";
		if (rnd(3))
			f[n++] = a;
		if (rnd(2))
			f[n++] = r;
		if (rnd(2))
			f[n++] = c;
		if (k == LEDGER_KIND_APPROVAL)
			f[n++] = words[rnd(3)];
		if (k == LEDGER_KIND_DEPLOYMENT)
			f[n++] = words[3 + rnd(2)];
		if (k != LEDGER_KIND_APPROVAL)
			f[n++] = "service=pay";
	}
	f[n] = NULL;
	ts_addv(s, k, f);
}

/* Where a and b first differ (check packs at most a few KiB of message). */
static size_t
first_diff(const char *a, const char *b)
{
	size_t i;

	for (i = 0; a[i] != '\0' && a[i] == b[i]; i++)
		;
	return i < 200 ? 0 : i - 200;
}

static void
tune(size_t preload_at, bool one_at_a_time)
{
	report_tuning.preload_at = preload_at;
	report_tuning.one_at_a_time = one_at_a_time;
	report_tuning.no_narrow = false;
}

/* The plain path: one deployment at a time, through the lookup keys. */
static void
tune_plain(void)
{
	tune(0, true);
	report_tuning.no_narrow = true;
}

/* Fast path m: sixteen at a time; all approvals at once; the same through
 * the lookup keys instead of the covering indexes (schema 12). */
#define FAST_MODES 3
static void
tune_fast(int m)
{
	tune(m ? 1 : 0, false);
	report_tuning.no_narrow = m == 2;
}

START_TEST(test_joins_equal_one_at_a_time)
{
	static const char *const envs[] = { "prod", "stage", NULL };
	struct ledger_store *s;
	char *want, *got;
	int i, e, exc, mode, exceptions = 0;

	ts_setup("joins.example/log");
	ledger_set_clock(sim_clock);
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	for (i = 0; i < 500; i++)
		add_delivery(s, i);
	for (e = 0; e < 3; e++)
		for (exc = e == 2 ? 1 : 0; exc <= LEDGER_EXC_SELF;
		    exc = exc ? exc << 1 : 1) {
			tune_plain();
			want = answer(s, envs[e], exc, 0, 0);
			exceptions += exc != 0 && strstr(want, "\"evidence\"");
			for (mode = 0; mode < FAST_MODES; mode++) {
				tune_fast(mode);
				got = answer(s, envs[e], exc, 0, 0);
				ck_assert_msg(strcmp(want, got) == 0, "env %s "
				    "exc %d mode %d: they differ from byte %zu:"
				    "\none %.300s\nfast %.300s",
				    envs[e] ? envs[e] : "-", exc, mode,
				    first_diff(want, got),
				    want + first_diff(want, got),
				    got + first_diff(want, got));
				free(got);
			}
			free(want);
		}
	/* a page from the middle, each way */
	tune_plain();
	want = answer(s, "prod", 0, 7, 200);
	ck_assert_ptr_nonnull(strstr(want, "\"next_after\""));
	for (mode = 0; mode < FAST_MODES; mode++) {
		tune_fast(mode);
		got = answer(s, "prod", 0, 7, 200);
		ck_assert_str_eq(got, want);
		free(got);
	}
	free(want);
	tune(0, false);
	/* every exception occurs somewhere */
	ck_assert_int_ge(exceptions, 8);
	ledger_store_close(s);
	ledger_set_clock(NULL);
	ts_teardown();
}
END_TEST

/* A deployment naming its commit by a prefix still finds the commit's
 * authors (a build's actor approving it is self-approval), alone and in a
 * population's batch; and a population of more than sixteen deployments
 * with bare upper-case digests (two query values each) still answers. */
#define D64 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

START_TEST(test_joins_short_commit_and_digests)
{
	struct ledger_store *s;
	char *got;
	char dig[96];
	int i, mode;

	ts_setup("joins2.example/log");
	ledger_set_clock(sim_clock);
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	clock_ms = T0;
	ts_add(s, LEDGER_KIND_BUILD, "commit=abc1234def0000000000000000000000"
	    "00000000", "actor=alice", NULL);
	ts_add(s, LEDGER_KIND_APPROVAL, "environment=prod", "actor=alice",
	    "status=approved", "artifact=sha256:" D64, NULL);
	clock_ms = T0 + 1000;
	ts_add(s, LEDGER_KIND_DEPLOYMENT, "environment=prod", "service=pay",
	    "status=success", "actor=bob", "commit=abc1234",
	    "artifact=sha256:" D64, NULL);
	for (i = 0; i < 20; i++) {
		clock_ms = T0 + 2000 + i;
		snprintf(dig, sizeof(dig), "artifact=%064X", 0xABCDEF00u + i);
		ts_add(s, LEDGER_KIND_DEPLOYMENT, "environment=prod",
		    "service=web", "status=success", "actor=bob", dig, NULL);
	}
	for (mode = 0; mode < 4; mode++) {
		tune(mode >= 2 ? 1 : 0, mode == 0);
		report_tuning.no_narrow = mode == 3;
		got = answer(s, "prod", LEDGER_EXC_SELF, 0, 0);
		ck_assert_msg(strstr(got, "\"commit\":\"abc1234\"") != NULL,
		    "mode %d: %s", mode, got);
		free(got);
		got = answer(s, "prod", 0, 0, 0);
		ck_assert_ptr_nonnull(strstr(got, "\"count\":21"));
		free(got);
	}
	tune(0, false);
	ledger_store_close(s);
	ledger_set_clock(NULL);
	ts_teardown();
}
END_TEST

/* The covering indexes feed the answers, so verify checks them: an
 * index rebuilt behind SQLite's back without one deployment (its schema
 * text put back, so it looks as migration 012 made it) hides that
 * deployment from the population, and verify names it by its seq. */
START_TEST(test_verify_names_a_row_hidden_from_an_index)
{
	struct ledger_verify_report rep;
	struct ledger_store *s;
	struct ts_seen sn;
	char sql[1024], *got;
	uint64_t seq[3];
	int i;

	ts_setup("hidden.example/log");
	ledger_set_clock(sim_clock);
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	for (i = 0; i < 3; i++) {
		clock_ms = T0 + 1000 * i;
		seq[i] = ts_add(s, LEDGER_KIND_DEPLOYMENT, "environment=prod",
		    "service=pay", "status=success", "actor=bob", NULL);
	}
	got = answer(s, "prod", 0, 0, 0);
	ck_assert_ptr_nonnull(strstr(got, "\"count\":3"));
	free(got);
	ledger_store_close(s);
	snprintf(sql, sizeof(sql), "CREATE TEMP TABLE saved AS SELECT sql "
	    "FROM sqlite_schema WHERE name = 'entries_deployments'; BEGIN; "
	    "DROP INDEX entries_deployments; CREATE INDEX entries_deployments "
	    "ON entries (environment, seq, kind, time_ms, source_name, "
	    "source_type, auth, actor, artifact, commit_id, deployment, "
	    "pipeline, run, service, status, ticket, url) WHERE kind IN "
	    "('deployment', 'rollback') AND seq <> %llu; PRAGMA "
	    "writable_schema = ON; UPDATE sqlite_schema SET sql = (SELECT sql "
	    "FROM temp.saved) WHERE name = 'entries_deployments'; COMMIT;",
	    (unsigned long long)seq[1]);
	ts_sql(ts_data(), sql);
	ck_assert_int_eq(ledger_store_open(ts_data(), LEDGER_STORE_READONLY,
	    &s, NULL), LEDGER_OK);
	got = answer(s, "prod", 0, 0, 0);
	ck_assert_msg(strstr(got, "\"count\":2") != NULL, "%s", got);
	free(got);
	ledger_store_close(s);
	rep = ts_verify_seen(ts_data(), NULL, &sn);
	ck_assert_uint_ge(rep.problems, 1);
	ck_assert(rep.has_first_bad);
	ck_assert_uint_eq(rep.first_bad_seq, seq[1]);
	ck_assert_uint_ge(sn.n, 1);
	ck_assert_uint_eq(sn.seq[0], seq[1]);
	ck_assert_int_eq(sn.p[0], LEDGER_PROB_INDEX_MISMATCH);
	ledger_set_clock(NULL);
	ts_teardown();
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("fastpaths");
	TCase *tc = tcase_create("answers");

	tcase_add_test(tc, test_state_places_equal_the_walk);
	tcase_add_test(tc, test_state_from_schema_7);
	tcase_add_test(tc, test_joins_equal_one_at_a_time);
	tcase_add_test(tc, test_joins_short_commit_and_digests);
	tcase_add_test(tc, test_verify_names_a_row_hidden_from_an_index);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
