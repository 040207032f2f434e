/*
 * cmd-token.c - ledgerctl token create|revoke|list: API tokens
 *
 * Creating and revoking a token is recorded in the log itself as a
 * `ledger` kind entry (id, scope, label; never the token), so an auditor
 * can see who could write when.  A running ledgerd picks the change up
 * within two seconds.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "ledger/jcs.h"
#include "ledger/store.h"
#include "ledger/token.h"
#include "ledger/tree.h"
#include "cli.h"

struct token_opts {
	const char *scope, *label, *identity;
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct token_opts *o = ctx;

	if (c == 's')
		o->scope = arg;
	else if (c == 'l')
		o->label = arg;
	else if (c == 'i')
		o->identity = arg;
	return -1;
}

/* Append a `ledger` entry describing the change. */
static int
record(struct ledger_store *s, const char *what, json_t *detail)
{
	struct ledger_event *ev = NULL;
	struct ledger_receipt r;
	struct ledger_error err;
	char *body = NULL;
	size_t len;
	int status = EXIT_TROUBLE;

	json_object_set_new(detail, "event", json_string(what));
	if (ledger_jcs_encode(detail, &body, &len, &err) ||
	    ledger_event_new(&ev, &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_NAME, "ledgerctl", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_TYPE, "ledger", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_EVENT, what, &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_AUTH, "local", &err) ||
	    ledger_event_set_payload(ev, body, len, "application/json", &err)) {
		fail("record %s: %s", what, err.msg);
		goto out;
	}
	ev->e.kind = LEDGER_KIND_LEDGER;
	if (ledger_store_append(s, &ev, 1, &r, &err) != LEDGER_OK) {
		fail("record %s: %s", what, err.msg);
		goto out;
	}
	if (ledger_store_checkpoint(s, NULL, NULL, &err) != LEDGER_OK)
		fprintf(stderr, "ledgerctl: recorded, but could not sign a "
		    "checkpoint: %s\n", err.msg);
	status = EXIT_YES;
out:
	json_decref(detail);
	ledger_event_free(ev);
	free(body);
	return status;
}

static void
print_token(void *ctx, const struct ledger_token_info *t)
{
	const struct cli *cli = ctx;
	char c[LEDGER_TIME_MAX], r[LEDGER_TIME_MAX];

	ledger_time_format(t->created_ms, c);
	if (t->revoked_ms)
		ledger_time_format(t->revoked_ms, r);
	if (cli->json) {
		printf("{\"id\":%" PRId64 ",\"scope\":\"%s\",\"label\":", t->id,
		    ledger_scope_name(t->scope));
		json_print_string(stdout, t->label ? t->label : "");
		printf(",\"identity\":");
		if (t->identity != NULL)
			json_print_string(stdout, t->identity);
		else
			printf("null");
		printf(",\"created\":\"%s\",\"revoked\":", c);
		if (t->revoked_ms)
			printf("\"%s\"}\n", r);
		else
			printf("null}\n");
	} else
		printf("%-4" PRId64 " %-5s %s %s  %s%s%s\n", t->id,
		    ledger_scope_name(t->scope), c,
		    t->revoked_ms ? "revoked" : "live   ",
		    t->label ? t->label : "", t->identity ? "  bound to " : "",
		    t->identity ? t->identity : "");
}

int
cmd_token(struct cli *cli, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "scope", required_argument, NULL, 's' },
		{ "label", required_argument, NULL, 'l' },
		{ "identity", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = find_command("token");
	struct token_opts o = { NULL, NULL, NULL };
	struct ledger_store *s = NULL;
	struct ledger_error err;
	enum ledger_scope scope;
	char tok[LEDGER_TOKEN_MAX];
	unsigned long long id;
	int64_t newid;
	const char *sub;
	int r, first, status = EXIT_TROUBLE;

	/* The subcommand comes first: "token create --scope write -d DIR". */
	if ((r = subcommand(cmd, argc, argv, "create, revoke or list",
	    &sub)) >= 0)
		return r;
	if ((r = parse_options(cli, cmd, argc - 1, argv + 1, extra, "",
	    on_opt, &o, &first)) >= 0)
		return r;
	argc--;
	argv++;
	if ((r = need_dir(cli, cmd)) >= 0)
		return r;
	if (strcmp(sub, "list") == 0) {
		if (argc - first != 0)
			return usage_error(cmd, "list takes no arguments");
		if (cli_store_open(cli, LEDGER_STORE_READONLY, &s, &err))
			return fail("open '%s': %s", cli_where(cli), err.msg);
		if (ledger_token_list(s, print_token, cli, &err) != LEDGER_OK)
			fail("list tokens: %s", err.msg);
		else
			status = finish(EXIT_YES);
		ledger_store_close(s);
		return status;
	}
	if (strcmp(sub, "create") == 0) {
		if (argc - first != 0)
			return usage_error(cmd, "create takes no arguments");
		if (o.scope == NULL)
			return usage_error(cmd, "create needs --scope read|write");
		if (ledger_scope_parse(o.scope, &scope, &err))
			return usage_error(cmd, "%s", err.msg);
		if (cli_store_open(cli, 0, &s, &err))
			return fail("open '%s': %s", cli_where(cli), err.msg);
		if (ledger_token_create_bound(s, scope, o.label, o.identity,
		    tok, &newid, &err) != LEDGER_OK) {
			fail("create token: %s", err.msg);
			goto out;
		}
		if (record(s, "token-created", json_pack("{s:I,s:s,s:s,s:s*}",
		    "id", (json_int_t)newid, "scope", ledger_scope_name(scope),
		    "label", o.label ? o.label : "", "identity", o.identity)) !=
		    EXIT_YES)
			goto out;
		if (cli->json)
			printf("{\"id\":%" PRId64 ",\"scope\":\"%s\",\"token\":"
			    "\"%s\"}\n", newid, ledger_scope_name(scope), tok);
		else
			printf("%s\n", tok);
		fprintf(stderr, "ledgerctl: created %s token %" PRId64 "; it "
		    "is shown once, here: store it now\n",
		    ledger_scope_name(scope), newid);
		sodium_memzero(tok, sizeof(tok));
		status = finish(EXIT_YES);
		goto out;
	}
	if (strcmp(sub, "revoke") == 0) {
		if (argc - first != 1 || !parse_u64(argv[first], &id) ||
		    id > INT64_MAX)
			return usage_error(cmd, "revoke takes one token ID");
		if (cli_store_open(cli, 0, &s, &err))
			return fail("open '%s': %s", cli_where(cli), err.msg);
		if (ledger_token_revoke(s, (int64_t)id, &err) != LEDGER_OK) {
			fail("revoke token %llu: %s", id, err.msg);
			if (err.code == LEDGER_ENOTFOUND)
				status = EXIT_NO;
			goto out;
		}
		if (record(s, "token-revoked", json_pack("{s:I}", "id",
		    (json_int_t)id)) != EXIT_YES)
			goto out;
		printf("revoked token %llu\n", id);
		status = finish(EXIT_YES);
		goto out;
	}
	return usage_error(cmd, "unknown token command '%s'", sub);
out:
	ledger_store_close(s);
	return status;
}
