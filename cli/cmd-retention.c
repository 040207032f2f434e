/*
 * cmd-retention.c - ledgerctl prune and ledgerctl hold: deleting old
 * payloads under legal holds, each step recorded in the log
 * (ledger/retention.h decides; this file reads options and prints)
 */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/retention.h"
#include "ledger/store.h"
#include "ledger/timeline.h"
#include "ledger/tree.h"
#include "cli.h"
#include "progress.h"

#define PRUNE_STEP 2000		/* payloads a transaction deletes */

struct ret_opts {
	const char *before, *env, *period, *seqs, *reason;
	bool vacuum;
};

enum { OPT_BEFORE = 3000, OPT_ENV, OPT_PERIOD, OPT_SEQS, OPT_REASON,
    OPT_VACUUM };

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct ret_opts *o = ctx;

	switch (c) {
	case OPT_BEFORE: o->before = arg; break;
	case OPT_ENV: o->env = arg; break;
	case OPT_PERIOD: o->period = arg; break;
	case OPT_SEQS: o->seqs = arg; break;
	case OPT_REASON: o->reason = arg; break;
	case OPT_VACUUM: o->vacuum = true; break;
	default: return EXIT_TROUBLE;
	}
	return -1;
}

/* SEQ (digits), an age (90d, 12h) or a time (RFC 3339, a date). */
static int
parse_before(const struct command *cmd, const char *s, uint64_t *seq,
    int64_t *ms)
{
	unsigned long long n;
	struct ledger_error err;
	char *end;

	*seq = UINT64_MAX;
	*ms = 0;
	if (parse_u64(s, &n)) {
		*seq = n;
		return -1;
	}
	n = strtoull(s, &end, 10);
	if (end != s && isdigit((unsigned char)s[0]) && end[1] == '\0' &&
	    (end[0] == 'd' || end[0] == 'h') && n > 0 && n < 100000) {
		*ms = ledger_now_ms() - (int64_t)n * (end[0] == 'd' ?
		    86400000 : 3600000);
		return -1;
	}
	if (ledger_time_parse_any(s, ms, &err) != LEDGER_OK)
		return usage_error(cmd, "--payloads-before: want a seq, an age "
		    "(90d, 12h) or a time: %s", err.msg);
	return -1;
}

static int
append_record(struct ledger_store *s, struct ledger_event *ev,
    uint64_t *ret_seq)
{
	struct ledger_receipt r;
	struct ledger_error err;

	if (ledger_store_append(s, &ev, 1, &r, &err) != LEDGER_OK)
		return fail("record: %s", err.msg);
	*ret_seq = r.seq;
	if (ledger_store_checkpoint(s, NULL, NULL, &err) != LEDGER_OK)
		fprintf(stderr, "ledgerctl: recorded, but could not sign a "
		    "checkpoint: %s\n", err.msg);
	return -1;
}

static int
prune(struct cli *cli, const struct command *cmd, const struct ret_opts *o)
{
	struct ledger_prune_plan p;
	struct progress pg;
	struct ledger_store *s;
	struct ledger_error err;
	uint64_t before_seq, rec = 0, free_bytes = 0;
	int64_t before_ms;
	bool incremental = false;
	int r;

	if (o->before == NULL)
		return usage_error(cmd, "--payloads-before T|SEQ is required");
	if ((r = parse_before(cmd, o->before, &before_seq, &before_ms)) >= 0)
		return r;
	if (cli_store_open(cli, 0, &s, &err))
		return fail("open '%s': %s", cli_where(cli), err.msg);
	if (ledger_prune_plan(s, before_seq, before_ms, "ledgerctl", "local",
	    &p, &err) != LEDGER_OK) {
		ledger_store_close(s);
		return fail("prune: %s", err.msg);
	}
	/* the record first, durable, then the deletions it announces */
	if (p.record == NULL)
		rec = p.record_seq;
	else if ((r = append_record(s, p.record, &rec)) >= 0)
		goto out;
	progress_start(&pg, cli, "prune", "entries looked at");
	while (!p.done) {
		if (ledger_prune_step(s, &p, rec, PRUNE_STEP, &err)) {
			progress_end(&pg);
			r = fail("prune (recorded at seq %" PRIu64 ", %" PRIu64
			    " deleted so far; run it again to finish): %s",
			    rec, p.deleted, err.msg);
			goto out;
		}
		if (progress_show(&pg, p.next_seq, p.before_seq)) {
			progress_end(&pg);
			r = fail("prune interrupted (recorded at seq %" PRIu64
			    ", %" PRIu64 " payloads deleted so far; run it "
			    "again to finish)", rec, p.deleted);
			goto out;
		}
	}
	progress_end(&pg);
	if (ledger_store_vacuum(s, 1u << 30, o->vacuum, &free_bytes,
	    &incremental, &err) != LEDGER_OK) {
		r = fail("pruned, but vacuum failed: %s", err.msg);
		goto out;
	}
	if (cli->json)
		printf("{\"record_seq\":%" PRIu64 ",\"before_seq\":%" PRIu64
		    ",\"pruned\":%" PRIu64 ",\"held\":%" PRIu64 ",\"bytes\":%"
		    PRIu64 ",\"free_bytes\":%" PRIu64 ",\"incremental_vacuum\""
		    ":%s}\n", rec, p.before_seq, p.deleted, p.kept, p.bytes,
		    free_bytes, incremental ? "true" : "false");
	else
		printf("pruned %" PRIu64 " payloads (%" PRIu64 " bytes) of "
		    "entries before seq %" PRIu64 ", recorded at seq %" PRIu64
		    "; %" PRIu64 " kept by legal holds; %s\n", p.deleted,
		    p.bytes, p.before_seq, rec, p.kept, incremental ?
		    "freed pages returned to the file system" : free_bytes ?
		    "freed pages are reused by new entries (--vacuum, "
		    "offline, returns them to the file system)" : "");
	r = finish(EXIT_YES);
out:
	ledger_prune_plan_release(&p);
	ledger_store_close(s);
	return r;
}

static int
hold_spec(const struct command *cmd, const struct ret_opts *o,
    struct ledger_hold *h)
{
	unsigned long long a, b;
	struct ledger_error err;
	char *dash, buf[64];

	memset(h, 0, sizeof(*h));
	h->environment = (char *)o->env;
	h->reason = (char *)o->reason;
	if (o->period != NULL && ledger_period_parse(o->period, &h->since_ms,
	    &h->until_ms, &err) != LEDGER_OK)
		return usage_error(cmd, "--period: %s", err.msg);
	if (o->seqs != NULL) {
		snprintf(buf, sizeof(buf), "%s", o->seqs);
		if ((dash = strchr(buf, '-')) != NULL)
			*dash++ = '\0';
		if (!parse_u64(buf, &a) || (dash && !parse_u64(dash, &b)))
			return usage_error(cmd, "--seq: want SEQ or FROM-TO");
		h->has_seqs = true;
		h->from_seq = a;
		h->to_seq = dash ? b : a;
	}
	return -1;
}

static void
print_hold(const struct cli *cli, const struct ledger_hold *h)
{
	char t[LEDGER_TIME_MAX], a[LEDGER_TIME_MAX], b[LEDGER_TIME_MAX];

	ledger_time_format(h->time_ms, t);
	ledger_time_format(h->since_ms, a);
	ledger_time_format(h->until_ms, b);
	if (cli->json) {
		printf("{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"environment\":",
		    h->seq, t);
		json_print_string(stdout, h->environment ? h->environment : "");
		printf(",\"since\":\"%s\",\"until\":\"%s\"", h->since_ms ? a :
		    "", h->until_ms ? b : "");
		if (h->has_seqs)
			printf(",\"from_seq\":%" PRIu64 ",\"to_seq\":%" PRIu64,
			    h->from_seq, h->to_seq);
		printf(",\"reason\":");
		json_print_string(stdout, h->reason);
		printf(",\"released_seq\":");
		if (h->released)
			printf("%" PRIu64 "}\n", h->released_seq);
		else
			printf("null}\n");
		return;
	}
	printf("%-6" PRIu64 " %s %s", h->seq, t, h->released ? "released" :
	    "in force");
	if (h->environment) {
		printf("  env ");
		term_print(stdout, h->environment, 0);
	}
	if (h->since_ms || h->until_ms)
		printf("  period %s..%s", h->since_ms ? a : "", h->until_ms ?
		    b : "");
	if (h->has_seqs)
		printf("  seq %" PRIu64 "-%" PRIu64, h->from_seq, h->to_seq);
	printf("  reason ");
	term_print(stdout, h->reason, 0);
	printf("\n");
}

static int
hold(struct cli *cli, const struct command *cmd, const char *sub,
    const struct ret_opts *o, int nargs, char **args)
{
	struct ledger_retention rt;
	struct ledger_event *ev = NULL;
	struct ledger_store *s;
	struct ledger_error err;
	struct ledger_hold h;
	unsigned long long id = 0;
	uint64_t rec = 0;
	size_t i;
	int r;

	if (strcmp(sub, "list") != 0 && strcmp(sub, "add") != 0 &&
	    strcmp(sub, "release") != 0)
		return usage_error(cmd, "want hold add, release or list");
	if (nargs != (strcmp(sub, "release") == 0) ||
	    (nargs && !parse_u64(args[0], &id)))
		return usage_error(cmd, "hold %s takes %s", sub,
		    strcmp(sub, "release") == 0 ? "the hold's SEQ" :
		    "no arguments");
	if (strcmp(sub, "add") == 0 && (r = hold_spec(cmd, o, &h)) >= 0)
		return r;
	if (cli_store_open(cli, strcmp(sub, "list") == 0 ?
	    LEDGER_STORE_READONLY : 0, &s, &err))
		return fail("open '%s': %s", cli_where(cli), err.msg);
	if (ledger_retention_read(s, &rt, &err) != LEDGER_OK) {
		ledger_store_close(s);
		return fail("read holds: %s", err.msg);
	}
	r = -1;
	if (strcmp(sub, "list") == 0) {
		for (i = 0; i < rt.nholds; i++)
			print_hold(cli, &rt.holds[i]);
		r = finish(EXIT_YES);
	} else if (strcmp(sub, "add") == 0) {
		for (i = 0, rec = 0; i < rt.nholds; i++)
			rec += !rt.holds[i].released;
		if (rec >= LEDGER_HOLDS_MAX)
			r = fail("%d holds are in force: release one first",
			    LEDGER_HOLDS_MAX);
		else if (ledger_hold_event(&h, "ledgerctl", "local", &ev, &err))
			r = usage_error(cmd, "%s", err.msg);
	} else {
		for (i = 0; i < rt.nholds && (rt.holds[i].seq != id ||
		    rt.holds[i].released); i++)
			;
		if (i == rt.nholds)
			r = fail("no hold in force was recorded at seq %llu "
			    "(hold list shows them)", id);
		else if (ledger_hold_release_event(id, o->reason, "ledgerctl",
		    "local", &ev, &err))
			r = usage_error(cmd, "%s", err.msg);
	}
	if (r < 0 && (r = append_record(s, ev, &rec)) < 0) {
		printf("%s recorded at seq %" PRIu64 "\n", strcmp(sub, "add") ==
		    0 ? "hold" : "release", rec);
		r = finish(EXIT_YES);
	}
	ledger_event_free(ev);
	ledger_retention_release(&rt);
	ledger_store_close(s);
	return r;
}

int
cmd_retention(struct cli *cli, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "payloads-before", required_argument, NULL, OPT_BEFORE },
		{ "vacuum", no_argument, NULL, OPT_VACUUM },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "period", required_argument, NULL, OPT_PERIOD },
		{ "seq", required_argument, NULL, OPT_SEQS },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = argv[0], *sub = NULL;
	const struct command *cmd = find_command(name);
	struct ret_opts o;
	int r, first;

	memset(&o, 0, sizeof(o));
	if (strcmp(name, "hold") == 0) {
		if ((r = subcommand(cmd, argc, argv, "add, release or list",
		    &sub)) >= 0)
			return r;
		argc--;
		argv++;
	}
	if ((r = parse_options(cli, cmd, argc, argv, extra, "", on_opt, &o,
	    &first)) >= 0)
		return r;
	if ((r = need_dir(cli, cmd)) >= 0)
		return r;
	if (sub != NULL)
		return hold(cli, cmd, sub, &o, argc - first, argv + first);
	if (argc - first != 0)
		return usage_error(cmd, "unexpected argument '%s'",
		    argv[first]);
	return prune(cli, cmd, &o);
}
