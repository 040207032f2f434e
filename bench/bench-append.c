/*
 * bench-append.c - what appending and verifying cost on this machine
 *
 *	bench-append [-1kPVW] [-b batch] [-D none|seq|uuid] [-d dir] [-n events]
 *
 * One run measures, on the machine it runs on:
 *
 *  1. the primitives every entry pays for: Ed25519 sign and verify of the
 *     49-byte message ledger_key_sign_leaf signs, SHA-256 of an entry-sized
 *     (600 B) and a payload-sized (1 KiB) input, zlib of the 1 KiB payload,
 *     parsing the same document as POST /v1/events does, and one fdatasync;
 *  2. the durable append path: a fresh ledger (ledger_store_init), N events
 *     with a 1 KiB JSON payload built inside the timed loop, appended in
 *     batches through ledger_store_append (WAL, synchronous=FULL, exactly as
 *     the store opens its database).  A producer thread builds the next
 *     batch while the current one is appended, as ledgerd's request threads
 *     build events while its sequencer appends; -1 builds and appends on
 *     one thread, one after the other;
 *  3. verify: ledger_verify_store on that ledger with every signature,
 *     payload and index checked, once on all cores and once on one.
 *
 *	-1		build and append on one thread (no producer)
 *	-n events	how many to append (200000)
 *	-b batch	events per ledger_store_append call (256)
 *	-D kind		delivery ids: uuid (random, as webhooks send), seq
 *			(time-ordered) or none (uuid)
 *	-d dir		create the ledger in dir and keep it (default: a
 *			temporary directory, removed at exit)
 *	-k		skip the append: verify the existing ledger in -d dir
 *	-P, -V		skip the primitives, the verify (to profile one phase)
 *	-W		open the writer as ledgerd does
 *			(LEDGER_STORE_MANUAL_WAL) with a passive checkpoint
 *			once a second from a second handle, instead of the
 *			store's inline checkpoints
 *
 * The fdatasync probe creates and removes a temporary file in the data
 * directory.  Each phase reports how much CPU other processes took while it
 * ran: the machine must be otherwise idle for the numbers to mean anything.
 * Not a test: numbers vary 10-30% run to run (docs/performance.md).  For
 * repeatable comparisons count instructions with valgrind --tool=callgrind.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <zlib.h>

#include "ledger-config.h"
#include "bench-util.h"
#include "ledger/entry.h"
#include "ledger/keys.h"
#include "ledger/store.h"
#include "ledger/verify.h"

#define PAYLOAD_BYTES	1024
#define SIG_MSG_BYTES	49	/* "ledgerd/entry/v1\n" || leaf hash */
#define TRIAL_SECONDS	0.15	/* per timing trial of a primitive */
#define TRIALS		3	/* median of */

/* Targets from DESIGN.md "Performance targets" (2 cores). */
#define TARGET_APPEND	15000.0
#define TARGET_VERIFY	25000.0

enum delivery { DELIVERY_NONE, DELIVERY_SEQ, DELIVERY_UUID };

const char *progname = "bench-append";


static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: %s [-1kPVW] [-b batch] [-D none|seq|uuid] "
	    "[-d dir] [-n events]\n", progname);
	exit(2);
}

/* Misuse: say what is wrong, then the usage; exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage();
}


/* CPU seconds used by this process so far (all threads), user and sys. */
static void
cpu_seconds(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	*sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* v with thousands separators, no decimals: "16,234". */
static const char *
grouped(double v, char *out, size_t n)
{
	char digits[32];
	size_t len, i, j = 0;

	snprintf(digits, sizeof(digits), "%.0f", v < 0 ? 0 : v);
	len = strlen(digits);
	for (i = 0; i < len && j + 2 < n; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = digits[i];
	}
	out[j] = '\0';
	return out;
}


/* A line saying how much CPU other processes took during a phase. */
static void
print_others(double busy0, double busy1, double own, double wall)
{
	double other;

	if (busy0 < 0 || busy1 < 0 || wall <= 0)
		return;
	other = (busy1 - busy0 - own) / wall * 100.0;
	if (other < 0)
		other = 0;
	printf("  %-34s %11.0f%%  of one core%s\n", "other processes' CPU",
	    other, other > 10 ? " (NOT an idle machine: numbers are low)" :
	    "");
}

/* Bytes this process has caused to be written to storage so far
 * (write_bytes of /proc/self/io), or -1 where that is not available. */
static long long
io_write_bytes(void)
{
	char line[128];
	long long v = -1;
	FILE *f;

	if ((f = fopen("/proc/self/io", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "write_bytes: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}



/* ---- realistic events ---- */


static void
rnd_hex(uint64_t *s, char *out, size_t nhex)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < nhex; i++) {
		if (i % 16 == 0)
			v = rnd(s);
		out[i] = hex[v & 0xf];
		v >>= 4;
	}
	out[nhex] = '\0';
}

/* The fields of one synthetic CI build event. */
struct fields {
	char run[24];
	char commit[41];
	char artifact[8 + 64];
	char url[128];
	char service[32];
	char environment[16];
	char status[16];
	char delivery[40];
};

static const char *const services[] = { "payments-api", "checkout-web",
    "ledger-worker", "search-indexer", "auth-gateway", "billing-cron" };
static const char *const environments[] = { "staging", "production", "dev" };

static void
make_fields(uint64_t i, uint64_t *rs, enum delivery d, struct fields *f)
{
	char h[33];
	uint64_t v = rnd(rs);

	snprintf(f->run, sizeof(f->run), "%" PRIu64, 4000000 + i);
	rnd_hex(rs, f->commit, 40);
	memcpy(f->artifact, "sha256:", 7);
	rnd_hex(rs, f->artifact + 7, 64);
	snprintf(f->service, sizeof(f->service), "%s",
	    services[v % (sizeof(services) / sizeof(*services))]);
	snprintf(f->environment, sizeof(f->environment), "%s",
	    environments[(v >> 8) % 3]);
	snprintf(f->status, sizeof(f->status), "%s",
	    (v >> 16) % 20 == 0 ? "failure" : "success");
	snprintf(f->url, sizeof(f->url),
	    "https://ci.example.com/%s/pipelines/ci/runs/%s", f->service,
	    f->run);
	f->delivery[0] = '\0';
	if (d == DELIVERY_SEQ)
		snprintf(f->delivery, sizeof(f->delivery), "bench-%016" PRIx64,
		    i);
	else if (d == DELIVERY_UUID) {
		/* A random (version 4) UUID, like webhook delivery GUIDs. */
		rnd_hex(rs, h, 32);
		snprintf(f->delivery, sizeof(f->delivery),
		    "%.8s-%.4s-4%.3s-a%.3s-%.12s", h, h + 8, h + 12, h + 15,
		    h + 18);
	}
}

/*
 * The body a CI system would POST for this build: the generic event
 * document of ledger_event_from_json, padded with a log tail to exactly
 * PAYLOAD_BYTES.  Returns its length.
 */
static size_t
make_body(const struct fields *f, uint64_t *rs, char *out, size_t cap)
{
	static const char tail[] =
	    "ok  \\tgithub.com/example/payments/internal/ledger"
	    "\\t0.412s\\n"
	    "ok  \\tgithub.com/example/payments/internal/api\\t1.093s\\n"
	    "ok  \\tgithub.com/example/payments/internal/store"
	    "\\t2.871s\\n"
	    "ok  \\tgithub.com/example/payments/cmd/server\\t0.057s\\n"
	    "PASS coverage: 81.3% of statements\\n"
	    "uploading artifact dist/server.tar.gz (18.2 MiB) done\\n"
	    "uploading sbom dist/server.spdx.json (412 KiB) done\\n"
	    "signing provenance with sigstore keyless: done\\n"
	    "publishing image registry.example.com/payments/server done\\n"
	    "cleaning workspace /builds/runner/work/payments done\\n"
	    "job finished with exit code 0 after 312 steps and 41 caches\\n";
	uint64_t v = rnd(rs);
	size_t n, pad;
	int len;

	len = snprintf(out, cap,
	    "{\"kind\":\"build\",\"event\":\"build.finished\","
	    "\"subject\":{\"pipeline\":\"%s/ci\",\"run\":\"%s\","
	    "\"commit\":\"%s\",\"environment\":\"%s\",\"service\":\"%s\","
	    "\"status\":\"%s\",\"actor\":\"ci-bot@example.com\","
	    "\"artifact\":\"%s\",\"url\":\"%s\"},"
	    "\"payload\":{\"repository\":\"example/%s\","
	    "\"ref\":\"refs/heads/main\",\"trigger\":\"push\","
	    "\"runner\":\"runner-%02u\",\"started_at\":"
	    "\"2026-11-22T10:%02u:%02u.%03uZ\",\"duration_ms\":%u,"
	    "\"steps\":[{\"name\":\"checkout\",\"duration_ms\":%u},"
	    "{\"name\":\"deps\",\"duration_ms\":%u},"
	    "{\"name\":\"compile\",\"duration_ms\":%u},"
	    "{\"name\":\"unit-tests\",\"duration_ms\":%u,\"passed\":%u,"
	    "\"failed\":0}],\"cache_hit\":%s,\"log_tail\":\"",
	    f->service, f->run, f->commit, f->environment, f->service,
	    f->status, f->artifact, f->url, f->service,
	    (unsigned)(v % 64), (unsigned)(v >> 6) % 60,
	    (unsigned)(v >> 12) % 60, (unsigned)(v >> 18) % 1000,
	    (unsigned)(v >> 28) % 900000, (unsigned)(v >> 20) % 9000,
	    (unsigned)(v >> 24) % 90000, (unsigned)(v >> 32) % 400000,
	    (unsigned)(v >> 40) % 300000, 1000 + (unsigned)(v >> 48) % 3000,
	    (v >> 60) & 1 ? "true" : "false");
	if (len < 0 || (size_t)len + 4 > cap || (size_t)len + 3 > PAYLOAD_BYTES)
		die("event template does not fit in %d bytes", PAYLOAD_BYTES);
	n = (size_t)len;
	/* Pad to PAYLOAD_BYTES - 3 (for "\"}}"), never ending inside an
	 * escape sequence. */
	pad = PAYLOAD_BYTES - 3 - n;
	while (pad > 0) {
		size_t k = pad < sizeof(tail) - 1 ? pad : sizeof(tail) - 1;

		memcpy(out + n, tail, k);
		if (out[n + k - 1] == '\\')
			out[n + k - 1] = '.';
		n += k;
		pad -= k;
	}
	memcpy(out + n, "\"}}", 4);
	return n + 3;
}

/* Build one event the way a caller of the library does. */
static struct ledger_event *
build_event(uint64_t i, uint64_t *rs, enum delivery d)
{
	struct ledger_event *ev = NULL;
	struct ledger_error err;
	struct fields f;
	char body[PAYLOAD_BYTES + 64];
	size_t len;
	char pipeline[48];

	make_fields(i, rs, d, &f);
	len = make_body(&f, rs, body, sizeof(body));
	snprintf(pipeline, sizeof(pipeline), "%s/ci", f.service);
	if (ledger_event_new(&ev, &err) != LEDGER_OK)
		die("event: %s", err.msg);
	ev->e.kind = LEDGER_KIND_BUILD;
	if (ledger_event_set_source(ev, LEDGER_SRC_NAME, "api", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_TYPE, "generic", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_EVENT, "build.finished",
	    &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_AUTH, "bearer-token:1",
	    &err) ||
	    (f.delivery[0] != '\0' && ledger_event_set_source(ev,
	    LEDGER_SRC_DELIVERY, f.delivery, &err)) ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_PIPELINE, pipeline,
	    &err) ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_RUN, f.run, &err) ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_COMMIT, f.commit, &err) ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_ENVIRONMENT,
	    f.environment, &err) ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_SERVICE, f.service,
	    &err) ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_STATUS, f.status, &err) ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_ACTOR,
	    "ci-bot@example.com", &err) ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_ARTIFACT, f.artifact,
	    &err) ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_URL, f.url, &err) ||
	    ledger_event_set_payload(ev, body, len, "application/json", &err))
		die("build event %" PRIu64 ": %s", i, err.msg);
	return ev;
}

/* ---- primitives ---- */

struct prim_ctx {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	uint8_t msg[SIG_MSG_BYTES];
	uint8_t sig[crypto_sign_BYTES];
	uint8_t buf[PAYLOAD_BYTES];
	char body[PAYLOAD_BYTES + 64];
	size_t body_len;
	int fd;
	unsigned long failures;
};

static void
op_sign(struct prim_ctx *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		c->msg[0] = (uint8_t)i;
		crypto_sign_detached(c->sig, NULL, c->msg, sizeof(c->msg),
		    c->sk);
	}
}

static void
op_verify(struct prim_ctx *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (crypto_sign_verify_detached(c->sig, c->msg,
		    sizeof(c->msg), c->pk) != 0)
			c->failures++;
}

static void
op_sha600(struct prim_ctx *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		crypto_hash_sha256(c->buf, c->buf, 600);
}

static void
op_sha1k(struct prim_ctx *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		crypto_hash_sha256(c->buf, c->buf, PAYLOAD_BYTES);
}

static void
op_deflate(struct prim_ctx *c, size_t n)
{
	uint8_t *z;
	size_t i, zlen;

	for (i = 0; i < n; i++) {
		if (ledger_payload_deflate(c->body, c->body_len, &z, &zlen,
		    NULL) != LEDGER_OK)
			c->failures++;
		else
			free(z);
	}
}

static void
op_from_json(struct prim_ctx *c, size_t n)
{
	struct ledger_event *ev;
	struct ledger_error err;
	size_t i;

	for (i = 0; i < n; i++) {
		ev = NULL;
		if (ledger_event_from_json(c->body, c->body_len, -1, &ev,
		    &err) != LEDGER_OK)
			die("ledger_event_from_json: %s", err.msg);
		ledger_event_free(ev);
	}
}

static void
op_fsync(struct prim_ctx *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		c->buf[0] = (uint8_t)i;
		if (pwrite(c->fd, c->buf, sizeof(c->buf), 0) < 0 ||
		    fdatasync(c->fd) != 0)
			c->failures++;
	}
}

struct prim {
	const char *name;
	void (*fn)(struct prim_ctx *, size_t);
};

/* Seconds per operation: the median of TRIALS timed runs, each long
 * enough (TRIAL_SECONDS) to make the clock's resolution irrelevant. */
static double
time_prim(const struct prim *p, struct prim_ctx *c)
{
	double t[TRIALS], t0, dt;
	size_t iters = 4;
	int k;

	for (;;) {		/* calibrate */
		t0 = now();
		p->fn(c, iters);
		dt = now() - t0;
		if (dt >= TRIAL_SECONDS / 4)
			break;
		iters *= 2;
	}
	iters = (size_t)((double)iters * TRIAL_SECONDS / dt) + 1;
	for (k = 0; k < TRIALS; k++) {
		t0 = now();
		p->fn(c, iters);
		t[k] = (now() - t0) / (double)iters;
	}
	qsort(t, TRIALS, sizeof(*t), cmp_double);
	return t[TRIALS / 2];
}

/* The cost of each primitive; the per-op times come back in out[]. */
static void
bench_primitives(const char *dir, double *out_sign, double *out_verify)
{
	static const struct prim prims[] = {
		{ "Ed25519 sign (49 B, crypto_sign_detached)", op_sign },
		{ "Ed25519 verify (49 B)", op_verify },
		{ "SHA-256 of 600 B (an entry)", op_sha600 },
		{ "SHA-256 of 1 KiB (a payload)", op_sha1k },
		{ "zlib level 1 of the 1 KiB body", op_deflate },
		{ "ledger_event_from_json, 1 KiB body", op_from_json },
		{ "fdatasync of a 1 KiB overwrite", op_fsync },
	};
	struct prim_ctx *c;
	struct fields f;
	uint64_t rs = 0x9e3779b97f4a7c15ULL;
	char path[4096], a[32];
	size_t i;
	double s, t0, u0, s0, u1, s1, mb0;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		die("out of memory");
	crypto_sign_keypair(c->pk, c->sk);
	randombytes_buf(c->msg, sizeof(c->msg));
	randombytes_buf(c->buf, sizeof(c->buf));
	make_fields(1, &rs, DELIVERY_NONE, &f);
	c->body_len = make_body(&f, &rs, c->body, sizeof(c->body));
	if (snprintf(path, sizeof(path), "%s/.bench-fsync-XXXXXX", dir) >=
	    (int)sizeof(path))
		die("'%s': path too long", dir);
	if ((c->fd = mkstemp(path)) < 0)
		die("create '%s': %s", path, strerror(errno));
	unlink(path);

	printf("\n1. primitives (median of %d timed runs each)\n\n", TRIALS);
	printf("  %-42s %12s %10s\n", "operation", "ops/s", "us/op");
	cpu_seconds(&u0, &s0);
	mb0 = machine_busy_seconds();
	t0 = now();
	for (i = 0; i < sizeof(prims) / sizeof(*prims); i++) {
		if (prims[i].fn == op_verify)	/* a valid signature */
			crypto_sign_detached(c->sig, NULL, c->msg,
			    sizeof(c->msg), c->sk);
		s = time_prim(&prims[i], c);
		if (c->failures > 0)
			die("%s failed %lu times", prims[i].name, c->failures);
		printf("  %-42s %12s %10.2f\n", prims[i].name,
		    grouped(1.0 / s, a, sizeof(a)), s * 1e6);
		if (prims[i].fn == op_sign)
			*out_sign = s;
		if (prims[i].fn == op_verify)
			*out_verify = s;
	}
	cpu_seconds(&u1, &s1);
	print_others(mb0, machine_busy_seconds(), (u1 - u0) + (s1 - s0),
	    now() - t0);
	close(c->fd);
	sodium_memzero(c->sk, sizeof(c->sk));
	free(c);
}

/* ---- the checkpointer a daemon runs beside its writer (-W) ---- */

static struct {
	pthread_t tid;
	atomic_bool stop;
	const char *dir;
} ckpt;

static void *
checkpointer(void *arg)
{
	struct ledger_store *m = NULL;
	struct ledger_error err;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int ticks = 0;

	(void)arg;
	if (ledger_store_open(ckpt.dir, LEDGER_STORE_NOKEY, &m, &err))
		die("open '%s' for checkpoints: %s", ckpt.dir, err.msg);
	while (!atomic_load(&ckpt.stop)) {
		nanosleep(&ts, NULL);
		if (++ticks % 20 == 0 &&
		    ledger_store_wal_checkpoint(m, &err) != LEDGER_OK)
			fprintf(stderr, "%s: wal checkpoint: %s\n", progname,
			    err.msg);
	}
	ledger_store_close(m);
	return NULL;
}

/* ---- append ---- */

static off_t
file_size(const char *dir, const char *name)
{
	char path[4096];
	struct stat sb;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return 0;
	return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/*
 * The producer (default): a second thread builds batch k+1 while the
 * caller appends batch k, as ledgerd's request threads build events while
 * its sequencer appends.  Two slots, each a batch, handed back and forth.
 * With -1 the caller builds and appends alone.
 */
struct producer {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ledger_event **slot[2];
	size_t count[2];
	bool full[2];
	uint64_t n, next;		/* events to build, built so far */
	size_t batch;
	enum delivery d;
	uint64_t rs;
	double build;			/* seconds spent building */
};

static void *
producer_main(void *arg)
{
	struct producer *p = arg;
	double t0;
	size_t i, k;
	int sl = 0;

	while (p->next < p->n) {
		pthread_mutex_lock(&p->mu);
		while (p->full[sl])
			pthread_cond_wait(&p->cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
		/* the slot's previous batch was appended: free it here */
		for (i = 0; i < p->count[sl]; i++)
			ledger_event_free(p->slot[sl][i]);
		k = p->n - p->next < p->batch ? (size_t)(p->n - p->next) :
		    p->batch;
		t0 = now();
		for (i = 0; i < k; i++)
			p->slot[sl][i] = build_event(p->next + i, &p->rs, p->d);
		t0 = now() - t0;
		p->next += k;
		pthread_mutex_lock(&p->mu);
		p->build += t0;
		p->count[sl] = k;
		p->full[sl] = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		sl ^= 1;
	}
	return NULL;
}

/* The next built batch (slot sl), waiting for it; *build receives the
 * producer's building time so far. */
static size_t
producer_take(struct producer *p, int sl, double *build)
{
	size_t k;

	pthread_mutex_lock(&p->mu);
	while (!p->full[sl])
		pthread_cond_wait(&p->cv, &p->mu);
	k = p->count[sl];
	*build = p->build;
	pthread_mutex_unlock(&p->mu);
	return k;
}

static void
producer_give_back(struct producer *p, int sl)
{
	pthread_mutex_lock(&p->mu);
	p->full[sl] = false;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static double
bench_append(const char *dir, uint64_t n, size_t batch, enum delivery d,
    bool daemon_wal, bool alone)
{
	static const char *const dnames[] = { "none", "sequential",
	    "random UUID" };
	struct ledger_event **evs;
	struct ledger_receipt *rc;
	struct ledger_store *s = NULL;
	struct ledger_error err;
	uint64_t done = 0, rs = 0x243f6a8885a308d3ULL;
	size_t nb = 0, i, k, maxb = (size_t)((n + batch - 1) / batch);
	double *lat, t0, t1, t2, t3, start, wall, build = 0, app = 0, frees = 0;
	double u0, s0, u1, s1, eps, tick, tb = 0, ta = 0, pb_last = 0;
	double mb0, mb1;
	long long wb0, wb1;
	uint64_t tk = 0;
	char a[32], b[32];

	struct producer prod;
	int sl = 0;

	evs = calloc(batch, sizeof(*evs));
	rc = calloc(batch, sizeof(*rc));
	lat = calloc(maxb, sizeof(*lat));
	memset(&prod, 0, sizeof(prod));
	prod.slot[0] = calloc(batch, sizeof(*evs));
	prod.slot[1] = calloc(batch, sizeof(*evs));
	if (evs == NULL || rc == NULL || lat == NULL || prod.slot[0] == NULL ||
	    prod.slot[1] == NULL)
		die("out of memory");
	if (ledger_store_open(dir, daemon_wal ? LEDGER_STORE_MANUAL_WAL : 0, &s,
	    &err) != LEDGER_OK)
		die("open '%s': %s", dir, err.msg);
	if (daemon_wal) {
		ckpt.dir = dir;
		atomic_store(&ckpt.stop, false);
		if (pthread_create(&ckpt.tid, NULL, checkpointer, NULL) != 0)
			die("cannot start the checkpoint thread");
	}

	printf("\n2. durable append: %" PRIu64 " events, %d B JSON payload, "
	    "batches of %zu,\n   ledger_store_append, WAL synchronous=FULL, "
	    "delivery ids: %s,\n   %s,\n   %s\n\n", n, PAYLOAD_BYTES, batch,
	    dnames[d], daemon_wal ? "daemon WAL mode (a passive checkpoint "
	    "once a second from another handle)" :
	    "inline WAL checkpoints (the store's default)", alone ?
	    "one thread builds each batch, then appends it (-1)" :
	    "a producer thread builds the next batch while this one appends\n"
	    "   (as ledgerd's request threads do while its sequencer appends)");
	printf("  %-14s %12s %12s %12s\n", "progress", "events/s",
	    "build us/ev", "append us/ev");
	fflush(stdout);
	cpu_seconds(&u0, &s0);
	mb0 = machine_busy_seconds();
	wb0 = io_write_bytes();
	start = now();
	tick = start;
	if (!alone) {
		prod.n = n;
		prod.batch = batch;
		prod.d = d;
		prod.rs = rs;
		if (pthread_mutex_init(&prod.mu, NULL) != 0 ||
		    pthread_cond_init(&prod.cv, NULL) != 0 ||
		    pthread_create(&prod.tid, NULL, producer_main, &prod) != 0)
			die("cannot start the producer thread");
	}
	while (done < n) {
		struct ledger_event **bevs = evs;
		double pb_now = 0;

		t0 = now();
		if (alone) {
			k = n - done < batch ? (size_t)(n - done) : batch;
			for (i = 0; i < k; i++)
				evs[i] = build_event(done + i, &rs, d);
		} else {
			k = producer_take(&prod, sl, &pb_now);
			bevs = prod.slot[sl];
		}
		t1 = now();
		if (ledger_store_append(s, bevs, k, rc, &err) != LEDGER_OK)
			die("append batch at %" PRIu64 ": %s", done, err.msg);
		t2 = now();
		for (i = 0; i < k; i++) {
			if (rc[i].duplicate || rc[i].seq != done + i)
				die("receipt %zu of batch at %" PRIu64 " is "
				    "seq %" PRIu64 "%s", i, done, rc[i].seq,
				    rc[i].duplicate ? " (duplicate)" : "");
			if (alone)
				ledger_event_free(evs[i]);
		}
		if (!alone) {
			producer_give_back(&prod, sl);
			sl ^= 1;
		}
		t3 = now();
		if (alone) {
			build += t1 - t0;
			tb += t1 - t0;
		} else {	/* the producer's building time */
			tb += pb_now - pb_last;
			pb_last = pb_now;
		}
		app += t2 - t1;
		frees += t3 - t2;
		lat[nb++] = t2 - t1;
		done += k;
		ta += t2 - t1;
		bench_progress("append", done, n);
		tk += k;
		if (done * 10 / n != (done - k) * 10 / n || done == n) {
			printf("  %-14" PRIu64 " %12s %12.1f %12.1f\n", done,
			    grouped((double)tk / (t3 - tick), a, sizeof(a)),
			    tb / (double)tk * 1e6, ta / (double)tk * 1e6);
			fflush(stdout);
			tick = t3;
			tb = ta = 0;
			tk = 0;
		}
	}
	printf("\n");
	wall = now() - start;
	if (!alone) {
		pthread_join(prod.tid, NULL);
		for (sl = 0; sl < 2; sl++)	/* appended, not yet freed */
			for (i = 0; i < prod.count[sl]; i++)
				ledger_event_free(prod.slot[sl][i]);
		build = prod.build;
		pthread_cond_destroy(&prod.cv);
		pthread_mutex_destroy(&prod.mu);
	}
	free(prod.slot[0]);
	free(prod.slot[1]);
	cpu_seconds(&u1, &s1);
	mb1 = machine_busy_seconds();
	wb1 = io_write_bytes();
	if (daemon_wal) {
		atomic_store(&ckpt.stop, true);
		pthread_join(ckpt.tid, NULL);
	}
	ledger_store_close(s);

	eps = (double)n / wall;
	qsort(lat, nb, sizeof(*lat), cmp_double);
	printf("  %-34s %12s   target >= %s: %s\n", "events/s (durable)",
	    grouped(eps, a, sizeof(a)), grouped(TARGET_APPEND, b, sizeof(b)),
	    eps >= TARGET_APPEND ? "met" : "MISSED");
	printf("  %-34s %12.2f s\n", "wall time", wall);
	printf("  %-34s %12.2f s  (user %.2f, sys %.2f; %.0f%% of one "
	    "core)\n", "CPU time", (u1 - u0) + (s1 - s0), u1 - u0, s1 - s0,
	    100.0 * ((u1 - u0) + (s1 - s0)) / wall);
	print_others(mb0, mb1, (u1 - u0) + (s1 - s0), wall);
	printf("  %-34s %12.1f us  (new, set fields, deflate, hash)\n",
	    "build one event", build / (double)n * 1e6);
	printf("  %-34s %12.1f us  (encode, hash, sign, insert, commit)\n",
	    "append one event", app / (double)n * 1e6);
	printf("  %-34s %12.1f us\n", "free one event",
	    frees / (double)n * 1e6);
	printf("  batch latency (ledger_store_append of %zu events):\n", batch);
	printf("  %-34s %12.2f ms\n", "  p50", percentile(lat, nb, 50) * 1e3);
	printf("  %-34s %12.2f ms\n", "  p99", percentile(lat, nb, 99) * 1e3);
	printf("  %-34s %12.2f ms\n", "  max", lat[nb - 1] * 1e3);
	if (wb0 >= 0 && wb1 >= wb0)
		printf("  %-34s %12.1f KiB (%.1fx the %.1f KiB it occupies)\n",
		    "written to disk per event", (double)(wb1 - wb0) /
		    (double)n / 1024.0, (double)(wb1 - wb0) /
		    (double)file_size(dir, LEDGER_DB_FILE),
		    (double)file_size(dir, LEDGER_DB_FILE) / (double)n /
		    1024.0);
	printf("  %-34s %12.1f MiB (+ %.1f MiB WAL)\n", "database size",
	    (double)file_size(dir, LEDGER_DB_FILE) / 1048576.0,
	    (double)file_size(dir, LEDGER_DB_FILE "-wal") / 1048576.0);
	free(evs);
	free(rc);
	free(lat);
	return eps;
}

/* ---- verify ---- */

static void
on_problem(void *ctx, uint64_t seq, enum ledger_problem p, const char *detail)
{
	unsigned long *shown = ctx;

	if ((*shown)++ < 10)
		fprintf(stderr, "%s: verify: seq %" PRIu64 ": %s: %s\n",
		    progname, seq, ledger_problem_name(p), detail);
}

static double
verify_once(const char *dir, int threads, int ncores)
{
	struct ledger_verify_opts o;
	struct ledger_verify_report rep;
	struct ledger_store *s = NULL;
	struct ledger_error err;
	unsigned long shown = 0;
	double t0, wall, u0, s0, u1, s1, eps, mb0, mb1, other;
	char a[32], label[32];

	if (ledger_store_open(dir, LEDGER_STORE_READONLY, &s, &err))
		die("open '%s': %s", dir, err.msg);
	memset(&o, 0, sizeof(o));
	o.threads = threads;
	cpu_seconds(&u0, &s0);
	mb0 = machine_busy_seconds();
	t0 = now();
	if (ledger_verify_store(s, &o, on_problem, &shown, &rep, &err))
		die("verify '%s': %s", dir, err.msg);
	wall = now() - t0;
	cpu_seconds(&u1, &s1);
	mb1 = machine_busy_seconds();
	ledger_store_close(s);
	if (rep.problems != 0)
		die("verify found %" PRIu64 " problems in %" PRIu64 " entries",
		    rep.problems, rep.entries);
	if (rep.entries == 0)
		die("'%s' holds no entries to verify", dir);
	eps = (double)rep.entries / wall;
	if (threads == 0)
		snprintf(label, sizeof(label), "%d (all cores)", ncores);
	else
		snprintf(label, sizeof(label), "%d", threads);
	other = mb0 < 0 || mb1 < 0 ? 0 : 100.0 * (mb1 - mb0 - (u1 - u0) -
	    (s1 - s0)) / wall;
	printf("  %-16s %12s %9.2f s %9.2f s %6.0f%% %7.0f%%   %s\n", label,
	    grouped(eps, a, sizeof(a)), wall, (u1 - u0) + (s1 - s0),
	    100.0 * ((u1 - u0) + (s1 - s0)) / wall, other < 0 ? 0 : other,
	    threads == 0 ? (eps >= TARGET_VERIFY ? "met" : "MISSED") : "");
	return eps;
}

static void
bench_verify(const char *dir, int ncores, double *all, double *one)
{
	char b[32];

	printf("\n3. verify (ledger_verify_store: every leaf hash, link, "
	    "signature,\n   payload and indexed column; target >= %s "
	    "entries/s on all cores)\n\n", grouped(TARGET_VERIFY, b,
	    sizeof(b)));
	printf("  %-16s %12s %11s %11s %7s %8s\n", "threads", "entries/s",
	    "wall", "CPU", "util", "others");
	fflush(stdout);
	*all = verify_once(dir, 0, ncores);
	fflush(stdout);
	*one = verify_once(dir, 1, ncores);
}

/* ---- main ---- */


static void
remove_tree(const char *dir)
{
	static const char *const names[] = { LEDGER_DB_FILE,
	    LEDGER_DB_FILE "-wal", LEDGER_DB_FILE "-shm", LEDGER_KEY_FILE,
	    LEDGER_PUB_FILE };
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) <
		    (int)sizeof(path))
			unlink(path);
	}
	rmdir(dir);
}

/* The temporary data directory, removed at exit (also after die()). */
static char tmpdir[4096];

static void
cleanup(void)
{
	if (tmpdir[0] != '\0')
		remove_tree(tmpdir);
}


int
main(int argc, char **argv)
{
	struct ledger_error err;
	struct utsname un;
	enum delivery d = DELIVERY_UUID;
	uint64_t n = 200000, batch = 256;
	const char *dir = NULL;
	char tmpl[4096], cpu[128] = "unknown CPU", line[256], a[32];
	bool skip_append = false, daemon_wal = false, keep;
	bool skip_prims = false, skip_verify = false, alone = false;
	double sign = 0, ver = 0, eps = 0, v_all = 0, v_one = 0;
	FILE *f;
	int ch, ncores;

	while ((ch = getopt(argc, argv, "1b:D:d:kn:PVW")) != -1) {
		switch (ch) {
		case 'b':
			if (!parse_count(optarg, 1, LEDGER_BATCH_MAX, &batch))
				usage_error("bad batch size '%s' (1..%d)",
				    optarg, LEDGER_BATCH_MAX);
			break;
		case 'D':
			if (strcmp(optarg, "none") == 0)
				d = DELIVERY_NONE;
			else if (strcmp(optarg, "seq") == 0)
				d = DELIVERY_SEQ;
			else if (strcmp(optarg, "uuid") == 0)
				d = DELIVERY_UUID;
			else
				usage_error("bad delivery kind '%s' "
				    "(none, seq, uuid)", optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'k':
			skip_append = true;
			break;
		case 'n':
			if (!parse_count(optarg, 1, UINT64_C(1) << 40, &n))
				usage_error("bad event count '%s'", optarg);
			break;
		case 'P':
			skip_prims = true;
			break;
		case 'V':
			skip_verify = true;
			break;
		case 'W':
			daemon_wal = true;
			break;
		case '1':
			alone = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (skip_append && dir == NULL)
		usage_error("-k verifies an existing ledger: name it with -d");
	if (sodium_init() < 0)
		die("libsodium failed to initialize");
	keep = dir != NULL;
	if (dir == NULL) {
		const char *t = getenv("TMPDIR");

		if (snprintf(tmpl, sizeof(tmpl), "%s/bench-append-XXXXXX",
		    t != NULL && *t != '\0' ? t : "/tmp") >= (int)sizeof(tmpl))
			die("TMPDIR is too long");
		if (mkdtemp(tmpl) == NULL)
			die("create a temporary directory: %s",
			    strerror(errno));
		dir = tmpl;
		memcpy(tmpdir, tmpl, sizeof(tmpdir));
		atexit(cleanup);
	}
	if (!skip_append && ledger_store_init(dir, "bench.example/ledgerd",
	    &err) != LEDGER_OK)
		die("init '%s': %s", dir, err.msg);

	ncores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "model name", 10) == 0 &&
			    strchr(line, ':') != NULL) {
				snprintf(cpu, sizeof(cpu), "%s",
				    strchr(line, ':') + 2);
				cpu[strcspn(cpu, "\n")] = '\0';
				break;
			}
		fclose(f);
	}
	if (uname(&un) != 0)
		memset(&un, 0, sizeof(un));
	printf("bench-append (ledgerd %s): libsodium %s, SQLite %s, zlib %s, "
	    "jansson %s\n", LEDGER_VERSION, sodium_version_string(),
	    sqlite3_libversion(), zlibVersion(), jansson_version_str());
	printf("machine: %d cores online, %s, %s %s\n", ncores, cpu,
	    un.sysname, un.release);
	printf("data: %s%s\n", dir, keep ? "" : " (removed at exit)");
	print_loadavg("at start");

	if (!skip_prims)
		bench_primitives(dir, &sign, &ver);
	if (!skip_append)
		eps = bench_append(dir, n, (size_t)batch, d, daemon_wal,
		    alone);
	if (!skip_verify)
		bench_verify(dir, ncores, &v_all, &v_one);

	if (!skip_prims) {
		printf("\nceilings from the primitives alone: signing %s "
		    "events/s on one core;\n", grouped(1.0 / sign, a,
		    sizeof(a)));
		printf("verifying signatures %s entries/s on %d cores\n",
		    grouped((double)ncores / ver, a, sizeof(a)), ncores);
	}
	print_loadavg("at end");
	printf("\nresult cores=%d append_eps=%.0f verify_all_eps=%.0f "
	    "verify_one_eps=%.0f sign_us=%.2f verify_us=%.2f\n", ncores, eps,
	    v_all, v_one, sign * 1e6, ver * 1e6);
	if (fflush(stdout) != 0 || ferror(stdout))
		die("write standard output: %s", strerror(errno));
	return 0;
}
