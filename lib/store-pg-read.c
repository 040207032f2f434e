/*
 * store-pg-read.c - the PostgreSQL backend: reading entries, payloads and
 * tree hashes, listing by lookup terms, checkpoints and tokens (see
 * backend.h, store-pg.h)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger-int.h"
#include "lookup.h"
#include "store-pg-int.h"

/* Rows a listing reads a round trip (by seq, so a callback may ask the
 * next question between two pages). */
#define LIST_PAGE 1000

static enum ledger_status
col_text(const PGresult *r, int row, int c, char **ret,
    struct ledger_error *err)
{
	const char *t = pg_get_text(r, row, c);

	*ret = NULL;
	return t == NULL ? LEDGER_OK : ledger_strdup(t, ret, err);
}

static void
col_bytes(const PGresult *r, int row, int c, uint8_t *out, size_t n)
{
	if (!PQgetisnull(r, row, c) && (size_t)PQgetlength(r, row, c) == n)
		memcpy(out, PQgetvalue(r, row, c), n);
}

enum ledger_status
pg_row(struct pg_backend *b, const PGresult *r, int row,
    struct ledger_row *ret, struct ledger_error *err)
{
	enum ledger_status st;
	int i, n;

	memset(ret, 0, sizeof(*ret));
	ret->e.seq = (uint64_t)pg_get_i64(r, row, 0);
	n = PQgetlength(r, row, 1);
	if ((ret->entry = malloc((size_t)n + 1)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	memcpy(ret->entry, PQgetvalue(r, row, 1), (size_t)n);
	ret->entry[n] = '\0';
	ret->entry_len = (size_t)n;
	col_bytes(r, row, 2, ret->sig, LEDGER_SIG_BYTES);
	ret->e.key_id = (uint32_t)pg_get_i64(r, row, 3);
	col_bytes(r, row, 4, ret->e.prev, LEDGER_HASH_BYTES);
	ret->e.time_ms = pg_get_i64(r, row, 5);
	if (ledger_kind_parse(pg_get_text(r, row, 6), &ret->e.kind, NULL) !=
	    LEDGER_OK)
		ret->e.kind = LEDGER_KIND_COUNT;	/* verify reports it */
	if ((st = col_text(r, row, 7, &ret->e.source[LEDGER_SRC_NAME], err)) ||
	    (st = col_text(r, row, 8, &ret->e.source[LEDGER_SRC_TYPE], err)) ||
	    (st = col_text(r, row, 9, &ret->e.source[LEDGER_SRC_EVENT], err)) ||
	    (st = col_text(r, row, 10, &ret->e.source[LEDGER_SRC_DELIVERY],
	    err)) ||
	    (st = col_text(r, row, 11, &ret->e.source[LEDGER_SRC_AUTH], err)))
		goto fail;
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		if ((st = col_text(r, row, 12 + i, &ret->e.subject[i], err)))
			goto fail;
	col_bytes(r, row, 12 + LEDGER_SUBJ_COUNT, ret->e.payload_sha256,
	    LEDGER_HASH_BYTES);
	ret->e.payload_size = (uint64_t)pg_get_i64(r, row,
	    13 + LEDGER_SUBJ_COUNT);
	if ((st = col_text(r, row, 14 + LEDGER_SUBJ_COUNT,
	    &ret->e.payload_type, err)) ||
	    (b->origin != NULL && (st = ledger_strdup(b->origin, &ret->e.log,
	    err))))
		goto fail;
	return LEDGER_OK;
fail:
	ledger_row_release(ret);
	return st;
}

enum ledger_status
pg_each_row(struct pg_backend *b, const PGresult *r, ledger_be_row_fn fn,
    void *ctx, int *stop, struct ledger_error *err)
{
	struct ledger_row row;
	enum ledger_status st;
	int i;

	for (i = 0; i < PQntuples(r) && !*stop; i++) {
		if ((st = pg_row(b, r, i, &row, err)) != LEDGER_OK)
			return st;
		*stop = fn(ctx, &row);
		ledger_row_release(&row);
	}
	return LEDGER_OK;
}

enum ledger_status
pg_get_row(struct ledger_backend *be, uint64_t seq, struct ledger_row *ret,
    struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;

	memset(ret, 0, sizeof(*ret));
	if (seq > INT64_MAX)
		return ledger_errorf(err, LEDGER_ENOTFOUND, "no entry %" PRIu64,
		    seq);
	pg_params_init(&p, b);
	pg_i64(&p, (int64_t)seq);
	if ((st = pg_exec(b, "SELECT " PG_ENTRY_COLUMNS " FROM ledger_entries"
	    " WHERE log = $1 AND seq = $2", &p, PGRES_TUPLES_OK, &r,
	    "read entry", err)))
		return st;
	st = PQntuples(r) == 1 ? pg_row(b, r, 0, ret, err) :
	    ledger_errorf(err, LEDGER_ENOTFOUND, "no entry %" PRIu64, seq);
	PQclear(r);
	return st;
}

/* Column 0 of sql (log $1, seq $2) for seq, malloc'd and NUL-terminated;
 * ENOTFOUND when the row or the value is absent. */
static enum ledger_status
payload_column(struct pg_backend *b, const char *sql, uint64_t seq,
    const char *what, uint8_t **ret, size_t *ret_len,
    struct ledger_error *err)
{
	enum ledger_status st = LEDGER_OK;
	struct pg_params p;
	PGresult *r;
	int n;

	*ret = NULL;
	*ret_len = 0;
	if (seq > INT64_MAX)
		return ledger_errorf(err, LEDGER_ENOTFOUND, "no %s for entry %"
		    PRIu64, what, seq);
	pg_params_init(&p, b);
	pg_i64(&p, (int64_t)seq);
	if ((st = pg_exec(b, sql, &p, PGRES_TUPLES_OK, &r, what, err)))
		return st;
	if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
		n = PQgetlength(r, 0, 0);
		if ((*ret = malloc((size_t)n + 1)) == NULL)
			st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		else {
			memcpy(*ret, PQgetvalue(r, 0, 0), (size_t)n);
			(*ret)[n] = '\0';
			*ret_len = (size_t)n;
		}
	} else
		st = ledger_errorf(err, LEDGER_ENOTFOUND, "no %s for entry %"
		    PRIu64, what, seq);
	PQclear(r);
	return st;
}

enum ledger_status
pg_get_payload(struct ledger_backend *be, uint64_t seq, uint8_t **ret,
    size_t *ret_len, struct ledger_error *err)
{
	return payload_column(PB(be), "SELECT data FROM ledger_payloads WHERE"
	    " log = $1 AND seq = $2", seq, "payload", ret, ret_len, err);
}

enum ledger_status
pg_get_headers(struct ledger_backend *be, uint64_t seq, char **ret,
    struct ledger_error *err)
{
	enum ledger_status st;
	uint8_t *h;
	size_t len;

	*ret = NULL;
	st = payload_column(PB(be), "SELECT headers FROM ledger_payloads"
	    " WHERE log = $1 AND seq = $2", seq, "stored headers", &h, &len,
	    err);
	if (st == LEDGER_OK)
		*ret = (char *)h;
	return st;
}

/* The hashes of indexes (a proof's few dozen) in one round trip. */
enum ledger_status
pg_read_hashes(struct ledger_backend *be, const uint64_t *indexes,
    size_t count, uint8_t (*out)[LEDGER_HASH_BYTES], struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	struct ledger_buf arr = LEDGER_BUF_INIT;
	enum ledger_status st = LEDGER_OK;
	struct pg_params p;
	PGresult *r;
	size_t i;
	int row;

	if (count == 0)
		return LEDGER_OK;
	st = ledger_buf_addc(&arr, '{');
	for (i = 0; i < count && st == LEDGER_OK; i++) {
		if (indexes[i] > INT64_MAX) {
			ledger_buf_release(&arr);
			return ledger_errorf(err, LEDGER_EINVAL, "tree index out "
			    "of range");
		}
		st = ledger_buf_addf(&arr, "%s%" PRIu64, i ? "," : "",
		    indexes[i]);
	}
	if (st != LEDGER_OK || ledger_buf_adds(&arr, "}") != LEDGER_OK ||
	    ledger_buf_addc(&arr, '\0') != LEDGER_OK) {
		ledger_buf_release(&arr);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	pg_params_init(&p, b);
	pg_text(&p, (const char *)arr.data);
	st = pg_exec(b, "SELECT id, hash FROM ledger_tree WHERE log = $1 AND"
	    " id = ANY ($2::bigint[])", &p, PGRES_TUPLES_OK, &r, "read tree",
	    err);
	ledger_buf_release(&arr);
	if (st != LEDGER_OK)
		return st;
	for (i = 0; i < count; i++) {
		for (row = 0; row < PQntuples(r); row++)
			if ((uint64_t)pg_get_i64(r, row, 0) == indexes[i] &&
			    PQgetlength(r, row, 1) == LEDGER_HASH_BYTES)
				break;
		if (row == PQntuples(r)) {
			PQclear(r);
			return ledger_errorf(err, LEDGER_ECHAIN, "tree hash %"
			    PRIu64 " is missing or malformed", indexes[i]);
		}
		memcpy(out[i], PQgetvalue(r, row, 1), LEDGER_HASH_BYTES);
	}
	PQclear(r);
	return LEDGER_OK;
}

/* Not the head row: a reader answers from the rows it can see. */
enum ledger_status
pg_log_end(struct ledger_backend *be, uint64_t *ret, struct ledger_error *err)
{
	enum ledger_status st;
	int64_t max;
	bool found;

	st = pg_scalar(PB(be), "SELECT max(seq) FROM ledger_entries WHERE log ="
	    " $1", NULL, "query", &max, &found, err);
	*ret = found ? (uint64_t)max + 1 : 0;
	return st;
}

enum ledger_status
pg_seq_time(struct ledger_backend *be, uint64_t seq, uint64_t *ret_seq,
    int64_t *ret_time, bool *found, struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;

	*found = false;
	if (seq > INT64_MAX)
		return LEDGER_OK;
	pg_params_init(&p, b);
	pg_i64(&p, (int64_t)seq);
	if ((st = pg_exec(b, "SELECT seq, time_ms FROM ledger_entries WHERE"
	    " log = $1 AND seq >= $2 ORDER BY seq LIMIT 1", &p,
	    PGRES_TUPLES_OK, &r, "query", err)))
		return st;
	if (PQntuples(r) == 1) {
		*ret_seq = (uint64_t)pg_get_i64(r, 0, 0);
		*ret_time = pg_get_i64(r, 0, 1);
		*found = true;
	}
	PQclear(r);
	return LEDGER_OK;
}

/*
 * The store's expression "(a OR b) AND c ..." (lib/store-query.c) as SQL:
 * a group of place terms compares the place column, another overlaps the
 * terms array (the GIN index); each group is one text-array parameter
 * from $4 on.  *sql gets the conditions, groups[] the arrays ("{a,b}").
 */
#define LIST_GROUPS 16
static enum ledger_status
list_where(const char *terms, struct ledger_buf *sql, char **groups,
    int *ngroups, struct ledger_error *err)
{
	const char *t = terms, *end;
	enum ledger_status r = LEDGER_OK;
	struct ledger_buf g = LEDGER_BUF_INIT;
	bool place;
	size_t w;

	*ngroups = 0;
	while (t != NULL && *t != '\0') {
		if (*ngroups == LIST_GROUPS)
			return ledger_errorf(err, LEDGER_EINVAL, "too many "
			    "lookup groups");
		while (*t == ' ' || *t == '(')
			t++;
		end = strstr(t, " AND ");
		if (end == NULL)
			end = t + strlen(t);
		ledger_buf_reset(&g);
		r |= ledger_buf_addc(&g, '{');
		place = *t == ledger_lookup_letter(LEDGER_LOOKUP_PLACE);
		while (t < end) {
			w = strcspn(t, " )");
			if (t + w > end)
				w = (size_t)(end - t);
			if (w > 0 && strncmp(t, "OR", w) != 0) {
				if (g.len > 1)
					r |= ledger_buf_addc(&g, ',');
				r |= ledger_buf_add(&g, t, w);
			}
			t += w;
			while (t < end && (*t == ' ' || *t == ')'))
				t++;
		}
		r |= ledger_buf_adds(&g, "}");
		r |= ledger_buf_addc(&g, '\0');
		if (r != LEDGER_OK || (groups[*ngroups] =
		    strdup((const char *)g.data)) == NULL) {
			ledger_buf_release(&g);
			return ledger_errorf(err, LEDGER_ENOMEM, "out of "
			    "memory");
		}
		r |= ledger_buf_addf(sql, place ? " AND place = ANY ($%d::text[])"
		    : " AND terms && $%d::text[]", 4 + *ngroups);
		(*ngroups)++;
		t = *end != '\0' ? end + 5 : end;
	}
	ledger_buf_release(&g);
	return r == LEDGER_OK ? LEDGER_OK : ledger_errorf(err, LEDGER_ENOMEM,
	    "out of memory");
}

/* The entries lo <= seq < hi matching terms (NULL: all), in seq order,
 * a page at a time (the callback may query between pages). */
enum ledger_status
pg_list(struct ledger_backend *be, const char *terms, uint64_t lo,
    uint64_t hi, ledger_be_row_fn fn, void *ctx, struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	struct ledger_buf sql = LEDGER_BUF_INIT;
	char *groups[LIST_GROUPS];
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;
	int ng = 0, i, stop = 0, n;

	if (lo > INT64_MAX)
		return LEDGER_OK;
	if (hi > INT64_MAX)
		hi = INT64_MAX;
	st = ledger_buf_adds(&sql, "SELECT " PG_ENTRY_COLUMNS " FROM"
	    " ledger_entries WHERE log = $1 AND seq >= $2 AND seq < $3");
	if (st == LEDGER_OK)
		st = list_where(terms, &sql, groups, &ng, err);
	else
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (st == LEDGER_OK && (ledger_buf_addf(&sql, " ORDER BY seq LIMIT %d",
	    LIST_PAGE) != LEDGER_OK || ledger_buf_addc(&sql, '\0') !=
	    LEDGER_OK))
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	while (st == LEDGER_OK && !stop && lo < hi) {
		pg_params_init(&p, b);
		pg_i64(&p, (int64_t)lo);
		pg_i64(&p, (int64_t)hi);
		for (i = 0; i < ng; i++)
			pg_text(&p, groups[i]);
		if ((st = pg_exec(b, (const char *)sql.data, &p,
		    PGRES_TUPLES_OK, &r, "query", err)) != LEDGER_OK)
			break;
		n = PQntuples(r);
		if (n > 0)
			lo = (uint64_t)pg_get_i64(r, n - 1, 0) + 1;
		st = pg_each_row(b, r, fn, ctx, &stop, err);
		PQclear(r);
		if (n < LIST_PAGE)
			break;
	}
	for (i = 0; i < ng; i++)
		free(groups[i]);
	ledger_buf_release(&sql);
	return st;
}

/* ---- checkpoints ---- */

enum ledger_status
pg_checkpoint_insert(struct ledger_backend *be,
    const struct ledger_signed_checkpoint *cp, struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	struct pg_params p;

	pg_params_init(&p, b);
	pg_i64(&p, (int64_t)cp->size);
	pg_bytea(&p, cp->root, LEDGER_HASH_BYTES);
	pg_i64(&p, cp->time_ms);
	pg_text(&p, cp->note);		/* a signed note: UTF-8 text */
	return pg_run(b, "INSERT INTO ledger_checkpoints (log, size, root,"
	    " time_ms, note) VALUES ($1, $2, $3, $4, $5)", &p,
	    "store checkpoint", err);
}

enum ledger_status
pg_checkpoint_get(struct ledger_backend *be, int which, uint64_t size,
    struct ledger_signed_checkpoint *ret, struct ledger_error *err)
{
	static const char *const sql[] = {
		[LEDGER_CP_EXACT] = "SELECT size, root, time_ms, note FROM"
		    " ledger_checkpoints WHERE log = $1 AND size = $2",
		[LEDGER_CP_LATEST] = "SELECT size, root, time_ms, note FROM"
		    " ledger_checkpoints WHERE log = $1 ORDER BY size DESC"
		    " LIMIT 1",
		[LEDGER_CP_AT_MOST] = "SELECT size, root, time_ms, note FROM"
		    " ledger_checkpoints WHERE log = $1 AND size <= $2 ORDER BY"
		    " size DESC LIMIT 1",
		[LEDGER_CP_AT_LEAST] = "SELECT size, root, time_ms, note FROM"
		    " ledger_checkpoints WHERE log = $1 AND size >= $2 ORDER BY"
		    " size LIMIT 1",
	};
	struct pg_backend *b = PB(be);
	bool latest = which == LEDGER_CP_LATEST;
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;
	int n;

	memset(ret, 0, sizeof(*ret));
	if (which < LEDGER_CP_EXACT || which > LEDGER_CP_AT_LEAST)
		return ledger_errorf(err, LEDGER_EINVAL, "bad checkpoint query");
	if (size > INT64_MAX)
		size = INT64_MAX;	/* no stored size is larger */
	pg_params_init(&p, b);
	if (!latest)
		pg_i64(&p, (int64_t)size);
	if ((st = pg_exec(b, sql[which], &p, PGRES_TUPLES_OK, &r,
	    "read checkpoint", err)))
		return st;
	if (PQntuples(r) == 1 && PQgetlength(r, 0, 1) == LEDGER_HASH_BYTES) {
		ret->size = (uint64_t)pg_get_i64(r, 0, 0);
		memcpy(ret->root, PQgetvalue(r, 0, 1), LEDGER_HASH_BYTES);
		ret->time_ms = pg_get_i64(r, 0, 2);
		n = PQgetlength(r, 0, 3);
		if ((ret->note = malloc((size_t)n + 1)) == NULL)
			st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		else {
			memcpy(ret->note, PQgetvalue(r, 0, 3), (size_t)n);
			ret->note[n] = '\0';
			ret->note_len = (size_t)n;
		}
	} else if (PQntuples(r) == 0)
		st = latest ? ledger_errorf(err, LEDGER_ENOTFOUND,
		    "the log has no checkpoint yet") :
		    ledger_errorf(err, LEDGER_ENOTFOUND,
		    "no checkpoint of size %s%" PRIu64,
		    which == LEDGER_CP_AT_MOST ? "<= " :
		    which == LEDGER_CP_AT_LEAST ? ">= " : "", size);
	else
		st = ledger_errorf(err, LEDGER_ECHAIN,
		    "stored checkpoint is malformed");
	PQclear(r);
	return st;
}

/* ---- tokens ---- */

enum ledger_status
pg_token_insert(struct ledger_backend *be, const struct ledger_token_row *t,
    int64_t *ret_id, struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;

	pg_params_init(&p, b);
	pg_text(&p, t->scope);
	pg_bytea(&p, t->hash, t->hash_len);
	pg_text(&p, t->label);
	pg_i64(&p, t->created_ms);
	pg_text(&p, t->identity);
	/* ids count per log (two made at once: one is refused, retried) */
	if ((st = pg_exec(b, "INSERT INTO ledger_tokens (log, id, scope, hash,"
	    " label, created_ms, identity) SELECT $1, coalesce(max(id), 0) + 1,"
	    " $2, $3, $4, $5, $6 FROM ledger_tokens WHERE log = $1 RETURNING"
	    " id", &p, PGRES_TUPLES_OK, &r, "create token", err)))
		return st;
	*ret_id = pg_get_i64(r, 0, 0);
	PQclear(r);
	return LEDGER_OK;
}

enum ledger_status
pg_token_revoke(struct ledger_backend *be, int64_t id, int64_t when_ms,
    bool *changed, struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;

	*changed = false;
	pg_params_init(&p, b);
	pg_i64(&p, id);
	pg_i64(&p, when_ms);
	if ((st = pg_exec(b, "UPDATE ledger_tokens SET revoked_ms = $3 WHERE"
	    " log = $1 AND id = $2 AND revoked_ms IS NULL", &p,
	    PGRES_COMMAND_OK, &r, "revoke token", err)))
		return st;
	*changed = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	return LEDGER_OK;
}

enum ledger_status
pg_token_live(struct ledger_backend *be, int64_t id, bool *ret,
    struct ledger_error *err)
{
	int64_t one;

	return pg_scalar(PB(be), "SELECT 1::bigint FROM ledger_tokens WHERE"
	    " log = $1 AND id = $2 AND revoked_ms IS NULL", &id, "read token",
	    &one, ret, err);
}

enum ledger_status
pg_token_count(struct ledger_backend *be, int64_t *ret,
    struct ledger_error *err)
{
	bool found;

	return pg_scalar(PB(be), "SELECT count(*) FROM ledger_tokens WHERE log"
	    " = $1 AND revoked_ms IS NULL", NULL, "count tokens", ret, &found,
	    err);
}

enum ledger_status
pg_token_scan(struct ledger_backend *be,
    int (*fn)(void *ctx, const struct ledger_token_row *t), void *ctx,
    struct ledger_error *err)
{
	struct pg_backend *b = PB(be);
	struct ledger_token_row t;
	enum ledger_status st;
	struct pg_params p;
	PGresult *r;
	int i;

	pg_params_init(&p, b);
	if ((st = pg_exec(b, "SELECT id, scope, hash, label, created_ms,"
	    " revoked_ms, identity FROM ledger_tokens WHERE log = $1 ORDER BY"
	    " id", &p, PGRES_TUPLES_OK, &r, "read tokens", err)))
		return st;
	for (i = 0; i < PQntuples(r); i++) {
		t.id = pg_get_i64(r, i, 0);
		t.scope = PQgetvalue(r, i, 1);
		t.hash = (const uint8_t *)PQgetvalue(r, i, 2);
		t.hash_len = (size_t)PQgetlength(r, i, 2);
		t.label = PQgetvalue(r, i, 3);
		t.created_ms = pg_get_i64(r, i, 4);
		t.revoked_ms = pg_get_i64(r, i, 5);
		t.identity = pg_get_text(r, i, 6);
		if (fn(ctx, &t) != 0)
			break;
	}
	PQclear(r);
	return LEDGER_OK;
}
