/*
 * selfverify.c - a daemon that watches its own log: a thread verifies the
 * whole log (ledger_verify_store: every hash, link, signature, payload,
 * index, tree and checkpoint) every self_verify_interval_s, at low
 * priority and on one core, on its own read-only handle.  The result is
 * in /metrics; a problem is logged loudly, recorded in the log itself
 * (while it can still be written) and turns /readyz red.
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
	_Atomic int64_t last_ok_ms;
	atomic_uint_fast64_t runs, entries, problems, first_bad;
	atomic_bool bad;
} sv = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

static void
one_pass(void)
{
	struct ledger_verify_opts o = { NULL, 0, 1, 0, NULL, NULL };
	struct ledger_verify_report rep;
	struct ledger_store *s;
	struct ledger_error err;
	bool was_bad = atomic_load(&sv.bad);

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
	log_error("SELF-VERIFY FAILED: %" PRIu64 " problem%s in %" PRIu64
	    " entries, the first at seq %" PRIu64 ": the log was changed "
	    "behind ledgerd's back (run ledgerctl verify)", rep.problems,
	    rep.problems == 1 ? "" : "s", rep.entries, rep.first_bad_seq);
	if (!was_bad)	/* once per finding, in the log itself */
		(void)record("self-verify-failed", json_pack("{s:I,s:I,s:I}",
		    "problems", (json_int_t)rep.problems, "first_bad_seq",
		    (json_int_t)rep.first_bad_seq, "entries",
		    (json_int_t)rep.entries));
}

static void *
run(void *arg)
{
	struct timespec ts;

	(void)arg;
	/* below ingest: this thread only */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	pthread_mutex_lock(&sv.mu);
	while (!sv.stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += sv.interval_s;
		while (!sv.stop && pthread_cond_timedwait(&sv.cv, &sv.mu, &ts) ==
		    0)
			;
		if (sv.stop)
			break;
		pthread_mutex_unlock(&sv.mu);
		one_pass();
		pthread_mutex_lock(&sv.mu);
	}
	pthread_mutex_unlock(&sv.mu);
	return NULL;
}

int
selfverify_start(const struct config *c)
{
	if (c->self_verify_interval_s == 0)
		return 0;
	sv.interval_s = c->self_verify_interval_s;
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
	return atomic_load(&sv.bad);
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
	    "# HELP ledgerd_self_verify_problems Problems the last one found "
	    "(tamper evidence).\n"
	    "# TYPE ledgerd_self_verify_problems gauge\n"
	    "ledgerd_self_verify_problems %llu\n",
	    (unsigned long long)atomic_load(&sv.runs),
	    (double)atomic_load(&sv.last_ok_ms) / 1000.0,
	    (unsigned long long)atomic_load(&sv.entries),
	    (unsigned long long)atomic_load(&sv.problems));
}
