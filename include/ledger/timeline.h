/*
 * ledger/timeline.h - periods, and what happened in one
 *
 * A period is given as a day (2026-09-14), a month (2026-09), a quarter
 * (2026Q3), an ISO week (2026-W38), all in UTC, or as two times (RFC 3339,
 * the second exclusive).  The timeline of a period is every entry the
 * ledger recorded in it (by the ledger's clock), in ledger order, and the
 * ledger's own record of itself: its restarts and the gaps in it (docs/
 * auditing.md, "Timelines").
 */
#ifndef LEDGER_TIMELINE_H
#define LEDGER_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger/buf.h"
#include "ledger/error.h"
#include "ledger/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most entries one timeline lists; past it the answer says "truncated". */
#define LEDGER_TIMELINE_MAX 100000

/* A period's [from, to) in ms since the epoch.  Errors: LEDGER_EINVAL,
 * naming the accepted forms. */
enum ledger_status ledger_period_parse(const char *s, int64_t *ret_from_ms,
    int64_t *ret_to_ms, struct ledger_error *err) LEDGER_WUR;

struct ledger_timeline_opts {
	int64_t from_ms, to_ms;		/* [from, to) by the ledger's clock */
	const char *environment;	/* NULL: any; else entries of it */
	const char *service;		/* NULL: any; else entries of it */
	int64_t gap_s;			/* a gap is longer than this; 0: twice
					   the heartbeat interval the newest
					   "started" entry names (600 s when
					   none does) */
	uint64_t start_seq;		/* paging: list entries of seq >= this */
	size_t limit;			/* paging: at most this many (0, or
					   more than LEDGER_TIMELINE_MAX:
					   LEDGER_TIMELINE_MAX) */
};

/*
 * The timeline as JSON into out:
 * {"from":T,"to":T,"entries":[{"seq","time","kind","source","event",
 *   "actor","status",...}],"ledger":{"started":[SEQ...],"stopping":[SEQ...],
 *   "heartbeats":N},"gaps":[{"after_seq","before_seq","from","to",
 *   "seconds"}],"gap_s":S,"truncated":BOOL}
 * A gap may begin before the period or end after it (its neighbours are
 * the entries around the period); one that lasts to the end of the log
 * has "before_seq":null,"open":true and ends at now (or at to).
 * A page (start_seq, limit) lists its entries; the ledger summary and the
 * gaps are always the whole period's.  When entries remain past the page,
 * "truncated" is true and "next_after" names the last seq listed: ask
 * again with start_seq = next_after + 1 (the API's after=next_after).
 * entries are every kind but `ledger` (whose entries are summarized in
 * "ledger"), filtered by environment and service when given; gaps are
 * measured over every entry, whatever the filter: a quiet service is not
 * a gap in the log.  *ret_n (may be NULL) gets the number of entries.
 * Errors: LEDGER_EINVAL (to <= from), LEDGER_EDB, LEDGER_ENOMEM.
 */
enum ledger_status ledger_timeline_json(struct ledger_store *s,
    const struct ledger_timeline_opts *o, struct ledger_buf *out,
    size_t *ret_n, struct ledger_error *err) LEDGER_WUR;

/* The gap threshold in ms: gap_s when > 0, else twice the heartbeat
 * interval the newest "started" entry before to_ms names (600 s when none
 * does). */
int64_t ledger_gap_ms(struct ledger_store *s, int64_t to_ms, int64_t gap_s);

/* The gaps longer than gap_ms that overlap [from, to), as the members of
 * a JSON array (the objects of ledger_timeline_json's "gaps", comma-
 * separated, no brackets) appended to out; *ret_n (may be NULL) gets
 * their number.  Errors: LEDGER_EDB, LEDGER_ENOMEM. */
enum ledger_status ledger_gaps_json(struct ledger_store *s, int64_t from_ms,
    int64_t to_ms, int64_t gap_ms, struct ledger_buf *out, size_t *ret_n,
    struct ledger_error *err) LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_TIMELINE_H */
