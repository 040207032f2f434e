/*
 * selfverify.c - a daemon that watches its own log.  One thread, at low
 * priority and on one core, on its own read-only handles:
 *
 *  - the tail: every self_verify_tail_ms it checks what was appended
 *    since its last look (ledger_tail_step: entry bytes, links,
 *    signatures, key history, columns, each new checkpoint), so an entry
 *    or checkpoint edited seconds after it was committed is found seconds
 *    later; it starts from seq 0, self_verify_tail_max entries a look (a
 *    budget: past it, under a burst, it falls behind and catches up
 *    after; ledgerd_self_verify_tail_entries against ledgerd_log_size
 *    shows how far);
 *  - the whole log (ledger_verify_store: also every payload, stored tree
 *    hash and lookup term) every self_verify_interval_s.
 *
 * The results are in /metrics; a problem is logged loudly, recorded in
 * the log itself (while it can still be written) and turns /readyz red.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ledger/verify.h"
#include "ledgerd.h"

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, running;
	pthread_t thread;
	char *dir;
	unsigned interval_s;
	unsigned tail_ms;		/* 0: no tail */
	unsigned tail_max;		/* entries a look, at most */
	struct ledger_store *tail_s;	/* the tail's handle (its keys) */
	struct ledger_tail *tail;
	_Atomic int64_t last_ok_ms;
	atomic_uint_fast64_t runs, entries, problems, first_bad;
	atomic_uint_fast64_t tail_next, tail_problems;
	atomic_bool bad, tail_bad;
} sv = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

/* Found: log it loudly, and record it in the log once per finding. */
static void
alarm_found(const char *what, uint64_t problems, uint64_t first_bad,
    uint64_t entries, bool was_bad)
{
	log_error("SELF-VERIFY FAILED (%s): %" PRIu64 " problem%s in %" PRIu64
	    " entries, the first at seq %" PRIu64 ": the log was changed "
	    "behind ledgerd's back (run ledgerctl verify)", what, problems,
	    problems == 1 ? "" : "s", entries, first_bad);
	if (!was_bad)
		(void)record("self-verify-failed", json_pack("{s:s,s:I,s:I,s:I}",
		    "check", what, "problems", (json_int_t)problems,
		    "first_bad_seq", (json_int_t)first_bad, "entries",
		    (json_int_t)entries));
}

static void
tail_problem(void *ctx, uint64_t seq, enum ledger_problem p,
    const char *detail)
{
	char safe[300];

	(void)ctx;
	log_error("self-verify tail: seq %" PRIu64 " %s: %s", seq,
	    ledger_problem_name(p), log_safe(detail, safe, sizeof(safe)));
}

static void
tail_look(void)
{
	struct ledger_verify_report rep;
	struct ledger_error err;
	uint64_t n;
	bool was_bad = atomic_load(&sv.bad) || atomic_load(&sv.tail_bad);

	if (sv.tail == NULL) {
		if ((sv.tail_s == NULL && ledger_store_open(sv.dir,
		    LEDGER_STORE_READONLY, &sv.tail_s, &err) != LEDGER_OK) ||
		    ledger_tail_new(sv.tail_s, NULL, tail_problem, NULL,
		    &sv.tail, &err) != LEDGER_OK) {
			log_warn("self-verify tail: %s", err.msg);
			return;
		}
	}
	if (ledger_tail_step(sv.tail, sv.tail_s, sv.tail_max, &n, &rep,
	    &err) != LEDGER_OK) {
		log_warn("self-verify tail: could not check: %s", err.msg);
		return;
	}
	atomic_store(&sv.tail_next, ledger_tail_next(sv.tail));
	if (rep.problems == atomic_load(&sv.tail_problems))
		return;
	atomic_store(&sv.tail_problems, rep.problems);
	atomic_store(&sv.first_bad, rep.first_bad_seq);
	atomic_store(&sv.tail_bad, true);
	alarm_found("tail", rep.problems, rep.first_bad_seq,
	    ledger_tail_next(sv.tail), was_bad);
}

static void
one_pass(void)
{
	struct ledger_verify_opts o = { NULL, 0, 1, 0, NULL, NULL };
	struct ledger_verify_report rep;
	struct ledger_store *s;
	struct ledger_error err;
	bool was_bad = atomic_load(&sv.bad) || atomic_load(&sv.tail_bad);

	if (ledger_store_open(sv.dir, LEDGER_STORE_READONLY, &s, &err) !=
	    LEDGER_OK) {
		log_warn("self-verify: open: %s", err.msg);
		return;
	}
	if (ledger_verify_store(s, &o, NULL, NULL, &rep, &err) != LEDGER_OK) {
		log_warn("self-verify: could not check: %s", err.msg);
		ledger_store_close(s);
		return;
	}
	ledger_store_close(s);
	atomic_fetch_add(&sv.runs, 1);
	atomic_store(&sv.entries, rep.entries);
	atomic_store(&sv.problems, rep.problems);
	if (rep.problems == 0) {
		atomic_store(&sv.last_ok_ms, ledger_now_ms());
		atomic_store(&sv.bad, false);
		log_debug("self-verify: intact entries=%" PRIu64, rep.entries);
		return;
	}
	atomic_store(&sv.first_bad, rep.first_bad_seq);
	atomic_store(&sv.bad, true);
	alarm_found("whole log", rep.problems, rep.first_bad_seq, rep.entries,
	    was_bad);
}

/* Sleep until ms from now or a stop; false when stopping. */
static bool
nap(unsigned ms)
{
	struct timespec ts;
	bool go;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&sv.mu);
	while (!sv.stop && pthread_cond_timedwait(&sv.cv, &sv.mu, &ts) == 0)
		;
	go = !sv.stop;
	pthread_mutex_unlock(&sv.mu);
	return go;
}

static void *
run(void *arg)
{
	int64_t next_whole;

	(void)arg;
	/* below ingest: this thread only */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	next_whole = sv.interval_s > 0 ? ledger_now_ms() +
	    (int64_t)sv.interval_s * 1000 : INT64_MAX;
	while (nap(sv.tail_ms > 0 ? sv.tail_ms : sv.interval_s * 1000)) {
		if (sv.tail_ms > 0)
			tail_look();
		if (ledger_now_ms() >= next_whole) {
			one_pass();
			next_whole = ledger_now_ms() +
			    (int64_t)sv.interval_s * 1000;
		}
	}
	ledger_tail_free(sv.tail);
	sv.tail = NULL;
	ledger_store_close(sv.tail_s);
	sv.tail_s = NULL;
	return NULL;
}

int
selfverify_start(const struct config *c)
{
	if (c->self_verify_interval_s == 0 && c->self_verify_tail_ms == 0)
		return 0;
	sv.interval_s = c->self_verify_interval_s;
	sv.tail_ms = c->self_verify_tail_ms;
	sv.tail_max = c->self_verify_tail_max;
	if ((sv.dir = strdup(c->data_dir)) == NULL ||
	    pthread_create(&sv.thread, NULL, run, NULL) != 0) {
		log_error("self-verify: cannot start its thread");
		return -1;
	}
	sv.running = true;
	return 0;
}

void
selfverify_stop(void)
{
	if (!sv.running)
		return;
	pthread_mutex_lock(&sv.mu);
	sv.stop = true;
	pthread_cond_signal(&sv.cv);
	pthread_mutex_unlock(&sv.mu);
	pthread_join(sv.thread, NULL);
	sv.running = false;
	free(sv.dir);
	sv.dir = NULL;
}

bool
selfverify_failed(uint64_t *first_bad)
{
	*first_bad = atomic_load(&sv.first_bad);
	return atomic_load(&sv.bad) || atomic_load(&sv.tail_bad);
}

int
selfverify_metrics(struct ledger_buf *b)
{
	if (!sv.running)
		return 0;
	return ledger_buf_addf(b,
	    "# HELP ledgerd_self_verify_runs_total Whole-log verifications "
	    "ledgerd ran on its own log.\n"
	    "# TYPE ledgerd_self_verify_runs_total counter\n"
	    "ledgerd_self_verify_runs_total %llu\n"
	    "# HELP ledgerd_self_verify_last_success_seconds When the last "
	    "one found the log intact (Unix time; 0: never).\n"
	    "# TYPE ledgerd_self_verify_last_success_seconds gauge\n"
	    "ledgerd_self_verify_last_success_seconds %.3f\n"
	    "# HELP ledgerd_self_verify_entries Entries the last one checked.\n"
	    "# TYPE ledgerd_self_verify_entries gauge\n"
	    "ledgerd_self_verify_entries %llu\n"
	    "# HELP ledgerd_self_verify_problems Problems the last whole-log "
	    "verification found, plus those the tail found (tamper "
	    "evidence).\n"
	    "# TYPE ledgerd_self_verify_problems gauge\n"
	    "ledgerd_self_verify_problems %llu\n"
	    "# HELP ledgerd_self_verify_tail_entries Entries the tail has "
	    "checked since ledgerd started (every seq below it).\n"
	    "# TYPE ledgerd_self_verify_tail_entries gauge\n"
	    "ledgerd_self_verify_tail_entries %llu\n",
	    (unsigned long long)atomic_load(&sv.runs),
	    (double)atomic_load(&sv.last_ok_ms) / 1000.0,
	    (unsigned long long)atomic_load(&sv.entries),
	    (unsigned long long)(atomic_load(&sv.problems) +
	    atomic_load(&sv.tail_problems)),
	    (unsigned long long)atomic_load(&sv.tail_next));
}
