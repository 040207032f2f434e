/*
 * bench-proofs.c - what roots and proofs cost on a 10-million-leaf log
 *
 *	bench-proofs [-k] [-d dir] [-e entries] [-m bytes] [-n leaves]
 *	    [-s samples]
 *
 * Proofs read only the `tree` table and the head row, so the log need not
 * hold n real entries.  One run:
 *
 *  1. builds the log quickly: ledger_store_init, one real entry appended
 *     through ledger_store_append (leaf 0), then leaves 1 .. n-1 with
 *     synthetic leaf hashes (SHA-256(0x00 || le64(i))) through
 *     ledger_merkle_frontier_append, their stored hashes inserted into
 *     `tree` with one prepared INSERT in transactions of 2^20 leaves
 *     (sqlite3 directly on DIR/ledger.db, synchronous=OFF), and head.size
 *     set to n.  The root computed by the frontier is kept, to check
 *     ledger_store_tree_root against.  For the HTTP benchmark
 *     (bench/http-proofs.sh), which serves an inclusion proof only with
 *     the entry's leaf hash, copies of entry 0 are stored under -e random
 *     seqs and listed in DIR/proof-seqs.txt.  With -d DIR holding a log of
 *     exactly n leaves built earlier, the build is skipped (reuse).
 *  2. measures in-process, on a read-only handle (LEDGER_STORE_READONLY,
 *     as the daemon's readers), through the public API (ledger/tree.h):
 *     p50/p99/max latency of -s random inclusion proofs at size n, at a
 *     random size, random consistency proofs to size n and between two
 *     random sizes, and roots of random sizes.  Every 50th proof is
 *     verified (ledger_merkle_verify_*) against ledger_store_tree_root.
 *
 *	-n leaves	tree size (10000000)
 *	-d dir		build (or reuse) the log in dir and keep it (default:
 *			a temporary directory, removed at exit)
 *	-e entries	entry copies for the HTTP benchmark (100000; 0: none)
 *	-s samples	proofs per kind (20000)
 *	-k		only build (or check) the log; measure nothing
 *	-m bytes	experiment: SQLite's default mmap_size for every
 *			connection (sqlite3_config SQLITE_CONFIG_MMAP_SIZE;
 *			the store sets none, so reads go through pread and the
 *			64 MiB page cache)
 *
 * Not a test: numbers vary run to run (docs/performance.md), and each phase
 * reports how much CPU other processes took.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "ledger-config.h"
#include "bench-util.h"
#include "ledger/entry.h"
#include "ledger/merkle.h"
#include "ledger/store.h"
#include "ledger/tree.h"

#define TARGET_P99_MS	1.0
#define TXN_LEAVES	(1u << 20)
#define VERIFY_EVERY	50
#define SEQS_FILE	"proof-seqs.txt"

const char *progname = "bench-proofs";


static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: %s [-k] [-d dir] [-e entries] [-m bytes] "
	    "[-n leaves] [-s samples]\n", progname);
	exit(2);
}


static double
cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}


/* A phase: wall, own CPU and the machine's busy time at its start. */
struct phase {
	double t0, cpu0, busy0;
};

static void
phase_start(struct phase *p)
{
	p->busy0 = machine_busy_seconds();
	p->cpu0 = cpu_now();
	p->t0 = now();
}

/* Other processes' CPU during the phase, in % of one core. */
static double
phase_others(const struct phase *p)
{
	double wall = now() - p->t0, own = cpu_now() - p->cpu0;
	double busy = machine_busy_seconds(), o;

	if (p->busy0 < 0 || busy < 0 || wall <= 0)
		return -1;
	o = (busy - p->busy0 - own) / wall * 100.0;
	return o < 0 ? 0 : o;
}

static void
print_others(const struct phase *p)
{
	double o = phase_others(p);

	if (o >= 0)
		printf("  %-36s %8.0f%% of one core%s\n",
		    "other processes' CPU", o, o > 10 ?
		    " (NOT an idle machine: numbers are high)" : "");
}





/* Uniform in [lo, hi] (hi - lo far below 2^64: the bias is negligible). */
static uint64_t
rnd_range(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return lo + rnd(s) % (hi - lo + 1);
}

/* The synthetic leaf i (i >= 1): SHA-256(0x00 || le64(i)). */
static void
synth_leaf(uint64_t i, uint8_t out[LEDGER_HASH_BYTES])
{
	uint8_t b[8];
	int k;

	for (k = 0; k < 8; k++)
		b[k] = (uint8_t)(i >> (8 * k));
	ledger_merkle_leaf_hash(b, sizeof(b), out);
}


/* dir/name into out (4096 bytes), or die. */
static char *
dpath(const char *dir, const char *name, char out[4096])
{
	if (snprintf(out, 4096, "%s/%s", dir, name) >= 4096)
		die("'%s': path too long", dir);
	return out;
}

static void
db_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
}

/* ---- 1. build ---- */

/* The head size of the database in dir, or -1 if there is none. */
static int64_t
existing_size(const char *dir)
{
	char path[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int64_t size = -1;
	struct stat sb;

	dpath(dir, LEDGER_DB_FILE, path);
	if (stat(path, &sb) != 0)
		return -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "SELECT size FROM head "
	    "WHERE id = 0", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		size = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	if (size < 0)
		die("'%s' exists but is not a ledger database", path);
	return size;
}

/* Append leaf 0: one real entry through the library. */
static void
append_first(const char *dir)
{
	static const char body[] = "{\"note\":\"bench-proofs: leaf 0 is "
	    "real, leaves 1 .. n-1 are synthetic hashes\"}";
	struct ledger_store *s = NULL;
	struct ledger_event *ev = NULL;
	struct ledger_receipt r;
	struct ledger_error err;

	if (ledger_store_open(dir, 0, &s, &err) != LEDGER_OK)
		die("open '%s': %s", dir, err.msg);
	if (ledger_event_new(&ev, &err) != LEDGER_OK)
		die("event: %s", err.msg);
	ev->e.kind = LEDGER_KIND_BUILD;
	if (ledger_event_set_source(ev, LEDGER_SRC_NAME, "api", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_TYPE, "generic", &err) ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_PIPELINE,
	    "payments-api/ci", &err) ||
	    ledger_event_set_payload(ev, body, sizeof(body) - 1,
	    "application/json", &err))
		die("event: %s", err.msg);
	if (ledger_store_append(s, &ev, 1, &r, &err) != LEDGER_OK)
		die("append: %s", err.msg);
	ledger_event_free(ev);
	ledger_store_close(s);
}

static void
build(const char *dir, uint64_t n, uint64_t nentries, uint8_t root[32])
{
	uint8_t hashes[LEDGER_MERKLE_MAX_STORED][LEDGER_HASH_BYTES];
	uint64_t idx[LEDGER_MERKLE_MAX_STORED], i, rs = 0x2545f4914f6cdd1dULL;
	struct ledger_merkle_frontier *f;
	struct ledger_error err;
	uint8_t leaf[LEDGER_HASH_BYTES];
	sqlite3_stmt *ins = NULL, *q = NULL;
	sqlite3 *db = NULL;
	char path[4096];
	struct phase ph;
	uint64_t rows = 0;
	size_t cnt, k;
	double t_step, last;
	FILE *out;

	if ((f = malloc(sizeof(*f))) == NULL)
		die("out of memory");
	printf("\n1. build: %" PRIu64 " leaves (1 real entry, the rest "
	    "synthetic leaf hashes)\n\n", n);
	fflush(stdout);
	phase_start(&ph);
	if (ledger_store_init(dir, "bench.example/ledgerd", &err) != LEDGER_OK)
		die("init '%s': %s", dir, err.msg);
	append_first(dir);

	dpath(dir, LEDGER_DB_FILE, path);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		die("open '%s': %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	db_exec(db, "PRAGMA synchronous = OFF");
	db_exec(db, "PRAGMA cache_size = -262144");
	/* Leaf 0's stored hash, written by the library. */
	if (sqlite3_prepare_v2(db, "SELECT hash FROM tree WHERE id = 0", -1,
	    &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW ||
	    sqlite3_column_bytes(q, 0) != LEDGER_HASH_BYTES)
		die("read leaf 0: %s", sqlite3_errmsg(db));
	memcpy(leaf, sqlite3_column_blob(q, 0), LEDGER_HASH_BYTES);
	sqlite3_finalize(q);
	ledger_merkle_frontier_init(f);
	if (ledger_merkle_frontier_append(f, leaf, NULL, NULL, NULL, &err))
		die("frontier: %s", err.msg);

	if (sqlite3_prepare_v2(db, "INSERT INTO tree (id, hash) VALUES "
	    "(?1, ?2)", -1, &ins, NULL) != SQLITE_OK)
		die("prepare: %s", sqlite3_errmsg(db));
	t_step = 0;
	last = now();
	db_exec(db, "BEGIN");
	for (i = 1; i < n; i++) {
		synth_leaf(i, leaf);
		if (ledger_merkle_frontier_append(f, leaf, hashes, idx, &cnt,
		    &err) != LEDGER_OK)
			die("frontier append %" PRIu64 ": %s", i, err.msg);
		for (k = 0; k < cnt; k++) {
			sqlite3_bind_int64(ins, 1, (sqlite3_int64)idx[k]);
			sqlite3_bind_blob(ins, 2, hashes[k], LEDGER_HASH_BYTES,
			    SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE)
				die("insert tree %" PRIu64 ": %s", idx[k],
				    sqlite3_errmsg(db));
			sqlite3_reset(ins);
		}
		rows += cnt;
		if (i % TXN_LEAVES == 0) {
			db_exec(db, "COMMIT");
			db_exec(db, "BEGIN");
		}
		if (i % (n / 10 > 0 ? n / 10 : 1) == 0) {
			double t = now();

			printf("  %12" PRIu64 " leaves  %8.1f s  %9.0f "
			    "leaves/s\n", i, t - ph.t0, (double)(n / 10) /
			    (t - last));
			fflush(stdout);
			last = t;
		}
	}
	ledger_merkle_frontier_root(f, root);
	/* head: the size, the newest leaf (the trigger refuses shrinking
	 * only). */
	if (sqlite3_prepare_v2(db, "UPDATE head SET size = ?1, last_leaf = ?2 "
	    "WHERE id = 0", -1, &q, NULL) != SQLITE_OK)
		die("prepare: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(q, 1, (sqlite3_int64)n);
	sqlite3_bind_blob(q, 2, leaf, LEDGER_HASH_BYTES, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		die("update head: %s", sqlite3_errmsg(db));
	sqlite3_finalize(q);
	db_exec(db, "COMMIT");
	sqlite3_finalize(ins);
	t_step = now() - ph.t0;

	/* Entry copies for the HTTP inclusion endpoint, which also reads the
	 * entry to return its leaf hash. */
	dpath(dir, SEQS_FILE, path);
	if ((out = fopen(path, "w")) == NULL)
		die("create '%s': %s", path, strerror(errno));
	if (nentries > 0) {
		if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO entries (seq, "
		    "entry, sig, key_id, prev, time_ms, kind, source_name, "
		    "source_type, source_event, delivery, auth, actor, "
		    "artifact, commit_id, environment, pipeline, run, "
		    "service, status, ticket, url, payload_sha256, "
		    "payload_size, payload_type) SELECT ?1, entry, sig, "
		    "key_id, prev, time_ms, kind, source_name, source_type, "
		    "source_event, delivery, auth, actor, artifact, "
		    "commit_id, environment, pipeline, run, service, status, "
		    "ticket, url, payload_sha256, payload_size, payload_type "
		    "FROM entries WHERE seq = 0", -1, &q, NULL) != SQLITE_OK)
			die("prepare: %s", sqlite3_errmsg(db));
		db_exec(db, "BEGIN");
		for (i = 0; i < nentries; i++) {
			uint64_t seq = rnd_range(&rs, 1, n - 1);

			sqlite3_bind_int64(q, 1, (sqlite3_int64)seq);
			if (sqlite3_step(q) != SQLITE_DONE)
				die("copy entry: %s", sqlite3_errmsg(db));
			sqlite3_reset(q);
			if (sqlite3_changes(db) > 0)
				fprintf(out, "%" PRIu64 "\n", seq);
		}
		db_exec(db, "COMMIT");
		sqlite3_finalize(q);
	}
	if (fclose(out) != 0)
		die("write '%s': %s", path, strerror(errno));
	db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(db);
	free(f);

	{
		struct stat sb;
		char a[4096];

		dpath(dir, LEDGER_DB_FILE, a);
		if (stat(a, &sb) != 0)
			memset(&sb, 0, sizeof(sb));
		printf("\n  %-36s %10.1f s (%.0f leaves/s)\n",
		    "tree built (hash + insert)", t_step, (double)n / t_step);
		printf("  %-36s %10.1f s\n", "with entry copies + checkpoint",
		    now() - ph.t0);
		printf("  %-36s %10" PRIu64 " (%.2f per leaf)\n",
		    "tree rows", rows + 1, (double)(rows + 1) / (double)n);
		printf("  %-36s %10.0f MiB\n", "ledger.db",
		    (double)sb.st_size / 1048576.0);
		printf("  %-36s %10" PRIu64 " (in %s)\n", "entry copies",
		    nentries, SEQS_FILE);
		print_others(&ph);
	}
}

/* ---- 2. proofs ---- */

enum op { OP_INC_FULL, OP_INC_RAND, OP_CON_FULL, OP_CON_RAND, OP_ROOT,
    OP_COUNT };
static const char *const op_names[OP_COUNT] = {
	"inclusion, size = n",
	"inclusion, random size",
	"consistency, random m -> n",
	"consistency, random m -> random n",
	"tree root, random size",
};

static void
leaf_of(uint64_t i, const uint8_t leaf0[32], uint8_t out[32])
{
	if (i == 0)
		memcpy(out, leaf0, LEDGER_HASH_BYTES);
	else
		synth_leaf(i, out);
}

static double
measure(struct ledger_store *s, enum op op, uint64_t n, uint64_t samples,
    const uint8_t leaf0[32], const uint8_t root_n[32], double *p50,
    double *p99, double *max, uint64_t *verified)
{
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	uint8_t leaf[32], r1[32], r2[32];
	uint64_t rs = 0x9e3779b97f4a7c15ULL + (uint64_t)op, i, a, b;
	struct ledger_error err;
	enum ledger_status st;
	struct phase ph;
	double *lat, t0, sum = 0;
	size_t cnt;

	if ((lat = malloc(samples * sizeof(*lat))) == NULL)
		die("out of memory");
	*verified = 0;
	phase_start(&ph);
	for (i = 0; i < samples; i++) {
		switch (op) {
		case OP_INC_FULL:
			b = n;
			a = rnd_range(&rs, 0, n - 1);
			break;
		case OP_INC_RAND:
			b = rnd_range(&rs, 1, n);
			a = rnd_range(&rs, 0, b - 1);
			break;
		case OP_CON_FULL:
			b = n;
			a = rnd_range(&rs, 1, n - 1);
			break;
		case OP_CON_RAND:
			b = rnd_range(&rs, 2, n);
			a = rnd_range(&rs, 1, b - 1);
			break;
		default:
			a = 0;
			b = rnd_range(&rs, 1, n);
		}
		t0 = now();
		if (op == OP_INC_FULL || op == OP_INC_RAND)
			st = ledger_store_prove_inclusion(s, a, b, proof, &cnt,
			    &err);
		else if (op == OP_ROOT)
			st = ledger_store_tree_root(s, b, r1, &err);
		else
			st = ledger_store_prove_consistency(s, a, b, proof,
			    &cnt, &err);
		lat[i] = now() - t0;
		sum += lat[i];
		if (st != LEDGER_OK)
			die("%s (%" PRIu64 ", %" PRIu64 "): %s", op_names[op],
			    a, b, err.msg);
		if (i % VERIFY_EVERY != 0 || op == OP_ROOT)
			continue;
		if (b == n)
			memcpy(r2, root_n, 32);
		else if (ledger_store_tree_root(s, b, r2, &err) != LEDGER_OK)
			die("root %" PRIu64 ": %s", b, err.msg);
		if (op == OP_INC_FULL || op == OP_INC_RAND) {
			leaf_of(a, leaf0, leaf);
			st = ledger_merkle_verify_inclusion(a, b, leaf,
			    proof[0], cnt, r2, &err);
		} else {
			if (ledger_store_tree_root(s, a, r1, &err) != LEDGER_OK)
				die("root %" PRIu64 ": %s", a, err.msg);
			st = ledger_merkle_verify_consistency(a, b, r1, r2,
			    proof[0], cnt, &err);
		}
		if (st != LEDGER_OK)
			die("%s (%" PRIu64 ", %" PRIu64 ") does not verify: "
			    "%s", op_names[op], a, b, err.msg);
		(*verified)++;
	}
	qsort(lat, samples, sizeof(*lat), cmp_double);
	*p50 = percentile(lat, samples, 50) * 1e3;
	*p99 = percentile(lat, samples, 99) * 1e3;
	*max = lat[samples - 1] * 1e3;
	printf("  %-34s %8.3f %8.3f %8.3f %8.3f %8" PRIu64 "  %s\n",
	    op_names[op], sum / (double)samples * 1e3, *p50, *p99, *max,
	    *verified, *p99 <= TARGET_P99_MS ? "met" : "MISSED");
	{
		double o = phase_others(&ph);

		if (o > 10)
			printf("  %-34s others took %.0f%% of one core: NOT "
			    "an idle machine\n", "", o);
	}
	fflush(stdout);
	free(lat);
	return sum / (double)samples;
}

static void
bench_proofs(const char *dir, uint64_t n, uint64_t samples,
    const uint8_t *built_root)
{
	struct ledger_store *s = NULL;
	struct ledger_error err;
	uint8_t root[32], leaf0[32], proof[LEDGER_MERKLE_MAX_PROOF][32];
	double p50[OP_COUNT], p99[OP_COUNT], mx[OP_COUNT], t0, worst = 0;
	uint64_t size, ver, total_ver = 0;
	struct ledger_row row;
	struct phase ph;
	size_t cnt;
	int op;

	if (ledger_store_open(dir, LEDGER_STORE_READONLY, &s, &err) !=
	    LEDGER_OK)
		die("open '%s' read-only: %s", dir, err.msg);
	if (ledger_store_size(s, &size, &err) != LEDGER_OK)
		die("size: %s", err.msg);
	if (size < n)
		die("the log holds %" PRIu64 " leaves, not %" PRIu64, size, n);
	if (size > n)
		printf("\nnote: the log holds %" PRIu64 " leaves (a daemon "
		    "appended); proofs use sizes up to n = %" PRIu64 "\n",
		    size, n);
	if (ledger_store_get(s, 0, &row, &err) != LEDGER_OK)
		die("entry 0: %s", err.msg);
	ledger_leaf_hash(row.entry, row.entry_len, leaf0);
	ledger_row_release(&row);

	printf("\n2. proofs in-process (read-only handle, public API; "
	    "target p99 <= %.0f ms)\n\n", TARGET_P99_MS);
	t0 = now();
	if (ledger_store_tree_root(s, n, root, &err) != LEDGER_OK)
		die("root: %s", err.msg);
	printf("  first root of size n (cold handle): %.3f ms, %s\n",
	    (now() - t0) * 1e3, built_root == NULL ? "not checked (reused "
	    "log)" : memcmp(root, built_root, 32) == 0 ? "equals the "
	    "frontier's root" : "DIFFERS from the frontier's root");
	if (built_root != NULL && memcmp(root, built_root, 32) != 0)
		die("stored tree root differs from the built one");
	/* The leaf-0 inclusion proof at n, against the real entry. */
	if (ledger_store_prove_inclusion(s, 0, n, proof, &cnt, &err) ||
	    ledger_merkle_verify_inclusion(0, n, leaf0, proof[0], cnt, root,
	    &err))
		die("entry 0 inclusion: %s", err.msg);
	/* Warm-up: a few thousand proofs, untimed. */
	{
		uint64_t rs = 42, i, a;

		for (i = 0; i < 2000; i++) {
			a = rnd_range(&rs, 0, n - 1);
			if (ledger_store_prove_inclusion(s, a, n, proof, &cnt,
			    &err))
				die("warm-up: %s", err.msg);
		}
	}
	printf("\n  %-34s %8s %8s %8s %8s %8s\n", "(ms)", "mean", "p50", "p99",
	    "max", "verified");
	phase_start(&ph);
	for (op = 0; op < OP_COUNT; op++) {
		measure(s, (enum op)op, n, samples, leaf0, root, &p50[op],
		    &p99[op], &mx[op], &ver);
		total_ver += ver;
		if (p99[op] > worst)
			worst = p99[op];
	}
	printf("\n  %-36s %.1f s for %" PRIu64 " proofs and roots\n",
	    "wall", now() - ph.t0, samples * OP_COUNT);
	print_others(&ph);
	printf("\nresult leaves=%" PRIu64 " samples=%" PRIu64
	    " inc_full_p50_ms=%.3f inc_full_p99_ms=%.3f inc_rand_p99_ms=%.3f "
	    "con_full_p50_ms=%.3f con_full_p99_ms=%.3f con_rand_p99_ms=%.3f "
	    "root_p99_ms=%.3f verified=%" PRIu64 " worst_p99_ms=%.3f %s\n", n,
	    samples, p50[OP_INC_FULL], p99[OP_INC_FULL], p99[OP_INC_RAND],
	    p50[OP_CON_FULL], p99[OP_CON_FULL], p99[OP_CON_RAND], p99[OP_ROOT],
	    total_ver, worst, worst <= TARGET_P99_MS ? "met" : "MISSED");
	ledger_store_close(s);
}

/* ---- main ---- */

static char tmpdir[4096];

static void
cleanup(void)
{
	static const char *const names[] = { LEDGER_DB_FILE,
	    LEDGER_DB_FILE "-wal", LEDGER_DB_FILE "-shm", LEDGER_KEY_FILE,
	    LEDGER_PUB_FILE, SEQS_FILE };
	char path[4096];
	size_t i;

	if (tmpdir[0] == '\0')
		return;
	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]) <
		    (int)sizeof(path))
			unlink(path);
	rmdir(tmpdir);
}

int
main(int argc, char **argv)
{
	uint64_t n = 10000000, samples = 20000, nentries = 100000, mmap = 0;
	const char *dir = NULL;
	uint8_t root[32];
	bool only_build = false, built = false;
	char tmpl[4096];
	int64_t have;
	int ch;

	while ((ch = getopt(argc, argv, "d:e:km:n:s:")) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'e':
			if (!parse_count(optarg, 0, UINT64_C(1) << 30,
			    &nentries))
				usage();
			break;
		case 'k':
			only_build = true;
			break;
		case 'm':
			if (!parse_count(optarg, 0, UINT64_C(1) << 40, &mmap))
				usage();
			break;
		case 'n':
			if (!parse_count(optarg, 4, UINT64_C(1) << 40, &n))
				usage();
			break;
		case 's':
			if (!parse_count(optarg, 1, UINT64_C(1) << 30,
			    &samples))
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (sodium_init() < 0)
		die("libsodium failed to initialize");
	if (mmap > 0 && sqlite3_config(SQLITE_CONFIG_MMAP_SIZE,
	    (sqlite3_int64)mmap, (sqlite3_int64)mmap) != SQLITE_OK)
		die("sqlite3_config(SQLITE_CONFIG_MMAP_SIZE) failed");
	if (dir == NULL) {
		const char *t = getenv("TMPDIR");

		snprintf(tmpl, sizeof(tmpl), "%s/bench-proofs-XXXXXX",
		    t != NULL && *t != '\0' ? t : "/tmp");
		if (mkdtemp(tmpl) == NULL)
			die("create a temporary directory: %s",
			    strerror(errno));
		dir = tmpl;
		memcpy(tmpdir, tmpl, sizeof(tmpdir));
		atexit(cleanup);
	}
	printf("bench-proofs (ledgerd %s): SQLite %s, %ld cores online\n",
	    LEDGER_VERSION, sqlite3_libversion(),
	    sysconf(_SC_NPROCESSORS_ONLN));
	printf("data: %s%s\n", dir, tmpdir[0] ? " (removed at exit)" : "");
	if (mmap > 0)
		printf("experiment: SQLite mmap_size %" PRIu64 " for every "
		    "connection\n", mmap);
	print_loadavg("at start");
	have = existing_size(dir);
	if (have < 0) {
		build(dir, n, nentries, root);
		built = true;
	} else if ((uint64_t)have >= n) {
		printf("\n1. build: skipped, '%s' already holds %" PRId64
		    " leaves\n", dir, have);
	} else
		die("'%s' holds a log of %" PRId64 " leaves, fewer than %"
		    PRIu64 ": use another directory", dir, have, n);
	if (!only_build)
		bench_proofs(dir, n, samples, built ? root : NULL);
	print_loadavg("at end");
	return 0;
}
