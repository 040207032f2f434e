/*
 * retention.c - pruning old payloads under legal holds (ledger/retention.h)
 *
 * The log is the only record of what was pruned and what is held: holds
 * and prunes are read back from its `ledger` entries (found by their
 * status term), never from a side table an editor could change without
 * breaking a signature.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/jcs.h"
#include "ledger/query.h"
#include "ledger/retention.h"
#include "backend.h"
#include "ledger-int.h"
#include "store-int.h"

#define RECORDS_MAX 100000	/* prune and hold records read back */

/* A JSON number that is an integer in [0, 2^53]. */
static bool
json_u64(const json_t *v, uint64_t *ret)
{
	double d;

	if (!json_is_number(v))
		return false;
	d = json_number_value(v);
	if (!(d >= 0 && d <= 9007199254740992.0) || floor(d) != d)
		return false;
	*ret = (uint64_t)d;
	return true;
}

static bool
json_time(const json_t *o, const char *name, int64_t *ret)
{
	const json_t *v = json_object_get(o, name);

	*ret = 0;
	return v == NULL || (json_is_string(v) &&
	    ledger_time_parse(json_string_value(v), ret, NULL) == LEDGER_OK);
}

enum ledger_status
ledger_prune_body_parse(const uint8_t *body, size_t len, uint64_t *before_seq,
    struct ledger_error *err)
{
	json_t *doc = NULL;
	enum ledger_status st;

	if ((st = ledger_json_parse((const char *)body, len, &doc, err)))
		return st;
	if (!json_u64(json_object_get(doc, "before_seq"), before_seq))
		st = ledger_errorf(err, LEDGER_EINVAL, "a payloads-pruned "
		    "record without an integer before_seq");
	json_decref(doc);
	return st;
}

static enum ledger_status
parse_hold(const json_t *doc, struct ledger_hold *h, struct ledger_error *err)
{
	const json_t *env = json_object_get(doc, "environment");
	const json_t *reason = json_object_get(doc, "reason");
	const json_t *from = json_object_get(doc, "from_seq");
	const json_t *to = json_object_get(doc, "to_seq");

	if (!json_time(doc, "since", &h->since_ms) ||
	    !json_time(doc, "until", &h->until_ms) ||
	    (env != NULL && !json_is_string(env)) || !json_is_string(reason) ||
	    (from == NULL) != (to == NULL) || (from != NULL &&
	    (!json_u64(from, &h->from_seq) || !json_u64(to, &h->to_seq))))
		return ledger_errorf(err, LEDGER_EINVAL, "malformed hold");
	h->has_seqs = from != NULL;
	if ((env && ledger_strdup(json_string_value(env), &h->environment,
	    err)) || ledger_strdup(json_string_value(reason), &h->reason, err))
		return LEDGER_ENOMEM;
	return LEDGER_OK;
}

struct reader {
	struct ledger_store *s;
	struct ledger_retention *r;
	struct ledger_error *err;
	enum ledger_status st;
};

static enum ledger_status
grow(void **arr, size_t n, size_t size, struct ledger_error *err)
{
	void *p;

	if (n >= RECORDS_MAX)
		return ledger_errorf(err, LEDGER_EINVAL, "more than %d "
		    "retention records", RECORDS_MAX);
	if ((n & (n - 1)) == 0) {	/* 0, 1, 2, 4, ...: double */
		if ((p = realloc(*arr, (n ? 2 * n : 4) * size)) == NULL)
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "out of memory");
		*arr = p;
	}
	return LEDGER_OK;
}

static enum ledger_status
add_record(struct reader *rd, const struct ledger_row *row, const json_t *doc,
    struct ledger_error *err)
{
	struct ledger_retention *r = rd->r;
	const char *ev = row->e.subject[LEDGER_SUBJ_STATUS];
	struct ledger_hold *h;
	enum ledger_status st;
	uint64_t hs;
	size_t i;

	if (strcmp(ev, LEDGER_EV_PRUNED) == 0) {
		struct ledger_prune_record *p;

		if ((st = grow((void **)&r->prunes, r->nprunes,
		    sizeof(*r->prunes), err)))
			return st;
		p = &r->prunes[r->nprunes];
		if (!json_u64(json_object_get(doc, "before_seq"),
		    &p->before_seq) || p->before_seq > row->e.seq)
			return ledger_errorf(err, LEDGER_EINVAL,
			    "bad before_seq");
		p->seq = row->e.seq;
		p->time_ms = row->e.time_ms;
		r->nprunes++;
		if (p->before_seq > r->pruned_before)
			r->pruned_before = p->before_seq;
		return LEDGER_OK;
	}
	if (strcmp(ev, LEDGER_EV_HOLD_ADDED) == 0) {
		if ((st = grow((void **)&r->holds, r->nholds,
		    sizeof(*r->holds), err)))
			return st;
		h = &r->holds[r->nholds++];
		memset(h, 0, sizeof(*h));
		h->seq = row->e.seq;
		h->time_ms = row->e.time_ms;
		return parse_hold(doc, h, err);
	}
	if (!json_u64(json_object_get(doc, "hold_seq"), &hs))
		return ledger_errorf(err, LEDGER_EINVAL, "no hold_seq");
	for (i = 0; i < r->nholds; i++)
		if (r->holds[i].seq == hs && !r->holds[i].released) {
			r->holds[i].released = true;
			r->holds[i].released_seq = row->e.seq;
			return LEDGER_OK;
		}
	return ledger_errorf(err, LEDGER_EINVAL, "releases %" PRIu64
	    ", not a hold in force", hs);
}

static int
read_record(void *ctx, const struct ledger_row *row)
{
	struct reader *rd = ctx;
	uint8_t *body = NULL;
	size_t len;
	json_t *doc = NULL;
	struct ledger_error e2 = { LEDGER_OK, 0, "", 0 };

	rd->st = ledger_store_get_payload(rd->s, row->e.seq, &body, &len,
	    &e2);
	if (rd->st == LEDGER_OK)
		rd->st = ledger_json_parse((const char *)body, len, &doc, &e2);
	if (rd->st == LEDGER_OK)
		rd->st = add_record(rd, row, doc, &e2);
	/* e2 says why; rd->err gets it with the record named (never
	 * formatted from itself) */
	if (rd->st != LEDGER_OK)
		rd->st = ledger_errorf(rd->err, rd->st == LEDGER_ENOMEM ?
		    LEDGER_ENOMEM : LEDGER_EINVAL, "retention record %" PRIu64
		    " (%s): %s", row->e.seq, row->e.subject[LEDGER_SUBJ_STATUS],
		    e2.msg);
	json_decref(doc);
	free(body);
	return rd->st != LEDGER_OK;
}

enum ledger_status
ledger_retention_read(struct ledger_store *s, struct ledger_retention *ret,
    struct ledger_error *err)
{
	static const char *const evs[] = { LEDGER_EV_PRUNED,
	    LEDGER_EV_HOLD_ADDED, LEDGER_EV_HOLD_RELEASED };
	struct ledger_error local;
	struct reader rd = { s, ret, NULL, LEDGER_OK };
	enum ledger_status st;

	if (err == NULL)
		err = &local;
	rd.err = err;
	memset(ret, 0, sizeof(*ret));
	err->msg[0] = '\0';
	st = ledger_store_records(s, evs, 3, read_record, &rd, err);
	if (st == LEDGER_OK)
		st = rd.st;
	if (st != LEDGER_OK)
		ledger_retention_release(ret);
	return st;
}

void
ledger_retention_release(struct ledger_retention *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nholds; i++) {
		free(r->holds[i].environment);
		free(r->holds[i].reason);
	}
	free(r->holds);
	free(r->prunes);
	memset(r, 0, sizeof(*r));
}

bool
ledger_hold_covers(const struct ledger_hold *h, uint64_t seq, int64_t time_ms,
    const char *environment)
{
	return !h->released && ledger_hold_matches(h, seq, time_ms,
	    environment);
}

bool
ledger_hold_matches(const struct ledger_hold *h, uint64_t seq,
    int64_t time_ms, const char *environment)
{
	if (h->environment != NULL && (environment == NULL ||
	    strcmp(h->environment, environment) != 0))
		return false;
	if ((h->since_ms && time_ms < h->since_ms) ||
	    (h->until_ms && time_ms >= h->until_ms))
		return false;
	return !h->has_seqs || (seq >= h->from_seq && seq <= h->to_seq);
}

/* A ledger entry of event what with body doc (taken). */
static enum ledger_status
record_event(const char *what, json_t *doc, const char *source_name,
    const char *auth, const char *env, struct ledger_event **ret,
    struct ledger_error *err)
{
	struct ledger_event *ev = NULL;
	enum ledger_status st;
	char *body = NULL;
	size_t len;

	*ret = NULL;
	json_object_set_new(doc, "event", json_string(what));
	if ((st = ledger_jcs_encode(doc, &body, &len, err)) ||
	    (st = ledger_event_new(&ev, err)) ||
	    (st = ledger_event_set_source(ev, LEDGER_SRC_NAME, source_name,
	    err)) ||
	    (st = ledger_event_set_source(ev, LEDGER_SRC_TYPE, "ledger", err)) ||
	    (st = ledger_event_set_source(ev, LEDGER_SRC_EVENT, what, err)) ||
	    (st = ledger_event_set_source(ev, LEDGER_SRC_AUTH, auth, err)) ||
	    (st = ledger_event_set_subject(ev, LEDGER_SUBJ_STATUS, what, err)) ||
	    (env && (st = ledger_event_set_subject(ev,
	    LEDGER_SUBJ_ENVIRONMENT, env, err))) ||
	    (st = ledger_event_set_payload(ev, body, len, "application/json",
	    err))) {
		ledger_event_free(ev);
		ev = NULL;
	} else
		ev->e.kind = LEDGER_KIND_LEDGER;
	free(body);
	json_decref(doc);
	*ret = ev;
	return st;
}

static void
set_time(json_t *doc, const char *name, int64_t ms)
{
	char t[LEDGER_TIME_MAX];

	if (ms == 0)
		return;
	ledger_time_format(ms, t);
	json_object_set_new(doc, name, json_string(t));
}

enum ledger_status
ledger_hold_event(const struct ledger_hold *h, const char *source_name,
    const char *auth, struct ledger_event **ret, struct ledger_error *err)
{
	json_t *doc;

	*ret = NULL;
	if (h->reason == NULL || h->reason[0] == '\0')
		return ledger_errorf(err, LEDGER_EINVAL, "a hold needs a "
		    "reason");
	if (h->environment == NULL && !h->since_ms && !h->until_ms &&
	    !h->has_seqs)
		return ledger_errorf(err, LEDGER_EINVAL, "a hold needs an "
		    "environment, a period or a seq range");
	if ((h->since_ms && h->until_ms && h->since_ms >= h->until_ms) ||
	    (h->has_seqs && h->from_seq > h->to_seq))
		return ledger_errorf(err, LEDGER_EINVAL, "a hold's range is "
		    "empty");
	if ((doc = json_object()) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	json_object_set_new(doc, "reason", json_string(h->reason));
	if (h->environment != NULL)
		json_object_set_new(doc, "environment",
		    json_string(h->environment));
	set_time(doc, "since", h->since_ms);
	set_time(doc, "until", h->until_ms);
	if (h->has_seqs) {
		json_object_set_new(doc, "from_seq",
		    json_integer((json_int_t)h->from_seq));
		json_object_set_new(doc, "to_seq",
		    json_integer((json_int_t)h->to_seq));
	}
	return record_event(LEDGER_EV_HOLD_ADDED, doc, source_name, auth,
	    h->environment, ret, err);
}

enum ledger_status
ledger_hold_release_event(uint64_t hold_seq, const char *reason,
    const char *source_name, const char *auth, struct ledger_event **ret,
    struct ledger_error *err)
{
	json_t *doc;

	*ret = NULL;
	if (reason == NULL || reason[0] == '\0')
		return ledger_errorf(err, LEDGER_EINVAL, "releasing a hold "
		    "needs a reason");
	if ((doc = json_object()) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	json_object_set_new(doc, "hold_seq", json_integer((json_int_t)hold_seq));
	json_object_set_new(doc, "reason", json_string(reason));
	return record_event(LEDGER_EV_HOLD_RELEASED, doc, source_name, auth,
	    NULL, ret, err);
}

/* The newest record already covers the range and no hold was released
 * since: go on under it (a prune interrupted, a daemon's next round)
 * rather than record the same range again.  A hold released since needs
 * a new record: verify judges each deletion by the holds in force at the
 * record it happened under. */
static bool
resume(const struct ledger_retention *r, uint64_t before_seq,
    struct ledger_prune_plan *p)
{
	const struct ledger_prune_record *last;
	size_t i;

	if (r->nprunes == 0)
		return false;
	last = &r->prunes[r->nprunes - 1];
	if (last->before_seq < before_seq)
		return false;
	for (i = 0; i < r->nholds; i++)
		if (r->holds[i].released && r->holds[i].released_seq >
		    last->seq)
			return false;
	p->before_seq = before_seq;
	p->record_seq = last->seq;
	return true;
}

enum ledger_status
ledger_prune_plan(struct ledger_store *s, uint64_t before_seq,
    int64_t before_ms, const char *source_name, const char *auth,
    struct ledger_prune_plan *ret, struct ledger_error *err)
{
	struct ledger_retention r;
	enum ledger_status st;
	uint64_t size;
	json_t *doc, *holds;
	size_t i;

	memset(ret, 0, sizeof(*ret));
	if ((st = ledger_store_size(s, &size, err)))
		return st;
	if (before_seq == UINT64_MAX && (st = ledger_store_seq_at_time(s,
	    before_ms, &before_seq, err)))
		return st;
	if (before_seq > size)
		return ledger_errorf(err, LEDGER_EINVAL, "seq %" PRIu64 " is "
		    "beyond the log's end (it holds %" PRIu64 " entries)",
		    before_seq, size);
	if (before_seq == 0)
		return ledger_errorf(err, LEDGER_ENOTFOUND, "no entry before "
		    "that: nothing to prune");
	if ((st = ledger_retention_read(s, &r, err)))
		return st;
	if (resume(&r, before_seq, ret)) {
		ledger_retention_release(&r);
		return LEDGER_OK;
	}
	if ((doc = json_object()) == NULL || (holds = json_array()) == NULL) {
		json_decref(doc);
		ledger_retention_release(&r);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	for (i = 0; i < r.nholds; i++)
		if (!r.holds[i].released)
			json_array_append_new(holds,
			    json_integer((json_int_t)r.holds[i].seq));
	ledger_retention_release(&r);
	json_object_set_new(doc, "before_seq", json_integer(
	    (json_int_t)before_seq));
	if (before_ms != 0)
		set_time(doc, "before", before_ms);
	json_object_set_new(doc, "holds", holds);
	if ((st = record_event(LEDGER_EV_PRUNED, doc, source_name, auth, NULL,
	    &ret->record, err)))
		return st;
	ret->before_seq = before_seq;
	return LEDGER_OK;
}

struct heldctx {
	const struct ledger_retention *r;
	uint64_t record_seq;
};

/* Kept: a hold in force now, or when the record this deletion happens
 * under was appended (verify judges each deletion by the holds in force
 * at its record; a hold released since needs a record of its own). */
static bool
held(void *ctx, uint64_t seq, int64_t time_ms, const char *env)
{
	const struct heldctx *hc = ctx;
	const struct ledger_hold *h;
	size_t i;

	for (i = 0; i < hc->r->nholds; i++) {
		h = &hc->r->holds[i];
		if ((!h->released || h->released_seq > hc->record_seq) &&
		    ledger_hold_matches(h, seq, time_ms, env))
			return true;
	}
	return false;
}

enum ledger_status
ledger_prune_step(struct ledger_store *s, struct ledger_prune_plan *p,
    uint64_t record_seq, unsigned max, struct ledger_error *err)
{
	struct ledger_retention r;
	struct heldctx hc;
	enum ledger_status st;

	if (p->done)
		return LEDGER_OK;
	if (record_seq < p->before_seq)
		return ledger_errorf(err, LEDGER_EINVAL, "the prune record %"
		    PRIu64 " does not follow the range it covers (before %"
		    PRIu64 ")", record_seq, p->before_seq);
	if (max == 0)
		max = 1;
	/* holds again at each step: one added meanwhile is kept too */
	if ((st = ledger_retention_read(s, &r, err)))
		return st;
	hc.r = &r;
	hc.record_seq = record_seq;
	st = s->ops->prune_step(s->be, p->before_seq, max, held, &hc, p, err);
	ledger_retention_release(&r);
	return st;
}

void
ledger_prune_plan_release(struct ledger_prune_plan *p)
{
	if (p == NULL)
		return;
	ledger_event_free(p->record);
	memset(p, 0, sizeof(*p));
}

enum ledger_status
ledger_store_vacuum(struct ledger_store *s, unsigned pages, bool full,
    uint64_t *ret_free_bytes, bool *ret_incremental,
    struct ledger_error *err)
{
	return s->ops->vacuum(s->be, pages, full, ret_free_bytes,
	    ret_incremental, err);
}

bool
ledger_hold_in_force_at(const struct ledger_hold *h, uint64_t seq)
{
	return h->seq < seq && (!h->released || h->released_seq > seq);
}

enum ledger_status
ledger_payload_pruned_by(struct ledger_store *s, uint64_t seq,
    uint64_t *ret_record, struct ledger_error *err)
{
	struct ledger_retention r;
	enum ledger_status st;
	size_t i;

	if ((st = ledger_retention_read(s, &r, err)) != LEDGER_OK)
		return st;
	st = ledger_errorf(err, LEDGER_ENOTFOUND, "no prune covers entry %"
	    PRIu64, seq);
	for (i = 0; i < r.nprunes; i++)
		if (r.prunes[i].before_seq > seq) {
			*ret_record = r.prunes[i].seq;
			st = LEDGER_OK;
			break;
		}
	ledger_retention_release(&r);
	return st;
}
