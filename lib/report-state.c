/*
 * report-state.c - state at a moment, the last good deployment, and who
 * deployed or approved (ledger/report.h)
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

	memset(&rep, 0, sizeof(rep));
	if ((st = need(o->environment, "environment", err)) ||
	    (st = report_init(&rep, s, o->environment, o->service, err)))
		goto out;
	rep.no_authors = true;		/* approvals are all state shows */
	if ((st = report_collect(&rep, 0, at + 1, err)) ||
	    (st = report_walk(&rep, &stacks, err)))
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

struct actor {
	size_t deployments, rollbacks, approvals;
	uint64_t first_seq, last_seq;
	int64_t first_ms, last_ms;
};

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
	return p;
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
	size_t i, n;

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
		    "\":\"%s\",\"last_seq\":%" PRIu64 ",\"last_seen\":\"%s\"}",
		    p->deployments, p->rollbacks, p->approvals, p->first_seq, t1,
		    p->last_seq, t2);
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
	free(a.v);
	report_release(&rep);
	return st;
}
