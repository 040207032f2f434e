/* cmd-append.c - ledgerctl append: append one event, print its receipt */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger/entry.h"
#include "ledger/store.h"
#include "ledger/tree.h"
#include "cli.h"
#include "input.h"

#define MAX_SUBJECTS 32

struct append_opts {
	const char *kind, *source, *event, *delivery;
	const char *subject[MAX_SUBJECTS];
	int nsubject;
	unsigned long long max_bytes;
	int bad;
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct append_opts *o = ctx;

	switch (c) {
	case 'k': o->kind = arg; break;
	case 's': o->source = arg; break;
	case 'e': o->event = arg; break;
	case 'D': o->delivery = arg; break;
	case 'S':
		if (o->nsubject == MAX_SUBJECTS)
			return fail("too many --subject options");
		o->subject[o->nsubject++] = arg;
		break;
	case 'M':
		if (!parse_u64(arg, &o->max_bytes) || o->max_bytes == 0)
			return fail("bad --max-bytes '%s'", arg);
		break;
	}
	return -1;
}

void
print_receipt(const struct cli *cli, const struct ledger_receipt *r)
{
	char leaf[2 * LEDGER_HASH_BYTES + 1], sig[2 * LEDGER_SIG_BYTES + 1];
	char t[LEDGER_TIME_MAX];

	ledger_hex(r->leaf, LEDGER_HASH_BYTES, leaf);
	ledger_hex(r->sig, LEDGER_SIG_BYTES, sig);
	ledger_time_format(r->time_ms, t);
	if (cli->json)
		printf("{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"leaf_hash\":\"%s\","
		    "\"signature\":\"%s\",\"key_id\":\"%08x\",\"duplicate\":%s}"
		    "\n", r->seq, t, leaf, sig, r->key_id,
		    r->duplicate ? "true" : "false");
	else
		printf("seq:        %" PRIu64 "%s\ntime:       %s\n"
		    "leaf_hash:  %s\nsignature:  %s\nkey_id:     %08x\n", r->seq,
		    r->duplicate ? " (already in the log: same delivery)" : "",
		    t, leaf, sig, r->key_id);
}

int
cmd_append(struct cli *cli, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "source", required_argument, NULL, 's' },
		{ "event", required_argument, NULL, 'e' },
		{ "delivery", required_argument, NULL, 'D' },
		{ "subject", required_argument, NULL, 'S' },
		{ "max-bytes", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = find_command("append");
	struct append_opts o;
	struct ledger_event *ev = NULL;
	struct ledger_error err;
	enum ledger_kind kind = LEDGER_KIND_OTHER;
	const char *path;
	char *in = NULL;
	size_t inlen;
	int r, first, i, status = EXIT_TROUBLE;

	memset(&o, 0, sizeof(o));
	o.max_bytes = INPUT_MAX;
	if ((r = parse_options(cli, cmd, argc, argv, extra, "k:s:", on_opt, &o,
	    &first)) >= 0)
		return r;
	if ((r = need_dir(cli, cmd)) >= 0)
		return r;
	if (argc - first > 1)
		return usage_error(cmd, "too many arguments");
	if (o.kind != NULL && ledger_kind_parse(o.kind, &kind, &err))
		return usage_error(cmd, "%s", err.msg);
	path = argc - first == 1 ? argv[first] : "-";
	if (argc - first == 0 && o.kind != NULL) {
		/* The options are the whole event: never wait for input. */
		path = "(options)";
		if ((in = strdup("{}")) == NULL)
			return fail("out of memory");
		inlen = 2;
	} else if (argc - first == 0 && isatty(STDIN_FILENO))
		return usage_error(cmd, "give --kind, a FILE, or - to read the "
		    "event document from standard input");
	else if (read_input(path, o.max_bytes, &in, &inlen, &err) !=
	    LEDGER_OK)
		return fail("read '%s': %s", path, err.msg);
	if (ledger_event_from_json(in, inlen, o.kind ? (int)kind : -1, &ev,
	    &err) != LEDGER_OK) {
		fail("'%s': %s", path, err.msg);
		goto out;
	}
	if (o.kind != NULL)
		ev->e.kind = kind;
	if (ledger_event_set_source(ev, LEDGER_SRC_NAME,
	    o.source ? o.source : "ledgerctl", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_TYPE, "generic", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_AUTH, "local", &err) ||
	    (o.event && ledger_event_set_source(ev, LEDGER_SRC_EVENT, o.event,
	    &err)) ||
	    (o.delivery && ledger_event_set_source(ev, LEDGER_SRC_DELIVERY,
	    o.delivery, &err))) {
		fail("bad option: %s", err.msg);
		goto out;
	}
	for (i = 0; i < o.nsubject; i++) {
		const char *eq = strchr(o.subject[i], '=');
		char name[64];
		int f;

		if (eq == NULL || (size_t)(eq - o.subject[i]) >= sizeof(name)) {
			usage_error(cmd, "bad --subject '%s': want FIELD=VALUE",
			    o.subject[i]);
			goto out;
		}
		memcpy(name, o.subject[i], (size_t)(eq - o.subject[i]));
		name[eq - o.subject[i]] = '\0';
		if ((f = ledger_subject_lookup(name)) < 0) {
			usage_error(cmd, "unknown subject field '%s'", name);
			goto out;
		}
		if (ledger_event_set_subject(ev, (enum ledger_subject)f,
		    eq + 1, &err)) {
			fail("bad --subject '%s': %s", o.subject[i], err.msg);
			goto out;
		}
	}
	status = append_one(cli, ev, NULL);
out:
	ledger_event_free(ev);
	free(in);
	return status;
}

int
append_one(const struct cli *cli, struct ledger_event *ev,
    struct ledger_receipt *ret)
{
	struct ledger_store *s = NULL;
	struct ledger_receipt rc;
	struct ledger_error err;
	int status = EXIT_TROUBLE;

	if (cli_store_open(cli, 0, &s, &err) != LEDGER_OK) {
		fail("open '%s': %s", cli_where(cli), err.msg);
		goto out;
	}
	if (ledger_store_append(s, &ev, 1, &rc, &err) != LEDGER_OK) {
		fail("append: %s", err.msg);
		goto out;
	}
	print_receipt(cli, &rc);
	if (ret != NULL)
		*ret = rc;
	/* Commit to the new size in a signed checkpoint. */
	if (ledger_store_checkpoint(s, NULL, NULL, &err) != LEDGER_OK)
		fprintf(stderr, "ledgerctl: appended, but could not sign a "
		    "checkpoint: %s\n", err.msg);
	status = finish(EXIT_YES);
out:
	ledger_store_close(s);
	return status;
}
