/*
 * timeline.c - periods and timelines (ledger/timeline.h)
 *
 * One pass over the seq range of the period (found by bisection on the
 * ledger's clock, lib/store-query.c): every entry is looked at once for
 * the gaps, the ledger's own entries are summarized, the others listed
 * when they match the filter.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/jcs.h"
#include "ledger/query.h"
#include "ledger/timeline.h"
#include "ledger/wire.h"
#include "ledger-int.h"

#define DAY_MS (86400 * (int64_t)1000)
#define DEFAULT_HEARTBEAT_S 600

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static unsigned
days_in_month(int64_t y, unsigned m)
{
	static const unsigned n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : n[m - 1];
}

enum ledger_status
ledger_period_parse(const char *s, int64_t *from, int64_t *to,
    struct ledger_error *err)
{
	unsigned y, m, d, q, w;
	int64_t jan4, monday;
	char tail;

	if (s == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "no period");
	/* digits where digits go (sscanf's %u takes a sign), years from
	 * 1970: the ledger's clock starts there */
	if (strlen(s) < 6 || s[0] < '1' || s[0] > '9' || s[1] < '0' ||
	    s[1] > '9' || s[2] < '0' || s[2] > '9' || s[3] < '0' ||
	    s[3] > '9' || strchr(s, '+') != NULL || strchr(s + 4, ' ') ||
	    atoi(s) < 1970)
		return ledger_errorf(err, LEDGER_EINVAL, "bad period '%.40s': "
		    "want a day (2026-09-14), a month (2026-09), a quarter "
		    "(2026Q3) or an ISO week (2026-W38), from 1970 on", s);
	if (sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) == 3 &&
	    strlen(s) == 10 && m >= 1 && m <= 12 && d >= 1 &&
	    d <= days_in_month(y, m)) {
		*from = days_from_civil(y, m, d) * DAY_MS;
		*to = *from + DAY_MS;
		return LEDGER_OK;
	}
	if (sscanf(s, "%4uQ%1u%c", &y, &q, &tail) == 2 && strlen(s) == 6 &&
	    q >= 1 && q <= 4) {
		*from = days_from_civil(y, 3 * q - 2, 1) * DAY_MS;
		*to = (q == 4 ? days_from_civil(y + 1, 1, 1) :
		    days_from_civil(y, 3 * q + 1, 1)) * DAY_MS;
		return LEDGER_OK;
	}
	if (sscanf(s, "%4u-W%2u%c", &y, &w, &tail) == 2 && strlen(s) == 8 &&
	    w >= 1 && w <= 53) {
		/* ISO 8601: week 1 holds January 4th; weeks start Monday. */
		jan4 = days_from_civil(y, 1, 4);
		monday = jan4 - ((jan4 + 3) % 7);	/* 1970-01-01: Thursday */
		if (w == 53 && days_from_civil(y + 1, 1, 4) -
		    ((days_from_civil(y + 1, 1, 4) + 3) % 7) <=
		    monday + 52 * 7)
			return ledger_errorf(err, LEDGER_EINVAL,
			    "%u has no week 53", y);
		*from = (monday + 7 * (int64_t)(w - 1)) * DAY_MS;
		*to = *from + 7 * DAY_MS;
		return LEDGER_OK;
	}
	if (sscanf(s, "%4u-%2u%c", &y, &m, &tail) == 2 && strlen(s) == 7 &&
	    m >= 1 && m <= 12) {
		*from = days_from_civil(y, m, 1) * DAY_MS;
		*to = (m == 12 ? days_from_civil(y + 1, 1, 1) :
		    days_from_civil(y, m + 1, 1)) * DAY_MS;
		return LEDGER_OK;
	}
	return ledger_errorf(err, LEDGER_EINVAL, "bad period '%.40s': want a "
	    "day (2026-09-14), a month (2026-09), a quarter (2026Q3) or an "
	    "ISO week (2026-W38)", s);
}

struct tl {
	struct ledger_store *s;
	const struct ledger_timeline_opts *o;
	struct ledger_buf *out;		/* the entries */
	struct ledger_buf started, stopping, gaps;
	size_t n, heartbeats, ngaps;
	bool truncated;
	uint64_t last_listed;
	enum ledger_status st;
	int64_t gap_ms;
	bool have_prev;
	uint64_t prev_seq;
	int64_t prev_ms;
};

static void
seq_to(struct ledger_buf *b, uint64_t seq, enum ledger_status *st)
{
	*st |= ledger_buf_addf(b, "%s%" PRIu64, b->len ? "," : "", seq);
}

/* A gap ends at e: an entry (before_seq is its seq) or, when !entry,
 * the end of what the log holds ("open": nothing recorded since). */
static void
note_gap(struct tl *t, const struct ledger_entry *e, bool entry)
{
	char t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX];

	if (t->have_prev && e->time_ms - t->prev_ms > t->gap_ms) {
		ledger_time_format(t->prev_ms, t1);
		ledger_time_format(e->time_ms, t2);
		t->st |= ledger_buf_addf(&t->gaps, "%s{\"after_seq\":%" PRIu64,
		    t->ngaps ? "," : "", t->prev_seq);
		t->st |= entry ? ledger_buf_addf(&t->gaps, ",\"before_seq\":%"
		    PRIu64, e->seq) : ledger_buf_adds(&t->gaps,
		    ",\"before_seq\":null,\"open\":true");
		t->st |= ledger_buf_addf(&t->gaps, ",\"from\":\"%s\",\"to\":"
		    "\"%s\",\"seconds\":%" PRId64 "}", t1, t2,
		    (e->time_ms - t->prev_ms) / 1000);
		t->ngaps++;
	}
	t->have_prev = true;
	t->prev_seq = e->seq;
	t->prev_ms = e->time_ms;
}

static bool
field_is(const struct ledger_entry *e, enum ledger_subject f, const char *v)
{
	return v == NULL || (e->subject[f] != NULL &&
	    strcmp(e->subject[f], v) == 0);
}

static int
tl_row(void *ctx, const struct ledger_row *row)
{
	struct tl *t = ctx;
	const struct ledger_entry *e = &row->e;
	const char *ev = e->source[LEDGER_SRC_EVENT];

	note_gap(t, e, true);
	if (e->kind == LEDGER_KIND_LEDGER) {
		if (ev != NULL && strcmp(ev, "started") == 0)
			seq_to(&t->started, e->seq, &t->st);
		else if (ev != NULL && strcmp(ev, "stopping") == 0)
			seq_to(&t->stopping, e->seq, &t->st);
		else if (ev != NULL && strcmp(ev, "heartbeat") == 0)
			t->heartbeats++;
		return 0;
	}
	if (t->out == NULL || e->seq < t->o->start_seq ||
	    !field_is(e, LEDGER_SUBJ_ENVIRONMENT, t->o->environment) ||
	    !field_is(e, LEDGER_SUBJ_SERVICE, t->o->service))
		return 0;
	if (t->n >= (t->o->limit > 0 && t->o->limit < LEDGER_TIMELINE_MAX ?
	    t->o->limit : LEDGER_TIMELINE_MAX)) {
		t->truncated = true;
		return 0;		/* go on: the gaps cover the period */
	}
	t->last_listed = e->seq;
	t->st |= ledger_buf_adds(t->out, t->n ? "," : "");
	t->st |= ledger_entry_brief_open(t->out, e);
	t->st |= ledger_buf_addc(t->out, '}');
	t->n++;
	return t->st != LEDGER_OK;
}

/* The heartbeat interval (ms) the newest "started" entry before to
 * names, or 0.  ledgerd's own entries carry their event as the status
 * (from 0.5), so the lookup keys find the few "started" entries; older
 * logs, whose entries have no status, get the default. */
static int
find_started(void *ctx, const struct ledger_row *row)
{
	uint64_t *seq = ctx;

	if (row->e.source[LEDGER_SRC_EVENT] != NULL &&
	    strcmp(row->e.source[LEDGER_SRC_EVENT], "started") == 0)
		*seq = row->e.seq;
	return 0;
}

static int64_t
heartbeat_ms(struct ledger_store *s, int64_t to_ms)
{
	struct ledger_query q;
	uint64_t seq = UINT64_MAX;
	uint8_t *p = NULL;
	size_t len;
	json_t *doc = NULL, *v;
	int64_t hb = 0;

	ledger_query_init(&q);
	q.kinds = 1u << LEDGER_KIND_LEDGER;
	q.until_ms = to_ms;
	if (ledger_query_add_subject(&q, LEDGER_SUBJ_STATUS, "started",
	    NULL) == LEDGER_OK &&
	    ledger_store_query(s, &q, find_started, &seq, NULL) == LEDGER_OK &&
	    seq != UINT64_MAX &&
	    ledger_store_get_payload(s, seq, &p, &len, NULL) == LEDGER_OK &&
	    ledger_json_parse((const char *)p, len, &doc, NULL) == LEDGER_OK &&
	    json_is_number(v = json_object_get(doc, "heartbeat_interval_s")) &&
	    json_number_value(v) > 0 && json_number_value(v) < 1e9)
		hb = (int64_t)(json_number_value(v) * 1000);
	json_decref(doc);
	free(p);
	ledger_query_release(&q);
	return hb;
}

int64_t
ledger_gap_ms(struct ledger_store *s, int64_t to_ms, int64_t gap_s)
{
	int64_t hb;

	if (gap_s > 0)
		return 1000 * gap_s;
	hb = heartbeat_ms(s, to_ms);
	return 2 * (hb > 0 ? hb : 1000 * DEFAULT_HEARTBEAT_S);
}

/*
 * Scan [from, to) with t set up: the entry before the period opens the
 * first gap, the entry after it (or now, when the period reaches past
 * the log's end) closes the last, so a gap across either edge, or a
 * period with no entry at all, is reported.
 */
static enum ledger_status
scan_period(struct tl *t, int64_t from_ms, int64_t to_ms,
    struct ledger_error *err)
{
	struct ledger_query q;
	struct ledger_entry edge;
	enum ledger_status st;
	uint64_t lo, hi, size;
	int64_t now = ledger_now_ms(), end_ms;

	if ((st = ledger_store_seq_at_time(t->s, from_ms, &lo, err)) ||
	    (st = ledger_store_seq_at_time(t->s, to_ms, &hi, err)) ||
	    (st = ledger_store_size(t->s, &size, err)))
		return st;
	if (lo > 0 && (st = ledger_store_time_of(t->s, lo - 1, &t->prev_ms,
	    err)) == LEDGER_OK) {
		t->have_prev = true;
		t->prev_seq = lo - 1;
	} else if (lo > 0)
		return st;
	ledger_query_init(&q);
	q.since_ms = from_ms;
	q.until_ms = to_ms;
	st = ledger_store_query(t->s, &q, tl_row, t, err);
	ledger_query_release(&q);
	if (st != LEDGER_OK || !t->have_prev)
		return st;
	memset(&edge, 0, sizeof(edge));
	if (hi < size) {
		if ((st = ledger_store_time_of(t->s, hi, &edge.time_ms, err)))
			return st;
		edge.seq = hi;
		note_gap(t, &edge, true);
	} else if ((end_ms = now < to_ms ? now : to_ms) > t->prev_ms &&
	    end_ms > from_ms) {
		edge.time_ms = end_ms;	/* open: nothing recorded since */
		note_gap(t, &edge, false);
	}
	return LEDGER_OK;
}

/* Append what b holds (nothing when empty). */
static enum ledger_status
add(struct ledger_buf *out, const struct ledger_buf *b)
{
	return b->len > 0 ? ledger_buf_add(out, b->data, b->len) : LEDGER_OK;
}

/*
 * A filtered timeline reads what it lists through the lookup keys (the
 * environment's or service's entries), the ledger's own entries through
 * theirs, and finds the gaps by bisection: a quiet environment in a busy
 * log costs its own entries, not the log's.
 */
static int
own_row(void *ctx, const struct ledger_row *row)
{
	struct tl *t = ctx;
	struct ledger_buf *keep = t->out;
	int r;

	t->out = NULL;			/* summarize, list nothing */
	t->have_prev = false;		/* gaps: by bisection */
	r = tl_row(t, row);
	t->out = keep;
	return r;
}

static int
listed_row(void *ctx, const struct ledger_row *row)
{
	struct tl *t = ctx;

	if (row->e.kind == LEDGER_KIND_LEDGER)
		return 0;
	t->have_prev = false;
	return tl_row(t, row);
}

static enum ledger_status
filtered_period(struct tl *t, struct ledger_error *err)
{
	struct ledger_query q;
	enum ledger_status st;
	size_t ngaps = 0;

	ledger_query_init(&q);
	q.since_ms = t->o->from_ms;
	q.until_ms = t->o->to_ms;
	q.kinds = 1u << LEDGER_KIND_LEDGER;
	st = ledger_store_query(t->s, &q, own_row, t, err);
	q.kinds = 0;
	if (st == LEDGER_OK && t->o->environment != NULL)
		st = ledger_query_add_subject(&q, LEDGER_SUBJ_ENVIRONMENT,
		    t->o->environment, err);
	if (st == LEDGER_OK && t->o->service != NULL)
		st = ledger_query_add_subject(&q, LEDGER_SUBJ_SERVICE,
		    t->o->service, err);
	if (t->o->start_seq > 0 && t->o->start_seq <= INT64_MAX)
		q.after_seq = (int64_t)t->o->start_seq - 1;
	if (st == LEDGER_OK)
		st = ledger_store_query(t->s, &q, listed_row, t, err);
	ledger_query_release(&q);
	if (st == LEDGER_OK)
		st = ledger_gaps_json(t->s, t->o->from_ms, t->o->to_ms,
		    t->gap_ms, &t->gaps, &ngaps, err);
	t->ngaps = ngaps;
	return st;
}

enum ledger_status
ledger_timeline_json(struct ledger_store *s,
    const struct ledger_timeline_opts *o, struct ledger_buf *out,
    size_t *ret_n, struct ledger_error *err)
{
	struct ledger_buf entries = LEDGER_BUF_INIT;
	char t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX];
	struct tl t;
	enum ledger_status st;

	struct ledger_timeline_opts norm = *o;
	char *env = NULL, *svc = NULL;

	if (o->to_ms <= o->from_ms)
		return ledger_errorf(err, LEDGER_EINVAL, "the period ends "
		    "before it begins");
	if (o->from_ms <= 0)
		return ledger_errorf(err, LEDGER_EINVAL, "the period must "
		    "begin after 1970-01-01T00:00:00Z");
	/* Compared as ingest normalized them ("Production" is production). */
	if ((o->environment != NULL && (st = ledger_subject_normalize(
	    LEDGER_SUBJ_ENVIRONMENT, o->environment, strlen(o->environment),
	    &env, err)) != LEDGER_OK) || (o->service != NULL &&
	    (st = ledger_subject_normalize(LEDGER_SUBJ_SERVICE, o->service,
	    strlen(o->service), &svc, err)) != LEDGER_OK)) {
		free(env);
		return st;
	}
	norm.environment = env;
	norm.service = svc;
	o = &norm;
	memset(&t, 0, sizeof(t));
	t.s = s;
	t.o = o;
	t.out = &entries;
	t.gap_ms = ledger_gap_ms(s, o->to_ms, o->gap_s);
	st = o->environment != NULL || o->service != NULL ?
	    filtered_period(&t, err) : scan_period(&t, o->from_ms, o->to_ms,
	    err);
	if (st == LEDGER_OK && t.st != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (st == LEDGER_OK) {
		ledger_time_format(o->from_ms, t1);
		ledger_time_format(o->to_ms, t2);
		t.st |= ledger_buf_addf(out, "{\"from\":\"%s\",\"to\":\"%s\","
		    "\"entries\":[", t1, t2);
		t.st |= add(out, &entries);
		t.st |= ledger_buf_adds(out, "],\"ledger\":{\"started\":[");
		t.st |= add(out, &t.started);
		t.st |= ledger_buf_adds(out, "],\"stopping\":[");
		t.st |= add(out, &t.stopping);
		t.st |= ledger_buf_addf(out, "],\"heartbeats\":%zu},\"gaps\":[",
		    t.heartbeats);
		t.st |= add(out, &t.gaps);
		t.st |= ledger_buf_addf(out, "],\"gap_s\":%" PRId64
		    ",\"truncated\":%s", t.gap_ms / 1000,
		    t.truncated ? "true" : "false");
		if (t.truncated)
			t.st |= ledger_buf_addf(out, ",\"next_after\":%" PRIu64,
			    t.last_listed);
		t.st |= ledger_buf_addc(out, '}');
		if (t.st != LEDGER_OK)
			st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	if (ret_n != NULL)
		*ret_n = t.n;
	ledger_buf_release(&entries);
	ledger_buf_release(&t.started);
	ledger_buf_release(&t.stopping);
	ledger_buf_release(&t.gaps);
	free(env);
	free(svc);
	return st;
}

/*
 * The gaps between entries a < b (times ta <= tb), in order, by bisection:
 * entry times never decrease with seq, so when tb - ta is no longer than
 * the threshold no gap can be inside, and otherwise one is in one half or
 * the other.  A busy period costs a point read per threshold's worth of
 * time, not a read of every entry.
 */
static enum ledger_status
gaps_between(struct tl *t, uint64_t a, int64_t ta, uint64_t b, int64_t tb,
    struct ledger_error *err)
{
	struct ledger_entry e;
	enum ledger_status st;
	uint64_t mid;
	int64_t tm;

	if (tb - ta <= t->gap_ms)
		return LEDGER_OK;
	if (b == a + 1) {
		memset(&e, 0, sizeof(e));
		t->have_prev = true;
		t->prev_seq = a;
		t->prev_ms = ta;
		e.seq = b;
		e.time_ms = tb;
		note_gap(t, &e, true);
		return LEDGER_OK;
	}
	mid = a + (b - a) / 2;
	if ((st = ledger_store_time_of(t->s, mid, &tm, err)) ||
	    (st = gaps_between(t, a, ta, mid, tm, err)))
		return st;
	return gaps_between(t, mid, tm, b, tb, err);
}

enum ledger_status
ledger_gaps_json(struct ledger_store *s, int64_t from_ms, int64_t to_ms,
    int64_t gap_ms, struct ledger_buf *out, size_t *ret_n,
    struct ledger_error *err)
{
	struct ledger_timeline_opts o;
	struct ledger_entry edge;
	enum ledger_status st;
	uint64_t lo, hi, size, a, b;
	int64_t ta, tb, end_ms, now = ledger_now_ms();
	struct tl t;

	memset(&o, 0, sizeof(o));
	memset(&t, 0, sizeof(t));
	t.s = s;
	t.o = &o;
	t.gap_ms = gap_ms;
	if ((st = ledger_store_seq_at_time(s, from_ms, &lo, err)) ||
	    (st = ledger_store_seq_at_time(s, to_ms, &hi, err)) ||
	    (st = ledger_store_size(s, &size, err)))
		return st;
	/* from the entry before the period to the one after it */
	a = lo > 0 ? lo - 1 : lo;
	b = hi < size ? hi : hi - 1;
	if (size == 0 || a >= size)
		goto done;
	if ((st = ledger_store_time_of(s, a, &ta, err)))
		return st;
	if (b > a && ((st = ledger_store_time_of(s, b, &tb, err)) ||
	    (st = gaps_between(&t, a, ta, b, tb, err))))
		goto done;
	if (b <= a)
		tb = ta;
	/* nothing recorded since the last entry, up to now or to */
	if (hi == size && (end_ms = now < to_ms ? now : to_ms) > tb &&
	    end_ms > from_ms) {
		t.have_prev = true;
		t.prev_seq = b;
		t.prev_ms = tb;
		memset(&edge, 0, sizeof(edge));
		edge.time_ms = end_ms;
		note_gap(&t, &edge, false);
	}
done:
	if (st == LEDGER_OK && (t.st != LEDGER_OK || (t.gaps.len > 0 &&
	    ledger_buf_add(out, t.gaps.data, t.gaps.len) != LEDGER_OK)))
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	if (ret_n != NULL)
		*ret_n = t.ngaps;
	ledger_buf_release(&t.gaps);
	return st;
}
