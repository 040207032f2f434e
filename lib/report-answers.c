/*
 * report-answers.c - deployments, exceptions, actors, state, last good
 * (ledger/report.h), on the context of lib/report.c
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/jcs.h"
#include "ledger/status.h"
#include "ledger/timeline.h"
#include "ledger/tree.h"
#include "ledger/wire.h"
#include "ledger-int.h"
#include "report-int.h"

/* ---- the stack of states per service ---- */

/* See report-int.h. */
enum ledger_status
report_walk(struct report *rep, struct smap *stacks,
    struct ledger_error *err)
{
	const struct ledger_entry *e;
	struct smap_slot *sl;
	size_t *row_dep, i, top;
	bool created;
	const char *svc;

	if ((row_dep = malloc((rep->rows.n + 1) * sizeof(*row_dep))) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	for (i = 0; i < rep->rows.n; i++)
		row_dep[i] = SIZE_MAX;
	for (i = 0; i < rep->ndeps; i++) {
		size_t k;

		for (k = 0; k < rep->deps[i].entries.n; k++)
			row_dep[rep->deps[i].entries.v[k]] = i;
	}
	for (i = 0; i < rep->rows.n; i++) {
		e = &rep->rows.v[i].e;
		svc = e->subject[LEDGER_SUBJ_SERVICE];
		if ((sl = smap_get(stacks, svc != NULL ? svc : "", &created)) ==
		    NULL)
			goto nomem;
		top = sl->to.n ? sl->to.v[sl->to.n - 1] : SIZE_MAX;
		if (e->kind == LEDGER_KIND_DEPLOYMENT) {
			const char *w = ledger_status_word(e->kind,
			    e->subject[LEDGER_SUBJ_STATUS]);

			if (row_dep[i] == SIZE_MAX || w == NULL ||
			    strcmp(w, "success") != 0 || (top != SIZE_MAX &&
			    !(top & ROLLBACK_BIT) &&
			    row_dep[top / 2] == row_dep[i]))
				continue;
			if (!idx_push(&sl->to, 2 * i))
				goto nomem;
			continue;
		}
		/* a rollback */
		if (top != SIZE_MAX) {
			if (!(top & ROLLBACK_BIT))
				rep->deps[row_dep[top / 2]].rolled_back = true;
			sl->to.n--;
		}
		if ((e->subject[LEDGER_SUBJ_ARTIFACT] != NULL ||
		    e->subject[LEDGER_SUBJ_COMMIT] != NULL) &&
		    !idx_push(&sl->to, 2 * i + 1))
			goto nomem;
	}
	free(row_dep);
	return LEDGER_OK;
nomem:
	free(row_dep);
	return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
}

/* ---- JSON pieces ---- */

static enum ledger_status
seqs_json(struct ledger_buf *out, const char *name, const struct idx *x,
    const struct rows *rows)
{
	enum ledger_status r = LEDGER_OK;
	size_t i;

	r |= ledger_buf_addf(out, ",\"%s\":[", name);
	for (i = 0; i < x->n; i++) {
		if (i > 0)
			r |= ledger_buf_addc(out, ',');
		r |= ledger_buf_add_u64(out, rows != NULL ?
		    rows->v[x->v[i]].e.seq : (uint64_t)x->v[i]);
	}
	r |= ledger_buf_addc(out, ']');
	return r;
}

enum ledger_status
report_approvals_json(const struct report *rep, const struct dep *d,
    struct ledger_buf *out)
{
	enum ledger_status r = LEDGER_OK;
	const struct ledger_entry *a;
	char t[LEDGER_TIME_MAX];
	size_t i;

	r |= ledger_buf_adds(out, ",\"approvals\":[");
	for (i = 0; i < d->nm; i++) {
		a = &rep->approvals.v[d->m[i].row].e;
		ledger_time_format(a->time_ms, t);
		r |= ledger_buf_addf(out, "%s{\"seq\":%" PRIu64 ",\"time\":"
		    "\"%s\",\"rule\":\"%s\"", i ? "," : "", a->seq, t,
		    ledger_rule_name(d->m[i].rule));
		r |= ledger_json_member(out, "actor",
		    a->subject[LEDGER_SUBJ_ACTOR]);
		r |= ledger_json_member(out, "status", ledger_status_word(
		    a->kind, a->subject[LEDGER_SUBJ_STATUS]));
		r |= ledger_json_member(out, "source", a->source[LEDGER_SRC_NAME]);
		r |= ledger_buf_addc(out, '}');
	}
	r |= ledger_buf_addc(out, ']');
	return r;
}

static enum ledger_status
exceptions_list(struct ledger_buf *out, unsigned exc)
{
	enum ledger_status r = LEDGER_OK;
	unsigned bit;
	bool any = false;

	r |= ledger_buf_adds(out, ",\"exceptions\":[");
	for (bit = 1; bit <= LEDGER_EXC_SELF; bit <<= 1)
		if (exc & bit) {
			r |= ledger_buf_addf(out, "%s\"%s\"", any ? "," : "",
			    ledger_exception_name(bit));
			any = true;
		}
	r |= ledger_buf_addc(out, ']');
	return r;
}

/* A deployment's common members, after "{": the fields of its deciding
 * entry, else of its first. */
enum ledger_status
report_dep_fields(const struct report *rep, const struct dep *d,
    const struct ledger_entry *e, const struct ledger_entry *first,
    struct ledger_buf *out)
{
	static const struct { enum ledger_subject f; const char *name; }
	    fields[] = {
		{ LEDGER_SUBJ_ENVIRONMENT, "environment" },
		{ LEDGER_SUBJ_SERVICE, "service" },
		{ LEDGER_SUBJ_ACTOR, "deployer" },
		{ LEDGER_SUBJ_ARTIFACT, "artifact" },
		{ LEDGER_SUBJ_COMMIT, "commit" },
		{ LEDGER_SUBJ_RUN, "run" },
		{ LEDGER_SUBJ_PIPELINE, "pipeline" },
		{ LEDGER_SUBJ_TICKET, "ticket" },
		{ LEDGER_SUBJ_DEPLOYMENT, "deployment" },
		{ LEDGER_SUBJ_URL, "url" },
	};
	enum ledger_status r = LEDGER_OK;
	char t[LEDGER_TIME_MAX];
	const char *v;
	size_t i;

	ledger_time_format(e->time_ms, t);
	r |= ledger_buf_addf(out, "\"seq\":%" PRIu64 ",\"time\":\"%s\","
	    "\"kind\":\"%s\"", e->seq, t, ledger_kind_name(e->kind));
	r |= ledger_json_member(out, "source", e->source[LEDGER_SRC_NAME]);
	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		v = e->subject[fields[i].f];
		if (v == NULL && first != NULL)
			v = first->subject[fields[i].f];
		r |= ledger_json_member(out, fields[i].name, v);
	}
	r |= ledger_json_member(out, "status", ledger_status_word(e->kind,
	    e->subject[LEDGER_SUBJ_STATUS]));
	r |= ledger_buf_addf(out, ",\"approved\":%s",
	    d->approved ? "true" : "false");
	r |= report_approvals_json(rep, d, out);
	return r;
}

enum ledger_status
report_dep_json(const struct report *rep, const struct dep *d,
    struct ledger_buf *out)
{
	const struct ledger_entry *e = &rep->rows.v[d->last].e;
	const struct ledger_entry *first = &rep->rows.v[d->first].e;
	enum ledger_status r = LEDGER_OK;
	size_t i;

	r |= ledger_buf_addc(out, '{');
	r |= report_dep_fields(rep, d, e, first, out);
	r |= ledger_buf_addf(out, ",\"first_seq\":%" PRIu64, first->seq);
	r |= seqs_json(out, "entries", &d->entries, &rep->rows);
	if (!rep->no_authors) {
		r |= ledger_buf_adds(out, ",\"authors\":[");
		for (i = 0; i < d->authors.n; i++) {
			const char *a = rep->author_names[d->authors.v[i]];

			r |= ledger_buf_adds(out, i ? "," : "");
			r |= ledger_jcs_append_string(out, a, strlen(a), NULL);
		}
		r |= ledger_buf_addc(out, ']');
	}
	r |= ledger_buf_addf(out, ",\"rolled_back\":%s",
	    d->rolled_back ? "true" : "false");
	r |= exceptions_list(out, d->exc);
	r |= ledger_buf_addc(out, '}');
	return r;
}

/* ---- completeness ---- */

static enum ledger_status
checkpoint_json(struct ledger_buf *out, const char *name,
    const struct ledger_signed_checkpoint *cp)
{
	enum ledger_status r = LEDGER_OK;
	char t[LEDGER_TIME_MAX], h[LEDGER_B64_HASH_SIZE];

	if (cp->note == NULL)
		return ledger_buf_addf(out, ",\"%s\":null", name);
	ledger_time_format(cp->time_ms, t);
	ledger_b64_hash(cp->root, h);
	r |= ledger_buf_addf(out, ",\"%s\":{\"size\":%" PRIu64 ",\"root\":"
	    "\"%s\",\"time\":\"%s\",\"note\":", name, cp->size, h, t);
	r |= ledger_jcs_append_string(out, cp->note, cp->note_len, NULL);
	r |= ledger_buf_addc(out, '}');
	return r;
}

/* "completeness": the count, the period's first and last seq, the two
 * checkpoints that bracket it with the consistency proof between them,
 * and the gaps inside it. */
static enum ledger_status
completeness_json(struct report *rep, const struct ledger_report_opts *o,
    size_t count, struct ledger_buf *out, struct ledger_error *err)
{
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	struct ledger_signed_checkpoint before, after;
	enum ledger_status st, r = LEDGER_OK;
	uint64_t lo, hi;
	size_t n = 0, ngaps = 0;
	int64_t gap_ms;

	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	if ((st = ledger_store_seq_at_time(rep->s, o->from_ms, &lo, err)) ||
	    (st = ledger_store_seq_at_time(rep->s, o->to_ms, &hi, err)))
		return st;
	r |= ledger_buf_addf(out, ",\"completeness\":{\"count\":%zu", count);
	if (hi > lo)
		r |= ledger_buf_addf(out, ",\"entries\":%" PRIu64 ",\"first_seq\":"
		    "%" PRIu64 ",\"last_seq\":%" PRIu64, hi - lo, lo, hi - 1);
	else
		r |= ledger_buf_adds(out, ",\"entries\":0,\"first_seq\":null,"
		    "\"last_seq\":null");
	/* the last checkpoint of no entry of the period, the first of all */
	st = ledger_store_checkpoint_near(rep->s, LEDGER_CP_AT_MOST, lo,
	    &before, err);
	if (st == LEDGER_OK || st == LEDGER_ENOTFOUND)
		st = ledger_store_checkpoint_near(rep->s, LEDGER_CP_AT_LEAST,
		    hi, &after, err);
	if (st != LEDGER_OK && st != LEDGER_ENOTFOUND)
		goto out;
	r |= checkpoint_json(out, "checkpoint_before", &before);
	r |= checkpoint_json(out, "checkpoint_after", &after);
	if (before.note != NULL && after.note != NULL) {
		if (before.size > 0 && (st = ledger_store_prove_consistency(
		    rep->s, before.size, after.size, proof, &n, err)))
			goto out;
		r |= ledger_buf_adds(out, ",\"consistency\":");
		r |= ledger_consistency_json(out, before.size, after.size,
		    (const uint8_t (*)[LEDGER_HASH_BYTES])proof, n);
	} else
		r |= ledger_buf_adds(out, ",\"consistency\":null");
	gap_ms = ledger_gap_ms(rep->s, o->to_ms, o->gap_s);
	r |= ledger_buf_adds(out, ",\"gaps\":[");
	if ((st = ledger_gaps_json(rep->s, o->from_ms, o->to_ms, gap_ms, out,
	    &ngaps, err)))
		goto out;
	r |= ledger_buf_addf(out, "],\"gap_s\":%" PRId64 "}", gap_ms / 1000);
	st = r == LEDGER_OK ? LEDGER_OK : ledger_errorf(err, LEDGER_ENOMEM,
	    "out of memory");
out:
	ledger_signed_checkpoint_release(&before);
	ledger_signed_checkpoint_release(&after);
	return st;
}

/* ---- the answers ---- */

static enum ledger_status
check_period(const struct ledger_report_opts *o, struct ledger_error *err)
{
	if (o->to_ms <= o->from_ms || o->from_ms <= 0)
		return ledger_errorf(err, LEDGER_EINVAL, "the period must "
		    "begin after 1970 and end after it begins");
	return LEDGER_OK;
}

static enum ledger_status
period_open(struct ledger_buf *out, const struct report *rep,
    const struct ledger_report_opts *o)
{
	char t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX];
	enum ledger_status r = LEDGER_OK;

	ledger_time_format(o->from_ms, t1);
	ledger_time_format(o->to_ms, t2);
	r |= ledger_buf_addf(out, "{\"from\":\"%s\",\"to\":\"%s\"", t1, t2);
	r |= ledger_json_member(out, "environment", rep->env);
	r |= ledger_json_member(out, "service", rep->service);
	return r;
}

/* ',"truncated":BOOL[,"next_after":SEQ]}' */
static enum ledger_status
page_close(struct ledger_buf *out, bool truncated, uint64_t next_after)
{
	enum ledger_status r;

	r = ledger_buf_addf(out, ",\"truncated\":%s",
	    truncated ? "true" : "false");
	if (next_after != UINT64_MAX)
		r |= ledger_buf_addf(out, ",\"next_after\":%" PRIu64,
		    next_after);
	r |= ledger_buf_addc(out, '}');
	return r;
}

/* Collect the period and walk it; *ret_first: the page's first
 * deployment (the joins are the caller's, row by row). */
static uint64_t
first_seq(const struct report *rep, const struct dep *d)
{
	return rep->rows.v[d->first].e.seq;
}

static enum ledger_status
population(struct report *rep, struct ledger_store *s,
    const struct ledger_report_opts *o, bool need_env, size_t *ret_first,
    struct ledger_error *err)
{
	struct smap stacks = { 0 };
	enum ledger_status st;
	size_t i;

	memset(rep, 0, sizeof(*rep));
	*ret_first = 0;
	if (need_env && (o->environment == NULL || *o->environment == '\0'))
		return ledger_errorf(err, LEDGER_EINVAL, "no environment");
	if ((st = check_period(o, err)) ||
	    (st = report_init(rep, s, o->environment, o->service, err)))
		return st;
	rep->preload = true;
	if ((st = report_collect(rep, o->from_ms, o->to_ms, err)) ||
	    (st = report_walk(rep, &stacks, err)))
		goto out;
	/* the page's first row; the join is done as rows are written */
	for (i = 0; i < rep->ndeps && first_seq(rep, &rep->deps[i]) <
	    o->start_seq; i++)
		;
	*ret_first = i;
	rep->to_join = o->limit > 0 && o->limit < rep->ndeps - i ? o->limit :
	    rep->ndeps - i;
out:
	smap_release(&stacks);
	return st;
}

enum ledger_status
ledger_deployments_json(struct ledger_store *s,
    const struct ledger_report_opts *o, struct ledger_buf *out,
    size_t *ret_n, struct ledger_error *err)
{
	enum ledger_status st, r = LEDGER_OK;
	struct report rep;
	size_t i, first, n = 0;

	if ((st = population(&rep, s, o, true, &first, err)) != LEDGER_OK)
		goto out;
	r |= period_open(out, &rep, o);
	r |= ledger_buf_adds(out, ",\"deployments\":[");
	for (i = first; i < rep.ndeps && n < rep.to_join && st == LEDGER_OK;
	    i++, n++) {
		if ((st = report_join(&rep, &rep.deps[i], err)) != LEDGER_OK)
			break;
		r |= ledger_buf_adds(out, n ? "," : "");
		r |= report_dep_json(&rep, &rep.deps[i], out);
	}
	r |= ledger_buf_addc(out, ']');
	if (st != LEDGER_OK)
		goto out;
	if (r != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	else if ((st = completeness_json(&rep, o, rep.ndeps, out, err)) ==
	    LEDGER_OK && page_close(out, rep.truncated || i < rep.ndeps,
	    i < rep.ndeps && n > 0 ? first_seq(&rep, &rep.deps[i - 1]) :
	    UINT64_MAX) != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (ret_n != NULL)
		*ret_n = n;
out:
	report_release(&rep);
	return st;
}

enum ledger_status
ledger_exceptions_json(struct ledger_store *s,
    const struct ledger_report_opts *o, unsigned exc, struct ledger_buf *out,
    size_t *ret_n, struct ledger_error *err)
{
	enum ledger_status st, r = LEDGER_OK;
	const struct ledger_entry *e;
	struct report rep;
	size_t i, n = 0, first;
	uint64_t last = 0;
	struct dep *d;
	bool more = false;

	if (ledger_exception_name(exc) == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "no such exception: "
		    "want unapproved, self-approved, late-approval or "
		    "rejected");
	if ((st = population(&rep, s, o, false, &first, err)) != LEDGER_OK)
		goto out;
	/* every deployment from the page's first is judged until the page
	 * holds limit exceptions */
	rep.to_join = rep.ndeps - first;
	r |= period_open(out, &rep, o);
	r |= ledger_buf_addf(out, ",\"exception\":\"%s\",\"exceptions\":[",
	    ledger_exception_name(exc));
	for (i = first; i < rep.ndeps && st == LEDGER_OK; i++) {
		d = &rep.deps[i];
		if (o->limit > 0 && n == o->limit) {
			more = true;
			break;
		}
		if ((st = report_join(&rep, d, err)) != LEDGER_OK)
			break;
		if (!(d->exc & exc))
			continue;
		if ((st = report_evidence(&rep, d, exc, err)) != LEDGER_OK)
			break;
		e = &rep.rows.v[d->last].e;
		r |= ledger_buf_adds(out, n++ ? ",{" : "{");
		r |= report_dep_fields(&rep, d, e, &rep.rows.v[d->first].e, out);
		r |= seqs_json(out, "evidence", &d->evidence, NULL);
		r |= exceptions_list(out, d->exc);
		r |= ledger_buf_addc(out, '}');
		last = first_seq(&rep, d);
	}
	r |= ledger_buf_addc(out, ']');
	/* how many deployments were judged for this answer (a page: from
	 * its first), so that "none" says over what */
	r |= ledger_buf_addf(out, ",\"judged\":%zu", i - first);
	r |= page_close(out, rep.truncated || more, more ? last : UINT64_MAX);
	if (st == LEDGER_OK && r != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (ret_n != NULL)
		*ret_n = n;
out:
	report_release(&rep);
	return st;
}
