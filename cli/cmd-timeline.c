/*
 * cmd-timeline.c - ledgerctl timeline: what happened in a period, in
 * ledger order, and the ledger's own restarts and gaps in it
 * (ledger/timeline.h; GET /v1/timeline answers from the same code)
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/entry.h"
#include "ledger/query.h"
#include "ledger/store.h"
#include "ledger/timeline.h"
#include "cli.h"
#include "remote.h"

struct tl_opts {
	const char *period, *from, *to, *env, *service, *gap, *after, *limit;
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct tl_opts *o = ctx;

	switch (c) {
	case 'p': o->period = arg; break;
	case 'F': o->from = arg; break;
	case 'T': o->to = arg; break;
	case 'e': o->env = arg; break;
	case 'S': o->service = arg; break;
	case 'g': o->gap = arg; break;
	case 'a': o->after = arg; break;
	case 'l': o->limit = arg; break;
	default: break;
	}
	return -1;
}

/* The options as the library takes them; -1, or an exit status. */
static int
resolve(const struct command *cmd, const struct tl_opts *a,
    struct ledger_timeline_opts *o)
{
	struct ledger_error err;
	unsigned long long g;

	memset(o, 0, sizeof(*o));
	if ((a->period != NULL) == (a->from != NULL || a->to != NULL) ||
	    (a->period == NULL && (a->from == NULL || a->to == NULL)))
		return usage_error(cmd, "give --period P, or --from T1 --to T2");
	if (a->period != NULL ? ledger_period_parse(a->period, &o->from_ms,
	    &o->to_ms, &err) != LEDGER_OK : ledger_time_parse_any(a->from,
	    &o->from_ms, &err) != LEDGER_OK || ledger_time_parse_any(a->to,
	    &o->to_ms, &err) != LEDGER_OK)
		return usage_error(cmd, "%s", err.msg);
	if (o->to_ms <= o->from_ms)
		return usage_error(cmd, "the period ends before it begins");
	if (a->gap != NULL && (!parse_u64(a->gap, &g) || g == 0 ||
	    g > 31536000))
		return usage_error(cmd, "--gap takes 1 to 31536000 seconds");
	o->gap_s = a->gap != NULL ? (int64_t)g : 0;
	if (ledger_page_parse(a->after, a->limit, &o->start_seq, &o->limit,
	    &err) != LEDGER_OK)
		return usage_error(cmd, "--%s", err.msg);
	o->environment = a->env;
	o->service = a->service;
	return -1;
}

static int
local_answer(const struct cli *cli, const struct ledger_timeline_opts *o,
    char **ret)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_store *s;
	struct ledger_error err;
	enum ledger_status st;
	size_t len;

	if (cli_store_open(cli, LEDGER_STORE_READONLY, &s, &err))
		return fail("open '%s': %s", cli_where(cli), err.msg);
	st = ledger_timeline_json(s, o, &b, NULL, &err);
	ledger_store_close(s);
	if (st != LEDGER_OK || ledger_buf_addc(&b, '\0') != LEDGER_OK) {
		ledger_buf_release(&b);
		return st == LEDGER_EINVAL ? usage_error(find_command(
		    "timeline"), "%s", err.msg) : fail("%s", err.msg);
	}
	*ret = ledger_buf_steal(&b, &len);
	return -1;
}

static int
remote_answer(const struct cli *cli, const struct ledger_timeline_opts *o,
    char **ret)
{
	struct ledger_query q;
	struct ledger_buf params = LEDGER_BUF_INIT;
	struct ledger_error err;
	char path[4096], t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX];

	/* environment and service percent-encoded as listing filters are */
	ledger_query_init(&q);
	if ((o->environment != NULL && ledger_query_param(&q, "environment",
	    o->environment, &err)) || (o->service != NULL &&
	    ledger_query_param(&q, "service", o->service, &err)) ||
	    ledger_query_encode(&q, &params, &err) != LEDGER_OK ||
	    ledger_buf_addc(&params, '\0')) {
		ledger_query_release(&q);
		ledger_buf_release(&params);
		return usage_error(find_command("timeline"), "%s", err.msg);
	}
	ledger_query_release(&q);
	ledger_time_format(o->from_ms, t1);
	ledger_time_format(o->to_ms, t2);
	snprintf(path, sizeof(path), "/v1/timeline?from=%s&to=%s%s", t1, t2,
	    params.data);
	ledger_buf_release(&params);
	if (o->gap_s > 0)
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
		    "&gap=%" PRId64, o->gap_s);
	if (o->start_seq > 0)
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
		    "&after=%" PRIu64, o->start_seq - 1);
	if (o->limit > 0)
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
		    "&limit=%zu", o->limit);
	return remote_get_text(cli, path, ret);
}

static void
print_answer(const json_t *doc, void *ctx)
{
	static const char *const cols[] = { "seq", "time", "kind", "source",
	    "actor", "status", "environment", "service", "machine", NULL };
	static const int w[] = { 6, 24, 10, 12, 14, 9, 12, 12, 32 };
	const struct cli *cli = ctx;
	const json_t *row, *gaps = json_object_get(doc, "gaps");
	const json_t *ledger = json_object_get(doc, "ledger");
	size_t i;

	answer_table(cli, json_object_get(doc, "entries"), cols, w);
	if (cli->csv)
		return;		/* the rows only: the summary is in --json */
	printf("ledger: %zu started, %zu stopping, %.0f heartbeats; "
	    "%zu gap(s) longer than %.0f s\n",
	    json_array_size(json_object_get(ledger, "started")),
	    json_array_size(json_object_get(ledger, "stopping")),
	    json_number_value(json_object_get(ledger, "heartbeats")),
	    json_array_size(gaps),
	    json_number_value(json_object_get(doc, "gap_s")));
	json_array_foreach(gaps, i, row)
		printf("  gap after seq %.0f: %s to %s (%.0f s)\n",
		    json_number_value(json_object_get(row, "after_seq")),
		    json_string_value(json_object_get(row, "from")),
		    json_string_value(json_object_get(row, "to")),
		    json_number_value(json_object_get(row, "seconds")));
}

int
cmd_timeline(struct cli *cli, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "period", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "env", required_argument, NULL, 'e' },
		{ "environment", required_argument, NULL, 'e' },
		{ "service", required_argument, NULL, 'S' },
		{ "gap", required_argument, NULL, 'g' },
		{ "after", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = find_command("timeline");
	struct ledger_timeline_opts o;
	struct tl_opts a;
	char *text = NULL;
	int r, first;

	memset(&a, 0, sizeof(a));
	if ((r = parse_options(cli, cmd, argc, argv, extra, "", on_opt, &a,
	    &first)) >= 0)
		return r;
	if (argc > first)
		return usage_error(cmd, "unexpected argument '%s'", argv[first]);
	if ((r = resolve(cmd, &a, &o)) >= 0)
		return r;
	if (cli->url == NULL && (r = need_dir(cli, cmd)) >= 0)
		return r;
	r = cli->url != NULL ? remote_answer(cli, &o, &text) :
	    local_answer(cli, &o, &text);
	if (r >= 0)
		return r;
	return answer_print(cli, text, "entries", print_answer, cli);
}
