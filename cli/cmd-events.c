/* cmd-events.c - ledgerctl events: list entries, filtered */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/entry.h"
#include "ledger/store.h"
#include "cli.h"
#include "remote.h"

enum { OPT_SUBJ = 2000, OPT_SOURCE = 2100, OPT_SINCE, OPT_UNTIL, OPT_AFTER,
    OPT_LIMIT };

struct events_opts {
	struct ledger_query q;
	const char *kind;
	int bad;
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct events_opts *o = ctx;
	struct ledger_error err;
	unsigned long long v;

	if (c >= OPT_SUBJ && c < OPT_SUBJ + LEDGER_SUBJ_COUNT) {
		o->q.subject[c - OPT_SUBJ] = arg;
		return -1;
	}
	switch (c) {
	case 'k':
		o->kind = arg;
		break;
	case OPT_SOURCE:
		o->q.source = arg;
		break;
	case OPT_SINCE:
		if (ledger_time_parse_any(arg, &o->q.since_ms, &err))
			return fail("--since: %s", err.msg);
		break;
	case OPT_UNTIL:
		if (ledger_time_parse_any(arg, &o->q.until_ms, &err))
			return fail("--until: %s", err.msg);
		break;
	case OPT_AFTER:
		if (!parse_u64(arg, &v) || v > INT64_MAX)
			return fail("bad --after '%s'", arg);
		o->q.after_seq = (int64_t)v;
		break;
	case OPT_LIMIT:
		if (!parse_u64(arg, &v))
			return fail("bad --limit '%s'", arg);
		o->q.limit = v;
		break;
	}
	return -1;
}

struct printer {
	const struct cli *cli;
	uint64_t n;
};

static void
csv_field(const char *s)
{
	const char *p;

	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (p = s; *p; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}

static int
print_row(void *ctx, const struct ledger_row *r)
{
	struct printer *p = ctx;
	char t[LEDGER_TIME_MAX];
	int i, any = 0;

	ledger_time_format(r->e.time_ms, t);
	if (p->cli->json) {
		/* JSON Lines: each line is the signed entry itself. */
		fwrite(r->entry, 1, r->entry_len, stdout);
		putchar('\n');
	} else if (p->cli->csv) {
		printf("%" PRIu64 ",%s,%s,", r->e.seq, t,
		    ledger_kind_name(r->e.kind));
		for (i = 0; i < LEDGER_SRC_COUNT; i++) {
			if (i == LEDGER_SRC_NAME)
				continue;
			csv_field(r->e.source[i]);
			putchar(',');
		}
		csv_field(r->e.source[LEDGER_SRC_NAME]);
		for (i = 0; i < LEDGER_SUBJ_COUNT; i++) {
			putchar(',');
			csv_field(r->e.subject[i]);
		}
		putchar('\n');
	} else {
		printf("%-6" PRIu64 " %s  %-10s %-14s ", r->e.seq, t,
		    ledger_kind_name(r->e.kind), r->e.source[LEDGER_SRC_NAME]);
		for (i = 0; i < LEDGER_SUBJ_COUNT; i++) {
			if (r->e.subject[i] == NULL || i == LEDGER_SUBJ_URL)
				continue;
			printf("%s%s=%s", any++ ? " " : "",
			    ledger_subject_name(i), r->e.subject[i]);
		}
		putchar('\n');
	}
	p->n++;
	return ferror(stdout) ? 1 : 0;
}

int
cmd_events(struct cli *cli, int argc, char **argv)
{
	struct option extra[LEDGER_SUBJ_COUNT + 8];
	const struct command *cmd = find_command("events");
	struct events_opts o;
	struct ledger_store *s = NULL;
	struct ledger_error err;
	struct printer p = { cli, 0 };
	enum ledger_kind kind;
	int r, first, i, n = 0;

	memset(&o, 0, sizeof(o));
	ledger_query_init(&o.q);
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		extra[n++] = (struct option){ ledger_subject_name(i),
		    required_argument, NULL, OPT_SUBJ + i };
	extra[n++] = (struct option){ "env", required_argument, NULL,
	    OPT_SUBJ + LEDGER_SUBJ_ENVIRONMENT };
	extra[n++] = (struct option){ "kind", required_argument, NULL, 'k' };
	extra[n++] = (struct option){ "source", required_argument, NULL,
	    OPT_SOURCE };
	extra[n++] = (struct option){ "since", required_argument, NULL,
	    OPT_SINCE };
	extra[n++] = (struct option){ "until", required_argument, NULL,
	    OPT_UNTIL };
	extra[n++] = (struct option){ "after", required_argument, NULL,
	    OPT_AFTER };
	extra[n++] = (struct option){ "limit", required_argument, NULL,
	    OPT_LIMIT };
	extra[n] = (struct option){ NULL, 0, NULL, 0 };
	if ((r = parse_options(cli, cmd, argc, argv, extra, "k:", on_opt, &o,
	    &first)) >= 0)
		return r;
	if (cli->url == NULL && (r = need_dir(cli, cmd)) >= 0)
		return r;
	if (argc - first != 0)
		return usage_error(cmd, "unexpected argument '%s'",
		    argv[first]);
	if (o.kind != NULL) {
		if (ledger_kind_parse(o.kind, &kind, &err))
			return usage_error(cmd, "%s", err.msg);
		o.q.kind = (int)kind;
	}
	if (cli->url == NULL &&
	    ledger_store_open(cli->dir, LEDGER_STORE_READONLY, &s, &err))
		return fail("open '%s': %s", cli->dir, err.msg);
	if (cli->csv) {
		printf("seq,time,kind,source_auth,source_delivery,source_event,"
		    "source_name");
		for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
			printf(",%s", ledger_subject_name(i));
		putchar('\n');
	}
	if (cli->url != NULL) {
		if ((r = remote_events(cli, &o.q, print_row, &p)) >= 0)
			return r;
		return finish(EXIT_YES);
	}
	if (ledger_store_query(s, &o.q, print_row, &p, &err) != LEDGER_OK) {
		ledger_store_close(s);
		return fail("list events: %s", err.msg);
	}
	ledger_store_close(s);
	return finish(EXIT_YES);
}
