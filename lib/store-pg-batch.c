/*
 * store-pg-batch.c - the PostgreSQL backend: a batch's rows sent as one
 * binary array per column to a statement prepared once per session,
 * INSERT ... SELECT FROM unnest(...)
 *
 * A multi-row INSERT of n rows has 31n parameters and a text that
 * changes with n, so the server parsed and planned each batch anew: a
 * fifth of its CPU per event (docs/performance.md).  The arrays keep the
 * statement fixed, so it is planned once per connection; binary arrays
 * need no escaping and no text parsing on the server.
 */
#include <endian.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ledger-int.h"
#include "store-pg-int.h"

enum { OID_BYTEA = 17, OID_INT8 = 20, OID_TEXT = 25 };

/* A one-dimensional array in PostgreSQL's binary format: ndim, has-null
 * flag, element type, then length and lower bound, then each element as
 * a length (-1: NULL) and its bytes. */
struct arr {
	struct ledger_buf b;
	bool bad;			/* out of memory */
};

static void
put32(struct arr *a, uint32_t v)
{
	v = htobe32(v);
	a->bad |= ledger_buf_add(&a->b, &v, 4) != LEDGER_OK;
}

static void
arr_begin(struct arr *a, uint32_t oid, size_t n)
{
	put32(a, 1);
	put32(a, 1);
	put32(a, oid);
	put32(a, (uint32_t)n);
	put32(a, 1);
}

static void
arr_bytes(struct arr *a, const void *v, size_t len)
{
	if (v == NULL) {
		put32(a, UINT32_MAX);
		return;
	}
	put32(a, (uint32_t)len);
	if (len > 0)
		a->bad |= ledger_buf_add(&a->b, v, len) != LEDGER_OK;
}

static void
arr_text(struct arr *a, const char *s)
{
	arr_bytes(a, s, s != NULL ? strlen(s) : 0);
}

static void
arr_i64(struct arr *a, int64_t v)
{
	uint64_t x = htobe64((uint64_t)v);

	put32(a, 8);
	a->bad |= ledger_buf_add(&a->b, &x, 8) != LEDGER_OK;
}

/* The entries' columns after log, in PG_ENTRY_COLUMNS order, then terms
 * (a text "{a,b}", cast) and place. */
#define NSRC 5
#define ENTRY_COLS (6 + 1 + NSRC + LEDGER_SUBJ_COUNT + 3 + 2)
static const uint32_t entry_oid[ENTRY_COLS] = {
	OID_INT8, OID_BYTEA, OID_BYTEA, OID_INT8, OID_BYTEA, OID_INT8,
	OID_TEXT,				/* kind */
	[7 + NSRC + LEDGER_SUBJ_COUNT] = OID_BYTEA,	/* payload_sha256 */
	[8 + NSRC + LEDGER_SUBJ_COUNT] = OID_INT8,	/* payload_size */
};

static uint32_t
entry_col_oid(int i)
{
	return entry_oid[i] != 0 ? entry_oid[i] : OID_TEXT;
}

static const char *
oid_type(uint32_t oid)
{
	return oid == OID_INT8 ? "bigint" : oid == OID_BYTEA ? "bytea" :
	    "text";
}

/* INSERT INTO table (cols) SELECT $1, c1, ... FROM unnest($2::t[], ...)
 * AS u(c1, ...); cast names one column's cast (entries: terms). */
static enum ledger_status
prepare_one(struct pg_backend *b, const char *name, const char *head,
    int n, uint32_t (*oid)(int), int cast_col, const char *cast,
    struct ledger_error *err)
{
	struct ledger_buf sql = LEDGER_BUF_INIT;
	enum ledger_status r;
	PGresult *res;
	int i;

	r = ledger_buf_adds(&sql, head);
	r |= ledger_buf_adds(&sql, " SELECT $1");
	for (i = 1; i <= n; i++)
		r |= ledger_buf_addf(&sql, ", c%d%s", i, i == cast_col ? cast :
		    "");
	r |= ledger_buf_adds(&sql, " FROM unnest(");
	for (i = 0; i < n; i++)
		r |= ledger_buf_addf(&sql, "%s$%d::%s[]", i ? ", " : "", i + 2,
		    oid_type(oid(i)));
	r |= ledger_buf_adds(&sql, ") AS u(");
	for (i = 1; i <= n; i++)
		r |= ledger_buf_addf(&sql, "%sc%d", i > 1 ? ", " : "", i);
	r |= ledger_buf_addc(&sql, ')');
	r |= ledger_buf_addc(&sql, '\0');
	if (r != LEDGER_OK) {
		ledger_buf_release(&sql);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	res = PQprepare(b->c, name, sql.data, 0, NULL);
	ledger_buf_release(&sql);
	r = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK ?
	    LEDGER_OK : pg_fail(b, res, "prepare the batch's inserts", err);
	PQclear(res);
	return r;
}

static uint32_t
payload_oid(int i)
{
	static const uint32_t o[] = { OID_INT8, OID_BYTEA, OID_TEXT };

	return o[i];
}

static uint32_t
tree_oid(int i)
{
	return i == 0 ? OID_INT8 : OID_BYTEA;
}

enum ledger_status
pg_prepare_batch(struct pg_backend *b, struct ledger_error *err)
{
	enum ledger_status st;

	if (b->prepared)
		return LEDGER_OK;
	if ((st = prepare_one(b, "ledger_ins_entries", "INSERT INTO "
	    "ledger_entries (log, " PG_ENTRY_COLUMNS ", terms, place)",
	    ENTRY_COLS, entry_col_oid, ENTRY_COLS - 1, "::text[]", err)) ||
	    (st = prepare_one(b, "ledger_ins_payloads", "INSERT INTO "
	    "ledger_payloads (log, seq, data, headers)", 3, payload_oid, 0,
	    NULL, err)) ||
	    (st = prepare_one(b, "ledger_ins_tree", "INSERT INTO ledger_tree "
	    "(log, id, hash)", 2, tree_oid, 0, NULL, err)))
		return st;
	b->prepared = true;
	return LEDGER_OK;
}

/* Run (or, in a pipeline, send) prepared statement name with $1 the log
 * and the arrays after it. */
static enum ledger_status
send_arrays(struct pg_backend *b, const char *name, struct arr *a, int n,
    const char *what, struct ledger_error *err)
{
	const char *v[ENTRY_COLS + 1];
	int len[ENTRY_COLS + 1], fmt[ENTRY_COLS + 1], i;
	enum ledger_status st = LEDGER_OK;
	PGresult *r;

	for (i = 0; i < n; i++)
		if (a[i].bad)
			return ledger_errorf(err, LEDGER_ENOMEM, "out of "
			    "memory");
	v[0] = b->log;
	len[0] = 0;
	fmt[0] = 0;
	for (i = 0; i < n; i++) {
		v[i + 1] = a[i].b.data;
		len[i + 1] = (int)a[i].b.len;
		fmt[i + 1] = 1;
	}
	if (b->piping) {
		if (PQsendQueryPrepared(b->c, name, n + 1, v, len, fmt, 1) != 1)
			return pg_fail(b, NULL, what, err);
		return pg_pipe_sent(b, what, err);
	}
	r = PQexecPrepared(b->c, name, n + 1, v, len, fmt, 1);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
		st = pg_fail(b, r, what, err);
	PQclear(r);
	return st;
}

static void
arrs_release(struct arr *a, int n)
{
	int i;

	for (i = 0; i < n; i++)
		ledger_buf_release(&a[i].b);
}

static void
entry_row(struct arr *a, const struct pg_pending *pe)
{
	const struct ledger_entry *e = &pe->row.e;
	int i, k = 0;

	arr_i64(&a[k++], (int64_t)e->seq);
	arr_bytes(&a[k++], pe->row.entry, pe->row.entry_len);
	arr_bytes(&a[k++], pe->row.sig, LEDGER_SIG_BYTES);
	arr_i64(&a[k++], e->key_id);
	arr_bytes(&a[k++], e->prev, LEDGER_HASH_BYTES);
	arr_i64(&a[k++], e->time_ms);
	arr_text(&a[k++], ledger_kind_name(e->kind));
	arr_text(&a[k++], e->source[LEDGER_SRC_NAME]);
	arr_text(&a[k++], e->source[LEDGER_SRC_TYPE]);
	arr_text(&a[k++], e->source[LEDGER_SRC_EVENT]);
	arr_text(&a[k++], e->source[LEDGER_SRC_DELIVERY]);
	arr_text(&a[k++], e->source[LEDGER_SRC_AUTH]);
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		arr_text(&a[k++], e->subject[i]);
	arr_bytes(&a[k++], e->payload_sha256, LEDGER_HASH_BYTES);
	arr_i64(&a[k++], (int64_t)e->payload_size);
	arr_text(&a[k++], e->payload_type);
	arr_text(&a[k++], pe->terms);
	arr_text(&a[k++], pe->place);
}

/* The buffered entries, then their payloads (a pruned entry, copied, has
 * none). */
enum ledger_status
pg_send_entries(struct pg_backend *b, struct ledger_error *err)
{
	struct arr a[ENTRY_COLS], p[3];
	enum ledger_status st;
	size_t i, np = 0;
	int k;

	memset(a, 0, sizeof(a));
	memset(p, 0, sizeof(p));
	for (k = 0; k < ENTRY_COLS; k++)
		arr_begin(&a[k], entry_col_oid(k), b->npend);
	for (i = 0; i < b->npend; i++) {
		entry_row(a, &b->pend[i]);
		np += b->pend[i].payload_z != NULL;
	}
	for (k = 0; k < 3; k++)
		arr_begin(&p[k], payload_oid(k), np);
	for (i = 0; i < b->npend; i++) {
		if (b->pend[i].payload_z == NULL)
			continue;
		arr_i64(&p[0], (int64_t)b->pend[i].row.e.seq);
		arr_bytes(&p[1], b->pend[i].payload_z, b->pend[i].payload_zlen);
		arr_text(&p[2], b->pend[i].headers);
	}
	st = send_arrays(b, "ledger_ins_entries", a, ENTRY_COLS,
	    "insert entries", err);
	if (st == LEDGER_OK && np > 0)
		st = send_arrays(b, "ledger_ins_payloads", p, 3,
		    "insert payloads", err);
	arrs_release(a, ENTRY_COLS);
	arrs_release(p, 3);
	return st;
}

enum ledger_status
pg_send_tree(struct pg_backend *b, struct ledger_error *err)
{
	struct arr a[2];
	enum ledger_status st;
	size_t i;

	memset(a, 0, sizeof(a));
	arr_begin(&a[0], OID_INT8, b->ntree);
	arr_begin(&a[1], OID_BYTEA, b->ntree);
	for (i = 0; i < b->ntree; i++) {
		arr_i64(&a[0], (int64_t)b->tree_id[i]);
		arr_bytes(&a[1], b->tree_hash[i], LEDGER_HASH_BYTES);
	}
	st = send_arrays(b, "ledger_ins_tree", a, 2, "insert tree hashes",
	    err);
	arrs_release(a, 2);
	return st;
}
