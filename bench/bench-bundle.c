/*
 * bench-bundle.c - how long a bundle takes to write and to check offline
 *
 *	bench-bundle [-n entries] [-p payload_bytes]
 *
 * Builds a ledger of N entries (10,000) with P-byte JSON payloads (2048)
 * through the library's batch append, signs a checkpoint, then writes the
 * bundle of every entry with its payload (ledger_bundle_write, what
 * `ledgerctl bundle --with-payloads` runs) and checks it offline
 * (ledger_bundle_verify, `ledgerctl verify --bundle`): seconds for each,
 * bytes per entry uncompressed and gzipped beside the entries' own
 * canonical bytes, and the process's peak resident memory after each.
 * Not a test: the numbers go to docs/performance.md with the run's sign
 * time.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger/bundle.h"
#include "ledger/store.h"
#include "ledger/tree.h"
#include "bench-util.h"

const char *progname = "bench-bundle";

static void
build(struct ledger_store *s, uint64_t n, size_t psize)
{
	struct ledger_event *evs[256];
	struct ledger_receipt rc[256];
	struct ledger_error err;
	char *payload;
	uint64_t i;
	size_t k = 0, j;

	if ((payload = malloc(psize + 1)) == NULL)
		die("out of memory");
	for (i = 0; i < n; i++) {
		/* {"n":N,"pad":"xxx..."} of psize bytes */
		int h = snprintf(payload, psize, "{\"n\":%" PRIu64 ",\"pad\":\"",
		    i);

		for (j = (size_t)h; j < psize - 2; j++)
			payload[j] = (char)('a' + (i + j) % 26);
		memcpy(payload + psize - 2, "\"}", 2);
		if (ledger_event_new(&evs[k], &err) != LEDGER_OK)
			die("%s", err.msg);
		evs[k]->e.kind = LEDGER_KIND_BUILD;
		if (ledger_event_set_source(evs[k], LEDGER_SRC_NAME, "ci",
		    &err) || ledger_event_set_source(evs[k], LEDGER_SRC_TYPE,
		    "generic", &err) || ledger_event_set_subject(evs[k],
		    LEDGER_SUBJ_RUN, "r", &err) || ledger_event_set_payload(
		    evs[k], payload, psize, "application/json", &err))
			die("%s", err.msg);
		if (++k == 256 || i + 1 == n) {
			if (ledger_store_append(s, evs, k, rc, &err))
				die("append: %s", err.msg);
			for (j = 0; j < k; j++)
				ledger_event_free(evs[j]);
			k = 0;
		}
	}
	free(payload);
}

static void
count(void *ctx, const struct ledger_bundle_verdict *v)
{
	(void)ctx;
	if (!v->ok)
		die("verify: seq %" PRId64 ": %s", v->seq, v->problem);
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/bench-bundle-XXXXXX", path[4200], cmd[4300];
	uint64_t n = 10000, psize = 2048, i, *seqs, got, bad;
	struct ledger_bundle_stats st;
	struct ledger_signed_checkpoint cp;
	struct ledger_store *s;
	struct ledger_error err;
	struct stat sb;
	double t0;
	int c;

	while ((c = getopt(argc, argv, "n:p:")) != -1) {
		if (c == 'n' && parse_count(optarg, 1, 10000000, &n))
			continue;
		if (c == 'p' && parse_count(optarg, 64, 1 << 20, &psize))
			continue;
		die("usage: bench-bundle [-n entries] [-p payload_bytes]");
	}
	if (sodium_init() < 0 || mkdtemp(tmpl) == NULL)
		die("setup");
	print_loadavg("start");
	print_sign_time();
	if (ledger_store_init(tmpl, "bench.example/bundle", &err) ||
	    ledger_store_open(tmpl, 0, &s, &err))
		die("%s", err.msg);
	t0 = now();
	build(s, n, psize);
	if (ledger_store_checkpoint(s, &cp, NULL, &err))
		die("checkpoint: %s", err.msg);
	printf("built %" PRIu64 " entries with %" PRIu64 "-byte payloads in "
	    "%.1f s\n", n, psize, now() - t0);
	if ((seqs = malloc(n * sizeof(*seqs))) == NULL)
		die("out of memory");
	for (i = 0; i < n; i++)
		seqs[i] = i;
	snprintf(path, sizeof(path), "%s/all.bundle.gz", tmpl);
	t0 = now();
	if (ledger_bundle_write(s, seqs, n, &(struct ledger_bundle_opts){
	    true, NULL, 0 }, path, &st, &err))
		die("write: %s", err.msg);
	printf("write:  %.2f s (peak RSS %ld KiB)\n", now() - t0, proc_status_kib("VmHWM"));
	if (stat(path, &sb) != 0)
		die("stat");
	printf("size:   %" PRIu64 " B/entry of JSON, %.0f B/entry gzipped; "
	    "the entries' own bytes %" PRIu64 " B/entry, payloads %" PRIu64
	    " B\n", st.bytes / n, (double)sb.st_size / (double)n,
	    st.entry_bytes / n, psize);
	t0 = now();
	if (ledger_bundle_verify(path, ledger_store_vkey(s), 1, count, NULL,
	    &got, &bad, &err) || got != n || bad != 0)
		die("verify: %s", err.msg);
	printf("verify: %.2f s, %" PRIu64 " entries intact (peak RSS %ld "
	    "KiB)\n", now() - t0, got, proc_status_kib("VmHWM"));
	ledger_signed_checkpoint_release(&cp);
	ledger_store_close(s);
	free(seqs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: could not remove %s\n", progname, tmpl);
	return 0;
}
