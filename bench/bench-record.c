/*
 * bench-record.c - what reading a report costs beside storing it
 * (issue 15: "the report parsers add no more than 10% to the cost of
 * storing the payload")
 *
 * usage: bench-record [-k] [-d dir] [-n events] [-r rounds] [PAYLOADS]
 *
 * For each report (the 112 KB SARIF schema, recorded with a kind; the
 * 74 KB ZAP report; the 20 KB Trivy report; the 80 KB Puppet report with
 * a kind; a CycloneDX SBOM), in one run, alternating A and B -r rounds of
 * -n events each on one fresh log:
 *
 *   A  store the payload: an event of kind scan with the report as its
 *      payload (SHA-256, deflate) appended -- what POST /v1/events with
 *      the same bytes costs the library
 *   B  record the report: ledger_upload_event (parse, detect, read the
 *      counts, then the same hashing and compression) appended, with the
 *      body-key lookup the daemon asks for (ledgerd/http-upload.c)
 *
 *   J  store the payload as a JSON body: A with the strict parse that
 *      POST /v1/events and every webhook give a body first (duplicate
 *      keys, UTF-8, depth; lib/json.c) -- the fair baseline, since a
 *      report is JSON the daemon would parse anyway
 *
 * and, without the store, the parts in isolation: A0 hashing and
 * compressing the payload, P the strict parse, B0 ledger_upload_event
 * (P, then detecting the format and reading it, then A0).  Each event
 * has its own run id, so B never hits a duplicate.  Prints µs per event
 * (the median round), B/J and B/A, and what reading the format adds
 * beyond parsing and storing (B0 - P - A0); the run's sign time comes
 * first, for comparing runs on a CPU whose speed varies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <jansson.h>

#include "ledger/entry.h"
#include "ledger/jcs.h"
#include "ledger/store.h"
#include "ledger/upload.h"
#include "bench-util.h"

const char *progname = "bench-record";

static const struct report {
	const char *file;
	int kind;		/* -1: read it */
} reports[] = {
	{ "scans/sarif/sarif-schema-2.1.0.json", LEDGER_KIND_SCAN },
	{ "scans/zap/traditional-json.zap-2.7.0.zero.webappsecurity.json", -1 },
	{ "scans/trivy/image.alpine-310.json", -1 },
	{ "iac/puppet/puppetdb-store-report.puppetdb1.vm.json",
	  LEDGER_KIND_CHANGE },
	{ "scans/sbom/cyclonedx-1.5.trivy.centos-7.json", -1 },
};

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (b = malloc((size_t)n + 1)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n)
		die("read %s", path);
	fclose(f);
	*len = (size_t)n;
	return b;
}

enum how { RAW, JSON_BODY, REPORT, HOW_COUNT };

static struct ledger_event *
make(enum how how, const struct report *r, const char *body, size_t len,
    uint64_t i)
{
	struct ledger_upload_opts o;
	struct ledger_event *ev;
	struct ledger_error err;
	json_t *doc;
	char run[32];

	snprintf(run, sizeof(run), "r%llu", (unsigned long long)i);
	if (how == REPORT) {
		memset(&o, 0, sizeof(o));
		o.kind = r->kind;
		o.subject[LEDGER_SUBJ_RUN] = run;
		if (ledger_upload_event(body, len, &o, &ev, &err) != LEDGER_OK)
			die("%s: %s", r->file, err.msg);
		ev->dedupe_body = true;
	} else {
		if (how == JSON_BODY) {
			if (ledger_json_parse(body, len, &doc, &err) != LEDGER_OK)
				die("%s: %s", r->file, err.msg);
			json_decref(doc);
		}
		if (ledger_event_new(&ev, &err) != LEDGER_OK ||
		    ledger_event_set_source(ev, LEDGER_SRC_TYPE, "generic",
		    &err) || ledger_event_set_subject(ev, LEDGER_SUBJ_RUN, run,
		    &err) || ledger_event_set_payload(ev, body, len,
		    "application/json", &err))
			die("event: %s", err.msg);
		ev->e.kind = LEDGER_KIND_SCAN;
	}
	if (ledger_event_set_source(ev, LEDGER_SRC_NAME, "api", &err))
		die("event: %s", err.msg);
	return ev;
}

/* µs per event of n events made (and appended when s is set). */
static double
run(struct ledger_store *s, enum how how, const struct report *r,
    const char *body, size_t len, uint64_t n, uint64_t *serial)
{
	struct ledger_receipt rc;
	struct ledger_error err;
	struct ledger_event *ev;
	double t0 = now();
	uint64_t i;

	for (i = 0; i < n; i++) {
		ev = make(how, r, body, len, (*serial)++);
		if (s != NULL && ledger_store_append(s, &ev, 1, &rc, &err))
			die("append: %s", err.msg);
		if (s != NULL && rc.duplicate)
			die("a duplicate: the comparison would be unfair");
		ledger_event_free(ev);
	}
	return (now() - t0) * 1e6 / (double)n;
}

/* µs per strict parse of the body. */
static double
parse_only(const char *body, size_t len, uint64_t n)
{
	double t0 = now();
	json_t *doc;
	uint64_t i;

	for (i = 0; i < n; i++) {
		if (ledger_json_parse(body, len, &doc, NULL) != LEDGER_OK)
			die("parse");
		json_decref(doc);
	}
	return (now() - t0) * 1e6 / (double)n;
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/bench-record-XXXXXX", path[4096], cmd[4200];
	const char *dir = NULL, *payloads;
	uint64_t n = 200, rounds = 5, serial = 0;
	struct ledger_store *s = NULL;
	struct ledger_error err;
	double a[6][64], med[6];
	bool keep = false;
	size_t k, len;
	uint64_t j;
	char *body;
	int c, m;

	while ((c = getopt(argc, argv, "d:kn:r:")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'k': keep = true; break;
		case 'n':
			if (!parse_count(optarg, 10, 100000, &n))
				die("-n: 10 to 100000");
			break;
		case 'r':
			if (!parse_count(optarg, 1, 64, &rounds))
				die("-r: 1 to 64");
			break;
		default:
			die("usage: bench-record [-k] [-d dir] [-n events] "
			    "[-r rounds] [PAYLOADS]");
		}
	}
	payloads = optind < argc ? argv[optind] : "../shared/payloads";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sodium_init() < 0)
		die("sodium_init");
	print_loadavg("start");
	print_sign_time();
	if (dir == NULL) {
		if (mkdtemp(tmpl) == NULL)
			die("mkdtemp");
		dir = tmpl;
	}
	if (ledger_store_init(dir, "bench.example/record", &err) != LEDGER_OK ||
	    ledger_store_open(dir, 0, &s, &err) != LEDGER_OK)
		die("%s: %s", dir, err.msg);
	printf("%-44s %7s %7s %7s %5s %5s | %6s %6s %6s %6s\n",
	    "report (bytes)", "A µs", "J µs", "B µs", "B/J", "B/A", "A0",
	    "P", "B0", "read");
	for (k = 0; k < sizeof(reports) / sizeof(*reports); k++) {
		snprintf(path, sizeof(path), "%s/%s", payloads, reports[k].file);
		body = slurp(path, &len);
		for (j = 0; j < rounds; j++) {
			a[0][j] = run(s, RAW, &reports[k], body, len, n, &serial);
			a[1][j] = run(s, JSON_BODY, &reports[k], body, len, n,
			    &serial);
			a[2][j] = run(s, REPORT, &reports[k], body, len, n,
			    &serial);
			a[3][j] = run(NULL, RAW, &reports[k], body, len, n,
			    &serial);
			a[4][j] = parse_only(body, len, n);
			a[5][j] = run(NULL, REPORT, &reports[k], body, len, n,
			    &serial);
		}
		for (m = 0; m < 6; m++) {
			qsort(a[m], rounds, sizeof(double), cmp_double);
			med[m] = percentile(a[m], rounds, 50);
		}
		snprintf(path, sizeof(path), "%s (%zu)", strrchr(reports[k].file,
		    '/') + 1, len);
		printf("%-44.44s %7.1f %7.1f %7.1f %4.0f%% %4.0f%% | %6.1f %6.1f "
		    "%6.1f %6.1f\n", path, med[0], med[1], med[2],
		    100 * med[2] / med[1], 100 * med[2] / med[0], med[3], med[4],
		    med[5], med[5] - med[4] - med[3]);
		free(body);
	}
	ledger_store_close(s);
	print_loadavg("end");
	if (!keep && dir == tmpl) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			die("rm %s", dir);
	}
	return 0;
}
