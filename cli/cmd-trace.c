/*
 * cmd-trace.c - ledgerctl trace and where: a commit's, artifact's or
 * run's lineage, and where it was deployed (ledger/lineage.h)
 *
 * The answer is the library's JSON, computed here from a data directory
 * or by ledgerd (GET /v1/trace, /v1/where) from the same code; --json
 * prints it as it is, a terminal gets a table read from it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/lineage.h"
#include "ledger/query.h"
#include "ledger/store.h"
#include "cli.h"
#include "remote.h"

struct trace_opts {
	const char *value[3];		/* commit, artifact, run */
	const char *pipeline;
};

static const char *const start_names[3] = { "commit", "artifact", "run" };
static const enum ledger_subject start_fields[3] = { LEDGER_SUBJ_COMMIT,
	LEDGER_SUBJ_ARTIFACT, LEDGER_SUBJ_RUN };

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct trace_opts *o = ctx;

	switch (c) {
	case 'C': o->value[0] = arg; return -1;
	case 'A': o->value[1] = arg; return -1;
	case 'R': o->value[2] = arg; return -1;
	case 'P': o->pipeline = arg; return -1;
	default: return -1;
	}
}

/* The answer's JSON text from the data directory (malloc'd). */
static int
local_answer(const struct cli *cli, int which, const struct trace_opts *o,
    bool where, char **ret)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_store *s;
	struct ledger_trace t;
	struct ledger_error err;
	enum ledger_status st;
	size_t len;

	if (cli_store_open(cli, LEDGER_STORE_READONLY, &s, &err))
		return fail("open '%s': %s", cli_where(cli), err.msg);
	st = ledger_trace(s, start_fields[which], o->value[which], o->pipeline,
	    &t, &err);
	ledger_store_close(s);
	if (st != LEDGER_OK)
		return st == LEDGER_EINVAL ? usage_error(find_command(where ?
		    "where" : "trace"), "%s", err.msg) : fail("%s", err.msg);
	st = where ? ledger_where_json(&t, &b) : ledger_trace_json(&t, &b);
	ledger_trace_release(&t);
	if (st != LEDGER_OK || ledger_buf_addc(&b, '\0') != LEDGER_OK) {
		ledger_buf_release(&b);
		return fail("out of memory");
	}
	*ret = ledger_buf_steal(&b, &len);
	return -1;
}

/* ledgerd's answer (GET /v1/trace or /v1/where), as JSON text. */
static int
remote_answer(const struct cli *cli, int which, const struct trace_opts *o,
    bool where, char **ret)
{
	struct ledger_query q;
	struct ledger_buf params = LEDGER_BUF_INIT;
	struct ledger_error err;
	char path[4096];

	/* The values are percent-encoded as listing filters are
	 * ("&name=value" each). */
	ledger_query_init(&q);
	if (ledger_query_param(&q, start_names[which], o->value[which],
	    &err) != LEDGER_OK || (o->pipeline != NULL &&
	    ledger_query_param(&q, "pipeline", o->pipeline, &err)) ||
	    ledger_query_encode(&q, &params, &err) != LEDGER_OK ||
	    ledger_buf_addc(&params, '\0')) {
		ledger_query_release(&q);
		ledger_buf_release(&params);
		return usage_error(find_command(where ? "where" : "trace"),
		    "%s", err.msg);
	}
	ledger_query_release(&q);
	snprintf(path, sizeof(path), "/v1/%s?%s", where ? "where" : "trace",
	    params.data[0] == '&' ? params.data + 1 : params.data);
	ledger_buf_release(&params);
	return remote_get_text(cli, path, ret);
}

/* A table (or CSV) of the answer's rows (ctx: the cli). */
static void
print_answer(const json_t *doc, void *ctx)
{
	const struct cli *cli = ctx;
	bool where = json_object_get(doc, "targets") != NULL;
	static const char *const trace_cols[] = { "seq", "time", "kind",
	    "via", "source", "actor", "status", "environment", "service",
	    "artifact", NULL };
	static const char *const where_cols[] = { "environment", "service",
	    "first_seq", "first_time", "last_seq", "last_time", "last_kind",
	    "last_status", NULL };
	static const int trace_w[] = { 6, 24, 10, 8, 12, 14, 9, 12, 12, 22 };
	static const int where_w[] = { 12, 12, 9, 24, 8, 24, 10, 0 };
	const char *const *cols = where ? where_cols : trace_cols;
	const int *w = where ? where_w : trace_w;

	answer_table(cli, json_object_get(doc, where ? "targets" : "entries"),
	    cols, w);
}

static int
lineage(struct cli *cli, int argc, char **argv, bool where)
{
	static const struct option extra[] = {
		{ "commit", required_argument, NULL, 'C' },
		{ "artifact", required_argument, NULL, 'A' },
		{ "run", required_argument, NULL, 'R' },
		{ "pipeline", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = find_command(where ? "where" : "trace");
	struct trace_opts o;
	char *text = NULL;
	int r, first, which = -1, i, given = 0;

	memset(&o, 0, sizeof(o));
	if ((r = parse_options(cli, cmd, argc, argv, extra, "", on_opt, &o,
	    &first)) >= 0)
		return r;
	if (argc > first)
		return usage_error(cmd, "unexpected argument '%s'", argv[first]);
	for (i = 0; i < 3; i++)
		if (o.value[i] != NULL) {
			which = i;
			given++;
		}
	if (given != 1 || (where && which == 2))
		return usage_error(cmd, where ? "give --artifact or --commit" :
		    "give exactly one of --commit, --artifact or --run");
	if (o.pipeline != NULL && which != 2)
		return usage_error(cmd, "--pipeline narrows --run only");
	if (cli->url == NULL && (r = need_dir(cli, cmd)) >= 0)
		return r;
	r = cli->url != NULL ? remote_answer(cli, which, &o, where, &text) :
	    local_answer(cli, which, &o, where, &text);
	if (r >= 0)
		return r;
	return answer_print(cli, text, where ? "deployments" : "entries",
	    print_answer, cli);
}

int
cmd_trace(struct cli *cli, int argc, char **argv)
{
	return lineage(cli, argc, argv, false);
}

int
cmd_where(struct cli *cli, int argc, char **argv)
{
	return lineage(cli, argc, argv, true);
}
