/* cmd-init.c - ledgerctl init: create a data directory */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "ledger/keys.h"
#include "ledger/store.h"
#include "cli.h"

struct init_opts {
	const char *origin;
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct init_opts *o = ctx;

	if (c == 'o')
		o->origin = arg;
	return -1;
}

int
cmd_init(struct cli *cli, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "origin", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = find_command("init");
	struct init_opts o = { NULL };
	struct ledger_store *s = NULL;
	struct ledger_error err;
	char origin[LEDGER_ORIGIN_MAX], *vkey = NULL;
	const char *dir;
	int r, first;

	if ((r = parse_options(cli, cmd, argc, argv, extra, "o:", on_opt, &o,
	    &first)) >= 0)
		return r;
	if (argc - first == 1)
		dir = argv[first];
	else if (argc - first == 0 && cli->dir != NULL)
		dir = cli->dir;
	else
		return usage_error(cmd, argc - first == 0 ?
		    "no directory given" : "too many arguments");
	if (o.origin == NULL) {
		ledger_default_origin(origin);
		o.origin = origin;
	}
	if (ledger_store_init_at(dir, o.origin, cli->database, &err) !=
	    LEDGER_OK)
		return fail("init '%s': %s", dir, err.msg);
	if (ledger_store_open(dir, LEDGER_STORE_READONLY, &s, &err))
		return fail("open '%s': %s", dir, err.msg);
	if (ledger_store_vkey(s) == NULL ||
	    ledger_vkey_format(ledger_store_vkey(s), &vkey, &err)) {
		ledger_store_close(s);
		return fail("read the new public key: %s", err.msg);
	}
	if (cli->json) {
		printf("{\"dir\":");
		json_print_string(stdout, dir);
		printf(",\"origin\":");
		json_print_string(stdout, ledger_store_origin(s));
		printf(",\"key_id\":\"%08x\",\"vkey\":",
		    ledger_store_key_id(s));
		json_print_string(stdout, vkey);
		printf("}\n");
	} else {
		printf("initialized ledger in %s\n", dir);
		printf("origin:  %s\n", ledger_store_origin(s));
		printf("key id:  %08x\n", ledger_store_key_id(s));
		printf("public key (give this line to auditors):\n%s\n", vkey);
	}
	free(vkey);
	ledger_store_close(s);
	return finish(EXIT_YES);
}
