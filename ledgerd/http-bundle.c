/*
 * http-bundle.c - GET /v1/bundle: evidence to take away (ledger/bundle.h),
 * one gzip'd file a browser saves and `ledgerctl verify --bundle` checks
 * offline with the log's public key alone.
 *
 *	?env=E&period=P (or from&to, service, gap)	the population of
 *		/v1/deployments with the same parameters, its bracketing
 *		checkpoints as older checkpoints (ledger_population_bundle)
 *	&exception=NAME					the rows of
 *		/v1/exceptions/NAME instead, with their evidence
 *	?seq=LIST (3,4,9-12; at most BUNDLE_SEQS_MAX)	these entries
 *	&payloads=true					the raw payloads too
 *
 * A bundle is a whole population: a page of one (after, limit) is
 * refused.  It is written by a thread of its own while the request is
 * suspended (a population is read whole: no MHD worker waits on it),
 * one at a time, to an unlinked file in the data directory (a population
 * may be larger than memory should hold), and sent from that file; at
 * most BUNDLES_HELD such files exist at once, each at most
 * BUNDLE_BYTES_MAX, and writing stops before the disk's free space falls
 * under the configured reserve.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ledger/query.h"
#include "ledger/report.h"
#include "http-int.h"

/* Most entries ?seq= selects. */
#define BUNDLE_SEQS_MAX 10000
/* Bundle files held (being written or sent) at once. */
#define BUNDLES_HELD 2
/* Most bytes of one bundle file (compressed). */
#define BUNDLE_BYTES_MAX ((off_t)512 << 20)

struct bundle_job {
	struct req *r;
	struct ledger_report_req rq;
	struct ledger_seqs seqs;
	bool by_seq, payloads;
	int fd;
	enum ledger_status st;
	struct ledger_error err;
	unsigned status;		/* the HTTP status of an error */
	uint64_t entries, cp_size;
	size_t nolder;
};

static atomic_uint held;		/* bundle files open */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t writer_done = PTHREAD_COND_INITIALIZER;
static bool writing;			/* under mu: a writer thread runs */
static atomic_bool stopping;

struct bargs {
	struct bundle_job *j;
	const char *exception, *seq, *payloads;
	bool population;		/* a parameter of the population */
	struct ledger_error err;
	bool bad;
};

static enum MHD_Result
bad_arg(struct bargs *a, const char *key, const char *takes)
{
	ledger_errorf(&a->err, LEDGER_EINVAL, "%s: %s", key, takes);
	a->bad = true;
	return MHD_NO;
}

/* The parameters but the population's: once each. */
static enum MHD_Result
first_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct bargs *a = cls;
	const char **p;

	(void)kind;
	if (value == NULL)
		value = "";
	if (strcmp(key, "exception") == 0 || strcmp(key, "seq") == 0 ||
	    strcmp(key, "payloads") == 0) {
		p = key[0] == 'e' ? &a->exception : key[0] == 's' ? &a->seq :
		    &a->payloads;
		if (*p != NULL)
			return bad_arg(a, key, "once");
		*p = value;
		if (p == &a->payloads && strcmp(value, "true") != 0 &&
		    strcmp(value, "false") != 0)
			return bad_arg(a, key, "true or false");
	} else if (strcmp(key, "after") == 0 || strcmp(key, "limit") == 0)
		return bad_arg(a, key, "a bundle holds a whole population, "
		    "not a page of one");
	else
		a->population = true;
	return MHD_YES;
}

static enum MHD_Result
population_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct bargs *a = cls;

	(void)kind;
	if (strcmp(key, "exception") == 0 || strcmp(key, "payloads") == 0)
		return MHD_YES;
	if (ledger_report_param(&a->j->rq, key, value, &a->err) != LEDGER_OK) {
		a->err.code = LEDGER_EINVAL;	/* the client's: 400 */
		a->bad = true;
		return MHD_NO;
	}
	return MHD_YES;
}

/* The question, from the request's parameters, into a->j. */
static enum ledger_status
question(struct req *r, struct bargs *a)
{
	struct bundle_job *j = a->j;

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, first_arg,
	    a);
	if (a->bad)
		return LEDGER_EINVAL;
	j->payloads = a->payloads != NULL && a->payloads[0] == 't';
	if (a->seq != NULL) {
		j->by_seq = true;
		if (a->population || a->exception != NULL)
			return ledger_errorf(&a->err, LEDGER_EINVAL, "seq "
			    "selects entries; the population's parameters "
			    "are for a population");
		if (ledger_seqs_parse(&j->seqs, a->seq, ',', BUNDLE_SEQS_MAX,
		    &a->err) != LEDGER_OK)
			return LEDGER_EINVAL;
		if (j->seqs.n == 0)
			return ledger_errorf(&a->err, LEDGER_EINVAL, "seq: "
			    "no entries selected");
		return LEDGER_OK;
	}
	if (ledger_report_req_init(&j->rq, a->exception != NULL ?
	    LEDGER_ANSWER_EXCEPTIONS : LEDGER_ANSWER_DEPLOYMENTS,
	    a->exception, &a->err) != LEDGER_OK) {
		a->err.code = LEDGER_EINVAL;
		return LEDGER_EINVAL;
	}
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
	    population_arg, a);
	if (a->bad || ledger_report_check(&j->rq, &a->err) != LEDGER_OK) {
		a->err.code = LEDGER_EINVAL;
		return LEDGER_EINVAL;
	}
	return LEDGER_OK;
}

/* An unlinked file in the data directory to write the bundle to. */
static int
scratch(struct ledger_error *err)
{
	char path[4096];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/.bundle-XXXXXX",
	    http_data_dir()) >= sizeof(path)) {
		ledger_errorf(err, LEDGER_EIO, "the data directory's path is "
		    "too long");
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0) {
		ledger_errorf(err, LEDGER_EIO, "a file for the bundle: %s",
		    strerror(errno));
		return -1;
	}
	unlink(path);
	return fd;
}

/* Every thousand entries: stop when ledgerd stops, at the size limit, or
 * before the disk's free space falls under the reserve. */
static int
progress(void *ctx, uint64_t done, uint64_t total)
{
	struct bundle_job *j = ctx;
	struct statvfs vs;
	struct stat sb;

	(void)done;
	(void)total;
	if (atomic_load(&stopping))
		return 1;
	if (fstat(j->fd, &sb) == 0 && sb.st_size > BUNDLE_BYTES_MAX) {
		j->status = 413;
		return 1;
	}
	if (fstatvfs(j->fd, &vs) == 0 && (uint64_t)vs.f_bavail *
	    vs.f_frsize < http_disk_reserve() + (64u << 20)) {
		j->status = 507;
		return 1;
	}
	return 0;
}

static void
write_bundle(struct bundle_job *j, struct ledger_store *s)
{
	struct ledger_population_bundle pb;
	struct ledger_buf answer = LEDGER_BUF_INIT;
	struct ledger_bundle_opts bo;
	bool yes;

	memset(&bo, 0, sizeof(bo));
	memset(&pb, 0, sizeof(pb));
	bo.payloads = j->payloads;
	bo.progress = progress;
	bo.progress_ctx = j;
	if (!j->by_seq)
		j->st = ledger_report_answer(s, &j->rq, NULL, 0, &answer, &yes,
		    &j->err);
	if (j->st == LEDGER_OK && (j->fd = scratch(&j->err)) < 0)
		j->st = j->err.code;
	if (j->st == LEDGER_OK && progress(j, 0, 0) != 0)
		j->st = ledger_errorf(&j->err, LEDGER_ECANCELED, "too little "
		    "free space for a bundle");
	if (j->st == LEDGER_OK && j->by_seq)
		j->st = ledger_bundle_write_seqs(s, &j->seqs, &bo, j->fd,
		    &pb.st, &j->err);
	else if (j->st == LEDGER_OK)
		j->st = ledger_population_bundle(s, (const char *)answer.data,
		    answer.len, &bo, j->fd, &pb, &j->err);
	ledger_buf_release(&answer);
	j->entries = pb.st.entries;
	j->cp_size = pb.st.checkpoint_size;
	j->nolder = pb.nolder;
}

static void *
bundle_thread(void *arg)
{
	struct bundle_job *j = arg;
	struct MHD_Connection *conn = j->r->conn;
	struct ledger_store *s;

	if ((s = pool_get(&j->err)) == NULL)
		j->st = j->err.code;
	else {
		write_bundle(j, s);
		pool_put(s);
	}
	if (j->st == LEDGER_ECANCELED && j->status == 0)
		ledger_errorf(&j->err, LEDGER_EDB, "ledgerd is stopping");
	else if (j->st == LEDGER_ECANCELED)
		ledger_errorf(&j->err, LEDGER_EINVAL, j->status == 413 ?
		    "the bundle would be larger than %lld MiB: narrow the "
		    "question or leave the payloads out" : "the bundle would "
		    "take the disk's free space under the reserve",
		    (long long)(BUNDLE_BYTES_MAX >> 20));
	/* j and the request are the handler's from here */
	atomic_store(&j->r->finished, true);
	MHD_resume_connection(conn);
	pthread_mutex_lock(&mu);
	writing = false;
	pthread_cond_broadcast(&writer_done);
	pthread_mutex_unlock(&mu);
	return NULL;
}

void
bundle_release(struct req *r)
{
	struct bundle_job *j = r->bundle;

	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	ledger_seqs_release(&j->seqs);
	ledger_report_req_release(&j->rq);
	free(j);
	r->bundle = NULL;
	atomic_fetch_sub(&held, 1);
}

void
bundle_stop(void)
{
	atomic_store(&stopping, true);
	pthread_mutex_lock(&mu);
	while (writing)
		pthread_cond_wait(&writer_done, &mu);
	pthread_mutex_unlock(&mu);
}

enum MHD_Result
route_bundle(struct req *r)
{
	struct bundle_job *j;
	pthread_attr_t attr;
	pthread_t t;
	struct bargs a;
	enum ledger_status st;
	bool busy;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return send_error(r, 503, "unavailable", retry_after,
		    "out of memory");
	j->fd = -1;
	j->r = r;
	memset(&a, 0, sizeof(a));
	a.j = j;
	if ((st = question(r, &a)) != LEDGER_OK) {
		ledger_seqs_release(&j->seqs);
		ledger_report_req_release(&j->rq);
		free(j);
		return send_error(r, 400, "bad_request", NULL, "%s", a.err.msg);
	}
	pthread_mutex_lock(&mu);
	busy = writing || atomic_load(&stopping) ||
	    atomic_load(&held) >= BUNDLES_HELD;
	if (!busy) {
		writing = true;
		atomic_fetch_add(&held, 1);
		r->bundle = j;
		r->state = ST_WAITING;
		/* Suspend first: the thread may finish before we return. */
		MHD_suspend_connection(r->conn);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, bundle_thread, j) != 0) {
			writing = false;
			busy = true;
			r->state = ST_NEW;
			MHD_resume_connection(r->conn);
			bundle_release(r);
			j = NULL;
		}
		pthread_attr_destroy(&attr);
	}
	pthread_mutex_unlock(&mu);
	if (busy) {
		if (j != NULL) {
			ledger_seqs_release(&j->seqs);
			ledger_report_req_release(&j->rq);
			free(j);
		}
		return send_error(r, 503, "unavailable", retry_after,
		    "bundles are being written; retry");
	}
	return MHD_YES;
}

/* The thread is done: the bundle, or why not (the file is MHD's once
 * the response is made). */
enum MHD_Result
route_bundle_finish(struct req *r)
{
	struct bundle_job *j = r->bundle;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char n[24], cp[24], older[24];
	struct stat sb;

	r->state = ST_NEW;
	if (j->st != LEDGER_OK) {
		if (j->status == 413 || j->status == 507)
			return send_error(r, j->status, j->status == 413 ?
			    "payload_too_large" : "insufficient_storage", NULL,
			    "%s", j->err.msg);
		return send_status(r, &j->err);
	}
	if (fstat(j->fd, &sb) != 0 || (resp = MHD_create_response_from_fd(
	    (uint64_t)sb.st_size, j->fd)) == NULL)
		return send_error(r, 503, "unavailable", retry_after,
		    "the bundle could not be sent");
	j->fd = -1;			/* MHD's now */
	snprintf(n, sizeof(n), "%" PRIu64, j->entries);
	snprintf(cp, sizeof(cp), "%" PRIu64, j->cp_size);
	snprintf(older, sizeof(older), "%zu", j->nolder);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/gzip");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
	    "attachment; filename=\"ledgerd-bundle.json.gz\"");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	MHD_add_response_header(resp, "Ledger-Bundle-Entries", n);
	MHD_add_response_header(resp, "Ledger-Bundle-Checkpoint", cp);
	MHD_add_response_header(resp, "Ledger-Bundle-Older-Checkpoints",
	    older);
	r->status = 200;
	r->sent = (size_t)sb.st_size;
	r->state = ST_DONE;
	ret = MHD_queue_response(r->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}
