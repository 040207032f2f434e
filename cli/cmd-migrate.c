/*
 * cmd-migrate.c - ledgerctl migrate: bring a log to this version's schema
 *
 * A writer (ledgerd, ledgerctl append) migrates a log as it opens it; on
 * a large log a migration that rebuilds an index can take minutes, so an
 * operator upgrading ledgerd runs this first, with ledgerd stopped, and
 * watches it: migrations done of total on a terminal.  Ctrl-C stops it:
 * the migration under way is rolled back, those before it stay, and the
 * next open (or migrate) goes on from there.
 *
 * With --from -d DIR --to --database URL it moves the data directory's
 * log to PostgreSQL (ledger/copy.h): copies it in one transaction,
 * verifies the copy whole, then points DIR at it (ledger.database) and
 * keeps the SQLite file beside it as ledger.db.migrated.  ledgerd's lock
 * on DIR is held throughout, so no daemon starts on the log mid-way.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "ledger/copy.h"
#include "ledger/store.h"
#include "ledger/tree.h"
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

enum { OPT_FROM = 0x300, OPT_TO };

struct moving {
	bool from, to;
	struct progress p;
	const struct cli *cli;
	const char *phase;
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct moving *mv = ctx;

	(void)arg;
	if (c == OPT_FROM)
		mv->from = true;
	else if (c == OPT_TO)
		mv->to = true;
	else
		return usage_error(find_command("migrate"), "bad option");
	return -1;
}

static int
on_copy(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
	struct moving *mv = ctx;

	if (mv->phase == NULL || strcmp(mv->phase, phase) != 0) {
		if (mv->phase != NULL)
			progress_end(&mv->p);
		mv->phase = phase;
		progress_start(&mv->p, mv->cli, phase, "entries");
	}
	return progress_show(&mv->p, done, total);
}

/* ledgerd's own lock on DIR, held until exit: no daemon starts on the
 * log while it moves. */
static int
hold_daemon_lock(const char *dir)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/ledgerd.lock", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0)
		return errno == ENOENT ? fail("'%s': no such data directory",
		    dir) : fail("open '%s': %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return fail("ledgerd is running on '%s': stop it to move its "
		    "log", dir);
	}
	return -1;			/* held until the process exits */
}

/* DIR now names the copy; its SQLite file stays, renamed, as the proved
 * copy's original. */
static int
switch_dir(const char *dir, const char *database, const char *log)
{
	static const char *const side[] = { "", "-wal", "-shm" };
	struct ledger_error err;
	char from[4200], to[4200];
	size_t i;

	for (i = 0; i < sizeof(side) / sizeof(*side); i++) {
		snprintf(from, sizeof(from), "%s/%s%s", dir, LEDGER_DB_FILE,
		    side[i]);
		snprintf(to, sizeof(to), "%s/%s%s.migrated", dir,
		    LEDGER_DB_FILE, side[i]);
		if (rename(from, to) != 0 && (i == 0 || errno != ENOENT))
			return fail("rename '%s': %s; '%s' still holds the log "
			    "in SQLite", from, strerror(errno), dir);
	}
	if (ledger_database_write(dir, database, log, &err) != LEDGER_OK) {
		snprintf(from, sizeof(from), "%s/%s.migrated", dir,
		    LEDGER_DB_FILE);
		snprintf(to, sizeof(to), "%s/%s", dir, LEDGER_DB_FILE);
		if (rename(from, to) != 0)
			return fail("%s; and '%s' could not be renamed back: "
			    "%s", err.msg, from, strerror(errno));
		return fail("%s; '%s' still holds the log in SQLite", err.msg,
		    dir);
	}
	return -1;
}

static void
print_moved(const char *dir, const char *origin,
    const struct ledger_copy_report *r)
{
	char root[LEDGER_B64_HASH_SIZE];

	ledger_b64_hash(r->root, root);
	printf("moved log '%s' to PostgreSQL: %" PRIu64 " entries (%" PRIu64
	    " payloads, %" PRIu64 " pruned), %" PRIu64 " tree hashes, %"
	    PRIu64 " checkpoints, %" PRIu64 " tokens (%" PRIu64 " revoked)\n",
	    origin, r->size, r->payloads, r->pruned, r->tree_hashes,
	    r->checkpoints, r->tokens, r->revoked);
	printf("proved: the copy verifies whole with this log's key; same "
	    "size %" PRIu64 ", same root_hash %s; every checkpoint verifies\n",
	    r->size, root);
	printf("%s now names the log in PostgreSQL (%s); the SQLite file is "
	    "kept as %s/%s.migrated\n", dir, LEDGER_DATABASE_FILE, dir,
	    LEDGER_DB_FILE);
}

/* migrate --from -d DIR --to --database URL */
static int
move_log(struct cli *cli, struct moving *mv)
{
	struct ledger_store_config c;
	struct ledger_copy_opts o;
	struct ledger_copy_report rep;
	struct ledger_store *s = NULL;
	struct ledger_error err;
	enum ledger_status st;
	char *origin;
	uint64_t after;
	int r;

	if ((r = hold_daemon_lock(cli->dir)) >= 0)
		return r;
	memset(&c, 0, sizeof(c));
	c.location = cli->dir;		/* the SQLite log, whatever else */
	c.flags = LEDGER_STORE_NOKEY;
	if ((st = ledger_store_open_config(&c, &s, &err)) != LEDGER_OK)
		return fail("open '%s': %s", cli->dir, err.msg);
	memset(&o, 0, sizeof(o));
	o.backend = "postgresql";
	o.location = cli->database;
	o.progress = on_copy;
	o.progress_ctx = mv;
	mv->cli = cli;
	st = ledger_store_copy(s, &o, &rep, &err);
	if (mv->phase != NULL)
		progress_end(&mv->p);
	if (st == LEDGER_OK && (st = ledger_store_size(s, &after, &err)) ==
	    LEDGER_OK && after != rep.size)
		st = ledger_errorf(&err, LEDGER_ECHAIN, "the log grew from %"
		    PRIu64 " to %" PRIu64 " entries while it was copied",
		    rep.size, after);
	if (st != LEDGER_OK) {
		ledger_store_close(s);
		if (st == LEDGER_ECANCELED)
			return fail("interrupted: %s", err.msg);
		return fail("move '%s' to PostgreSQL: %s; '%s' still holds "
		    "the log in SQLite", cli->dir, err.msg, cli->dir);
	}
	origin = strdup(ledger_store_origin(s));
	ledger_store_close(s);
	if (origin == NULL)
		return fail("out of memory");
	if ((r = switch_dir(cli->dir, cli->database, origin)) < 0)
		print_moved(cli->dir, origin, &rep);
	free(origin);
	return r >= 0 ? r : finish(EXIT_YES);
}

int
cmd_migrate(struct cli *cli, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "from", no_argument, NULL, OPT_FROM },
		{ "to", no_argument, NULL, OPT_TO },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = find_command("migrate");
	struct ledger_store_config c;
	struct ledger_store *s = NULL;
	struct ledger_error err;
	struct migrating m;
	struct moving mv;
	enum ledger_status st;
	int r, first;

	memset(&mv, 0, sizeof(mv));
	if ((r = parse_options(cli, cmd, argc, argv, extra, "", on_opt, &mv,
	    &first)) >= 0)
		return r;
	if (argc > first)
		return usage_error(cmd, "unexpected argument '%s'", argv[first]);
	if ((r = need_dir(cli, cmd)) >= 0)
		return r;
	if (mv.from != mv.to)
		return usage_error(cmd, "--from -d DIR and --to --database URL "
		    "go together");
	if (mv.from && cli->database == NULL)
		return usage_error(cmd, "--to needs --database URL");
	if (mv.from)
		return move_log(cli, &mv);
	if (cli->database != NULL)
		return usage_error(cmd, "--database moves a log: --from -d DIR "
		    "--to --database URL");
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
