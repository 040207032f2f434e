/*
 * report-join.c - a deployment joined to its approvals and its commit's
 * authors, and classified (lib/report-int.h, the rules of
 * ledger/report.h)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/query.h"
#include "ledger/status.h"
#include "ledger-int.h"
#include "report-int.h"

/* Past this many deployments a join reads the environment's approvals
 * once instead of looking up each deployment's keys (three indexed
 * queries each): measured on a year of history (docs/performance.md),
 * reading a busy environment's approvals costs about a thousand
 * deployments' lookups. */
#define PRELOAD_AT 1000

/* ---- approvals ---- */

struct appr_ctx {
	struct report *rep;
	struct smap_slot *sl;		/* the key being filled, or NULL */
	struct smap seen;		/* seq -> index, as text */
};

static bool
index_approval(struct report *rep, size_t i)
{
	static const enum ledger_subject f[] = { LEDGER_SUBJ_ARTIFACT,
	    LEDGER_SUBJ_RUN, LEDGER_SUBJ_COMMIT };
	static const char tag[] = "arc";
	const struct ledger_entry *e = &rep->approvals.v[i].e;
	struct smap_slot *sl;
	char key[1100];
	bool created;
	int k;

	for (k = 0; k < 3; k++) {
		if (e->subject[f[k]] == NULL)
			continue;
		snprintf(key, sizeof(key), "%c:%s", tag[k], e->subject[f[k]]);
		if ((sl = smap_get(&rep->by_key, key, &created)) == NULL ||
		    !idx_push(&sl->to, i))
			return false;
	}
	return true;
}

/* An approval found by a query: kept once however many keys find it. */
static int
approval_row(void *ctx, const struct ledger_row *row)
{
	struct report *rep = ctx;
	size_t i = rep->approvals.n;
	int pushed = rows_push_once(&rep->approvals, &rep->seen_approvals, row);

	if (pushed < 0 || (pushed > 0 && !index_approval(rep, i))) {
		rep->nomem = true;
		return 1;
	}
	return 0;
}

/* Read the environment's approvals once, all of them. */
static enum ledger_status
load_all_approvals(struct report *rep, struct ledger_error *err)
{
	struct ledger_query q;
	enum ledger_status st;

	ledger_query_init(&q);
	q.kinds = 1u << LEDGER_KIND_APPROVAL;
	if ((st = ledger_query_add_subject(&q, LEDGER_SUBJ_ENVIRONMENT,
	    rep->env, err)) == LEDGER_OK)
		st = ledger_store_query(rep->s, &q, approval_row, rep, err);
	ledger_query_release(&q);
	if (st == LEDGER_OK && rep->nomem)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	rep->all_approvals = st == LEDGER_OK;
	return st;
}

/* Make sure the approvals of env carrying field = value are loaded. */
static enum ledger_status
load_key(struct report *rep, const char *env, enum ledger_subject f,
    char tag, const char *value, struct ledger_error *err)
{
	struct ledger_query q;
	enum ledger_status st;
	struct smap_slot *sl;
	char key[1100];
	bool found;

	if (value == NULL || rep->all_approvals)
		return LEDGER_OK;
	snprintf(key, sizeof(key), "%c:%s", tag, value);
	/* a key that was looked up has a slot, even with no approval */
	snprintf(key + strlen(key), sizeof(key) - strlen(key), "\x1f%s", env);
	if ((sl = smap_slot(&rep->by_key, key, &found)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (found)
		return LEDGER_OK;
	if ((sl->key = strdup(key)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	rep->by_key.n++;
	ledger_query_init(&q);
	q.kinds = 1u << LEDGER_KIND_APPROVAL;
	if ((st = ledger_query_add_subject(&q, LEDGER_SUBJ_ENVIRONMENT, env,
	    err)) == LEDGER_OK && (st = ledger_query_add_subject(&q, f, value,
	    err)) == LEDGER_OK)
		st = ledger_store_query(rep->s, &q, approval_row, rep,
		    err);
	ledger_query_release(&q);
	if (st == LEDGER_OK && rep->nomem)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return st;
}

static int
by_row_seq(const void *a, const void *b, void *ctx)
{
	const struct rows *r = ctx;
	uint64_t x = r->v[((const struct match *)a)->row].e.seq;
	uint64_t y = r->v[((const struct match *)b)->row].e.seq;

	return x < y ? -1 : x > y;
}

/* Insertion sort of the matches by seq (a handful per deployment). */
static void
sort_matches(const struct rows *r, struct match *m, size_t n)
{
	struct match t;
	size_t i, j;

	for (i = 1; i < n; i++) {
		t = m[i];
		for (j = i; j > 0 && by_row_seq(&m[j - 1], &t, (void *)r) > 0;
		    j--)
			m[j] = m[j - 1];
		m[j] = t;
	}
}

/* Every loaded approval matching e, into d->m (seq order). */
static enum ledger_status
gather(struct report *rep, const struct ledger_entry *e, struct dep *d,
    struct ledger_error *err)
{
	static const enum ledger_subject f[] = { LEDGER_SUBJ_ARTIFACT,
	    LEDGER_SUBJ_RUN, LEDGER_SUBJ_COMMIT };
	static const char tag[] = "arc";
	enum ledger_match_rule rule;
	struct smap_slot *sl;
	struct match *m;
	char key[1100];
	bool found, dup;
	size_t i, j, k;
	int fi;

	for (fi = 0; fi < 3; fi++) {
		if (e->subject[f[fi]] == NULL)
			continue;
		snprintf(key, sizeof(key), "%c:%s", tag[fi], e->subject[f[fi]]);
		if ((sl = smap_slot(&rep->by_key, key, &found)) == NULL)
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "out of memory");
		for (i = 0; found && i < sl->to.n; i++) {
			j = sl->to.v[i];
			rule = ledger_approval_match(&rep->approvals.v[j].e, e);
			if (rule == LEDGER_RULE_NONE)
				continue;
			for (k = 0, dup = false; k < d->nm; k++)
				dup |= d->m[k].row == j;
			if (dup)
				continue;
			if ((m = realloc(d->m, (d->nm + 1) * sizeof(*m))) ==
			    NULL)
				return ledger_errorf(err, LEDGER_ENOMEM,
				    "out of memory");
			d->m = m;
			d->m[d->nm].row = j;
			d->m[d->nm].rule = rule;
			d->nm++;
		}
	}
	sort_matches(&rep->approvals, d->m, d->nm);
	return LEDGER_OK;
}

/* ---- authors ---- */

static enum ledger_status
copy_idx(struct idx *dst, const struct idx *src, struct ledger_error *err)
{
	size_t i;

	dst->n = 0;
	for (i = 0; i < src->n; i++)
		if (!idx_push(dst, src->v[i]))
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "out of memory");
	return LEDGER_OK;
}

struct author_ctx {
	struct report *rep;
	struct idx *to;
};

static int
author_row(void *ctx, const struct ledger_row *row)
{
	struct author_ctx *a = ctx;
	struct report *rep = a->rep;
	const char *actor = row->e.subject[LEDGER_SUBJ_ACTOR];
	char **p;
	size_t i;

	if (actor == NULL)
		return 0;
	for (i = 0; i < a->to->n; i++)
		if (strcmp(rep->author_names[a->to->v[i]], actor) == 0)
			return 0;
	if (rep->nauthor_names == rep->capauthor_names) {
		size_t cap = rep->capauthor_names ? 2 * rep->capauthor_names :
		    16;

		if ((p = realloc(rep->author_names, cap * sizeof(*p))) ==
		    NULL)
			goto nomem;
		rep->author_names = p;
		rep->capauthor_names = cap;
	}
	if ((rep->author_names[rep->nauthor_names] = strdup(actor)) == NULL)
		goto nomem;
	if (!idx_push(a->to, rep->nauthor_names++))
		goto nomem;
	return 0;
nomem:
	rep->nomem = true;
	return 1;
}

/* The actors of the builds, pushes and changes carrying commit. */
static enum ledger_status
authors_of(struct report *rep, const char *commit, struct idx *ret,
    struct ledger_error *err)
{
	struct author_ctx a;
	struct ledger_query q;
	enum ledger_status st;
	struct smap_slot *sl;
	bool created;

	ret->n = 0;
	if (commit == NULL)
		return LEDGER_OK;
	if ((sl = smap_get(&rep->authors, commit, &created)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (!created)
		return copy_idx(ret, &sl->to, err);
	a.rep = rep;
	a.to = &sl->to;
	ledger_query_init(&q);
	q.kinds = 1u << LEDGER_KIND_BUILD | 1u << LEDGER_KIND_CHANGE;
	if ((st = ledger_query_add_subject(&q, LEDGER_SUBJ_COMMIT, commit,
	    err)) == LEDGER_OK)
		st = ledger_store_query(rep->s, &q, author_row, &a, err);
	ledger_query_release(&q);
	if (st == LEDGER_OK && rep->nomem)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	/* a copy: the map moves as it grows */
	return st == LEDGER_OK ? copy_idx(ret, &sl->to, err) : st;
}

/* ---- the join ---- */

static bool
is_author(const struct report *rep, const struct dep *d, const char *who)
{
	size_t i;

	for (i = 0; i < d->authors.n; i++)
		if (strcmp(rep->author_names[d->authors.v[i]], who) == 0)
			return true;
	return false;
}

static const char *
appr_word(const struct report *rep, const struct match *m)
{
	const struct ledger_entry *a = &rep->approvals.v[m->row].e;

	return ledger_status_word(a->kind, a->subject[LEDGER_SUBJ_STATUS]);
}

static bool
word_is(const char *w, const char *v)
{
	return w != NULL && strcmp(w, v) == 0;
}

/* Classify d, whose approvals are gathered, deployed as e (seq). */
static void
classify(struct report *rep, struct dep *d, const struct ledger_entry *e)
{
	const char *deployer = e->subject[LEDGER_SUBJ_ACTOR];
	size_t i, last_rej = SIZE_MAX, last_dec = SIZE_MAX;
	bool any_approved = false, counted_other = false, any_count = false;
	const struct ledger_entry *a;
	const char *w;

	for (i = 0; i < d->nm; i++) {
		a = &rep->approvals.v[d->m[i].row].e;
		w = appr_word(rep, &d->m[i]);
		any_approved |= word_is(w, "approved");
		if (a->seq >= e->seq)
			continue;
		if (word_is(w, "rejected"))
			last_rej = i;
		if (word_is(w, "approved") || word_is(w, "rejected"))
			last_dec = i;
	}
	for (i = last_rej == SIZE_MAX ? 0 : last_rej + 1; i < d->nm; i++) {
		a = &rep->approvals.v[d->m[i].row].e;
		if (a->seq >= e->seq || !word_is(appr_word(rep, &d->m[i]),
		    "approved"))
			continue;
		any_count = true;
		if (a->subject[LEDGER_SUBJ_ACTOR] == NULL ||
		    ((deployer == NULL ||
		    strcmp(a->subject[LEDGER_SUBJ_ACTOR], deployer) != 0) &&
		    !is_author(rep, d, a->subject[LEDGER_SUBJ_ACTOR])))
			counted_other = true;
	}
	d->approved = any_count;
	d->exc = 0;
	d->evidence.n = 0;
	if (!any_approved) {
		d->exc |= LEDGER_EXC_UNAPPROVED;
	} else if (!d->approved) {
		/* approvals exist; none before (or none since a rejection) */
		bool before = false;

		for (i = 0; i < d->nm; i++)
			before |= rep->approvals.v[d->m[i].row].e.seq < e->seq &&
			    word_is(appr_word(rep, &d->m[i]), "approved");
		if (!before)
			d->exc |= LEDGER_EXC_LATE;
	}
	if (last_dec != SIZE_MAX && last_dec == last_rej)
		d->exc |= LEDGER_EXC_REJECTED;
	if (d->approved && !counted_other)
		d->exc |= LEDGER_EXC_SELF;
}

/* The seqs that make d exception bit (ledger/report.h). */
static bool
evidence(struct report *rep, struct dep *d, unsigned bit, uint64_t dseq)
{
	const struct ledger_entry *a;
	size_t i, last_rej = SIZE_MAX;
	const char *w;

	d->evidence.n = 0;
	if (bit == LEDGER_EXC_UNAPPROVED) {
		for (i = 0; i < d->entries.n; i++)
			if (!idx_push(&d->evidence,
			    (size_t)rep->rows.v[d->entries.v[i]].e.seq))
				return false;
		return true;
	}
	for (i = 0; i < d->nm; i++) {
		a = &rep->approvals.v[d->m[i].row].e;
		if (a->seq < dseq && word_is(appr_word(rep, &d->m[i]),
		    "rejected"))
			last_rej = i;
	}
	for (i = 0; i < d->nm; i++) {
		a = &rep->approvals.v[d->m[i].row].e;
		w = appr_word(rep, &d->m[i]);
		if ((bit == LEDGER_EXC_LATE && a->seq > dseq &&
		    word_is(w, "approved")) ||
		    (bit == LEDGER_EXC_REJECTED && i == last_rej) ||
		    (bit == LEDGER_EXC_SELF && a->seq < dseq &&
		    (last_rej == SIZE_MAX || i > last_rej) &&
		    word_is(w, "approved")))
			if (!idx_push(&d->evidence, (size_t)a->seq))
				return false;
	}
	return true;
}

static enum ledger_status
join_as(struct report *rep, struct dep *d, const struct ledger_entry *e,
    struct ledger_error *err)
{
	const char *env = e->subject[LEDGER_SUBJ_ENVIRONMENT];
	enum ledger_status st;

	if (env == NULL)
		return LEDGER_OK;	/* no environment: nothing matches */
	if (!rep->all_approvals && rep->env != NULL && rep->preload &&
	    (rep->to_join > 0 ? rep->to_join : rep->ndeps) > PRELOAD_AT &&
	    (st = load_all_approvals(rep, err)) != LEDGER_OK)
		return st;
	if ((st = load_key(rep, env, LEDGER_SUBJ_ARTIFACT, 'a',
	    e->subject[LEDGER_SUBJ_ARTIFACT], err)) ||
	    (st = load_key(rep, env, LEDGER_SUBJ_RUN, 'r',
	    e->subject[LEDGER_SUBJ_RUN], err)) ||
	    (st = load_key(rep, env, LEDGER_SUBJ_COMMIT, 'c',
	    e->subject[LEDGER_SUBJ_COMMIT], err)) ||
	    (st = gather(rep, e, d, err)) ||
	    (!rep->no_authors && (st = authors_of(rep,
	    e->subject[LEDGER_SUBJ_COMMIT], &d->authors, err))))
		return st;
	classify(rep, d, e);
	d->joined = true;
	return LEDGER_OK;
}

enum ledger_status
report_join(struct report *rep, struct dep *d, struct ledger_error *err)
{
	if (d->joined)
		return LEDGER_OK;
	return join_as(rep, d, &rep->rows.v[d->last].e, err);
}

enum ledger_status
report_join_entry(struct report *rep, const struct ledger_entry *e,
    struct dep *d, struct ledger_error *err)
{
	memset(d, 0, sizeof(*d));
	d->first = d->last = SIZE_MAX;
	return join_as(rep, d, e, err);
}

enum ledger_status
report_evidence(struct report *rep, struct dep *d, unsigned bit,
    struct ledger_error *err)
{
	uint64_t seq = d->last != SIZE_MAX ? rep->rows.v[d->last].e.seq : 0;

	if (!evidence(rep, d, bit, seq))
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return LEDGER_OK;
}
