/*
 * sequencer.c - one thread owns the writer store and group-commits
 *
 * Request threads queue a pending event and wait (their connection is
 * suspended).  The sequencer takes everything queued, up to batch_max,
 * appends it as one transaction through lib's batch append, and only then
 * completes each request: a 2xx is never sent before COMMIT returned.
 * While one batch commits (an fsync), the next one accumulates, so the
 * batch size follows the load without any delay by default.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledgerd.h"

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* work queued, or stop */
	pthread_cond_t done_cv;		/* a waited-for pending finished */
	struct pending *head, *tail;
	size_t len;
	bool stop;
	bool running;
	unsigned batch_max, batch_delay_ms, queue_max;
	struct ledger_store *w;
	pthread_t thread;
	atomic_bool healthy;
	_Atomic uint64_t size;
} S = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
	.done_cv = PTHREAD_COND_INITIALIZER,
};

bool
seq_healthy(void)
{
	return atomic_load(&S.healthy);
}

uint64_t
seq_log_size(void)
{
	return atomic_load(&S.size);
}

void
seq_set_config(const struct config *c)
{
	pthread_mutex_lock(&S.mu);
	S.batch_max = c->batch_max;
	S.batch_delay_ms = c->batch_delay_ms;
	S.queue_max = c->queue_max;
	pthread_mutex_unlock(&S.mu);
}

bool
seq_submit(struct pending *p)
{
	pthread_mutex_lock(&S.mu);
	if (S.stop || !S.running || S.len >= S.queue_max) {
		pthread_mutex_unlock(&S.mu);
		return false;
	}
	p->next = NULL;
	if (S.tail != NULL)
		S.tail->next = p;
	else
		S.head = p;
	S.tail = p;
	S.len++;
	metrics_set_queue(S.len);
	pthread_cond_signal(&S.cv);
	pthread_mutex_unlock(&S.mu);
	return true;
}

static void
wake_waiter(struct pending *p)
{
	pthread_mutex_lock(&S.mu);
	p->finished = true;
	pthread_cond_broadcast(&S.done_cv);
	pthread_mutex_unlock(&S.mu);
}

enum ledger_status
seq_submit_wait(struct ledger_event *ev, struct ledger_receipt *r,
    struct ledger_error *err)
{
	struct pending p;

	memset(&p, 0, sizeof(p));
	p.ev = ev;
	p.done = wake_waiter;
	if (!seq_submit(&p))
		return ledger_errorf(err, LEDGER_EDB, "sequencer is not "
		    "accepting events (stopping or queue full)");
	pthread_mutex_lock(&S.mu);
	while (!p.finished)
		pthread_cond_wait(&S.done_cv, &S.mu);
	pthread_mutex_unlock(&S.mu);
	if (p.st != LEDGER_OK)
		return ledger_errorf(err, p.st, "%s", p.msg);
	*r = p.receipt;
	return LEDGER_OK;
}

static void
add_ms(struct timespec *ts, unsigned ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Append one batch; on EINVAL (one bad event spoils the batch) retry each
 * event alone so the others are not refused with it. */
static void
commit(struct pending **batch, size_t n)
{
	struct ledger_event *evs[LEDGER_BATCH_MAX];
	struct ledger_receipt rs[LEDGER_BATCH_MAX];
	struct ledger_error err;
	enum ledger_status st;
	size_t i, fresh = 0;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		evs[i] = batch[i]->ev;
	st = ledger_store_append(S.w, evs, n, rs, &err);
	if (st == LEDGER_EINVAL && n > 1) {
		for (i = 0; i < n; i++)
			commit(&batch[i], 1);
		return;
	}
	if (st == LEDGER_OK) {
		for (i = 0; i < n; i++) {
			batch[i]->receipt = rs[i];
			fresh += !rs[i].duplicate;
			if (!rs[i].duplicate)
				atomic_store(&S.size, rs[i].seq + 1);
		}
		if (!atomic_exchange(&S.healthy, true))
			log_info("storage recovered size=%llu",
			    (unsigned long long)atomic_load(&S.size));
		metrics_batch(n, fresh);
		metrics_set_log_size(atomic_load(&S.size));
	} else {
		metrics_storage_failure();
		if (st != LEDGER_EINVAL)
			atomic_store(&S.healthy, false);
		log_error("append failed events=%zu error=\"%s\"", n, err.msg);
	}
	for (i = 0; i < n; i++) {
		batch[i]->st = st;
		if (st != LEDGER_OK)
			snprintf(batch[i]->msg, sizeof(batch[i]->msg), "%s",
			    err.msg);
		batch[i]->done(batch[i]);
	}
}

static void *
run(void *arg)
{
	struct pending *batch[LEDGER_BATCH_MAX], *p;
	struct timespec ts;
	size_t n;

	(void)arg;
	pthread_mutex_lock(&S.mu);
	for (;;) {
		while (S.head == NULL && !S.stop)
			pthread_cond_wait(&S.cv, &S.mu);
		if (S.head == NULL && S.stop)
			break;
		if (S.batch_delay_ms > 0 && S.len < S.batch_max && !S.stop) {
			clock_gettime(CLOCK_REALTIME, &ts);
			add_ms(&ts, S.batch_delay_ms);
			while (S.len < S.batch_max && !S.stop &&
			    pthread_cond_timedwait(&S.cv, &S.mu, &ts) !=
			    ETIMEDOUT)
				;
		}
		for (n = 0; n < S.batch_max && n < LEDGER_BATCH_MAX &&
		    (p = S.head) != NULL; n++) {
			S.head = p->next;
			if (S.head == NULL)
				S.tail = NULL;
			S.len--;
			batch[n] = p;
		}
		metrics_set_queue(S.len);
		pthread_mutex_unlock(&S.mu);
		commit(batch, n);
		pthread_mutex_lock(&S.mu);
	}
	pthread_mutex_unlock(&S.mu);
	return NULL;
}

int
seq_start(struct ledger_store *w, const struct config *c)
{
	uint64_t size = 0;

	S.w = w;
	S.stop = false;
	seq_set_config(c);
	if (ledger_store_size(w, &size, NULL) != LEDGER_OK)
		size = 0;
	atomic_store(&S.size, size);
	atomic_store(&S.healthy, true);
	metrics_set_log_size(size);
	if (pthread_create(&S.thread, NULL, run, NULL) != 0) {
		log_error("start sequencer: cannot create thread");
		return -1;
	}
	pthread_mutex_lock(&S.mu);
	S.running = true;
	pthread_mutex_unlock(&S.mu);
	return 0;
}

void
seq_stop(void)
{
	pthread_mutex_lock(&S.mu);
	if (!S.running) {
		pthread_mutex_unlock(&S.mu);
		return;
	}
	S.stop = true;
	pthread_cond_broadcast(&S.cv);
	pthread_mutex_unlock(&S.mu);
	pthread_join(S.thread, NULL);
	pthread_mutex_lock(&S.mu);
	S.running = false;
	pthread_mutex_unlock(&S.mu);
}
