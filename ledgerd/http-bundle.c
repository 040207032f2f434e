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
 * The bundle is written to an unlinked file in the data directory (a
 * population may be larger than memory should hold) and sent from it;
 * one at a time, as it reads the whole population.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ledger/query.h"
#include "ledger/report.h"
#include "http-int.h"

/* Most entries ?seq= selects. */
#define BUNDLE_SEQS_MAX 10000

static atomic_bool busy;

struct bargs {
	struct ledger_report_req rq;
	struct ledger_seqs seqs;
	const char *exception, *seq;
	bool population;		/* a parameter of the population */
	bool payloads;
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

/* The parameters but the population's: once each.  The population's
 * are kept for the second pass, once the answer is known. */
static enum MHD_Result
first_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct bargs *a = cls;

	(void)kind;
	if (value == NULL)
		value = "";
	if (strcmp(key, "exception") == 0 || strcmp(key, "seq") == 0) {
		const char **p = key[0] == 'e' ? &a->exception : &a->seq;

		if (*p != NULL)
			return bad_arg(a, key, "once");
		*p = value;
	} else if (strcmp(key, "payloads") == 0) {
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return bad_arg(a, key, "true or false");
		a->payloads = value[0] == 't';
	} else
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
	if (ledger_report_param(&a->rq, key, value, &a->err) != LEDGER_OK) {
		a->bad = true;
		return MHD_NO;
	}
	return MHD_YES;
}

/* The question: a list of seqs, or a population's answer in *answer. */
static enum ledger_status
question(struct req *r, struct bargs *a, struct ledger_store *s,
    struct ledger_buf *answer)
{
	bool yes;

	if (a->seq != NULL) {
		if (a->population || a->exception != NULL)
			return ledger_errorf(&a->err, LEDGER_EINVAL, "seq "
			    "selects entries; the population's parameters "
			    "are for a population");
		if (ledger_seqs_parse(&a->seqs, a->seq, ',', BUNDLE_SEQS_MAX,
		    &a->err) != LEDGER_OK)
			return LEDGER_EINVAL;
		if (a->seqs.n == 0)
			return ledger_errorf(&a->err, LEDGER_EINVAL, "seq: "
			    "no entries selected");
		return ledger_bundle_add_records(&a->seqs, a->payloads,
		    ledger_bundle_store_query, s, &a->err);
	}
	if (ledger_report_req_init(&a->rq, a->exception != NULL ?
	    LEDGER_ANSWER_EXCEPTIONS : LEDGER_ANSWER_DEPLOYMENTS,
	    a->exception, &a->err) != LEDGER_OK)
		return LEDGER_EINVAL;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
	    population_arg, a);
	if (a->bad || ledger_report_check(&a->rq, &a->err) != LEDGER_OK)
		return LEDGER_EINVAL;
	return ledger_report_answer(s, &a->rq, NULL, 0, answer, &yes,
	    &a->err);
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

/* Send the bundle in fd (MHD owns it from here). */
static enum MHD_Result
send_bundle(struct req *r, int fd, uint64_t entries, uint64_t cp_size)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char n[32], cp[32];
	struct stat sb;

	if (fstat(fd, &sb) != 0 || (resp = MHD_create_response_from_fd(
	    (uint64_t)sb.st_size, fd)) == NULL) {
		close(fd);
		return send_error(r, 503, "unavailable", retry_after,
		    "the bundle could not be sent");
	}
	snprintf(n, sizeof(n), "%llu", (unsigned long long)entries);
	snprintf(cp, sizeof(cp), "%llu", (unsigned long long)cp_size);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/gzip");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
	    "attachment; filename=\"ledgerd-bundle.json.gz\"");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	MHD_add_response_header(resp, "Ledger-Bundle-Entries", n);
	MHD_add_response_header(resp, "Ledger-Bundle-Checkpoint", cp);
	r->status = 200;
	r->sent = (size_t)sb.st_size;
	r->state = ST_DONE;
	ret = MHD_queue_response(r->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result
route_bundle(struct req *r)
{
	struct ledger_population_bundle pb;
	struct ledger_buf answer = LEDGER_BUF_INIT;
	struct ledger_bundle_opts bo;
	struct ledger_store *s;
	enum ledger_status st;
	struct bargs a;
	int fd = -1;

	memset(&a, 0, sizeof(a));
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, first_arg,
	    &a);
	if (a.bad)
		return send_error(r, 400, "bad_request", NULL, "%s", a.err.msg);
	if (atomic_exchange(&busy, true))
		return send_error(r, 503, "unavailable", retry_after,
		    "another bundle is being written; retry");
	if ((s = pool_get(&a.err)) == NULL) {
		atomic_store(&busy, false);
		return send_status(r, &a.err);
	}
	st = question(r, &a, s, &answer);
	if (st == LEDGER_OK && (fd = scratch(&a.err)) < 0)
		st = a.err.code;
	memset(&pb, 0, sizeof(pb));
	if (st == LEDGER_OK && a.seq != NULL) {
		memset(&bo, 0, sizeof(bo));
		bo.payloads = a.payloads;
		st = ledger_bundle_write_fd(s, a.seqs.v, a.seqs.n, &bo, fd,
		    &pb.st, &a.err);
	} else if (st == LEDGER_OK)
		st = ledger_population_bundle(s, (const char *)answer.data,
		    answer.len, a.payloads, fd, &pb, &a.err);
	pool_put(s);
	atomic_store(&busy, false);
	ledger_buf_release(&answer);
	ledger_seqs_release(&a.seqs);
	ledger_report_req_release(&a.rq);
	if (st != LEDGER_OK) {
		if (fd >= 0)
			close(fd);
		return send_status(r, &a.err);
	}
	return send_bundle(r, fd, pb.st.entries, pb.st.checkpoint_size);
}
