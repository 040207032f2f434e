/* teststore.c - a fresh ledger for the suites that test through a store */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "ledger/store.h"
#include "ledger/verify.h"
#include "teststore.h"
#include "testutil.h"

static char dir[4096], data[4400], log_made[256];

const char *
ts_database(void)
{
	const char *db = getenv("LEDGER_TEST_DATABASE");

	return db != NULL && db[0] != '\0' ? db : NULL;
}

void
ts_setup(const char *origin)
{
	struct ledger_error err;

	snprintf(dir, sizeof(dir), "%s", tu_mkdtemp());
	snprintf(data, sizeof(data), "%s/data", dir);
	/* a log a test before left (a crash) goes first */
	if (ts_database() != NULL)
		ts_pg_drop_log(origin);
	ck_assert_msg(ledger_store_init_at(data, origin, ts_database(), &err) ==
	    LEDGER_OK, "%s", err.msg);
	snprintf(log_made, sizeof(log_made), "%s", ts_database() ? origin : "");
}

void
ts_teardown(void)
{
	if (log_made[0] != '\0')
		ts_pg_drop_log(log_made);
	log_made[0] = '\0';
	tu_rmtree(dir);
}

/* Run sql as the test database's owner, the guard triggers off (a test's
 * tamper, a cleanup); the result's status. */
static ExecStatusType
pg_exec_raw(const char *sql, const char *log, char *msg, size_t n)
{
	const char *v[1] = { log };
	ExecStatusType st;
	PGconn *c = PQconnectdb(ts_database());
	PGresult *r;

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	PQclear(PQexec(c, "SET session_replication_role = replica"));
	r = log != NULL ? PQexecParams(c, sql, 1, NULL, v, NULL, NULL, 0) :
	    PQexec(c, sql);
	st = PQresultStatus(r);
	if (msg != NULL)
		snprintf(msg, n, "%s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return st;
}

void
ts_pg_drop_log(const char *log)
{
	static const char *const tables[] = { "ledger_payloads",
	    "ledger_entries", "ledger_tree", "ledger_checkpoints",
	    "ledger_tokens", "ledger_meta", "ledger_head", "ledger_logs" };
	char sql[128], msg[512];
	size_t i;

	for (i = 0; i < sizeof(tables) / sizeof(*tables); i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE log = $1",
		    tables[i]);
		if (pg_exec_raw(sql, log, msg, sizeof(msg)) ==
		    PGRES_COMMAND_OK)
			continue;
		/* no schema yet: nothing to drop */
		ck_assert_msg(strstr(msg, "does not exist") != NULL, "%s: %s",
		    sql, msg);
	}
}

void
ts_pg_sql(const char *sql)
{
	char msg[512];

	ck_assert_msg(pg_exec_raw(sql, NULL, msg, sizeof(msg)) !=
	    PGRES_FATAL_ERROR, "%s: %s", sql, msg);
}

const char *
ts_dir(void)
{
	return dir;
}

const char *
ts_data(void)
{
	return data;
}

uint64_t
ts_verify_clean(const char *d)
{
	struct ledger_store *s;
	struct ledger_verify_report rep;

	ck_assert_int_eq(ledger_store_open(d, LEDGER_STORE_READONLY, &s, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_verify_store(s, NULL, NULL, NULL, &rep, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(rep.problems, 0);
	ledger_store_close(s);
	return rep.entries;
}

void
ts_sql(const char *datadir, const char *sql)
{
	char path[4500], *msg = NULL;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/ledger.db", datadir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK,
	    "%s: %s", sql, msg);
	sqlite3_close(db);
}

static void
seen(void *ctx, uint64_t seq, enum ledger_problem p, const char *detail)
{
	struct ts_seen *sn = ctx;

	(void)detail;
	if (sn->n < 16) {
		sn->seq[sn->n] = seq;
		sn->p[sn->n++] = p;
	}
}

struct ledger_verify_report
ts_verify_seen(const char *d, const struct ledger_vkey *key,
    struct ts_seen *sn)
{
	struct ledger_verify_opts o = { key, key != NULL, 0, 0 };
	struct ledger_verify_report rep;
	struct ledger_store *r;

	memset(sn, 0, sizeof(*sn));
	ck_assert_int_eq(ledger_store_open(d, LEDGER_STORE_READONLY, &r, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_verify_store(r, &o, seen, sn, &rep, NULL),
	    LEDGER_OK);
	ledger_store_close(r);
	return rep;
}

int
ts_sql_rc(const char *datadir, const char *sql)
{
	char path[4500];
	sqlite3 *db;
	int rc;

	snprintf(path, sizeof(path), "%s/ledger.db", datadir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

uint64_t
ts_addv(struct ledger_store *s, enum ledger_kind kind,
    const char *const *fields)
{
	struct ledger_event *ev;
	struct ledger_receipt r;
	const char *kv, *v;
	char name[32];
	int f;

	ck_assert_int_eq(ledger_event_new(&ev, NULL), LEDGER_OK);
	ev->e.kind = kind;
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_NAME, "ci",
	    NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_event_set_source(ev, LEDGER_SRC_TYPE,
	    "generic", NULL), LEDGER_OK);
	for (; (kv = *fields) != NULL; fields++) {
		ck_assert_ptr_nonnull(strchr(kv, '='));
		snprintf(name, sizeof(name), "%.*s",
		    (int)(strchr(kv, '=') - kv), kv);
		v = strchr(kv, '=') + 1;
		if (strcmp(name, "source") == 0 || strcmp(name, "event") == 0 ||
		    strcmp(name, "type") == 0) {
			ck_assert_int_eq(ledger_event_set_source(ev,
			    name[0] == 's' ? LEDGER_SRC_NAME : name[0] == 't' ?
			    LEDGER_SRC_TYPE : LEDGER_SRC_EVENT, v, NULL),
			    LEDGER_OK);
			continue;
		}
		f = ledger_subject_lookup(name);
		ck_assert_int_ge(f, 0);
		ck_assert_int_eq(ledger_event_set_subject(ev,
		    (enum ledger_subject)f, v, NULL), LEDGER_OK);
	}
	ck_assert_int_eq(ledger_event_set_payload(ev, "{}", 2,
	    "application/json", NULL), LEDGER_OK);
	ck_assert_int_eq(ledger_store_append(s, &ev, 1, &r, NULL), LEDGER_OK);
	ledger_event_free(ev);
	return r.seq;
}

uint64_t
ts_add(struct ledger_store *s, enum ledger_kind kind, ...)
{
	const char *fields[32];
	size_t n = 0;
	va_list ap;

	va_start(ap, kind);
	while ((fields[n] = va_arg(ap, const char *)) != NULL) {
		n++;
		ck_assert_uint_lt(n, 32);
	}
	va_end(ap);
	return ts_addv(s, kind, fields);
}
