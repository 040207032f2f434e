/*
 * store-pg-scan.c - the PostgreSQL backend: the scans verify needs,
 * deleting pruned payloads, the entries whose payload is gone (see
 * backend.h, store-pg.h)
 *
 * The rows, the tree and the checkpoints are read a page at a time by
 * their key (no server-side state: inside verify's read transaction the
 * pages are one snapshot); the lookup terms, sorted by term, through a
 * cursor in that transaction.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger-int.h"
#include "ledger/retention.h"
#include "store-pg-int.h"

#define PAGE 500

enum cursor_kind { C_ROWS, C_TREE, C_CHECKPOINTS, C_TERMS };

struct ledger_be_cursor {
	struct pg_backend *b;
	enum cursor_kind kind;
	PGresult *r;
	int row;
	int64_t next;			/* the key the next page starts at */
	bool last;			/* the page read was the last */
	char name[32];			/* C_TERMS: the cursor */
	bool owns_tx;			/* C_TERMS: began the transaction */
};

static const char *const page_sql[] = {
	[C_ROWS] = "SELECT " PG_ENTRY_COLUMNS ", (SELECT data FROM"
	    " ledger_payloads p WHERE p.log = e.log AND p.seq = e.seq) FROM"
	    " ledger_entries e WHERE log = $1 AND seq >= $2 ORDER BY seq LIMIT"
	    " 500",
	[C_TREE] = "SELECT id, hash FROM ledger_tree WHERE log = $1 AND id >="
	    " $2 ORDER BY id LIMIT 500",
	[C_CHECKPOINTS] = "SELECT size, root, note FROM ledger_checkpoints"
	    " WHERE log = $1 AND size >= $2 ORDER BY size LIMIT 500",
};

static enum ledger_status
open_cursor(struct ledger_backend *be, enum cursor_kind kind,
    struct ledger_be_cursor **ret, struct ledger_error *err)
{
	struct ledger_be_cursor *c;

	*ret = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	c->b = PB(be);
	c->kind = kind;
	*ret = c;
	return LEDGER_OK;
}

/* The current row of c, reading the next page when this one is done:
 * false at the end or on an error (*st). */
static bool
advance(struct ledger_be_cursor *c, bool *end, enum ledger_status *st,
    struct ledger_error *err)
{
	struct pg_params p;
	char sql[64];

	*end = false;
	*st = LEDGER_OK;
	if (c->r != NULL && c->row + 1 < PQntuples(c->r)) {
		c->row++;
		return true;
	}
	if (c->r != NULL && c->last) {
		*end = true;
		return false;
	}
	PQclear(c->r);
	c->r = NULL;
	if (c->kind == C_TERMS) {
		snprintf(sql, sizeof(sql), "FETCH %d FROM %s", PAGE, c->name);
		*st = pg_exec(c->b, sql, NULL, PGRES_TUPLES_OK, &c->r,
		    "read lookup keys", err);
	} else {
		pg_params_init(&p, c->b);
		pg_i64(&p, c->next);
		*st = pg_exec(c->b, page_sql[c->kind], &p, PGRES_TUPLES_OK,
		    &c->r, "read the log", err);
	}
	if (*st != LEDGER_OK)
		return false;
	c->row = 0;
	c->last = PQntuples(c->r) < PAGE;
	if (PQntuples(c->r) == 0) {
		*end = true;
		return false;
	}
	if (c->kind != C_TERMS)
		c->next = pg_get_i64(c->r, PQntuples(c->r) - 1, 0) + 1;
	return true;
}

void
pg_close_cursor(struct ledger_be_cursor *c)
{
	char sql[48];

	if (c == NULL)
		return;
	PQclear(c->r);
	if (c->kind == C_TERMS && c->name[0] != '\0' &&
	    PQstatus(c->b->c) == CONNECTION_OK && c->b->in_tx) {
		snprintf(sql, sizeof(sql), "CLOSE %s", c->name);
		PQclear(PQexec(c->b->c, sql));
		if (c->owns_tx) {
			PQclear(PQexec(c->b->c, "COMMIT"));
			c->b->in_tx = false;
		}
	}
	free(c);
}

enum ledger_status
pg_open_rows(struct ledger_backend *be, struct ledger_be_cursor **ret,
    struct ledger_error *err)
{
	return open_cursor(be, C_ROWS, ret, err);
}

enum ledger_status
pg_next_row(struct ledger_be_cursor *c, struct ledger_row *ret,
    uint8_t **ret_payload_z, size_t *ret_zlen, bool *end,
    struct ledger_error *err)
{
	enum ledger_status st;
	size_t zl;

	*ret_payload_z = NULL;
	*ret_zlen = 0;
	if (!advance(c, end, &st, err))
		return st;
	if ((st = pg_row(c->b, c->r, c->row, ret, err)) != LEDGER_OK)
		return st;
	if (PQgetisnull(c->r, c->row, PG_ENTRY_NCOLUMNS))
		return LEDGER_OK;
	zl = (size_t)PQgetlength(c->r, c->row, PG_ENTRY_NCOLUMNS);
	if ((*ret_payload_z = malloc(zl + 1)) == NULL) {
		ledger_row_release(ret);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	memcpy(*ret_payload_z, PQgetvalue(c->r, c->row, PG_ENTRY_NCOLUMNS),
	    zl);
	*ret_zlen = zl;
	return LEDGER_OK;
}

enum ledger_status
pg_open_tree(struct ledger_backend *be, struct ledger_be_cursor **ret,
    struct ledger_error *err)
{
	return open_cursor(be, C_TREE, ret, err);
}

enum ledger_status
pg_next_tree(struct ledger_be_cursor *c, uint64_t *ret_id,
    uint8_t hash[LEDGER_HASH_BYTES], bool *bad_len, bool *end,
    struct ledger_error *err)
{
	enum ledger_status st;

	if (!advance(c, end, &st, err))
		return st;
	*ret_id = (uint64_t)pg_get_i64(c->r, c->row, 0);
	*bad_len = PQgetlength(c->r, c->row, 1) != LEDGER_HASH_BYTES;
	memset(hash, 0, LEDGER_HASH_BYTES);
	if (!*bad_len)
		memcpy(hash, PQgetvalue(c->r, c->row, 1), LEDGER_HASH_BYTES);
	return LEDGER_OK;
}

enum ledger_status
pg_open_checkpoints(struct ledger_backend *be, struct ledger_be_cursor **ret,
    struct ledger_error *err)
{
	return open_cursor(be, C_CHECKPOINTS, ret, err);
}

enum ledger_status
pg_next_checkpoint(struct ledger_be_cursor *c,
    struct ledger_be_checkpoint *ret, bool *end, struct ledger_error *err)
{
	enum ledger_status st;

	memset(ret, 0, sizeof(*ret));
	if (!advance(c, end, &st, err))
		return st;
	ret->size = (uint64_t)pg_get_i64(c->r, c->row, 0);
	ret->bad_root = PQgetlength(c->r, c->row, 1) != LEDGER_HASH_BYTES;
	if (!ret->bad_root)
		memcpy(ret->root, PQgetvalue(c->r, c->row, 1),
		    LEDGER_HASH_BYTES);
	ret->note = PQgetvalue(c->r, c->row, 2);
	ret->note_len = (size_t)PQgetlength(c->r, c->row, 2);
	return LEDGER_OK;
}

/* Every (term, seq) by term (in byte order) then seq: the terms array
 * and the place column, as verify computes them from the entries. */
enum ledger_status
pg_open_terms(struct ledger_backend *be, struct ledger_be_cursor **ret,
    struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	struct ledger_be_cursor *c;
	struct ledger_buf sql = LEDGER_BUF_INIT;
	enum ledger_status st;
	struct pg_params p;

	if ((st = open_cursor(be, C_TERMS, &c, err)) != LEDGER_OK)
		return st;
	snprintf(c->name, sizeof(c->name), "ledger_terms_%u", ++b->cursors);
	if (!b->in_tx) {
		if ((st = be->ops->begin_read(be, err)) != LEDGER_OK) {
			free(c);
			return st;
		}
		c->owns_tx = true;
	}
	if (ledger_buf_addf(&sql, "DECLARE %s NO SCROLL CURSOR FOR SELECT t,"
	    " seq FROM (SELECT seq, unnest(terms) AS t FROM ledger_entries"
	    " WHERE log = $1 UNION ALL SELECT seq, place FROM ledger_entries"
	    " WHERE log = $1 AND place IS NOT NULL) x ORDER BY t COLLATE"
	    " \"C\", seq", c->name) != LEDGER_OK ||
	    ledger_buf_addc(&sql, '\0') != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	pg_params_init(&p, b);
	if (st == LEDGER_OK)
		st = pg_run(b, (const char *)sql.data, &p, "read lookup keys",
		    err);
	ledger_buf_release(&sql);
	if (st != LEDGER_OK) {
		c->name[0] = '\0';
		if (c->owns_tx)
			be->ops->rollback(be);
		free(c);
		return st;
	}
	*ret = c;
	return LEDGER_OK;
}

enum ledger_status
pg_next_term(struct ledger_be_cursor *c, const char **ret_term,
    size_t *ret_len, uint64_t *ret_seq, bool *end, struct ledger_error *err)
{
	enum ledger_status st;

	*ret_term = NULL;
	if (!advance(c, end, &st, err))
		return st;
	*ret_term = PQgetvalue(c->r, c->row, 0);
	*ret_len = (size_t)PQgetlength(c->r, c->row, 0);
	*ret_seq = (uint64_t)pg_get_i64(c->r, c->row, 1);
	return LEDGER_OK;
}

/* ---- retention ---- */

/* In the step's write transaction: up to max payload rows of entries with
 * next <= seq < before that are not the ledger's own, each deleted unless
 * held; the trigger keeps deletion below the recorded mark. */
static enum ledger_status
prune_rows(struct pg_backend *b, uint64_t before_seq, unsigned max,
    bool (*held)(void *ctx, uint64_t seq, int64_t time_ms, const char *env),
    void *ctx, struct ledger_prune_plan *p, struct ledger_error *err)
{
	struct ledger_buf del = LEDGER_BUF_INIT;
	enum ledger_status st, r = LEDGER_OK;
	struct pg_params q;
	PGresult *res;
	uint64_t seq = p->next_seq, bytes = 0;
	int i, n, nd = 0;

	pg_params_init(&q, b);
	pg_i64(&q, (int64_t)p->next_seq);
	pg_i64(&q, (int64_t)before_seq);
	pg_i64(&q, (int64_t)max);
	if ((st = pg_exec(b, "SELECT p.seq, e.time_ms, e.environment,"
	    " (length(p.data) + coalesce(length(p.headers), 0))::bigint FROM"
	    " ledger_payloads p JOIN ledger_entries e ON e.log = p.log AND"
	    " e.seq = p.seq WHERE p.log = $1 AND p.seq >= $2 AND p.seq < $3"
	    " AND e.kind <> 'ledger' ORDER BY p.seq LIMIT $4", &q,
	    PGRES_TUPLES_OK, &res, "prune payloads", err)))
		return st;
	n = PQntuples(res);
	r |= ledger_buf_addc(&del, '{');
	for (i = 0; i < n; i++) {
		seq = (uint64_t)pg_get_i64(res, i, 0);
		if (held(ctx, seq, pg_get_i64(res, i, 1),
		    pg_get_text(res, i, 2))) {
			p->kept++;
			continue;
		}
		r |= ledger_buf_addf(&del, "%s%" PRIu64, nd++ ? "," : "", seq);
		bytes += (uint64_t)pg_get_i64(res, i, 3);
	}
	PQclear(res);
	r |= ledger_buf_adds(&del, "}");
	r |= ledger_buf_addc(&del, '\0');
	if (r != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (st == LEDGER_OK && nd > 0) {
		pg_params_init(&q, b);
		pg_text(&q, (const char *)del.data);
		st = pg_run(b, "DELETE FROM ledger_payloads WHERE log = $1 AND"
		    " seq = ANY ($2::bigint[])", &q, "prune payloads", err);
	}
	ledger_buf_release(&del);
	if (st != LEDGER_OK)
		return st;
	p->deleted += (uint64_t)nd;
	p->bytes += bytes;
	p->next_seq = n < (int)max ? before_seq : seq + 1;
	p->done = n < (int)max;
	return LEDGER_OK;
}

enum ledger_status
pg_prune_step(struct ledger_backend *be, uint64_t before_seq, unsigned max,
    bool (*held)(void *ctx, uint64_t seq, int64_t time_ms, const char *env),
    void *ctx, struct ledger_prune_plan *p, struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	struct ledger_prune_plan save = *p;
	enum ledger_status st;
	struct pg_params q;
	char v[24];

	if ((st = be->ops->begin_write(be, err)) != LEDGER_OK)
		return st;
	snprintf(v, sizeof(v), "%" PRIu64, before_seq);
	pg_params_init(&q, b);
	pg_text(&q, v);
	if ((st = pg_run(b, "INSERT INTO ledger_meta (log, name, value) VALUES"
	    " ($1, 'prune_before', $2) ON CONFLICT (log, name) DO UPDATE SET"
	    " value = excluded.value WHERE excluded.value::bigint >"
	    " ledger_meta.value::bigint", &q, "record the pruned range",
	    err)) ||
	    (st = prune_rows(b, before_seq, max, held, ctx, p, err)) ||
	    (st = be->ops->commit(be, err))) {
		be->ops->rollback(be);
		*p = save;	/* nothing of the step happened */
		return st;
	}
	return LEDGER_OK;
}

/* The server gives deleted rows' space back itself (autovacuum): nothing
 * to do, and nothing free that this could return. */
enum ledger_status
pg_vacuum(struct ledger_backend *be, unsigned pages, bool full,
    uint64_t *ret_free_bytes, bool *ret_incremental,
    struct ledger_error *err)
{
	(void)be;
	(void)pages;
	(void)full;
	(void)err;
	*ret_free_bytes = 0;
	*ret_incremental = true;
	return LEDGER_OK;
}

enum ledger_status
pg_missing_payloads(struct ledger_backend *be, uint64_t lo, uint64_t hi,
    const char *env, int64_t since_ms, int64_t until_ms,
    int (*fn)(void *ctx, uint64_t seq, int64_t time_ms, const char *env),
    void *ctx, struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;
	int i;

	pg_params_init(&p, b);
	pg_i64(&p, (int64_t)lo);
	pg_i64(&p, (int64_t)(hi > INT64_MAX ? INT64_MAX : hi));
	pg_text(&p, env);
	pg_i64(&p, since_ms);
	pg_i64(&p, until_ms);
	if ((st = pg_exec(b, "SELECT e.seq, e.time_ms, e.environment FROM"
	    " ledger_entries e WHERE e.log = $1 AND e.seq >= $2 AND e.seq < $3"
	    " AND e.kind <> 'ledger' AND ($4::text IS NULL OR e.environment ="
	    " $4) AND ($5 = 0 OR e.time_ms >= $5) AND ($6 = 0 OR e.time_ms <"
	    " $6) AND NOT EXISTS (SELECT 1 FROM ledger_payloads p WHERE p.log ="
	    " e.log AND p.seq = e.seq) ORDER BY e.seq", &p, PGRES_TUPLES_OK,
	    &r, "find missing payloads", err)))
		return st;
	for (i = 0; i < PQntuples(r); i++)
		if (fn(ctx, (uint64_t)pg_get_i64(r, i, 0), pg_get_i64(r, i, 1),
		    pg_get_text(r, i, 2)) != 0)
			break;
	PQclear(r);
	return LEDGER_OK;
}
