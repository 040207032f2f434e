/* cmd-events.c - ledgerctl events: list entries, filtered */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/wire.h"
#include "ledger/entry.h"
#include "ledger/query.h"
#include "ledger/store.h"
#include "cli.h"
#include "remote.h"

/* Every filter option is a name of ledger_query_param: the options and the
 * API's query parameters are read by the same code.  (--url names the
 * daemon, so the url field is filtered through the API only.) */
const char *const cli_filter_names[CLI_NFILTERS] = {
	"actor", "artifact", "commit", "environment", "pipeline", "run",
	"service", "status", "ticket", "env", "kind", "source",
	"since", "until", "after", "limit", "tool",
};


struct events_opts {
	struct ledger_query q;
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct events_opts *o = ctx;
	struct ledger_error err;
	const char *name;

	if (c == 'k')
		c = CLI_OPT_FILTER + 10;	/* -k is --kind */
	if (c < CLI_OPT_FILTER || c >= CLI_OPT_FILTER + (int)CLI_NFILTERS)
		return -1;
	name = cli_filter_names[c - CLI_OPT_FILTER];
	/* The library's message names the parameter already. */
	if (ledger_query_param(&o->q, name, arg, &err) != LEDGER_OK)
		return usage_error(find_command("events"), "%s", err.msg);
	return -1;
}

/*
 * The columns of --csv, in order: the header and every row come from this
 * one table.  Cells are quoted per RFC 4180 (CRLF line ends).
 */
enum col_type { COL_SEQ, COL_TIME, COL_KIND, COL_SOURCE, COL_SUBJECT };
static const struct column {
	const char *name;
	enum col_type type;
	int field;
} columns[] = {
	{ "seq", COL_SEQ, 0 },
	{ "time", COL_TIME, 0 },
	{ "kind", COL_KIND, 0 },
	{ "source_auth", COL_SOURCE, LEDGER_SRC_AUTH },
	{ "source_delivery", COL_SOURCE, LEDGER_SRC_DELIVERY },
	{ "source_event", COL_SOURCE, LEDGER_SRC_EVENT },
	{ "source_type", COL_SOURCE, LEDGER_SRC_TYPE },
	{ "source_name", COL_SOURCE, LEDGER_SRC_NAME },
	{ "actor", COL_SUBJECT, LEDGER_SUBJ_ACTOR },
	{ "artifact", COL_SUBJECT, LEDGER_SUBJ_ARTIFACT },
	{ "commit", COL_SUBJECT, LEDGER_SUBJ_COMMIT },
	{ "environment", COL_SUBJECT, LEDGER_SUBJ_ENVIRONMENT },
	{ "pipeline", COL_SUBJECT, LEDGER_SUBJ_PIPELINE },
	{ "run", COL_SUBJECT, LEDGER_SUBJ_RUN },
	{ "service", COL_SUBJECT, LEDGER_SUBJ_SERVICE },
	{ "status", COL_SUBJECT, LEDGER_SUBJ_STATUS },
	{ "ticket", COL_SUBJECT, LEDGER_SUBJ_TICKET },
	{ "url", COL_SUBJECT, LEDGER_SUBJ_URL },
};
#define NCOLUMNS (sizeof(columns) / sizeof(*columns))

static void
csv_header(void)
{
	size_t i;

	for (i = 0; i < NCOLUMNS; i++)
		printf("%s%s", i ? "," : "", columns[i].name);
	fputs("\r\n", stdout);
}

static void
csv_row(const struct ledger_row *r)
{
	char buf[LEDGER_TIME_MAX];
	const char *v = NULL;
	size_t i;

	for (i = 0; i < NCOLUMNS; i++) {
		switch (columns[i].type) {
		case COL_SEQ:
			snprintf(buf, sizeof(buf), "%" PRIu64, r->e.seq);
			v = buf;
			break;
		case COL_TIME:
			ledger_time_format(r->e.time_ms, buf);
			v = buf;
			break;
		case COL_KIND:
			v = ledger_kind_name(r->e.kind);
			break;
		case COL_SOURCE:
			v = r->e.source[columns[i].field];
			break;
		case COL_SUBJECT:
			v = r->e.subject[columns[i].field];
			break;
		}
		if (i > 0)
			putchar(',');
		csv_field(v);
	}
	fputs("\r\n", stdout);
}

static void
table_row(const struct ledger_row *r)
{
	char t[LEDGER_TIME_MAX];
	int i, any = 0;

	ledger_time_format(r->e.time_ms, t);
	printf("%-6" PRIu64 " %s  %-10s ", r->e.seq, t,
	    ledger_kind_name(r->e.kind));
	term_print(stdout, r->e.source[LEDGER_SRC_NAME], 14);
	putchar(' ');
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++) {
		if (r->e.subject[i] == NULL || i == LEDGER_SUBJ_URL)
			continue;
		printf("%s%s=", any++ ? " " : "", ledger_subject_name(i));
		term_print(stdout, r->e.subject[i], 0);
	}
	putchar('\n');
}

static int
print_row(void *ctx, const struct ledger_row *r)
{
	const struct cli *cli = ctx;

	if (cli->json) {
		/* JSON Lines: the object of show --json and the API. */
		struct ledger_buf b = LEDGER_BUF_INIT;

		if (ledger_row_json(r->e.seq, r->entry, r->entry_len, r->sig,
		    &r->e, -1, NULL, &b) != LEDGER_OK) {
			ledger_buf_release(&b);
			return 1;
		}
		fwrite(b.data, 1, b.len, stdout);
		putchar('\n');
		ledger_buf_release(&b);
	} else if (cli->csv)
		csv_row(r);
	else
		table_row(r);
	return ferror(stdout) ? 1 : 0;
}

static int
list(struct cli *cli, const struct ledger_query *q)
{
	struct ledger_store *s = NULL;
	struct ledger_error err;
	int r;

	if (cli->url == NULL &&
	    cli_store_open(cli, LEDGER_STORE_READONLY, &s, &err))
		return fail("open '%s': %s", cli_where(cli), err.msg);
	if (cli->csv)
		csv_header();
	if (cli->url != NULL) {
		if ((r = remote_events(cli, q, print_row, cli)) >= 0)
			return r;
		return finish(EXIT_YES);
	}
	if (ledger_store_query(s, q, print_row, cli, &err) != LEDGER_OK) {
		ledger_store_close(s);
		return fail("list events: %s", err.msg);
	}
	ledger_store_close(s);
	return finish(EXIT_YES);
}

size_t
cli_filter_options(struct option *extra)
{
	size_t i;

	for (i = 0; i < CLI_NFILTERS; i++)
		extra[i] = (struct option){ cli_filter_names[i],
		    required_argument, NULL, CLI_OPT_FILTER + (int)i };
	return i;
}

int
cmd_events(struct cli *cli, int argc, char **argv)
{
	struct option extra[CLI_NFILTERS + 1];
	const struct command *cmd = find_command("events");
	struct events_opts o;
	struct ledger_error err;
	int r, first;

	ledger_query_init(&o.q);
	extra[cli_filter_options(extra)] = (struct option){ NULL, 0, NULL,
	    0 };
	if ((r = parse_options(cli, cmd, argc, argv, extra, "k:", on_opt, &o,
	    &first)) >= 0)
		goto out;
	if (cli->url == NULL && (r = need_dir(cli, cmd)) >= 0)
		goto out;
	if (argc - first != 0) {
		r = usage_error(cmd, "unexpected argument '%s'", argv[first]);
		goto out;
	}
	if (ledger_query_check(&o.q, &err) != LEDGER_OK) {
		r = usage_error(cmd, "%s", err.msg);
		goto out;
	}
	r = list(cli, &o.q);
out:
	ledger_query_release(&o.q);
	return r;
}
