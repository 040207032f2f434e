/*
 * cmd-key.c - ledgerctl key rotate|retire|revoke|destroy|list: the log's
 * signing keys, every change recorded in the log (ledger/keyhist.h)
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

#include "ledger/keyhist.h"
#include "ledger/keys.h"
#include "ledger/store.h"
#include "cli.h"

struct key_opts {
	const char *from, *reason;
};

enum { OPT_FROM = 3100, OPT_REASON };

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct key_opts *o = ctx;

	if (c == OPT_FROM)
		o->from = arg;
	else if (c == OPT_REASON)
		o->reason = arg;
	else
		return EXIT_TROUBLE;
	return -1;
}

int
daemon_check(const char *dir, const char *instead)
{
	char path[4200];
	int fd, r = -1;

	snprintf(path, sizeof(path), "%s/ledgerd.lock", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;	/* never ran here */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
		r = fail("ledgerd is running on '%s': %s", dir, instead);
	close(fd);
	return r;
}

static bool
parse_id(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	if (strlen(s) != 8)
		return false;
	errno = 0;
	v = strtoul(s, &end, 16);
	if (errno != 0 || *end != '\0')
		return false;
	*ret = (uint32_t)v;
	return true;
}

static void
print_hist(const struct cli *cli, const struct ledger_keyhist *h)
{
	const struct ledger_keyinfo *k;
	char *line = NULL;
	size_t i;

	for (i = 0; i < h->n; i++) {
		k = &h->keys[i];
		if (ledger_vkey_format(&k->vk, &line, NULL) != LEDGER_OK)
			line = NULL;
		if (cli->json) {
			printf("{\"key_id\":\"%08" PRIx32 "\",\"from_seq\":%"
			    PRIu64 ",\"until_seq\":", k->vk.id, k->from_seq);
			if (k->until_seq == UINT64_MAX)
				printf("null");
			else
				printf("%" PRIu64, k->until_seq);
			printf(",\"retired_seq\":");
			if (k->retired_seq == UINT64_MAX)
				printf("null");
			else
				printf("%" PRIu64, k->retired_seq);
			printf(",\"revoked_from_seq\":");
			if (k->revoked_from == UINT64_MAX)
				printf("null");
			else
				printf("%" PRIu64, k->revoked_from);
			printf(",\"current\":%s,\"vkey\":", i == h->current ?
			    "true" : "false");
			json_print_string(stdout, line ? line : "");
			printf("}\n");
		} else {
			printf("%08" PRIx32 "  from seq %-8" PRIu64, k->vk.id,
			    k->from_seq);
			if (i == h->current)
				printf("  current");
			else
				printf("  until seq %" PRIu64, k->until_seq);
			if (k->retired_seq != UINT64_MAX)
				printf(", retired at %" PRIu64, k->retired_seq);
			if (k->revoked_from != UINT64_MAX)
				printf(", REVOKED from seq %" PRIu64,
				    k->revoked_from);
			printf("\n          %s\n", line ? line : "");
		}
		free(line);
		line = NULL;
	}
}

static int
run(struct cli *cli, const struct command *cmd, const char *sub,
    const struct key_opts *o, int nargs, char **args)
{
	struct ledger_keyhist h;
	struct ledger_store *s;
	struct ledger_error err;
	struct ledger_vkey nk;
	unsigned long long from = 0;
	uint64_t rec = 0;
	uint32_t id = 0;
	bool list = strcmp(sub, "list") == 0, rot = strcmp(sub, "rotate") == 0;
	int r = -1;

	if ((list || rot) ? nargs != 0 : nargs != 1 ||
	    !parse_id(args[0], &id))
		return usage_error(cmd, "key %s takes %s", sub, list || rot ?
		    "no arguments" : "one KEYID (8 hex digits)");
	if (strcmp(sub, "revoke") == 0 && (o->from == NULL ||
	    !parse_u64(o->from, &from)))
		return usage_error(cmd, "key revoke needs --compromised-from "
		    "SEQ");
	/* it signs with the key it loaded: it rotates itself (SIGUSR1) */
	if (!list && (r = daemon_check(cli->dir, "send it SIGUSR1 to "
	    "rotate its key (or stop it first)")) >= 0)
		return r;
	if (cli_store_open(cli, list ? LEDGER_STORE_READONLY : 0, &s,
	    &err))
		return fail("open '%s': %s", cli_where(cli), err.msg);
	if (list) {
		if (ledger_store_keyhist(s, NULL, &h, &err) != LEDGER_OK)
			r = fail("key history: %s", err.msg);
		else {
			print_hist(cli, &h);
			r = finish(EXIT_YES);
		}
	} else if (rot) {
		if (ledger_store_key_rotate(s, "ledgerctl", &nk, &rec, &err))
			r = fail("rotate: %s", err.msg);
	} else if (strcmp(sub, "retire") == 0) {
		if (ledger_store_key_record(s, LEDGER_EV_KEY_RETIRED, id, 0,
		    NULL, "ledgerctl", &rec, &err))
			r = fail("retire: %s", err.msg);
	} else if (strcmp(sub, "revoke") == 0) {
		if (ledger_store_key_record(s, LEDGER_EV_KEY_REVOKED, id, from,
		    o->reason, "ledgerctl", &rec, &err))
			r = fail("revoke: %s", err.msg);
	} else if (strcmp(sub, "destroy") == 0) {
		if (ledger_store_key_destroy(s, id, &err))
			r = fail("destroy: %s", err.msg);
	} else
		r = usage_error(cmd, "unknown key command '%s'", sub);
	if (r < 0 && rot) {
		char *line = NULL;

		(void)!ledger_vkey_format(&nk, &line, NULL);
		printf("key %08" PRIx32 " signs from seq %" PRIu64 " (key-added "
		    "at seq %" PRIu64 ")\n%s\n", nk.id, rec + 1, rec,
		    line ? line : "");
		free(line);
		r = finish(EXIT_YES);
	} else if (r < 0 && strcmp(sub, "destroy") == 0) {
		printf("secret key %08" PRIx32 " removed; its public history "
		    "stays in the log\n", id);
		r = finish(EXIT_YES);
	} else if (r < 0) {
		printf("key %08" PRIx32 " %s at seq %" PRIu64 "\n", id,
		    strcmp(sub, "retire") == 0 ? "retired" : "revoked", rec);
		r = finish(EXIT_YES);
	}
	ledger_store_close(s);
	return r;
}

int
cmd_key(struct cli *cli, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "compromised-from", required_argument, NULL, OPT_FROM },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = find_command("key");
	struct key_opts o = { NULL, NULL };
	const char *sub;
	int r, first;

	if ((r = subcommand(cmd, argc, argv, "rotate, retire, revoke, destroy "
	    "or list", &sub)) >= 0)
		return r;
	if ((r = parse_options(cli, cmd, argc - 1, argv + 1, extra, "",
	    on_opt, &o, &first)) >= 0)
		return r;
	if ((r = need_dir(cli, cmd)) >= 0)
		return r;
	return run(cli, cmd, sub, &o, argc - 1 - first, argv + 1 + first);
}
