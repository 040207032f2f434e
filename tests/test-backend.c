/*
 * test-backend.c - the storage interface (lib/backend.h), operation by
 * operation, against the SQLite backend, and against PostgreSQL when
 * tests/pg-run.sh names a database (LEDGER_TEST_DATABASE): the same
 * checks through the ops table, each backend's own in a case of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ledger/entry.h"
#include "ledger/store.h"
#include "ledger/tree.h"
#include "backend.h"
#include "lookup.h"
#include "sha256.h"
#include "store-pg-int.h"
#include "store-sqlite-int.h"
#include "teststore.h"
#include "testutil.h"

static const char *data;
static struct ledger_backend *be;
static const struct ledger_backend_ops *ops;

static void
setup(void)
{
	struct ledger_error err;

	ts_setup("backend.example/log");
	data = ts_data();
	if (ts_database() != NULL)
		ck_assert_msg(ledger_pg_open(ts_database(),
		    "backend.example/log", 0, false, &be, &err) == LEDGER_OK,
		    "%s", err.msg);
	else
		ck_assert_int_eq(ledger_sqlite_open(data, 0, false, &be, NULL),
		    LEDGER_OK);
	ops = be->ops;
}

static void
teardown(void)
{
	if (be != NULL)
		ops->close(be);
	be = NULL;
	ts_teardown();
}

/* Entry seq of source "src", delivery "d<seq>", run "r<seq % 3>", payload
 * "p<seq>", inserted with its lookup terms, in its own transaction. */
/* Insert e (seq, time, kind and subject set) with a payload body. */
static void
insert(struct ledger_entry *e, const char *body)
{
	struct ledger_be_insert in;
	char terms[LEDGER_LOOKUP_TERMS];
	uint8_t sig[LEDGER_SIG_BYTES];
	uint8_t *z = NULL;
	size_t zlen = 0;

	e->key_id = 7;
	e->source[LEDGER_SRC_NAME] = "src";
	e->source[LEDGER_SRC_TYPE] = "generic";
	e->payload_type = "text/plain";
	e->payload_size = strlen(body);
	ledger_sha256(body, strlen(body), e->payload_sha256);
	memset(sig, (int)e->seq, sizeof(sig));
	ck_assert_int_eq(ledger_payload_deflate(body, strlen(body), &z, &zlen,
	    NULL), LEDGER_OK);
	memset(&in, 0, sizeof(in));
	in.e = e;
	in.entry = (const uint8_t *)body;
	in.entry_len = strlen(body);
	in.sig = sig;
	ledger_lookup_terms(e, terms, NULL, NULL);
	in.terms = terms;
	in.payload_z = z;
	in.payload_zlen = zlen;
	in.headers = e->seq == 0 ? "{\"x-test\":\"1\"}" : NULL;
	ck_assert_int_eq(ops->begin_write(be, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->insert_entry(be, &in, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->commit(be, NULL), LEDGER_OK);
	free(z);
}

static void
put(uint64_t seq, int64_t time_ms)
{
	struct ledger_entry e;
	char d[32], run[32], body[32];

	memset(&e, 0, sizeof(e));
	snprintf(d, sizeof(d), "d%llu", (unsigned long long)seq);
	snprintf(run, sizeof(run), "r%llu", (unsigned long long)(seq % 3));
	snprintf(body, sizeof(body), "p%llu", (unsigned long long)seq);
	e.seq = seq;
	e.time_ms = time_ms;
	e.kind = LEDGER_KIND_BUILD;
	e.source[LEDGER_SRC_DELIVERY] = d;
	e.subject[LEDGER_SUBJ_RUN] = run;
	insert(&e, body);
}

static int
count_row(void *ctx, const struct ledger_row *row)
{
	int *n = ctx;

	ck_assert_str_eq(row->e.log, "backend.example/log");
	(*n)++;
	return 0;
}

START_TEST(test_backend_meta_head_and_caps)
{
	struct ledger_be_head h, back;
	char *v = NULL;

	ck_assert_str_eq(ops->name, ts_database() ? "postgresql" : "sqlite");
	ck_assert_uint_eq(ops->caps(be) & (LEDGER_BE_LOOKUP_KEYS |
	    LEDGER_BE_BODY_KEYS | LEDGER_BE_HEADERS | LEDGER_BE_INDEX_CHECK),
	    LEDGER_BE_LOOKUP_KEYS | LEDGER_BE_BODY_KEYS | LEDGER_BE_HEADERS |
	    LEDGER_BE_INDEX_CHECK);
	ck_assert_int_eq(ops->meta_get(be, "origin", &v, NULL), LEDGER_OK);
	ck_assert_str_eq(v, "backend.example/log");
	free(v);
	ck_assert_int_eq(ops->meta_get(be, "nothing", &v, NULL),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ops->head_read(be, &h, NULL), LEDGER_OK);
	ck_assert_uint_eq(h.size, 0);
	memset(&h, 0, sizeof(h));
	h.size = 3;
	memset(h.last_leaf, 0xab, sizeof(h.last_leaf));
	h.last_time_ms = 1234;
	ck_assert_int_eq(ops->begin_write(be, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->head_write(be, &h, NULL), LEDGER_OK);
	ops->rollback(be);
	ck_assert_int_eq(ops->head_read(be, &back, NULL), LEDGER_OK);
	ck_assert_uint_eq(back.size, 0);	/* rolled back */
	ck_assert_int_eq(ops->begin_write(be, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->head_write(be, &h, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->commit(be, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->head_read(be, &back, NULL), LEDGER_OK);
	ck_assert_uint_eq(back.size, 3);
	ck_assert_int_eq(back.last_time_ms, 1234);
	ck_assert_mem_eq(back.last_leaf, h.last_leaf, sizeof(h.last_leaf));
	ops->rollback(be);		/* none open: a no-op */
	ck_assert_int_eq(ops->check_alive(be, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->maintain(be, NULL), LEDGER_OK);
}
END_TEST

START_TEST(test_backend_rows_payloads_and_lists)
{
	struct ledger_row row;
	struct ledger_error err;
	uint8_t *z;
	size_t zlen;
	char *hdr, term[LEDGER_LOOKUP_TERM], expr[64];
	uint64_t end, seq;
	int64_t t;
	bool found;
	int n, i;

	for (i = 0; i < 9; i++)
		put((uint64_t)i, 1000 + 10 * i);
	ck_assert_int_eq(ops->get_row(be, 4, &row, NULL), LEDGER_OK);
	ck_assert_uint_eq(row.e.seq, 4);
	ck_assert_str_eq(row.e.source[LEDGER_SRC_DELIVERY], "d4");
	ck_assert_str_eq(row.e.subject[LEDGER_SUBJ_RUN], "r1");
	ck_assert_int_eq(row.e.kind, LEDGER_KIND_BUILD);
	ck_assert_uint_eq(row.entry_len, 2);
	ledger_row_release(&row);
	ck_assert_int_eq(ops->get_row(be, 99, &row, &err), LEDGER_ENOTFOUND);
	ck_assert_int_eq(ops->get_payload(be, 3, &z, &zlen, NULL), LEDGER_OK);
	ck_assert_uint_gt(zlen, 0);
	free(z);
	ck_assert_int_eq(ops->get_payload(be, 99, &z, &zlen, NULL),
	    LEDGER_ENOTFOUND);
	ck_assert_int_eq(ops->get_headers(be, 0, &hdr, NULL), LEDGER_OK);
	ck_assert_str_eq(hdr, "{\"x-test\":\"1\"}");
	free(hdr);
	ck_assert_int_eq(ops->get_headers(be, 1, &hdr, NULL),
	    LEDGER_ENOTFOUND);

	ck_assert_int_eq(ops->log_end(be, &end, NULL), LEDGER_OK);
	ck_assert_uint_eq(end, 9);
	ck_assert_int_eq(ops->seq_time(be, 5, &seq, &t, &found, NULL),
	    LEDGER_OK);
	ck_assert(found);
	ck_assert_uint_eq(seq, 5);
	ck_assert_int_eq(t, 1050);
	ck_assert_int_eq(ops->seq_time(be, 9, &seq, &t, &found, NULL),
	    LEDGER_OK);
	ck_assert(!found);

	/* all, a range, by one term, by an OR of two */
	n = 0;
	ck_assert_int_eq(ops->list(be, NULL, 0, UINT64_MAX, count_row, &n,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(n, 9);
	n = 0;
	ck_assert_int_eq(ops->list(be, NULL, 2, 5, count_row, &n, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(n, 3);
	ledger_lookup_term(LEDGER_LOOKUP_RUN, ledger_lookup_key(
	    LEDGER_LOOKUP_RUN, "r2", NULL), term);
	n = 0;
	ck_assert_int_eq(ops->list(be, term, 0, UINT64_MAX, count_row, &n,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(n, 3);		/* 2, 5, 8 */
	snprintf(expr, sizeof(expr), "(%s OR ", term);
	ledger_lookup_term(LEDGER_LOOKUP_RUN, ledger_lookup_key(
	    LEDGER_LOOKUP_RUN, "r0", NULL), term);
	strcat(expr, term);
	strcat(expr, ")");
	n = 0;
	ck_assert_int_eq(ops->list(be, expr, 3, 9, count_row, &n, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(n, 4);		/* 3, 5, 6, 8 */
}
END_TEST

static int
stop_at_first(void *ctx, const struct ledger_row *row)
{
	uint64_t *seq = ctx;

	*seq = row->e.seq;
	return 1;
}

static int
count_term(void *ctx, const char *term, size_t len)
{
	int *n = ctx;

	ck_assert_uint_eq(len, LEDGER_LOOKUP_TERM - 1);
	ck_assert_int_eq(term[0], 'd');
	(*n)++;
	return 0;
}

START_TEST(test_backend_finds_deliveries_and_bodies)
{
	struct ledger_row row;
	struct ledger_entry e;
	uint64_t keys[LEDGER_LOOKUP_COUNT], seq = 99;
	int present[LEDGER_LOOKUP_COUNT], n = 0, i;
	char term[LEDGER_LOOKUP_TERM];
	bool found;

	for (i = 0; i < 5; i++)
		put((uint64_t)i, 1000);
	ledger_lookup_term(LEDGER_LOOKUP_DELIVERY, ledger_lookup_key(
	    LEDGER_LOOKUP_DELIVERY, "src", "d3"), term);
	ck_assert_int_eq(ops->find_delivery(be, "src", "d3", term, &row,
	    &found, NULL), LEDGER_OK);
	ck_assert(found);
	ck_assert_uint_eq(row.e.seq, 3);
	ledger_row_release(&row);
	/* the term finds candidates; the columns decide */
	ck_assert_int_eq(ops->find_delivery(be, "other", "d3", term, &row,
	    &found, NULL), LEDGER_OK);
	ck_assert(!found);
	ck_assert_int_eq(ops->get_row(be, 2, &row, NULL), LEDGER_OK);
	e = row.e;
	ledger_lookup_terms(&e, NULL, keys, present);
	ledger_lookup_term(LEDGER_LOOKUP_BODY, keys[LEDGER_LOOKUP_BODY],
	    term);
	ck_assert_int_eq(ops->find_body(be, "src", e.payload_sha256, term,
	    stop_at_first, &seq, NULL), LEDGER_OK);
	ck_assert_uint_eq(seq, 2);
	ledger_row_release(&row);
	ck_assert_int_eq(ops->scan_terms(be, "d", "e", count_term, &n, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(n, 5);
}
END_TEST

START_TEST(test_backend_tree_and_checkpoints)
{
	struct ledger_signed_checkpoint cp, got;
	uint8_t h[LEDGER_HASH_BYTES], out[2][LEDGER_HASH_BYTES];
	uint64_t idx[2] = { 0, 1 };
	struct ledger_error err;

	memset(h, 0x11, sizeof(h));
	ck_assert_int_eq(ops->begin_write(be, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->insert_tree(be, 0, h, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->commit(be, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->read_hashes(be, idx, 1, out, NULL), LEDGER_OK);
	ck_assert_mem_eq(out[0], h, sizeof(h));
	ck_assert_int_eq(ops->read_hashes(be, idx, 2, out, &err),
	    LEDGER_ECHAIN);

	ck_assert_int_eq(ops->checkpoint_get(be, LEDGER_CP_LATEST, 0, &got, &err),
	    LEDGER_ENOTFOUND);
	memset(&cp, 0, sizeof(cp));
	cp.size = 1;
	memcpy(cp.root, h, sizeof(h));
	cp.time_ms = 5;
	cp.note = "note one\n";
	cp.note_len = strlen(cp.note);
	ck_assert_int_eq(ops->begin_write(be, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->checkpoint_insert(be, &cp, NULL), LEDGER_OK);
	cp.size = 4;
	cp.note = "note four\n";
	cp.note_len = strlen(cp.note);
	ck_assert_int_eq(ops->checkpoint_insert(be, &cp, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->commit(be, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->checkpoint_get(be, LEDGER_CP_LATEST, 0, &got, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(got.size, 4);
	ck_assert_str_eq(got.note, "note four\n");
	ledger_signed_checkpoint_release(&got);
	ck_assert_int_eq(ops->checkpoint_get(be, LEDGER_CP_EXACT, 1, &got, NULL),
	    LEDGER_OK);
	ck_assert_str_eq(got.note, "note one\n");
	ledger_signed_checkpoint_release(&got);
	ck_assert_int_eq(ops->checkpoint_get(be, LEDGER_CP_EXACT, 2, &got, NULL),
	    LEDGER_ENOTFOUND);
	/* the brackets of a period: nearest below, nearest above */
	ck_assert_int_eq(ops->checkpoint_get(be, LEDGER_CP_AT_MOST, 3, &got,
	    NULL), LEDGER_OK);
	ck_assert_uint_eq(got.size, 1);
	ledger_signed_checkpoint_release(&got);
	ck_assert_int_eq(ops->checkpoint_get(be, LEDGER_CP_AT_LEAST, 2, &got,
	    NULL), LEDGER_OK);
	ck_assert_uint_eq(got.size, 4);
	ledger_signed_checkpoint_release(&got);
	ck_assert_int_eq(ops->checkpoint_get(be, LEDGER_CP_AT_LEAST, 5, &got,
	    NULL), LEDGER_ENOTFOUND);
	ck_assert_int_eq(ops->checkpoint_get(be, LEDGER_CP_AT_MOST, 0, &got,
	    NULL), LEDGER_ENOTFOUND);
}
END_TEST

static int
token_seen(void *ctx, const struct ledger_token_row *t)
{
	int *n = ctx;

	ck_assert_str_eq(t->scope, t->id == 1 ? "read" : "write");
	ck_assert_uint_eq(t->hash_len, 32);
	ck_assert_int_eq(t->hash[0], t->id);
	ck_assert_str_eq(t->label, "lab");
	ck_assert_int_eq(t->created_ms, 9 + t->id);
	ck_assert_int_eq(t->revoked_ms != 0, t->id == 1);
	if (t->id == 1)
		ck_assert_ptr_null(t->identity);
	else
		ck_assert_str_eq(t->identity, "spiffe://example.org/ci");
	(*n)++;
	return 0;
}

START_TEST(test_backend_tokens)
{
	uint8_t hash[32] = { 1 };
	struct ledger_token_row t = { .scope = "read", .hash = hash,
	    .hash_len = 32, .label = "lab", .created_ms = 10 };
	int64_t id1, id2, live_n;
	bool live, changed;
	int n = 0;

	ck_assert_int_eq(ops->token_insert(be, &t, &id1, NULL), LEDGER_OK);
	hash[0] = 2;
	t.scope = "write";
	t.created_ms = 11;
	t.identity = "spiffe://example.org/ci";
	ck_assert_int_eq(ops->token_insert(be, &t, &id2, NULL), LEDGER_OK);
	ck_assert_int_eq(id1, 1);
	ck_assert_int_eq(ops->token_live(be, id1, &live, NULL), LEDGER_OK);
	ck_assert(live);
	ck_assert_int_eq(ops->token_revoke(be, id1, 20, &changed, NULL),
	    LEDGER_OK);
	ck_assert(changed);
	ck_assert_int_eq(ops->token_revoke(be, id1, 21, &changed, NULL),
	    LEDGER_OK);
	ck_assert(!changed);		/* already revoked */
	ck_assert_int_eq(ops->token_live(be, id1, &live, NULL), LEDGER_OK);
	ck_assert(!live);
	ck_assert_int_eq(ops->token_live(be, 77, &live, NULL), LEDGER_OK);
	ck_assert(!live);
	ck_assert_int_eq(ops->token_count(be, &live_n, NULL), LEDGER_OK);
	ck_assert_int_eq(live_n, 1);
	ck_assert_int_eq(ops->token_scan(be, token_seen, &n, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(n, 2);
}
END_TEST

START_TEST(test_backend_verify_cursors)
{
	struct ledger_be_cursor *c;
	struct ledger_be_checkpoint cp;
	struct ledger_signed_checkpoint sc;
	struct ledger_row row;
	uint8_t h[LEDGER_HASH_BYTES], *z;
	size_t zlen, len;
	uint64_t id, seq;
	const char *term;
	bool end, bad;
	int n = 0, terms = 0;

	put(0, 1);
	put(1, 2);
	memset(h, 3, sizeof(h));
	memset(&sc, 0, sizeof(sc));
	sc.size = 2;
	sc.note = "n\n";
	sc.note_len = 2;
	ck_assert_int_eq(ops->begin_write(be, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->insert_tree(be, 0, h, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->checkpoint_insert(be, &sc, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->commit(be, NULL), LEDGER_OK);

	ck_assert_int_eq(ops->begin_read(be, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->open_rows(be, &c, NULL), LEDGER_OK);
	for (;;) {
		ck_assert_int_eq(ops->next_row(c, &row, &z, &zlen, &end, NULL),
		    LEDGER_OK);
		if (end)
			break;
		ck_assert_uint_eq(row.e.seq, (uint64_t)n);
		ck_assert_ptr_nonnull(z);
		ledger_row_release(&row);
		free(z);
		n++;
	}
	ck_assert_int_eq(n, 2);
	ops->close_cursor(c);
	ck_assert_int_eq(ops->open_tree(be, &c, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->next_tree(c, &id, h, &bad, &end, NULL),
	    LEDGER_OK);
	ck_assert(!end && !bad && id == 0);
	ck_assert_int_eq(ops->next_tree(c, &id, h, &bad, &end, NULL),
	    LEDGER_OK);
	ck_assert(end);
	ops->close_cursor(c);
	ck_assert_int_eq(ops->open_checkpoints(be, &c, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->next_checkpoint(c, &cp, &end, NULL), LEDGER_OK);
	ck_assert(!end);
	ck_assert_uint_eq(cp.size, 2);
	ck_assert_uint_eq(cp.note_len, 2);
	ops->close_cursor(c);
	ck_assert_int_eq(ops->open_terms(be, &c, NULL), LEDGER_OK);
	for (;;) {
		ck_assert_int_eq(ops->next_term(c, &term, &len, &seq, &end,
		    NULL), LEDGER_OK);
		if (end)
			break;
		ck_assert_uint_lt(seq, 2);
		terms++;
	}
	ops->close_cursor(c);
	ops->close_cursor(NULL);
	ops->rollback(be);
	/* delivery, kind, source, run, body and kind+run: six terms an
	 * entry */
	ck_assert_int_eq(terms, 12);
}
END_TEST

/* The storage deleted under an open handle: check_alive says so. */
/* The answers' joins from covering indexes (ledger_backend.narrow): the
 * approvals of one environment in seq order, and the builds and changes
 * of some commits, with the fields the joins read and none of the
 * others.  PostgreSQL keeps no such index: its op is NULL. */
#define C1 "1111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222"

static void
put_as(uint64_t seq, enum ledger_kind k, const char *env, const char *commit,
    const char *actor, const char *status)
{
	struct ledger_entry e;
	char body[32];

	memset(&e, 0, sizeof(e));
	snprintf(body, sizeof(body), "n%llu", (unsigned long long)seq);
	e.seq = seq;
	e.time_ms = 5000 + (int64_t)seq;
	e.kind = k;
	e.subject[LEDGER_SUBJ_ENVIRONMENT] = (char *)env;
	e.subject[LEDGER_SUBJ_COMMIT] = (char *)commit;
	e.subject[LEDGER_SUBJ_ACTOR] = (char *)actor;
	e.subject[LEDGER_SUBJ_STATUS] = (char *)status;
	e.subject[LEDGER_SUBJ_ARTIFACT] = "sha256:" C1 C2 "abcdefabcdefabcdefabcdef";
	e.subject[LEDGER_SUBJ_SERVICE] = "svc";
	e.subject[LEDGER_SUBJ_TICKET] = "T-1";
	insert(&e, body);
}

struct narrowed {
	uint64_t seq[8];
	struct ledger_row first;
	size_t n;
};

static int
narrow_row(void *ctx, const struct ledger_row *row)
{
	struct narrowed *x = ctx;

	ck_assert_uint_lt(x->n, 8);
	if (x->n == 0)
		ck_assert(ledger_row_copy(&x->first, row));
	x->seq[x->n++] = row->e.seq;
	return 0;
}

START_TEST(test_backend_narrow_joins)
{
	char t1[LEDGER_LOOKUP_TERM], t2[LEDGER_LOOKUP_TERM], expr[128];
	struct narrowed x;
	bool done = true;

	put_as(0, LEDGER_KIND_APPROVAL, "prod", C1, "alice", "approved");
	put_as(1, LEDGER_KIND_APPROVAL, "stage", C1, "bob", "approved");
	put_as(2, LEDGER_KIND_BUILD, NULL, C1, "carol", "success");
	put_as(3, LEDGER_KIND_CHANGE, NULL, C2, "dave", NULL);
	put_as(4, LEDGER_KIND_DEPLOYMENT, "prod", C1, "erin", "success");
	put_as(5, LEDGER_KIND_APPROVAL, "prod", C2, "frank", "rejected");
	put_as(6, LEDGER_KIND_TEST, NULL, C1, "gus", "success");
	put_as(7, LEDGER_KIND_BUILD, NULL, C2, "hal", "failure");
	/* settling the key index: SQLite's FTS5 has segments to merge,
	 * PostgreSQL's GIN none (ledger_store_settle_keys) */
	if (ts_database() != NULL)
		ck_assert_ptr_null(ops->settle_keys);
	else
		ck_assert_int_eq(ops->settle_keys(be, 8, NULL), LEDGER_OK);

	if (ops->narrow == NULL) {
		ck_assert_ptr_nonnull(ts_database());
		return;
	}
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(ops->narrow(be, LEDGER_NARROW_APPROVALS, "prod", 0,
	    UINT64_MAX, narrow_row, &x, &done, NULL), LEDGER_OK);
	ck_assert(done);
	ck_assert_uint_eq(x.n, 2);
	ck_assert_uint_eq(x.seq[0], 0);
	ck_assert_uint_eq(x.seq[1], 5);
	/* what the join reads, and nothing else */
	ck_assert_int_eq(x.first.e.kind, LEDGER_KIND_APPROVAL);
	ck_assert_int_eq(x.first.e.time_ms, 5000);
	ck_assert_str_eq(x.first.e.source[LEDGER_SRC_NAME], "src");
	ck_assert_str_eq(x.first.e.source[LEDGER_SRC_TYPE], "generic");
	ck_assert_str_eq(x.first.e.subject[LEDGER_SUBJ_ACTOR], "alice");
	ck_assert_str_eq(x.first.e.subject[LEDGER_SUBJ_COMMIT], C1);
	ck_assert_str_eq(x.first.e.subject[LEDGER_SUBJ_ENVIRONMENT], "prod");
	ck_assert_str_eq(x.first.e.subject[LEDGER_SUBJ_STATUS], "approved");
	ck_assert_ptr_nonnull(x.first.e.subject[LEDGER_SUBJ_ARTIFACT]);
	ck_assert_ptr_null(x.first.e.subject[LEDGER_SUBJ_SERVICE]);
	ck_assert_ptr_null(x.first.e.subject[LEDGER_SUBJ_TICKET]);
	ck_assert_uint_eq(x.first.entry_len, 0);
	ledger_row_release(&x.first);

	/* the builds and changes among the rows of C1 or C2, in seq order:
	 * not the test, not the approvals or the deployment */
	ledger_lookup_term(LEDGER_LOOKUP_COMMIT, ledger_lookup_key(
	    LEDGER_LOOKUP_COMMIT, C1, NULL), t1);
	ledger_lookup_term(LEDGER_LOOKUP_COMMIT, ledger_lookup_key(
	    LEDGER_LOOKUP_COMMIT, C2, NULL), t2);
	snprintf(expr, sizeof(expr), "(%s OR %s)", t1, t2);
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(ops->narrow(be, LEDGER_NARROW_AUTHORS, expr, 0,
	    UINT64_MAX, narrow_row, &x, &done, NULL), LEDGER_OK);
	ck_assert(done);
	ck_assert_uint_eq(x.n, 3);
	ck_assert_uint_eq(x.seq[0], 2);
	ck_assert_uint_eq(x.seq[1], 3);
	ck_assert_uint_eq(x.seq[2], 7);
	ck_assert_str_eq(x.first.e.subject[LEDGER_SUBJ_ACTOR], "carol");
	ck_assert_str_eq(x.first.e.subject[LEDGER_SUBJ_COMMIT], C1);
	ck_assert_int_eq(x.first.e.kind, LEDGER_KIND_BUILD);
	ck_assert_ptr_null(x.first.e.subject[LEDGER_SUBJ_SERVICE]);
	ledger_row_release(&x.first);

	/* the deployments of prod from seq 1 on: every column shown */
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(ops->narrow(be, LEDGER_NARROW_DEPLOYMENTS, "prod", 1,
	    5, narrow_row, &x, &done, NULL), LEDGER_OK);
	ck_assert(done);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_uint_eq(x.seq[0], 4);
	ck_assert_int_eq(x.first.e.kind, LEDGER_KIND_DEPLOYMENT);
	ck_assert_str_eq(x.first.e.subject[LEDGER_SUBJ_ACTOR], "erin");
	ck_assert_str_eq(x.first.e.subject[LEDGER_SUBJ_SERVICE], "svc");
	ck_assert_str_eq(x.first.e.subject[LEDGER_SUBJ_TICKET], "T-1");
	ck_assert_str_eq(x.first.e.subject[LEDGER_SUBJ_STATUS], "success");
	ck_assert_str_eq(x.first.e.subject[LEDGER_SUBJ_COMMIT], C1);
	ledger_row_release(&x.first);
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(ops->narrow(be, LEDGER_NARROW_DEPLOYMENTS, "prod", 5,
	    UINT64_MAX, narrow_row, &x, &done, NULL), LEDGER_OK);
	ck_assert(done);
	ck_assert_uint_eq(x.n, 0);
	ck_assert_int_eq(ops->narrow(be, LEDGER_NARROW_DEPLOYMENTS, "prod", 3,
	    3, narrow_row, &x, &done, NULL), LEDGER_OK);
	ck_assert(done);		/* an empty range */
	ck_assert_uint_eq(x.n, 0);

	/* another environment has none */
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(ops->narrow(be, LEDGER_NARROW_APPROVALS, "qa", 0,
	    UINT64_MAX, narrow_row, &x, &done, NULL), LEDGER_OK);
	ck_assert(done);
	ck_assert_uint_eq(x.n, 0);
}
END_TEST

/* SQLite reads them from the indexes alone (a covering index: no page of
 * entries), and a log opened read-only at schema 11 says "not done" so
 * the join reads through the lookup keys. */
static void
plan_uses(sqlite3 *db, const char *sql, const char *want)
{
	char buf[8192];
	sqlite3_stmt *q;
	size_t used = 0;

	snprintf(buf, sizeof(buf), "EXPLAIN QUERY PLAN %s", sql);
	ck_assert_int_eq(sqlite3_prepare_v2(db, buf, -1, &q, NULL), SQLITE_OK);
	buf[0] = '\0';
	while (sqlite3_step(q) == SQLITE_ROW && used < sizeof(buf) - 1)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
		    "%s\n", (const char *)sqlite3_column_text(q, 3));
	sqlite3_finalize(q);
	ck_assert_msg(strstr(buf, want) != NULL, "plan of %s:\n%s", sql, buf);
}

static void
plan_lacks(sqlite3 *db, const char *sql, const char *what)
{
	char buf[8192];
	sqlite3_stmt *q;

	snprintf(buf, sizeof(buf), "EXPLAIN QUERY PLAN %s", sql);
	ck_assert_int_eq(sqlite3_prepare_v2(db, buf, -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW)
		ck_assert_msg(strstr((const char *)sqlite3_column_text(q, 3),
		    what) == NULL, "plan of %s: %s", sql,
		    (const char *)sqlite3_column_text(q, 3));
	sqlite3_finalize(q);
}

START_TEST(test_backend_narrow_covering_and_old_schema)
{
	char path[4400];
	struct narrowed x;
	sqlite3 *db;
	bool done = true;

	put_as(0, LEDGER_KIND_APPROVAL, "prod", C1, "alice", "approved");
	snprintf(path, sizeof(path), "%s/%s", data, LEDGER_DB_FILE);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	plan_uses(db, sqlite_narrow_sql(LEDGER_NARROW_APPROVALS),
	    "USING COVERING INDEX entries_approvals (environment=?)");
	plan_uses(db, sqlite_narrow_sql(LEDGER_NARROW_AUTHORS),
	    "USING COVERING INDEX entries_build_authors (seq=?)");
	plan_lacks(db, sqlite_narrow_sql(LEDGER_NARROW_AUTHORS), "TEMP B-TREE");
	plan_uses(db, SQL_SEQ_TIME, "USING COVERING INDEX entries_seq_time");
	plan_uses(db, sqlite_narrow_sql(LEDGER_NARROW_DEPLOYMENTS),
	    "USING COVERING INDEX entries_deployments (environment=? AND seq>? "
	    "AND seq<?)");
	plan_lacks(db, sqlite_narrow_sql(LEDGER_NARROW_DEPLOYMENTS),
	    "TEMP B-TREE");
	sqlite3_close(db);

	/* an index dropped behind our back: not done (the caller reads
	 * through the lookup terms), no error */
	ops->close(be);
	ts_sql(data, "DROP INDEX entries_build_authors");
	ck_assert_int_eq(ledger_sqlite_open(data, LEDGER_STORE_READONLY, false,
	    &be, NULL), LEDGER_OK);
	ops = be->ops;
	done = true;
	ck_assert_int_eq(ops->narrow(be, LEDGER_NARROW_AUTHORS, "c0", 0,
	    UINT64_MAX, narrow_row, &x, &done, NULL), LEDGER_OK);
	ck_assert(!done);

	ops->close(be);
	be = NULL;
	ts_sql(data, "BEGIN; CREATE INDEX entries_build_authors ON entries "
	    "(seq, commit_id, actor, kind) WHERE kind IN ('build', 'change'); "
	    TS_UNDO_SCHEMA_12 "PRAGMA user_version = 11; COMMIT;");
	ck_assert_int_eq(ledger_sqlite_open(data, LEDGER_STORE_READONLY, false,
	    &be, NULL), LEDGER_OK);
	ops = be->ops;
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(ops->narrow(be, LEDGER_NARROW_APPROVALS, "prod", 0,
	    UINT64_MAX, narrow_row, &x, &done, NULL), LEDGER_OK);
	ck_assert(!done);
	ck_assert_uint_eq(x.n, 0);
}
END_TEST

START_TEST(test_backend_notices_a_deleted_database)
{
	char path[4400];
	struct ledger_error err;

	snprintf(path, sizeof(path), "%s/%s", data, LEDGER_DB_FILE);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(ops->check_alive(be, &err), LEDGER_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "removed while open"));
}
END_TEST

/* Migrations report their progress, and a caller that says stop gets
 * LEDGER_ECANCELED with the migration under way rolled back: the log
 * stays at its schema, and the next open migrates it. */
struct steps {
	uint64_t calls, last_done, total;
	bool stop;
};

static int
step(void *ctx, uint64_t done, uint64_t total)
{
	struct steps *st = ctx;

	st->calls++;
	st->last_done = done;
	st->total = total;
	return st->stop;
}

/* How many migrations an open of dir finds left to apply. */
static int
migrations_left(const char *dir)
{
	struct ledger_backend *b;
	struct steps st = { 0, 0, 0, false };

	ck_assert_int_eq(ledger_sqlite_open_progress(dir, 0, false, step, &st,
	    &b, NULL), LEDGER_OK);
	b->ops->close(b);
	return (int)st.total;
}

START_TEST(test_backend_migration_progress_and_stop)
{
	struct ledger_backend *b = NULL;
	struct steps st = { 0, 0, 0, true };
	struct ledger_error err;

	ops->close(be);
	be = NULL;
	ts_sql(data, "BEGIN; " TS_UNDO_SCHEMA_12 TS_UNDO_SCHEMA_11
	    "PRAGMA user_version = 10; COMMIT;");
	ck_assert_int_eq(ledger_sqlite_open_progress(data, 0, false, step, &st,
	    &b, &err), LEDGER_ECANCELED);
	ck_assert_ptr_null(b);
	ck_assert_ptr_nonnull(strstr(err.msg, "011-report-subject"));
	ck_assert_uint_eq(st.total, 2);
	ck_assert_int_eq(ts_sql_rc(data, "SELECT tool FROM entries"), 1);
	/* the next open migrates both, reporting 0 of 2 .. 2 of 2 */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(ledger_sqlite_open_progress(data, 0, false, step, &st,
	    &be, NULL), LEDGER_OK);
	ops = be->ops;
	ck_assert_uint_ge(st.calls, 2);
	ck_assert_uint_eq(st.last_done, 2);
	ck_assert_uint_eq(st.total, 2);
	ck_assert_int_eq(ts_sql_rc(data, "SELECT tool FROM entries"), 0);
	ck_assert_int_eq(migrations_left(data), 0);
}
END_TEST

/* PostgreSQL: a lost connection says so; the liveness check and the
 * next transaction reconnect. */
START_TEST(test_backend_pg_reconnects)
{
	struct ledger_error err;
	struct ledger_be_head h;

	ts_pg_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	    " WHERE datname = current_database() AND pid <>"
	    " pg_backend_pid()");
	ck_assert_int_eq(ops->head_read(be, &h, &err), LEDGER_EDB);
	ck_assert_msg(strstr(err.msg, "unavailable") != NULL, "%s", err.msg);
	/* outside a transaction the liveness check is a round trip that
	 * reconnects: the server is up, so it says alive */
	ck_assert_int_eq(ops->check_alive(be, &err), LEDGER_OK);
	ts_pg_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	    " WHERE datname = current_database() AND pid <>"
	    " pg_backend_pid()");
	/* a connection found dead at BEGIN is replaced, not reported */
	ck_assert_int_eq(ops->begin_write(be, &err), LEDGER_OK);
	ck_assert_int_eq(ops->head_read(be, &h, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->commit(be, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->check_alive(be, NULL), LEDGER_OK);
}
END_TEST

/* PostgreSQL: a second writer of the log sees what the first committed
 * under the head row; a writer whose head is not the one it locked has
 * its compare-and-set refused. */
START_TEST(test_backend_pg_head_is_a_fence)
{
	struct ledger_backend *other;
	struct ledger_be_head h, h2;
	struct ledger_error err;

	ck_assert_int_eq(ledger_pg_open(ts_database(), "backend.example/log",
	    0, false, &other, &err), LEDGER_OK);
	ck_assert_int_eq(ops->begin_write(be, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->head_read(be, &h, NULL), LEDGER_OK);
	h.size = 5;
	ck_assert_int_eq(ops->head_write(be, &h, NULL), LEDGER_OK);
	ck_assert_int_eq(ops->commit(be, NULL), LEDGER_OK);
	ck_assert_int_eq(other->ops->begin_write(other, NULL), LEDGER_OK);
	ck_assert_int_eq(other->ops->head_read(other, &h2, NULL), LEDGER_OK);
	ck_assert_uint_eq(h2.size, 5);
	PB(other)->locked_size = 4;	/* as if it had lost its fence */
	h2.size = 9;
	/* the compare-and-set goes with the commit's pipeline: refused
	 * there, and no COMMIT runs */
	ck_assert_int_eq(other->ops->head_write(other, &h2, &err), LEDGER_OK);
	ck_assert_int_eq(other->ops->commit(other, &err), LEDGER_ECHAIN);
	ck_assert_msg(strstr(err.msg, "moved") != NULL, "%s", err.msg);
	other->ops->rollback(other);
	/* or with the next statement that must see it */
	ck_assert_int_eq(other->ops->begin_write(other, NULL), LEDGER_OK);
	PB(other)->locked_size = 4;
	ck_assert_int_eq(other->ops->head_write(other, &h2, &err), LEDGER_OK);
	ck_assert_int_eq(other->ops->head_read(other, &h2, &err),
	    LEDGER_ECHAIN);
	ck_assert_msg(strstr(err.msg, "moved") != NULL, "%s", err.msg);
	other->ops->rollback(other);
	/* and the connection serves the next transaction */
	ck_assert_int_eq(other->ops->begin_write(other, NULL), LEDGER_OK);
	ck_assert_int_eq(other->ops->head_read(other, &h2, NULL), LEDGER_OK);
	ck_assert_uint_eq(h2.size, 5);
	other->ops->rollback(other);
	other->ops->close(other);
	ck_assert_int_eq(ops->head_read(be, &h, NULL), LEDGER_OK);
	ck_assert_uint_eq(h.size, 5);
}
END_TEST

/* The pending pages gin_clean_pending_list finds now (and merges). */
static long
gin_pending(void)
{
	PGresult *r = PQexec(PB(be)->c, "SELECT gin_clean_pending_list("
	    "'ledger_entries_terms'::regclass)");
	long n;

	ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
	n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

/* PostgreSQL: merge_keys merges the GIN pending list on its own
 * connection, so that the writer's inserts never find it full. */
START_TEST(test_backend_pg_merges_gin_pending)
{
	struct ledger_error err;
	uint64_t i;

	for (i = 0; i < 40; i++)
		put(i, 1000 + (int64_t)i);
	ck_assert_int_eq(ops->merge_keys(be, 0, &err), LEDGER_OK);
	ck_assert_int_eq(gin_pending(), 0);
	for (; i < 80; i++)
		put(i, 1000 + (int64_t)i);
	ck_assert_int_gt(gin_pending(), 0);	/* without it: not empty */
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("backend");
	TCase *tc = tcase_create(ts_database() ? "postgresql" : "sqlite");
	TCase *own = tcase_create("own");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_backend_meta_head_and_caps);
	tcase_add_test(tc, test_backend_rows_payloads_and_lists);
	tcase_add_test(tc, test_backend_finds_deliveries_and_bodies);
	tcase_add_test(tc, test_backend_tree_and_checkpoints);
	tcase_add_test(tc, test_backend_tokens);
	tcase_add_test(tc, test_backend_verify_cursors);
	tcase_add_test(tc, test_backend_narrow_joins);
	suite_add_tcase(s, tc);
	/* each backend's own: the storage going away, its schema */
	tcase_add_checked_fixture(own, setup, teardown);
	if (ts_database() != NULL) {
		tcase_add_test(own, test_backend_pg_reconnects);
		tcase_add_test(own, test_backend_pg_head_is_a_fence);
		tcase_add_test(own, test_backend_pg_merges_gin_pending);
	} else {
		tcase_add_test(own, test_backend_notices_a_deleted_database);
		tcase_add_test(own,
		    test_backend_narrow_covering_and_old_schema);
		tcase_add_test(own, test_backend_migration_progress_and_stop);
	}
	suite_add_tcase(s, own);
	return tu_run_suite(s);
}
