/*
 * store-pg-append.c - the PostgreSQL backend: a batch's rows, buffered and
 * sent (lib/store-pg-batch.c) with the head's update and the COMMIT in
 * one pipeline; finding a delivery, a body, the places of an environment
 * (see backend.h, store-pg.h)
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

/* ---- sending the buffered rows (lib/store-pg-batch.c) ---- */

enum ledger_status
pg_pipe_sent(struct pg_backend *b, const char *what, struct ledger_error *err)
{
	if (b->npipe == sizeof(b->pipe_what) / sizeof(*b->pipe_what))
		return ledger_errorf(err, LEDGER_EDB, "%s: pipeline full",
		    what);
	b->pipe_what[b->npipe++] = what;
	return LEDGER_OK;
}

/* In pipeline mode: send, and read the result at the sync. */
static enum ledger_status
pipe_send(struct pg_backend *b, const char *sql, int n,
    const char *const *v, const int *len, const int *fmt, const char *what,
    struct ledger_error *err)
{
	if (PQsendQueryParams(b->c, sql, n, NULL, v, len, fmt, 1) != 1)
		return pg_fail(b, NULL, what, err);
	return pg_pipe_sent(b, what, err);
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
	b->head_pending = false;
}

/* The head moves by compare-and-set from the size read under the lock;
 * a mismatch is an error (division by zero), not zero rows, so that in
 * a pipeline the COMMIT behind it never runs. */
static const char head_sql[] = "WITH u AS (UPDATE ledger_head SET size ="
    " $2, last_leaf = $3, last_time_ms = $4 WHERE log = $1 AND size = $5"
    " RETURNING 1) SELECT 1 / count(*)::int FROM u";

static enum ledger_status
head_failed(struct pg_backend *b, const PGresult *r, struct ledger_error *err)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	if (state != NULL && strcmp(state, "22012") == 0)
		return ledger_errorf(err, LEDGER_ECHAIN, "update head: log "
		    "'%s' moved from size %" PRIu64 " under the lock", b->log,
		    b->locked_size);
	return pg_fail(b, r, "update head", err);
}

static enum ledger_status
flush_head(struct pg_backend *b, struct ledger_error *err)
{
	enum ledger_status st = LEDGER_OK;
	struct pg_params p;
	PGresult *r;

	pg_params_init(&p, b);
	pg_i64(&p, (int64_t)b->head.size);
	pg_bytea(&p, b->head.last_leaf, LEDGER_HASH_BYTES);
	pg_i64(&p, b->head.last_time_ms);
	pg_i64(&p, (int64_t)b->locked_size);
	if (b->piping)
		return pipe_send(b, head_sql, p.n, p.v, p.len, p.fmt,
		    "update head", err);
	r = PQexecParams(b->c, head_sql, p.n, NULL, p.v, p.len, p.fmt, 1);
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK)
		st = head_failed(b, r, err);
	PQclear(r);
	return st;
}

/* Entries before the tree hashes, then the head: a failure leaves the
 * transaction to the caller's rollback, which drops what is still
 * buffered. */
enum ledger_status
pg_flush(struct pg_backend *b, struct ledger_error *err)
{
	enum ledger_status st = LEDGER_OK;

	if (!b->piping && (b->npend > 0 || b->ntree > 0) &&
	    (st = pg_prepare_batch(b, err)))
		return st;
	if (b->npend > 0 && (st = pg_send_entries(b, err)) == LEDGER_OK)
		rows_free(b);
	if (st == LEDGER_OK && b->ntree > 0 &&
	    (st = pg_send_tree(b, err)) == LEDGER_OK)
		b->ntree = 0;
	if (st == LEDGER_OK && b->head_pending &&
	    (st = flush_head(b, err)) == LEDGER_OK)
		b->head_pending = false;
	return st;
}

/* The pipeline's results in order: the first failure is the answer (the
 * statements behind it were skipped: PGRES_PIPELINE_ABORTED), and the
 * last must be a COMMIT that committed. */
static enum ledger_status
pipe_collect(struct pg_backend *b, enum ledger_status st,
    struct ledger_error *err)
{
	ExecStatusType rs;
	PGresult *r;
	size_t i;

	for (i = 0; i < b->npipe; i++) {
		if ((r = PQgetResult(b->c)) == NULL) {
			if (st == LEDGER_OK)
				st = pg_fail(b, NULL, b->pipe_what[i], err);
			return st;	/* the connection went */
		}
		rs = PQresultStatus(r);
		if (st == LEDGER_OK && rs == PGRES_FATAL_ERROR)
			st = strcmp(b->pipe_what[i], "update head") == 0 ?
			    head_failed(b, r, err) : pg_fail(b, r,
			    b->pipe_what[i], err);
		else if (st == LEDGER_OK && rs == PGRES_PIPELINE_ABORTED)
			st = ledger_errorf(err, LEDGER_EDB, "%s: skipped",
			    b->pipe_what[i]);
		else if (st == LEDGER_OK && i + 1 == b->npipe &&
		    strcmp(PQcmdStatus(r), "COMMIT") != 0)
			st = ledger_errorf(err, LEDGER_EDB, "commit: the "
			    "transaction was rolled back");
		PQclear(r);
		while ((r = PQgetResult(b->c)) != NULL)	/* its end */
			PQclear(r);
	}
	if ((r = PQgetResult(b->c)) != NULL)	/* the sync */
		PQclear(r);
	return st;
}

enum ledger_status
pg_commit_pipelined(struct pg_backend *b, struct ledger_error *err)
{
	enum ledger_status st;

	if ((st = pg_prepare_batch(b, err)))
		goto out;
	if (PQenterPipelineMode(b->c) != 1) {
		st = pg_fail(b, NULL, "commit", err);
		goto out;
	}
	b->piping = true;
	b->npipe = 0;
	if ((st = pg_flush(b, err)) == LEDGER_OK)
		st = pipe_send(b, "COMMIT", 0, NULL, NULL, NULL, "commit",
		    err);
	b->piping = false;
	if (PQpipelineSync(b->c) != 1 && st == LEDGER_OK)
		st = pg_fail(b, NULL, "commit", err);
	st = pipe_collect(b, st, err);
	PQexitPipelineMode(b->c);
out:
	if (st != LEDGER_OK && PQstatus(b->c) == CONNECTION_OK &&
	    PQtransactionStatus(b->c) != PQTRANS_IDLE)
		PQclear(PQexec(b->c, "ROLLBACK"));
	pg_pending_free(b);
	b->in_tx = b->write_tx = false;
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
