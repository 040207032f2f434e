/* cmd-verify.c - ledgerctl verify: check the whole log */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/keys.h"
#include "ledger/store.h"
#include "ledger/verify.h"
#include "cli.h"
#include "remote.h"

#define MAX_KEYFILES 16
/* Problems kept for --json; the count is always complete. */
#define MAX_LISTED 10000

struct verify_opts {
	const char *keyfile[MAX_KEYFILES];
	int nkeyfiles;
	unsigned long long threads;
	bool no_payloads;
};

struct found {
	uint64_t seq;
	enum ledger_problem p;
	char *detail;
};

struct collector {
	const struct cli *cli;
	struct found *list;
	size_t n;
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct verify_opts *o = ctx;

	if (c == 'k') {
		if (o->nkeyfiles == MAX_KEYFILES)
			return fail("too many --key options");
		o->keyfile[o->nkeyfiles++] = arg;
	} else if (c == 'P') {
		o->no_payloads = true;
	} else if (c == 'T') {
		if (!parse_u64(arg, &o->threads) || o->threads == 0 ||
		    o->threads > 64)
			return fail("bad --threads '%s' (1..64)", arg);
	}
	return -1;
}

static void
on_problem(void *ctx, uint64_t seq, enum ledger_problem p, const char *detail)
{
	struct collector *c = ctx;

	if (!c->cli->json) {
		printf("seq %" PRIu64 ": %s: %s\n", seq, ledger_problem_name(p),
		    detail);
		return;
	}
	if (c->n < MAX_LISTED) {
		c->list[c->n].seq = seq;
		c->list[c->n].p = p;
		c->list[c->n].detail = strdup(detail);
		c->n++;
	}
}

int
cmd_verify(struct cli *cli, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "threads", required_argument, NULL, 'T' },
		{ "no-payloads", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = find_command("verify");
	struct verify_opts o;
	struct ledger_verify_opts vo;
	struct ledger_verify_report rep;
	struct ledger_store *s = NULL;
	struct ledger_vkey *keys = NULL, *more;
	struct collector col;
	struct ledger_error err;
	size_t nkeys = 0, k, i;
	const char *origin = "";
	int r, first, status = EXIT_TROUBLE;

	memset(&o, 0, sizeof(o));
	memset(&col, 0, sizeof(col));
	col.cli = cli;
	if ((r = parse_options(cli, cmd, argc, argv, extra, "k:", on_opt, &o,
	    &first)) >= 0)
		return r;
	if (cli->url == NULL && (r = need_dir(cli, cmd)) >= 0)
		return r;
	if (cli->url != NULL && o.nkeyfiles == 0)
		return usage_error(cmd, "verify --url needs --key FILE: the "
		    "log's public key, from a copy you trust");
	if (argc - first != 0)
		return usage_error(cmd, "unexpected argument '%s'",
		    argv[first]);
	for (i = 0; i < (size_t)o.nkeyfiles; i++) {
		if (ledger_vkey_load_file(o.keyfile[i], &more, &k, &err)) {
			fail("key '%s': %s", o.keyfile[i], err.msg);
			goto out;
		}
		keys = realloc(keys, (nkeys + k) * sizeof(*keys) + 1);
		if (keys == NULL) {
			free(more);
			fail("out of memory");
			goto out;
		}
		memcpy(keys + nkeys, more, k * sizeof(*keys));
		nkeys += k;
		free(more);
	}
	if (cli->url == NULL &&
	    ledger_store_open(cli->dir, LEDGER_STORE_READONLY, &s, &err)) {
		fail("open '%s': %s", cli->dir, err.msg);
		goto out;
	}
	if (cli->json && (col.list = calloc(MAX_LISTED,
	    sizeof(*col.list))) == NULL) {
		fail("out of memory");
		goto out;
	}
	memset(&vo, 0, sizeof(vo));
	vo.keys = keys;
	vo.nkeys = nkeys;
	vo.threads = (int)o.threads;
	if (cli->url != NULL) {
		if ((r = remote_verify(cli, &vo, o.no_payloads, on_problem,
		    &col, &rep)) >= 0) {
			status = r;
			goto out;
		}
		origin = keys[0].name;
	} else if (ledger_verify_store(s, &vo, on_problem, &col, &rep, &err)) {
		fail("verify '%s': %s", cli->dir, err.msg);
		goto out;
	} else
		origin = ledger_store_origin(s);
	status = rep.problems == 0 ? EXIT_YES : EXIT_NO;
	if (cli->json) {
		printf("{\"intact\":%s,\"log\":", status == 0 ? "true" :
		    "false");
		json_print_string(stdout, origin);
		printf(",\"entries\":%" PRIu64 ",\"head_size\":%" PRIu64
		    ",\"problem_count\":%" PRIu64 ",\"first_bad_seq\":",
		    rep.entries, rep.head_size, rep.problems);
		if (rep.has_first_bad)
			printf("%" PRIu64, rep.first_bad_seq);
		else
			printf("null");
		printf(",\"counts\":{");
		for (i = 0; i < LEDGER_PROB_COUNT; i++)
			printf("%s\"%s\":%" PRIu64, i ? "," : "",
			    ledger_problem_name((enum ledger_problem)i),
			    rep.count[i]);
		printf("},\"problems\":[");
		for (i = 0; i < col.n; i++) {
			printf("%s{\"seq\":%" PRIu64 ",\"category\":\"%s\","
			    "\"detail\":", i ? "," : "", col.list[i].seq,
			    ledger_problem_name(col.list[i].p));
			json_print_string(stdout, col.list[i].detail ?
			    col.list[i].detail : "");
			printf("}");
		}
		printf("]}\n");
	} else if (status == EXIT_YES) {
		printf("intact: %" PRIu64 " entries of log '%s' verified "
		    "(every hash, link, signature%s)\n", rep.entries, origin,
		    cli->url == NULL ? ", payload and index" :
		    o.no_payloads ? "; payloads not checked" : " and payload");
	} else {
		printf("TAMPERED: %" PRIu64 " problem%s in %" PRIu64
		    " entries of log '%s'; first bad entry: seq %" PRIu64 "\n",
		    rep.problems, rep.problems == 1 ? "" : "s", rep.entries,
		    origin, rep.first_bad_seq);
	}
	status = finish(status);
out:
	for (i = 0; i < col.n; i++)
		free(col.list[i].detail);
	free(col.list);
	free(keys);
	ledger_store_close(s);
	return status;
}
