/*
 * http-proof.c - GET /v1/events/{seq}/proof[?wait=D]: the entry's C2SP
 * tlog-proof@v1 (ledger/tlogproof.h) to the newest signed checkpoint,
 * public like the other proofs.  The record it proves is the receipt's
 * leaf hash, so it carries no extra (the entry's bytes need a read
 * token).
 *
 * An entry no checkpoint covers yet is a 503 with Retry-After, or, with
 * wait (at most 10 s), the request is suspended, not a thread: the
 * sequencer resumes the waiters its new checkpoint covers
 * (http_checkpoint_signed), and the 200 ms housekeeping tick those whose
 * time is up (proof_sweep), which then get the 503.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "ledger/tlogproof.h"
#include "ledger/tree.h"
#include "http-int.h"

#define WAIT_MAX_MS 10000

static pthread_mutex_t wmu = PTHREAD_MUTEX_INITIALIZER;
static struct req *waiters;		/* through r->wnext */
static bool draining;			/* stopping: nobody waits any more */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Take r off the list and resume it, if it is still there (under wmu). */
static void
wake_locked(struct req *r)
{
	struct req **pp;

	for (pp = &waiters; *pp != NULL; pp = &(*pp)->wnext)
		if (*pp == r) {
			*pp = r->wnext;
			r->wnext = NULL;
			atomic_store(&r->finished, true);
			MHD_resume_connection(r->conn);
			return;
		}
}

/* Resume the waiters for which keep() is false. */
static void
wake(bool (*keep)(const struct req *r, uint64_t arg), uint64_t arg)
{
	struct req **pp, *r;

	pthread_mutex_lock(&wmu);
	for (pp = &waiters; (r = *pp) != NULL;) {
		if (keep != NULL && keep(r, arg)) {
			pp = &r->wnext;
			continue;
		}
		*pp = r->wnext;
		r->wnext = NULL;
		atomic_store(&r->finished, true);
		MHD_resume_connection(r->conn);
	}
	pthread_mutex_unlock(&wmu);
}

static bool
not_covered(const struct req *r, uint64_t size)
{
	return r->wseq >= size;
}

static bool
not_due(const struct req *r, uint64_t now)
{
	return r->wdeadline_ms > (int64_t)now;
}

void
http_checkpoint_signed(uint64_t size)
{
	wake(not_covered, size);
}

void
proof_sweep(void)
{
	wake(not_due, (uint64_t)mono_ms());
}

void
proof_wake_all(void)
{
	/* from now on no request waits (libmicrohttpd must not be stopped
	 * with a connection suspended) */
	pthread_mutex_lock(&wmu);
	draining = true;
	pthread_mutex_unlock(&wmu);
	wake(NULL, 0);
}

/* wait=2s, 500ms or 2 (seconds): 1 and *ms, 0 absent, -1 malformed. */
static int
wait_ms(struct req *r, int64_t *ms)
{
	const char *v = MHD_lookup_connection_value(r->conn,
	    MHD_GET_ARGUMENT_KIND, "wait");
	uint64_t n = 0;
	size_t i;

	*ms = 0;
	if (v == NULL)
		return 0;
	for (i = 0; v[i] >= '0' && v[i] <= '9' && i < 6; i++)
		n = n * 10 + (uint64_t)(v[i] - '0');
	if (i == 0)
		return -1;
	if (strcmp(v + i, "ms") == 0)
		*ms = (int64_t)n;
	else if (v[i] == '\0' || strcmp(v + i, "s") == 0)
		*ms = (int64_t)n * 1000;
	else
		return -1;
	return *ms <= WAIT_MAX_MS ? 1 : -1;
}

static enum MHD_Result
only_wait(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	const char **bad = cls;

	(void)kind;
	(void)value;
	if (strcmp(key, "wait") == 0)
		return MHD_YES;
	*bad = key;
	return MHD_NO;
}

/* The proof of seq to the newest checkpoint, if one covers it: *covered;
 * else *size is the log's size (to tell a missing entry). */
static enum ledger_status
proof_text(uint64_t seq, struct ledger_buf *out, bool *covered,
    uint64_t *size, struct ledger_error *err)
{
	uint8_t path[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	struct ledger_signed_checkpoint cp;
	struct ledger_store *s;
	enum ledger_status st;
	size_t n;

	*covered = false;
	if ((s = pool_get(err)) == NULL)
		return err->code;
	memset(&cp, 0, sizeof(cp));
	st = ledger_store_checkpoint_latest(s, &cp, err);
	if (st == LEDGER_ENOTFOUND)
		st = LEDGER_OK;		/* nothing signed yet */
	if (st == LEDGER_OK && cp.size > seq) {
		*covered = true;
		if ((st = ledger_store_prove_inclusion(s, seq, cp.size, path,
		    &n, err)) == LEDGER_OK)
			st = ledger_tlog_proof_format(out, seq, NULL, 0,
			    (const uint8_t (*)[LEDGER_HASH_BYTES])path, n,
			    cp.note, cp.note_len, err);
	} else if (st == LEDGER_OK) {
		st = ledger_store_size(s, size, err);
	}
	ledger_signed_checkpoint_release(&cp);
	pool_put(s);
	return st;
}

enum MHD_Result
route_event_proof(struct req *r, uint64_t seq)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_error err;
	const char *bad = NULL;
	uint64_t size = 0;
	int64_t ms;
	bool covered;
	int w;

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, only_wait,
	    &bad);
	if (bad != NULL)
		return send_error(r, 400, "bad_request", NULL,
		    "unknown parameter '%.64s'", bad);
	if ((w = wait_ms(r, &ms)) < 0)
		return send_error(r, 400, "bad_request", NULL, "wait must be "
		    "a duration of at most 10 s (2s, 500ms, 2)");
	if (proof_text(seq, &b, &covered, &size, &err) != LEDGER_OK) {
		ledger_buf_release(&b);
		return send_status(r, &err);
	}
	if (covered)
		return send_buf(r, 200, "text/plain; charset=utf-8", b.data,
		    b.len, MHD_RESPMEM_MUST_FREE, NULL);
	ledger_buf_release(&b);
	if (seq >= size)
		return send_error(r, 404, "not_found", NULL, "no entry %"
		    PRIu64 " (the log has %" PRIu64 ")", seq, size);
	if (ms == 0 || r->state == ST_WAITING)
		return send_error(r, 503, "unavailable", retry_after,
		    "no signed checkpoint covers entry %" PRIu64 " yet; ask "
		    "again, or with wait=", seq);
	/* Suspend, then register (unless stopping: then straight back);
	 * then look again, in case the checkpoint came between the first
	 * look and the registration. */
	r->state = ST_WAITING;
	r->wseq = seq;
	r->wdeadline_ms = mono_ms() + ms;
	atomic_store(&r->finished, false);
	MHD_suspend_connection(r->conn);
	pthread_mutex_lock(&wmu);
	if (draining) {
		pthread_mutex_unlock(&wmu);
		atomic_store(&r->finished, true);
		MHD_resume_connection(r->conn);
		return MHD_YES;
	}
	r->wnext = waiters;
	waiters = r;
	pthread_mutex_unlock(&wmu);
	if (proof_text(seq, &b, &covered, &size, &err) == LEDGER_OK &&
	    covered) {
		pthread_mutex_lock(&wmu);
		wake_locked(r);
		pthread_mutex_unlock(&wmu);
	}
	ledger_buf_release(&b);
	return MHD_YES;
}
