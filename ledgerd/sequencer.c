/*
 * sequencer.c - one thread owns the writer store and group-commits
 *
 * Request threads queue a pending event and wait (their connection is
 * suspended).  The sequencer takes everything queued, up to batch_max,
 * appends it as one transaction through lib's batch append, and only then
 * completes each request: a 2xx is never sent before COMMIT returned.
 * While one batch commits (an fsync), the next one accumulates, so the
 * batch size follows the load without any delay by default.
 *
 * The sequencer also signs checkpoints (after committed batches, at most
 * one per checkpoint_interval_ms) and, when the log has been idle for
 * heartbeat_interval_s, appends a `ledger` heartbeat entry, so that "no
 * events happened" can be told apart from "events were deleted".
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/tree.h"
#include "ledgerd.h"

/* What reload may change.  Strings owned. */
struct seq_opts {
	unsigned checkpoint_interval_ms;
	unsigned heartbeat_interval_s;
	char *export_file;
	char *export_dir;
};

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
	/* checkpoints and heartbeats: replaced whole under mu on reload;
	 * the sequencer thread works on a copy taken under mu */
	struct seq_opts opts;
	bool dirty;			/* appended since the last checkpoint */
	int64_t last_cp_ms, last_append_ms;
	char refusal[512];
	atomic_bool refusing;
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

static void
opts_release(struct seq_opts *o)
{
	free(o->export_file);
	free(o->export_dir);
	memset(o, 0, sizeof(*o));
}

/* A deep copy of from; false (and *to empty) when out of memory. */
static bool
opts_copy(struct seq_opts *to, const struct seq_opts *from)
{
	*to = *from;
	to->export_file = from->export_file ? strdup(from->export_file) : NULL;
	to->export_dir = from->export_dir ? strdup(from->export_dir) : NULL;
	if ((from->export_file && !to->export_file) ||
	    (from->export_dir && !to->export_dir)) {
		opts_release(to);
		return false;
	}
	return true;
}

/* The options now, for the sequencer thread: copied under the lock, so a
 * reload that frees the old strings cannot pull them from under it. */
static bool
opts_now(struct seq_opts *o)
{
	bool ok;

	pthread_mutex_lock(&S.mu);
	ok = opts_copy(o, &S.opts);
	pthread_mutex_unlock(&S.mu);
	return ok;
}

void
seq_set_config(const struct config *c)
{
	struct seq_opts next = {
		c->checkpoint_interval_ms, c->heartbeat_interval_s,
		c->export_file, c->export_dir,
	}, copy, old;

	if (!opts_copy(&copy, &next)) {
		log_error("reload: out of memory; keeping the sequencer's "
		    "options");
		return;
	}
	pthread_mutex_lock(&S.mu);
	S.batch_max = c->batch_max;
	S.batch_delay_ms = c->batch_delay_ms;
	S.queue_max = c->queue_max;
	old = S.opts;
	S.opts = copy;
	pthread_cond_signal(&S.cv);
	pthread_mutex_unlock(&S.mu);
	opts_release(&old);
}

void
seq_refuse_writes(const char *reason)
{
	pthread_mutex_lock(&S.mu);
	snprintf(S.refusal, sizeof(S.refusal), "%s", reason);
	atomic_store(&S.refusing, true);
	pthread_mutex_unlock(&S.mu);
}

const char *
seq_refusal(void)
{
	return atomic_load(&S.refusing) ? S.refusal : NULL;
}

bool
seq_submit(struct pending *p)
{
	pthread_mutex_lock(&S.mu);
	if (S.stop || !S.running || S.len >= S.queue_max ||
	    atomic_load(&S.refusing)) {
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
	p.evs = &ev;
	p.nev = 1;
	p.receipts = r;
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

/* Append one batch (the events of n pendings, in order, one transaction);
 * on EINVAL (one bad event spoils the batch) retry each pending alone so
 * the others are not refused with it.  A pending's own events stay
 * together: all or nothing. */
static void
commit(struct pending **batch, size_t n)
{
	static struct ledger_event *evs[LEDGER_BATCH_MAX];
	static struct ledger_receipt rs[LEDGER_BATCH_MAX];
	struct ledger_error err;
	enum ledger_status st;
	size_t i, k, total = 0, fresh = 0;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		for (k = 0; k < batch[i]->nev; k++)
			evs[total++] = batch[i]->evs[k];
	st = ledger_store_append(S.w, evs, total, rs, &err);
	/* One bad or conflicting event spoils the batch: retry each
	 * request alone, so only its own sender is refused. */
	if ((st == LEDGER_EINVAL || st == LEDGER_EEXIST) && n > 1) {
		for (i = 0; i < n; i++)
			commit(&batch[i], 1);
		return;
	}
	if (st == LEDGER_OK) {
		for (i = 0, total = 0; i < n; i++)
			for (k = 0; k < batch[i]->nev; k++, total++) {
				batch[i]->receipts[k] = rs[total];
				fresh += !rs[total].duplicate;
				if (!rs[total].duplicate)
					atomic_store(&S.size, rs[total].seq + 1);
			}
		if (fresh > 0) {
			S.dirty = true;
			S.last_append_ms = ledger_now_ms();
		}
		if (!atomic_exchange(&S.healthy, true))
			log_info("storage recovered size=%llu",
			    (unsigned long long)atomic_load(&S.size));
		metrics_batch(total, fresh);
		metrics_set_log_size(atomic_load(&S.size));
	} else {
		if (st != LEDGER_EINVAL && st != LEDGER_EEXIST) {
			metrics_storage_failure();
			atomic_store(&S.healthy, false);
		}
		log_error("append failed events=%zu error=\"%s\"", total,
		    err.msg);
	}
	for (i = 0; i < n; i++) {
		batch[i]->st = st;
		if (st != LEDGER_OK)
			snprintf(batch[i]->msg, sizeof(batch[i]->msg), "%s",
			    err.msg);
		batch[i]->done(batch[i]);
	}
}

/* Sign a checkpoint of the current size and copy it off the box.  A
 * tree that contradicts the last checkpoint stops all writes. */
static void
checkpoint(void)
{
	struct ledger_signed_checkpoint cp;
	struct ledger_error err;
	bool made = false, ok;

	S.last_cp_ms = ledger_now_ms();
	if (ledger_store_checkpoint(S.w, &cp, &made, &err) != LEDGER_OK) {
		log_error("checkpoint failed error=\"%s\"", err.msg);
		if (err.code == LEDGER_ECHAIN) {
			char reason[300];

			snprintf(reason, sizeof(reason), "refusing writes: %s",
			    err.msg);
			seq_refuse_writes(reason);
		} else
			metrics_storage_failure();
		return;
	}
	S.dirty = false;
	if (made) {
		struct seq_opts o;
		struct config c;

		memset(&c, 0, sizeof(c));
		if ((ok = opts_now(&o))) {
			c.export_file = o.export_file;
			c.export_dir = o.export_dir;
			ok = export_checkpoint(&c, cp.size, cp.note,
			    cp.note_len);
			opts_release(&o);
		} else
			log_error("checkpoint export skipped size=%llu: out of "
			    "memory", (unsigned long long)cp.size);
		metrics_checkpoint(cp.size, ok);
		log_debug("checkpoint size=%llu", (unsigned long long)cp.size);
	}
	ledger_signed_checkpoint_release(&cp);
}

/* The log has been idle: record that in the log itself. */
static void
heartbeat(void)
{
	struct ledger_event *ev = daemon_event("heartbeat", NULL);
	struct ledger_receipt r;
	struct ledger_error err;

	S.last_append_ms = ledger_now_ms();
	if (ev == NULL)
		return;
	if (ledger_store_append(S.w, &ev, 1, &r, &err) != LEDGER_OK) {
		log_error("heartbeat failed error=\"%s\"", err.msg);
		metrics_storage_failure();
	} else {
		S.dirty = true;
		atomic_store(&S.size, r.seq + 1);
		metrics_batch(1, 1);
		metrics_set_log_size(r.seq + 1);
	}
	ledger_event_free(ev);
}

/* Called without the lock held.  Returns ms until something is due. */
static int64_t
maintain(void)
{
	int64_t now = ledger_now_ms(), due = 60000, t;
	unsigned hb, cpi;

	if (atomic_load(&S.refusing))
		return due;
	/* Unhealthy since a write failed: probe once a second rather than
	 * wait for a client's write to find out. */
	if (!atomic_load(&S.healthy)) {
		struct ledger_error err;

		if (ledger_store_probe(S.w, &err) == LEDGER_OK) {
			atomic_store(&S.healthy, true);
			log_info("storage recovered (probe)");
		} else
			due = 1000;
	}
	pthread_mutex_lock(&S.mu);
	hb = S.opts.heartbeat_interval_s;
	cpi = S.opts.checkpoint_interval_ms;
	pthread_mutex_unlock(&S.mu);
	if (hb > 0) {
		t = S.last_append_ms + (int64_t)hb * 1000 - now;
		if (t <= 0) {
			heartbeat();
			t = (int64_t)hb * 1000;
		}
		if (t < due)
			due = t;
	}
	if (S.dirty) {
		t = S.last_cp_ms + cpi - now;
		if (t <= 0) {
			checkpoint();
			t = S.dirty ? cpi : due;
		}
		if (t < due)
			due = t;
	}
	return due > 0 ? due : 1;
}

static void *
run(void *arg)
{
	struct pending *batch[LEDGER_BATCH_MAX], *p;
	struct timespec ts;
	size_t n, nev;
	unsigned cpi;

	(void)arg;
	pthread_mutex_lock(&S.mu);
	for (;;) {
		while (S.head == NULL && !S.stop) {
			int64_t due;

			pthread_mutex_unlock(&S.mu);
			due = maintain();
			pthread_mutex_lock(&S.mu);
			if (S.head != NULL || S.stop)
				break;
			clock_gettime(CLOCK_REALTIME, &ts);
			add_ms(&ts, (unsigned)due);
			pthread_cond_timedwait(&S.cv, &S.mu, &ts);
		}
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
		/* Take pendings while their events fit in one batch. */
		for (n = 0, nev = 0; (p = S.head) != NULL && (n == 0 ||
		    (nev + p->nev <= S.batch_max &&
		    nev + p->nev <= LEDGER_BATCH_MAX)); n++) {
			S.head = p->next;
			if (S.head == NULL)
				S.tail = NULL;
			S.len--;
			batch[n] = p;
			nev += p->nev;
		}
		metrics_set_queue(S.len);
		pthread_mutex_unlock(&S.mu);
		commit(batch, n);
		pthread_mutex_lock(&S.mu);
		cpi = S.opts.checkpoint_interval_ms;
		pthread_mutex_unlock(&S.mu);
		if (S.dirty && ledger_now_ms() - S.last_cp_ms >= cpi)
			checkpoint();
		pthread_mutex_lock(&S.mu);
	}
	pthread_mutex_unlock(&S.mu);
	/* The last word: a checkpoint of everything committed. */
	if (S.dirty && !atomic_load(&S.refusing))
		checkpoint();
	return NULL;
}

int
seq_start(struct ledger_store *w, const struct config *c)
{
	uint64_t size = 0;

	S.w = w;
	S.stop = false;
	seq_set_config(c);
	S.last_append_ms = ledger_now_ms();
	S.last_cp_ms = 0;
	/* Nothing is signed until something is appended: the first append
	 * is "started", once ledgerd listens, so a start that fails signs
	 * nothing and appends nothing. */
	S.dirty = false;
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
	opts_release(&S.opts);
	pthread_mutex_unlock(&S.mu);
}
