/*
 * test-copy.c - a log moved to another backend (ledger/copy.h)
 *
 * The source is a SQLite data directory; the target is the PostgreSQL
 * database $LEDGER_TEST_DATABASE names (tests/pg-run.sh: suite pg) or,
 * without one, another SQLite directory (suite unit).  The copy must be
 * the same log (size, root, bytes, signatures, checkpoints, tokens with
 * their ids), take appends and dedupe against what was copied; a source
 * that does not verify, a target that holds anything, an interrupt: each
 * leaves the target empty.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>

#include "ledger/copy.h"
#include "ledger/token.h"
#include "ledger/tree.h"
#include "ledger/verify.h"
#include "teststore.h"
#include "testutil.h"

#define ORIGIN "copy.example/log"
#define N 300

static char src[4400], dst[4400];
static const char *target;		/* the copy's location */

static void
setup(void)
{
	struct ledger_error err;
	const char *d = tu_mkdtemp();

	snprintf(src, sizeof(src), "%s/src", d);
	snprintf(dst, sizeof(dst), "%s/dst", d);
	ck_assert_int_eq(mkdir(dst, 0700), 0);
	if (ts_database() != NULL)
		ts_pg_drop_log(ORIGIN);
	target = ts_database() != NULL ? ts_database() : dst;
	ck_assert_msg(ledger_store_init(src, ORIGIN, &err) == LEDGER_OK, "%s",
	    err.msg);
}

static void
teardown(void)
{
	if (ts_database() != NULL)
		ts_pg_drop_log(ORIGIN);
	tu_rmtree(src);
	tu_rmtree(dst);
}

static struct ledger_copy_opts
opts(void)
{
	struct ledger_copy_opts o;

	memset(&o, 0, sizeof(o));
	o.backend = ts_database() != NULL ? "postgresql" : "sqlite";
	o.location = target;
	return o;
}

/* An event from source "hook" with delivery id d. */
static struct ledger_receipt
post(struct ledger_store *s, const char *d)
{
	struct ledger_event *ev;
	struct ledger_receipt r;
	char body[64];

	ck_assert_int_eq(ledger_event_new(&ev, NULL), LEDGER_OK);
	ev->e.kind = LEDGER_KIND_BUILD;
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_NAME, "hook",
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_TYPE,
	    "generic", NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_DELIVERY, d,
	    NULL), LEDGER_OK);
	snprintf(body, sizeof(body), "{\"delivery\":\"%s\"}", d);
	ck_assert_int_eq(ledger_event_set_payload(ev, body, strlen(body),
	    "application/json", NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_append(s, &ev, 1, &r, NULL), LEDGER_OK);
	ledger_event_free(ev);
	return r;
}

/* N entries (every tenth a delivery), checkpoints at 100 and N, three
 * tokens (the second revoked, the third bound to an identity). */
static void
fill(void)
{
	struct ledger_signed_checkpoint cp;
	struct ledger_store *s;
	struct ledger_error err;
	char tok[LEDGER_TOKEN_MAX], d[32];
	int64_t id;
	bool fresh;
	int i;

	ck_assert_int_eq(ledger_store_open(src, 0, &s, &err), LEDGER_OK);
	for (i = 0; i < N; i++) {
		if (i % 10 == 0) {
			snprintf(d, sizeof(d), "d-%d", i);
			post(s, d);
		} else
			ts_add(s, i % 3 ? LEDGER_KIND_DEPLOYMENT :
			    LEDGER_KIND_APPROVAL, "environment=prod",
			    "service=api", NULL);
		if (i == 99) {
			ck_assert_int_eq(ledger_store_checkpoint(s, &cp, &fresh,
			    &err), LEDGER_OK);
			ledger_signed_checkpoint_release(&cp);
		}
	}
	ck_assert_int_eq(ledger_store_checkpoint(s, &cp, &fresh, &err),
	    LEDGER_OK);
	ledger_signed_checkpoint_release(&cp);
	ck_assert_int_eq(ledger_token_create(s, LEDGER_SCOPE_WRITE, "ci", tok,
	    &id, &err), LEDGER_OK);
	ck_assert_int_eq(ledger_token_create(s, LEDGER_SCOPE_READ, "old", tok,
	    &id, &err), LEDGER_OK);
	ck_assert_int_eq(ledger_token_revoke(s, id, &err), LEDGER_OK);
	ck_assert_int_eq(ledger_token_create_bound(s, LEDGER_SCOPE_WRITE,
	    "bot", "spiffe://example.org/ci", tok, &id, &err), LEDGER_OK);
	ck_assert_int_eq(id, 3);
	ledger_store_close(s);
}

static enum ledger_status
copy(struct ledger_copy_report *rep, struct ledger_error *err)
{
	struct ledger_copy_opts o = opts();
	struct ledger_store *s;
	enum ledger_status st;

	ck_assert_int_eq(ledger_store_open(src, LEDGER_STORE_NOKEY, &s, err),
	    LEDGER_OK);
	st = ledger_store_copy(s, &o, rep, err);
	ledger_store_close(s);
	return st;
}

/* The target opened as a writer with the source's key. */
static struct ledger_store *
open_target(unsigned flags)
{
	struct ledger_store_config c;
	struct ledger_store *s;
	struct ledger_error err;
	char key[4500], pub[4500];

	snprintf(key, sizeof(key), "%s/ledger.key", src);
	snprintf(pub, sizeof(pub), "%s/ledger.pub", src);
	memset(&c, 0, sizeof(c));
	c.backend = ts_database() != NULL ? "postgresql" : "sqlite";
	c.location = target;
	c.log = ORIGIN;
	c.key_file = key;
	c.pub_file = pub;
	c.state_dir = dst;
	c.flags = flags;
	ck_assert_msg(ledger_store_open_config(&c, &s, &err) == LEDGER_OK,
	    "%s", err.msg);
	return s;
}

/* The target holds nothing: no entries, no tokens. */
static void
assert_target_empty(void)
{
	struct ledger_store *t;
	struct ledger_error err;
	uint64_t size;
	int64_t ntok;

	if (ts_database() == NULL) {
		char path[4500];
		struct stat sb;

		snprintf(path, sizeof(path), "%s/ledger.db", dst);
		if (stat(path, &sb) != 0)
			return;		/* never made */
	}
	if (ts_database() != NULL) {
		if (ledger_store_open_at(NULL, target, ORIGIN,
		    LEDGER_STORE_READONLY, &t, &err) == LEDGER_ENOTFOUND)
			return;		/* never made */
		ledger_store_close(t);
	}
	t = open_target(LEDGER_STORE_READONLY);
	ck_assert_int_eq(ledger_store_size(t, &size, &err), LEDGER_OK);
	ck_assert_uint_eq(size, 0);
	ck_assert_int_eq(ledger_token_count(t, &ntok, &err), LEDGER_OK);
	ck_assert_int_eq(ntok, 0);
	ledger_store_close(t);
}

static uint64_t
verify_clean(struct ledger_store *t)
{
	struct ledger_verify_report vr;
	struct ledger_error err;

	ck_assert_msg(ledger_verify_store(t, NULL, NULL, NULL, &vr, &err) ==
	    LEDGER_OK, "%s", err.msg);
	ck_assert_msg(vr.problems == 0, "%" PRIu64 " problems, first at %"
	    PRIu64, vr.problems, vr.first_bad_seq);
	return vr.entries;
}

struct toks {
	char line[8][160];
	int n;
};

static void
on_tok(void *ctx, const struct ledger_token_info *t)
{
	struct toks *k = ctx;

	if (k->n < 8)
		snprintf(k->line[k->n++], sizeof(k->line[0]), "%" PRId64
		    " %s %s %" PRId64 " %" PRId64 " %s", t->id,
		    ledger_scope_name(t->scope), t->label, t->created_ms,
		    t->revoked_ms, t->identity ? t->identity : "-");
}

static struct toks
tokens_of(struct ledger_store *s)
{
	struct ledger_error err;
	struct toks k;

	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(ledger_token_list(s, on_tok, &k, &err), LEDGER_OK);
	return k;
}

/* The same log: size, root, every entry's bytes and signature, both
 * checkpoints, the tokens; it verifies; it takes appends, and a
 * delivery copied from the source is a duplicate of its original seq. */
START_TEST(test_copy_is_the_same_log)
{
	struct ledger_copy_report rep;
	struct ledger_signed_checkpoint a, b;
	struct ledger_store *s, *t;
	struct ledger_error err;
	struct ledger_receipt r;
	struct ledger_row x, y;
	uint8_t ra[LEDGER_HASH_BYTES], rb[LEDGER_HASH_BYTES];
	struct toks ka, kb;
	uint64_t seq;
	int i;

	fill();
	ck_assert_msg(copy(&rep, &err) == LEDGER_OK, "%s", err.msg);
	ck_assert_uint_eq(rep.size, N);
	ck_assert_uint_eq(rep.checkpoints, 2);
	ck_assert_uint_eq(rep.tokens, 3);
	ck_assert_uint_eq(rep.revoked, 1);
	ck_assert_uint_eq(rep.payloads, N);
	ck_assert_uint_eq(rep.problems, 0);

	ck_assert_int_eq(ledger_store_open(src, LEDGER_STORE_READONLY, &s,
	    &err), LEDGER_OK);
	t = open_target(LEDGER_STORE_READONLY);
	ck_assert_int_eq(ledger_store_tree_root(s, N, ra, &err), LEDGER_OK);
	ck_assert_int_eq(ledger_store_tree_root(t, N, rb, &err), LEDGER_OK);
	ck_assert_mem_eq(ra, rb, LEDGER_HASH_BYTES);
	ck_assert_mem_eq(rep.root, ra, LEDGER_HASH_BYTES);
	for (i = 0; i < N; i += 7) {
		ck_assert_int_eq(ledger_store_get(s, (uint64_t)i, &x, &err),
		    LEDGER_OK);
		ck_assert_int_eq(ledger_store_get(t, (uint64_t)i, &y, &err),
		    LEDGER_OK);
		ck_assert_uint_eq(x.entry_len, y.entry_len);
		ck_assert_mem_eq(x.entry, y.entry, x.entry_len);
		ck_assert_mem_eq(x.sig, y.sig, LEDGER_SIG_BYTES);
		ledger_row_release(&x);
		ledger_row_release(&y);
	}
	for (seq = 100; seq <= N; seq += N - 100) {
		ck_assert_int_eq(ledger_store_checkpoint_get(s, seq, &a, &err),
		    LEDGER_OK);
		ck_assert_int_eq(ledger_store_checkpoint_get(t, seq, &b, &err),
		    LEDGER_OK);
		ck_assert_uint_eq(a.note_len, b.note_len);
		ck_assert_mem_eq(a.note, b.note, a.note_len);
		ck_assert_int_eq(a.time_ms, b.time_ms);
		ledger_signed_checkpoint_release(&a);
		ledger_signed_checkpoint_release(&b);
	}
	ka = tokens_of(s);
	kb = tokens_of(t);
	ck_assert_int_eq(ka.n, 3);
	ck_assert_int_eq(kb.n, 3);
	for (i = 0; i < 3; i++)
		ck_assert_str_eq(ka.line[i], kb.line[i]);
	ledger_store_close(s);
	ledger_store_close(t);

	t = open_target(0);
	r = post(t, "d-120");
	ck_assert(r.duplicate);
	ck_assert_uint_eq(r.seq, 120);
	r = post(t, "d-new");
	ck_assert(!r.duplicate);
	ck_assert_uint_eq(r.seq, N);
	ledger_store_close(t);
	t = open_target(LEDGER_STORE_READONLY);
	ck_assert_uint_eq(verify_clean(t), N + 1);
	ledger_store_close(t);
}
END_TEST

/* A target that holds anything is refused and left as it was. */
START_TEST(test_copy_refuses_a_target_in_use)
{
	struct ledger_copy_report rep;
	struct ledger_error err;
	struct ledger_store *t;
	uint64_t size;

	fill();
	ck_assert_msg(copy(&rep, &err) == LEDGER_OK, "%s", err.msg);
	ck_assert_int_eq(copy(&rep, &err), LEDGER_EEXIST);
	ck_assert_msg(strstr(err.msg, "already holds 300 entries") != NULL,
	    "%s", err.msg);
	t = open_target(LEDGER_STORE_READONLY);
	ck_assert_int_eq(ledger_store_size(t, &size, &err), LEDGER_OK);
	ck_assert_uint_eq(size, N);
	ledger_store_close(t);
}
END_TEST

/* Rows edited behind the library's back: the copy refuses before it
 * writes, naming the exact seq. */
START_TEST(test_copy_refuses_a_tampered_source)
{
	static const char *const tamper[] = {
		/* a signature bit */
		"DROP TRIGGER entries_no_update; UPDATE entries SET sig = "
		    "zeroblob(64) WHERE seq = 137",
		/* leaf 211's stored hash (id 2i - popcount(i) = 417) */
		"DROP TRIGGER tree_no_update; UPDATE tree SET hash = "
		    "zeroblob(32) WHERE id = 417",
		/* an entry dropped */
		"DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE "
		    "seq = 42",
	};
	static const uint64_t at[] = { 137, 211, 42 };
	struct ledger_copy_report rep;
	struct ledger_error err;
	char want[64];
	size_t i;

	fill();
	for (i = 0; i < sizeof(tamper) / sizeof(*tamper); i++) {
		char save[4500];

		snprintf(save, sizeof(save), "cp %s/ledger.db %s/saved.db",
		    src, dst);
		ck_assert_int_eq(system(save), 0);
		ts_sql(src, tamper[i]);
		ck_assert_int_eq(copy(&rep, &err), LEDGER_ECHAIN);
		snprintf(want, sizeof(want), "the first at seq %" PRIu64,
		    at[i]);
		ck_assert_msg(strstr(err.msg, want) != NULL, "%zu: %s", i,
		    err.msg);
		ck_assert_ptr_nonnull(strstr(err.msg, "nothing was copied"));
		assert_target_empty();
		snprintf(save, sizeof(save), "mv %s/saved.db %s/ledger.db",
		    dst, src);
		ck_assert_int_eq(system(save), 0);
	}
	/* and the source as it was copies */
	ck_assert_msg(copy(&rep, &err) == LEDGER_OK, "%s", err.msg);
}
END_TEST

static int
stop_at_copy(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
	(void)ctx;
	(void)done;
	(void)total;
	return strcmp(phase, "copy") == 0;
}

/* Interrupted: nothing committed; the next run takes the empty log. */
START_TEST(test_copy_interrupted_then_again)
{
	struct ledger_copy_opts o = opts();
	struct ledger_copy_report rep;
	struct ledger_store *s;
	struct ledger_error err;

	fill();
	o.progress = stop_at_copy;
	ck_assert_int_eq(ledger_store_open(src, LEDGER_STORE_NOKEY, &s, &err),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_store_copy(s, &o, &rep, &err),
	    LEDGER_ECANCELED);
	ck_assert_ptr_nonnull(strstr(err.msg, "nothing was committed"));
	ledger_store_close(s);
	assert_target_empty();
	ck_assert_msg(copy(&rep, &err) == LEDGER_OK, "%s", err.msg);
	ck_assert_uint_eq(rep.size, N);
}
END_TEST

/* A target log made for another key is not taken over. */
START_TEST(test_copy_refuses_another_key)
{
	struct ledger_copy_report rep;
	struct ledger_error err;
	char other[4500];

	fill();
	snprintf(other, sizeof(other), "%s/other", dst);
	if (ts_database() != NULL)
		ck_assert_msg(ledger_store_init_at(other, ORIGIN, target,
		    &err) == LEDGER_OK, "%s", err.msg);
	else {
		/* a SQLite target is a directory: the other key's log in
		 * it */
		char cmd[9200];

		ck_assert_int_eq(ledger_store_init(other, ORIGIN, &err),
		    LEDGER_OK);
		snprintf(cmd, sizeof(cmd), "cp %s/ledger.db %s/", other, dst);
		ck_assert_int_eq(system(cmd), 0);
	}
	ck_assert_int_eq(copy(&rep, &err), LEDGER_EEXIST);
	ck_assert_msg(strstr(err.msg, "was made for key") != NULL, "%s",
	    err.msg);
}
END_TEST

static Suite *
copy_suite(void)
{
	Suite *s = suite_create("copy");
	TCase *tc = tcase_create("copy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_copy_is_the_same_log);
	tcase_add_test(tc, test_copy_refuses_a_target_in_use);
	tcase_add_test(tc, test_copy_refuses_a_tampered_source);
	tcase_add_test(tc, test_copy_interrupted_then_again);
	tcase_add_test(tc, test_copy_refuses_another_key);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run_suite(copy_suite());
}
