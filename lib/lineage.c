/*
 * lineage.c - trace and where (ledger/lineage.h)
 *
 * A breadth-first walk over link keys (commit, run, artifact): each key is
 * one indexed query (lookup terms, then the columns decide), each entry
 * found is kept once, and the keys it carries are queued by the rules in
 * lineage.h.  Bounded by LEDGER_TRACE_MAX entries and as many keys.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/jcs.h"
#include "ledger/lineage.h"
#include "ledger/query.h"
#include "ledger/status.h"
#include "ledger/wire.h"
#include "ledger-int.h"

/* A key to look up.  expand: follow its entries' links downstream;
 * change_only: the upstream commit of an artifact or run (its push). */
struct key {
	enum ledger_subject f;
	char *value;
	char *pipeline;
	bool expand, change_only;
};

struct walk {
	struct ledger_store *s;
	struct ledger_trace *t;
	struct key *keys;
	size_t nkeys, capkeys;
	uint64_t *seen;			/* open addressing; UINT64_MAX empty */
	size_t seen_cap;
	const struct key *cur;		/* the key being looked up */
	bool start;			/* cur is the question's own key */
	bool nomem;
};

static bool
same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static void
add_key(struct walk *w, enum ledger_subject f, const char *value,
    const char *pipeline, bool expand, bool change_only)
{
	struct key *k;
	size_t i;

	if (value == NULL)
		return;
	for (i = 0; i < w->nkeys; i++)
		if (w->keys[i].f == f && strcmp(w->keys[i].value, value) == 0 &&
		    same(w->keys[i].pipeline, pipeline)) {
			/* a key seen as upstream may come again downstream */
			w->keys[i].expand |= expand;
			return;
		}
	if (w->nkeys >= LEDGER_TRACE_MAX) {
		w->t->truncated = true;	/* a link not followed */
		return;
	}
	if (w->nkeys == w->capkeys) {
		size_t cap = w->capkeys ? 2 * w->capkeys : 16;

		if ((k = realloc(w->keys, cap * sizeof(*k))) == NULL) {
			w->nomem = true;
			return;
		}
		w->keys = k;
		w->capkeys = cap;
	}
	k = &w->keys[w->nkeys];
	memset(k, 0, sizeof(*k));
	k->f = f;
	k->expand = expand;
	k->change_only = change_only;
	if ((k->value = strdup(value)) == NULL ||
	    (pipeline != NULL && (k->pipeline = strdup(pipeline)) == NULL)) {
		free(k->value);
		w->nomem = true;
		return;
	}
	w->nkeys++;
}

/* Record seq as seen; false if it was already. */
static bool
see(struct walk *w, uint64_t seq)
{
	size_t i = (size_t)(seq * UINT64_C(0x9e3779b97f4a7c15) >> 20) &
	    (w->seen_cap - 1);

	while (w->seen[i] != UINT64_MAX) {
		if (w->seen[i] == seq)
			return false;
		i = (i + 1) & (w->seen_cap - 1);
	}
	w->seen[i] = seq;
	return true;
}

/* Queue the links an entry found by key k carries (lineage.h). */
static void
follow(struct walk *w, const struct key *k, const struct ledger_entry *e)
{
	const char *commit = e->subject[LEDGER_SUBJ_COMMIT];
	const char *artifact = e->subject[LEDGER_SUBJ_ARTIFACT];
	const char *run = e->subject[LEDGER_SUBJ_RUN];
	const char *pipeline = e->subject[LEDGER_SUBJ_PIPELINE];

	if (k->change_only)
		return;
	if (k->expand && k->f == LEDGER_SUBJ_COMMIT) {
		add_key(w, LEDGER_SUBJ_ARTIFACT, artifact, NULL, true, false);
		add_key(w, LEDGER_SUBJ_RUN, run, pipeline, true, false);
	} else if (k->expand && k->f == LEDGER_SUBJ_RUN)
		add_key(w, LEDGER_SUBJ_ARTIFACT, artifact, NULL, true, false);
	if (!w->start)
		return;
	/* Upstream, one step, from the question's artifact or run: the run
	 * that built it (its tests) and its commit's push. */
	if (k->f == LEDGER_SUBJ_ARTIFACT)
		add_key(w, LEDGER_SUBJ_RUN, run, pipeline, false, false);
	if (k->f != LEDGER_SUBJ_COMMIT)
		add_key(w, LEDGER_SUBJ_COMMIT, commit, NULL, false, true);
}

static int
on_row(void *ctx, const struct ledger_row *row)
{
	struct walk *w = ctx;
	struct ledger_trace *t = w->t;
	struct ledger_trace_entry *v;

	/* a run of another pipeline is another run; an entry naming no
	 * pipeline belongs to the run it names */
	if (w->cur->pipeline != NULL &&
	    row->e.subject[LEDGER_SUBJ_PIPELINE] != NULL &&
	    strcmp(row->e.subject[LEDGER_SUBJ_PIPELINE], w->cur->pipeline) != 0)
		return 0;
	if (!see(w, row->e.seq))
		return 0;
	if (t->n >= LEDGER_TRACE_MAX) {
		t->truncated = true;
		return 1;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;

		if ((v = realloc(t->v, cap * sizeof(*v))) == NULL) {
			w->nomem = true;
			return 1;
		}
		t->v = v;
		t->cap = cap;
	}
	if (!ledger_row_copy(&t->v[t->n].row, row)) {
		w->nomem = true;
		return 1;
	}
	t->v[t->n].via = w->cur->f;
	t->n++;
	follow(w, w->cur, &row->e);
	return 0;
}

static enum ledger_status
look_up(struct walk *w, size_t i, struct ledger_error *err)
{
	struct ledger_query q;
	enum ledger_status st;
	struct key k = w->keys[i];	/* keys may move as the walk adds */

	ledger_query_init(&q);
	if (k.change_only)
		q.kinds = 1u << LEDGER_KIND_CHANGE;
	st = ledger_query_add_subject(&q, k.f, k.value, err);
	w->cur = &k;
	w->start = i == 0;
	if (st == LEDGER_OK)
		st = ledger_store_query(w->s, &q, on_row, w, err);
	ledger_query_release(&q);
	return st;
}

static int
by_seq(const void *a, const void *b)
{
	uint64_t x = ((const struct ledger_trace_entry *)a)->row.e.seq;
	uint64_t y = ((const struct ledger_trace_entry *)b)->row.e.seq;

	return x < y ? -1 : x > y;
}

enum ledger_status
ledger_trace(struct ledger_store *s, enum ledger_subject field,
    const char *value, const char *pipeline, struct ledger_trace *ret,
    struct ledger_error *err)
{
	struct walk w;
	enum ledger_status st = LEDGER_OK;
	size_t i;

	memset(ret, 0, sizeof(*ret));
	if (field != LEDGER_SUBJ_COMMIT && field != LEDGER_SUBJ_ARTIFACT &&
	    field != LEDGER_SUBJ_RUN)
		return ledger_errorf(err, LEDGER_EINVAL, "a trace starts from a "
		    "commit, an artifact or a run");
	if (value == NULL || *value == '\0')
		return ledger_errorf(err, LEDGER_EINVAL, "no %s to trace",
		    ledger_subject_name(field));
	memset(&w, 0, sizeof(w));
	w.s = s;
	w.t = ret;
	w.seen_cap = 4 * LEDGER_TRACE_MAX;	/* a power of two past 2x */
	while (w.seen_cap & (w.seen_cap - 1))
		w.seen_cap &= w.seen_cap - 1;
	w.seen_cap <<= 1;
	if ((w.seen = malloc(w.seen_cap * sizeof(*w.seen))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	memset(w.seen, 0xff, w.seen_cap * sizeof(*w.seen));
	add_key(&w, field, value, field == LEDGER_SUBJ_RUN ? pipeline : NULL,
	    true, false);
	for (i = 0; i < w.nkeys && st == LEDGER_OK && !w.nomem &&
	    !ret->truncated; i++)
		st = look_up(&w, i, err);
	if (st == LEDGER_OK && w.nomem)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	for (i = 0; i < w.nkeys; i++) {
		free(w.keys[i].value);
		free(w.keys[i].pipeline);
	}
	free(w.keys);
	free(w.seen);
	if (st != LEDGER_OK) {
		ledger_trace_release(ret);
		return st;
	}
	if (ret->n > 1)
		qsort(ret->v, ret->n, sizeof(*ret->v), by_seq);
	return LEDGER_OK;
}

void
ledger_trace_release(struct ledger_trace *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		ledger_row_release(&t->v[i].row);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

enum ledger_status
ledger_trace_json(const struct ledger_trace *t, struct ledger_buf *out)
{
	enum ledger_status r = LEDGER_OK;
	size_t i;

	r |= ledger_buf_adds(out, "{\"entries\":[");
	for (i = 0; i < t->n; i++) {
		if (i > 0)
			r |= ledger_buf_addc(out, ',');
		r |= ledger_entry_brief_open(out, &t->v[i].row.e);
		r |= ledger_json_member(out, "via", ledger_subject_name(t->v[i].via));
		r |= ledger_buf_addc(out, '}');
	}
	r |= ledger_buf_addf(out, "],\"truncated\":%s}",
	    t->truncated ? "true" : "false");
	return r == LEDGER_OK ? LEDGER_OK : LEDGER_ENOMEM;
}

static bool
is_deployment(const struct ledger_entry *e)
{
	return (e->kind == LEDGER_KIND_DEPLOYMENT ||
	    e->kind == LEDGER_KIND_ROLLBACK) &&
	    e->subject[LEDGER_SUBJ_ENVIRONMENT] != NULL;
}

/* One target: its first and last deployment or rollback (seq order). */
static enum ledger_status
target_json(const struct ledger_trace *t, size_t first,
    struct ledger_buf *out)
{
	const struct ledger_entry *f = &t->v[first].row.e, *last = f, *e;
	char t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX];
	enum ledger_status r = LEDGER_OK;
	size_t i;

	for (i = first + 1; i < t->n; i++) {
		e = &t->v[i].row.e;
		if (is_deployment(e) && same(e->subject[LEDGER_SUBJ_ENVIRONMENT],
		    f->subject[LEDGER_SUBJ_ENVIRONMENT]) &&
		    same(e->subject[LEDGER_SUBJ_SERVICE],
		    f->subject[LEDGER_SUBJ_SERVICE]))
			last = e;
	}
	ledger_time_format(f->time_ms, t1);
	ledger_time_format(last->time_ms, t2);
	r |= ledger_buf_adds(out, "{\"environment\":");
	r |= ledger_jcs_append_string(out, f->subject[LEDGER_SUBJ_ENVIRONMENT],
	    strlen(f->subject[LEDGER_SUBJ_ENVIRONMENT]), NULL);
	r |= ledger_json_member(out, "service", f->subject[LEDGER_SUBJ_SERVICE]);
	r |= ledger_buf_addf(out, ",\"first_seq\":%" PRIu64 ",\"first_time\":"
	    "\"%s\",\"last_seq\":%" PRIu64 ",\"last_time\":\"%s\","
	    "\"last_kind\":\"%s\"", f->seq, t1, last->seq, t2,
	    ledger_kind_name(last->kind));
	r |= ledger_json_member(out, "last_status", ledger_status_word(
	    last->kind, last->subject[LEDGER_SUBJ_STATUS]));
	r |= ledger_buf_addc(out, '}');
	return r;
}

enum ledger_status
ledger_where_json(const struct ledger_trace *t, struct ledger_buf *out)
{
	enum ledger_status r = LEDGER_OK;
	const struct ledger_entry *e, *o;
	size_t i, j;
	bool any = false;

	r |= ledger_buf_adds(out, "{\"deployments\":[");
	for (i = 0; i < t->n; i++) {
		if (!is_deployment(&t->v[i].row.e))
			continue;
		r |= ledger_buf_adds(out, any ? "," : "");
		r |= ledger_entry_brief_open(out, &t->v[i].row.e);
		r |= ledger_buf_addc(out, '}');
		any = true;
	}
	r |= ledger_buf_adds(out, "],\"targets\":[");
	any = false;
	for (i = 0; i < t->n; i++) {
		e = &t->v[i].row.e;
		if (!is_deployment(e))
			continue;
		/* the first entry of its (environment, service) only */
		for (j = 0; j < i; j++) {
			o = &t->v[j].row.e;
			if (is_deployment(o) &&
			    same(o->subject[LEDGER_SUBJ_ENVIRONMENT],
			    e->subject[LEDGER_SUBJ_ENVIRONMENT]) &&
			    same(o->subject[LEDGER_SUBJ_SERVICE],
			    e->subject[LEDGER_SUBJ_SERVICE]))
				break;
		}
		if (j < i)
			continue;
		r |= ledger_buf_adds(out, any ? "," : "");
		r |= target_json(t, i, out);
		any = true;
	}
	r |= ledger_buf_adds(out, "]}");
	return r == LEDGER_OK ? LEDGER_OK : LEDGER_ENOMEM;
}
