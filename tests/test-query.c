/* test-query.c - listing filters: parsed, normalized, ORed, matched,
 * encoded; and the one JSON object of a signed entry */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "ledger/query.h"
#include "ledger/wire.h"
#include "ledger/store.h"
#include "teststore.h"
#include "testutil.h"

static const char *data;		/* this test's ledger (teststore.h) */

static void
setup(void)
{
	ts_setup("t.example/log");
	data = ts_data();
}

static void
param_ok(struct ledger_query *q, const char *name, const char *value)
{
	struct ledger_error err;

	ck_assert_msg(ledger_query_param(q, name, value, &err) == LEDGER_OK,
	    "%s=%s: %s", name, value, err.msg);
}

static enum ledger_status
param_err(struct ledger_query *q, const char *name, const char *value,
    const char *want)
{
	struct ledger_error err;
	enum ledger_status st = ledger_query_param(q, name, value, &err);

	ck_assert_int_ne(st, LEDGER_OK);
	ck_assert_msg(strstr(err.msg, want) != NULL, "%s=%s: '%s' lacks '%s'",
	    name, value, err.msg, want);
	return st;
}

START_TEST(test_query_params)
{
	struct ledger_query q;
	struct ledger_error err;

	ledger_query_init(&q);
	param_ok(&q, "kind", "deployment");
	param_ok(&q, "kind", "rollback");
	ck_assert_uint_eq(q.kinds, (1u << LEDGER_KIND_DEPLOYMENT) |
	    (1u << LEDGER_KIND_ROLLBACK));
	param_ok(&q, "env", "Production");		/* normalized */
	param_ok(&q, "environment", " staging ");
	ck_assert_uint_eq(q.subject[LEDGER_SUBJ_ENVIRONMENT].n, 2);
	ck_assert_str_eq(q.subject[LEDGER_SUBJ_ENVIRONMENT].v[0].s,
	    "production");
	ck_assert_str_eq(q.subject[LEDGER_SUBJ_ENVIRONMENT].v[1].s,
	    "staging");
	param_ok(&q, "env", "PRODUCTION");		/* same value: once */
	ck_assert_uint_eq(q.subject[LEDGER_SUBJ_ENVIRONMENT].n, 2);
	param_ok(&q, "commit", "3F2C9AB");		/* prefix, lower case */
	ck_assert_str_eq(q.subject[LEDGER_SUBJ_COMMIT].v[0].s, "3f2c9ab");
	ck_assert_int_eq(q.subject[LEDGER_SUBJ_COMMIT].v[0].how,
	    LEDGER_MATCH_PREFIX);
	param_ok(&q, "commit",
	    "3F2C9AB00000000000000000000000000000000A");	/* 40: exact */
	ck_assert_int_eq(q.subject[LEDGER_SUBJ_COMMIT].v[1].how,
	    LEDGER_MATCH_EXACT);
	param_err(&q, "commit", "3f2c9a", "at least 7");
	param_ok(&q, "artifact", "SHA256:" "ABCDEF0123456789ABCDEF0123456789"
	    "ABCDEF0123456789ABCDEF0123456789");
	ck_assert_str_eq(q.subject[LEDGER_SUBJ_ARTIFACT].v[0].s, "sha256:"
	    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	param_ok(&q, "artifact", "ABCDEF0123456789ABCDEF0123456789"
	    "ABCDEF0123456789ABCDEF0123456789");
	/* the bare upper-case form as it is (ingest keeps it so), and the
	 * digest in either spelling */
	ck_assert_int_eq(q.subject[LEDGER_SUBJ_ARTIFACT].v[1].how,
	    LEDGER_MATCH_EXACT);
	ck_assert_str_eq(q.subject[LEDGER_SUBJ_ARTIFACT].v[1].s,
	    "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789");
	ck_assert_int_eq(q.subject[LEDGER_SUBJ_ARTIFACT].v[2].how,
	    LEDGER_MATCH_DIGEST);
	ck_assert_str_eq(q.subject[LEDGER_SUBJ_ARTIFACT].v[2].s,
	    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	param_ok(&q, "since", "2026-11-22T02:00Z");
	param_err(&q, "since", "2026-11-22T03:00Z", "given twice");
	param_ok(&q, "after", "7");
	param_err(&q, "after_seq", "8", "given twice");
	param_err(&q, "limit", "-1", "integer");
	param_err(&q, "kind", "deploy", "kind");
	ck_assert_int_eq(param_err(&q, "colour", "red", "unknown parameter"),
	    LEDGER_ENOTFOUND);
	param_err(&q, "actor", NULL, "needs a value");
	param_err(&q, "actor", "", "actor");
	param_err(&q, "actor", "a\x1b[2Jb", "actor");
	ck_assert_int_eq(ledger_query_check(&q, &err), LEDGER_OK);
	param_ok(&q, "until", "2026-11-22T01:00Z");
	ck_assert_int_eq(ledger_query_check(&q, &err), LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "after"));
	ledger_query_release(&q);
	ck_assert_uint_eq(q.kinds, 0);
	ck_assert_int_eq(q.after_seq, -1);
}
END_TEST

START_TEST(test_query_value_limit)
{
	struct ledger_query q;
	char v[32];
	int i;

	ledger_query_init(&q);
	for (i = 0; i < LEDGER_QUERY_VALUES_MAX; i++) {
		snprintf(v, sizeof(v), "svc-%d", i);
		param_ok(&q, "service", v);
	}
	param_err(&q, "service", "one-more", "more than");
	ledger_query_release(&q);
}
END_TEST

/* A page's two parameters: a seq and a row count, nothing else. */
START_TEST(test_query_page_parse)
{
	static const char *const bad_after[] = { "", "-1", "+3", "1x", " 1",
	    "9223372036854775807", "99999999999999999999", NULL };
	static const char *const bad_limit[] = { "", "0", "100001", "-5",
	    "1.5", "ten", NULL };
	struct ledger_error err;
	uint64_t start = 7;
	size_t limit = 7, i;

	ck_assert_int_eq(ledger_page_parse(NULL, NULL, &start, &limit, &err),
	    LEDGER_OK);
	ck_assert_uint_eq(start, 7);	/* untouched when not given */
	ck_assert_uint_eq(limit, 7);
	ck_assert_int_eq(ledger_page_parse("41", "100000", &start, &limit,
	    &err), LEDGER_OK);
	ck_assert_uint_eq(start, 42);
	ck_assert_uint_eq(limit, 100000);
	for (i = 0; bad_after[i] != NULL; i++) {
		ck_assert_msg(ledger_page_parse(bad_after[i], NULL, &start,
		    &limit, &err) == LEDGER_EINVAL, "%s", bad_after[i]);
		ck_assert_ptr_nonnull(strstr(err.msg, "after"));
	}
	for (i = 0; bad_limit[i] != NULL; i++) {
		ck_assert_msg(ledger_page_parse(NULL, bad_limit[i], &start,
		    &limit, &err) == LEDGER_EINVAL, "%s", bad_limit[i]);
		ck_assert_ptr_nonnull(strstr(err.msg, "limit"));
	}
}
END_TEST

/* Lists of seqs: items and ranges, a limit, blank lines in a file. */
START_TEST(test_seqs_parse)
{
	static const char *const bad[] = { "", "x", "1-", "-3", "5-2",
	    "1,,2", " 1", "1-2-3", "99999999999999999999",
	    "9223372036854775807", NULL };
	struct ledger_seqs q = LEDGER_SEQS_INIT;
	struct ledger_error err;
	size_t i;

	ck_assert_int_eq(ledger_seqs_parse(&q, "9,3-5,4", ',', 100, &err),
	    LEDGER_OK);
	ck_assert_uint_eq(q.n, 5);
	ledger_seqs_sort_unique(&q);
	ck_assert_uint_eq(q.n, 4);
	ck_assert(q.v[0] == 3 && q.v[1] == 4 && q.v[2] == 5 && q.v[3] == 9);
	ck_assert_int_eq(ledger_seqs_parse(&q, "\n7\r\n\n8-9\n", '\n', 100,
	    &err), LEDGER_OK);
	ck_assert_uint_eq(q.n, 7);
	ck_assert_int_eq(ledger_seqs_parse(&q, "0-93", ',', 100, &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "more than 100"));
	ck_assert_int_eq(ledger_seqs_parse(&q, "0-92", ',', 100, &err),
	    LEDGER_OK);
	ck_assert_uint_eq(q.n, 100);
	ledger_seqs_release(&q);
	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_msg(ledger_seqs_parse(&q, bad[i], ',', 100, &err) ==
		    LEDGER_EINVAL || bad[i][0] == '\0', "%s", bad[i]);
		ledger_seqs_release(&q);
	}
	/* an empty list selects nothing (the caller says so) */
	ck_assert_int_eq(ledger_seqs_parse(&q, "", ',', 100, &err),
	    LEDGER_OK);
	ck_assert_uint_eq(q.n, 0);
}
END_TEST

START_TEST(test_query_match)
{
	struct ledger_query q;
	struct ledger_entry e;

	memset(&e, 0, sizeof(e));
	e.kind = LEDGER_KIND_DEPLOYMENT;
	e.time_ms = 1000;
	e.source[LEDGER_SRC_NAME] = "gh";
	e.subject[LEDGER_SUBJ_COMMIT] =
	    "3f2c9ab0000000000000000000000000000000aa";
	e.subject[LEDGER_SUBJ_ARTIFACT] = "sha256:"
	    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
	ledger_query_init(&q);
	ck_assert(ledger_query_match(&q, &e));
	param_ok(&q, "kind", "rollback");
	ck_assert(!ledger_query_match(&q, &e));
	param_ok(&q, "kind", "deployment");
	ck_assert(ledger_query_match(&q, &e));
	param_ok(&q, "commit", "3F2C9AB");
	ck_assert(ledger_query_match(&q, &e));
	param_ok(&q, "artifact", "ABCDEF0123456789ABCDEF0123456789"
	    "ABCDEF0123456789ABCDEF0123456789");
	ck_assert(ledger_query_match(&q, &e));
	param_ok(&q, "source", "gl");
	ck_assert(!ledger_query_match(&q, &e));	/* gl only */
	param_ok(&q, "source", "gh");
	ck_assert(ledger_query_match(&q, &e));	/* gl or gh */
	param_ok(&q, "env", "production");	/* the entry has none */
	ck_assert(!ledger_query_match(&q, &e));
	ledger_query_release(&q);
	param_ok(&q, "commit", "3f2c9ac");
	ck_assert(!ledger_query_match(&q, &e));
	ledger_query_release(&q);
	q.since_ms = 1000;
	q.until_ms = 1001;
	ck_assert(ledger_query_match(&q, &e));
	q.until_ms = 1000;
	ck_assert(!ledger_query_match(&q, &e));
}
END_TEST

/* The encoded form reads back to the same filter, every value intact. */
START_TEST(test_query_encode_round_trip)
{
	struct ledger_query q, back;
	struct ledger_buf b = LEDGER_BUF_INIT;
	char *copy, *p, *eq, *amp;
	int i;

	ledger_query_init(&q);
	ledger_query_init(&back);
	param_ok(&q, "kind", "build");
	param_ok(&q, "kind", "test");
	param_ok(&q, "actor", "al ice & bob=1 \xc3\xa9");
	param_ok(&q, "commit", "abcdef1");
	param_ok(&q, "source", "git/lab");
	param_ok(&q, "since", "2026-11-22T02:00:00.5Z");
	ck_assert_int_eq(ledger_query_encode(&q, &b, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_buf_addc(&b, '\0'), LEDGER_OK);
	ck_assert_ptr_null(strchr(b.data, ' '));
	copy = strdup(b.data);
	for (p = copy + 1; p != NULL; p = amp ? amp + 1 : NULL) {
		char val[256];
		size_t k = 0;
		const char *s;

		amp = strchr(p, '&');
		if (amp)
			*amp = '\0';
		eq = strchr(p, '=');
		ck_assert_ptr_nonnull(eq);
		*eq = '\0';
		for (s = eq + 1; *s; s++) {
			unsigned x;

			if (*s == '%') {
				ck_assert_int_eq(sscanf(s + 1, "%2x", &x), 1);
				val[k++] = (char)x;
				s += 2;
			} else
				val[k++] = *s;
		}
		val[k] = '\0';
		param_ok(&back, p, val);
	}
	free(copy);
	ck_assert_uint_eq(back.kinds, q.kinds);
	ck_assert_int_eq(back.since_ms, q.since_ms);
	ck_assert_str_eq(back.source.v[0].s, "git/lab");
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		ck_assert_uint_eq(back.subject[i].n, q.subject[i].n);
	ck_assert_str_eq(back.subject[LEDGER_SUBJ_ACTOR].v[0].s,
	    "al ice & bob=1 \xc3\xa9");
	ck_assert_int_eq(back.subject[LEDGER_SUBJ_COMMIT].v[0].how,
	    LEDGER_MATCH_PREFIX);
	ledger_buf_release(&b);
	ledger_query_release(&q);
	ledger_query_release(&back);
}
END_TEST

static struct ledger_event *
ev_of(enum ledger_kind k, const char *env, const char *commit)
{
	struct ledger_event *ev;

	ck_assert_int_eq(ledger_event_new(&ev, NULL), LEDGER_OK);
	ev->e.kind = k;
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_NAME, "ci",
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_TYPE,
	    "generic", NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_subject(ev,
	    LEDGER_SUBJ_ENVIRONMENT, env, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_subject(ev, LEDGER_SUBJ_COMMIT,
	    commit, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_payload(ev, "{}", 2,
	    "application/json", NULL), LEDGER_OK);
	return ev;
}

static int
collect(void *ctx, const struct ledger_row *r)
{
	struct ledger_buf *b = ctx;

	return ledger_buf_addf(b, "%llu,", (unsigned long long)r->e.seq) ?
	    1 : 0;
}

static void
expect(struct ledger_store *s, const struct ledger_query *q,
    const char *want)
{
	struct ledger_buf b = LEDGER_BUF_INIT;

	ck_assert_int_eq(ledger_store_query(s, q, collect, &b, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_buf_addc(&b, '\0'), LEDGER_OK);
	ck_assert_str_eq(b.data, want);
	ledger_buf_release(&b);
}

/* Through the store: repeated values are ORed, none is dropped; the
 * answers are those of ledger_query_match over every entry. */
START_TEST(test_query_store_or_and_prefix)
{
	static const char *const c[] = {
	    "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "1111111bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	    "2222222aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	enum ledger_kind k[] = { LEDGER_KIND_DEPLOYMENT, LEDGER_KIND_ROLLBACK,
	    LEDGER_KIND_BUILD };
	struct ledger_event *evs[9];
	struct ledger_receipt r[9];
	struct ledger_store *s;
	struct ledger_query q;
	int i;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	for (i = 0; i < 9; i++)
		evs[i] = ev_of(k[i % 3], i < 5 ? "Production" : "staging",
		    c[i / 3]);
	ck_assert_int_eq(ledger_store_append(s, evs, 9, r, NULL), LEDGER_OK);
	for (i = 0; i < 9; i++)
		ledger_event_free(evs[i]);
	ledger_query_init(&q);
	param_ok(&q, "kind", "deployment");
	expect(s, &q, "0,3,6,");
	param_ok(&q, "kind", "rollback");
	expect(s, &q, "0,1,3,4,6,7,");
	param_ok(&q, "env", "PRODUCTION");
	expect(s, &q, "0,1,3,4,");
	param_ok(&q, "env", "staging");
	expect(s, &q, "0,1,3,4,6,7,");
	ledger_query_release(&q);
	param_ok(&q, "commit", "1111111");
	expect(s, &q, "0,1,2,3,4,5,");
	param_ok(&q, "kind", "build");
	expect(s, &q, "2,5,");
	ledger_query_release(&q);
	param_ok(&q, "commit", "2222222AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	param_ok(&q, "commit", "1111111BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
	expect(s, &q, "3,4,5,6,7,8,");
	q.limit = 2;
	expect(s, &q, "3,4,");
	q.after_seq = 4;
	expect(s, &q, "5,6,");
	ledger_query_release(&q);
	/* a prefix has no lookup key: the range is scanned, within a
	 * budget, and the page says where to go on */
	param_ok(&q, "commit", "2222222");
	{
		struct ledger_buf b = LEDGER_BUF_INIT;
		int64_t resume;

		ck_assert_int_eq(ledger_store_query_page(s, &q, collect, &b, 4,
		    &resume, NULL), LEDGER_OK);
		ck_assert_int_eq(resume, 3);	/* read 0..3, found none */
		ck_assert_uint_eq(b.len, 0);
		q.after_seq = resume;
		ck_assert_int_eq(ledger_store_query_page(s, &q, collect, &b, 4,
		    &resume, NULL), LEDGER_OK);
		ck_assert_int_eq(resume, 7);	/* read 4..7: 6, 7 */
		q.after_seq = resume;
		ck_assert_int_eq(ledger_store_query_page(s, &q, collect, &b, 4,
		    &resume, NULL), LEDGER_OK);
		ck_assert_int_eq(resume, -1);	/* the end: 8 */
		ck_assert_int_eq(ledger_buf_addc(&b, '\0'), LEDGER_OK);
		ck_assert_str_eq(b.data, "6,7,8,");
		ledger_buf_release(&b);
	}
	ledger_query_release(&q);
	ledger_store_close(s);
}
END_TEST

struct scan {
	const struct ledger_query *q;
	struct ledger_buf *b;
};

static int
scan_row(void *ctx, const struct ledger_row *r)
{
	struct scan *sc = ctx;

	return ledger_query_match(sc->q, &r->e) ? collect(sc->b, r) : 0;
}

/* What the terms find equals what a scan of every entry finds. */
static void
same_as_scan(struct ledger_store *s, const struct ledger_query *q)
{
	struct ledger_buf a = LEDGER_BUF_INIT, b = LEDGER_BUF_INIT;
	struct ledger_query all;
	struct scan sc = { q, &b };

	ledger_query_init(&all);
	ck_assert_int_eq(ledger_store_query(s, q, collect, &a, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_store_query(s, &all, scan_row, &sc, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_buf_addc(&a, '\0'), LEDGER_OK);
	ck_assert_int_eq(ledger_buf_addc(&b, '\0'), LEDGER_OK);
	ck_assert_str_eq(a.data, b.data);
	ck_assert_uint_gt(a.len, 1);	/* each question finds something */
	ledger_buf_release(&a);
	ledger_buf_release(&b);
}

static int
segments(void)
{
	char path[4200];
	sqlite3 *db;
	sqlite3_stmt *st;
	int n;

	snprintf(path, sizeof(path), "%s/ledger.db", data);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(DISTINCT segid)"
	    " FROM entry_keys_idx", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* A kind and a commit, digest or run read through schema 8's kind terms
 * (one kind) or the plain ones (several): the same entries a scan finds,
 * before and after the key index is merged (one segment a commit, then
 * a few) and after it is settled (one), and the ledger verifies clean. */
START_TEST(test_query_kind_terms_and_merge)
{
	static const enum ledger_kind k[] = { LEDGER_KIND_BUILD,
	    LEDGER_KIND_APPROVAL, LEDGER_KIND_DEPLOYMENT, LEDGER_KIND_CHANGE };
	/* kind; then the field and which value: commit, digest with its
	 * sha256: prefix, run, digest without it */
	static const char *const qs[][2] = {
	    { "build", "commit" }, { "approval", "artifact" },
	    { "deployment", "run" }, { "change", "artifact" },
	    { "build", "commit" },	/* and change: two kinds */
	};
	struct ledger_event *ev;
	struct ledger_receipt r;
	struct ledger_store *s;
	struct ledger_query q;
	char c[41], d[80], v[100];
	int i, j, pass, before, after, steps;
	bool started;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	for (i = 0; i < 240; i++) {
		snprintf(c, sizeof(c), "%040x", i % 5);
		ev = ev_of(k[i % 4], "prod", c);
		snprintf(d, sizeof(d), "sha256:%064x", i % 3);
		snprintf(v, sizeof(v), "r-%d", i % 7);
		ck_assert_int_eq(ledger_event_set_subject(ev,
		    LEDGER_SUBJ_ARTIFACT, d, NULL), LEDGER_OK);
		ck_assert_int_eq(ledger_event_set_subject(ev, LEDGER_SUBJ_RUN, v,
		    NULL), LEDGER_OK);
		ck_assert_int_eq(ledger_store_append(s, &ev, 1, &r, NULL),
		    LEDGER_OK);
		ledger_event_free(ev);
	}
	before = segments();
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < 5; i++)
			for (j = 0; j < (int)(sizeof(qs) / sizeof(*qs)); j++) {
				if (j == 0 || j == 4)
					snprintf(v, sizeof(v), "%040x", i);
				else if (j == 1)
					snprintf(v, sizeof(v), "sha256:%064x",
					    i % 3);
				else if (j == 2)
					snprintf(v, sizeof(v), "r-%d", i);
				else
					snprintf(v, sizeof(v), "%064x", i % 3);
				ledger_query_init(&q);
				param_ok(&q, "kind", qs[j][0]);
				if (j == 4)
					param_ok(&q, "kind", "change");
				param_ok(&q, qs[j][1], v);
				same_as_scan(s, &q);
				ledger_query_release(&q);
			}
		if (pass == 2)
			break;
		if (pass == 1) {
			/* three more commits: merged, a segment of their
			 * own beside the big one; settled: one segment, after
			 * a settle step and the merge steps that finish it */
			for (i = 0; i < 3; i++) {
				ev = ev_of(k[i], "prod", c);
				ck_assert_int_eq(ledger_store_append(s, &ev, 1,
				    &r, NULL), LEDGER_OK);
				ledger_event_free(ev);
			}
			for (steps = 0; steps < 50; steps++)
				ck_assert_int_eq(ledger_store_merge_keys(s, 8,
				    NULL), LEDGER_OK);
			ck_assert_int_gt(segments(), 1);
			ck_assert_int_eq(ledger_store_settle_keys(s, 8,
			    &started, NULL), LEDGER_OK);
			ck_assert(started);
			for (steps = 0; steps < 50 && segments() > 1; steps++)
				ck_assert_int_eq(ledger_store_merge_keys(s, 8,
				    NULL), LEDGER_OK);
			ck_assert_int_eq(segments(), 1);
			continue;
		}
		for (steps = 0; steps < 50; steps++)
			ck_assert_int_eq(ledger_store_merge_keys(s, 8, NULL),
			    LEDGER_OK);
		after = segments();
		ck_assert_msg(after < before && after <= 8,
		    "segments: %d before, %d after", before, after);
	}
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(data), 243);
	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_READONLY, &s,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_merge_keys(s, 8, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_store_settle_keys(s, 8, &started, NULL),
	    LEDGER_EINVAL);
	ck_assert(!started);
	ledger_store_close(s);
}
END_TEST

/* When ledgerd settles the key index: after a quiet spell of
 * LEDGER_SETTLE_QUIET_TICKS ticks, once per spell, only when enough was
 * appended since the last settle (1,000 entries and a sixteenth of the
 * log), and afresh for another log. */
static int
quiet_ticks_until_due(struct ledger_keys_settle *st, uint64_t size,
    int max)
{
	int i;

	for (i = 1; i <= max; i++)
		if (ledger_keys_settle_due(st, size)) {
			ledger_keys_settled(st);
			return i;
		}
	return 0;
}

START_TEST(test_query_settle_policy)
{
	struct ledger_keys_settle st = { 0, 0, 0 };
	int i;

	/* a new log of 500: too little; 5,000: the first spell settles */
	ck_assert_int_eq(quiet_ticks_until_due(&st, 500, 200), 0);
	ck_assert(!ledger_keys_settle_due(&st, 5000));	/* it grew */
	ck_assert_int_eq(quiet_ticks_until_due(&st, 5000, 200),
	    LEDGER_SETTLE_QUIET_TICKS);
	/* once per spell */
	ck_assert_int_eq(quiet_ticks_until_due(&st, 5000, 500), 0);
	/* an append resets the spell; 5,900 is less than 1,000 more */
	ck_assert(!ledger_keys_settle_due(&st, 5900));
	ck_assert_int_eq(quiet_ticks_until_due(&st, 5900, 200), 0);
	ck_assert(!ledger_keys_settle_due(&st, 6000));
	ck_assert_int_eq(quiet_ticks_until_due(&st, 6000, 200),
	    LEDGER_SETTLE_QUIET_TICKS);
	/* at a million: a sixteenth of the log (1,060,000 is too soon) */
	st.settled = st.size = 1000000;
	ck_assert(!ledger_keys_settle_due(&st, 1060000));
	ck_assert_int_eq(quiet_ticks_until_due(&st, 1060000, 200), 0);
	ck_assert(!ledger_keys_settle_due(&st, 1070000));
	ck_assert_int_eq(quiet_ticks_until_due(&st, 1070000, 200),
	    LEDGER_SETTLE_QUIET_TICKS);
	/* a settle that failed (not marked settled) is asked for again in
	 * the next quiet spell, not only after another sixteenth */
	ck_assert(!ledger_keys_settle_due(&st, 1150000));
	for (i = 0; i < LEDGER_SETTLE_QUIET_TICKS - 1; i++)
		ck_assert(!ledger_keys_settle_due(&st, 1150000));
	ck_assert(ledger_keys_settle_due(&st, 1150000));
	ck_assert(!ledger_keys_settle_due(&st, 1150001));
	ck_assert_int_eq(quiet_ticks_until_due(&st, 1150001, 200),
	    LEDGER_SETTLE_QUIET_TICKS);
	/* a smaller log (restored): afresh */
	ck_assert(!ledger_keys_settle_due(&st, 3000));
	ck_assert_int_eq(quiet_ticks_until_due(&st, 3000, 200),
	    LEDGER_SETTLE_QUIET_TICKS);
}
END_TEST

START_TEST(test_row_json_shape)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_entry e;
	uint8_t sig[LEDGER_SIG_BYTES];
	const char *entry = "{\"a\":1}";
	json_t *doc, *p;

	memset(&e, 0, sizeof(e));
	memset(sig, 0xab, sizeof(sig));
	e.key_id = 0x0102abcd;
	e.payload_size = 5;
	e.payload_type = "text/\"x\"";
	ck_assert_int_eq(ledger_row_json(42, (const uint8_t *)entry,
	    strlen(entry), sig, &e, 1,
	    "{\"webhook-id\":\"m1\"}", &b), LEDGER_OK);
	doc = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, NULL);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "seq")), 42);
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_object_get(doc, "entry"), "a")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "key_id")),
	    "0102abcd");
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(doc,
	    "signature"))), 128);
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(doc,
	    "leaf_hash"))), 64);
	p = json_object_get(doc, "payload");
	ck_assert_str_eq(json_string_value(json_object_get(p, "type")),
	    "text/\"x\"");
	ck_assert(json_is_true(json_object_get(p, "stored")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(p,
	    "headers"), "webhook-id")), "m1");
	json_decref(doc);
	ledger_buf_release(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("query");

	if (sodium_init() < 0)
		return EXIT_FAILURE;
	tcase_add_checked_fixture(tc, setup, ts_teardown);
	tcase_add_test(tc, test_query_params);
	tcase_add_test(tc, test_query_value_limit);
	tcase_add_test(tc, test_query_page_parse);
	tcase_add_test(tc, test_query_match);
	tcase_add_test(tc, test_seqs_parse);
	tcase_add_test(tc, test_query_encode_round_trip);
	tcase_add_test(tc, test_query_store_or_and_prefix);
	tcase_add_test(tc, test_query_settle_policy);
	tcase_add_test(tc, test_row_json_shape);
	tcase_add_test(tc, test_query_kind_terms_and_merge);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
