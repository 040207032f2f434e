/*
 * cmd-verify.c - ledgerctl verify: check the whole log
 *
 * Every entry, link, signature, payload and index (ledger/verify.h); for a
 * data directory also the stored tree and every stored checkpoint, for a
 * daemon the newest checkpoint's root against the entries listed.  Then
 * the newest checkpoint must be consistent with the pin, which moves to it
 * only when everything is intact.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/keys.h"
#include "ledger/store.h"
#include "ledger/verify.h"
#include "cli.h"
#include "progress.h"
#include "remote.h"
#include "trust.h"

/* Problems kept for --json; the count is always complete. */
#define MAX_LISTED 10000

struct verify_opts {
	struct trust_opts t;
	unsigned long long threads;
	bool no_payloads;
	const char *bundle;		/* --bundle FILE */
};

struct found {
	uint64_t seq;
	enum ledger_problem p;
	char *detail;
	size_t order;		/* as reported, to keep ties stable */
};

static int
found_cmp(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct collector {
	const struct cli *cli;
	struct found *list;
	size_t n;
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct verify_opts *o = ctx;
	int r;

	if (trust_on_opt(&o->t, c, arg, &r))
		return r;
	if (c == 'P') {
		o->no_payloads = true;
	} else if (c == 'B') {
		o->bundle = arg;
	} else if (c == 'T') {
		if (!parse_u64(arg, &o->threads) || o->threads == 0 ||
		    o->threads > 64)
			return fail("bad --threads '%s' (1..64)", arg);
	}
	return -1;
}

static void
on_problem(void *ctx, uint64_t seq, enum ledger_problem p, const char *detail)
{
	struct collector *c = ctx;

	/* Kept, then printed in seq order: the walk, the tree and the key
	 * table report as they find, not in seq order. */
	if (c->n < MAX_LISTED) {
		c->list[c->n].seq = seq;
		c->list[c->n].p = p;
		c->list[c->n].detail = strdup(detail);
		c->list[c->n].order = c->n;
		c->n++;
	}
}

/* The pin step: the newest checkpoint must be consistent with the pin,
 * which moves to it only when the log is intact.  Returns the new exit
 * status. */
static int
check_pin(const struct verify_opts *o, struct tlog_src *src,
    const struct ledger_vkey *keys, size_t nkeys,
    struct ledger_signed_checkpoint *c, struct trust_pin *pin, int status)
{
	int r;

	if (src->url == NULL && (r = trust_checkpoint(&o->t, src, true, 0,
	    keys, nkeys, true, c)) >= 0)
		return r > status ? r : status;
	if (c->note == NULL)
		return status;
	if ((r = trust_pin(&o->t, src, keys, nkeys, c, true, pin)) >= 0)
		return r > status ? r : status;
	if (status == EXIT_YES && (r = trust_pin_commit(pin, c)) >= 0)
		return r;
	return status;
}

/* What verify found, for the report. */
struct report {
	const struct cli *cli;
	const struct ledger_verify_report *rep;
	const struct collector *col;
	const struct ledger_signed_checkpoint *c;
	const struct trust_pin *pin;
	const char *origin;
	int status;
	bool no_payloads;
};

static void
report_json(const struct report *r)
{
	const struct ledger_verify_report *rep = r->rep;
	char b64[LEDGER_B64_HASH_SIZE];
	size_t i;

	printf("{\"intact\":%s,\"log\":", r->status == 0 ? "true" : "false");
	json_print_string(stdout, r->origin);
	printf(",\"entries\":%" PRIu64 ",\"head_size\":%" PRIu64
	    ",\"problem_count\":%" PRIu64 ",\"first_bad_seq\":",
	    rep->entries, rep->head_size, rep->problems);
	if (rep->has_first_bad)
		printf("%" PRIu64, rep->first_bad_seq);
	else
		printf("null");
	printf(",\"counts\":{");
	for (i = 0; i < LEDGER_PROB_COUNT; i++)
		printf("%s\"%s\":%" PRIu64, i ? "," : "",
		    ledger_problem_name((enum ledger_problem)i), rep->count[i]);
	printf("},\"pruned\":{\"payloads\":%" PRIu64 ",\"before_seq\":%"
	    PRIu64 "},\"problems\":[", rep->pruned, rep->pruned_before);
	for (i = 0; i < r->col->n; i++) {
		printf("%s{\"seq\":%" PRIu64 ",\"category\":\"%s\","
		    "\"detail\":", i ? "," : "", r->col->list[i].seq,
		    ledger_problem_name(r->col->list[i].p));
		json_print_string(stdout, r->col->list[i].detail ?
		    r->col->list[i].detail : "");
		printf("}");
	}
	printf("],\"checkpoint\":");
	if (r->c->note != NULL) {
		ledger_b64_hash(r->c->root, b64);
		printf("{\"size\":%" PRIu64 ",\"root_hash\":\"%s\","
		    "\"key_id\":\"%08x\"}", r->c->size, b64, r->c->key_id);
	} else
		printf("null");
	trust_pin_json(stdout, r->pin);
	printf("}\n");
}

static void
report_text(const struct report *r)
{
	const struct ledger_verify_report *rep = r->rep;
	char b64[LEDGER_B64_HASH_SIZE];
	size_t i;

	for (i = 0; i < r->col->n; i++)
		printf("seq %" PRIu64 ": %s: %s\n", r->col->list[i].seq,
		    ledger_problem_name(r->col->list[i].p),
		    r->col->list[i].detail ? r->col->list[i].detail : "");
	if (rep->problems > r->col->n)
		printf("... and %" PRIu64 " more problems (the first %zu are "
		    "listed)\n", rep->problems - r->col->n, r->col->n);
	if (rep->problems == 0 && r->status == EXIT_YES)
		printf("intact: %" PRIu64 " entries of log '%s' verified "
		    "(every hash, link, signature%s)\n", rep->entries,
		    r->origin, r->cli->url == NULL ? ", payload and index" :
		    r->no_payloads ? "; payloads not checked" :
		    " and payload");
	else if (rep->problems == 0 && r->pin->failed)
		printf("NOT CHECKED: the %" PRIu64 " entries of log '%s' "
		    "verify, but its pin could not be read\n", rep->entries,
		    r->origin);
	else if (rep->problems == 0 && r->pin->other_key)
		printf("TAMPERED OR RECREATED: the %" PRIu64 " entries of log "
		    "'%s' verify, but a checkpoint pinned under that origin "
		    "was signed by another key (see the pin line)\n",
		    rep->entries, r->origin);
	else if (rep->problems == 0)
		printf("TAMPERED: the %" PRIu64 " entries of log '%s' verify, "
		    "but the log contradicts its pinned checkpoint\n",
		    rep->entries, r->origin);
	else
		printf("TAMPERED: %" PRIu64 " problem%s in %" PRIu64 " entries "
		    "of log '%s'; first bad entry: seq %" PRIu64 "\n",
		    rep->problems, rep->problems == 1 ? "" : "s", rep->entries,
		    r->origin, rep->first_bad_seq);
	if (rep->pruned_before > 0)
		printf("pruned:       %" PRIu64 " payloads of entries before "
		    "seq %" PRIu64 ", as the log records (not missing)\n",
		    rep->pruned, rep->pruned_before);
	if (r->c->note != NULL) {
		ledger_b64_hash(r->c->root, b64);
		printf("checkpoint:   size %" PRIu64 " root_hash %s (signed by "
		    "key %08x%s)\n", r->c->size, b64, r->c->key_id,
		    r->cli->url == NULL ? "" :
		    "; root recomputed from the entries");
	}
	if (r->c->note != NULL && r->pin->enabled)
		trust_pin_text(stdout, r->pin);
}

/* Interrupted: how far it got, and what it found on the way (exit 2:
 * the log was not checked to the end). */
static int
stopped(const struct ledger_verify_report *rep)
{
	fprintf(stderr, "ledgerctl: verify interrupted after %llu of %llu "
	    "entries: %llu problem%s so far", (unsigned long long)rep->entries,
	    (unsigned long long)rep->head_size,
	    (unsigned long long)rep->problems, rep->problems == 1 ? "" : "s");
	if (rep->has_first_bad)
		fprintf(stderr, ", the first at seq %llu",
		    (unsigned long long)rep->first_bad_seq);
	fprintf(stderr, "; NOT CHECKED to the end\n");
	return rep->problems > 0 ? EXIT_NO : EXIT_TROUBLE;
}

int
cmd_verify(struct cli *cli, int argc, char **argv)
{
	static const struct option extra[] = {
		TRUST_LONG_OPTIONS,
		{ "threads", required_argument, NULL, 'T' },
		{ "no-payloads", no_argument, NULL, 'P' },
		{ "bundle", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = find_command("verify");
	struct verify_opts o;
	struct ledger_verify_opts vo;
	struct progress pg;
	enum ledger_status st;
	struct ledger_verify_report rep;
	struct tlog_src src;
	struct ledger_signed_checkpoint c;
	struct trust_pin pin;
	struct ledger_vkey *keys = NULL;
	struct collector col;
	struct ledger_error err;
	size_t nkeys = 0, i;
	const char *origin = "";
	int r, first, status = EXIT_TROUBLE;

	memset(&o, 0, sizeof(o));
	memset(&col, 0, sizeof(col));
	memset(&src, 0, sizeof(src));
	memset(&c, 0, sizeof(c));
	memset(&pin, 0, sizeof(pin));
	pin.p.dirfd = -1;
	col.cli = cli;
	if ((r = parse_options(cli, cmd, argc, argv, extra, "k:", on_opt, &o,
	    &first)) >= 0)
		return r;
	if (o.bundle != NULL) {
		if (argc - first != 0 || cli->url != NULL || cli->dir != NULL)
			return usage_error(cmd, "--bundle is checked alone: "
			    "no -d, no --url, no argument");
		return verify_bundle(cli, o.bundle, &o.t);
	}
	if (cli->url == NULL && (r = need_dir(cli, cmd)) >= 0)
		return r;
	if (cli->url != NULL && o.t.nkeyfiles == 0)
		return usage_error(cmd, "verify --url needs --key FILE: the "
		    "log's public key, from a copy you trust");
	if (argc - first != 0)
		return usage_error(cmd, "unexpected argument '%s'",
		    argv[first]);
	if (tlog_src_open(&src, cli->dir, cli->database, cli->log,
	    cli->url, cli->token, &err)) {
		fail("open '%s': %s", cli_where(cli), err.msg);
		goto out;
	}
	if ((r = trust_keys(&o.t, &src, &keys, &nkeys)) >= 0) {
		status = r;
		goto out;
	}
	if ((col.list = calloc(MAX_LISTED,
	    sizeof(*col.list))) == NULL) {
		fail("out of memory");
		goto out;
	}
	memset(&vo, 0, sizeof(vo));
	vo.keys = keys;
	vo.nkeys = nkeys;
	vo.threads = (int)o.threads;
	progress_start(&pg, cli, "verify", "entries");
	vo.progress = progress_cb;
	vo.progress_ctx = &pg;
	if (cli->url != NULL) {
		/* a payload the daemon does not have waits for a prune
		 * record covering it (FORMAT.md, "Retention") */
		vo.payloads_pruned_below = UINT64_MAX;
		/* The newest checkpoint first: its root is then recomputed
		 * from the entries listed. */
		if ((r = trust_checkpoint(&o.t, &src, true, 0, keys, nkeys,
		    true, &c)) >= 0 ||
		    (r = remote_verify(cli, &vo, o.no_payloads, c.note ? &c :
		    NULL, on_problem, &col, &rep)) >= 0) {
			progress_end(&pg);
			status = progress_interrupted() ? stopped(&rep) : r;
			goto out;
		}
		origin = c.note ? c.origin : keys[0].name;
	} else if ((st = ledger_verify_store(src.store, &vo, on_problem, &col,
	    &rep, &err)) != LEDGER_OK) {
		progress_end(&pg);
		if (st == LEDGER_ECANCELED)
			status = stopped(&rep);
		else
			fail("verify '%s': %s", cli->dir, err.msg);
		goto out;
	} else
		origin = ledger_store_origin(src.store);
	progress_end(&pg);
	status = rep.problems == 0 ? EXIT_YES : EXIT_NO;
	status = check_pin(&o, &src, keys, nkeys, &c, &pin, status);
	qsort(col.list, col.n, sizeof(*col.list), found_cmp);
	{
		struct report rp = { cli, &rep, &col, &c, &pin, origin,
		    status, o.no_payloads };

		if (cli->json)
			report_json(&rp);
		else
			report_text(&rp);
	}
	status = finish(status);
out:
	for (i = 0; i < col.n; i++)
		free(col.list[i].detail);
	free(col.list);
	free(keys);
	trust_pin_release(&pin);
	ledger_signed_checkpoint_release(&c);
	tlog_src_close(&src);
	return status;
}
