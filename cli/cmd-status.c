/*
 * cmd-status.c - ledgerctl status: the log at a glance, from a data
 * directory or a daemon (ledger_store_status_json; GET /v1/status)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/store.h"
#include "cli.h"
#include "remote.h"

static const char *
str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "-";
}

static double
num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void
bytes(const char *label, double n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (n >= 1024 && u < 4) {
		n /= 1024;
		u++;
	}
	printf("%s %.1f %s", label, n, unit[u]);
}

static void
print_text(const json_t *d)
{
	const json_t *o = json_object_get(d, "oldest");
	const json_t *n = json_object_get(d, "newest");
	const json_t *c = json_object_get(d, "checkpoint"), *k, *pr;
	size_t i, n_held;

	printf("origin:      ");
	term_print(stdout, str(d, "origin"), 0);
	printf("\nentries:     %.0f", num(d, "log_size"));
	if (json_is_object(o) && json_is_object(n))
		printf(" (seq %.0f at %s .. seq %.0f at %s)", num(o, "seq"),
		    str(o, "time"), num(n, "seq"), str(n, "time"));
	printf("\ncheckpoint:  ");
	if (json_is_object(c))
		printf("size %.0f, signed %s (%.0f s ago) by key %s%s; %.0f "
		    "entries not covered yet\n", num(c, "size"), str(c, "time"),
		    num(c, "age_s"), str(c, "key_id"), json_is_true(
		    json_object_get(c, "verified")) ? "" : " (its signature "
		    "does NOT check with ledger.pub: run verify)", num(c,
		    "behind"));
	else
		printf("none signed yet\n");
	if (json_is_object(c) && num(c, "beyond_log") > 0)
		printf("WARNING:     the checkpoint covers %.0f entries more "
		    "than the log holds: entries it signed are gone (run "
		    "verify)\n", num(c, "beyond_log"));
	json_array_foreach(json_object_get(d, "keys"), i, k) {
		printf("%s%s from seq %.0f", i ? "             " :
		    "keys:        ", str(k, "key_id"), num(k, "from_seq"));
		if (json_is_null(json_object_get(k, "until_seq")))
			printf(", current");
		else
			printf(" until seq %.0f", num(k, "until_seq"));
		if (json_is_number(json_object_get(k, "retired_seq")))
			printf(", retired at seq %.0f", num(k, "retired_seq"));
		if (json_is_number(json_object_get(k, "revoked_from_seq")))
			printf(", REVOKED from seq %.0f", num(k,
			    "revoked_from_seq"));
		printf("\n");
	}
	pr = json_object_get(d, "pruned");
	if (json_array_size(pr) > 0) {
		k = json_array_get(pr, json_array_size(pr) - 1);
		printf("pruned:      payloads of entries before seq %.0f "
		    "(recorded at seq %.0f, %s; %zu prune%s)\n",
		    num(k, "before_seq"), num(k, "record_seq"), str(k, "time"),
		    json_array_size(pr), json_array_size(pr) == 1 ? "" : "s");
	} else
		printf("pruned:      none\n");
	n_held = 0;
	json_array_foreach(json_object_get(d, "holds"), i, k)
		n_held += json_is_null(json_object_get(k, "released_seq"));
	printf("holds:       %zu in force (hold list shows them)\n", n_held);
	bytes("disk:        database", num(json_object_get(d, "disk"),
	    "database_bytes"));
	bytes(", WAL", num(json_object_get(d, "disk"), "wal_bytes"));
	bytes(", free inside", num(json_object_get(d, "disk"), "free_bytes"));
	printf("\n");
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	const struct command *cmd = find_command("status");
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_store *s;
	struct ledger_error err;
	char *text = NULL;
	size_t len;
	json_t *doc;
	int r, first;

	if ((r = parse_options(cli, cmd, argc, argv, NULL, NULL, NULL, NULL,
	    &first)) >= 0)
		return r;
	if (argc - first != 0)
		return usage_error(cmd, "unexpected argument '%s'",
		    argv[first]);
	if (cli->url != NULL) {
		if ((r = remote_get_text(cli, "/v1/status", &text)) >= 0)
			return r;
	} else {
		if ((r = need_dir(cli, cmd)) >= 0)
			return r;
		if (cli_store_open(cli, LEDGER_STORE_READONLY, &s,
		    &err))
			return fail("open '%s': %s", cli_where(cli), err.msg);
		if (ledger_store_status_json(s, &b, &err) != LEDGER_OK ||
		    ledger_buf_addc(&b, '\0') != LEDGER_OK) {
			ledger_store_close(s);
			ledger_buf_release(&b);
			return fail("status: %s", err.msg);
		}
		ledger_store_close(s);
		text = ledger_buf_steal(&b, &len);
	}
	if ((doc = json_loads(text, 0, NULL)) == NULL) {
		free(text);
		return fail("the status is not JSON");
	}
	if (cli->json)
		printf("%s\n", text);
	else
		print_text(doc);
	json_decref(doc);
	free(text);
	return finish(EXIT_YES);
}
