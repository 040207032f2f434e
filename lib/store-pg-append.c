/*
 * store-pg-append.c - the PostgreSQL backend: a batch's rows, buffered and
 * sent as multi-row INSERTs; finding a delivery, a body, the places of an
 * environment (see backend.h, store-pg.h)
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger-int.h"
#include "lookup.h"
#include "store-pg-int.h"

/* The terms as an array literal "{a,b}" and the place term apart; every
 * term is letters and digits (lib/lookup.h). */
static enum ledger_status
split_terms(const char *terms, char **arr, char **place,
    struct ledger_error *err)
{
	size_t n = terms != NULL ? strlen(terms) : 0, i, k = 0, w;
	const char *t = terms;
	char *a;

	*arr = *place = NULL;
	if (n == 0)
		return LEDGER_OK;
	if ((a = malloc(n + 3)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	a[k++] = '{';
	while (*t != '\0') {
		w = strcspn(t, " ");
		for (i = 0; i < w; i++)
			if (!((t[i] >= 'a' && t[i] <= 'z') ||
			    (t[i] >= '0' && t[i] <= '9'))) {
				free(a);
				return ledger_errorf(err, LEDGER_EINVAL,
				    "bad lookup term");
			}
		if (w > 0 && t[0] == ledger_lookup_letter(LEDGER_LOOKUP_PLACE)) {
			free(*place);
			if ((*place = strndup(t, w)) == NULL) {
				free(a);
				return ledger_errorf(err, LEDGER_ENOMEM,
				    "out of memory");
			}
		} else if (w > 0) {
			if (k > 1)
				a[k++] = ',';
			memcpy(a + k, t, w);
			k += w;
		}
		t += w;
		t += *t == ' ';
	}
	a[k++] = '}';
	a[k] = '\0';
	*arr = a;
	return LEDGER_OK;
}

enum ledger_status
pg_insert_entry(struct ledger_backend *be, const struct ledger_be_insert *in,
    struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	struct ledger_row src;
	struct pg_pending *p;
	enum ledger_status st;

	if (b->npend == PG_INSERT_ROWS && (st = pg_flush(b, err)))
		return st;
	if (b->npend == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 32;

		if ((p = realloc(b->pend, cap * sizeof(*p))) == NULL)
			return ledger_errorf(err, LEDGER_ENOMEM, "out of "
			    "memory");
		b->pend = p;
		b->cap = cap;
	}
	p = &b->pend[b->npend];
	memset(p, 0, sizeof(*p));
	memset(&src, 0, sizeof(src));
	src.e = *in->e;
	src.entry = (uint8_t *)in->entry;
	src.entry_len = in->entry_len;
	memcpy(src.sig, in->sig, LEDGER_SIG_BYTES);
	if (!ledger_row_copy(&p->row, &src))
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	b->npend++;		/* pending_free releases it from here */
	if ((st = split_terms(in->terms, &p->terms, &p->place, err)))
		return st;
	if (in->payload_z == NULL)	/* pruned (a copied log) */
		return LEDGER_OK;
	if ((p->payload_z = malloc(in->payload_zlen + 1)) == NULL ||
	    (in->headers != NULL && (p->headers = strdup(in->headers)) ==
	    NULL))
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	memcpy(p->payload_z, in->payload_z, in->payload_zlen);
	p->payload_zlen = in->payload_zlen;
	return LEDGER_OK;
}

enum ledger_status
pg_insert_tree(struct ledger_backend *be, uint64_t id,
    const uint8_t hash[LEDGER_HASH_BYTES], struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	enum ledger_status st;

	if (b->ntree == 2 * PG_INSERT_ROWS && (st = pg_flush(b, err)))
		return st;
	if (b->ntree == b->tree_cap) {
		size_t cap = b->tree_cap ? 2 * b->tree_cap : 64;
		uint64_t *ids = realloc(b->tree_id, cap * sizeof(*ids));
		uint8_t (*h)[32];

		if (ids == NULL)
			return ledger_errorf(err, LEDGER_ENOMEM, "out of "
			    "memory");
		b->tree_id = ids;
		if ((h = realloc(b->tree_hash, cap * sizeof(*h))) == NULL)
			return ledger_errorf(err, LEDGER_ENOMEM, "out of "
			    "memory");
		b->tree_hash = h;
		b->tree_cap = cap;
	}
	b->tree_id[b->ntree] = id;
	memcpy(b->tree_hash[b->ntree++], hash, LEDGER_HASH_BYTES);
	return LEDGER_OK;
}

/* ---- sending the buffered rows ---- */

/* The parameters of one multi-row statement. */
struct rows_params {
	const char **v;
	int *len, *fmt;
	uint64_t *be64;
	int n, cap;
};

static bool
rp_init(struct rows_params *p, int cap, const char *log)
{
	memset(p, 0, sizeof(*p));
	p->v = calloc((size_t)cap, sizeof(*p->v));
	p->len = calloc((size_t)cap, sizeof(*p->len));
	p->fmt = calloc((size_t)cap, sizeof(*p->fmt));
	p->be64 = calloc((size_t)cap, sizeof(*p->be64));
	p->cap = cap;
	if (p->v == NULL || p->len == NULL || p->fmt == NULL ||
	    p->be64 == NULL)
		return false;
	p->v[p->n++] = log;		/* $1 */
	return true;
}

static void
rp_free(struct rows_params *p)
{
	free(p->v);
	free(p->len);
	free(p->fmt);
	free(p->be64);
}

static void
rp_text(struct rows_params *p, const char *s)
{
	p->v[p->n] = s;
	p->fmt[p->n++] = 0;
}

static void
rp_i64(struct rows_params *p, int64_t v)
{
	p->be64[p->n] = htobe64((uint64_t)v);
	p->v[p->n] = (const char *)&p->be64[p->n];
	p->len[p->n] = 8;
	p->fmt[p->n++] = 1;
}

static void
rp_bytea(struct rows_params *p, const void *v, size_t len)
{
	p->v[p->n] = v;
	p->len[p->n] = (int)len;
	p->fmt[p->n++] = 1;
}

/* "($1, $k, ..., $k+n-1)" for row values after the first. */
static enum ledger_status
row_values(struct ledger_buf *sql, int *k, int n, bool first)
{
	enum ledger_status r = ledger_buf_adds(sql, first ? "($1" : ",($1");
	int i;

	for (i = 0; i < n; i++)
		r |= ledger_buf_addf(sql, ",$%d", (*k)++);
	r |= ledger_buf_addc(sql, ')');
	return r;
}

static enum ledger_status
send_rows(struct pg_backend *b, struct ledger_buf *sql,
    const struct rows_params *p, const char *what, struct ledger_error *err)
{
	PGresult *r;
	enum ledger_status st = LEDGER_OK;

	if (ledger_buf_addc(sql, '\0') != LEDGER_OK)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	r = PQexecParams(b->c, (const char *)sql->data, p->n, NULL, p->v,
	    p->len, p->fmt, 1);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
		st = pg_fail(b, r, what, err);
	PQclear(r);
	return st;
}

static void
entry_params(struct rows_params *p, const struct pg_pending *pe)
{
	const struct ledger_entry *e = &pe->row.e;
	int i;

	rp_i64(p, (int64_t)e->seq);
	rp_bytea(p, pe->row.entry, pe->row.entry_len);
	rp_bytea(p, pe->row.sig, LEDGER_SIG_BYTES);
	rp_i64(p, e->key_id);
	rp_bytea(p, e->prev, LEDGER_HASH_BYTES);
	rp_i64(p, e->time_ms);
	rp_text(p, ledger_kind_name(e->kind));
	rp_text(p, e->source[LEDGER_SRC_NAME]);
	rp_text(p, e->source[LEDGER_SRC_TYPE]);
	rp_text(p, e->source[LEDGER_SRC_EVENT]);
	rp_text(p, e->source[LEDGER_SRC_DELIVERY]);
	rp_text(p, e->source[LEDGER_SRC_AUTH]);
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		rp_text(p, e->subject[i]);
	rp_bytea(p, e->payload_sha256, LEDGER_HASH_BYTES);
	rp_i64(p, (int64_t)e->payload_size);
	rp_text(p, e->payload_type);
	rp_text(p, pe->terms);
	rp_text(p, pe->place);
}

#define ENTRY_PARAMS (PG_ENTRY_NCOLUMNS + 2)

static enum ledger_status
flush_entries(struct pg_backend *b, struct ledger_error *err)
{
	struct ledger_buf sql = LEDGER_BUF_INIT;
	struct rows_params p;
	enum ledger_status st, r;
	size_t i, np;
	int k = 2;

	if (!rp_init(&p, 1 + (int)b->npend * ENTRY_PARAMS, b->log)) {
		rp_free(&p);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	r = ledger_buf_adds(&sql, "INSERT INTO ledger_entries (log, "
	    PG_ENTRY_COLUMNS ", terms, place) VALUES ");
	for (i = 0; i < b->npend; i++) {
		r |= row_values(&sql, &k, ENTRY_PARAMS, i == 0);
		entry_params(&p, &b->pend[i]);
	}
	st = r != LEDGER_OK ? ledger_errorf(err, LEDGER_ENOMEM, "out of "
	    "memory") : send_rows(b, &sql, &p, "insert entries", err);
	/* the payloads, in the same order */
	ledger_buf_reset(&sql);
	p.n = 1;
	k = 2;
	r = ledger_buf_adds(&sql, "INSERT INTO ledger_payloads (log, seq,"
	    " data, headers) VALUES ");
	for (i = 0, np = 0; i < b->npend && st == LEDGER_OK; i++) {
		if (b->pend[i].payload_z == NULL)
			continue;
		r |= row_values(&sql, &k, 3, np++ == 0);
		rp_i64(&p, (int64_t)b->pend[i].row.e.seq);
		rp_bytea(&p, b->pend[i].payload_z, b->pend[i].payload_zlen);
		rp_text(&p, b->pend[i].headers);
	}
	if (st == LEDGER_OK && np > 0)
		st = r != LEDGER_OK ? ledger_errorf(err, LEDGER_ENOMEM, "out "
		    "of memory") : send_rows(b, &sql, &p, "insert payloads",
		    err);
	ledger_buf_release(&sql);
	rp_free(&p);
	return st;
}

static enum ledger_status
flush_tree(struct pg_backend *b, struct ledger_error *err)
{
	struct ledger_buf sql = LEDGER_BUF_INIT;
	struct rows_params p;
	enum ledger_status st, r;
	size_t i;
	int k = 2;

	if (!rp_init(&p, 1 + 2 * (int)b->ntree, b->log)) {
		rp_free(&p);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	r = ledger_buf_adds(&sql, "INSERT INTO ledger_tree (log, id, hash)"
	    " VALUES ");
	for (i = 0; i < b->ntree; i++) {
		r |= row_values(&sql, &k, 2, i == 0);
		rp_i64(&p, (int64_t)b->tree_id[i]);
		rp_bytea(&p, b->tree_hash[i], LEDGER_HASH_BYTES);
	}
	st = r != LEDGER_OK ? ledger_errorf(err, LEDGER_ENOMEM, "out of "
	    "memory") : send_rows(b, &sql, &p, "insert tree hashes", err);
	ledger_buf_release(&sql);
	rp_free(&p);
	return st;
}

static void
rows_free(struct pg_backend *b)
{
	size_t i;

	for (i = 0; i < b->npend; i++) {
		ledger_row_release(&b->pend[i].row);
		free(b->pend[i].terms);
		free(b->pend[i].place);
		free(b->pend[i].payload_z);
		free(b->pend[i].headers);
	}
	b->npend = 0;
}

void
pg_pending_free(struct pg_backend *b)
{
	rows_free(b);
	b->ntree = 0;
}

/* Entries before the tree hashes: a failure leaves the transaction to
 * the caller's rollback, which drops what is still buffered. */
enum ledger_status
pg_flush(struct pg_backend *b, struct ledger_error *err)
{
	enum ledger_status st = LEDGER_OK;

	if (b->npend > 0 && (st = flush_entries(b, err)) == LEDGER_OK)
		rows_free(b);
	if (st == LEDGER_OK && b->ntree > 0 &&
	    (st = flush_tree(b, err)) == LEDGER_OK)
		b->ntree = 0;
	return st;
}

/* ---- finding ---- */

enum ledger_status
pg_find_delivery(struct ledger_backend *be, const char *source,
    const char *delivery, const char *term, struct ledger_row *ret,
    bool *found, struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;

	(void)term;		/* the unique index finds it */
	memset(ret, 0, sizeof(*ret));
	*found = false;
	pg_params_init(&p, b);
	pg_text(&p, source);
	pg_text(&p, delivery);
	if ((st = pg_exec(b, "SELECT " PG_ENTRY_COLUMNS " FROM ledger_entries"
	    " WHERE log = $1 AND source_name = $2 AND delivery = $3 ORDER BY"
	    " seq LIMIT 1", &p, PGRES_TUPLES_OK, &r, "look up delivery",
	    err)))
		return st;
	if (PQntuples(r) == 1)
		*found = (st = pg_row(b, r, 0, ret, err)) == LEDGER_OK;
	PQclear(r);
	return st;
}

enum ledger_status
pg_find_body(struct ledger_backend *be, const char *source,
    const uint8_t sha256[LEDGER_HASH_BYTES], const char *term,
    ledger_be_row_fn fn, void *ctx, struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;
	int stop = 0;

	pg_params_init(&p, b);
	pg_text(&p, term);
	pg_text(&p, source);
	pg_bytea(&p, sha256, LEDGER_HASH_BYTES);
	if ((st = pg_exec(b, "SELECT " PG_ENTRY_COLUMNS " FROM ledger_entries"
	    " WHERE log = $1 AND terms @> ARRAY[$2::text] AND source_name = $3"
	    " AND payload_sha256 = $4 ORDER BY seq", &p, PGRES_TUPLES_OK, &r,
	    "look up body", err)))
		return st;
	st = pg_each_row(b, r, fn, ctx, &stop, err);
	PQclear(r);
	return st;
}

/*
 * The distinct terms in [lo, hi).  The store asks this for places (the
 * services of an environment, lib/store-query.c): one probe of the place
 * index each (a loose index scan), not every deployment's row.  Any other
 * range reads the log's terms whole.
 */
enum ledger_status
pg_scan_terms(struct ledger_backend *be, const char *lo, const char *hi,
    int (*fn)(void *ctx, const char *term, size_t len), void *ctx,
    struct ledger_error *err)
{
	static const char places[] = "WITH RECURSIVE t (p) AS (SELECT"
	    " min(place) FROM ledger_entries WHERE log = $1 AND place >= $2"
	    " AND place < $3 UNION ALL SELECT (SELECT min(place) FROM"
	    " ledger_entries WHERE log = $1 AND place > t.p AND place < $3)"
	    " FROM t WHERE t.p IS NOT NULL) SELECT p FROM t WHERE p IS NOT"
	    " NULL";
	static const char any[] = "SELECT DISTINCT t COLLATE \"C\" FROM"
	    " (SELECT unnest(terms) AS t FROM ledger_entries WHERE log = $1) x"
	    " WHERE t COLLATE \"C\" >= $2 AND t COLLATE \"C\" < $3 ORDER BY 1";
	char x = ledger_lookup_letter(LEDGER_LOOKUP_PLACE);
	struct pg_backend *b = PB(be);
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;
	int i;

	pg_params_init(&p, b);
	pg_text(&p, lo);
	pg_text(&p, hi);
	if ((st = pg_exec(b, lo[0] == x && hi[0] == x ? places : any, &p,
	    PGRES_TUPLES_OK, &r, "read lookup terms", err)))
		return st;
	for (i = 0; i < PQntuples(r); i++)
		if (fn(ctx, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i,
		    0)) != 0)
			break;
	PQclear(r);
	return LEDGER_OK;
}
