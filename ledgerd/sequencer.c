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
#include "ledger/keyhist.h"
#include "ledgerd.h"

/* What reload may change.  Strings owned. */
struct seq_opts {
	unsigned checkpoint_interval_ms;
	unsigned heartbeat_interval_s;
	unsigned key_overlap_s;
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
	_Atomic int64_t uncovered_since;	/* first such append, or 0 */
	int64_t last_cp_ms, last_append_ms;
	char refusal[512];
	atomic_bool refusing;
} sq = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
	.done_cv = PTHREAD_COND_INITIALIZER,
};

/* Something was appended that no checkpoint covers yet. */
static void
mark_dirty(void)
{
	int64_t zero = 0;

	sq.dirty = true;
	atomic_compare_exchange_strong(&sq.uncovered_since, &zero,
	    ledger_now_ms());
}

int64_t
seq_uncovered_ms(void)
{
	int64_t t = atomic_load(&sq.uncovered_since);

	return t == 0 ? 0 : ledger_now_ms() - t;
}

bool
seq_healthy(void)
{
	return atomic_load(&sq.healthy);
}

uint64_t
seq_log_size(void)
{
	return atomic_load(&sq.size);
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

	pthread_mutex_lock(&sq.mu);
	ok = opts_copy(o, &sq.opts);
	pthread_mutex_unlock(&sq.mu);
	return ok;
}

void
seq_set_config(const struct config *c)
{
	struct seq_opts next = {
		c->checkpoint_interval_ms, c->heartbeat_interval_s,
		c->key_overlap_s, c->export_file, c->export_dir,
	}, copy, old;

	if (!opts_copy(&copy, &next)) {
		log_error("reload: out of memory; keeping the sequencer's "
		    "options");
		return;
	}
	pthread_mutex_lock(&sq.mu);
	sq.batch_max = c->batch_max;
	sq.batch_delay_ms = c->batch_delay_ms;
	sq.queue_max = c->queue_max;
	old = sq.opts;
	sq.opts = copy;
	pthread_cond_signal(&sq.cv);
	pthread_mutex_unlock(&sq.mu);
	opts_release(&old);
}

/* Something for maintain() to do (a key rotation): wake it now. */
void
seq_wake(void)
{
	pthread_mutex_lock(&sq.mu);
	pthread_cond_signal(&sq.cv);
	pthread_mutex_unlock(&sq.mu);
}

void
seq_refuse_writes(const char *reason)
{
	pthread_mutex_lock(&sq.mu);
	snprintf(sq.refusal, sizeof(sq.refusal), "%s", reason);
	atomic_store(&sq.refusing, true);
	pthread_mutex_unlock(&sq.mu);
}

const char *
seq_refusal(void)
{
	return atomic_load(&sq.refusing) ? sq.refusal : NULL;
}

bool
seq_submit(struct pending *p)
{
	pthread_mutex_lock(&sq.mu);
	if (sq.stop || !sq.running || sq.len >= sq.queue_max ||
	    atomic_load(&sq.refusing)) {
		pthread_mutex_unlock(&sq.mu);
		return false;
	}
	p->next = NULL;
	if (sq.tail != NULL)
		sq.tail->next = p;
	else
		sq.head = p;
	sq.tail = p;
	sq.len++;
	metrics_set_queue(sq.len);
	pthread_cond_signal(&sq.cv);
	pthread_mutex_unlock(&sq.mu);
	return true;
}

static void
wake_waiter(struct pending *p)
{
	pthread_mutex_lock(&sq.mu);
	p->finished = true;
	pthread_cond_broadcast(&sq.done_cv);
	pthread_mutex_unlock(&sq.mu);
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
	pthread_mutex_lock(&sq.mu);
	while (!p.finished)
		pthread_cond_wait(&sq.done_cv, &sq.mu);
	pthread_mutex_unlock(&sq.mu);
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
	st = ledger_store_append(sq.w, evs, total, rs, &err);
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
					atomic_store(&sq.size, rs[total].seq + 1);
			}
		if (fresh > 0) {
			mark_dirty();
			sq.last_append_ms = ledger_now_ms();
		}
		if (!atomic_exchange(&sq.healthy, true))
			log_info("storage recovered size=%llu",
			    (unsigned long long)atomic_load(&sq.size));
		metrics_batch(total, fresh);
		metrics_set_log_size(atomic_load(&sq.size));
	} else {
		if (st != LEDGER_EINVAL && st != LEDGER_EEXIST) {
			metrics_storage_failure();
			atomic_store(&sq.healthy, false);
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

	sq.last_cp_ms = ledger_now_ms();
	if (ledger_store_checkpoint(sq.w, &cp, &made, &err) != LEDGER_OK) {
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
	sq.dirty = false;
	atomic_store(&sq.uncovered_since, 0);
	http_checkpoint_signed(cp.size);
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

	sq.last_append_ms = ledger_now_ms();
	if (ev == NULL)
		return;
	if (ledger_store_append(sq.w, &ev, 1, &r, &err) != LEDGER_OK) {
		log_error("heartbeat failed error=\"%s\"", err.msg);
		metrics_storage_failure();
	} else {
		mark_dirty();
		atomic_store(&sq.size, r.seq + 1);
		metrics_batch(1, 1);
		metrics_set_log_size(r.seq + 1);
	}
	ledger_event_free(ev);
}

/* A key rotation asked for, or an overlap to end (ledgerd/keys.c). */
static void
keys(unsigned overlap)
{
	uint64_t size;

	if (atomic_load(&sq.refusing) || !keys_tick(sq.w, overlap))
		return;
	mark_dirty();
	sq.last_append_ms = ledger_now_ms();
	if (ledger_store_size(sq.w, &size, NULL) == LEDGER_OK) {
		atomic_store(&sq.size, size);
		metrics_set_log_size(size);
	}
}

/* Called without the lock held.  Returns ms until something is due. */
static int64_t
maintain(void)
{
	int64_t now = ledger_now_ms(), due = 60000, t;
	unsigned hb, cpi, overlap;

	if (atomic_load(&sq.refusing))
		return due;
	/* Unhealthy since a write failed: probe once a second rather than
	 * wait for a client's write to find out. */
	if (!atomic_load(&sq.healthy)) {
		struct ledger_error err;

		if (ledger_store_probe(sq.w, &err) == LEDGER_OK) {
			atomic_store(&sq.healthy, true);
			log_info("storage recovered (probe)");
		} else
			due = 1000;
	}
	pthread_mutex_lock(&sq.mu);
	hb = sq.opts.heartbeat_interval_s;
	cpi = sq.opts.checkpoint_interval_ms;
	overlap = sq.opts.key_overlap_s;
	pthread_mutex_unlock(&sq.mu);
	keys(overlap);
	{
		uint32_t old;
		uint64_t added;

		/* an overlap to end: look again within a second */
		if (ledger_store_key_overlap(sq.w, &old, &added) && due > 1000)
			due = 1000;
	}
	if (hb > 0) {
		t = sq.last_append_ms + (int64_t)hb * 1000 - now;
		if (t <= 0) {
			heartbeat();
			t = (int64_t)hb * 1000;
		}
		if (t < due)
			due = t;
	}
	if (sq.dirty) {
		t = sq.last_cp_ms + cpi - now;
		if (t <= 0) {
			checkpoint();
			t = sq.dirty ? cpi : due;
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
	unsigned cpi, overlap;

	(void)arg;
	pthread_mutex_lock(&sq.mu);
	for (;;) {
		while (sq.head == NULL && !sq.stop) {
			int64_t due;

			pthread_mutex_unlock(&sq.mu);
			due = maintain();
			pthread_mutex_lock(&sq.mu);
			if (sq.head != NULL || sq.stop)
				break;
			clock_gettime(CLOCK_REALTIME, &ts);
			add_ms(&ts, (unsigned)due);
			pthread_cond_timedwait(&sq.cv, &sq.mu, &ts);
		}
		if (sq.head == NULL && sq.stop)
			break;
		if (sq.batch_delay_ms > 0 && sq.len < sq.batch_max && !sq.stop) {
			clock_gettime(CLOCK_REALTIME, &ts);
			add_ms(&ts, sq.batch_delay_ms);
			while (sq.len < sq.batch_max && !sq.stop &&
			    pthread_cond_timedwait(&sq.cv, &sq.mu, &ts) !=
			    ETIMEDOUT)
				;
		}
		/* Take pendings while their events fit in one batch. */
		for (n = 0, nev = 0; (p = sq.head) != NULL && (n == 0 ||
		    (nev + p->nev <= sq.batch_max &&
		    nev + p->nev <= LEDGER_BATCH_MAX)); n++) {
			sq.head = p->next;
			if (sq.head == NULL)
				sq.tail = NULL;
			sq.len--;
			batch[n] = p;
			nev += p->nev;
		}
		metrics_set_queue(sq.len);
		pthread_mutex_unlock(&sq.mu);
		commit(batch, n);
		pthread_mutex_lock(&sq.mu);
		cpi = sq.opts.checkpoint_interval_ms;
		overlap = sq.opts.key_overlap_s;
		pthread_mutex_unlock(&sq.mu);
		keys(overlap);
		if (sq.dirty && ledger_now_ms() - sq.last_cp_ms >= cpi)
			checkpoint();
		pthread_mutex_lock(&sq.mu);
	}
	pthread_mutex_unlock(&sq.mu);
	/* The last word: a checkpoint of everything committed. */
	if (sq.dirty && !atomic_load(&sq.refusing))
		checkpoint();
	return NULL;
}

int
seq_start(struct ledger_store *w, const struct config *c)
{
	uint64_t size = 0;

	sq.w = w;
	sq.stop = false;
	seq_set_config(c);
	sq.last_append_ms = ledger_now_ms();
	sq.last_cp_ms = 0;
	/* Nothing is signed until something is appended: the first append
	 * is "started", once ledgerd listens, so a start that fails signs
	 * nothing and appends nothing. */
	sq.dirty = false;
	if (ledger_store_size(w, &size, NULL) != LEDGER_OK)
		size = 0;
	atomic_store(&sq.size, size);
	atomic_store(&sq.healthy, true);
	metrics_set_log_size(size);
	if (pthread_create(&sq.thread, NULL, run, NULL) != 0) {
		log_error("start sequencer: cannot create thread");
		return -1;
	}
	pthread_mutex_lock(&sq.mu);
	sq.running = true;
	pthread_mutex_unlock(&sq.mu);
	return 0;
}

void
seq_stop(void)
{
	pthread_mutex_lock(&sq.mu);
	if (!sq.running) {
		pthread_mutex_unlock(&sq.mu);
		return;
	}
	sq.stop = true;
	pthread_cond_broadcast(&sq.cv);
	pthread_mutex_unlock(&sq.mu);
	pthread_join(sq.thread, NULL);
	pthread_mutex_lock(&sq.mu);
	sq.running = false;
	opts_release(&sq.opts);
	pthread_mutex_unlock(&sq.mu);
}
