/*
 * report-state.c - state at a moment, the last good deployment, and who
 * deployed or approved (ledger/report.h)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/identity.h"
#include "ledger/jcs.h"
#include "ledger/query.h"
#include "ledger/status.h"
#include "ledger/wire.h"
#include "ledger-int.h"
#include "lookup.h"
#include "report-int.h"

static int
by_key(const void *a, const void *b)
{
	const struct smap_slot *x = *(const struct smap_slot *const *)a;
	const struct smap_slot *y = *(const struct smap_slot *const *)b;

	return strcmp(x->key, y->key);
}

/* The occupied slots of m sorted by key (free the array). */
static const struct smap_slot **
sorted_slots(const struct smap *m, size_t *n)
{
	const struct smap_slot **v;
	size_t i;

	*n = 0;
	if ((v = malloc((m->n + 1) * sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < m->cap; i++)
		if (m->v[i].key != NULL)
			v[(*n)++] = &m->v[i];
	if (*n > 1)
		qsort(v, *n, sizeof(*v), by_key);
	return v;
}

static enum ledger_status
need(const char *v, const char *what, struct ledger_error *err)
{
	if (v == NULL || *v == '\0')
		return ledger_errorf(err, LEDGER_EINVAL, "no %s", what);
	return LEDGER_OK;
}

/* One service's state: what the top of its stack names. */
static enum ledger_status
state_item(struct report *rep, size_t top, struct ledger_buf *out,
    bool comma, struct ledger_error *err)
{
	const struct ledger_entry *e = &rep->rows.v[top / 2].e;
	enum ledger_status st, r = LEDGER_OK;
	struct dep d;

	if ((st = report_join_entry(rep, e, &d, err)) != LEDGER_OK) {
		dep_release(&d);
		return st;
	}
	r |= ledger_buf_adds(out, comma ? ",{" : "{");
	r |= report_dep_fields(rep, &d, e, NULL, out);
	r |= ledger_buf_addf(out, ",\"set_by\":\"%s\"}",
	    (top & ROLLBACK_BIT) ? "rollback" : "deployment");
	dep_release(&d);
	return r == LEDGER_OK ? LEDGER_OK : ledger_errorf(err, LEDGER_ENOMEM,
	    "out of memory");
}

/* ---- state by places (schema 8) ----
 *
 * report_walk replays every deployment and rollback of the environment up
 * to T: 36,000 rows for a year of a busy production.  With place terms
 * (lib/lookup.h) each service's history is its own doclist, read here
 * backwards a window at a time: the newest window is replayed from an
 * empty stack, and its answer is the log's answer when the replay does
 * not end empty and what it ends on is not a deployment that it pushed
 * on its empty stack while carrying an id: an earlier entry of that
 * deployment might be on the real stack, where report_walk would not push
 * it again.  (A rollback that finds the replay's stack empty pops what
 * came before, below everything the replay pushes after it: the top is
 * the same.)  Otherwise the window doubles, down to the whole history,
 * which is exactly report_walk; tests/test-state.c holds the two equal.
 */
#define PLACE_WINDOW 16384	/* seqs: a busy service's last few
				   deployments (docs/performance.md) */

struct place {
	struct report *rep;
	struct rows win;		/* a window's rows, seq order */
	struct idx keys;		/* places of the environment */
	bool nomem;
};

static int
place_key(void *ctx, uint64_t key)
{
	struct place *p = ctx;

	if (!idx_push(&p->keys, (size_t)key)) {
		p->nomem = true;
		return 1;
	}
	return 0;
}

/* A row of the place being read: the key only finds candidates. */
static int
place_row(void *ctx, const struct ledger_row *row)
{
	struct place *p = ctx;
	const struct ledger_entry *e = &row->e;
	const char *svc = p->rep->service;

	if ((e->kind != LEDGER_KIND_DEPLOYMENT &&
	    e->kind != LEDGER_KIND_ROLLBACK) ||
	    e->subject[LEDGER_SUBJ_ENVIRONMENT] == NULL ||
	    strcmp(e->subject[LEDGER_SUBJ_ENVIRONMENT], p->rep->env) != 0 ||
	    (svc != NULL && (e->subject[LEDGER_SUBJ_SERVICE] == NULL ||
	    strcmp(e->subject[LEDGER_SUBJ_SERVICE], svc) != 0)))
		return 0;
	if (!rows_push(&p->win, row)) {
		p->nomem = true;
		return 1;
	}
	return 0;
}

static bool
same_service(const struct ledger_entry *e, const char *svc)
{
	const char *s = e->subject[LEDGER_SUBJ_SERVICE];

	return svc == NULL ? s == NULL : s != NULL && strcmp(s, svc) == 0;
}

/*
 * Replay service svc's rows of r from an empty stack, as report_walk does;
 * *top: 2 * row (+ ROLLBACK_BIT), or SIZE_MAX for an empty stack.  1 when
 * the top cannot depend on the rows before r, 0 when it may, -1 out of
 * memory.
 */
static int
replay(const struct rows *r, const char *svc, struct idx *stack,
    size_t *top)
{
	size_t i, t, amb = SIZE_MAX;	/* a deployment with an id pushed
					   on the empty stack */
	const struct ledger_entry *e;
	const char *w;

	stack->n = 0;
	for (i = 0; i < r->n; i++) {
		e = &r->v[i].e;
		if (!same_service(e, svc))
			continue;
		t = stack->n ? stack->v[stack->n - 1] : SIZE_MAX;
		if (e->kind == LEDGER_KIND_DEPLOYMENT) {
			w = ledger_status_word(e->kind,
			    e->subject[LEDGER_SUBJ_STATUS]);
			if (w == NULL || strcmp(w, "success") != 0 ||
			    (t != SIZE_MAX && !(t & ROLLBACK_BIT) &&
			    report_same_group(&r->v[t / 2].e, e)))
				continue;
			if (t == SIZE_MAX && e->subject[LEDGER_SUBJ_DEPLOYMENT])
				amb = 2 * i;
			if (!idx_push(stack, 2 * i))
				return -1;
			continue;
		}
		if (t != SIZE_MAX)
			stack->n--;
		if ((e->subject[LEDGER_SUBJ_ARTIFACT] != NULL ||
		    e->subject[LEDGER_SUBJ_COMMIT] != NULL) &&
		    !idx_push(stack, 2 * i + 1))
			return -1;
	}
	*top = stack->n ? stack->v[stack->n - 1] : SIZE_MAX;
	return *top != SIZE_MAX && *top != amb;
}

/* Prepend p->win to r (both seq order); p->win is emptied. */
static bool
prepend(struct rows *r, struct place *p)
{
	struct rows *w = &p->win;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!rows_push(w, &r->v[i]))
			return false;
	rows_release(r);
	*r = *w;
	memset(w, 0, sizeof(*w));
	return true;
}

/* Record in stacks what svc's replay of r ends on. */
static bool
record(struct report *rep, const struct rows *r, const char *svc, size_t top,
    struct smap *stacks)
{
	struct smap_slot *sl;
	bool created;

	if ((sl = smap_get(stacks, svc != NULL ? svc : "", &created)) ==
	    NULL)
		return false;
	if (top == SIZE_MAX)
		return true;		/* rolled back to nothing known */
	if (!rows_push(&rep->rows, &r->v[top / 2]))
		return false;
	return idx_push(&sl->to, 2 * (rep->rows.n - 1) + (top & ROLLBACK_BIT));
}

/* The services of r: normally one (two share a place only by a 2^-48
 * collision); n of them into v, at most max. */
static size_t
services_of(const struct rows *r, const char **v, size_t max, bool *more)
{
	size_t i, k, n = 0;

	*more = false;
	for (i = r->n; i-- > 0;) {
		const char *s = r->v[i].e.subject[LEDGER_SUBJ_SERVICE];

		for (k = 0; k < n && !same_service(&r->v[i].e, v[k]); k++)
			;
		if (k < n)
			continue;
		if (n == max) {
			*more = true;
			break;
		}
		v[n++] = s;
	}
	return n;
}

/* One place's state at seq end (exclusive) into stacks. */
static enum ledger_status
place_state(struct place *p, uint64_t key, uint64_t end, struct smap *stacks,
    struct ledger_error *err)
{
	struct rows r = { 0 };
	struct idx stack = { 0 };
	enum ledger_status st = LEDGER_OK;
	uint64_t lo = end, w = report_tuning.place_window ?
	    report_tuning.place_window : PLACE_WINDOW;
	const char *svc[4];
	size_t n, i, top[4];
	bool more, sure;

	while (st == LEDGER_OK) {
		uint64_t from = lo > w ? lo - w : 0;

		if ((st = ledger_store_place_rows(p->rep->s, key, from, lo,
		    place_row, p, err)) != LEDGER_OK)
			break;
		if (p->nomem || !prepend(&r, p))
			goto nomem;
		lo = from;
		n = services_of(&r, svc, 4, &more);
		sure = !more && (n < 2 || lo == 0) && (n > 0 || lo == 0);
		for (i = 0; i < n && sure; i++) {
			int rc = replay(&r, svc[i], &stack, &top[i]);

			if (rc < 0)
				goto nomem;
			sure = rc == 1 || lo == 0;
		}
		if (sure) {
			for (i = 0; i < n; i++)
				if (!record(p->rep, &r, svc[i], top[i], stacks))
					goto nomem;
			break;
		}
		/* unsure, or two services here: read more, at last all */
		w = n >= 2 || more ? end : w * 2;
	}
	rows_release(&r);
	free(stack.v);
	return st;
nomem:
	rows_release(&r);
	free(stack.v);
	return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
}

/* The state by places; *have false when the store has none. */
static enum ledger_status
state_by_places(struct report *rep, int64_t at, struct smap *stacks,
    bool *have, struct ledger_error *err)
{
	struct place p;
	enum ledger_status st;
	uint64_t end;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.rep = rep;
	*have = false;
	if (report_tuning.no_places)
		return LEDGER_OK;
	if (rep->service != NULL) {
		/* a store of an older schema opened read-only has no place
		 * terms: the walk answers */
		if (!(*have = ledger_store_has_places(rep->s)))
			return LEDGER_OK;
		if (!idx_push(&p.keys, (size_t)ledger_lookup_place_key(
		    rep->env, rep->service)))
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "out of memory");
		st = LEDGER_OK;
	} else {
		st = ledger_store_places(rep->s, rep->env, place_key, &p,
		    have, err);
	}
	if (st == LEDGER_OK && p.nomem)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (st == LEDGER_OK && *have)
		st = ledger_store_seq_at_time(rep->s, at + 1, &end, err);
	for (i = 0; st == LEDGER_OK && *have && i < p.keys.n; i++)
		st = place_state(&p, (uint64_t)p.keys.v[i], end, stacks, err);
	free(p.keys.v);
	rows_release(&p.win);
	return st;
}

enum ledger_status
ledger_state_json(struct ledger_store *s, const struct ledger_report_opts *o,
    struct ledger_buf *out, size_t *ret_n, struct ledger_error *err)
{
	const struct smap_slot **v = NULL;
	struct smap stacks = { 0 };
	enum ledger_status st;
	char t[LEDGER_TIME_MAX];
	int64_t at = o->at_ms > 0 ? o->at_ms : ledger_now_ms();
	struct report rep;
	size_t i, n = 0, k = 0;
	bool have;

	memset(&rep, 0, sizeof(rep));
	if ((st = need(o->environment, "environment", err)) ||
	    (st = report_init(&rep, s, o->environment, o->service, err)))
		goto out;
	rep.no_authors = true;		/* approvals are all state shows */
	if ((st = state_by_places(&rep, at, &stacks, &have, err)) ||
	    (!have && ((st = report_collect(&rep, 0, at + 1, err)) ||
	    (st = report_walk(&rep, &stacks, err)))))
		goto out;
	if ((v = sorted_slots(&stacks, &n)) == NULL) {
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		goto out;
	}
	ledger_time_format(at, t);
	st = ledger_buf_adds(out, "{\"environment\":");
	st |= ledger_jcs_append_string(out, rep.env, strlen(rep.env), NULL);
	st |= ledger_buf_addf(out, ",\"at\":\"%s\",\"state\":[", t);
	for (i = 0; i < n && st == LEDGER_OK; i++) {
		if (v[i]->to.n == 0)
			continue;	/* rolled back to nothing known */
		st = state_item(&rep, v[i]->to.v[v[i]->to.n - 1], out, k > 0,
		    err);
		k++;
	}
	if (st == LEDGER_OK && ledger_buf_addf(out, "],\"truncated\":%s}",
	    rep.truncated ? "true" : "false") != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (ret_n != NULL)
		*ret_n = k;
out:
	free(v);
	smap_release(&stacks);
	report_release(&rep);
	return st;
}

static bool
word_is(const char *w, const char *v)
{
	return w != NULL && strcmp(w, v) == 0;
}

enum ledger_status
ledger_last_good_json(struct ledger_store *s,
    const struct ledger_report_opts *o, struct ledger_buf *out, bool *found,
    struct ledger_error *err)
{
	struct smap stacks = { 0 };
	enum ledger_status st;
	int64_t before = o->at_ms > 0 ? o->at_ms : ledger_now_ms() + 1;
	struct report rep;
	struct dep *d;
	size_t i;

	*found = false;
	memset(&rep, 0, sizeof(rep));
	if ((st = need(o->environment, "environment", err)) ||
	    (st = need(o->service, "service", err)) ||
	    (st = report_init(&rep, s, o->environment, o->service, err)))
		goto out;
	rep.no_authors = true;		/* approved by anyone counts */
	if ((st = report_collect(&rep, 0, before, err)) ||
	    (st = report_walk(&rep, &stacks, err)))
		goto out;
	for (i = rep.ndeps; i-- > 0 && !*found;) {
		d = &rep.deps[i];
		if (!word_is(d->status, "success") || d->rolled_back)
			continue;
		if ((st = report_join(&rep, d, err)) != LEDGER_OK)
			goto out;
		if (!d->approved)
			continue;
		*found = true;
		if (report_dep_json(&rep, d, out) != LEDGER_OK)
			st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	if (!*found && ledger_buf_adds(out, "{}") != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
out:
	smap_release(&stacks);
	report_release(&rep);
	return st;
}

/* ---- actors ---- */

/* The machines (client certificate identities) an actor's entries came
 * from: the first few, in order. */
#define ACTOR_MACHINES 8

struct actor {
	size_t deployments, rollbacks, approvals;
	uint64_t first_seq, last_seq;
	int64_t first_ms, last_ms;
	char *machines[ACTOR_MACHINES];
	size_t nmachines;
};

/* Note the machine of e (if it names one) for p; false: out of memory. */
static bool
actor_machine(struct actor *p, const struct ledger_entry *e)
{
	const char *m = ledger_auth_machine(e->source[LEDGER_SRC_AUTH]);
	size_t i;

	if (m == NULL)
		return true;
	for (i = 0; i < p->nmachines; i++)
		if (strcmp(p->machines[i], m) == 0)
			return true;
	if (p->nmachines == ACTOR_MACHINES)
		return true;
	return (p->machines[p->nmachines++] = strdup(m)) != NULL;
}

struct actors {
	struct smap names;		/* actor -> index into v */
	struct actor *v;
	size_t n, cap;
	bool nomem;
};

static struct actor *
actor_get(struct actors *a, const char *name, const struct ledger_entry *e)
{
	struct smap_slot *sl;
	struct actor *p;
	bool created;

	if ((sl = smap_get(&a->names, name, &created)) == NULL)
		return NULL;
	if (!created) {
		p = &a->v[sl->to.v[0]];
	} else {
		if (a->n == a->cap) {
			size_t cap = a->cap ? 2 * a->cap : 16;

			if ((p = realloc(a->v, cap * sizeof(*p))) == NULL)
				return NULL;
			a->v = p;
			a->cap = cap;
		}
		if (!idx_push(&sl->to, a->n))
			return NULL;
		p = &a->v[a->n++];
		memset(p, 0, sizeof(*p));
		p->first_seq = e->seq;
		p->first_ms = e->time_ms;
	}
	if (e->seq < p->first_seq) {
		p->first_seq = e->seq;
		p->first_ms = e->time_ms;
	}
	if (e->seq >= p->last_seq) {
		p->last_seq = e->seq;
		p->last_ms = e->time_ms;
	}
	return actor_machine(p, e) ? p : NULL;
}

static int
actor_approval(void *ctx, const struct ledger_row *row)
{
	struct actors *a = ctx;
	struct actor *p;
	const char *w = ledger_status_word(row->e.kind,
	    row->e.subject[LEDGER_SUBJ_STATUS]);

	if (row->e.subject[LEDGER_SUBJ_ACTOR] == NULL ||
	    !(word_is(w, "approved") || word_is(w, "rejected")))
		return 0;
	if ((p = actor_get(a, row->e.subject[LEDGER_SUBJ_ACTOR],
	    &row->e)) == NULL) {
		a->nomem = true;
		return 1;
	}
	p->approvals++;
	return 0;
}

static enum ledger_status
actors_out(struct actors *a, struct ledger_buf *out, struct ledger_error *err)
{
	const struct smap_slot **v;
	enum ledger_status r = LEDGER_OK;
	char t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX];
	const struct actor *p;
	size_t i, k, n;

	if ((v = sorted_slots(&a->names, &n)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	r |= ledger_buf_adds(out, ",\"actors\":[");
	for (i = 0; i < n; i++) {
		p = &a->v[v[i]->to.v[0]];
		ledger_time_format(p->first_ms, t1);
		ledger_time_format(p->last_ms, t2);
		r |= ledger_buf_adds(out, i ? ",{\"actor\":" : "{\"actor\":");
		r |= ledger_jcs_append_string(out, v[i]->key,
		    strlen(v[i]->key), NULL);
		r |= ledger_buf_addf(out, ",\"deployments\":%zu,\"rollbacks\":"
		    "%zu,\"approvals\":%zu,\"first_seq\":%" PRIu64 ",\"first_seen"
		    "\":\"%s\",\"last_seq\":%" PRIu64 ",\"last_seen\":\"%s\","
		    "\"machines\":[", p->deployments, p->rollbacks, p->approvals,
		    p->first_seq, t1, p->last_seq, t2);
		for (k = 0; k < p->nmachines; k++) {
			r |= k ? ledger_buf_addc(out, ',') : LEDGER_OK;
			r |= ledger_jcs_append_string(out, p->machines[k],
			    strlen(p->machines[k]), NULL);
		}
		r |= ledger_buf_adds(out, "]}");
	}
	r |= ledger_buf_adds(out, "]}");
	free(v);
	return r == LEDGER_OK ? LEDGER_OK : ledger_errorf(err, LEDGER_ENOMEM,
	    "out of memory");
}

enum ledger_status
ledger_actors_json(struct ledger_store *s, const struct ledger_report_opts *o,
    struct ledger_buf *out, size_t *ret_n, struct ledger_error *err)
{
	char t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX];
	struct actors a;
	struct ledger_query q;
	enum ledger_status st;
	const struct ledger_entry *e;
	struct actor *p;
	struct report rep;
	size_t i;

	memset(&a, 0, sizeof(a));
	memset(&rep, 0, sizeof(rep));
	ledger_query_init(&q);
	if (o->to_ms <= o->from_ms || o->from_ms <= 0) {
		st = ledger_errorf(err, LEDGER_EINVAL, "the period must begin "
		    "after 1970 and end after it begins");
		goto out;
	}
	if ((st = report_init(&rep, s, o->environment, NULL, err)) ||
	    (st = report_collect(&rep, o->from_ms, o->to_ms, err)))
		goto out;
	for (i = 0; i < rep.rows.n; i++) {
		e = &rep.rows.v[i].e;
		if (e->subject[LEDGER_SUBJ_ACTOR] == NULL)
			continue;
		if ((p = actor_get(&a, e->subject[LEDGER_SUBJ_ACTOR], e)) ==
		    NULL)
			goto nomem;
		if (e->kind == LEDGER_KIND_ROLLBACK)
			p->rollbacks++;
	}
	/* a deployment counts once, for the actor of its deciding entry */
	for (i = 0; i < rep.ndeps; i++) {
		e = &rep.rows.v[rep.deps[i].last].e;
		if (e->subject[LEDGER_SUBJ_ACTOR] != NULL)
			a.v[smap_slot(&a.names, e->subject[LEDGER_SUBJ_ACTOR],
			    &(bool){ false })->to.v[0]].deployments++;
	}
	q.kinds = 1u << LEDGER_KIND_APPROVAL;
	q.since_ms = o->from_ms;
	q.until_ms = o->to_ms;
	if ((rep.env != NULL && (st = ledger_query_add_subject(&q,
	    LEDGER_SUBJ_ENVIRONMENT, rep.env, err))) ||
	    (st = ledger_store_query(s, &q, actor_approval, &a, err)))
		goto out;
	if (a.nomem)
		goto nomem;
	ledger_time_format(o->from_ms, t1);
	ledger_time_format(o->to_ms, t2);
	if (ledger_buf_addf(out, "{\"from\":\"%s\",\"to\":\"%s\"", t1, t2) ||
	    ledger_json_member(out, "environment", rep.env))
		goto nomem;
	st = actors_out(&a, out, err);
	if (ret_n != NULL)
		*ret_n = a.n;
	goto out;
nomem:
	st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
out:
	ledger_query_release(&q);
	smap_release(&a.names);
	for (i = 0; i < a.n; i++)
		while (a.v[i].nmachines > 0)
			free(a.v[i].machines[--a.v[i].nmachines]);
	free(a.v);
	report_release(&rep);
	return st;
}
