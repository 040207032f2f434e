/*
 * bench-answers.c - how fast the answers are on a realistic year of history
 *
 *	bench-answers [-k] [-d dir] [-n entries] [-q queries] [-a answer]
 *
 * 1. Builds, through the library's batch append, a ledger of N entries
 *    (1,000,000) spread over 2026 by a simulated clock (ledger_set_clock):
 *    10,000 pipelines, 300 services, 5 environments; each pipeline run is
 *    a push, a build that makes an artifact, a test, a scan, for staging
 *    and production an approval (some rejected, some after the deployment,
 *    some by the deployer), a deployment (some failed) and now and then a
 *    rollback: a deployment every ~6 entries.  At 100,000 entries and at
 *    the end it stops and measures:
 * 2. trace, where, state, last-good and gate on random targets, and
 *    timeline, deployments and exceptions over one random day: p50, p99
 *    and max latency of Q queries each, from a read-only handle as
 *    ledgerctl opens it;
 * 3. timeline, deployments and exceptions over a quarter: rows per
 *    second;
 * 4. the process's resident memory (VmRSS) after each phase.
 *
 *	-d dir		build the ledger in dir and keep it (default: a
 *			temporary directory, removed at exit)
 *	-k		keep an existing ledger in -d dir: measure only
 *	-n entries	how many (1000000)
 *	-q queries	per answer and phase (200)
 *	-a answer	measure only the answers whose name starts so (e.g.
 *			"deployments", "state --env"): for profiling
 *
 * Not a test: latencies vary run to run with the machine's load; the
 * numbers go to docs/performance.md with the run's sign time.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger/lineage.h"
#include "ledger/report.h"
#include "ledger/store.h"
#include "ledger/timeline.h"
#include "bench-util.h"

const char *progname = "bench-answers";

#define YEAR_START_MS INT64_C(1767225600000)	/* 2026-01-01T00:00Z */
#define YEAR_MS (INT64_C(365) * 86400 * 1000)
#define DAY_MS (INT64_C(86400) * 1000)
#define NPIPE 10000
#define NSVC 300
#define NENV 5
#define BATCH 32	/* a batch spans ~17 min of the simulated year: under
			   the 20 min gap threshold, as heartbeats keep it */

static const char *const envs[NENV] = { "dev", "test", "staging",
    "preprod", "production" };
static int64_t sim_ms;
static const char *only;	/* -a: measure only answers named so */

static int64_t
sim_clock(void)
{
	return sim_ms;
}

/*
 * The maintenance ledgerd would run in 40 s without writes (200 ticks): a
 * merge step of the key index each tick, and after 10 s of quiet the
 * settle that merges it into one segment (ledger_keys_settle_due), which
 * the following steps finish.  The build appends ~15,000 events a second,
 * far beyond a delivery pipeline's rate, and leaves the index with a
 * segment a level; the answers are measured on the index as a running
 * ledgerd keeps it.
 */
#define SETTLE_STEPS 200

static void
settle(struct ledger_store *s)
{
	struct ledger_keys_settle st = { 0, 0, 0 };
	struct ledger_error err;
	double t0 = now();
	uint64_t size;
	int i, settled = -1;

	if (ledger_store_size(s, &size, &err) != LEDGER_OK)
		die("size: %s", err.msg);
	for (i = 0; i < SETTLE_STEPS; i++) {
		if (ledger_store_merge_keys(s, LEDGER_MERGE_STEP_PAGES, &err) !=
		    LEDGER_OK)
			die("merge: %s", err.msg);
		if (!ledger_keys_settle_due(&st, size))
			continue;
		if (ledger_store_settle_keys(s, LEDGER_MERGE_STEP_PAGES, NULL,
		    &err) != LEDGER_OK)
			die("settle: %s", err.msg);
		ledger_keys_settled(&st);
		settled = i;
	}
	printf("maintenance (%d ticks of %d pages, ledgerd's 40 s of quiet; "
	    "settled at tick %d): %.2f s\n", SETTLE_STEPS,
	    LEDGER_MERGE_STEP_PAGES, settled, now() - t0);
}

static void
hex(uint64_t *s, int len, char *out)
{
	static const char h[] = "0123456789abcdef";
	int i;

	for (i = 0; i < len; i++)
		out[i] = h[rnd(s) & 15];
	out[len] = '\0';
}

/* The commit and digest of run r (the same r gives the same values). */
static void
run_ids(uint64_t r, char commit[41], char digest[72])
{
	uint64_t s = r * UINT64_C(0x9e3779b97f4a7c15) + 1;

	hex(&s, 40, commit);
	memcpy(digest, "sha256:", 7);
	hex(&s, 64, digest + 7);
}

struct gen {
	struct ledger_store *s;
	struct ledger_event *batch[BATCH];
	struct ledger_receipt rc[BATCH];
	size_t n;
	uint64_t total, target;
	uint64_t rng;
	double last_merge;		/* now() of the last merge step */
};

static void
flush(struct gen *g)
{
	struct ledger_error err;
	size_t i;

	if (g->n == 0)
		return;
	sim_ms = YEAR_START_MS + (int64_t)((double)g->total / g->target *
	    (double)YEAR_MS);
	if (ledger_store_append(g->s, g->batch, g->n, g->rc, &err) !=
	    LEDGER_OK)
		die("append: %s", err.msg);
	/* what ledgerd's maintenance tick does every 200 ms */
	if (now() - g->last_merge >= 0.2) {
		if (ledger_store_merge_keys(g->s, LEDGER_MERGE_STEP_PAGES,
		    &err) != LEDGER_OK)
			die("merge: %s", err.msg);
		g->last_merge = now();
	}
	for (i = 0; i < g->n; i++)
		ledger_event_free(g->batch[i]);
	g->n = 0;
}

/* kind, then (field, value) pairs, NULL-terminated. */
static void
add(struct gen *g, enum ledger_kind kind, ...)
{
	static const char payload[] = "{\"generator\":\"bench-answers\","
	    "\"note\":\"a payload of the size a small webhook sends, padded "
	    "with words so that compression has something to do: build "
	    "test scan approval deployment rollback\"}";
	struct ledger_event *ev;
	struct ledger_error err;
	enum ledger_subject f;
	const char *v;
	va_list ap;

	if (ledger_event_new(&ev, &err) != LEDGER_OK)
		die("%s", err.msg);
	ev->e.kind = kind;
	if (ledger_event_set_source(ev, LEDGER_SRC_NAME, "ci", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_TYPE, "generic", &err) ||
	    ledger_event_set_payload(ev, payload, sizeof(payload) - 1,
	    "application/json", &err))
		die("%s", err.msg);
	va_start(ap, kind);
	while ((f = (enum ledger_subject)va_arg(ap, int)) != LEDGER_SUBJ_COUNT) {
		v = va_arg(ap, const char *);
		if (ledger_event_set_subject(ev, f, v, &err) != LEDGER_OK)
			die("%s", err.msg);
	}
	va_end(ap);
	g->batch[g->n++] = ev;
	g->total++;
	if (g->n == BATCH)
		flush(g);
}

#define END LEDGER_SUBJ_COUNT

/* One pipeline run: push, build, test, scan, approval, deployment,
 * sometimes a rollback. */
static void
one_run(struct gen *g, uint64_t r)
{
	char commit[41], digest[72], run[24], pipe[40], svc[24], author[24],
	    deployer[24], approver[24];
	uint64_t p = rnd(&g->rng) % NPIPE, x = rnd(&g->rng);
	const char *env = envs[x % NENV];
	bool gated = x % NENV >= 2;	/* staging and after */
	unsigned roll = (unsigned)(x >> 8) % 100;

	run_ids(r, commit, digest);
	snprintf(run, sizeof(run), "%" PRIu64, r);
	snprintf(pipe, sizeof(pipe), "team-%" PRIu64 "/app-%" PRIu64, p / 40,
	    p);
	snprintf(svc, sizeof(svc), "svc-%" PRIu64, p % NSVC);
	snprintf(author, sizeof(author), "dev-%u", (unsigned)(x >> 16) % 500);
	snprintf(deployer, sizeof(deployer), "ops-%u",
	    (unsigned)(x >> 24) % 100);
	snprintf(approver, sizeof(approver), "lead-%u",
	    (unsigned)(x >> 32) % 200);
	add(g, LEDGER_KIND_CHANGE, LEDGER_SUBJ_COMMIT, commit,
	    LEDGER_SUBJ_PIPELINE, pipe, LEDGER_SUBJ_ACTOR, author, END);
	add(g, LEDGER_KIND_BUILD, LEDGER_SUBJ_COMMIT, commit,
	    LEDGER_SUBJ_PIPELINE, pipe, LEDGER_SUBJ_RUN, run,
	    LEDGER_SUBJ_ARTIFACT, digest, LEDGER_SUBJ_STATUS,
	    roll < 97 ? "success" : "failure", END);
	add(g, LEDGER_KIND_TEST, LEDGER_SUBJ_PIPELINE, pipe, LEDGER_SUBJ_RUN,
	    run, LEDGER_SUBJ_STATUS, "passed", END);
	add(g, LEDGER_KIND_SCAN, LEDGER_SUBJ_ARTIFACT, digest,
	    LEDGER_SUBJ_STATUS, roll % 50 == 7 ? "failed" : "passed", END);
	if (gated && roll >= 5 && roll < 95)
		add(g, LEDGER_KIND_APPROVAL, LEDGER_SUBJ_ENVIRONMENT, env,
		    LEDGER_SUBJ_ARTIFACT, digest, LEDGER_SUBJ_ACTOR,
		    roll < 8 ? deployer : approver, LEDGER_SUBJ_STATUS,
		    roll < 10 ? "rejected" : "approved", END);
	add(g, LEDGER_KIND_DEPLOYMENT, LEDGER_SUBJ_ENVIRONMENT, env,
	    LEDGER_SUBJ_SERVICE, svc, LEDGER_SUBJ_ARTIFACT, digest,
	    LEDGER_SUBJ_COMMIT, commit, LEDGER_SUBJ_RUN, run,
	    LEDGER_SUBJ_PIPELINE, pipe, LEDGER_SUBJ_ACTOR, deployer,
	    LEDGER_SUBJ_STATUS, roll % 10 == 3 ? "failure" : "success", END);
	if (gated && roll >= 95)	/* approved after the fact */
		add(g, LEDGER_KIND_APPROVAL, LEDGER_SUBJ_ENVIRONMENT, env,
		    LEDGER_SUBJ_ARTIFACT, digest, LEDGER_SUBJ_ACTOR, approver,
		    LEDGER_SUBJ_STATUS, "approved", END);
	if (roll % 50 == 11)
		add(g, LEDGER_KIND_ROLLBACK, LEDGER_SUBJ_ENVIRONMENT, env,
		    LEDGER_SUBJ_SERVICE, svc, LEDGER_SUBJ_ACTOR, deployer, END);
}

/* ---- measuring ---- */

enum q { Q_TRACE, Q_WHERE, Q_STATE, Q_STATE_SVC, Q_LAST_GOOD, Q_GATE,
	Q_TIMELINE_DAY, Q_DEPLOYMENTS_DAY, Q_EXCEPTIONS_DAY, Q_COUNT };
static const char *const qnames[Q_COUNT] = { "trace --commit",
    "where --artifact", "state --env", "state --env --service",
    "last-good", "gate", "timeline (1 day)", "deployments (1 day)",
    "exceptions unapproved (1 day)" };

/* One answer on a random target of the first runs generated; returns
 * its rows (for rates). */
static uint64_t judged;	/* the last exceptions answer's "judged" */

static size_t
ask(struct ledger_store *s, enum q which, uint64_t runs, uint64_t *rng,
    int64_t span_ms, int64_t from_ms, int64_t to_ms)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_report_opts o;
	struct ledger_timeline_opts t;
	struct ledger_trace tr;
	struct ledger_error err;
	enum ledger_status st = LEDGER_OK;
	char commit[41], digest[72], svc[24];
	uint64_t r = rnd(rng) % runs;
	size_t n = 0;
	bool yes;

	run_ids(r, commit, digest);
	snprintf(svc, sizeof(svc), "svc-%" PRIu64, rnd(rng) % NSVC);
	memset(&o, 0, sizeof(o));
	o.environment = "production";
	if (from_ms == 0) {
		from_ms = YEAR_START_MS + (int64_t)(rnd(rng) %
		    (uint64_t)(span_ms / DAY_MS)) * DAY_MS;
		to_ms = from_ms + DAY_MS;
	}
	o.from_ms = from_ms;
	o.to_ms = to_ms;
	switch (which) {
	case Q_TRACE:
	case Q_WHERE:
		st = ledger_trace(s, which == Q_TRACE ? LEDGER_SUBJ_COMMIT :
		    LEDGER_SUBJ_ARTIFACT, which == Q_TRACE ? commit : digest,
		    NULL, &tr, &err);
		if (st == LEDGER_OK) {
			n = tr.n;
			st = which == Q_TRACE ? ledger_trace_json(&tr, &b) :
			    ledger_where_json(&tr, &b);
			ledger_trace_release(&tr);
		}
		break;
	case Q_STATE_SVC:
		o.service = svc;
		/* FALLTHROUGH */
	case Q_STATE:
		o.at_ms = to_ms;
		st = ledger_state_json(s, &o, &b, &n, &err);
		break;
	case Q_LAST_GOOD:
		o.service = svc;
		st = ledger_last_good_json(s, &o, &b, &yes, &err);
		n = yes;
		break;
	case Q_GATE:
		st = ledger_gate_json(s, digest, "production", "ops-1", NULL,
		    0, &b, &yes, &err);
		n = 1;
		break;
	case Q_TIMELINE_DAY:
		memset(&t, 0, sizeof(t));
		t.from_ms = from_ms;
		t.to_ms = to_ms;
		t.environment = "production";
		st = ledger_timeline_json(s, &t, &b, &n, &err);
		break;
	case Q_DEPLOYMENTS_DAY:
		st = ledger_deployments_json(s, &o, &b, &n, &err);
		break;
	case Q_EXCEPTIONS_DAY:
		st = ledger_exceptions_json(s, &o, LEDGER_EXC_UNAPPROVED, &b,
		    &n, &err);
		break;
	default:
		break;
	}
	if (st != LEDGER_OK)
		die("%s: %s", qnames[which], err.msg);
	if (which == Q_EXCEPTIONS_DAY)
		judged = strtoull(strstr((const char *)b.data, "\"judged\":") +
		    9, NULL, 10);
	ledger_buf_release(&b);
	return n;
}

static bool
wanted(int q)
{
	return only == NULL || strncmp(qnames[q], only, strlen(only)) == 0;
}

static void
measure(const char *dir, uint64_t entries, uint64_t runs, uint64_t queries,
    int64_t span, bool quarter)
{
	struct ledger_store *s;
	struct ledger_error err;
	double *lat, t0, rows, secs;
	uint64_t rng = 42, i;
	int q;

	if (ledger_store_open(dir, LEDGER_STORE_READONLY, &s, &err))
		die("open: %s", err.msg);
	if ((lat = calloc(queries, sizeof(*lat))) == NULL)
		die("out of memory");
	printf("\n%" PRIu64 " entries (%" PRIu64 " runs); %" PRIu64
	    " queries each, ms:\n", entries, runs, queries);
	printf("%-32s %8s %8s %8s %8s\n", "answer", "p50", "p99", "max",
	    "rows/q");
	for (q = 0; q < Q_COUNT; q++) {
		if (!wanted(q))
			continue;
		rows = 0;
		for (i = 0; i < queries; i++) {
			t0 = now();
			rows += (double)ask(s, (enum q)q, runs, &rng, span, 0,
			    0);
			lat[i] = 1000 * (now() - t0);
		}
		qsort(lat, queries, sizeof(*lat), cmp_double);
		printf("%-32s %8.2f %8.2f %8.2f %8.1f\n", qnames[q],
		    percentile(lat, queries, 50), percentile(lat, queries, 99),
		    lat[queries - 1], rows / (double)queries);
	}
	if (quarter)
		printf("a quarter (2026Q2), 3 runs each: rows, and rows per "
		    "second (slowest, fastest):\n");
	for (q = Q_TIMELINE_DAY; quarter && q <= Q_EXCEPTIONS_DAY; q++) {
		double lo = 0, hi = 0, rate, jlo = 0, jhi = 0, jrate;
		int k;

		if (!wanted(q))
			continue;
		for (k = 0; k < 3; k++) {
			t0 = now();
			rows = (double)ask(s, (enum q)q, runs, &rng, span,
			    YEAR_START_MS + 90 * DAY_MS,
			    YEAR_START_MS + 181 * DAY_MS);
			secs = now() - t0;
			rate = rows / secs;
			lo = k == 0 || rate < lo ? rate : lo;
			hi = k == 0 || rate > hi ? rate : hi;
			jrate = (double)judged / secs;
			jlo = k == 0 || jrate < jlo ? jrate : jlo;
			jhi = k == 0 || jrate > jhi ? jrate : jhi;
		}
		printf("  %-30.*s %8.0f rows: %8.0f .. %8.0f rows/s\n",
		    (int)(strchr(qnames[q], '(') - qnames[q] - 1), qnames[q],
		    rows, lo, hi);
		if (q == Q_EXCEPTIONS_DAY)
			printf("  %-30s %8" PRIu64 " judged: %8.0f .. %8.0f "
			    "deployments/s\n", "", judged, jlo, jhi);
	}
	printf("VmRSS after the answers: %ld KiB\n", proc_status_kib("VmRSS"));
	free(lat);
	ledger_store_close(s);
}

int
main(int argc, char **argv)
{
	struct ledger_error err;
	struct gen g;
	char tmpl[] = "/tmp/bench-answers-XXXXXX", cmd[4200];
	const char *dir = NULL;
	uint64_t n = 1000000, queries = 200, r = 0, mark = 100000;
	double t0;
	bool keep = false, tmp = false, measured_mark = false;
	int c;

	while ((c = getopt(argc, argv, "a:d:kn:q:")) != -1) {
		switch (c) {
		case 'a': only = optarg; break;
		case 'd': dir = optarg; break;
		case 'k': keep = true; break;
		case 'n':
			if (!parse_count(optarg, 1000, 100000000, &n))
				die("-n: 1000 to 100000000");
			break;
		case 'q':
			if (!parse_count(optarg, 10, 100000, &queries))
				die("-q: 10 to 100000");
			break;
		default:
			die("usage: bench-answers [-k] [-d dir] [-n entries] "
			    "[-q queries] [-a answer]");
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sodium_init() < 0)
		die("sodium_init");
	print_loadavg("start");
	print_sign_time();
	if (keep) {
		if (dir == NULL)
			die("-k needs -d dir");
		/* a read-write open brings an older ledger to this
		 * schema (a migration may rebuild the lookup keys) */
		t0 = now();
		if (ledger_store_open(dir, 0, &g.s, &err) != LEDGER_OK)
			die("open %s: %s", dir, err.msg);
		printf("open read-write (migrations): %.1f s\n", now() - t0);
		settle(g.s);
		ledger_store_close(g.s);
		measure(dir, n, n / 7, queries, YEAR_MS, true);
		return 0;
	}
	if (dir == NULL) {
		if (mkdtemp(tmpl) == NULL)
			die("mkdtemp");
		dir = tmpl;
		tmp = true;
	}
	if (ledger_store_init(dir, "bench.example/answers", &err) != LEDGER_OK)
		die("init: %s", err.msg);
	memset(&g, 0, sizeof(g));
	g.rng = 7;
	g.target = n;
	ledger_set_clock(sim_clock);
	sim_ms = YEAR_START_MS;
	if (ledger_store_open(dir, 0, &g.s, &err) != LEDGER_OK)
		die("open: %s", err.msg);
	t0 = now();
	while (g.total < n) {
		one_run(&g, r++);
		bench_progress("build", g.total, n);
		if (!measured_mark && g.total >= mark && n > mark) {
			flush(&g);
			bench_progress("build", n, n);	/* clear the line */
			printf("built %" PRIu64 " entries in %.1f s\n", g.total,
			    now() - t0);
			ledger_set_clock(NULL);
			settle(g.s);
			measure(dir, g.total, r, queries, (int64_t)((double)
			    YEAR_MS * (double)g.total / (double)n), false);
			ledger_set_clock(sim_clock);
			measured_mark = true;
			t0 = now();
		}
	}
	flush(&g);
	bench_progress("build", n, n);
	ledger_set_clock(NULL);
	printf("built %" PRIu64 " entries (%" PRIu64 " more) in %.1f s\n",
	    g.total, g.total - (measured_mark ? mark : 0), now() - t0);
	settle(g.s);
	ledger_store_close(g.s);
	measure(dir, g.total, r, queries, YEAR_MS, true);
	if (tmp) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "%s: could not remove %s\n", progname,
			    dir);
	}
	return 0;
}
