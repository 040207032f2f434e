/* test-store.c - data directory, append path, idempotency, durability */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <sodium.h>
#include <sqlite3.h>

#include "ledger/entry.h"
#include "ledger/keys.h"
#include "ledger/store.h"
#include "ledger/tree.h"
#include "ledger/verify.h"
#include "teststore.h"
#include "testutil.h"

static char dir[4096], data[4400];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "%s", tu_mkdtemp());
	snprintf(data, sizeof(data), "%s/data", dir);
	ck_assert_int_eq(ledger_store_init(data, "test.example/log", NULL),
	    LEDGER_OK);
}

static void
teardown(void)
{
	tu_rmtree(dir);
}

static struct ledger_event *
make_event(int i, const char *delivery, size_t payload_size)
{
	struct ledger_event *ev;
	char *body = malloc(payload_size + 1), run[32];

	ck_assert_ptr_nonnull(body);
	ck_assert_int_eq(ledger_event_new(&ev, NULL), LEDGER_OK);
	ev->e.kind = LEDGER_KIND_BUILD;
	snprintf(run, sizeof(run), "run-%d", i);
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_NAME, "ci",
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_TYPE,
	    "generic", NULL), LEDGER_OK);
	if (delivery != NULL)
		ck_assert_int_eq(ledger_event_set_source(ev,
		    LEDGER_SRC_DELIVERY, delivery, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_subject(ev, LEDGER_SUBJ_RUN, run,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_subject(ev,
	    LEDGER_SUBJ_ENVIRONMENT, i % 2 ? "production" : "staging", NULL),
	    LEDGER_OK);
	/* The body follows from the delivery id (a retry carries the same
	 * body) or else from i. */
	{
		uint8_t seed[randombytes_SEEDBYTES];
		char s[80];

		snprintf(s, sizeof(s), "%s/%d", delivery ? delivery : "-",
		    delivery ? 0 : i);
		crypto_generichash(seed, sizeof(seed), (const uint8_t *)s,
		    strlen(s), NULL, 0);
		randombytes_buf_deterministic(body, payload_size, seed);
	}
	ck_assert_int_eq(ledger_event_set_payload(ev, body, payload_size,
	    "application/octet-stream", NULL), LEDGER_OK);
	free(body);
	return ev;
}

static uint64_t
append_n(struct ledger_store *s, int n, int start)
{
	struct ledger_event *evs[256];
	struct ledger_receipt r[256];
	int i;

	ck_assert_int_le(n, 256);
	for (i = 0; i < n; i++)
		evs[i] = make_event(start + i, NULL, 100);
	ck_assert_int_eq(ledger_store_append(s, evs, (size_t)n, r, NULL),
	    LEDGER_OK);
	for (i = 0; i < n; i++)
		ledger_event_free(evs[i]);
	return r[n - 1].seq;
}

START_TEST(test_store_init_layout)
{
	struct ledger_store *s;
	struct stat sb;
	char path[4300];
	uint64_t n;

	snprintf(path, sizeof(path), "%s/ledger.key", data);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(data, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0700);
	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	ck_assert_str_eq(ledger_store_origin(s), "test.example/log");
	ck_assert_ptr_nonnull(ledger_store_vkey(s));
	ck_assert_uint_eq(ledger_store_vkey(s)->id, ledger_store_key_id(s));
	ck_assert_int_eq(ledger_store_size(s, &n, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 0);
	ledger_store_close(s);
}
END_TEST

START_TEST(test_store_init_refuses_existing)
{
	struct ledger_error err;

	ck_assert_int_eq(ledger_store_init(data, "other", &err),
	    LEDGER_EEXIST);
	ck_assert_int_eq(ledger_store_init(data, "bad name", &err),
	    LEDGER_EINVAL);
}
END_TEST

START_TEST(test_store_append_batch_receipts)
{
	struct ledger_store *s;
	struct ledger_event *evs[256];
	struct ledger_receipt r[256];
	struct ledger_row row;
	uint8_t leaf[32], *p;
	size_t plen;
	int i;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	for (i = 0; i < 256; i++)
		evs[i] = make_event(i, NULL, 1000);
	ck_assert_int_eq(ledger_store_append(s, evs, 256, r, NULL), LEDGER_OK);
	for (i = 0; i < 256; i++) {
		ck_assert_uint_eq(r[i].seq, (uint64_t)i);
		ck_assert(!r[i].duplicate);
		ck_assert_uint_eq(r[i].key_id, ledger_store_key_id(s));
		if (i > 0)
			ck_assert_int_ge(r[i].time_ms, r[i - 1].time_ms);
		ck_assert(ledger_vkey_verify_leaf(ledger_store_vkey(s),
		    r[i].leaf, r[i].sig));
		ck_assert_int_eq(ledger_store_get(s, (uint64_t)i, &row, NULL),
		    LEDGER_OK);
		ledger_leaf_hash(row.entry, row.entry_len, leaf);
		ck_assert_mem_eq(leaf, r[i].leaf, 32);
		ck_assert_mem_eq(row.sig, r[i].sig, 64);
		if (i > 0)
			ck_assert_mem_eq(row.e.prev, r[i - 1].leaf, 32);
		else
			ck_assert(sodium_is_zero(row.e.prev, 32));
		ledger_row_release(&row);
		/* Raw payload bytes come back exactly. */
		ck_assert_int_eq(ledger_store_get_payload(s, (uint64_t)i, &p,
		    &plen, NULL), LEDGER_OK);
		ck_assert_uint_eq(plen, 1000);
		{
			uint8_t h[32];

			crypto_hash_sha256(h, p, plen);
			ck_assert_mem_eq(h, evs[i]->e.payload_sha256, 32);
		}
		free(p);
	}
	for (i = 0; i < 256; i++)
		ledger_event_free(evs[i]);
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(data), 256);
}
END_TEST

START_TEST(test_store_duplicate_delivery_returns_original)
{
	struct ledger_store *s;
	struct ledger_event *evs[3];
	struct ledger_receipt r[3], again;
	uint64_t n;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	evs[0] = make_event(0, "delivery-a", 10);
	evs[1] = make_event(1, "delivery-a", 10);	/* same batch */
	evs[2] = make_event(2, "delivery-b", 10);
	ck_assert_int_eq(ledger_store_append(s, evs, 3, r, NULL), LEDGER_OK);
	ck_assert_uint_eq(r[0].seq, 0);
	ck_assert(r[1].duplicate);
	ck_assert_uint_eq(r[1].seq, 0);
	ck_assert_mem_eq(r[1].leaf, r[0].leaf, 32);
	ck_assert_mem_eq(r[1].sig, r[0].sig, 64);
	ck_assert_uint_eq(r[2].seq, 1);
	/* a later batch */
	ck_assert_int_eq(ledger_store_append(s, &evs[2], 1, &again, NULL),
	    LEDGER_OK);
	ck_assert(again.duplicate);
	ck_assert_uint_eq(again.seq, 1);
	ck_assert_int_eq(again.time_ms, r[2].time_ms);
	ck_assert_int_eq(ledger_store_size(s, &n, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 2);
	/* the same delivery id with another body: a conflict, in a later
	 * batch and within one, and nothing of the batch is appended */
	ledger_event_free(evs[1]);
	evs[1] = make_event(1, "delivery-a", 20);
	ck_assert_int_eq(ledger_store_append(s, &evs[1], 1, &again, NULL),
	    LEDGER_EEXIST);
	ledger_event_free(evs[0]);
	evs[0] = make_event(0, "delivery-c", 10);
	ledger_event_free(evs[2]);
	evs[2] = make_event(2, "delivery-c", 20);
	ck_assert_int_eq(ledger_store_append(s, &evs[0], 1, r, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_store_size(s, &n, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 3);
	{
		struct ledger_event *pair[2] = { NULL, evs[2] };

		ledger_event_free(evs[1]);
		evs[1] = make_event(1, "delivery-d", 10);
		pair[0] = evs[1];
		ck_assert_int_eq(ledger_store_append(s, pair, 2, r, NULL),
		    LEDGER_EEXIST);
		ledger_event_free(evs[1]);
		evs[1] = make_event(1, "delivery-d", 20);
		pair[0] = evs[1];
		pair[1] = make_event(3, "delivery-d", 10);
		ck_assert_int_eq(ledger_store_append(s, pair, 2, r, NULL),
		    LEDGER_EEXIST);
		ledger_event_free(pair[1]);
	}
	ck_assert_int_eq(ledger_store_size(s, &n, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 3);
	ledger_event_free(evs[0]);
	ledger_event_free(evs[1]);
	ledger_event_free(evs[2]);
	ledger_store_close(s);
	/* after reopening too */
	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	evs[0] = make_event(9, "delivery-b", 10);
	ck_assert_int_eq(ledger_store_append(s, evs, 1, &again, NULL),
	    LEDGER_OK);
	ck_assert(again.duplicate);
	ck_assert_uint_eq(again.seq, 1);
	ledger_event_free(evs[0]);
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(data), 3);
}
END_TEST

START_TEST(test_store_reopen_continues_chain)
{
	struct ledger_store *s;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	ck_assert_uint_eq(append_n(s, 10, 0), 9);
	ledger_store_close(s);
	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	ck_assert_uint_eq(append_n(s, 5, 10), 14);
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(data), 15);
}
END_TEST

START_TEST(test_store_rejects_bad_batches)
{
	struct ledger_store *s, *ro;
	struct ledger_event *ev, *bare;
	struct ledger_receipt r;
	struct ledger_error err;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	ev = make_event(0, NULL, 10);
	ck_assert_int_eq(ledger_store_append(s, &ev, 0, &r, &err),
	    LEDGER_EINVAL);
	ck_assert_int_eq(ledger_store_append(s, &ev, LEDGER_BATCH_MAX + 1, &r,
	    &err), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_event_new(&bare, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_append(s, &bare, 1, &r, &err),
	    LEDGER_EINVAL);
	ledger_event_free(bare);
	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_READONLY, &ro,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_append(ro, &ev, 1, &r, &err),
	    LEDGER_EINVAL);
	ledger_store_close(ro);
	ledger_event_free(ev);
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(data), 0);
}
END_TEST

static int
db_exec(const char *sql, char **errmsg)
{
	char path[4300];
	sqlite3 *db;
	int rc;

	snprintf(path, sizeof(path), "%s/ledger.db", data);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, errmsg);
	sqlite3_close(db);
	return rc;
}

START_TEST(test_store_triggers_refuse_update_and_delete)
{
	static const char *const stmts[] = {
		"UPDATE entries SET environment = 'x' WHERE seq = 0",
		"DELETE FROM entries WHERE seq = 0",
		"UPDATE payloads SET data = x'00' WHERE seq = 0",
		"DELETE FROM payloads",
		"UPDATE tree SET hash = zeroblob(32)",
		"DELETE FROM tree",
		"DELETE FROM head",
		"UPDATE head SET size = 0",
	};
	struct ledger_store *s;
	char *msg = NULL;
	size_t i;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	append_n(s, 3, 0);
	ledger_store_close(s);
	for (i = 0; i < sizeof(stmts) / sizeof(*stmts); i++) {
		ck_assert_msg(db_exec(stmts[i], &msg) != SQLITE_OK, "%s",
		    stmts[i]);
		sqlite3_free(msg);
		msg = NULL;
	}
	ck_assert_uint_eq(ts_verify_clean(data), 3);
}
END_TEST

START_TEST(test_store_check_constraints)
{
	static const char *const stmts[] = {
		"INSERT INTO entries (seq, entry, sig, key_id, prev, time_ms, "
		"kind, source_name, source_type, payload_sha256, payload_size, "
		"payload_type) VALUES (99, x'7b7d', zeroblob(63), 0, "
		"zeroblob(32), 0, 'build', 'a', 'b', zeroblob(32), 0, 't')",
		"INSERT INTO entries (seq, entry, sig, key_id, prev, time_ms, "
		"kind, source_name, source_type, payload_sha256, payload_size, "
		"payload_type) VALUES (99, x'7b7d', zeroblob(64), 0, "
		"zeroblob(32), 0, 'bogus', 'a', 'b', zeroblob(32), 0, 't')",
		"INSERT INTO entries (seq, entry, sig, key_id, prev, time_ms, "
		"kind, source_name, source_type, payload_sha256, payload_size, "
		"payload_type) VALUES (99, 'text', zeroblob(64), 0, "
		"zeroblob(32), 0, 'build', 'a', 'b', zeroblob(32), 0, 't')",
		"INSERT INTO tree (id, hash) VALUES (99, zeroblob(31))",
	};
	char *msg = NULL;
	size_t i;

	for (i = 0; i < sizeof(stmts) / sizeof(*stmts); i++) {
		ck_assert_msg(db_exec(stmts[i], &msg) != SQLITE_OK, "%s",
		    stmts[i]);
		sqlite3_free(msg);
		msg = NULL;
	}
}
END_TEST

START_TEST(test_store_refuses_newer_schema)
{
	struct ledger_store *s = NULL;
	struct ledger_error err;

	ck_assert_int_eq(db_exec("PRAGMA user_version = 999", NULL), SQLITE_OK);
	ck_assert_int_eq(ledger_store_open(data, 0, &s, &err), LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "newer"));
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_store_refuses_corrupt_and_missing)
{
	struct ledger_store *s = NULL;
	struct ledger_error err;
	char path[4300];
	int fd;

	ck_assert_int_eq(ledger_store_open("/nonexistent/dir", 0, &s, &err),
	    LEDGER_ENOTFOUND);
	snprintf(path, sizeof(path), "%s/ledger.db", data);
	/* Garbage where the database should be. */
	ck_assert_int_eq(unlink(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_eq(write(fd, "this is not a database, not at all......"
	    "........................................................", 96),
	    96);
	close(fd);
	ck_assert_int_ne(ledger_store_open(data, LEDGER_STORE_READONLY, &s,
	    &err), LEDGER_OK);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a database"));
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_store_refuses_truncated_database)
{
	struct ledger_store *s = NULL;
	struct ledger_error err;
	char path[4300];
	struct stat sb;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	append_n(s, 200, 0);
	ck_assert_int_eq(ledger_store_wal_checkpoint(s, NULL), LEDGER_OK);
	ledger_store_close(s);
	snprintf(path, sizeof(path), "%s/ledger.db", data);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(truncate(path, sb.st_size / 2), 0);
	/* Either open fails or verify reports; never a silent pass. */
	if (ledger_store_open(data, LEDGER_STORE_READONLY, &s, &err) ==
	    LEDGER_OK) {
		struct ledger_verify_report rep;
		enum ledger_status st;

		st = ledger_verify_store(s, NULL, NULL, NULL, &rep, &err);
		ck_assert(st != LEDGER_OK || rep.problems > 0);
		ledger_store_close(s);
	}
}
END_TEST

START_TEST(test_store_refuses_key_of_another_log)
{
	struct ledger_store *s = NULL;
	struct ledger_error err;
	char other[4300], cmd[9000];

	snprintf(other, sizeof(other), "%s/other", dir);
	ck_assert_int_eq(ledger_store_init(other, "test.example/log", NULL),
	    LEDGER_OK);
	snprintf(cmd, sizeof(cmd), "cp -p '%s/ledger.key' '%s/ledger.key'",
	    other, data);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(ledger_store_open(data, 0, &s, &err), LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "not this log's key"));
}
END_TEST

/* The key apart from the database: moved to another directory, the
 * store opens with key_file naming it (and refuses without it); the
 * checkpoint kept beside the key goes where state_dir says; an unknown
 * backend is refused by name. */
START_TEST(test_store_open_config_key_apart)
{
	struct ledger_store_config c;
	struct ledger_store *s = NULL;
	struct ledger_receipt r;
	struct ledger_event *ev;
	struct ledger_error err;
	char keys[4300], kf[4400], pf[4400], cmd[9000];

	snprintf(keys, sizeof(keys), "%s/keys", dir);
	snprintf(kf, sizeof(kf), "%s/ledger.key", keys);
	snprintf(pf, sizeof(pf), "%s/ledger.pub", keys);
	snprintf(cmd, sizeof(cmd), "mkdir -m 700 '%s' && mv '%s/ledger.key' "
	    "'%s/ledger.pub' '%s/'", keys, data, data, keys);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(ledger_store_open(data, 0, &s, &err),
	    LEDGER_ENOTFOUND);
	memset(&c, 0, sizeof(c));
	c.location = data;
	c.key_file = kf;
	c.pub_file = pf;
	c.state_dir = keys;
	ck_assert_int_eq(ledger_store_open_config(&c, &s, &err), LEDGER_OK);
	ck_assert_ptr_nonnull(ledger_store_vkey(s));
	ev = make_event(1, "apart-1", 16);
	ck_assert_int_eq(ledger_store_append(s, &ev, 1, &r, NULL), LEDGER_OK);
	ledger_event_free(ev);
	ck_assert_int_eq(ledger_store_checkpoint(s, NULL, NULL, &err),
	    LEDGER_OK);
	ledger_store_close(s);
	snprintf(cmd, sizeof(cmd), "%s/%s", keys, LEDGER_CHECKPOINT_FILE);
	ck_assert_int_eq(access(cmd, F_OK), 0);
	c.backend = "oracle";
	ck_assert_int_eq(ledger_store_open_config(&c, &s, &err),
	    LEDGER_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown storage backend"));
	c.backend = "sqlite";
	c.flags = LEDGER_STORE_READONLY;
	c.key_file = NULL;
	ck_assert_int_eq(ledger_store_open_config(&c, &s, &err), LEDGER_OK);
	ledger_store_close(s);
}
END_TEST

/* Replace the values of one subject filter (NULL: no filter). */
static void
qset(struct ledger_query *q, enum ledger_subject f, const char *v)
{
	size_t i;

	for (i = 0; i < q->subject[f].n; i++)
		free(q->subject[f].v[i].s);
	q->subject[f].n = 0;
	if (v != NULL)
		ck_assert_int_eq(ledger_query_add_subject(q, f, v, NULL),
		    LEDGER_OK);
}

static void
qsrc(struct ledger_query *q, const char *v)
{
	size_t i;

	for (i = 0; i < q->source.n; i++)
		free(q->source.v[i].s);
	q->source.n = 0;
	ck_assert_int_eq(ledger_query_param(q, "source", v, NULL), LEDGER_OK);
}

static int
count_row(void *ctx, const struct ledger_row *r)
{
	(void)r;
	(*(int *)ctx)++;
	return 0;
}

START_TEST(test_store_query_filters)
{
	struct ledger_store *s;
	struct ledger_query q = { 0 };
	int n;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	append_n(s, 20, 0);
	ledger_query_release(&q);
	n = 0;
	ck_assert_int_eq(ledger_store_query(s, &q, count_row, &n, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(n, 20);
	qset(&q, LEDGER_SUBJ_ENVIRONMENT, "production");
	n = 0;
	ck_assert_int_eq(ledger_store_query(s, &q, count_row, &n, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(n, 10);
	qset(&q, LEDGER_SUBJ_RUN, "run-3");
	n = 0;
	ck_assert_int_eq(ledger_store_query(s, &q, count_row, &n, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(n, 1);
	ledger_query_release(&q);
	q.after_seq = 14;
	q.limit = 3;
	n = 0;
	ck_assert_int_eq(ledger_store_query(s, &q, count_row, &n, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(n, 3);
	ledger_query_release(&q);
	q.kinds = 1u << LEDGER_KIND_TEST;
	n = 0;
	ck_assert_int_eq(ledger_store_query(s, &q, count_row, &n, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(n, 0);
	ledger_query_release(&q);
	q.since_ms = ledger_now_ms() + 60000;
	n = 0;
	ck_assert_int_eq(ledger_store_query(s, &q, count_row, &n, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(n, 0);
	ledger_query_release(&q);
	ledger_store_close(s);
}
END_TEST

/* A writer that has appended more than a few hundred events keeps a
 * filter of delivery ids: duplicates must still be found wherever the
 * original is (before the filter, in the same batch, after it, appended by
 * another writer). */
static void
append_deliveries(struct ledger_store *s, const char *prefix, int from,
    int n, struct ledger_receipt *r)
{
	struct ledger_event *evs[256];
	char d[64];
	int i;

	ck_assert_int_le(n, 256);
	for (i = 0; i < n; i++) {
		snprintf(d, sizeof(d), "%s-%d", prefix, from + i);
		evs[i] = make_event(from + i, d, 16);
	}
	ck_assert_int_eq(ledger_store_append(s, evs, (size_t)n, r, NULL),
	    LEDGER_OK);
	for (i = 0; i < n; i++)
		ledger_event_free(evs[i]);
}

START_TEST(test_store_duplicates_found_with_delivery_filter)
{
	struct ledger_store *s, *other;
	struct ledger_receipt r[256], orig[256];
	struct ledger_event *evs[3];
	uint64_t n;
	int i;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	append_deliveries(s, "u", 0, 200, orig);	/* before any filter */
	for (i = 1; i < 4; i++)
		append_deliveries(s, "u", 200 * i, 200, r);	/* 800 */
	/* Retries of the first batch, now that the filter exists. */
	append_deliveries(s, "u", 0, 200, r);
	for (i = 0; i < 200; i++) {
		ck_assert(r[i].duplicate);
		ck_assert_uint_eq(r[i].seq, orig[i].seq);
		ck_assert_mem_eq(r[i].leaf, orig[i].leaf, 32);
	}
	ck_assert_int_eq(ledger_store_size(s, &n, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 800);
	/* New ones, with a duplicate inside the batch. */
	evs[0] = make_event(1, "new-a", 8);
	evs[1] = make_event(2, "new-b", 8);
	evs[2] = make_event(3, "new-a", 8);
	ck_assert_int_eq(ledger_store_append(s, evs, 3, r, NULL), LEDGER_OK);
	ck_assert(!r[0].duplicate);
	ck_assert(!r[1].duplicate);
	ck_assert(r[2].duplicate);
	ck_assert_uint_eq(r[2].seq, r[0].seq);
	for (i = 0; i < 3; i++)
		ledger_event_free(evs[i]);
	/* Another writer appends a delivery behind this one's back. */
	ck_assert_int_eq(ledger_store_open(data, 0, &other, NULL), LEDGER_OK);
	evs[0] = make_event(4, "from-the-other-writer", 8);
	ck_assert_int_eq(ledger_store_append(other, evs, 1, orig, NULL),
	    LEDGER_OK);
	ledger_store_close(other);
	ck_assert_int_eq(ledger_store_append(s, evs, 1, r, NULL), LEDGER_OK);
	ck_assert(r[0].duplicate);
	ck_assert_uint_eq(r[0].seq, orig[0].seq);
	ledger_event_free(evs[0]);
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(data), 803);
}
END_TEST

/* The filter grows by parts (a new one twice the size when the newest is
 * full) instead of being rebuilt: retries are still found in every part,
 * and ledger_store_prepare_ingest builds it up front. */
START_TEST(test_store_delivery_filter_grows)
{
	struct ledger_store *s;
	struct ledger_receipt r[250], orig[250];
	uint64_t n;
	int i, b;

	/* only a writer has a filter to prepare */
	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_READONLY, &s,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_prepare_ingest(s, NULL), LEDGER_EINVAL);
	ledger_store_close(s);
	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_prepare_ingest(s, NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_prepare_ingest(s, NULL), LEDGER_OK);
	append_deliveries(s, "g", 0, 250, orig);
	/* 10,000 keys: past the first part's 4,096 and the second's 8,192 */
	for (b = 1; b < 40; b++)
		append_deliveries(s, "g", 250 * b, 250, r);
	append_deliveries(s, "g", 0, 250, r);
	for (i = 0; i < 250; i++) {
		ck_assert(r[i].duplicate);
		ck_assert_uint_eq(r[i].seq, orig[i].seq);
	}
	append_deliveries(s, "g", 9750, 250, r);	/* the newest part */
	for (i = 0; i < 250; i++)
		ck_assert(r[i].duplicate);
	append_deliveries(s, "g", 10000, 250, r);	/* new ones */
	for (i = 0; i < 250; i++)
		ck_assert(!r[i].duplicate);
	ck_assert_int_eq(ledger_store_size(s, &n, NULL), LEDGER_OK);
	ck_assert_uint_eq(n, 10250);
	ledger_store_close(s);
}
END_TEST

static struct ledger_event *
make_traced(int i, const char *commit, const char *artifact)
{
	struct ledger_event *ev = make_event(i, NULL, 8);

	if (commit != NULL)
		ck_assert_int_eq(ledger_event_set_subject(ev,
		    LEDGER_SUBJ_COMMIT, commit, NULL), LEDGER_OK);
	if (artifact != NULL)
		ck_assert_int_eq(ledger_event_set_subject(ev,
		    LEDGER_SUBJ_ARTIFACT, artifact, NULL), LEDGER_OK);
	return ev;
}

static int
query_count(struct ledger_store *s, const struct ledger_query *q)
{
	int n = 0;

	ck_assert_int_eq(ledger_store_query(s, q, count_row, &n, NULL),
	    LEDGER_OK);
	return n;
}

/* Commits, artifacts and runs are found through lookup keys; the answers
 * must be exactly those of a column comparison. */
START_TEST(test_store_query_by_lookup_keys)
{
	static const char *const commits[] = { "aaaa1111", "bbbb2222",
	    "cccc3333" };
	struct ledger_event *evs[30];
	struct ledger_receipt r[30];
	struct ledger_store *s;
	struct ledger_query q = { 0 };
	char art[80];
	int i;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	for (i = 0; i < 30; i++) {
		snprintf(art, sizeof(art), "sha256:%064d", i % 5);
		evs[i] = make_traced(i, i % 7 == 6 ? NULL : commits[i % 3],
		    art);
	}
	ck_assert_int_eq(ledger_store_append(s, evs, 30, r, NULL), LEDGER_OK);
	for (i = 0; i < 30; i++)
		ledger_event_free(evs[i]);
	ledger_query_release(&q);
	qset(&q, LEDGER_SUBJ_COMMIT, "aaaa1111");	/* i % 3 == 0, not i % 7 == 6 */
	ck_assert_int_eq(query_count(s, &q), 8);
	qset(&q, LEDGER_SUBJ_COMMIT, "AAAA1111");	/* normalized as at ingest */
	ck_assert_int_eq(query_count(s, &q), 8);
	qset(&q, LEDGER_SUBJ_COMMIT, "aaaa111");	/* a 7-digit prefix */
	ck_assert_int_eq(query_count(s, &q), 8);
	qset(&q, LEDGER_SUBJ_COMMIT, "aaaa1112");
	ck_assert_int_eq(query_count(s, &q), 0);
	qset(&q, LEDGER_SUBJ_COMMIT, "bbbb2222");
	qset(&q, LEDGER_SUBJ_ARTIFACT, "sha256:"
	    "0000000000000000000000000000000000000000000000000000000000000001");
	ck_assert_int_eq(query_count(s, &q), 2);	/* i = 1, 16 */
	qset(&q, LEDGER_SUBJ_ENVIRONMENT, "staging");	/* even i */
	ck_assert_int_eq(query_count(s, &q), 1);	/* 16 */
	qset(&q, LEDGER_SUBJ_ENVIRONMENT, NULL);
	qset(&q, LEDGER_SUBJ_COMMIT, NULL);
	q.after_seq = 6;
	ck_assert_int_eq(query_count(s, &q), 4);	/* 11, 16, 21, 26 */
	q.limit = 2;
	ck_assert_int_eq(query_count(s, &q), 2);
	ledger_query_release(&q);
	qset(&q, LEDGER_SUBJ_RUN, "run-17");
	q.kinds = 1u << LEDGER_KIND_BUILD;
	ck_assert_int_eq(query_count(s, &q), 1);
	q.kinds = 1u << LEDGER_KIND_TEST;
	ck_assert_int_eq(query_count(s, &q), 0);
	ledger_query_release(&q);
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(data), 30);
}
END_TEST

/* A database written before schema 004 (B-tree indexes on the random
 * columns, no entry_keys): readers still answer from it, and the first
 * writer migrates it with every existing entry findable and every
 * delivery still idempotent. */
static void
downgrade_to_v3(void)
{
	char path[4500], *msg = NULL;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/ledger.db", data);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	/* the indexes of schema/001-init.sql */
	ck_assert_msg(sqlite3_exec(db, "BEGIN; " TS_UNDO_SCHEMA_12
	    "DROP TABLE entry_keys; "
	    "ALTER TABLE payloads DROP COLUMN headers; "
	    "ALTER TABLE entries DROP COLUMN deployment; "
	    "CREATE UNIQUE INDEX entries_delivery ON entries (source_name, "
	    "delivery) WHERE delivery IS NOT NULL; "
	    "CREATE INDEX entries_time ON entries (time_ms); "
	    "CREATE INDEX entries_kind ON entries (kind, time_ms); "
	    "CREATE INDEX entries_environment ON entries (environment, "
	    "time_ms) WHERE environment IS NOT NULL; "
	    "CREATE INDEX entries_commit ON entries (commit_id) WHERE "
	    "commit_id IS NOT NULL; "
	    "CREATE INDEX entries_artifact ON entries (artifact) WHERE "
	    "artifact IS NOT NULL; "
	    "CREATE INDEX entries_pipeline ON entries (pipeline, time_ms) "
	    "WHERE pipeline IS NOT NULL; "
	    "CREATE INDEX entries_service ON entries (service, time_ms) "
	    "WHERE service IS NOT NULL; "
	    "CREATE INDEX entries_run ON entries (run) WHERE run IS NOT NULL; "
	    TS_UNDO_SCHEMA_11 TS_UNDO_SCHEMA_10
	    "PRAGMA user_version = 3; COMMIT;", NULL, NULL, &msg) == SQLITE_OK,
	    "%s", msg);
	sqlite3_close(db);
}

START_TEST(test_store_migrates_to_lookup_keys)
{
	struct ledger_event *evs[12];
	struct ledger_receipt r[12], again;
	struct ledger_store *s;
	struct ledger_query q = { 0 };
	char d[32];
	int i;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	for (i = 0; i < 12; i++) {
		evs[i] = make_traced(i, i % 2 ? "odd" : "even", NULL);
		snprintf(d, sizeof(d), "d-%d", i);
		ck_assert_int_eq(ledger_event_set_source(evs[i],
		    LEDGER_SRC_DELIVERY, d, NULL), LEDGER_OK);
	}
	ck_assert_int_eq(ledger_store_append(s, evs, 12, r, NULL), LEDGER_OK);
	ledger_store_close(s);
	downgrade_to_v3();

	/* A reader of the old schema: no migration, same answers. */
	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_READONLY, &s,
	    NULL), LEDGER_OK);
	ledger_query_release(&q);
	qset(&q, LEDGER_SUBJ_COMMIT, "odd");
	ck_assert_int_eq(query_count(s, &q), 6);
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(data), 12);

	/* The writer migrates. */
	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	ck_assert_int_eq(query_count(s, &q), 6);
	qset(&q, LEDGER_SUBJ_RUN, "run-5");
	ck_assert_int_eq(query_count(s, &q), 1);
	ck_assert_int_eq(ledger_store_append(s, &evs[7], 1, &again, NULL),
	    LEDGER_OK);
	ck_assert(again.duplicate);
	ck_assert_uint_eq(again.seq, r[7].seq);
	ledger_query_release(&q);
	ledger_store_close(s);
	for (i = 0; i < 12; i++)
		ledger_event_free(evs[i]);
	ck_assert_uint_eq(ts_verify_clean(data), 12);
}
END_TEST

/* Queries find a time range by bisecting seqs, right because entry times
 * never decrease; every filter goes through the lookup keys or the seq
 * range.  Checked against what the rows hold. */
struct collect {
	uint64_t seqs[64];
	int n;
};

static int
collect_row(void *ctx, const struct ledger_row *r)
{
	struct collect *c = ctx;

	if (c->n < 64)
		c->seqs[c->n] = r->e.seq;
	c->n++;
	return 0;
}

static int
run_query(struct ledger_store *s, const struct ledger_query *q,
    struct collect *c)
{
	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(ledger_store_query(s, q, collect_row, c, NULL),
	    LEDGER_OK);
	return c->n;
}

START_TEST(test_store_query_time_ranges_and_terms)
{
	struct ledger_store *s;
	struct ledger_query q = { 0 };
	struct ledger_row row;
	struct collect c;
	int64_t t[3];
	int b;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	for (b = 0; b < 3; b++) {	/* 3 batches of 5, 20 ms apart */
		if (b > 0)
			usleep(20000);
		append_n(s, 5, 5 * b);
		ck_assert_int_eq(ledger_store_get(s, (uint64_t)(5 * b), &row,
		    NULL), LEDGER_OK);
		t[b] = row.e.time_ms;
		ledger_row_release(&row);
	}
	ck_assert_int_lt(t[0], t[1]);
	ck_assert_int_lt(t[1], t[2]);
	ledger_query_release(&q);
	q.since_ms = t[1];
	ck_assert_int_eq(run_query(s, &q, &c), 10);
	ck_assert_uint_eq(c.seqs[0], 5);
	q.until_ms = t[2];			/* exclusive */
	ck_assert_int_eq(run_query(s, &q, &c), 5);
	ck_assert_uint_eq(c.seqs[4], 9);
	q.since_ms = t[1] + 1;			/* between batches */
	ck_assert_int_eq(run_query(s, &q, &c), 0);
	q.since_ms = t[0];
	q.until_ms = t[0] + 1;
	ck_assert_int_eq(run_query(s, &q, &c), 5);
	q.since_ms = t[2] + 1;			/* after the end */
	q.until_ms = 0;
	ck_assert_int_eq(run_query(s, &q, &c), 0);
	/* terms with a time range and paging */
	ledger_query_release(&q);
	q.since_ms = t[1];
	qset(&q, LEDGER_SUBJ_ENVIRONMENT, "production");	/* odd i */
	ck_assert_int_eq(run_query(s, &q, &c), 5);	/* 5 7 9 11 13 */
	ck_assert_uint_eq(c.seqs[0], 5);
	q.after_seq = 7;
	q.limit = 2;
	ck_assert_int_eq(run_query(s, &q, &c), 2);	/* 9 11 */
	ck_assert_uint_eq(c.seqs[0], 9);
	ck_assert_uint_eq(c.seqs[1], 11);
	/* every filterable field is a term */
	ledger_query_release(&q);
	qsrc(&q, "ci");
	ck_assert_int_eq(run_query(s, &q, &c), 15);
	qsrc(&q, "nope");
	ck_assert_int_eq(run_query(s, &q, &c), 0);
	ledger_query_release(&q);
	q.kinds = 1u << LEDGER_KIND_BUILD;
	qset(&q, LEDGER_SUBJ_RUN, "run-12");
	ck_assert_int_eq(run_query(s, &q, &c), 1);
	ck_assert_uint_eq(c.seqs[0], 12);
	qset(&q, LEDGER_SUBJ_ENVIRONMENT, "staging");	/* 12 is even */
	ck_assert_int_eq(run_query(s, &q, &c), 1);
	qset(&q, LEDGER_SUBJ_ENVIRONMENT, "production");
	ck_assert_int_eq(run_query(s, &q, &c), 0);
	ledger_query_release(&q);
	qset(&q, LEDGER_SUBJ_URL, "https://nowhere.example/");
	ck_assert_int_eq(run_query(s, &q, &c), 0);	/* column scan */
	ledger_query_release(&q);
	ledger_store_close(s);
}
END_TEST

/* The log signs times that never go backwards, and verify holds it to
 * that: an entry re-signed with the log's own key but an earlier time
 * than its predecessor is reported at its seq. */
START_TEST(test_store_verify_reports_time_going_back)
{
	struct ledger_store *s;
	struct ledger_key *key;
	struct ledger_row row;
	struct ledger_buf enc = LEDGER_BUF_INIT;
	struct ledger_verify_report rep;
	uint8_t leaf[32], sig[64];
	char path[4500];
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t t0;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	append_n(s, 1, 0);
	usleep(5000);
	append_n(s, 1, 1);
	ck_assert_int_eq(ledger_store_get(s, 0, &row, NULL), LEDGER_OK);
	t0 = row.e.time_ms;
	ledger_row_release(&row);
	ck_assert_int_eq(ledger_store_get(s, 1, &row, NULL), LEDGER_OK);
	ledger_store_close(s);
	snprintf(path, sizeof(path), "%s/ledger.key", data);
	ck_assert_int_eq(ledger_key_load(path, &key, NULL), LEDGER_OK);
	free(row.e.log);
	row.e.log = strdup("test.example/log");
	row.e.time_ms = t0 - 1000;
	ck_assert_int_eq(ledger_entry_encode(&row.e, &enc, NULL), LEDGER_OK);
	ledger_leaf_hash(enc.data, enc.len, leaf);
	ledger_key_sign_leaf(key, leaf, sig);
	ledger_key_free(key);
	snprintf(path, sizeof(path), "%s/ledger.db", data);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "DROP TRIGGER entries_no_update",
	    NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE entries SET entry = "
	    "?1, sig = ?2, time_ms = ?3 WHERE seq = 1", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_blob(st, 1, enc.data, (int)enc.len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, sig, 64, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, t0 - 1000);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	ledger_buf_release(&enc);
	ledger_row_release(&row);

	ck_assert_int_eq(ledger_store_open(data, LEDGER_STORE_READONLY, &s,
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_verify_store(s, NULL, NULL, NULL, &rep, NULL),
	    LEDGER_OK);
	ledger_store_close(s);
	ck_assert_uint_eq(rep.count[LEDGER_PROB_REORDERED], 1);
	ck_assert(rep.has_first_bad);
	ck_assert_uint_eq(rep.first_bad_seq, 1);
}
END_TEST

/* Verify while a writer appends: every verify sees a consistent snapshot
 * and finds it intact. */
struct writer_ctx {
	atomic_int stop;
	int batches;
};

static void *
writer(void *arg)
{
	struct writer_ctx *w = arg;
	struct ledger_store *s;
	int i = 0;

	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	while (!atomic_load(&w->stop) && i < 200) {
		append_n(s, 50, i * 50);
		i++;
	}
	w->batches = i;
	ledger_store_close(s);
	return NULL;
}

START_TEST(test_store_verify_snapshot_while_writing)
{
	struct writer_ctx w = { 0, 0 };
	pthread_t t;
	uint64_t last = 0, n;
	int i;

	ck_assert_int_eq(pthread_create(&t, NULL, writer, &w), 0);
	for (i = 0; i < 10; i++) {
		n = ts_verify_clean(data);
		ck_assert_uint_ge(n, last);
		last = n;
	}
	atomic_store(&w.stop, 1);
	pthread_join(t, NULL);
	ck_assert_uint_eq(ts_verify_clean(data), (uint64_t)w.batches * 50);
}
END_TEST

/* ---- a real full disk: a small tmpfs (needs root; skipped otherwise) ---- */

static char mnt[4200];
static bool mounted;

static void
setup_full(void)
{
	snprintf(dir, sizeof(dir), "%s", tu_mkdtemp());
	snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
	ck_assert_int_eq(mkdir(mnt, 0700), 0);
	mounted = mount("tmpfs", mnt, "tmpfs", 0, "size=1m") == 0;
	snprintf(data, sizeof(data), "%s/data", mnt);
}

static void
teardown_full(void)
{
	if (mounted)
		umount2(mnt, MNT_DETACH);	/* even if a failed test left files open */
	tu_rmtree(dir);
}

START_TEST(test_store_full_disk_loses_nothing)
{
	struct ledger_store *s;
	/* batches large enough for the signer thread (SIGN_THREAD_MIN) */
	struct ledger_event *evs[32];
	struct ledger_receipt r[32];
	struct ledger_error err;
	enum ledger_status st = LEDGER_OK;
	uint64_t before = 0, after;
	char filler[4400];
	int i, fd, batches = 0;

	if (!mounted) {
		fprintf(stderr, "full-disk test skipped: cannot mount tmpfs "
		    "(not root?)\n");
		return;
	}
	ck_assert_int_eq(ledger_store_init(data, "full.example/log", NULL),
	    LEDGER_OK);
	/* Reserve some space that we can free later. */
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	fd = open(filler, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	{
		char block[4096];

		memset(block, 0, sizeof(block));
		for (i = 0; i < 64; i++)
			ck_assert_int_eq(write(fd, block, sizeof(block)),
			    (ssize_t)sizeof(block));
	}
	close(fd);
	ck_assert_int_eq(ledger_store_open(data, 0, &s, NULL), LEDGER_OK);
	while (batches < 1000) {
		for (i = 0; i < 32; i++)
			evs[i] = make_event(batches * 32 + i, NULL, 4000);
		st = ledger_store_append(s, evs, 32, r, &err);
		for (i = 0; i < 32; i++)
			ledger_event_free(evs[i]);
		if (st != LEDGER_OK)
			break;
		before = r[31].seq + 1;
		batches++;
	}
	ck_assert_int_eq(st, LEDGER_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "full"));
	ck_assert_int_gt(batches, 0);
	ck_assert_int_eq(ledger_store_size(s, &after, NULL), LEDGER_OK);
	ck_assert_uint_eq(after, before);
	/* Make room: the same handle keeps working, at the next seq. */
	ck_assert_int_eq(unlink(filler), 0);
	evs[0] = make_event(0, NULL, 100);
	ck_assert_int_eq(ledger_store_append(s, evs, 1, r, &err), LEDGER_OK);
	ck_assert_uint_eq(r[0].seq, before);
	ledger_event_free(evs[0]);
	ledger_store_close(s);
	ck_assert_uint_eq(ts_verify_clean(data), before + 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store");
	TCase *tc;

	if (sodium_init() < 0)
		return EXIT_FAILURE;
	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_store_init_layout);
	tcase_add_test(tc, test_store_init_refuses_existing);
	tcase_add_test(tc, test_store_append_batch_receipts);
	tcase_add_test(tc, test_store_duplicate_delivery_returns_original);
	tcase_add_test(tc, test_store_reopen_continues_chain);
	tcase_add_test(tc, test_store_rejects_bad_batches);
	tcase_add_test(tc, test_store_triggers_refuse_update_and_delete);
	tcase_add_test(tc, test_store_check_constraints);
	tcase_add_test(tc, test_store_refuses_newer_schema);
	tcase_add_test(tc, test_store_refuses_corrupt_and_missing);
	tcase_add_test(tc, test_store_refuses_truncated_database);
	tcase_add_test(tc, test_store_refuses_key_of_another_log);
	tcase_add_test(tc, test_store_open_config_key_apart);
	tcase_add_test(tc, test_store_query_filters);
	tcase_add_test(tc, test_store_duplicates_found_with_delivery_filter);
	tcase_add_test(tc, test_store_delivery_filter_grows);
	tcase_add_test(tc, test_store_query_by_lookup_keys);
	tcase_add_test(tc, test_store_migrates_to_lookup_keys);
	tcase_add_test(tc, test_store_query_time_ranges_and_terms);
	tcase_add_test(tc, test_store_verify_reports_time_going_back);
	tcase_add_test(tc, test_store_verify_snapshot_while_writing);
	suite_add_tcase(s, tc);

	tc = tcase_create("full-disk");
	tcase_add_checked_fixture(tc, setup_full, teardown_full);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_store_full_disk_loses_nothing);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
