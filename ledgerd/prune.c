/*
 * prune.c - the daemon's retention schedule: payloads older than
 * "retention": {"payload_days"} are pruned (lib/retention.c) a short
 * transaction per 200 ms tick on the maintenance handle, so ingest waits
 * for at most one step; the record of each prune goes through the
 * sequencer like any entry, and is durable before anything is deleted.
 */
#include <inttypes.h>
#include <string.h>

#include "ledger/retention.h"
#include "ledgerd.h"

#define FIRST_CHECK_MS 10000	/* after start: let ingest settle first */
#define VACUUM_PAGES 1024	/* pages given back per tick */
#define MAX_FAILURES 10		/* steps in a row before giving up a round */

static struct {
	int64_t next_check_ms;
	bool active;
	struct ledger_prune_plan plan;
	uint64_t record_seq;
	unsigned failures;
	int64_t started_ms;
} pr;

static void
begin(struct ledger_store *maint, const struct config *c, int64_t now)
{
	struct ledger_receipt r;
	struct ledger_error err;
	enum ledger_status st;

	st = ledger_prune_plan(maint, UINT64_MAX, now - (int64_t)
	    c->retention_age_s * 1000, "ledgerd", "internal", &pr.plan, &err);
	if (st == LEDGER_ENOTFOUND) {
		log_debug("prune: %s", err.msg);
		return;
	}
	if (st != LEDGER_OK) {
		log_warn("prune: %s", err.msg);
		return;
	}
	if (pr.plan.record != NULL) {
		if (seq_submit_wait(pr.plan.record, &r, &err) != LEDGER_OK) {
			log_warn("prune: record not appended: %s", err.msg);
			ledger_prune_plan_release(&pr.plan);
			return;
		}
		pr.record_seq = r.seq;
	} else
		pr.record_seq = pr.plan.record_seq;
	pr.active = true;
	pr.failures = 0;
	pr.started_ms = now;
	log_info("prune started before_seq=%" PRIu64 " record_seq=%" PRIu64,
	    pr.plan.before_seq, pr.record_seq);
}

static void
finish(struct ledger_store *maint, int64_t now)
{
	struct ledger_error err;
	uint64_t free_bytes = 0;
	bool incremental = false;

	if (ledger_store_vacuum(maint, VACUUM_PAGES, false, &free_bytes,
	    &incremental, &err) != LEDGER_OK)
		log_warn("prune: vacuum: %s", err.msg);
	else if (incremental && free_bytes > 0)
		return;		/* more pages to give back next tick */
	if (pr.plan.deleted > 0 || pr.plan.kept > 0)
		log_info("pruned payloads=%" PRIu64 " bytes=%" PRIu64
		    " kept_by_holds=%" PRIu64 " before_seq=%" PRIu64
		    " record_seq=%" PRIu64 " free_bytes=%" PRIu64 " ms=%lld",
		    pr.plan.deleted, pr.plan.bytes, pr.plan.kept,
		    pr.plan.before_seq, pr.record_seq, free_bytes,
		    (long long)(now - pr.started_ms));
	metrics_pruned(pr.plan.deleted);
	ledger_prune_plan_release(&pr.plan);
	pr.active = false;
}

void
prune_tick(struct ledger_store *maint, const struct config *c)
{
	struct ledger_error err;
	int64_t now = ledger_now_ms();

	if (!pr.active) {
		if (c->retention_age_s == 0 || !seq_healthy())
			return;
		if (pr.next_check_ms == 0)
			pr.next_check_ms = now + (c->retention_check_s * 1000 <
			    FIRST_CHECK_MS ? c->retention_check_s * 1000 :
			    FIRST_CHECK_MS);
		if (now < pr.next_check_ms)
			return;
		pr.next_check_ms = now + (int64_t)c->retention_check_s * 1000;
		begin(maint, c, now);
		return;
	}
	if (pr.plan.done) {
		finish(maint, now);
		return;
	}
	if (ledger_prune_step(maint, &pr.plan, pr.record_seq,
	    c->retention_step, &err) == LEDGER_OK) {
		pr.failures = 0;
		return;
	}
	log_warn("prune step: %s", err.msg);
	if (++pr.failures >= MAX_FAILURES) {
		log_error("prune: %u steps failed in a row; giving up until "
		    "the next check (the record at seq %" PRIu64 " stands; "
		    "deleted so far %" PRIu64 ")", pr.failures, pr.record_seq,
		    pr.plan.deleted);
		ledger_prune_plan_release(&pr.plan);
		pr.active = false;
	}
}
