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
#include "store-int.h"

/* Past this many deployments a join reads the environment's approvals
 * once instead of looking up each deployment's keys (three lookups
 * each): measured on a year of history (docs/performance.md), reading a
 * busy environment's approvals costs about a thousand deployments'
 * lookups. */
#define PRELOAD_AT 1000

/* ---- approvals ---- */

/* "t:value" into key (size bytes), cut as snprintf would. */
static void
tag_key(char *key, size_t size, char tag, const char *value)
{
	size_t n = strlen(value);

	if (n > size - 3)
		n = size - 3;
	key[0] = tag;
	key[1] = ':';
	memcpy(key + 2, value, n);
	key[n + 2] = '\0';
}

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
		tag_key(key, sizeof(key), tag[k], e->subject[f[k]]);
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
	int pushed = rep->loading_all ? (rows_push(&rep->approvals, row) ? 1 :
	    -1) : rows_push_once(&rep->approvals, &rep->seen_approvals, row);

	if (pushed < 0 || (pushed > 0 && !index_approval(rep, i))) {
		rep->nomem = true;
		return 1;
	}
	return 0;
}

/*
 * The slot saying that the approvals of env carrying tag:value were read
 * (a key that was looked up has a slot, even with no approval): *isnew
 * when this call made it.
 */
static enum ledger_status
looked_up(struct report *rep, const char *env, char tag, const char *value,
    bool *isnew, struct ledger_error *err)
{
	struct smap_slot *sl;
	char key[1100];
	bool found;

	snprintf(key, sizeof(key), "%c:%s\x1f%s", tag, value, env);
	if ((sl = smap_slot(&rep->by_key, key, &found)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	*isnew = !found;
	if (found)
		return LEDGER_OK;
	if ((sl->key = strdup(key)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	rep->by_key.n++;
	return LEDGER_OK;
}

/* Read the entries of kinds (in env, unless NULL) whose field f is any of
 * v[0..n) (n 0: every one), each to fn with ctx. */
static enum ledger_status
read_rows(struct report *rep, uint32_t kinds, const char *env,
    enum ledger_subject f, const char *const *v, size_t n,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx,
    struct ledger_error *err)
{
	struct ledger_query q;
	enum ledger_status st = LEDGER_OK;
	size_t i;

	ledger_query_init(&q);
	q.kinds = kinds;
	if (env != NULL)
		st = ledger_query_add_subject(&q, LEDGER_SUBJ_ENVIRONMENT, env,
		    err);
	for (i = 0; i < n && st == LEDGER_OK; i++)
		st = ledger_query_add_subject(&q, f, v[i], err);
	/* the environment's approvals and the commits' authors come from
	 * the covering indexes where the backend keeps them */
	if (st == LEDGER_OK)
		st = report_tuning.no_narrow ? ledger_store_query(rep->s, &q,
		    fn, ctx, err) : ledger_store_query_narrow(rep->s, &q, fn,
		    ctx, err);
	ledger_query_release(&q);
	if (st == LEDGER_OK && rep->nomem)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return st;
}

/* Read the approvals of env carrying field f = any of v[0..n). */
static enum ledger_status
read_approvals(struct report *rep, const char *env, enum ledger_subject f,
    const char *const *v, size_t n, struct ledger_error *err)
{
	if (n == 0)
		return LEDGER_OK;
	return read_rows(rep, 1u << LEDGER_KIND_APPROVAL, env, f, v, n,
	    approval_row, rep, err);
}

/* Read the environment's approvals once, all of them. */
static enum ledger_status
load_all_approvals(struct report *rep, struct ledger_error *err)
{
	enum ledger_status st;

	/* none read yet: each comes once, and nothing is read after them,
	 * so no seq needs remembering */
	rep->loading_all = rep->approvals.n == 0;
	st = read_rows(rep, 1u << LEDGER_KIND_APPROVAL, rep->env,
	    LEDGER_SUBJ_COMMIT, NULL, 0, approval_row, rep, err);
	rep->loading_all = false;
	rep->all_approvals = st == LEDGER_OK;
	return st;
}

/* Make sure the approvals of env carrying field = value are loaded. */
static enum ledger_status
load_key(struct report *rep, const char *env, enum ledger_subject f,
    char tag, const char *value, struct ledger_error *err)
{
	enum ledger_status st;
	bool isnew;

	if (value == NULL || rep->all_approvals)
		return LEDGER_OK;
	if ((st = looked_up(rep, env, tag, value, &isnew, err)) || !isnew)
		return st;
	return read_approvals(rep, env, f, &value, 1, err);
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
		tag_key(key, sizeof(key), tag[fi], e->subject[f[fi]]);
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

/* Add actor to the authors at to, once. */
static bool
add_author(struct report *rep, struct idx *to, const char *actor)
{
	char **p;
	size_t i;

	for (i = 0; i < to->n; i++)
		if (strcmp(rep->author_names[to->v[i]], actor) == 0)
			return true;
	if (rep->nauthor_names == rep->capauthor_names) {
		size_t cap = rep->capauthor_names ? 2 * rep->capauthor_names :
		    16;

		if ((p = realloc(rep->author_names, cap * sizeof(*p))) ==
		    NULL)
			return false;
		rep->author_names = p;
		rep->capauthor_names = cap;
	}
	if ((rep->author_names[rep->nauthor_names] = strdup(actor)) == NULL)
		return false;
	return idx_push(to, rep->nauthor_names++);
}

/* The commits being read: a row's actor is an author of each v[i] its
 * commit is (a short commit: a prefix of), as the query matched it. */
struct authors_q {
	struct report *rep;
	const char *const *v;
	size_t n;
};

static bool
commit_is(const char *commit, const char *v)
{
	size_t n = strlen(v);

	return strncmp(commit, v, n) == 0 && (commit[n] == '\0' || n < 40);
}

static int
author_row(void *ctx, const struct ledger_row *row)
{
	struct authors_q *q = ctx;
	const char *actor = row->e.subject[LEDGER_SUBJ_ACTOR];
	const char *commit = row->e.subject[LEDGER_SUBJ_COMMIT];
	struct smap_slot *sl;
	bool found;
	size_t i;

	if (actor == NULL || commit == NULL)
		return 0;
	for (i = 0; i < q->n; i++) {
		if (!commit_is(commit, q->v[i]))
			continue;
		if ((sl = smap_slot(&q->rep->authors, q->v[i], &found)) ==
		    NULL || (found && !add_author(q->rep, &sl->to, actor))) {
			q->rep->nomem = true;
			return 1;
		}
	}
	return 0;
}

/* Read the actors of the builds, pushes and changes carrying any of the
 * commits v[0..n), each of which has its slot in rep->authors. */
static enum ledger_status
read_authors(struct report *rep, const char *const *v, size_t n,
    struct ledger_error *err)
{
	struct authors_q q = { rep, v, n };

	if (n == 0)
		return LEDGER_OK;
	return read_rows(rep, 1u << LEDGER_KIND_BUILD | 1u << LEDGER_KIND_CHANGE,
	    NULL, LEDGER_SUBJ_COMMIT, v, n, author_row, &q, err);
}

/* The authors of commit, read once. */
static enum ledger_status
authors_of(struct report *rep, const char *commit, struct idx *ret,
    struct ledger_error *err)
{
	enum ledger_status st;
	struct smap_slot *sl;
	bool created;

	ret->n = 0;
	if (commit == NULL)
		return LEDGER_OK;
	if (smap_get(&rep->authors, commit, &created) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (created && (st = read_authors(rep, &commit, 1, err)) != LEDGER_OK)
		return st;
	/* found again: the map moves as it grows */
	if ((sl = smap_slot(&rep->authors, commit, &created)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return copy_idx(ret, &sl->to, err);
}

/*
 * A population joins its deployments a batch at a time: the approvals'
 * keys and the commits of the next deployments not yet joined, read with
 * one query per field instead of one per deployment and field.  What is
 * read is what load_key and authors_of would read one by one.
 */
#define BATCH LEDGER_QUERY_VALUES_MAX

static const enum ledger_subject key_fields[] = { LEDGER_SUBJ_ARTIFACT,
    LEDGER_SUBJ_RUN, LEDGER_SUBJ_COMMIT };
static const char key_tags[] = "arc";

/* How many query values v of field f takes (a bare digest may take two:
 * ledger_query_add_subject), or 0 when it does not batch: a short
 * commit, a prefix, is looked up alone. */
static size_t
weight(enum ledger_subject f, const char *v)
{
	if (f == LEDGER_SUBJ_COMMIT && strlen(v) < 40)
		return 0;
	return f == LEDGER_SUBJ_ARTIFACT && strchr(v, ':') == NULL ? 2 : 1;
}

static enum ledger_status
prefetch(struct report *rep, size_t from, struct ledger_error *err)
{
	const char *v[BATCH] = { 0 };
	const struct ledger_entry *e;
	enum ledger_status st = LEDGER_OK;
	size_t i, k, n, w, used, end = rep->ndeps - from > BATCH ? from +
	    BATCH : rep->ndeps;
	bool isnew;

	if (rep->env != NULL && !rep->all_approvals &&
	    (rep->to_join > 0 ? rep->to_join : rep->ndeps) >
	    (report_tuning.preload_at ? report_tuning.preload_at : PRELOAD_AT))
		st = load_all_approvals(rep, err);
	/* what does not fit or does not batch is left to load_key and
	 * authors_of, one at a time */
	for (k = 0; k < 3 && rep->env != NULL && !rep->all_approvals &&
	    st == LEDGER_OK; k++) {
		for (i = from, n = 0, used = 0; i < end && st == LEDGER_OK;
		    i++) {
			e = &rep->rows.v[rep->deps[i].last].e;
			if (rep->deps[i].joined || e->subject[key_fields[k]] ==
			    NULL || e->subject[LEDGER_SUBJ_ENVIRONMENT] ==
			    NULL || strcmp(e->subject[LEDGER_SUBJ_ENVIRONMENT],
			    rep->env) != 0 || (w = weight(key_fields[k],
			    e->subject[key_fields[k]])) == 0 ||
			    used + w > LEDGER_QUERY_VALUES_MAX)
				continue;
			st = looked_up(rep, rep->env, key_tags[k],
			    e->subject[key_fields[k]], &isnew, err);
			if (st == LEDGER_OK && isnew) {
				v[n++] = e->subject[key_fields[k]];
				used += w;
			}
		}
		if (st == LEDGER_OK)
			st = read_approvals(rep, rep->env, key_fields[k], v, n,
			    err);
	}
	for (i = from, n = 0; i < end && !rep->no_authors && st == LEDGER_OK;
	    i++) {
		e = &rep->rows.v[rep->deps[i].last].e;
		if (rep->deps[i].joined || e->subject[LEDGER_SUBJ_COMMIT] ==
		    NULL || weight(LEDGER_SUBJ_COMMIT,
		    e->subject[LEDGER_SUBJ_COMMIT]) == 0)
			continue;
		if (smap_get(&rep->authors, e->subject[LEDGER_SUBJ_COMMIT],
		    &isnew) == NULL)
			st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
		else if (isnew)
			v[n++] = e->subject[LEDGER_SUBJ_COMMIT];
	}
	if (st == LEDGER_OK)
		st = read_authors(rep, v, n, err);
	for (i = from; i < end; i++)
		rep->deps[i].prefetched = true;
	return st;
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
	enum ledger_status st;

	if (d->joined)
		return LEDGER_OK;
	if (rep->preload && !report_tuning.one_at_a_time && !d->prefetched &&
	    d >= rep->deps &&
	    d < rep->deps + rep->ndeps &&
	    (st = prefetch(rep, (size_t)(d - rep->deps), err)) != LEDGER_OK)
		return st;
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
