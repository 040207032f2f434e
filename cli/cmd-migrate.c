/*
 * cmd-migrate.c - ledgerctl migrate: bring a log to this version's schema
 *
 * A writer (ledgerd, ledgerctl append) migrates a log as it opens it; on
 * a large log a migration that rebuilds an index can take minutes, so an
 * operator upgrading ledgerd runs this first, with ledgerd stopped, and
 * watches it: migrations done of total on a terminal.  Ctrl-C stops it:
 * the migration under way is rolled back, those before it stay, and the
 * next open (or migrate) goes on from there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/store.h"
#include "cli.h"
#include "progress.h"

struct migrating {
	struct progress p;
	uint64_t total;
};

static int
on_step(void *ctx, uint64_t done, uint64_t total)
{
	struct migrating *m = ctx;

	m->total = total;
	return progress_show(&m->p, done, total);
}

int
cmd_migrate(struct cli *cli, int argc, char **argv)
{
	const struct command *cmd = find_command("migrate");
	struct ledger_store_config c;
	struct ledger_store *s = NULL;
	struct ledger_error err;
	struct migrating m;
	enum ledger_status st;
	int r, first;

	if ((r = parse_options(cli, cmd, argc, argv, NULL, "", NULL, NULL,
	    &first)) >= 0)
		return r;
	if (argc > first)
		return usage_error(cmd, "unexpected argument '%s'", argv[first]);
	if ((r = need_dir(cli, cmd)) >= 0)
		return r;
	if ((r = daemon_check(cli->dir, "it migrates the log itself as it "
	    "starts; stop it to migrate here")) >= 0)
		return r;
	memset(&m, 0, sizeof(m));
	memset(&c, 0, sizeof(c));
	c.location = cli->dir;
	c.flags = LEDGER_STORE_NOKEY;
	c.migrate_progress = on_step;
	c.migrate_ctx = &m;
	progress_start(&m.p, cli, "migrate", "migrations");
	st = ledger_store_open_config(&c, &s, &err);
	progress_end(&m.p);
	if (st == LEDGER_ECANCELED)
		return fail("interrupted: %s; the next open goes on from there",
		    err.msg);
	if (st != LEDGER_OK)
		return fail("migrate '%s': %s", cli->dir, err.msg);
	ledger_store_close(s);
	if (m.total == 0)
		printf("%s: the schema is current; nothing to do\n", cli->dir);
	else
		printf("%s: %llu migration%s applied; the schema is current\n",
		    cli->dir, (unsigned long long)m.total,
		    m.total == 1 ? "" : "s");
	return finish(EXIT_YES);
}
