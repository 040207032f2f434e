/*
 * report.c - deployments joined to their approvals (lib/report-int.h)
 *
 * The linking rules of ledger/report.h, and the context every answer
 * (lib/report-answers.c, lib/gate.c) builds on: rows copied out of the
 * store's queries, deployments grouped from them, approvals and commit
 * authors looked up through the lookup keys and cached per answer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/jcs.h"
#include "ledger/query.h"
#include "ledger/status.h"
#include "ledger/wire.h"
#include "ledger-int.h"
#include "report-int.h"
#include "store-int.h"

struct report_tuning report_tuning;

/* ---- small containers ---- */

bool
idx_push(struct idx *x, size_t v)
{
	size_t *p;

	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 4;

		if ((p = realloc(x->v, cap * sizeof(*p))) == NULL)
			return false;
		x->v = p;
		x->cap = cap;
	}
	x->v[x->n++] = v;
	return true;
}

/* A copy of s (or NULL) in r's string chunks. */
static char *
rows_strdup(struct rows *r, const char *s, bool *nomem)
{
	struct rows_chunk *c = r->chunk;
	size_t n;
	char *p;

	if (s == NULL || *nomem)
		return NULL;
	n = strlen(s) + 1;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > ROWS_CHUNK ? n : ROWS_CHUNK;

		if ((c = malloc(sizeof(*c) + cap)) == NULL) {
			*nomem = true;
			return NULL;
		}
		c->next = r->chunk;
		c->used = 0;
		c->cap = cap;
		r->chunk = c;
	}
	p = c->data + c->used;
	memcpy(p, s, n);
	c->used += n;
	return p;
}

bool
rows_push(struct rows *r, const struct ledger_row *row)
{
	struct ledger_row *p, *d;
	bool nomem = false;
	int i;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;

		if ((p = realloc(r->v, cap * sizeof(*p))) == NULL)
			return false;
		r->v = p;
		r->cap = cap;
	}
	/* the decoded fields only: no answer here shows the entry bytes */
	d = &r->v[r->n];
	memset(d, 0, sizeof(*d));
	d->e = row->e;
	d->e.log = rows_strdup(r, row->e.log, &nomem);
	for (i = 0; i < LEDGER_SRC_COUNT; i++)
		d->e.source[i] = rows_strdup(r, row->e.source[i], &nomem);
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		d->e.subject[i] = rows_strdup(r, row->e.subject[i], &nomem);
	d->e.payload_type = rows_strdup(r, row->e.payload_type, &nomem);
	memcpy(d->sig, row->sig, sizeof(d->sig));
	if (nomem)
		return false;		/* what was copied goes with r */
	r->n++;
	return true;
}

/* Push row unless its seq is in seen already (rows found under several
 * keys are kept once): 1 pushed, 0 already there, -1 out of memory. */
int
rows_push_once(struct rows *r, struct smap *seen, const struct ledger_row *row)
{
	struct smap_slot *sl;
	char key[24];
	bool created;

	snprintf(key, sizeof(key), "%" PRIu64, row->e.seq);
	if ((sl = smap_get(seen, key, &created)) == NULL)
		return -1;
	if (!created)
		return 0;
	return rows_push(r, row) ? 1 : -1;
}

void
rows_release(struct rows *r)
{
	struct rows_chunk *c, *next;

	for (c = r->chunk; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* A string's hash, eight bytes at a time (the keys are digests and
 * commits: FNV-1a's byte loop was a tenth of a quarter's population). */
static uint64_t
hash_str(const char *s)
{
	const uint64_t k = UINT64_C(0x9e3779b97f4a7c15);
	size_t n = strlen(s), i;
	uint64_t h = n * k, w;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, s + i, n - i);
	h = (h ^ w) * k;
	h ^= h >> 32;		/* the table takes the low bits */
	return h * UINT64_C(0xbf58476d1ce4e5b9) ^ (h >> 31);
}

struct smap_slot *
smap_slot(struct smap *m, const char *key, bool *found)
{
	struct smap_slot *v;
	size_t i, j;

	*found = false;
	if (2 * (m->n + 1) > m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;

		if ((v = calloc(cap, sizeof(*v))) == NULL)
			return NULL;
		for (i = 0; i < m->cap; i++) {
			if (m->v[i].key == NULL)
				continue;
			j = hash_str(m->v[i].key) & (cap - 1);
			while (v[j].key != NULL)
				j = (j + 1) & (cap - 1);
			v[j] = m->v[i];
		}
		free(m->v);
		m->v = v;
		m->cap = cap;
	}
	i = hash_str(key) & (m->cap - 1);
	while (m->v[i].key != NULL) {
		if (strcmp(m->v[i].key, key) == 0) {
			*found = true;
			return &m->v[i];
		}
		i = (i + 1) & (m->cap - 1);
	}
	return &m->v[i];
}

struct smap_slot *
smap_get(struct smap *m, const char *key, bool *created)
{
	struct smap_slot *sl;
	bool found;

	*created = false;
	if ((sl = smap_slot(m, key, &found)) == NULL || found)
		return sl;
	if ((sl->key = strdup(key)) == NULL)
		return NULL;
	m->n++;
	*created = true;
	return sl;
}

void
smap_release(struct smap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		free(m->v[i].key);
		free(m->v[i].to.v);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* ---- the rules ---- */

const char *
ledger_rule_name(enum ledger_match_rule r)
{
	switch (r) {
	case LEDGER_RULE_ARTIFACT:	return "artifact";
	case LEDGER_RULE_RUN:		return "run";
	case LEDGER_RULE_COMMIT:	return "commit";
	default:			return NULL;
	}
}

static bool
eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

enum ledger_match_rule
ledger_approval_match(const struct ledger_entry *a,
    const struct ledger_entry *d)
{
	const char *const *x = (const char *const *)a->subject;
	const char *const *y = (const char *const *)d->subject;

	if (!eq(x[LEDGER_SUBJ_ENVIRONMENT], y[LEDGER_SUBJ_ENVIRONMENT]))
		return LEDGER_RULE_NONE;
	if (x[LEDGER_SUBJ_ARTIFACT] != NULL && y[LEDGER_SUBJ_ARTIFACT] != NULL)
		return eq(x[LEDGER_SUBJ_ARTIFACT], y[LEDGER_SUBJ_ARTIFACT]) ?
		    LEDGER_RULE_ARTIFACT : LEDGER_RULE_NONE;
	if (x[LEDGER_SUBJ_RUN] != NULL && y[LEDGER_SUBJ_RUN] != NULL)
		return eq(x[LEDGER_SUBJ_RUN], y[LEDGER_SUBJ_RUN]) &&
		    (x[LEDGER_SUBJ_PIPELINE] == NULL ||
		    y[LEDGER_SUBJ_PIPELINE] == NULL ||
		    eq(x[LEDGER_SUBJ_PIPELINE], y[LEDGER_SUBJ_PIPELINE])) ?
		    LEDGER_RULE_RUN : LEDGER_RULE_NONE;
	if (x[LEDGER_SUBJ_COMMIT] != NULL && y[LEDGER_SUBJ_COMMIT] != NULL)
		return eq(x[LEDGER_SUBJ_COMMIT], y[LEDGER_SUBJ_COMMIT]) ?
		    LEDGER_RULE_COMMIT : LEDGER_RULE_NONE;
	return LEDGER_RULE_NONE;
}

static const char *const exc_names[] = {
	"unapproved", "late-approval", "rejected", "self-approved",
};

const char *
ledger_exception_name(unsigned bit)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		if (bit == 1u << i)
			return exc_names[i];
	return NULL;
}

unsigned
ledger_exception_parse(const char *name)
{
	unsigned i;

	for (i = 0; name != NULL && i < 4; i++)
		if (strcmp(name, exc_names[i]) == 0)
			return 1u << i;
	return 0;
}

/* ---- context ---- */

enum ledger_status
report_init(struct report *rep, struct ledger_store *s, const char *env,
    const char *service, struct ledger_error *err)
{
	enum ledger_status st;

	memset(rep, 0, sizeof(*rep));
	rep->s = s;
	if (env != NULL && (st = ledger_subject_normalize(
	    LEDGER_SUBJ_ENVIRONMENT, env, strlen(env), &rep->env, err)))
		return st;
	if (service != NULL && (st = ledger_subject_normalize(
	    LEDGER_SUBJ_SERVICE, service, strlen(service), &rep->service,
	    err))) {
		free(rep->env);
		rep->env = NULL;
		return st;
	}
	/* the whole answer from one snapshot of the log */
	if ((st = ledger_store_snapshot_begin(s, err)) != LEDGER_OK) {
		free(rep->env);
		free(rep->service);
		rep->env = rep->service = NULL;
		return st;
	}
	rep->snapshot = true;
	return LEDGER_OK;
}

void
dep_release(struct dep *d)
{
	free(d->entries.v);
	free(d->m);
	free(d->evidence.v);
	free(d->authors.v);
	memset(d, 0, sizeof(*d));
}

void
report_release(struct report *rep)
{
	size_t i;

	for (i = 0; i < rep->ndeps; i++)
		dep_release(&rep->deps[i]);
	free(rep->deps);
	rows_release(&rep->rows);
	rows_release(&rep->approvals);
	smap_release(&rep->by_key);
	smap_release(&rep->authors);
	smap_release(&rep->seen_approvals);
	for (i = 0; i < rep->nauthor_names; i++)
		free(rep->author_names[i]);
	free(rep->author_names);
	free(rep->env);
	free(rep->service);
	if (rep->snapshot)
		ledger_store_snapshot_end(rep->s);
	memset(rep, 0, sizeof(*rep));
}

/* ---- collecting and grouping ---- */

struct collect {
	struct report *rep;
	struct smap ids;		/* "source\0pipeline\0env\0id" -> dep */
	char key[4 * 1100];
};

static bool
is_deployment(const struct ledger_entry *e)
{
	return e->kind == LEDGER_KIND_DEPLOYMENT &&
	    e->subject[LEDGER_SUBJ_ENVIRONMENT] != NULL;
}

static struct dep *
new_dep(struct report *rep, size_t row)
{
	struct dep *d;

	if (rep->ndeps == rep->capdeps) {
		size_t cap = rep->capdeps ? 2 * rep->capdeps : 64;

		if ((d = realloc(rep->deps, cap * sizeof(*d))) == NULL)
			return NULL;
		rep->deps = d;
		rep->capdeps = cap;
	}
	d = &rep->deps[rep->ndeps];
	memset(d, 0, sizeof(*d));
	d->first = d->last = row;
	if (!idx_push(&d->entries, row))
		return NULL;
	rep->ndeps++;
	return d;
}

/* The group key of an entry with a deployment id ('\x1f' separates: no
 * value holds a control character). */
static void
group_key(const struct ledger_entry *e, char *out, size_t size)
{
	const char *p = e->subject[LEDGER_SUBJ_PIPELINE];

	snprintf(out, size, "%s\x1f%s\x1f%s\x1f%s", e->source[LEDGER_SRC_NAME],
	    p != NULL ? p : "", e->subject[LEDGER_SUBJ_ENVIRONMENT],
	    e->subject[LEDGER_SUBJ_DEPLOYMENT]);
}

bool
report_same_group(const struct ledger_entry *a, const struct ledger_entry *b)
{
	char ka[4 * 1100], kb[4 * 1100];

	if (a->subject[LEDGER_SUBJ_DEPLOYMENT] == NULL ||
	    b->subject[LEDGER_SUBJ_DEPLOYMENT] == NULL)
		return a->seq == b->seq;
	group_key(a, ka, sizeof(ka));
	group_key(b, kb, sizeof(kb));
	return strcmp(ka, kb) == 0;
}

static int
collect_row(void *ctx, const struct ledger_row *row)
{
	struct collect *c = ctx;
	struct report *rep = c->rep;
	const struct ledger_entry *e = &row->e;
	struct smap_slot *sl;
	struct dep *d;
	const char *word;
	size_t at = rep->rows.n;
	bool created;

	if (rep->ndeps >= LEDGER_REPORT_MAX) {
		rep->truncated = true;
		return 1;
	}
	if (!rows_push(&rep->rows, row))
		goto nomem;
	if (!is_deployment(e))
		return 0;		/* a rollback: report_walk */
	word = ledger_status_word(e->kind, e->subject[LEDGER_SUBJ_STATUS]);
	if (e->subject[LEDGER_SUBJ_DEPLOYMENT] == NULL) {
		if ((d = new_dep(rep, at)) == NULL)
			goto nomem;
		d->status = word;
		return 0;
	}
	group_key(e, c->key, sizeof(c->key));
	if ((sl = smap_get(&c->ids, c->key, &created)) == NULL)
		goto nomem;
	if (created) {
		if ((d = new_dep(rep, at)) == NULL ||
		    !idx_push(&sl->to, rep->ndeps - 1))
			goto nomem;
		d->status = word;
		return 0;
	}
	d = &rep->deps[sl->to.v[0]];
	if (!idx_push(&d->entries, at))
		goto nomem;
	/* inactive: GitHub's mark on an older deployment once a newer one
	 * is live; it never undoes a status */
	if (word == NULL || strcmp(word, "inactive") != 0) {
		d->last = at;
		d->status = word;
	}
	return 0;
nomem:
	rep->nomem = true;
	return 1;
}

enum ledger_status
report_collect(struct report *rep, int64_t from_ms, int64_t to_ms,
    struct ledger_error *err)
{
	struct ledger_query q;
	struct collect *c;
	enum ledger_status st;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	c->rep = rep;
	ledger_query_init(&q);
	q.kinds = 1u << LEDGER_KIND_DEPLOYMENT | 1u << LEDGER_KIND_ROLLBACK;
	q.since_ms = from_ms;
	q.until_ms = to_ms;
	if ((rep->env == NULL || (st = ledger_query_add_subject(&q,
	    LEDGER_SUBJ_ENVIRONMENT, rep->env, err)) == LEDGER_OK) &&
	    (rep->service == NULL || (st = ledger_query_add_subject(&q,
	    LEDGER_SUBJ_SERVICE, rep->service, err)) == LEDGER_OK))
		st = report_tuning.no_narrow ? ledger_store_query(rep->s, &q,
		    collect_row, c, err) : ledger_store_query_narrow(rep->s,
		    &q, collect_row, c, err);
	if (st == LEDGER_OK && rep->nomem)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	ledger_query_release(&q);
	smap_release(&c->ids);
	free(c);
	return st;
}
